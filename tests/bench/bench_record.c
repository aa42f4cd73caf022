// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Host benchmark of the trace file: events written a second on one core
 * (CPU time of this thread) and bytes an event on disk, against a
 * baseline that write()s the raw records, side by side; then the reader.
 *
 * Two mixes: the synthetic source over 50 (process, driver) keys as it
 * is, and the same with what it leaves constant made live-like: times
 * spaced irregularly (exponential gaps, mean 1 us), an mm and a cgroup
 * per process.
 *
 * Then the flight recorder: what an event costs it (encoding, compressing
 * blocks, letting the old ones go), and how fast a snapshot writes what
 * it keeps (MB/s of file, fsync included: the daemon's loop waits that
 * long), with a size window and with a time window (whose snapshot
 * trims the blocks that straddle its start).
 *
 * Each figure is the best of ROUNDS runs: the machine's other work only
 * ever slows a run down.
 *
 * bench_record [EVENTS] [DIR]   (default 2000000, /tmp)
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "flight.h"
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

static double wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static __u64 file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) ? 0 : sb.st_size;
}

struct run {
	double cpu, wall;
	__u64 bytes;
};

/* The baseline: the raw records, write() in 64 KiB chunks as a plain dump would. */
static int run_raw(const char *path, struct run *out)
{
	const size_t chunk = 65536 / sizeof(struct ntf_event);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	double c0 = cpu_s(), w0 = wall_s();

	if (fd < 0)
		return -errno;
	for (size_t i = 0; i < filled; i += chunk) {
		size_t n = filled - i < chunk ? filled - i : chunk;

		if (write(fd, &records[i], n * sizeof(*records)) !=
		    (ssize_t)(n * sizeof(*records))) {
			close(fd);
			return -EIO;
		}
	}
	close(fd);
	out->cpu = cpu_s() - c0;
	out->wall = wall_s() - w0;
	out->bytes = file_size(path);
	return 0;
}

static int run_rec(const char *path, const struct ntf_rec_writer_opts *o, struct run *out)
{
	struct ntf_rec_meta meta;
	struct ntf_rec_writer *w;
	double c0, w0;
	int err;

	ntf_rec_meta_init(&meta, "bench_record");
	c0 = cpu_s();
	w0 = wall_s();
	err = ntf_rec_writer_open(&w, path, &meta, o);
	if (err)
		return err;
	for (size_t i = 0; i < filled; i++) {
		err = ntf_rec_write(w, &records[i]);
		if (err) {
			ntf_rec_close(w);
			return err;
		}
	}
	err = ntf_rec_close(w);
	out->cpu = cpu_s() - c0;
	out->wall = wall_s() - w0;
	out->bytes = file_size(path);
	return err;
}

static int run_read(const char *path, struct run *out)
{
	struct ntf_rec_reader *r;
	struct ntf_rec_status st;
	struct ntf_event e;
	double c0 = cpu_s(), w0 = wall_s();
	size_t n = 0;
	int err = ntf_rec_reader_open(&r, path, &st), k;

	if (err)
		return err;
	while ((k = ntf_rec_next(r, &e)) > 0)
		n++;
	ntf_rec_reader_close(r);
	out->cpu = cpu_s() - c0;
	out->wall = wall_s() - w0;
	out->bytes = 0;
	return k < 0 ? k : n == filled ? 0 : -EBADMSG;
}

struct flight_run {
	double cpu, wall; /* appending every event */
	double snap_wall; /* one snapshot */
	__u64 snap_bytes, kept;
};

static int run_flight(const struct ntf_flight_opts *o, const char *path, struct flight_run *out)
{
	struct ntf_flight_snap snap;
	struct ntf_flight *f;
	double c0, w0;
	int err = ntf_flight_new(&f, NULL, o);

	if (err)
		return err;
	c0 = cpu_s();
	w0 = wall_s();
	for (size_t i = 0; i < filled && !err; i++)
		err = ntf_flight_write(f, &records[i]);
	out->cpu = cpu_s() - c0;
	out->wall = wall_s() - w0;
	w0 = wall_s();
	if (!err)
		err = ntf_flight_snapshot(f, path, NULL, &snap);
	out->snap_wall = wall_s() - w0;
	out->snap_bytes = snap.bytes;
	out->kept = snap.events;
	ntf_flight_free(f);
	return err;
}

static int bench_flight(const char *path)
{
	__u64 span = records[filled - 1].ts_ns - records[0].ts_ns;
	struct {
		const char *name;
		struct ntf_flight_opts o;
	} cases[] = {
		{ "flight, last 4 MiB", { .max_bytes = 4 << 20 } },
		{ "flight, half the time span", { .window_ns = span / 2 } },
	};

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct flight_run best = { .cpu = 1e9, .wall = 1e9, .snap_wall = 1e9 }, r;

		for (int i = 0; i < ROUNDS; i++) {
			int err = run_flight(&cases[c].o, path, &r);

			if (err)
				return err;
			if (r.cpu < best.cpu)
				best.cpu = r.cpu;
			if (r.wall < best.wall)
				best.wall = r.wall;
			if (r.snap_wall < best.snap_wall)
				best.snap_wall = r.snap_wall;
			best.snap_bytes = r.snap_bytes;
			best.kept = r.kept;
		}
		printf("  %-28s %6.2f M events/s (cpu)  %6.2f M/s (wall)  %5.0f ns/event\n",
		       cases[c].name, filled / best.cpu / 1e6, filled / best.wall / 1e6,
		       best.cpu / filled * 1e9);
		printf("  %-28s snapshot: %llu events, %.2f MB in %.1f ms: %.0f MB/s (wall, fsync "
		       "included)\n",
		       "", (unsigned long long)best.kept, best.snap_bytes / 1e6,
		       best.snap_wall * 1e3, best.snap_bytes / 1e6 / best.snap_wall);
	}
	return 0;
}

