#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""What tests/cli/plot.sh generates and checks, in three steps:

  gen RUN.json EXPECT.json   a `notifier hist -j` run of known distributions
                             (fixed seed), and what its pictures must show,
                             worked out from the samples here, not by notifier
  svg PICTURE.svg EXPECT.json   the SVG's elements against EXPECT
  png PICTURE.png PICTURE.svg EXPECT.json [html]   the rendered pixels

Each check is one line, "ok - NAME" or "not ok - NAME: why"; the shell
script counts them against its plan.
"""
import json
import math
import random
import sys
import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"
SCHEMA = 16  # fine buckets per power of two
ROWS = 4  # heat map rows per power of two
MARKS = [("p50", 0.50), ("p90", 0.90), ("p99", 0.99), ("p99.9", 0.999)]
MARKER_RGB = (0xD6, 0x2F, 0x2F)
VIRIDIS = [(0x44, 0x01, 0x54), (0x48, 0x28, 0x78), (0x3E, 0x49, 0x89), (0x31, 0x68, 0x8E),
           (0x26, 0x82, 0x8E), (0x1F, 0x9E, 0x89), (0x35, 0xB7, 0x79), (0x6E, 0xCE, 0x58),
           (0xB5, 0xDE, 0x2B), (0xFD, 0xE7, 0x25)]
T0 = 1700000000.0
INTERVALS = 10


def say(ok, name, why=""):
    print(f"ok - {name}" if ok else f"not ok - {name}: {why}")


# --- the data ---

def native(v):
    """The Prometheus native index of v ns: (2^((n-1)/16), 2^(n/16)] seconds."""
    n = math.ceil(math.log2(v / 1e9) * SCHEMA)
    while v <= 1e9 * 2 ** ((n - 1) / SCHEMA):
        n -= 1
    while v > 1e9 * 2 ** (n / SCHEMA):
        n += 1
    return n


def quantile(buckets, p, lo, hi):
    """hist's percentile: the middle of the bucket of rank ceil(p * total), within lo..hi."""
    total = sum(buckets.values())
    rank = min(max(math.ceil(p * total), 1), total)
    seen = 0
    for n in sorted(buckets):
        seen += buckets[n]
        if seen >= rank:
            return min(max(1e9 * 2 ** ((n - 0.5) / SCHEMA), lo), hi)
    return hi


def hist_json(samples):
    if not samples:
        return {"count": 0, "sum_ns": 0, "min_ns": 0, "p50_ns": 0, "p90_ns": 0, "p99_ns": 0,
                "p999_ns": 0, "max_ns": 0, "failures": 0, "pages": 0, "nested": 0,
                "nonblock": 0, "slots": [], "slot_count": 36, "quantiles": "log2"}
    slots = [0] * 36
    buckets, zero = {}, 0
    for v in samples:
        slots[min(v.bit_length() - 1, 35) if v else 0] += 1
        if v == 0:
            zero += 1
        else:
            buckets[native(v)] = buckets.get(native(v), 0) + 1
    last = max(i for i, c in enumerate(slots) if c)
    h = {"count": len(samples), "sum_ns": sum(samples), "min_ns": min(samples),
         "max_ns": max(samples), "failures": 0, "pages": 0, "nested": 0, "nonblock": 0,
         "slots": [[(1 << i) if i else 0, slots[i]] for i in range(last + 1)],
         "slot_count": 36, "quantiles": "fine",
         "buckets": {"schema": 4, "zero_count": zero,
                     "counts": [[n, c] for n, c in sorted(buckets.items())]}}
    for key, p in (("p50_ns", .5), ("p90_ns", .9), ("p99_ns", .99), ("p999_ns", .999)):
        h[key] = int(quantile(buckets, p, min(samples), max(samples))) if buckets else 0
    return h


def lognormal(rng, median_ns, n, sigma=0.25):
    return [max(1, int(rng.lognormvariate(math.log(median_ns), sigma))) for _ in range(n)]


