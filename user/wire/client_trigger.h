/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * notifier record --trigger: asks a running notifierd for a flight
 * recorder snapshot over its socket (TRIGGER, proto.h) and waits for
 * what it wrote. One request, one answer; no HELLO, no aggregate.
 */
#ifndef NTF_CLIENT_TRIGGER_H
#define NTF_CLIENT_TRIGGER_H

#include <stddef.h>
#include "proto.h"

/*
 * 0 with *out; or -ENOENT / -ECONNREFUSED (no daemon serves path),
 * -EACCES (refused: not root, or the socket's permissions), -EOPNOTSUPP
 * (the daemon keeps no flight recorder, or predates triggers), -EIO (it
 * could not write the snapshot), -ETIMEDOUT, -EPROTONOSUPPORT (another
 * protocol version), -ECONNRESET, -EBADMSG. why (may be NULL) gets one
 * line saying it, the daemon's own words when it sent an ERROR.
 */
int ntf_client_trigger(const char *path, int timeout_ms, struct ntf_proto_triggered *out, char *why,
		       size_t why_len);

#endif
