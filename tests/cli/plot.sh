#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# notifier plot: its bad input, then a run of known distributions (ten
# one-second reports: inval_start around 100 us for five, around 1 ms for
# five; its driver's callbacks around 20 us; inval_end around 5 us; unpin
# with no latency) drawn as SVG and HTML. The SVG is checked as XML
# (xmllint) and element by element against what plot-check.py works out
# from the samples; both are rendered by headless Chromium and the pixels
# checked: drawn, the markers' red, the heat map's hottest cells at the
# latency of each report's busiest band. No root needed, no kernel.
# One line per check (tests/lib/tap.sh).
#
# Usage: tests/cli/plot.sh     (after make)
# NOTIFIER overrides the binary, CHROMIUM the browser, PYTHON the python3
# (one with PIL: Debian's python3-pil).
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/tap.sh"
NOTIFIER=${NOTIFIER:-$top/build/notifier}
CHROMIUM=${CHROMIUM:-chromium}
check_py=$top/tests/cli/plot-check.py
NTF_TAP_PREFIX="plot: "
# bad input 8 + run 6 + the SVG's elements 9 + one report 2 + pixels 6 + 2
plan 33

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ntf-plot.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

[ -x "$NOTIFIER" ] || { fail "binary" "$NOTIFIER not built (run make)"; skip_rest "the rest" "no binary"; }
# a python3 that has PIL: Debian's, where tools/setup installs python3-pil
PY=
for p in ${PYTHON:-} /usr/bin/python3 python3; do
	if "$p" -c 'import PIL' 2>/dev/null; then PY=$p; break; fi
done
[ -n "$PY" ] || skip_rest "all" "no python3 with PIL (tools/setup installs python3-pil)"
for t in xmllint "$CHROMIUM"; do
	command -v "$t" >/dev/null 2>&1 || skip_rest "all" "$t not installed (tools/setup installs it)"
done

# run CMD...: sets rc, $tmp/out and $tmp/err.
run() {
	timeout -k 5 30 "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}
# one_line_naming WANT: stderr is one line naming WANT; no stdout.
one_line_naming() { [ "$(wc -l <"$tmp/err")" = 1 ] && grep -qF -- "$1" "$tmp/err" && [ ! -s "$tmp/out" ]; }
# what a directory holds, dot files (a temporary file left behind) included
listing() { ls -A "$1" | tr '\n' ' '; }

# relay N NAME CMD...: CMD's "ok - X" and "not ok - X: why" lines as this
# script's checks; as many failures as it fell short of N, named NAME, when
# it dies before printing them all.
relay() {
	local want=$1 name=$2 n=0 line

	shift 2
	while IFS= read -r line; do
		case $line in
		"ok - "*) pass "${line#ok - }"; n=$((n + 1)) ;;
		"not ok - "*)
			line=${line#not ok - }
			fail "${line%%: *}" "${line#*: }"
			n=$((n + 1))
			;;
		esac
	done < <(timeout -k 5 120 "$@" 2>"$tmp/relay.err")
	while [ $n -lt "$want" ]; do
		fail "$name ($((n + 1)) of $want)" "never reported: $(tail -n 2 "$tmp/relay.err" | tr '\n' '|')"
		n=$((n + 1))
	done
}

# fail_n N NAME WHY: N checks that could not run, each a failure.
fail_n() {
	for i in $(seq "$1"); do fail "$2 ($i of $1)" "$3"; done
}

# --- bad input: one line, non-zero exit, no file written or left behind ---

if ! "$PY" "$check_py" gen "$tmp/run.json" "$tmp/expect.json" 2>"$tmp/gen.err"; then
	fail "input" "plot-check.py gen: $(tr '\n' '|' <"$tmp/gen.err")"
	skip_rest "the rest" "no input"
fi
mkdir "$tmp/o"

run "$NOTIFIER" plot "$tmp/run.json"
check_eq "no --svg nor --html: exit 2" "$rc" 2
check "no --svg nor --html: says so in one line" "stderr: $(tr '\n' '|' <"$tmp/err")" one_line_naming "--svg"

run "$NOTIFIER" plot --svg "$tmp/o/a.svg" "$tmp/nonexistent.json"
check_eq "missing input: exit 1" "$rc" 1
check "missing input: one line naming it, no picture" "stderr: $(tr '\n' '|' <"$tmp/err"), dir: $(listing "$tmp/o")" \
	eval 'one_line_naming "$tmp/nonexistent.json" && [ -z "$(listing "$tmp/o")" ]'

# not JSON on its second line; an older picture must survive a failed run
head -n 1 "$tmp/run.json" >"$tmp/bad.json"
echo '{"classes": {"pin": ' >>"$tmp/bad.json"
echo old >"$tmp/o/keep.svg"
run "$NOTIFIER" plot --svg "$tmp/o/keep.svg" "$tmp/bad.json"
check "invalid input: exit 1, one line naming the line" "exit $rc, stderr: $(tr '\n' '|' <"$tmp/err")" \
	eval '[ "$rc" = 1 ] && one_line_naming "bad.json: line 2"'
check "invalid input: the older picture kept, nothing else written" \
	"keep.svg: $(head -c 40 "$tmp/o/keep.svg"), dir: $(listing "$tmp/o")" \
	eval '[ "$(cat "$tmp/o/keep.svg")" = old ] && [ "$(listing "$tmp/o")" = "keep.svg " ]'

