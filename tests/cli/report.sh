#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# notifier report on trace files written here by a writer in Python made
# from docs/trace-format.md alone (tests/lib/ntr_writer.py: uncompressed
# blocks, META with a discovered driver, an INDEX and a TRAILER): so the
# test checks the document as much as the reader. Known events (classes, drivers,
# processes, latencies, failures) give the counts and maxima the report
# must print; then the same file unfinished, cut inside a block, with a
# flipped byte, and foreign files. No root needed. One line per check
# (tests/lib/tap.sh).
#
# Usage: tests/cli/report.sh     (after make)
# NOTIFIER overrides the binary.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/tap.sh"
NOTIFIER=${NOTIFIER:-$top/build/notifier}
NTF_TAP_PREFIX="report: "
plan 21

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ntf-report.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

[ -x "$NOTIFIER" ] || { fail "binary" "$NOTIFIER not built (run make)"; skip_rest "the rest" "no binary"; }
command -v python3 >/dev/null 2>&1 || skip_rest "all" "python3 not installed"

# run CMD...: sets rc, $tmp/out and $tmp/err.
run() {
	timeout -k 5 30 "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}
first_err() { head -c 300 "$tmp/err"; }

cat >"$tmp/ntr.py" <<'EOF'
# Known events in a trace file (tests/lib/ntr_writer.py), and what they hold.
import json, sys
from ntr_writer import CLASSES, write

out, facts_path = sys.argv[1], sys.argv[2]
DRIVER_ID, DRIVER = 40, "testdrv"  # an id past the table's: named by the file

# The events: three processes, every class, a driver of the file's own.
events = []
ts = 10_000_000_000
for i in range(3000):
    cls = 1 + i % 7
    tgid = 100 + (i // 7) % 3
    lat = 1000 * (1 + (i * 37) % 500)
    ts += 2000
    e = dict(ts=ts, lat=lat, cls=cls, tgid=tgid, pid=tgid + i % 2, comm="proc%d" % tgid,
             mm=0xFFFF888000000000 + tgid * 4096, cgroup=7, flags=1 if cls in (1, 2, 7) else 0,
             callback=DRIVER_ID if cls == 7 else 0, mech=1, origin=3, syscall=28, ret=0)
    if cls in (1, 2, 7):
        e.update(start=0x7F0000000000 + tgid * 0x10000, size=0x4000, event=1)
    elif cls == 3:
        e.update(addr=0x7F0000001000, calls=2, notifier_ns=lat // 2)
    elif cls in (4, 5):
        e.update(addr=0x7F0000002000, pages=16)
    else:
        e.update(context=5, seqno=42, ops=0xFFFFFFFF81000000, timeout=-1)
    if i % 50 == 0:
        e["flags"] |= 1 << 8  # failed
        e["ret"] = -11
    events.append(e)

meta = dict(writer="ntr-test 1", host="testhost", kernel="6.1.0-test", arch="x86_64",
            wall_ns=1_700_000_000 * 10**9, mono_ns=9_000_000_000,
            probes=[dict(id="inval_start", func="__mmu_notifier_invalidate_range_start", cls=1,
                         mech=1, attached=1)],
            callbacks=[(DRIVER_ID, DRIVER, "testdrv_invalidate")])
ends = write(out, events, meta)

facts = {"events": len(events), "block_ends": ends, "classes": {}, "processes": {},
         "driver": {"name": DRIVER, "count": sum(e["cls"] == 7 for e in events)}}
for c in range(1, 8):
    sel = [e for e in events if e["cls"] == c]
    facts["classes"][CLASSES[c]] = {"count": len(sel), "max_ns": max(e["lat"] for e in sel),
                                    "failures": sum(e["ret"] == -11 for e in sel)}
for e in events:
    facts["processes"].setdefault(str(e["tgid"]), 0)
    facts["processes"][str(e["tgid"])] += 1
facts["fence_101"] = sum(e["cls"] == 6 and e["tgid"] == 101 for e in events)
facts["first"] = dict(events[0], comm=events[0]["comm"])
json.dump(facts, open(facts_path, "w"))
EOF

f=$tmp/run.ntr
if ! PYTHONPATH="$top/tests/lib" python3 "$tmp/ntr.py" "$f" "$tmp/facts.json" 2>"$tmp/err"; then
	fail "writing a file" "$(first_err)"
	skip_rest "the rest" "no file"
fi
facts() { python3 -c "import json,sys; d=json.load(open('$tmp/facts.json')); print($1)"; }
events=$(facts 'd["events"]')

# json_check NAME EXPR: EXPR (Python, r the report's JSON, f the facts) is true.
json_check() {
	local name=$1 expr=$2 why

	if why=$(python3 - "$tmp/out" "$tmp/facts.json" "$expr" 2>&1 <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
f = json.load(open(sys.argv[2]))
ok = eval(sys.argv[3])
if not ok:
    print("false:", sys.argv[3])
    sys.exit(1)
EOF
	); then
		pass "$name"
	else
		fail "$name" "$(echo "$why" | tail -n 3 | tr '\n' ' ')"
	fi
}

# --- the whole file ---
run "$NOTIFIER" report -j -P "$f"
if [ "$rc" != 0 ]; then
	fail "reads the file" "exit $rc: $(first_err)"
	skip_rest "the rest" "the file did not read"
fi
json_check "complete, every event, through the index" \
	'r["file"]["status"] == "complete" and r["file"]["events"] == f["events"] and r["file"]["indexed"]'
json_check "where and what wrote it" \
	'(r["file"]["host"], r["file"]["kernel"], r["file"]["writer"]) == ("testhost", "6.1.0-test", "ntr-test 1")'
json_check "counts, maxima and failures per class" \
	'all(r["classes"][c]["count"] == v["count"] and r["classes"][c]["max_ns"] == v["max_ns"] and r["classes"][c]["failures"] == v["failures"] for c, v in f["classes"].items())'
json_check "the file's own driver, by name" \
	'r["drivers"][f["driver"]["name"]]["count"] == f["driver"]["count"]'
json_check "counts per process" \
	'all(sum(p["count"] for p in r["processes"] if str(p["tgid"]) == t) == n for t, n in f["processes"].items())'
json_check "probes as recorded" \
	'[p["mech"] for p in r["probes"] if p["id"] == "inval_start"] == ["fentry"]'

run "$NOTIFIER" report "$f"
if [ "$rc" = 0 ] && grep -q "^$f: $events events recorded by ntr-test 1 on testhost" "$tmp/out" &&
	grep -q "complete: $events events" "$tmp/out" && grep -q "^inval_start (fentry)" "$tmp/out" &&
	grep -q "^  testdrv:" "$tmp/out"; then
	pass "text: header, classes and the driver"
else
	fail "text: header, classes and the driver" "exit $rc: $(head -n 3 "$tmp/out" | tr '\n' '|')"
fi

run "$NOTIFIER" report -j -c fence_wait -p 101 "$f"
json_check "--class and --pid select" \
	'r["file"]["selected"] == f["fence_101"] and r["classes"]["fence_wait"]["count"] == f["fence_101"] and list(r["classes"]) == ["fence_wait"]'

run "$NOTIFIER" report --events "$f"
n=$(wc -l <"$tmp/out")
first=$(head -n 1 "$tmp/out")
if [ "$rc" = 0 ] && [ "$n" = "$events" ] && [[ $first == "1.000002 "*" inval_start chain "*" 100 proc100 "*" 1.00us "* ]]; then
	pass "--events: one line an event"
else
	fail "--events: one line an event" "exit $rc, $n lines; first: $first"
fi
run "$NOTIFIER" report -j --events "$f"
if why=$(python3 - "$tmp/out" "$tmp/facts.json" 2>&1 <<'EOF'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
f = json.load(open(sys.argv[2]))
e, w = json.loads(lines[0]), f["first"]
assert len(lines) == f["events"], len(lines)
assert (e["ts_ns"], e["latency_ns"], e["pid"], e["tgid"], e["comm"], int(e["mm"], 16), e["cgroup_id"]) == \
    (w["ts"], w["lat"], w["pid"], w["tgid"], w["comm"], w["mm"], w["cgroup"]), e
assert e["range"]["end"] - e["range"]["start"] == 0x4000 and e["ret"] == -11, e
EOF
); then
	pass "--events -j: one object a line, every field"
else
	fail "--events -j: one object a line, every field" "$(echo "$why" | tail -n 2 | tr '\n' ' ')"
fi

# --- files cut short, damaged, foreign ---
size=$(stat -c %s "$f")
head -c $((size - 72 - $(python3 -c "
import struct; d=open('$f','rb').read(); print(len(d) - 72 - struct.unpack_from('<Q', d, len(d) - 24)[0])"))) "$f" >"$tmp/unfinished.ntr"
run "$NOTIFIER" report -j "$tmp/unfinished.ntr"
json_check "without index and trailer: every event, unfinished" \
	'r["file"]["status"] == "unfinished" and r["file"]["events"] == f["events"] and not r["file"]["indexed"]'

third=$(facts 'd["block_ends"][2]')
head -c $((third + 100)) "$f" >"$tmp/cut.ntr"
run "$NOTIFIER" report "$tmp/cut.ntr"
if [ "$rc" = 0 ] && grep -q "^$tmp/cut.ntr: 1500 events" "$tmp/out" &&
	grep -q "truncated at byte $((third + 100)) in block 4: block shorter than its header says" "$tmp/out"; then
	pass "cut inside block 4: the three whole blocks, and where it stopped"
else
	fail "cut inside block 4: the three whole blocks, and where it stopped" "exit $rc: $(head -n 4 "$tmp/out" | tr '\n' '|')"
fi

cp "$f" "$tmp/flipped.ntr"
printf '\x55' | dd of="$tmp/flipped.ntr" bs=1 seek=$((third + 300)) conv=notrunc status=none
run "$NOTIFIER" report "$tmp/flipped.ntr"
if [ "$rc" = 1 ] && grep -q "^$tmp/flipped.ntr: 1500 events" "$tmp/out" &&
	[ "$(wc -l <"$tmp/err")" = 1 ] && grep -q "corrupt at byte $third in block 4: payload checksum mismatch" "$tmp/err"; then
	pass "a flipped byte: what came before, then one error line, exit 1"
else
	fail "a flipped byte: what came before, then one error line, exit 1" "exit $rc: $(first_err)"
fi

# foreign NAME FILE WANT: exit 1 and one line on stderr saying WANT.
foreign() {
	run "$NOTIFIER" report "$2"
	if [ "$rc" = 1 ] && [ "$(wc -l <"$tmp/err")" = 1 ] && grep -qF -- "$3" "$tmp/err" && [ ! -s "$tmp/out" ]; then
		pass "$1"
	else
		fail "$1" "exit $rc: $(first_err)"
	fi
}
: >"$tmp/empty"
foreign "an empty file" "$tmp/empty" "not a notifier trace: the file is empty"
foreign "an ELF file" "$NOTIFIER" "not a notifier trace: an ELF file"
head -c 3000 /dev/urandom | tr '\211' x >"$tmp/random"
foreign "random bytes" "$tmp/random" "not a notifier trace: "
foreign "no such file" "$tmp/absent" "No such file or directory"
run "$NOTIFIER" report -j "$NOTIFIER"
if [ "$rc" = 1 ] && python3 -c "import json,sys; d=json.loads(open('$tmp/out').readline()); sys.exit(0 if 'ELF' in d['error'] else 1)" 2>/dev/null; then
	pass "-j: the error as a JSON line"
else
	fail "-j: the error as a JSON line" "exit $rc: $(head -c 200 "$tmp/out")"
fi

# --- usage ---
run "$NOTIFIER" report
if [ "$rc" = 2 ] && grep -q "no FILE" "$tmp/err"; then pass "no FILE: a usage error"; else fail "no FILE: a usage error" "exit $rc: $(first_err)"; fi
run "$NOTIFIER" report -c bogus "$f"
if [ "$rc" = 2 ] && grep -q "bogus" "$tmp/err"; then pass "--class bogus: a usage error"; else fail "--class bogus: a usage error" "exit $rc: $(first_err)"; fi
run "$NOTIFIER" report --help
missing=
for o in $(sed -n 's/^\t{ "\([a-z-]*\)", [a-z_]*, NULL, .* },$/\1/p' "$top/user/cmd/cmd_report.c"); do
	grep -q -- "--$o" "$tmp/out" || missing="$missing --$o"
done
if [ "$rc" = 0 ] && [ -z "$missing" ] && grep -q "^Usage: notifier report" "$tmp/out"; then
	pass "--help names every option"
else
	fail "--help names every option" "exit $rc; missing:$missing"
fi
tap_done
