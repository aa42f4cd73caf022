// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The trace file's writer: the preamble and META, then event blocks as
 * rec_enc.c makes them (cut when full or flushed), NAMES when drivers
 * are found later, STACKS before the events that name a stack new to the
 * file, and at a clean close the index and the trailer. Each
 * block goes out with its header in one write(): a block is whole on
 * disk or fails its checksum, so the file always reads back up to its
 * last whole block. docs/trace-format.md has the layout.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "rec_enc.h"
#include "rec_int.h"
#include "rec_stacks.h"
#include "trace_format.h"

/* A run of consecutive event blocks in the index (one block until the index is full). */
struct idx_run {
	__u64 offset;
	__u32 seq, blocks;
	__u64 events, ts_min, ts_max;
};

struct ntf_rec_writer {
	int fd;
	bool own_fd;
	int err;
	off_t base; /* the fd's position at open; -1 when it cannot seek */
	__u64 off; /* bytes written whole, from the preamble */
	__u32 seq; /* the next block's number */
	__u32 block_events, block_bytes;
	struct rec_zip zip;
	struct rec_enc enc; /* the open block */
	struct rec_buf raw, out;
	struct idx_run *runs;
	__u32 nruns, span;
	struct ntf_rec_meta *meta; /* what META said, with the names added since */
	struct rec_stacks stacks; /* every stack of the file, by content */
	struct ntf_rec_writer_stats st;
};

/* ---- output ---- */

static int write_all(int fd, const __u8 *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (!k)
			return -EIO;
		p += k;
		n -= k;
	}
	return 0;
}

/*
 * A failed write may have left part of a block: cut the file back to its
 * last whole block where the fd allows (a pipe does not; the reader then
 * stops at the part and says so).
 */
static void fail(struct ntf_rec_writer *w, int err)
{
	if (!w->err)
		w->err = err;
	w->st.err = w->err;
	if (w->base >= 0 && !ftruncate(w->fd, w->base + w->off))
		lseek(w->fd, w->base + w->off, SEEK_SET);
}

/* A framed block (header and payload) out to the file. 0 or the sticky error. */
static int put_framed(struct ntf_rec_writer *w, const __u8 *p, size_t n)
{
	int err = write_all(w->fd, p, n);

	if (err) {
		fail(w, err);
		return w->err;
	}
	w->off += n;
	w->seq++;
	w->st.blocks++;
	w->st.bytes = w->off;
	return 0;
}

/*
 * Writes a block of payload raw[0..len): compressed when asked and it
 * pays, header and payload in one write. 0 or the sticky error.
 */
static int write_block(struct ntf_rec_writer *w, unsigned int kind, __u32 count, __u64 ts_min,
		       __u64 ts_max, const __u8 *raw, size_t len, bool compress)
{
	struct ntr_block_info bi = {
		.kind = kind, .seq = w->seq, .count = count, .ts_min = ts_min, .ts_max = ts_max
	};
	int err;

	if (w->err)
		return w->err;
	err = ntr_block_frame(&w->out, &w->zip, &bi, raw, len, compress);
	if (err) {
		fail(w, err);
		return w->err;
	}
	return put_framed(w, w->out.p, w->out.len);
}

/* ---- the index ---- */

static void merge_run(struct idx_run *a, const struct idx_run *b)
{
	a->blocks += b->blocks;
	a->events += b->events;
	if (b->ts_min < a->ts_min)
		a->ts_min = b->ts_min;
	if (b->ts_max > a->ts_max)
		a->ts_max = b->ts_max;
}

/*
 * One more event block. The index stays within NTR_MAX_INDEX runs: when
 * full, neighbours merge and each run covers twice the blocks, so a long
 * recording costs bounded memory and a seek reads a few more headers.
 */
static int index_add(struct ntf_rec_writer *w, const struct idx_run *b)
{
	if (w->nruns && w->runs[w->nruns - 1].blocks < w->span) {
		merge_run(&w->runs[w->nruns - 1], b);
		return 0;
	}
	if (w->nruns == NTR_MAX_INDEX) {
		__u32 n = 0;

		for (__u32 i = 0; i < w->nruns; i += 2, n++) {
			w->runs[n] = w->runs[i];
			if (i + 1 < w->nruns)
				merge_run(&w->runs[n], &w->runs[i + 1]);
		}
		w->nruns = n;
		w->span *= 2;
		return index_add(w, b);
	}
	if (!w->runs) {
		w->runs = malloc(NTR_MAX_INDEX * sizeof(*w->runs));
		if (!w->runs)
			return -ENOMEM;
	}
	w->runs[w->nruns++] = *b;
	return 0;
}

