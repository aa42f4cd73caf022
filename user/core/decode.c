// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/syscall.h>
#include "decode.h"

/* enum mmu_notifier_event, stable since 5.x */
#define MMU_NOTIFY_PROTECTION_VMA 2
#define MMU_NOTIFY_MIGRATE 6

static bool comm_starts(const struct ntf_event *e, const char *prefix)
{
	return !strncmp(e->comm, prefix, strlen(prefix));
}

static unsigned int kthread_origin(const struct ntf_event *e)
{
	if (comm_starts(e, "kswapd"))
		return NTF_ORIGIN_KSWAPD;
	if (comm_starts(e, "kcompactd"))
		return NTF_ORIGIN_KCOMPACTD;
	if (comm_starts(e, "khugepaged"))
		return NTF_ORIGIN_KHUGEPAGED;
	if (comm_starts(e, "oom_reaper"))
		return NTF_ORIGIN_OOM_REAPER;
	if (comm_starts(e, "kworker"))
		return NTF_ORIGIN_KWORKER;
	if (comm_starts(e, "migration/"))
		return NTF_ORIGIN_MIGRATION;
	return NTF_ORIGIN_KTHREAD;
}

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

unsigned int ntf_classify_origin(const struct ntf_event *e)
{
	bool is_range = e->class == NTF_CLASS_INVAL_START || e->class == NTF_CLASS_INVAL_END;

	if (e->flags & NTF_F_KSWAPD)
		return NTF_ORIGIN_KSWAPD;
	if (e->flags & NTF_F_KTHREAD)
		return kthread_origin(e);
	if (e->flags & NTF_F_MEMALLOC)
		return NTF_ORIGIN_DIRECT_RECLAIM;
	if (e->flags & NTF_F_EXITING)
		return NTF_ORIGIN_EXIT;
	if (e->syscall_nr == NTF_ENTRY_EXCEPTION) {
		/*
		 * A fault: copy-on-write (CLEAR), a THP split, a NUMA-hinting
		 * fault that migrates (MIGRATE). PROTECTION_VMA comes from no
		 * fault: in this context it is the NUMA scan's task work, run
		 * on the way back to user space after an interrupt.
		 */
		if (is_range && e->range.event == MMU_NOTIFY_PROTECTION_VMA)
			return NTF_ORIGIN_UNKNOWN;
		return NTF_ORIGIN_FAULT;
	}
	if (is_range && e->range.event == MMU_NOTIFY_MIGRATE)
		return NTF_ORIGIN_MIGRATION;
	if (e->syscall_nr < 0)
		return NTF_ORIGIN_UNKNOWN;
	return syscall_origin(e->syscall_nr);
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
