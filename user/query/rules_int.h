/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The rules parser's insides: the tokens of one rule at a time
 * (rules_lex.c) and the state the clauses share (rules_parse.c, the rule
 * and its clauses; rules_cond.c, 'when'; rules_act.c, 'do' and 'limit').
 */
#ifndef NTF_RULES_INT_H
#define NTF_RULES_INT_H

#include "rules.h"

enum rtok_kind { RTOK_END, RTOK_WORD, RTOK_STRING, RTOK_COMMA, RTOK_OP };

/* Text a token keeps: an exec command's longest, so one more is too long. */
#define RTOK_TEXT_LEN NTF_RULE_CMD_LEN

struct rtok {
	enum rtok_kind kind;
	/* where it starts; an RTOK_END: just past the rule's last token */
	unsigned int line, column;
	bool too_long; /* text holds its first RTOK_TEXT_LEN - 1 bytes only */
	size_t len;
	char text[RTOK_TEXT_LEN]; /* a string's without quotes or escapes */
};

struct rules_lexer {
	const char *text;
	size_t len, pos;
	unsigned int line, column; /* of pos */
	unsigned int end_line, end_column; /* just past the last token read */
};

void rules_lex_init(struct rules_lexer *lx, const char *text, size_t len);
/* A NUL anywhere is an error at its place: the text is no rules file. */
int rules_lex_nul(struct rules_lexer *lx, struct ntf_rules_error *err);
/*
 * The next rule's 'rule' word into *tok: 1; 0 at the end of the text;
 * -EINVAL when something else comes first. Called at a line's start.
 */
int rules_lex_head(struct rules_lexer *lx, struct rtok *tok, struct ntf_rules_error *err);
/*
 * The rule's next token, or RTOK_END when the next line with text starts
 * in column 1 (left unread) or the text ends: 0, or -EINVAL.
 */
int rules_lex_next(struct rules_lexer *lx, struct rtok *tok, struct ntf_rules_error *err);
/* Sets *err; returns -EINVAL. */
int rules_error(struct ntf_rules_error *err, unsigned int line, unsigned int column,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

struct rules_parser {
	struct rules_lexer lx;
	struct rtok tok; /* the token at hand: each clause leaves the one after it */
	struct ntf_rules_error *err;
	char clip[64]; /* rp_clip's */
};

int rp_next(struct rules_parser *p);
/* An error at the token at hand. */
int rp_fail(struct rules_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool rp_is(const struct rules_parser *p, const char *word);
/* The words that start or join clauses: never a value unless quoted. */
bool rp_reserved(const struct rules_parser *p);
/* The token at hand's text for a message, cut short when long. */
const char *rp_clip(struct rules_parser *p);
/* A decimal number in [min, max] at hand (what: "pid", for the message). */
int rp_number(struct rules_parser *p, __u64 min, __u64 max, __u64 *out, const char *what);
/* A duration by ntf_parse_duration_ms at hand, in ns (at least 1 ms). */
int rp_duration(struct rules_parser *p, __u64 *out_ns);

/* The clauses, each entered on its word. */
int rules_when(struct rules_parser *p, struct ntf_rule *r);
int rules_do(struct rules_parser *p, struct ntf_rule *r);
int rules_limit(struct rules_parser *p, struct ntf_rule *r);
/* Whether the word at hand is a condition's, an action's. */
bool rules_is_cond(const struct rules_parser *p);
bool rules_is_action(const struct rules_parser *p);

#endif
