// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The probes' handler cost on this machine's kernel, which refuses
 * fentry and has no kprobes: tests/bpf/handler_cost.bpf.c runs an
 * invalidate's entry and exit handlers (bpf/notifier.bpf.c's own code)
 * in a bpf_loop under BPF_PROG_TEST_RUN. Side by side, in one run:
 *
 *   empty loop            the loop alone: subtracted from the others
 *   two clock reads       bpf_ktime_get_ns at entry and exit: the floor
 *                         under any tool that times a call (in the test
 *                         bed's guest, an emulated HPET read each)
 *   the in-flight slot, the task's fields, the histogram update
 *                         notifier hist -P's pair in parts, each timed
 *                         alone: where its time goes
 *   notifier hist         histograms only, as `notifier hist` loads them
 *   notifier hist -P      the same, keyed by process too
 *   ... kprobe readers    the same where a kprobe reads the slots (6.1's
 *                         pin_user_pages_remote): they are copied for it
 *   notifierd             every event also into the ring buffer
 *   ... + 4 rules         the same with four rules none of which matches
 *                         (their gates judged on every event)
 *   notifierd -H, 4 rules histograms, and the rules' gates as the stream
 *   bpftrace-like         what a bpftrace script of the same histogram
 *                         does per call: a hash of tid -> start, a hash
 *                         of (class, pid, comm, slot) -> count
 *
 * Each is the best of ROUNDS runs of LOOPS pairs, in nanoseconds per
 * entry+exit pair; ratios against bpftrace-like. The JIT runs what the
 * verifier passed, as on a traced machine; probe attachment itself
 * (trampolines, kprobe breakpoints) is not in these figures.
 *
 * Usage: bench_handler [LOOPS]   (root)
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "notifier.h"
#include "handler_cost.skel.h"

#define ROUNDS 7

enum variant {
	EMPTY,
	CLOCK,
	SLOTS,
	TASK,
	AGGREGATE,
	HIST,
	HIST_P,
	HIST_P_MIRROR,
	STREAM,
	STREAM_RULES,
	HIST_RULES,
	BPFTRACE,
	HIST_K_ONE,
	FUNCLATENCY,
	VARIANTS
};

static const char *const names[VARIANTS] = {
	[EMPTY] = "empty loop",
	[CLOCK] = "two clock reads",
	[SLOTS] = "the in-flight slot",
	[TASK] = "the task's fields",
	[AGGREGATE] = "the histogram update",
	[HIST] = "notifier hist",
	[HIST_P] = "notifier hist -P",
	[HIST_P_MIRROR] = "... kprobe readers",
	[STREAM] = "notifierd (streaming)",
	[STREAM_RULES] = "... + 4 rules, no match",
	[HIST_RULES] = "notifierd -H, 4 rules",
	[BPFTRACE] = "bpftrace-like",
	[HIST_K_ONE] = "notifier hist -k -e inval_start",
	[FUNCLATENCY] = "funclatency-like",
};

/*
 * As where a kprobe reads other classes' slots (6.1, where kprobes have no
 * task storage and pin_user_pages_remote takes one): the slots of
 * fentry programs are kept where a kprobe can read them too.
 */
static int set_kprobe_readers(struct handler_cost_bpf *s)
{
	struct ntf_slot_places p = { .hash_slots = 1u << NTF_CLASS_PIN, .mirror = 1 };
	__u32 zero = 0;

	return bpf_map_update_elem(bpf_map__fd(s->maps.slot_places), &zero, &p, BPF_ANY);
}

/* Four rules on invalidates, slower than any: each gate judged to its latency, none passed. */
static int set_idle_rules(struct handler_cost_bpf *s)
{
	struct ntf_rule_gates g = { .n = 4 };
	__u32 zero = 0;

	for (int i = 0; i < 4; i++) {
		g.gate[i].class_mask = 1u << NTF_CLASS_INVAL_START | 1u << NTF_CLASS_INVAL_END;
		g.gate[i].lat_min_ns = 1000000000ULL * (i + 1);
	}
	return bpf_map_update_elem(bpf_map__fd(s->maps.rule_gates), &zero, &g, BPF_ANY);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int drain(void *ctx, void *data, size_t len)
{
	(void)ctx, (void)data, (void)len;
	return 0;
}

/* One object as variant v loads it: only its loop program, the config the tool would give. */
static struct handler_cost_bpf *open_variant(enum variant v, __u32 loops, struct bpf_program **prog)
{
	struct handler_cost_bpf *s = handler_cost_bpf__open();
	struct bpf_program *p;

	if (!s)
		return NULL;
	bpf_object__for_each_program (p, s->obj)
		bpf_program__set_autoload(p, false);
	*prog = v == EMPTY	 ? s->progs.loop_empty :
		v == CLOCK	 ? s->progs.loop_clock :
		v == SLOTS	 ? s->progs.loop_slots :
		v == TASK	 ? s->progs.loop_task :
		v == AGGREGATE	 ? s->progs.loop_aggregate :
		v == BPFTRACE	 ? s->progs.loop_bpftrace :
		v == FUNCLATENCY ? s->progs.loop_funclatency :
		v == HIST_K_ONE	 ? s->progs.loop_notifier_kprobe :
				   s->progs.loop_notifier;
	bpf_program__set_autoload(*prog, true);
	s->rodata->cfg.aggregate = 1;
	s->rodata->cfg.by_origin = 1;
	s->rodata->cfg.per_process = v == HIST_P || v == HIST_P_MIRROR || v == AGGREGATE ||
				     v == STREAM || v == STREAM_RULES;
	s->rodata->cfg.stream = v == STREAM || v == STREAM_RULES;
	s->rodata->cfg.rules_in_kernel = v == STREAM_RULES || v == HIST_RULES;
	s->rodata->cfg.rule_gated = v == HIST_RULES;
	/* the chain's start alone is probed (hist -e inval_start) */
	if (v == HIST_K_ONE)
		s->rodata->cfg.probed_classes = 1u << NTF_CLASS_INVAL_START;
	/* a loop's events fit: the ring is drained between runs */
	bpf_map__set_max_entries(s->maps.events, 64u << 20);
	if (handler_cost_bpf__load(s) || set_idle_rules(s) ||
	    (v == HIST_P_MIRROR && set_kprobe_readers(s))) {
		handler_cost_bpf__destroy(s);
		return NULL;
	}
	s->bss->loops = loops;
	return s;
}

/* Seconds of the best of ROUNDS runs of variant v's loop. */
static double best_run(enum variant v, __u32 loops)
{
	struct bpf_program *prog;
	struct handler_cost_bpf *s = open_variant(v, loops, &prog);
	struct ring_buffer *rb = NULL;
	double best = 0;

	if (!s) {
		fprintf(stderr, "bench_handler: %s: cannot load: %s\n", names[v], strerror(errno));
		exit(1);
	}
	if ((v == STREAM || v == STREAM_RULES) &&
	    !(rb = ring_buffer__new(bpf_map__fd(s->maps.events), drain, NULL, NULL))) {
		fprintf(stderr, "bench_handler: ring buffer: %s\n", strerror(errno));
		exit(1);
	}
	for (int r = 0; r < ROUNDS; r++) {
		LIBBPF_OPTS(bpf_test_run_opts, o);
		double t = now_s();

		if (bpf_prog_test_run_opts(bpf_program__fd(prog), &o) || o.retval) {
			fprintf(stderr, "bench_handler: %s: test run: %s\n", names[v],
				strerror(errno));
			exit(1);
		}
		t = now_s() - t;
		if (!r || t < best)
			best = t;
		if (rb)
			ring_buffer__consume(rb);
	}
	ring_buffer__free(rb);
	handler_cost_bpf__destroy(s);
	return best;
}

/* A piece of notifier hist -P's pair, timed alone: printed in a table of its own. */
static bool is_part(enum variant v)
{
	return v == SLOTS || v == TASK || v == AGGREGATE;
}

int main(int argc, char **argv)
{
	__u32 loops = argc > 1 ? strtoul(argv[1], NULL, 10) : 200000;
	double t[VARIANTS], pair[VARIANTS], above;

	if (!loops || loops > (1u << 23)) {
		fprintf(stderr, "bench_handler: LOOPS from 1 to %u\n", 1u << 23);
		return 2;
	}
	libbpf_set_print(NULL);
	/* interleaved: every variant sees the same drift */
	for (int v = 0; v < VARIANTS; v++)
		t[v] = best_run(v, loops);
	for (int v = 0; v < VARIANTS; v++) {
		double again = best_run(v, loops);

		if (again < t[v])
			t[v] = again;
	}
	printf("BPF_PROG_TEST_RUN, %u entry+exit pairs of an invalidate a run, best of %d runs:\n",
	       loops, 2 * ROUNDS);
	for (int v = 0; v < VARIANTS; v++)
		pair[v] = (t[v] - t[EMPTY]) * 1e9 / loops;
	for (int v = 0; v < HIST_K_ONE; v++) {
		if (v == EMPTY)
			printf("  %-24s %8.1f ns a turn of the loop\n", names[v],
			       t[v] * 1e9 / loops);
		else if (!is_part(v))
			printf("  %-24s %8.1f ns a pair  %5.2fx bpftrace-like's\n", names[v],
			       pair[v], pair[BPFTRACE] > 0 ? pair[v] / pair[BPFTRACE] : 0);
	}
	/* what each handler adds to the clock reads every timing tool makes */
	above = pair[BPFTRACE] - pair[CLOCK];
	if (above > 0)
		printf("  above the clock reads:  notifier hist -P %.2fx, notifierd %.2fx bpftrace-like's\n",
		       (pair[HIST_P] - pair[CLOCK]) / above, (pair[STREAM] - pair[CLOCK]) / above);
	/* funclatency's job, one function by kprobes without task storage (6.1) */
	printf("one function by kprobes, as on 6.1 (no task storage for kprobes):\n");
	for (int v = HIST_K_ONE; v < VARIANTS; v++)
		printf("  %-34s %8.1f ns a pair  %5.2fx funclatency-like's\n", names[v], pair[v],
		       pair[FUNCLATENCY] > 0 ? pair[v] / pair[FUNCLATENCY] : 0);
	above = pair[FUNCLATENCY] - pair[CLOCK];
	if (above > 0)
		printf("  above the clock reads:  notifier hist -k -e inval_start %.2fx funclatency-like's\n",
		       (pair[HIST_K_ONE] - pair[CLOCK]) / above);
	/* timed apart, so the parts need not add up to the whole exactly */
	printf("where notifier hist -P's pair goes, its parts timed apart:\n");
	printf("  %-24s %8.1f ns\n", names[CLOCK], pair[CLOCK]);
	printf("  %-24s %8.1f ns  (task storage at entry and exit)\n", names[SLOTS],
	       pair[SLOTS] - pair[CLOCK]);
	printf("  %-24s %8.1f ns  (events counter, pid, flags, syscall)\n", names[TASK],
	       pair[TASK]);
	printf("  %-24s %8.1f ns  (histogram and fine bucket, one lookup each)\n", names[AGGREGATE],
	       pair[AGGREGATE]);
	printf("  %-24s %8.1f ns  (range fields, watch, unmap charge, the event)\n", "the rest",
	       pair[HIST_P] - pair[SLOTS] - pair[TASK] - pair[AGGREGATE]);
	return 0;
}
