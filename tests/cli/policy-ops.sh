#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# BPF policy ops by the portable backend (notifier policy test): policies
# built here against bpf/notifier_policy.h, run by this kernel on every
# event of a trace file written from the format's document
# (tests/lib/ntr_writer.py) with random events from a fixed seed. What
# each policy must answer is computed here from the same events, by the
# policy's own rule written again in Python: every row's verdicts and
# actions must match it exactly. Then the shipped example, a policy with
# state in a map, and the bad input: files that are no policy, a policy
# the verifier refuses, a bad trace file, bad options. Root (BPF).
# One line per check (tests/lib/tap.sh).
#
# Usage: tests/cli/policy-ops.sh     (after make)
# NOTIFIER overrides the binary.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/tap.sh"
NOTIFIER=${NOTIFIER:-$top/build/notifier}
CLANG=${CLANG:-clang}
NTF_TAP_PREFIX="policy ops: "
plan 50

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ntf-policy-ops.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

[ -x "$NOTIFIER" ] || { fail "binary" "$NOTIFIER not built (run make)"; skip_rest "the rest" "no binary"; }
[ "$(id -u)" = 0 ] || skip_rest "all" "loading BPF needs root"
command -v python3 >/dev/null 2>&1 || skip_rest "all" "python3 not installed"
command -v "$CLANG" >/dev/null 2>&1 || skip_rest "all" "clang not installed"

