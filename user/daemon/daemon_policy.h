/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * notifierd's rules (--rules FILE, docs/rules.md): loaded at start, where
 * an error stops the daemon; loaded again on SIGHUP, where an error is
 * said and the running rules stay. The engine's hooks are the daemon's
 * flight recorder and stack reader.
 */
#ifndef NTF_DAEMON_POLICY_H
#define NTF_DAEMON_POLICY_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <jansson.h>
#include "daemon_record.h"
#include "policy.h"
#include "tracer.h"

/* Read when it exists and no --rules says otherwise. */
#define DAEMON_RULES_FILE "/etc/notifier/rules"

struct daemon_policy {
	const char *path; /* NULL: no rules */
	char loaded_path[PATH_MAX]; /* path made absolute: SIGHUP reads it after -D's chdir("/") */
	struct ntf_policy *p;
	struct daemon_rec *dr; /* the snapshot's and the stacks' */
	FILE *json; /* -j: alerts as JSON lines */
	/*
	 * The tracer whose gates judge the rules in the kernel (NULL: none):
	 * what -H streams, and the signals of rules it judges whole.
	 */
	struct tracer *t;
	bool gated; /* -H: the gates are the stream */
	__u32 gate_callbacks[NTF_STREAM_CALLBACK_SLOTS]; /* as last written */
	/* rule i's cgroup is in gate i; one that was not there is looked for on rescans */
	bool cgroup_open[NTF_RULE_GATES];
	bool cgroup_missing;
	bool stacks; /* the tracer takes stacks */
	__u64 stack_min_ns; /* ... of events at least this slow */
	unsigned int reloads, reload_errors;
};

/* The engine's hooks: dr's flight recorder (when it has one) and its stacks (when taken). */
struct ntf_policy_hooks daemon_policy_hooks(struct daemon_rec *dr, bool stacks, FILE *json);
/*
 * The rules of path, parsed and checked for what the daemon will have
 * (flight: --flight given), before the tracer is made: whether a rule
 * wants kernel stacks (*min_ns the lowest latency one asks of). 0, or -1
 * with the error said (FILE:LINE:COLUMN: reason).
 */
int daemon_policy_check(const char *path, bool flight, bool *stacks, __u64 *min_ns);
/*
 * The engine over path's rules, and with t their gates in its kernel
 * (gated: -H, they are the stream). 0, or -1 with the error said.
 */
int daemon_policy_open(struct daemon_policy *dp, const char *path, struct daemon_rec *dr,
		       FILE *json, bool stacks, __u64 stack_min_ns, struct tracer *t, bool gated);
/*
 * After a rescan: callbacks found since judged by the gates' driver and
 * callback conditions, and a rule's cgroup made since put in its gate.
 */
void daemon_policy_rescan(struct daemon_policy *dp);
/* The daemon's pid changed (-D): its gates never signal it, under the new one. */
void daemon_policy_new_pid(struct daemon_policy *dp);
static inline void daemon_policy_event(struct daemon_policy *dp, const struct ntf_event *e,
				       __u64 now_ns)
{
	if (dp->p)
		ntf_policy_event(dp->p, e, now_ns);
}
void daemon_policy_tick(struct daemon_policy *dp, __u64 now_ns);
/* SIGHUP: the file again; on an error the running rules stay. */
void daemon_policy_reload(struct daemon_policy *dp, __u64 now_ns);
/* The rules' counts, for the summary: "policy": [{"rule", "matched", ...}]. */
json_t *daemon_policy_json(const struct daemon_policy *dp);
void daemon_policy_summary_text(FILE *out, const struct daemon_policy *dp);
/* The end: open windows say what they held back (before the summary counts them). */
void daemon_policy_close(struct daemon_policy *dp, __u64 now_ns);
void daemon_policy_free(struct daemon_policy *dp);

#endif
