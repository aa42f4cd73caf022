// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The rotating recorder: files end near their size bound, on time by the
 * caller's clock, and the oldest of its own go first (nothing else in
 * the directory ever does); every file reads back on its own, and all of
 * them together are what was written; a full disk stops recording with
 * its error and files that read back up to their last whole block.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "rec_codec.h"
#include "rec_dir.h"
#include "rec_events.h"
#include "recorder.h"
#include "trace_format.h"

#define SEC 1000000000ULL

static char top[] = "/tmp/ntf-recorder-XXXXXX";

/* A fresh directory under top for one test. */
static void fresh_dir(char *buf, size_t len, const char *name)
{
	char cmd[PATH_MAX + 16];

	snprintf(buf, len, "%s/%s", top, name);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", buf);
	assert_int_equal(system(cmd), 0);
}

static struct ntf_rec_meta *test_meta(void)
{
	static struct ntf_rec_meta m;

	ntf_rec_meta_init(&m, "test_recorder");
	return &m;
}

/* The recorder's files in dir, oldest first. */
static size_t own_files(const char *dir, struct rec_dir_file **files)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	size_t n;

	assert_true(fd >= 0);
	assert_int_equal(rec_dir_list(fd, files, &n), 0);
	close(fd);
	return n;
}

/*
 * Every file of dir read back in order: their events together. Each
 * must be complete, but the last when cut: it may end after a whole
 * block (recording stopped while it was written).
 */
static struct evs read_dir(const char *dir, size_t *nfiles, bool cut)
{
	struct rec_dir_file *f;
	size_t n = own_files(dir, &f);
	struct evs all = {};

	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX + 64];
		struct ntf_rec_status st;

		snprintf(path, sizeof(path), "%s/%s", dir, f[i].name);
		read_events(path, &all, &st, NULL);
		if (st.stop != NTF_REC_COMPLETE &&
		    !(cut && i + 1 == n && st.stop == NTF_REC_UNFINISHED)) {
			print_error("%s: %s\n", f[i].name, st.why);
			fail();
		}
	}
	free(f);
	*nfiles = n;
	return all;
}

static void assert_events(const struct evs *want, size_t from, const struct evs *got)
{
	assert_int_equal(got->n, want->n - from);
	for (size_t i = 0; i < got->n; i++)
		assert_same(&want->e[from + i], &got->e[i], i);
}

/* Where a file's blocks end, walking their headers; the last EVENTS block's start and size. */
static void last_events_block(const char *path, __u64 *start, __u64 *len)
{
	struct stat sb;
	int fd = open(path, O_RDONLY);
	__u8 *p;
	__u64 off = NTR_PREAMBLE_LEN;

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &sb), 0);
	p = malloc(sb.st_size);
	assert_int_equal(pread(fd, p, sb.st_size, 0), sb.st_size);
	close(fd);
	*start = *len = 0;
	while (off + NTR_BLOCK_HDR_LEN <= (__u64)sb.st_size) {
		__u64 n = NTR_BLOCK_HDR_LEN + rec_get_le(p + off + NTR_H_STORED, 4);

		if (p[off + NTR_H_KIND] == NTR_K_EVENTS) {
			*start = off;
			*len = n;
		}
		off += n;
	}
	assert_int_equal(off, sb.st_size);
	free(p);
}

/* ---- tests ---- */

static void names_and_order(void **state)
{
	static const char *const own[] = {
		"notifier-20250102-030405.ntr",	  "notifier-20250102-030405-1.ntr",
		"notifier-20250102-030405-2.ntr", "notifier-20250102-030405-10.ntr",
		"notifier-20250102-030406.ntr",
	};
	static const char *const foreign[] = {
		"notifier-20250102-030405.ntr.tmp",
		"notifier-20250102-030405-0.ntr",
		"notifier-20250102-030405-01.ntr",
		"notifier-2025010-030405.ntr",
		"notifier-20250102-03040x.ntr",
		"xnotifier-20250102-030405.ntr",
		"notifier-20250102-030405-.ntr",
		"notifier-20250102_030405.ntr",
		"notifier-20250102-030405-99999999999.ntr",
	};
	struct rec_dir_file f[5], g;

	(void)state;
	for (size_t i = 0; i < 5; i++) {
		assert_true(rec_dir_parse(own[i], &f[i]));
		if (i)
			assert_true(rec_dir_cmp(&f[i - 1], &f[i]) < 0);
	}
	assert_int_equal(f[3].n, 10);
	for (size_t i = 0; i < sizeof(foreign) / sizeof(foreign[0]); i++)
		if (rec_dir_parse(foreign[i], &g)) {
			print_error("took %s for its own\n", foreign[i]);
			fail();
		}
}

