// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "cgroup_match.h"

static char root[64];

static void write_cgroup(unsigned int pid, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%u", root, pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%u/cgroup", root, pid);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void normalize_forms(void **state)
{
	char out[NTF_CGROUP_PATH_LEN], big[400];

	(void)state;
	assert_int_equal(ntf_cgroup_normalize("/system.slice/a.service", out, sizeof(out)), 0);
	assert_string_equal(out, "/system.slice/a.service");
	assert_int_equal(ntf_cgroup_normalize("system.slice/", out, sizeof(out)), 0);
	assert_string_equal(out, "/system.slice");
	assert_int_equal(ntf_cgroup_normalize("/sys/fs/cgroup/user.slice", out, sizeof(out)), 0);
	assert_string_equal(out, "/user.slice");
	assert_int_equal(ntf_cgroup_normalize("/sys/fs/cgroup/unified/a/", out, sizeof(out)), 0);
	assert_string_equal(out, "/a"); /* the hybrid layout's v2 mount */
	assert_int_equal(ntf_cgroup_normalize("/sys/fs/cgroup", out, sizeof(out)), 0);
	assert_string_equal(out, "/");
	/* a directory that only starts like the mount point is a cgroup name */
	assert_int_equal(ntf_cgroup_normalize("/sys/fs/cgroupx", out, sizeof(out)), 0);
	assert_string_equal(out, "/sys/fs/cgroupx");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(ntf_cgroup_normalize(big, out, sizeof(out)), -EINVAL);
}

static void under_by_whole_components(void **state)
{
	(void)state;
	assert_true(ntf_cgroup_under("/system.slice/a.service", "/system.slice"));
	assert_true(ntf_cgroup_under("/system.slice", "/system.slice"));
	assert_false(ntf_cgroup_under("/system.slices", "/system.slice"));
	assert_false(ntf_cgroup_under("/user.slice", "/system.slice"));
	assert_true(ntf_cgroup_under("/anything", "/"));
}

static void processes_by_proc(void **state)
{
	(void)state;
	write_cgroup(42, "0::/system.slice/gpu-job.service\n");
	/* hybrid hierarchy: v1 lines first, the v2 line last */
	write_cgroup(43,
		     "12:cpuset:/\n1:name=systemd:/user.slice\n0::/user.slice/session-1.scope\n");
	write_cgroup(44, "5:memory:/legacy\n"); /* v1 only: no v2 cgroup */
	ntf_cgroup_set_proc_root(root);
	assert_true(ntf_pid_in_cgroup(42, "/system.slice", 1000));
	assert_true(ntf_pid_in_cgroup(42, "/system.slice/gpu-job.service", 1000));
	assert_false(ntf_pid_in_cgroup(42, "/user.slice", 1000));
	assert_true(ntf_pid_in_cgroup(43, "/user.slice", 1000));
	assert_false(ntf_pid_in_cgroup(44, "/", 1000));
	assert_false(ntf_pid_in_cgroup(45, "/", 1000)); /* gone */
	assert_false(ntf_pid_in_cgroup(0, "/", 1000));
	/* moved: the cached answer holds a few seconds, then the move is seen */
	write_cgroup(42, "0::/user.slice/moved\n");
	assert_true(ntf_pid_in_cgroup(42, "/system.slice", 2000));
	assert_false(ntf_pid_in_cgroup(42, "/system.slice", 7000));
	assert_true(ntf_pid_in_cgroup(42, "/user.slice", 7000));
	ntf_cgroup_set_proc_root(NULL);
}

static __u64 dir_id(const char *dir, const char *name)
{
	char path[160];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(stat(path, &st), 0);
	return st.st_ino;
}

/*
 * A cgroup made right after another must be found at its first event: the
 * policy's rules on it matched nothing for up to a second when a walk had
 * just run for the one before.
 */
static void paths_by_id(void **state)
{
	char tree[96], name[16], path[NTF_CGROUP_PATH_LEN];
	__u64 a, b;
	int i;

	(void)state;
	snprintf(tree, sizeof(tree), "%s/tree", root);
	assert_int_equal(mkdir(tree, 0755), 0);
	ntf_cgroup_set_root(tree);
	a = dir_id(tree, "a");
	assert_int_equal(ntf_cgroup_path(a, path, sizeof(path)), 0);
	assert_string_equal(path, "/a");
	/* an id no walk saw and below the highest one: not there */
	assert_int_equal(ntf_cgroup_path(1, path, sizeof(path)), -ENOENT);
	/* the kernel numbers new cgroups upwards; a directory here may not */
	b = dir_id(tree, "b");
	for (i = 0; b <= a && i < 64; i++) {
		snprintf(name, sizeof(name), "b%d", i);
		b = dir_id(tree, name);
	}
	assert_true(b > a);
	assert_int_equal(ntf_cgroup_path(b, path, sizeof(path)), 0);
	assert_string_equal(path + 1, i ? name : "b");
	ntf_cgroup_set_root(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(normalize_forms),
		cmocka_unit_test(under_by_whole_components),
		cmocka_unit_test(processes_by_proc),
		cmocka_unit_test(paths_by_id),
	};
	char rm[96];
	int rc;

	snprintf(root, sizeof(root), "/tmp/ntf-cgroup-test.XXXXXX");
	assert_non_null(mkdtemp(root));
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(rm, sizeof(rm), "rm -rf %s", root);
	if (system(rm))
		rc = 1;
	return rc;
}
