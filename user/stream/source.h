/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * An event source feeds decoded events to a handler: the live ring buffer,
 * or a synthetic generator (and later a recorded file), so every consumer
 * runs the same way with or without BPF.
 */
#ifndef NTF_SOURCE_H
#define NTF_SOURCE_H

#include <stdbool.h>
#include <linux/types.h>
#include "notifier.h"

typedef int (*ntf_event_fn)(void *ctx, const struct ntf_event *e);

struct ntf_source;

struct ntf_source_ops {
	const char *name;
	/* Delivers what is ready, waiting up to timeout_ms. Returns the
	 * number of events, -ENODATA at the end of a finite source, or a
	 * negative errno.
	 */
	int (*poll)(struct ntf_source *src, int timeout_ms);
	void (*free)(struct ntf_source *src);
};

struct ntf_source {
	const struct ntf_source_ops *ops;
	ntf_event_fn fn;
	void *ctx;
	__u64 bad_records; /* records that failed to decode */
};

static inline int ntf_source_poll(struct ntf_source *src, int timeout_ms)
{
	return src->ops->poll(src, timeout_ms);
}

static inline void ntf_source_free(struct ntf_source *src)
{
	if (src)
		src->ops->free(src);
}

/* The BPF ring buffer behind events_fd. */
struct ntf_source *ntf_source_bpf_new(int events_fd, ntf_event_fn fn, void *ctx);

struct ntf_synth_opts {
	__u64 seed;
	__u64 count; /* events in all; 0 means endless */
	__u32 batch; /* events per poll */
	__u32 processes; /* distinct tgids to spread events over */
	/*
	 * Non-zero: spread events over this many (process, driver) pairs
	 * instead of processes: pair k is callback 1 + k % callbacks in
	 * tgid 1000 + k / callbacks. Pairs then differ as on a live system:
	 * some are slower, and ranges are now and then non-blockable, fence
	 * waits and pins nested, unmaps driven by reclaim.
	 */
	__u32 keys;
	__u32 callbacks; /* with keys: callback ids per process; 0 means 4 */
};

/* --synthetic's --keys and --rate, alike in every command that has them. */
#define NTF_SYNTH_DEFAULT_KEYS 50
#define NTF_SYNTH_DEFAULT_RATE 20000
#define NTF_SYNTH_MAX_KEYS (1u << 20)
#define NTF_SYNTH_MAX_RATE 10000000u

/* Deterministic pseudo-random events of every class, for tests and benchmarks. */
struct ntf_source *ntf_source_synth_new(const struct ntf_synth_opts *opts, ntf_event_fn fn,
					void *ctx);

struct ntf_synth_args;

/*
 * The synthetic source as --synthetic, --keys and --rate ask (seed, keys;
 * endless) at a steady rate of events per second by the monotonic clock:
 * a poll waits up to timeout_ms, then delivers every event due since the
 * source was made.
 */
struct ntf_source *ntf_source_paced_new(const struct ntf_synth_args *args, ntf_event_fn fn,
					void *ctx);

/* A synthetic stream as --synthetic[=SEED], --keys and --rate ask for it (cli/synth_args.h). */
struct ntf_synth_args {
	bool on; /* --synthetic given */
	bool keys_set, rate_set;
	__u64 seed;
	__u32 keys; /* (process, driver) pairs */
	__u32 rate; /* events per second */
};

#endif
