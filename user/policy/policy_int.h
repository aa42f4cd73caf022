/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The engine's state, shared by its judging (policy.c) and its actions (policy_actions.c). */
#ifndef NTF_POLICY_INT_H
#define NTF_POLICY_INT_H

#include <sys/types.h>
#include "policy.h"

struct rule_state {
	struct ntf_rule r;
	/* the count window: the last count_min matches' end times, a ring */
	__u64 *times;
	__u32 ntimes, head;
	/* the limit window */
	bool open;
	__u64 win_start;
	__u64 win_fired, win_shown;
	struct ntf_rule_stats st;
	bool kernel_signal; /* its gate sends its signal (ntf_policy_kernel_signals) */
};

struct ntf_policy {
	struct rule_state *rs;
	unsigned int n;
	struct ntf_policy_hooks h;
	pid_t children[NTF_POLICY_MAX_CHILDREN];
	unsigned int nchildren;
	struct ntf_rec_frame *frames; /* an alert's stack */
	/* the event being judged: its kernel signal taken by a rule; that rule, while it acts */
	bool ksignal_claimed;
	const struct rule_state *ksignal_rule;
};

/* The actions of rule s for e: each done, or said why not. */
void policy_act(struct ntf_policy *p, struct rule_state *s, const struct ntf_event *e);
/* Commands that finished, reaped. */
void policy_reap(struct ntf_policy *p);

#endif
