/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Plain-text and JSON twins of what hist and notifierd print. */
#ifndef NTF_REPORT_H
#define NTF_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include <jansson.h>
#include "aggregate.h"
#include "histogram.h"
#include "probe_points.h"

struct ntf_report_opts {
	enum ntf_unit unit;
	bool per_process;
	bool graphs; /* star graphs under each class */
	bool fine_graphs; /* the graphs over fine buckets, not log2 slots */
	unsigned int class_mask; /* 1 << class; 0 means every class */
	const char *source; /* text: named after each class instead of probes, e.g. "synthetic" */
};

/* Whether opts' -e keeps class (no -e: every class). */
static inline bool ntf_report_wants_class(const struct ntf_report_opts *opts, unsigned int class)
{
	return !opts->class_mask || (opts->class_mask & (1u << class));
}

void ntf_report_text(FILE *out, const struct ntf_agg *agg, const struct ntf_probe_state *probes,
		     const struct ntf_report_opts *opts);
json_t *ntf_report_json(const struct ntf_agg *agg, const struct ntf_probe_state *probes,
			const struct ntf_report_opts *opts);
json_t *ntf_probes_json(const struct ntf_probe_state *probes);
/*
 * One histogram's numbers; its percentiles from fine (NULL or empty: the
 * log2 slots, and "quantiles": "log2" says so).
 */
json_t *ntf_hist_json(const struct ntf_hist *h, const struct ntf_buckets *fine);
json_t *ntf_counters_json(const __u64 *counters);
/* "  count N  avg ..  min ..  p50 .. p90 .. p99 .. p99.9 ..  max .." line of one histogram. */
void ntf_hist_summary(FILE *out, const struct ntf_hist *h, const struct ntf_buckets *fine,
		      unsigned int class);
/* The p-quantile in ns, from fine when it has buckets, else from h's log2 slots. */
double ntf_hist_pct(const struct ntf_hist *h, const struct ntf_buckets *fine, double p);

struct ntf_groups;
/*
 * `hist --by`: one histogram per group, named by its dimensions as
 * "driver=i915 event=callback origin=fault" (what label() writes; the
 * JSON's "by" object holds the same pairs).
 */
void ntf_groups_text(FILE *out, const struct ntf_groups *g, const struct ntf_report_opts *opts);
json_t *ntf_groups_json(const struct ntf_groups *g, const struct ntf_report_opts *opts);
struct ntf_hist_report;
/*
 * The groups as a report of a run (hist_input.h), labelled as the JSON
 * reader labels "groups", for the pictures of a live `hist --by`. 0 or
 * -ENOMEM (out left empty).
 */
int ntf_groups_report(const struct ntf_groups *g, const struct ntf_report_opts *opts, double ts,
		      __u64 elapsed_ms, struct ntf_hist_report *out);

#endif
