// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <string.h>
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
	app->cur = ntf_agg_new(TOP_MAX_KEYS);
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
	app->last_ms = ntf_now_ms();
	app->wall = time(NULL);
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

int top_app_wait(struct top_app *app, __u64 deadline_ms, int slice_ms)
{
	for (;;) {
		__u64 now = ntf_now_ms();
		int wait, err;

		if (ntf_exiting || now >= deadline_ms)
			return 0;
		wait = deadline_ms - now < (__u64)slice_ms ? (int)(deadline_ms - now) : slice_ms;
		err = top_feed_refresh(app->feed, app->cur, wait);
		if (err < 0 && err != -EINTR)
			return err;
	}
}

int top_app_sample(struct top_app *app)
{
	__u64 now = ntf_now_ms();
	int err;

	/* the interval's deltas, and prev := cur, in one walk */
	err = top_model_advance(app->model, app->prev, app->cur, (now - app->last_ms) / 1000.0);
	if (err)
		return err;
	app->last_ms = now;
	app->wall = time(NULL);
	app->samples++;
	top_feed_counters(app->feed, &app->counters);
	return top_app_requery(app);
}

int top_app_rebase(struct top_app *app)
{
	app->last_ms = ntf_now_ms();
	return copy_changed(app);
}

int top_app_requery(struct top_app *app)
{
	return top_model_query(app->model, &app->opts.query) < 0 ? -ENOMEM : 0;
}
