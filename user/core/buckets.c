// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "buckets.h"
#include "hist_bucket.h"
#include "histogram.h"

_Static_assert(NTF_BUCKET_MAX < NTF_BUCKET_ZERO, "stored indexes fit 16 bits");

_Static_assert(NTF_BUCKET_ROW_BITS == NTF_ROW_BITS, "buckets.h's copy of the row bits");
const __u16 *const ntf_bucket_rows = ntf_hist_rows;
const __u64 *const ntf_bucket_edges = ntf_hist_edges;

_Static_assert(NTF_BUCKETS_MAX == NTF_BUCKET_MAX - NTF_BUCKET_FIRST + 2,
	       "every index from 1 ns up, and the zero bucket");
_Static_assert(NTF_BUCKET_LOWEST == NTF_BUCKET_FIRST && NTF_BUCKET_HIGHEST == NTF_BUCKET_MAX,
	       "buckets.h's copy of the index range");

/* The zero bucket sorts first. */
static __u32 sort_key(__u32 index)
{
	return ntf_bucket_order(index);
}

/*
 * Where index is, or would go: a binary search without branches on the
 * data, whose turns the predictor could not guess.
 */
static __u32 find(const struct ntf_buckets *bs, __u32 index)
{
	const struct ntf_bucket *p = bs->b;
	__u32 n = bs->n, key = sort_key(index);

	if (!n)
		return 0;
	while (n > 1) {
		__u32 half = n / 2;

		p = sort_key(p[half].index) < key ? p + half : p;
		n -= half;
	}
	return (__u32)(p - bs->b) + (sort_key(p->index) < key);
}

static int resize(struct ntf_buckets *bs, __u32 cap)
{
	struct ntf_bucket *b = realloc(bs->b, cap * sizeof(*bs->b));

	if (!b)
		return -ENOMEM;
	bs->b = b;
	bs->cap = cap;
	return 0;
}

/*
 * Where index is if the buckets from the first timed one to it are all
 * there, as in the thick of a key's latencies: two lines to read, where
 * the search reads one a step. bs->n when it is not.
 */
static __u32 guess(const struct ntf_buckets *bs, __u32 index)
{
	__u32 z = bs->n && bs->b[0].index == NTF_BUCKET_ZERO, at;

	if (z >= bs->n || index < bs->b[z].index || index == NTF_BUCKET_ZERO)
		return bs->n;
	at = z + (index - bs->b[z].index);
	return at < bs->n && bs->b[at].index == index ? at : bs->n;
}

int ntf_buckets_add_index(struct ntf_buckets *bs, __u32 index, __u64 n)
{
	__u32 at = guess(bs, index);

	if (at == bs->n)
		at = find(bs, index);
	if (at < bs->n && bs->b[at].index == index) {
		ntf_bucket_set_count(&bs->b[at], ntf_bucket_count(&bs->b[at]) + n);
		return 0;
	}
	if (bs->n == bs->cap) {
		/*
		 * Latencies cluster: a few buckets first, then powers of two
		 * (not the double of a merge's exact size)
		 */
		__u32 cap = 4;

		while (cap <= bs->n)
			cap *= 2;
		if (resize(bs, cap))
			return -ENOMEM;
	}
	memmove(&bs->b[at + 1], &bs->b[at], (bs->n - at) * sizeof(*bs->b));
	bs->b[at].index = index;
	ntf_bucket_set_count(&bs->b[at], n);
	bs->n++;
	return 0;
}

int ntf_buckets_reserve(struct ntf_buckets *bs, __u32 n)
{
	return n <= bs->cap ? 0 : resize(bs, (n + 3) & ~3u);
}

size_t ntf_buckets_bytes(const struct ntf_buckets *bs)
{
	return bs->b ? bs->cap * sizeof(*bs->b) : 0;
}

int ntf_buckets_merge(struct ntf_buckets *dst, const struct ntf_buckets *src)
{
	__u32 added = 0, i = 0, w;

	/* the indexes dst has no bucket for: one pass up both */
	for (__u32 j = 0; j < src->n; j++) {
		__u32 key = sort_key(src->b[j].index);

		while (i < dst->n && sort_key(dst->b[i].index) < key)
			i++;
		added += !(i < dst->n && dst->b[i].index == src->b[j].index);
	}
	if (dst->n + added > dst->cap && resize(dst, (dst->n + added + 3) & ~3u))
		return -ENOMEM;
	/* then down both from the top, so that each bucket moves once */
	i = dst->n;
	w = dst->n + added;
	for (__u32 j = src->n; j-- > 0;) {
		__u32 key = sort_key(src->b[j].index);

		while (i > 0 && sort_key(dst->b[i - 1].index) > key)
			dst->b[--w] = dst->b[--i];
		if (i > 0 && dst->b[i - 1].index == src->b[j].index) {
			dst->b[--w] = dst->b[--i];
			ntf_bucket_set_count(&dst->b[w], ntf_bucket_count(&dst->b[w]) +
								 ntf_bucket_count(&src->b[j]));
		} else {
			dst->b[--w] = src->b[j];
		}
	}
	dst->n += added;
	return 0;
}

int ntf_buckets_copy(struct ntf_buckets *dst, const struct ntf_buckets *src)
{
	ntf_buckets_reset(dst);
	if (dst->cap < src->n && resize(dst, (src->n + 3) & ~3u))
		return -ENOMEM;
	if (src->n)
		memcpy(dst->b, src->b, src->n * sizeof(*dst->b));
	dst->n = src->n;
	return 0;
}

void ntf_buckets_sub(struct ntf_buckets *dst, const struct ntf_buckets *src)
{
	__u32 i = 0, j = 0, out = 0;

	/* both sorted: one pass, compacting dst as it goes */
	for (; i < dst->n; i++) {
		struct ntf_bucket b = dst->b[i];
		__u64 have = ntf_bucket_count(&b), take = 0;

		while (j < src->n && sort_key(src->b[j].index) < sort_key(b.index))
			j++;
		if (j < src->n && src->b[j].index == b.index)
			take = ntf_bucket_count(&src->b[j++]);
		if (have <= take)
			continue;
		ntf_bucket_set_count(&b, have - take);
		dst->b[out++] = b;
	}
	dst->n = out;
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

unsigned int ntf_bucket_top_slot(__u32 index)
{
	/* the table's edge is the bucket's highest value in ns */
	return index == NTF_BUCKET_ZERO ? 0 :
					  ntf_hist_slot(ntf_hist_edges[index - NTF_BUCKET_FIRST]);
}

void ntf_buckets_add_to_slots(const struct ntf_buckets *bs, __u64 slots[NTF_HIST_SLOTS])
{
	for (__u32 i = 0; i < bs->n; i++)
		slots[ntf_bucket_top_slot(bs->b[i].index)] += ntf_bucket_count(&bs->b[i]);
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
