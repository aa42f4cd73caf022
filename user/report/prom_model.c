// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "buckets.h"
#include "callbacks.h"
#include "prom_model.h"
#include "prom_families.h"

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
		x->pid_no = calloc(x->pid_slots, sizeof(*x->pid_no));
		if (!x->pids || !x->pid_no) {
			free(x->pids);
			free(x->pid_no);
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
	for (size_t i = 0; i < x->dense_alloc; i++)
		free(x->dense[i]);
	free(x->dense);
	for (size_t i = 0; i < x->fine_alloc; i++) {
		ntf_buckets_free(x->fine[i]);
		free(x->fine[i]);
	}
	free(x->fine);
	free(x->groups);
	free(x->m.s);
	free(x->m.classic);
	prom_text_scratch_free(x->text);
	prom_pb_scratch_free(x->pb);
	free(x->pids);
	free(x->pid_no);
	free(x);
}

int prom_grow(void *p, size_t *cap, size_t n, size_t size)
{
	size_t c = *cap ? *cap : 16;
	void *old, *q;

	if (n <= *cap)
		return 0;
	while (c < n)
		c *= 2;
	memcpy(&old, p, sizeof(old)); /* p is a T **, whatever T is */
	q = realloc(old, c * size);
	if (!q)
		return -ENOMEM;
	memcpy(p, &q, sizeof(q));
	*cap = c;
	return 0;
}

size_t prom_fmt_u64(char *dst, __u64 v)
{
	static const char pairs[] = "00010203040506070809101112131415161718192021222324"
				    "25262728293031323334353637383940414243444546474849"
				    "50515253545556575859606162636465666768697071727374"
				    "75767778798081828384858687888990919293949596979899";
	char tmp[20], *p = tmp + sizeof(tmp);
	size_t n;

	while (v >= 100) {
		p -= 2;
		memcpy(p, &pairs[(v % 100) * 2], 2);
		v /= 100;
	}
	if (v >= 10) {
		p -= 2;
		memcpy(p, &pairs[v * 2], 2);
	} else {
		*--p = (char)('0' + v);
	}
	n = (size_t)(tmp + sizeof(tmp) - p);
	memcpy(dst, p, n);
	return n;
}

