// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <string.h>
#include "daemon_rec_report.h"
#include "parse.h"

/* The recorder's one line without its prefix: what failed, on which file. */
static const char *stop_line(const struct daemon_rec *dr)
{
	const char *what = dr->rst.error;

	return strncmp(what, "recording stopped: ", 19) ? what : what + 19;
}

static json_t *record_json(const struct daemon_rec *dr)
{
	const struct ntf_recorder_stats *s = &dr->rst;
	json_t *o = json_pack("{ss sI sI sI sI sI ss sI}", "dir", dr->o.dir, "files",
			      (json_int_t)s->files, "removed", (json_int_t)s->removed, "bytes",
			      (json_int_t)s->bytes, "events", (json_int_t)s->events,
			      "committed_events", (json_int_t)s->committed_events, "file", s->path,
			      "file_events", (json_int_t)s->file_events);

	json_object_set_new(o, "error", dr->rec_err ? json_string(stop_line(dr)) : json_null());
	json_object_set_new(o, "stacks", json_integer(s->stacks));
	json_object_set_new(o, "stacks_lost", json_integer(s->stacks_lost));
	return o;
}

static json_t *flight_json(const struct daemon_rec *dr)
{
	struct ntf_flight_stats s;
	json_t *o;

	ntf_flight_stats(dr->flight, &s);
	o = json_pack("{ss sI sI sI sI sI sI sI sI sI sI}", "dir", dr->flight_dir, "window_ns",
		      (json_int_t)dr->o.fl.window_ns, "window_bytes",
		      (json_int_t)dr->o.fl.max_bytes, "events", (json_int_t)s.events, "kept_events",
		      (json_int_t)s.kept_events, "kept_bytes", (json_int_t)s.kept_bytes, "memory",
		      (json_int_t)s.memory, "dropped", (json_int_t)s.dropped, "lost",
		      (json_int_t)s.lost, "snapshots", (json_int_t)s.snapshots, "snapshot_errors",
		      (json_int_t)dr->snapshot_errors);
	json_object_set_new(o, "last_snapshot",
			    dr->last_snapshot[0] ? json_string(dr->last_snapshot) : json_null());
	json_object_set_new(o, "stacks", json_integer(s.stacks));
	json_object_set_new(o, "stacks_lost", json_integer(s.stacks_lost));
	return o;
}

void ntf_daemon_rec_json(json_t *o, const struct daemon_rec *dr)
{
	if (dr->o.dir)
		json_object_set_new(o, "record", record_json(dr));
	if (dr->flight)
		json_object_set_new(o, "flight", flight_json(dr));
}

void ntf_daemon_rec_stats_text(FILE *out, const struct daemon_rec *dr)
{
	struct ntf_flight_stats fs;
	char size[24];

	if (dr->o.dir && dr->rec_err) {
		fprintf(out, "  rec stopped");
	} else if (dr->o.dir) {
		ntf_format_size(size, sizeof(size), dr->rst.bytes);
		fprintf(out, "  rec %u file%s %s", dr->rst.files, dr->rst.files == 1 ? "" : "s",
			size);
	}
	if (dr->flight) {
		ntf_flight_stats(dr->flight, &fs);
		ntf_format_size(size, sizeof(size), fs.kept_bytes);
		fprintf(out, "  flight %s kept", size);
	}
}

void ntf_daemon_rec_summary_text(FILE *out, const struct daemon_rec *dr)
{
	struct ntf_flight_stats fs;
	char size[24], mem[24];

	ntf_format_size(size, sizeof(size), dr->rst.bytes);
	if (dr->o.dir && dr->rec_err)
		fprintf(out, "recording to %s stopped: %s; %llu events in %u files before it\n",
			dr->o.dir, stop_line(dr), (unsigned long long)dr->rst.committed_events,
			dr->rst.files);
	else if (dr->o.dir)
		fprintf(out, "recorded %llu events into %u file%s in %s (%s, %u removed)\n",
			(unsigned long long)dr->rst.committed_events, dr->rst.files,
			dr->rst.files == 1 ? "" : "s", dr->o.dir, size, dr->rst.removed);
	if (dr->o.dir && (dr->rst.stacks || dr->rst.stacks_lost))
		fprintf(out, "  %llu kept their kernel stack, %llu lost theirs\n",
			(unsigned long long)dr->rst.stacks,
			(unsigned long long)dr->rst.stacks_lost);
	if (!dr->flight)
		return;
	ntf_flight_stats(dr->flight, &fs);
	ntf_format_size(size, sizeof(size), fs.kept_bytes);
	ntf_format_size(mem, sizeof(mem), fs.memory);
	fprintf(out, "flight recorder: %llu events kept (%s, %s of memory), %u snapshot%s%s%s\n",
		(unsigned long long)fs.kept_events, size, mem, fs.snapshots,
		fs.snapshots == 1 ? "" : "s", dr->last_snapshot[0] ? ", the last " : "",
		dr->last_snapshot);
	if (fs.stacks || fs.stacks_lost)
		fprintf(out, "  %llu kept their kernel stack, %llu lost theirs\n",
			(unsigned long long)fs.stacks, (unsigned long long)fs.stacks_lost);
}
