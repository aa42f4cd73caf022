// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE /* asprintf */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "callbacks.h"
#include "hist_input.h"
#include "histogram.h"
#include "names.h"
#include "report.h"

static struct ntf_hist mkhist(__u64 seed)
{
	struct ntf_hist h = {
		.count = 0,
		.sum_ns = 0,
		.failures = 3 + seed,
		.pages = 70 + seed,
		.nested = 5 + seed,
		.nonblock = 2 + seed,
	};
	__u64 values[] = { 0, 7, 900 + seed, 100000, 123456789, 4000000000ULL };

	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		for (__u64 k = 0; k <= seed + i; k++)
			ntf_hist_add(&h, values[i]);
	return h;
}

/*
 * Every class but unpin, and two drivers' callbacks, each with every
 * counter set and fine buckets from the zero bucket up to the last.
 */
static struct ntf_agg *build_agg(void)
{
	struct ntf_agg *agg = ntf_agg_new(0);
	__u32 last = ntf_bucket_of(UINT64_MAX), first = ntf_bucket_of(1);

	assert_non_null(agg);
	for (unsigned int c = NTF_CLASS_INVAL_START; c < NTF_CLASS_MAX; c++) {
		if (c == NTF_CLASS_UNPIN)
			continue; /* an empty class comes back empty too */
		for (__u32 cb = 0; cb < (c == NTF_CLASS_CALLBACK ? 3u : 1u); cb++) {
			struct ntf_hist_key key = { .class = c, .callback = cb, .tgid = 10 + c };
			struct ntf_hist h = mkhist(c * 10 + cb);

			assert_int_equal(ntf_agg_add_hist(agg, &key, &h, "proc"), 0);
			assert_int_equal(ntf_agg_add_bucket(agg, &key, NTF_BUCKET_ZERO, 2 + c), 0);
			assert_int_equal(ntf_agg_add_bucket(agg, &key, first, 1), 0);
			assert_int_equal(
				ntf_agg_add_bucket(agg, &key, ntf_bucket_of(1000 + cb), 40), 0);
			assert_int_equal(ntf_agg_add_bucket(agg, &key, ntf_bucket_of(77777), 5 + c),
					 0);
			assert_int_equal(ntf_agg_add_bucket(agg, &key, last, 1ULL << 40), 0);
		}
	}
	return agg;
}

static void assert_hist_equal(const struct ntf_hist *a, const struct ntf_hist *b)
{
	assert_int_equal(a->count, b->count);
	assert_int_equal(a->sum_ns, b->sum_ns);
	if (a->count)
		assert_int_equal(a->min_ns, b->min_ns);
	assert_int_equal(a->max_ns, b->max_ns);
	assert_int_equal(a->failures, b->failures);
	assert_int_equal(a->pages, b->pages);
	assert_int_equal(a->nested, b->nested);
	assert_int_equal(a->nonblock, b->nonblock);
	for (int i = 0; i < NTF_HIST_SLOTS; i++)
		assert_int_equal(a->slots[i], b->slots[i]);
}

static void assert_buckets_equal(const struct ntf_buckets *a, const struct ntf_buckets *b)
{
	assert_int_equal(a->n, b->n);
	for (__u32 i = 0; i < a->n; i++) {
		assert_int_equal(a->b[i].index, b->b[i].index);
		assert_int_equal(ntf_bucket_count(&a->b[i]), ntf_bucket_count(&b->b[i]));
	}
}

/* root as hist -j prints it, one line, with the fields cmd_hist adds. */
static char *report_line(struct ntf_agg *agg, double ts, __u64 elapsed_ms, json_t *groups)
{
	struct ntf_report_opts opts = {};
	json_t *root = ntf_report_json(agg, NULL, &opts);
	char *s, *line;

	json_object_set_new(root, "ts", json_real(ts));
	json_object_set_new(root, "elapsed_ms", json_integer(elapsed_ms));
	if (groups)
		json_object_set_new(root, "groups", groups);
	s = json_dumps(root, JSON_COMPACT);
	assert_non_null(s);
	assert_int_not_equal(asprintf(&line, "%s\n", s), -1);
	free(s);
	json_decref(root);
	return line;
}

static int read_text(const char *text, struct ntf_hist_run *run, char *err, size_t errlen)
{
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	int ret;

	/* fmemopen of 0 bytes fails on older glibc: an empty file from /dev/null */
	if (!text[0])
		in = fopen("/dev/null", "r");
	assert_non_null(in);
	ret = ntf_hist_run_read(in, "f.json", run, err, errlen);
	fclose(in);
	return ret;
}

