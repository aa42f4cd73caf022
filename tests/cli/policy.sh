#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# notifierd --rules on the synthetic source (no BPF): a burst held to its
# limit, the exact count it held back said when the daemon ends and
# equal to the events of the class the stream carried; a snapshot action
# writing the flight recorder's file with the rule's trigger; a command
# run with the event in its environment; SIGHUP reading the file again,
# a bad file leaving the running rules as they were; bad files and
# options refused in one line with line and column. One line per check
# (tests/lib/tap.sh).
#
# Usage: tests/cli/policy.sh     (after make)
# NOTIFIER / NOTIFIERD override the binaries.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/tap.sh"
NOTIFIER=${NOTIFIER:-$top/build/notifier}
NOTIFIERD=${NOTIFIERD:-$top/build/notifierd}
NTF_TAP_PREFIX="policy: "
plan 31

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ntf-policy.XXXXXX") || exit 1
daemon_pid=
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	[ -n "$daemon_pid" ] && kill -KILL "$daemon_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

for bin in "$NOTIFIER" "$NOTIFIERD"; do
	[ -x "$bin" ] || { fail "binaries" "$bin not built (run make)"; skip_rest "the rest" "no binaries"; }
done
command -v jq >/dev/null 2>&1 || skip_rest "all" "jq not installed"

run() {
	local secs=$1

	shift
	timeout -k 5 "$secs" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}
