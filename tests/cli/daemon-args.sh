#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# notifierd's arguments that name paths: a --pin-dir too long for the pin
# paths built under it is refused before anything is pinned or unlinked
# (it used to pin, then unlink, truncated paths); the longest that fits
# still works. One line per check: "ok - NAME", "not ok - NAME: why" or
# "skip - NAME: why".
#
# Usage: tests/cli/daemon-args.sh     (after make; root for the bpffs half)
# NOTIFIERD overrides the binary.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/tap.sh"
NOTIFIERD=${NOTIFIERD:-$top/build/notifierd}
# shellcheck disable=SC2034 # read by tap.sh
NTF_TAP_PREFIX="notifierd args: "

# The longest pin is DIR/counters; with PATH_MAX 4096 (the NUL included)
# DIR may have 4086 bytes. At 4090, DIR/hists and DIR/counters truncate
# to DIR/hist and DIR/coun.
fits=4086
too_long=4090

# long_path BASE LEN: BASE extended to LEN bytes by components the kernel accepts.
long_path() {
	local p=$1 seg

	seg=$(printf 'd%.0s' $(seq 200))
	while [ ${#p} -lt $(($2 - 250)) ]; do p+=/$seg; done
	p+=/$(head -c $(($2 - ${#p} - 1)) </dev/zero | tr '\0' p)
	echo "$p"
}

# Inside a mount namespace of our own (see below): a fresh bpffs on $1,
# where the runs happen; prints what it saw as "key=value" lines.
if [ "${1:-}" = --in-bpffs ]; then
	mnt=$2
	mount -t bpf bpf "$mnt" || { echo "mount=failed"; exit 0; }
	echo "mount=ok"

	# Too long, with pins of someone else's at the truncated paths.
	pin=$(long_path "$mnt/a" $too_long)
	if ! mkdir -p "$pin" ||
		! bpftool map create "$pin/hist" type array key 4 value 4 entries 1 name decoy ||
		! bpftool map create "$pin/coun" type array key 4 value 4 entries 1 name decoy; then
		echo "setup=failed"
		exit 0
	fi
	before=$(find "$mnt" | sort | md5sum)
	timeout -k 5 20 "$NOTIFIERD" -d 1 -q --no-socket --pin-dir "$pin" \
		>"$mnt.long.out" 2>"$mnt.long.err"
	echo "long_rc=$?"
	[ "$(find "$mnt" | sort | md5sum)" = "$before" ] && echo "long_untouched=yes"

	# The longest that fits: pinned under their full names while running.
	pin=$(long_path "$mnt/b" $fits)
	mkdir -p "${pin%/*}" || { echo "setup=failed"; exit 0; }
	timeout -k 5 20 "$NOTIFIERD" -d 2 -q --no-socket --pin-dir "$pin" \
		>"$mnt.fits.out" 2>"$mnt.fits.err" &
	pid=$!
	for _ in $(seq 100); do
		[ -e "$pin/hists" ] && [ -e "$pin/counters" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	[ -e "$pin/hists" ] && [ -e "$pin/counters" ] && echo "fits_pinned=yes"
	wait "$pid"
	echo "fits_rc=$?"
	[ -e "$pin" ] || echo "fits_removed=yes"
	exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ntf-dargs.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

[ -x "$NOTIFIERD" ] || { fail "binaries" "$NOTIFIERD not built (run make)"; exit 1; }

# run SECS CMD...: sets rc, $tmp/out and $tmp/err. A timeout is rc 124: a
# bad argument taken as valid would start tracing.
run() {
	local secs=$1

	shift
	timeout -k 5 "$secs" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}
# shellcheck disable=SC2317 # called by check
# refused FILE: one stderr line that names --pin-dir's length and points to --help.
refused() {
	[ "$(wc -l <"$1")" = 1 ] && grep -qF -- "--pin-dir" "$1" && grep -q "too long" "$1" &&
		grep -qF -- "--help" "$1"
}

# --- anyone: refused from the command line alone, nothing created ---

plan 10
mkdir "$tmp/pins"
pin=$(long_path "$tmp/pins/x" $too_long)
run 20 "$NOTIFIERD" -d 1 -q --no-socket --pin-dir "$pin"
check_eq "--pin-dir of $too_long bytes: exit 2" "$rc" 2
check "--pin-dir of $too_long bytes: one line saying so" "stderr: $(head -c 300 "$tmp/err")" \
	refused "$tmp/err"
check "--pin-dir of $too_long bytes: nothing on stdout" "stdout: $(head -c 300 "$tmp/out")" \
	test ! -s "$tmp/out"
check "--pin-dir of $too_long bytes: nothing created" "$(find "$tmp/pins" | head -n 3)" \
	test -z "$(ls -A "$tmp/pins")"

# --- root: in a bpffs of our own, where pins really happen ---

if [ "$(id -u)" != 0 ]; then
	skip_rest "pins under a long --pin-dir" "not root"
fi
if ! command -v unshare >/dev/null 2>&1 || ! command -v bpftool >/dev/null 2>&1 ||
	! unshare -m true 2>/dev/null; then
	skip_rest "pins under a long --pin-dir" "needs unshare -m and bpftool"
fi

mkdir "$tmp/bpf"
NOTIFIERD=$NOTIFIERD timeout -k 5 60 unshare -m --propagation private \
	"$0" --in-bpffs "$tmp/bpf" >"$tmp/seen" 2>&1
seen() { sed -n "s/^$1=//p" "$tmp/seen"; }
if [ "$(seen mount)" != ok ] || [ -n "$(seen setup)" ]; then
	fail "bpffs, --pin-dir of $too_long bytes: exit 2" "no bpffs to test in: $(tr '\n' '|' <"$tmp/seen")"
	skip_rest "pins under a long --pin-dir" "no bpffs to test in"
fi
check_eq "bpffs, --pin-dir of $too_long bytes: exit 2" "$(seen long_rc)" 2
check "bpffs, --pin-dir of $too_long bytes: one line saying so" \
	"stderr: $(head -c 300 "$tmp/bpf.long.err")" refused "$tmp/bpf.long.err"
check_eq "bpffs, --pin-dir of $too_long bytes: nothing pinned or unlinked" \
	"$(seen long_untouched)" yes
check_eq "bpffs, --pin-dir of $fits bytes: both maps pinned" "$(seen fits_pinned)" yes
check_eq "bpffs, --pin-dir of $fits bytes: exit 0" "$(seen fits_rc)" 0
check_eq "bpffs, --pin-dir of $fits bytes: pins removed on exit" "$(seen fits_removed)" yes

tap_done
