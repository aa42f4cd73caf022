// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "clock.h"
#include "decode.h"
#include "source.h"

#define MAX_EVENTS 4096

struct sink {
	struct ntf_event events[MAX_EVENTS];
	size_t n;
	size_t bad; /* events that ntf_decode refuses or decodes differently */
	__u64 per_class[NTF_CLASS_MAX];
	size_t fail_at; /* 1-based event to fail on; 0: never */
};

static int collect(void *ctx, const struct ntf_event *e)
{
	struct sink *s = ctx;
	struct ntf_event out;

	if (s->fail_at && s->n + 1 == s->fail_at)
		return -EPIPE;
	/* what the synthetic source hands out must pass the ring buffer's checks */
	if (ntf_decode(e, sizeof(*e), &out) || memcmp(&out, e, sizeof(out)))
		s->bad++;
	if (e->class < NTF_CLASS_MAX)
		s->per_class[e->class]++;
	if (s->n < MAX_EVENTS)
		s->events[s->n] = *e;
	s->n++;
	return 0;
}

/* Polls until the source ends; returns the number of polls that gave events. */
static int drain(struct ntf_source *src)
{
	int polls = 0, n;

	while ((n = ntf_source_poll(src, 0)) > 0) {
		polls++;
		assert_true(polls < 100000);
	}
	assert_int_equal(n, -ENODATA);
	return polls;
}

static struct sink *run(__u64 seed, __u64 count, __u32 batch, __u32 processes)
{
	struct ntf_synth_opts opts = {
		.seed = seed,
		.count = count,
		.batch = batch,
		.processes = processes,
	};
	struct sink *s = calloc(1, sizeof(*s));
	struct ntf_source *src;

	assert_non_null(s);
	src = ntf_source_synth_new(&opts, collect, s);
	assert_non_null(src);
	drain(src);
	ntf_source_free(src);
	return s;
}

static void delivers_exactly_count(void **state)
{
	struct ntf_synth_opts opts = { .seed = 1, .count = 1000, .batch = 300, .processes = 4 };
	struct sink *s = calloc(1, sizeof(*s));
	struct ntf_source *src = ntf_source_synth_new(&opts, collect, s);

	(void)state;
	assert_non_null(src);
	assert_int_equal(ntf_source_poll(src, 0), 300);
	assert_int_equal(ntf_source_poll(src, 0), 300);
	assert_int_equal(ntf_source_poll(src, 0), 300);
	assert_int_equal(ntf_source_poll(src, 0), 100);
	assert_int_equal(ntf_source_poll(src, 0), -ENODATA);
	/* the end is sticky */
	assert_int_equal(ntf_source_poll(src, 0), -ENODATA);
	assert_int_equal(s->n, 1000);
	ntf_source_free(src);
	free(s);

	/* a count that is a whole number of batches ends the same way */
	s = run(1, 512, 256, 4);
	assert_int_equal(s->n, 512);
	free(s);
	/* default batch */
	s = run(1, 7, 0, 4);
	assert_int_equal(s->n, 7);
	free(s);
}

static void endless_without_count(void **state)
{
	struct ntf_synth_opts opts = { .seed = 9, .batch = 64 };
	struct sink *s = calloc(1, sizeof(*s));
	struct ntf_source *src = ntf_source_synth_new(&opts, collect, s);

	(void)state;
	assert_non_null(src);
	for (int i = 0; i < 50; i++)
		assert_int_equal(ntf_source_poll(src, 0), 64);
	assert_int_equal(s->n, 50 * 64);
	ntf_source_free(src);
	free(s);
}

