/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What notifierd records: every event of its stream into the rotating
 * recorder (--record DIR, recorder.h) and the flight recorder (--flight,
 * flight.h), beside the aggregate. The loop gives them its clock and the
 * callback names discovery found; a recording that stops (a full disk)
 * is said once and the daemon serves on; a trigger (SIGUSR1, the socket)
 * writes the flight recorder's snapshot into the flight directory.
 */
#ifndef NTF_DAEMON_RECORD_H
#define NTF_DAEMON_RECORD_H

#include <limits.h>
#include <stdbool.h>
#include <linux/types.h>
#include "flight.h"
#include "probe_points.h"
#include "record_stacks.h"
#include "recorder.h"

/* Where snapshots go without --flight-dir: systemd's StateDirectory=notifier. */
#define DAEMON_FLIGHT_DIR "/var/lib/notifier"
#define DAEMON_FLIGHT_PREFIX "notifier-flight-"

struct daemon_rec_opts {
	const char *dir; /* --record DIR; NULL: no rotating recorder */
	struct ntf_recorder_opts rec;
	bool flight; /* --flight given */
	struct ntf_flight_opts fl;
	const char *flight_dir; /* NULL: DAEMON_FLIGHT_DIR */
};

struct daemon_rec {
	struct daemon_rec_opts o;
	struct ntf_recorder *rec; /* NULL: none, or closed */
	struct ntf_flight *flight;
	struct ntf_rec_meta *meta;
	char flight_dir[PATH_MAX]; /* absolute: a daemon chdirs to / */
	int rec_err; /* what stopped recording; 0 while it goes on */
	bool told; /* the stop was logged */
	__u64 names_gen;
	struct ntf_recorder_stats rst; /* at most 100 ms old; once closed, the last word */
	__u64 stats_ns; /* when rst was taken */
	char last_snapshot[PATH_MAX];
	__u32 snapshot_errors;
	struct ntf_record_stacks *stacks; /* the tracer's stack map; NULL: events keep none */
	bool rec_stacks; /* the recorders keep stacks (--no-stacks: not) */
	__u64 rec_stack_min_ns; /* ... of events this slow, and failed ones */
	struct ntf_rec_frame *frames; /* an event's stack, read once for both recorders */
};

/*
 * Opens what o asks for, with META naming writer and the probes (NULL
 * with --synthetic: none). 0, or -1 with the reason logged (a DIR that
 * cannot be recorded in, a flight directory that cannot be made).
 */
int daemon_rec_open(struct daemon_rec *dr, const struct daemon_rec_opts *o, const char *writer,
		    const struct ntf_probe_state *probes, unsigned int nprobes);
/* Whether anything records. */
static inline bool daemon_rec_on(const struct daemon_rec *dr)
{
	return dr->o.dir || dr->o.flight;
}
/*
 * Events' kernel stacks read from rs, which dr owns from here on (freed
 * by daemon_rec_free, also when this fails). With record, both recorders
 * keep those of events at least min_ns slow and of failed ones (the
 * kernel may take more for the rules' alerts). 0 or -ENOMEM (rs freed).
 */
int daemon_rec_take_stacks(struct daemon_rec *dr, struct ntf_record_stacks *rs, bool record,
			   __u64 min_ns);
/* One event of the stream, to both, with its stack. */
void daemon_rec_event(struct daemon_rec *dr, const struct ntf_event *e);
/*
 * A turn of the loop (now_ns: CLOCK_MONOTONIC): the recorder flushes and
 * rotates, names discovered since go into both, a stop is logged once.
 */
void daemon_rec_tick(struct daemon_rec *dr, __u64 now_ns);

struct daemon_rec_snap {
	char path[PATH_MAX];
	struct ntf_flight_snap snap;
	__u64 wall_ns; /* when the trigger fired */
};

/*
 * The flight recorder's snapshot for trigger ("SIGUSR1", "socket"), into
 * the flight directory as notifier-flight-YYYYmmdd-HHMMSS.ntr (UTC; -N
 * when taken). 0 with *out; -EOPNOTSUPP without --flight; or the error
 * of writing it. why (one line) says it either way; logged too.
 */
int daemon_rec_snapshot(struct daemon_rec *dr, const char *trigger, struct daemon_rec_snap *out,
			char *why, size_t why_len);
/* Ends the current file (index, trailer); the stats keep its last word. */
void daemon_rec_close(struct daemon_rec *dr);
/* Frees the flight recorder and META: after close. */
void daemon_rec_free(struct daemon_rec *dr);

#endif
