// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
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
#include "names.h"
#include "report.h"

static void add(struct ntf_agg *agg, unsigned int class, __u32 tgid, __u64 ns, __s64 ret)
{
	struct ntf_event e;

	memset(&e, 0, sizeof(e));
	e.class = class;
	e.mech = NTF_MECH_FENTRY;
	e.tgid = e.pid = tgid;
	e.latency_ns = ns;
	e.ret = ret;
	snprintf(e.comm, sizeof(e.comm), "proc%u", tgid);
	assert_int_equal(ntf_agg_add(agg, &e), 0);
}

/*
 * inval_start: 99 x 1000 ns over two processes, then one 1 ms outlier.
 * fence_wait: one 50 ms wait. pin: two calls pinning 8 and 4 pages.
 * Everything else is empty.
 */
static int setup(void **state)
{
	struct ntf_agg *agg = ntf_agg_new(0);

	if (!agg)
		return -1;
	for (int i = 0; i < 99; i++)
		add(agg, NTF_CLASS_INVAL_START, i % 2 ? 10 : 20, 1000, 0);
	add(agg, NTF_CLASS_INVAL_START, 10, 1000000, 0);
	add(agg, NTF_CLASS_FENCE_WAIT, 30, 50000000, 0);
	add(agg, NTF_CLASS_PIN, 10, 300, 8);
	add(agg, NTF_CLASS_PIN, 10, 5000, 4);
	*state = agg;
	return 0;
}

static int teardown(void **state)
{
	ntf_agg_free(*state);
	return 0;
}

