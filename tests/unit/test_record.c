// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The trace file: what is written reads back field by field; a file cut
 * at any byte, flipped anywhere, or left by a killed writer or a full
 * disk reads up to its last whole block and says where and why it
 * stopped; foreign files get one clear error.
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
#include "crc32c.h"
#include "decode.h"
#include "rec_codec.h"
#include "record.h"
#include "source.h"
#include "trace_format.h"
#include "rec_events.h"

/* ---- events ---- */

static __u64 rnd_state = 88172645463325252ULL;

static __u64 rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* A value that is often at an edge of its range. */
static __u64 wild(void)
{
	switch (rnd() % 6) {
	case 0: return 0;
	case 1: return ~0ULL;
	case 2: return 1ULL << (rnd() % 64);
	case 3: return (__u64)INT64_MIN + rnd() % 3;
	case 4: return rnd() % 1000;
	default: return rnd();
	}
}

/* Events whose every field goes to its edges. */
static struct evs wild_events(size_t n)
{
	struct evs v = {};

	for (size_t i = 0; i < n; i++) {
		struct ntf_event e;

		memset(&e, 0, sizeof(e));
		e.class = 1 + rnd() % (NTF_CLASS_MAX - 1);
		e.mech = 1 + rnd() % (NTF_MECH_MAX - 1);
		e.origin = rnd() % NTF_ORIGIN_MAX;
		e.ts_ns = wild();
		e.latency_ns = wild();
		e.cgroup_id = wild();
		e.mm = wild();
		e.ret = wild();
		e.pid = wild();
		e.tgid = wild();
		e.flags = wild();
		e.callback = wild();
		e.syscall_nr = wild();
		for (int k = 0; k < NTF_COMM_LEN; k++)
			e.comm[k] = rnd() % 4 ? 'a' + rnd() % 26 : 0;
		e.fence.context = wild();
		e.fence.seqno = wild();
		e.fence.ops = wild();
		e.fence.timeout = wild();
		collect(&v, &e);
	}
	return v;
}

/* ---- files ---- */

static char dir[] = "/tmp/ntf-rec-XXXXXX";

static void path_of(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

static struct ntf_rec_meta *test_meta(void)
{
	static struct ntf_rec_meta m;
	struct ntf_rec_probe p = { .id = "inval_start",
				   .func = "__mmu_notifier_invalidate_range_start",
				   .class = NTF_CLASS_INVAL_START,
				   .mech = NTF_MECH_FENTRY,
				   .attached = true };

	ntf_rec_meta_init(&m, "test_record");
	assert_int_equal(ntf_rec_meta_add_probe(&m, &p), 0);
	return &m;
}

/* Where each block ends and how many events the file holds up to there. */
struct layout {
	__u64 end[8192];
	__u64 events[8192];
	unsigned int n; /* blocks, META first */
	__u64 size;
};

/*
 * Writes v to path in blocks of per_block events, noting where each
 * block ends; closes (index, trailer) when close_it.
 */
static void write_file(const char *path, const struct evs *v, __u32 per_block, bool close_it,
		       struct layout *lay)
{
	struct ntf_rec_writer_opts o = { .block_events = per_block };
	struct ntf_rec_writer *w;
	struct ntf_rec_writer_stats st;
	struct stat sb;

	assert_int_equal(ntf_rec_writer_open(&w, path, test_meta(), &o), 0);
	ntf_rec_writer_stats(w, &st);
	if (lay) {
		lay->n = 1;
		lay->end[0] = st.bytes;
		lay->events[0] = 0;
	}
	for (size_t i = 0; i < v->n; i++) {
		assert_int_equal(ntf_rec_write(w, &v->e[i]), 0);
		ntf_rec_writer_stats(w, &st);
		if (lay && st.blocks > lay->n) {
			assert_true(lay->n < 8192);
			lay->end[lay->n] = st.bytes;
			lay->events[lay->n++] = st.committed_events;
		}
	}
	assert_int_equal(ntf_rec_flush(w), 0);
	ntf_rec_writer_stats(w, &st);
	if (lay && st.blocks > lay->n) {
		lay->end[lay->n] = st.bytes;
		lay->events[lay->n++] = st.committed_events;
	}
	assert_int_equal(st.committed_events, v->n);
	if (close_it) {
		assert_int_equal(ntf_rec_close(w), 0);
	} else {
		/* as a killed writer leaves it: blocks, no index, no trailer */
		ntf_rec_writer_stats(w, &st);
		ntf_rec_close(w);
		assert_int_equal(truncate(path, st.bytes), 0);
	}
	assert_int_equal(stat(path, &sb), 0);
	if (lay)
		lay->size = sb.st_size;
}

static void *slurp(const char *path, size_t *len)
{
	struct stat sb;
	void *p;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &sb), 0);
	p = malloc(sb.st_size + 1);
	assert_non_null(p);
	assert_int_equal(pread(fd, p, sb.st_size, 0), sb.st_size);
	close(fd);
	*len = sb.st_size;
	return p;
}

