/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Events as a trace for ui.perfetto.dev (or chrome://tracing), in the
 * Chrome trace-event JSON format: each task a thread of its process
 * (named from comm), each event a complete slice on it, so that an
 * invalidate holds the callbacks it called and they the fence waits
 * they made; counters of events a second per class; and the recording's
 * META as the trace's metadata.
 *
 * Streaming: ntf_perfetto_new, ntf_perfetto_add per event in any order,
 * ntf_perfetto_finish. Slices must be written in start order per thread
 * to be nested (slice_nest.h), and a recording gives events as they end,
 * so events are held and sorted before they are written: at most
 * max_buffered of them (120 bytes each). When that many are held, the
 * earlier half (by start) is written. An event that starts before one
 * already written on its thread (it lasted longer than the half written
 * spans) can no longer be nested: it goes to an async track of its
 * process ("late"), and the stats count it. Beyond the buffer, memory is
 * a few hundred bytes per thread and 72 per second of the recording.
 */
#ifndef NTF_PERFETTO_H
#define NTF_PERFETTO_H

#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>
#include "notifier.h"
#include "record.h"

/* 30 MiB of events: a trace of this many loads in a browser's tab */
#define NTF_PERFETTO_DEFAULT_BUFFER (1u << 18)

struct ntf_perfetto_opts {
	size_t max_buffered; /* events held for sorting; 0: NTF_PERFETTO_DEFAULT_BUFFER */
	const char *source; /* the file the events come from, for the metadata; may be NULL */
	/*
	 * The reader the events come from, for their kernel stacks (a slice's
	 * args.stack); may be NULL. Its stacks only grow as it reads, so an
	 * event held back still finds its own.
	 */
	const struct ntf_rec_reader *stacks;
};

struct ntf_perfetto_stats {
	__u64 events; /* added */
	__u64 slices; /* written as complete slices on their thread */
	__u64 clamped; /* of them, ended at their parent's end (slice_nest.h) */
	__u64 unnested; /* written on an async track instead: too late, or too deep, to nest */
	__u64 counters; /* counter samples */
	__u64 threads, processes;
};

struct ntf_perfetto;

/*
 * Starts a trace on out. meta (may be NULL) names the callback ids and is
 * read again when events are written and at the end, so a reader's META
 * (ntf_rec_read_meta) brings the names NAMES blocks add on the way. NULL
 * when out of memory.
 */
struct ntf_perfetto *ntf_perfetto_new(FILE *out, const struct ntf_rec_meta *meta,
				      const struct ntf_perfetto_opts *opts);
/* 0, -ENOMEM, or -EIO when out failed (sticky: every later call returns it). */
int ntf_perfetto_add(struct ntf_perfetto *p, const struct ntf_event *e);
/*
 * Writes what is held, the names of threads and processes, the counters
 * and the metadata (with st, how reading ended, when not NULL), and frees
 * p. stats (may be NULL) says what was written. 0, or the first error
 * (out then holds no whole trace). out stays the caller's to close.
 */
int ntf_perfetto_finish(struct ntf_perfetto *p, const struct ntf_rec_status *st,
			struct ntf_perfetto_stats *stats);

#endif
