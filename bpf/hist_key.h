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

static inline __u32 ntf_blockable_key(const struct ntf_event *e)
{
	if (e->class != NTF_CLASS_INVAL_START && e->class != NTF_CLASS_INVAL_END &&
	    e->class != NTF_CLASS_CALLBACK)
		return NTF_BLK_NONE;
	if (e->flags & NTF_F_BLOCKABLE_UNKNOWN)
		return NTF_BLK_UNKNOWN;
	return e->flags & NTF_F_BLOCKABLE ? NTF_BLK_YES : NTF_BLK_NO;
}

#endif
