# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""A trace file (.ntr) as docs/trace-format.md describes it, written from
the document alone: so a test of the reader checks the document as much
as the reader. Uncompressed blocks, start-time encoding (stream 2), META,
EVENTS, STACKS (format 1.2) when given, and on a clean close an INDEX and
a TRAILER.

An event is a dict: ts, lat, cls (1..7), tgid, pid, comm (str or bytes),
mm, cgroup, flags, callback, mech, origin, syscall, ret, and per class
  ranges (1, 2, 7):  start, size, event, owner
  unmap (3):         addr, calls, notifier_ns
  pin, unpin (4, 5): addr, pages, gup_flags, variant
  fence_wait (6):    context, seqno, ops, timeout
and stack, the file's id of its kernel stack (1.2; 0 or left out: none)
(a field left out is 0). A fence wait's seqno goes into the file as it is,
unless seqno_delta is asked for: then as the difference from the block's
previous one, as the document says (stream 17).

A stack is a list of frames, innermost first, each (address, offset,
symbol, module).
"""
import struct

CLASSES = ["none", "inval_start", "inval_end", "unmap", "pin", "unpin", "fence_wait", "callback"]
RANGE, UNMAP, PINS, FENCE = (1, 2, 7), (3,), (4, 5), (6,)


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


def _comm(e):
    c = e.get("comm", b"")
    return c.encode() if isinstance(c, str) else c


def encode(evs, seqno_delta=False):
    """An EVENTS block's payload."""
    streams = {k: bytearray() for k in range(1, 21)}
    tasks, prev = {}, dict(ts=0, addr=0, mm=0, flags=[0] * 8, seqno=0)
    for e in evs:
        g = lambda k: e.get(k, 0)  # noqa: E731
        s, cls = streams, e["cls"]
        s[1] += varint(cls)
        s[2] += zz(e["ts"] - prev["ts"])
        prev["ts"] = e["ts"]
        s[3] += varint(e["lat"])
        comm = _comm(e)
        key = (e["pid"], e["tgid"], g("mm"), g("cgroup"), comm)
        if key not in tasks:
            tasks[key] = len(tasks)
            s[5] += varint(e["tgid"]) + zz(e["pid"] - e["tgid"]) + varint(g("cgroup"))
            s[5] += zz(g("mm") - prev["mm"]) + varint(len(comm)) + comm
            prev["mm"] = g("mm")
        s[4] += varint(tasks[key])
        s[6] += varint(g("flags") ^ prev["flags"][cls])
        prev["flags"][cls] = g("flags")
        s[7] += varint(g("callback"))
        s[8] += varint(g("mech"))
        s[9] += varint(g("origin"))
        s[10] += zz(g("syscall"))
        s[11] += zz(g("ret"))
        s[20] += varint(g("stack"))
        if cls in RANGE:
            s[12] += zz(g("start") - prev["addr"])
            prev["addr"] = g("start")
            s[13] += varint(g("size"))
            s[14] += varint(g("event")) + varint(g("owner"))
        elif cls in UNMAP:
            s[12] += zz(g("addr") - prev["addr"])
            prev["addr"] = g("addr")
            s[15] += varint(g("calls"))
            s[16] += varint(g("notifier_ns"))
        elif cls in PINS:
            s[12] += zz(g("addr") - prev["addr"])
            prev["addr"] = g("addr")
            s[15] += varint(g("pages"))
            s[16] += varint(g("gup_flags")) + varint(g("variant"))
        else:
            seqno = g("seqno") - prev["seqno"] if seqno_delta else g("seqno")
            prev["seqno"] = g("seqno")
            s[17] += varint(g("context")) + zz(seqno) + varint(g("ops")) + zz(g("timeout"))
    if not any(e.get("stack") for e in evs):
        streams[20] = bytearray()  # a block without stacks leaves the stream out
    used = [(k, v) for k, v in streams.items() if v]
    return varint(len(used)) + b"".join(varint(k) + varint(len(v)) for k, v in used) + b"".join(
        v for _, v in used)


