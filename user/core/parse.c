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
