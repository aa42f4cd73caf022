// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <cmocka.h>
#include "decode.h"
#include "names.h"

#define MMU_NOTIFY_UNMAP 0
#define MMU_NOTIFY_CLEAR 1
#define MMU_NOTIFY_PROTECTION_VMA 2
#define MMU_NOTIFY_MIGRATE 6

/* A record as BPF would write it: a user task in madvise(). */
static struct ntf_event valid_event(void)
{
	struct ntf_event e;

	memset(&e, 0, sizeof(e));
	e.class = NTF_CLASS_INVAL_START;
	e.mech = NTF_MECH_FENTRY;
	e.pid = e.tgid = 4242;
	e.latency_ns = 1234;
	e.syscall_nr = __NR_madvise;
	strcpy(e.comm, "worker");
	return e;
}

static void rejects_wrong_sizes(void **state)
{
	unsigned char buf[sizeof(struct ntf_event) + 8];
	struct ntf_event e = valid_event(), out;

	(void)state;
	memset(buf, 0, sizeof(buf));
	memcpy(buf, &e, sizeof(e));
	assert_int_equal(ntf_decode(buf, sizeof(e) - 1, &out), -EINVAL);
	assert_int_equal(ntf_decode(buf, sizeof(e) - 8, &out), -EINVAL);
	assert_int_equal(ntf_decode(buf, 0, &out), -EINVAL);
	assert_int_equal(ntf_decode(buf, sizeof(e) + 1, &out), -EINVAL);
	assert_int_equal(ntf_decode(buf, sizeof(e) + 8, &out), -EINVAL);
	/* the same bytes at the right size are fine: size was the only fault */
	assert_int_equal(ntf_decode(buf, sizeof(e), &out), 0);
}

static void rejects_bad_class(void **state)
{
	struct ntf_event e = valid_event(), out;

	(void)state;
	e.class = NTF_CLASS_NONE;
	assert_int_equal(ntf_decode(&e, sizeof(e), &out), -EINVAL);
	e.class = NTF_CLASS_MAX;
	assert_int_equal(ntf_decode(&e, sizeof(e), &out), -EINVAL);
	e.class = 0xffff;
	assert_int_equal(ntf_decode(&e, sizeof(e), &out), -EINVAL);
	for (unsigned int c = NTF_CLASS_INVAL_START; c < NTF_CLASS_MAX; c++) {
		e.class = c;
		assert_int_equal(ntf_decode(&e, sizeof(e), &out), 0);
		assert_int_equal(out.class, c);
	}
}

static void rejects_bad_mech(void **state)
{
	struct ntf_event e = valid_event(), out;

	(void)state;
	e.mech = NTF_MECH_NONE;
	assert_int_equal(ntf_decode(&e, sizeof(e), &out), -EINVAL);
	e.mech = NTF_MECH_MAX;
	assert_int_equal(ntf_decode(&e, sizeof(e), &out), -EINVAL);
	e.mech = 0xff;
	assert_int_equal(ntf_decode(&e, sizeof(e), &out), -EINVAL);
	for (unsigned int m = NTF_MECH_FENTRY; m < NTF_MECH_MAX; m++) {
		e.mech = m;
		assert_int_equal(ntf_decode(&e, sizeof(e), &out), 0);
		assert_int_equal(out.mech, m);
	}
}

static void accepts_valid_and_terminates_comm(void **state)
{
	struct ntf_event e = valid_event(), out;

	(void)state;
	/* BPF copies comm with bpf_get_current_comm; never trust the NUL */
	memset(e.comm, 'A', sizeof(e.comm));
	memset(&out, 0x5a, sizeof(out));
	assert_int_equal(ntf_decode(&e, sizeof(e), &out), 0);
	assert_int_equal(out.comm[NTF_COMM_LEN - 1], '\0');
	assert_int_equal(strlen(out.comm), NTF_COMM_LEN - 1);
	assert_int_equal(out.tgid, 4242);
	assert_int_equal(out.latency_ns, 1234);
	/* origin is filled in by decode, not taken from the record */
	assert_int_equal(out.origin, NTF_ORIGIN_MADVISE);
}

