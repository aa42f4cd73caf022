/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* /proc/kallsyms: does a function exist, and what is at an address. */
#ifndef NTF_KSYMS_H
#define NTF_KSYMS_H

#include <linux/types.h>

struct ntf_ksym {
	__u64 addr;
	const char *name;
	const char *module; /* NULL for vmlinux */
};

struct ntf_ksyms;

/* path NULL means /proc/kallsyms; tests pass a file of their own. */
struct ntf_ksyms *ntf_ksyms_load(const char *path);
void ntf_ksyms_free(struct ntf_ksyms *ks);
const struct ntf_ksym *ntf_ksyms_by_name(const struct ntf_ksyms *ks, const char *name);
/* The symbol at or below addr; NULL when addresses are hidden (kptr_restrict). */
const struct ntf_ksym *ntf_ksyms_by_addr(const struct ntf_ksyms *ks, __u64 addr);

#endif
