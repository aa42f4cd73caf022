// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The Perfetto export's parts: JSON strings and times written by hand,
 * the nesting of one track's slices, and the exporter itself read back
 * with jansson, with a buffer small enough that it writes in halves.
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
#include <jansson.h>
#include "json_out.h"
#include "perfetto.h"
#include "slice_nest.h"

/* What ntf_json_strn makes of len bytes of s, in a buffer the caller frees. */
static char *escaped(const char *s, size_t len)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	assert_non_null(f);
	ntf_json_strn(f, s, len);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void assert_escaped(const char *s, size_t len, const char *want)
{
	char *got = escaped(s, len);
	json_error_t err;
	json_t *j;

	assert_string_equal(got, want);
	/* and a strict parser takes it */
	j = json_loads(got, JSON_DECODE_ANY, &err);
	assert_non_null(j);
	json_decref(j);
	free(got);
}

static void json_strings_escape_what_json_forbids(void **state)
{
	(void)state;
	assert_escaped("plain", 5, "\"plain\"");
	assert_escaped("a\"b\\c", 5, "\"a\\\"b\\\\c\"");
	assert_escaped("\x01\t\n\x1f\x7f", 5, "\"\\u0001\\u0009\\u000a\\u001f\\u007f\"");
	/* well-formed UTF-8 stays as it is */
	assert_escaped("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14,
		       "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
}

static void json_strings_replace_bytes_not_utf8(void **state)
{
	(void)state;
	assert_escaped("a\xff", 2, "\"a\\ufffd\"");
	assert_escaped("\x80", 1, "\"\\ufffd\""); /* a continuation alone */
	assert_escaped("\xc0\x80", 2, "\"\\ufffd\\ufffd\""); /* overlong NUL */
	assert_escaped("\xe0\x80\x80", 3, "\"\\ufffd\\ufffd\\ufffd\""); /* overlong */
	assert_escaped("\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\""); /* a surrogate */
	assert_escaped("\xf4\x90\x80\x80", 4,
		       "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* past U+10FFFF */
	assert_escaped("\xe2\x82", 2, "\"\\ufffd\\ufffd\""); /* cut short */
}

static void json_strings_end_at_nul_or_len(void **state)
{
	(void)state;
	assert_escaped("abc\0def", 7, "\"abc\"");
	/* a comm of all 16 bytes has no NUL */
	assert_escaped("0123456789abcdefXYZ", 16, "\"0123456789abcdef\"");
	/* len cuts a sequence: what is left is not UTF-8 */
	assert_escaped("\xc3\xa9", 1, "\"\\ufffd\"");
}

static void json_us_keeps_every_ns(void **state)
{
	char buf[NTF_JSON_US_LEN];
	const struct {
		__s64 ns;
		const char *us;
	} cases[] = {
		{ 0, "0.000" },
		{ 1, "0.001" },
		{ 999, "0.999" },
		{ 1000, "1.000" },
		{ 1234567, "1234.567" },
		{ -1, "-0.001" },
		{ -1500, "-1.500" },
		{ INT64_MAX, "9223372036854775.807" },
		{ INT64_MIN, "-9223372036854775.808" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(ntf_json_us(buf, cases[i].ns), strlen(cases[i].us));
		assert_string_equal(buf, cases[i].us);
	}
}

static enum ntf_nest_place place(struct ntf_nest *n, __u64 start, __u64 end, __u64 want_end)
{
	enum ntf_nest_place r = ntf_nest_place(n, start, &end);

	assert_int_equal(end, want_end);
	return r;
}

static void nest_clamps_a_child_past_its_parent(void **state)
{
	struct ntf_nest n = {};

	(void)state;
	assert_int_equal(place(&n, 0, 100, 100), NTF_NEST_FITS); /* invalidate */
	assert_int_equal(place(&n, 10, 80, 80), NTF_NEST_FITS); /* callback */
	assert_int_equal(place(&n, 20, 83, 80), NTF_NEST_CLAMPED); /* its fence wait, 3 past */
	assert_int_equal(place(&n, 80, 103, 100), NTF_NEST_CLAMPED); /* the next callback */
	assert_int_equal(n.depth, 2);
	/* after the invalidate: a new stack */
	assert_int_equal(place(&n, 100, 200, 200), NTF_NEST_FITS);
	assert_int_equal(n.depth, 1);
}

static void nest_same_start_and_empty_slices(void **state)
{
	struct ntf_nest n = {};

	(void)state;
	/* starting together, the longer first: the other is inside */
	assert_int_equal(place(&n, 0, 50, 50), NTF_NEST_FITS);
	assert_int_equal(place(&n, 0, 40, 40), NTF_NEST_FITS);
	assert_int_equal(n.depth, 2);
	/* an empty slice at 40 is after the child, inside the parent */
	assert_int_equal(place(&n, 40, 40, 40), NTF_NEST_FITS);
	assert_int_equal(n.depth, 2);
	assert_int_equal(place(&n, 45, 60, 50), NTF_NEST_CLAMPED);
}

static void nest_refuses_late_and_deep_slices(void **state)
{
	struct ntf_nest n = {}, before;

	(void)state;
	assert_int_equal(place(&n, 100, 200, 200), NTF_NEST_FITS);
	before = n;
	assert_int_equal(place(&n, 50, 300, 300), NTF_NEST_LATE);
	assert_memory_equal(&n, &before, sizeof(n));

	memset(&n, 0, sizeof(n));
	for (unsigned int i = 0; i < NTF_NEST_DEPTH; i++)
		assert_int_equal(place(&n, i, 1000 - i, 1000 - i), NTF_NEST_FITS);
	assert_int_equal(place(&n, 100, 200, 200), NTF_NEST_DEEP);
	assert_int_equal(n.depth, NTF_NEST_DEPTH);
	/* the stack was left as it was: a sibling after the deepest still fits */
	assert_int_equal(place(&n, 1000 - NTF_NEST_DEPTH + 1, 1000 - NTF_NEST_DEPTH + 1,
			       1000 - NTF_NEST_DEPTH + 1),
			 NTF_NEST_FITS);
}

/* ---- the exporter ---- */

struct out {
	char *buf;
	size_t size;
	FILE *f;
};

static void ev(struct ntf_perfetto *p, unsigned int class, __u32 tgid, __u32 pid, __u64 ts,
	       __u64 lat, __u32 callback)
{
	struct ntf_event e;

	memset(&e, 0, sizeof(e));
	e.class = class;
	e.tgid = tgid;
	e.pid = pid;
	e.ts_ns = ts;
	e.latency_ns = lat;
	e.callback = callback;
	e.mech = NTF_MECH_FENTRY;
	snprintf(e.comm, sizeof(e.comm), "t%u", pid);
	assert_int_equal(ntf_perfetto_add(p, &e), 0);
}

static json_t *finish(struct ntf_perfetto *p, struct out *o, const struct ntf_rec_status *st,
		      struct ntf_perfetto_stats *stats)
{
	json_error_t err;
	json_t *root;

	assert_int_equal(ntf_perfetto_finish(p, st, stats), 0);
	assert_int_equal(fclose(o->f), 0);
	root = json_loads(o->buf, 0, &err);
	if (!root)
		fail_msg("not JSON: %s at line %d: %.200s", err.text, err.line, o->buf);
	free(o->buf);
	return root;
}

static __s64 ns_of(json_t *e, const char *key)
{
	json_t *v = json_object_get(e, key);

	assert_true(json_is_number(v));
	return llround(json_number_value(v) * 1000);
}

/* The X slices of a phase, and how many of the events had it. */
static size_t count_ph(json_t *root, const char *ph)
{
	json_t *events = json_object_get(root, "traceEvents"), *e;
	size_t i, n = 0;

	json_array_foreach(events, i, e) n +=
		!strcmp(json_string_value(json_object_get(e, "ph")), ph);
	return n;
}

/*
 * Storms of invalidate > callback > fence wait on one thread, added as
 * they end: with room for four events, each storm is written across
 * several flushes, and still nests.
 */
static void exporter_nests_across_flushes(void **state)
{
	struct ntf_perfetto_opts opts = { .max_buffered = 4 };
	struct ntf_rec_meta meta = {};
	struct ntf_perfetto_stats st;
	struct out o = {};
	json_t *root, *events, *e;
	__s64 open_end[3] = {};
	size_t i, depth = 0;
	struct ntf_perfetto *p;

	(void)state;
	meta.mono_ns = 1000000;
	assert_int_equal(ntf_rec_meta_set_callback(&meta, 40, "dr\"v", ""), 0);
	o.f = open_memstream(&o.buf, &o.size);
	p = ntf_perfetto_new(o.f, &meta, &opts);
	assert_non_null(p);
	for (__u64 t = 2000000; t < 2000000 + 50 * 1000; t += 1000) {
		ev(p, NTF_CLASS_FENCE_WAIT, 7, 8, t + 20, 60, 0);
		ev(p, NTF_CLASS_CALLBACK, 7, 8, t + 10, 83, 40); /* 3 ns past the invalidate */
		ev(p, NTF_CLASS_INVAL_START, 7, 8, t, 90, 0);
	}
	root = finish(p, &o, NULL, &st);
	assert_int_equal(st.events, 150);
	assert_int_equal(st.slices, 150);
	assert_int_equal(st.clamped, 50);
	assert_int_equal(st.unnested, 0);
	assert_int_equal(count_ph(root, "X"), 150);

	/* written in start order: each slice opens inside the last one still open */
	events = json_object_get(root, "traceEvents");
	json_array_foreach(events, i, e)
	{
		const char *name = json_string_value(json_object_get(e, "name"));
		__s64 start, end;

		if (strcmp(json_string_value(json_object_get(e, "ph")), "X"))
			continue;
		start = ns_of(e, "ts");
		end = start + ns_of(e, "dur");
		while (depth && open_end[depth - 1] <= start)
			depth--;
		assert_true(depth < 3);
		if (depth)
			assert_true(end <= open_end[depth - 1]);
		/* invalidate, callback, fence wait: the depth says which */
		assert_string_equal(name, depth == 0 ? "inval_start chain" :
					  depth == 1 ? "callback dr\"v" :
						       "fence_wait");
		open_end[depth++] = end;
	}
	/* ts 0 is the recording's start */
	assert_int_equal(json_integer_value(
				 json_object_get(json_object_get(root, "metadata"), "ts_base_ns")),
			 1000000);
	json_decref(root);
}

/* A parent that comes after its child was written goes to an async track of its own. */
static void exporter_puts_late_events_aside(void **state)
{
	struct ntf_perfetto_opts opts = { .max_buffered = 2 };
	struct ntf_perfetto_stats st;
	struct ntf_rec_status rs = { .stop = NTF_REC_TRUNCATED };
	struct out o = {};
	json_t *root, *events, *e, *m;
	struct ntf_perfetto *p;
	size_t i;

	(void)state;
	snprintf(rs.why, sizeof(rs.why), "truncated at byte 9");
	o.f = open_memstream(&o.buf, &o.size);
	p = ntf_perfetto_new(o.f, NULL, &opts);
	assert_non_null(p);
	ev(p, NTF_CLASS_CALLBACK, 7, 7, 1010, 80, 77);
	ev(p, NTF_CLASS_PIN, 7, 7, 1200, 10, 0); /* two held: the callback is written */
	ev(p, NTF_CLASS_INVAL_START, 7, 7, 1000, 100, 0);
	root = finish(p, &o, &rs, &st);
	assert_int_equal(st.slices, 2);
	assert_int_equal(st.unnested, 1);
	assert_int_equal(count_ph(root, "b"), 1);
	assert_int_equal(count_ph(root, "e"), 1);
	events = json_object_get(root, "traceEvents");
	json_array_foreach(events, i, e)
	{
		const char *ph = json_string_value(json_object_get(e, "ph"));

		if (!strcmp(ph, "X") &&
		    !strcmp(json_string_value(json_object_get(e, "cat")), "callback"))
			/* no META: an id past the table's, by number */
			assert_string_equal(json_string_value(json_object_get(e, "name")),
					    "callback #77");
		if (strcmp(ph, "b") && strcmp(ph, "e"))
			continue;
		assert_string_equal(json_string_value(json_object_get(e, "id")), "0x1");
		/* before the first event written, which is ts 0: a negative ts */
		assert_int_equal(ns_of(e, "ts"), !strcmp(ph, "b") ? -10 : 90);
		if (!strcmp(ph, "b"))
			assert_string_equal(json_string_value(json_object_get(
						    json_object_get(e, "args"), "unnested")),
					    "late");
	}
	/* without META, ts 0 is the first event written */
	m = json_object_get(root, "metadata");
	assert_int_equal(json_integer_value(json_object_get(m, "ts_base_ns")), 1010);
	assert_string_equal(json_string_value(json_object_get(m, "status")), "truncated");
	assert_string_equal(json_string_value(json_object_get(m, "status_why")),
			    "truncated at byte 9");
	json_decref(root);
}

static void exporter_says_a_full_disk(void **state)
{
	FILE *f = fopen("/dev/full", "w");
	struct ntf_perfetto *p;

	(void)state;
	if (!f)
		skip();
	p = ntf_perfetto_new(f, NULL, NULL);
	assert_non_null(p);
	ev(p, NTF_CLASS_PIN, 7, 7, 1000, 10, 0);
	assert_int_equal(ntf_perfetto_finish(p, NULL, NULL), -ENOSPC);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(json_strings_escape_what_json_forbids),
		cmocka_unit_test(json_strings_replace_bytes_not_utf8),
		cmocka_unit_test(json_strings_end_at_nul_or_len),
		cmocka_unit_test(json_us_keeps_every_ns),
		cmocka_unit_test(nest_clamps_a_child_past_its_parent),
		cmocka_unit_test(nest_same_start_and_empty_slices),
		cmocka_unit_test(nest_refuses_late_and_deep_slices),
		cmocka_unit_test(exporter_nests_across_flushes),
		cmocka_unit_test(exporter_puts_late_events_aside),
		cmocka_unit_test(exporter_says_a_full_disk),
	};

	return cmocka_run_group_tests_name("perfetto", tests, NULL, NULL);
}
