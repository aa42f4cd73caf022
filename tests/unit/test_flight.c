// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The flight recorder: a snapshot holds exactly the events of its time
 * window (by the newest event's ts_ns, whatever the order events came
 * in), a size window keeps the newest blocks within its bytes, snapshots
 * read back whole with their trigger, twice as well as once, and an
 * empty recorder gives a valid empty file.
 */
#define _GNU_SOURCE
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
#include <sys/stat.h>
#include <cmocka.h>
#include "flight.h"
#include "rec_codec.h"
#include "rec_events.h"
#include "trace_format.h"

#define MS 1000000ULL
#define SEC 1000000000ULL

static char dir[] = "/tmp/ntf-flight-XXXXXX";

static void path_of(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

static struct ntf_rec_meta *test_meta(void)
{
	static struct ntf_rec_meta m;

	ntf_rec_meta_init(&m, "test_flight");
	return &m;
}

/*
 * n events of the synthetic mix, one a millisecond from t0 with a
 * latency of up to 3 ms, in the order a ring buffer gives them: by end
 * time, so that start times (ts_ns) come out of order.
 */
static int by_end(const void *a, const void *b)
{
	const struct ntf_event *x = a, *y = b;
	__u64 ex = x->ts_ns + x->latency_ns, ey = y->ts_ns + y->latency_ns;

	return ex < ey ? -1 : ex > ey;
}

static struct evs timed(__u64 seed, size_t n, __u64 t0)
{
	struct evs v = synth(seed, n);

	for (size_t i = 0; i < n; i++) {
		v.e[i].ts_ns = t0 + i * MS;
		v.e[i].latency_ns = (i * 7919) % (3 * MS);
	}
	qsort(v.e, n, sizeof(*v.e), by_end);
	return v;
}

/* The events of v[0..n) that a window of w keeps: at most w older than the newest. */
static struct evs in_window(const struct evs *v, size_t n, __u64 w)
{
	struct evs out = {};
	__u64 newest = 0;

	for (size_t i = 0; i < n; i++)
		if (v->e[i].ts_ns > newest)
			newest = v->e[i].ts_ns;
	for (size_t i = 0; i < n; i++)
		if (v->e[i].ts_ns + w >= newest)
			collect(&out, &v->e[i]);
	return out;
}

static void assert_events(const struct evs *want, const struct evs *got)
{
	if (got->n != want->n) {
		print_error("%zu events, %zu expected\n", got->n, want->n);
		fail();
	}
	for (size_t i = 0; i < got->n; i++)
		assert_same(&want->e[i], &got->e[i], i);
}

/* The EVENTS blocks of a file: their bytes (headers included) in all, and the largest. */
static void block_bytes(const char *path, __u64 *total, __u64 *largest)
{
	struct stat sb;
	int fd = open(path, O_RDONLY);
	__u64 off = NTR_PREAMBLE_LEN;
	__u8 *p;

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &sb), 0);
	p = malloc(sb.st_size);
	assert_int_equal(pread(fd, p, sb.st_size, 0), sb.st_size);
	close(fd);
	*total = *largest = 0;
	while (off + NTR_BLOCK_HDR_LEN <= (__u64)sb.st_size) {
		__u64 n = NTR_BLOCK_HDR_LEN + rec_get_le(p + off + NTR_H_STORED, 4);

		if (p[off + NTR_H_KIND] == NTR_K_EVENTS) {
			*total += n;
			if (n > *largest)
				*largest = n;
		}
		off += n;
	}
	assert_int_equal(off, sb.st_size);
	free(p);
}

/* ---- tests ---- */