def meta_payload(m):
    """META from a dict: writer, host, kernel, arch, wall_ns, mono_ns, probes
    (dicts: id, func, cls, mech, attached), callbacks ((id, driver, func))."""
    fields = [tlv(1, m["writer"]), tlv(2, m["host"]), tlv(3, m["kernel"])]
    if "kernel_version" in m:
        fields.append(tlv(4, m["kernel_version"]))
    fields += [tlv(5, m["arch"]), tlv(7, m["wall_ns"]), tlv(8, m["mono_ns"]), tlv(11, 120),
               tlv(12, "none")]
    for p in m.get("probes", []):
        fields.append(tlv(9, tlv(1, p["id"]) + tlv(2, p["func"]) + tlv(3, p["cls"]) +
                          tlv(4, p["mech"]) + tlv(5, p["attached"])))
    for cid, driver, func in m.get("callbacks", []):
        fields.append(tlv(10, tlv(1, cid) + tlv(2, driver) + (tlv(3, func) if func else b"")))
    return b"".join(fields)


class Stacks:
    """A file's frames and stacks: ids implicit, from 1, each defined once
    (the same frames get the same id), and what the next STACKS block
    defines."""

    def __init__(self):
        self.frames, self.stacks = {}, {}
        self.new_frames, self.new_stacks = [], []

    def add(self, frames):
        ids = []
        for f in frames:
            if f not in self.frames:
                self.frames[f] = len(self.frames) + 1
                self.new_frames.append(f)
            ids.append(self.frames[f])
        key = tuple(ids)
        if key not in self.stacks:
            self.stacks[key] = len(self.stacks) + 1
            self.new_stacks.append(key)
        return self.stacks[key]

    def payload(self):
        """A STACKS payload defining what is new, and its count."""
        b = bytearray(varint(len(self.new_frames)))
        for addr, offset, sym, module in self.new_frames:
            b += varint(addr) + varint(offset) + varint(len(sym.encode())) + sym.encode()
            b += varint(len(module.encode())) + module.encode()
        b += varint(len(self.new_stacks))
        for ids in self.new_stacks:
            b += varint(len(ids)) + b"".join(varint(i) for i in ids)
        count = len(self.new_frames) + len(self.new_stacks)
        self.new_frames, self.new_stacks = [], []
        return bytes(b), count


def callback_tlv(cid, driver):
    return tlv(10, tlv(1, cid) + tlv(2, driver))


def write(path, events, meta, per_block=500, close=True, stacks=None, names=None,
          seqno_delta=False, starts=None):
    """Writes the file; returns the offset where each EVENTS block ends.
    stacks: {event index: frames}; each event given one names it (format
    1.2), defined in a STACKS block before the first block that uses it.
    names: {event index (a block's first): [(id, driver)]}, callback ids
    named after META, in a NAMES block before that EVENTS block (and in
    the INDEX). seqno_delta: fence seqnos as the document encodes them
    (see above). starts: a list given gets the offset where each EVENTS
    block begins."""
    names = names or {}
    assert all(k % per_block == 0 for k in names), "NAMES go before a block"
    minor = 2 if stacks else 0
    data = bytearray(b"\x89NTR\r\n\x1a\n" + struct.pack("<HHI", 1, minor, 0))
    payload = meta_payload(meta)
    data += block(1, 0, 2, payload)
    seq, ends, runs = 1, [], []
    table = Stacks()
    for i in range(0, len(events), per_block):
        part = events[i:i + per_block]
        for k in range(i, i + len(part)):
            if stacks and k in stacks:
                events[k]["stack"] = table.add(stacks[k])
        payload, count = table.payload()
        if count:
            data += block(3, seq, count, payload)
            seq += 1
        if i in names:
            data += block(4, seq, len(names[i]), b"".join(callback_tlv(*n) for n in names[i]))
            seq += 1
        if starts is not None:
            starts.append(len(data))
        lo, hi = min(e["ts"] for e in part), max(e["ts"] for e in part)
        runs.append((len(data), seq, len(part), lo, hi))
        data += block(2, seq, len(part), encode(part, seqno_delta), (lo, hi))
        ends.append(len(data))
        seq += 1
    if close:
        index = bytearray(varint(len(runs)))
        po = ps = pt = 0
        for off, s, n, lo, hi in runs:
            index += varint(off - po) + varint(s - ps) + varint(1) + varint(n) + zz(lo - pt) + \
                varint(hi - lo)
            po, ps, pt = off, s, lo
        for cid, driver, _ in meta.get("callbacks", []):
            index += callback_tlv(cid, driver)
        for k in sorted(names):
            index += b"".join(callback_tlv(*n) for n in names[k])
        index_off = len(data)
        data += block(5, seq, len(runs), bytes(index))
        data += block(6, seq + 1, 0, struct.pack("<QQQ", index_off, len(events), seq + 2))
    with open(path, "wb") as f:
        f.write(data)
    return ends
