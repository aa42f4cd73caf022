// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The protobuf exposition: delimited io.prometheus.client.MetricFamily
 * messages (prom_metrics.proto, encoded by protobuf-c). Native histograms
 * are notifier's fine buckets one for one (schema 4: prom_native_index),
 * their zero bucket the events of 0 ns; the classic histograms and the
 * counters are the text exposition's.
 *
 * protobuf-c packs every byte. What a scrape of 10,000 series must not
 * do is have it pack the same label pairs again and again: a series'
 * labels (class, driver, callback[, pid, comm]) are in each of its metrics,
 * about seven, and each pair is a sub-message protobuf-c sizes, then packs,
 * field by field. A message's encoding is its fields' encodings one after
 * another (which is why concatenated messages merge), so a Metric is
 * written as the Metric of its series' labels, packed once (a class's and
 * a callback's once a scrape, a process's while its comm stays the same),
 * then the Metric of its origin label if it has one, packed once, then the
 * Metric of its value (a counter or a histogram), packed for it: in field
 * order, the very bytes of the whole Metric packed at once. Its family
 * carries it as bytes (MetricFamilyPacked). The messages are on the stack,
 * their arrays in the exporter's scratch, kept across scrapes.
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

typedef Io__Prometheus__Client__Metric Metric;
typedef Io__Prometheus__Client__LabelPair Label;
typedef Io__Prometheus__Client__Histogram Hist;
typedef Io__Prometheus__Client__Bucket Bucket;
typedef Io__Prometheus__Client__BucketSpan Span;
typedef Io__Prometheus__Client__Counter Counter;
typedef Io__Prometheus__Client__MetricFamilyPacked FamilyPacked;

/* A packed Metric of one label pair (an origin): two short strings. */
#define PIECE_MAX 64

/* Packed label pairs (as a Metric's field 1) of a series, one after another. */
struct label_block {
	__u32 at, driver, end; /* class's offset, driver's, the end */
};

/* Bytes to copy into a metric. */
struct piece {
	const __u8 *p;
	size_t len;
};

static const struct piece none;

/* A process's label pairs: pid and comm (the comm they were packed for). */
struct proc_labels {
	char comm[NTF_COMM_LEN];
	__u8 len; /* 0: none yet */
	__u8 packed[PIECE_MAX];
};

/* Where label pairs many series share are in p->names, packed for scrape number scrape. */
struct shared {
	__u64 scrape;
	__u32 at, len;
};

struct prom_pb_scratch {
	/* the label pairs of the scrape's series */
	struct prom_buf lab;
	struct label_block *blocks;
	size_t blocks_cap;
	/* those of classes and callbacks, once a scrape (discovery may rename a driver) */
	struct prom_buf names;
	struct shared class_labels[NTF_CLASS_MAX], callback_labels[NTF_CALLBACK_IDS];
	__u64 scrape; /* from 1 */
	/* those of processes, by number (prom_series.pid_no), kept across scrapes */
	struct proc_labels *procs, other;
	size_t nprocs, procs_cap;
	/* the packed metrics of the family being written */
	struct prom_buf met;
	ProtobufCBinaryData *metrics;
	size_t *met_at;
	size_t nmetrics, metrics_cap, met_at_cap;
	/* one histogram's native spans and deltas, or its classic buckets */
	Span *spans;
	Span **sp;
	int64_t *deltas;
	size_t spans_cap, sp_cap, deltas_cap;
	Bucket *buckets;
	Bucket **bp;
	size_t buckets_cap, bp_cap;
	/* origin="..." of every origin, packed */
	__u8 origin[NTF_ORIGIN_MAX][PIECE_MAX];
	__u8 origin_len[NTF_ORIGIN_MAX];
	size_t counter_size; /* a Metric of a counter's, packed */
	int err;
};

void prom_pb_scratch_free(struct prom_pb_scratch *p)
{
	if (!p)
		return;
	prom_buf_free(&p->lab);
	prom_buf_free(&p->names);
	prom_buf_free(&p->met);
	free(p->blocks);
	free(p->procs);
	free(p->metrics);
	free(p->met_at);
	free(p->spans);
	free(p->sp);
	free(p->deltas);
	free(p->buckets);
	free(p->bp);
	free(p);
}

