// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "callback_set.h"
#include "callback_watch.h"
#include "clock.h"
#include "discover.h"
#include "ksyms.h"
#include "ladder.h"
#include "log.h"
#include "modules.h"
#include "names.h"
#include "callback.skel.h"
#include "callback_judge.skel.h"
#include "callback_attach.h"
#include "slot_places.h"

#define MAX_SUBS NTF_CALLBACK_SET_MAX

/* One loaded callback object and the callbacks its slots serve. */
struct sub_obj {
	struct callback_bpf *skel;
	unsigned int nslots;
	unsigned int sub_index[NTF_SUB_SLOTS];
	struct bpf_link *links[NTF_SUB_SLOTS][2];
	struct sub_obj *next;
};

struct ntf_callbacks {
	struct ntf_callbacks_opts opts;
	struct ntf_callback_set set;
	struct sub_obj *objs;
	struct ntf_discovery *disc;
	/*
	 * kallsyms as of the last modules change: a registration's rescan
	 * resolves its callback without reading it again (a second, and more,
	 * under emulation).
	 */
	struct ntf_ksyms *ks;
	/* opts' ksyms and ksyms_modules, until the first scan takes them */
	struct ntf_ksyms *first_ks;
	char *first_modules;
	unsigned int loads; /* objects loaded, ever */
};

/* Drops the links of a callback whose module left; its slot stays unused. */
static void detach_sub(void *ctx, unsigned int index)
{
	struct ntf_callbacks *subs = ctx;

	for (struct sub_obj *o = subs->objs; o; o = o->next) {
		for (unsigned int slot = 0; slot < o->nslots; slot++) {
			if (o->sub_index[slot] != index)
				continue;
			for (int j = 0; j < 2; j++) {
				bpf_link__destroy(o->links[slot][j]);
				o->links[slot][j] = NULL;
			}
		}
	}
	ntf_watch_detached(&subs->opts, &subs->set.subs[index]);
	subs->set.subs[index].attached = false;
}

int ntf_callbacks_new(const struct ntf_callbacks_opts *opts, struct ntf_callbacks **out)
{
	struct ntf_callbacks *subs = calloc(1, sizeof(*subs));

	if (!subs)
		return -ENOMEM;
	subs->opts = *opts;
	if (opts->ksyms && opts->ksyms_modules) {
		subs->first_ks = opts->ksyms;
		subs->first_modules = opts->ksyms_modules;
	} else {
		ntf_ksyms_free(opts->ksyms);
		free(opts->ksyms_modules);
	}
	subs->opts.ksyms = NULL;
	subs->opts.ksyms_modules = NULL;
	ntf_callback_set_init(&subs->set);
	subs->set.kallsyms_path = opts->kallsyms_path;
	subs->set.detach = detach_sub;
	subs->set.ctx = subs;
	if (opts->no_discovery)
		snprintf(subs->set.disc_why, sizeof(subs->set.disc_why), "disabled by option");
	else
		ntf_discovery_new(&subs->disc, subs->set.disc_why, sizeof(subs->set.disc_why));
	*out = subs;
	return 0;
}

static void free_obj(struct sub_obj *o)
{
	for (unsigned int i = 0; i < o->nslots; i++)
		for (int j = 0; j < 2; j++)
			bpf_link__destroy(o->links[i][j]);
	callback_bpf__destroy(o->skel);
	free(o);
}

void ntf_callbacks_free(struct ntf_callbacks *subs)
{
	if (!subs)
		return;
	while (subs->objs) {
		struct sub_obj *next = subs->objs->next;

		free_obj(subs->objs);
		subs->objs = next;
	}
	ntf_discovery_free(subs->disc);
	ntf_ksyms_free(subs->ks);
	ntf_ksyms_free(subs->first_ks);
	free(subs->first_modules);
	ntf_callback_set_release(&subs->set);
	free(subs);
}

static struct bpf_program *slot_prog(struct callback_bpf *skel, unsigned int slot,
				     const char *suffix)
{
	char name[32];

	snprintf(name, sizeof(name), "cb%u_%s", slot, suffix);
	return bpf_object__find_program_by_name(skel->obj, name);
}

static const char *const suffixes[NTF_MECH_MAX][2] = {
	[NTF_MECH_FENTRY] = { "fentry", "fexit" },
	[NTF_MECH_KPROBE] = { "kprobe", "kretprobe" },
	[NTF_MECH_TRACEPOINT] = { "fentry", "fexit" }, /* unused: kvm_unmap_tp instead */
};

/* As the tracer's: the object that calls the policy kfunc under the same skeleton. */
static struct callback_bpf *open_object(bool policy_judge)
{
	struct callback_bpf *obj = calloc(1, sizeof(*obj));
	int err;

