// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The Prometheus expositions of notifierd --metrics: known entries give
 * exactly the expected text lines, and the protobuf decodes (protobuf-c)
 * to the expected classic and native histograms. An exporter keeps its
 * memory from one scrape to the next: a scrape gives what a new exporter
 * would, and the protobuf, written in pieces, is what protobuf-c packs
 * for the whole messages.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <cmocka.h>
#include "buckets.h"
#include "listen_addr.h"
#include "prom.h"
#include "prom_model.h"
#include "prom_metrics.pb-c.h"

#define KVM "driver=\"kvm\",callback=\"kvm_mmu_notifier_invalidate_range_start\""

static void add_event(struct ntf_agg *agg, __u32 class, __u32 callback, __u32 tgid,
		      const char *comm, __u64 ns, __u32 origin, bool failed)
{
	struct ntf_event e;

	memset(&e, 0, sizeof(e));
	e.class = class;
	e.callback = callback;
	e.mech = NTF_MECH_FENTRY;
	e.tgid = e.pid = tgid;
	e.latency_ns = ns;
	e.origin = origin;
	e.flags = failed ? NTF_F_FAILED : 0;
	snprintf(e.comm, sizeof(e.comm), "%s", comm);
	assert_int_equal(ntf_agg_add(agg, &e), 0);
}

static void add(struct ntf_agg *agg, __u32 tgid, __u64 ns, bool failed)
{
	char comm[NTF_COMM_LEN];

	snprintf(comm, sizeof(comm), "proc%u", tgid);
	add_event(agg, NTF_CLASS_CALLBACK, 1 /* kvm */, tgid, comm, ns, NTF_ORIGIN_MUNMAP, failed);
}

/* kvm's callback in process 100: 0 ns once, 1000 ns three times (one failed), 2000 ns once. */
static struct ntf_agg *known(void)
{
	struct ntf_agg *agg = ntf_agg_new(0);

	assert_non_null(agg);
	add(agg, 100, 0, false);
	add(agg, 100, 1000, false);
	add(agg, 100, 1000, true);
	add(agg, 100, 1000, false);
	add(agg, 100, 2000, false);
	return agg;
}

static char *render_text(struct ntf_agg *agg, const struct prom_opts *o)
{
	struct prom_exporter *x = prom_exporter_new(o);
	struct prom_counters c = { .ringbuf_drops = 7 };
	struct prom_buf b = {};

	assert_non_null(x);
	assert_int_equal(prom_render_text(x, agg, &c, &b), 0);
	prom_buf_put(&b, "", 1);
	prom_exporter_free(x);
	return b.p;
}

static void has_line(const char *text, const char *line)
{
	char want[512];

	snprintf(want, sizeof(want), "\n%s\n", line);
	if (!strstr(text, want))
		fail_msg("no line '%s' in:\n%s", line, text);
}

static void le_line(char *buf, size_t len, __u32 index, unsigned int cum)
{
	snprintf(buf, len,
		 "notifier_latency_seconds_bucket{class=\"callback\"," KVM ",le=\"%.17g\"} %u",
		 ntf_bucket_high(index) * 1e-9, cum);
}

static void text_lines(void **state)
{
	struct ntf_agg *agg = known();
	struct prom_opts o = {};
	char *t = render_text(agg, &o);
	char line[512];

	(void)state;
	/* the classic buckets: from the lowest used to the highest, cumulative */
	le_line(line, sizeof(line), ntf_bucket_of(1000), 4);
	has_line(t, line);
	le_line(line, sizeof(line), ntf_bucket_of(1000) + 1, 4);
	has_line(t, line);
	le_line(line, sizeof(line), ntf_bucket_of(2000), 5);
	has_line(t, line);
	le_line(line, sizeof(line), ntf_bucket_of(2000) + 1, 0);
	assert_null(strstr(t, strchr(line, '{')));
	le_line(line, sizeof(line), ntf_bucket_of(1000) - 1, 1);
	assert_null(strstr(t, strchr(line, '{')));
	has_line(t, "notifier_latency_seconds_bucket{class=\"callback\"," KVM ",le=\"+Inf\"} 5");
	snprintf(line, sizeof(line),
		 "notifier_latency_seconds_sum{class=\"callback\"," KVM "} %.17g", 5000 * 1e-9);
	has_line(t, line);
	has_line(t, "notifier_latency_seconds_count{class=\"callback\"," KVM "} 5");
	has_line(t, "# TYPE notifier_latency_seconds histogram");
	has_line(t, "notifier_events_total{class=\"callback\"," KVM ",origin=\"munmap\"} 5");
	has_line(t, "notifier_failures_total{class=\"callback\"," KVM "} 1");
	has_line(t, "notifier_refusals_total{" KVM "} 1");
	has_line(t, "notifier_dropped_events_total{reason=\"ring_buffer\"} 7");
	has_line(t, "notifier_bad_records_total 0");
	/* no pid label unless asked; no native histogram in text */
	assert_null(strstr(t, "pid="));
	assert_null(strstr(t, "native"));
	free(t);
	ntf_agg_free(agg);
}