static void origin_kswapd_flag(void **state)
{
	struct ntf_event e = valid_event();

	(void)state;
	e.flags = NTF_F_KSWAPD | NTF_F_KTHREAD | NTF_F_MEMALLOC;
	e.syscall_nr = NTF_ENTRY_UNKNOWN;
	strcpy(e.comm, "kswapd0");
	assert_int_equal(ntf_classify_origin(&e), NTF_ORIGIN_KSWAPD);
	/* the flag decides, not the name */
	strcpy(e.comm, "renamed");
	assert_int_equal(ntf_classify_origin(&e), NTF_ORIGIN_KSWAPD);
}

static void origin_kthread_comms(void **state)
{
	static const struct {
		const char *comm;
		unsigned int origin;
	} cases[] = {
		{ "kcompactd0", NTF_ORIGIN_KCOMPACTD },	 { "khugepaged", NTF_ORIGIN_KHUGEPAGED },
		{ "oom_reaper", NTF_ORIGIN_OOM_REAPER }, { "kworker/0:1", NTF_ORIGIN_KWORKER },
		{ "kworker/u8:3", NTF_ORIGIN_KWORKER },	 { "ksoftirqd/0", NTF_ORIGIN_KTHREAD },
	};
	struct ntf_event e = valid_event();

	(void)state;
	e.flags = NTF_F_KTHREAD;
	e.syscall_nr = NTF_ENTRY_UNKNOWN;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		strcpy(e.comm, cases[i].comm);
		assert_int_equal(ntf_classify_origin(&e), cases[i].origin);
	}
	/* a user task may call itself "khugepaged": only kthreads go by comm */
	e.flags = 0;
	e.syscall_nr = __NR_munmap;
	strcpy(e.comm, "khugepaged");
	assert_int_equal(ntf_classify_origin(&e), NTF_ORIGIN_MUNMAP);
}

static void origin_task_state(void **state)
{
	struct ntf_event e = valid_event();

	(void)state;
	e.flags = NTF_F_MEMALLOC;
	assert_int_equal(ntf_classify_origin(&e), NTF_ORIGIN_DIRECT_RECLAIM);
	e.flags = NTF_F_EXITING;
	assert_int_equal(ntf_classify_origin(&e), NTF_ORIGIN_EXIT);
	/* no flags: the syscall (madvise) decides */
	e.flags = 0;
	assert_int_equal(ntf_classify_origin(&e), NTF_ORIGIN_MADVISE);
	e.syscall_nr = NTF_ENTRY_UNKNOWN;
	assert_int_equal(ntf_classify_origin(&e), NTF_ORIGIN_UNKNOWN);
}

static void origin_syscalls(void **state)
{
	static const struct {
		int nr;
		unsigned int origin;
	} cases[] = {
		{ __NR_munmap, NTF_ORIGIN_MUNMAP },   { __NR_mprotect, NTF_ORIGIN_MPROTECT },
		{ __NR_madvise, NTF_ORIGIN_MADVISE }, { __NR_mremap, NTF_ORIGIN_MREMAP },
		{ __NR_exit_group, NTF_ORIGIN_EXIT },
#ifdef __NR_fork
		{ __NR_fork, NTF_ORIGIN_FORK },
#endif
		{ __NR_mmap, NTF_ORIGIN_MMAP },	      { __NR_brk, NTF_ORIGIN_BRK },
		{ __NR_read, NTF_ORIGIN_SYSCALL },    { __NR_io_uring_enter, NTF_ORIGIN_SYSCALL },
	};
	struct ntf_event e = valid_event();

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		e.syscall_nr = cases[i].nr;
		assert_int_equal(ntf_classify_origin(&e), cases[i].origin);
	}
}

