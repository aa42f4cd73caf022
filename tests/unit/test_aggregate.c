// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "buckets_assert.h"
#include "aggregate.h"
#include "histogram.h"

/* Every test runs twice: on the aggregate notifierd keeps, and on a compact one (fewer stages). */
static bool compact;

static struct ntf_agg *agg_new(size_t max_keys)
{
	return compact ? ntf_agg_new_compact(max_keys) : ntf_agg_new(max_keys);
}

static int staged_group(void **state)
{
	(void)state;
	compact = false;
	return 0;
}

static int compact_group(void **state)
{
	(void)state;
	compact = true;
	return 0;
}

static struct ntf_event ev(unsigned int class, __u32 tgid, __u64 latency_ns)
{
	struct ntf_event e;

	memset(&e, 0, sizeof(e));
	e.class = class;
	e.mech = NTF_MECH_FENTRY;
	e.tgid = e.pid = tgid;
	e.latency_ns = latency_ns;
	snprintf(e.comm, sizeof(e.comm), "p%u", tgid);
	return e;
}

struct find {
	unsigned int class;
	__u32 callback;
	__u32 tgid;
	const struct ntf_agg_entry *hit;
	size_t visited;
	__u64 events;
};

static int find_visit(const struct ntf_agg_entry *ent, void *ctx)
{
	struct find *f = ctx;

	/* what foreach hands out lasts the visit: a copy, its buckets too */
	static struct ntf_agg_entry copy;
	static struct ntf_buckets fine;

	f->visited++;
	f->events += ent->hist.count;
	if (ent->key.class == f->class && ent->key.callback == f->callback &&
	    ent->key.tgid == f->tgid) {
		copy = *ent;
		assert_int_equal(ntf_buckets_copy(&fine, &ent->fine), 0);
		copy.fine = fine;
		f->hit = &copy;
	}
	return 0;
}

static const struct ntf_agg_entry *find_sub(const struct ntf_agg *agg, unsigned int class,
					    __u32 callback, __u32 tgid)
{
	struct find f = { .class = class, .callback = callback, .tgid = tgid };

	ntf_agg_foreach(agg, find_visit, &f);
	return f.hit;
}

static const struct ntf_agg_entry *find(const struct ntf_agg *agg, unsigned int class, __u32 tgid)
{
	return find_sub(agg, class, 0, tgid);
}

/* Events summed over every entry, whatever their keys. */
static __u64 total_events(const struct ntf_agg *agg)
{
	struct find f = { .class = ~0u };

	ntf_agg_foreach(agg, find_visit, &f);
	return f.events;
}

static void counts_per_key(void **state)
{
	struct ntf_agg *agg = agg_new(0);
	struct ntf_event e;
	const struct ntf_agg_entry *ent;

	(void)state;
	assert_non_null(agg);
	for (int i = 0; i < 3; i++) {
		e = ev(NTF_CLASS_INVAL_START, 100, 1000);
		assert_int_equal(ntf_agg_add(agg, &e), 0);
	}
	e = ev(NTF_CLASS_INVAL_START, 200, 5000);
	assert_int_equal(ntf_agg_add(agg, &e), 0);
	e = ev(NTF_CLASS_INVAL_END, 100, 7);
	assert_int_equal(ntf_agg_add(agg, &e), 0);
	/* another callback of the same process and class is its own key */
	e = ev(NTF_CLASS_INVAL_START, 100, 1000);
	e.callback = 3;
	assert_int_equal(ntf_agg_add(agg, &e), 0);

	assert_int_equal(ntf_agg_count(agg), 4);
	ent = find(agg, NTF_CLASS_INVAL_START, 100);
	assert_non_null(ent);
	assert_int_equal(ent->hist.count, 3);
	assert_string_equal(ent->comm, "p100");
	ent = find_sub(agg, NTF_CLASS_INVAL_START, 3, 100);
	assert_non_null(ent);
	assert_int_equal(ent->hist.count, 1);
	ent = find(agg, NTF_CLASS_INVAL_START, 200);
	assert_non_null(ent);
	assert_int_equal(ent->hist.count, 1);
	assert_int_equal(ent->hist.max_ns, 5000);
	ent = find(agg, NTF_CLASS_INVAL_END, 100);
	assert_non_null(ent);
	assert_int_equal(ent->hist.count, 1);
	assert_int_equal(ent->hist.sum_ns, 7);
	assert_null(find(agg, NTF_CLASS_INVAL_END, 200));
	ntf_agg_free(agg);
}

static void callbacks_are_keys(void **state)
{
	struct ntf_agg *agg = agg_new(0);
	size_t bad = 0;

	(void)state;
	/* one process under many notifiers: enough keys to probe into each other */
	for (__u32 sub = 1; sub <= 300; sub++)
		for (__u32 i = 0; i < sub % 4 + 1; i++) {
			struct ntf_event e = ev(NTF_CLASS_INVAL_END, 9, sub);

			e.callback = sub;
			assert_int_equal(ntf_agg_add(agg, &e), 0);
		}
	assert_int_equal(ntf_agg_count(agg), 300);
	for (__u32 sub = 1; sub <= 300; sub++) {
		const struct ntf_agg_entry *ent = find_sub(agg, NTF_CLASS_INVAL_END, sub, 9);

		if (!ent || ent->hist.count != sub % 4 + 1 || ent->hist.max_ns != sub)
			bad++;
	}
	assert_int_equal(bad, 0);
	ntf_agg_free(agg);
}

