// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Heat maps of latency over time, for a run of several reports: a column
 * per report (or per slice of time when there are more reports than
 * pixels to show them), a row per quarter of a power of two of latency
 * (four fine buckets), coloured by count on viridis, white where empty.
 * One for every group summed, then one for each of the largest groups.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "histogram.h"
#include "names.h"
#include "plot_int.h"
#include "svg_out.h"

#define ROWS_PER_POW2 4
#define BIG_H 300.0
#define SMALL_H 190.0
#define LEGEND_W 76.0
#define AXIS_W 50.0
#define GAP 16.0
#define LEGEND_STEPS 48

/* The row of native fine bucket n: (2^(k/4), 2^((k+1)/4)] seconds. */
static int row_of_native(int n)
{
	int d = NTF_BUCKETS_PER_POW2 / ROWS_PER_POW2, m = n - 1;

	return m >= 0 ? m / d : -((-m + d - 1) / d);
}

static double row_low_ns(int k)
{
	return 1e9 * exp2((double)k / ROWS_PER_POW2);
}

struct grid {
	int kmin, nrows;
	size_t ncols;
	double *c0, *c1; /* each column's time span */
	/* [col * nrows + row]; whole unless log2 slots were spread over rows */
	double *count;
	double max;
};

static void grid_add(struct grid *gr, size_t col, int k, double n)
{
	double *c;

	if (k < gr->kmin)
		k = gr->kmin;
	if (k >= gr->kmin + gr->nrows)
		k = gr->kmin + gr->nrows - 1;
	c = &gr->count[col * gr->nrows + (k - gr->kmin)];
	*c += n;
	if (*c > gr->max)
		gr->max = *c;
}

static void grid_add_group(struct grid *gr, size_t col, const struct ntf_hist_group *g)
{
	if (g->fine.n) {
		for (__u32 i = 0; i < g->fine.n; i++)
			if (g->fine.b[i].index != NTF_BUCKET_ZERO)
				grid_add(gr, col,
					 row_of_native(ntf_bucket_native(g->fine.b[i].index)),
					 ntf_bucket_count(&g->fine.b[i]));
		return;
	}
	/*
	 * Log2 slots only: each spread over the rows its octave overlaps, in
	 * proportion (rows are quarters of powers of two of a second, slots
	 * powers of two of a nanosecond: they do not line up).
	 */
	for (unsigned int s = 1; s < NTF_HIST_SLOTS; s++) {
		double lo = log2((double)ntf_hist_slot_low(s) / 1e9) * ROWS_PER_POW2;
		double hi = lo + ROWS_PER_POW2;

		if (!g->hist.slots[s])
			continue;
		for (int k = (int)floor(lo); k < hi; k++) {
			double a = k > lo ? k : lo, b = k + 1 < hi ? k + 1 : hi;

			if (b > a)
				grid_add(gr, col, k, g->hist.slots[s] * (b - a) / ROWS_PER_POW2);
		}
	}
}

/* A class's own histogram, not a breakdown of one (a driver's, a --by group). */
static bool is_class(const struct ntf_hist_group *g)
{
	return g->class != NTF_CLASS_NONE && !strcmp(g->label, ntf_class_name(g->class));
}

/*
 * Whether the whole-run map sums the classes alone: a driver's events are
 * its class's too, and would count twice.
 */
static bool classes_only(const struct plot *p)
{
	for (size_t i = 0; i < p->total.n; i++)
		if (is_class(&p->total.groups[i]))
			return true;
	return false;
}

/* The columns a map of width w has room for: a pixel each at least. */
static size_t max_columns(double w)
{
	return (size_t)(w - AXIS_W - LEGEND_W);
}

/*
 * What every column holds of label's group (NULL: of every class, or
 * group): per reports a column, in order.
 */
