/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A recording's kernel stacks: an event's stack taken from the BPF stack
 * map (probe/stack_reader.h), kept in the file by content, and the event
 * pointed at the file's stack instead of the kernel's id, which means
 * nothing on another machine or after the map is gone.
 */
#ifndef NTF_RECORD_STACKS_H
#define NTF_RECORD_STACKS_H

#include <linux/types.h>
#include "notifier.h"
#include "record.h"

struct tracer;
struct ntf_record_stacks;

struct ntf_record_stacks_stats {
	__u64 kept; /* events written with a stack */
	__u64 lost; /* events whose stack was due but is not in the file (NTF_F_STACK_LOST) */
};

/*
 * e's kernel stack (e->stack_id the stack map's) as a file keeps it, into
 * frames (NTF_REC_MAX_DEPTH of them): the traced function first, then
 * the return addresses, symbolized. Their number; 0 when e has none; or
 * a negative errno when it was due but cannot be read (gone from the
 * map): the caller marks e NTF_F_STACK_LOST.
 */
int ntf_record_stack_read(struct ntf_record_stacks *rs, const struct ntf_event *e,
			  struct ntf_rec_frame *frames);
/* Over the tracer's stack map; NULL when out of memory. */
struct ntf_record_stacks *ntf_record_stacks_new(const struct tracer *t);
void ntf_record_stacks_free(struct ntf_record_stacks *rs);
/*
 * e's stack_id, from the kernel's to w's own (ntf_rec_stack_add), before
 * e is written. A stack that cannot be kept (gone from the map, the file
 * full of stacks) leaves e without one, marked NTF_F_STACK_LOST. 0, or
 * the writer's sticky error.
 */
int ntf_record_stack(struct ntf_record_stacks *rs, struct ntf_rec_writer *w, struct ntf_event *e);
void ntf_record_stacks_stats(const struct ntf_record_stacks *rs,
			     struct ntf_record_stacks_stats *st);

#endif