/* Files end at the first block past max_size; together they are the stream. */
static void rotation_by_size(void **state)
{
	const __u64 max = 64 << 10;
	struct ntf_recorder_opts o = { .max_size = max };
	struct evs v = synth(1, 200000), got;
	struct ntf_recorder_stats st;
	struct ntf_recorder *r;
	struct rec_dir_file *f;
	char dir[PATH_MAX], why[256];
	size_t n, nfiles;

	(void)state;
	fresh_dir(dir, sizeof(dir), "size");
	assert_int_equal(ntf_recorder_open(&r, dir, test_meta(), &o, why, sizeof(why)), 0);
	for (size_t i = 0; i < v.n; i++)
		assert_int_equal(ntf_recorder_write(r, &v.e[i]), 0);
	ntf_recorder_stats(r, &st);
	assert_int_equal(st.err, 0);
	assert_int_equal(st.events, v.n);
	assert_true(st.files > 5);
	assert_int_equal(ntf_recorder_close(r), 0);

	n = own_files(dir, &f);
	assert_int_equal(n, st.files);
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX + 64];
		__u64 start, len;
		struct stat sb;

		snprintf(path, sizeof(path), "%s/%s", dir, f[i].name);
		assert_int_equal(stat(path, &sb), 0);
		last_events_block(path, &start, &len);
		/* the last block began under the bound; every file but the last crossed it */
		assert_true(start < max);
		if (i + 1 < n)
			assert_true(start + len >= max);
		/* over the bound by at most its last block, the index and the trailer */
		assert_true((__u64)sb.st_size <= max + len + 8192);
	}
	print_message("    %zu files of at most %llu bytes + a block; %.1fx smaller than raw\n", n,
		      (unsigned long long)max, st.ratio);
	free(f);
	got = read_dir(dir, &nfiles, false);
	assert_events(&v, 0, &got);
	free(got.e);
	free(v.e);
}

/*
 * Events with kernel stacks across rotations: each file defines the
 * stacks its own events name and reads alone; the kernel's ids never
 * reach a file; a stack due but not given is marked lost.
 */
static void stacks_in_every_file(void **state)
{
	struct ntf_recorder_opts o = { .max_size = 64 << 10 };
	struct ntf_rec_frame frames[NTF_REC_MAX_DEPTH];
	struct evs v = synth(3, 60000), got;
	struct ntf_recorder_stats st;
	struct ntf_recorder *r;
	struct rec_dir_file *f;
	char dir[PATH_MAX], why[256];
	size_t n, nfiles, with = 0, want_with = 0;
	struct ntf_event plain, lost;

	(void)state;
	fresh_dir(dir, sizeof(dir), "stacks");
	assert_int_equal(ntf_recorder_open(&r, dir, test_meta(), &o, why, sizeof(why)), 0);
	for (size_t i = 0; i < v.n; i++) {
		unsigned int m = test_stack(&v.e[i], frames);

		v.e[i].stack_id = test_kernel_stack_id(&v.e[i]);
		want_with += m > 0;
		assert_int_equal(ntf_recorder_write_stack(r, &v.e[i], frames, m), 0);
	}
	ntf_recorder_stats(r, &st);
	assert_int_equal(st.stacks, want_with);
	assert_int_equal(st.stacks_lost, 0);
	assert_true(st.files > 3);
	assert_int_equal(ntf_recorder_close(r), 0);

	n = own_files(dir, &f);
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX + 64];

		snprintf(path, sizeof(path), "%s/%s", dir, f[i].name);
		with += assert_file_stacks(path);
	}
	assert_int_equal(with, want_with);
	print_message("    %zu events with stacks over %zu files, each file alone\n", with, n);
	free(f);
	/* every other field as written */
	for (size_t i = 0; i < v.n; i++)
		v.e[i].stack_id = 0;
	got = read_dir(dir, &nfiles, false);
	for (size_t i = 0; i < got.n; i++)
		got.e[i].stack_id = 0;
	assert_events(&v, 0, &got);
	free(got.e);

	/* a plain write drops the kernel's id; a stack due but not read is marked lost */
	fresh_dir(dir, sizeof(dir), "stacks-lost");
	assert_int_equal(ntf_recorder_open(&r, dir, test_meta(), NULL, why, sizeof(why)), 0);
	plain = v.e[0];
	plain.stack_id = 7001;
	lost = v.e[1];
	lost.stack_id = 7002;
	assert_int_equal(ntf_recorder_write(r, &plain), 0);
	assert_int_equal(ntf_recorder_write_stack(r, &lost, frames, 0), 0);
	ntf_recorder_stats(r, &st);
	assert_int_equal(st.stacks, 0);
	assert_int_equal(st.stacks_lost, 1);
	assert_int_equal(ntf_recorder_close(r), 0);
	got = read_dir(dir, &nfiles, false);
	assert_int_equal(got.n, 2);
	assert_int_equal(got.e[0].stack_id, 0);
	assert_false(got.e[0].flags & NTF_F_STACK_LOST);
	assert_int_equal(got.e[1].stack_id, 0);
	assert_true(got.e[1].flags & NTF_F_STACK_LOST);
	free(got.e);
	free(v.e);
}

