// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ntf_gates_pass() (bpf/notifier_common.bpf.h) as this kernel runs it: the
 * event in a global, the verdict out, by BPF_PROG_TEST_RUN of a raw_tp
 * program. tests/unit/test_gates_bpf.c checks it passes every event a
 * rule matches, and for rules the kernel judges whole, only those.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "notifier_common.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct ntf_event event;
__u32 passed;

SEC("raw_tp")
int gate(struct bpf_raw_tracepoint_args *ctx)
{
	(void)ctx;
	passed = ntf_gates_pass(&event);
	return 0;
}