static json_int_t jint(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	assert_non_null(v);
	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

static json_t *json_class(json_t *root, const char *name)
{
	json_t *c = json_object_get(json_object_get(root, "classes"), name);

	assert_non_null(c);
	return c;
}

static void json_counts_quantiles_max(void **state)
{
	struct ntf_report_opts opts = {};
	json_t *root = ntf_report_json(*state, NULL, &opts), *c;

	assert_non_null(root);
	assert_int_equal(json_object_size(json_object_get(root, "classes")), NTF_CLASS_MAX - 1);
	/* no probe state given: no probes key */
	assert_null(json_object_get(root, "probes"));
	assert_null(json_object_get(root, "processes"));

	c = json_class(root, "inval_start");
	assert_int_equal(jint(c, "count"), 100);
	assert_int_equal(jint(c, "sum_ns"), 99 * 1000 + 1000000);
	assert_int_equal(jint(c, "max_ns"), 1000000);
	/* 99 events of 1 us and one of 1 ms: the fine buckets put p50 and p99 at 1 us */
	assert_string_equal(json_string_value(json_object_get(c, "quantiles")), "fine");
	assert_in_range(jint(c, "p50_ns"), 1000 * 0.978, 1000 * 1.022);
	assert_in_range(jint(c, "p99_ns"), 1000 * 0.978, 1000 * 1.022);
	/* rank 100 of 100: the outlier, never above the exact max */
	assert_in_range(jint(c, "p999_ns"), 1000000 * 0.978, 1000000);
	assert_int_equal(jint(c, "min_ns"), 1000);

	c = json_class(root, "fence_wait");
	assert_int_equal(jint(c, "count"), 1);
	assert_int_equal(jint(c, "p50_ns"), 50000000);
	assert_int_equal(jint(c, "max_ns"), 50000000);

	c = json_class(root, "pin");
	assert_int_equal(jint(c, "count"), 2);
	assert_int_equal(jint(c, "pages"), 12);
	assert_int_equal(jint(c, "max_ns"), 5000);

	c = json_class(root, "unmap");
	assert_int_equal(jint(c, "count"), 0);
	assert_int_equal(jint(c, "p50_ns"), 0);
	assert_int_equal(jint(c, "max_ns"), 0);
	assert_int_equal(jint(c, "slot_count"), NTF_HIST_SLOTS);
	json_decref(root);
}

/* Checks slots is [[low_ns, count], ...] from slot 0 up to the last non-empty one. */
static void check_slots(json_t *slots, const struct ntf_hist *want)
{
	int last = -1;

	for (int i = 0; i < NTF_HIST_SLOTS; i++)
		if (want->slots[i])
			last = i;
	assert_true(json_is_array(slots));
	assert_int_equal(json_array_size(slots), last + 1);
	for (int i = 0; i <= last; i++) {
		json_t *pair = json_array_get(slots, i);

		assert_true(json_is_array(pair));
		assert_int_equal(json_array_size(pair), 2);
		assert_int_equal(json_integer_value(json_array_get(pair, 0)), ntf_hist_slot_low(i));
		assert_int_equal(json_integer_value(json_array_get(pair, 1)), want->slots[i]);
	}
}

static void json_slots_pairs_without_trailing_empties(void **state)
{
	struct ntf_report_opts opts = {};
	json_t *root = ntf_report_json(*state, NULL, &opts), *slots, *pair;
	struct ntf_hist total;

	slots = json_object_get(json_class(root, "inval_start"), "slots");
	/* slots 0..19: 1000 ns in slot 9, 1 ms in slot 19 (524288..1048575) */
	assert_int_equal(json_array_size(slots), 20);
	pair = json_array_get(slots, 9);
	assert_int_equal(json_integer_value(json_array_get(pair, 0)), 512);
	assert_int_equal(json_integer_value(json_array_get(pair, 1)), 99);
	pair = json_array_get(slots, 19);
	assert_int_equal(json_integer_value(json_array_get(pair, 0)), 524288);
	assert_int_equal(json_integer_value(json_array_get(pair, 1)), 1);
	pair = json_array_get(slots, 0);
	assert_int_equal(json_integer_value(json_array_get(pair, 0)), 0);
	assert_int_equal(json_integer_value(json_array_get(pair, 1)), 0);
	ntf_agg_class_total(*state, NTF_CLASS_INVAL_START, &total);
	check_slots(slots, &total);

	/* 50 ms: slot 25 (33554432..) is the last */
	slots = json_object_get(json_class(root, "fence_wait"), "slots");
	assert_int_equal(json_array_size(slots), 26);
	pair = json_array_get(slots, 25);
	assert_int_equal(json_integer_value(json_array_get(pair, 0)), 33554432);
	assert_int_equal(json_integer_value(json_array_get(pair, 1)), 1);
	ntf_agg_class_total(*state, NTF_CLASS_FENCE_WAIT, &total);
	check_slots(slots, &total);

	/* empty class: empty array */
	slots = json_object_get(json_class(root, "unpin"), "slots");
	assert_true(json_is_array(slots));
	assert_int_equal(json_array_size(slots), 0);
	json_decref(root);
}

static void json_class_mask_and_processes(void **state)
{
	struct ntf_report_opts opts = {
		.class_mask = 1u << NTF_CLASS_PIN | 1u << NTF_CLASS_FENCE_WAIT,
		.per_process = true,
	};
	json_t *root = ntf_report_json(*state, NULL, &opts), *procs, *p;
	size_t i, pin_rows = 0;

	assert_int_equal(json_object_size(json_object_get(root, "classes")), 2);
	assert_null(json_object_get(json_object_get(root, "classes"), "inval_start"));
	json_class(root, "pin");
	procs = json_object_get(root, "processes");
	assert_true(json_is_array(procs));
	/* (fence_wait, 30) and (pin, 10); inval_start's two are not wanted */
	assert_int_equal(json_array_size(procs), 2);
	json_array_foreach(procs, i, p)
	{
		const char *class = json_string_value(json_object_get(p, "class"));

		assert_non_null(class);
		assert_true(!strcmp(class, "pin") || !strcmp(class, "fence_wait"));
		if (strcmp(class, "pin"))
			continue;
		pin_rows++;
		assert_int_equal(jint(p, "tgid"), 10);
		assert_string_equal(json_string_value(json_object_get(p, "comm")), "proc10");
		assert_int_equal(jint(p, "count"), 2);
		assert_int_equal(jint(p, "pages"), 12);
	}
	assert_int_equal(pin_rows, 1);
	json_decref(root);
}

/* The text of one class's section: from its "name (" header to the next blank line. */
static char *section(const char *text, const char *name)
{
	char head[64], *start, *end;

	snprintf(head, sizeof(head), "\n%s (", name);
	start = strstr(text, head);
	assert_non_null(start);
	start++;
	end = strstr(start, "\n\n");
	return strndup(start, end ? (size_t)(end - start) : strlen(start));
}

static char *text_report(const struct ntf_agg *agg, const struct ntf_probe_state *probes,
			 const struct ntf_report_opts *opts)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	ntf_report_text(f, agg, probes, opts);
	fclose(f);
	assert_non_null(text);
	return text;
}

static void text_no_events_for_empty_classes(void **state)
{
	struct ntf_report_opts opts = { .graphs = true };
	char *text = text_report(*state, NULL, &opts), *s;

	for (unsigned int c = NTF_CLASS_INVAL_START; c < NTF_CLASS_MAX; c++) {
		bool empty = c == NTF_CLASS_INVAL_END || c == NTF_CLASS_UNMAP ||
			     c == NTF_CLASS_UNPIN || c == NTF_CLASS_CALLBACK;

		s = section(text, ntf_class_name(c));
		if (empty) {
			assert_non_null(strstr(s, "no events"));
			assert_null(strstr(s, "count"));
		} else {
			assert_null(strstr(s, "no events"));
			assert_non_null(strstr(s, "count"));
		}
		/* no probe state: nothing claims to be attached */
		assert_non_null(strstr(s, "(not attached)"));
		free(s);
	}
	s = section(text, "inval_start");
	assert_non_null(strstr(s, "count 100 "));
	assert_non_null(strstr(s, "nsecs")); /* the graph */
	free(s);
	s = section(text, "pin");
	assert_non_null(strstr(s, "pages 12"));
	free(s);
	free(text);

	/* an empty aggregate: every class says so */
	struct ntf_agg *empty = ntf_agg_new(0);
	int sections = 0;

	text = text_report(empty, NULL, &opts);
	for (char *p = text; (p = strstr(p, "no events")); p++)
		sections++;
	assert_int_equal(sections, NTF_CLASS_MAX - 1);
	free(text);
	ntf_agg_free(empty);
}

