/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * BPF policy ops (bpf/notifier_policy.h): a policy object loaded, and
 * events judged by it. This is the portable backend: each program is
 * loaded as a syscall program and run on an event with
 * BPF_PROG_TEST_RUN, which every kernel since 5.14 allows, locked down
 * or not; what it costs is a system call an event (ntf_policy_ops_run).
 */
#ifndef NTF_POLICY_OPS_H
#define NTF_POLICY_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "notifier_policy.h"

struct ntf_policy_ops;

/*
 * Opens and loads the policy object at path. 0, or a negative errno with
 * why naming the problem: not a BPF object, no notifier_policy/<class>
 * program, an unknown class, a program of another kind, or the
 * verifier's refusal (the end of its log in why).
 */
struct ntf_policy_ops_opts {
	/*
	 * The struct_ops backend: the programs loaded as members of the
	 * companion module's type, made into a map that attach links. For a
	 * tracer whose programs call the module's kfunc (tracer_opts).
	 */
	bool in_kernel;
	__u32 generation; /* stamped on the answers (NOTIFIER_GEN_MASK of it) */
};
int ntf_policy_ops_open(struct ntf_policy_ops **out, const char *path,
			const struct ntf_policy_ops_opts *opts, char *why, size_t why_len);
/*
 * The struct_ops backend: p attached, in place of old when old is
 * attached (one swap through old's link: each event is judged by one or
 * the other). Nothing for the portable backend. 0, or a negative errno
 * with why (old stays attached).
 */
int ntf_policy_ops_attach(struct ntf_policy_ops *p, struct ntf_policy_ops *old, char *why,
			  size_t why_len);
bool ntf_policy_ops_in_kernel(const struct ntf_policy_ops *p);
/* Closes the policy; an attached one is detached. */
void ntf_policy_ops_free(struct ntf_policy_ops *p);
/* Whether the policy has a program for class (enum ntf_class). */
bool ntf_policy_ops_has(const struct ntf_policy_ops *p, unsigned int class);
/* The object's file name, without its directory. */
const char *ntf_policy_ops_name(const struct ntf_policy_ops *p);

/* An event as policies see it, its callback's driver named. */
void ntf_policy_event_of(struct notifier_policy_event *pe, const struct ntf_event *e);
/*
 * The policy's answer for pe (verdict and actions, as its program
 * returned it); NOTIFIER_COUNT for a class it has no program for. A
 * negative errno when the run failed (-EOPNOTSUPP: the struct_ops
 * backend's programs are run by the tracer's, not here).
 */
long ntf_policy_ops_run(const struct ntf_policy_ops *p, const struct notifier_policy_event *pe);
/*
 * The verdict (enum notifier_verdict) of a run's answer, or -1 when it is
 * none: a verdict past NOTIFIER_ESCALATE, or bits no action has.
 */
int ntf_policy_verdict_of(long answer);

/* Which backend runs a policy here, and why the other does not. */
struct ntf_policy_backends {
	bool portable; /* syscall programs load and BPF_PROG_TEST_RUN runs them */
	bool struct_ops; /* the companion module's struct_ops type */
	char portable_why[160];
	char struct_ops_why[200];
};
void ntf_policy_backends(struct ntf_policy_backends *b);

#endif
