/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * notifier-top's cells: short numbers that keep their width ("12.3k",
 * "850us"), and which of a view's columns fit a screen width. Shared by the
 * full-screen view and batch mode so both print the same thing.
 */
#ifndef NTF_TOP_FORMAT_H
#define NTF_TOP_FORMAT_H

#include <stddef.h>
#include "top_model.h"

#define TOP_COMM_MAX (NTF_COMM_LEN - 1)

struct top_layout {
	unsigned int n;
	enum top_col cols[TOP_COL_COUNT];
	unsigned int width[TOP_COL_COUNT];
	unsigned int total; /* characters, one space between columns */
};

/*
 * Lays a view's columns out in width characters: COMM grows up to 15 when
 * there is room; past the right edge, metric columns go from the right.
 * The key columns always stay.
 */
void top_layout(enum top_view view, unsigned int width, struct top_layout *l);

/* A column's header in a view ("EV/S", or "WAIT/S" for fence waits, ...). */
const char *top_col_header(enum top_view view, enum top_col col);

/* Five characters at most: "812ns", "9.5us", "850us", "12ms", "1.5s". */
void top_format_ns(char *buf, size_t len, double ns);
/* A number in width characters, with k/M/G/T when it would not fit. */
void top_format_num(char *buf, size_t len, double v, unsigned int width, bool frac);

/* One cell, unpadded, at most width characters; "-" when not applicable. */
void top_format_cell(char *buf, size_t len, const struct top_row *r, enum top_col col,
		     unsigned int width);
/* A whole line: the header when r is NULL. */
void top_format_line(char *buf, size_t len, const struct top_layout *l, enum top_view view,
		     const struct top_row *r);

#endif
