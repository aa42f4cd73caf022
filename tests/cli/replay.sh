#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# A trace file replayed: `notifier hist --input` and `notifier-top
# --replay` on a file written here by a writer in Python made from
# docs/trace-format.md alone (tests/lib/ntr_writer.py), whose events
# are known: classes, three drivers (one named by a NAMES block midway),
# three processes, latencies, failures, and times spread over 1.95 s of
# the recording. hist must print what the file holds, the same numbers as
# `notifier report`, its intervals in the recording's time stamped with
# its clock; notifier-top must show the same totals at full speed, pace a
# replay by its speed factor, pause it on a key and keep its last screen.
# Then damaged and foreign files and options that do not apply. No root
# needed. One line per check (tests/lib/tap.sh).
#
# Usage: tests/cli/replay.sh     (after make)
# NOTIFIER and NOTIFIER_TOP override the binaries.
set -uo pipefail
export LC_ALL=C TZ=UTC

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/tap.sh"
NOTIFIER=${NOTIFIER:-$top/build/notifier}
TOP=${NOTIFIER_TOP:-$top/build/notifier-top}
NTF_TAP_PREFIX="replay: "
plan 44

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ntf-replay.XXXXXX") || exit 1
cleanup() {
	tmux -S "$tmp/tmux" kill-server 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

for bin in "$NOTIFIER" "$TOP"; do
	[ -x "$bin" ] || { fail "binaries" "$bin not built (run make)"; skip_rest "the rest" "no binaries"; }
done
command -v python3 >/dev/null 2>&1 || skip_rest "all" "python3 not installed"

# run CMD...: sets rc, $tmp/out, $tmp/err and ms (wall time).
run() {
	local start

	start=$(date +%s%N)
	timeout -k 5 60 "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	ms=$((($(date +%s%N) - start) / 1000000))
}
first_err() { head -c 300 "$tmp/err"; }
lines() { wc -l <"$1"; }

cat >"$tmp/ntr.py" <<'PYEOF'
# A trace file (tests/lib/ntr_writer.py), and what it holds.
import json, math, sys
from ntr_writer import CLASSES, write

out, facts_path = sys.argv[1], sys.argv[2]
PER_BLOCK = 500
RANGE = (1, 2, 7)
WALL, MONO = 1_700_000_000 * 10**9, 5_000_000_000
STEP = 650_000  # ns between events: 3000 of them span 1.95 s of the recording
# ids past the table's, named by the file: two in META, one in a NAMES block
DRIVERS = {40: "testdrv", 41: "otherdrv", 42: "latedrv"}
LATE_FROM = 1000  # the first event that may name the late one, after the NAMES block

events = []
for i in range(3000):
    cls = 1 + i % 7
    tgid = 200 + (i // 7) % 3
    cb = 0
    if cls == 7:
        cb = 42 if i >= LATE_FROM and i % 3 == 0 else 40 + (i // 7) % 2
    flags = 0
    if cls in RANGE:
        flags = 1 if i % 11 else 0  # blockable, but every eleventh range
    e = dict(ts=MONO + 500_000 + i * STEP, lat=1000 * (1 + (i * 37) % 500), cls=cls, tgid=tgid,
             pid=tgid + i % 2, comm="app%d" % tgid, mm=0xFFFF888000000000 + tgid * 4096,
             cgroup=7, flags=flags, callback=cb, mech=1, origin=3, syscall=28, ret=0)
    if cls in RANGE:
        e.update(start=0x7F0000000000 + tgid * 0x10000, size=0x4000, event=1)
    elif cls == 3:
        e.update(addr=0x7F0000001000, calls=2, notifier_ns=e["lat"] // 2)
    elif cls in (4, 5):
        e.update(addr=0x7F0000002000, pages=16)
    else:
        e.update(context=5, seqno=42, ops=0xFFFFFFFF81000000, timeout=-1)
    if i % 50 == 0:
        e["flags"] |= 1 << 8  # failed
        e["ret"] = -11
    events.append(e)

meta = dict(writer="ntr-test 1", host="testhost", kernel="6.1.0-test", arch="x86_64",
            wall_ns=WALL, mono_ns=MONO,
            probes=[dict(id="inval_start", func="__mmu_notifier_invalidate_range_start", cls=1,
                         mech=1, attached=1)],
            callbacks=[(c, DRIVERS[c], None) for c in (40, 41)])
starts = []
write(out, events, meta, per_block=PER_BLOCK, names={LATE_FROM: [(42, DRIVERS[42])]},
      starts=starts)


def pct(lats, p):
    s = sorted(lats)
    return s[max(1, math.ceil(p * len(s))) - 1]


def summary(sel):
    lats = [e["lat"] for e in sel]
    return {"count": len(sel), "max_ns": max(lats), "min_ns": min(lats),
            "failures": sum(e["ret"] == -11 for e in sel),
            "p50": pct(lats, 0.5), "p90": pct(lats, 0.9), "p99": pct(lats, 0.99)}


rel = [e["ts"] - MONO for e in events]
facts = {"events": len(events), "wall": WALL / 1e9, "end_s": (rel[-1] + 1) / 1e9,
         "starts": starts, "classes": {}, "drivers": {}, "processes": {}, "halves": []}
for c in range(1, 8):
    facts["classes"][CLASSES[c]] = summary([e for e in events if e["cls"] == c])
for cid, name in DRIVERS.items():
    facts["drivers"][name] = summary([e for e in events if e["cls"] == 7 and e["callback"] == cid])
for t in (200, 201, 202):
    facts["processes"][str(t)] = sum(e["tgid"] == t for e in events)
# -i 0.5: the events of each half second, from the recording's start
for k in range(math.ceil(facts["end_s"] / 0.5)):
    facts["halves"].append(sum(k * 0.5e9 <= r < (k + 1) * 0.5e9 for r in rel))
facts["first_second"] = sum(r < 1e9 for r in rel)
facts["nonblock_callback"] = sum(e["cls"] == 7 and not e["flags"] & 1 for e in events)
json.dump(facts, open(facts_path, "w"))
PYEOF

f=$tmp/run.ntr
if ! PYTHONPATH="$top/tests/lib" python3 "$tmp/ntr.py" "$f" "$tmp/facts.json" 2>"$tmp/err"; then
	fail "writing a file" "$(first_err)"
	skip_rest "the rest" "no file"
fi

# check_json NAME EXPR: EXPR (Python) is true of the output, with r its
# JSON lines as a list, f the facts and rep notifier report's JSON.
check_json() {
	local name=$1 expr=$2 why

	if [ "$rc" != 0 ]; then
		fail "$name" "exit $rc: $(first_err)"
		return
	fi
	if why=$(python3 - "$tmp/out" "$tmp/facts.json" "$tmp/report.json" "$expr" 2>&1 <<'PYEOF'
import json, sys
r = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
f = json.load(open(sys.argv[2]))
rep = json.load(open(sys.argv[3]))
def near(got, want, rel=0.03):
    return abs(got - want) <= rel * want
if not eval(sys.argv[4]):
    print("false:", sys.argv[4], "| got:", json.dumps(r)[:300])
    sys.exit(1)
PYEOF
	); then
		pass "$name"
	else
		fail "$name" "$(echo "$why" | tail -n 3 | tr '\n' ' ')"
	fi
}

# usage_error NAME WANT CMD...: exit 2, one line naming WANT and --help, no stdout.
usage_error() {
	local name=$1 want=$2

	shift 2
	run "$@"
	if [ "$rc" = 2 ] && [ "$(lines "$tmp/err")" = 1 ] && grep -qF -- "$want" "$tmp/err" &&
		grep -qF -- "--help" "$tmp/err" && [ ! -s "$tmp/out" ]; then
		pass "$name"
	else
		fail "$name" "exit $rc, stderr: $(tr '\n' '|' <"$tmp/err" | head -c 300)"
	fi
}

# fails_with NAME WANT CMD...: exit 1, one line on stderr saying WANT, nothing on stdout.
fails_with() {
	local name=$1 want=$2

	shift 2
	run "$@"
	if [ "$rc" = 1 ] && [ "$(lines "$tmp/err")" = 1 ] && grep -qF -- "$want" "$tmp/err" &&
		[ ! -s "$tmp/out" ]; then
		pass "$name"
	else
		fail "$name" "exit $rc, stderr: $(tr '\n' '|' <"$tmp/err" | head -c 300)"
	fi
}

"$NOTIFIER" report -j "$f" >"$tmp/report.json" 2>"$tmp/err" ||
	{ fail "notifier report reads the file" "$(first_err)"; skip_rest "the rest" "no report to compare with"; }

# --- notifier hist --input: what the file holds ---

run "$NOTIFIER" hist --input "$f" -j
check_json "hist -j: one report, of the whole recording" \
	'len(r) == 1 and r[0]["elapsed_ms"] == round(f["end_s"] * 1000) and near(r[0]["ts"], f["wall"] + f["end_s"], 1e-9)'
check_json "hist -j: count, max, min, failures per class" \
	'all(all(r[0]["classes"][c][k] == v[k] for k in ("count", "max_ns", "min_ns", "failures")) for c, v in f["classes"].items())'
check_json "hist -j: percentiles per class within 3% of the file's" \
	'all(near(r[0]["classes"][c]["p%d_ns" % p], v["p%d" % p]) for c, v in f["classes"].items() for p in (50, 90, 99))'
check_json "hist -j: every driver, the NAMES block's too, as the file holds it" \
	'all(r[0]["drivers"][d]["count"] == v["count"] and r[0]["drivers"][d]["max_ns"] == v["max_ns"] and near(r[0]["drivers"][d]["p50_ns"], v["p50"]) for d, v in f["drivers"].items())'
check_json "hist -j: classes and drivers equal notifier report's" \
	'r[0]["classes"] == rep["classes"] and r[0]["drivers"] == rep["drivers"]'
check_json "hist -j: the file's probes" \
	'[p["mech"] for p in r[0]["probes"] if p["id"] == "inval_start"] == ["fentry"]'

run "$NOTIFIER" hist --input "$f"
want=$(python3 -c "import json; d=json.load(open('$tmp/facts.json')); print(' '.join(str(v['count']) for g in ('classes', 'drivers') for v in d[g].values()))")
got=$(grep -oE '^    count [0-9]+' "$tmp/out" | awk '{ printf "%s%s", s, $2; s = " " }')
if [ "$rc" = 0 ] && [ "$got" = "$want" ] && grep -q '^--- 22:13:21, 1.9 s ---$' "$tmp/out" &&
	grep -q '^inval_start (fentry)$' "$tmp/out" && grep -q '^  latedrv:$' "$tmp/out" && [ ! -s "$tmp/err" ]; then
	pass "hist text: the recording's time, each class's and driver's count"
else
	fail "hist text: the recording's time, each class's and driver's count" \
		"exit $rc, counts '$got' want '$want': $(head -n 2 "$tmp/out" | tr '\n' '|') $(first_err)"
fi

run "$NOTIFIER" hist --input "$f" -j -P
check_json "hist -P: counts per process" \
	'all(sum(p["count"] for p in r[0]["processes"] if str(p["tgid"]) == t) == n for t, n in f["processes"].items())'

run "$NOTIFIER" hist --input "$f" -j --by driver,process
check_json "hist --by driver,process: a group per driver and process, adding up" \
	'all(sum(g["count"] for g in r[0]["groups"] if g["by"]["event"] == "callback" and g["by"]["driver"] == d) == v["count"] for d, v in f["drivers"].items()) and all(sum(g["count"] for g in r[0]["groups"] if str(g["by"]["pid"]) == t) == n for t, n in f["processes"].items())'
run "$NOTIFIER" hist --input "$f" -j --by blockable -e callback
check_json "hist --by blockable -e callback: the non-blockable ranges" \
	'[g["count"] for g in r[0]["groups"] if g["by"]["blockable"] == "no"] == [f["nonblock_callback"]] and all(g["by"]["event"] == "callback" for g in r[0]["groups"])'

run "$NOTIFIER" hist --input "$f" -j -f 'driver latedrv'
check_json "hist -f 'driver latedrv': its callbacks only" \
	'all(v["count"] == 0 for c, v in r[0]["classes"].items() if c != "callback") and r[0]["classes"]["callback"]["count"] == f["drivers"]["latedrv"]["count"] and list(r[0]["drivers"]) == ["latedrv"]'
run "$NOTIFIER" hist --input "$f" -j -f 'comm app201'
check_json "hist -f 'comm app201': that process's events" \
	'sum(c["count"] for c in r[0]["classes"].values()) == f["processes"]["201"]'
run "$NOTIFIER" hist --input "$f" -j -p 202 -e fence_wait,pin
check_json "hist -p 202 -e fence_wait,pin: those classes of that process" \
	'sorted(r[0]["classes"]) == ["fence_wait", "pin"] and sum(c["count"] for c in r[0]["classes"].values()) == sum(1 for i in range(3000) if 200 + (i // 7) % 3 == 202 and 1 + i % 7 in (4, 6))'

# --- intervals: the recording's time, and its clock ---

run "$NOTIFIER" hist --input "$f" -j -i 0.5
check_json "hist -i 0.5: a report per half second of the recording, and its last part" \
	'[sum(c["count"] for c in x["classes"].values()) for x in r] == f["halves"] and [x["elapsed_ms"] for x in r] == [500, 500, 500, 450]'
check_json "hist -i 0.5: each stamped with the recording's wall-clock time" \
	'all(near(x["ts"], f["wall"] + t, 1e-9) for x, t in zip(r, [0.5, 1.0, 1.5, f["end_s"]]))'
run "$NOTIFIER" hist --input "$f" -i 0.5
if [ "$rc" = 0 ] && [ "$(grep '^---' "$tmp/out" | tr '\n' '|')" = \
	"--- 22:13:20, 0.5 s ---|--- 22:13:21, 0.5 s ---|--- 22:13:21, 0.5 s ---|--- 22:13:21, 0.5 s ---|" ]; then
	pass "hist -i 0.5 text: four headers with the recording's times"
else
	fail "hist -i 0.5 text: four headers with the recording's times" "exit $rc: $(grep '^---' "$tmp/out" | tr '\n' '|')"
fi
run "$NOTIFIER" hist --input "$f" -j -i 0.5 -d 1
check_json "hist -i 0.5 -d 1: the first second only" \
	'[sum(c["count"] for c in x["classes"].values()) for x in r] == f["halves"][:2]'
run "$NOTIFIER" hist --input "$f" -j 0.5 3
check_json "hist INTERVAL COUNT: COUNT reports" 'len(r) == 3'
run "$NOTIFIER" hist --input "$f" -i 0.5 --svg "$tmp/run.svg" -q
if [ "$rc" = 0 ] && grep -q '<svg' "$tmp/run.svg" 2>/dev/null; then
	pass "hist --svg: the run's picture"
else
	fail "hist --svg: the run's picture" "exit $rc: $(first_err)"
fi

# --- damaged, foreign, and options that do not apply ---

starts=($(python3 -c "import json; print(' '.join(map(str, json.load(open('$tmp/facts.json'))['starts'])))"))
head -c $((starts[2] + 100)) "$f" >"$tmp/cut.ntr"
run "$NOTIFIER" hist --input "$tmp/cut.ntr" -j
if [ "$rc" = 0 ] && [ "$(python3 -c "import json; print(sum(c['count'] for c in json.loads(open('$tmp/out').readline())['classes'].values()))" 2>/dev/null)" = 1000 ] &&
	[ "$(lines "$tmp/err")" = 1 ] && grep -q "truncated at byte $((starts[2] + 100)) in block 4" "$tmp/err"; then
	pass "hist: a file cut in block 4: its whole blocks, a warning"
else
	fail "hist: a file cut in block 4: its whole blocks, a warning" "exit $rc: $(first_err)"
fi
cp "$f" "$tmp/flipped.ntr"
printf '\x55' | dd of="$tmp/flipped.ntr" bs=1 seek=$((starts[2] + 300)) conv=notrunc status=none
run "$NOTIFIER" hist --input "$tmp/flipped.ntr"
if [ "$rc" = 1 ] && grep -q '^    count ' "$tmp/out" && [ "$(lines "$tmp/err")" = 1 ] &&
	grep -q "corrupt at byte ${starts[2]} in block 4: payload checksum mismatch" "$tmp/err"; then
	pass "hist: a flipped byte: what came before, one error line, exit 1"
else
	fail "hist: a flipped byte: what came before, one error line, exit 1" "exit $rc: $(first_err)"
fi
fails_with "hist: no such file" "No such file or directory" "$NOTIFIER" hist --input "$tmp/absent.ntr"
fails_with "hist: a foreign file" "not a notifier trace: an ELF file" "$NOTIFIER" hist --input "$NOTIFIER"
usage_error "hist --input -k: does not apply" "-k" "$NOTIFIER" hist --input "$f" -k
usage_error "hist --input -c: does not apply" "-c names a cgroup" "$NOTIFIER" hist --input "$f" -c /sys/fs/cgroup
usage_error "hist --input -f cgroup: does not apply" "-f cgroup" "$NOTIFIER" hist --input "$f" -f 'cgroup /x'

# --- notifier-top --replay: the same totals at full speed ---

run "$TOP" -j --replay "$f" --speed max -v class -r 0 -d 10
check_json "top --replay --speed max: one snapshot, the file's count and max per class" \
	'len(r) == 1 and r[0]["feed"] == "replay" and all(x["events"] == f["classes"][x["class"]]["count"] and x["max_ns"] == f["classes"][x["class"]]["max_ns"] for x in r[0]["rows"]) and len(r[0]["rows"]) == 7'
check_json "top --replay: the recording's time and place" \
	'r[0]["time"] == int(f["wall"] + f["end_s"]) and abs(r[0]["at_s"] - f["end_s"]) < 0.002 and r[0]["probes"]["live"] == 1'
fast=$ms
run "$TOP" -j --replay "$f" --speed max -v driver -r 0 -d 10
check_json "top --replay -v driver: every driver's calls, the late one's too" \
	'all({x["driver"]: x["events"] for x in r[0]["rows"]}.get(d) == v["count"] for d, v in f["drivers"].items())'
run "$TOP" -j --replay "$f" --speed max -v process -r 0 -d 0.5
check_json "top --replay -d 0.5: a snapshot per half second, adding up per process" \
	'len(r) == len(f["halves"]) and [x["events"] for x in r] == f["halves"] and all(sum(y["events"] for x in r for y in x["rows"] if str(y["pid"]) == t) == n for t, n in f["processes"].items())'
run "$TOP" -b --replay "$f" --speed 0 -v class -r 0 -d 10
if [ "$rc" = 0 ] && grep -qE '^notifier-top  22:13:21  feed replay  every 10s  keys 25  end 1\.9s$' "$tmp/out" &&
	grep -qE '^inval_start +[0-9]' "$tmp/out" && grep -q '^probes 1/' "$tmp/out" && [ ! -s "$tmp/err" ]; then
	pass "top -b --replay --speed 0: text, the header says where it ended"
else
	fail "top -b --replay --speed 0: text, the header says where it ended" "exit $rc: $(head -n 1 "$tmp/out") $(first_err)"
fi

# --- pacing: 1.95 s of recording at four times is about half a second ---

run "$TOP" -j --replay "$f" --speed 4 -v class -r 0 -d 0.5
if [ "$rc" = 0 ] && [ "$ms" -ge 400 ] && [ "$ms" -le 2000 ]; then
	pass "top --replay --speed 4: 1.95 s of recording in $ms ms"
else
	fail "top --replay --speed 4: paced" "exit $rc, took $ms ms, want 400 to 2000: $(first_err)"
fi
check_json "top --replay --speed 4: the same snapshots as at full speed" '[x["events"] for x in r] == f["halves"]'
if [ "$fast" -lt 1500 ]; then
	pass "top --replay --speed max: not paced ($fast ms)"
else
	fail "top --replay --speed max: not paced" "took $fast ms, a paced replay 1950"
fi

# --- notifier-top: damaged, foreign, and options that do not apply ---

run "$TOP" -j --replay "$tmp/flipped.ntr" --speed max -v class -r 0 -d 10
if [ "$rc" = 1 ] && [ "$(python3 -c "import json; print(sum(x['events'] for x in json.loads(open('$tmp/out').readline())['rows']))" 2>/dev/null)" = 1000 ] &&
	grep -q "corrupt at byte ${starts[2]} in block 4" "$tmp/err"; then
	pass "top --replay: a flipped byte: what came before, then why, exit 1"
else
	fail "top --replay: a flipped byte: what came before, then why, exit 1" "exit $rc: $(first_err)"
fi
fails_with "top --replay: no such file" "No such file or directory" "$TOP" -b --replay "$tmp/absent.ntr"
fails_with "top --replay: a foreign file" "not a notifier trace: an ELF file" "$TOP" -b --replay "$TOP"
usage_error "top --speed -1" "--speed: '-1' is not a speed" "$TOP" -b --replay "$f" --speed -1
usage_error "top --speed without --replay" "--speed needs --replay" "$TOP" -b --speed 2
usage_error "top --replay --synthetic" "--synthetic does not apply" "$TOP" -b --replay "$f" --synthetic
usage_error "top --replay -f cgroup" "-f cgroup" "$TOP" -b --replay "$f" -f 'cgroup /x'

# --- the full screen: pause on space, the last screen kept ---

command -v tmux >/dev/null 2>&1 || skip_rest "top --replay full screen" "tmux not installed"
T() { tmux -S "$tmp/tmux" -f /dev/null "$@"; }
screen() { T capture-pane -p -t top >"$tmp/screen" 2>/dev/null; }
# until_ok SECS CMD...: CMD on fresh captures until it succeeds.
until_ok() {
	local end=$((SECONDS + $1))

	shift
	while :; do
		screen
		"$@" >/dev/null && return 0
		[ "$SECONDS" -ge "$end" ] && return 1
		sleep 0.1
	done
}
on_screen() { grep -qE -- "$1" "$tmp/screen"; }
header() { sed -n 1p "$tmp/screen"; }

# 1.95 s of recording at a quarter speed: about 8 s to pause in and watch
T new-session -d -s top -x 100 -y 30 \
	"env TERM=screen $TOP --replay $f --speed 0.25 -d 0.2 -v driver; echo \$? >$tmp/rc; sleep 60" ||
	skip_rest "top --replay full screen" "cannot start tmux"
if ! until_ok 10 on_screen '^notifier-top  22:13:2[01]  feed replay  every 0.2s  keys [0-9]+  at [0-9.]+s x0.25$'; then
	fail "top --replay: the header says where and how fast" "$(header)"
	skip_rest "top --replay full screen" "no replay on screen"
fi
pass "top --replay: the header says where and how fast"
T send-keys -t top Space
if ! until_ok 5 on_screen '\[paused\]$'; then
	fail "top --replay: space pauses, space resumes" "no [paused]: $(header)"
else
	a=$(header)
	sleep 1
	screen
	b=$(header)
	T send-keys -t top Space
	until_ok 5 eval '[ "$(header)" != "$b" ] && ! on_screen paused'
	c=$(header)
	if [ "$a" != "$b" ]; then
		fail "top --replay: space pauses, space resumes" "moved while paused: '$a' then '$b'"
	elif [[ $c == *paused* ]] || [ "$c" = "$b" ]; then
		fail "top --replay: space pauses, space resumes" "did not resume: '$c'"
	else
		pass "top --replay: space pauses, space resumes"
	fi
fi
if until_ok 20 on_screen 'end 1\.9s$' && on_screen 'run\.ntr: complete: 3000 events' &&
	on_screen '^latedrv +[0-9]'; then
	sleep 0.5
	T send-keys -t top q
	end=$((SECONDS + 5))
	while [ ! -s "$tmp/rc" ] && [ "$SECONDS" -lt "$end" ]; do sleep 0.1; done
	if [ "$(cat "$tmp/rc" 2>/dev/null)" = 0 ]; then
		pass "top --replay: its end keeps the last screen and says how the file ended; q exits 0"
	else
		fail "top --replay: its end keeps the last screen" "exit '$(cat "$tmp/rc" 2>/dev/null)' after q"
	fi
else
	fail "top --replay: its end keeps the last screen" "$(tr '\n' '|' <"$tmp/screen" | head -c 400)"
fi
tap_done