	if (!obj) {
		errno = ENOMEM;
		return NULL;
	}
	err = callback_bpf__create_skeleton(obj);
	if (!err && policy_judge)
		obj->skeleton->data = callback_judge_bpf__elf_bytes(&obj->skeleton->data_sz);
	if (!err)
		err = bpf_object__open_skeleton(obj->skeleton, NULL);
	if (err) {
		callback_bpf__destroy(obj);
		errno = -err;
		return NULL;
	}
	return obj;
}

/*
 * The callbacks' driver names, for the policies the kernel runs: before
 * their probes attach, so that no event of theirs is judged nameless.
 */
static void name_drivers(const struct ntf_callbacks_opts *o, const struct ntf_callbacks *subs,
			 const unsigned int *idx, unsigned int n)
{
	for (unsigned int slot = 0; slot < n; slot++) {
		__u32 id = subs->set.subs[idx[slot]].id;
		char name[NTF_COMM_LEN] = "";

		if (id >= NTF_STREAM_CALLBACK_SLOTS)
			continue;
		snprintf(name, sizeof(name), "%s", ntf_driver_name(id));
		if (bpf_map_update_elem(o->policy_drivers_fd, &id, name, BPF_ANY))
			ntf_warn("cannot give the kernel callback %u's driver name: %s", id,
				 strerror(errno));
	}
}

/* Opens, configures and loads one object for subs[idx[0..n)] on one rung. */
static int load_obj(struct ntf_callbacks *subs, const unsigned int *idx, unsigned int n,
		    unsigned int mech, struct sub_obj **out)
{
	const struct ntf_callbacks_opts *o = &subs->opts;
	struct sub_obj *obj = calloc(1, sizeof(*obj));
	int err;

	if (!obj)
		return -ENOMEM;
	obj->skel = open_object(o->policy_judge);
	if (!obj->skel) {
		err = -errno;
		free(obj);
		return err;
	}
	obj->skel->rodata->cfg = o->cfg;
	bpf_map__reuse_fd(obj->skel->maps.inflight, o->inflight_fd);
	bpf_map__reuse_fd(obj->skel->maps.threads, o->threads_fd);
	bpf_map__reuse_fd(obj->skel->maps.slot_places, o->slot_places_fd);
	bpf_map__reuse_fd(obj->skel->maps.mirror, o->mirror_fd);
	bpf_map__reuse_fd(obj->skel->maps.hists, o->hists_fd);
	bpf_map__reuse_fd(obj->skel->maps.buckets, o->buckets_fd);
	bpf_map__reuse_fd(obj->skel->maps.comms, o->comms_fd);
	bpf_map__reuse_fd(obj->skel->maps.counters, o->counters_fd);
	bpf_map__reuse_fd(obj->skel->maps.events, o->events_fd);
	bpf_map__reuse_fd(obj->skel->maps.stacks, o->stacks_fd);
	bpf_map__reuse_fd(obj->skel->maps.stream_callbacks, o->stream_callbacks_fd);
	bpf_map__reuse_fd(obj->skel->maps.rule_gates, o->rule_gates_fd);
	bpf_map__reuse_fd(obj->skel->maps.gate_callbacks, o->gate_callbacks_fd);
	bpf_map__reuse_fd(obj->skel->maps.gate_state, o->gate_state_fd);
	bpf_map__reuse_fd(obj->skel->maps.gate_cgroups, o->gate_cgroups_fd);
	bpf_map__reuse_fd(obj->skel->maps.policy_drivers, o->policy_drivers_fd);
	bpf_map__reuse_fd(obj->skel->maps.pending, o->pending_fd);
	bpf_map__reuse_fd(obj->skel->maps.unseen, o->unseen_fd);
	bpf_map__reuse_fd(obj->skel->maps.attached_fns, o->attached_fns_fd);
	bpf_map__reuse_fd(obj->skel->maps.watch, o->watch_fd);
	bpf_program__set_autoload(obj->skel->progs.kvm_unmap_tp, mech == NTF_MECH_TRACEPOINT);
	if (mech == NTF_MECH_TRACEPOINT)
		obj->skel->rodata->kvm_tp_callback = subs->set.subs[idx[0]].id;
	for (unsigned int slot = 0; slot < NTF_SUB_SLOTS; slot++) {
		for (unsigned int m = NTF_MECH_FENTRY; m <= NTF_MECH_KPROBE; m++)
			for (int j = 0; j < 2; j++)
				bpf_program__set_autoload(
					slot_prog(obj->skel, slot, suffixes[m][j]),
					slot < n && m == mech);
		if (slot >= n)
			continue;
		obj->sub_index[slot] = idx[slot];
		if (mech == NTF_MECH_TRACEPOINT)
			continue;
		obj->skel->rodata->slot_callback[slot] = subs->set.subs[idx[slot]].id;
		obj->skel->rodata->slot_kind[slot] = subs->set.subs[idx[slot]].def->kind;
		obj->skel->rodata->slot_fn[slot] = subs->set.subs[idx[slot]].addr;
		if (mech == NTF_MECH_FENTRY)
			for (int j = 0; j < 2; j++)
				bpf_program__set_attach_target(
					slot_prog(obj->skel, slot, suffixes[mech][j]), 0,
					subs->set.subs[idx[slot]].def->func);
	}
	obj->nslots = n;
	if (o->policy_judge)
		name_drivers(o, subs, idx, n);
	err = callback_bpf__load(obj->skel);
	if (err) {
		callback_bpf__destroy(obj->skel);
		free(obj);
		return err;
	}
	subs->loads++;
	*out = obj;
	return 0;
}

