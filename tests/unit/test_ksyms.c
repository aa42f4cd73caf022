// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
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

/* /proc/kallsyms as root sees it; unsorted like the real file's modules. */
static const char kallsyms[] = "0000000000000000 A fixed_percpu_data\n"
			       "ffffffff81000000 T _stext\n"
			       "ffffffff81663760 T __mmu_notifier_invalidate_range_start\n"
			       "ffffffff81663900 T __mmu_notifier_invalidate_range_end\n"
			       "ffffffff81234560 t try_to_unmap_one\n"
			       "ffffffff82a00000 D dma_fence_array_ops\n"
			       "ffffffff82b00000 d vgem_local_data\n"
			       "ffffffff82200000 r __func__.1\n"
			       "ffffffffc0a01000 t vgem_fence_release\t[vgem]\n"
			       "ffffffffc0a01100 t vgem_fence_get_driver_name\t[vgem]\n"
			       "ffffffffc0a03000 d vgem_fence_ops\t[vgem]\n"
			       "ffffffffc0b00000 t amdgpu_fence_enable_signaling\t[amdgpu]\n"
			       "ffffffff81700000 U undefined_here\n"
			       "ffffffff81800000 A absolute_sym\n";

/* The same file with kptr_restrict hiding every address. */
static const char kallsyms_hidden[] = "0000000000000000 T _stext\n"
				      "0000000000000000 T __mmu_notifier_invalidate_range_start\n"
				      "0000000000000000 t vgem_fence_release\t[vgem]\n"
				      "0000000000000000 D dma_fence_array_ops\n";

/* Writes text as DIR/kallsyms in a fresh temp dir; returns the file's path. */
static char *write_fixture(const char *text)
{
	const char *tmp = getenv("TMPDIR");
	char dir[256], *path;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/ntf-ksyms-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(dir));
	assert_true(asprintf(&path, "%s/kallsyms", dir) > 0);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	return path;
}

static void remove_fixture(char *path)
{
	unlink(path);
	rmdir(dirname(path));
	free(path);
}

static int setup(void **state)
{
	char *path = write_fixture(kallsyms);

	*state = ntf_ksyms_load(path);
	remove_fixture(path);
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	ntf_ksyms_free(*state);
	return 0;
}

static void by_name_finds_functions_and_data(void **state)
{
	const struct ntf_ksyms *ks = *state;
	const struct ntf_ksym *s;

	s = ntf_ksyms_by_name(ks, "__mmu_notifier_invalidate_range_start");
	assert_non_null(s);
	assert_int_equal(s->addr, 0xffffffff81663760ULL);
	assert_null(s->module);
	s = ntf_ksyms_by_name(ks, "try_to_unmap_one");
	assert_non_null(s);
	assert_int_equal(s->addr, 0xffffffff81234560ULL);
	/* data: d, D and r are kept, so fence ops tables can be named */
	assert_non_null(ntf_ksyms_by_name(ks, "dma_fence_array_ops"));
	assert_non_null(ntf_ksyms_by_name(ks, "vgem_local_data"));
	assert_non_null(ntf_ksyms_by_name(ks, "__func__.1"));
	assert_null(ntf_ksyms_by_name(ks, "no_such_function"));
	/* a prefix is not a match */
	assert_null(ntf_ksyms_by_name(ks, "__mmu_notifier_invalidate_range"));
}

static void ignores_absolute_and_undefined(void **state)
{
	const struct ntf_ksyms *ks = *state;
	const struct ntf_ksym *s;

	assert_null(ntf_ksyms_by_name(ks, "fixed_percpu_data"));
	assert_null(ntf_ksyms_by_name(ks, "absolute_sym"));
	assert_null(ntf_ksyms_by_name(ks, "undefined_here"));
	/* nor do they take addresses from the symbols around them */
	s = ntf_ksyms_by_addr(ks, 0xffffffff81700010ULL);
	assert_non_null(s);
	assert_string_equal(s->name, "__mmu_notifier_invalidate_range_end");
	s = ntf_ksyms_by_addr(ks, 0xffffffff81800000ULL);
	assert_non_null(s);
	assert_string_equal(s->name, "__mmu_notifier_invalidate_range_end");
}

