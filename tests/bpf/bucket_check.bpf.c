// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The fine-bucket function as the verifier and the JIT run it: one value
 * in (the raw tracepoint's first argument, given by BPF_PROG_TEST_RUN),
 * its bucket out. tests/unit/test_bucket_bpf.c compares it with the C one.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "hist_bucket.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

__u32 bucket;

SEC("raw_tp")
int bucket_of(struct bpf_raw_tracepoint_args *ctx)
{
	bucket = ntf_bucket_index(ctx->args[0]);
	return 0;
}
