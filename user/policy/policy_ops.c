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
#include "policy_struct_ops.h"

#define SECTION_PREFIX "notifier_policy/"
/* Per program: a policy is small, and the log is all a user gets when it is refused. */
#define LOG_SIZE (256 * 1024)

struct ntf_policy_ops {
	struct bpf_object *obj;
	/* by class; NULL: no program, the class is counted. Loaded once open returns */
	struct bpf_program *prog[NTF_CLASS_MAX];
	char name[64];
	/* the struct_ops backend's: the module's type, the map, and the link once attached */
	bool in_kernel;
	struct ntf_struct_ops_type type;
	int map_fd, link_fd;
};

/*
 * The policy being loaded: libbpf asks the section handler how to load
 * each program, and only this says whether as a member of the module's
 * type. One load at a time: notifier loads policies from one thread.
 */
static struct ntf_policy_ops *loading;

static int prepare_load(struct bpf_program *prog, struct bpf_prog_load_opts *opts, long cookie)
{
	(void)cookie;
	if (!loading || !loading->in_kernel)
		return 0;
	for (unsigned int c = 1; c < NTF_CLASS_MAX; c++)
		if (loading->prog[c] == prog) {
			opts->attach_btf_obj_fd = loading->type.btf_fd;
			opts->attach_btf_id = loading->type.ops_id;
			opts->expected_attach_type = loading->type.member[c];
			break;
		}
	return 0;
}

/* The section's handler, registered once: libbpf then knows notifier_policy/ programs. */
static void register_section(void)
{
	static bool done;
	LIBBPF_OPTS(libbpf_prog_handler_opts, o, .prog_prepare_load_fn = prepare_load);

	if (done)
		return;
	done = true;
	if (libbpf_register_prog_handler(SECTION_PREFIX, BPF_PROG_TYPE_SYSCALL, 0, &o) < 0)
		done = false;
}

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
		if (p->in_kernel) {
			if (p->type.member[class] < 0) {
				say(why, len, "the companion module's %s has no member %s",
				    "notifier_policy_ops", ntf_class_name(class));
				return -EINVAL;
			}
			bpf_program__set_type(prog, BPF_PROG_TYPE_STRUCT_OPS);
		} else {
			bpf_program__set_type(prog, BPF_PROG_TYPE_SYSCALL);
			/* the kernel runs syscall programs only as sleepable ones */
			bpf_program__set_flags(prog, bpf_program__flags(prog) | BPF_F_SLEEPABLE);
		}
		n++;
	}
	if (!n) {
		say(why, len, "no program in a notifier_policy/<class> section (NOTIFIER_POLICY)");
		return -ENOENT;
	}
	return 0;
}

/* notifier_policy_in_kernel (notifier_policy.h) set, for the struct_ops backend. */
static int mark_in_kernel(struct ntf_policy_ops *p, char *why, size_t len)
{
	const struct btf *btf = bpf_object__btf(p->obj);
	const struct btf_var_secinfo *v;
	const struct btf_type *sec;
	struct bpf_map *map;
	int id = btf ? btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC) : -1;

	if (id > 0) {
		sec = btf__type_by_id(btf, id);
		v = btf_var_secinfos(sec);
		for (int i = 0; i < btf_vlen(sec); i++, v++) {
			const char *name =
				btf__name_by_offset(btf, btf__type_by_id(btf, v->type)->name_off);

			if (strcmp(name, "notifier_policy_in_kernel"))
				continue;
			bpf_object__for_each_map (map, p->obj) {
				size_t size;
				__u8 *data;

				if (!bpf_map__is_internal(map) ||
				    !strstr(bpf_map__name(map), ".rodata"))
					continue;
				/* before load: the copy libbpf gives the kernel */
				data = (__u8 *)bpf_map__initial_value(map, &size);
				if (!data || v->offset >= size)
					break;
				data[v->offset] = 1;
				return 0;
			}
		}
	}
	say(why, len, "no notifier_policy_in_kernel: built against another notifier_policy.h");
	return -EINVAL;
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
	loading = p;
	err = bpf_object__load(p->obj);
	loading = NULL;
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

