// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The policy rules language (docs/rules.md): files parse to exactly the
 * structs they say, and each mistake is reported at its line and column.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "names.h"
#include "rules.h"

#define MS 1000000ULL
#define SEC 1000000000ULL

static int parse(const char *text, struct ntf_rules *out, struct ntf_rules_error *err)
{
	return ntf_rules_parse(text, strlen(text), out, err);
}

/* A rule as a file without the clause says it: no conditions, defaults. */
static struct ntf_rule blank_rule(const char *name, unsigned int line)
{
	struct ntf_rule r;

	memset(&r, 0, sizeof(r));
	snprintf(r.name, sizeof(r.name), "%s", name);
	r.line = line;
	r.blockable = r.failed = NTF_RULE_ANY;
	r.limit = NTF_RULE_DEFAULT_LIMIT;
	r.limit_ns = NTF_RULE_DEFAULT_LIMIT_NS;
	return r;
}

static void expect_rule(const struct ntf_rule *got, const struct ntf_rule *want)
{
	assert_string_equal(got->name, want->name);
	assert_int_equal(got->line, want->line);
	assert_int_equal(got->class_mask, want->class_mask);
	assert_int_equal(got->origin_mask, want->origin_mask);
	assert_string_equal(got->driver, want->driver);
	assert_string_equal(got->callback, want->callback);
	assert_int_equal(got->lat_min_ns, want->lat_min_ns);
	assert_int_equal(got->lat_max_ns, want->lat_max_ns);
	assert_int_equal(got->blockable, want->blockable);
	assert_int_equal(got->failed, want->failed);
	assert_int_equal(got->pid, want->pid);
	assert_string_equal(got->comm, want->comm);
	assert_string_equal(got->cgroup, want->cgroup);
	assert_int_equal(got->count_min, want->count_min);
	assert_int_equal(got->count_window_ns, want->count_window_ns);
	assert_int_equal(got->actions, want->actions);
	assert_int_equal(got->signal, want->signal);
	assert_string_equal(got->cmd, want->cmd);
	assert_int_equal(got->limit, want->limit);
	assert_int_equal(got->limit_ns, want->limit_ns);
}

static const char examples[] =
	"# GPU fleet policy\n"
	"rule slow-gpu-callback\n"
	"    when class callback and driver amdgpu and latency >= 2ms\n"
	"    do alert, stack, snapshot\n"
	"    limit 5 per 60s\n"
	"\n"
	"rule refusals when failed and class callback do alert\n"
	"rule storm when class inval_start and count >= 1000 in 1s do alert, exec "
	"\"/usr/local/bin/page-oncall --why storm\"\n"
	"rule kill-hog when driver testdrv and latency > 50ms and comm \"wl-*\" do signal "
	"SIGKILL limit 1 per 1s\n"
	"rule freeze-hog when cgroup /gpu.slice and latency >= 100ms do freeze\n";

static void the_examples(void **state)
{
	struct ntf_rules_error err;
	struct ntf_rules rules;
	struct ntf_rule want;

	(void)state;
	assert_int_equal(parse(examples, &rules, &err), 0);
	assert_int_equal(rules.n, 5);

	want = blank_rule("slow-gpu-callback", 2);
	want.class_mask = 1u << NTF_CLASS_CALLBACK;
	snprintf(want.driver, sizeof(want.driver), "amdgpu");
	want.lat_min_ns = 2 * MS;
	want.actions = NTF_ACT_ALERT | NTF_ACT_STACK | NTF_ACT_SNAPSHOT;
	want.limit = 5;
	want.limit_ns = 60 * SEC;
	expect_rule(&rules.rule[0], &want);

	want = blank_rule("refusals", 7);
	want.failed = NTF_RULE_YES;
	want.class_mask = 1u << NTF_CLASS_CALLBACK;
	want.actions = NTF_ACT_ALERT;
	expect_rule(&rules.rule[1], &want);

	want = blank_rule("storm", 8);
	want.class_mask = 1u << NTF_CLASS_INVAL_START;
	want.count_min = 1000;
	want.count_window_ns = SEC;
	want.actions = NTF_ACT_ALERT | NTF_ACT_EXEC;
	snprintf(want.cmd, sizeof(want.cmd), "/usr/local/bin/page-oncall --why storm");
	expect_rule(&rules.rule[2], &want);

	want = blank_rule("kill-hog", 9);
	snprintf(want.driver, sizeof(want.driver), "testdrv");
	want.lat_min_ns = 50 * MS + 1;
	snprintf(want.comm, sizeof(want.comm), "wl-*");
	want.actions = NTF_ACT_SIGNAL;
	want.signal = SIGKILL;
	want.limit = 1;
	want.limit_ns = SEC;
	expect_rule(&rules.rule[3], &want);

	want = blank_rule("freeze-hog", 10);
	snprintf(want.cgroup, sizeof(want.cgroup), "/gpu.slice");
	want.lat_min_ns = 100 * MS;
	want.actions = NTF_ACT_FREEZE;
	expect_rule(&rules.rule[4], &want);

	ntf_rules_free(&rules);
	assert_null(rules.rule);
	assert_int_equal(rules.n, 0);
}

