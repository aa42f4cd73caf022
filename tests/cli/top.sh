#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Host tests of notifier-top: bad input, --help, batch and JSON snapshots of
# the synthetic feed, the full-screen view driven through tmux (keys,
# resizes, quitting, signals), and short live runs as root. One line per
# test: "ok - NAME", "not ok - NAME: why" or "skip - NAME: why"
# (tests/lib/tap.sh); exits 1 if any failed.
#
# Usage: tests/cli/top.sh          (after make)
# NOTIFIER_TOP overrides the binary, SRC the user/ sources whose option
# table --help is checked against.

set -u
export LC_ALL=C

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/tap.sh"
plan 98
TOP=${NOTIFIER_TOP:-$top/build/notifier-top}
SRC=${SRC:-$top/user}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ntf-top.XXXXXX") || exit 1
cleanup() {
	tmux -S "$tmp/tmux" kill-server 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# check_cmd NAME CMD...: ok when CMD succeeds; CMD's stdout is the reason otherwise.
check_cmd() {
	local name=$1 why

	shift
	if why=$("$@"); then pass "$name"; else fail "$name" "${why:-failed}"; fi
}

# run SECS CMD...: sets rc, $tmp/out, $tmp/err. stdout is a file, so batch is implied.
run() {
	local secs=$1

	shift
	timeout -k 5 "$secs" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}
lines() { wc -l <"$1"; }
first_err() { head -n 1 "$tmp/err"; }
have() { command -v "$1" >/dev/null 2>&1; }

if [ ! -x "$TOP" ]; then
	fail "notifier-top" "$TOP not built (run make)"
	skip_rest "the rest" "no notifier-top"
fi
is_root=false
[ "$(id -u)" = 0 ] && is_root=true

# --- bad input: exit 2, one line naming the problem, nothing on stdout ---

usage_error() {
	local name=$1 want=$2

	shift 2
	run 10 "$TOP" "$@"
	if [ "$rc" != 2 ]; then
		fail "$name" "exit $rc, want 2 ($(first_err))"
	elif [ "$(lines "$tmp/err")" != 1 ]; then
		fail "$name" "$(lines "$tmp/err") lines on stderr, want 1:" \
			"$(tr '\n' '|' <"$tmp/err")"
	elif ! grep -qF -- "$want" "$tmp/err"; then
		fail "$name" "stderr does not name '$want': $(first_err)"
	elif ! grep -qF -- "--help" "$tmp/err"; then
		fail "$name" "stderr does not point to --help: $(first_err)"
	elif [ -s "$tmp/out" ]; then
		fail "$name" "unexpected stdout: $(head -c 200 "$tmp/out")"
	else
		pass "$name"
	fi
}

usage_error "top: unknown option --bogus" "'--bogus'" --bogus
usage_error "top: unknown option -x" "'-x'" -x
usage_error "top: unknown option in a cluster" "'-x'" -bx
usage_error "top: missing argument" "'-d'" -d
usage_error "top: -d 0" "'0'" -d 0
usage_error "top: -d abc" "'abc'" -d abc
usage_error "top: -d too short" "'5ms'" -d 5ms
usage_error "top: -n 0" "-n: 0" -n 0
usage_error "top: -n abc" "'abc'" -n abc
usage_error "top: -r abc" "'abc'" -r abc
usage_error "top: -p 0" "-p: 0" -p 0
usage_error "top: -v bogus" "'bogus'" -v bogus
usage_error "top: -v 8" "'8'" -v 8
usage_error "top: -s bogus" "'bogus'" -s bogus
usage_error "top: -s not in the view" "'pinned'" -v fence -s pinned
usage_error "top: --keys without --synthetic" "--synthetic" --keys 5
usage_error "top: --keys 0" "--keys: 0" --synthetic --keys 0
usage_error "top: --rate 0" "--rate: 0" --synthetic --rate 0
usage_error "top: --synthetic=abc" "'abc'" --synthetic=abc
usage_error "top: extra argument" "'foo'" --synthetic foo

# --- help: exit 0, stdout only, every option of the getopt table listed ---

# "name letter" for each entry of the option table ("-" when long only).
long_options() {
	sed -n '/^static const struct option/,/^};/p' "$1" |
		sed -n 's/.*{ *"\([a-z-]*\)", *[a-z_]*, *NULL, *\([^ ]*\) *},*.*/\1 \2/p' |
		sed "s/ '\(.\)'\$/ \1/; t; s/ [A-Z_0-9]*\$/ -/"
}
# The long options a header's *_LONGOPTS macro adds (none has a short form).
macro_options() {
	sed -n 's/.*"\([a-z-]*\)", *[a-z]*_argument, *NULL, *[A-Z_]*.*/\1 -/p' "$1"
}

for h in --help -h; do
	run 10 "$TOP" "$h"
	name="top $h"
	if [ "$rc" != 0 ] || [ ! -s "$tmp/out" ] || [ -s "$tmp/err" ]; then
		fail "$name" "exit $rc, stdout $(lines "$tmp/out") lines, stderr: $(first_err)"
		continue
	fi
	missing="" n=0
	while read -r opt letter; do
		n=$((n + 1))
		if [ "$letter" = - ]; then
			grep -qE -- "^ +--$opt\b" "$tmp/out" || missing+=" --$opt"
		else
			grep -qE -- "^ +-$letter, --$opt\b" "$tmp/out" ||
				missing+=" -$letter/--$opt"
		fi
	done < <(long_options "$SRC/top/notifier-top.c" && macro_options "$SRC/cli/synth_args.h")
	if [ "$n" -lt 10 ]; then
		fail "$name" "read only $n options from $SRC/top/notifier-top.c"
	elif [ -n "$missing" ]; then
		fail "$name" "not in --help:$missing"
	elif ! grep -q "cgroup" "$tmp/out" || ! grep -q "^Examples:" "$tmp/out"; then
		fail "$name" "no cgroup note or no examples"
	else
		pass "$name ($n options)"
	fi
done

# --- batch snapshots of the synthetic feed (no root needed) ---

synth=(--synthetic=1 --keys 30 -d 0.2)

# snapshot_rows N: prints the data rows of snapshot N (1-based) of $tmp/out.
snapshot_rows() {
	awk -v want="$1" '/^notifier-top / { n++; body = 0; next }
		n != want { next }
		/^ *DRIVER +PID +COMM|^ +PID +COMM|^ *DRIVER +EV\/S|^CLASS/ { body = 1; next }
		body && NF { print }' "$tmp/out"
}

start=$(date +%s%N)
run 20 "$TOP" -b "${synth[@]}" -n 3
secs=$((($(date +%s%N) - start) / 1000000))
name="top -b: three snapshots"
if [ "$rc" != 0 ]; then
	fail "$name" "exit $rc: $(first_err)"
elif [ "$(grep -c '^notifier-top ' "$tmp/out")" != 3 ]; then
	fail "$name" "$(grep -c '^notifier-top ' "$tmp/out") headers, want 3"
elif [ "$(grep -cE '^DRIVER +PID COMM +EV/S +P50 +P99 +MAX %TIME FAIL BLK% NEST PGPIN RECL$' \
	"$tmp/out")" != 3 ]; then
	fail "$name" "column header missing: $(sed -n 6p "$tmp/out")"
elif grep -q $'\033' "$tmp/out"; then
	fail "$name" "escape sequences in a file"
else
	pass "$name"
fi
# three intervals of 0.2 s, plus start-up
if [ "$secs" -ge 550 ] && [ "$secs" -lt 10000 ]; then
	pass "top -b: -d 0.2 -n 3 took ${secs} ms"
else
	fail "top -b: -d 0.2 -n 3 timing" "took $secs ms, want about 600"
fi

rows_ok() {
	local want=$1 fields=$2 n

	for s in 1 2 3; do
		n=$(snapshot_rows $s | wc -l)
		[ "$n" = "$want" ] || { echo "snapshot $s: $n rows, want $want"; return 1; }
		bad=$(snapshot_rows $s | awk -v f="$fields" 'NF != f || $2 !~ /^10[0-9][0-9]$/' |
			head -n 1)
		[ -z "$bad" ] || { echo "snapshot $s: bad row '$bad'"; return 1; }
	done
}
# 30 keys, default of 20 rows a snapshot in batch, 13 columns
check_cmd "top -b: 20 rows of 13 columns" rows_ok 20 13
head_rows() { grep -m1 -oE 'rows [0-9]+' "$tmp/out"; }
[ "$(head_rows)" = "rows 30" ] && pass "top -b: header counts 30 rows" ||
	fail "top -b: header counts 30 rows" "got '$(head_rows)'"

run 20 "$TOP" -b "${synth[@]}" -n 3 -r 0
check_cmd "top -b -r 0: all 30 rows" rows_ok 30 13
run 20 "$TOP" -b "${synth[@]}" -n 3 -r 5
check_cmd "top -b -r 5: 5 rows" rows_ok 5 13

# every view by number and by name: its title and its columns
views=("1 driver by driver ^DRIVER +EV/S"
       "2 process by process ^ +PID COMM +EV/S"
       "3 default by driver x process ^DRIVER +PID COMM"
       "4 class by event type ^CLASS +EV/S"
       "5 fence fence waits ^ +PID COMM +WAIT/S +P50 +P99 +MAX NEST FAIL"
       "6 pin pins ^ +PID COMM +PIN/S PGPIN PGUNP OUTSTD"
       "7 unmap reclaim/unmap ^ +PID COMM +UNMP/S CALLS")
for v in "${views[@]}"; do
	read -r num vname rest <<<"$v"
	title=${rest%% ^*}
	cols="^${rest#* ^}"
	for arg in "$num" "$vname"; do
		run 20 "$TOP" -b "${synth[@]}" -n 1 -v "$arg"
		name="top -b -v $arg"
		if [ "$rc" != 0 ]; then
			fail "$name" "exit $rc: $(first_err)"
		elif ! grep -qE "^view $num $title  sort" "$tmp/out"; then
			fail "$name" "no 'view $num $title': $(sed -n 4p "$tmp/out")"
		elif ! grep -qE -- "$cols" "$tmp/out"; then
			fail "$name" "no column header /$cols/: $(sed -n 6p "$tmp/out")"
		elif [ "$(snapshot_rows 1 | wc -l)" -lt 1 ]; then
			fail "$name" "no rows"
		else
			pass "$name"
		fi
	done
done

run 20 "$TOP" -b "${synth[@]}" -n 2 -p 1003 -r 0
name="top -b -p 1003"
others=$(awk '/^DRIVER +PID/ { b = 1; next } /^notifier-top/ { b = 0 } b && NF && $2 != 1003' \
	"$tmp/out" | head -n 1)
if [ "$rc" != 0 ]; then
	fail "$name" "exit $rc: $(first_err)"
elif [ "$(snapshot_rows 1 | wc -l)" != 4 ]; then
	# pid 1003 is pairs 12-15: callbacks 1-4
	fail "$name" "$(snapshot_rows 1 | wc -l) rows, want 4 (one per driver)"
elif [ -n "$others" ]; then
	fail "$name" "another pid: $others"
else
	pass "$name"
fi

# --- JSON ---

if ! have jq; then
	skip_n 15 "top -j" "jq not installed"
else
	json_is() {
		local out

		if [ ! -s "$tmp/out" ]; then
			fail "$1" "no output"
		elif out=$(jq -e -s "$2" "$tmp/out" 2>&1); then
			pass "$1"
		else
			fail "$1" "jq '$2' gave: $(echo "$out" | tr '\n' ' ' | head -c 300)"
		fi
	}
	run 20 "$TOP" -j "${synth[@]}" -n 3 -r 0
	if [ "$rc" != 0 ]; then
		fail "top -j" "exit $rc: $(first_err)"
		skip_n 9 "top -j" "no JSON to check"
	else
		json_is "top -j: three JSON lines" 'length == 3'
		[ "$(lines "$tmp/out")" = 3 ] && pass "top -j: one object a line" ||
			fail "top -j: one object a line" "$(lines "$tmp/out") lines"
		json_is "top -j: fields" 'all(.[]; .feed == "synthetic" and .view == "default" and
			.sort == "rate" and .ascending == false and .filter == "none" and
			.interval_s > 0.15 and .interval_s < 0.6 and .probes == null and
			.counters.drops == 0 and .rows_total == 30 and (.rows | length) == 30)'
		json_is "top -j: every class has a rate" \
			'all(.[]; .rates | has("inval_start", "inval_end", "unmap", "pin", "unpin",
			 "fence_wait"))'
		# 20000 events/s by default, paced by the clock
		json_is "top -j: the synthetic rate holds" \
			'all(.[]; ([.rates[]] | add) as $r | $r > 16000 and $r < 24000)'
		json_is "top -j: row columns" 'all(.[].rows[]; keys == (["blockable_pct", "comm",
			"driver", "events", "failures", "max_ns", "nested", "p50_ns", "p99_ns",
			"pages_pinned", "pid", "rate", "reclaim_unmaps", "share_pct", "callback_id"] | sort))'
		json_is "top -j: events agree with the rate" \
			'all(.[]; .interval_s as $s | all(.rows[]; (.events / $s - .rate | fabs) < 0.01 * (.rate + 1)))'
		json_is "top -j: sorted by rate, descending" \
			'all(.[]; [.rows[].rate] as $r | $r == ($r | sort | reverse))'
		json_is "top -j: p50 <= p99 <= max" \
			'all(.[].rows[] | select(.p50_ns != null); .p50_ns <= .p99_ns and
			 .p99_ns <= .max_ns)'
		# A driver's row is its callback's part of the invalidation time,
		# which the chain's rows hold whole: in views 1-3 rows of both
		# kinds do not add up; the class view's shares of all traced time do.
		run 20 "$TOP" -j "${synth[@]}" -n 2 -r 0 -v class
		json_is "top -j: class view shares add up to 100" \
			'all(.[]; [.rows[].share_pct] | add | . > 99.9 and . < 100.1)'
	fi
	# stopped by a signal mid-interval: that interval so far is one more line
	"$TOP" -j "${synth[@]}" -d 5 -r 0 >"$tmp/int.json" 2>"$tmp/int.err" &
	pid=$!
	for _ in $(seq 200); do
		grep -q '^{' "$tmp/int.json" && break
		sleep 0.1
	done
	sleep 1
	kill -INT $pid
	wait $pid
	rc=$?
	got=$(jq -s -c '[length, .[-1].interval_s, (.[-1] | .interval_s as $s |
		all(.rows[]; (.events / $s - .rate | fabs) < 0.01 * (.rate + 1)))]' "$tmp/int.json" 2>&1)
	if [ "$rc" = 0 ] && jq -e '.[0] == 2 and .[1] > 0.5 and .[1] < 4 and .[2]' <<<"$got" >/dev/null; then
		pass "top -j: SIGINT mid-interval prints that interval so far, exit 0"
	else
		fail "top -j: SIGINT mid-interval prints that interval so far, exit 0" \
			"exit $rc; [lines, last interval_s, rates agree] $got; $(head -n 1 "$tmp/int.err")"
	fi
	# sort column and direction; "not applicable" last
	run 20 "$TOP" -j "${synth[@]}" -n 2 -r 0 -s p99
	json_is "top -j -s p99: slowest first" \
		'all(.[]; [.rows[].p99_ns | select(. != null)] as $p | $p == ($p | sort | reverse))'
	run 20 "$TOP" -j "${synth[@]}" -n 2 -r 0 -s pid
	json_is "top -j -s pid: ascending" \
		'all(.[]; .sort == "pid" and .ascending and
		 ([.rows[].pid] as $p | $p == ($p | sort)))'
	run 20 "$TOP" -j "${synth[@]}" -n 2 -r 0 -s PID -R
	json_is "top -j -s PID -R: descending" \
		'all(.[]; [.rows[].pid] as $p | $p == ($p | sort | reverse))'
	run 20 "$TOP" -j "${synth[@]}" -n 2 -r 7 -v pin -s outstanding
	json_is "top -j -v pin: pin columns, -r 7" \
		'all(.[]; .view == "pin" and (.rows | length) == 7 and
		 all(.rows[]; has("pages_outstanding") and has("pages_unpinned")))'
	run 20 "$TOP" -j "${synth[@]}" -n 2 -p 1001 -v fence
	json_is "top -j -p 1001 -v fence: one row" \
		'all(.[]; .filter == "pid 1001" and (.rows | length) == 1 and .rows[0].pid == 1001)'
