# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# What a test script tells tests/run-all.sh; sourced by the test scripts.
#
# One line per check: "ok - NAME", "not ok - NAME: why", "skip - NAME: why".
# A skip that stands for N checks (a scenario that cannot run here) says
# so, "skip - NAME: N checks not run: why", and counts as N (skip_n).
#
# Counting those lines alone cannot see the checks a script never reached:
# one that dies before its first line (a failed build under set -e, a
# crash, a guest that never came back) took all of them out of the count,
# and the run still ended "N passed, 0 failed". So:
#   - plan N, first, prints "1..N" (as TAP has it): how many checks follow.
#     The runner fails a script that prints fewer, or more; skips count
#     toward the plan, so a script that skips legitimately adds up. Where
#     the number depends on data (the fuzz harnesses, the spine cases
#     asked for), the script works it out before its first check.
#   - tap_done, last, prints the end marker "# end of checks" and exits 1
#     if a check failed, else 0. The runner fails a script without the
#     marker, and one whose exit status is anything else.
# Both, because each catches what the other cannot: the marker, a death
# after the last planned check or in a script that cannot know its count;
# the plan, checks a script's own logic passed over without a word. A
# script that stops early on purpose says what it leaves out with
# skip_rest, which skips what is left of the plan and ends.

NTF_FAILED=0
# Checks printed so far, a skip of N counted as N; the plan, once declared.
NTF_CHECKS=0
NTF_PLAN=
NTF_TAP_END="# end of checks"
# What marks a skip of N (an extended regular expression; N follows ": ").
NTF_TAP_SKIP_N=': [0-9]+ checks not run: '
# Prefix of every name, e.g. which kernel a suite that runs once per
# kernel is testing; empty by default.
NTF_TAP_PREFIX=${NTF_TAP_PREFIX:-}

plan() {
	NTF_PLAN=$1
	echo "1..$1"
}

pass() {
	echo "ok - $NTF_TAP_PREFIX$1"
	NTF_CHECKS=$((NTF_CHECKS + 1))
}

# fail NAME WHY...: the words of WHY joined by spaces.
fail() {
	echo "not ok - $NTF_TAP_PREFIX$1: ${*:2}"
	NTF_CHECKS=$((NTF_CHECKS + 1))
	NTF_FAILED=1
}

skip() { skip_n 1 "$@"; }

# skip_n N NAME WHY: one line for N checks not run (none for N <= 0).
skip_n() {
	[ "$1" -gt 0 ] || return 0
	if [ "$1" = 1 ]; then
		echo "skip - $NTF_TAP_PREFIX$2: $3"
	else
		echo "skip - $NTF_TAP_PREFIX$2: $1 checks not run: $3"
	fi
	NTF_CHECKS=$((NTF_CHECKS + $1))
}

# The end marker, then the exit status: 1 if a check failed.
tap_done() {
	echo "$NTF_TAP_END"
	exit "$NTF_FAILED"
}

# skip_rest NAME WHY: what the plan has left is skipped, and the script ends.
skip_rest() {
	skip_n $((${NTF_PLAN:?skip_rest needs a plan} - NTF_CHECKS)) "$1" "$2"
	tap_done
}

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