static void origins_per_key(void **state)
{
	struct ntf_agg *agg = agg_new(0);
	struct ntf_event e = ev(NTF_CLASS_UNMAP, 1, 10);
	const struct ntf_agg_entry *ent;

	(void)state;
	e.origin = NTF_ORIGIN_KSWAPD;
	ntf_agg_add(agg, &e);
	ntf_agg_add(agg, &e);
	e.origin = NTF_ORIGIN_FAULT;
	ntf_agg_add(agg, &e);
	ent = find(agg, NTF_CLASS_UNMAP, 1);
	assert_non_null(ent);
	assert_int_equal(ent->origins[NTF_ORIGIN_KSWAPD], 2);
	assert_int_equal(ent->origins[NTF_ORIGIN_FAULT], 1);
	assert_int_equal(ent->origins[NTF_ORIGIN_UNKNOWN], 0);
	/* past what a stage counts of one (255), read between adds and after */
	for (int i = 0; i < 100000; i++) {
		e.origin = i % 9 ? NTF_ORIGIN_OOM_REAPER : NTF_ORIGIN_MAX - 1;
		assert_int_equal(ntf_agg_add(agg, &e), 0);
		if (i == 777)
			assert_int_equal(
				ntf_agg_get(agg, &(struct ntf_hist_key){ .class = NTF_CLASS_UNMAP,
									 .tgid = 1 })
					->origins[NTF_ORIGIN_OOM_REAPER],
				778 - 87);
	}
	ent = find(agg, NTF_CLASS_UNMAP, 1);
	assert_int_equal(ent->origins[NTF_ORIGIN_OOM_REAPER], 100000 - 11112);
	assert_int_equal(ent->origins[NTF_ORIGIN_MAX - 1], 11112);
	assert_int_equal(ent->origins[NTF_ORIGIN_FAULT], 1);
	assert_int_equal(ent->hist.count, 100003);
	ntf_agg_free(agg);
}

static void class_totals_across_processes(void **state)
{
	struct ntf_agg *agg = agg_new(0);
	struct ntf_hist total;

	(void)state;
	for (__u32 tgid = 1; tgid <= 50; tgid++) {
		for (__u32 i = 0; i < tgid; i++) {
			struct ntf_event e = ev(NTF_CLASS_PIN, tgid, 100 * tgid);

			assert_int_equal(ntf_agg_add(agg, &e), 0);
		}
		struct ntf_event f = ev(NTF_CLASS_FENCE_WAIT, tgid, 1);

		assert_int_equal(ntf_agg_add(agg, &f), 0);
	}
	ntf_agg_class_total(agg, NTF_CLASS_PIN, &total);
	assert_int_equal(total.count, 50 * 51 / 2);
	/* sum of tgid * 100 * tgid over 1..50 */
	assert_int_equal(total.sum_ns, 100ULL * 50 * 51 * 101 / 6);
	assert_int_equal(total.max_ns, 5000);
	ntf_agg_class_total(agg, NTF_CLASS_FENCE_WAIT, &total);
	assert_int_equal(total.count, 50);
	assert_int_equal(total.sum_ns, 50);
	ntf_agg_class_total(agg, NTF_CLASS_UNMAP, &total);
	assert_int_equal(total.count, 0);
	assert_int_equal(total.max_ns, 0);
	ntf_agg_free(agg);
}

static void pages_failures_nested(void **state)
{
	struct ntf_agg *agg = agg_new(0);
	struct ntf_hist total;
	struct ntf_event e;

	(void)state;
	/* pin: the pages pinned are what it returned; errors add none */
	e = ev(NTF_CLASS_PIN, 1, 10);
	e.pin.nr_pages = 64;
	e.ret = 48;
	ntf_agg_add(agg, &e);
	e.ret = -14;
	e.flags = NTF_F_FAILED;
	ntf_agg_add(agg, &e);
	ntf_agg_class_total(agg, NTF_CLASS_PIN, &total);
	assert_int_equal(total.pages, 48);
	assert_int_equal(total.failures, 1);

	/* unpin: the pages asked to release */
	e = ev(NTF_CLASS_UNPIN, 1, 0);
	e.pin.nr_pages = 16;
	ntf_agg_add(agg, &e);
	e.pin.nr_pages = 1;
	e.flags = NTF_F_NESTED;
	ntf_agg_add(agg, &e);
	ntf_agg_class_total(agg, NTF_CLASS_UNPIN, &total);
	assert_int_equal(total.pages, 17);
	assert_int_equal(total.nested, 1);
	assert_int_equal(total.failures, 0);

	/* unmap: the notifier calls it caused */
	e = ev(NTF_CLASS_UNMAP, 2, 500);
	e.unmap.notifier_calls = 3;
	e.flags = NTF_F_NESTED | NTF_F_FAILED;
	ntf_agg_add(agg, &e);
	e.unmap.notifier_calls = 2;
	e.flags = 0;
	ntf_agg_add(agg, &e);
	ntf_agg_class_total(agg, NTF_CLASS_UNMAP, &total);
	assert_int_equal(total.pages, 5);
	assert_int_equal(total.nested, 1);
	assert_int_equal(total.failures, 1);

	/* invalidations have no pages */
	e = ev(NTF_CLASS_INVAL_START, 2, 500);
	e.ret = 99;
	ntf_agg_add(agg, &e);
	ntf_agg_class_total(agg, NTF_CLASS_INVAL_START, &total);
	assert_int_equal(total.pages, 0);
	ntf_agg_free(agg);
}

