// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The protobuf exposition: delimited io.prometheus.client.MetricFamily
 * messages (prom_metrics.proto, encoded by protobuf-c). Native histograms
 * are notifier's fine buckets one for one (schema 4: prom_native_index),
 * their zero bucket the events of 0 ns; the classic histograms and the
 * counters are the text exposition's. A scrape's messages live in an
 * arena freed at its end.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "buckets.h"
#include "callbacks.h"
#include "names.h"
#include "prom_families.h"
#include "prom_metrics.pb-c.h"
#include "prom_model.h"

typedef Io__Prometheus__Client__MetricFamily Family;
typedef Io__Prometheus__Client__Metric Metric;
typedef Io__Prometheus__Client__LabelPair Label;
typedef Io__Prometheus__Client__Histogram Hist;
typedef Io__Prometheus__Client__Bucket Bucket;
typedef Io__Prometheus__Client__BucketSpan Span;
typedef Io__Prometheus__Client__Counter Counter;

#define ARENA_CHUNK (1u << 20)

struct chunk {
	struct chunk *next;
	size_t used, size;
	_Alignas(16) char mem[];
};

struct arena {
	struct chunk *head;
	int err;
};

static void *arena_alloc(struct arena *a, size_t size)
{
	struct chunk *c = a->head;

	size = (size + 15) & ~(size_t)15;
	if (!c || c->used + size > c->size) {
		size_t want = size > ARENA_CHUNK ? size : ARENA_CHUNK;

		c = malloc(sizeof(*c) + want);
		if (!c) {
			a->err = -ENOMEM;
			return NULL;
		}
		c->next = a->head;
		c->used = 0;
		c->size = want;
		a->head = c;
	}
	c->used += size;
	return c->mem + c->used - size;
}

static void arena_free(struct arena *a)
{
	while (a->head) {
		struct chunk *next = a->head->next;

		free(a->head);
		a->head = next;
	}
}

/* The labels of a series, with one more (origin) when extra is set. */
static Label **labels(struct arena *a, const struct prom_series *s, bool with_class,
		      const char *extra, const char *extra_value, size_t *n)
{
	Label *l = arena_alloc(a, 6 * sizeof(*l));
	Label **lp = arena_alloc(a, 6 * sizeof(*lp));
	size_t k = 0;

	if (!l || !lp)
		return NULL;
#define LABEL(N, V)                                              \
	do {                                                     \
		io__prometheus__client__label_pair__init(&l[k]); \
		l[k].name = (char *)(N);                         \
		l[k].value = (char *)(V);                        \
		lp[k] = &l[k];                                   \
		k++;                                             \
	} while (0)
	if (with_class)
		LABEL("class", ntf_class_name(s->class));
	LABEL("driver", ntf_driver_name(s->callback));
	LABEL("callback", prom_callback_label(s->callback));
	if (s->pid != PROM_PID_NONE) {
		char *pid = arena_alloc(a, 16), *comm = arena_alloc(a, NTF_COMM_LEN);

		if (!pid || !comm)
			return NULL;
		if (s->pid == PROM_PID_OTHER)
			snprintf(pid, 16, "other");
		else
			snprintf(pid, 16, "%u", s->pid);
		prom_clean_label(comm, s->comm ? s->comm : "", NTF_COMM_LEN);
		LABEL("pid", pid);
		LABEL("comm", comm);
	}
	if (extra)
		LABEL(extra, extra_value);
#undef LABEL
	*n = k;
	return lp;
}

/* Packs fam into out as a delimited message: its length (a varint), then it. */
static void put_family(struct prom_buf *out, const Family *fam)
{
	size_t size = io__prometheus__client__metric_family__get_packed_size(fam), v = size;
	__u8 varint[10];
	size_t n = 0;
	void *dst;

	do {
		varint[n] = v & 0x7f;
		v >>= 7;
		varint[n] |= v ? 0x80 : 0;
		n++;
	} while (v);
	prom_buf_put(out, varint, n);
	dst = prom_buf_reserve(out, size);
	if (dst)
		io__prometheus__client__metric_family__pack(fam, dst);
}

static Metric **metrics(struct arena *a, size_t n, Metric **arr)
{
	Metric **mp = arena_alloc(a, (n ? n : 1) * sizeof(*mp));

	*arr = arena_alloc(a, (n ? n : 1) * sizeof(**arr));
	if (!mp || !*arr)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		io__prometheus__client__metric__init(&(*arr)[i]);
		mp[i] = &(*arr)[i];
	}
	return mp;
}

static void family(Family *fam, const char *name, const char *help,
		   Io__Prometheus__Client__MetricType type)
{
	io__prometheus__client__metric_family__init(fam);
	fam->name = (char *)name;
	fam->help = (char *)help;
	fam->has_type = true;
	fam->type = type;
}

