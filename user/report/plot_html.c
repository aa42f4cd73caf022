// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The picture in an HTML page, with the numbers it is drawn from in
 * tables below it: per group for the whole run, and per report for the
 * largest groups. One file, nothing fetched.
 */
#include <errno.h>
#include <string.h>
#include "plot_int.h"
#include "svg_out.h"

#define REPORT_GROUPS 4

static const char style[] =
	"body{font-family:sans-serif;margin:16px;color:#222;background:#fff}"
	"table{border-collapse:collapse;font-size:13px;margin:8px 0 24px}"
	"th,td{padding:3px 10px;border-bottom:1px solid #e4e4e4;text-align:right;"
	"white-space:nowrap}"
	"th:first-child,td:first-child{text-align:left}"
	"th{background:#f4f4f4}"
	"h2{font-size:16px;margin:24px 0 4px}";

static void cell_ns(FILE *out, double ns)
{
	char buf[16];

	ntf_plot_format_ns(buf, sizeof(buf), ns);
	fprintf(out, "<td>%s</td>", buf);
}

static void group_row(FILE *out, const struct ntf_hist_group *g)
{
	double ns[PLOT_MARKS];

	plot_marks(g, ns);
	fputs("<tr><td>", out);
	ntf_xml_fputs(out, g->label);
	fprintf(out, "</td><td>%llu</td>", (unsigned long long)g->hist.count);
	/* no latency at all (unpin counts pages): nothing to say in ns */
	for (int i = 0; i < PLOT_MARKS + 2; i++)
		if (!g->hist.max_ns)
			fputs("<td>-</td>", out);
		else
			cell_ns(out, i == 0 ? (double)g->hist.sum_ns / g->hist.count :
				     i == 1 ? (double)g->hist.min_ns :
					      ns[i - 2]);
	fprintf(out, "<td>%llu</td></tr>\n", (unsigned long long)g->hist.failures);
}

static void groups_table(FILE *out, const struct plot *p)
{
	fputs("<h2>Per group</h2>\n<table class=\"groups\">\n<tr><th>group</th><th>count</th>"
	      "<th>mean</th><th>min</th>",
	      out);
	for (int i = 0; i < PLOT_MARKS; i++)
		fprintf(out, "<th>%s</th>", plot_mark_names[i]);
	fputs("<th>failures</th></tr>\n", out);
	for (size_t i = 0; i < p->ndrawn; i++)
		group_row(out, p->drawn[i]);
	/* then what has events but no latency to draw (unpin counts pages) */
	for (size_t i = 0; i < p->total.n; i++) {
		const struct ntf_hist_group *g = &p->total.groups[i];
		bool drawn = false;

		for (size_t j = 0; j < p->ndrawn; j++)
			drawn |= p->drawn[j] == g;
		if (g->hist.count && !drawn)
			group_row(out, g);
	}
	fputs("</table>\n", out);
}

/* A row per report: its time, and count, p50 and p99 of the largest groups. */
static void reports_table(FILE *out, const struct plot *p)
{
	size_t groups = p->ndrawn < REPORT_GROUPS ? p->ndrawn : REPORT_GROUPS;
	bool secs = !strcmp(p->time_unit, "s");

	fputs("<h2>Per report</h2>\n<table class=\"reports\">\n<tr>", out);
	fprintf(out, secs ? "<th colspan=\"2\"></th>" : "<th></th>");
	for (size_t k = 0; k < groups; k++) {
		fputs("<th colspan=\"3\" style=\"text-align:center\">", out);
		ntf_xml_fputs(out, p->drawn[k]->label);
		fputs("</th>", out);
	}
	fputs(secs ? "</tr>\n<tr><th>from s</th><th>to s</th>" : "</tr>\n<tr><th>report</th>", out);
	for (size_t k = 0; k < groups; k++)
		fputs("<th>count</th><th>p50</th><th>p99</th>", out);
	fputs("</tr>\n", out);
	for (size_t i = 0; i < p->run->n; i++) {
		const struct ntf_hist_report *r = &p->run->reports[i];

		if (secs)
			fprintf(out, "<tr><td>%.3f</td><td>%.3f</td>", p->t0[i], p->t1[i]);
		else
			fprintf(out, "<tr><td>%zu</td>", i + 1);
		for (size_t k = 0; k < groups; k++) {
			const struct ntf_hist_group *g =
				ntf_hist_report_find(r, p->drawn[k]->label);
			double ns[PLOT_MARKS];

			if (!g || !g->hist.count) {
				fputs("<td>0</td><td>-</td><td>-</td>", out);
				continue;
			}
			plot_marks(g, ns);
			fprintf(out, "<td>%llu</td>", (unsigned long long)g->hist.count);
			cell_ns(out, ns[0]);
			cell_ns(out, ns[2]);
		}
		fputs("</tr>\n", out);
	}
	fputs("</table>\n", out);
}

int ntf_plot_html(FILE *out, const struct ntf_hist_run *run, const struct ntf_plot_opts *opts)
{
	char title[512];
	struct plot p;
	int err = plot_prepare(&p, run, opts);

	if (err)
		return err;
	plot_title(&p, title, sizeof(title));
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>",
	      out);
	ntf_xml_fputs(out, title);
	fprintf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n<figure style=\"margin:0\">\n",
		style);
	err = plot_svg_document(out, &p, false);
	if (!err) {
		fputs("</figure>\n", out);
		groups_table(out, &p);
		if (run->n > 1)
			reports_table(out, &p);
		fputs("</body>\n</html>\n", out);
	}
	plot_release(&p);
	return err;
}