struct growth_check {
	unsigned char *seen;
	__u32 procs;
	size_t bad;
};

/* One pass over the table: each process once, with its own counts. */
static int growth_visit(const struct ntf_agg_entry *ent, void *ctx)
{
	struct growth_check *g = ctx;
	__u32 t = ent->key.tgid;

	if (t < 1 || t > g->procs || g->seen[t] || ent->hist.count != t % 3 + 1 ||
	    ent->hist.max_ns != t)
		g->bad++;
	else
		g->seen[t] = 1;
	return 0;
}

static void grows_past_10000_processes(void **state)
{
	const __u32 procs = 12000;
	struct ntf_agg *agg = agg_new(0);
	struct growth_check g = { .seen = calloc(procs + 1, 1), .procs = procs };
	struct ntf_hist total;

	(void)state;
	assert_non_null(g.seen);
	/* tgid t gets (t % 3) + 1 events, interleaved so the table grows mid-stream */
	for (__u32 round = 0; round < 3; round++)
		for (__u32 t = 1; t <= procs; t++)
			if (round <= t % 3) {
				struct ntf_event e = ev(NTF_CLASS_INVAL_START, t, t);

				assert_int_equal(ntf_agg_add(agg, &e), 0);
			}
	assert_int_equal(ntf_agg_count(agg), procs);
	assert_int_equal(ntf_agg_folded(agg), 0);
	ntf_agg_foreach(agg, growth_visit, &g);
	assert_int_equal(g.bad, 0);
	assert_null(memchr(g.seen + 1, 0, procs));
	ntf_agg_class_total(agg, NTF_CLASS_INVAL_START, &total);
	assert_int_equal(total.count, 2 * procs);
	free(g.seen);
	ntf_agg_free(agg);
}

static void max_keys_folds_into_other(void **state)
{
	const size_t max_keys = 16;
	struct ntf_agg *agg = agg_new(max_keys);
	const struct ntf_agg_entry *other;
	struct ntf_hist total;
	__u64 added = 0;

	(void)state;
	/* 40 processes, 2 events each: the first 16 get keys of their own */
	for (int round = 0; round < 2; round++)
		for (__u32 t = 1; t <= 40; t++) {
			struct ntf_event e = ev(NTF_CLASS_UNMAP, t, 1000 + t);

			assert_int_equal(ntf_agg_add(agg, &e), 0);
			added++;
		}
	/* the bound plus one "other" key for the class */
	assert_int_equal(ntf_agg_count(agg), max_keys + 1);
	assert_non_null(find(agg, NTF_CLASS_UNMAP, 1));
	assert_non_null(find(agg, NTF_CLASS_UNMAP, 16));
	assert_null(find(agg, NTF_CLASS_UNMAP, 17));
	other = find(agg, NTF_CLASS_UNMAP, NTF_AGG_OTHER_TGID);
	assert_non_null(other);
	assert_string_equal(other->comm, "[other]");
	assert_int_equal(other->hist.count, 2 * 24);
	assert_int_equal(other->hist.max_ns, 1040);
	assert_int_equal(ntf_agg_folded(agg), 2 * 24);
	/* nothing lost */
	assert_int_equal(total_events(agg), added);
	ntf_agg_class_total(agg, NTF_CLASS_UNMAP, &total);
	assert_int_equal(total.count, added);

	/* a known process still gets its own key past the bound */
	struct ntf_event e = ev(NTF_CLASS_UNMAP, 5, 1);

	ntf_agg_add(agg, &e);
	assert_int_equal(find(agg, NTF_CLASS_UNMAP, 5)->hist.count, 3);
	assert_int_equal(ntf_agg_folded(agg), 2 * 24);
	ntf_agg_free(agg);
}

static void add_hist_merges(void **state)
{
	struct ntf_agg *agg = agg_new(0);
	struct ntf_hist_key key = { .class = NTF_CLASS_FENCE_WAIT,
				    .tgid = 77,
				    .origin = NTF_ORIGIN_MAX };
	struct ntf_hist h = {};
	const struct ntf_agg_entry *ent;
	struct ntf_event e = ev(NTF_CLASS_FENCE_WAIT, 77, 3000);

	(void)state;
	ntf_hist_add(&h, 100);
	ntf_hist_add(&h, 200000);
	h.failures = 1;
	h.pages = 9;
	assert_int_equal(ntf_agg_add_hist(agg, &key, &h, NULL), 0);
	/* a second read merges into the same key; its origin is counted, not keyed */
	key.origin = NTF_ORIGIN_FAULT;
	assert_int_equal(ntf_agg_add_hist(agg, &key, &h, NULL), 0);
	/* and a streamed event of the same key lands there too */
	assert_int_equal(ntf_agg_add(agg, &e), 0);
	assert_int_equal(ntf_agg_count(agg), 1);
	ent = find(agg, NTF_CLASS_FENCE_WAIT, 77);
	assert_non_null(ent);
	/* BPF's origin is not part of the key users see */
	assert_int_equal(ent->key.origin, 0);
	assert_int_equal(ent->hist.count, 5);
	/* no origin from the first read, two events of the second, the stream's own */
	assert_int_equal(ent->origins[NTF_ORIGIN_FAULT], 2);
	assert_int_equal(ent->origins[NTF_ORIGIN_UNKNOWN], 1); /* ev()'s origin */
	assert_int_equal(ent->hist.sum_ns, 2 * 200100 + 3000);
	assert_int_equal(ent->hist.max_ns, 200000);
	assert_int_equal(ent->hist.failures, 2);
	assert_int_equal(ent->hist.pages, 18);
	assert_int_equal(ent->hist.slots[ntf_hist_slot(100)], 2);
	assert_int_equal(ent->hist.slots[ntf_hist_slot(3000)], 1);
	ntf_agg_free(agg);
}

