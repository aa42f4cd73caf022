/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * User space's half of the registration watch (struct ntf_pending in
 * notifier.h): tells BPF which callbacks have probes, reads how many calls
 * each made unseen, and retires the watch's entries once they are settled.
 */
#ifndef NTF_CALLBACK_WATCH_H
#define NTF_CALLBACK_WATCH_H

#include "callback_attach.h"
#include "callback_set.h"

/* s's probe is on: its later registrations need no watch. */
void ntf_watch_attached(const struct ntf_callbacks_opts *o, struct ntf_callback *s);
/* s's probe is gone (its module left). */
void ntf_watch_detached(const struct ntf_callbacks_opts *o, const struct ntf_callback *s);
/* Reads the unseen calls into the set and retires settled entries. */
void ntf_watch_sweep(const struct ntf_callbacks_opts *o, struct ntf_callback_set *set);

#endif
