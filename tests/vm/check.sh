#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The test bed's own checks, each in a fresh VM: the smoke scenario, the
# ntf_testdrv selftest, and the GPU driver modules (load without hardware,
# module BTF, notifier symbols).
#
# Usage: tests/vm/check.sh [OUTDIR]     (default: build/vm)
#   NTF_VM_KERNEL=6.1|6.12   guest kernel (default 6.1); on 6.12 the names
#                            and result directories get a "-6.12" suffix
set -euo pipefail

. "$(dirname "$0")/lib.sh"

out=${1:-$NTF_REPO/build/vm}
make -s -C "$NTF_REPO/tests/kmod" selftest >&2 || die "building the selftest failed"

sfx=
[ "$NTF_VM_KERNEL" = 6.1 ] || sfx=-$NTF_VM_KERNEL

pass=0
fail=0
skipped=0
run() {
	local name=$1$sfx rc=0

	shift
	"$NTF_REPO/tests/vm/run-vm.sh" --kernel "$NTF_VM_KERNEL" --out "$out/$name" \
		"$@" >&2 || rc=$?
	if [ $rc -eq 0 ]; then
		echo "ok - vm $name"
		pass=$((pass + 1))
	elif [ $rc -eq 77 ]; then
		# A scenario that cannot run here says why in *-skipped.txt.
		echo "skip - vm $name: $(cat "$out/$name"/*-skipped.txt 2>/dev/null | head -n1)"
		skipped=$((skipped + 1))
	else
		echo "not ok - vm $name (exit $rc, see $out/$name/console.log)"
		fail=$((fail + 1))
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

echo "$pass passed, $fail failed, $skipped skipped"
[ $fail -eq 0 ]
