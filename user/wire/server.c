// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The connections of notifierd's socket server. Each client has a small
 * input buffer (clients only ever send HELLO and BYE) and a capped output
 * queue of whole frames; head marks the start of the frame being written,
 * so queued frames behind it can be dropped without cutting one in half.
 */
#define _GNU_SOURCE /* accept4 */
#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include "server.h"
#include "server_sock.h"
#include "callbacks.h"

#define DEFAULT_OUT_CAP (4u << 20)
#define DEFAULT_MAX_CLIENTS 64
#define CLOSE_GRACE_MS 1000
/* Per tick and client: a flooding client cannot hold the loop. */
#define READ_BUDGET (64u << 10)
/* A drained queue keeps this much allocated; more is given back. */
#define KEEP_ALLOC (256u << 10)

enum conn_state { CONN_HELLO, CONN_LIVE, CONN_CLOSING, CONN_DEAD };

struct ntf_conn {
	int fd;
	bool fdless; /* added without a socket: the caller's until ntf_server_free */
	enum conn_state state;
	__u32 events; /* epoll interest now */
	__u8 in[NTF_PROTO_HDR_LEN + NTF_PROTO_MAX_CLIENT_PAYLOAD];
	size_t in_len;
	struct ntf_proto_buf out;
	size_t off; /* bytes of out written */
	size_t head; /* start of the frame holding byte off */
	__u32 interval_ms;
	__u64 sent_gen; /* the generation the queued updates reach */
	__u64 names_gen; /* the callback names the client has been sent */
	__u64 deadline; /* HELLO or CLOSING: when to give up */
	__u64 next_due;
	bool resync; /* fell behind: a snapshot once drained and the socket takes bytes */
	/*
	 * The socket took no more at the last write: a client that stopped
	 * reading (a suspended view) holds it full, and a resync's snapshot
	 * waits until it takes bytes again, or each would be encoded only to
	 * be dropped in its turn.
	 */
	bool full;
	bool has_peer; /* the socket named its peer (SO_PEERCRED): a TRIGGER needs one */
	uid_t peer_uid;
	pid_t peer_pid;
};

struct ntf_server {
	struct ntf_agg *agg;
	struct ntf_server_opts opts;
	const struct ntf_probe_state *probes;
	unsigned int nprobes;
	struct ntf_proto_welcome welcome;
	int epfd;
	struct ntf_sock sock;
	struct ntf_conn **conns;
	unsigned int nconns;
	unsigned int nfds; /* connections on a socket: epoll has news only with them */
	__u64 now;
	/* One update encoded per tick is shared by the clients it suits. */
	struct ntf_proto_buf scratch;
	bool scratch_ok;
	__u16 scratch_type;
	__u64 scratch_since, scratch_gen;
	size_t snapshot_len; /* the last snapshot's size: the cap follows it */
	struct ntf_server_stats st;
};

struct ntf_server *ntf_server_new(struct ntf_agg *agg, const struct ntf_probe_state *probes,
				  unsigned int nprobes, const struct ntf_server_opts *opts)
{
	struct ntf_server *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->agg = agg;
	s->opts = *opts;
	if (!s->opts.interval_ms)
		s->opts.interval_ms = 1000;
	if (!s->opts.out_cap)
		s->opts.out_cap = DEFAULT_OUT_CAP;
	if (!s->opts.max_clients)
		s->opts.max_clients = DEFAULT_MAX_CLIENTS;
	if (!s->opts.hello_timeout_ms)
		s->opts.hello_timeout_ms = 5000;
	s->sock.fd = -1;
	s->welcome.version = NTF_PROTO_VERSION;
	s->welcome.max_keys = opts->max_keys;
	s->welcome.flags = opts->flags;
	s->probes = probes;
	s->nprobes = nprobes;
	s->conns = calloc(s->opts.max_clients, sizeof(*s->conns));
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!s->conns || s->epfd < 0) {
		ntf_server_free(s);
		return NULL;
	}
	return s;
}

static size_t pending(const struct ntf_conn *c)
{
	return c->out.len - c->off;
}