static void classic(struct prom_buf *out, struct arena *a, const struct prom_model *m)
{
	int nle = m->hi >= m->lo ? m->hi - m->lo + 1 : 0;
	Family fam;
	Metric *arr;
	Metric **mp = metrics(a, m->nclassic, &arr);

	family(&fam, PROM_LATENCY, PROM_LATENCY_HELP,
	       IO__PROMETHEUS__CLIENT__METRIC_TYPE__HISTOGRAM);
	if (!mp)
		return;
	for (size_t i = 0; i < m->nclassic; i++) {
		const struct prom_series *s = &m->classic[i];
		Hist *h = arena_alloc(a, sizeof(*h));
		Bucket *b = arena_alloc(a, (nle + 1) * sizeof(*b));
		Bucket **bp = arena_alloc(a, (nle + 1) * sizeof(*bp));
		__u64 cum = s->dense->zero;

		arr[i].label = labels(a, s, true, NULL, NULL, &arr[i].n_label);
		if (!h || !b || !bp || !arr[i].label)
			return;
		io__prometheus__client__histogram__init(h);
		for (int k = 0; k < nle; k++) {
			cum += s->dense->count[m->lo + k];
			io__prometheus__client__bucket__init(&b[k]);
			b[k].has_cumulative_count = b[k].has_upper_bound = true;
			b[k].cumulative_count = cum;
			b[k].upper_bound = ntf_bucket_high(m->lo + k) * 1e-9;
			bp[k] = &b[k];
		}
		h->n_bucket = nle;
		h->bucket = bp;
		h->has_sample_count = h->has_sample_sum = true;
		h->sample_count = prom_inf_count(s);
		h->sample_sum = (double)s->t.sum_ns * 1e-9;
		arr[i].histogram = h;
	}
	fam.n_metric = m->nclassic;
	fam.metric = mp;
	put_family(out, &fam);
}

/* Spans and deltas of a native histogram, built bucket by bucket. */
struct native_ctx {
	Hist *h;
	Span *spans;
	Span **sp;
	int64_t *deltas;
	int prev_index;
	__u64 prev_count;
};

static void native_bucket(void *ctx, __u32 index, __u64 count)
{
	struct native_ctx *c = ctx;
	Hist *h = c->h;
	int n;

	if (index == NTF_BUCKET_ZERO) {
		h->zero_count += count;
		return;
	}
	n = prom_native_index(index);
	if (!h->n_positive_span || n != c->prev_index + 1) {
		Span *s = &c->spans[h->n_positive_span];

		io__prometheus__client__bucket_span__init(s);
		s->has_offset = s->has_length = true;
		s->offset = h->n_positive_span ? n - c->prev_index - 1 : n;
		c->sp[h->n_positive_span++] = s;
	}
	c->sp[h->n_positive_span - 1]->length++;
	c->deltas[h->n_positive_delta++] = (int64_t)(count - c->prev_count);
	c->prev_count = count;
	c->prev_index = n;
}

static void count_bucket(void *ctx, __u32 index, __u64 count)
{
	(void)index;
	(void)count;
	(*(size_t *)ctx)++;
}

static void native(struct prom_buf *out, struct arena *a, const struct prom_series *ss, size_t n)
{
	Family fam;
	Metric *arr;
	Metric **mp = metrics(a, n, &arr);

	family(&fam, PROM_NATIVE, PROM_NATIVE_HELP, IO__PROMETHEUS__CLIENT__METRIC_TYPE__HISTOGRAM);
	if (!mp)
		return;
	for (size_t i = 0; i < n; i++) {
		const struct prom_series *s = &ss[i];
		struct native_ctx c = {};
		size_t nb = 0;

		prom_series_buckets(s, count_bucket, &nb);
		c.h = arena_alloc(a, sizeof(*c.h));
		c.spans = arena_alloc(a, (nb + 1) * sizeof(*c.spans));
		c.sp = arena_alloc(a, (nb + 1) * sizeof(*c.sp));
		c.deltas = arena_alloc(a, (nb + 1) * sizeof(*c.deltas));
		arr[i].label = labels(a, s, true, NULL, NULL, &arr[i].n_label);
		if (!c.h || !c.spans || !c.sp || !c.deltas || !arr[i].label)
			return;
		io__prometheus__client__histogram__init(c.h);
		c.h->positive_span = c.sp;
		c.h->positive_delta = c.deltas;
		prom_series_buckets(s, native_bucket, &c);
		c.h->has_schema = c.h->has_zero_threshold = c.h->has_zero_count = true;
		c.h->schema = PROM_NATIVE_SCHEMA;
		c.h->zero_threshold = PROM_ZERO_THRESHOLD;
		c.h->has_sample_count = c.h->has_sample_sum = true;
		c.h->sample_count = prom_inf_count(s);
		c.h->sample_sum = (double)s->t.sum_ns * 1e-9;
		arr[i].histogram = c.h;
	}
	fam.n_metric = n;
	fam.metric = mp;
	put_family(out, &fam);
}