static void text_and_json_name_the_mechanism(void **state)
{
	struct ntf_probe_state *st = calloc(ntf_probe_count, sizeof(*st));
	struct ntf_report_opts opts = {};
	unsigned int fence = ntf_probe_count;
	json_t *root, *probes, *p;
	char *text, *s;
	size_t i;

	assert_non_null(st);
	for (i = 0; i < ntf_probe_count; i++) {
		st[i].point = &ntf_probe_points[i];
		snprintf(st[i].why[NTF_MECH_FENTRY], NTF_REASON_LEN, "refused at load: test");
		if (!strcmp(ntf_probe_points[i].id, "fence_wait"))
			fence = i;
	}
	assert_true(fence < ntf_probe_count);
	st[fence].mech = NTF_MECH_TRACEPOINT;
	st[fence].attached = true;
	/* chosen and loaded, then the attach failed: not live */
	assert_string_equal(ntf_probe_points[0].id, "inval_start");
	st[0].mech = NTF_MECH_FENTRY;

	text = text_report(*state, st, &opts);
	s = section(text, "fence_wait");
	assert_non_null(strstr(s, "(tracepoint)"));
	free(s);
	s = section(text, "inval_start");
	assert_non_null(strstr(s, "(not attached)"));
	free(s);
	free(text);

	root = ntf_report_json(*state, st, &opts);
	probes = json_object_get(root, "probes");
	assert_int_equal(json_array_size(probes), ntf_probe_count);
	json_array_foreach(probes, i, p)
	{
		const char *id = json_string_value(json_object_get(p, "id"));
		json_t *why = json_object_get(p, "why");

		assert_string_equal(id, ntf_probe_points[i].id);
		assert_string_equal(json_string_value(json_object_get(why, "fentry")),
				    "refused at load: test");
		if (i == fence) {
			assert_true(json_is_true(json_object_get(p, "attached")));
			assert_string_equal(json_string_value(json_object_get(p, "mech")),
					    "tracepoint");
		} else {
			assert_true(json_is_false(json_object_get(p, "attached")));
			assert_string_equal(json_string_value(json_object_get(p, "mech")), "none");
		}
	}
	json_decref(root);
	free(st);
}

/*
 * Every id discovery can hand out reaches the reports: the last one as
 * well as the first (reports once stopped at id 63, dropping the 50th
 * and later discovered drivers).
 */
static void reports_name_every_discovered_id(void **state)
{
	struct ntf_agg *agg = *state;
	__u32 ids[] = { ntf_callback_first_discovered(), ntf_callback_id_end() - 1 };
	const char *names[] = { "first_drv", "last_drv" };
	struct ntf_report_opts opts = {};
	char *text = NULL;
	size_t len = 0;
	FILE *out;
	json_t *root, *cbs;

	for (int i = 0; i < 2; i++) {
		struct ntf_event e = { .class = NTF_CLASS_CALLBACK, .mech = NTF_MECH_KPROBE };

		assert_int_equal(ntf_driver_name_set(ids[i], names[i]), 0);
		e.callback = ids[i];
		e.tgid = e.pid = 40 + i;
		e.latency_ns = 7000;
		for (int n = 0; n <= i; n++)
			assert_int_equal(ntf_agg_add(agg, &e), 0);
	}
	assert_int_equal(ntf_driver_name_set(ntf_callback_id_end(), "past_end"), -EINVAL);
	root = ntf_report_json(agg, NULL, &opts);
	cbs = json_object_get(root, "drivers");
	assert_int_equal(jint(json_object_get(cbs, "first_drv"), "count"), 1);
	assert_int_equal(jint(json_object_get(cbs, "last_drv"), "count"), 2);
	json_decref(root);
	out = open_memstream(&text, &len);
	ntf_report_text(out, agg, NULL, &opts);
	fclose(out);
	assert_non_null(strstr(text, "first_drv:"));
	assert_non_null(strstr(text, "last_drv:"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(json_counts_quantiles_max, setup, teardown),
		cmocka_unit_test_setup_teardown(reports_name_every_discovered_id, setup, teardown),
		cmocka_unit_test_setup_teardown(json_slots_pairs_without_trailing_empties, setup,
						teardown),
		cmocka_unit_test_setup_teardown(json_class_mask_and_processes, setup, teardown),
		cmocka_unit_test_setup_teardown(text_no_events_for_empty_classes, setup, teardown),
		cmocka_unit_test_setup_teardown(text_and_json_name_the_mechanism, setup, teardown),
	};

	return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}