# run CMD...: sets rc, $tmp/out and $tmp/err.
run() {
	timeout -k 5 60 "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}
first_err() { head -c 400 "$tmp/err" | tr '\n' ' '; }
# build NAME: $tmp/NAME.bpf.c into $tmp/NAME.bpf.o, as a user builds a policy.
build() {
	"$CLANG" -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_x86 -I"$top/vmlinux" -I"$top/bpf" \
		-c "$tmp/$1.bpf.c" -o "$tmp/$1.bpf.o" 2>"$tmp/$1.cc.err"
}

# The events: every class, three drivers' callbacks (fence waits inside
# them carry the callback's id too), latencies spread over 1 us..10 ms,
# flags and pages at random.
cat >"$tmp/gen.py" <<'EOF'
import json, random, sys
from ntr_writer import write

out = sys.argv[1]
rng = random.Random(20261129)
DRIVERS = {40: "ntf_testdrv", 41: "otherdrv", 42: "amdgpu"}
MONO = 5_000_000_000
events = []
for i in range(6000):
    cls = rng.randint(1, 7)
    cb = rng.choice((40, 41, 42)) if cls == 7 or (cls == 6 and rng.random() < 0.7) else 0
    lat = int(10 ** rng.uniform(3, 7))
    flags = (1 if rng.random() < 0.8 else 0) if cls in (1, 2, 7) else 0
    ret = 0
    if rng.random() < 0.05:
        flags |= 1 << 8
        ret = -11
    tgid = rng.choice((200, 201, 202))
    e = dict(ts=MONO + 1000 + i * 100_000, lat=lat, cls=cls, tgid=tgid, pid=tgid, comm="app%d" % tgid,
             mm=0xFFFF888000000000 + tgid * 4096, cgroup=7, flags=flags, callback=cb, mech=1,
             origin=3, syscall=28, ret=ret)
    if cls in (1, 2, 7):
        e.update(start=0x7F0000000000, size=0x4000, event=1)
    elif cls == 3:
        e.update(addr=0x7F0000001000, calls=rng.randint(0, 3), notifier_ns=lat // 2)
    elif cls in (4, 5):
        e.update(addr=0x7F0000002000, pages=rng.choice((1, 8, 16, 64)))
        if cls == 4 and ret == 0:
            e["ret"] = e["pages"]  # pins return what they pinned
    else:
        e.update(context=5, seqno=i, ops=0xFFFFFFFF81000000, timeout=-1)
    events.append(e)
meta = dict(writer="ntr-test 1", host="testhost", kernel="6.1.0-test", arch="x86_64",
            wall_ns=1_700_000_000 * 10**9, mono_ns=MONO, probes=[],
            callbacks=[(c, d, None) for c, d in DRIVERS.items()])
write(out, events, meta, per_block=700)
json.dump(dict(events=events, drivers={str(k): v for k, v in DRIVERS.items()}),
          open(out + ".json", "w"))
EOF
if ! PYTHONPATH="$top/tests/lib" python3 "$tmp/gen.py" "$tmp/run.ntr" 2>"$tmp/gen.err"; then
	fail "the trace file written" "$(head -c 300 "$tmp/gen.err")"
	skip_rest "the rest" "no trace file"
fi

# expect.py POLICY: the rows `policy test -j` must print, from the events,
# by the policy's rule written again here.
cat >"$tmp/expect.py" <<'EOF'
import json, sys

CLASSES = ["none", "inval_start", "inval_end", "unmap", "pin", "unpin", "fence_wait", "callback"]
IGNORE, COUNT, RECORD, ESCALATE = 0, 1, 2, 3
STACK, SNAPSHOT, SIGNAL = 1 << 8, 1 << 9, 1 << 10
FAILED, BLOCKABLE = 1 << 8, 1


def mixed(e, state):
    c = CLASSES[e["cls"]]
    if c == "callback":
        if e["drv"] == "ntf_testdrv" and e["lat"] >= 300_000:
            return ESCALATE | STACK
        if e["flags"] & FAILED:
            return RECORD | SNAPSHOT
        return IGNORE if e["tgid"] == 201 else COUNT
    if c == "fence_wait":
        return ESCALATE | SIGNAL if e["lat"] > 1_000_000 else IGNORE
    if c == "pin":
        return RECORD if e["ret"] >= 16 else 7  # 7: no verdict notifier knows
    return None  # no program: counted


def example(e, state):
    c = CLASSES[e["cls"]]
    if c == "callback":
        return ESCALATE | STACK if e["drv"] == "ntf_testdrv" and e["lat"] >= 5_000_000 else IGNORE
    return IGNORE


def nonblocking(e, state):
    if CLASSES[e["cls"]] != "callback":
        return None
    if e["flags"] & FAILED and not e["flags"] & BLOCKABLE:
        return ESCALATE | SNAPSHOT
    return COUNT


def every100(e, state):
    if CLASSES[e["cls"]] != "unmap":
        return None
    state["n"] = state.get("n", 0) + 1
    return ESCALATE if state["n"] % 100 == 0 else COUNT


d = json.load(open(sys.argv[2]))
rule = globals()[sys.argv[1]]
rows, state = {}, {}
for e in d["events"]:
    e["drv"] = d["drivers"].get(str(e["callback"]), "chain" if e["callback"] == 0 else "?")
    a = rule(e, state)
    key = (CLASSES[e["cls"]], e["drv"])
    r = rows.setdefault(key, dict(events=0, ignore=0, count=0, record=0, escalate=0, stack=0,
                                  snapshot=0, signal=0, invalid=0))
    r["events"] += 1
    if a is None:
        a = COUNT
    v = a & 0xFF
    if v > ESCALATE or a & ~0x7FF:
        r["invalid"] += 1
        v = COUNT
    r[["ignore", "count", "record", "escalate"][v]] += 1
    r["stack"] += bool(a & STACK)
    r["snapshot"] += bool(a & SNAPSHOT)
    r["signal"] += bool(a & SIGNAL)
out = {}
for (c, drv), r in sorted(rows.items()):
    out["%s/%s" % (c, drv)] = [r[k] for k in ("events", "ignore", "count", "record", "escalate",
                                              "stack", "snapshot", "signal")]
print(json.dumps(dict(rows=out, invalid=sum(r["invalid"] for r in rows.values()))))
EOF
# got: the same shape from notifier's JSON
got_rows() {
	jq -c '{rows: (.rows | map({key: "\(.class)/\(.driver)", value: [.events, .verdicts.ignore,
		.verdicts.count, .verdicts.record, .verdicts.escalate, .actions.stack,
		.actions.snapshot, .actions.signal]}) | from_entries), invalid: .invalid}' "$tmp/out"
}
expect_rows() { python3 "$tmp/expect.py" "$1" "$tmp/run.ntr.json" | jq -cS .; }

# 1. A policy of three classes: drivers, latencies, flags, processes, actions.
cat >"$tmp/mixed.bpf.c" <<'EOF'
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "notifier_policy.h"

