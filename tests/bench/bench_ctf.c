// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Host benchmark of notifier report --ctf's writer (user/report/ctf.h):
 * events exported a second on one core (CPU time of this thread), bytes
 * an event in the trace, and the stream files it took; then the whole
 * path, a trace file read and exported.
 *
 * Two mixes, as bench_record.c makes them: the synthetic source's events
 * in the order it makes them (by start time, the window has nothing to
 * sort), and live-like ones in the order a ring buffer gives them (by
 * end time: the window sorts every event).
 *
 * Each figure is the best of ROUNDS runs.
 *
 * bench_ctf [EVENTS] [DIR]   (default 2000000, /tmp)
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ctf.h"
#include "record.h"
#include "source.h"

#define ROUNDS 3

static struct ntf_event *records;
static size_t filled;

static int collect(void *ctx, const struct ntf_event *e)
{
	(void)ctx;
	records[filled++] = *e;
	return 0;
}

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int by_end(const void *a, const void *b)
{
	const struct ntf_event *x = a, *y = b;
	__u64 ex = x->ts_ns + x->latency_ns, ey = y->ts_ns + y->latency_ns;

	return ex < ey ? -1 : ex > ey;
}

/* Times spaced irregularly (exponential, mean 1 us), in the order the events ended. */
static void make_live(void)
{
	__u64 x = 0x2545f4914f6cdd1dULL, ts = records[0].ts_ns;

	for (size_t i = 0; i < filled; i++) {
		double u;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		u = ((x >> 11) + 1) / 9007199254740993.0;
		ts += (__u64)(-log(u) * 1000);
		records[i].ts_ns = ts;
	}
	qsort(records, filled, sizeof(*records), by_end);
}

static void rm_trace(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "bench_ctf: could not remove %s\n", dir);
}

/* One export of the records, or of the trace file at ntr when it is given. */
static int export(const char *dir, const char *ntr, double *cpu, struct ntf_ctf_stats *st)
{
	struct ntf_rec_meta meta;
	struct ntf_rec_reader *r = NULL;
	struct ntf_rec_status rs;
	struct ntf_ctf *c;
	struct ntf_event e;
	char why[256];
	double c0;
	int err, k = 0;

	rm_trace(dir);
	ntf_rec_meta_init(&meta, "bench_ctf");
	c0 = cpu_s();
	if (ntr && (err = ntf_rec_reader_open(&r, ntr, &rs)))
		return err;
	err = ntf_ctf_begin(&c, dir, r ? ntf_rec_read_meta(r) : &meta, NULL, why, sizeof(why));
	if (err)
		goto out;
	if (r) {
		while (!err && (k = ntf_rec_next(r, &e)) > 0)
			err = ntf_ctf_add(c, &e);
	} else {
		for (size_t i = 0; i < filled && !err; i++)
			err = ntf_ctf_add(c, &records[i]);
	}
	err = ntf_ctf_finish(c, NULL, st, why, sizeof(why));
	*cpu = cpu_s() - c0;
out:
	ntf_rec_reader_close(r);
	if (err)
		fprintf(stderr, "bench_ctf: %s\n", why);
	return err ? err : k;
}

static int write_ntr(const char *path)
{
	struct ntf_rec_meta meta;
	struct ntf_rec_writer *w;
	int err;

	ntf_rec_meta_init(&meta, "bench_ctf");
	err = ntf_rec_writer_open(&w, path, &meta, NULL);
	for (size_t i = 0; i < filled && !err; i++)
		err = ntf_rec_write(w, &records[i]);
	return err ? err : ntf_rec_close(w);
}

static int best(const char *name, const char *dir, const char *ntr)
{
	struct ntf_ctf_stats st = {};
	double cpu, min = 1e9;
	int err = 0;

	for (int i = 0; i < ROUNDS && !err; i++) {
		err = export(dir, ntr, &cpu, &st);
		if (cpu < min)
			min = cpu;
	}
	if (err)
		return err;
	printf("  %-30s %6.2f M events/s (cpu)  %6.2f bytes/event  %u stream file%s\n", name,
	       filled / min / 1e6, (double)st.bytes / filled, st.streams,
	       st.streams == 1 ? "" : "s");
	return 0;
}

int main(int argc, char **argv)
{
	size_t events = argc > 1 ? strtoull(argv[1], NULL, 10) : 2000000;
	const char *tmp = argc > 2 ? argv[2] : "/tmp";
	struct ntf_synth_opts so = { .seed = 42, .count = events, .batch = 4096, .keys = 50 };
	char dir[512], ntr[512];
	struct ntf_source *src;
	int err = 0;

	records = calloc(events, sizeof(*records));
	src = ntf_source_synth_new(&so, collect, NULL);
	if (!records || !src)
		return 1;
	while (ntf_source_poll(src, 0) > 0)
		;
	ntf_source_free(src);
	snprintf(dir, sizeof(dir), "%s/bench_ctf.ctf", tmp);
	snprintf(ntr, sizeof(ntr), "%s/bench_ctf.ntr", tmp);
	for (int mix = 0; mix < 2 && !err; mix++) {
		if (mix)
			make_live();
		printf("%s: %zu events\n", mix ? "live-like mix, by end time" : "synthetic mix",
		       filled);
		err = best("events into CTF", dir, NULL);
		if (!err)
			err = write_ntr(ntr);
		if (!err)
			err = best(".ntr read, into CTF", dir, ntr);
	}
	rm_trace(dir);
	remove(ntr);
	free(records);
	if (err)
		fprintf(stderr, "bench_ctf: %s\n", strerror(-err));
	return err ? 1 : 0;
}
