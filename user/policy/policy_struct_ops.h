/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The struct_ops backend of BPF policy ops: the companion module's type
 * (kmod/notifier_policy, 6.9 and later), found in its BTF; a policy's
 * programs loaded as its members; a struct_ops map made of them, attached
 * through a link that a later policy swaps atomically (BPF_LINK_UPDATE).
 * libbpf 1.1 knows no struct_ops type of a module, so the map and the
 * link are made here, by the system calls themselves.
 */
#ifndef NTF_POLICY_STRUCT_OPS_H
#define NTF_POLICY_STRUCT_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "notifier.h"

/* The module's type as its BTF describes it. */
struct ntf_struct_ops_type {
	int btf_fd; /* the module's BTF object */
	__u32 ops_id; /* struct notifier_policy_ops: the programs' attach_btf_id */
	__u32 value_id; /* struct bpf_struct_ops_notifier_policy_ops: the map's value */
	__u32 value_size;
	__u32 data_off; /* of the ops within the value */
	__u32 gen_off; /* of generation within the ops */
	/* by class: the member's index (its programs' expected_attach_type) and offset */
	int member[NTF_CLASS_MAX];
	__u32 member_off[NTF_CLASS_MAX];
};

/* Whether the module has registered its type here (its BTF holds the map's value). */
bool ntf_struct_ops_registered(void);
/* The module's type, found; or a negative errno with why. Closed by ntf_struct_ops_type_close. */
int ntf_struct_ops_type_open(struct ntf_struct_ops_type *t, char *why, size_t why_len);
void ntf_struct_ops_type_close(struct ntf_struct_ops_type *t);

/*
 * A struct_ops map of the programs (prog_fd by class, -1: none), ready
 * for a link: btf_fd is the policy object's BTF, generation what the
 * module stamps on the answers. The map's fd, or a negative errno.
 */
int ntf_struct_ops_map(const struct ntf_struct_ops_type *t, int btf_fd,
		       const int prog_fd[NTF_CLASS_MAX], __u32 generation);
/* The map attached: the link's fd, or a negative errno (-EBUSY: another is attached). */
int ntf_struct_ops_attach(int map_fd);
/* The link's map swapped for map_fd, atomically: 0 or a negative errno. */
int ntf_struct_ops_swap(int link_fd, int map_fd, int old_map_fd);

#endif
