// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "notifier.h"
#include "probe_points.h"
#include "slot_places.h"

int ntf_slot_places_add(int fd, __u32 hash_slots, bool mirror)
{
	struct ntf_slot_places p = {};
	__u32 zero = 0;

	if (!hash_slots && !mirror)
		return 0;
	/* one writer, the tracer's own thread: read, add, write back */
	if (bpf_map_lookup_elem(fd, &zero, &p))
		return -errno;
	p.hash_slots |= hash_slots;
	p.mirror |= mirror;
	return bpf_map_update_elem(fd, &zero, &p, BPF_ANY) ? -errno : 0;
}

/* The classes whose exit probes read other classes' slots. */
static bool reads_other_slots(unsigned int class)
{
	switch (class) {
	case NTF_CLASS_INVAL_START: /* the unmap it is charged to */
	case NTF_CLASS_INVAL_END:
	case NTF_CLASS_UNMAP: /* the invalidate and callback it is nested in */
	case NTF_CLASS_PIN:
	case NTF_CLASS_UNPIN:
	case NTF_CLASS_FENCE_WAIT: return true;
	default: return false;
	}
}

void ntf_slot_places_of_points(const struct ntf_probe_state *states, bool kprobe_task_slots,
			       __u32 *hash_slots, bool *mirror)
{
	*hash_slots = 0;
	*mirror = false;
	if (kprobe_task_slots)
		return;
	for (unsigned int i = 0; i < ntf_probe_count; i++) {
		const struct ntf_probe_state *st = &states[i];

		if (!st->attached || st->mech != NTF_MECH_KPROBE)
			continue;
		/* registrations read only their own slots */
		if (st->point->class != NTF_CLASS_NONE)
			*hash_slots |= 1u << st->point->class;
		/* a kprobe cannot read task storage before 6.2: give it copies */
		if (reads_other_slots(st->point->class))
			*mirror = true;
	}
}

bool ntf_kprobes_have_task_storage(void)
{
	return libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_task_storage_get, NULL) == 1;
}
