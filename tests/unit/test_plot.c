// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The pictures' arithmetic (log axis, ticks, count axis, labels, colour
 * scale), the escaping every label goes through, a live aggregate turned
 * into a report labelled as a saved one reads back, and an SVG drawn
 * from it in memory.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "callbacks.h"
#include "hist_from_agg.h"
#include "plot_scale.h"
#include "plot_svg.h"
#include "svg_out.h"

static void log_axis_ends_are_nice_and_a_decade_wide(void **state)
{
	struct ntf_log_axis ax;

	(void)state;
	ntf_log_axis_init(&ax, 37e3, 2.67e6, 0, 100);
	assert_true(ax.lo_ns == 20e3 && ax.hi_ns == 5e6);
	/* an exact 1-2-5 value stays where it is */
	ntf_log_axis_init(&ax, 1e3, 1e6, 0, 100);
	assert_true(ax.lo_ns == 1e3 && ax.hi_ns == 1e6);
	/* 100..150 us: widened to a decade, upwards first */
	ntf_log_axis_init(&ax, 100e3, 150e3, 0, 100);
	assert_true(ax.hi_ns / ax.lo_ns >= 10 - 1e-9);
	assert_true(ax.lo_ns <= 100e3 && ax.hi_ns >= 150e3);
	assert_true(ax.lo_ns == 50e3 && ax.hi_ns == 500e3);
	/* never below 1 ns */
	ntf_log_axis_init(&ax, 1, 2, 0, 100);
	assert_true(ax.lo_ns == 1 && ax.hi_ns == 10);
	/* nonsense in: still an axis */
	ntf_log_axis_init(&ax, 0, -5, 0, 100);
	assert_true(ax.lo_ns >= 1 && ax.hi_ns >= 10 * ax.lo_ns - 1e-9);
}

static void log_axis_maps_decades_evenly(void **state)
{
	struct ntf_log_axis ax;

	(void)state;
	ntf_log_axis_init(&ax, 1e3, 1e6, 40, 340); /* 3 decades over 300 px */
	assert_float_equal(ntf_log_axis_px(&ax, 1e3), 40, 1e-9);
	assert_float_equal(ntf_log_axis_px(&ax, 1e4), 140, 1e-9);
	assert_float_equal(ntf_log_axis_px(&ax, 1e5), 240, 1e-9);
	assert_float_equal(ntf_log_axis_px(&ax, 1e6), 340, 1e-9);
	assert_float_equal(ntf_log_axis_px(&ax, sqrt(10) * 1e3), 90, 1e-9);
	/* clamped at both ends, 0 included */
	assert_float_equal(ntf_log_axis_px(&ax, 10), 40, 1e-9);
	assert_float_equal(ntf_log_axis_px(&ax, 0), 40, 1e-9);
	assert_float_equal(ntf_log_axis_px(&ax, 1e9), 340, 1e-9);
	/* a vertical axis grows upwards */
	ntf_log_axis_init(&ax, 1e3, 1e6, 300, 0);
	assert_float_equal(ntf_log_axis_px(&ax, 1e4), 200, 1e-9);
}

static void ticks_read_at_a_glance(void **state)
{
	struct ntf_log_axis ax;
	double t[16];
	size_t n;

	(void)state;
	ntf_log_axis_init(&ax, 1e3, 1e6, 0, 300);
	n = ntf_log_ticks(&ax, t, 16);
	assert_int_equal(n, 4);
	assert_true(t[0] == 1e3 && t[1] == 1e4 && t[2] == 1e5 && t[3] == 1e6);
	/* under two decades: 2 and 5 as well */
	ntf_log_axis_init(&ax, 20e3, 500e3, 0, 300);
	n = ntf_log_ticks(&ax, t, 16);
	assert_int_equal(n, 5);
	assert_true(t[0] == 20e3 && t[1] == 50e3 && t[2] == 100e3 && t[3] == 200e3 &&
		    t[4] == 500e3);
	/* over eight decades: every other power */
	ntf_log_axis_init(&ax, 1, 1e12, 0, 300);
	n = ntf_log_ticks(&ax, t, 16);
	assert_int_equal(n, 7);
	for (size_t i = 0; i < n; i++)
		assert_float_equal(t[i], pow(10, 2 * i), 1e-6 * t[i]);
	/* never more than asked for */
	assert_int_equal(ntf_log_ticks(&ax, t, 3), 3);
}

