// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Kernel stacks in the trace file (format 1.2): each stack is written
 * once, found again by content, and every event that names one reads it
 * back whatever the way in (straight, after a seek either way, in a file
 * its writer did not close); a file without stacks, of this version or
 * an older one, reads as events without them; what a reader would refuse
 * is never written; a damaged STACKS block never hands out an event
 * whose stack cannot be read.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "crc32c.h"
#include "flight.h"
#include "rec_codec.h"
#include "rec_events.h"
#include "record.h"
#include "trace_format.h"

#define NSTACKS 10
#define DEPTH 12

static char dir[] = "/tmp/ntf-stacks-XXXXXX";

static void path_of(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

/*
 * Stack k of the test: DEPTH frames, the first one of its own, the rest
 * the same for every k (stacks that reach one callback differ at the
 * top); every third frame in a module.
 */
static void stack_of(unsigned int k, struct ntf_rec_frame *f)
{
	memset(f, 0, DEPTH * sizeof(*f));
	for (unsigned int i = 0; i < DEPTH; i++) {
		f[i].addr = 0xffffffff81000000ULL + 0x1000 * i + (i ? 0 : 0x100000 * (k + 1));
		f[i].offset = 0x10 + i;
		if (i)
			snprintf(f[i].sym, sizeof(f[i].sym), "caller_%u", i);
		else
			snprintf(f[i].sym, sizeof(f[i].sym), "callback_%u", k);
		if (i % 3 == 0)
			snprintf(f[i].module, sizeof(f[i].module), "drv%u", i);
	}
}

/* Which of the test's stacks event i names: every third event one, -1 for none. */
static int stack_for(size_t i)
{
	return i % 3 ? -1 : (int)((i / 3) % NSTACKS);
}

static void assert_stack(struct ntf_rec_reader *r, __u32 id, unsigned int k)
{
	struct ntf_rec_frame want[DEPTH], got[NTF_REC_MAX_DEPTH];

	stack_of(k, want);
	assert_int_equal(ntf_rec_stack(r, id, got, NTF_REC_MAX_DEPTH), DEPTH);
	for (unsigned int i = 0; i < DEPTH; i++) {
		assert_int_equal(got[i].addr, want[i].addr);
		assert_int_equal(got[i].offset, want[i].offset);
		assert_string_equal(got[i].sym, want[i].sym);
		assert_string_equal(got[i].module, want[i].module);
	}
}

/* v written with the test's stacks; ids[k]: the file's id of stack k. */
static void write_with_stacks(const char *path, struct evs *v, __u32 per_block, bool close_it,
			      __u32 ids[NSTACKS])
{
	struct ntf_rec_writer_opts o = { .block_events = per_block, .uncompressed = true };
	struct ntf_rec_frame f[DEPTH];
	struct ntf_rec_writer_stats st;
	struct ntf_rec_writer *w;

	memset(ids, 0, NSTACKS * sizeof(*ids));
	assert_int_equal(ntf_rec_writer_open(&w, path, NULL, &o), 0);
	for (size_t i = 0; i < v->n; i++) {
		int k = stack_for(i);
		__u32 id = 0;

		if (k >= 0) {
			stack_of(k, f);
			assert_int_equal(ntf_rec_stack_add(w, f, DEPTH, &id), 0);
			/* the same frames, the same id: by content */
			if (ids[k])
				assert_int_equal(id, ids[k]);
			ids[k] = id;
		}
		v->e[i].stack_id = id;
		assert_int_equal(ntf_rec_write(w, &v->e[i]), 0);
	}
	ntf_rec_flush(w);
	ntf_rec_writer_stats(w, &st);
	ntf_rec_close(w);
	if (!close_it)
		assert_int_equal(truncate(path, st.bytes), 0);
}

/*
 * Reads r from where it is to the end, checking each event against
 * v->e[from..] and its stack; the count read.
 */
static size_t read_check(struct ntf_rec_reader *r, const struct evs *v, size_t from,
			 const __u32 ids[NSTACKS])
{
	struct ntf_event e;
	size_t n = 0;
	int k;

	while ((k = ntf_rec_next(r, &e)) > 0) {
		size_t i = from + n++;
		int want = stack_for(i);
		struct ntf_event plain = e;

		assert_true(i < v->n);
		plain.stack_id = 0;
		assert_same(&v->e[i], &plain, i);
		if (want < 0) {
			assert_int_equal(e.stack_id, 0);
			continue;
		}
		assert_int_equal(e.stack_id, ids[want]);
		assert_stack(r, e.stack_id, want);
	}
	assert_int_equal(k, 0);
	return n;
}

static void round_trip(void **state)
{
	struct evs v = synth(7, 3000);
	__u32 ids[NSTACKS];
	struct ntf_rec_reader *r;
	struct ntf_rec_status st;
	char path[300];

	(void)state;
	path_of(path, sizeof(path), "stacks.ntr");
	write_with_stacks(path, &v, 256, true, ids);
	assert_int_equal(ntf_rec_reader_open(&r, path, &st), 0);
	assert_int_equal(read_check(r, &v, 0, ids), v.n);
	ntf_rec_reader_status(r, &st);
	assert_int_equal(st.stop, NTF_REC_COMPLETE);
	/* ten different stacks, each defined once however many events name it */
	assert_int_equal(ntf_rec_stack_count(r), NSTACKS);
	for (unsigned int k = 0; k < NSTACKS; k++)
		assert_stack(r, ids[k], k);
	assert_int_equal(ntf_rec_stack(r, 0, NULL, 0), -ENOENT);
	assert_int_equal(ntf_rec_stack(r, NSTACKS + 1, NULL, 0), -ENOENT);
	ntf_rec_reader_close(r);
	free(v.e);
}

/* The size of an uncompressed file of ten events naming nstacks of the test's stacks in turn. */
static __u64 size_with(unsigned int nstacks)
{
	struct ntf_rec_writer_opts o = { .uncompressed = true };
	struct evs v = synth(9, 10);
	struct ntf_rec_frame f[DEPTH];
	struct ntf_rec_writer *w;
	struct stat sb;
	char path[300];
	__u32 id;

	path_of(path, sizeof(path), "size.ntr");
	assert_int_equal(ntf_rec_writer_open(&w, path, NULL, &o), 0);
	for (unsigned int i = 0; i < v.n; i++) {
		if (nstacks) {
			stack_of(i % nstacks, f);
			assert_int_equal(ntf_rec_stack_add(w, f, DEPTH, &id), 0);
			v.e[i].stack_id = id;
		}
		assert_int_equal(ntf_rec_write(w, &v.e[i]), 0);
	}
	assert_int_equal(ntf_rec_close(w), 0);
	assert_int_equal(stat(path, &sb), 0);
	free(v.e);
	return sb.st_size;
}

/*
 * By content: the same frames give the same stack, a stack is defined
 * once however often it comes, and frames are shared between stacks, so
 * ten stacks that differ in their first frame cost far less than ten
 * times one.
 */
static void by_content(void **state)
{
	struct ntf_rec_frame f[DEPTH];
	struct ntf_rec_writer *w;
	__u64 none, one, ten;
	__u32 id, first;
	char path[300];

	(void)state;
	path_of(path, sizeof(path), "content.ntr");
	assert_int_equal(ntf_rec_writer_open(&w, path, NULL, NULL), 0);
	stack_of(0, f);
	assert_int_equal(ntf_rec_stack_add(w, f, DEPTH, &first), 0);
	assert_int_equal(first, 1);
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(ntf_rec_stack_add(w, f, DEPTH, &id), 0);
		assert_int_equal(id, first);
	}
	/* its innermost frame alone is another stack */
	assert_int_equal(ntf_rec_stack_add(w, f, 1, &id), 0);
	assert_int_equal(id, 2);
	/* one field apart is another frame, so another stack */
	f[DEPTH - 1].offset++;
	assert_int_equal(ntf_rec_stack_add(w, f, DEPTH, &id), 0);
	assert_int_equal(id, 3);
	f[DEPTH - 1].offset--;
	snprintf(f[DEPTH - 1].module, sizeof(f[DEPTH - 1].module), "other");
	assert_int_equal(ntf_rec_stack_add(w, f, DEPTH, &id), 0);
	assert_int_equal(id, 4);
	assert_int_equal(ntf_rec_close(w), 0);

	none = size_with(0);
	one = size_with(1);
	ten = size_with(NSTACKS);
	assert_true(one > none);
	/* each more stack costs its own frame and its list of ids: without sharing, ten times */
	assert_true(ten - none < 3 * (one - none));
}

