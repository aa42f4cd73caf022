// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The rules engine (policy/policy.h) over rules made here: conditions
 * judged per event, a burst held to its limit with the exact count held
 * back said when the window ends, counts over a window fired at the
 * right event, and the actions really done: a signal that ends a child,
 * a kernel thread left alone and said so, a snapshot through the hook
 * with the rule's trigger, a command run with the event in its
 * environment.
 */
#define _GNU_SOURCE
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
#include <sys/wait.h>
#include <cmocka.h>
#include "log.h"
#include "policy.h"

#define MS 1000000ULL
#define SEC 1000000000ULL

/* What the engine said through the logger, one line after the other. */
static char said[1 << 16];
static size_t said_len;

static void capture(enum ntf_log_level level, const char *msg)
{
	int n = snprintf(said + said_len, sizeof(said) - said_len, "%d %s\n", level, msg);

	if (n > 0 && (size_t)n < sizeof(said) - said_len)
		said_len += n;
}

static unsigned int lines_with(const char *what)
{
	unsigned int n = 0;

	for (const char *p = said; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

static struct ntf_rule rule(const char *name, unsigned int actions)
{
	struct ntf_rule r = { .blockable = NTF_RULE_ANY,
			      .failed = NTF_RULE_ANY,
			      .actions = actions,
			      .limit = NTF_RULE_DEFAULT_LIMIT,
			      .limit_ns = NTF_RULE_DEFAULT_LIMIT_NS,
			      .line = 1 };

	snprintf(r.name, sizeof(r.name), "%s", name);
	return r;
}

/* rules as a parser would hand them over: on the heap, the engine's to free */
static struct ntf_rules rules_of(const struct ntf_rule *r, unsigned int n)
{
	struct ntf_rules rs = { .rule = calloc(n ? n : 1, sizeof(*r)), .n = n };

	memcpy(rs.rule, r, n * sizeof(*r));
	return rs;
}

static struct ntf_event event(unsigned int class, __u64 ts, __u64 lat)
{
	struct ntf_event e = { .class = class,
			       .ts_ns = ts,
			       .latency_ns = lat,
			       .pid = 4242,
			       .tgid = 4241,
			       .callback = 1,
			       .flags = NTF_F_BLOCKABLE,
			       .origin = NTF_ORIGIN_MADVISE };

	snprintf(e.comm, sizeof(e.comm), "wl-test");
	return e;
}

static struct ntf_policy *engine(const struct ntf_rule *r, unsigned int n,
				 const struct ntf_policy_hooks *h)
{
	struct ntf_policy_hooks none = {};
	struct ntf_rules rs = rules_of(r, n);
	struct ntf_policy *p;
	char why[256];

	assert_int_equal(ntf_policy_new(&p, &rs, h ? h : &none, why, sizeof(why)), 0);
	assert_null(rs.rule);
	return p;
}

static void reset_said(void)
{
	said_len = 0;
	said[0] = '\0';
}

/* ---- tests ---- */

/* Only events that pass every condition match; the rest cost a test each. */
static void conditions(void **state)
{
	struct ntf_rule r[2] = { rule("slow-callbacks", NTF_ACT_ALERT),
				 rule("non-blockable", NTF_ACT_ALERT) };
	struct ntf_rule_stats st;
	struct ntf_policy *p;
	struct ntf_event e;

	(void)state;
	r[0].class_mask = 1u << NTF_CLASS_CALLBACK;
	r[0].lat_min_ns = 2 * MS;
	r[0].lat_max_ns = 10 * MS;
	snprintf(r[0].comm, sizeof(r[0].comm), "wl-*");
	r[1].blockable = NTF_RULE_NO;
	p = engine(r, 2, NULL);
	reset_said();
	for (int i = 0; i < 100; i++) {
		/* latency 0..99 ms: 2..10 ms match the first rule, 9 of them */
		e = event(i % 2 ? NTF_CLASS_CALLBACK : NTF_CLASS_INVAL_START, i * SEC, i / 2 * MS);
		if (i == 7)
			e.flags = 0; /* non-blockable */
		if (i == 9)
			snprintf(e.comm, sizeof(e.comm), "other");
		ntf_policy_event(p, &e, i * MS);
	}
	ntf_policy_stats(p, 0, &st);
	/* odd i with i/2 in [2, 10]: i = 5, 7, ..., 21, but 9 is "other" */
	assert_int_equal(st.matched, 8);
	assert_int_equal(st.acted, 8);
	ntf_policy_stats(p, 1, &st);
	assert_int_equal(st.matched, 1);
	assert_int_equal(lines_with("alert: rule 'slow-callbacks'"), 8);
	assert_int_equal(lines_with("alert: rule 'non-blockable'"), 1);
	assert_non_null(strstr(said, "task 4242 of 4241 (wl-test)"));
	ntf_policy_free(p);
}

/* 10,000 matches in a window of 5: 5 shown, 9,995 held back, said once with the exact count. */
static void burst_held_to_limit(void **state)
{
	struct ntf_rule r = rule("burst", NTF_ACT_ALERT);
	struct ntf_rule_stats st;
	struct ntf_policy *p;
	char want[128];

	(void)state;
	r.limit = 5;
	r.limit_ns = 60 * SEC;
	p = engine(&r, 1, NULL);
	reset_said();
	for (int i = 0; i < 10000; i++) {
		struct ntf_event e = event(NTF_CLASS_CALLBACK, 1000 * SEC + i * MS, 10000);

		ntf_policy_event(p, &e, 5 * SEC + i * 1000ULL);
	}
	ntf_policy_stats(p, 0, &st);
	assert_int_equal(st.fired, 10000);
	assert_int_equal(st.acted, 5);
	assert_int_equal(st.suppressed, 9995);
	assert_int_equal(lines_with("alert: rule 'burst'"), 5);
	/* the window is open: nothing said of it yet */
	ntf_policy_tick(p, 5 * SEC + 59 * SEC);
	assert_int_equal(lines_with("fired"), 0);
	ntf_policy_tick(p, 5 * SEC + 60 * SEC);
	snprintf(want, sizeof(want), "policy: rule 'burst' fired 10000 times in 60 s, 5 shown");
	assert_int_equal(lines_with(want), 1);
	/* a new window shows again */
	{
		struct ntf_event e = event(NTF_CLASS_CALLBACK, 2000 * SEC, 10000);

		ntf_policy_event(p, &e, 70 * SEC);
	}
	assert_int_equal(lines_with("alert: rule 'burst'"), 6);
	ntf_policy_flush(p, 71 * SEC);
	/* nothing held back in that one: no line */
	assert_int_equal(lines_with("fired"), 1);
	ntf_policy_free(p);
}

/* count >= 100 in 1 s: fires at the 100th within a second, then needs 100 more. */
static void count_window(void **state)
{
	struct ntf_rule r = rule("storm", NTF_ACT_ALERT);
	struct ntf_rule_stats st;
	struct ntf_policy *p;

	(void)state;
	r.count_min = 100;
	r.count_window_ns = 1 * SEC;
	p = engine(&r, 1, NULL);
	reset_said();
	/* 1,000 events 20 ms apart: 50 a second, never 100 in one */
	for (int i = 0; i < 1000; i++) {
		struct ntf_event e = event(NTF_CLASS_INVAL_START, i * 20 * MS, 0);

		ntf_policy_event(p, &e, i * MS);
	}
	ntf_policy_stats(p, 0, &st);
	assert_int_equal(st.matched, 1000);
	assert_int_equal(st.fired, 0);
	/* then 450 events 5 ms apart: 200 a second; the 100th, 200th... fire: 4 */
	for (int i = 0; i < 450; i++) {
		struct ntf_event e = event(NTF_CLASS_INVAL_START, 100 * SEC + i * 5 * MS, 0);

		ntf_policy_event(p, &e, 2 * SEC + i * MS);
	}
	ntf_policy_stats(p, 0, &st);
	assert_int_equal(st.fired, 4);
	assert_int_equal(lines_with("alert: rule 'storm'"), 4);
	ntf_policy_free(p);
}

/* The signal reaches the event's task; a kernel thread is left alone, and that is said. */
static void signal_action(void **state)
{
	struct ntf_rule r = rule("stop-it", NTF_ACT_SIGNAL | NTF_ACT_ALERT);
	struct ntf_rule_stats st;
	struct ntf_policy *p;
	struct ntf_event e;
	pid_t child = fork();
	int status;

	(void)state;
	if (!child) {
		pause();
		_exit(0);
	}
	r.signal = SIGTERM;
	p = engine(&r, 1, NULL);
	reset_said();
	e = event(NTF_CLASS_CALLBACK, SEC, MS);
	e.pid = e.tgid = child;
	ntf_policy_event(p, &e, SEC);
	alarm(10); /* a signal never sent ends the test, not hangs it */
	assert_int_equal(waitpid(child, &status, 0), child);
	alarm(0);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGTERM);
	assert_int_equal(lines_with("SIGTERM sent to"), 1);

	e = event(NTF_CLASS_CALLBACK, 2 * SEC, MS);
	e.flags |= NTF_F_KTHREAD;
	e.pid = e.tgid = 2; /* kthreadd: were it signalled, the test would say so */
	snprintf(e.comm, sizeof(e.comm), "kswapd0");
	ntf_policy_event(p, &e, 2 * SEC);
	assert_int_equal(lines_with("kswapd0 (pid 2) is a kernel thread"), 1);
	ntf_policy_stats(p, 0, &st);
	assert_int_equal(st.acted, 2);
	assert_int_equal(st.failed_actions, 1);
	ntf_policy_free(p);
}

/*
 * A rule the kernel judges whole has its signal sent by its gate: the
 * engine sends none itself and reports what the event says the kernel did
 * (sent; held back by the limit, so the firing is too; refused for a
 * kernel thread); an event the gates did not judge is the daemon's to
 * signal (here a child's, which it kills).
 */
static void kernel_signal_reported(void **state)
{
	struct ntf_rule r[2] = { rule("kill-slow", NTF_ACT_SIGNAL | NTF_ACT_ALERT),
				 rule("kill-too", NTF_ACT_SIGNAL | NTF_ACT_ALERT) };
	struct ntf_rule_gates g;
	struct ntf_rule_stats st;
	struct ntf_policy *p;
	struct ntf_event e;
	pid_t child;
	int status;

	(void)state;
	r[0].signal = SIGKILL;
	r[0].limit = 5;
	p = engine(r, 1, NULL);
	ntf_policy_gates(p, NULL, &g);
	assert_int_equal(g.signal_gates, 1);
	ntf_policy_kernel_signals(p, &g);
	reset_said();
	/* the kernel sent it: the thread 4242 of 4241 is never signalled from here */
	e = event(NTF_CLASS_CALLBACK, SEC, MS);
	e.flags |= NTF_F_KSIGNAL | NTF_F_KSIGNAL_SENT;
	ntf_policy_event(p, &e, SEC);
	assert_int_equal(lines_with("SIGKILL sent to 4242 by the kernel"), 1);
	/* held back by the kernel's limit: the firing too */
	e = event(NTF_CLASS_CALLBACK, 2 * SEC, MS);
	e.flags |= NTF_F_KSIGNAL;
	e.pid = e.tgid = 2;
	ntf_policy_event(p, &e, 2 * SEC);
	/* refused: a kernel thread */
	e = event(NTF_CLASS_CALLBACK, 3 * SEC, MS);
	e.flags |= NTF_F_KSIGNAL | NTF_F_KSIGNAL_FAILED | NTF_F_KTHREAD;
	e.pid = e.tgid = 2;
	snprintf(e.comm, sizeof(e.comm), "kswapd0");
	ntf_policy_event(p, &e, 3 * SEC);
	ntf_policy_stats(p, 0, &st);
	assert_int_equal(st.fired, 3);
	assert_int_equal(st.acted, 2);
	assert_int_equal(st.suppressed, 1);
	assert_int_equal(st.failed_actions, 1);
	assert_int_equal(lines_with("kswapd0 (pid 2) is a kernel thread"), 1);
	ntf_policy_free(p);

	/* an event no gate judged (gates written after it): the daemon signals */
	child = fork();
	if (!child) {
		pause();
		_exit(0);
	}
	r[1].signal = SIGTERM;
	p = engine(&r[1], 1, NULL);
	ntf_policy_gates(p, NULL, &g);
	ntf_policy_kernel_signals(p, &g);
	e = event(NTF_CLASS_CALLBACK, SEC, MS);
	e.pid = e.tgid = child;
	ntf_policy_event(p, &e, SEC);
	alarm(10);
	assert_int_equal(waitpid(child, &status, 0), child);
	alarm(0);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	ntf_policy_free(p);
}

struct snap_calls {
	unsigned int n;
	char trigger[128];
};

static int fake_snapshot(void *ctx, const char *trigger, char *path, size_t path_len, char *why,
			 size_t why_len)
{
	struct snap_calls *c = ctx;

	(void)why, (void)why_len;
	c->n++;
	snprintf(c->trigger, sizeof(c->trigger), "%s", trigger);
	snprintf(path, path_len, "/flight/notifier-flight-%u.ntr", c->n);
	return 0;
}

/* A snapshot goes through the hook with the rule's trigger; without a hook the rule is refused. */
static void snapshot_action(void **state)
{
	struct ntf_rule r = rule("grab", NTF_ACT_SNAPSHOT | NTF_ACT_ALERT);
	struct snap_calls calls = {};
	struct ntf_policy_hooks h = { .snapshot = fake_snapshot, .ctx = &calls };
	struct ntf_policy_hooks none = {};
	struct ntf_rules rs;
	struct ntf_policy *p;
	struct ntf_event e = event(NTF_CLASS_FENCE_WAIT, SEC, 20 * MS);
	char why[256];

	(void)state;
	r.limit = 2;
	rs = rules_of(&r, 1);
	assert_int_equal(ntf_policy_new(&p, &rs, &none, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "rule 'grab' (line 1): snapshot needs a flight recorder"));
	assert_non_null(rs.rule); /* not taken */
	free(rs.rule);

	p = engine(&r, 1, &h);
	reset_said();
	for (int i = 0; i < 5; i++)
		ntf_policy_event(p, &e, SEC + i);
	assert_int_equal(calls.n, 2);
	assert_string_equal(calls.trigger, "policy:grab");
	assert_int_equal(lines_with("snapshot /flight/notifier-flight-2.ntr"), 1);
	ntf_policy_free(p);
}

/* The command runs with the event in its environment. */
static void exec_action(void **state)
{
	struct ntf_rule r = rule("run", NTF_ACT_EXEC);
	char out[] = "/tmp/ntf-policy-exec-XXXXXX", got[512] = "";
	struct ntf_policy *p;
	struct ntf_event e = event(NTF_CLASS_CALLBACK, SEC, 3 * MS);
	FILE *f;
	int fd = mkstemp(out);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	snprintf(r.cmd, sizeof(r.cmd),
		 "echo \"$NTF_RULE $NTF_PID $NTF_TID $NTF_COMM $NTF_CLASS $NTF_LATENCY_NS\" > %s",
		 out);
	p = engine(&r, 1, NULL);
	ntf_policy_event(p, &e, SEC);
	/* the engine reaps on ticks; wait for the file here */
	for (int i = 0; i < 3000 && !got[0]; i++) { /* 30 s: a loaded host's shell */
		usleep(10000);
		ntf_policy_tick(p, SEC + i);
		f = fopen(out, "r");
		if (f && !fgets(got, sizeof(got), f))
			got[0] = '\0';
		if (f)
			fclose(f);
	}
	assert_string_equal(got, "run 4241 4242 wl-test callback 3000000\n");
	ntf_policy_free(p);
	unlink(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(conditions),
		cmocka_unit_test(burst_held_to_limit),
		cmocka_unit_test(count_window),
		cmocka_unit_test(signal_action),
		cmocka_unit_test(kernel_signal_reported),
		cmocka_unit_test(snapshot_action),
		cmocka_unit_test(exec_action),
	};

	ntf_log_set_writer(capture);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
