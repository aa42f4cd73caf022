// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "packed.h"

#define COUNTER_BYTES NTF_PACKED_COUNTER_BYTES

static unsigned char *put_varint(unsigned char *p, __u64 v)
{
	while (v >= 0x80) {
		*p++ = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	*p++ = (unsigned char)v;
	return p;
}

void ntf_packed_put_at(unsigned char *p, __u64 v)
{
	put_varint(p, v);
}

/* The varint at *p, moving *p past it; stops at end (what pack wrote never runs past). */
__u64 ntf_packed_varint(const unsigned char **p, const unsigned char *end)
{
	__u64 v = 0;

	for (unsigned int shift = 0; *p < end && shift < 64; shift += 7) {
		unsigned char b = *(*p)++;

		v |= (__u64)(b & 0x7f) << shift;
		if (!(b & 0x80))
			break;
	}
	return v;
}

int ntf_packed_unpack(const struct ntf_packed *pk, struct ntf_buckets *out)
{
	struct ntf_packed_cur c = ntf_packed_walk(pk);
	__u32 index;
	__u64 count;

	ntf_buckets_reset(out);
	if (ntf_buckets_reserve(out, pk->n))
		return -ENOMEM;
	while (ntf_packed_next(&c, &index, &count) && out->n < out->cap) {
		out->b[out->n].index = index;
		ntf_bucket_set_count(&out->b[out->n++], count);
	}
	return 0;
}

int ntf_packed_store(struct ntf_packed *pk, const unsigned char *buf, size_t len, __u32 n)
{
	/* len, and its room rounded up to 8, must fit 16 bits */
	if (len > 0xfff8 || n > 0xffff)
		return -EOVERFLOW;
	if (len > pk->cap || (pk->cap > 32 && len < pk->cap / 2)) {
		/* the length to 8 bytes: a key's counters grow a few at a time */
		size_t cap = (len + 7) & ~(size_t)7;
		unsigned char *p = realloc(pk->p, cap ? cap : 8);

		if (p) {
			pk->p = p;
			pk->cap = (__u16)(cap ? cap : 8);
		} else if (len > pk->cap) {
			return -ENOMEM; /* a shrink that failed keeps the larger buffer */
		}
	}
	memcpy(pk->p, buf, len);
	pk->len = (__u16)len;
	pk->n = (__u16)n;
	return 0;
}

/* The packing of the merge of a and b's counters (each in order, b's maybe NULL) into buf. */
static size_t pack_merged(unsigned char *buf, struct ntf_packed_cur a, const struct ntf_buckets *b,
			  __u32 *n)
{
	unsigned char *w = buf;
	__u32 order = 0, ia = 0, j = 0;
	__u64 ca = 0;
	bool more = ntf_packed_next(&a, &ia, &ca);

	*n = 0;
	while (more || (b && j < b->n)) {
		__u32 oa = more ? ntf_bucket_order(ia) : ~0u;
		__u32 ob = b && j < b->n ? ntf_bucket_order(b->b[j].index) : ~0u;
		__u32 at = oa < ob ? oa : ob;
		__u64 count = 0;

		if (oa == at) {
			count += ca;
			more = ntf_packed_next(&a, &ia, &ca);
		}
		if (ob == at)
			count += ntf_bucket_count(&b->b[j++]);
		if (!count)
			continue;
		w = put_varint(w, at - order);
		w = put_varint(w, count);
		order = at + 1;
		(*n)++;
	}
	return (size_t)(w - buf);
}

size_t ntf_packed_encode(unsigned char *out, const struct ntf_buckets *in, __u32 *n)
{
	static const struct ntf_packed none;

	return pack_merged(out, ntf_packed_walk(&none), in, n);
}

/* Room for the packing of up to NTF_PACKED_MAX counters. */
static unsigned char *scratch(void)
{
	static __thread unsigned char *buf;

	if (!buf)
		buf = malloc((size_t)NTF_PACKED_MAX * COUNTER_BYTES);
	return buf;
}

/* pk := the counters of from merged with run's. */
static int repack(struct ntf_packed *pk, struct ntf_packed_cur from, const struct ntf_buckets *run)
{
	unsigned char *buf = scratch();
	__u32 n;
	size_t len;

	if (!buf)
		return -ENOMEM;
	len = pack_merged(buf, from, run, &n);
	return ntf_packed_store(pk, buf, len, n);
}

int ntf_packed_pack(struct ntf_packed *pk, const struct ntf_buckets *in)
{
	static const struct ntf_packed none;

	return repack(pk, ntf_packed_walk(&none), in);
}

int ntf_packed_merge(struct ntf_packed *pk, const struct ntf_buckets *run)
{
	return repack(pk, ntf_packed_walk(pk), run);
}

size_t ntf_packed_put_values(unsigned char *out, const __u64 *v, unsigned int n)
{
	unsigned char *w = out;

	for (unsigned int i = 0; i < n; i++)
		w = put_varint(w, v[i]);
	return w - out;
}

const unsigned char *ntf_packed_get_values(const unsigned char *p, __u64 *v, unsigned int n)
{
	/* what put_values wrote ends within its bytes at most */
	for (unsigned int i = 0; i < n; i++)
		v[i] = ntf_packed_get(&p, p + NTF_PACKED_VALUE_BYTES);
	return p;
}

_Static_assert(sizeof(struct ntf_hist_counts) == 8 * sizeof(__u64), "eight counters, no padding");

size_t ntf_packed_put_counts(unsigned char *out, const struct ntf_hist_counts *c)
{
	__u64 v[8];

	memcpy(v, c, sizeof(v));
	return ntf_packed_put_values(out, v, 8);
}

const unsigned char *ntf_packed_get_counts(const unsigned char *p, struct ntf_hist_counts *c)
{
	__u64 v[8];

	p = ntf_packed_get_values(p, v, 8);
	memcpy(c, v, sizeof(v));
	return p;
}

/*
 * Where index's count is, when it is among the first reach counters and
 * adding n keeps its length (*count: the count); else NULL.
 */
static unsigned char *count_in_place(const struct ntf_packed *pk, __u32 index, __u64 n,
				     unsigned int reach, __u64 *count)
{
	const unsigned char *p = pk->p, *end = pk->p + pk->len;
	__u32 order = 0, want = ntf_bucket_order(index);

	for (; p < end && reach; reach--) {
		const unsigned char *count_at;

		order += (__u32)ntf_packed_get(&p, end);
		if (order > want || p >= end)
			return NULL;
		count_at = p;
		*count = ntf_packed_get(&p, end);
		if (order == want)
			return ntf_packed_varint_len(*count + n) == (unsigned int)(p - count_at) ?
				       pk->p + (count_at - pk->p) :
				       NULL;
		order++;
	}
	return NULL;
}

bool ntf_packed_add_in_place(struct ntf_packed *pk, __u32 index, __u64 n, unsigned int reach)
{
	__u64 count;
	unsigned char *at = count_in_place(pk, index, n, reach, &count);

	if (at)
		put_varint(at, count + n);
	return at;
}

bool ntf_packed_in_place(const struct ntf_packed *pk, __u32 index, __u64 n)
{
	__u64 count;

	return count_in_place(pk, index, n, ~0u, &count);
}

bool ntf_packed_add_run_in_place(struct ntf_packed *pk, const struct ntf_buckets *run)
{
	const unsigned char *p = pk->p, *end = pk->p + pk->len;
	const unsigned char *at[NTF_PACKED_RUN_IN_PLACE];
	__u64 sum[NTF_PACKED_RUN_IN_PLACE];
	__u32 order = 0, j = 0;

	if (run->n > NTF_PACKED_RUN_IN_PLACE)
		return false;
	while (j < run->n && p < end) {
		const unsigned char *count_at;
		__u32 want = ntf_bucket_order(run->b[j].index);
		__u64 count, n = ntf_bucket_count(&run->b[j]);

		order += (__u32)ntf_packed_get(&p, end);
		if (order > want || p >= end)
			return false; /* run's counter is not there */
		count_at = p;
		count = ntf_packed_get(&p, end);
		if (order == want) {
			if (ntf_packed_varint_len(count + n) != (unsigned int)(p - count_at))
				return false;
			at[j] = count_at;
			sum[j++] = count + n;
		}
		order++;
	}
	if (j < run->n)
		return false;
	/* all found: only now written, so that a miss leaves pk whole */
	for (j = 0; j < run->n; j++)
		put_varint(pk->p + (at[j] - pk->p), sum[j]);
	return true;
}

int ntf_packed_add(struct ntf_packed *pk, __u32 index, __u64 n)
{
	struct ntf_bucket one = { .index = (__u16)index };
	struct ntf_buckets run = { .b = &one, .n = 1, .cap = 1 };

	/* most adds keep the count's length: under 128, or under 16,384 */
	if (ntf_packed_add_in_place(pk, index, n, ~0u))
		return 0;
	ntf_bucket_set_count(&one, n);
	return ntf_packed_merge(pk, &run);
}

void ntf_packed_free(struct ntf_packed *pk)
{
	free(pk->p);
	memset(pk, 0, sizeof(*pk));
}