static int write_index(struct ntf_rec_writer *w)
{
	struct rec_buf *b = &w->raw;
	__u64 prev_off = 0, prev_ts = 0;
	__u32 prev_seq = 0;

	b->len = 0;
	rec_put_varint(b, w->nruns);
	for (__u32 i = 0; i < w->nruns; i++) {
		const struct idx_run *r = &w->runs[i];

		rec_put_varint(b, r->offset - prev_off);
		rec_put_varint(b, r->seq - prev_seq);
		rec_put_varint(b, r->blocks);
		rec_put_varint(b, r->events);
		rec_put_svarint(b, (__s64)(r->ts_min - prev_ts));
		rec_put_varint(b, r->ts_max - r->ts_min);
		prev_off = r->offset;
		prev_seq = r->seq;
		prev_ts = r->ts_min;
	}
	ntr_names_encode(b, w->meta->callbacks, w->meta->ncallbacks);
	if (b->oom) {
		fail(w, -ENOMEM);
		return w->err;
	}
	return write_block(w, NTR_K_INDEX, w->nruns, 0, 0, b->p, b->len, true);
}

/* ---- the open block ---- */

/* Stacks defined since the last STACKS block: before the events that name them. */
static int flush_stacks(struct ntf_rec_writer *w)
{
	__u32 count = rec_stacks_pending(&w->stacks);

	if (w->err || !count)
		return w->err;
	rec_stacks_encode(&w->stacks, &w->raw);
	if (w->raw.oom) {
		fail(w, -ENOMEM);
		return w->err;
	}
	return write_block(w, NTR_K_STACKS, count, 0, 0, w->raw.p, w->raw.len, true);
}

/* The open block, as one block. */
static int flush_events(struct ntf_rec_writer *w)
{
	struct idx_run run;
	int err;

	if (w->err || !w->enc.nevents)
		return w->err;
	err = flush_stacks(w);
	if (err)
		return err;
	run = (struct idx_run){ .offset = w->off,
				.seq = w->seq,
				.blocks = 1,
				.events = w->enc.nevents,
				.ts_min = w->enc.ts_min,
				.ts_max = w->enc.ts_max };
	err = rec_enc_block(&w->enc, &w->zip, w->seq, &w->raw, &w->out);
	if (err) {
		fail(w, err);
		return w->err;
	}
	err = put_framed(w, w->out.p, w->out.len);
	if (err)
		return err;
	w->st.committed_events += run.events;
	w->st.raw_bytes += w->raw.len;
	w->st.pending = 0;
	if (index_add(w, &run))
		fail(w, -ENOMEM);
	return w->err;
}

int ntr_writer_put_block(struct ntf_rec_writer *w, const __u8 *blk, size_t len)
{
	struct ntr_block_info bi;
	struct idx_run run;
	__u32 stored;
	int err = flush_events(w);

	/* stacks defined before the block that may name them, as for the writer's own */
	if (!err)
		err = flush_stacks(w);
	if (err)
		return err;
	ntr_block_peek(blk, &bi, &stored);
	if (len != NTR_BLOCK_HDR_LEN + stored || bi.kind != NTR_K_EVENTS)
		return -EINVAL;
	/* copied to be renumbered: a memcpy costs little beside the write */
	w->out.len = 0;
	if (!rec_buf_room(&w->out, len)) {
		fail(w, -ENOMEM);
		return w->err;
	}
	memcpy(w->out.p, blk, len);
	ntr_block_renumber(w->out.p, w->seq);
	run = (struct idx_run){ .offset = w->off,
				.seq = w->seq,
				.blocks = 1,
				.events = bi.count,
				.ts_min = bi.ts_min,
				.ts_max = bi.ts_max };
	err = put_framed(w, w->out.p, len);
	if (err)
		return err;
	w->st.events += bi.count;
	w->st.committed_events += bi.count;
	if (index_add(w, &run))
		fail(w, -ENOMEM);
	return w->err;
}

int ntf_rec_write(struct ntf_rec_writer *w, const struct ntf_event *e)
{
	int err;

	if (w->err)
		return w->err;
	/* what ntf_decode refuses, the reader would too; and a stack the file lacks */
	if (!rec_event_valid(e) || e->stack_id > w->stacks.nstacks)
		return -EINVAL;
	err = rec_enc_add(&w->enc, e);
	if (err) {
		fail(w, err);
		return w->err;
	}
	w->st.events++;
	w->st.pending++;
	if (rec_enc_full(&w->enc, w->block_events, w->block_bytes))
		return flush_events(w);
	return 0;
}

int ntf_rec_flush(struct ntf_rec_writer *w)
{
	return flush_events(w);
}

int ntf_rec_stack_add(struct ntf_rec_writer *w, const struct ntf_rec_frame *frames, unsigned int n,
		      __u32 *id)
{
	int err;

	if (w->err)
		return w->err;
	err = rec_stacks_add(&w->stacks, frames, n, id);
	if (err)
		return err;
	/*
	 * A STACKS block may come anywhere before the events naming its
	 * stacks: written now, it stays far below what a reader takes in a
	 * block (an entry is at most about 200 bytes).
	 */
	if (rec_stacks_pending(&w->stacks) >= REC_STACKS_BLOCK_ENTRIES)
		return flush_stacks(w);
	return 0;
}

