// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* notifier-top's model: rows, rates, interval percentiles, sorting, filters, views. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "histogram.h"
#include "proto.h"
#include "source.h"
#include "top_format.h"
#include "top_model.h"

#define US 1000ULL
#define MS 1000000ULL

/* One event; extra is pages (pin, unpin) or notifier calls (unmap). */
static void add(struct ntf_agg *agg, unsigned int class, __u32 sub, __u32 tgid, const char *comm,
		__u64 lat, __u32 flags, __u32 extra, unsigned int origin)
{
	struct ntf_event e = {
		.class = class,
		.callback = sub,
		.tgid = tgid,
		.pid = tgid,
		.latency_ns = lat,
		.flags = flags,
		.mech = NTF_MECH_FENTRY,
		.origin = origin,
	};

	snprintf(e.comm, sizeof(e.comm), "%s", comm);
	if (class == NTF_CLASS_PIN)
		e.ret = extra;
	else if (class == NTF_CLASS_UNPIN)
		e.pin.nr_pages = extra;
	else if (class == NTF_CLASS_UNMAP)
		e.unmap.notifier_calls = extra;
	assert_int_equal(ntf_agg_add(agg, &e), 0);
}

static void add_n(struct ntf_agg *agg, int n, unsigned int class, __u32 sub, __u32 tgid,
		  const char *comm, __u64 lat, __u32 flags)
{
	for (int i = 0; i < n; i++)
		add(agg, class, sub, tgid, comm, lat, flags, 0, NTF_ORIGIN_MADVISE);
}

static void copy_agg(struct ntf_agg *dst, const struct ntf_agg *src);

static int put_cb(const struct ntf_agg_entry *e, void *ctx)
{
	return ntf_agg_put(ctx, e);
}

static void copy_agg(struct ntf_agg *dst, const struct ntf_agg *src)
{
	ntf_agg_reset(dst);
	assert_int_equal(ntf_agg_foreach(src, put_cb, dst), 0);
}

/* The model of cur since prev (an aggregate read before, or NULL), queried by q. */
static struct top_model *build(struct ntf_agg *prev, const struct ntf_agg *cur, double secs,
			       const struct top_query *q)
{
	struct top_model *m = top_model_new();
	struct top_snap *snap = NULL;

	assert_non_null(m);
	if (prev) {
		snap = top_snap_new();
		assert_non_null(snap);
		assert_int_equal(top_snap_take(snap, prev, 0), 0);
		assert_int_equal(top_snap_count(snap), ntf_agg_count(prev));
	}
	assert_int_equal(top_model_update(m, snap, cur, secs), 0);
	assert_true(top_model_query(m, q) >= 0);
	top_snap_free(snap);
	return m;
}

static const struct top_row *find_row(const struct top_model *m, __u32 sub, __u32 tgid)
{
	for (size_t i = 0; i < top_model_rows(m); i++) {
		const struct top_row *r = top_model_row(m, i);

		if (r->callback == sub && r->tgid == tgid)
			return r;
	}
	return NULL;
}

static void assert_near(double got, double want, double tol)
{
	if (fabs(got - want) > tol)
		fail_msg("got %f, want %f (+-%f)", got, want, tol);
}

/* Two processes, two callbacks: one row per pair with every column's number. */
static void default_view_rows(void **state)
{
	struct ntf_agg *cur = ntf_agg_new(0);
	struct top_query q;
	struct top_model *m;
	const struct top_row *r;

	(void)state;
	top_query_init(&q, TOP_VIEW_DEFAULT);
	/* (0, 100): 8 blockable + 2 non-blockable invalidations, one failed; 3 s of them */
	add_n(cur, 8, NTF_CLASS_INVAL_START, 0, 100, "gpu", 250 * MS, NTF_F_BLOCKABLE);
	add_n(cur, 1, NTF_CLASS_INVAL_START, 0, 100, "gpu", 250 * MS, 0);
	add_n(cur, 1, NTF_CLASS_INVAL_START, 0, 100, "gpu", 250 * MS, NTF_F_FAILED);
	add_n(cur, 10, NTF_CLASS_INVAL_END, 0, 100, "gpu", 1 * US, NTF_F_BLOCKABLE);
	/* fence waits: 4, 2 of them nested, 1 failed (a timeout) */
	add_n(cur, 2, NTF_CLASS_FENCE_WAIT, 0, 100, "gpu", 5 * US, NTF_F_NESTED);
	add_n(cur, 1, NTF_CLASS_FENCE_WAIT, 0, 100, "gpu", 5 * US, NTF_F_FAILED);
	add_n(cur, 1, NTF_CLASS_FENCE_WAIT, 0, 100, "gpu", 5 * US, 0);
	add(cur, NTF_CLASS_PIN, 0, 100, "gpu", 2 * US, 0, 64, NTF_ORIGIN_SYSCALL);
	add(cur, NTF_CLASS_UNMAP, 0, 100, "gpu", 3 * US, 0, 2, NTF_ORIGIN_KSWAPD);
	add(cur, NTF_CLASS_UNMAP, 0, 100, "gpu", 3 * US, 0, 1, NTF_ORIGIN_MUNMAP);
	/* (1, 100): driver 1's callback, 1 s of it; (0, 200): 1 s of invalidation */
	add_n(cur, 4, NTF_CLASS_CALLBACK, 1, 100, "gpu", 250 * MS, NTF_F_BLOCKABLE);
	add_n(cur, 2, NTF_CLASS_INVAL_START, 0, 200, "kvm", 500 * MS, NTF_F_BLOCKABLE);
	m = build(NULL, cur, 2.0, &q);

	assert_int_equal(top_model_rows(m), 3);
	assert_int_equal(top_model_totals(m)->rows, 3);
	assert_int_equal(top_model_totals(m)->events, 10 + 10 + 4 + 1 + 2 + 4 + 2);
	assert_near(top_model_totals(m)->rate[NTF_CLASS_INVAL_START], 12 / 2.0, 1e-9);
	/* 10 invalidations of 250 ms and 2 of 500 ms */
	assert_int_equal(top_model_totals(m)->inval_ns, 3500 * MS);

	r = find_row(m, 0, 100);
	assert_non_null(r);
	assert_string_equal(r->comm, "gpu");
	/* the chain's row counts invalidations, not every class's events */
	assert_near(r->v[TOP_COL_RATE], 10 / 2.0, 1e-9);
	assert_near(r->v[TOP_COL_SHARE], 100.0 * 2500 / 3500, 1e-9);
	assert_near(r->v[TOP_COL_FAIL], 1 + 1, 0); /* the invalidation and the fence wait */
	assert_near(r->v[TOP_COL_BLOCKABLE], 100.0 * 8 / 10, 1e-9);
	assert_near(r->v[TOP_COL_NESTED], 2, 0);
	assert_near(r->v[TOP_COL_PINNED], 64, 0);
	assert_near(r->v[TOP_COL_RECLAIM], 1, 0);
	/* latency is invalidate start's: 250 ms, from its fine buckets (a log2 p50 said 201 ms) */
	assert_near(r->v[TOP_COL_P50], 250 * MS, 0.022 * 250 * MS);
	assert_near(r->v[TOP_COL_P99], 250 * MS, 0.022 * 250 * MS);
	assert_near(r->v[TOP_COL_LAT_MAX], 250 * MS, 0);

	/* a driver's row: its callback's calls, time and blockable share */
	r = find_row(m, 1, 100);
	assert_non_null(r);
	assert_near(r->v[TOP_COL_RATE], 4 / 2.0, 1e-9);
	assert_near(r->v[TOP_COL_SHARE], 100.0 * 1000 / 3500, 1e-9);
	assert_near(r->v[TOP_COL_BLOCKABLE], 100, 1e-9);
	assert_near(r->v[TOP_COL_FAIL], 0, 0);
	assert_near(r->v[TOP_COL_LAT_MAX], 250 * MS, 0);

	r = find_row(m, 0, 200);
	assert_non_null(r);
	assert_string_equal(r->comm, "kvm");
	assert_near(r->v[TOP_COL_SHARE], 100.0 * 1000 / 3500, 1e-9);
	top_model_free(m);
	ntf_agg_free(cur);
}

