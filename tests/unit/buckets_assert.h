/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the tests of fine buckets share: two sets compared bucket by
 * bucket, and what split buckets (core/split.h) stand for, read the plain
 * way the tests check the aggregate's packed reading against: the fine
 * buckets (their splits summed) and the log2 slots, origins past them
 * left out. Include after <cmocka.h>.
 */
#ifndef NTF_TEST_BUCKETS_ASSERT_H
#define NTF_TEST_BUCKETS_ASSERT_H

#include "split.h"

static inline void same_buckets(const struct ntf_buckets *a, const struct ntf_buckets *b)
{
	assert_int_equal(a->n, b->n);
	for (__u32 i = 0; i < a->n; i++) {
		assert_int_equal(a->b[i].index, b->b[i].index);
		assert_int_equal(ntf_bucket_count(&a->b[i]), ntf_bucket_count(&b->b[i]));
	}
}

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