one_line_naming() {
	[ "$(wc -l <"$tmp/err")" = 1 ] && grep -qF -- "$1" "$tmp/err" && [ ! -s "$tmp/out" ]
}
start() {
	local name=$1

	shift
	"$NOTIFIERD" --synthetic=5 --rate 5000 -q --no-socket "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	daemon_pid=$!
}
stop() {
	kill -TERM "$daemon_pid"
	wait "$daemon_pid"
	rc=$?
	daemon_pid=
}
wait_for() {
	for _ in $(seq 100); do
		[ -e "$1" ] && return 0
		kill -0 "$daemon_pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
summary() { jq -c 'select(.type == "summary")' "$tmp/$1.out" 2>/dev/null | tail -n 1; }
sum_of() { summary "$1" | jq -r "$2"; }

# --- a burst: every callback event matches, 3 are shown ---

cat >"$tmp/burst.rules" <<'RULES'
# every callback the synthetic stream makes
rule burst
    when class callback
    do alert
    limit 3 per 60s
RULES
start burst -j --rules "$tmp/burst.rules"
sleep 3
stop
check_eq "burst: SIGTERM, exit 0" "$rc" 0
check_eq "burst: said it read one rule" \
	"$(grep -c "policy: 1 rule from $tmp/burst.rules" "$tmp/burst.err")" 1
check_eq "burst: 3 alerts, JSON lines" \
	"$(jq -c 'select(.type == "alert" and .rule == "burst")' "$tmp/burst.out" | wc -l)" 3
check_eq "burst: each names a callback event" \
	"$(jq -r 'select(.type == "alert") | .event.class' "$tmp/burst.out" | sort -u)" callback
callbacks=$(sum_of burst '.classes.callback.count')
check "burst: the stream carried callbacks ($callbacks)" "$callbacks" test "$callbacks" -gt 100
check_eq "burst: the rule fired once per callback event, as many as the aggregate counted" \
	"$(sum_of burst '.policy[0].fired')" "$callbacks"
check_eq "burst: acted on 3, the rest held back" \
	"$(sum_of burst '"\(.policy[0].acted) \(.policy[0].suppressed)"')" "3 $((callbacks - 3))"
check_eq "burst: the end says what the limit held back, exactly" \
	"$(jq -r 'select(.type == "policy_limit") | "\(.rule) \(.fired) \(.shown) \(.suppressed)"' "$tmp/burst.out")" \
	"burst $callbacks 3 $((callbacks - 3))"

# the same as text lines on stderr
start burst-text --rules "$tmp/burst.rules" -d 2
wait "$daemon_pid"
rc=$?
daemon_pid=
check_eq "burst, text: exit 0" "$rc" 0
check_eq "burst, text: 3 alert lines" "$(grep -c "alert: rule 'burst': callback" "$tmp/burst-text.err")" 3
check "burst, text: the held-back line" "$(grep fired "$tmp/burst-text.err")" \
	grep -qE "policy: rule 'burst' fired [0-9]+ times in [0-9.]+ s, 3 shown" "$tmp/burst-text.err"

# --- a snapshot, a command ---

mkdir -p "$tmp/flight"
cat >"$tmp/act.rules" <<RULES
rule grab when class fence_wait and latency >= 1ms do snapshot limit 1 per 60s
rule run when class pin do exec "echo \$NTF_RULE \$NTF_CLASS \$NTF_PID >> $tmp/ran" limit 2 per 60s
RULES
start act -j --rules "$tmp/act.rules" --flight 10s --flight-dir "$tmp/flight"
wait_for "$tmp/ran"
# both commands' lines: the daemon does not wait for its commands as it stops
for _ in $(seq 100); do
	[ "$(wc -l <"$tmp/ran")" -ge 2 ] && break
	sleep 0.1
done
sleep 1
stop
check_eq "actions: exit 0" "$rc" 0
shopt -s nullglob
snaps=("$tmp"/flight/*.ntr)
shopt -u nullglob
check_eq "snapshot: one file (limit 1)" "${#snaps[@]}" 1
check_eq "snapshot: its trigger is the rule" \
	"$("$NOTIFIER" report -j "${snaps[0]}" 2>/dev/null | jq -r '.file.flight.trigger')" "policy:grab"
check_eq "exec: ran twice (limit 2), the event in its environment" \
	"$(awk '{print $1, $2}' "$tmp/ran" | sort | uniq -c | awk '{print $1, $2, $3}')" "2 run pin"

# --- SIGHUP ---

cat >"$tmp/hup.rules" <<'RULES'
rule first when class unmap do alert limit 100000 per 60s
RULES
firsts() { jq -c 'select(.type == "alert" and .rule == "first")' "$tmp/hup.out" | wc -l; }
start hup -j --rules "$tmp/hup.rules"
sleep 1
printf 'rule second when class unmap\n    do alertt\n' >"$tmp/hup.rules"
kill -HUP "$daemon_pid"
sleep 1
check "SIGHUP, a bad file: line, column and reason" \
	"$(tail -n 2 "$tmp/hup.err")" \
	grep -qF "$tmp/hup.rules:2:8: " "$tmp/hup.err"
check_eq "... and it says the running rules stay" "$(grep -c 'the running rules stay' "$tmp/hup.err")" 1
n1=$(firsts)
sleep 1
check "... and they do: the first rule alerts on ($n1 alerts, then $(firsts))" "" test "$(firsts)" -gt "$n1"
printf 'rule third when class unmap do alert limit 1 per 60s\n' >"$tmp/hup.rules"
kill -HUP "$daemon_pid"
sleep 1
stop
check_eq "SIGHUP: exit 0" "$rc" 0
check_eq "SIGHUP, a good file: read again" \
	"$(grep -c 'read again on SIGHUP' "$tmp/hup.err")" 1
check_eq "SIGHUP: the first rule alerted, then the third, the second never" \
	"$(jq -r 'select(.type == "alert") | .rule' "$tmp/hup.out" | uniq | tr '\n' ' ')" "first third "
check_eq "SIGHUP: the summary counts the rules running at the end" \
	"$(sum_of hup '[.policy[].rule] | join(",")')" third

# --- SIGHUP under -D, rules named relative to where it started ---

# -D moves the daemon to / and its output to /dev/null: what it runs tells
mkdir "$tmp/rel"
printf 'rule before when class unmap do exec "touch %s/rel/before" limit 1 per 60s\n' "$tmp" \
	>"$tmp/rel/hup.rules"
(cd "$tmp/rel" && "$NOTIFIERD" --synthetic=5 --rate 5000 -q --no-socket -D \
	--pidfile "$tmp/rel/pid" --rules hup.rules 2>"$tmp/rel.err")
check_eq "-D: the daemon started and detached" "$?" 0
wait_for() { for _ in $(seq 50); do [ -e "$1" ] && return 0; sleep 0.1; done; return 1; }
check "-D: the rules run (their exec made a file)" "$(ls "$tmp/rel")" wait_for "$tmp/rel/before"
printf 'rule after when class unmap do exec "touch %s/rel/after" limit 1 per 60s\n' "$tmp" \
	>"$tmp/rel/hup.rules"
dpid=$(cat "$tmp/rel/pid" 2>/dev/null)
kill -HUP "$dpid"
check "-D: SIGHUP reads hup.rules again from where the daemon started, not from /" \
	"$(ls "$tmp/rel")" wait_for "$tmp/rel/after"
kill -TERM "$dpid"
for _ in $(seq 50); do kill -0 "$dpid" 2>/dev/null || break; sleep 0.1; done
check "-D: SIGTERM ends it" "" sh -c "! kill -0 $dpid 2>/dev/null"

# --- bad input ---

printf 'rule ok when class callback do alert\nrule bad when latency >> 2ms do alert\n' >"$tmp/bad.rules"
run 10 "$NOTIFIERD" --synthetic -q --no-socket --rules "$tmp/bad.rules"
check_eq "a bad file at start: exit 1" "$rc" 1
check "a bad file at start: one line, FILE:LINE:COLUMN" "$(cat "$tmp/err")" \
	one_line_naming "$tmp/bad.rules:2:"
run 10 "$NOTIFIERD" --synthetic -q --no-socket --rules "$tmp/missing.rules"
check "a missing file: one line naming it" "$(cat "$tmp/err")" \
	one_line_naming "$tmp/missing.rules"
printf 'rule grab when failed do snapshot\n' >"$tmp/noflight.rules"
run 10 "$NOTIFIERD" --synthetic -q --no-socket --rules "$tmp/noflight.rules"
check "snapshot without --flight: refused, saying why" "$(cat "$tmp/err")" \
	one_line_naming "rule 'grab' (line 1): snapshot needs a flight recorder (notifierd --flight)"
run 10 "$NOTIFIERD" --synthetic -q --no-socket --rules "$tmp/burst.rules" --no-rules
check "--rules with --no-rules: a usage error" "$rc $(cat "$tmp/err")" \
	sh -c "[ $rc = 2 ] && grep -q 'one or the other' '$tmp/err'"
tap_done