/*
 * Reads every event r gives, checking each against want (as far as want
 * goes); returns how many came, status in *st.
 */
static size_t read_all(struct ntf_rec_reader *r, const struct evs *want, struct ntf_rec_status *st,
		       int *last)
{
	struct ntf_event e;
	size_t n = 0;
	__u64 before;
	int k;

	ntf_rec_reader_status(r, st);
	before = st->events;
	while ((k = ntf_rec_next(r, &e)) > 0) {
		if (want) {
			assert_true(n < want->n);
			assert_same(&want->e[n], &e, n);
		}
		n++;
	}
	if (last)
		*last = k;
	ntf_rec_reader_status(r, st);
	assert_int_equal(st->events - before, n);
	return n;
}

/* ---- tests ---- */

static void crc32c_known_values(void **state)
{
	__u8 buf[4099];

	(void)state;
	assert_int_equal(ntf_crc32c(0, "123456789", 9), 0xe3069283u);
	assert_int_equal(ntf_crc32c_sw(0, "123456789", 9), 0xe3069283u);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = rnd();
	for (size_t n = 0; n < sizeof(buf); n += 1 + n / 3)
		assert_int_equal(ntf_crc32c(0, buf, n), ntf_crc32c_sw(0, buf, n));
	/* in pieces as in one */
	assert_int_equal(ntf_crc32c(ntf_crc32c(0, buf, 1000), buf + 1000, 3099),
			 ntf_crc32c(0, buf, 4099));
}

static void varints_round_trip(void **state)
{
	struct rec_buf b = {};
	__u64 vals[] = { 0, 1, 127, 128, 16383, 16384, 1ULL << 35, ~0ULL >> 1, ~0ULL };
	__s64 svals[] = { 0, -1, 1, -64, 64, INT64_MIN, INT64_MAX };
	struct rec_cur c;

	(void)state;
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		rec_put_varint(&b, vals[i]);
	for (size_t i = 0; i < sizeof(svals) / sizeof(svals[0]); i++)
		rec_put_svarint(&b, svals[i]);
	c = rec_cur_make(b.p, b.len);
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		assert_true(rec_get_varint(&c) == vals[i]);
	for (size_t i = 0; i < sizeof(svals) / sizeof(svals[0]); i++)
		assert_true(rec_get_svarint(&c) == svals[i]);
	assert_false(c.bad);
	assert_int_equal(rec_cur_left(&c), 0);
	/* past the end, and 11 bytes of continuation, are errors that stick */
	rec_get_varint(&c);
	assert_true(c.bad);
	{
		__u8 over[11];

		memset(over, 0xff, sizeof(over));
		over[10] = 0;
		c = rec_cur_make(over, sizeof(over));
		rec_get_varint(&c);
		assert_true(c.bad);
		over[9] = 2; /* bit 64 */
		c = rec_cur_make(over, 10);
		rec_get_varint(&c);
		assert_true(c.bad);
	}
	rec_buf_free(&b);
}

static int by_end(const void *a, const void *b)
{
	const struct ntf_event *x = a, *y = b;
	__u64 ex = x->ts_ns + x->latency_ns, ey = y->ts_ns + y->latency_ns;

	return ex < ey ? -1 : ex > ey;
}

