#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# notifier hist --compare on saved hist -j runs made from known draws: run
# A is lognormal around 100 us (five -i reports), B is A with every value
# 20% slower, C an independent draw of A's distribution. Every value is
# bucketed as notifier buckets it, and the exact percentiles come from the
# raw values, so each expectation below is computed here, not written
# down: A vs B must be slower beyond the noise, its percentiles within 5%
# of the exact ones and its shifts within a bucket of the exact shift;
# A vs C must be within the noise. Then the bad input. No root needed.
# One line per check (tests/lib/tap.sh).
#
# Usage: tests/cli/compare.sh     (after make)
# NOTIFIER overrides the binary.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/tap.sh"
NOTIFIER=${NOTIFIER:-$top/build/notifier}
NTF_TAP_PREFIX="compare: "
plan 24

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ntf-compare.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

[ -x "$NOTIFIER" ] || { fail "binary" "$NOTIFIER not built (run make)"; skip_rest "the rest" "no binary"; }
command -v python3 >/dev/null 2>&1 || skip_rest "all" "python3 not installed"

# run CMD...: sets rc, $tmp/out and $tmp/err.
run() {
	timeout -k 5 30 "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}
first_err() { head -c 300 "$tmp/err"; }

# The runs, and what is known of them (facts.json), from fixed seeds.
cat >"$tmp/gen.py" <<'EOF'
import json, math, random, sys

out = sys.argv[1]
N = 20000
MU, SIGMA = math.log(100e3), 0.5  # ns: median 100 us
PCTS = {"p50": 0.5, "p90": 0.9, "p99": 0.99, "p999": 0.999}


def native(ns):
    # notifier's bucket: the smallest i with ns <= 2^(i/16) s
    i = math.ceil(16 * math.log2(ns / 1e9))
    while ns > 1e9 * 2 ** (i / 16):
        i += 1
    while ns <= 1e9 * 2 ** ((i - 1) / 16):
        i -= 1
    return i


def exact(values):
    s = sorted(values)
    return {k: s[max(1, math.ceil(p * len(s))) - 1] for k, p in PCTS.items()}


def hist(values):
    slots, fine = {}, {}
    for v in values:
        low = 1 << (v.bit_length() - 1) if v else 0
        slots[low] = slots.get(low, 0) + 1
        i = native(v)
        fine[i] = fine.get(i, 0) + 1
    top = max(slots)
    lows = [0] + [1 << s for s in range(1, top.bit_length())]
    return {
        "count": len(values), "sum_ns": sum(values), "min_ns": min(values),
        "max_ns": max(values), "failures": 0, "pages": 0, "nested": 0, "nonblock": 0,
        "slots": [[low, slots.get(low, 0)] for low in lows if low <= top],
        "slot_count": 36, "quantiles": "fine", "origins": {},
        "buckets": {"schema": 4, "zero_count": 0, "counts": sorted(fine.items())},
    }


def draw(seed, n, mu=MU, sigma=SIGMA):
    rnd = random.Random(seed)
    return [max(1, round(rnd.lognormvariate(mu, sigma))) for _ in range(n)]


def write(name, reports):
    with open(f"{out}/{name}", "w") as f:
        for r in reports:
            f.write(json.dumps(r, separators=(",", ":")) + "\n")


def report(groups, ts, secs=10):
    r = {"classes": {}, "drivers": {}, "ts": ts, "elapsed_ms": secs * 1000}
    for label, values in groups.items():
        if label.startswith("driver "):
            r["drivers"][label[7:]] = hist(values)
        elif values:
            r["classes"][label] = hist(values)
    return r


a = draw(1, N)
b = [round(v * 1.2) for v in a]
c = draw(2, N)
# a driver's callbacks, the same distribution in every run: never a shift
drv = {k: draw(s, 3000, math.log(20e3), 0.3) for k, s in (("a", 11), ("b", 12), ("c", 13))}
gone = draw(21, 500)  # fence waits only A has
new = draw(22, 500)  # pins only B has
few = draw(23, 3)  # a class with three events in every run

# A as five -i reports, each a fifth of the draw
k = N // 5
write("a.json", [report({"inval_start": a[i * k:(i + 1) * k], "fence_wait": gone if i == 0 else [],
                         "unpin": few if i == 0 else [],
                         "driver i915": drv["a"][i * 600:(i + 1) * 600]}, 1000.0 + 10 * i)
                 for i in range(5)])
write("b.json", [report({"inval_start": b, "pin": new, "unpin": few, "driver i915": drv["b"]}, 2000.0, 50)])
write("c.json", [report({"inval_start": c, "unpin": few, "driver i915": drv["c"]}, 3000.0, 50)])

facts = {
    "n": N, "median_ns": math.exp(MU),
    "a": exact(a), "b": exact(b), "c": exact(c),
    "shift_pct": {key: 100 * (exact(b)[key] / exact(a)[key] - 1) for key in PCTS},
    # one fine bucket's width, relative: the most a percentile read at a
    # bucket's middle is off on each side
    "bucket": 2 ** (1 / 16) - 1,
}
json.dump(facts, open(f"{out}/facts.json", "w"))
EOF

# chk.py NAME_OF_CHECK FACTS COMPARE_JSON: exit 0, or 1 with why on stdout.
cat >"$tmp/chk.py" <<'EOF'
import json, sys

what, facts, res = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
groups = {g["label"]: g for g in res["groups"]}
PCTS = ("p50", "p90", "p99", "p999")


def done(bad):
    if bad:
        print("; ".join(bad))
        sys.exit(1)
    sys.exit(0)


g = groups.get("inval_start")
if not g:
    done(["no inval_start group"])
if what == "slower":
    done([] if g["verdict"] == "slower" and g["significant"] else
         [f"verdict {g['verdict']}, significant {g['significant']}"])
if what == "same":
    bad = [f"{lab}: {x['verdict']}" for lab, x in groups.items()
           if x["verdict"] not in ("same", "new", "gone") or x["significant"]]
    done(bad + [f"inval_start {k} significant" for k in PCTS
                if g["shift"][k]["significant"]])
if what in ("pct_a", "pct_b"):
    side = what[-1]
    bad = []
    for k in PCTS:
        got, want = g[side][k + "_ns"], facts[side][k]
        if abs(got / want - 1) > 0.05:
            bad.append(f"{k} {got:.0f} ns, exact {want} ns")
    done(bad)
if what == "count":
    done([] if g["a"]["count"] == facts["n"] == g["b"]["count"] else
         [f"counts {g['a']['count']} and {g['b']['count']}, drawn {facts['n']}"])
if what == "shift":
    bad = []
    for k in PCTS:
        got, want = g["shift"][k]["pct"], facts["shift_pct"][k]
        # each side within half a bucket of its exact value
        tol = 100 * (1 + want / 100) * 2 * facts["bucket"] / 2 + 0.5
        if abs(got - want) > tol:
            bad.append(f"{k} {got:+.1f}%, exact {want:+.1f}% (+-{tol:.1f})")
    done(bad)
if what == "all_moved":
    done([f"{k} not significant" for k in PCTS[:3] if not g["shift"][k]["significant"]])
if what == "interval":
    lo, hi = g["a"]["p50_interval_ns"]
    m = facts["median_ns"]
    done([] if lo <= m <= hi and lo <= g["a"]["p50_ns"] <= hi else
         [f"[{lo:.0f}, {hi:.0f}] ns holds not the median {m:.0f} ns or the estimate"])
if what == "driver_same":
    d = groups.get("callback driver=i915")
    done(["no driver group"] if not d else [] if d["verdict"] == "same" else
         [f"verdict {d['verdict']}"])
if what == "new_gone":
    want = {"fence_wait": "gone", "pin": "new"}
    done([f"{lab}: {groups.get(lab, {}).get('verdict')}, want {v}" for lab, v in want.items()
          if groups.get(lab, {}).get("verdict") != v or
          (v == "new") != (groups[lab]["a"] is None)])
if what == "min_count":
    done([] if "unpin" not in groups and "inval_start" in groups else
         [f"groups {sorted(groups)}"])
if what == "few":
    u = groups.get("unpin")
    done(["no unpin group"] if not u else [] if u["verdict"] == "same" else
         [f"3 events each, verdict {u['verdict']}"])
done([f"unknown check {what}"])
EOF

# pyjudge NAME CHECK RESULT: a check of chk.py on a compare's JSON output.
pyjudge() {
	local why

	if why=$(python3 "$tmp/chk.py" "$2" "$tmp/facts.json" "$3" 2>&1); then
		pass "$1"
	else
		fail "$1" "$why"
	fi
}

if python3 "$tmp/gen.py" "$tmp" 2>"$tmp/err"; then
	pass "runs drawn"
else
	fail "runs drawn" "$(first_err)"
	skip_rest "the rest" "no runs to compare"
fi

# --- A vs B: B is A 20% slower ---
run "$NOTIFIER" hist --compare -j "$tmp/a.json" "$tmp/b.json"
cp "$tmp/out" "$tmp/ab.json"
if [ "$rc" = 0 ] && [ ! -s "$tmp/err" ] && [ "$(wc -l <"$tmp/ab.json")" = 1 ] &&
	python3 -m json.tool "$tmp/ab.json" >/dev/null 2>&1; then
	pass "A vs B -j: one JSON line"
else
	fail "A vs B -j: one JSON line" "exit $rc, stderr: $(first_err)"
fi
pyjudge "A vs B: inval_start slower beyond the noise" slower "$tmp/ab.json"
pyjudge "A vs B: p50, p90, p99 each beyond the noise" all_moved "$tmp/ab.json"
pyjudge "A vs B: A's percentiles within 5% of the exact ones" pct_a "$tmp/ab.json"
pyjudge "A vs B: B's percentiles within 5% of the exact ones" pct_b "$tmp/ab.json"
pyjudge "A vs B: shifts within a bucket of the exact +20%" shift "$tmp/ab.json"
pyjudge "A vs B: every event of A's five reports counted" count "$tmp/ab.json"
pyjudge "A vs B: A's p50 interval holds the distribution's median" interval "$tmp/ab.json"
pyjudge "A vs B: an unchanged driver is within the noise" driver_same "$tmp/ab.json"
pyjudge "A vs B: a group only in A is gone, one only in B new" new_gone "$tmp/ab.json"
pyjudge "A vs B: three events a run are within the noise" few "$tmp/ab.json"

# --- A vs C: two draws of one distribution ---
run "$NOTIFIER" hist --compare -j "$tmp/a.json" "$tmp/c.json"
cp "$tmp/out" "$tmp/ac.json"
if [ "$rc" = 0 ]; then
	pyjudge "A vs C: nothing beyond the noise" same "$tmp/ac.json"
else
	fail "A vs C: nothing beyond the noise" "exit $rc, stderr: $(first_err)"
fi

run "$NOTIFIER" hist --compare -j --min-count 4 "$tmp/a.json" "$tmp/c.json"
cp "$tmp/out" "$tmp/min.json"
pyjudge "--min-count 4 leaves out a class of 3 events" min_count "$tmp/min.json"

# --- the text twin ---
run "$NOTIFIER" hist --compare "$tmp/a.json" "$tmp/b.json"
if [ "$rc" = 0 ] && grep -q '^inval_start: slower$' "$tmp/out" &&
	grep -qE '^  p50 .*\+[0-9.]+%  \*$' "$tmp/out" && grep -q '^pin: new' "$tmp/out"; then
	pass "text: verdicts and marked shifts"
else
	fail "text: verdicts and marked shifts" "exit $rc: $(head -c 300 "$tmp/out")"
fi
wide=$(awk 'length($0) > 80' "$tmp/out" | head -1)
check_eq "text: fits 80 columns" "$wide" ""
# -u: the p50 row in usecs is A's p50 of the JSON output, in usecs
want=$(python3 -c 'import json,sys; g=[g for g in json.load(open(sys.argv[1]))["groups"] if g["label"]=="inval_start"][0]; print("%.1f" % (g["a"]["p50_ns"]/1e3))' "$tmp/ab.json")
run "$NOTIFIER" hist --compare -u "$tmp/a.json" "$tmp/b.json"
got=$(awk '/^inval_start:/ { on = 1 } on && $1 == "p50" { print $2; exit }' "$tmp/out")
check_eq "text -u: p50 in usecs" "$got" "$want"

# --- bad input: one line on stderr naming the problem, non-zero exit ---
# bad NAME WANT_RC WANT_TEXT ARGS...
bad() {
	local name=$1 want_rc=$2 want=$3

	shift 3
	run "$NOTIFIER" hist --compare "$@"
	if [ "$rc" != "$want_rc" ]; then
		fail "$name" "exit $rc, want $want_rc; stderr: $(first_err)"
	elif [ "$(wc -l <"$tmp/err")" != 1 ] || ! grep -qF -- "$want" "$tmp/err"; then
		fail "$name" "stderr is not one line naming '$want': $(first_err)"
	elif [ -s "$tmp/out" ]; then
		fail "$name" "unexpected stdout: $(head -c 200 "$tmp/out")"
	else
		pass "$name"
	fi
}

bad "one file" 2 "needs two" "$tmp/a.json"
bad "three files" 2 "unexpected '$tmp/c.json'" "$tmp/a.json" "$tmp/b.json" "$tmp/c.json"
bad "unreadable file" 2 "$tmp/none.json" "$tmp/a.json" "$tmp/none.json"
printf 'Tracing MMU-notifier paths... Hit Ctrl-C to end.\n' >"$tmp/text.json"
bad "not JSON" 1 "$tmp/text.json: line 1: not JSON" "$tmp/text.json" "$tmp/b.json"
: >"$tmp/empty.json"
bad "empty file" 1 "$tmp/empty.json: empty" "$tmp/a.json" "$tmp/empty.json"
# A's last report cut in the middle, as by a run killed while writing
head -c -100 "$tmp/a.json" >"$tmp/cut.json"
bad "truncated last line" 1 "$tmp/cut.json: line 5: cut short" "$tmp/cut.json" "$tmp/b.json"
sed '2s/"counts":\[\[\(-*[0-9]*\),/"counts":[[9999,/' "$tmp/a.json" >"$tmp/range.json"
bad "bucket index out of range" 1 \
	"$tmp/range.json: line 2: classes.inval_start.buckets.counts[0]: index 9999 out of range" \
	"$tmp/range.json" "$tmp/b.json"

tap_done
