#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# notifier-top in batch mode on a real kernel: during the KVM, pin, fence
# and reclaim workloads each expected row appears, and its counts, added
# over the intervals, are the ones the workload knows; once more through
# notifierd's socket. The OOM reaper meeting a driver that refuses: the
# driver's refusals on its own row in every view and in notifier hist,
# equal to the driver's own count.
set -uo pipefail

. "$(dirname "$0")/lib.sh"
. "$NTF_REPO/tests/lib/tap.sh"
[ "$NTF_VM_KERNEL" = 6.1 ] || NTF_TAP_PREFIX="$NTF_VM_KERNEL: "
plan 36

if [ "$NTF_VM_KERNEL" = 6.1 ]; then
	out=${1:-$NTF_REPO/build/vm/top}
else
	out=${1:-$NTF_REPO/build/vm/top-$NTF_VM_KERNEL}
fi
rm -rf "$out"
mkdir -p "$out"
ensure_pkgs jq
make -s -C "$NTF_REPO" static >&2 || die "make static failed"
make -s -C "$NTF_REPO/tests/workloads" OUT="$NTF_REPO/build/workloads" >&2 ||
	die "building the workloads failed"

files=()
for f in "$NTF_REPO"/build/static/notifier-top "$NTF_REPO"/build/static/notifierd \
	 "$NTF_REPO"/build/static/notifier \
	 "$NTF_REPO"/build/workloads/wl-kvm "$NTF_REPO"/build/workloads/wl-pin \
	 "$NTF_REPO"/build/workloads/wl-fence "$NTF_REPO"/build/workloads/wl-reclaim \
	 "$NTF_REPO"/build/workloads/wl-testdrv "$NTF_REPO"/tests/workloads/setup-zram-swap.sh; do
	files+=(--file "$f")
done
"$NTF_REPO/tests/vm/run-vm.sh" --scenario "$NTF_REPO/tests/vm/scenarios/top.sh" --out "$out" \
	--timeout 600 "${files[@]}" >&2
rc=$?
if why=$(guest_ended $rc "$out"); then
	pass "top: scenario ran to the end"
else
	fail "top: scenario ran to the end" "$why"
	skip_rest "top" "no results from the guest"
fi

# ran CASE N: notifier-top and the workload ran; if not, the case's N
# other checks are skipped.
ran() {
	local t w
	t=$(cat "$out/$1.top.rc" 2>/dev/null || echo missing)
	w=$(cat "$out/$1.wl.rc" 2>/dev/null || echo missing)
	if [ "$t" = 0 ] && [ "$w" = 0 ]; then
		pass "top $1: notifier-top and the workload ran"
		return 0
	fi
	fail "top $1: notifier-top and the workload ran" \
		"top rc $t, workload rc $w: $(tail -n2 "$out/$1.top.err" "$out/$1.wl.err" | tr '\n' ' ')"
	skip_n "$2" "top $1" "notifier-top or the workload failed"
	return 1
}
wl() { jq -r ".$2" "$out/$1.wl.json"; }
# jq_true ARGS...: jq -e's verdict as an exit status, its output kept out of the test lines.
jq_true() { jq -e "$@" >/dev/null; }
# sum CASE JQ-FILTER-OF-ROWS FIELD: FIELD added over every interval's matching rows.
sum() { jq -s "[.[].rows[] | select($2) | .$3] | add // 0" "$out/$1.top.json"; }

if ran kvm 4; then
	calls=$(wl kvm calls)
	check_eq "top kvm: inval_start events = $calls calls" \
		"$(sum kvm '.class == "inval_start"' events)" "$calls"
	check_eq "top kvm: inval_end events = $calls calls" \
		"$(sum kvm '.class == "inval_end"' events)" "$calls"
	# KVM's start and end callbacks, one each per call.
	check_eq "top kvm: callback events = 2 x $calls" \
		"$(sum kvm '.class == "callback"' events)" $((calls * 2))
	check "top kvm: the header says the probes are live" "" \
		jq_true -s 'all(.[]; .feed == "live")' "$out/kvm.top.json"
