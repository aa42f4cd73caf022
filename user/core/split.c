// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <string.h>
#include "histogram.h"
#include "split.h"

_Static_assert(NTF_SPLIT_EXTRA + 256 < NTF_BUCKET_ZERO,
	       "split indexes and an owner's counters fit where bucket indexes do");

__u16 ntf_split_buckets[NTF_SPLIT_HIGHEST + 1];
__u8 ntf_split_slots[NTF_SPLIT_HIGHEST + 1];
/* By bucket: its lowest split index. */
static __u16 lowest_split[NTF_BUCKET_HIGHEST + 1];

/* A bucket's values are (edge below, its edge]: the table's floors of the true edges. */
static __u64 bucket_low(__u32 bucket)
{
	return bucket == NTF_BUCKET_LOWEST ? 1 :
					     ntf_bucket_edges[bucket - NTF_BUCKET_LOWEST - 1] + 1;
}

static __u64 bucket_high(__u32 bucket)
{
	return ntf_bucket_edges[bucket - NTF_BUCKET_LOWEST];
}

__attribute__((constructor)) static void map_splits(void)
{
	for (__u32 b = NTF_BUCKET_LOWEST; b <= NTF_BUCKET_HIGHEST; b++) {
		__u64 low = bucket_low(b), high = bucket_high(b);
		/* a bucket without values (equal floors) still has a place */
		unsigned int first = ntf_hist_slot(low <= high ? low : high);

		lowest_split[b] = ntf_split_index(b, first);
		for (unsigned int s = first; s <= ntf_hist_slot(high); s++) {
			ntf_split_buckets[ntf_split_index(b, s)] = b;
			ntf_split_slots[ntf_split_index(b, s)] = s;
		}
	}
}

__u32 ntf_split_lowest(__u32 bucket)
{
	return bucket == NTF_BUCKET_ZERO ? NTF_BUCKET_ZERO : lowest_split[bucket];
}

/* Appends n events of split index at to split, which has room. */
static void put(struct ntf_buckets *split, __u32 at, __u64 n)
{
	if (!n)
		return;
	split->b[split->n].index = at;
	ntf_bucket_set_count(&split->b[split->n++], n);
}

/*
 * Bottom up, each slot's count is what its buckets below the top one
 * took, and the rest is the lower part of that top one, which a power
 * of two cuts: the slots settle every cut, or disagree.
 */
static bool split_by_slots(struct ntf_buckets *split, const struct ntf_buckets *fine,
			   const __u64 slots[NTF_HIST_SLOTS])
{
	__u64 left[NTF_HIST_SLOTS];

	memcpy(left, slots, sizeof(left));
	for (__u32 i = 0; i < fine->n; i++) {
		__u32 bucket = fine->b[i].index, lo = ntf_split_lowest(bucket);
		__u64 n = ntf_bucket_count(&fine->b[i]), below;
		unsigned int s = ntf_split_slot(lo);

		if (!ntf_bucket_valid(bucket))
			return false;
		if (bucket == NTF_BUCKET_ZERO || ntf_split_bucket(lo + 1) != bucket) {
			if (left[s] < n)
				return false;
			left[s] -= n;
			put(split, lo, n);
			continue;
		}
		/* nothing above this bucket is in slot s: the rest of s is here */
		below = left[s];
		if (below > n || left[s + 1] < n - below)
			return false;
		left[s] = 0;
		left[s + 1] -= n - below;
		put(split, lo, below);
		put(split, lo + 1, n - below);
	}
	for (unsigned int s = 0; s < NTF_HIST_SLOTS; s++)
		if (left[s])
			return false;
	return true;
}

int ntf_split_from(struct ntf_buckets *split, const struct ntf_buckets *fine,
		   const __u64 slots[NTF_HIST_SLOTS])
{
	ntf_buckets_reset(split);
	/* at most two splits a bucket */
	if (ntf_buckets_reserve(split, 2 * fine->n))
		return -ENOMEM;
	if (split_by_slots(split, fine, slots))
		return 0;
	ntf_buckets_reset(split);
	for (__u32 i = 0; i < fine->n; i++)
		if (ntf_bucket_valid(fine->b[i].index))
			put(split, ntf_split_lowest(fine->b[i].index),
			    ntf_bucket_count(&fine->b[i]));
	return -EINVAL;
}
