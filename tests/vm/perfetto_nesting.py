#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Counts a process's fence-wait slices in a notifier Perfetto export that
sit inside a callback slice of DRIVER which itself sits inside an
invalidate (inval_start) slice on the same thread.

Usage: perfetto_nesting.py TRACE.json TGID DRIVER"""
import json
import sys

events = json.load(open(sys.argv[1]))["traceEvents"]
tgid, driver = int(sys.argv[2]), sys.argv[3]
slices = [e for e in events if e.get("ph") == "X" and e.get("pid") == tgid]


def inside(a, b):
    # ts and dur are microseconds with three decimals: 1 ns of rounding
    return (a["tid"] == b["tid"] and b["ts"] <= a["ts"] + 1e-3
            and a["ts"] + a["dur"] <= b["ts"] + b["dur"] + 1e-3)


def named(prefix):
    return [e for e in slices if e["name"].startswith(prefix)]


invalidates = named("inval_start")
callbacks = [c for c in named("callback " + driver)
             if any(inside(c, i) for i in invalidates)]
print(sum(any(inside(f, c) for c in callbacks) for f in named("fence_wait")))