/* Each syscall the origin knows, and its name, by the macros of <sys/syscall.h>. */
static void syscall_names_and_origins(void **state)
{
	static const struct {
		int nr;
		const char *name;
		unsigned int origin;
	} cases[] = {
		{ __NR_mmap, "mmap", NTF_ORIGIN_MMAP },
		{ __NR_mprotect, "mprotect", NTF_ORIGIN_MPROTECT },
		{ __NR_pkey_mprotect, "pkey_mprotect", NTF_ORIGIN_MPROTECT },
		{ __NR_munmap, "munmap", NTF_ORIGIN_MUNMAP },
		{ __NR_shmdt, "shmdt", NTF_ORIGIN_MUNMAP },
		{ __NR_brk, "brk", NTF_ORIGIN_BRK },
		{ __NR_mremap, "mremap", NTF_ORIGIN_MREMAP },
		{ __NR_madvise, "madvise", NTF_ORIGIN_MADVISE },
		{ __NR_process_madvise, "process_madvise", NTF_ORIGIN_MADVISE },
		{ __NR_clone, "clone", NTF_ORIGIN_FORK },
		{ __NR_clone3, "clone3", NTF_ORIGIN_FORK },
#ifdef __NR_fork
		{ __NR_fork, "fork", NTF_ORIGIN_FORK },
#endif
#ifdef __NR_vfork
		{ __NR_vfork, "vfork", NTF_ORIGIN_FORK },
#endif
		{ __NR_exit, "exit", NTF_ORIGIN_EXIT },
		{ __NR_exit_group, "exit_group", NTF_ORIGIN_EXIT },
		{ __NR_mbind, "mbind", NTF_ORIGIN_MIGRATION },
		{ __NR_migrate_pages, "migrate_pages", NTF_ORIGIN_MIGRATION },
		{ __NR_move_pages, "move_pages", NTF_ORIGIN_MIGRATION },
		{ __NR_io_uring_setup, "io_uring_setup", NTF_ORIGIN_SYSCALL },
		{ __NR_io_uring_enter, "io_uring_enter", NTF_ORIGIN_SYSCALL },
		{ __NR_io_uring_register, "io_uring_register", NTF_ORIGIN_SYSCALL },
		{ __NR_process_mrelease, "process_mrelease", NTF_ORIGIN_SYSCALL },
	};
	struct ntf_event e = valid_event();

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		e.syscall_nr = cases[i].nr;
		assert_string_equal(ntf_syscall_name(cases[i].nr), cases[i].name);
		assert_int_equal(ntf_classify_origin(&e), cases[i].origin);
	}
	assert_null(ntf_syscall_name(__NR_read));
	assert_null(ntf_syscall_name(-1));
}

/*
 * x86-64's exception entry leaves -1 where a syscall leaves its number:
 * a user task there is in a fault (the error code is not in orig_ax).
 */
static void origin_page_faults(void **state)
{
	struct ntf_event e = valid_event();

	(void)state;
	e.syscall_nr = NTF_ENTRY_EXCEPTION;
	/* copy-on-write after fork: the parent's write fault clears the PTE */
	e.range.event = MMU_NOTIFY_CLEAR;
	assert_int_equal(ntf_classify_origin(&e), NTF_ORIGIN_FAULT);
	e.class = NTF_CLASS_INVAL_END;
	assert_int_equal(ntf_classify_origin(&e), NTF_ORIGIN_FAULT);
	/* a NUMA-hinting fault that migrates the page: the fault caused it */
	e.range.event = MMU_NOTIFY_MIGRATE;
	assert_int_equal(ntf_classify_origin(&e), NTF_ORIGIN_FAULT);
	/* the NUMA scan's task work after an interrupt: no fault, not known */
	e.range.event = MMU_NOTIFY_PROTECTION_VMA;
	assert_int_equal(ntf_classify_origin(&e), NTF_ORIGIN_UNKNOWN);
	/* a driver's callback and an unmap inside the fault */
	e.class = NTF_CLASS_CALLBACK;
	assert_int_equal(ntf_classify_origin(&e), NTF_ORIGIN_FAULT);
	e.class = NTF_CLASS_UNMAP;
	assert_int_equal(ntf_classify_origin(&e), NTF_ORIGIN_FAULT);
	/* reclaim and exit still say what they are */
	e.flags = NTF_F_MEMALLOC;
	assert_int_equal(ntf_classify_origin(&e), NTF_ORIGIN_DIRECT_RECLAIM);
	e.flags = 0;
	/* syscall numbers that look like page-fault error codes are syscalls */
	e.syscall_nr = __NR_lstat; /* 6: USER|WRITE */
	assert_int_equal(ntf_classify_origin(&e), NTF_ORIGIN_SYSCALL);
	e.syscall_nr = __NR_poll; /* 7: USER|WRITE|PRESENT */
	assert_int_equal(ntf_classify_origin(&e), NTF_ORIGIN_SYSCALL);
}