/* Every field of every event, synthetic and at the edges, comes back. */
static void round_trip(void **state)
{
	struct evs v = synth(7, 200000), x = wild_events(20000);
	char path[256];
	struct ntf_rec_reader *r;
	struct ntf_rec_status st;
	const struct ntf_rec_meta *m;
	int last;

	(void)state;
	path_of(path, sizeof(path), "round.ntr");
	write_file(path, &v, 0, true, NULL);
	assert_int_equal(ntf_rec_reader_open(&r, path, &st), 0);
	assert_true(ntf_rec_reader_indexed(r));
	m = ntf_rec_read_meta(r);
	assert_string_equal(m->writer, "test_record");
	assert_string_equal(m->host, test_meta()->host);
	assert_string_equal(m->kernel, test_meta()->kernel);
	assert_true(m->wall_ns > 1500000000ULL * 1000000000ULL);
	assert_true(m->mono_ns > 0);
	assert_int_equal(m->event_size, sizeof(struct ntf_event));
	assert_non_null(strstr(m->compression, "zstd"));
	assert_int_equal(m->nprobes, 1);
	assert_string_equal(m->probes[0].id, "inval_start");
	assert_int_equal(m->probes[0].mech, NTF_MECH_FENTRY);
	assert_true(m->probes[0].attached);
	assert_string_equal(ntf_rec_meta_driver(m, ntf_callback_id("kvm")), "kvm");
	assert_int_equal(read_all(r, &v, &st, &last), v.n);
	assert_int_equal(last, 0);
	assert_int_equal(st.stop, NTF_REC_COMPLETE);
	assert_non_null(strstr(st.why, "complete: 200000 events"));
	/* asked again at the end: still the end */
	assert_int_equal(read_all(r, NULL, &st, &last), 0);
	ntf_rec_reader_close(r);

	/* the wild ones, uncompressed, in blocks of 333 */
	{
		struct ntf_rec_writer_opts o = { .block_events = 333, .uncompressed = true };
		struct ntf_rec_writer *w;

		assert_int_equal(ntf_rec_writer_open(&w, path, test_meta(), &o), 0);
		for (size_t i = 0; i < x.n; i++)
			assert_int_equal(ntf_rec_write(w, &x.e[i]), 0);
		assert_int_equal(ntf_rec_close(w), 0);
	}
	assert_int_equal(ntf_rec_reader_open(&r, path, &st), 0);
	assert_string_equal(ntf_rec_read_meta(r)->compression, "none");
	assert_int_equal(read_all(r, &x, &st, &last), x.n);
	assert_int_equal(st.stop, NTF_REC_COMPLETE);
	ntf_rec_reader_close(r);

	/* in the order they end, as the ring buffer has them: times go by their ends */
	qsort(v.e, v.n, sizeof(*v.e), by_end);
	write_file(path, &v, 0, true, NULL);
	assert_int_equal(ntf_rec_reader_open(&r, path, &st), 0);
	assert_int_equal(read_all(r, &v, &st, &last), v.n);
	assert_int_equal(st.stop, NTF_REC_COMPLETE);
	ntf_rec_reader_close(r);
	free(v.e);
	free(x.e);
}

/* A realistic mix stays within 12 bytes an event on disk. */
static void compact(void **state)
{
	struct evs v = synth(11, 500000);
	char path[256];
	struct layout *lay = calloc(1, sizeof(*lay));
	double per;

	(void)state;
	path_of(path, sizeof(path), "compact.ntr");
	write_file(path, &v, 0, true, lay);
	per = (double)lay->size / v.n;
	print_message("    %zu events, %llu bytes: %.2f bytes an event\n", v.n,
		      (unsigned long long)lay->size, per);
	assert_true(per <= 12.0);
	free(lay);
	free(v.e);
}

static void invalid_events_refused(void **state)
{
	struct ntf_rec_writer *w;
	struct ntf_event e;
	char path[256];
	struct evs v = synth(3, 10);

	(void)state;
	path_of(path, sizeof(path), "invalid.ntr");
	assert_int_equal(ntf_rec_writer_open(&w, path, test_meta(), NULL), 0);
	e = v.e[0];
	e.class = NTF_CLASS_MAX;
	assert_int_equal(ntf_rec_write(w, &e), -EINVAL);
	e = v.e[0];
	e.mech = NTF_MECH_NONE;
	assert_int_equal(ntf_rec_write(w, &e), -EINVAL);
	e = v.e[0];
	e.origin = NTF_ORIGIN_MAX;
	assert_int_equal(ntf_rec_write(w, &e), -EINVAL);
	/* not sticky */
	assert_int_equal(ntf_rec_write(w, &v.e[1]), 0);
	assert_int_equal(ntf_rec_close(w), 0);
	free(v.e);
}

