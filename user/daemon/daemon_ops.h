/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * notifierd's BPF policy (--policy FILE, docs/policy.md): each event's
 * verdict, before anything else sees the event. Ignored events go
 * nowhere; counted ones into the histograms and the rules; recorded and
 * escalated ones into the recordings as well (with a policy, the
 * recorders keep only those); escalated ones raise an alert with the
 * actions the policy or-ed in, through a rules engine of one rule per
 * set of actions, held to its limit (10 per 60 s) like any rule. SIGHUP
 * loads the file again: the new policy judges from the next event on,
 * and a file that does not load leaves the running one.
 */
#ifndef NTF_DAEMON_OPS_H
#define NTF_DAEMON_OPS_H

#include <limits.h>
#include <stdio.h>
#include <jansson.h>
#include "daemon_record.h"
#include "policy.h"
#include "policy_ops.h"
#include "proto.h"

#define DAEMON_OPS_ACTION_SETS 8 /* stack x snapshot x signal */

/* The policies loaded one after another, most recent last: what each judged, and when. */
#define DAEMON_OPS_GENERATIONS 16
struct daemon_ops_generation {
	char policy[64];
	__u32 id; /* the struct_ops backend stamps it on each answer (NOTIFIER_GEN_MASK of it) */
	__u64 judged;
	__u64 first_ns, last_ns; /* the events' ts_ns: the first and the last judged */
};

struct daemon_ops {
	const char *path; /* NULL: no policy */
	/* the struct_ops backend: the tracer's programs ask the attached policy (ntf_event.policy) */
	bool in_kernel;
	char loaded_path[PATH_MAX]; /* what path points to: absolute */
	struct ntf_policy_ops *ops;
	struct ntf_policy *escalate[DAEMON_OPS_ACTION_SETS]; /* made at first use */
	struct ntf_policy_hooks hooks;
	__u64 verdicts[NOTIFIER_VERDICT_MAX];
	__u64 stack, snapshot, signal;
	__u64 invalid; /* answers that were no verdict: unjudged */
	__u64 failed_runs; /* runs the kernel failed: unjudged */
	__u64 alerts_raised, alerts_held; /* of the policies replaced */
	unsigned int reloads, reload_errors; /* by SIGHUP or the socket */
	unsigned int loads; /* policies that judged, one after another */
	bool no_snapshot_said;
	/* gen[0..ngen): the last DAEMON_OPS_GENERATIONS; gen[ngen - 1] is the running one */
	struct daemon_ops_generation gen[DAEMON_OPS_GENERATIONS];
	unsigned int ngen;
};

/*
 * The policy at path, loaded (dr: the flight recorder and stacks its
 * actions use; json: alerts as JSON lines). in_kernel: the tracer's
 * programs call the companion module's kfunc (tracer_opts.policy_judge),
 * and policies run by the struct_ops backend; else by the portable one.
 * 0, or -1 with the error said.
 */
int daemon_ops_open(struct daemon_ops *d, const char *path, struct daemon_rec *dr, FILE *json,
		    bool stacks, bool in_kernel);
/* What an event the policy did not judge gets: what it got without a policy. */
#define DAEMON_OPS_UNJUDGED NOTIFIER_VERDICT_MAX
/*
 * e's verdict (enum notifier_verdict), its actions taken; DAEMON_OPS_UNJUDGED
 * without a policy, for a class it has no program for, for an answer that
 * is no verdict and for a run that failed.
 */
unsigned int daemon_ops_judge(struct daemon_ops *d, const struct ntf_event *e, __u64 now_ns);
void daemon_ops_tick(struct daemon_ops *d, __u64 now_ns);
/* SIGHUP: the file again; one that does not load leaves the running policy. */
void daemon_ops_reload(struct daemon_ops *d, __u64 now_ns);
/*
 * A socket's POLICY (proto.h; the server checked who asks): LOAD replaces
 * the running policy (which SIGHUP then loads again), UNLOAD leaves none,
 * LIST changes nothing. 0 with the state after it, or -EIO with why (the
 * loader's words: the running policy stays).
 */
int daemon_ops_request(struct daemon_ops *d, const struct ntf_proto_policy *req, __u64 now_ns,
		       struct ntf_proto_policy_state *out, char *why, size_t why_len);
/* Whether a policy was ever loaded: the summary then says what each judged. */
static inline bool daemon_ops_used(const struct daemon_ops *d)
{
	return d->ngen > 0;
}
/* The end: the alerts' windows say what they held back. */
void daemon_ops_close(struct daemon_ops *d, __u64 now_ns);
json_t *daemon_ops_json(const struct daemon_ops *d);
void daemon_ops_summary_text(FILE *out, const struct daemon_ops *d);
void daemon_ops_free(struct daemon_ops *d);

#endif