static size_t out_cap(const struct ntf_server *s)
{
	return s->opts.out_cap > 2 * s->snapshot_len ? s->opts.out_cap : 2 * s->snapshot_len;
}

static void set_interest(struct ntf_server *s, struct ntf_conn *c)
{
	struct epoll_event ev = { .data.ptr = c };

	if (c->fd < 0 || c->state == CONN_DEAD)
		return;
	/* A closing client is not read: its unread bytes cannot keep us busy. */
	ev.events = c->state == CONN_CLOSING ? 0 : EPOLLIN;
	if (pending(c) || (c->resync && c->full))
		ev.events |= EPOLLOUT;
	if (ev.events == c->events)
		return;
	if (!epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &ev))
		c->events = ev.events;
}

/*
 * Drops the queued frames behind the one being written, and the memory
 * they took: a client that never reads keeps one frame, not its peak.
 */
static void drop_queued(struct ntf_server *s, struct ntf_conn *c)
{
	size_t keep = c->off;
	__u8 *p;

	if (c->off > c->head)
		keep = c->head + ntf_proto_frame_size(c->out.data + c->head);
	s->st.dropped_bytes += c->out.len - keep;
	c->out.len = keep;
	c->names_gen = 0; /* a NAMES frame may have been among them */
	if (c->head) {
		memmove(c->out.data, c->out.data + c->head, c->out.len - c->head);
		c->out.len -= c->head;
		c->off -= c->head;
		c->head = 0;
	}
	if (c->out.cap > KEEP_ALLOC && c->out.len <= KEEP_ALLOC) {
		p = realloc(c->out.data, KEEP_ALLOC);
		if (p) {
			c->out.data = p;
			c->out.cap = KEEP_ALLOC;
		}
		/* glibc keeps freed heap pages resident: give them back now. */
		malloc_trim(0);
	}
}

/* Appends whole frames, compacting the written part away first. */
static int enqueue(struct ntf_conn *c, const __u8 *data, size_t n)
{
	if (c->off == c->out.len) {
		c->out.len = c->off = c->head = 0;
	} else if (c->head && c->out.cap - c->out.len < n) {
		memmove(c->out.data, c->out.data + c->head, c->out.len - c->head);
		c->out.len -= c->head;
		c->off -= c->head;
		c->head = 0;
	}
	if (ntf_proto_buf_reserve(&c->out, n))
		return -ENOMEM;
	memcpy(c->out.data + c->out.len, data, n);
	c->out.len += n;
	return 0;
}

static void note_buffered(struct ntf_server *s, const struct ntf_conn *c)
{
	if (pending(c) > s->st.buffered_max)
		s->st.buffered_max = pending(c);
}

static void close_conn(struct ntf_server *s, struct ntf_conn *c)
{
	if (c->state == CONN_DEAD)
		return;
	if (c->fd >= 0) {
		epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		c->fd = -1;
		s->nfds--;
	}
	c->state = CONN_DEAD;
	s->st.clients--;
	ntf_proto_buf_free(&c->out);
	c->off = c->head = 0;
}

/* Queues frames in place of whatever was queued, and closes after writing them. */
static void answer_and_close(struct ntf_server *s, struct ntf_conn *c,
			     const struct ntf_proto_buf *b)
{
	drop_queued(s, c);
	if (b->len)
		enqueue(c, b->data, b->len);
	c->state = CONN_CLOSING;
	c->deadline = s->now + CLOSE_GRACE_MS;
	set_interest(s, c);
}

/* An ERROR of code, then the close. Returns err. */
__attribute__((format(printf, 5, 6))) static int
reject_code(struct ntf_server *s, struct ntf_conn *c, int err, __u32 code, const char *fmt, ...)
{
	struct ntf_proto_buf b = {};
	char msg[NTF_PROTO_MSG_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ntf_proto_put_error(&b, code, msg))
		b.len = 0;
	answer_and_close(s, c, &b);
	ntf_proto_buf_free(&b);
	s->st.errors++;
	return err;
}

/* The same, the code told by err. */
#define reject(s, c, err, ...) reject_code(s, c, err, ntf_proto_err_from_errno(err), __VA_ARGS__)

