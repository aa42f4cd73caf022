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
#include <string.h>
#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "buckets.h"
#include "bucket_agree.h"
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

static void agree_at_every_edge(void **state)
{
	char err[160];
	long n;

	(void)state;
	if (!skel)
		skip();
	n = bucket_agree(skel, err, sizeof(err));
	if (n < 0)
		fail_msg("%s", err);
	print_message("%ld values, BPF and user space agree\n", n);
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