/* Origins the kernel keyed add up per class, per callback or over all. */
static void origins_sum_by_class_and_callback(void **state)
{
	static const struct {
		__u32 class, callback, tgid, origin;
		__u64 count;
	} reads[] = {
		{ NTF_CLASS_INVAL_START, 0, 10, NTF_ORIGIN_FAULT, 7 },
		{ NTF_CLASS_INVAL_START, 0, 10, NTF_ORIGIN_FORK, 2 },
		{ NTF_CLASS_INVAL_START, 0, 11, NTF_ORIGIN_FAULT, 5 },
		{ NTF_CLASS_CALLBACK, 3, 10, NTF_ORIGIN_FAULT, 4 },
		{ NTF_CLASS_CALLBACK, 4, 10, NTF_ORIGIN_OOM_REAPER, 1 },
		{ NTF_CLASS_CALLBACK, 4, 12, NTF_ORIGIN_MAX, 9 },
	};
	struct ntf_agg *agg = agg_new(0);
	__u64 o[NTF_ORIGIN_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
		struct ntf_hist_key key = { .class = reads[i].class,
					    .callback = reads[i].callback,
					    .tgid = reads[i].tgid,
					    .origin = reads[i].origin };
		struct ntf_hist h = {};

		for (__u64 n = 0; n < reads[i].count; n++)
			ntf_hist_add(&h, 1000);
		assert_int_equal(ntf_agg_add_hist(agg, &key, &h, NULL), 0);
	}
	/* (class, callback, tgid) keys: the origin split folds back */
	assert_int_equal(ntf_agg_count(agg), 5);
	assert_int_equal(find(agg, NTF_CLASS_INVAL_START, 10)->hist.count, 9);
	ntf_agg_origins(agg, NTF_CLASS_INVAL_START, NTF_AGG_ANY_CALLBACK, o);
	assert_int_equal(o[NTF_ORIGIN_FAULT], 12);
	assert_int_equal(o[NTF_ORIGIN_FORK], 2);
	assert_int_equal(o[NTF_ORIGIN_UNKNOWN], 0);
	ntf_agg_origins(agg, NTF_CLASS_CALLBACK, 4, o);
	assert_int_equal(o[NTF_ORIGIN_OOM_REAPER], 1);
	assert_int_equal(o[NTF_ORIGIN_FAULT], 0);
	/* a key with no origin counts in no origin, not in "unknown" */
	assert_int_equal(o[NTF_ORIGIN_UNKNOWN], 0);
	ntf_agg_origins(agg, NTF_CLASS_CALLBACK, NTF_AGG_ANY_CALLBACK, o);
	assert_int_equal(o[NTF_ORIGIN_FAULT], 4);
	ntf_agg_free(agg);
}

static int stop_at_second(const struct ntf_agg_entry *ent, void *ctx)
{
	int *n = ctx;

	(void)ent;
	return ++*n == 2 ? 42 : 0;
}

static void foreach_stops_on_error(void **state)
{
	struct ntf_agg *agg = agg_new(0);
	int n = 0;

	(void)state;
	for (__u32 t = 1; t <= 5; t++) {
		struct ntf_event e = ev(NTF_CLASS_PIN, t, 1);

		ntf_agg_add(agg, &e);
	}
	assert_int_equal(ntf_agg_foreach(agg, stop_at_second, &n), 42);
	assert_int_equal(n, 2);
	ntf_agg_free(agg);
}

static void reset_empties(void **state)
{
	struct ntf_agg *agg = agg_new(4);
	struct ntf_hist total;
	struct ntf_event e;

	(void)state;
	for (__u32 t = 1; t <= 10; t++) {
		e = ev(NTF_CLASS_PIN, t, 50);
		e.ret = 2;
		ntf_agg_add(agg, &e);
	}
	assert_true(ntf_agg_folded(agg) > 0);
	ntf_agg_reset(agg);
	assert_int_equal(ntf_agg_count(agg), 0);
	assert_int_equal(ntf_agg_folded(agg), 0);
	assert_int_equal(total_events(agg), 0);
	ntf_agg_class_total(agg, NTF_CLASS_PIN, &total);
	assert_int_equal(total.count, 0);
	assert_int_equal(total.pages, 0);
	/* usable again, from zero: old counts do not come back */
	e = ev(NTF_CLASS_PIN, 3, 70);
	e.ret = 1;
	ntf_agg_add(agg, &e);
	assert_int_equal(ntf_agg_count(agg), 1);
	assert_int_equal(find(agg, NTF_CLASS_PIN, 3)->hist.count, 1);
	ntf_agg_class_total(agg, NTF_CLASS_PIN, &total);
	assert_int_equal(total.pages, 1);
	assert_int_equal(total.max_ns, 70);
	ntf_agg_free(agg);
}

static int count_visit(const struct ntf_agg_entry *ent, void *ctx)
{
	(void)ent;
	(*(int *)ctx)++;
	return 0;
}