/* Only files named as the recorder names them go, oldest first; earlier runs' count too. */
static void max_files_removes_oldest_own(void **state)
{
	struct ntf_recorder_opts o = { .max_size = 32 << 10, .max_files = 3 };
	static const char *const keep[] = {
		"notes.txt",
		"notifier-20000101-000000.ntr.bak",
		"notifier-x.ntr",
		"notifier-20000101-000002.ntr", /* a symbolic link: never the recorder's */
		"notifier-20000101-000003.ntr", /* a directory */
	};
	struct evs v = synth(2, 200000), got;
	struct ntf_recorder_stats st;
	struct ntf_recorder *r;
	char dir[PATH_MAX], path[PATH_MAX + 64];
	struct rec_dir_file *f;
	size_t nfiles, n;
	int fd;

	(void)state;
	fresh_dir(dir, sizeof(dir), "files");
	assert_int_equal(mkdir(dir, 0755), 0);
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, keep[i]);
		fd = open(path, O_WRONLY | O_CREAT, 0644);
		assert_true(fd >= 0);
		close(fd);
	}
	snprintf(path, sizeof(path), "%s/%s", dir, keep[3]);
	assert_int_equal(symlink("notes.txt", path), 0);
	snprintf(path, sizeof(path), "%s/%s", dir, keep[4]);
	assert_int_equal(mkdir(path, 0755), 0);
	/* an earlier run's file: the oldest, so the first to go */
	snprintf(path, sizeof(path), "%s/notifier-20000101-000001.ntr", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	close(fd);

	assert_int_equal(ntf_recorder_open(&r, dir, test_meta(), &o, NULL, 0), 0);
	for (size_t i = 0; i < v.n; i++)
		assert_int_equal(ntf_recorder_write(r, &v.e[i]), 0);
	ntf_recorder_stats(r, &st);
	assert_true(st.files > 5);
	/* every file of this run but the last 3, and the earlier run's */
	assert_int_equal(st.removed, st.files - 3 + 1);
	assert_int_equal(ntf_recorder_close(r), 0);

	for (size_t i = 0; i < 5; i++) {
		struct stat sb;

		snprintf(path, sizeof(path), "%s/%s", dir, keep[i]);
		assert_int_equal(lstat(path, &sb), 0);
	}
	snprintf(path, sizeof(path), "%s/notifier-20000101-000001.ntr", dir);
	assert_int_equal(access(path, F_OK), -1);
	n = own_files(dir, &f);
	assert_int_equal(n, 3);
	free(f);
	/* what is left is the end of the stream, whole */
	got = read_dir(dir, &nfiles, false);
	assert_int_equal(nfiles, 3);
	assert_true(got.n > 0 && got.n < v.n);
	assert_events(&v, v.n - got.n, &got);
	free(got.e);
	free(v.e);
}

static size_t count_own(const char *dir)
{
	struct rec_dir_file *f;
	size_t n = own_files(dir, &f);

	free(f);
	return n;
}

