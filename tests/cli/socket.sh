#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Host tests of notifierd's client socket: two clients at once, hostile
# clients refused while others are served, a client that never reads
# costing a bounded amount of memory, permissions, SIGTERM (tests/run-all.sh
# then fuzzes the protocol: tests/fuzz/run.sh). One line per test:
# "ok - NAME", "not ok - NAME: why" or "skip - NAME: why" (tests/lib/tap.sh).
#
# Usage: tests/cli/socket.sh       (after make; root for the daemon half)
# NOTIFIER / NOTIFIERD override the binaries.

set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/tap.sh"
NTF_TAP_PREFIX="socket: "
plan 15
NOTIFIER=${NOTIFIER:-$top/build/notifier}
NOTIFIERD=${NOTIFIERD:-$top/build/notifierd}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ntf-sock.XXXXXX") || exit 1
daemon_pid=
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	[ -n "$daemon_pid" ] && kill -KILL "$daemon_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

have() { command -v "$1" >/dev/null 2>&1; }

# A raw client for what the real one never does (perl-base is always there).
# peer garbage|oversized|version PATH: writes a bad frame, prints the frames
# it gets back ("error CODE MESSAGE", "frame TYPE") and "closed" at the end.
# peer idle PATH SECS: says HELLO for 100 ms updates, then never reads.
# shellcheck disable=SC2016 # perl's variables
peer_pl='
use strict;
use IO::Socket::UNIX;
my ($mode, $path, $arg) = @ARGV;
my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $path) or die "connect: $!\n";
# header: magic, version, type, payload length, reserved; HELLO: version, 0, interval
my %bad = (
	garbage => "GET / HTTP/1.0\r\n\r\n",
	oversized => pack("a4 v v V V", "ntfp", $ENV{PROTO}, 1, 0x7fffffff, 0),
	version => pack("a4 v v V V v v V", "ntfp", $ENV{PROTO} + 1, 1, 8, 0, $ENV{PROTO} + 1, 0, 100),
);
if ($mode eq "idle") {
	syswrite($s, pack("a4 v v V V v v V", "ntfp", $ENV{PROTO}, 1, 8, 0, $ENV{PROTO}, 0, 100));
	sleep $arg;
	exit 0;
}
syswrite($s, $bad{$mode}) or die "write: $!\n";
$SIG{ALRM} = sub { print "timeout\n"; exit 1 };
alarm 10;
my $buf = "";
while (1) {
	my $n = sysread($s, my $chunk, 65536);
	last if !defined $n && $!{ECONNRESET};
	die "read: $!\n" if !defined $n;
	last if $n == 0;
	$buf .= $chunk;
}
while (length($buf) >= 16) {
	my ($magic, $ver, $type, $len) = unpack("a4 v v V", $buf);
	last if length($buf) < 16 + $len;
	if ($type == 5) {
		my ($code, $mlen) = unpack("V v", substr($buf, 16));
		print "error $code ", substr($buf, 22, $mlen), "\n";
	} else {
		print "frame $type\n";
	}
	substr($buf, 0, 16 + $len) = "";
}
print "closed\n";
'
# the version this build speaks, as the daemon's header says
PROTO=$(sed -n 's/^#define NTF_PROTO_VERSION \([0-9]*\).*/\1/p' "$top/user/wire/proto.h")
export PROTO
peer() { perl -e "$peer_pl" "$@"; }

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

# start_daemon SOCKET [ARGS]: notifierd in the background, waits for its socket.
start_daemon() {
	local sock=$1

	shift
	"$NOTIFIERD" --no-pin -q -j --socket "$sock" "$@" >"$tmp/d.out" 2>"$tmp/d.err" &
	daemon_pid=$!
	for _ in $(seq 200); do
		[ -S "$sock" ] && return 0
		kill -0 "$daemon_pid" 2>/dev/null || break
		sleep 0.1
	done
	return 1
}

