#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# notifier-top's cost as deployed: notifierd aggregates the events (here
# synthetic ones: 10,000 (process, driver) keys, 20,000 events/s) and
# the view only receives a snapshot and then deltas over the socket,
# refreshing every second. Measured in batch mode (-b, text to /dev/null):
# the same feed, model and query every interval as the full-screen view,
# which only draws with curses instead of printing (tests/cli/top.sh drives
# that one under tmux). Every 10 s it samples the CPU time both processes
# used (utime + stime from /proc/PID/stat) and their resident memory; the
# first couple of seconds (connection, first snapshot) are left out.
#
# Prints the view's and the daemon's CPU as a share of one core, the
# daemon's RSS at the first sample and, once every key exists (the 70,000
# class x pair entries all appear within about a minute at 20,000
# events/s), its first, min, max and last, and the slope of a
# least-squares line through it over the last half of the run. A
# benchmark, not a test: it reports, it does not judge.
#
# Usage: tests/bench/daemon_bench.sh [SECONDS]   (default 600; after make)
# KEYS, RATE, MAX_KEYS (notifierd -K), EVERY (seconds between samples),
# FILLED (seconds until every key exists, default 60) and BUILD (the
# directory of notifierd and notifier-top) override the defaults.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build}
secs=${1:-600}
keys=${KEYS:-10000}
rate=${RATE:-20000}
# 7 classes x 10,000 pairs are over the default 65536 keys: no folding into "other"
max_keys=${MAX_KEYS:-131072}
every=${EVERY:-10}
filled=${FILLED:-60}
warmup=2
hz=$(getconf CLK_TCK)

for bin in notifierd notifier-top; do
	[ -x "$build/$bin" ] || { echo "daemon_bench: $build/$bin not built (run make)" >&2; exit 1; }
done
[ "$secs" -ge $((warmup + 2 * every)) ] ||
	{ echo "daemon_bench: $secs s is too short (at least $((warmup + 2 * every)))" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ntf-dbench.XXXXXX")
dpid= vpid=
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	[ -n "$vpid" ] && kill "$vpid" 2>/dev/null
	[ -n "$dpid" ] && kill "$dpid" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# utime + stime in ticks: fields 14 and 15, counted after the ")" that ends comm
ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
now_ms() { date +%s%3N; }
alive() {
	kill -0 "$dpid" 2>/dev/null || { echo "daemon_bench: notifierd died: $(cat "$tmp/d.err")" >&2; exit 1; }
	kill -0 "$vpid" 2>/dev/null || { echo "daemon_bench: notifier-top died: $(cat "$tmp/v.err")" >&2; exit 1; }
}

"$build/notifierd" --synthetic --keys "$keys" --rate "$rate" -K "$max_keys" \
	--socket "$tmp/d.sock" -q >/dev/null 2>"$tmp/d.err" &
dpid=$!
for _ in $(seq 100); do
	[ -S "$tmp/d.sock" ] && break
	sleep 0.1
done
"$build/notifier-top" -b -d 1 --socket "$tmp/d.sock" >/dev/null 2>"$tmp/v.err" &
vpid=$!
start=$(now_ms)

echo "notifierd --synthetic --keys $keys --rate $rate -K $max_keys; notifier-top -b -d 1 on its socket; $secs s"
printf '  %6s  %8s  %8s  %10s  %10s\n' "t (s)" "view cpu" "dmn cpu" "dmn rss" "view rss"
sleep "$warmup"
alive
# t ms, view ticks, daemon ticks, daemon rss KiB, view rss KiB
sample() { echo "$(($(now_ms) - start)) $(ticks "$vpid") $(ticks "$dpid") $(rss_kb "$dpid") $(rss_kb "$vpid")"; }
sample >"$tmp/samples"
for ((k = 1; ; k++)); do
	due=$((warmup * 1000 + k * every * 1000))
	[ "$due" -le $((secs * 1000)) ] || break
	left=$((due - ($(now_ms) - start)))
	[ "$left" -le 0 ] || sleep "$(awk -v ms="$left" 'BEGIN { printf "%.3f", ms / 1000 }')"
	alive
	sample >>"$tmp/samples"
	tail -n 2 "$tmp/samples" | awk -v hz="$hz" '
		NR == 1 { t = $1; v = $2; d = $3 }
		NR == 2 { s = ($1 - t) / 1000
			printf "  %6.0f  %7.2f%%  %7.2f%%  %6.1f MiB  %6.1f MiB\n", $1 / 1000,
				100 * ($2 - v) / hz / s, 100 * ($3 - d) / hz / s, $4 / 1024, $5 / 1024 }'
done

awk -v hz="$hz" -v secs="$secs" -v filled="$filled" '
	{ t[NR] = $1 / 1000; v[NR] = $2; d[NR] = $3; r[NR] = $4; w[NR] = $5 }
	END {
		n = NR; s = t[n] - t[1]
		# the daemon once every key exists: from the first sample at or after filled
		for (f = 1; f < n && t[f] < filled; f++)
			;
		min = max = r[f]
		for (i = f + 1; i <= n; i++) { if (r[i] < min) min = r[i]; if (r[i] > max) max = r[i] }
		# least squares over the samples of the last half of the run
		for (i = 1; i <= n; i++)
			if (t[i] >= secs / 2) { m++; st += t[i]; sr += r[i] }
		for (i = 1; i <= n; i++)
			if (t[i] >= secs / 2) {
				stt += (t[i] - st / m) ^ 2; str += (t[i] - st / m) * (r[i] - sr / m)
			}
		printf "over %.0f s (from %.0f s to %.0f s), %d samples:\n", s, t[1], t[n], n
		sf = t[n] - t[f]
		printf "  notifier-top  cpu %.2f%% of a core (%d ticks), %.2f%% from %.0f s; rss %.1f MiB first, %.1f MiB last\n",
			100 * (v[n] - v[1]) / hz / s, v[n] - v[1], sf ? 100 * (v[n] - v[f]) / hz / sf : 0,
			t[f], w[1] / 1024, w[n] / 1024
		printf "  notifierd     cpu %.2f%% of a core (%d ticks), %.2f%% from %.0f s\n",
			100 * (d[n] - d[1]) / hz / s, d[n] - d[1], sf ? 100 * (d[n] - d[f]) / hz / sf : 0, t[f]
		printf "  notifierd rss %d KiB at %.0f s; from %.0f s: first %d KiB, min %d, max %d, last %d\n",
			r[1], t[1], t[f], r[f], min, max, r[n]
		if (m >= 2 && stt > 0)
			printf "  notifierd rss slope %+.1f KiB/min over the last half (%d samples from %.0f s)\n",
				60 * str / stt, m, secs / 2
	}' "$tmp/samples"
