// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The stage against counting each event where it belongs at once: the same
 * split buckets and origins after a settle, whatever the spread, and so
 * the same fine buckets and log2 slots; and a window that follows a key
 * whose latencies move.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "buckets_assert.h"
#include "histogram.h"
#include "stage.h"

struct counted {
	struct ntf_packed pk; /* split, and origins past it: what the stage settles to */
	struct ntf_buckets fine; /* pk unpacked, after a settle; or what direct counting gave */
};

static __u32 split_of(__u64 ns)
{
	return ntf_split_index(ntf_bucket_of(ns), ntf_hist_slot(ns));
}

struct staged {
	struct ntf_stage st;
	struct counted c;
};

/* One event as the aggregate stages it: 1 when the window moved, else 0. */
static int stage_event(struct staged *s, __u64 ns, unsigned int origin)
{
	int moved;

	if (s->st.origins[origin] == 0xff) {
		assert_int_equal(ntf_packed_add(&s->c.pk, NTF_STAGE_ORIGIN(origin), 0xff), 0);
		s->st.origins[origin] = 0;
	}
	s->st.origins[origin]++;
	moved = ntf_stage_add(&s->st, &s->c.pk, split_of(ns));
	assert_true(moved >= 0);
	return moved;
}

static void settle(struct staged *s)
{
	assert_int_equal(ntf_stage_settle(&s->st, &s->c.pk), 0);
	assert_int_equal(ntf_packed_unpack(&s->c.pk, &s->c.fine), 0);
}

static void same(const struct counted *a, const struct counted *b)
{
	same_buckets(&a->fine, &b->fine);
}

/* What the split buckets stand for: the fine buckets and log2 slots counted apart. */
static void stands_for(const struct ntf_buckets *split, const struct ntf_buckets *fine,
		       const __u64 slots[NTF_HIST_SLOTS])
{
	struct ntf_buckets got = {};
	__u64 got_slots[NTF_HIST_SLOTS] = {};

	split_read(split, &got, got_slots);
	same_buckets(&got, fine);
	assert_memory_equal(got_slots, slots, sizeof(got_slots));
	ntf_buckets_free(&got);
}

/* The events a key's packed buckets count by latency (not its origins). */
static __u64 split_events(const struct ntf_packed *pk)
{
	struct ntf_packed_cur c = ntf_packed_walk(pk);
	__u64 total = 0, count;
	__u32 index;

	while (ntf_packed_next(&c, &index, &count))
		if (ntf_split_is_bucket(index))
			total += count;
	return total;
}