# stop_daemon: SIGTERM; sets rc to its exit status.
stop_daemon() {
	kill -TERM "$daemon_pid"
	wait "$daemon_pid"
	rc=$?
	daemon_pid=
}

for bin in "$NOTIFIER" "$NOTIFIERD"; do
	if [ ! -x "$bin" ]; then
		fail "binaries" "$bin not built (run make)"
		skip_rest "the rest" "no binaries"
	fi
done
[ "$(id -u)" = 0 ] || skip_rest "notifierd serving" "not root"
for t in jq perl; do
	have "$t" || skip_rest "notifierd serving" "$t not installed"
done

dir=$tmp/run
sock=$dir/notifierd.sock
if ! start_daemon "$sock"; then
	fail "notifierd serves" "no socket at $sock: $(head -n 1 "$tmp/d.err")"
	skip_rest "the rest" "no daemon to test"
fi
pass "notifierd serves $sock"

# --- permissions ---

got="$(stat -c '%a %U:%G' "$dir") $(stat -c '%a %U:%G' "$sock")"
if [ "$got" = "750 root:root 660 root:root" ]; then
	pass "directory 0750, socket 0660, root only"
else
	fail "permissions" "got '$got', want '750 root:root 660 root:root'"
fi

# --- two clients at once: each gets WELCOME and SNAPSHOT, then deltas ---

pids=()
for i in 1 2; do
	timeout 20 "$NOTIFIER" mirror -s "$sock" -j -n 5 -i 0.2 >"$tmp/c$i.out" 2>"$tmp/c$i.err" &
	pids+=($!)
done
rcs=()
for pid in "${pids[@]}"; do
	wait "$pid"
	rcs+=($?)
done
for i in 1 2; do
	name="client $i: welcome, snapshot, deltas"
	if [ "${rcs[i - 1]}" != 0 ]; then
		fail "$name" "exit ${rcs[i - 1]}: $(head -n 1 "$tmp/c$i.err")"
	elif jq -e --argjson v "$PROTO" '.version == $v and .interval_ms == 200 and .snapshots == 1 and .deltas == 4 and
		    (.probes[] | select(.id == "fence_wait") | .attached) and
		    (.counters | has("ringbuf_drops") and has("events")) and
		    (.entries | type == "array")' "$tmp/c$i.out" >/dev/null 2>&1; then
		pass "$name"
	else
		fail "$name" "$(head -c 300 "$tmp/c$i.out")"
	fi
done
most=$(jq -s 'map(.counters.clients) | max' "$tmp/c1.out" "$tmp/c2.out" 2>/dev/null)
if [ "${most:-0}" -ge 2 ] 2>/dev/null; then
	pass "both clients served at once"
else
	fail "both clients served at once" "the daemon never counted 2 clients (got '$most')"
fi

# --- hostile clients: an ERROR and a closed connection; the daemon goes on ---

for mode in garbage:1 oversized:3 version:2; do
	name="${mode%%:*} client: error ${mode##*:}, closed"
	peer "${mode%%:*}" "$sock" >"$tmp/peer.out" 2>&1
	if grep -q "^error ${mode##*:} " "$tmp/peer.out" &&
	   [ "$(tail -n 1 "$tmp/peer.out")" = closed ]; then
		pass "$name ($(grep -m1 '^error' "$tmp/peer.out" | cut -d' ' -f3-))"
	else
		fail "$name" "$(tr '\n' '|' <"$tmp/peer.out")"
	fi
done
if kill -0 "$daemon_pid" 2>/dev/null &&
   timeout 10 "$NOTIFIER" mirror -s "$sock" -j >"$tmp/c3.out" 2>"$tmp/c3.err" &&
   jq -e '.snapshots == 1' "$tmp/c3.out" >/dev/null 2>&1; then
	pass "after hostile clients: daemon alive, a new client served"
else
	fail "after hostile clients" "daemon gone or not serving: $(head -n 1 "$tmp/c3.err")"
