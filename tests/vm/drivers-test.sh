#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# notifier probe on a real distro kernel with the real GPU drivers loaded
# (Debian 12's 6.1: i915, amdgpu, nouveau load without hardware and carry
# module BTF): the drivers' notifier callbacks attach by fentry (and by
# kprobe with -k), and what the kernel lacks is reported with its reason.
set -uo pipefail

. "$(dirname "$0")/lib.sh"
. "$NTF_REPO/tests/lib/tap.sh"

kernel=${NTF_VM_KERNEL:-6.1}
[ "$kernel" = 6.1 ] || NTF_TAP_PREFIX="$kernel: "
# 19 checks, and xe's 3 where it exists
if [ "$kernel" = 6.1 ]; then plan 19; else plan 22; fi

out=${1:-$NTF_REPO/build/vm/drivers}
rm -rf "$out"
mkdir -p "$out"
ensure_pkgs jq
make -s -C "$NTF_REPO" static >&2 || die "make static failed"

mods=(--module i915 --module amdgpu --module nouveau)
[ "$kernel" = 6.1 ] || mods+=(--module xe)
"$NTF_REPO/tests/vm/run-vm.sh" --kernel "$kernel" --scenario "$NTF_REPO/tests/vm/scenarios/probe-drivers.sh" \
	--out "$out" --timeout 600 --file "$NTF_REPO/build/static/notifier" "${mods[@]}" >&2
rc=$?
if why=$(guest_ended $rc "$out"); then
	pass "drivers: scenario ran to the end"
else
	fail "drivers: scenario ran to the end" "$why"
	skip_rest "drivers" "no results from the guest"
fi

sub() { jq -r --arg d "$2" --arg f "$3" '[.callbacks[] | select(.driver == $d)] |
	map(.[$f] // .why.absent // "") | join(",")' "$out/$1"; }
sub_func() { jq -r --arg fn "$2" --arg f "$3" '.callbacks[] | select(.func == $fn) |
	if $f == "absent" then .why.absent // "" else .[$f] end' "$out/$1"; }

check_eq "drivers: the doctor says the notifier is traced (exit 0)" "$(cat "$out/probe.rc")" 0
check_eq "drivers: inval_start by fentry" \
	"$(jq -r '.probes[] | select(.id == "inval_start") | .mech' "$out/probe.json")" fentry
for m in i915 amdgpu nouveau; do
	check "drivers: $m loaded" "$(cat "$out/modprobe.err" 2>/dev/null)" \
		grep -q "^$m " "$out/modules.txt"
done
check_eq "drivers: i915's userptr callback by fentry" \
	"$(sub_func probe.json i915_gem_userptr_invalidate mech)" fentry
# amdgpu_mn.c's names up to 6.2; amdgpu_hmm.c's from 6.3.
if [ "$kernel" = 6.1 ]; then
	have=amdgpu_mn_invalidate gone=amdgpu_hmm_invalidate era="6.3 on"
else
	have=amdgpu_hmm_invalidate gone=amdgpu_mn_invalidate era="up to 6.2"
	check "drivers: xe loaded" "$(cat "$out/modprobe.err" 2>/dev/null)" \
		grep -q "^xe " "$out/modules.txt"
	check_eq "drivers: xe's userptr callback by fentry" \
		"$(sub_func probe.json vma_userptr_invalidate mech)" fentry
	check_eq "drivers: -k: xe by kprobe" "$(sub_func probe-k.json vma_userptr_invalidate mech)" kprobe
fi
check_eq "drivers: amdgpu gfx userptr callback (${have}_gfx) by fentry" \
	"$(sub_func probe.json ${have}_gfx mech)" fentry
check_eq "drivers: amdgpu hsa userptr callback (${have}_hsa) by fentry" \
	"$(sub_func probe.json ${have}_hsa mech)" fentry
check "drivers: ${gone}_gfx reported absent, with its era" \
	"$(sub_func probe.json ${gone}_gfx absent)" \
	grep -q "$era" <<<"$(sub_func probe.json ${gone}_gfx absent)"
check_eq "drivers: nouveau loaded but its SVM callback absent" \
	"$(sub_func probe.json nouveau_svm_range_invalidate present)" false
check "drivers: nouveau reported as built without SVM" \
	"$(sub_func probe.json nouveau_svm_range_invalidate absent)" \
	grep -q CONFIG_DRM_NOUVEAU_SVM <<<"$(sub_func probe.json nouveau_svm_range_invalidate absent)"
check_eq "drivers: the test driver's callback by fentry (module BTF)" \
	"$(sub_func probe.json ntf_invalidate mech)" fentry
nobtf_why=$(jq -r '.callbacks[] | select(.func == "ntf_invalidate") | .why.fentry // ""' \
	"$out/probe-nobtf.json" 2>/dev/null)
check "drivers: a module without BTF: the doctor says so, not EINVAL" \
	"fentry: '$nobtf_why'; $(head -c 200 "$out/nobtf.err" 2>/dev/null)" \
	grep -q 'ntf_testdrv has no BTF' <<<"$nobtf_why"
check_eq "drivers: a module without BTF: kprobes took over" \
	"$(sub_func probe-nobtf.json ntf_invalidate mech 2>/dev/null)" kprobe
check_eq "drivers: kvm by fentry" \
	"$(sub_func probe.json kvm_mmu_notifier_invalidate_range_start mech)" fentry
check_eq "drivers: -k: i915 by kprobe" \
	"$(sub_func probe-k.json i915_gem_userptr_invalidate mech)" kprobe
check_eq "drivers: -k: amdgpu gfx by kprobe" \
	"$(sub_func probe-k.json ${have}_gfx mech)" kprobe
check_eq "drivers: -k: inval_start by kprobe" \
	"$(jq -r '.probes[] | select(.id == "inval_start") | .mech' "$out/probe-k.json")" kprobe
tap_done
