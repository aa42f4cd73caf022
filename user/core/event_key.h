/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * An event's in-kernel histogram key, made in user space as BPF's
 * aggregate_event (bpf/notifier_common.bpf.h) makes it under a config, and
 * the config's filters as BPF applies them: an event read from a trace
 * file then lands where the kernel would have counted it live.
 */
#ifndef NTF_EVENT_KEY_H
#define NTF_EVENT_KEY_H

#include <stdbool.h>
#include <linux/types.h>
#include "notifier.h"

/*
 * Class and callback always; the tgid with per_process, the origin with
 * by_origin (NTF_ORIGIN_MAX without), the cgroup and the blockable split
 * with by_cgroup and by_blockable.
 */
struct ntf_hist_key ntf_event_hist_key(const struct ntf_config *cfg, const struct ntf_event *e);
/* Whether cfg's process (tgid) and cgroup filters keep e. */
bool ntf_config_keeps(const struct ntf_config *cfg, const struct ntf_event *e);

#endif