fi

# --- no root needed for the synthetic feed; root needed for probes ---

if ! $is_root; then
	skip_n 2 "top as nobody" "not root, cannot drop to nobody"
elif ! have setpriv; then
	skip_n 2 "top as nobody" "setpriv (util-linux) not installed"
else
	mkdir -p "$tmp/bin" && cp "$TOP" "$tmp/bin/notifier-top" &&
		chmod 755 "$tmp" "$tmp/bin" "$tmp/bin/notifier-top"
	as_nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all)
	run 20 "${as_nobody[@]}" "$tmp/bin/notifier-top" -b --synthetic -n 1 -d 0.2
	[ "$rc" = 0 ] && grep -q '^notifier-top ' "$tmp/out" && pass "top --synthetic as nobody" ||
		fail "top --synthetic as nobody" "exit $rc: $(first_err)"
	run 20 "${as_nobody[@]}" "$tmp/bin/notifier-top" -b --no-daemon -n 1 -d 0.2
	if [ "$rc" = 1 ] && grep -q CAP_BPF "$tmp/err" && [ ! -s "$tmp/out" ]; then
		pass "top --no-daemon as nobody: exit 1, says why"
	else
		fail "top --no-daemon as nobody" "exit $rc, stderr: $(tr '\n' '|' <"$tmp/err")"
	fi
