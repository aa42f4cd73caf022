// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <microhttpd.h>
#include "log.h"
#include "metrics_http.h"

struct ntf_metrics_http {
	struct MHD_Daemon *d;
	int epoll_fd;
	ntf_metrics_render_fn render;
	void *ctx;
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int status, const char *type,
			     const char *body)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_size, void **con_cls)
{
	struct ntf_metrics_http *m = cls;
	struct prom_buf out = {};
	struct MHD_Response *r;
	const char *accept;
	enum MHD_Result ret;
	bool protobuf;

	(void)version;
	(void)upload_data;
	(void)con_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
			     "only GET and HEAD\n");
	if (*upload_size)
		return reply(conn, MHD_HTTP_BAD_REQUEST, "text/plain", "no body expected\n");
	if (!strcmp(url, "/"))
		return reply(conn, MHD_HTTP_OK, "text/plain; charset=utf-8",
			     "notifierd: metrics at /metrics\n");
	if (strcmp(url, "/metrics"))
		return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain", "not found; try /metrics\n");
	accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
	protobuf = accept && prom_accepts_protobuf(accept);
	if (m->render(m->ctx, protobuf, &out)) {
		prom_buf_free(&out);
		return reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain", "out of memory\n");
	}
	r = MHD_create_response_from_buffer(out.len, out.p, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		prom_buf_free(&out);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				protobuf ? PROM_PROTOBUF_TYPE : PROM_TEXT_TYPE);
	MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, MHD_HTTP_HEADER_ACCEPT);
	ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

struct ntf_metrics_http *ntf_metrics_http_start(const struct sockaddr_storage *addr, socklen_t len,
						ntf_metrics_render_fn render, void *ctx, int *err)
{
	struct ntf_metrics_http *m = calloc(1, sizeof(*m));
	const union MHD_DaemonInfo *info;
	int fd = -1, one = 1;

	*err = -ENOMEM;
	if (!m)
		return NULL;
	m->render = render;
	m->ctx = ctx;
	/* Bound here, not by MHD, so that a failure has its errno to say. */
	fd = socket(addr->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (const struct sockaddr *)addr, len) || listen(fd, 64)) {
		*err = -errno;
		goto fail;
	}
	m->d = MHD_start_daemon(MHD_USE_EPOLL, 0, NULL, NULL, handle, m, MHD_OPTION_LISTEN_SOCKET,
				fd, MHD_OPTION_CONNECTION_LIMIT, (unsigned int)32,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30, MHD_OPTION_END);
	if (!m->d) {
		*err = -EIO;
		goto fail;
	}
	fd = -1; /* MHD's now */
	info = MHD_get_daemon_info(m->d, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info) {
		*err = -EIO;
		goto fail;
	}
	m->epoll_fd = info->epoll_fd;
	*err = 0;
	return m;
fail:
	if (fd >= 0)
		close(fd);
	ntf_metrics_http_stop(m);
	return NULL;
}

int ntf_metrics_http_fd(const struct ntf_metrics_http *m)
{
	return m->epoll_fd;
}

void ntf_metrics_http_run(struct ntf_metrics_http *m)
{
	MHD_run(m->d);
}

void ntf_metrics_http_stop(struct ntf_metrics_http *m)
{
	if (!m)
		return;
	if (m->d)
		MHD_stop_daemon(m->d);
	free(m);
}
