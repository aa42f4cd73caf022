// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The latency distributions: one panel per group, the largest first, two
 * a row, on one latency axis so panels compare at a glance; bars are
 * events per bucket, red lines the percentiles and the max, labelled
 * above the bars in as many rows as keep the labels apart.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "plot_int.h"
#include "svg_out.h"

#define GAP 16.0
#define TITLE_H 22.0 /* the panel's title line */
#define ROW_H 12.0 /* one row of marker labels */
#define BARS_H 140.0
#define TICKS_H 22.0 /* tick labels under the bars */
#define AXIS_W 44.0 /* count labels left of the bars */
#define MARK_PX 10.0
#define TICK_PX 10.0

struct mark_label {
	char text[48];
	double x; /* where its marker is */
	double left; /* where its text starts */
	int row;
};

struct panel_geom {
	double x, y, w;
	double bx0, bx1; /* the bars' area */
	double by0, by1; /* its top and bottom */
};

static size_t columns(const struct plot *p)
{
	return p->npanels > 1 ? 2 : 1;
}

static double panel_width(const struct plot *p)
{
	size_t cols = columns(p);

	return (PLOT_WIDTH - 2 * PLOT_MARGIN - (cols - 1) * GAP) / cols;
}

/*
 * The labels of g's markers, those a pixel apart joined ("p99.9, max
 * 2.1ms"), each in the lowest row where it clears the one before by 6 px.
 * Returns the rows used.
 */
static int layout_marks(const struct ntf_hist_group *g, const struct ntf_log_axis *ax, double right,
			struct mark_label *labels, size_t *nlabels)
{
	double ns[PLOT_MARKS], row_end[PLOT_MARKS];
	int rows = 0;
	size_t n = 0;

	plot_marks(g, ns);
	for (int i = 0; i < PLOT_MARKS; i++) {
		double x = ntf_log_axis_px(ax, ns[i]), w;
		struct mark_label *l = &labels[n++];
		char names[32] = "", v[16];
		int j = i;

		/* the percentiles rise with i: those that fall together follow each other */
		while (j + 1 < PLOT_MARKS && ntf_log_axis_px(ax, ns[j + 1]) - x < 1.0)
			j++;
		for (int k = i; k <= j; k++)
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
				 k > i ? ", " : "", plot_mark_names[k]);
		ntf_plot_format_ns(v, sizeof(v), ns[j]);
		snprintf(l->text, sizeof(l->text), "%s %s", names, v);
		w = ntf_svg_text_width(l->text, MARK_PX);
		l->x = x;
		/* from the marker rightwards, or leftwards near the right edge */
		l->left = x + 2 + w <= right ? x + 2 : x - 2 - w;
		l->row = 0;
		while (l->row < rows && row_end[l->row] + 6 > l->left)
			l->row++;
		if (l->row == rows)
			rows++;
		row_end[l->row] = l->left + w;
		i = j;
	}
	*nlabels = n;
	return rows;
}

static void geom(const struct plot *p, size_t k, int rows, double y, struct panel_geom *pg)
{
	size_t cols = columns(p);
	double w = panel_width(p), h = TITLE_H + rows * ROW_H + 4 + BARS_H + TICKS_H;

	pg->x = PLOT_MARGIN + (k % cols) * (w + GAP);
	pg->y = y + (k / cols) * (h + GAP);
	pg->w = w;
	pg->bx0 = pg->x + AXIS_W;
	pg->bx1 = pg->x + w - 8;
	pg->by0 = pg->y + TITLE_H + rows * ROW_H + 4;
	pg->by1 = pg->by0 + BARS_H;
}

