/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Whether an event passes a rule's conditions (query/rules.h), its count aside. */
#ifndef NTF_RULE_MATCH_H
#define NTF_RULE_MATCH_H

#include <stdbool.h>
#include <linux/types.h>
#include "notifier.h"
#include "rules.h"

/*
 * Every condition of r but its count holds for e. now_ms: the clock the
 * cgroup cache keeps time by (a process's cgroup is read at most every
 * few seconds). The cheap conditions are judged first, the cgroup last.
 */
bool ntf_rule_matches(const struct ntf_rule *r, const struct ntf_event *e, __u64 now_ms);

#endif
