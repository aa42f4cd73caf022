// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Packed counters (core/packed.h) against struct ntf_buckets doing the
 * same: packs and unpacks to the same, merges and adds alike, counts of
 * every size (the zero bucket's index too), and about 2 bytes a counter.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "buckets_assert.h"
#include "packed.h"

static __u64 next(__u64 *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void same_as(const struct ntf_packed *pk, const struct ntf_buckets *want)
{
	struct ntf_buckets got = {};

	assert_int_equal(ntf_packed_unpack(pk, &got), 0);
	assert_int_equal(pk->n, want->n);
	same_buckets(&got, want);
	ntf_buckets_free(&got);
}

/* A count of any size: mostly small, some past 32 and 47 bits. */
static __u64 some_count(__u64 r)
{
	switch (r % 8) {
	case 0: return (r >> 8) & 0xffffffffffULL; /* sums stay in struct ntf_bucket's 48 bits */
	case 1: return (r >> 20) & 0xffffffffULL;
	default: return 1 + (r >> 16) % 200;
	}
}

static void adds_and_merges_as_buckets_do(void **state)
{
	__u64 x = 0x853c49e6748fea9bULL;

	(void)state;
	for (int round = 0; round < 20; round++) {
		struct ntf_packed pk = {};
		struct ntf_buckets want = {}, run = {};

		same_as(&pk, &want);
		for (int i = 0; i < 300; i++) {
			__u64 r = next(&x);
			/* clustered indexes, the zero bucket's and high ones now and then */
			__u32 index = r % 13 == 0 ? NTF_BUCKET_ZERO :
				      r % 17 == 0 ? 0xfff0 + (r >> 8) % 15 :
						    500 + (round * 37 + (r >> 4) % 90) % 1000;
			__u64 n = some_count(r >> 3);

			if (i % 3) {
				assert_int_equal(ntf_packed_add(&pk, index, n), 0);
				assert_int_equal(ntf_buckets_add_index(&want, index, n), 0);
			} else {
				assert_int_equal(ntf_buckets_add_index(&run, index, n), 0);
			}
			if (i % 50 == 49) {
				assert_int_equal(ntf_packed_merge(&pk, &run), 0);
				assert_int_equal(ntf_buckets_merge(&want, &run), 0);
				ntf_buckets_reset(&run);
				same_as(&pk, &want);
			}
		}
		/* packed from scratch, the same bytes */
		struct ntf_packed again = {};

		assert_int_equal(ntf_packed_pack(&again, &want), 0);
		assert_int_equal(again.len, pk.len);
		assert_memory_equal(again.p, pk.p, pk.len);
		ntf_packed_free(&again);
		ntf_packed_free(&pk);
		ntf_buckets_free(&want);
		ntf_buckets_free(&run);
	}
}

/* A key's few dozen buckets of small counts: about 2 bytes each. */
static void two_bytes_a_counter(void **state)
{
	struct ntf_packed pk = {};
	struct ntf_buckets b = {};
	__u64 x = 3;

	(void)state;
	for (__u32 index = 600; index < 650; index++)
		assert_int_equal(ntf_buckets_add_index(&b, index, 1 + next(&x) % 100), 0);
	assert_int_equal(ntf_packed_pack(&pk, &b), 0);
	assert_int_equal(pk.len, 2 * 50 + 1); /* the first gap from 0 takes 2 */
	assert_true(pk.cap <= 2 * 50 + 8);
	same_as(&pk, &b);
	/* emptied, it packs to nothing */
	ntf_buckets_reset(&b);
	assert_int_equal(ntf_packed_pack(&pk, &b), 0);
	assert_int_equal(pk.len, 0);
	assert_int_equal(pk.n, 0);
	ntf_packed_free(&pk);
	ntf_buckets_free(&b);
}

/* In place only within reach and where the count keeps its length; else nothing changes. */
static void in_place_within_reach(void **state)
{
	struct ntf_packed pk = {};
	struct ntf_buckets b = {};

	(void)state;
	for (__u32 index = 100; index < 120; index++)
		assert_int_equal(ntf_buckets_add_index(&b, index, 100), 0);
	assert_int_equal(ntf_packed_pack(&pk, &b), 0);
	/* the 11th counter: within 12, not within 10 */
	assert_true(ntf_packed_in_place(&pk, 110, 16));
	assert_false(ntf_packed_in_place(&pk, 110, 28));
	assert_false(ntf_packed_add_in_place(&pk, 110, 16, 10));
	same_as(&pk, &b);
	assert_true(ntf_packed_add_in_place(&pk, 110, 16, 12));
	assert_int_equal(ntf_buckets_add_index(&b, 110, 16), 0);
	same_as(&pk, &b);
	/* 116 + 16 passes 127: a byte longer */
	assert_false(ntf_packed_add_in_place(&pk, 110, 16, 12));
	/* no counter of that index */
	assert_false(ntf_packed_add_in_place(&pk, 99, 1, 100));
	assert_false(ntf_packed_add_in_place(&pk, 130, 1, 100));
	same_as(&pk, &b);
	/* ntf_packed_add does what in place cannot */
	assert_int_equal(ntf_packed_add(&pk, 110, 16), 0);
	assert_int_equal(ntf_packed_add(&pk, 99, 1), 0);
	assert_int_equal(ntf_buckets_add_index(&b, 110, 16), 0);
	assert_int_equal(ntf_buckets_add_index(&b, 99, 1), 0);
	same_as(&pk, &b);
	ntf_packed_free(&pk);
	ntf_buckets_free(&b);
}

/* A run goes in place whole or not at all: every counter there, none a byte longer. */
static void run_in_place_all_or_none(void **state)
{
	struct ntf_bucket rb[NTF_PACKED_RUN_IN_PLACE + 1];
	struct ntf_buckets b = {}, run = { .b = rb };
	struct ntf_packed pk = {};
	unsigned char before[256];

	(void)state;
	assert_int_equal(ntf_buckets_add_index(&b, NTF_BUCKET_ZERO, 5), 0);
	for (__u32 index = 100; index < 140; index++)
		assert_int_equal(ntf_buckets_add_index(&b, index, index < 120 ? 100 : 1), 0);
	assert_int_equal(ntf_packed_pack(&pk, &b), 0);
	/* the zero bucket, the first, a middle and the last counter, in order */
	run.n = 0;
	rb[run.n++] = (struct ntf_bucket){ .index = NTF_BUCKET_ZERO, .count_lo = 2 };
	rb[run.n++] = (struct ntf_bucket){ .index = 100, .count_lo = 3 };
	rb[run.n++] = (struct ntf_bucket){ .index = 125, .count_lo = 4 };
	rb[run.n++] = (struct ntf_bucket){ .index = 139, .count_lo = 126 };
	assert_true(ntf_packed_add_run_in_place(&pk, &run));
	for (__u32 i = 0; i < run.n; i++)
		assert_int_equal(ntf_buckets_add_index(&b, rb[i].index, rb[i].count_lo), 0);
	same_as(&pk, &b);
	assert_true(pk.len <= sizeof(before));
	memcpy(before, pk.p, pk.len);
	/* 110's count would pass 127 (a byte longer): nothing added, the others neither */
	run.n = 0;
	rb[run.n++] = (struct ntf_bucket){ .index = 100, .count_lo = 1 };
	rb[run.n++] = (struct ntf_bucket){ .index = 110, .count_lo = 28 };
	assert_false(ntf_packed_add_run_in_place(&pk, &run));
	assert_memory_equal(pk.p, before, pk.len);
	/* an index without a counter, between two and past the last */
	rb[1] = (struct ntf_bucket){ .index = 99, .count_lo = 1 };
	assert_false(ntf_packed_add_run_in_place(&pk, &run));
	rb[1] = (struct ntf_bucket){ .index = 140, .count_lo = 1 };
	assert_false(ntf_packed_add_run_in_place(&pk, &run));
	assert_memory_equal(pk.p, before, pk.len);
	/* more than it takes */
	run.n = 0;
	for (__u32 i = 0; i <= NTF_PACKED_RUN_IN_PLACE; i++)
		rb[run.n++] = (struct ntf_bucket){ .index = 120 + i, .count_lo = 1 };
	assert_false(ntf_packed_add_run_in_place(&pk, &run));
	assert_memory_equal(pk.p, before, pk.len);
	same_as(&pk, &b);
	ntf_packed_free(&pk);
	ntf_buckets_free(&b);
}

/* Values and counters come back as written, each in the bytes its size needs. */
static void values_as_varints(void **state)
{
	const __u64 v[] = { 0, 1, 127, 128, 16383, 16384, 1ULL << 35, UINT64_MAX };
	const size_t bytes[] = { 1, 1, 1, 2, 2, 3, 6, 10 };
	unsigned char buf[sizeof(v) / sizeof(v[0]) * NTF_PACKED_VALUE_BYTES + 1];
	struct ntf_hist_counts c = { .count = 3,
				     .sum_ns = 4500000,
				     .max_ns = 2000000,
				     .min_ns = 1000000,
				     .pages = 512 },
			       back;
	__u64 got[sizeof(v) / sizeof(v[0])];
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		memset(buf, 0xaa, sizeof(buf));
		assert_int_equal(ntf_packed_put_values(buf, &v[i], 1), bytes[i]);
		assert_ptr_equal(ntf_packed_get_values(buf, got, 1), buf + bytes[i]);
		assert_true(got[0] == v[i]);
	}
	len = ntf_packed_put_values(buf, v, sizeof(v) / sizeof(v[0]));
	assert_int_equal(len, 26);
	assert_ptr_equal(ntf_packed_get_values(buf, got, sizeof(v) / sizeof(v[0])), buf + len);
	assert_memory_equal(got, v, sizeof(v));
	/* count 1, sum 4 (23 bits), max and min 3 each, failures 1, pages 2, the last two 1 */
	len = ntf_packed_put_counts(buf, &c);
	assert_int_equal(len, 16);
	assert_ptr_equal(ntf_packed_get_counts(buf, &back), buf + len);
	assert_memory_equal(&back, &c, sizeof(c));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(adds_and_merges_as_buckets_do),
		cmocka_unit_test(two_bytes_a_counter),
		cmocka_unit_test(in_place_within_reach),
		cmocka_unit_test(run_in_place_all_or_none),
		cmocka_unit_test(values_as_varints),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
