// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The replay feed: a trace file's events into the aggregate the live feed
 * fills, played in the recording's time (record/replay.h). notifier-top
 * keeps its intervals by the recording's clock, so each screen is what it
 * would have shown live at that moment of the recording, whatever the
 * speed; the header's time is the recording's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "callbacks.h"
#include "cli.h"
#include "record.h"
#include "replay.h"
#include "top_feed.h"

struct replay_feed {
	struct top_feed base;
	struct ntf_replay *p;
	const struct ntf_rec_meta *meta;
	const char *path;
	struct ntf_agg *into;
	double speed;
	unsigned int names; /* META's callbacks applied so far */
	bool has_probes;
	struct ntf_probe_state probes[NTF_PROBE_MAX];
};

static int on_event(void *ctx, const struct ntf_event *e)
{
	struct replay_feed *rf = ctx;

	return ntf_agg_add(rf->into, e);
}

/* Drivers a NAMES block named on the way, for the rows that name them. */
static void apply_new_names(struct replay_feed *rf)
{
	if (rf->meta->ncallbacks == rf->names)
		return;
	rf->names = rf->meta->ncallbacks;
	ntf_rec_meta_apply_names(rf->meta);
}

static void finish(struct replay_feed *rf)
{
	struct ntf_rec_status st;

	apply_new_names(rf);
	ntf_rec_reader_status(ntf_replay_reader(rf->p), &st);
	rf->base.ended = true;
	rf->base.end_err = ntf_replay_error(rf->p);
	rf->base.end_short = st.stop != NTF_REC_COMPLETE;
	snprintf(rf->base.end_why, sizeof(rf->base.end_why), "%s: %s", rf->path,
		 st.why[0] ? st.why : strerror(-rf->base.end_err));
}

static int replay_refresh(struct top_feed *f, struct ntf_agg *into, int timeout_ms)
{
	struct replay_feed *rf = (struct replay_feed *)f;
	int n;

	if (f->ended)
		return 0;
	rf->into = into;
	n = ntf_replay_poll(rf->p, timeout_ms, on_event, rf);
	apply_new_names(rf);
	if (n == -ENODATA) {
		finish(rf);
		return 0;
	}
	return n < 0 ? n : 0;
}

static const struct ntf_probe_state *replay_probes(struct top_feed *f)
{
	struct replay_feed *rf = (struct replay_feed *)f;

	return rf->has_probes ? rf->probes : NULL;
}

static __u64 replay_clock_ms(struct top_feed *f)
{
	struct replay_feed *rf = (struct replay_feed *)f;
	__u64 pos = ntf_replay_pos(rf->p);

	/*
	 * Down while playing, so an interval ends only once the recording
	 * reached its end; up at the end, so the last events, even those
	 * less than a millisecond after an interval's end, get an interval.
	 */
	return f->ended ? (pos + 999999) / 1000000 : pos / 1000000;
}

static void replay_horizon(struct top_feed *f, __u64 ms)
{
	ntf_replay_set_horizon(((struct replay_feed *)f)->p, ms * 1000000);
}

static double replay_wall_s(struct top_feed *f)
{
	struct replay_feed *rf = (struct replay_feed *)f;

	return ntf_rec_meta_wall_s(rf->meta, ntf_replay_origin(rf->p) + ntf_replay_pos(rf->p));
}

static void replay_pause(struct top_feed *f, bool paused)
{
	ntf_replay_pause(((struct replay_feed *)f)->p, paused);
}

static void replay_describe(struct top_feed *f, char *buf, size_t len)
{
	struct replay_feed *rf = (struct replay_feed *)f;
	double at = ntf_replay_pos(rf->p) / 1e9;

	if (f->ended)
		snprintf(buf, len, "end %.1fs", at);
	else if (rf->speed > 0)
		snprintf(buf, len, "at %.1fs x%g", at, rf->speed);
	else
		snprintf(buf, len, "at %.1fs max", at);
}

static void replay_free(struct top_feed *f)
{
	struct replay_feed *rf = (struct replay_feed *)f;

	ntf_replay_free(rf->p);
	free(rf);
}

static const struct top_feed_ops replay_ops = {
	.refresh = replay_refresh,
	.probes = replay_probes,
	.free = replay_free,
	.clock_ms = replay_clock_ms,
	.horizon = replay_horizon,
	.wall_s = replay_wall_s,
	.pause = replay_pause,
	.describe = replay_describe,
};

struct top_feed *top_feed_replay_new(const char *path, double speed)
{
	struct replay_feed *rf = calloc(1, sizeof(*rf));
	struct ntf_rec_reader *r;
	struct ntf_rec_status st;
	__u32 id;
	int err;

	if (!rf) {
		ntf_err("out of memory");
		return NULL;
	}
	if (ntf_rec_reader_open(&r, path, &st)) {
		ntf_err("%s: %s", path, st.why);
		free(rf);
		return NULL;
	}
	err = ntf_replay_new(&rf->p, r, speed);
	if (err) {
		ntf_err("%s: %s", path, strerror(-err));
		free(rf);
		return NULL;
	}
	rf->base.ops = &replay_ops;
	rf->base.name = "replay";
	rf->path = path;
	rf->speed = speed;
	rf->meta = ntf_rec_read_meta(r);
	rf->names = rf->meta->ncallbacks;
	/* before the screen takes the terminal: the rows name drivers this notifier's way */
	id = ntf_rec_meta_apply_names(rf->meta);
	if (id)
		ntf_warn("%s names callback id %u '%s', this notifier '%s': rows name it the "
			 "latter way",
			 path, id, ntf_rec_meta_driver(rf->meta, id), ntf_driver_name(id));
	ntf_rec_meta_probe_states(rf->meta, rf->probes);
	rf->has_probes = rf->meta->nprobes > 0;
	return &rf->base;
}
