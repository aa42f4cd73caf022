// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The hazard of a callback that must sleep refusing a non-blockable range
 * (the OOM reaper's): records every refusal and escalates it with a
 * flight-recorder snapshot; the rest is counted as usual.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "notifier_policy.h"

NOTIFIER_POLICY(callback, ev)
{
	if ((ev->flags & NTF_F_FAILED) &&
	    !(ev->flags & (NTF_F_BLOCKABLE | NTF_F_BLOCKABLE_UNKNOWN)))
		return NOTIFIER_ESCALATE | NOTIFIER_ACT_SNAPSHOT;
	return NOTIFIER_COUNT;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
