// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The Prometheus expositions of notifierd --metrics: known entries give
 * exactly the expected text lines, and the protobuf decodes (protobuf-c)
 * to the expected classic and native histograms.
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
#include "prom_metrics.pb-c.h"

#define KVM "driver=\"kvm\",callback=\"kvm_mmu_notifier_invalidate_range_start\""

static void add(struct ntf_agg *agg, __u32 tgid, __u64 ns, bool failed)
{
	struct ntf_event e;

	memset(&e, 0, sizeof(e));
	e.class = NTF_CLASS_CALLBACK;
	e.callback = 1; /* kvm */
	e.mech = NTF_MECH_FENTRY;
	e.tgid = e.pid = tgid;
	e.latency_ns = ns;
	e.origin = NTF_ORIGIN_MUNMAP;
	e.flags = failed ? NTF_F_FAILED : 0;
	snprintf(e.comm, sizeof(e.comm), "proc%u", tgid);
	assert_int_equal(ntf_agg_add(agg, &e), 0);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(text_lines),	   cmocka_unit_test(text_per_process_bound),
		cmocka_unit_test(protobuf_fields), cmocka_unit_test(native_index),
		cmocka_unit_test(accept_header),   cmocka_unit_test(listen_addr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
