// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The fine buckets against arithmetic done another way: every edge
 * between 1 ns and 18 minutes checked with long double powers, and
 * quantiles of known distributions against the exact ones from sorted
 * samples. User space's table lookup against the function BPF runs, at
 * every edge and next to it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <cmocka.h>
#include "buckets_assert.h"
#include "buckets.h"
#include "hist_bucket.h"
#include "histogram.h"

/*
 * The reference: the native index n with 1e9 * 2^((n-1)/16) < v <=
 * 1e9 * 2^(n/16), by long double powers, stored as n + NTF_BUCKET_OFFSET.
 */
static long double edge_ns(int n)
{
	return 1e9L * exp2l((long double)n / NTF_BUCKETS_PER_POW2);
}

static __u32 reference_bucket(__u64 v)
{
	int n = (int)ceill(log2l((long double)v / 1e9L) * NTF_BUCKETS_PER_POW2);

	/* settle the rounding of log2l near an edge */
	while ((long double)v <= edge_ns(n - 1))
		n--;
	while ((long double)v > edge_ns(n))
		n++;
	return (__u32)(n + NTF_BUCKET_OFFSET);
}

static void zero_one_and_the_top(void **state)
{
	(void)state;
	assert_int_equal(ntf_bucket_of(0), NTF_BUCKET_ZERO);
	assert_int_equal(ntf_bucket_of(1), reference_bucket(1));
	/* a second is an edge: it closes native bucket 0 */
	assert_int_equal(ntf_bucket_native(ntf_bucket_of(1000000000)), 0);
	assert_int_equal(ntf_bucket_native(ntf_bucket_of(1000000001)), 1);
	assert_int_equal(ntf_bucket_native(ntf_bucket_of(999999999)), 0);
	/* as are 2 s, 4 s, 0.5 s: exact powers of two seconds in ns */
	assert_int_equal(ntf_bucket_native(ntf_bucket_of(2000000000)), 16);
	assert_int_equal(ntf_bucket_native(ntf_bucket_of(2000000001)), 17);
	assert_int_equal(ntf_bucket_native(ntf_bucket_of(500000000)), -16);
	assert_int_equal(ntf_bucket_native(ntf_bucket_of(500000001)), -15);
	assert_true(ntf_bucket_of(~0ULL) < NTF_BUCKET_ZERO);
	assert_int_equal(ntf_bucket_of(~0ULL), reference_bucket(~0ULL >> 1) + 16);
}

/* Each edge from 1 ns to ~18 minutes: the integer on or below it, and above. */
static void every_edge(void **state)
{
	(void)state;
	for (int n = -478; n <= 160; n++) {
		long double edge = edge_ns(n);
		__u64 below = (__u64)floorl(edge);

		if (below == 0)
			continue;
		assert_int_equal(ntf_bucket_of(below), reference_bucket(below));
		assert_int_equal(ntf_bucket_of(below + 1), reference_bucket(below + 1));
		if (below >= 32) {
			/* edges more than 1 ns apart: below is in n, below + 1 in n + 1 */
			assert_int_equal(ntf_bucket_native(ntf_bucket_of(below)), n);
			assert_int_equal(ntf_bucket_native(ntf_bucket_of(below + 1)), n + 1);
		}
	}
}

/* A deterministic spread of values, each checked against the reference. */
static void spread_of_values(void **state)
{
	__u64 x = 88172645463325252ULL;

	(void)state;
	for (int n = 0; n < 200000; n++) {
		__u64 v;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		v = x >> (x % 40 + 20); /* every magnitude from 1 ns to ~2^44 */
		if (!v)
			continue;
		assert_int_equal(ntf_bucket_of(v), reference_bucket(v));
		assert_true(ntf_bucket_low(ntf_bucket_of(v)) < (double)v * (1 + 1e-12));
		assert_true(ntf_bucket_high(ntf_bucket_of(v)) >= (double)v * (1 - 1e-12));
	}
}

static void same_as_bpf(__u64 v)
{
	if (ntf_bucket_of(v) != ntf_bucket_index(v))
		fail_msg("%llu ns: bucket %u, BPF's function says %u", (unsigned long long)v,
			 ntf_bucket_of(v), ntf_bucket_index(v));
}

/*
 * ntf_bucket_of looks up a row of the value's power of two and its next 5
 * bits, then compares with one edge: it can only differ from the function
 * BPF runs just above an edge (a second edge inside a row) or where a row
 * starts. Both are checked, every value below 2^20, and a spread.
 */