static void count_axis_steps(void **state)
{
	static const double maxes[] = { 0, 1, 3, 7, 9, 11, 552, 999, 1000, 1001, 23456, 5e9 };
	struct ntf_count_axis ca;

	(void)state;
	for (size_t i = 0; i < sizeof(maxes) / sizeof(maxes[0]); i++) {
		ntf_count_axis_init(&ca, maxes[i]);
		assert_true(ca.top >= maxes[i]);
		assert_true(ca.top / ca.step <= 5 + 1e-9);
		assert_true(ca.top / ca.step >= 1 - 1e-9);
		/* whole counts: no fractional step */
		assert_true(ca.step >= 1 && ca.step == floor(ca.step));
	}
	ntf_count_axis_init(&ca, 552);
	assert_true(ca.step == 200 && ca.top == 600);
	ntf_count_axis_init(&ca, 23456);
	assert_true(ca.step == 5000 && ca.top == 25000);
}

static void labels(void **state)
{
	static const struct {
		double ns;
		const char *want;
	} lat[] = {
		{ 1e3, "1us" },	    { 10e3, "10us" },	   { 250e3, "250us" },
		{ 1.5e6, "1.5ms" }, { 2e9, "2s" },	   { 800, "800ns" },
		{ 999.7e3, "1ms" }, { 1.234e6, "1.23ms" }, { 0.5, "0.5ns" },
	};
	static const struct {
		double n;
		const char *want;
	} cnt[] = { { 0, "0" }, { 950, "950" }, { 1200, "1.2k" }, { 35000, "35k" }, { 4e6, "4M" } };
	char buf[32];

	(void)state;
	for (size_t i = 0; i < sizeof(lat) / sizeof(lat[0]); i++) {
		ntf_plot_format_ns(buf, sizeof(buf), lat[i].ns);
		assert_string_equal(buf, lat[i].want);
	}
	for (size_t i = 0; i < sizeof(cnt) / sizeof(cnt[0]); i++) {
		ntf_plot_format_count(buf, sizeof(buf), cnt[i].n);
		assert_string_equal(buf, cnt[i].want);
	}
}

static double luminance(struct ntf_rgb c)
{
	return 0.2126 * c.r + 0.7152 * c.g + 0.0722 * c.b;
}

static void colour_scale_ends_and_order(void **state)
{
	struct ntf_rgb c, prev;

	(void)state;
	c = ntf_viridis(0);
	assert_true(c.r == 0x44 && c.g == 0x01 && c.b == 0x54);
	c = ntf_viridis(1);
	assert_true(c.r == 0xfd && c.g == 0xe7 && c.b == 0x25);
	/* out of range: clamped */
	c = ntf_viridis(-3);
	assert_true(c.r == 0x44 && c.g == 0x01 && c.b == 0x54);
	c = ntf_viridis(7);
	assert_true(c.r == 0xfd && c.g == 0xe7 && c.b == 0x25);
	c = ntf_viridis(NAN);
	assert_true(c.r == 0x44 && c.g == 0x01 && c.b == 0x54);
	/* sequential: lighter all the way up */
	prev = ntf_viridis(0);
	for (int i = 1; i <= 100; i++) {
		c = ntf_viridis(i / 100.0);
		assert_true(luminance(c) >= luminance(prev));
		prev = c;
	}
	/* the heat level: none below the scale, one at its bottom, max at its top */
	assert_true(ntf_heat_level(0, 100) < 0);
	assert_float_equal(ntf_heat_level(1, 100), 0, 1e-12);
	assert_float_equal(ntf_heat_level(10, 100), 0.5, 1e-12);
	assert_float_equal(ntf_heat_level(100, 100), 1, 1e-12);
	assert_float_equal(ntf_heat_level(1, 1), 1, 1e-12);
}