/* Every other form: two-sided latency, negations, lists, quoting, layout. */
static void every_condition(void **state)
{
	static const char text[] =
		"rule bounds\t# a comment after the name\n"
		"\twhen latency >= 1ms and latency < 5ms\n"
		"# a comment in column 1 does not end the rule\n"
		"\n"
		"\t  and not blockable and not failed\n"
		"  and origin kswapd , direct_reclaim,unknown and pid 010\n"
		"  and callback kvm_mmu_notifier_invalidate_range_start.isra.0\n"
		"  and class callback ,fence_wait and count > 9 in 500ms\n"
		"  do alert,snapshot, signal term\n"
		"rule quoted when comm \"a\\\"b\" and cgroup \"/sys/fs/cgroup/user.slice/\"\r\n"
		"  and blockable and failed and latency<=3us\r\n"
		"  do exec \"echo \\\"hi\\\" \\\\ # not a comment\" limit 4294967295 per 0.5\r\n"
		"rule sigs-1.x do signal STOP\n"
		"rule no_conditions limit 2 per 1500ms do signal sigusr1\n";
	struct ntf_rules_error err;
	struct ntf_rules rules;
	struct ntf_rule want;

	(void)state;
	assert_int_equal(parse(text, &rules, &err), 0);
	assert_int_equal(rules.n, 4);

	want = blank_rule("bounds", 1);
	want.lat_min_ns = MS;
	want.lat_max_ns = 5 * MS - 1;
	want.blockable = NTF_RULE_NO;
	want.failed = NTF_RULE_NO;
	want.origin_mask = 1u << NTF_ORIGIN_KSWAPD | 1u << NTF_ORIGIN_DIRECT_RECLAIM |
			   1u << NTF_ORIGIN_UNKNOWN;
	want.pid = 10; /* decimal, not octal */
	snprintf(want.callback, sizeof(want.callback),
		 "kvm_mmu_notifier_invalidate_range_start.isra.0");
	want.class_mask = 1u << NTF_CLASS_CALLBACK | 1u << NTF_CLASS_FENCE_WAIT;
	want.count_min = 10;
	want.count_window_ns = 500 * MS;
	want.actions = NTF_ACT_ALERT | NTF_ACT_SNAPSHOT | NTF_ACT_SIGNAL;
	want.signal = SIGTERM;
	expect_rule(&rules.rule[0], &want);

	want = blank_rule("quoted", 10);
	snprintf(want.comm, sizeof(want.comm), "a\"b");
	snprintf(want.cgroup, sizeof(want.cgroup), "/user.slice");
	want.blockable = NTF_RULE_YES;
	want.failed = NTF_RULE_YES;
	want.lat_max_ns = 3000;
	want.actions = NTF_ACT_EXEC;
	snprintf(want.cmd, sizeof(want.cmd), "echo \"hi\" \\ # not a comment");
	want.limit = 4294967295u;
	want.limit_ns = 500 * MS; /* a bare number is seconds */
	expect_rule(&rules.rule[1], &want);

	want = blank_rule("sigs-1.x", 13);
	want.actions = NTF_ACT_SIGNAL;
	want.signal = SIGSTOP;
	expect_rule(&rules.rule[2], &want);

	want = blank_rule("no_conditions", 14);
	want.actions = NTF_ACT_SIGNAL;
	want.signal = SIGUSR1;
	want.limit = 2;
	want.limit_ns = 1500 * MS;
	expect_rule(&rules.rule[3], &want);
	ntf_rules_free(&rules);
}

