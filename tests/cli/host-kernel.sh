#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# What this machine's own kernel allows, used for real: where fentry and
# kprobes are refused, KVM's tracepoint still attributes each invalidation
# of a KVM process to kvm's callbacks. Skips where the kernel has no
# /dev/kvm or no KVM tracepoint BTF.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/tap.sh"
plan 17

NOTIFIER=$top/build/notifier
make -s -C "$top/tests/workloads" OUT="$top/build/workloads" >&2 || exit 1
WL=$top/build/workloads/wl-kvm
tmp=$(mktemp -d)
# jq_true ARGS...: jq -e's verdict as an exit status, its output kept out of the test lines.
jq_true() { jq -e "$@" >/dev/null; }
trap 'rm -rf "$tmp"' EXIT

# The doctor: bad names are usage errors that list the known ones.
"$NOTIFIER" probe -D nosuchdriver >"$tmp/out" 2>"$tmp/err"
rc=$?
check_eq "probe -D unknown: exit 2" "$rc" 2
check "probe -D unknown: one line naming it and the known drivers" "$(cat "$tmp/err")" \
	bash -c '[ "$(wc -l <"$1")" -eq 1 ] && grep -q "nosuchdriver" "$1" && grep -q "i915" "$1"' _ "$tmp/err"
"$NOTIFIER" probe -P nosuchprobe >"$tmp/out" 2>"$tmp/err"
check_eq "probe -P unknown: exit 2" "$?" 2
check "probe -P unknown: names it and the known points" "$(cat "$tmp/err")" \
	bash -c 'grep -q "nosuchprobe" "$1" && grep -q "inval_start" "$1"' _ "$tmp/err"

if [ "$(id -u)" -eq 0 ]; then
	"$NOTIFIER" probe -j >"$tmp/probe.json" 2>"$tmp/probe.err"
	rc=$?
	live=$(jq -r .core_live "$tmp/probe.json")
	# Exit status says whether invalidate start and end are both traced.
	want=1
	[ "$live" = true ] && want=0
	check_eq "probe: exit status follows core_live ($live)" "$rc" "$want"
	check_eq "probe: core_live agrees with the two core points" "$live" \
		"$(jq -r '[.probes[] | select(.core) | .attached] | all' "$tmp/probe.json")"
	check_eq "probe: every known callback is reported" \
		"$(jq '[.callbacks[] | select(.discovered | not)] | length' "$tmp/probe.json")" \
		"$(grep -cE '^\s*(CB|CB_ERA)\(|\.driver = "' "$top/user/core/callback_table.c")"
	check "probe: every absent callback says why" "" \
		jq_true '[.callbacks[] | select(.present | not) | .why.absent] | all' "$tmp/probe.json"
else
	skip_n 4 "probe -j" "not root"
fi

if [ "$(id -u)" -ne 0 ] || [ ! -c /dev/kvm ]; then
	skip_rest "host: KVM processes traced" "needs root and /dev/kvm"
fi

"$NOTIFIER" hist -j -P >"$tmp/trace.json" 2>"$tmp/trace.err" &
tracer=$!
for _ in $(seq 100); do
	grep -q '^Tracing' "$tmp/trace.err" && break
	sleep 0.1
done
"$WL" --op madvise --iterations 60 --pages 16 --hold >"$tmp/wl.json" &
wl=$!
for _ in $(seq 100); do
	[ -s "$tmp/wl.json" ] && break
	sleep 0.1
done
kill -INT $tracer
wait $tracer
rc=$?
kill -TERM $wl
wait $wl

check_eq "host: notifier hist exits 0" "$rc" 0
mech=$(jq -r '.callbacks[] | select(.driver == "kvm") | .mech' "$tmp/trace.json")
case $mech in
tracepoint | kprobe | fentry) pass "host: kvm callback attached ($mech)" ;;
*) fail "host: kvm callback attached" "mech '$mech'; $(grep -A2 '^  kvm ' "$tmp/trace.err" | tr '\n' ' ')" ;;
esac
calls=$(jq -r .calls "$tmp/wl.json")
pid=$(jq -r .pid "$tmp/wl.json")
got=$(jq --argjson t "$pid" '[.processes[] | select(.class == "callback" and .driver == "kvm" and
	.tgid == $t) | .count] | add // 0' "$tmp/trace.json")
