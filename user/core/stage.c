// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "stage.h"

_Static_assert(sizeof(struct ntf_stage) == 128, "a stage is two cache lines");
_Static_assert(NTF_SPLIT_HIGHEST < 0xffff, "base holds any index");

/* The events staged in the window: none, and it may move without a settle. */
static unsigned int window_held(const struct ntf_stage *st)
{
	unsigned int n = 0;
	__u64 w;

	for (size_t i = 0; i + 8 <= sizeof(st->fine); i += 8) {
		memcpy(&w, st->fine + i, 8);
		/* both nibbles of each byte summed in it (at most 30), then the bytes */
		w = (w & 0x0f0f0f0f0f0f0f0full) + (w >> 4 & 0x0f0f0f0f0f0f0f0full);
		n += (w * 0x0101010101010101ull) >> 56;
	}
	for (size_t i = sizeof(st->fine) & ~7ul; i < sizeof(st->fine); i++)
		n += (st->fine[i] & 15) + (st->fine[i] >> 4);
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
#define TOOK_MAX ((1 << (15 - TOOK_SHIFT)) - 1)
/* a window that took this many for MOVE_AFTER_MISSES misses may stay */
#define KEEP_AFTER_HITS (4 * MOVE_AFTER_MISSES)
/* split indexes (a quarter of a power of two) it may lie off where a settle would put it */
#define KEEP_OFF_MIDDLE 4

_Static_assert(MOVE_AFTER_MISSES <= MISS_MASK, "the misses fit their bits");
_Static_assert(NTF_STAGE_FINE * 15 / TOOK_UNIT <= TOOK_MAX + 1, "a full window fits");

static int took_since(const struct ntf_stage *st)
{
	return (__s16)st->missed >> TOOK_SHIFT;
}

static void set_took_since(struct ntf_stage *st, int units)
{
	units = units < TOOK_MAX ? units : TOOK_MAX;
	st->missed = (st->missed & ((1u << TOOK_SHIFT) - 1)) | (__u16)(units << TOOK_SHIFT);
}

/* A window starts where index would be in its middle. */
static __u16 base_for(__u32 index)
{
	return index > NTF_STAGE_FINE / 2 ? index - NTF_STAGE_FINE / 2 : 0;
}

/* The index at or below which half of the timed events (not 0 ns) lie. */
static __u32 median_index(const struct ntf_packed *fine)
{
	struct ntf_packed_cur c = ntf_packed_walk(fine);
	__u64 total = 0, seen = 0, count;
	__u32 index;

	/* the split indexes: not the zero bucket, nor the origins past them */
	while (ntf_packed_next(&c, &index, &count))
		if (index < NTF_SPLIT_EXTRA)
			total += count;
	c = ntf_packed_walk(fine);
	while (ntf_packed_next(&c, &index, &count)) {
		if (index >= NTF_SPLIT_EXTRA)
			continue;
		seen += count;
		if (seen * 2 >= total)
			return index;
	}
	return NTF_BUCKET_ZERO;
}

/*
 * The zero count and the window's counts, in the buckets' order (the zero
 * bucket first), into got: how many. full, when not ~0u, is the index whose
 * nibble is full as an event of it comes: it counts 16.
 */
static __u32 staged_run(const struct ntf_stage *st, struct ntf_bucket *got, __u32 full)
{
	__u32 n = 0, index = st->base, end = st->base + NTF_STAGE_FINE;
	/* the byte of index, stepped along: no division per index */
	unsigned int at = index % NTF_STAGE_FINE / 2;

	if (st->zero)
		got[n++] = (struct ntf_bucket){ .index = NTF_BUCKET_ZERO, .count_lo = st->zero };
	while (index < end) {
		unsigned char byte = st->fine[at];

		if (!(index & 1) && !byte && index + 2 <= end) {
			index += 2; /* most bytes of a window are empty */
		} else {
			unsigned int count = byte >> (index & 1) * 4 & 15;

			if (count)
				got[n++] =
					(struct ntf_bucket){ .index = index,
							     .count_lo = count + (index == full) };
			index++;
			if (index & 1)
				continue;
		}
		at = at + 1 == sizeof(st->fine) ? 0 : at + 1;
	}
	return n;
}

/* Nibbles of the window that are not 0: what a settle adds to as many counters. */
static unsigned int staged_counters(const struct ntf_stage *st)
{
	unsigned int n = 0;
	__u64 w;

	for (size_t i = 0; i + 8 <= sizeof(st->fine); i += 8) {
		memcpy(&w, st->fine + i, 8);
		/* each nibble's bits ORed into its lowest, those summed by byte, the bytes summed */
		w |= w >> 1;
		w |= w >> 2;
		w &= 0x1111111111111111ull;
		w = (w + (w >> 4)) & 0x0f0f0f0f0f0f0f0full;
		n += (w * 0x0101010101010101ull) >> 56;
	}
	for (size_t i = sizeof(st->fine) & ~7ul; i < sizeof(st->fine); i++)
		n += !!(st->fine[i] & 15) + !!(st->fine[i] >> 4);
	return n;
}

/*
 * Adds the zero count and the window's counts (full's and its event: 16)
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
			add = (*ntf_stage_nibbles(st, index) >> (index & 1) * 4 & 15) +
			      (index == full);
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
 * then places the window for what comes next (index: the last miss, or
 * NTF_BUCKET_ZERO): 0, or -ENOMEM with nothing changed.
 */
static int settle_buckets(struct ntf_stage *st, struct ntf_packed *fine, __u32 index, bool origins)
{
	struct ntf_bucket got[1 + NTF_STAGE_FINE + NTF_ORIGIN_MAX];
	struct ntf_buckets run = { .b = got };
	__u32 median;

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
	/*
	 * Around the median of all the key's events, unless that would leave
	 * out where the latest went (misses at index): a key whose latencies
	 * moved follows them.
	 */
	median = median_index(fine);
	if (median != NTF_BUCKET_ZERO)
		st->base = base_for(median);
	if (index != NTF_BUCKET_ZERO && index - st->base >= NTF_STAGE_FINE)
		st->base = base_for(index);
	return 0;
}

/*
 * A full nibble's counter found in place within this many of a key's
 * counters costs less than adding every staged count at once (flush),
 * which unpacks and packs them all; deeper, less.
 */
#define IN_PLACE_REACH 12

/* Adds the zero count and the window's counts to fine, full's nibble and event as 16. */
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
	unsigned char *c = ntf_stage_nibbles(st, index);
	unsigned int shift = (index & 1) * 4, held;
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
		/* a full nibble: its 15 and this event go to the buckets */
		if (ntf_packed_add_in_place(fine, index, 16, IN_PLACE_REACH)) {
			*c &= (unsigned char)~(15u << shift);
			set_took_since(st, took_since(st) + 16 / TOOK_UNIT);
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
		*c += 1 << shift;
		return 0;
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
	 * it, about where the key's buckets would put it, stays: the key's
	 * spread is a little wider than the window, and a move (a settle of
	 * all of it) would chase its tails. One that took as many but lies
	 * off the key's middle moves there; one that took fewer follows the
	 * misses: the key's events moved.
	 */
	held = window_held(st) / TOOK_UNIT;
	if (took_since(st) + (int)held >= KEEP_AFTER_HITS / TOOK_UNIT) {
		__u32 median = median_index(fine);
		__u16 at = median == NTF_BUCKET_ZERO ? st->base : base_for(median);

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

void ntf_stage_place(struct ntf_stage *st, __u32 index, __u16 hint)
{
	if (index == NTF_BUCKET_ZERO || window_held(st))
		return;
	st->base = index - hint < NTF_STAGE_FINE ? hint : base_for(index);
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