static Counter *counter(struct arena *a, __u64 v)
{
	Counter *c = arena_alloc(a, sizeof(*c));

	if (!c)
		return NULL;
	io__prometheus__client__counter__init(c);
	c->has_value = true;
	c->value = (double)v;
	return c;
}

static void counters(struct prom_buf *out, struct arena *a, const struct prom_series *ss, size_t n)
{
	for (const struct prom_counter_def *d = prom_counter_defs; d->name; d++) {
		size_t count = 0, k = 0;
		Family fam;
		Metric *arr;
		Metric **mp;

		for (size_t i = 0; i < n; i++) {
			if (!prom_counter_applies(d, &ss[i]))
				continue;
			if (d->what != PROM_C_EVENTS) {
				count++;
				continue;
			}
			for (unsigned int o = 0; o < NTF_ORIGIN_MAX; o++)
				count += ss[i].t.origins[o] != 0;
		}
		mp = metrics(a, count, &arr);
		if (!mp)
			return;
		family(&fam, d->name, d->help, IO__PROMETHEUS__CLIENT__METRIC_TYPE__COUNTER);
		for (size_t i = 0; i < n; i++) {
			const struct prom_series *s = &ss[i];

			if (!prom_counter_applies(d, s))
				continue;
			if (d->what != PROM_C_EVENTS) {
				arr[k].label =
					labels(a, s, d->with_class, NULL, NULL, &arr[k].n_label);
				arr[k].counter = counter(a, prom_counter_value(d, s));
				if (!arr[k].label || !arr[k].counter)
					return;
				k++;
				continue;
			}
			for (unsigned int o = 0; o < NTF_ORIGIN_MAX; o++) {
				if (!s->t.origins[o])
					continue;
				arr[k].label = labels(a, s, true, "origin", ntf_origin_name(o),
						      &arr[k].n_label);
				arr[k].counter = counter(a, s->t.origins[o]);
				if (!arr[k].label || !arr[k].counter)
					return;
				k++;
			}
		}
		fam.n_metric = k;
		fam.metric = mp;
		put_family(out, &fam);
	}
}

/* A family of one counter with one label or none. */
static void single(struct prom_buf *out, struct arena *a, const char *name, const char *help,
		   const char *label, const char *const *values, const __u64 *v, size_t n)
{
	Family fam;
	Metric *arr;
	Metric **mp = metrics(a, n, &arr);

	family(&fam, name, help, IO__PROMETHEUS__CLIENT__METRIC_TYPE__COUNTER);
	if (!mp)
		return;
	for (size_t i = 0; i < n; i++) {
		arr[i].counter = counter(a, v[i]);
		if (!arr[i].counter)
			return;
		if (label) {
			Label *l = arena_alloc(a, sizeof(*l));
			Label **lp = arena_alloc(a, sizeof(*lp));

			if (!l || !lp)
				return;
			io__prometheus__client__label_pair__init(l);
			l->name = (char *)label;
			l->value = (char *)values[i];
			lp[0] = l;
			arr[i].label = lp;
			arr[i].n_label = 1;
		}
	}
	fam.n_metric = n;
	fam.metric = mp;
	put_family(out, &fam);
}

int prom_render_protobuf(struct prom_exporter *x, const struct ntf_agg *agg,
			 const struct prom_counters *c, struct prom_buf *out)
{
	static const char *const reasons[] = { "ring_buffer", "hist_map", "inflight" };
	const __u64 drops[] = { c->ringbuf_drops, c->hist_drops, c->inflight_drops };
	const __u64 bad = c->bad_records, folded = ntf_agg_folded(agg);
	const struct prom_series *ss;
	struct arena a = {};
	struct prom_model m;
	size_t n;
	int err = prom_model_build(x, agg, &m);

	if (err)
		return err;
	ss = prom_model_series(&m, &n);
	classic(out, &a, &m);
	native(out, &a, ss, n);
	counters(out, &a, ss, n);
	single(out, &a, PROM_DROPPED, PROM_DROPPED_HELP, "reason", reasons, drops, 3);
	single(out, &a, PROM_BAD_RECORDS, PROM_BAD_RECORDS_HELP, NULL, NULL, &bad, 1);
	single(out, &a, PROM_FOLDED, PROM_FOLDED_HELP, NULL, NULL, &folded, 1);
	err = a.err ? a.err : out->err;
	arena_free(&a);
	prom_model_free(&m);
	return err;
}