check_eq "host: kvm callbacks of the workload = its $calls calls" "$got" "$calls"

# Discovery on this kernel: the task iterator finds each KVM process's
# subscription. One VM more, one process more; gone when they exit.
kvm_processes() {
	"$NOTIFIER" probe -j -D kvm >"$tmp/kvm.json" 2>/dev/null
	jq '[.callbacks[] | select(.driver == "kvm") | .processes] | add // 0' "$tmp/kvm.json"
}
held_vm() {
	"$WL" --iterations 1 --pages 1 --hold >"$tmp/$1.json" &
	for _ in $(seq 100); do
		[ -s "$tmp/$1.json" ] && break
		sleep 0.1
	done
}
# (probe exits 1 here, the core being untraced: its JSON is read from a file)
"$NOTIFIER" probe -j >"$tmp/disc.json" 2>/dev/null
if ! jq_true .discovery.live "$tmp/disc.json"; then
	skip_rest "host: discovery and the cgroup filter" "$(jq -r .discovery.why "$tmp/disc.json")"
fi
held_vm vm1
vm1=$!
n1=$(kvm_processes)
held_vm vm2
vm2=$!
n2=$(kvm_processes)
check_eq "host: discovery sees the second VM's process ($n1 before)" "$n2" $((n1 + 1))
check_range "host: and the first one's" "$n1" 1 1000000
kill -TERM $vm1 $vm2
wait $vm1 $vm2
check_eq "host: both gone from discovery once they exit" "$(kvm_processes)" $((n1 - 1))

# notifier-top's cgroup filter on real processes: two KVM workloads, one
# moved into a cgroup of its own; the filter keeps that one's rows only.
cg_root=
for d in /sys/fs/cgroup/unified /sys/fs/cgroup; do
	if [ "$(stat -fc %T "$d" 2>/dev/null)" = cgroup2fs ]; then
		cg_root=$d
		break
	fi
done
if [ -z "$cg_root" ] || ! mkdir "$cg_root/ntf-test-$$" 2>/dev/null; then
	skip_rest "host: notifier-top cgroup filter" "no writable cgroup v2 hierarchy"
fi
cg=$cg_root/ntf-test-$$
"$WL" --op madvise --iterations 40 --pages 16 --wait-usr1 --hold >"$tmp/in.json" 2>"$tmp/in.err" &
w_in=$!
"$WL" --op madvise --iterations 30 --pages 16 --wait-usr1 --hold >"$tmp/out.json" 2>"$tmp/out.err" &
w_out=$!
for _ in $(seq 100); do
	grep -q ready "$tmp/in.err" && grep -q ready "$tmp/out.err" && break
	sleep 0.1
done
echo $w_in >"$cg/cgroup.procs"
"$top/build/notifier-top" --no-daemon -j -d 0.3 -r 0 -v process -f "cgroup $cg" \
	>"$tmp/cg.json" 2>"$tmp/cg.err" &
topp=$!
for _ in $(seq 100); do
	grep -q '^{' "$tmp/cg.json" && break
	sleep 0.1
done
kill -USR1 $w_in $w_out
for _ in $(seq 100); do
	[ -s "$tmp/in.json" ] && [ -s "$tmp/out.json" ] && break
	sleep 0.1
done
sleep 1
kill -INT $topp
wait $topp
check_eq "host: notifier-top -f cgroup exits 0" "$?" 0
kill -TERM $w_in $w_out
wait $w_in $w_out
rmdir "$cg"
pid_in=$(jq -r .pid "$tmp/in.json")
check_eq "host: the cgroup's process: its $(jq -r .calls "$tmp/in.json") KVM callbacks" \
	"$(jq -s --argjson p "$pid_in" '[.[].rows[] | select(.pid == $p) | .events] | add // 0' "$tmp/cg.json")" \
	"$(jq -r .calls "$tmp/in.json")"
check_eq "host: no row of any other process" \
	"$(jq -s --argjson p "$pid_in" '[.[].rows[] | select(.pid != $p)] | length' "$tmp/cg.json")" 0
tap_done
