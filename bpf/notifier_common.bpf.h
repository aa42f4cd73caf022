/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Maps, filters and helpers every probe object shares. Each object that
 * includes this has its own copies; user space makes them one by reusing
 * the first object's map fds (bpf_map__reuse_fd) before loading the others.
 */
#ifndef NOTIFIER_COMMON_BPF_H
#define NOTIFIER_COMMON_BPF_H

#include "notifier.h"
#include "origin.h"
#include "hist_bucket.h"
#include "hist_key.h"
#include "hist_count.h"
#define NOTIFIER_POLICY_TYPES_ONLY
#include "notifier_policy.h"
#include "core_fixes.bpf.h"

/* Set by user space before load; the verifier prunes what it turns off. */
const volatile struct ntf_config cfg = { .stream = 1, .aggregate = 1 };

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

/* The slots of kprobe entries (struct ntf_slot_places), by thread and slot. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct ntf_inflight_key);
	__type(value, struct ntf_inflight);
} inflight SEC(".maps");

/*
 * Everyone else's: one storage get per program, then plain loads and
 * stores of the thread's own slots, where the hash took a locked update,
 * a lookup and a locked delete per call. Freed with the thread.
 */
struct ntf_thread {
	struct ntf_inflight slot[NTF_SLOTS]; /* live while ts is not 0 */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct ntf_thread);
} threads SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ntf_slot_places);
} slot_places SEC(".maps");

/*
 * Where a kprobe without task storage keeps its own slots, and reads the
 * others' (ntf_slot_places.mirror: copies of them), by the thread's id's
 * low bits and the slot. An array: a slot costs a compare-and-swap and
 * plain stores, where the in-flight hash took a locked update and a
 * locked delete on every call (6.1's pair of an invalidate: 3.8 us
 * emulated against 2.1 without). While another thread with the same low
 * bits holds the place, the slot goes to the hash; the last element
 * counts those (NTF_MIRROR_SPILLS), so that a search for a slot that is
 * not there, the usual case, looks up no hash while none is.
 */
#define NTF_MIRROR_THREADS 1024
#define NTF_MIRROR_SPILLS (NTF_MIRROR_THREADS * NTF_SLOTS)

struct ntf_mirror_slot {
	__u32 owner; /* 1 + the thread's id; 0: free */
	__u32 pad;
	struct ntf_inflight f;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, (NTF_MIRROR_SPILLS + 1));
	__type(key, __u32);
	__type(value, struct ntf_mirror_slot);
} mirror SEC(".maps");

/*
 * Per-CPU, so the hot path updates its own copy with plain stores: no
 * atomic, no cache line bouncing between CPUs. Not preallocated: a key
 * costs memory on every CPU, and most keys never occur.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4096); /* resized by user space */
	__type(key, struct ntf_hist_key);
	__type(value, struct ntf_hist);
} hists SEC(".maps");

/* Fine buckets per key: per-CPU as hists, only the buckets used. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536); /* resized by user space */
	__type(key, struct ntf_bucket_key);
	__type(value, __u64);
} buckets SEC(".maps");

/*
 * The name each process had when its first per-process key was made, so
 * a report read after the process exited still names it. Written once
 * per new key, never on the hot path; LRU keeps it bounded.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, char[NTF_COMM_LEN]);
} comms SEC(".maps");

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

/*
 * Kernel stacks of slow and failed events, by id. Taken without
 * BPF_F_REUSE_STACKID: an id, once given, keeps its stack for as long as
 * the map lives, so user space reading it after the event (the ring
 * buffer between them) gets the very stack the event saw. A stack whose
 * bucket another holds is lost instead (NTF_F_STACK_LOST), and user space
 * never deletes: a deleted id could be given to another stack while an
 * event naming the old one still waits in the ring buffer.
 */
struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, NTF_STACK_ENTRIES); /* 1 when stacks are off: set by user space */
	__type(key, __u32);
	__uint(value_size, NTF_STACK_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

/*
 * The callback ids a driver filter streams (cfg.stream_by_callback): 1
 * kept. An array user space updates as discovery names drivers, so a
 * driver found mid-run is judged here too.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NTF_STREAM_CALLBACK_SLOTS);
	__type(key, __u32);
	__type(value, __u8);
} stream_callbacks SEC(".maps");

/*
 * By callback id, its driver's name as a policy sees it (struct
 * notifier_policy_event's driver): user space writes it before the
 * callback's probes attach. Read only where the tracer judges events in
 * the kernel.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NTF_STREAM_CALLBACK_SLOTS);
	__type(key, __u32);
	__type(value, char[NTF_COMM_LEN]);
} policy_drivers SEC(".maps");

/* The gates of cfg.rule_gated (struct ntf_rule_gates): one value, rewritten whole. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ntf_rule_gates);
} rule_gates SEC(".maps");

/*
 * By callback id, the gates whose driver or callback condition it meets
 * (bit 1 << gate): user space updates it as discovery names callbacks.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NTF_STREAM_CALLBACK_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
} gate_callbacks SEC(".maps");

/* Signal gates' limit windows, by gate (struct ntf_gate_state). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NTF_RULE_GATES);
	__type(key, __u32);
	__type(value, struct ntf_gate_state);
} gate_state SEC(".maps");

/* A gate's cgroup (its by_cgroup), by gate: a cgroup v2 directory's fd, from user space. */
struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, NTF_RULE_GATES);
	__type(key, __u32);
	__type(value, __u32);
} gate_cgroups SEC(".maps");

/* Registration watch: see struct ntf_pending in notifier.h. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64); /* mm */
	__type(value, struct ntf_pending);
} pending SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NTF_DISCOVER_MAX);
	__type(key, __u64); /* callback address */
	__type(value, struct ntf_unseen);
} unseen SEC(".maps");

/* Callbacks whose probes user space has attached: their registrations need no watch. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NTF_DISCOVER_MAX);
	__type(key, __u64);
	__type(value, __u32);
} attached_fns SEC(".maps");

/* Memory-mapped: user space reads the news and takes from pending without a syscall. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ntf_watch);
} watch SEC(".maps");

static __always_inline struct ntf_watch *watch_state(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&watch, &zero);
}

/* Whether any registration is watched: one array load, the usual answer no. */
static __always_inline bool watching(void)
{
	struct ntf_watch *w = watch_state();

	return w && w->pending;
}

static const struct ntf_hist zero_hist;

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		(*v)++;
}

static __always_inline bool task_filtered_out(void)
{
	if (cfg.tgid && (bpf_get_current_pid_tgid() >> 32) != cfg.tgid)
		return true;
	if (cfg.cgroup_id && bpf_get_current_cgroup_id() != cfg.cgroup_id)
		return true;
	return false;
}

static __always_inline struct ntf_inflight_key inflight_key(__u32 slot)
{
	struct ntf_inflight_key key = {
		.tid = (__u32)bpf_get_current_pid_tgid(),
		.class = slot,
	};
	return key;
}

/*
 * Whether a program of rung mech keeps its slots in task storage. Where
 * kprobes may not, the verifier never sees their storage calls: the
 * branch on read-only config is dead for it.
 */
static __always_inline bool task_slots(__u8 mech)
{
	return mech != NTF_MECH_KPROBE || cfg.kprobe_task_slots;
}

static __always_inline const struct ntf_slot_places *slot_places_now(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&slot_places, &zero);
}

/* This thread's slots; NULL when it has none yet and create is false. */
static __always_inline struct ntf_thread *this_thread(bool create)
{
	return bpf_task_storage_get(&threads, bpf_get_current_task_btf(), 0,
				    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
}

/* The thread's live slot in task storage, for a program that may look there. */
static __always_inline struct ntf_inflight *task_slot(__u8 mech, struct ntf_thread *t, __u32 slot)
{
	if (!task_slots(mech) || !t || slot >= NTF_SLOTS || !t->slot[slot].ts)
		return NULL;
	return &t->slot[slot];
}

/* The thread's place for slot's copy in the mirror (NULL only for the verifier). */
static __always_inline struct ntf_mirror_slot *mirror_place(__u32 tid, __u32 slot)
{
	__u32 i = (tid & (NTF_MIRROR_THREADS - 1)) * NTF_SLOTS + slot;

	return slot < NTF_SLOTS ? bpf_map_lookup_elem(&mirror, &i) : NULL;
}

/* The thread's place for slot in the mirror when the thread holds it, else NULL. */
static __always_inline struct ntf_mirror_slot *held_place(__u32 slot)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct ntf_mirror_slot *m = mirror_place(tid, slot);

	return m && m->owner == tid + 1 ? m : NULL;
}

