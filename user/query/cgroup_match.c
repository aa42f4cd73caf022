// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cgroup_match.h"

/* A cached answer this long; pids are reused and tasks migrate, rarely. */
#define CACHE_TTL_MS 5000
#define CACHE_SLOTS 16384 /* a power of two; more processes just evict */

struct cached_cgroup {
	__u32 tgid; /* 0: empty */
	bool found;
	__u64 at_ms;
	char path[NTF_CGROUP_PATH_LEN];
};

static const char *proc_root = "/proc";
static struct cached_cgroup *cache;

/* Where cgroup v2 is mounted: alone, or beside v1 (systemd's hybrid layout). */
static const char *const mounts[] = { "/sys/fs/cgroup/unified", "/sys/fs/cgroup" };

int ntf_cgroup_normalize(const char *in, char *out, size_t len)
{
	size_t n;

	for (size_t i = 0; i < sizeof(mounts) / sizeof(mounts[0]); i++) {
		n = strlen(mounts[i]);
		if (!strncmp(in, mounts[i], n) && (in[n] == '/' || !in[n])) {
			in += n;
			break;
		}
	}
	while (*in == '/')
		in++;
	n = strlen(in);
	while (n && in[n - 1] == '/')
		n--;
	if (n + 2 > len)
		return -EINVAL;
	out[0] = '/';
	memcpy(out + 1, in, n);
	out[n + 1] = '\0';
	return 0;
}

bool ntf_cgroup_under(const char *path, const char *want)
{
	size_t n = strlen(want);

	if (!strcmp(want, "/"))
		return path[0] == '/';
	return !strncmp(path, want, n) && (path[n] == '\0' || path[n] == '/');
}

/* The "0::PATH" line of /proc/PID/cgroup: the process's v2 cgroup. */
static bool read_cgroup(__u32 tgid, char *path, size_t len)
{
	char name[64], line[NTF_CGROUP_PATH_LEN + 8];
	size_t n;
	bool found = false;
	FILE *f;

	snprintf(name, sizeof(name), "%s/%u/cgroup", proc_root, tgid);
	f = fopen(name, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		n = strcspn(line + 3, "\n");
		if (n >= len)
			break; /* deeper than any filter can name: no match */
		memcpy(path, line + 3, n);
		path[n] = '\0';
		found = true;
	}
	fclose(f);
	return found;
}

bool ntf_pid_in_cgroup(__u32 tgid, const char *want, __u64 now_ms)
{
	struct cached_cgroup *c;

	if (!tgid)
		return false;
	if (!cache && !(cache = calloc(CACHE_SLOTS, sizeof(*cache)))) {
		char path[NTF_CGROUP_PATH_LEN];

		return read_cgroup(tgid, path, sizeof(path)) && ntf_cgroup_under(path, want);
	}
	c = &cache[(tgid * 2654435761u) & (CACHE_SLOTS - 1)];
	if (c->tgid != tgid || now_ms - c->at_ms > CACHE_TTL_MS) {
		c->tgid = tgid;
		c->at_ms = now_ms;
		c->found = read_cgroup(tgid, c->path, sizeof(c->path));
	}
	return c->found && ntf_cgroup_under(c->path, want);
}

void ntf_cgroup_set_proc_root(const char *root)
{
	proc_root = root ? root : "/proc";
	free(cache);
	cache = NULL;
}

long long ntf_cgroup_id(const char *path)
{
	struct stat st;

	if (stat(path, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	return (long long)st.st_ino;
}
