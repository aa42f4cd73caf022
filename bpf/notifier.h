/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Types shared by the BPF programs and user space. Includes neither
 * vmlinux.h nor libc, so both sides can use it as is.
 */
#ifndef NOTIFIER_H
#define NOTIFIER_H

#define NTF_COMM_LEN 16
/* log2 buckets: slot i holds [2^i, 2^(i+1)) ns; the last one takes the rest (~68 s up). */
#define NTF_HIST_SLOTS 36

enum ntf_class {
	NTF_CLASS_NONE = 0,
	NTF_CLASS_INVAL_START, /* __mmu_notifier_invalidate_range_start */
	NTF_CLASS_INVAL_END, /* __mmu_notifier_invalidate_range_end */
	NTF_CLASS_UNMAP, /* try_to_unmap_one */
	NTF_CLASS_PIN, /* pin_user_pages* */
	NTF_CLASS_UNPIN, /* unpin_user_page* */
	NTF_CLASS_FENCE_WAIT, /* dma_fence_wait_timeout or its tracepoints */
	NTF_CLASS_CALLBACK, /* one callback's invalidate callback */
	NTF_CLASS_MAX,
};

/* The chain's own classes, whose events carry a range; 1 or 0, with no branch. */
static inline int ntf_class_is_invalidate(__u32 class)
{
	return (class == NTF_CLASS_INVAL_START) | (class == NTF_CLASS_INVAL_END);
}

/* How an event was delivered: the attach ladder's rung. */
enum ntf_mech {
	NTF_MECH_NONE = 0,
	NTF_MECH_FENTRY,
	NTF_MECH_KPROBE,
	NTF_MECH_TRACEPOINT,
	NTF_MECH_MAX,
};

/* Which exported gup function pinned. */
enum ntf_pin_variant {
	NTF_PIN_USER_PAGES = 0,
	NTF_PIN_USER_PAGES_FAST,
	NTF_PIN_USER_PAGES_FAST_ONLY,
	NTF_PIN_USER_PAGES_REMOTE,
	NTF_PIN_USER_PAGES_UNLOCKED,
	NTF_PIN_VARIANT_MAX,
};

/* What started an event; derived in user space from the task and syscall. */
enum ntf_origin {
	NTF_ORIGIN_UNKNOWN = 0,
	NTF_ORIGIN_MUNMAP,
	NTF_ORIGIN_MPROTECT,
	NTF_ORIGIN_MADVISE,
	NTF_ORIGIN_MREMAP,
	NTF_ORIGIN_MMAP,
	NTF_ORIGIN_BRK,
	NTF_ORIGIN_FORK,
	NTF_ORIGIN_EXIT,
	NTF_ORIGIN_FAULT,
	NTF_ORIGIN_SYSCALL, /* another syscall: syscall_nr says which */
	NTF_ORIGIN_KSWAPD,
	NTF_ORIGIN_DIRECT_RECLAIM,
	NTF_ORIGIN_KCOMPACTD,
	NTF_ORIGIN_KHUGEPAGED,
	NTF_ORIGIN_MIGRATION,
	NTF_ORIGIN_OOM_REAPER,
	NTF_ORIGIN_KWORKER,
	NTF_ORIGIN_KTHREAD, /* another kernel thread: comm says which */
	NTF_ORIGIN_MAX,
};

/* Event flags. The task-state bits are copied from task->flags in BPF. */
enum ntf_flag {
	NTF_F_BLOCKABLE = 1u << 0, /* MMU_NOTIFIER_RANGE_BLOCKABLE */
	NTF_F_NESTED = 1u << 1, /* inside an invalidate on the same task */
	NTF_F_DMA_PINNED = 1u << 2, /* unmap: folio_maybe_dma_pinned() */
	NTF_F_KTHREAD = 1u << 3,
	NTF_F_MEMALLOC = 1u << 4, /* PF_MEMALLOC: reclaim context */
	NTF_F_KSWAPD = 1u << 5,
	NTF_F_EXITING = 1u << 6,
	NTF_F_INTR = 1u << 7, /* fence: interruptible wait */
	NTF_F_FAILED = 1u << 8, /* non-zero/negative/false result */
	NTF_F_LARGE_FOLIO = 1u << 9,
	NTF_F_BLOCKABLE_UNKNOWN = 1u << 10, /* a tracepoint that does not say */
	/*
	 * A stack was due (slow or failed, with stacks on) but the stack map
	 * refused it: full, or its bucket taken by another stack.
	 */
	NTF_F_STACK_LOST = 1u << 11,
	/*
	 * A rule's gate with the signal action matched (the first such gate:
	 * one signal an event at most), and the kernel judged its signal:
	 * sent to the thread, or held back by the rule's limit, or refused
	 * (a kernel thread; the helper's error).
	 */
	NTF_F_KSIGNAL = 1u << 12,
	NTF_F_KSIGNAL_SENT = 1u << 13,
	NTF_F_KSIGNAL_FAILED = 1u << 14,
};

