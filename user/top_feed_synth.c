// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The synthetic feed: the synthetic source in keys mode, paced to a steady
 * rate by the clock, so demos and tests need neither root nor BPF.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include "cli.h"
#include "source.h"
#include "top_feed.h"

struct synth_feed {
	struct top_feed base;
	struct ntf_source *src;
	struct ntf_agg *into;
	__u32 rate;
	__u64 start_ms, made;
};

static int on_event(void *ctx, const struct ntf_event *e)
{
	struct synth_feed *sf = ctx;

	return ntf_agg_add(sf->into, e);
}

static int synth_refresh(struct top_feed *f, struct ntf_agg *into, int timeout_ms)
{
	struct synth_feed *sf = (struct synth_feed *)f;
	__u64 due;

	sf->into = into;
	if (timeout_ms > 0) {
		struct timespec ts = { timeout_ms / 1000, (timeout_ms % 1000) * 1000000L };

		/* a signal cuts the wait short; the caller checks why */
		nanosleep(&ts, NULL);
	}
	/* everything due by now, so the rate holds however often we are asked */
	due = (ntf_now_ms() - sf->start_ms) * sf->rate / 1000;
	while (sf->made < due) {
		int n = ntf_source_poll(sf->src, 0);

		if (n < 0)
			return n;
		sf->made += n;
	}
	return 0;
}

static void synth_free(struct top_feed *f)
{
	struct synth_feed *sf = (struct synth_feed *)f;

	ntf_source_free(sf->src);
	free(sf);
}

static const struct top_feed_ops synth_ops = {
	.refresh = synth_refresh,
	.free = synth_free,
};

struct top_feed *top_feed_synth_new(const struct top_synth_opts *opts)
{
	struct ntf_synth_opts so = {
		.seed = opts->seed,
		.batch = 1, /* exactly as many as are due */
		.keys = opts->keys,
	};
	struct synth_feed *sf = calloc(1, sizeof(*sf));

	if (!sf)
		goto oom;
	sf->base.ops = &synth_ops;
	sf->base.name = "synthetic";
	sf->rate = opts->rate;
	sf->start_ms = ntf_now_ms();
	sf->src = ntf_source_synth_new(&so, on_event, sf);
	if (!sf->src)
		goto oom;
	return &sf->base;
oom:
	free(sf);
	ntf_err("out of memory");
	return NULL;
}
