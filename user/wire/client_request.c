// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "client_request.h"

static __u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

static int connect_to(const char *path, int *fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int err;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	*fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*fd < 0)
		return -errno;
	if (connect(*fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		close(*fd);
		return err;
	}
	return 0;
}

/* Reads until one whole frame is in buf: 0 with *f, or -errno. */
static int read_frame(int fd, __u8 *buf, size_t cap, int timeout_ms, struct ntf_proto_frame *f)
{
	__u64 deadline = now_ms() + timeout_ms;
	size_t len = 0, used;
	int err;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		__u64 now = now_ms();
		ssize_t n;

		err = ntf_proto_parse(buf, len, cap - NTF_PROTO_HDR_LEN, f, &used);
		if (err != -EAGAIN)
			return err == -EPROTONOSUPPORT ? err : err ? -EBADMSG : 0;
		if (len == cap)
			return -EBADMSG;
		if (now >= deadline)
			return -ETIMEDOUT;
		n = poll(&p, 1, deadline - now);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n <= 0)
			continue;
		n = recv(fd, buf + len, cap - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EPIPE ? -ECONNRESET : -errno;
		if (!n)
			return -ECONNRESET;
		len += n;
	}
}

int ntf_client_refused(const struct ntf_proto_error *e, const char *what, char *why, size_t why_len)
{
	switch (e->code) {
	case NTF_PERR_DENIED: snprintf(why, why_len, "%s", e->msg); return -EACCES;
	case NTF_PERR_UNAVAILABLE: snprintf(why, why_len, "%s", e->msg); return -EOPNOTSUPP;
	case NTF_PERR_FAILED: snprintf(why, why_len, "%s", e->msg); return -EIO;
	case NTF_PERR_TYPE:
		snprintf(why, why_len, "this notifierd predates %s (it answered: %s)", what,
			 e->msg);
		return -EOPNOTSUPP;
	case NTF_PERR_VERSION: snprintf(why, why_len, "%s", e->msg); return -EPROTONOSUPPORT;
	default:
		snprintf(why, why_len, "the daemon refused: %s (%s)", e->msg,
			 ntf_proto_err_name(e->code));
		return -EPROTO;
	}
}

int ntf_client_request(const char *path, const struct ntf_proto_buf *req, __u8 *buf, size_t cap,
		       int timeout_ms, struct ntf_proto_frame *f, char *why, size_t why_len)
{
	int fd, err;

	err = connect_to(path, &fd);
	if (err) {
		snprintf(why, why_len, "%s: %s", path, strerror(-err));
		return err;
	}
	/* one small frame: a fresh socket takes it whole */
	if (send(fd, req->data, req->len, MSG_NOSIGNAL) != (ssize_t)req->len)
		err = -errno;
	if (!err)
		err = read_frame(fd, buf, cap, timeout_ms, f);
	close(fd);
	if (err)
		snprintf(why, why_len, "%s",
			 err == -ETIMEDOUT	 ? "no answer in time" :
			 err == -EPROTONOSUPPORT ? "the daemon speaks another protocol version" :
			 err == -EBADMSG	 ? "the daemon's answer does not decode" :
			 err == -ECONNRESET	 ? "the daemon closed the connection" :
						   strerror(-err));
	return err;
}

/* The largest answer of a one-request exchange: a POLICY_STATE (two paths) or an ERROR. */
#define ANSWER_MAX (NTF_PROTO_HDR_LEN + 2 * (2 + NTF_PROTO_PATH_LEN) + 256)

int ntf_client_exchange(const char *path, const struct ntf_proto_buf *req, int timeout_ms,
			const char *what, int (*decode)(const struct ntf_proto_frame *f, void *out),
			void *out, char *why, size_t why_len)
{
	__u8 *buf = malloc(ANSWER_MAX);
	struct ntf_proto_frame f;
	struct ntf_proto_error e;
	int err;

	if (!buf) {
		snprintf(why, why_len, "out of memory");
		return -ENOMEM;
	}
	err = ntf_client_request(path, req, buf, ANSWER_MAX, timeout_ms, &f, why, why_len);
	if (!err && f.type == NTF_PROTO_ERROR && !ntf_proto_decode_error(&f, &e)) {
		err = ntf_client_refused(&e, what, why, why_len);
	} else if (!err && decode(&f, out)) {
		snprintf(why, why_len, "the daemon answered with a %s frame that does not decode",
			 ntf_proto_type_name(f.type));
		err = -EBADMSG;
	}
	free(buf);
	return err;
}
