/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What notifier hist's two sources share (cmd_hist*.c only): its options,
 * and one report's output, so that histograms read from the kernel
 * (cmd_hist.c) and built from a trace file's events (cmd_hist_file.c)
 * print alike.
 */
#ifndef NTF_CMD_HIST_H
#define NTF_CMD_HIST_H

#include <stdbool.h>
#include <jansson.h>
#include <linux/types.h>
#include "aggregate.h"
#include "common_args.h"
#include "groups.h"
#include "hist_input.h"
#include "probe_points.h"
#include "top_filter.h"

struct hist_args {
	struct ntf_common_args c;
	__u64 interval_ms, count;
	unsigned int by; /* enum ntf_by; 0: the classic report */
	struct top_filter filter;
	bool filtered;
	const char *svg, *html, *title; /* pictures written at the end */
	struct ntf_hist_run *run; /* each report kept for them */
	const char *input; /* --input: a trace file's events instead of the kernel's */
};

/* One report's histograms: the classic aggregate, or --by's groups. */
struct hist_report {
	struct ntf_agg *agg;
	struct ntf_groups *groups; /* with --by, else NULL */
	const struct ntf_probe_state *probes;
	double ts; /* wall-clock seconds at the report's end */
	__u64 elapsed_ms; /* how long it covers */
	__u64 drops; /* events not aggregated (the kernel's hist map full) */
};

/* Empty histograms for a's report: 0, or -1 after saying why. */
int hist_report_init(struct hist_report *r, const struct hist_args *a);
void hist_report_fini(struct hist_report *r);
/* Keeps r for the pictures when a asks for some: 0, or -1 after saying why. */
int hist_report_keep(const struct hist_args *a, const struct hist_report *r);
/*
 * r as a JSON object: its histograms, probes, ts and elapsed_ms. The
 * caller adds what only its source knows, then hist_json_print()s it.
 */
json_t *hist_report_json(const struct hist_args *a, const struct hist_report *r);
void hist_json_print(json_t *root);
/* r as text, after its "--- 14:02:07, 1.0 s ---" line. */
void hist_report_text(const struct hist_args *a, const struct hist_report *r);
/* --svg and --html at the end of a run: 0, or -1 after saying why. */
int hist_write_pictures(const struct hist_args *a);

/* notifier hist --input: the whole run over a trace file; the exit status. */
int hist_run_file(const struct hist_args *a);

#endif