run "$NOTIFIER" plot --svg "$tmp/no/such/dir/a.svg" "$tmp/run.json"
check "unwritable output: exit 1, one line naming it" "exit $rc, stderr: $(tr '\n' '|' <"$tmp/err")" \
	eval '[ "$rc" = 1 ] && one_line_naming "$tmp/no/such/dir/a.svg"'
# a directory in the way: written, then the rename refused; the temporary file goes
mkdir "$tmp/o/dir.svg"
run "$NOTIFIER" plot --svg "$tmp/o/dir.svg" "$tmp/run.json"
check "output a directory: exit 1, one line, no temporary file left" \
	"exit $rc, stderr: $(tr '\n' '|' <"$tmp/err"), dir: $(listing "$tmp/o")" \
	eval '[ "$rc" = 1 ] && one_line_naming "dir.svg" && [ "$(listing "$tmp/o")" = "dir.svg keep.svg " ]'

# --- the run drawn ---

title='notifier <plot> & "test"'
run "$NOTIFIER" plot --svg "$tmp/a.svg" --html "$tmp/a.html" --title "$title" "$tmp/run.json"
check "run: exit 0, quiet" "exit $rc, stderr: $(tr '\n' '|' <"$tmp/err")" \
	eval '[ "$rc" = 0 ] && [ ! -s "$tmp/err" ] && [ -s "$tmp/a.svg" ] && [ -s "$tmp/a.html" ]'
check "svg: well-formed XML (xmllint)" "$(xmllint --noout "$tmp/a.svg" 2>&1 | head -n 3 | tr '\n' '|')" \
	xmllint --noout "$tmp/a.svg"
got=$(xmllint --xpath 'string(/*[local-name()="svg"]/*[local-name()="title"])' "$tmp/a.svg" 2>&1)
check_eq "svg: the title, escaped, reads back as given" "$got" "$title"
w=$(xmllint --xpath 'string(/*/@width)' "$tmp/a.svg" 2>/dev/null)
h=$(xmllint --xpath 'string(/*/@height)' "$tmp/a.svg" 2>/dev/null)
vb=$(xmllint --xpath 'string(/*/@viewBox)' "$tmp/a.svg" 2>/dev/null)
check "svg: fixed width and height, the viewBox alike" "width '$w', height '$h', viewBox '$vb'" \
	eval '[ "$vb" = "0 0 $w $h" ] && [ "${w:-0}" -gt 0 ] && [ "${h:-0}" -gt 0 ]'
check "svg: nothing fetched (no href, no url(), no @import)" "$(grep -oE 'href|url\(|@import' "$tmp/a.svg" | head -n 3 | tr '\n' ' ')" \
	eval '! grep -qE "href|url\\(|@import" "$tmp/a.svg" "$tmp/a.html"'
# the page holds the same picture
sed -n '/^<svg /,/^<\/svg>$/p' "$tmp/a.html" >"$tmp/html.svg"
check "html: holds the same SVG" "$(diff <(tail -n +2 "$tmp/a.svg") "$tmp/html.svg" | head -n 3 | tr '\n' '|')" \
	cmp -s <(tail -n +2 "$tmp/a.svg") "$tmp/html.svg"

relay 9 "svg elements" "$PY" "$check_py" svg "$tmp/a.svg" "$tmp/expect.json"

# one report, through stdin and stdout: distributions, no heat map
head -n 1 "$tmp/run.json" | timeout 30 "$NOTIFIER" plot --svg - - >"$tmp/one.svg" 2>"$tmp/err"
check "one report from stdin to stdout: well-formed" "exit $?, stderr: $(tr '\n' '|' <"$tmp/err")" \
	xmllint --noout "$tmp/one.svg"
panels=$(grep -c 'class="panel"' "$tmp/one.svg")
maps=$(grep -c 'class="heatmap"' "$tmp/one.svg")
check "one report: four panels, no heat map" "$panels panels, $maps heat maps" \
	eval '[ "$panels" = 4 ] && [ "$maps" = 0 ]'

# --- rendered: headless Chromium, then the pixels ---

# shot URL PNG W H: a screenshot of URL at W x H CSS pixels, one device pixel each
shot() {
	timeout -k 5 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars \
		--force-device-scale-factor=1 --user-data-dir="$tmp/chromium" \
		--screenshot="$2" --window-size="$3,$4" "$1" >"$tmp/chromium.log" 2>&1
}
if shot "file://$tmp/a.svg" "$tmp/a.png" "$w" "$h" && [ -s "$tmp/a.png" ]; then
	relay 6 "svg pixels" "$PY" "$check_py" png "$tmp/a.png" "$tmp/a.svg" "$tmp/expect.json"
else
	fail_n 6 "svg pixels" "chromium made no screenshot: $(grep -v -e dbus -e '^$' "$tmp/chromium.log" | tail -n 2 | tr '\n' '|')"
fi
if shot "file://$tmp/a.html" "$tmp/b.png" 1000 $((h + 800)) && [ -s "$tmp/b.png" ]; then
	relay 2 "html pixels" "$PY" "$check_py" png "$tmp/b.png" "$tmp/a.svg" "$tmp/expect.json" html
else
	fail_n 2 "html pixels" "chromium made no screenshot: $(grep -v -e dbus -e '^$' "$tmp/chromium.log" | tail -n 2 | tr '\n' '|')"
fi
tap_done
