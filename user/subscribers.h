/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Per-subscriber attribution: finds which drivers' notifier callbacks this
 * kernel has (a table of known callbacks per driver, checked against
 * kallsyms), gives each an id, and attaches subscriber objects to them,
 * sharing the main object's maps. Rescans when modules come or go.
 */
#ifndef NTF_SUBSCRIBERS_H
#define NTF_SUBSCRIBERS_H

#include <stdbool.h>
#include <stdio.h>
#include <jansson.h>
#include "notifier.h"
#include "probes.h"

struct ntf_ksyms;

/* A callback some driver registers on the notifier path. */
struct ntf_callback_def {
	const char *driver; /* what users call it, at most 8 characters: "kvm", "amdkfd" */
	const char *func; /* the kernel symbol */
	const char *module; /* the module expected to provide it */
	unsigned int kind; /* enum ntf_cb_kind */
	const char *needs; /* what the kernel must be built with, for "absent" reports */
	const char *tp; /* a tracepoint fired per call (the ladder's last rung), or NULL */
	const char *era; /* kernels that have this name, when not all do: "up to 6.2" */
};

extern const struct ntf_callback_def ntf_known_callbacks[];
extern const unsigned int ntf_known_callback_count;

struct ntf_subscriber {
	__u32 id; /* in events and keys; 1.. */
	const struct ntf_callback_def *def;
	bool present; /* in kallsyms now */
	char module[64]; /* where kallsyms found it; "" for vmlinux */
	char absent[NTF_REASON_LEN]; /* why it is not here, when not present */
	bool attached;
	unsigned int mech;
	char why[NTF_MECH_MAX][NTF_REASON_LEN];
};

struct ntf_subscribers_opts {
	bool no_fentry, no_kprobe;
	/* rodata the subscriber objects need to match the main object's */
	bool stream, aggregate, per_process;
	__u32 tgid;
	__u64 cgroup_id, min_stream_ns;
	/* the main object's maps, shared */
	int inflight_fd, hists_fd, counters_fd, events_fd;
	const char *kallsyms_path; /* NULL: /proc/kallsyms */
};

struct ntf_subscribers;

int ntf_subscribers_new(const struct ntf_subscribers_opts *opts, struct ntf_subscribers **out);
void ntf_subscribers_free(struct ntf_subscribers *subs);
/*
 * Finds callbacks that appeared (attaching them) and notes those whose
 * module left. Cheap when /proc/modules did not change. Returns the number
 * of subscribers attached after the scan, and says on out (may be NULL)
 * what changed.
 */
int ntf_subscribers_rescan(struct ntf_subscribers *subs, FILE *out);
unsigned int ntf_subscribers_count(const struct ntf_subscribers *subs);
const struct ntf_subscriber *ntf_subscriber_at(const struct ntf_subscribers *subs, unsigned int i);
/* The id of a driver name ("kvm", "i915"...), or 0 when no callback has it. */
__u32 ntf_subscriber_id(const char *driver);
/* Name of a subscriber id for reports: "kvm", or "chain" for 0. */
const char *ntf_subscriber_name(const struct ntf_subscribers *subs, __u32 id);

/* all: also the known callbacks this kernel lacks, with why; driver: only its own. */
void ntf_subscribers_report(FILE *out, const struct ntf_subscribers *subs, bool all,
			    const char *driver);
json_t *ntf_subscribers_json(const struct ntf_subscribers *subs);

#endif
