// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The live feed: notifier-top loads the probes itself and aggregates the
 * event stream, as notifierd does, when no daemon is there to ask. Each
 * event lands in its key's histogram and fine buckets at once
 * (ntf_agg_add), so the columns' percentiles need nothing else: the
 * kernel's hists and buckets maps stay empty here (no in-kernel
 * aggregation), and reading them as well would count events twice were
 * it on.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "clock.h"
#include "source.h"
#include "open_tracer.h"
#include "top_feed.h"

struct live_feed {
	struct top_feed base;
	struct tracer *t;
	struct ntf_source *src;
	struct ntf_agg *into;
	__u64 last_scan;
};

static int on_event(void *ctx, const struct ntf_event *e)
{
	struct live_feed *lf = ctx;

	return ntf_agg_add(lf->into, e);
}

static int live_refresh(struct top_feed *f, struct ntf_agg *into, int timeout_ms)
{
	struct live_feed *lf = (struct live_feed *)f;
	int n;

	lf->into = into;
	n = ntf_source_poll(lf->src, timeout_ms);
	/*
	 * As notifierd: modules come and go, and a driver that registers is
	 * attached at once. Quietly: log lines would tear the screen.
	 */
	if (ntf_now_ms() - lf->last_scan >= 2000 || tracer__registered(lf->t)) {
		tracer__rescan(lf->t, false);
		lf->last_scan = ntf_now_ms();
	}
	return n == -EINTR ? 0 : n;
}

static const struct ntf_probe_state *live_probes(struct top_feed *f)
{
	return tracer__probes(((struct live_feed *)f)->t);
}

static void live_counters(struct top_feed *f, struct top_feed_counters *out)
{
	struct live_feed *lf = (struct live_feed *)f;
	__u64 c[NTF_CNT_MAX] = {};

	if (!ntf_read_counters(tracer__counters_fd(lf->t), c)) {
		out->drops = c[NTF_CNT_RB_DROPS];
		out->lost = c[NTF_CNT_HIST_DROPS] + c[NTF_CNT_INFLIGHT_DROPS];
	}
	out->bad = lf->src->bad_records;
	out->unseen = tracer__unseen(lf->t);
}

static void live_free(struct top_feed *f)
{
	struct live_feed *lf = (struct live_feed *)f;

	ntf_source_free(lf->src);
	tracer__free(lf->t);
	free(lf);
}

static const struct top_feed_ops live_ops = {
	.refresh = live_refresh,
	.probes = live_probes,
	.counters = live_counters,
	.free = live_free,
};

struct top_feed *top_feed_live_new(const struct top_live_opts *opts)
{
	struct tracer_opts topts = {
		.cfg.stream = true,
		.no_fentry = opts->no_fentry,
		.verbose = opts->verbose,
	};
	struct live_feed *lf = calloc(1, sizeof(*lf));

	if (!lf) {
		ntf_err("out of memory");
		return NULL;
	}
	lf->base.ops = &live_ops;
	lf->base.name = "live";
	/* the header says what attached; stderr would be under the screen */
	if (ntf_open_tracer(&topts, true, &lf->t)) {
		free(lf);
		return NULL;
	}
	lf->src = ntf_source_bpf_new(tracer__events_fd(lf->t), on_event, lf);
	if (!lf->src) {
		ntf_err("cannot open the ring buffer: %s", strerror(errno));
		tracer__free(lf->t);
		free(lf);
		return NULL;
	}
	return &lf->base;
}
