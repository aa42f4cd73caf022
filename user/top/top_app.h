/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * notifier-top's state between the feed and a screen: the feed's live
 * aggregate, a copy of it as of the last sample, and the model built from
 * the two. Batch mode and the full-screen view both run on it.
 */
#ifndef NTF_TOP_APP_H
#define NTF_TOP_APP_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>
#include <linux/types.h>
#include "aggregate.h"
#include "top_feed.h"
#include "top_model.h"

#define TOP_HEADER_LINES 4

struct top_opts {
	__u64 interval_ms;
	__u64 count; /* snapshots before exiting; 0: until told */
	unsigned int rows; /* rows per snapshot; 0: all (batch) or what fits */
	bool batch, json, no_clear;
	struct top_query query;
};

struct top_app {
	struct top_opts opts;
	struct top_feed *feed;
	struct ntf_agg *cur; /* the feed's, always up to date */
	struct top_snap *prev; /* cur as of the last sample */
	struct top_model *model;
	__u64 last_ms; /* the feed's clock (top_feed_clock_ms) at the last sample */
	__u64 samples;
	time_t wall; /* when the last sample was taken (a replay: in the recording), for the header */
	struct top_feed_counters counters;
	bool paused;
	char note[160]; /* a one-line message for the screen, e.g. no daemon */
};

/* Takes the feed; a first read of it is the baseline the first interval starts from. */
int top_app_init(struct top_app *app, const struct top_opts *opts, struct top_feed *feed);
void top_app_free(struct top_app *app);
/* The feed's clock, which intervals are kept by: the recording's in a replay. */
static inline __u64 top_app_now(const struct top_app *app)
{
	return top_feed_clock_ms(app->feed);
}
/*
 * Keeps the feed flowing until its clock reaches deadline_ms, for at most
 * wall_ms of real time when wall_ms is not 0 (a screen's wait for keys),
 * or until the feed ended (then waiting out wall_ms, so a caller polling
 * keys does not spin); returns early on ntf_exiting. 0 or the feed's
 * error.
 */
int top_app_wait(struct top_app *app, __u64 deadline_ms, __u64 wall_ms);
/* Whether a finite feed ended and its last interval was sampled: nothing more will come. */
static inline bool top_app_over(const struct top_app *app)
{
	return app->feed->ended && top_app_now(app) <= app->last_ms;
}
/* Ends the interval: the model gets its deltas and the query is run. */
int top_app_sample(struct top_app *app);
/* Starts a new interval now without showing the one that ends (after a pause). */
int top_app_rebase(struct top_app *app);
/*
 * Pauses or resumes the view. A feed with a clock of its own stops it:
 * nothing happens in the recording meanwhile, and the interval goes on
 * where it stopped. Others go on flowing, and the interval after a pause
 * starts afresh.
 */
int top_app_pause(struct top_app *app, bool paused);
/* Re-runs the query (view, sort or filter changed) on the last sample. */
int top_app_requery(struct top_app *app);

/* Header line i (< TOP_HEADER_LINES): totals, probes, feed, view. */
void top_header_line(const struct top_app *app, unsigned int i, char *buf, size_t len);
/* Batch mode: one snapshot as text, width columns wide, or as one JSON line. */
void top_print_text(FILE *out, const struct top_app *app, unsigned int width);
void top_print_json(FILE *out, const struct top_app *app);

#endif