/*
 * Seeks forward (past STACKS blocks, with and without an index) and back
 * (over STACKS blocks read already): every event read finds its stack,
 * and no stack is defined twice.
 */
static void seeks(void **state)
{
	struct evs v = synth(11, 4000);
	__u32 ids[NSTACKS];
	struct ntf_rec_reader *r;
	struct ntf_rec_status st;
	struct ntf_event e;
	char path[300];

	(void)state;
	for (int closed = 0; closed < 2; closed++) {
		path_of(path, sizeof(path), closed ? "seek-closed.ntr" : "seek-open.ntr");
		write_with_stacks(path, &v, 100, closed, ids);
		assert_int_equal(ntf_rec_reader_open(&r, path, &st), 0);
		assert_int_equal(ntf_rec_reader_indexed(r), closed);
		/* far in: the STACKS blocks before are read on the way */
		assert_int_equal(ntf_rec_seek(r, v.e[3500].ts_ns), 0);
		assert_int_equal(ntf_rec_next(r, &e), 1);
		assert_true(e.ts_ns <= v.e[3500].ts_ns);
		assert_int_equal(ntf_rec_stack_count(r), NSTACKS);
		/* back to the start, and every event again */
		assert_int_equal(ntf_rec_seek(r, 0), 0);
		assert_int_equal(read_check(r, &v, 0, ids), v.n);
		assert_int_equal(ntf_rec_stack_count(r), NSTACKS);
		ntf_rec_reader_close(r);
	}
	free(v.e);
}

