/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Saved `notifier hist -j` output read back: one report per JSON line (one
 * per interval with -i), each a list of labelled histograms with their fine
 * buckets. What --compare and the pictures (--svg, --html) work from.
 */
#ifndef NTF_HIST_INPUT_H
#define NTF_HIST_INPUT_H

#include <stdio.h>
#include <linux/types.h>
#include "buckets.h"
#include "notifier.h"

/*
 * One histogram of a report: a class ("classes"), a driver's callbacks
 * ("drivers"), or a --by group ("groups"). label is how a person names
 * it and how two runs' groups are matched: "inval_start",
 * "callback driver=i915", "driver=i915 event=callback origin=fault".
 */
struct ntf_hist_group {
	char label[192];
	unsigned int class; /* enum ntf_class; NTF_CLASS_NONE when a group spans classes */
	struct ntf_hist hist; /* count, sum, min, max, failures, ... and the log2 slots */
	struct ntf_buckets fine; /* empty when the file had none ("quantiles": "log2") */
};

struct ntf_hist_report {
	double ts; /* seconds since the epoch at the report's end; 0 when absent */
	__u64 elapsed_ms; /* the interval it covers */
	struct ntf_hist_group *groups;
	size_t n;
};

struct ntf_hist_run {
	char name[256]; /* the file it came from */
	struct ntf_hist_report *reports;
	size_t n;
};

/*
 * Reads every report of in (JSON lines as `notifier hist -j` prints them).
 * Returns 0, or -EINVAL with one line in err naming the line, the field
 * and the reason ("b.json: line 3: classes.pin.buckets[2]: not a pair");
 * -ENOMEM. A file with no report is an error too. run is left empty on error.
 */
int ntf_hist_run_read(FILE *in, const char *name, struct ntf_hist_run *run, char *err,
		      size_t errlen);
/*
 * A new zeroed group at the end of r, whose groups array holds *cap
 * (grown by doubling); NULL when out of memory.
 */
struct ntf_hist_group *ntf_hist_report_add(struct ntf_hist_report *r, size_t *cap);
/* The group labelled label in report r, or NULL. */
const struct ntf_hist_group *ntf_hist_report_find(const struct ntf_hist_report *r,
						  const char *label);
/*
 * Every report of run merged into one (counts and buckets added, min and
 * max kept, groups matched by label), for a run recorded with -i.
 */
int ntf_hist_run_total(const struct ntf_hist_run *run, struct ntf_hist_report *out);
void ntf_hist_report_free(struct ntf_hist_report *r);
void ntf_hist_run_free(struct ntf_hist_run *run);

#endif