NOTIFIER_POLICY(callback, ev)
{
	if (notifier_policy_driver_is(ev, "ntf_testdrv") && ev->latency_ns >= 300000)
		return NOTIFIER_ESCALATE | NOTIFIER_ACT_STACK;
	if (ev->flags & NTF_F_FAILED)
		return NOTIFIER_RECORD | NOTIFIER_ACT_SNAPSHOT;
	return ev->tgid == 201 ? NOTIFIER_IGNORE : NOTIFIER_COUNT;
}

NOTIFIER_POLICY(fence_wait, ev)
{
	return ev->latency_ns > 1000000 ? NOTIFIER_ESCALATE | NOTIFIER_ACT_SIGNAL : NOTIFIER_IGNORE;
}

NOTIFIER_POLICY(pin, ev)
{
	return ev->pages >= 16 ? NOTIFIER_RECORD : 7;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
EOF
if build mixed; then
	run "$NOTIFIER" policy test -j "$tmp/mixed.bpf.o" "$tmp/run.ntr"
	check_eq "mixed: exit 0" "$rc $(first_err)" "0 "
	check_eq "mixed: every event of the file judged" "$(jq .events "$tmp/out")" 6000
	check_eq "mixed: each class and driver's verdicts and actions, as the rule says" \
		"$(got_rows | jq -cS .)" "$(expect_rows mixed)"
	check_eq "mixed: some of every verdict and action, so the rows say something" \
		"$(got_rows | jq -c '[.rows[]] | transpose | map(add) | .[1:] | map(. > 0) | all')" true
	check_eq "mixed: runs are the events of the three classes it has programs for" \
		"$(jq .runs "$tmp/out")" \
		"$(jq '[.events[] | select(.cls == 7 or .cls == 6 or .cls == 4)] | length' "$tmp/run.ntr.json")"
	check_eq "mixed: classes without a program marked so" \
		"$(jq -c '[.rows[] | select(.judged | not) | .class] | unique' "$tmp/out")" \
		'["inval_end","inval_start","unmap","unpin"]'
	run "$NOTIFIER" policy test "$tmp/mixed.bpf.o" "$tmp/run.ntr"
	check "mixed: the text output's callback row for ntf_testdrv" "$(head -c 300 "$tmp/out")" \
		grep -Eq '^callback +ntf_testdrv +[0-9]+' "$tmp/out"
	check "mixed: the text output says what an unknown verdict became" "$(tail -n3 "$tmp/out")" \
		grep -q 'answers were no verdict notifier knows: counted' "$tmp/out"
else
	fail "mixed: built" "$(head -c 300 "$tmp/mixed.cc.err")"
	skip_n 7 "mixed" "not built"
fi

# 2. The shipped example, as built by make.
ex=$top/build/policies/slow_callbacks.bpf.o
if [ -f "$ex" ]; then
	run "$NOTIFIER" policy test -j "$ex" "$tmp/run.ntr"
	check_eq "example slow_callbacks: exit 0" "$rc $(first_err)" "0 "
	check_eq "example slow_callbacks: escalates exactly ntf_testdrv's callbacks of 5 ms or more" \
		"$(got_rows | jq -cS .)" "$(expect_rows example)"
else
	fail "example slow_callbacks" "$ex not built (make)"
	skip "example slow_callbacks: verdicts" "not built"
fi

ex=$top/build/policies/failed_nonblocking.bpf.o
if [ -f "$ex" ]; then
	run "$NOTIFIER" policy test -j "$ex" "$tmp/run.ntr"
	check_eq "example failed_nonblocking: exit 0" "$rc $(first_err)" "0 "
	check_eq "example failed_nonblocking: escalates exactly the failed non-blockable callbacks" \
		"$(got_rows | jq -cS .)" "$(expect_rows nonblocking)"
else
	fail "example failed_nonblocking" "$ex not built (make)"
	skip "example failed_nonblocking: verdicts" "not built"
fi

# 3. State in a map: every 100th unmap, in the file's order.
cat >"$tmp/every100.bpf.c" <<'EOF'
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "notifier_policy.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} seen SEC(".maps");

NOTIFIER_POLICY(unmap, ev)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&seen, &zero);

	if (!n)
		return NOTIFIER_COUNT;
	*n += 1;
	return *n % 100 == 0 ? NOTIFIER_ESCALATE : NOTIFIER_COUNT;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
EOF
if build every100; then
	run "$NOTIFIER" policy test -j "$tmp/every100.bpf.o" "$tmp/run.ntr"
	check_eq "every100: exit 0" "$rc $(first_err)" "0 "
	check_eq "every100: a map's count kept from event to event, in order" \
		"$(got_rows | jq -cS .)" "$(expect_rows every100)"
