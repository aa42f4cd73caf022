// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <linux/types.h>
#include "event_key.h"
#include "hist_key.h"

struct ntf_hist_key ntf_event_hist_key(const struct ntf_config *cfg, const struct ntf_event *e)
{
	struct ntf_hist_key k = {
		.class = e->class,
		.callback = e->callback,
		.tgid = cfg->per_process ? e->tgid : 0,
		/* the event's origin is the one BPF gives: both run bpf/origin.h */
		.origin = cfg->by_origin ? e->origin : NTF_ORIGIN_MAX,
	};

	if (cfg->by_cgroup)
		k.cgroup_id = e->cgroup_id;
	if (cfg->by_blockable)
		k.blockable = ntf_blockable_key(e);
	return k;
}

bool ntf_config_keeps(const struct ntf_config *cfg, const struct ntf_event *e)
{
	return (!cfg->tgid || e->tgid == cfg->tgid) &&
	       (!cfg->cgroup_id || e->cgroup_id == cfg->cgroup_id);
}
