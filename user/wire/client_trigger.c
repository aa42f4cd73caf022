// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include "client_request.h"
#include "client_trigger.h"

/* The answer is a TRIGGERED (a path and five numbers) or an ERROR: well under this. */
#define ANSWER_MAX (NTF_PROTO_HDR_LEN + 2 + NTF_PROTO_PATH_LEN + 64)

int ntf_client_trigger(const char *path, int timeout_ms, struct ntf_proto_triggered *out, char *why,
		       size_t why_len)
{
	__u8 buf[ANSWER_MAX];
	struct ntf_proto_buf b = {};
	struct ntf_proto_frame f;
	struct ntf_proto_error e;
	char scratch[8];
	int err;

	if (!why) {
		why = scratch;
		why_len = sizeof(scratch);
	}
	why[0] = '\0';
	err = ntf_proto_put_trigger(&b);
	if (err) {
		snprintf(why, why_len, "out of memory");
		return err;
	}
	err = ntf_client_request(path, &b, buf, sizeof(buf), timeout_ms, &f, why, why_len);
	ntf_proto_buf_free(&b);
	if (err)
		return err;
	if (f.type == NTF_PROTO_ERROR && !ntf_proto_decode_error(&f, &e))
		return ntf_client_refused(&e, "triggers", why, why_len);
	if (ntf_proto_decode_triggered(&f, out)) {
		snprintf(why, why_len, "the daemon answered with a %s frame that does not decode",
			 ntf_proto_type_name(f.type));
		return -EBADMSG;
	}
	return 0;
}
