/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A recording names the callbacks discovery found after it started: a
 * driver loaded mid-run gets an id the file's META does not name.
 */
#ifndef NTF_RECORD_NAMES_H
#define NTF_RECORD_NAMES_H

#include <stdio.h>
#include "record.h"

/* The discovered callbacks this process names, at most max; returns how many. */
unsigned int ntf_record_discovered_names(struct ntf_rec_callback *cbs, unsigned int max);
/*
 * Writes the discovered names into w when they changed since *gen (0 at
 * the start of a file whose META was made now: ntf_driver_names_gen()).
 * 0 or the writer's error.
 */
int ntf_record_names_update(struct ntf_rec_writer *w, __u64 *gen);

#endif
