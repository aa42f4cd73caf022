// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>
#include "clock.h"
#include "replay.h"

struct ntf_replay {
	struct ntf_rec_reader *r;
	double speed; /* 0: as fast as the horizon lets */
	__u64 origin; /* ts_ns of the recording's start */
	/* ns from the origin */
	__u64 pos, horizon, end; /* end: once eof */
	/* the clock ran from pos_base at wall_base (monotonic ns) at speed */
	__u64 pos_base, wall_base;
	__u64 max_ts; /* largest ts_ns read, while any */
	bool paused, pending, eof, any;
	int err;
	struct ntf_event next; /* read ahead, while pending */
};

static __u64 rel(const struct ntf_replay *p, __u64 ts)
{
	return ts > p->origin ? ts - p->origin : 0;
}

static __u64 limit(const struct ntf_replay *p)
{
	return p->eof && p->end < p->horizon ? p->end : p->horizon;
}

/* The clock where the monotonic clock puts it now, within the limit. */
static void tick(struct ntf_replay *p)
{
	__u64 lim = limit(p), now = ntf_now_ns(), to;

	if (p->paused)
		return;
	if (p->speed > 0)
		to = p->pos_base + (__u64)((double)(now - p->wall_base) * p->speed);
	else
		to = lim;
	if (to >= lim) {
		/* held at the limit: a later horizon runs on from here, not from the time it waited */
		to = lim;
		p->pos_base = lim;
		p->wall_base = now;
	}
	if (to > p->pos)
		p->pos = to;
}

/*
 * The next event into p->next; at the end, the clock's end becomes known:
 * just past the last event, and never before what the caller has seen
 * the clock read (seen), so that it never goes back.
 */
static void read_ahead(struct ntf_replay *p, __u64 seen)
{
	int k = ntf_rec_next(p->r, &p->next);

	if (k > 0) {
		p->pending = true;
		if (!p->any || p->next.ts_ns > p->max_ts)
			p->max_ts = p->next.ts_ns;
		p->any = true;
		return;
	}
	p->pending = false;
	p->eof = true;
	p->err = k;
	p->end = p->any ? rel(p, p->max_ts) + 1 : 0;
	if (p->end < seen)
		p->end = seen;
	if (p->pos > p->end)
		p->pos = p->end;
}

static int deliver(struct ntf_replay *p, ntf_event_fn fn, void *ctx, __u64 seen)
{
	int n = 0, err;

	while (p->pending && rel(p, p->next.ts_ns) < p->pos) {
		struct ntf_event e = p->next;

		read_ahead(p, seen);
		err = fn(ctx, &e);
		if (err)
			return err;
		n++;
	}
	return n;
}

/*
 * Sleeps until the clock reaches the next event or the limit, at most
 * timeout_ms; not at all when it stands at the limit already: only the
 * caller can move that. A paused clock waits the timeout out.
 */
static void wait_for_next(const struct ntf_replay *p, int timeout_ms)
{
	__u64 wait = (__u64)timeout_ms * 1000000, lim = limit(p), target, due, now;
	struct timespec ts;

	if (!p->paused && p->pos >= lim)
		return;
	if (!p->paused && p->speed > 0) {
		target = p->pending ? rel(p, p->next.ts_ns) + 1 : lim;
		if (target > lim)
			target = lim;
		if (target > p->pos) {
			due = p->wall_base + (__u64)ceil((double)(target - p->pos_base) / p->speed);
			now = ntf_now_ns();
			if (due <= now)
				return;
			if (due - now < wait)
				wait = due - now;
		}
	}
	ts.tv_sec = wait / 1000000000;
	ts.tv_nsec = wait % 1000000000;
	nanosleep(&ts, NULL); /* a signal cuts it short: the caller looks at its flags */
}

int ntf_replay_poll(struct ntf_replay *p, int timeout_ms, ntf_event_fn fn, void *ctx)
{
	__u64 seen = p->pos;
	int n;

	tick(p);
	n = deliver(p, fn, ctx, seen);
	if (n)
		return n;
	if (ntf_replay_done(p))
		return -ENODATA;
	if (timeout_ms > 0) {
		wait_for_next(p, timeout_ms);
		tick(p);
		n = deliver(p, fn, ctx, seen);
		if (n)
			return n;
	}
	return ntf_replay_done(p) ? -ENODATA : 0;
}

int ntf_replay_new(struct ntf_replay **out, struct ntf_rec_reader *r, double speed)
{
	const struct ntf_rec_meta *m = ntf_rec_read_meta(r);
	struct ntf_replay *p;

	*out = NULL;
	if (!(speed >= 0) || isinf(speed)) {
		ntf_rec_reader_close(r);
		return -EINVAL;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		ntf_rec_reader_close(r);
		return -ENOMEM;
	}
	p->r = r;
	p->speed = speed;
	p->origin = m->mono_ns;
	p->wall_base = ntf_now_ns();
	read_ahead(p, 0);
	if (p->pending && (!m->mono_ns || p->next.ts_ns < m->mono_ns))
		p->origin = p->next.ts_ns;
	*out = p;
	return 0;
}

void ntf_replay_free(struct ntf_replay *p)
{
	if (!p)
		return;
	ntf_rec_reader_close(p->r);
	free(p);
}

struct ntf_rec_reader *ntf_replay_reader(const struct ntf_replay *p)
{
	return p->r;
}

__u64 ntf_replay_origin(const struct ntf_replay *p)
{
	return p->origin;
}

__u64 ntf_replay_pos(const struct ntf_replay *p)
{
	return p->pos;
}

void ntf_replay_set_horizon(struct ntf_replay *p, __u64 ns)
{
	tick(p); /* up to the old horizon first: time spent there is not run again */
	p->horizon = ns;
}

void ntf_replay_pause(struct ntf_replay *p, bool paused)
{
	if (paused == p->paused)
		return;
	if (paused)
		tick(p);
	p->paused = paused;
	if (!paused) {
		p->pos_base = p->pos;
		p->wall_base = ntf_now_ns();
	}
}

bool ntf_replay_done(const struct ntf_replay *p)
{
	return p->eof && p->pos >= p->end;
}

int ntf_replay_error(const struct ntf_replay *p)
{
	return p->err;
}
