// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <string.h>
#include "svg_out.h"

/*
 * The length of the well-formed UTF-8 sequence at p (1 for ASCII), or 0:
 * XML must be valid UTF-8, or a browser shows an error instead of a picture.
 */
static size_t utf8_len(const unsigned char *p)
{
	size_t len = *p < 0x80 ? 1 :
		     *p < 0xc2 ? 0 :
		     *p < 0xe0 ? 2 :
		     *p < 0xf0 ? 3 :
		     *p < 0xf5 ? 4 :
				 0;

	for (size_t i = 1; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

/* What one byte of s becomes, or NULL when it stays as it is. */
static const char *entity(unsigned char c)
{
	switch (c) {
	case '&': return "&amp;";
	case '<': return "&lt;";
	case '>': return "&gt;";
	case '"': return "&quot;";
	case '\'': return "&#39;";
	case '\t':
	case '\n': return NULL;
	default: return c < 0x20 || c == 0x7f ? "?" : NULL;
	}
}

size_t ntf_xml_escape(char *buf, size_t size, const char *s)
{
	size_t n = 0;

	if (!size)
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		size_t seq = utf8_len(p);
		const char *e = seq ? entity(*p) : "?";
		size_t len = e ? strlen(e) : seq;

		/* whole entities and whole characters only */
		if (n + len >= size)
			break;
		memcpy(buf + n, e ? e : (const char *)p, len);
		n += len;
		if (!e)
			p += seq - 1;
	}
	buf[n] = '\0';
	return n;
}

void ntf_xml_fputs(FILE *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		size_t seq = utf8_len(p);
		const char *e = seq ? entity(*p) : "?";

		if (e) {
			fputs(e, out);
			continue;
		}
		fwrite(p, 1, seq, out);
		p += seq - 1;
	}
}

/* Advance widths in em, about those of DejaVu Sans, the widest common sans. */
static double char_em(unsigned char c)
{
	if (c >= 0x80)
		return (c & 0xc0) == 0x80 ? 0 : 1.0; /* a UTF-8 sequence counts once */
	if (strchr("iljI.,:;'|!()[]{}", c))
		return 0.4;
	if (c == ' ')
		return 0.34;
	if (strchr("ftr-/", c))
		return 0.42;
	if (strchr("mwMW%", c))
		return 1.0;
	if (strchr("=<>+~&@#", c))
		return 0.86;
	if (c >= 'A' && c <= 'Z')
		return 0.79;
	return 0.66;
}

double ntf_svg_text_width(const char *s, double px)
{
	double em = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		em += char_em(*p);
	return em * px;
}

void ntf_svg_fit_text(char *buf, size_t size, const char *s, double px, double width)
{
	static const char ellipsis[] = "\xe2\x80\xa6"; /* U+2026 */
	double w = ntf_svg_text_width(ellipsis, px);
	size_t n = 0;

	if (!size)
		return;
	if (ntf_svg_text_width(s, px) <= width) {
		snprintf(buf, size, "%s", s);
		return;
	}
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		size_t len = utf8_len(p) ? utf8_len(p) : 1;

		for (size_t i = 0; i < len; i++)
			w += char_em(p[i]) * px;
		if (w > width || n + len + sizeof(ellipsis) > size)
			break;
		memcpy(buf + n, p, len);
		n += len;
		p += len - 1;
	}
	memcpy(buf + n, ellipsis, sizeof(ellipsis));
}

void ntf_svg_text(FILE *out, double x, double y, double px, enum ntf_svg_anchor anchor,
		  const char *attrs, const char *text)
{
	static const char *const anchors[] = { "start", "middle", "end" };

	fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%g\"", x, y, px);
	if (anchor != NTF_SVG_START)
		fprintf(out, " text-anchor=\"%s\"", anchors[anchor]);
	if (attrs)
		fprintf(out, " %s", attrs);
	fputc('>', out);
	ntf_xml_fputs(out, text);
	fputs("</text>\n", out);
}

void ntf_svg_rect(FILE *out, double x, double y, double w, double h, const char *attrs)
{
	fprintf(out, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\"%s%s/>\n", x, y, w,
		h, attrs ? " " : "", attrs ? attrs : "");
}

void ntf_svg_line(FILE *out, double x1, double y1, double x2, double y2, const char *attrs)
{
	fprintf(out, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"%s%s/>\n", x1, y1, x2,
		y2, attrs ? " " : "", attrs ? attrs : "");
}
