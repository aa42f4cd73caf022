// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The text exposition (format 0.0.4): counters and classic histograms.
 * Written by hand into one buffer, numbers without printf where they are
 * integers, since a scrape of many series is mostly this loop.
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

static void put_str(struct prom_buf *b, const char *s)
{
	prom_buf_put(b, s, strlen(s));
}

static void put_u64(struct prom_buf *b, __u64 v)
{
	char tmp[24], *p = tmp + sizeof(tmp);

	do {
		*--p = '0' + v % 10;
		v /= 10;
	} while (v);
	prom_buf_put(b, p, tmp + sizeof(tmp) - p);
}

static void put_double(struct prom_buf *b, double v)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%.17g", v);

	prom_buf_put(b, tmp, (size_t)n);
}

/* A label value, escaped as the text format wants (\\, \", \n). */
static void put_value(struct prom_buf *b, const char *v)
{
	for (const char *p = v; *p; p++) {
		const char *esc = *p == '\\' ? "\\\\" :
				  *p == '"'  ? "\\\"" :
				  *p == '\n' ? "\\n" :
					       NULL;

		if (esc)
			put_str(b, esc);
		else
			prom_buf_put(b, p, 1);
	}
}

static void put_label(struct prom_buf *b, bool *first, const char *name, const char *value)
{
	prom_buf_put(b, *first ? "{" : ",", 1);
	*first = false;
	put_str(b, name);
	prom_buf_put(b, "=\"", 2);
	put_value(b, value);
	prom_buf_put(b, "\"", 1);
}

/* name{labels of s[, extra="value"]} */
static void put_series(struct prom_buf *b, const char *name, const struct prom_series *s,
		       bool with_class, const char *extra, const char *extra_value)
{
	bool first = true;

	put_str(b, name);
	if (with_class)
		put_label(b, &first, "class", ntf_class_name(s->class));
	put_label(b, &first, "driver", ntf_driver_name(s->callback));
	put_label(b, &first, "callback", prom_callback_label(s->callback));
	if (s->pid != PROM_PID_NONE) {
		char pid[16], comm[NTF_COMM_LEN];

		if (s->pid == PROM_PID_OTHER)
			snprintf(pid, sizeof(pid), "other");
		else
			snprintf(pid, sizeof(pid), "%u", s->pid);
		prom_clean_label(comm, s->comm ? s->comm : "", sizeof(comm));
		put_label(b, &first, "pid", pid);
		put_label(b, &first, "comm", comm);
	}
	if (extra)
		put_label(b, &first, extra, extra_value);
	prom_buf_put(b, "} ", 2);
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

static void counters(struct prom_buf *b, const struct prom_series *ss, size_t n)
{
	for (const struct prom_counter_def *d = prom_counter_defs; d->name; d++) {
		put_header(b, d->name, d->help, "counter");
		for (size_t i = 0; i < n; i++) {
			const struct prom_series *s = &ss[i];

			if (!prom_counter_applies(d, s))
				continue;
			if (d->what == PROM_C_EVENTS) {
				for (unsigned int o = 0; o < NTF_ORIGIN_MAX; o++) {
					if (!s->t.origins[o])
						continue;
					put_series(b, d->name, s, true, "origin",
						   ntf_origin_name(o));
					put_u64(b, s->t.origins[o]);
					prom_buf_put(b, "\n", 1);
				}
				continue;
			}
			put_series(b, d->name, s, d->with_class, NULL, NULL);
			put_u64(b, prom_counter_value(d, s));
			prom_buf_put(b, "\n", 1);
		}
	}
}

static void classic(struct prom_buf *b, const struct prom_model *m)
{
	char(*le)[32] = NULL;
	int nle = m->hi >= m->lo ? m->hi - m->lo + 1 : 0;

	put_header(b, PROM_LATENCY, PROM_LATENCY_HELP, "histogram");
	if (nle) {
		le = malloc(nle * sizeof(*le));
		if (!le) {
			b->err = -ENOMEM;
			return;
		}
		for (int k = m->lo; k <= m->hi; k++)
			snprintf(le[k - m->lo], sizeof(le[0]), "%.17g", ntf_bucket_high(k) * 1e-9);
	}
	for (size_t i = 0; i < m->nclassic; i++) {
		const struct prom_series *s = &m->classic[i];
		__u64 cum = s->dense->zero;

		for (int k = m->lo; k <= m->hi; k++) {
			cum += s->dense->count[k];
			put_series(b, PROM_LATENCY "_bucket", s, true, "le", le[k - m->lo]);
			put_u64(b, cum);
			prom_buf_put(b, "\n", 1);
		}
		put_series(b, PROM_LATENCY "_bucket", s, true, "le", "+Inf");
		put_u64(b, prom_inf_count(s));
		put_str(b, "\n");
		put_series(b, PROM_LATENCY "_sum", s, true, NULL, NULL);
		put_double(b, (double)s->t.sum_ns * 1e-9);
		put_str(b, "\n");
		put_series(b, PROM_LATENCY "_count", s, true, NULL, NULL);
		put_u64(b, prom_inf_count(s));
		put_str(b, "\n");
	}
	free(le);
}

static void globals(struct prom_buf *b, const struct prom_counters *c, const struct ntf_agg *agg)
{
	static const char *const reasons[] = { "ring_buffer", "hist_map", "inflight" };
	const __u64 drops[] = { c->ringbuf_drops, c->hist_drops, c->inflight_drops };

	put_header(b, PROM_DROPPED, PROM_DROPPED_HELP, "counter");
	for (int i = 0; i < 3; i++) {
		put_str(b, PROM_DROPPED "{reason=\"");
		put_str(b, reasons[i]);
		put_str(b, "\"} ");
		put_u64(b, drops[i]);
		put_str(b, "\n");
	}
	put_header(b, PROM_BAD_RECORDS, PROM_BAD_RECORDS_HELP, "counter");
	put_str(b, PROM_BAD_RECORDS " ");
	put_u64(b, c->bad_records);
	put_str(b, "\n");
	put_header(b, PROM_FOLDED, PROM_FOLDED_HELP, "counter");
	put_str(b, PROM_FOLDED " ");
	put_u64(b, ntf_agg_folded(agg));
	put_str(b, "\n");
}

int prom_render_text(struct prom_exporter *x, const struct ntf_agg *agg,
		     const struct prom_counters *c, struct prom_buf *out)
{
	const struct prom_series *ss;
	struct prom_model m;
	size_t n;
	int err = prom_model_build(x, agg, &m);

	if (err)
		return err;
	ss = prom_model_series(&m, &n);
	classic(out, &m);
	counters(out, ss, n);
	globals(out, c, agg);
	prom_model_free(&m);
	return out->err;
}
