// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "buckets.h"
#include "callbacks.h"
#include "prom_model.h"
#include "prom_families.h"

struct prom_exporter {
	struct prom_opts o;
	/* the processes given series of their own: an open-addressed set of tgids */
	__u32 *pids;
	__u32 npids, pid_slots;
};

/* The fine buckets are Prometheus's schema 4 over seconds: exact. */
int prom_native_index(__u32 index)
{
	return ntf_bucket_native(index);
}

struct prom_exporter *prom_exporter_new(const struct prom_opts *opts)
{
	struct prom_exporter *x = calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	x->o = *opts;
	if (!x->o.max_processes)
		x->o.max_processes = PROM_DEFAULT_MAX_PROCESSES;
	if (x->o.per_process) {
		x->pid_slots = 16;
		while (x->pid_slots < 2 * x->o.max_processes)
			x->pid_slots *= 2;
		x->pids = calloc(x->pid_slots, sizeof(*x->pids));
		if (!x->pids) {
			free(x);
			return NULL;
		}
	}
	return x;
}

void prom_exporter_free(struct prom_exporter *x)
{
	if (!x)
		return;
	free(x->pids);
	free(x);
}

/* Whether tgid has series of its own: yes if it had, or while there is room. */
static bool admit(struct prom_exporter *x, __u32 tgid)
{
	__u32 mask = x->pid_slots - 1, i = (tgid * 2654435761u) & mask;

	if (tgid == NTF_AGG_OTHER_TGID || tgid == PROM_PID_NONE)
		return false;
	for (;; i = (i + 1) & mask) {
		if (x->pids[i] == tgid)
			return true;
		if (!x->pids[i])
			break;
	}
	if (x->npids >= x->o.max_processes)
		return false;
	x->pids[i] = tgid;
	x->npids++;
	return true;
}

const char *prom_callback_label(__u32 callback)
{
	if (!callback)
		return "chain";
	if (callback <= ntf_known_callback_count)
		return ntf_known_callbacks[callback - 1].func;
	return ntf_driver_name(callback);
}

void prom_clean_label(char *dst, const char *src, size_t size)
{
	size_t i;

	for (i = 0; i + 1 < size && src[i]; i++)
		dst[i] = (unsigned char)src[i] >= 0x20 && (unsigned char)src[i] < 0x7f ? src[i] :
											 '?';
	if (size)
		dst[i] = '\0';
}

static struct prom_series *grow(struct prom_model *m)
{
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		struct prom_series *s = realloc(m->s, cap * sizeof(*s));

		if (!s)
			return NULL;
		m->s = s;
		m->cap = cap;
	}
	memset(&m->s[m->n], 0, sizeof(m->s[m->n]));
	return &m->s[m->n++];
}

static void add_totals(struct prom_totals *t, const struct ntf_agg_entry *e)
{
	t->count += e->hist.count;
	t->sum_ns += e->hist.sum_ns;
	t->failures += e->hist.failures;
	t->pages += e->hist.pages;
	t->nested += e->hist.nested;
	t->nonblock += e->hist.nonblock;
	for (unsigned int o = 0; o < NTF_ORIGIN_MAX; o++)
		t->origins[o] += e->origins[o];
}

static void add_dense(struct prom_dense *d, const struct ntf_buckets *fine)
{
	for (__u32 i = 0; i < fine->n; i++) {
		__u32 index = fine->b[i].index;
		__u64 n = ntf_bucket_count(&fine->b[i]);

		if (index == NTF_BUCKET_ZERO)
			d->zero += n;
		else if (index < PROM_DENSE)
			d->count[index] += n;
		else
			d->over += n;
	}
}

/* Dense groups by class and callback: the classic series, and the "other" processes. */
struct groups {
	struct prom_series *by_key[NTF_CLASS_MAX][NTF_CALLBACK_IDS];
};

struct build_ctx {
	struct prom_exporter *x;
	struct prom_model *m;
	struct groups classic, other;
	/* the series of groups, apart until every entry is in (m->s may move) */
	struct prom_series *gs;
	size_t ngs, gcap;
	int err;
};

