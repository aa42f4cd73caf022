#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# notifierd --synthetic: its bad input, then a daemon of generated events
# on a socket of our own, read by notifier-top as it reads a real one; no
# root needed (as root, the daemon also runs as nobody once). One line
# per check: "ok - NAME", "not ok - NAME: why" or "skip - NAME: why"
# (tests/lib/tap.sh).
#
# Usage: tests/cli/synthetic-daemon.sh     (after make)
# NOTIFIERD / NOTIFIER_TOP override the binaries.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/tap.sh"
NOTIFIERD=${NOTIFIERD:-$top/build/notifierd}
NOTIFIER_TOP=${NOTIFIER_TOP:-$top/build/notifier-top}
NTF_TAP_PREFIX="synthetic daemon: "
plan 43

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ntf-synth.XXXXXX") || exit 1
daemon_pid=
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	[ -n "$daemon_pid" ] && kill -KILL "$daemon_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

for bin in "$NOTIFIERD" "$NOTIFIER_TOP"; do
	[ -x "$bin" ] || { fail "binaries" "$bin not built (run make)"; skip_rest "the rest" "no binaries"; }
done
command -v jq >/dev/null 2>&1 || skip_rest "all" "jq not installed"

# run SECS CMD...: sets rc, $tmp/out and $tmp/err.
run() {
	local secs=$1

	shift
	timeout -k 5 "$secs" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}
# jq_true ARGS...: jq -e's verdict as an exit status, its output kept out of the test lines.
jq_true() { jq -e "$@" >/dev/null 2>&1; }
# one_line_naming WANT: stderr is one line, naming WANT and pointing to --help; no stdout.
one_line_naming() {
	[ "$(wc -l <"$tmp/err")" = 1 ] && grep -qF -- "$1" "$tmp/err" &&
		grep -qF -- "--help" "$tmp/err" && [ ! -s "$tmp/out" ]
}

# --- bad input: exit 2 and one line that names the problem ---

usage_error() {
	local name=$1 want=$2

	shift 2
	run 10 "$NOTIFIERD" "$@"
	check_eq "$name: exit 2" "$rc" 2
	check "$name: says '$want'" "stderr: $(tr '\n' '|' <"$tmp/err")" one_line_naming "$want"
}
usage_error "--keys without --synthetic" "--keys needs --synthetic" --keys 5
usage_error "--rate without --synthetic" "--rate needs --synthetic" --rate 5
usage_error "--keys 0" "--keys: 0" --synthetic --keys 0
usage_error "--keys too many" "--keys: 2000000" --synthetic --keys 2000000
usage_error "--rate 0" "--rate: 0" --synthetic --rate 0
usage_error "--synthetic=abc" "'abc'" --synthetic=abc
usage_error "--synthetic -H" "-H does not apply to --synthetic" --synthetic -H
usage_error "--synthetic --pin-dir" "--pin-dir does not apply to --synthetic" \
	--synthetic --pin-dir "$tmp/pins"

# --- a synthetic daemon read by notifier-top ---

keys=300
sock=$tmp/d.sock
"$NOTIFIERD" --synthetic=7 --keys "$keys" --socket "$sock" -S -j \
	>"$tmp/d.out" 2>"$tmp/d.err" &
daemon_pid=$!
for _ in $(seq 100); do
	[ -S "$sock" ] || ! kill -0 "$daemon_pid" 2>/dev/null && break
	sleep 0.1
done
check "serves its socket" "no socket at $sock; $(head -n 1 "$tmp/d.err")" test -S "$sock"

run 30 "$NOTIFIER_TOP" -j -n 2 -d 1 -r 0 --socket "$sock"
check_eq "notifier-top -j: exit 0" "$rc" 0
check "notifier-top -j: two snapshots of the daemon feed" "$(head -c 300 "$tmp/out")" \
	jq_true -s 'length == 2 and all(.[]; .feed == "daemon")' "$tmp/out"
