/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the parts of a picture share (plot_*.c): the run prepared for
 * drawing, the page's measures and colours. Not for use outside them.
 */
#ifndef NTF_PLOT_INT_H
#define NTF_PLOT_INT_H

#include <stdio.h>
#include <linux/types.h>
#include "hist_input.h"
#include "plot_scale.h"
#include "plot_svg.h"

#define PLOT_WIDTH 960.0
#define PLOT_MARGIN 16.0
#define PLOT_FONT "font-family=\"sans-serif\""
#define PLOT_INK "#222222"
#define PLOT_MUTED "#666666"
#define PLOT_GRID "#e4e4e4"
#define PLOT_FRAME "#bbbbbb"
#define PLOT_BAR "#5b84b1"
/* percentile markers: a red no viridis cell and no bar has */
#define PLOT_MARKER "#d62f2f"

/* The run prepared for drawing. */
struct plot {
	const struct ntf_hist_run *run;
	const struct ntf_plot_opts *opts;
	struct ntf_hist_report total; /* every report merged: what the distributions show */
	/* total's groups with latencies to draw, the largest count first */
	const struct ntf_hist_group **drawn;
	size_t ndrawn;
	size_t npanels; /* of drawn, those with a panel */
	size_t nflat; /* groups with events but none above 0 ns (unpin) */
	double lo_ns, hi_ns; /* what every latency axis spans */
	/* each report's span in seconds from the run's start (time_unit "s"), or its index */
	double *t0, *t1;
	const char *time_unit; /* "s", or "interval" when the file has no times */
	double t_wall0; /* wall-clock seconds at the start; 0 when unknown */
};

int plot_prepare(struct plot *p, const struct ntf_hist_run *run, const struct ntf_plot_opts *opts);
void plot_release(struct plot *p);

/* One bar: events between lo_ns and hi_ns (fine buckets, else log2 slots). */
struct plot_bar {
	double lo_ns, hi_ns;
	__u64 count;
};
/* g's bars into *bars (malloc'd, sorted); their number, or -ENOMEM. zero: events at 0 ns. */
int plot_bars(const struct ntf_hist_group *g, struct plot_bar **bars, __u64 *zero);

/* The percentiles drawn and tabled: p50, p90, p99, p99.9, then max. */
#define PLOT_MARKS 5
extern const char *const plot_mark_names[PLOT_MARKS];
void plot_marks(const struct ntf_hist_group *g, double ns[PLOT_MARKS]);

/* Each part draws at y and says the height it used; 0 or -ENOMEM. */
int plot_heat_section(FILE *out, const struct plot *p, double y, double *height);
int plot_dist_section(FILE *out, const struct plot *p, double y, double *height);
/* The picture's title. */
void plot_title(const struct plot *p, char *buf, size_t size);
/* The picture itself; with_prolog: an XML declaration first (a file of its own). */
int plot_svg_document(FILE *out, const struct plot *p, bool with_prolog);

#endif
