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
#include "ladder.h"
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

static bool try_fentry(struct ntf_probe_state *st, const struct btf *btf)
{
	int err = tracing_prog_loads(btf, st->point->func, BTF_KIND_FUNC, BPF_TRACE_FENTRY);

	if (err)
		ntf_rung_why(st->why[NTF_MECH_FENTRY], NTF_MECH_FENTRY, true, err, NULL);
	return !err;
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
			ntf_rung_why(st->why[NTF_MECH_TRACEPOINT], NTF_MECH_TRACEPOINT, true, err,
				     NULL);
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
			snprintf(st->why[NTF_MECH_FENTRY], NTF_REASON_LEN,
				 "not in this kernel (absent or inlined)");
			set_autoload(obj, p, 0);
			continue;
		}
		if (!ntf_ladder_class_wanted(opts->classes, p->class)) {
			st->left_out = true;
			snprintf(st->why[NTF_MECH_FENTRY], NTF_REASON_LEN,
				 "left out: its events were not asked for (-e)");
			set_autoload(obj, p, 0);
			continue;
		}
		if (ntf_rung_allowed(NTF_MECH_FENTRY, p->func, opts, st->why[NTF_MECH_FENTRY]) &&
		    try_fentry(st, btf))
			st->loadable |= 1u << NTF_MECH_FENTRY;
		if (ntf_rung_allowed(NTF_MECH_KPROBE, p->func, opts, st->why[NTF_MECH_KPROBE])) {
			if (st->loadable)
				st->fallback |= 1u << NTF_MECH_KPROBE;
			else
				st->loadable |= 1u << NTF_MECH_KPROBE;
		}
		/* The tracepoint carries less: only when neither probe can load. */
		if (!st->loadable && try_tracepoint(st, btf))
			st->loadable |= 1u << NTF_MECH_TRACEPOINT;
		set_autoload(obj, p, st->loadable);
	}
	btf__free(btf);
	return 0;
}

static struct bpf_program *prog_of(struct bpf_object *obj, const char *name)
{
	return name ? bpf_object__find_program_by_name(obj, name) : NULL;
}

/* The first rung of mask that attaches for st: whether one did. */
static bool attach_first(struct bpf_object *obj, struct ntf_probe_state *st, unsigned int mask)
{
	for (unsigned int m = NTF_MECH_FENTRY; m < NTF_MECH_MAX; m++) {
		const char *const *names = st->point->progs[m];

		if (!(mask & (1u << m)) ||
		    ntf_rung_attach(prog_of(obj, names[0]), prog_of(obj, names[1]), m,
				    st->point->func, NULL, st->links, st->why[m]))
			continue;
		st->mech = m;
		st->attached = true;
		return true;
	}
	return false;
}

int ntf_ladder_attach(struct bpf_object *obj, struct ntf_probe_state *states)
{
	int live = 0;

	for (unsigned int i = 0; i < ntf_probe_count; i++)
		live += attach_first(obj, &states[i], states[i].loadable);
	return live;
}

bool ntf_ladder_wants_fallback(const struct ntf_probe_state *states)
{
	for (unsigned int i = 0; i < ntf_probe_count; i++)
		if (!states[i].attached && states[i].fallback)
			return true;
	return false;
}

void ntf_ladder_load_fallback(struct bpf_object *obj, const struct ntf_probe_state *states)
{
	struct bpf_program *prog;

	bpf_object__for_each_program (prog, obj)
		bpf_program__set_autoload(prog, false);
	for (unsigned int i = 0; i < ntf_probe_count; i++)
		if (!states[i].attached && states[i].fallback)
			set_autoload(obj, states[i].point, states[i].fallback);
}

int ntf_ladder_attach_fallback(struct bpf_object *obj, struct ntf_probe_state *states)
{
	int live = 0;

	for (unsigned int i = 0; i < ntf_probe_count; i++) {
		struct ntf_probe_state *st = &states[i];

		if (st->attached || !st->fallback || !attach_first(obj, st, st->fallback))
			continue;
		st->loadable |= 1u << st->mech;
		live++;
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
