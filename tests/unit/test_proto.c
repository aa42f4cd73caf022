// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <cmocka.h>
#include "client.h"
#include "proto.h"
#include "server.h"
#include "histogram.h"
#include "callbacks.h"

/* --- helpers --- */

#define MAXP NTF_PROTO_MAX_PAYLOAD

/* Deterministic entries: key i has a few slots, origins and a name. */
static void add_events(struct ntf_agg *agg, unsigned int keys, unsigned int round)
{
	for (unsigned int i = 0; i < keys; i++) {
		struct ntf_event e;

		memset(&e, 0, sizeof(e));
		e.class = NTF_CLASS_INVAL_START + i % (NTF_CLASS_MAX - 1);
		e.callback = i % 3;
		e.tgid = 1000 + i;
		e.latency_ns = (1000ULL + i * 37) << (round % 20);
		e.origin = (i + round) % NTF_ORIGIN_MAX;
		e.flags = i % 5 ? 0 : NTF_F_FAILED | NTF_F_NESTED;
		e.ret = i % 7;
		snprintf(e.comm, sizeof(e.comm), "proc-%u", i);
		assert_int_equal(ntf_agg_add(agg, &e), 0);
	}
}

static void touch(struct ntf_agg *agg, unsigned int key, __u64 ns)
{
	struct ntf_event e;

	memset(&e, 0, sizeof(e));
	e.class = NTF_CLASS_INVAL_START + key % (NTF_CLASS_MAX - 1);
	e.callback = key % 3;
	e.tgid = 1000 + key;
	e.latency_ns = ns;
	snprintf(e.comm, sizeof(e.comm), "proc-%u", key);
	assert_int_equal(ntf_agg_add(agg, &e), 0);
}

struct cmp {
	const struct ntf_agg *other;
	size_t n;
};

static int cmp_visit(const struct ntf_agg_entry *e, void *ctx)
{
	struct cmp *c = ctx;
	const struct ntf_agg_entry *o = ntf_agg_get(c->other, &e->key);

	assert_non_null(o);
	assert_string_equal(o->comm, e->comm);
	assert_memory_equal(&o->hist, &e->hist, sizeof(e->hist));
	assert_memory_equal(o->origins, e->origins, sizeof(e->origins));
	/* the fine buckets too: the percentiles a client reads are the sender's */
	assert_int_equal(o->fine.n, e->fine.n);
	if (e->fine.n)
		assert_memory_equal(o->fine.b, e->fine.b, e->fine.n * sizeof(*e->fine.b));
	c->n++;
	return 0;
}

/* Every entry of a is in b with the same contents, and the counts match. */
static void assert_mirror(const struct ntf_agg *a, const struct ntf_agg *b)
{
	struct cmp c = { .other = b };

	ntf_agg_foreach(a, cmp_visit, &c);
	assert_int_equal(c.n, ntf_agg_count(a));
	assert_int_equal(ntf_agg_count(a), ntf_agg_count(b));
}

static struct ntf_proto_frame parse_ok(const __u8 *p, size_t n, size_t *used)
{
	struct ntf_proto_frame f;

	assert_int_equal(ntf_proto_parse(p, n, NTF_PROTO_MAX_PAYLOAD, &f, used), 0);
	return f;
}

static void set_le32(__u8 *p, __u32 v)
{
	for (int i = 0; i < 4; i++)
		p[i] = v >> (8 * i);
}

/* --- round trips --- */

static void hello_round_trip(void **state)
{
	struct ntf_proto_buf b = {};
	struct ntf_proto_hello h;
	struct ntf_proto_frame f;
	size_t used;

	(void)state;
	assert_int_equal(ntf_proto_put_hello(&b, 250), 0);
	f = parse_ok(b.data, b.len, &used);
	assert_int_equal(used, b.len);
	assert_int_equal(f.type, NTF_PROTO_HELLO);
	assert_int_equal(ntf_proto_decode_hello(&f, &h), 0);
	assert_int_equal(h.version, NTF_PROTO_VERSION);
	assert_int_equal(h.interval_ms, 250);
	/* the wrong decoder for the type refuses */
	assert_int_equal(ntf_proto_decode_bye(&f), -EBADMSG);
	ntf_proto_buf_free(&b);
}

static void fill_welcome(struct ntf_proto_welcome *w)
{
	memset(w, 0, sizeof(*w));
	w->interval_ms = 1000;
	w->max_keys = 65536;
	w->flags = NTF_PROTO_W_STREAM;
	w->nprobes = 3;
	snprintf(w->probes[0].id, sizeof(w->probes[0].id), "inval_start");
	snprintf(w->probes[0].func, sizeof(w->probes[0].func), "%s",
		 "__mmu_notifier_invalidate_range_start");
	w->probes[0].core = true;
	snprintf(w->probes[0].why[NTF_MECH_FENTRY], NTF_REASON_LEN, "refused at load");
	/* a why of the longest length a field holds */
	memset(w->probes[0].why[NTF_MECH_KPROBE], 'k', NTF_REASON_LEN - 1);
	snprintf(w->probes[1].id, sizeof(w->probes[1].id), "fence_wait");
	snprintf(w->probes[1].func, sizeof(w->probes[1].func), "dma_fence_wait_timeout");
	w->probes[1].attached = true;
	w->probes[1].mech = NTF_MECH_TRACEPOINT;
	memset(w->probes[2].id, 'i', sizeof(w->probes[2].id) - 1);
	memset(w->probes[2].func, 'f', sizeof(w->probes[2].func) - 1);
}

static void welcome_round_trip(void **state)
{
	struct ntf_proto_welcome w, got;
	struct ntf_proto_buf b = {};
	struct ntf_proto_frame f;
	size_t used;

	(void)state;
	fill_welcome(&w);
	assert_int_equal(ntf_proto_put_welcome(&b, &w), 0);
	f = parse_ok(b.data, b.len, &used);
	assert_int_equal(ntf_proto_decode_welcome(&f, &got), 0);
	assert_int_equal(got.version, NTF_PROTO_VERSION);
	assert_int_equal(got.interval_ms, 1000);
	assert_int_equal(got.max_keys, 65536);
	assert_int_equal(got.flags, NTF_PROTO_W_STREAM);
	assert_int_equal(got.nprobes, 3);
	for (int i = 0; i < 3; i++) {
		assert_string_equal(got.probes[i].id, w.probes[i].id);
		assert_string_equal(got.probes[i].func, w.probes[i].func);
		assert_int_equal(got.probes[i].mech, w.probes[i].mech);
		assert_int_equal(got.probes[i].attached, w.probes[i].attached);
		assert_int_equal(got.probes[i].core, w.probes[i].core);
		for (int m = 0; m < NTF_MECH_MAX; m++)
			assert_string_equal(got.probes[i].why[m], w.probes[i].why[m]);
	}
	ntf_proto_buf_free(&b);
}

/* Decodes every frame of one update in buf into mirror; returns the frames. */
static int apply_update(const struct ntf_proto_buf *b, struct ntf_agg *mirror, __u16 type,
			size_t *entries)
{
	size_t off = 0, used;
	int frames = 0;

	*entries = 0;
	while (off < b->len) {
		struct ntf_proto_frame f = parse_ok(b->data + off, b->len - off, &used);
		struct ntf_proto_update u;
		struct ntf_agg_entry e = {};
		int r;

		assert_int_equal(f.type, type);
		assert_int_equal(ntf_proto_decode_update(&f, &u), 0);
		assert_int_equal(!!(u.flags & NTF_PROTO_F_FIRST), frames == 0);
		assert_int_equal(!!(u.flags & NTF_PROTO_F_LAST), off + used == b->len);
		assert_int_equal(u.counters.events, 1234);
		assert_int_equal(u.counters.kernel[NTF_CNT_RB_DROPS], 7);
		while ((r = ntf_proto_update_next(&u, &e)) > 0) {
			assert_int_equal(ntf_agg_put(mirror, &e), 0);
			(*entries)++;
		}
		assert_int_equal(r, 0);
		ntf_buckets_free(&e.fine);
		off += used;
		frames++;
	}
	return frames;
}

static const struct ntf_proto_counters test_counters = {
	.kernel = { [NTF_CNT_RB_DROPS] = 7 },
	.events = 1234,
};

