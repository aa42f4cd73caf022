// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer harness for the notifierd protocol. Each input goes three ways:
 *
 *   1. the frame decoder: every frame split off the bytes, through every
 *      payload decoder whatever its type;
 *   2. a server connection's input path, in process (no socket): the bytes
 *      in chunks the input's first byte sizes, with ticks between them;
 *      whatever the server queues in reply must decode cleanly;
 *   3. the client: the bytes as a daemon's stream, applied to a mirror.
 *
 * Every entry decoded must keep the decoder's promises: a NUL-terminated
 * name, and fine buckets in range, sorted, distinct and non-empty, in the
 * one scratch the decoder sized once.
 *
 * With NTF_FUZZ_SEEDS=DIR set, writes a seed corpus of valid frames to DIR
 * and exits.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include "client.h"
#include "proto.h"
#include "server.h"

static struct ntf_agg *agg;
static struct ntf_server *srv;
static __u64 now = 1000;
/* The smallest cap (two snapshots): an fd-less client soon falls behind and resyncs. */
static const struct ntf_server_opts srv_opts = { .out_cap = 1 };
/* Probe states for WELCOME: every point, some attached, some with reasons. */
static struct ntf_probe_state *probes;

static void add(unsigned int key, __u64 ns)
{
	struct ntf_event e;

	memset(&e, 0, sizeof(e));
	e.class = NTF_CLASS_INVAL_START + key % (NTF_CLASS_MAX - 1);
	e.tgid = 100 + key;
	e.latency_ns = ns;
	e.origin = key % NTF_ORIGIN_MAX;
	snprintf(e.comm, sizeof(e.comm), "p%u", key);
	ntf_agg_add(agg, &e);
}

/* What a decoded entry's fine buckets must be, whatever the bytes were. */
static void check_fine(const struct ntf_buckets *fine)
{
	if (fine->n > NTF_BUCKETS_MAX || fine->cap != NTF_BUCKETS_MAX)
		abort();
	for (__u32 i = 0; i < fine->n; i++) {
		const struct ntf_bucket *b = &fine->b[i];

		if (!ntf_bucket_valid(b->index) || !ntf_bucket_count(b) ||
		    (i && ntf_bucket_order(b->index) <= ntf_bucket_order(b[-1].index)))
			abort();
	}
}

/* Every payload decoder on the frame, as whatever type. */
static void decode_all(struct ntf_proto_frame f)
{
	static struct ntf_proto_welcome w;
	static struct ntf_proto_names names;
	static struct ntf_proto_triggered triggered;
	struct ntf_proto_update u;
	struct ntf_proto_hello h;
	struct ntf_proto_error e;
	struct ntf_agg_entry ent = {};

	for (__u16 t = NTF_PROTO_HELLO; t < NTF_PROTO_TYPE_MAX; t++) {
		f.type = t;
		ntf_proto_decode_hello(&f, &h);
		ntf_proto_decode_welcome(&f, &w);
		ntf_proto_decode_error(&f, &e);
		ntf_proto_decode_bye(&f);
		ntf_proto_decode_names(&f, &names);
		ntf_proto_decode_trigger(&f);
		if (!ntf_proto_decode_triggered(&f, &triggered) &&
		    (!triggered.path[0] ||
		     memchr(triggered.path, 0, sizeof(triggered.path)) == NULL))
			abort();
		if (!ntf_proto_decode_update(&f, &u)) {
			/* decoded: every entry must now come out */
			while (ntf_proto_update_next(&u, &ent) > 0) {
				if (ent.comm[NTF_COMM_LEN - 1])
					abort();
				check_fine(&ent.fine);
			}
			if (u.next != u.nentries)
				abort();
		}
	}
	ntf_buckets_free(&ent.fine);
}

static void fuzz_decoder(const uint8_t *data, size_t size)
{
	struct ntf_proto_frame f;
	size_t used;

	while (size && !ntf_proto_parse(data, size, NTF_PROTO_MAX_PAYLOAD, &f, &used)) {
		if (used < NTF_PROTO_HDR_LEN || used > size)
			abort();
		decode_all(f);
		data += used;
		size -= used;
	}
}

/* What the server queues must be frames its own decoders take. */
static void check_output(struct ntf_conn *c)
{
	size_t len, used;
	const __u8 *p = ntf_server_pending(c, &len);
	struct ntf_proto_frame f;

	while (len) {
		if (ntf_proto_parse(p, len, NTF_PROTO_MAX_PAYLOAD, &f, &used))
			abort();
		switch (f.type) {
		case NTF_PROTO_WELCOME: {
			static struct ntf_proto_welcome w;

			if (ntf_proto_decode_welcome(&f, &w))
				abort();
			break;
		}
		case NTF_PROTO_SNAPSHOT:
		case NTF_PROTO_DELTA: {
			struct ntf_proto_update u;

			if (ntf_proto_decode_update(&f, &u))
				abort();
			break;
		}
		case NTF_PROTO_ERROR: {
			struct ntf_proto_error e;

			if (ntf_proto_decode_error(&f, &e) || !e.code)
				abort();
			break;
		}
		case NTF_PROTO_BYE: break;
		case NTF_PROTO_TRIGGERED: {
			static struct ntf_proto_triggered t;

			if (ntf_proto_decode_triggered(&f, &t))
				abort();
			break;
		}
		default: abort();
		}
		p += used;
		len -= used;
	}
}

