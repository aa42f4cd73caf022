#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Benchmarks, reported as ratios against a baseline run side by side:
#  1. host: decoding + aggregating events (synthetic) vs copying them;
#     one callback-discovery pass, with this machine's processes and
#     with 2000 more; the trace file's writer and reader (events/s on one
#     core, bytes an event) vs write() of the raw records; the CTF export;
#  2. VM: a KVM madvise loop untraced vs under notifier hist (histograms
#     only) vs under notifierd (streaming); plus events streamed vs calls.
# Timings in the VM are an emulator's: only the ratios mean anything.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/vm/lib.sh"
out=${1:-$top/build/bench}
rm -rf "$out"
mkdir -p "$out"

make -s -C "$top" all static
make -s -C "$top/tests/bench" OUT="$top/build/bench-bin"
echo "== host: decode + aggregate"
"$top/build/bench-bin/bench_pipeline"
echo "== host: one callback-discovery pass"
"$top/build/bench-bin/bench_discovery"
echo "== host: the trace file, written and read, against write() of the raw records"
"$top/build/bench-bin/bench_record" 2000000 "$out"
echo "== host: notifier report --ctf, events into a CTF trace"
"$top/build/bench-bin/bench_ctf" 2000000 "$out"

make -s -C "$top/tests/workloads" OUT="$top/build/workloads"
"$top/tests/vm/run-vm.sh" --scenario "$top/tests/bench/vm-bench.sh" --out "$out" \
	--timeout 1500 --file "$top/build/static/notifier" --file "$top/build/static/notifierd" \
	--file "$top/build/workloads/wl-kvm" >"$out/run-vm.log" 2>&1 ||
	die "VM benchmark failed; see $out/run-vm.log"

echo "== VM: KVM madvise loop, 2000 calls a run, median of the rounds"
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
for mode in none hist stream; do
	for f in "$out"/bench-$mode-*.json; do
		case $f in *.trace.json) continue ;; esac
		jq -r .elapsed_ns "$f"
	done | median >"$out/$mode.median"
done
none=$(cat "$out/none.median")
hist=$(cat "$out/hist.median")
stream=$(cat "$out/stream.median")
for v in "$none" "$hist" "$stream"; do
	[[ $v =~ ^[0-9]+$ ]] && [ "$v" -gt 0 ] || die "a run reported no time; see $out"
done
awk -v n="$none" -v h="$hist" -v s="$stream" 'BEGIN {
	printf "untraced          %12d ns  1.000\n", n
	printf "notifier hist     %12d ns  %.3f  (+%.1f%%)\n", h, h / n, (h / n - 1) * 100
	printf "notifierd stream  %12d ns  %.3f  (+%.1f%%)\n", s, s / n, (s / n - 1) * 100
}'
drops=0
for f in "$out"/bench-stream-*.trace.json; do
	d=$(grep '^{' "$f" | tail -n1 | jq '.counters.ringbuf_drops')
	drops=$((drops + d))
done
echo "ring buffer drops over all streaming rounds: $drops"
streamed=0
for f in "$out"/bench-stream-*.trace.json; do
	n=$(grep '^{' "$f" | tail -n1 | jq '.classes.inval_start.count')
	streamed=$((streamed + n))
done
echo "inval_start events streamed: $streamed for $(ls "$out"/bench-stream-*.trace.json | wc -l) runs of 2000 calls (+1 each: the exit's own)"
