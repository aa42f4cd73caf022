// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include "client_request.h"
#include "client_trigger.h"

static int decode(const struct ntf_proto_frame *f, void *out)
{
	return ntf_proto_decode_triggered(f, out);
}

int ntf_client_trigger(const char *path, int timeout_ms, struct ntf_proto_triggered *out, char *why,
		       size_t why_len)
{
	struct ntf_proto_buf b = {};
	char scratch[8];
	int err;

	if (!why) {
		why = scratch;
		why_len = sizeof(scratch);
	}
	why[0] = '\0';
	if (ntf_proto_put_trigger(&b)) {
		snprintf(why, why_len, "out of memory");
		return -ENOMEM;
	}
	err = ntf_client_exchange(path, &b, timeout_ms, "triggers", decode, out, why, why_len);
	ntf_proto_buf_free(&b);
	return err;
}