/* Longest values that fit, and the text need not end in a NUL. */
static void limits_of_values(void **state)
{
	char text[1200], cmd[NTF_RULE_CMD_LEN + 1], name[NTF_RULE_NAME_LEN + 1];
	struct ntf_rules_error err;
	struct ntf_rules rules;
	char *exact;
	size_t n;

	(void)state;
	memset(cmd, 'c', sizeof(cmd));
	cmd[NTF_RULE_CMD_LEN - 1] = '\0';
	memset(name, 'n', sizeof(name));
	name[NTF_RULE_NAME_LEN - 1] = '\0';
	n = snprintf(text, sizeof(text),
		     "rule %s when comm 123456789012345 and driver abcdefghijklmnopqrstuvw\n"
		     "  do exec \"%s\"",
		     name, cmd);
	/* a copy exactly as long as the text: a read past it is a bug */
	exact = malloc(n);
	assert_non_null(exact);
	memcpy(exact, text, n);
	assert_int_equal(ntf_rules_parse(exact, n, &rules, &err), 0);
	free(exact);
	assert_int_equal(rules.n, 1);
	assert_string_equal(rules.rule[0].name, name);
	assert_string_equal(rules.rule[0].comm, "123456789012345");
	assert_string_equal(rules.rule[0].driver, "abcdefghijklmnopqrstuvw");
	assert_string_equal(rules.rule[0].cmd, cmd);
	ntf_rules_free(&rules);

	/* one byte more each: an error, never a cut */
	cmd[NTF_RULE_CMD_LEN - 1] = 'c';
	cmd[NTF_RULE_CMD_LEN] = '\0';
	snprintf(text, sizeof(text), "rule x do exec \"%s\"", cmd);
	assert_int_equal(parse(text, &rules, &err), -EINVAL);
	assert_int_equal(err.column, 16);
	assert_non_null(strstr(err.reason, "command too long (at most 511 bytes)"));
	name[NTF_RULE_NAME_LEN - 1] = 'n';
	name[NTF_RULE_NAME_LEN] = '\0';
	snprintf(text, sizeof(text), "rule %s do alert", name);
	assert_int_equal(parse(text, &rules, &err), -EINVAL);
	assert_non_null(strstr(err.reason, "too long (at most 63 characters)"));
	assert_int_equal(
		parse("rule x when driver abcdefghijklmnopqrstuvwx do alert", &rules, &err),
		-EINVAL);
	assert_non_null(strstr(err.reason, "driver name 'abcdefghijklmnopqrstuvwx' too long"));
}

struct bad {
	const char *text;
	unsigned int line, column;
	const char *reason;
};

