/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Events as a CTF 1.8 trace (the Common Trace Format that babeltrace2,
 * Trace Compass and LTTng's tools read): a directory holding a TSDL
 * `metadata` text and binary stream files of packets. Written as events
 * come (begin, add per event, finish) in bounded memory, whatever the
 * number of events.
 *
 * CTF readers want each stream in time order, and a recording is not:
 * the ring buffer hands events over as they end, and their timestamps
 * are when they began. Events wait in a window (a heap of the earliest)
 * and leave it in time order; an event that comes later than the window
 * can sort (a wait longer than everything the window holds) goes to a
 * further stream file whose events it does follow, and readers merge the
 * streams by time. An ordinary recording needs one stream file.
 *
 * Nothing in the directory passes for a trace until finish: the files
 * are written as *.tmp and renamed at the end, metadata last.
 */
#ifndef NTF_CTF_H
#define NTF_CTF_H

#include <stddef.h>
#include <linux/types.h>
#include "notifier.h"
#include "record.h"

struct ntf_ctf_opts {
	__u32 packet_size; /* bytes a packet takes at most; 0: 64 KiB (at least 1 KiB) */
	__u32 window; /* events held back to sort them; 0: 65,536 (7 MiB) */
	__u32 max_streams; /* stream files at most; 0: 64. Events no stream can take are dropped and counted */
};

struct ntf_ctf_stats {
	__u64 events; /* in the trace */
	__u64 discarded; /* dropped: later than every stream could take (the trace says so too) */
	__u64 packets;
	__u64 bytes; /* of the stream files */
	__u32 streams; /* stream files */
};

struct ntf_ctf;

/*
 * Starts a trace in dir, which is created, or must be empty: a trace
 * mixed with other files would be read as one. meta (the file's; NULL
 * for none) gives the environment, the clock's offset to wall-clock time
 * and the driver names of callback ids; the writer reads it until finish,
 * so names added to it meanwhile (a trace file's NAMES blocks) are used
 * from then on. 0 and *out, or a negative errno and why.
 */
int ntf_ctf_begin(struct ntf_ctf **out, const char *dir, const struct ntf_rec_meta *meta,
		  const struct ntf_ctf_opts *opts, char *why, size_t len);
/*
 * Adds one event (of a class notifier.h defines). 0, or the error that
 * writing stopped with (sticky: every later call returns it; why says it
 * at finish).
 */
int ntf_ctf_add(struct ntf_ctf *c, const struct ntf_event *e);
/*
 * Writes what the window holds, the metadata (status, may be NULL: how
 * reading the source ended, kept in the trace's environment), and
 * renames the files into place; frees c. 0 and *st (may be NULL), or a
 * negative errno and why, with every file removed (and dir, if begin
 * made it).
 */
int ntf_ctf_finish(struct ntf_ctf *c, const char *status, struct ntf_ctf_stats *st, char *why,
		   size_t len);
/* Removes what was written (and dir, if begin made it) and frees c. */
void ntf_ctf_abort(struct ntf_ctf *c);

#endif
