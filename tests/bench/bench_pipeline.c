// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Host benchmark of the user-space hot path: ntf_decode() + ntf_agg_add()
 * per event, against a baseline that only copies the same records, both
 * over the same pre-generated buffer, so the ratio is the pipeline's cost.
 * And the
 * reference for what fine buckets cost: the same events counted as keys
 * were before them, in log2 slots only, through the same decoder and the
 * same kind of table, timed in the same rounds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "aggregate.h"
#include "bench_args.h"
#include "decode.h"
#include "hashtable.h"
#include "histogram.h"
#include "source.h"

#define EVENTS (1 << 20)

static struct ntf_event *records;
static size_t filled;

static int collect(void *ctx, const struct ntf_event *e)
{
	(void)ctx;
	records[filled++] = *e;
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int aggregate(struct ntf_agg *agg)
{
	struct ntf_event e;

	for (size_t i = 0; i < filled; i++)
		if (ntf_decode(&records[i], sizeof(records[i]), &e) || ntf_agg_add(agg, &e))
			return -1;
	return 0;
}

/*
 * A key as the aggregate kept it with log2 histograms only: its name,
 * generation, counters and slots, and origins, every event counted in
 * them at once.
 */
struct log2_key {
	struct ntf_agg_key key;
	char comm[NTF_COMM_LEN];
	__u64 gen;
	struct ntf_hist hist;
	__u64 origins[NTF_ORIGIN_MAX];
};

static bool log2_key_is(const void *entry, const void *key)
{
	return ntf_agg_key_is(&((const struct log2_key *)entry)->key, key);
}

static __attribute__((noinline)) int log2_add(struct ntf_table *t, const struct ntf_event *e)
{
	struct ntf_hist_key key = { .class = e->class, .callback = e->callback, .tgid = e->tgid };
	__u64 h = ntf_agg_hash(&key);
	size_t i = ntf_table_slot(t, h, &key, log2_key_is);
	struct log2_key *k;

	if (ntf_table_used(t, i)) {
		k = ntf_table_at(t, i);
	} else {
		if (!(k = ntf_table_claim(t, i, h)))
			return -1;
		k->key = ntf_agg_key_of(&key);
	}
	k->gen = 1;
	if (!k->comm[0])
		snprintf(k->comm, sizeof(k->comm), "%s", e->comm);
	ntf_hist_add_event(&k->hist, e);
	if (e->origin < NTF_ORIGIN_MAX)
		k->origins[e->origin]++;
	return 0;
}

static int aggregate_log2(struct ntf_table *t)
{
	struct ntf_event e;

	for (size_t i = 0; i < filled; i++)
		if (ntf_decode(&records[i], sizeof(records[i]), &e) || log2_add(t, &e))
			return -1;
	return 0;
}

/*
 * [PROCESSES [ROUNDS]]: how many processes the events come from (keys:
 * about 7 each), 1000 by default; rounds, each mode's best kept, 5 by
 * default (more ride out a noisy machine's slow spells)
 */
int main(int argc, char **argv)
{
	struct ntf_synth_opts opts = {
		.seed = 42, .count = EVENTS, .batch = 4096, .processes = 1000
	};
	struct ntf_source *src;
	struct ntf_agg *agg;
	struct ntf_table log2;
	double best_copy = 1e9, best_cold = 1e9, best_warm = 1e9;
	double best_log2 = 1e9;
	volatile __u64 sink = 0;

	long rounds = 5;

	if (argc > 1) {
		long n = bench_count_arg("bench_pipeline", "processes", argv[1], 1000000);

		if (n < 0)
			return 2;
		opts.processes = n;
	}
	if (argc > 2 && (rounds = bench_count_arg("bench_pipeline", "rounds", argv[2], 1000)) < 0)
		return 2;
	records = calloc(EVENTS, sizeof(*records));
	src = ntf_source_synth_new(&opts, collect, NULL);
	agg = ntf_agg_new(0);
	if (!records || !src || !agg || ntf_table_init(&log2, sizeof(struct log2_key)))
		return 1;
	while (ntf_source_poll(src, 0) > 0)
		;
	ntf_source_free(src);

	for (long r = 0; r < rounds; r++) {
		struct ntf_event e;
		double t0 = now_s();

		for (size_t i = 0; i < filled; i++) {
			memcpy(&e, &records[i], sizeof(e));
			sink += e.latency_ns;
		}
		double t1 = now_s();

		/* cold: every key made anew, as in a daemon's first seconds */
		ntf_agg_reset(agg);
		if (aggregate(agg))
			return 1;
		double t2 = now_s();

		/* warm: the keys and their buckets are there, as for a daemon that runs */
		if (aggregate(agg))
			return 1;
		double t3 = now_s();

		/* its keys made in the first round, as the aggregate's are in its cold run */
		if (r == 0 && aggregate_log2(&log2))
			return 1;
		double t4 = now_s();

		if (r > 0 && aggregate_log2(&log2))
			return 1;
		double t5 = now_s();

		if (t1 - t0 < best_copy)
			best_copy = t1 - t0;
		if (t2 - t1 < best_cold)
			best_cold = t2 - t1;
		if (t3 - t2 < best_warm)
			best_warm = t3 - t2;
		if (r > 0 && t5 - t4 < best_log2)
			best_log2 = t5 - t4;
	}
	printf("events             %zu (%u processes, every class)\n", filled, opts.processes);
	printf("copy only          %8.1f ns/event  1.00\n", best_copy * 1e9 / filled);
	printf("decode+aggregate   %8.1f ns/event  %.2f  (%.1f M events/s)  new keys\n",
	       best_cold * 1e9 / filled, best_cold / best_copy, filled / best_cold / 1e6);
	printf("decode+aggregate   %8.1f ns/event  %.2f  (%.1f M events/s)  known keys\n",
	       best_warm * 1e9 / filled, best_warm / best_copy, filled / best_warm / 1e6);
	printf("log2 slots only    %8.1f ns/event  %.2f  (%.1f M events/s)  known keys, keys as before fine buckets\n",
	       best_log2 * 1e9 / filled, best_log2 / best_copy, filled / best_log2 / 1e6);
	printf("fine buckets' cost %8.1f ns/event  %.2f  known keys: decode+aggregate over log2 slots only\n",
	       (best_warm - best_log2) * 1e9 / filled, best_warm / best_log2);
	ntf_agg_free(agg);
	ntf_table_fini(&log2);
	free(records);
	return sink == 0;
}