static void generations_select_changed_entries(void **state)
{
	struct ntf_agg *agg = agg_new(0);
	struct ntf_event a = ev(NTF_CLASS_INVAL_START, 10, 100);
	struct ntf_event b = ev(NTF_CLASS_INVAL_START, 20, 100);
	__u64 sent;
	int n = 0;

	(void)state;
	assert_int_equal(ntf_agg_add(agg, &a), 0);
	assert_int_equal(ntf_agg_add(agg, &b), 0);
	sent = ntf_agg_tick(agg);
	assert_true(ntf_agg_gen(agg) > sent);
	/* nothing changed since the tick */
	assert_int_equal(ntf_agg_foreach_since(agg, sent, count_visit, &n), 0);
	assert_int_equal(n, 0);
	/* one entry changes: only it is visited */
	assert_int_equal(ntf_agg_add(agg, &b), 0);
	assert_int_equal(ntf_agg_foreach_since(agg, sent, count_visit, &n), 0);
	assert_int_equal(n, 1);
	/* from the start, both */
	n = 0;
	assert_int_equal(ntf_agg_foreach_since(agg, 0, count_visit, &n), 0);
	assert_int_equal(n, 2);
	ntf_agg_free(agg);
}

static void put_replaces_and_get_finds(void **state)
{
	struct ntf_agg *agg = agg_new(0);
	struct ntf_agg_entry ent = { .key = { .class = NTF_CLASS_PIN, .tgid = 7 } };
	const struct ntf_agg_entry *got;

	(void)state;
	assert_null(ntf_agg_get(agg, &ent.key));
	ent.hist.count = 5;
	snprintf(ent.comm, sizeof(ent.comm), "gpu-app");
	assert_int_equal(ntf_agg_put(agg, &ent), 0);
	ent.hist.count = 9; /* a later snapshot replaces, not adds */
	assert_int_equal(ntf_agg_put(agg, &ent), 0);
	got = ntf_agg_get(agg, &ent.key);
	assert_non_null(got);
	assert_int_equal(got->hist.count, 9);
	assert_string_equal(got->comm, "gpu-app");
	assert_int_equal(ntf_agg_count(agg), 1);
	ntf_agg_free(agg);
}

/* What a whole aggregate holds per class and callback, however it is keyed. */
#define SUMS_SUBS 4
struct sums {
	struct ntf_hist hist[NTF_CLASS_MAX][SUMS_SUBS];
	__u64 origins[NTF_CLASS_MAX][SUMS_SUBS][NTF_ORIGIN_MAX];
};

static int sums_visit(const struct ntf_agg_entry *ent, void *ctx)
{
	struct sums *s = ctx;
	unsigned int c = ent->key.class, sub = ent->key.callback;

	assert_true(c < NTF_CLASS_MAX && sub < SUMS_SUBS);
	ntf_hist_merge(&s->hist[c][sub], &ent->hist);
	for (int o = 0; o < NTF_ORIGIN_MAX; o++)
		s->origins[c][sub][o] += ent->origins[o];
	return 0;
}

/* Prints how b differs from a (what it mirrors); returns the number of differences. */
static int diff_sums(const struct ntf_agg *a, const struct ntf_agg *b, const char *when)
{
	static struct sums sa, sb;
	int bad = 0;

	memset(&sa, 0, sizeof(sa));
	memset(&sb, 0, sizeof(sb));
	ntf_agg_foreach(a, sums_visit, &sa);
	ntf_agg_foreach(b, sums_visit, &sb);
	for (int c = 0; c < NTF_CLASS_MAX; c++)
		for (int sub = 0; sub < SUMS_SUBS; sub++) {
			const struct ntf_hist *ha = &sa.hist[c][sub], *hb = &sb.hist[c][sub];

			if (memcmp(ha, hb, sizeof(*ha))) {
				print_message("%s: class %d sub %d: %llu events, want %llu\n", when,
					      c, sub, (unsigned long long)hb->count,
					      (unsigned long long)ha->count);
				bad++;
			}
			if (memcmp(sa.origins[c][sub], sb.origins[c][sub],
				   sizeof(sa.origins[c][sub]))) {
				print_message("%s: class %d sub %d: origins differ\n", when, c,
					      sub);
				bad++;
			}
		}
	return bad;
}

static int put_visit(const struct ntf_agg_entry *ent, void *ctx)
{
	assert_int_equal(ntf_agg_put(ctx, ent), 0);
	return 0;
}

/*
 * procs processes of two callbacks, 3 events each a round; the odd ones
 * idle every other round. Each round's latencies and origins differ.
 */
static void fold_round(struct ntf_agg *src, unsigned int round, __u32 procs)
{
	for (__u32 t = 0; t < procs; t++) {
		if (round % 2 && t % 2)
			continue;
		for (int i = 0; i < 3; i++) {
			struct ntf_event e =
				ev(NTF_CLASS_INVAL_START, 700 + t, (t + 1) * 1000 << round);

			e.callback = 1 + t % 2;
			e.origin = (t + round + i) % NTF_ORIGIN_MAX;
			e.flags = i ? NTF_F_BLOCKABLE : NTF_F_FAILED;
			assert_int_equal(ntf_agg_add(src, &e), 0);
		}
	}
}

/*
 * A mirror with less room than its source (notifier-top's, of a daemon
 * with a larger -K) folds the processes it has no key for into "other",
 * which must hold their current cumulative values: every put of a folded
 * process replaces what it put before, as puts of keys of their own do,
 * instead of adding its totals again. A source's own "other" key (it
 * folded too) is one more such process; a snapshot sent again changes
 * nothing; pruning after a restarted source's snapshot leaves only what
 * it sent.
 */