struct driver_sum {
	__u32 callback;
	struct ntf_hist h;
};

static int sum_driver(const struct ntf_agg_entry *ent, void *ctx)
{
	struct driver_sum *ds = ctx;

	if (ent->key.class == NTF_CLASS_CALLBACK && ent->key.callback == ds->callback)
		ntf_hist_merge(&ds->h, &ent->hist);
	return 0;
}

static void round_trip(void **state)
{
	struct ntf_agg *agg = build_agg();
	struct ntf_hist_run run;
	char err[512], *line, label[192];
	size_t want = 0;

	(void)state;
	line = report_line(agg, 1700000000.25, 10000, NULL);
	assert_int_equal(read_text(line, &run, err, sizeof(err)), 0);
	assert_string_equal(run.name, "f.json");
	assert_int_equal(run.n, 1);
	assert_true(run.reports[0].ts == 1700000000.25);
	assert_int_equal(run.reports[0].elapsed_ms, 10000);

	for (unsigned int c = NTF_CLASS_INVAL_START; c < NTF_CLASS_MAX; c++) {
		const struct ntf_hist_group *g =
			ntf_hist_report_find(&run.reports[0], ntf_class_name(c));
		struct ntf_buckets fine = {};
		struct ntf_hist total;

		assert_non_null(g);
		assert_int_equal(g->class, c);
		ntf_agg_class_total(agg, c, &total);
		assert_hist_equal(&g->hist, &total);
		assert_int_equal(ntf_agg_fine(agg, c, NTF_AGG_ANY_CALLBACK, &fine), 0);
		assert_buckets_equal(&g->fine, &fine);
		ntf_buckets_free(&fine);
		want++;
	}
	/* callback id 0 is the chain as a whole: no driver of its own */
	for (__u32 cb = 1; cb < 3; cb++) {
		struct driver_sum ds = { .callback = cb };
		struct ntf_buckets fine = {};
		const struct ntf_hist_group *g;

		snprintf(label, sizeof(label), "callback driver=%s", ntf_driver_name(cb));
		g = ntf_hist_report_find(&run.reports[0], label);
		assert_non_null(g);
		assert_int_equal(g->class, NTF_CLASS_CALLBACK);
		ntf_agg_foreach(agg, sum_driver, &ds);
		assert_hist_equal(&g->hist, &ds.h);
		assert_int_equal(ntf_agg_fine(agg, NTF_CLASS_CALLBACK, cb, &fine), 0);
		assert_buckets_equal(&g->fine, &fine);
		ntf_buckets_free(&fine);
		want++;
	}
	assert_int_equal(run.reports[0].n, want);
	assert_null(ntf_hist_report_find(&run.reports[0], "no such group"));
	ntf_hist_run_free(&run);
	assert_int_equal(run.n, 0);
	free(line);
	ntf_agg_free(agg);
}

/* A --by group: its histogram as the classes' are, its label from "by". */
static void groups_by(void **state)
{
	struct ntf_hist h = mkhist(4);
	struct ntf_buckets fine = {};
	const struct ntf_hist_group *g;
	struct ntf_agg *agg = ntf_agg_new(0);
	struct ntf_hist_run run;
	json_t *groups = json_array(), *o;
	char err[512], *line;

	(void)state;
	assert_int_equal(ntf_buckets_add_index(&fine, ntf_bucket_of(5000), 9), 0);
	assert_int_equal(ntf_buckets_add_index(&fine, NTF_BUCKET_ZERO, 1), 0);
	o = ntf_hist_json(&h, &fine);
	/* keys in another order than the label's: the label has its own */
	json_object_set_new(o, "by",
			    json_pack("{ss si ss ss ss}", "origin", "fault", "pid", 123, "driver",
				      "i915", "zone", "dma32", "event", "callback"));
	json_array_append_new(groups, o);
	o = ntf_hist_json(&h, NULL);
	json_object_set_new(o, "by",
			    json_pack("{ss ss ss ss}", "blockable", "no", "cgroup", "/a/b", "comm",
				      "kworker/0:1", "event", "pin"));
	json_array_append_new(groups, o);
	line = report_line(agg, 0, 0, groups);
	assert_int_equal(read_text(line, &run, err, sizeof(err)), 0);

	g = ntf_hist_report_find(&run.reports[0],
				 "driver=i915 event=callback pid=123 origin=fault zone=dma32");
	assert_non_null(g);
	assert_int_equal(g->class, NTF_CLASS_CALLBACK);
	assert_hist_equal(&g->hist, &h);
	assert_buckets_equal(&g->fine, &fine);
	g = ntf_hist_report_find(&run.reports[0],
				 "event=pin comm=kworker/0:1 cgroup=/a/b blockable=no");
	assert_non_null(g);
	assert_int_equal(g->class, NTF_CLASS_PIN);
	assert_hist_equal(&g->hist, &h);
	assert_int_equal(g->fine.n, 0); /* "quantiles": "log2" */
	ntf_hist_run_free(&run);
	ntf_buckets_free(&fine);
	free(line);
	ntf_agg_free(agg);
}

