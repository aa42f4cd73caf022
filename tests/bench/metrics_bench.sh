#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The daemon's CPU per scrape of notifierd --metrics at about 10,000
# histogram series: a synthetic daemon with per-process labels, whose
# CPU time (utime + stime, /proc) is read around SCRAPES scrapes of each
# exposition, less what it spends in as long without scrapes.
#
# Usage: tests/bench/metrics_bench.sh [KEYS] [SCRAPES]   (after make)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
keys=${1:-1430} # x 7 classes: 10,010 (class, callback, process) series
scrapes=${2:-20}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port/metrics"
pb='application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3'
tck=$(getconf CLK_TCK)

"$top/build/notifierd" --synthetic=3 --keys "$keys" --rate 20000 --no-socket -q \
	--metrics "127.0.0.1:$port" --metrics-per-process=100000 >/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null' EXIT
cpu() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
sleep 15 # every series filled
series=$(curl -s "$url" | grep -c '^notifier_failures_total{')
echo "histogram series (class, callback, process): $series"

measure() {
	local accept=$1 c0 c1 b0 b1 t0 t1 bytes

	b0=$(cpu)
	sleep 3
	b1=$(cpu)
	c0=$(cpu)
	t0=$(date +%s.%N)
	for _ in $(seq "$scrapes"); do
		bytes=$(curl -s -H "Accept: $accept" -o /dev/null -w '%{size_download}' "$url")
	done
	t1=$(date +%s.%N)
	c1=$(cpu)
	awk -v c="$((c1 - c0))" -v b="$((b1 - b0))" -v t0="$t0" -v t1="$t1" -v n="$scrapes" \
		-v tck="$tck" -v bytes="$bytes" -v what="$2" 'BEGIN {
		wall = t1 - t0; idle = b / tck / 3 * wall; per = (c / tck - idle) / n * 1000
		printf "%s: %d bytes a scrape, %.1f ms of daemon CPU a scrape (%d scrapes in %.2f s; %.1f ms of it the event load)\n",
			what, bytes, per, n, wall, idle * 1000 }'
}
measure "$pb" protobuf
measure "text/plain" text
