// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer harness for the trace file's reader. Each input is read
 * twice:
 *
 *   1. as it is: the checksums stand in the way of most mutations, so
 *      this mostly tries the preamble, block headers and lengths;
 *   2. with every block's checksums made right first, so that mutated
 *      payloads reach the decompressor, META, NAMES, INDEX and the
 *      event streams.
 *
 * Either way the reader must stop with a status that says why, hand out
 * only events a consumer can take (known class, mechanism and origin,
 * comm terminated, a stack the file defines), and seek without trouble.
 *
 * With NTF_FUZZ_SEEDS=DIR set, writes a seed corpus of small valid files
 * (compressed and not, closed and not, with a NAMES block, with STACKS
 * blocks) and exits.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "crc32c.h"
#include "rec_codec.h"
#include "record.h"
#include "source.h"
#include "trace_format.h"

static void check_event(struct ntf_rec_reader *r, const struct ntf_event *e)
{
	struct ntf_rec_frame frames[NTF_REC_MAX_DEPTH];
	int n;

	if (!e->class || e->class >= NTF_CLASS_MAX || !e->mech || e->mech >= NTF_MECH_MAX ||
	    e->origin >= NTF_ORIGIN_MAX || e->comm[NTF_COMM_LEN - 1])
		abort();
	if (!e->stack_id)
		return;
	n = ntf_rec_stack(r, e->stack_id, frames, NTF_REC_MAX_DEPTH);
	if (n <= 0)
		abort();
	for (int i = 0; i < n; i++)
		if (strnlen(frames[i].sym, NTF_REC_SYM_LEN) == NTF_REC_SYM_LEN ||
		    strnlen(frames[i].module, NTF_REC_MOD_LEN) == NTF_REC_MOD_LEN)
			abort();
}

static void read_input(const uint8_t *data, size_t size)
{
	struct ntf_rec_reader *r;
	struct ntf_rec_status st;
	struct ntf_event e;
	__u64 seek_to = 0;
	int k;

	if (ntf_rec_reader_mem(&r, data, size, &st)) {
		if (r || !st.why[0] || st.stop == NTF_REC_READING)
			abort();
		return;
	}
	/* every string of the meta terminated */
	{
		const struct ntf_rec_meta *m = ntf_rec_read_meta(r);

		if (strnlen(m->host, sizeof(m->host)) == sizeof(m->host) ||
		    m->nprobes > NTF_REC_MAX_PROBES || m->ncallbacks > NTF_REC_MAX_CALLBACKS)
			abort();
		for (unsigned int i = 0; i < m->ncallbacks; i++)
			if (strnlen(m->callbacks[i].driver, NTF_DRIVER_LEN) == NTF_DRIVER_LEN)
				abort();
	}
	while ((k = ntf_rec_next(r, &e)) > 0) {
		check_event(r, &e);
		seek_to = e.ts_ns;
	}
	ntf_rec_reader_status(r, &st);
	if (st.stop == NTF_REC_READING || !st.why[0] || (k < 0) != (st.err < 0))
		abort();
	/* a seek into what was read, then as far as it goes again */
	if (!ntf_rec_seek(r, seek_to))
		while ((k = ntf_rec_next(r, &e)) > 0)
			check_event(r, &e);
	ntf_rec_reader_close(r);
}