def gen(run_path, expect_path):
    rng = random.Random(20240501)
    classes = ["inval_start", "inval_end", "unmap", "pin", "unpin", "fence_wait", "callback"]
    per_group = {}  # label -> list of sample lists, one per interval
    with open(run_path, "w") as out:
        for i in range(INTERVALS):
            # inval_start: ~100us for the first half, ~1ms for the second
            start = lognormal(rng, 100e3 if i < INTERVALS // 2 else 1e6, 2000)
            kvm = lognormal(rng, 20e3, 1000, 0.2)  # the driver's callback, ~20us
            end = lognormal(rng, 5e3, 300, 0.3)
            samples = {"inval_start": start, "inval_end": end, "callback": kvm,
                       "unpin": [0] * 50}  # unpin: counted, no latency
            report = {"classes": {c: hist_json(samples.get(c, [])) for c in classes},
                      "drivers": {"kvm": hist_json(kvm)},
                      "ts": T0 + i + 1, "elapsed_ms": 1000,
                      "counters": {"ringbuf_drops": 0, "hist_drops": 0}}
            report["classes"]["unpin"]["pages"] = 50
            out.write(json.dumps(report, separators=(",", ":")) + "\n")
            for label, s in (("inval_start", start), ("inval_end", end), ("callback", kvm),
                             ("callback driver=kvm", kvm), ("unpin", [0] * 50)):
                per_group.setdefault(label, []).append(s)
    expect = {"groups": {}, "intervals": INTERVALS}
    for label, runs in per_group.items():
        allv = [v for r in runs for v in r]
        b = {}
        for v in allv:
            if v:
                b[native(v)] = b.get(native(v), 0) + 1
        g = {"count": len(allv), "latency": bool(b)}
        if b:
            g["marks"] = {name: quantile(b, p, min(allv), max(allv)) for name, p in MARKS}
            g["marks"]["max"] = max(allv)
            # each interval's busiest heat map row: its count and latency band
            g["hot"] = []
            for r in runs:
                rows = {}
                for v in r:
                    k = (native(v) - 1) // (SCHEMA // ROWS)
                    rows[k] = rows.get(k, 0) + 1
                k = max(rows, key=lambda k: (rows[k], -k))
                g["hot"].append([1e9 * 2 ** (k / ROWS), 1e9 * 2 ** ((k + 1) / ROWS), rows[k]])
        expect["groups"][label] = g
    # every class summed (not the drivers again), as the whole-run heat map shows it
    rows_all = [{} for _ in range(INTERVALS)]
    for label, runs in per_group.items():
        if label not in classes:
            continue
        for i, r in enumerate(runs):
            for v in r:
                if v:
                    k = (native(v) - 1) // (SCHEMA // ROWS)
                    rows_all[i][k] = rows_all[i].get(k, 0) + 1
    expect["all_total"] = sum(sum(r.values()) for r in rows_all)
    expect["all_hot"] = []
    for rows in rows_all:
        k = max(rows, key=lambda k: (rows[k], -k))
        expect["all_hot"].append([1e9 * 2 ** (k / ROWS), 1e9 * 2 ** ((k + 1) / ROWS), rows[k]])
    with open(expect_path, "w") as f:
        json.dump(expect, f)


# --- the SVG ---

def parse_ns(text):
    for unit, mul in (("ns", 1), ("us", 1e3), ("ms", 1e6), ("s", 1e9)):
        if text.endswith(unit):
            try:
                return float(text[:-len(unit)]) * mul
            except ValueError:
                return None
    return None


def texts(el, cls):
    return [t for t in el.iter(SVG + "text") if t.get("class") == cls]


def tick_mapping(panel):
    """x = a + b * log(ns), from the panel's own tick labels and where they are."""
    pts = [(parse_ns(t.text), float(t.get("x"))) for t in texts(panel, "tick")]
    pts = [(ns, x) for ns, x in pts if ns]
    if len(pts) < 2:
        return None
    (n0, x0), (n1, x1) = pts[0], pts[-1]
    b = (x1 - x0) / (math.log(n1) - math.log(n0))
    return lambda ns: x0 + b * (math.log(ns) - math.log(n0))


def heatmaps(root):
    return [g for g in root.iter(SVG + "g") if g.get("class") == "heatmap"]


def svg_checks(svg_path, expect_path):
    exp = json.load(open(expect_path))
    root = ET.parse(svg_path).getroot()
    want = sorted(((g["count"], lb) for lb, g in exp["groups"].items() if g["latency"]),
                  key=lambda c: (-c[0], c[1]))
    panels = [g for g in root.iter(SVG + "g") if g.get("class") == "panel"]
    got = [(int(p.get("data-count")), p.get("data-label")) for p in panels]
    say(got == want, "svg: a panel per group with latencies, the largest first",
        f"got {got}, want {want}")
    titles = [t.text for p in panels for t in texts(p, "panel-title")]
    say(titles == [lb for _, lb in want], "svg: each panel titled with its group's label",
        f"got {titles}")
    flat = [lb for lb, g in exp["groups"].items() if not g["latency"]]
    notes = " ".join(t.text or "" for t in root.iter(SVG + "text"))
    say(all(lb in notes for lb in flat), "svg: groups without latencies named as not drawn",
        f"{flat} not in the notes")

    # markers where the percentiles computed here fall, by the panel's own ticks
    worst, where = 0.0, ""
    nmarks = 0
    for p in panels:
        g = exp["groups"][p.get("data-label")]
        x_of = tick_mapping(p)
        if not x_of:
            worst, where = 1e9, f"{p.get('data-label')}: fewer than two tick labels"
            break
        for m in p.iter(SVG + "line"):
            if m.get("class") != "marker":
                continue
            nmarks += 1
            d = abs(float(m.get("x1")) - x_of(g["marks"][m.get("data-mark")]))
            if d > worst:
                worst, where = d, f"{p.get('data-label')} {m.get('data-mark')}"
    say(nmarks == 5 * len(panels) and worst <= 1.5,
        "svg: p50, p90, p99, p99.9 and max markers at the computed percentiles (1.5 px)",
        f"{nmarks} markers, off by {worst:.1f} px at {where}")
    labels = [t.text for t in texts(root, "mark-label")]
    say(all(any(t.startswith(n) for t in labels) for n in ("p50", "p90", "max")),
        "svg: the markers are labelled", f"labels {labels}")

    maps = heatmaps(root)
    say(len(maps) >= 1 and maps[0].get("data-label") == "",
        "svg: a heat map of the whole run", f"{len(maps)} heat maps")
    if not maps:
        for name in ("cells", "hot rows", "group maps"):
            say(False, f"svg: heat map {name}", "no heat map")
        return
    cells = [r for r in maps[0].iter(SVG + "rect") if r.get("data-count")]
    total = sum(int(r.get("data-count")) for r in cells)
    say(total == exp["all_total"], "svg: heat map cells hold every event with a latency",
        f"{len(cells)} cells, {total} events, want {exp['all_total']}")
    # per column, the busiest cell is the band the samples put most in
    x0, x1 = float(maps[0].get("data-x0")), float(maps[0].get("data-x1"))
    bad = []
    for i, (lo, hi, n) in enumerate(exp["all_hot"]):
        cx = x0 + (i + 0.5) / exp["intervals"] * (x1 - x0)
        col = [r for r in cells if float(r.get("x")) <= cx <= float(r.get("x")) + float(r.get("width"))]
        best = max(col, key=lambda r: int(r.get("data-count")), default=None)
        if best is None or abs(float(best.get("data-lo-ns")) / lo - 1) > 0.01 or \
                int(best.get("data-count")) != n:
            bad.append(i)
    say(not bad, "svg: each report's busiest heat map cell in its busiest latency band",
        f"reports {bad}")
    labelled = [m.get("data-label") for m in maps[1:]]
    say(labelled[:2] == [lb for _, lb in want[:2]], "svg: heat maps of the largest groups",
        f"got {labelled}")


# --- the pixels ---

def viridis_table():
    out = []
    for i in range(256):
        x = i / 255 * 9
        k = min(int(x), 8)
        f = x - k
        out.append(tuple(round(a + f * (b - a)) for a, b in zip(VIRIDIS[k], VIRIDIS[k + 1])))
    return out


def level_of(rgb, table):
    """The viridis level (0..1) of a pixel, or None when it is no viridis colour."""
    best, d = None, 1e9
    for i, c in enumerate(table):
        e = sum((a - b) ** 2 for a, b in zip(rgb, c))
        if e < d:
            best, d = i, e
    return best / 255 if d <= 3 * 6 ** 2 else None


def png_checks(png_path, svg_path, expect_path, html):
    from PIL import Image

    what = "html" if html else "svg"
    img = Image.open(png_path).convert("RGB")
    w, h = img.size
    px = img.load()
    sample = [px[x, y] for y in range(0, h, 3) for x in range(0, w, 3)]
    inked = sum(1 for c in sample if c != (255, 255, 255)) / len(sample)
    say(0.02 < inked < 0.9 and len(set(sample)) > 50, f"png {what}: drawn, not blank",
        f"{inked:.1%} non-white, {len(set(sample))} colours")
    red = sum(1 for c in sample if sum((a - b) ** 2 for a, b in zip(c, MARKER_RGB)) < 30 ** 2)
    say(red > 20, f"png {what}: the percentile markers' colour shows", f"{red} pixels")
    if html:
        return

    exp = json.load(open(expect_path))
    root = ET.parse(svg_path).getroot()
    m = heatmaps(root)[0]
    x0, x1 = float(m.get("data-x0")), float(m.get("data-x1"))
    y0, y1 = float(m.get("data-y0")), float(m.get("data-y1"))
    lo, hi = float(m.get("data-lo-ns")), float(m.get("data-hi-ns"))
    table = viridis_table()

    def ns_at(y):
        return lo * (hi / lo) ** ((y1 - y) / (y1 - y0))

    # the hottest pixel of each report's column, read back as a latency
    hot = []
    for i in range(exp["intervals"]):
        cx = int(x0 + (i + 0.5) / exp["intervals"] * (x1 - x0))
        best = (-1, None)
        for y in range(int(y0) + 1, int(y1)):
            lv = level_of(px[cx, y], table)
            if lv is not None and lv > best[0]:
                best = (lv, y)
        hot.append(ns_at(best[1] + 0.5) if best[1] is not None else None)
    n = exp["intervals"]
    for half, span in (("first", range(0, n // 2)), ("second", range(n // 2, n))):
        bad = []
        for i in span:
            lo_ns, hi_ns, _ = exp["all_hot"][i]
            # within the band, give or take a pixel
            if hot[i] is None or not (lo_ns / 1.1 <= hot[i] <= hi_ns * 1.1):
                bad.append(f"report {i + 1}: {hot[i] and round(hot[i])} ns, want "
                           f"{round(lo_ns)}..{round(hi_ns)}")
        say(not bad, f"png svg: hottest heat map cells of the {half} half at their latency",
            "; ".join(bad))
    # the step up between the halves, as large as the data's
    def median(v):
        v = sorted(v)
        return v[len(v) // 2] if v else None

    got = [median([h for h in hot[:n // 2] if h]), median([h for h in hot[n // 2:] if h])]
    want = [median([math.sqrt(lo * hi) for lo, hi, _ in exp["all_hot"][:n // 2]]),
            median([math.sqrt(lo * hi) for lo, hi, _ in exp["all_hot"][n // 2:]])]
    ok = None not in got and want[1] / want[0] / 1.3 <= got[1] / got[0] <= want[1] / want[0] * 1.3
    say(ok, "png svg: from the first half to the second, the hot band moves as far as in the data",
        f"medians {got}, want about {want}")
    # the first panel's p50 marker: red pixels in its column, under the labels
    panel = next(g for g in root.iter(SVG + "g") if g.get("class") == "panel")
    mk = next(l for l in panel.iter(SVG + "line") if l.get("data-mark") == "p50")
    mx = float(mk.get("x1"))
    ys = range(int(float(mk.get("y1"))) + 2, int(float(mk.get("y2"))) - 2)
    hits = sum(1 for y in ys for x in (int(mx) - 1, int(mx), int(mx) + 1)
               if sum((a - b) ** 2 for a, b in zip(px[x, y], MARKER_RGB)) < 60 ** 2)
    say(hits >= 10, "png svg: the first panel's p50 line drawn where the SVG puts it",
        f"{hits} marker pixels at x {mx:.1f}")


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "gen":
        gen(sys.argv[2], sys.argv[3])
    elif cmd == "svg":
        svg_checks(sys.argv[2], sys.argv[3])
    elif cmd == "png":
        png_checks(sys.argv[2], sys.argv[3], sys.argv[4], len(sys.argv) > 5)
    else:
        sys.exit("usage: plot-check.py gen|svg|png ...")
