#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# make bench's harness in its short mode (tests/bench/run.sh --short),
# so that it cannot rot: every host benchmark prints its figures and
# every VM mode (notifier's, bpftrace's, funclatency's) times the loop
# with its tracer having seen it. The figures themselves are not judged:
# one short round on an emulator says nothing worth asserting.
#
# Usage: tests/bench/harness-test.sh [OUT]
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/tap.sh"
NTF_TAP_PREFIX="bench: "
out=${1:-$top/build/bench-short}
plan 31

"$top/tests/bench/run.sh" "$out" --short >"$out.log" 2>&1
rc=$?
check_eq "run.sh --short ran to its end (log: $out.log)" "$rc" 0
r=$out/results.txt
has() { grep -q -- "$1" "$r" 2>/dev/null; }
check "host: the pipeline's events/s" "$(grep -m1 'events/s' "$r" 2>/dev/null)" has 'events/s'
check "host: fine buckets' cost over log2 slots only, per event" \
	"$(grep -m1 "^fine buckets' cost" "$r" 2>/dev/null)" \
	grep -qE "^fine buckets' cost +-?[0-9.]+ ns/event +[0-9.]+ " "$r"
# a shallow clone has no older tree to build: said in its place
check "host: the update against the aggregate before fine buckets" \
	"$(grep -A4 -m1 '== host: the aggregate.s update' "$r" 2>/dev/null | tail -n1)" \
	bash -c "grep -A4 '== host: the aggregate.s update' '$r' | grep -qE '^10 +[0-9.]+ [0-9.]+ [0-9.]+ +[0-9.]+ [0-9.]+ [0-9.]+ +[0-9.]+\$|has no commit'"
check "host: a discovery pass" "" has '== host: one callback-discovery pass'
check "host: the trace file's writer" "" grep -q 'B/event\|bytes an event\|bytes/event' "$r"
check "host: the CTF export" "" has '== host: notifier report --ctf'
check "host: the handlers' cost by BPF_PROG_TEST_RUN" "$(grep -m1 'bpftrace-like' "$r" 2>/dev/null)" \
	grep -qE '^  notifier hist +[0-9.]+ ns a pair' "$r"
check "host: a BPF policy's cost a run" "$(grep -m1 'ns a run' "$r" 2>/dev/null)" \
	grep -qE '^  slow_callbacks \(shipped\), every class +[0-9]+ ns a run' "$r"
check "host: memory of notifierd and notifier-top" "$(grep -m1 '^notifierd ' "$r" 2>/dev/null)" \
	grep -qE '^notifier-top +[0-9]+ +[0-9]+ +[0-9.]+' "$r"
check "VM: the handlers' cost by BPF_PROG_TEST_RUN in the guest" \
	"$(grep -A1 -m1 'BPF_PROG_TEST_RUN in the guest' "$r" 2>/dev/null | tail -n1)" \
	bash -c "grep -A12 'BPF_PROG_TEST_RUN in the guest' '$r' | grep -qE '^  notifier hist -P +[0-9.]+ ns a pair'"
for m in "notifier hist -P +fentry" "bpftrace, same histograms +fentry" \
	"notifier hist -k -e inval_start +kprobe" "funclatency \(one function\) +kprobe"; do
	line=$(grep -A7 'programs. own run time' "$r" 2>/dev/null | grep -E "^$m +[0-9]+ +[0-9.]+ +[0-9]+" | head -n1)
	check "VM: ${m//\\/}: its programs' run time by the kernel's statistics" "${line:-no row}" test -n "$line"
done
# each mode's row, by its label and mechanism (regular expressions)
for m in "untraced" "notifier hist -P +fentry" "notifier hist -P, process stopped +fentry" \
	"notifier hist -P -k +kprobe" "notifier hist -k -e inval_start +kprobe" \
	"bpftrace, empty bodies +fentry" \
	"notifierd \(every event streamed\) +fentry" "bpftrace, same histograms +fentry" \
	"bpftrace, same histograms +kprobe" "funclatency \(one function\) +kprobe"; do
	line=$(grep -E "^$m" "$r" 2>/dev/null | head -n1)
	check "VM: ${m//\\/} gave a figure" "${line:-no row}" test -n "$line"
done
# the second part: each workload at one rate in the short mode
for w in "KVM madvise loop +4x" "KVM munmap loop +1x" "io_uring buffer pins +16x" \
	"reclaim \(MADV_PAGEOUT\) +1x"; do
	line=$(grep -E "^$w +[0-9]+ +[-+]" "$r" 2>/dev/null | head -n1)
	check "VM: ${w//\\/} gave both figures" "${line:-no row}" test -n "$line"
done
# the fourth: a policy judged in the kernel and in the daemon, on 6.12
for m in struct_ops portable; do
	line=$(grep -E "^$m +[0-9.]+ +[0-9]+ +[0-9]+ ns +[0-9]+$" "$r" 2>/dev/null | head -n1)
	check "VM 6.12: a policy judged by $m gave its figures, every event judged" "${line:-no row}" \
		test -n "$line" -a "$(awk '{ print $3 }' <<<"$line")" = "$(awk '{ print $6 }' <<<"$line")"
done
tap_done
