// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE /* qsort_r */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "clock.h"
#include "hashtable.h"
#include "histogram.h"
#include "names.h"
#include "top_model.h"
#include "callbacks.h"

void top_query_init(struct top_query *q, enum top_view view)
{
	memset(q, 0, sizeof(*q));
	q->view = view;
	q->sort = TOP_COL_RATE;
	q->ascending = top_col_default_ascending(q->sort);
}

#define NO_HIST 0xffffffffu
#define NO_FINE 0xffffffffu
#define NO_SLOTS 0xffffffffu

/*
 * One key's change over the interval. Most keys are idle in any one
 * interval: only active ones get counters (packed in counts) and fine
 * buckets (in fine), so 10,000 keys cost little more than the ones that
 * moved. Log2 slots (in slots) only those whose fine buckets miss events
 * get; the others' are read from their buckets when a row adds them up.
 */
struct top_delta {
	struct ntf_agg_key key;
	char comm[NTF_COMM_LEN];
	__u32 hist; /* byte of its counters in counts; NO_HIST when idle */
	__u64 cum_pages; /* since the start: what outstanding pins are made of */
	__u64 reclaim; /* unmaps in kswapd or direct reclaim, in the interval */
	__u32 slots_at; /* index into slots; NO_SLOTS: the fine buckets stand for them */
	/*
	 * The interval's fine buckets, packed (core/packed.h): nfine of them
	 * in fine_len bytes from fine[fine_at], or nfine NO_FINE when they
	 * do not hold every event of the histogram (a feed without fine
	 * buckets): the percentiles then come from log2.
	 */
	__u32 fine_at, nfine, fine_len;
};

_Static_assert(sizeof(struct top_delta) == 64, "top_model.h's 64 bytes a key");

/* What a row adds up before its columns are worked out. */
struct top_acc {
	__u64 events, rate_events, fail, invals, nonblock, nested, pinned, unpinned, reclaim, calls;
	__s64 outstanding;
	/* the row's timed deltas (its latency's class), chained through timed_next */
	__u32 timed_first, timed_deltas;
	bool log2_only; /* a timed delta without them: the row's percentiles are log2's */
};

struct top_model {
	struct top_delta *deltas;
	size_t ndeltas, cap_deltas;
	/* the interval's counters of the active keys, as varints: most are small or 0 */
	unsigned char *counts;
	size_t ncounts, cap_counts; /* bytes */
	/* the log2 slots of the deltas whose fine buckets do not hold every event */
	__u64 (*slots)[NTF_HIST_SLOTS];
	size_t nslots, cap_slots;
	/* the fine buckets of the interval's deltas, packed, one run per active key */
	unsigned char *fine;
	size_t nfine, cap_fine; /* bytes */
	struct ntf_buckets run; /* a delta's fine buckets, before packing or after unpacking */
	__u32 *timed_next; /* per delta: the next of its row's chain (query time) */
	size_t cap_timed_next;
	struct ntf_hist scratch; /* one delta whole, while it is taken */
	struct ntf_hist row_log2; /* a row's latency with slots, when only log2 answers */
	struct ntf_buckets old_fine; /* the previous read's fine buckets of a key, unpacked */
	struct ntf_buckets merged; /* a row's buckets when it sums several deltas */
	struct top_row *rows;
	struct top_acc *acc;
	size_t nrows, cap_rows;
	__u32 *order; /* rows shown, sorted: indexes into rows */
	size_t norder;
	size_t limit; /* the last query's: order sorted up to here */
	struct ntf_table groups; /* struct group: the row of each group key */
	__u64 all_ns[NTF_CLASS_MAX]; /* time per class in the interval */
	struct top_totals totals;
};

/* A view's rows by group key (group_key). */
struct group {
	__u64 key;
	__u32 row;
};

struct top_model *top_model_new(void)
{
	struct top_model *m = calloc(1, sizeof(*m));

	if (m && ntf_table_init(&m->groups, sizeof(struct group))) {
		free(m);
		return NULL;
	}
	return m;
}

