/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Sparse fine histograms over the buckets of bpf/hist_bucket.h: only the
 * buckets that hold something are kept, sorted, so a key whose latencies
 * cluster costs a few bytes a bucket, not a 1,025-slot array. Quantiles
 * are read at the geometric middle of the bucket that holds them and
 * clamped to the exact min and max: within 2.2% of the true value.
 */
#ifndef NTF_BUCKETS_H
#define NTF_BUCKETS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "notifier.h"

/* bpf/hist_bucket.h's, kept out of headers so its table has one copy here */
#define NTF_BUCKETS_PER_POW2 16 /* 2^NTF_BUCKET_SCHEMA */
#define NTF_BUCKET_OFFSET 512
#define NTF_BUCKET_ZERO 0xffff
/* The Prometheus native index of a stored one (schema 4, seconds). */
static inline int ntf_bucket_native(__u32 index)
{
	return (int)index - NTF_BUCKET_OFFSET;
}

/* 8 bytes: a 16-bit index and a 48-bit count (2.8e14 events). */
struct ntf_bucket {
	__u16 index; /* NTF_BUCKET_ZERO for 0 ns */
	__u16 count_hi;
	__u32 count_lo;
};

struct ntf_buckets {
	struct ntf_bucket *b; /* sorted by index, the zero bucket first */
	__u32 n;
	__u32 cap; /* at most 2,048: 1,026 indexes, doubled from 4 */
};

/* Buckets a histogram can hold: the 1,025 from 1 ns up and the zero bucket. */
#define NTF_BUCKETS_MAX 1026
/* The stored indexes of 1 ns and of 2^64 - 1 ns (NTF_BUCKET_FIRST and _MAX there). */
#define NTF_BUCKET_LOWEST 34
#define NTF_BUCKET_HIGHEST 1058
/* bpf/hist_edges.h's tables, as buckets.c has them (ntf_bucket_of reads them inline) */
#define NTF_BUCKET_ROW_BITS 5
extern const __u16 *const ntf_bucket_rows;
extern const __u64 *const ntf_bucket_edges;
/*
 * The rows BPF's ntf_bucket_index reads (bpf/hist_edges.h), found with the
 * CPU's count of leading zeros where BPF shifts; tests/unit/test_buckets.c
 * checks the two agree at every edge, next to it and where rows start.
 * Inline: the aggregate calls it for every event.
 */
static inline __u32 ntf_bucket_of(__u64 ns)
{
	__u32 row, below;
	int lz;

	if (!ns)
		return NTF_BUCKET_ZERO;
	lz = __builtin_clzll(ns);
	row = (__u32)(63 - lz) << NTF_BUCKET_ROW_BITS |
	      ((__u32)(ns << lz >> (63 - NTF_BUCKET_ROW_BITS)) & ((1u << NTF_BUCKET_ROW_BITS) - 1));
	below = ntf_bucket_rows[row];
	/* below is at most the last edge's place, whose edge (2^64 - 1) no value passes */
	below += ntf_bucket_edges[below] < ns;
	return NTF_BUCKET_LOWEST + below;
}
/* Whether index is one a bucket is stored under (a decoder's check). */
static inline bool ntf_bucket_valid(__u32 index)
{
	return index == NTF_BUCKET_ZERO ||
	       (index >= NTF_BUCKET_LOWEST && index <= NTF_BUCKET_HIGHEST);
}
/* The order buckets are kept in: the zero bucket first, then by index. */
static inline __u32 ntf_bucket_order(__u32 index)
{
	return index == NTF_BUCKET_ZERO ? 0 : index + 1;
}

static inline __u64 ntf_bucket_count(const struct ntf_bucket *b)
{
	return (__u64)b->count_hi << 32 | b->count_lo;
}

static inline void ntf_bucket_set_count(struct ntf_bucket *b, __u64 count)
{
	b->count_hi = count >> 32;
	b->count_lo = (__u32)count;
}

/* Adds n events to bucket index; -ENOMEM leaves bs as it was. */
int ntf_buckets_add_index(struct ntf_buckets *bs, __u32 index, __u64 n);

/* Makes room for n buckets (rounded up to 4): 0 or -ENOMEM, bs as it was. */
int ntf_buckets_reserve(struct ntf_buckets *bs, __u32 n);
/* Bytes allocated: cap buckets. */
size_t ntf_buckets_bytes(const struct ntf_buckets *bs);
static inline int ntf_buckets_add(struct ntf_buckets *bs, __u64 ns)
{
	return ntf_buckets_add_index(bs, ntf_bucket_of(ns), 1);
}
/*
 * Adds src's buckets to dst's in one pass, dst grown once to what it
 * needs: 0, or -ENOMEM with dst as it was.
 */
int ntf_buckets_merge(struct ntf_buckets *dst, const struct ntf_buckets *src);
/*
 * dst := src, in dst's storage when it is big enough, else in storage of
 * src's size rounded up to 4 buckets (little slack: a mirror holds one
 * per key, and a key's buckets grow one at a time). -ENOMEM leaves dst
 * empty.
 */
int ntf_buckets_copy(struct ntf_buckets *dst, const struct ntf_buckets *src);
/*
 * dst -= src, bucket by bucket, a count never below 0; the buckets left
 * empty are dropped. For taking back what src added to dst before.
 */
void ntf_buckets_sub(struct ntf_buckets *dst, const struct ntf_buckets *src);
/* Events in every bucket. */
__u64 ntf_buckets_total(const struct ntf_buckets *bs);
/*
 * Whether bs holds (about) the count events a histogram says it has, so
 * its quantiles stand for them: not when the kernel's bucket map was full
 * and lost some (new latencies first). 1% of slack: the two maps are
 * read a moment apart while events go on.
 */
bool ntf_buckets_cover(const struct ntf_buckets *bs, __u64 count);
/*
 * Adds bs's events to log2 slots (core/histogram.h), each bucket's to the
 * slot of its highest value: exact but for the one bucket in 16 that a
 * power of two cuts, whose events all go to the upper slot. So the
 * highest slot with events still bounds the largest of them.
 */
void ntf_buckets_add_to_slots(const struct ntf_buckets *bs, __u64 slots[NTF_HIST_SLOTS]);
/* The log2 slot ntf_buckets_add_to_slots gives bucket index: its highest value's. */
unsigned int ntf_bucket_top_slot(__u32 index);
/* Empties b, keeping the memory. */
void ntf_buckets_reset(struct ntf_buckets *bs);
void ntf_buckets_free(struct ntf_buckets *bs);

/*
 * The edges of bucket index in ns: (low, high]; both 0 for the zero
 * bucket. As doubles: exact edges are irrational, the table's floors.
 */
double ntf_bucket_low(__u32 index);
double ntf_bucket_high(__u32 index);

/*
 * The p-quantile (0 < p <= 1) in ns: the value of rank ceil(p * total),
 * read at its bucket's geometric middle and kept within [min_ns, max_ns],
 * the exact extremes the caller tracked. 0 when empty.
 */
double ntf_buckets_quantile(const struct ntf_buckets *bs, double p, __u64 min_ns, __u64 max_ns);

#endif
