// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A recorded file as an event source: what the live ring buffer gives a
 * consumer, a trace file gives it the same way (stream/ cannot include
 * record/, so the adapter lives here).
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include "record.h"

struct rec_source {
	struct ntf_source base;
	struct ntf_rec_reader *r;
	struct ntf_rec_source_opts opts;
};

static int rec_poll(struct ntf_source *src, int timeout_ms)
{
	struct rec_source *s = (struct rec_source *)src;
	__u32 batch = s->opts.batch ? s->opts.batch : 4096;
	struct ntf_rec_status st;
	struct ntf_event e;
	int n = 0, k = 0, err;

	while ((__u32)n < batch && (k = ntf_rec_next(s->r, &e)) > 0) {
		err = s->base.fn(s->base.ctx, &e);
		if (err)
			return err;
		n++;
	}
	if (k < 0)
		return n ? n : k;
	if (n)
		return n;
	ntf_rec_reader_status(s->r, &st);
	if (!s->opts.follow || st.stop == NTF_REC_COMPLETE)
		return -ENODATA;
	/* a file being written: what its writer adds is read at the next poll */
	if (timeout_ms > 0) {
		struct timespec ts = { timeout_ms / 1000, (timeout_ms % 1000) * 1000000L };

		nanosleep(&ts, NULL);
	}
	return 0;
}

static void rec_free(struct ntf_source *src)
{
	struct rec_source *s = (struct rec_source *)src;

	ntf_rec_reader_close(s->r);
	free(s);
}

static const struct ntf_source_ops rec_ops = {
	.name = "recording",
	.poll = rec_poll,
	.free = rec_free,
};

struct ntf_source *ntf_source_rec_new(struct ntf_rec_reader *r,
				      const struct ntf_rec_source_opts *opts, ntf_event_fn fn,
				      void *ctx)
{
	struct rec_source *s = calloc(1, sizeof(*s));

	if (!s) {
		ntf_rec_reader_close(r);
		return NULL;
	}
	s->base.ops = &rec_ops;
	s->base.fn = fn;
	s->base.ctx = ctx;
	s->r = r;
	if (opts)
		s->opts = *opts;
	return &s->base;
}

struct ntf_rec_reader *ntf_source_rec_reader(struct ntf_source *src)
{
	return ((struct rec_source *)src)->r;
}