/* 20 s of events, a 5 s window: exactly the last 5 s by ts_ns, in the order they came. */
static void time_window_exact(void **state)
{
	struct ntf_flight_opts o = { .window_ns = 5 * SEC };
	struct ntf_flight_trigger t = { .what = "SIGUSR1",
					.wall_ns = 1700000000 * SEC,
					.mono_ns = 42 };
	const __u64 t0 = 1000 * SEC;
	struct evs v = timed(1, 20000, t0), want, got = {};
	struct ntf_rec_meta *m = malloc(sizeof(*m));
	struct ntf_flight_stats st;
	struct ntf_rec_status rs;
	struct ntf_flight_snap snap;
	struct ntf_flight *f;
	char path[300];

	(void)state;
	path_of(path, sizeof(path), "time.ntr");
	assert_int_equal(ntf_flight_new(&f, test_meta(), &o), 0);
	for (size_t i = 0; i < v.n; i++)
		assert_int_equal(ntf_flight_write(f, &v.e[i]), 0);
	ntf_flight_stats(f, &st);
	/* memory holds the window and a block, 1 s of events, no more */
	assert_true(st.blocks <= 5 + 2);
	assert_true(st.oldest_ns + 5 * SEC + 1 * SEC + 3 * MS >= st.newest_ns);
	assert_int_equal(ntf_flight_snapshot(f, path, &t, &snap), 0);
	want = in_window(&v, v.n, o.window_ns);
	assert_int_equal(read_events(path, &got, &rs, m), want.n);
	assert_int_equal(rs.stop, NTF_REC_COMPLETE);
	assert_events(&want, &got);
	assert_int_equal(snap.events, want.n);
	assert_int_equal(access(path, F_OK), 0);

	assert_string_equal(m->flight.trigger, "SIGUSR1");
	assert_int_equal(m->flight.trigger_wall_ns, t.wall_ns);
	assert_int_equal(m->flight.trigger_mono_ns, 42);
	assert_int_equal(m->flight.window_ns, 5 * SEC);
	assert_int_equal(m->flight.window_bytes, 0);
	assert_int_equal(m->flight.to_ns, t0 + (v.n - 1) * MS);
	assert_int_equal(m->flight.from_ns, t0 + (v.n - 1) * MS - 5 * SEC);
	assert_int_equal(m->flight.dropped, v.n - want.n);
	assert_string_equal(m->host, test_meta()->host);
	ntf_flight_stats(f, &st);
	assert_int_equal(st.dropped, v.n - want.n);
	assert_int_equal(st.kept_events, want.n);
	assert_int_equal(st.snapshots, 1);
	print_message("    %zu of %zu events in %llu bytes; %u blocks, %llu bytes held\n", want.n,
		      v.n, (unsigned long long)snap.bytes, st.blocks,
		      (unsigned long long)st.memory);
	ntf_flight_free(f);
	free(want.e);
	free(got.e);
	free(v.e);
	free(m);
}

/*
 * Events with kernel stacks: a snapshot defines the stacks its events
 * name, also in blocks trimmed to the window, twice as well as once; the
 * kernel's ids never reach a file; a stack due but not given is lost.
 */
