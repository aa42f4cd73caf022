// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include "callbacks.h"
#include "daemon_ops.h"
#include "daemon_policy.h"
#include "log.h"
#include "names.h"

/* NOTIFIER_ACT_* bits to an index of DAEMON_OPS_ACTION_SETS. */
static unsigned int action_set(unsigned int answer)
{
	return (answer & NOTIFIER_ACT_STACK ? 1 : 0) | (answer & NOTIFIER_ACT_SNAPSHOT ? 2 : 0) |
	       (answer & NOTIFIER_ACT_SIGNAL ? 4 : 0);
}

/* The id the next policy's generation gets. */
static __u32 next_id(const struct daemon_ops *d)
{
	return (d->loads + 1) & NOTIFIER_GEN_MASK;
}

/*
 * "PATH: WORDS" in why. A socket's answer is bounded, and the verifier's
 * last lines say what it refused: too long, the first line is kept and
 * as many of the last as fit.
 */
static void say_fitted(char *why, size_t why_len, const char *path, const char *words)
{
	const char *nl = strchr(words, '\n'), *tail;
	int head;

	if (snprintf(why, why_len, "%s: %s", path, words) < (int)why_len || !nl)
		return;
	head = snprintf(why, why_len, "%s: %.*s\n...\n", path, (int)(nl - words), words);
	if (head >= (int)why_len - 1)
		return;
	tail = words + strlen(words) - (why_len - 1 - head);
	if (tail <= nl)
		tail = nl + 1;
	/* from a line's start */
	if (strchr(tail, '\n') && tail[-1] != '\n')
		tail = strchr(tail, '\n') + 1;
	snprintf(why + head, why_len - head, "%s", tail);
}

/*
 * The policy at path, loaded and, by the struct_ops backend, attached in
 * place of the running one; or -1 with why ("PATH: the loader's words").
 */
static int open_policy(struct daemon_ops *d, const char *path, struct ntf_policy_ops **out,
		       char *why, size_t why_len)
{
	struct ntf_policy_ops_opts o = { .in_kernel = d->in_kernel, .generation = next_id(d) };
	char loader[1024];

	if (!ntf_policy_ops_open(out, path, &o, loader, sizeof(loader))) {
		if (!ntf_policy_ops_attach(*out, d->ops, loader, sizeof(loader)))
			return 0;
		ntf_policy_ops_free(*out);
		*out = NULL;
	}
	say_fitted(why, why_len, path, loader);
	return -1;
}

static const char *backend_name(const struct daemon_ops *d)
{
	return d->in_kernel ? "struct_ops" : "portable";
}

/* A policy starts judging: a generation of its own, the oldest dropped past the bound. */
static void new_generation(struct daemon_ops *d)
{
	struct daemon_ops_generation *g;

	if (d->ngen == DAEMON_OPS_GENERATIONS) {
		memmove(d->gen, d->gen + 1, sizeof(d->gen[0]) * (DAEMON_OPS_GENERATIONS - 1));
		d->ngen--;
	}
	g = &d->gen[d->ngen++];
	memset(g, 0, sizeof(*g));
	g->id = next_id(d);
	d->loads++;
	snprintf(g->policy, sizeof(g->policy), "%s", ntf_policy_ops_name(d->ops));
}

static void say_loaded(const struct daemon_ops *d, const char *when)
{
	char classes[128] = "";

	for (unsigned int c = 1; c < NTF_CLASS_MAX; c++)
		if (ntf_policy_ops_has(d->ops, c))
			snprintf(classes + strlen(classes), sizeof(classes) - strlen(classes),
				 "%s%s", *classes ? "," : "", ntf_class_name(c));
	ntf_info("policy %s judges %s (%s backend)%s", ntf_policy_ops_name(d->ops), classes,
		 backend_name(d), when);
}

