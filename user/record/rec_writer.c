// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The trace file's writer. Events are split field by field into streams
 * (one per field or group of like fields), each value a varint, most of
 * them a difference from the previous event of the block; the task an
 * event ran in (pid, tgid, mm, cgroup, comm) is an id into a table the
 * block defines as it goes. A block is cut when it is full or flushed,
 * compressed with zstd, and written with its header in one write(): a
 * block is whole on disk or fails its checksum, so the file always reads
 * back up to its last whole block. docs/trace-format.md has the layout.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <zstd.h>
#include "crc32c.h"
#include "rec_int.h"
#include "trace_format.h"

/* Checked every this many events: what a block's streams hold before zstd. */
#define SIZE_CHECK_EVERY 64
/* What one event may take in all streams together (about 150 bytes at most). */
#define EVENT_MAX_BYTES 256
#define MAX_BLOCK_BYTES (NTR_MAX_RAW / 2)
_Static_assert(MAX_BLOCK_BYTES + SIZE_CHECK_EVERY * EVENT_MAX_BYTES + 1024 <= NTR_MAX_RAW,
	       "a block can outgrow what readers accept");

struct rec_task {
	__u32 pid, tgid;
	__u64 mm, cgroup_id;
	char comm[NTF_COMM_LEN];
};

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
	int level;
	bool uncompressed;
	__u32 block_events, block_bytes;
	ZSTD_CCtx *cctx;

	/* the open block */
	struct rec_buf s[NTR_S_MAX];
	__u32 nevents;
	__u64 ts_min, ts_max;
	__u64 prev_ts, prev_end, prev_addr, prev_mm, prev_seqno;
	__u32 prev_flags[NTF_CLASS_MAX];
	struct rec_task *tasks;
	__u32 ntasks, tasks_cap, last_task;
	__u32 *slots; /* task id + 1 by hash; 0: free */
	__u32 nslots;

	struct rec_buf raw, out;
	struct idx_run *runs;
	__u32 nruns, span;
	struct ntf_rec_meta *meta; /* what META said, with the names added since */
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

/*
 * Writes a block of payload raw[0..len): compressed when asked and it
 * pays, header and payload in one write. 0 or the sticky error.
 */
