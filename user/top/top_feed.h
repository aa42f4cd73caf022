/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Where notifier-top's numbers come from. A feed keeps an aggregate (class
 * x driver x process, struct ntf_agg) up to date with everything seen
 * since the feed started; the view takes differences between two reads.
 *
 *   daemon     a running notifierd, over its UNIX socket (top_feed_daemon.c)
 *   live       probes loaded by notifier-top itself, events off the ring buffer
 *   synthetic  generated events at a steady rate, for demos and tests
 *
 * notifier-top tries the daemon first and loads probes itself when there is
 * none.
 */
#ifndef NTF_TOP_FEED_H
#define NTF_TOP_FEED_H

#include <stdbool.h>
#include <linux/types.h>
#include "synth_args.h"
#include "aggregate.h"
#include "probe_points.h"

#define TOP_DEFAULT_SOCKET "/run/notifier/notifierd.sock"

struct top_feed;

struct top_feed_counters {
	__u64 drops; /* events the kernel could not deliver (ring buffer full) */
	__u64 lost; /* events not measured or not aggregated (BPF maps full) */
	__u64 bad; /* records that failed to decode */
	/* driver calls made before their probes saw them (the registration watch) */
	__u64 unseen;
};

struct top_feed_ops {
	/*
	 * Brings into up to date: the cumulative aggregate since the feed
	 * started, for as many keys as the feed knows. Waits up to timeout_ms
	 * for news (0: only what is ready). Changes into only through
	 * ntf_agg_add/add_hist/put, which stamp entries with into's
	 * generation: notifier-top copies what changed since its last read
	 * by generation. Counts never go backwards, except when the source
	 * itself restarted. Returns >= 0, or a negative errno that ends
	 * notifier-top (-EINTR is not an error).
	 */
	int (*refresh)(struct top_feed *f, struct ntf_agg *into, int timeout_ms);
	/* ntf_probe_count states, or NULL when the feed has no probes to show. */
	const struct ntf_probe_state *(*probes)(struct top_feed *f);
	void (*counters)(struct top_feed *f, struct top_feed_counters *out);
	void (*free)(struct top_feed *f);
};

struct top_feed {
	const struct top_feed_ops *ops;
	const char *name; /* "daemon", "live", "synthetic": shown in the header */
	/*
	 * The first refresh brings totals from before the feed was opened (a
	 * daemon's snapshot): notifier-top then waits for that first update
	 * and counts its first interval from there.
	 */
	bool has_history;
};

struct top_live_opts {
	bool no_fentry; /* -k */
	bool verbose; /* libbpf's log */
};

/* Loads and attaches the probes (needs root); NULL after saying why on stderr. */
struct top_feed *top_feed_live_new(const struct top_live_opts *opts);
struct top_feed *top_feed_synth_new(const struct ntf_synth_args *opts);
/*
 * A running notifierd's aggregate over its socket. NULL with errno set when
 * there is no daemon to talk to (ENOTCONN, ENOENT, ECONNREFUSED, ...), and
 * notifier-top then loads the probes itself. Implemented in
 * top_feed_daemon.c; top_feed.c has a weak stand-in that always says
 * ENOTCONN, so notifier-top links without it.
 */
struct top_feed *top_feed_daemon_new(const char *socket_path);

static inline int top_feed_refresh(struct top_feed *f, struct ntf_agg *into, int timeout_ms)
{
	/* parenthesised: curses defines refresh() as a macro */
	return (f->ops->refresh)(f, into, timeout_ms);
}

static inline const struct ntf_probe_state *top_feed_probes(struct top_feed *f)
{
	return f->ops->probes ? f->ops->probes(f) : NULL;
}

void top_feed_counters(struct top_feed *f, struct top_feed_counters *out);
void top_feed_free(struct top_feed *f);

/* Live probe points, and how many attached by each mechanism. */
unsigned int top_probes_live(const struct ntf_probe_state *probes,
			     unsigned int per_mech[NTF_MECH_MAX]);

#endif
