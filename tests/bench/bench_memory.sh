#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Memory of the programs that hold aggregates: notifierd and notifier-top,
# fed synthetic events (every class, as many processes as asked) at
# 400,000 events/s until their tables stop growing, then their resident
# set read from /proc. Keys are the aggregate's entries (class, driver
# callback, process), counted from notifierd's own summary; the synthetic
# source makes about seven per (process, driver) pair it is given.
# Then the way production runs it: notifier-top fed by notifierd over its
# socket, both read SECONDS after notifier-top holds every key (the daemon
# at 100,000 events/s, as at 400,000 serving 100,000 keys takes it a whole
# core).
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

# rss_when_full KEYS DAEMON_PID TOP_PID OUT: both RSS in KiB, secs after the
# view's last interval showed KEYS keys (or 120 s), or nothing if one died
rss_when_full() {
	for _ in $(seq 240); do
		grep -q "keys $1\$" "$4" 2>/dev/null && break
		sleep 0.5
	done
	sleep "$secs"
	echo "$(awk '/^VmRSS:/ { print $2 }' "/proc/$2/status" 2>/dev/null)" \
		"$(awk '/^VmRSS:/ { print $2 }' "/proc/$3/status" 2>/dev/null)"
}

row() { # PROGRAM PAIRS KEYS RSS_KIB
	awk -v n="$1" -v p=$2 -v k="$3" -v r="$4" 'BEGIN {
		printf "%-22s %10d %10d %10.1f %12.0f\n", n, p, k, r / 1024, r * 1024 / k }'
}

printf '%-22s %10s %10s %10s %12s\n' program pairs keys 'RSS MiB' 'B per key'
for pairs in 1430 14300; do
	"$build/notifierd" --synthetic --keys $pairs --rate $rate -d $((secs + 3)) --no-socket \
		-j >"$tmp/d.json" 2>"$tmp/d.err" &
	pid=$!
	rss=$(rss_at $pid "$secs")
	wait $pid || { cat "$tmp/d.err" >&2; exit 1; }
	keys=$(grep '^{' "$tmp/d.json" | tail -n1 | jq '(.processes | length)')
	[ -n "$rss" ] && [ "${keys:-0}" -gt 0 ] || { echo "notifierd gave no figure" >&2; exit 1; }
	row notifierd $pairs "$keys" "$rss"
	"$build/notifier-top" --synthetic --keys $pairs --rate $rate -b -r 1 -d 1 \
		-n $((secs + 3)) >"$tmp/t.out" 2>"$tmp/t.err" &
	pid=$!
	rss=$(rss_at $pid "$secs")
	wait $pid || { cat "$tmp/t.err" >&2; exit 1; }
	[ -n "$rss" ] || { echo "notifier-top gave no figure" >&2; exit 1; }
	# the same source and seed: as many keys as notifierd held
	row notifier-top $pairs "$keys" "$rss"

	"$build/notifierd" --synthetic --keys $pairs --rate 100000 -d $((secs + 150)) \
		--socket "$tmp/d.sock" >/dev/null 2>"$tmp/d.err" &
	dpid=$!
	for _ in $(seq 100); do [ -S "$tmp/d.sock" ] && break; sleep 0.1; done
	"$build/notifier-top" --socket "$tmp/d.sock" -b -r 1 -d 1 -n $((secs + 150)) >"$tmp/t.out" 2>"$tmp/t.err" &
	tpid=$!
	read -r drss trss < <(rss_when_full "$keys" $dpid $tpid "$tmp/t.out")
	kill $tpid $dpid 2>/dev/null || true
	wait $tpid $dpid 2>/dev/null || true
	grep -q "keys $keys\$" "$tmp/t.out" && [ -n "$drss" ] && [ -n "$trss" ] ||
		{ cat "$tmp/d.err" "$tmp/t.err" >&2; echo "notifier-top never held the daemon's $keys keys" >&2; exit 1; }
	row "notifierd (one client)" $pairs "$keys" "$drss"
	row "notifier-top (daemon)" $pairs "$keys" "$trss"
done
echo "targets: notifierd at most 48 MiB at 100,000 keys; notifier-top at most 64 MiB"
