// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <fnmatch.h>
#include <string.h>
#include "rule_match.h"

static bool tri_holds(int want, bool has)
{
	return want == NTF_RULE_ANY || (want == NTF_RULE_YES) == has;
}

bool ntf_rule_matches(const struct ntf_rule *r, const struct ntf_event *e, __u64 now_ms)
{
	(void)now_ms;
	char comm[NTF_COMM_LEN], cg[NTF_CGROUP_PATH_LEN];
	const char *func;

	if (r->class_mask && !(e->class < 32 && (r->class_mask & (1u << e->class))))
		return false;
	if (r->origin_mask && !(e->origin < 32 && (r->origin_mask & (1u << e->origin))))
		return false;
	if (r->lat_min_ns && e->latency_ns < r->lat_min_ns)
		return false;
	if (r->lat_max_ns && e->latency_ns > r->lat_max_ns)
		return false;
	if (r->pid && e->tgid != r->pid)
		return false;
	if (!tri_holds(r->failed, e->flags & NTF_F_FAILED))
		return false;
	/* a tracepoint that does not say is neither blockable nor not */
	if (r->blockable != NTF_RULE_ANY && ((e->flags & NTF_F_BLOCKABLE_UNKNOWN) ||
					     !tri_holds(r->blockable, e->flags & NTF_F_BLOCKABLE)))
		return false;
	/* id 0 is the chain, no driver's */
	if (r->driver[0] && (!e->callback || strcmp(ntf_driver_name(e->callback), r->driver)))
		return false;
	if (r->callback[0] &&
	    (!(func = ntf_callback_func(e->callback)) || strcmp(func, r->callback)))
		return false;
	if (r->comm[0]) {
		memcpy(comm, e->comm, sizeof(comm));
		comm[sizeof(comm) - 1] = '\0';
		if (fnmatch(r->comm, comm, 0))
			return false;
	}
	/* the cgroup the event ran in, as freeze acts on: not where the process is now */
	if (r->cgroup[0] && (!e->cgroup_id || ntf_cgroup_path(e->cgroup_id, cg, sizeof(cg)) ||
			     !ntf_cgroup_under(cg, r->cgroup)))
		return false;
	return true;
}
