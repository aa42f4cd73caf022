// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * notifier-top's refresh on the daemon feed, in one process and without
 * a clock or a second core to share: a daemon's aggregate takes synthetic
 * events (KEYS pairs, RATE events a second), and every 250 ms of them is
 * sent as a DELTA that a client decodes and puts into its mirror, as the
 * daemon feed does; every second notifier-top's model takes the interval
 * (top_model_advance) and the default view's first 20 rows are queried.
 * Prints the CPU time of the view's side only (decode, put, advance,
 * query) per simulated second over the second half of the run (the first
 * fills the tables), i.e. its share of a core, and the heap the
 * view holds at the end (mirror, snapshot, model; from malloc's count).
 *
 * Usage: bench_top_refresh [KEYS [RATE [SECONDS]]]  (10000 20000 60)
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "aggregate.h"
#include "proto.h"
#include "source.h"
#include "top_model.h"

static struct ntf_agg *daemon_agg;

static int on_event(void *ctx, const struct ntf_event *e)
{
	(void)ctx;
	return ntf_agg_add(daemon_agg, e);
}

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* In use: small blocks and mmapped ones (the hash tables). */
static size_t heap_bytes(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

/* Decodes every frame of b into mirror as the client does; returns the entries. */
static size_t apply(const struct ntf_proto_buf *b, struct ntf_agg *mirror, struct ntf_agg_entry *e)
{
	size_t off = 0, used, n = 0;

	while (off < b->len) {
		struct ntf_proto_frame f;
		struct ntf_proto_update u;

		if (ntf_proto_parse(b->data + off, b->len - off, NTF_PROTO_MAX_PAYLOAD, &f,
				    &used) ||
		    ntf_proto_decode_update(&f, &u))
			exit(1);
		while (ntf_proto_update_next(&u, e) > 0) {
			if (ntf_agg_put(mirror, e))
				exit(1);
			n++;
		}
		off += used;
	}
	return n;
}

int main(int argc, char **argv)
{
	unsigned int keys = argc > 1 ? atoi(argv[1]) : 10000;
	unsigned int rate = argc > 2 ? atoi(argv[2]) : 20000;
	unsigned int secs = argc > 3 ? atoi(argv[3]) : 60;
	struct ntf_synth_opts opts = { .seed = 42, .batch = rate / 4, .keys = keys };
	static const struct ntf_proto_counters counters;
	struct ntf_agg *mirror = ntf_agg_new(1u << 18);
	struct top_snap *snap = top_snap_new();
	struct top_model *m = top_model_new();
	struct ntf_agg_entry e = {};
	struct ntf_proto_buf b = {};
	struct ntf_source *src;
	struct top_query q;
	double view = 0, second = 0, t;
	size_t entries = 0, heap;
	__u64 since = 0;

	daemon_agg = ntf_agg_new(1u << 18);
	src = ntf_source_synth_new(&opts, on_event, NULL);
	if (!daemon_agg || !mirror || !snap || !m || !src || !opts.batch)
		return 1;
	top_query_init(&q, TOP_VIEW_DEFAULT);
	q.limit = 20;
	for (unsigned int s = 0; s <= secs; s++) {
		for (int quarter = 0; quarter < 4; quarter++) {
			__u64 gen = ntf_agg_gen(daemon_agg);

			if (ntf_source_poll(src, 0) < 0)
				return 1;
			b.len = 0;
			if (ntf_proto_put_update(&b, since ? NTF_PROTO_DELTA : NTF_PROTO_SNAPSHOT,
						 daemon_agg, since, gen, &counters))
				return 1;
			ntf_agg_tick(daemon_agg);
			since = gen;
			/* the view's side: from here */
			t = cpu_s();
			entries += apply(&b, mirror, &e);
			if (quarter == 3 && (s ? top_model_advance(m, snap, mirror, 1.0) :
						 top_snap_follow(snap, mirror, NULL, NULL)))
				return 1;
			if (quarter == 3 && s && top_model_query(m, &q) < 0)
				return 1;
			t = cpu_s() - t;
			/* the first half fills the mirror and grows its tables: not counted */
			if (s > secs / 2)
				view += t;
			second = quarter ? second + t : t;
		}
	}
	printf("view of %u pairs at %u events/s, %u s: %zu keys, %zu entries received\n", keys,
	       rate, secs, ntf_agg_count(mirror), entries);
	printf("  cpu   %.2f%% of a core over the second half (%.1f ms a second; the last %.1f ms)\n",
	       100 * view / (secs - secs / 2), 1e3 * view / (secs - secs / 2), 1e3 * second);
	heap = heap_bytes();
	ntf_buckets_free(&e.fine);
	top_model_free(m);
	top_snap_free(snap);
	ntf_agg_free(mirror);
	printf("  heap  %.1f MiB held by the view (mirror, snapshot, model)\n",
	       (heap - heap_bytes()) / 1048576.0);
	ntf_proto_buf_free(&b);
	ntf_source_free(src);
	ntf_agg_free(daemon_agg);
	return 0;
}
