// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The CTF writer: the directory, its stream files and their packets.
 * Events leave the ordering window (ctf_order.c) in time order, and each
 * goes to the stream file whose last event is the latest not after it,
 * so every file stays in time order, and a file is added only for an
 * event no file can take.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/stat.h>
#include "callbacks.h"
#include "ctf.h"
#include "ctf_int.h"

#define DEFAULT_PACKET (64 * 1024)
#define MIN_PACKET 1024
#define DEFAULT_WINDOW 65536
#define DEFAULT_STREAMS 64

struct lane {
	int fd;
	unsigned char *buf; /* the packet being filled; header and context are set when it closes */
	size_t used; /* 0: no packet open */
	__u64 begin, last; /* timestamps: the open packet's first event, the lane's last */
	__u64 seq; /* packets written */
	__u64 discarded; /* events dropped at this lane so far (CTF counts them per stream) */
};

struct ntf_ctf {
	int dfd;
	char *dir;
	bool made_dir;
	const struct ntf_rec_meta *meta;
	/* files of its own only are ever removed: the directory may have been the user's */
	bool made_metadata, renamed_metadata;
	unsigned int renamed; /* stream files renamed into place */
	unsigned char uuid[16];
	struct ntf_ctf_opts opts;
	struct ctf_order *order;
	struct lane *lanes;
	unsigned int nlanes;
	/* driver names by callback id, pointing into meta; rebuilt when it names more */
	const char *drivers[NTF_CALLBACK_IDS];
	unsigned int drivers_seen;
	struct ntf_ctf_stats st;
	int err;
	char why[256];
	unsigned char scratch[CTF_EVENT_MAX];
};

/* The sticky error, "writing DIR/NAME: why"; the first one is kept. */
static int fail(struct ntf_ctf *c, int err, const char *doing, const char *name)
{
	if (!c->err) {
		c->err = err;
		snprintf(c->why, sizeof(c->why), "%s %s/%s: %s", doing, c->dir, name,
			 strerror(-err));
	}
	return c->err;
}

static void lane_name(char *buf, size_t len, unsigned int i, bool tmp)
{
	snprintf(buf, len, "stream_%u%s", i, tmp ? ".tmp" : "");
}

