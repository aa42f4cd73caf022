/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Fine buckets (core/buckets.h) split where a power of two of ns cuts
 * them, for what counts events one by one (the aggregate and its stage):
 * the log2 slots are then read from the buckets exactly, not kept beside
 * them (288 bytes a key). A split index is a bucket's index plus its
 * values' log2 slot (core/histogram.h's ntf_hist_slot): both grow with
 * the value, so the sum does too, and the one bucket in 16 whose values
 * straddle a power of two has two. Split indexes are kept in struct
 * ntf_buckets like bucket indexes; 0 ns keeps NTF_BUCKET_ZERO.
 */
#ifndef NTF_SPLIT_H
#define NTF_SPLIT_H

#include <stdbool.h>
#include <linux/types.h>
#include "buckets.h"
#include "notifier.h"

#define NTF_SPLIT_HIGHEST (NTF_BUCKET_HIGHEST + NTF_HIST_SLOTS - 1)
/*
 * Indexes from here up sort after every split one: an owner may keep
 * counters of its own there, with the buckets (the aggregate keeps a
 * key's origins so: most keys have one or two, not NTF_ORIGIN_MAX).
 * The functions below leave them out.
 */
#define NTF_SPLIT_EXTRA (NTF_SPLIT_HIGHEST + 1)
/* Whether a stored index is a split one (or the zero bucket), not an owner's counter. */
static inline bool ntf_split_is_bucket(__u32 index)
{
	return index < NTF_SPLIT_EXTRA || index == NTF_BUCKET_ZERO;
}

/* The split index of a value of fine bucket bucket and log2 slot slot. */
static inline __u32 ntf_split_index(__u32 bucket, unsigned int slot)
{
	/* the zero bucket's slot is 0: it stays NTF_BUCKET_ZERO */
	return bucket + slot;
}

/* By split index: its bucket (0: no bucket has it) and slot (split.c's tables) */
extern __u16 ntf_split_buckets[NTF_SPLIT_HIGHEST + 1];
extern __u8 ntf_split_slots[NTF_SPLIT_HIGHEST + 1];

/* A split index's bucket and slot; inline, as readers take them of every counter. */
static inline __u32 ntf_split_bucket(__u32 split)
{
	if (split == NTF_BUCKET_ZERO)
		return NTF_BUCKET_ZERO;
	return split <= NTF_SPLIT_HIGHEST ? ntf_split_buckets[split] : 0;
}

static inline unsigned int ntf_split_slot(__u32 split)
{
	return split <= NTF_SPLIT_HIGHEST ? ntf_split_slots[split] : 0;
}

/* The split index of a bucket's lowest value: where its events go when no slot says otherwise. */
__u32 ntf_split_lowest(__u32 bucket);

/*
 * split := fine's buckets, each split as the log2 slots of the same events
 * say, which they do exactly when both counted them all: 0. -EINVAL when
 * they disagree (buckets lost, or read at another moment than the slots);
 * split then holds every bucket at its lowest split index, its slots to be
 * kept apart. -ENOMEM leaves split empty.
 */
int ntf_split_from(struct ntf_buckets *split, const struct ntf_buckets *fine,
		   const __u64 slots[NTF_HIST_SLOTS]);

#endif