/*
 * Kernel stacks (bpf_get_stackid): frames kept of each, and the stack
 * map's entries when stacks are on (a single one when off: the map must
 * exist for the programs to load, but need not hold anything). Ids are
 * below the map's entries.
 */
#define NTF_STACK_DEPTH 32
#define NTF_STACK_ENTRIES 8192

struct ntf_range_info {
	__u64 start;
	__u64 end;
	__u64 owner; /* range->owner (MIGRATE/EXCLUSIVE), 0 when absent */
	__u32 event; /* enum mmu_notifier_event */
	__u32 pad;
};

struct ntf_unmap_info {
	__u64 address;
	__u64 notifier_ns; /* time spent in invalidates this unmap caused */
	__u32 notifier_calls;
	__u32 pad;
	__u64 pad2;
};

struct ntf_pin_info {
	__u64 start;
	__u32 nr_pages; /* pages asked for (unpin: pages released) */
	__u32 gup_flags;
	__u32 variant; /* enum ntf_pin_variant */
	__u32 pad;
	__u64 pad2;
};

struct ntf_fence_info {
	__u64 context; /* the fence's timeline */
	__u64 seqno;
	__u64 ops; /* fence->ops address: names the driver through kallsyms */
	__s64 timeout; /* jiffies; LONG_MAX for "forever"; 0 when unknown */
};

/*
 * syscall_nr when the task is not in a syscall. On x86-64 the exception
 * entry stores -1 in orig_ax (the error code goes to the handler), so -1
 * in a user task means an exception, in practice a page fault (an
 * interrupt never invalidates: notifiers may sleep) or work done on the
 * way back to user space after one.
 */
#define NTF_ENTRY_EXCEPTION (-1)
#define NTF_ENTRY_UNKNOWN (-2) /* kernel threads; architectures not read */

/* One record in the ring buffer. Fixed size: decoding checks it. */
struct ntf_event {
	__u64 ts_ns; /* CLOCK_MONOTONIC at entry */
	__u64 latency_ns;
	__u64 cgroup_id;
	__u64 mm;
	__s64 ret;
	__u32 pid; /* thread id */
	__u32 tgid;
	__u32 flags; /* enum ntf_flag */
	__u32 callback; /* callback id; 0: the notifier chain as a whole or none */
	__s32 syscall_nr; /* how the task entered: a syscall number, or NTF_ENTRY_* */
	__u16 class; /* enum ntf_class */
	__u8 mech; /* enum ntf_mech */
	__u8 origin; /* enum ntf_origin, filled by user space */
	char comm[NTF_COMM_LEN];
	union {
		struct ntf_range_info range;
		struct ntf_unmap_info unmap;
		struct ntf_pin_info pin;
		struct ntf_fence_info fence;
	};
	/*
	 * The kernel stack that led here; 0: none. From BPF, the stacks map's
	 * id + 1 (ids start at 0); read from a trace file, the file's own
	 * stack id. After the union, whose fence member leaves no padding:
	 * the record grows from 112 to 120 bytes (128 in the ring buffer with
	 * its header, two cache lines).
	 */
	__u32 stack_id;
	/*
	 * The in-kernel policy's answer (NOTIFIER_JUDGED and the rest, in
	 * notifier_policy.h), where the tracer calls the companion module's
	 * kfunc; 0: not judged in the kernel.
	 */
	__u32 policy;
};

/* Callback slots one callback object carries (bpf/callback.bpf.c). */
#define NTF_SUB_SLOTS 16

/* How a callback callback reports failure. */
enum ntf_cb_kind {
	NTF_CB_INT = 0, /* ops->invalidate_range_start: 0 or -EAGAIN */
	NTF_CB_BOOL, /* interval ops->invalidate: false when it could not */
	NTF_CB_VOID, /* ops->invalidate_range_end */
	/*
	 * ops->arch_invalidate_secondary_tlbs (invalidate_range before 6.6):
	 * (mn, mm, start, end), no range struct, so found but not traced.
	 */
	NTF_CB_TLB,
};

/*
 * Subscriber discovery (bpf/discover.bpf.c): the callbacks that live
 * registrations of any mm point at, keyed by the function's address.
 */
#define NTF_DISCOVER_MAX 256

