// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What a file's META means to this process: the driver names its reports
 * use, the probes that fed each class, the wall-clock time of an event.
 * notifier report, notifier hist --input and notifier-top --replay read a
 * file through these, so the three say the same of it.
 */
#include <string.h>
#include "callbacks.h"
#include "record.h"

__u32 ntf_rec_meta_apply_names(const struct ntf_rec_meta *m)
{
	__u32 differs = 0;

	for (unsigned int i = 0; i < m->ncallbacks; i++) {
		const struct ntf_rec_callback *cb = &m->callbacks[i];

		if (cb->id >= ntf_callback_first_discovered())
			ntf_driver_name_set(cb->id, cb->driver);
		else if (cb->id && strcmp(ntf_driver_name(cb->id), cb->driver) && !differs)
			differs = cb->id;
	}
	return differs;
}

void ntf_rec_meta_probe_states(const struct ntf_rec_meta *m, struct ntf_probe_state *st)
{
	memset(st, 0, NTF_PROBE_MAX * sizeof(*st));
	for (unsigned int i = 0; i < ntf_probe_count; i++) {
		st[i].point = &ntf_probe_points[i];
		for (unsigned int k = 0; k < m->nprobes; k++) {
			if (strcmp(m->probes[k].id, ntf_probe_points[i].id))
				continue;
			st[i].attached = m->probes[k].attached;
			st[i].mech = m->probes[k].mech < NTF_MECH_MAX ? m->probes[k].mech : 0;
		}
	}
}

double ntf_rec_meta_wall_s(const struct ntf_rec_meta *m, __u64 ts_ns)
{
	/* signed: an event may be older than the writer's start */
	return (m->wall_ns + (double)(__s64)(ts_ns - m->mono_ns)) / 1e9;
}