int daemon_ops_open(struct daemon_ops *d, const char *path, struct daemon_rec *dr, FILE *json,
		    bool stacks, bool in_kernel)
{
	char why[PATH_MAX + 1024];

	memset(d, 0, sizeof(*d));
	d->hooks = daemon_policy_hooks(dr, stacks, json);
	d->in_kernel = in_kernel;
	if (!path)
		return 0;
	/* SIGHUP reads it again, after -D's chdir("/") */
	if (!realpath(path, d->loaded_path)) {
		ntf_err("%s: %s", path, strerror(errno));
		return -1;
	}
	d->path = d->loaded_path;
	if (open_policy(d, d->path, &d->ops, why, sizeof(why))) {
		ntf_err("%s", why);
		return -1;
	}
	new_generation(d);
	say_loaded(d, "");
	return 0;
}

/*
 * The engine of one set of actions: a rule without conditions, so each
 * escalated event given it fires, held to the rule's limit. Its name says
 * which policy raised the alert. An action the daemon cannot do (a
 * snapshot without --flight) is left out, and said once.
 */
static struct ntf_policy *escalation(struct daemon_ops *d, unsigned int set, const char *policy)
{
	struct ntf_rules_error perr = {};
	struct ntf_rules rules = {};
	char name[48], text[256], why[256] = "";
	size_t n = 0;

	if ((set & 2) && !d->hooks.snapshot) {
		if (!d->no_snapshot_said)
			ntf_warn("policy %s: snapshots need a flight recorder (--flight): its "
				 "alerts go without",
				 policy);
		d->no_snapshot_said = true;
		set &= ~2u;
	}
	if (d->escalate[set])
		return d->escalate[set];
	/* the rule's name: the policy's, in the characters a name may have */
	for (size_t i = 0; policy[i] && policy[i] != '.' && n < sizeof(name) - 1; i++)
		name[n++] = isalnum((unsigned char)policy[i]) || policy[i] == '-' ? policy[i] : '_';
	name[n] = '\0';
	snprintf(text, sizeof(text), "rule policy.%s do alert%s%s%s limit 10 per 60s\n", name,
		 set & 1 ? ", stack" : "", set & 2 ? ", snapshot" : "",
		 set & 4 ? ", signal SIGUSR2" : "");
	if (ntf_rules_parse(text, strlen(text), &rules, &perr) ||
	    ntf_policy_new(&d->escalate[set], &rules, &d->hooks, why, sizeof(why))) {
		ntf_rules_free(&rules);
		ntf_warn("policy %s: cannot raise alerts: %s", policy, *why ? why : perr.reason);
		return NULL;
	}
	return d->escalate[set];
}

/* The generation of id, newest first: answers still in the ring buffer outlive a swap. */
static struct daemon_ops_generation *generation_of(struct daemon_ops *d, __u32 id)
{
	for (unsigned int i = d->ngen; i-- > 0;)
		if (d->gen[i].id == id)
			return &d->gen[i];
	return NULL;
}

/* The answer of the policy that judged e, and its generation; -ENOENT: none judged it. */
static long answer_of(struct daemon_ops *d, const struct ntf_event *e,
		      struct daemon_ops_generation **g)
{
	struct notifier_policy_event pe;

	if (d->in_kernel) {
		/* judged by the tracer's programs, with the generation of the policy they asked */
		if (!(e->policy & NOTIFIER_JUDGED))
			return -ENOENT;
		*g = generation_of(d, (e->policy >> NOTIFIER_GEN_SHIFT) & NOTIFIER_GEN_MASK);
		return *g ? (long)(e->policy & NOTIFIER_ANSWER_MASK) : -ENOENT;
	}
	if (!d->ops || !ntf_policy_ops_has(d->ops, e->class))
		return -ENOENT;
	ntf_policy_event_of(&pe, e);
	*g = &d->gen[d->ngen - 1];
	return ntf_policy_ops_run(d->ops, &pe);
}

