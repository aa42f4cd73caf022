/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Per-callback attribution: finds which drivers' notifier callbacks this
 * kernel has (a table of known callbacks per driver, checked against
 * kallsyms), gives each an id, and attaches callback objects to them,
 * sharing the main object's maps. Rescans when modules come or go.
 */
#ifndef NTF_CALLBACK_ATTACH_H
#define NTF_CALLBACK_ATTACH_H

#include <stdbool.h>
#include <stdio.h>
#include <jansson.h>
#include "notifier.h"
#include "callbacks.h"
#include "probes.h"

struct ntf_ksyms;

struct ntf_callback {
	__u32 id; /* in events and keys; 1.. */
	const struct ntf_callback_def *def;
	bool discovered; /* found through live registrations, not in the table */
	bool present; /* in kallsyms now */
	char module[64]; /* where kallsyms found it; "" for vmlinux */
	char absent[NTF_REASON_LEN]; /* why it is not here, when not present */
	bool attached;
	unsigned int mech;
	char why[NTF_MECH_MAX][NTF_REASON_LEN];
	/* what the last discovery pass saw point at it: 0 when none did */
	__u64 registrations, mms;
	__u64 addr; /* in kallsyms, while present */
	__u64 attached_ns; /* CLOCK_MONOTONIC when its probe attached */
	/* from its first registration the watch saw to the attach; 0: none seen */
	__u64 attach_delay_ns;
	/*
	 * Calls the chain made to it while its probe had not seen it yet (the
	 * registration watch): before attaching, or when it could not attach.
	 * maybe: those of chains that failed, which may have stopped short.
	 */
	__u64 unseen, unseen_maybe;
	const char *news; /* private: what the next rescan's report says happened */
};

struct ntf_callbacks_opts {
	bool no_fentry, no_kprobe;
	struct ntf_config cfg; /* the main object's, so the slots filter alike */
	/* the main object's maps, shared */
	int inflight_fd, hists_fd, buckets_fd, comms_fd, counters_fd, events_fd, stacks_fd;
	int stream_callbacks_fd, threads_fd, slot_places_fd, mirror_fd, rule_gates_fd,
		gate_callbacks_fd;
	int gate_state_fd, gate_cgroups_fd, policy_drivers_fd;
	bool policy_judge; /* the programs that call the policy kfunc (tracer_opts) */
	/* callback events not asked for (tracer_opts.classes): listed, never attached */
	bool left_out;
	/* the registration watch's (-1: the register probes did not attach) */
	int pending_fd, unseen_fd, attached_fns_fd, watch_fd;
	struct ntf_watch *watch; /* watch_fd mapped */
	const char *kallsyms_path; /* NULL: /proc/kallsyms */
	/*
	 * kallsyms read already (the ladder's), and the modules list read just
	 * before it: the first scan takes both over rather than reading them
	 * again (a second under emulation). NULL: it reads its own. Owned by
	 * the set once ntf_callbacks_new succeeds.
	 */
	struct ntf_ksyms *ksyms;
	char *ksyms_modules;
	const char *modules_path; /* NULL: /proc/modules */
	bool no_discovery; /* the table only: no walking of live registrations */
};

struct ntf_callbacks;

int ntf_callbacks_new(const struct ntf_callbacks_opts *opts, struct ntf_callbacks **out);
void ntf_callbacks_free(struct ntf_callbacks *subs);
/*
 * Finds callbacks that appeared (attaching them) and notes those whose
 * module left. Cheap when /proc/modules did not change. Returns the number
 * of callbacks attached after the scan and, with tell, logs what
 * changed.
 */
int ntf_callbacks_rescan(struct ntf_callbacks *subs, bool tell);
/* Reads the registration watch's unseen calls (rescans do it too). */
void ntf_callbacks_sweep(struct ntf_callbacks *subs);
/* Unseen calls of callbacks no scan could resolve (kallsyms hid them). */
__u64 ntf_callbacks_unseen_unresolved(const struct ntf_callbacks *subs);
unsigned int ntf_callbacks_count(const struct ntf_callbacks *subs);
/* Callback objects loaded so far (each puts new programs into kallsyms). */
unsigned int ntf_callbacks_loads(const struct ntf_callbacks *subs);
const struct ntf_callback *ntf_callback_at(const struct ntf_callbacks *subs, unsigned int i);
/* Why discovery is off here ("" when it runs), and callbacks it could not keep. */
const char *ntf_callbacks_discovery_why(const struct ntf_callbacks *subs);
/* Whether the iterator loaded, and whether it also ran clean last time. */
bool ntf_callbacks_discovery_loaded(const struct ntf_callbacks *subs);
bool ntf_callbacks_discovery_live(const struct ntf_callbacks *subs);

/* all: also the known callbacks this kernel lacks, with why; driver: only its own. */
void ntf_callbacks_report(FILE *out, const struct ntf_callbacks *subs, bool all,
			  const char *driver);
json_t *ntf_callbacks_json(const struct ntf_callbacks *subs);
/* Lines for callbacks the chain called while their probes had not seen them. */
void ntf_callbacks_unseen_report(FILE *out, const struct ntf_callbacks *subs, __u64 overflow);
/* {"registrations_unwatched": N, "unresolved_calls": N}: what the watch could not count */
json_t *ntf_callbacks_watch_json(const struct ntf_callbacks *subs, __u64 overflow);
/* {"live": bool, "why": what stops or limits it} */
json_t *ntf_callbacks_discovery_json(const struct ntf_callbacks *subs);

#endif
