// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include "decode.h"
#include "source.h"

struct synth_source {
	struct ntf_source base;
	struct ntf_synth_opts opts;
	__u64 state;
	__u64 made;
	__u64 now_ns;
};

/* xorshift64*: reproducible from the seed, no libc state shared. */
static __u64 next_rand(struct synth_source *s)
{
	s->state ^= s->state >> 12;
	s->state ^= s->state << 25;
	s->state ^= s->state >> 27;
	return s->state * 2685821657736338717ULL;
}

/*
 * Keys mode: picks the (process, driver) pair and gives pairs the
 * differences a live view has to show. Its own draws leave the others alone.
 */
static void vary_event(struct synth_source *s, struct ntf_event *e)
{
	__u32 subs = s->opts.callbacks ? s->opts.callbacks : 4;
	__u32 k = next_rand(s) % s->opts.keys, proc = k / subs;
	__u64 r = next_rand(s);

	e->callback = 1 + k % subs;
	e->tgid = e->pid = 1000 + proc;
	snprintf(e->comm, sizeof(e->comm), "synth%u", proc);
	/* one pair in 16 is slow and one very slow: p99 crosses 1 ms and 10 ms */
	if (k % 16 == 3)
		e->latency_ns <<= 2;
	else if (k % 16 == 11)
		e->latency_ns <<= 5;
	switch (e->class) {
	case NTF_CLASS_INVAL_START:
	case NTF_CLASS_INVAL_END:
	case NTF_CLASS_CALLBACK:
		if (r % 32)
			break;
		/* OOM-reaper style: non-blockable, and a driver may refuse */
		e->flags &= ~NTF_F_BLOCKABLE;
		if (e->class != NTF_CLASS_INVAL_END && (r >> 8) % 2) {
			e->flags |= NTF_F_FAILED;
			e->ret = -11; /* -EAGAIN */
		}
		break;
	case NTF_CLASS_FENCE_WAIT:
		if (r % 8 == 0)
			e->flags |= NTF_F_NESTED;
		break;
	case NTF_CLASS_PIN:
		e->pin.nr_pages = 1 + (r >> 8) % 64;
		e->ret = e->pin.nr_pages;
		if (r % 16 == 0)
			e->flags |= NTF_F_NESTED;
		break;
	case NTF_CLASS_UNPIN: e->pin.nr_pages = 1 + (r >> 8) % 64; break;
	case NTF_CLASS_UNMAP:
		if (r % 2)
			e->flags |= NTF_F_MEMALLOC; /* direct reclaim */
		e->unmap.notifier_calls = 1 + (r >> 8) % 3;
		e->unmap.notifier_ns = e->latency_ns / 2;
		break;
	default: break;
	}
}

static void make_event(struct synth_source *s, struct ntf_event *e)
{
	__u64 r = next_rand(s);
	unsigned int proc = s->opts.processes ? r % s->opts.processes : 0;

	memset(e, 0, sizeof(*e));
	e->class = NTF_CLASS_INVAL_START + (r >> 8) % (NTF_CLASS_MAX - 1);
	e->mech = NTF_MECH_FENTRY;
	e->tgid = 1000 + proc;
	e->pid = e->tgid;
	snprintf(e->comm, sizeof(e->comm), "synth%u", proc);
	/* log-uniform latencies from 256 ns to ~1 ms */
	e->latency_ns = (1ULL << (8 + (r >> 20) % 12)) + (r >> 40) % 256;
	s->now_ns += 1000;
	e->ts_ns = s->now_ns;
	e->syscall_nr = __NR_madvise;
	if (((r >> 32) & 0xff) == 0)
		e->flags |= NTF_F_FAILED;
	switch (e->class) {
	case NTF_CLASS_INVAL_START:
	case NTF_CLASS_INVAL_END:
		e->range.start = 0x7f0000000000ULL + ((r >> 16) & 0xffff) * 4096;
		e->range.end = e->range.start + 16 * 4096;
		e->flags |= NTF_F_BLOCKABLE;
		break;
	case NTF_CLASS_PIN:
		e->pin.nr_pages = 16;
		e->ret = 16;
		break;
	case NTF_CLASS_UNPIN:
		e->pin.nr_pages = 16;
		e->latency_ns = 0;
		break;
	default: break;
	}
	if (s->opts.keys)
		vary_event(s, e);
	e->origin = ntf_classify_origin(e);
}

static int synth_poll(struct ntf_source *src, int timeout_ms)
{
	struct synth_source *s = (struct synth_source *)src;
	__u32 batch = s->opts.batch ? s->opts.batch : 256;
	int n = 0;

	(void)timeout_ms;
	if (s->opts.count && s->made >= s->opts.count)
		return -ENODATA;
	for (__u32 i = 0; i < batch; i++) {
		struct ntf_event e;
		int err;

		if (s->opts.count && s->made >= s->opts.count)
			break;
		make_event(s, &e);
		s->made++;
		err = s->base.fn(s->base.ctx, &e);
		if (err)
			return err;
		n++;
	}
	return n;
}

static void synth_free(struct ntf_source *src)
{
	free(src);
}

static const struct ntf_source_ops synth_ops = {
	.name = "synthetic",
	.poll = synth_poll,
	.free = synth_free,
};

struct ntf_source *ntf_source_synth_new(const struct ntf_synth_opts *opts, ntf_event_fn fn,
					void *ctx)
{
	struct synth_source *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->base.ops = &synth_ops;
	s->base.fn = fn;
	s->base.ctx = ctx;
	s->opts = *opts;
	s->state = opts->seed ? opts->seed : 0x9e3779b97f4a7c15ULL;
	return &s->base;
}