static void label_init(Label *l, const char *name, const char *value)
{
	io__prometheus__client__label_pair__init(l);
	l->name = (char *)name;
	l->value = (char *)value;
}

/* Packs a Metric of label pairs l[0..n) (n <= 2) at dst (PIECE_MAX bytes): its length, or 0. */
static size_t pack_piece(__u8 *dst, Label *l, size_t n)
{
	Label *lp[2] = { &l[0], &l[1] };
	Metric m;

	io__prometheus__client__metric__init(&m);
	m.n_label = n;
	m.label = lp;
	if (io__prometheus__client__metric__get_packed_size(&m) > PIECE_MAX)
		return 0;
	return io__prometheus__client__metric__pack(&m, dst);
}

static size_t pack_one_label(__u8 *dst, const char *name, const char *value)
{
	Label l;

	label_init(&l, name, value);
	return pack_piece(dst, &l, 1);
}

/* A Metric of a counter: the same size whatever the value (a double is 8 bytes on the wire). */
static void counter_init(Metric *value, Counter *c, __u64 v)
{
	io__prometheus__client__counter__init(c);
	c->has_value = true;
	c->value = (double)v;
	io__prometheus__client__metric__init(value);
	value->counter = c;
}

static struct prom_pb_scratch *scratch(struct prom_exporter *x)
{
	struct prom_pb_scratch *p = x->pb;
	Metric value;
	Counter c;

	if (p)
		return p;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	for (unsigned int o = 0; o < NTF_ORIGIN_MAX; o++) {
		p->origin_len[o] = (__u8)pack_one_label(p->origin[o], "origin", ntf_origin_name(o));
		if (!p->origin_len[o]) {
			free(p);
			return NULL;
		}
	}
	counter_init(&value, &c, 0);
	p->counter_size = io__prometheus__client__metric__get_packed_size(&value);
	x->pb = p;
	return p;
}

static int grow(struct prom_pb_scratch *p, void *arr, size_t *cap, size_t n, size_t size)
{
	if (n > *cap && prom_grow(arr, cap, n, size))
		p->err = -ENOMEM;
	return p->err;
}

/* Packs a Metric of label pairs l[0..n) (at most 2) at the end of b. */
static void put_metric_labels(struct prom_buf *b, Label *l, size_t n)
{
	Label *lp[2] = { &l[0], &l[1] };
	Metric m;
	size_t size;
	void *dst;

	io__prometheus__client__metric__init(&m);
	m.n_label = n;
	m.label = lp;
	size = io__prometheus__client__metric__get_packed_size(&m);
	dst = prom_buf_reserve(b, size);
	if (dst)
		io__prometheus__client__metric__pack(&m, dst);
}

/* A class's label pair, or a callback's (driver, callback): packed once a scrape, when needed. */
static void put_shared(struct prom_pb_scratch *p, struct shared *sh, const struct prom_series *s,
		       bool callback)
{
	if (sh->scrape != p->scrape) {
		Label l[2];

		sh->at = (__u32)p->names.len;
		if (callback) {
			label_init(&l[0], "driver", ntf_driver_name(s->callback));
			label_init(&l[1], "callback", prom_callback_label(s->callback));
		} else {
			label_init(&l[0], "class", ntf_class_name(s->class));
		}
		put_metric_labels(&p->names, l, callback ? 2 : 1);
		sh->len = (__u32)(p->names.len - sh->at);
		sh->scrape = p->scrape;
		if (p->names.err)
			return;
	}
	prom_buf_put(&p->lab, p->names.p + sh->at, sh->len);
}

