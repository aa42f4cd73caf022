// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A rule's 'do' (actions separated by ',', each at most once) and its 'limit'. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "rules_int.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *name;
	unsigned int act;
} actions[] = {
	{ "alert", NTF_ACT_ALERT },	  { "stack", NTF_ACT_STACK },
	{ "snapshot", NTF_ACT_SNAPSHOT }, { "signal", NTF_ACT_SIGNAL },
	{ "freeze", NTF_ACT_FREEZE },	  { "exec", NTF_ACT_EXEC },
};

/* The usual signals: what a policy would send a task. */
static const struct {
	const char *name;
	int sig;
} signals[] = {
	{ "HUP", SIGHUP },   { "INT", SIGINT },	  { "QUIT", SIGQUIT }, { "ABRT", SIGABRT },
	{ "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 }, { "SEGV", SIGSEGV },
	{ "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM }, { "CONT", SIGCONT },
	{ "STOP", SIGSTOP }, { "TSTP", SIGTSTP },
};

bool rules_is_action(const struct rules_parser *p)
{
	for (size_t i = 0; i < ARRAY_LEN(actions); i++)
		if (rp_is(p, actions[i].name))
			return true;
	return false;
}

/* KILL, SIGKILL, kill, sigkill: the number, or 0. */
static int signal_from_name(const char *s)
{
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	for (size_t i = 0; i < ARRAY_LEN(signals); i++)
		if (!strcasecmp(s, signals[i].name))
			return signals[i].sig;
	return 0;
}

static int signal_arg(struct rules_parser *p, struct ntf_rule *r)
{
	static const char names[] = "HUP, INT, QUIT, ABRT, KILL, USR1, USR2, SEGV, PIPE, ALRM, "
				    "TERM, CONT, STOP, TSTP";
	int ret = rp_next(p);

	if (ret)
		return ret;
	if (p->tok.kind != RTOK_WORD || rp_reserved(p))
		return rp_fail(p, "'signal' needs a signal's name (%s)", names);
	r->signal = signal_from_name(p->tok.text);
	if (!r->signal)
		return rp_fail(p, "unknown signal '%s' (expected %s)", rp_clip(p), names);
	return 0;
}

static int exec_arg(struct rules_parser *p, struct ntf_rule *r)
{
	int ret = rp_next(p);

	if (ret)
		return ret;
	if (p->tok.kind != RTOK_STRING)
		return rp_fail(p, "'exec' needs a command in double quotes");
	if (p->tok.len == strspn(p->tok.text, " \t"))
		return rp_fail(p, "'exec' needs a command, not an empty string");
	if (p->tok.too_long || p->tok.len >= sizeof(r->cmd))
		return rp_fail(p, "command too long (at most %zu bytes)", sizeof(r->cmd) - 1);
	memcpy(r->cmd, p->tok.text, p->tok.len + 1);
	return 0;
}

int rules_do(struct rules_parser *p, struct ntf_rule *r)
{
	unsigned int stack_line = 0, stack_column = 0;
	int ret;

	do {
		unsigned int a = 0;

		ret = rp_next(p); /* past 'do' or ',' */
		if (ret)
			return ret;
		if (p->tok.kind == RTOK_END || rp_reserved(p))
			return rp_fail(p, "expected an action (alert, stack, snapshot, signal SIG, "
					  "freeze, exec \"CMD\")");
		for (size_t i = 0; i < ARRAY_LEN(actions); i++)
			if (rp_is(p, actions[i].name))
				a = actions[i].act;
		if (!a)
			return rp_fail(
				p,
				"unknown action '%s' (expected alert, stack, snapshot, signal, "
				"freeze, exec)",
				rp_clip(p));
		if (r->actions & a)
			return rp_fail(p, "'%s' given twice in rule '%s'", p->tok.text, r->name);
		r->actions |= a;
		if (a == NTF_ACT_STACK) {
			stack_line = p->tok.line;
			stack_column = p->tok.column;
		}
		if (a == NTF_ACT_SIGNAL)
			ret = signal_arg(p, r);
		else if (a == NTF_ACT_EXEC)
			ret = exec_arg(p, r);
		if (!ret)
			ret = rp_next(p);
	} while (!ret && p->tok.kind == RTOK_COMMA);
	if (!ret && (r->actions & NTF_ACT_STACK) && !(r->actions & NTF_ACT_ALERT))
		return rules_error(
			p->err, stack_line, stack_column,
			"'stack' adds the kernel stack to an alert: it needs 'alert' too");
	return ret;
}

int rules_limit(struct rules_parser *p, struct ntf_rule *r)
{
	static const char usage[] =
		"'limit' needs a number, 'per' and a duration (limit 5 per 60s)";
	__u64 n;
	int ret;

	ret = rp_next(p);
	if (ret)
		return ret;
	if (p->tok.kind != RTOK_WORD || !p->tok.len || p->tok.text[0] < '0' || p->tok.text[0] > '9')
		return rp_fail(p, "%s", usage);
	ret = rp_number(p, 1, 0xffffffffULL, &n, "limit");
	if (!ret)
		ret = rp_next(p);
	if (ret)
		return ret;
	r->limit = n;
	if (!rp_is(p, "per"))
		return rp_fail(p, "%s", usage);
	ret = rp_next(p);
	if (!ret)
		ret = rp_duration(p, &r->limit_ns);
	return ret ? ret : rp_next(p);
}