else
	fail "every100: built" "$(head -c 300 "$tmp/every100.cc.err")"
	skip "every100: verdicts" "not built"
fi

# 4. Bad input: one clear line (or the verifier's words), exit 1, nothing on stdout.
refused() {
	local name=$1 want=$2

	shift 2
	run "$@"
	if [ "$rc" = 1 ] && grep -q -- "$want" "$tmp/err" && [ ! -s "$tmp/out" ]; then
		pass "$name"
	else
		fail "$name" "rc $rc, stdout $(head -c 100 "$tmp/out"), stderr $(first_err) (want '$want')"
	fi
}
refused "a missing policy" "nope.bpf.o: No such file or directory" \
	"$NOTIFIER" policy test "$tmp/nope.bpf.o" "$tmp/run.ntr"
echo "not an object" >"$tmp/text.o"
refused "a text file" "text.o: not a BPF object" "$NOTIFIER" policy test "$tmp/text.o" "$tmp/run.ntr"

cat >"$tmp/other.bpf.c" <<'EOF'
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
SEC("tp/sched/sched_switch") int on_switch(void *ctx) { return 0; }
char LICENSE[] SEC("license") = "Dual BSD/GPL";
EOF
build other
refused "an object of other programs" \
	"program on_switch is in section 'tp/sched/sched_switch': a policy has only notifier_policy/<class> programs" \
	"$NOTIFIER" policy test "$tmp/other.bpf.o" "$tmp/run.ntr"

cat >"$tmp/unknown.bpf.c" <<'EOF'
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "notifier_policy.h"
NOTIFIER_POLICY(frobnicate, ev) { return NOTIFIER_COUNT; }
char LICENSE[] SEC("license") = "Dual BSD/GPL";
EOF
build unknown
refused "an unknown class" "section 'notifier_policy/frobnicate': no event class 'frobnicate'" \
	"$NOTIFIER" policy test "$tmp/unknown.bpf.o" "$tmp/run.ntr"

# the event's time taken for a pointer: the verifier says no, in its words
cat >"$tmp/refused.bpf.c" <<'EOF'
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "notifier_policy.h"
NOTIFIER_POLICY(callback, ev) { return *(const __u32 *)ev->ts_ns; }
char LICENSE[] SEC("license") = "Dual BSD/GPL";
EOF
build refused
refused "a policy the verifier refuses: its message" "invalid mem access" \
	"$NOTIFIER" policy test "$tmp/refused.bpf.o" "$tmp/run.ntr"
check "a policy the verifier refuses: said as the kernel's refusal" "$(first_err)" \
	grep -q "the kernel refused it" "$tmp/err"

echo "no trace" >"$tmp/bad.ntr"
refused "a file that is no trace file" "bad.ntr:" \
	"$NOTIFIER" policy test "$tmp/mixed.bpf.o" "$tmp/bad.ntr"

# 5. In notifierd (--policy), on its synthetic source: what each verdict
# does to the histograms, the recording and the alerts, a swap on SIGHUP,
# and a reload that fails.
NOTIFIERD=${NOTIFIERD:-$top/build/notifierd}
cat >"$tmp/daemon.bpf.c" <<'EOF2'
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "notifier_policy.h"
NOTIFIER_POLICY(fence_wait, ev) { return NOTIFIER_IGNORE; }
NOTIFIER_POLICY(pin, ev) { return NOTIFIER_RECORD; }
NOTIFIER_POLICY(callback, ev)
{
	return ev->latency_ns >= 100000 ? NOTIFIER_ESCALATE | NOTIFIER_ACT_STACK : NOTIFIER_COUNT;
}
char LICENSE[] SEC("license") = "Dual BSD/GPL";
EOF2
for v in RECORD COUNT; do
	{
		echo '#include "vmlinux.h"'
		echo '#include <bpf/bpf_helpers.h>'
		echo '#include "notifier_policy.h"'
		for c in inval_start inval_end callback unmap pin unpin fence_wait; do
			echo "NOTIFIER_POLICY($c, ev) { return NOTIFIER_$v; }"
		done
		echo 'char LICENSE[] SEC("license") = "Dual BSD/GPL";'
	} >"$tmp/all_$v.bpf.c"