static void put_folds_current_values_once(void **state)
{
	static const size_t src_keys[] = { 0, 9 };

	(void)state;
	for (size_t k = 0; k < sizeof(src_keys) / sizeof(src_keys[0]); k++) {
		struct ntf_agg *src = agg_new(src_keys[k]), *mirror = agg_new(5);
		struct ntf_hist total;
		__u64 since = 0;
		int bad = 0;

		for (unsigned int round = 0; round < 4; round++) {
			char when[64];

			fold_round(src, round, 15);
			/* what changed since the last update, as a delta ships it */
			assert_int_equal(ntf_agg_foreach_since(src, since, put_visit, mirror), 0);
			since = ntf_agg_tick(src);
			snprintf(when, sizeof(when), "source of %zu keys, update %u", src_keys[k],
				 round + 1);
			bad += diff_sums(src, mirror, when);
		}
		/* evens in 4 rounds, odds in 2: 8 x 12 + 7 x 6 events */
		ntf_agg_class_total(mirror, NTF_CLASS_INVAL_START, &total);
		if (total.count != 8 * 12 + 7 * 6)
			print_message("%llu events in all, want %d\n",
				      (unsigned long long)total.count, 8 * 12 + 7 * 6);
		bad += total.count != 8 * 12 + 7 * 6;
		assert_true(ntf_agg_count(mirror) <= 5 + 2);
		assert_true(ntf_agg_folded(mirror) > 0);
		/* the same snapshot again */
		assert_int_equal(ntf_agg_foreach(src, put_visit, mirror), 0);
		bad += diff_sums(src, mirror, "the same snapshot again");
		/* a restarted source's snapshot, then what it did not send is dropped */
		ntf_agg_free(src);
		src = agg_new(src_keys[k]);
		fold_round(src, 0, 10);
		since = ntf_agg_tick(mirror);
		assert_int_equal(ntf_agg_foreach(src, put_visit, mirror), 0);
		assert_int_equal(ntf_agg_prune(mirror, since), 0);
		bad += diff_sums(src, mirror, "a restarted source");
		assert_int_equal(bad, 0);
		ntf_agg_free(src);
		ntf_agg_free(mirror);
	}
}

static __u64 spread(int kind, __u64 *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	switch (kind) {
	case 0: return 2000 + *x % 500; /* a few buckets */
	case 1: return (1ULL << (8 + (*x >> 20) % 12)) + (*x >> 40) % 256; /* 12 powers of two */
	default: return (*x >> 30) >> (*x % 34); /* 0 ns to hours: more than a stage */
	}
}

struct fine_check {
	const struct ntf_buckets *want;
	size_t seen;
};

static int fine_visit(const struct ntf_agg_entry *ent, void *ctx)
{
	struct fine_check *c = ctx;

	same_buckets(&ent->fine, &c->want[ent->key.tgid - 1]);
	assert_int_equal(ntf_buckets_total(&ent->fine), ent->hist.count);
	c->seen++;
	return 0;
}

/*
 * ntf_agg_add stages the fine buckets; whatever hands an entry out (get,
 * foreach, fine) shows every event in its bucket, as adding each to a
 * struct ntf_buckets does, between adds as after them.
 */
static void fine_buckets_hold_every_event(void **state)
{
	struct ntf_agg *agg = agg_new(0);
	struct ntf_buckets want[3] = {}, all = {}, got = {};
	struct fine_check c = { .want = want };
	struct ntf_hist_key key = { .class = NTF_CLASS_CALLBACK, .tgid = 2 };
	__u64 x = 0x2545f4914f6cdd1dULL;
	const struct ntf_agg_entry *ent;

	(void)state;
	assert_non_null(agg);
	for (int i = 0; i < 150000; i++) {
		int k = i % 3;
		struct ntf_event e = ev(NTF_CLASS_CALLBACK, k + 1, spread(k, &x));

		assert_int_equal(ntf_agg_add(agg, &e), 0);
		assert_int_equal(ntf_buckets_add_index(&want[k], ntf_bucket_of(e.latency_ns), 1),
				 0);
		if (i % 40000 == 39999) {
			ent = ntf_agg_get(agg, &key);
			assert_non_null(ent);
			same_buckets(&ent->fine, &want[1]);
		}
	}
	assert_int_equal(ntf_agg_foreach(agg, fine_visit, &c), 0);
	assert_int_equal(c.seen, 3);
	for (int k = 0; k < 3; k++)
		assert_int_equal(ntf_buckets_merge(&all, &want[k]), 0);
	assert_int_equal(ntf_agg_fine(agg, NTF_CLASS_CALLBACK, NTF_AGG_ANY_CALLBACK, &got), 0);
	same_buckets(&got, &all);
	ent = ntf_agg_get(agg, &key);
	assert_true(ntf_agg_quantile(ent, 0.99) ==
		    ntf_buckets_quantile(&want[1], 0.99, ent->hist.min_ns, ent->hist.max_ns));
	/* a reset drops what was staged with the rest */
	ntf_agg_reset(agg);
	assert_int_equal(ntf_agg_count(agg), 0);
	for (int k = 0; k < 3; k++)
		ntf_buckets_free(&want[k]);
	ntf_buckets_free(&all);
	ntf_buckets_free(&got);
	ntf_agg_free(agg);
}

