/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * One event as a JSON object, as `notifier report --events -j` prints it
 * and a policy alert carries it: every field, named, the class's own
 * ones in an object of their own, kernel pointers in hex.
 */
#ifndef NTF_EVENT_JSON_H
#define NTF_EVENT_JSON_H

#include <jansson.h>
#include <linux/types.h>
#include "notifier.h"
#include "record.h"

/* e, at wall-clock seconds wall (since the epoch); its stack is the caller's to add. */
json_t *ntf_event_json(const struct ntf_event *e, double wall);
/* A kernel stack, innermost frame first: [{"addr", "func", "offset", "module"?}...]. */
json_t *ntf_frames_json(const struct ntf_rec_frame *frames, int n);

#endif