static void stacks(void **state)
{
	struct ntf_flight_opts o = { .window_ns = 5 * SEC };
	struct ntf_rec_frame frames[NTF_REC_MAX_DEPTH];
	struct evs v = timed(4, 20000, 1000 * SEC), want, got = {};
	struct ntf_flight_stats st;
	struct ntf_flight *f;
	struct ntf_event plain, lost;
	size_t want_with = 0, all_with = 0;
	char path[300];

	(void)state;
	assert_int_equal(ntf_flight_new(&f, test_meta(), &o), 0);
	for (size_t i = 0; i < v.n; i++) {
		unsigned int m = test_stack(&v.e[i], frames);

		all_with += m > 0;
		v.e[i].stack_id = test_kernel_stack_id(&v.e[i]);
		assert_int_equal(ntf_flight_write_stack(f, &v.e[i], frames, m), 0);
	}
	want = in_window(&v, v.n, o.window_ns);
	for (size_t i = 0; i < want.n; i++)
		want_with += test_stack_kind(&want.e[i]) > 0;
	for (int snap = 0; snap < 2; snap++) {
		path_of(path, sizeof(path), snap ? "stacks-2.ntr" : "stacks-1.ntr");
		assert_int_equal(ntf_flight_snapshot(f, path, NULL, NULL), 0);
		assert_int_equal(assert_file_stacks(path), want_with);
	}
	ntf_flight_stats(f, &st);
	assert_int_equal(st.stacks, all_with);
	assert_int_equal(st.stacks_lost, 0);
	/* every other field as written, the window exact */
	read_events(path, &got, NULL, NULL);
	for (size_t i = 0; i < got.n; i++)
		got.e[i].stack_id = 0;
	for (size_t i = 0; i < want.n; i++)
		want.e[i].stack_id = 0;
	assert_events(&want, &got);
	print_message("    %zu of %zu events in the window with stacks; %llu bytes held\n",
		      want_with, want.n, (unsigned long long)st.memory);
	ntf_flight_free(f);

	assert_int_equal(ntf_flight_new(&f, test_meta(), &o), 0);
	plain = v.e[0];
	plain.stack_id = 7001;
	lost = v.e[1];
	lost.stack_id = 7002;
	assert_int_equal(ntf_flight_write(f, &plain), 0);
	assert_int_equal(ntf_flight_write_stack(f, &lost, frames, 0), 0);
	ntf_flight_stats(f, &st);
	assert_int_equal(st.stacks, 0);
	assert_int_equal(st.stacks_lost, 1);
	path_of(path, sizeof(path), "stacks-lost.ntr");
	assert_int_equal(ntf_flight_snapshot(f, path, NULL, NULL), 0);
	free(got.e);
	got = (struct evs){};
	assert_int_equal(read_events(path, &got, NULL, NULL), 2);
	assert_int_equal(got.e[0].stack_id, 0);
	assert_false(got.e[0].flags & NTF_F_STACK_LOST);
	assert_int_equal(got.e[1].stack_id, 0);
	assert_true(got.e[1].flags & NTF_F_STACK_LOST);
	ntf_flight_free(f);
	free(got.e);
	free(want.e);
	free(v.e);
}

/* A size window: the newest blocks that fit in it, no fewer, and their events whole. */
static void size_window(void **state)
{
	const __u64 max = 256 << 10;
	struct ntf_flight_opts o = { .max_bytes = max };
	struct evs v = synth(2, 400000), got = {};
	struct ntf_rec_meta *m = malloc(sizeof(*m));
	struct ntf_flight_stats st;
	struct ntf_flight *f;
	__u64 total, largest;
	char path[300];

	(void)state;
	path_of(path, sizeof(path), "size.ntr");
	assert_int_equal(ntf_flight_new(&f, test_meta(), &o), 0);
	for (size_t i = 0; i < v.n; i++)
		assert_int_equal(ntf_flight_write(f, &v.e[i]), 0);
	assert_int_equal(ntf_flight_snapshot(f, path, NULL, NULL), 0);
	ntf_flight_stats(f, &st);
	read_events(path, &got, NULL, m);
	/* the end of the stream, whole */
	assert_true(got.n > 0 && got.n < v.n);
	for (size_t i = 0; i < got.n; i++)
		assert_same(&v.e[v.n - got.n + i], &got.e[i], i);
	assert_int_equal(got.n, st.kept_events);
	assert_int_equal(st.dropped, v.n - got.n);
	block_bytes(path, &total, &largest);
	assert_int_equal(total, st.kept_bytes);
	assert_true(total <= max);
	assert_true(total + largest > max);
	assert_string_equal(m->flight.trigger, "unknown");
	assert_true(m->flight.trigger_wall_ns > 0);
	assert_int_equal(m->flight.window_bytes, max);
	assert_int_equal(m->flight.window_ns, 0);
	print_message("    %zu of %zu events in %llu of %llu bytes (blocks of up to %llu)\n", got.n,
		      v.n, (unsigned long long)total, (unsigned long long)max,
		      (unsigned long long)largest);
	ntf_flight_free(f);
	free(got.e);
	free(v.e);
	free(m);
}

