// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Subscriber discovery: a task iterator that reads, for every process, the
 * notifier registrations of its mm (the classic mmu_notifier list and the
 * interval tree) and records which functions their ops point at. User
 * space symbolises the addresses through kallsyms, so a driver the table of
 * known callbacks has never heard of is still found and attributed.
 *
 * It runs only when user space reads the iterator (on each rescan), never
 * on the notifier path, so it costs the traced workload nothing.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "notifier.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Enough for every rb tree of 2^24 nodes, the height bound being 2 log2(n + 1). */
#define RB_MAX_HEIGHT 48
/* Classic callbacks per mm: KVM, an IOMMU, a driver or two. */
#define MAX_CLASSIC 32
/* Interval registrations walked per mm: a GPU process may have thousands of userptrs. */
#define MAX_INTERVAL 65536

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NTF_DISCOVER_MAX);
	__type(key, __u64);
	__type(value, struct ntf_discovered);
} discovered SEC(".maps");

/* Counts what did not fit, so a full map is reported, not hidden. */
__u64 dropped;

/* Before 6.6 the secondary-TLB callback was ops->invalidate_range. */
struct mmu_notifier_ops___pre_6_6 {
	void *invalidate_range;
} __attribute__((preserve_access_index));

static void record(__u64 fn, __u32 kind, __u64 mm)
{
	struct ntf_discovered *d, init = { .kind = kind };

	if (!fn)
		return;
	d = bpf_map_lookup_elem(&discovered, &fn);
	if (!d) {
		/* fails when the map is full, which the second lookup tells */
		bpf_map_update_elem(&discovered, &fn, &init, BPF_NOEXIST);
		d = bpf_map_lookup_elem(&discovered, &fn);
		if (!d) {
			dropped++;
			return;
		}
	}
	d->registrations++;
	if (d->last_mm != mm) {
		d->last_mm = mm;
		d->mms++;
	}
}

static void record_classic(const struct mmu_notifier *mn, __u64 mm)
{
	const struct mmu_notifier_ops *ops = BPF_CORE_READ(mn, ops);
	struct mmu_notifier_ops___pre_6_6 *old = (void *)ops;
	__u64 tlb = 0;

	if (!ops)
		return;
	record((__u64)BPF_CORE_READ(ops, invalidate_range_start), NTF_CB_INT, mm);
	record((__u64)BPF_CORE_READ(ops, invalidate_range_end), NTF_CB_VOID, mm);
	if (bpf_core_field_exists(ops->arch_invalidate_secondary_tlbs))
		tlb = (__u64)BPF_CORE_READ(ops, arch_invalidate_secondary_tlbs);
	else if (bpf_core_field_exists(old->invalidate_range))
		tlb = (__u64)BPF_CORE_READ(old, invalidate_range);
	record(tlb, NTF_CB_TLB, mm);
}

struct itree_walk {
	struct rb_node *node;
	__u64 mm;
	/* neighbours mostly share ops: read the callback once per run of them */
	__u64 last_ops, last_fn;
};

static struct rb_node *rb_parent_of(struct rb_node *n)
{
	return (struct rb_node *)(BPF_CORE_READ(n, __rb_parent_color) & ~3UL);
}

/* In-order successor, as lib/rbtree.c's rb_next(), bounded for the verifier. */
static struct rb_node *rb_successor(struct rb_node *n)
{
	struct rb_node *right = BPF_CORE_READ(n, rb_right), *parent;

	if (right) {
		n = right;
		for (int i = 0; i < RB_MAX_HEIGHT; i++) {
			struct rb_node *left = BPF_CORE_READ(n, rb_left);

			if (!left)
				return n;
			n = left;
		}
		return NULL;
	}
	for (int i = 0; i < RB_MAX_HEIGHT; i++) {
		parent = rb_parent_of(n);
		if (!parent || BPF_CORE_READ(parent, rb_right) != n)
			return parent;
		n = parent;
	}
	return NULL;
}

static long visit_interval(__u64 index, void *ctx)
{
	struct itree_walk *w = ctx;
	struct mmu_interval_notifier *sub;
	const struct mmu_interval_notifier_ops *ops;

	if (!w->node)
		return 1;
	/* from the tree node back to the subscription it is part of */
	sub = (void *)w->node - bpf_core_field_offset(struct mmu_interval_notifier, interval_tree) -
	      bpf_core_field_offset(struct interval_tree_node, rb);
	ops = BPF_CORE_READ(sub, ops);
	if ((__u64)ops != w->last_ops) {
		w->last_ops = (__u64)ops;
		w->last_fn = ops ? (__u64)BPF_CORE_READ(ops, invalidate) : 0;
	}
	record(w->last_fn, NTF_CB_BOOL, w->mm);
	w->node = rb_successor(w->node);
	return 0;
}

SEC("iter/task")
int discover_callbacks(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct mmu_notifier_subscriptions *subs;
	struct hlist_node *node;
	struct itree_walk w = {};
	struct mm_struct *mm;

	/* One visit per process: threads share the leader's mm. */
	if (!task || task->pid != task->tgid)
		return 0;
	mm = task->mm;
	if (!mm)
		return 0;
	subs = BPF_CORE_READ(mm, notifier_subscriptions);
	if (!subs)
		return 0;

	node = BPF_CORE_READ(subs, list.first);
	for (int i = 0; i < MAX_CLASSIC && node; i++) {
		struct mmu_notifier *mn =
			(void *)node - bpf_core_field_offset(struct mmu_notifier, hlist);

		record_classic(mn, (__u64)mm);
		node = BPF_CORE_READ(node, next);
	}

	w.node = BPF_CORE_READ(subs, itree.rb_leftmost);
	w.mm = (__u64)mm;
	bpf_loop(MAX_INTERVAL, visit_interval, &w, 0);
	return 0;
}