static void text_per_process_bound(void **state)
{
	struct ntf_agg *agg = known();
	struct prom_opts o = { .per_process = true, .max_processes = 1 };
	char *t;

	(void)state;
	add(agg, 200, 1000, false);
	add(agg, 300, 1000, false);
	t = render_text(agg, &o);
	/* one process has its series; the other two are summed as "other" */
	if (strstr(t, "pid=\"100\""))
		has_line(t, "notifier_events_total{class=\"callback\"," KVM
			    ",pid=\"100\",comm=\"proc100\",origin=\"munmap\"} 5");
	has_line(t, strstr(t, "pid=\"100\"") ?
			    "notifier_events_total{class=\"callback\"," KVM
			    ",pid=\"other\",comm=\"other\",origin=\"munmap\"} 2" :
			    "notifier_events_total{class=\"callback\"," KVM
			    ",pid=\"other\",comm=\"other\",origin=\"munmap\"} 6");
	assert_null(strstr(t, "pid=\"200\"") && strstr(t, "pid=\"300\"") ? t : NULL);
	/* classic histograms are never per process */
	has_line(t, "notifier_latency_seconds_count{class=\"callback\"," KVM "} 7");
	assert_null(
		strstr(strstr(t, "notifier_latency_seconds"), "pid=\"other\",comm=\"other\",le"));
	free(t);
	ntf_agg_free(agg);
}

typedef Io__Prometheus__Client__MetricFamily Family;

/* The delimited messages of a protobuf exposition. */
static size_t decode(const struct prom_buf *b, Family **out, size_t max)
{
	size_t at = 0, n = 0;

	while (at < b->len) {
		__u64 len = 0;
		int shift = 0;

		while (at < b->len) {
			__u8 c = (__u8)b->p[at++];

			len |= (__u64)(c & 0x7f) << shift;
			shift += 7;
			if (!(c & 0x80))
				break;
		}
		assert_true(at + len <= b->len);
		assert_true(n < max);
		out[n] = io__prometheus__client__metric_family__unpack(NULL, len,
								       (const uint8_t *)b->p + at);
		assert_non_null(out[n]);
		n++;
		at += len;
	}
	return n;
}

static const Family *find(Family **f, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(f[i]->name, name))
			return f[i];
	fail_msg("no family %s", name);
	return NULL;
}