/* Both bounds: the time window, unless the bytes run out first. */
static void time_and_size(void **state)
{
	struct ntf_flight_opts o = { .window_ns = 5 * SEC, .max_bytes = 1 << 30 };
	const __u64 t0 = 50 * SEC;
	struct evs v = timed(3, 12000, t0), want, got = {};
	struct ntf_flight_stats st;
	struct ntf_flight *f;
	char path[300];

	(void)state;
	path_of(path, sizeof(path), "both.ntr");
	/* bytes to spare: the time window decides */
	assert_int_equal(ntf_flight_new(&f, NULL, &o), 0);
	for (size_t i = 0; i < v.n; i++)
		assert_int_equal(ntf_flight_write(f, &v.e[i]), 0);
	assert_int_equal(ntf_flight_snapshot(f, path, NULL, NULL), 0);
	want = in_window(&v, v.n, o.window_ns);
	read_events(path, &got, NULL, NULL);
	assert_events(&want, &got);
	ntf_flight_free(f);
	/* few bytes: they decide */
	o.max_bytes = 8 << 10;
	got.n = 0;
	assert_int_equal(ntf_flight_new(&f, NULL, &o), 0);
	for (size_t i = 0; i < v.n; i++)
		assert_int_equal(ntf_flight_write(f, &v.e[i]), 0);
	assert_int_equal(ntf_flight_snapshot(f, path, NULL, NULL), 0);
	ntf_flight_stats(f, &st);
	read_events(path, &got, NULL, NULL);
	assert_true(got.n > 0 && got.n < want.n);
	assert_true(st.kept_bytes <= o.max_bytes);
	for (size_t i = 0; i < got.n; i++)
		assert_same(&v.e[v.n - got.n + i], &got.e[i], i);
	ntf_flight_free(f);
	free(want.e);
	free(got.e);
	free(v.e);
}

/* Recording goes on after a snapshot; the next holds its own window, names found since. */
static void snapshot_twice(void **state)
{
	struct ntf_flight_opts o = { .window_ns = 3 * SEC };
	struct ntf_rec_callback cb = { .id = NTF_REC_MAX_CALLBACKS - 1, .driver = "late_drv" };
	struct ntf_flight_trigger t1 = { .what = "socket" }, t2 = { .what = "policy:slow-inval" };
	struct evs v = timed(4, 10000, 7 * SEC), want, got = {}, first = {};
	struct ntf_rec_meta *m = malloc(sizeof(*m));
	struct ntf_flight *f;
	char p1[300], p2[300];
	size_t half = v.n / 2;

	(void)state;
	path_of(p1, sizeof(p1), "one.ntr");
	path_of(p2, sizeof(p2), "two.ntr");
	assert_int_equal(ntf_flight_new(&f, test_meta(), &o), 0);
	for (size_t i = 0; i < half; i++)
		assert_int_equal(ntf_flight_write(f, &v.e[i]), 0);
	assert_int_equal(ntf_flight_snapshot(f, p1, &t1, NULL), 0);
	want = in_window(&v, half, o.window_ns);
	read_events(p1, &first, NULL, m);
	assert_events(&want, &first);
	assert_string_equal(m->flight.trigger, "socket");
	assert_null(ntf_rec_meta_driver(m, cb.id));
	free(want.e);

	ntf_flight_write_names(f, &cb, 1);
	for (size_t i = half; i < v.n; i++)
		assert_int_equal(ntf_flight_write(f, &v.e[i]), 0);
	assert_int_equal(ntf_flight_snapshot(f, p2, &t2, NULL), 0);
	/* and again onto the same name: replaced whole */
	assert_int_equal(ntf_flight_snapshot(f, p2, &t2, NULL), 0);
	want = in_window(&v, v.n, o.window_ns);
	read_events(p2, &got, NULL, m);
	assert_events(&want, &got);
	assert_string_equal(m->flight.trigger, "policy:slow-inval");
	assert_string_equal(ntf_rec_meta_driver(m, cb.id), "late_drv");
	/* the first is as it was */
	got.n = 0;
	read_events(p1, &got, NULL, NULL);
	assert_events(&first, &got);
	ntf_flight_free(f);
	free(want.e);
	free(got.e);
	free(first.e);
	free(v.e);
	free(m);
}

