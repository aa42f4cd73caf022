// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A kernel stack as a trace file keeps it (probe/stack_reader.h): the
 * probe's own frames dropped, the timed function first when the stack
 * was taken after it returned (and not twice when it shows), addresses
 * kallsyms cannot name kept bare; and which function an event timed
 * (probe/traced_func.h).
 */
#define _GNU_SOURCE /* asprintf */
#include <libgen.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "ksyms.h"
#include "stack_reader.h"
#include "traced_func.h"

/* As root reads /proc/kallsyms with the probes loaded: programs and trampolines in "bpf". */
static const char kallsyms[] = "ffffffff81100000 t bpf_trace_run2\n"
			       "ffffffff81100200 t __bpf_trace_kvm_unmap_hva_range\n"
			       "ffffffff81200000 t kvm_mmu_notifier_invalidate_range_start\n"
			       "ffffffff81300000 T do_madvise\n"
			       "ffffffff81663760 T __mmu_notifier_invalidate_range_start\n"
			       "ffffffffc0100000 t bpf_trampoline_6442491234\t[bpf]\n"
			       "ffffffffc0200000 t bpf_prog_6deef7357e7b4530_cb0_fexit\t[bpf]\n"
			       "ffffffffc0a01000 t ntf_invalidate\t[ntf_testdrv]\n"
			       "ffffffffc0a01200 t ntf_range_invalidate\t[ntf_testdrv]\n";

#define PROG 0xffffffffc0200040ULL
#define TRAMP 0xffffffffc0100070ULL
#define INVAL 0xffffffff816638f5ULL /* __mmu_notifier_invalidate_range_start+0x195 */
#define MADVISE 0xffffffff81300033ULL
#define CALLBACK 0xffffffffc0a01000ULL

static struct ntf_ksyms *ks;
static char *fixture;

static int setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	char dir[256];
	FILE *f;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/ntf-stack-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir) || asprintf(&fixture, "%s/kallsyms", dir) < 0)
		return -1;
	f = fopen(fixture, "w");
	if (!f || fputs(kallsyms, f) < 0 || fclose(f))
		return -1;
	ks = ntf_ksyms_load(fixture);
	return ks ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	ntf_ksyms_free(ks);
	unlink(fixture);
	rmdir(dirname(fixture));
	free(fixture);
	return 0;
}

static void assert_frame(const struct ntf_rec_frame *f, __u64 addr, const char *sym, __u64 offset,
			 const char *module)
{
	assert_int_equal(f->addr, addr);
	assert_string_equal(f->sym, sym);
	assert_int_equal(f->offset, offset);
	assert_string_equal(f->module, module);
}

/* fexit: program, trampoline, then the caller; the callback put first, at its entry. */
static void after_return(void **state)
{
	__u64 ips[NTF_STACK_DEPTH] = { PROG, TRAMP, INVAL, MADVISE };
	struct ntf_rec_frame out[NTF_REC_MAX_DEPTH];
	char name[256];

	(void)state;
	assert_int_equal(ntf_stack_symbolize(ks, ips, NTF_STACK_DEPTH, "ntf_invalidate", out), 3);
	assert_frame(&out[0], CALLBACK, "ntf_invalidate", 0, "ntf_testdrv");
	assert_frame(&out[1], INVAL, "__mmu_notifier_invalidate_range_start", 0x195, "");
	assert_frame(&out[2], MADVISE, "do_madvise", 0x33, "");
	ntf_rec_frame_name(name, sizeof(name), &out[0]);
	assert_string_equal(name, "ntf_invalidate+0x0 [ntf_testdrv]");
	ntf_rec_frame_name(name, sizeof(name), &out[2]);
	assert_string_equal(name, "do_madvise+0x33");
}

/* A stack that shows the function (a kprobe at entry, a trampoline's return address): not twice. */
static void function_shown(void **state)
{
	__u64 ips[NTF_STACK_DEPTH] = { PROG, TRAMP, CALLBACK + 9, INVAL };
	struct ntf_rec_frame out[NTF_REC_MAX_DEPTH];

	(void)state;
	assert_int_equal(ntf_stack_symbolize(ks, ips, NTF_STACK_DEPTH, "ntf_invalidate", out), 2);
	assert_frame(&out[0], CALLBACK + 9, "ntf_invalidate", 9, "ntf_testdrv");
	/* a kprobe's stack has no probe frames at all */
	ips[0] = CALLBACK + 1;
	ips[1] = INVAL;
	ips[2] = MADVISE;
	ips[3] = 0;
	assert_int_equal(ntf_stack_symbolize(ks, ips, NTF_STACK_DEPTH, "ntf_invalidate", out), 3);
	assert_frame(&out[0], CALLBACK + 1, "ntf_invalidate", 1, "ntf_testdrv");
}