/* Percentiles, max and rates of an interval come from the delta, not the totals. */
static void percentiles_from_deltas(void **state)
{
	struct ntf_agg *prev = ntf_agg_new(0), *cur = ntf_agg_new(0);
	struct top_query q;
	struct top_model *m;
	const struct top_row *r;

	(void)state;
	top_query_init(&q, TOP_VIEW_PROCESS);
	/* before: 1000 fast ones and one very slow; the interval: 10 at ~1 ms */
	add_n(prev, 1000, NTF_CLASS_INVAL_START, 0, 7, "p", 1 * US, NTF_F_BLOCKABLE);
	add_n(prev, 1, NTF_CLASS_INVAL_START, 0, 7, "p", 900 * MS, NTF_F_BLOCKABLE);
	copy_agg(cur, prev);
	add_n(cur, 10, NTF_CLASS_INVAL_START, 0, 7, "p", 1 * MS, NTF_F_BLOCKABLE);
	m = build(prev, cur, 0.5, &q);

	assert_int_equal(top_model_rows(m), 1);
	r = top_model_row(m, 0);
	assert_near(r->v[TOP_COL_RATE], 10 / 0.5, 1e-9);
	/* the cumulative p50 would be ~1 us: the interval's is 1 ms, within 2.2% */
	assert_near(r->v[TOP_COL_P50], 1 * MS, 0.022 * MS);
	assert_near(r->v[TOP_COL_P99], 1 * MS, 0.022 * MS);
	/* the old 900 ms max is not this interval's: its top fine bucket bounds it, 4.4% wide */
	assert_true(r->v[TOP_COL_LAT_MAX] <= 1.045 * MS);
	assert_true(r->v[TOP_COL_LAT_MAX] >= 1 * MS);
	assert_int_equal(r->lat.count, 10);
	top_model_free(m);

	/* a new max inside the interval is exact */
	add_n(cur, 1, NTF_CLASS_INVAL_START, 0, 7, "p", 950 * MS, NTF_F_BLOCKABLE);
	m = build(prev, cur, 0.5, &q);
	assert_near(top_model_row(m, 0)->v[TOP_COL_LAT_MAX], 950 * MS, 0);
	top_model_free(m);

	/* nothing new: the row is idle, hidden unless asked for, and has no latency */
	m = build(cur, cur, 1.0, &q);
	assert_int_equal(top_model_rows(m), 0);
	q.all = true;
	assert_int_equal(top_model_query(m, &q), 1);
	r = top_model_row(m, 0);
	assert_near(r->v[TOP_COL_RATE], 0, 0);
	assert_true(isnan(r->v[TOP_COL_P99]));
	assert_true(isnan(r->v[TOP_COL_LAT_MAX]));
	top_model_free(m);
	ntf_agg_free(prev);
	ntf_agg_free(cur);
}

/* A source that restarted (counts went down) counts from zero again. */
static void restart_counts_from_zero(void **state)
{
	struct ntf_agg *prev = ntf_agg_new(0), *cur = ntf_agg_new(0);
	struct top_query q;
	struct top_model *m;

	(void)state;
	top_query_init(&q, TOP_VIEW_PROCESS);
	add_n(prev, 100, NTF_CLASS_FENCE_WAIT, 0, 9, "x", 10 * US, 0);
	add_n(cur, 5, NTF_CLASS_FENCE_WAIT, 0, 9, "x", 10 * US, 0);
	m = build(prev, cur, 1.0, &q);
	assert_int_equal(top_model_rows(m), 1);
	assert_near(top_model_row(m, 0)->v[TOP_COL_RATE], 5, 0);
	top_model_free(m);
	ntf_agg_free(prev);
	ntf_agg_free(cur);
}

/* A snapshot follows its aggregate by generations: only what changed is copied. */
static void snapshots_by_generation(void **state)
{
	struct ntf_agg *agg = ntf_agg_new(0);
	struct top_snap *snap = top_snap_new();
	struct ntf_hist_key k1 = { .class = NTF_CLASS_PIN, .tgid = 1 };
	struct ntf_hist_key k2 = { .class = NTF_CLASS_UNMAP, .callback = 2, .tgid = 2 };
	const struct top_snap_entry *e;
	struct ntf_hist_counts c;
	__u64 gen, reclaim;

	(void)state;
	assert_null(top_snap_get(snap, &k1));
	add(agg, NTF_CLASS_PIN, 0, 1, "a", 1 * US, 0, 4, NTF_ORIGIN_SYSCALL);
	gen = ntf_agg_gen(agg);
	assert_int_equal(top_snap_take(snap, agg, 0), 0);
	ntf_agg_tick(agg);
	add(agg, NTF_CLASS_UNMAP, 2, 2, "b", 1 * US, 0, 1, NTF_ORIGIN_KSWAPD);
	add(agg, NTF_CLASS_UNMAP, 2, 2, "b", 1 * US, 0, 1, NTF_ORIGIN_MUNMAP);
	/* only k2 changed since gen */
	assert_int_equal(top_snap_take(snap, agg, gen), 0);
	assert_int_equal(top_snap_count(snap), 2);
	e = top_snap_get(snap, &k1);
	assert_non_null(e);
	top_snap_counts(e, &c, &reclaim);
	assert_int_equal(c.count, 1);
	assert_int_equal(c.pages, 4);
	assert_int_equal(reclaim, 0);
	e = top_snap_get(snap, &k2);
	assert_non_null(e);
	top_snap_counts(e, &c, &reclaim);
	assert_int_equal(c.count, 2);
	assert_int_equal(c.sum_ns, 2 * US);
	assert_int_equal(reclaim, 1);
	/* many keys: the index grows and every key is still found */
	for (__u32 t = 10; t < 5000; t++)
		add(agg, NTF_CLASS_FENCE_WAIT, 0, t, "c", t, 0, 0, NTF_ORIGIN_SYSCALL);
	assert_int_equal(top_snap_take(snap, agg, 0), 0);
	assert_int_equal(top_snap_count(snap), 2 + 4990);
	for (__u32 t = 10; t < 5000; t++) {
		struct ntf_hist_key k = { .class = NTF_CLASS_FENCE_WAIT, .tgid = t };

		e = top_snap_get(snap, &k);
		assert_non_null(e);
		top_snap_counts(e, &c, NULL);
		assert_int_equal(c.max_ns, t);
		assert_int_equal(c.min_ns, t);
	}
	top_snap_free(snap);
	ntf_agg_free(agg);
}

/* Five processes with distinct rates, latencies and names. */
static struct ntf_agg *five_processes(void)
{
	static const struct {
		__u32 tgid;
		const char *comm;
		int n;
		__u64 lat;
		int fails;
	} p[] = {
		{ 50, "delta", 3, 8 * MS, 0 },	   { 10, "alpha", 9, 1 * US, 2 },
		{ 40, "echo", 1, 2 * MS, 0 },	   { 30, "bravo", 5, 40 * US, 1 },
		{ 20, "charlie", 7, 300 * US, 0 },
	};
	struct ntf_agg *agg = ntf_agg_new(0);

	for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
		add_n(agg, p[i].n, NTF_CLASS_INVAL_START, 0, p[i].tgid, p[i].comm, p[i].lat,
		      NTF_F_BLOCKABLE);
		add_n(agg, p[i].fails, NTF_CLASS_FENCE_WAIT, 0, p[i].tgid, p[i].comm, 1 * US,
		      NTF_F_FAILED);
	}
	return agg;
}

static void assert_order(const struct top_model *m, const __u32 *tgids, size_t n)
{
	assert_int_equal(top_model_rows(m), n);
	for (size_t i = 0; i < n; i++)
		if (top_model_row(m, i)->tgid != tgids[i])
			fail_msg("row %zu is pid %u, want %u", i, top_model_row(m, i)->tgid,
				 tgids[i]);
}