/* -i output: a report a line; the total adds them up. */
static void several_lines(void **state)
{
	struct ntf_agg *agg = build_agg(), *sum = ntf_agg_new(0);
	struct ntf_hist_report total;
	struct ntf_hist_run run;
	char err[512], *l1, *l2, *l3, *text;
	json_t *groups = json_array(), *o;
	struct ntf_hist h = mkhist(1);
	const struct ntf_hist_group *g;

	(void)state;
	l1 = report_line(agg, 100.5, 1000, NULL);
	o = ntf_hist_json(&h, NULL);
	json_object_set_new(o, "by", json_pack("{si}", "pid", 7));
	json_array_append_new(groups, o);
	l2 = report_line(agg, 101.5, 1000, groups);
	l3 = report_line(sum, 102.5, 999, NULL);
	/* blank lines and the logger's warnings between reports are passed over */
	assert_int_not_equal(asprintf(&text,
				      "%s\n%s{\"warning\":\"x\",\"prog\":\"notifier hist\"}\n%s",
				      l1, l2, l3),
			     -1);
	assert_int_equal(read_text(text, &run, err, sizeof(err)), 0);
	assert_int_equal(run.n, 3);
	assert_true(run.reports[1].ts == 101.5);
	assert_int_equal(run.reports[2].elapsed_ms, 999);
	assert_non_null(ntf_hist_report_find(&run.reports[1], "pid=7"));
	assert_null(ntf_hist_report_find(&run.reports[0], "pid=7"));

	assert_int_equal(ntf_hist_run_total(&run, &total), 0);
	assert_true(total.ts == 102.5);
	assert_int_equal(total.elapsed_ms, 2999);
	assert_int_equal(total.n, run.reports[1].n);
	for (size_t i = 0; i < run.reports[0].n; i++) {
		const struct ntf_hist_group *a = &run.reports[0].groups[i];
		struct ntf_hist twice = a->hist;
		struct ntf_buckets fine = {};

		/* the same order as first seen */
		assert_string_equal(total.groups[i].label, a->label);
		ntf_hist_merge(&twice, &a->hist);
		assert_hist_equal(&total.groups[i].hist, &twice);
		assert_int_equal(ntf_buckets_merge(&fine, &a->fine), 0);
		assert_int_equal(ntf_buckets_merge(&fine, &a->fine), 0);
		assert_buckets_equal(&total.groups[i].fine, &fine);
		ntf_buckets_free(&fine);
	}
	g = ntf_hist_report_find(&total, "pid=7");
	assert_non_null(g);
	assert_hist_equal(&g->hist, &h);
	ntf_hist_report_free(&total);
	ntf_hist_run_free(&run);
	free(l1);
	free(l2);
	free(l3);
	free(text);
	ntf_agg_free(agg);
	ntf_agg_free(sum);
}

#define HIST_FIELDS                                                                      \
	"\"count\":1,\"sum_ns\":5,\"min_ns\":5,\"max_ns\":5,\"failures\":0,\"pages\":0," \
	"\"nested\":0,\"nonblock\":0"
#define GOOD_HIST "{" HIST_FIELDS ",\"slots\":[[0,0],[2,0],[4,1]]}"
#define GOOD "{\"classes\":{\"pin\":" GOOD_HIST "}}\n"