# the default view's rows are (driver, pid) pairs: every pair is busy in a second
for i in 0 1; do
	check_eq "interval $((i + 1)): $keys distinct (process, driver) keys" \
		"$(jq -s ".[$i].rows | map([.callback_id, .pid]) | unique | length" "$tmp/out")" \
		"$keys"
	check_eq "interval $((i + 1)): rows_total is $keys" \
		"$(jq -s ".[$i].rows_total" "$tmp/out")" "$keys"
	# 20,000 events/s by default, in deltas every 250 ms
	check_range "interval $((i + 1)): events about 20000" \
		"$(jq -s ".[$i].events" "$tmp/out")" 10000 30000
done
check "no probes reported" "$(head -c 300 "$tmp/out")" \
	jq_true -s 'all(.[]; .probes.live == 0)' "$tmp/out"

kill -TERM "$daemon_pid"
wait "$daemon_pid"
rc=$?
daemon_pid=
check_eq "SIGTERM: exit 0" "$rc" 0
check "socket removed on exit" "$sock still there" test ! -e "$sock"
check "stats lines: totals grow, no BPF counters" "$(head -c 300 "$tmp/d.out")" \
	jq_true -s '[.[] | select(.type == "stats")] | length >= 2 and
		(map(.events) | . == sort and .[0] < .[-1]) and all(.[]; has("counters") | not)' \
	"$tmp/d.out"
check "summary: synthetic, no counters or callbacks" "$(tail -c 300 "$tmp/d.out")" \
	jq_true -s 'last | .type == "summary" and .source == "synthetic" and .events > 0 and
		(has("counters") or has("callbacks") or has("kernel") | not)' "$tmp/d.out"
check "says what it runs on stderr" "$(tr '\n' '|' <"$tmp/d.err")" \
	grep -qF "synthetic events, $keys keys at 20000/s" "$tmp/d.err"

# --- notifier-top's percentiles are notifierd's ---
# 16 pairs at 50,000 events/s: over an interval, each pair's callback
# calls are ~400, its class ~7,000. notifier-top's P50 and P99 of an
# interval come from the fine buckets the socket carries, so they match
# what notifierd's summary reads from its own over the whole run (the
# synthetic latencies do not drift). Where they are steady: the callback
# class's median sits mid-way through the events at 2^14 ns (16.3 us),
# where a log2 interpolation reads ~24 us (so this check is the one log2
# fails); a pair's p99 is in its slowest group, near its max (to which a
# log2 reading is clamped too). A pair's median sits at a jump between
# two groups, and the class's p99 near one: those would flip between
# runs, so they are not compared.
sock=$tmp/f.sock
"$NOTIFIERD" --synthetic=11 --keys 16 --rate 50000 --socket "$sock" -j \
	>"$tmp/f.out" 2>"$tmp/f.err" &
daemon_pid=$!
for _ in $(seq 100); do
	[ -S "$sock" ] || ! kill -0 "$daemon_pid" 2>/dev/null && break
	sleep 0.1
done
if [ ! -S "$sock" ]; then
	fail "fine: notifier-top -j -v class, then the default view: exit 0, 0" \
		"no socket at $sock; $(head -n 1 "$tmp/f.err")"
	skip_n 4 "fine: the rest" "no daemon to read"