static __u64 next(__u64 *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/*
 * Narrow and wide spreads (1 ns to hours, wider than any window), 0 ns,
 * one bucket often enough to fill its nibble many times, powers of two and
 * their neighbours (the buckets they cut), settled now and then.
 */
static void settles_to_what_direct_counting_gives(void **state)
{
	__u64 x = 0x9e3779b97f4a7c15ULL;

	(void)state;
	for (int round = 0; round < 6; round++) {
		struct staged *s = calloc(1, sizeof(*s));
		struct counted direct = {};
		struct ntf_buckets fine = {};
		__u64 slots[NTF_HIST_SLOTS] = {};

		assert_non_null(s);
		for (int i = 0; i < 200000; i++) {
			__u64 r = next(&x), ns;
			unsigned int origin = r % 7 ? r % 3 : (r >> 8) % NTF_ORIGIN_MAX;

			switch (round) {
			case 0: ns = 1000 + r % 3000; break;
			case 1: ns = (r >> 40) >> (r % 40); break;
			case 2: ns = r % 8 ? 5000 : 256 << (r >> 8) % 12; break;
			case 3: ns = (1ULL << (8 + (r >> 20) % 12)) + (r >> 40) % 256; break;
			case 4: ns = (1ULL << (r >> 8) % 36) + (__u64)((r >> 16) % 3) - 1; break;
			default: ns = r % 5 ? 0 : 1 + (r >> 20) % 100000; break;
			}
			stage_event(s, ns, origin);
			assert_int_equal(ntf_buckets_add_index(&direct.fine, split_of(ns), 1), 0);
			assert_int_equal(ntf_buckets_add_index(&fine, ntf_bucket_of(ns), 1), 0);
			slots[ntf_hist_slot(ns)]++;
			assert_int_equal(
				ntf_buckets_add_index(&direct.fine, NTF_STAGE_ORIGIN(origin), 1),
				0);
			if (r % 50000 == 0) {
				settle(s);
				same(&s->c, &direct);
			}
		}
		settle(s);
		same(&s->c, &direct);
		stands_for(&s->c.fine, &fine, slots);
		assert_int_equal(ntf_buckets_total(&s->c.fine), 2 * 200000); /* and each origin */
		/* settled twice is settled once */
		settle(s);
		same(&s->c, &direct);
		ntf_buckets_free(&s->c.fine);
		ntf_packed_free(&s->c.pk);
		ntf_buckets_free(&direct.fine);
		ntf_buckets_free(&fine);
		free(s);
	}
}

/*
 * A key whose latencies move by 13 powers of two stages them again: its
 * window follows after a few misses, with no reader settling it.
 */
static void window_follows_the_events(void **state)
{
	struct staged *s = calloc(1, sizeof(*s));
	__u64 x = 42;

	(void)state;
	assert_non_null(s);
	ntf_stage_start(&s->st, split_of(1000), 0);
	for (int i = 0; i < 1000; i++)
		stage_event(s, 900 + next(&x) % 200, 0);
	assert_true(split_of(1000) - s->st.base < NTF_STAGE_FINE);
	assert_false(split_of(11000000) - s->st.base < NTF_STAGE_FINE);
	for (int i = 0; i < 100; i++)
		stage_event(s, 10000000 + next(&x) % 2000000, 0);
	/* no reader settled it: its misses moved it */
	assert_true(split_of(11000000) - s->st.base < NTF_STAGE_FINE);
	settle(s);
	assert_int_equal(ntf_buckets_total(&s->c.fine), 2 * 1100);
	/* a settle keeps it where the median of all is: 1 µs */
	assert_true(split_of(1000) - s->st.base < NTF_STAGE_FINE);
	ntf_buckets_free(&s->c.fine);
	ntf_packed_free(&s->c.pk);
	free(s);
}

/*
 * A spread wider than the window keeps the window on its middle: the
 * misses at its edges do not drag it there.
 */
static void wide_spread_keeps_its_middle(void **state)
{
	struct staged *s = calloc(1, sizeof(*s));
	__u64 x = 7;
	__u32 mid = split_of(1ULL << 16);

	(void)state;
	assert_non_null(s);
	/* 2^8 to 2^24 ns, log-uniform: 16 powers of two, the window 12 */
	for (int i = 0; i < 100000; i++) {
		__u64 r = next(&x);

		stage_event(s, (1ULL << (8 + r % 16)) + (r >> 40) % 256, 0);
	}
	assert_true(mid - s->st.base < NTF_STAGE_FINE);
	assert_true(mid - s->st.base > NTF_STAGE_FINE / 4);
	assert_true(mid - s->st.base < NTF_STAGE_FINE * 3 / 4);
	settle(s);
	assert_int_equal(ntf_buckets_total(&s->c.fine), 2 * 100000);
	ntf_buckets_free(&s->c.fine);
	ntf_packed_free(&s->c.pk);
	free(s);
}

/*
 * A spread a little wider than the window (13 powers of two, the window
 * 12) keeps the window where it is: its misses at the edges, about one
 * event in thirteen, go to the buckets without moving it (each move
 * settles the whole window).
 */
static void slightly_wider_spread_stays(void **state)
{
	struct staged *s = calloc(1, sizeof(*s));
	struct counted direct = {};
	__u64 x = 11;
	int moves = 0;

	(void)state;
	assert_non_null(s);
	ntf_stage_start(&s->st, split_of(1ULL << 14), 0);
	for (int i = 0; i < 100000; i++) {
		__u64 r = next(&x), ns = (1ULL << (8 + r % 13)) + (r >> 40) % 256;

		moves += stage_event(s, ns, 0);
		assert_int_equal(ntf_buckets_add_index(&direct.fine, split_of(ns), 1), 0);
	}
	/* about 7,700 misses: some 450 moves when every 16th moved it */
	assert_true(moves <= 4);
	settle(s);
	assert_int_equal(ntf_buckets_add_index(&direct.fine, NTF_STAGE_ORIGIN(0), 100000), 0);
	same(&s->c, &direct);
	ntf_buckets_free(&direct.fine);
	ntf_buckets_free(&s->c.fine);
	ntf_packed_free(&s->c.pk);
	free(s);
}

/*
 * A skewed spread that fits in the window (most events at 256 ns, a tail
 * to half a millisecond: 11 powers of two, the window 12) is held whole
 * after a settle, tail included: no event goes to the buckets. Around its
 * median alone the window would start ~6 powers below its bulk and leave
 * the tail's top out.
 */
static void skewed_spread_that_fits_is_held_whole(void **state)
{
	struct staged *s = calloc(1, sizeof(*s));
	__u64 x = 5, settled = 0;

	(void)state;
	assert_non_null(s);
	/* 2,000 events a round: no counter fills (255), so only a miss reaches the buckets */
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 2000; i++) {
			__u64 r = next(&x), ns = r % 10 ? 256 + r % 256 : 256ULL << (r >> 8) % 12;

			stage_event(s, ns, 0);
		}
		if (round)
			break;
		assert_int_equal(ntf_stage_settle(&s->st, &s->c.pk), 0);
		settled = split_events(&s->c.pk);
		assert_int_equal(settled, 2000);
	}
	/* the second round's events all staged: the buckets hold the first round's alone */
	assert_int_equal(split_events(&s->c.pk), settled);
	settle(s);
	assert_int_equal(ntf_buckets_total(&s->c.fine), 2 * 4000);
	ntf_buckets_free(&s->c.fine);
	ntf_packed_free(&s->c.pk);
	free(s);
}

