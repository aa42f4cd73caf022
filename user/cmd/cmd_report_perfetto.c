// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * notifier report --perfetto: a trace file to a trace for ui.perfetto.dev
 * (report/perfetto.h). The trace is written beside OUT and renamed onto it
 * when whole, so OUT is never a JSON cut short: an old OUT stays as it was
 * when the export fails. A file cut short or damaged is exported as far as
 * it reads, with its status in the trace's metadata, and the exit status
 * of the summary: 1 when a block is damaged, 0 (and a warning) when the
 * file merely ends early.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"
#include "cmd_report_perfetto.h"
#include "log.h"
#include "perfetto.h"

struct target {
	const char *out; /* as given, for messages */
	char tmp[PATH_MAX]; /* written, then renamed onto path; empty when written in place */
	char path[PATH_MAX];
	bool is_stdout; /* the summary line goes to stderr then */
	FILE *f;
};

/*
 * What the link out points to: the file at the end of its chain, or when
 * that does not exist yet, what out names (relative to out's folder).
 */
static int link_target(const char *out, bool exists, char *path, size_t len)
{
	const char *slash = strrchr(out, '/');
	char to[PATH_MAX];
	ssize_t n;

	if (exists)
		return realpath(out, path) ? 0 : -errno;
	n = readlink(out, to, sizeof(to) - 1);
	if (n < 0)
		return -errno;
	to[n] = '\0';
	if (to[0] == '/' || !slash)
		n = snprintf(path, len, "%s", to);
	else
		n = snprintf(path, len, "%.*s/%s", (int)(slash - out), out, to);
	return (size_t)n < len ? 0 : -ENAMETOOLONG;
}

/*
 * Only a regular file is replaced: a rename onto /dev/null, a FIFO or a
 * terminal would put a file in its place, so those are written as they
 * are, like stdout ("-"). A symbolic link stays one: its target is
 * replaced.
 */
static int open_target(struct target *t, const char *out)
{
	struct stat st, so;
	bool exists = !stat(out, &st);

	t->out = out;
	if (!strcmp(out, "-")) {
		t->f = stdout;
		t->is_stdout = true;
		return 0;
	}
	if (exists && S_ISDIR(st.st_mode))
		return -EISDIR;
	if (exists && !S_ISREG(st.st_mode)) {
		t->is_stdout = !fstat(STDOUT_FILENO, &so) && so.st_dev == st.st_dev &&
			       so.st_ino == st.st_ino;
		t->f = fopen(out, "w");
		return t->f ? 0 : -errno;
	}
	if (!lstat(out, &so) && S_ISLNK(so.st_mode)) {
		int err = link_target(out, exists, t->path, sizeof(t->path));

		if (err)
			return err;
	} else if ((size_t)snprintf(t->path, sizeof(t->path), "%s", out) >= sizeof(t->path)) {
		return -ENAMETOOLONG;
	}
	if ((size_t)snprintf(t->tmp, sizeof(t->tmp), "%s.tmp", t->path) >= sizeof(t->tmp))
		return -ENAMETOOLONG;
	t->f = fopen(t->tmp, "w");
	return t->f ? 0 : -errno;
}

/* Closes the trace, and puts it in place when err is 0: 0 or the first error. */
static int close_target(struct target *t, int err)
{
	if (t->f == stdout) {
		if (fflush(stdout) && !err)
			err = -errno;
	} else if (fclose(t->f) && !err) {
		err = -errno;
	}
	if (!t->tmp[0])
		return err;
	if (!err && rename(t->tmp, t->path))
		err = -errno;
	if (err)
		unlink(t->tmp);
	return err;
}

/* Writes the trace into f: 0, or the exporter's error; *k the reader's last word. */
static int export(struct ntf_rec_reader *r, FILE *f, const char *in, unsigned int class_mask,
		  __u32 tgid, int *k, struct ntf_perfetto_stats *stats)
{
	struct ntf_perfetto_opts opts = { .source = in, .stacks = r };
	struct ntf_perfetto *pf = ntf_perfetto_new(f, ntf_rec_read_meta(r), &opts);
	struct ntf_rec_status st;
	struct ntf_event e;
	int err = 0;

	if (!pf)
		return -ENOMEM;
	while (!err && (*k = ntf_rec_next(r, &e)) > 0) {
		if ((class_mask && !(class_mask & (1u << e.class))) || (tgid && e.tgid != tgid))
			continue;
		err = ntf_perfetto_add(pf, &e);
	}
	ntf_rec_reader_status(r, &st);
	err = ntf_perfetto_finish(pf, &st, stats) ?: err;
	return err;
}

int cmd_report_perfetto(struct ntf_rec_reader *r, const char *in, const char *out,
			unsigned int class_mask, __u32 tgid)
{
	struct ntf_perfetto_stats stats = {};
	struct target t = {};
	struct ntf_rec_status st;
	int k = 0, err;

	err = open_target(&t, out);
	if (!err)
		err = close_target(&t, export(r, t.f, in, class_mask, tgid, &k, &stats));
	if (err) {
		ntf_err("cannot write %s: %s", out, strerror(-err));
		return NTF_EXIT_RUNTIME;
	}
	fprintf(t.is_stdout ? stderr : stdout,
		"%s: %llu events as %llu slices on %llu threads of %llu processes (%llu clamped "
		"to their parent's end, %llu unnested), %llu counter samples\n",
		out, (unsigned long long)stats.events, (unsigned long long)stats.slices,
		(unsigned long long)stats.threads, (unsigned long long)stats.processes,
		(unsigned long long)stats.clamped, (unsigned long long)stats.unnested,
		(unsigned long long)stats.counters);
	fflush(stdout);
	ntf_rec_reader_status(r, &st);
	if (k < 0) {
		ntf_err("%s: %s", in, st.why);
		return NTF_EXIT_RUNTIME;
	}
	if (st.stop != NTF_REC_COMPLETE)
		ntf_warn("%s: %s", in, st.why);
	return 0;
}
