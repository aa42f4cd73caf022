// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A rule's 'when': conditions joined by 'and', each word at most once. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "names.h"
#include "parse.h"
#include "rules_int.h"

enum cond {
	C_CLASS,
	C_DRIVER,
	C_CALLBACK,
	C_LATENCY,
	C_BLOCKABLE,
	C_FAILED,
	C_ORIGIN,
	C_PID,
	C_COMM,
	C_CGROUP,
	C_COUNT,
	C_MAX,
};

static const char *const cond_words[C_MAX] = {
	[C_CLASS] = "class",	     [C_DRIVER] = "driver",
	[C_CALLBACK] = "callback",   [C_LATENCY] = "latency",
	[C_BLOCKABLE] = "blockable", [C_FAILED] = "failed",
	[C_ORIGIN] = "origin",	     [C_PID] = "pid",
	[C_COMM] = "comm",	     [C_CGROUP] = "cgroup",
	[C_COUNT] = "count",
};

/* What one 'when' has seen so far. */
struct when_state {
	unsigned int seen; /* 1 << enum cond */
	bool lat_min, lat_max; /* a side of latency bound */
};

static unsigned int cond_of(const struct rules_parser *p)
{
	unsigned int c = 0;

	while (c < C_MAX && !rp_is(p, cond_words[c]))
		c++;
	return c;
}

bool rules_is_cond(const struct rules_parser *p)
{
	return cond_of(p) < C_MAX || rp_is(p, "not");
}

/* name(0), name(1)... ", "-separated into buf[len], as many as fit, then "...". */
static void list_names(char *buf, size_t len, const char *(*name)(unsigned int), unsigned int first,
		       unsigned int end)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned int i = first; i < end; i++) {
		const char *sep = i > first ? ", " : "";
		/* room for this one and for ", ..." should another not fit */
		if (used + strlen(sep) + strlen(name(i)) + 6 > len) {
			snprintf(buf + used, len - used, "%s...", sep);
			return;
		}
		used += snprintf(buf + used, len - used, "%s%s", sep, name(i));
	}
}

/* 'class NAME[,NAME...]' or 'origin ...': the list after the word at hand, into *mask. */
static int name_list(struct rules_parser *p, __u32 *mask, bool origin)
{
	const char *what = origin ? "origin" : "event class";
	char names[200];
	size_t room;
	int ret;

	do {
		unsigned int v;

		ret = rp_next(p);
		if (ret)
			return ret;
		if (p->tok.kind != RTOK_WORD || rp_reserved(p)) {
			list_names(names, sizeof(names) - 40,
				   origin ? ntf_origin_name : ntf_class_name, origin ? 0 : 1,
				   origin ? NTF_ORIGIN_MAX : NTF_CLASS_MAX);
			return rp_fail(p, "expected an %s (%s)", what, names);
		}
		v = origin ? ntf_origin_from_name(p->tok.text) : ntf_class_from_name(p->tok.text);
		if (origin ? v >= NTF_ORIGIN_MAX : v == NTF_CLASS_NONE) {
			room = sizeof(p->err->reason) - strlen(rp_clip(p)) - strlen(what) - 24;
			list_names(names, room < sizeof(names) ? room : sizeof(names),
				   origin ? ntf_origin_name : ntf_class_name, origin ? 0 : 1,
				   origin ? NTF_ORIGIN_MAX : NTF_CLASS_MAX);
			return rp_fail(p, "unknown %s '%s' (expected %s)", what, rp_clip(p), names);
		}
		*mask |= 1u << v;
		ret = rp_next(p);
	} while (!ret && p->tok.kind == RTOK_COMMA);
	return ret;
}

/* A word value for a condition, or a "string" where quoted is allowed. */
static int value(struct rules_parser *p, const char *word, bool quoted, const char *needs)
{
	int ret = rp_next(p);

	if (ret)
		return ret;
	if (!((p->tok.kind == RTOK_WORD && !rp_reserved(p)) ||
	      (quoted && p->tok.kind == RTOK_STRING && p->tok.len)))
		return rp_fail(p, "'%s' needs %s", word, needs);
	return 0;
}

static bool func_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.';
}

static int latency(struct rules_parser *p, struct ntf_rule *r, struct when_state *st)
{
	static const char usage[] = "'latency' needs one of > >= < <= and a duration";
	unsigned int line = p->tok.line, column = p->tok.column;
	char op[3], why[120];
	bool lower;
	__u64 ns;
	int ret;

	ret = rp_next(p);
	if (ret)
		return ret;
	if (p->tok.kind != RTOK_OP)
		return rp_fail(p, "%s", usage);
	memcpy(op, p->tok.text, sizeof(op));
	ret = rp_next(p);
	if (ret)
		return ret;
	if (p->tok.kind != RTOK_WORD || rp_reserved(p))
		return rp_fail(p, "%s", usage);
	if (ntf_parse_latency_ns(p->tok.text, &ns, why, sizeof(why)))
		return rp_fail(p, "bad latency: %s", why);
	lower = op[0] == '>';
	if (lower ? st->lat_min : st->lat_max)
		return rules_error(p->err, line, column, "a second %s bound on latency",
				   lower ? "lower" : "upper");
	if (lower) {
		r->lat_min_ns = op[1] ? ns : ns + 1;
		st->lat_min = true;
	} else {
		/* 0 is no bound at all: the least upper bound is 1 ns */
		if (op[1] ? ns < 1 : ns < 2)
			return rp_fail(p, "an upper bound on latency must be at least 1ns");
		r->lat_max_ns = op[1] ? ns : ns - 1;
		st->lat_max = true;
	}
	if (st->lat_min && st->lat_max && r->lat_min_ns > r->lat_max_ns)
		return rules_error(p->err, line, column,
				   "empty latency range: at least %llu ns and at most %llu ns",
				   (unsigned long long)r->lat_min_ns,
				   (unsigned long long)r->lat_max_ns);
	return rp_next(p);
}

