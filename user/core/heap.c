// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <malloc.h>
#include "heap.h"

void ntf_heap_setup(void)
{
	/* glibc's default, but set: a threshold set is no longer raised */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
}
