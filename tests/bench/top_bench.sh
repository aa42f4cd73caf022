#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# notifier-top's own cost at scale: batch mode on the synthetic feed with
# 10,000 (process, driver) keys, refreshing every second for a minute.
# Prints the CPU it used as a share of one core (utime + stime from
# /proc/PID/stat) and its resident memory after the first refresh and at
# the end. A benchmark, not a test: it reports, it does not judge.
#
# Usage: tests/bench/top_bench.sh [SECONDS]   (default 60; after make)
# KEYS, RATE and NOTIFIER_TOP override the keys, events/s and binary.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${NOTIFIER_TOP:-$top/build/notifier-top}
secs=${1:-60}
keys=${KEYS:-10000}
rate=${RATE:-20000}
hz=$(getconf CLK_TCK)

[ -x "$bin" ] || { echo "top_bench: $bin not built (run make)" >&2; exit 1; }

# utime + stime in ticks: fields 14 and 15, counted after the ")" that ends comm
ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
now_ms() { date +%s%3N; }

"$bin" -b --synthetic --keys "$keys" --rate "$rate" -d 1 -n "$secs" >/dev/null &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT

# "start": once the first interval is in, the aggregate has its first keys
sleep 1.2
t0=$(ticks "$pid")
ms0=$(now_ms)
rss0=$(rss_kb "$pid")
sleep $((secs - 2))
t1=$(ticks "$pid")
ms1=$(now_ms)
rss1=$(rss_kb "$pid")
wait "$pid"
trap - EXIT

awk -v t="$((t1 - t0))" -v hz="$hz" -v ms="$((ms1 - ms0))" -v r0="$rss0" -v r1="$rss1" \
    -v keys="$keys" -v rate="$rate" -v secs="$secs" 'BEGIN {
	printf "notifier-top -b --synthetic --keys %d --rate %d -d 1, %d s\n", keys, rate, secs
	printf "  cpu   %.1f%% of a core (%d ticks in %.1f s)\n", 100 * t / hz / (ms / 1000), t,
		ms / 1000
	printf "  rss   %.1f MiB at start, %.1f MiB at the end\n", r0 / 1024, r1 / 1024
}'
