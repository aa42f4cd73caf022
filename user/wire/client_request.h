/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * One request, one answer, over notifierd's socket: what notifier record
 * --trigger and notifier policy load|unload|list share (no HELLO, no
 * aggregate).
 */
#ifndef NTF_CLIENT_REQUEST_H
#define NTF_CLIENT_REQUEST_H

#include <stddef.h>
#include "proto.h"

/*
 * What the daemon's ERROR means here, as a negative errno, with why (one
 * line); what names the request, for a daemon that predates it.
 */
int ntf_client_refused(const struct ntf_proto_error *e, const char *what, char *why,
		       size_t why_len);
/*
 * Sends req's frame to the socket at path and reads one frame of the
 * answer into buf (cap bytes): 0 with *f, or -errno with why.
 */
int ntf_client_request(const char *path, const struct ntf_proto_buf *req, __u8 *buf, size_t cap,
		       int timeout_ms, struct ntf_proto_frame *f, char *why, size_t why_len);

/*
 * The whole exchange: req's frame sent, the answer read, an ERROR turned
 * into an errno and a line (ntf_client_refused; what names the request),
 * anything else given to decode (0, or -EBADMSG: said as a frame that does
 * not decode). 0 with out filled by decode, or -errno with why.
 */
int ntf_client_exchange(const char *path, const struct ntf_proto_buf *req, int timeout_ms,
			const char *what, int (*decode)(const struct ntf_proto_frame *f, void *out),
			void *out, char *why, size_t why_len);

#endif