static const struct bad bad_files[] = {
	{ "rule x when latncy > 1ms do alert", 1, 13,
	  "unknown condition 'latncy' (expected class, driver, callback, latency, blockable, "
	  "failed, origin, pid, comm, cgroup, count)" },
	{ "rule x when class callbak do alert", 1, 19, "unknown event class 'callbak'" },
	{ "rule x when class callback, do alert", 1, 29, "expected an event class" },
	{ "rule x when origin kswap do alert", 1, 20,
	  "unknown origin 'kswap' (expected unknown, " },
	{ "rule x when latency 2ms do alert", 1, 21,
	  "'latency' needs one of > >= < <= and a duration" },
	{ "rule x when latency >= do alert", 1, 24,
	  "'latency' needs one of > >= < <= and a duration" },
	{ "rule x when latency >= 2 do alert", 1, 24, "needs a unit" },
	{ "rule x when latency > 1ms and latency >= 2ms do alert", 1, 31,
	  "a second lower bound on latency" },
	{ "rule x when latency < 1ms and latency <= 2ms do alert", 1, 31,
	  "a second upper bound on latency" },
	{ "rule x when latency >= 5ms and latency < 5ms do alert", 1, 32, "empty latency range" },
	{ "rule x when latency < 1ns do alert", 1, 23, "at least 1ns" },
	{ "rule x do alert\n\nrule x do alert", 3, 6, "duplicate rule name 'x' (first at line 1)" },
	{ "  when failed\nrule x do alert", 1, 3, "text outside a rule" },
	{ "rules x do alert", 1, 1, "text outside a rule" },
	{ "rule x do alert\nwhen failed", 2, 1, "text outside a rule" },
	{ "rule x when comm \"abc do alert", 1, 18, "unterminated string" },
	{ "rule x do exec \"abc\\\n\"", 1, 16, "unterminated string" },
	{ "rule x do exec \"a\\n\"", 1, 18, "unknown escape" },
	{ "rule x when failed\n\n# and then nothing\n", 1, 19, "rule 'x' has no 'do'" },
	{ "rule x", 1, 7, "rule 'x' has no 'do'" },
	{ "rule\n", 1, 5, "'rule' needs a name" },
	{ "rule when failed do alert", 1, 6, "'rule' needs a name" },
	{ "rule x/y do alert", 1, 6, "bad rule name 'x/y'" },
	{ "rule \"x\" do alert", 1, 6, "a rule's name is a word" },
	{ "rule x do stack", 1, 11, "'stack' adds the kernel stack to an alert: it needs 'alert'" },
	{ "rule x do stack, snapshot", 1, 11, "needs 'alert'" },
	{ "rule x when failed and not failed do alert", 1, 28, "'failed' given twice" },
	{ "rule x when class pin and driver a and class unpin do alert", 1, 40,
	  "'class' given twice in rule 'x'" },
	{ "rule x when not pid 3 do alert", 1, 17, "'not' goes before blockable or failed" },
	{ "rule x when failed or blockable do alert", 1, 20, "no 'or'" },
	{ "rule x when failed blockable do alert", 1, 20, "'blockable' is a condition" },
	{ "rule x when failed when blockable do alert", 1, 20, "'when' given twice" },
	{ "rule x when do alert", 1, 13, "expected a condition" },
	{ "rule x when failed and do alert", 1, 24, "expected a condition" },
	{ "rule x when pid 0 do alert", 1, 17, "out of range" },
	{ "rule x when pid -3 do alert", 1, 17, "'pid' needs a number in decimal, not '-3'" },
	{ "rule x when pid do alert", 1, 17, "'pid' needs a number" },
	{ "rule x when comm 1234567890123456 do alert", 1, 18, "too long (at most 15" },
	{ "rule x when comm \"\" do alert", 1, 18, "'comm' needs a pattern" },
	{ "rule x when driver do alert", 1, 20, "'driver' needs a driver's name" },
	{ "rule x when callback a-b do alert", 1, 22, "bad function name 'a-b'" },
	{ "rule x when count < 5 in 1s do alert", 1, 19, "'count' needs >= or >" },
	{ "rule x when count >= 5 per 1s do alert", 1, 24, "'count' needs >= or >" },
	{ "rule x when count >= 0 in 1s do alert", 1, 22, "out of range" },
	{ "rule x when count >= 5 in 0.0001s do alert", 1, 27, "shorter than a millisecond" },
	{ "rule x when count >= 5 in 1h do alert", 1, 27, "unknown unit" },
	{ "rule x do alert, alert", 1, 18, "'alert' given twice" },
	{ "rule x do alert stack", 1, 17, "'stack' is an action" },
	{ "rule x do alert,", 1, 17, "expected an action" },
	{ "rule x do", 1, 10, "expected an action" },
	{ "rule x do page", 1, 11, "unknown action 'page'" },
	{ "rule x do signal SIGFOO", 1, 18, "unknown signal 'SIGFOO'" },
	{ "rule x do signal", 1, 17, "'signal' needs a signal's name" },
	{ "rule x do exec ls", 1, 16, "'exec' needs a command in double quotes" },
	{ "rule x do exec \"\"", 1, 16, "not an empty string" },
	{ "rule x do alert foo", 1, 17, "unexpected 'foo' (expected when, do or limit)" },
	{ "rule x do alert do freeze", 1, 17, "'do' given twice" },
	{ "rule x do alert limit 0 per 1s", 1, 23, "out of range" },
	{ "rule x do alert limit 5 in 1s", 1, 25, "'limit' needs a number, 'per' and a duration" },
	{ "rule x do alert limit per 1s", 1, 23, "'limit' needs a number" },
	{ "rule x do alert limit 5 per", 1, 28, "expected a duration" },
	{ "rule x do alert\nrule y\0 do alert", 2, 7, "NUL" },
};

