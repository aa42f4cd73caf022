// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Counts only the slow callbacks of one driver, and escalates them with
 * their stack: every other event is ignored. Another driver or bound at
 * build time: -DSLOW_DRIVER='"amdgpu"' -DSLOW_NS=2000000ULL.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "notifier_policy.h"

#ifndef SLOW_DRIVER
#define SLOW_DRIVER "ntf_testdrv"
#endif
#ifndef SLOW_NS
#define SLOW_NS 5000000ULL /* 5 ms */
#endif

NOTIFIER_POLICY(callback, ev)
{
	if (notifier_policy_driver_is(ev, SLOW_DRIVER) && ev->latency_ns >= SLOW_NS)
		return NOTIFIER_ESCALATE | NOTIFIER_ACT_STACK;
	return NOTIFIER_IGNORE;
}

/* the rest of what the driver's callbacks cause is of no interest here */
NOTIFIER_POLICY(inval_start, ev)
{
	return NOTIFIER_IGNORE;
}
NOTIFIER_POLICY(inval_end, ev)
{
	return NOTIFIER_IGNORE;
}
NOTIFIER_POLICY(fence_wait, ev)
{
	return NOTIFIER_IGNORE;
}
NOTIFIER_POLICY(unmap, ev)
{
	return NOTIFIER_IGNORE;
}
NOTIFIER_POLICY(pin, ev)
{
	return NOTIFIER_IGNORE;
}
NOTIFIER_POLICY(unpin, ev)
{
	return NOTIFIER_IGNORE;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