struct ntf_discovered {
	__u32 kind; /* enum ntf_cb_kind: which ops field pointed here */
	__u32 pad;
	__u64 registrations; /* registrations pointing here, over all mms */
	__u64 mms; /* address spaces with at least one */
	__u64 last_mm; /* private: the mm counted last, so each counts once */
};

/*
 * Registrations whose callbacks no probe has seen yet (bpf/notifier.bpf.c):
 * per mm, the subscriptions made since a probe on the register and insert
 * functions saw them, until their callback's probe is attached and live.
 * While one is not live, every call the chain makes to it is counted as
 * unseen, so a new driver's first calls are never silently lost.
 */
#define NTF_PENDING_SUBS 8

struct ntf_pending_sub {
	__u64 sub; /* the subscription: the callback's first argument */
	__u64 fn; /* the callback's address; 0: free slot */
	__u64 start, last; /* the range it watches, inclusive */
	/*
	 * When registering returned, written last: only chain calls that
	 * began later are sure to reach it (an earlier one, or an interval
	 * insert deferred by an invalidation in progress, may not).
	 */
	__u64 armed_ns;
	__u32 kind; /* enum ntf_cb_kind */
	__u32 live; /* its probe has run for this subscription */
};

struct ntf_pending {
	__u64 born_ns;
	struct ntf_pending_sub subs[NTF_PENDING_SUBS];
};

/* Calls the chain made to a callback while its probe had not seen it. */
struct ntf_unseen {
	__u64 calls;
	/* the chain failed: it may have stopped before reaching the callback */
	__u64 maybe;
};

/* Shared, memory-mapped state of the registration watch. */
struct ntf_watch {
	__u64 registrations; /* seen by the register/insert probes: news to rescan */
	__u64 pending; /* entries in the pending map (BPF adds, user space takes) */
	__u64 overflow; /* registrations not watched: map or slots full */
	__u64 pad;
};

/*
 * A thread's calls in flight: one slot per class, and two for the
 * registrations the watch follows (insert may call register inside it).
 */
#define NTF_SLOT_REGISTER NTF_CLASS_MAX
#define NTF_SLOT_INSERT (NTF_CLASS_MAX + 1)
#define NTF_SLOTS (NTF_CLASS_MAX + 2)

/*
 * Where in-flight slots live, for the programs that read another
 * class's slot (is this pin inside an invalidate, which callback runs).
 * fentry/fexit and tp_btf programs keep theirs in task-local storage;
 * kprobes cannot use it before 6.2 (cfg.kprobe_task_slots says whether
 * they can), so there a kprobe's entry keeps its slot in the inflight
 * hash. User space sets this after each attach.
 */
struct ntf_slot_places {
	__u32 hash_slots; /* 1 << slot: some entry of that slot is a kprobe */
	__u32 mirror; /* a kprobe reads other slots: task-storage slots are copied (the mirror map) */
};

/* Whether an invalidate's range may sleep, as a histogram key splits it. */
enum ntf_blockable_key {
	NTF_BLK_NONE = 0, /* not split, or a class without ranges */
	NTF_BLK_YES,
	NTF_BLK_NO, /* the OOM reaper's ranges */
	NTF_BLK_UNKNOWN, /* a tracepoint that does not say */
	NTF_BLK_MAX,
};

/*
 * In-kernel aggregation key. tgid is 0 when per-process keys are off;
 * origin is NTF_ORIGIN_MAX when keys carry none; cgroup_id and blockable
 * are 0 unless `hist --by` splits by them.
 */
struct ntf_hist_key {
	__u32 class;
	__u32 callback;
	__u32 tgid;
	__u32 origin; /* enum ntf_origin */
	__u64 cgroup_id;
	__u32 blockable; /* enum ntf_blockable_key */
	__u32 pad;
};

struct ntf_hist {
	__u64 count;
	__u64 sum_ns;
	__u64 max_ns;
	__u64 min_ns; /* of count events; meaningless while count is 0 */
	__u64 failures;
	__u64 pages; /* pin/unpin: pages; unmap: notifier calls caused */
	__u64 nested; /* events inside an invalidate on the same task */
	__u64 nonblock; /* invalidates of non-blockable ranges (OOM reaper) */
	__u64 slots[NTF_HIST_SLOTS];
};

/*
 * One fine bucket of one key (bpf/hist_bucket.h): its count is the value.
 * Kept apart from struct ntf_hist so a key costs only the buckets its
 * latencies fall in, not 1,025 counters on every CPU.
 */
struct ntf_bucket_key {
	struct ntf_hist_key key;
	__u32 bucket;
	__u32 pad;
};

/* Syscall numbers the origin table covers; higher ones are NTF_ORIGIN_SYSCALL. */
#define NTF_SYSCALL_ORIGINS 512

