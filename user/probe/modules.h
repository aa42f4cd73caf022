/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Which kernel modules are live, from /proc/modules, to notice loads and unloads cheaply. */
#ifndef NTF_MODULES_H
#define NTF_MODULES_H

#include <stdbool.h>

/*
 * The names of the live modules as " name1 name2 ... ", so that each can
 * be found as " name "; NULL when out of memory. path NULL means
 * /proc/modules. A module still loading is left out: its symbols are in
 * kallsyms already, but a probe placed before it goes live may never fire.
 */
char *ntf_modules_read(const char *path);
/* Whether module is in a list ntf_modules_read returned. */
bool ntf_module_live(const char *modules, const char *module);

#endif
