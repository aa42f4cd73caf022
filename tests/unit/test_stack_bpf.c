// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A kernel stack taken by this kernel's BPF as the probes take theirs
 * (take_stack in a tp_btf program, tests/bpf/stack_check.bpf.c) and read
 * back as a trace file keeps it (probe/stack_reader.h): the program's own
 * frames and the tracepoint's glue are gone, the stack starts in the
 * function that fired the tracepoint (copy_process, for a fork) and goes
 * down to the syscall. Skipped, with the reason, where this kernel loads
 * no tp_btf program (or without root).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "stack_reader.h"
#include "stack_check.skel.h"

static struct stack_check_bpf *skel;
static char why[160];

static int silent(enum libbpf_print_level level, const char *fmt, va_list args)
{
	(void)level;
	(void)fmt;
	(void)args;
	return 0;
}

static int load(void **state)
{
	(void)state;
	libbpf_set_print(silent);
	if (geteuid()) {
		snprintf(why, sizeof(why), "needs root");
		return 0;
	}
	skel = stack_check_bpf__open();
	if (!skel) {
		snprintf(why, sizeof(why), "cannot open the object: %s", strerror(errno));
		return 0;
	}
	skel->rodata->want_tgid = getpid();
	skel->rodata->cfg.stacks = 1;
	if (stack_check_bpf__load(skel) || stack_check_bpf__attach(skel)) {
		snprintf(why, sizeof(why), "this kernel loads or attaches no tp_btf program: %s",
			 strerror(errno));
		stack_check_bpf__destroy(skel);
		skel = NULL;
	}
	return 0;
}

static int unload(void **state)
{
	(void)state;
	stack_check_bpf__destroy(skel);
	return 0;
}

static bool any_frame(const struct ntf_rec_frame *f, int n, const char *const *names)
{
	for (int i = 0; i < n; i++)
		for (const char *const *s = names; *s; s++)
			if (!strcmp(f[i].sym, *s))
				return true;
	return false;
}

static void fork_stack(void **state)
{
	static const char *const clone_path[] = { "kernel_clone", "__do_sys_clone",
						  "__x64_sys_clone", "__do_sys_clone3", NULL };
	static const char *const syscall[] = { "do_syscall_64", NULL };
	struct ntf_rec_frame f[NTF_REC_MAX_DEPTH], g[NTF_REC_MAX_DEPTH];
	struct ntf_stack_reader *sr;
	char name[256];
	pid_t pid;
	int n, m;

	(void)state;
	if (!skel)
		skip();
	pid = fork();
	if (!pid)
		_exit(0);
	assert_true(pid > 0);
	waitpid(pid, NULL, 0);
	assert_int_not_equal(skel->bss->seen.stack_id, 0);
	assert_false(skel->bss->seen.flags & NTF_F_STACK_LOST);

	sr = ntf_stack_reader_new(bpf_map__fd(skel->maps.stacks), NULL);
	assert_non_null(sr);
	n = ntf_stack_read(sr, skel->bss->seen.stack_id, NULL, f);
	for (int i = 0; i < n; i++) {
		ntf_rec_frame_name(name, sizeof(name), &f[i]);
		print_message("  %s\n", name);
	}
	assert_true(n > 0);
	/* the program, its trampoline and the tracepoint's glue are gone */
	assert_string_not_equal(f[0].module, "bpf");
	assert_true(strncmp(f[0].sym, "bpf_", 4) && strncmp(f[0].sym, "__bpf_trace_", 12) &&
		    strncmp(f[0].sym, "__traceiter_", 12));
	/* task_newtask fires in copy_process, reached from the clone syscall */
	assert_string_equal(f[0].sym, "copy_process");
	assert_true(any_frame(f, n, clone_path));
#ifdef __x86_64__
	assert_true(any_frame(f, n, syscall));
#endif
	/* a function the stack starts in is not put first again; another one is */
	assert_int_equal(ntf_stack_read(sr, skel->bss->seen.stack_id, "copy_process", g), n);
	m = ntf_stack_read(sr, skel->bss->seen.stack_id, "kernel_clone", g);
	assert_int_equal(m, n + 1);
	assert_string_equal(g[0].sym, "kernel_clone");
	assert_int_equal(g[0].offset, 0);
	assert_int_not_equal(g[0].addr, 0);
	/* an id the map does not hold */
	assert_int_equal(ntf_stack_read(sr, 4000, NULL, g), -ENOENT);
	ntf_stack_reader_free(sr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fork_stack),
	};
	int rc = cmocka_run_group_tests(tests, load, unload);

	if (why[0])
		print_message("skipped: %s\n", why);
	return rc;
}