/*
 * Slots in the hash, where the mirror had no room: counted in the owner
 * field of the mirror's last element. Only a thread's own slots are
 * searched, so the count need only be right for it: raised once its slot
 * is in, lowered once taken out. An overwrite raises it twice, which
 * costs lookups, never a slot.
 */
static __always_inline void spills_add(__u32 n)
{
	__u32 i = NTF_MIRROR_SPILLS;
	struct ntf_mirror_slot *s = bpf_map_lookup_elem(&mirror, &i);

	if (s)
		__sync_fetch_and_add(&s->owner, n);
}

/* Whether the hash may hold a slot (true, too, where the mirror is a stub: 6.2 on). */
static __always_inline bool spilled(void)
{
	__u32 i = NTF_MIRROR_SPILLS;
	struct ntf_mirror_slot *s = bpf_map_lookup_elem(&mirror, &i);

	return !s || s->owner;
}

/* The thread's copy of slot in the mirror, live; NULL when it is not there. */
static __always_inline struct ntf_inflight *mirror_slot(__u32 slot)
{
	struct ntf_mirror_slot *m = held_place(slot);

	return m && m->f.ts ? &m->f : NULL;
}

/*
 * The thread's slot where a kprobe entry may have put it: for a reader with
 * task storage, the mirror first; then the hash, when anything spilled.
 */
static __always_inline struct ntf_inflight *hash_slot(__u8 mech, __u32 slot)
{
	struct ntf_inflight_key key;

	if (task_slots(mech)) {
		const struct ntf_slot_places *p = slot_places_now();
		struct ntf_inflight *m;

		if (!p || !(p->hash_slots & (1u << slot)))
			return NULL;
		/* a kprobe's, in the mirror first */
		m = mirror_slot(slot);
		if (m)
			return m;
	}
	if (!spilled())
		return NULL;
	key = inflight_key(slot);
	return bpf_map_lookup_elem(&inflight, &key);
}

/*
 * Another class's live slot on this thread, wherever its entry put it.
 * t: this thread's storage, or NULL when the program has none at hand.
 */
static __always_inline struct ntf_inflight *find_slot(__u8 mech, struct ntf_thread *t, __u32 slot)
{
	struct ntf_inflight *f;

	if (task_slots(mech) && !t)
		t = this_thread(false);
	f = task_slot(mech, t, slot);
	/* a kprobe without task storage: the copy, in the mirror or else the hash */
	if (!f && !task_slots(mech))
		f = mirror_slot(slot);
	return f ? f : hash_slot(mech, slot);
}

/* The callback whose callback runs on this thread now; 0 if none. */
static __always_inline __u32 current_callback(__u8 mech, struct ntf_thread *t)
{
	struct ntf_inflight *f = find_slot(mech, t, NTF_CLASS_CALLBACK);

	return f ? (__u32)f->arg[1] : 0;
}

static __always_inline bool inside_invalidate(__u8 mech, struct ntf_thread *t)
{
	return find_slot(mech, t, NTF_CLASS_INVAL_START) || find_slot(mech, t, NTF_CLASS_INVAL_END);
}

/*
 * Copies f into the thread's place in the mirror; false when another
 * thread holds it. Only the owner writes a place, so a claim is all that
 * needs to be atomic.
 */
static __always_inline bool put_mirror(__u32 slot, const struct ntf_inflight *f)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct ntf_mirror_slot *m = mirror_place(tid, slot);

	if (!m)
		return false;
	if (m->owner != tid + 1 && __sync_val_compare_and_swap(&m->owner, 0, tid + 1))
		return false;
	__builtin_memcpy(&m->f, f, sizeof(*f));
	return true;
}

/*
 * Ends the copy of the thread's slot *f was taken from, wherever
 * put_slot put it: what a kprobe charged to the copy (charge_unmap) is
 * added to *f, since the two were charged apart.
 */
