// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include "names.h"

#define NAME_OR(table, i, fallback) \
	((i) < sizeof(table) / sizeof(table[0]) && table[i] ? table[i] : (fallback))

static const char *const class_names[NTF_CLASS_MAX] = {
	[NTF_CLASS_INVAL_START] = "inval_start",
	[NTF_CLASS_INVAL_END] = "inval_end",
	[NTF_CLASS_UNMAP] = "unmap",
	[NTF_CLASS_PIN] = "pin",
	[NTF_CLASS_UNPIN] = "unpin",
	[NTF_CLASS_FENCE_WAIT] = "fence_wait",
	[NTF_CLASS_CALLBACK] = "callback",
};

static const char *const mech_names[NTF_MECH_MAX] = {
	[NTF_MECH_NONE] = "none",
	[NTF_MECH_FENTRY] = "fentry",
	[NTF_MECH_KPROBE] = "kprobe",
	[NTF_MECH_TRACEPOINT] = "tracepoint",
};

static const char *const origin_names[NTF_ORIGIN_MAX] = {
	[NTF_ORIGIN_UNKNOWN] = "unknown",
	[NTF_ORIGIN_MUNMAP] = "munmap",
	[NTF_ORIGIN_MPROTECT] = "mprotect",
	[NTF_ORIGIN_MADVISE] = "madvise",
	[NTF_ORIGIN_MREMAP] = "mremap",
	[NTF_ORIGIN_MMAP] = "mmap",
	[NTF_ORIGIN_BRK] = "brk",
	[NTF_ORIGIN_FORK] = "fork",
	[NTF_ORIGIN_EXIT] = "exit",
	[NTF_ORIGIN_FAULT] = "fault",
	[NTF_ORIGIN_SYSCALL] = "syscall",
	[NTF_ORIGIN_KSWAPD] = "kswapd",
	[NTF_ORIGIN_DIRECT_RECLAIM] = "direct_reclaim",
	[NTF_ORIGIN_KCOMPACTD] = "kcompactd",
	[NTF_ORIGIN_KHUGEPAGED] = "khugepaged",
	[NTF_ORIGIN_MIGRATION] = "migration",
	[NTF_ORIGIN_OOM_REAPER] = "oom_reaper",
	[NTF_ORIGIN_KWORKER] = "kworker",
	[NTF_ORIGIN_KTHREAD] = "kthread",
};

/* enum mmu_notifier_event, stable since 5.x. */
static const char *const mmu_event_names[] = {
	"unmap",      "clear",	 "protection_vma", "protection_page",
	"soft_dirty", "release", "migrate",	   "exclusive",
};

static const char *const pin_variant_names[NTF_PIN_VARIANT_MAX] = {
	[NTF_PIN_USER_PAGES] = "pin_user_pages",
	[NTF_PIN_USER_PAGES_FAST] = "pin_user_pages_fast",
	[NTF_PIN_USER_PAGES_FAST_ONLY] = "pin_user_pages_fast_only",
	[NTF_PIN_USER_PAGES_REMOTE] = "pin_user_pages_remote",
	[NTF_PIN_USER_PAGES_UNLOCKED] = "pin_user_pages_unlocked",
};

const char *ntf_class_name(unsigned int class)
{
	return NAME_OR(class_names, class, "unknown");
}

unsigned int ntf_class_from_name(const char *name)
{
	for (unsigned int i = 1; i < NTF_CLASS_MAX; i++)
		if (!strcmp(class_names[i], name))
			return i;
	return NTF_CLASS_NONE;
}

int ntf_parse_class_list(const char *arg, unsigned int *mask, char *why, size_t len)
{
	char *copy = strdup(arg), *save = NULL, *tok;
	int err = 0;

	if (!copy)
		return -ENOMEM;
	*mask = 0;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned int c = ntf_class_from_name(tok);

		if (c == NTF_CLASS_NONE) {
			snprintf(why, len, "unknown event class '%s'", tok);
			err = -EINVAL;
			break;
		}
		*mask |= 1u << c;
	}
	free(copy);
	if (!err && !*mask) {
		snprintf(why, len, "empty list of event classes");
		err = -EINVAL;
	}
	return err;
}

const char *ntf_mech_name(unsigned int mech)
{
	return NAME_OR(mech_names, mech, "unknown");
}

const char *ntf_origin_name(unsigned int origin)
{
	return NAME_OR(origin_names, origin, "unknown");
}

unsigned int ntf_origin_from_name(const char *name)
{
	for (unsigned int i = 0; i < NTF_ORIGIN_MAX; i++)
		if (origin_names[i] && !strcmp(origin_names[i], name))
			return i;
	return NTF_ORIGIN_MAX;
}

const char *ntf_mmu_event_name(unsigned int event)
{
	return NAME_OR(mmu_event_names, event, "unknown");
}

const char *ntf_pin_variant_name(unsigned int variant)
{
	return NAME_OR(pin_variant_names, variant, "unknown");
}

const char *ntf_syscall_name(int nr)
{
	switch (nr) {
	case __NR_mmap: return "mmap";
	case __NR_mprotect: return "mprotect";
	case __NR_munmap: return "munmap";
	case __NR_brk: return "brk";
	case __NR_mremap: return "mremap";
	case __NR_madvise: return "madvise";
	case __NR_clone: return "clone";
#ifdef __NR_fork /* not on arm64 and riscv: clone does it */
	case __NR_fork: return "fork";
#endif
#ifdef __NR_vfork
	case __NR_vfork: return "vfork";
#endif
	case __NR_exit: return "exit";
	case __NR_shmdt: return "shmdt";
	case __NR_exit_group: return "exit_group";
	case __NR_mbind: return "mbind";
	case __NR_migrate_pages: return "migrate_pages";
	case __NR_move_pages: return "move_pages";
	case __NR_pkey_mprotect: return "pkey_mprotect";
	case __NR_io_uring_setup: return "io_uring_setup";
	case __NR_io_uring_enter: return "io_uring_enter";
	case __NR_io_uring_register: return "io_uring_register";
	case __NR_clone3: return "clone3";
	case __NR_process_madvise: return "process_madvise";
	case __NR_process_mrelease: return "process_mrelease";
	default: return NULL;
	}
}
