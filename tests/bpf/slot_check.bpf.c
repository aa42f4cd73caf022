// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The in-flight slots as this kernel's BPF keeps them (bpf/notifier_common.bpf.h),
 * by BPF_PROG_TEST_RUN of a raw_tp program: an invalidate and a callback
 * inside it opened by fentry programs, what a kprobe without task storage
 * (6.1's pin_user_pages_remote) then finds of them, an unmap charged by
 * both kinds of invalidate exit, and nothing left once all are taken.
 * tests/unit/test_slots_bpf.c sets where the slots live and checks.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "notifier_common.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

__u32 opened; /* every put_slot succeeded */
__u32 in_hash; /* the invalidate's copy went to the in-flight hash */
__u32 inside; /* a kprobe found the invalidate */
__u64 seen_ts; /* the invalidate's start time as the kprobe found it */
__u32 seen_callback; /* the callback a kprobe found running */
__u64 charged_ns, charged_calls; /* the unmap's charges, as its exit took them */
__u32 left; /* a kprobe still found something after every slot was taken */

SEC("raw_tp")
int slots(void *ctx)
{
	struct ntf_inflight f = {}, got;
	struct ntf_inflight_key key = inflight_key(NTF_CLASS_INVAL_START);
	struct ntf_inflight *s;
	struct ntf_thread *t;

	(void)ctx;
	f.ts = 1000;
	opened = put_slot(NTF_MECH_FENTRY, NTF_CLASS_INVAL_START, &f);
	in_hash = bpf_map_lookup_elem(&inflight, &key) != NULL;
	f.ts = 1001;
	f.arg[1] = 7;
	opened &= put_slot(NTF_MECH_FENTRY, NTF_CLASS_CALLBACK, &f);
	inside = inside_invalidate(NTF_MECH_KPROBE, NULL);
	seen_callback = current_callback(NTF_MECH_KPROBE, NULL);
	s = find_slot(NTF_MECH_KPROBE, NULL, NTF_CLASS_INVAL_START);
	seen_ts = s ? s->ts : 0;
	/* an unmap, charged by an fentry exit and by two kprobe ones */
	f.ts = 1002;
	f.arg[1] = 0;
	opened &= put_slot(NTF_MECH_FENTRY, NTF_CLASS_UNMAP, &f);
	charge_unmap(NTF_MECH_FENTRY, NULL, 100, true);
	charge_unmap(NTF_MECH_KPROBE, NULL, 20, true);
	charge_unmap(NTF_MECH_KPROBE, NULL, 3, false);
	if (take_inflight(NTF_MECH_FENTRY, NTF_CLASS_UNMAP, &got, &t)) {
		charged_ns = got.notifier_ns;
		charged_calls = got.notifier_calls;
	}
	take_inflight(NTF_MECH_FENTRY, NTF_CLASS_CALLBACK, &got, &t);
	take_inflight(NTF_MECH_FENTRY, NTF_CLASS_INVAL_START, &got, &t);
	left = inside_invalidate(NTF_MECH_KPROBE, NULL) ||
	       current_callback(NTF_MECH_KPROBE, NULL) ||
	       find_slot(NTF_MECH_KPROBE, NULL, NTF_CLASS_UNMAP);
	return 0;
}