static __always_inline void take_copy(__u32 slot, struct ntf_inflight *f)
{
	struct ntf_mirror_slot *m = held_place(slot);
	struct ntf_inflight_key key;
	struct ntf_inflight *c;

	if (m) {
		f->notifier_ns += m->f.notifier_ns;
		f->notifier_calls += m->f.notifier_calls;
		m->f.ts = 0;
		m->owner = 0;
		return;
	}
	if (!spilled())
		return;
	key = inflight_key(slot);
	c = bpf_map_lookup_elem(&inflight, &key);
	if (!c)
		return;
	f->notifier_ns += c->notifier_ns;
	f->notifier_calls += c->notifier_calls;
	if (!bpf_map_delete_elem(&inflight, &key))
		spills_add(-1);
}

/* Opens slot for this call on this thread; false when there is no room. */
static __always_inline bool put_slot(__u8 mech, __u32 slot, const struct ntf_inflight *f)
{
	struct ntf_inflight_key key;

	if (task_slots(mech)) {
		struct ntf_thread *t = this_thread(true);
		const struct ntf_slot_places *p;

		if (!t || slot >= NTF_SLOTS)
			return false;
		__builtin_memcpy(&t->slot[slot], f, sizeof(*f));
		p = slot_places_now();
		if (!p || !p->mirror)
			return true;
		if (put_mirror(slot, f))
			return true;
	} else if (put_mirror(slot, f)) {
		return true;
	}
	/* BPF_ANY: a stale slot left by a thread that died mid-probe is reused. */
	key = inflight_key(slot);
	if (bpf_map_update_elem(&inflight, &key, f, BPF_ANY))
		return false;
	spills_add(1);
	return true;
}

static __always_inline int enter(__u8 mech, __u32 class, __u64 a0, __u64 a1, __u64 a2, __u64 a3)
{
	struct ntf_inflight f = {};

	count(NTF_CNT_EVENTS);
	if (task_filtered_out())
		return 0;
	f.arg[0] = a0;
	f.arg[1] = a1;
	f.arg[2] = a2;
	f.arg[3] = a3;
	f.ts = bpf_ktime_get_ns();
	if (!put_slot(mech, class, &f))
		count(NTF_CNT_INFLIGHT_DROPS);
	return 0;
}

/*
 * Takes this call's slot out into *f; false when there was none (the
 * entry was filtered out, or attached after the call began). *tp gets the
 * thread's storage for the caller's other lookups (NULL for kprobes).
 */
static __always_inline bool take_inflight(__u8 mech, __u32 slot, struct ntf_inflight *f,
					  struct ntf_thread **tp)
{
	struct ntf_inflight_key key;
	struct ntf_inflight *found;
	struct ntf_mirror_slot *m;

	*tp = NULL;
	if (task_slots(mech)) {
		const struct ntf_slot_places *p;
		struct ntf_thread *t = this_thread(false);

		found = task_slot(mech, t, slot);
		if (!found)
			return false;
		__builtin_memcpy(f, found, sizeof(*f));
		found->ts = 0;
		*tp = t;
		p = slot_places_now();
		if (p && p->mirror)
			take_copy(slot, f);
		return true;
	}
	/* a kprobe without task storage: its place in the mirror, or the hash */
	m = held_place(slot);
	if (m && m->f.ts) {
		__builtin_memcpy(f, &m->f, sizeof(*f));
		m->f.ts = 0;
		m->owner = 0;
		return true;
	}
	if (!spilled())
		return false;
	key = inflight_key(slot);
	found = bpf_map_lookup_elem(&inflight, &key);
	if (!found)
		return false;
	__builtin_memcpy(f, found, sizeof(*f));
	if (!bpf_map_delete_elem(&inflight, &key))
		spills_add(-1);
	return true;
}

