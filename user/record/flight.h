/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The flight recorder: notifierd --flight SECS|SIZE. The last events
 * are kept in memory, compressed, and written to a trace file when
 * something asks (a signal, the socket, a policy rule): what led up to
 * an incident, without recording everything all the time.
 *
 * Events go into an open block; a block closes at block_events events or
 * block_bytes encoded bytes (the writer's bounds), or once its events
 * span block_ns of event time (1 s): it is then encoded, compressed and
 * framed exactly as the file writer does (rec_enc.c), and kept. The
 * oldest kept blocks are let go when the window is exceeded:
 *
 *  - time (window_ns): a block whose newest event is more than window_ns
 *    older than the newest event seen. The window is in event time
 *    (ts_ns, CLOCK_MONOTONIC), not the wall clock: after a quiet hour a
 *    snapshot holds the last window of activity, not nothing.
 *  - size (max_bytes): while the kept blocks take more than max_bytes,
 *    compressed, as they would in the file.
 *
 * Both may be set (a time window with a memory cap); one must be.
 *
 * ntf_flight_snapshot closes the open block and writes every kept block
 * into a complete trace file (preamble, META saying the trigger and the
 * window, the blocks, index, trailer), to path.tmp, fsync()ed, then
 * renamed to path: a reader never sees half a snapshot. With a time
 * window the snapshot is exact: the blocks that straddle its start are
 * decoded and encoded again with only the events at most window_ns older
 * than the newest (they are trimmed so in memory too: those events can
 * never come back into the window). Kept blocks are written as they are,
 * without being compressed again, so a snapshot costs about a write() of
 * its bytes; bench_record measures it.
 *
 * Memory: the kept blocks (at most max_bytes with a size window; with a
 * time window only, the compressed size of window_ns plus block_ns of
 * events, which depends on the rate: set max_bytes too to bound it),
 * plus the open block (at most block_bytes encoded, plus 16 KiB), two
 * buffers of about block_bytes for framing, the block's task table
 * (40 bytes a task, at most 65,536 tasks), META (17 KiB) and zstd's
 * context (ZSTD_estimateCCtxSize(level): about 0.6 MiB at level 1, 1.3
 * MiB at level 3). ntf_flight_stats gives what is held now.
 *
 * One thread at a time; nothing blocks but the snapshot's file.
 */
#ifndef NTF_FLIGHT_H
#define NTF_FLIGHT_H

#include <linux/types.h>
#include "record.h"

/* How much event time a block spans at most, unless told: the time window's granularity in memory. */
#define NTF_FLIGHT_BLOCK_NS 1000000000ULL

struct ntf_flight_opts {
	__u64 window_ns; /* keep events at most this much older than the newest; 0: no time bound */
	__u64 max_bytes; /* keep at most this many compressed bytes of blocks; 0: no size bound */
	__u64 block_ns; /* a block's events span at most this; 0: NTF_FLIGHT_BLOCK_NS */
	/*
	 * Compression and block bounds. Unless block_bytes is set, a
	 * max_bytes makes blocks smaller (a quarter of it, at least
	 * 16 KiB), so that what is kept is close to max_bytes.
	 */
	struct ntf_rec_writer_opts writer;
};

/* What asked for a snapshot and when: META's flight field (docs/trace-format.md). */
struct ntf_flight_trigger {
	const char *what; /* "SIGUSR1", "socket", "policy:<rule>"; NULL: "unknown" */
	__u64 wall_ns; /* CLOCK_REALTIME when it fired; 0: now */
	__u64 mono_ns; /* CLOCK_MONOTONIC then; 0: now */
};

struct ntf_flight_stats {
	__u64 events; /* accepted */
	__u64 dropped; /* let go: older than the window, or past max_bytes */
	__u64 lost; /* could not be kept: no memory for their block */
	__u64 kept_events; /* in kept blocks and the open one */
	__u64 kept_bytes; /* kept blocks, compressed, headers included */
	__u32 blocks; /* kept blocks */
	__u64 oldest_ns, newest_ns; /* kept events' ts_ns; 0 without */
	__u64 stacks; /* events kept with their kernel stack */
	__u64 stacks_lost; /* events whose stack was due but could not be kept (NTF_F_STACK_LOST) */
	__u64 memory; /* bytes held: blocks, open block, buffers, META, stacks (not zstd's context) */
	__u32 snapshots; /* written */
};

/* What a snapshot wrote. */
struct ntf_flight_snap {
	__u64 events;
	__u64 bytes; /* the file's size */
	__u64 from_ns, to_ns; /* its events' ts_ns, oldest and newest; 0 without */
};

struct ntf_flight;

/*
 * A flight recorder whose snapshots carry META meta (NULL: an empty one;
 * ntf_rec_meta_init makes one). 0 and *out, -EINVAL without a window, or
 * -ENOMEM.
 */
int ntf_flight_new(struct ntf_flight **out, const struct ntf_rec_meta *meta,
		   const struct ntf_flight_opts *opts);
/*
 * One event. 0; -EINVAL for an event ntf_decode would refuse (skipped);
 * -ENOMEM when its block could not be kept (its events are counted
 * lost; recording goes on).
 */
int ntf_flight_write(struct ntf_flight *f, const struct ntf_event *e);
/*
 * The same for an event with its kernel stack, frames innermost first
 * (n of them; 0: e has none), e's stack_id the kernel's. The flight
 * recorder keeps every distinct stack once, for all its life (a
 * snapshot names them all): up to NTR_MAX_STACKS stacks and
 * NTR_MAX_FRAMES frames, about 210 bytes a frame. Past that, or when n
 * is 0 with a stack_id, the event is kept without one, marked
 * NTF_F_STACK_LOST. Returns as ntf_flight_write.
 */
int ntf_flight_write_stack(struct ntf_flight *f, const struct ntf_event *e,
			   const struct ntf_rec_frame *frames, unsigned int n);
/* Callback ids named since (drivers discovered later): in every snapshot's META from now on. */
void ntf_flight_write_names(struct ntf_flight *f, const struct ntf_rec_callback *cbs,
			    unsigned int n);
/*
 * Writes what is kept to path (through path.tmp, renamed when whole),
 * saying trigger t (NULL: "unknown", now). Recording goes on, the kept
 * blocks stay: a later snapshot holds them again if still in the window.
 * 0 and *snap (may be NULL), or a negative errno (path is then untouched
 * and path.tmp removed).
 */
int ntf_flight_snapshot(struct ntf_flight *f, const char *path, const struct ntf_flight_trigger *t,
			struct ntf_flight_snap *snap);
void ntf_flight_stats(const struct ntf_flight *f, struct ntf_flight_stats *st);
void ntf_flight_free(struct ntf_flight *f);

#endif