void top_model_free(struct top_model *m)
{
	if (!m)
		return;
	free(m->deltas);
	free(m->counts);
	free(m->slots);
	free(m->fine);
	free(m->timed_next);
	ntf_buckets_free(&m->merged);
	ntf_buckets_free(&m->run);
	ntf_buckets_free(&m->old_fine);
	free(m->rows);
	free(m->acc);
	free(m->order);
	ntf_table_fini(&m->groups);
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

/* Room for most more bytes after the n of *arr, which holds *cap. */
static int bytes_room(unsigned char **arr, size_t n, size_t *cap, size_t most)
{
	size_t c = *cap ? *cap : 16384;
	unsigned char *p;

	if (*cap - n >= most)
		return 0;
	while (c - n < most)
		c *= 2;
	p = realloc(*arr, c);
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
	/* one side's slots read from its buckets may have a bucket's events a slot up */
	for (int i = 0; i < NTF_HIST_SLOTS; i++)
		if (old->slots[i] > cur->slots[i])
			d->slots[i] = 0;
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
 * The interval's fine buckets of d (cur - old, old NULL: all of cur), if
 * they hold each of its count events; else d has none (NO_FINE). Both
 * lists are sorted alike: one pass. Returns 0 or -ENOMEM.
 */
static int fine_delta(struct top_model *m, struct top_delta *d, const struct ntf_buckets *cur,
		      const struct ntf_buckets *old, __u64 count)
{
	struct ntf_buckets *run = &m->run;
	size_t most = (size_t)cur->n * NTF_PACKED_COUNTER_BYTES;
	__u32 j = 0, n;
	__u64 sum = 0;

	d->nfine = NO_FINE;
	if (!cur->n || !count)
		return 0;
	ntf_buckets_reset(run);
	if (ntf_buckets_reserve(run, cur->n))
		return -ENOMEM;
	if (bytes_room(&m->fine, m->nfine, &m->cap_fine, most))
		return -ENOMEM;
	for (__u32 i = 0; i < cur->n; i++) {
		struct ntf_bucket b = cur->b[i];
		__u64 n = ntf_bucket_count(&b), was = 0;
		__u32 order = ntf_bucket_order(b.index);

		while (old && j < old->n && ntf_bucket_order(old->b[j].index) < order)
			j++;
		if (old && j < old->n && old->b[j].index == b.index)
			was = ntf_bucket_count(&old->b[j++]);
		if (n <= was)
			continue;
		n -= was;
		ntf_bucket_set_count(&b, n);
		run->b[run->n++] = b;
		sum += n;
	}
	if (sum != count)
		return 0; /* some events are not in them */
	d->fine_at = m->nfine;
	d->fine_len = ntf_packed_encode(m->fine + m->nfine, run, &n);
	d->nfine = n;
	m->nfine += d->fine_len;
	return 0;
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
	struct ntf_hist *h = &m->scratch, was, now;
	const struct ntf_hist *cur = &ent->hist;
	struct ntf_hist_counts interval, before;
	struct ntf_packed old_fine;
	__u64 rec, old_rec = 0;

	if (room((void **)&m->deltas, m->ndeltas, &m->cap_deltas, sizeof(*d)))
		return -ENOMEM;
	d = &m->deltas[m->ndeltas++];
	d->key = ntf_agg_key_of(&ent->key);
	memcpy(d->comm, ent->comm, sizeof(d->comm));
	d->comm[NTF_COMM_LEN - 1] = '\0';
	/* only pins are counted from cumulative pages; an idle key's histogram stays unread */
	d->cum_pages = ent->key.class == NTF_CLASS_PIN || ent->key.class == NTF_CLASS_UNPIN ?
			       ent->hist.pages :
			       0;
	d->hist = NO_HIST;
	d->slots_at = NO_SLOTS;
	d->nfine = NO_FINE;
	d->reclaim = 0;
	/* most keys are idle in an interval: known so without a lookup */
	if (unchanged)
		return 0;
	rec = top_reclaim_unmaps(ent);
	if (old)
		top_snap_counts(old, &before, &old_rec);
	if (old && before.count > ent->hist.count)
		old = NULL; /* restarted: everything is new */
	d->reclaim = old && old_rec <= rec ? rec - old_rec : rec;
	if (old && before.count == ent->hist.count)
		return 0; /* idle: every delta is zero */
	if (old) {
		top_snap_hist(old, &was);
		/* old's slots are its buckets': cur's are taken alike when its buckets hold them */
		if (!old->slots && top_snap_slots_in_buckets(ent)) {
			struct ntf_hist_counts counts;

			ntf_hist_counts_of(&counts, &ent->hist);
			ntf_hist_of_counts(&now, &counts);
			ntf_buckets_add_to_slots(&ent->fine, now.slots);
			cur = &now;
		}
	}
	hist_delta(h, cur, old ? &was : NULL);
	if (old)
		old_fine = top_snap_fine(old);
	if ((old && ntf_packed_unpack(&old_fine, &m->old_fine)) ||
	    fine_delta(m, d, &ent->fine, old ? &m->old_fine : NULL, h->count))
		return -ENOMEM;
	/* a max from before the interval: its top fine bucket bounds it closer than its slot */
	if (d->nfine != NO_FINE && old && ent->hist.max_ns <= before.max_ns) {
		/* the run just packed is still in m->run */
		double high = ntf_bucket_high(m->run.b[m->run.n - 1].index);

		if (high > 0 && high < (double)h->max_ns)
			h->max_ns = (__u64)ceil(high);
	}
	if (bytes_room(&m->counts, m->ncounts, &m->cap_counts, NTF_PACKED_COUNTS_BYTES))
		return -ENOMEM;
	d->hist = m->ncounts;
	ntf_hist_counts_of(&interval, h);
	m->ncounts += ntf_packed_put_counts(m->counts + m->ncounts, &interval);
	/* the slots only where no fine buckets stand for them (add_delta) */
	if (d->nfine == NO_FINE) {
		if (room((void **)&m->slots, m->nslots, &m->cap_slots, sizeof(*m->slots)))
			return -ENOMEM;
		d->slots_at = m->nslots;
		memcpy(m->slots[m->nslots++], h->slots, sizeof(h->slots));
	}
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
	m->ndeltas = m->ncounts = m->nfine = m->nslots = 0;
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

static __u64 group_key(enum top_view view, const struct top_delta *d)
{
	switch (view) {
	case TOP_VIEW_DRIVER: return d->key.callback;
	case TOP_VIEW_DEFAULT: return (__u64)d->key.callback << 32 | d->key.tgid;
	case TOP_VIEW_CLASS: return d->key.class;
	default: return d->key.tgid;
	}
}

static __u64 hash64(__u64 h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

static bool group_is(const void *entry, const void *key)
{
	return ((const struct group *)entry)->key == *(const __u64 *)key;
}

/*
 * Room for n rows. The group table is only emptied: it keeps the size the
 * most rows so far needed, which are fewer than deltas (a seventh of them
 * in the default view).
 */
static int reserve(struct top_model *m, size_t n)
{
	if (m->ndeltas > m->cap_timed_next) {
		__u32 *next = realloc(m->timed_next, m->ndeltas * sizeof(*next));

		if (!next)
			return -ENOMEM;
		m->timed_next = next;
		m->cap_timed_next = m->ndeltas;
	}
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
	ntf_table_clear(&m->groups);
	return 0;
}

/* The index of d's row in view, made when new; SIZE_MAX when out of memory. */
static size_t row_for(struct top_model *m, enum top_view view, const struct top_delta *d)
{
	__u64 key = group_key(view, d), h = hash64(key);
	size_t i = ntf_table_slot(&m->groups, h, &key, group_is);
	struct group *g;
	struct top_row *r;

	if (ntf_table_used(&m->groups, i))
		return ((const struct group *)ntf_table_at(&m->groups, i))->row;
	g = ntf_table_claim(&m->groups, i, h);
	if (!g)
		return SIZE_MAX;
	g->key = key;
	g->row = m->nrows;
	r = &m->rows[m->nrows];
	memset(r, 0, sizeof(*r));
	memset(&m->acc[m->nrows], 0, sizeof(m->acc[0]));
	if (view == TOP_VIEW_DRIVER || view == TOP_VIEW_DEFAULT)
		r->callback = d->key.callback;
	if (view == TOP_VIEW_CLASS)
		r->class = d->key.class;
	else if (view != TOP_VIEW_DRIVER)
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

/*
 * The class whose events a row counts, times and judges blockable: in
 * the views keyed by driver, a driver's row is its callback's calls and
 * the chain's row ("all") the invalidations, so that neither adds every
 * class together and a driver's refusals and latency show on its own row.
 */
static unsigned int row_class(enum top_view view, const struct top_row *r)
{
	if ((view == TOP_VIEW_DRIVER || view == TOP_VIEW_DEFAULT) && r->callback)
		return NTF_CLASS_CALLBACK;
	return top_view_lat_class(view);
}

static bool fail_class(enum top_view view, unsigned int measured, unsigned int class)
{
	switch (view) {
	case TOP_VIEW_CLASS: return true;
	case TOP_VIEW_PIN: return class == NTF_CLASS_PIN;
	case TOP_VIEW_UNMAP: return class == NTF_CLASS_UNMAP;
	default: return class == measured || class == NTF_CLASS_FENCE_WAIT;
	}
}

/* d's fine buckets, unpacked into out: 0 or -ENOMEM. */
static int delta_fine(const struct top_model *m, const struct top_delta *d, struct ntf_buckets *out)
{
	struct ntf_packed pk = { .p = m->fine + d->fine_at,
				 .len = (__u16)d->fine_len,
				 .n = (__u16)d->nfine };

	return ntf_packed_unpack(&pk, out);
}

/* Adds a delta's log2 slots: those kept, or else its fine buckets'. 0 or -ENOMEM. */
static int add_slots(struct top_model *m, const struct top_delta *d, __u64 slots[NTF_HIST_SLOTS])
{
	if (d->slots_at != NO_SLOTS) {
		for (int i = 0; i < NTF_HIST_SLOTS; i++)
			slots[i] += m->slots[d->slots_at][i];
	} else if (d->nfine != NO_FINE) {
		if (delta_fine(m, d, &m->run))
			return -ENOMEM;
		ntf_buckets_add_to_slots(&m->run, slots);
	}
	return 0;
}

static void add_delta(struct top_model *m, enum top_view view, size_t idx, size_t di)
{
	const struct top_delta *d = &m->deltas[di];
	struct top_row *r = &m->rows[idx];
	struct top_acc *a = &m->acc[idx];
	unsigned int c = d->key.class, lat = row_class(view, r);
	struct ntf_hist_counts counts, *h = &counts;

	if (!r->comm[0] && r->tgid)
		memcpy(r->comm, d->comm, sizeof(r->comm));
	/* pins outstanding are cumulative: idle keys hold them too */
	if (c == NTF_CLASS_PIN)
		a->outstanding += d->cum_pages;
	else if (c == NTF_CLASS_UNPIN)
		a->outstanding -= d->cum_pages;
	if (d->hist == NO_HIST)
		return;
	ntf_packed_get_counts(m->counts + d->hist, &counts);
	if (h->count && c < 32)
		r->classes |= 1u << c;
	a->events += h->count;
	if (lat == NTF_CLASS_NONE || c == lat) {
		ntf_hist_counts_merge(&r->lat, h);
		a->rate_events += h->count;
		m->timed_next[di] = a->timed_first;
		a->timed_first = di;
		a->timed_deltas++;
		if (d->nfine == NO_FINE && h->count)
			a->log2_only = true;
	} else if (view == TOP_VIEW_PROCESS) {
		a->rate_events += h->count; /* a process's events of every class */
	}
	if (fail_class(view, lat, c))
		a->fail += h->failures;
	/* blockable %: of the invalidations, or of a driver's calls */
	if ((view == TOP_VIEW_CLASS || c == lat) &&
	    (ntf_class_is_invalidate(c) || c == NTF_CLASS_CALLBACK)) {
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

/*
 * The interval's fine buckets of a row's timed events: its one delta's as
 * they are, several deltas' summed into m->merged. NULL when some timed
 * event has none (the row's percentiles are then log2's) or out of memory.
 */
static const struct ntf_buckets *row_fine(struct top_model *m, const struct top_acc *a)
{
	const struct top_delta *d;

	if (a->log2_only || !a->timed_deltas)
		return NULL;
	d = &m->deltas[a->timed_first];
	if (a->timed_deltas == 1 && d->nfine != NO_FINE)
		return delta_fine(m, d, &m->merged) ? NULL : &m->merged;
	ntf_buckets_reset(&m->merged);
	for (__u32 di = a->timed_first, k = 0; k < a->timed_deltas; di = m->timed_next[di], k++) {
		const struct top_delta *e = &m->deltas[di];

		/* not log2_only: a delta without buckets has no events */
		if (e->nfine != NO_FINE &&
		    (delta_fine(m, e, &m->run) || ntf_buckets_merge(&m->merged, &m->run)))
			return NULL;
	}
	return &m->merged;
}

/* A row's latency with its log2 slots, summed from its timed deltas. */
static const struct ntf_hist *row_log2(struct top_model *m, const struct top_row *r,
				       const struct top_acc *a)
{
	struct ntf_hist *h = &m->row_log2;

	ntf_hist_of_counts(h, &r->lat);
	for (__u32 di = a->timed_first, k = 0; k < a->timed_deltas; di = m->timed_next[di], k++)
		if (add_slots(m, &m->deltas[di], h->slots))
			return NULL;
	return h;
}

static void finish_row(struct top_model *m, enum top_view view, size_t idx)
{
	struct top_row *r = &m->rows[idx];
	const struct top_acc *a = &m->acc[idx];
	double secs = m->totals.elapsed_s;
	unsigned int lat = top_view_lat_class(view);
	__u64 whole;

	for (int c = 0; c < TOP_COL_COUNT; c++)
		r->v[c] = NAN;
	r->v[TOP_COL_RATE] = a->rate_events / secs;
	r->events = a->rate_events;
	/* max 0: counted, never timed (unpin) */
	if (r->lat.count && r->lat.max_ns) {
		const struct ntf_buckets *fine = row_fine(m, a);

		if (fine) {
			r->v[TOP_COL_P50] =
				ntf_buckets_quantile(fine, 0.50, r->lat.min_ns, r->lat.max_ns);
			r->v[TOP_COL_P99] =
				ntf_buckets_quantile(fine, 0.99, r->lat.min_ns, r->lat.max_ns);
		} else {
			const struct ntf_hist *h = row_log2(m, r, a);

			/* out of memory: no percentiles rather than wrong ones */
			if (h) {
				r->v[TOP_COL_P50] = ntf_hist_quantile(h, 0.50);
				r->v[TOP_COL_P99] = ntf_hist_quantile(h, 0.99);
			}
		}
		r->v[TOP_COL_LAT_MAX] = r->lat.max_ns;
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
	/* rows of an earlier query are gone, also when this one fails */
	m->nrows = m->norder = 0;
	for (size_t i = 0; i < m->ndeltas; i++) {
		const struct top_delta *d = &m->deltas[i];
		/* as the filters take it */
		struct ntf_hist_key key = ntf_agg_key_hist(&d->key);
		size_t row;

		if (!view_takes(q->view, d->key.class) ||
		    !top_filter_keeps(&q->filter, &key, d->comm, now_ms))
			continue;
		row = row_for(m, q->view, d);
		if (row == SIZE_MAX)
			return -ENOMEM;
		add_delta(m, q->view, row, i);
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
	case TOP_COL_DRIVER:
		/* by the name shown; the chain as a whole (0) first */
		r = a->callback && b->callback ?
			    strcmp(ntf_driver_name(a->callback), ntf_driver_name(b->callback)) :
			    cmp_u32(a->callback, b->callback);
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
	if ((r = cmp_u32(a->callback, b->callback)))
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
