// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * take_stack() (bpf/notifier_common.bpf.h) as this kernel runs it, in a
 * tp_btf program as the probes' own: on task_newtask, which a fork() of
 * the test fires from copy_process. tests/unit/test_stack_bpf.c reads
 * the stack back through probe/stack_reader.h.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "notifier_common.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u32 want_tgid;
struct ntf_event seen;

SEC("tp_btf/task_newtask")
int BPF_PROG(newtask, struct task_struct *task, unsigned long clone_flags)
{
	struct ntf_event e = { .flags = NTF_F_FAILED };

	if ((bpf_get_current_pid_tgid() >> 32) != want_tgid || seen.stack_id)
		return 0;
	/* failed, so taken whatever the threshold, as emit() would */
	take_stack(ctx, &e);
	seen = e;
	return 0;
}
