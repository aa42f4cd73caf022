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

#endif
