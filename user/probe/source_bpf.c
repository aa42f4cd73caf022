// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <bpf/libbpf.h>
#include "decode.h"
#include "source.h"

struct bpf_source {
	struct ntf_source base;
	struct ring_buffer *rb;
	int delivered;
	int handler_err;
};

static int on_sample(void *ctx, void *data, size_t size)
{
	struct bpf_source *s = ctx;
	struct ntf_event e;
	int err;

	if (ntf_decode(data, size, &e)) {
		s->base.bad_records++;
		return 0;
	}
	s->delivered++;
	err = s->base.fn(s->base.ctx, &e);
	if (err) {
		/* A non-zero return stops ring_buffer__poll; keep why. */
		s->handler_err = err;
		return err;
	}
	return 0;
}

static int bpf_source_poll(struct ntf_source *src, int timeout_ms)
{
	struct bpf_source *s = (struct bpf_source *)src;
	int err;

	s->delivered = 0;
	s->handler_err = 0;
	err = ring_buffer__poll(s->rb, timeout_ms);
	if (s->handler_err)
		return s->handler_err;
	if (err < 0 && err != -EINTR)
		return err;
	return s->delivered;
}

static void bpf_source_free(struct ntf_source *src)
{
	struct bpf_source *s = (struct bpf_source *)src;

	ring_buffer__free(s->rb);
	free(s);
}

static const struct ntf_source_ops bpf_source_ops = {
	.name = "bpf",
	.poll = bpf_source_poll,
	.free = bpf_source_free,
};

struct ntf_source *ntf_source_bpf_new(int events_fd, ntf_event_fn fn, void *ctx)
{
	struct bpf_source *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->base.ops = &bpf_source_ops;
	s->base.fn = fn;
	s->base.ctx = ctx;
	s->rb = ring_buffer__new(events_fd, on_sample, s, NULL);
	if (!s->rb) {
		free(s);
		return NULL;
	}
	return &s->base;
}
