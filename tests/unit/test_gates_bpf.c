// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The kernel's gates for rules (policy/policy_gates.c into
 * bpf/notifier_common.bpf.h's ntf_gates_pass, run by this kernel's BPF
 * through BPF_PROG_TEST_RUN) against the daemon's own judgement
 * (query/rule_match.h), over random rules and events: every event a rule
 * matches passes a gate; where every rule is one the kernel judges whole,
 * only those do. Skipped, with the reason, where the kernel loads no BPF.
 */
#include <errno.h>
#include <signal.h>
#include <unistd.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "callbacks.h"
#include "gate_check.skel.h"
#include "policy.h"
#include "rule_match.h"

static struct gate_check_bpf *skel;
static char why[128];
static __u64 x = 0x2545f4914f6cdd1dULL;

static __u64 rnd(__u64 n)
{
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x % n;
}

static int load(void **state)
{
	(void)state;
	skel = gate_check_bpf__open_and_load();
	if (!skel)
		snprintf(why, sizeof(why), "this kernel loads no raw_tp program: %s",
			 strerror(errno));
	return 0;
}

static int unload(void **state)
{
	(void)state;
	gate_check_bpf__destroy(skel);
	return 0;
}

static const __u64 lats[] = { 0, 999, 1000, 1001, 50000, 2000000, 2000001, 10000000 };

static int tri(void)
{
	return (int)rnd(3) - 1; /* NTF_RULE_ANY, _NO, _YES */
}

/* whole: only conditions the kernel judges (no origin, comm, count) */
static struct ntf_rule random_rule(unsigned int i, bool whole)
{
	struct ntf_rule r = { .blockable = NTF_RULE_ANY,
			      .failed = NTF_RULE_ANY,
			      .actions = NTF_ACT_ALERT,
			      .limit = 1,
			      .limit_ns = 1000000000,
			      .line = i + 1 };
	__u32 id = 1 + rnd(ntf_known_callback_count);

	snprintf(r.name, sizeof(r.name), "r%u", i);
	if (rnd(2))
		r.class_mask = (__u32)rnd(1u << NTF_CLASS_MAX);
	if (rnd(2))
		r.lat_min_ns = lats[rnd(8)];
	if (!rnd(3))
		r.lat_max_ns = lats[rnd(8)];
	if (!rnd(4))
		r.pid = rnd(2) ? 4241 : 77;
	if (rnd(2))
		r.failed = tri();
	if (rnd(2))
		r.blockable = tri();
	if (!rnd(3))
		snprintf(r.driver, sizeof(r.driver), "%s", ntf_driver_name(id));
	if (!rnd(4) && ntf_callback_func(id))
		snprintf(r.callback, sizeof(r.callback), "%s", ntf_callback_func(id));
	if (!whole) {
		if (!rnd(3))
			snprintf(r.comm, sizeof(r.comm), "wl-*");
		if (!rnd(3))
			r.origin_mask = 1u << NTF_ORIGIN_MADVISE;
		if (!rnd(4)) {
			r.count_min = 3;
			r.count_window_ns = 1000000000;
		}
	}
	return r;
}

static struct ntf_event random_event(void)
{
	static const __u32 flags[] = { NTF_F_FAILED, NTF_F_BLOCKABLE, NTF_F_BLOCKABLE_UNKNOWN };
	struct ntf_event e = { .class = rnd(NTF_CLASS_MAX),
			       .latency_ns = lats[rnd(8)] + rnd(2),
			       .tgid = rnd(2) ? 4241 : 99,
			       .callback = rnd(3) ? 0 : 1 + rnd(ntf_known_callback_count),
			       .origin = rnd(2) ? NTF_ORIGIN_MADVISE : NTF_ORIGIN_MUNMAP };

	e.pid = e.tgid;
	for (int i = 0; i < 3; i++)
		if (rnd(2))
			e.flags |= flags[i];
	snprintf(e.comm, sizeof(e.comm), "%s", rnd(2) ? "wl-test" : "other");
	return e;
}

static bool bpf_passes(struct ntf_event *e)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);

	skel->bss->event = *e;
	assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(skel->progs.gate), &opts), 0);
	*e = skel->bss->event;
	return skel->bss->passed;
}

static void set_gates(struct ntf_policy *p)
{
	struct ntf_gate_state fresh = {};
	struct ntf_rule_gates g;
	__u32 zero = 0;

	ntf_policy_gates(p, NULL, &g);
	ntf_policy_kernel_signals(p, &g);
	for (__u32 i = 0; i < NTF_RULE_GATES; i++)
		assert_int_equal(
			bpf_map_update_elem(bpf_map__fd(skel->maps.gate_state), &i, &fresh, 0), 0);
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(skel->maps.rule_gates), &zero, &g, 0), 0);
	for (__u32 id = 0; id < NTF_STREAM_CALLBACK_SLOTS; id++) {
		__u32 bits = id < ntf_callback_id_end() ? ntf_policy_gate_callbacks(p, id) : 0;

		assert_int_equal(
			bpf_map_update_elem(bpf_map__fd(skel->maps.gate_callbacks), &id, &bits, 0),
			0);
	}
}