static void sort_orders(void **state)
{
	struct ntf_agg *agg = five_processes();
	struct top_query q;
	struct top_model *m;

	(void)state;
	top_query_init(&q, TOP_VIEW_PROCESS);
	assert_int_equal(q.sort, TOP_COL_RATE);
	assert_false(q.ascending);
	m = build(NULL, agg, 1.0, &q);
	/* rate counts fence waits too: alpha 11, charlie 7, bravo 6, delta 3, echo 1 */
	assert_order(m, (const __u32[]){ 10, 20, 30, 50, 40 }, 5);
	top_model_sort(m, TOP_COL_RATE, true);
	assert_order(m, (const __u32[]){ 40, 50, 30, 20, 10 }, 5);
	top_model_sort(m, TOP_COL_P99, false);
	assert_order(m, (const __u32[]){ 50, 40, 20, 30, 10 }, 5);
	top_model_sort(m, TOP_COL_PID, true);
	assert_order(m, (const __u32[]){ 10, 20, 30, 40, 50 }, 5);
	top_model_sort(m, TOP_COL_PID, false);
	assert_order(m, (const __u32[]){ 50, 40, 30, 20, 10 }, 5);
	top_model_sort(m, TOP_COL_COMM, true);
	assert_order(m, (const __u32[]){ 10, 30, 20, 50, 40 }, 5);
	/* equal failures (0) keep pid order, whichever way */
	top_model_sort(m, TOP_COL_FAIL, false);
	assert_order(m, (const __u32[]){ 10, 30, 20, 40, 50 }, 5);
	top_model_sort(m, TOP_COL_FAIL, true);
	assert_order(m, (const __u32[]){ 20, 40, 50, 30, 10 }, 5);
	/* the query's own sort is applied */
	q.sort = TOP_COL_SHARE;
	q.ascending = false;
	assert_int_equal(top_model_query(m, &q), 5);
	/* share = n * lat: delta 24 ms, charlie 2.1 ms, echo 2 ms, bravo 200 us, alpha 9 us */
	assert_order(m, (const __u32[]){ 50, 20, 40, 30, 10 }, 5);
	top_model_free(m);
	ntf_agg_free(agg);
}

/* Not-applicable numbers (NAN) sort last both ways. */
static void sort_nan_last(void **state)
{
	struct ntf_agg *agg = ntf_agg_new(0);
	struct top_query q;
	struct top_model *m;

	(void)state;
	top_query_init(&q, TOP_VIEW_PROCESS);
	add_n(agg, 3, NTF_CLASS_INVAL_START, 0, 1, "a", 1 * US, NTF_F_BLOCKABLE);
	add_n(agg, 3, NTF_CLASS_FENCE_WAIT, 0, 2, "b", 1 * US, 0); /* no invalidations */
	add_n(agg, 1, NTF_CLASS_INVAL_START, 0, 3, "c", 1 * US, 0);
	m = build(NULL, agg, 1.0, &q);
	top_model_sort(m, TOP_COL_BLOCKABLE, false);
	assert_order(m, (const __u32[]){ 1, 3, 2 }, 3);
	top_model_sort(m, TOP_COL_BLOCKABLE, true);
	assert_order(m, (const __u32[]){ 3, 1, 2 }, 3);
	top_model_sort(m, TOP_COL_P50, true);
	assert_order(m, (const __u32[]){ 1, 3, 2 }, 3);
	top_model_free(m);
	ntf_agg_free(agg);
}

static void filters(void **state)
{
	struct ntf_agg *agg = five_processes();
	struct top_query q;
	struct top_model *m;

	(void)state;
	top_query_init(&q, TOP_VIEW_PROCESS);
	add_n(agg, 2, NTF_CLASS_INVAL_START, 3, 10, "alpha", 1 * US, NTF_F_BLOCKABLE);
	m = build(NULL, agg, 1.0, &q);
	assert_int_equal(top_model_rows(m), 5);

	q.filter.pid = 30;
	assert_int_equal(top_model_query(m, &q), 1);
	assert_int_equal(top_model_row(m, 0)->tgid, 30);

	memset(&q.filter, 0, sizeof(q.filter));
	snprintf(q.filter.comm, sizeof(q.filter.comm), "ha"); /* alpha, charlie */
	q.sort = TOP_COL_PID;
	q.ascending = true;
	assert_int_equal(top_model_query(m, &q), 2);
	assert_order(m, (const __u32[]){ 10, 20 }, 2);

	/* callback: entries of other callbacks do not count in the row */
	memset(&q.filter, 0, sizeof(q.filter));
	q.filter.has_callback = true;
	q.filter.callback = 3;
	assert_int_equal(top_model_query(m, &q), 1);
	assert_near(top_model_row(m, 0)->v[TOP_COL_RATE], 2, 0);

	/* class: rows that had fence waits, with all their numbers */
	memset(&q.filter, 0, sizeof(q.filter));
	q.filter.class_mask = 1u << NTF_CLASS_FENCE_WAIT;
	assert_int_equal(top_model_query(m, &q), 2);
	assert_order(m, (const __u32[]){ 10, 30 }, 2);
	assert_near(top_model_row(m, 0)->v[TOP_COL_RATE], 9 + 2 + 2, 0);
	assert_int_equal(top_model_totals(m)->rows, 2);

	/* no match */
	q.filter.pid = 40;
	assert_int_equal(top_model_query(m, &q), 0);
	top_model_free(m);
	ntf_agg_free(agg);
}

static void filter_parse(void **state)
{
	struct top_filter f;
	char err[128], text[128];

	(void)state;
	assert_int_equal(top_filter_parse("pid 42 comm=gpu driver:3 class fence_wait,pin", &f, err,
					  sizeof(err)),
			 0);
	assert_int_equal(f.pid, 42);
	assert_string_equal(f.comm, "gpu");
	assert_true(f.has_callback);
	assert_int_equal(f.callback, 3);
	assert_int_equal(f.class_mask, (1u << NTF_CLASS_FENCE_WAIT) | (1u << NTF_CLASS_PIN));
	top_filter_format(&f, text, sizeof(text));
	assert_string_equal(text, "pid 42 comm gpu driver i915 class pin,fence_wait");

	/* bare terms; "driver" and "all" */
	assert_int_equal(top_filter_parse("  1234 Xorg driver all ", &f, err, sizeof(err)), 0);
	assert_int_equal(f.pid, 1234);
	assert_string_equal(f.comm, "Xorg");
	assert_true(f.has_callback);
	assert_int_equal(f.callback, 0);

	/* empty clears */
	assert_int_equal(top_filter_parse("", &f, err, sizeof(err)), 0);
	assert_int_equal(f.pid, 0);
	assert_false(f.has_callback);
	top_filter_format(&f, text, sizeof(text));
	assert_string_equal(text, "none");

	/* errors leave the filter as it was and say why */
	f.pid = 7;
	assert_int_equal(top_filter_parse("pid abc", &f, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "abc"));
	assert_int_equal(f.pid, 7);
	assert_int_equal(top_filter_parse("pid 0", &f, err, sizeof(err)), -EINVAL);
	assert_int_equal(top_filter_parse("class bogus", &f, err, sizeof(err)), -EINVAL);
	assert_int_equal(top_filter_parse("driver a/b", &f, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "driver"));
	assert_int_equal(top_filter_parse("comm", &f, err, sizeof(err)), -EINVAL);
	assert_int_equal(top_filter_parse("comm 0123456789abcdefg", &f, err, sizeof(err)), -EINVAL);
}

/*
 * Keys hold a pid, not a cgroup: the filter looks each process up in a
 * proc tree (a fake one here). A driver named before any has its name
 * matches once one is given it, as when a daemon discovers it later.
 */
static void cgroup_and_later_driver_filters(void **state)
{
	char root[] = "/tmp/ntf-top-cgroup.XXXXXX", path[96], err[128], text[160];
	__u32 late = ntf_callback_first_discovered();
	struct ntf_agg *agg = ntf_agg_new(0);
	struct top_query q;
	struct top_model *m;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(root));
	for (int pid = 42; pid <= 43; pid++) {
		snprintf(path, sizeof(path), "%s/%d", root, pid);
		assert_int_equal(mkdir(path, 0755), 0);
		snprintf(path, sizeof(path), "%s/%d/cgroup", root, pid);
		f = fopen(path, "w");
		assert_non_null(f);
		fprintf(f, "0::%s\n", pid == 42 ? "/system.slice/gpu.service" : "/user.slice");
		fclose(f);
	}
	ntf_cgroup_set_proc_root(root);
	add_n(agg, 3, NTF_CLASS_CALLBACK, 1, 42, "gpujob", 10 * US, NTF_F_BLOCKABLE);
	add_n(agg, 5, NTF_CLASS_CALLBACK, late, 43, "desktop", 10 * US, NTF_F_BLOCKABLE);
	add_n(agg, 7, NTF_CLASS_CALLBACK, 1, 44, "gone", 10 * US, NTF_F_BLOCKABLE);

	top_query_init(&q, TOP_VIEW_PROCESS);
	assert_int_equal(
		top_filter_parse("cgroup /sys/fs/cgroup/system.slice", &q.filter, err, sizeof(err)),
		0);
	top_filter_format(&q.filter, text, sizeof(text));
	assert_string_equal(text, "cgroup /system.slice");
	m = build(NULL, agg, 1.0, &q);
	assert_int_equal(top_model_rows(m), 1);
	assert_int_equal(top_model_row(m, 0)->tgid, 42);
	/* the root holds every process that has a v2 cgroup; 44 has none here */
	assert_int_equal(top_filter_parse("cgroup /", &q.filter, err, sizeof(err)), 0);
	assert_int_equal(top_model_query(m, &q), 2);

	assert_int_equal(top_filter_parse("driver latedrv", &q.filter, err, sizeof(err)), 0);
	assert_false(q.filter.has_callback);
	assert_int_equal(top_model_query(m, &q), 0);
	assert_int_equal(ntf_driver_name_set(late, "latedrv"), 0);
	assert_int_equal(top_model_query(m, &q), 1);
	assert_int_equal(top_model_row(m, 0)->tgid, 43);
	top_filter_format(&q.filter, text, sizeof(text));
	assert_string_equal(text, "driver latedrv");

	ntf_driver_name_set(late, "");
	ntf_cgroup_set_proc_root(NULL);
	snprintf(path, sizeof(path), "rm -rf %s", root);
	assert_int_equal(system(path), 0);
	top_model_free(m);
	ntf_agg_free(agg);
}

