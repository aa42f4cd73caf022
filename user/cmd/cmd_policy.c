// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * notifier policy: BPF policies (bpf/notifier_policy.h). test runs one
 * over a recorded trace file, event by event, and says what it answered
 * by event class and driver: a policy tried on last night's recording
 * before it judges a live system. load, unload and list ask a running
 * notifierd over its socket.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <limits.h>
#include "callbacks.h"
#include "client_policy.h"
#include "cli.h"
#include "commands.h"
#include "names.h"
#include "policy_ops.h"
#include "record.h"
#include "server.h"

static const char policy_usage[] =
	"Usage: notifier policy test [-j] POLICY FILE\n"
	"       notifier policy load [--socket PATH] [-j] POLICY\n"
	"       notifier policy unload [--socket PATH] [-j]\n"
	"       notifier policy list [--socket PATH] [-j]\n"
	"\n"
	"Runs the BPF policy POLICY (an object built against bpf/notifier_policy.h,\n"
	"docs/policy.md) on every event of the trace file FILE, as it would judge\n"
	"them live, and prints its verdicts (ignore, count, record, escalate) and\n"
	"actions (stack, snapshot, signal) by event class and driver. Classes the\n"
	"policy has no program for go on as without a policy (shown as counted).\n"
	"\n"
	"load makes a running notifierd judge every event with POLICY from the next\n"
	"event on, in place of the policy it ran (no probe detached, no histogram\n"
	"lost; SIGHUP then loads the file again); a policy that does not load\n"
	"leaves the running one. unload leaves it none. list says which runs, and\n"
	"what it judged. Loading and unloading are root's.\n"
	"\n"
	"  -j, --json              one JSON object\n"
	"      --socket PATH       the daemon's socket (default " NTF_SERVER_DEFAULT_PATH ")\n"
	"  -h, --help              this help\n"
	"\n"
	"Exit status: 0 when every event was judged (test) or the daemon did what\n"
	"was asked; 1 when the policy could not be loaded (the verifier's refusal\n"
	"is printed), FILE could not be read to its end, a run failed, or the\n"
	"daemon could not be asked or refused; 2 on bad options.\n"
	"\n"
	"Examples:\n"
	"  notifier policy test build/policies/slow_callbacks.bpf.o run.ntr\n"
	"  notifier policy test -j my_policy.bpf.o run.ntr | jq .rows\n"
	"  sudo notifier policy load build/policies/slow_callbacks.bpf.o\n";

static const struct option policy_options[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "socket", required_argument, NULL, 'S' },
	{ "help", no_argument, NULL, 'h' },
	{},
};

/* What the policy answered for the events of one class and callback. */
struct verdict_row {
	unsigned int class;
	__u32 callback;
	__u64 events;
	__u64 verdicts[NOTIFIER_VERDICT_MAX];
	__u64 stack, snapshot, signal;
};

struct tally {
	struct verdict_row *rows;
	size_t n, cap;
	__u64 events, judged, invalid;
	__u64 run_ns;
};

static struct verdict_row *row_of(struct tally *t, unsigned int class, __u32 callback)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->rows[i].class == class && t->rows[i].callback == callback)
			return &t->rows[i];
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct verdict_row *rows = realloc(t->rows, cap * sizeof(*rows));

		if (!rows)
			return NULL;
		t->rows = rows;
		t->cap = cap;
	}
	memset(&t->rows[t->n], 0, sizeof(t->rows[0]));
	t->rows[t->n].class = class;
	t->rows[t->n].callback = callback;
	return &t->rows[t->n++];
}

static int by_class_then_driver(const void *a, const void *b)
{
	const struct verdict_row *x = a, *y = b;

	if (x->class != y->class)
		return x->class < y->class ? -1 : 1;
	return strcmp(ntf_driver_name(x->callback), ntf_driver_name(y->callback));
}

/* 0, or a negative errno: out of memory, or a run the kernel failed. */
static int judge(const struct ntf_policy_ops *p, const struct ntf_event *e, struct tally *t)
{
	struct notifier_policy_event pe;
	struct verdict_row *row = row_of(t, e->class, e->callback);
	__u64 t0;
	long answer;
	int verdict;

	if (!row)
		return -ENOMEM;
	ntf_policy_event_of(&pe, e);
	t0 = ntf_now_ns();
	answer = ntf_policy_ops_run(p, &pe);
	if (ntf_policy_ops_has(p, e->class)) {
		t->run_ns += ntf_now_ns() - t0;
		t->judged++;
	}
	if (answer < 0)
		return answer;
	t->events++;
	row->events++;
	verdict = ntf_policy_verdict_of(answer);
	/* what a daemon does with a verdict it does not know: counts the event */
	if (verdict < 0) {
		t->invalid++;
		verdict = NOTIFIER_COUNT;
	}
	row->verdicts[verdict]++;
	row->stack += !!(answer & NOTIFIER_ACT_STACK);
	row->snapshot += !!(answer & NOTIFIER_ACT_SNAPSHOT);
	row->signal += !!(answer & NOTIFIER_ACT_SIGNAL);
	return 0;
}

