// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The run prepared for drawing: groups in order, the shared axis, the time of each report. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "histogram.h"
#include "plot_int.h"
#include "report.h"

const char *const plot_mark_names[PLOT_MARKS] = { "p50", "p90", "p99", "p99.9", "max" };

void plot_marks(const struct ntf_hist_group *g, double ns[PLOT_MARKS])
{
	static const double q[PLOT_MARKS - 1] = { 0.50, 0.90, 0.99, 0.999 };

	for (int i = 0; i < PLOT_MARKS - 1; i++)
		ns[i] = ntf_hist_pct(&g->hist, &g->fine, q[i]);
	ns[PLOT_MARKS - 1] = (double)g->hist.max_ns;
}

int plot_bars(const struct ntf_hist_group *g, struct plot_bar **bars, __u64 *zero)
{
	size_t cap = g->fine.n ? g->fine.n : NTF_HIST_SLOTS, n = 0;
	struct plot_bar *b = calloc(cap ? cap : 1, sizeof(*b));

	*zero = 0;
	if (!b)
		return -ENOMEM;
	if (g->fine.n) {
		for (__u32 i = 0; i < g->fine.n; i++) {
			const struct ntf_bucket *fb = &g->fine.b[i];

			if (fb->index == NTF_BUCKET_ZERO) {
				*zero += ntf_bucket_count(fb);
				continue;
			}
			b[n++] = (struct plot_bar){ ntf_bucket_low(fb->index),
						    ntf_bucket_high(fb->index),
						    ntf_bucket_count(fb) };
		}
	} else {
		/* no fine buckets in the file: the log2 slots, an octave a bar */
		for (unsigned int i = 0; i < NTF_HIST_SLOTS; i++) {
			double hi = (double)ntf_hist_slot_low(i) * 2;

			if (!g->hist.slots[i])
				continue;
			if (!i) { /* 0 and 1 ns: nothing a log axis shows */
				*zero += g->hist.slots[i];
				continue;
			}
			if (i == NTF_HIST_SLOTS - 1 && (double)g->hist.max_ns > hi)
				hi = (double)g->hist.max_ns;
			b[n++] = (struct plot_bar){ (double)ntf_hist_slot_low(i), hi,
						    g->hist.slots[i] };
		}
	}
	*bars = b;
	return (int)n;
}

static int by_count(const void *a, const void *b)
{
	const struct ntf_hist_group *x = *(const struct ntf_hist_group *const *)a;
	const struct ntf_hist_group *y = *(const struct ntf_hist_group *const *)b;

	if (x->hist.count != y->hist.count)
		return x->hist.count > y->hist.count ? -1 : 1;
	return strcmp(x->label, y->label);
}

/*
 * Each report's span: it ends at ts and lasted elapsed_ms. Without times
 * in the file, one after the other by elapsed_ms; without either, by index.
 */
static void report_times(struct plot *p)
{
	const struct ntf_hist_run *run = p->run;
	bool have_ts = true, have_elapsed = true;
	double at = 0;

	for (size_t i = 0; i < run->n; i++) {
		have_ts &= run->reports[i].ts > 0;
		have_elapsed &= run->reports[i].elapsed_ms > 0;
	}
	p->time_unit = have_ts || have_elapsed ? "s" : "interval";
	if (have_ts)
		p->t_wall0 = run->reports[0].ts - run->reports[0].elapsed_ms / 1e3;
	for (size_t i = 0; i < run->n; i++) {
		const struct ntf_hist_report *r = &run->reports[i];

		if (have_ts) {
			p->t1[i] = r->ts - p->t_wall0;
			p->t0[i] = p->t1[i] - r->elapsed_ms / 1e3;
			/* a report without its length starts where the previous ended */
			if (!r->elapsed_ms)
				p->t0[i] = i ? p->t1[i - 1] : p->t1[i];
		} else if (have_elapsed) {
			p->t0[i] = at;
			p->t1[i] = at += r->elapsed_ms / 1e3;
		} else {
			p->t0[i] = (double)i;
			p->t1[i] = (double)i + 1;
		}
	}
}

int plot_prepare(struct plot *p, const struct ntf_hist_run *run, const struct ntf_plot_opts *opts)
{
	static const struct ntf_plot_opts defaults;
	unsigned int max_panels;
	int err;

	memset(p, 0, sizeof(*p));
	if (!run->n)
		return -EINVAL;
	p->run = run;
	p->opts = opts ? opts : &defaults;
	max_panels = p->opts->max_panels ? p->opts->max_panels : 12;
	err = ntf_hist_run_total(run, &p->total);
	if (err)
		return err;
	p->drawn = calloc(p->total.n + 1, sizeof(*p->drawn));
	p->t0 = calloc(run->n, sizeof(*p->t0));
	p->t1 = calloc(run->n, sizeof(*p->t1));
	if (!p->drawn || !p->t0 || !p->t1) {
		plot_release(p);
		return -ENOMEM;
	}
	p->lo_ns = p->hi_ns = 0;
	for (size_t i = 0; i < p->total.n; i++) {
		const struct ntf_hist_group *g = &p->total.groups[i];
		struct plot_bar *bars;
		__u64 zero;
		int n;

		if (!g->hist.count)
			continue;
		n = plot_bars(g, &bars, &zero);
		if (n < 0) {
			plot_release(p);
			return n;
		}
		if (n) {
			p->drawn[p->ndrawn++] = g;
			if (!p->lo_ns || bars[0].lo_ns < p->lo_ns)
				p->lo_ns = bars[0].lo_ns;
			if (bars[n - 1].hi_ns > p->hi_ns)
				p->hi_ns = bars[n - 1].hi_ns;
		} else {
			p->nflat++;
		}
		free(bars);
	}
	if (!p->ndrawn) { /* an empty picture still has axes */
		p->lo_ns = 1e3;
		p->hi_ns = 1e6;
	}
	qsort(p->drawn, p->ndrawn, sizeof(*p->drawn), by_count);
	p->npanels = p->ndrawn < max_panels ? p->ndrawn : max_panels;
	report_times(p);
	return 0;
}

void plot_release(struct plot *p)
{
	ntf_hist_report_free(&p->total);
	free(p->drawn);
	free(p->t0);
	free(p->t1);
	memset(p, 0, sizeof(*p));
}

void plot_title(const struct plot *p, char *buf, size_t size)
{
	if (p->opts->title && p->opts->title[0])
		snprintf(buf, size, "%s", p->opts->title);
	else if (p->run->name[0])
		snprintf(buf, size, "notifier hist: %s", p->run->name);
	else
		snprintf(buf, size, "notifier hist");
}
