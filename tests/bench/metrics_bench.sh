#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The daemon's CPU per scrape of notifierd --metrics at about 10,000
# histogram series: a synthetic daemon with per-process labels (its event
# load running all the while), scraped SCRAPES times in a row in each
# exposition, ROUNDS rounds. The daemon's CPU time (/proc/PID/schedstat,
# in ns; utime + stime of /proc/PID/stat where there is none) is read
# around each batch and around an idle stretch of the batch's own length
# right after it: a scrape costs (batch - idle) / SCRAPES. Prints every
# round, then the medians side by side with the idle daemon's. A
# benchmark: nothing here passes or fails on time.
#
# Usage: tests/bench/metrics_bench.sh [KEYS] [SCRAPES] [ROUNDS]   (after make)
# NOTIFIERD overrides the binary (another build's, to compare).
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
NOTIFIERD=${NOTIFIERD:-$top/build/notifierd}
keys=${1:-1430} # x 7 classes: 10,010 (class, callback, process) series
scrapes=${2:-20}
rounds=${3:-5}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port/metrics"
pb='application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3'
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ntf-mbench.XXXXXX")

"$NOTIFIERD" --synthetic=3 --keys "$keys" --rate 20000 --no-socket -q \
	--metrics "127.0.0.1:$port" --metrics-per-process=100000 >/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT

# The daemon's CPU time so far, in ns.
if [ -r "/proc/$pid/schedstat" ]; then
	cpu() { awk '{ print $1 }' "/proc/$pid/schedstat"; }
	clock="schedstat"
else
	tck=$(getconf CLK_TCK)
	cpu() { awk -v tck="$tck" '{ printf "%.0f\n", ($14 + $15) * 1e9 / tck }' "/proc/$pid/stat"; }
	clock="utime+stime, 1/$tck s"
fi
now() { date +%s%N; }

sleep 15 # every series filled
series=$(curl -s "$url" | grep -c '^notifier_failures_total{')
echo "histogram series (class, callback, process): $series; $scrapes scrapes a batch," \
	"$rounds rounds, daemon CPU by $clock"

# round ACCEPT NAME: one batch and its idle twin; appends to $tmp/NAME.
round() {
	local accept=$1 name=$2 c0 c1 c2 t0 t1 bytes

	c0=$(cpu)
	t0=$(now)
	for _ in $(seq "$scrapes"); do
		bytes=$(curl -s -H "Accept: $accept" -o /dev/null -w '%{size_download}' "$url")
	done
	t1=$(now)
	c1=$(cpu)
	sleep "$(awk -v d=$((t1 - t0)) 'BEGIN { printf "%.3f", d / 1e9 }')"
	c2=$(cpu)
	awk -v busy=$((c1 - c0)) -v idle=$((c2 - c1)) -v n="$scrapes" -v wall=$((t1 - t0)) \
		-v bytes="$bytes" -v name="$name" 'BEGIN {
		printf "%.2f %.2f %d\n", (busy - idle) / n / 1e6, idle / n / 1e6, bytes
		printf "  %-8s %9d bytes, %7.2f ms CPU a scrape (batch %.0f ms CPU in %.0f ms, idle %.0f ms)\n",
			name, bytes, (busy - idle) / n / 1e6, busy / 1e6, wall / 1e6, idle / 1e6 > "/dev/stderr"
	}' >>"$tmp/$name"
}

for r in $(seq "$rounds"); do
	echo "round $r:"
	round "$pb" protobuf
	round "text/plain" text
done 2>&1

# median FILE COLUMN
median() { awk -v c="$2" '{ print $c }' "$1" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo "median of $rounds rounds, ms of daemon CPU a scrape at $series series:"
printf '  %-10s %10s %14s %12s\n' exposition bytes "scrape CPU ms" "idle CPU ms"
for name in protobuf text; do
	printf '  %-10s %10s %14s %12s\n' "$name" "$(median "$tmp/$name" 3)" \
		"$(median "$tmp/$name" 1)" "$(median "$tmp/$name" 2)"
done
echo "(idle: the daemon's own CPU, its event load, over as long as a scrape took; already subtracted)"
