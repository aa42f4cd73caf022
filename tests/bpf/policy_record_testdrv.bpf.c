// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The test driver's callbacks recorded, every other callback ignored: one side of a swap. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "notifier_policy.h"

NOTIFIER_POLICY(callback, ev)
{
	return notifier_policy_driver_is(ev, "testdrv") ? NOTIFIER_RECORD : NOTIFIER_IGNORE;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
