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

#define NTF_BUCKET_SCHEMA 4
#define NTF_BUCKETS_PER_POW2 16 /* 2^NTF_BUCKET_SCHEMA */
#define NTF_BUCKET_OFFSET 512
#define NTF_BUCKET_FIRST (NTF_BUCKET_OFFSET + NTF_EDGE_FIRST) /* 1 ns */
#define NTF_BUCKET_MAX (NTF_BUCKET_FIRST + NTF_EDGES - 1) /* 2^64 - 1 ns */
#define NTF_BUCKET_ZERO 0xffff

/*
 * The stored index of ns: the first edge not below it, by binary search
 * (eleven steps over 1,025 edges; bounded for the verifier).
 */
static inline __u32 ntf_bucket_index(__u64 ns)
{
	__u32 lo = 0, hi = NTF_EDGES;

	if (!ns)
		return NTF_BUCKET_ZERO;
	for (int step = 0; step < 11 && lo < hi; step++) {
		__u32 mid = (lo + hi) / 2;

		if (mid >= NTF_EDGES)
			break;
		if (ntf_hist_edges[mid] < ns)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NTF_BUCKET_FIRST + lo;
}

#endif /* NTF_HIST_BUCKET_H */
