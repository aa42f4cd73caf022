/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A key's newest events, counted in four cache lines (the aggregate's
 * pool of them, core/aggregate.c) before they reach its split fine
 * buckets (core/split.h, packed: core/packed.h), which hold its origins
 * too. An event there costs a byte counter and an origin's in lines
 * whose addresses the key's place gives at once, where the buckets cost
 * a search behind a pointer the entry must first be read for. A byte
 * fills after 255 events of its index (a nibble, as stages had before,
 * after 15: its settles cost more than the rest of the stage together).
 * ntf_stage_settle adds what is staged.
 *
 * The window covers 204 split indexes, 12 powers of two (the spread of
 * most keys' latencies, from a fast path to a stall). It starts where its
 * class's windows went, or around the key's first event; a settle puts it
 * over the whole of the key's spread when that fits, else around the
 * median of its events. Events outside go straight to the buckets, as
 * the 256th event of a counter does; after 16 of them the stage settles
 * and the window moves, to the misses if the settle's place would still
 * leave them out, unless the window took four times as many meanwhile
 * (a spread a little wider than the window: it would chase its tails).
 */
#ifndef NTF_STAGE_H
#define NTF_STAGE_H

#include <linux/types.h>
#include "packed.h"
#include "split.h"
#include "notifier.h"

#define NTF_STAGE_FINE 204 /* split indexes in the window: 12 powers of two */
/* Where the buckets count origin o, past every split index. */
#define NTF_STAGE_ORIGIN(o) (NTF_SPLIT_EXTRA + (o))

struct ntf_stage {
	/* in the first line, which every event reads */
	__u16 base;
	__u16 zero; /* events of 0 ns (unpins, timed as none) */
	__u32 missed; /* events outside the window, and what it took meanwhile (stage.c) */
	/*
	 * events by origin: the owner counts them, and sets staged; before
	 * one would wrap, it adds its 65,535 to the buckets (NTF_STAGE_ORIGIN)
	 */
	__u16 origins[NTF_ORIGIN_MAX];
	__u8 staged; /* anything above or below: a settle has work */
	unsigned char fine[NTF_STAGE_FINE]; /* the window's counters, from base on */
} __attribute__((aligned(64)));

/* The counter of index, which the window holds. */
static inline unsigned char *ntf_stage_counter(struct ntf_stage *st, __u32 index)
{
	return &st->fine[index - st->base];
}

/* ntf_stage_add's way for what is not in the window or overflows: the same results. */
int ntf_stage_slow(struct ntf_stage *st, struct ntf_packed *split, __u32 index);

/*
 * Counts one event of split index index (core/split.h). 0; 1 when the
 * window moved to where the key's latest events are (st->base); or
 * -ENOMEM when the buckets had to grow and could not: the event is then
 * not counted. ntf_stage_add_from takes base from a copy the caller keeps
 * (equal to st->base), where its address is known sooner: the counter's
 * line is then fetched beside the stage's first, not after it.
 */
static inline int ntf_stage_add_from(struct ntf_stage *st, struct ntf_packed *split, __u32 index,
				     __u16 base)
{
	__u32 at = index - base;

	/* first the test on the event alone, which a wrong guess costs little */
	if (index == NTF_BUCKET_ZERO && st->zero != 0xffff) {
		st->zero++;
		st->staged = 1;
		return 0;
	}
	if (at >= NTF_STAGE_FINE || st->fine[at] == 255)
		return ntf_stage_slow(st, split, index);
	st->fine[at]++;
	st->staged = 1;
	return 0;
}

static inline int ntf_stage_add(struct ntf_stage *st, struct ntf_packed *split, __u32 index)
{
	return ntf_stage_add_from(st, split, index, st->base);
}

/*
 * Empties st, whatever it held, for a new key, and places its window for
 * the key's first event, of index: at hint (where the key's kind has its
 * windows) when that holds index, else around index.
 */
void ntf_stage_start(struct ntf_stage *st, __u32 index, __u16 hint);

/*
 * Adds what is staged to split (origins included), empties the stage and
 * places its window over split's spread when it fits, else around its
 * median. 0, or -ENOMEM with split as it was and everything still staged.
 */
int ntf_stage_settle(struct ntf_stage *st, struct ntf_packed *split);

/*
 * Adds what is staged to split (origins included) and empties the stage,
 * which its key gives up: the window is not placed. 0, or -ENOMEM with
 * split as it was and everything still staged.
 */
int ntf_stage_release(struct ntf_stage *st, struct ntf_packed *split);

/* Forgets what is staged (the buckets and origins were replaced or reset). */
void ntf_stage_reset(struct ntf_stage *st);

#endif