fi
if ran pin 2; then
	pid=$(wl pin pid)
	check_eq "top pin: pages pinned of the workload = $(wl pin pages_pinned)" \
		"$(sum pin ".pid == $pid" pages_pinned)" "$(wl pin pages_pinned)"
	check_eq "top pin: pin calls = $(wl pin buffers) buffers" \
		"$(sum pin ".pid == $pid" events)" "$(wl pin buffers)"
fi
if ran fence 2; then
	pid=$(wl fence pid)
	check_eq "top fence: waits of the workload = $(wl fence waits)" \
		"$(sum fence ".pid == $pid" events)" "$(wl fence waits)"
	check "top fence: the max of 50 ms waits is over 40 ms" "" \
		jq_true -s --argjson p "$pid" '[.[].rows[] | select(.pid == $p) | .max_ns] | max > 40000000' \
		"$out/fence.top.json"
fi
if ran reclaim 1; then
	pid=$(wl reclaim pid)
	swapped=$(wl reclaim swapped_out)
	check_range "top reclaim: unmaps of the workload >= $swapped pages swapped" \
		"$(sum reclaim ".pid == $pid" events)" "$swapped" $((swapped * 2 + 64))
fi
if ran daemon 3; then
	calls=$(wl daemon calls)
	check "top daemon: read through notifierd's socket" "" \
		jq_true -s 'all(.[]; .feed == "daemon")' "$out/daemon.top.json"
	check_eq "top daemon: inval_start events = $calls calls" \
		"$(sum daemon '.class == "inval_start"' events)" "$calls"
	check_eq "top daemon: notifierd exited 0 on SIGTERM" "$(cat "$out/daemon.rc")" 0
fi

# The test module is part of the 6.1 test bed; elsewhere it may be missing.
if [ -s "$out/disc.top.rc" ] || [ "$NTF_VM_KERNEL" = 6.1 ]; then
	if ran disc 4; then
		calls=$(wl disc calls)
		check "top disc: the daemon discovered the unlisted driver" \
			"$(grep notifier: "$out/daemon.err" | tr '\n' ' ')" \
			grep -q 'ntf_testdrv discovered (ntf_unlisted_invalidate' "$out/daemon.err"
		check_eq "top disc: the view names it as the daemon does: $calls callbacks" \
			"$(sum disc '.driver == "ntf_testdrv"' events)" "$calls"
		check_eq "top disc: no row is left unnamed" \
			"$(sum disc '.driver == "unknown"' events)" 0
		# the chain's row counts invalidations, not start + end + callbacks
		check_eq "top disc: the all row: $calls invalidations" \
			"$(sum disc '.driver == "all"' events)" "$calls"
	fi
else
	skip_n 5 "top disc" "no test module on $NTF_VM_KERNEL"
fi

# oom_ran N: the three notifier-tops, notifier hist and the OOM workload
# ran; if not, the case's N other checks are skipped.
oom_ran() {
	local f rc bad=
	for f in default.top driver.top class.top hist wl; do
		rc=$(cat "$out/oom.$f.rc" 2>/dev/null || echo missing)
		[ "$rc" = 0 ] || bad="$bad oom.$f rc $rc: $(tail -n2 "$out/oom.$f.err" 2>/dev/null | tr '\n' ' ')"
	done
	if [ -z "$bad" ]; then
		pass "top oom: notifier-top (default, driver, class), notifier hist and the workload ran"
		return 0
	fi
	fail "top oom: notifier-top (default, driver, class), notifier hist and the workload ran" \
		"$bad $(cat "$out/oom.unavailable" 2>/dev/null)"
	skip_n "$1" "top oom" "a tracer or the workload failed"
	return 1
}
# oom_rows VIEW JQ-FILTER: every interval's rows of the driver in VIEW that
# JQ-FILTER keeps, as one array.
oom_rows() {
	jq -s "[.[].rows[] | $2]" "$out/oom.$1.top.json"
}
# oom_shown VIEW JQ-FILTER: of the driver's rows in VIEW, those with
# failures (at least one) show a non-blockable share, a p50 and a max.
oom_shown() {
	oom_rows "$1" "$2 | select(.failures > 0)" |
		jq -e 'length > 0 and all(.[]; .blockable_pct != null and .blockable_pct < 100 and
			.p50_ns != null and .p50_ns > 0 and .max_ns != null and .max_ns > 0)' >/dev/null
}

