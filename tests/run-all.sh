#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Runs every test suite, each test script of it as a unit of its own
# (tests/lib/runner.sh): its "ok"/"not ok"/"skip" lines, and one more
# "not ok" for a script that exits with a bad status, ends before its end
# marker or prints fewer checks than it planned (tests/lib/tap.sh has the
# rules). cmocka's results are turned into the same lines. Then prints the
# closing "N passed, N failed, N skipped" and exits non-zero on any
# failure. Suites: unit, cli, vm (all by default; name some to pick); a
# path instead runs that test script alone.
# NTF_TEST_LOGS: where each script's output goes (default build/test-logs).
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
# What to run, and for a script its path from here on.
suites=()
paths=()
for a in "$@"; do
	case $a in
	unit | cli | vm) suites+=("$a") paths+=("") ;;
	*/*)
		[ -f "$a" ] || { echo "run-all: no test script '$a'" >&2; exit 2; }
		suites+=("$a") paths+=("$(cd "$(dirname "$a")" && pwd)/${a##*/}")
		;;
	*) echo "run-all: unknown suite '$a' (unit, cli, vm, or a script's path)" >&2; exit 2 ;;
	esac
done
[ ${#suites[@]} -gt 0 ] || suites=(unit cli vm) paths=("" "" "")
cd "$top"
log=${NTF_TEST_LOGS:-build/test-logs}
mkdir -p "$log"
. tests/lib/runner.sh

# log_name NAME: a file name for NAME's logs.
log_name() { printf '%s\n' "$1" | sed 's|tests/||g; s|\.sh\b||g; s|[^A-Za-z0-9._]\{1,\}|-|g; s|^-||; s|-$||'; }

# unit NAME CMD...: CMD as one unit of the run, its logs named after NAME.
unit() {
	local name=$1

	shift
	tap_unit "$name" "$log/$(log_name "$name")" "$@"
}

# cmocka_tap TEST: a cmocka test program in the runner's protocol: its
# "Running N test(s)" is the plan, its "N test(s) run." the end marker
# (the summary after it lists the failures again). cmocka exits with its
# number of failed tests: that is a 1 here, so only a crash keeps its own.
cmocka_tap() {
	local st

	"$1" | awk -v t="${1##*/}" -v end="$NTF_TAP_END" '
		done { next }
		/^\[==========\] Running [0-9]+ test\(s\)\.$/ { print "1.." $3; next }
		/^\[==========\] [0-9]+ test\(s\) run\.$/ { print end; done = 1; next }
		sub(/^\[       OK \] /, "") { print "ok - " t ": " $0 }
		sub(/^\[  FAILED  \] /, "") { print "not ok - " t ": " $0; failed++ }
		sub(/^\[  SKIPPED \] /, "") { print "skip - " t ": " $0 }
		END { exit failed % 256 }'
	st=("${PIPESTATUS[@]}")
	if [ "${st[0]}" -ne 0 ] && [ "${st[0]}" -eq "${st[1]}" ]; then
		return 1
	fi
	return "${st[0]}"
}

run_unit() {
	if make -s format-check 2>"$log/format.txt"; then
		echo "ok - format: every C file is as .clang-format makes it"
	else
		echo "not ok - format: $(cat "$log/format.txt")"
	fi
	make -s -C tests/unit OUT="$top/build/unit" all || { echo "not ok - unit: build"; return; }
	for t in "$top"/build/unit/test_*; do
		unit "${t##*/}" cmocka_tap "$t"
	done
}

# run_script PATH ARGS...: a test script as a unit named by its path.
run_script() { unit "$1" "$@"; }

run_cli() {
	run_script tests/cli/run.sh
	run_script tests/cli/top.sh
	run_script tests/cli/compare.sh # hist --compare on runs drawn from known distributions
	run_script tests/cli/socket.sh # notifierd's client socket
	run_script tests/fuzz/run.sh # a bounded fuzz run of its protocol and of the trace reader
	run_script tests/cli/report.sh # notifier report on trace files written from the format's document
	run_script tests/cli/perfetto.sh # notifier report --perfetto: nested slices, counters, metadata, files cut short
	run_script tests/cli/ctf.sh # notifier report --ctf, its traces read by babeltrace2
	run_script tests/cli/replay.sh # notifier hist --input and notifier-top --replay on such a file
	run_script tests/cli/synthetic-daemon.sh # notifierd --synthetic, read by notifier-top
	run_script tests/cli/daemon-record.sh # notifierd --record and --flight: rotation, triggers, a full disk
	run_script tests/cli/policy.sh # notifierd --rules: limits and their exact counts, actions, SIGHUP, bad files
	run_script tests/cli/policy-ops.sh # BPF policy ops on a trace file (notifier policy test): verdicts as computed, the verifier's refusals
	run_script tests/cli/systemd.sh # contrib/systemd's unit: systemd-analyze verify, its options, its sandbox
	run_script tests/cli/metrics.sh # notifierd --metrics, scraped by promtool and a real Prometheus
	run_script tests/cli/plot.sh # notifier plot's SVG and HTML, checked as XML and as pixels rendered by headless Chromium
	run_script tests/cli/daemon-args.sh # notifierd's path arguments: a --pin-dir too long is refused
	run_script tests/cli/host-kernel.sh # what this machine's kernel allows, on a real KVM process
	run_script tests/cli/runner-selftest.sh # this runner, on scripts broken on purpose
}

# What the VM scripts build and fetch, made before two of them run at
# once: up to date, their own makes write nothing, so they cannot race.
vm_prepare() {
	(
		. tests/vm/lib.sh
		ensure_pkgs jq libxml2-utils
		for k in 6.1 6.12; do
			tests/vm/fetch-kernel.sh --kernel "$k" || exit 1
		done
		build_guest_files
	)
}

# The 6.12 guests' scripts, as units of their own.
run_vm_612() {
	unit "NTF_VM_KERNEL=6.12 tests/vm/spine-test.sh" \
		env NTF_VM_KERNEL=6.12 tests/vm/spine-test.sh "$top/build/vm/spine-6.12"
	unit "NTF_VM_KERNEL=6.12 tests/vm/drivers-test.sh" \
		env NTF_VM_KERNEL=6.12 tests/vm/drivers-test.sh "$top/build/vm/drivers-6.12" # xe, amdgpu_hmm_*
	unit "NTF_VM_KERNEL=6.12 tests/vm/top-test.sh" \
		env NTF_VM_KERNEL=6.12 tests/vm/top-test.sh "$top/build/vm/top-6.12"
}

# What runs after either kernel's scripts: in the 6.12 lane, whose
# scripts end about a quarter of an hour before 6.1's.
run_vm_after() {
	run_script tests/vm/policy-module-test.sh "$top/build/vm/policy-module" # the companion module: refused on 6.1, registered on 6.12
	# make bench's harness, one short round: every mode (bpftrace and
	# funclatency too) must give a figure; the figures are not judged
	run_script tests/bench/harness-test.sh "$top/build/bench-short"
}

run_vm_61() {
	run_script tests/vm/spine-test.sh "$top/build/vm/spine"
	run_script tests/vm/drivers-test.sh "$top/build/vm/drivers" # notifier probe with i915, amdgpu, nouveau
	run_script tests/vm/top-test.sh "$top/build/vm/top" # notifier-top's counts during the workloads
}

run_vm() {
	local done_mark="# run-all: the 6.12 lane's scripts ended" tap612=$log/vm-6.12.tap pid rc

	# The test bed itself (smoke, test module selftest, GPU modules), then
	# the spine, the doctor and notifier-top on 6.1 and, with the same
	# binaries, on 6.12.
	run_script tests/vm/check.sh
	if ! vm_prepare >"$log/vm-prepare.out" 2>&1; then
		echo "not ok - vm: builds and kernels ready before the guests run (see $log/vm-prepare.out)"
		run_vm_61
		run_vm_612
		run_vm_after
	else
		# Side by side: TCG runs a guest on one host thread, so while
		# one kernel's guest ran the other core sat idle.
		{
			run_vm_612
			run_vm_after
			echo "$done_mark"
		} >"$tap612" 2>"$log/vm-6.12.stderr" &
		pid=$!
		run_vm_61
		wait "$pid"
		rc=$?
		grep -v -x -F "$done_mark" "$tap612"
		grep -q -x -F "$done_mark" "$tap612" ||
			echo "not ok - vm: the 6.12 lane's scripts ran to their end (status $rc; see $log/vm-6.12.stderr)"
	fi
}

results=$log/results.txt
: >"$results"
for i in "${!suites[@]}"; do
	s=${suites[i]}
	echo "=== $s" >&2
	if [ -n "${paths[i]}" ]; then
		unit "$s" "${paths[i]}"
	else
		"run_$s"
	fi 2>"$log/$(log_name "$s").stderr" | tee -a "$results"
done

read -r passed failed skipped < <(tap_totals "$results")
if [ "$failed" -gt 0 ]; then
	echo
	echo "failures:"
	grep '^not ok - ' "$results"
	echo "(logs in $log)"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
