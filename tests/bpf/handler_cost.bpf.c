// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The probes' own handler code, timed where fentry and kprobes are
 * refused: raw_tp programs run by BPF_PROG_TEST_RUN loop (bpf_loop) over
 * an invalidate's entry and exit as bpf/notifier.bpf.c handles them
 * (enter(), then inval_exit() with its probe reads, filters, origin and
 * aggregation, and the ring buffer when streaming), against an empty
 * loop, against the two clock reads any timing tool makes, and against
 * the handlers a bpftrace script of the same
 * histograms compiles to. tests/bench/bench_handler.c turns the loops'
 * times into nanoseconds per pair.
 *
 * The whole of notifier.bpf.c is included, so what is timed is its code,
 * not a copy; user space loads only the programs below.
 */
#include "notifier.bpf.c"

/* A range for inval_exit() to read: room for this kernel's struct, filled by the program. */
char range_mem[256] __attribute__((aligned(8)));
__u32 loops;

/* bpftrace's @start[tid] = nsecs; @h[class, pid, comm] = hist(nsecs - @start[tid]) */
struct bt_key {
	__u64 class;
	__u64 pid;
	char comm[NTF_COMM_LEN];
	__u64 slot;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u64);
} bt_start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct bt_key);
	__type(value, __u64);
} bt_hist SEC(".maps");

static long empty_once(__u64 i, void *c)
{
	return 0;
}

/* Every timing tool's floor: the clock read at entry and at exit. */
__u64 clock_sink;

static long clock_once(__u64 i, void *c)
{
	__u64 start = bpf_ktime_get_ns();

	clock_sink += bpf_ktime_get_ns() - start;
	return 0;
}

static long notifier_once(__u64 i, void *c)
{
	enter(NTF_MECH_FENTRY, NTF_CLASS_INVAL_START, (__u64)range_mem, 0, 0, 0);
	inval_exit(NULL, NTF_CLASS_INVAL_START, NTF_MECH_FENTRY, 0,
		   (const struct mmu_notifier_range *)range_mem);
	return 0;
}

/* The same pair by kprobes where they have no task storage (6.1): notifier hist -k. */
static long notifier_kprobe_once(__u64 i, void *c)
{
	enter(NTF_MECH_KPROBE, NTF_CLASS_INVAL_START, (__u64)range_mem, 0, 0, 0);
	inval_exit(NULL, NTF_CLASS_INVAL_START, NTF_MECH_KPROBE, 0, NULL);
	return 0;
}

/* The parts of notifier_once, timed apart: where a pair's time goes. */
static long slots_once(__u64 i, void *c)
{
	struct ntf_inflight f;
	struct ntf_thread *t;

	enter(NTF_MECH_FENTRY, NTF_CLASS_INVAL_START, (__u64)range_mem, 0, 0, 0);
	take_inflight(NTF_MECH_FENTRY, NTF_CLASS_INVAL_START, &f, &t);
	return 0;
}

static long task_once(__u64 i, void *c)
{
	struct ntf_event e = {};

	count(NTF_CNT_EVENTS);
	fill_task(&e);
	clock_sink += e.syscall_nr;
	return 0;
}

static long aggregate_once(__u64 i, void *c)
{
	struct ntf_event e = {
		.class = NTF_CLASS_INVAL_START,
		.latency_ns = 3000 + (i & 1023),
		.flags = NTF_F_BLOCKABLE,
		.pid = 1,
		.tgid = 1,
	};

	ntf_aggregate(&e, 0);
	return 0;
}

static long bpftrace_once(__u64 i, void *c)
{
	__u64 tid = (__u32)bpf_get_current_pid_tgid(), now = bpf_ktime_get_ns(), *t, *n, one = 1;
	struct bt_key k = { .class = NTF_CLASS_INVAL_START };

	bpf_map_update_elem(&bt_start, &tid, &now, BPF_ANY);
	/* the exit */
	t = bpf_map_lookup_elem(&bt_start, &tid);
	if (!t)
		return 0;
	k.pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(k.comm, sizeof(k.comm));
	k.slot = ntf_log2(bpf_ktime_get_ns() - *t);
	n = bpf_map_lookup_elem(&bt_hist, &k);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&bt_hist, &k, &one, BPF_ANY);
	bpf_map_delete_elem(&bt_start, &tid);
	return 0;
}

/*
 * libbpf-tools' funclatency: the start by thread in a hash, a log2 slot
 * of a global array at exit (its kprobe and kretprobe programs' bodies).
 */
__u64 funclat_hist[64];

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, __u64);
} funclat_starts SEC(".maps");

static long funclatency_once(__u64 i, void *c)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 now = bpf_ktime_get_ns(), *start, slot;

	bpf_map_update_elem(&funclat_starts, &tid, &now, BPF_ANY);
	/* the exit */
	start = bpf_map_lookup_elem(&funclat_starts, &tid);
	if (!start)
		return 0;
	slot = ntf_log2(bpf_ktime_get_ns() - *start);
	bpf_map_delete_elem(&funclat_starts, &tid);
	if (slot < 64)
		__sync_fetch_and_add(&funclat_hist[slot], 1);
	return 0;
}

/* A program that runs NAME_once a loop's worth of times. */
#define LOOP(name)                                     \
	SEC("raw_tp")                                  \
	int loop_##name(void *ctx)                     \
	{                                              \
		bpf_loop(loops, name##_once, NULL, 0); \
		return 0;                              \
	}

LOOP(empty)
LOOP(clock)
LOOP(slots)
LOOP(task)
LOOP(aggregate)
LOOP(bpftrace)
LOOP(funclatency)

/* A blockable range of 16 pages, at this kernel's offsets (CO-RE): false when it does not fit. */
static __always_inline bool fill_range(void)
{
	struct mmu_notifier_range *r = (void *)range_mem;

	if (bpf_core_type_size(struct mmu_notifier_range) > sizeof(range_mem))
		return false;
	r->start = 0x7f0000000000ULL;
	r->end = 0x7f0000010000ULL;
	r->flags = NTF_MMU_NOTIFIER_RANGE_BLOCKABLE;
	return true;
}

SEC("raw_tp")
int loop_notifier(void *ctx)
{
	if (!fill_range())
		return 1;
	bpf_loop(loops, notifier_once, NULL, 0);
	return 0;
}

SEC("raw_tp")
int loop_notifier_kprobe(void *ctx)
{
	if (!fill_range())
		return 1;
	bpf_loop(loops, notifier_kprobe_once, NULL, 0);
	return 0;
}