static void xml_escaping(void **state)
{
	char buf[64], *mem = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	ntf_xml_escape(buf, sizeof(buf), "a<b & \"c\" > 'd'");
	assert_string_equal(buf, "a&lt;b &amp; &quot;c&quot; &gt; &#39;d&#39;");
	/* control characters XML 1.0 refuses, and bytes that are no UTF-8, become '?' */
	ntf_xml_escape(buf, sizeof(buf), "x\x01y\tz\xffw\xc3");
	assert_string_equal(buf, "x?y\tz?w?");
	/* UTF-8 kept whole */
	ntf_xml_escape(buf, sizeof(buf), "\xc2\xb5s \xe2\x80\xa6");
	assert_string_equal(buf, "\xc2\xb5s \xe2\x80\xa6");
	/* cut only between entities and characters */
	assert_int_equal(ntf_xml_escape(buf, 7, "ab&cd"), 2);
	assert_string_equal(buf, "ab");
	assert_int_equal(ntf_xml_escape(buf, 4, "a\xe2\x80\xa6"), 1);
	assert_string_equal(buf, "a");
	/* the stream twin agrees */
	f = open_memstream(&mem, &len);
	assert_non_null(f);
	ntf_xml_fputs(f, "a<b & \"c\" > 'd'\x01\xff");
	fclose(f);
	assert_string_equal(mem, "a&lt;b &amp; &quot;c&quot; &gt; &#39;d&#39;??");
	free(mem);
}

static void text_fits_its_room(void **state)
{
	const char *label = "driver=i915 event=callback origin=fault comm=very-long-process-name";
	char buf[256];

	(void)state;
	/* wider text, wider estimate; an M wider than an i */
	assert_true(ntf_svg_text_width("MMMM", 10) > ntf_svg_text_width("iiii", 10));
	assert_true(ntf_svg_text_width("abc", 20) == 2 * ntf_svg_text_width("abc", 10));
	ntf_svg_fit_text(buf, sizeof(buf), "short", 12, 200);
	assert_string_equal(buf, "short");
	ntf_svg_fit_text(buf, sizeof(buf), label, 12, 150);
	assert_true(ntf_svg_text_width(buf, 12) <= 150);
	assert_true(strlen(buf) > 3);
	assert_string_equal(buf + strlen(buf) - 3, "\xe2\x80\xa6");
	assert_memory_equal(buf, label, strlen(buf) - 3);
}

static void add(struct ntf_agg *agg, unsigned int class, __u32 callback, __u64 ns)
{
	struct ntf_event e;

	memset(&e, 0, sizeof(e));
	e.class = class;
	e.callback = callback;
	e.mech = NTF_MECH_FENTRY;
	e.tgid = e.pid = 10 + callback;
	e.latency_ns = ns;
	snprintf(e.comm, sizeof(e.comm), "proc");
	assert_int_equal(ntf_agg_add(agg, &e), 0);
}

static void report_from_agg_labels_as_the_reader(void **state)
{
	struct ntf_agg *agg = ntf_agg_new(0);
	__u32 kvm = ntf_callback_id("kvm");
	struct ntf_hist_report r;
	struct ntf_hist_run run = {};
	const struct ntf_hist_group *g;

	(void)state;
	assert_non_null(agg);
	assert_true(kvm > 0);
	for (int i = 0; i < 90; i++)
		add(agg, NTF_CLASS_INVAL_START, 0, 100000 + i);
	for (int i = 0; i < 40; i++)
		add(agg, NTF_CLASS_CALLBACK, kvm, 20000 + i);
	add(agg, NTF_CLASS_UNPIN, 0, 0);

	assert_int_equal(ntf_hist_report_from_agg(agg, 0, 1700000001.5, 1000, &r), 0);
	assert_true(r.ts == 1700000001.5);
	assert_int_equal(r.elapsed_ms, 1000);
	/* classes with events, then the callback class's drivers */
	assert_int_equal(r.n, 4);
	g = ntf_hist_report_find(&r, "inval_start");
	assert_non_null(g);
	assert_int_equal(g->class, NTF_CLASS_INVAL_START);
	assert_int_equal(g->hist.count, 90);
	assert_int_equal(ntf_buckets_total(&g->fine), 90);
	g = ntf_hist_report_find(&r, "callback driver=kvm");
	assert_non_null(g);
	assert_int_equal(g->class, NTF_CLASS_CALLBACK);
	assert_int_equal(g->hist.count, 40);
	assert_int_equal(ntf_buckets_total(&g->fine), 40);
	assert_non_null(ntf_hist_report_find(&r, "callback"));
	assert_non_null(ntf_hist_report_find(&r, "unpin"));
	assert_null(ntf_hist_report_find(&r, "inval_end"));
	ntf_hist_report_free(&r);

	/* -e: only the classes asked for */
	assert_int_equal(ntf_hist_report_from_agg(agg, 1u << NTF_CLASS_INVAL_START, 0, 0, &r), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.groups[0].label, "inval_start");

	/* appended: the run owns it, r is left empty */
	assert_int_equal(ntf_hist_run_append(&run, &r), 0);
	assert_int_equal(run.n, 1);
	assert_int_equal(r.n, 0);
	assert_null(r.groups);
	assert_int_equal(ntf_hist_report_from_agg(agg, 0, 0, 0, &r), 0);
	assert_int_equal(ntf_hist_run_append(&run, &r), 0);
	assert_int_equal(run.n, 2);
	assert_int_equal(run.reports[1].n, 4);
	ntf_hist_run_free(&run);
	ntf_agg_free(agg);
}

