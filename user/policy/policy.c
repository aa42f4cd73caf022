// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The rules engine's judging (policy.h): conditions, counts over their
 * windows, limits. What a firing does is policy_actions.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "log.h"
#include "policy_int.h"
#include "rule_match.h"

static int check_rule(const struct ntf_rule *r, const struct ntf_policy_hooks *h, char *why,
		      size_t why_len)
{
	if ((r->actions & NTF_ACT_SNAPSHOT) && !h->snapshot) {
		snprintf(
			why, why_len,
			"rule '%s' (line %u): snapshot needs a flight recorder (notifierd --flight)",
			r->name, r->line);
		return -EINVAL;
	}
	if (r->count_min > NTF_POLICY_MAX_COUNT) {
		snprintf(why, why_len, "rule '%s' (line %u): a count of at most %u in a window",
			 r->name, r->line, NTF_POLICY_MAX_COUNT);
		return -EINVAL;
	}
	return 0;
}

int ntf_policy_new(struct ntf_policy **out, struct ntf_rules *rules,
		   const struct ntf_policy_hooks *hooks, char *why, size_t why_len)
{
	struct ntf_policy *p;
	int err;

	*out = NULL;
	for (unsigned int i = 0; i < rules->n; i++)
		if ((err = check_rule(&rules->rule[i], hooks, why, why_len)))
			return err;
	p = calloc(1, sizeof(*p));
	if (!p || !(p->frames = malloc(NTF_REC_MAX_DEPTH * sizeof(*p->frames))) ||
	    (rules->n && !(p->rs = calloc(rules->n, sizeof(*p->rs))))) {
		ntf_policy_free(p);
		snprintf(why, why_len, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	p->h = *hooks;
	for (unsigned int i = 0; i < rules->n; i++) {
		struct rule_state *s = &p->rs[p->n++];

		s->r = rules->rule[i];
		/* the ring is made at the first match: a rule that never matches costs nothing */
	}
	ntf_rules_free(rules);
	*out = p;
	return 0;
}

/* Whether this match completes the rule's count within its window. */
static bool count_reached(struct rule_state *s, const struct ntf_event *e)
{
	__u64 t = e->ts_ns + e->latency_ns, oldest;
	__u32 cap = s->r.count_min;

	if (!s->times && !(s->times = malloc((size_t)cap * sizeof(*s->times))))
		return false; /* no memory: the rule counts nothing rather than fire wrongly */
	s->times[s->head] = t;
	s->head = (s->head + 1) % cap;
	if (s->ntimes < cap)
		s->ntimes++;
	if (s->ntimes < cap)
		return false;
	/* full: head is the oldest of the last cap matches (or, out of order, the newest) */
	oldest = s->times[s->head];
	if ((t >= oldest ? t - oldest : oldest - t) > s->r.count_window_ns)
		return false;
	/* fired: the next firing needs as many new matches */
	s->ntimes = s->head = 0;
	return true;
}

static void say_held_back(struct ntf_policy *p, struct rule_state *s, __u64 now_ns)
{
	double secs = (double)(now_ns - s->win_start) / 1e9;
	__u64 held = s->win_fired - s->win_shown;

	if (!held)
		return;
	if (secs * 1e9 > s->r.limit_ns)
		secs = s->r.limit_ns / 1e9;
	if (p->h.json) {
		json_t *o = json_pack("{ss ss sI sI sI sf}", "type", "policy_limit", "rule",
				      s->r.name, "fired", (json_int_t)s->win_fired, "shown",
				      (json_int_t)s->win_shown, "suppressed", (json_int_t)held,
				      "window_s", secs);

		json_dumpf(o, p->h.json, JSON_COMPACT);
		fputc('\n', p->h.json);
		fflush(p->h.json);
		json_decref(o);
	} else {
		ntf_warn("policy: rule '%s' fired %llu times in %.3g s, %llu shown", s->r.name,
			 (unsigned long long)s->win_fired, secs, (unsigned long long)s->win_shown);
	}
}

static void close_window(struct ntf_policy *p, struct rule_state *s, __u64 now_ns)
{
	if (!s->open)
		return;
	say_held_back(p, s, now_ns);
	s->open = false;
}

/*
 * Whether the kernel's gate judged s's signal for e: the first such rule
 * an event matches has it, as the kernel signals for its first such gate.
 */
static bool kernel_signalled(struct ntf_policy *p, const struct rule_state *s,
			     const struct ntf_event *e)
{
	if (!s->kernel_signal || !(e->flags & NTF_F_KSIGNAL) || p->ksignal_claimed)
		return false;
	p->ksignal_claimed = true;
	return true;
}

static void fire(struct ntf_policy *p, struct rule_state *s, const struct ntf_event *e,
		 __u64 now_ns)
{
	bool kernel = kernel_signalled(p, s, e), held;

	if (s->open && now_ns - s->win_start >= s->r.limit_ns)
		close_window(p, s, now_ns);
	if (!s->open) {
		s->open = true;
		s->win_start = now_ns;
		s->win_fired = s->win_shown = 0;
	}
	s->st.fired++;
	s->win_fired++;
	/* the kernel's limit, which held its signal back or not, is the rule's */
	held = kernel ? !(e->flags & (NTF_F_KSIGNAL_SENT | NTF_F_KSIGNAL_FAILED)) :
			s->win_shown >= s->r.limit;
	if (held) {
		s->st.suppressed++;
		return;
	}
	s->win_shown++;
	s->st.acted++;
	p->ksignal_rule = kernel ? s : NULL;
	policy_act(p, s, e);
	p->ksignal_rule = NULL;
}

void ntf_policy_event(struct ntf_policy *p, const struct ntf_event *e, __u64 now_ns)
{
	p->ksignal_claimed = false;
	for (unsigned int i = 0; i < p->n; i++) {
		struct rule_state *s = &p->rs[i];

		if (!ntf_rule_matches(&s->r, e, now_ns / 1000000))
			continue;
		s->st.matched++;
		if (s->r.count_min && !count_reached(s, e))
			continue;
		fire(p, s, e, now_ns);
	}
}

void ntf_policy_tick(struct ntf_policy *p, __u64 now_ns)
{
	for (unsigned int i = 0; i < p->n; i++) {
		struct rule_state *s = &p->rs[i];

		if (s->open && now_ns - s->win_start >= s->r.limit_ns)
			close_window(p, s, now_ns);
	}
	policy_reap(p);
}

void ntf_policy_flush(struct ntf_policy *p, __u64 now_ns)
{
	for (unsigned int i = 0; i < p->n; i++)
		close_window(p, &p->rs[i], now_ns);
	policy_reap(p);
}

void ntf_policy_kernel_signals(struct ntf_policy *p, const struct ntf_rule_gates *g)
{
	for (unsigned int i = 0; i < p->n; i++)
		p->rs[i].kernel_signal = g && i < g->n && i < NTF_RULE_GATES && g->gate[i].signal;
}

unsigned int ntf_policy_count(const struct ntf_policy *p)
{
	return p->n;
}

const struct ntf_rule *ntf_policy_rule(const struct ntf_policy *p, unsigned int i)
{
	return &p->rs[i].r;
}

void ntf_policy_stats(const struct ntf_policy *p, unsigned int i, struct ntf_rule_stats *st)
{
	*st = p->rs[i].st;
}

bool ntf_policy_wants_stacks(const struct ntf_policy *p, __u64 *min_ns)
{
	bool any = false;

	for (unsigned int i = 0; i < p->n; i++) {
		const struct ntf_rule *r = &p->rs[i].r;

		/* failed events carry their stack whatever the threshold */
		if (!(r->actions & NTF_ACT_STACK) || (r->failed == NTF_RULE_YES && !r->lat_min_ns))
			continue;
		if (!any || r->lat_min_ns < *min_ns)
			*min_ns = r->lat_min_ns;
		any = true;
	}
	return any;
}

void ntf_policy_adopt(struct ntf_policy *to, struct ntf_policy *from)
{
	policy_reap(from);
	while (from->nchildren && to->nchildren < NTF_POLICY_MAX_CHILDREN)
		to->children[to->nchildren++] = from->children[--from->nchildren];
}

void ntf_policy_free(struct ntf_policy *p)
{
	if (!p)
		return;
	for (unsigned int i = 0; i < p->n; i++)
		free(p->rs[i].times);
	free(p->rs);
	free(p->frames);
	free(p);
}
