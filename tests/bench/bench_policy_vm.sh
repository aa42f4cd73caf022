#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# What judging events costs where: the test driver's invalidation loop in
# the 6.12 guest, untraced and under notifierd with no policy, with the
# companion module's kfunc called but no policy attached, with a policy
# judged in the kernel (struct_ops) and the same policy judged in the
# daemon (portable). The policy answers at once for every class, so the
# figures are the mechanism's. Given per mode: the loop's time over the
# untraced loop's (the workload's cost), and notifierd's CPU per event
# from the moment it traces to its end (where the portable backend pays;
# loading the programs, emulated, would swamp it). Timings are an emulator's: only the
# ratios of one run mean anything.
#
# Usage: tests/bench/bench_policy_vm.sh [OUT [ROUNDS [ITERATIONS]]]   (root)
set -uo pipefail

NTF_TAG=bench-policy-vm
. "$(dirname "$0")/../vm/lib.sh"

out=${1:-$NTF_REPO/build/bench-policy-vm}
rounds=${2:-3}
iter=${3:-20000}
rm -rf "$out"
mkdir -p "$out"
ensure_pkgs jq
make -s -C "$NTF_REPO" static >&2 || die "make static failed"
make -s -C "$NTF_REPO/tests/workloads" OUT="$NTF_REPO/build/workloads" >&2 || die "workloads"
select_vm_kernel 6.12
"$NTF_REPO/tests/vm/fetch-kernel.sh" --kernel 6.12 >&2 || die "no 6.12 kernel"
load_kernel_env
ko=$(build_policy_module "$out/module") || die "the companion module did not build: $out/module"

make -s -C "$NTF_REPO" build/policy_answer.bpf.o >&2 || die "the policy did not build"

"$NTF_REPO/tests/vm/run-vm.sh" --kernel 6.12 --scenario "$NTF_REPO/tests/bench/policy-vm-bench.sh" \
	--out "$out" --timeout $((900 + rounds * iter / 20)) --append "ROUNDS=$rounds ITER=$iter" \
	--file "$NTF_REPO/build/static/notifierd" --file "$NTF_REPO/build/workloads/wl-testdrv" \
	--file "$ko:/root/notifier_policy.ko" --file "$NTF_REPO/build/policy_answer.bpf.o:/root/answer.bpf.o" \
	>"$out/run-vm.log" 2>&1
why=$(guest_ended $? "$out") || die "$why"

tck=$(cat "$out/clk_tck")
elapsed() { jq -r '.elapsed_ns // empty' "$1" 2>/dev/null; }
summary() { grep '^{' "$1" 2>/dev/null | tail -n1; }
# median of the numbers on stdin
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }

echo "== VM (kernel $(cat "$out/kernel.txt"), emulated): the test driver's loop of $iter invalidations, $rounds round(s)"
printf '%-11s %-24s %-12s %-22s %s\n' mode "loop time / untraced" events "notifierd CPU / event" judged
for m in none plain judge struct_ops portable; do
	ratios=() cpus=() ev=0 judged=-
	for ((r = 1; r <= rounds; r++)); do
		base=$(elapsed "$out/none-$r.wl.json")
		t=$(elapsed "$out/$m-$r.wl.json")
		[ -n "$base" ] && [ -n "$t" ] && ratios+=("$(awk -v a="$t" -v b="$base" 'BEGIN { printf "%.3f", a / b }')")
		[ "$m" = none ] && continue
		s=$(summary "$out/$m-$r.trace")
		ev=$(jq -r '.events // 0' <<<"$s")
		c=$(cat "$out/$m-$r.cpu" 2>/dev/null) c0=$(cat "$out/$m-$r.cpu0" 2>/dev/null)
		[ -n "$c" ] && [ -n "$c0" ] && c=$((c - c0))
		[ -n "$c" ] && [ -n "$c0" ] && [ "$ev" -gt 0 ] &&
			cpus+=("$(awk -v c="$c" -v t="$tck" -v e="$ev" 'BEGIN { printf "%.0f", c * 1e9 / t / e }')")
		judged=$(jq -r '(.policy_ops.generations // []) | map(.judged) | add // "-"' <<<"$s")
		[ "$m" = struct_ops ] && [ "$(jq -r .policy_ops.backend <<<"$s")" != struct_ops ] &&
			judged="$judged (NOT by struct_ops)"
	done
	printf '%-11s %-24s %-12s %-22s %s\n' "$m" \
		"$(printf '%s\n' "${ratios[@]}" | median)" "$([ "$m" = none ] && echo - || echo "$ev")" \
		"$([ "$m" = none ] && echo - || echo "$(printf '%s\n' "${cpus[@]}" | median) ns")" "$judged"
done
