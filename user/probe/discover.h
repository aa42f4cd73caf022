/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Subscriber discovery: runs the task iterator of bpf/discover.bpf.c and
 * returns the callback addresses the live registrations of every mm point
 * at, for the callback table to symbolise and attach.
 */
#ifndef NTF_DISCOVER_H
#define NTF_DISCOVER_H

#include <stddef.h>
#include <linux/types.h>
#include "notifier.h"

struct ntf_found_callback {
	__u64 addr;
	struct ntf_discovered d;
};

struct ntf_discovery;

/*
 * Loads the iterator. On failure returns a negative errno and says why in
 * why[len] (no BTF, refused by lockdown or an LSM, ...).
 */
int ntf_discovery_new(struct ntf_discovery **out, char *why, size_t len);
void ntf_discovery_free(struct ntf_discovery *d);
/*
 * One pass over every process. Fills found[max] and returns how many, or a
 * negative errno; *dropped counts callbacks that did not fit the map.
 */
int ntf_discovery_run(struct ntf_discovery *d, struct ntf_found_callback *found, size_t max,
		      __u64 *dropped);

#endif