static void fill_counters(struct ntf_server *s, struct ntf_proto_counters *out)
{
	memset(out, 0, sizeof(*out));
	if (s->opts.counters)
		s->opts.counters(s->opts.ctx, out);
	out->keys = ntf_agg_count(s->agg);
	out->folded = ntf_agg_folded(s->agg);
	out->clients = s->st.clients;
	out->resyncs = s->st.resyncs;
}

/* The update of the entries changed after since, up to gen, in s->scratch. */
static int encode(struct ntf_server *s, __u16 type, __u64 since, __u64 gen)
{
	struct ntf_proto_counters counters;
	int err;

	if (type == NTF_PROTO_SNAPSHOT)
		since = 0;
	if (s->scratch_ok && s->scratch_type == type && s->scratch_since == since &&
	    s->scratch_gen == gen)
		return 0;
	fill_counters(s, &counters);
	s->scratch.len = 0;
	s->scratch_ok = false;
	err = ntf_proto_put_update(&s->scratch, type, s->agg, since, gen, &counters);
	if (err)
		return err;
	s->scratch_ok = true;
	s->scratch_type = type;
	s->scratch_since = since;
	s->scratch_gen = gen;
	if (type == NTF_PROTO_SNAPSHOT)
		s->snapshot_len = s->scratch.len;
	return 0;
}

/* The names of discovered callback ids, ahead of an update that may use them. */
static int send_names(struct ntf_conn *c)
{
	__u64 gen = ntf_driver_names_gen();
	struct ntf_proto_names names = {};
	struct ntf_proto_buf b = {};
	__u32 first = ntf_callback_first_discovered();
	int err = 0;

	if (c->names_gen == gen)
		return 0;
	for (__u32 id = first; id < first + NTF_MAX_DISCOVERED && names.n < NTF_PROTO_MAX_NAMES;
	     id++) {
		const char *name = ntf_discovered_driver_name(id);

		if (!name)
			continue;
		names.names[names.n].id = id;
		snprintf(names.names[names.n].name, NTF_PROTO_NAME_LEN, "%s", name);
		names.n++;
	}
	if (names.n)
		err = ntf_proto_put_names(&b, &names);
	if (!err && names.n)
		err = enqueue(c, b.data, b.len);
	ntf_proto_buf_free(&b);
	if (!err)
		c->names_gen = gen;
	return err;
}

/*
 * Queues the update in s->scratch for c: handed over whole when c has
 * nothing queued and no other client may want it this tick, so that a
 * 100,000-key update is held once, not twice; else copied.
 */
static int enqueue_update(struct ntf_server *s, struct ntf_conn *c)
{
	struct ntf_proto_buf was = c->out;

	if (pending(c) || s->st.clients != 1)
		return enqueue(c, s->scratch.data, s->scratch.len);
	c->out = s->scratch;
	c->off = c->head = 0;
	s->scratch = was;
	s->scratch.len = 0;
	s->scratch_ok = false;
	return 0;
}

static int send_snapshot(struct ntf_server *s, struct ntf_conn *c, __u64 gen)
{
	int err = send_names(c);

	if (!err)
		err = encode(s, NTF_PROTO_SNAPSHOT, 0, gen);

	if (!err)
		err = enqueue_update(s, c);
	if (err)
		return reject(s, c, -ENOMEM, "cannot encode a snapshot");
	c->sent_gen = gen;
	c->resync = false;
	note_buffered(s, c);
	return 0;
}

static void send_due(struct ntf_server *s, struct ntf_conn *c, __u64 gen)
{
	c->next_due += c->interval_ms;
	if (c->next_due <= s->now)
		c->next_due = s->now + c->interval_ms;
	if (c->resync) {
		/* Drained, and the socket takes bytes: the snapshot follows what it holds. */
		if (!pending(c) && !c->full) {
			s->st.resyncs++;
			send_snapshot(s, c, gen);
		}
		return;
	}
	if (encode(s, NTF_PROTO_DELTA, c->sent_gen, gen)) {
		reject(s, c, -ENOMEM, "cannot encode a delta");
		return;
	}
	if (pending(c) + s->scratch.len > out_cap(s) || send_names(c) || enqueue_update(s, c)) {
		drop_queued(s, c);
		c->resync = true;
		/* Nothing in flight, and room in the socket: the client is drained already. */
		if (!pending(c) && !c->full) {
			s->st.resyncs++;
			send_snapshot(s, c, gen);
		}
		set_interest(s, c);
		return;
	}
	c->sent_gen = gen;
	note_buffered(s, c);
}

