/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What split buckets (core/split.h) stand for, read the plain way the
 * tests check the aggregate's packed reading against: the fine buckets
 * (their splits summed) and the log2 slots. Origins past them are left out.
 */
#ifndef NTF_TEST_SPLIT_READ_H
#define NTF_TEST_SPLIT_READ_H

#include "split.h"

static inline void split_read(const struct ntf_buckets *split, struct ntf_buckets *fine,
			      __u64 slots[NTF_HIST_SLOTS])
{
	ntf_buckets_reset(fine);
	for (__u32 i = 0; i < split->n; i++) {
		__u32 index = split->b[i].index;
		__u64 n = ntf_bucket_count(&split->b[i]);

		if (!ntf_split_is_bucket(index))
			continue;
		assert_int_equal(ntf_buckets_add_index(fine, ntf_split_bucket(index), n), 0);
		slots[ntf_split_slot(index)] += n;
	}
}

#endif
