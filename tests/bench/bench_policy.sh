#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# What a BPF policy costs by the portable backend (docs/policy.md): a
# recording of notifierd's synthetic events judged by notifier policy
# test, each event of a class the policy has a program for run through
# BPF_PROG_TEST_RUN. Three policies side by side: one that answers at
# once for every class (the system call alone), the shipped
# slow_callbacks (a driver name compared, a bound), and one with a map's
# state. The baseline is the pipeline's own decode + aggregate of an
# event (bench_pipeline), against which each is given as a ratio.
#
# Usage: tests/bench/bench_policy.sh BUILD_DIR SECONDS   (root: BPF)
set -euo pipefail

build=$1
secs=${2:-3}
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ntf-bench-policy.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

cc() {
	clang -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_x86 -I"$top/vmlinux" -I"$top/bpf" \
		-c "$1" -o "$2"
}
cat >"$tmp/state.bpf.c" <<'POL'
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "notifier_policy.h"
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} per_process SEC(".maps");
/* a process's slow callbacks counted; the tenth and each after escalated */
NOTIFIER_POLICY(callback, ev)
{
	__u64 one = 1, *n;

	if (ev->latency_ns < 100000)
		return NOTIFIER_COUNT;
	n = bpf_map_lookup_elem(&per_process, &ev->tgid);
	if (!n) {
		bpf_map_update_elem(&per_process, &ev->tgid, &one, BPF_ANY);
		return NOTIFIER_COUNT;
	}
	*n += 1;
	return *n >= 10 ? NOTIFIER_ESCALATE : NOTIFIER_COUNT;
}
char LICENSE[] SEC("license") = "Dual BSD/GPL";
POL
make -s -C "$top" "build/policy_answer.bpf.o"
cp "$top/build/policy_answer.bpf.o" "$tmp/answer.bpf.o"
cc "$tmp/state.bpf.c" "$tmp/state.bpf.o"

"$build/notifierd" --synthetic=3 -q -d "$secs" --record "$tmp/rec" >/dev/null
file=$(ls "$tmp"/rec/*.ntr | head -n1)
base=$("$build/bench-bin/bench_pipeline" 100 | awk '/^decode\+aggregate .*known keys/ { print $2 }')
printf '%s events of a synthetic recording; the pipeline decodes and aggregates one in %s ns\n' \
	"$("$build/notifier" report -j "$file" | jq '.file.events')" "$base"
for p in "$tmp/answer.bpf.o:answers at once, every class" \
	"$build/policies/slow_callbacks.bpf.o:slow_callbacks (shipped), every class" \
	"$tmp/state.bpf.o:a map's state, callbacks only"; do
	"$build/notifier" policy test -j "${p%%:*}" "$file" |
		jq -r --arg name "${p#*:}" --argjson base "$base" \
			'"  \($name | .[0:40] | . + " " * (40 - length)) \(.run_ns | floor) ns a run, \(.runs) runs   \(.run_ns / $base * 100 | round / 100)x an event'"'"'s decode + aggregate"'
done