static int write_block(struct ntf_rec_writer *w, unsigned int kind, __u32 count, __u64 ts_min,
		       __u64 ts_max, const __u8 *raw, size_t len, bool compress)
{
	size_t stored = len;
	unsigned int codec = NTR_C_NONE;
	__u8 *h;
	int err;

	if (w->err)
		return w->err;
	if (len > NTR_MAX_RAW) {
		fail(w, -E2BIG);
		return w->err;
	}
	w->out.len = 0;
	if (!rec_buf_room(&w->out, NTR_BLOCK_HDR_LEN + ZSTD_compressBound(len))) {
		fail(w, -ENOMEM);
		return w->err;
	}
	h = w->out.p;
	if (compress && !w->uncompressed && len) {
		size_t k = ZSTD_compressCCtx(w->cctx, h + NTR_BLOCK_HDR_LEN,
					     w->out.cap - NTR_BLOCK_HDR_LEN, raw, len, w->level);

		if (!ZSTD_isError(k) && k < len) {
			stored = k;
			codec = NTR_C_ZSTD;
		}
	}
	if (codec == NTR_C_NONE)
		memcpy(h + NTR_BLOCK_HDR_LEN, raw, len);
	memcpy(h + NTR_H_MAGIC, NTR_BLOCK_MAGIC, 4);
	h[NTR_H_KIND] = kind;
	h[NTR_H_CODEC] = codec;
	rec_set_le(h + NTR_H_LEN, NTR_BLOCK_HDR_LEN, 2);
	rec_set_le(h + NTR_H_SEQ, w->seq, 4);
	rec_set_le(h + NTR_H_COUNT, count, 4);
	rec_set_le(h + NTR_H_STORED, stored, 4);
	rec_set_le(h + NTR_H_RAW, len, 4);
	rec_set_le(h + NTR_H_TS_MIN, ts_min, 8);
	rec_set_le(h + NTR_H_TS_MAX, ts_max, 8);
	rec_set_le(h + NTR_H_PAYLOAD_CRC, ntf_crc32c(0, h + NTR_BLOCK_HDR_LEN, stored), 4);
	rec_set_le(h + NTR_BLOCK_HDR_LEN - 4, ntf_crc32c(0, h, NTR_BLOCK_HDR_LEN - 4), 4);
	err = write_all(w->fd, h, NTR_BLOCK_HDR_LEN + stored);
	if (err) {
		fail(w, err);
		return w->err;
	}
	w->off += NTR_BLOCK_HDR_LEN + stored;
	w->seq++;
	w->st.blocks++;
	w->st.bytes = w->off;
	return 0;
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

static void reset_block(struct ntf_rec_writer *w)
{
	for (int i = 0; i < NTR_S_MAX; i++)
		w->s[i].len = 0;
	w->nevents = 0;
	w->ts_min = ~0ULL;
	w->ts_max = 0;
	w->prev_ts = w->prev_end = w->prev_addr = w->prev_mm = w->prev_seqno = 0;
	memset(w->prev_flags, 0, sizeof(w->prev_flags));
	w->ntasks = 0;
	w->last_task = ~0u;
	if (w->slots)
		memset(w->slots, 0, w->nslots * sizeof(*w->slots));
}

static bool streams_oom(const struct ntf_rec_writer *w)
{
	for (int i = 0; i < NTR_S_MAX; i++)
		if (w->s[i].oom)
			return true;
	return false;
}

static size_t streams_len(const struct ntf_rec_writer *w)
{
	size_t n = 0;

	for (int i = 0; i < NTR_S_MAX; i++)
		n += w->s[i].len;
	return n;
}

/* The open block, streams behind their directory, as one block. */
static int flush_events(struct ntf_rec_writer *w)
{
	struct rec_buf *b = &w->raw;
	struct idx_run run;
	unsigned int nstreams = 0;
	int err;

	if (w->err || !w->nevents)
		return w->err;
	if (streams_oom(w)) {
		fail(w, -ENOMEM);
		return w->err;
	}
	/* start times or end times, whichever takes fewer bytes */
	if (w->s[NTR_S_END].len < w->s[NTR_S_TIME].len)
		w->s[NTR_S_TIME].len = 0;
	else
		w->s[NTR_S_END].len = 0;
	for (int i = 1; i < NTR_S_MAX; i++)
		nstreams += w->s[i].len > 0;
	b->len = 0;
	rec_put_varint(b, nstreams);
	for (int i = 1; i < NTR_S_MAX; i++) {
		if (!w->s[i].len)
			continue;
		rec_put_varint(b, i);
		rec_put_varint(b, w->s[i].len);
	}
	for (int i = 1; i < NTR_S_MAX; i++)
		rec_put_bytes(b, w->s[i].p, w->s[i].len);
	if (b->oom) {
		fail(w, -ENOMEM);
		return w->err;
	}
	run = (struct idx_run){ .offset = w->off,
				.seq = w->seq,
				.blocks = 1,
				.events = w->nevents,
				.ts_min = w->ts_min,
				.ts_max = w->ts_max };
	err = write_block(w, NTR_K_EVENTS, w->nevents, w->ts_min, w->ts_max, b->p, b->len, true);
	if (err)
		return err;
	w->st.committed_events += w->nevents;
	w->st.raw_bytes += b->len;
	w->st.pending = 0;
	reset_block(w);
	if (index_add(w, &run))
		fail(w, -ENOMEM);
	return w->err;
}

static __u32 hash_task(const struct rec_task *t)
{
	__u64 c0, c1, h;

	memcpy(&c0, t->comm, 8);
	memcpy(&c1, t->comm + 8, 8);
	h = ((__u64)t->pid << 32 | t->tgid) * 0x9e3779b97f4a7c15ULL;
	h ^= (t->mm + (h >> 29)) * 0xbf58476d1ce4e5b9ULL;
	h ^= (t->cgroup_id ^ c0 ^ (c1 << 1) ^ (h >> 31)) * 0x94d049bb133111ebULL;
	return (__u32)(h ^ (h >> 32));
}

static bool grow_tasks(struct ntf_rec_writer *w)
{
	__u32 cap = w->tasks_cap ? w->tasks_cap * 2 : 256;
	__u32 nslots = cap * 2;
	struct rec_task *t;
	__u32 *slots;

	if (cap > NTR_MAX_TASKS)
		return false;
	t = realloc(w->tasks, cap * sizeof(*t));
	if (!t)
		return false;
	w->tasks = t;
	slots = calloc(nslots, sizeof(*slots));
	if (!slots)
		return false;
	free(w->slots);
	w->slots = slots;
	w->nslots = nslots;
	w->tasks_cap = cap;
	for (__u32 i = 0; i < w->ntasks; i++) {
		__u32 k = hash_task(&w->tasks[i]) & (nslots - 1);

		while (slots[k])
			k = (k + 1) & (nslots - 1);
		slots[k] = i + 1;
	}
	return true;
}

/*
 * The task's id in this block, defining it in TASKDEF when new. -ENOMEM
 * when the table cannot grow.
 */
static int task_ref(struct ntf_rec_writer *w, const struct ntf_event *e)
{
	struct rec_task t;
	size_t n = strnlen(e->comm, NTF_COMM_LEN - 1);
	struct rec_buf *d = &w->s[NTR_S_TASKDEF];
	__u32 k;

	memset(&t, 0, sizeof(t));
	t.pid = e->pid;
	t.tgid = e->tgid;
	t.mm = e->mm;
	t.cgroup_id = e->cgroup_id;
	memcpy(t.comm, e->comm, n);
	if (w->last_task < w->ntasks && !memcmp(&w->tasks[w->last_task], &t, sizeof(t))) {
		rec_put_varint(&w->s[NTR_S_TASK], w->last_task);
		return 0;
	}
	if (w->ntasks == w->tasks_cap && !grow_tasks(w))
		return -ENOMEM;
	for (k = hash_task(&t) & (w->nslots - 1); w->slots[k]; k = (k + 1) & (w->nslots - 1)) {
		__u32 id = w->slots[k] - 1;

		if (!memcmp(&w->tasks[id], &t, sizeof(t))) {
			w->last_task = id;
			rec_put_varint(&w->s[NTR_S_TASK], id);
			return 0;
		}
	}
	w->slots[k] = w->ntasks + 1;
	w->tasks[w->ntasks] = t;
	w->last_task = w->ntasks;
	rec_put_varint(&w->s[NTR_S_TASK], w->ntasks++);
	rec_put_varint(d, t.tgid);
	rec_put_svarint(d, (__s64)t.pid - (__s64)t.tgid);
	rec_put_varint(d, t.cgroup_id);
	rec_put_svarint(d, (__s64)(t.mm - w->prev_mm));
	w->prev_mm = t.mm;
	rec_put_varint(d, n);
	rec_put_bytes(d, t.comm, n);
	return 0;
}

static void put_addr(struct ntf_rec_writer *w, __u64 addr)
{
	rec_put_svarint(&w->s[NTR_S_ADDR], (__s64)(addr - w->prev_addr));
	w->prev_addr = addr;
}

static int encode(struct ntf_rec_writer *w, const struct ntf_event *e)
{
	struct rec_buf *s = w->s;
	unsigned int class = e->class;
	int err;

	rec_put_varint(&s[NTR_S_CLASS], class);
	/* both ways; the block keeps the shorter */
	rec_put_svarint(&s[NTR_S_TIME], (__s64)(e->ts_ns - w->prev_ts));
	w->prev_ts = e->ts_ns;
	rec_put_svarint(&s[NTR_S_END], (__s64)(e->ts_ns + e->latency_ns - w->prev_end));
	w->prev_end = e->ts_ns + e->latency_ns;
	rec_put_varint(&s[NTR_S_LATENCY], e->latency_ns);
	err = task_ref(w, e);
	if (err)
		return err;
	rec_put_varint(&s[NTR_S_FLAGS], e->flags ^ w->prev_flags[class]);
	w->prev_flags[class] = e->flags;
	rec_put_varint(&s[NTR_S_CALLBACK], e->callback);
	rec_put_varint(&s[NTR_S_MECH], e->mech);
	rec_put_varint(&s[NTR_S_ORIGIN], e->origin);
	rec_put_svarint(&s[NTR_S_SYSCALL], e->syscall_nr);
	rec_put_svarint(&s[NTR_S_RET], e->ret);
	switch (class) {
	case NTF_CLASS_INVAL_START:
	case NTF_CLASS_INVAL_END:
	case NTF_CLASS_CALLBACK:
		put_addr(w, e->range.start);
		rec_put_varint(&s[NTR_S_SIZE], e->range.end - e->range.start);
		rec_put_varint(&s[NTR_S_MMU], e->range.event);
		rec_put_varint(&s[NTR_S_MMU], e->range.owner);
		break;
	case NTF_CLASS_UNMAP:
		put_addr(w, e->unmap.address);
		rec_put_varint(&s[NTR_S_PAGES], e->unmap.notifier_calls);
		rec_put_varint(&s[NTR_S_ARGS], e->unmap.notifier_ns);
		break;
	case NTF_CLASS_PIN:
	case NTF_CLASS_UNPIN:
		put_addr(w, e->pin.start);
		rec_put_varint(&s[NTR_S_PAGES], e->pin.nr_pages);
		rec_put_varint(&s[NTR_S_ARGS], e->pin.gup_flags);
		rec_put_varint(&s[NTR_S_ARGS], e->pin.variant);
		break;
	case NTF_CLASS_FENCE_WAIT:
		rec_put_varint(&s[NTR_S_FENCE], e->fence.context);
		rec_put_svarint(&s[NTR_S_FENCE], (__s64)(e->fence.seqno - w->prev_seqno));
		w->prev_seqno = e->fence.seqno;
		rec_put_varint(&s[NTR_S_FENCE], e->fence.ops);
		rec_put_svarint(&s[NTR_S_FENCE], e->fence.timeout);
		break;
	}
	return 0;
}

int ntf_rec_write(struct ntf_rec_writer *w, const struct ntf_event *e)
{
	int err;

	if (w->err)
		return w->err;
	/* what ntf_decode refuses, the reader would too */
	if (e->class == NTF_CLASS_NONE || e->class >= NTF_CLASS_MAX || e->mech == NTF_MECH_NONE ||
	    e->mech >= NTF_MECH_MAX || e->origin >= NTF_ORIGIN_MAX)
		return -EINVAL;
	err = encode(w, e);
	if (err) {
		fail(w, err);
		return w->err;
	}
	w->nevents++;
	w->st.events++;
	w->st.pending++;
	if (e->ts_ns < w->ts_min)
		w->ts_min = e->ts_ns;
	if (e->ts_ns > w->ts_max)
		w->ts_max = e->ts_ns;
	if (w->nevents >= w->block_events || w->ntasks >= NTR_MAX_TASKS)
		return flush_events(w);
	if (!(w->nevents % SIZE_CHECK_EVERY) && streams_len(w) >= w->block_bytes)
		return flush_events(w);
	return 0;
}

int ntf_rec_flush(struct ntf_rec_writer *w)
{
	return flush_events(w);
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
	for (int i = 0; i < NTR_S_MAX; i++)
		rec_buf_free(&w->s[i]);
	rec_buf_free(&w->raw);
	rec_buf_free(&w->out);
	ZSTD_freeCCtx(w->cctx);
	free(w->tasks);
	free(w->slots);
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

	w->uncompressed = o.uncompressed;
	w->level = o.level ? o.level : NTF_REC_DEFAULT_LEVEL;
	if (w->level < ZSTD_minCLevel())
		w->level = ZSTD_minCLevel();
	if (w->level > ZSTD_maxCLevel())
		w->level = ZSTD_maxCLevel();
	w->block_events = o.block_events ? o.block_events : NTF_REC_DEFAULT_BLOCK_EVENTS;
	w->block_bytes = o.block_bytes ? o.block_bytes : NTF_REC_DEFAULT_BLOCK_BYTES;
	if (w->block_bytes > MAX_BLOCK_BYTES)
		w->block_bytes = MAX_BLOCK_BYTES;
	w->span = 1;
	w->cctx = ZSTD_createCCtx();
	w->meta = malloc(sizeof(*w->meta));
	if (!w->cctx || !w->meta)
		return -ENOMEM;
	if (meta)
		*w->meta = *meta;
	else
		memset(w->meta, 0, sizeof(*w->meta));
	w->meta->event_size = sizeof(struct ntf_event);
	if (w->uncompressed)
		snprintf(w->meta->compression, sizeof(w->meta->compression), "none");
	else
		snprintf(w->meta->compression, sizeof(w->meta->compression), "zstd %s level %d",
			 ZSTD_versionString(), w->level);
	reset_block(w);

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
