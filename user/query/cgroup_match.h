/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Which cgroup (v2) a process is in, from /proc/PID/cgroup, for filters
 * on keys that hold a pid but no cgroup. Looked up per process and kept a
 * few seconds, so a filter costs one read per process, not one per row.
 */
#ifndef NTF_CGROUP_MATCH_H
#define NTF_CGROUP_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define NTF_CGROUP_PATH_LEN 256

/*
 * The cgroup as a filter takes it: "/system.slice/x.service", given as
 * that, as "system.slice/x.service", or as its directory under
 * /sys/fs/cgroup (or /sys/fs/cgroup/unified); trailing slashes dropped. -EINVAL when too long or empty
 * after that ("/" itself stays "/": every process).
 */
int ntf_cgroup_normalize(const char *in, char *out, size_t len);
/* Whether path is want or below it, by whole components. */
bool ntf_cgroup_under(const char *path, const char *want);
/*
 * Whether process tgid is in cgroup want (normalized) or below it, now
 * (as of at most a few seconds ago). A process that is gone is in none.
 */
bool ntf_pid_in_cgroup(__u32 tgid, const char *want, __u64 now_ms);
/* Tests read a proc tree of their own; NULL restores /proc. Drops the cache. */
void ntf_cgroup_set_proc_root(const char *root);

/*
 * The path ("/system.slice/x.service", "/" for the root) of the cgroup v2
 * whose id is id, into buf: 0, or -ENOENT when no cgroup has that id (any
 * longer).
 */
int ntf_cgroup_path(__u64 id, char *buf, size_t len);
/* Tests walk a tree of their own; NULL restores /sys/fs/cgroup. Drops what was walked. */
void ntf_cgroup_set_root(const char *root);
/* The cgroup v2 id of a cgroup directory (its inode number), or -errno. */
long long ntf_cgroup_id(const char *path);

#endif
