/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The filter language of notifier-top's '/' key and -f: which keys (pid,
 * comm, driver, event class, cgroup) a view keeps.
 */
#ifndef NTF_TOP_FILTER_H
#define NTF_TOP_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "callbacks.h"
#include "cgroup_match.h"
#include "notifier.h"

struct top_filter {
	__u32 pid; /* 0: any */
	bool has_callback;
	__u32 callback;
	char comm[NTF_COMM_LEN]; /* substring; empty: any */
	unsigned int class_mask; /* rows with events of these classes (1 << class); 0: any */
	char cgroup[NTF_CGROUP_PATH_LEN]; /* processes in this cgroup or below; empty: any */
	/* a driver no id has yet (one a daemon may discover later), by name */
	char driver[NTF_DRIVER_LEN];
};

/*
 * "pid 42", "comm=gpu", "sub:0", "driver kvm", "class fence_wait,pin",
 * "cgroup /system.slice/gpu.service"; a bare number is a pid, a bare word
 * a comm. Several terms combine. Empty clears.
 * Returns 0, or -EINVAL with a one-line reason in err.
 */
int top_filter_parse(const char *s, struct top_filter *f, char *err, size_t errlen);
/* The filter as top_filter_parse reads it back; "none" when empty. */
void top_filter_format(const struct top_filter *f, char *buf, size_t len);
/*
 * Whether a key passes f's terms other than its classes (comm: the
 * process's name, "" when unknown; now_ms: the clock the cgroup cache
 * keeps time by). Terms on processes need keys that carry a tgid.
 */
bool top_filter_keeps(const struct top_filter *f, const struct ntf_hist_key *k, const char *comm,
		      __u64 now_ms);
/* Whether f has a term that only a key's process answers: pid, comm, cgroup. */
static inline bool top_filter_needs_process(const struct top_filter *f)
{
	return f->pid || f->comm[0] || f->cgroup[0];
}

#endif