else
	run 30 "$NOTIFIER_TOP" -j -v class -n 2 -d 1 --socket "$sock"
	mv "$tmp/out" "$tmp/class.json"
	class_rc=$rc
	run 30 "$NOTIFIER_TOP" -j -n 2 -d 1 -r 0 --socket "$sock"
	kill -TERM "$daemon_pid"
	wait "$daemon_pid"
	daemon_pid=
	check_eq "fine: notifier-top -j -v class, then the default view: exit 0, 0" "$class_rc $rc" "0 0"
	summary=$(tail -n 1 "$tmp/f.out")
	# within 5%: |a - b| <= b / 20
	top_p50=$(jq -s '.[1].rows[] | select(.class == "callback") | .p50_ns' "$tmp/class.json")
	d_p50=$(jq '.classes.callback.p50_ns' <<<"$summary")
	# shellcheck disable=SC2016 # jq variables
	check "fine: the callback class's p50 is notifierd's within 5%" \
		"notifier-top $top_p50 ns, notifierd $d_p50 ns" \
		jq_true -n --argjson a "${top_p50:-null}" --argjson b "${d_p50:-null}" \
		'$a != null and $b > 0 and ($a - $b | fabs) <= $b / 20'
	# every (driver, pid) row of the second interval against notifierd's entry of that key
	jq -c '[.processes[] | select(.class == "callback") |
		{key: "\(.callback_id) \(.tgid)", value: .p99_ns}] | from_entries' <<<"$summary" \
		>"$tmp/d-p99.json"
	pairs=$(jq -s --slurpfile d "$tmp/d-p99.json" '[.[1].rows[] | select(.callback_id != 0) |
		{key: "\(.callback_id) \(.pid)", top: .p99_ns, daemon: $d[0]["\(.callback_id) \(.pid)"]}]' \
		"$tmp/out")
	check_eq "fine: a row for each of the 16 pairs, each with notifierd's entry" \
		"$(jq '[.[] | select(.top != null and .daemon != null)] | length' <<<"${pairs:-[]}")" 16
	check "fine: each pair's p99 is notifierd's within 5%" \
		"$(jq -c '[.[] | select(.top == null or .daemon == null or
			((.top - .daemon) | fabs) > .daemon / 20)] | .[:3]' <<<"${pairs:-[]}")" \
		jq_true '. != [] and all(.[]; .top != null and .daemon != null and
			((.top - .daemon) | fabs) <= .daemon / 20)' <<<"${pairs:-[]}"
	# a log2 slot's edges are 2^k ns and 2^k - 1 ns
	vals=$(jq -c --argjson p "${top_p50:-0}" '[.[].top] + [$p]' <<<"${pairs:-[]}")
	# shellcheck disable=SC2016 # jq variables
	check "fine: none of them is a log2 slot's edge" "$vals" \
		jq_true -n --argjson v "${vals:-[]}" '$v != [] and all($v[]; . as $x | $x != null and
			$x > 0 and all(range(0; 64); pow(2; .) != $x and pow(2; .) - 1 != $x))'
fi

# text: a stats line without drops, a summary of synthetic events
run 10 "$NOTIFIERD" --synthetic --no-socket --rate 1000 -S -d 1.5 -q
check_eq "--no-socket -S -d 1.5: exit 0" "$rc" 0
check "--no-socket: stats line without drops" "$(head -n 1 "$tmp/out")" \
	bash -c 'grep -q "^events/s .*callback [0-9]*$" "$1" && ! grep -q drops "$1"' _ "$tmp/out"
check "--no-socket: text summary" "$(grep -e --- "$tmp/out")" \
	grep -qE '^--- notifierd: [1-9]\.[0-9] s, [0-9]+ synthetic events ---$' "$tmp/out"
check "--no-socket: classes marked synthetic" "$(grep -m1 '^inval_start' "$tmp/out")" \
	grep -qx 'inval_start (synthetic)' "$tmp/out"
check "--no-socket: -q says nothing on stderr" "$(head -n 1 "$tmp/err")" test ! -s "$tmp/err"

# no privileges at all: nothing to load, nothing to pin
if [ "$(id -u)" != 0 ]; then
	skip_n 2 "as nobody" "not root (and ran unprivileged above)"
elif ! command -v setpriv >/dev/null 2>&1; then
	skip_n 2 "as nobody" "setpriv (util-linux) not installed"
else
	# a copy nobody can reach, whatever the modes of the build tree
	mkdir -p "$tmp/bin" && cp "$NOTIFIERD" "$tmp/bin/notifierd" &&
		chmod 755 "$tmp" "$tmp/bin" "$tmp/bin/notifierd"
	run 10 setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		"$tmp/bin/notifierd" --synthetic --no-socket -d 0.5 -j -q
	check_eq "as nobody: exit 0" "$rc" 0
	check "as nobody: a summary" "$(head -c 300 "$tmp/out") $(head -n 1 "$tmp/err")" \
		jq_true -s 'last | .type == "summary" and .events > 0' "$tmp/out"
fi

tap_done
