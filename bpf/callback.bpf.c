// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Per-callback probes: the callbacks drivers register on the notifier
 * path (KVM's invalidate_range_start/end, i915/amdgpu/nouveau/xe interval
 * ->invalidate, mlx5 ODP, ...). Their targets are known only at run time
 * and modules come and go, so this object is a set of NTF_SUB_SLOTS
 * identical slots: user space points each used slot at one callback
 * (fentry target, or kprobe function), loads one object per batch of
 * callbacks found, and shares the main object's maps with it.
 *
 * The slot's entry marks "inside callback S" for the thread, which is what
 * attributes a pin or fence wait nested in the callback to its driver.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "notifier_common.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Per slot: the callback id user space gave the callback, its kind and address. */
const volatile __u32 slot_callback[NTF_SUB_SLOTS];
const volatile __u32 slot_kind[NTF_SUB_SLOTS];
const volatile __u64 slot_fn[NTF_SUB_SLOTS];

/*
 * A subscription the register probes watch is seen from now on: the
 * chain stops counting its calls as unseen (count_unseen).
 */
static __always_inline void mark_seen(__u64 fn, void *sub, const struct mmu_notifier_range *range)
{
	struct ntf_pending *p;
	__u64 mm;

	/* asked first: the range's mm is read only while something is watched */
	if (!watching())
		return;
	mm = (__u64)BPF_CORE_READ(range, mm);
	p = bpf_map_lookup_elem(&pending, &mm);
	if (!p)
		return;
	/* a classic subscription has a slot per callback: start's, end's */
	for (int i = 0; i < NTF_PENDING_SUBS; i++)
		if (p->subs[i].sub == (__u64)sub && p->subs[i].fn == fn)
			p->subs[i].live = 1;
}

/* Both callback shapes take the range second: (mn|interval_sub, range, ...). */
static __always_inline int cb_enter(__u8 mech, __u32 slot, void *sub,
				    const struct mmu_notifier_range *range)
{
	if (slot >= NTF_SUB_SLOTS)
		return 0;
	/* before the filters: whoever invalidates, the subscription is seen */
	mark_seen(slot_fn[slot], sub, range);
	return enter(mech, NTF_CLASS_CALLBACK, (__u64)range, slot_callback[slot], slot_kind[slot],
		     0);
}

/* typed: fexit's own argument (NULL for kretprobes, which have none) */
static __always_inline int cb_exit(void *ctx, __u8 mech, long ret,
				   const struct mmu_notifier_range *typed)
{
	struct mmu_notifier_range *range;
	struct ntf_inflight f;
	struct ntf_thread *t;
	struct ntf_event e = {};
	__u32 kind;

	if (!take_inflight(mech, NTF_CLASS_CALLBACK, &f, &t))
		return 0;
	range = (struct mmu_notifier_range *)f.arg[0];
	kind = (__u32)f.arg[2];
	e.class = NTF_CLASS_CALLBACK;
	e.mech = mech;
	e.callback = (__u32)f.arg[1];
	e.ts_ns = f.ts;
	e.latency_ns = bpf_ktime_get_ns() - f.ts;
	/* a histogram's key needs only blockable: a kprobe pays a helper call a field */
	if (cfg.stream) {
		e.mm = (__u64)ARG_FIELD(mech, typed, range, mm);
		e.range.start = ARG_FIELD(mech, typed, range, start);
		e.range.end = ARG_FIELD(mech, typed, range, end);
		e.range.event = ARG_FIELD(mech, typed, range, event);
	}
	if (ARG_FIELD(mech, typed, range, flags) & NTF_MMU_NOTIFIER_RANGE_BLOCKABLE)
		e.flags |= NTF_F_BLOCKABLE;
	if (kind == NTF_CB_BOOL) {
		e.ret = (bool)ret;
		if (!e.ret)
			e.flags |= NTF_F_FAILED;
	} else if (kind == NTF_CB_INT) {
		e.ret = (int)ret;
		if (e.ret)
			e.flags |= NTF_F_FAILED;
	}
	e.flags |= NTF_F_NESTED; /* a callback always runs inside an invalidate */
	fill_task(&e);
	emit(ctx, &e, 0);
	return 0;
}

#define SLOT(n)                                                                           \
	SEC("fentry")                                                                     \
	int BPF_PROG(cb##n##_fentry, void *sub, const struct mmu_notifier_range *range)   \
	{                                                                                 \
		return cb_enter(NTF_MECH_FENTRY, n, sub, range);                          \
	}                                                                                 \
	SEC("fexit")                                                                      \
	int BPF_PROG(cb##n##_fexit, void *sub, const struct mmu_notifier_range *range)    \
	{                                                                                 \
		return cb_exit(ctx, NTF_MECH_FENTRY, fexit_ret(ctx), range);              \
	}                                                                                 \
	SEC("kprobe")                                                                     \
	int BPF_KPROBE(cb##n##_kprobe, void *sub, const struct mmu_notifier_range *range) \
	{                                                                                 \
		return cb_enter(NTF_MECH_KPROBE, n, sub, range);                          \
	}                                                                                 \
	SEC("kretprobe")                                                                  \
	int BPF_KRETPROBE(cb##n##_kretprobe, long ret)                                    \
	{                                                                                 \
		return cb_exit(ctx, NTF_MECH_KPROBE, ret, NULL);                          \
	}

/*
 * KVM's tracepoint, fired once per invalidate_range_start callback: the
 * rung for kernels that allow neither fentry nor kprobes. It carries the
 * range but no latency and no result.
 */
const volatile __u32 kvm_tp_callback;

SEC("tp_btf/kvm_unmap_hva_range")
int BPF_PROG(kvm_unmap_tp, unsigned long start, unsigned long end)
{
	struct task_struct *task;
	struct ntf_event e = {};

	count(NTF_CNT_EVENTS);
	if (task_filtered_out())
		return 0;
	e.class = NTF_CLASS_CALLBACK;
	e.mech = NTF_MECH_TRACEPOINT;
	e.callback = kvm_tp_callback;
	e.ts_ns = bpf_ktime_get_ns();
	task = bpf_get_current_task_btf();
	e.mm = (__u64)BPF_CORE_READ(task, mm);
	e.range.start = start;
	e.range.end = end;
	e.flags = NTF_F_NESTED | NTF_F_BLOCKABLE_UNKNOWN;
	fill_task(&e);
	emit(ctx, &e, 0);
	return 0;
}

SLOT(0)
SLOT(1)
SLOT(2)
SLOT(3)
SLOT(4)
SLOT(5)
SLOT(6)
SLOT(7)
SLOT(8)
SLOT(9)
SLOT(10)
SLOT(11)
SLOT(12)
SLOT(13)
SLOT(14)
SLOT(15)
