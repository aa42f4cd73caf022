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
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "notifier.h"
#include "core_fixes.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by user space before load; the verifier prunes what they turn off. */
const volatile bool stream_events = true;
const volatile bool aggregate = true;
const volatile bool per_process = false;
const volatile __u32 targ_tgid = 0;
const volatile __u64 targ_cgroup = 0;
const volatile __u64 min_stream_ns = 0;

struct ntf_inflight_key {
	__u32 tid;
	__u32 class;
};

struct ntf_inflight {
	__u64 ts;
	__u64 arg[4];
	__u64 notifier_ns;
	__u32 notifier_calls;
	__u32 flags;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct ntf_inflight_key);
	__type(value, struct ntf_inflight);
} inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096); /* resized by user space */
	__type(key, struct ntf_hist_key);
	__type(value, struct ntf_hist);
} hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NTF_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20); /* resized by user space */
} events SEC(".maps");

static const struct ntf_hist zero_hist;

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		(*v)++;
}

/* 64-bit all through: 6.1's verifier loses the bound of a 32-bit index. */
static __always_inline __u64 log2_u64(__u64 v)
{
	__u64 r = 0, shift;

	shift = (v > 0xffffffffULL) << 5;
	v >>= shift;
	r |= shift;
	shift = (v > 0xffff) << 4;
	v >>= shift;
	r |= shift;
	shift = (v > 0xff) << 3;
	v >>= shift;
	r |= shift;
	shift = (v > 0xf) << 2;
	v >>= shift;
	r |= shift;
	shift = (v > 0x3) << 1;
	v >>= shift;
	r |= shift;
	r |= (v >> 1);
	return r;
}

static __always_inline bool task_filtered_out(void)
{
	if (targ_tgid && (bpf_get_current_pid_tgid() >> 32) != targ_tgid)
		return true;
	if (targ_cgroup && bpf_get_current_cgroup_id() != targ_cgroup)
		return true;
	return false;
}

static __always_inline struct ntf_inflight_key inflight_key(__u32 class)
{
	struct ntf_inflight_key key = {
		.tid = (__u32)bpf_get_current_pid_tgid(),
		.class = class,
	};
	return key;
}

static __always_inline bool inside_invalidate(void)
{
	struct ntf_inflight_key key = inflight_key(NTF_CLASS_INVAL_START);

	if (bpf_map_lookup_elem(&inflight, &key))
		return true;
	key.class = NTF_CLASS_INVAL_END;
	return bpf_map_lookup_elem(&inflight, &key) != NULL;
}

static __always_inline int enter(__u32 class, __u64 a0, __u64 a1, __u64 a2, __u64 a3)
{
	struct ntf_inflight_key key;
	struct ntf_inflight f = {};

	count(NTF_CNT_EVENTS);
	if (task_filtered_out())
		return 0;
	key = inflight_key(class);
	f.arg[0] = a0;
	f.arg[1] = a1;
	f.arg[2] = a2;
	f.arg[3] = a3;
	f.ts = bpf_ktime_get_ns();
	/* BPF_ANY: a stale slot left by a thread that died mid-probe is reused. */
	if (bpf_map_update_elem(&inflight, &key, &f, BPF_ANY))
		count(NTF_CNT_INFLIGHT_DROPS);
	return 0;
}

/* Takes the in-flight slot out of the map into *f; false when there was none. */
static __always_inline bool take_inflight(__u32 class, struct ntf_inflight *f)
{
	struct ntf_inflight_key key = inflight_key(class);
	struct ntf_inflight *slot = bpf_map_lookup_elem(&inflight, &key);

	if (!slot) {
		/* The entry was filtered out, or attached after the call began. */
		return false;
	}
	__builtin_memcpy(f, slot, sizeof(*f));
	bpf_map_delete_elem(&inflight, &key);
	return true;
}

static __always_inline void fill_task(struct ntf_event *e)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 id = bpf_get_current_pid_tgid();
	unsigned int pf = BPF_CORE_READ(task, flags);

	e->pid = (__u32)id;
	e->tgid = id >> 32;
	e->cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	if (pf & NTF_PF_KTHREAD) {
		e->flags |= NTF_F_KTHREAD;
		e->syscall_nr = -1;
	} else {
		e->syscall_nr = ntf_task_syscall_nr(task);
	}
	if (pf & NTF_PF_MEMALLOC)
		e->flags |= NTF_F_MEMALLOC;
	if (pf & NTF_PF_KSWAPD)
		e->flags |= NTF_F_KSWAPD;
	if (pf & NTF_PF_EXITING)
		e->flags |= NTF_F_EXITING;
}