fi

if ! $is_root; then
	skip_n 3 "top live" "not root"
else
	run 30 "$TOP" -b --no-daemon -n 2 -d 0.3
	name="top -b --no-daemon: live probes"
	if [ "$rc" != 0 ]; then
		fail "$name" "exit $rc: $(first_err)"
	elif [ "$(grep -c '^notifier-top .* feed live ' "$tmp/out")" != 2 ]; then
		fail "$name" "want 2 snapshots of the live feed: $(head -n 1 "$tmp/out")"
	elif ! grep -qE '^probes [1-9][0-9]*/[0-9]+ live: ' "$tmp/out"; then
		fail "$name" "no live probe count: $(sed -n 3p "$tmp/out")"
	elif [ -s "$tmp/err" ]; then
		fail "$name" "stderr: $(first_err)"
	else
		pass "$name"
	fi
	# no daemon at the socket: one line saying so, then probes of its own
	run 30 "$TOP" -j --socket "$tmp/none.sock" -n 1 -d 0.3
	name="top --socket (no daemon): falls back to live"
	if [ "$rc" != 0 ]; then
		fail "$name" "exit $rc: $(first_err)"
	elif [ "$(lines "$tmp/err")" != 1 ] || ! grep -qF "$tmp/none.sock" "$tmp/err"; then
		fail "$name" "want one note naming the socket: $(tr '\n' '|' <"$tmp/err")"
	elif ! jq -e '.feed == "live" and .probes.live >= 1 and .probes.total >= .probes.live' \
		"$tmp/out" >/dev/null 2>&1; then
		fail "$name" "not a live snapshot: $(head -c 300 "$tmp/out")"
	else
		pass "$name"
	fi
	# a notifierd of our own on a socket of our own: notifier-top reads it
	notifierd=$(dirname "$TOP")/notifierd
	name="top --socket: the daemon feed"
	if [ ! -x "$notifierd" ]; then
		skip "$name" "no notifierd beside $TOP"
	else
		"$notifierd" --socket "$tmp/d.sock" --no-pin -q >/dev/null 2>"$tmp/d.err" &
		dpid=$!
		for _ in $(seq 100); do
			[ -S "$tmp/d.sock" ] || ! kill -0 "$dpid" 2>/dev/null && break
			sleep 0.1
		done
		run 30 "$TOP" -j --socket "$tmp/d.sock" -n 2 -d 0.3
		kill -TERM "$dpid" 2>/dev/null
		wait "$dpid"
		if [ "$rc" != 0 ]; then
			fail "$name" "exit $rc: $(first_err) (notifierd: $(head -n 1 "$tmp/d.err"))"
		elif [ -s "$tmp/err" ]; then
			fail "$name" "stderr: $(first_err)"
		elif ! jq -e -s 'length == 2 and all(.[]; .feed == "daemon" and
			.probes.live >= 1)' "$tmp/out" >/dev/null 2>&1; then
			fail "$name" "not the daemon's snapshots: $(head -c 300 "$tmp/out")"
		else
			pass "$name"
		fi
	fi
