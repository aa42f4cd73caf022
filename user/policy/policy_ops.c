// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <linux/filter.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "callbacks.h"
#include "histogram.h"
#include "names.h"
#include "policy_ops.h"

#define SECTION_PREFIX "notifier_policy/"
/* Per program: a policy is small, and the log is all a user gets when it is refused. */
#define LOG_SIZE (256 * 1024)

struct ntf_policy_ops {
	struct bpf_object *obj;
	/* by class; NULL: no program, the class is counted. Loaded once open returns */
	struct bpf_program *prog[NTF_CLASS_MAX];
	char name[64];
};

static void say(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

/* libbpf's own lines say less than why does, and twice: kept quiet while a policy loads. */
static int quiet(enum libbpf_print_level level, const char *fmt, va_list args)
{
	(void)level;
	(void)fmt;
	(void)args;
	return 0;
}

/* The last lines of a verifier log that fit in len, on one line each. */
static void log_tail(char *out, size_t len, const char *log)
{
	size_t n = strlen(log);
	const char *from;

	while (n && log[n - 1] == '\n')
		n--;
	from = log + (n > len - 1 ? n - (len - 1) : 0);
	if (from > log) {
		const char *nl = memchr(from, '\n', log + n - from);

		if (nl)
			from = nl + 1;
	}
	snprintf(out, len, "%.*s", (int)(log + n - from), from);
}

/* Checks each program's section and readies it as a syscall program. */
static int claim_programs(struct ntf_policy_ops *p, char *why, size_t len)
{
	struct bpf_program *prog;
	int n = 0;

	bpf_object__for_each_program (prog, p->obj) {
		const char *sec = bpf_program__section_name(prog);
		unsigned int class;

		if (strncmp(sec, SECTION_PREFIX, strlen(SECTION_PREFIX))) {
			say(why, len,
			    "program %s is in section '%s': a policy has only notifier_policy/<class> "
			    "programs (NOTIFIER_POLICY)",
			    bpf_program__name(prog), sec);
			return -EINVAL;
		}
		class = ntf_class_from_name(sec + strlen(SECTION_PREFIX));
		if (class == NTF_CLASS_NONE) {
			say(why, len,
			    "section '%s': no event class '%s' (inval_start, inval_end, callback, "
			    "unmap, pin, unpin, fence_wait)",
			    sec, sec + strlen(SECTION_PREFIX));
			return -EINVAL;
		}
		if (p->prog[class]) {
			say(why, len, "two programs for class %s", ntf_class_name(class));
			return -EINVAL;
		}
		p->prog[class] = prog;
		bpf_program__set_type(prog, BPF_PROG_TYPE_SYSCALL);
		/* the kernel runs syscall programs only as sleepable ones */
		bpf_program__set_flags(prog, bpf_program__flags(prog) | BPF_F_SLEEPABLE);
		n++;
	}
	if (!n) {
		say(why, len, "no program in a notifier_policy/<class> section (NOTIFIER_POLICY)");
		return -ENOENT;
	}
	return 0;
}

static int load(struct ntf_policy_ops *p, char *why, size_t len)
{
	struct bpf_program *prog;
	char *log = calloc(1, LOG_SIZE);
	int err;

	if (!log)
		return -ENOMEM;
	/*
	 * No log asked at first: before 6.4 a log that outgrows its buffer
	 * fails a load the verifier accepts. libbpf asks again with one when
	 * a program is refused.
	 */
	bpf_object__for_each_program (prog, p->obj)
		bpf_program__set_log_buf(prog, log, LOG_SIZE);
	err = bpf_object__load(p->obj);
	if (err) {
		char tail[768];

		/* the log holds the refused program's attempt: the ones before loaded */
		log_tail(tail, sizeof(tail), log);
		say(why, len, "the kernel refused it: %s%s%s", strerror(-err), *tail ? "\n" : "",
		    tail);
	}
	free(log);
	return err;
}

int ntf_policy_ops_open(struct ntf_policy_ops **out, const char *path, char *why, size_t why_len)
{
	libbpf_print_fn_t was = libbpf_set_print(quiet);
	struct ntf_policy_ops *p = calloc(1, sizeof(*p));
	const char *base = strrchr(path, '/');
	int err;

	*out = NULL;
	if (!p) {
		libbpf_set_print(was);
		return -ENOMEM;
	}
	snprintf(p->name, sizeof(p->name), "%s", base ? base + 1 : path);
	p->obj = bpf_object__open_file(path, NULL);
	err = libbpf_get_error(p->obj);
	if (err) {
		p->obj = NULL;
		say(why, why_len, "%s",
		    err == -ENOENT ? strerror(ENOENT) : "not a BPF object (clang -target bpf -g)");
	} else {
		err = claim_programs(p, why, why_len);
		if (!err)
			err = load(p, why, why_len);
	}
	libbpf_set_print(was);
	if (err) {
		ntf_policy_ops_free(p);
		return err;
	}
	*out = p;
	return 0;
}

void ntf_policy_ops_free(struct ntf_policy_ops *p)
{
	if (!p)
		return;
	bpf_object__close(p->obj);
	free(p);
}

bool ntf_policy_ops_has(const struct ntf_policy_ops *p, unsigned int class)
{
	return class < NTF_CLASS_MAX && p->prog[class];
}

const char *ntf_policy_ops_name(const struct ntf_policy_ops *p)
{
	return p->name;
}

void ntf_policy_event_of(struct notifier_policy_event *pe, const struct ntf_event *e)
{
	memset(pe, 0, sizeof(*pe));
	pe->ts_ns = e->ts_ns;
	pe->latency_ns = e->latency_ns;
	pe->cgroup_id = e->cgroup_id;
	pe->ret = e->ret;
	pe->pid = e->pid;
	pe->tgid = e->tgid;
	pe->flags = e->flags;
	pe->callback = e->callback;
	pe->syscall_nr = e->syscall_nr;
	pe->class = e->class;
	pe->origin = e->origin;
	pe->mech = e->mech;
	memcpy(pe->comm, e->comm, sizeof(pe->comm));
	pe->comm[sizeof(pe->comm) - 1] = '\0';
	if (e->callback)
		snprintf(pe->driver, sizeof(pe->driver), "%s", ntf_driver_name(e->callback));
	pe->pages = ntf_event_pages(e);
}

long ntf_policy_ops_run(const struct ntf_policy_ops *p, const struct notifier_policy_event *pe)
{
	LIBBPF_OPTS(bpf_test_run_opts, run, .ctx_in = pe, .ctx_size_in = sizeof(*pe));

	if (!ntf_policy_ops_has(p, pe->class))
		return NOTIFIER_COUNT;
	if (bpf_prog_test_run_opts(bpf_program__fd(p->prog[pe->class]), &run))
		return -errno;
	return run.retval;
}

int ntf_policy_verdict_of(long answer)
{
	long verdict = answer & NOTIFIER_VERDICT_MASK;

	if (verdict >= NOTIFIER_VERDICT_MAX ||
	    (answer & ~(long)(NOTIFIER_VERDICT_MASK | NOTIFIER_ACT_MASK)))
		return -1;
	return verdict;
}

/* Loads and runs the smallest syscall program: what the portable backend needs. */
static int try_syscall_program(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, load, .prog_flags = BPF_F_SLEEPABLE);
	__u64 ctx = 0;
	LIBBPF_OPTS(bpf_test_run_opts, run, .ctx_in = &ctx, .ctx_size_in = sizeof(ctx));
	int fd = bpf_prog_load(BPF_PROG_TYPE_SYSCALL, "ntf_policy_probe", "GPL", insns, 2, &load);
	int err;

	if (fd < 0)
		return -errno;
	err = bpf_prog_test_run_opts(fd, &run) ? -errno : run.retval == 1 ? 0 : -EIO;
	close(fd);
	return err;
}

