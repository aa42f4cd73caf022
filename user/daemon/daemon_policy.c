// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "daemon_policy.h"
#include "callbacks.h"
#include "log.h"

static void say_error(const char *path, const struct ntf_rules_error *err, const char *then)
{
	if (err->line)
		ntf_err("%s:%u:%u: %s%s", path, err->line, err->column, err->reason, then);
	else
		ntf_err("%s%s", err->reason, then);
}

static int snapshot_hook(void *ctx, const char *trigger, char *path, size_t path_len, char *why,
			 size_t why_len)
{
	struct daemon_rec_snap snap;
	int err = daemon_rec_snapshot(ctx, trigger, &snap, why, why_len);

	if (!err)
		snprintf(path, path_len, "%s", snap.path);
	return err;
}

static int stack_hook(void *ctx, const struct ntf_event *e, struct ntf_rec_frame *frames)
{
	struct daemon_rec *dr = ctx;
	int n = dr->stacks ? ntf_record_stack_read(dr->stacks, e, frames) : 0;

	return n > 0 ? n : 0;
}

/* A checking engine: hooks that say what the daemon will have. */
static int fake_snapshot(void *ctx, const char *trigger, char *path, size_t path_len, char *why,
			 size_t why_len)
{
	(void)ctx, (void)trigger, (void)path, (void)path_len, (void)why, (void)why_len;
	return -ENOSYS;
}

static int engine(const char *path, const struct ntf_policy_hooks *h, struct ntf_policy **out,
		  const char *then)
{
	struct ntf_rules_error perr = {};
	struct ntf_rules rules = {};
	char why[sizeof(perr.reason) + 64];
	int err = ntf_rules_load(path, &rules, &perr);

	if (err) {
		say_error(path, &perr, then);
		return -1;
	}
	err = ntf_policy_new(out, &rules, h, why, sizeof(why));
	if (err) {
		ntf_rules_free(&rules);
		ntf_err("%s: %s%s", path, why, then);
		return -1;
	}
	return 0;
}

int daemon_policy_check(const char *path, bool flight, bool *stacks, __u64 *min_ns)
{
	struct ntf_policy_hooks h = { .snapshot = flight ? fake_snapshot : NULL };
	struct ntf_policy *p;

	if (engine(path, &h, &p, ""))
		return -1;
	*stacks = ntf_policy_wants_stacks(p, min_ns);
	ntf_policy_free(p);
	return 0;
}

struct ntf_policy_hooks daemon_policy_hooks(struct daemon_rec *dr, bool stacks, FILE *json)
{
	return (struct ntf_policy_hooks){
		.snapshot = dr && dr->flight ? snapshot_hook : NULL,
		.stack = stacks ? stack_hook : NULL,
		.ctx = dr,
		.json = json,
	};
}

static struct ntf_policy_hooks hooks_of(const struct daemon_policy *dp)
{
	return daemon_policy_hooks(dp->dr, dp->stacks, dp->json);
}

/* Rules that want stacks the tracer does not take get alerts without them: said once. */
static void check_stacks(const struct daemon_policy *dp)
{
	__u64 min = 0;

	if (!ntf_policy_wants_stacks(dp->p, &min))
		return;
	if (!dp->stacks)
		ntf_warn("%s: a rule asks for kernel stacks, which this run does not take (restart "
			 "notifierd to take them)",
			 dp->path);
	else if (min < dp->stack_min_ns)
		ntf_warn("%s: a rule asks for stacks of events over %llu ns; this run takes them "
			 "over %llu ns (restart notifierd to lower it)",
			 dp->path, (unsigned long long)min, (unsigned long long)dp->stack_min_ns);
}