fi

# --- the full-screen view, driven through tmux ---

have tmux || skip_rest "top full screen" "tmux not installed"

# a server of our own, its socket in $tmp
T() { tmux -S "$tmp/tmux" -f /dev/null "$@"; }
screen() { T capture-pane -p -t top >"$tmp/screen" 2>/dev/null; }
pane() { T display -p -t top "$1" 2>/dev/null; }
# until_ok SECS CMD...: CMD on fresh captures until it succeeds.
until_ok() {
	local end=$((SECONDS + $1))

	shift
	while :; do
		screen
		"$@" >/dev/null && return 0
		[ "$SECONDS" -ge "$end" ] && return 1
		sleep 0.1
	done
}
on_screen() { grep -qE -- "$1" "$tmp/screen"; }
screen_line() { sed -n "${1}p" "$tmp/screen"; }

# A shell in a 100x40 pane: notifier-top's exit status, and the terminal
# modes before and after, land in files.
T new-session -d -s top -x 100 -y 40 \
	"env -i PATH=$PATH TERM=screen HOME=$tmp HISTFILE=/dev/null PS1='TOPSH\$ ' \
	 bash --norc --noprofile -i" ||
	{ fail "tmux session" "cannot start tmux"; skip_rest "top full screen" "no tmux session"; }