static void snapshot_round_trip_in_chunks(void **state)
{
	struct ntf_agg *agg = ntf_agg_new(0), *mirror = ntf_agg_new(0);
	struct ntf_proto_buf b = {};
	size_t entries;
	int frames;

	(void)state;
	add_events(agg, 3000, 3);
	add_events(agg, 3000, 11);
	assert_int_equal(ntf_proto_put_update(&b, NTF_PROTO_SNAPSHOT, agg, 0, ntf_agg_gen(agg),
					      &test_counters),
			 0);
	frames = apply_update(&b, mirror, NTF_PROTO_SNAPSHOT, &entries);
	assert_true(frames > 1); /* cut in chunks */
	assert_int_equal(entries, 3000);
	assert_mirror(agg, mirror);
	ntf_proto_buf_free(&b);

	/* an empty aggregate is one frame, first and last */
	ntf_agg_reset(mirror);
	ntf_agg_reset(agg);
	assert_int_equal(ntf_proto_put_update(&b, NTF_PROTO_SNAPSHOT, agg, 0, 1, &test_counters),
			 0);
	assert_int_equal(apply_update(&b, mirror, NTF_PROTO_SNAPSHOT, &entries), 1);
	assert_int_equal(entries, 0);
	ntf_proto_buf_free(&b);
	ntf_agg_free(agg);
	ntf_agg_free(mirror);
}

static void delta_holds_only_changes(void **state)
{
	struct ntf_agg *agg = ntf_agg_new(0), *mirror = ntf_agg_new(0);
	struct ntf_proto_buf b = {};
	size_t entries;
	__u64 since;

	(void)state;
	add_events(agg, 100, 1);
	assert_int_equal(ntf_proto_put_update(&b, NTF_PROTO_SNAPSHOT, agg, 0, ntf_agg_gen(agg),
					      &test_counters),
			 0);
	apply_update(&b, mirror, NTF_PROTO_SNAPSHOT, &entries);
	since = ntf_agg_tick(agg);
	touch(agg, 5, 999);
	touch(agg, 77, 12345);
	touch(agg, 77, 12);
	b.len = 0;
	assert_int_equal(ntf_proto_put_update(&b, NTF_PROTO_DELTA, agg, since, ntf_agg_gen(agg),
					      &test_counters),
			 0);
	assert_int_equal(apply_update(&b, mirror, NTF_PROTO_DELTA, &entries), 1);
	assert_int_equal(entries, 2);
	assert_mirror(agg, mirror);
	ntf_proto_buf_free(&b);
	ntf_agg_free(agg);
	ntf_agg_free(mirror);
}