static void driver_and_class_views(void **state)
{
	struct ntf_agg *agg = ntf_agg_new(0);
	struct top_query q;
	struct top_model *m;
	const struct top_row *r;
	double share = 0;

	(void)state;
	add_n(agg, 4, NTF_CLASS_INVAL_START, 0, 1, "a", 10 * US, NTF_F_BLOCKABLE);
	add_n(agg, 6, NTF_CLASS_INVAL_START, 0, 2, "b", 10 * US, NTF_F_BLOCKABLE);
	/* driver 2 refuses 5 non-blockable ranges (the OOM reaper's) */
	add_n(agg, 5, NTF_CLASS_CALLBACK, 2, 2, "b", 20 * US, NTF_F_FAILED);
	add_n(agg, 3, NTF_CLASS_FENCE_WAIT, 0, 1, "a", 30 * US, NTF_F_NESTED);
	add(agg, NTF_CLASS_UNPIN, 0, 1, "a", 0, 0, 8, NTF_ORIGIN_SYSCALL);

	top_query_init(&q, TOP_VIEW_DRIVER);
	m = build(NULL, agg, 1.0, &q);
	assert_int_equal(top_model_rows(m), 2);
	r = top_model_row(m, 0); /* the chain: its 4 + 6 invalidations */
	assert_int_equal(r->callback, 0);
	assert_int_equal(r->tgid, 0);
	assert_near(r->v[TOP_COL_RATE], 10, 0);
	assert_near(r->v[TOP_COL_NESTED], 3, 0);
	assert_near(r->v[TOP_COL_FAIL], 0, 0);
	assert_near(r->v[TOP_COL_BLOCKABLE], 100, 0);
	/* the refusing driver's own row has its refusals, blockable share and latency */
	r = top_model_row(m, 1);
	assert_int_equal(r->callback, 2);
	assert_near(r->v[TOP_COL_RATE], 5, 0);
	assert_near(r->v[TOP_COL_FAIL], 5, 0);
	assert_near(r->v[TOP_COL_BLOCKABLE], 0, 0);
	assert_near(r->v[TOP_COL_P50], 20 * US, 0.022 * 20 * US);
	assert_near(r->v[TOP_COL_LAT_MAX], 20 * US, 0);
	/* and so has its row in the default view */
	q.view = TOP_VIEW_DEFAULT;
	assert_int_equal(top_model_query(m, &q), 3);
	r = find_row(m, 2, 2);
	assert_non_null(r);
	assert_near(r->v[TOP_COL_FAIL], 5, 0);
	assert_near(r->v[TOP_COL_BLOCKABLE], 0, 0);
	assert_near(r->v[TOP_COL_LAT_MAX], 20 * US, 0);

	q.view = TOP_VIEW_CLASS;
	assert_int_equal(top_model_query(m, &q), 4);
	for (size_t i = 0; i < top_model_rows(m); i++) {
		r = top_model_row(m, i);
		share += r->v[TOP_COL_SHARE];
		if (r->class == NTF_CLASS_INVAL_START) {
			assert_near(r->v[TOP_COL_RATE], 10, 0);
			assert_near(r->v[TOP_COL_BLOCKABLE], 100, 1e-9);
		} else if (r->class == NTF_CLASS_CALLBACK) {
			assert_near(r->v[TOP_COL_RATE], 5, 0);
			assert_near(r->v[TOP_COL_FAIL], 5, 0);
			assert_near(r->v[TOP_COL_BLOCKABLE], 0, 1e-9);
		} else if (r->class == NTF_CLASS_FENCE_WAIT) {
			assert_near(r->v[TOP_COL_P50], 30 * US, 0.022 * 30 * US);
			assert_near(r->v[TOP_COL_NESTED], 3, 0);
			assert_true(isnan(r->v[TOP_COL_BLOCKABLE]));
		} else {
			/* unpins are counted, never timed */
			assert_int_equal(r->class, NTF_CLASS_UNPIN);
			assert_true(isnan(r->v[TOP_COL_P50]));
		}
	}
	/* class view: shares of all traced time */
	assert_near(share, 100, 1e-9);
	top_model_free(m);
	ntf_agg_free(agg);
}

static void fence_pin_unmap_views(void **state)
{
	struct ntf_agg *prev = ntf_agg_new(0), *cur = ntf_agg_new(0);
	struct top_query q;
	struct top_model *m;
	const struct top_row *r;

	(void)state;
	/* pid 5 pinned 100 pages and released 30 before the interval, then idles */
	add(prev, NTF_CLASS_PIN, 0, 5, "idle", 1 * US, 0, 100, NTF_ORIGIN_SYSCALL);
	add(prev, NTF_CLASS_UNPIN, 0, 5, "idle", 0, 0, 30, NTF_ORIGIN_SYSCALL);
	copy_agg(cur, prev);
	/* pid 6: 3 pins of 16 pages (one nested), 1 unpin of 8 */
	for (int i = 0; i < 3; i++)
		add(cur, NTF_CLASS_PIN, 0, 6, "pinner", 2 * US, i ? 0 : NTF_F_NESTED, 16,
		    NTF_ORIGIN_SYSCALL);
	add(cur, NTF_CLASS_UNPIN, 0, 6, "pinner", 0, 0, 8, NTF_ORIGIN_SYSCALL);
	/* pid 7: fence waits and unmaps, two in reclaim */
	add_n(cur, 4, NTF_CLASS_FENCE_WAIT, 0, 7, "waiter", 2 * MS, 0);
	add_n(cur, 1, NTF_CLASS_FENCE_WAIT, 0, 7, "waiter", 2 * MS, NTF_F_NESTED | NTF_F_FAILED);
	add(cur, NTF_CLASS_UNMAP, 0, 7, "waiter", 5 * US, 0, 3, NTF_ORIGIN_DIRECT_RECLAIM);
	add(cur, NTF_CLASS_UNMAP, 0, 7, "waiter", 5 * US, 0, 1, NTF_ORIGIN_KSWAPD);
	add(cur, NTF_CLASS_UNMAP, 0, 7, "waiter", 5 * US, 0, 2, NTF_ORIGIN_MIGRATION);
	add_n(cur, 9, NTF_CLASS_INVAL_START, 0, 8, "other", 1 * US, NTF_F_BLOCKABLE);

	top_query_init(&q, TOP_VIEW_FENCE);
	m = build(prev, cur, 2.0, &q);
	assert_int_equal(top_model_rows(m), 1);
	r = top_model_row(m, 0);
	assert_int_equal(r->tgid, 7);
	assert_near(r->v[TOP_COL_RATE], 5 / 2.0, 1e-9);
	assert_near(r->v[TOP_COL_NESTED], 1, 0);
	assert_near(r->v[TOP_COL_FAIL], 1, 0);
	assert_near(r->v[TOP_COL_P99], 2 * MS, 0.022 * 2 * MS);

	q.view = TOP_VIEW_PIN;
	assert_int_equal(top_model_query(m, &q), 2); /* the idle pid still holds pages */
	r = top_model_row(m, 0);
	assert_int_equal(r->tgid, 6);
	assert_near(r->v[TOP_COL_RATE], 3 / 2.0, 1e-9);
	assert_near(r->v[TOP_COL_PINNED], 48, 0);
	assert_near(r->v[TOP_COL_UNPINNED], 8, 0);
	assert_near(r->v[TOP_COL_OUTSTANDING], 40, 0);
	assert_near(r->v[TOP_COL_NESTED], 1, 0);
	r = top_model_row(m, 1);
	assert_int_equal(r->tgid, 5);
	assert_near(r->v[TOP_COL_RATE], 0, 0);
	assert_near(r->v[TOP_COL_PINNED], 0, 0);
	assert_near(r->v[TOP_COL_OUTSTANDING], 70, 0);
	assert_string_equal(r->comm, "idle");

	q.view = TOP_VIEW_UNMAP;
	assert_int_equal(top_model_query(m, &q), 1);
	r = top_model_row(m, 0);
	assert_near(r->v[TOP_COL_RATE], 3 / 2.0, 1e-9);
	assert_near(r->v[TOP_COL_CALLS], 6, 0);
	assert_near(r->v[TOP_COL_RECLAIM], 2, 0);
	top_model_free(m);
	ntf_agg_free(prev);
	ntf_agg_free(cur);
}

