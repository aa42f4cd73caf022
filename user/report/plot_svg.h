/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Pictures of a run (report/hist_input.h) a person opens in a browser: a
 * self-contained SVG, or an HTML page with the same SVG and a table of
 * the numbers. One latency distribution per group (the largest first),
 * and, when the run has several reports (hist -i), a heat map of latency
 * over time for the whole run and for its largest groups.
 */
#ifndef NTF_PLOT_SVG_H
#define NTF_PLOT_SVG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "hist_input.h"

struct ntf_plot_opts {
	const char *title; /* NULL: "notifier hist: " and the run's name */
	unsigned int max_panels; /* distributions drawn at most; 0: 12 */
	unsigned int heat_groups; /* groups with a heat map of their own; 0: 4, -1u: none */
};

/* Writes the SVG (an XML document) or the HTML page to out; 0, -EINVAL (nothing to draw), -ENOMEM. */
int ntf_plot_svg(FILE *out, const struct ntf_hist_run *run, const struct ntf_plot_opts *opts);
int ntf_plot_html(FILE *out, const struct ntf_hist_run *run, const struct ntf_plot_opts *opts);

/*
 * Writes the SVG (html false) or the HTML page to path whole or not at
 * all: into a temporary file beside it, renamed over path when complete
 * ("-": stdout). 0, or a negative errno with one line in err that names
 * path and the reason.
 */
int ntf_plot_write(const char *path, bool html, const struct ntf_hist_run *run,
		   const struct ntf_plot_opts *opts, char *err, size_t errlen);

#endif
