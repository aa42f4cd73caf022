// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "aggregate.h"
#include "decode.h"
#include "histogram.h"
#include "ksyms.h"
#include "modules.h"
#include "notifier.skel.h"
#include "notifier_judge.skel.h"
#include "callback_attach.h"
#include "slot_places.h"
#include "tracer.h"

struct tracer {
	struct notifier_bpf *skel;
	struct notifier_bpf *fallback; /* the fallback rungs of points whose first did not attach */
	struct tracer_opts opts;
	struct ntf_callbacks *subs;
	struct ntf_probe_state probes[NTF_PROBE_MAX];
	struct ntf_ksyms *ksyms; /* the ladder's, then the callbacks' first scan's */
	char *modules; /* /proc/modules, read just before ksyms */
	struct ntf_watch *watch; /* the watch map, mapped */
	__u64 registrations; /* watch->registrations at the last rescan */
};

static bool verbose_libbpf;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	(void)level;
	/*
	 * Errors are reported once, with context, by the caller; libbpf's own
	 * lines (warnings included) are only for -v.
	 */
	if (!verbose_libbpf)
		return 0;
	return vfprintf(stderr, fmt, args);
}

/*
 * The tracer's skeleton over the object of the programs wanted: those
 * calling the policy kfunc share every map, program and global with the
 * plain ones, so one skeleton serves both.
 */
static struct notifier_bpf *open_object(bool policy_judge)
{
	struct notifier_bpf *obj = calloc(1, sizeof(*obj));
	int err;

	if (!obj) {
		errno = ENOMEM;
		return NULL;
	}
	err = notifier_bpf__create_skeleton(obj);
	if (!err && policy_judge)
		obj->skeleton->data = notifier_judge_bpf__elf_bytes(&obj->skeleton->data_sz);
	if (!err)
		err = bpf_object__open_skeleton(obj->skeleton, NULL);
	if (err) {
		notifier_bpf__destroy(obj);
		errno = -err;
		return NULL;
	}
	return obj;
}

int tracer__new(const struct tracer_opts *opts, struct tracer **out)
{
	struct ntf_ladder_opts lopts = {
		.no_fentry = opts->no_fentry,
		.no_kprobe = opts->no_kprobe,
		.classes = opts->classes,
	};
	struct tracer *t;
	int err;

	verbose_libbpf = opts->verbose;
	libbpf_set_print(libbpf_print);

	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->opts = *opts;
	t->modules = ntf_modules_read(NULL);
	t->ksyms = ntf_ksyms_load(NULL);
	lopts.ksyms = t->ksyms;

	t->skel = open_object(opts->policy_judge);
	if (!t->skel) {
		err = -errno;
		goto fail;
	}
	t->opts.cfg.probed_classes = opts->classes;
	/* callback objects get this cfg too: their kprobes keep slots alike */
	t->opts.cfg.kprobe_task_slots = ntf_kprobes_have_task_storage();
	/* Every object classifies origins by the same table as decode.c. */
	memcpy(t->opts.cfg.syscall_origins, ntf_syscall_origins(),
	       sizeof(t->opts.cfg.syscall_origins));
	t->skel->rodata->cfg = t->opts.cfg;
	if (opts->hist_entries) {
		bpf_map__set_max_entries(t->skel->maps.hists, opts->hist_entries);
		/* latencies of a key cluster: a few dozen buckets each is plenty */
		bpf_map__set_max_entries(t->skel->maps.buckets, opts->hist_entries * 32);
	}
	if (opts->ringbuf_bytes)
		bpf_map__set_max_entries(t->skel->maps.events, opts->ringbuf_bytes);
	/* the map must exist for the programs to load; without stacks it holds nothing */
	bpf_map__set_max_entries(t->skel->maps.stacks, opts->cfg.stacks ? NTF_STACK_ENTRIES : 1);
	/* kprobes with task storage read it: no copies for them, and no room kept */
	if (t->opts.cfg.kprobe_task_slots)
		bpf_map__set_max_entries(t->skel->maps.mirror, 1);

	err = ntf_ladder_choose(t->skel->obj, t->probes, &lopts);
	if (err)
		goto fail;
	err = notifier_bpf__load(t->skel);
	if (err)
		goto fail;
	t->watch = mmap(NULL, sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE, MAP_SHARED,
			bpf_map__fd(t->skel->maps.watch), 0);
	if (t->watch == MAP_FAILED) {
		err = -errno;
		t->watch = NULL;
		goto fail;
	}
	*out = t;
	return 0;
fail:
	tracer__free(t);
	return err;
}

/*
 * The same object again, its maps the first's, with only the fallback
 * programs the ladder asks for: fentry that loaded but would not attach
 * then costs a few programs' verification, not the whole object's again.
 */