static void protobuf_fields(void **state)
{
	struct ntf_agg *agg = known();
	struct prom_opts o = {};
	struct prom_exporter *x = prom_exporter_new(&o);
	struct prom_counters c = {};
	struct prom_buf b = {};
	Family *f[32];
	const Family *nat, *cls;
	const Io__Prometheus__Client__Histogram *h;
	__u32 k1 = ntf_bucket_of(1000), k2 = ntf_bucket_of(2000);
	size_t n;

	(void)state;
	assert_int_equal(prom_render_protobuf(x, agg, &c, &b), 0);
	n = decode(&b, f, 32);

	nat = find(f, n, "notifier_latency_native_seconds");
	assert_int_equal(nat->type, IO__PROMETHEUS__CLIENT__METRIC_TYPE__HISTOGRAM);
	assert_int_equal(nat->n_metric, 1);
	assert_int_equal(nat->metric[0]->n_label, 3);
	assert_string_equal(nat->metric[0]->label[0]->name, "class");
	assert_string_equal(nat->metric[0]->label[0]->value, "callback");
	assert_string_equal(nat->metric[0]->label[1]->value, "kvm");
	h = nat->metric[0]->histogram;
	assert_int_equal(h->schema, 4);
	assert_true(h->zero_threshold == PROM_ZERO_THRESHOLD);
	assert_int_equal(h->zero_count, 1);
	assert_int_equal(h->sample_count, 5);
	assert_true(fabs(h->sample_sum - 5e-6) < 1e-18);
	assert_int_equal(h->n_bucket, 0);
	/* 1000 and 2000 ns are 16 buckets apart: two spans, deltas +3 then -2 */
	assert_int_equal(k2 - k1, 16);
	assert_int_equal(h->n_positive_span, 2);
	assert_int_equal(h->positive_span[0]->offset, prom_native_index(k1));
	assert_int_equal(h->positive_span[0]->length, 1);
	assert_int_equal(h->positive_span[1]->offset, 15);
	assert_int_equal(h->positive_span[1]->length, 1);
	assert_int_equal(h->n_positive_delta, 2);
	assert_int_equal(h->positive_delta[0], 3);
	assert_int_equal(h->positive_delta[1], -2);

	cls = find(f, n, "notifier_latency_seconds");
	h = cls->metric[0]->histogram;
	assert_false(h->has_schema);
	assert_int_equal(h->n_positive_span, 0);
	assert_int_equal(h->n_bucket, k2 - k1 + 1);
	assert_int_equal(h->bucket[0]->cumulative_count, 4);
	assert_true(h->bucket[0]->upper_bound == ntf_bucket_high(k1) * 1e-9);
	assert_int_equal(h->bucket[k2 - k1]->cumulative_count, 5);
	assert_int_equal(h->sample_count, 5);

	cls = find(f, n, "notifier_events_total");
	assert_int_equal(cls->type, IO__PROMETHEUS__CLIENT__METRIC_TYPE__COUNTER);
	assert_int_equal(cls->n_metric, 1);
	assert_string_equal(cls->metric[0]->label[3]->name, "origin");
	assert_string_equal(cls->metric[0]->label[3]->value, "munmap");
	assert_true(cls->metric[0]->counter->value == 5);

	for (size_t i = 0; i < n; i++)
		io__prometheus__client__metric_family__free_unpacked(f[i], NULL);
	prom_buf_free(&b);
	prom_exporter_free(x);
	ntf_agg_free(agg);
}

/* Each fine bucket is the native bucket of the same edges, in seconds. */
static void native_index(void **state)
{
	(void)state;
	for (__u32 k = 35; k <= 1058; k++) {
		int n = prom_native_index(k);
		double low = ntf_bucket_low(k) * 1e-9, high = ntf_bucket_high(k) * 1e-9;

		assert_true(fabs(log2(high) * 16 - n) < 1e-6);
		assert_true(fabs(log2(low) * 16 - (n - 1)) < 1e-6);
	}
}

static void accept_header(void **state)
{
	(void)state;
	/* what Prometheus sends with native histograms on */
	assert_true(prom_accepts_protobuf(
		"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
		"encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3,*/*;q=0.2"));
	assert_false(prom_accepts_protobuf("text/plain;version=0.0.4;q=0.3,*/*;q=0.2"));
	assert_false(prom_accepts_protobuf("*/*"));
	assert_false(prom_accepts_protobuf(
		"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
		"encoding=delimited;q=0,text/plain"));
	assert_false(prom_accepts_protobuf(
		"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
		"encoding=text"));
}