static void gates_pass_what_rules_match(void **state)
{
	unsigned long events = 0, matched = 0, passed = 0;

	(void)state;
	if (!skel)
		skip();
	for (int round = 0; round < 60; round++) {
		/* a third with more rules than gates: the last gate then passes all */
		unsigned int n = round % 3 == 2 ? NTF_RULE_GATES + 1 + rnd(8) : 1 + rnd(6);
		bool whole = round % 2 == 0, exact = whole && n <= NTF_RULE_GATES;
		struct ntf_rules rs = { .rule = calloc(n, sizeof(struct ntf_rule)), .n = n };
		struct ntf_policy_hooks none = {};
		struct ntf_policy *p;
		char err[256];

		for (unsigned int i = 0; i < n; i++)
			rs.rule[i] = random_rule(i, whole);
		assert_int_equal(ntf_policy_new(&p, &rs, &none, err, sizeof(err)), 0);
		set_gates(p);
		for (int k = 0; k < 300; k++) {
			struct ntf_event e = random_event();
			bool match = false, pass = bpf_passes(&e);

			for (unsigned int i = 0; i < n && !match; i++)
				match = ntf_rule_matches(ntf_policy_rule(p, i), &e, 0);
			if (match && !pass)
				fail_msg("round %d: an event rules match did not pass the gates "
					 "(class %u, %llu ns, callback %u, flags %#x)",
					 round, e.class, (unsigned long long)e.latency_ns,
					 e.callback, e.flags);
			if (exact && pass != match)
				fail_msg(
					"round %d: rules the kernel judges whole, yet it passed an "
					"event none matches (class %u, %llu ns, callback %u, flags %#x)",
					round, e.class, (unsigned long long)e.latency_ns,
					e.callback, e.flags);
			events++;
			matched += match;
			passed += pass;
		}
		ntf_policy_free(p);
	}
	print_message("%lu events: %lu matched a rule, %lu passed the kernel's gates\n", events,
		      matched, passed);
	/* the random mix is not degenerate: some match, and some are kept out */
	assert_true(matched > 0 && passed < events);
}

static volatile sig_atomic_t usr1s;

static void on_usr1(int sig)
{
	(void)sig;
	usr1s++;
}

/*
 * A rule the kernel judges whole has its signal sent by its gate, to the
 * thread the event runs in (here this one, which runs the program), at
 * most its limit a window; the events say which got it. One of comm:
 * judged by the daemon alone, so its signal is the daemon's.
 */
static void signal_gate_sends_within_its_limit(void **state)
{
	struct ntf_rule r[2] = {
		{ .name = "stop-slow",
		  .class_mask = 1u << NTF_CLASS_CALLBACK,
		  .lat_min_ns = 2000000,
		  .blockable = NTF_RULE_ANY,
		  .failed = NTF_RULE_ANY,
		  .actions = NTF_ACT_SIGNAL,
		  .signal = SIGUSR1,
		  .limit = 3,
		  .limit_ns = 60000000000ULL },
		{ .name = "by-name",
		  .comm = "wl-*",
		  .blockable = NTF_RULE_ANY,
		  .failed = NTF_RULE_ANY,
		  .actions = NTF_ACT_SIGNAL,
		  .signal = SIGUSR1,
		  .limit = 100,
		  .limit_ns = 60000000000ULL },
	};
	struct ntf_rules rs = { .rule = calloc(2, sizeof(r[0])), .n = 2 };
	struct ntf_policy_hooks none = {};
	struct ntf_rule_gates g;
	struct ntf_policy *p;
	unsigned int sent = 0, flagged = 0;
	char err[256];

	(void)state;
	if (!skel)
		skip();
	memcpy(rs.rule, r, sizeof(r));
	assert_int_equal(ntf_policy_new(&p, &rs, &none, err, sizeof(err)), 0);
	ntf_policy_gates(p, NULL, &g);
	assert_int_equal(g.signal_gates, 1);
	assert_int_equal(g.gate[0].signal, SIGUSR1);
	assert_int_equal(g.gate[1].signal, 0);
	set_gates(p);
	signal(SIGUSR1, on_usr1);
	usr1s = 0;
	for (int i = 0; i < 10; i++) {
		struct ntf_event e = { .class = NTF_CLASS_CALLBACK,
				       .latency_ns = 5000000,
				       .tgid = (__u32)getpid(),
				       .comm = "wl-test" };

		assert_true(bpf_passes(&e));
		flagged += !!(e.flags & NTF_F_KSIGNAL);
		sent += !!(e.flags & NTF_F_KSIGNAL_SENT);
	}
	/* a quick one matches no signal gate */
	{
		struct ntf_event e = { .class = NTF_CLASS_CALLBACK, .latency_ns = 1000 };

		bpf_passes(&e);
		assert_false(e.flags & NTF_F_KSIGNAL);
	}
	signal(SIGUSR1, SIG_DFL);
	assert_int_equal(flagged, 10);
	assert_int_equal(sent, 3);
	assert_int_equal(usr1s, 3);
	ntf_policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(gates_pass_what_rules_match),
		cmocka_unit_test(signal_gate_sends_within_its_limit),
	};
	int rc = cmocka_run_group_tests(tests, load, unload);

	if (why[0])
		print_message("skipped: %s\n", why);
	return rc;
}