/* 12345 as "12,345". */
static void thousands(char *buf, size_t size, __u64 v)
{
	char digits[24];
	size_t n = (size_t)snprintf(digits, sizeof(digits), "%llu", (unsigned long long)v), o = 0;

	for (size_t i = 0; i < n && o + 2 < size; i++) {
		if (i && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
}

static void panel_title(FILE *out, const struct ntf_hist_group *g, __u64 zero,
			const struct panel_geom *pg)
{
	char count[32], mean[16], stats[96], label[sizeof(g->label) + 8];
	double base = pg->y + 14, sw;

	thousands(count, sizeof(count), g->hist.count);
	ntf_plot_format_ns(mean, sizeof(mean), (double)g->hist.sum_ns / g->hist.count);
	snprintf(stats, sizeof(stats), "count %s \xc2\xb7 mean %s", count, mean);
	if (zero)
		snprintf(stats + strlen(stats), sizeof(stats) - strlen(stats),
			 " \xc2\xb7 %llu at 0ns", (unsigned long long)zero);
	sw = ntf_svg_text_width(stats, 11);
	ntf_svg_fit_text(label, sizeof(label), g->label, 12, pg->w - sw - 16);
	ntf_svg_text(out, pg->x + 4, base, 12, NTF_SVG_START,
		     "font-weight=\"bold\" fill=\"" PLOT_INK "\" class=\"panel-title\"", label);
	ntf_svg_text(out, pg->x + pg->w - 4, base, 11, NTF_SVG_END, "fill=\"" PLOT_MUTED "\"",
		     stats);
}

static void count_axis(FILE *out, const struct panel_geom *pg, const struct ntf_count_axis *ca)
{
	for (double v = 0; v <= ca->top + ca->step / 2; v += ca->step) {
		double y = pg->by1 - v / ca->top * BARS_H;
		char buf[16];

		ntf_svg_line(out, pg->bx0, y, pg->bx1, y, "stroke=\"" PLOT_GRID "\"");
		ntf_plot_format_count(buf, sizeof(buf), v);
		ntf_svg_text(out, pg->bx0 - 4, y + 3.5, TICK_PX, NTF_SVG_END,
			     "fill=\"" PLOT_MUTED "\"", buf);
	}
}

/* The latency ticks under an axis from x0 to x1 at y, labels that would touch left out. */
static void latency_ticks(FILE *out, const struct ntf_log_axis *ax, double top, double y)
{
	double ticks[16], last_end = -1e9;
	size_t n = ntf_log_ticks(ax, ticks, 16);

	for (size_t i = 0; i < n; i++) {
		double x = ntf_log_axis_px(ax, ticks[i]), w;
		char buf[16];

		ntf_svg_line(out, x, top, x, y, "stroke=\"" PLOT_GRID "\"");
		ntf_svg_line(out, x, y, x, y + 4, "stroke=\"" PLOT_FRAME "\"");
		ntf_plot_format_ns(buf, sizeof(buf), ticks[i]);
		w = ntf_svg_text_width(buf, TICK_PX);
		if (x - w / 2 < last_end + 4)
			continue;
		ntf_svg_text(out, x, y + 15, TICK_PX, NTF_SVG_MIDDLE,
			     "fill=\"" PLOT_MUTED "\" class=\"tick\"", buf);
		last_end = x + w / 2;
	}
}

static int draw_panel(FILE *out, const struct plot *p, const struct ntf_hist_group *g,
		      const struct panel_geom *pg)
{
	struct mark_label labels[PLOT_MARKS];
	struct ntf_count_axis ca;
	struct ntf_log_axis ax;
	struct plot_bar *bars;
	size_t nlabels;
	__u64 zero, top = 0;
	double ns[PLOT_MARKS];
	int n = plot_bars(g, &bars, &zero);

	if (n < 0)
		return n;
	ntf_log_axis_init(&ax, p->lo_ns, p->hi_ns, pg->bx0, pg->bx1);
	for (int i = 0; i < n; i++)
		if (bars[i].count > top)
			top = bars[i].count;
	ntf_count_axis_init(&ca, (double)top);

	fprintf(out, "<g class=\"panel\" data-label=\"");
	ntf_xml_fputs(out, g->label);
	fprintf(out, "\" data-count=\"%llu\">\n<title>", (unsigned long long)g->hist.count);
	/* the whole label on hover, where the title had to cut it */
	ntf_xml_fputs(out, g->label);
	fputs("</title>\n", out);
	ntf_svg_rect(out, pg->x, pg->y, pg->w, pg->by1 + TICKS_H - pg->y,
		     "fill=\"none\" stroke=\"" PLOT_GRID "\"");
	panel_title(out, g, zero, pg);
	count_axis(out, pg, &ca);
	latency_ticks(out, &ax, pg->by0, pg->by1);

	fprintf(out, "<g class=\"bars\" fill=\"" PLOT_BAR "\">\n");
	for (int i = 0; i < n; i++) {
		double x0 = ntf_log_axis_px(&ax, bars[i].lo_ns);
		double x1 = ntf_log_axis_px(&ax, bars[i].hi_ns);
		double h = (double)bars[i].count / ca.top * BARS_H;

		/* a bucket narrower than a pixel still shows */
		if (x1 - x0 < 0.8)
			x1 = x0 + 0.8;
		if (h < 0.8)
			h = 0.8;
		ntf_svg_rect(out, x0, pg->by1 - h, x1 - x0, h, NULL);
	}
	fprintf(out, "</g>\n");
	ntf_svg_line(out, pg->bx0, pg->by1, pg->bx1, pg->by1, "stroke=\"" PLOT_FRAME "\"");

	plot_marks(g, ns);
	for (int i = 0; i < PLOT_MARKS; i++) {
		double x = ntf_log_axis_px(&ax, ns[i]);

		fprintf(out,
			"<line class=\"marker\" data-mark=\"%s\" data-ns=\"%.0f\" x1=\"%.2f\" "
			"y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"" PLOT_MARKER
			"\" stroke-width=\"1.5\"%s/>\n",
			plot_mark_names[i], ns[i], x, pg->by0, x, pg->by1,
			i == PLOT_MARKS - 1 ? "" : " stroke-dasharray=\"4 2\"");
	}
	layout_marks(g, &ax, pg->x + pg->w - 4, labels, &nlabels);
	for (size_t i = 0; i < nlabels; i++)
		ntf_svg_text(out, labels[i].left, pg->by0 - 4 - labels[i].row * ROW_H, MARK_PX,
			     NTF_SVG_START, "fill=\"" PLOT_MARKER "\" class=\"mark-label\"",
			     labels[i].text);
	fprintf(out, "</g>\n");
	free(bars);
	return 0;
}

/* "2 more groups not drawn, the fewest events: a, b" and the like, fitted to the page. */
static double notes(FILE *out, const struct plot *p, double y)
{
	char line[1024], fitted[1024];
	double used = 0;

	if (p->ndrawn > p->npanels) {
		size_t len = (size_t)snprintf(
			line, sizeof(line),
			"%zu more group%s not drawn (fewer events): ", p->ndrawn - p->npanels,
			p->ndrawn - p->npanels > 1 ? "s" : "");

		for (size_t i = p->npanels; i < p->ndrawn && len < sizeof(line); i++)
			len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%s",
						i > p->npanels ? ", " : "", p->drawn[i]->label);
		ntf_svg_fit_text(fitted, sizeof(fitted), line, 11, PLOT_WIDTH - 2 * PLOT_MARGIN);
		ntf_svg_text(out, PLOT_MARGIN, y + used + 12, 11, NTF_SVG_START,
			     "fill=\"" PLOT_MUTED "\" class=\"left-out\"", fitted);
		used += 18;
	}
	if (p->nflat) {
		size_t len = (size_t)snprintf(line, sizeof(line),
					      "no latency above 0 ns, not drawn: "),
		       k = 0;

		for (size_t i = 0; i < p->total.n && len < sizeof(line); i++) {
			const struct ntf_hist_group *g = &p->total.groups[i];
			bool drawn = false;

			for (size_t j = 0; j < p->ndrawn; j++)
				drawn |= p->drawn[j] == g;
			if (!g->hist.count || drawn)
				continue;
			len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%s",
						k++ ? ", " : "", g->label);
		}
		ntf_svg_fit_text(fitted, sizeof(fitted), line, 11, PLOT_WIDTH - 2 * PLOT_MARGIN);
		ntf_svg_text(out, PLOT_MARGIN, y + used + 12, 11, NTF_SVG_START,
			     "fill=\"" PLOT_MUTED "\"", fitted);
		used += 18;
	}
	return used;
}

