#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The aggregate's update cost an event, as it is and as it was: builds
# an older tree of this repository (by default bd1aba0, the last whose
# aggregate kept log2 slots only, before fine buckets) in a temporary
# worktree, builds tests/bench/bench_update.c against it and against
# this tree, and times both on the same events, interleaved (which goes
# first alternates), one CPU. Prints, for each process count, the known
# keys' ns an event (min, median, max of the runs) of both and the
# median of the runs' ratios, now over before; with --ir, callgrind's
# instructions an event of a known-keys pass too (the same on any host).
#
# Usage: tests/bench/bench_before.sh [--rev REV] [--runs N] [--ir] [PROCESSES ...]
#   PROCESSES default 10 1000 (about 7 keys each); runs 5
# Exit 0 with every figure; 1 when a build or run failed; 3, with one
# line, when this clone lacks REV (a shallow clone).
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
rev=bd1aba0
runs=5
ir=0
procs=()
die() {
	echo "bench_before: $*" >&2
	exit 1
}
while [ $# -gt 0 ]; do
	case $1 in
	--rev) rev=${2:?--rev needs a commit}; shift ;;
	--runs) runs=${2:?--runs needs a count}; shift ;;
	--ir) ir=1 ;;
	-*) die "unknown option '$1'" ;;
	*) procs+=("$1") ;;
	esac
	shift
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive number, not '$runs'"
[ ${#procs[@]} -gt 0 ] || procs=(10 1000)
for p in "${procs[@]}"; do
	[[ $p =~ ^[1-9][0-9]*$ ]] || die "processes must be positive numbers, not '$p'"
done
if ! git -C "$top" cat-file -e "$rev^{commit}" 2>/dev/null; then
	echo "bench_before: this clone has no commit $rev (a shallow clone?): nothing to compare with" >&2
	exit 3
fi
[ $ir = 0 ] || command -v valgrind >/dev/null || die "--ir needs valgrind"

work=$(mktemp -d)
cleanup() {
	git -C "$top" worktree remove --force "$work/tree" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
git -C "$top" worktree add --detach -q "$work/tree" "$rev" || die "cannot check $rev out"
make -s -C "$work/tree" build/libnotifier.a >"$work/build.log" 2>&1 ||
	die "building $rev failed: $(tail -3 "$work/build.log")"
make -s -C "$top" build/libnotifier.a || die "building this tree failed"

# bench_update.c against a tree's headers and library, as tests/bench/Makefile builds
build_against() { # tree out
	local inc=(-I"$1/bpf" -I"$1/user" -I"$1/build")
	local d
	for d in "$1"/user/*/; do inc+=(-I"$d"); done
	cc -O2 -g -Wall -Wextra -std=gnu11 "${inc[@]}" "$top/tests/bench/bench_update.c" \
		"$1/build/libnotifier.a" -lbpf -lelf -lz -ljansson -lm -lzstd -lmicrohttpd \
		-lprotobuf-c -o "$2" 2>>"$work/build.log" || die "bench_update against $1: $(tail -3 "$work/build.log")"
}
build_against "$work/tree" "$work/before"
build_against "$top" "$work/now"

cpu=$(($(nproc) - 1))
known() { # binary processes
	local ns
	ns=$(taskset -c $cpu "$1" "$2" 5 | awk '/^known keys/ { print $3 }')
	[ -n "$ns" ] || die "$1 $2 gave no figure"
	echo "$ns"
}
# min median max of numbers, one a line
spread() {
	sort -g | awk '{ v[NR] = $1 } END { printf "%.2f %.2f %.2f", v[1], (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2), v[NR] }'
}
ir_of() { # binary processes: instructions an event of the last known-keys pass
	local f
	valgrind --tool=callgrind --callgrind-out-file="$work/cg.%p" --toggle-collect=add_all \
		--dump-after=add_all "$1" "$2" 1 >/dev/null 2>&1 || die "callgrind of $1 failed"
	f=$(ls -v "$work"/cg.* | tail -1)
	awk '/^totals:/ { printf "%.1f", $2 / 1048576 }' "$f"
	rm -f "$work"/cg.*
}

echo "the aggregate's update, ns an event of known keys (tests/bench/bench_update.c), $runs runs interleaved"
echo "before: $rev $(git -C "$top" log -1 --format=%cs "$rev"); now: $(git -C "$top" rev-parse --short HEAD)$(git -C "$top" diff --quiet HEAD -- user bpf || echo ' with changes')"
printf '%-10s %-24s %-24s %s\n' processes "before min/median/max" "now min/median/max" "now/before (median of runs)"
for p in "${procs[@]}"; do
	: >"$work/b" && : >"$work/n" && : >"$work/r"
	for ((i = 0; i < runs; i++)); do
		if ((i % 2)); then
			n=$(known "$work/now" "$p")
			b=$(known "$work/before" "$p")
		else
			b=$(known "$work/before" "$p")
			n=$(known "$work/now" "$p")
		fi
		echo "$b" >>"$work/b"
		echo "$n" >>"$work/n"
		awk -v b="$b" -v n="$n" 'BEGIN { printf "%.3f\n", n / b }' >>"$work/r"
	done
	printf '%-10s %-24s %-24s %.2f\n' "$p" "$(spread <"$work/b")" "$(spread <"$work/n")" \
		"$(spread <"$work/r" | awk '{ print $2 }')"
	if [ $ir = 1 ]; then
		bi=$(ir_of "$work/before" "$p")
		ni=$(ir_of "$work/now" "$p")
		awk -v b="$bi" -v n="$ni" 'BEGIN { printf "%-10s instructions an event: before %.1f, now %.1f, %.2f\n", "", b, n, n / b }'
	fi
done