/* The caller's clock, through tick: a flush a second, a new file every rotate_ns. */
static void rotation_by_time(void **state)
{
	struct ntf_recorder_opts o = { .rotate_ns = 10 * SEC };
	struct evs v = synth(3, 4000), got = {};
	struct ntf_recorder_stats st;
	struct ntf_rec_status rs;
	struct ntf_recorder *r;
	const __u64 t0 = 1000 * SEC;
	char dir[PATH_MAX];
	size_t nfiles, at = 0;

	(void)state;
	fresh_dir(dir, sizeof(dir), "time");
	assert_int_equal(ntf_recorder_open(&r, dir, test_meta(), &o, NULL, 0), 0);
	assert_int_equal(ntf_recorder_tick(r, t0), 0);
	for (; at < 1000; at++)
		assert_int_equal(ntf_recorder_write(r, &v.e[at]), 0);
	/* a second later the events are in the file, readable while it is written */
	assert_int_equal(ntf_recorder_tick(r, t0 + SEC / 2), 0);
	ntf_recorder_stats(r, &st);
	assert_int_equal(st.committed_events, 0);
	assert_int_equal(ntf_recorder_tick(r, t0 + SEC), 0);
	ntf_recorder_stats(r, &st);
	assert_int_equal(st.committed_events, 1000);
	assert_int_equal(read_events(st.path, &got, &rs, NULL), 1000);
	assert_int_equal(rs.stop, NTF_REC_UNFINISHED);
	got.n = 0;

	assert_int_equal(ntf_recorder_tick(r, t0 + 9 * SEC), 0);
	assert_int_equal(count_own(dir), 1);
	/* the file ends; the next starts with the next event */
	assert_int_equal(ntf_recorder_tick(r, t0 + 10 * SEC), 0);
	assert_int_equal(count_own(dir), 1);
	assert_int_equal(ntf_recorder_write(r, &v.e[at++]), 0);
	assert_int_equal(count_own(dir), 2);
	/* its clock runs from that event's tick on */
	assert_int_equal(ntf_recorder_tick(r, t0 + 11 * SEC), 0);
	for (; at < 2000; at++)
		assert_int_equal(ntf_recorder_write(r, &v.e[at]), 0);
	assert_int_equal(ntf_recorder_tick(r, t0 + 20 * SEC), 0);
	assert_int_equal(count_own(dir), 2);
	assert_int_equal(ntf_recorder_tick(r, t0 + 21 * SEC), 0);
	assert_int_equal(count_own(dir), 2);
	/* idle after a rotation: no file of nothing */
	assert_int_equal(ntf_recorder_tick(r, t0 + 35 * SEC), 0);
	assert_int_equal(count_own(dir), 2);
	for (; at < 3000; at++)
		assert_int_equal(ntf_recorder_write(r, &v.e[at]), 0);
	assert_int_equal(count_own(dir), 3);
	assert_int_equal(ntf_recorder_tick(r, t0 + 44 * SEC), 0);
	assert_int_equal(ntf_recorder_tick(r, t0 + 45 * SEC), 0);
	assert_int_equal(count_own(dir), 3);
	for (; at < v.n; at++)
		assert_int_equal(ntf_recorder_write(r, &v.e[at]), 0);
	ntf_recorder_stats(r, &st);
	assert_int_equal(st.files, 4);
	assert_int_equal(ntf_recorder_close(r), 0);
	free(got.e);
	got = read_dir(dir, &nfiles, false);
	assert_int_equal(nfiles, 4);
	assert_events(&v, 0, &got);
	free(got.e);
	free(v.e);
}

