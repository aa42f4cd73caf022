// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A policy that answers at once for every class: what judging costs by
 * a backend's mechanism alone (tests/bench/bench_policy*.sh).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "notifier_policy.h"

NOTIFIER_POLICY(inval_start, ev)
{
	return NOTIFIER_COUNT;
}

NOTIFIER_POLICY(inval_end, ev)
{
	return NOTIFIER_COUNT;
}

NOTIFIER_POLICY(callback, ev)
{
	return NOTIFIER_COUNT;
}

NOTIFIER_POLICY(unmap, ev)
{
	return NOTIFIER_COUNT;
}

NOTIFIER_POLICY(pin, ev)
{
	return NOTIFIER_COUNT;
}

NOTIFIER_POLICY(unpin, ev)
{
	return NOTIFIER_COUNT;
}

NOTIFIER_POLICY(fence_wait, ev)
{
	return NOTIFIER_COUNT;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
