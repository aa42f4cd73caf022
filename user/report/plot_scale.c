// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <math.h>
#include <stdio.h>
#include "plot_scale.h"

/* The 1-2-5 sequence: step k is {1,2,5}[k mod 3] * 10^(k div 3). */
static double nice_value(int k)
{
	static const double mant[] = { 1, 2, 5 };
	int e = k >= 0 ? k / 3 : -((-k + 2) / 3);

	return mant[k - 3 * e] * pow(10, e);
}

/* The step of the 1-2-5 sequence at or below v (with a little slack for rounding). */
static int nice_floor(double v)
{
	int k = 3 * (int)floor(log10(v));

	while (nice_value(k + 1) <= v * (1 + 1e-9))
		k++;
	while (nice_value(k) > v * (1 + 1e-9))
		k--;
	return k;
}

static int nice_ceil(double v)
{
	int k = nice_floor(v);

	return nice_value(k) >= v * (1 - 1e-9) ? k : k + 1;
}

void ntf_log_axis_init(struct ntf_log_axis *ax, double min_ns, double max_ns, double px0,
		       double px1)
{
	int lo, hi;

	if (!(min_ns > 0))
		min_ns = 1;
	if (max_ns < min_ns)
		max_ns = min_ns;
	lo = nice_floor(min_ns);
	hi = nice_ceil(max_ns);
	/* at least a decade: widen upwards first, where the tails are */
	for (int up = 1; nice_value(hi) / nice_value(lo) < 10 * (1 - 1e-9); up = !up) {
		if (up || lo <= 0) /* not below 1 ns */
			hi++;
		else
			lo--;
	}
	ax->lo_ns = nice_value(lo);
	ax->hi_ns = nice_value(hi);
	ax->px0 = px0;
	ax->px1 = px1;
}

double ntf_log_axis_px(const struct ntf_log_axis *ax, double ns)
{
	double f;

	if (!(ns > ax->lo_ns))
		return ax->px0;
	if (ns >= ax->hi_ns)
		return ax->px1;
	f = log(ns / ax->lo_ns) / log(ax->hi_ns / ax->lo_ns);
	return ax->px0 + f * (ax->px1 - ax->px0);
}

static size_t add_ticks(const struct ntf_log_axis *ax, const double *mant, size_t nmant, int stride,
			double *ticks, size_t max)
{
	int e0 = (int)floor(log10(ax->lo_ns)), e1 = (int)ceil(log10(ax->hi_ns));
	size_t n = 0;

	for (int e = e0; e <= e1; e++) {
		if ((e - e0) % stride)
			continue;
		for (size_t m = 0; m < nmant; m++) {
			double v = mant[m] * pow(10, e);

			if (v < ax->lo_ns * (1 - 1e-9) || v > ax->hi_ns * (1 + 1e-9))
				continue;
			if (n < max)
				ticks[n] = v;
			n++;
		}
	}
	return n < max ? n : max;
}

size_t ntf_log_ticks(const struct ntf_log_axis *ax, double *ticks, size_t max)
{
	static const double one[] = { 1 }, one25[] = { 1, 2, 5 };
	size_t n = add_ticks(ax, one, 1, 1, ticks, max);

	if (n > 8)
		return add_ticks(ax, one, 1, 2, ticks, max);
	if (n < 3)
		return add_ticks(ax, one25, 3, 1, ticks, max);
	return n;
}

void ntf_count_axis_init(struct ntf_count_axis *ax, double max)
{
	static const double mant[] = { 1, 2, 2.5, 5 };

	if (!(max >= 1))
		max = 1;
	for (int e = 0;; e++)
		for (size_t m = 0; m < sizeof(mant) / sizeof(mant[0]); m++) {
			double step = mant[m] * pow(10, e);

			/* counts are whole: no 2.5 below 10 */
			if (step == 2.5)
				continue;
			if (ceil(max / step - 1e-9) <= 5) {
				ax->step = step;
				ax->top = ceil(max / step - 1e-9) * step;
				return;
			}
		}
}

void ntf_plot_format_ns(char *buf, size_t size, double ns)
{
	static const struct {
		double div;
		const char *unit;
	} units[] = { { 1e9, "s" }, { 1e6, "ms" }, { 1e3, "us" }, { 1, "ns" } };

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		double v = ns / units[i].div;

		/* 999.7us prints as 1000us at three digits: call it 1ms */
		if (v >= 1 - 5e-4 || i + 1 == sizeof(units) / sizeof(units[0])) {
			snprintf(buf, size, "%.3g%s", v, units[i].unit);
			return;
		}
	}
}

void ntf_plot_format_count(char *buf, size_t size, double count)
{
	static const struct {
		double div;
		const char *suffix;
	} units[] = { { 1e12, "T" }, { 1e9, "G" }, { 1e6, "M" }, { 1e3, "k" } };

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (count >= units[i].div * (1 - 5e-4)) {
			snprintf(buf, size, "%.3g%s", count / units[i].div, units[i].suffix);
			return;
		}
	snprintf(buf, size, "%.0f", count);
}

struct ntf_rgb ntf_viridis(double t)
{
	/* matplotlib's viridis at ten even steps; linear in between */
	static const struct ntf_rgb stops[] = {
		{ 0x44, 0x01, 0x54 }, { 0x48, 0x28, 0x78 }, { 0x3e, 0x49, 0x89 },
		{ 0x31, 0x68, 0x8e }, { 0x26, 0x82, 0x8e }, { 0x1f, 0x9e, 0x89 },
		{ 0x35, 0xb7, 0x79 }, { 0x6e, 0xce, 0x58 }, { 0xb5, 0xde, 0x2b },
		{ 0xfd, 0xe7, 0x25 },
	};
	const size_t last = sizeof(stops) / sizeof(stops[0]) - 1;
	struct ntf_rgb c;
	double x, f;
	size_t i;

	if (!(t > 0))
		t = 0;
	if (t > 1)
		t = 1;
	x = t * last;
	i = (size_t)x;
	if (i >= last)
		return stops[last];
	f = x - i;
	c.r = (unsigned char)lround(stops[i].r + f * (stops[i + 1].r - stops[i].r));
	c.g = (unsigned char)lround(stops[i].g + f * (stops[i + 1].g - stops[i].g));
	c.b = (unsigned char)lround(stops[i].b + f * (stops[i + 1].b - stops[i].b));
	return c;
}

double ntf_heat_level(double count, double max)
{
	if (!(count > 0))
		return -1;
	if (max <= 1 || count >= max)
		return 1;
	if (count <= 1)
		return 0;
	return log(count) / log(max);
}
