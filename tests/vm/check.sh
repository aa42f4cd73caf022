#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The test bed's own checks, each in a fresh VM: the smoke scenario, the
# ntf_testdrv selftest, and the GPU driver modules (load without hardware,
# module BTF, notifier symbols). One check per VM (tests/lib/tap.sh).
#
# Usage: tests/vm/check.sh [OUTDIR]     (default: build/vm)
#   NTF_VM_KERNEL=6.1|6.12   guest kernel (default 6.1); on 6.12 the names
#                            and result directories get a "-6.12" suffix
set -euo pipefail

. "$(dirname "$0")/lib.sh"
. "$NTF_REPO/tests/lib/tap.sh"
plan 3

out=${1:-$NTF_REPO/build/vm}
make -s -C "$NTF_REPO/tests/kmod" selftest >&2 || die "building the selftest failed"

sfx=
[ "$NTF_VM_KERNEL" = 6.1 ] || sfx=-$NTF_VM_KERNEL

run() {
	local name=$1$sfx rc=0 why

	shift
	"$NTF_REPO/tests/vm/run-vm.sh" --kernel "$NTF_VM_KERNEL" --out "$out/$name" \
		"$@" >&2 || rc=$?
	if [ $rc -eq 77 ]; then
		# A scenario that cannot run here says why in *-skipped.txt.
		skip "vm $name" "$(cat "$out/$name"/*-skipped.txt 2>/dev/null | head -n1)"
	elif why=$(guest_ended $rc "$out/$name"); then
		pass "vm $name"
	else
		fail "vm $name" "$why"
	fi
}

run smoke --scenario "$NTF_REPO/tests/vm/scenarios/smoke.sh"
run testdrv --scenario "$NTF_REPO/tests/vm/scenarios/testdrv.sh" \
	--file "$NTF_REPO/tests/kmod/testdrv-selftest"
# xe exists from 6.8 on; nouveau's SVM notifier is not in Debian's builds,
# but its module BTF still matters.
drivers=(--module i915 --module amdgpu --module nouveau)
[ "$NTF_VM_KERNEL" = 6.1 ] || drivers=(--module xe "${drivers[@]}")
run gpu-modules --scenario "$NTF_REPO/tests/vm/scenarios/gpu-modules.sh" "${drivers[@]}"
tap_done