static int grid_fill(struct grid *gr, const struct plot *p, const char *label, size_t per)
{
	size_t n = p->run->n;
	bool classes = classes_only(p);

	gr->kmin = (int)floor(log2(p->lo_ns / 1e9) * ROWS_PER_POW2 + 1e-9);
	gr->nrows = (int)ceil(log2(p->hi_ns / 1e9) * ROWS_PER_POW2 - 1e-9) - gr->kmin;
	if (gr->nrows < 1)
		gr->nrows = 1;
	gr->ncols = (n + per - 1) / per;
	gr->c0 = calloc(gr->ncols, sizeof(*gr->c0));
	gr->c1 = calloc(gr->ncols, sizeof(*gr->c1));
	gr->count = calloc(gr->ncols * gr->nrows, sizeof(*gr->count));
	gr->max = 0;
	if (!gr->c0 || !gr->c1 || !gr->count)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct ntf_hist_report *r = &p->run->reports[i];
		size_t col = i / per;

		if (i % per == 0 || p->t0[i] < gr->c0[col])
			gr->c0[col] = p->t0[i];
		if (i % per == 0 || p->t1[i] > gr->c1[col])
			gr->c1[col] = p->t1[i];
		if (label) {
			const struct ntf_hist_group *g = ntf_hist_report_find(r, label);

			if (g)
				grid_add_group(gr, col, g);
			continue;
		}
		for (size_t j = 0; j < r->n; j++)
			if (!classes || is_class(&r->groups[j]))
				grid_add_group(gr, col, &r->groups[j]);
	}
	return 0;
}

static void grid_free(struct grid *gr)
{
	free(gr->c0);
	free(gr->c1);
	free(gr->count);
}

static void fill_of(char *buf, size_t size, double level)
{
	struct ntf_rgb c = ntf_viridis(level);

	snprintf(buf, size, "fill=\"#%02x%02x%02x\"", c.r, c.g, c.b);
}

/* The colour scale: 1 at the bottom, max at the top, log in between. */
static void legend(FILE *out, double x, double y, double h, double max)
{
	double step = h / LEGEND_STEPS;
	char buf[32], fill[32];

	ntf_svg_text(out, x, y - 6, 10, NTF_SVG_START, "fill=\"" PLOT_MUTED "\"", "events");
	fprintf(out, "<g class=\"legend\" shape-rendering=\"crispEdges\">\n");
	for (int i = 0; i < LEGEND_STEPS; i++) {
		fill_of(fill, sizeof(fill), (i + 0.5) / LEGEND_STEPS);
		ntf_svg_rect(out, x, y + h - (i + 1) * step, 12, step + 0.5, fill);
	}
	fprintf(out, "</g>\n");
	ntf_svg_rect(out, x, y, 12, h, "fill=\"none\" stroke=\"" PLOT_FRAME "\"");
	ntf_plot_format_count(buf, sizeof(buf), max);
	ntf_svg_text(out, x + 16, y + 8, 10, NTF_SVG_START,
		     "fill=\"" PLOT_MUTED "\" class=\"legend-max\"", buf);
	if (max >= 10) {
		ntf_plot_format_count(buf, sizeof(buf), round(sqrt(max)));
		ntf_svg_text(out, x + 16, y + h / 2 + 3.5, 10, NTF_SVG_START,
			     "fill=\"" PLOT_MUTED "\"", buf);
	}
	ntf_svg_text(out, x + 16, y + h, 10, NTF_SVG_START,
		     "fill=\"" PLOT_MUTED "\" class=\"legend-min\"", max ? "1" : "0");
}