/*
 * What user space tells every BPF object before load, in .rodata: one
 * struct set in one place (tracer.c), copied as is into each object, so a
 * new filter is a field here, its check in BPF and its option.
 */
/*
 * Callback ids a stream filter can keep (the stream_callbacks map):
 * user/core/callbacks.h's NTF_CALLBACK_IDS fit.
 */
#define NTF_STREAM_CALLBACK_SLOTS 128

struct ntf_config {
	__u64 cgroup_id; /* 0: every cgroup */
	__u64 min_stream_ns; /* stream only events at least this slow */
	/* with stacks on: the kernel stack of streamed events this slow, and of every failed one */
	__u64 stack_min_ns;
	__u32 tgid; /* 0: every process */
	__u32 stream_classes; /* stream only these: 1 << enum ntf_class each; 0: every class */
	__u32 stream_sample; /* stream one event in this many, at random; 0 or 1: all */
	/*
	 * 1 << enum ntf_class of the probe points loaded (notifier hist -e);
	 * 0: all. A handler looks for no slot of a class never probed.
	 */
	__u32 probed_classes;
	__u8 stream; /* per-event records through the ring buffer */
	__u8 aggregate; /* in-kernel histograms */
	__u8 per_process; /* histogram keys carry the tgid */
	__u8 by_origin; /* histogram keys carry the origin (bpf/origin.h) */
	__u8 by_cgroup; /* histogram keys carry the cgroup id */
	__u8 by_blockable; /* histogram keys carry enum ntf_blockable_key */
	__u8 stacks; /* streamed events carry a kernel stack (stack_min_ns, failures) */
	__u8 stream_by_callback; /* stream only the callback ids stream_callbacks keeps */
	__u8 kprobe_task_slots; /* kprobes may use task storage (6.2 on): their slots go there too */
	__u8 rules_in_kernel; /* rule_gates judged on every event: for rule_gated, for signals */
	__u8 rule_gated; /* no full stream: stream what passes a gate of rule_gates (notifierd -H --rules) */
	__u8 syscall_origins[NTF_SYSCALL_ORIGINS]; /* enum ntf_origin by syscall number */
};

/*
 * What the kernel judges of a rule (query/rules.h) when notifierd keeps no
 * full stream (-H): an event streams when it passes one gate. A gate holds
 * the rule's conditions the kernel can judge; the daemon judges all of them
 * again, and those left out here (origin, comm, cgroup, a count), on what
 * passes. Gates are a superset of the rules, never less.
 */
#define NTF_RULE_GATES 16

enum ntf_gate_tri { NTF_GATE_ANY = 0, NTF_GATE_YES, NTF_GATE_NO };

struct ntf_rule_gate {
	__u64 lat_min_ns;
	__u64 lat_max_ns; /* 0: no bound */
	__u64 limit_ns; /* signal's: at most limit signals per limit_ns */
	__u32 class_mask; /* 1 << enum ntf_class each; 0: any */
	__u32 tgid; /* 0: any */
	__u32 limit;
	__u8 failed; /* enum ntf_gate_tri */
	__u8 blockable; /* enum ntf_gate_tri; a tracepoint's unknown is neither */
	/* a driver or callback condition: gate_callbacks' bit 1 << gate, by callback id */
	__u8 by_callback;
	/* a cgroup condition: the task under gate_cgroups' cgroup at the gate's index */
	__u8 by_cgroup;
	/*
	 * The rule's signal action, sent here, to the thread the event runs in,
	 * as the event happens: only for a rule the kernel judges whole.
	 */
	__u8 signal;
	__u8 pad[3];
};

/* The rule_gates map's one value: n gates in use (reloads rewrite it whole). */
struct ntf_rule_gates {
	__u32 n;
	__u32 signal_gates; /* gates with a signal */
	__u32 self_tgid; /* the daemon's: never signalled */
	__u32 pad;
	struct ntf_rule_gate gate[NTF_RULE_GATES];
};

/* A signal gate's limit window (the gate_state map, by gate; zeroed with new gates). */
struct ntf_gate_state {
	__u64 window_start; /* CLOCK_MONOTONIC of its first signal; 0: none yet */
	__u64 used; /* signals the window took (sent or refused) */
};

/* Indexes of the per-CPU counters array. */
enum ntf_counter {
	NTF_CNT_RB_DROPS = 0, /* ring buffer full: event lost */
	NTF_CNT_HIST_DROPS, /* hist map full: aggregation lost */
	NTF_CNT_INFLIGHT_DROPS, /* in-flight map full: the call is not measured */
	NTF_CNT_EVENTS, /* events seen by BPF, before filters */
	NTF_CNT_MAX,
};

#endif /* NOTIFIER_H */