T set-option -t top remain-on-exit on >/dev/null
if ! until_ok 10 on_screen 'TOPSH\$'; then
	fail "tmux session" "no shell prompt"
	skip_rest "top full screen" "no shell in the tmux session"
fi
T send-keys -t top "ulimit -c 0; cd $tmp" Enter

# start_top ARGS: runs notifier-top in the pane, waits for its rows.
start_top() {
	rm -f "$tmp/rc" "$tmp/stty.before" "$tmp/stty.after"
	T send-keys -t top \
		"clear; stty -g >stty.before; $TOP $*; echo \$? >rc; stty -g >stty.after" Enter
	until_ok 10 on_screen '^ *[a-z0-9_]+ +10[0-9][0-9] +synth'
}
top_pid() { pgrep -P "$(pane '#{pane_pid}')" -x "$(basename "$TOP" | cut -c 1-15)"; }
# restored NAME WANT_RC: notifier-top ended with WANT_RC, the alternate
# screen is gone, the shell prompt is back and stty says what it said before.
restored() {
	local name=$1 want=$2 end=$((SECONDS + 10))

	while [ ! -s "$tmp/stty.after" ] && [ "$SECONDS" -lt "$end" ]; do sleep 0.1; done
	screen
	if [ ! -s "$tmp/rc" ]; then
		fail "$name" "notifier-top did not exit"
	elif [ "$(cat "$tmp/rc")" != "$want" ]; then
		fail "$name" "exit $(cat "$tmp/rc"), want $want"
	elif [ "$(pane '#{alternate_on}')" != 0 ]; then
		fail "$name" "still on the alternate screen"
	elif on_screen '^notifier-top '; then
		fail "$name" "the view is still on screen"
	elif ! until_ok 5 on_screen 'TOPSH\$ *$'; then
		fail "$name" "no shell prompt after exit"
	elif ! cmp -s "$tmp/stty.before" "$tmp/stty.after"; then
		fail "$name" "terminal modes differ:" \
			"$(cat "$tmp/stty.before") vs $(cat "$tmp/stty.after")"
	else
		pass "$name"
	fi
}

