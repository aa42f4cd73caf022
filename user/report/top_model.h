/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * notifier-top's model: from two reads of a cumulative aggregate and the
 * time between them, the rows of one view, filtered and sorted. Pure C, no
 * terminal and no BPF, so every number on screen is unit-tested.
 *
 * Two steps: top_model_update() takes the per-key deltas of an interval;
 * top_model_query() groups, filters and sorts them for a view. A view, sort
 * or filter change re-runs only the second step, so a paused screen can
 * still be re-sorted.
 *
 * P50 and P99 are notifier hist's numbers over the interval: read from the
 * interval's fine buckets (each key's minus the previous read's, summed
 * over the keys a row groups), within 2.2%, whenever every timed event of
 * the row is in them; from the log2 slots only when some are not (a feed
 * without fine buckets). Memory per interval: 64 bytes a key, and for
 * each key active in it its counters as varints (about 20 bytes, 80 at
 * most) and about 2 a fine bucket it moved, packed (288 more for its log2
 * slots only where those do not hold every event); all reused from one
 * interval to the next.
 */
#ifndef NTF_TOP_MODEL_H
#define NTF_TOP_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "aggregate.h"
#include "notifier.h"
#include "callbacks.h"
#include "top_filter.h"
#include "top_snap.h"
#include "top_view.h"

struct top_query {
	enum top_view view;
	enum top_col sort;
	bool ascending;
	bool all; /* keep rows idle in the interval */
	struct top_filter filter;
	/* rows shown at most (0: all): only these are put in order, the rest are counted */
	size_t limit;
};

/* Sets view and its default sort. */
void top_query_init(struct top_query *q, enum top_view view);

struct top_row {
	__u32 callback; /* the row's key; fields outside the view's key are 0 */
	__u32 tgid;
	__u32 class;
	char comm[NTF_COMM_LEN];
	unsigned int classes; /* 1 << class of every class with events in the interval */
	/*
	 * The interval's latency counters (P50, P99: see above). No log2
	 * slots: a row needs them only when its fine buckets miss events,
	 * and then they are summed from its deltas as its columns are worked
	 * out, so that a view of 100,000 rows does not carry 288 bytes each.
	 */
	struct ntf_hist_counts lat;
	__u64 events; /* the interval's events behind the rate column */
	double v[TOP_COL_COUNT]; /* numbers of the numeric columns; NAN: not applicable */
};

struct top_totals {
	double elapsed_s;
	double rate[NTF_CLASS_MAX]; /* events/s per class, before filters */
	__u64 events; /* in the interval */
	__u64 inval_ns; /* time in invalidate_range_start, the share's whole */
	size_t keys; /* entries of the aggregate */
	size_t rows; /* rows the query matched, before any display limit */
};

struct top_model;

struct top_model *top_model_new(void);
void top_model_free(struct top_model *m);
/*
 * Takes the deltas cur - prev over elapsed_s; prev NULL means "since the
 * start". A key whose counts went backwards (a restarted feed) counts from
 * zero. Returns 0 or -ENOMEM.
 */
int top_model_update(struct top_model *m, const struct top_snap *prev, const struct ntf_agg *cur,
		     double elapsed_s);
/*
 * top_model_update, and prev brought up to date with cur on the way
 * (top_snap_follow): one walk of cur, a lookup per changed key. What
 * notifier-top does every interval; prev must follow cur (from a first
 * top_snap_follow) for the walk to skip the keys that did not change.
 */
int top_model_advance(struct top_model *m, struct top_snap *prev, struct ntf_agg *cur,
		      double elapsed_s);
/* Builds the rows of q from the last update. Returns the row count or -ENOMEM. */
int top_model_query(struct top_model *m, const struct top_query *q);
/* Re-sorts the rows of the last query (the first of them, up to its limit). */
void top_model_sort(struct top_model *m, enum top_col col, bool ascending);
size_t top_model_rows(const struct top_model *m);
const struct top_row *top_model_row(const struct top_model *m, size_t i);
const struct top_totals *top_model_totals(const struct top_model *m);

#endif