/* --- percentiles from fine buckets --- */

/* The value of rank ceil(p * n) of v[0..n), sorted in place: what the columns estimate. */
static double exact_pct(__u64 *v, size_t n, double p)
{
	size_t rank = (size_t)ceil(p * n);

	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
			__u64 t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return (double)v[rank ? rank - 1 : 0];
}

/* Within 5% of the true value: what notifier-top promises of P50 and P99. */
static void assert_within_5pct(double got, double want, const char *what)
{
	if (isnan(got) || fabs(got - want) > 0.05 * want)
		fail_msg("%s: got %.0f ns, want %.0f ns +- 5%%", what, got, want);
}

/* The events of one interval: n callback calls of (driver 1, tgid) at lat(i). */
struct burst {
	__u32 tgid;
	int n;
	__u64 base, step; /* latency base + (i % 10) * step */
};

/* Adds the bursts to agg; their latencies go to v (of driver 1 when tgid is 0: all). */
static size_t add_bursts(struct ntf_agg *agg, const struct burst *b, size_t nb, __u32 tgid,
			 __u64 *v)
{
	size_t n = 0;

	for (size_t k = 0; k < nb; k++)
		for (int i = 0; i < b[k].n; i++) {
			__u64 lat = b[k].base + (i % 10) * b[k].step;

			add(agg, NTF_CLASS_CALLBACK, 1, b[k].tgid, "gpu", lat, NTF_F_BLOCKABLE, 0,
			    NTF_ORIGIN_MADVISE);
			if (!tgid || tgid == b[k].tgid)
				v[n++] = lat;
		}
	return n;
}

/* The row of (driver 1, tgid) in the default view, or driver 1's in the driver view. */
static const struct top_row *row_of(struct top_model *m, enum top_view view, __u32 tgid)
{
	struct top_query q;

	top_query_init(&q, view);
	assert_true(top_model_query(m, &q) > 0);
	return find_row(m, 1, view == TOP_VIEW_DRIVER ? 0 : tgid);
}

/* Copies what changed in src since gen into mirror through the wire, as the daemon feed does. */
static void send_delta(const struct ntf_agg *src, __u64 since, struct ntf_agg *mirror)
{
	struct ntf_proto_buf b = {};
	struct ntf_agg_entry e = {};
	size_t off = 0, used;

	assert_int_equal(ntf_proto_put_update(&b, since ? NTF_PROTO_DELTA : NTF_PROTO_SNAPSHOT, src,
					      since, ntf_agg_gen(src),
					      &(struct ntf_proto_counters){}),
			 0);
	while (off < b.len) {
		struct ntf_proto_frame f;
		struct ntf_proto_update u;

		assert_int_equal(ntf_proto_parse(b.data + off, b.len - off, NTF_PROTO_MAX_PAYLOAD,
						 &f, &used),
				 0);
		assert_int_equal(ntf_proto_decode_update(&f, &u), 0);
		while (ntf_proto_update_next(&u, &e) > 0)
			assert_int_equal(ntf_agg_put(mirror, &e), 0);
		off += used;
	}
	ntf_buckets_free(&e.fine);
	ntf_proto_buf_free(&b);
}

/*
 * Two intervals of known latencies, read as notifier-top reads them, from
 * the events (the live and synthetic feeds) and from a mirror fed over the
 * wire (the daemon feed): each row's P50 and P99 are within 5% of the
 * exact percentiles of that interval's events only, a driver's row of the
 * events of all its processes. The log2 slots could not say it: in the
 * first interval most calls sit at 300 us, low in the slot [262 us, 524
 * us) that a few at 450 us share, where interpolating puts the median at
 * ~380 us; in the second, the median 700 us reads as 1 ms.
 */
static void fine_percentiles_of_the_interval(void **state)
{
	static const struct burst first[] = {
		{ 100, 900, 300 * US, 1 * US }, /* 300..309 us */
		{ 100, 100, 100 * US, 0 },
		{ 100, 20, 450 * US, 0 },
		{ 200, 50, 20 * US, 1 * US },
	};
	static const struct burst second[] = {
		{ 100, 500, 700 * US, 0 },
		{ 100, 500, 1500 * US, 5 * US }, /* 1.500..1.545 ms */
		{ 200, 1200, 50 * US, 0 },
		{ 200, 30, 9 * MS, 10 * US },
	};
	static __u64 v[4096];
	struct ntf_agg *src = ntf_agg_new(0), *mirror = ntf_agg_new(0);
	struct top_snap *snap_src = top_snap_new(), *snap_mirror = top_snap_new();
	struct top_model *m_src = top_model_new(), *m_mirror = top_model_new();
	const struct burst *bursts[] = { first, second };
	const size_t nbursts[] = { 4, 4 };
	__u64 since = 0;

	(void)state;
	/* both snapshots follow from an empty start */
	assert_int_equal(top_snap_follow(snap_src, src, NULL, NULL), 0);
	assert_int_equal(top_snap_follow(snap_mirror, mirror, NULL, NULL), 0);
	for (int k = 0; k < 2; k++) {
		struct top_model *models[] = { m_src, m_mirror };
		__u64 gen = ntf_agg_gen(src);

		add_bursts(src, bursts[k], nbursts[k], 0, v);
		send_delta(src, since, mirror);
		since = gen;
		assert_int_equal(top_model_advance(m_src, snap_src, src, 1.0), 0);
		assert_int_equal(top_model_advance(m_mirror, snap_mirror, mirror, 1.0), 0);
		for (int f = 0; f < 2; f++) {
			struct ntf_agg *scratch = ntf_agg_new(0);
			const struct top_row *r;
			size_t n;
			char what[64];

			/* pid 100's row: its own events of this interval */
			n = add_bursts(scratch, bursts[k], nbursts[k], 100, v);
			r = row_of(models[f], TOP_VIEW_DEFAULT, 100);
			assert_non_null(r);
			assert_int_equal(r->lat.count, n);
			snprintf(what, sizeof(what), "interval %d, %s, pid 100 p50", k + 1,
				 f ? "daemon" : "events");
			assert_within_5pct(r->v[TOP_COL_P50], exact_pct(v, n, 0.50), what);
			what[strlen(what) - 2] = '9';
			what[strlen(what) - 1] = '9';
			assert_within_5pct(r->v[TOP_COL_P99], exact_pct(v, n, 0.99), what);
			/* the driver's row: both processes' events */
			n = add_bursts(scratch, bursts[k], nbursts[k], 0, v);
			r = row_of(models[f], TOP_VIEW_DRIVER, 0);
			assert_non_null(r);
			snprintf(what, sizeof(what), "interval %d, %s, driver p50", k + 1,
				 f ? "daemon" : "events");
			assert_within_5pct(r->v[TOP_COL_P50], exact_pct(v, n, 0.50), what);
			what[strlen(what) - 2] = '9';
			what[strlen(what) - 1] = '9';
			assert_within_5pct(r->v[TOP_COL_P99], exact_pct(v, n, 0.99), what);
			ntf_agg_free(scratch);
		}
	}
	top_model_free(m_src);
	top_model_free(m_mirror);
	top_snap_free(snap_src);
	top_snap_free(snap_mirror);
	ntf_agg_free(src);
	ntf_agg_free(mirror);
}