unsigned int daemon_ops_judge(struct daemon_ops *d, const struct ntf_event *e, __u64 now_ns)
{
	struct daemon_ops_generation *g = NULL;
	struct ntf_policy *alert;
	int verdict;
	long answer = answer_of(d, e, &g);

	if (!g)
		return DAEMON_OPS_UNJUDGED;
	if (!g->judged++)
		g->first_ns = e->ts_ns;
	g->last_ns = e->ts_ns;
	if (answer < 0) {
		/* what the daemon did before it had a policy: count it */
		if (!d->failed_runs++)
			ntf_warn(
				"policy %s: a run failed (%s): such events go on as without a policy",
				g->policy, strerror((int)-answer));
		return DAEMON_OPS_UNJUDGED;
	}
	verdict = ntf_policy_verdict_of(answer);
	if (verdict < 0) {
		d->invalid++;
		return DAEMON_OPS_UNJUDGED;
	}
	d->verdicts[verdict]++;
	if (verdict != NOTIFIER_ESCALATE)
		return verdict;
	d->stack += !!(answer & NOTIFIER_ACT_STACK);
	d->snapshot += !!(answer & NOTIFIER_ACT_SNAPSHOT);
	d->signal += !!(answer & NOTIFIER_ACT_SIGNAL);
	alert = escalation(d, action_set(answer), g->policy);
	if (alert)
		ntf_policy_event(alert, e, now_ns);
	return verdict;
}

void daemon_ops_tick(struct daemon_ops *d, __u64 now_ns)
{
	for (unsigned int i = 0; i < DAEMON_OPS_ACTION_SETS; i++)
		if (d->escalate[i])
			ntf_policy_tick(d->escalate[i], now_ns);
}

void daemon_ops_close(struct daemon_ops *d, __u64 now_ns)
{
	for (unsigned int i = 0; i < DAEMON_OPS_ACTION_SETS; i++)
		if (d->escalate[i])
			ntf_policy_flush(d->escalate[i], now_ns);
}

/*
 * The escalations' alerts over every set of actions and every policy:
 * acted on, and held back by the limit.
 */
static void alerts(const struct daemon_ops *d, __u64 *acted, __u64 *held)
{
	*acted = d->alerts_raised;
	*held = d->alerts_held;
	for (unsigned int i = 0; i < DAEMON_OPS_ACTION_SETS; i++) {
		struct ntf_rule_stats st;

		if (!d->escalate[i])
			continue;
		ntf_policy_stats(d->escalate[i], 0, &st);
		*acted += st.acted;
		*held += st.suppressed;
	}
}

static void free_escalations(struct daemon_ops *d)
{
	for (unsigned int i = 0; i < DAEMON_OPS_ACTION_SETS; i++) {
		ntf_policy_free(d->escalate[i]);
		d->escalate[i] = NULL;
	}
}

/* ops judges from the next event on; NULL: none does. */
static void replace(struct daemon_ops *d, struct ntf_policy_ops *ops, __u64 now_ns)
{
	/* the alerts held back so far are said under the old policy's name */
	daemon_ops_close(d, now_ns);
	alerts(d, &d->alerts_raised, &d->alerts_held);
	free_escalations(d);
	ntf_policy_ops_free(d->ops);
	d->ops = ops;
	if (ops)
		new_generation(d);
}

/* A policy read again (SIGHUP) or loaded on the socket takes over; when says which. */
static void take_over(struct daemon_ops *d, struct ntf_policy_ops *ops, __u64 now_ns,
		      const char *when)
{
	replace(d, ops, now_ns);
	d->reloads++;
	say_loaded(d, when);
}

void daemon_ops_reload(struct daemon_ops *d, __u64 now_ns)
{
	struct ntf_policy_ops *ops;
	char why[PATH_MAX + 1024];

	if (!d->path)
		return;
	if (open_policy(d, d->path, &ops, why, sizeof(why))) {
		ntf_err("%s; the running policy stays", why);
		d->reload_errors++;
		return;
	}
	take_over(d, ops, now_ns, " (read again on SIGHUP)");
}

int daemon_ops_request(struct daemon_ops *d, const struct ntf_proto_policy *req, __u64 now_ns,
		       struct ntf_proto_policy_state *out, char *why, size_t why_len)
{
	const struct daemon_ops_generation *g;
	struct ntf_policy_ops *ops;

