/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Log2 latency histograms: the same layout BPF fills in struct ntf_hist. */
#ifndef NTF_HISTOGRAM_H
#define NTF_HISTOGRAM_H

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <linux/types.h>
#include "notifier.h"
#include "hist_count.h"

/* Inline: the aggregate takes every event's. */
static inline unsigned int ntf_hist_slot(__u64 ns)
{
	unsigned int slot = ns ? 63 - __builtin_clzll(ns) : 0;

	return slot < NTF_HIST_SLOTS ? slot : NTF_HIST_SLOTS - 1;
}
/* Lowest and highest value a slot holds. */
__u64 ntf_hist_slot_low(unsigned int slot);
__u64 ntf_hist_slot_high(unsigned int slot);

void ntf_hist_add(struct ntf_hist *h, __u64 ns);
/*
 * One event as the kernel counts it: its latency, and its failure,
 * nesting, non-blockable range and pages (pins: those pinned; unpins:
 * those unpinned; unmaps: the notifier calls they caused).
 */
void ntf_hist_add_event(struct ntf_hist *h, const struct ntf_event *e);
/* An event's pages, as ntf_hist_add_event counts them (0 for classes without). */
static inline __u64 ntf_event_pages(const struct ntf_event *e)
{
	/*
	 * what the probes hand aggregate_event as its pages; every field
	 * read, then chosen, as classes come mixed and tests by class would
	 * be mispredicted
	 */
	__u64 pinned = e->ret > 0 ? (__u64)e->ret : 0, unpinned = e->pin.nr_pages;
	__u64 calls = e->unmap.notifier_calls, pages = 0;

	pages = e->class == NTF_CLASS_PIN ? pinned : pages;
	pages = e->class == NTF_CLASS_UNPIN ? unpinned : pages;
	pages = e->class == NTF_CLASS_UNMAP ? calls : pages;
	return pages;
}

/*
 * ntf_hist_add_event but for its log2 slot, which the caller counts
 * (core/stage.h); inline for the aggregate's hot path.
 */
static inline void ntf_hist_count_event(struct ntf_hist *h, const struct ntf_event *e)
{
	ntf_hist_count(h, e, ntf_event_pages(e));
}
void ntf_hist_merge(struct ntf_hist *dst, const struct ntf_hist *src);

/*
 * struct ntf_hist without its log2 slots: for copies that keep slots only
 * where fine buckets cannot stand for them (notifier-top's snapshot and
 * deltas), 64 bytes where a whole one takes 352.
 */
struct ntf_hist_counts {
	__u64 count, sum_ns, max_ns, min_ns, failures, pages, nested, nonblock;
};

_Static_assert(offsetof(struct ntf_hist, slots) == sizeof(struct ntf_hist_counts),
	       "the counters lead struct ntf_hist, in the same order");

/* ntf_hist_counts_count(c, e, pages): as ntf_hist_count counts in a struct ntf_hist */
NTF_DEFINE_HIST_COUNT(ntf_hist_counts_count, struct ntf_hist_counts)

static inline void ntf_hist_counts_count_event(struct ntf_hist_counts *c, const struct ntf_event *e)
{
	ntf_hist_counts_count(c, e, ntf_event_pages(e));
}

static inline void ntf_hist_counts_of(struct ntf_hist_counts *c, const struct ntf_hist *h)
{
	memcpy(c, h, sizeof(*c));
}

/* h := c with empty slots. */
static inline void ntf_hist_of_counts(struct ntf_hist *h, const struct ntf_hist_counts *c)
{
	memcpy(h, c, sizeof(*c));
	memset(h->slots, 0, sizeof(h->slots));
}

/* dst += src, its counters alone (ntf_hist_merge's without slots). */
void ntf_hist_counts_merge(struct ntf_hist_counts *dst, const struct ntf_hist_counts *src);

/* dst = a - b, for deltas between two reads of growing counters. */
void ntf_hist_sub(struct ntf_hist *dst, const struct ntf_hist *a, const struct ntf_hist *b);

/*
 * The p-quantile (0 < p <= 1) in ns, interpolated linearly inside the log2
 * slot that holds it and never above the exact max. 0 for an empty one.
 */
__u64 ntf_hist_quantile(const struct ntf_hist *h, double p);

enum ntf_unit { NTF_UNIT_NS, NTF_UNIT_US, NTF_UNIT_MS };

/* bcc funclatency-style star graph of the non-empty slot range. */
void ntf_hist_print(FILE *out, const struct ntf_hist *h, enum ntf_unit unit);
struct ntf_buckets;
/* The same graph over fine buckets (core/buckets.h): the non-empty ones, (low, high]. */
void ntf_buckets_print(FILE *out, const struct ntf_buckets *bs, enum ntf_unit unit);
/* "1.5ms", "230us", "812ns": three significant figures. */
void ntf_format_ns(char *buf, size_t size, __u64 ns);

#endif
