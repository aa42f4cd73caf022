/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Turns raw ring-buffer records into checked events with their origin. */
#ifndef NTF_DECODE_H
#define NTF_DECODE_H

#include <stddef.h>
#include <linux/types.h>
#include "notifier.h"

/*
 * Copies one raw record into *out after checking its size and enums, and
 * fills in the origin. Returns 0, or -EINVAL for a record that is not a
 * whole, valid event.
 */
int ntf_decode(const void *data, size_t size, struct ntf_event *out);

/* What started the event, from task flags, comm, syscall and mmu event. */
unsigned int ntf_classify_origin(const struct ntf_event *e);

/*
 * This architecture's syscall numbers turned into origins, the table the
 * tracer hands BPF (struct ntf_config) so both sides classify alike.
 */
const __u8 *ntf_syscall_origins(void);

#endif