static void set_callbacks(struct daemon_policy *dp)
{
	__u32 end = ntf_callback_id_end();

	for (__u32 id = 0; id < NTF_STREAM_CALLBACK_SLOTS; id++) {
		__u32 bits = id < end ? ntf_policy_gate_callbacks(dp->p, id) : 0;
		int err;

		if (bits == dp->gate_callbacks[id])
			continue;
		err = tracer__set_gate_callbacks(dp->t, id, bits);
		if (err) {
			ntf_warn("cannot set the rules' gates for callback %u: %s", id,
				 strerror(-err));
			continue;
		}
		dp->gate_callbacks[id] = bits;
	}
}

/* Rule i's cgroup v2 directory, open; -1 when it has none or it is not there. */
static int cgroup_dir(const struct daemon_policy *dp, unsigned int i)
{
	static const char *const mounts[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
	const struct ntf_rule *r = ntf_policy_rule(dp->p, i);
	char dir[PATH_MAX];
	int fd = -1;

	for (unsigned int m = 0; r->cgroup[0] && fd < 0 && m < 2; m++) {
		snprintf(dir, sizeof(dir), "%s%s", mounts[m], r->cgroup);
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	return fd;
}

/* Rule i's cgroup into gate i: whether it is there (a cgroup v2 directory). */
static bool set_cgroup(struct daemon_policy *dp, unsigned int i)
{
	int fd = cgroup_dir(dp, i), err;

	err = tracer__set_gate_cgroup(dp->t, i, fd);
	if (fd >= 0)
		close(fd);
	/* a v1 directory or no cgroup: the daemon judges it */
	return fd >= 0 && !err;
}

/*
 * The kernel's gates for the running rules: the callbacks' bits and the
 * cgroups first, so that a new gate's conditions can be met as soon as
 * it is there.
 */
static int set_gates(struct daemon_policy *dp)
{
	bool *cgroup_open = dp->cgroup_open;
	struct ntf_rule_gates g;
	unsigned int open;
	int err;

	if (!dp->t)
		return 0;
	set_callbacks(dp);
	dp->cgroup_missing = false;
	for (unsigned int i = 0; i < NTF_RULE_GATES; i++) {
		bool has = i < ntf_policy_count(dp->p) && ntf_policy_rule(dp->p, i)->cgroup[0];

		cgroup_open[i] = i < ntf_policy_count(dp->p) && set_cgroup(dp, i);
		dp->cgroup_missing |= has && !cgroup_open[i];
	}
	ntf_policy_gates(dp->p, cgroup_open, &g);
	g.self_tgid = (__u32)getpid();
	err = tracer__set_rule_gates(dp->t, &g);
	if (err) {
		ntf_err("%s: cannot give the kernel the rules' gates: %s", dp->path,
			strerror(-err));
		ntf_policy_kernel_signals(dp->p, NULL);
		return -1;
	}
	ntf_policy_kernel_signals(dp->p, &g);
	open = ntf_policy_gates_open(dp->p, cgroup_open);
	if (dp->gated && open)
		ntf_warn("%s: %u rule%s nothing the kernel can judge (class, latency, pid, "
			 "failed, blockable, driver, callback, cgroup): every event is streamed "
			 "to judge %s",
			 dp->path, open, open == 1 ? " has" : "s have", open == 1 ? "it" : "them");
	return 0;
}

/* Whether a rule's cgroup that was not there is now. */
static bool cgroup_appeared(const struct daemon_policy *dp)
{
	for (unsigned int i = 0; i < NTF_RULE_GATES && i < ntf_policy_count(dp->p); i++) {
		int fd;

		if (dp->cgroup_open[i] || !ntf_policy_rule(dp->p, i)->cgroup[0])
			continue;
		fd = cgroup_dir(dp, i);
		if (fd >= 0) {
			close(fd);
			return true;
		}
	}
	return false;
}

void daemon_policy_rescan(struct daemon_policy *dp)
{
	if (!dp->t || !dp->p)
		return;
	/* new gates start their signal limits afresh: only when one gains its cgroup */
	if (dp->cgroup_missing && cgroup_appeared(dp))
		set_gates(dp);
	else
		set_callbacks(dp);
}

void daemon_policy_new_pid(struct daemon_policy *dp)
{
	if (dp->t && dp->p)
		set_gates(dp);
}

int daemon_policy_open(struct daemon_policy *dp, const char *path, struct daemon_rec *dr,
		       FILE *json, bool stacks, __u64 stack_min_ns, struct tracer *t, bool gated)
{
	struct ntf_policy_hooks h;

	memset(dp, 0, sizeof(*dp));
	dp->dr = dr;
	dp->json = json;
	dp->stacks = stacks;
	dp->stack_min_ns = stack_min_ns;
	dp->t = t;
	dp->gated = gated;
	if (!path)
		return 0;
	if (!realpath(path, dp->loaded_path)) {
		ntf_err("%s: %s", path, strerror(errno));
		return -1;
	}
	dp->path = dp->loaded_path;
	h = hooks_of(dp);
	if (engine(path, &h, &dp->p, ""))
		return -1;
	ntf_info("policy: %u rule%s from %s%s", ntf_policy_count(dp->p),
		 ntf_policy_count(dp->p) == 1 ? "" : "s", path,
		 gated ? "; the kernel streams what they may match" : "");
	return set_gates(dp);
}

void daemon_policy_tick(struct daemon_policy *dp, __u64 now_ns)
{
	if (dp->p)
		ntf_policy_tick(dp->p, now_ns);
}

void daemon_policy_reload(struct daemon_policy *dp, __u64 now_ns)
{
	struct ntf_policy_hooks h = hooks_of(dp);
	struct ntf_policy *p;

	if (!dp->path) {
		ntf_info("SIGHUP: no rules file to read again (--rules FILE)");
		return;
	}
	if (engine(dp->path, &h, &p, "; the running rules stay")) {
		dp->reload_errors++;
		return;
	}
	if (dp->p) {
		ntf_policy_flush(dp->p, now_ns);
		ntf_policy_adopt(p, dp->p);
	}
	ntf_policy_free(dp->p);
	dp->p = p;
	dp->reloads++;
	if (set_gates(dp))
		dp->reload_errors++;
	ntf_info("policy: %u rule%s from %s (read again on SIGHUP)", ntf_policy_count(p),
		 ntf_policy_count(p) == 1 ? "" : "s", dp->path);
	check_stacks(dp);
}

json_t *daemon_policy_json(const struct daemon_policy *dp)
{
	json_t *a = json_array();

	for (unsigned int i = 0; dp->p && i < ntf_policy_count(dp->p); i++) {
		struct ntf_rule_stats st;

		ntf_policy_stats(dp->p, i, &st);
		json_array_append_new(
			a, json_pack("{ss sI sI sI sI sI}", "rule", ntf_policy_rule(dp->p, i)->name,
				     "matched", (json_int_t)st.matched, "fired",
				     (json_int_t)st.fired, "acted", (json_int_t)st.acted,
				     "suppressed", (json_int_t)st.suppressed, "failed_actions",
				     (json_int_t)st.failed_actions));
	}
	return a;
}

void daemon_policy_summary_text(FILE *out, const struct daemon_policy *dp)
{
	for (unsigned int i = 0; dp->p && i < ntf_policy_count(dp->p); i++) {
		struct ntf_rule_stats st;

		ntf_policy_stats(dp->p, i, &st);
		fprintf(out,
			"rule %s: %llu matched, fired %llu times, %llu acted on, %llu held back by "
			"its limit%s\n",
			ntf_policy_rule(dp->p, i)->name, (unsigned long long)st.matched,
			(unsigned long long)st.fired, (unsigned long long)st.acted,
			(unsigned long long)st.suppressed,
			st.failed_actions ? ", actions failed" : "");
	}
}

void daemon_policy_close(struct daemon_policy *dp, __u64 now_ns)
{
	if (dp->p)
		ntf_policy_flush(dp->p, now_ns);
}

void daemon_policy_free(struct daemon_policy *dp)
{
	ntf_policy_free(dp->p);
	dp->p = NULL;
}