static __always_inline void update_max(__u64 *max, __u64 v)
{
	/* Bounded retries: a lost race only under-reports max by a hair. */
	for (int i = 0; i < 4; i++) {
		__u64 old = *max;

		if (v <= old)
			return;
		if (__sync_val_compare_and_swap(max, old, v) == old)
			return;
	}
}

static __always_inline void aggregate_event(const struct ntf_event *e, __u64 pages)
{
	struct ntf_hist_key key = {
		.class = e->class,
		.subscriber = e->subscriber,
		.tgid = per_process ? e->tgid : 0,
	};
	struct ntf_hist *h;
	__u64 slot;

	h = bpf_map_lookup_elem(&hists, &key);
	if (!h) {
		bpf_map_update_elem(&hists, &key, &zero_hist, BPF_NOEXIST);
		h = bpf_map_lookup_elem(&hists, &key);
		if (!h) {
			count(NTF_CNT_HIST_DROPS);
			return;
		}
	}
	__sync_fetch_and_add(&h->count, 1);
	__sync_fetch_and_add(&h->sum_ns, e->latency_ns);
	if (e->flags & NTF_F_FAILED)
		__sync_fetch_and_add(&h->failures, 1);
	if (e->flags & NTF_F_NESTED)
		__sync_fetch_and_add(&h->nested, 1);
	if ((e->class == NTF_CLASS_INVAL_START || e->class == NTF_CLASS_INVAL_END) &&
	    !(e->flags & NTF_F_BLOCKABLE))
		__sync_fetch_and_add(&h->nonblock, 1);
	if (pages)
		__sync_fetch_and_add(&h->pages, pages);
	slot = log2_u64(e->latency_ns);
	if (slot >= NTF_HIST_SLOTS)
		slot = NTF_HIST_SLOTS - 1;
	__sync_fetch_and_add(&h->slots[slot], 1);
	update_max(&h->max_ns, e->latency_ns);
}

static __always_inline void emit(struct ntf_event *e, __u64 pages)
{
	if (aggregate)
		aggregate_event(e, pages);
	if (!stream_events || e->latency_ns < min_stream_ns)
		return;
	if (bpf_ringbuf_output(&events, e, sizeof(*e), 0))
		count(NTF_CNT_RB_DROPS);
}

/*
 * Time spent in invalidates is charged to an unmap in flight on this
 * thread; a start/end pair counts as one call.
 */
static __always_inline void charge_unmap(__u64 ns, bool is_start)
{
	struct ntf_inflight_key key = inflight_key(NTF_CLASS_UNMAP);
	struct ntf_inflight *u = bpf_map_lookup_elem(&inflight, &key);

	if (!u)
		return;
	__sync_fetch_and_add(&u->notifier_ns, ns);
	if (is_start)
		__sync_fetch_and_add(&u->notifier_calls, 1);
}

/*
 * The fexit return value sits after the arguments, whose number changed
 * across versions for some targets (pin_user_pages lost vmas in 6.5); the
 * helper finds it whatever the count.
 */
static __always_inline long fexit_ret(void *ctx)
{
	__u64 ret = 0;

	bpf_get_func_ret(ctx, &ret);
	return (long)ret;
}

/* ---- __mmu_notifier_invalidate_range_start / _end ---- */

static __always_inline int inval_exit(__u32 class, __u8 mech, long ret)
{
	struct mmu_notifier_range *range;
	struct ntf_inflight f;
	struct ntf_event e = {};
	__u64 now = bpf_ktime_get_ns();

	if (!take_inflight(class, &f))
		return 0;
	range = (struct mmu_notifier_range *)f.arg[0];
	e.class = class;
	e.mech = mech;
	e.ts_ns = f.ts;
	e.latency_ns = now - f.ts;
	e.ret = ret;
	e.mm = (__u64)BPF_CORE_READ(range, mm);
	e.range.start = BPF_CORE_READ(range, start);
	e.range.end = BPF_CORE_READ(range, end);
	e.range.event = BPF_CORE_READ(range, event);
	if (bpf_core_field_exists(range->owner))
		e.range.owner = (__u64)BPF_CORE_READ(range, owner);
	if (BPF_CORE_READ(range, flags) & NTF_MMU_NOTIFIER_RANGE_BLOCKABLE)
		e.flags |= NTF_F_BLOCKABLE;
	if (ret)
		e.flags |= NTF_F_FAILED;
	fill_task(&e);
	charge_unmap(e.latency_ns, class == NTF_CLASS_INVAL_START);
	emit(&e, 0);
	return 0;
}