/* Each bad input: -EINVAL, and one line naming file, line, field and reason. */
static void bad_input(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "", "f.json: empty: no report in it" },
		{ "\n  \n", "f.json: no report in it" },
		{ GOOD "not json\n", "f.json: line 2: not JSON: " },
		{ GOOD "[1,2]\n", "f.json: line 2: not a report: an array, not an object" },
		{ GOOD "{\"classes\":{\"pin\":" GOOD_HIST "}}\n{\"classes\":{\"pin\":{\"cou",
		  "f.json: line 3: cut short: not a whole JSON object" },
		{ "{\"drivers\":{}}\n", "f.json: line 1: classes: missing" },
		{ "{\"classes\":[]}\n", "f.json: line 1: classes: not an object but an array" },
		{ GOOD "{\"classes\":{\"pin\":{\"sum_ns\":5}}}\n",
		  "f.json: line 2: classes.pin.count: missing" },
		{ "{\"classes\":{\"pin\":{\"count\":\"1\"}}}\n",
		  "f.json: line 1: classes.pin.count: not an integer but a string" },
		{ "{\"classes\":{\"pin\":{" HIST_FIELDS ",\"slots\":[[0,-1]]}}}\n",
		  "f.json: line 1: classes.pin.slots[0]: negative (-1)" },
		{ "{\"classes\":{\"pin\":{" HIST_FIELDS ",\"slots\":[[3,1]]}}}\n",
		  "f.json: line 1: classes.pin.slots[0]: 3 ns is not the low edge of a log2 slot" },
		{ "{\"classes\":{\"pin\":{" HIST_FIELDS ",\"slots\":[[4]]}}}\n",
		  "f.json: line 1: classes.pin.slots[0]: not a [low_ns, count] pair" },
		{ "{\"classes\":{\"pin\":{" HIST_FIELDS ",\"slots\":[],\"buckets\":"
		  "{\"schema\":4,\"zero_count\":0,\"counts\":[[-50,1],[9999,2]]}}}}\n",
		  "f.json: line 1: classes.pin.buckets.counts[1]: index 9999 out of range (-478..546)" },
		{ "{\"classes\":{\"pin\":{" HIST_FIELDS ",\"slots\":[],\"buckets\":"
		  "{\"schema\":3,\"zero_count\":0,\"counts\":[]}}}}\n",
		  "f.json: line 1: classes.pin.buckets.schema: 3: only schema 4" },
		{ "{\"classes\":{\"pin\":{" HIST_FIELDS ",\"slots\":[],\"buckets\":"
		  "{\"schema\":4,\"counts\":[]}}}}\n",
		  "f.json: line 1: classes.pin.buckets.zero_count: missing" },
		{ "{\"classes\":{},\"drivers\":{\"i915\":7}}\n",
		  "f.json: line 1: drivers.i915: not an object but an integer" },
		{ "{\"classes\":{},\"groups\":[" GOOD_HIST "]}\n",
		  "f.json: line 1: groups[0].by: missing" },
		{ "{\"classes\":{},\"groups\":[{\"by\":{\"pid\":1.5}}]}\n",
		  "f.json: line 1: groups[0].by.pid: not a string or an integer but a real number" },
		{ "{\"classes\":{},\"groups\":[{\"by\":{\"pid\":1}," HIST_FIELDS
		  ",\"slots\":[]},{\"by\":{\"pid\":1}," HIST_FIELDS ",\"slots\":[]}]}\n",
		  "f.json: line 1: groups[1]: a second histogram labelled \"pid=1\"" },
		{ "{\"classes\":{},\"ts\":\"now\"}\n",
		  "f.json: line 1: ts: not a number but a string" },
		{ GOOD "{\"error\":\"failed to read the BPF maps\",\"prog\":\"notifier hist\"}\n",
		  "f.json: line 2: the run reported an error: failed to read the BPF maps" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ntf_hist_run run;
		char err[512];

		memset(&run, 0xaa, sizeof(run));
		memset(err, 0, sizeof(err));
		assert_int_equal(read_text(cases[i].text, &run, err, sizeof(err)), -EINVAL);
		if (strncmp(err, cases[i].want, strlen(cases[i].want)))
			fail_msg("case %zu: got \"%s\", want \"%s...\"", i, err, cases[i].want);
		assert_null(strchr(err, '\n'));
		assert_int_equal(run.n, 0);
		assert_null(run.reports);
	}
}

/* A good line with no newline at the end of the file is whole, not cut short. */
static void last_line_without_newline(void **state)
{
	struct ntf_hist_run run;
	char err[512];
	const char text[] = GOOD "{\"classes\":{\"pin\":" GOOD_HIST "}}";

	(void)state;
	assert_int_equal(read_text(text, &run, err, sizeof(err)), 0);
	assert_int_equal(run.n, 2);
	assert_int_equal(run.reports[1].groups[0].hist.slots[2], 1);
	ntf_hist_run_free(&run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(groups_by),
		cmocka_unit_test(several_lines),
		cmocka_unit_test(bad_input),
		cmocka_unit_test(last_line_without_newline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
