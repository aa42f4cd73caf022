/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What started an event: the one classifier both sides run. BPF runs it
 * to key its histograms by origin, user space on every streamed event, so
 * `notifier hist` and the stream cannot disagree. Like notifier.h it needs
 * neither vmlinux.h nor libc.
 *
 * Syscall numbers are the architecture's: user space turns them into
 * origins once (ntf_syscall_origins() in user/core/decode.c) and BPF gets
 * the table in its config.
 */
#ifndef NTF_ORIGIN_H
#define NTF_ORIGIN_H

#include "notifier.h"

/* enum mmu_notifier_event, stable since 5.x */
#define NTF_MMU_NOTIFY_PROTECTION_VMA 2
#define NTF_MMU_NOTIFY_MIGRATE 6

static inline int ntf_comm_starts(const char *comm, const char *prefix)
{
	for (int i = 0; i < NTF_COMM_LEN; i++) {
		if (!prefix[i])
			return 1;
		if (comm[i] != prefix[i])
			return 0;
	}
	return 1;
}

/* Kernel threads say what they are by name only. */
static inline __u32 ntf_kthread_origin(const char *comm)
{
	if (ntf_comm_starts(comm, "kswapd"))
		return NTF_ORIGIN_KSWAPD;
	if (ntf_comm_starts(comm, "kcompactd"))
		return NTF_ORIGIN_KCOMPACTD;
	if (ntf_comm_starts(comm, "khugepaged"))
		return NTF_ORIGIN_KHUGEPAGED;
	if (ntf_comm_starts(comm, "oom_reaper"))
		return NTF_ORIGIN_OOM_REAPER;
	if (ntf_comm_starts(comm, "kworker"))
		return NTF_ORIGIN_KWORKER;
	if (ntf_comm_starts(comm, "migration/"))
		return NTF_ORIGIN_MIGRATION;
	return NTF_ORIGIN_KTHREAD;
}

/* ntf_origin_of's rules in their order, for what its first test leaves. */
static inline __u32 ntf_origin_by_rules(const struct ntf_event *e, const __u8 *syscall_origins)
{
	int is_range = ntf_class_is_invalidate(e->class);

	if (e->flags & NTF_F_KSWAPD)
		return NTF_ORIGIN_KSWAPD;
	if (e->flags & NTF_F_KTHREAD)
		return ntf_kthread_origin(e->comm);
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
		if (is_range && e->range.event == NTF_MMU_NOTIFY_PROTECTION_VMA)
			return NTF_ORIGIN_UNKNOWN;
		return NTF_ORIGIN_FAULT;
	}
	if (is_range && e->range.event == NTF_MMU_NOTIFY_MIGRATE)
		return NTF_ORIGIN_MIGRATION;
	if (e->syscall_nr < 0)
		return NTF_ORIGIN_UNKNOWN;
	if (e->syscall_nr >= NTF_SYSCALL_ORIGINS)
		return NTF_ORIGIN_SYSCALL;
	return syscall_origins[e->syscall_nr];
}

/*
 * e's flags, syscall_nr, comm (kernel threads only), class and range
 * event are read; syscall_origins has NTF_SYSCALL_ORIGINS entries.
 */
static inline __u32 ntf_origin_of(const struct ntf_event *e, const __u8 *syscall_origins)
{
	/*
	 * Most events: a user thread in a syscall that migrates nothing,
	 * answered by the rules' last line in three tests where they take
	 * seven.
	 */
	if (!(e->flags & (NTF_F_KSWAPD | NTF_F_KTHREAD | NTF_F_MEMALLOC | NTF_F_EXITING)) &&
	    (__u32)e->syscall_nr < NTF_SYSCALL_ORIGINS &&
	    !(ntf_class_is_invalidate(e->class) & (e->range.event == NTF_MMU_NOTIFY_MIGRATE)))
		return syscall_origins[e->syscall_nr];
	return ntf_origin_by_rules(e, syscall_origins);
}

#endif /* NTF_ORIGIN_H */
