#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# notifier report --ctf: trace files written here by a writer in Python
# made from docs/trace-format.md (tests/lib/ntr_writer.py), exported as
# CTF and read back by babeltrace2, a reader that is not ours: it must read the
# trace without a word, and give every event, with its fields and its
# wall-clock time, as written. The events are written in the order a
# ring buffer gives them (as they end), so the export has to sort them;
# one waits longer than the export's window can sort, and goes to a
# second stream file. Then directories refused, files cut short or
# damaged, and a write that fails. One line per check (tests/lib/tap.sh).
#
# Usage: tests/cli/ctf.sh     (after make)
# NOTIFIER overrides the binary.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/tap.sh"
NOTIFIER=${NOTIFIER:-$top/build/notifier}
NTF_TAP_PREFIX="ctf: "
plan 17

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ntf-ctf.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

[ -x "$NOTIFIER" ] || { fail "binary" "$NOTIFIER not built (run make)"; skip_rest "the rest" "no binary"; }
command -v python3 >/dev/null 2>&1 || skip_rest "all" "python3 not installed"
have_bt=true
command -v babeltrace2 >/dev/null 2>&1 || have_bt=false
no_bt="babeltrace2 not installed (tools/setup installs it)"

# run CMD...: sets rc, $tmp/out and $tmp/err.
run() {
	timeout -k 5 120 "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}
first_err() { head -c 300 "$tmp/err"; }
lines() { wc -l <"$1"; }

cat >"$tmp/ntr.py" <<'EOF'
# A trace file (tests/lib/ntr_writer.py), and the facts of the events it holds.
#   ntr.py FILE FACTS          3000 events of every class, in the order they ended
#   ntr.py FILE FACTS long N   N events in order, then one wait that began before them all
import json, sys
from ntr_writer import CLASSES, write

out, facts_path = sys.argv[1], sys.argv[2]
DRIVER_ID, DRIVER = 40, "testdrv"  # an id past the table's: named by the file
WALL, MONO = 1_700_000_000 * 10**9, 9_000_000_000


def event(i, cls, ts, lat):
    tgid = 100 + (i // 7) % 3
    e = dict(ts=ts, lat=lat, cls=cls, tgid=tgid, pid=tgid + i % 2, comm="proc%d" % tgid,
             mm=0xFFFF888000000000 + tgid * 4096, cgroup=7, flags=1 if cls in (1, 2, 7) else 0,
             callback=DRIVER_ID if cls == 7 else 0, mech=1, origin=3, syscall=28, ret=0)
    if cls in (1, 2, 7):
        e["start"] = 0x7F0000000000 + tgid * 0x10000 + (i % 16) * 0x1000
        e.update(size=0x4000 * (1 + i % 4), event=1)
    elif cls == 3:
        e.update(addr=0x7F0000001000 + i * 0x1000, calls=2, notifier_ns=lat // 2)
    elif cls in (4, 5):
        e.update(addr=0x7F0000002000, pages=1 + i % 64)
    else:
        e.update(context=5, seqno=i, ops=0xFFFFFFFF81000000, timeout=-1)
    if i % 50 == 0:
        e["flags"] |= 1 << 8  # failed
        e["ret"] = -11
    return e


events = []
if len(sys.argv) > 3:
    n = int(sys.argv[4])
    for i in range(n):
        events.append(event(i, 1 + i % 7, 10_000_000_000 + i * 1000, 500))
    # began before every other event, ended after them all
    events.append(event(n, 6, 10_000_000_000 - 1000, n * 1000 + 10_000))
else:
    for i in range(3000):
        # latencies up to 0.5 ms, 2 us apart: an event ends ~250 events after it began
        events.append(event(i, 1 + i % 7, 10_000_000_000 + i * 2000, 1000 * (1 + (i * 37) % 500)))
    events.sort(key=lambda e: e["ts"] + e["lat"])

meta = dict(writer="ntr-test 1", host="testhost", kernel="6.1.0-test", arch="x86_64",
            wall_ns=WALL, mono_ns=MONO, callbacks=[(DRIVER_ID, DRIVER, "testdrv_invalidate")])
ends = write(out, events, meta, seqno_delta=True)


def facts_of(evs):
    """what babeltrace2 must print of each event, in time order"""
    rows = []
    for e in sorted(evs, key=lambda e: e["ts"]):
        r = dict(wall=WALL + e["ts"] - MONO, cls=CLASSES[e["cls"]], latency_ns=e["lat"],
                 pid=e["pid"], tgid=e["tgid"], comm=e["comm"], ret=e["ret"],
                 driver=DRIVER if e["cls"] == 7 else "chain" if e["cls"] in (1, 2) else "")
        if e["cls"] in (1, 2, 7):
            r.update(range_start=e["start"], range_end=e["start"] + e["size"])
        elif e["cls"] == 3:
            r.update(unmap_address=e["addr"])
        elif e["cls"] in (4, 5):
            r.update(pin_start=e["addr"], nr_pages=e["pages"])
        else:
            r.update(fence_seqno=e["seqno"])
        rows.append(r)
    return rows

rows = facts_of(events)
facts = {"events": len(events), "block_ends": ends, "rows": rows,
         "classes": {c: sum(r["cls"] == c for r in rows) for c in CLASSES[1:]},
         "pid_101_fence": sum(r["cls"] == "fence_wait" and r["tgid"] == 101 for r in rows),
         "first_half": facts_of(events[:1500])}
json.dump(facts, open(facts_path, "w"))
EOF

# What babeltrace2 printed (--clock-seconds), as JSON: one object an event.
cat >"$tmp/bt.py" <<'EOF'
import json, re, sys

LINE = re.compile(r"^\[(\d+)\.(\d{9})\] \(\S+\) (?:\S+ )?(\w+): \{ (.*) \}$")
FIELD = re.compile(r'(\w+) = ("(?:[^"\\]|\\.)*"|\( "[^"]*" : container = \d+ \)|[^,]+)(?:, |$)')
rows = []
for line in open(sys.argv[1]):
    m = LINE.match(line.rstrip("\n"))
    if not m:
        sys.exit("not an event line: " + line[:200])
    r = {"wall": int(m.group(1)) * 10**9 + int(m.group(2)), "cls": m.group(3)}
    for name, value in FIELD.findall(m.group(4)):
        if value.startswith('"'):
            r[name] = value[1:-1]
        elif value.startswith("("):
            r[name] = value.split('"')[1]
        else:
            r[name] = int(value, 0)
    rows.append(r)
json.dump(rows, open(sys.argv[2], "w"))
EOF

f=$tmp/run.ntr
if ! PYTHONPATH="$top/tests/lib" python3 "$tmp/ntr.py" "$f" "$tmp/facts.json" 2>"$tmp/err"; then
	fail "writing a file" "$(first_err)"
	skip_rest "the rest" "no file"
fi
facts() { python3 -c "import json,sys; d=json.load(open('$tmp/facts.json')); print($1)"; }
events=$(facts 'd["events"]')

# check_py NAME EXPR: EXPR (Python; b: babeltrace2's events as bt.py made
# them, f: the facts) is true; a False says the first few differences.
check_py() {
	local name=$1 expr=$2 why

	if why=$(python3 - "$tmp/bt.json" "$tmp/facts.json" "$expr" 2>&1 <<'EOF'
import json, sys
b = json.load(open(sys.argv[1]))
f = json.load(open(sys.argv[2]))
def same(got, want):
    """every field want names, as want has it"""
    bad = [(i, k, g.get(k), v) for i, (g, w) in enumerate(zip(got, want)) for k, v in w.items() if g.get(k) != v]
    if len(got) != len(want):
        bad.insert(0, ("count", len(got), len(want)))
    if bad:
        print("differ (index, field, got, want):", bad[:3])
    return not bad
ok = eval(sys.argv[3])
if not ok:
    print("false:", sys.argv[3][:100])
    sys.exit(1)
EOF
	); then
		pass "$name"
	else
		fail "$name" "$(echo "$why" | tail -n 3 | tr '\n' ' ' | head -c 400)"
	fi
}

# bt DIR: babeltrace2 DIR into $tmp/bt.out (wall-clock seconds) and $tmp/bt.json; sets bt_rc.
bt() {
	timeout -k 5 120 babeltrace2 --clock-seconds "$1" >"$tmp/bt.out" 2>"$tmp/bt.err"
	bt_rc=$?
	if [ "$bt_rc" = 0 ] && ! python3 "$tmp/bt.py" "$tmp/bt.out" "$tmp/bt.json" 2>>"$tmp/bt.err"; then
		bt_rc=99
	fi
}

# bt_env DIR: the trace's environment as babeltrace2 reads it, one "key: value" a line.
bt_env() {
	babeltrace2 "$1" -c sink.text.details 2>/dev/null | sed -n '/^    Environment/,/^    Stream/p' |
		sed -n 's/^      //p'
}

# --- a whole file ---
d=$tmp/run.ctf
run "$NOTIFIER" report --ctf "$d" "$f"
if [ "$rc" = 0 ] && grep -q "^$f: $events events into $d (CTF 1.8: 1 stream file," "$tmp/out" &&
	[ ! -s "$tmp/err" ]; then
	pass "export: exit 0, every event, one stream file"
else
	fail "export: exit 0, every event, one stream file" "exit $rc: $(head -c 200 "$tmp/out") $(first_err)"
fi
check_eq "the directory: metadata and stream_0, no .tmp left" "$(ls "$d" 2>&1 | tr '\n' ' ')" "metadata stream_0 "

if ! $have_bt; then
	skip_n 5 "babeltrace2 reads the trace" "$no_bt"
else
	bt "$d"
	if [ "$bt_rc" = 0 ] && [ ! -s "$tmp/bt.err" ]; then
		pass "babeltrace2 reads it: exit 0, not a word on stderr"
	else
		fail "babeltrace2 reads it: exit 0, not a word on stderr" "exit $bt_rc: $(head -c 300 "$tmp/bt.err")"
	fi
	check_py "babeltrace2: events per class as written" \
		'{c: sum(r["cls"] == c for r in b) for c in f["classes"]} == f["classes"] and len(b) == f["events"]'
	check_py "babeltrace2: every event's latency, pid, tgid, comm, driver, ret and range, unmap, pin or fence fields" \
		'same([{k: v for k, v in r.items() if k != "wall"} for r in b], [{k: v for k, v in r.items() if k != "wall"} for r in f["rows"]])'
	check_py "babeltrace2: timestamps in order, each the wall-clock time META gives it" \
		'all(x["wall"] <= y["wall"] for x, y in zip(b, b[1:])) and [r["wall"] for r in b] == [r["wall"] for r in f["rows"]]'
	env=$(bt_env "$d" | tr '\n' '|')
	want="domain: kernel|hostname: testhost|kernel_release: 6.1.0-test|"
	if [[ $env == *"arch: x86_64|$want"*"source_status: complete: $events events in "*"|sysname: Linux|tracer_name: notifier|writer: ntr-test 1|" ]]; then
		pass "babeltrace2: the environment from META (host, kernel, writer) and how reading ended"
	else
		fail "babeltrace2: the environment from META (host, kernel, writer) and how reading ended" "got: $env"
	fi
fi

run "$NOTIFIER" report --ctf "$tmp/sel.ctf" -c fence_wait -p 101 "$f"
want=$(facts 'd["pid_101_fence"]')
if [ "$rc" != 0 ]; then
	fail "--class and --pid select" "exit $rc: $(first_err)"
elif ! $have_bt; then
	skip "--class and --pid select" "$no_bt"
else
	bt "$tmp/sel.ctf"
	n=$(grep -c ' fence_wait: { .* tgid = 101, ' "$tmp/bt.out")
	if [ "$bt_rc" = 0 ] && [ "$n" = "$want" ] && [ "$(lines "$tmp/bt.out")" = "$want" ]; then
		pass "--class and --pid select"
	else
		fail "--class and --pid select" "babeltrace2 exit $bt_rc, $n of $(lines "$tmp/bt.out") lines, want $want"
	fi
fi

# --- a wait longer than the export can sort: a second stream file ---
n=70000
if ! PYTHONPATH="$top/tests/lib" python3 "$tmp/ntr.py" "$tmp/long.ntr" "$tmp/long.json" long $n 2>"$tmp/err"; then
	fail "a wait longer than the window: two stream files" "writing the file: $(first_err)"
	skip "babeltrace2 merges the two in time order" "no file"
else
	run "$NOTIFIER" report --ctf "$tmp/long.ctf" "$tmp/long.ntr"
	if [ "$rc" = 0 ] && grep -q "$((n + 1)) events into .*2 stream files" "$tmp/out" &&
		[ "$(ls "$tmp/long.ctf" | tr '\n' ' ')" = "metadata stream_0 stream_1 " ]; then
		pass "a wait longer than the window: two stream files"
	else
		fail "a wait longer than the window: two stream files" "exit $rc: $(head -c 200 "$tmp/out") $(first_err)"
	fi
	if ! $have_bt; then
		skip "babeltrace2 merges the two in time order" "$no_bt"
	else
		first=$(timeout -k 5 120 babeltrace2 --clock-seconds "$tmp/long.ctf" 2>"$tmp/bt.err" | head -n 1)
		count=$(timeout -k 5 120 babeltrace2 "$tmp/long.ctf" -c sink.utils.counter --params step=+0 2>>"$tmp/bt.err" |
			sed -n 's/^ *\([0-9]*\) Event messages$/\1/p')
		# the wait began 1 us before the first of the others: 10 s - 1 us on the monotonic clock
		if [ "$count" = $((n + 1)) ] && [[ $first == "[1700000000.999999000] "*" fence_wait: "* ]] &&
			[ ! -s "$tmp/bt.err" ]; then
			pass "babeltrace2 merges the two in time order"
		else
			fail "babeltrace2 merges the two in time order" "$count events, first: ${first:0:80} $(head -c 200 "$tmp/bt.err")"
		fi
	fi
fi

# --- what is refused, cut short, damaged, or fails ---
mkdir "$tmp/full"
echo mine >"$tmp/full/notes"
run "$NOTIFIER" report --ctf "$tmp/full" "$f"
if [ "$rc" = 1 ] && [ "$(lines "$tmp/err")" = 1 ] && grep -q "$tmp/full is not empty" "$tmp/err" &&
	[ "$(ls "$tmp/full")" = notes ] && [ "$(cat "$tmp/full/notes")" = mine ] && [ ! -s "$tmp/out" ]; then
	pass "a directory not empty: refused in one line, left as it was"
else
	fail "a directory not empty: refused in one line, left as it was" "exit $rc: $(first_err) [$(ls "$tmp/full" | tr '\n' ' ')]"
fi

third=$(facts 'd["block_ends"][2]')
head -c $((third + 100)) "$f" >"$tmp/cut.ntr"
run "$NOTIFIER" report --ctf "$tmp/cut.ctf" "$tmp/cut.ntr"
if [ "$rc" = 1 ] && grep -q "^$tmp/cut.ntr: 1500 events into" "$tmp/out" && [ "$(lines "$tmp/err")" = 1 ] &&
	grep -q "warning: $tmp/cut.ntr: truncated at byte $((third + 100)) in block 4" "$tmp/err"; then
	pass "cut inside block 4: the three whole blocks exported, the reader's status, exit 1"
else
	fail "cut inside block 4: the three whole blocks exported, the reader's status, exit 1" "exit $rc: $(head -c 200 "$tmp/out") $(first_err)"
fi
if ! $have_bt; then
	skip "babeltrace2 reads the cut file's trace, which says it was cut" "$no_bt"
else
	bt "$tmp/cut.ctf"
	if [ "$bt_rc" = 0 ] && [ ! -s "$tmp/bt.err" ] && bt_env "$tmp/cut.ctf" | grep -q "^source_status: truncated at byte"; then
		check_py "babeltrace2 reads the cut file's trace, which says it was cut" \
			'same(b, f["first_half"])'
	else
		fail "babeltrace2 reads the cut file's trace, which says it was cut" "exit $bt_rc: $(head -c 300 "$tmp/bt.err")"
	fi
fi

cp "$f" "$tmp/flipped.ntr"
printf '\x55' | dd of="$tmp/flipped.ntr" bs=1 seek=$((third + 300)) conv=notrunc status=none
run "$NOTIFIER" report --ctf "$tmp/flipped.ctf" "$tmp/flipped.ntr"
if [ "$rc" = 1 ] && grep -q "^$tmp/flipped.ntr: 1500 events into" "$tmp/out" && [ "$(lines "$tmp/err")" = 1 ] &&
	grep -q "corrupt at byte $third in block 4: payload checksum mismatch" "$tmp/err" && [ -s "$tmp/flipped.ctf/metadata" ]; then
	pass "a flipped byte: what came before exported, one error line, exit 1"
else
	fail "a flipped byte: what came before exported, one error line, exit 1" "exit $rc: $(first_err)"
fi

# SIGXFSZ ignored (as exec keeps it), so the limit comes back as EFBIG
run bash -c "trap '' XFSZ; ulimit -f 64; exec \"\$0\" report --ctf \"\$1\" \"\$2\"" "$NOTIFIER" "$tmp/limited.ctf" "$f"
if [ "$rc" = 1 ] && [ "$(lines "$tmp/err")" = 1 ] && grep -q "writing $tmp/limited.ctf/stream_0.tmp: File too large" "$tmp/err" &&
	[ ! -e "$tmp/limited.ctf" ]; then
	pass "a write that fails: one error line, exit 1, nothing left behind"
else
	fail "a write that fails: one error line, exit 1, nothing left behind" "exit $rc: $(first_err) [$(ls "$tmp/limited.ctf" 2>&1 | tr '\n' ' ')]"
fi

# --- usage ---
run "$NOTIFIER" report --ctf "$tmp/x.ctf" --events "$f"
if [ "$rc" = 2 ] && grep -q -- "--ctf" "$tmp/err" && [ ! -e "$tmp/x.ctf" ]; then
	pass "--ctf with --events: a usage error"
else
	fail "--ctf with --events: a usage error" "exit $rc: $(first_err)"
fi
run "$NOTIFIER" report --help
if [ "$rc" = 0 ] && grep -qE -- "^ +--ctf DIR .*CTF" "$tmp/out" && grep -q "babeltrace2 DIR" "$tmp/out"; then
	pass "--help names --ctf and babeltrace2"
else
	fail "--help names --ctf and babeltrace2" "exit $rc"
fi
tap_done