/* A process's label pairs (pid, comm), packed when first needed and again if its comm changes. */
static const struct proc_labels *proc_labels(struct prom_pb_scratch *p, const struct prom_series *s)
{
	struct proc_labels *pl = &p->other;

	if (s->pid != PROM_PID_OTHER) {
		if (s->pid_no >= p->nprocs) {
			if (grow(p, &p->procs, &p->procs_cap, (size_t)s->pid_no + 1,
				 sizeof(*p->procs)))
				return NULL;
			memset(&p->procs[p->nprocs], 0,
			       (s->pid_no + 1 - p->nprocs) * sizeof(*p->procs));
			p->nprocs = (size_t)s->pid_no + 1;
		}
		pl = &p->procs[s->pid_no];
	}
	if (!pl->len || strcmp(pl->comm, s->comm)) {
		Label l[2];

		label_init(&l[0], "pid", s->pid_label);
		label_init(&l[1], "comm", s->comm);
		pl->len = (__u8)pack_piece(pl->packed, l, 2);
		if (!pl->len) {
			p->err = -EINVAL;
			return NULL;
		}
		memcpy(pl->comm, s->comm, sizeof(pl->comm));
	}
	return pl;
}

/* A series' label pairs at the end of p->lab: class, then driver, callback[, pid, comm]. */
static struct label_block put_block(struct prom_pb_scratch *p, const struct prom_series *s)
{
	struct label_block k = { .at = (__u32)p->lab.len };

	put_shared(p, &p->class_labels[s->class], s, false);
	k.driver = (__u32)p->lab.len;
	put_shared(p, &p->callback_labels[s->callback], s, true);
	if (s->pid != PROM_PID_NONE) {
		const struct proc_labels *pl = proc_labels(p, s);

		if (pl)
			prom_buf_put(&p->lab, pl->packed, pl->len);
	}
	k.end = (__u32)p->lab.len;
	return k;
}

/* Every series' label pairs: ss's, then the classic ones' when they are others. */
static int put_blocks(struct prom_pb_scratch *p, const struct prom_model *m,
		      const struct prom_series *ss, size_t n, size_t *first_classic)
{
	size_t nc = ss == m->classic ? 0 : m->nclassic;

	p->lab.len = p->names.len = 0;
	p->scrape++;
	if (grow(p, &p->blocks, &p->blocks_cap, n + nc, sizeof(*p->blocks)))
		return p->err;
	for (size_t i = 0; i < n; i++)
		p->blocks[i] = put_block(p, &ss[i]);
	for (size_t i = 0; i < nc; i++)
		p->blocks[n + i] = put_block(p, &m->classic[i]);
	*first_classic = nc ? n : 0;
	return p->lab.err ? p->lab.err : p->names.err;
}

/* Series i's label pairs: with the class, or from the driver on. */
static struct piece labels(const struct prom_pb_scratch *p, size_t i, bool with_class)
{
	const struct label_block *k = &p->blocks[i];
	__u32 at = with_class ? k->at : k->driver;

	return (struct piece){ (const __u8 *)p->lab.p + at, k->end - at };
}

/*
 * Adds a metric to the family being written: labels, extra (a label),
 * then value, a Metric of its counter or histogram, of packed size size.
 */
static void add_metric(struct prom_pb_scratch *p, struct piece labels, struct piece extra,
		       const Metric *value, size_t size)
{
	size_t len = labels.len + extra.len + size;
	__u8 *dst;

	if (grow(p, &p->metrics, &p->metrics_cap, p->nmetrics + 1, sizeof(*p->metrics)) ||
	    grow(p, &p->met_at, &p->met_at_cap, p->nmetrics + 1, sizeof(*p->met_at)))
		return;
	dst = prom_buf_reserve(&p->met, len);
	if (!dst)
		return;
	memcpy(dst, labels.p, labels.len);
	memcpy(dst + labels.len, extra.p, extra.len);
	if (io__prometheus__client__metric__pack(value, dst + labels.len + extra.len) != size) {
		p->err = -EIO;
		return;
	}
	p->metrics[p->nmetrics].len = len;
	p->met_at[p->nmetrics++] = p->met.len - len;
}

/* Adds a metric of a histogram. */
static void add_histogram(struct prom_pb_scratch *p, struct piece labels, Hist *h)
{
	Metric value;

	io__prometheus__client__metric__init(&value);
	value.histogram = h;
	add_metric(p, labels, none, &value,
		   io__prometheus__client__metric__get_packed_size(&value));
}

