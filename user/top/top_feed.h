/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Where notifier-top's numbers come from. A feed keeps an aggregate (class
 * x driver x process, struct ntf_agg) up to date with everything seen
 * since the feed started; the view takes differences between two reads.
 *
 *   daemon     a running notifierd, over its UNIX socket (top_feed_daemon.c)
 *   live       probes loaded by notifier-top itself, events off the ring buffer
 *   synthetic  generated events at a steady rate, for demos and tests
 *   replay     a trace file's events, played in the recording's time
 *
 * notifier-top tries the daemon first and loads probes itself when there is
 * none.
 */
#ifndef NTF_TOP_FEED_H
#define NTF_TOP_FEED_H

#include <stdbool.h>
#include <stddef.h>
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
	/*
	 * A feed with a clock of its own (a replayed file) has the ops
	 * below; notifier-top then keeps its intervals by that clock, not
	 * the monotonic one. clock_ms reads it in ms; horizon lets it run
	 * up to ms and no further (where the interval being shown ends);
	 * wall_s is the wall-clock time it stands for; pause stops it.
	 */
	__u64 (*clock_ms)(struct top_feed *f);
	void (*horizon)(struct top_feed *f, __u64 ms);
	double (*wall_s)(struct top_feed *f);
	void (*pause)(struct top_feed *f, bool paused);
	/* Where the feed stands, for the header ("at 12.3s x4"); may be NULL. */
	void (*describe)(struct top_feed *f, char *buf, size_t len);
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
	/*
	 * A finite feed (a replayed file) delivered all it had: refresh
	 * brings nothing more, and end_why says how it ended; end_err is
	 * non-zero when damage ended it early, end_short is set when its
	 * writer did not close the file (it ends at its last whole block).
	 */
	bool ended, end_short;
	int end_err;
	char end_why[320];
};

struct top_live_opts {
	bool no_fentry; /* -k */
	bool verbose; /* libbpf's log */
};

/* Loads and attaches the probes (needs root); NULL after saying why on stderr. */
struct top_feed *top_feed_live_new(const struct top_live_opts *opts);
struct top_feed *top_feed_synth_new(const struct ntf_synth_args *opts);
/*
 * A trace file played at speed recording seconds per second (0: as fast
 * as notifier-top takes it); NULL after saying why on stderr.
 */
struct top_feed *top_feed_replay_new(const char *path, double speed);
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
/* The feed's clock in ms: its own, or the monotonic one. */
__u64 top_feed_clock_ms(struct top_feed *f);
/* The feed's clock runs up to ms at most (feeds without a clock of their own: nothing). */
void top_feed_horizon(struct top_feed *f, __u64 ms);
/* Wall-clock seconds the feed's clock stands for: its own, or now. */
double top_feed_wall_s(struct top_feed *f);

/* Live probe points, and how many attached by each mechanism. */
unsigned int top_probes_live(const struct ntf_probe_state *probes,
			     unsigned int per_mech[NTF_MECH_MAX]);

#endif