/* Names given after META, the index's copy of them, and seeking by time. */
static void names_index_and_seek(void **state)
{
	struct evs v = synth(5, 50000);
	struct ntf_rec_callback cb = { .id = ntf_callback_first_discovered() + 2,
				       .driver = "mydrv",
				       .func = "mydrv_invalidate" };
	struct ntf_rec_writer_opts o = { .block_events = 1000 };
	struct ntf_rec_writer *w;
	struct ntf_rec_reader *r;
	struct ntf_rec_status st;
	struct ntf_event e;
	char path[256];

	(void)state;
	path_of(path, sizeof(path), "seek.ntr");
	assert_int_equal(ntf_rec_writer_open(&w, path, test_meta(), &o), 0);
	for (size_t i = 0; i < v.n; i++) {
		if (i == 20500)
			assert_int_equal(ntf_rec_write_names(w, &cb, 1), 0);
		assert_int_equal(ntf_rec_write(w, &v.e[i]), 0);
	}
	assert_int_equal(ntf_rec_close(w), 0);

	for (int pass = 0; pass < 2; pass++) {
		/* pass 1: the same file without its index and trailer */
		if (pass) {
			struct stat sb;

			assert_int_equal(stat(path, &sb), 0);
			assert_int_equal(truncate(path, sb.st_size - 72), 0);
		}
		assert_int_equal(ntf_rec_reader_open(&r, path, &st), 0);
		assert_int_equal(ntf_rec_reader_indexed(r), !pass);
		/* the index names it up front; without, the NAMES block passed does */
		if (!pass)
			assert_string_equal(ntf_rec_meta_driver(ntf_rec_read_meta(r), cb.id),
					    "mydrv");
		for (int k = 0; k < 20; k++) {
			size_t target = rnd() % v.n, first;
			__u64 ts = v.e[target].ts_ns;

			assert_int_equal(ntf_rec_seek(r, ts), 0);
			assert_int_equal(ntf_rec_next(r, &e), 1);
			/* synthetic times rise by 1000 ns: the block starts at or before */
			first = (e.ts_ns - v.e[0].ts_ns) / 1000;
			assert_true(first <= target);
			assert_true(target - first < 1000);
			assert_same(&v.e[first], &e, first);
			if (target > 20500)
				assert_string_equal(
					ntf_rec_meta_driver(ntf_rec_read_meta(r), cb.id), "mydrv");
		}
		/* past the end, then back to the start */
		assert_int_equal(ntf_rec_seek(r, ~0ULL), 0);
		assert_int_equal(ntf_rec_next(r, &e), 0);
		assert_int_equal(ntf_rec_seek(r, 0), 0);
		assert_int_equal(ntf_rec_next(r, &e), 1);
		assert_same(&v.e[0], &e, 0);
		ntf_rec_reader_close(r);
	}
	free(v.e);
}

/*
 * More blocks than the index has runs: neighbours merge, and a seek still
 * lands on the very block (here one event each) that holds the time.
 */
static void index_coarsens(void **state)
{
	struct evs v = synth(31, 70000);
	struct ntf_rec_writer_opts o = { .block_events = 1, .uncompressed = true };
	struct ntf_rec_writer *w;
	struct ntf_rec_reader *r;
	struct ntf_rec_status st;
	struct ntf_event e;
	char path[256];

	(void)state;
	assert_true(v.n > NTR_MAX_INDEX);
	path_of(path, sizeof(path), "coarse.ntr");
	assert_int_equal(ntf_rec_writer_open(&w, path, test_meta(), &o), 0);
	for (size_t i = 0; i < v.n; i++)
		assert_int_equal(ntf_rec_write(w, &v.e[i]), 0);
	assert_int_equal(ntf_rec_close(w), 0);
	assert_int_equal(ntf_rec_reader_open(&r, path, &st), 0);
	assert_true(ntf_rec_reader_indexed(r));
	for (int k = 0; k < 200; k++) {
		size_t target = k < 2 ? (k ? v.n - 1 : 0) : rnd() % v.n;

		assert_int_equal(ntf_rec_seek(r, v.e[target].ts_ns), 0);
		assert_int_equal(ntf_rec_next(r, &e), 1);
		assert_same(&v.e[target], &e, target);
	}
	ntf_rec_reader_close(r);
	free(v.e);
}

/*
 * Cut at every block boundary and at thousands of bytes: exactly the
 * whole blocks before the cut, and the right words for where it stopped.
 */
