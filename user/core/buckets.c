// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <endian.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "buckets.h"
#include "hist_bucket.h"

_Static_assert(NTF_BUCKET_MAX < NTF_BUCKET_ZERO, "stored indexes fit 16 bits");

/*
 * The rows BPF's ntf_bucket_index reads (bpf/hist_edges.h), found with the
 * CPU's count of leading zeros where BPF shifts; tests/unit/test_buckets.c
 * checks the two agree at every edge, next to it and where rows start.
 */
static __u32 row_of(__u64 ns)
{
	int lz = __builtin_clzll(ns);

	return (__u32)(63 - lz) << NTF_ROW_BITS |
	       ((__u32)(ns << lz >> (63 - NTF_ROW_BITS)) & ((1u << NTF_ROW_BITS) - 1));
}

__u32 ntf_bucket_of(__u64 ns)
{
	__u32 below;

	if (!ns)
		return NTF_BUCKET_ZERO;
	below = ntf_hist_rows[row_of(ns)];
	/* below is at most NTF_EDGES - 1, whose edge (2^64 - 1) no value passes */
	below += ntf_hist_edges[below] < ns;
	return NTF_BUCKET_FIRST + below;
}

_Static_assert(NTF_BUCKETS_MAX == NTF_BUCKET_MAX - NTF_BUCKET_FIRST + 2,
	       "every index from 1 ns up, and the zero bucket");
_Static_assert(NTF_BUCKET_LOWEST == NTF_BUCKET_FIRST && NTF_BUCKET_HIGHEST == NTF_BUCKET_MAX,
	       "buckets.h's copy of the index range");

_Static_assert(NTF_BUCKET_MAX < 1 << 11, "stage_base holds any index");
_Static_assert(NTF_STAGE_CHUNKS_MAX < 1 << 3, "stage_chunks holds the most");

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

static void set_count(struct ntf_bucket *b, __u64 count)
{
	b->count_hi = count >> 32;
	b->count_lo = (__u32)count;
}

static size_t stage_size(__u32 chunks)
{
	return chunks * NTF_STAGE_CHUNK / 2;
}

/* The allocation: the stage, then cap buckets from b. */
static unsigned char *stage_of(const struct ntf_buckets *bs)
{
	return (unsigned char *)bs->b - stage_size(bs->stage_chunks);
}

static unsigned int nibble(const unsigned char *stage, __u32 off)
{
	return stage[off / 2] >> (off & 1) * 4 & 15;
}

/* Room for cap buckets after the stage, which moves along. */
static int resize(struct ntf_buckets *bs, __u32 cap)
{
	size_t stage = stage_size(bs->stage_chunks);
	unsigned char *p = realloc(bs->b ? stage_of(bs) : NULL, stage + cap * sizeof(*bs->b));

	if (!p)
		return -ENOMEM;
	bs->b = (struct ntf_bucket *)(p + stage);
	bs->cap = cap;
	return 0;
}

int ntf_buckets_add_index(struct ntf_buckets *bs, __u32 index, __u64 n)
{
	__u32 at = find(bs, index);

	if (at < bs->n && bs->b[at].index == index) {
		set_count(&bs->b[at], ntf_bucket_count(&bs->b[at]) + n);
		return 0;
	}
	if (bs->n == bs->cap) {
		/*
		 * Latencies cluster: a few buckets first, then doubling. A
		 * staged key's buckets come mostly from ntf_buckets_settle,
		 * which makes room for all it adds at once: 4 more is enough.
		 */
		__u32 cap = bs->stage_chunks ? bs->cap + 4 : bs->cap ? bs->cap * 2 : 4;

		if (resize(bs, cap))
			return -ENOMEM;
	}
	memmove(&bs->b[at + 1], &bs->b[at], (bs->n - at) * sizeof(*bs->b));
	bs->b[at].index = index;
	set_count(&bs->b[at], n);
	bs->n++;
	return 0;
}

/* A stage of chunks from base, with the counts of the one before: it covers them. */
static int move_stage(struct ntf_buckets *bs, __u32 base, __u32 chunks)
{
	size_t now = stage_size(chunks);
	unsigned char *p = malloc(now + bs->cap * sizeof(*bs->b)), *old = stage_of(bs);

	if (!p)
		return -ENOMEM;
	memset(p, 0, now);
	for (__u32 off = 0; bs->staged && off < bs->stage_chunks * NTF_STAGE_CHUNK; off++) {
		__u32 to = bs->stage_base + off - base;

		if (nibble(old, off))
			p[to / 2] |= nibble(old, off) << (to & 1) * 4;
	}
	if (bs->n)
		memcpy(p + now, bs->b, bs->n * sizeof(*bs->b));
	free(bs->b ? old : NULL);
	bs->b = (struct ntf_bucket *)(p + now);
	bs->stage_base = base;
	bs->stage_chunks = chunks;
	return 0;
}

/*
 * index is outside the window: widen it, moved to cover what the key has
 * (in b and staged) and index, when that fits NTF_STAGE_CHUNKS_MAX. Not
 * for a key of a few buckets: they fit a line of b, as the stage would.
 */
