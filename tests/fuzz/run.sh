#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# A bounded run of each libFuzzer harness (make fuzz): seeds its corpus,
# fuzzes for NTF_FUZZ_SECS seconds (default 60) and prints one line per
# harness, "ok - fuzz NAME: ..." when it found nothing, or "not ok" with
# the reproducer it saved. The corpus stays under build/fuzz, so coverage
# grows from one run to the next.

set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
secs=${NTF_FUZZ_SECS:-60}
out=$top/build/fuzz

if ! command -v "${CLANG:-clang}" >/dev/null 2>&1; then
	echo "skip - fuzz: clang not installed"
	exit 0
fi
mkdir -p "$out"
if ! make -s -C "$top" fuzz >"$out/build.log" 2>&1; then
	echo "not ok - fuzz: make fuzz failed: $(grep -m1 -E 'error|undefined' "$out/build.log")"
	exit 1
fi

rc=0
for bin in "$out"/fuzz_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	corpus=$out/corpus/$name
	log=$out/$name.log
	mkdir -p "$corpus"
	# Harnesses that can write seeds do it with NTF_FUZZ_SEEDS set, then exit.
	NTF_FUZZ_SEEDS=$corpus "$bin" >/dev/null 2>&1
	timeout -k 10 $((secs + 120)) "$bin" -max_total_time="$secs" -timeout=10 \
		-print_final_stats=1 -artifact_prefix="$out/$name-" "$corpus" >"$log" 2>&1
	status=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1)
	if [ "$status" = 0 ] && [ -n "$execs" ]; then
		echo "ok - $name: ${secs} s, $execs inputs, ${cov:-no coverage line}, nothing found"
	else
		art=$(grep -oE "Test unit written to [^ ]+" "$log" | tail -n 1)
		echo "not ok - $name: exit $status; ${art:-no reproducer} (log: $log)"
		rc=1
	fi
done
exit $rc