# The OOM case runs wherever the test module does; on 6.1 it must.
if [ -s "$out/oom.wl.rc" ] || [ "$NTF_VM_KERNEL" = 6.1 ]; then
	if oom_ran 12; then
		refusals=$(wl oom refusals)
		invalidates=$(wl oom invalidates)
		# The driver as the tracer's table names it: what every view shows.
		name=$(jq -r '[.callbacks[] | select(.func == "ntf_invalidate") | .driver][0] // ""' \
			"$out/oom.hist.json")
		drv="select(.driver == \"$name\")"
		check "top oom: the memcg OOM killer killed the victim and the driver refused the reaper ($refusals refusals, $invalidates accepted)" \
			"$(jq -c '{victim_killed, victim_signal, oom_kills, refusals}' "$out/oom.wl.json")" \
			jq_true '.victim_killed and .oom_kills >= 1 and .refusals > 0' "$out/oom.wl.json"
		check_eq "top oom default: $name's rows (ntf_invalidate) have $refusals failures" \
			"$(sum oom.default ".driver == \"$name\"" failures)" "$refusals"
		check "top oom default: its rows with failures show blockable %, p50 and max" \
			"$(oom_rows default "$drv" | jq -c .)" oom_shown default "$drv"
		check_eq "top oom driver: $name's row has $refusals failures" \
			"$(sum oom.driver ".driver == \"$name\"" failures)" "$refusals"
		check_eq "top oom driver: its calls = $invalidates accepted + $refusals refused" \
			"$(sum oom.driver ".driver == \"$name\"" events)" $((invalidates + refusals))
		# Every non-blockable call is refused (refuse_nonblock) and every
		# blockable one accepted, so BLK% gives the refusals back.
		check_eq "top oom driver: its non-blockable calls (from blockable %) = $refusals" \
			"$(jq -s --arg n "$name" '[.[].rows[] | select(.driver == $n and .events > 0) |
				.events * (100 - .blockable_pct) / 100] | add | round' \
				"$out/oom.driver.top.json")" "$refusals"
		check "top oom driver: its rows with failures show blockable %, p50 and max" \
			"$(oom_rows driver "$drv" | jq -c .)" oom_shown driver "$drv"
		check "top oom class: filtered to $name by name" \
			"$(jq -r .filter "$out/oom.class.top.json" | sort -u | tr '\n' ' ')" \
			jq_true -s --arg n "$name" 'length > 0 and all(.[]; .filter == "driver " + $n)' \
			"$out/oom.class.top.json"
		check_eq "top oom class: $name's callback row has $refusals failures" \
			"$(sum oom.class '.class == "callback"' failures)" "$refusals"
		check "top oom class: its rows with failures show blockable %, p50 and max" \
			"$(oom_rows class 'select(.class == "callback")' | jq -c .)" \
			oom_shown class 'select(.class == "callback")'
		check_eq "top oom hist: $name's callbacks have $refusals failures" \
			"$(jq --arg n "$name" '.drivers[$n].failures' "$out/oom.hist.json")" "$refusals"
		check "top oom hist: $name's non-blockable calls >= $refusals" \
			"$(jq -c --arg n "$name" '.drivers[$n] | {count, failures, nonblock}' "$out/oom.hist.json")" \
			jq_true --arg n "$name" --argjson r "$refusals" '.drivers[$n].nonblock >= $r' \
			"$out/oom.hist.json"
	fi
else
	skip_n 13 "top oom" "no test module on $NTF_VM_KERNEL: $(cat "$out/oom.unavailable" 2>/dev/null)"
fi
tap_done