static int widen(struct ntf_buckets *bs, __u32 index)
{
	__u32 lo = index, hi = index, z = bs->n && bs->b[0].index == NTF_BUCKET_ZERO, chunks, slack;
	const unsigned char *st = stage_of(bs);

	if (bs->n < NTF_STAGE_AFTER)
		return -ERANGE;
	if (bs->n > z) {
		lo = bs->b[z].index < lo ? bs->b[z].index : lo;
		hi = bs->b[bs->n - 1].index > hi ? bs->b[bs->n - 1].index : hi;
	}
	for (__u32 off = 0; bs->staged && off < bs->stage_chunks * NTF_STAGE_CHUNK; off++) {
		if (!nibble(st, off))
			continue;
		lo = bs->stage_base + off < lo ? bs->stage_base + off : lo;
		hi = bs->stage_base + off > hi ? bs->stage_base + off : hi;
	}
	chunks = (hi - lo) / NTF_STAGE_CHUNK + 1;
	if (chunks > NTF_STAGE_CHUNKS_MAX)
		return -ERANGE;
	/* what the window has to spare, half below and half above */
	slack = chunks * NTF_STAGE_CHUNK - (hi - lo + 1);
	return move_stage(bs, lo > slack / 2 ? lo - slack / 2 : 0, chunks);
}

int ntf_buckets_stage_slow(struct ntf_buckets *bs, __u32 index)
{
	__u32 off = index - bs->stage_base;
	int err;

	if (index == NTF_BUCKET_ZERO)
		return ntf_buckets_add_index(bs, index, 1);
	if (off < bs->stage_chunks * NTF_STAGE_CHUNK) {
		/* a full nibble: its 15 and this event go to b, and it starts again */
		err = ntf_buckets_add_index(bs, index, 16);
		if (!err)
			stage_of(bs)[off / 2] &= (unsigned char)~(15u << (off & 1) * 4);
		return err;
	}
	if (widen(bs, index))
		return ntf_buckets_add_index(bs, index, 1);
	return ntf_buckets_stage(bs, index);
}

int ntf_buckets_settle(struct ntf_buckets *bs)
{
	struct {
		__u16 index, count;
	} got[NTF_STAGE_CHUNK * NTF_STAGE_CHUNKS_MAX];
	__u32 words = stage_size(bs->stage_chunks) / 8, k = 0, added = 0, z, i, w;
	unsigned char *st;

	if (!bs->staged)
		return 0;
	/* what is staged, 16 nibbles at a time: most are 0 */
	st = stage_of(bs);
	for (__u32 word = 0; word < words; word++) {
		__u64 v;

		memcpy(&v, st + word * 8, 8);
		v = le64toh(v); /* nibble i of the word is byte i / 2's, low half first */
		while (v) {
			unsigned int nib = __builtin_ctzll(v) / 4;

			got[k].index = bs->stage_base + word * 16 + nib;
			got[k++].count = v >> nib * 4 & 15;
			v &= ~(15ULL << nib * 4);
		}
	}
	/* the indexes b has no bucket for: one pass up both */
	z = bs->n && bs->b[0].index == NTF_BUCKET_ZERO;
	i = z;
	for (__u32 j = 0; j < k; j++) {
		while (i < bs->n && bs->b[i].index < got[j].index)
			i++;
		added += !(i < bs->n && bs->b[i].index == got[j].index);
	}
	if (bs->n + added > bs->cap && resize(bs, bs->n + added))
		return -ENOMEM;
	/* then down both from the top, so that each bucket moves once */
	i = bs->n;
	w = bs->n + added;
	for (__u32 j = k; j-- > 0;) {
		while (i > z && bs->b[i - 1].index > got[j].index)
			bs->b[--w] = bs->b[--i];
		if (i > z && bs->b[i - 1].index == got[j].index) {
			bs->b[--w] = bs->b[--i];
			set_count(&bs->b[w], ntf_bucket_count(&bs->b[w]) + got[j].count);
		} else {
			bs->b[--w].index = got[j].index;
			set_count(&bs->b[w], got[j].count);
		}
	}
	bs->n += added;
	memset(stage_of(bs), 0, stage_size(bs->stage_chunks));
	bs->staged = 0;
	return 0;
}

size_t ntf_buckets_bytes(const struct ntf_buckets *bs)
{
	return bs->b ? stage_size(bs->stage_chunks) + bs->cap * sizeof(*bs->b) : 0;
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

int ntf_buckets_copy(struct ntf_buckets *dst, const struct ntf_buckets *src)
{
	/* dst := src: what dst had staged goes too, and its stage keeps its window */
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

	/* what dst staged must be in b before it can be taken back (kept staged on -ENOMEM) */
	if (dst->staged)
		ntf_buckets_settle(dst);
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
		set_count(&b, have - take);
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
	if (bs->staged)
		memset(stage_of(bs), 0, stage_size(bs->stage_chunks));
	bs->staged = 0;
}

void ntf_buckets_free(struct ntf_buckets *bs)
{
	free(bs->b ? stage_of(bs) : NULL);
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
