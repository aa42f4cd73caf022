// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The synthetic feed: the synthetic source in keys mode, paced to a steady
 * rate by the clock, so demos and tests need neither root nor BPF.
 */
#include <stdlib.h>
#include "cli.h"
#include "source.h"
#include "top_feed.h"

struct synth_feed {
	struct top_feed base;
	struct ntf_source *src;
	struct ntf_agg *into;
};

static int on_event(void *ctx, const struct ntf_event *e)
{
	struct synth_feed *sf = ctx;

	return ntf_agg_add(sf->into, e);
}

static int synth_refresh(struct top_feed *f, struct ntf_agg *into, int timeout_ms)
{
	struct synth_feed *sf = (struct synth_feed *)f;
	int n;

	sf->into = into;
	n = ntf_source_poll(sf->src, timeout_ms);
	return n < 0 ? n : 0;
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

struct top_feed *top_feed_synth_new(const struct ntf_synth_args *opts)
{
	struct synth_feed *sf = calloc(1, sizeof(*sf));

	if (!sf)
		goto oom;
	sf->base.ops = &synth_ops;
	sf->base.name = "synthetic";
	sf->src = ntf_source_paced_new(opts, on_event, sf);
	if (!sf->src)
		goto oom;
	return &sf->base;
oom:
	free(sf);
	ntf_err("out of memory");
	return NULL;
}
