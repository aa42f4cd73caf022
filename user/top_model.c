// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE /* qsort_r */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "clock.h"
#include "histogram.h"
#include "names.h"
#include "top_model.h"
#include "callbacks.h"

const struct top_col_info top_cols[TOP_COL_MAX_] = {
	[TOP_COL_SUB] = { "sub", "subscriber", "SUB", 8, TOP_KIND_NAME, true },
	[TOP_COL_PID] = { "pid", "pid", "PID", 7, TOP_KIND_NAME, false },
	[TOP_COL_COMM] = { "comm", "comm", "COMM", 7, TOP_KIND_NAME, true },
	[TOP_COL_CLASS] = { "class", "class", "CLASS", 11, TOP_KIND_NAME, true },
	[TOP_COL_RATE] = { "rate", "rate", "EV/S", 5, TOP_KIND_RATE, false },
	[TOP_COL_P50] = { "p50", "p50_ns", "P50", 5, TOP_KIND_NS, false },
	[TOP_COL_P99] = { "p99", "p99_ns", "P99", 5, TOP_KIND_NS, false },
	[TOP_COL_MAX] = { "max", "max_ns", "MAX", 5, TOP_KIND_NS, false },
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

#define METRICS                                                                           \
	TOP_COL_RATE, TOP_COL_P50, TOP_COL_P99, TOP_COL_MAX, TOP_COL_SHARE, TOP_COL_FAIL, \
		TOP_COL_BLOCKABLE, TOP_COL_NESTED, TOP_COL_PINNED, TOP_COL_RECLAIM

static const enum top_col cols_sub[] = { TOP_COL_SUB, METRICS };
static const enum top_col cols_proc[] = { TOP_COL_PID, TOP_COL_COMM, METRICS };
static const enum top_col cols_default[] = { TOP_COL_SUB, TOP_COL_PID, TOP_COL_COMM, METRICS };
static const enum top_col cols_class[] = { TOP_COL_CLASS, METRICS };
static const enum top_col cols_fence[] = {
	TOP_COL_PID, TOP_COL_COMM,   TOP_COL_RATE, TOP_COL_P50,	  TOP_COL_P99,
	TOP_COL_MAX, TOP_COL_NESTED, TOP_COL_FAIL, TOP_COL_SHARE,
};
static const enum top_col cols_pin[] = {
	TOP_COL_PID,	     TOP_COL_COMM, TOP_COL_RATE,   TOP_COL_PINNED, TOP_COL_UNPINNED,
	TOP_COL_OUTSTANDING, TOP_COL_P99,  TOP_COL_NESTED, TOP_COL_FAIL,
};
static const enum top_col cols_unmap[] = {
	TOP_COL_PID, TOP_COL_COMM, TOP_COL_RATE,    TOP_COL_CALLS,  TOP_COL_P50,
	TOP_COL_P99, TOP_COL_MAX,  TOP_COL_RECLAIM, TOP_COL_NESTED, TOP_COL_FAIL,
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *name, *title;
	const enum top_col *cols;
	unsigned int ncols;
	unsigned int lat_class;
} views[TOP_VIEW_MAX] = {
	[TOP_VIEW_SUBSCRIBER] = { "subscriber", "by subscriber", cols_sub, ARRAY_LEN(cols_sub),
				  NTF_CLASS_INVAL_START },
	[TOP_VIEW_PROCESS] = { "process", "by process", cols_proc, ARRAY_LEN(cols_proc),
			       NTF_CLASS_INVAL_START },
	[TOP_VIEW_DEFAULT] = { "default", "by subscriber x process", cols_default,
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
		{ "nest", TOP_COL_NESTED },   { "driver", TOP_COL_SUB },
		{ "recl", TOP_COL_RECLAIM },
	};

	for (int c = 0; c < TOP_COL_MAX_; c++)
		if (!strcasecmp(name, top_cols[c].name) || !strcasecmp(name, top_cols[c].json) ||
		    !strcasecmp(name, top_cols[c].header))
			return c;
	for (size_t i = 0; i < ARRAY_LEN(aliases); i++)
		if (!strcasecmp(name, aliases[i].alias))
			return aliases[i].col;
	return TOP_COL_MAX_;
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

void top_query_init(struct top_query *q, enum top_view view)
{
	memset(q, 0, sizeof(*q));
	q->view = view;
	q->sort = TOP_COL_RATE;
	q->ascending = top_col_default_ascending(q->sort);
}

/* --- filters --- */

static int parse_u32(const char *s, __u32 max, __u32 *out)
{
	unsigned long long v;
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_classes(const char *s, unsigned int *mask)
{
	char buf[128], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", s);
	*mask = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned int c = ntf_class_from_name(tok);

		if (c == NTF_CLASS_NONE)
			return -EINVAL;
		*mask |= 1u << c;
	}
	return *mask ? 0 : -EINVAL;
}

static int filter_term(struct top_filter *f, const char *key, const char *val, char *err,
		       size_t errlen)
{
	if (!strcmp(key, "pid")) {
		if (parse_u32(val, 0x7fffffff, &f->pid) || !f->pid)
			goto bad;
	} else if (!strcmp(key, "comm")) {
		if (strlen(val) >= sizeof(f->comm))
			goto bad;
		snprintf(f->comm, sizeof(f->comm), "%s", val);
	} else if (!strcmp(key, "sub") || !strcmp(key, "subscriber") || !strcmp(key, "driver")) {
		/* "all" is how subscriber 0, the chain as a whole, is shown */
		if (!strcmp(val, "all"))
			f->subscriber = 0;
		else if ((f->subscriber = ntf_subscriber_id(val)))
			; /* a driver name: kvm, i915, amdgpu... */
		else if (!parse_u32(val, 0xffffffff, &f->subscriber))
			; /* an id */
		else if (strlen(val) < sizeof(f->driver) && !strpbrk(val, "/\"\\"))
			/* a name no driver has yet: one discovery may find later */
			snprintf(f->driver, sizeof(f->driver), "%s", val);
		else
			goto bad;
		f->has_sub = !f->driver[0];
	} else if (!strcmp(key, "class")) {
		if (parse_classes(val, &f->class_mask))
			goto bad;
	} else if (!strcmp(key, "cgroup")) {
		/* keys hold a pid, not a cgroup: each process's is looked up in /proc */
		if (ntf_cgroup_normalize(val, f->cgroup, sizeof(f->cgroup)))
			goto bad;
	} else {
		snprintf(err, errlen, "unknown filter '%s' (pid, comm, sub, class, cgroup)", key);
		return -EINVAL;
	}
	return 0;
bad:
	snprintf(err, errlen, "bad %s '%s'", key, val);
	return -EINVAL;
}

static bool is_filter_key(const char *s)
{
	static const char *const keys[] = { "pid",    "comm",  "sub",	"subscriber",
					    "driver", "class", "cgroup" };

	for (size_t i = 0; i < ARRAY_LEN(keys); i++)
		if (!strcmp(s, keys[i]))
			return true;
	return false;
}

int top_filter_parse(const char *s, struct top_filter *out, char *err, size_t errlen)
{
	struct top_filter f = {};
	char buf[256], *save = NULL, *tok;

	if (strlen(s) >= sizeof(buf)) {
		snprintf(err, errlen, "filter too long");
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		char *sep = strpbrk(tok, "=:"), *val;
		__u32 pid;
		int err2;

		if (sep) {
			*sep = '\0';
			val = sep + 1;
		} else if (is_filter_key(tok)) {
			val = strtok_r(NULL, " \t", &save);
			if (!val) {
				snprintf(err, errlen, "%s needs a value", tok);
				return -EINVAL;
			}
		} else {
			/* bare terms: a number is a pid, anything else a comm */
			err2 = filter_term(&f, parse_u32(tok, 0x7fffffff, &pid) ? "comm" : "pid",
					   tok, err, errlen);
			if (err2)
				return err2;
			continue;
		}
		err2 = filter_term(&f, tok, val, err, errlen);
		if (err2)
			return err2;
	}
	*out = f;
	return 0;
}

void top_filter_format(const struct top_filter *f, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
#define APPEND(...)                                                            \
	do {                                                                   \
		if (used < len)                                                \
			used += snprintf(buf + used, len - used, __VA_ARGS__); \
	} while (0)
	if (f->pid)
		APPEND("%spid %u", used ? " " : "", f->pid);
	if (f->comm[0])
		APPEND("%scomm %s", used ? " " : "", f->comm);
	if (f->has_sub)
		APPEND("%sdriver %s", used ? " " : "",
		       f->subscriber ? ntf_subscriber_name(f->subscriber) : "all");
	if (f->driver[0])
		APPEND("%sdriver %s", used ? " " : "", f->driver);
	if (f->class_mask) {
		APPEND("%sclass ", used ? " " : "");
		for (unsigned int c = 1, n = 0; c < NTF_CLASS_MAX; c++)
			if (f->class_mask & (1u << c))
				APPEND("%s%s", n++ ? "," : "", ntf_class_name(c));
	}
	if (f->cgroup[0])
		APPEND("%scgroup %s", used ? " " : "", f->cgroup);
#undef APPEND
	if (!buf[0])
		snprintf(buf, len, "none");
}

/* --- the model --- */

#define NO_HIST 0xffffffffu

/*
 * One key's change over the interval. Most keys are idle in any one
 * interval: only active ones get a histogram (in hists), so 10,000 keys
 * cost little more than the ones that moved.
 */
struct top_delta {
	struct ntf_hist_key key;
	char comm[NTF_COMM_LEN];
	__u64 cum_pages; /* since the start: what outstanding pins are made of */
	__u64 reclaim; /* unmaps in kswapd or direct reclaim, in the interval */
	__u32 hist; /* index into hists; NO_HIST when idle */
};

/* What a row adds up before its columns are worked out. */
struct top_acc {
	__u64 key;
	__u64 events, rate_events, fail, invals, nonblock, nested, pinned, unpinned, reclaim, calls;
	__s64 outstanding;
};

struct top_model {
	struct top_delta *deltas;
	size_t ndeltas, cap_deltas;
	struct ntf_hist *hists;
	size_t nhists, cap_hists;
	struct top_row *rows;
	struct top_acc *acc;
	size_t nrows, cap_rows;
	__u32 *order; /* rows shown, sorted: indexes into rows */
	size_t norder;
	size_t limit; /* the last query's: order sorted up to here */
	__u32 *slots; /* group hash: row index + 1, 0 when free */
	size_t nslots;
	__u64 all_ns[NTF_CLASS_MAX]; /* time per class in the interval */
	struct top_totals totals;
};

struct top_model *top_model_new(void)
{
	return calloc(1, sizeof(struct top_model));
}

void top_model_free(struct top_model *m)
{
	if (!m)
		return;
	free(m->deltas);
	free(m->hists);
	free(m->rows);
	free(m->acc);
	free(m->order);
	free(m->slots);
	free(m);
}

/* Makes room for one more element of size in an array of cap, doubling it. */
static int room(void **arr, size_t n, size_t *cap, size_t size)
{
	size_t c = *cap ? *cap * 2 : 256;
	void *p;

	if (n < *cap)
		return 0;
	p = realloc(*arr, c * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = c;
	return 0;
}

/*
 * cur - old. A max cannot be subtracted: when it grew, the interval holds
 * it; when not, the interval's top slot bounds it better than the old max.
 */
static void hist_delta(struct ntf_hist *d, const struct ntf_hist *cur, const struct ntf_hist *old)
{
	int top = -1;

	if (!old) {
		*d = *cur;
		return;
	}
	ntf_hist_sub(d, cur, old);
	if (cur->max_ns > old->max_ns)
		return;
	for (int i = 0; i < NTF_HIST_SLOTS; i++)
		if (d->slots[i])
			top = i;
	if (top < 0)
		d->max_ns = 0;
	else if (ntf_hist_slot_high(top) < d->max_ns)
		d->max_ns = ntf_hist_slot_high(top);
}

/*
 * The delta of one entry of the aggregate: old is what the previous read
 * held for its key (NULL: nothing), unchanged when the entry is known to
 * be as it was then (old not looked up).
 */
static int take_delta(const struct ntf_agg_entry *ent, const struct top_snap_entry *old,
		      bool unchanged, void *ctx)
{
	struct top_model *m = ctx;
	struct top_delta *d;
	struct ntf_hist *h;
	__u64 rec;

	if (room((void **)&m->deltas, m->ndeltas, &m->cap_deltas, sizeof(*d)))
		return -ENOMEM;
	d = &m->deltas[m->ndeltas++];
	d->key = ent->key;
	memcpy(d->comm, ent->comm, sizeof(d->comm));
	d->comm[NTF_COMM_LEN - 1] = '\0';
	/* only pins are counted from cumulative pages; an idle key's histogram stays unread */
	d->cum_pages = ent->key.class == NTF_CLASS_PIN || ent->key.class == NTF_CLASS_UNPIN ?
			       ent->hist.pages :
			       0;
	d->hist = NO_HIST;
	d->reclaim = 0;
	/* most keys are idle in an interval: known so without a lookup */
	if (unchanged)
		return 0;
	rec = top_reclaim_unmaps(ent);
	if (old && old->hist.count > ent->hist.count)
		old = NULL; /* restarted: everything is new */
	d->reclaim = old && old->reclaim <= rec ? rec - old->reclaim : rec;
	if (old && old->hist.count == ent->hist.count)
		return 0; /* idle: every delta is zero */
	if (room((void **)&m->hists, m->nhists, &m->cap_hists, sizeof(*h)))
		return -ENOMEM;
	d->hist = m->nhists;
	h = &m->hists[m->nhists++];
	hist_delta(h, &ent->hist, old ? &old->hist : NULL);
	if (ent->key.class < NTF_CLASS_MAX) {
		m->totals.rate[ent->key.class] += h->count;
		m->all_ns[ent->key.class] += h->sum_ns;
	}
	m->totals.events += h->count;
	if (ent->key.class == NTF_CLASS_INVAL_START)
		m->totals.inval_ns += h->sum_ns;
	return 0;
}

struct update_ctx {
	struct top_model *m;
	const struct top_snap *prev;
	const struct ntf_agg *cur;
};

static int update_one(const struct ntf_agg_entry *ent, void *ctx)
{
	struct update_ctx *u = ctx;
	bool unchanged = u->prev && top_snap_unchanged(u->prev, u->cur, ent);
	const struct top_snap_entry *old = NULL;

	if (u->prev && !unchanged)
		old = top_snap_get(u->prev, &ent->key);
	return take_delta(ent, old, unchanged, u->m);
}

static void begin_update(struct top_model *m, double elapsed_s)
{
	m->ndeltas = m->nhists = 0;
	m->nrows = m->norder = 0;
	memset(&m->totals, 0, sizeof(m->totals));
	memset(m->all_ns, 0, sizeof(m->all_ns));
	m->totals.elapsed_s = elapsed_s > 0 ? elapsed_s : 1e-9;
}

static void end_update(struct top_model *m, const struct ntf_agg *cur)
{
	for (int c = 0; c < NTF_CLASS_MAX; c++)
		m->totals.rate[c] /= m->totals.elapsed_s;
	m->totals.keys = ntf_agg_count(cur);
}

int top_model_update(struct top_model *m, const struct top_snap *prev, const struct ntf_agg *cur,
		     double elapsed_s)
{
	struct update_ctx u = { .m = m, .prev = prev, .cur = cur };
	int err;

	begin_update(m, elapsed_s);
	err = ntf_agg_foreach(cur, update_one, &u);
	end_update(m, cur);
	return err;
}

int top_model_advance(struct top_model *m, struct top_snap *prev, struct ntf_agg *cur,
		      double elapsed_s)
{
	int err;

	begin_update(m, elapsed_s);
	err = top_snap_follow(prev, cur, take_delta, m);
	end_update(m, cur);
	return err;
}

/* Which entries a view is made of. */
static bool view_takes(enum top_view view, unsigned int class)
{
	switch (view) {
	case TOP_VIEW_FENCE: return class == NTF_CLASS_FENCE_WAIT;
	case TOP_VIEW_PIN: return class == NTF_CLASS_PIN || class == NTF_CLASS_UNPIN;
	case TOP_VIEW_UNMAP: return class == NTF_CLASS_UNMAP;
	default: return true;
	}
}

static bool entry_passes(const struct top_filter *f, const struct top_delta *d, __u64 now_ms)
{
	if (f->pid && d->key.tgid != f->pid)
		return false;
	if (f->has_sub && d->key.subscriber != f->subscriber)
		return false;
	if (f->comm[0] && !strstr(d->comm, f->comm))
		return false;
	if (f->driver[0] && strcmp(ntf_subscriber_name(d->key.subscriber), f->driver))
		return false;
	if (f->cgroup[0] && !ntf_pid_in_cgroup(d->key.tgid, f->cgroup, now_ms))
		return false;
	return true;
}

static __u64 group_key(enum top_view view, const struct ntf_hist_key *k)
{
	switch (view) {
	case TOP_VIEW_SUBSCRIBER: return k->subscriber;
	case TOP_VIEW_DEFAULT: return (__u64)k->subscriber << 32 | k->tgid;
	case TOP_VIEW_CLASS: return k->class;
	default: return k->tgid;
	}
}

static __u64 hash64(__u64 h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

static int reserve(struct top_model *m, size_t n)
{
	size_t slots = 64;

	if (n > m->cap_rows) {
		struct top_row *rows = realloc(m->rows, n * sizeof(*rows));
		struct top_acc *acc;
		__u32 *order;

		if (!rows)
			return -ENOMEM;
		m->rows = rows;
		acc = realloc(m->acc, n * sizeof(*acc));
		if (!acc)
			return -ENOMEM;
		m->acc = acc;
		order = realloc(m->order, n * sizeof(*order));
		if (!order)
			return -ENOMEM;
		m->order = order;
		m->cap_rows = n;
	}
	/* at most half full: short probes */
	while (slots < 2 * n)
		slots *= 2;
	if (slots > m->nslots) {
		free(m->slots);
		m->slots = malloc(slots * sizeof(*m->slots));
		if (!m->slots) {
			m->nslots = 0;
			return -ENOMEM;
		}
		m->nslots = slots;
	}
	memset(m->slots, 0, m->nslots * sizeof(*m->slots));
	return 0;
}

static size_t row_for(struct top_model *m, enum top_view view, const struct top_delta *d)
{
	__u64 key = group_key(view, &d->key);
	size_t mask = m->nslots - 1, i = hash64(key) & mask;
	struct top_row *r;

	while (m->slots[i]) {
		size_t idx = m->slots[i] - 1;

		if (m->acc[idx].key == key)
			return idx;
		i = (i + 1) & mask;
	}
	m->slots[i] = m->nrows + 1;
	r = &m->rows[m->nrows];
	memset(r, 0, sizeof(*r));
	memset(&m->acc[m->nrows], 0, sizeof(m->acc[0]));
	m->acc[m->nrows].key = key;
	if (view == TOP_VIEW_SUBSCRIBER || view == TOP_VIEW_DEFAULT)
		r->subscriber = d->key.subscriber;
	if (view == TOP_VIEW_CLASS)
		r->class = d->key.class;
	else if (view != TOP_VIEW_SUBSCRIBER)
		r->tgid = d->key.tgid;
	return m->nrows++;
}

/* The class counted in a view's NEST column. */
static bool nested_class(enum top_view view, const struct top_row *r, unsigned int class)
{
	switch (view) {
	case TOP_VIEW_CLASS: return class == r->class;
	case TOP_VIEW_PIN: return class == NTF_CLASS_PIN;
	case TOP_VIEW_UNMAP: return class == NTF_CLASS_UNMAP;
	default: return class == NTF_CLASS_FENCE_WAIT;
	}
}

static bool fail_class(enum top_view view, unsigned int class)
{
	switch (view) {
	case TOP_VIEW_CLASS: return true;
	case TOP_VIEW_PIN: return class == NTF_CLASS_PIN;
	case TOP_VIEW_UNMAP: return class == NTF_CLASS_UNMAP;
	default: return class == NTF_CLASS_INVAL_START || class == NTF_CLASS_FENCE_WAIT;
	}
}

static void add_delta(struct top_model *m, enum top_view view, size_t idx,
		      const struct top_delta *d)
{
	struct top_row *r = &m->rows[idx];
	struct top_acc *a = &m->acc[idx];
	unsigned int c = d->key.class, lat = top_view_lat_class(view);
	const struct ntf_hist *h;

	if (!r->comm[0] && r->tgid)
		memcpy(r->comm, d->comm, sizeof(r->comm));
	/* pins outstanding are cumulative: idle keys hold them too */
	if (c == NTF_CLASS_PIN)
		a->outstanding += d->cum_pages;
	else if (c == NTF_CLASS_UNPIN)
		a->outstanding -= d->cum_pages;
	if (d->hist == NO_HIST)
		return;
	h = &m->hists[d->hist];
	if (h->count && c < 32)
		r->classes |= 1u << c;
	a->events += h->count;
	if (lat == NTF_CLASS_NONE || c == lat) {
		ntf_hist_merge(&r->lat, h);
		a->rate_events += h->count;
	} else if (view == TOP_VIEW_SUBSCRIBER || view == TOP_VIEW_PROCESS ||
		   view == TOP_VIEW_DEFAULT) {
		a->rate_events += h->count; /* events/s of every class */
	}
	if (fail_class(view, c))
		a->fail += h->failures;
	if (c == NTF_CLASS_INVAL_START || (view == TOP_VIEW_CLASS && c == NTF_CLASS_INVAL_END)) {
		a->invals += h->count;
		a->nonblock += h->nonblock;
	}
	if (nested_class(view, r, c))
		a->nested += h->nested;
	if (c == NTF_CLASS_PIN) {
		a->pinned += h->pages;
	} else if (c == NTF_CLASS_UNPIN) {
		a->unpinned += h->pages;
	} else if (c == NTF_CLASS_UNMAP) {
		a->calls += h->pages;
		a->reclaim += d->reclaim;
	}
}

static void finish_row(struct top_model *m, enum top_view view, size_t idx)
{
	struct top_row *r = &m->rows[idx];
	const struct top_acc *a = &m->acc[idx];
	double secs = m->totals.elapsed_s;
	unsigned int lat = top_view_lat_class(view);
	__u64 whole;

	for (int c = 0; c < TOP_COL_MAX_; c++)
		r->v[c] = NAN;
	r->v[TOP_COL_RATE] = a->rate_events / secs;
	r->events = a->rate_events;
	/* max 0: counted, never timed (unpin) */
	if (r->lat.count && r->lat.max_ns) {
		r->v[TOP_COL_P50] = ntf_hist_quantile(&r->lat, 0.50);
		r->v[TOP_COL_P99] = ntf_hist_quantile(&r->lat, 0.99);
		r->v[TOP_COL_MAX] = r->lat.max_ns;
	}
	whole = 0;
	if (lat == NTF_CLASS_NONE) {
		for (int c = 0; c < NTF_CLASS_MAX; c++)
			whole += m->all_ns[c];
	} else {
		whole = m->all_ns[lat];
	}
	if (whole)
		r->v[TOP_COL_SHARE] = 100.0 * r->lat.sum_ns / whole;
	r->v[TOP_COL_FAIL] = a->fail;
	if (a->invals)
		r->v[TOP_COL_BLOCKABLE] = 100.0 * (1.0 - (double)a->nonblock / a->invals);
	r->v[TOP_COL_NESTED] = a->nested;
	r->v[TOP_COL_PINNED] = a->pinned;
	r->v[TOP_COL_UNPINNED] = a->unpinned;
	r->v[TOP_COL_OUTSTANDING] = a->outstanding;
	r->v[TOP_COL_RECLAIM] = a->reclaim;
	r->v[TOP_COL_CALLS] = a->calls;
}

static bool row_shown(const struct top_model *m, const struct top_query *q, size_t idx)
{
	const struct top_row *r = &m->rows[idx];
	const struct top_acc *a = &m->acc[idx];

	if (q->filter.class_mask && !(r->classes & q->filter.class_mask))
		return false;
	if (q->all || a->events)
		return true;
	/* pins held by an idle process are what the pin view is for */
	return q->view == TOP_VIEW_PIN && a->outstanding;
}

int top_model_query(struct top_model *m, const struct top_query *q)
{
	__u64 now_ms = q->filter.cgroup[0] ? ntf_now_ms() : 0;
	size_t kept = 0;

	if (reserve(m, m->ndeltas ? m->ndeltas : 1))
		return -ENOMEM;
	m->nrows = 0;
	for (size_t i = 0; i < m->ndeltas; i++) {
		const struct top_delta *d = &m->deltas[i];

		if (!view_takes(q->view, d->key.class) || !entry_passes(&q->filter, d, now_ms))
			continue;
		add_delta(m, q->view, row_for(m, q->view, d), d);
	}
	for (size_t i = 0; i < m->nrows; i++) {
		finish_row(m, q->view, i);
		if (row_shown(m, q, i))
			m->order[kept++] = i;
	}
	m->norder = kept;
	m->totals.rows = kept;
	m->limit = q->limit;
	top_model_sort(m, q->sort, q->ascending);
	return kept;
}

struct sort_ctx {
	const struct top_row *rows;
	enum top_col col;
	bool ascending;
};

static int cmp_u32(__u32 a, __u32 b)
{
	return a < b ? -1 : a > b;
}

static int cmp_rows(const void *pa, const void *pb, void *arg)
{
	const struct sort_ctx *s = arg;
	const struct top_row *a = &s->rows[*(const __u32 *)pa], *b = &s->rows[*(const __u32 *)pb];
	int r;

	switch (s->col) {
	case TOP_COL_SUB:
		/* by the name shown; the chain as a whole (0) first */
		r = a->subscriber && b->subscriber ? strcmp(ntf_subscriber_name(a->subscriber),
							    ntf_subscriber_name(b->subscriber)) :
						     cmp_u32(a->subscriber, b->subscriber);
		break;
	case TOP_COL_PID: r = cmp_u32(a->tgid, b->tgid); break;
	case TOP_COL_COMM: r = strcmp(a->comm, b->comm); break;
	case TOP_COL_CLASS: r = strcmp(ntf_class_name(a->class), ntf_class_name(b->class)); break;
	default: {
		double x = a->v[s->col], y = b->v[s->col];

		/* "not applicable" goes last whichever way the sort runs */
		if (isnan(x) || isnan(y)) {
			r = isnan(x) - isnan(y);
			if (r)
				return r;
			break;
		}
		r = x < y ? -1 : x > y;
	}
	}
	if (!s->ascending)
		r = -r;
	if (r)
		return r;
	/* ties in key order, so equal rows do not trade places between frames */
	if ((r = cmp_u32(a->subscriber, b->subscriber)))
		return r;
	if ((r = cmp_u32(a->tgid, b->tgid)))
		return r;
	return cmp_u32(a->class, b->class);
}

/* Moves order[i] down the max-heap order[0..n) (by cmp_rows: the last row on top). */
static void sift_down(__u32 *order, size_t n, size_t i, struct sort_ctx *s)
{
	for (;;) {
		size_t l = 2 * i + 1, top = i;
		__u32 t;

		if (l < n && cmp_rows(&order[l], &order[top], s) > 0)
			top = l;
		if (l + 1 < n && cmp_rows(&order[l + 1], &order[top], s) > 0)
			top = l + 1;
		if (top == i)
			return;
		t = order[i];
		order[i] = order[top];
		order[top] = t;
		i = top;
	}
}

/*
 * The first k rows of the whole order, sorted, at the front; the others
 * behind them in no order. cmp_rows is a total order (ties go by key), so
 * these k are exactly those a full sort puts first, for a fraction of the
 * comparisons when k is a screenful of thousands.
 */
static void sort_first(__u32 *order, size_t n, size_t k, struct sort_ctx *s)
{
	for (size_t i = k / 2; i-- > 0;)
		sift_down(order, k, i, s);
	for (size_t i = k; i < n; i++) {
		if (cmp_rows(&order[i], &order[0], s) < 0) {
			__u32 t = order[0];

			order[0] = order[i];
			order[i] = t;
			sift_down(order, k, 0, s);
		}
	}
	qsort_r(order, k, sizeof(order[0]), cmp_rows, s);
}

void top_model_sort(struct top_model *m, enum top_col col, bool ascending)
{
	struct sort_ctx s = { .rows = m->rows, .col = col, .ascending = ascending };

	if (m->limit && m->limit < m->norder)
		sort_first(m->order, m->norder, m->limit, &s);
	else if (m->norder > 1)
		qsort_r(m->order, m->norder, sizeof(m->order[0]), cmp_rows, &s);
}

size_t top_model_rows(const struct top_model *m)
{
	return m->norder;
}

const struct top_row *top_model_row(const struct top_model *m, size_t i)
{
	return i < m->norder ? &m->rows[m->order[i]] : NULL;
}

const struct top_totals *top_model_totals(const struct top_model *m)
{
	return &m->totals;
}
