// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include "client_policy.h"
#include "client_request.h"

/* A POLICY_STATE (two paths at most) or an ERROR. */
#define ANSWER_MAX (NTF_PROTO_HDR_LEN + 2 * (2 + NTF_PROTO_PATH_LEN) + 256)

int ntf_client_policy(const char *path, const struct ntf_proto_policy *req, int timeout_ms,
		      struct ntf_proto_policy_state *out, char *why, size_t why_len)
{
	static __u8 buf[ANSWER_MAX];
	struct ntf_proto_buf b = {};
	struct ntf_proto_frame f;
	struct ntf_proto_error e;
	int err;

	why[0] = '\0';
	err = ntf_proto_put_policy(&b, req);
	if (err) {
		snprintf(why, why_len, "out of memory");
		return err;
	}
	err = ntf_client_request(path, &b, buf, sizeof(buf), timeout_ms, &f, why, why_len);
	ntf_proto_buf_free(&b);
	if (err)
		return err;
	if (f.type == NTF_PROTO_ERROR && !ntf_proto_decode_error(&f, &e))
		return ntf_client_refused(&e, "policies", why, why_len);
	if (ntf_proto_decode_policy_state(&f, out)) {
		snprintf(why, why_len, "the daemon answered with a %s frame that does not decode",
			 ntf_proto_type_name(f.type));
		return -EBADMSG;
	}
	return 0;
}
