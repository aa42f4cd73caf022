#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Run the ntf_testdrv selftest; needs --file tests/kmod/testdrv-selftest.
# Writes /results/testdrv-selftest.txt and the kernel log. Exits 77 (skip)
# when the host could not build the module for this kernel.

if [ -f /etc/ntf-testdrv-unavailable ]; then
	cp /etc/ntf-testdrv-unavailable "$NTF_RESULTS/testdrv-skipped.txt"
	cat /etc/ntf-testdrv-unavailable
	exit 77
fi
modprobe ntf_testdrv || exit 1
i=0
while [ ! -e /dev/ntf_testdrv ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done

# A memcg for the OOM-reaper part of the selftest.
echo +memory >/sys/fs/cgroup/cgroup.subtree_control

testdrv-selftest --oom-cgroup /sys/fs/cgroup/ntf-oom \
	>"$NTF_RESULTS/testdrv-selftest.txt" 2>&1
rc=$?
cat "$NTF_RESULTS/testdrv-selftest.txt"
# Unloading proves release dropped every notifier and pin.
rmmod ntf_testdrv || rc=1
dmesg >"$NTF_RESULTS/dmesg.txt"
# Proof for the host that this script ran to its end (tests/vm/lib.sh).
echo end >"$NTF_RESULTS/scenario.end"
exit $rc
