// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The trace file's reader. It walks blocks from the start, checks each
 * header (its own checksum, its number, bounds every allocation follows)
 * before trusting a length, checks the payload's checksum before
 * decompressing it, and decodes events one at a time from the block's
 * streams, every read bounded by its stream. The first block that fails
 * ends reading, with the byte, the block and the reason; a file that just
 * ends (its writer killed, its disk full, or still writing) reads up to
 * its last whole block and can be read further when it grows.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <zstd.h>
#include "crc32c.h"
#include "rec_int.h"
#include "rec_stacks.h"
#include "trace_format.h"

struct blk {
	__u64 off;
	unsigned int kind, codec, hlen;
	__u32 seq, count, stored, raw;
	__u64 ts_min, ts_max;
	__u32 payload_crc;
};

struct rec_task {
	__u32 pid, tgid;
	__u64 mm, cgroup_id;
	char comm[NTF_COMM_LEN];
};

struct idx_run {
	__u64 offset;
	__u32 seq;
	__u64 ts_max;
};

static const char *const stream_names[NTR_S_MAX] = {
	[NTR_S_CLASS] = "class",       [NTR_S_TIME] = "time",	    [NTR_S_LATENCY] = "latency",
	[NTR_S_TASK] = "task",	       [NTR_S_TASKDEF] = "taskdef", [NTR_S_FLAGS] = "flags",
	[NTR_S_CALLBACK] = "callback", [NTR_S_MECH] = "mech",	    [NTR_S_ORIGIN] = "origin",
	[NTR_S_SYSCALL] = "syscall",   [NTR_S_RET] = "ret",	    [NTR_S_ADDR] = "addr",
	[NTR_S_SIZE] = "size",	       [NTR_S_MMU] = "mmu",	    [NTR_S_PAGES] = "pages",
	[NTR_S_ARGS] = "args",	       [NTR_S_FENCE] = "fence",	    [NTR_S_UNUSED_18] = "18",
	[NTR_S_END] = "end",	       [NTR_S_STACK] = "stack",
};

struct ntf_rec_reader {
	int fd;
	__u32 outside_stacks; /* a lone block's: stack ids its owner defines */
	bool own_fd;
	const __u8 *mem;
	size_t mem_len;
	struct ntf_rec_meta meta;
	struct ntf_rec_status st;
	__u64 pos; /* the next block's offset */
	__u32 seq; /* and its number */
	__u64 first_block; /* after META */
	ZSTD_DCtx *dctx;
	__u8 *stored, *raw;
	size_t stored_cap, raw_cap;

	/* the event block being read */
	struct blk cur;
	__u32 left, done;
	struct rec_cur s[NTR_S_MAX];
	bool by_end; /* times in END, not TIME */
	bool has_stacks; /* the block has the stack stream: without it, no event names a stack */
	__u64 prev_ts, prev_addr, prev_mm, prev_seqno;
	__u32 prev_flags[NTF_CLASS_MAX];
	struct rec_task *tasks;
	__u32 ntasks, tasks_cap;

	struct idx_run *runs;
	__u32 nruns;

	struct rec_stacks stacks;
	/*
	 * Where the STACKS blocks have been read up to: a block before it is
	 * never read again (its stacks would be defined twice), one after it
	 * is read before events past it are (a seek past blocks catches up).
	 */
	__u64 stacks_pos;
	__u32 stacks_seq;
};

/* ---- where and why reading stopped ---- */

static const char *const stop_words[] = {
	[NTF_REC_TRUNCATED] = "truncated",
	[NTF_REC_CORRUPT] = "corrupt",
	[NTF_REC_FOREIGN] = "not a notifier trace",
	[NTF_REC_VERSION] = "unsupported",
	[NTF_REC_IO] = "read error",
	[NTF_REC_NOMEM] = "out of memory",
};

/*
 * Internal functions return 1 (done), 0 (the file ends here, between
 * blocks) or STOPPED: stop() said where and why in the status.
 */
#define STOPPED (-1)

