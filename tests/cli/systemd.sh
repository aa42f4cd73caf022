#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# contrib/systemd/notifierd.service: systemd-analyze verify takes it
# whole (a copy whose ExecStart is the built binary: verify checks it is
# there), the daemon takes its options (on the synthetic source, its
# paths moved under a directory of the test's own), everything it writes
# is a path the sandbox leaves writable, and its capabilities are the
# three it needs; systemd-analyze security's exposure as information.
# One line per check (tests/lib/tap.sh).
#
# Usage: tests/cli/systemd.sh     (after make)
# NOTIFIERD overrides the binary.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/tap.sh"
NOTIFIERD=${NOTIFIERD:-$top/build/notifierd}
NTF_TAP_PREFIX="systemd: "
unit=$top/contrib/systemd/notifierd.service
plan 8

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ntf-systemd.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

[ -x "$NOTIFIERD" ] || { fail "binary" "$NOTIFIERD not built (run make)"; skip_rest "the rest" "no binary"; }
[ -f "$unit" ] || { fail "the unit" "no $unit"; skip_rest "the rest" "no unit"; }

# value KEY: the unit's KEY= values, continuation lines joined, one per line.
value() {
	awk -v key="$1" '
		/\\$/ { line = line substr($0, 1, length($0) - 1) " "; next }
		{ line = line $0; if (index(line, key "=") == 1) print substr(line, length(key) + 2); line = "" }
	' "$unit"
}
# The daemon's arguments, without the binary.
read -r -a args <<<"$(value ExecStart | sed 's/^[^ ]* *//')"

# --- systemd-analyze verify ---

if ! command -v systemd-analyze >/dev/null 2>&1; then
	skip_n 3 "systemd-analyze" "not installed (tools/setup installs systemd)"
else
	mkdir "$tmp/units"
	sed "s|^ExecStart=/usr/local/sbin/notifierd|ExecStart=$NOTIFIERD|" "$unit" >"$tmp/units/notifierd.service"
	(cd "$tmp/units" && systemd-analyze verify notifierd.service) >"$tmp/verify" 2>&1
	rc=$?
	check "verify: clean, no warning (ExecStart the built binary)" \
		"exit $rc: $(tr '\n' '|' <"$tmp/verify")" test "$rc" = 0 -a ! -s "$tmp/verify"
	# verify does look at ExecStart: the unit as shipped names the installed path
	(cd "$tmp" && systemd-analyze verify "$unit") >"$tmp/verify" 2>&1
	check "verify reads ExecStart: the shipped unit wants /usr/local/sbin/notifierd installed" \
		"$(tr '\n' '|' <"$tmp/verify")" \
		eval '[ -x /usr/local/sbin/notifierd ] || grep -q "/usr/local/sbin/notifierd is not executable" "$tmp/verify"'
	systemd-analyze security --offline=yes "$tmp/units/notifierd.service" >"$tmp/security" 2>&1
	exposure=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' "$tmp/security")
	# information more than a bound: what a root daemon loading BPF can reach, 0 to 10
	check "security: exposure ${exposure:-?} (below 4: OK or better)" "$(tail -n 3 "$tmp/security")" \
		awk -v e="${exposure:-99}" 'BEGIN { exit !(e < 4) }'
fi

# --- the daemon takes the unit's options ---

state=$tmp/state
mkdir "$state"
# its paths under the test's directory; metrics elsewhere tested (tests/cli/metrics.sh)
mapfile -t moved < <(printf '%s\n' "${args[@]}" | sed "s|^/var/lib/notifier|$state|")
for i in "${!moved[@]}"; do
	if [ "${moved[i]:-}" = --metrics ]; then
		unset 'moved[i]' 'moved[i+1]'
	fi
done
timeout -k 5 20 "$NOTIFIERD" --synthetic -q --no-socket -d 1.5 "${moved[@]}" >"$tmp/out" 2>"$tmp/err"
rc=$?
check "notifierd takes the unit's options (synthetic, -d 1.5)" "exit $rc: $(head -n 2 "$tmp/err")" \
	test "$rc" = 0
check "it recorded where the unit says" "$(ls -R "$state" | tr '\n' ' ')" \
	eval 'ls "$state"/record/notifier-*.ntr >/dev/null 2>&1 && [ -d "$state/flight" ]'

# --- the sandbox leaves writable what it writes ---

writable=("/var/lib/$(value StateDirectory)" "/run/$(value RuntimeDirectory)")
read -r -a rw <<<"$(value ReadWritePaths)"
writable+=("${rw[@]}")
# where it writes: its --record and --flight-dir, the socket's directory, the pins
wants=(/run/notifier /sys/fs/bpf)
for i in "${!args[@]}"; do
	case ${args[i]} in
	--record | --flight-dir | --pin-dir) wants+=("${args[i + 1]}") ;;
	esac
done
bad=
for w in "${wants[@]}"; do
	ok=
	for p in "${writable[@]}"; do
		case $w/ in "$p"/*) ok=1 ;; esac
	done
	[ -n "$ok" ] || bad+=" $w"
done
check "everything it writes is writable under ProtectSystem=strict" \
	"not writable:$bad (writable: ${writable[*]})" test -z "$bad" -a "$(value ProtectSystem)" = strict

# --- its capabilities ---

check_eq "capabilities: CAP_BPF CAP_PERFMON CAP_SYSLOG, nothing else" \
	"$(value CapabilityBoundingSet)" "CAP_BPF CAP_PERFMON CAP_SYSLOG"
# preflight's rule (user/probe/preflight.c): CAP_BPF and CAP_PERFMON stand in for CAP_SYS_ADMIN
check "notifierd's preflight takes CAP_BPF and CAP_PERFMON without CAP_SYS_ADMIN" \
	"user/probe/preflight.c no longer says so" \
	grep -q "has_cap(data, CAP_BPF) && has_cap(data, CAP_PERFMON)" "$top/user/probe/preflight.c"

tap_done