SEC("fentry/__mmu_notifier_invalidate_range_start")
int BPF_PROG(inval_start_fentry, struct mmu_notifier_range *range)
{
	return enter(NTF_CLASS_INVAL_START, (__u64)range, 0, 0, 0);
}

SEC("fexit/__mmu_notifier_invalidate_range_start")
int BPF_PROG(inval_start_fexit)
{
	return inval_exit(NTF_CLASS_INVAL_START, NTF_MECH_FENTRY, (int)fexit_ret(ctx));
}

SEC("kprobe/__mmu_notifier_invalidate_range_start")
int BPF_KPROBE(inval_start_kprobe, struct mmu_notifier_range *range)
{
	return enter(NTF_CLASS_INVAL_START, (__u64)range, 0, 0, 0);
}

SEC("kretprobe/__mmu_notifier_invalidate_range_start")
int BPF_KRETPROBE(inval_start_kretprobe, int ret)
{
	return inval_exit(NTF_CLASS_INVAL_START, NTF_MECH_KPROBE, ret);
}

/* 6.1 has a second argument (only_end), 6.6 on does not; only range is read. */
SEC("fentry/__mmu_notifier_invalidate_range_end")
int BPF_PROG(inval_end_fentry, struct mmu_notifier_range *range)
{
	return enter(NTF_CLASS_INVAL_END, (__u64)range, 0, 0, 0);
}

SEC("fexit/__mmu_notifier_invalidate_range_end")
int BPF_PROG(inval_end_fexit)
{
	return inval_exit(NTF_CLASS_INVAL_END, NTF_MECH_FENTRY, 0);
}

SEC("kprobe/__mmu_notifier_invalidate_range_end")
int BPF_KPROBE(inval_end_kprobe, struct mmu_notifier_range *range)
{
	return enter(NTF_CLASS_INVAL_END, (__u64)range, 0, 0, 0);
}

SEC("kretprobe/__mmu_notifier_invalidate_range_end")
int BPF_KRETPROBE(inval_end_kretprobe)
{
	return inval_exit(NTF_CLASS_INVAL_END, NTF_MECH_KPROBE, 0);
}

/* ---- try_to_unmap_one ---- */

static __always_inline int unmap_enter(struct folio *folio, struct vm_area_struct *vma,
				       unsigned long address)
{
	bool large = false;
	__u64 flags = 0;

	/* Pinned state is read before the unmap changes the refcount. */
	if (ntf_folio_maybe_dma_pinned(folio, &large))
		flags |= NTF_F_DMA_PINNED;
	if (large)
		flags |= NTF_F_LARGE_FOLIO;
	return enter(NTF_CLASS_UNMAP, (__u64)BPF_CORE_READ(vma, vm_mm), address, flags, 0);
}

static __always_inline int unmap_exit(__u8 mech, bool ret)
{
	struct ntf_inflight f;
	struct ntf_event e = {};

	if (!take_inflight(NTF_CLASS_UNMAP, &f))
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
	if (inside_invalidate())
		e.flags |= NTF_F_NESTED;
	fill_task(&e);
	emit(&e, f.notifier_calls);
	return 0;
}

SEC("fentry/try_to_unmap_one")
int BPF_PROG(unmap_fentry, struct folio *folio, struct vm_area_struct *vma, unsigned long address)
{
	return unmap_enter(folio, vma, address);
}

SEC("fexit/try_to_unmap_one")
int BPF_PROG(unmap_fexit)
{
	return unmap_exit(NTF_MECH_FENTRY, (bool)fexit_ret(ctx));
}

SEC("kprobe/try_to_unmap_one")
int BPF_KPROBE(unmap_kprobe, struct folio *folio, struct vm_area_struct *vma, unsigned long address)
{
	return unmap_enter(folio, vma, address);
}

SEC("kretprobe/try_to_unmap_one")
int BPF_KRETPROBE(unmap_kretprobe, bool ret)
{
	return unmap_exit(NTF_MECH_KPROBE, ret);
}

/* ---- pin_user_pages* and unpin ---- */

static __always_inline int pin_enter(__u32 variant, __u64 start, __u64 nr_pages, __u64 gup_flags)
{
	return enter(NTF_CLASS_PIN, start, nr_pages, gup_flags, variant);
}

static __always_inline int pin_exit(__u8 mech, long ret)
{
	struct ntf_inflight f;
	struct ntf_event e = {};
	struct task_struct *task;

	if (!take_inflight(NTF_CLASS_PIN, &f))
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
	if (inside_invalidate())
		e.flags |= NTF_F_NESTED;
	fill_task(&e);
	emit(&e, ret > 0 ? ret : 0);
	return 0;
}

