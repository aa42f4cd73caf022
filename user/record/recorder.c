// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The rotating recorder (recorder.h): one trace writer at a time over
 * files of DIR, a new one when the current is full or old, the oldest
 * removed to keep a count. The writer does the blocks; this file decides
 * when a file ends, what the next one is called and what goes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include "rec_dir.h"
#include "rec_enc.h"
#include "recorder.h"

/* With max_size, blocks of a quarter of it but not smaller than this: a file ends near its bound. */
#define MIN_BLOCK_BYTES (16u << 10)

struct ntf_recorder {
	int dirfd; /* holds the lock on DIR */
	char dir[PATH_MAX];
	struct ntf_recorder_opts o;
	struct ntf_rec_meta *meta; /* every file's: the caller's, with the names found since */
	struct ntf_rec_writer *w; /* NULL once stopped, and between a rotation and the next event */
	int fd; /* the current file's */
	struct rec_dir_file *files; /* with max_files: the recorder's files, oldest first */
	size_t nfiles, cap;
	struct rec_dir_file last; /* the newest of them: the next sorts after it */
	bool has_last;
	bool clock; /* a tick gave a time */
	__u64 now, file_start, last_flush;
	__u64 file_events;
	int err;
	struct ntf_recorder_stats
		st; /* totals of the files ended; the current one's added when asked */
};

/* Stops recording with err: the file being written keeps its whole blocks. Returns err. */
__attribute__((format(printf, 3, 4))) static int stop(struct ntf_recorder *r, int err,
						      const char *fmt, ...);

/* Ends the current file: its open block, index and trailer. 0 or the first error. */
static int end_file(struct ntf_recorder *r)
{
	struct ntf_rec_writer_stats ws;
	struct stat sb;
	int err = ntf_rec_flush(r->w), k;

	ntf_rec_writer_stats(r->w, &ws);
	k = ntf_rec_close(r->w);
	r->w = NULL;
	if (!err)
		err = k;
	r->st.events += ws.events;
	r->st.committed_events += ws.committed_events;
	r->st.file_events = ws.committed_events;
	/* what is on disk: the whole blocks, the index and trailer when they made it */
	r->st.file_bytes = fstat(r->fd, &sb) ? ws.bytes : (__u64)sb.st_size;
	r->st.bytes += r->st.file_bytes;
	if (close(r->fd) && !err)
		err = -errno;
	r->fd = -1;
	return err;
}

static int stop(struct ntf_recorder *r, int err, const char *fmt, ...)
{
	char what[PATH_MAX + 64];
	va_list ap;

	if (r->err)
		return r->err;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	r->err = err;
	snprintf(r->st.error, sizeof(r->st.error), "recording stopped: %s: %s", what,
		 strerror(-err));
	if (r->w)
		end_file(r);
	return err;
}

/* Removes the oldest of the recorder's files until keep remain. */
static int make_room(struct ntf_recorder *r, size_t keep)
{
	while (r->nfiles > keep) {
		const char *name = r->files[0].name;

		if (unlinkat(r->dirfd, name, 0) && errno != ENOENT)
			return stop(r, -errno, "removing %s/%s", r->dir, name);
		r->st.removed++;
		memmove(r->files, r->files + 1, --r->nfiles * sizeof(*r->files));
	}
	return 0;
}

