// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * notifierd's stats lines and summary when reading the BPF maps fails:
 * the figures are said to be unavailable, and why, never printed as zeros.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>
#include "daemon_report.h"
#include "names.h"

struct fixture {
	struct ntf_common_args c;
	struct daemon_state st;
	struct ntf_daemon_kernel k;
	__u64 prev[NTF_CLASS_MAX];
	char *buf;
	size_t len;
	FILE *out;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct ntf_event e = { .class = NTF_CLASS_INVAL_START, .tgid = 10, .latency_ns = 1000 };

	if (!f)
		return -1;
	f->c.tracer.cfg.stream = true;
	f->st.agg = ntf_agg_new(0);
	f->out = open_memstream(&f->buf, &f->len);
	if (!f->st.agg || !f->out)
		return -1;
	for (int i = 0; i < 3; i++)
		ntf_agg_add(f->st.agg, &e);
	f->st.events = f->st.per_class[NTF_CLASS_INVAL_START] = 3;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	fclose(f->out);
	free(f->buf);
	ntf_agg_free(f->st.agg);
	ntf_agg_free(f->k.hists);
	free(f);
	return 0;
}

/* What was printed so far, as a string. */
static const char *printed(struct fixture *f)
{
	fflush(f->out);
	return f->buf;
}

static json_t *printed_json(struct fixture *f)
{
	json_error_t err;
	json_t *o = json_loads(printed(f), 0, &err);

	if (!o)
		fail_msg("not JSON (%s): %s", err.text, f->buf);
	return o;
}

/* The member is JSON null, and errors names it with a reason containing why. */
static void assert_unavailable(json_t *o, const char *key, const char *why)
{
	json_t *v = json_object_get(o, key), *e = json_object_get(o, "errors");
	const char *s;

	if (!v || !json_is_null(v))
		fail_msg("\"%s\" is not null: %s", key, v ? json_dumps(v, JSON_COMPACT) : "absent");
	s = json_string_value(json_object_get(e, key));
	if (!s)
		fail_msg("no errors.%s", key);
	if (why && !strstr(s, why))
		fail_msg("errors.%s '%s' does not say '%s'", key, s, why);
}

/* A map that cannot be read for real: /dev/null is no BPF map. */
static void summary_json_unreadable_maps(void **state)
{
	struct fixture *f = *state;
	int fd = open("/dev/null", O_RDONLY);
	json_t *o;

	assert_true(fd >= 0);
	ntf_daemon_read_counters(&f->k, fd);
	ntf_daemon_read_hists(&f->k, fd, -1, -1);
	close(fd);
	assert_true(f->k.counters_err < 0);
	assert_true(f->k.hists_err < 0);

	f->c.json = true;
	ntf_daemon_summary_print(f->out, &f->c, &f->st, &f->k, 1000);
	o = printed_json(f);
	assert_unavailable(o, "counters", strerror(-f->k.counters_err));
	assert_unavailable(o, "kernel", strerror(-f->k.hists_err));
	/* what the stream measured is still there */
	assert_int_equal(json_integer_value(json_object_get(o, "events")), 3);
	json_decref(o);
}

static void summary_text_counters_unreadable(void **state)
{
	struct fixture *f = *state;

	f->k.counters_err = -EIO;
	ntf_daemon_summary_print(f->out, &f->c, &f->st, &f->k, 1000);
	assert_non_null(strstr(printed(f), "3 events streamed"));
	assert_null(strstr(f->buf, "0 dropped"));
	assert_non_null(strstr(f->buf, "drops unavailable"));
	assert_non_null(strstr(f->buf, strerror(EIO)));
}

/* With -H the text report is the in-kernel one: not "no events" when unread. */
static void summary_text_hist_only_hists_unreadable(void **state)
{
	struct fixture *f = *state;

	f->c.tracer.cfg.stream = false;
	f->k.hists = ntf_agg_new(0);
	f->k.hists_err = -EIO;
	ntf_daemon_summary_print(f->out, &f->c, &f->st, &f->k, 1000);
	assert_non_null(strstr(printed(f), "in-kernel histograms unavailable"));
	assert_non_null(strstr(f->buf, strerror(EIO)));
	assert_null(strstr(f->buf, "no events"));
}

static void stats_json_counters_unreadable(void **state)
{
	struct fixture *f = *state;
	json_t *o;

	f->c.json = true;
	f->k.counters_err = -EPERM;
	ntf_daemon_stats_print(f->out, &f->c, &f->st, &f->k, f->prev, 1000);
	o = printed_json(f);
	assert_unavailable(o, "counters", strerror(EPERM));
	json_decref(o);
}

static void stats_text_counters_unreadable(void **state)
{
	struct fixture *f = *state;

	f->k.counters_err = -EPERM;
	ntf_daemon_stats_print(f->out, &f->c, &f->st, &f->k, f->prev, 1000);
	assert_non_null(strstr(printed(f), "inval_start 3"));
	assert_null(strstr(f->buf, "drops 0"));
	assert_non_null(strstr(f->buf, "drops unavailable"));
}

/* Reads that worked are printed as before, with no errors member. */
static void summary_reads_that_worked(void **state)
{
	struct fixture *f = *state;
	json_t *o;

	f->k.counters[NTF_CNT_RB_DROPS] = 7;
	f->k.hists = ntf_agg_new(0);
	f->c.json = true;
	ntf_daemon_summary_print(f->out, &f->c, &f->st, &f->k, 1000);
	o = printed_json(f);
	assert_int_equal(json_integer_value(
				 json_object_get(json_object_get(o, "counters"), "ringbuf_drops")),
			 7);
	assert_true(json_is_object(json_object_get(o, "kernel")));
	assert_null(json_object_get(o, "errors"));
	json_decref(o);

	rewind(f->out);
	f->c.json = false;
	ntf_daemon_summary_print(f->out, &f->c, &f->st, &f->k, 1000);
	assert_non_null(strstr(printed(f), "3 events streamed, 7 dropped"));
}

/* --synthetic: no maps, so no counters, and nothing to call an error. */
static void synthetic_has_no_counters(void **state)
{
	struct fixture *f = *state;
	json_t *o;

	f->c.json = true;
	ntf_daemon_summary_print(f->out, &f->c, &f->st, NULL, 1000);
	o = printed_json(f);
	assert_null(json_object_get(o, "counters"));
	assert_null(json_object_get(o, "errors"));
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(summary_json_unreadable_maps, setup, teardown),
		cmocka_unit_test_setup_teardown(summary_text_counters_unreadable, setup, teardown),
		cmocka_unit_test_setup_teardown(summary_text_hist_only_hists_unreadable, setup,
						teardown),
		cmocka_unit_test_setup_teardown(stats_json_counters_unreadable, setup, teardown),
		cmocka_unit_test_setup_teardown(stats_text_counters_unreadable, setup, teardown),
		cmocka_unit_test_setup_teardown(summary_reads_that_worked, setup, teardown),
		cmocka_unit_test_setup_teardown(synthetic_has_no_counters, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
