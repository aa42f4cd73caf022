/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The previous read of an aggregate, for notifier-top's deltas: per key
 * only what a delta is taken of (the histogram, its fine buckets and the
 * reclaim-driven unmaps), in a table hashed and walked in the aggregate's
 * order. Memory: 40 bytes a key in the table, and in one buffer of its
 * own its counters as varints (about 20 bytes) followed by its fine
 * buckets packed (core/packed.h), about 2 bytes each (a key's latencies
 * spread over k powers of 2 have at most 16 k); 288 more for its log2
 * slots only when the buckets do not hold all its events.
 */
#ifndef NTF_TOP_SNAP_H
#define NTF_TOP_SNAP_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "aggregate.h"
#include "histogram.h"
#include "packed.h"
#include "notifier.h"

struct top_snap_entry {
	struct ntf_agg_key key;
	__u8 head; /* data's first bytes: the counters and the reclaim-driven unmaps */
	/*
	 * The log2 slots, kept (owned) only when the fine buckets do not hold
	 * every event of the entry (a feed without them, or a kernel bucket
	 * map that was full); NULL when they do (top_snap_hist).
	 */
	__u64 *slots;
	/*
	 * Owned: top_snap_counts's bytes, then the entry's fine buckets
	 * packed (top_snap_fine), whose number n says.
	 */
	struct ntf_packed data;
};

/* e's counters, and its unmaps in kswapd or direct reclaim into *reclaim (unless NULL). */
void top_snap_counts(const struct top_snap_entry *e, struct ntf_hist_counts *c, __u64 *reclaim);
/* e's fine buckets, packed: valid while e is. */
struct ntf_packed top_snap_fine(const struct top_snap_entry *e);

struct top_snap;

struct top_snap *top_snap_new(void);
void top_snap_free(struct top_snap *s);
/*
 * Brings s up to date with agg's entries changed in generations after
 * since (0: every entry; see ntf_agg_foreach_since), then ends agg's
 * generation (ntf_agg_tick), so that later changes are told apart from
 * what s holds. 0, -ENOMEM, or -EOVERFLOW for a key whose data would
 * pass 64 KiB (its buckets then number thousands, which latencies do not).
 */
int top_snap_take(struct top_snap *s, struct ntf_agg *agg, __u64 since);
/*
 * True when e, an entry of agg, is as s holds it, known without a lookup:
 * s was last taken from agg, e has not changed since, and every take since
 * a full one (since 0) went on from the one before (since: the generation
 * agg was in at that take, ntf_agg_gen before it), or s follows agg.
 */
bool top_snap_unchanged(const struct top_snap *s, const struct ntf_agg *agg,
			const struct ntf_agg_entry *e);
/*
 * For each entry of the aggregate s follows: old is what s held for e's
 * key before (NULL when nothing), valid during the call; unchanged (old
 * then NULL, not looked up) when e is as s holds it. Non-zero stops.
 */
typedef int (*top_snap_visit_fn)(const struct ntf_agg_entry *e, const struct top_snap_entry *old,
				 bool unchanged, void *ctx);
/*
 * Brings s up to date with agg, as a take since the last one from agg
 * would (a full one the first time), and ends agg's generation. With fn,
 * every entry of agg is visited on the way, in agg's order, each changed
 * key looked up once: notifier-top takes its deltas and the next
 * snapshot in one walk. 0, -ENOMEM, -EOVERFLOW (as top_snap_take) or
 * fn's error.
 */
int top_snap_follow(struct top_snap *s, struct ntf_agg *agg, top_snap_visit_fn fn, void *ctx);
/*
 * Whether ent's fine buckets hold its every event, so that its log2 slots
 * are read from them (ntf_buckets_add_to_slots) rather than kept.
 */
bool top_snap_slots_in_buckets(const struct ntf_agg_entry *ent);
/*
 * e as a whole histogram: its counters, and its slots, kept or else read
 * from its fine buckets (ntf_buckets_add_to_slots), which then hold them all.
 */
void top_snap_hist(const struct top_snap_entry *e, struct ntf_hist *out);
/* The key's entry, or NULL. */
const struct top_snap_entry *top_snap_get(const struct top_snap *s, const struct ntf_hist_key *key);
size_t top_snap_count(const struct top_snap *s);
/* Unmaps of an aggregate entry that reclaim drove. */
__u64 top_reclaim_unmaps(const struct ntf_agg_entry *e);

#endif