static int remember(struct ntf_recorder *r, const struct rec_dir_file *f)
{
	if (r->nfiles == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct rec_dir_file *p = realloc(r->files, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		r->files = p;
		r->cap = cap;
	}
	r->files[r->nfiles++] = *f;
	return 0;
}

static int start_file(struct ntf_recorder *r)
{
	struct rec_dir_file f;
	int err, fd;

	if (r->o.max_files && make_room(r, r->o.max_files - 1))
		return r->err;
	fd = rec_dir_create(r->dirfd, time(NULL), r->has_last ? &r->last : NULL, &f);
	if (fd < 0)
		return stop(r, fd, "starting a file in %s", r->dir);
	/* open refused a DIR too long for this */
	if (snprintf(r->st.path, sizeof(r->st.path), "%s/%s", r->dir, f.name) >=
	    (int)sizeof(r->st.path))
		r->st.path[0] = '\0';
	err = ntf_rec_writer_fdopen(&r->w, fd, r->meta, &r->o.writer);
	if (!err && r->o.max_files)
		err = remember(r, &f);
	if (err) {
		/* a file without its META is no trace file: not left behind */
		if (r->w)
			ntf_rec_close(r->w);
		r->w = NULL;
		unlinkat(r->dirfd, f.name, 0);
		close(fd);
		return stop(r, err, "starting %s", r->st.path);
	}
	r->fd = fd;
	r->last = f;
	r->has_last = true;
	r->st.files++;
	r->file_events = 0;
	r->file_start = r->last_flush = r->now;
	return 0;
}

/*
 * Ends the file; the next starts with the next event, so a recorder gone
 * idle leaves no file of nothing behind (nor removes an old one for it).
 */
static int rotate(struct ntf_recorder *r)
{
	int err = end_file(r);

	if (err)
		return stop(r, err, "ending %s", r->st.path);
	return 0;
}

/* The file the next event goes to, started when a rotation left none. */
static int ensure_file(struct ntf_recorder *r)
{
	return r->w ? 0 : start_file(r);
}

/* A new file once this one's whole blocks reach max_size (and it holds some). */
static int check_size(struct ntf_recorder *r)
{
	struct ntf_rec_writer_stats ws;

	if (!r->o.max_size)
		return 0;
	ntf_rec_writer_stats(r->w, &ws);
	if (ws.bytes < r->o.max_size || !ws.committed_events)
		return 0;
	return rotate(r);
}

/* e as it is, its stack_id the file's. */
static int put(struct ntf_recorder *r, const struct ntf_event *e)
{
	int err = ensure_file(r);

	if (err)
		return err;
	err = ntf_rec_write(r->w, e);
	if (err)
		return stop(r, err, "writing %s", r->st.path);
	r->file_events++;
	return check_size(r);
}

int ntf_recorder_write(struct ntf_recorder *r, const struct ntf_event *e)
{
	struct ntf_event plain;

	if (r->err)
		return r->err;
	if (!rec_event_valid(e))
		return -EINVAL;
	return put(r, rec_event_unstacked(e, &plain));
}

int ntf_recorder_write_stack(struct ntf_recorder *r, const struct ntf_event *e,
			     const struct ntf_rec_frame *frames, unsigned int n)
{
	struct ntf_event ev;
	__u32 id = 0;
	int err;

	if (r->err)
		return r->err;
	if (!rec_event_valid(e))
		return -EINVAL;
	if (!e->stack_id) {
		/* the kernel could not take it (its stack map full) */
		r->st.stacks_lost += !!(e->flags & NTF_F_STACK_LOST);
		return put(r, e);
	}
	ev = *e;
	err = ensure_file(r);
	if (err)
		return err;
	/* added to the file that will hold the event: a rotation comes only after it */
	err = n ? ntf_rec_stack_add(r->w, frames, n, &id) : -ENOENT;
	if (err == -ENOSPC || err == -ENOMEM || err == -EINVAL || err == -ENOENT) {
		ev.flags |= NTF_F_STACK_LOST;
		id = 0;
		r->st.stacks_lost++;
	} else if (err) {
		return stop(r, err, "writing %s", r->st.path);
	} else {
		r->st.stacks++;
	}
	ev.stack_id = id;
	return put(r, &ev);
}

int ntf_recorder_tick(struct ntf_recorder *r, __u64 now_ns)
{
	int err;

	if (r->err)
		return r->err;
	/* before the first tick, or a clock that went back: count from here */
	if (!r->clock || now_ns < r->file_start)
		r->file_start = now_ns;
	if (!r->clock || now_ns < r->last_flush)
		r->last_flush = now_ns;
	r->clock = true;
	r->now = now_ns;
	if (!r->w)
		return 0;
	if (r->o.rotate_ns && now_ns - r->file_start >= r->o.rotate_ns) {
		if (r->file_events)
			return rotate(r);
		/* an idle recorder keeps its file: empty ones would push recordings out */
		r->file_start = now_ns;
	}
	if (now_ns - r->last_flush < r->o.flush_ns)
		return 0;
	r->last_flush = now_ns;
	err = ntf_rec_flush(r->w);
	if (err)
		return stop(r, err, "writing %s", r->st.path);
	return check_size(r);
}

int ntf_recorder_write_names(struct ntf_recorder *r, const struct ntf_rec_callback *cbs,
			     unsigned int n)
{
	int err;

	if (r->err)
		return r->err;
	for (unsigned int i = 0; i < n; i++)
		ntf_rec_meta_set_callback(r->meta, cbs[i].id, cbs[i].driver,
					  cbs[i].func[0] ? cbs[i].func : NULL);
	/* between files, the next one's META has them */
	if (!r->w)
		return 0;
	err = ntf_rec_write_names(r->w, cbs, n);
	if (err)
		return stop(r, err, "writing %s", r->st.path);
	return 0;
}

void ntf_recorder_stats(const struct ntf_recorder *r, struct ntf_recorder_stats *st)
{
	struct ntf_rec_writer_stats ws = {};

	*st = r->st;
	st->err = r->err;
	if (r->w) {
		ntf_rec_writer_stats(r->w, &ws);
		st->events += ws.events;
		st->committed_events += ws.committed_events;
		st->bytes += ws.bytes;
		st->file_bytes = ws.bytes;
		st->file_events = ws.committed_events;
	}
	if (st->bytes)
		st->ratio = (double)st->committed_events * sizeof(struct ntf_event) / st->bytes;
}

static void recorder_free(struct ntf_recorder *r)
{
	if (r->dirfd >= 0)
		close(r->dirfd);
	free(r->files);
	free(r->meta);
	free(r);
}

int ntf_recorder_close(struct ntf_recorder *r)
{
	int err;

	if (!r)
		return 0;
	if (r->w && !r->err) {
		err = end_file(r);
		if (err)
			stop(r, err, "ending %s", r->st.path);
	}
	err = r->err;
	recorder_free(r);
	return err;
}

/* DIR as an fd, made when missing (not its parents), and locked. */
static int open_dir(struct ntf_recorder *r, char *why, size_t why_len)
{
	int fd = open(r->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT) {
		if (mkdir(r->dir, 0755) && errno != EEXIST) {
			int err = -errno;

			snprintf(why, why_len, "cannot make %s: %s", r->dir, strerror(-err));
			return err;
		}
		fd = open(r->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (fd < 0) {
		int err = -errno;

		snprintf(why, why_len, "%s: %s", r->dir, strerror(-err));
		return err;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		int err = errno == EWOULDBLOCK ? -EBUSY : -errno;

		snprintf(why, why_len, "%s: %s", r->dir,
			 err == -EBUSY ? "another recorder writes there" : strerror(-err));
		close(fd);
		return err;
	}
	r->dirfd = fd;
	return 0;
}

int ntf_recorder_open(struct ntf_recorder **out, const char *dir, const struct ntf_rec_meta *meta,
		      const struct ntf_recorder_opts *opts, char *why, size_t why_len)
{
	struct ntf_recorder *r = calloc(1, sizeof(*r));
	char scratch[8];
	size_t len;
	int err;

	*out = NULL;
	if (!why) {
		why = scratch;
		why_len = sizeof(scratch);
	}
	why[0] = '\0';
	if (!r || !(r->meta = calloc(1, sizeof(*r->meta)))) {
		free(r);
		snprintf(why, why_len, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	r->dirfd = r->fd = -1;
	if (opts)
		r->o = *opts;
	if (!r->o.flush_ns)
		r->o.flush_ns = NTF_RECORDER_FLUSH_NS;
	if (r->o.max_size && !r->o.writer.block_bytes) {
		__u64 b = r->o.max_size / 4;

		r->o.writer.block_bytes = b < MIN_BLOCK_BYTES ? MIN_BLOCK_BYTES :
					  b > NTF_REC_DEFAULT_BLOCK_BYTES ?
								NTF_REC_DEFAULT_BLOCK_BYTES :
								b;
	}
	if (meta)
		*r->meta = *meta;
	len = strlen(dir);
	/* "dir/" names files "dir//notifier-..." otherwise */
	while (len > 1 && dir[len - 1] == '/')
		len--;
	/* room for "/" and a file's name in a path */
	if (len + 1 + REC_DIR_NAME_LEN > sizeof(r->dir)) {
		snprintf(why, why_len, "%s", strerror(ENAMETOOLONG));
		err = -ENAMETOOLONG;
	} else {
		memcpy(r->dir, dir, len);
		r->dir[len] = '\0';
		err = open_dir(r, why, why_len);
	}
	/* earlier runs' files: the next name sorts after them, and they count to max_files */
	if (!err)
		err = rec_dir_list(r->dirfd, &r->files, &r->nfiles);
	if (!err) {
		r->cap = r->nfiles;
		r->has_last = r->nfiles > 0;
		if (r->has_last)
			r->last = r->files[r->nfiles - 1];
		if (!r->o.max_files)
			r->nfiles = 0;
		err = start_file(r);
		if (err)
			snprintf(why, why_len, "%s", r->st.error + strlen("recording stopped: "));
	} else if (!why[0]) {
		snprintf(why, why_len, "%s: %s", r->dir, strerror(-err));
	}
	if (err) {
		recorder_free(r);
		return err;
	}
	*out = r;
	return 0;
}
