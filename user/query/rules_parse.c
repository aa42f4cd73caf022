// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A rules file, rule by rule: a name, then 'when', 'do' and 'limit' in any order. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "parse.h"
#include "rules_int.h"

int rp_next(struct rules_parser *p)
{
	return rules_lex_next(&p->lx, &p->tok, p->err);
}

int rp_fail(struct rules_parser *p, const char *fmt, ...)
{
	va_list ap;

	p->err->line = p->tok.line;
	p->err->column = p->tok.column;
	va_start(ap, fmt);
	vsnprintf(p->err->reason, sizeof(p->err->reason), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

bool rp_is(const struct rules_parser *p, const char *word)
{
	return p->tok.kind == RTOK_WORD && !strcmp(p->tok.text, word);
}

bool rp_reserved(const struct rules_parser *p)
{
	return rp_is(p, "when") || rp_is(p, "and") || rp_is(p, "do") || rp_is(p, "limit");
}

const char *rp_clip(struct rules_parser *p)
{
	size_t keep = sizeof(p->clip) - 4;

	if (p->tok.kind == RTOK_END)
		return "";
	if (p->tok.len <= keep && !p->tok.too_long)
		return p->tok.text;
	memcpy(p->clip, p->tok.text, keep);
	memcpy(p->clip + keep, "...", 4);
	return p->clip;
}

int rp_number(struct rules_parser *p, __u64 min, __u64 max, __u64 *out, const char *what)
{
	const char *s = p->tok.text;
	char why[120];

	if (p->tok.kind != RTOK_WORD || rp_reserved(p))
		return rp_fail(p, "'%s' needs a number", what);
	if (strspn(s, "0123456789") != p->tok.len)
		return rp_fail(p, "'%s' needs a number in decimal, not '%s'", what, rp_clip(p));
	/* decimal always: ntf_parse_u64 would read 010 as octal */
	while (s[0] == '0' && s[1])
		s++;
	if (ntf_parse_u64(s, min, max, out, why, sizeof(why)))
		return rp_fail(p, "bad %s: %s", what, why);
	return 0;
}

int rp_duration(struct rules_parser *p, __u64 *out_ns)
{
	char why[120];
	__u64 ms;

	if (p->tok.kind != RTOK_WORD || rp_reserved(p))
		return rp_fail(p, "expected a duration (500ms, 60s)");
	if (ntf_parse_duration_ms(p->tok.text, &ms, why, sizeof(why)))
		return rp_fail(p, "%s", why);
	if (!ms)
		return rp_fail(p, "'%s' is shorter than a millisecond", rp_clip(p));
	*out_ns = ms * 1000000ULL;
	return 0;
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.';
}

static int rule_name(struct rules_parser *p, struct ntf_rule *r, const struct ntf_rule *prev,
		     unsigned int nprev)
{
	if (p->tok.kind == RTOK_END || rp_reserved(p))
		return rp_fail(p, "'rule' needs a name");
	if (p->tok.kind != RTOK_WORD)
		return rp_fail(p, "a rule's name is a word of letters, digits, '-', '_' and '.'");
	if (p->tok.too_long || p->tok.len >= sizeof(r->name))
		return rp_fail(p, "rule name '%s' too long (at most %zu characters)", rp_clip(p),
			       sizeof(r->name) - 1);
	for (size_t i = 0; i < p->tok.len; i++)
		if (!name_char(p->tok.text[i]))
			return rp_fail(
				p, "bad rule name '%s' (letters, digits, '-', '_' and '.' only)",
				rp_clip(p));
	for (unsigned int i = 0; i < nprev; i++)
		if (!strcmp(prev[i].name, p->tok.text))
			return rp_fail(p, "duplicate rule name '%s' (first at line %u)",
				       p->tok.text, prev[i].line);
	memcpy(r->name, p->tok.text, p->tok.len + 1);
	return 0;
}

/* A word where a clause should start: say what it is, if it is anything. */
static int not_a_clause(struct rules_parser *p)
{
	if (rp_is(p, "or"))
		return rp_fail(p, "there is no 'or': write two rules");
	if (rules_is_cond(p))
		return rp_fail(p, "'%s' is a condition: it goes after 'when', joined by 'and'",
			       p->tok.text);
	if (rules_is_action(p))
		return rp_fail(p, "'%s' is an action: it goes after 'do', separated by ','",
			       p->tok.text);
	return rp_fail(p, "unexpected '%s' (expected when, do or limit)", rp_clip(p));
}

/* The rule whose 'rule' word is at hand, into *r, prev[0..nprev) before it. */
static int parse_rule(struct rules_parser *p, struct ntf_rule *r, const struct ntf_rule *prev,
		      unsigned int nprev)
{
	static const char *const clauses[] = { "when", "do", "limit" };
	unsigned int seen = 0;
	int ret;

	memset(r, 0, sizeof(*r));
	r->line = p->tok.line;
	r->blockable = r->failed = NTF_RULE_ANY;
	ret = rp_next(p);
	if (!ret)
		ret = rule_name(p, r, prev, nprev);
	if (!ret)
		ret = rp_next(p);
	while (!ret && p->tok.kind != RTOK_END) {
		unsigned int c = 0;

		while (c < 3 && !rp_is(p, clauses[c]))
			c++;
		if (c == 3)
			return not_a_clause(p);
		if (seen & (1u << c))
			return rp_fail(p, "'%s' given twice in rule '%s'%s", clauses[c], r->name,
				       c ? "" : " (join conditions with 'and')");
		seen |= 1u << c;
		ret = c == 0 ? rules_when(p, r) : c == 1 ? rules_do(p, r) : rules_limit(p, r);
	}
	if (ret)
		return ret;
	if (!(seen & 2))
		return rp_fail(p, "rule '%s' has no 'do'", r->name);
	if (!(seen & 4)) {
		r->limit = NTF_RULE_DEFAULT_LIMIT;
		r->limit_ns = NTF_RULE_DEFAULT_LIMIT_NS;
	}
	return 0;
}

int ntf_rules_parse(const char *text, size_t len, struct ntf_rules *out,
		    struct ntf_rules_error *err)
{
	struct ntf_rules_error scratch;
	struct rules_parser p;
	struct ntf_rule *rule = NULL;
	unsigned int n = 0, cap = 0;
	int ret;

	if (!err)
		err = &scratch;
	memset(err, 0, sizeof(*err));
	memset(&p, 0, sizeof(p));
	p.err = err;
	rules_lex_init(&p.lx, text, len);
	ret = rules_lex_nul(&p.lx, err);
	while (!ret) {
		ret = rules_lex_head(&p.lx, &p.tok, err);
		if (ret <= 0)
			break;
		if (n == NTF_RULES_MAX) {
			ret = rp_fail(&p, "more than %d rules", NTF_RULES_MAX);
			break;
		}
		if (n == cap) {
			unsigned int want = cap ? cap * 2 : 8;
			struct ntf_rule *grown = realloc(rule, want * sizeof(*rule));

			if (!grown) {
				snprintf(err->reason, sizeof(err->reason), "out of memory");
				ret = -ENOMEM;
				break;
			}
			rule = grown;
			cap = want;
		}
		ret = parse_rule(&p, &rule[n], rule, n);
		if (!ret)
			n++;
	}
	if (ret) {
		free(rule);
		return ret;
	}
	out->rule = rule;
	out->n = n;
	return 0;
}

void ntf_rules_free(struct ntf_rules *r)
{
	if (!r)
		return;
	free(r->rule);
	r->rule = NULL;
	r->n = 0;
}

const char *ntf_rule_action_name(enum ntf_rule_action a)
{
	switch (a) {
	case NTF_ACT_ALERT: return "alert";
	case NTF_ACT_STACK: return "stack";
	case NTF_ACT_SNAPSHOT: return "snapshot";
	case NTF_ACT_SIGNAL: return "signal";
	case NTF_ACT_FREEZE: return "freeze";
	case NTF_ACT_EXEC: return "exec";
	}
	return "unknown";
}
