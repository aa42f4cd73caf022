#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Guest half of the probe-overhead benchmark: the same KVM madvise loop
# untraced, under notifier hist (in-kernel histograms only) and under
# notifierd (every event streamed), interleaved over ROUNDS rounds so drift
# in the emulator hits all three alike. Results: bench-MODE-N.json.

R=$NTF_RESULTS
ROUNDS=${ROUNDS:-5}
WL="wl-kvm --op madvise --iterations 2000 --pages 16"

modprobe kvm_amd 2>/dev/null || modprobe kvm_intel 2>/dev/null
# One VM held for the run: no run toggles KVM's static key in __schedule
# (text patching that has crashed the emulated guest).
wl-kvm --iterations 1 --pages 1 --hold >/dev/null 2>&1 &
KVM_KEEPER=$!

wait_ready() {
	i=0
	while ! grep -q -e '^Tracing' -e 'tracing;' "$1" 2>/dev/null; do
		[ $i -ge 1200 ] && return 1
		sleep 0.1
		i=$((i + 1))
	done
}

# shellcheck disable=SC2086 # WL is a word list
# A warm-up run, not counted: the first run of a fresh guest is slower.
$WL >/dev/null
r=1
while [ $r -le "$ROUNDS" ]; do
	$WL >"$R/bench-none-$r.json"

	notifier hist -j >"$R/bench-hist-$r.trace.json" 2>"$R/bench-hist-$r.err" &
	t=$!
	wait_ready "$R/bench-hist-$r.err"
	$WL >"$R/bench-hist-$r.json"
	kill -INT $t
	wait $t

	notifierd -j --no-pin >"$R/bench-stream-$r.trace.json" 2>"$R/bench-stream-$r.err" &
	t=$!
	wait_ready "$R/bench-stream-$r.err"
	$WL >"$R/bench-stream-$r.json"
	kill -INT $t
	wait $t
	r=$((r + 1))
done

# A text report for people to read, from the same kernel.
notifier hist -u >"$R/hist-example.txt" 2>&1 &
t=$!
wait_ready "$R/hist-example.txt"
wl-kvm --op munmap --iterations 200 --pages 64 >/dev/null
kill -INT $t
wait $t
kill -TERM $KVM_KEEPER 2>/dev/null
wait $KVM_KEEPER
exit 0