static void put_le(unsigned char *p, __u64 v, unsigned int size)
{
	for (unsigned int i = 0; i < size; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static int write_all(int fd, const unsigned char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Writes the open packet: full size, padded with zeros, except the last
 * of a file, which ends where its content does.
 */
static int close_packet(struct ntf_ctf *c, unsigned int i, bool last)
{
	struct lane *l = &c->lanes[i];
	size_t size = last ? l->used : c->opts.packet_size;
	unsigned char *p = l->buf;
	char name[32];
	int err;

	put_le(p, CTF_MAGIC, 4);
	memcpy(p + 4, c->uuid, 16);
	put_le(p + 20, 0, 4); /* the one stream class */
	put_le(p + 24, i, 8);
	put_le(p + 32, l->begin, 8);
	put_le(p + 40, l->last, 8);
	put_le(p + 48, (__u64)l->used * 8, 8);
	put_le(p + 56, (__u64)size * 8, 8);
	put_le(p + 64, l->seq, 8);
	put_le(p + 72, l->discarded, 8);
	memset(p + l->used, 0, size - l->used);
	err = write_all(l->fd, p, size);
	if (err) {
		lane_name(name, sizeof(name), i, true);
		return fail(c, err, "writing", name);
	}
	l->seq++;
	l->used = 0;
	c->st.packets++;
	c->st.bytes += size;
	return 0;
}

static int new_lane(struct ntf_ctf *c)
{
	struct lane *l = &c->lanes[c->nlanes];
	char name[32];

	lane_name(name, sizeof(name), c->nlanes, true);
	l->buf = malloc(c->opts.packet_size);
	if (!l->buf)
		return fail(c, -ENOMEM, "buffering", name);
	l->fd = openat(c->dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (l->fd < 0) {
		free(l->buf);
		l->buf = NULL;
		return fail(c, -errno, "creating", name);
	}
	c->nlanes++;
	return 0;
}

/* The lane whose last event is the latest not after ts, or -1. */
static int pick_lane(const struct ntf_ctf *c, __u64 ts)
{
	int best = -1;

	for (unsigned int i = 0; i < c->nlanes; i++) {
		const struct lane *l = &c->lanes[i];

		if (l->last <= ts && (best < 0 || l->last > c->lanes[best].last))
			best = (int)i;
	}
	return best;
}

/* The lane an event no lane can take is counted at: the one it misses least. */
static struct lane *nearest_lane(struct ntf_ctf *c)
{
	struct lane *n = &c->lanes[0];

	for (unsigned int i = 1; i < c->nlanes; i++)
		if (c->lanes[i].last < n->last)
			n = &c->lanes[i];
	return n;
}

static const char *driver_of(struct ntf_ctf *c, const struct ntf_event *e)
{
	const struct ntf_rec_meta *m = c->meta;
	const char *name = NULL;

	if (!e->callback)
		return ntf_event_names_driver(e) ? "chain" : "";
	if (m && m->ncallbacks != c->drivers_seen) {
		memset(c->drivers, 0, sizeof(c->drivers));
		for (unsigned int i = 0; i < m->ncallbacks; i++)
			if (m->callbacks[i].id < NTF_CALLBACK_IDS)
				c->drivers[m->callbacks[i].id] = m->callbacks[i].driver;
		c->drivers_seen = m->ncallbacks;
	}
	if (e->callback < NTF_CALLBACK_IDS)
		name = c->drivers[e->callback];
	else if (m)
		name = ntf_rec_meta_driver(m, e->callback);
	/* a file that names no drivers: this notifier's table */
	return name ? name : ntf_driver_name(e->callback);
}

static int emit(struct ntf_ctf *c, const struct ntf_event *e)
{
	int i = pick_lane(c, e->ts_ns);
	struct lane *l;
	size_t n;

	if (i < 0) {
		if (c->nlanes == c->opts.max_streams) {
			nearest_lane(c)->discarded++;
			c->st.discarded++;
			return 0;
		}
		if (new_lane(c))
			return c->err;
		i = (int)c->nlanes - 1;
	}
	l = &c->lanes[i];
	n = ctf_encode(c->scratch, e, driver_of(c, e));
	if (l->used && l->used + n > c->opts.packet_size && close_packet(c, (unsigned int)i, false))
		return c->err;
	if (!l->used) {
		l->used = CTF_PACKET_HEADER;
		l->begin = e->ts_ns;
	}
	memcpy(l->buf + l->used, c->scratch, n);
	l->used += n;
	l->last = e->ts_ns;
	c->st.events++;
	return 0;
}

static void make_uuid(unsigned char *u)
{
	struct timespec t;

	if (getrandom(u, 16, 0) != 16) {
		/* unique enough for one machine: the uuid tells traces apart, it guards nothing */
		clock_gettime(CLOCK_REALTIME, &t);
		for (int i = 0; i < 16; i++)
			u[i] = (unsigned char)((t.tv_nsec >> (i % 4 * 8)) ^ (t.tv_sec >> (i % 8)) ^
					       (getpid() >> (i % 3 * 8)));
	}
	u[6] = (u[6] & 0x0f) | 0x40; /* version 4: random */
	u[8] = (u[8] & 0x3f) | 0x80; /* the RFC 4122 variant */
}

static bool dir_empty(int dfd)
{
	int fd = dup(dfd);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *de;
	bool empty = true;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	while (empty && (de = readdir(d)))
		empty = !strcmp(de->d_name, ".") || !strcmp(de->d_name, "..");
	closedir(d);
	return empty;
}

/* dir made, or an empty directory opened. 0, or a negative errno and why. */
static int open_dir(struct ntf_ctf *c, const char *dir, char *why, size_t len)
{
	int err;

	if (!mkdir(dir, 0777))
		c->made_dir = true;
	else if (errno != EEXIST)
		goto fail;
	c->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->dfd < 0)
		goto fail;
	if (!c->made_dir && !dir_empty(c->dfd)) {
		snprintf(why, len,
			 "%s is not empty: a trace is written into a new or empty directory, "
			 "never beside other files",
			 dir);
		return -ENOTEMPTY;
	}
	return 0;
fail:
	err = -errno;
	snprintf(why, len, "%s: %s", dir, strerror(errno));
	return err;
}

static void remove_files(struct ntf_ctf *c)
{
	char name[32];

	for (unsigned int i = 0; i < c->nlanes; i++) {
		lane_name(name, sizeof(name), i, i >= c->renamed);
		unlinkat(c->dfd, name, 0);
	}
	if (c->made_metadata)
		unlinkat(c->dfd, c->renamed_metadata ? "metadata" : "metadata.tmp", 0);
}

static void destroy(struct ntf_ctf *c, bool remove)
{
	for (unsigned int i = 0; i < c->nlanes; i++) {
		if (c->lanes[i].fd >= 0)
			close(c->lanes[i].fd);
		free(c->lanes[i].buf);
	}
	if (remove && c->dfd >= 0)
		remove_files(c);
	if (c->dfd >= 0)
		close(c->dfd);
	if (remove && c->made_dir)
		rmdir(c->dir);
	ctf_order_free(c->order);
	free(c->lanes);
	free(c->dir);
	free(c);
}

int ntf_ctf_begin(struct ntf_ctf **out, const char *dir, const struct ntf_rec_meta *meta,
		  const struct ntf_ctf_opts *opts, char *why, size_t len)
{
	struct ntf_ctf *c = calloc(1, sizeof(*c));
	int err;

	if (!c) {
		snprintf(why, len, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	c->dfd = -1;
	c->meta = meta;
	if (opts)
		c->opts = *opts;
	if (!c->opts.packet_size)
		c->opts.packet_size = DEFAULT_PACKET;
	if (c->opts.packet_size < MIN_PACKET)
		c->opts.packet_size = MIN_PACKET;
	if (!c->opts.window)
		c->opts.window = DEFAULT_WINDOW;
	if (!c->opts.max_streams)
		c->opts.max_streams = DEFAULT_STREAMS;
	c->dir = strdup(dir);
	c->order = ctf_order_new(c->opts.window);
	c->lanes = calloc(c->opts.max_streams, sizeof(*c->lanes));
	if (!c->dir || !c->order || !c->lanes) {
		snprintf(why, len, "%s", strerror(ENOMEM));
		destroy(c, false);
		return -ENOMEM;
	}
	err = open_dir(c, dir, why, len);
	if (err) {
		/* a directory it made goes again; one that was there stays as it was */
		destroy(c, true);
		return err;
	}
	make_uuid(c->uuid);
	*out = c;
	return 0;
}

int ntf_ctf_add(struct ntf_ctf *c, const struct ntf_event *e)
{
	struct ntf_event first;

	if (c->err)
		return c->err;
	if (ctf_order_add(c->order, e, &first))
		return emit(c, &first);
	return 0;
}

static int write_metadata(struct ntf_ctf *c, const char *status)
{
	struct ctf_meta_args a = { .meta = c->meta, .uuid = c->uuid, .status = status };
	int fd = openat(c->dfd, "metadata.tmp", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "w");
	int err;

	if (!f) {
		err = -errno;
		if (fd >= 0)
			close(fd);
		return fail(c, err, "creating", "metadata.tmp");
	}
	c->made_metadata = true;
	err = ctf_metadata_write(f, &a);
	if (fflush(f) && !err)
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	return err ? fail(c, err, "writing", "metadata.tmp") : 0;
}

/* Streams first, metadata last: without it, no reader takes the directory for a trace. */
static int rename_all(struct ntf_ctf *c)
{
	char from[32], to[32];

	for (unsigned int i = 0; i < c->nlanes; i++) {
		lane_name(from, sizeof(from), i, true);
		lane_name(to, sizeof(to), i, false);
		if (renameat(c->dfd, from, c->dfd, to))
			return fail(c, -errno, "renaming", from);
		c->renamed++;
	}
	if (renameat(c->dfd, "metadata.tmp", c->dfd, "metadata"))
		return fail(c, -errno, "renaming", "metadata.tmp");
	c->renamed_metadata = true;
	return 0;
}

int ntf_ctf_finish(struct ntf_ctf *c, const char *status, struct ntf_ctf_stats *st, char *why,
		   size_t len)
{
	struct ntf_event e;
	char name[32];
	int err;

	while (!c->err && ctf_order_take(c->order, &e))
		emit(c, &e);
	for (unsigned int i = 0; i < c->nlanes && !c->err; i++) {
		if (c->lanes[i].used)
			close_packet(c, i, true);
		if (!c->err && close(c->lanes[i].fd)) {
			lane_name(name, sizeof(name), i, true);
			fail(c, -errno, "writing", name);
		}
		c->lanes[i].fd = -1;
	}
	if (!c->err)
		write_metadata(c, status);
	if (!c->err)
		rename_all(c);
	err = c->err;
	if (err)
		snprintf(why, len, "%s", c->why);
	c->st.streams = c->nlanes;
	if (st)
		*st = c->st;
	destroy(c, err != 0);
	return err;
}

void ntf_ctf_abort(struct ntf_ctf *c)
{
	if (c)
		destroy(c, true);
}
