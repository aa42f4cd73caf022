// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The synthetic source paced by the clock: each poll delivers every event
 * due since the source started at its steady rate, so the rate holds
 * however often it is polled. notifier-top's synthetic feed and notifierd
 * --synthetic both run on it.
 *
 * Each event is stamped with the CLOCK_MONOTONIC time it fell due, as a
 * probe's event carries bpf_ktime_get_ns(): a recording of a synthetic
 * daemon then has wall times that mean something, and a flight
 * recorder's window (event time) spans the wall time it says.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include "clock.h"
#include "source.h"

struct paced_source {
	struct ntf_source base;
	struct ntf_source *synth;
	__u32 rate;
	__u64 start_ns, made;
};

/* When event i of the stream falls due: i / rate seconds after the start, to the ns. */
static __u64 due_ns(const struct paced_source *p, __u64 i)
{
	/* in two parts: i * 1e9 alone overflows after 30 minutes at 10 M events/s */
	return p->start_ns + i / p->rate * 1000000000ULL + i % p->rate * 1000000000ULL / p->rate;
}

static int paced_poll(struct ntf_source *src, int timeout_ms)
{
	struct paced_source *p = (struct paced_source *)src;
	__u64 due, el;
	int n = 0;

	if (timeout_ms > 0) {
		struct timespec ts = { timeout_ms / 1000, (timeout_ms % 1000) * 1000000L };

		/* a signal cuts the wait short; the caller checks why */
		nanosleep(&ts, NULL);
	}
	/* on the clock that stamps them: an event is never delivered before its time */
	el = ntf_now_ns() - p->start_ns;
	due = el / 1000000000ULL * p->rate + el % 1000000000ULL * p->rate / 1000000000ULL;
	while (p->made < due) {
		/* one event a poll (batch 1): exactly as many as are due */
		int k = ntf_source_poll(p->synth, 0);

		if (k < 0)
			return k;
		p->made += k;
		n += k;
	}
	return n;
}

static void paced_free(struct ntf_source *src)
{
	struct paced_source *p = (struct paced_source *)src;

	ntf_source_free(p->synth);
	free(p);
}

static const struct ntf_source_ops paced_ops = {
	.name = "synthetic",
	.poll = paced_poll,
	.free = paced_free,
};

static int forward(void *ctx, const struct ntf_event *e)
{
	struct paced_source *p = ctx;
	struct ntf_event stamped = *e;

	/* made counts the events forwarded before this one */
	stamped.ts_ns = due_ns(p, p->made);
	return p->base.fn(p->base.ctx, &stamped);
}

struct ntf_source *ntf_source_paced_new(const struct ntf_synth_args *args, ntf_event_fn fn,
					void *ctx)
{
	/* one event a poll (batch 1), endless */
	struct ntf_synth_opts so = { .seed = args->seed, .keys = args->keys, .batch = 1 };
	struct paced_source *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->base.ops = &paced_ops;
	p->base.fn = fn;
	p->base.ctx = ctx;
	p->rate = args->rate;
	p->synth = ntf_source_synth_new(&so, forward, p);
	if (!p->synth) {
		free(p);
		return NULL;
	}
	p->start_ns = ntf_now_ns();
	return &p->base;
}