static void time_axis(FILE *out, const struct plot *p, double x0, double x1, double y, double tmin,
		      double tmax)
{
	/* reports without times: numbered from 1 at the middle of their columns */
	bool secs = !strcmp(p->time_unit, "s");
	double first, shift = secs ? 0 : -0.5, last_end = -1e9;
	struct ntf_count_axis ca;

	ntf_count_axis_init(&ca, tmax - tmin);
	first = secs ? 0 : ca.step == 1 ? 1 : ca.step;
	for (double v = first; v + shift <= tmax - tmin + 1e-9; v += ca.step) {
		double x = x0 + (v + shift) / (tmax - tmin) * (x1 - x0), w;
		char buf[24];

		snprintf(buf, sizeof(buf), "%g", v + tmin);
		w = ntf_svg_text_width(buf, 10);
		ntf_svg_line(out, x, y, x, y + 4, "stroke=\"" PLOT_FRAME "\"");
		if (x - w / 2 < last_end + 4 || x + w / 2 > x1 + 20)
			continue;
		ntf_svg_text(out, x, y + 15, 10, NTF_SVG_MIDDLE,
			     "fill=\"" PLOT_MUTED "\" class=\"tick\"", buf);
		last_end = x + w / 2;
	}
	ntf_svg_text(out, (x0 + x1) / 2, y + 28, 10, NTF_SVG_MIDDLE, "fill=\"" PLOT_MUTED "\"",
		     secs ? "seconds from start" : "report");
}

static void latency_axis(FILE *out, const struct ntf_log_axis *ax, double x0, double x1)
{
	double ticks[16], last = 1e9;
	size_t n = ntf_log_ticks(ax, ticks, 16);

	for (size_t i = 0; i < n; i++) {
		double y = ntf_log_axis_px(ax, ticks[i]);
		char buf[16];

		ntf_svg_line(out, x0 - 4, y, x0, y, "stroke=\"" PLOT_FRAME "\"");
		ntf_svg_line(out, x0, y, x1, y, "stroke=\"#ffffff\" stroke-opacity=\"0.35\"");
		if (last - y < 12)
			continue;
		ntf_plot_format_ns(buf, sizeof(buf), ticks[i]);
		ntf_svg_text(out, x0 - 6, y + 3.5, 10, NTF_SVG_END,
			     "fill=\"" PLOT_MUTED "\" class=\"tick\"", buf);
		last = y;
	}
}

/* One heat map in the box x, y, w, h, titled; label NULL: every group. */
static int heat_map(FILE *out, const struct plot *p, const char *label, const char *title,
		    size_t per, double x, double y, double w, double h)
{
	double ax0 = x + AXIS_W, ax1 = x + w - LEGEND_W, ay0 = y + 22, ay1 = y + h - 34;
	double tmin, tmax;
	struct ntf_log_axis ax;
	struct grid gr = {};
	char fitted[256];
	int err = grid_fill(&gr, p, label, per);

	if (err) {
		grid_free(&gr);
		return err;
	}
	tmin = gr.c0[0];
	tmax = gr.c1[gr.ncols - 1];
	for (size_t c = 0; c < gr.ncols; c++) {
		tmin = gr.c0[c] < tmin ? gr.c0[c] : tmin;
		tmax = gr.c1[c] > tmax ? gr.c1[c] : tmax;
	}
	if (!(tmax > tmin))
		tmax = tmin + 1;
	ntf_log_axis_init(&ax, p->lo_ns, p->hi_ns, ay1, ay0);

	fprintf(out, "<g class=\"heatmap\" data-label=\"");
	ntf_xml_fputs(out, label ? label : "");
	fprintf(out,
		"\" data-x0=\"%.2f\" data-x1=\"%.2f\" data-y0=\"%.2f\" data-y1=\"%.2f\" "
		"data-t0=\"%g\" data-t1=\"%g\" data-lo-ns=\"%g\" data-hi-ns=\"%g\" "
		"data-max=\"%.10g\">\n",
		ax0, ax1, ay0, ay1, tmin, tmax, ax.lo_ns, ax.hi_ns, gr.max);
	ntf_svg_fit_text(fitted, sizeof(fitted), title, 12, ax1 - x);
	ntf_svg_text(out, x, y + 14, 12, NTF_SVG_START,
		     "font-weight=\"bold\" fill=\"" PLOT_INK "\" class=\"heat-title\"", fitted);
	fprintf(out, "<g class=\"cells\" shape-rendering=\"crispEdges\">\n");
	for (size_t c = 0; c < gr.ncols; c++) {
		double cx0 = ax0 + (gr.c0[c] - tmin) / (tmax - tmin) * (ax1 - ax0);
		double cx1 = ax0 + (gr.c1[c] - tmin) / (tmax - tmin) * (ax1 - ax0);

		for (int r = 0; r < gr.nrows; r++) {
			double n = gr.count[c * gr.nrows + r];
			double lo = row_low_ns(gr.kmin + r), hi = row_low_ns(gr.kmin + r + 1);
			double cy0 = ntf_log_axis_px(&ax, hi), cy1 = ntf_log_axis_px(&ax, lo);
			char attrs[160], fill[32];

			if (!n || cy1 - cy0 <= 0)
				continue;
			fill_of(fill, sizeof(fill), ntf_heat_level(n, gr.max));
			snprintf(attrs, sizeof(attrs),
				 "%s data-count=\"%.10g\" data-lo-ns=\"%.0f\" data-hi-ns=\"%.0f\"",
				 fill, n, lo, hi);
			ntf_svg_rect(out, cx0, cy0, cx1 - cx0, cy1 - cy0, attrs);
		}
	}
	fprintf(out, "</g>\n");
	ntf_svg_rect(out, ax0, ay0, ax1 - ax0, ay1 - ay0,
		     "fill=\"none\" stroke=\"" PLOT_FRAME "\"");
	latency_axis(out, &ax, ax0, ax1);
	time_axis(out, p, ax0, ax1, ay1, tmin, tmax);
	legend(out, ax1 + 14, ay0 + 14, (ay1 - ay0 - 14) < 160 ? ay1 - ay0 - 14 : 160, gr.max);
	fprintf(out, "</g>\n");
	grid_free(&gr);
	return 0;
}