/* Attaches each slot, exit first; failures are per callback. */
static void attach_obj(struct ntf_callbacks *subs, struct sub_obj *obj, unsigned int mech)
{
	/*
	 * Before the first call: a kprobe's entry keeps its slot in the hash,
	 * where the pins and fence waits inside the callback must look.
	 */
	if (mech == NTF_MECH_KPROBE && !subs->opts.cfg.kprobe_task_slots) {
		int err = ntf_slot_places_add(subs->opts.slot_places_fd, 1u << NTF_CLASS_CALLBACK,
					      false);

		if (err)
			fprintf(stderr, "notifier: cannot mark kprobe callbacks' slots: %s\n",
				strerror(-err));
	}
	for (unsigned int slot = 0; slot < obj->nslots; slot++) {
		struct ntf_callback *s = &subs->set.subs[obj->sub_index[slot]];
		struct bpf_program *entry = slot_prog(obj->skel, slot, suffixes[mech][0]);
		struct bpf_program *exit = slot_prog(obj->skel, slot, suffixes[mech][1]);

		if (mech == NTF_MECH_TRACEPOINT) {
			entry = obj->skel->progs.kvm_unmap_tp; /* one program, no exit */
			exit = NULL;
		}
		if (ntf_rung_attach(entry, exit, mech, s->def->func, s->module, obj->links[slot],
				    s->why[mech]))
			continue;
		s->attached = true;
		s->mech = mech;
		s->why[mech][0] = '\0';
		ntf_watch_attached(&subs->opts, s);
	}
}

/* Climbs one rung for the pending callbacks; leaves the failures pending. */
static void attach_rung(struct ntf_callbacks *subs, unsigned int *pending, unsigned int *npending,
			unsigned int mech)
{
	unsigned int left = 0;

	for (unsigned int start = 0; start < *npending; start += NTF_SUB_SLOTS) {
		unsigned int n = *npending - start;
		struct sub_obj *obj;
		int err;

		if (n > NTF_SUB_SLOTS)
			n = NTF_SUB_SLOTS;
		err = load_obj(subs, pending + start, n, mech, &obj);
		if (err && n > 1) {
			/* One bad target fails the whole object: find which, one by one. */
			for (unsigned int i = 0; i < n; i++) {
				if (load_obj(subs, pending + start + i, 1, mech, &obj)) {
					struct ntf_callback *s =
						&subs->set.subs[pending[start + i]];

					ntf_rung_why(s->why[mech], mech, true, err, s->module);
					continue;
				}
				attach_obj(subs, obj, mech);
				obj->next = subs->objs;
				subs->objs = obj;
			}
		} else if (err) {
			struct ntf_callback *s = &subs->set.subs[pending[start]];

			ntf_rung_why(s->why[mech], mech, true, err, s->module);
		} else {
			attach_obj(subs, obj, mech);
			obj->next = subs->objs;
			subs->objs = obj;
		}
	}
	for (unsigned int i = 0; i < *npending; i++)
		if (!subs->set.subs[pending[i]].attached)
			pending[left++] = pending[i];
	*npending = left;
}

/* The attach ladder for the pending callbacks, rung by rung. */
static void attach_pending(struct ntf_callbacks *subs, unsigned int *pending, unsigned int npending)
{
	const struct ntf_ladder_opts lopts = { .no_fentry = subs->opts.no_fentry,
					       .no_kprobe = subs->opts.no_kprobe };

	for (unsigned int mech = NTF_MECH_FENTRY; mech <= NTF_MECH_KPROBE; mech++) {
		unsigned int ntry = 0, nleft = 0, left[MAX_SUBS];

		/* those the rung allows are tried; the others keep why and wait for the next */
		for (unsigned int i = 0; i < npending; i++) {
			struct ntf_callback *s = &subs->set.subs[pending[i]];

			if (ntf_rung_allowed(mech, s->def->func, &lopts, s->why[mech]))
				pending[ntry++] = pending[i];
			else
				left[nleft++] = pending[i];
		}
		attach_rung(subs, pending, &ntry, mech);
		memcpy(pending + ntry, left, nleft * sizeof(left[0]));
		npending = ntry + nleft;
	}
	/* The tracepoint rung, one callback at a time: few have one. */
	for (unsigned int i = 0; i < npending; i++) {
		unsigned int one = pending[i], n = 1;

		if (!subs->set.subs[one].def->tp)
			continue;
		attach_rung(subs, &one, &n, NTF_MECH_TRACEPOINT);
	}
}