/* Sets key's entry in agg to a histogram of n events at lat and no fine buckets. */
static void add_slots_only(struct ntf_agg *agg, __u32 tgid, int n, __u64 lat)
{
	struct ntf_hist_key key = { .class = NTF_CLASS_CALLBACK, .callback = 1, .tgid = tgid };
	struct ntf_hist h = {};

	for (int i = 0; i < n; i++)
		ntf_hist_add(&h, lat);
	assert_int_equal(ntf_agg_add_hist(agg, &key, &h, "old"), 0);
}

/*
 * Where fine buckets are missing (a histogram read without them), the
 * columns fall back to the log2 slots, for a whole row if any of its
 * timed events lacks them: a row never mixes the two.
 */
static void log2_without_fine_buckets(void **state)
{
	struct ntf_agg *agg = ntf_agg_new(0);
	struct ntf_hist sum = {};
	struct top_query q;
	struct top_model *m;
	const struct top_row *r;

	(void)state;
	add_slots_only(agg, 300, 100, 300 * US);
	add_n(agg, 100, NTF_CLASS_CALLBACK, 1, 301, "new", 300 * US, NTF_F_BLOCKABLE);
	top_query_init(&q, TOP_VIEW_DEFAULT);
	m = build(NULL, agg, 1.0, &q);
	r = find_row(m, 1, 300);
	assert_non_null(r);
	/* the row is its one key's whole: the same slots give the same quantile */
	assert_near(r->v[TOP_COL_P50],
		    ntf_hist_quantile(
			    &ntf_agg_get(agg, &(struct ntf_hist_key){ .class = NTF_CLASS_CALLBACK,
								      .callback = 1,
								      .tgid = 300 })
				     ->hist,
			    0.50),
		    0);
	r = find_row(m, 1, 301);
	assert_non_null(r);
	assert_within_5pct(r->v[TOP_COL_P50], 300 * US, "fine p50");
	/* the driver's row holds both: log2 */
	q.view = TOP_VIEW_DRIVER;
	assert_int_equal(top_model_query(m, &q), 1);
	r = top_model_row(m, 0);
	ntf_hist_merge(&sum, &ntf_agg_get(agg, &(struct ntf_hist_key){ .class = NTF_CLASS_CALLBACK,
								       .callback = 1,
								       .tgid = 300 })
				      ->hist);
	ntf_hist_merge(&sum, &ntf_agg_get(agg, &(struct ntf_hist_key){ .class = NTF_CLASS_CALLBACK,
								       .callback = 1,
								       .tgid = 301 })
				      ->hist);
	assert_near(r->v[TOP_COL_P50], ntf_hist_quantile(&sum, 0.50), 0);
	assert_near(r->v[TOP_COL_P99], ntf_hist_quantile(&sum, 0.99), 0);
	top_model_free(m);
	ntf_agg_free(agg);
}

/*
 * The snapshot keeps a key's log2 slots only when its fine buckets do not
 * hold all its events, and reads them from the buckets otherwise. A key
 * whose buckets stop holding everything (a histogram added without them)
 * falls back to log2 for the interval, every event still counted.
 */
static void snapshot_keeps_slots_only_without_buckets(void **state)
{
	struct ntf_hist_key streamed = { .class = NTF_CLASS_CALLBACK, .callback = 1, .tgid = 301 };
	struct ntf_hist_key slots_only = { .class = NTF_CLASS_CALLBACK,
					   .callback = 1,
					   .tgid = 300 };
	struct ntf_agg *agg = ntf_agg_new(0);
	struct top_snap *snap = top_snap_new();
	struct top_model *m = top_model_new();
	const struct top_snap_entry *e;
	const struct top_row *r;
	struct ntf_hist whole, late = {};
	struct top_query q;
	unsigned int slot = ntf_hist_slot(5 * MS);

	(void)state;
	assert_int_equal(sizeof(struct top_snap_entry), 40);
	add_slots_only(agg, 300, 100, 300 * US);
	add_n(agg, 100, NTF_CLASS_CALLBACK, 1, 301, "new", 300 * US, NTF_F_BLOCKABLE);
	assert_int_equal(top_model_advance(m, snap, agg, 1.0), 0);
	e = top_snap_get(snap, &streamed);
	assert_non_null(e);
	assert_null(e->slots);
	top_snap_hist(e, &whole);
	assert_int_equal(whole.count, 100);
	assert_memory_equal(whole.slots, ntf_agg_get(agg, &streamed)->hist.slots,
			    sizeof(whole.slots));
	e = top_snap_get(snap, &slots_only);
	assert_non_null(e);
	assert_non_null(e->slots);
	assert_int_equal(e->slots[ntf_hist_slot(300 * US)], 100);

	/* 40 more events with buckets, then 50 without */
	add_n(agg, 40, NTF_CLASS_CALLBACK, 1, 301, "new", 5 * MS, NTF_F_BLOCKABLE);
	for (int i = 0; i < 50; i++)
		ntf_hist_add(&late, 5 * MS);
	assert_int_equal(ntf_agg_add_hist(agg, &streamed, &late, NULL), 0);
	assert_int_equal(top_model_advance(m, snap, agg, 1.0), 0);
	top_query_init(&q, TOP_VIEW_DEFAULT);
	assert_true(top_model_query(m, &q) >= 0);
	r = find_row(m, 1, 301);
	assert_non_null(r);
	assert_int_equal(r->lat.count, 90);
	/* log2 (the 50 lack buckets): both quantiles in the slot of the 90 events */
	assert_in_range(r->v[TOP_COL_P50], ntf_hist_slot_low(slot), ntf_hist_slot_high(slot));
	assert_in_range(r->v[TOP_COL_P99], ntf_hist_slot_low(slot), ntf_hist_slot_high(slot));
	/* its buckets no longer hold every event: the snapshot keeps its slots now */
	e = top_snap_get(snap, &streamed);
	assert_non_null(e->slots);
	assert_int_equal(e->slots[slot], 90);
	top_model_free(m);
	top_snap_free(snap);
	ntf_agg_free(agg);
}