static void errors_where_and_why(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
		const struct bad *b = &bad_files[i];
		struct ntf_rules out = { .rule = (struct ntf_rule *)&out, .n = 77 };
		struct ntf_rules_error err;
		/* the NUL case: the text goes on past its NUL */
		size_t len = strlen(b->text);
		int ret;

		if (strstr(b->reason, "NUL"))
			len += strlen(b->text + len + 1) + 1;
		ret = ntf_rules_parse(b->text, len, &out, &err);
		if (ret != -EINVAL || err.line != b->line || err.column != b->column ||
		    !strstr(err.reason, b->reason))
			fail_msg("'%s': got %d at %u:%u '%s', want %u:%u '%s'", b->text, ret,
				 err.line, err.column, err.reason, b->line, b->column, b->reason);
		/* untouched */
		assert_ptr_equal(out.rule, &out);
		assert_int_equal(out.n, 77);
	}
}

/* A list too long for the reason is cut at a whole name, and the reason still closes. */
static void long_lists_fit(void **state)
{
	struct ntf_rules_error err;
	struct ntf_rules rules;
	size_t n;

	(void)state;
	assert_int_equal(parse("rule x when origin "
			       "a-very-long-origin-name-that-is-nothing-at-all-but-long-anyway "
			       "do alert",
			       &rules, &err),
			 -EINVAL);
	n = strlen(err.reason);
	assert_true(n < sizeof(err.reason) - 1);
	assert_int_equal(err.reason[n - 1], ')');
	assert_non_null(strstr(err.reason, "...)"));
}

static void many_rules(void **state)
{
	size_t cap = 300 * 24, used = 0;
	char *text = malloc(cap);
	struct ntf_rules_error err;
	struct ntf_rules rules;

	(void)state;
	assert_non_null(text);
	for (int i = 0; i < NTF_RULES_MAX; i++)
		used += snprintf(text + used, cap - used, "rule r%d do alert\n", i);
	assert_int_equal(ntf_rules_parse(text, used, &rules, &err), 0);
	assert_int_equal(rules.n, NTF_RULES_MAX);
	assert_string_equal(rules.rule[255].name, "r255");
	assert_int_equal(rules.rule[255].line, 256);
	ntf_rules_free(&rules);

	used += snprintf(text + used, cap - used, "rule r256 do alert\n");
	assert_int_equal(ntf_rules_parse(text, used, &rules, &err), -EINVAL);
	assert_int_equal(err.line, 257);
	assert_int_equal(err.column, 1);
	assert_string_equal(err.reason, "more than 256 rules");
	free(text);
}

static void no_rules(void **state)
{
	static const char *const empty[] = { "", "\n\n", "# only a comment\n\n   # indented\n",
					     "  \t \r\n#", "\t" };
	struct ntf_rules_error err;
	struct ntf_rules rules;

	(void)state;
	for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
		rules.n = 9;
		assert_int_equal(parse(empty[i], &rules, &err), 0);
		assert_int_equal(rules.n, 0);
		ntf_rules_free(&rules);
	}
	assert_int_equal(ntf_rules_parse(NULL, 0, &rules, NULL), 0);
	assert_int_equal(rules.n, 0);
}

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
}

