// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Probes on the MMU-notifier path and what surrounds it: invalidate
 * start/end, try_to_unmap_one, pin_user_pages*, unpin, dma_fence waits.
 *
 * Every probe point has an fentry/fexit and a kprobe/kretprobe twin (and
 * the fence wait a tracepoint one); user space decides per point which rung
 * of the ladder this kernel allows and disables the others' autoload.
 *
 * Entry records a per-thread "in flight" slot; exit computes the latency and
 * feeds two paths: a per-key log2 histogram in a hash map (cheap, always
 * on unless disabled) and, when streaming, a fixed-size record in a ring
 * buffer. A lookup of the in-flight invalidate slot on the same thread is
 * what marks a pin, unmap or fence wait as nested inside a notifier.
 * A streamed event that was slow or failed also takes the kernel stack
 * that led to it, into a stack map every object shares (take_stack), so
 * each handler passes its program's ctx down to emit().
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "notifier_common.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* ---- __mmu_notifier_invalidate_range_start / _end ---- */

/*
 * The chain has called every subscription of mm whose range overlaps
 * [start, end): start calls ->invalidate_range_start and interval
 * ->invalidate, end calls ->invalidate_range_end. A pending one whose
 * probe did not mark it live during the call was called unseen. When the
 * chain failed (a refusal stops an interval walk), it may not have been.
 * e is the chain's call: its mm, range, start time and result. A global
 * function, checked once on its own: its walk of the subscriptions,
 * inlined, multiplied the exit handler's paths.
 */
__noinline int ntf_count_unseen(const struct ntf_event *e)
{
	struct ntf_pending *p;
	__u64 mm, start, end, began;
	bool is_start;
	long ret;

	if (!e)
		return 0;
	mm = e->mm;
	start = e->range.start;
	end = e->range.end;
	began = e->ts_ns;
	is_start = e->class == NTF_CLASS_INVAL_START;
	ret = e->ret;
	p = bpf_map_lookup_elem(&pending, &mm);
	if (!p)
		return 0;
	for (int i = 0; i < NTF_PENDING_SUBS; i++) {
		struct ntf_pending_sub *s = &p->subs[i];
		struct ntf_unseen *u, init = {};
		__u64 fn = s->fn;

		if (!fn || s->live || is_start == (s->kind == NTF_CB_VOID))
			continue;
		if (!s->armed_ns || began < s->armed_ns)
			continue;
		if (s->last < start || s->start >= end)
			continue;
		u = bpf_map_lookup_elem(&unseen, &fn);
		if (!u) {
			bpf_map_update_elem(&unseen, &fn, &init, BPF_NOEXIST);
			u = bpf_map_lookup_elem(&unseen, &fn);
			if (!u)
				continue;
		}
		if (ret)
			__sync_fetch_and_add(&u->maybe, 1);
		else
			__sync_fetch_and_add(&u->calls, 1);
	}
	return 0;
}

/* typed: fexit's own argument (NULL for kretprobes, which have none) */
static __always_inline int inval_exit(void *ctx, __u32 class, __u8 mech, long ret,
				      const struct mmu_notifier_range *typed)
{
	struct mmu_notifier_range *range;
	struct ntf_inflight f;
	struct ntf_thread *t;
	struct ntf_event e = {};
	__u64 now = bpf_ktime_get_ns();
	bool watched;

	if (!take_inflight(mech, class, &f, &t))
		return 0;
	range = (struct mmu_notifier_range *)f.arg[0];
	e.class = class;
	e.mech = mech;
	e.ts_ns = f.ts;
	e.latency_ns = now - f.ts;
	e.ret = ret;
	/*
	 * A kprobe pays a helper call a field: a histogram reads only what its
	 * key needs (blockable, the event for the origin), the watch the range.
	 */
	watched = watching();
	if (cfg.stream || watched) {
		e.mm = (__u64)ARG_FIELD(mech, typed, range, mm);
		e.range.start = ARG_FIELD(mech, typed, range, start);
		e.range.end = ARG_FIELD(mech, typed, range, end);
	}
	if (cfg.stream || cfg.by_origin)
		e.range.event = ARG_FIELD(mech, typed, range, event);
	if (cfg.stream && bpf_core_field_exists(range->owner))
		e.range.owner = (__u64)ARG_FIELD(mech, typed, range, owner);
	if (ARG_FIELD(mech, typed, range, flags) & NTF_MMU_NOTIFIER_RANGE_BLOCKABLE)
		e.flags |= NTF_F_BLOCKABLE;
	if (ret)
		e.flags |= NTF_F_FAILED;
	fill_task(&e);
	charge_unmap(mech, t, e.latency_ns, class == NTF_CLASS_INVAL_START);
	if (watched)
		ntf_count_unseen(&e);
	emit(ctx, &e, 0);
	return 0;
}