static void listen_addr(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char why[160];

	(void)state;
	assert_int_equal(ntf_parse_listen_addr("127.0.0.1:9436", &ss, &len, why, sizeof(why)), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 9436);
	assert_int_equal(ntf_parse_listen_addr("[::1]:9436", &ss, &len, why, sizeof(why)), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(len, sizeof(struct sockaddr_in6));
	const char *bad[] = {
		"9436",		  "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
		"localhost:9436", "[::1]9436", "::1:9436",   "1.2.3.4:12x", "[zz]:1"
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		assert_int_equal(ntf_parse_listen_addr(bad[i], &ss, &len, why, sizeof(why)),
				 -EINVAL);
		assert_true(why[0] != '\0');
	}
}

/* Many processes, classes, callbacks and origins, latencies from 0 ns to seconds; seed varies them. */
static struct ntf_agg *many(unsigned int seed, unsigned int processes)
{
	static const __u32 classes[] = { NTF_CLASS_INVAL_START, NTF_CLASS_PIN, NTF_CLASS_UNPIN,
					 NTF_CLASS_CALLBACK };
	struct ntf_agg *agg = ntf_agg_new(0);
	__u64 r = seed * 0x9e3779b97f4a7c15ull + 1;

	assert_non_null(agg);
	for (unsigned int i = 0; i < processes * 20; i++) {
		char comm[NTF_COMM_LEN];
		__u32 tgid = 1000 + i % processes;

		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		snprintf(comm, sizeof(comm), "p%u", tgid);
		add_event(agg, classes[r % 4], 1 + (r >> 8) % 3, tgid, comm,
			  (r >> 16) % 7 ? (r >> 20) % (1u << (r >> 40) % 32) : 0,
			  1 + (__u32)((r >> 45) % (NTF_ORIGIN_MAX - 1)), (r >> 50) % 5 == 0);
	}
	return agg;
}

static struct prom_buf render(struct prom_exporter *x, const struct ntf_agg *agg, bool protobuf)
{
	struct prom_counters c = { .ringbuf_drops = 3, .hist_drops = 2, .bad_records = 1 };
	struct prom_buf b = {};

	if (protobuf)
		assert_int_equal(prom_render_protobuf(x, agg, &c, &b), 0);
	else
		assert_int_equal(prom_render_text(x, agg, &c, &b), 0);
	assert_true(b.len > 0);
	return b;
}

static void same_bytes(const struct prom_buf *a, const struct prom_buf *b)
{
	assert_int_equal(a->len, b->len);
	assert_memory_equal(a->p, b->p, a->len);
}

/* A scrape of an exporter that has scraped before is the scrape of a new one. */
static void reuse_across_scrapes(void **state)
{
	struct prom_opts per = { .per_process = true, .max_processes = 1000 }, plain = {};
	const struct prom_opts *opts[] = { &per, &plain };

	(void)state;
	for (size_t o = 0; o < 2; o++) {
		for (int protobuf = 0; protobuf < 2; protobuf++) {
			struct ntf_agg *wide = many(1, 300), *narrow = known();
			struct prom_exporter *x = prom_exporter_new(opts[o]);
			struct prom_buf first, again, fresh;
			struct prom_exporter *y;

			assert_non_null(x);
			/* the same aggregate twice: the very same bytes */
			first = render(x, wide, protobuf);
			again = render(x, wide, protobuf);
			same_bytes(&first, &again);
			/* the other exposition in between, from the same model: no change */
			prom_buf_free(&again);
			again = render(x, wide, !protobuf);
			prom_buf_free(&again);
			again = render(x, wide, protobuf);
			same_bytes(&first, &again);
			prom_buf_free(&again);
			/* another, with fewer series and buckets: nothing of the last one left */
			again = render(x, narrow, protobuf);
			y = prom_exporter_new(opts[o]);
			assert_non_null(y);
			fresh = render(y, narrow, protobuf);
			same_bytes(&again, &fresh);
			prom_buf_free(&first);
			prom_buf_free(&again);
			prom_buf_free(&fresh);
			prom_exporter_free(x);
			prom_exporter_free(y);
			ntf_agg_free(wide);
			ntf_agg_free(narrow);
		}
	}
}
/*
 * The protobuf, written in pieces (a series' label pairs packed once, each
 * metric apart), is byte for byte what protobuf-c packs for each whole
 * MetricFamily it decodes to.
 */
static void protobuf_whole_messages(void **state)
{
	struct prom_opts o = { .per_process = true, .max_processes = 50 };
	struct prom_exporter *x = prom_exporter_new(&o);
	struct ntf_agg *agg = many(2, 80);
	struct prom_buf b;
	Family *f[32];
	size_t n, at = 0;

	(void)state;
	assert_non_null(x);
	b = render(x, agg, true);
	n = decode(&b, f, 32);
	assert_int_equal(n, 12);
	for (size_t i = 0; i < n; i++) {
		size_t size = io__prometheus__client__metric_family__get_packed_size(f[i]);
		uint8_t *whole = malloc(size);

		assert_non_null(whole);
		assert_int_equal(io__prometheus__client__metric_family__pack(f[i], whole), size);
		while ((__u8)b.p[at++] & 0x80) /* the length before it */
			;
		assert_true(at + size <= b.len);
		assert_memory_equal(b.p + at, whole, size);
		at += size;
		free(whole);
		io__prometheus__client__metric_family__free_unpacked(f[i], NULL);
	}
	assert_int_equal(at, b.len);
	prom_buf_free(&b);
	prom_exporter_free(x);
	ntf_agg_free(agg);
}

/* The value of label name in metric m, or NULL. */
static const char *label_of(const Io__Prometheus__Client__Metric *m, const char *name)
{
	for (size_t i = 0; i < m->n_label; i++)
		if (!strcmp(m->label[i]->name, name))
			return m->label[i]->value;
	return NULL;
}

/* A process's comm as its labels say: escaped in text, as is in protobuf; a new one replaces it. */
static void comm_labels(void **state)
{
	struct prom_opts o = { .per_process = true };
	struct prom_exporter *x = prom_exporter_new(&o);
	const char *comms[] = { "a\"b\\c", "renamed" };

	(void)state;
	assert_non_null(x);
	for (size_t k = 0; k < 2; k++) {
		struct ntf_agg *agg = ntf_agg_new(0);
		struct prom_buf t, pb;
		const Family *fam;
		Family *f[32];
		size_t n;

		assert_non_null(agg);
		add_event(agg, NTF_CLASS_CALLBACK, 1, 100, comms[k], 1000, NTF_ORIGIN_MUNMAP,
			  false);
		t = render(x, agg, false);
		prom_buf_put(&t, "", 1);
		has_line(t.p, k ? "notifier_failures_total{class=\"callback\"," KVM
				  ",pid=\"100\",comm=\"renamed\"} 0" :
				  "notifier_failures_total{class=\"callback\"," KVM
				  ",pid=\"100\",comm=\"a\\\"b\\\\c\"} 0");
		pb = render(x, agg, true);
		n = decode(&pb, f, 32);
		fam = find(f, n, "notifier_failures_total");
		assert_int_equal(fam->n_metric, 1);
		assert_string_equal(label_of(fam->metric[0], "comm"), comms[k]);
		assert_string_equal(label_of(fam->metric[0], "pid"), "100");
		fam = find(f, n, "notifier_refusals_total");
		assert_null(label_of(fam->metric[0], "class"));
		assert_string_equal(label_of(fam->metric[0], "comm"), comms[k]);
		for (size_t i = 0; i < n; i++)
			io__prometheus__client__metric_family__free_unpacked(f[i], NULL);
		prom_buf_free(&t);
		prom_buf_free(&pb);
		ntf_agg_free(agg);
	}
	prom_exporter_free(x);
}

static void fmt_u64(void **state)
{
	const __u64 v[] = { 0, 7, 10, 99, 100, 101, 999, 1000, 65535, 4294967295u, UINT64_MAX };
	char got[24], want[24];

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t n = prom_fmt_u64(got, v[i]);

		snprintf(want, sizeof(want), "%llu", (unsigned long long)v[i]);
		assert_int_equal(n, strlen(want));
		assert_memory_equal(got, want, n);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(text_lines),		cmocka_unit_test(text_per_process_bound),
		cmocka_unit_test(protobuf_fields),	cmocka_unit_test(native_index),
		cmocka_unit_test(accept_header),	cmocka_unit_test(listen_addr),
		cmocka_unit_test(reuse_across_scrapes), cmocka_unit_test(protobuf_whole_messages),
		cmocka_unit_test(comm_labels),		cmocka_unit_test(fmt_u64),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
