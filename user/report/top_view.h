/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* notifier-top's catalogue: the views, their columns, and what each column means. */
#ifndef NTF_TOP_VIEW_H
#define NTF_TOP_VIEW_H

#include <stdbool.h>
#include "notifier.h"

enum top_view {
	TOP_VIEW_DRIVER, /* per callback, every process */
	TOP_VIEW_PROCESS, /* per process, every callback */
	TOP_VIEW_DEFAULT, /* per driver x process */
	TOP_VIEW_CLASS, /* per event class */
	TOP_VIEW_FENCE, /* fence waits per process */
	TOP_VIEW_PIN, /* pins and unpins per process */
	TOP_VIEW_UNMAP, /* try_to_unmap_one per process */
	TOP_VIEW_MAX,
};

enum top_col {
	TOP_COL_DRIVER,
	TOP_COL_PID,
	TOP_COL_COMM,
	TOP_COL_CLASS,
	TOP_COL_RATE, /* events/s; in the fence, pin, unmap views: of that class */
	TOP_COL_P50, /* latency of the view's latency class (top_view_lat_class) */
	TOP_COL_P99,
	TOP_COL_LAT_MAX,
	TOP_COL_SHARE, /* % of all invalidation time (class view: of all traced time) */
	TOP_COL_FAIL, /* failed invalidations + failed fence waits */
	TOP_COL_BLOCKABLE, /* % of invalidations on blockable ranges */
	TOP_COL_NESTED, /* nested events of the view's nested class */
	TOP_COL_PINNED, /* pages pinned */
	TOP_COL_UNPINNED, /* pages unpinned */
	TOP_COL_OUTSTANDING, /* pinned minus unpinned since the feed started */
	TOP_COL_RECLAIM, /* unmaps in kswapd or direct reclaim */
	TOP_COL_CALLS, /* notifier calls the unmaps caused */
	TOP_COL_COUNT,
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

extern const struct top_col_info top_cols[TOP_COL_COUNT];

/* The columns a view shows, in order; returns how many. */
unsigned int top_view_cols(enum top_view view, const enum top_col **cols);
const char *top_view_name(enum top_view view); /* -v name */
const char *top_view_title(enum top_view view); /* on screen */
/* TOP_VIEW_MAX when unknown. Also takes the digits 1-7. */
enum top_view top_view_from_name(const char *name);
/* TOP_COL_COUNT when unknown; takes names and headers, any case. */
enum top_col top_col_from_name(const char *name);
bool top_view_has_col(enum top_view view, enum top_col col);
/* Names sort up and numbers down unless reversed. */
bool top_col_default_ascending(enum top_col col);
/* The class whose latency fills p50/p99/max (NONE: the row's own, class view). */
unsigned int top_view_lat_class(enum top_view view);

#endif
