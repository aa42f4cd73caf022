// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "callbacks.h"
#include "daemon_record.h"
#include "log.h"
#include "record_names.h"

/* The flight directory, made when missing (not its parents, as --record's), as an absolute path. */
static int open_flight_dir(struct daemon_rec *dr)
{
	const char *dir = dr->o.flight_dir ? dr->o.flight_dir : DAEMON_FLIGHT_DIR;
	struct stat sb;

	if (mkdir(dir, 0755) && errno != EEXIST) {
		ntf_err("--flight-dir %s: cannot make it: %s", dir, strerror(errno));
		return -1;
	}
	if (stat(dir, &sb) || !S_ISDIR(sb.st_mode)) {
		ntf_err("--flight-dir %s: %s", dir, errno ? strerror(errno) : strerror(ENOTDIR));
		return -1;
	}
	/* a snapshot that fails at the first trigger would be found out too late */
	if (access(dir, W_OK | X_OK)) {
		ntf_err("--flight-dir %s: snapshots cannot be written there: %s", dir,
			strerror(errno));
		return -1;
	}
	if (!realpath(dir, dr->flight_dir)) {
		ntf_err("--flight-dir %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

int daemon_rec_open(struct daemon_rec *dr, const struct daemon_rec_opts *o, const char *writer,
		    const struct ntf_probe_state *probes, unsigned int nprobes)
{
	char why[PATH_MAX + 160];
	int err;

	memset(dr, 0, sizeof(*dr));
	dr->o = *o;
	if (!daemon_rec_on(dr))
		return 0;
	dr->meta = calloc(1, sizeof(*dr->meta));
	if (!dr->meta) {
		ntf_err("out of memory");
		return -1;
	}
	ntf_rec_meta_init(dr->meta, writer);
	dr->names_gen = ntf_driver_names_gen();
	if (probes && ntf_rec_meta_add_probes(dr->meta, probes, nprobes))
		ntf_warn("recordings name only the first %d probe points", NTF_REC_MAX_PROBES);
	if (o->flight) {
		if (open_flight_dir(dr))
			return -1;
		err = ntf_flight_new(&dr->flight, dr->meta, &o->fl);
		if (err) {
			ntf_err("--flight: %s", strerror(-err));
			return -1;
		}
	}
	if (o->dir) {
		err = ntf_recorder_open(&dr->rec, o->dir, dr->meta, &o->rec, why, sizeof(why));
		if (err) {
			ntf_err("--record: %s", why);
			return -1;
		}
		ntf_recorder_stats(dr->rec, &dr->rst);
	}
	return 0;
}

int daemon_rec_take_stacks(struct daemon_rec *dr, struct ntf_record_stacks *rs, bool record,
			   __u64 min_ns)
{
	dr->rec_stacks = record;
	dr->rec_stack_min_ns = min_ns;
	dr->frames = malloc(NTF_REC_MAX_DEPTH * sizeof(*dr->frames));
	if (!dr->frames) {
		ntf_record_stacks_free(rs);
		return -ENOMEM;
	}
	dr->stacks = rs;
	return 0;
}

void daemon_rec_event(struct daemon_rec *dr, const struct ntf_event *e)
{
	bool rec = dr->rec && !dr->rec_err;
	/* a stack the kernel took for a rule, under what recordings keep, is not written */
	bool stacked = dr->stacks && dr->rec_stacks &&
		       (e->latency_ns >= dr->rec_stack_min_ns || (e->flags & NTF_F_FAILED));
	int err = 0, n = 0;

	if (e->stack_id && stacked && (rec || dr->flight)) {
		n = ntf_record_stack_read(dr->stacks, e, dr->frames);
		if (n < 0)
			n = 0; /* gone from the map: both mark it lost */
	}
	/* -EINVAL: one event a reader would refuse, skipped; anything else ends recording */
	if (rec) {
		err = stacked ? ntf_recorder_write_stack(dr->rec, e, dr->frames, n) :
				ntf_recorder_write(dr->rec, e);
		if (err && err != -EINVAL)
			dr->rec_err = err;
	}
	/* -ENOMEM is counted lost by the flight recorder, which goes on */
	if (dr->flight) {
		if (stacked)
			ntf_flight_write_stack(dr->flight, e, dr->frames, n);
		else
			ntf_flight_write(dr->flight, e);
	}
}

/* One line, once: where recording stopped, and what the last file keeps. */
static void tell_stop(struct daemon_rec *dr)
{
	const char *what = dr->rst.error;
	struct stat sb;

	if (dr->told)
		return;
	dr->told = true;
	if (!strncmp(what, "recording stopped: ", 19))
		what += 19;
	if (dr->rst.path[0] && !stat(dr->rst.path, &sb))
		ntf_err("recording to %s stopped: %s; %s holds %llu events up to its last whole "
			"block",
			dr->o.dir, strerror(-dr->rec_err), dr->rst.path,
			(unsigned long long)dr->rst.file_events);
	else
		ntf_err("recording to %s stopped: %s", dr->o.dir, what);
	ntf_info("serving on without recording: the socket, metrics and stats go on");
}

/* Names discovery found since META (or the last call): into both. */
static void update_names(struct daemon_rec *dr)
{
	struct ntf_rec_callback cbs[NTF_MAX_DISCOVERED];
	unsigned int n;
	int err;

	if (dr->names_gen == ntf_driver_names_gen())
		return;
	dr->names_gen = ntf_driver_names_gen();
	n = ntf_record_discovered_names(cbs, NTF_MAX_DISCOVERED);
	if (!n)
		return;
	if (dr->flight)
		ntf_flight_write_names(dr->flight, cbs, n);
	if (dr->rec && !dr->rec_err && (err = ntf_recorder_write_names(dr->rec, cbs, n)))
		dr->rec_err = err;
}

void daemon_rec_tick(struct daemon_rec *dr, __u64 now_ns)
{
	int err;

	update_names(dr);
	if (!dr->rec)
		return;
	if (!dr->rec_err && (err = ntf_recorder_tick(dr->rec, now_ns)))
		dr->rec_err = err;
	/* the loop may turn thousands of times a second: stats lines want them ten times */
	if (dr->rec_err || now_ns - dr->stats_ns >= 100000000ULL) {
		ntf_recorder_stats(dr->rec, &dr->rst);
		dr->stats_ns = now_ns;
	}
	if (dr->rec_err)
		tell_stop(dr);
}

static __u64 clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (__u64)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A name in the flight directory no file has: the trigger's UTC second, then -1, -2... */
static int snapshot_path(const struct daemon_rec *dr, __u64 wall_ns, char *path, size_t len)
{
	time_t t = wall_ns / 1000000000;
	char stamp[32];
	struct stat sb;
	struct tm tm;
	int n;

	if (!gmtime_r(&t, &tm) || !strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm))
		return -EINVAL;
	for (unsigned int i = 0; i < 1000; i++) {
		n = i ? snprintf(path, len, "%s/" DAEMON_FLIGHT_PREFIX "%s-%u.ntr", dr->flight_dir,
				 stamp, i) :
			snprintf(path, len, "%s/" DAEMON_FLIGHT_PREFIX "%s.ntr", dr->flight_dir,
				 stamp);
		if (n < 0 || (size_t)n >= len)
			return -ENAMETOOLONG;
		/* rename() would replace a file: an earlier snapshot is someone's evidence */
		if (lstat(path, &sb) && errno == ENOENT)
			return 0;
	}
	return -EEXIST;
}

int daemon_rec_snapshot(struct daemon_rec *dr, const char *trigger, struct daemon_rec_snap *out,
			char *why, size_t why_len)
{
	struct ntf_flight_trigger t = { .what = trigger };
	int err;

	memset(out, 0, sizeof(*out));
	if (!dr->flight) {
		snprintf(why, why_len, "%s: no flight recorder to snapshot (start with --flight)",
			 trigger);
		ntf_warn("%s", why);
		return -EOPNOTSUPP;
	}
	t.wall_ns = out->wall_ns = clock_ns(CLOCK_REALTIME);
	t.mono_ns = clock_ns(CLOCK_MONOTONIC);
	err = snapshot_path(dr, t.wall_ns, out->path, sizeof(out->path));
	if (!err)
		err = ntf_flight_snapshot(dr->flight, out->path, &t, &out->snap);
	if (err) {
		dr->snapshot_errors++;
		snprintf(why, why_len, "%s: flight snapshot into %s failed: %s", trigger,
			 dr->flight_dir, strerror(-err));
		ntf_err("%s", why);
		return err;
	}
	snprintf(dr->last_snapshot, sizeof(dr->last_snapshot), "%s", out->path);
	snprintf(why, why_len, "%s: flight snapshot %s: %llu events over %.3f s", trigger,
		 out->path, (unsigned long long)out->snap.events,
		 (out->snap.to_ns - out->snap.from_ns) / 1e9);
	ntf_info("%s", why);
	return 0;
}

void daemon_rec_close(struct daemon_rec *dr)
{
	int err;

	if (!dr->rec)
		return;
	update_names(dr);
	ntf_recorder_stats(dr->rec, &dr->rst);
	err = ntf_recorder_close(dr->rec);
	dr->rec = NULL;
	if (!err && !dr->rec_err) {
		struct stat sb;

		/* closed whole: what was buffered is in the last file, with its index and trailer */
		dr->rst.file_events += dr->rst.events - dr->rst.committed_events;
		dr->rst.committed_events = dr->rst.events;
		if (!stat(dr->rst.path, &sb) && (__u64)sb.st_size >= dr->rst.file_bytes) {
			dr->rst.bytes += sb.st_size - dr->rst.file_bytes;
			dr->rst.file_bytes = sb.st_size;
		}
	}
	if (err && !dr->rec_err) {
		dr->rec_err = err;
		dr->rst.err = err;
		snprintf(dr->rst.error, sizeof(dr->rst.error), "recording stopped: ending %s: %s",
			 dr->rst.path, strerror(-err));
		tell_stop(dr);
	}
}

void daemon_rec_free(struct daemon_rec *dr)
{
	daemon_rec_close(dr);
	ntf_flight_free(dr->flight);
	dr->flight = NULL;
	free(dr->meta);
	dr->meta = NULL;
	ntf_record_stacks_free(dr->stacks);
	dr->stacks = NULL;
	free(dr->frames);
	dr->frames = NULL;
}
