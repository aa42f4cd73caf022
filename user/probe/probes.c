// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "ksyms.h"
#include "names.h"
#include "probes.h"

/*
 * Loads "r0 = 0; exit" as a tracing program against a BTF id: the only
 * reliable way to know whether this kernel lets fentry (or tp_btf) on that
 * target load, since lockdown and LSMs refuse at load time.
 */
static int tracing_prog_loads(const struct btf *btf, const char *name, __u32 kind,
			      enum bpf_attach_type type)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = type);
	int id, fd;

	id = btf__find_by_name_kind(btf, name, kind);
	if (id < 0)
		return -ESRCH;
	opts.attach_btf_id = id;
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "ntf_probe", "GPL", insns, 2, &opts);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

bool ntf_kernel_has_kprobes(void)
{
	/* libbpf uses the kprobe PMU, or kprobe_events in tracefs without it. */
	return !access("/sys/bus/event_source/devices/kprobe/type", F_OK) ||
	       !access("/sys/kernel/tracing/kprobe_events", F_OK) ||
	       !access("/sys/kernel/debug/tracing/kprobe_events", F_OK);
}

static void set_why(struct ntf_probe_state *st, unsigned int mech, const char *fmt, const char *arg)
{
	snprintf(st->why[mech], NTF_REASON_LEN, fmt, arg);
}

static void describe_load_error(struct ntf_probe_state *st, unsigned int mech, int err)
{
	switch (err) {
	case -ESRCH: set_why(st, mech, "%s", "not in kernel BTF (absent or inlined)"); break;
	case -EPERM:
	case -EACCES:
		set_why(st, mech, "refused at load: %s (lockdown or an LSM)", strerror(-err));
		break;
	default: set_why(st, mech, "refused at load: %s", strerror(-err));
	}
}

static bool try_fentry(struct ntf_probe_state *st, const struct btf *btf)
{
	int err = tracing_prog_loads(btf, st->point->func, BTF_KIND_FUNC, BPF_TRACE_FENTRY);

	if (err)
		describe_load_error(st, NTF_MECH_FENTRY, err);
	return !err;
}

static bool try_kprobe(struct ntf_probe_state *st, const struct ntf_ladder_opts *opts,
		       bool have_kprobes)
{
	if (!have_kprobes) {
		set_why(st, NTF_MECH_KPROBE, "%s",
			"kernel has no kprobes (no kprobe PMU or kprobe_events)");
		return false;
	}
	if (opts->ksyms && !ntf_ksyms_by_name(opts->ksyms, st->point->func)) {
		set_why(st, NTF_MECH_KPROBE, "%s", "symbol not in kallsyms (absent or inlined)");
		return false;
	}
	return true;
}

static bool try_tracepoint(struct ntf_probe_state *st, const struct btf *btf)
{
	const struct ntf_probe_point *p = st->point;
	int err;

	if (!p->tp_btf_name[0])
		return false; /* most points have no tracepoint: nothing to say */
	for (int i = 0; i < 2; i++) {
		err = tracing_prog_loads(btf, p->tp_btf_name[i], BTF_KIND_TYPEDEF,
					 BPF_TRACE_RAW_TP);
		if (err) {
			describe_load_error(st, NTF_MECH_TRACEPOINT, err);
			return false;
		}
	}
	return true;
}

static void set_autoload(struct bpf_object *obj, const struct ntf_probe_point *p,
			 unsigned int keep_mask)
{
	for (unsigned int m = NTF_MECH_FENTRY; m < NTF_MECH_MAX; m++) {
		for (int i = 0; i < 2; i++) {
			struct bpf_program *prog;

			if (!p->progs[m][i])
				continue;
			prog = bpf_object__find_program_by_name(obj, p->progs[m][i]);
			if (prog)
				bpf_program__set_autoload(prog, keep_mask & (1u << m));
		}
	}
}

int ntf_ladder_choose(struct bpf_object *obj, struct ntf_probe_state *states,
		      const struct ntf_ladder_opts *opts)
{
	bool have_kprobes = ntf_kernel_has_kprobes();
	struct btf *btf = btf__load_vmlinux_btf();
	int err;

	if (!btf) {
		err = -errno;
		return err ? err : -ENOENT;
	}
	for (unsigned int i = 0; i < ntf_probe_count; i++) {
		struct ntf_probe_state *st = &states[i];
		const struct ntf_probe_point *p = &ntf_probe_points[i];

		memset(st, 0, sizeof(*st));
		st->point = p;
		/* Absent (or inlined) functions: one reason says it all. */
		if (opts->ksyms && !ntf_ksyms_by_name(opts->ksyms, p->func)) {
			set_why(st, NTF_MECH_FENTRY, "%s",
				"not in this kernel (absent or inlined)");
			set_autoload(obj, p, 0);
			continue;
		}
		if (opts->no_fentry)
			set_why(st, NTF_MECH_FENTRY, "%s", "disabled by option");
		else if (try_fentry(st, btf))
			st->loadable |= 1u << NTF_MECH_FENTRY;
		if (opts->no_kprobe)
			set_why(st, NTF_MECH_KPROBE, "%s", "disabled by option");
		else if (try_kprobe(st, opts, have_kprobes))
			st->loadable |= 1u << NTF_MECH_KPROBE;
		/* The tracepoint carries less: only when neither probe can load. */
		if (!st->loadable && try_tracepoint(st, btf))
			st->loadable |= 1u << NTF_MECH_TRACEPOINT;
		set_autoload(obj, p, st->loadable);
	}
	btf__free(btf);
	return 0;
}

static const char *attach_error(int err)
{
	/* ENOTSUPP (524) is kernel-internal: strerror() has no text for it. */
	if (err == -524)
		return "not supported for this function (ENOTSUPP)";
	return strerror(-err);
}

/* Attaches one rung, exit first: an entry without its exit would only fill the in-flight map. */
static int attach_rung(struct bpf_object *obj, struct ntf_probe_state *st, unsigned int mech)
{
	const char *const *names = st->point->progs[mech];

	for (int j = 1; j >= 0; j--) {
		struct bpf_program *prog;
		int err;

		if (!names[j])
			continue;
		prog = bpf_object__find_program_by_name(obj, names[j]);
		st->links[j] = prog ? bpf_program__attach(prog) : NULL;
		if (st->links[j])
			continue;
		err = prog ? -errno : -ENOENT;
		snprintf(st->why[mech], NTF_REASON_LEN, "attach failed: %s", attach_error(err));
		bpf_link__destroy(st->links[1]);
		st->links[1] = NULL;
		return err;
	}
	return 0;
}

int ntf_ladder_attach(struct bpf_object *obj, struct ntf_probe_state *states)
{
	int live = 0;

	for (unsigned int i = 0; i < ntf_probe_count; i++) {
		struct ntf_probe_state *st = &states[i];

		for (unsigned int m = NTF_MECH_FENTRY; m < NTF_MECH_MAX; m++) {
			if (!(st->loadable & (1u << m)) || attach_rung(obj, st, m))
				continue;
			st->mech = m;
			st->attached = true;
			live++;
			break;
		}
	}
	return live;
}

void ntf_ladder_detach(struct ntf_probe_state *states)
{
	for (unsigned int i = 0; i < ntf_probe_count; i++) {
		for (int j = 0; j < 2; j++) {
			bpf_link__destroy(states[i].links[j]);
			states[i].links[j] = NULL;
		}
		states[i].attached = false;
	}
}