/* Writes the family of the metrics added since the last, delimited: its length, then it. */
static void put_family(struct prom_buf *out, struct prom_pb_scratch *p, const char *name,
		       const char *help, Io__Prometheus__Client__MetricType type)
{
	FamilyPacked fam;
	size_t size, v;
	__u8 varint[10];
	size_t n = 0;
	void *dst;

	if (p->err || p->met.err)
		goto done;
	/* the buffer has stopped moving: the metrics are where they are */
	for (size_t i = 0; i < p->nmetrics; i++)
		p->metrics[i].data = (uint8_t *)p->met.p + p->met_at[i];
	io__prometheus__client__metric_family_packed__init(&fam);
	fam.name = (char *)name;
	fam.help = (char *)help;
	fam.has_type = true;
	fam.type = type;
	fam.n_metric = p->nmetrics;
	fam.metric = p->metrics;
	size = v = io__prometheus__client__metric_family_packed__get_packed_size(&fam);
	do {
		varint[n] = v & 0x7f;
		v >>= 7;
		varint[n] |= v ? 0x80 : 0;
		n++;
	} while (v);
	prom_buf_put(out, varint, n);
	dst = prom_buf_reserve(out, size);
	if (dst)
		io__prometheus__client__metric_family_packed__pack(&fam, dst);
done:
	p->met.len = 0;
	p->nmetrics = 0;
}

static void sample_totals(Hist *h, const struct prom_series *s)
{
	h->has_sample_count = h->has_sample_sum = true;
	h->sample_count = prom_inf_count(s);
	h->sample_sum = (double)s->t.sum_ns * 1e-9;
}

static void classic(struct prom_buf *out, struct prom_pb_scratch *p, const struct prom_model *m,
		    size_t first_classic)
{
	size_t nle = m->hi >= m->lo ? (size_t)(m->hi - m->lo + 1) : 0;

	if (grow(p, &p->buckets, &p->buckets_cap, nle, sizeof(*p->buckets)) ||
	    grow(p, &p->bp, &p->bp_cap, nle, sizeof(*p->bp)))
		return;
	/* the same buckets for every series: only their counts change */
	for (size_t k = 0; k < nle; k++) {
		Bucket *b = &p->buckets[k];

		io__prometheus__client__bucket__init(b);
		b->has_cumulative_count = b->has_upper_bound = true;
		b->upper_bound = ntf_bucket_high((__u32)m->lo + (__u32)k) * 1e-9;
		p->bp[k] = b;
	}
	for (size_t i = 0; i < m->nclassic; i++) {
		const struct prom_series *s = &m->classic[i];
		__u64 cum = s->dense->zero;
		Hist h;

		for (size_t k = 0; k < nle; k++) {
			cum += s->dense->count[m->lo + (int)k];
			p->buckets[k].cumulative_count = cum;
		}
		io__prometheus__client__histogram__init(&h);
		h.n_bucket = nle;
		h.bucket = p->bp;
		sample_totals(&h, s);
		add_histogram(p, labels(p, first_classic + i, true), &h);
	}
	put_family(out, p, PROM_LATENCY, PROM_LATENCY_HELP,
		   IO__PROMETHEUS__CLIENT__METRIC_TYPE__HISTOGRAM);
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

/* At most how many buckets a series has. */
static size_t max_buckets(const struct prom_series *s)
{
	if (s->fine)
		return s->fine->n;
	return 1 + (s->dense->hi >= s->dense->lo ? (size_t)(s->dense->hi - s->dense->lo + 1) : 0);
}

static void native(struct prom_buf *out, struct prom_pb_scratch *p, const struct prom_series *ss,
		   size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct prom_series *s = &ss[i];
		size_t nb = max_buckets(s) + 1;
		struct native_ctx c = {};
		Hist h;

		if (grow(p, &p->spans, &p->spans_cap, nb, sizeof(*p->spans)) ||
		    grow(p, &p->sp, &p->sp_cap, nb, sizeof(*p->sp)) ||
		    grow(p, &p->deltas, &p->deltas_cap, nb, sizeof(*p->deltas)))
			return;
		io__prometheus__client__histogram__init(&h);
		c.h = &h;
		c.spans = p->spans;
		c.sp = p->sp;
		c.deltas = p->deltas;
		h.positive_span = p->sp;
		h.positive_delta = p->deltas;
		prom_series_buckets(s, native_bucket, &c);
		h.has_schema = h.has_zero_threshold = h.has_zero_count = true;
		h.schema = PROM_NATIVE_SCHEMA;
		h.zero_threshold = PROM_ZERO_THRESHOLD;
		sample_totals(&h, s);
		add_histogram(p, labels(p, i, true), &h);
	}
	put_family(out, p, PROM_NATIVE, PROM_NATIVE_HELP,
		   IO__PROMETHEUS__CLIENT__METRIC_TYPE__HISTOGRAM);
}

