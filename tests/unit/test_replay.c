// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A trace file played in its own time (record/replay.h): the horizon cuts
 * the recording exactly where an interval ends, whatever the speed; the
 * origin is the recording's start; an event out of order comes out when
 * it is reached; the clock stops at the last event, at a damaged block,
 * and while paused; a speed factor paces it by the monotonic clock.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "clock.h"
#include "record.h"
#include "replay.h"

#define MONO 1000000000ULL /* the writer's monotonic start */
#define MS 1000000ULL

struct got {
	__u64 ts[64];
	int n;
};

static int collect(void *ctx, const struct ntf_event *e)
{
	struct got *g = ctx;

	if (g->n < 64)
		g->ts[g->n] = e->ts_ns;
	g->n++;
	return 0;
}

/* A file of events at these ns from mono (0: META without a start), opened for replay. */
static struct ntf_replay *replay_of(__u64 mono, const __u64 *rel, int n, double speed, char *path)
{
	struct ntf_rec_writer_opts wo = { .block_events = 4 };
	struct ntf_rec_meta meta = { .mono_ns = mono, .wall_ns = 5 * MONO };
	struct ntf_rec_writer *w;
	struct ntf_rec_reader *r;
	struct ntf_replay *p;
	int fd;

	strcpy(path, "/tmp/ntf-test-replay.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(ntf_rec_writer_open(&w, path, &meta, &wo), 0);
	for (int i = 0; i < n; i++) {
		struct ntf_event e = {
			.ts_ns = MONO + rel[i],
			.latency_ns = 1000,
			.class = NTF_CLASS_PIN,
			.mech = NTF_MECH_FENTRY,
			.tgid = 42,
		};

		assert_int_equal(ntf_rec_write(w, &e), 0);
	}
	assert_int_equal(ntf_rec_close(w), 0);
	assert_int_equal(ntf_rec_reader_open(&r, path, NULL), 0);
	assert_int_equal(ntf_replay_new(&p, r, speed), 0);
	return p;
}

/* Everything the clock lets out now. */
static int drain(struct ntf_replay *p, struct got *g)
{
	int n, k = 0;

	while ((n = ntf_replay_poll(p, 0, collect, g)) > 0)
		k += n;
	return n < 0 && n != -ENODATA ? n : k;
}

static void horizons_cut_exactly(void **state)
{
	/* the last is older than the one before it: the file keeps the order events ended in */
	static const __u64 rel[] = { 0, 1, 999 * MS, 1000 * MS, 1500 * MS, 2500 * MS, 2400 * MS };
	struct got g = {};
	char path[64];
	struct ntf_replay *p = replay_of(MONO, rel, 7, 0, path);

	(void)state;
	assert_true(ntf_replay_origin(p) == MONO);
	/* nothing plays before a first horizon */
	assert_int_equal(drain(p, &g), 0);
	assert_true(ntf_replay_pos(p) == 0);
	ntf_replay_set_horizon(p, 1000 * MS);
	assert_int_equal(drain(p, &g), 3); /* an interval holds its start, not its end */
	assert_true(ntf_replay_pos(p) == 1000 * MS);
	assert_false(ntf_replay_done(p));
	ntf_replay_set_horizon(p, 2000 * MS);
	assert_int_equal(drain(p, &g), 2);
	assert_true(ntf_replay_pos(p) == 2000 * MS);
	ntf_replay_set_horizon(p, 3000 * MS);
	assert_int_equal(drain(p, &g), 2);
	assert_true(g.ts[6] == MONO + 2400 * MS);
	/* the end: just past the last event, not the horizon */
	assert_true(ntf_replay_done(p));
	assert_true(ntf_replay_pos(p) == 2500 * MS + 1);
	assert_int_equal(ntf_replay_poll(p, 0, collect, &g), -ENODATA);
	assert_int_equal(ntf_replay_error(p), 0);
	ntf_replay_free(p);
	unlink(path);
}

static void origin_is_the_recording_start(void **state)
{
	static const __u64 rel[] = { 5 * MS, 6 * MS };
	struct got g = {};
	char path[64];
	struct ntf_replay *p;

	(void)state;
	/* META's start when the events are after it */
	p = replay_of(MONO - 10 * MS, rel, 2, 0, path);
	assert_true(ntf_replay_origin(p) == MONO - 10 * MS);
	ntf_replay_free(p);
	unlink(path);
	/* the first event's when they are older (another clock), or META has none */
	p = replay_of(MONO + 100 * MS, rel, 2, 0, path);
	assert_true(ntf_replay_origin(p) == MONO + 5 * MS);
	ntf_replay_free(p);
	unlink(path);
	p = replay_of(0, rel, 2, 0, path);
	assert_true(ntf_replay_origin(p) == MONO + 5 * MS);
	ntf_replay_set_horizon(p, ~0ULL);
	assert_int_equal(drain(p, &g), 2);
	assert_true(ntf_replay_pos(p) == 1 * MS + 1);
	ntf_replay_free(p);
	unlink(path);
}

static void empty_file_is_done_at_once(void **state)
{
	struct got g = {};
	char path[64];
	struct ntf_replay *p = replay_of(MONO, NULL, 0, 1, path);

	(void)state;
	assert_true(ntf_replay_done(p));
	assert_int_equal(ntf_replay_poll(p, 100, collect, &g), -ENODATA);
	assert_int_equal(g.n, 0);
	ntf_replay_free(p);
	unlink(path);
}

/* The little-endian u32 at off in f. */
static __u32 u32_at(FILE *f, long off)
{
	unsigned char b[4];

	assert_int_equal(fseek(f, off, SEEK_SET), 0);
	assert_int_equal(fread(b, 1, 4, f), 4);
	return b[0] | b[1] << 8 | b[2] << 16 | (__u32)b[3] << 24;
}

static void damage_stops_the_clock(void **state)
{
	static const __u64 rel[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	struct ntf_rec_reader *r;
	struct ntf_replay *p;
	struct got g = {};
	char path[64];
	long second;
	FILE *f;
	int c;

	(void)state;
	ntf_replay_free(replay_of(MONO, rel, 10, 0, path));
	/* the preamble, META, the first events block: the second's first payload byte flipped */
	f = fopen(path, "r+");
	assert_non_null(f);
	second = 16 + 48 + u32_at(f, 16 + 16);
	second += 48 + u32_at(f, second + 16);
	assert_int_equal(fseek(f, second + 48, SEEK_SET), 0);
	c = fgetc(f);
	assert_int_equal(fseek(f, second + 48, SEEK_SET), 0);
	fputc(c ^ 0x55, f);
	fclose(f);
	assert_int_equal(ntf_rec_reader_open(&r, path, NULL), 0);
	assert_int_equal(ntf_replay_new(&p, r, 0), 0);
	ntf_replay_set_horizon(p, ~0ULL);
	assert_int_equal(drain(p, &g), 4); /* the first block's */
	assert_true(ntf_replay_done(p));
	assert_true(ntf_replay_pos(p) == 3 + 1);
	assert_int_equal(ntf_replay_error(p), -EBADMSG);
	ntf_replay_free(p);
	unlink(path);
}

static void speed_paces_and_pause_stops(void **state)
{
	/* a second apart when played: a stalled host still takes the first alone */
	static const __u64 rel[] = { 10 * MS, 2000 * MS };
	struct got g = {};
	char path[64];
	struct ntf_replay *p = replay_of(MONO, rel, 2, 2, path);
	__u64 start = ntf_now_ms(), pos;

	(void)state;
	ntf_replay_set_horizon(p, ~0ULL);
	while (g.n < 1 && ntf_now_ms() - start < 5000)
		ntf_replay_poll(p, 20, collect, &g);
	assert_int_equal(g.n, 1);
	ntf_replay_pause(p, true);
	pos = ntf_replay_pos(p);
	assert_int_equal(ntf_replay_poll(p, 50, collect, &g), 0);
	assert_true(ntf_replay_pos(p) == pos);
	ntf_replay_pause(p, false);
	while (!ntf_replay_done(p) && ntf_now_ms() - start < 5000)
		ntf_replay_poll(p, 20, collect, &g);
	assert_true(ntf_replay_done(p));
	assert_int_equal(g.n, 2);
	/* the second event 1,990 ms of recording later at twice the speed, and 50 ms paused */
	assert_true(ntf_now_ms() - start >= 1045);
	ntf_replay_free(p);
	unlink(path);
}

static void bad_speed_refused(void **state)
{
	struct ntf_rec_reader *r;
	struct ntf_replay *p;
	char path[64];

	(void)state;
	ntf_replay_free(replay_of(MONO, NULL, 0, 0, path));
	assert_int_equal(ntf_rec_reader_open(&r, path, NULL), 0);
	assert_int_equal(ntf_replay_new(&p, r, -1), -EINVAL); /* r closed */
	assert_null(p);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(horizons_cut_exactly),
		cmocka_unit_test(origin_is_the_recording_start),
		cmocka_unit_test(empty_file_is_done_at_once),
		cmocka_unit_test(damage_stops_the_clock),
		cmocka_unit_test(speed_paces_and_pause_stops),
		cmocka_unit_test(bad_speed_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