static void module_symbols(void **state)
{
	const struct ntf_ksyms *ks = *state;
	const struct ntf_ksym *s;

	s = ntf_ksyms_by_name(ks, "vgem_fence_release");
	assert_non_null(s);
	assert_int_equal(s->addr, 0xffffffffc0a01000ULL);
	assert_non_null(s->module);
	assert_string_equal(s->module, "vgem");
	/* the module is not part of the name */
	assert_string_equal(s->name, "vgem_fence_release");
	s = ntf_ksyms_by_name(ks, "vgem_fence_ops");
	assert_non_null(s);
	assert_string_equal(s->module, "vgem");
	s = ntf_ksyms_by_name(ks, "amdgpu_fence_enable_signaling");
	assert_non_null(s);
	assert_string_equal(s->module, "amdgpu");
}

static void by_addr_exact_between_and_below(void **state)
{
	const struct ntf_ksyms *ks = *state;
	const struct ntf_ksym *s;

	s = ntf_ksyms_by_addr(ks, 0xffffffff81663760ULL);
	assert_non_null(s);
	assert_string_equal(s->name, "__mmu_notifier_invalidate_range_start");
	/* inside a function: the symbol at or below */
	s = ntf_ksyms_by_addr(ks, 0xffffffff81663760ULL + 0x42);
	assert_non_null(s);
	assert_string_equal(s->name, "__mmu_notifier_invalidate_range_start");
	s = ntf_ksyms_by_addr(ks, 0xffffffff816638ffULL);
	assert_non_null(s);
	assert_string_equal(s->name, "__mmu_notifier_invalidate_range_start");
	s = ntf_ksyms_by_addr(ks, 0xffffffff81663900ULL);
	assert_non_null(s);
	assert_string_equal(s->name, "__mmu_notifier_invalidate_range_end");
	/* a fence->ops pointer names its driver */
	s = ntf_ksyms_by_addr(ks, 0xffffffffc0a03000ULL);
	assert_non_null(s);
	assert_string_equal(s->name, "vgem_fence_ops");
	assert_string_equal(s->module, "vgem");
	s = ntf_ksyms_by_addr(ks, 0xffffffffc0a01104ULL);
	assert_non_null(s);
	assert_string_equal(s->name, "vgem_fence_get_driver_name");
	/* the first symbol, and below it */
	s = ntf_ksyms_by_addr(ks, 0xffffffff81000000ULL);
	assert_non_null(s);
	assert_string_equal(s->name, "_stext");
	assert_null(ntf_ksyms_by_addr(ks, 0xffffffff80ffffffULL));
	assert_null(ntf_ksyms_by_addr(ks, 0));
	/* past the last: the last */
	s = ntf_ksyms_by_addr(ks, ~0ULL);
	assert_non_null(s);
	assert_string_equal(s->name, "amdgpu_fence_enable_signaling");
}

static void hidden_addresses(void **state)
{
	char *path = write_fixture(kallsyms_hidden);
	struct ntf_ksyms *ks = ntf_ksyms_load(path);
	const struct ntf_ksym *s;

	(void)state;
	remove_fixture(path);
	assert_non_null(ks);
	/* every symbol would be "at or below" address 0: say nothing instead */
	assert_null(ntf_ksyms_by_addr(ks, 0));
	assert_null(ntf_ksyms_by_addr(ks, 0xffffffff81663760ULL));
	assert_null(ntf_ksyms_by_addr(ks, ~0ULL));
	/* existence checks still work */
	assert_non_null(ntf_ksyms_by_name(ks, "__mmu_notifier_invalidate_range_start"));
	s = ntf_ksyms_by_name(ks, "vgem_fence_release");
	assert_non_null(s);
	assert_string_equal(s->module, "vgem");
	assert_null(ntf_ksyms_by_name(ks, "try_to_unmap_one"));
	ntf_ksyms_free(ks);
}

static void missing_file(void **state)
{
	(void)state;
	assert_null(ntf_ksyms_load("/nonexistent/kallsyms"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(by_name_finds_functions_and_data, setup, teardown),
		cmocka_unit_test_setup_teardown(ignores_absolute_and_undefined, setup, teardown),
		cmocka_unit_test_setup_teardown(module_symbols, setup, teardown),
		cmocka_unit_test_setup_teardown(by_addr_exact_between_and_below, setup, teardown),
		cmocka_unit_test(hidden_addresses),
		cmocka_unit_test(missing_file),
	};

	return cmocka_run_group_tests_name("ksyms", tests, NULL, NULL);
}