static __always_inline void fill_task(struct ntf_event *e)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct task_struct *task;
	unsigned int pf;

	e->pid = (__u32)id;
	e->tgid = id >> 32;
	/* Histograms keep none of the rest but what the origin needs. */
	if (!cfg.stream && !cfg.by_origin)
		return;
	/* a trusted pointer: plain loads, not helper calls */
	task = bpf_get_current_task_btf();
	pf = task->flags;
	if (pf & NTF_PF_KTHREAD) {
		e->flags |= NTF_F_KTHREAD;
		e->syscall_nr = NTF_ENTRY_UNKNOWN;
	} else {
		e->syscall_nr = ntf_task_syscall_nr(task);
	}
	if (pf & NTF_PF_MEMALLOC)
		e->flags |= NTF_F_MEMALLOC;
	if (pf & NTF_PF_KSWAPD)
		e->flags |= NTF_F_KSWAPD;
	if (pf & NTF_PF_EXITING)
		e->flags |= NTF_F_EXITING;
	/* A kernel thread's origin is in its name. */
	if (cfg.stream || (pf & NTF_PF_KTHREAD))
		bpf_get_current_comm(e->comm, sizeof(e->comm));
	if (!cfg.stream)
		return;
	e->cgroup_id = bpf_get_current_cgroup_id();
}

/* The process's name: its group leader's, as /proc/PID/comm has it. */
static __always_inline void remember_comm(__u32 tgid)
{
	struct task_struct *task = bpf_get_current_task_btf();
	char comm[NTF_COMM_LEN] = {};

	BPF_CORE_READ_STR_INTO(&comm, task, group_leader, comm);
	bpf_map_update_elem(&comms, &tgid, comm, BPF_ANY);
}

static const __u64 zero_count;

static __always_inline void count_bucket(const struct ntf_hist_key *hk, __u64 ns)
{
	struct ntf_bucket_key key = { .key = *hk, .bucket = ntf_bucket_index(ns) };
	__u64 *n = bpf_map_lookup_elem(&buckets, &key);

	if (!n) {
		bpf_map_update_elem(&buckets, &key, &zero_count, BPF_NOEXIST);
		n = bpf_map_lookup_elem(&buckets, &key);
		if (!n) {
			count(NTF_CNT_HIST_DROPS);
			return;
		}
	}
	(*n)++; /* this CPU's copy, as the histogram's */
}

/*
 * e into its histogram. A global function, checked by the verifier once
 * on its own: inlined, its branches were walked again on every path of
 * every handler, most of the cost of loading the object.
 */
__noinline int ntf_aggregate(const struct ntf_event *e, __u64 pages)
{
	struct ntf_hist_key key = {};
	struct ntf_hist *h;
	__u64 slot;

	/* the verifier's rule for a global function's pointer */
	if (!e)
		return 0;
	key.class = e->class;
	key.callback = e->callback;
	key.tgid = cfg.per_process ? e->tgid : 0;
	key.origin = cfg.by_origin ? ntf_origin_of(e, (const __u8 *)cfg.syscall_origins) :
				     NTF_ORIGIN_MAX;

	if (cfg.by_cgroup)
		key.cgroup_id = bpf_get_current_cgroup_id();
	if (cfg.by_blockable)
		key.blockable = ntf_blockable_key(e);
	h = bpf_map_lookup_elem(&hists, &key);
	if (!h) {
		if (cfg.per_process)
			remember_comm(key.tgid);
		bpf_map_update_elem(&hists, &key, &zero_hist, BPF_NOEXIST);
		h = bpf_map_lookup_elem(&hists, &key);
		if (!h) {
			count(NTF_CNT_HIST_DROPS);
			return 0;
		}
	}
	/*
	 * This CPU's copy: no other CPU writes it. Only a program preempting
	 * this one on the same CPU could race, and lose a count at most.
	 */
	ntf_hist_count(h, e, pages);
	slot = ntf_log2(e->latency_ns);
	if (slot >= NTF_HIST_SLOTS)
		slot = NTF_HIST_SLOTS - 1;
	h->slots[slot]++;
	count_bucket(&key, e->latency_ns);
	return 0;
}

/*
 * The kernel stack of a streamed event that was slow or failed. Taken
 * where the event is emitted: at exit for timed calls, so the stack is
 * the path that called the traced function (user space puts the function
 * itself first when the stack does not show it). ctx is the program's
 * own: fentry/fexit, tp_btf and kprobe programs may all pass theirs.
 */
static __always_inline void take_stack(void *ctx, struct ntf_event *e)
{
	long id;

	if (!cfg.stacks || (e->latency_ns < cfg.stack_min_ns && !(e->flags & NTF_F_FAILED)))
		return;
	id = bpf_get_stackid(ctx, &stacks, 0);
	if (id >= 0)
		e->stack_id = (__u32)id + 1;
	else
		e->flags |= NTF_F_STACK_LOST;
}