/* A tracepoint fires inside the function: its glue goes, nothing is added. */
static void tracepoint(void **state)
{
	__u64 ips[NTF_STACK_DEPTH] = { PROG, 0xffffffff81100050ULL, 0xffffffff81100210ULL,
				       0xffffffff81200080ULL, INVAL };
	struct ntf_rec_frame out[NTF_REC_MAX_DEPTH];

	(void)state;
	assert_int_equal(ntf_stack_symbolize(ks, ips, NTF_STACK_DEPTH, NULL, out), 2);
	assert_frame(&out[0], 0xffffffff81200080ULL, "kvm_mmu_notifier_invalidate_range_start",
		     0x80, "");
}

/*
 * An address kallsyms did not know when read (a program loaded since):
 * kept bare, not named after the symbol below it. Without kallsyms at
 * all, every frame is bare, and the function still leads.
 */
static void unknown_addresses(void **state)
{
	__u64 ips[NTF_STACK_DEPTH] = { 0xffffffffc0f00000ULL, INVAL };
	struct ntf_rec_frame out[NTF_REC_MAX_DEPTH];
	char name[256];

	(void)state;
	assert_int_equal(ntf_stack_symbolize(ks, ips, NTF_STACK_DEPTH, NULL, out), 2);
	assert_frame(&out[0], 0xffffffffc0f00000ULL, "", 0, "");
	ntf_rec_frame_name(name, sizeof(name), &out[0]);
	assert_string_equal(name, "0xffffffffc0f00000");
	assert_int_equal(ntf_stack_symbolize(NULL, ips, NTF_STACK_DEPTH, "ntf_invalidate", out), 3);
	assert_frame(&out[0], 0, "ntf_invalidate", 0, "");
	assert_frame(&out[1], 0xffffffffc0f00000ULL, "", 0, "");
}

/* BPF's deepest stack and the function first: all of it kept. */
static void deepest(void **state)
{
	__u64 ips[NTF_STACK_DEPTH];
	struct ntf_rec_frame out[NTF_REC_MAX_DEPTH];

	(void)state;
	for (int i = 0; i < NTF_STACK_DEPTH; i++)
		ips[i] = MADVISE + i;
	assert_int_equal(ntf_stack_symbolize(ks, ips, NTF_STACK_DEPTH, "ntf_invalidate", out),
			 NTF_STACK_DEPTH + 1);
	assert_frame(&out[NTF_STACK_DEPTH], MADVISE + NTF_STACK_DEPTH - 1, "do_madvise",
		     0x33 + NTF_STACK_DEPTH - 1, "");
}

static void traced_functions(void **state)
{
	struct ntf_event e = { .mech = NTF_MECH_FENTRY };

	(void)state;
	e.class = NTF_CLASS_INVAL_START;
	assert_string_equal(ntf_traced_func(NULL, &e), "__mmu_notifier_invalidate_range_start");
	e.class = NTF_CLASS_INVAL_END;
	assert_string_equal(ntf_traced_func(NULL, &e), "__mmu_notifier_invalidate_range_end");
	e.class = NTF_CLASS_UNMAP;
	assert_string_equal(ntf_traced_func(NULL, &e), "try_to_unmap_one");
	e.class = NTF_CLASS_FENCE_WAIT;
	assert_string_equal(ntf_traced_func(NULL, &e), "dma_fence_wait_timeout");
	e.class = NTF_CLASS_PIN;
	e.pin.variant = NTF_PIN_USER_PAGES_FAST;
	assert_string_equal(ntf_traced_func(NULL, &e), "pin_user_pages_fast");
	/* several functions, one class: the event does not say which */
	e.class = NTF_CLASS_UNPIN;
	assert_null(ntf_traced_func(NULL, &e));
	/* without the callbacks, no name for a callback id */
	e.class = NTF_CLASS_CALLBACK;
	e.callback = 1;
	assert_null(ntf_traced_func(NULL, &e));
	/* a tracepoint fires inside what it reports */
	e.class = NTF_CLASS_FENCE_WAIT;
	e.mech = NTF_MECH_TRACEPOINT;
	assert_null(ntf_traced_func(NULL, &e));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(after_return), cmocka_unit_test(function_shown),
		cmocka_unit_test(tracepoint),	cmocka_unit_test(unknown_addresses),
		cmocka_unit_test(deepest),	cmocka_unit_test(traced_functions),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
