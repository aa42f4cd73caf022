/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The open EVENTS block: each event split into streams as it comes (one
 * per field or group of like fields, each value a varint, most of them a
 * difference from the previous event of the block), the task it ran in
 * an id into a table the block defines as it goes; then the block
 * encoded, compressed and framed in memory by rec_enc_block. The file
 * writer and the flight recorder both make their blocks so: a block a
 * snapshot holds is one the writer could have written.
 */
#ifndef NTF_REC_ENC_H
#define NTF_REC_ENC_H

#include <stdbool.h>
#include <linux/types.h>
#include "notifier.h"
#include "rec_block.h"
#include "trace_format.h"

/* What one event may take in all streams together (about 150 bytes at most). */
#define REC_EVENT_MAX_BYTES 256
/* The streams' length is looked at every this many events, not at each. */
#define REC_SIZE_CHECK_EVERY 64
/* The most encoded bytes a caller may ask a block to hold. */
#define REC_MAX_BLOCK_BYTES (NTR_MAX_RAW / 2)
_Static_assert(REC_MAX_BLOCK_BYTES + REC_SIZE_CHECK_EVERY * REC_EVENT_MAX_BYTES + 1024 <=
		       NTR_MAX_RAW,
	       "a block can outgrow what readers accept");

struct rec_task {
	__u32 pid, tgid;
	__u64 mm, cgroup_id;
	char comm[NTF_COMM_LEN];
};

struct rec_enc {
	struct rec_buf s[NTR_S_MAX];
	__u32 nevents;
	__u64 ts_min, ts_max;
	__u64 prev_ts, prev_end, prev_addr, prev_mm, prev_seqno;
	__u32 prev_flags[NTF_CLASS_MAX];
	bool any_stack; /* an event names a stack: the stack stream goes into the block */
	struct rec_task *tasks;
	__u32 ntasks, tasks_cap, last_task;
	__u32 *slots; /* task id + 1 by hash; 0: free */
	__u32 nslots;
};

/* Whether an event is one ntf_decode would take (and so a reader will). */
bool rec_event_valid(const struct ntf_event *e);
/*
 * e without the kernel's stack id, which would name another stack of a
 * file, or none: e itself when it has none, else a copy in *scratch.
 */
static inline const struct ntf_event *rec_event_unstacked(const struct ntf_event *e,
							  struct ntf_event *scratch)
{
	if (!e->stack_id)
		return e;
	*scratch = *e;
	scratch->stack_id = 0;
	return scratch;
}

/* An empty block (e zeroed before, or freed). */
void rec_enc_init(struct rec_enc *e);
void rec_enc_free(struct rec_enc *e);
/* Adds a valid event: 0, or -ENOMEM (the block is then not to be used). */
int rec_enc_add(struct rec_enc *e, const struct ntf_event *ev);
/*
 * Whether the block should be cut now: block_events events, the task
 * table full, or (looked at every REC_SIZE_CHECK_EVERY events)
 * block_bytes encoded bytes.
 */
bool rec_enc_full(const struct rec_enc *e, __u32 block_events, __u32 block_bytes);
/* The encoded bytes the block's streams hold. */
size_t rec_enc_bytes(const struct rec_enc *e);
/*
 * The block, numbered seq, into out (header and payload; raw is scratch,
 * left holding the uncompressed payload), and the encoder emptied.
 * Nothing to do without events (out->len 0). 0, -ENOMEM or -E2BIG; on
 * an error the block's events are lost and the encoder is emptied all
 * the same.
 */
int rec_enc_block(struct rec_enc *e, struct rec_zip *z, __u32 seq, struct rec_buf *raw,
		  struct rec_buf *out);

#endif