/* 10,000 (process, driver) keys of every class: grouped and sorted right, quickly. */
static void ten_thousand_keys(void **state)
{
	struct ntf_agg *agg = ntf_agg_new(1 << 17);
	struct top_query q;
	struct top_model *m;
	struct timespec t0, t1;
	double prev = INFINITY;

	(void)state;
	for (__u32 k = 0; k < 10000; k++)
		for (unsigned int c = NTF_CLASS_INVAL_START; c <= NTF_CLASS_CALLBACK; c++)
			add_n(agg, 1 + k % 7, c, 1 + k % 4, 1000 + k / 4, "synth",
			      (k % 97 + 1) * US, NTF_F_BLOCKABLE);
	top_query_init(&q, TOP_VIEW_DEFAULT);
	q.sort = TOP_COL_P99;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	m = build(NULL, agg, 1.0, &q);
	q.view = TOP_VIEW_PROCESS;
	assert_int_equal(top_model_query(m, &q), 2500);
	q.view = TOP_VIEW_DEFAULT;
	assert_int_equal(top_model_query(m, &q), 10000);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_message("update + 3 queries of 70000 entries: %.1f ms\n",
		      (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
	for (size_t i = 0; i < top_model_rows(m); i++) {
		double v = top_model_row(m, i)->v[TOP_COL_P99];

		assert_true(v <= prev);
		prev = v;
	}
	top_model_free(m);
	ntf_agg_free(agg);
}

/* Rows of two models are the same, number for number (NaN for NaN). */
static void assert_same_rows(const struct top_model *a, const struct top_model *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct top_row *x = top_model_row(a, i), *y = top_model_row(b, i);

		assert_non_null(x);
		assert_non_null(y);
		assert_int_equal(x->callback, y->callback);
		assert_int_equal(x->tgid, y->tgid);
		assert_int_equal(x->class, y->class);
		assert_string_equal(x->comm, y->comm);
		assert_int_equal(x->events, y->events);
		assert_memory_equal(&x->lat, &y->lat, sizeof(x->lat));
		for (int c = 0; c < TOP_COL_COUNT; c++)
			if (!(isnan(x->v[c]) && isnan(y->v[c])))
				assert_true(x->v[c] == y->v[c]);
	}
}

static int add_synth(void *ctx, const struct ntf_event *e)
{
	return ntf_agg_add(ctx, e);
}

/*
 * notifier-top's walk (top_model_advance: deltas and the next snapshot in
 * one pass, unchanged keys skipped by generation) gives what diffing
 * against a snapshot of a copy, looked up key by key, gives, interval
 * after interval: keys appearing (the tables grow), idle, pins
 * outstanding, a restarted source. Both snapshots keep keys the source
 * lost in its restart.
 */
static void advance_matches_update(void **state)
{
	struct ntf_agg *cur = ntf_agg_new(1 << 17), *copy = ntf_agg_new(1 << 17);
	struct top_snap *follow = top_snap_new(), *snap = top_snap_new();
	struct top_model *fast = top_model_new(), *slow = top_model_new();
	struct ntf_synth_opts so = { .seed = 9, .batch = 500 };
	struct ntf_source *src;

	(void)state;
	assert_int_equal(top_snap_follow(follow, cur, NULL, NULL), 0);
	for (int round = 0; round < 12; round++) {
		/* more keys as it goes, a quiet round, then a restart */
		so.keys = 50 + 400 * round;
		so.seed++;
		src = ntf_source_synth_new(&so, add_synth, cur);
		assert_non_null(src);
		for (int i = 0; round != 4 && i < 6; i++)
			assert_true(ntf_source_poll(src, 0) > 0);
		ntf_source_free(src);
		if (round == 8) {
			ntf_agg_reset(cur);
			add_n(cur, 3, NTF_CLASS_PIN, 1, 1000, "synth0", 5 * US, 0);
		}
		assert_int_equal(top_snap_take(snap, copy, 0), 0);
		assert_int_equal(top_model_update(slow, snap, cur, 0.5), 0);
		assert_int_equal(top_model_advance(fast, follow, cur, 0.5), 0);
		assert_int_equal(top_snap_count(follow) >= ntf_agg_count(cur), 1);
		for (int v = 0; v < TOP_VIEW_MAX; v++) {
			for (int all = 0; all < 2; all++) {
				struct top_query q;
				int n;

				top_query_init(&q, v);
				q.all = all;
				n = top_model_query(slow, &q);
				assert_int_equal(top_model_query(fast, &q), n);
				assert_same_rows(fast, slow, n);
			}
		}
		assert_memory_equal(top_model_totals(fast), top_model_totals(slow),
				    sizeof(struct top_totals));
		copy_agg(copy, cur);
	}
	top_snap_free(snap);
	top_snap_free(follow);
	top_model_free(fast);
	top_model_free(slow);
	ntf_agg_free(cur);
	ntf_agg_free(copy);
}

/* Skipping by generation needs the snapshot to have followed this very aggregate. */
static void unchanged_only_when_followed(void **state)
{
	struct ntf_agg *agg = ntf_agg_new(0), *other = ntf_agg_new(0);
	struct top_snap *snap = top_snap_new();
	struct ntf_hist_key k1 = { .class = NTF_CLASS_PIN, .tgid = 1 };
	struct ntf_hist_key k2 = { .class = NTF_CLASS_PIN, .tgid = 2 };
	struct ntf_hist_counts c;
	__u64 gen;

	(void)state;
	add(agg, NTF_CLASS_PIN, 0, 1, "a", 1 * US, 0, 4, NTF_ORIGIN_SYSCALL);
	add(agg, NTF_CLASS_PIN, 0, 2, "b", 1 * US, 0, 4, NTF_ORIGIN_SYSCALL);
	add(other, NTF_CLASS_PIN, 0, 1, "a", 1 * US, 0, 4, NTF_ORIGIN_SYSCALL);
	/* never taken: nothing is known unchanged */
	assert_false(top_snap_unchanged(snap, agg, ntf_agg_get(agg, &k1)));
	gen = ntf_agg_gen(agg);
	assert_int_equal(top_snap_take(snap, agg, 0), 0);
	assert_true(top_snap_unchanged(snap, agg, ntf_agg_get(agg, &k1)));
	assert_false(top_snap_unchanged(snap, other, ntf_agg_get(other, &k1)));
	add(agg, NTF_CLASS_PIN, 0, 2, "b", 1 * US, 0, 4, NTF_ORIGIN_SYSCALL);
	assert_true(top_snap_unchanged(snap, agg, ntf_agg_get(agg, &k1)));
	assert_false(top_snap_unchanged(snap, agg, ntf_agg_get(agg, &k2)));
	/* a take that goes on from the last one keeps it up */
	assert_int_equal(top_snap_take(snap, agg, gen), 0);
	assert_true(top_snap_unchanged(snap, agg, ntf_agg_get(agg, &k2)));
	/* one with a gap (here it misses the change to k2) does not */
	add(agg, NTF_CLASS_PIN, 0, 2, "b", 1 * US, 0, 4, NTF_ORIGIN_SYSCALL);
	assert_int_equal(top_snap_take(snap, agg, ntf_agg_gen(agg)), 0);
	assert_false(top_snap_unchanged(snap, agg, ntf_agg_get(agg, &k1)));
	top_snap_counts(top_snap_get(snap, &k2), &c, NULL);
	assert_int_equal(c.count, 2);
	/* following brings it back */
	assert_int_equal(top_snap_follow(snap, agg, NULL, NULL), 0);
	assert_true(top_snap_unchanged(snap, agg, ntf_agg_get(agg, &k1)));
	top_snap_counts(top_snap_get(snap, &k2), &c, NULL);
	assert_int_equal(c.count, 3);
	top_snap_free(snap);
	ntf_agg_free(agg);
	ntf_agg_free(other);
}

/*
 * notifier-top mirroring a daemon with more processes than it has keys
 * for: those it folds into "other" grow it between intervals, and the
 * rows show what happened in the interval, "other" included: events,
 * notifier calls and reclaim-driven unmaps (from the origins).
 */
static void other_row_counts_the_interval(void **state)
{
	struct ntf_agg *daemon = ntf_agg_new(0), *mirror = ntf_agg_new(4);
	struct top_snap *prev = top_snap_new();
	struct top_model *m = top_model_new();
	struct top_query q;
	__u64 since = 0;

	(void)state;
	top_query_init(&q, TOP_VIEW_UNMAP);
	for (int round = 0; round < 4; round++) {
		double rate = 0, calls = 0, reclaim = 0;
		bool other = false;

		/* 12 processes, 8 of them folded: t % 3 + 1 unmaps of 2 calls each, 1 in reclaim */
		for (__u32 t = 0; t < 12; t++)
			for (__u32 i = 0; i <= t % 3; i++)
				add(daemon, NTF_CLASS_UNMAP, 0, 100 + t, "p", 10 * US, 0, 2,
				    i ? NTF_ORIGIN_MUNMAP : NTF_ORIGIN_KSWAPD);
		assert_int_equal(ntf_agg_foreach_since(daemon, since, put_cb, mirror), 0);
		since = ntf_agg_tick(daemon);
		assert_int_equal(top_model_advance(m, prev, mirror, 2.0), 0);
		if (!round)
			continue; /* the first interval starts here */
		assert_int_equal(top_model_totals(m)->events, 24);
		assert_true(top_model_query(m, &q) > 0);
		for (size_t i = 0; i < top_model_rows(m); i++) {
			const struct top_row *r = top_model_row(m, i);

			rate += r->v[TOP_COL_RATE];
			calls += r->v[TOP_COL_CALLS];
			reclaim += r->v[TOP_COL_RECLAIM];
			other |= r->tgid == NTF_AGG_OTHER_TGID;
		}
		assert_true(other);
		assert_near(rate, 24 / 2.0, 1e-9);
		assert_near(calls, 48, 0);
		assert_near(reclaim, 12, 0);
	}
	top_snap_free(prev);
	top_model_free(m);
	ntf_agg_free(daemon);
	ntf_agg_free(mirror);
}

/* With a limit, the rows up to it are the very ones a full sort puts first. */
static void limit_sorts_the_first_rows(void **state)
{
	struct ntf_agg *agg = ntf_agg_new(1 << 17);
	struct top_model *full, *part;
	static const struct {
		enum top_col col;
		bool asc;
	} sorts[] = {
		{ TOP_COL_RATE, false },     { TOP_COL_P99, false }, { TOP_COL_P99, true },
		{ TOP_COL_PID, true },	     { TOP_COL_COMM, true }, { TOP_COL_DRIVER, false },
		{ TOP_COL_BLOCKABLE, true },
	};
	struct top_query q;

	(void)state;
	for (__u32 k = 0; k < 3000; k++)
		add_n(agg, 1 + k % 5, NTF_CLASS_INVAL_START, 1 + k % 4, 1000 + k / 4, "synth",
		      (k % 37 + 1) * US, k % 3 ? NTF_F_BLOCKABLE : 0);
	top_query_init(&q, TOP_VIEW_DEFAULT);
	full = build(NULL, agg, 1.0, &q);
	part = build(NULL, agg, 1.0, &q);
	for (size_t i = 0; i < sizeof(sorts) / sizeof(sorts[0]); i++) {
		for (size_t limit = 1; limit < 3000; limit *= 7) {
			q.sort = sorts[i].col;
			q.ascending = sorts[i].asc;
			q.limit = 0;
			assert_int_equal(top_model_query(full, &q), 3000);
			q.limit = limit;
			assert_int_equal(top_model_query(part, &q), 3000);
			assert_int_equal(top_model_rows(part), 3000);
			assert_same_rows(part, full, limit);
			/* a re-sort keeps the limit */
			top_model_sort(full, TOP_COL_PID, false);
			top_model_sort(part, TOP_COL_PID, false);
			assert_same_rows(part, full, limit);
		}
	}
	top_model_free(full);
	top_model_free(part);
	ntf_agg_free(agg);
}

static void names_and_columns(void **state)
{
	(void)state;
	assert_int_equal(top_view_from_name("fence"), TOP_VIEW_FENCE);
	assert_int_equal(top_view_from_name("3"), TOP_VIEW_DEFAULT);
	assert_int_equal(top_view_from_name("7"), TOP_VIEW_UNMAP);
	assert_int_equal(top_view_from_name("8"), TOP_VIEW_MAX);
	assert_int_equal(top_view_from_name("bogus"), TOP_VIEW_MAX);
	for (int v = 0; v < TOP_VIEW_MAX; v++)
		assert_int_equal(top_view_from_name(top_view_name(v)), v);
	assert_int_equal(top_col_from_name("p99"), TOP_COL_P99);
	assert_int_equal(top_col_from_name("EV/S"), TOP_COL_RATE);
	assert_int_equal(top_col_from_name("%time"), TOP_COL_SHARE);
	assert_int_equal(top_col_from_name("pages_pinned"), TOP_COL_PINNED);
	assert_int_equal(top_col_from_name("nope"), TOP_COL_COUNT);
	assert_true(top_view_has_col(TOP_VIEW_PIN, TOP_COL_OUTSTANDING));
	assert_false(top_view_has_col(TOP_VIEW_FENCE, TOP_COL_PINNED));
	assert_true(top_col_default_ascending(TOP_COL_COMM));
	assert_false(top_col_default_ascending(TOP_COL_P99));
}

static void cells_keep_their_width(void **state)
{
	char buf[64];
	struct top_layout l;

	(void)state;
	for (double ns = 1; ns < 1e12; ns *= 1.37) {
		top_format_ns(buf, sizeof(buf), ns);
		if (strlen(buf) > 5)
			fail_msg("%.0f ns -> '%s'", ns, buf);
	}
	top_format_ns(buf, sizeof(buf), 9999);
	assert_string_equal(buf, "10us");
	top_format_ns(buf, sizeof(buf), 1500000);
	assert_string_equal(buf, "1.5ms");
	for (double v = 0.01; v < 1e15; v *= 3.1) {
		top_format_num(buf, sizeof(buf), v, 5, true);
		if (strlen(buf) > 5)
			fail_msg("%f -> '%s'", v, buf);
	}
	top_format_num(buf, sizeof(buf), 123456, 6, true);
	assert_string_equal(buf, "123456");
	top_format_num(buf, sizeof(buf), 1234567, 6, true);
	assert_string_equal(buf, "1235k");
	top_format_num(buf, sizeof(buf), 123456789, 6, true);
	assert_string_equal(buf, "123M");
	top_format_num(buf, sizeof(buf), 1234567, 4, true);
	assert_string_equal(buf, "1.2M");
	top_format_num(buf, sizeof(buf), 0.25, 6, true);
	assert_string_equal(buf, "0.2");
	top_format_num(buf, sizeof(buf), -70, 6, false);
	assert_string_equal(buf, "-70");

	/* every view fits 80 columns whole, the default one exactly */
	for (int v = 0; v < TOP_VIEW_MAX; v++) {
		const enum top_col *cols;
		unsigned int n = top_view_cols(v, &cols);

		top_layout(v, 80, &l);
		assert_true(l.total <= 80);
		assert_int_equal(l.n, n);
	}
	top_layout(TOP_VIEW_DEFAULT, 80, &l);
	assert_int_equal(l.total, 80);
	/* wider: COMM grows to 15; narrower: metrics go, keys stay */
	top_layout(TOP_VIEW_DEFAULT, 200, &l);
	assert_int_equal(l.width[2], TOP_COMM_MAX);
	top_layout(TOP_VIEW_DEFAULT, 40, &l);
	assert_true(l.total <= 40);
	assert_int_equal(l.cols[0], TOP_COL_DRIVER);
	assert_int_equal(l.cols[1], TOP_COL_PID);
	assert_int_equal(l.cols[2], TOP_COL_COMM);
	assert_int_equal(l.cols[3], TOP_COL_RATE);
	top_layout(TOP_VIEW_DEFAULT, 5, &l);
	assert_int_equal(l.n, 3);
}

static void lines_and_cells(void **state)
{
	struct top_row r = { .callback = 0, .tgid = 4242, .comm = "averyverylongcom" };
	struct top_layout l;
	char line[256];

	(void)state;
	for (int c = 0; c < TOP_COL_COUNT; c++)
		r.v[c] = NAN;
	r.v[TOP_COL_RATE] = 1500;
	r.v[TOP_COL_P99] = 2.5e6;
	r.v[TOP_COL_FAIL] = 3;
	r.v[TOP_COL_BLOCKABLE] = 100;
	top_layout(TOP_VIEW_DEFAULT, 80, &l);
	top_format_line(line, sizeof(line), &l, TOP_VIEW_DEFAULT, NULL);
	assert_string_equal(line, "DRIVER       PID COMM     EV/S   P50   P99   MAX %TIME FAIL "
				  "BLK% NEST PGPIN RECL");
	top_format_line(line, sizeof(line), &l, TOP_VIEW_DEFAULT, &r);
	assert_string_equal(line, "all         4242 averyve  1500     - 2.5ms     -     -    3 "
				  " 100    -     -    -");
	r.tgid = NTF_AGG_OTHER_TGID;
	top_format_cell(line, sizeof(line), &r, TOP_COL_PID, 7);
	assert_string_equal(line, "-");
	top_layout(TOP_VIEW_FENCE, 80, &l);
	top_format_line(line, sizeof(line), &l, TOP_VIEW_FENCE, NULL);
	assert_non_null(strstr(line, "WAIT/S"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(default_view_rows),
		cmocka_unit_test(percentiles_from_deltas),
		cmocka_unit_test(restart_counts_from_zero),
		cmocka_unit_test(snapshots_by_generation),
		cmocka_unit_test(sort_orders),
		cmocka_unit_test(sort_nan_last),
		cmocka_unit_test(filters),
		cmocka_unit_test(filter_parse),
		cmocka_unit_test(cgroup_and_later_driver_filters),
		cmocka_unit_test(driver_and_class_views),
		cmocka_unit_test(fence_pin_unmap_views),
		cmocka_unit_test(fine_percentiles_of_the_interval),
		cmocka_unit_test(log2_without_fine_buckets),
		cmocka_unit_test(snapshot_keeps_slots_only_without_buckets),
		cmocka_unit_test(ten_thousand_keys),
		cmocka_unit_test(advance_matches_update),
		cmocka_unit_test(unchanged_only_when_followed),
		cmocka_unit_test(other_row_counts_the_interval),
		cmocka_unit_test(limit_sorts_the_first_rows),
		cmocka_unit_test(names_and_columns),
		cmocka_unit_test(cells_keep_their_width),
		cmocka_unit_test(lines_and_cells),
	};

	return cmocka_run_group_tests_name("top_model", tests, NULL, NULL);
}