int ntf_rec_write_names(struct ntf_rec_writer *w, const struct ntf_rec_callback *cbs,
			unsigned int n)
{
	struct rec_buf *b = &w->raw;
	int err = flush_events(w);

	if (err)
		return err;
	b->len = 0;
	ntr_names_encode(b, cbs, n);
	if (b->oom) {
		fail(w, -ENOMEM);
		return w->err;
	}
	err = write_block(w, NTR_K_NAMES, n, 0, 0, b->p, b->len, true);
	if (err)
		return err;
	for (unsigned int i = 0; i < n; i++)
		ntf_rec_meta_set_callback(w->meta, cbs[i].id, cbs[i].driver,
					  cbs[i].func[0] ? cbs[i].func : NULL);
	return 0;
}

void ntf_rec_writer_stats(const struct ntf_rec_writer *w, struct ntf_rec_writer_stats *st)
{
	*st = w->st;
	st->err = w->err;
}

static void writer_free(struct ntf_rec_writer *w)
{
	rec_enc_free(&w->enc);
	rec_buf_free(&w->raw);
	rec_buf_free(&w->out);
	rec_zip_free(&w->zip);
	rec_stacks_free(&w->stacks);
	free(w->runs);
	free(w->meta);
	if (w->own_fd)
		close(w->fd);
	free(w);
}

int ntf_rec_close(struct ntf_rec_writer *w)
{
	__u64 index_off = w->off;
	__u8 t[NTR_TRAILER_LEN];
	int err;

	flush_events(w);
	index_off = w->off;
	write_index(w);
	rec_set_le(t, index_off, 8);
	rec_set_le(t + 8, w->st.committed_events, 8);
	rec_set_le(t + 16, (__u64)w->seq + 1, 8);
	write_block(w, NTR_K_TRAILER, 0, 0, 0, t, sizeof(t), false);
	err = w->err;
	if (w->own_fd && close(w->fd) && !err)
		err = -errno;
	w->own_fd = false;
	writer_free(w);
	return err;
}

static int start(struct ntf_rec_writer *w, const struct ntf_rec_meta *meta,
		 const struct ntf_rec_writer_opts *opts)
{
	struct ntf_rec_writer_opts o = opts ? *opts : (struct ntf_rec_writer_opts){};
	__u8 pre[NTR_PREAMBLE_LEN] = {};
	int err;

	w->block_events = o.block_events ? o.block_events : NTF_REC_DEFAULT_BLOCK_EVENTS;
	w->block_bytes = o.block_bytes ? o.block_bytes : NTF_REC_DEFAULT_BLOCK_BYTES;
	if (w->block_bytes > REC_MAX_BLOCK_BYTES)
		w->block_bytes = REC_MAX_BLOCK_BYTES;
	w->span = 1;
	rec_enc_init(&w->enc);
	w->meta = malloc(sizeof(*w->meta));
	if (rec_zip_init(&w->zip, o.level, o.uncompressed) || !w->meta)
		return -ENOMEM;
	if (meta)
		*w->meta = *meta;
	else
		memset(w->meta, 0, sizeof(*w->meta));
	w->meta->event_size = sizeof(struct ntf_event);
	rec_zip_name(&w->zip, w->meta->compression, sizeof(w->meta->compression));

	memcpy(pre, NTR_MAGIC, NTR_MAGIC_LEN);
	rec_set_le(pre + 8, NTR_MAJOR, 2);
	rec_set_le(pre + 10, NTR_MINOR, 2);
	err = write_all(w->fd, pre, sizeof(pre));
	if (err)
		return err;
	w->off = sizeof(pre);
	w->raw.len = 0;
	ntr_meta_encode(&w->raw, w->meta);
	if (w->raw.oom)
		return -ENOMEM;
	if (w->raw.len > NTR_MAX_META)
		return -E2BIG;
	return write_block(w, NTR_K_META, w->meta->nprobes + w->meta->ncallbacks, 0, 0, w->raw.p,
			   w->raw.len, true);
}

int ntf_rec_writer_fdopen(struct ntf_rec_writer **out, int fd, const struct ntf_rec_meta *meta,
			  const struct ntf_rec_writer_opts *opts)
{
	struct ntf_rec_writer *w = calloc(1, sizeof(*w));
	struct stat sb;
	int err;

	*out = NULL;
	if (!w)
		return -ENOMEM;
	w->fd = fd;
	/* only a regular file is cut back after a failed write */
	w->base = !fstat(fd, &sb) && S_ISREG(sb.st_mode) ? lseek(fd, 0, SEEK_CUR) : -1;
	err = start(w, meta, opts);
	if (err) {
		writer_free(w);
		return err;
	}
	*out = w;
	return 0;
}

int ntf_rec_writer_open(struct ntf_rec_writer **out, const char *path,
			const struct ntf_rec_meta *meta, const struct ntf_rec_writer_opts *opts)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int err;

	*out = NULL;
	if (fd < 0)
		return -errno;
	err = ntf_rec_writer_fdopen(out, fd, meta, opts);
	if (err) {
		close(fd);
		return err;
	}
	(*out)->own_fd = true;
	return 0;
}
