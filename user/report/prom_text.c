// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The text exposition (format 0.0.4): counters and classic histograms.
 * Written by hand into one buffer, numbers without printf where they are
 * integers, since a scrape of many series is mostly this loop. A series'
 * labels are escaped once a scrape into a block every line of it copies
 * whole (from the driver on where a family has no class), and the classic
 * buckets' le labels once for all the histograms.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "buckets.h"
#include "callbacks.h"
#include "names.h"
#include "prom_model.h"
#include "prom_families.h"

struct label_block {
	__u32 at, driver, end; /* class="..."'s offset, driver="..."'s, the end */
};

struct prom_text_scratch {
	/* the label blocks of a scrape's series, one after another */
	struct prom_buf labels;
	struct label_block *blocks;
	size_t blocks_cap;
	/* the classic buckets' ,le="..." labels, each at le_at[k - lo] */
	struct prom_buf les;
	__u32 *le_at;
	size_t le_cap;
	/* ,origin="..." of every origin */
	char origin[NTF_ORIGIN_MAX][40];
	__u8 origin_len[NTF_ORIGIN_MAX];
};

void prom_text_scratch_free(struct prom_text_scratch *t)
{
	if (!t)
		return;
	prom_buf_free(&t->labels);
	prom_buf_free(&t->les);
	free(t->blocks);
	free(t->le_at);
	free(t);
}

static struct prom_text_scratch *scratch(struct prom_exporter *x)
{
	struct prom_text_scratch *t = x->text;

	if (t)
		return t;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	for (unsigned int o = 0; o < NTF_ORIGIN_MAX; o++)
		t->origin_len[o] = (__u8)snprintf(t->origin[o], sizeof(t->origin[o]),
						  ",origin=\"%s\"", ntf_origin_name(o));
	x->text = t;
	return t;
}

static void put_str(struct prom_buf *b, const char *s)
{
	prom_buf_put(b, s, strlen(s));
}

static void put_double(struct prom_buf *b, double v)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%.17g", v);

	prom_buf_put(b, tmp, (size_t)n);
}

/*
 * name="value" at p, the value escaped as the text format wants (\\, \", \n):
 * where it ends. p has room for name, 3 more and twice value's length.
 */
static char *put_label(char *p, const char *name, size_t name_len, const char *value)
{
	size_t plain = strcspn(value, "\\\"\n");

	memcpy(p, name, name_len);
	p += name_len;
	*p++ = '=';
	*p++ = '"';
	memcpy(p, value, plain);
	p += plain;
	for (const char *v = value + plain; *v; v++) {
		if (*v == '\\' || *v == '"' || *v == '\n') {
			*p++ = '\\';
			*p++ = *v == '\n' ? 'n' : *v;
		} else {
			*p++ = *v;
		}
	}
	*p++ = '"';
	return p;
}

#define LABEL(p, name, value) put_label(p, name, sizeof(name) - 1, value)

/* class="...",driver="...",callback="..."[,pid="...",comm="..."] of s, at the end of b. */
static struct label_block put_block(struct prom_buf *b, const struct prom_series *s)
{
	const char *class = ntf_class_name(s->class), *driver = ntf_driver_name(s->callback);
	const char *callback = prom_callback_label(s->callback);
	size_t max = 64 + 2 * (strlen(class) + strlen(driver) + strlen(callback) +
			       strlen(s->pid_label) + strlen(s->comm));
	struct label_block k = { .at = (__u32)b->len };
	char *start = prom_buf_reserve(b, max), *p = start;

	if (!p)
		return k;
	p = LABEL(p, "class", class);
	*p++ = ',';
	k.driver = k.at + (__u32)(p - start);
	p = LABEL(p, "driver", driver);
	*p++ = ',';
	p = LABEL(p, "callback", callback);
	if (s->pid != PROM_PID_NONE) {
		*p++ = ',';
		p = LABEL(p, "pid", s->pid_label);
		*p++ = ',';
		p = LABEL(p, "comm", s->comm);
	}
	b->len = (size_t)(p - b->p);
	k.end = (__u32)b->len;
	return k;
}

