/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A run built in memory as `notifier hist` goes, in the shape of one read
 * back from its -j output (hist_input.h), so a live run is drawn as a
 * saved one is.
 */
#ifndef NTF_HIST_FROM_AGG_H
#define NTF_HIST_FROM_AGG_H

#include <linux/types.h>
#include "aggregate.h"
#include "hist_input.h"

/*
 * The report of agg as ntf_report_json prints it, read back: a group per
 * class that has events, labelled with the class name ("inval_start"),
 * and one per driver of the callback class ("callback driver=i915"),
 * each with its fine buckets. class_mask as ntf_report_opts' (1 << class;
 * 0: every class); ts the wall-clock seconds at its end, elapsed_ms its
 * length. 0 or -ENOMEM (out left empty).
 */
int ntf_hist_report_from_agg(const struct ntf_agg *agg, unsigned int class_mask, double ts,
			     __u64 elapsed_ms, struct ntf_hist_report *out);
/*
 * Moves r to the end of run (r is left empty, its memory run's); 0 or
 * -ENOMEM (r left as it was).
 */
int ntf_hist_run_append(struct ntf_hist_run *run, struct ntf_hist_report *r);

#endif