int plot_dist_section(FILE *out, const struct plot *p, double y, double *height)
{
	struct panel_geom pg;
	double y0 = y, bottom = y;
	bool log2_only = false;
	char head[128];
	int rows = 1;

	if (p->run->n > 1)
		snprintf(head, sizeof(head), "Latency distribution per group, all %zu reports",
			 p->run->n);
	else
		snprintf(head, sizeof(head), "Latency distribution per group");
	ntf_svg_text(out, PLOT_MARGIN, y + 16, 14, NTF_SVG_START,
		     "font-weight=\"bold\" fill=\"" PLOT_INK "\"", head);
	for (size_t k = 0; k < p->npanels; k++)
		log2_only |= !p->drawn[k]->fine.n;
	ntf_svg_text(out, PLOT_MARGIN, y + 33, 11, NTF_SVG_START, "fill=\"" PLOT_MUTED "\"",
		     log2_only ?
			     "bars: events per bucket (a power of two where the file has only "
			     "log2 slots), latency on a log scale; red lines: p50, p90, p99, "
			     "p99.9 (dashed), max (solid)" :
			     "bars: events per bucket (16 buckets per power of two), latency on "
			     "a log scale; red lines: p50, p90, p99, p99.9 (dashed) and max "
			     "(solid)");
	y += 44;
	if (!p->npanels) {
		ntf_svg_text(out, PLOT_MARGIN, y + 14, 13, NTF_SVG_START,
			     "fill=\"" PLOT_INK "\" class=\"empty\"",
			     "no events with a latency in this run");
		bottom = y + 24;
	}
	/* every panel as tall as the one that needs the most label rows */
	for (size_t k = 0; k < p->npanels; k++) {
		struct mark_label labels[PLOT_MARKS];
		struct ntf_log_axis ax;
		size_t nl;
		int r;

		geom(p, k, 0, y, &pg);
		ntf_log_axis_init(&ax, p->lo_ns, p->hi_ns, pg.bx0, pg.bx1);
		r = layout_marks(p->drawn[k], &ax, pg.x + pg.w - 4, labels, &nl);
		if (r > rows)
			rows = r;
	}
	for (size_t k = 0; k < p->npanels; k++) {
		int err;

		geom(p, k, rows, y, &pg);
		err = draw_panel(out, p, p->drawn[k], &pg);
		if (err)
			return err;
		if (pg.by1 + TICKS_H > bottom)
			bottom = pg.by1 + TICKS_H;
	}
	bottom += 8;
	bottom += notes(out, p, bottom);
	*height = bottom - y0;
	return 0;
}
