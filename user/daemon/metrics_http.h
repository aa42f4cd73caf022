/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * notifierd's /metrics over HTTP (libmicrohttpd), run from the daemon's
 * own loop: no thread, so a scrape reads the aggregate between the
 * loop's changes to it. The daemon waits on ntf_metrics_http_fd and calls
 * ntf_metrics_http_run; a scrape renders then, in the protobuf exposition
 * when the scraper's Accept asks for it, else in the text one.
 */
#ifndef NTF_METRICS_HTTP_H
#define NTF_METRICS_HTTP_H

#include <stdbool.h>
#include <sys/socket.h>
#include "prom.h"

/* Renders the exposition asked for into out: 0 or a negative errno. */
typedef int (*ntf_metrics_render_fn)(void *ctx, bool protobuf, struct prom_buf *out);

struct ntf_metrics_http;

/*
 * Listens on addr and serves: NULL with *err the negative errno of the
 * socket's bind or listen (-EADDRINUSE: a port in use), or -ENOMEM.
 */
struct ntf_metrics_http *ntf_metrics_http_start(const struct sockaddr_storage *addr, socklen_t len,
						ntf_metrics_render_fn render, void *ctx, int *err);
/* An fd that polls readable when there is HTTP work. */
int ntf_metrics_http_fd(const struct ntf_metrics_http *m);
/* Serves what is ready, without waiting. */
void ntf_metrics_http_run(struct ntf_metrics_http *m);
void ntf_metrics_http_stop(struct ntf_metrics_http *m);

#endif
