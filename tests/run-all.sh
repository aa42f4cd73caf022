#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Runs every test suite and counts their "ok"/"not ok"/"skip" lines
# (cmocka's results are turned into the same lines), then prints the
# closing "N passed, N failed, N skipped" and exits non-zero on any
# failure. Suites: unit, cli, vm (all by default; name some to pick).
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
log=$top/build/test-logs
mkdir -p "$log"
suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(unit cli vm)

run_unit() {
	if make -s format-check 2>"$log/format.txt"; then
		echo "ok - format: every C file is as .clang-format makes it"
	else
		echo "not ok - format: $(cat "$log/format.txt")"
	fi
	make -s -C tests/unit OUT="$top/build/unit" all || { echo "not ok - unit: build"; return; }
	for t in "$top"/build/unit/test_*; do
		# cmocka's per-test lines: "[       OK ] name" / "[  FAILED  ] name"
		name=$(basename "$t")
		# cmocka's per-test lines, up to its summary (which lists failures again)
		"$t" 2>&1 | tee "$log/$name.log" | awk -v t="$name" '
			/^\[==========\] .* run\./ { done = 1 }
			done { next }
			sub(/^\[       OK \] /, "") { print "ok - " t ": " $0 }
			sub(/^\[  FAILED  \] /, "") { print "not ok - " t ": " $0 }
			sub(/^\[  SKIPPED \] /, "") { print "skip - " t ": " $0 }'
		[ "${PIPESTATUS[0]}" -eq 0 ] || grep -q "^\[  FAILED  \]" "$log/$name.log" ||
			echo "not ok - $name: crashed (see build/test-logs/$name.log)"
	done
}

run_cli() {
	if [ -x tests/cli/run.sh ]; then
		tests/cli/run.sh; tests/cli/top.sh
	else
		echo "not ok - cli: tests/cli/run.sh missing"
	fi
	tests/cli/socket.sh # notifierd's client socket, then a bounded fuzz run of its protocol
	tests/cli/synthetic-daemon.sh # notifierd --synthetic, read by notifier-top
	tests/cli/daemon-args.sh # notifierd's path arguments: a --pin-dir too long is refused
	tests/cli/host-kernel.sh # what this machine's kernel allows, on a real KVM process
}

run_vm() {
	# The test bed itself (smoke, test module selftest, GPU modules), then
	# the spine on 6.1 and, with the same binaries, on 6.12.
	tests/vm/check.sh | grep -E '^(ok|not ok|skip) '
	tests/vm/spine-test.sh "$top/build/vm/spine"
	tests/vm/drivers-test.sh "$top/build/vm/drivers" # notifier probe with i915, amdgpu, nouveau
	tests/vm/top-test.sh "$top/build/vm/top" # notifier-top's counts during the workloads
	NTF_VM_KERNEL=6.12 tests/vm/spine-test.sh "$top/build/vm/spine-6.12"
	NTF_VM_KERNEL=6.12 tests/vm/drivers-test.sh "$top/build/vm/drivers-6.12" # xe, amdgpu_hmm_*
}

results=$log/results.txt
: >"$results"
for s in "${suites[@]}"; do
	case $s in
	unit | cli | vm) ;;
	*) echo "run-all: unknown suite '$s' (unit, cli, vm)" >&2; exit 2 ;;
	esac
	echo "=== $s" >&2
	"run_$s" 2>"$log/$s.stderr" | tee -a "$results"
done

passed=$(grep -c '^ok - ' "$results")
failed=$(grep -c '^not ok - ' "$results")
skipped=$(grep -c '^skip - ' "$results")
if [ "$failed" -gt 0 ]; then
	echo
	echo "failures:"
	grep '^not ok - ' "$results"
	echo "(logs in build/test-logs)"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
