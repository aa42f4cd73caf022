// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "stage.h"

_Static_assert(sizeof(struct ntf_stage) == 256, "a stage is four cache lines");
_Static_assert(NTF_SPLIT_HIGHEST < 0xffff, "base holds any index");

/* The events staged in the window: none, and it may move without a settle. */
static unsigned int window_held(const struct ntf_stage *st)
{
	unsigned int n = 0;
	__u64 w;

	for (size_t i = 0; i + 8 <= sizeof(st->fine); i += 8) {
		memcpy(&w, st->fine + i, 8);
		/* pairs of bytes summed in 16 bits (at most 510), then the four */
		w = (w & 0x00ff00ff00ff00ffull) + (w >> 8 & 0x00ff00ff00ff00ffull);
		n += (w * 0x0001000100010001ull) >> 48;
	}
	for (size_t i = sizeof(st->fine) & ~7ul; i < sizeof(st->fine); i++)
		n += st->fine[i];
	return n;
}

/*
 * Misses before a window moves: few enough that a key whose events fell
 * elsewhere soon stages them again, enough that a key whose spread is
 * wider than the window settles seldom.
 */
#define MOVE_AFTER_MISSES 16
/*
 * missed's low bits count misses up to MOVE_AFTER_MISSES; its high ones,
 * signed, in sixteens of events, what the window took since they were
 * last counted less what it held then (took_since), so that what it holds
 * at the next count tells how many it took meanwhile, counts that went to
 * the buckets included.
 */
#define MISS_MASK 31u
#define TOOK_SHIFT 5
#define TOOK_UNIT 16
#define TOOK_MAX ((1 << (31 - TOOK_SHIFT)) - 1)
/* a window that took this many for MOVE_AFTER_MISSES misses may stay */
#define KEEP_AFTER_HITS (4 * MOVE_AFTER_MISSES)
/* split indexes (a quarter of a power of two) it may lie off where a settle would put it */
#define KEEP_OFF_MIDDLE 4

_Static_assert(MOVE_AFTER_MISSES <= MISS_MASK, "the misses fit their bits");
_Static_assert(NTF_STAGE_FINE * 255 / TOOK_UNIT <= TOOK_MAX + 1, "a full window fits");

static int took_since(const struct ntf_stage *st)
{
	return (__s32)st->missed >> TOOK_SHIFT;
}

static void set_took_since(struct ntf_stage *st, int units)
{
	units = units < TOOK_MAX ? units : TOOK_MAX;
	st->missed = (st->missed & ((1u << TOOK_SHIFT) - 1)) | ((__u32)units << TOOK_SHIFT);
}

/* A window starts where index would be in its middle. */
static __u16 base_for(__u32 index)
{
	return index > NTF_STAGE_FINE / 2 ? index - NTF_STAGE_FINE / 2 : 0;
}

/*
 * The index at or below which half of the timed events (not 0 ns) lie,
 * staged or in the buckets: a byte holds 255 of a key's events before
 * they reach its buckets, so the buckets alone would show mostly the
 * window's misses, at its edges.
 */
static __u32 median_index(const struct ntf_stage *st, const struct ntf_packed *fine)
{
	struct ntf_packed_cur c = ntf_packed_walk(fine);
	__u64 total = window_held(st), seen = 0, count = 0;
	__u32 index = 0, at = 0;
	bool more;

	/* the split indexes: not the zero bucket, nor the origins past them */
	while (ntf_packed_next(&c, &index, &count))
		if (index < NTF_SPLIT_EXTRA)
			total += count;
	c = ntf_packed_walk(fine);
	more = ntf_packed_next(&c, &index, &count);
	/* the buckets and the window merged in index order */
	for (;;) {
		bool bucket = more && index < NTF_SPLIT_EXTRA &&
			      (at >= NTF_STAGE_FINE || index < st->base + at);
		__u32 here;

		if (bucket) {
			here = index;
			seen += count;
			more = ntf_packed_next(&c, &index, &count);
		} else if (at < NTF_STAGE_FINE) {
			here = st->base + at;
			seen += st->fine[at++];
		} else {
			return NTF_BUCKET_ZERO;
		}
		if (total && seen * 2 >= total)
			return here;
	}
}

