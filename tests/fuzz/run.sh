#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# A bounded run of each libFuzzer harness (make fuzz): seeds its corpus,
# fuzzes for NTF_FUZZ_SECS seconds (default 30; 15 for fuzz_record, 10
# for fuzz_rules: a smoke run in the suite, longer ones by hand) and
# prints one line per
# harness, "ok - fuzz_NAME: ..." when it found nothing, or "not ok" with
# the reproducer it saved (tests/lib/tap.sh). The corpus stays under
# build/fuzz, so coverage grows from one run to the next.

set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/tap.sh"
secs=${NTF_FUZZ_SECS:-30}
out=$top/build/fuzz

# One check per harness make fuzz builds: one per tests/fuzz/fuzz_*.c.
shopt -s nullglob
srcs=("$top"/tests/fuzz/fuzz_*.c)
plan ${#srcs[@]}

command -v "${CLANG:-clang}" >/dev/null 2>&1 || skip_rest "fuzz" "clang not installed"
mkdir -p "$out"
if ! make -s -j"$(nproc)" -C "$top" fuzz >"$out/build.log" 2>&1; then
	fail "fuzz" "make fuzz failed: $(grep -m1 -E 'error|undefined' "$out/build.log")"
	skip_rest "fuzz" "no harnesses built"
fi

for src in "${srcs[@]}"; do
	name=$(basename "$src" .c)
	bin=$out/$name
	if [ ! -x "$bin" ]; then
		fail "$name" "make fuzz did not build $bin"
		continue
	fi
	corpus=$out/corpus/$name
	log=$out/$name.log
	# the trace file's reader is small: half the time is enough
	case $name in
	fuzz_record) secs=${NTF_FUZZ_SECS:-15} ;;
	fuzz_rules) secs=${NTF_FUZZ_SECS:-10} ;;
	*) secs=${NTF_FUZZ_SECS:-30} ;;
	esac
	mkdir -p "$corpus"
	# Harnesses that can write seeds do it with NTF_FUZZ_SEEDS set, then exit.
	NTF_FUZZ_SEEDS=$corpus "$bin" >/dev/null 2>&1
	timeout -k 10 $((secs + 120)) "$bin" -max_total_time="$secs" -timeout=10 \
		-print_final_stats=1 -artifact_prefix="$out/$name-" "$corpus" >"$log" 2>&1
	status=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1)
	if [ "$status" = 0 ] && [ -n "$execs" ]; then
		pass "$name: ${secs} s, $execs inputs, ${cov:-no coverage line}, nothing found"
	else
		art=$(grep -oE "Test unit written to [^ ]+" "$log" | tail -n 1)
		fail "$name" "exit $status; ${art:-no reproducer} (log: $log)"
	fi
done
tap_done
