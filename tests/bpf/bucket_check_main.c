// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bucket-check: the fine-bucket agreement of tests/bpf/bucket_agree.c as a
 * static program for the test bed's kernels. Prints one JSON line; exit 0
 * when BPF and user space agree on every value, 1 otherwise.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "bucket_agree.h"
#include "bucket_check.skel.h"

int main(void)
{
	struct bucket_check_bpf *skel = bucket_check_bpf__open_and_load();
	char why[160] = "";
	long n;

	if (!skel) {
		printf("{\"loaded\":false,\"error\":\"%s\"}\n", strerror(errno));
		return 1;
	}
	n = bucket_agree(skel, why, sizeof(why));
	bucket_check_bpf__destroy(skel);
	printf("{\"loaded\":true,\"agreed\":%ld,\"error\":\"%s\"}\n", n < 0 ? 0 : n, why);
	return n < 0;
}
