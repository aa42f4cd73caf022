/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Per-subscriber attribution: finds which drivers' notifier callbacks this
 * kernel has (a table of known callbacks per driver, checked against
 * kallsyms), gives each an id, and attaches subscriber objects to them,
 * sharing the main object's maps. Rescans when modules come or go.
 */
#ifndef NTF_SUBSCRIBERS_H
#define NTF_SUBSCRIBERS_H

#include <stdbool.h>
#include <stdio.h>
#include <jansson.h>
#include "notifier.h"
#include "callbacks.h"
#include "probes.h"

struct ntf_ksyms;

struct ntf_subscriber {
	__u32 id; /* in events and keys; 1.. */
	const struct ntf_callback_def *def;
	bool discovered; /* found through live subscriptions, not in the table */
	bool present; /* in kallsyms now */
	char module[64]; /* where kallsyms found it; "" for vmlinux */
	char absent[NTF_REASON_LEN]; /* why it is not here, when not present */
	bool attached;
	unsigned int mech;
	char why[NTF_MECH_MAX][NTF_REASON_LEN];
	/* what the last discovery pass saw point at it: 0 when none did */
	__u64 subscriptions, mms;
	const char *news; /* private: what the next rescan's report says happened */
};

struct ntf_subscribers_opts {
	bool no_fentry, no_kprobe;
	struct ntf_config cfg; /* the main object's, so the slots filter alike */
	/* the main object's maps, shared */
	int inflight_fd, hists_fd, comms_fd, counters_fd, events_fd;
	const char *kallsyms_path; /* NULL: /proc/kallsyms */
	const char *modules_path; /* NULL: /proc/modules */
	bool no_discovery; /* the table only: no walking of live subscriptions */
};

struct ntf_subscribers;

int ntf_subscribers_new(const struct ntf_subscribers_opts *opts, struct ntf_subscribers **out);
void ntf_subscribers_free(struct ntf_subscribers *subs);
/*
 * Finds callbacks that appeared (attaching them) and notes those whose
 * module left. Cheap when /proc/modules did not change. Returns the number
 * of subscribers attached after the scan and, with tell, logs what
 * changed.
 */
int ntf_subscribers_rescan(struct ntf_subscribers *subs, bool tell);
unsigned int ntf_subscribers_count(const struct ntf_subscribers *subs);
const struct ntf_subscriber *ntf_subscriber_at(const struct ntf_subscribers *subs, unsigned int i);
/* Why discovery is off here ("" when it runs), and callbacks it could not keep. */
const char *ntf_subscribers_discovery_why(const struct ntf_subscribers *subs);
/* Whether the iterator loaded, and whether it also ran clean last time. */
bool ntf_subscribers_discovery_loaded(const struct ntf_subscribers *subs);
bool ntf_subscribers_discovery_live(const struct ntf_subscribers *subs);

/* all: also the known callbacks this kernel lacks, with why; driver: only its own. */
void ntf_subscribers_report(FILE *out, const struct ntf_subscribers *subs, bool all,
			    const char *driver);
json_t *ntf_subscribers_json(const struct ntf_subscribers *subs);
/* {"live": bool, "why": what stops or limits it} */
json_t *ntf_subscribers_discovery_json(const struct ntf_subscribers *subs);

#endif