static __always_inline bool gate_tri_holds(__u8 want, bool has)
{
	return want == NTF_GATE_ANY || (want == NTF_GATE_YES) == has;
}

static __always_inline bool gate_holds(const struct ntf_rule_gate *r, __u32 i,
				       const struct ntf_event *e, const __u32 *cb_gates)
{
	if (r->class_mask && !(r->class_mask & (1u << e->class)))
		return false;
	if (e->latency_ns < r->lat_min_ns || (r->lat_max_ns && e->latency_ns > r->lat_max_ns))
		return false;
	if (r->tgid && e->tgid != r->tgid)
		return false;
	if (!gate_tri_holds(r->failed, e->flags & NTF_F_FAILED))
		return false;
	if (r->blockable != NTF_GATE_ANY &&
	    ((e->flags & NTF_F_BLOCKABLE_UNKNOWN) ||
	     !gate_tri_holds(r->blockable, e->flags & NTF_F_BLOCKABLE)))
		return false;
	/* a callback id past the map: its driver is judged in user space */
	if (r->by_callback && e->callback < NTF_STREAM_CALLBACK_SLOTS &&
	    !(cb_gates && (*cb_gates & (1u << i))))
		return false;
	/* the task the event runs in, now: the cgroup the event carries */
	if (r->by_cgroup && bpf_current_task_under_cgroup(&gate_cgroups, i) != 1)
		return false;
	return true;
}

/*
 * Gate i's signal for e, within its limit: to the thread the event runs
 * in, as it runs (pending, it is taken on the way back to user space, so
 * the task makes no further call). A kernel thread is refused, as the
 * daemon would be, but counted: a limit counts tries, not successes.
 */
static __always_inline void gate_signal(const struct ntf_rule_gates *g,
					const struct ntf_rule_gate *r, __u32 i, struct ntf_event *e)
{
	struct ntf_gate_state *s = bpf_map_lookup_elem(&gate_state, &i);
	__u64 now = bpf_ktime_get_ns(), start;

	/* the daemon's own reclaim: never itself */
	if (!s || e->tgid == g->self_tgid)
		return;
	e->flags |= NTF_F_KSIGNAL;
	start = s->window_start;
	/* one CPU opens the next window; a racing one may count into either */
	if ((!start || now - start >= r->limit_ns) &&
	    __sync_val_compare_and_swap(&s->window_start, start, now) == start)
		s->used = 0;
	if (__sync_fetch_and_add(&s->used, 1) >= r->limit)
		return;
	if ((bpf_get_current_task_btf()->flags & NTF_PF_KTHREAD) ||
	    bpf_send_signal_thread(r->signal))
		e->flags |= NTF_F_KSIGNAL_FAILED;
	else
		e->flags |= NTF_F_KSIGNAL_SENT;
}

/*
 * Whether e passes a gate of rule_gates (a rule may match it: see struct
 * ntf_rule_gate); the first signal gate it passes signals. A global
 * function, which the verifier checks once on its own: inlined into each
 * handler, its walk of the gates multiplied the handler's paths past the
 * verifier's limit (6.12, an invalidate's exit with -H).
 */
__noinline int ntf_gates_pass(struct ntf_event *e)
{
	__u32 zero = 0, id, *cb_gates = NULL;
	struct ntf_rule_gates *g;
	bool passed = false;

	if (!e)
		return 0;
	g = bpf_map_lookup_elem(&rule_gates, &zero);
	if (!g)
		return 0;
	id = e->callback;
	if (id < NTF_STREAM_CALLBACK_SLOTS)
		cb_gates = bpf_map_lookup_elem(&gate_callbacks, &id);
	for (__u32 i = 0; i < NTF_RULE_GATES; i++) {
		const struct ntf_rule_gate *r = &g->gate[i];

		if (i >= g->n)
			break;
		if (!gate_holds(r, i, e, cb_gates))
			continue;
		passed = true;
		if (r->signal && !(e->flags & NTF_F_KSIGNAL))
			gate_signal(g, r, i, e);
		/* on for a signal gate only while one may be left */
		if (!g->signal_gates || (e->flags & NTF_F_KSIGNAL))
			break;
	}
	return passed;
}

