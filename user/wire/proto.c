// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Frame encoding and decoding for the notifierd socket. Byte by byte in
 * little endian: no struct is sent as is, so padding, alignment and host
 * order never reach the wire, and every read goes through one bounds check.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "callbacks.h"
#include "proto.h"

_Static_assert(NTF_HIST_SLOTS <= 64, "slot mask is a u64");
/* One bound per quantity: a WELCOME holds every probe point, a NAMES frame every discovered name. */
_Static_assert(NTF_PROTO_MAX_PROBES >= NTF_PROBE_MAX, "WELCOME cannot carry every probe point");
_Static_assert(NTF_PROTO_MAX_NAMES >= NTF_MAX_DISCOVERED, "NAMES cannot carry every discovered id");
_Static_assert(NTF_PROTO_NAME_LEN >= NTF_DRIVER_LEN, "NAMES cannot carry a whole driver name");
_Static_assert(NTF_ORIGIN_MAX <= 32, "origin mask is a u32");
/* A new field in struct ntf_hist must be added to put_entry and read_entry. */
_Static_assert(sizeof(struct ntf_hist) == (8 + NTF_HIST_SLOTS) * sizeof(__u64),
	       "struct ntf_hist changed: update the entry encoding");

/* An entry's fine buckets: the most there can be, and the widest count (48 bits). */
_Static_assert(NTF_BUCKETS_MAX < 0x10000, "a bucket list's length is a u16");
#define FINE_COUNT_MAX ((1ULL << 48) - 1)

#define NCOUNTERS (NTF_CNT_MAX + 7)
#define UPDATE_FIXED_LEN (24 + NCOUNTERS * 8)

/* --- reading: every access checked against the end; a failure sticks --- */

struct rd {
	const __u8 *p;
	size_t len, pos;
	bool bad;
};

static inline __u64 rd_le(struct rd *r, unsigned int n)
{
	__u64 v = 0;

	if (r->bad || r->len - r->pos < n) {
		r->bad = true;
		return 0;
	}
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* the wire's order: one load where n is known, as in read_entry */
	memcpy(&v, r->p + r->pos, n);
#else
	for (unsigned int i = 0; i < n; i++)
		v |= (__u64)r->p[r->pos + i] << (8 * i);
#endif
	r->pos += n;
	return v;
}

/* An unsigned LEB128 of at most max_bytes bytes (7 bits each, low first). */
static __u64 rd_varint_long(struct rd *r, unsigned int max_bytes)
{
	__u64 v = 0;

	for (unsigned int i = 0; i < max_bytes && !r->bad && r->pos < r->len; i++) {
		__u8 byte = r->p[r->pos++];

		v |= (__u64)(byte & 0x7f) << (7 * i);
		if (!(byte & 0x80))
			return v;
	}
	r->bad = true;
	return 0;
}

/* The same; most are one byte (a bucket next to the last, a small count): those inline. */
static inline __u64 rd_varint(struct rd *r, unsigned int max_bytes)
{
	if (!r->bad && r->pos < r->len && !(r->p[r->pos] & 0x80))
		return r->p[r->pos++];
	return rd_varint_long(r, max_bytes);
}

/* A u16 length then bytes: shorter than size, no NUL inside; dst always terminated. */
static void rd_str(struct rd *r, char *dst, size_t size)
{
	size_t n = rd_le(r, 2);

	dst[0] = '\0';
	if (r->bad)
		return;
	if (n >= size || r->len - r->pos < n || memchr(r->p + r->pos, 0, n)) {
		r->bad = true;
		return;
	}
	memcpy(dst, r->p + r->pos, n);
	dst[n] = '\0';
	r->pos += n;
}

static int rd_end(const struct rd *r)
{
	return r->bad || r->pos != r->len ? -EBADMSG : 0;
}

static __u64 le(const __u8 *p, unsigned int n)
{
	struct rd r = { .p = p, .len = n };

	return rd_le(&r, n);
}

/* --- writing: callers reserve first, so these cannot fail --- */

static void wr_le(struct ntf_proto_buf *b, __u64 v, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		b->data[b->len++] = v >> (8 * i);
}

static void wr_varint(struct ntf_proto_buf *b, __u64 v)
{
	for (; v >= 0x80; v >>= 7)
		b->data[b->len++] = (__u8)(v | 0x80);
	b->data[b->len++] = (__u8)v;
}