static struct prom_series *group(struct build_ctx *b, struct groups *g,
				 const struct ntf_agg_entry *e, __u32 pid)
{
	__u32 c = e->key.class, cb = e->key.callback;
	struct prom_series *s;

	if (c >= NTF_CLASS_MAX || cb >= NTF_CALLBACK_IDS)
		return NULL;
	if (g->by_key[c][cb])
		return g->by_key[c][cb];
	s = calloc(1, sizeof(*s));
	if (!s || !(s->dense = calloc(1, sizeof(*s->dense)))) {
		free(s);
		b->err = -ENOMEM;
		return NULL;
	}
	s->class = c;
	s->callback = cb;
	s->pid = pid;
	s->comm = pid == PROM_PID_OTHER ? "other" : NULL;
	g->by_key[c][cb] = s;
	return s;
}

static int visit(const struct ntf_agg_entry *e, void *ctx)
{
	struct build_ctx *b = ctx;
	struct prom_series *s;

	s = group(b, &b->classic, e, PROM_PID_NONE);
	if (!s)
		return b->err;
	add_totals(&s->t, e);
	add_dense(s->dense, &e->fine);
	if (!b->x->o.per_process)
		return 0;
	if (admit(b->x, e->key.tgid)) {
		s = grow(b->m);
		if (!s)
			return b->err = -ENOMEM;
		s->class = e->key.class;
		s->callback = e->key.callback;
		s->pid = e->key.tgid;
		s->comm = e->comm;
		add_totals(&s->t, e);
		s->fine = &e->fine;
		return 0;
	}
	s = group(b, &b->other, e, PROM_PID_OTHER);
	if (!s)
		return b->err;
	add_totals(&s->t, e);
	add_dense(s->dense, &e->fine);
	return 0;
}

/* Moves a table of groups into an array of series, in key order. */
static int take_groups(struct groups *g, struct prom_series **out, size_t *n)
{
	size_t count = 0, k = 0;

	for (unsigned int c = 0; c < NTF_CLASS_MAX; c++)
		for (unsigned int cb = 0; cb < NTF_CALLBACK_IDS; cb++)
			count += g->by_key[c][cb] != NULL;
	*out = count ? malloc(count * sizeof(**out)) : NULL;
	if (count && !*out)
		return -ENOMEM;
	for (unsigned int c = 0; c < NTF_CLASS_MAX; c++)
		for (unsigned int cb = 0; cb < NTF_CALLBACK_IDS; cb++)
			if (g->by_key[c][cb]) {
				(*out)[k++] = *g->by_key[c][cb];
				free(g->by_key[c][cb]);
				g->by_key[c][cb] = NULL;
			}
	*n = count;
	return 0;
}

static void free_groups(struct groups *g)
{
	for (unsigned int c = 0; c < NTF_CLASS_MAX; c++)
		for (unsigned int cb = 0; cb < NTF_CALLBACK_IDS; cb++)
			if (g->by_key[c][cb]) {
				free(g->by_key[c][cb]->dense);
				free(g->by_key[c][cb]);
			}
}

int prom_model_build(struct prom_exporter *x, const struct ntf_agg *agg, struct prom_model *m)
{
	struct build_ctx *b = calloc(1, sizeof(*b));
	struct prom_series *other = NULL;
	size_t nother = 0;
	int err;

	memset(m, 0, sizeof(*m));
	m->lo = 1;
	m->hi = 0;
	if (!b)
		return -ENOMEM;
	b->x = x;
	b->m = m;
	err = ntf_agg_foreach(agg, visit, b);
	if (!err)
		err = take_groups(&b->classic, &m->classic, &m->nclassic);
	if (!err)
		err = take_groups(&b->other, &other, &nother);
	free_groups(&b->classic);
	free_groups(&b->other);
	free(b);
	for (size_t i = 0; !err && i < nother; i++) {
		struct prom_series *s = grow(m);

		if (!s) {
			err = -ENOMEM;
			break;
		}
		*s = other[i];
		other[i].dense = NULL;
	}
	for (size_t i = 0; i < nother; i++)
		free(other[i].dense);
	free(other);
	if (err) {
		prom_model_free(m);
		return err;
	}
	/* the classic buckets: every fine edge from the lowest used to the highest */
	m->lo = PROM_DENSE;
	m->hi = -1;
	for (size_t i = 0; i < m->nclassic; i++)
		for (int k = 0; k < PROM_DENSE; k++)
			if (m->classic[i].dense->count[k]) {
				if (k < m->lo)
					m->lo = k;
				if (k > m->hi)
					m->hi = k;
			}
	return 0;
}

void prom_model_free(struct prom_model *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->s[i].dense);
	for (size_t i = 0; i < m->nclassic; i++)
		free(m->classic[i].dense);
	free(m->s);
	free(m->classic);
	memset(m, 0, sizeof(*m));
}

