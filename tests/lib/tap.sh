# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# One line per check: "ok - NAME", "not ok - NAME: why", "skip - NAME: why".
# tests/run-all.sh counts these lines; sourced by the test scripts.

NTF_FAILED=0
# Prefix of every name, e.g. which kernel a suite that runs once per
# kernel is testing; empty by default.
NTF_TAP_PREFIX=${NTF_TAP_PREFIX:-}

pass() { echo "ok - $NTF_TAP_PREFIX$1"; }
fail() { echo "not ok - $NTF_TAP_PREFIX$1: $2"; NTF_FAILED=1; }
skip() { echo "skip - $NTF_TAP_PREFIX$1: $2"; }

# check NAME WHY CMD...: ok when CMD succeeds.
check() {
	local name=$1 why=$2

	shift 2
	if "$@"; then pass "$name"; else fail "$name" "$why"; fi
}

# check_eq NAME GOT WANT
check_eq() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got '$2', want '$3'"; fi
}

# check_range NAME GOT LOW HIGH (integers, inclusive)
check_range() {
	if [ -n "$2" ] && [ "$2" -ge "$3" ] 2>/dev/null && [ "$2" -le "$4" ]; then
		pass "$1"
	else
		fail "$1" "got '$2', want $3..$4"
	fi
}