/* The least latency whose split index is index (from ns up). */
static __u64 ns_of(__u32 index, __u64 ns)
{
	while (split_of(ns) < index)
		ns++;
	assert_int_equal(split_of(ns), index);
	return ns;
}

/*
 * The fit test's edge: events at two split indexes 204 apart (the
 * window's width) are held whole after a settle; 205 apart they are not,
 * and the one the window leaves out goes to the buckets.
 */
static void spread_of_the_window_exactly_fits(void **state)
{
	(void)state;
	for (__u32 wider = 0; wider < 2; wider++) {
		struct staged *s = calloc(1, sizeof(*s));
		__u64 ns_lo = ns_of(split_of(1000), 1000), settled;
		__u64 ns_hi = ns_of(split_of(ns_lo) + NTF_STAGE_FINE - 1 + wider, ns_lo);

		assert_non_null(s);
		for (int round = 0; round < 2; round++) {
			for (int i = 0; i < 200; i++)
				stage_event(s, i % 2 ? ns_hi : ns_lo, 0);
			if (round)
				break;
			assert_int_equal(ntf_stage_settle(&s->st, &s->c.pk), 0);
			settled = split_events(&s->c.pk);
			assert_int_equal(settled, 200);
		}
		if (wider)
			assert_true(split_events(&s->c.pk) > settled);
		else
			assert_int_equal(split_events(&s->c.pk), settled);
		settle(s);
		assert_int_equal(ntf_buckets_total(&s->c.fine), 2 * 400);
		ntf_buckets_free(&s->c.fine);
		ntf_packed_free(&s->c.pk);
		free(s);
	}
}

/* reset forgets what was staged; the buckets and origins are the owner's to reset. */
static void reset_forgets(void **state)
{
	struct staged *s = calloc(1, sizeof(*s));

	(void)state;
	assert_non_null(s);
	assert_int_equal(sizeof(struct ntf_stage), 256);
	/* no counter fills: all of it is staged */
	for (int i = 0; i < 15; i++)
		stage_event(s, i % 3 ? 5000 : 0, 1);
	ntf_stage_reset(&s->st);
	settle(s);
	assert_int_equal(s->c.fine.n, 0);
	ntf_buckets_free(&s->c.fine);
	ntf_packed_free(&s->c.pk);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(settles_to_what_direct_counting_gives),
		cmocka_unit_test(window_follows_the_events),
		cmocka_unit_test(wide_spread_keeps_its_middle),
		cmocka_unit_test(slightly_wider_spread_stays),
		cmocka_unit_test(skewed_spread_that_fits_is_held_whole),
		cmocka_unit_test(spread_of_the_window_exactly_fits),
		cmocka_unit_test(reset_forgets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