int plot_heat_section(FILE *out, const struct plot *p, double y, double *height)
{
	unsigned int want = p->opts->heat_groups ? p->opts->heat_groups : 4;
	size_t groups = p->ndrawn > 1 && want != -1u ? (p->ndrawn < want ? p->ndrawn : want) : 0;
	double w = PLOT_WIDTH - 2 * PLOT_MARGIN, y0 = y, small_w = groups ? (w - GAP) / 2 : w;
	/*
	 * More reports than the narrowest map has pixels for: as many in each
	 * column, the same in every map, so that columns compare.
	 */
	size_t per = (p->run->n + max_columns(small_w) - 1) / max_columns(small_w);
	char sub[256];
	int err;

	*height = 0;
	if (p->run->n < 2)
		return 0;
	ntf_svg_text(out, PLOT_MARGIN, y + 16, 14, NTF_SVG_START,
		     "font-weight=\"bold\" fill=\"" PLOT_INK "\"", "Latency over time");
	if (per > 1)
		snprintf(sub, sizeof(sub), "a column per %zu reports", per);
	else
		snprintf(sub, sizeof(sub), "a column per report");
	snprintf(sub + strlen(sub), sizeof(sub) - strlen(sub),
		 ", a row per quarter power of two of latency; colour: events in the cell, on a "
		 "log scale; white: none");
	ntf_svg_text(out, PLOT_MARGIN, y + 33, 11, NTF_SVG_START, "fill=\"" PLOT_MUTED "\"", sub);
	y += 44;
	err = heat_map(out, p, NULL, classes_only(p) ? "every class" : "every group", per,
		       PLOT_MARGIN, y, w, BIG_H);
	if (err)
		return err;
	y += BIG_H + GAP;
	for (size_t i = 0; i < groups; i++) {
		err = heat_map(out, p, p->drawn[i]->label, p->drawn[i]->label, per,
			       PLOT_MARGIN + (i % 2) * (small_w + GAP),
			       y + (i / 2) * (SMALL_H + GAP), small_w, SMALL_H);
		if (err)
			return err;
	}
	y += (groups + 1) / 2 * (SMALL_H + GAP);
	*height = y - y0;
	return 0;
}
