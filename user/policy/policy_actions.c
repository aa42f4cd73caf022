// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What a rule's firing does (policy.h): a snapshot, a signal, a frozen
 * cgroup, a command, then the alert saying the event and how each went.
 * An action that cannot be done is said, with why, and the others still
 * run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <jansson.h>
#include "callbacks.h"
#include "cgroup_match.h"
#include "event_json.h"
#include "histogram.h"
#include "log.h"
#include "names.h"
#include "policy_int.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

/* How each action went: a short text for the alert line, and the JSON's fields. */
struct outcome {
	char text[PATH_MAX + 512];
	size_t len;
	json_t *o;
};

__attribute__((format(printf, 2, 3))) static void note(struct outcome *out, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (out->len >= sizeof(out->text) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(out->text + out->len, sizeof(out->text) - out->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		out->len += (size_t)n < sizeof(out->text) - out->len ?
				    (size_t)n :
				    sizeof(out->text) - out->len - 1;
}

static void failed(struct rule_state *s, struct outcome *out, const char *action, const char *why)
{
	s->st.failed_actions++;
	note(out, "; %s failed: %s", action, why);
	json_object_set_new(out->o, action, json_pack("{ss}", "error", why));
}

static void do_snapshot(struct ntf_policy *p, struct rule_state *s, struct outcome *out)
{
	char trigger[NTF_RULE_NAME_LEN + 8], path[PATH_MAX], why[PATH_MAX + 128];

	snprintf(trigger, sizeof(trigger), "policy:%s", s->r.name);
	if (p->h.snapshot(p->h.ctx, trigger, path, sizeof(path), why, sizeof(why))) {
		failed(s, out, "snapshot", why);
		return;
	}
	note(out, "; snapshot %s", path);
	json_object_set_new(out->o, "snapshot", json_pack("{ss}", "file", path));
}

/* What the kernel's gate did with the signal, as the event says. */
static void kernel_signal(struct rule_state *s, const struct ntf_event *e, struct outcome *out)
{
	const char *name = sigabbrev_np(s->r.signal);
	char why[128];

	if (e->flags & NTF_F_KSIGNAL_SENT) {
		note(out, "; SIG%s sent to %u by the kernel, as the event ran", name ? name : "?",
		     e->pid);
		json_object_set_new(out->o, "signal",
				    json_pack("{ss sI ss}", "sent", name ? name : "?", "tid",
					      (json_int_t)e->pid, "by", "kernel"));
		return;
	}
	if (e->flags & NTF_F_KTHREAD)
		snprintf(why, sizeof(why),
			 "%.16s (pid %u) is a kernel thread, which no signal stops", e->comm,
			 e->pid);
	else
		snprintf(why, sizeof(why), "the kernel could not send SIG%s to %u",
			 name ? name : "?", e->pid);
	failed(s, out, "signal", why);
}

static void do_signal(const struct ntf_policy *p, struct rule_state *s, const struct ntf_event *e,
		      struct outcome *out)
{
	const char *name = sigabbrev_np(s->r.signal);
	char why[128];

	if (p->ksignal_rule == s) {
		kernel_signal(s, e, out);
		return;
	}

	/* reclaim runs in whoever allocates: the daemon itself among them */
	if (e->tgid == (__u32)getpid()) {
		failed(s, out, "signal",
		       "the event ran in notifierd itself, which is not signalled");
		return;
	}
	/* kswapd, the OOM reaper, a kworker: no signal stops them */
	if (e->flags & NTF_F_KTHREAD) {
		snprintf(why, sizeof(why),
			 "%.16s (pid %u) is a kernel thread, which no signal stops", e->comm,
			 e->pid);
		failed(s, out, "signal", why);
		return;
	}
	/* the thread the event ran in, if it is still in that process */
	if (syscall(SYS_tgkill, e->tgid, e->pid, s->r.signal)) {
		snprintf(why, sizeof(why), "SIG%s to %u: %s", name ? name : "?", e->pid,
			 strerror(errno));
		failed(s, out, "signal", why);
		return;
	}
	note(out, "; SIG%s sent to %u", name ? name : "?", e->pid);
	json_object_set_new(
		out->o, "signal",
		json_pack("{ss sI}", "sent", name ? name : "?", "tid", (json_int_t)e->pid));
}

/* Whether notifierd's own cgroup is cg or below it. */
static bool own_cgroup_under(const char *cg)
{
	static char own[NTF_CGROUP_PATH_LEN];
	static bool known;

	if (!known) {
		FILE *f = fopen("/proc/self/cgroup", "r");
		char line[NTF_CGROUP_PATH_LEN + 3];

		/* cgroup v2's line: "0::/path" */
		while (f && fgets(line, sizeof(line), f))
			if (!strncmp(line, "0::", 3)) {
				line[strcspn(line, "\n")] = '\0';
				snprintf(own, sizeof(own), "%s", line + 3);
			}
		if (f)
			fclose(f);
		known = true;
	}
	return own[0] && ntf_cgroup_under(own, cg);
}

static void do_freeze(struct rule_state *s, const struct ntf_event *e, struct outcome *out)
{
	char cg[NTF_CGROUP_PATH_LEN], file[PATH_MAX], why[PATH_MAX + 64];
	int fd, err = ntf_cgroup_path(e->cgroup_id, cg, sizeof(cg));

	if (err) {
		snprintf(why, sizeof(why), "cgroup %llu: %s", (unsigned long long)e->cgroup_id,
			 strerror(-err));
		failed(s, out, "freeze", why);
		return;
	}
	/* the root holds the system itself, and has no cgroup.freeze */
	if (!strcmp(cg, "/")) {
		failed(s, out, "freeze", "the task is in the root cgroup, which cannot be frozen");
		return;
	}
	/* a frozen daemon would stop reading events, thawing nothing */
	if (e->tgid == (__u32)getpid() || own_cgroup_under(cg)) {
		failed(s, out, "freeze", "the cgroup holds notifierd itself, which is not frozen");
		return;
	}
	snprintf(file, sizeof(file), CGROUP_ROOT "%s/cgroup.freeze", cg);
	fd = open(file, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "1", 1) != 1) {
		snprintf(why, sizeof(why), "%s: %s", file, strerror(errno));
		if (fd >= 0)
			close(fd);
		failed(s, out, "freeze", why);
		return;
	}
	close(fd);
	note(out, "; cgroup %s frozen", cg);
	json_object_set_new(out->o, "freeze", json_pack("{ss}", "cgroup", cg));
}

static void set_env(const char *name, const char *fmt, ...)
{
	char v[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	setenv(name, v, 1);
}

/* In the child: the event in the environment, then the command. Never returns. */
static void exec_child(const struct rule_state *s, const struct ntf_event *e)
{
	char cg[NTF_CGROUP_PATH_LEN] = "";
	const char *func = ntf_callback_func(e->callback);

	ntf_cgroup_path(e->cgroup_id, cg, sizeof(cg));
	set_env("NTF_RULE", "%s", s->r.name);
	set_env("NTF_PID", "%u", e->tgid);
	set_env("NTF_TID", "%u", e->pid);
	set_env("NTF_COMM", "%.16s", e->comm);
	set_env("NTF_CLASS", "%s", ntf_class_name(e->class));
	set_env("NTF_DRIVER", "%s", e->callback ? ntf_driver_name(e->callback) : "");
	set_env("NTF_CALLBACK", "%s", func ? func : "");
	set_env("NTF_LATENCY_NS", "%llu", (unsigned long long)e->latency_ns);
	set_env("NTF_CGROUP", "%s", cg);
	/* the daemon's stdout may be its JSON stream: a command's words go to stderr */
	dup2(STDERR_FILENO, STDOUT_FILENO);
	signal(SIGXFSZ, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	execl("/bin/sh", "sh", "-c", s->r.cmd, (char *)NULL);
	_exit(127);
}

static void do_exec(struct ntf_policy *p, struct rule_state *s, const struct ntf_event *e,
		    struct outcome *out)
{
	char why[128];
	pid_t pid;

	policy_reap(p);
	if (p->nchildren == NTF_POLICY_MAX_CHILDREN) {
		snprintf(why, sizeof(why), "%d commands still running", NTF_POLICY_MAX_CHILDREN);
		failed(s, out, "exec", why);
		return;
	}
	fflush(NULL); /* the child must not write the daemon's buffered lines again */
	pid = fork();
	if (pid < 0) {
		snprintf(why, sizeof(why), "fork: %s", strerror(errno));
		failed(s, out, "exec", why);
		return;
	}
	if (!pid)
		exec_child(s, e);
	p->children[p->nchildren++] = pid;
	note(out, "; command started (pid %d)", (int)pid);
	json_object_set_new(out->o, "exec", json_pack("{sI}", "pid", (json_int_t)pid));
}

void policy_reap(struct ntf_policy *p)
{
	for (unsigned int i = 0; i < p->nchildren;) {
		int status;
		pid_t r = waitpid(p->children[i], &status, WNOHANG);

		if (r == 0) {
			i++;
			continue;
		}
		if (r > 0 && WIFEXITED(status) && WEXITSTATUS(status))
			ntf_warn("policy: a rule's command (pid %d) exited %d", (int)r,
				 WEXITSTATUS(status));
		else if (r > 0 && WIFSIGNALED(status))
			ntf_warn("policy: a rule's command (pid %d) was killed by SIG%s", (int)r,
				 sigabbrev_np(WTERMSIG(status)) ?: "?");
		p->children[i] = p->children[--p->nchildren];
	}
}

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* When e started, on the wall clock: its ts_ns is CLOCK_MONOTONIC's. */
static double event_wall(const struct ntf_event *e)
{
	return clock_s(CLOCK_REALTIME) - (clock_s(CLOCK_MONOTONIC) - e->ts_ns / 1e9);
}

/* "callback testdrv (ntf_invalidate) 5.01ms, task 1235 of 1234 (wl-testdrv), madvise" */
static void describe(char *buf, size_t len, const struct ntf_event *e)
{
	const char *func = ntf_callback_func(e->callback);
	char lat[16], who[96] = "";

	ntf_format_ns(lat, sizeof(lat), e->latency_ns);
	if (e->callback)
		snprintf(who, sizeof(who), " %s%s%s%s", ntf_driver_name(e->callback),
			 func ? " (" : "", func ? func : "", func ? ")" : "");
	snprintf(buf, len, "%s%s %s, task %u of %u (%.16s), %s%s%s", ntf_class_name(e->class), who,
		 lat, e->pid, e->tgid, e->comm, ntf_origin_name(e->origin),
		 e->flags & NTF_F_BLOCKABLE ? "" : ", non-blockable",
		 e->flags & NTF_F_FAILED ? ", failed" : "");
}

static void alert(struct ntf_policy *p, struct rule_state *s, const struct ntf_event *e,
		  struct outcome *out)
{
	bool stack = (s->r.actions & NTF_ACT_STACK) && p->h.stack;
	int n = stack ? p->h.stack(p->h.ctx, e, p->frames) : 0;
	char what[256], frame[NTF_REC_SYM_LEN + NTF_REC_MOD_LEN + 32];

	if (p->h.json) {
		json_object_set_new(out->o, "type", json_string("alert"));
		json_object_set_new(out->o, "rule", json_string(s->r.name));
		json_object_set_new(out->o, "wall", json_real(clock_s(CLOCK_REALTIME)));
		json_object_set_new(out->o, "event", ntf_event_json(e, event_wall(e)));
		if (stack)
			json_object_set_new(out->o, "stack", ntf_frames_json(p->frames, n));
		json_dumpf(out->o, p->h.json, JSON_COMPACT);
		fputc('\n', p->h.json);
		fflush(p->h.json);
		return;
	}
	describe(what, sizeof(what), e);
	ntf_warn("alert: rule '%s': %s%s", s->r.name, what, out->text);
	for (int i = 0; i < n; i++) {
		ntf_rec_frame_name(frame, sizeof(frame), &p->frames[i]);
		ntf_warn("alert:     %s", frame);
	}
	if (stack && !n)
		ntf_warn("alert:     (no kernel stack: the event is under the stack threshold, or "
			 "its stack was lost)");
}

void policy_act(struct ntf_policy *p, struct rule_state *s, const struct ntf_event *e)
{
	struct outcome out = { .o = json_object() };
	unsigned int a = s->r.actions;
	__u64 failures = s->st.failed_actions;

	if (a & NTF_ACT_SNAPSHOT)
		do_snapshot(p, s, &out);
	if (a & NTF_ACT_SIGNAL)
		do_signal(p, s, e, &out);
	if (a & NTF_ACT_FREEZE)
		do_freeze(s, e, &out);
	if (a & NTF_ACT_EXEC)
		do_exec(p, s, e, &out);
	if (a & NTF_ACT_ALERT)
		alert(p, s, e, &out);
	else if (s->st.failed_actions > failures)
		ntf_warn("policy: rule '%s'%s", s->r.name, out.text);
	json_decref(out.o);
}
