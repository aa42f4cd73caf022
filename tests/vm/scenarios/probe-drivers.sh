#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Guest half of tests/vm/drivers-test.sh: load the GPU drivers (no
# hardware needed) and the test driver, then ask notifier's doctor what it
# can attach, by fentry first and again with fentry disabled.

R=$NTF_RESULTS
modprobe kvm_amd 2>/dev/null || modprobe kvm_intel 2>/dev/null
for m in i915 amdgpu nouveau xe ntf_testdrv; do
	grep -q "/$m\.ko" "/lib/modules/$(uname -r)/modules.dep" || continue
	modprobe $m 2>>"$R/modprobe.err" || echo "modprobe $m failed" >>"$R/modprobe.err"
done
grep -E '^(i915|amdgpu|nouveau|xe|ntf_testdrv) ' /proc/modules >"$R/modules.txt"
notifier probe -j >"$R/probe.json" 2>"$R/probe.err"
echo $? >"$R/probe.rc"
notifier probe -j -k >"$R/probe-k.json" 2>"$R/probe-k.err"
echo $? >"$R/probe-k.rc"
notifier probe >"$R/probe.txt" 2>&1
# The test driver again, without its BTF: fentry cannot attach to it.
if [ -f /root/ntf_testdrv_nobtf.ko ] && rmmod ntf_testdrv 2>>"$R/nobtf.err"; then
	if insmod /root/ntf_testdrv_nobtf.ko 2>>"$R/nobtf.err"; then
		ls /sys/kernel/btf >"$R/nobtf.btf" 2>&1
		notifier probe -j -D testdrv >"$R/probe-nobtf.json" 2>"$R/probe-nobtf.err"
		notifier probe -D testdrv >"$R/probe-nobtf.txt" 2>&1
		rmmod ntf_testdrv 2>>"$R/nobtf.err"
	fi
	modprobe ntf_testdrv 2>>"$R/nobtf.err"
fi
# Proof for the host that this script ran to its end (tests/vm/lib.sh).
echo end >"$NTF_RESULTS/scenario.end"
exit 0