static void truncation_everywhere(void **state)
{
	struct evs v = synth(9, 40000);
	struct layout *lay = calloc(1, sizeof(*lay));
	char path[256];
	size_t len;
	__u8 *data;

	(void)state;
	path_of(path, sizeof(path), "trunc.ntr");
	write_file(path, &v, 500, true, lay);
	data = slurp(path, &len);
	assert_int_equal(len, lay->size);
	/* index and trailer: two blocks more */
	lay->end[lay->n] = lay->size - 72;
	lay->events[lay->n++] = v.n;
	lay->end[lay->n] = lay->size;
	lay->events[lay->n++] = v.n;

	for (int k = 0; k < 3000 + (int)lay->n; k++) {
		__u64 cut = k < (int)lay->n ? lay->end[k] : rnd() % (len + 1);
		struct ntf_rec_reader *r;
		struct ntf_rec_status st;
		unsigned int b = 0;
		char want[96];
		int err;

		/* now and then a byte of the preamble */
		if (k >= (int)lay->n && k % 100 == 0)
			cut = rnd() % 16;
		while (b < lay->n && lay->end[b] <= cut)
			b++;
		err = ntf_rec_reader_mem(&r, data, cut, &st);
		if (!b) {
			/* inside the preamble or META: nothing to read yet */
			assert_true(err < 0);
			assert_null(r);
			if (!cut) {
				assert_int_equal(st.stop, NTF_REC_FOREIGN);
				assert_string_equal(st.why,
						    "not a notifier trace: the file is empty");
			} else {
				assert_int_equal(err, -ENODATA);
				assert_int_equal(st.stop, NTF_REC_TRUNCATED);
			}
			continue;
		}
		assert_int_equal(err, 0);
		assert_int_equal(read_all(r, k % 10 ? NULL : &v, &st, &err), lay->events[b - 1]);
		assert_int_equal(err, 0);
		if (cut == len) {
			assert_int_equal(st.stop, NTF_REC_COMPLETE);
		} else if (cut == lay->end[b - 1]) {
			assert_int_equal(st.stop, NTF_REC_UNFINISHED);
			assert_int_equal(st.offset, cut);
			assert_non_null(strstr(st.why, "without a trailer"));
		} else {
			assert_int_equal(st.stop, NTF_REC_TRUNCATED);
			assert_int_equal(st.block, b);
			snprintf(want, sizeof(want),
				 "truncated at byte %llu in block %u: ", (unsigned long long)cut,
				 b);
			if (strncmp(st.why, want, strlen(want))) {
				print_error("cut %llu: \"%s\"\n", (unsigned long long)cut, st.why);
				fail();
			}
			assert_true(strstr(st.why, "block shorter than its header says") ||
				    strstr(st.why, "of a block header's"));
		}
		ntf_rec_reader_close(r);
	}
	free(data);
	free(lay);
	free(v.e);
}

/* A bit flipped in a payload fails its checksum; one in a header, the header's. */
static void bit_flips_detected(void **state)
{
	struct evs v = synth(13, 20000);
	struct layout *lay = calloc(1, sizeof(*lay));
	char path[256];
	size_t len;
	__u8 *data, *orig;

	(void)state;
	path_of(path, sizeof(path), "flip.ntr");
	write_file(path, &v, 1000, true, lay);
	data = slurp(path, &len);
	orig = slurp(path, &len);
	for (unsigned int b = 1; b < lay->n; b++) {
		__u64 start = lay->end[b - 1];
		struct ntf_rec_reader *r;
		struct ntf_rec_status st;
		__u64 at;
		int last;

		/* a payload byte, then a header byte */
		for (int where = 0; where < 2; where++) {
			at = where ? start + rnd() % (NTR_BLOCK_HDR_LEN - 4) + 4 :
				     start + NTR_BLOCK_HDR_LEN +
					     rnd() % (lay->end[b] - start - NTR_BLOCK_HDR_LEN);
			data[at] ^= 1u << (rnd() % 8);
			assert_int_equal(ntf_rec_reader_mem(&r, data, len, &st), 0);
			assert_int_equal(read_all(r, &v, &st, &last), lay->events[b - 1]);
			assert_int_equal(last, -EBADMSG);
			assert_int_equal(st.stop, NTF_REC_CORRUPT);
			assert_int_equal(st.block, b);
			assert_int_equal(st.offset, start);
			assert_non_null(strstr(st.why, where ? "block header checksum mismatch" :
							       "payload checksum mismatch"));
			/* and it stays stopped */
			assert_int_equal(read_all(r, NULL, &st, &last), 0);
			assert_int_equal(last, -EBADMSG);
			ntf_rec_reader_close(r);
			data[at] = orig[at];
		}
	}
	free(orig);
	free(data);
	free(lay);
	free(v.e);
}

