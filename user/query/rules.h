/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Policy rules without a compiler (docs/rules.md): a file of rules, each
 * conditions on an event (driver, callback, class, latency, blockable,
 * origin, process, cgroup, failure, a count over a window), actions to
 * take when they hold, and a rate limit. This is the language: what a
 * file says, read into plain structs, with the line and column of the
 * first thing wrong. What matches and what is done are policy/'s.
 */
#ifndef NTF_RULES_H
#define NTF_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "callbacks.h"
#include "cgroup_match.h"
#include "notifier.h"

#define NTF_RULE_NAME_LEN 64
#define NTF_RULE_FUNC_LEN 64
#define NTF_RULE_CMD_LEN 512
/* Rules a file holds at most: each is judged on every event. */
#define NTF_RULES_MAX 256
/* Unless a rule says: at most this many firings acted on per window. */
#define NTF_RULE_DEFAULT_LIMIT 10
#define NTF_RULE_DEFAULT_LIMIT_NS (60ULL * 1000000000ULL)

enum ntf_rule_action {
	NTF_ACT_ALERT = 1u << 0, /* a line on stderr (the journal), a JSON line with -j */
	NTF_ACT_STACK = 1u << 1, /* the alert carries the event's kernel stack */
	NTF_ACT_SNAPSHOT = 1u << 2, /* a flight-recorder snapshot, trigger "policy:<name>" */
	NTF_ACT_SIGNAL = 1u << 3, /* a signal to the task the event ran in */
	NTF_ACT_FREEZE = 1u << 4, /* the task's cgroup frozen (cgroup.freeze) */
	NTF_ACT_EXEC = 1u << 5, /* a command run (sh -c), the event in its environment */
};

enum ntf_rule_tri { NTF_RULE_ANY = -1, NTF_RULE_NO = 0, NTF_RULE_YES = 1 };

struct ntf_rule {
	char name[NTF_RULE_NAME_LEN];
	unsigned int line; /* where the rule starts in its file, from 1 */
	/* Conditions, all of which must hold; one left unset holds for any event. */
	__u32 class_mask; /* 1 << enum ntf_class; 0: any */
	__u32 origin_mask; /* 1 << enum ntf_origin; 0: any */
	char driver[NTF_DRIVER_LEN]; /* a callback event's driver; "": any */
	char callback[NTF_RULE_FUNC_LEN]; /* a callback event's function; "": any */
	__u64 lat_min_ns; /* latency at least this; 0: no bound */
	__u64 lat_max_ns; /* latency at most this; 0: no bound */
	int blockable; /* enum ntf_rule_tri */
	int failed; /* enum ntf_rule_tri: NTF_F_FAILED */
	__u32 pid; /* the process (tgid); 0: any */
	char comm[NTF_COMM_LEN]; /* the task's name, an fnmatch(3) pattern; "": any */
	char cgroup[NTF_CGROUP_PATH_LEN]; /* the task's cgroup or below it (normalized); "": any */
	/*
	 * A rate: the rule fires when count_min events that pass the
	 * conditions above fall within count_window_ns. 0: every such
	 * event fires it.
	 */
	__u64 count_min;
	__u64 count_window_ns;
	/* Actions: at least one. */
	unsigned int actions; /* enum ntf_rule_action */
	int signal; /* NTF_ACT_SIGNAL's, a signal number */
	char cmd[NTF_RULE_CMD_LEN]; /* NTF_ACT_EXEC's */
	/* At most limit firings acted on per limit_ns; the others counted, said later. */
	__u32 limit;
	__u64 limit_ns;
};

struct ntf_rules {
	struct ntf_rule *rule;
	unsigned int n;
};

/* Where a file is wrong: line and column from 1 (0 when not in the text), and why. */
struct ntf_rules_error {
	unsigned int line, column;
	char reason[200];
};

/*
 * The rules of text[0..len) (need not end in a NUL). 0 and *out (free
 * with ntf_rules_free; no rules is fine); or -EINVAL with *err saying
 * where and why, *out untouched; or -ENOMEM.
 */
int ntf_rules_parse(const char *text, size_t len, struct ntf_rules *out,
		    struct ntf_rules_error *err);
/* The same from a file; one that cannot be read is an error at line 0. */
int ntf_rules_load(const char *path, struct ntf_rules *out, struct ntf_rules_error *err);
void ntf_rules_free(struct ntf_rules *r);

/* "alert", "stack", ...: an action's name in the language. */
const char *ntf_rule_action_name(enum ntf_rule_action a);

#endif
