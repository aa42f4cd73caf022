/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A file's kernel stacks (format 1.2): a table of frames and a table of
 * stacks as lists of frame ids, each defined once, in STACKS blocks
 * before the events that name them. The writer finds a stack it already
 * defined by content (frames, then the list of their ids); the reader
 * only appends what each block defines. Ids are implicit: the n-th frame
 * the file defines is frame n, the n-th stack stack n, from 1.
 */
#ifndef NTF_REC_STACKS_H
#define NTF_REC_STACKS_H

#include <stddef.h>
#include <linux/types.h>
#include "rec_codec.h"
#include "record.h"

/* Frames and stacks a writer defines in one STACKS block at most. */
#define REC_STACKS_BLOCK_ENTRIES 4096

struct rec_stacks {
	struct ntf_rec_frame *frames; /* frame id - 1 */
	__u32 nframes, frames_cap;
	__u32 *levels; /* every stack's frame ids, one stack after the other */
	__u32 nlevels, levels_cap;
	__u32 *first; /* stack id - 1: where its frame ids start in levels; one more at the end */
	__u32 nstacks, stacks_cap;
	/* the writer's: id by hash (0 free), and what no STACKS block has defined yet */
	__u32 *frame_slots, *stack_slots;
	__u32 nframe_slots, nstack_slots;
	__u32 written_frames, written_stacks;
};

void rec_stacks_free(struct rec_stacks *s);
/* The id of frames[0..n), defined if new: 0, -EINVAL, -ENOSPC or -ENOMEM. */
int rec_stacks_add(struct rec_stacks *s, const struct ntf_rec_frame *frames, unsigned int n,
		   __u32 *id);
/* Frames and stacks defined since the last rec_stacks_encode: a STACKS block's count. */
__u32 rec_stacks_pending(const struct rec_stacks *s);
/* The STACKS payload defining them into b (emptied first), and they count as written. */
void rec_stacks_encode(struct rec_stacks *s, struct rec_buf *b);
/*
 * Appends what a STACKS payload defines. 0; -EBADMSG with why and *at
 * (the offset in the payload) naming what is wrong, nothing added; or
 * -ENOMEM.
 */
int rec_stacks_decode(struct rec_stacks *s, const __u8 *p, size_t n, char *why, size_t len,
		      size_t *at);
/* The frames of stack id into out (at most max): their number, or -ENOENT. */
int rec_stacks_get(const struct rec_stacks *s, __u32 id, struct ntf_rec_frame *out,
		   unsigned int max);

#endif