static void set_le(__u8 *p, __u64 v, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		p[i] = v >> (8 * i);
}

static void wr_str(struct ntf_proto_buf *b, const char *s, size_t max)
{
	size_t n = strnlen(s, max - 1);

	wr_le(b, n, 2);
	memcpy(b->data + b->len, s, n);
	b->len += n;
}

void ntf_proto_buf_free(struct ntf_proto_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

int ntf_proto_buf_reserve(struct ntf_proto_buf *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 4096;
	__u8 *p;

	if (b->cap - b->len >= n)
		return 0;
	while (cap - b->len < n)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

/* Starts a frame of payload up to max bytes; returns its offset, or -ENOMEM. */
static long begin_frame(struct ntf_proto_buf *b, __u16 type, size_t max)
{
	size_t at = b->len;

	if (ntf_proto_buf_reserve(b, NTF_PROTO_HDR_LEN + max))
		return -ENOMEM;
	wr_le(b, NTF_PROTO_MAGIC, 4);
	wr_le(b, NTF_PROTO_VERSION, 2);
	wr_le(b, type, 2);
	wr_le(b, 0, 4); /* length, set by end_frame */
	wr_le(b, 0, 4);
	return at;
}

static void end_frame(struct ntf_proto_buf *b, size_t at)
{
	set_le(b->data + at + 8, b->len - at - NTF_PROTO_HDR_LEN, 4);
}

size_t ntf_proto_frame_size(const __u8 *frame)
{
	return NTF_PROTO_HDR_LEN + le(frame + 8, 4);
}

/* --- frames --- */

int ntf_proto_parse(const void *buf, size_t n, __u32 max_payload, struct ntf_proto_frame *f,
		    size_t *used)
{
	static const __u8 magic[4] = { 'n', 't', 'f', 'p' };
	const __u8 *p = buf;

	if (!n)
		return -EAGAIN;
	if (memcmp(p, magic, n < 4 ? n : 4))
		return -EILSEQ;
	if (n < NTF_PROTO_HDR_LEN)
		return -EAGAIN;
	f->version = le(p + 4, 2);
	f->type = le(p + 6, 2);
	f->len = le(p + 8, 4);
	f->payload = p + NTF_PROTO_HDR_LEN;
	if (le(p + 12, 4))
		return -EBADMSG;
	if (f->version != NTF_PROTO_VERSION)
		return -EPROTONOSUPPORT;
	if (f->len > max_payload)
		return -EMSGSIZE;
	if (!f->type || f->type >= NTF_PROTO_TYPE_MAX)
		return -EPROTO;
	if (n - NTF_PROTO_HDR_LEN < f->len)
		return -EAGAIN;
	*used = NTF_PROTO_HDR_LEN + f->len;
	return 0;
}

static struct rd frame_reader(const struct ntf_proto_frame *f, __u16 type)
{
	struct rd r = { .p = f->payload, .len = f->len };

	r.bad = f->type != type;
	return r;
}

int ntf_proto_decode_hello(const struct ntf_proto_frame *f, struct ntf_proto_hello *out)
{
	struct rd r = frame_reader(f, NTF_PROTO_HELLO);

	out->version = rd_le(&r, 2);
	if (rd_le(&r, 2))
		r.bad = true;
	out->interval_ms = rd_le(&r, 4);
	return rd_end(&r);
}

int ntf_proto_put_hello(struct ntf_proto_buf *b, __u32 interval_ms)
{
	long at = begin_frame(b, NTF_PROTO_HELLO, 8);

	if (at < 0)
		return at;
	wr_le(b, NTF_PROTO_VERSION, 2);
	wr_le(b, 0, 2);
	wr_le(b, interval_ms, 4);
	end_frame(b, at);
	return 0;
}

int ntf_proto_decode_welcome(const struct ntf_proto_frame *f, struct ntf_proto_welcome *out)
{
	struct rd r = frame_reader(f, NTF_PROTO_WELCOME);

	out->version = rd_le(&r, 2);
	out->nprobes = rd_le(&r, 2);
	out->interval_ms = rd_le(&r, 4);
	out->max_keys = rd_le(&r, 4);
	out->flags = rd_le(&r, 4);
	if (out->nprobes > NTF_PROTO_MAX_PROBES)
		r.bad = true;
	for (__u32 i = 0; i < out->nprobes && !r.bad; i++) {
		struct ntf_proto_probe *p = &out->probes[i];
		unsigned int attached, core, nwhy;

		memset(p, 0, sizeof(*p));
		rd_str(&r, p->id, sizeof(p->id));
		rd_str(&r, p->func, sizeof(p->func));
		p->mech = rd_le(&r, 1);
		attached = rd_le(&r, 1);
		core = rd_le(&r, 1);
		nwhy = rd_le(&r, 1);
		if (p->mech >= NTF_MECH_MAX || attached > 1 || core > 1 || nwhy > NTF_MECH_MAX)
			r.bad = true;
		p->attached = attached;
		p->core = core;
		for (unsigned int m = 0; m < nwhy && !r.bad; m++)
			rd_str(&r, p->why[m], sizeof(p->why[m]));
	}
	if (r.bad)
		out->nprobes = 0;
	return rd_end(&r);
}

int ntf_proto_put_welcome(struct ntf_proto_buf *b, const struct ntf_proto_welcome *w)
{
	__u32 n = w->nprobes < NTF_PROTO_MAX_PROBES ? w->nprobes : NTF_PROTO_MAX_PROBES;
	long at = begin_frame(b, NTF_PROTO_WELCOME, 16 + n * sizeof(struct ntf_proto_probe) * 2);

	if (at < 0)
		return at;
	wr_le(b, NTF_PROTO_VERSION, 2);
	wr_le(b, n, 2);
	wr_le(b, w->interval_ms, 4);
	wr_le(b, w->max_keys, 4);
	wr_le(b, w->flags, 4);
	for (__u32 i = 0; i < n; i++) {
		const struct ntf_proto_probe *p = &w->probes[i];

		wr_str(b, p->id, sizeof(p->id));
		wr_str(b, p->func, sizeof(p->func));
		wr_le(b, p->mech, 1);
		wr_le(b, p->attached, 1);
		wr_le(b, p->core, 1);
		wr_le(b, NTF_MECH_MAX, 1);
		for (unsigned int m = 0; m < NTF_MECH_MAX; m++)
			wr_str(b, p->why[m], sizeof(p->why[m]));
	}
	end_frame(b, at);
	return 0;
}

/* --- SNAPSHOT and DELTA --- */

static void counters_to_array(const struct ntf_proto_counters *c, __u64 *v)
{
	unsigned int i = 0;

	for (unsigned int k = 0; k < NTF_CNT_MAX; k++)
		v[i++] = c->kernel[k];
	v[i++] = c->events;
	v[i++] = c->bad_records;
	v[i++] = c->folded;
	v[i++] = c->keys;
	v[i++] = c->clients;
	v[i++] = c->resyncs;
	v[i++] = c->uptime_ms;
}

static void counters_from_array(struct ntf_proto_counters *c, const __u64 *v)
{
	unsigned int i = 0;

	for (unsigned int k = 0; k < NTF_CNT_MAX; k++)
		c->kernel[k] = v[i++];
	c->events = v[i++];
	c->bad_records = v[i++];
	c->folded = v[i++];
	c->keys = v[i++];
	c->clients = v[i++];
	c->resyncs = v[i++];
	c->uptime_ms = v[i++];
}

/*
 * An entry's fine buckets (core/buckets.h): a u16 count of buckets, then
 * per bucket, in the order they are kept (the zero bucket first, then by
 * index), two LEB128 varints: the gap from the one before in that order
 * (ntf_bucket_order of its index, minus the previous one's, minus 1; the
 * first's order itself) and its count (1 to 2^48 - 1). A few bytes a
 * bucket; the order makes them sorted and distinct by construction.
 */
#define GAP_BYTES 2 /* orders are below 2^14 */
#define U64_BYTES 10 /* an entry's counters: any 64-bit value */
#define COUNT_BYTES 7 /* 48 bits */
#define FINE_MAX_LEN (2 + NTF_BUCKETS_MAX * (GAP_BYTES + COUNT_BYTES))
_Static_assert(NTF_BUCKET_HIGHEST + 1 < 1u << (7 * GAP_BYTES), "an order fits GAP_BYTES");
_Static_assert(FINE_COUNT_MAX < 1ULL << (7 * COUNT_BYTES), "a count fits COUNT_BYTES");

/* Into fine (NULL: only checked); fine has room for NTF_BUCKETS_MAX (read_entry sees to it). */
static void read_fine(struct rd *r, struct ntf_buckets *fine)
{
	__u32 n = rd_le(r, 2);
	__s64 order = -1;

	if (n > NTF_BUCKETS_MAX)
		r->bad = true;
	for (__u32 i = 0; i < n && !r->bad; i++) {
		__u64 gap = rd_varint(r, GAP_BYTES), count;
		__u32 index;

		order += gap + 1;
		/* order 0 is the zero bucket, order k the index k - 1 */
		index = order ? (__u32)(order - 1) : NTF_BUCKET_ZERO;
		if (order > NTF_BUCKET_ZERO || !ntf_bucket_valid(index))
			r->bad = true;
		count = rd_varint(r, COUNT_BYTES);
		if (!count || count > FINE_COUNT_MAX)
			r->bad = true;
		if (r->bad || !fine)
			continue;
		fine->b[i].index = index;
		fine->b[i].count_hi = count >> 32;
		fine->b[i].count_lo = (__u32)count;
	}
	if (fine)
		fine->n = r->bad ? 0 : n;
}

/* fine: out's scratch, reused (see ntf_proto_update_next); NULL only checks. */
static int read_entry(struct rd *r, struct ntf_agg_entry *e, struct ntf_buckets *fine)
{
	__u64 mask;

	memset(e, 0, sizeof(*e));
	e->key.class = rd_le(r, 4);
	e->key.callback = rd_le(r, 4);
	e->key.tgid = rd_le(r, 4);
	rd_str(r, e->comm, sizeof(e->comm));
	e->hist.count = rd_varint(r, U64_BYTES);
	e->hist.sum_ns = rd_varint(r, U64_BYTES);
	e->hist.max_ns = rd_varint(r, U64_BYTES);
	e->hist.min_ns = rd_varint(r, U64_BYTES);
	e->hist.failures = rd_varint(r, U64_BYTES);
	e->hist.pages = rd_varint(r, U64_BYTES);
	e->hist.nested = rd_varint(r, U64_BYTES);
	e->hist.nonblock = rd_varint(r, U64_BYTES);
	mask = rd_le(r, 8);
	if (NTF_HIST_SLOTS < 64 && mask >> NTF_HIST_SLOTS)
		r->bad = true;
	/* the slots present, lowest first: one step per slot sent, not per slot */
	for (; mask && !r->bad; mask &= mask - 1)
		e->hist.slots[__builtin_ctzll(mask)] = rd_varint(r, U64_BYTES);
	mask = rd_le(r, 4);
	if (NTF_ORIGIN_MAX < 32 && mask >> NTF_ORIGIN_MAX)
		r->bad = true;
	for (; mask && !r->bad; mask &= mask - 1)
		e->origins[__builtin_ctzll(mask)] = rd_varint(r, U64_BYTES);
	read_fine(r, fine);
	if (fine)
		e->fine = *fine;
	/* Consumers index tables by class: only classes this build knows. */
	if (e->key.class == NTF_CLASS_NONE || e->key.class >= NTF_CLASS_MAX)
		r->bad = true;
	return r->bad ? -EBADMSG : 0;
}

/*
 * key, comm, hist scalars, slot mask and slots, origin mask and origins,
 * fine buckets; the counters varints, most far shorter than 8 bytes
 */
#define ENTRY_MAX_LEN                                                                 \
	(12 + 2 + NTF_COMM_LEN + 8 * U64_BYTES + 8 + NTF_HIST_SLOTS * U64_BYTES + 4 + \
	 NTF_ORIGIN_MAX * U64_BYTES + FINE_MAX_LEN)
#define ENTRY_MIN_LEN (12 + 2 + 8 * 1 + 8 + 4 + 2)
/* A frame is cut once past NTF_PROTO_CHUNK: the entry that passed it must still fit. */
_Static_assert(UPDATE_FIXED_LEN + NTF_PROTO_CHUNK + ENTRY_MAX_LEN <= NTF_PROTO_MAX_PAYLOAD,
	       "an update frame can exceed the payload bound");

static void put_fine(struct ntf_proto_buf *b, const struct ntf_buckets *fine)
{
	__u32 n = 0, last = 0;
	size_t at = b->len;

	wr_le(b, 0, 2); /* the count, set below: empty buckets are left out */
	for (__u32 i = 0; i < fine->n && n < NTF_BUCKETS_MAX; i++) {
		const struct ntf_bucket *bk = &fine->b[i];
		__u32 order = ntf_bucket_order(bk->index);

		if (!ntf_bucket_count(bk) || !ntf_bucket_valid(bk->index) || (n && order <= last))
			continue;
		wr_varint(b, n ? order - last - 1 : order);
		wr_varint(b, ntf_bucket_count(bk));
		last = order;
		n++;
	}
	set_le(b->data + at, n, 2);
}

static void put_entry(struct ntf_proto_buf *b, const struct ntf_agg_entry *e)
{
	__u64 mask = 0;

	wr_le(b, e->key.class, 4);
	wr_le(b, e->key.callback, 4);
	wr_le(b, e->key.tgid, 4);
	wr_str(b, e->comm, sizeof(e->comm));
	wr_varint(b, e->hist.count);
	wr_varint(b, e->hist.sum_ns);
	wr_varint(b, e->hist.max_ns);
	wr_varint(b, e->hist.min_ns);
	wr_varint(b, e->hist.failures);
	wr_varint(b, e->hist.pages);
	wr_varint(b, e->hist.nested);
	wr_varint(b, e->hist.nonblock);
	for (unsigned int i = 0; i < NTF_HIST_SLOTS; i++)
		if (e->hist.slots[i])
			mask |= 1ULL << i;
	wr_le(b, mask, 8);
	for (unsigned int i = 0; i < NTF_HIST_SLOTS; i++)
		if (e->hist.slots[i])
			wr_varint(b, e->hist.slots[i]);
	mask = 0;
	for (unsigned int i = 0; i < NTF_ORIGIN_MAX; i++)
		if (e->origins[i])
			mask |= 1ULL << i;
	wr_le(b, mask, 4);
	for (unsigned int i = 0; i < NTF_ORIGIN_MAX; i++)
		if (e->origins[i])
			wr_varint(b, e->origins[i]);
	put_fine(b, &e->fine);
}

int ntf_proto_decode_update(const struct ntf_proto_frame *f, struct ntf_proto_update *out)
{
	struct rd r = { .p = f->payload, .len = f->len };
	__u64 v[NCOUNTERS] = {};
	struct ntf_agg_entry tmp;
	unsigned int ncounters;

	memset(out, 0, sizeof(*out));
	if (f->type != NTF_PROTO_SNAPSHOT && f->type != NTF_PROTO_DELTA)
		return -EBADMSG;
	out->type = f->type;
	out->flags = rd_le(&r, 2);
	ncounters = rd_le(&r, 2);
	out->nentries = rd_le(&r, 4);
	out->base = rd_le(&r, 8);
	out->gen = rd_le(&r, 8);
	/* Newer daemons may append counters: keep the ones known, skip the rest. */
	for (unsigned int i = 0; i < ncounters && !r.bad; i++) {
		__u64 x = rd_le(&r, 8);

		if (i < NCOUNTERS)
			v[i] = x;
	}
	if (r.bad || out->flags & ~(NTF_PROTO_F_FIRST | NTF_PROTO_F_LAST) ||
	    (out->type == NTF_PROTO_SNAPSHOT && out->base) || out->base > out->gen ||
	    out->nentries > (r.len - r.pos) / ENTRY_MIN_LEN)
		return -EBADMSG;
	counters_from_array(&out->counters, v);
	out->entries = r.p + r.pos;
	out->entries_len = r.len - r.pos;
	for (__u32 i = 0; i < out->nentries; i++)
		if (read_entry(&r, &tmp, NULL))
			return -EBADMSG;
	return rd_end(&r);
}

int ntf_proto_update_next(struct ntf_proto_update *u, struct ntf_agg_entry *out)
{
	struct rd r = { .p = u->entries, .len = u->entries_len, .pos = u->pos };
	struct ntf_buckets fine = out->fine;

	if (u->next >= u->nentries)
		return 0;
	/* room for the most an entry can bring, once: then it is only reused */
	if (fine.cap < NTF_BUCKETS_MAX) {
		struct ntf_bucket *b = realloc(fine.b, NTF_BUCKETS_MAX * sizeof(*b));

		if (!b)
			return -ENOMEM;
		fine.b = b;
		fine.cap = NTF_BUCKETS_MAX;
	}
	if (read_entry(&r, out, &fine))
		return -EBADMSG;
	u->pos = r.pos;
	u->next++;
	return 1;
}

struct update_writer {
	struct ntf_proto_buf *b;
	__u16 type;
	__u64 base, gen;
	__u64 counters[NCOUNTERS];
	long frame; /* offset of the open frame */
	__u32 n; /* entries in it */
	bool first;
};

static int open_update(struct update_writer *w)
{
	w->frame = begin_frame(w->b, w->type, UPDATE_FIXED_LEN + ENTRY_MAX_LEN);
	if (w->frame < 0)
		return w->frame;
	wr_le(w->b, w->first ? NTF_PROTO_F_FIRST : 0, 2);
	wr_le(w->b, NCOUNTERS, 2);
	wr_le(w->b, 0, 4); /* entries, set by close_update */
	wr_le(w->b, w->base, 8);
	wr_le(w->b, w->gen, 8);
	for (unsigned int i = 0; i < NCOUNTERS; i++)
		wr_le(w->b, w->counters[i], 8);
	w->n = 0;
	w->first = false;
	return 0;
}

static void close_update(struct update_writer *w, bool last)
{
	__u8 *payload = w->b->data + w->frame + NTF_PROTO_HDR_LEN;

	if (last)
		payload[0] |= NTF_PROTO_F_LAST;
	set_le(payload + 4, w->n, 4);
	end_frame(w->b, w->frame);
}

static int update_visit(const struct ntf_agg_entry *e, void *ctx)
{
	struct update_writer *w = ctx;
	int err;

	if (w->b->len - w->frame >= NTF_PROTO_HDR_LEN + NTF_PROTO_CHUNK) {
		close_update(w, false);
		err = open_update(w);
		if (err)
			return err;
	}
	err = ntf_proto_buf_reserve(w->b, ENTRY_MAX_LEN);
	if (err)
		return err;
	put_entry(w->b, e);
	w->n++;
	return 0;
}

int ntf_proto_put_update(struct ntf_proto_buf *b, __u16 type, const struct ntf_agg *agg,
			 __u64 since, __u64 gen, const struct ntf_proto_counters *counters)
{
	struct update_writer w = { .b = b, .type = type, .gen = gen, .first = true };
	size_t start = b->len;
	int err;

	if ((type != NTF_PROTO_SNAPSHOT && type != NTF_PROTO_DELTA) || since > gen)
		return -EINVAL;
	if (type == NTF_PROTO_SNAPSHOT)
		since = 0;
	w.base = since;
	counters_to_array(counters, w.counters);
	err = open_update(&w);
	if (!err)
		err = ntf_agg_foreach_since(agg, since, update_visit, &w);
	if (err) {
		b->len = start; /* whole frames or nothing */
		return err;
	}
	close_update(&w, true);
	return 0;
}

int ntf_proto_decode_error(const struct ntf_proto_frame *f, struct ntf_proto_error *out)
{
	struct rd r = frame_reader(f, NTF_PROTO_ERROR);

	out->code = rd_le(&r, 4);
	rd_str(&r, out->msg, sizeof(out->msg));
	return rd_end(&r);
}

int ntf_proto_put_error(struct ntf_proto_buf *b, __u32 code, const char *msg)
{
	long at = begin_frame(b, NTF_PROTO_ERROR, 6 + NTF_PROTO_MSG_LEN);

	if (at < 0)
		return at;
	wr_le(b, code, 4);
	wr_str(b, msg, NTF_PROTO_MSG_LEN);
	end_frame(b, at);
	return 0;
}

int ntf_proto_decode_bye(const struct ntf_proto_frame *f)
{
	return f->type == NTF_PROTO_BYE && !f->len ? 0 : -EBADMSG;
}

int ntf_proto_put_bye(struct ntf_proto_buf *b)
{
	long at = begin_frame(b, NTF_PROTO_BYE, 0);

	if (at < 0)
		return at;
	end_frame(b, at);
	return 0;
}

int ntf_proto_decode_names(const struct ntf_proto_frame *f, struct ntf_proto_names *out)
{
	struct rd r = frame_reader(f, NTF_PROTO_NAMES);

	out->n = rd_le(&r, 4);
	if (out->n > NTF_PROTO_MAX_NAMES)
		return -EBADMSG;
	for (__u32 i = 0; i < out->n && !r.bad; i++) {
		out->names[i].id = rd_le(&r, 4);
		rd_str(&r, out->names[i].name, sizeof(out->names[i].name));
		if (!out->names[i].name[0])
			return -EBADMSG;
	}
	return rd_end(&r);
}

int ntf_proto_put_names(struct ntf_proto_buf *b, const struct ntf_proto_names *names)
{
	__u32 n = names->n < NTF_PROTO_MAX_NAMES ? names->n : NTF_PROTO_MAX_NAMES;
	long at = begin_frame(b, NTF_PROTO_NAMES, 4 + n * (6 + NTF_PROTO_NAME_LEN));

	if (at < 0)
		return at;
	wr_le(b, n, 4);
	for (__u32 i = 0; i < n; i++) {
		wr_le(b, names->names[i].id, 4);
		wr_str(b, names->names[i].name, NTF_PROTO_NAME_LEN);
	}
	end_frame(b, at);
	return 0;
}

int ntf_proto_decode_trigger(const struct ntf_proto_frame *f)
{
	return f->type == NTF_PROTO_TRIGGER && !f->len ? 0 : -EBADMSG;
}

int ntf_proto_put_trigger(struct ntf_proto_buf *b)
{
	long at = begin_frame(b, NTF_PROTO_TRIGGER, 0);

	if (at < 0)
		return at;
	end_frame(b, at);
	return 0;
}

int ntf_proto_decode_triggered(const struct ntf_proto_frame *f, struct ntf_proto_triggered *out)
{
	struct rd r = frame_reader(f, NTF_PROTO_TRIGGERED);

	rd_str(&r, out->path, sizeof(out->path));
	out->events = rd_le(&r, 8);
	out->bytes = rd_le(&r, 8);
	out->from_ns = rd_le(&r, 8);
	out->to_ns = rd_le(&r, 8);
	out->wall_ns = rd_le(&r, 8);
	if (!r.bad && !out->path[0])
		return -EBADMSG;
	return rd_end(&r);
}

int ntf_proto_put_triggered(struct ntf_proto_buf *b, const struct ntf_proto_triggered *t)
{
	long at = begin_frame(b, NTF_PROTO_TRIGGERED, 2 + NTF_PROTO_PATH_LEN + 5 * 8);

	if (at < 0)
		return at;
	wr_str(b, t->path, NTF_PROTO_PATH_LEN);
	wr_le(b, t->events, 8);
	wr_le(b, t->bytes, 8);
	wr_le(b, t->from_ns, 8);
	wr_le(b, t->to_ns, 8);
	wr_le(b, t->wall_ns, 8);
	end_frame(b, at);
	return 0;
}

int ntf_proto_decode_policy(const struct ntf_proto_frame *f, struct ntf_proto_policy *out)
{
	struct rd r = frame_reader(f, NTF_PROTO_POLICY);

	out->op = rd_le(&r, 4);
	rd_str(&r, out->path, sizeof(out->path));
	if (!r.bad && (!out->op || out->op >= NTF_PROTO_POLICY_OP_MAX ||
		       (out->op == NTF_PROTO_POLICY_LOAD) != !!out->path[0]))
		return -EBADMSG;
	return rd_end(&r);
}

int ntf_proto_put_policy(struct ntf_proto_buf *b, const struct ntf_proto_policy *p)
{
	long at = begin_frame(b, NTF_PROTO_POLICY, 4 + 2 + NTF_PROTO_PATH_LEN);

	if (at < 0)
		return at;
	wr_le(b, p->op, 4);
	wr_str(b, p->path, NTF_PROTO_PATH_LEN);
	end_frame(b, at);
	return 0;
}

int ntf_proto_decode_policy_state(const struct ntf_proto_frame *f,
				  struct ntf_proto_policy_state *out)
{
	struct rd r = frame_reader(f, NTF_PROTO_POLICY_STATE);

	rd_str(&r, out->name, sizeof(out->name));
	rd_str(&r, out->path, sizeof(out->path));
	rd_str(&r, out->backend, sizeof(out->backend));
	for (int i = 0; i < 4; i++)
		out->verdicts[i] = rd_le(&r, 8);
	out->judged = rd_le(&r, 8);
	out->since_ns = rd_le(&r, 8);
	out->loads = rd_le(&r, 4);
	return rd_end(&r);
}

int ntf_proto_put_policy_state(struct ntf_proto_buf *b, const struct ntf_proto_policy_state *st)
{
	long at = begin_frame(b, NTF_PROTO_POLICY_STATE,
			      3 * 2 + NTF_PROTO_POLICY_NAME_LEN + NTF_PROTO_PATH_LEN + 16 + 6 * 8 +
				      4);

	if (at < 0)
		return at;
	wr_str(b, st->name, sizeof(st->name));
	wr_str(b, st->path, sizeof(st->path));
	wr_str(b, st->backend, sizeof(st->backend));
	for (int i = 0; i < 4; i++)
		wr_le(b, st->verdicts[i], 8);
	wr_le(b, st->judged, 8);
	wr_le(b, st->since_ns, 8);
	wr_le(b, st->loads, 4);
	end_frame(b, at);
	return 0;
}

/* --- helpers --- */

void ntf_proto_probes_from_states(struct ntf_proto_welcome *w, const struct ntf_probe_state *st,
				  unsigned int n)
{
	w->nprobes = n < NTF_PROTO_MAX_PROBES ? n : NTF_PROTO_MAX_PROBES;
	for (__u32 i = 0; i < w->nprobes; i++) {
		struct ntf_proto_probe *p = &w->probes[i];

		memset(p, 0, sizeof(*p));
		snprintf(p->id, sizeof(p->id), "%s", st[i].point->id);
		snprintf(p->func, sizeof(p->func), "%s", st[i].point->func);
		p->attached = st[i].attached;
		p->mech = st[i].attached && st[i].mech < NTF_MECH_MAX ? st[i].mech : NTF_MECH_NONE;
		p->core = st[i].point->core;
		for (unsigned int m = 0; m < NTF_MECH_MAX; m++)
			snprintf(p->why[m], sizeof(p->why[m]), "%s", st[i].why[m]);
	}
}

const char *ntf_proto_type_name(unsigned int type)
{
	static const char *const names[NTF_PROTO_TYPE_MAX] = {
		[NTF_PROTO_HELLO] = "hello",
		[NTF_PROTO_WELCOME] = "welcome",
		[NTF_PROTO_SNAPSHOT] = "snapshot",
		[NTF_PROTO_DELTA] = "delta",
		[NTF_PROTO_ERROR] = "error",
		[NTF_PROTO_BYE] = "bye",
		[NTF_PROTO_NAMES] = "names",
		[NTF_PROTO_TRIGGER] = "trigger",
		[NTF_PROTO_TRIGGERED] = "triggered",
		[NTF_PROTO_POLICY] = "policy",
		[NTF_PROTO_POLICY_STATE] = "policy state",
	};

	return type < NTF_PROTO_TYPE_MAX && names[type] ? names[type] : "unknown";
}

const char *ntf_proto_err_name(unsigned int code)
{
	static const char *const names[] = {
		[NTF_PERR_MAGIC] = "bad magic",
		[NTF_PERR_VERSION] = "unsupported version",
		[NTF_PERR_LENGTH] = "frame too long",
		[NTF_PERR_TYPE] = "unknown frame type",
		[NTF_PERR_MALFORMED] = "malformed frame",
		[NTF_PERR_STATE] = "unexpected frame",
		[NTF_PERR_BUSY] = "too many clients",
		[NTF_PERR_TIMEOUT] = "no hello in time",
		[NTF_PERR_INTERNAL] = "daemon out of memory",
		[NTF_PERR_DENIED] = "not allowed",
		[NTF_PERR_UNAVAILABLE] = "not available",
		[NTF_PERR_FAILED] = "failed",
	};

	return code < sizeof(names) / sizeof(names[0]) && names[code] ? names[code] : "error";
}

__u32 ntf_proto_err_from_errno(int err)
{
	switch (err) {
	case -EILSEQ: return NTF_PERR_MAGIC;
	case -EBADMSG: return NTF_PERR_MALFORMED;
	case -EPROTONOSUPPORT: return NTF_PERR_VERSION;
	case -EMSGSIZE: return NTF_PERR_LENGTH;
	case -EPROTO: return NTF_PERR_TYPE;
	case -ENOMSG: return NTF_PERR_STATE;
	case -EBUSY: return NTF_PERR_BUSY;
	case -ETIMEDOUT: return NTF_PERR_TIMEOUT;
	case -ENOMEM: return NTF_PERR_INTERNAL;
	case -EACCES: return NTF_PERR_DENIED;
	case -EOPNOTSUPP: return NTF_PERR_UNAVAILABLE;
	default: return NTF_PERR_MALFORMED;
	}
}
