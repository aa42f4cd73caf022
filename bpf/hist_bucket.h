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

_Static_assert(NTF_EDGES == 1025, "the steps below are for 1,025 edges");

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
 * One step of a branch-free lower bound: the verifier then walks one path
 * through it, not one per outcome of each of ten comparisons (which blew
 * 6.1's limit of a million instructions in the probes that inline it).
 */
/*
 * Edge i, for i at most 1,023 (512 + 256 + ... + 1, the most a step
 * reads): the mask changes nothing, but it gives 6.1's verifier the bound
 * the compiler's arithmetic hides from it (it adds with an OR, whose
 * bounds 6.1 loses). The empty asm keeps the compiler from proving the
 * mask useless and dropping it.
 */
#define NTF_EDGE_MASK 1023
static inline __u64 ntf_edge_at(__u64 i)
{
	asm volatile("" : "+r"(i));
	return ntf_hist_edges[i & NTF_EDGE_MASK];
}

#define NTF_BUCKET_STEP(half) base += (half)*ntf_below(ntf_edge_at(base + (half)), ns)

/* The stored index of ns: the first edge not below it. */
static inline __u32 ntf_bucket_index(__u64 ns)
{
	__u64 base = 0;

	if (!ns)
		return NTF_BUCKET_ZERO;
	/* NTF_EDGES is 1,025: halves of 1025, 513, 257, ... down to 2 */
	NTF_BUCKET_STEP(512);
	NTF_BUCKET_STEP(256);
	NTF_BUCKET_STEP(128);
	NTF_BUCKET_STEP(64);
	NTF_BUCKET_STEP(32);
	NTF_BUCKET_STEP(16);
	NTF_BUCKET_STEP(8);
	NTF_BUCKET_STEP(4);
	NTF_BUCKET_STEP(2);
	NTF_BUCKET_STEP(1);
	base += ntf_below(ntf_edge_at(base), ns);
	return NTF_BUCKET_FIRST + (__u32)base;
}

#endif /* NTF_HIST_BUCKET_H */
