/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The trace file's byte-level pieces, shared by its writer and reader:
 * growing output buffers that remember a failed allocation instead of
 * returning it at every put, and input cursors whose every read is
 * checked against the end and whose first failure sticks (as the
 * daemon's protocol reads frames). Varints are LEB128; signed values go
 * through zigzag so that small negatives stay small.
 */
#ifndef NTF_REC_CODEC_H
#define NTF_REC_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>

#define REC_VARINT_MAX 10

struct rec_buf {
	__u8 *p;
	size_t len, cap;
	bool oom; /* an allocation failed: the contents are not to be used */
};

/* Room for n more bytes; false (and oom set) when it cannot be had. */
static inline bool rec_buf_room(struct rec_buf *b, size_t n)
{
	size_t cap;
	__u8 *p;

	if (b->cap - b->len >= n)
		return true;
	if (b->oom)
		return false;
	cap = b->cap ? b->cap : 256;
	while (cap - b->len < n)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

static inline void rec_buf_free(struct rec_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static inline __u64 rec_zigzag(__s64 v)
{
	return ((__u64)v << 1) ^ (__u64)(v >> 63);
}

static inline __s64 rec_unzigzag(__u64 v)
{
	return (__s64)(v >> 1) ^ -(__s64)(v & 1);
}

static inline void rec_put_varint(struct rec_buf *b, __u64 v)
{
	__u8 *p;

	if (!rec_buf_room(b, REC_VARINT_MAX))
		return;
	p = b->p + b->len;
	while (v >= 0x80) {
		*p++ = (__u8)v | 0x80;
		v >>= 7;
	}
	*p++ = (__u8)v;
	b->len = p - b->p;
}

static inline void rec_put_svarint(struct rec_buf *b, __s64 v)
{
	rec_put_varint(b, rec_zigzag(v));
}

static inline void rec_put_bytes(struct rec_buf *b, const void *data, size_t n)
{
	if (!n || !rec_buf_room(b, n))
		return;
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

static inline void rec_put_le(struct rec_buf *b, __u64 v, unsigned int n)
{
	if (!rec_buf_room(b, n))
		return;
	for (unsigned int i = 0; i < n; i++)
		b->p[b->len++] = (__u8)(v >> (8 * i));
}

static inline void rec_set_le(__u8 *p, __u64 v, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		p[i] = (__u8)(v >> (8 * i));
}

static inline __u64 rec_get_le(const __u8 *p, unsigned int n)
{
	__u64 v = 0;

	for (unsigned int i = 0; i < n; i++)
		v |= (__u64)p[i] << (8 * i);
	return v;
}

/* A string as a varint length and its bytes, without the NUL; at most max bytes. */
static inline void rec_put_str(struct rec_buf *b, const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	rec_put_varint(b, n);
	rec_put_bytes(b, s, n);
}

struct rec_cur {
	const __u8 *p, *end;
	bool bad;
};

static inline struct rec_cur rec_cur_make(const void *p, size_t n)
{
	/* no arithmetic on a NULL of an empty buffer */
	struct rec_cur c = { .p = p, .end = n ? (const __u8 *)p + n : p };

	return c;
}

static inline size_t rec_cur_left(const struct rec_cur *c)
{
	return c->end - c->p;
}

/* A varint of at most 10 bytes whose value fits 64 bits; 0 and bad otherwise. */
static inline __u64 rec_get_varint(struct rec_cur *c)
{
	__u64 v = 0;

	for (unsigned int shift = 0; c->p < c->end && shift < 64; shift += 7) {
		__u8 byte = *c->p++;

		if (shift == 63 && byte > 1)
			break;
		v |= (__u64)(byte & 0x7f) << shift;
		if (!(byte & 0x80))
			return v;
	}
	c->bad = true;
	c->p = c->end;
	return 0;
}

static inline __s64 rec_get_svarint(struct rec_cur *c)
{
	return rec_unzigzag(rec_get_varint(c));
}

/* n bytes in place, or NULL (and bad) when fewer are left. */
static inline const __u8 *rec_get_bytes(struct rec_cur *c, size_t n)
{
	const __u8 *p = c->p;

	if (c->bad || rec_cur_left(c) < n) {
		c->bad = true;
		c->p = c->end;
		return NULL;
	}
	c->p += n;
	return p;
}

/*
 * A string (varint length, bytes) into dst: bad when longer than size - 1
 * or holding a NUL; dst always terminated.
 */
static inline void rec_get_str(struct rec_cur *c, char *dst, size_t size)
{
	__u64 n = rec_get_varint(c);
	const __u8 *p;

	dst[0] = '\0';
	if (c->bad || n >= size) {
		c->bad = true;
		return;
	}
	p = rec_get_bytes(c, n);
	if (!p || memchr(p, 0, n)) {
		c->bad = true;
		return;
	}
	memcpy(dst, p, n);
	dst[n] = '\0';
}

#endif
