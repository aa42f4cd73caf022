/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Histograms grouped by the dimensions a user names (`hist --by
 * driver,process,...`): every in-kernel key is projected onto the chosen
 * dimensions, and keys that then agree are summed, fine buckets too.
 */
#ifndef NTF_GROUPS_H
#define NTF_GROUPS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "buckets.h"
#include "notifier.h"

/* The dimensions, in the order a group's label names them. */
enum ntf_by {
	NTF_BY_DRIVER = 1u << 0,
	NTF_BY_EVENT = 1u << 1,
	NTF_BY_PROCESS = 1u << 2,
	NTF_BY_CGROUP = 1u << 3,
	NTF_BY_ORIGIN = 1u << 4,
	NTF_BY_BLOCKABLE = 1u << 5,
};

/*
 * "driver,process": the mask, or -EINVAL with the unknown word in err.
 * The event class is always a dimension (NTF_BY_EVENT is added): an
 * invalidate's time holds its callbacks', so sums across classes would
 * count time twice.
 */
int ntf_by_parse(const char *s, unsigned int *mask, char *err, size_t errlen);
const char *ntf_blockable_name(unsigned int blockable);

struct ntf_group {
	/* projected: what no dimension keeps is 0 (origin: NTF_ORIGIN_MAX) */
	struct ntf_hist_key key;
	char comm[NTF_COMM_LEN];
	struct ntf_hist hist;
	struct ntf_buckets fine;
};

struct ntf_groups;

struct ntf_groups *ntf_groups_new(unsigned int by);
void ntf_groups_free(struct ntf_groups *g);
unsigned int ntf_groups_by(const struct ntf_groups *g);
/* An in-kernel key's histogram (comm may be NULL); 0 or -ENOMEM. */
int ntf_groups_add_hist(struct ntf_groups *g, const struct ntf_hist_key *key,
			const struct ntf_hist *h, const char *comm);
/* One event under key (the key the kernel would have given it: core/event_key.h); 0 or -ENOMEM. */
int ntf_groups_add_event(struct ntf_groups *g, const struct ntf_hist_key *key,
			 const struct ntf_event *e);
int ntf_groups_add_bucket(struct ntf_groups *g, const struct ntf_hist_key *key, __u32 bucket,
			  __u64 n);
/*
 * The groups with events, by class, then by count, largest first: an
 * array the caller frees, of pointers valid until the next add. NULL
 * only when out of memory.
 */
const struct ntf_group **ntf_groups_sorted(const struct ntf_groups *g, size_t *n);

#endif