/* One discovery pass: what the iterator finds, resolved into the set. */
static void discover(struct ntf_callbacks *subs, struct ntf_ksyms **ks, unsigned int *pending,
		     unsigned int *npending)
{
	static struct ntf_found_callback found[NTF_DISCOVER_MAX];
	__u64 dropped = 0;
	int n;

	if (!subs->disc)
		return;
	n = ntf_discovery_run(subs->disc, found, NTF_DISCOVER_MAX, &dropped);
	if (n < 0) {
		snprintf(subs->set.disc_why, sizeof(subs->set.disc_why), "the iterator failed: %s",
			 strerror(-n));
		return;
	}
	ntf_callback_set_found(&subs->set, ks, found, n, pending, npending);
	if (dropped)
		snprintf(subs->set.disc_why, sizeof(subs->set.disc_why),
			 "%llu callbacks did not fit the discovery map",
			 (unsigned long long)dropped);
}

int ntf_callbacks_rescan(struct ntf_callbacks *subs, bool tell)
{
	unsigned int pending[MAX_SUBS], npending = 0, live = 0;
	/* the first scan's: older than /proc/modules now, so a module since counts as new next time */
	char *modules = subs->first_modules ? subs->first_modules :
					      ntf_modules_read(subs->opts.modules_path);
	struct ntf_ksyms *first_ks = subs->first_ks;
	__u64 t0 = ntf_now_ns(), t1, t2;

	subs->first_modules = NULL;
	subs->first_ks = NULL;
	if (!modules) {
		ntf_ksyms_free(first_ks);
		return -ENOMEM;
	}
	if (ntf_callback_set_modules_changed(&subs->set, modules)) {
		/* read first: after a failed read the modules still count as new */
		struct ntf_ksyms *ks =
			first_ks ? first_ks : ntf_ksyms_load(subs->opts.kallsyms_path);

		if (!ks) {
			int err = errno ? -errno : -ENOENT;

			free(modules);
			return err;
		}
		ntf_ksyms_free(subs->ks);
		subs->ks = ks;
		ntf_callback_set_scan(&subs->set, ks, modules, tell, pending, &npending);
	} else {
		free(modules);
		ntf_ksyms_free(first_ks);
	}
	if (subs->opts.left_out) {
		/* nothing to attach, so no process is walked for drivers either */
		for (unsigned int i = 0; i < npending; i++)
			snprintf(subs->set.subs[pending[i]].why[NTF_MECH_FENTRY], NTF_REASON_LEN,
				 "left out: callback events were not asked for (-e)");
		ntf_callback_set_announce(&subs->set, tell);
		return 0;
	}
	discover(subs, &subs->ks, pending, &npending);
	t1 = ntf_now_ns();
	attach_pending(subs, pending, npending);
	t2 = ntf_now_ns();
	ntf_watch_sweep(&subs->opts, &subs->set);
	/* where an attach's delay goes: symbols and discovery, or loading BPF */
	if (npending)
		ntf_debug("rescan: %u to attach; scan and discovery %.3f s, attach %.3f s",
			  npending, (t1 - t0) / 1e9, (t2 - t1) / 1e9);
	ntf_callback_set_announce(&subs->set, tell);
	for (unsigned int i = 0; i < subs->set.nsubs; i++)
		live += subs->set.subs[i].attached;
	return live;
}

void ntf_callbacks_sweep(struct ntf_callbacks *subs)
{
	ntf_watch_sweep(&subs->opts, &subs->set);
}

__u64 ntf_callbacks_unseen_unresolved(const struct ntf_callbacks *subs)
{
	return subs->set.unseen_unresolved;
}

unsigned int ntf_callbacks_loads(const struct ntf_callbacks *subs)
{
	return subs->loads;
}

unsigned int ntf_callbacks_count(const struct ntf_callbacks *subs)
{
	return subs->set.nsubs;
}

const struct ntf_callback *ntf_callback_at(const struct ntf_callbacks *subs, unsigned int i)
{
	return i < subs->set.nsubs ? &subs->set.subs[i] : NULL;
}

const char *ntf_callbacks_discovery_why(const struct ntf_callbacks *subs)
{
	return subs->set.disc_why;
}

bool ntf_callbacks_discovery_loaded(const struct ntf_callbacks *subs)
{
	return subs->disc != NULL;
}

bool ntf_callbacks_discovery_live(const struct ntf_callbacks *subs)
{
	return subs->disc && !subs->set.disc_why[0];
}
