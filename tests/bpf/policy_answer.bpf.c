// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A policy that answers at once for every class: what judging costs by
 * a backend's mechanism alone (tests/bench/bench_policy*.sh).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "notifier_policy.h"

#define ANSWER_AT_ONCE(class)          \
	NOTIFIER_POLICY(class, ev)     \
	{                              \
		return NOTIFIER_COUNT; \
	}

ANSWER_AT_ONCE(inval_start)
ANSWER_AT_ONCE(inval_end)
ANSWER_AT_ONCE(callback)
ANSWER_AT_ONCE(unmap)
ANSWER_AT_ONCE(pin)
ANSWER_AT_ONCE(unpin)
ANSWER_AT_ONCE(fence_wait)

char LICENSE[] SEC("license") = "Dual BSD/GPL";
