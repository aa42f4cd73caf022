// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "parse.h"

int ntf_parse_u64(const char *arg, __u64 min, __u64 max, __u64 *out, char *why, size_t len)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(arg, &end, 0);
	if (errno || end == arg || *end || arg[0] == '-') {
		snprintf(why, len, "'%s' is not a number", arg);
		return -EINVAL;
	}
	if (v < min || v > max) {
		snprintf(why, len, "%llu is out of range [%llu, %llu]", v, (unsigned long long)min,
			 (unsigned long long)max);
		return -ERANGE;
	}
	*out = v;
	return 0;
}

int ntf_parse_duration_ms(const char *arg, __u64 *out_ms, char *why, size_t len)
{
	double v, scale = 1000.0;
	char *end;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg) {
		snprintf(why, len, "'%s' is not a duration", arg);
		return -EINVAL;
	}
	if (!strcmp(end, "ms")) {
		scale = 1.0;
	} else if (*end && strcmp(end, "s")) {
		snprintf(why, len, "'%s' has an unknown unit (use s or ms)", arg);
		return -EINVAL;
	}
	if (!(v > 0) || v * scale > 1e12) {
		snprintf(why, len, "'%s' must be a positive duration", arg);
		return -EINVAL;
	}
	*out_ms = (__u64)(v * scale + 0.5);
	return 0;
}

int ntf_parse_latency_ns(const char *arg, __u64 *out_ns, char *why, size_t len)
{
	static const struct {
		const char *unit;
		double ns;
	} units[] = { { "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 } };
	double v, scale = 0;
	char *end;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg) {
		snprintf(why, len, "'%s' is not a latency", arg);
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(end, units[i].unit))
			scale = units[i].ns;
	if (!scale) {
		/* a bare number could be any unit: say which */
		snprintf(why, len, "'%s' needs a unit: ns, us, ms or s", arg);
		return -EINVAL;
	}
	if (!(v >= 0) || v * scale > 1e15) {
		snprintf(why, len, "'%s' must be between 0 and 1e6 s", arg);
		return -EINVAL;
	}
	*out_ns = (__u64)(v * scale + 0.5);
	return 0;
}

/* Past this a replay is as fast as the machine goes: call that "max". */
#define NTF_SPEED_MAX 1e6

int ntf_parse_speed(const char *arg, double *out, char *why, size_t len)
{
	double v;
	char *end;

	if (!strcmp(arg, "max")) {
		*out = 0;
		return 0;
	}
	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !(v >= 0) || v > NTF_SPEED_MAX) {
		snprintf(why, len, "'%s' is not a speed (a factor such as 0.5 or 4, or 0 or max)",
			 arg);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/* The multiplier of a size's unit, 0 when the unit is none of them. */
static __u64 size_unit(const char *u)
{
	static const struct {
		char c;
		__u64 mult;
	} units[] = { { 'K', 1ULL << 10 },
		      { 'k', 1ULL << 10 },
		      { 'M', 1ULL << 20 },
		      { 'G', 1ULL << 30 },
		      { 'T', 1ULL << 40 } };

	if (!*u)
		return 1;
	if (!strcmp(u, "B"))
		return 1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (u[0] == units[i].c && (!u[1] || !strcmp(u + 1, "B") || !strcmp(u + 1, "iB")))
			return units[i].mult;
	return 0;
}

void ntf_format_size(char *buf, size_t len, __u64 bytes)
{
	static const char units[] = "KMGT";
	int i = 0;

	if (bytes < 1024) {
		snprintf(buf, len, "%llu", (unsigned long long)bytes);
		return;
	}
	while (i < 3 && bytes >= 1ULL << (10 * (i + 2)))
		i++;
	if (bytes % (1ULL << (10 * (i + 1))) == 0)
		snprintf(buf, len, "%llu%c", (unsigned long long)(bytes >> (10 * (i + 1))),
			 units[i]);
	else
		snprintf(buf, len, "%.1f%c", (double)bytes / (1ULL << (10 * (i + 1))), units[i]);
}

int ntf_parse_size(const char *arg, __u64 min, __u64 max, __u64 *out, char *why, size_t len)
{
	char lo[24], hi[24];
	unsigned long long whole;
	double v;
	__u64 mult, bytes;
	char *end;

	/* strtoull would take " 5", "+5" and "-5" (as a huge number) */
	if (!(arg[0] >= '0' && arg[0] <= '9')) {
		snprintf(why, len, "'%s' is not a size", arg);
		return -EINVAL;
	}
	errno = 0;
	whole = strtoull(arg, &end, 10);
	v = (double)whole;
	if (!errno && *end == '.')
		v = strtod(arg, &end);
	if (errno || end == arg) {
		snprintf(why, len, "'%s' is not a size", arg);
		return -EINVAL;
	}
	mult = size_unit(end);
	if (!mult) {
		snprintf(why, len, "'%s' has an unknown unit (use K, M, G or T, or bytes)", arg);
		return -EINVAL;
	}
	if (v != (double)whole && mult == 1) {
		snprintf(why, len, "'%s': bytes are whole", arg);
		return -EINVAL;
	}
	/* whole bytes exactly; a fraction of a unit rounded */
	if (v == (double)whole && whole <= ~0ULL / mult)
		bytes = whole * mult;
	else if (v * mult < 1.8e19)
		bytes = (__u64)(v * mult + 0.5);
	else
		bytes = ~0ULL;
	if (bytes < min || bytes > max) {
		ntf_format_size(lo, sizeof(lo), min);
		ntf_format_size(hi, sizeof(hi), max);
		snprintf(why, len, "'%s' is out of range [%s, %s]", arg, lo, hi);
		return -ERANGE;
	}
	*out = bytes;
	return 0;
}

/* Whether a window's part names a size: it has a size's unit letter. */
static int is_size(const char *s)
{
	return strpbrk(s, "KkMGT") != NULL;
}

/* Whether a window's part is written as a time: a number, bare or in s or ms. */
static int is_duration(const char *s)
{
	char *end;

	strtod(s, &end);
	return end != s && (!*end || !strcmp(end, "s") || !strcmp(end, "ms"));
}

int ntf_parse_window(const char *arg, __u64 min, __u64 max, __u64 *ns, __u64 *bytes, char *why,
		     size_t len)
{
	const char *p = arg;
	char part[64];
	__u64 ms;

	*ns = *bytes = 0;
	for (;;) {
		size_t n = strcspn(p, ",");

		if (!n || n >= sizeof(part)) {
			snprintf(why, len, "'%s' is not SECS, SIZE or SECS,SIZE", arg);
			return -EINVAL;
		}
		memcpy(part, p, n);
		part[n] = '\0';
		if (is_size(part) ? *bytes : *ns) {
			snprintf(why, len, "'%s' gives two %s", arg,
				 is_size(part) ? "sizes" : "times");
			return -EINVAL;
		}
		if (!is_size(part) && !is_duration(part)) {
			snprintf(why, len, "'%s' is neither a time (30s, 500ms) nor a size (64M)",
				 part);
			return -EINVAL;
		}
		if (is_size(part) ? ntf_parse_size(part, min, max, bytes, why, len) :
				    ntf_parse_duration_ms(part, &ms, why, len))
			return -EINVAL;
		if (!is_size(part))
			*ns = ms * 1000000ULL;
		p += n;
		if (!*p)
			return 0;
		p++; /* the comma */
	}
}
