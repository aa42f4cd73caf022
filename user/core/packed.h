/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Sparse counters (struct ntf_buckets' indexes and counts) packed for
 * holding many: each a varint of its index's distance from the one before
 * and a varint of its count, about 2 bytes where a struct ntf_bucket takes
 * 8. The aggregate keeps a key's split buckets (core/split.h) so: they
 * change a batch at a time (a stage settling) and are read whole, so a
 * change unpacks and packs them all, which a key's few dozen make cheap.
 */
#ifndef NTF_PACKED_H
#define NTF_PACKED_H

#include <stdbool.h>
#include <linux/types.h>
#include "buckets.h"
#include "histogram.h"

struct ntf_packed {
	unsigned char *p; /* owned */
	__u16 len, cap; /* bytes */
	__u16 n; /* counters */
	__u16 pad;
};

/* Counters a packed set may hold: any 16-bit index but the zero bucket's, and it. */
#define NTF_PACKED_MAX 0x10000
/* A counter's bytes at most: a gap of 3 bytes (17 bits) and a count of 10. */
#define NTF_PACKED_COUNTER_BYTES 13

/* out := pk's counters, in order: 0 or -ENOMEM (out then empty). */
int ntf_packed_unpack(const struct ntf_packed *pk, struct ntf_buckets *out);
/* pk := in's counters (in order, as struct ntf_buckets keeps them): 0 or -ENOMEM, pk as it was. */
int ntf_packed_pack(struct ntf_packed *pk, const struct ntf_buckets *in);
/* Adds run's counters (in order) to pk's: 0 or -ENOMEM, pk as it was. */
int ntf_packed_merge(struct ntf_packed *pk, const struct ntf_buckets *run);
/* Adds n to index's counter: 0 or -ENOMEM, pk as it was. */
int ntf_packed_add(struct ntf_packed *pk, __u32 index, __u64 n);
/*
 * Adds n to index's counter where it is, when it is among the first reach
 * counters and its count keeps its length: true; else false, pk as it was.
 * A walk to it and a write, where ntf_packed_add may pack them all again.
 */
bool ntf_packed_add_in_place(struct ntf_packed *pk, __u32 index, __u64 n, unsigned int reach);
/* Whether ntf_packed_add_in_place would add n to index's counter, however deep. */
bool ntf_packed_in_place(const struct ntf_packed *pk, __u32 index, __u64 n);
/* Most counters ntf_packed_add_run_in_place takes. */
#define NTF_PACKED_RUN_IN_PLACE 8
/*
 * Adds run's counts (in order, at most NTF_PACKED_RUN_IN_PLACE) where
 * their counters are, in one walk, when every one is there and keeps its
 * length: true; else false, pk as it was.
 */
bool ntf_packed_add_run_in_place(struct ntf_packed *pk, const struct ntf_buckets *run);
void ntf_packed_free(struct ntf_packed *pk);
/*
 * pk := len bytes of buf holding n counters (what ntf_packed_encode
 * wrote, maybe behind bytes of the caller's own, as notifier-top's
 * snapshot keeps its counters): 0, or -ENOMEM, or -EOVERFLOW past 16 bits
 * of length or counters, with pk as it was.
 */
int ntf_packed_store(struct ntf_packed *pk, const unsigned char *buf, size_t len, __u32 n);
/*
 * Packs in's counters (in order) into out, which has room for
 * NTF_PACKED_COUNTER_BYTES each: the bytes written, which a struct
 * ntf_packed pointing at them reads back, and in *n the counters (in's
 * but those of count 0).
 */
size_t ntf_packed_encode(unsigned char *out, const struct ntf_buckets *in, __u32 *n);

/* Bytes ntf_packed_put_values writes a value at most (a 64-bit varint). */
#define NTF_PACKED_VALUE_BYTES 10
/*
 * Writes n values as varints (small counters take a byte or two, where
 * they would take 8): the bytes written, at most NTF_PACKED_VALUE_BYTES each.
 */
size_t ntf_packed_put_values(unsigned char *out, const __u64 *v, unsigned int n);
/* Reads back n values ntf_packed_put_values wrote at p: the byte after them. */
const unsigned char *ntf_packed_get_values(const unsigned char *p, __u64 *v, unsigned int n);

/* A histogram's counters (core/histogram.h) as values: at most 80 bytes, mostly about 20. */
#define NTF_PACKED_COUNTS_BYTES (8 * NTF_PACKED_VALUE_BYTES)
size_t ntf_packed_put_counts(unsigned char *out, const struct ntf_hist_counts *c);
const unsigned char *ntf_packed_get_counts(const unsigned char *p, struct ntf_hist_counts *c);

/* A walk of pk's counters in order. */
struct ntf_packed_cur {
	const unsigned char *p, *end;
	__u32 order; /* the last one's place in the order (ntf_bucket_order), + 1 */
};

static inline struct ntf_packed_cur ntf_packed_walk(const struct ntf_packed *pk)
{
	return (struct ntf_packed_cur){ .p = pk->p, .end = pk->p + pk->len };
}

/* A varint longer than a byte (the slow way of ntf_packed_next). */
__u64 ntf_packed_varint(const unsigned char **p, const unsigned char *end);

static inline __u64 ntf_packed_get(const unsigned char **p, const unsigned char *end)
{
	const unsigned char *q = *p;

	/* gaps mostly fit a byte, counts two: inline, as readers walk every counter */
	if (q[0] < 0x80) {
		*p = q + 1;
		return q[0];
	}
	if (end - q >= 2 && q[1] < 0x80) {
		*p = q + 2;
		return (q[0] & 0x7f) | (__u64)q[1] << 7;
	}
	return ntf_packed_varint(p, end);
}

/* The next counter: true, or false at the end. */
static inline bool ntf_packed_next(struct ntf_packed_cur *c, __u32 *index, __u64 *count)
{
	__u32 order;

	if (c->p >= c->end)
		return false;
	order = c->order + (__u32)ntf_packed_get(&c->p, c->end);
	*count = c->p < c->end ? ntf_packed_get(&c->p, c->end) : 0;
	*index = order ? order - 1 : NTF_BUCKET_ZERO;
	c->order = order + 1;
	return true;
}

/* Bytes of v as a varint. */
static inline unsigned int ntf_packed_varint_len(__u64 v)
{
	unsigned int len = 1;

	while (v >= 0x80) {
		v >>= 7;
		len++;
	}
	return len;
}

/* Writes v as a varint at p, over one of the same length. */
void ntf_packed_put_at(unsigned char *p, __u64 v);

/*
 * Where the count ntf_packed_next just read (count, in c's walk of pk) is
 * kept, when adding n keeps its length, for ntf_packed_put_at; else NULL.
 */
static inline unsigned char *ntf_packed_count_in_place(struct ntf_packed *pk,
						       const struct ntf_packed_cur *c, __u64 count,
						       __u64 n)
{
	/* the count's bytes: back from where the walk is to the gap's last byte */
	unsigned int len = 1;

	while (c->p[-1 - (int)len] & 0x80)
		len++;
	if (ntf_packed_varint_len(count + n) != len)
		return NULL;
	return pk->p + (c->p - pk->p) - len;
}

#endif
