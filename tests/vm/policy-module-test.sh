#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The companion module (kmod/notifier_policy) as a user builds it: against
# 6.1's headers the build stops and says why; against 6.12's it builds,
# loads in the 6.12 guest, and registers its struct_ops type and kfunc
# (the module's BTF says so), which notifier probe then reports.
set -uo pipefail

. "$(dirname "$0")/lib.sh"
. "$NTF_REPO/tests/lib/tap.sh"

NTF_TAP_PREFIX="policy module: "
plan 6

out=${1:-$NTF_REPO/build/vm/policy-module}
rm -rf "$out"
mkdir -p "$out"
ensure_pkgs jq
make -s -C "$NTF_REPO" static >&2 || die "make static failed"

# 6.1: refused by the build, with the reason
select_vm_kernel 6.1
"$NTF_REPO/tests/vm/fetch-kernel.sh" --kernel 6.1 >&2 || die "no 6.1 kernel"
load_kernel_env
make -s -C "$NTF_REPO/kmod/notifier_policy" KDIR="$NTF_KDIR" >"$out/build-6.1.out" 2>&1
rc=$?
check_eq "6.1: the build stops, saying a module registers a struct_ops type from 6.9 on" \
	"$rc $(grep -c 'Linux 6.1 cannot have it: a module registers a struct_ops type from 6.9 on' "$out/build-6.1.out")" \
	"2 1"

# 6.12: built as the test bed builds modules for trixie's headers (run-vm.sh)
select_vm_kernel 6.12
"$NTF_REPO/tests/vm/fetch-kernel.sh" --kernel 6.12 >&2 || die "no 6.12 kernel"
load_kernel_env
ko=$(build_policy_module "$out")
check "6.12: the module builds, with its BTF" "$(tail -n3 "$out/build-6.12.out" | tr '\n' ' ')" \
	grep -q 'BTF \[M\].*notifier_policy.ko' "$out/build-6.12.out"
[ -n "$ko" ] && [ -f "$ko" ] || skip_rest "6.12" "no module built"

"$NTF_REPO/tests/vm/run-vm.sh" --kernel 6.12 --scenario "$NTF_REPO/tests/vm/scenarios/policy-module.sh" \
	--out "$out" --timeout 300 --file "$NTF_REPO/build/static/notifier" \
	--file "$ko:/root/notifier_policy.ko" --dyn "$(command -v bpftool)" >&2
rc=$?
if why=$(guest_ended $rc "$out"); then
	pass "6.12: scenario ran to the end"
else
	fail "6.12: scenario ran to the end" "$why"
	skip_rest "6.12" "no results from the guest"
fi
check_eq "6.12: it loads" "$(cat "$out/insmod.rc") $(head -c 200 "$out/insmod.err")" "0 "
check_eq "6.12: its BTF has the struct_ops type, its ops and the kfunc" \
	"$(grep -cE "STRUCT 'bpf_struct_ops_notifier_policy_ops'|STRUCT 'notifier_policy_ops'|FUNC 'notifier_policy_judge'" "$out/btf.txt")" 3
check_eq "6.12: notifier probe says the struct_ops backend is live" \
	"$(jq -c '.policy_backends | [.live, .struct_ops.available]' "$out/probe.json" 2>&1)" \
	'["struct_ops",true]'
tap_done
