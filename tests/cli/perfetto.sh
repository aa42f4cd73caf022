#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# notifier report --perfetto on a trace file of known nested calls,
# written by tests/lib/ntr_writer.py in the order a ring buffer gives
# them (by end): per storm, an invalidate holding two callbacks, the first
# waiting on a fence; an unmap holding an invalidate and its callback;
# pins; a callback that ends 3 ns after its invalidate (clamped); a
# callback starting with its invalidate. The trace is checked as Perfetto
# reads it: valid JSON, every event placed, slices nested on each thread,
# the fence wait inside its callback inside its invalidate, counts per
# class, names, counters, metadata, every ns kept. Then a file cut short,
# a damaged one, a foreign one, outputs that cannot be written, and
# outputs that are not regular files (stdout, a FIFO) or are links.
# No root needed. One line per check (tests/lib/tap.sh).
#
# Usage: tests/cli/perfetto.sh     (after make)
# NOTIFIER overrides the binary.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/tap.sh"
NOTIFIER=${NOTIFIER:-$top/build/notifier}
NTF_TAP_PREFIX="perfetto: "
plan 27

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ntf-perfetto.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

[ -x "$NOTIFIER" ] || { fail "binary" "$NOTIFIER not built (run make)"; skip_rest "the rest" "no binary"; }
command -v python3 >/dev/null 2>&1 || skip_rest "all" "python3 not installed"