/* Whether the full stream's filters keep e. */
static __always_inline bool stream_keeps(const struct ntf_event *e)
{
	if (e->latency_ns < cfg.min_stream_ns)
		return false;
	if (cfg.stream_classes && !(cfg.stream_classes & (1u << e->class)))
		return false;
	if (cfg.stream_by_callback) {
		__u32 id = e->callback;
		__u8 *keep = bpf_map_lookup_elem(&stream_callbacks, &id);

		if (!keep || !*keep)
			return false;
	}
	/* random, not every Nth: a periodic pattern in the workload cannot alias with it */
	return cfg.stream_sample <= 1 || !(bpf_get_prandom_u32() % cfg.stream_sample);
}

#ifdef NTF_POLICY_KFUNC
/* The companion module's (kmod/notifier_policy): the attached struct_ops policy's answer. */
extern __u32 notifier_policy_judge(struct notifier_policy_event *ev) __ksym;

/* The attached policy's answer for e, in e->policy: the daemon routes the event by it. */
static __always_inline void judge(struct ntf_event *e, __u64 pages)
{
	struct notifier_policy_event pe = {
		.ts_ns = e->ts_ns,
		.latency_ns = e->latency_ns,
		.cgroup_id = e->cgroup_id,
		.ret = e->ret,
		.pages = pages,
		.pid = e->pid,
		.tgid = e->tgid,
		.flags = e->flags,
		.callback = e->callback,
		.syscall_nr = e->syscall_nr,
		.class = e->class,
		.origin = ntf_origin_of(e, (const __u8 *)cfg.syscall_origins),
		.mech = e->mech,
	};
	__u32 id = e->callback;
	char *driver;

	__builtin_memcpy(pe.comm, e->comm, sizeof(pe.comm));
	if (id) {
		driver = bpf_map_lookup_elem(&policy_drivers, &id);
		if (driver)
			__builtin_memcpy(pe.driver, driver, sizeof(pe.driver));
	}
	e->policy = notifier_policy_judge(&pe);
}
#else
static __always_inline void judge(struct ntf_event *e, __u64 pages)
{
}
#endif

static __always_inline void emit(void *ctx, struct ntf_event *e, __u64 pages)
{
	bool gated = false;

	if (cfg.aggregate)
		ntf_aggregate(e, pages);
	if (cfg.rules_in_kernel)
		gated = ntf_gates_pass(e);
	if (cfg.stream ? !stream_keeps(e) : !(cfg.rule_gated && gated))
		return;
	/* what a histogram's event left out (fill_task) and a rule may ask of */
	if (!cfg.stream) {
		e->cgroup_id = bpf_get_current_cgroup_id();
		if (!(e->flags & NTF_F_KTHREAD))
			bpf_get_current_comm(e->comm, sizeof(e->comm));
	}
	judge(e, pages);
	/* last: only events that will be streamed pay for a stack walk */
	take_stack(ctx, e);
	if (bpf_ringbuf_output(&events, e, sizeof(*e), 0))
		count(NTF_CNT_RB_DROPS);
}

/*
 * Time spent in invalidates is charged to an unmap in flight on this
 * thread; a start/end pair counts as one call.
 */
static __always_inline void charge_unmap(__u8 mech, struct ntf_thread *t, __u64 ns, bool is_start)
{
	struct ntf_inflight *u;

	/* a constant the verifier prunes by: a kprobe's search is two lookups */
	if (cfg.probed_classes && !(cfg.probed_classes & (1u << NTF_CLASS_UNMAP)))
		return;
	u = find_slot(mech, t, NTF_CLASS_UNMAP);
	if (!u)
		return;
	/* the slot is this thread's own: no other writer */
	u->notifier_ns += ns;
	if (is_start)
		u->notifier_calls++;
}

/*
 * A field of the probed function's argument: typed (BTF) in fentry/fexit
 * programs, where it is a plain load the JIT guards, where a kprobe needs
 * a helper call (raw: the pointer the entry kept).
 */
#define ARG_FIELD(mech, typed, raw, field) \
	((mech) == NTF_MECH_KPROBE ? BPF_CORE_READ(raw, field) : (typed)->field)

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

#endif /* NOTIFIER_COMMON_BPF_H */
