/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Whether an event passes a rule's conditions (query/rules.h), its count aside. */
#ifndef NTF_RULE_MATCH_H
#define NTF_RULE_MATCH_H

#include <stdbool.h>
#include <linux/types.h>
#include "notifier.h"
#include "rules.h"

/*
 * Every condition of r but its count holds for e. The cheap conditions
 * are judged first, the cgroup last: by the cgroup id the event carries
 * (the cgroup the task ran in then), whose path is looked up in a cache
 * of the cgroup tree. now_ms is unused, kept for conditions that will
 * need a clock.
 */
bool ntf_rule_matches(const struct ntf_rule *r, const struct ntf_event *e, __u64 now_ms);

#endif
