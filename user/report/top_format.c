// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "names.h"
#include "top_format.h"
#include "callbacks.h"

void top_layout(enum top_view view, unsigned int width, struct top_layout *l)
{
	const enum top_col *cols;
	unsigned int n = top_view_cols(view, &cols);

	l->n = 0;
	l->total = 0;
	for (unsigned int i = 0; i < n; i++) {
		l->cols[l->n] = cols[i];
		l->width[l->n] = top_cols[cols[i]].width;
		l->total += l->width[l->n] + (l->n ? 1 : 0);
		l->n++;
	}
	/* metrics are in order of importance: drop from the right */
	while (l->total > width && l->n > 1 && top_cols[l->cols[l->n - 1]].kind != TOP_KIND_NAME) {
		l->n--;
		l->total -= l->width[l->n] + 1;
	}
	for (unsigned int i = 0; i < l->n; i++) {
		unsigned int grow;

		if (l->cols[i] != TOP_COL_COMM || l->total >= width)
			continue;
		grow = width - l->total;
		if (l->width[i] + grow > TOP_COMM_MAX)
			grow = TOP_COMM_MAX - l->width[i];
		l->width[i] += grow;
		l->total += grow;
	}
}

const char *top_col_header(enum top_view view, enum top_col col)
{
	if (col != TOP_COL_RATE)
		return top_cols[col].header;
	switch (view) {
	case TOP_VIEW_FENCE: return "WAIT/S";
	case TOP_VIEW_PIN: return "PIN/S";
	case TOP_VIEW_UNMAP: return "UNMP/S";
	default: return top_cols[col].header;
	}
}

void top_format_ns(char *buf, size_t len, double ns)
{
	/* thresholds at the rounding points, so "10.0us" never takes 6 characters */
	if (ns < 999.5)
		snprintf(buf, len, "%.0fns", ns);
	else if (ns < 9950)
		snprintf(buf, len, "%.1fus", ns / 1e3);
	else if (ns < 999500)
		snprintf(buf, len, "%.0fus", ns / 1e3);
	else if (ns < 9950000)
		snprintf(buf, len, "%.1fms", ns / 1e6);
	else if (ns < 999500000)
		snprintf(buf, len, "%.0fms", ns / 1e6);
	else if (ns < 9.95e9)
		snprintf(buf, len, "%.1fs", ns / 1e9);
	else
		snprintf(buf, len, "%.0fs", ns / 1e9);
}

void top_format_num(char *buf, size_t len, double v, unsigned int width, bool frac)
{
	static const char suffix[] = "kMGT";
	double s = v;

	/* small rates keep a decimal: 0.5/s is not 0/s */
	if (frac && v != 0 && fabs(v) < 9.95)
		snprintf(buf, len, "%.1f", v);
	else
		snprintf(buf, len, "%.0f", v);
	if (strlen(buf) <= width)
		return;
	for (int i = 0; suffix[i]; i++) {
		s /= 1000;
		if (fabs(s) < 9.95)
			snprintf(buf, len, "%.1f%c", s, suffix[i]);
		else
			snprintf(buf, len, "%.0f%c", s, suffix[i]);
		if (strlen(buf) <= width)
			return;
	}
}

static void format_pct(char *buf, size_t len, double v)
{
	if (v >= 99.95)
		snprintf(buf, len, "100");
	else
		snprintf(buf, len, "%.1f", v);
}

void top_format_cell(char *buf, size_t len, const struct top_row *r, enum top_col col,
		     unsigned int width)
{
	double v = r->v[col];

	switch (col) {
	case TOP_COL_DRIVER:
		/* 0 is the notifier chain as a whole: events no callback owns */
		if (!r->callback)
			snprintf(buf, len, "all");
		else
			snprintf(buf, len, "%.*s", (int)width, ntf_driver_name(r->callback));
		break;
	case TOP_COL_PID:
		if (r->tgid == NTF_AGG_OTHER_TGID)
			snprintf(buf, len, "-");
		else
			snprintf(buf, len, "%u", r->tgid);
		break;
	case TOP_COL_COMM:
		snprintf(buf, len, "%.*s", (int)width, r->comm[0] ? r->comm : "-");
		break;
	case TOP_COL_CLASS: snprintf(buf, len, "%.*s", (int)width, ntf_class_name(r->class)); break;
	default:
		if (isnan(v))
			snprintf(buf, len, "-");
		else if (top_cols[col].kind == TOP_KIND_NS)
			top_format_ns(buf, len, v);
		else if (top_cols[col].kind == TOP_KIND_PCT)
			format_pct(buf, len, v);
		else
			top_format_num(buf, len, v, width, top_cols[col].kind == TOP_KIND_RATE);
	}
}

void top_format_line(char *buf, size_t len, const struct top_layout *l, enum top_view view,
		     const struct top_row *r)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < l->n && used < len; i++) {
		enum top_col c = l->cols[i];
		char cell[64];

		if (r)
			top_format_cell(cell, sizeof(cell), r, c, l->width[i]);
		else
			snprintf(cell, sizeof(cell), "%s", top_col_header(view, c));
		used += snprintf(buf + used, len - used, "%s%*s", i ? " " : "",
				 top_cols[c].left ? -(int)l->width[i] : (int)l->width[i], cell);
	}
	/* no trailing blanks: a left-aligned last column pads nothing useful */
	while (used > 0 && used < len && buf[used - 1] == ' ')
		buf[--used] = '\0';
}