# The rows of the screen: the lines under the column header (line 6).
rows() { awk 'NR > 6 && NF' "$tmp/screen"; }
# sorted FIELD asc|desc num|str|ns: the rows are in that order, "-" last.
sorted() {
	rows | awk -v f="$1" -v dir="$2" -v type="$3" '
		function val(s,  n) {
			n = s + 0
			if (type == "ns") {
				if (s ~ /ns$/) return n; if (s ~ /us$/) return n * 1e3
				if (s ~ /ms$/) return n * 1e6; if (s ~ /s$/) return n * 1e9
			}
			if (s ~ /k$/) return n * 1e3; if (s ~ /M$/) return n * 1e6
			return n
		}
		{ s = $f; rows++ }
		s == "-" { dash = 1; next }
		dash { bad = "a value after \"-\" in row " rows; exit }
		rows > 1 {
			if (type == "str") { lt = s < prev; gt = s > prev }
			else { lt = val(s) < val(prev); gt = val(s) > val(prev) }
			if ((dir == "asc" && lt) || (dir == "desc" && gt)) {
				bad = "row " rows ": " s " after " prev; exit
			}
		}
		{ prev = s }
		END {
			if (!bad && rows < 10) bad = "only " rows " rows"
			if (bad) { print bad; exit 1 }
		}'
}
# sort_check NAME KEYS FIELD DIR TYPE HEADER: after KEYS, the header says
# HEADER and the rows are in that order.
sort_check() {
	local name=$1 keys=$2 why

	for k in $keys; do T send-keys -t top "$k"; done
	if ! until_ok 5 on_screen "sort $6 "; then
		fail "$name" "header never says 'sort $6': $(screen_line 4)"
	elif ! until_ok 5 sorted "$3" "$4" "$5"; then
		why=$(sorted "$3" "$4" "$5")
		fail "$name" "rows not in $4 order of field $3: $why"
	else
		pass "$name"
	fi
}

if ! start_top --synthetic=5 --keys 60 -d 0.3; then
	fail "top: header and rows" "no rows: $(tr '\n' '|' <"$tmp/screen" | head -c 400)"
	skip_rest "top full screen" "notifier-top showed no rows"
fi
if ! on_screen '^notifier-top  [0-9:]+  feed synthetic  every 0.3s  keys [0-9]+$'; then
	fail "top: header and rows" "header: $(screen_line 1)"
elif ! on_screen '^ev/s +start [0-9.k]+ +end '; then
	fail "top: header and rows" "rates line: $(screen_line 2)"
