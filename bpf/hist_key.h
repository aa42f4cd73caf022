/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * How a histogram key splits invalidates by whether their range may
 * sleep (`hist --by blockable`): BPF keys a live event by it, user space a
 * recorded one (`hist --input`), with this one function, so the two
 * cannot disagree. Like notifier.h it needs neither vmlinux.h nor libc.
 */
#ifndef NTF_HIST_KEY_H
#define NTF_HIST_KEY_H

#include "notifier.h"

/* The classes whose events have a range that may or may not sleep. */
#define NTF_RANGE_CLASSES \
	(1u << NTF_CLASS_INVAL_START | 1u << NTF_CLASS_INVAL_END | 1u << NTF_CLASS_CALLBACK)

/* 1 when e's class has such a range; by arithmetic, as classes come mixed. */
static inline __u32 ntf_has_range_blockable(const struct ntf_event *e)
{
	return (e->class < 32) & (NTF_RANGE_CLASSES >> (e->class & 31)) & 1;
}

/* 1 when e's range may not sleep: ntf_blockable_key(e) == NTF_BLK_NO, with no branch. */
static inline __u32 ntf_range_nonblocking(const struct ntf_event *e)
{
	return ntf_has_range_blockable(e) &
	       !(e->flags & (NTF_F_BLOCKABLE_UNKNOWN | NTF_F_BLOCKABLE));
}

static inline __u32 ntf_blockable_key(const struct ntf_event *e)
{
	if (!ntf_has_range_blockable(e))
		return NTF_BLK_NONE;
	if (e->flags & NTF_F_BLOCKABLE_UNKNOWN)
		return NTF_BLK_UNKNOWN;
	return e->flags & NTF_F_BLOCKABLE ? NTF_BLK_YES : NTF_BLK_NO;
}

#endif