static int on_hello(struct ntf_server *s, struct ntf_conn *c, const struct ntf_proto_frame *f)
{
	struct ntf_proto_buf b = {};
	struct ntf_proto_hello h;
	__u32 iv;

	if (ntf_proto_decode_hello(f, &h))
		return reject(s, c, -EBADMSG, "malformed hello");
	if (h.version != NTF_PROTO_VERSION)
		return reject(s, c, -EPROTONOSUPPORT, "protocol version %u; this daemon speaks %u",
			      h.version, NTF_PROTO_VERSION);
	iv = h.interval_ms ? h.interval_ms : s->opts.interval_ms;
	if (iv < NTF_SERVER_MIN_INTERVAL_MS)
		iv = NTF_SERVER_MIN_INTERVAL_MS;
	if (iv > NTF_SERVER_MAX_INTERVAL_MS)
		iv = NTF_SERVER_MAX_INTERVAL_MS;
	c->interval_ms = iv;
	s->welcome.interval_ms = iv;
	/* Probes may attach while the daemon runs: the states as they are now. */
	if (s->probes)
		ntf_proto_probes_from_states(&s->welcome, s->probes, s->nprobes);
	if (ntf_proto_put_welcome(&b, &s->welcome) || enqueue(c, b.data, b.len)) {
		ntf_proto_buf_free(&b);
		return reject(s, c, -ENOMEM, "cannot encode a welcome");
	}
	ntf_proto_buf_free(&b);
	c->state = CONN_LIVE;
	c->next_due = s->now + iv;
	/* A new generation: what the snapshot holds is all before it. */
	return send_snapshot(s, c, ntf_agg_tick(s->agg));
}

/*
 * A snapshot of the flight recorder, asked by a peer as privileged as the
 * daemon: root, or the daemon's own user (who could send it SIGUSR1). The
 * socket may be open to a group (--socket-group) that should watch, not
 * write files as root.
 */
static int on_trigger(struct ntf_server *s, struct ntf_conn *c, const struct ntf_proto_frame *f)
{
	struct ntf_proto_triggered t = {};
	struct ntf_proto_buf b = {};
	char why[NTF_PROTO_MSG_LEN] = "";
	int err;

	if (ntf_proto_decode_trigger(f))
		return reject(s, c, -EBADMSG, "malformed trigger");
	if (!c->has_peer)
		return reject(s, c, -EACCES,
			      "a snapshot is root's to ask for: who asks is unknown");
	if (c->peer_uid != 0 && c->peer_uid != geteuid())
		return reject(s, c, -EACCES, "a snapshot is root's to ask for, not uid %u's",
			      (unsigned int)c->peer_uid);
	if (!s->opts.trigger)
		return reject(s, c, -EOPNOTSUPP,
			      "this notifierd keeps no flight recorder (start it with --flight)");
	err = s->opts.trigger(s->opts.ctx, c->peer_uid, c->peer_pid, &t, why, sizeof(why));
	if (err)
		return reject_code(s, c, err,
				   err == -EOPNOTSUPP ? NTF_PERR_UNAVAILABLE : NTF_PERR_FAILED,
				   "%s", why[0] ? why : strerror(-err));
	if (ntf_proto_put_triggered(&b, &t))
		return reject(s, c, -ENOMEM, "cannot encode the answer (%s was written)", t.path);
	answer_and_close(s, c, &b);
	ntf_proto_buf_free(&b);
	s->st.triggers++;
	return 0;
}