/* A series' labels: with the class, or from the driver on. */
struct labels {
	const char *p;
	size_t len;
};

static struct labels block(const struct prom_text_scratch *t, size_t i, bool with_class)
{
	const struct label_block *k = &t->blocks[i];
	__u32 at = with_class ? k->at : k->driver;

	return (struct labels){ t->labels.p + at, k->end - at };
}

/* name{labels extra} v, a line written in one piece */
static void put_line(struct prom_buf *b, const char *name, size_t name_len, struct labels l,
		     const char *extra, size_t extra_len, __u64 v)
{
	char *p = prom_buf_reserve(b, name_len + l.len + extra_len + 24);

	if (!p)
		return;
	memcpy(p, name, name_len);
	p += name_len;
	*p++ = '{';
	memcpy(p, l.p, l.len);
	p += l.len;
	memcpy(p, extra, extra_len);
	p += extra_len;
	*p++ = '}';
	*p++ = ' ';
	p += prom_fmt_u64(p, v);
	*p++ = '\n';
	b->len = (size_t)(p - b->p);
}

static void put_header(struct prom_buf *b, const char *name, const char *help, const char *type)
{
	put_str(b, "# HELP ");
	put_str(b, name);
	prom_buf_put(b, " ", 1);
	put_str(b, help);
	put_str(b, "\n# TYPE ");
	put_str(b, name);
	prom_buf_put(b, " ", 1);
	put_str(b, type);
	prom_buf_put(b, "\n", 1);
}

static void counters(struct prom_buf *b, const struct prom_text_scratch *t,
		     const struct prom_series *ss, size_t n)
{
	for (const struct prom_counter_def *d = prom_counter_defs; d->name; d++) {
		size_t name_len = strlen(d->name);

		put_header(b, d->name, d->help, "counter");
		for (size_t i = 0; i < n; i++) {
			const struct prom_series *s = &ss[i];

			if (!prom_counter_applies(d, s))
				continue;
			if (d->what == PROM_C_EVENTS) {
				for (unsigned int o = 0; o < NTF_ORIGIN_MAX; o++)
					if (s->t.origins[o])
						put_line(b, d->name, name_len, block(t, i, true),
							 t->origin[o], t->origin_len[o],
							 s->t.origins[o]);
				continue;
			}
			put_line(b, d->name, name_len, block(t, i, d->with_class), "", 0,
				 prom_counter_value(d, s));
		}
	}
}

/* The ,le="..." labels of the classic buckets lo..hi, then +Inf's. */
static int put_les(struct prom_text_scratch *t, const struct prom_model *m)
{
	int nle = m->hi >= m->lo ? m->hi - m->lo + 1 : 0;
	char tmp[48];

	t->les.len = 0;
	if (prom_grow(&t->le_at, &t->le_cap, (size_t)nle + 2, sizeof(*t->le_at)))
		return -ENOMEM;
	for (int k = 0; k < nle; k++) {
		t->le_at[k] = (__u32)t->les.len;
		prom_buf_put(&t->les, tmp,
			     (size_t)snprintf(tmp, sizeof(tmp), ",le=\"%.17g\"",
					      ntf_bucket_high((__u32)(m->lo + k)) * 1e-9));
	}
	t->le_at[nle] = (__u32)t->les.len;
	put_str(&t->les, ",le=\"+Inf\"");
	t->le_at[nle + 1] = (__u32)t->les.len;
	return t->les.err;
}

#define BUCKET PROM_LATENCY "_bucket"
#define STRLEN(s) (sizeof(s) - 1)