static void origin_migrate_event(void **state)
{
	struct ntf_event e = valid_event();

	(void)state;
	e.range.event = MMU_NOTIFY_MIGRATE;
	assert_int_equal(ntf_classify_origin(&e), NTF_ORIGIN_MIGRATION);
	e.class = NTF_CLASS_INVAL_END;
	assert_int_equal(ntf_classify_origin(&e), NTF_ORIGIN_MIGRATION);
	e.range.event = MMU_NOTIFY_UNMAP;
	assert_int_equal(ntf_classify_origin(&e), NTF_ORIGIN_MADVISE);
	/* the union means something else for other classes */
	e.class = NTF_CLASS_PIN;
	e.range.event = MMU_NOTIFY_MIGRATE;
	assert_int_equal(ntf_classify_origin(&e), NTF_ORIGIN_MADVISE);
}

/* Numbers past the table, and negative ones not an entry's, at its edges. */
static void origin_syscall_number_bounds(void **state)
{
	struct ntf_event e = valid_event();

	(void)state;
	e.syscall_nr = NTF_SYSCALL_ORIGINS - 1;
	assert_int_equal(ntf_classify_origin(&e), ntf_syscall_origins()[NTF_SYSCALL_ORIGINS - 1]);
	e.syscall_nr = NTF_SYSCALL_ORIGINS;
	assert_int_equal(ntf_classify_origin(&e), NTF_ORIGIN_SYSCALL);
	e.syscall_nr = 0x7fffffff;
	assert_int_equal(ntf_classify_origin(&e), NTF_ORIGIN_SYSCALL);
	e.syscall_nr = -2;
	assert_int_equal(ntf_classify_origin(&e), NTF_ORIGIN_UNKNOWN);
	e.syscall_nr = -0x7fffffff - 1;
	assert_int_equal(ntf_classify_origin(&e), NTF_ORIGIN_UNKNOWN);
	/* a range that migrates, in a syscall past the table: still migration */
	e.range.event = MMU_NOTIFY_MIGRATE;
	e.syscall_nr = NTF_SYSCALL_ORIGINS;
	assert_int_equal(ntf_classify_origin(&e), NTF_ORIGIN_MIGRATION);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rejects_wrong_sizes),
		cmocka_unit_test(rejects_bad_class),
		cmocka_unit_test(rejects_bad_mech),
		cmocka_unit_test(accepts_valid_and_terminates_comm),
		cmocka_unit_test(origin_kswapd_flag),
		cmocka_unit_test(origin_kthread_comms),
		cmocka_unit_test(origin_task_state),
		cmocka_unit_test(origin_syscalls),
		cmocka_unit_test(syscall_names_and_origins),
		cmocka_unit_test(origin_page_faults),
		cmocka_unit_test(origin_migrate_event),
		cmocka_unit_test(origin_syscall_number_bounds),
	};

	return cmocka_run_group_tests_name("decode", tests, NULL, NULL);
}