static size_t count_of(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* Two live reports drawn: a panel per group with latencies, a heat map, labels escaped. */
static void live_run_drawn(void **state)
{
	struct ntf_plot_opts opts = { .title = "a <b> & c" };
	struct ntf_agg *agg = ntf_agg_new(0);
	struct ntf_hist_run run = {};
	struct ntf_hist_report r;
	char *svg = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_non_null(agg);
	for (int k = 0; k < 2; k++) {
		ntf_agg_reset(agg);
		for (int i = 0; i < 50; i++)
			add(agg, NTF_CLASS_INVAL_START, 0, k ? 1000000 : 100000);
		add(agg, NTF_CLASS_UNPIN, 0, 0);
		assert_int_equal(ntf_hist_report_from_agg(agg, 0, 1700000001.0 + k, 1000, &r), 0);
		assert_int_equal(ntf_hist_run_append(&run, &r), 0);
	}
	f = open_memstream(&svg, &len);
	assert_non_null(f);
	assert_int_equal(ntf_plot_svg(f, &run, &opts), 0);
	fclose(f);
	assert_non_null(strstr(svg, "<title>a &lt;b&gt; &amp; c</title>"));
	assert_int_equal(count_of(svg, "class=\"panel\""), 1); /* unpin: no latency to draw */
	assert_int_equal(count_of(svg, "class=\"heatmap\""), 1); /* one group: no map of its own */
	assert_int_equal(count_of(svg, "class=\"marker\""), 5);
	assert_non_null(strstr(svg, "not drawn: unpin"));
	assert_non_null(strstr(svg, "viewBox=\"0 0 960 "));
	free(svg);

	/* nothing to draw: an error, not an empty file */
	{
		struct ntf_hist_run none = {};
		char err[128];

		assert_int_equal(
			ntf_plot_write("/nonexistent/x.svg", false, &none, NULL, err, sizeof(err)),
			-EINVAL);
		assert_non_null(strstr(err, "x.svg"));
		assert_int_equal(
			ntf_plot_write("/nonexistent/x.svg", false, &run, NULL, err, sizeof(err)),
			-ENOENT);
		assert_non_null(strstr(err, "/nonexistent/x.svg"));
	}
	ntf_hist_run_free(&run);
	ntf_agg_free(agg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(log_axis_ends_are_nice_and_a_decade_wide),
		cmocka_unit_test(log_axis_maps_decades_evenly),
		cmocka_unit_test(ticks_read_at_a_glance),
		cmocka_unit_test(count_axis_steps),
		cmocka_unit_test(labels),
		cmocka_unit_test(colour_scale_ends_and_order),
		cmocka_unit_test(xml_escaping),
		cmocka_unit_test(text_fits_its_room),
		cmocka_unit_test(report_from_agg_labels_as_the_reader),
		cmocka_unit_test(live_run_drawn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