static void classic(struct prom_buf *b, const struct prom_text_scratch *t,
		    const struct prom_model *m, size_t first_block)
{
	int nle = m->hi >= m->lo ? m->hi - m->lo + 1 : 0;

	put_header(b, PROM_LATENCY, PROM_LATENCY_HELP, "histogram");
	for (size_t i = 0; i < m->nclassic; i++) {
		const struct prom_series *s = &m->classic[i];
		struct labels l = block(t, first_block + i, true);
		__u64 cum = s->dense->zero;

		for (int k = 0; k <= nle; k++) {
			if (k < nle)
				cum += s->dense->count[m->lo + k];
			else
				cum = prom_inf_count(s);
			put_line(b, BUCKET, STRLEN(BUCKET), l, t->les.p + t->le_at[k],
				 t->le_at[k + 1] - t->le_at[k], cum);
		}
		put_str(b, PROM_LATENCY "_sum{");
		prom_buf_put(b, l.p, l.len);
		put_str(b, "} ");
		put_double(b, (double)s->t.sum_ns * 1e-9);
		put_str(b, "\n");
		put_line(b, PROM_LATENCY "_count", STRLEN(PROM_LATENCY "_count"), l, "", 0,
			 prom_inf_count(s));
	}
}

static void globals(struct prom_buf *b, const struct prom_counters *c, const struct ntf_agg *agg)
{
	static const char *const reasons[] = { "ring_buffer", "hist_map", "inflight" };
	const __u64 drops[] = { c->ringbuf_drops, c->hist_drops, c->inflight_drops };
	char tmp[24];

	put_header(b, PROM_DROPPED, PROM_DROPPED_HELP, "counter");
	for (int i = 0; i < 3; i++) {
		put_str(b, PROM_DROPPED "{reason=\"");
		put_str(b, reasons[i]);
		put_str(b, "\"} ");
		prom_buf_put(b, tmp, prom_fmt_u64(tmp, drops[i]));
		put_str(b, "\n");
	}
	put_header(b, PROM_BAD_RECORDS, PROM_BAD_RECORDS_HELP, "counter");
	put_str(b, PROM_BAD_RECORDS " ");
	prom_buf_put(b, tmp, prom_fmt_u64(tmp, c->bad_records));
	put_str(b, "\n");
	put_header(b, PROM_FOLDED, PROM_FOLDED_HELP, "counter");
	put_str(b, PROM_FOLDED " ");
	prom_buf_put(b, tmp, prom_fmt_u64(tmp, ntf_agg_folded(agg)));
	put_str(b, "\n");
}

/* The label blocks of the series, then of the classic ones (when they are others). */
static int put_blocks(struct prom_text_scratch *t, const struct prom_model *m,
		      const struct prom_series *ss, size_t n, size_t *first_classic)
{
	size_t nc = ss == m->classic ? 0 : m->nclassic;

	t->labels.len = 0;
	if (prom_grow(&t->blocks, &t->blocks_cap, n + nc, sizeof(*t->blocks)))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		t->blocks[i] = put_block(&t->labels, &ss[i]);
	for (size_t i = 0; i < nc; i++)
		t->blocks[n + i] = put_block(&t->labels, &m->classic[i]);
	*first_classic = nc ? n : 0;
	return t->labels.err;
}

int prom_render_text(struct prom_exporter *x, const struct ntf_agg *agg,
		     const struct prom_counters *c, struct prom_buf *out)
{
	struct prom_text_scratch *t = scratch(x);
	const struct prom_series *ss;
	size_t n, first_classic;
	int err;

	if (!t)
		return -ENOMEM;
	t->labels.err = t->les.err = 0; /* a failed scrape's state is not the next one's */
	err = prom_model_build(x, agg);
	if (err)
		return err;
	ss = prom_model_series(&x->m, &n);
	err = put_blocks(t, &x->m, ss, n, &first_classic);
	if (!err)
		err = put_les(t, &x->m);
	if (err)
		return err;
	classic(out, t, &x->m, first_classic);
	counters(out, t, ss, n);
	globals(out, c, agg);
	return out->err;
}