static void add_counter(struct prom_pb_scratch *p, struct piece labels, struct piece extra, __u64 v)
{
	Metric value;
	Counter c;

	counter_init(&value, &c, v);
	add_metric(p, labels, extra, &value, p->counter_size);
}

static void counters(struct prom_buf *out, struct prom_pb_scratch *p, const struct prom_series *ss,
		     size_t n)
{
	for (const struct prom_counter_def *d = prom_counter_defs; d->name; d++) {
		for (size_t i = 0; i < n; i++) {
			const struct prom_series *s = &ss[i];

			if (!prom_counter_applies(d, s))
				continue;
			if (d->what != PROM_C_EVENTS) {
				add_counter(p, labels(p, i, d->with_class), none,
					    prom_counter_value(d, s));
				continue;
			}
			for (unsigned int o = 0; o < NTF_ORIGIN_MAX; o++)
				if (s->t.origins[o])
					add_counter(
						p, labels(p, i, true),
						(struct piece){ p->origin[o], p->origin_len[o] },
						s->t.origins[o]);
		}
		put_family(out, p, d->name, d->help, IO__PROMETHEUS__CLIENT__METRIC_TYPE__COUNTER);
	}
}

/* A family of one counter with one label or none. */
static void single(struct prom_buf *out, struct prom_pb_scratch *p, const char *name,
		   const char *help, const char *label, const char *const *values, const __u64 *v,
		   size_t n)
{
	for (size_t i = 0; i < n; i++) {
		__u8 packed[PIECE_MAX];
		struct piece l = none;

		if (label) {
			l.p = packed;
			l.len = pack_one_label(packed, label, values[i]);
			if (!l.len) {
				p->err = -EINVAL;
				return;
			}
		}
		add_counter(p, l, none, v[i]);
	}
	put_family(out, p, name, help, IO__PROMETHEUS__CLIENT__METRIC_TYPE__COUNTER);
}

int prom_render_protobuf(struct prom_exporter *x, const struct ntf_agg *agg,
			 const struct prom_counters *c, struct prom_buf *out)
{
	static const char *const reasons[] = { "ring_buffer", "hist_map", "inflight" };
	const __u64 drops[] = { c->ringbuf_drops, c->hist_drops, c->inflight_drops };
	const __u64 bad = c->bad_records, folded = ntf_agg_folded(agg);
	struct prom_pb_scratch *p = scratch(x);
	const struct prom_series *ss;
	size_t n, first_classic;
	int err;

	if (!p)
		return -ENOMEM;
	/* a failed scrape's state is not the next one's */
	p->err = p->lab.err = p->names.err = p->met.err = 0;
	p->met.len = 0;
	p->nmetrics = 0;
	err = prom_model_build(x, agg);
	if (err)
		return err;
	ss = prom_model_series(&x->m, &n);
	err = put_blocks(p, &x->m, ss, n, &first_classic);
	if (err)
		return err;
	classic(out, p, &x->m, first_classic);
	native(out, p, ss, n);
	counters(out, p, ss, n);
	single(out, p, PROM_DROPPED, PROM_DROPPED_HELP, "reason", reasons, drops, 3);
	single(out, p, PROM_BAD_RECORDS, PROM_BAD_RECORDS_HELP, NULL, NULL, &bad, 1);
	single(out, p, PROM_FOLDED, PROM_FOLDED_HELP, NULL, NULL, &folded, 1);
	if (p->err || p->met.err)
		return p->err ? p->err : p->met.err;
	return out->err;
}
