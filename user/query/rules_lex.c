// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The rules file's tokens: words, "strings", ',' and the operators
 * > >= < <=. A rule is its 'rule' line and the indented lines after it;
 * '#' starts a comment outside a string; blank and comment lines end
 * nothing.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "rules_int.h"

void rules_lex_init(struct rules_lexer *lx, const char *text, size_t len)
{
	memset(lx, 0, sizeof(*lx));
	lx->text = text;
	lx->len = text ? len : 0;
	lx->line = lx->column = 1;
	lx->end_line = lx->end_column = 1;
}

int rules_error(struct ntf_rules_error *err, unsigned int line, unsigned int column,
		const char *fmt, ...)
{
	va_list ap;

	err->line = line;
	err->column = column;
	va_start(ap, fmt);
	vsnprintf(err->reason, sizeof(err->reason), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* The byte at hand; '\0' at the end (rules_lex_nul refused any other NUL). */
static char peek(const struct rules_lexer *lx)
{
	return lx->pos < lx->len ? lx->text[lx->pos] : '\0';
}

static void advance(struct rules_lexer *lx)
{
	if (lx->text[lx->pos++] == '\n') {
		lx->line++;
		lx->column = 1;
	} else {
		lx->column++;
	}
}

static void skip_space_and_comment(struct rules_lexer *lx)
{
	while (is_space(peek(lx)))
		advance(lx);
	if (peek(lx) == '#')
		while (peek(lx) && peek(lx) != '\n')
			advance(lx);
}

int rules_lex_nul(struct rules_lexer *lx, struct ntf_rules_error *err)
{
	const char *nul = lx->len ? memchr(lx->text, '\0', lx->len) : NULL;
	unsigned int line = 1, column = 1;

	if (!nul)
		return 0;
	for (const char *c = lx->text; c < nul; c++) {
		if (*c == '\n') {
			line++;
			column = 1;
		} else {
			column++;
		}
	}
	return rules_error(err, line, column, "a NUL byte: this is no rules file");
}

static void put(struct rtok *tok, char c)
{
	if (tok->len < sizeof(tok->text) - 1)
		tok->text[tok->len++] = c;
	else
		tok->too_long = true;
}

static int lex_string(struct rules_lexer *lx, struct rtok *tok, struct ntf_rules_error *err)
{
	tok->kind = RTOK_STRING;
	advance(lx); /* the opening quote */
	for (;;) {
		unsigned int column = lx->column;
		char c = peek(lx);

		if (!c || c == '\n')
			return rules_error(err, tok->line, tok->column, "unterminated string");
		advance(lx);
		if (c == '"')
			return 0;
		if (c == '\\') {
			c = peek(lx);
			if (!c || c == '\n')
				return rules_error(err, tok->line, tok->column,
						   "unterminated string");
			if (c != '"' && c != '\\')
				return rules_error(
					err, lx->line, column,
					"unknown escape in a string (only \\\" and \\\\)");
			advance(lx);
		}
		put(tok, c);
	}
}

/* One token at hand, which is none of a space, '#', a newline or the end. */
static int lex_token(struct rules_lexer *lx, struct rtok *tok, struct ntf_rules_error *err)
{
	char c = peek(lx);
	int ret = 0;

	tok->line = lx->line;
	tok->column = lx->column;
	tok->too_long = false;
	tok->len = 0;
	if (c == ',') {
		tok->kind = RTOK_COMMA;
		put(tok, c);
		advance(lx);
	} else if (c == '<' || c == '>') {
		tok->kind = RTOK_OP;
		put(tok, c);
		advance(lx);
		if (peek(lx) == '=') {
			put(tok, '=');
			advance(lx);
		}
	} else if (c == '"') {
		ret = lex_string(lx, tok, err);
	} else {
		tok->kind = RTOK_WORD;
		while ((c = peek(lx)) && c != '\n' && !is_space(c) && !strchr(",#\"<>", c)) {
			put(tok, c);
			advance(lx);
		}
	}
	tok->text[tok->len] = '\0';
	lx->end_line = lx->line;
	lx->end_column = lx->column;
	return ret;
}

int rules_lex_head(struct rules_lexer *lx, struct rtok *tok, struct ntf_rules_error *err)
{
	for (;;) {
		char c = peek(lx);
		int ret;

		if (!c)
			return 0;
		if (is_space(c) || c == '#') {
			skip_space_and_comment(lx);
			c = peek(lx);
			if (c && c != '\n')
				return rules_error(
					err, lx->line, lx->column,
					"text outside a rule (a rule starts with 'rule NAME' in column 1; its other lines are indented)");
		}
		if (c == '\n') {
			advance(lx);
			continue;
		}
		if (!c)
			return 0;
		ret = lex_token(lx, tok, err);
		if (ret)
			return ret;
		if (tok->kind == RTOK_WORD && !strcmp(tok->text, "rule"))
			return 1;
		return rules_error(
			err, tok->line, tok->column,
			"text outside a rule (a rule starts with 'rule NAME' in column 1)");
	}
}

int rules_lex_next(struct rules_lexer *lx, struct rtok *tok, struct ntf_rules_error *err)
{
	for (;;) {
		char c;

		skip_space_and_comment(lx);
		c = peek(lx);
		if (c == '\n') {
			advance(lx);
			c = peek(lx);
			/* indented, blank and comment lines go on with the rule */
			if (!c || is_space(c) || c == '\n' || c == '#')
				continue;
		}
		if (!c || lx->column == 1) {
			tok->kind = RTOK_END;
			tok->line = lx->end_line;
			tok->column = lx->end_column;
			tok->too_long = false;
			tok->len = 0;
			tok->text[0] = '\0';
			return 0;
		}
		return lex_token(lx, tok, err);
	}
}
