// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * notifierd's --metrics where no HTTP library is linked: the static
 * binaries of the test bed (a static libmicrohttpd drags in a TLS stack
 * whose static libraries Debian does not ship). Linked ahead of the
 * library, so these definitions win there; never part of the library.
 */
#include <errno.h>
#include "metrics_http.h"

struct ntf_metrics_http *ntf_metrics_http_start(const struct sockaddr_storage *addr, socklen_t len,
						ntf_metrics_render_fn render, void *ctx, int *err)
{
	(void)addr;
	(void)len;
	(void)render;
	(void)ctx;
	*err = -EOPNOTSUPP;
	return NULL;
}

int ntf_metrics_http_fd(const struct ntf_metrics_http *m)
{
	(void)m;
	return -1;
}

void ntf_metrics_http_run(struct ntf_metrics_http *m)
{
	(void)m;
}

void ntf_metrics_http_stop(struct ntf_metrics_http *m)
{
	(void)m;
}
