/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What both expositions of prom.h print, collected from an aggregate:
 * the series (one per class, callback and, per process, process), their
 * totals, fine buckets and label values, and the classic histograms'
 * common buckets.
 *
 * A scrape of 10,000 series must cost the daemon little, and scrapes come
 * every few seconds for its whole life: the model and each exposition's
 * working memory belong to the exporter and are reused from one scrape to
 * the next (cleared, never freed), so a scrape in the steady state
 * allocates nothing but its output.
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
	int lo, hi; /* the indexes in use: lo..hi, none when lo > hi */
	__u64 count[PROM_DENSE];
};

struct prom_totals {
	__u64 count, sum_ns, failures, pages, nested, nonblock;
	__u64 origins[NTF_ORIGIN_MAX];
};

struct prom_series {
	__u32 class, callback, pid; /* pid: a tgid, PROM_PID_NONE or PROM_PID_OTHER */
	struct prom_totals t;
	__u64 in_buckets; /* events its buckets hold, a group's over included */
	/* the buckets: an entry's own sparse set, or a group's dense counts */
	const struct ntf_buckets *fine;
	struct prom_dense *dense;
	/* with a pid: its label values, the pid in decimal (or "other"), comm made safe */
	char pid_label[12];
	char comm[NTF_COMM_LEN];
	/* a tgid's number among the admitted processes (0, 1, ...): the same for its life */
	__u32 pid_no;
};

struct prom_model {
	/* per process: every series, the admitted processes' then the groups of "other" */
	struct prom_series *s;
	size_t n, cap;
	/* the classic histograms: one series per class and callback, dense, in key order */
	struct prom_series *classic;
	size_t nclassic, classic_cap;
	/* the classic buckets: fine indexes lo..hi (none when lo > hi) */
	int lo, hi;
	bool per_process;
};

/* Each exposition's working memory (prom_text.c's, prom_native.c's). */
struct prom_text_scratch;
struct prom_pb_scratch;
void prom_text_scratch_free(struct prom_text_scratch *t);
void prom_pb_scratch_free(struct prom_pb_scratch *p);

struct prom_exporter {
	struct prom_opts o;
	/* the processes given series of their own: an open-addressed set of tgids; their numbers */
	__u32 *pids, *pid_no;
	__u32 npids, pid_slots;
	/* the last scrape's model; its arrays serve the next */
	struct prom_model m;
	/* the groups' series and dense counts while a model is built */
	struct prom_series *groups;
	size_t ngroups, groups_cap;
	/*
	 * The admitted processes' own buckets, copied from the entries the
	 * aggregate put together for the build (they last a call): one a
	 * series, kept from scrape to scrape; nfine in use, fine_alloc made.
	 */
	struct ntf_buckets **fine;
	size_t nfine, fine_alloc, fine_cap;
	struct prom_dense **dense; /* dense_alloc of them allocated, ndense in use */
	size_t ndense, dense_alloc, dense_cap;
	struct prom_text_scratch *text;
	struct prom_pb_scratch *pb;
};

/* The series of counters and native histograms: per process, or the classic ones. */
static inline const struct prom_series *prom_model_series(const struct prom_model *m, size_t *n)
{
	*n = m->per_process ? m->n : m->nclassic;
	return m->per_process ? m->s : m->classic;
}

/* Builds x->m from agg: 0 or -ENOMEM. */
int prom_model_build(struct prom_exporter *x, const struct ntf_agg *agg);

/* Labels of a series: callback's driver and function names. */
const char *prom_callback_label(__u32 callback);

/* Fine buckets of a series, in order, the zero bucket first: calls fn(index, count). */
typedef void (*prom_bucket_fn)(void *ctx, __u32 index, __u64 count);
void prom_series_buckets(const struct prom_series *s, prom_bucket_fn fn, void *ctx);

/* A label value made safe: printable ASCII only, others as '?'. */
void prom_clean_label(char *dst, const char *src, size_t size);

/* v in decimal at dst, no NUL: its length (at most 20). */
size_t prom_fmt_u64(char *dst, __u64 v);

/* Makes room for n elements of size each at *p (capacity *cap): 0 or -ENOMEM. */
int prom_grow(void *p, size_t *cap, size_t n, size_t size);

#endif
