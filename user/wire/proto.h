/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The notifierd socket protocol. A frame is a 16-byte header (magic
 * "ntfp", version, type, payload length, a reserved zero word; little
 * endian, no alignment assumed) and a payload of at most
 * NTF_PROTO_MAX_PAYLOAD bytes.
 *
 *   client -> HELLO (version, wanted interval)
 *   server -> WELCOME (version, interval, max keys, probe states)
 *   server -> SNAPSHOT (every entry), then every interval a DELTA (the
 *             entries changed since the generation the client last got)
 *   server -> NAMES (the driver names of discovered callback ids), before
 *             the first update that may use a name the client lacks
 *   either -> ERROR (code, message) and closes, or BYE
 *
 * Or, in place of HELLO, a request that gets one answer and a close:
 *
 *   client -> TRIGGER: write a flight recorder snapshot (notifier record
 *             --trigger); root's only, or the daemon's own user's
 *   server -> TRIGGERED (the file written: path, events, bytes, span), or
 *             ERROR (DENIED, UNAVAILABLE without --flight, FAILED)
 *   client -> POLICY: load a BPF policy (a path), unload it, or list it
 *             (notifier policy load|unload|list); loading and unloading
 *             are root's, or the daemon's own user's
 *   server -> POLICY_STATE (the policy judging now, and what it judged),
 *             or ERROR (DENIED, FAILED: the loader's words)
 *
 * TRIGGER, TRIGGERED, POLICY and POLICY_STATE came after version 3 and did not change it: they
 * are new types, which a v3 daemon that predates them refuses as an
 * unknown type (NTF_PERR_TYPE), so a client tells an older daemon from a
 * refusal; a v4 daemon has them all.
 *
 * A SNAPSHOT or DELTA spans one or more frames: the first has
 * NTF_PROTO_F_FIRST, the last NTF_PROTO_F_LAST; each carries the daemon's
 * counters. Entries are sparse: only the non-zero histogram slots and
 * origins travel, and the fine buckets that hold something (proto.c has
 * their encoding), so a client reads the same percentiles as the daemon.
 * Decoders check every length against the buffer and the field's bound,
 * and fill NUL-terminated strings.
 */
#ifndef NTF_PROTO_H
#define NTF_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "aggregate.h"
#include "notifier.h"
#include "probe_points.h"

#define NTF_PROTO_MAGIC 0x7066746eu /* "ntfp" */
/*
 * 2: min_ns in an entry; 3: an entry's fine buckets; 4: an entry's
 * counters as varints, which made the protocol test's snapshot of 2,000
 * keys 140 KB from 239 (a peer of another version gets NTF_PERR_VERSION)
 */
#define NTF_PROTO_VERSION 4
#define NTF_PROTO_HDR_LEN 16
#define NTF_PROTO_MAX_PAYLOAD (1u << 20)
/* Clients send HELLO, BYE, TRIGGER and POLICY (a path): anything longer is refused unread. */
#define NTF_PROTO_MAX_CLIENT_PAYLOAD (4 + 2 + NTF_PROTO_PATH_LEN)
/* Update frames are cut near this size, well under the bound. */
#define NTF_PROTO_CHUNK (128u << 10)
#define NTF_PROTO_MAX_PROBES 32
#define NTF_PROTO_ID_LEN 32
#define NTF_PROTO_FUNC_LEN 64
#define NTF_PROTO_MSG_LEN 256
#define NTF_PROTO_MAX_NAMES 64
#define NTF_PROTO_NAME_LEN 24
#define NTF_PROTO_PATH_LEN 4096

enum ntf_proto_type {
	NTF_PROTO_HELLO = 1,
	NTF_PROTO_WELCOME,
	NTF_PROTO_SNAPSHOT,
	NTF_PROTO_DELTA,
	NTF_PROTO_ERROR,
	NTF_PROTO_BYE,
	NTF_PROTO_NAMES,
	NTF_PROTO_TRIGGER, /* client, in place of HELLO: a flight recorder snapshot */
	NTF_PROTO_TRIGGERED, /* server: the snapshot written */
	NTF_PROTO_POLICY, /* client, in place of HELLO: load, unload or list the BPF policy */
	NTF_PROTO_POLICY_STATE, /* server: the policy after it */
	NTF_PROTO_TYPE_MAX,
};

enum ntf_proto_update_flag {
	NTF_PROTO_F_FIRST = 1u << 0,
	NTF_PROTO_F_LAST = 1u << 1,
};

enum ntf_proto_welcome_flag {
	NTF_PROTO_W_STREAM = 1u << 0, /* the daemon aggregates the event stream */
};

/* ERROR codes on the wire. */
enum ntf_proto_err {
	NTF_PERR_MAGIC = 1, /* not a frame of this protocol */
	NTF_PERR_VERSION, /* a version the other side does not speak */
	NTF_PERR_LENGTH, /* payload length over the bound */
	NTF_PERR_TYPE, /* unknown frame type */
	NTF_PERR_MALFORMED, /* a payload that does not decode */
	NTF_PERR_STATE, /* a valid frame at the wrong time */
	NTF_PERR_BUSY, /* too many clients */
	NTF_PERR_TIMEOUT, /* no HELLO in time */
	NTF_PERR_INTERNAL, /* the daemon ran out of memory */
	NTF_PERR_DENIED, /* the peer may not ask this (a TRIGGER from a user not root) */
	NTF_PERR_UNAVAILABLE, /* the daemon does not do this (TRIGGER without --flight) */
	NTF_PERR_FAILED, /* the daemon tried and failed (a snapshot it could not write) */
};

/* What the daemon knows besides the entries; sent with every update frame. */
struct ntf_proto_counters {
	__u64 kernel[NTF_CNT_MAX]; /* enum ntf_counter: ring buffer drops... */
	__u64 events; /* events the daemon consumed from the stream */
	__u64 bad_records; /* stream records that failed to decode */
	__u64 folded; /* events folded into "other" keys (max keys reached) */
	__u64 keys; /* entries in the daemon's aggregate */
	__u64 clients; /* clients connected */
	__u64 resyncs; /* snapshots resent to clients that fell behind, all clients */
	__u64 uptime_ms;
};

struct ntf_proto_frame {
	__u16 type;
	__u16 version;
	__u32 len;
	const __u8 *payload;
};

struct ntf_proto_hello {
	__u16 version;
	__u32 interval_ms; /* 0: the daemon's default */
};

struct ntf_proto_probe {
	char id[NTF_PROTO_ID_LEN];
	char func[NTF_PROTO_FUNC_LEN];
	__u8 mech; /* enum ntf_mech; NONE when not attached */
	bool attached;
	bool core;
	char why[NTF_MECH_MAX][NTF_REASON_LEN];
};

struct ntf_proto_welcome {
	__u16 version;
	__u32 interval_ms;
	__u32 max_keys; /* size a mirror at least this big, or puts fold */
	__u32 flags; /* enum ntf_proto_welcome_flag */
	__u32 nprobes;
	struct ntf_proto_probe probes[NTF_PROTO_MAX_PROBES];
};

/* A decoded SNAPSHOT or DELTA frame; its entries are read with ntf_proto_update_next. */
struct ntf_proto_update {
	__u16 type;
	__u16 flags;
	__u32 nentries;
	__u64 base; /* DELTA: changes after this generation; SNAPSHOT: 0 */
	__u64 gen; /* the generation this update brings the mirror to */
	struct ntf_proto_counters counters;
	/* private: the validated entries */
	const __u8 *entries;
	size_t entries_len, pos;
	__u32 next;
};

struct ntf_proto_error {
	__u32 code;
	char msg[NTF_PROTO_MSG_LEN];
};

/* Subscriber ids past the daemon's table, and what users call them. */
struct ntf_proto_names {
	__u32 n;
	struct {
		__u32 id;
		char name[NTF_PROTO_NAME_LEN];
	} names[NTF_PROTO_MAX_NAMES];
};

/* What a TRIGGER wrote: a flight recorder snapshot. */
struct ntf_proto_triggered {
	char path[NTF_PROTO_PATH_LEN];
	__u64 events;
	__u64 bytes; /* the file's size */
	__u64 from_ns, to_ns; /* its events' ts_ns, oldest and newest; 0 without events */
	__u64 wall_ns; /* CLOCK_REALTIME when the daemon took the trigger */
};

/* What a POLICY asks. */
enum ntf_proto_policy_op {
	NTF_PROTO_POLICY_LIST = 1,
	NTF_PROTO_POLICY_LOAD,
	NTF_PROTO_POLICY_UNLOAD,
	NTF_PROTO_POLICY_OP_MAX,
};

struct ntf_proto_policy {
	__u32 op; /* enum ntf_proto_policy_op */
	char path[NTF_PROTO_PATH_LEN]; /* LOAD: the object, an absolute path; else empty */
};

/* The policy judging after a POLICY: none when name is empty. */
#define NTF_PROTO_POLICY_NAME_LEN 64
struct ntf_proto_policy_state {
	char name[NTF_PROTO_POLICY_NAME_LEN];
	char path[NTF_PROTO_PATH_LEN];
	char backend[16];
	__u64 verdicts[4]; /* ignore, count, record, escalate: since the daemon started */
	__u64 judged; /* by this policy */
	__u64 since_ns; /* the ts_ns of the first event it judged; 0: none yet */
	__u32 loads; /* policies loaded since the daemon started, this one included */
};

/*
 * Splits the frame at the start of buf. Returns 0 and sets *used, -EAGAIN
 * when more bytes are needed, or: -EILSEQ (bad magic), -EBADMSG (reserved
 * word not zero), -EPROTONOSUPPORT (version; f->version says which), -EMSGSIZE (length
 * over max_payload), -EPROTO (unknown type). A bad magic is caught as soon
 * as its first byte differs, so garbage does not wait for a whole header.
 */
int ntf_proto_parse(const void *buf, size_t n, __u32 max_payload, struct ntf_proto_frame *f,
		    size_t *used);

/* Typed decoders: 0, or -EBADMSG for a payload that does not decode exactly. */
int ntf_proto_decode_hello(const struct ntf_proto_frame *f, struct ntf_proto_hello *out);
int ntf_proto_decode_welcome(const struct ntf_proto_frame *f, struct ntf_proto_welcome *out);
/* Checks every entry; afterwards ntf_proto_update_next cannot fail. */
int ntf_proto_decode_update(const struct ntf_proto_frame *f, struct ntf_proto_update *out);
/*
 * Returns 1 with *out filled (gen 0), 0 after the last entry, -EBADMSG if
 * corrupt, -ENOMEM. out->fine is the decoder's scratch, owned by the
 * caller: zeroed before the first call, it gets room for NTF_BUCKETS_MAX
 * buckets once and is reused by every later call on the same out, each
 * entry's buckets overwriting the last's; ntf_buckets_free it when done.
 * What outlives the next call is copied (ntf_agg_put deep-copies).
 */
int ntf_proto_update_next(struct ntf_proto_update *u, struct ntf_agg_entry *out);
int ntf_proto_decode_error(const struct ntf_proto_frame *f, struct ntf_proto_error *out);
int ntf_proto_decode_bye(const struct ntf_proto_frame *f);
/* Also -EBADMSG for an empty name or more than NTF_PROTO_MAX_NAMES. */
int ntf_proto_decode_names(const struct ntf_proto_frame *f, struct ntf_proto_names *out);
/* TRIGGER has no payload. */
int ntf_proto_decode_trigger(const struct ntf_proto_frame *f);
/* Also -EBADMSG for an empty path. */
int ntf_proto_decode_triggered(const struct ntf_proto_frame *f, struct ntf_proto_triggered *out);

/* Also -EBADMSG for an unknown op, or a LOAD without a path (or another with one). */
int ntf_proto_decode_policy(const struct ntf_proto_frame *f, struct ntf_proto_policy *out);
int ntf_proto_decode_policy_state(const struct ntf_proto_frame *f,
				  struct ntf_proto_policy_state *out);

/* A growable output buffer; encoders append whole frames or nothing. */
struct ntf_proto_buf {
	__u8 *data;
	size_t len, cap;
};

void ntf_proto_buf_free(struct ntf_proto_buf *b);
/* Makes room for n more bytes: 0 or -ENOMEM. */
int ntf_proto_buf_reserve(struct ntf_proto_buf *b, size_t n);

int ntf_proto_put_hello(struct ntf_proto_buf *b, __u32 interval_ms);
int ntf_proto_put_welcome(struct ntf_proto_buf *b, const struct ntf_proto_welcome *w);
/* Appends a SNAPSHOT (since 0) or DELTA of the entries of agg changed after since. */
int ntf_proto_put_update(struct ntf_proto_buf *b, __u16 type, const struct ntf_agg *agg,
			 __u64 since, __u64 gen, const struct ntf_proto_counters *counters);
int ntf_proto_put_error(struct ntf_proto_buf *b, __u32 code, const char *msg);
int ntf_proto_put_bye(struct ntf_proto_buf *b);
int ntf_proto_put_names(struct ntf_proto_buf *b, const struct ntf_proto_names *names);
int ntf_proto_put_trigger(struct ntf_proto_buf *b);
int ntf_proto_put_triggered(struct ntf_proto_buf *b, const struct ntf_proto_triggered *t);
int ntf_proto_put_policy(struct ntf_proto_buf *b, const struct ntf_proto_policy *p);
int ntf_proto_put_policy_state(struct ntf_proto_buf *b, const struct ntf_proto_policy_state *st);

/* The header of a frame known to be whole (one this side encoded). */
size_t ntf_proto_frame_size(const __u8 *frame);

/* Fills a WELCOME's probe list from the attach ladder's states. */
void ntf_proto_probes_from_states(struct ntf_proto_welcome *w, const struct ntf_probe_state *st,
				  unsigned int n);
const char *ntf_proto_type_name(unsigned int type);
const char *ntf_proto_err_name(unsigned int code);
/* A parse or decode errno as the ERROR code the peer is told. */
__u32 ntf_proto_err_from_errno(int err);

#endif