void prom_series_buckets(const struct prom_series *s, prom_bucket_fn fn, void *ctx)
{
	if (s->fine) {
		for (__u32 i = 0; i < s->fine->n; i++)
			fn(ctx, s->fine->b[i].index, ntf_bucket_count(&s->fine->b[i]));
		return;
	}
	if (s->dense->zero)
		fn(ctx, NTF_BUCKET_ZERO, s->dense->zero);
	for (__u32 k = 0; k < PROM_DENSE; k++)
		if (s->dense->count[k])
			fn(ctx, k, s->dense->count[k]);
}

void *prom_buf_reserve(struct prom_buf *b, size_t n)
{
	if (b->err)
		return NULL;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;

		while (cap < b->len + n)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->err = -ENOMEM;
			return NULL;
		}
		b->p = p;
		b->cap = cap;
	}
	b->len += n;
	return b->p + b->len - n;
}

void prom_buf_put(struct prom_buf *b, const void *s, size_t n)
{
	void *dst = prom_buf_reserve(b, n);

	if (dst)
		memcpy(dst, s, n);
}

void prom_buf_free(struct prom_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* The q of a media range's parameters: 1 when it has none. */
static double range_q(const char *range)
{
	const char *q = strstr(range, ";q=");

	if (!q)
		q = strstr(range, "; q=");
	if (!q)
		return 1;
	return strtod(strchr(q, '=') + 1, NULL);
}

/* Media ranges of an Accept header, each with its parameters; q=0 refuses. */
bool prom_accepts_protobuf(const char *accept)
{
	const char *p = accept;

	while (p && *p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char range[512];

		if (len < sizeof(range)) {
			memcpy(range, p, len);
			range[len] = '\0';
			if (strstr(range, "application/vnd.google.protobuf") &&
			    strstr(range, "proto=io.prometheus.client.MetricFamily") &&
			    strstr(range, "encoding=delimited") && range_q(range) > 0)
				return true;
		}
		p = end ? end + 1 : NULL;
	}
	return false;
}

const struct prom_counter_def prom_counter_defs[] = {
	{ "notifier_events_total", "Events by class, driver callback and origin.", PROM_C_EVENTS,
	  true },
	{ "notifier_failures_total",
	  "Events that failed: an invalidate's error, a callback's refusal, a pin short of its pages.",
	  PROM_C_FAILURES, true },
	{ "notifier_nonblockable_total", "Invalidates of non-blockable ranges (the OOM reaper's).",
	  PROM_C_NONBLOCK, true },
	{ "notifier_nested_total",
	  "Pins, unmaps and fence waits inside an invalidate on the same task.", PROM_C_NESTED,
	  true },
	{ "notifier_refusals_total",
	  "Driver callbacks that refused a non-blockable range (false or -EAGAIN).",
	  PROM_C_REFUSALS, false },
	{ "notifier_pinned_pages_total", "Pages pinned (pin_user_pages and its variants).",
	  PROM_C_PINNED, false },
	{ "notifier_unpinned_pages_total", "Pages unpinned (unpin_user_page and its variants).",
	  PROM_C_UNPINNED, false },
	{},
};

bool prom_counter_applies(const struct prom_counter_def *d, const struct prom_series *s)
{
	switch (d->what) {
	case PROM_C_REFUSALS: return s->class == NTF_CLASS_CALLBACK;
	case PROM_C_PINNED: return s->class == NTF_CLASS_PIN;
	case PROM_C_UNPINNED: return s->class == NTF_CLASS_UNPIN;
	default: return true;
	}
}

__u64 prom_counter_value(const struct prom_counter_def *d, const struct prom_series *s)
{
	switch (d->what) {
	case PROM_C_EVENTS: return s->t.count;
	case PROM_C_FAILURES: return s->t.failures;
	case PROM_C_NONBLOCK: return s->t.nonblock;
	case PROM_C_NESTED: return s->t.nested;
	case PROM_C_REFUSALS: return s->t.failures;
	case PROM_C_PINNED:
	case PROM_C_UNPINNED: return s->t.pages;
	}
	return 0;
}

static void sum_bucket(void *ctx, __u32 index, __u64 count)
{
	(void)index;
	*(__u64 *)ctx += count;
}

__u64 prom_inf_count(const struct prom_series *s)
{
	__u64 in_buckets = 0;

	if (s->dense)
		in_buckets = s->dense->over;
	prom_series_buckets(s, sum_bucket, &in_buckets);
	return in_buckets > s->t.count ? in_buckets : s->t.count;
}
