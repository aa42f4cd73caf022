// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The flight recorder's ring (flight.h): events into an open block,
 * closed blocks kept compressed, the oldest let go by the window.
 * Snapshots are flight_snap.c's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "flight_int.h"

/* With max_bytes, blocks of a quarter of it but not smaller than this. */
#define MIN_BLOCK_BYTES (16u << 10)

__u64 fl_cutoff(const struct ntf_flight *f)
{
	if (!f->o.window_ns || f->newest < f->o.window_ns)
		return 0;
	return f->newest - f->o.window_ns;
}

void fl_block_free(struct fl_block *b)
{
	free(b->p);
	b->p = NULL;
}

static void drop_first(struct ntf_flight *f)
{
	struct fl_block *b = &f->blk[f->first++];

	f->st.dropped += b->count;
	f->st.kept_events -= b->count;
	f->st.kept_bytes -= b->len;
	fl_block_free(b);
	if (f->first == f->end)
		f->first = f->end = 0;
}

void fl_drop_old(struct ntf_flight *f)
{
	__u64 cutoff = fl_cutoff(f);

	while (f->first < f->end) {
		const struct fl_block *b = &f->blk[f->first];

		if (!(b->ts_max < cutoff) && !(f->o.max_bytes && f->st.kept_bytes > f->o.max_bytes))
			break;
		drop_first(f);
	}
}

/* Room for one more block at the end: the kept ones moved down, or more room. */
static bool room(struct ntf_flight *f)
{
	struct fl_block *p;
	size_t cap;

	if (f->end < f->cap)
		return true;
	if (f->first > f->cap / 2) {
		memmove(f->blk, f->blk + f->first, (f->end - f->first) * sizeof(*f->blk));
		f->end -= f->first;
		f->first = 0;
		return true;
	}
	cap = f->cap ? f->cap * 2 : 64;
	p = realloc(f->blk, cap * sizeof(*p));
	if (!p)
		return false;
	f->blk = p;
	f->cap = cap;
	return true;
}

int fl_close_block(struct ntf_flight *f)
{
	struct fl_block b = { .count = f->enc.nevents,
			      .ts_min = f->enc.ts_min,
			      .ts_max = f->enc.ts_max };
	int err;

	if (!b.count)
		return 0;
	err = rec_enc_block(&f->enc, &f->zip, 0, &f->raw, &f->out);
	/* kept at its size: the framing buffer is as large as the worst case */
	if (!err && (!room(f) || !(b.p = malloc(f->out.len))))
		err = -ENOMEM;
	if (err) {
		f->st.lost += b.count;
		f->st.kept_events -= b.count;
		return err;
	}
	memcpy(b.p, f->out.p, f->out.len);
	b.len = f->out.len;
	f->blk[f->end++] = b;
	f->st.kept_bytes += b.len;
	fl_drop_old(f);
	return 0;
}

/* e as it is, its stack_id the flight recorder's. */
static int put(struct ntf_flight *f, const struct ntf_event *e)
{
	int err = 0, k;

	if (!f->any || e->ts_ns > f->newest)
		f->newest = e->ts_ns;
	f->any = true;
	/* a block spans block_ns of event time at most: the window's grain in memory */
	if (f->enc.nevents && e->ts_ns - f->open_first_ts >= f->o.block_ns &&
	    e->ts_ns > f->open_first_ts)
		err = fl_close_block(f);
	k = rec_enc_add(&f->enc, e);
	f->st.events++;
	if (k) {
		/* the block's events are lost with this one; the next block starts clean */
		f->st.lost += f->enc.nevents + 1;
		f->st.kept_events -= f->enc.nevents;
		rec_enc_free(&f->enc);
		rec_enc_init(&f->enc);
		return k;
	}
	f->st.kept_events++;
	if (f->enc.nevents == 1)
		f->open_first_ts = e->ts_ns;
	if (rec_enc_full(&f->enc, f->o.writer.block_events, f->o.writer.block_bytes))
		k = fl_close_block(f);
	else
		fl_drop_old(f);
	return err ? err : k;
}

int ntf_flight_write(struct ntf_flight *f, const struct ntf_event *e)
{
	struct ntf_event plain;

	if (!rec_event_valid(e))
		return -EINVAL;
	return put(f, rec_event_unstacked(e, &plain));
}

