// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "client.h"
#include "callbacks.h"

#define IN_MIN (64u << 10)

struct ntf_client {
	int fd;
	__u8 *in; /* grows to the frame being read, up to the bound */
	size_t in_len, in_cap, in_need;
	bool welcomed, has_error;
	struct ntf_proto_welcome welcome;
	struct ntf_proto_counters counters;
	struct ntf_proto_error error;
	struct ntf_client_stats st;
	/* the update being received, across frames */
	bool in_update;
	__u16 cur_type;
	__u64 cur_gen;
	__u64 mark; /* snapshot: the mirror's generation before it */
	/*
	 * Entries decoded one ahead of the put; each keeps its fine buckets
	 * in decoder scratch (ntf_proto_update_next) that lives as long as
	 * the client, so a frame of entries allocates nothing.
	 */
	struct ntf_agg_entry ent[2];
};

static __u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

struct ntf_client *ntf_client_from_fd(int fd)
{
	struct ntf_client *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->in_cap = IN_MIN;
	c->in = malloc(c->in_cap);
	if (!c->in || fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)) {
		free(c->in);
		free(c);
		return NULL;
	}
	c->fd = fd;
	return c;
}

int ntf_client_connect(const char *path, struct ntf_client **out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ntf_client *c;
	int fd, err;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		close(fd);
		return err;
	}
	c = ntf_client_from_fd(fd);
	if (!c) {
		close(fd);
		return -ENOMEM;
	}
	*out = c;
	return 0;
}

/* Writes a whole small frame, waiting a little for room. */
static int send_all(int fd, const __u8 *p, size_t n)
{
	while (n) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };

		if (k > 0) {
			p += k;
			n -= k;
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		if (poll(&pfd, 1, 1000) <= 0)
			return -ETIMEDOUT;
	}
	return 0;
}

int ntf_client_hello(struct ntf_client *c, __u32 interval_ms)
{
	struct ntf_proto_buf b = {};
	int err = ntf_proto_put_hello(&b, interval_ms);

	if (!err)
		err = send_all(c->fd, b.data, b.len);
	ntf_proto_buf_free(&b);
	return err;
}

static int error_errno(__u32 code)
{
	switch (code) {
	case NTF_PERR_VERSION: return -EPROTONOSUPPORT;
	case NTF_PERR_BUSY: return -EBUSY;
	default: return -EPROTO;
	}
}

static int on_update(struct ntf_client *c, struct ntf_agg *into, const struct ntf_proto_frame *f)
{
	struct ntf_agg_entry *e = c->ent;
	struct ntf_proto_update u;
	unsigned int k = 0;
	int err, more;

	if (!c->welcomed || ntf_proto_decode_update(f, &u))
		return -EBADMSG;
	if (u.flags & NTF_PROTO_F_FIRST) {
		/* A delta continues the mirror: it must start where it stands. */
		if (u.type == NTF_PROTO_DELTA && (!c->st.synced || u.base != c->st.gen))
			return -EBADMSG;
		c->in_update = true;
		c->cur_type = u.type;
		c->cur_gen = u.gen;
		if (u.type == NTF_PROTO_SNAPSHOT && into)
			c->mark = ntf_agg_tick(into);
	} else if (!c->in_update || u.type != c->cur_type || u.gen != c->cur_gen) {
		return -EBADMSG;
	}
	/* one entry decoded ahead: its slot is fetched while the one before is put */
	err = ntf_proto_update_next(&u, &e[k]);
	while (err > 0) {
		more = ntf_proto_update_next(&u, &e[k ^ 1]);
		if (more > 0 && into)
			ntf_agg_prefetch(into, &e[k ^ 1].key);
		if (into && (err = ntf_agg_put(into, &e[k])))
			return err;
		err = more;
		k ^= 1;
	}
	if (err)
		return err;
	c->counters = u.counters;
	if (!(u.flags & NTF_PROTO_F_LAST))
		return 0;
	/* What the mirror has that the snapshot did not touch is gone from the daemon. */
	if (u.type == NTF_PROTO_SNAPSHOT && into) {
		err = ntf_agg_prune(into, c->mark);
		if (err)
			return err;
	}
	c->in_update = false;
	c->st.gen = u.gen;
	c->st.synced = true;
	if (u.type == NTF_PROTO_SNAPSHOT)
		c->st.snapshots++;
	else
		c->st.deltas++;
	return 1;
}

/* Discovered callback ids the daemon named: rows show these names. */
static int on_names(struct ntf_client *c, const struct ntf_proto_frame *f)
{
	static struct ntf_proto_names names;

	if (!c->welcomed || c->in_update || ntf_proto_decode_names(f, &names))
		return -EBADMSG;
	for (__u32 i = 0; i < names.n; i++)
		if (ntf_driver_name_set(names.names[i].id, names.names[i].name))
			return -EBADMSG;
	return 0;
}

/* Handles one frame: 1 when an update completed, 0, or -errno. */
static int on_frame(struct ntf_client *c, struct ntf_agg *into, const struct ntf_proto_frame *f)
{
	switch (f->type) {
	case NTF_PROTO_WELCOME:
		if (c->welcomed || ntf_proto_decode_welcome(f, &c->welcome))
			return -EBADMSG;
		c->welcomed = true;
		return 0;
	case NTF_PROTO_SNAPSHOT:
	case NTF_PROTO_DELTA: return on_update(c, into, f);
	case NTF_PROTO_ERROR:
		if (ntf_proto_decode_error(f, &c->error))
			return -EBADMSG;
		c->has_error = true;
		return error_errno(c->error.code);
	case NTF_PROTO_BYE: return -ESHUTDOWN;
	case NTF_PROTO_NAMES: return on_names(c, f);
	default: return -EBADMSG;
	}
}

