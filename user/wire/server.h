/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * notifierd's socket server: serves an ntf_agg to several clients at once
 * over a UNIX stream socket (proto.h), a snapshot then deltas. Never
 * blocks: sockets are non-blocking and each client's queued output is
 * capped; a client that falls behind loses its queued deltas and gets a
 * fresh snapshot once it has drained and its socket takes bytes again.
 * Single-threaded: the caller runs ntf_server_tick from its main loop,
 * between changes to the aggregate.
 */
#ifndef NTF_SERVER_H
#define NTF_SERVER_H

#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>
#include "aggregate.h"
#include "probe_points.h"
#include "proto.h"

#define NTF_SERVER_DEFAULT_PATH "/run/notifier/notifierd.sock"
#define NTF_SERVER_MIN_INTERVAL_MS 100
#define NTF_SERVER_MAX_INTERVAL_MS 60000

struct ntf_server_opts {
	__u32 interval_ms; /* for clients asking 0; 0: 1000 */
	size_t out_cap; /* per-client queued output; 0: 4 MiB; never under 2 snapshots */
	unsigned int max_clients; /* 0: 64 */
	__u32 hello_timeout_ms; /* 0: 5000 */
	__u32 max_keys; /* told to clients in WELCOME */
	__u32 flags; /* enum ntf_proto_welcome_flag */
	/* Fills what the caller knows (kernel counters, events, uptime); may be NULL. */
	void (*counters)(void *ctx, struct ntf_proto_counters *out);
	/*
	 * Writes a flight recorder snapshot for a TRIGGER from a peer the
	 * server let through (uid 0, or the daemon's own: pid and uid as the
	 * socket says); NULL: the daemon keeps none, and says so. 0 with *out
	 * filled, or a negative errno with why (one line) for the client.
	 */
	int (*trigger)(void *ctx, uid_t uid, pid_t pid, struct ntf_proto_triggered *out, char *why,
		       size_t why_len);
	/*
	 * Does what a POLICY asks (a LOAD or UNLOAD only from a peer let
	 * through as for a trigger) and fills the state after it; NULL: the
	 * daemon runs no policies. 0, or a negative errno with why.
	 */
	int (*policy)(void *ctx, const struct ntf_proto_policy *req,
		      struct ntf_proto_policy_state *out, char *why, size_t why_len);
	void *ctx;
};

struct ntf_server_stats {
	unsigned int clients;
	__u64 accepted;
	__u64 refused; /* over max_clients */
	__u64 errors; /* ERROR frames sent to misbehaving clients (and refused triggers) */
	__u64 triggers; /* TRIGGERs answered with a snapshot */
	__u64 policy_requests; /* POLICYs answered with a state */
	__u64 resyncs; /* snapshots resent after a client fell behind */
	__u64 dropped_bytes; /* queued deltas dropped for those */
	size_t buffered; /* bytes queued for all clients now */
	size_t buffered_max; /* the most one client ever had queued */
	size_t out_cap; /* the per-client bound in force */
};

struct ntf_server;
struct ntf_conn;

/* agg and probes must outlive the server. */
struct ntf_server *ntf_server_new(struct ntf_agg *agg, const struct ntf_probe_state *probes,
				  unsigned int nprobes, const struct ntf_server_opts *opts);
/*
 * Creates the socket: its directory (if missing, or holding nothing but
 * a stale socket) 0750, the socket 0660, both owned by the caller and gid.
 * A live socket at path is -EADDRINUSE; something else there is -EEXIST.
 */
int ntf_server_listen(struct ntf_server *s, const char *path, gid_t gid);
/*
 * A group, by number or by name from /etc/group (not through NSS, so a
 * static daemon needs no shared libraries for it): 0, or -ENOENT.
 */
int ntf_server_group(const char *name, gid_t *gid);
/* An fd that polls readable when the server has socket work. */
int ntf_server_fd(const struct ntf_server *s);
/* Waits up to timeout_ms for the server's sockets or other_fd (-1: none). */
int ntf_server_wait(struct ntf_server *s, int other_fd, int timeout_ms);
/* Accepts, reads, writes what is ready without waiting, and sends the updates due. */
void ntf_server_tick(struct ntf_server *s, __u64 now_ms);
void ntf_server_stats(const struct ntf_server *s, struct ntf_server_stats *out);
/* Says BYE to every client, closes, removes the socket and the directory it made. */
void ntf_server_free(struct ntf_server *s);

/*
 * A connection on an fd the caller opened (a socketpair in tests), or on
 * none (fd -1: output is queued, never written; for fuzzing). The server
 * owns and closes fd.
 */
struct ntf_conn *ntf_server_add(struct ntf_server *s, int fd, __u64 now_ms);
/*
 * Feeds bytes a connection received. Returns 0, or the -errno of a
 * protocol violation: an ERROR frame is then queued and the connection
 * closes once it is written (or at once if it cannot be).
 */
int ntf_server_input(struct ntf_server *s, struct ntf_conn *c, const void *buf, size_t n,
		     __u64 now_ms);
/* The output queued for c and not yet written. */
const __u8 *ntf_server_pending(const struct ntf_conn *c, size_t *len);
/* False once c is closing or closed (its ERROR, if any, may still be queued). */
bool ntf_server_conn_live(const struct ntf_conn *c);

#endif