/* A policy listed by anyone the socket lets in; loaded or unloaded as a trigger is asked. */
static int on_policy(struct ntf_server *s, struct ntf_conn *c, const struct ntf_proto_frame *f)
{
	struct ntf_proto_policy req;
	struct ntf_proto_policy_state st = {};
	struct ntf_proto_buf b = {};
	char why[NTF_PROTO_MSG_LEN] = "";
	int err;

	if (ntf_proto_decode_policy(f, &req))
		return reject(s, c, -EBADMSG, "malformed policy request");
	if (req.op != NTF_PROTO_POLICY_LIST) {
		if (!c->has_peer)
			return reject(s, c, -EACCES,
				      "a policy is root's to load or unload: who asks is unknown");
		if (c->peer_uid != 0 && c->peer_uid != geteuid())
			return reject(s, c, -EACCES,
				      "a policy is root's to load or unload, not uid %u's",
				      (unsigned int)c->peer_uid);
	}
	if (!s->opts.policy)
		return reject(s, c, -EOPNOTSUPP, "this notifierd runs no policies");
	err = s->opts.policy(s->opts.ctx, &req, &st, why, sizeof(why));
	if (err)
		return reject_code(s, c, err, NTF_PERR_FAILED, "%s", why[0] ? why : strerror(-err));
	if (ntf_proto_put_policy_state(&b, &st))
		return reject(s, c, -ENOMEM, "cannot encode the answer");
	answer_and_close(s, c, &b);
	ntf_proto_buf_free(&b);
	s->st.policy_requests++;
	return 0;
}

static int on_frame(struct ntf_server *s, struct ntf_conn *c, const struct ntf_proto_frame *f)
{
	struct ntf_proto_buf b = {};

	if (f->type == NTF_PROTO_HELLO && c->state == CONN_HELLO) {
		return on_hello(s, c, f);
	} else if (f->type == NTF_PROTO_TRIGGER && c->state == CONN_HELLO) {
		return on_trigger(s, c, f);
	} else if (f->type == NTF_PROTO_POLICY && c->state == CONN_HELLO) {
		return on_policy(s, c, f);
	} else if (f->type == NTF_PROTO_BYE) {
		if (ntf_proto_decode_bye(f))
			return reject(s, c, -EBADMSG, "malformed bye");
		drop_queued(s, c);
		if (!ntf_proto_put_bye(&b))
			enqueue(c, b.data, b.len);
		ntf_proto_buf_free(&b);
		c->state = CONN_CLOSING;
		c->deadline = s->now + CLOSE_GRACE_MS;
	} else {
		return reject(s, c, -ENOMSG, "%s not expected from a client%s",
			      ntf_proto_type_name(f->type),
			      c->state == CONN_HELLO ? " before hello" : "");
	}
	return 0;
}

/* Handles every whole frame in c->in. */
static int parse_input(struct ntf_server *s, struct ntf_conn *c)
{
	struct ntf_proto_frame f;
	size_t used;
	int err;

	while (c->state == CONN_HELLO || c->state == CONN_LIVE) {
		err = ntf_proto_parse(c->in, c->in_len, NTF_PROTO_MAX_CLIENT_PAYLOAD, &f, &used);
		if (err == -EAGAIN)
			return 0;
		if (err == -EPROTONOSUPPORT)
			return reject(s, c, err, "protocol version %u; this daemon speaks %u",
				      f.version, NTF_PROTO_VERSION);
		if (err == -EMSGSIZE)
			return reject(s, c, err, "frame of %u bytes; a client's are at most %u",
				      f.len, NTF_PROTO_MAX_CLIENT_PAYLOAD);
		if (err)
			return reject(s, c, err, "%s",
				      ntf_proto_err_name(ntf_proto_err_from_errno(err)));
		err = on_frame(s, c, &f);
		if (err)
			return err;
		memmove(c->in, c->in + used, c->in_len - used);
		c->in_len -= used;
	}
	return 0;
}

int ntf_server_input(struct ntf_server *s, struct ntf_conn *c, const void *buf, size_t n,
		     __u64 now_ms)
{
	const __u8 *p = buf;
	int err;

	s->now = now_ms;
	while (n && (c->state == CONN_HELLO || c->state == CONN_LIVE)) {
		size_t take = sizeof(c->in) - c->in_len;

		if (take > n)
			take = n;
		memcpy(c->in + c->in_len, p, take);
		c->in_len += take;
		p += take;
		n -= take;
		err = parse_input(s, c);
		if (err)
			return err;
	}
	set_interest(s, c);
	return 0;
}