static void print_text(const struct ntf_policy_ops *p, const char *path, const struct tally *t)
{
	printf("policy %s (portable backend: BPF_PROG_TEST_RUN) over %s: %llu events\n",
	       ntf_policy_ops_name(p), path, (unsigned long long)t->events);
	printf("%-12s %-16s %10s %10s %10s %10s %10s %8s %8s %8s\n", "class", "driver", "events",
	       "ignore", "count", "record", "escalate", "stack", "snapshot", "signal");
	for (size_t i = 0; i < t->n; i++) {
		const struct verdict_row *r = &t->rows[i];

		printf("%-12s %-16s %10llu %10llu %10llu %10llu %10llu %8llu %8llu %8llu%s\n",
		       ntf_class_name(r->class), ntf_driver_name(r->callback),
		       (unsigned long long)r->events,
		       (unsigned long long)r->verdicts[NOTIFIER_IGNORE],
		       (unsigned long long)r->verdicts[NOTIFIER_COUNT],
		       (unsigned long long)r->verdicts[NOTIFIER_RECORD],
		       (unsigned long long)r->verdicts[NOTIFIER_ESCALATE],
		       (unsigned long long)r->stack, (unsigned long long)r->snapshot,
		       (unsigned long long)r->signal,
		       ntf_policy_ops_has(p, r->class) ? "" : "  (no program: counted)");
	}
	if (t->invalid)
		printf("%llu answers were no verdict notifier knows: counted\n",
		       (unsigned long long)t->invalid);
	if (t->judged)
		printf("%.0f ns a run, over %llu runs\n", (double)t->run_ns / t->judged,
		       (unsigned long long)t->judged);
}

static json_t *tally_json(const struct ntf_policy_ops *p, const char *path, const struct tally *t)
{
	json_t *rows = json_array();

	for (size_t i = 0; i < t->n; i++) {
		const struct verdict_row *r = &t->rows[i];

		json_array_append_new(
			rows,
			json_pack("{s:s, s:s, s:I, s:b, s:{s:I, s:I, s:I, s:I}, s:{s:I, s:I, s:I}}",
				  "class", ntf_class_name(r->class), "driver",
				  ntf_driver_name(r->callback), "events", (json_int_t)r->events,
				  "judged", ntf_policy_ops_has(p, r->class), "verdicts", "ignore",
				  (json_int_t)r->verdicts[NOTIFIER_IGNORE], "count",
				  (json_int_t)r->verdicts[NOTIFIER_COUNT], "record",
				  (json_int_t)r->verdicts[NOTIFIER_RECORD], "escalate",
				  (json_int_t)r->verdicts[NOTIFIER_ESCALATE], "actions", "stack",
				  (json_int_t)r->stack, "snapshot", (json_int_t)r->snapshot,
				  "signal", (json_int_t)r->signal));
	}
	return json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:f, s:o}", "policy",
			 ntf_policy_ops_name(p), "backend", "portable", "file", path, "events",
			 (json_int_t)t->events, "runs", (json_int_t)t->judged, "invalid",
			 (json_int_t)t->invalid, "run_ns",
			 t->judged ? (double)t->run_ns / t->judged : 0.0, "rows", rows);
}

static int policy_test(const char *policy, const char *path, bool json)
{
	struct ntf_policy_ops *p;
	struct ntf_rec_reader *r;
	struct ntf_rec_status st;
	struct tally t = {};
	struct ntf_event e;
	char why[1024];
	int k, err = 0;

	if (ntf_policy_ops_open(&p, policy, NULL, why, sizeof(why))) {
		ntf_err("%s: %s", policy, why);
		return NTF_EXIT_RUNTIME;
	}
	if (ntf_rec_reader_open(&r, path, &st)) {
		ntf_err("%s: %s", path, st.why);
		ntf_policy_ops_free(p);
		return NTF_EXIT_RUNTIME;
	}
	ntf_rec_meta_apply_names(ntf_rec_read_meta(r));
	while ((k = ntf_rec_next(r, &e)) > 0) {
		err = judge(p, &e, &t);
		if (err)
			break;
	}
	ntf_rec_reader_status(r, &st);
	qsort(t.rows, t.n, sizeof(t.rows[0]), by_class_then_driver);
	if (json) {
		json_t *root = tally_json(p, path, &t);

		json_dumpf(root, stdout, JSON_COMPACT);
		fputc('\n', stdout);
		json_decref(root);
	} else {
		print_text(p, path, &t);
	}
	fflush(stdout);
	if (err)
		ntf_err("%s: the policy's run failed: %s", policy, strerror(-err));
	else if (k < 0)
		ntf_err("%s: %s", path, st.why);
	else if (st.stop != NTF_REC_COMPLETE)
		ntf_warn("%s: %s", path, st.why);
	free(t.rows);
	ntf_rec_reader_close(r);
	ntf_policy_ops_free(p);
	return err || k < 0 ? NTF_EXIT_RUNTIME : 0;
}