/* Whether the companion module is loaded and its struct_ops type registered. */
static bool module_type_registered(void)
{
	struct btf *base = btf__load_vmlinux_btf(), *mod;
	bool found = false;

	if (libbpf_get_error(base))
		return false;
	mod = btf__parse_split("/sys/kernel/btf/notifier_policy", base);
	if (!libbpf_get_error(mod)) {
		found = btf__find_by_name_kind(mod, "bpf_struct_ops_notifier_policy_ops",
					       BTF_KIND_STRUCT) > 0;
		btf__free(mod);
	}
	btf__free(base);
	return found;
}

void ntf_policy_backends(struct ntf_policy_backends *b)
{
	struct utsname u;
	unsigned int major = 0, minor = 0;
	int err = try_syscall_program();

	memset(b, 0, sizeof(*b));
	b->portable = !err;
	if (err)
		snprintf(b->portable_why, sizeof(b->portable_why),
			 "a syscall program does not load or run here: %s (5.14 or later, and "
			 "CAP_BPF)",
			 strerror(-err));
	else
		snprintf(
			b->portable_why, sizeof(b->portable_why),
			"syscall programs run by BPF_PROG_TEST_RUN, a system call an event judged");
	uname(&u);
	sscanf(u.release, "%u.%u", &major, &minor);
	if (major < 6 || (major == 6 && minor < 9))
		snprintf(b->struct_ops_why, sizeof(b->struct_ops_why),
			 "kernel %u.%u: a module registers a struct_ops type from 6.9 on", major,
			 minor);
	else if (!module_type_registered())
		snprintf(b->struct_ops_why, sizeof(b->struct_ops_why),
			 "kernel %u.%u could: the companion module notifier_policy is not loaded "
			 "(kmod/notifier_policy)",
			 major, minor);
	else
		snprintf(b->struct_ops_why, sizeof(b->struct_ops_why),
			 "the companion module has registered notifier_policy_ops, but notifier "
			 "cannot attach policies to it yet");
}