# run CMD...: sets rc, $tmp/out and $tmp/err.
run() {
	timeout -k 5 30 "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}
first_err() { head -c 300 "$tmp/err"; }
lines() { wc -l <"$1"; }

cat >"$tmp/ntr.py" <<'EOF'
# Storms of nested calls on three threads of two processes, and what they hold.
import json, sys
from ntr_writer import CLASSES, write

out, facts_path = sys.argv[1], sys.argv[2]
TESTDRV, OTHERDRV = 40, 41  # ids past the table's: named by the file
FAILED, NESTED, BLOCKABLE = 1 << 8, 1 << 1, 1
THREADS = [(200, 200, "gpuproc"), (200, 201, "gpu worker"),
           (300, 300, b'a"b\\c\x01\xff')]  # a comm JSON must escape, and a byte not UTF-8
STORMS = 40

events = []
for k in range(STORMS):
    for n, (tgid, pid, comm) in enumerate(THREADS):
        t = 6_000_000_000 + k * 60_000_000 + n * 10_000

        def ev(cls, start, lat, **kw):
            e = dict(ts=t + start, lat=lat, cls=cls, tgid=tgid, pid=pid, comm=comm,
                     mm=0xFFFF888000000000 + tgid * 4096, cgroup=tgid * 10, mech=1, origin=1,
                     syscall=11, flags=BLOCKABLE if cls in (1, 2, 7) else 0)
            if cls in (1, 2, 7):
                e.update(start=0x7F0000000000 + k * 0x100000, size=0x20000, event=0)
            e.update(kw)
            events.append(e)

        ev(1, 0, 10_000)  # the invalidate
        failed = dict(ret=-11, flags=BLOCKABLE | FAILED) if k % 10 == 0 else {}
        ev(7, 1_000, 7_000, callback=TESTDRV, **failed)  # its first callback
        ev(6, 2_000, 4_000, context=7, seqno=k, ops=0xFFFFFFFFC0001000, timeout=250)
        ev(7, 8_000, 1_500, callback=OTHERDRV)
        ev(2, 12_000, 500)
        ev(3, 20_000, 20_000, addr=0x7F0000001000, calls=1, notifier_ns=9_000)  # an unmap
        ev(1, 21_000, 9_000, flags=BLOCKABLE | NESTED)  # the invalidate it caused
        ev(7, 22_000, 7_000, callback=TESTDRV, flags=BLOCKABLE | NESTED)
        ev(4, 50_000, 1_000, addr=0x7F0000002000, pages=16, variant=1)
        ev(5, 60_000, 500, addr=0x7F0000002000, pages=16)
        ev(1, 70_000, 5_000)
        ev(7, 71_000, 4_003, callback=TESTDRV)  # 3 ns past its invalidate's end
        ev(1, 80_000, 5_000)
        ev(7, 80_000, 4_000, callback=OTHERDRV)  # starts with its invalidate

# as a ring buffer takes them: when they end
events.sort(key=lambda e: e["ts"] + e["lat"])
meta = dict(writer="ntr-test 1", host="perfhost", kernel="6.12.0-test", arch="x86_64",
            wall_ns=1_700_000_000 * 10**9, mono_ns=5_000_000_000,
            callbacks=[(TESTDRV, "testdrv", "testdrv_invalidate"), (OTHERDRV, "otherdrv", None)])
ends = write(out, events, meta, per_block=100)

facts = {"events": len(events), "block_ends": ends, "per_block": 100, "clamped": STORMS * 3,
         "fences": STORMS * 3, "unmapped": STORMS * 3, "base": meta["mono_ns"],
         "classes": {CLASSES[c]: sum(e["cls"] == c for e in events) for c in range(1, 8)},
         "failed": sum(e.get("ret") == -11 for e in events),
         "fence_200": sum(e["cls"] == 6 and e["tgid"] == 200 for e in events),
         "threads": {str(pid): (c if isinstance(c, str) else c.decode("utf-8", "replace"))
                     for _, pid, c in THREADS},
         "names": ["inval_start chain", "callback testdrv", "fence_wait", "callback otherdrv",
                   "inval_end chain", "unmap", "pin", "unpin"]}
json.dump(facts, open(facts_path, "w"))
EOF

cat >"$tmp/check.py" <<'EOF'
# check.py TRACE FACTS EXPR: EXPR (Python) is true of the trace: t the
# whole JSON, ev its events, X its complete slices, f the facts, and
# nest_errors(X) the slices that straddle another on their thread.
import json, sys

t = json.load(open(sys.argv[1]))
f = json.load(open(sys.argv[2]))
ev = t["traceEvents"]
X = [e for e in ev if e["ph"] == "X"]


def ns(us):
    """µs with three decimals back to integer ns, as Perfetto rounds them"""
    return round(us * 1000)


def nest_errors(slices):
    """Perfetto's rule for one track: sorted by start (the longer first),
    each slice ends inside the one open under it, or after it ends."""
    bad, tracks = [], {}
    for s in slices:
        tracks.setdefault((s["pid"], s["tid"]), []).append(s)
    for ss in tracks.values():
        ss.sort(key=lambda s: (ns(s["ts"]), -ns(s["dur"])))
        stack = []
        for s in ss:
            start, end = ns(s["ts"]), ns(s["ts"]) + ns(s["dur"])
            while stack and stack[-1][0] <= start:
                stack.pop()
            if stack and end > stack[-1][0]:
                bad.append((s["name"], start, end, stack[-1][1]["name"], stack[-1][0]))
            stack.append((end, s))
    return bad


def parents(s):
    """the slices open around s on its thread, innermost first"""
    start, end = ns(s["ts"]), ns(s["ts"]) + ns(s["dur"])
    around = [p for p in X if (p["pid"], p["tid"]) == (s["pid"], s["tid"]) and p is not s and
              ns(p["ts"]) <= start and end <= ns(p["ts"]) + ns(p["dur"])]
    return [p["name"] for p in sorted(around, key=lambda p: ns(p["dur"]))]


ok = eval(sys.argv[3])
if not ok:
    print("false:", sys.argv[3])
    sys.exit(1)
EOF

f=$tmp/run.ntr
if ! PYTHONPATH="$top/tests/lib" python3 "$tmp/ntr.py" "$f" "$tmp/facts.json" 2>"$tmp/err"; then
	fail "writing a file" "$(first_err)"
	skip_rest "the rest" "no file"
fi
facts() { python3 -c "import json; d=json.load(open('$tmp/facts.json')); print($1)"; }

# trace_check NAME TRACE EXPR: check.py's EXPR holds for TRACE.
trace_check() {
	local name=$1 trace=$2 expr=$3 why

	if why=$(python3 "$tmp/check.py" "$trace" "$tmp/facts.json" "$expr" 2>&1); then
		pass "$name"
	else
		fail "$name" "$(echo "$why" | tail -n 3 | tr '\n' ' ' | head -c 400)"
	fi
}

# --- the whole file ---
o=$tmp/trace.json
run "$NOTIFIER" report --perfetto "$o" "$f"
if [ "$rc" = 0 ] && [ -s "$o" ] && [ ! -s "$tmp/err" ] && [ ! -e "$o.tmp" ] &&
	grep -q "^$o: $(facts 'd["events"]') events as " "$tmp/out"; then
	pass "exports: exit 0, a summary line, no .tmp left"
else
	fail "exports: exit 0, a summary line, no .tmp left" "exit $rc: $(first_err) $(head -c 200 "$tmp/out")"
	skip_rest "the rest" "no trace"
fi
trace_check "valid JSON: traceEvents, displayTimeUnit ns" "$o" \
	'isinstance(ev, list) and len(ev) > f["events"] and t["displayTimeUnit"] == "ns"'
trace_check "every event has ph, ts, pid and tid; X a dur" "$o" \
	'all(all(k in e for k in ("ph", "ts", "pid", "tid")) and isinstance(e["ts"], (int, float)) for e in ev) and all(isinstance(e.get("dur"), (int, float)) and e["dur"] >= 0 for e in X)'
trace_check "every event a complete slice, as many per class as written" "$o" \
	'len(X) == f["events"] and all(sum(e["cat"] == c for e in X) == n for c, n in f["classes"].items()) and not [e for e in ev if e["ph"] in "bBeE"]'
trace_check "slices nest properly on every thread" "$o" 'not nest_errors(X)'
trace_check "each fence wait inside its callback inside its invalidate" "$o" \
	'sum(1 for s in X if s["cat"] == "fence_wait" and parents(s)[:2] == ["callback testdrv", "inval_start chain"]) == f["fences"]'
trace_check "an unmap holds the invalidate it caused and its callback" "$o" \
	'sum(1 for s in X if s["cat"] == "callback" and parents(s) == ["inval_start chain", "unmap"]) == f["unmapped"]'
trace_check "names: the class and the file's driver" "$o" \
	'sorted(set(s["name"] for s in X)) == sorted(f["names"]) and all(s["args"]["driver"] in ("testdrv", "otherdrv") for s in X if s["cat"] == "callback")'
trace_check "a child 3 ns past its parent ends with it, and says so" "$o" \
	'[s["args"]["clamped_ns"] for s in X if "clamped_ns" in s["args"]] == [3] * f["clamped"] and t["metadata"]["clamped"] == f["clamped"] and all(ns(s["dur"]) == 4000 and parents(s) == ["inval_start chain"] for s in X if "clamped_ns" in s["args"])'
trace_check "every ns kept: ts and dur back to the event's times" "$o" \
	'all(ns(s["ts"]) + t["metadata"]["ts_base_ns"] == s["args"]["ts_ns"] and ns(s["dur"]) == s["args"]["latency_ns"] - s["args"].get("clamped_ns", 0) for s in X) and t["metadata"]["ts_base_ns"] == f["base"]'
trace_check "args: ranges, fences, pins, failures, origin, mm, cgroup" "$o" \
	'all(int(s["args"]["end"], 16) - int(s["args"]["start"], 16) == 0x20000 and s["args"]["blockable"] == "yes" for s in X if s["cat"] in ("inval_start", "callback")) and all(s["args"]["context"] == 7 for s in X if s["cat"] == "fence_wait") and all(s["args"]["pages"] == 16 for s in X if s["cat"] in ("pin", "unpin")) and sum(s["args"]["failed"] for s in X) == f["failed"] and all(s["args"]["origin"] == "munmap" and s["args"]["cgroup_id"] == s["pid"] * 10 and s["args"]["mm"].startswith("0xffff888") for s in X)'
trace_check "threads and processes named from comm, escaped" "$o" \
	'{str(e["tid"]): e["args"]["name"] for e in ev if e["ph"] == "M" and e["name"] == "thread_name"} == f["threads"] and {e["pid"]: e["args"]["name"] for e in ev if e["ph"] == "M" and e["name"] == "process_name" and e["pid"] in (200, 300)} == {200: "gpuproc", 300: f["threads"]["300"]}'
trace_check "counters: events a second per class, adding up to the counts" "$o" \
	'(lambda C: len({c["pid"] for c in C}) == 1 and sum(1 for c in C if any(c["args"].values())) >= 3 and all(sum(c["args"][k] for c in C) == n for k, n in f["classes"].items()))([e for e in ev if e["ph"] == "C" and e["name"] == "notifier events/s"])'
trace_check "metadata: host, kernel, writer, start, status" "$o" \
	'(lambda m: (m["host"], m["kernel"], m["writer"], m["wall_start"], m["status"], m["events"]) == ("perfhost", "6.12.0-test", "ntr-test 1", "2023-11-14T22:13:20.000000000Z", "complete", f["events"]))(t["metadata"])'

o2=$tmp/select.json
run "$NOTIFIER" report --perfetto "$o2" -c fence_wait -p 200 "$f"
if [ "$rc" = 0 ]; then
	trace_check "--class and --pid select" "$o2" \
		'len(X) == f["fence_200"] and {(s["cat"], s["pid"]) for s in X} == {("fence_wait", 200)}'
else
	fail "--class and --pid select" "exit $rc: $(first_err)"
fi

# --- files cut short, damaged, foreign ---
six=$(facts 'd["block_ends"][5]')
head -c $((six + 50)) "$f" >"$tmp/cut.ntr"
run "$NOTIFIER" report --perfetto "$o" "$tmp/cut.ntr"
if [ "$rc" = 0 ] && [ "$(lines "$tmp/err")" = 1 ] &&
	grep -q "truncated at byte $((six + 50)) in block 7: block shorter than its header says" "$tmp/err"; then
	pass "cut inside block 7: exit 0 and one warning line"
else
	fail "cut inside block 7: exit 0 and one warning line" "exit $rc: $(first_err)"
fi
trace_check "cut: a whole trace of the six whole blocks, nested, saying where it stopped" "$o" \
	'len(X) == 6 * f["per_block"] and not nest_errors(X) and t["metadata"]["status"] == "truncated" and "in block 7" in t["metadata"]["status_why"]'

cp "$f" "$tmp/flipped.ntr"
printf '\x55' | dd of="$tmp/flipped.ntr" bs=1 seek=$((six + 100)) conv=notrunc status=none
run "$NOTIFIER" report --perfetto "$o" "$tmp/flipped.ntr"
if [ "$rc" = 1 ] && [ "$(lines "$tmp/err")" = 1 ] && grep -q "corrupt at byte $six in block 7" "$tmp/err"; then
	pass "a flipped byte: one error line, exit 1"
else
	fail "a flipped byte: one error line, exit 1" "exit $rc: $(first_err)"
fi
trace_check "flipped: what came before, marked corrupt" "$o" \
	'len(X) == 6 * f["per_block"] and t["metadata"]["status"] == "corrupt"'

echo '{"keep": "me"}' >"$tmp/old.json"
run "$NOTIFIER" report --perfetto "$tmp/old.json" "$NOTIFIER"
if [ "$rc" = 1 ] && [ "$(lines "$tmp/err")" = 1 ] && grep -q "not a notifier trace: an ELF file" "$tmp/err" &&
	[ "$(cat "$tmp/old.json")" = '{"keep": "me"}' ] && [ ! -e "$tmp/old.json.tmp" ]; then
	pass "a foreign file: exit 1, an old OUT left as it was"
else
	fail "a foreign file: exit 1, an old OUT left as it was" "exit $rc: $(first_err)"
fi

# --- outputs that cannot be written ---
run "$NOTIFIER" report --perfetto "$tmp/no/such/dir/out.json" "$f"
if [ "$rc" = 1 ] && [ "$(lines "$tmp/err")" = 1 ] &&
	grep -q "cannot write $tmp/no/such/dir/out.json: No such file or directory" "$tmp/err" && [ ! -s "$tmp/out" ]; then
	pass "OUT in a missing directory: one error line, exit 1"
else
	fail "OUT in a missing directory: one error line, exit 1" "exit $rc: $(first_err)"
fi
mkdir "$tmp/adir"
run "$NOTIFIER" report --perfetto "$tmp/adir" "$f"
if [ "$rc" = 1 ] && [ "$(lines "$tmp/err")" = 1 ] && grep -q "cannot write $tmp/adir: Is a directory" "$tmp/err" &&
	[ ! -e "$tmp/adir.tmp" ] && [ -d "$tmp/adir" ]; then
	pass "OUT a directory: one error line, exit 1, nothing left behind"
else
	fail "OUT a directory: one error line, exit 1, nothing left behind" "exit $rc: $(first_err); $(ls "$tmp")"
fi

# --- outputs that are not a regular file, and links ---
run "$NOTIFIER" report --perfetto - "$f"
if [ "$rc" = 0 ] && grep -q "^-: .* events as " "$tmp/err" && [ "$(lines "$tmp/err")" = 1 ] && [ ! -e ./-.tmp ]; then
	trace_check "OUT -: the trace on stdout, the summary on stderr" "$tmp/out" 'len(X) == f["events"]'
else
	fail "OUT -: the trace on stdout, the summary on stderr" "exit $rc: $(first_err)"
fi
# a rename would put a file where the FIFO (or /dev/null, a terminal) was
mkfifo "$tmp/fifo"
timeout -k 5 30 cat "$tmp/fifo" >"$tmp/from-fifo" &
reader=$!
run "$NOTIFIER" report --perfetto "$tmp/fifo" "$f"
wait "$reader"
if [ "$rc" = 0 ] && [ -p "$tmp/fifo" ] && [ ! -e "$tmp/fifo.tmp" ]; then
	trace_check "OUT a FIFO: written into it, left a FIFO" "$tmp/from-fifo" 'len(X) == f["events"]'
else
	fail "OUT a FIFO: written into it, left a FIFO" "exit $rc: $(first_err); $(ls -l "$tmp/fifo")"
fi
ln -s sub/real.json "$tmp/link.json"
mkdir "$tmp/sub"
run "$NOTIFIER" report --perfetto "$tmp/link.json" "$f"
if [ "$rc" = 0 ] && [ -L "$tmp/link.json" ] && [ -s "$tmp/sub/real.json" ] && [ ! -e "$tmp/sub/real.json.tmp" ]; then
	trace_check "OUT a symbolic link: its target written, the link kept" "$tmp/sub/real.json" 'len(X) == f["events"]'
else
	fail "OUT a symbolic link: its target written, the link kept" "exit $rc: $(first_err); $(ls -l "$tmp" "$tmp/sub")"
fi

# --- usage ---
run "$NOTIFIER" report --perfetto
if [ "$rc" = 2 ] && [ "$(lines "$tmp/err")" = 1 ] && grep -q -- "--perfetto" "$tmp/err"; then
	pass "--perfetto without OUT: a usage error"
else
	fail "--perfetto without OUT: a usage error" "exit $rc: $(first_err)"
fi
run "$NOTIFIER" report --help
if [ "$rc" = 0 ] && grep -qE -- "^ +--perfetto OUT " "$tmp/out"; then
	pass "--help names --perfetto"
else
	fail "--help names --perfetto" "exit $rc"
fi
tap_done
