/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The flight recorder's state, shared by its ring (flight.c) and its snapshots (flight_snap.c). */
#ifndef NTF_FLIGHT_INT_H
#define NTF_FLIGHT_INT_H

#include "flight.h"
#include "rec_enc.h"
#include "rec_stacks.h"

/* A kept block: framed as the writer frames it, numbered 0 until a snapshot renumbers a copy. */
struct fl_block {
	__u8 *p;
	__u32 len; /* header and stored payload */
	__u32 count;
	__u64 ts_min, ts_max;
};

struct ntf_flight {
	struct ntf_flight_opts o;
	struct ntf_rec_meta *meta; /* every snapshot's, with the names found since */
	struct rec_zip zip;
	struct rec_enc enc; /* the open block */
	__u64 open_first_ts; /* its first event's ts_ns */
	struct rec_buf raw, out; /* framing's scratch */
	/* kept blocks, oldest first: blk[first..end) */
	struct fl_block *blk;
	size_t first, end, cap;
	__u64 newest; /* the largest ts_ns seen */
	bool any; /* an event was seen */
	/*
	 * Every stack an event named since the start: ids in kept blocks
	 * are these, and a snapshot defines them all, in order, first.
	 */
	struct rec_stacks stacks;
	struct ntf_flight_stats st;
};

/* The open block, framed, kept (nothing without events). 0 or -ENOMEM (its events lost). */
int fl_close_block(struct ntf_flight *f);
/* Lets the oldest blocks go while the window is exceeded. */
void fl_drop_old(struct ntf_flight *f);
/* The smallest ts_ns the time window keeps now: 0 without a time window. */
__u64 fl_cutoff(const struct ntf_flight *f);
void fl_block_free(struct fl_block *b);

#endif
