/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The rotating recorder: notifierd --record DIR. Events go into trace
 * files (docs/trace-format.md) in DIR, one after another, each one whole
 * on its own: its META is the recording's, with every callback name
 * known when the file starts, so any file reads without the others.
 *
 * Files are named notifier-YYYYmmdd-HHMMSS.ntr by the UTC time they
 * start (-N before .ntr when that name is taken); only files so named
 * are ever removed, and one recorder holds DIR at a time (a lock on it:
 * two would remove each other's files).
 *
 * A file ends when it reaches max_size bytes on disk (it ends up at most
 * a block over), or when rotate_ns passed since it started (by the
 * caller's clock, given to tick) and it holds events. The first file
 * starts at open, each next one with the first event after the one before
 * ended: an idle recorder leaves no empty file. Before a file starts, the oldest files of DIR are removed
 * until max_files - 1 remain, those of earlier runs included.
 *
 * DIR is created when missing (its parent is not: a missing parent is
 * more likely a typo than a wish); one that is not a directory, or where
 * no file can be made, fails ntf_recorder_open.
 *
 * Errors stop recording and stay: a full disk (-ENOSPC, -EFBIG, -EIO),
 * a file that cannot be made. The file being written then reads back up
 * to its last whole block; every later call returns the error; stats say
 * it in one line. What to do next (go on serving other consumers) is the
 * caller's. A process with a file size limit should ignore SIGXFSZ to get
 * -EFBIG instead of being killed.
 *
 * One thread at a time; nothing here blocks but the file system.
 */
#ifndef NTF_RECORDER_H
#define NTF_RECORDER_H

#include <limits.h>
#include <linux/types.h>
#include "record.h"

/* How often tick writes the open block out, unless told: a reader is at most this far behind. */
#define NTF_RECORDER_FLUSH_NS 1000000000ULL

struct ntf_recorder_opts {
	__u64 max_size; /* bytes on disk a file reaches before the next starts; 0: no bound */
	__u64 rotate_ns; /* a new file this long after the current one started; 0: never */
	__u32 max_files; /* the recorder's files DIR keeps, the current one included; 0: all */
	__u64 flush_ns; /* the open block is written at least this often; 0: NTF_RECORDER_FLUSH_NS */
	/*
	 * Compression and block sizes. Unless block_bytes is set, a
	 * max_size makes blocks smaller (a quarter of it, at least 16 KiB)
	 * so that a file ends close to its bound.
	 */
	struct ntf_rec_writer_opts writer;
};

struct ntf_recorder_stats {
	__u64 events; /* accepted, in all files */
	__u64 committed_events; /* in whole blocks on disk */
	__u64 bytes; /* whole blocks written, all files (removed ones included) */
	__u64 file_bytes; /* the current file's; once stopped, the last file's */
	__u64 file_events; /* the events in the current file's whole blocks; once stopped, the last's */
	__u32 files; /* files started */
	__u32 removed; /* files removed to keep max_files */
	double ratio; /* committed events' raw size (struct ntf_event) over bytes: 0 before any */
	__u64 stacks; /* events written with their kernel stack */
	__u64 stacks_lost; /* events whose stack was due but is not in the file (NTF_F_STACK_LOST) */
	int err; /* 0 while recording; the error that stopped it */
	char path[PATH_MAX]; /* the current file, or the last one */
	char error[PATH_MAX + 128]; /* one line when err: what failed, on which file */
};

struct ntf_recorder;

/*
 * Opens DIR (creating it when missing), takes its lock, and starts the
 * first file with META meta (NULL: an empty one; ntf_rec_meta_init makes
 * one). 0 and *out, or a negative errno (-EBUSY: another recorder holds
 * DIR) with nothing to free; *why (may be NULL) says what failed.
 */
int ntf_recorder_open(struct ntf_recorder **out, const char *dir, const struct ntf_rec_meta *meta,
		      const struct ntf_recorder_opts *opts, char *why, size_t why_len);
/*
 * One event; a full block goes to the file, and the next file starts when
 * this one is full. 0, -EINVAL for an event ntf_decode would refuse (it
 * is skipped, recording goes on), or the error that stopped recording.
 */
int ntf_recorder_write(struct ntf_recorder *r, const struct ntf_event *e);
/*
 * The same for an event with its kernel stack, frames innermost first
 * (n of them; 0: e has none). e's stack_id is the kernel's; the file's
 * own id for these frames replaces it (each file defines the stacks its
 * events name, so any file reads alone). A stack the file cannot keep
 * (it holds as many as readers take) leaves the event without one,
 * marked NTF_F_STACK_LOST, as does n 0 with a stack_id. Returns as
 * ntf_recorder_write.
 */
int ntf_recorder_write_stack(struct ntf_recorder *r, const struct ntf_event *e,
			     const struct ntf_rec_frame *frames, unsigned int n);
/*
 * Time passes: now_ns is the caller's CLOCK_MONOTONIC (the recorder
 * reads no clock of its own for when to flush and rotate, so a test or a
 * replay can drive it). Writes the open block when flush_ns passed since
 * the last time, ends the file when rotate_ns passed since it started. The first tick starts the clocks of a file begun before it.
 * 0 or the error that stopped recording.
 */
int ntf_recorder_tick(struct ntf_recorder *r, __u64 now_ns);
/*
 * Callback ids named since (drivers discovered later): a NAMES block in
 * the current file, and META of every file after. 0 or the error.
 */
int ntf_recorder_write_names(struct ntf_recorder *r, const struct ntf_rec_callback *cbs,
			     unsigned int n);
void ntf_recorder_stats(const struct ntf_recorder *r, struct ntf_recorder_stats *st);
/*
 * Ends the current file (index, trailer), releases DIR and frees r. 0, or
 * the error that stopped recording (or that closing met).
 */
int ntf_recorder_close(struct ntf_recorder *r);

#endif
