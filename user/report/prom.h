/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Prometheus metrics over an aggregate (notifierd --metrics): the text
 * exposition (0.0.4) with classic histograms, and the protobuf one
 * (delimited MetricFamily) that carries native histograms as well.
 *
 * Series, all in seconds or counts:
 *   notifier_latency_seconds         classic histogram {class, driver, callback}
 *   notifier_latency_native_seconds  native histogram, schema 4 (protobuf only)
 *                                    {class, driver, callback[, pid, comm]}
 *   notifier_events_total            {class, driver, callback, origin[, pid, comm]}
 *   notifier_failures_total, notifier_nonblockable_total, notifier_nested_total
 *                                    {class, driver, callback[, pid, comm]}
 *   notifier_refusals_total          a callback's failures {driver, callback[, pid, comm]}
 *   notifier_pinned_pages_total, notifier_unpinned_pages_total
 *                                    {driver, callback[, pid, comm]}
 *   notifier_dropped_events_total    {reason}: ring_buffer, hist_map, inflight
 *   notifier_bad_records_total, notifier_folded_events_total
 *
 * Classic histograms are never per process (each bucket is a series of
 * its own); their buckets are the fine buckets' edges over the range the
 * aggregate uses, so they too lose nothing inside it.
 */
#ifndef NTF_PROM_H
#define NTF_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "aggregate.h"

#define PROM_TEXT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define PROM_PROTOBUF_TYPE                                                           \
	"application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; " \
	"encoding=delimited"

/* Native histograms: schema 4, sixteen buckets per power of two. */
#define PROM_NATIVE_SCHEMA 4
/* The zero bucket's width, in seconds: 2^-33 s, below every bucket notifier keeps. */
#define PROM_ZERO_THRESHOLD 1.16415321826934814453125e-10

/* --metrics-per-process: how many processes get series of their own. */
#define PROM_DEFAULT_MAX_PROCESSES 100
#define PROM_MAX_PROCESSES 100000

struct prom_opts {
	bool per_process;
	__u32 max_processes; /* per_process: the first this many seen; 0: the default */
};

/* What the daemon knows beside the aggregate. */
struct prom_counters {
	__u64 ringbuf_drops, hist_drops, inflight_drops;
	__u64 bad_records;
};

/* A growing output buffer; err is set (-ENOMEM) once an append fails. */
struct prom_buf {
	char *p;
	size_t len, cap;
	int err;
};

void prom_buf_put(struct prom_buf *b, const void *s, size_t n);
/* n more bytes at the end, to be written by the caller; NULL once err is set. */
void *prom_buf_reserve(struct prom_buf *b, size_t n);
void prom_buf_free(struct prom_buf *b);

struct prom_exporter;

struct prom_exporter *prom_exporter_new(const struct prom_opts *opts);
void prom_exporter_free(struct prom_exporter *x);

/*
 * The whole exposition into out (appended): 0, or -ENOMEM. The
 * exporter remembers which processes it gave series to, so a process
 * keeps its series (or its place in pid="other") from one scrape to the next.
 */
int prom_render_text(struct prom_exporter *x, const struct ntf_agg *agg,
		     const struct prom_counters *c, struct prom_buf *out);
int prom_render_protobuf(struct prom_exporter *x, const struct ntf_agg *agg,
			 const struct prom_counters *c, struct prom_buf *out);

/* Whether an HTTP Accept header asks for (and does not refuse) the delimited protobuf. */
bool prom_accepts_protobuf(const char *accept);

/* The native bucket (schema 4, in seconds) of a fine bucket index: the same bucket. */
int prom_native_index(__u32 index);

#endif