fi

# --- a client that never reads: memory stays bounded ---

# 10 s of 100 ms deltas into a socket nobody reads. The bound is the
# per-client cap (4 MiB) plus slack; in practice RSS should not move.
peer idle "$sock" 60 & # killed below; its own end well past the new client's arrival
idle_pid=$!
sleep 1
rss0=$(rss_kb "$daemon_pid")
sleep 10
rss1=$(rss_kb "$daemon_pid")
# a client arriving meanwhile is still served
if timeout 10 "$NOTIFIER" mirror -s "$sock" -j >"$tmp/c4.out" 2>"$tmp/c4.err" &&
   clients=$(jq -e '.counters.clients' "$tmp/c4.out" 2>/dev/null) && [ "$clients" -ge 2 ]; then
	pass "beside a client that never reads, another is served"
else
	fail "beside a client that never reads" \
		"$(head -n 1 "$tmp/c4.err") $(head -c 200 "$tmp/c4.out")"
fi
kill "$idle_pid" 2>/dev/null
wait "$idle_pid" 2>/dev/null
name="a client that never reads: RSS bounded over 10 s"
if [ -z "$rss0" ] || [ -z "$rss1" ]; then
	fail "$name" "cannot read /proc/$daemon_pid/status"
elif [ $((rss1 - rss0)) -le $((6 * 1024)) ]; then
	pass "$name (${rss0} kB -> ${rss1} kB)"
else
	fail "$name" "grew from ${rss0} kB to ${rss1} kB"
fi

# --- a second daemon on a live socket is refused; the first goes on ---

"$NOTIFIERD" --no-pin -q -d 1 --socket "$sock" >/dev/null 2>"$tmp/d2.err"
rc=$?
if [ "$rc" != 0 ] && grep -q "another notifierd" "$tmp/d2.err" && [ -S "$sock" ] &&
   kill -0 "$daemon_pid" 2>/dev/null; then
	pass "second daemon on the same socket refused"
else
	fail "second daemon on the same socket" "exit $rc: $(head -n 1 "$tmp/d2.err")"
fi

# --- SIGTERM: exit 0, socket and directory gone ---

stop_daemon
if [ "$rc" = 0 ] && [ ! -e "$sock" ] && [ ! -e "$dir" ] &&
   jq -e 'select(.type == "summary")' "$tmp/d.out" >/dev/null 2>&1; then
	pass "SIGTERM: exit 0, summary, socket and directory removed"
else
	left=
	for f in "$sock" "$dir"; do [ -e "$f" ] && left+=" $f"; done
	fail "SIGTERM" "exit $rc; left:${left:- nothing}"
fi

# --- a group may connect; no socket at all on request ---

group=$(getent group daemon adm nogroup | head -n 1 | cut -d: -f1)
if [ -z "$group" ]; then
	skip "--socket-group" "no daemon, adm or nogroup group here"
elif ! start_daemon "$sock" --socket-group "$group"; then
	fail "--socket-group $group" "no socket: $(head -n 1 "$tmp/d.err")"
else
	got="$(stat -c '%a %U:%G' "$dir") $(stat -c '%a %U:%G' "$sock")"
	if [ "$got" = "750 root:$group 660 root:$group" ]; then
		pass "--socket-group $group: directory and socket in the group"
	else
		fail "--socket-group $group" "got '$got'"
	fi
	stop_daemon
fi
"$NOTIFIERD" --no-pin -q -d 2 --socket "$sock" --no-socket >/dev/null 2>"$tmp/d3.err" &
pid=$!
sleep 1.5
seen=
[ -e "$dir" ] && seen="$dir exists"
wait "$pid"
rc=$?
if [ "$rc" = 0 ] && [ -z "$seen" ]; then
	pass "--no-socket: none made"
else
	fail "--no-socket" "exit $rc ($(head -n 1 "$tmp/d3.err")), ${seen:-no socket}"
fi

tap_done