static void error_and_bye_round_trip(void **state)
{
	struct ntf_proto_buf b = {};
	struct ntf_proto_error e;
	struct ntf_proto_frame f;
	char longmsg[600];
	size_t used;

	(void)state;
	assert_int_equal(ntf_proto_put_error(&b, NTF_PERR_VERSION, "speak 1"), 0);
	f = parse_ok(b.data, b.len, &used);
	assert_int_equal(ntf_proto_decode_error(&f, &e), 0);
	assert_int_equal(e.code, NTF_PERR_VERSION);
	assert_string_equal(e.msg, "speak 1");
	/* too long a message is cut to the field, still decodable */
	memset(longmsg, 'x', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';
	b.len = 0;
	assert_int_equal(ntf_proto_put_error(&b, NTF_PERR_MAGIC, longmsg), 0);
	f = parse_ok(b.data, b.len, &used);
	assert_int_equal(ntf_proto_decode_error(&f, &e), 0);
	assert_int_equal(strlen(e.msg), NTF_PROTO_MSG_LEN - 1);
	b.len = 0;
	assert_int_equal(ntf_proto_put_bye(&b), 0);
	assert_int_equal(b.len, NTF_PROTO_HDR_LEN);
	f = parse_ok(b.data, b.len, &used);
	assert_int_equal(f.type, NTF_PROTO_BYE);
	assert_int_equal(ntf_proto_decode_bye(&f), 0);
	ntf_proto_buf_free(&b);
}

static void names_round_trip_and_rejected(void **state)
{
	static struct ntf_proto_names n, got;
	struct ntf_proto_buf b = {};
	struct ntf_proto_frame f;
	size_t used;

	(void)state;
	n.n = 2;
	n.names[0].id = 40;
	snprintf(n.names[0].name, NTF_PROTO_NAME_LEN, "nvidia_uvm");
	n.names[1].id = 41;
	snprintf(n.names[1].name, NTF_PROTO_NAME_LEN, "nvidia_uvm_end");
	assert_int_equal(ntf_proto_put_names(&b, &n), 0);
	f = parse_ok(b.data, b.len, &used);
	assert_int_equal(f.type, NTF_PROTO_NAMES);
	assert_int_equal(ntf_proto_decode_names(&f, &got), 0);
	assert_int_equal(got.n, 2);
	assert_int_equal(got.names[1].id, 41);
	assert_string_equal(got.names[1].name, "nvidia_uvm_end");
	/* an empty name is refused, and so is a count over the bound */
	b.len = 0;
	n.names[1].name[0] = '\0';
	assert_int_equal(ntf_proto_put_names(&b, &n), 0);
	f = parse_ok(b.data, b.len, &used);
	assert_int_equal(ntf_proto_decode_names(&f, &got), -EBADMSG);
	b.len = 0;
	n.n = 0;
	assert_int_equal(ntf_proto_put_names(&b, &n), 0);
	b.data[NTF_PROTO_HDR_LEN] = NTF_PROTO_MAX_NAMES + 1; /* the count's low byte */
	f = parse_ok(b.data, b.len, &used);
	assert_int_equal(ntf_proto_decode_names(&f, &got), -EBADMSG);
	ntf_proto_buf_free(&b);
}

/* --- rejection --- */

/* Runs the decoder that goes with f's type. */
static int decode_any(const struct ntf_proto_frame *f)
{
	static struct ntf_proto_welcome w;
	static struct ntf_proto_names n;
	struct ntf_proto_update u;
	struct ntf_proto_hello h;
	struct ntf_proto_error e;

	switch (f->type) {
	case NTF_PROTO_NAMES: return ntf_proto_decode_names(f, &n);
	case NTF_PROTO_HELLO: return ntf_proto_decode_hello(f, &h);
	case NTF_PROTO_WELCOME: return ntf_proto_decode_welcome(f, &w);
	case NTF_PROTO_SNAPSHOT:
	case NTF_PROTO_DELTA: return ntf_proto_decode_update(f, &u);
	case NTF_PROTO_ERROR: return ntf_proto_decode_error(f, &e);
	case NTF_PROTO_BYE: return ntf_proto_decode_bye(f);
	}
	return -EINVAL;
}

/*
 * For one valid frame: every prefix is incomplete, never a frame; and with
 * the length field shrunk to match (a frame that claims to be whole), the
 * payload decoder refuses it. Each cut is copied to a buffer of its own
 * size, so a read past it would be a heap overflow under a sanitizer.
 */
static void check_truncations(const __u8 *frame, size_t len)
{
	for (size_t cut = 0; cut < len; cut++) {
		__u8 *p = malloc(cut ? cut : 1);
		struct ntf_proto_frame f;
		size_t used;

		memcpy(p, frame, cut);
		assert_int_equal(ntf_proto_parse(p, cut, MAXP, &f, &used), -EAGAIN);
		if (cut >= NTF_PROTO_HDR_LEN) {
			set_le32(p + 8, cut - NTF_PROTO_HDR_LEN);
			assert_int_equal(ntf_proto_parse(p, cut, MAXP, &f, &used), 0);
			assert_int_not_equal(decode_any(&f), 0);
		}
		free(p);
	}
}

static void every_truncation_rejected(void **state)
{
	struct ntf_agg *agg = ntf_agg_new(0);
	struct ntf_proto_welcome w;
	struct ntf_proto_buf b = {};

	(void)state;
	fill_welcome(&w);
	add_events(agg, 3, 5);
	assert_int_equal(ntf_proto_put_hello(&b, 100), 0);
	check_truncations(b.data, b.len);
	b.len = 0;
	assert_int_equal(ntf_proto_put_welcome(&b, &w), 0);
	check_truncations(b.data, b.len);
	b.len = 0;
	assert_int_equal(ntf_proto_put_update(&b, NTF_PROTO_SNAPSHOT, agg, 0, ntf_agg_gen(agg),
					      &test_counters),
			 0);
	check_truncations(b.data, b.len);
	b.len = 0;
	assert_int_equal(
		ntf_proto_put_update(&b, NTF_PROTO_DELTA, agg, 0, ntf_agg_gen(agg), &test_counters),
		0);
	check_truncations(b.data, b.len);
	b.len = 0;
	assert_int_equal(ntf_proto_put_error(&b, NTF_PERR_STATE, "unexpected"), 0);
	check_truncations(b.data, b.len);
	b.len = 0;
	assert_int_equal(ntf_proto_put_bye(&b), 0);
	check_truncations(b.data, b.len);
	ntf_proto_buf_free(&b);
	ntf_agg_free(agg);
}

static void bad_headers_rejected(void **state)
{
	struct ntf_proto_buf b = {};
	struct ntf_proto_frame f;
	size_t used;
	__u8 h[NTF_PROTO_HDR_LEN];

	(void)state;
	assert_int_equal(ntf_proto_put_bye(&b), 0);
	memcpy(h, b.data, sizeof(h));

	/* oversized lengths, before any payload arrives */
	set_le32(h + 8, NTF_PROTO_MAX_PAYLOAD + 1);
	assert_int_equal(ntf_proto_parse(h, sizeof(h), MAXP, &f, &used), -EMSGSIZE);
	set_le32(h + 8, 0xffffffff);
	assert_int_equal(ntf_proto_parse(h, sizeof(h), MAXP, &f, &used), -EMSGSIZE);
	set_le32(h + 8, NTF_PROTO_MAX_CLIENT_PAYLOAD + 1);
	assert_int_equal(ntf_proto_parse(h, sizeof(h), NTF_PROTO_MAX_CLIENT_PAYLOAD, &f, &used),
			 -EMSGSIZE);
	set_le32(h + 8, 0);

	/* garbage is caught on its first byte */
	assert_int_equal(ntf_proto_parse("G", 1, MAXP, &f, &used), -EILSEQ);
	assert_int_equal(ntf_proto_parse("ntfX", 4, MAXP, &f, &used), -EILSEQ);
	assert_int_equal(ntf_proto_parse("ntf", 3, MAXP, &f, &used), -EAGAIN);

	h[4] = NTF_PROTO_VERSION + 1; /* version */
	assert_int_equal(ntf_proto_parse(h, sizeof(h), MAXP, &f, &used), -EPROTONOSUPPORT);
	assert_int_equal(f.version, NTF_PROTO_VERSION + 1);
	h[4] = NTF_PROTO_VERSION;
	h[6] = 0; /* type */
	assert_int_equal(ntf_proto_parse(h, sizeof(h), MAXP, &f, &used), -EPROTO);
	h[6] = NTF_PROTO_TYPE_MAX;
	assert_int_equal(ntf_proto_parse(h, sizeof(h), MAXP, &f, &used), -EPROTO);
	h[6] = NTF_PROTO_BYE;
	h[13] = 1; /* reserved */
	assert_int_equal(ntf_proto_parse(h, sizeof(h), MAXP, &f, &used), -EBADMSG);
	ntf_proto_buf_free(&b);
}

/* Corrupts the byte at off of a one-entry snapshot and expects a refusal. */
static void refuse_patched(const struct ntf_proto_buf *b, size_t off, __u8 v)
{
	__u8 *p = malloc(b->len);
	struct ntf_proto_frame f;
	size_t used;

	memcpy(p, b->data, b->len);
	p[off] = v;
	assert_int_equal(ntf_proto_parse(p, b->len, MAXP, &f, &used), 0);
	assert_int_equal(decode_any(&f), -EBADMSG);
	free(p);
}

static void bad_fields_rejected(void **state)
{
	struct ntf_agg *agg = ntf_agg_new(0);
	struct ntf_proto_buf b = {};
	/* payload: flags 2, ncounters 2, n 4, base 8, gen 8, counters; then the entry */
	size_t entry = NTF_PROTO_HDR_LEN + 24 + 8 * (NTF_CNT_MAX + 7), mask;
	struct ntf_proto_frame f;
	size_t used;
	__u8 *p;

	(void)state;
	touch(agg, 1, 1000);
	assert_int_equal(ntf_proto_put_update(&b, NTF_PROTO_SNAPSHOT, agg, 0, ntf_agg_gen(agg),
					      &test_counters),
			 0);
	refuse_patched(&b, entry, NTF_CLASS_NONE); /* class 0 */
	refuse_patched(&b, entry, NTF_CLASS_MAX); /* class past the last */
	refuse_patched(&b, entry + 14, '\0'); /* a NUL inside comm */
	refuse_patched(&b, entry + 12, NTF_COMM_LEN); /* comm longer than its field */
	/* the slot mask follows the key, "proc-1" and eight varint counters */
	mask = entry + 12 + 2 + 6;
	for (int n = 0; n < 8; mask++)
		if (!(b.data[mask] & 0x80))
			n++;
	refuse_patched(&b, mask + 5, 0x80); /* slot mask bit 47 */
	refuse_patched(&b, mask - 1, 0x80); /* the last counter's varint runs into the mask */
	refuse_patched(&b, NTF_PROTO_HDR_LEN, 0x80); /* unknown flag */
	refuse_patched(&b, NTF_PROTO_HDR_LEN + 4, 2); /* more entries than sent */
	refuse_patched(&b, NTF_PROTO_HDR_LEN + 8, 1); /* a snapshot with a base */

	/* one trailing byte */
	p = malloc(b.len + 1);
	memcpy(p, b.data, b.len);
	p[b.len] = 0;
	set_le32(p + 8, b.len + 1 - NTF_PROTO_HDR_LEN);
	assert_int_equal(ntf_proto_parse(p, b.len + 1, MAXP, &f, &used), 0);
	assert_int_equal(decode_any(&f), -EBADMSG);
	free(p);

	/* a welcome with more probes than the bound */
	b.len = 0;
	{
		struct ntf_proto_welcome w;

		fill_welcome(&w);
		assert_int_equal(ntf_proto_put_welcome(&b, &w), 0);
		refuse_patched(&b, NTF_PROTO_HDR_LEN + 2, NTF_PROTO_MAX_PROBES + 1);
		refuse_patched(&b, NTF_PROTO_HDR_LEN + 2, 4); /* more than sent */
	}
	ntf_proto_buf_free(&b);
	ntf_agg_free(agg);
}

/* --- fine buckets --- */

/* Every bucket there can be, in key's entry: the zero bucket and each index from 1 ns up. */
static void add_every_bucket(struct ntf_agg *agg, const struct ntf_hist_key *key, __u64 count)
{
	__u32 n = 0;

	for (__u32 i = 0; i <= 0xffff; i++) {
		if (!ntf_bucket_valid(i))
			continue;
		assert_int_equal(ntf_agg_add_bucket(agg, key, i, count ? count : i + 1), 0);
		n++;
	}
	assert_int_equal(n, NTF_BUCKETS_MAX);
}

/*
 * Fine buckets arrive as they were sent: the zero bucket, the first and
 * last index, the widest counts, an entry without any; entries with all
 * 1,026 buckets at the widest counts are cut into frames under the bound;
 * and a decoder's scratch is allocated once, whatever the entries bring.
 */
static void fine_buckets_round_trip(void **state)
{
	struct ntf_agg *agg = ntf_agg_new(0), *mirror = ntf_agg_new(0);
	struct ntf_hist_key key = { .class = NTF_CLASS_CALLBACK, .callback = 1, .tgid = 1 };
	struct ntf_hist h = { .count = 4, .max_ns = 100, .min_ns = 10 };
	struct ntf_agg_entry e = {};
	const struct ntf_agg_entry *got;
	struct ntf_proto_buf b = {};
	struct ntf_bucket *scratch = NULL;
	size_t entries, off = 0, used;
	int frames;

	(void)state;
	touch(agg, 1, 0); /* the zero bucket */
	touch(agg, 1, 1); /* the first index */
	touch(agg, 1, ~0ULL); /* the last */
	touch(agg, 1, 1000);
	touch(agg, 1, 1000);
	/* widest counts: 2^48 - 1 */
	key.tgid = 5000;
	add_every_bucket(agg, &key, (1ULL << 48) - 1);
	/* an entry of log2 slots only */
	key.tgid = 5001;
	h.slots[3] = 4;
	assert_int_equal(ntf_agg_add_hist(agg, &key, &h, "slots"), 0);
	/* many entries of every bucket: well over a frame */
	for (__u32 t = 0; t < 300; t++) {
		key.tgid = 6000 + t;
		add_every_bucket(agg, &key, t % 2 ? (1ULL << 48) - 1 : 0);
	}
	assert_int_equal(ntf_proto_put_update(&b, NTF_PROTO_SNAPSHOT, agg, 0, ntf_agg_gen(agg),
					      &test_counters),
			 0);
	frames = apply_update(&b, mirror, NTF_PROTO_SNAPSHOT, &entries);
	assert_true(frames > 2);
	assert_int_equal(entries, ntf_agg_count(agg));
	assert_mirror(agg, mirror);

	key.tgid = 1001; /* touch()'s key 1 */
	key.class = NTF_CLASS_INVAL_START + 1 % (NTF_CLASS_MAX - 1);
	got = ntf_agg_get(mirror, &key);
	assert_non_null(got);
	assert_int_equal(got->fine.n, 4);
	assert_int_equal(got->fine.b[0].index, NTF_BUCKET_ZERO);
	assert_int_equal(got->fine.b[1].index, ntf_bucket_of(1));
	assert_int_equal(got->fine.b[3].index, ntf_bucket_of(~0ULL));
	assert_int_equal(ntf_bucket_count(&got->fine.b[2]), 2);
	key = (struct ntf_hist_key){ .class = NTF_CLASS_CALLBACK, .callback = 1, .tgid = 5000 };
	got = ntf_agg_get(mirror, &key);
	assert_int_equal(got->fine.n, NTF_BUCKETS_MAX);
	assert_int_equal(ntf_bucket_count(&got->fine.b[7]), (1ULL << 48) - 1);
	key.tgid = 5001;
	got = ntf_agg_get(mirror, &key);
	assert_int_equal(got->fine.n, 0);
	assert_int_equal(got->hist.slots[3], 4);

	/* every frame within the bound, and one scratch for all of their entries */
	while (off < b.len) {
		struct ntf_proto_frame f = parse_ok(b.data + off, b.len - off, &used);
		struct ntf_proto_update u;

		assert_true(f.len <= NTF_PROTO_MAX_PAYLOAD);
		assert_int_equal(ntf_proto_decode_update(&f, &u), 0);
		while (ntf_proto_update_next(&u, &e) > 0) {
			if (!scratch)
				scratch = e.fine.b;
			assert_ptr_equal(e.fine.b, scratch);
			assert_int_equal(e.fine.cap, NTF_BUCKETS_MAX);
		}
		off += used;
	}
	ntf_buckets_free(&e.fine);
	ntf_proto_buf_free(&b);
	ntf_agg_free(agg);
	ntf_agg_free(mirror);
}

static size_t put_varint(__u8 *p, __u64 v)
{
	size_t n = 0;

	for (; v >= 0x80; v >>= 7)
		p[n++] = (__u8)(v | 0x80);
	p[n++] = (__u8)v;
	return n;
}

/*
 * A one-entry snapshot whose entry's fine-bucket list is list (len
 * bytes), decoded: 0 with *out filled, or the decoder's error.
 */
static int decode_fine_list(const __u8 *list, size_t len, struct ntf_buckets *out)
{
	struct ntf_agg *agg = ntf_agg_new(0);
	struct ntf_hist_key key = { .class = NTF_CLASS_CALLBACK, .tgid = 9 };
	struct ntf_hist h = { .count = 1, .max_ns = 5, .min_ns = 5 };
	struct ntf_agg_entry e = {};
	struct ntf_proto_buf b = {};
	struct ntf_proto_update u;
	struct ntf_proto_frame f;
	size_t used;
	__u8 *p;
	int err;

	h.slots[2] = 1;
	assert_int_equal(ntf_agg_add_hist(agg, &key, &h, "x"), 0);
	assert_int_equal(ntf_proto_put_update(&b, NTF_PROTO_SNAPSHOT, agg, 0, ntf_agg_gen(agg),
					      &test_counters),
			 0);
	/* the entry ends with its empty list, a u16 0: swapped for list */
	assert_int_equal(b.data[b.len - 2] | b.data[b.len - 1], 0);
	p = malloc(b.len - 2 + len + 1);
	memcpy(p, b.data, b.len - 2);
	memcpy(p + b.len - 2, list, len);
	set_le32(p + 8, b.len - 2 + len - NTF_PROTO_HDR_LEN);
	f = parse_ok(p, b.len - 2 + len, &used);
	err = ntf_proto_decode_update(&f, &u);
	if (!err) {
		assert_int_equal(ntf_proto_update_next(&u, &e), 1);
		assert_int_equal(ntf_buckets_copy(out, &e.fine), 0);
	}
	ntf_buckets_free(&e.fine);
	free(p);
	ntf_proto_buf_free(&b);
	ntf_agg_free(agg);
	return err;
}

/* A list of n buckets, given as (gap, count) pairs. */
static int decode_pairs(__u32 n, const __u64 *pairs, size_t npairs, struct ntf_buckets *out)
{
	__u8 list[2 + 64 * 20];
	size_t len = 2;

	list[0] = n;
	list[1] = n >> 8;
	for (size_t i = 0; i < npairs; i++)
		len += put_varint(list + len, pairs[i]);
	return decode_fine_list(list, len, out);
}

/* Bucket lists out of bounds, out of range, too short or too long are refused. */
static void fine_buckets_malformed_rejected(void **state)
{
	const __u64 first = ntf_bucket_order(ntf_bucket_of(1)),
		    last = ntf_bucket_order(ntf_bucket_of(~0ULL)), max48 = (1ULL << 48) - 1;
	struct ntf_buckets got = {};

	(void)state;
	/* accepted: empty; the zero bucket, the first and the last index at the widest count */
	assert_int_equal(decode_pairs(0, NULL, 0, &got), 0);
	assert_int_equal(got.n, 0);
	assert_int_equal(
		decode_pairs(3, (const __u64[]){ 0, 5, first - 1, 1, last - first - 1, max48 }, 6,
			     &got),
		0);
	assert_int_equal(got.n, 3);
	assert_int_equal(got.b[0].index, NTF_BUCKET_ZERO);
	assert_int_equal(ntf_bucket_count(&got.b[0]), 5);
	assert_int_equal(got.b[1].index, ntf_bucket_of(1));
	assert_int_equal(got.b[2].index, ntf_bucket_of(~0ULL));
	assert_int_equal(ntf_bucket_count(&got.b[2]), max48);

	/* more buckets than there are, said or sent */
	assert_int_equal(decode_pairs(NTF_BUCKETS_MAX + 1, NULL, 0, &got), -EBADMSG);
	assert_int_equal(decode_pairs(2, (const __u64[]){ first, 1 }, 2, &got), -EBADMSG);
	/* an empty bucket, a count past 48 bits */
	assert_int_equal(decode_pairs(1, (const __u64[]){ first, 0 }, 2, &got), -EBADMSG);
	assert_int_equal(decode_pairs(1, (const __u64[]){ first, max48 + 1 }, 2, &got), -EBADMSG);
	assert_int_equal(decode_pairs(1, (const __u64[]){ first, ~0ULL }, 2, &got), -EBADMSG);
	/* indexes out of range: below 1 ns, past the last, far past (sorted by construction) */
	assert_int_equal(decode_pairs(1, (const __u64[]){ first - 1, 1 }, 2, &got), -EBADMSG);
	assert_int_equal(decode_pairs(1, (const __u64[]){ 1, 1 }, 2, &got), -EBADMSG);
	assert_int_equal(decode_pairs(1, (const __u64[]){ last + 1, 1 }, 2, &got), -EBADMSG);
	assert_int_equal(decode_pairs(2, (const __u64[]){ last, 1, 0, 1 }, 4, &got), -EBADMSG);
	assert_int_equal(decode_pairs(1, (const __u64[]){ 1u << 14, 1 }, 2, &got), -EBADMSG);
	/* varints too long for their field, or cut off */
	assert_int_equal(decode_fine_list((const __u8[]){ 1, 0, 0x80, 0x80, 0x00, 1 }, 6, &got),
			 -EBADMSG);
	assert_int_equal(decode_fine_list((const __u8[]){ 1, 0, 0x00, 0x81, 0x80, 0x80, 0x80, 0x80,
							  0x80, 0x80, 0x00 },
					  11, &got),
			 -EBADMSG);
	assert_int_equal(decode_fine_list((const __u8[]){ 1, 0, 0x00, 0x80 }, 4, &got), -EBADMSG);
	assert_int_equal(decode_fine_list((const __u8[]){ 1, 0 }, 2, &got), -EBADMSG);
	assert_int_equal(decode_fine_list((const __u8[]){ 0 }, 1, &got), -EBADMSG);
	/* a byte after the list */
	assert_int_equal(decode_fine_list((const __u8[]){ 1, 0, 0x00, 0x01, 0x00 }, 5, &got),
			 -EBADMSG);
	ntf_buckets_free(&got);
}

/* --- server and client in one process --- */

struct rig {
	struct ntf_agg *agg;
	struct ntf_server *srv;
	__u64 now;
};

static void counters_cb(void *ctx, struct ntf_proto_counters *out)
{
	(void)ctx;
	out->events = 42;
	out->kernel[NTF_CNT_RB_DROPS] = 3;
}

static struct rig *rig_new(size_t out_cap)
{
	struct ntf_server_opts o = {
		.interval_ms = 100,
		.out_cap = out_cap,
		.max_keys = 65536,
		.counters = counters_cb,
	};
	struct rig *r = calloc(1, sizeof(*r));

	r->agg = ntf_agg_new(0);
	r->srv = ntf_server_new(r->agg, NULL, 0, &o);
	assert_non_null(r->srv);
	r->now = 1000;
	return r;
}

static void rig_free(struct rig *r)
{
	ntf_server_free(r->srv);
	ntf_agg_free(r->agg);
	free(r);
}

/* A client connected to the server through a socketpair. */
static struct ntf_client *rig_client(struct rig *r)
{
	int sv[2];
	struct ntf_client *c;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_non_null(ntf_server_add(r->srv, sv[0], r->now));
	c = ntf_client_from_fd(sv[1]);
	assert_non_null(c);
	return c;
}

/* Runs server and client in turns until the client completed want updates. */
static void pump(struct rig *r, struct ntf_client *c, struct ntf_agg *mirror, int want)
{
	int got = 0;

	for (int i = 0; i < 10000 && got < want; i++) {
		int n;

		ntf_server_tick(r->srv, r->now);
		n = ntf_client_poll(c, mirror, 0);
		assert_true(n >= 0);
		got += n;
	}
	assert_int_equal(got, want);
}

static void hello(struct rig *r, struct ntf_client *c, __u32 interval_ms)
{
	assert_int_equal(ntf_client_hello(c, interval_ms), 0);
	for (int i = 0; i < 100 && !ntf_client_info(c); i++) {
		ntf_server_tick(r->srv, r->now);
		assert_true(ntf_client_welcome(c, 0) == 0 || i < 99);
	}
	assert_non_null(ntf_client_info(c));
}

static void snapshot_then_deltas_mirror(void **state)
{
	struct rig *r = rig_new(0);
	struct ntf_agg *mirror = ntf_agg_new(0);
	struct ntf_client *c;
	struct ntf_client_stats cs;

	(void)state;
	add_events(r->agg, 2500, 1);
	c = rig_client(r);
	hello(r, c, 100);
	assert_int_equal(ntf_client_info(c)->interval_ms, 100);
	assert_int_equal(ntf_client_info(c)->max_keys, 65536);
	pump(r, c, mirror, 1);
	assert_mirror(r->agg, mirror);
	assert_int_equal(ntf_client_counters(c)->events, 42);
	assert_int_equal(ntf_client_counters(c)->kernel[NTF_CNT_RB_DROPS], 3);
	assert_int_equal(ntf_client_counters(c)->keys, 2500);
	for (int round = 2; round < 12; round++) {
		add_events(r->agg, 2500 + round * 10, round); /* changes and new keys */
		r->now += 100;
		pump(r, c, mirror, 1);
		assert_mirror(r->agg, mirror);
	}
	/* nothing changed: an empty delta, the mirror stays equal */
	r->now += 100;
	pump(r, c, mirror, 1);
	assert_mirror(r->agg, mirror);
	ntf_client_stats(c, &cs);
	assert_int_equal(cs.snapshots, 1);
	assert_int_equal(cs.deltas, 11);
	ntf_client_free(c);
	ntf_agg_free(mirror);
	rig_free(r);
}

/*
 * A discovered callback's name reaches the client before the entries
 * that use it, and a name discovered later before the next delta. Client
 * and server share this process's names, so the client's copy is wiped
 * before it reads: only the NAMES frame can bring it back.
 */
static void discovered_names_reach_clients(void **state)
{
	struct rig *r = rig_new(0);
	struct ntf_agg *mirror = ntf_agg_new(0);
	__u32 id = ntf_callback_first_discovered();
	struct ntf_client *c;
	struct ntf_event e = { .class = NTF_CLASS_CALLBACK, .callback = id, .tgid = 7 };

	(void)state;
	assert_int_equal(ntf_agg_add(r->agg, &e), 0);
	assert_int_equal(ntf_driver_name_set(id, "nvidia_uvm"), 0);
	c = rig_client(r);
	hello(r, c, 100);
	ntf_driver_name_set(id, "");
	assert_null(ntf_discovered_driver_name(id));
	pump(r, c, mirror, 1);
	assert_string_equal(ntf_driver_name(id), "nvidia_uvm");
	/* a second driver found while the client is connected */
	e.callback = id + 1;
	assert_int_equal(ntf_agg_add(r->agg, &e), 0);
	assert_int_equal(ntf_driver_name_set(id + 1, "peermem"), 0);
	r->now += 100;
	ntf_server_tick(r->srv, r->now);
	ntf_driver_name_set(id, "");
	ntf_driver_name_set(id + 1, "");
	pump(r, c, mirror, 1);
	assert_string_equal(ntf_driver_name(id), "nvidia_uvm");
	assert_string_equal(ntf_driver_name(id + 1), "peermem");
	assert_mirror(r->agg, mirror);
	/* ids of the table are not the daemon's to rename */
	assert_int_equal(ntf_driver_name_set(1, "x"), -EINVAL);
	ntf_driver_name_set(id, "");
	ntf_driver_name_set(id + 1, "");
	ntf_client_free(c);
	ntf_agg_free(mirror);
	rig_free(r);
}

/* Splits the update frames queued for an observer connection. */
struct seen {
	int snapshots, deltas;
	size_t entries; /* of the last update */
	__u32 keys[64];
};

static void read_updates(struct ntf_conn *obs, struct seen *s)
{
	size_t len, off = 0, used;
	const __u8 *p = ntf_server_pending(obs, &len);

	while (off < len) {
		struct ntf_proto_frame f = parse_ok(p + off, len - off, &used);
		struct ntf_proto_update u;
		struct ntf_agg_entry e = {};

		off += used;
		if (f.type != NTF_PROTO_SNAPSHOT && f.type != NTF_PROTO_DELTA)
			continue;
		assert_int_equal(ntf_proto_decode_update(&f, &u), 0);
		if (u.flags & NTF_PROTO_F_FIRST) {
			s->entries = 0;
			*(f.type == NTF_PROTO_SNAPSHOT ? &s->snapshots : &s->deltas) += 1;
		}
		while (ntf_proto_update_next(&u, &e) > 0) {
			if (s->entries < 64)
				s->keys[s->entries] = e.key.tgid;
			s->entries++;
		}
		ntf_buckets_free(&e.fine);
	}
}

static void delta_sends_only_changed(void **state)
{
	struct rig *r = rig_new(0);
	struct ntf_proto_buf b = {};
	struct ntf_conn *obs;
	struct seen s = {};

	(void)state;
	add_events(r->agg, 500, 1);
	/* an fd-less connection: what the server queues for it stays to be read */
	obs = ntf_server_add(r->srv, -1, r->now);
	assert_non_null(obs);
	assert_int_equal(ntf_proto_put_hello(&b, 100), 0);
	assert_int_equal(ntf_server_input(r->srv, obs, b.data, b.len, r->now), 0);
	read_updates(obs, &s);
	assert_int_equal(s.snapshots, 1);
	assert_int_equal(s.entries, 500);

	touch(r->agg, 17, 5000);
	touch(r->agg, 400, 5000);
	r->now += 100;
	ntf_server_tick(r->srv, r->now);
	memset(&s, 0, sizeof(s));
	read_updates(obs, &s);
	assert_int_equal(s.deltas, 1);
	assert_int_equal(s.entries, 2);
	assert_true((s.keys[0] == 1017 && s.keys[1] == 1400) ||
		    (s.keys[0] == 1400 && s.keys[1] == 1017));

	/* not due yet: nothing more */
	r->now += 50;
	touch(r->agg, 3, 5000);
	ntf_server_tick(r->srv, r->now);
	memset(&s, 0, sizeof(s));
	read_updates(obs, &s);
	assert_int_equal(s.deltas, 1);
	r->now += 50;
	ntf_server_tick(r->srv, r->now);
	memset(&s, 0, sizeof(s));
	read_updates(obs, &s);
	assert_int_equal(s.deltas, 2);
	assert_int_equal(s.entries, 1);
	assert_int_equal(s.keys[0], 1003);
	ntf_proto_buf_free(&b);
	rig_free(r);
}

static void slow_client_bounded_then_resyncs(void **state)
{
	const size_t cap = 64 << 10;
	struct rig *r = rig_new(cap);
	struct ntf_agg *mirror = ntf_agg_new(0);
	struct ntf_server_stats st;
	struct ntf_client_stats cs;
	struct ntf_client *c;

	(void)state;
	add_events(r->agg, 2000, 1);
	c = rig_client(r);
	hello(r, c, 100);
	/* The client reads nothing for 300 intervals while 300 keys change in each. */
	for (int i = 0; i < 300; i++) {
		for (unsigned int k = 0; k < 300; k++)
			touch(r->agg, (i * 300 + k) % 2000, 1000 + i);
		r->now += 100;
		ntf_server_tick(r->srv, r->now);
		ntf_server_stats(r->srv, &st);
		assert_true(st.buffered <= st.out_cap);
	}
	ntf_server_stats(r->srv, &st);
	/* the bound is the larger of the cap and two snapshots; the socket holds the rest */
	assert_true(st.out_cap >= cap);
	assert_true(st.out_cap < 2 * 2000 * 600);
	assert_true(st.buffered_max <= st.out_cap);
	assert_true(st.dropped_bytes > 0);
	print_message("slow client: cap %zu, most queued %zu, dropped %llu bytes, %llu resyncs\n",
		      st.out_cap, st.buffered_max, (unsigned long long)st.dropped_bytes,
		      (unsigned long long)st.resyncs);
	/*
	 * Its socket stays full: the resync's snapshot waits for room there,
	 * not encoded again every few intervals only to be dropped, and what
	 * was dropped is about one queue's worth.
	 */
	assert_true(st.resyncs <= 1);
	assert_true(st.dropped_bytes <= 2 * st.out_cap);

	/* It reads again: a fresh snapshot, then deltas, and the mirror is exact. */
	for (int i = 0; i < 10000; i++) {
		int n;

		ntf_server_tick(r->srv, r->now);
		n = ntf_client_poll(c, mirror, 0);
		assert_true(n >= 0);
		ntf_client_stats(c, &cs);
		if (cs.snapshots >= 2 && n > 0)
			break;
		if (i % 10 == 9)
			r->now += 100;
	}
	ntf_client_stats(c, &cs);
	assert_true(cs.snapshots >= 2);
	/* what was queued behind the snapshot, read before the last change */
	for (int i = 0; i < 100; i++) {
		ntf_server_tick(r->srv, r->now);
		assert_true(ntf_client_poll(c, mirror, 0) >= 0);
	}
	touch(r->agg, 1, 77);
	r->now += 100;
	pump(r, c, mirror, 1);
	assert_mirror(r->agg, mirror);
	ntf_server_stats(r->srv, &st);
	assert_true(st.resyncs >= 1);
	assert_int_equal(ntf_client_counters(c)->resyncs, st.resyncs);
	ntf_client_free(c);
	ntf_agg_free(mirror);
	rig_free(r);
}

/* What a whole aggregate holds per class and callback, however it is keyed. */
struct sums {
	struct ntf_hist hist[NTF_CLASS_MAX][3];
	__u64 origins[NTF_CLASS_MAX][3][NTF_ORIGIN_MAX];
	struct ntf_buckets fine[NTF_CLASS_MAX][3];
};

static int sums_visit(const struct ntf_agg_entry *e, void *ctx)
{
	struct sums *s = ctx;
	unsigned int c = e->key.class, sub = e->key.callback;

	assert_true(c < NTF_CLASS_MAX && sub < 3);
	ntf_hist_merge(&s->hist[c][sub], &e->hist);
	for (int o = 0; o < NTF_ORIGIN_MAX; o++)
		s->origins[c][sub][o] += e->origins[o];
	assert_int_equal(ntf_buckets_merge(&s->fine[c][sub], &e->fine), 0);
	return 0;
}

static bool same_buckets(const struct ntf_buckets *a, const struct ntf_buckets *b)
{
	return a->n == b->n && (!a->n || !memcmp(a->b, b->b, a->n * sizeof(*a->b)));
}

/* Prints how mirror's sums differ from a's; returns the number of differences. */
static int diff_sums(const struct ntf_agg *a, const struct ntf_agg *mirror, const char *when)
{
	static struct sums sa, sm;
	int bad = 0;

	for (int c = 0; c < NTF_CLASS_MAX; c++)
		for (int sub = 0; sub < 3; sub++) {
			ntf_buckets_free(&sa.fine[c][sub]);
			ntf_buckets_free(&sm.fine[c][sub]);
		}
	memset(&sa, 0, sizeof(sa));
	memset(&sm, 0, sizeof(sm));
	ntf_agg_foreach(a, sums_visit, &sa);
	ntf_agg_foreach(mirror, sums_visit, &sm);
	for (int c = 0; c < NTF_CLASS_MAX; c++)
		for (int sub = 0; sub < 3; sub++) {
			const struct ntf_hist *ha = &sa.hist[c][sub], *hm = &sm.hist[c][sub];

			if (memcmp(ha, hm, sizeof(*ha))) {
				print_message("%s: class %d sub %d: %llu events, want %llu\n", when,
					      c, sub, (unsigned long long)hm->count,
					      (unsigned long long)ha->count);
				bad++;
			}
			if (memcmp(sa.origins[c][sub], sm.origins[c][sub],
				   sizeof(sa.origins[c][sub]))) {
				print_message("%s: class %d sub %d: origins differ\n", when, c,
					      sub);
				bad++;
			}
			if (!same_buckets(&sa.fine[c][sub], &sm.fine[c][sub])) {
				print_message(
					"%s: class %d sub %d: %llu fine-bucket events, "
					"want %llu\n",
					when, c, sub,
					(unsigned long long)ntf_buckets_total(&sm.fine[c][sub]),
					(unsigned long long)ntf_buckets_total(&sa.fine[c][sub]));
				bad++;
			}
		}
	return bad;
}

/* procs processes of two classes and three callbacks, 4 events each. */
static void add_procs(struct ntf_agg *agg, unsigned int procs, unsigned int round)
{
	for (unsigned int i = 0; i < procs; i++)
		for (unsigned int j = 0; j < 4; j++) {
			struct ntf_event e;

			memset(&e, 0, sizeof(e));
			e.class = i % 2 ? NTF_CLASS_FENCE_WAIT : NTF_CLASS_INVAL_START;
			e.callback = i % 3;
			e.tgid = 3000 + i;
			e.latency_ns = (500ULL + i) << (round % 16 + j);
			e.origin = (i + j + round) % NTF_ORIGIN_MAX;
			e.flags = j ? 0 : NTF_F_FAILED;
			snprintf(e.comm, sizeof(e.comm), "proc-%u", i);
			assert_int_equal(ntf_agg_add(agg, &e), 0);
		}
}

/*
 * notifier-top's mirror sized below the daemon's keys (notifierd -K):
 * the processes it has no room for fold into "other" keys, which must
 * hold what they hold at the daemon, update after update, through a
 * resync and through a restarted daemon whose snapshot replaces the
 * mirror, not add to it.
 */
static void small_mirror_folds_exactly(void **state)
{
	struct rig *r = rig_new(16 << 10);
	struct ntf_agg *mirror = ntf_agg_new(12);
	struct ntf_client_stats cs;
	struct ntf_server_stats st;
	struct ntf_client *c;
	char when[64];
	int bad = 0;

	(void)state;
	add_procs(r->agg, 40, 0);
	c = rig_client(r);
	hello(r, c, 100);
	pump(r, c, mirror, 1);
	bad += diff_sums(r->agg, mirror, "snapshot");
	for (int round = 1; round <= 3; round++) {
		add_procs(r->agg, 40 - 10 * (round % 2), round); /* 10 idle every other one */
		r->now += 100;
		pump(r, c, mirror, 1);
		snprintf(when, sizeof(when), "delta %d", round);
		bad += diff_sums(r->agg, mirror, when);
	}
	assert_true(ntf_agg_count(mirror) <= 12 + 6);

	/* The client stalls while deltas outgrow the daemon's bound: a resync. */
	for (int i = 0; i < 200; i++) {
		add_procs(r->agg, 600, i);
		r->now += 100;
		ntf_server_tick(r->srv, r->now);
		ntf_server_stats(r->srv, &st);
		if (st.resyncs)
			break;
	}
	assert_true(st.resyncs > 0);
	for (int i = 0; i < 10000; i++) {
		ntf_server_tick(r->srv, r->now);
		assert_true(ntf_client_poll(c, mirror, 0) >= 0);
		ntf_client_stats(c, &cs);
		if (cs.snapshots >= 2)
			break;
		if (i % 10 == 9)
			r->now += 100;
	}
	assert_true(cs.snapshots >= 2);
	add_procs(r->agg, 600, 1);
	r->now += 100;
	pump(r, c, mirror, 1);
	bad += diff_sums(r->agg, mirror, "after a resync");
	ntf_client_free(c);
	rig_free(r);

	/* A restarted daemon with fewer processes: its snapshot replaces the mirror. */
	r = rig_new(0);
	add_procs(r->agg, 30, 5);
	c = rig_client(r);
	hello(r, c, 100);
	pump(r, c, mirror, 1);
	bad += diff_sums(r->agg, mirror, "restarted daemon's snapshot");
	add_procs(r->agg, 30, 6);
	r->now += 100;
	pump(r, c, mirror, 1);
	bad += diff_sums(r->agg, mirror, "restarted daemon's delta");
	assert_int_equal(bad, 0);
	ntf_client_free(c);
	ntf_agg_free(mirror);
	rig_free(r);
}

/*
 * A daemon of another protocol version (v2 sends no fine buckets) is
 * told apart from a broken one: its first frame, whatever it is, gets
 * -EPROTONOSUPPORT from the client, not -EBADMSG.
 */
static void client_refuses_other_versions(void **state)
{
	/* a v2 WELCOME's header: version 2, type 2, 16 bytes of payload */
	static const __u8 v2[] = "ntfp\x02\x00\x02\x00\x10\x00\x00\x00\x00\x00\x00\x00"
				 "\x02\x00\x00\x00\xe8\x03\x00\x00\x00\x00\x01\x00\x01\x00\x00\x00";
	struct ntf_client *c;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	c = ntf_client_from_fd(sv[0]);
	assert_non_null(c);
	assert_int_equal(send(sv[1], v2, sizeof(v2) - 1, 0), (ssize_t)(sizeof(v2) - 1));
	assert_int_equal(ntf_client_welcome(c, 1000), -EPROTONOSUPPORT);
	assert_null(ntf_client_error(c));
	assert_null(ntf_client_info(c));
	ntf_client_free(c);
	close(sv[1]);
}

/* Reads one frame (and then the end of the stream) from a raw fd. */
static void expect_error_then_close(int fd, __u32 code)
{
	static __u8 buf[1 << 20];
	size_t len = 0, used;
	struct ntf_proto_frame f;
	struct ntf_proto_error e;
	ssize_t n;

	while ((n = recv(fd, buf + len, sizeof(buf) - len, MSG_DONTWAIT)) > 0)
		len += n;
	/* the ERROR, after whatever the server had queued before it */
	for (size_t off = 0;; off += used) {
		assert_true(off < len);
		f = parse_ok(buf + off, len - off, &used);
		if (f.type == NTF_PROTO_ERROR)
			break;
	}
	assert_int_equal(ntf_proto_decode_error(&f, &e), 0);
	assert_int_equal(e.code, code);
	assert_true(e.msg[0] != '\0');
	/* closed: end of file, or a reset for what it still had unread */
	assert_true(n == 0 || (n < 0 && errno == ECONNRESET));
}

struct hostile {
	const char *name;
	__u8 data[64];
	size_t len;
	__u32 code;
	int after_hello;
};

/* This build's version as a header's low byte: the frames below spell it out. */
#define VER "\x04"
_Static_assert(NTF_PROTO_VERSION == 4, "VER is not this build's version");

static void hostile_clients_closed_others_served(void **state)
{
	static const struct hostile cases[] = {
		{ "http", "GET / HTTP/1.0\r\n\r\n", 18, NTF_PERR_MAGIC, 0 },
		{ "one byte", "\xff", 1, NTF_PERR_MAGIC, 0 },
		{ "version 9", "ntfp\x09\x00\x01\x00\x08\x00\x00\x00\x00\x00\x00\x00", 16,
		  NTF_PERR_VERSION, 0 },
		{ "oversized", "ntfp" VER "\x00\x01\x00\xff\xff\xff\x7f\x00\x00\x00\x00", 16,
		  NTF_PERR_LENGTH, 0 },
		{ "unknown type", "ntfp" VER "\x00\x63\x00\x00\x00\x00\x00\x00\x00\x00\x00", 16,
		  NTF_PERR_TYPE, 0 },
		{ "reserved", "ntfp" VER "\x00\x06\x00\x00\x00\x00\x00\x01\x00\x00\x00", 16,
		  NTF_PERR_MALFORMED, 0 },
		{ "short hello", "ntfp" VER "\x00\x01\x00\x02\x00\x00\x00\x00\x00\x00\x00\x01\x00",
		  18, NTF_PERR_MALFORMED, 0 },
		/* a peer of the version before: a whole v2 HELLO */
		{ "v2 hello",
		  "ntfp\x02\x00\x01\x00\x08\x00\x00\x00\x00\x00\x00\x00"
		  "\x02\x00\x00\x00\x64\x00\x00\x00",
		  24, NTF_PERR_VERSION, 0 },
		{ "hello v7",
		  "ntfp" VER "\x00\x01\x00\x08\x00\x00\x00\x00\x00\x00\x00"
		  "\x07\x00\x00\x00\x64\x00\x00\x00",
		  24, NTF_PERR_VERSION, 0 },
		{ "snapshot from a client",
		  "ntfp" VER "\x00\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00", 16, NTF_PERR_STATE,
		  0 },
		{ "second hello",
		  "ntfp" VER "\x00\x01\x00\x08\x00\x00\x00\x00\x00\x00\x00"
		  "\x01\x00\x00\x00\x64\x00\x00\x00",
		  24, NTF_PERR_STATE, 1 },
		{ "garbage after hello", "\x00\x01\x02\x03", 4, NTF_PERR_MAGIC, 1 },
	};
	struct rig *r = rig_new(0);
	struct ntf_agg *mirror = ntf_agg_new(0);
	struct ntf_server_stats st;
	struct ntf_client *good;

	(void)state;
	add_events(r->agg, 50, 1);
	good = rig_client(r);
	hello(r, good, 100);
	pump(r, good, mirror, 1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct hostile *h = &cases[i];
		struct ntf_proto_buf b = {};
		int sv[2];

		print_message("hostile: %s\n", h->name);
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		assert_non_null(ntf_server_add(r->srv, sv[0], r->now));
		if (h->after_hello) {
			assert_int_equal(ntf_proto_put_hello(&b, 100), 0);
			assert_int_equal(send(sv[1], b.data, b.len, 0), (ssize_t)b.len);
			ntf_server_tick(r->srv, r->now);
		}
		assert_int_equal(send(sv[1], h->data, h->len, 0), (ssize_t)h->len);
		ntf_server_tick(r->srv, r->now);
		expect_error_then_close(sv[1], h->code);
		close(sv[1]);
		ntf_proto_buf_free(&b);

		/* the good client keeps getting its deltas */
		add_events(r->agg, 50, i + 2);
		r->now += 100;
		pump(r, good, mirror, 1);
		assert_mirror(r->agg, mirror);
	}
	ntf_server_tick(r->srv, r->now);
	ntf_server_stats(r->srv, &st);
	assert_int_equal(st.errors, sizeof(cases) / sizeof(cases[0]));
	assert_int_equal(st.clients, 1);
	ntf_client_free(good);
	ntf_agg_free(mirror);
	rig_free(r);
}

/* The fd-less input path: what fuzzing drives. */
static void input_path_reports_violations(void **state)
{
	static const __u8 hello_v7[] = "ntfp\x02\x00\x01\x00\x08\x00\x00\x00\x00\x00\x00\x00"
				       "\x07\x00\x00\x00\x64\x00\x00\x00";
	struct rig *r = rig_new(0);
	struct ntf_proto_buf b = {};
	struct ntf_proto_frame f;
	struct ntf_proto_error e;
	struct ntf_conn *c;
	const __u8 *out;
	size_t len, used;

	(void)state;
	c = ntf_server_add(r->srv, -1, r->now);
	assert_int_equal(ntf_server_input(r->srv, c, "GET /", 5, r->now), -EILSEQ);
	assert_false(ntf_server_conn_live(c));
	out = ntf_server_pending(c, &len);
	f = parse_ok(out, len, &used);
	assert_int_equal(ntf_proto_decode_error(&f, &e), 0);
	assert_int_equal(e.code, NTF_PERR_MAGIC);
	/* nothing more is read from a closing connection */
	assert_int_equal(ntf_server_input(r->srv, c, "x", 1, r->now), 0);

	c = ntf_server_add(r->srv, -1, r->now);
	assert_int_equal(ntf_server_input(r->srv, c, hello_v7, sizeof(hello_v7) - 1, r->now),
			 -EPROTONOSUPPORT);
	assert_false(ntf_server_conn_live(c));

	c = ntf_server_add(r->srv, -1, r->now);
	assert_int_equal(ntf_proto_put_hello(&b, 100), 0);
	/* a byte at a time is the same as whole */
	for (size_t i = 0; i < b.len; i++)
		assert_int_equal(ntf_server_input(r->srv, c, b.data + i, 1, r->now), 0);
	assert_true(ntf_server_conn_live(c));
	out = ntf_server_pending(c, &len);
	f = parse_ok(out, len, &used);
	assert_int_equal(f.type, NTF_PROTO_WELCOME);
	ntf_proto_buf_free(&b);
	rig_free(r);
}

static void silent_client_times_out(void **state)
{
	struct rig *r = rig_new(0);
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_non_null(ntf_server_add(r->srv, sv[0], r->now));
	assert_int_equal(send(sv[1], "ntf", 3, 0), 3); /* half a header, then nothing */
	ntf_server_tick(r->srv, r->now);
	r->now += 6000;
	ntf_server_tick(r->srv, r->now);
	expect_error_then_close(sv[1], NTF_PERR_TIMEOUT);
	close(sv[1]);
	rig_free(r);
}

static void bye_ends_cleanly(void **state)
{
	struct rig *r = rig_new(0);
	struct ntf_agg *mirror = ntf_agg_new(0);
	struct ntf_server_stats st;
	struct ntf_client *c;

	(void)state;
	c = rig_client(r);
	hello(r, c, 0);
	assert_int_equal(ntf_client_info(c)->interval_ms, 100); /* the server's default */
	pump(r, c, mirror, 1);
	ntf_client_free(c); /* says BYE */
	ntf_server_tick(r->srv, r->now);
	ntf_server_tick(r->srv, r->now);
	ntf_server_stats(r->srv, &st);
	assert_int_equal(st.clients, 0);
	assert_int_equal(st.errors, 0);

	/* and a server going away says BYE to its clients */
	c = rig_client(r);
	hello(r, c, 100);
	pump(r, c, mirror, 1);
	ntf_server_free(r->srv);
	r->srv = NULL;
	assert_int_equal(ntf_client_poll(c, mirror, 1000), -ESHUTDOWN);
	ntf_client_free(c);
	ntf_agg_free(r->agg);
	ntf_agg_free(mirror);
	free(r);
}

/* --- the socket on disk --- */

static void socket_group_by_name_or_number(void **state)
{
	gid_t gid = 1;

	(void)state;
	assert_int_equal(ntf_server_group("root", &gid), 0);
	assert_int_equal(gid, 0);
	assert_int_equal(ntf_server_group("4242", &gid), 0);
	assert_int_equal(gid, 4242);
	assert_int_equal(ntf_server_group("no-such-group", &gid), -ENOENT);
	assert_int_equal(ntf_server_group("", &gid), -ENOENT);
	assert_int_equal(ntf_server_group("-1", &gid), -ENOENT);
}

static void socket_files_and_permissions(void **state)
{
	char tmp[] = "/tmp/ntf-proto.XXXXXX", dir[64], path[96];
	struct ntf_server_opts o = { .max_clients = 1 };
	struct ntf_agg *agg = ntf_agg_new(0);
	struct ntf_server *s, *s2;
	struct ntf_client *c, *c2;
	struct stat st;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(tmp));
	snprintf(dir, sizeof(dir), "%s/run", tmp);
	snprintf(path, sizeof(path), "%s/d.sock", dir);
	s = ntf_server_new(agg, NULL, 0, &o);
	assert_int_equal(ntf_server_listen(s, path, getegid()), 0);
	assert_int_equal(lstat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0750);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0660);

	/* a second server on a live socket is refused */
	s2 = ntf_server_new(agg, NULL, 0, &o);
	assert_int_equal(ntf_server_listen(s2, path, getegid()), -EADDRINUSE);
	ntf_server_free(s2);
	/* its probe was a connection: accepted, then gone */
	ntf_server_tick(s, 1000);
	ntf_server_tick(s, 1000);

	/* over max_clients: ERROR busy */
	assert_int_equal(ntf_client_connect(path, &c), 0);
	assert_int_equal(ntf_client_connect(path, &c2), 0);
	assert_int_equal(ntf_client_hello(c, 100), 0);
	assert_int_equal(ntf_client_hello(c2, 100), 0);
	for (int i = 0; i < 50 && !ntf_client_info(c); i++) {
		ntf_server_tick(s, 1000);
		ntf_client_welcome(c, 10);
	}
	assert_non_null(ntf_client_info(c));
	assert_int_equal(ntf_client_welcome(c2, 1000), -EBUSY);
	assert_int_equal(ntf_client_error(c2)->code, NTF_PERR_BUSY);
	ntf_client_free(c2);
	ntf_client_free(c);

	/* freeing removes the socket and the directory it made */
	ntf_server_free(s);
	assert_int_equal(lstat(path, &st), -1);
	assert_int_equal(lstat(dir, &st), -1);

	/* a dead daemon's socket is replaced; something else is not touched */
	assert_int_equal(mkdir(dir, 0700), 0);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
		assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	}
	close(fd); /* bound, never listening: stale */
	s = ntf_server_new(agg, NULL, 0, &o);
	assert_int_equal(ntf_server_listen(s, path, getegid()), 0);
	assert_int_equal(lstat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0750); /* adopted: held only the stale socket */
	ntf_server_free(s);
	assert_int_equal(lstat(dir, &st), -1);
	assert_int_equal(mkdir(dir, 0755), 0);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	s = ntf_server_new(agg, NULL, 0, &o);
	assert_int_equal(ntf_server_listen(s, path, getegid()), -EEXIST);
	ntf_server_free(s);
	assert_int_equal(lstat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755); /* not ours: left as it was */
	unlink(path);
	rmdir(dir);
	rmdir(tmp);
	ntf_agg_free(agg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hello_round_trip),
		cmocka_unit_test(welcome_round_trip),
		cmocka_unit_test(snapshot_round_trip_in_chunks),
		cmocka_unit_test(delta_holds_only_changes),
		cmocka_unit_test(error_and_bye_round_trip),
		cmocka_unit_test(names_round_trip_and_rejected),
		cmocka_unit_test(every_truncation_rejected),
		cmocka_unit_test(bad_headers_rejected),
		cmocka_unit_test(bad_fields_rejected),
		cmocka_unit_test(fine_buckets_round_trip),
		cmocka_unit_test(fine_buckets_malformed_rejected),
		cmocka_unit_test(snapshot_then_deltas_mirror),
		cmocka_unit_test(discovered_names_reach_clients),
		cmocka_unit_test(delta_sends_only_changed),
		cmocka_unit_test(slow_client_bounded_then_resyncs),
		cmocka_unit_test(small_mirror_folds_exactly),
		cmocka_unit_test(hostile_clients_closed_others_served),
		cmocka_unit_test(client_refuses_other_versions),
		cmocka_unit_test(input_path_reports_violations),
		cmocka_unit_test(silent_client_times_out),
		cmocka_unit_test(bye_ends_cleanly),
		cmocka_unit_test(socket_group_by_name_or_number),
		cmocka_unit_test(socket_files_and_permissions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
