/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * notifier policy load|unload|list: a POLICY request to a running
 * notifierd (proto.h), and the state it answers with.
 */
#ifndef NTF_CLIENT_POLICY_H
#define NTF_CLIENT_POLICY_H

#include <stddef.h>
#include "proto.h"

/*
 * 0 with *out; or -ENOENT / -ECONNREFUSED (no daemon serves path),
 * -EACCES (refused: not root), -EOPNOTSUPP (the daemon runs no policies,
 * or predates them), -EIO (it could not load the policy: why has the
 * loader's words), -ETIMEDOUT, -EPROTONOSUPPORT, -ECONNRESET, -EBADMSG.
 */
int ntf_client_policy(const char *path, const struct ntf_proto_policy *req, int timeout_ms,
		      struct ntf_proto_policy_state *out, char *why, size_t why_len);

#endif