/*
 * A key whose first event took 0 ns (its stage starts with no window
 * placed) and whose next ones did not: the window moves to them at the
 * first, and every event after it is counted once, where it belongs.
 */
static void first_event_of_0_ns_then_timed_ones(void **state)
{
	struct ntf_agg *agg = agg_new(0);
	struct ntf_buckets want = {};
	struct ntf_hist_key key = { .class = NTF_CLASS_CALLBACK, .tgid = 9 };
	const struct ntf_agg_entry *ent;
	__u64 x = 0x9e3779b97f4a7c15ULL;

	(void)state;
	assert_non_null(agg);
	for (int i = 0; i < 3000; i++) {
		/* 0 ns, then 256 ns to 1 ms */
		__u64 ns = i ? spread(1, &x) : 0;
		struct ntf_event e = ev(NTF_CLASS_CALLBACK, 9, ns);

		assert_int_equal(ntf_agg_add(agg, &e), 0);
		assert_int_equal(ntf_buckets_add_index(&want, ntf_bucket_of(ns), 1), 0);
	}
	ent = ntf_agg_get(agg, &key);
	assert_non_null(ent);
	assert_int_equal(ent->hist.count, 3000);
	same_buckets(&ent->fine, &want);
	ntf_buckets_free(&want);
	ntf_agg_free(agg);
}

/* Key t's event of round r: a latency and an origin of its own. */
static __u64 many_lat(__u32 t, unsigned int r)
{
	return 100 + (t * 7919ULL + r * 104729ULL) % 5000000;
}

struct many_check {
	unsigned int rounds; /* events each key got: rounds 0 .. rounds - 1 */
	bool odd_gone;
	struct ntf_buckets want;
	size_t seen;
};

static int many_visit(const struct ntf_agg_entry *ent, void *ctx)
{
	struct many_check *c = ctx;
	__u32 t = ent->key.tgid;
	__u64 origins[NTF_ORIGIN_MAX] = {};

	c->seen++;
	assert_false(c->odd_gone && t % 2);
	ntf_buckets_reset(&c->want);
	for (unsigned int r = 0; r < c->rounds; r++) {
		assert_int_equal(ntf_buckets_add_index(&c->want, ntf_bucket_of(many_lat(t, r)), 1),
				 0);
		origins[r % NTF_ORIGIN_MAX]++;
	}
	assert_int_equal(ent->hist.count, c->rounds);
	same_buckets(&ent->fine, &c->want);
	assert_memory_equal(ent->origins, origins, sizeof(origins));
	return 0;
}

/*
 * More keys at work than the aggregate has stages (32,768), each
 * getting its events in turn, so that nearly every event finds its
 * stage held by another key: every key's buckets and origins come out exact, read
 * whole, after a get of one key, and after a prune moves the records.
 */
static void many_keys_take_turns(void **state)
{
	const __u32 keys = 150000;
	struct ntf_agg *agg = agg_new(keys);
	struct many_check c = { .rounds = 3 };
	struct ntf_hist_key k7 = { .class = NTF_CLASS_INVAL_START, .tgid = 7 };
	__u64 before;

	(void)state;
	assert_non_null(agg);
	for (unsigned int r = 0; r < 3; r++)
		for (__u32 t = 1; t <= keys; t++) {
			struct ntf_event e = ev(NTF_CLASS_INVAL_START, t, many_lat(t, r));

			e.origin = r % NTF_ORIGIN_MAX;
			assert_int_equal(ntf_agg_add(agg, &e), 0);
			if (r == 1 && t == 9)
				assert_int_equal(ntf_agg_get(agg, &k7)->hist.count, 2);
		}
	assert_int_equal(ntf_agg_count(agg), keys);
	assert_int_equal(ntf_agg_foreach(agg, many_visit, &c), 0);
	assert_int_equal(c.seen, keys);
	/* a fourth round for the even keys only, staged when the odd ones are pruned */
	before = ntf_agg_tick(agg);
	for (__u32 t = 2; t <= keys; t += 2) {
		struct ntf_event e = ev(NTF_CLASS_INVAL_START, t, many_lat(t, 3));

		e.origin = 3 % NTF_ORIGIN_MAX;
		assert_int_equal(ntf_agg_add(agg, &e), 0);
	}
	assert_int_equal(ntf_agg_prune(agg, before), 0);
	/* and a fifth after it, into records that moved */
	for (__u32 t = 2; t <= keys; t += 2) {
		struct ntf_event e = ev(NTF_CLASS_INVAL_START, t, many_lat(t, 4));

		e.origin = 4 % NTF_ORIGIN_MAX;
		assert_int_equal(ntf_agg_add(agg, &e), 0);
	}
	c = (struct many_check){ .rounds = 5, .odd_gone = true, .want = c.want };
	assert_int_equal(ntf_agg_foreach(agg, many_visit, &c), 0);
	assert_int_equal(c.seen, keys / 2);
	ntf_buckets_free(&c.want);
	ntf_agg_free(agg);
}

/*
 * Keys sharing stages, their events in runs longer than a stage's owner
 * lets others wait (its first events then go to the buckets, the rest to
 * the stage it takes), then in turn (where a busy owner keeps its stage):
 * every key's buckets and origins come out exact.
 */