static void fuzz_server(const uint8_t *data, size_t size)
{
	struct ntf_conn *c = ntf_server_add(srv, -1, now);
	size_t chunk = size ? data[0] % 32 + 1 : 1;

	if (!c)
		abort();
	while (size) {
		size_t n = size < chunk ? size : chunk;

		ntf_server_input(srv, c, data, n, now);
		check_output(c);
		add(data[0] % 16, n * 1000);
		now += 60;
		ntf_server_tick(srv, now);
		check_output(c);
		data += n;
		size -= n;
	}
	/* fd-less connections stay until the server goes: a fresh one per input */
	ntf_server_free(srv);
	srv = ntf_server_new(agg, probes, ntf_probe_count, &srv_opts);
	if (!srv)
		abort();
}

static void fuzz_client(const uint8_t *data, size_t size)
{
	struct ntf_agg *mirror = ntf_agg_new(64);
	struct ntf_client *c;
	int sv[2];

	if (!mirror || socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		abort();
	/* What does not fit the socket is left out: the decoder saw it whole. */
	if (size && send(sv[1], data, size, MSG_DONTWAIT) < 0)
		size = 0;
	close(sv[1]);
	c = ntf_client_from_fd(sv[0]);
	if (!c)
		abort();
	while (ntf_client_poll(c, mirror, 0) > 0)
		;
	ntf_client_free(c);
	ntf_agg_free(mirror);
}

static void write_seed(const char *dir, const char *name, const struct ntf_proto_buf *b)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || fwrite(b->data, 1, b->len, f) != b->len || fclose(f))
		exit(1);
}

static void write_seeds(const char *dir)
{
	static const struct ntf_proto_counters counters = { .events = 5 };
	static struct ntf_proto_welcome w = { .nprobes = 2 };
	struct ntf_proto_buf b = {};
	struct ntf_agg *all;

	ntf_proto_put_hello(&b, 100);
	write_seed(dir, "hello", &b);
	ntf_proto_put_bye(&b);
	write_seed(dir, "hello-bye", &b);
	b.len = 0;
	snprintf(w.probes[0].id, sizeof(w.probes[0].id), "fence_wait");
	snprintf(w.probes[1].why[NTF_MECH_FENTRY], NTF_REASON_LEN, "refused");
	ntf_proto_put_welcome(&b, &w);
	ntf_proto_put_update(&b, NTF_PROTO_SNAPSHOT, agg, 0, ntf_agg_gen(agg), &counters);
	ntf_agg_tick(agg);
	add(3, 5000);
	ntf_proto_put_update(&b, NTF_PROTO_DELTA, agg, ntf_agg_gen(agg) - 1, ntf_agg_gen(agg),
			     &counters);
	write_seed(dir, "welcome-snapshot-delta", &b);
	/* a daemon that restarted with fewer keys: the mirror prunes */
	b.len = 0;
	ntf_proto_put_welcome(&b, &w);
	ntf_proto_put_update(&b, NTF_PROTO_SNAPSHOT, agg, 0, ntf_agg_gen(agg), &counters);
	all = agg;
	agg = ntf_agg_new(8);
	add(1, 7000);
	ntf_proto_put_update(&b, NTF_PROTO_SNAPSHOT, agg, 0, ntf_agg_gen(all) + 1, &counters);
	ntf_agg_free(agg);
	agg = all;
	write_seed(dir, "welcome-snapshot-snapshot", &b);
	/* fine buckets at their bounds: the zero bucket, every index, 48-bit counts */
	b.len = 0;
	ntf_proto_put_welcome(&b, &w);
	all = agg;
	agg = ntf_agg_new(8);
	add(2, 0);
	add(2, ~0ULL);
	for (__u32 i = 0; i <= 0xffff; i++) {
		struct ntf_hist_key key = { .class = NTF_CLASS_CALLBACK, .tgid = 77 };

		if (ntf_bucket_valid(i))
			ntf_agg_add_bucket(agg, &key, i, i % 2 ? (1ULL << 48) - 1 : 1);
	}
	ntf_proto_put_update(&b, NTF_PROTO_SNAPSHOT, agg, 0, ntf_agg_gen(agg), &counters);
	ntf_agg_free(agg);
	agg = all;
	write_seed(dir, "welcome-snapshot-fine-bounds", &b);
	b.len = 0;
	ntf_proto_put_error(&b, NTF_PERR_VERSION, "version 2");
	write_seed(dir, "error", &b);
	/* a trigger, and its answer (a fd-less peer is refused: no credentials) */
	b.len = 0;
	ntf_proto_put_trigger(&b);
	write_seed(dir, "trigger", &b);
	b.len = 0;
	{
		static struct ntf_proto_triggered t = { .events = 9, .bytes = 4096 };

		snprintf(t.path, sizeof(t.path), "/var/lib/notifier/notifier-flight.ntr");
		ntf_proto_put_triggered(&b, &t);
	}
	write_seed(dir, "triggered", &b);
	ntf_proto_buf_free(&b);
	exit(0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	agg = ntf_agg_new(64);
	probes = calloc(ntf_probe_count, sizeof(*probes));
	if (!agg || !probes)
		abort();
	for (unsigned int i = 0; i < ntf_probe_count; i++) {
		probes[i].point = &ntf_probe_points[i];
		probes[i].attached = i % 2;
		probes[i].mech = i % 2 ? NTF_MECH_KPROBE : NTF_MECH_NONE;
		snprintf(probes[i].why[NTF_MECH_FENTRY], NTF_REASON_LEN, "refused at load");
	}
	for (unsigned int k = 0; k < 8; k++)
		add(k, 1000 << k);
	srv = ntf_server_new(agg, probes, ntf_probe_count, &srv_opts);
	if (!srv)
		abort();
	if (getenv("NTF_FUZZ_SEEDS"))
		write_seeds(getenv("NTF_FUZZ_SEEDS"));
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_decoder(data, size);
	fuzz_server(data, size);
	fuzz_client(data, size);
	return 0;
}
