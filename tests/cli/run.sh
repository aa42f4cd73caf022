#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Host smoke tests of notifier and notifierd: bad input, failed preflight
# checks, and short real runs. One line per test: "ok - NAME",
# "not ok - NAME: why" or "skip - NAME: why" (tests/lib/tap.sh); exits 1
# if any failed.
#
# Usage: tests/cli/run.sh          (after make; root for the privileged half)
# NOTIFIER / NOTIFIERD override the binaries, SRC the user/ sources whose
# option tables --help is checked against.

set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/tap.sh"
plan 65
NOTIFIER=${NOTIFIER:-$top/build/notifier}
NOTIFIERD=${NOTIFIERD:-$top/build/notifierd}
SRC=${SRC:-$top/user}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ntf-cli.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# run SECS CMD...: sets rc, and $tmp/out and $tmp/err. A timeout is rc 124:
# a bad argument taken as valid would start tracing and never end.
run() {
	local secs=$1

	shift
	timeout -k 5 "$secs" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

lines() { wc -l <"$1"; }
first_err() { head -n 1 "$tmp/err"; }

for bin in "$NOTIFIER" "$NOTIFIERD"; do
	if [ ! -x "$bin" ]; then
		fail "binaries" "$bin not built (run make)"
		skip_rest "the rest" "no binaries"
	fi
done

is_root=false
[ "$(id -u)" = 0 ] && is_root=true
have() { command -v "$1" >/dev/null 2>&1; }

# usage_error NAME WANT CMD...: exit 2, a single stderr line that contains
# WANT and points to --help, nothing on stdout.
usage_error() {
	local name=$1 want=$2

	shift 2
	run 10 "$@"
	if [ "$rc" != 2 ]; then
		fail "$name" "exit $rc, want 2 ($(first_err))"
	elif [ "$(lines "$tmp/err")" != 1 ]; then
		fail "$name" "$(lines "$tmp/err") lines on stderr, want 1: $(tr '\n' '|' <"$tmp/err")"
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

# --- bad input: no privileges needed, nothing gets loaded ---

for opt in --bogus -x; do
	usage_error "hist: unknown option $opt" "'$opt'" "$NOTIFIER" hist "$opt"
done
usage_error "hist: unknown option inside a cluster" "'-x'" "$NOTIFIER" hist -jx
usage_error "hist: missing argument" "'-d'" "$NOTIFIER" hist -d
for opt in --bogus -x; do
	usage_error "notifierd: unknown option $opt" "'$opt'" "$NOTIFIERD" "$opt"
done
usage_error "notifierd: missing argument" "'--pin-dir'" "$NOTIFIERD" --pin-dir

usage_error "hist: -d abc" "'abc'" "$NOTIFIER" hist -d abc
usage_error "hist: -d -1" "'-1'" "$NOTIFIER" hist -d -1
usage_error "hist: -d 0" "'0'" "$NOTIFIER" hist -d 0
usage_error "hist: -d 5x" "'5x'" "$NOTIFIER" hist -d 5x
usage_error "hist: -i abc" "'abc'" "$NOTIFIER" hist -i abc
usage_error "hist: -p 0" "-p: 0" "$NOTIFIER" hist -p 0
usage_error "hist: -p abc" "'abc'" "$NOTIFIER" hist -p abc
usage_error "hist: -p -5" "'-5'" "$NOTIFIER" hist -p -5
usage_error "hist: bad interval" "'soon'" "$NOTIFIER" hist soon
usage_error "hist: extra argument" "'3'" "$NOTIFIER" hist 1 2 3
usage_error "hist: --by an unknown key" "unknown --by key 'colour'" "$NOTIFIER" hist --by driver,colour
usage_error "hist: --by ends with a comma" "ends with ','" "$NOTIFIER" hist --by driver,
usage_error "hist: --buckets neither log2 nor fine" "'linear'" "$NOTIFIER" hist --buckets linear
usage_error "hist: -f an unknown term" "unknown filter 'colour'" "$NOTIFIER" hist -f "colour=red"
usage_error "notifierd: -d abc" "'abc'" "$NOTIFIERD" -d abc
usage_error "notifierd: -d -1" "'-1'" "$NOTIFIERD" -d -1
usage_error "notifierd: -p 0" "-p: 0" "$NOTIFIERD" -p 0
usage_error "notifierd: -K below the minimum" "-K: 3" "$NOTIFIERD" -K 3
usage_error "notifierd: -b not a power of 2" "-b: 3" "$NOTIFIERD" -b 3
usage_error "notifierd: extra argument" "'foo'" "$NOTIFIERD" foo

usage_error "record: -m without a unit" "needs a unit" "$NOTIFIER" record -m 5
usage_error "record: unknown class" "'foo'" "$NOTIFIER" record -e foo
usage_error "record: --sample 0" "--sample: 0" "$NOTIFIER" record --sample 0
usage_error "record: -f an unknown term" "unknown filter 'colour'" "$NOTIFIER" record -f "colour=red"
usage_error "record: -b not a power of 2" "-b: 3" "$NOTIFIER" record -b 3
usage_error "record: extra argument" "'foo'" "$NOTIFIER" record foo

usage_error "unknown command" "'bogus'" "$NOTIFIER" bogus
run 10 "$NOTIFIER"
if [ "$rc" = 2 ] && grep -q '^Usage: notifier' "$tmp/err" && [ ! -s "$tmp/out" ]; then
	pass "no command: usage on stderr"
else
	fail "no command: usage on stderr" "exit $rc, stderr: $(first_err)"
fi

usage_error "hist: unknown class" "'foo'" "$NOTIFIER" hist -e foo
usage_error "hist: unknown class in a list" "'foo'" "$NOTIFIER" hist -e pin,foo
usage_error "hist: empty class list" "empty" "$NOTIFIER" hist -e ,
usage_error "notifierd: unknown class" "'foo'" "$NOTIFIERD" -e foo

# --- help: exit 0, on stdout, every option of the getopt table ---

# Prints "name letter" for each entry of the struct option table in FILE
# (letter "-" for long-only options), so a new option must be documented.
# A *_LONGOPTS macro in the table stands for options read from its header.
# Entries are split at "{" first: several may share a line, or one span two.
long_options() {
	{
		sed -n '/^static const struct option/,/^};/p' "$1"
		for m in NTF_COMMON_LONGOPTS:common_args.h NTF_SYNTH_LONGOPTS:synth_args.h; do
			if grep -q "${m%%:*}" "$1"; then
				sed -n "/^#define ${m%%:*}/,/^\$/p" "$SRC"/*/"${m#*:}"
			fi
		done
	} | tr '{' '\n' | tr -d '\\' |
		sed -n 's/^[[:space:]]*"\([a-z-]*\)", *[a-z_]*, *NULL, *\([^ },]*\).*/\1 \2/p' |
		sed "s/ '\(.\)'\$/ \1/; t; s/ [A-Z_0-9]*\$/ -/"
}

# check_help NAME SOURCE CMD...: every long option, with its letter when it
# has one, appears in the help printed on stdout.
check_help() {
	local name=$1 src=$2 missing="" opt letter n=0

	shift 2
	run 10 "$@"
	if [ "$rc" != 0 ] || [ ! -s "$tmp/out" ] || [ -s "$tmp/err" ]; then
		fail "$name" "exit $rc, stdout $(lines "$tmp/out") lines, stderr: $(first_err)"
		return
	fi
	if [ ! -r "$src" ]; then
		skip "$name" "help printed, but no source $src to check its options against"
		return
	fi
	while read -r opt letter; do
		n=$((n + 1))
		# on a line of the option list, not just in an example
		if [ "$letter" = - ]; then
			grep -qE -- "^ +--$opt\b" "$tmp/out" || missing+=" --$opt"
		else
			grep -qE -- "^ +-$letter, --$opt\b" "$tmp/out" || missing+=" -$letter/--$opt"
		fi
	done < <(long_options "$src")
	if [ "$n" -lt 5 ]; then
		fail "$name" "read only $n options from $src: table not found"
	elif [ -n "$missing" ]; then
		fail "$name" "not in --help:$missing"
	else
		pass "$name ($n options)"
	fi
}

check_help "hist --help" "$SRC/cmd/cmd_hist.c" "$NOTIFIER" hist --help
check_help "hist -h" "$SRC/cmd/cmd_hist.c" "$NOTIFIER" hist -h
check_help "notifierd --help" "$SRC/daemon/notifierd.c" "$NOTIFIERD" --help
check_help "record --help" "$SRC/cmd/cmd_record.c" "$NOTIFIER" record --help

# notifier itself has commands, not getopt: each one in the table is listed.
for args in --help -h help; do
	run 10 "$NOTIFIER" "$args"
	name="notifier $args"
	if [ "$rc" != 0 ] || [ -s "$tmp/err" ]; then
		fail "$name" "exit $rc, stderr: $(first_err)"
		continue
	fi
	cmds=$(sed -n 's/^\t{ "\([a-z]*\)", cmd_[a-z]*, false },$/\1/p' "$SRC/cmd/notifier.c" 2>/dev/null)
	missing=""
	for c in $cmds; do
		grep -qE "^  $c " "$tmp/out" || missing+=" $c"
	done
	if [ -z "$cmds" ]; then
		fail "$name" "no command table in $SRC/cmd/notifier.c"
	elif [ -n "$missing" ]; then
		fail "$name" "commands not listed:$missing"
	else
		pass "$name"
	fi
done
run 10 "$NOTIFIER" --version
if [ "$rc" = 0 ] && grep -qE '^notifier [0-9]+\.[0-9]+' "$tmp/out"; then
	pass "notifier --version"
else
	fail "notifier --version" "exit $rc, stdout: $(head -c 100 "$tmp/out")"
fi

# --- preflight failures: need root to drop privileges or remount ---

# A copy nobody can run, wherever the tree lives.
nobody_bin() {
	local d="$tmp/bin"

	mkdir -p "$d" && chmod 755 "$tmp" "$d" &&
		cp "$NOTIFIER" "$NOTIFIERD" "$d/" && chmod 755 "$d"/*
}

# fails_with NAME REGEX...: the last run failed (not by timeout or a
# failed setup step) with one line on stderr matching every REGEX.
fails_with() {
	local name=$1 re

	shift
	if [ "$rc" = 0 ] || [ "$rc" -ge 99 ]; then
		fail "$name" "exit $rc, want a failure: $(first_err)"
		return
	fi
	for re in "$@"; do
		if ! grep -qE -- "$re" "$tmp/err"; then
			fail "$name" "stderr does not match '$re': $(first_err)"
			return
		fi
	done
	if [ "$(lines "$tmp/err")" != 1 ]; then
		fail "$name" "want one line, got: $(tr '\n' '|' <"$tmp/err")"
	else
		pass "$name"
	fi
}

if ! $is_root; then
	skip_n 2 "unprivileged run" "not root, cannot drop to nobody"
elif ! have setpriv; then
	skip_n 2 "unprivileged run" "setpriv (util-linux) not installed"
elif ! nobody_bin; then
	fail "unprivileged run" "cannot copy the binaries to $tmp/bin"
	skip "as nobody: notifierd -d 1 --no-pin" "no copy of the binaries"
else
	as_nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all)
	run 20 "${as_nobody[@]}" "$tmp/bin/notifier" hist -d 1
	fails_with "as nobody: notifier hist -d 1" CAP_BPF CAP_PERFMON
	run 20 "${as_nobody[@]}" "$tmp/bin/notifierd" -d 1 --no-pin
	fails_with "as nobody: notifierd -d 1 --no-pin" CAP_BPF CAP_PERFMON
fi

# A private mount namespace with a tmpfs hiding the directory given first,
# then the command (exit 99 if the mount fails): host mounts stay as they are.
# shellcheck disable=SC2016 # $0 and $@ are the inner shell's
tmpfs_over=(unshare -m --propagation private
	    sh -c 'mount -t tmpfs ntf-test "$0" || exit 99; exec "$@"')

can_unshare=false
if $is_root && have unshare && unshare -m true 2>/dev/null; then
	can_unshare=true
fi

if ! $can_unshare; then
	skip_n 2 "no BTF" "needs root and unshare -m"
	skip_n 2 "notifierd without bpffs" "needs root and unshare -m"
else
	run 20 "${tmpfs_over[@]}" /sys/kernel/btf "$NOTIFIER" hist -d 1
	fails_with "no BTF: notifier hist" "no BTF"
	run 20 "${tmpfs_over[@]}" /sys/kernel/btf "$NOTIFIERD" -d 1 --no-pin --no-socket
	fails_with "no BTF: notifierd" "no BTF"

	run 20 "${tmpfs_over[@]}" /sys/fs/bpf "$NOTIFIERD" -d 1 -q --no-socket
	fails_with "notifierd: /sys/fs/bpf not a bpffs" "/sys/fs/bpf.*BPF filesystem" "--no-pin"
	run 20 "${tmpfs_over[@]}" /sys/fs/bpf "$NOTIFIERD" -d 1 -q --no-pin --no-socket
	if [ "$rc" = 0 ]; then
		pass "notifierd --no-pin without bpffs"
	else
		fail "notifierd --no-pin without bpffs" "exit $rc: $(first_err)"
	fi
fi

# --- real runs: load, attach what this kernel allows, report ---

$is_root || skip_rest "real runs" "not root"
have jq || skip_rest "real runs" "jq not installed"

# json_is NAME FILTER: jq -e FILTER on $tmp/out is true (jq -e passes an
# empty input, so that is checked first).
json_is() {
	local out

	if [ ! -s "$tmp/out" ]; then
		fail "$1" "no output"
	elif out=$(jq -e "$2" "$tmp/out" 2>&1); then
		pass "$1"
	else
		fail "$1" "jq '$2' gave: $(echo "$out" | tr '\n' ' ' | head -c 300)"
	fi
}

run 30 "$NOTIFIER" hist -d 1 -j
why=
if [ "$rc" != 0 ]; then
	why="exit $rc: $(first_err)"
elif [ ! -s "$tmp/out" ] || ! jq -e . "$tmp/out" >/dev/null 2>&1; then
	why="stdout is not JSON: $(head -c 200 "$tmp/out")"
elif [ "$(lines "$tmp/out")" != 1 ]; then
	why="want one JSON line, got $(lines "$tmp/out")"
fi
if [ -n "$why" ]; then
	fail "hist -d 1 -j" "$why"
	skip_n 7 "hist -j" "no JSON to check"
else
	pass "hist -d 1 -j"
	json_is "hist -j: every class reported" \
		'.classes | keys == (["callback","fence_wait","inval_end","inval_start","pin","unmap","unpin"] | sort)'
	json_is "hist -j: ran about 1 s" '.elapsed_ms >= 1000 and .elapsed_ms < 5000'
	json_is "hist -j: counters" '.counters | has("ringbuf_drops") and has("bpf_events")'
	json_is "hist -j: probe points listed" \
		'[.probes[] | select((.attached | type) == "boolean") | .id] |
		 contains(["inval_start","inval_end","unmap","pin_user_pages_fast",
			   "unpin_user_pages","fence_wait"])'
	json_is "hist -j: fence_wait attached" \
		'.probes[] | select(.id == "fence_wait") | .attached == true'
	if jq -e '.probes[] | select(.id == "inval_start") | .attached' "$tmp/out" >/dev/null; then
		# fentry or kprobes work here: the fallback this checks is not taken
		json_is "hist -j: inval_start via fentry or kprobe" \
			'.probes[] | select(.id == "inval_start") | .mech == "fentry" or .mech == "kprobe"'
		skip "hist -j: fentry refused, tracepoint fallback" "fentry or kprobes work on this kernel"
	else
		json_is "hist -j: inval_start not attached, fentry refused" \
			'.probes[] | select(.id == "inval_start") |
			 .mech == "none" and (.why.fentry | test("refused"))'
		if [ -e /sys/bus/event_source/devices/kprobe ] ||
		   [ -e /sys/kernel/tracing/kprobe_events ]; then
			skip "hist -j: fence_wait via tracepoint" "kprobes exist here"
		else
			json_is "hist -j: fence_wait via tracepoint" \
				'.probes[] | select(.id == "fence_wait") |
				 .mech == "tracepoint" and (.why.fentry | test("refused"))'
		fi
	fi
fi

run 30 "$NOTIFIERD" -d 1 --no-pin --no-socket -j -q
name="notifierd -d 1 --no-pin -j -q"
if [ "$rc" != 0 ]; then
	fail "$name" "exit $rc: $(first_err)"
	skip_n 2 "notifierd -j" "no JSON to check"
elif [ ! -s "$tmp/out" ] || ! jq -e . "$tmp/out" >/dev/null 2>&1; then
	fail "$name" "stdout is not JSON lines: $(head -c 200 "$tmp/out")"
	skip_n 2 "notifierd -j" "no JSON to check"
else
	pass "$name"
	# shellcheck disable=SC2016 # a jq variable
	json_is "notifierd -j: one summary, last" \
		'[., inputs] as $all |
		 ($all | map(select(.type == "summary")) | length) == 1 and $all[-1].type == "summary"'
	json_is "notifierd -j: summary contents" \
		'select(.type == "summary") | .stream == true and (.events | type == "number") and
		 (.classes | length == 7) and (.kernel.classes | length == 7) and
		 (.probes[] | select(.id == "fence_wait") | .attached)'
fi

# SIGTERM: in a mount namespace of our own with a fresh bpffs, so pins of a
# daemon already running on the host are left alone. Prints what it saw.
# shellcheck disable=SC2016 # expanded by the inner shell
sigterm_test='
	pin=/sys/fs/bpf/notifier
	mount -t bpf bpf /sys/fs/bpf || { echo "mount failed"; exit 0; }
	"$0" -q -j --no-socket >"$1/d.out" 2>"$1/d.err" &
	pid=$!
	for i in $(seq 200); do
		[ -e $pin/hists ] && [ -e $pin/counters ] && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	if [ -e $pin/hists ] && [ -e $pin/counters ]; then echo pinned; fi
	kill -TERM $pid
	wait $pid
	echo "rc=$?"
	if [ -e $pin ]; then echo "left: $(ls $pin | tr "\n" " ")"; fi
'
if ! $can_unshare; then
	skip "notifierd SIGTERM" "needs unshare -m"
else
	timeout -k 5 40 unshare -m --propagation private sh -c "$sigterm_test" "$NOTIFIERD" "$tmp" \
		>"$tmp/sig" 2>&1
	name="notifierd SIGTERM"
	if ! grep -q '^pinned$' "$tmp/sig"; then
		fail "$name" "maps never pinned under /sys/fs/bpf/notifier:" \
			"$(tr '\n' '|' <"$tmp/sig") $(head -n 1 "$tmp/d.err" 2>/dev/null)"
	elif ! grep -q '^rc=0$' "$tmp/sig"; then
		fail "$name" "$(grep '^rc=' "$tmp/sig" || echo 'no exit status'), want 0"
	elif grep -q '^left' "$tmp/sig"; then
		fail "$name" "pin dir not removed: $(grep '^left' "$tmp/sig")"
	elif [ "$(jq -c 'select(.type == "summary") | .type' "$tmp/d.out" 2>/dev/null)" != \
	       '"summary"' ]; then
		fail "$name" "no summary after SIGTERM"
	else
		pass "$name: exit 0, summary, pins removed"
	fi
fi

tap_done