/* Every single byte of a small file flipped: a prefix of the events, never more, never a crash. */
static void every_byte_flipped(void **state)
{
	struct evs v = synth(17, 1000);
	char path[256];
	size_t len;
	__u8 *data;

	(void)state;
	path_of(path, sizeof(path), "every.ntr");
	write_file(path, &v, 250, true, NULL);
	data = slurp(path, &len);
	for (size_t at = 0; at < len; at++) {
		struct ntf_rec_reader *r;
		struct ntf_rec_status st;
		int last;

		data[at] ^= 0x10;
		if (!ntf_rec_reader_mem(&r, data, len, &st)) {
			size_t n = read_all(r, &v, &st, &last);

			/* only the preamble's minor version and reserved bytes are not checked */
			if (at >= 10 && at < 16) {
				assert_int_equal(n, v.n);
			} else if (n == v.n && st.stop == NTF_REC_COMPLETE) {
				print_error("byte %zu flipped, not seen: %s\n", at, st.why);
				fail();
			}
			ntf_rec_reader_close(r);
		}
		data[at] ^= 0x10;
	}
	free(data);
	free(v.e);
}

static void expect_foreign(const char *path, enum ntf_rec_stop stop, const char *words)
{
	struct ntf_rec_reader *r;
	struct ntf_rec_status st;

	assert_true(ntf_rec_reader_open(&r, path, &st) < 0);
	assert_null(r);
	assert_int_equal(st.stop, stop);
	if (!strstr(st.why, words)) {
		print_error("%s: \"%s\" lacks \"%s\"\n", path, st.why, words);
		fail();
	}
}

static void write_bytes(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	close(fd);
}

static void foreign_files(void **state)
{
	char path[256];
	__u8 junk[4096];

	(void)state;
	path_of(path, sizeof(path), "empty");
	write_bytes(path, "", 0);
	expect_foreign(path, NTF_REC_FOREIGN, "the file is empty");
	expect_foreign("/proc/self/exe", NTF_REC_FOREIGN, "an ELF file");
	path_of(path, sizeof(path), "perf.data");
	write_bytes(path, "PERFILE2\0\0\0\0\0\0\0\0", 16);
	expect_foreign(path, NTF_REC_FOREIGN, "a perf.data file");
	path_of(path, sizeof(path), "hist.json");
	write_bytes(path, "{\"classes\": {}}\n", 16);
	expect_foreign(path, NTF_REC_FOREIGN, "JSON");
	for (int k = 0; k < 200; k++) {
		for (size_t i = 0; i < sizeof(junk); i++)
			junk[i] = rnd();
		path_of(path, sizeof(path), "junk");
		write_bytes(path, junk, 1 + rnd() % sizeof(junk));
		expect_foreign(path, NTF_REC_FOREIGN, "not a notifier trace: ");
	}
	/* the magic, then junk: the META block is not there */
	memcpy(junk, NTR_MAGIC, 8);
	memcpy(junk + 8, "\1\0\0\0\0\0\0\0", 8);
	write_bytes(path, junk, 200);
	expect_foreign(path, NTF_REC_CORRUPT,
		       "corrupt at byte 16 in block 0: no block header here");
	/* a newer major */
	memcpy(junk + 8, "\2\0\0\0", 4);
	write_bytes(path, junk, 200);
	expect_foreign(path, NTF_REC_VERSION, "trace format 2.0; this reader reads 1.x");
	path_of(path, sizeof(path), "absent");
	expect_foreign(path, NTF_REC_IO, "No such file");
}

/* Read while written: each flush is visible; the close completes it. */
static void read_while_written(void **state)
{
	struct evs v = synth(19, 30000);
	struct ntf_rec_writer *w;
	struct ntf_rec_reader *r;
	struct ntf_rec_status st;
	struct ntf_event e;
	char path[256];
	size_t got = 0;
	int k;

	(void)state;
	path_of(path, sizeof(path), "live.ntr");
	assert_int_equal(ntf_rec_writer_open(&w, path, test_meta(), NULL), 0);
	assert_int_equal(ntf_rec_reader_open(&r, path, &st), 0);
	assert_false(ntf_rec_reader_indexed(r));
	for (size_t i = 0; i < v.n; i++) {
		assert_int_equal(ntf_rec_write(w, &v.e[i]), 0);
		if (i % 7000 == 6999) {
			assert_int_equal(ntf_rec_flush(w), 0);
			while ((k = ntf_rec_next(r, &e)) > 0)
				assert_same(&v.e[got], &e, got), got++;
			assert_int_equal(k, 0);
			assert_int_equal(got, i + 1);
			ntf_rec_reader_status(r, &st);
			assert_int_equal(st.stop, NTF_REC_UNFINISHED);
		}
	}
	assert_int_equal(ntf_rec_close(w), 0);
	while ((k = ntf_rec_next(r, &e)) > 0)
		assert_same(&v.e[got], &e, got), got++;
	assert_int_equal(got, v.n);
	ntf_rec_reader_status(r, &st);
	assert_int_equal(st.stop, NTF_REC_COMPLETE);
	ntf_rec_reader_close(r);
	free(v.e);
}

