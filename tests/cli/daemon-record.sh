#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# notifierd as a recording service, on the synthetic source (no BPF):
# --record DIR rotating by size, count and time, every event in exactly
# one file; --flight's snapshots on SIGUSR1 and `notifier record
# --trigger`, refused for a user not root; a disk that fills (a 1 MiB
# tmpfs in a mount namespace of the test's own) stops recording, said
# once, while the socket goes on serving; bad options refused in a line.
# One line per check (tests/lib/tap.sh).
#
# Usage: tests/cli/daemon-record.sh     (after make; root for the tmpfs and nobody)
# NOTIFIER / NOTIFIERD override the binaries.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/tap.sh"
NOTIFIER=${NOTIFIER:-$top/build/notifier}
NOTIFIERD=${NOTIFIERD:-$top/build/notifierd}
NTF_TAP_PREFIX="daemon record: "
plan 68

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ntf-drec.XXXXXX") || exit 1
daemon_pid=
holder_pid=
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	[ -n "$daemon_pid" ] && kill -KILL "$daemon_pid" 2>/dev/null
	# the tmpfs lives in the holder's mount namespace: it goes with it
	[ -n "$holder_pid" ] && kill -KILL "$holder_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

for bin in "$NOTIFIER" "$NOTIFIERD"; do
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
jq_true() { jq -e "$@" >/dev/null 2>&1; }
# one_line_naming WANT: stderr is one line naming WANT; no stdout.
one_line_naming() {
	[ "$(wc -l <"$tmp/err")" = 1 ] && grep -qF -- "$1" "$tmp/err" && [ ! -s "$tmp/out" ]
}
# report FILE: notifier report -j FILE's "file" object, on stdout.
report() { "$NOTIFIER" report -j "$1" 2>/dev/null | jq -c '.file'; }
# start NAME ARGS...: notifierd --synthetic in the background, output in $tmp/NAME.{out,err}.
start() {
	local name=$1

	shift
	"$NOTIFIERD" --synthetic=3 -q -j "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	daemon_pid=$!
}
# wait_for PATH: up to 10 s for it to exist, while the daemon lives.
wait_for() {
	for _ in $(seq 100); do
		[ -e "$1" ] && return 0
		kill -0 "$daemon_pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
# stop: SIGTERM, and its exit status in rc.
stop() {
	kill -TERM "$daemon_pid"
	wait "$daemon_pid"
	rc=$?
	daemon_pid=
}
# summary NAME: the daemon's JSON summary.
summary() { jq -c 'select(.type == "summary")' "$tmp/$1.out" 2>/dev/null | tail -n 1; }

# --- bad input: one line each, nothing started ---

usage_error() {
	local name=$1 want=$2

	shift 2
	run 10 "$NOTIFIERD" "$@"
	check_eq "$name: exit 2" "$rc" 2
	check "$name: says '$want'" "stderr: $(tr '\n' '|' <"$tmp/err")" one_line_naming "$want"
}
usage_error "--max-size 12Q" "--max-size: '12Q' has an unknown unit" \
	--synthetic --record "$tmp/bad" --max-size 12Q
usage_error "--max-size without --record" "--max-size needs --record DIR" --synthetic --max-size 1M
usage_error "--max-size 1K" "'1K' is out of range [64K, 1T]" \
	--synthetic --record "$tmp/bad" --max-size 1K
usage_error "--flight 0" "--flight: '0' must be a positive duration" --synthetic --flight 0
usage_error "--flight 30m" "'30m' is neither a time" --synthetic --flight 30m
usage_error "--record with -H" "--record records the event stream, which -H does not keep" \
	--record "$tmp/bad" -H
usage_error "--flight-dir without --flight" "--flight-dir needs --flight" \
	--synthetic --flight-dir "$tmp"
usage_error "--record-level 20" "--record-level: 20 is out of range [0, 19]" \
	--synthetic --record "$tmp/bad" --record-level 20
usage_error "--record-level without --record" "--record-level needs --record or --flight" \
	--synthetic --record-level 3
usage_error "--stack-min without --record" "--stack-min needs --record or --flight" \
	--synthetic --stack-min 2ms
usage_error "--no-stacks without --record" "--no-stacks needs --record or --flight" \
	--synthetic --no-stacks
usage_error "--stack-min 2 parsecs" "--stack-min" --synthetic --flight 10s --stack-min 2pc
: >"$tmp/a-file"
run 10 "$NOTIFIERD" --synthetic -q --no-socket --record "$tmp/a-file"
check_eq "--record on a file: exit 1" "$rc" 1
check "--record on a file: one line saying why" "stderr: $(tr '\n' '|' <"$tmp/err")" \
	one_line_naming "--record: $tmp/a-file: Not a directory"
check "usage errors: no DIR made" "$(ls "$tmp")" test ! -e "$tmp/bad"

# --- rotation by size: every event in exactly one file ---

rec=$tmp/rec
bsock=$tmp/b.sock
start b --rate 100000 --socket "$bsock" --record "$rec" --max-size 256K
wait_for "$bsock"
sleep 3
# a daemon without --flight says so to a trigger; no daemon at all is one line too
run 20 "$NOTIFIER" record --trigger --socket "$bsock"
check "a daemon without --flight: trigger refused, exit 1" \
	"exit $rc: $(tr '\n' '|' <"$tmp/err")" \
	test "$rc" = 1 -a -n "$(grep 'no flight recorder (start it with --flight)' "$tmp/err")"
run 20 "$NOTIFIER" record --trigger --socket "$tmp/none.sock"
check "no daemon: trigger says so, exit 1" "exit $rc: $(tr '\n' '|' <"$tmp/err")" \
	test "$rc" = 1 -a "$(wc -l <"$tmp/err")" = 1 -a -n "$(grep 'no notifierd serves' "$tmp/err")"
stop
check_eq "SIGTERM: exit 0" "$rc" 0
sum=$(summary b)
# in the order written: as strings, -10 sorts before -2
mapfile -t files < <(cd "$rec" && ls -tr notifier-*.ntr 2>/dev/null)
check_range "several files" "${#files[@]}" 3 100
total=0 sizes_ok=1 all_complete=1 sizes=
for i in "${!files[@]}"; do
	f=$rec/${files[i]}
	size=$(stat -c %s "$f")
	sizes+=" $size"
	# whole files but the last reach the bound; none passes it by more than a block (64K) and its index
	if [ "$size" -gt $((262144 + 65536 + 16384)) ] ||
	   { [ "$i" -lt $((${#files[@]} - 1)) ] && [ "$size" -lt 262144 ]; }; then
		sizes_ok=0
	fi
	j=$(report "$f")
	[ "$(jq -r .status <<<"$j")" = complete ] || all_complete=0
	total=$((total + $(jq -r '.events // 0' <<<"$j")))
done
check_eq "each file about --max-size 256K (${sizes# })" "$sizes_ok" 1
check_eq "each file reads complete" "$all_complete" 1
check_eq "the files hold every event the daemon received" "$total" "$(jq -r .events <<<"$sum")"
check "the summary says the recording" "$sum" \
	jq_true --argjson n "${#files[@]}" --argjson t "$total" \
	'.record.files == $n and .record.committed_events == $t and .record.error == null' <<<"$sum"
j=$(report "$rec/${files[0]}")
check "META: written by notifierd, synthetic" "$j" \
	jq_true '.writer == "notifierd 0.1.0 (synthetic)"' <<<"$j"
"$NOTIFIER" report "$rec/${files[0]}" >"$tmp/text" 2>&1
check "report: no probes listed, said as such" "$(head -c 400 "$tmp/text")" \
	eval '! grep -q "^  probes:" "$tmp/text" && grep -q "no probes recorded" "$tmp/text"'

# --- --max-files: the newest N of the recorder's own; anything else stays ---

mf=$tmp/mf
mkdir "$mf"
echo notes >"$mf/notes.txt"
: >"$mf/notifier-20000101-000000.ntr" # an earlier run's, the oldest of all
start mf --rate 100000 --no-socket --record "$mf" --max-size 64K --max-files 3
sleep 2.5
stop
mapfile -t own < <(cd "$mf" && ls notifier-*.ntr 2>/dev/null)
check_eq "--max-files 3: three files left" "${#own[@]}" 3
check "--max-files: the earlier run's oldest removed, a foreign file kept" "$(ls "$mf" | tr '\n' ' ')" \
	test -e "$mf/notes.txt" -a ! -e "$mf/notifier-20000101-000000.ntr"
check "--max-files: the summary counts what it removed" "$(summary mf)" \
	jq_true '.record.removed >= 2 and .record.files - .record.removed == 2' <<<"$(summary mf)"

# --- --rotate-interval 1 over 3.5 s: a file a second ---

ri=$tmp/ri
start ri --rate 2000 --no-socket --record "$ri" --rotate-interval 1 -d 3.5
wait "$daemon_pid"
rc=$?
daemon_pid=
n=$(ls "$ri" | grep -c '^notifier-.*\.ntr$')
check_range "--rotate-interval 1 for 3.5 s: about 4 files (exit $rc)" "$n" 3 5

# --- the flight recorder: SIGUSR1, then the socket ---

fl=$tmp/flight
run_dir=$tmp/run
fsock=$run_dir/d.sock
# nobody must reach the socket's directory for the refusal to be the daemon's
chmod 711 "$tmp"
start f --rate 20000 --socket "$fsock" --socket-group nogroup --flight 2s --flight-dir "$fl"
wait_for "$fsock"
sleep 5
before=$(date +%s.%N)
kill -USR1 "$daemon_pid"
snap=
for _ in $(seq 50); do
	snap=$(ls "$fl"/notifier-flight-*.ntr 2>/dev/null | head -n 1)
	[ -n "$snap" ] && break
	sleep 0.1
done
check "SIGUSR1: a snapshot named notifier-flight-YYYYmmdd-HHMMSS.ntr" "in $fl: $(ls "$fl")" \
	eval '[[ "${snap##*/}" =~ ^notifier-flight-[0-9]{8}-[0-9]{6}\.ntr$ ]]'
j=$(report "$snap")
check "SIGUSR1 snapshot: complete, says SIGUSR1 and a 2 s window" "$j" \
	jq_true '.status == "complete" and .flight.trigger == "SIGUSR1" and .flight.window_ns == 2000000000' <<<"$j"
span=$(jq -r '.last_ts_ns - .first_ts_ns' <<<"$j")
check_range "its events span at most 2 s (exactly the window), after 5 s of them" "$span" 1900000000 2000000000
check_range "its events: about 2 s at 20000/s" "$(jq -r .events <<<"$j")" 36000 44000
# the newest event is at most a turn of the loop (100 ms) and the pacing before the trigger
check_range "it ends within 300 ms before the trigger" \
	"$(jq -r '(.flight.trigger_mono_ns - .last_ts_ns) / 1000000 | floor' <<<"$j")" 0 300
check_range "the trigger's wall time is when SIGUSR1 was sent (ms after)" \
	"$(jq -r --argjson b "$before" '(.flight.trigger_wall - $b) * 1000 | floor' <<<"$j")" 0 1000

run 30 "$NOTIFIER" record --trigger --socket "$fsock"
path=$(sed -n 's/: [0-9]* events over .*//p' "$tmp/out")
check "record --trigger: exit 0, prints the file and its events" "exit $rc: $(cat "$tmp/out" "$tmp/err")" \
	test "$rc" = 0 -a -f "$path" -a -n "$(grep -E ': [0-9]+ events over [0-9.]+ s, ' "$tmp/out")"
j=$(report "$path")
check "the socket's snapshot says socket, another file" "$j" \
	jq_true --arg p "$path" --arg s "$snap" \
	'.flight.trigger == "socket" and .status == "complete" and $p != $s' <<<"$j"
check_eq "record --trigger: the events it printed are the file's" \
	"$(sed -n 's/.*: \([0-9]*\) events over .*/\1/p' "$tmp/out")" "$(jq -r .events <<<"$j")"

if [ "$(id -u)" != 0 ]; then
	skip_n 2 "a trigger from nobody" "not root: cannot run a client as another user"
elif ! command -v setpriv >/dev/null 2>&1; then
	skip_n 2 "a trigger from nobody" "no setpriv"
else
	nsnaps=$(ls "$fl" | wc -l)
	run 30 setpriv --reuid=nobody --regid=nogroup --clear-groups "$NOTIFIER" record --trigger \
		--socket "$fsock"
	check "nobody in the socket's group: refused, exit 1, says why" \
		"exit $rc: $(tr '\n' '|' <"$tmp/err")" \
		test "$rc" = 1 -a -n "$(grep "a snapshot is root's to ask for, not uid 65534's" "$tmp/err")"
	check_eq "nobody's trigger wrote nothing" "$(ls "$fl" | wc -l)" "$nsnaps"
fi
stop
check_eq "flight daemon: SIGTERM, exit 0" "$rc" 0
check "its summary counts the snapshots" "$(summary f)" \
	jq_true --arg p "$path" '.flight.snapshots == 2 and .flight.last_snapshot == $p and .flight.window_ns == 2000000000' \
	<<<"$(summary f)"
grep -c "flight snapshot /" "$tmp/f.err" >"$tmp/n"
check_eq "each snapshot logged once" "$(cat "$tmp/n")" 2

# --- a disk that fills: recording stops, said once; serving goes on ---

full_checks=13
if [ "$(id -u)" != 0 ]; then
	skip_rest "a full disk" "not root: no tmpfs of the test's own"
fi
# a mount namespace held by a sleeper: its tmpfs is gone with it, whatever becomes of this script
unshare --mount --propagation private sleep 1000 &
holder_pid=$!
disown "$holder_pid" # killed by the trap: no job notice for it
mnt=$tmp/full
mkdir "$mnt"
ns() { nsenter -t "$holder_pid" -m -- "$@"; }
sleep 0.2
if ! ns mount -t tmpfs -o size=1m tmpfs "$mnt" 2>"$tmp/mount.err"; then
	skip_n "$full_checks" "a full disk" "cannot mount a tmpfs here: $(head -n 1 "$tmp/mount.err")"
	tap_done
fi
fsock=$tmp/full.sock
# the daemon in the namespace (nsenter execs it: its pid is the daemon's)
nsenter -t "$holder_pid" -m -- "$NOTIFIERD" --synthetic=5 -q -j -S --rate 100000 \
	--record "$mnt" --max-size 256K --socket "$fsock" >"$tmp/full.out" 2>"$tmp/full.err" &
daemon_pid=$!
stopped=
for _ in $(seq 300); do
	grep -q "stopped" "$tmp/full.err" && { stopped=1; break; }
	kill -0 "$daemon_pid" 2>/dev/null || break
	sleep 0.1
done
check "the disk fills: recording to DIR stopped, No space left on device" "$(tr '\n' '|' <"$tmp/full.err")" \
	test -n "$(grep "recording to $mnt stopped: No space left on device; $mnt/notifier-.*\.ntr holds [0-9]* events up to its last whole block" "$tmp/full.err")"
[ -n "$stopped" ] || skip_rest "the full disk's rest" "recording never stopped"
sleep 1.5
check "still running after the disk filled" "daemon gone: $(tail -n 2 "$tmp/full.err" | tr '\n' '|')" \
	kill -0 "$daemon_pid"
run 20 "$NOTIFIER" mirror -s "$fsock" -j
e1=$(jq -r '.counters.events' "$tmp/out" 2>/dev/null)
sleep 1
run 20 "$NOTIFIER" mirror -s "$fsock" -j
e2=$(jq -r '.counters.events' "$tmp/out" 2>/dev/null)
check "a socket client is served after the disk filled, the events still counted" \
	"exit $rc, events '$e1' then '$e2'" test -n "$e1" -a -n "$e2" -a "${e2:-0}" -gt "${e1:-0}"
last_stats=$(jq -c 'select(.type == "stats")' "$tmp/full.out" | tail -n 1)
check "the stats lines say recording stopped, and why" "$last_stats" \
	jq_true '.record.error | test("No space left on device")' <<<"$last_stats"
kill -TERM "$daemon_pid"
wait "$daemon_pid"
rc=$?
daemon_pid=
check_eq "SIGTERM after the disk filled: exit 0" "$rc" 0
check_eq "the stop said once" "$(grep -c 'stopped' "$tmp/full.err")" 1
sum=$(summary full)
check "its summary says where and why recording stopped" "$sum" \
	jq_true '.record.error | test("^writing .*: No space left on device$")' <<<"$sum"
held=$(sed -n 's/.* holds \([0-9]*\) events up to its last whole block.*/\1/p' "$tmp/full.err")
lastf=$(sed -n 's/.*; \([^ ]*\) holds [0-9]* events.*/\1/p' "$tmp/full.err")
mapfile -t fulls < <(ns sh -c "cd '$mnt' && ls notifier-*.ntr")
check_eq "the file it names is the last written" "$mnt/$(ns ls -t "$mnt" | head -n 1)" "$lastf"
j=$(ns "$NOTIFIER" report -j "$lastf" 2>/dev/null | jq -c .file)
check_eq "the last file reads to its last whole block: unfinished" "$(jq -r .status <<<"$j")" unfinished
check_eq "it holds the events the message said" "$(jq -r .events <<<"$j")" "$held"
total=0 others_complete=1
for f in "${fulls[@]}"; do
	j=$(ns "$NOTIFIER" report -j "$mnt/$f" 2>/dev/null | jq -c .file)
	total=$((total + $(jq -r '.events // 0' <<<"$j")))
	[ "$mnt/$f" = "$lastf" ] || [ "$(jq -r .status <<<"$j")" = complete ] || others_complete=0
done
check_eq "the files before it read complete" "$others_complete" 1
check_eq "the files hold what the summary says was committed" "$total" \
	"$(jq -r .record.committed_events <<<"$sum")"
check "fewer than the daemon received: the rest came after the disk filled" "$sum" \
	jq_true --argjson t "$total" '.events > $t' <<<"$sum"
tap_done
