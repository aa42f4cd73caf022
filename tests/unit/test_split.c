// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Split fine buckets (core/split.h): a split index names one bucket and
 * one log2 slot, at and around every power of two; split buckets give the
 * fine buckets and slots that counting apart gives; and fine buckets with
 * their slots split back exactly, or are found to disagree.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "buckets_assert.h"
#include "histogram.h"
#include "split.h"

static __u32 split_of(__u64 ns)
{
	return ntf_split_index(ntf_bucket_of(ns), ntf_hist_slot(ns));
}

static __u64 next(__u64 *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/*
 * Around each power of two, a split index gives back the value's bucket
 * and slot, and grows with the value; a power of two inside a bucket
 * gives that bucket two split indexes, one on an edge none.
 */
static void one_bucket_and_slot_each(void **state)
{
	unsigned int cut = 0;
	__u32 last = 0;

	(void)state;
	assert_int_equal(split_of(0), NTF_BUCKET_ZERO);
	assert_int_equal(ntf_split_bucket(NTF_BUCKET_ZERO), NTF_BUCKET_ZERO);
	assert_int_equal(ntf_split_slot(NTF_BUCKET_ZERO), 0);
	for (unsigned int k = 1; k < 64; k++) {
		__u64 p = 1ULL << k;
		__u64 around[] = { p - p / 5, p - 1, p, p + 1, p + p / 3, p + p / 2 };

		for (unsigned int i = 0; i < sizeof(around) / sizeof(around[0]); i++) {
			__u32 s = split_of(around[i]);

			assert_int_equal(ntf_split_bucket(s), ntf_bucket_of(around[i]));
			assert_int_equal(ntf_split_slot(s), ntf_hist_slot(around[i]));
			/* in increasing order (from 8 on, around is): so are split indexes */
			if (k >= 3)
				assert_true(s >= last);
			last = s;
		}
		if (ntf_hist_slot(p - 1) != ntf_hist_slot(p)) {
			bool inside = ntf_bucket_of(p - 1) == ntf_bucket_of(p);

			if (inside)
				assert_int_equal(split_of(p) - split_of(p - 1), 1);
			else
				assert_true(split_of(p) - split_of(p - 1) >= 2);
			cut += inside;
		}
	}
	/* one per power of two up to the last slot, but where an edge falls on one */
	assert_true(cut >= 30);
	for (__u32 b = NTF_BUCKET_LOWEST; b <= NTF_BUCKET_HIGHEST; b++)
		assert_int_equal(ntf_split_bucket(ntf_split_lowest(b)), b);
}

/* Events counted three ways: by split index, by fine bucket, by log2 slot. */
struct three {
	struct ntf_buckets split, fine;
	__u64 slots[NTF_HIST_SLOTS];
};

static void count(struct three *t, __u64 ns, __u64 n)
{
	assert_int_equal(ntf_buckets_add_index(&t->split, split_of(ns), n), 0);
	assert_int_equal(ntf_buckets_add_index(&t->fine, ntf_bucket_of(ns), n), 0);
	t->slots[ntf_hist_slot(ns)] += n;
}

static void three_free(struct three *t)
{
	ntf_buckets_free(&t->split);
	ntf_buckets_free(&t->fine);
}

static __u64 value(int spread, __u64 r)
{
	switch (spread) {
	case 0: return 1000 + r % 3000;
	case 1: return (r >> 40) >> (r % 40); /* 0 ns to minutes */
	case 2: return (1ULL << (r >> 8) % 64) + (__u64)((r >> 16) % 3) - 1; /* powers of two */
	default: return r % 5 ? 0 : 1 + (r >> 20) % 100000;
	}
}

/* The split buckets stand for the fine buckets and slots; those split back into them. */
static void split_and_back(void **state)
{
	__u64 x = 0x9e3779b97f4a7c15ULL;

	(void)state;
	for (int spread = 0; spread < 4; spread++) {
		struct three t = {};
		struct ntf_buckets fine = {}, split = {};
		__u64 slots[NTF_HIST_SLOTS] = {};

		for (int i = 0; i < 50000; i++)
			count(&t, value(spread, next(&x)), 1 + i % 3);
		split_read(&t.split, &fine, slots);
		same_buckets(&fine, &t.fine);
		assert_memory_equal(slots, t.slots, sizeof(slots));
		assert_int_equal(ntf_split_from(&split, &t.fine, t.slots), 0);
		same_buckets(&split, &t.split);
		ntf_buckets_free(&fine);
		ntf_buckets_free(&split);
		three_free(&t);
	}
}

/*
 * Buckets and slots that do not count the same events (a bucket lost, an
 * event in the slots only, one moved a slot) are found out: the split
 * buckets then hold the fine buckets still, their slots to be kept apart.
 * Where in a cut bucket its events lie is the slots' to say.
 */
static void disagreement_is_found(void **state)
{
	struct three t = {};
	struct ntf_buckets split = {}, fine = {};
	__u64 slots[NTF_HIST_SLOTS];
	__u64 x = 5;
	/* a bucket a power of two cuts, with events on both sides */
	__u64 p = 1ULL << 20;

	(void)state;
	assert_int_equal(ntf_bucket_of(p - 1), ntf_bucket_of(p));
	for (int i = 0; i < 1000; i++)
		count(&t, (p >> 2) + next(&x) % (p * 2), 1);
	count(&t, p - 1, 3);
	count(&t, p, 4);
	assert_int_equal(ntf_split_from(&split, &t.fine, t.slots), 0);
	same_buckets(&split, &t.split);
	/* an event the slots have and the buckets do not */
	memcpy(slots, t.slots, sizeof(slots));
	slots[3]++;
	assert_int_equal(ntf_split_from(&split, &t.fine, slots), -EINVAL);
	split_read(&split, &fine, slots);
	same_buckets(&fine, &t.fine);
	/* one moved to a slot no bucket reaches */
	memcpy(slots, t.slots, sizeof(slots));
	slots[ntf_hist_slot(p)]--;
	slots[2]++;
	assert_int_equal(ntf_split_from(&split, &t.fine, slots), -EINVAL);
	/* across the power of two, in the bucket it cuts, slots and buckets still agree */
	memcpy(slots, t.slots, sizeof(slots));
	slots[ntf_hist_slot(p)] -= 2;
	slots[ntf_hist_slot(p - 1)] += 2;
	assert_int_equal(ntf_split_from(&split, &t.fine, slots), 0);
	ntf_buckets_reset(&fine);
	split_read(&split, &fine, slots);
	same_buckets(&fine, &t.fine);
	/* no buckets at all for events the slots have */
	ntf_buckets_reset(&fine);
	assert_int_equal(ntf_split_from(&split, &fine, t.slots), -EINVAL);
	assert_int_equal(split.n, 0);
	ntf_buckets_free(&split);
	ntf_buckets_free(&fine);
	three_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(one_bucket_and_slot_each),
		cmocka_unit_test(split_and_back),
		cmocka_unit_test(disagreement_is_found),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