static int count_event(void *ctx, const struct ntf_event *e)
{
	(void)e;
	(*(size_t *)ctx)++;
	return 0;
}

static void as_a_source(void **state)
{
	struct evs v = synth(23, 10000);
	struct ntf_rec_source_opts o = { .batch = 999 };
	struct ntf_rec_reader *r;
	struct ntf_source *src;
	char path[256];
	size_t n = 0;
	int k, polls = 0;

	(void)state;
	path_of(path, sizeof(path), "source.ntr");
	write_file(path, &v, 0, true, NULL);
	assert_int_equal(ntf_rec_reader_open(&r, path, NULL), 0);
	src = ntf_source_rec_new(r, &o, count_event, &n);
	assert_non_null(src);
	while ((k = ntf_source_poll(src, 0)) > 0)
		polls++;
	assert_int_equal(k, -ENODATA);
	assert_int_equal(n, v.n);
	assert_int_equal(polls, 11);
	ntf_source_free(src);
	free(v.e);
}

/* The writer's child: writes the synthetic stream until killed or stopped by an error. */
static void writer_child(const char *path, __u32 per_block, int report_fd)
{
	struct ntf_synth_opts so = { .seed = 29, .batch = 1, .keys = 50 };
	struct ntf_rec_writer_opts o = { .block_events = per_block };
	struct ntf_rec_writer *w;
	struct ntf_rec_writer_stats st;
	struct evs v = {};
	struct ntf_source *src = ntf_source_synth_new(&so, collect, &v);
	int err;

	if (!src || ntf_rec_writer_open(&w, path, test_meta(), &o))
		_exit(2);
	for (;;) {
		v.n = 0;
		ntf_source_poll(src, 0);
		err = ntf_rec_write(w, &v.e[0]);
		if (err)
			break;
	}
	ntf_rec_writer_stats(w, &st);
	if (write(report_fd, &st, sizeof(st)) != sizeof(st))
		_exit(3);
	ntf_rec_close(w);
	_exit(0);
}

/* The first n events of writer_child's stream. */
static struct evs child_events(size_t n)
{
	struct ntf_synth_opts so = { .seed = 29, .count = n, .batch = 1, .keys = 50 };
	struct evs v = {};
	struct ntf_source *src = ntf_source_synth_new(&so, collect, &v);

	while (ntf_source_poll(src, 0) > 0)
		;
	ntf_source_free(src);
	return v;
}

static void killed_writer(void **state)
{
	struct ntf_rec_reader *r;
	struct ntf_rec_status st;
	struct stat sb;
	char path[256];
	pid_t pid;
	int status, last;
	size_t n;
	struct evs v;

	(void)state;
	path_of(path, sizeof(path), "killed.ntr");
	unlink(path);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid)
		writer_child(path, 777, -1);
	/* until some blocks are there, then at a moment nobody chose */
	do {
		usleep(2000);
	} while (stat(path, &sb) || sb.st_size < 200000);
	usleep(rnd() % 5000);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(ntf_rec_reader_open(&r, path, &st), 0);
	n = read_all(r, NULL, &st, &last);
	ntf_rec_reader_close(r);
	/* read again, each event against the stream the child wrote */
	v = child_events(n);
	assert_int_equal(ntf_rec_reader_open(&r, path, &st), 0);
	assert_int_equal(read_all(r, &v, &st, &last), n);
	assert_int_equal(last, 0);
	assert_true(n > 0);
	assert_int_equal(n % 777, 0);
	assert_true(st.stop == NTF_REC_UNFINISHED || st.stop == NTF_REC_TRUNCATED);
	print_message("    killed: %zu events read back; %s\n", n, st.why);
	ntf_rec_reader_close(r);
	free(v.e);
}

