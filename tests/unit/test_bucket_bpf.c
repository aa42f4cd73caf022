// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The BPF and user-space bucket functions agree at every edge: the same
 * header compiled twice, once run by this kernel's BPF (BPF_PROG_TEST_RUN
 * of a raw tracepoint program), once here. Skipped, with the reason, where
 * the kernel loads no BPF.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <string.h>
#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "buckets.h"
#include "bucket_check.skel.h"

static struct bucket_check_bpf *skel;
static char why[128];

static int load(void **state)
{
	(void)state;
	skel = bucket_check_bpf__open_and_load();
	if (!skel)
		snprintf(why, sizeof(why), "this kernel loads no raw_tp program: %s",
			 strerror(errno));
	return 0;
}

static int unload(void **state)
{
	(void)state;
	bucket_check_bpf__destroy(skel);
	return 0;
}

static __u32 bpf_bucket(__u64 v)
{
	__u64 args[1] = { v };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args, .ctx_size_in = sizeof(args));

	assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(skel->progs.bucket_of), &opts), 0);
	return skel->bss->bucket;
}

static void check(__u64 v, unsigned int *n)
{
	__u32 want = ntf_bucket_of(v), got = bpf_bucket(v);

	if (got != want)
		fail_msg("%llu ns: BPF says bucket %u, user space %u", (unsigned long long)v, got,
			 want);
	(*n)++;
}

static void agree_at_every_edge(void **state)
{
	unsigned int n = 0;
	__u64 x = 0x2545f4914f6cdd1dULL;

	(void)state;
	if (!skel)
		skip();
	check(0, &n);
	check(1, &n);
	check(~0ULL, &n);
	/* every edge of the table, on it and one above */
	for (int n2 = -478; n2 <= 546; n2++) {
		__u64 edge = (__u64)fminl(floorl(1e9L * exp2l((long double)n2 / 16)), 1.8e19L);

		check(edge, &n);
		check(edge + 1, &n);
	}
	for (int k = 0; k < 20000; k++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		check(x >> (x % 64), &n);
	}
	print_message("%u values, BPF and user space agree\n", n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(agree_at_every_edge),
	};
	int rc = cmocka_run_group_tests(tests, load, unload);

	if (why[0])
		print_message("skipped: %s\n", why);
	return rc;
}