int ntf_flight_write_stack(struct ntf_flight *f, const struct ntf_event *e,
			   const struct ntf_rec_frame *frames, unsigned int n)
{
	struct ntf_event ev;
	__u32 id = 0;

	if (!rec_event_valid(e))
		return -EINVAL;
	if (!e->stack_id) {
		/* the kernel could not take it (its stack map full) */
		f->st.stacks_lost += !!(e->flags & NTF_F_STACK_LOST);
		return put(f, e);
	}
	ev = *e;
	if (n && !rec_stacks_add(&f->stacks, frames, n, &id)) {
		f->st.stacks++;
	} else {
		ev.flags |= NTF_F_STACK_LOST;
		id = 0;
		f->st.stacks_lost++;
	}
	ev.stack_id = id;
	return put(f, &ev);
}

void ntf_flight_write_names(struct ntf_flight *f, const struct ntf_rec_callback *cbs,
			    unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		ntf_rec_meta_set_callback(f->meta, cbs[i].id, cbs[i].driver,
					  cbs[i].func[0] ? cbs[i].func : NULL);
}

void ntf_flight_stats(const struct ntf_flight *f, struct ntf_flight_stats *st)
{
	__u64 mem = sizeof(*f) + sizeof(*f->meta) + f->raw.cap + f->out.cap +
		    f->cap * sizeof(*f->blk) + f->enc.tasks_cap * sizeof(*f->enc.tasks) +
		    f->enc.nslots * sizeof(*f->enc.slots);

	*st = f->st;
	st->blocks = f->end - f->first;
	st->oldest_ns = st->newest_ns = 0;
	for (size_t i = f->first; i < f->end; i++) {
		const struct fl_block *b = &f->blk[i];

		mem += b->len;
		if (!st->oldest_ns || b->ts_min < st->oldest_ns)
			st->oldest_ns = b->ts_min;
	}
	for (int i = 0; i < NTR_S_MAX; i++)
		mem += f->enc.s[i].cap;
	mem += (__u64)f->stacks.frames_cap * sizeof(*f->stacks.frames) +
	       ((__u64)f->stacks.levels_cap + f->stacks.stacks_cap + f->stacks.nframe_slots +
		f->stacks.nstack_slots) *
		       sizeof(__u32);
	if (f->enc.nevents && (!st->oldest_ns || f->enc.ts_min < st->oldest_ns))
		st->oldest_ns = f->enc.ts_min;
	if (st->kept_events)
		st->newest_ns = f->newest;
	st->memory = mem;
}

void ntf_flight_free(struct ntf_flight *f)
{
	if (!f)
		return;
	for (size_t i = f->first; i < f->end; i++)
		fl_block_free(&f->blk[i]);
	free(f->blk);
	rec_enc_free(&f->enc);
	rec_stacks_free(&f->stacks);
	rec_buf_free(&f->raw);
	rec_buf_free(&f->out);
	rec_zip_free(&f->zip);
	free(f->meta);
	free(f);
}

int ntf_flight_new(struct ntf_flight **out, const struct ntf_rec_meta *meta,
		   const struct ntf_flight_opts *opts)
{
	struct ntf_flight *f;
	struct ntf_rec_writer_opts *w;

	*out = NULL;
	if (!opts || (!opts->window_ns && !opts->max_bytes))
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->o = *opts;
	w = &f->o.writer;
	if (!f->o.block_ns)
		f->o.block_ns = NTF_FLIGHT_BLOCK_NS;
	if (!w->block_events)
		w->block_events = NTF_REC_DEFAULT_BLOCK_EVENTS;
	if (!w->block_bytes && f->o.max_bytes) {
		__u64 b = f->o.max_bytes / 4;

		w->block_bytes = b < MIN_BLOCK_BYTES		 ? MIN_BLOCK_BYTES :
				 b > NTF_REC_DEFAULT_BLOCK_BYTES ? NTF_REC_DEFAULT_BLOCK_BYTES :
								   b;
	}
	if (!w->block_bytes)
		w->block_bytes = NTF_REC_DEFAULT_BLOCK_BYTES;
	if (w->block_bytes > REC_MAX_BLOCK_BYTES)
		w->block_bytes = REC_MAX_BLOCK_BYTES;
	rec_enc_init(&f->enc);
	f->meta = calloc(1, sizeof(*f->meta));
	if (!f->meta || rec_zip_init(&f->zip, w->level, w->uncompressed)) {
		ntf_flight_free(f);
		return -ENOMEM;
	}
	if (meta)
		*f->meta = *meta;
	*out = f;
	return 0;
}