elif ! on_screen '^probes: none \(synthetic feed\)  drops 0'; then
	fail "top: header and rows" "probes line: $(screen_line 3)"
elif ! on_screen '^DRIVER +PID COMM +EV/S +P50 +P99 +MAX %TIME FAIL BLK% NEST PGPIN RECL'; then
	fail "top: header and rows" "column header: $(screen_line 6)"
elif [ "$(rows | wc -l)" != 34 ]; then
	fail "top: header and rows" "$(rows | wc -l) rows in a 40-line pane, want 34"
else
	pass "top: header and rows"
fi
[ "$(pane '#{alternate_on}')" = 1 ] && pass "top: alternate screen" ||
	fail "top: alternate screen" "not on the alternate screen"
until_ok 5 sorted 4 desc num && pass "top: rows by EV/S, descending" ||
	fail "top: rows by EV/S, descending" "$(sorted 4 desc num)"
# colours: 17 ms p99s (pairs 11, 27, 43, 59) in bold red
if T capture-pane -e -p -t top | grep -qE $'\033\\[1m\033\\[31m +[0-9.]+ms'; then
	pass "top: p99 over 10 ms in red"
else
	fail "top: p99 over 10 ms in red" "no red cells"
fi

sort_check "top: s pid Enter sorts by PID" "s p i d Enter" 2 asc num "PID asc"
sort_check "top: r reverses" "r" 2 desc num "PID desc"
sort_check "top: > moves to COMM" ">" 3 asc str "COMM asc"
sort_check "top: < < moves to DRIVER" "< <" 1 asc str "DRIVER asc"
sort_check "top: s p99 sorts by P99" "s p 9 9 Enter" 6 desc ns "P99 desc"
sort_check "top: < moves to P50" "<" 5 desc ns "P50 desc"
T send-keys -t top s b o g u s Enter
until_ok 5 on_screen "no column 'bogus' in this view" && pass "top: s bogus says so" ||
	fail "top: s bogus says so" "status line: $(screen_line 5)"

# views: the title and the column header change
view_check() {
	local name=$1 key=$2 title=$3 cols=$4

	T send-keys -t top "$key"
	if ! until_ok 5 on_screen "^view $title  sort"; then
		fail "$name" "no 'view $title': $(screen_line 4)"
	elif ! until_ok 5 on_screen "$cols"; then
		fail "$name" "column header: $(screen_line 6)"
	else
		pass "$name"
	fi
}
view_check "top: 5 fence waits" 5 "5 fence waits" '^ +PID COMM +WAIT/S +P50 +P99 +MAX NEST FAIL'
view_check "top: Tab to pins" Tab "6 pins" '^ +PID COMM +PIN/S PGPIN PGUNP OUTSTD'
view_check "top: Tab to unmaps" Tab "7 reclaim/unmap" '^ +PID COMM +UNMP/S CALLS'
view_check "top: Tab wraps to driver" Tab "1 by driver" '^DRIVER +EV/S +P50'
view_check "top: 4 event types" 4 "4 by event type" '^CLASS +EV/S'
until_ok 5 on_screen '^inval_start +[0-9]' && until_ok 5 on_screen '^fence_wait +[0-9]' &&
	pass "top: event type rows" || fail "top: event type rows" "$(rows | head -n 3 | tr '\n' '|')"
view_check "top: 2 processes" 2 "2 by process" '^ +PID COMM +EV/S'

# filter
T send-keys -t top / p i d Space 1 0 0 3 Enter
only_1003() { [ "$(rows | wc -l)" = 1 ] && rows | grep -qE '^ +1003 synth3 '; }
if ! until_ok 5 on_screen 'filter pid 1003  rows 1$'; then
	fail "top: / pid 1003 filters" "header: $(screen_line 4)"
elif ! until_ok 5 only_1003; then
	fail "top: / pid 1003 filters" "rows: $(rows | head -n 3 | tr '\n' '|')"
else
	pass "top: / pid 1003 filters"
fi
# synthetic pids are nobody's in this cgroup (and mostly nobody's at all)
T send-keys -t top / c g r o u p Space / n t f - n o n e Enter
until_ok 5 on_screen 'filter cgroup /ntf-none  rows 0$' && pass "top: / cgroup filters by cgroup" ||
	fail "top: / cgroup filters by cgroup" "header: $(screen_line 4)"
T send-keys -t top / Enter
until_ok 5 on_screen 'filter none  rows 15$' && pass "top: / Enter clears the filter" ||
	fail "top: / Enter clears the filter" "header: $(screen_line 4)"

