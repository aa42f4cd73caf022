// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The part of each rule the kernel can judge, as gates (bpf/notifier.h's
 * struct ntf_rule_gate): with -H an event no gate passes cannot match a
 * rule, so it never leaves the kernel; a rule judged whole has its signal
 * sent by its gate. Gates only ever pass more than the rules: the engine
 * judges every condition again on what comes through.
 */
#include <string.h>
#include "callbacks.h"
#include "policy.h"

static __u8 gate_tri(int rule_tri)
{
	return rule_tri == NTF_RULE_ANY ? NTF_GATE_ANY :
	       rule_tri == NTF_RULE_YES ? NTF_GATE_YES :
					  NTF_GATE_NO;
}

/* Rule i's gate, or the last gate's when rules outnumber gates: it passes every event. */
static bool has_own_gate(const struct ntf_policy *p, unsigned int i)
{
	return ntf_policy_count(p) <= NTF_RULE_GATES || i < NTF_RULE_GATES - 1;
}

/*
 * Whether the kernel judges all of rule i (its cgroup through gate i's
 * cgroup, when the caller could give it one) and so may act for it.
 */
static bool judged_whole(const struct ntf_policy *p, unsigned int i, const bool *cgroup_open)
{
	const struct ntf_rule *r = ntf_policy_rule(p, i);

	return has_own_gate(p, i) && !r->count_min && !r->origin_mask && !r->comm[0] &&
	       (!r->cgroup[0] || (cgroup_open && cgroup_open[i]));
}

void ntf_policy_gates(const struct ntf_policy *p, const bool *cgroup_open, struct ntf_rule_gates *g)
{
	unsigned int n = ntf_policy_count(p);

	memset(g, 0, sizeof(*g));
	for (unsigned int i = 0; i < n && has_own_gate(p, i); i++) {
		const struct ntf_rule *r = ntf_policy_rule(p, i);
		struct ntf_rule_gate *gate = &g->gate[g->n++];

		gate->class_mask = r->class_mask;
		gate->lat_min_ns = r->lat_min_ns;
		gate->lat_max_ns = r->lat_max_ns;
		gate->tgid = r->pid;
		gate->failed = gate_tri(r->failed);
		gate->blockable = gate_tri(r->blockable);
		gate->by_callback = r->driver[0] || r->callback[0];
		gate->by_cgroup = r->cgroup[0] && cgroup_open && cgroup_open[i];
		if ((r->actions & NTF_ACT_SIGNAL) && judged_whole(p, i, cgroup_open)) {
			gate->signal = (__u8)r->signal;
			gate->limit = r->limit;
			gate->limit_ns = r->limit_ns;
			g->signal_gates++;
		}
	}
	if (g->n < n)
		g->n++; /* the last, all zero: any event */
}

__u32 ntf_policy_gate_callbacks(const struct ntf_policy *p, __u32 id)
{
	__u32 bits = 0;
	const char *func = ntf_callback_func(id);

	for (unsigned int i = 0; i < ntf_policy_count(p) && has_own_gate(p, i); i++) {
		const struct ntf_rule *r = ntf_policy_rule(p, i);

		/* as ntf_rule_matches judges them: id 0 is the chain, no driver's */
		if (r->driver[0] && (!id || strcmp(ntf_driver_name(id), r->driver)))
			continue;
		if (r->callback[0] && (!func || strcmp(func, r->callback)))
			continue;
		bits |= 1u << i;
	}
	return bits;
}

unsigned int ntf_policy_gates_open(const struct ntf_policy *p, const bool *cgroup_open)
{
	unsigned int open = 0;

	for (unsigned int i = 0; i < ntf_policy_count(p); i++) {
		const struct ntf_rule *r = ntf_policy_rule(p, i);

		if (!has_own_gate(p, i) ||
		    (!r->class_mask && !r->lat_min_ns && !r->lat_max_ns && !r->pid &&
		     r->failed == NTF_RULE_ANY && r->blockable == NTF_RULE_ANY && !r->driver[0] &&
		     !r->callback[0] && !(r->cgroup[0] && cgroup_open && cgroup_open[i])))
			open++;
	}
	return open;
}
