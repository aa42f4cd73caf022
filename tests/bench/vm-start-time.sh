#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Guest scenario: how long notifier hist -j -P takes to go live, with
# fentry and with kprobes (-k), by the guest's uptime; most of it is the
# verifier loading the object. Results in start-time.txt. Run it with
#   tests/vm/run-vm.sh --kernel 6.1|6.12 --scenario tests/bench/vm-start-time.sh \
#       --out DIR --file build/static/notifier --file build/workloads/wl-kvm
# An emulated guest's seconds: compare kernels and commits, run alike.

R=$NTF_RESULTS
up() { cut -d' ' -f1 /proc/uptime; }

modprobe kvm_amd 2>/dev/null || modprobe kvm_intel 2>/dev/null
# KVM's callbacks registered, as on a host running VMs
wl-kvm --iterations 1 --pages 1 --hold >/dev/null 2>&1 &
KEEPER=$!
for mode in "" "-k"; do
	t0=$(up)
	# shellcheck disable=SC2086 # the mode is one word or none
	notifier hist -j -P $mode >"$R/hist$mode.json" 2>"$R/hist$mode.err" &
	T=$!
	while ! grep -q '^Tracing' "$R/hist$mode.err"; do
		kill -0 $T 2>/dev/null || break
		sleep 0.1
	done
	t1=$(up)
	kill -INT $T
	wait $T
	t2=$(up)
	awk -v m="${mode:-fentry}" -v a="$t0" -v b="$t1" -v c="$t2" \
		'BEGIN { printf "%-6s live after %.1f s, stopped in %.1f s\n", m, b - a, c - b }' \
		>>"$R/start-time.txt"
done
kill -TERM $KEEPER
wait $KEEPER
exit 0