/*
 * Where a settle puts the window: over the whole of the key's timed
 * events, staged or in the buckets, with what it has to spare on both
 * sides, when they fit in it; around their median (median_index) when
 * they do not, or when there are none (NTF_BUCKET_ZERO: the window
 * stays). A median alone puts half the window below it, where a key's
 * events often lie nearer than above: the top of a spread that fits
 * would miss it, each event there a search of the buckets.
 */
static __u16 placed_base(const struct ntf_stage *st, const struct ntf_packed *fine)
{
	struct ntf_packed_cur c = ntf_packed_walk(fine);
	__u32 lo = NTF_SPLIT_EXTRA, hi = 0, index, median;
	__u64 count;

	for (__u32 at = 0; at < NTF_STAGE_FINE; at++)
		if (st->fine[at]) {
			lo = hi = st->base + at;
			break;
		}
	for (__u32 at = NTF_STAGE_FINE; at-- > 0;)
		if (st->fine[at]) {
			hi = st->base + at;
			break;
		}
	/* in the buckets' order: the zero bucket, the split indexes, the extra ones */
	while (ntf_packed_next(&c, &index, &count)) {
		if (index == NTF_BUCKET_ZERO)
			continue;
		if (index >= NTF_SPLIT_EXTRA)
			break;
		lo = index < lo ? index : lo;
		hi = index > hi ? index : hi;
	}
	if (lo <= hi && hi - lo < NTF_STAGE_FINE) {
		__u32 spare = (NTF_STAGE_FINE - 1 - (hi - lo)) / 2;

		return lo > spare ? lo - spare : 0;
	}
	median = median_index(st, fine);
	return median == NTF_BUCKET_ZERO ? st->base : base_for(median);
}

/*
 * The zero count and the window's counts, in the buckets' order (the zero
 * bucket first), into got: how many. full, when not ~0u, is the index whose
 * counter is full as an event of it comes: it counts 256.
 */
static __u32 staged_run(const struct ntf_stage *st, struct ntf_bucket *got, __u32 full)
{
	__u32 n = 0;

	if (st->zero)
		got[n++] = (struct ntf_bucket){ .index = NTF_BUCKET_ZERO, .count_lo = st->zero };
	for (__u32 at = 0; at < NTF_STAGE_FINE; at++) {
		__u32 index = st->base + at;
		__u64 w;

		/* a stage given up after a few events holds few: eight empty counters at a time */
		if (!(at & 7) && at + 8 <= NTF_STAGE_FINE) {
			memcpy(&w, st->fine + at, 8);
			if (!w) {
				at += 7;
				continue;
			}
		}
		if (st->fine[at])
			got[n++] =
				(struct ntf_bucket){ .index = index,
						     .count_lo = st->fine[at] + (index == full) };
	}
	return n;
}

/* Counters of the window that are not 0: what a settle adds to as many of the key's. */
static unsigned int staged_counters(const struct ntf_stage *st)
{
	unsigned int n = 0;

	for (size_t i = 0; i < sizeof(st->fine); i++)
		n += st->fine[i] != 0;
	return n;
}

/*
 * Adds the zero count and the window's counts (full's and its event: 256)
 * where their counters are, in one walk of them: true, the window then
 * empty; false when one has no counter yet or would grow, nothing changed.
 * What a settle costs most often: one walk, where a run and a merge
 * unpack and pack every counter.
 */
