// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "callbacks.h"

#define KNOWN ntf_known_callback_count

/*
 * Names of discovered ids in this process, by id - KNOWN - 1: set where
 * discovery runs and where a daemon's client learns them.
 */
static char discovered_names[NTF_MAX_DISCOVERED][NTF_DRIVER_LEN];
/* Their callbacks' symbols (kallsyms names are at most 127 bytes on 6.1; cut beyond) */
static char discovered_funcs[NTF_MAX_DISCOVERED][128];
static __u64 names_gen = 1;

const char *ntf_driver_name(__u32 id)
{
	const char *name;

	if (!id)
		return "chain";
	if (id <= KNOWN)
		return ntf_known_callbacks[id - 1].driver;
	name = ntf_discovered_driver_name(id);
	return name ? name : "unknown";
}

int ntf_driver_name_set(__u32 id, const char *driver)
{
	if (id <= KNOWN || id >= ntf_callback_id_end())
		return -EINVAL;
	snprintf(discovered_names[id - KNOWN - 1], NTF_DRIVER_LEN, "%s", driver);
	names_gen++;
	return 0;
}

int ntf_discovered_func_set(__u32 id, const char *func)
{
	if (id <= KNOWN || id >= ntf_callback_id_end())
		return -EINVAL;
	snprintf(discovered_funcs[id - KNOWN - 1], sizeof(discovered_funcs[0]), "%s", func);
	names_gen++;
	return 0;
}

const char *ntf_discovered_func(__u32 id)
{
	if (id <= KNOWN || id >= ntf_callback_id_end() || !discovered_funcs[id - KNOWN - 1][0])
		return NULL;
	return discovered_funcs[id - KNOWN - 1];
}

const char *ntf_callback_func(__u32 id)
{
	if (!id)
		return NULL;
	if (id <= KNOWN)
		return ntf_known_callbacks[id - 1].func;
	return ntf_discovered_func(id);
}

const char *ntf_discovered_driver_name(__u32 id)
{
	if (id <= KNOWN || id >= ntf_callback_id_end() || !discovered_names[id - KNOWN - 1][0])
		return NULL;
	return discovered_names[id - KNOWN - 1];
}

__u64 ntf_driver_names_gen(void)
{
	return names_gen;
}

__u32 ntf_callback_first_discovered(void)
{
	return KNOWN + 1;
}

__u32 ntf_callback_id_end(void)
{
	return KNOWN + 1 + NTF_MAX_DISCOVERED;
}

__u32 ntf_callback_id(const char *driver)
{
	for (unsigned int i = 0; i < KNOWN; i++)
		if (!strcmp(ntf_known_callbacks[i].driver, driver))
			return i + 1;
	for (unsigned int i = 0; i < NTF_MAX_DISCOVERED; i++)
		if (!strcmp(discovered_names[i], driver))
			return KNOWN + 1 + i;
	return 0;
}
