/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The few SVG elements the pictures are made of, written to a FILE with
 * their text escaped, and a width estimate of text so labels can be kept
 * from overlapping without a font at hand.
 */
#ifndef NTF_SVG_OUT_H
#define NTF_SVG_OUT_H

#include <stddef.h>
#include <stdio.h>

/*
 * s with & < > " and ' as entities, and control characters other than tab
 * and newline (which XML 1.0 does not allow) as '?', into buf; cut at a
 * character boundary when buf is too small. Returns the length written.
 */
size_t ntf_xml_escape(char *buf, size_t size, const char *s);
/* The same, written to out. */
void ntf_xml_fputs(FILE *out, const char *s);

/*
 * The width of s at font size px in a generic sans-serif, a little wide
 * (narrow and wide letters told apart, UTF-8 sequences counted once), so
 * that what is laid out by it does not overlap in any common font.
 */
double ntf_svg_text_width(const char *s, double px);
/*
 * s cut with an ellipsis to fit width at px, into buf (unchanged when it
 * fits).
 */
void ntf_svg_fit_text(char *buf, size_t size, const char *s, double px, double width);

enum ntf_svg_anchor { NTF_SVG_START, NTF_SVG_MIDDLE, NTF_SVG_END };

/*
 * <text> at x,y (the baseline) of size px; attrs (may be NULL) is put into
 * the element as is (a class, a fill); the text is escaped.
 */
void ntf_svg_text(FILE *out, double x, double y, double px, enum ntf_svg_anchor anchor,
		  const char *attrs, const char *text);
void ntf_svg_rect(FILE *out, double x, double y, double w, double h, const char *attrs);
void ntf_svg_line(FILE *out, double x1, double y1, double x2, double y2, const char *attrs);

#endif
