/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A block framed in memory: its 48-byte header and its payload,
 * compressed when that pays, in one buffer. The file writer writes such
 * a buffer with one write(); the flight recorder keeps them and writes
 * them into a snapshot later under another number, which is why the
 * number can be changed after the fact (renumbering rewrites the
 * header's own checksum only, never touches the payload).
 */
#ifndef NTF_REC_BLOCK_H
#define NTF_REC_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <zstd.h>
#include "rec_codec.h"

/* The compressor and how it is asked. */
struct rec_zip {
	ZSTD_CCtx *cctx; /* NULL when uncompressed */
	int level;
	bool uncompressed;
};

/*
 * level 0: NTF_REC_DEFAULT_LEVEL; out of zstd's range: its nearest end.
 * 0 or -ENOMEM.
 */
int rec_zip_init(struct rec_zip *z, int level, bool uncompressed);
void rec_zip_free(struct rec_zip *z);
/* What META's compression field says: "zstd 1.5.4 level 1" or "none". */
void rec_zip_name(const struct rec_zip *z, char *buf, size_t len);

/* A block header's fields beyond its lengths, codec and checksums. */
struct ntr_block_info {
	unsigned int kind; /* enum ntr_kind */
	__u32 seq, count;
	__u64 ts_min, ts_max;
};

/*
 * Frames payload raw[0..len) as a block into out (what it held is
 * replaced): compressed when compress is asked, the zip allows it and it
 * comes out smaller. 0, -E2BIG (over what readers accept) or -ENOMEM.
 */
int ntr_block_frame(struct rec_buf *out, struct rec_zip *z, const struct ntr_block_info *bi,
		    const __u8 *raw, size_t len, bool compress);
/* Gives a framed block's header number seq (and its checksum to match). */
void ntr_block_renumber(__u8 *hdr, __u32 seq);
/* The header's fields back, from a block ntr_block_frame made. */
void ntr_block_peek(const __u8 *hdr, struct ntr_block_info *bi, __u32 *stored);

#endif
