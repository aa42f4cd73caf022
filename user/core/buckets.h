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
__u32 ntf_bucket_of(__u64 ns);
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

/*
 * What readers see is b[0..n). A writer of many events per key may stage
 * them instead (ntf_buckets_stage): a 4-bit count per index of a window of
 * 64 to 256 indexes, kept in the same allocation just before b, which
 * ntf_buckets_settle adds to b. An event then costs a nibble in a line or
 * two per key, where b (8 bytes a bucket, found by a search) costs one of
 * its lines, a line or two more to search, and more of the cache the
 * key's other lines need: most of what fine buckets added to the
 * daemon's per-event cost. The stage takes about the room b's doubling
 * used to leave empty: a staged key's b grows by what it needs.
 */
#define NTF_STAGE_CHUNK 64 /* indexes per 32 bytes of stage */
#define NTF_STAGE_CHUNKS_MAX 4 /* 16 powers of two */
#define NTF_STAGE_AFTER 8 /* buckets in b before a stage: a line of them */

struct ntf_buckets {
	struct ntf_bucket *b; /* sorted by index, the zero bucket first */
	__u32 n;
	__u16 cap; /* at most 2,048: 1,026 indexes, doubled from 4 */
	/* the stage: [stage_base, stage_base + NTF_STAGE_CHUNK * stage_chunks) */
	__u16 stage_base : 11; /* above NTF_BUCKET_MAX */
	__u16 stage_chunks : 3;
	__u16 staged : 1; /* the stage may hold counts b does not have */
};

/* Buckets a histogram can hold: the 1,025 from 1 ns up and the zero bucket. */
#define NTF_BUCKETS_MAX 1026
/* The stored indexes of 1 ns and of 2^64 - 1 ns (NTF_BUCKET_FIRST and _MAX there). */
#define NTF_BUCKET_LOWEST 34
#define NTF_BUCKET_HIGHEST 1058
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

/* Adds n events to bucket index; -ENOMEM leaves bs as it was. */
int ntf_buckets_add_index(struct ntf_buckets *bs, __u32 index, __u64 n);

int ntf_buckets_stage_slow(struct ntf_buckets *bs, __u32 index);
/*
 * Counts one event of bucket index: in the stage when its window holds
 * index, else in b, after widening the window to take it when that fits
 * NTF_STAGE_CHUNKS_MAX and b has NTF_STAGE_AFTER buckets. Readers see
 * staged events once ntf_buckets_settle has run. 0 or -ENOMEM (the
 * event is not counted).
 */
static inline int ntf_buckets_stage(struct ntf_buckets *bs, __u32 index)
{
	__u32 off = index - bs->stage_base;

	if (off < bs->stage_chunks * (__u32)NTF_STAGE_CHUNK) {
		unsigned char *c = (unsigned char *)bs->b - bs->stage_chunks * 32 + off / 2;
		unsigned int shift = (off & 1) * 4;

		/* a full nibble (15) goes to b with this event: 16 */
		if ((*c >> shift & 15) != 15) {
			*c += 1 << shift;
			if (!bs->staged)
				bs->staged = 1;
			return 0;
		}
	}
	return ntf_buckets_stage_slow(bs, index);
}
/* Adds the staged events to b and empties the stage: 0 or -ENOMEM (kept staged). */
int ntf_buckets_settle(struct ntf_buckets *bs);
/* Bytes allocated: the stage and cap buckets. */
size_t ntf_buckets_bytes(const struct ntf_buckets *bs);
static inline int ntf_buckets_add(struct ntf_buckets *bs, __u64 ns)
{
	return ntf_buckets_add_index(bs, ntf_bucket_of(ns), 1);
}
/* Adds src's buckets (b: what a reader sees) to dst's. */
int ntf_buckets_merge(struct ntf_buckets *dst, const struct ntf_buckets *src);
/*
 * dst := src (what src's readers see: settled), in dst's storage when it
 * is big enough, else in storage of src's size rounded up to 4 buckets
 * (little slack: a mirror holds one per key, and a key's buckets grow one
 * at a time). dst's stage is emptied. -ENOMEM leaves dst empty.
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
/* Empties b and the stage, keeping the memory and the window. */
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