static bool window_in_place(struct ntf_stage *st, struct ntf_packed *fine, __u32 full)
{
	unsigned int wanted = staged_counters(st) + (st->zero != 0), j = 0;
	unsigned char *at[1 + NTF_STAGE_FINE];
	__u64 sum[1 + NTF_STAGE_FINE];
	struct ntf_packed_cur c = ntf_packed_walk(fine);
	__u32 index;
	__u64 count;

	while (j < wanted) {
		unsigned int add;

		if (!ntf_packed_next(&c, &index, &count))
			return false;
		if (index == NTF_BUCKET_ZERO)
			add = st->zero;
		else if (index - st->base < NTF_STAGE_FINE)
			add = *ntf_stage_counter(st, index) + (index == full);
		else
			continue;
		if (!add)
			continue;
		if (!(at[j] = ntf_packed_count_in_place(fine, &c, count, add)))
			return false;
		sum[j++] = count + add;
	}
	/* all found: only now written, so that a miss leaves fine whole */
	for (j = 0; j < wanted; j++)
		ntf_packed_put_at(at[j], sum[j]);
	memset(st->fine, 0, sizeof(st->fine));
	st->zero = 0;
	return true;
}

/*
 * Adds run's counts to fine: 0, or -ENOMEM with fine as it was. A few
 * counts (a key's events of an interval, mostly) go where their counters
 * are, in one walk; more, or new ones, take one unpack-merge-pack pass.
 */
static int add_run(struct ntf_packed *fine, const struct ntf_buckets *run)
{
	if (ntf_packed_add_run_in_place(fine, run))
		return 0;
	return ntf_packed_merge(fine, run);
}

/*
 * Adds the window and the zero count to fine, and the origins when asked,
 * and empties them: 0, or -ENOMEM with nothing changed.
 */
static int add_staged(struct ntf_stage *st, struct ntf_packed *fine, bool origins)
{
	struct ntf_bucket got[1 + NTF_STAGE_FINE + NTF_ORIGIN_MAX];
	struct ntf_buckets run = { .b = got };

	run.n = staged_run(st, got, ~0u);
	/* past every split index */
	for (unsigned int o = 0; origins && o < NTF_ORIGIN_MAX; o++)
		if (st->origins[o])
			got[run.n++] = (struct ntf_bucket){ .index = NTF_STAGE_ORIGIN(o),
							    .count_lo = st->origins[o] };
	if (add_run(fine, &run))
		return -ENOMEM;
	if (origins)
		memset(st->origins, 0, sizeof(st->origins));
	memset(st->fine, 0, sizeof(st->fine));
	st->zero = 0;
	st->missed = 0;
	return 0;
}

/*
 * Adds the window and the zero count to fine, and the origins when asked,
 * then places the window for what comes next (index: the last miss, or
 * NTF_BUCKET_ZERO): 0, or -ENOMEM with nothing changed.
 */
static int settle_buckets(struct ntf_stage *st, struct ntf_packed *fine, __u32 index, bool origins)
{
	int err = add_staged(st, fine, origins);

	if (err)
		return err;
	/*
	 * Where the key's events are (placed_base), unless that would leave
	 * out where the latest went (misses at index): a key whose latencies
	 * moved follows them.
	 */
	st->base = placed_base(st, fine);
	if (index != NTF_BUCKET_ZERO && index - st->base >= NTF_STAGE_FINE)
		st->base = base_for(index);
	return 0;
}

/*
 * A full counter's bucket found in place within this many of a key's
 * counters costs less than adding every staged count at once (flush),
 * which unpacks and packs them all; deeper, less.
 */
#define IN_PLACE_REACH 12

/* Adds the zero count and the window's counts to fine, full's counter and event as 256. */
static int flush(struct ntf_stage *st, struct ntf_packed *fine, __u32 full)
{
	struct ntf_bucket got[1 + NTF_STAGE_FINE];
	struct ntf_buckets run = { .b = got };

	if (window_in_place(st, fine, full))
		return 0;
	run.n = staged_run(st, got, full);
	if (add_run(fine, &run))
		return -ENOMEM;
	memset(st->fine, 0, sizeof(st->fine));
	st->zero = 0;
	return 0;
}