static void files(void **state)
{
	char path[] = "/tmp/ntf-rules-XXXXXX";
	struct ntf_rules_error err;
	struct ntf_rules rules;
	char *big;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);

	write_file(path, examples, strlen(examples));
	assert_int_equal(ntf_rules_load(path, &rules, &err), 0);
	assert_int_equal(rules.n, 5);
	assert_string_equal(rules.rule[4].name, "freeze-hog");
	ntf_rules_free(&rules);

	write_file(path, "rule a do alert\n# x\0y\n", 22);
	assert_int_equal(ntf_rules_load(path, &rules, &err), -EINVAL);
	assert_int_equal(err.line, 2);
	assert_int_equal(err.column, 4);
	assert_non_null(strstr(err.reason, "NUL"));

	/* exactly 1 MiB of comment is fine, a byte more is not */
	big = malloc((1 << 20) + 1);
	assert_non_null(big);
	memset(big, '#', (1 << 20) + 1);
	write_file(path, big, 1 << 20);
	assert_int_equal(ntf_rules_load(path, &rules, &err), 0);
	assert_int_equal(rules.n, 0);
	write_file(path, big, (1 << 20) + 1);
	assert_int_equal(ntf_rules_load(path, &rules, &err), -EFBIG);
	assert_int_equal(err.line, 0);
	assert_non_null(strstr(err.reason, "larger than 1 MiB"));
	free(big);

	unlink(path);
	rules.n = 3;
	assert_int_equal(ntf_rules_load(path, &rules, &err), -ENOENT);
	assert_int_equal(rules.n, 3);
	assert_int_equal(err.line, 0);
	assert_int_equal(err.column, 0);
	assert_non_null(strstr(err.reason, path));
	assert_non_null(strstr(err.reason, strerror(ENOENT)));
	assert_int_equal(ntf_rules_load("/", &rules, &err), -EISDIR);
	assert_string_equal(err.reason, "/: Is a directory");
}

static void names(void **state)
{
	(void)state;
	assert_string_equal(ntf_rule_action_name(NTF_ACT_ALERT), "alert");
	assert_string_equal(ntf_rule_action_name(NTF_ACT_STACK), "stack");
	assert_string_equal(ntf_rule_action_name(NTF_ACT_SNAPSHOT), "snapshot");
	assert_string_equal(ntf_rule_action_name(NTF_ACT_SIGNAL), "signal");
	assert_string_equal(ntf_rule_action_name(NTF_ACT_FREEZE), "freeze");
	assert_string_equal(ntf_rule_action_name(NTF_ACT_EXEC), "exec");
	assert_string_equal(ntf_rule_action_name(0), "unknown");
	for (unsigned int o = 0; o < NTF_ORIGIN_MAX; o++)
		assert_int_equal(ntf_origin_from_name(ntf_origin_name(o)), o);
	assert_int_equal(ntf_origin_from_name("kswap"), NTF_ORIGIN_MAX);
}

/*
 * Mangled files (bytes changed, cut anywhere) never crash or overrun:
 * each parses or fails with a place inside the text.
 */
static void mangled(void **state)
{
	static const char alphabet[] = " \t\n\r#\",<>=\\abcmrule0123456789";
	size_t len = strlen(examples);
	unsigned int seed = 1;
	char *buf = malloc(len);

	(void)state;
	assert_non_null(buf);
	for (int i = 0; i < 20000; i++) {
		struct ntf_rules_error err;
		struct ntf_rules rules;
		size_t n = i < (int)len ? (size_t)i : len;
		unsigned int lines = 1;

		memcpy(buf, examples, len);
		for (int k = 0; i >= (int)len && k < 1 + i % 4; k++) {
			seed = seed * 1103515245 + 12345;
			buf[(seed >> 8) % len] = alphabet[(seed >> 20) % (sizeof(alphabet) - 1)];
		}
		for (size_t k = 0; k < n; k++)
			lines += buf[k] == '\n';
		if (ntf_rules_parse(buf, n, &rules, &err)) {
			assert_true(err.line >= 1 && err.line <= lines);
			assert_true(err.column >= 1);
			assert_true(strlen(err.reason) > 0);
		} else {
			ntf_rules_free(&rules);
		}
	}
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_examples),
		cmocka_unit_test(every_condition),
		cmocka_unit_test(limits_of_values),
		cmocka_unit_test(errors_where_and_why),
		cmocka_unit_test(long_lists_fit),
		cmocka_unit_test(many_rules),
		cmocka_unit_test(no_rules),
		cmocka_unit_test(files),
		cmocka_unit_test(names),
		cmocka_unit_test(mangled),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
