// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A policy the verifier refuses: the event's time taken for a pointer. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "notifier_policy.h"

NOTIFIER_POLICY(callback, ev)
{
	return *(const __u32 *)ev->ts_ns;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
