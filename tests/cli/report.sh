#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# notifier report on trace files written here by a writer of its own in
# Python, from docs/trace-format.md alone (uncompressed blocks, META with
# a discovered driver, an INDEX and a TRAILER): so the test checks the
# document as much as the reader. Known events (classes, drivers,
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
# A trace file as docs/trace-format.md describes it, and what it holds.
import json, struct, sys

out, facts_path = sys.argv[1], sys.argv[2]
PER_BLOCK = 500
CLASSES = ["none", "inval_start", "inval_end", "unmap", "pin", "unpin", "fence_wait", "callback"]
DRIVER_ID, DRIVER = 40, "testdrv"  # an id past the table's: named by the file


def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def varint(v):
    assert v >= 0
    b = bytearray()
    while v >= 0x80:
        b.append(v & 0x7F | 0x80)
        v >>= 7
    b.append(v)
    return bytes(b)


def zz(v):
    """zigzag of v as a 64-bit two's complement value (differences wrap)"""
    v = (v + 2**63) % 2**64 - 2**63
    return varint(((v << 1) ^ (v >> 63)) % 2**64)


def tlv(tag, value):
    if isinstance(value, str):
        value = value.encode()
    elif isinstance(value, int):
        value = varint(value)
    return varint(tag) + varint(len(value)) + value


def block(kind, seq, count, payload, ts=(0, 0)):
    h = b"NTRB" + struct.pack("<BBHIIIIQQI", kind, 0, 48, seq, count, len(payload), len(payload),
                              ts[0], ts[1], crc32c(payload))
    return h + struct.pack("<I", crc32c(h)) + payload


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
    if i % 50 == 0:
        e["flags"] |= 1 << 8  # failed
        e["ret"] = -11
    events.append(e)


def encode(evs):
    streams = {k: bytearray() for k in range(1, 20)}
    tasks, prev = {}, dict(ts=0, addr=0, mm=0, flags=[0] * 8)
    for e in evs:
        s = streams
        s[1] += varint(e["cls"])
        s[2] += zz(e["ts"] - prev["ts"])
        prev["ts"] = e["ts"]
        s[3] += varint(e["lat"])
        key = (e["pid"], e["tgid"], e["mm"], e["cgroup"], e["comm"])
        if key not in tasks:
            tasks[key] = len(tasks)
            s[5] += varint(e["tgid"]) + zz(e["pid"] - e["tgid"]) + varint(e["cgroup"])
            s[5] += zz(e["mm"] - prev["mm"]) + varint(len(e["comm"])) + e["comm"].encode()
            prev["mm"] = e["mm"]
        s[4] += varint(tasks[key])
        s[6] += varint(e["flags"] ^ prev["flags"][e["cls"]])
        prev["flags"][e["cls"]] = e["flags"]
        s[7] += varint(e["callback"])
        s[8] += varint(e["mech"])
        s[9] += varint(e["origin"])
        s[10] += zz(e["syscall"])
        s[11] += zz(e["ret"])
        if e["cls"] in (1, 2, 7):  # a range
            start = 0x7F0000000000 + e["tgid"] * 0x10000
            s[12] += zz(start - prev["addr"])
            prev["addr"] = start
            s[13] += varint(0x4000)
            s[14] += varint(1) + varint(0)
        elif e["cls"] == 3:
            s[12] += zz(0x7F0000001000 - prev["addr"])
            prev["addr"] = 0x7F0000001000
            s[15] += varint(2)
            s[16] += varint(e["lat"] // 2)
        elif e["cls"] in (4, 5):
            s[12] += zz(0x7F0000002000 - prev["addr"])
            prev["addr"] = 0x7F0000002000
            s[15] += varint(16)
            s[16] += varint(0) + varint(0)
        else:
            s[17] += varint(5) + zz(42) + varint(0xFFFFFFFF81000000) + zz(-1)
    used = [(k, v) for k, v in streams.items() if v]
    return varint(len(used)) + b"".join(varint(k) + varint(len(v)) for k, v in used) + b"".join(
        v for _, v in used)


meta = b"".join([
    tlv(1, "ntr-test 1"), tlv(2, "testhost"), tlv(3, "6.1.0-test"), tlv(5, "x86_64"),
    tlv(7, 1_700_000_000 * 10**9), tlv(8, 9_000_000_000), tlv(11, 112), tlv(12, "none"),
    tlv(9, tlv(1, "inval_start") + tlv(2, "__mmu_notifier_invalidate_range_start") + tlv(3, 1) +
        tlv(4, 1) + tlv(5, 1)),
    tlv(10, tlv(1, DRIVER_ID) + tlv(2, DRIVER) + tlv(3, "testdrv_invalidate")),
])
data = bytearray(b"\x89NTR\r\n\x1a\n" + struct.pack("<HHI", 1, 0, 0))
data += block(1, 0, 2, meta)
seq, ends, runs = 1, [], []
for i in range(0, len(events), PER_BLOCK):
    part = events[i:i + PER_BLOCK]
    lo, hi = min(e["ts"] for e in part), max(e["ts"] for e in part)
    runs.append((len(data), seq, len(part), lo, hi))
    data += block(2, seq, len(part), encode(part), (lo, hi))
    ends.append(len(data))
    seq += 1
index = bytearray(varint(len(runs)))
po = ps = pt = 0
for off, s, n, lo, hi in runs:
    index += varint(off - po) + varint(s - ps) + varint(1) + varint(n) + zz(lo - pt) + varint(hi - lo)
    po, ps, pt = off, s, lo
index += tlv(10, tlv(1, DRIVER_ID) + tlv(2, DRIVER))
index_off = len(data)
data += block(5, seq, len(runs), bytes(index))
data += block(6, seq + 1, 0, struct.pack("<QQQ", index_off, len(events), seq + 2))
open(out, "wb").write(data)

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
if ! python3 "$tmp/ntr.py" "$f" "$tmp/facts.json" 2>"$tmp/err"; then
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