/* Handles the whole frames buffered, or only up to WELCOME when until_welcome. */
static int drain(struct ntf_client *c, struct ntf_agg *into, bool until_welcome)
{
	const __u32 max = NTF_PROTO_MAX_PAYLOAD;
	struct ntf_proto_frame f;
	size_t off = 0, used;
	int done = 0, err = 0;

	while (!(until_welcome && c->welcomed)) {
		err = ntf_proto_parse(c->in + off, c->in_len - off, max, &f, &used);
		if (err == -EAGAIN) {
			/* a whole header: the frame's size is known and within bounds */
			c->in_need = c->in_len - off >= NTF_PROTO_HDR_LEN ?
					     NTF_PROTO_HDR_LEN + f.len :
					     0;
			err = 0;
			break;
		}
		if (err) {
			/* a daemon of another protocol version is told apart from a broken one */
			if (err != -EPROTONOSUPPORT)
				err = -EBADMSG;
			break;
		}
		off += used;
		c->st.frames++;
		err = on_frame(c, into, &f);
		if (err < 0)
			break;
		done += err;
		err = 0;
	}
	memmove(c->in, c->in + off, c->in_len - off);
	c->in_len -= off;
	return err ? err : done;
}

/* Reads what arrives within wait_ms: 0, -ETIMEDOUT, -ECONNRESET or -errno. */
static int fill(struct ntf_client *c, int wait_ms)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	bool got = false;
	int n;

	n = poll(&pfd, 1, wait_ms);
	if (n < 0)
		return -errno;
	if (!n)
		return -ETIMEDOUT;
	if (c->in_need > c->in_cap) {
		__u8 *p = realloc(c->in, c->in_need);

		if (!p)
			return -ENOMEM;
		c->in = p;
		c->in_cap = c->in_need;
	}
	while (c->in_len < c->in_cap) {
		ssize_t k = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		/* What came before an end or a reset is handled first (an ERROR, say). */
		if (k <= 0 && got)
			return 0;
		if (k < 0)
			return errno == ECONNRESET || errno == EPIPE ? -ECONNRESET : -errno;
		if (!k)
			return -ECONNRESET;
		c->in_len += k;
		c->st.bytes += k;
		got = true;
	}
	return 0;
}

static int wait_for(struct ntf_client *c, struct ntf_agg *into, int timeout_ms, bool welcome)
{
	__u64 deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	int done, err;

	for (;;) {
		done = drain(c, into, welcome);
		if (done < 0)
			return done;
		if (welcome ? c->welcomed : done > 0)
			return done;
		if (timeout_ms < 0) {
			err = fill(c, -1);
		} else {
			__u64 now = now_ms();

			err = fill(c, now < deadline ? deadline - now : 0);
		}
		if (err == -ETIMEDOUT)
			return welcome ? err : 0;
		if (err)
			return err;
	}
}

int ntf_client_welcome(struct ntf_client *c, int timeout_ms)
{
	int err = wait_for(c, NULL, timeout_ms, true);

	return err < 0 ? err : 0;
}

int ntf_client_poll(struct ntf_client *c, struct ntf_agg *into, int timeout_ms)
{
	return wait_for(c, into, timeout_ms, false);
}

int ntf_client_open(const char *path, __u32 interval_ms, int timeout_ms, struct ntf_client **out)
{
	struct ntf_client *c;
	int err = ntf_client_connect(path, &c);

	if (err)
		return err;
	err = ntf_client_hello(c, interval_ms);
	if (!err)
		err = ntf_client_welcome(c, timeout_ms);
	if (err) {
		ntf_client_free(c);
		return err;
	}
	*out = c;
	return 0;
}

const struct ntf_proto_welcome *ntf_client_info(const struct ntf_client *c)
{
	return c->welcomed ? &c->welcome : NULL;
}

void ntf_client_probe_states(const struct ntf_client *c, struct ntf_probe_state *out)
{
	const struct ntf_proto_welcome *w = ntf_client_info(c);

	for (unsigned int i = 0; i < ntf_probe_count; i++) {
		struct ntf_probe_state *st = &out[i];
		const struct ntf_proto_probe *p = NULL;

		memset(st, 0, sizeof(*st));
		st->point = &ntf_probe_points[i];
		for (__u32 j = 0; w && j < w->nprobes && !p; j++)
			if (!strcmp(w->probes[j].id, st->point->id))
				p = &w->probes[j];
		if (!p) {
			snprintf(st->why[NTF_MECH_FENTRY], sizeof(st->why[0]),
				 "not reported by the daemon");
			continue;
		}
		st->attached = p->attached;
		st->mech = p->mech;
		for (unsigned int m = 0; m < NTF_MECH_MAX; m++)
			memcpy(st->why[m], p->why[m], sizeof(st->why[m]));
	}
}

const struct ntf_proto_counters *ntf_client_counters(const struct ntf_client *c)
{
	return &c->counters;
}

const struct ntf_proto_error *ntf_client_error(const struct ntf_client *c)
{
	return c->has_error ? &c->error : NULL;
}

void ntf_client_stats(const struct ntf_client *c, struct ntf_client_stats *out)
{
	*out = c->st;
}

int ntf_client_fd(const struct ntf_client *c)
{
	return c->fd;
}

void ntf_client_free(struct ntf_client *c)
{
	struct ntf_proto_buf b = {};

	if (!c)
		return;
	if (!ntf_proto_put_bye(&b))
		(void)!send(c->fd, b.data, b.len, MSG_NOSIGNAL | MSG_DONTWAIT);
	ntf_proto_buf_free(&b);
	close(c->fd);
	free(c->in);
	ntf_buckets_free(&c->ent[0].fine);
	ntf_buckets_free(&c->ent[1].fine);
	free(c);
}