/*
 * One fentry/fexit and kprobe/kretprobe quartet per exported variant. The
 * argument positions of start, nr_pages and gup_flags are the same on 6.1
 * and 6.18 for each variant.
 */
#define PIN_PROBES(fn, variant, START, NR, FLAGS, ...)                                  \
	SEC("fentry/" #fn)                                                              \
	int BPF_PROG(fn##_fentry, __VA_ARGS__)                                          \
	{                                                                               \
		return pin_enter(variant, (__u64)(START), NR, FLAGS);                  \
	}                                                                               \
	SEC("fexit/" #fn)                                                               \
	int BPF_PROG(fn##_fexit)                                                        \
	{                                                                               \
		return pin_exit(NTF_MECH_FENTRY, fexit_ret(ctx));                      \
	}                                                                               \
	SEC("kprobe/" #fn)                                                              \
	int BPF_KPROBE(fn##_kprobe, __VA_ARGS__)                                        \
	{                                                                               \
		return pin_enter(variant, (__u64)(START), NR, FLAGS);                  \
	}                                                                               \
	SEC("kretprobe/" #fn)                                                           \
	int BPF_KRETPROBE(fn##_kretprobe, long ret)                                     \
	{                                                                               \
		return pin_exit(NTF_MECH_KPROBE, ret);                                  \
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
	   unsigned long start, unsigned long nr_pages, struct page **pages,
	   unsigned int gup_flags)

static __always_inline int unpin(__u8 mech, __u64 npages)
{
	struct ntf_event e = {};

	if (!npages)
		return 0;
	count(NTF_CNT_EVENTS);
	if (task_filtered_out())
		return 0;
	e.class = NTF_CLASS_UNPIN;
	e.mech = mech;
	e.ts_ns = bpf_ktime_get_ns();
	e.pin.nr_pages = npages;
	if (inside_invalidate())
		e.flags |= NTF_F_NESTED;
	fill_task(&e);
	emit(&e, npages);
	return 0;
}

/* An fentry and a kprobe twin per unpin function; PAGES is what it releases. */
#define UNPIN_PROBES(fn, PAGES, ...)                                                     \
	SEC("fentry/" #fn)                                                              \
	int BPF_PROG(fn##_fentry, __VA_ARGS__)                                          \
	{                                                                               \
		return unpin(NTF_MECH_FENTRY, PAGES);                                   \
	}                                                                               \
	SEC("kprobe/" #fn)                                                              \
	int BPF_KPROBE(fn##_kprobe, __VA_ARGS__)                                        \
	{                                                                               \
		return unpin(NTF_MECH_KPROBE, PAGES);                                   \
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

/* ---- dma_fence_wait_timeout, or the dma_fence wait tracepoints ---- */

static __always_inline int fence_enter(struct dma_fence *fence, bool intr, long timeout)
{
	return enter(NTF_CLASS_FENCE_WAIT, (__u64)fence, intr, timeout, 0);
}

static __always_inline int fence_exit(__u8 mech, long ret, bool ret_known)
{
	struct dma_fence *fence;
	struct ntf_inflight f;
	struct ntf_event e = {};
	struct task_struct *task;

	if (!take_inflight(NTF_CLASS_FENCE_WAIT, &f))
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
	if (inside_invalidate())
		e.flags |= NTF_F_NESTED;
	fill_task(&e);
	emit(&e, 0);
	return 0;
}

SEC("fentry/dma_fence_wait_timeout")
int BPF_PROG(fence_wait_fentry, struct dma_fence *fence, bool intr, long timeout)
{
	return fence_enter(fence, intr, timeout);
}

SEC("fexit/dma_fence_wait_timeout")
int BPF_PROG(fence_wait_fexit)
{
	return fence_exit(NTF_MECH_FENTRY, fexit_ret(ctx), true);
}

SEC("kprobe/dma_fence_wait_timeout")
int BPF_KPROBE(fence_wait_kprobe, struct dma_fence *fence, bool intr, long timeout)
{
	return fence_enter(fence, intr, timeout);
}

SEC("kretprobe/dma_fence_wait_timeout")
int BPF_KRETPROBE(fence_wait_kretprobe, long ret)
{
	return fence_exit(NTF_MECH_KPROBE, ret, true);
}

/* The tracepoints carry neither timeout nor result: both stay 0. */
SEC("tp_btf/dma_fence_wait_start")
int BPF_PROG(fence_wait_start_tp, struct dma_fence *fence)
{
	return fence_enter(fence, false, 0);
}

SEC("tp_btf/dma_fence_wait_end")
int BPF_PROG(fence_wait_end_tp, struct dma_fence *fence)
{
	return fence_exit(NTF_MECH_TRACEPOINT, 0, false);
}
