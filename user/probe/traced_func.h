/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Which kernel function an event timed: the name a stack taken at its
 * exit starts with (stack_reader.h).
 */
#ifndef NTF_TRACED_FUNC_H
#define NTF_TRACED_FUNC_H

#include <linux/types.h>
#include "notifier.h"

struct ntf_callbacks;

/*
 * The function, or NULL when the probe fired inside it (a tracepoint:
 * the stack shows it) or the event does not say which (unpin: one class,
 * several functions, probed at entry). cbs (may be NULL) names the
 * callbacks, those discovery found included.
 */
const char *ntf_traced_func(const struct ntf_callbacks *cbs, const struct ntf_event *e);

#endif