/* A driver found later is named in the file being written and in every META after. */
static void names_found_later(void **state)
{
	struct ntf_recorder_opts o = { .rotate_ns = SEC };
	struct ntf_rec_callback cb = { .id = NTF_REC_MAX_CALLBACKS - 1, .driver = "late_drv" };
	struct evs v = synth(4, 100), got = {};
	struct ntf_rec_meta *m = malloc(sizeof(*m));
	struct rec_dir_file *f;
	struct ntf_recorder *r;
	char dir[PATH_MAX], path[PATH_MAX + 64];
	size_t n;

	(void)state;
	fresh_dir(dir, sizeof(dir), "names");
	assert_int_equal(ntf_recorder_open(&r, dir, test_meta(), &o, NULL, 0), 0);
	assert_null(ntf_rec_meta_driver(test_meta(), cb.id));
	assert_int_equal(ntf_recorder_tick(r, SEC), 0);
	assert_int_equal(ntf_recorder_write(r, &v.e[0]), 0);
	assert_int_equal(ntf_recorder_write_names(r, &cb, 1), 0);
	for (int i = 2; i <= 4; i++) {
		assert_int_equal(ntf_recorder_write(r, &v.e[i]), 0);
		assert_int_equal(ntf_recorder_tick(r, i * SEC), 0);
	}
	/* the last tick ended the third file: none after it */
	assert_int_equal(ntf_recorder_close(r), 0);
	n = own_files(dir, &f);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, f[i].name);
		read_events(path, &got, NULL, m);
		assert_string_equal(ntf_rec_meta_driver(m, cb.id), "late_drv");
		/* and the names the table knew from the start */
		assert_int_equal(m->ncallbacks, test_meta()->ncallbacks + 1);
	}
	free(f);
	free(m);
	free(got.e);
	free(v.e);
}

/*
 * The disk fills (a tmpfs of 256 KiB in a mount namespace of a child's
 * own) or a file size limit is hit: recording stops with the error, the
 * files read back up to their last whole block, all the events that
 * made it are there in order.
 */
/* Whether the stats of a stopped recorder name its last file and the events it kept. */
static bool last_file_holds(const char *dir, const struct ntf_recorder_stats *st)
{
	struct rec_dir_file *f;
	size_t n = own_files(dir, &f);
	struct ntf_rec_status rs;
	struct evs last = {};
	char path[PATH_MAX + 64];
	struct stat sb;
	bool ok;

	snprintf(path, sizeof(path), "%s/%s", dir, f[n - 1].name);
	read_events(path, &last, &rs, NULL);
	ok = !strcmp(path, st->path) && last.n == st->file_events && !stat(path, &sb) &&
	     (__u64)sb.st_size == st->file_bytes;
	free(last.e);
	free(f);
	return ok;
}

static void child_fills(const char *dir, int report)
{
	struct ntf_recorder_opts o = { .max_size = 48 << 10 };
	struct evs v = synth(5, 400000), got;
	struct ntf_recorder_stats st;
	struct ntf_recorder *r;
	struct rlimit rl;
	size_t i, nfiles;
	int err = 0;

	/* under a file size limit, files that would grow past it */
	if (!getrlimit(RLIMIT_FSIZE, &rl) && rl.rlim_cur != RLIM_INFINITY)
		o.max_size = 1 << 20;

	signal(SIGXFSZ, SIG_IGN);
	if (ntf_recorder_open(&r, dir, test_meta(), &o, NULL, 0))
		_exit(2);
	for (i = 0; i < v.n && !err; i++)
		err = ntf_recorder_write(r, &v.e[i]);
	ntf_recorder_stats(r, &st);
	if (!err || st.err != err || ntf_recorder_write(r, &v.e[0]) != err ||
	    ntf_recorder_tick(r, SEC) != err || ntf_recorder_close(r) != err) {
		dprintf(report, "the error did not stick: %d", err);
		_exit(1);
	}
	got = read_dir(dir, &nfiles, true);
	if (got.n != st.committed_events || got.n == 0 || nfiles != st.files) {
		dprintf(report, "read %zu of %llu events", got.n,
			(unsigned long long)st.committed_events);
		_exit(1);
	}
	for (i = 0; i < got.n; i++)
		assert_same(&v.e[i], &got.e[i], i);
	if (!last_file_holds(dir, &st)) {
		dprintf(report, "the stats do not name the last file and its events: %s, %llu",
			st.path, (unsigned long long)st.file_events);
		_exit(1);
	}
	dprintf(report, "%d: %llu events in %u files; %s", err,
		(unsigned long long)st.committed_events, st.files, st.error);
	_exit(0);
}