static int load_fallback(struct tracer *t)
{
	struct bpf_map *map;
	int err;

	t->fallback = open_object(t->opts.policy_judge);
	if (!t->fallback)
		return -errno;
	t->fallback->rodata->cfg = t->opts.cfg;
	bpf_object__for_each_map (map, t->fallback->obj) {
		const struct bpf_map *mine =
			bpf_object__find_map_by_name(t->skel->obj, bpf_map__name(map));

		if (!mine)
			return -ENOENT;
		err = bpf_map__reuse_fd(map, bpf_map__fd(mine));
		if (err)
			return err;
	}
	ntf_ladder_load_fallback(t->fallback->obj, t->probes);
	return notifier_bpf__load(t->fallback);
}

/* The probe points' own rungs, then the fallbacks of those that did not attach. */
static int attach_points(struct tracer *t)
{
	int live = ntf_ladder_attach(t->skel->obj, t->probes), err;

	if (!ntf_ladder_wants_fallback(t->probes))
		return live;
	err = load_fallback(t);
	if (err) {
		for (unsigned int i = 0; i < ntf_probe_count; i++) {
			struct ntf_probe_state *st = &t->probes[i];

			for (unsigned int m = NTF_MECH_FENTRY; m < NTF_MECH_MAX; m++)
				if (!st->attached && (st->fallback & (1u << m)))
					ntf_rung_why(st->why[m], m, true, err, NULL);
		}
		notifier_bpf__destroy(t->fallback);
		t->fallback = NULL;
		return live;
	}
	return live + ntf_ladder_attach_fallback(t->fallback->obj, t->probes);
}

int tracer__attach(struct tracer *t)
{
	struct ntf_callbacks_opts so = {
		.no_fentry = t->opts.no_fentry,
		.no_kprobe = t->opts.no_kprobe,
		.cfg = t->opts.cfg,
		.inflight_fd = bpf_map__fd(t->skel->maps.inflight),
		.threads_fd = bpf_map__fd(t->skel->maps.threads),
		.slot_places_fd = bpf_map__fd(t->skel->maps.slot_places),
		.mirror_fd = bpf_map__fd(t->skel->maps.mirror),
		.hists_fd = bpf_map__fd(t->skel->maps.hists),
		.buckets_fd = bpf_map__fd(t->skel->maps.buckets),
		.comms_fd = bpf_map__fd(t->skel->maps.comms),
		.counters_fd = bpf_map__fd(t->skel->maps.counters),
		.events_fd = bpf_map__fd(t->skel->maps.events),
		.stacks_fd = bpf_map__fd(t->skel->maps.stacks),
		.stream_callbacks_fd = bpf_map__fd(t->skel->maps.stream_callbacks),
		.rule_gates_fd = bpf_map__fd(t->skel->maps.rule_gates),
		.gate_callbacks_fd = bpf_map__fd(t->skel->maps.gate_callbacks),
		.policy_drivers_fd = bpf_map__fd(t->skel->maps.policy_drivers),
		.policy_judge = t->opts.policy_judge,
		.gate_state_fd = bpf_map__fd(t->skel->maps.gate_state),
		.gate_cgroups_fd = bpf_map__fd(t->skel->maps.gate_cgroups),
		.pending_fd = bpf_map__fd(t->skel->maps.pending),
		.unseen_fd = bpf_map__fd(t->skel->maps.unseen),
		.attached_fns_fd = bpf_map__fd(t->skel->maps.attached_fns),
		.watch_fd = bpf_map__fd(t->skel->maps.watch),
		.watch = t->watch,
		.left_out = !ntf_ladder_class_wanted(t->opts.classes, NTF_CLASS_CALLBACK),
	};
	int live = attach_points(t), err;
	__u32 hash_slots;
	bool mirror;

	ntf_slot_places_of_points(t->probes, t->opts.cfg.kprobe_task_slots, &hash_slots, &mirror);
	err = ntf_slot_places_add(so.slot_places_fd, hash_slots, mirror);
	if (err)
		return err;
	/*
	 * Subscriber callbacks are extra detail: their failures are reported,
	 * not fatal. Their first scan takes the ladder's kallsyms over.
	 */
	so.ksyms = t->ksyms;
	so.ksyms_modules = t->modules;
	err = ntf_callbacks_new(&so, &t->subs);
	if (!err) {
		t->ksyms = NULL;
		t->modules = NULL;
		ntf_callbacks_rescan(t->subs, false);
	}
	return live;
}

int tracer__rescan(struct tracer *t, bool tell)
{
	if (t->watch)
		t->registrations = __atomic_load_n(&t->watch->registrations, __ATOMIC_RELAXED);
	return t->subs ? ntf_callbacks_rescan(t->subs, tell) : 0;
}

void tracer__sweep(struct tracer *t)
{
	if (t->subs)
		ntf_callbacks_sweep(t->subs);
}

