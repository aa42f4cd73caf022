/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * User-space aggregation of streamed events, keyed by event class x
 * subscriber x process. Bounded: past max_keys, new processes fold into
 * one "other" key per class and subscriber, so memory stays flat.
 */
#ifndef NTF_AGGREGATE_H
#define NTF_AGGREGATE_H

#include <stddef.h>
#include <linux/types.h>
#include "notifier.h"

#define NTF_AGG_OTHER_TGID 0xffffffffu

struct ntf_agg_entry {
	struct ntf_hist_key key;
	char comm[NTF_COMM_LEN];
	__u64 origins[NTF_ORIGIN_MAX];
	struct ntf_hist hist;
};

struct ntf_agg;

struct ntf_agg *ntf_agg_new(size_t max_keys);
void ntf_agg_free(struct ntf_agg *agg);
int ntf_agg_add(struct ntf_agg *agg, const struct ntf_event *e);
/*
 * Adds an in-kernel histogram read from the BPF map under its key; comm
 * (may be NULL) names the process if the entry has no name yet.
 */
int ntf_agg_add_hist(struct ntf_agg *agg, const struct ntf_hist_key *key,
		     const struct ntf_hist *h, const char *comm);
size_t ntf_agg_count(const struct ntf_agg *agg);
/* Events folded into "other" keys because max_keys was reached. */
__u64 ntf_agg_folded(const struct ntf_agg *agg);

typedef int (*ntf_agg_visit_fn)(const struct ntf_agg_entry *entry, void *ctx);
/* Visits every entry; stops at and returns the first non-zero result. */
int ntf_agg_foreach(const struct ntf_agg *agg, ntf_agg_visit_fn fn, void *ctx);
/* Sums every process of a class into *out (all subscribers). */
void ntf_agg_class_total(const struct ntf_agg *agg, unsigned int class, struct ntf_hist *out);
void ntf_agg_reset(struct ntf_agg *agg);

#endif