static void print_state(const struct ntf_proto_policy_state *st, bool json)
{
	static const char *const names[] = { "ignore", "count", "record", "escalate" };

	if (json) {
		json_t *v = json_object();

		for (int i = 0; i < 4; i++)
			json_object_set_new(v, names[i], json_integer(st->verdicts[i]));
		json_t *o = json_pack("{s:s?, s:s?, s:s?, s:I, s:I, s:i, s:o}", "policy",
				      st->name[0] ? st->name : NULL, "path",
				      st->path[0] ? st->path : NULL, "backend",
				      st->backend[0] ? st->backend : NULL, "judged",
				      (json_int_t)st->judged, "since_ns", (json_int_t)st->since_ns,
				      "loads", (int)st->loads, "verdicts", v);

		json_dumpf(o, stdout, JSON_COMPACT);
		fputc('\n', stdout);
		json_decref(o);
		return;
	}
	if (st->name[0])
		printf("policy %s (%s) judges notifierd's events (%s backend): %llu judged since "
		       "it was loaded\n",
		       st->name, st->path, st->backend, (unsigned long long)st->judged);
	else
		printf("the built-in policy: every event counted, and recorded where notifierd "
		       "records; none escalated; no program runs\n");
	printf("since notifierd started: %u polic%s loaded; %llu ignored, %llu counted, %llu "
	       "recorded, %llu escalated\n",
	       st->loads, st->loads == 1 ? "y" : "ies", (unsigned long long)st->verdicts[0],
	       (unsigned long long)st->verdicts[1], (unsigned long long)st->verdicts[2],
	       (unsigned long long)st->verdicts[3]);
}

static int policy_ask(const char *socket, __u32 op, const char *policy, bool json)
{
	struct ntf_proto_policy req = { .op = op };
	struct ntf_proto_policy_state st;
	char why[NTF_PROTO_MSG_LEN + 64];

	if (policy) {
		/* the daemon opens it, from its own working directory */
		if (!realpath(policy, req.path)) {
			ntf_err("%s: %s", policy, strerror(errno));
			return NTF_EXIT_RUNTIME;
		}
	}
	/* the daemon's verifier may take seconds in an emulator */
	if (ntf_client_policy(socket, &req, 60000, &st, why, sizeof(why))) {
		ntf_err("%s", why);
		return NTF_EXIT_RUNTIME;
	}
	print_state(&st, json);
	return 0;
}

int cmd_policy(int argc, char **argv)
{
	const char *socket = NTF_SERVER_DEFAULT_PATH, *what;
	bool json = false;
	int opt, args;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "jh", policy_options, NULL)) != -1) {
		switch (opt) {
		case 'j': json = true; break;
		case 'S': socket = optarg; break;
		case 'h': fputs(policy_usage, stdout); exit(0);
		default: ntf_usage_error("unknown or incomplete option '%s'", ntf_bad_option(argv));
		}
	}
	if (optind >= argc)
		ntf_usage_error("what to do: test, load, unload or list");
	what = argv[optind];
	args = argc - optind - 1;
	if (!strcmp(what, "test")) {
		if (args != 2)
			ntf_usage_error("test takes a policy object and a trace file");
		return policy_test(argv[optind + 1], argv[optind + 2], json);
	}
	if (!strcmp(what, "load")) {
		if (args != 1)
			ntf_usage_error("load takes a policy object");
		return policy_ask(socket, NTF_PROTO_POLICY_LOAD, argv[optind + 1], json);
	}
	if (!strcmp(what, "unload") || !strcmp(what, "list")) {
		if (args)
			ntf_usage_error("%s takes no argument", what);
		return policy_ask(socket,
				  *what == 'u' ? NTF_PROTO_POLICY_UNLOAD : NTF_PROTO_POLICY_LIST,
				  NULL, json);
	}
	ntf_usage_error("no policy command '%s' (test, load, unload, list)", what);
}