/* A file without stacks, of 1.2 or older, reads as events without them. */
static void without_stacks(void **state)
{
	struct ntf_rec_writer_opts o = { .block_events = 500 };
	struct evs v = synth(3, 2000), got = {};
	struct ntf_rec_writer *w;
	struct ntf_rec_status st;
	char path[300];
	int fd;

	(void)state;
	path_of(path, sizeof(path), "plain.ntr");
	assert_int_equal(ntf_rec_writer_open(&w, path, NULL, &o), 0);
	for (size_t i = 0; i < v.n; i++)
		assert_int_equal(ntf_rec_write(w, &v.e[i]), 0);
	assert_int_equal(ntf_rec_close(w), 0);
	for (int minor = 2; minor >= 0; minor--) {
		__u8 le[2] = { (__u8)minor, 0 };

		/* the minor number is outside every checksum: a file of 1.0, 1.1 then */
		fd = open(path, O_WRONLY);
		assert_true(fd >= 0);
		assert_int_equal(pwrite(fd, le, 2, 10), 2);
		close(fd);
		got.n = 0;
		assert_int_equal(read_events(path, &got, &st, NULL), v.n);
		assert_int_equal(st.stop, NTF_REC_COMPLETE);
		for (size_t i = 0; i < v.n; i++) {
			assert_int_equal(got.e[i].stack_id, 0);
			assert_same(&v.e[i], &got.e[i], i);
		}
	}
	free(v.e);
	free(got.e);
}