__u64 tracer__unseen(struct tracer *t)
{
	__u64 sum;

	if (!t->subs)
		return 0;
	ntf_callbacks_sweep(t->subs);
	sum = ntf_callbacks_unseen_unresolved(t->subs);
	for (unsigned int i = 0; i < ntf_callbacks_count(t->subs); i++) {
		const struct ntf_callback *s = ntf_callback_at(t->subs, i);

		sum += s->unseen + s->unseen_maybe;
	}
	return sum;
}

bool tracer__registered(const struct tracer *t)
{
	return t->watch &&
	       __atomic_load_n(&t->watch->registrations, __ATOMIC_RELAXED) != t->registrations;
}

__u64 tracer__watch_overflow(const struct tracer *t)
{
	return t->watch ? __atomic_load_n(&t->watch->overflow, __ATOMIC_RELAXED) : 0;
}

const struct ntf_callbacks *tracer__callbacks(const struct tracer *t)
{
	return t->subs;
}

void tracer__free(struct tracer *t)
{
	if (!t)
		return;
	ntf_callbacks_free(t->subs);
	ntf_ladder_detach(t->probes);
	if (t->watch)
		munmap(t->watch, sysconf(_SC_PAGESIZE));
	notifier_bpf__destroy(t->fallback);
	notifier_bpf__destroy(t->skel);
	ntf_ksyms_free(t->ksyms);
	free(t->modules);
	free(t);
}

const struct ntf_probe_state *tracer__probes(const struct tracer *t)
{
	return t->probes;
}

bool tracer__core_live(const struct tracer *t)
{
	for (unsigned int i = 0; i < ntf_probe_count; i++)
		if (t->probes[i].point->core && !t->probes[i].attached && !t->probes[i].left_out)
			return false;
	return true;
}

int tracer__events_fd(const struct tracer *t)
{
	return bpf_map__fd(t->skel->maps.events);
}

int tracer__hists_fd(const struct tracer *t)
{
	return bpf_map__fd(t->skel->maps.hists);
}

int tracer__comms_fd(const struct tracer *t)
{
	return bpf_map__fd(t->skel->maps.comms);
}

int tracer__counters_fd(const struct tracer *t)
{
	return bpf_map__fd(t->skel->maps.counters);
}

int tracer__stream_callback_keep(struct tracer *t, __u32 id, bool keep)
{
	__u8 v = keep;

	if (id >= NTF_STREAM_CALLBACK_SLOTS)
		return -ERANGE;
	return bpf_map_update_elem(bpf_map__fd(t->skel->maps.stream_callbacks), &id, &v, BPF_ANY) ?
		       -errno :
		       0;
}

int tracer__set_rule_gates(struct tracer *t, const struct ntf_rule_gates *g)
{
	struct ntf_gate_state fresh = {};
	__u32 zero = 0;

	/* new gates' signal limits start afresh */
	for (__u32 i = 0; i < NTF_RULE_GATES; i++)
		if (bpf_map_update_elem(bpf_map__fd(t->skel->maps.gate_state), &i, &fresh, BPF_ANY))
			return -errno;
	return bpf_map_update_elem(bpf_map__fd(t->skel->maps.rule_gates), &zero, g, BPF_ANY) ?
		       -errno :
		       0;
}

int tracer__set_gate_cgroup(struct tracer *t, __u32 gate, int cgroup_fd)
{
	int fd = bpf_map__fd(t->skel->maps.gate_cgroups), err;

	if (cgroup_fd >= 0)
		err = bpf_map_update_elem(fd, &gate, &cgroup_fd, BPF_ANY);
	else
		err = bpf_map_delete_elem(fd, &gate) && errno != ENOENT;
	return err ? -errno : 0;
}

int tracer__set_gate_callbacks(struct tracer *t, __u32 id, __u32 gates)
{
	if (id >= NTF_STREAM_CALLBACK_SLOTS)
		return -ERANGE;
	return bpf_map_update_elem(bpf_map__fd(t->skel->maps.gate_callbacks), &id, &gates,
				   BPF_ANY) ?
		       -errno :
		       0;
}

bool tracer__policy_judge(const struct tracer *t)
{
	return t->opts.policy_judge;
}

int tracer__stacks_fd(const struct tracer *t)
{
	return bpf_map__fd(t->skel->maps.stacks);
}

unsigned int tracer__loads(const struct tracer *t)
{
	return t->subs ? ntf_callbacks_loads(t->subs) : 0;
}

