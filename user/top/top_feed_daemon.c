// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* notifier-top's daemon feed: a notifierd client mirroring the daemon's aggregate. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "client.h"
#include "top_feed.h"

/* Fresher than a screen refresh, so the view never lags a whole interval. */
#define FEED_INTERVAL_MS 250
#define WELCOME_TIMEOUT_MS 2000

struct daemon_feed {
	struct top_feed base;
	struct ntf_client *c;
	char path[108];
	struct ntf_probe_state *probes; /* ntf_probe_count, by this build's points */
};

static int connect_daemon(struct daemon_feed *d)
{
	int err = ntf_client_open(d->path, FEED_INTERVAL_MS, WELCOME_TIMEOUT_MS, &d->c);

	if (err) {
		d->c = NULL;
		return err;
	}
	ntf_client_probe_states(d->c, d->probes);
	return 0;
}

static int daemon_refresh(struct top_feed *f, struct ntf_agg *into, int timeout_ms)
{
	struct daemon_feed *d = (struct daemon_feed *)f;
	int n = d->c ? ntf_client_poll(d->c, into, timeout_ms) : -ECONNRESET;

	/* A restarted daemon: one new connection, and its snapshot replaces the mirror. */
	if (n == -ECONNRESET || n == -ESHUTDOWN) {
		ntf_client_free(d->c);
		n = connect_daemon(d);
		if (!n)
			n = ntf_client_poll(d->c, into, timeout_ms);
	}
	return n;
}

static const struct ntf_probe_state *daemon_probes(struct top_feed *f)
{
	return ((struct daemon_feed *)f)->probes;
}

static void daemon_counters(struct top_feed *f, struct top_feed_counters *out)
{
	struct daemon_feed *d = (struct daemon_feed *)f;
	const struct ntf_proto_counters *c = d->c ? ntf_client_counters(d->c) : NULL;

	memset(out, 0, sizeof(*out));
	if (!c)
		return;
	out->drops = c->kernel[NTF_CNT_RB_DROPS];
	out->lost = c->kernel[NTF_CNT_HIST_DROPS] + c->kernel[NTF_CNT_INFLIGHT_DROPS];
	out->bad = c->bad_records;
}

static void daemon_free(struct top_feed *f)
{
	struct daemon_feed *d = (struct daemon_feed *)f;

	ntf_client_free(d->c);
	free(d->probes);
	free(d);
}

static const struct top_feed_ops daemon_ops = {
	.refresh = daemon_refresh,
	.probes = daemon_probes,
	.counters = daemon_counters,
	.free = daemon_free,
};

struct top_feed *top_feed_daemon_new(const char *socket_path)
{
	struct daemon_feed *d = calloc(1, sizeof(*d));
	int err;

	if (!d) {
		errno = ENOMEM;
		return NULL;
	}
	d->base.ops = &daemon_ops;
	d->base.name = "daemon";
	/* the daemon's aggregate predates this client: rates start at the second read */
	d->base.has_history = true;
	if (!socket_path)
		socket_path = TOP_DEFAULT_SOCKET;
	d->probes = calloc(ntf_probe_count, sizeof(*d->probes));
	snprintf(d->path, sizeof(d->path), "%s", socket_path);
	if (strlen(socket_path) >= sizeof(d->path))
		err = -ENAMETOOLONG;
	else if (!d->probes)
		err = -ENOMEM;
	else
		err = connect_daemon(d);
	if (err) {
		free(d->probes);
		free(d);
		errno = -err;
		return NULL;
	}
	return &d->base;
}
