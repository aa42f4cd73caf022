// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <string.h>
#include <time.h>
#include "cli.h"
#include "top_app.h"

/* Room for the live system's keys; past it the aggregate folds into "other". */
#define TOP_MAX_KEYS (1u << 18)
/* How long a feed with history gets to deliver it before the first interval. */
#define HISTORY_WAIT_MS 2000

/* prev := cur, by copying what changed since the last copy. */
static int copy_changed(struct top_app *app)
{
	return top_snap_follow(app->prev, app->cur, NULL, NULL);
}

int top_app_init(struct top_app *app, const struct top_opts *opts, struct top_feed *feed)
{
	int err;

	memset(app, 0, sizeof(*app));
	app->opts = *opts;
	/* rows past -r are never shown: they need counting, not sorting */
	app->opts.query.limit = opts->rows;
	app->feed = feed;
	app->cur = ntf_agg_new_compact(TOP_MAX_KEYS);
	app->prev = top_snap_new();
	app->model = top_model_new();
	if (!app->cur || !app->prev || !app->model)
		return -ENOMEM;
	/* A daemon has history: the first interval starts now, not with it. */
	err = top_feed_refresh(feed, app->cur, feed->has_history ? HISTORY_WAIT_MS : 0);
	if (err < 0 && err != -EINTR)
		return err;
	err = copy_changed(app);
	if (err)
		return err;
	app->last_ms = top_app_now(app);
	app->wall = (time_t)top_feed_wall_s(feed);
	return 0;
}

void top_app_free(struct top_app *app)
{
	top_model_free(app->model);
	ntf_agg_free(app->cur);
	top_snap_free(app->prev);
	top_feed_free(app->feed);
	memset(app, 0, sizeof(*app));
}

static void sleep_ms(__u64 ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL); /* a signal cuts it short: the caller looks at ntf_exiting */
}

/* Longest a feed with a clock of its own is left waiting: it wakes for its events itself. */
#define OWN_CLOCK_SLICE_MS 1000

int top_app_wait(struct top_app *app, __u64 deadline_ms, __u64 wall_ms)
{
	__u64 stop = wall_ms ? ntf_now_ms() + wall_ms : ~0ULL;

	top_feed_horizon(app->feed, deadline_ms);
	for (;;) {
		__u64 now = top_app_now(app), wall = ntf_now_ms(), wait;
		int err;

		if (ntf_exiting || now >= deadline_ms || wall >= stop)
			return 0;
		if (app->feed->ended) {
			if (wall_ms)
				sleep_ms(stop - wall);
			return 0;
		}
		/* a feed's own clock is not the monotonic one: its deadline says nothing of when */
		wait = app->feed->ops->clock_ms ? OWN_CLOCK_SLICE_MS : deadline_ms - now;
		if (wait > stop - wall)
			wait = stop - wall;
		err = top_feed_refresh(app->feed, app->cur, (int)wait);
		if (err < 0 && err != -EINTR)
			return err;
	}
}

int top_app_sample(struct top_app *app)
{
	__u64 now = top_app_now(app);
	int err;

	/* the interval's deltas, and prev := cur, in one walk */
	err = top_model_advance(app->model, app->prev, app->cur, (now - app->last_ms) / 1000.0);
	if (err)
		return err;
	app->last_ms = now;
	app->wall = (time_t)top_feed_wall_s(app->feed);
	app->samples++;
	top_feed_counters(app->feed, &app->counters);
	return top_app_requery(app);
}

int top_app_rebase(struct top_app *app)
{
	app->last_ms = top_app_now(app);
	return copy_changed(app);
}

int top_app_pause(struct top_app *app, bool paused)
{
	app->paused = paused;
	if (app->feed->ops->pause) {
		app->feed->ops->pause(app->feed, paused);
		return 0;
	}
	/* what happened while paused is not one interval */
	return paused ? 0 : top_app_rebase(app);
}

int top_app_requery(struct top_app *app)
{
	return top_model_query(app->model, &app->opts.query) < 0 ? -ENOMEM : 0;
}
