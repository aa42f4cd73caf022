// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include "client_policy.h"
#include "client_request.h"

static int decode(const struct ntf_proto_frame *f, void *out)
{
	return ntf_proto_decode_policy_state(f, out);
}

int ntf_client_policy(const char *path, const struct ntf_proto_policy *req, int timeout_ms,
		      struct ntf_proto_policy_state *out, char *why, size_t why_len)
{
	struct ntf_proto_buf b = {};
	int err;

	why[0] = '\0';
	if (ntf_proto_put_policy(&b, req)) {
		snprintf(why, why_len, "out of memory");
		return -ENOMEM;
	}
	err = ntf_client_exchange(path, &b, timeout_ms, "policies", decode, out, why, why_len);
	ntf_proto_buf_free(&b);
	return err;
}
