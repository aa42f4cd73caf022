/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The rules engine: every event of the stream judged against the rules
 * (query/rules.h), a rule's count kept over its window, firings held to
 * the rule's limit with the rest counted and said when the window ends
 * ("rule 'x' fired 1,204 times in 60 s, 3 shown"), and the actions of
 * those acted on: alert, stack, snapshot, signal, freeze, exec.
 *
 * What the engine cannot do itself comes through hooks: the flight
 * recorder's snapshot and an event's kernel stack are the daemon's.
 *
 * Time: a rule's count window is judged by the events' own clock (their
 * end, ts_ns + latency_ns), so a replay or a burst read late counts as
 * it happened; its limit window by the caller's now_ns (CLOCK_MONOTONIC),
 * since that is when alerts reach a person.
 *
 * One thread; nothing blocks but a write to a cgroup file and fork().
 */
#ifndef NTF_POLICY_H
#define NTF_POLICY_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>
#include "record.h"
#include "rules.h"

/* A count window holds at most this many events' times (8 bytes each). */
#define NTF_POLICY_MAX_COUNT 1000000
/* Commands of exec actions still running at most; more are refused, and said. */
#define NTF_POLICY_MAX_CHILDREN 16

struct ntf_policy_hooks {
	/*
	 * A flight-recorder snapshot with trigger ("policy:<rule>"): 0 with
	 * the file in path, or a negative errno with why. NULL: none, and a
	 * rule with the snapshot action is refused.
	 */
	int (*snapshot)(void *ctx, const char *trigger, char *path, size_t path_len, char *why,
			size_t why_len);
	/* e's kernel stack into frames (NTF_REC_MAX_DEPTH): their number, 0 for none. NULL: none. */
	int (*stack)(void *ctx, const struct ntf_event *e, struct ntf_rec_frame *frames);
	void *ctx;
	FILE *json; /* alerts and summaries as JSON lines here; NULL: text lines on stderr */
};

struct ntf_rule_stats {
	__u64 matched; /* events that passed the conditions */
	__u64 fired; /* each such event, or each time the count was reached */
	__u64 acted; /* firings whose actions ran */
	__u64 suppressed; /* firings the limit held back */
	__u64 failed_actions; /* actions that could not be done (said each time) */
};

struct ntf_policy;

/*
 * An engine over rules, which it takes (*rules is emptied). 0 and *out;
 * -EINVAL with why when a rule asks what cannot be (a snapshot without
 * a flight recorder, a count over NTF_POLICY_MAX_COUNT), naming the rule
 * and its line; or -ENOMEM.
 */
int ntf_policy_new(struct ntf_policy **out, struct ntf_rules *rules,
		   const struct ntf_policy_hooks *hooks, char *why, size_t why_len);
/* One event, at the caller's now_ns. */
void ntf_policy_event(struct ntf_policy *p, const struct ntf_event *e, __u64 now_ns);
/* Time passes: limit windows that ended say what they held back; finished commands reaped. */
void ntf_policy_tick(struct ntf_policy *p, __u64 now_ns);
/* The end: every open window says what it held back. */
void ntf_policy_flush(struct ntf_policy *p, __u64 now_ns);
unsigned int ntf_policy_count(const struct ntf_policy *p);
const struct ntf_rule *ntf_policy_rule(const struct ntf_policy *p, unsigned int i);
void ntf_policy_stats(const struct ntf_policy *p, unsigned int i, struct ntf_rule_stats *st);
/* Whether a rule has the stack action; *min_ns the lowest latency such a rule asks of. */
bool ntf_policy_wants_stacks(const struct ntf_policy *p, __u64 *min_ns);
/* to reaps the commands from started (a reload): as many as to has room for. */
void ntf_policy_adopt(struct ntf_policy *to, struct ntf_policy *from);
/*
 * The kernel's gates for p's rules (policy_gates.c): each rule's
 * conditions the kernel can judge (class, latency, process, failure,
 * blockable, driver and callback by gate_callbacks, cgroup where
 * cgroup_open[i] says gate_cgroups holds rule i's); the others (origin,
 * comm, a count) pass. A rule the kernel judges whole has its signal
 * action done by its gate. More rules than NTF_RULE_GATES: the last gate
 * passes every event, and signals nothing. cgroup_open may be NULL.
 */
void ntf_policy_gates(const struct ntf_policy *p, const bool *cgroup_open,
		      struct ntf_rule_gates *g);
/*
 * The rules whose signal the kernel sends, as gates g (a ntf_policy_gates
 * now in the kernel) say: their firings then report the kernel's signal
 * (the event's NTF_F_KSIGNAL flags) and take none from the daemon. NULL:
 * none.
 */
void ntf_policy_kernel_signals(struct ntf_policy *p, const struct ntf_rule_gates *g);
/* The gates callback id meets the driver and callback conditions of: bit 1 << gate. */
__u32 ntf_policy_gate_callbacks(const struct ntf_policy *p, __u32 id);
/* Rules whose gate passes every event (nothing in them the kernel judges). */
unsigned int ntf_policy_gates_open(const struct ntf_policy *p, const bool *cgroup_open);
/* Frees p; commands it started run on, unreaped by it. */
void ntf_policy_free(struct ntf_policy *p);

#endif
