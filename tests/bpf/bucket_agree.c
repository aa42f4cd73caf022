// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bucket_agree.h"
#include "bucket_check.skel.h"
#include "buckets.h"

static int agree(struct bucket_check_bpf *skel, __u64 v, char *why, size_t len)
{
	__u64 args[1] = { v };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args, .ctx_size_in = sizeof(args));
	__u32 want = ntf_bucket_of(v);

	if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.bucket_of), &opts)) {
		snprintf(why, len, "BPF_PROG_TEST_RUN: %s", strerror(errno));
		return -1;
	}
	if (skel->bss->bucket != want) {
		snprintf(why, len, "%llu ns: BPF says bucket %u, user space %u",
			 (unsigned long long)v, skel->bss->bucket, want);
		return -1;
	}
	return 0;
}

long bucket_agree(struct bucket_check_bpf *skel, char *why, size_t len)
{
	__u64 x = 0x2545f4914f6cdd1dULL;
	long n = 0;

#define CHECK(v)                                \
	do {                                    \
		if (agree(skel, (v), why, len)) \
			return -1;              \
		n++;                            \
	} while (0)
	CHECK(0);
	CHECK(1);
	CHECK(~0ULL);
	/* every edge of the table (native -478..546), on it and one above */
	for (int e = -478; e <= 546; e++) {
		__u64 edge = (__u64)fminl(floorl(1e9L * exp2l((long double)e / 16)), 1.8e19L);

		CHECK(edge);
		CHECK(edge + 1);
	}
	for (int k = 0; k < 20000; k++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		CHECK(x >> (x % 64));
	}
#undef CHECK
	return n;
}
