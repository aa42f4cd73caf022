/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What notifierd prints: a stats line per interval (-S) and a summary on exit. */
#ifndef NTF_DAEMON_REPORT_H
#define NTF_DAEMON_REPORT_H

#include <stdio.h>
#include <linux/types.h>
#include "aggregate.h"
#include "common_args.h"
#include "daemon_ops.h"
#include "daemon_policy.h"
#include "daemon_record.h"
#include "notifier.h"
#include "tracer.h"

struct daemon_state {
	struct ntf_agg *agg;
	/* NULL with --synthetic: no probes, and no BPF maps to read counters from */
	struct tracer *t;
	__u64 events; /* delivered by the stream */
	bool full_stream; /* every event; else (-H) what passed the rules' gates, or none */
	__u64 per_class[NTF_CLASS_MAX];
	struct daemon_rec *rec; /* --record, --flight; NULL: none */
	struct daemon_policy *policy; /* --rules; NULL: none */
	struct daemon_ops *ops; /* --policy; NULL: none */
	__u64 now_ns; /* the loop's clock, as of its last turn */
};

/*
 * What a report of a traced run read from the BPF maps, apart from the
 * printing so that reads that failed can be shown (and tested) as such.
 */
struct ntf_daemon_kernel {
	const struct ntf_probe_state *probes;
	const struct ntf_callbacks *callbacks; /* NULL: none listed */
	__u64 watch_overflow; /* registrations the watch could not keep */
	int counters_err; /* 0, or the negative errno that left counters unread */
	__u64 counters[NTF_CNT_MAX];
	int hists_err; /* 0, or the negative errno that left hists NULL */
	struct ntf_agg *hists; /* the in-kernel aggregate; the caller frees it */
};

/* Reads a counters map into k, or sets k->counters_err. */
void ntf_daemon_read_counters(struct ntf_daemon_kernel *k, int counters_fd);
/* Reads a hists map into a new k->hists, or sets k->hists_err. */
void ntf_daemon_read_hists(struct ntf_daemon_kernel *k, int hists_fd, int buckets_fd, int comms_fd);

/*
 * Rates per class since prev_class, elapsed_ms ago; the drop counters of k,
 * which is NULL when nothing is traced (--synthetic).
 */
void ntf_daemon_stats_print(FILE *out, const struct ntf_common_args *c,
			    const struct daemon_state *st, const struct ntf_daemon_kernel *k,
			    const __u64 prev_class[NTF_CLASS_MAX], __u64 elapsed_ms);
/* The whole run: the stream's aggregate, and with k the in-kernel one. */
void ntf_daemon_summary_print(FILE *out, const struct ntf_common_args *c,
			      const struct daemon_state *st, const struct ntf_daemon_kernel *k,
			      __u64 elapsed_ms);

/* The above on stdout, after reading st->t's maps when there is a tracer. */
void ntf_daemon_stats(const struct ntf_common_args *c, const struct daemon_state *st,
		      const __u64 prev_class[NTF_CLASS_MAX], __u64 elapsed_ms);
void ntf_daemon_summary(const struct ntf_common_args *c, const struct daemon_state *st,
			__u64 elapsed_ms);

#endif
