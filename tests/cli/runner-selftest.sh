#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# tests/run-all.sh itself, on test scripts broken on purpose: one that dies
# before its first check, one that prints fewer checks than its plan, one
# that exits non-zero after all its oks, one that crashes; each must be
# failed by name and reason. One that skips legitimately and one that
# fails a check honestly must be counted as they say, nothing more.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/tap.sh"
NTF_TAP_PREFIX="runner: "
plan 11

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ntf-runner.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# fixture NAME: a test script from stdin, after a line sourcing tap.sh.
fixture() {
	{
		echo '#!/usr/bin/env bash'
		echo ". '$top/tests/lib/tap.sh'"
		cat
	} >"$tmp/$1.sh"
	chmod +x "$tmp/$1.sh"
}

fixture dies <<'EOF'
set -e
echo "make static failed" >&2
false
pass "dies: never reached"
tap_done
EOF
fixture short <<'EOF'
plan 3
pass "short: a"
pass "short: b"
tap_done
EOF
fixture exits <<'EOF'
plan 2
pass "exits: a"
pass "exits: b"
echo "$NTF_TAP_END"
exit 1
EOF
fixture crash <<'EOF'
plan 3
pass "crash: a"
kill -SEGV $$
EOF
fixture good <<'EOF'
plan 5
pass "good: a"
skip "good: b" "not here"
skip_n 2 "good: c" "no module"
skip_rest "good: the rest" "not root"
EOF
fixture fails <<'EOF'
plan 2
pass "fails: a"
fail "fails: b" "got 1, want 2"
tap_done
EOF

# run-all SCRIPTS...: the runner on them, its output in $tmp/out, status in rc.
run_all() {
	NTF_TEST_LOGS=$tmp/logs "$top/tests/run-all.sh" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}
# verdict NAME: the runner's own line for fixture NAME, up to its log names
# (from the lines as they came, not the list of failures after them).
verdict() {
	sed '/^failures:$/q' "$tmp/out" | grep -F "not ok - $tmp/$1.sh: " | sed 's/ (see .*//'
}
has() { grep -qxF -- "$1" "$tmp/out"; }
exits_oks() { has "ok - exits: a" && has "ok - exits: b"; }
good_skips() {
	[ -z "$(verdict good)" ] && has "skip - good: c: 2 checks not run: no module" &&
		has "skip - good: the rest: not root"
}
fails_once() { [ -z "$(verdict fails)" ] && has "not ok - fails: b: got 1, want 2"; }

run_all "$tmp"/{dies,short,exits,crash,good,fails}.sh
check_eq "a script that dies before its first check is failed" "$(verdict dies)" \
	"not ok - $tmp/dies.sh: exit status 1, ended before its end marker, printed no checks; stderr: make static failed"
check_eq "a script that prints 2 of its 3 checks is failed" "$(verdict short)" \
	"not ok - $tmp/short.sh: printed 2 of 3 planned checks"
check_eq "a script that exits 1 after all its oks is failed" "$(verdict exits)" \
	"not ok - $tmp/exits.sh: exit status 1"
check "its oks still count" "$(head -c 300 "$tmp/out")" exits_oks
check_eq "a script that crashes after its first check is failed" "$(verdict crash)" \
	"not ok - $tmp/crash.sh: exit status 139, ended before its end marker, printed 1 of 3 planned checks"
check "a script that skips 4 of its 5 checks passes" "$(verdict good)" good_skips
check "a script that fails a check is that one failure" "$(verdict fails)" fails_once
check_eq "the count: every check, skips of several as several" "$(tail -n 1 "$tmp/out")" \
	"7 passed, 5 failed, 4 skipped"
check_eq "exit status 1 on failures" "$rc" 1

run_all "$tmp/good.sh"
check_eq "a good script alone: counted" "$(tail -n 1 "$tmp/out")" "1 passed, 0 failed, 4 skipped"
check_eq "a good script alone: exit status 0" "$rc" 0
tap_done
