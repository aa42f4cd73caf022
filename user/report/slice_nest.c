// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "slice_nest.h"

enum ntf_nest_place ntf_nest_place(struct ntf_nest *n, __u64 start, __u64 *end)
{
	unsigned int depth = n->depth;
	bool clamped = false;

	if (n->started && start < n->last_start)
		return NTF_NEST_LATE;
	/* a slice that ends where this one starts is before it, not around it */
	while (depth && n->end[depth - 1] <= start)
		depth--;
	if (depth == NTF_NEST_DEPTH)
		return NTF_NEST_DEEP;
	if (depth && *end > n->end[depth - 1]) {
		*end = n->end[depth - 1];
		clamped = true;
	}
	n->end[depth] = *end;
	n->depth = depth + 1;
	n->last_start = start;
	n->started = true;
	return clamped ? NTF_NEST_CLAMPED : NTF_NEST_FITS;
}