/*
 * A file size limit (RLIMIT_FSIZE, SIGXFSZ ignored) fails a write part
 * way as a full disk does: the error comes back, the file keeps its
 * whole blocks.
 */
static void file_size_limit(void **state)
{
	struct ntf_rec_writer_stats ws;
	struct ntf_rec_reader *r;
	struct ntf_rec_status st;
	char path[256];
	int fds[2], status, last;
	pid_t pid;
	size_t n;
	struct evs v;

	(void)state;
	path_of(path, sizeof(path), "limited.ntr");
	unlink(path);
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		struct rlimit rl = { 300000, 300000 };

		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &rl))
			_exit(4);
		writer_child(path, 1000, fds[1]);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &ws, sizeof(ws)), sizeof(ws));
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(ws.err, -EFBIG);
	assert_true(ws.committed_events > 0);
	assert_true(ws.bytes <= 300000);
	assert_int_equal(ntf_rec_reader_open(&r, path, &st), 0);
	v = child_events(ws.events);
	n = read_all(r, &v, &st, &last);
	assert_int_equal(n, ws.committed_events);
	/* the writer cut its partial block off: the file ends between blocks */
	assert_int_equal(st.stop, NTF_REC_UNFINISHED);
	assert_int_equal(st.offset, ws.bytes);
	ntf_rec_reader_close(r);
	free(v.e);
}

/* A real full disk: a small tmpfs in a mount namespace of a child's own. */
static void full_disk(void **state)
{
	int fds[2], status;
	char msg[256] = "";
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		char mnt[300], path[320];
		struct ntf_rec_writer_stats ws;
		struct ntf_rec_reader *r;
		struct ntf_rec_status st;
		int p2[2], last;
		pid_t w;
		size_t n;

		close(fds[0]);
		snprintf(mnt, sizeof(mnt), "%s/tmpfs", dir);
		mkdir(mnt, 0755);
		if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
		    mount("tmpfs", mnt, "tmpfs", 0, "size=256k")) {
			dprintf(fds[1], "skip: no tmpfs of our own here: %s", strerror(errno));
			_exit(0);
		}
		snprintf(path, sizeof(path), "%s/full.ntr", mnt);
		if (pipe(p2))
			_exit(1);
		w = fork();
		if (!w)
			writer_child(path, 500, p2[1]);
		close(p2[1]);
		if (read(p2[0], &ws, sizeof(ws)) != sizeof(ws) || waitpid(w, NULL, 0) != w)
			_exit(1);
		if (ws.err != -ENOSPC) {
			dprintf(fds[1], "writer stopped with %d, not -ENOSPC", ws.err);
			_exit(1);
		}
		if (ntf_rec_reader_open(&r, path, &st)) {
			dprintf(fds[1], "reader: %s", st.why);
			_exit(1);
		}
		n = read_all(r, NULL, &st, &last);
		if (n != ws.committed_events || st.stop != NTF_REC_UNFINISHED || last) {
			dprintf(fds[1], "read %zu of %llu: %s", n,
				(unsigned long long)ws.committed_events, st.why);
			_exit(1);
		}
		dprintf(fds[1], "ok: %zu events before the disk filled; %s", n, st.why);
		_exit(0);
	}
	close(fds[1]);
	assert_true(read(fds[0], msg, sizeof(msg) - 1) > 0);
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	print_message("    %s\n", msg);
	if (!strncmp(msg, "skip", 4))
		skip();
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* /dev/full refuses the very first write */
	{
		struct ntf_rec_writer *w;
		int fd = open("/dev/full", O_WRONLY);

		if (fd >= 0) {
			assert_int_equal(ntf_rec_writer_fdopen(&w, fd, test_meta(), NULL), -ENOSPC);
			assert_null(w);
			close(fd);
		}
	}
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(crc32c_known_values),
		cmocka_unit_test(varints_round_trip),
		cmocka_unit_test(round_trip),
		cmocka_unit_test(compact),
		cmocka_unit_test(invalid_events_refused),
		cmocka_unit_test(names_index_and_seek),
		cmocka_unit_test(index_coarsens),
		cmocka_unit_test(truncation_everywhere),
		cmocka_unit_test(bit_flips_detected),
		cmocka_unit_test(every_byte_flipped),
		cmocka_unit_test(foreign_files),
		cmocka_unit_test(read_while_written),
		cmocka_unit_test(as_a_source),
		cmocka_unit_test(killed_writer),
		cmocka_unit_test(file_size_limit),
		cmocka_unit_test(full_disk),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