static void keys_sharing_stages_in_runs(void **state)
{
	const __u32 keys = 40000, runs = 20, rounds = 24;
	struct ntf_agg *agg = agg_new(keys);
	struct many_check c = { .rounds = rounds };

	(void)state;
	assert_non_null(agg);
	for (__u32 t = 1; t <= keys; t++)
		for (unsigned int r = 0; r < runs; r++) {
			struct ntf_event e = ev(NTF_CLASS_INVAL_START, t, many_lat(t, r));

			e.origin = r % NTF_ORIGIN_MAX;
			assert_int_equal(ntf_agg_add(agg, &e), 0);
		}
	for (unsigned int r = runs; r < rounds; r++)
		for (__u32 t = 1; t <= keys; t++) {
			struct ntf_event e = ev(NTF_CLASS_INVAL_START, t, many_lat(t, r));

			e.origin = r % NTF_ORIGIN_MAX;
			assert_int_equal(ntf_agg_add(agg, &e), 0);
		}
	assert_int_equal(ntf_agg_count(agg), keys);
	assert_int_equal(ntf_agg_foreach(agg, many_visit, &c), 0);
	assert_int_equal(c.seen, keys);
	ntf_buckets_free(&c.want);
	ntf_agg_free(agg);
}

static __u64 next_u64(__u64 *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/*
 * The log2 slots an entry is handed out with are those of its events,
 * counted one by one: at and around every power of two (where a fine
 * bucket holds values of two slots), staged or not; then the same after
 * a mirror's put, and where a put's buckets and slots disagree.
 */
static void slots_as_counted(void **state)
{
	struct ntf_agg *agg = agg_new(0), *mirror = agg_new(0);
	struct ntf_hist_key key = { .class = NTF_CLASS_CALLBACK, .tgid = 9 };
	struct ntf_hist want = {};
	struct ntf_agg_entry copy;
	struct ntf_buckets fine = {};
	const struct ntf_agg_entry *ent;
	__u64 x = 99;

	(void)state;
	assert_non_null(agg);
	assert_non_null(mirror);
	for (int round = 0; round < 20; round++) {
		for (unsigned int k = 1; k < 40; k++) {
			__u64 p = 1ULL << k, r = next_u64(&x);
			__u64 ns[] = { p - 1, p, p + r % 7, p - 1 - r % (p / 16 + 1) };

			for (unsigned int i = 0; i < 4; i++) {
				struct ntf_event e = ev(NTF_CLASS_CALLBACK, 9, ns[i]);

				assert_int_equal(ntf_agg_add(agg, &e), 0);
				ntf_hist_add(&want, ns[i]);
			}
		}
		ent = ntf_agg_get(agg, &key);
		assert_non_null(ent);
		assert_int_equal(ent->hist.count, want.count);
		assert_memory_equal(ent->hist.slots, want.slots, sizeof(want.slots));
	}
	/* a mirror's copy: the same, and handed out the same */
	assert_int_equal(ntf_agg_put(mirror, ent), 0);
	copy = *ntf_agg_get(mirror, &key);
	assert_memory_equal(copy.hist.slots, want.slots, sizeof(want.slots));
	same_buckets(&copy.fine, &ntf_agg_get(agg, &key)->fine);
	/* slots that the buckets do not hold (one more event) are kept as they came */
	ent = ntf_agg_get(agg, &key);
	assert_int_equal(ntf_buckets_copy(&fine, &ent->fine), 0);
	copy = *ent;
	copy.fine = fine;
	copy.hist.slots[3]++;
	assert_int_equal(ntf_agg_put(mirror, &copy), 0);
	ent = ntf_agg_get(mirror, &key);
	assert_memory_equal(ent->hist.slots, copy.hist.slots, sizeof(copy.hist.slots));
	same_buckets(&ent->fine, &fine);
	/* and events after that count in them */
	assert_int_equal(ntf_agg_add(mirror, &(struct ntf_event){ .class = NTF_CLASS_CALLBACK,
								  .tgid = 9,
								  .latency_ns = 1 << 20 }),
			 0);
	ent = ntf_agg_get(mirror, &key);
	assert_int_equal(ent->hist.slots[20], copy.hist.slots[20] + 1);
	assert_int_equal(ntf_buckets_total(&ent->fine), ntf_buckets_total(&fine) + 1);
	ntf_buckets_free(&fine);
	ntf_agg_free(agg);
	ntf_agg_free(mirror);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(counts_per_key),
		cmocka_unit_test(callbacks_are_keys),
		cmocka_unit_test(origins_per_key),
		cmocka_unit_test(class_totals_across_processes),
		cmocka_unit_test(pages_failures_nested),
		cmocka_unit_test(grows_past_10000_processes),
		cmocka_unit_test(max_keys_folds_into_other),
		cmocka_unit_test(add_hist_merges),
		cmocka_unit_test(foreach_stops_on_error),
		cmocka_unit_test(reset_empties),
		cmocka_unit_test(origins_sum_by_class_and_callback),
		cmocka_unit_test(generations_select_changed_entries),
		cmocka_unit_test(put_replaces_and_get_finds),
		cmocka_unit_test(put_folds_current_values_once),
		cmocka_unit_test(fine_buckets_hold_every_event),
		cmocka_unit_test(first_event_of_0_ns_then_timed_ones),
		cmocka_unit_test(slots_as_counted),
		cmocka_unit_test(many_keys_take_turns),
		cmocka_unit_test(keys_sharing_stages_in_runs),
	};

	int failed = cmocka_run_group_tests_name("aggregate", tests, staged_group, NULL);

	return failed +
	       cmocka_run_group_tests_name("aggregate, compact", tests, compact_group, NULL);
}
