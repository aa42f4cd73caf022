/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The previous read of an aggregate, for notifier-top's deltas: per key
 * only what a delta is taken of (the histogram and the reclaim-driven
 * unmaps), densely packed. A second ntf_agg would take about twice the
 * memory at 10,000 keys.
 */
#ifndef NTF_TOP_SNAP_H
#define NTF_TOP_SNAP_H

#include <stddef.h>
#include <linux/types.h>
#include "aggregate.h"
#include "notifier.h"

struct top_snap_entry {
	struct ntf_hist_key key;
	__u64 reclaim; /* unmaps in kswapd or direct reclaim */
	struct ntf_hist hist;
};

struct top_snap;

struct top_snap *top_snap_new(void);
void top_snap_free(struct top_snap *s);
/*
 * Brings s up to date with agg's entries changed in generations after
 * since (0: every entry; see ntf_agg_foreach_since). 0 or -ENOMEM.
 */
int top_snap_take(struct top_snap *s, const struct ntf_agg *agg, __u64 since);
/* The key's entry, or NULL. */
const struct top_snap_entry *top_snap_get(const struct top_snap *s, const struct ntf_hist_key *key);
size_t top_snap_count(const struct top_snap *s);
/* Unmaps of an aggregate entry that reclaim drove. */
__u64 top_reclaim_unmaps(const struct ntf_agg_entry *e);

#endif