/* The best of ROUNDS runs of fn. */
#define BEST(out, call)                                        \
	({                                                     \
		struct run _r = {};                            \
		int _err = 0;                                  \
		(out).cpu = (out).wall = 1e9;                  \
		for (int _i = 0; _i < ROUNDS && !_err; _i++) { \
			_err = (call);                         \
			if ((out).cpu > _r.cpu)                \
				(out).cpu = _r.cpu;            \
			if ((out).wall > _r.wall)              \
				(out).wall = _r.wall;          \
			(out).bytes = _r.bytes;                \
		}                                              \
		_err;                                          \
	})

static void print_run(const char *name, const struct run *r)
{
	printf("  %-28s %6.2f M events/s (cpu)  %6.2f M/s (wall)  %7.2f bytes/event\n", name,
	       filled / r->cpu / 1e6, filled / r->wall / 1e6, (double)r->bytes / filled);
}

static int by_end(const void *a, const void *b)
{
	const struct ntf_event *x = a, *y = b;
	__u64 ex = x->ts_ns + x->latency_ns, ey = y->ts_ns + y->latency_ns;

	return ex < ey ? -1 : ex > ey;
}

/* Times spaced irregularly, an mm and a cgroup per process: what a live system adds. */
static void make_live(void)
{
	__u64 x = 0x2545f4914f6cdd1dULL, ts = records[0].ts_ns;

	for (size_t i = 0; i < filled; i++) {
		struct ntf_event *e = &records[i];
		double u;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		u = ((x >> 11) + 1) / 9007199254740993.0;
		ts += (__u64)(-log(u) * 1000);
		e->ts_ns = ts;
		e->mm = 0xffff888100000000ULL + (__u64)e->tgid * 0x1c40;
		e->cgroup_id = 4000 + e->tgid % 7;
	}
	/* the ring buffer takes events as they end */
	qsort(records, filled, sizeof(*records), by_end);
}

int main(int argc, char **argv)
{
	size_t events = argc > 1 ? strtoull(argv[1], NULL, 10) : 2000000;
	const char *dir = argc > 2 ? argv[2] : "/tmp";
	struct ntf_synth_opts so = { .seed = 42, .count = events, .batch = 4096, .keys = 50 };
	static const int levels[] = { 1, 3 };
	char raw_path[512], rec_path[512];
	struct ntf_source *src;
	struct run base, rec, rd;
	int err;

	records = calloc(events, sizeof(*records));
	src = ntf_source_synth_new(&so, collect, NULL);
	if (!records || !src)
		return 1;
	while (ntf_source_poll(src, 0) > 0)
		;
	ntf_source_free(src);
	snprintf(raw_path, sizeof(raw_path), "%s/bench_record.raw", dir);
	snprintf(rec_path, sizeof(rec_path), "%s/bench_record.ntr", dir);
	/* a first dump that only warms the page cache up */
	err = run_raw(raw_path, &base);
	if (err)
		goto fail;

	for (int mix = 0; mix < 2; mix++) {
		if (mix)
			make_live();
		printf("%s: %zu events (synthetic, 50 keys%s)\n",
		       mix ? "live-like mix" : "synthetic mix", filled,
		       mix ? "; irregular times, mm and cgroup per process" : "");
		err = BEST(base, run_raw(raw_path, &_r));
		if (err)
			goto fail;
		print_run("write() of raw records", &base);
		for (size_t l = 0; l < sizeof(levels) / sizeof(levels[0]); l++) {
			struct ntf_rec_writer_opts o = { .level = levels[l] };
			char name[64];

			err = BEST(rec, run_rec(rec_path, &o, &_r));
			if (err)
				goto fail;
			snprintf(name, sizeof(name), ".ntr, zstd level %d", levels[l]);
			print_run(name, &rec);
			printf("  %-28s %6.2fx the baseline's cpu time, %5.1fx smaller\n", "",
			       rec.cpu / base.cpu, (double)base.bytes / rec.bytes);
		}
		{
			struct ntf_rec_writer_opts o = { .uncompressed = true };

			err = BEST(rec, run_rec(rec_path, &o, &_r));
			if (err)
				goto fail;
			print_run(".ntr, encoded, no zstd", &rec);
		}
		/* read back the default file */
		err = run_rec(rec_path, NULL, &rec);
		if (!err)
			err = BEST(rd, run_read(rec_path, &_r));
		if (err)
			goto fail;
		print_run("reading it back", &rd);
		err = bench_flight(rec_path);
		if (err)
			goto fail;
	}
	unlink(raw_path);
	unlink(rec_path);
	free(records);
	return 0;
fail:
	fprintf(stderr, "bench_record: %s\n", strerror(-err));
	return 1;
}