done
# recorded FILE...: the events in these trace files, by notifier report
recorded() {
	local f n=0

	for f in "$@"; do
		n=$((n + $("$NOTIFIER" report -j "$f" | jq '[.classes[].count] | add // 0')))
	done
	echo $n
}
summary() { grep '"type":"summary"' "$tmp/d.out" | jq -c "$1"; }

if build daemon && build all_RECORD && build all_COUNT; then
	run "$NOTIFIERD" --synthetic=3 -q -j -d 3 --policy "$tmp/daemon.bpf.o" --record "$tmp/rec"
	mv "$tmp/out" "$tmp/d.out"
	check_eq "notifierd --policy: exit 0, saying what it judges" \
		"$rc $(first_err)" "0 notifierd: policy daemon.bpf.o judges pin,fence_wait,callback (portable backend) "
	check_eq "notifierd --policy: ignored fence waits are in no histogram, and were some" \
		"$(summary '[.classes.fence_wait.count, .policy_ops.verdicts.ignore > 0]')" '[0,true]'
	check_eq "notifierd --policy: the histograms hold every event not ignored" \
		"$(summary '[.classes[].count] | add')" \
		"$(summary '.events - .policy_ops.verdicts.ignore')"
	# the classes it has no program for are recorded as without a policy
	check_eq "notifierd --policy: the recording holds all but the ignored and the only counted" \
		"$(recorded "$tmp"/rec/*.ntr)" \
		"$(summary '.events - .policy_ops.verdicts.ignore - .policy_ops.verdicts.count')"
	check_eq "notifierd --policy: alerts raised are the limit's 10, the rest held back and counted" \
		"$(summary '.policy_ops | [.alerts.raised, .alerts.raised + .alerts.held_back == .verdicts.escalate]')" \
		'[10,true]'
	check_eq "notifierd --policy: 10 alert lines, each of the policy's rule" \
		"$(grep -c '"type":"alert","rule":"policy.daemon"' "$tmp/d.out")" 10
	check_eq "notifierd --policy: the line of what the limit held back has its count" \
		"$(grep '"type":"policy_limit"' "$tmp/d.out" | jq -s '[.[].suppressed] | add')" \
		"$(summary .policy_ops.alerts.held_back)"

	# a swap: every event recorded, then (SIGHUP) every event counted, then a
	# file that does not load (SIGHUP): the running policy stays
	cp "$tmp/all_RECORD.bpf.o" "$tmp/live.bpf.o"
	"$NOTIFIERD" --synthetic=3 -q -j -d 6 --policy "$tmp/live.bpf.o" --record "$tmp/rec2" \
		>"$tmp/d.out" 2>"$tmp/err" &
	pid=$!
	sleep 2
	cp "$tmp/all_COUNT.bpf.o" "$tmp/live.new" && mv "$tmp/live.new" "$tmp/live.bpf.o"
	kill -HUP $pid
	sleep 2
	cp "$tmp/refused.bpf.o" "$tmp/live.new" && mv "$tmp/live.new" "$tmp/live.bpf.o"
	kill -HUP $pid
	wait $pid
	rc=$?
	check_eq "swap: exit 0" "$rc" 0
	check_eq "swap: one reload, one refused" "$(summary '.policy_ops | [.reloads, .reload_errors]')" \
		'[1,1]'
	check "swap: the refused file said so, and that the running policy stays" "$(first_err)" \
		grep -q "the kernel refused it.*\|the running policy stays" "$tmp/err"
	check_eq "swap: every event judged once, by one policy or the other, both judging" \
		"$(summary '.policy_ops.verdicts | [.record > 0, .count > 0, .record + .count]')" \
		"$(summary '[true, true, .events]')"
	check_eq "swap: the histograms lost nothing across it" "$(summary '[.classes[].count] | add')" \
		"$(summary .events)"
	check_eq "swap: the recording holds exactly what the first policy judged" \
		"$(recorded "$tmp"/rec2/*.ntr)" "$(summary .policy_ops.verdicts.record)"
	check_eq "swap: two policies in turn, the first's last event before the second's first" \
		"$(summary '.policy_ops | .generations as $g | [($g | length), $g[0].last_ns < $g[1].first_ns,
			$g[0].judged + $g[1].judged == .verdicts.record + .verdicts.count]' 2>&1)" \
		'[2,true,true]'
	span=$(for f in "$tmp"/rec2/*.ntr; do "$NOTIFIER" report -j "$f" | jq -c '.file | [.first_ts_ns, .last_ts_ns]'; done |
		jq -sc '[(map(.[0]) | min), (map(.[1]) | max)]')
	check_eq "swap: the recording spans just the first policy's events" "$span" \
		"$(summary '.policy_ops.generations[0] | [.first_ns, .last_ns]')"
else
	fail "daemon policies built" "$(cat "$tmp"/daemon.cc.err "$tmp"/all_*.cc.err | head -c 300)"
	skip_n 14 "notifierd --policy" "not built"
fi
run "$NOTIFIERD" --synthetic=3 -q -d 1 --policy "$tmp/refused.bpf.o"
check_eq "notifierd --policy: a refused policy stops the start, in the verifier's words" \
	"$rc $(grep -c 'invalid mem access' "$tmp/err")" "1 1"
run "$NOTIFIERD" -H --policy "$tmp/mixed.bpf.o"
check_eq "notifierd --policy -H: a usage error" "$rc $(grep -c 'which -H turns off' "$tmp/err")" "2 1"

# 6. notifier policy load|list|unload on a running notifierd's socket
sock=$tmp/notifierd.sock
ask() { run "$NOTIFIER" policy "$@" --socket "$sock" -j; }
"$NOTIFIERD" --synthetic=3 -q -j -d 8 --socket "$sock" >"$tmp/d.out" 2>"$tmp/d.err" &
pid=$!
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
ask list
check_eq "socket: list, before any: no policy" "$rc $(jq -c '[.policy, .loads]' "$tmp/out")" \
	"0 [null,0]"
ask load "$tmp/all_COUNT.bpf.o"
check_eq "socket: load: the policy, by its absolute path" \
	"$rc $(jq -r '"\(.policy) \(.path) \(.backend)"' "$tmp/out")" \
	"0 all_COUNT.bpf.o $tmp/all_COUNT.bpf.o portable"
sleep 1
ask list
check_eq "socket: list: it has judged events since" \
	"$(jq -c '.policy == "all_COUNT.bpf.o" and .judged > 0 and .verdicts.count == .judged' "$tmp/out")" true
ask load "$tmp/refused.bpf.o"
check_eq "socket: a refused load: exit 1, the file and the kernel's refusal said" \
	"$rc $(grep -c "refused.bpf.o: the kernel refused it" "$tmp/err")" "1 1"
ask list
check_eq "socket: ... and the running policy stays" "$(jq -r .policy "$tmp/out")" all_COUNT.bpf.o
ask unload
check_eq "socket: unload: no policy" "$rc $(jq -c '[.policy, .loads]' "$tmp/out")" "0 [null,1]"
wait $pid
rc=$?
mv "$tmp/d.out" "$tmp/out"
check_eq "socket: the daemon's summary: one policy judged, every event it judged counted" \
	"$rc $(grep '"type":"summary"' "$tmp/out" | jq -c '.policy_ops |
		[(.generations | length), .generations[0].judged == .verdicts.count, .reload_errors]')" \
	"0 [1,true,1]"
run "$NOTIFIER" policy list --socket "$tmp/none.sock"
check_eq "socket: no daemon there: exit 1, said" "$rc $(grep -c "none.sock: No such file" "$tmp/err")" \
	"1 1"

# 7. notifier probe says which backend runs policies here, and why not the other
run "$NOTIFIER" probe -j
check_eq "probe: the portable backend is live here; struct_ops is not, with the reason" \
	"$(jq -c '.policy_backends | [.live, .portable.available, .struct_ops.available,
		(.struct_ops.why | test("^kernel [0-9]+[.][0-9]+"))]' "$tmp/out" 2>&1)" \
	'["portable",true,false,true]'

usage() {
	run "$NOTIFIER" policy "$@"
	if [ "$rc" = 2 ] && [ "$(wc -l <"$tmp/err")" -le 2 ] && grep -q "$want" "$tmp/err"; then
		pass "usage: policy $*"
	else
		fail "usage: policy $*" "rc $rc, $(first_err) (want '$want')"
	fi
}
want="what to do: test, load, unload or list" usage
want="no policy command 'frob'" usage frob
want="test takes a policy object and a trace file" usage test "$tmp/mixed.bpf.o"

tap_done