/* Nothing recorded yet: a valid file without events, that says why it was written. */
static void empty_snapshot(void **state)
{
	struct ntf_flight_opts o = { .window_ns = SEC };
	struct ntf_rec_meta *m = malloc(sizeof(*m));
	struct ntf_flight_trigger t = { .what = "SIGUSR1" };
	struct ntf_rec_status rs;
	struct ntf_flight_snap snap;
	struct ntf_flight *f;
	struct evs got = {};
	char path[300];

	(void)state;
	path_of(path, sizeof(path), "empty.ntr");
	assert_int_equal(ntf_flight_new(&f, test_meta(), &o), 0);
	assert_int_equal(ntf_flight_snapshot(f, path, &t, &snap), 0);
	assert_int_equal(snap.events, 0);
	assert_int_equal(read_events(path, &got, &rs, m), 0);
	assert_int_equal(rs.stop, NTF_REC_COMPLETE);
	assert_string_equal(m->flight.trigger, "SIGUSR1");
	assert_int_equal(m->flight.from_ns, 0);
	assert_int_equal(m->flight.to_ns, 0);
	ntf_flight_free(f);
	free(m);
}

/* Errors: no window, a bad event, a snapshot where none can be written (nothing left behind). */
static void errors(void **state)
{
	struct ntf_flight_opts o = {};
	struct evs v = synth(5, 10);
	struct ntf_event bad = v.e[0];
	struct ntf_flight *f;
	char path[300];

	(void)state;
	assert_int_equal(ntf_flight_new(&f, NULL, &o), -EINVAL);
	assert_null(f);
	o.window_ns = SEC;
	assert_int_equal(ntf_flight_new(&f, NULL, &o), 0);
	bad.class = NTF_CLASS_MAX;
	assert_int_equal(ntf_flight_write(f, &bad), -EINVAL);
	assert_int_equal(ntf_flight_write(f, &v.e[1]), 0);
	path_of(path, sizeof(path), "no/such/dir.ntr");
	assert_int_equal(ntf_flight_snapshot(f, path, NULL, NULL), -ENOENT);
	/* a directory where the file should go: the rename fails, the .tmp goes */
	path_of(path, sizeof(path), "adir");
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(ntf_flight_snapshot(f, path, NULL, NULL), -EISDIR);
	path_of(path, sizeof(path), "adir.tmp");
	assert_int_equal(access(path, F_OK), -1);
	ntf_flight_free(f);
	free(v.e);
}

/* A file without the flight field (any 1.x, the recorder's, the writer's) says no trigger. */
static void files_without_trigger(void **state)
{
	struct ntf_rec_writer *w;
	struct ntf_rec_meta *m = malloc(sizeof(*m));
	struct evs v = synth(6, 100), got = {};
	char path[300];
	__u8 zero[2] = { 0, 0 };
	int fd;

	(void)state;
	path_of(path, sizeof(path), "plain.ntr");
	assert_int_equal(ntf_rec_writer_open(&w, path, test_meta(), NULL), 0);
	for (size_t i = 0; i < v.n; i++)
		assert_int_equal(ntf_rec_write(w, &v.e[i]), 0);
	assert_int_equal(ntf_rec_close(w), 0);
	/* as a 1.0 writer would have stamped it: the preamble's minor is not checked */
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, zero, 2, 10), 2);
	close(fd);
	assert_int_equal(read_events(path, &got, NULL, m), v.n);
	assert_string_equal(m->flight.trigger, "");
	assert_int_equal(m->flight.trigger_wall_ns, 0);
	free(got.e);
	free(v.e);
	free(m);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(time_window_exact),	 cmocka_unit_test(size_window),
		cmocka_unit_test(time_and_size),	 cmocka_unit_test(snapshot_twice),
		cmocka_unit_test(empty_snapshot),	 cmocka_unit_test(errors),
		cmocka_unit_test(files_without_trigger), cmocka_unit_test(stacks),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
