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
 */
#ifndef NTF_TOP_MODEL_H
#define NTF_TOP_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "cgroup_match.h"
#include "aggregate.h"
#include "notifier.h"
#include "callbacks.h"
#include "top_snap.h"

enum top_view {
	TOP_VIEW_SUBSCRIBER, /* per subscriber, every process */
	TOP_VIEW_PROCESS, /* per process, every subscriber */
	TOP_VIEW_DEFAULT, /* per subscriber x process */
	TOP_VIEW_CLASS, /* per event class */
	TOP_VIEW_FENCE, /* fence waits per process */
	TOP_VIEW_PIN, /* pins and unpins per process */
	TOP_VIEW_UNMAP, /* try_to_unmap_one per process */
	TOP_VIEW_MAX,
};

enum top_col {
	TOP_COL_SUB,
	TOP_COL_PID,
	TOP_COL_COMM,
	TOP_COL_CLASS,
	TOP_COL_RATE, /* events/s; in the fence, pin, unmap views: of that class */
	TOP_COL_P50, /* latency of the view's latency class (top_view_lat_class) */
	TOP_COL_P99,
	TOP_COL_MAX,
	TOP_COL_SHARE, /* % of all invalidation time (class view: of all traced time) */
	TOP_COL_FAIL, /* failed invalidations + failed fence waits */
	TOP_COL_BLOCKABLE, /* % of invalidations on blockable ranges */
	TOP_COL_NESTED, /* nested events of the view's nested class */
	TOP_COL_PINNED, /* pages pinned */
	TOP_COL_UNPINNED, /* pages unpinned */
	TOP_COL_OUTSTANDING, /* pinned minus unpinned since the feed started */
	TOP_COL_RECLAIM, /* unmaps in kswapd or direct reclaim */
	TOP_COL_CALLS, /* notifier calls the unmaps caused */
	TOP_COL_MAX_,
};

enum top_col_kind { TOP_KIND_NAME, TOP_KIND_RATE, TOP_KIND_NS, TOP_KIND_PCT, TOP_KIND_COUNT };

struct top_col_info {
	const char *name; /* for -s */
	const char *json; /* key in -j rows */
	const char *header; /* on screen */
	unsigned int width; /* minimum cell width */
	enum top_col_kind kind;
	bool left; /* left-aligned */
};

extern const struct top_col_info top_cols[TOP_COL_MAX_];

/* The columns a view shows, in order; returns how many. */
unsigned int top_view_cols(enum top_view view, const enum top_col **cols);
const char *top_view_name(enum top_view view); /* -v name */
const char *top_view_title(enum top_view view); /* on screen */
/* TOP_VIEW_MAX when unknown. Also takes the digits 1-7. */
enum top_view top_view_from_name(const char *name);
/* TOP_COL_MAX_ when unknown; takes names and headers, any case. */
enum top_col top_col_from_name(const char *name);
bool top_view_has_col(enum top_view view, enum top_col col);
/* Names sort up and numbers down unless reversed. */
bool top_col_default_ascending(enum top_col col);
/* The class whose latency fills p50/p99/max (NONE: the row's own, class view). */
unsigned int top_view_lat_class(enum top_view view);

struct top_filter {
	__u32 pid; /* 0: any */
	bool has_sub;
	__u32 subscriber;
	char comm[NTF_COMM_LEN]; /* substring; empty: any */
	unsigned int class_mask; /* rows with events of these classes (1 << class); 0: any */
	char cgroup[NTF_CGROUP_PATH_LEN]; /* processes in this cgroup or below; empty: any */
	/* a driver no id has yet (one a daemon may discover later), by name */
	char driver[NTF_DRIVER_LEN];
};

/*
 * "pid 42", "comm=gpu", "sub:0", "driver kvm", "class fence_wait,pin",
 * "cgroup /system.slice/gpu.service"; a bare number is a pid, a bare word
 * a comm. Several terms combine. Empty clears.
 * Returns 0, or -EINVAL with a one-line reason in err.
 */
int top_filter_parse(const char *s, struct top_filter *f, char *err, size_t errlen);
/* The filter as top_filter_parse reads it back; "none" when empty. */
void top_filter_format(const struct top_filter *f, char *buf, size_t len);

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
	__u32 subscriber; /* the row's key; fields outside the view's key are 0 */
	__u32 tgid;
	__u32 class;
	char comm[NTF_COMM_LEN];
	unsigned int classes; /* 1 << class of every class with events in the interval */
	struct ntf_hist lat; /* the interval's latency histogram */
	__u64 events; /* the interval's events behind the rate column */
	double v[TOP_COL_MAX_]; /* numbers of the numeric columns; NAN: not applicable */
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
