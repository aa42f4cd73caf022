#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Guest half of tests/vm/policy-module-test.sh: the companion module
# loaded, its struct_ops type and kfunc in its BTF, and what notifier
# probe says of the policy backends then.
R=$NTF_RESULTS
insmod /root/notifier_policy.ko >"$R/insmod.err" 2>&1
echo $? >"$R/insmod.rc"
bpftool btf dump file /sys/kernel/btf/notifier_policy format raw >"$R/btf.txt" 2>"$R/btf.err"
notifier probe -j >"$R/probe.json" 2>"$R/probe.err"
echo $? >"$R/probe.rc"
# Proof for the host that this script ran to its end (tests/vm/lib.sh).
echo end >"$R/scenario.end"
exit 0
