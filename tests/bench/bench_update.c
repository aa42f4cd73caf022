// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The aggregate's update alone: ntf_agg_add() over events decoded
 * beforehand, a pass of new keys (after a reset) then one of known keys.
 * It uses only what every tree of this project has had since the
 * aggregate was written (the synthetic source, ntf_decode, ntf_agg_new,
 * _add, _reset), so that bench_before.sh can build it against an older
 * tree and time the update as it was, on the same events, beside today's.
 *
 * Usage: bench_update [PROCESSES [ROUNDS]]; prints the best pass of each
 * kind in ns an event.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "aggregate.h"
#include "bench_args.h"
#include "decode.h"
#include "source.h"

#define EVENTS (1 << 20)

static struct ntf_event *events;
static size_t filled;

static int collect(void *ctx, const struct ntf_event *e)
{
	(void)ctx;
	if (ntf_decode(e, sizeof(*e), &events[filled]))
		return -1;
	filled++;
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Not inlined: callgrind's --toggle-collect names it, a pass at a time. */
static __attribute__((noinline)) int add_all(struct ntf_agg *agg)
{
	for (size_t i = 0; i < filled; i++)
		if (ntf_agg_add(agg, &events[i]))
			return -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct ntf_synth_opts opts = {
		.seed = 42, .count = EVENTS, .batch = 4096, .processes = 1000
	};
	double best_new = 1e9, best_known = 1e9;
	struct ntf_source *src;
	struct ntf_agg *agg;
	long rounds = 5, n;

	if (argc > 1) {
		if ((n = bench_count_arg("bench_update", "processes", argv[1], 1000000)) < 0)
			return 2;
		opts.processes = n;
	}
	if (argc > 2 && (rounds = bench_count_arg("bench_update", "rounds", argv[2], 1000)) < 0)
		return 2;
	events = calloc(EVENTS, sizeof(*events));
	src = ntf_source_synth_new(&opts, collect, NULL);
	agg = ntf_agg_new(0);
	if (!events || !src || !agg) {
		fprintf(stderr, "bench_update: out of memory\n");
		return 1;
	}
	while ((n = ntf_source_poll(src, 0)) > 0)
		;
	ntf_source_free(src);
	if (filled != EVENTS) {
		fprintf(stderr, "bench_update: the synthetic source gave %zu events of %d\n",
			filled, EVENTS);
		return 1;
	}
	for (long r = 0; r < rounds; r++) {
		double t0 = now_s(), t1, t2;

		ntf_agg_reset(agg);
		if (add_all(agg))
			return 1;
		t1 = now_s();
		if (add_all(agg))
			return 1;
		t2 = now_s();
		if (t1 - t0 < best_new)
			best_new = t1 - t0;
		if (t2 - t1 < best_known)
			best_known = t2 - t1;
	}
	printf("events %zu processes %u keys %zu\n", filled, opts.processes, ntf_agg_count(agg));
	printf("new keys   %8.2f ns/event\n", best_new * 1e9 / filled);
	printf("known keys %8.2f ns/event\n", best_known * 1e9 / filled);
	ntf_agg_free(agg);
	free(events);
	return 0;
}
