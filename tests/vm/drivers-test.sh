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

out=${1:-$NTF_REPO/build/vm/drivers}
rm -rf "$out"
mkdir -p "$out"
ensure_pkgs jq
make -s -C "$NTF_REPO" static >&2 || die "make static failed"

"$NTF_REPO/tests/vm/run-vm.sh" --scenario "$NTF_REPO/tests/vm/scenarios/probe-drivers.sh" \
	--out "$out" --timeout 900 --file "$NTF_REPO/build/static/notifier" \
	--module i915 --module amdgpu --module nouveau
rc=$?
check_eq "drivers: scenario ran to the end" "$rc" 0
[ "$rc" -eq 0 ] || exit 1

sub() { jq -r --arg d "$2" --arg f "$3" '[.subscribers[] | select(.driver == $d)] |
	map(.[$f] // .why.absent // "") | join(",")' "$out/$1"; }
sub_func() { jq -r --arg fn "$2" --arg f "$3" '.subscribers[] | select(.func == $fn) |
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
# 6.1 has amdgpu_mn.c's names; amdgpu_hmm.c's came in 6.3.
check_eq "drivers: amdgpu gfx userptr callback by fentry" \
	"$(sub_func probe.json amdgpu_mn_invalidate_gfx mech)" fentry
check_eq "drivers: amdgpu hsa userptr callback by fentry" \
	"$(sub_func probe.json amdgpu_mn_invalidate_hsa mech)" fentry
check "drivers: amdgpu's 6.3 names reported absent, with the era" \
	"$(sub_func probe.json amdgpu_hmm_invalidate_gfx absent)" \
	grep -q "6.3 on" <<<"$(sub_func probe.json amdgpu_hmm_invalidate_gfx absent)"
check_eq "drivers: nouveau loaded but its SVM callback absent" \
	"$(sub_func probe.json nouveau_svm_range_invalidate present)" false
check "drivers: nouveau reported as built without SVM" \
	"$(sub_func probe.json nouveau_svm_range_invalidate absent)" \
	grep -q CONFIG_DRM_NOUVEAU_SVM <<<"$(sub_func probe.json nouveau_svm_range_invalidate absent)"
check_eq "drivers: the test driver's callback by fentry (module BTF)" \
	"$(sub_func probe.json ntf_invalidate mech)" fentry
check_eq "drivers: kvm by fentry" \
	"$(sub_func probe.json kvm_mmu_notifier_invalidate_range_start mech)" fentry
check_eq "drivers: -k: i915 by kprobe" \
	"$(sub_func probe-k.json i915_gem_userptr_invalidate mech)" kprobe
check_eq "drivers: -k: amdgpu gfx by kprobe" \
	"$(sub_func probe-k.json amdgpu_mn_invalidate_gfx mech)" kprobe
check_eq "drivers: -k: inval_start by kprobe" \
	"$(jq -r '.probes[] | select(.id == "inval_start") | .mech' "$out/probe-k.json")" kprobe
exit $NTF_FAILED