/* The struct_ops map of the loaded programs, stamped with generation. */
static int make_map(struct ntf_policy_ops *p, __u32 generation, char *why, size_t len)
{
	int fds[NTF_CLASS_MAX];

	for (unsigned int c = 0; c < NTF_CLASS_MAX; c++)
		fds[c] = p->prog[c] ? bpf_program__fd(p->prog[c]) : -1;
	p->map_fd = ntf_struct_ops_map(&p->type, bpf_object__btf_fd(p->obj), fds, generation);
	if (p->map_fd >= 0)
		return 0;
	say(why, len, "the kernel refused its struct_ops map: %s", strerror(-p->map_fd));
	return p->map_fd;
}

int ntf_policy_ops_open(struct ntf_policy_ops **out, const char *path,
			const struct ntf_policy_ops_opts *opts, char *why, size_t why_len)
{
	libbpf_print_fn_t was = libbpf_set_print(quiet);
	struct ntf_policy_ops *p = calloc(1, sizeof(*p));
	const char *base = strrchr(path, '/');
	int err = 0;

	*out = NULL;
	if (!p) {
		libbpf_set_print(was);
		return -ENOMEM;
	}
	p->map_fd = p->link_fd = p->type.btf_fd = -1;
	p->in_kernel = opts && opts->in_kernel;
	snprintf(p->name, sizeof(p->name), "%s", base ? base + 1 : path);
	register_section();
	if (p->in_kernel)
		err = ntf_struct_ops_type_open(&p->type, why, why_len);
	if (!err) {
		p->obj = bpf_object__open_file(path, NULL);
		err = libbpf_get_error(p->obj);
		if (err) {
			p->obj = NULL;
			say(why, why_len, "%s",
			    err == -ENOENT ? strerror(ENOENT) :
					     "not a BPF object (clang -target bpf -g)");
		}
	}
	if (!err)
		err = claim_programs(p, why, why_len);
	if (!err && p->in_kernel)
		err = mark_in_kernel(p, why, why_len);
	if (!err)
		err = load(p, why, why_len);
	if (!err && p->in_kernel)
		err = make_map(p, opts->generation, why, why_len);
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
	/* the link's end detaches the policy: the module waits out its readers */
	if (p->link_fd >= 0)
		close(p->link_fd);
	if (p->map_fd >= 0)
		close(p->map_fd);
	ntf_struct_ops_type_close(&p->type);
	bpf_object__close(p->obj);
	free(p);
}

int ntf_policy_ops_attach(struct ntf_policy_ops *p, struct ntf_policy_ops *old, char *why,
			  size_t why_len)
{
	int err;

	if (!p->in_kernel)
		return 0;
	if (old && old->link_fd >= 0) {
		err = ntf_struct_ops_swap(old->link_fd, p->map_fd, old->map_fd);
		if (err) {
			say(why, why_len, "the kernel refused the swap through the link: %s",
			    strerror(-err));
			return err;
		}
		p->link_fd = old->link_fd;
		old->link_fd = -1;
		return 0;
	}
	p->link_fd = ntf_struct_ops_attach(p->map_fd);
	if (p->link_fd >= 0)
		return 0;
	err = p->link_fd;
	say(why, why_len, "the kernel refused its link: %s%s", strerror(-err),
	    err == -EBUSY ? " (another policy is attached to the module's type: one at a time)" :
			    "");
	return err;
}

bool ntf_policy_ops_in_kernel(const struct ntf_policy_ops *p)
{
	return p->in_kernel;
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
	if (p->in_kernel)
		return -EOPNOTSUPP;
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
	else if (!ntf_struct_ops_registered())
		snprintf(b->struct_ops_why, sizeof(b->struct_ops_why),
			 "kernel %u.%u could: the companion module notifier_policy is not loaded "
			 "(kmod/notifier_policy)",
			 major, minor);
	else {
		b->struct_ops = true;
		snprintf(b->struct_ops_why, sizeof(b->struct_ops_why),
			 "the companion module's notifier_policy_ops: notifierd started now calls "
			 "its kfunc, and policies judge in the kernel and swap through the link");
	}
}
