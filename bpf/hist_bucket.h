/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The fine latency buckets, one function both sides run (as origin.h):
 * Prometheus's native-histogram schema 4, so an export maps bucket for
 * bucket and loses nothing. Bucket i holds (2^((i-1)/16), 2^(i/16)] ns:
 * sixteen per power of two, each 4.4% wide, so a quantile read at a
 * bucket's geometric middle is within 2.2% of the true value. 0 ns goes to
 * the zero bucket (NTF_BUCKET_ZERO). Needs neither vmlinux.h nor libc.
 */
#ifndef NTF_HIST_BUCKET_H
#define NTF_HIST_BUCKET_H

#include "notifier.h"

#define NTF_BUCKET_SCHEMA 4
#define NTF_BUCKETS_PER_POW2 (1 << NTF_BUCKET_SCHEMA)
/* 2^64 - 1 ns is in bucket 1024: indexes fit 11 bits */
#define NTF_BUCKET_MAX (64 * NTF_BUCKETS_PER_POW2)
#define NTF_BUCKET_ZERO 0xffff

/*
 * floor(2^(63 + j/16)) for j = 1..15: a mantissa m in [2^63, 2^64) that
 * is an integer is above 2^(63 + j/16) exactly when it is above these.
 */
#define NTF_BUCKET_T1 0x85aac367cc487b14ULL
#define NTF_BUCKET_T2 0x8b95c1e3ea8bd6e6ULL
#define NTF_BUCKET_T3 0x91c3d373ab11c336ULL
#define NTF_BUCKET_T4 0x9837f0518db8a96fULL
#define NTF_BUCKET_T5 0x9ef5326091a111adULL
#define NTF_BUCKET_T6 0xa5fed6a9b15138eaULL
#define NTF_BUCKET_T7 0xad583eea42a14ac6ULL
#define NTF_BUCKET_T8 0xb504f333f9de6484ULL
#define NTF_BUCKET_T9 0xbd08a39f580c36beULL
#define NTF_BUCKET_T10 0xc5672a115506daddULL
#define NTF_BUCKET_T11 0xce248c151f8480e3ULL
#define NTF_BUCKET_T12 0xd744fccad69d6af4ULL
#define NTF_BUCKET_T13 0xe0ccdeec2a94e111ULL
#define NTF_BUCKET_T14 0xeac0c6e7dd24392eULL
#define NTF_BUCKET_T15 0xf5257d152486cc2cULL

/* floor(log2(v)) for v > 0, without a loop: 6.1's verifier wants none. */
static inline __u32 ntf_bucket_msb(__u64 v)
{
	__u32 r = 0, shift;

	shift = (v > 0xffffffffULL) << 5;
	v >>= shift;
	r |= shift;
	shift = (v > 0xffff) << 4;
	v >>= shift;
	r |= shift;
	shift = (v > 0xff) << 3;
	v >>= shift;
	r |= shift;
	shift = (v > 0xf) << 2;
	v >>= shift;
	r |= shift;
	shift = (v > 0x3) << 1;
	v >>= shift;
	r |= shift;
	r |= (__u32)(v >> 1);
	return r;
}

/* The bucket of ns: (2^((i-1)/16), 2^(i/16)] holds it. */
static inline __u32 ntf_bucket_of(__u64 ns)
{
	__u32 e, j = 0;
	__u64 m;

	if (!ns)
		return NTF_BUCKET_ZERO;
	e = ntf_bucket_msb(ns);
	m = ns << (63 - e);
	if (m == 1ULL << 63) /* a power of two closes its bucket */
		return e * NTF_BUCKETS_PER_POW2;
	/* branch-free: how many of the fifteen inner edges m is above */
	j += m > NTF_BUCKET_T1;
	j += m > NTF_BUCKET_T2;
	j += m > NTF_BUCKET_T3;
	j += m > NTF_BUCKET_T4;
	j += m > NTF_BUCKET_T5;
	j += m > NTF_BUCKET_T6;
	j += m > NTF_BUCKET_T7;
	j += m > NTF_BUCKET_T8;
	j += m > NTF_BUCKET_T9;
	j += m > NTF_BUCKET_T10;
	j += m > NTF_BUCKET_T11;
	j += m > NTF_BUCKET_T12;
	j += m > NTF_BUCKET_T13;
	j += m > NTF_BUCKET_T14;
	j += m > NTF_BUCKET_T15;
	return e * NTF_BUCKETS_PER_POW2 + j + 1;
}

#endif /* NTF_HIST_BUCKET_H */
