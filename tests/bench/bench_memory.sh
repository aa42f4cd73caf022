#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Memory of the programs that hold aggregates: notifierd and notifier-top,
# fed synthetic events (every class, as many processes as asked) at
# 400,000 events/s until their tables stop growing, then their resident
# set read from /proc. Keys are the aggregate's entries (class, driver
# callback, process), counted from notifierd's own summary; the synthetic
# source makes about seven per (process, driver) pair it is given.
#
# Usage: tests/bench/bench_memory.sh BUILD_DIR [SECONDS]
set -euo pipefail

build=${1:?usage: bench_memory.sh BUILD_DIR [SECONDS]}
secs=${2:-20}
rate=400000
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# rss_at PID SECS: VmRSS in KiB after SECS, or nothing if it died
rss_at() {
	sleep "$2"
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || true
}

printf '%-12s %10s %10s %10s %12s\n' program pairs keys 'RSS MiB' 'B per key'
for pairs in 1430 14300; do
	"$build/notifierd" --synthetic --keys $pairs --rate $rate -d $((secs + 3)) --no-socket \
		-j >"$tmp/d.json" 2>"$tmp/d.err" &
	pid=$!
	rss=$(rss_at $pid "$secs")
	wait $pid || { cat "$tmp/d.err" >&2; exit 1; }
	keys=$(grep '^{' "$tmp/d.json" | tail -n1 | jq '(.processes | length)')
	[ -n "$rss" ] && [ "${keys:-0}" -gt 0 ] || { echo "notifierd gave no figure" >&2; exit 1; }
	awk -v p=$pairs -v k="$keys" -v r="$rss" 'BEGIN {
		printf "%-12s %10d %10d %10.1f %12.0f\n", "notifierd", p, k, r / 1024, r * 1024 / k }'
	"$build/notifier-top" --synthetic --keys $pairs --rate $rate -b -r 1 -d 1 \
		-n $((secs + 3)) >"$tmp/t.out" 2>"$tmp/t.err" &
	pid=$!
	rss=$(rss_at $pid "$secs")
	wait $pid || { cat "$tmp/t.err" >&2; exit 1; }
	[ -n "$rss" ] || { echo "notifier-top gave no figure" >&2; exit 1; }
	# the same source and seed: as many keys as notifierd held
	awk -v p=$pairs -v k="$keys" -v r="$rss" 'BEGIN {
		printf "%-12s %10d %10d %10.1f %12.0f\n", "notifier-top", p, k, r / 1024, r * 1024 / k }'
done
echo "targets: notifierd at most 48 MiB at 100,000 keys; notifier-top at most 64 MiB"
