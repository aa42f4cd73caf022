// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "buckets.h"
#include "hist_bucket.h"

_Static_assert(NTF_BUCKET_MAX < NTF_BUCKET_ZERO, "stored indexes fit 16 bits");

/*
 * User space need not keep to what the verifier walks: a value's power of
 * two and the 5 bits after its leading one name a row of (at most) 3.1% of
 * its value, narrower than a bucket (4.4%), so at most one edge is inside
 * a row and one comparison finishes the lookup the table starts. Each row
 * holds how many edges are below its least value: ntf_bucket_index of it,
 * less NTF_BUCKET_FIRST, so the table is that function's answers.
 * tests/unit/test_buckets.c checks the two agree at every edge and next to
 * it, which is where they could differ.
 */
#define ROW_BITS 5
static __u16 edges_below[64 << ROW_BITS];

static __u32 row_of(__u64 ns)
{
	int lz = __builtin_clzll(ns);

	return (__u32)(63 - lz) << ROW_BITS |
	       ((__u32)(ns << lz >> (63 - ROW_BITS)) & ((1u << ROW_BITS) - 1));
}

__attribute__((constructor)) static void fill_rows(void)
{
	for (__u32 p = 0; p < 64; p++) {
		for (__u32 m = 0; m < 1u << ROW_BITS; m++) {
			__u64 top = (1ULL << ROW_BITS) | m, least;

			/* the least value of row (p, m); none when p has too few bits */
			if (p >= ROW_BITS)
				least = top << (p - ROW_BITS);
			else if (m & ((1u << (ROW_BITS - p)) - 1))
				continue;
			else
				least = top >> (ROW_BITS - p);
			edges_below[row_of(least)] = ntf_bucket_index(least) - NTF_BUCKET_FIRST;
		}
	}
}

__u32 ntf_bucket_of(__u64 ns)
{
	__u32 below;

	if (!ns)
		return NTF_BUCKET_ZERO;
	below = edges_below[row_of(ns)];
	/* below is at most NTF_EDGES - 1, whose edge (2^64 - 1) no value passes */
	below += ntf_hist_edges[below] < ns;
	return NTF_BUCKET_FIRST + below;
}

/* The zero bucket sorts first. */
static __u32 sort_key(__u32 index)
{
	return index == NTF_BUCKET_ZERO ? 0 : index + 1;
}

/* Where index is, or would go. */
static __u32 find(const struct ntf_buckets *bs, __u32 index)
{
	__u32 lo = 0, hi = bs->n, key = sort_key(index);

	while (lo < hi) {
		__u32 mid = lo + (hi - lo) / 2;

		if (sort_key(bs->b[mid].index) < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void set_count(struct ntf_bucket *b, __u64 count)
{
	b->count_hi = count >> 32;
	b->count_lo = (__u32)count;
}

int ntf_buckets_add_index(struct ntf_buckets *bs, __u32 index, __u64 n)
{
	__u32 at = find(bs, index);

	if (at < bs->n && bs->b[at].index == index) {
		set_count(&bs->b[at], ntf_bucket_count(&bs->b[at]) + n);
		return 0;
	}
	if (bs->n == bs->cap) {
		/* latencies cluster: a few buckets first, then doubling */
		__u32 cap = bs->cap ? bs->cap * 2 : 4;
		struct ntf_bucket *b = realloc(bs->b, cap * sizeof(*b));

		if (!b)
			return -ENOMEM;
		bs->b = b;
		bs->cap = cap;
	}
	memmove(&bs->b[at + 1], &bs->b[at], (bs->n - at) * sizeof(*bs->b));
	bs->b[at].index = index;
	set_count(&bs->b[at], n);
	bs->n++;
	return 0;
}

int ntf_buckets_merge(struct ntf_buckets *dst, const struct ntf_buckets *src)
{
	for (__u32 i = 0; i < src->n; i++) {
		int err = ntf_buckets_add_index(dst, src->b[i].index, ntf_bucket_count(&src->b[i]));

		if (err)
			return err;
	}
	return 0;
}

__u64 ntf_buckets_total(const struct ntf_buckets *bs)
{
	__u64 sum = 0;

	for (__u32 i = 0; i < bs->n; i++)
		sum += ntf_bucket_count(&bs->b[i]);
	return sum;
}

void ntf_buckets_reset(struct ntf_buckets *bs)
{
	bs->n = 0;
}

void ntf_buckets_free(struct ntf_buckets *bs)
{
	free(bs->b);
	memset(bs, 0, sizeof(*bs));
}

double ntf_bucket_low(__u32 index)
{
	if (index == NTF_BUCKET_ZERO)
		return 0;
	return 1e9 * exp2((double)(ntf_bucket_native(index) - 1) / NTF_BUCKETS_PER_POW2);
}

double ntf_bucket_high(__u32 index)
{
	if (index == NTF_BUCKET_ZERO)
		return 0;
	return 1e9 * exp2((double)ntf_bucket_native(index) / NTF_BUCKETS_PER_POW2);
}

double ntf_buckets_quantile(const struct ntf_buckets *bs, double p, __u64 min_ns, __u64 max_ns)
{
	__u64 total = ntf_buckets_total(bs), rank, seen = 0;
	double v;

	if (!total)
		return 0;
	rank = (__u64)ceil(p * (double)total);
	if (rank < 1)
		rank = 1;
	if (rank > total)
		rank = total;
	for (__u32 i = 0; i < bs->n; i++) {
		seen += ntf_bucket_count(&bs->b[i]);
		if (seen < rank)
			continue;
		if (bs->b[i].index == NTF_BUCKET_ZERO)
			return 0;
		v = 1e9 *
		    exp2(((double)ntf_bucket_native(bs->b[i].index) - 0.5) / NTF_BUCKETS_PER_POW2);
		if (v < (double)min_ns)
			v = (double)min_ns;
		if (max_ns && v > (double)max_ns)
			v = (double)max_ns;
		return v;
	}
	return (double)max_ns;
}

bool ntf_buckets_cover(const struct ntf_buckets *bs, __u64 count)
{
	__u64 total;

	if (!bs->n)
		return false;
	total = ntf_buckets_total(bs);
	return total <= count + count / 100 && total + count / 100 >= count;
}