/*
 * One quartet per invalidate function. RET is how each rung reads the
 * return value: only _start has one (int); _end is void, and on 6.1 it has
 * a second argument (only_end) that 6.6 dropped, but only range is read.
 */
#define INVAL_PROBES(name, fn, CLASS, FEXIT_RET, KRET_RET)                        \
	SEC("fentry/" #fn)                                                        \
	int BPF_PROG(name##_fentry, struct mmu_notifier_range *range)             \
	{                                                                         \
		return enter(NTF_MECH_FENTRY, CLASS, (__u64)range, 0, 0, 0);      \
	}                                                                         \
	SEC("fexit/" #fn)                                                         \
	int BPF_PROG(name##_fexit, struct mmu_notifier_range *range)              \
	{                                                                         \
		return inval_exit(ctx, CLASS, NTF_MECH_FENTRY, FEXIT_RET, range); \
	}                                                                         \
	SEC("kprobe/" #fn)                                                        \
	int BPF_KPROBE(name##_kprobe, struct mmu_notifier_range *range)           \
	{                                                                         \
		return enter(NTF_MECH_KPROBE, CLASS, (__u64)range, 0, 0, 0);      \
	}                                                                         \
	SEC("kretprobe/" #fn)                                                     \
	int BPF_KRETPROBE(name##_kretprobe)                                       \
	{                                                                         \
		return inval_exit(ctx, CLASS, NTF_MECH_KPROBE, KRET_RET, NULL);   \
	}

INVAL_PROBES(inval_start, __mmu_notifier_invalidate_range_start, NTF_CLASS_INVAL_START,
	     (int)fexit_ret(ctx), (int)PT_REGS_RC(ctx))
INVAL_PROBES(inval_end, __mmu_notifier_invalidate_range_end, NTF_CLASS_INVAL_END, 0, 0)

/* ---- __mmu_notifier_register, mmu_interval_notifier_insert(_locked) ---- */

/* Watches one new subscription of mm until its callback's probe sees it. */
static __always_inline void watch_sub(struct ntf_watch *w, __u64 mm, __u64 sub, __u64 fn,
				      __u32 kind, __u64 start, __u64 last)
{
	struct ntf_pending *p, init = {};

	if (!fn || bpf_map_lookup_elem(&attached_fns, &fn))
		return;
	p = bpf_map_lookup_elem(&pending, &mm);
	if (!p) {
		init.born_ns = bpf_ktime_get_ns();
		if (!bpf_map_update_elem(&pending, &mm, &init, BPF_NOEXIST))
			__sync_fetch_and_add(&w->pending, 1);
		p = bpf_map_lookup_elem(&pending, &mm);
		if (!p) {
			__sync_fetch_and_add(&w->overflow, 1);
			return;
		}
	}
	for (int i = 0; i < NTF_PENDING_SUBS; i++) {
		struct ntf_pending_sub *s = &p->subs[i];

		/* claim a free slot; concurrent registrations of one mm race for it */
		if (__sync_val_compare_and_swap(&s->fn, 0, fn))
			continue;
		s->sub = sub;
		s->start = start;
		s->last = last;
		s->kind = kind;
		s->armed_ns = bpf_ktime_get_ns();
		return;
	}
	__sync_fetch_and_add(&w->overflow, 1);
}

/*
 * Entry keeps the arguments (kretprobes have none at exit); exit watches
 * the subscription if registering succeeded. Not filtered by -p or -c:
 * whoever registers, the callback must be attached for everyone.
 */
static __always_inline int register_enter(__u8 mech, __u64 sub, __u64 mm, bool interval)
{
	/* ts marks a task-storage slot live: any non-zero time will do */
	struct ntf_inflight f = { .ts = 1, .arg = { sub, mm, interval } };

	put_slot(mech, interval ? NTF_SLOT_INSERT : NTF_SLOT_REGISTER, &f);
	return 0;
}

static __always_inline int register_exit(__u8 mech, bool interval, long ret)
{
	struct ntf_watch *w = watch_state();
	struct ntf_inflight f;
	struct ntf_thread *t;
	__u64 sub, mm;

	if (!take_inflight(mech, interval ? NTF_SLOT_INSERT : NTF_SLOT_REGISTER, &f, &t) || !w ||
	    ret)
		return 0;
	sub = f.arg[0];
	mm = f.arg[1];
	/* insert registers a NULL subscription first when mm has none yet */
	if (!sub)
		return 0;
	if (interval) {
		struct mmu_interval_notifier *isub = (void *)sub;
		const struct mmu_interval_notifier_ops *ops = BPF_CORE_READ(isub, ops);

		watch_sub(w, mm, sub, (__u64)BPF_CORE_READ(ops, invalidate), NTF_CB_BOOL,
			  BPF_CORE_READ(isub, interval_tree.start),
			  BPF_CORE_READ(isub, interval_tree.last));
	} else {
		struct mmu_notifier *mn = (void *)sub;
		const struct mmu_notifier_ops *ops = BPF_CORE_READ(mn, ops);

		watch_sub(w, mm, sub, (__u64)BPF_CORE_READ(ops, invalidate_range_start), NTF_CB_INT,
			  0, ~0ULL);
		watch_sub(w, mm, sub, (__u64)BPF_CORE_READ(ops, invalidate_range_end), NTF_CB_VOID,
			  0, ~0ULL);
	}
	__sync_fetch_and_add(&w->registrations, 1);
	return 0;
}

SEC("fentry/__mmu_notifier_register")
int BPF_PROG(register_fentry, struct mmu_notifier *sub, struct mm_struct *mm)
{
	return register_enter(NTF_MECH_FENTRY, (__u64)sub, (__u64)mm, 0);
}

SEC("fexit/__mmu_notifier_register")
int BPF_PROG(register_fexit)
{
	return register_exit(NTF_MECH_FENTRY, false, (int)fexit_ret(ctx));
}

SEC("kprobe/__mmu_notifier_register")
int BPF_KPROBE(register_kprobe, struct mmu_notifier *sub, struct mm_struct *mm)
{
	return register_enter(NTF_MECH_KPROBE, (__u64)sub, (__u64)mm, 0);
}

SEC("kretprobe/__mmu_notifier_register")
int BPF_KRETPROBE(register_kretprobe, int ret)
{
	return register_exit(NTF_MECH_KPROBE, false, ret);
}

#define INSERT_PROBES(name, fn)                                                                \
	SEC("fentry/" #fn)                                                                     \
	int BPF_PROG(name##_fentry, struct mmu_interval_notifier *sub, struct mm_struct *mm)   \
	{                                                                                      \
		return register_enter(NTF_MECH_FENTRY, (__u64)sub, (__u64)mm, 1);              \
	}                                                                                      \
	SEC("fexit/" #fn)                                                                      \
	int BPF_PROG(name##_fexit)                                                             \
	{                                                                                      \
		return register_exit(NTF_MECH_FENTRY, true, (int)fexit_ret(ctx));              \
	}                                                                                      \
	SEC("kprobe/" #fn)                                                                     \
	int BPF_KPROBE(name##_kprobe, struct mmu_interval_notifier *sub, struct mm_struct *mm) \
	{                                                                                      \
		return register_enter(NTF_MECH_KPROBE, (__u64)sub, (__u64)mm, 1);              \
	}                                                                                      \
	SEC("kretprobe/" #fn)                                                                  \
	int BPF_KRETPROBE(name##_kretprobe, int ret)                                           \
	{                                                                                      \
		return register_exit(NTF_MECH_KPROBE, true, ret);                              \
	}

INSERT_PROBES(insert, mmu_interval_notifier_insert)
INSERT_PROBES(insert_locked, mmu_interval_notifier_insert_locked)

/* ---- try_to_unmap_one ---- */

static __always_inline int unmap_enter(__u8 mech, struct folio *folio, struct vm_area_struct *vma,
				       unsigned long address)
{
	bool large = false;
	__u64 flags = 0;

	/* Pinned state is read before the unmap changes the refcount. */
	if (ntf_folio_maybe_dma_pinned(folio, &large))
		flags |= NTF_F_DMA_PINNED;
	if (large)
		flags |= NTF_F_LARGE_FOLIO;
	return enter(mech, NTF_CLASS_UNMAP, (__u64)BPF_CORE_READ(vma, vm_mm), address, flags, 0);
}

static __always_inline int unmap_exit(void *ctx, __u8 mech, bool ret)
{
	struct ntf_inflight f;
	struct ntf_thread *t;
	struct ntf_event e = {};

	if (!take_inflight(mech, NTF_CLASS_UNMAP, &f, &t))
		return 0;
	e.class = NTF_CLASS_UNMAP;
	e.mech = mech;
	e.ts_ns = f.ts;
	e.latency_ns = bpf_ktime_get_ns() - f.ts;
	e.ret = ret;
	e.mm = f.arg[0];
	e.unmap.address = f.arg[1];
	e.flags = (__u32)f.arg[2];
	e.unmap.notifier_ns = f.notifier_ns;
	e.unmap.notifier_calls = f.notifier_calls;
	if (!ret)
		e.flags |= NTF_F_FAILED;
	if (inside_invalidate(mech, t)) {
		e.flags |= NTF_F_NESTED;
		e.callback = current_callback(mech, t);
	}
	fill_task(&e);
	emit(ctx, &e, f.notifier_calls);
	return 0;
}

SEC("fentry/try_to_unmap_one")
int BPF_PROG(unmap_fentry, struct folio *folio, struct vm_area_struct *vma, unsigned long address)
{
	return unmap_enter(NTF_MECH_FENTRY, folio, vma, address);
}

SEC("fexit/try_to_unmap_one")
int BPF_PROG(unmap_fexit)
{
	return unmap_exit(ctx, NTF_MECH_FENTRY, (bool)fexit_ret(ctx));
}

SEC("kprobe/try_to_unmap_one")
int BPF_KPROBE(unmap_kprobe, struct folio *folio, struct vm_area_struct *vma, unsigned long address)
{
	return unmap_enter(NTF_MECH_KPROBE, folio, vma, address);
}

SEC("kretprobe/try_to_unmap_one")
int BPF_KRETPROBE(unmap_kretprobe, bool ret)
{
	return unmap_exit(ctx, NTF_MECH_KPROBE, ret);
}

/* ---- pin_user_pages* and unpin ---- */

static __always_inline int pin_enter(__u8 mech, __u32 variant, __u64 start, __u64 nr_pages,
				     __u64 gup_flags)
{
	return enter(mech, NTF_CLASS_PIN, start, nr_pages, gup_flags, variant);
}

static __always_inline int pin_exit(void *ctx, __u8 mech, long ret)
{
	struct ntf_inflight f;
	struct ntf_thread *t;
	struct ntf_event e = {};
	struct task_struct *task;

	if (!take_inflight(mech, NTF_CLASS_PIN, &f, &t))
		return 0;
	e.class = NTF_CLASS_PIN;
	e.mech = mech;
	e.ts_ns = f.ts;
	e.latency_ns = bpf_ktime_get_ns() - f.ts;
	e.ret = ret;
	task = bpf_get_current_task_btf();
	e.mm = (__u64)BPF_CORE_READ(task, mm);
	e.pin.start = f.arg[0];
	e.pin.nr_pages = (__u32)f.arg[1];
	e.pin.gup_flags = (__u32)f.arg[2];
	e.pin.variant = (__u32)f.arg[3];
	if (ret < 0)
		e.flags |= NTF_F_FAILED;
	if (inside_invalidate(mech, t)) {
		e.flags |= NTF_F_NESTED;
		e.callback = current_callback(mech, t);
	}
	fill_task(&e);
	emit(ctx, &e, ret > 0 ? ret : 0);
	return 0;
}

/*
 * One fentry/fexit and kprobe/kretprobe quartet per exported variant. The
 * argument positions of start, nr_pages and gup_flags are the same on 6.1
 * and 6.18 for each variant.
 */
#define PIN_PROBES(fn, variant, START, NR, FLAGS, ...)                                 \
	SEC("fentry/" #fn)                                                             \
	int BPF_PROG(fn##_fentry, __VA_ARGS__)                                         \
	{                                                                              \
		return pin_enter(NTF_MECH_FENTRY, variant, (__u64)(START), NR, FLAGS); \
	}                                                                              \
	SEC("fexit/" #fn)                                                              \
	int BPF_PROG(fn##_fexit)                                                       \
	{                                                                              \
		return pin_exit(ctx, NTF_MECH_FENTRY, fexit_ret(ctx));                 \
	}                                                                              \
	SEC("kprobe/" #fn)                                                             \
	int BPF_KPROBE(fn##_kprobe, __VA_ARGS__)                                       \
	{                                                                              \
		return pin_enter(NTF_MECH_KPROBE, variant, (__u64)(START), NR, FLAGS); \
	}                                                                              \
	SEC("kretprobe/" #fn)                                                          \
	int BPF_KRETPROBE(fn##_kretprobe, long ret)                                    \
	{                                                                              \
		return pin_exit(ctx, NTF_MECH_KPROBE, ret);                            \
	}

PIN_PROBES(pin_user_pages, NTF_PIN_USER_PAGES, start, nr_pages, gup_flags, unsigned long start,
	   unsigned long nr_pages, unsigned int gup_flags)
PIN_PROBES(pin_user_pages_fast, NTF_PIN_USER_PAGES_FAST, start, nr_pages, gup_flags,
	   unsigned long start, int nr_pages, unsigned int gup_flags)
PIN_PROBES(pin_user_pages_fast_only, NTF_PIN_USER_PAGES_FAST_ONLY, start, nr_pages, gup_flags,
	   unsigned long start, int nr_pages, unsigned int gup_flags)
PIN_PROBES(pin_user_pages_remote, NTF_PIN_USER_PAGES_REMOTE, start, nr_pages, gup_flags,
	   struct mm_struct *mm, unsigned long start, unsigned long nr_pages,
	   unsigned int gup_flags)
PIN_PROBES(pin_user_pages_unlocked, NTF_PIN_USER_PAGES_UNLOCKED, start, nr_pages, gup_flags,
	   unsigned long start, unsigned long nr_pages, struct page **pages, unsigned int gup_flags)

static __always_inline int unpin(void *ctx, __u8 mech, __u64 npages)
{
	struct ntf_event e = {};
	struct ntf_thread *t;

	if (!npages)
		return 0;
	count(NTF_CNT_EVENTS);
	if (task_filtered_out())
		return 0;
	/* one storage get for both lookups below */
	t = task_slots(mech) ? this_thread(false) : NULL;
	e.class = NTF_CLASS_UNPIN;
	e.mech = mech;
	e.ts_ns = bpf_ktime_get_ns();
	e.pin.nr_pages = npages;
	if (inside_invalidate(mech, t)) {
		e.flags |= NTF_F_NESTED;
		e.callback = current_callback(mech, t);
	}
	fill_task(&e);
	emit(ctx, &e, npages);
	return 0;
}

/* An fentry and a kprobe twin per unpin function; PAGES is what it releases. */
#define UNPIN_PROBES(fn, PAGES, ...)                       \
	SEC("fentry/" #fn)                                 \
	int BPF_PROG(fn##_fentry, __VA_ARGS__)             \
	{                                                  \
		return unpin(ctx, NTF_MECH_FENTRY, PAGES); \
	}                                                  \
	SEC("kprobe/" #fn)                                 \
	int BPF_KPROBE(fn##_kprobe, __VA_ARGS__)           \
	{                                                  \
		return unpin(ctx, NTF_MECH_KPROBE, PAGES); \
	}

UNPIN_PROBES(unpin_user_page, 1, struct page *page)
UNPIN_PROBES(unpin_user_pages, npages, struct page **pages, unsigned long npages)
/*
 * unpin_user_pages_dirty_lock(..., false) calls unpin_user_pages(); it is
 * counted there only, so pages are not counted twice.
 */
UNPIN_PROBES(unpin_user_pages_dirty_lock, make_dirty ? npages : 0, struct page **pages,
	     unsigned long npages, bool make_dirty)
UNPIN_PROBES(unpin_user_page_range_dirty_lock, npages, struct page *page, unsigned long npages,
	     bool make_dirty)
/*
 * Folio variants (6.11 on): io_uring releases its buffers with
 * unpin_user_folio(folio, 1) per page from 6.12. unpin_folios() drops one
 * pin per folio, so its pages are counted as the folios it was given.
 */
UNPIN_PROBES(unpin_user_folio, npages, struct folio *folio, unsigned long npages)
UNPIN_PROBES(unpin_folios, nfolios, struct folio **folios, unsigned long nfolios)

/* ---- dma_fence_wait_timeout, or the dma_fence wait tracepoints ---- */

static __always_inline int fence_enter(__u8 mech, struct dma_fence *fence, bool intr, long timeout)
{
	return enter(mech, NTF_CLASS_FENCE_WAIT, (__u64)fence, intr, timeout, 0);
}

static __always_inline int fence_exit(void *ctx, __u8 mech, long ret, bool ret_known)
{
	struct dma_fence *fence;
	struct ntf_inflight f;
	struct ntf_thread *t;
	struct ntf_event e = {};
	struct task_struct *task;

	if (!take_inflight(mech, NTF_CLASS_FENCE_WAIT, &f, &t))
		return 0;
	fence = (struct dma_fence *)f.arg[0];
	e.class = NTF_CLASS_FENCE_WAIT;
	e.mech = mech;
	e.ts_ns = f.ts;
	e.latency_ns = bpf_ktime_get_ns() - f.ts;
	e.ret = ret;
	task = bpf_get_current_task_btf();
	e.mm = (__u64)BPF_CORE_READ(task, mm);
	e.fence.context = BPF_CORE_READ(fence, context);
	e.fence.seqno = BPF_CORE_READ(fence, seqno);
	e.fence.ops = (__u64)BPF_CORE_READ(fence, ops);
	e.fence.timeout = (long)f.arg[2];
	if (f.arg[1])
		e.flags |= NTF_F_INTR;
	/* ret: remaining jiffies, 0 on timeout, -errno (e.g. -ERESTARTSYS). */
	if (ret_known && (ret < 0 || (ret == 0 && e.fence.timeout > 0)))
		e.flags |= NTF_F_FAILED;
	if (inside_invalidate(mech, t)) {
		e.flags |= NTF_F_NESTED;
		e.callback = current_callback(mech, t);
	}
	fill_task(&e);
	emit(ctx, &e, 0);
	return 0;
}

SEC("fentry/dma_fence_wait_timeout")
int BPF_PROG(fence_wait_fentry, struct dma_fence *fence, bool intr, long timeout)
{
	return fence_enter(NTF_MECH_FENTRY, fence, intr, timeout);
}

SEC("fexit/dma_fence_wait_timeout")
int BPF_PROG(fence_wait_fexit)
{
	return fence_exit(ctx, NTF_MECH_FENTRY, fexit_ret(ctx), true);
}

SEC("kprobe/dma_fence_wait_timeout")
int BPF_KPROBE(fence_wait_kprobe, struct dma_fence *fence, bool intr, long timeout)
{
	return fence_enter(NTF_MECH_KPROBE, fence, intr, timeout);
}

SEC("kretprobe/dma_fence_wait_timeout")
int BPF_KRETPROBE(fence_wait_kretprobe, long ret)
{
	return fence_exit(ctx, NTF_MECH_KPROBE, ret, true);
}

/* The tracepoints carry neither timeout nor result: both stay 0. */
SEC("tp_btf/dma_fence_wait_start")
int BPF_PROG(fence_wait_start_tp, struct dma_fence *fence)
{
	return fence_enter(NTF_MECH_TRACEPOINT, fence, false, 0);
}

SEC("tp_btf/dma_fence_wait_end")
int BPF_PROG(fence_wait_end_tp, struct dma_fence *fence)
{
	return fence_exit(ctx, NTF_MECH_TRACEPOINT, 0, false);
}