/* The log2 the probes slot latencies by, without branches: each power of two and its neighbours. */
static void log2_by_arithmetic(void **state)
{
	(void)state;
	assert_int_equal(ntf_log2(1), 0);
	for (unsigned int p = 1; p < 64; p++) {
		__u64 v = 1ULL << p;

		assert_int_equal(ntf_log2(v), p);
		assert_int_equal(ntf_log2(v - 1), p - 1);
		assert_int_equal(ntf_log2(v | (v - 1)), p);
		assert_int_equal(ntf_log2(v + (v >> 1)), p);
	}
	for (int i = 0; i < 100000; i++) {
		__u64 v = ((__u64)random() << 33) ^ ((__u64)random() << 11) ^ (__u64)random();

		v >>= random() % 64;
		if (v)
			assert_int_equal(ntf_log2(v), 63 - __builtin_clzll(v));
	}
}

static void table_lookup_agrees_with_bpf(void **state)
{
	__u64 x = 0x2545f4914f6cdd1dULL;

	(void)state;
	for (int i = 0; i < NTF_EDGES; i++) {
		__u64 e = ntf_hist_edges[i];

		same_as_bpf(e - 1);
		same_as_bpf(e);
		if (e != ~0ULL)
			same_as_bpf(e + 1);
	}
	for (int p = 0; p < 64; p++) {
		for (__u64 m = 0; m < 32; m++) {
			__u64 least = p >= 5 ? (32 | m) << (p - 5) : (32 | m) >> (5 - p);

			same_as_bpf(least - 1);
			same_as_bpf(least);
			same_as_bpf(least + 1);
		}
	}
	same_as_bpf(~0ULL);
	for (__u64 v = 0; v < 1 << 20; v++)
		same_as_bpf(v);
	for (int k = 0; k < 1000000; k++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		same_as_bpf(x >> (x % 64));
	}
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

static double uniform01(__u64 *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return (double)(*x >> 11) / (double)(1ULL << 53);
}

/* Quantiles of a sample within the bucket bound of the exact ones. */
static void check_quantiles(__u64 *v, size_t n)
{
	static const double ps[] = { 0.01, 0.1, 0.5, 0.9, 0.99, 0.999, 1.0 };
	struct ntf_buckets bs = {};
	__u64 min = ~0ULL, max = 0;
	double bound = exp2(0.5 / NTF_BUCKETS_PER_POW2) - 1; /* 2.19% */

	for (size_t i = 0; i < n; i++) {
		assert_int_equal(ntf_buckets_add(&bs, v[i]), 0);
		min = v[i] < min ? v[i] : min;
		max = v[i] > max ? v[i] : max;
	}
	assert_int_equal(ntf_buckets_total(&bs), n);
	qsort(v, n, sizeof(*v), cmp_u64);
	for (size_t k = 0; k < sizeof(ps) / sizeof(ps[0]); k++) {
		size_t rank = (size_t)ceil(ps[k] * (double)n);
		double exact = (double)v[rank - 1];
		double got = ntf_buckets_quantile(&bs, ps[k], min, max);

		if (fabs(got - exact) > exact * bound + 1e-9)
			fail_msg("p%g: got %.1f, exact %.1f (bound %.2f%%)", ps[k] * 100, got,
				 exact, bound * 100);
	}
	ntf_buckets_free(&bs);
}

static void quantiles_of_known_distributions(void **state)
{
	enum { N = 100000 };
	__u64 *v = malloc(N * sizeof(*v)), x = 0x9e3779b97f4a7c15ULL;

	(void)state;
	assert_non_null(v);
	/* uniform 100 us .. 500 us: what a reader cannot tell apart in log2 */
	for (int i = 0; i < N; i++)
		v[i] = 100000 + (__u64)(uniform01(&x) * 400000);
	check_quantiles(v, N);
	/* log-normal around 20 us, a long tail */
	for (int i = 0; i < N; i++) {
		double u1 = uniform01(&x) + 1e-12, u2 = uniform01(&x);

		v[i] = (__u64)exp(log(20000) + 1.5 * sqrt(-2 * log(u1)) * cos(2 * M_PI * u2)) + 1;
	}
	check_quantiles(v, N);
	/* two modes: fast callbacks and, one in a hundred, a 30 ms fence wait */
	for (int i = 0; i < N; i++)
		v[i] = uniform01(&x) < 0.99 ? 800 + (__u64)(uniform01(&x) * 400) :
					      30000000 + (__u64)(uniform01(&x) * 1000000);
	check_quantiles(v, N);
	/* one value repeated: min and max make every quantile exact */
	for (int i = 0; i < N; i++)
		v[i] = 150123;
	check_quantiles(v, N);
	free(v);
}

static void merge_and_zero_bucket(void **state)
{
	struct ntf_buckets a = {}, b = {};

	(void)state;
	assert_int_equal(ntf_buckets_add(&a, 0), 0);
	assert_int_equal(ntf_buckets_add(&a, 1000), 0);
	assert_int_equal(ntf_buckets_add(&b, 1000), 0);
	assert_int_equal(ntf_buckets_add(&b, 1u << 30), 0);
	assert_int_equal(ntf_buckets_add_index(&b, ntf_bucket_of(5), 1ULL << 40), 0);
	assert_int_equal(ntf_buckets_merge(&a, &b), 0);
	assert_int_equal(a.n, 4);
	/* sorted, the zero bucket first */
	assert_int_equal(a.b[0].index, NTF_BUCKET_ZERO);
	for (__u32 i = 2; i < a.n; i++)
		assert_true(a.b[i - 1].index < a.b[i].index);
	assert_int_equal(ntf_buckets_total(&a), 4 + (1ULL << 40));
	/* 48-bit counts survive */
	assert_int_equal(ntf_bucket_count(&a.b[1]), 1ULL << 40);
	assert_true(ntf_buckets_quantile(&a, 1e-13, 0, 1u << 30) == 0);
	ntf_buckets_reset(&a);
	assert_int_equal(ntf_buckets_total(&a), 0);
	assert_true(ntf_buckets_quantile(&a, 0.5, 0, 0) == 0);
	ntf_buckets_free(&a);
	ntf_buckets_free(&b);
}

/*
 * A merge is the same events added one by one, in one pass: into empty,
 * into buckets it shares some indexes with, with the zero bucket on either
 * side, and with counts above 32 bits.
 */
static void merge_is_adding_one_by_one(void **state)
{
	__u64 x = 0x9e3779b97f4a7c15ULL;

	(void)state;
	for (int round = 0; round < 16; round++) {
		struct ntf_buckets dst = {}, src = {}, direct = {};

		for (int i = 0; i < 2000; i++) {
			__u64 ns, n;
			__u32 index;

			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			ns = round % 4 == 0 ? 0 : (x >> 40) >> (x % (8 + round * 2));
			n = round % 5 == 4 ? (x >> 8) : 1 + x % 3;
			index = ntf_bucket_of(ns);
			assert_int_equal(ntf_buckets_add_index(i % 3 ? &src : &dst, index, n), 0);
			assert_int_equal(ntf_buckets_add_index(&direct, index, n), 0);
		}
		assert_int_equal(ntf_buckets_merge(&dst, &src), 0);
		same_buckets(&dst, &direct);
		ntf_buckets_free(&dst);
		ntf_buckets_free(&src);
		ntf_buckets_free(&direct);
	}
}

/*
 * Slots from buckets against slots counted value by value: a value moves
 * at most one slot up (where a power of two cuts its bucket), never down,
 * so up to every slot the derived count lies between the exact counts up
 * to it and up to the one below; the totals agree; and where no bucket is
 * cut (slots 0 to 4 hold one value a bucket) nothing moves.
 */
static void slots_from_buckets(void **state)
{
	struct ntf_buckets bs = { 0 };
	struct ntf_hist exact = { 0 };
	__u64 derived[NTF_HIST_SLOTS] = { 0 }, e_upto = 0, e_below = 0, d_upto = 0;

	(void)state;
	/* every power of two, one below and one above, and a few in between */
	for (unsigned int k = 0; k < 40; k++) {
		__u64 p = 1ULL << k, v[] = { p - 1, p, p + 1, p + p / 3, p + p / 2 };

		for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
			assert_int_equal(ntf_buckets_add(&bs, v[i]), 0);
			ntf_hist_add(&exact, v[i]);
		}
	}
	ntf_buckets_add_to_slots(&bs, derived);
	for (int i = 0; i < NTF_HIST_SLOTS; i++) {
		e_below = e_upto;
		e_upto += exact.slots[i];
		d_upto += derived[i];
		assert_true(d_upto <= e_upto);
		assert_true(d_upto >= e_below);
		if (i <= 4)
			assert_int_equal(derived[i], exact.slots[i]);
	}
	assert_int_equal(d_upto, exact.count);
	ntf_buckets_free(&bs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(zero_one_and_the_top),
		cmocka_unit_test(every_edge),
		cmocka_unit_test(spread_of_values),
		cmocka_unit_test(log2_by_arithmetic),
		cmocka_unit_test(table_lookup_agrees_with_bpf),
		cmocka_unit_test(quantiles_of_known_distributions),
		cmocka_unit_test(merge_and_zero_bucket),
		cmocka_unit_test(merge_is_adding_one_by_one),
		cmocka_unit_test(slots_from_buckets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
