/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Tells the probes where the in-flight slots of kprobe entries are
 * (struct ntf_slot_places): the probes that read another class's slot
 * look in the inflight hash only for the slots named here.
 */
#ifndef NTF_SLOT_PLACES_H
#define NTF_SLOT_PLACES_H

#include <stdbool.h>
#include <linux/types.h>

struct ntf_probe_state;

/*
 * Adds hash_slots (1 << slot each) and, when set, mirror to the places
 * map fd holds. 0, or a negative errno.
 */
int ntf_slot_places_add(int fd, __u32 hash_slots, bool mirror);

/*
 * What the attached probe points need of the places map
 * (ntf_slot_places_add); nothing when kprobes use task storage too.
 */
void ntf_slot_places_of_points(const struct ntf_probe_state *states, bool kprobe_task_slots,
			       __u32 *hash_slots, bool *mirror);

/* Whether this kernel lets kprobe programs use task storage (6.2 on). */
bool ntf_kprobes_have_task_storage(void);

#endif