static int count(struct rules_parser *p, struct ntf_rule *r)
{
	static const char usage[] = "'count' needs >= or >, a number, 'in' and a duration "
				    "(count >= 1000 in 1s)";
	bool more;
	int ret;

	ret = rp_next(p);
	if (ret)
		return ret;
	if (p->tok.kind != RTOK_OP || p->tok.text[0] != '>')
		return rp_fail(p, "%s", usage);
	more = !p->tok.text[1];
	ret = rp_next(p);
	if (!ret)
		ret = rp_number(p, 1, ~0ULL - 1, &r->count_min, "count");
	if (!ret)
		ret = rp_next(p);
	if (ret)
		return ret;
	r->count_min += more;
	if (!rp_is(p, "in"))
		return rp_fail(p, "%s", usage);
	ret = rp_next(p);
	if (!ret)
		ret = rp_duration(p, &r->count_window_ns);
	return ret ? ret : rp_next(p);
}

/* One condition, its word at hand (or 'not'); leaves the token after it. */
static int condition(struct rules_parser *p, struct ntf_rule *r, struct when_state *st)
{
	static const char expected[] = "class, driver, callback, latency, blockable, failed, "
				       "origin, pid, comm, cgroup, count";
	bool not = false;
	unsigned int c;
	__u64 v;
	int ret;

	if (p->tok.kind == RTOK_END || rp_reserved(p))
		return rp_fail(p, "expected a condition (%s)", expected);
	if (rp_is(p, "not")) {
		not = true;
		ret = rp_next(p);
		if (ret)
			return ret;
		if (!rp_is(p, "blockable") && !rp_is(p, "failed"))
			return rp_fail(p, "'not' goes before blockable or failed only");
	}
	c = cond_of(p);
	if (c == C_MAX)
		return rp_fail(p, "unknown condition '%s' (expected %s)", rp_clip(p), expected);
	if (c != C_LATENCY && (st->seen & (1u << c)))
		return rp_fail(p, "'%s' given twice in rule '%s'", cond_words[c], r->name);
	st->seen |= 1u << c;
	switch (c) {
	case C_CLASS: return name_list(p, &r->class_mask, false);
	case C_ORIGIN: return name_list(p, &r->origin_mask, true);
	case C_LATENCY: return latency(p, r, st);
	case C_COUNT: return count(p, r);
	case C_BLOCKABLE:
	case C_FAILED:
		*(c == C_BLOCKABLE ? &r->blockable : &r->failed) = not ? NTF_RULE_NO : NTF_RULE_YES;
		return rp_next(p);
	case C_DRIVER:
		ret = value(p, "driver", false, "a driver's name");
		if (ret)
			return ret;
		if (p->tok.too_long || p->tok.len >= sizeof(r->driver))
			return rp_fail(p, "driver name '%s' too long (at most %zu characters)",
				       rp_clip(p), sizeof(r->driver) - 1);
		memcpy(r->driver, p->tok.text, p->tok.len + 1);
		return rp_next(p);
	case C_CALLBACK:
		ret = value(p, "callback", false, "a function's name");
		if (ret)
			return ret;
		if (p->tok.too_long || p->tok.len >= sizeof(r->callback))
			return rp_fail(p, "function name '%s' too long (at most %zu characters)",
				       rp_clip(p), sizeof(r->callback) - 1);
		for (size_t i = 0; i < p->tok.len; i++)
			if (!func_char(p->tok.text[i]))
				return rp_fail(p, "bad function name '%s'", rp_clip(p));
		memcpy(r->callback, p->tok.text, p->tok.len + 1);
		return rp_next(p);
	case C_PID:
		ret = rp_next(p);
		if (!ret)
			ret = rp_number(p, 1, 0x7fffffff, &v, "pid");
		if (ret)
			return ret;
		r->pid = v;
		return rp_next(p);
	case C_COMM:
		ret = value(p, "comm", true, "a pattern (a word or a \"string\")");
		if (ret)
			return ret;
		if (p->tok.too_long || p->tok.len >= sizeof(r->comm))
			return rp_fail(p, "comm pattern '%s' too long (at most %zu characters)",
				       rp_clip(p), sizeof(r->comm) - 1);
		memcpy(r->comm, p->tok.text, p->tok.len + 1);
		return rp_next(p);
	case C_CGROUP:
		ret = value(p, "cgroup", true, "a path (a word or a \"string\")");
		if (ret)
			return ret;
		if (p->tok.too_long ||
		    ntf_cgroup_normalize(p->tok.text, r->cgroup, sizeof(r->cgroup)))
			return rp_fail(p, "cgroup path '%s' too long (at most %zu characters)",
				       rp_clip(p), sizeof(r->cgroup) - 1);
		return rp_next(p);
	}
	return -EINVAL; /* not reached: c < C_MAX */
}

int rules_when(struct rules_parser *p, struct ntf_rule *r)
{
	struct when_state st = {};
	int ret;

	do {
		ret = rp_next(p); /* past 'when' or 'and' */
		if (!ret)
			ret = condition(p, r, &st);
	} while (!ret && rp_is(p, "and"));
	if (!ret && rp_is(p, "or"))
		return rp_fail(p, "there is no 'or': write two rules");
	return ret;
}