int ntf_read_counters(int counters_fd, __u64 out[NTF_CNT_MAX])
{
	int ncpus = libbpf_num_possible_cpus();
	__u64 *vals;

	if (ncpus < 0)
		return ncpus;
	vals = calloc(ncpus, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (__u32 i = 0; i < NTF_CNT_MAX; i++) {
		out[i] = 0;
		if (bpf_map_lookup_elem(counters_fd, &i, vals)) {
			int err = -errno;

			free(vals);
			return err;
		}
		for (int c = 0; c < ncpus; c++)
			out[i] += vals[c];
	}
	free(vals);
	return 0;
}

/*
 * The in-kernel keys carry only a tgid: its name is the one BPF kept when
 * the key was made (comms_fd), else what /proc says while it lives.
 */
static const char *process_comm(int comms_fd, __u32 tgid, char *buf, size_t len)
{
	char path[32];
	FILE *f;

	if (!tgid)
		return NULL;
	if (comms_fd >= 0 && len >= NTF_COMM_LEN && !bpf_map_lookup_elem(comms_fd, &tgid, buf)) {
		buf[NTF_COMM_LEN - 1] = '\0';
		return buf;
	}
	snprintf(path, sizeof(path), "/proc/%u/comm", tgid);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	if (!fgets(buf, len, f)) {
		fclose(f);
		return NULL;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

int tracer__buckets_fd(const struct tracer *t)
{
	return bpf_map__fd(t->skel->maps.buckets);
}

/*
 * Walks a per-CPU hash map: fn gets each key and its values, one a
 * possible CPU. Only a key deleted since it was listed may be missing.
 */
static int walk_percpu(int fd, size_t key_size, size_t value_size,
		       int (*fn)(const void *key, const void *values, int ncpus, void *ctx),
		       void *ctx)
{
	int ncpus = libbpf_num_possible_cpus(), err = 0;
	__u8 key[64], next[64];
	void *prev = NULL, *values;

	if (ncpus < 0)
		return ncpus;
	if (key_size > sizeof(key))
		return -EINVAL;
	values = calloc(ncpus, value_size);
	if (!values)
		return -ENOMEM;
	while (!bpf_map_get_next_key(fd, prev, next)) {
		if (!bpf_map_lookup_elem(fd, next, values)) {
			err = fn(next, values, ncpus, ctx);
			if (err)
				break;
		} else if (errno != ENOENT) {
			err = -errno;
			break;
		}
		memcpy(key, next, key_size);
		prev = key;
	}
	if (!err && errno != ENOENT)
		err = -errno;
	free(values);
	return err;
}

struct bucket_walk {
	ntf_bucket_visit_fn fn;
	void *ctx;
};

static int sum_buckets(const void *key, const void *values, int ncpus, void *ctx)
{
	const struct ntf_bucket_key *k = key;
	const struct bucket_walk *w = ctx;
	const __u64 *n = values;
	__u64 sum = 0;

	for (int c = 0; c < ncpus; c++)
		sum += n[c];
	return w->fn(w->ctx, &k->key, k->bucket, sum);
}

int ntf_walk_buckets(int buckets_fd, ntf_bucket_visit_fn fn, void *ctx)
{
	struct bucket_walk w = { .fn = fn, .ctx = ctx };

	return walk_percpu(buckets_fd, sizeof(struct ntf_bucket_key), sizeof(__u64), sum_buckets,
			   &w);
}

struct hist_walk {
	ntf_hist_visit_fn fn;
	void *ctx;
	int comms_fd;
};

static int sum_hist(const void *key, const void *values, int ncpus, void *ctx)
{
	const struct ntf_hist_key *k = key;
	const struct ntf_hist *h = values;
	const struct hist_walk *w = ctx;
	char comm[NTF_COMM_LEN];
	struct ntf_hist sum = {};

	for (int c = 0; c < ncpus; c++)
		ntf_hist_merge(&sum, &h[c]);
	return w->fn(w->ctx, k, &sum, process_comm(w->comms_fd, k->tgid, comm, sizeof(comm)));
}

int ntf_walk_hists(int hists_fd, int comms_fd, ntf_hist_visit_fn fn, void *ctx)
{
	struct hist_walk w = { .fn = fn, .ctx = ctx, .comms_fd = comms_fd };

	return walk_percpu(hists_fd, sizeof(struct ntf_hist_key), sizeof(struct ntf_hist), sum_hist,
			   &w);
}

static int agg_bucket(void *agg, const struct ntf_hist_key *key, __u32 bucket, __u64 n)
{
	return ntf_agg_add_bucket(agg, key, bucket, n);
}

int ntf_read_buckets(int buckets_fd, struct ntf_agg *agg)
{
	return ntf_walk_buckets(buckets_fd, agg_bucket, agg);
}

static int agg_hist(void *agg, const struct ntf_hist_key *key, const struct ntf_hist *h,
		    const char *comm)
{
	return ntf_agg_add_hist(agg, key, h, comm);
}

int ntf_read_hists(int hists_fd, int comms_fd, struct ntf_agg *agg)
{
	return ntf_walk_hists(hists_fd, comms_fd, agg_hist, agg);
}
