// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Blocks framed in memory (rec_block.h): the one place a block header is
 * written, for the file writer and the flight recorder alike.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "crc32c.h"
#include "rec_block.h"
#include "record.h"
#include "trace_format.h"

int rec_zip_init(struct rec_zip *z, int level, bool uncompressed)
{
	memset(z, 0, sizeof(*z));
	z->uncompressed = uncompressed;
	z->level = level ? level : NTF_REC_DEFAULT_LEVEL;
	if (z->level < ZSTD_minCLevel())
		z->level = ZSTD_minCLevel();
	if (z->level > ZSTD_maxCLevel())
		z->level = ZSTD_maxCLevel();
	if (uncompressed)
		return 0;
	z->cctx = ZSTD_createCCtx();
	return z->cctx ? 0 : -ENOMEM;
}

void rec_zip_free(struct rec_zip *z)
{
	ZSTD_freeCCtx(z->cctx);
	z->cctx = NULL;
}

void rec_zip_name(const struct rec_zip *z, char *buf, size_t len)
{
	if (z->uncompressed)
		snprintf(buf, len, "none");
	else
		snprintf(buf, len, "zstd %s level %d", ZSTD_versionString(), z->level);
}

static void seal_header(__u8 *h)
{
	rec_set_le(h + NTR_BLOCK_HDR_LEN - 4, ntf_crc32c(0, h, NTR_BLOCK_HDR_LEN - 4), 4);
}

int ntr_block_frame(struct rec_buf *out, struct rec_zip *z, const struct ntr_block_info *bi,
		    const __u8 *raw, size_t len, bool compress)
{
	size_t stored = len;
	unsigned int codec = NTR_C_NONE;
	__u8 *h;

	if (len > NTR_MAX_RAW)
		return -E2BIG;
	out->len = 0;
	if (!rec_buf_room(out, NTR_BLOCK_HDR_LEN + ZSTD_compressBound(len)))
		return -ENOMEM;
	h = out->p;
	if (compress && z->cctx && len) {
		size_t k = ZSTD_compressCCtx(z->cctx, h + NTR_BLOCK_HDR_LEN,
					     out->cap - NTR_BLOCK_HDR_LEN, raw, len, z->level);

		if (!ZSTD_isError(k) && k < len) {
			stored = k;
			codec = NTR_C_ZSTD;
		}
	}
	if (codec == NTR_C_NONE && len)
		memcpy(h + NTR_BLOCK_HDR_LEN, raw, len);
	memcpy(h + NTR_H_MAGIC, NTR_BLOCK_MAGIC, 4);
	h[NTR_H_KIND] = bi->kind;
	h[NTR_H_CODEC] = codec;
	rec_set_le(h + NTR_H_LEN, NTR_BLOCK_HDR_LEN, 2);
	rec_set_le(h + NTR_H_SEQ, bi->seq, 4);
	rec_set_le(h + NTR_H_COUNT, bi->count, 4);
	rec_set_le(h + NTR_H_STORED, stored, 4);
	rec_set_le(h + NTR_H_RAW, len, 4);
	rec_set_le(h + NTR_H_TS_MIN, bi->ts_min, 8);
	rec_set_le(h + NTR_H_TS_MAX, bi->ts_max, 8);
	rec_set_le(h + NTR_H_PAYLOAD_CRC, ntf_crc32c(0, h + NTR_BLOCK_HDR_LEN, stored), 4);
	seal_header(h);
	out->len = NTR_BLOCK_HDR_LEN + stored;
	return 0;
}

void ntr_block_renumber(__u8 *hdr, __u32 seq)
{
	rec_set_le(hdr + NTR_H_SEQ, seq, 4);
	seal_header(hdr);
}

void ntr_block_peek(const __u8 *hdr, struct ntr_block_info *bi, __u32 *stored)
{
	bi->kind = hdr[NTR_H_KIND];
	bi->seq = rec_get_le(hdr + NTR_H_SEQ, 4);
	bi->count = rec_get_le(hdr + NTR_H_COUNT, 4);
	bi->ts_min = rec_get_le(hdr + NTR_H_TS_MIN, 8);
	bi->ts_max = rec_get_le(hdr + NTR_H_TS_MAX, 8);
	*stored = rec_get_le(hdr + NTR_H_STORED, 4);
}
