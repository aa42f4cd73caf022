#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Kernel stacks in trace files (format 1.2), written here by the Python
# writer made from docs/trace-format.md (tests/lib/ntr_writer.py):
# notifier report prints each event's stack under it (--events), gives
# it in -j and in the Perfetto export, counts them in the summary; a
# file without stacks reads as before; a stack named before it is
# defined, or one naming a frame that is not, is a damaged file. Then
# notifier record on this machine, with stacks and without: the probes
# load and the file reads. One line per check (tests/lib/tap.sh).
#
# Usage: tests/cli/stacks.sh     (after make; record's checks need root)
# NOTIFIER overrides the binary.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/tap.sh"
NOTIFIER=${NOTIFIER:-$top/build/notifier}
NTF_TAP_PREFIX="stacks: "
plan 13

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ntf-stacks.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

[ -x "$NOTIFIER" ] || { fail "binary" "$NOTIFIER not built (run make)"; skip_rest "the rest" "no binary"; }
command -v python3 >/dev/null 2>&1 || skip_rest "all" "python3 not installed"

run() {
	timeout -k 5 60 "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}
first_err() { head -c 300 "$tmp/err"; }

cat >"$tmp/ntr.py" <<'EOF'
# Callback events of a driver, every fifth with one of three stacks that
# share their callers; STACKS blocks before the blocks that use them.
import json, sys
from ntr_writer import write

out, facts_path, kind = sys.argv[1], sys.argv[2], sys.argv[3]
MOD = "ntf_testdrv"
CALLBACK = (0xFFFFFFFFC0A01000, 0, "ntf_invalidate", MOD)
CALLERS = [(0xFFFFFFFF816638F5, 0x195, "__mmu_notifier_invalidate_range_start", ""),
           (0xFFFFFFFF81300033, 0x33, "do_madvise", ""),
           (0xFFFFFFFF81E00070, 0x70, "do_syscall_64", "")]
PATHS = [[CALLBACK] + CALLERS,
         [CALLBACK, (0xFFFFFFFF81400010, 0x10, "zap_page_range_single", "")] + CALLERS[1:],
         [(0xFFFFFFFF81234570, 0x10, "try_to_unmap_one", "")]]

events, stacks = [], {}
ts = 10_000_000_000
for i in range(600):
    ts += 5000
    e = dict(ts=ts, lat=2_000_000 if i % 5 == 0 else 1000, cls=7, tgid=300, pid=300,
             comm="wl", mech=1, callback=40, start=0x7F0000000000, size=0x1000, event=1,
             flags=3)
    if i % 5 == 0 and kind != "plain":
        stacks[i] = PATHS[(i // 5) % 3]
    if i == 7 and kind != "plain":
        e["flags"] |= 1 << 11  # wanted a stack, the kernel's map refused it
    events.append(e)
if kind == "undefined":
    # a block that names stack 9, which no STACKS block defines
    events[1]["stack"] = 9
meta = dict(writer="ntr-test 1", host="testhost", kernel="6.1.0-test", arch="x86_64",
            wall_ns=1_700_000_000 * 10**9, mono_ns=9_000_000_000,
            callbacks=[(40, "testdrv", "ntf_invalidate")])
write(out, events, meta, per_block=100, stacks=stacks)
facts = {"events": len(events), "with_stack": len(stacks),
         "names": [[f[2] for f in PATHS[(i // 5) % 3]] for i in sorted(stacks)]}
json.dump(facts, open(facts_path, "w"))
EOF

# make KIND FILE: a file of the kind (stacks, plain, undefined); 1 when it could not be written.
make_file() {
	PYTHONPATH="$top/tests/lib" python3 "$tmp/ntr.py" "$2" "$tmp/$1.json" "$1" 2>"$tmp/err"
}

f=$tmp/stacks.ntr
if ! make_file stacks "$f"; then
	fail "writing a file with stacks" "$(first_err)"
	skip_rest "the rest" "no file"
fi

# --- --events: the frames under their event ---
run "$NOTIFIER" report --events "$f"
frames=$(grep -c '^  ntf_invalidate+0x0 \[ntf_testdrv\]$' "$tmp/out")
after=$(grep -A1 ' 2.00ms ' "$tmp/out" | sed -n 2p)
if [ "$rc" = 0 ] && [ "$frames" = 80 ] && [ "$after" = "  ntf_invalidate+0x0 [ntf_testdrv]" ]; then
	pass "--events: a stack's frames under its event, innermost first"
else
	fail "--events: a stack's frames under its event, innermost first" \
		"exit $rc, $frames callback frames, after the first slow event: '$after'"
fi
if grep -q '^  __mmu_notifier_invalidate_range_start+0x195$' "$tmp/out" &&
	grep -q '^  zap_page_range_single+0x10$' "$tmp/out" && [ "$(grep -c '^  do_syscall_64+0x70$' "$tmp/out")" = 80 ]; then
	pass "--events: the callers, with their offsets, as the file gives them"
else
	fail "--events: the callers, with their offsets, as the file gives them" \
		"$(grep -m3 '^  ' "$tmp/out" | tr '\n' '|')"
fi
if [ "$(grep -c '^  (kernel stack lost' "$tmp/out")" = 1 ]; then
	pass "--events: a lost stack is said"
else
	fail "--events: a lost stack is said" "$(grep -c 'lost' "$tmp/out") lines say lost"
fi

# --- -j ---
run "$NOTIFIER" report -j --events "$f"
if why=$(python3 - "$tmp/out" "$tmp/stacks.json" 2>&1 <<'EOF'
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
facts = json.load(open(sys.argv[2]))
got = [[fr["func"] for fr in e["stack"]] for e in evs if "stack" in e]
assert got == facts["names"], got[:3]
first = next(e["stack"][0] for e in evs if "stack" in e)
assert first == {"addr": "0xffffffffc0a01000", "func": "ntf_invalidate", "offset": 0,
                 "module": "ntf_testdrv"}, first
assert sum("stack_lost" in e for e in evs) == 1
EOF
); then
	pass "-j --events: \"stack\" as the file gives it, in order"
else
	fail "-j --events: \"stack\" as the file gives it, in order" "$(echo "$why" | tail -n 2 | tr '\n' ' ')"
fi

# --- the summary ---
run "$NOTIFIER" report -j "$f"
if [ "$rc" = 0 ] && python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["file"]
sys.exit(not (r["stacks"] == 3 and r["events_with_stack"] == 120 and r["status"] == "complete"))' "$tmp/out"; then
	pass "-j summary: three stacks, 120 events with one"
else
	fail "-j summary: three stacks, 120 events with one" "exit $rc: $(head -c 300 "$tmp/out")"
fi
run "$NOTIFIER" report "$f"
if [ "$rc" = 0 ] && grep -q '^  120 with a kernel stack (3 stacks in the file' "$tmp/out"; then
	pass "text summary: how many events have a stack"
else
	fail "text summary: how many events have a stack" "exit $rc: $(sed -n 1,5p "$tmp/out" | tr '\n' '|')"
fi

# --- Perfetto ---
run "$NOTIFIER" report --perfetto "$tmp/trace.json" "$f"
if [ "$rc" = 0 ] && python3 - "$tmp/trace.json" <<'EOF'; then
import json, sys
t = json.load(open(sys.argv[1]))
st = [e["args"]["stack"] for e in t["traceEvents"] if e.get("ph") in ("X", "b") and "stack" in e.get("args", {})]
assert len(st) == 120, len(st)
assert st[0][0] == "ntf_invalidate+0x0 [ntf_testdrv]", st[0]
assert any(s[-1] == "do_syscall_64+0x70" for s in st)
assert sum("stack_lost" in e["args"].get("flags", "") for e in t["traceEvents"] if e.get("ph") == "X") == 1
EOF
	pass "--perfetto: a slice's stack in its args, one string a frame"
else
	fail "--perfetto: a slice's stack in its args, one string a frame" "exit $rc: $(first_err)"
fi

# --- without stacks ---
if make_file plain "$tmp/plain.ntr"; then
	run "$NOTIFIER" report --events "$tmp/plain.ntr"
	if [ "$rc" = 0 ] && [ "$(wc -l <"$tmp/out")" = 600 ]; then
		pass "a 1.0 file: one line an event, no frames"
	else
		fail "a 1.0 file: one line an event, no frames" "exit $rc, $(wc -l <"$tmp/out") lines"
	fi
	run "$NOTIFIER" report -j --events "$tmp/plain.ntr"
	if [ "$rc" = 0 ] && ! grep -q '"stack' "$tmp/out"; then
		pass "a 1.0 file in -j: no \"stack\""
	else
		fail "a 1.0 file in -j: no \"stack\"" "exit $rc"
	fi
else
	fail "writing a file without stacks" "$(first_err)"
	skip "a 1.0 file in -j" "no file"
fi

# --- damaged ---
if make_file undefined "$tmp/undef.ntr"; then
	run "$NOTIFIER" report "$tmp/undef.ntr"
	if [ "$rc" = 1 ] && grep -q 'corrupt at byte [0-9]* in block [0-9]*: event 1: stack 9 is not defined before it' "$tmp/err"; then
		pass "an event naming a stack not defined: corrupt, and where"
	else
		fail "an event naming a stack not defined: corrupt, and where" "exit $rc: $(first_err)"
	fi
else
	fail "writing a damaged file" "$(first_err)"
fi
# the first STACKS block's last stack made to name frame 127, which it does not define
PYTHONPATH="$top/tests/lib" python3 - "$f" "$tmp/badframe.ntr" <<'EOF'
import struct, sys
from ntr_writer import crc32c
d = bytearray(open(sys.argv[1], "rb").read())
off = 16
while off < len(d):
    kind, hlen, stored = d[off + 4], struct.unpack_from("<H", d, off + 6)[0], struct.unpack_from("<I", d, off + 16)[0]
    if kind == 3:
        end = off + hlen + stored
        d[end - 1] = 0x7F
        d[off + 40:off + 44] = struct.pack("<I", crc32c(bytes(d[off + hlen:end])))
        d[off + hlen - 4:off + hlen] = struct.pack("<I", crc32c(bytes(d[off:off + hlen - 4])))
        break
    off += hlen + stored
open(sys.argv[2], "wb").write(d)
EOF
run "$NOTIFIER" report "$tmp/badframe.ntr"
if [ "$rc" = 1 ] && grep -q 'corrupt at byte [0-9]* in block 1: STACKS: a stack names a frame not defined before it' "$tmp/err"; then
	pass "a stack naming a frame not defined: corrupt, and where"
else
	fail "a stack naming a frame not defined: corrupt, and where" "exit $rc: $(first_err)"
fi

# --- notifier record here: the programs load with stacks and without ---
if [ "$(id -u)" != 0 ]; then
	skip_n 2 "notifier record" "needs root"
else
	for opt in "--stack-min 0ns" --no-stacks; do
		# shellcheck disable=SC2086 # two words, or one
		run "$NOTIFIER" record -q -d 1 $opt -o "$tmp/rec.ntr"
		if [ "$rc" = 0 ] && "$NOTIFIER" report -j "$tmp/rec.ntr" >"$tmp/rep" 2>&1 &&
			grep -q '"status":"complete"' "$tmp/rep"; then
			pass "notifier record $opt: loads, and its file reads"
		else
			fail "notifier record $opt: loads, and its file reads" "exit $rc: $(first_err)"
		fi
	done
fi
tap_done
