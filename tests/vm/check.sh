#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The test bed's own checks, each in a fresh VM: the smoke scenario and the
# ntf_testdrv selftest.
#
# Usage: tests/vm/check.sh [OUTDIR]     (default: build/vm)
set -euo pipefail

. "$(dirname "$0")/lib.sh"

out=${1:-$NTF_REPO/build/vm}
make -s -C "$NTF_REPO/tests/kmod" selftest >&2 || die "building the selftest failed"

pass=0
fail=0
run() {
	local name=$1 rc=0

	shift
	"$NTF_REPO/tests/vm/run-vm.sh" --out "$out/$name" "$@" >&2 || rc=$?
	if [ $rc -eq 0 ]; then
		echo "ok - vm $name"
		pass=$((pass + 1))
	else
		echo "not ok - vm $name (exit $rc, see $out/$name/console.log)"
		fail=$((fail + 1))
	fi
}

run smoke --scenario "$NTF_REPO/tests/vm/scenarios/smoke.sh"
run testdrv --scenario "$NTF_REPO/tests/vm/scenarios/testdrv.sh" \
	--file "$NTF_REPO/tests/kmod/testdrv-selftest"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