/* Whether tgid has series of its own (yes if it had, or while there is room), and its number. */
static bool admit(struct prom_exporter *x, __u32 tgid, __u32 *no)
{
	__u32 mask = x->pid_slots - 1, i = (tgid * 2654435761u) & mask;

	if (tgid == NTF_AGG_OTHER_TGID || tgid == PROM_PID_NONE)
		return false;
	for (;; i = (i + 1) & mask) {
		if (x->pids[i] == tgid) {
			*no = x->pid_no[i];
			return true;
		}
		if (!x->pids[i])
			break;
	}
	if (x->npids >= x->o.max_processes)
		return false;
	x->pids[i] = tgid;
	*no = x->pid_no[i] = x->npids++;
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

/* Adds an entry's fine buckets to a group's: the events they hold. */
static __u64 add_dense(struct prom_dense *d, const struct ntf_buckets *fine)
{
	__u64 sum = 0;

	for (__u32 i = 0; i < fine->n; i++) {
		__u32 index = fine->b[i].index;
		__u64 n = ntf_bucket_count(&fine->b[i]);

		sum += n;
		if (index == NTF_BUCKET_ZERO) {
			d->zero += n;
		} else if (index < PROM_DENSE) {
			d->count[index] += n;
			if ((int)index < d->lo)
				d->lo = (int)index;
			if ((int)index > d->hi)
				d->hi = (int)index;
		} else {
			d->over += n;
		}
	}
	return sum;
}

/*
 * Dense groups by class and callback, the classic series and the "other"
 * processes': indexes in x->groups, or -1.
 */
struct groups {
	int at[NTF_CLASS_MAX][NTF_CALLBACK_IDS];
};

struct build_ctx {
	struct prom_exporter *x;
	struct groups classic, other;
	int err;
};

static void series_init(struct prom_series *s, __u32 class, __u32 callback, __u32 pid)
{
	memset(s, 0, offsetof(struct prom_series, pid_label));
	s->class = class;
	s->callback = callback;
	s->pid = pid;
	s->pid_label[0] = s->comm[0] = '\0';
}

static struct prom_series *group(struct build_ctx *b, struct groups *g,
				 const struct ntf_agg_entry *e, __u32 pid)
{
	struct prom_exporter *x = b->x;
	__u32 c = e->key.class, cb = e->key.callback;
	struct prom_series *s;
	struct prom_dense *d;

	if (c >= NTF_CLASS_MAX || cb >= NTF_CALLBACK_IDS)
		return NULL;
	if (g->at[c][cb] >= 0)
		return &x->groups[g->at[c][cb]];
	if (prom_grow(&x->groups, &x->groups_cap, x->ngroups + 1, sizeof(*x->groups)))
		goto nomem;
	if (x->ndense == x->dense_alloc) {
		if (prom_grow(&x->dense, &x->dense_cap, x->dense_alloc + 1, sizeof(*x->dense)))
			goto nomem;
		d = calloc(1, sizeof(*d));
		if (!d)
			goto nomem;
		d->lo = PROM_DENSE;
		d->hi = -1;
		x->dense[x->dense_alloc++] = d;
	}
	/* counts are zero but where the last scrape used it */
	d = x->dense[x->ndense++];
	if (d->lo <= d->hi)
		memset(&d->count[d->lo], 0, (size_t)(d->hi - d->lo + 1) * sizeof(d->count[0]));
	d->zero = d->over = 0;
	d->lo = PROM_DENSE;
	d->hi = -1;
	s = &x->groups[x->ngroups];
	g->at[c][cb] = (int)x->ngroups++;
	series_init(s, c, cb, pid);
	s->dense = d;
	if (pid == PROM_PID_OTHER) {
		memcpy(s->pid_label, "other", sizeof("other"));
		memcpy(s->comm, "other", sizeof("other"));
	}
	return s;
nomem:
	b->err = -ENOMEM;
	return NULL;
}

/* A copy of an admitted process's buckets, for its series: NULL when out of memory. */
static const struct ntf_buckets *keep_fine(struct prom_exporter *x, const struct ntf_buckets *fine)
{
	struct ntf_buckets *f;

	if (x->nfine == x->fine_alloc) {
		if (prom_grow(&x->fine, &x->fine_cap, x->fine_alloc + 1, sizeof(*x->fine)) ||
		    !(x->fine[x->fine_alloc] = calloc(1, sizeof(**x->fine))))
			return NULL;
		x->fine_alloc++;
	}
	f = x->fine[x->nfine];
	if (ntf_buckets_copy(f, fine))
		return NULL;
	x->nfine++;
	return f;
}

static int visit(const struct ntf_agg_entry *e, void *ctx)
{
	struct build_ctx *b = ctx;
	struct prom_exporter *x = b->x;
	struct prom_model *m = &x->m;
	struct prom_series *s;
	__u64 in_buckets;
	__u32 no;

	s = group(b, &b->classic, e, PROM_PID_NONE);
	if (!s)
		return b->err;
	add_totals(&s->t, e);
	in_buckets = add_dense(s->dense, &e->fine);
	s->in_buckets += in_buckets;
	if (!x->o.per_process)
		return 0;
	if (admit(x, e->key.tgid, &no)) {
		if (prom_grow(&m->s, &m->cap, m->n + 1, sizeof(*m->s)))
			return b->err = -ENOMEM;
		s = &m->s[m->n++];
		series_init(s, e->key.class, e->key.callback, e->key.tgid);
		add_totals(&s->t, e);
		s->in_buckets = in_buckets;
		if (!(s->fine = keep_fine(x, &e->fine)))
			return b->err = -ENOMEM;
		s->pid_no = no;
		s->pid_label[prom_fmt_u64(s->pid_label, e->key.tgid)] = '\0';
		prom_clean_label(s->comm, e->comm, sizeof(s->comm));
		return 0;
	}
	s = group(b, &b->other, e, PROM_PID_OTHER);
	if (!s)
		return b->err;
	add_totals(&s->t, e);
	s->in_buckets += add_dense(s->dense, &e->fine);
	return 0;
}

/* Copies a table's groups to out[0..], in key order: how many. */
static size_t take_groups(const struct prom_exporter *x, const struct groups *g,
			  struct prom_series *out)
{
	size_t k = 0;

	for (unsigned int c = 0; c < NTF_CLASS_MAX; c++)
		for (unsigned int cb = 0; cb < NTF_CALLBACK_IDS; cb++)
			if (g->at[c][cb] >= 0)
				out[k++] = x->groups[g->at[c][cb]];
	return k;
}

/* Groups a table has. */
static size_t count_groups(const struct groups *g)
{
	size_t n = 0;

	for (unsigned int c = 0; c < NTF_CLASS_MAX; c++)
		for (unsigned int cb = 0; cb < NTF_CALLBACK_IDS; cb++)
			n += g->at[c][cb] >= 0;
	return n;
}

int prom_model_build(struct prom_exporter *x, const struct ntf_agg *agg)
{
	struct prom_model *m = &x->m;
	struct build_ctx b = { .x = x };
	size_t nclassic, nother;
	int err;

	m->n = m->nclassic = 0;
	m->lo = 1;
	m->hi = 0;
	m->per_process = x->o.per_process;
	x->ngroups = x->ndense = x->nfine = 0;
	memset(&b.classic, 0xff, sizeof(b.classic));
	memset(&b.other, 0xff, sizeof(b.other));
	err = ntf_agg_foreach(agg, visit, &b);
	if (err)
		return err;
	nclassic = count_groups(&b.classic);
	nother = count_groups(&b.other);
	if (prom_grow(&m->classic, &m->classic_cap, nclassic, sizeof(*m->classic)) ||
	    (nother && prom_grow(&m->s, &m->cap, m->n + nother, sizeof(*m->s))))
		return -ENOMEM;
	m->nclassic = take_groups(x, &b.classic, m->classic);
	m->n += take_groups(x, &b.other, m->s + m->n);
	/* the classic buckets: every fine edge from the lowest used to the highest */
	m->lo = PROM_DENSE;
	m->hi = -1;
	for (size_t i = 0; i < m->nclassic; i++) {
		if (m->classic[i].dense->lo < m->lo)
			m->lo = m->classic[i].dense->lo;
		if (m->classic[i].dense->hi > m->hi)
			m->hi = m->classic[i].dense->hi;
	}
	return 0;
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
	for (int k = s->dense->lo; k <= s->dense->hi; k++)
		if (s->dense->count[k])
			fn(ctx, (__u32)k, s->dense->count[k]);
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

__u64 prom_inf_count(const struct prom_series *s)
{
	return s->in_buckets > s->t.count ? s->in_buckets : s->t.count;
}
