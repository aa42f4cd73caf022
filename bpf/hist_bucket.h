/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The fine latency buckets, one function both sides run (as origin.h):
 * Prometheus's native-histogram schema 4 over seconds, so the export is
 * bucket for bucket and loses nothing. Native index n holds
 * (2^((n-1)/16), 2^(n/16)] seconds: sixteen per power of two, each 4.4%
 * wide, so a quantile read at a bucket's geometric middle is within 2.2%
 * of the true value. Stored indexes are n + NTF_BUCKET_OFFSET (never
 * negative); 0 ns goes to the zero bucket. Needs neither vmlinux.h nor
 * libc. User space keeps one copy of the table, in core/buckets.c.
 */
#ifndef NTF_HIST_BUCKET_H
#define NTF_HIST_BUCKET_H

#include "notifier.h"
#include "hist_edges.h"

_Static_assert(NTF_EDGES == 1025, "ntf_edge_at's mask is for 1,025 edges");

#define NTF_BUCKET_SCHEMA 4
#define NTF_BUCKETS_PER_POW2 16 /* 2^NTF_BUCKET_SCHEMA */
#define NTF_BUCKET_OFFSET 512
#define NTF_BUCKET_FIRST (NTF_BUCKET_OFFSET + NTF_EDGE_FIRST) /* 1 ns */
#define NTF_BUCKET_MAX (NTF_BUCKET_FIRST + NTF_EDGES - 1) /* 2^64 - 1 ns */
#define NTF_BUCKET_ZERO 0xffff

/* a < b, unsigned, by arithmetic alone (Hacker's Delight 2-12): 0 or 1. */
static inline __u64 ntf_below(__u64 a, __u64 b)
{
	return ((~a & b) | ((~a | b) & (a - b))) >> 63;
}

/*
 * floor(log2(v)) for v > 0, by arithmetic alone: a comparison is a branch
 * in BPF, and the verifier walked each of the 32 paths five of them made
 * (through all the histogram update after them). 64-bit all through for
 * 6.1's verifier.
 */
static inline __u64 ntf_log2(__u64 v)
{
	__u64 r, shift;

	r = ntf_below(0xffffffffULL, v) << 5;
	v >>= r;
	shift = ntf_below(0xffff, v) << 4;
	v >>= shift;
	r |= shift;
	shift = ntf_below(0xff, v) << 3;
	v >>= shift;
	r |= shift;
	shift = ntf_below(0xf, v) << 2;
	v >>= shift;
	r |= shift;
	shift = ntf_below(0x3, v) << 1;
	v >>= shift;
	r |= shift;
	r |= (v >> 1);
	return r;
}

/*
 * Table reads with indexes the verifier can bound: the masks change
 * nothing, but they give 6.1's verifier the bound the compiler's
 * arithmetic hides from it (it adds with an OR, whose bounds 6.1 loses).
 * The empty asm keeps the compiler from proving a mask useless.
 */
static inline __u64 ntf_edge_at(__u64 i)
{
	asm volatile("" : "+r"(i));
	return ntf_hist_edges[i & 1023];
}

static inline __u64 ntf_row_at(__u64 row)
{
	asm volatile("" : "+r"(row));
	return ntf_hist_rows[row & (NTF_ROWS - 1)];
}

/*
 * The stored index of ns: the first edge not below it. Its row (its power
 * of two and the 5 bits after the leading one) says how many edges are
 * below the row; one comparison settles the one edge a row may hold.
 */
static inline __u32 ntf_bucket_index(__u64 ns)
{
	__u64 p, below;

	if (!ns)
		return NTF_BUCKET_ZERO;
	p = ntf_log2(ns);
	below = ntf_row_at(p << NTF_ROW_BITS |
			   ((ns << (63 - p)) >> (63 - NTF_ROW_BITS) & ((1u << NTF_ROW_BITS) - 1)));
	/* the last edge (2^64 - 1 ns) is above every value */
	if (below >= NTF_EDGES - 1)
		return NTF_BUCKET_MAX;
	return NTF_BUCKET_FIRST + (__u32)(below + ntf_below(ntf_edge_at(below), ns));
}

#endif /* NTF_HIST_BUCKET_H */