static void same_seed_same_sequence(void **state)
{
	struct sink *a = run(42, 2000, 100, 8), *b = run(42, 2000, 33, 8);
	struct sink *c = run(43, 2000, 100, 8);
	size_t differ = 0;

	(void)state;
	assert_int_equal(a->n, 2000);
	assert_int_equal(b->n, 2000);
	/* batch size changes when events arrive, not which */
	assert_memory_equal(a->events, b->events, 2000 * sizeof(a->events[0]));
	for (size_t i = 0; i < 2000; i++)
		differ += memcmp(&a->events[i], &c->events[i], sizeof(a->events[i])) != 0;
	/* timestamps alone are equal; nearly every event must differ in more */
	assert_true(differ > 1900);
	free(a);
	free(b);
	free(c);
}

static void events_are_valid(void **state)
{
	struct sink *s = run(7, MAX_EVENTS, 256, 16);
	unsigned int tgids[16] = {};
	__u64 last_ts = 0;

	(void)state;
	assert_int_equal(s->n, MAX_EVENTS);
	assert_int_equal(s->bad, 0);
	for (size_t i = 0; i < s->n; i++) {
		const struct ntf_event *e = &s->events[i];

		assert_in_range(e->class, NTF_CLASS_INVAL_START, NTF_CLASS_MAX - 1);
		assert_in_range(e->mech, NTF_MECH_FENTRY, NTF_MECH_MAX - 1);
		assert_in_range(e->origin, 0, NTF_ORIGIN_MAX - 1);
		assert_in_range(e->tgid, 1000, 1015);
		assert_true(e->ts_ns > last_ts);
		last_ts = e->ts_ns;
		assert_non_null(memchr(e->comm, '\0', sizeof(e->comm)));
		tgids[e->tgid - 1000]++;
	}
	/* every class and every process shows up */
	for (unsigned int c = NTF_CLASS_INVAL_START; c < NTF_CLASS_MAX; c++)
		assert_true(s->per_class[c] > 0);
	for (int p = 0; p < 16; p++)
		assert_true(tgids[p] > 0);
	free(s);
}

static void handler_error_propagates(void **state)
{
	struct ntf_synth_opts opts = { .seed = 3, .count = 100, .batch = 50 };
	struct sink *s = calloc(1, sizeof(*s));
	struct ntf_source *src = ntf_source_synth_new(&opts, collect, s);

	(void)state;
	assert_non_null(src);
	s->fail_at = 70;
	assert_int_equal(ntf_source_poll(src, 0), 50);
	assert_int_equal(ntf_source_poll(src, 0), -EPIPE);
	/* the handler saw nothing after it failed */
	assert_int_equal(s->n, 69);
	ntf_source_free(src);
	free(s);
}

/*
 * The paced source stamps each event with the CLOCK_MONOTONIC time it fell
 * due: 1 / rate apart from the source's start, never after the poll that
 * delivered it.
 */
static void paced_events_on_the_monotonic_clock(void **state)
{
	struct ntf_synth_args args = { .on = true, .seed = 5, .keys = 10, .rate = 1000 };
	struct sink *s = calloc(1, sizeof(*s));
	struct ntf_source *src;
	__u64 before, after;

	(void)state;
	before = ntf_now_ns();
	src = ntf_source_paced_new(&args, collect, s);
	assert_non_null(src);
	while (s->n < 50) {
		size_t had = s->n;

		assert_true(ntf_source_poll(src, 10) >= 0);
		/* none delivered ahead of its time */
		after = ntf_now_ns();
		for (size_t i = had; i < s->n; i++)
			assert_in_range(s->events[i].ts_ns, before, after);
	}
	for (size_t i = 0; i < s->n; i++) {
		if (i)
			assert_int_equal(s->events[i].ts_ns - s->events[i - 1].ts_ns, 1000000);
	}
	assert_int_equal(s->bad, 0);
	ntf_source_free(src);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(delivers_exactly_count),
		cmocka_unit_test(endless_without_count),
		cmocka_unit_test(same_seed_same_sequence),
		cmocka_unit_test(events_are_valid),
		cmocka_unit_test(handler_error_propagates),
		cmocka_unit_test(paced_events_on_the_monotonic_clock),
	};

	return cmocka_run_group_tests_name("source_synth", tests, NULL, NULL);
}
