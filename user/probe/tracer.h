/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The live tracer: opens the BPF object, configures it, climbs the attach
 * ladder, and gives access to the ring buffer, the in-kernel histograms
 * and the drop counters.
 */
#ifndef NTF_TRACER_H
#define NTF_TRACER_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>
#include "notifier.h"
#include "probes.h"

struct tracer_opts {
	struct ntf_config cfg; /* what every BPF object is told before load */
	__u32 hist_entries;
	__u32 ringbuf_bytes;
	bool no_fentry;
	bool no_kprobe;
	/*
	 * 1 << class of the events wanted (0: all): the other classes' probe
	 * points are not loaded and, without NTF_CLASS_CALLBACK, no driver
	 * callback is attached (ntf_ladder_opts.classes).
	 */
	unsigned int classes;
	bool verbose;
	/*
	 * Programs that call the companion module's kfunc, so an attached
	 * struct_ops policy judges each streamed event (ntf_event.policy).
	 * Only where the module's type is registered: they do not load
	 * elsewhere.
	 */
	bool policy_judge;
};

struct tracer;

int tracer__new(const struct tracer_opts *opts, struct tracer **out);
/* Returns the number of live probe points (>= 0) or a negative errno. */
int tracer__attach(struct tracer *t);
void tracer__free(struct tracer *t);
/* Attaches callback callbacks of modules that appeared; with tell, logs what changed. */
int tracer__rescan(struct tracer *t, bool tell);
/*
 * Whether a driver registered a notifier since the last rescan (the
 * register probes saw it): rescan now, so its callback's probe attaches
 * within a poll of the loop, not at the next periodic scan.
 */
bool tracer__registered(const struct tracer *t);
/* Reads what the registration watch counted (rescans do it too). */
void tracer__sweep(struct tracer *t);
/* Driver calls the chain made unseen, over every callback (reads them first). */
__u64 tracer__unseen(struct tracer *t);
/* Registrations the watch could not keep (its maps full): their first calls went uncounted. */
__u64 tracer__watch_overflow(const struct tracer *t);
struct ntf_callbacks;
const struct ntf_callbacks *tracer__callbacks(const struct tracer *t);

const struct ntf_probe_state *tracer__probes(const struct tracer *t);
bool tracer__core_live(const struct tracer *t);
int tracer__events_fd(const struct tracer *t);
int tracer__hists_fd(const struct tracer *t);
int tracer__counters_fd(const struct tracer *t);
int tracer__comms_fd(const struct tracer *t);
/* The kernel stacks events name by stack_id (NTF_STACK_DEPTH frames each). */
int tracer__stacks_fd(const struct tracer *t);
/*
 * With cfg.stream_by_callback: whether events of callback id (0: the
 * chain as a whole) are streamed. 0, -ERANGE past the map, or -errno.
 */
int tracer__stream_callback_keep(struct tracer *t, __u32 id, bool keep);
/*
 * With cfg.rules_in_kernel: the gates rules are judged by in the kernel
 * (struct ntf_rule_gates, written whole, their signal limits started
 * afresh; an event judged meanwhile may see part of each), and
 * by callback id those whose driver or callback condition it meets (bit
 * 1 << gate). 0, -ERANGE past the map, or -errno.
 */
int tracer__set_rule_gates(struct tracer *t, const struct ntf_rule_gates *g);
int tracer__set_gate_callbacks(struct tracer *t, __u32 id, __u32 gates);
/* Whether the programs call the policy kfunc (tracer_opts.policy_judge). */
bool tracer__policy_judge(const struct tracer *t);
/*
 * Gate gate's cgroup (its by_cgroup): an fd of a cgroup v2 directory, or
 * -1 for none. The map holds the cgroup itself; cgroup_fd may be closed.
 */
int tracer__set_gate_cgroup(struct tracer *t, __u32 gate, int cgroup_fd);
/*
 * BPF objects loaded for driver callbacks so far: when it changes, their
 * programs are new to kallsyms (a stack's symbols are read again).
 */
unsigned int tracer__loads(const struct tracer *t);

/* Sums the per-CPU counters of a counters map fd. */
int ntf_read_counters(int counters_fd, __u64 out[NTF_CNT_MAX]);

struct ntf_agg;
/*
 * Adds every entry of a hists map fd into agg, each process named from
 * the comms map (comms_fd; -1: from /proc only).
 */
int ntf_read_hists(int hists_fd, int comms_fd, struct ntf_agg *agg);
/*
 * The same maps' keys one by one, summed over CPUs (comm: the process's
 * name when keys carry a tgid, else NULL); a non-zero return stops the walk.
 */
typedef int (*ntf_hist_visit_fn)(void *ctx, const struct ntf_hist_key *key,
				 const struct ntf_hist *h, const char *comm);
typedef int (*ntf_bucket_visit_fn)(void *ctx, const struct ntf_hist_key *key, __u32 bucket,
				   __u64 n);
int ntf_walk_hists(int hists_fd, int comms_fd, ntf_hist_visit_fn fn, void *ctx);
int ntf_walk_buckets(int buckets_fd, ntf_bucket_visit_fn fn, void *ctx);
/* Adds every fine bucket of a buckets map fd into agg's entries. */
int ntf_read_buckets(int buckets_fd, struct ntf_agg *agg);
int tracer__buckets_fd(const struct tracer *t);

#endif