# pause: the clock in the header stops, then moves again
T send-keys -t top p
if ! until_ok 5 on_screen '\[paused\]'; then
	fail "top: p pauses" "no [paused]: $(screen_line 1)"
else
	a=$(screen_line 1)
	sleep 1.5
	screen
	b=$(screen_line 1)
	T send-keys -t top p
	sleep 1.5
	screen
	c=$(screen_line 1)
	if [ "$a" != "$b" ]; then
		fail "top: p pauses" "header moved while paused: '$a' '$b'"
	elif [ "$b" = "$c" ] || [[ $c == *paused* ]]; then
		fail "top: p pauses" "did not resume: '$c'"
	else
		pass "top: p pauses and resumes"
	fi
fi

# interval: + and - walk 0.1 0.2 0.5 1 2 ..., d takes seconds
T send-keys -t top +
until_ok 5 on_screen 'every 0.5s' && pass "top: + lengthens the interval" ||
	fail "top: + lengthens the interval" "$(screen_line 1)"
T send-keys -t top -
until_ok 5 on_screen 'every 0.2s' && pass "top: - shortens the interval" ||
	fail "top: - shortens the interval" "$(screen_line 1)"
T send-keys -t top d 1 . 5 Enter
until_ok 5 on_screen 'every 1.5s' && pass "top: d sets the interval" ||
	fail "top: d sets the interval" "$(screen_line 1)"
T send-keys -t top d 0 . 3 Enter

# help, and back
T send-keys -t top h
if ! until_ok 5 on_screen '^notifier-top keys'; then
	fail "top: h shows help" "$(screen_line 1)"
else
	T send-keys -t top x
	until_ok 5 on_screen '^view 2 by process' && pass "top: h shows help, a key goes back" ||
		fail "top: h shows help, a key goes back" "$(screen_line 4)"
fi

# resizes: narrower drops columns from the right, tiny does not crash, wider grows COMM
T resize-window -t top -x 60 -y 15
# 15 processes; COMM takes what the columns leave, up to 15
narrow() { on_screen '^ +PID COMM +EV/S.* BLK% NEST$' && [ "$(rows | wc -l)" = 9 ]; }
until_ok 5 narrow && pass "top: resize to 60x15" ||
	fail "top: resize to 60x15" "$(screen_line 6) / $(rows | wc -l) rows"
for size in "30 6" "12 3" "1 1"; do
	read -r w h <<<"$size"
	T resize-window -t top -x "$w" -y "$h"
	sleep 0.5
done
T resize-window -t top -x 120 -y 30
wide() { on_screen '^ +PID COMM {13}EV/S.* RECL$' && [ "$(rows | wc -l)" = 15 ]; }
if [ -z "$(top_pid)" ]; then
	fail "top: tiny sizes and back to 120x30" \
		"notifier-top died (exit $(cat "$tmp/rc" 2>/dev/null))"
elif ! until_ok 5 wide; then
	fail "top: tiny sizes and back to 120x30" "$(screen_line 6) / $(rows | wc -l) rows"
else
	pass "top: tiny sizes and back to 120x30"
fi

T send-keys -t top q
restored "top: q exits 0, terminal restored" 0

# ends NAME WANT_RC "TOP ARGS" CMD...: notifier-top started again with TOP
# ARGS, ended by CMD, then restored NAME WANT_RC (one line either way).
ends() {
	local name=$1 want=$2 args=$3

	shift 3
	# shellcheck disable=SC2086 # a word list
	if ! start_top $args; then
		fail "$name" "no rows after starting it again"
		return
	fi
	"$@"
	restored "$name" "$want"
}
sig() { kill "-$1" "$(top_pid)" 2>/dev/null; }

# signals: SIGTERM and SIGINT end it cleanly; a crash still restores the terminal
ends "top: SIGTERM exits 0, terminal restored" 0 "--synthetic --keys 20 -d 0.5" sig TERM
ends "top: Ctrl-C exits 0, terminal restored" 0 "--synthetic --keys 20 -d 0.5" T send-keys -t top C-c
ends "top: SIGABRT restores the terminal" 134 "--synthetic --keys 20 -d 0.5" sig ABRT
ends "top: SIGSEGV restores the terminal" 139 "--synthetic --keys 20 -d 0.5" sig SEGV
# -n: exits by itself after that many refreshes
ends "top: -n 10 exits 0 by itself" 0 "--synthetic --keys 20 -d 0.3 -n 10" true

tap_done