/* What a reader would refuse is not written; names too long are cut, as a reader keeps them. */
static void refused_and_cut(void **state)
{
	struct ntf_rec_frame f[NTF_REC_MAX_DEPTH + 1], got[NTF_REC_MAX_DEPTH];
	struct evs v = synth(5, 1);
	struct ntf_rec_writer *w;
	struct ntf_rec_reader *r;
	struct ntf_rec_status st;
	struct ntf_event e;
	char path[300];
	__u32 id;

	(void)state;
	path_of(path, sizeof(path), "refused.ntr");
	memset(f, 0, sizeof(f));
	assert_int_equal(ntf_rec_writer_open(&w, path, NULL, NULL), 0);
	assert_int_equal(ntf_rec_stack_add(w, f, 0, &id), -EINVAL);
	assert_int_equal(ntf_rec_stack_add(w, f, NTF_REC_MAX_DEPTH + 1, &id), -EINVAL);
	/* an event naming a stack the file lacks: refused, and not sticky */
	v.e[0].stack_id = 1;
	assert_int_equal(ntf_rec_write(w, &v.e[0]), -EINVAL);
	memset(f[0].sym, 'x', sizeof(f[0].sym));
	memset(f[0].module, 'm', sizeof(f[0].module));
	f[0].addr = 0xffffffffc0001234ULL;
	assert_int_equal(ntf_rec_stack_add(w, f, NTF_REC_MAX_DEPTH, &id), 0);
	assert_int_equal(id, 1);
	assert_int_equal(ntf_rec_write(w, &v.e[0]), 0);
	assert_int_equal(ntf_rec_close(w), 0);

	assert_int_equal(ntf_rec_reader_open(&r, path, &st), 0);
	assert_int_equal(ntf_rec_next(r, &e), 1);
	assert_int_equal(e.stack_id, 1);
	assert_int_equal(ntf_rec_stack(r, 1, got, NTF_REC_MAX_DEPTH), NTF_REC_MAX_DEPTH);
	assert_int_equal(got[0].addr, 0xffffffffc0001234ULL);
	assert_int_equal(strlen(got[0].sym), NTF_REC_SYM_LEN - 1);
	assert_int_equal(strlen(got[0].module), NTF_REC_MOD_LEN - 1);
	assert_string_equal(got[1].sym, "");
	/* fewer asked, fewer given */
	assert_int_equal(ntf_rec_stack(r, 1, got, 3), 3);
	assert_int_equal(ntf_rec_next(r, &e), 0);
	ntf_rec_reader_close(r);
	free(v.e);
}

/* A file holds as many stacks as readers take, no more; the writer goes on without. */
static void full_of_stacks(void **state)
{
	struct ntf_rec_frame f;
	struct ntf_rec_writer *w;
	struct ntf_rec_reader *r;
	struct ntf_rec_status st;
	struct ntf_event e;
	struct evs v = synth(4, 1);
	char path[300];
	__u32 id;

	(void)state;
	path_of(path, sizeof(path), "full.ntr");
	memset(&f, 0, sizeof(f));
	assert_int_equal(ntf_rec_writer_open(&w, path, NULL, NULL), 0);
	for (__u32 i = 0; i < NTR_MAX_STACKS; i++) {
		f.addr = 0xffffffff81000000ULL + i;
		assert_int_equal(ntf_rec_stack_add(w, &f, 1, &id), 0);
		assert_int_equal(id, i + 1);
	}
	f.addr = 1;
	assert_int_equal(ntf_rec_stack_add(w, &f, 1, &id), -ENOSPC);
	/* a stack it holds is still found */
	f.addr = 0xffffffff81000000ULL + 77;
	assert_int_equal(ntf_rec_stack_add(w, &f, 1, &id), 0);
	assert_int_equal(id, 78);
	v.e[0].stack_id = NTR_MAX_STACKS;
	assert_int_equal(ntf_rec_write(w, &v.e[0]), 0);
	assert_int_equal(ntf_rec_close(w), 0);
	assert_int_equal(ntf_rec_reader_open(&r, path, &st), 0);
	assert_int_equal(ntf_rec_next(r, &e), 1);
	assert_int_equal(ntf_rec_stack_count(r), NTR_MAX_STACKS);
	assert_int_equal(ntf_rec_stack(r, e.stack_id, &f, 1), 1);
	assert_int_equal(f.addr, 0xffffffff81000000ULL + NTR_MAX_STACKS - 1);
	ntf_rec_reader_close(r);
	free(v.e);
}

