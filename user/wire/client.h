/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A notifierd client: connects, says HELLO, reads WELCOME (the probe
 * states), then mirrors the daemon's aggregate into a caller's ntf_agg:
 * a SNAPSHOT, then DELTAs, each entry replacing the mirror's copy
 * (ntf_agg_put). Size the mirror for the daemon's max_keys (WELCOME), or
 * its puts fold processes into "other" keys.
 */
#ifndef NTF_CLIENT_H
#define NTF_CLIENT_H

#include <stdbool.h>
#include <linux/types.h>
#include "aggregate.h"
#include "proto.h"

struct ntf_client;

struct ntf_client_stats {
	__u64 gen; /* the daemon generation the mirror is at */
	__u64 snapshots; /* complete snapshots applied: more than one means resyncs */
	__u64 deltas; /* complete deltas applied */
	__u64 frames, bytes; /* received */
	bool synced; /* a snapshot has been applied */
};

/* 0 or -errno: -ENOENT or -ECONNREFUSED when no daemon serves path. */
int ntf_client_connect(const char *path, struct ntf_client **out);
/* A client on a connected stream fd it then owns (tests: a socketpair). */
struct ntf_client *ntf_client_from_fd(int fd);
/* Asks for an update every interval_ms (0: the daemon's default). */
int ntf_client_hello(struct ntf_client *c, __u32 interval_ms);
/* Waits up to timeout_ms (-1: no limit) for WELCOME: 0, -ETIMEDOUT, or as ntf_client_poll. */
int ntf_client_welcome(struct ntf_client *c, int timeout_ms);
/* connect, hello and welcome in one. */
int ntf_client_open(const char *path, __u32 interval_ms, int timeout_ms, struct ntf_client **out);
/*
 * Reads for up to timeout_ms (0: only what is ready; -1: no limit) and
 * applies the updates that arrive into into (NULL: only tracked). Returns
 * the updates completed (> 0) as soon as there is one, 0 if none in time,
 * or: -ECONNRESET (the daemon went away), -ESHUTDOWN (it said BYE),
 * -EPROTO, -EPROTONOSUPPORT or -EBUSY (it sent ERROR: ntf_client_error),
 * -EPROTONOSUPPORT also for frames of another protocol version (an older
 * or newer daemon, which cannot be understood; ntf_client_error NULL),
 * -EBADMSG (a frame that does not decode or breaks the sequence).
 */
int ntf_client_poll(struct ntf_client *c, struct ntf_agg *into, int timeout_ms);

/* NULL before WELCOME. */
const struct ntf_proto_welcome *ntf_client_info(const struct ntf_client *c);
/*
 * The daemon's probe states as this build's ntf_probe_count states (out),
 * matched by id, for the reports that take them; a point the daemon did
 * not name is shown unattached.
 */
void ntf_client_probe_states(const struct ntf_client *c, struct ntf_probe_state *out);
const struct ntf_proto_counters *ntf_client_counters(const struct ntf_client *c);
/* The daemon's ERROR, or NULL if it sent none. */
const struct ntf_proto_error *ntf_client_error(const struct ntf_client *c);
void ntf_client_stats(const struct ntf_client *c, struct ntf_client_stats *out);
int ntf_client_fd(const struct ntf_client *c);
/* Says BYE if it can, closes. */
void ntf_client_free(struct ntf_client *c);

#endif
