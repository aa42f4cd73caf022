// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A cgroup's path from its id, as BPF's bpf_get_current_cgroup_id() gives
 * it: the inode number of its directory under the cgroup v2 mount. The
 * tree is walked once and kept. An id not found starts a new walk at once
 * when it is above every id the last walk saw (the kernel numbers cgroups
 * upwards, so it is a cgroup made since: a rule on it must match its first
 * event); any other miss (a cgroup gone, one outside the mount) walks at
 * most once a second.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cgroup_match.h"

struct cgroup_name {
	__u64 id;
	char *path;
};

static struct {
	struct cgroup_name *v;
	size_t n, cap;
	__u64 walked_ms;
	__u64 max_id; /* the highest id walked or looked for in vain */
	const char *root;
	size_t root_len;
} names;

static void forget_names(void)
{
	for (size_t i = 0; i < names.n; i++)
		free(names.v[i].path);
	names.n = 0;
}

static int remember(const char *fpath, const struct stat *st, int type, struct FTW *ftw)
{
	const char *rel = fpath + names.root_len;

	(void)ftw;
	if (type != FTW_D)
		return 0;
	if (names.n == names.cap) {
		size_t cap = names.cap ? names.cap * 2 : 256;
		struct cgroup_name *v = realloc(names.v, cap * sizeof(*v));

		if (!v)
			return -1;
		names.v = v;
		names.cap = cap;
	}
	names.v[names.n].id = st->st_ino;
	if (st->st_ino > names.max_id)
		names.max_id = st->st_ino;
	names.v[names.n].path = strdup(*rel ? rel : "/");
	if (!names.v[names.n].path)
		return -1;
	names.n++;
	return 0;
}

static const char *find(__u64 id)
{
	for (size_t i = 0; i < names.n; i++)
		if (names.v[i].id == id)
			return names.v[i].path;
	return NULL;
}

static __u64 monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ntf_cgroup_set_root(const char *root)
{
	forget_names();
	names.walked_ms = 0;
	names.max_id = 0;
	names.root = root;
}

int ntf_cgroup_path(__u64 id, char *buf, size_t len)
{
	const char *path = find(id);
	__u64 now = monotonic_ms();

	if (!path && (id > names.max_id || !names.walked_ms || now - names.walked_ms >= 1000)) {
		names.walked_ms = now ? now : 1;
		if (!names.root)
			names.root = "/sys/fs/cgroup";
		names.root_len = strlen(names.root);
		forget_names();
		/* FTW_PHYS: a cgroup tree has no links to follow; FTW_MOUNT: no other mount */
		if (nftw(names.root, remember, 32, FTW_PHYS | FTW_MOUNT) && !names.n)
			return -errno ? -errno : -ENOENT;
		path = find(id);
		/* not there even so: no new walk for it until the next second */
		if (!path && id > names.max_id)
			names.max_id = id;
	}
	if (!path)
		return -ENOENT;
	snprintf(buf, len, "%s", path);
	return 0;
}
