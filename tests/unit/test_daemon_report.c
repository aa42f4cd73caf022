// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * notifierd's stats lines and summary when reading the BPF maps fails:
 * the figures are said to be unavailable, and why, never printed as zeros.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
#include "callbacks.h"
#include "daemon_report.h"
#include "names.h"
#include "record.h"

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

/* The driver a trace file names the first discovered callback id, read to its end. */
static const char *named(const char *path)
{
	static char driver[NTF_DRIVER_LEN];
	struct ntf_rec_reader *r;
	struct ntf_event e;
	const char *d;

	assert_int_equal(ntf_rec_reader_open(&r, path, NULL), 0);
	while (ntf_rec_next(r, &e) > 0)
		;
	d = ntf_rec_meta_driver(ntf_rec_read_meta(r), ntf_callback_first_discovered());
	snprintf(driver, sizeof(driver), "%s", d ? d : "(none)");
	ntf_rec_reader_close(r);
	return driver;
}

/*
 * A daemon that records and keeps a flight recorder: the stats and the
 * summary say how much went where, and the snapshot taken.
 */
static void recording_said(void **state)
{
	struct fixture *f = *state;
	char tmp[] = "/tmp/ntf-drep.XXXXXX", dir[64], fdir[64], why[PATH_MAX + 128], cmd[96];
	struct daemon_rec_opts o = { .flight = true, .fl = { .window_ns = 10000000000ULL } };
	struct ntf_event e = {
		.class = NTF_CLASS_CALLBACK, .mech = NTF_MECH_FENTRY, .tgid = 10, .latency_ns = 1000
	};
	struct daemon_rec_snap snap;
	struct daemon_rec dr;
	json_t *j, *rec, *fl;
	__u64 prev_s;
	int snaps;

	assert_non_null(mkdtemp(tmp));
	snprintf(dir, sizeof(dir), "%s/rec", tmp);
	snprintf(fdir, sizeof(fdir), "%s/flight", tmp);
	o.dir = dir;
	o.flight_dir = fdir;
	assert_int_equal(daemon_rec_open(&dr, &o, "test 1", NULL, 0), 0);
	for (int i = 0; i < 1000; i++) {
		e.ts_ns = 1000000000ULL + i * 1000ULL;
		daemon_rec_event(&dr, &e);
	}
	/* a driver discovery names mid-run reaches both */
	assert_int_equal(ntf_driver_name_set(ntf_callback_first_discovered(), "late_drv"), 0);
	daemon_rec_tick(&dr, 1);
	assert_int_equal(daemon_rec_snapshot(&dr, "SIGUSR1", &snap, why, sizeof(why)), 0);
	assert_int_equal(snap.snap.events, 1000);
	assert_non_null(strstr(snap.path, "/flight/notifier-flight-"));
	assert_string_equal(named(snap.path), "late_drv");
	/*
	 * A second snapshot within the same second takes the next name. The
	 * clock may tick between two: then the later one is plain and one more
	 * lands in its second.
	 */
	snaps = 1;
	do {
		prev_s = snap.wall_ns / 1000000000;
		assert_int_equal(daemon_rec_snapshot(&dr, "socket", &snap, why, sizeof(why)), 0);
		snaps++;
	} while (snap.wall_ns / 1000000000 != prev_s && snaps < 4);
	assert_int_equal(snap.wall_ns / 1000000000, prev_s);
	assert_non_null(strstr(snap.path, "-1.ntr"));
	daemon_rec_close(&dr);
	assert_string_equal(named(dr.rst.path), "late_drv");
	f->st.rec = &dr;

	f->c.json = true;
	ntf_daemon_stats_print(f->out, &f->c, &f->st, NULL, f->prev, 1000);
	j = printed_json(f);
	rec = json_object_get(j, "record");
	fl = json_object_get(j, "flight");
	assert_string_equal(json_string_value(json_object_get(rec, "dir")), dir);
	assert_int_equal(json_integer_value(json_object_get(rec, "files")), 1);
	assert_int_equal(json_integer_value(json_object_get(rec, "events")), 1000);
	/* closed: every event is in a whole block */
	assert_int_equal(json_integer_value(json_object_get(rec, "committed_events")), 1000);
	assert_true(json_is_null(json_object_get(rec, "error")));
	assert_int_equal(json_integer_value(json_object_get(fl, "snapshots")), snaps);
	assert_int_equal(json_integer_value(json_object_get(fl, "window_ns")), 10000000000LL);
	assert_string_equal(json_string_value(json_object_get(fl, "last_snapshot")), snap.path);
	json_decref(j);

	rewind(f->out);
	f->c.json = false;
	ntf_daemon_summary_print(f->out, &f->c, &f->st, NULL, 1000);
	snprintf(why, sizeof(why), "recorded 1000 events into 1 file in %s", dir);
	assert_non_null(strstr(printed(f), why));
	snprintf(why, sizeof(why), "%d snapshots, the last ", snaps);
	assert_non_null(strstr(f->buf, why));
	daemon_rec_free(&dr);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	assert_int_equal(system(cmd), 0);
}

/* Recording that stopped (a full disk) is said in each, with the recorder's reason. */
static void stopped_recording_said(void **state)
{
	struct fixture *f = *state;
	struct daemon_rec dr = { .o = { .dir = "/x" }, .rec_err = -ENOSPC };
	json_t *j;

	dr.rst.files = 3;
	dr.rst.committed_events = 500;
	snprintf(dr.rst.error, sizeof(dr.rst.error),
		 "recording stopped: writing /x/f.ntr: No space left on device");
	f->st.rec = &dr;
	ntf_daemon_stats_print(f->out, &f->c, &f->st, NULL, f->prev, 1000);
	assert_non_null(strstr(printed(f), "  rec stopped\n"));
	rewind(f->out);
	ntf_daemon_summary_print(f->out, &f->c, &f->st, NULL, 1000);
	assert_non_null(strstr(printed(f), "recording to /x stopped: writing /x/f.ntr: No space "
					   "left on device; 500 events in 3 files before it\n"));
	rewind(f->out);
	f->c.json = true;
	ntf_daemon_summary_print(f->out, &f->c, &f->st, NULL, 1000);
	j = printed_json(f);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(j, "record"), "error")),
		"writing /x/f.ntr: No space left on device");
	assert_null(json_object_get(j, "flight"));
	json_decref(j);
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
		cmocka_unit_test_setup_teardown(recording_said, setup, teardown),
		cmocka_unit_test_setup_teardown(stopped_recording_said, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