/* The file with each block's checksums set to match its bytes. */
static void fix_checksums(__u8 *p, size_t size)
{
	size_t off = NTR_PREAMBLE_LEN;

	while (off + NTR_BLOCK_HDR_LEN <= size) {
		__u8 *h = p + off;
		size_t hlen = rec_get_le(h + NTR_H_LEN, 2),
		       stored = rec_get_le(h + NTR_H_STORED, 4);

		rec_set_le(h + NTR_H_PAYLOAD_CRC, ntf_crc32c(0, h + hlen, stored), 4);
		rec_set_le(h + hlen - 4, ntf_crc32c(0, h, hlen - 4), 4);
		off += hlen + stored;
	}
}

/*
 * Each byte of every STACKS block's payload changed, the checksums made
 * right again so that the change reaches the decoder: reading stops or
 * goes on, but every event it gives names no stack or one it can read.
 */
static void stacks_damaged(void **state)
{
	struct evs v = synth(13, 60);
	struct ntf_rec_frame frames[NTF_REC_MAX_DEPTH];
	__u32 ids[NSTACKS];
	size_t len, off = NTR_PREAMBLE_LEN, tried = 0;
	__u8 *orig, *p;
	char path[300];
	struct stat sb;
	int fd;

	(void)state;
	path_of(path, sizeof(path), "damaged.ntr");
	write_with_stacks(path, &v, 20, true, ids);
	assert_int_equal(stat(path, &sb), 0);
	len = sb.st_size;
	orig = malloc(len);
	p = malloc(len);
	fd = open(path, O_RDONLY);
	assert_int_equal(pread(fd, orig, len, 0), (ssize_t)len);
	close(fd);
	while (off + NTR_BLOCK_HDR_LEN <= len) {
		size_t hlen = rec_get_le(orig + off + NTR_H_LEN, 2);
		size_t stored = rec_get_le(orig + off + NTR_H_STORED, 4);

		for (size_t i = 0; orig[off + NTR_H_KIND] == NTR_K_STACKS && i < stored; i++) {
			for (int bit = 0; bit < 8; bit += 3) {
				struct ntf_rec_reader *r;
				struct ntf_rec_status st;
				struct ntf_event e;

				memcpy(p, orig, len);
				p[off + hlen + i] ^= 1u << bit;
				fix_checksums(p, len);
				if (ntf_rec_reader_mem(&r, p, len, &st))
					continue;
				while (ntf_rec_next(r, &e) > 0)
					assert_true(!e.stack_id ||
						    ntf_rec_stack(r, e.stack_id, frames,
								  NTF_REC_MAX_DEPTH) > 0);
				ntf_rec_reader_close(r);
				tried++;
			}
		}
		off += hlen + stored;
	}
	assert_true(tried > 100);
	free(orig);
	free(p);
	free(v.e);
}

/* The flight recorder defines no stacks: its snapshots keep events without their stack ids. */
static void flight_without_stacks(void **state)
{
	struct ntf_flight_opts o = { .window_ns = 60ULL * 1000000000 };
	struct evs v = synth(6, 100), got = {};
	struct ntf_flight *f;
	char path[300];

	(void)state;
	path_of(path, sizeof(path), "flight.ntr");
	assert_int_equal(ntf_flight_new(&f, NULL, &o), 0);
	for (size_t i = 0; i < v.n; i++) {
		v.e[i].stack_id = i % 2 ? 5 : 0;
		assert_int_equal(ntf_flight_write(f, &v.e[i]), 0);
	}
	assert_int_equal(ntf_flight_snapshot(f, path, NULL, NULL), 0);
	ntf_flight_free(f);
	assert_int_equal(read_events(path, &got, NULL, NULL), v.n);
	for (size_t i = 0; i < v.n; i++)
		assert_int_equal(got.e[i].stack_id, 0);
	free(v.e);
	free(got.e);
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
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),	   cmocka_unit_test(by_content),
		cmocka_unit_test(seeks),	   cmocka_unit_test(without_stacks),
		cmocka_unit_test(refused_and_cut), cmocka_unit_test(full_of_stacks),
		cmocka_unit_test(stacks_damaged),  cmocka_unit_test(flight_without_stacks),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
