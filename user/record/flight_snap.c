// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The flight recorder's snapshots (flight.h): the kept blocks trimmed to
 * the time window, then written as a trace file through the writer, which
 * renumbers and indexes them without compressing them again.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "flight_int.h"
#include "rec_int.h"

/*
 * Block b again with only its events at or after cutoff, in f->enc
 * (empty: the open block was closed before). 0, with b->count 0 when none
 * is left; or a negative errno, b as it was.
 */
static int trim(struct ntf_flight *f, struct fl_block *b, __u64 cutoff)
{
	struct ntf_rec_reader *r;
	struct ntf_event e;
	__u32 count = b->count;
	int err, k;
	__u8 *p;

	err = ntr_reader_block(&r, b->p, b->len, 0, f->stacks.nstacks);
	if (err)
		return err;
	while ((k = ntf_rec_next(r, &e)) > 0)
		if (e.ts_ns >= cutoff && (err = rec_enc_add(&f->enc, &e)))
			break;
	ntf_rec_reader_close(r);
	if (!err && k < 0)
		err = k;
	if (!err && f->enc.nevents) {
		struct fl_block t = { .count = f->enc.nevents,
				      .ts_min = f->enc.ts_min,
				      .ts_max = f->enc.ts_max };

		err = rec_enc_block(&f->enc, &f->zip, 0, &f->raw, &f->out);
		if (!err && !(p = malloc(f->out.len)))
			err = -ENOMEM;
		if (!err) {
			memcpy(p, f->out.p, f->out.len);
			t.p = p;
			t.len = f->out.len;
			f->st.kept_bytes -= b->len;
			f->st.kept_bytes += t.len;
			fl_block_free(b);
			*b = t;
		}
	} else if (!err) {
		f->st.kept_bytes -= b->len;
		fl_block_free(b);
		b->count = 0;
	}
	if (err) {
		/* b stays whole: the snapshot holds a little more than its window */
		rec_enc_free(&f->enc);
		rec_enc_init(&f->enc);
		return err;
	}
	f->st.dropped += count - b->count;
	f->st.kept_events -= count - b->count;
	return 0;
}

/*
 * The time window made exact: blocks that begin before it are trimmed
 * for good (what is older than the window now can never be in it again),
 * those left empty removed.
 */
static void trim_all(struct ntf_flight *f)
{
	__u64 cutoff = fl_cutoff(f);
	size_t j = f->first;

	for (size_t i = f->first; i < f->end; i++) {
		struct fl_block *b = &f->blk[i];

		if (b->ts_min < cutoff)
			trim(f, b, cutoff);
		if (b->count)
			f->blk[j++] = *b;
	}
	f->end = j;
	if (f->first == f->end)
		f->first = f->end = 0;
}

static __u64 clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (__u64)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void describe(const struct ntf_flight *f, const struct ntf_flight_trigger *t,
		     struct ntf_rec_flight *d)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->trigger, sizeof(d->trigger), "%s",
		 t && t->what && t->what[0] ? t->what : "unknown");
	d->trigger_wall_ns = t && t->wall_ns ? t->wall_ns : clock_ns(CLOCK_REALTIME);
	d->trigger_mono_ns = t && t->mono_ns ? t->mono_ns : clock_ns(CLOCK_MONOTONIC);
	d->window_ns = f->o.window_ns;
	d->window_bytes = f->o.max_bytes;
	d->dropped = f->st.dropped;
	for (size_t i = f->first; i < f->end; i++) {
		if (i == f->first || f->blk[i].ts_min < d->from_ns)
			d->from_ns = f->blk[i].ts_min;
		if (f->blk[i].ts_max > d->to_ns)
			d->to_ns = f->blk[i].ts_max;
	}
}

/*
 * Every stack the flight recorder knows, defined in the file in its
 * order: the file's ids are then those the kept blocks name.
 */
static int define_stacks(const struct ntf_flight *f, struct ntf_rec_writer *w)
{
	struct ntf_rec_frame *frames = malloc(NTF_REC_MAX_DEPTH * sizeof(*frames));
	__u32 id;
	int n, err = 0;

	if (!frames)
		return -ENOMEM;
	for (__u32 i = 1; i <= f->stacks.nstacks && !err; i++) {
		n = rec_stacks_get(&f->stacks, i, frames, NTF_REC_MAX_DEPTH);
		err = n < 0 ? n : ntf_rec_stack_add(w, frames, n, &id);
		if (!err && id != i)
			err = -EIO; /* a table out of step with itself: no file naming wrong stacks */
	}
	free(frames);
	return err;
}

/* The kept blocks as a trace file on fd. */
static int write_file(struct ntf_flight *f, int fd, const struct ntf_rec_meta *m)
{
	struct ntf_rec_writer *w;
	int err = ntf_rec_writer_fdopen(&w, fd, m, &f->o.writer), k;

	if (err)
		return err;
	err = define_stacks(f, w);
	for (size_t i = f->first; i < f->end && !err; i++)
		err = ntr_writer_put_block(w, f->blk[i].p, f->blk[i].len);
	k = ntf_rec_close(w);
	return err ? err : k;
}

int ntf_flight_snapshot(struct ntf_flight *f, const char *path, const struct ntf_flight_trigger *t,
			struct ntf_flight_snap *snap)
{
	struct ntf_rec_meta *m;
	char tmp[4096];
	off_t size;
	int fd, err;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	/* the open block too; a failure loses it, not the snapshot */
	fl_close_block(f);
	fl_drop_old(f);
	trim_all(f);
	m = malloc(sizeof(*m));
	if (!m)
		return -ENOMEM;
	*m = *f->meta;
	describe(f, t, &m->flight);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		free(m);
		return -errno;
	}
	err = write_file(f, fd, m);
	size = lseek(fd, 0, SEEK_END);
	/* whole on disk before it takes the name: a crash leaves the old file or the new */
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err) {
		unlink(tmp);
	} else {
		f->st.snapshots++;
		if (snap) {
			snap->events = f->st.kept_events;
			snap->bytes = size;
			snap->from_ns = m->flight.from_ns;
			snap->to_ns = m->flight.to_ns;
		}
	}
	free(m);
	return err;
}
