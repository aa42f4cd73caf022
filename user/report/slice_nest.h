/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Keeps the slices of one track properly nested. A trace viewer (Perfetto,
 * chrome://tracing) draws the complete slices of a thread as a stack:
 * each must lie inside the one under it or after it, never straddle its
 * end. On one thread the calls traced do nest (an invalidate holds its
 * callbacks, a callback its fence waits), but the times that say so come
 * from different probes, and a child can end a few nanoseconds after its
 * parent. Such a child's end is clamped to its parent's: the slice loses
 * what its probe's timing added, and the picture stays true to the calls.
 *
 * Slices are placed in the order of their start, the longer first among
 * those starting together (so that a parent comes before its children).
 * The state is the stack of slices still open at the last start: a few
 * ends, whatever the number of slices.
 */
#ifndef NTF_SLICE_NEST_H
#define NTF_SLICE_NEST_H

#include <stdbool.h>
#include <linux/types.h>

/* Deeper than any chain of calls the probes see (unmap, invalidate, callback, fence wait). */
#define NTF_NEST_DEPTH 16

struct ntf_nest {
	__u64 last_start;
	bool started;
	unsigned int depth;
	__u64 end[NTF_NEST_DEPTH]; /* of the open slices, outermost first */
};

enum ntf_nest_place {
	NTF_NEST_FITS, /* placed as it is */
	NTF_NEST_CLAMPED, /* placed, its end moved back to its parent's */
	/*
	 * Not placed: it starts before a slice already placed, so whether it
	 * straddles one that is closed by now cannot be told.
	 */
	NTF_NEST_LATE,
	NTF_NEST_DEEP, /* not placed: NTF_NEST_DEPTH slices open around it */
};

/*
 * Places the slice [start, *end] on the track n (zeroed for a new one);
 * *end may be moved back (NTF_NEST_CLAMPED). A slice not placed leaves
 * the track as it was, for the caller to show elsewhere.
 */
enum ntf_nest_place ntf_nest_place(struct ntf_nest *n, __u64 start, __u64 *end);

#endif
