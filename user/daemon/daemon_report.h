/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What notifierd prints: a stats line per interval (-S) and a summary on exit. */
#ifndef NTF_DAEMON_REPORT_H
#define NTF_DAEMON_REPORT_H

#include <linux/types.h>
#include "aggregate.h"
#include "common_args.h"
#include "notifier.h"
#include "tracer.h"

struct daemon_state {
	struct ntf_agg *agg;
	/* NULL with --synthetic: no probes, and no BPF maps to read counters from */
	struct tracer *t;
	__u64 events; /* delivered by the stream */
	__u64 per_class[NTF_CLASS_MAX];
};

/* Rates per class since prev_class, elapsed_ms ago; the drop counters when traced. */
void ntf_daemon_stats(const struct ntf_common_args *c, const struct daemon_state *st,
		      const __u64 prev_class[NTF_CLASS_MAX], __u64 elapsed_ms);
/* The whole run: the stream's aggregate, and the in-kernel one when traced. */
void ntf_daemon_summary(const struct ntf_common_args *c, const struct daemon_state *st,
			__u64 elapsed_ms);

#endif