/* The input with each block's payload and header checksums set to match. */
static void fix_checksums(uint8_t *p, size_t size)
{
	size_t off = NTR_PREAMBLE_LEN;

	while (size - off >= NTR_BLOCK_HDR_LEN && off < size) {
		uint8_t *h = p + off;
		size_t hlen = rec_get_le(h + NTR_H_LEN, 2), stored;

		if (memcmp(h, NTR_BLOCK_MAGIC, 4) || hlen < NTR_BLOCK_HDR_LEN ||
		    hlen > NTR_BLOCK_HDR_MAX || hlen % 4 || hlen > size - off)
			return;
		stored = rec_get_le(h + NTR_H_STORED, 4);
		if (stored > size - off - hlen)
			stored = size - off - hlen;
		rec_set_le(h + NTR_H_PAYLOAD_CRC, ntf_crc32c(0, h + hlen, stored), 4);
		rec_set_le(h + hlen - 4, ntf_crc32c(0, h, hlen - 4), 4);
		off += hlen + stored;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;

	read_input(data, size);
	if (size < NTR_PREAMBLE_LEN)
		return 0;
	copy = malloc(size);
	if (!copy)
		abort();
	memcpy(copy, data, size);
	fix_checksums(copy, size);
	read_input(copy, size);
	free(copy);
	return 0;
}

/* ---- seeds ---- */

static struct ntf_rec_writer *seed_writer;
static bool seed_stacks;
static unsigned int seed_n;

/* Every other event names one of three stacks that share frames, when stacks are asked for. */
static int write_one(void *ctx, const struct ntf_event *e)
{
	struct ntf_rec_frame f[3] = {
		{ .addr = 0xffffffffc0a01000ULL, .sym = "ntf_invalidate", .module = "ntf_testdrv" },
		{ .addr = 0xffffffff816638f5ULL, .offset = 0x195, .sym = "__mmu_notifier_x" },
		{ .addr = 0xffffffff81300033ULL, .offset = 0x33, .sym = "do_madvise" },
	};
	struct ntf_event ev = *e;
	unsigned int k = seed_n++;

	(void)ctx;
	if (seed_stacks && k % 2 &&
	    ntf_rec_stack_add(seed_writer, f + (k / 2) % 3, 3 - (k / 2) % 3, &ev.stack_id))
		exit(1);
	return ntf_rec_write(seed_writer, &ev);
}

static void write_seed(const char *dir, const char *name, __u64 seed, unsigned int events,
		       const struct ntf_rec_writer_opts *o, bool names, bool close_it, bool stacks)
{
	struct ntf_synth_opts so = { .seed = seed, .count = events, .batch = 7, .keys = 6 };
	struct ntf_rec_meta meta;
	struct ntf_source *src;
	char path[4096];
	int n = 0;

	ntf_rec_meta_init(&meta, "fuzz_record seeds");
	meta.ncallbacks = 3; /* small seeds mutate better */
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (ntf_rec_writer_open(&seed_writer, path, &meta, o))
		exit(1);
	seed_stacks = stacks;
	seed_n = 0;
	src = ntf_source_synth_new(&so, write_one, NULL);
	while (src && ntf_source_poll(src, 0) > 0) {
		if (names && ++n == 2) {
			struct ntf_rec_callback cb = { .id = 40, .driver = "late", .func = "f" };

			if (ntf_rec_write_names(seed_writer, &cb, 1))
				exit(1);
		}
	}
	ntf_source_free(src);
	if (close_it) {
		if (ntf_rec_close(seed_writer))
			exit(1);
	} else {
		struct ntf_rec_writer_stats st;

		ntf_rec_flush(seed_writer);
		ntf_rec_writer_stats(seed_writer, &st);
		ntf_rec_close(seed_writer);
		if (truncate(path, st.bytes))
			exit(1);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("NTF_FUZZ_SEEDS");
	struct ntf_rec_writer_opts raw = { .block_events = 8, .uncompressed = true };
	struct ntf_rec_writer_opts zstd = { .block_events = 16 };

	(void)argc;
	(void)argv;
	if (!dir)
		return 0;
	write_seed(dir, "raw-closed.ntr", 1, 24, &raw, false, true, false);
	write_seed(dir, "raw-names.ntr", 2, 24, &raw, true, true, false);
	write_seed(dir, "raw-unfinished.ntr", 3, 20, &raw, false, false, false);
	write_seed(dir, "zstd-closed.ntr", 4, 40, &zstd, true, true, false);
	write_seed(dir, "zstd-unfinished.ntr", 5, 40, &zstd, false, false, false);
	write_seed(dir, "raw-stacks.ntr", 6, 24, &raw, false, true, true);
	write_seed(dir, "zstd-stacks-unfinished.ntr", 7, 40, &zstd, true, false, true);
	exit(0);
}