	if (req->op == NTF_PROTO_POLICY_LOAD) {
		if (open_policy(d, req->path, &ops, why, why_len)) {
			ntf_warn("a policy load asked on the socket: %s; the running policy stays",
				 why);
			d->reload_errors++;
			return -EIO;
		}
		snprintf(d->loaded_path, sizeof(d->loaded_path), "%s", req->path);
		d->path = d->loaded_path;
		take_over(d, ops, now_ns, " (loaded on the socket)");
	} else if (req->op == NTF_PROTO_POLICY_UNLOAD) {
		if (d->ops)
			ntf_info("policy %s unloaded on the socket: events go on as without one",
				 ntf_policy_ops_name(d->ops));
		replace(d, NULL, now_ns);
		d->path = NULL;
	}
	memset(out, 0, sizeof(*out));
	for (int v = 0; v < NOTIFIER_VERDICT_MAX; v++)
		out->verdicts[v] = d->verdicts[v];
	out->loads = d->loads;
	if (!d->ops)
		return 0;
	g = &d->gen[d->ngen - 1];
	snprintf(out->name, sizeof(out->name), "%s", ntf_policy_ops_name(d->ops));
	snprintf(out->path, sizeof(out->path), "%s", d->path ? d->path : "");
	snprintf(out->backend, sizeof(out->backend), "%s", backend_name(d));
	out->judged = g->judged;
	out->since_ns = g->first_ns;
	return 0;
}

json_t *daemon_ops_json(const struct daemon_ops *d)
{
	json_t *o = json_pack("{s:s?, s:s, s:I, s:I, s:i, s:i}", "policy",
			      d->ops ? ntf_policy_ops_name(d->ops) : NULL, "backend",
			      backend_name(d), "invalid", (json_int_t)d->invalid, "failed_runs",
			      (json_int_t)d->failed_runs, "reloads", d->reloads, "reload_errors",
			      d->reload_errors);
	__u64 acted, held;
	json_t *gens;

	alerts(d, &acted, &held);
	json_object_set_new(o, "verdicts",
			    json_pack("{s:I, s:I, s:I, s:I}", "ignore",
				      (json_int_t)d->verdicts[NOTIFIER_IGNORE], "count",
				      (json_int_t)d->verdicts[NOTIFIER_COUNT], "record",
				      (json_int_t)d->verdicts[NOTIFIER_RECORD], "escalate",
				      (json_int_t)d->verdicts[NOTIFIER_ESCALATE]));
	json_object_set_new(o, "actions",
			    json_pack("{s:I, s:I, s:I}", "stack", (json_int_t)d->stack, "snapshot",
				      (json_int_t)d->snapshot, "signal", (json_int_t)d->signal));
	json_object_set_new(o, "alerts",
			    json_pack("{s:I, s:I}", "raised", (json_int_t)acted, "held_back",
				      (json_int_t)held));
	gens = json_array();
	for (unsigned int i = 0; i < d->ngen; i++)
		json_array_append_new(gens,
				      json_pack("{s:s, s:I, s:I, s:I}", "policy", d->gen[i].policy,
						"judged", (json_int_t)d->gen[i].judged, "first_ns",
						(json_int_t)d->gen[i].first_ns, "last_ns",
						(json_int_t)d->gen[i].last_ns));
	json_object_set_new(o, "generations", gens);
	return o;
}

void daemon_ops_summary_text(FILE *out, const struct daemon_ops *d)
{
	__u64 acted, held;

	alerts(d, &acted, &held);
	fprintf(out,
		"policy %s: %llu ignored, %llu counted, %llu recorded, %llu escalated (%llu with a "
		"stack, %llu a snapshot, %llu a signal); %llu alerts raised, %llu held back by "
		"their limit%s\n",
		d->ops ? ntf_policy_ops_name(d->ops) : "(none now)",
		(unsigned long long)d->verdicts[NOTIFIER_IGNORE],
		(unsigned long long)d->verdicts[NOTIFIER_COUNT],
		(unsigned long long)d->verdicts[NOTIFIER_RECORD],
		(unsigned long long)d->verdicts[NOTIFIER_ESCALATE], (unsigned long long)d->stack,
		(unsigned long long)d->snapshot, (unsigned long long)d->signal,
		(unsigned long long)acted, (unsigned long long)held,
		d->invalid || d->failed_runs ? "; some answers were no verdict, or runs failed: "
					       "those went on as without a policy" :
					       "");
}

void daemon_ops_free(struct daemon_ops *d)
{
	free_escalations(d);
	ntf_policy_ops_free(d->ops);
	d->ops = NULL;
}
