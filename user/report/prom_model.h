/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What both expositions of prom.h print, collected from an aggregate:
 * the series (one per class, callback and, per process, process), their
 * totals and fine buckets, and the classic histograms' common buckets.
 */
#ifndef NTF_PROM_MODEL_H
#define NTF_PROM_MODEL_H

#include <stdbool.h>
#include <linux/types.h>
#include "aggregate.h"
#include "prom.h"

/* Fine bucket indexes a dense count array covers (both bucket schemes fit). */
#define PROM_DENSE 4096
/* A series' pid: none (not per process), or the processes past the bound. */
#define PROM_PID_NONE 0u
#define PROM_PID_OTHER 0xffffffffu

/* A group's fine buckets, dense: count[i] for index i, zero for 0 ns. */
struct prom_dense {
	__u64 zero, over; /* over: an index past PROM_DENSE, only ever in +Inf */
	__u64 count[PROM_DENSE];
};

struct prom_totals {
	__u64 count, sum_ns, failures, pages, nested, nonblock;
	__u64 origins[NTF_ORIGIN_MAX];
};

struct prom_series {
	__u32 class, callback, pid; /* pid: a tgid, PROM_PID_NONE or PROM_PID_OTHER */
	const char *comm; /* with a tgid */
	struct prom_totals t;
	/* the buckets: an entry's own sparse set, or a group's dense counts */
	const struct ntf_buckets *fine;
	struct prom_dense *dense;
};

struct prom_model {
	/* every series, in the order they were made */
	struct prom_series *s;
	size_t n, cap;
	/* the classic histograms: one series per class and callback, dense */
	struct prom_series *classic;
	size_t nclassic;
	/* the classic buckets: fine indexes lo..hi (none when lo > hi) */
	int lo, hi;
};

/* The series of counters and native histograms: per process, or the classic ones. */
static inline const struct prom_series *prom_model_series(const struct prom_model *m, size_t *n)
{
	*n = m->s ? m->n : m->nclassic;
	return m->s ? m->s : m->classic;
}

int prom_model_build(struct prom_exporter *x, const struct ntf_agg *agg, struct prom_model *m);
void prom_model_free(struct prom_model *m);

/* Labels of a series: callback's driver and function names. */
const char *prom_callback_label(__u32 callback);

/* Fine buckets of a series, in order, the zero bucket first: calls fn(index, count). */
typedef void (*prom_bucket_fn)(void *ctx, __u32 index, __u64 count);
void prom_series_buckets(const struct prom_series *s, prom_bucket_fn fn, void *ctx);

/* A label value made safe: printable ASCII only, others as '?'. */
void prom_clean_label(char *dst, const char *src, size_t size);

#endif
