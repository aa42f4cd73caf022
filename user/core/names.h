/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Names users see for the enums of notifier.h, and their reverse lookups. */
#ifndef NTF_NAMES_H
#define NTF_NAMES_H

#include <stddef.h>
#include <linux/types.h>
#include "notifier.h"

const char *ntf_class_name(unsigned int class);
/* Returns the class for a name, or NTF_CLASS_NONE when unknown. */
unsigned int ntf_class_from_name(const char *name);
/*
 * "inval_start,fence_wait" to a mask of 1 << class: 0, or -EINVAL with
 * why[len] naming the unknown class (or saying the list is empty).
 */
int ntf_parse_class_list(const char *arg, unsigned int *mask, char *why, size_t len);
const char *ntf_mech_name(unsigned int mech);
const char *ntf_origin_name(unsigned int origin);
/* Returns the origin for a name, or NTF_ORIGIN_MAX when unknown ("unknown" is one). */
unsigned int ntf_origin_from_name(const char *name);
const char *ntf_mmu_event_name(unsigned int event);
const char *ntf_pin_variant_name(unsigned int variant);
/*
 * Names of the syscalls that reach the notifier path, by the numbers of
 * the ABI this is built for (<sys/syscall.h>): the traced tasks' own.
 */
const char *ntf_syscall_name(int nr);

#endif
