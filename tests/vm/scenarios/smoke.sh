#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Smoke test of the VM test bed: the modules and kernel interfaces the
# project's tests rely on are there. Writes /results/smoke.txt.

out=$NTF_RESULTS/smoke.txt
pass=0
fail=0

check() {
	desc=$1
	shift
	if "$@" >/dev/null 2>&1; then
		echo "ok - $desc" | tee -a "$out"
		pass=$((pass + 1))
	else
		echo "not ok - $desc" | tee -a "$out"
		fail=$((fail + 1))
	fi
}

# devtmpfs creates nodes asynchronously after the driver registers them.
wait_for() {
	i=0
	while [ ! -e "$1" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -e "$1" ]
}

echo "kernel $(uname -r)" >"$out"

check "modprobe kvm_amd" modprobe kvm_amd
check "/dev/kvm exists" wait_for /dev/kvm
check "modprobe zram" modprobe zram
check "/sys/block/zram0 exists" wait_for /sys/block/zram0
check "modprobe vgem" modprobe vgem
check "/dev/dri/card0 exists" wait_for /dev/dri/card0
# The host could not build the test module for this kernel: it says why.
if [ -f /etc/ntf-testdrv-unavailable ]; then
	why=$(cat /etc/ntf-testdrv-unavailable)
	for d in "modprobe ntf_testdrv" "/dev/ntf_testdrv exists" \
		 "ntf_testdrv has module BTF"; do
		echo "skip - $d: $why" | tee -a "$out"
	done
else
	check "modprobe ntf_testdrv" modprobe ntf_testdrv
	check "/dev/ntf_testdrv exists" wait_for /dev/ntf_testdrv
fi
check "/sys/kernel/btf/vmlinux exists" test -s /sys/kernel/btf/vmlinux
[ -f /etc/ntf-testdrv-unavailable ] ||
	check "ntf_testdrv has module BTF" test -s /sys/kernel/btf/ntf_testdrv
check "tracefs mounted" test -e /sys/kernel/tracing/available_events
check "bpffs mounted" grep -q ' /sys/fs/bpf bpf ' /proc/mounts
check "debugfs mounted" grep -q ' /sys/kernel/debug debugfs ' /proc/mounts
check "kprobes available" test -e /sys/kernel/tracing/kprobe_events
check "mmu notifier symbol present" \
	grep -q ' __mmu_notifier_invalidate_range_start$' /proc/kallsyms

lsmod >"$NTF_RESULTS/lsmod.txt"
echo "$pass passed, $fail failed" | tee -a "$out"
# Proof for the host that this script ran to its end (tests/vm/lib.sh).
echo end >"$NTF_RESULTS/scenario.end"
[ $fail -eq 0 ]