struct ntf_conn *ntf_server_add(struct ntf_server *s, int fd, __u64 now_ms)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct ucred cred;
	socklen_t cred_len = sizeof(cred);
	struct ntf_conn *c;

	if (s->nconns >= s->opts.max_clients)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->fd = fd;
	c->fdless = fd < 0;
	c->deadline = now_ms + s->opts.hello_timeout_ms;
	ev.data.ptr = c;
	if (fd >= 0 && !getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cred_len) &&
	    cred_len == sizeof(cred)) {
		c->has_peer = true;
		c->peer_uid = cred.uid;
		c->peer_pid = cred.pid;
	}
	if (fd >= 0) {
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev)) {
			free(c);
			return NULL;
		}
		c->events = EPOLLIN;
		s->nfds++;
	}
	s->conns[s->nconns++] = c;
	s->st.clients++;
	s->st.accepted++;
	return c;
}

static void refuse(struct ntf_server *s, int fd)
{
	struct ntf_proto_buf b = {};

	/* Best effort: a fresh socket has room for one small frame. */
	if (!ntf_proto_put_error(&b, NTF_PERR_BUSY, "too many clients"))
		(void)!send(fd, b.data, b.len, MSG_NOSIGNAL | MSG_DONTWAIT);
	ntf_proto_buf_free(&b);
	close(fd);
	s->st.refused++;
}

static void accept_all(struct ntf_server *s)
{
	for (;;) {
		int fd = accept4(s->sock.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			return; /* EAGAIN, or a client gone before we got to it */
		if (!ntf_server_add(s, fd, s->now))
			refuse(s, fd);
	}
}

static void read_conn(struct ntf_server *s, struct ntf_conn *c)
{
	__u8 buf[4096];
	size_t total = 0;

	while (total < READ_BUDGET && (c->state == CONN_HELLO || c->state == CONN_LIVE)) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			close_conn(s, c);
			return;
		}
		total += n;
		if (ntf_server_input(s, c, buf, n, s->now))
			return;
	}
}

static void flush_conn(struct ntf_server *s, struct ntf_conn *c)
{
	while (c->fd >= 0 && pending(c)) {
		const __u8 *p = c->out.data + c->off;
		ssize_t n = send(c->fd, p, pending(c), MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			c->full = true;
			break;
		}
		if (n <= 0) {
			close_conn(s, c);
			return;
		}
		c->full = false;
		c->off += n;
		/* head follows the frames written out whole */
		while (c->head < c->off) {
			size_t size = ntf_proto_frame_size(c->out.data + c->head);

			if (c->head + size > c->off)
				break;
			c->head += size;
		}
	}
	if (c->fd >= 0 && !pending(c)) {
		c->out.len = c->off = c->head = 0;
		if (c->out.cap > KEEP_ALLOC)
			ntf_proto_buf_free(&c->out);
	}
	set_interest(s, c);
}

static void handle_events(struct ntf_server *s)
{
	struct epoll_event evs[64];
	int n;

	do {
		n = epoll_wait(s->epfd, evs, 64, 0);
		for (int i = 0; i < n; i++) {
			struct ntf_conn *c = evs[i].data.ptr;

			if (!c) {
				accept_all(s);
				continue;
			}
			/* Closed earlier in this batch: the struct lives until reaped. */
			if (c->state == CONN_DEAD)
				continue;
			if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				read_conn(s, c);
			if (c->state != CONN_DEAD && evs[i].events & EPOLLOUT) {
				c->full = false; /* room again, if only for a snapshot's wait */
				flush_conn(s, c);
			}
			/* Hung up with nothing left to read: only closing remains. */
			if (c->state == CONN_CLOSING && evs[i].events & (EPOLLHUP | EPOLLERR))
				close_conn(s, c);
		}
	} while (n == 64);
}