static void full(bool tmpfs)
{
	char dir[PATH_MAX], msg[PATH_MAX + 256] = "";
	int fds[2], status, err;
	pid_t pid;

	fresh_dir(dir, sizeof(dir), tmpfs ? "tmpfs" : "limited");
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		struct rlimit rl = { 100 << 10, 100 << 10 };

		close(fds[0]);
		if (tmpfs &&
		    (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
		     mount("tmpfs", dir, "tmpfs", 0, "size=256k"))) {
			dprintf(fds[1], "skip: no tmpfs of our own here: %s", strerror(errno));
			_exit(0);
		}
		if (!tmpfs && setrlimit(RLIMIT_FSIZE, &rl))
			_exit(3);
		child_fills(dir, fds[1]);
	}
	close(fds[1]);
	assert_true(read(fds[0], msg, sizeof(msg) - 1) > 0);
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	print_message("    %s\n", msg);
	if (!strncmp(msg, "skip", 4))
		skip();
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	err = atoi(msg);
	assert_int_equal(err, tmpfs ? -ENOSPC : -EFBIG);
}

static void full_disk(void **state)
{
	(void)state;
	full(true);
}

static void file_size_limit(void **state)
{
	(void)state;
	full(false);
}

/* What open makes of DIR: created when missing, refused when unusable, one recorder each. */
static void the_directory(void **state)
{
	struct ntf_recorder *r, *r2;
	char dir[PATH_MAX], sub[PATH_MAX + 16], why[PATH_MAX + 128];
	int fd;

	(void)state;
	fresh_dir(dir, sizeof(dir), "made");
	assert_int_equal(ntf_recorder_open(&r, dir, NULL, NULL, why, sizeof(why)), 0);
	assert_int_equal(count_own(dir), 1);
	assert_int_equal(ntf_recorder_open(&r2, dir, NULL, NULL, why, sizeof(why)), -EBUSY);
	assert_null(r2);
	assert_non_null(strstr(why, "another recorder"));
	assert_int_equal(ntf_recorder_close(r), 0);
	/* released: the next one may */
	assert_int_equal(ntf_recorder_open(&r, dir, NULL, NULL, why, sizeof(why)), 0);
	assert_int_equal(ntf_recorder_close(r), 0);
	assert_int_equal(count_own(dir), 2);

	snprintf(sub, sizeof(sub), "%s/no/such", dir);
	assert_int_equal(ntf_recorder_open(&r, sub, NULL, NULL, why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "no/such"));
	snprintf(sub, sizeof(sub), "%s/file", dir);
	fd = open(sub, O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(ntf_recorder_open(&r, sub, NULL, NULL, why, sizeof(why)), -ENOTDIR);
}

/* A directory where no file can be made fails at open, not at the first event. */
static void unwritable_directory(void **state)
{
	char dir[PATH_MAX], msg[PATH_MAX + 256] = "";
	int fds[2], status;
	pid_t pid;

	(void)state;
	fresh_dir(dir, sizeof(dir), "readonly");
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		struct ntf_recorder *r;
		char why[PATH_MAX + 128];
		int err;

		close(fds[0]);
		/* root writes through permissions: a read-only mount stops it */
		if (geteuid() ? chmod(dir, 0555) :
				(unshare(CLONE_NEWNS) ||
				 mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
				 mount("tmpfs", dir, "tmpfs", MS_RDONLY, "size=64k"))) {
			dprintf(fds[1], "skip: cannot make a directory read-only: %s",
				strerror(errno));
			_exit(0);
		}
		err = ntf_recorder_open(&r, dir, NULL, NULL, why, sizeof(why));
		dprintf(fds[1], "%d %s", err, why);
		_exit(err == -EROFS || err == -EACCES ? 0 : 1);
	}
	close(fds[1]);
	assert_true(read(fds[0], msg, sizeof(msg) - 1) > 0);
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	print_message("    %s\n", msg);
	if (!strncmp(msg, "skip", 4))
		skip();
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_non_null(strstr(msg, dir));
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(top) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	return system(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names_and_order),
		cmocka_unit_test(rotation_by_size),
		cmocka_unit_test(stacks_in_every_file),
		cmocka_unit_test(max_files_removes_oldest_own),
		cmocka_unit_test(rotation_by_time),
		cmocka_unit_test(names_found_later),
		cmocka_unit_test(full_disk),
		cmocka_unit_test(file_size_limit),
		cmocka_unit_test(the_directory),
		cmocka_unit_test(unwritable_directory),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
