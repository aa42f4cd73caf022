#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The GPU drivers whose MMU notifiers users trace load without hardware and
# carry module BTF (what fentry and CO-RE need). Lists their notifier
# callback symbols from kallsyms, since the names differ between kernels.
# Only drivers put in the initramfs (run-vm.sh --module) are tried.
# Writes /results/gpu-modules.txt and /results/driver-symbols.txt.

out=$NTF_RESULTS/gpu-modules.txt
syms=$NTF_RESULTS/driver-symbols.txt
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

echo "kernel $(uname -r)" >"$out"
: >"$syms"
dep=/lib/modules/$(uname -r)/modules.dep
for m in xe i915 amdgpu nouveau; do
	grep -q "/$m\.ko:" "$dep" || continue
	check "modprobe $m" modprobe "$m"
	check "/sys/kernel/btf/$m exists" test -s "/sys/kernel/btf/$m"
	# "<module> <function>" for each invalidate/userptr/hmm/svm function,
	# without what is not an attach point: tracepoint plumbing, the
	# __pfx_ padding, and .cold/.part pieces of split functions.
	awk -v m="[$m]" '$4 == m && $2 ~ /^[tT]$/ { print $3 }' /proc/kallsyms |
		grep -iE 'invalidate|userptr|hmm|svm' |
		grep -vE '^(__pfx_|__SCT__|__traceiter_|__probestub_|__bpf_trace_|perf_trace_|trace_event_raw_event_|trace_raw_output_)|\.' |
		sort -u | sed "s/^/$m /" >>"$syms"
	check "$m: invalidate functions in kallsyms" grep -q "^$m .*invalidate" "$syms"
done
cat "$syms"
echo "$pass passed, $fail failed" | tee -a "$out"
# Proof for the host that this script ran to its end (tests/vm/lib.sh).
echo end >"$NTF_RESULTS/scenario.end"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
