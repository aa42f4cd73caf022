/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * How one event counts in a struct ntf_hist, but for its log2 slot: BPF's
 * in-kernel histograms and user space's aggregate count with these
 * functions, so the two cannot disagree. Like notifier.h it needs neither
 * vmlinux.h nor libc.
 */
#ifndef NTF_HIST_COUNT_H
#define NTF_HIST_COUNT_H

#include "notifier.h"
#include "hist_key.h"

/*
 * Defines name_ns (a latency's count, sum and extremes) and name (an
 * event's latency, failure, nesting, non-blockable range and pages) for a
 * struct with struct ntf_hist's counters: user space keeps them apart
 * from the slots too (core/histogram.h's struct ntf_hist_counts).
 */
#define NTF_DEFINE_HIST_COUNT(name, type)                                        \
	static inline void name##_ns(type *h, __u64 ns)                          \
	{                                                                        \
		if (!h->count || ns < h->min_ns)                                 \
			h->min_ns = ns;                                          \
		h->count++;                                                      \
		h->sum_ns += ns;                                                 \
		if (ns > h->max_ns)                                              \
			h->max_ns = ns;                                          \
	}                                                                        \
	static inline void name(type *h, const struct ntf_event *e, __u64 pages) \
	{                                                                        \
		name##_ns(h, e->latency_ns);                                     \
		/* added, not tested: a test per class would be mispredicted */  \
		h->failures += !!(e->flags & NTF_F_FAILED);                      \
		h->nested += !!(e->flags & NTF_F_NESTED);                        \
		h->nonblock += ntf_range_nonblocking(e);                         \
		h->pages += pages;                                               \
	}

NTF_DEFINE_HIST_COUNT(ntf_hist_count, struct ntf_hist)

#endif
