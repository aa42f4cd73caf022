/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What the trace file's writer and reader share beyond record.h. */
#ifndef NTF_REC_INT_H
#define NTF_REC_INT_H

#include <stddef.h>
#include "rec_codec.h"
#include "record.h"

/* META's payload. */
void ntr_meta_encode(struct rec_buf *b, const struct ntf_rec_meta *meta);
/*
 * META's payload into *meta (zeroed first): 0, or -EBADMSG with why
 * naming what is wrong and *at its offset in the payload.
 */
int ntr_meta_decode(const __u8 *p, size_t n, struct ntf_rec_meta *meta, char *why, size_t len,
		    size_t *at);
/* A list of NTR_T_CALLBACK entries: NAMES' payload, the end of INDEX's. */
void ntr_names_encode(struct rec_buf *b, const struct ntf_rec_callback *cbs, unsigned int n);
/* Applies such a list to meta's callbacks; the same returns as ntr_meta_decode. */
int ntr_names_decode(const __u8 *p, size_t n, struct ntf_rec_meta *meta, char *why, size_t len,
		     size_t *at);

/*
 * Writes an EVENTS block framed in memory before (rec_enc_block), under
 * the writer's next number, and indexes it: how a flight recorder's kept
 * blocks become a file without being encoded again. 0, -EINVAL for what
 * is not such a block, or the sticky error.
 */
int ntr_writer_put_block(struct ntf_rec_writer *w, const __u8 *blk, size_t len);
/*
 * A reader over one framed EVENTS block in memory (which must outlive
 * it), numbered seq: ntf_rec_next gives its events, then 0. Stack ids up
 * to nstacks are taken as defined elsewhere. How the flight recorder
 * reads back a block it trims.
 */
int ntr_reader_block(struct ntf_rec_reader **out, const __u8 *blk, size_t len, __u32 seq,
		     __u32 nstacks);

#endif