int ntf_stage_slow(struct ntf_stage *st, struct ntf_packed *fine, __u32 index)
{
	unsigned int held;
	int err;

	st->staged = 1;
	if (index == NTF_BUCKET_ZERO) {
		if (st->zero < 0xffff) {
			st->zero++;
			return 0;
		}
		err = ntf_packed_add(fine, index, 0x10000);
		if (!err)
			st->zero = 0;
		return err;
	}
	if (index - st->base < NTF_STAGE_FINE) {
		/* a full counter: its 255 and this event go to the buckets */
		if (ntf_packed_add_in_place(fine, index, 256, IN_PLACE_REACH)) {
			*ntf_stage_counter(st, index) = 0;
			set_took_since(st, took_since(st) + 256 / TOOK_UNIT);
			return 0;
		}
		held = window_held(st) + 1;
		err = flush(st, fine, index);
		if (!err)
			set_took_since(st, took_since(st) + (int)held / TOOK_UNIT);
		return err;
	}
	/*
	 * An empty window goes to a key's first event, free; not to the
	 * first after a settle or a flush, which a key with a spread wider
	 * than the window would often take to one of its tails.
	 */
	if (!fine->n && !window_held(st)) {
		st->base = base_for(index);
		st->missed = 0;
		*ntf_stage_counter(st, index) += 1;
		return 1; /* moved: a caller's copy of the base follows */
	}
	err = ntf_packed_add(fine, index, 1);
	if (err)
		return err;
	/* counted up to the limit, not past it: a settle out of memory leaves them there */
	if ((st->missed & MISS_MASK) < MOVE_AFTER_MISSES)
		st->missed++;
	if ((st->missed & MISS_MASK) < MOVE_AFTER_MISSES)
		return 0;
	/*
	 * A window that took four times as many of the key's events as missed
	 * it, about where a settle would put it (placed_base), stays: the
	 * key's spread is a little wider than the window, and a move (a
	 * settle of all of it) would chase its tails. One that took as many
	 * but lies off that place moves there; one that took fewer follows
	 * the misses: the key's events moved.
	 */
	held = window_held(st) / TOOK_UNIT;
	if (took_since(st) + (int)held >= KEEP_AFTER_HITS / TOOK_UNIT) {
		__u16 at = placed_base(st, fine);

		if (abs((int)at - (int)st->base) <= KEEP_OFF_MIDDLE) {
			st->missed = 0;
			set_took_since(st, -(int)held);
			return 0;
		}
		index = NTF_BUCKET_ZERO;
	}
	/* the key's events moved: the window follows (out of memory, at the next miss) */
	if (!settle_buckets(st, fine, index, false))
		return 1;
	return 0;
}

void ntf_stage_start(struct ntf_stage *st, __u32 index, __u16 hint)
{
	memset(st, 0, sizeof(*st));
	if (index != NTF_BUCKET_ZERO)
		st->base = index - hint < NTF_STAGE_FINE ? hint : base_for(index);
}

int ntf_stage_release(struct ntf_stage *st, struct ntf_packed *fine)
{
	if (!st->staged)
		return 0;
	if (add_staged(st, fine, true))
		return -ENOMEM;
	st->staged = 0;
	return 0;
}

int ntf_stage_settle(struct ntf_stage *st, struct ntf_packed *fine)
{
	if (!st->staged)
		return 0;
	if (settle_buckets(st, fine, NTF_BUCKET_ZERO, true))
		return -ENOMEM;
	st->staged = 0;
	return 0;
}

void ntf_stage_reset(struct ntf_stage *st)
{
	memset(st->origins, 0, sizeof(st->origins));
	memset(st->fine, 0, sizeof(st->fine));
	st->zero = 0;
	st->missed = 0;
	st->staged = 0;
}
