// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/syscall.h>
#include "decode.h"
#include "origin.h"

static unsigned int syscall_origin(int nr)
{
	switch (nr) {
	case __NR_mmap: return NTF_ORIGIN_MMAP;
	case __NR_mprotect:
	case __NR_pkey_mprotect: return NTF_ORIGIN_MPROTECT;
	case __NR_munmap:
	case __NR_shmdt: return NTF_ORIGIN_MUNMAP;
	case __NR_brk: return NTF_ORIGIN_BRK;
	case __NR_mremap: return NTF_ORIGIN_MREMAP;
	case __NR_madvise:
	case __NR_process_madvise: return NTF_ORIGIN_MADVISE;
#ifdef __NR_fork /* not on arm64 and riscv: clone does it */
	case __NR_fork:
#endif
#ifdef __NR_vfork
	case __NR_vfork:
#endif
	case __NR_clone:
	case __NR_clone3: return NTF_ORIGIN_FORK;
	case __NR_exit:
	case __NR_exit_group: return NTF_ORIGIN_EXIT;
	case __NR_migrate_pages:
	case __NR_move_pages:
	case __NR_mbind: return NTF_ORIGIN_MIGRATION;
	}
	return NTF_ORIGIN_SYSCALL;
}

static __u8 syscall_origins[NTF_SYSCALL_ORIGINS];

/* Filled before main: the decoder reads it for every event, with no check. */
__attribute__((constructor)) static void fill_syscall_origins(void)
{
	for (int nr = 0; nr < NTF_SYSCALL_ORIGINS; nr++)
		syscall_origins[nr] = syscall_origin(nr);
}

const __u8 *ntf_syscall_origins(void)
{
	return syscall_origins;
}

unsigned int ntf_classify_origin(const struct ntf_event *e)
{
	return ntf_origin_of(e, syscall_origins);
}

int ntf_decode(const void *data, size_t size, struct ntf_event *out)
{
	if (size != sizeof(*out))
		return -EINVAL;
	memcpy(out, data, sizeof(*out));
	if (out->class == NTF_CLASS_NONE || out->class >= NTF_CLASS_MAX)
		return -EINVAL;
	if (out->mech == NTF_MECH_NONE || out->mech >= NTF_MECH_MAX)
		return -EINVAL;
	out->comm[NTF_COMM_LEN - 1] = '\0';
	out->origin = ntf_classify_origin(out);
	return 0;
}
