// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <string.h>
#include <strings.h>
#include "names.h"
#include "top_view.h"

const struct top_col_info top_cols[TOP_COL_COUNT] = {
	[TOP_COL_DRIVER] = { "driver", "callback_id", "DRIVER", 8, TOP_KIND_NAME, true },
	[TOP_COL_PID] = { "pid", "pid", "PID", 7, TOP_KIND_NAME, false },
	[TOP_COL_COMM] = { "comm", "comm", "COMM", 7, TOP_KIND_NAME, true },
	[TOP_COL_CLASS] = { "class", "class", "CLASS", 11, TOP_KIND_NAME, true },
	[TOP_COL_RATE] = { "rate", "rate", "EV/S", 5, TOP_KIND_RATE, false },
	[TOP_COL_P50] = { "p50", "p50_ns", "P50", 5, TOP_KIND_NS, false },
	[TOP_COL_P99] = { "p99", "p99_ns", "P99", 5, TOP_KIND_NS, false },
	[TOP_COL_LAT_MAX] = { "max", "max_ns", "MAX", 5, TOP_KIND_NS, false },
	[TOP_COL_SHARE] = { "share", "share_pct", "%TIME", 5, TOP_KIND_PCT, false },
	[TOP_COL_FAIL] = { "fail", "failures", "FAIL", 4, TOP_KIND_COUNT, false },
	[TOP_COL_BLOCKABLE] = { "blockable", "blockable_pct", "BLK%", 4, TOP_KIND_PCT, false },
	[TOP_COL_NESTED] = { "nested", "nested", "NEST", 4, TOP_KIND_COUNT, false },
	[TOP_COL_PINNED] = { "pinned", "pages_pinned", "PGPIN", 5, TOP_KIND_COUNT, false },
	[TOP_COL_UNPINNED] = { "unpinned", "pages_unpinned", "PGUNP", 5, TOP_KIND_COUNT, false },
	[TOP_COL_OUTSTANDING] = { "outstanding", "pages_outstanding", "OUTSTD", 6, TOP_KIND_COUNT,
				  false },
	[TOP_COL_RECLAIM] = { "reclaim", "reclaim_unmaps", "RECL", 4, TOP_KIND_COUNT, false },
	[TOP_COL_CALLS] = { "calls", "notifier_calls", "CALLS", 5, TOP_KIND_COUNT, false },
};

#define METRICS                                                                               \
	TOP_COL_RATE, TOP_COL_P50, TOP_COL_P99, TOP_COL_LAT_MAX, TOP_COL_SHARE, TOP_COL_FAIL, \
		TOP_COL_BLOCKABLE, TOP_COL_NESTED, TOP_COL_PINNED, TOP_COL_RECLAIM

static const enum top_col cols_driver[] = { TOP_COL_DRIVER, METRICS };
static const enum top_col cols_proc[] = { TOP_COL_PID, TOP_COL_COMM, METRICS };
static const enum top_col cols_default[] = { TOP_COL_DRIVER, TOP_COL_PID, TOP_COL_COMM, METRICS };
static const enum top_col cols_class[] = { TOP_COL_CLASS, METRICS };
static const enum top_col cols_fence[] = {
	TOP_COL_PID,	 TOP_COL_COMM,	 TOP_COL_RATE, TOP_COL_P50,   TOP_COL_P99,
	TOP_COL_LAT_MAX, TOP_COL_NESTED, TOP_COL_FAIL, TOP_COL_SHARE,
};
static const enum top_col cols_pin[] = {
	TOP_COL_PID,	     TOP_COL_COMM, TOP_COL_RATE,   TOP_COL_PINNED, TOP_COL_UNPINNED,
	TOP_COL_OUTSTANDING, TOP_COL_P99,  TOP_COL_NESTED, TOP_COL_FAIL,
};
static const enum top_col cols_unmap[] = {
	TOP_COL_PID, TOP_COL_COMM,    TOP_COL_RATE,    TOP_COL_CALLS,  TOP_COL_P50,
	TOP_COL_P99, TOP_COL_LAT_MAX, TOP_COL_RECLAIM, TOP_COL_NESTED, TOP_COL_FAIL,
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *name, *title;
	const enum top_col *cols;
	unsigned int ncols;
	unsigned int lat_class;
} views[TOP_VIEW_MAX] = {
	[TOP_VIEW_DRIVER] = { "driver", "by driver", cols_driver, ARRAY_LEN(cols_driver),
			      NTF_CLASS_INVAL_START },
	[TOP_VIEW_PROCESS] = { "process", "by process", cols_proc, ARRAY_LEN(cols_proc),
			       NTF_CLASS_INVAL_START },
	[TOP_VIEW_DEFAULT] = { "default", "by driver x process", cols_default,
			       ARRAY_LEN(cols_default), NTF_CLASS_INVAL_START },
	[TOP_VIEW_CLASS] = { "class", "by event type", cols_class, ARRAY_LEN(cols_class),
			     NTF_CLASS_NONE },
	[TOP_VIEW_FENCE] = { "fence", "fence waits", cols_fence, ARRAY_LEN(cols_fence),
			     NTF_CLASS_FENCE_WAIT },
	[TOP_VIEW_PIN] = { "pin", "pins", cols_pin, ARRAY_LEN(cols_pin), NTF_CLASS_PIN },
	[TOP_VIEW_UNMAP] = { "unmap", "reclaim/unmap", cols_unmap, ARRAY_LEN(cols_unmap),
			     NTF_CLASS_UNMAP },
};

unsigned int top_view_cols(enum top_view view, const enum top_col **cols)
{
	*cols = views[view].cols;
	return views[view].ncols;
}

const char *top_view_name(enum top_view view)
{
	return view < TOP_VIEW_MAX ? views[view].name : "unknown";
}

const char *top_view_title(enum top_view view)
{
	return view < TOP_VIEW_MAX ? views[view].title : "unknown";
}

enum top_view top_view_from_name(const char *name)
{
	if (name[0] >= '1' && name[0] < '1' + TOP_VIEW_MAX && !name[1])
		return name[0] - '1';
	for (int v = 0; v < TOP_VIEW_MAX; v++)
		if (!strcasecmp(name, views[v].name))
			return v;
	return TOP_VIEW_MAX;
}

enum top_col top_col_from_name(const char *name)
{
	static const struct {
		const char *alias;
		enum top_col col;
	} aliases[] = {
		{ "events", TOP_COL_RATE },   { "time", TOP_COL_SHARE },
		{ "failures", TOP_COL_FAIL }, { "blk", TOP_COL_BLOCKABLE },
		{ "nest", TOP_COL_NESTED },   { "driver", TOP_COL_DRIVER },
		{ "recl", TOP_COL_RECLAIM },
	};

	for (int c = 0; c < TOP_COL_COUNT; c++)
		if (!strcasecmp(name, top_cols[c].name) || !strcasecmp(name, top_cols[c].json) ||
		    !strcasecmp(name, top_cols[c].header))
			return c;
	for (size_t i = 0; i < ARRAY_LEN(aliases); i++)
		if (!strcasecmp(name, aliases[i].alias))
			return aliases[i].col;
	return TOP_COL_COUNT;
}

bool top_view_has_col(enum top_view view, enum top_col col)
{
	for (unsigned int i = 0; i < views[view].ncols; i++)
		if (views[view].cols[i] == col)
			return true;
	return false;
}

bool top_col_default_ascending(enum top_col col)
{
	return top_cols[col].kind == TOP_KIND_NAME;
}

unsigned int top_view_lat_class(enum top_view view)
{
	return views[view].lat_class;
}