/* Stops reading: "<what> at byte OFF in block N: reason". Returns STOPPED. */
__attribute__((format(printf, 6, 7))) static int stop(struct ntf_rec_reader *r,
						      enum ntf_rec_stop how, int err, __u64 off,
						      __u32 block, const char *fmt, ...)
{
	char reason[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	r->st.stop = how;
	r->st.err = err;
	r->st.offset = off;
	r->st.block = block;
	if (how == NTF_REC_FOREIGN || how == NTF_REC_VERSION)
		snprintf(r->st.why, sizeof(r->st.why), "%s: %s", stop_words[how], reason);
	else if (how == NTF_REC_TRUNCATED || how == NTF_REC_CORRUPT || how == NTF_REC_IO ||
		 how == NTF_REC_NOMEM)
		snprintf(r->st.why, sizeof(r->st.why), "%s at byte %llu in block %u: %s",
			 stop_words[how], (unsigned long long)off, block, reason);
	else
		snprintf(r->st.why, sizeof(r->st.why), "%s", reason);
	return STOPPED;
}

/* What the public functions return once stopped: 0 for the ends a file has while it grows. */
static int result(const struct ntf_rec_reader *r)
{
	switch (r->st.stop) {
	case NTF_REC_READING:
	case NTF_REC_COMPLETE:
	case NTF_REC_UNFINISHED:
	case NTF_REC_TRUNCATED: return 0;
	default: return r->st.err;
	}
}

/* ---- input ---- */

/* Up to n bytes at off; fewer at the end of the file; or -errno. */
static ssize_t read_at(struct ntf_rec_reader *r, __u64 off, void *buf, size_t n)
{
	size_t got = 0;

	if (r->mem) {
		if (off >= r->mem_len)
			return 0;
		if (n > r->mem_len - off)
			n = r->mem_len - off;
		memcpy(buf, r->mem + off, n);
		return n;
	}
	while (got < n) {
		ssize_t k = pread(r->fd, (__u8 *)buf + got, n - got, off + got);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (!k)
			break;
		got += k;
	}
	return got;
}

static __u64 file_size(struct ntf_rec_reader *r)
{
	struct stat sb;

	if (r->mem)
		return r->mem_len;
	return fstat(r->fd, &sb) ? 0 : (__u64)sb.st_size;
}

static bool grow(__u8 **p, size_t *cap, size_t n)
{
	__u8 *q;

	if (*cap >= n)
		return true;
	q = realloc(*p, n);
	if (!q)
		return false;
	*p = q;
	*cap = n;
	return true;
}

/* The header of the block at off, which should be block seq, into *b. */
static int read_header(struct ntf_rec_reader *r, __u64 off, __u32 seq, struct blk *b)
{
	__u8 h[NTR_BLOCK_HDR_MAX];
	ssize_t n = read_at(r, off, h, NTR_BLOCK_HDR_LEN);

	if (n < 0)
		return stop(r, NTF_REC_IO, n, off, seq, "%s", strerror(-n));
	if (!n)
		return 0;
	if (memcmp(h, NTR_BLOCK_MAGIC, n < 4 ? n : 4))
		return stop(r, NTF_REC_CORRUPT, -EBADMSG, off, seq,
			    "no block header here (%02x %02x %02x %02x where \"NTRB\" should be)",
			    h[0], n > 1 ? h[1] : 0, n > 2 ? h[2] : 0, n > 3 ? h[3] : 0);
	if (n < NTR_BLOCK_HDR_LEN)
		return stop(r, NTF_REC_TRUNCATED, 0, off + n, seq,
			    "only %zd of a block header's %u bytes", n, NTR_BLOCK_HDR_LEN);
	b->off = off;
	b->hlen = rec_get_le(h + NTR_H_LEN, 2);
	if (b->hlen < NTR_BLOCK_HDR_LEN || b->hlen > NTR_BLOCK_HDR_MAX || b->hlen % 4)
		return stop(r, NTF_REC_CORRUPT, -EBADMSG, off, seq, "a block header of %u bytes",
			    b->hlen);
	if (b->hlen > NTR_BLOCK_HDR_LEN) {
		ssize_t k = read_at(r, off + n, h + n, b->hlen - n);

		if (k < 0)
			return stop(r, NTF_REC_IO, k, off + n, seq, "%s", strerror(-k));
		if (n + k < b->hlen)
			return stop(r, NTF_REC_TRUNCATED, 0, off + n + k, seq,
				    "only %zd of a block header's %u bytes", n + k, b->hlen);
	}
	if (ntf_crc32c(0, h, b->hlen - 4) != rec_get_le(h + b->hlen - 4, 4))
		return stop(r, NTF_REC_CORRUPT, -EBADMSG, off, seq,
			    "block header checksum mismatch");
	b->kind = h[NTR_H_KIND];
	b->codec = h[NTR_H_CODEC];
	b->seq = rec_get_le(h + NTR_H_SEQ, 4);
	b->count = rec_get_le(h + NTR_H_COUNT, 4);
	b->stored = rec_get_le(h + NTR_H_STORED, 4);
	b->raw = rec_get_le(h + NTR_H_RAW, 4);
	b->ts_min = rec_get_le(h + NTR_H_TS_MIN, 8);
	b->ts_max = rec_get_le(h + NTR_H_TS_MAX, 8);
	b->payload_crc = rec_get_le(h + NTR_H_PAYLOAD_CRC, 4);
	if (b->seq != seq)
		return stop(r, NTF_REC_CORRUPT, -EBADMSG, off, seq,
			    "the header says block %u: blocks are missing or out of place", b->seq);
	if (b->raw > NTR_MAX_RAW || b->stored > NTR_MAX_STORED)
		return stop(r, NTF_REC_CORRUPT, -EBADMSG, off, seq,
			    "a block of %u bytes (%u stored), more than a writer makes", b->raw,
			    b->stored);
	if (b->codec > NTR_C_ZSTD)
		return stop(r, NTF_REC_CORRUPT, -EBADMSG, off, seq, "unknown compression %u",
			    b->codec);
	if (b->codec == NTR_C_NONE && b->stored != b->raw)
		return stop(r, NTF_REC_CORRUPT, -EBADMSG, off, seq,
			    "an uncompressed payload of %u bytes said to hold %u", b->stored,
			    b->raw);
	return 1;
}

/* b's payload, checked and decompressed, into r->raw. */
static int read_payload(struct ntf_rec_reader *r, const struct blk *b)
{
	__u64 at = b->off + b->hlen;
	__u8 *dst;
	ssize_t n;

	/* at least a byte each: an empty payload has an address too */
	if (!grow(&r->stored, &r->stored_cap, b->stored + 1) ||
	    !grow(&r->raw, &r->raw_cap, b->raw + 1))
		return stop(r, NTF_REC_NOMEM, -ENOMEM, b->off, b->seq,
			    "a block of %u bytes does not fit in memory", b->raw);
	dst = b->codec == NTR_C_NONE ? r->raw : r->stored;
	n = read_at(r, at, dst, b->stored);
	if (n < 0)
		return stop(r, NTF_REC_IO, n, at, b->seq, "%s", strerror(-n));
	if (n < b->stored)
		return stop(r, NTF_REC_TRUNCATED, 0, at + n, b->seq,
			    "block shorter than its header says (%u payload bytes, %zd present)",
			    b->stored, n);
	if (ntf_crc32c(0, dst, b->stored) != b->payload_crc)
		return stop(r, NTF_REC_CORRUPT, -EBADMSG, b->off, b->seq,
			    "payload checksum mismatch (%u bytes from byte %llu)", b->stored,
			    (unsigned long long)at);
	if (b->codec == NTR_C_ZSTD) {
		unsigned long long size = ZSTD_getFrameContentSize(r->stored, b->stored);
		size_t k;

		if (size != b->raw)
			return stop(r, NTF_REC_CORRUPT, -EBADMSG, b->off, b->seq,
				    "the compressed payload does not say it holds %u bytes",
				    b->raw);
		k = ZSTD_decompressDCtx(r->dctx, r->raw, b->raw, r->stored, b->stored);
		if (ZSTD_isError(k) || k != b->raw)
			return stop(r, NTF_REC_CORRUPT, -EBADMSG, b->off, b->seq,
				    "the payload does not decompress: %s",
				    ZSTD_isError(k) ? ZSTD_getErrorName(k) : "short");
	}
	return 1;
}

static void passed(struct ntf_rec_reader *r, const struct blk *b)
{
	r->pos = b->off + b->hlen + b->stored;
	r->seq = b->seq + 1;
	r->st.blocks++;
}

/* ---- event blocks ---- */

static int bad_event(struct ntf_rec_reader *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int bad_event(struct ntf_rec_reader *r, const char *fmt, ...)
{
	char what[120];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	r->left = 0;
	return stop(r, NTF_REC_CORRUPT, -EBADMSG, r->cur.off, r->cur.seq, "event %u: %s", r->done,
		    what);
}

/* The directory of an event block's payload: each stream's bytes. */
static int open_events(struct ntf_rec_reader *r, const struct blk *b)
{
	struct rec_cur c = rec_cur_make(r->raw, b->raw);
	__u64 n = rec_get_varint(&c), total = 0;
	const __u8 *data;
	struct {
		__u64 id, len;
	} dir[64];

	memset(r->s, 0, sizeof(r->s));
	if (c.bad || n > 64)
		return stop(r, NTF_REC_CORRUPT, -EBADMSG, b->off, b->seq,
			    "an event block's directory is malformed");
	for (__u64 i = 0; i < n; i++) {
		dir[i].id = rec_get_varint(&c);
		dir[i].len = rec_get_varint(&c);
		total += dir[i].len;
		if (c.bad || dir[i].len > b->raw || total > b->raw)
			return stop(r, NTF_REC_CORRUPT, -EBADMSG, b->off, b->seq,
				    "an event block's directory is malformed");
	}
	if (total != rec_cur_left(&c))
		return stop(r, NTF_REC_CORRUPT, -EBADMSG, b->off, b->seq,
			    "its streams hold %llu bytes, its payload %zu",
			    (unsigned long long)total, rec_cur_left(&c));
	data = c.p;
	for (__u64 i = 0; i < n; i++) {
		if (dir[i].id > 0 && dir[i].id < NTR_S_MAX) {
			if (r->s[dir[i].id].end)
				return stop(r, NTF_REC_CORRUPT, -EBADMSG, b->off, b->seq,
					    "stream %s given twice", stream_names[dir[i].id]);
			r->s[dir[i].id] = rec_cur_make(data, dir[i].len);
		}
		/* streams of a newer minor version are skipped */
		data += dir[i].len;
	}
	if (r->s[NTR_S_TIME].end && r->s[NTR_S_END].end)
		return stop(r, NTF_REC_CORRUPT, -EBADMSG, b->off, b->seq,
			    "both start and end times given");
	r->by_end = r->s[NTR_S_END].end != NULL;
	r->has_stacks = r->s[NTR_S_STACK].end != NULL;
	r->cur = *b;
	r->left = b->count;
	r->done = 0;
	r->prev_ts = r->prev_addr = r->prev_mm = r->prev_seqno = 0;
	memset(r->prev_flags, 0, sizeof(r->prev_flags));
	r->ntasks = 0;
	return 1;
}

/* Every stream used up by the block's events, to the byte. */
static int close_events(struct ntf_rec_reader *r)
{
	for (int i = 1; i < NTR_S_MAX; i++)
		if (rec_cur_left(&r->s[i]))
			return stop(r, NTF_REC_CORRUPT, -EBADMSG, r->cur.off, r->cur.seq,
				    "stream %s holds %zu bytes more than its %u events use",
				    stream_names[i], rec_cur_left(&r->s[i]), r->cur.count);
	return 1;
}

static __u32 get_u32(struct rec_cur *c)
{
	__u64 v = rec_get_varint(c);

	if (v > 0xffffffffu) {
		c->bad = true;
		return 0;
	}
	return v;
}

static int define_task(struct ntf_rec_reader *r)
{
	struct rec_cur *d = &r->s[NTR_S_TASKDEF];
	struct rec_task *t;
	__s64 pid;
	__u64 n;
	const __u8 *comm;

	if (r->ntasks == NTR_MAX_TASKS)
		return bad_event(r, "more than %u tasks in one block", NTR_MAX_TASKS);
	if (r->ntasks == r->tasks_cap) {
		__u32 cap = r->tasks_cap ? r->tasks_cap * 2 : 256;
		struct rec_task *p = realloc(r->tasks, cap * sizeof(*p));

		if (!p)
			return stop(r, NTF_REC_NOMEM, -ENOMEM, r->cur.off, r->cur.seq,
				    "no memory for the block's tasks");
		r->tasks = p;
		r->tasks_cap = cap;
	}
	t = &r->tasks[r->ntasks];
	memset(t, 0, sizeof(*t));
	t->tgid = get_u32(d);
	pid = (__s64)t->tgid + rec_get_svarint(d);
	t->cgroup_id = rec_get_varint(d);
	t->mm = r->prev_mm + rec_get_svarint(d);
	r->prev_mm = t->mm;
	n = rec_get_varint(d);
	if (d->bad || n >= NTF_COMM_LEN || pid < 0 || pid > 0xffffffffLL)
		return bad_event(r, "task %u is malformed", r->ntasks);
	comm = rec_get_bytes(d, n);
	if (!comm || memchr(comm, 0, n))
		return bad_event(r, "task %u is malformed", r->ntasks);
	t->pid = pid;
	memcpy(t->comm, comm, n);
	r->ntasks++;
	return 0;
}

static void put_task(struct ntf_event *e, const struct rec_task *t)
{
	e->pid = t->pid;
	e->tgid = t->tgid;
	e->mm = t->mm;
	e->cgroup_id = t->cgroup_id;
	memcpy(e->comm, t->comm, NTF_COMM_LEN);
}

static int decode_event(struct ntf_rec_reader *r, struct ntf_event *e)
{
	struct rec_cur *s = r->s;
	__u64 class, task, mech, origin;
	__s64 sys;
	int err;

	memset(e, 0, sizeof(*e));
	class = rec_get_varint(&s[NTR_S_CLASS]);
	if (s[NTR_S_CLASS].bad)
		return bad_event(r, "stream class ends early");
	if (!class || class >= NTF_CLASS_MAX)
		return bad_event(r, "class %llu unknown to this reader", (unsigned long long)class);
	e->class = class;
	e->latency_ns = rec_get_varint(&s[NTR_S_LATENCY]);
	if (r->by_end) {
		r->prev_ts += rec_get_svarint(&s[NTR_S_END]);
		e->ts_ns = r->prev_ts - e->latency_ns;
	} else {
		r->prev_ts += rec_get_svarint(&s[NTR_S_TIME]);
		e->ts_ns = r->prev_ts;
	}
	task = rec_get_varint(&s[NTR_S_TASK]);
	if (!s[NTR_S_TASK].bad && task == r->ntasks) {
		err = define_task(r);
		if (err)
			return err;
	}
	if (!s[NTR_S_TASK].bad && task >= r->ntasks)
		return bad_event(r, "task %llu used before it is defined",
				 (unsigned long long)task);
	if (!s[NTR_S_TASK].bad)
		put_task(e, &r->tasks[task]);
	e->flags = get_u32(&s[NTR_S_FLAGS]) ^ r->prev_flags[class];
	r->prev_flags[class] = e->flags;
	e->callback = get_u32(&s[NTR_S_CALLBACK]);
	mech = rec_get_varint(&s[NTR_S_MECH]);
	origin = rec_get_varint(&s[NTR_S_ORIGIN]);
	sys = rec_get_svarint(&s[NTR_S_SYSCALL]);
	e->ret = rec_get_svarint(&s[NTR_S_RET]);
	if (r->has_stacks)
		e->stack_id = get_u32(&s[NTR_S_STACK]);
	switch (class) {
	case NTF_CLASS_INVAL_START:
	case NTF_CLASS_INVAL_END:
	case NTF_CLASS_CALLBACK:
		e->range.start = r->prev_addr += rec_get_svarint(&s[NTR_S_ADDR]);
		e->range.end = e->range.start + rec_get_varint(&s[NTR_S_SIZE]);
		e->range.event = get_u32(&s[NTR_S_MMU]);
		e->range.owner = rec_get_varint(&s[NTR_S_MMU]);
		break;
	case NTF_CLASS_UNMAP:
		e->unmap.address = r->prev_addr += rec_get_svarint(&s[NTR_S_ADDR]);
		e->unmap.notifier_calls = get_u32(&s[NTR_S_PAGES]);
		e->unmap.notifier_ns = rec_get_varint(&s[NTR_S_ARGS]);
		break;
	case NTF_CLASS_PIN:
	case NTF_CLASS_UNPIN:
		e->pin.start = r->prev_addr += rec_get_svarint(&s[NTR_S_ADDR]);
		e->pin.nr_pages = get_u32(&s[NTR_S_PAGES]);
		e->pin.gup_flags = get_u32(&s[NTR_S_ARGS]);
		e->pin.variant = get_u32(&s[NTR_S_ARGS]);
		break;
	case NTF_CLASS_FENCE_WAIT:
		e->fence.context = rec_get_varint(&s[NTR_S_FENCE]);
		e->fence.seqno = r->prev_seqno += rec_get_svarint(&s[NTR_S_FENCE]);
		e->fence.ops = rec_get_varint(&s[NTR_S_FENCE]);
		e->fence.timeout = rec_get_svarint(&s[NTR_S_FENCE]);
		break;
	}
	for (int i = 1; i < NTR_S_MAX; i++)
		if (s[i].bad)
			return bad_event(r, "stream %s ends early or holds a value too large",
					 stream_names[i]);
	if (!mech || mech >= NTF_MECH_MAX)
		return bad_event(r, "mechanism %llu unknown to this reader",
				 (unsigned long long)mech);
	if (origin >= NTF_ORIGIN_MAX)
		return bad_event(r, "origin %llu unknown to this reader",
				 (unsigned long long)origin);
	if (sys < -0x80000000LL || sys > 0x7fffffffLL)
		return bad_event(r, "syscall %lld out of range", (long long)sys);
	if (e->stack_id > r->stacks.nstacks && e->stack_id > r->outside_stacks)
		return bad_event(r, "stack %u is not defined before it", e->stack_id);
	e->mech = mech;
	e->origin = origin;
	e->syscall_nr = sys;
	r->left--;
	r->done++;
	r->st.events++;
	return 1;
}

/* ---- blocks of other kinds ---- */

static int read_names(struct ntf_rec_reader *r, const struct blk *b, const __u8 *p, size_t n)
{
	char why[120];
	size_t at = 0;

	if (ntr_names_decode(p, n, &r->meta, why, sizeof(why), &at))
		return stop(r, NTF_REC_CORRUPT, -EBADMSG, b->off, b->seq, "%s (payload byte %zu)",
			    why, at);
	return 1;
}

static int read_stacks(struct ntf_rec_reader *r, const struct blk *b, const __u8 *p, size_t n)
{
	char why[120];
	size_t at = 0;
	int err = rec_stacks_decode(&r->stacks, p, n, why, sizeof(why), &at);

	if (err == -ENOMEM)
		return stop(r, NTF_REC_NOMEM, -ENOMEM, b->off, b->seq,
			    "no memory for the file's stacks");
	if (err)
		return stop(r, NTF_REC_CORRUPT, -EBADMSG, b->off, b->seq, "%s (payload byte %zu)",
			    why, at);
	return 1;
}

static int finish(struct ntf_rec_reader *r, const struct blk *b)
{
	__u64 size = file_size(r), end = b->off + b->hlen + b->stored;

	r->st.size = size;
	if (size > end)
		return stop(r, NTF_REC_COMPLETE, 0, end, b->seq,
			    "complete: %llu events in %u blocks, closed by its writer; %llu bytes "
			    "after its trailer ignored",
			    (unsigned long long)r->st.events, r->st.blocks,
			    (unsigned long long)(size - end));
	return stop(r, NTF_REC_COMPLETE, 0, end, b->seq,
		    "complete: %llu events in %u blocks, closed by its writer",
		    (unsigned long long)r->st.events, r->st.blocks);
}

/* Where a file without (or before) its trailer ends: after a whole block. */
static int unfinished(struct ntf_rec_reader *r)
{
	r->st.size = file_size(r);
	return stop(r, NTF_REC_UNFINISHED, 0, r->pos, r->seq,
		    "ends at byte %llu after block %u, without a trailer: its writer did not close "
		    "it (it stopped, or is still writing)",
		    (unsigned long long)r->pos, r->seq - 1);
}

static bool fatal(const struct ntf_rec_reader *r)
{
	return r->st.stop != NTF_REC_READING && r->st.stop != NTF_REC_UNFINISHED &&
	       r->st.stop != NTF_REC_TRUNCATED;
}

int ntf_rec_next(struct ntf_rec_reader *r, struct ntf_event *e)
{
	struct blk b;
	bool fresh;
	int k;

	for (;;) {
		if (r->left)
			return decode_event(r, e) > 0 ? 1 : result(r);
		if (r->cur.kind == NTR_K_EVENTS) {
			r->cur.kind = 0;
			if (close_events(r) < 0)
				return result(r);
		}
		if (fatal(r))
			return result(r);
		/* a file that ended may have grown since */
		r->st.stop = NTF_REC_READING;
		r->st.err = 0;
		k = read_header(r, r->pos, r->seq, &b);
		if (!k) {
			unfinished(r);
			return 0;
		}
		if (k < 0 || read_payload(r, &b) < 0)
			return result(r);
		passed(r, &b);
		fresh = b.off >= r->stacks_pos;
		if (fresh) {
			r->stacks_pos = r->pos;
			r->stacks_seq = r->seq;
		}
		switch (b.kind) {
		case NTR_K_EVENTS: k = open_events(r, &b); break;
		case NTR_K_NAMES: k = read_names(r, &b, r->raw, b.raw); break;
		case NTR_K_STACKS: k = fresh ? read_stacks(r, &b, r->raw, b.raw) : 1; break;
		case NTR_K_META:
			k = stop(r, NTF_REC_CORRUPT, -EBADMSG, b.off, b.seq, "a second META block");
			break;
		case NTR_K_TRAILER: finish(r, &b); return 0;
		default: k = 1; break; /* INDEX, kinds of a newer minor: skipped */
		}
		if (k < 0)
			return result(r);
	}
}

/* ---- opening ---- */

static const char *identify(const __u8 *p, size_t n)
{
	if (n >= 4 && !memcmp(p, "\177ELF", 4))
		return "an ELF file";
	if (n >= 8 && !memcmp(p, "PERFILE2", 8))
		return "a perf.data file";
	if (n >= 4 && !memcmp(p, "\x28\xb5\x2f\xfd", 4))
		return "a zstd-compressed file (decompress it first?)";
	if (n >= 2 && !memcmp(p, "\x1f\x8b", 2))
		return "a gzip-compressed file (decompress it first?)";
	if (n >= 1 && (p[0] == '{' || p[0] == '['))
		return "JSON, perhaps notifier hist -j output";
	return NULL;
}

/* The preamble and META. */
static int read_start(struct ntf_rec_reader *r)
{
	__u8 pre[NTR_PREAMBLE_LEN];
	ssize_t n = read_at(r, 0, pre, sizeof(pre));
	unsigned int major, minor;
	char why[120];
	size_t at = 0;
	struct blk b;
	int k;

	if (n < 0)
		return stop(r, NTF_REC_IO, n, 0, 0, "%s", strerror(-n));
	if (!n)
		return stop(r, NTF_REC_FOREIGN, -ENODATA, 0, 0, "the file is empty");
	if (memcmp(pre, NTR_MAGIC, n < NTR_MAGIC_LEN ? n : NTR_MAGIC_LEN)) {
		const char *what = identify(pre, n);

		if (what)
			return stop(r, NTF_REC_FOREIGN, -EILSEQ, 0, 0, "%s", what);
		return stop(r, NTF_REC_FOREIGN, -EILSEQ, 0, 0,
			    "it starts with %02x %02x %02x %02x, not the trace magic", pre[0],
			    n > 1 ? pre[1] : 0, n > 2 ? pre[2] : 0, n > 3 ? pre[3] : 0);
	}
	if (n < NTR_PREAMBLE_LEN)
		return stop(r, NTF_REC_TRUNCATED, -ENODATA, n, 0,
			    "only %zd of the preamble's %u bytes", n, NTR_PREAMBLE_LEN);
	major = rec_get_le(pre + 8, 2);
	minor = rec_get_le(pre + 10, 2);
	if (major != NTR_MAJOR)
		return stop(r, NTF_REC_VERSION, -EPROTONOSUPPORT, 8, 0,
			    "trace format %u.%u; this reader reads %u.x", major, minor, NTR_MAJOR);
	k = read_header(r, NTR_PREAMBLE_LEN, 0, &b);
	if (!k)
		return stop(r, NTF_REC_TRUNCATED, -ENODATA, NTR_PREAMBLE_LEN, 0,
			    "the file ends before its META block");
	if (k < 0)
		return k;
	if (b.kind != NTR_K_META || b.raw > NTR_MAX_META)
		return stop(r, NTF_REC_CORRUPT, -EBADMSG, b.off, 0,
			    "the first block is not META (kind %u, %u bytes)", b.kind, b.raw);
	if (read_payload(r, &b) < 0)
		return STOPPED;
	if (ntr_meta_decode(r->raw, b.raw, &r->meta, why, sizeof(why), &at))
		return stop(r, NTF_REC_CORRUPT, -EBADMSG, b.off, 0, "META: %s (payload byte %zu)",
			    why, at);
	passed(r, &b);
	r->first_block = r->stacks_pos = r->pos;
	r->stacks_seq = r->seq;
	return 1;
}

/* Reads the index that the trailer points to: whether both are whole and agree. */
static bool try_index(struct ntf_rec_reader *r, __u64 size)
{
	__u64 at_trailer = size - NTR_BLOCK_HDR_LEN - NTR_TRAILER_LEN;
	__u64 index_off, off = 0, ts = 0, n;
	__u8 h[NTR_BLOCK_HDR_LEN];
	struct ntf_rec_meta *names;
	__u32 seq = 0, last;
	struct rec_cur c;
	struct blk t, x;
	char why[120];
	size_t at;
	bool ok;

	if (size < r->first_block + 2 * NTR_BLOCK_HDR_LEN + NTR_TRAILER_LEN)
		return false;
	/* the trailer is the fixed-size last block; its number is read from it, then checked */
	if (read_at(r, at_trailer, h, sizeof(h)) != sizeof(h) || memcmp(h, NTR_BLOCK_MAGIC, 4) ||
	    h[NTR_H_KIND] != NTR_K_TRAILER)
		return false;
	last = rec_get_le(h + NTR_H_SEQ, 4);
	if (last < 2 || read_header(r, at_trailer, last, &t) <= 0 || t.raw != NTR_TRAILER_LEN ||
	    read_payload(r, &t) <= 0)
		return false;
	index_off = rec_get_le(r->raw, 8);
	if (index_off < r->first_block || index_off >= at_trailer ||
	    read_header(r, index_off, last - 1, &x) <= 0 || x.kind != NTR_K_INDEX ||
	    x.off + x.hlen + x.stored != at_trailer || read_payload(r, &x) <= 0)
		return false;
	c = rec_cur_make(r->raw, x.raw);
	n = rec_get_varint(&c);
	if (c.bad || n > NTR_MAX_INDEX || n > x.raw)
		return false;
	r->runs = malloc((n ? n : 1) * sizeof(*r->runs));
	if (!r->runs)
		return false;
	for (__u64 i = 0; i < n; i++) {
		__u64 doff = rec_get_varint(&c), dseq = rec_get_varint(&c);

		rec_get_varint(&c); /* blocks */
		rec_get_varint(&c); /* events */
		ts += rec_get_svarint(&c);
		r->runs[i].ts_max = ts + rec_get_varint(&c);
		off += doff;
		seq += dseq;
		r->runs[i].offset = off;
		r->runs[i].seq = seq;
		if (c.bad || off < r->first_block || off >= index_off || dseq >= last ||
		    seq >= last - 1 || (i && !doff))
			return false;
	}
	names = malloc(sizeof(*names));
	if (!names)
		return false;
	*names = r->meta;
	ok = !ntr_names_decode(c.p, rec_cur_left(&c), names, why, sizeof(why), &at);
	if (ok) {
		r->meta = *names;
		r->nruns = n;
	}
	free(names);
	return ok;
}

/*
 * The index, when the file has it and its trailer whole; otherwise
 * reading goes on without, and says what is wrong when it gets there.
 */
static void read_index(struct ntf_rec_reader *r)
{
	struct ntf_rec_status saved = r->st;
	__u64 size = file_size(r);

	if (!try_index(r, size)) {
		free(r->runs);
		r->runs = NULL;
		r->nruns = 0;
	}
	r->st = saved;
	r->st.size = size;
}

static int reader_new(struct ntf_rec_reader **out, struct ntf_rec_reader *r,
		      struct ntf_rec_status *st)
{
	int err;

	*out = NULL;
	r->dctx = ZSTD_createDCtx();
	if (!r->dctx)
		stop(r, NTF_REC_NOMEM, -ENOMEM, 0, 0, "no memory for a decompressor");
	else if (read_start(r) > 0)
		read_index(r);
	err = r->st.err;
	/* a file cut before its first events cannot be read yet */
	if (r->st.stop == NTF_REC_TRUNCATED)
		err = r->st.err = -ENODATA;
	if (st)
		ntf_rec_reader_status(r, st);
	if (err) {
		ntf_rec_reader_close(r);
		return err;
	}
	*out = r;
	return 0;
}

int ntf_rec_reader_fdopen(struct ntf_rec_reader **out, int fd, struct ntf_rec_status *st)
{
	struct ntf_rec_reader *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (!r)
		return -ENOMEM;
	r->fd = fd;
	return reader_new(out, r, st);
}

int ntf_rec_reader_mem(struct ntf_rec_reader **out, const void *data, size_t len,
		       struct ntf_rec_status *st)
{
	static const __u8 none;
	struct ntf_rec_reader *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (!r)
		return -ENOMEM;
	r->fd = -1;
	r->mem = len ? data : &none;
	r->mem_len = len;
	return reader_new(out, r, st);
}

int ntr_reader_block(struct ntf_rec_reader **out, const __u8 *blk, size_t len, __u32 seq,
		     __u32 nstacks)
{
	struct ntf_rec_reader *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (!r)
		return -ENOMEM;
	/* no preamble, no META: reading starts at the block */
	r->fd = -1;
	r->mem = blk;
	r->mem_len = len;
	r->seq = seq;
	r->outside_stacks = nstacks;
	r->dctx = ZSTD_createDCtx();
	if (!r->dctx) {
		ntf_rec_reader_close(r);
		return -ENOMEM;
	}
	*out = r;
	return 0;
}

int ntf_rec_reader_open(struct ntf_rec_reader **out, const char *path, struct ntf_rec_status *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int err;

	*out = NULL;
	if (fd < 0) {
		err = -errno;
		if (st) {
			memset(st, 0, sizeof(*st));
			st->stop = NTF_REC_IO;
			st->err = err;
			snprintf(st->why, sizeof(st->why), "%s", strerror(-err));
		}
		return err;
	}
	err = ntf_rec_reader_fdopen(out, fd, st);
	if (err) {
		close(fd);
		return err;
	}
	(*out)->own_fd = true;
	return 0;
}

/* ---- seeking ---- */

/*
 * Reads the STACKS blocks before pos that were not read yet (a seek goes
 * past them), so that the events after pos find their stacks: headers
 * only, but for those blocks. 1, 0 at the end of the data, or STOPPED.
 */
static int catch_up_stacks(struct ntf_rec_reader *r, __u64 pos)
{
	struct blk b;
	int k;

	while (r->stacks_pos < pos) {
		k = read_header(r, r->stacks_pos, r->stacks_seq, &b);
		if (k <= 0)
			return k;
		if (b.kind == NTR_K_STACKS &&
		    (read_payload(r, &b) < 0 || read_stacks(r, &b, r->raw, b.raw) < 0))
			return STOPPED;
		r->stacks_pos = b.off + b.hlen + b.stored;
		r->stacks_seq = b.seq + 1;
	}
	return 1;
}

int ntf_rec_seek(struct ntf_rec_reader *r, __u64 ts_ns)
{
	__u64 pos = r->first_block;
	__u32 seq = 1, i;
	struct blk b;
	int k;

	if (fatal(r) && r->st.stop != NTF_REC_COMPLETE)
		return r->st.err;
	if (r->nruns) {
		for (i = 0; i < r->nruns && r->runs[i].ts_max < ts_ns; i++)
			;
		if (i == r->nruns) {
			/* nothing that late: the end */
			pos = r->runs[r->nruns - 1].offset;
			seq = r->runs[r->nruns - 1].seq;
		} else {
			pos = r->runs[i].offset;
			seq = r->runs[i].seq;
		}
	}
	r->left = 0;
	r->cur.kind = 0;
	r->st.stop = NTF_REC_READING;
	r->st.err = 0;
	/* headers only, from there to the first block of events that late */
	for (;;) {
		k = read_header(r, pos, seq, &b);
		if (k <= 0)
			break;
		if (b.kind == NTR_K_EVENTS && b.ts_max >= ts_ns && b.count)
			break;
		/* without an index, names come from the blocks passed */
		if (b.kind == NTR_K_NAMES && !r->nruns &&
		    (read_payload(r, &b) < 0 || read_names(r, &b, r->raw, b.raw) < 0))
			break;
		if (b.kind == NTR_K_TRAILER || b.kind == NTR_K_META)
			break;
		pos = b.off + b.hlen + b.stored;
		seq = b.seq + 1;
	}
	if (!fatal(r))
		catch_up_stacks(r, pos);
	r->pos = pos;
	r->seq = seq;
	if (fatal(r))
		return r->st.err;
	r->st.stop = NTF_REC_READING;
	r->st.err = 0;
	return 0;
}

/* ---- the rest ---- */

const struct ntf_rec_meta *ntf_rec_read_meta(const struct ntf_rec_reader *r)
{
	return &r->meta;
}

void ntf_rec_reader_status(const struct ntf_rec_reader *r, struct ntf_rec_status *st)
{
	*st = r->st;
	if (st->stop == NTF_REC_READING) {
		st->offset = r->pos;
		st->block = r->seq;
	}
}

int ntf_rec_stack(const struct ntf_rec_reader *r, __u32 id, struct ntf_rec_frame *out,
		  unsigned int max)
{
	return rec_stacks_get(&r->stacks, id, out, max);
}

__u32 ntf_rec_stack_count(const struct ntf_rec_reader *r)
{
	return r->stacks.nstacks;
}

bool ntf_rec_reader_indexed(const struct ntf_rec_reader *r)
{
	return r->nruns > 0;
}

void ntf_rec_reader_close(struct ntf_rec_reader *r)
{
	if (!r)
		return;
	if (r->own_fd)
		close(r->fd);
	ZSTD_freeDCtx(r->dctx);
	free(r->stored);
	free(r->raw);
	free(r->tasks);
	free(r->runs);
	rec_stacks_free(&r->stacks);
	free(r);
}