static void reap(struct ntf_server *s)
{
	unsigned int j = 0;

	for (unsigned int i = 0; i < s->nconns; i++) {
		struct ntf_conn *c = s->conns[i];

		/* fd-less connections belong to their caller until the end. */
		if (c->state == CONN_DEAD && !c->fdless) {
			free(c);
			continue;
		}
		s->conns[j++] = c;
	}
	s->nconns = j;
}

void ntf_server_tick(struct ntf_server *s, __u64 now_ms)
{
	bool due = false;
	__u64 gen = 0;

	s->now = now_ms;
	s->scratch_ok = false;
	if (s->sock.fd >= 0 || s->nfds)
		handle_events(s);
	for (unsigned int i = 0; i < s->nconns; i++) {
		struct ntf_conn *c = s->conns[i];

		if (c->state == CONN_LIVE && now_ms >= c->next_due)
			due = true;
		if (c->state == CONN_HELLO && now_ms >= c->deadline)
			reject(s, c, -ETIMEDOUT, "no hello within %u ms", s->opts.hello_timeout_ms);
		else if (c->state == CONN_CLOSING && now_ms >= c->deadline)
			close_conn(s, c);
	}
	/* One new generation for every client due now. */
	if (due)
		gen = ntf_agg_tick(s->agg);
	for (unsigned int i = 0; i < s->nconns; i++) {
		struct ntf_conn *c = s->conns[i];

		if (due && c->state == CONN_LIVE && now_ms >= c->next_due)
			send_due(s, c, gen);
		if (c->fd >= 0 && pending(c))
			flush_conn(s, c);
		if (c->state == CONN_CLOSING && c->fd >= 0 && !pending(c))
			close_conn(s, c);
	}
	/* an update serves one tick: a large one is not kept resident to the next */
	if (s->scratch.cap > KEEP_ALLOC)
		ntf_proto_buf_free(&s->scratch);
	reap(s);
}

void ntf_server_stats(const struct ntf_server *s, struct ntf_server_stats *out)
{
	*out = s->st;
	out->buffered = 0;
	for (unsigned int i = 0; i < s->nconns; i++)
		out->buffered += pending(s->conns[i]);
	out->out_cap = out_cap(s);
}

const __u8 *ntf_server_pending(const struct ntf_conn *c, size_t *len)
{
	*len = pending(c);
	return c->out.data + c->off;
}

bool ntf_server_conn_live(const struct ntf_conn *c)
{
	return c->state == CONN_HELLO || c->state == CONN_LIVE;
}

int ntf_server_fd(const struct ntf_server *s)
{
	return s->epfd;
}

int ntf_server_wait(struct ntf_server *s, int other_fd, int timeout_ms)
{
	struct pollfd pfd[2] = { { .fd = s->epfd, .events = POLLIN },
				 { .fd = other_fd, .events = POLLIN } };
	int n = poll(pfd, other_fd >= 0 ? 2 : 1, timeout_ms);

	return n < 0 ? -errno : n;
}

int ntf_server_listen(struct ntf_server *s, const char *path, gid_t gid)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	int err = ntf_sock_listen(&s->sock, path, gid);

	if (err)
		return err;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->sock.fd, &ev)) {
		err = -errno;
		ntf_sock_close(&s->sock);
		return err;
	}
	return 0;
}

void ntf_server_free(struct ntf_server *s)
{
	struct ntf_proto_buf bye = {};

	if (!s)
		return;
	ntf_proto_put_bye(&bye);
	for (unsigned int i = 0; i < s->nconns; i++) {
		struct ntf_conn *c = s->conns[i];

		if (c->fd >= 0 && c->state == CONN_LIVE && bye.len) {
			/* Behind queued frames, or alone if they must go. */
			if (pending(c) + bye.len > out_cap(s))
				drop_queued(s, c);
			if (!enqueue(c, bye.data, bye.len))
				flush_conn(s, c);
		}
		close_conn(s, c);
		free(c);
	}
	ntf_proto_buf_free(&bye);
	ntf_sock_close(&s->sock);
	if (s->epfd >= 0)
		close(s->epfd);
	ntf_proto_buf_free(&s->scratch);
	free(s->conns);
	free(s);
}
