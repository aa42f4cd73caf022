// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <string.h>
#include "json_out.h"

/*
 * The length of the well-formed UTF-8 sequence at p (1 for ASCII), or 0;
 * at most len bytes are looked at. Overlong forms, surrogates and values
 * past U+10FFFF are not well formed: a strict JSON parser refuses them.
 */
static size_t utf8_len(const unsigned char *p, size_t len)
{
	size_t n = *p < 0x80 ? 1 :
		   *p < 0xc2 ? 0 :
		   *p < 0xe0 ? 2 :
		   *p < 0xf0 ? 3 :
		   *p < 0xf5 ? 4 :
			       0;
	unsigned char lo = 0x80, hi = 0xbf;

	if (n > len)
		return 0;
	/* the second byte's range is what rules out the overlong and surrogate forms */
	if (*p == 0xe0)
		lo = 0xa0;
	else if (*p == 0xed)
		hi = 0x9f;
	else if (*p == 0xf0)
		lo = 0x90;
	else if (*p == 0xf4)
		hi = 0x8f;
	for (size_t i = 1; i < n; i++) {
		if (p[i] < (i == 1 ? lo : 0x80) || p[i] > (i == 1 ? hi : 0xbf))
			return 0;
	}
	return n;
}

void ntf_json_strn(FILE *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end;

	end = memchr(s, '\0', len);
	end = end ? end : p + len;
	fputc('"', out);
	while (p < end) {
		size_t n = utf8_len(p, end - p);

		if (!n) {
			fputs("\\ufffd", out);
			p++;
		} else if (*p == '"' || *p == '\\') {
			fputc('\\', out);
			fputc(*p++, out);
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(out, "\\u%04x", *p++);
		} else {
			fwrite(p, 1, n, out);
			p += n;
		}
	}
	fputc('"', out);
}

void ntf_json_str(FILE *out, const char *s)
{
	ntf_json_strn(out, s, strlen(s));
}

size_t ntf_json_us(char *buf, __s64 ns)
{
	/* the magnitude as unsigned: -INT64_MIN does not fit an __s64 */
	__u64 mag = ns < 0 ? -(__u64)ns : (__u64)ns;

	return snprintf(buf, NTF_JSON_US_LEN, "%s%llu.%03u", ns < 0 ? "-" : "",
			(unsigned long long)(mag / 1000), (unsigned int)(mag % 1000));
}
