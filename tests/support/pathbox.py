#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""pathbox: rewrite a capture the way a box on the path (or a capture point) would, for
`vnicemu diff` tests. Independent of vnicemu's code: raw bytes, its own header parsing and
checksums. Reads and writes classic pcap (Ethernet or raw IP in, the same link type out unless
a box changes it).

  pathbox.py BOX IN.pcap OUT.pcap [options]

Boxes (the path stages of issue 13 by name, then capture-point effects):
  seqrand --inside ADDR --delta N   ISN randomization (a Cisco ASA's default): segments from
                                    ADDR get seq + N, segments to it ack + N and their SACK
                                    blocks + N (what the outside sees)
  optstrip [--kinds 19,29]          the options of those kinds overwritten with NOPs in place
  nat --inside ADDR --outside ADDR [--port P]   source NAT: ADDR -> ADDR in segments from the
                                    inside host (and its port -> P), the destination back in
                                    segments to it
  window (--value N | --clamp N) [--syn-only]   the TCP window rewritten or clamped
  mss-clamp --mss N                 the MSS option of SYNs lowered to N
  fragment --mtu N [--clear-df]     IPv4 packets longer than N fragmented (DF=0; with DF=1
                                    dropped, unless --clear-df clears DF first)
  double                            every frame twice (a SPAN port)
  cut --snaplen N                   frames cut to N bytes (the original length kept)
  trim [--head N] [--tail N]        the first / last N frames left out
  sll2                              Ethernet headers replaced by Linux cooked v2 (-i any)
  ttl                               the IPv4 TTL / IPv6 hop limit decremented (a router)

Output is written to a temporary name and renamed.
"""
import argparse
import ipaddress
import os
import struct
import sys

LINK_ETH, LINK_RAW, LINK_SLL2 = 1, 101, 276


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xa1b2c3d4, 0xa1b23c4d):
        e = "<"
    elif magic in (0xd4c3b2a1, 0x4d3cb2a1):
        e = ">"
    else:
        sys.exit("%s: not a classic pcap" % path)
    hdr = data[:24]
    link = struct.unpack(e + "I", data[20:24])[0]
    recs, pos = [], 24
    while pos + 16 <= len(data):
        sec, frac, cap, orig = struct.unpack(e + "IIII", data[pos:pos + 16])
        recs.append([sec, frac, orig, bytearray(data[pos + 16:pos + 16 + cap])])
        pos += 16 + cap
    return e, hdr, link, recs


def write_pcap(path, e, hdr, link, recs):
    out = bytearray(hdr[:20]) + struct.pack(e + "I", link)
    for sec, frac, orig, frame in recs:
        out += struct.pack(e + "IIII", sec, frac, len(frame), max(orig, len(frame))) + frame
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "wb") as f:
        f.write(out)
    os.replace(tmp, path)


def csum(data, start=0):
    if len(data) % 2:
        data = bytes(data) + b"\0"
    s = start + sum(struct.unpack("!%dH" % (len(data) // 2), bytes(data)))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s


class Pkt:
    """The IP and TCP headers of a frame, by offset; None when not TCP over IPv4/IPv6."""

    def __init__(self, frame, link):
        self.f = frame
        self.l3 = 14 if link == LINK_ETH else 20 if link == LINK_SLL2 else 0
        if link == LINK_ETH and struct.unpack("!H", frame[12:14])[0] not in (0x0800, 0x86dd):
            self.ok = False
            return
        v = frame[self.l3] >> 4
        self.v6 = v == 6
        if self.v6:
            self.ihl = 40
            self.proto = frame[self.l3 + 6]
            self.iplen = 40 + struct.unpack("!H", frame[self.l3 + 4:self.l3 + 6])[0]
            self.frag = 0
        else:
            self.ihl = (frame[self.l3] & 15) * 4
            self.proto = frame[self.l3 + 9]
            self.iplen = struct.unpack("!H", frame[self.l3 + 2:self.l3 + 4])[0]
            self.frag = struct.unpack("!H", frame[self.l3 + 6:self.l3 + 8])[0]
        self.l4 = self.l3 + self.ihl
        self.ok = self.proto == 6 and not (self.frag & 0x3fff) and \
            len(frame) >= self.l4 + 20
        if self.ok:
            self.thlen = (frame[self.l4 + 12] >> 4) * 4

    def addr(self, src):
        o = self.l3 + (8 if src else 24) if self.v6 else self.l3 + (12 if src else 16)
        n = 16 if self.v6 else 4
        return ipaddress.ip_address(bytes(self.f[o:o + n])), o

    def get32(self, off):
        return struct.unpack("!I", self.f[self.l4 + off:self.l4 + off + 4])[0]

    def put32(self, off, v):
        self.f[self.l4 + off:self.l4 + off + 4] = struct.pack("!I", v & 0xffffffff)

    def flags(self):
        return self.f[self.l4 + 13]

    def options(self):
        """(kind, offset from the TCP header, length) of each option."""
        t, out, i = self.l4, [], 20
        while i < self.thlen:
            k = self.f[t + i]
            if k == 0:
                break
            if k == 1:
                i += 1
                continue
            ln = self.f[t + i + 1]
            if ln < 2:
                break
            out.append((k, i, ln))
            i += ln
        return out

    def fix(self):
        """Recompute the IPv4 header checksum and the TCP checksum (whole frames only)."""
        f, l3, l4 = self.f, self.l3, self.l4
        if not self.v6:
            f[l3 + 10:l3 + 12] = b"\0\0"
            f[l3 + 10:l3 + 12] = struct.pack("!H", ~csum(f[l3:l4]) & 0xffff)
        end = l3 + self.iplen
        if end > len(f):
            return  # cut by the snaplen: leave it
        tcplen = end - l4
        if self.v6:
            ph = f[l3 + 8:l3 + 40] + struct.pack("!IxxxB", tcplen, 6)
        else:
            ph = f[l3 + 12:l3 + 20] + struct.pack("!xBH", 6, tcplen)
        f[l4 + 16:l4 + 18] = b"\0\0"
        f[l4 + 16:l4 + 18] = struct.pack("!H", ~csum(f[l4:end], csum(ph)) & 0xffff)


def box_seqrand(a, link, recs):
    inside = ipaddress.ip_address(a.inside)
    for r in recs:
        p = Pkt(r[3], link)
        if not p.ok:
            continue
        if p.addr(True)[0] == inside:
            p.put32(4, p.get32(4) + a.delta)
        elif p.addr(False)[0] == inside:
            if p.flags() & 0x10:
                p.put32(8, p.get32(8) + a.delta)
            for k, o, ln in p.options():
                if k == 5:  # SACK blocks acknowledge the inside host's bytes
                    for b in range(o + 2, o + ln, 4):
                        p.put32(b, p.get32(b) + a.delta)
        else:
            continue
        p.fix()
    return recs


def box_optstrip(a, link, recs):
    kinds = {int(k) for k in a.kinds.split(",")}
    for r in recs:
        p = Pkt(r[3], link)
        if not p.ok:
            continue
        hit = False
        for k, o, ln in p.options():
            if k in kinds:
                r[3][p.l4 + o:p.l4 + o + ln] = b"\x01" * ln
                hit = True
        if hit:
            p.fix()
    return recs


def box_nat(a, link, recs):
    inside, outside = ipaddress.ip_address(a.inside), ipaddress.ip_address(a.outside)
    for r in recs:
        p = Pkt(r[3], link)
        if not p.ok:
            continue
        for src in (True, False):
            ad, off = p.addr(src)
            if ad == inside:
                r[3][off:off + len(outside.packed)] = outside.packed
                if a.port is not None:
                    o = p.l4 + (0 if src else 2)
                    r[3][o:o + 2] = struct.pack("!H", a.port)
                p.fix()
                break
    return recs


def box_window(a, link, recs):
    for r in recs:
        p = Pkt(r[3], link)
        if not p.ok or (a.syn_only and not p.flags() & 2):
            continue
        w = struct.unpack("!H", r[3][p.l4 + 14:p.l4 + 16])[0]
        nw = a.value if a.value is not None else min(w, a.clamp)
        if nw != w:
            r[3][p.l4 + 14:p.l4 + 16] = struct.pack("!H", nw)
            p.fix()
    return recs


def box_mss_clamp(a, link, recs):
    for r in recs:
        p = Pkt(r[3], link)
        if not p.ok or not p.flags() & 2:
            continue
        for k, o, ln in p.options():
            if k == 2 and ln == 4:
                m = struct.unpack("!H", r[3][p.l4 + o + 2:p.l4 + o + 4])[0]
                if m > a.mss:
                    r[3][p.l4 + o + 2:p.l4 + o + 4] = struct.pack("!H", a.mss)
                    p.fix()
    return recs


def box_fragment(a, link, recs):
    out = []
    for r in recs:
        p = Pkt(r[3], link)
        if not p.ok or p.v6 or p.iplen <= a.mtu:
            out.append(r)
            continue
        f, l3 = r[3], p.l3
        if a.clear_df:
            f[l3 + 6] &= ~0x40
            p.fix()
        if f[l3 + 6] & 0x40:
            continue  # DF: dropped, needs fragmentation
        hdr, data = f[:l3 + p.ihl], f[l3 + p.ihl:l3 + p.iplen]
        step = (a.mtu - p.ihl) // 8 * 8
        for off in range(0, len(data), step):
            piece = data[off:off + step]
            h = bytearray(hdr)
            mf = 0x2000 if off + step < len(data) else 0
            h[l3 + 2:l3 + 4] = struct.pack("!H", p.ihl + len(piece))
            h[l3 + 6:l3 + 8] = struct.pack("!H", mf | (off // 8))
            h[l3 + 10:l3 + 12] = b"\0\0"
            h[l3 + 10:l3 + 12] = struct.pack("!H", ~csum(h[l3:l3 + p.ihl]) & 0xffff)
            frame = h + piece
            out.append([r[0], r[1], len(frame), frame])
    return out


def box_double(a, link, recs):
    out = []
    for r in recs:
        out += [r, [r[0], r[1], r[2], bytearray(r[3])]]
    return out


def box_cut(a, link, recs):
    for r in recs:
        r[2] = max(r[2], len(r[3]))
        del r[3][a.snaplen:]
    return recs


def box_trim(a, link, recs):
    return recs[a.head:len(recs) - a.tail]


def box_sll2(a, link, recs):
    if link != LINK_ETH:
        sys.exit("sll2: the input must be Ethernet")
    for r in recs:
        f = r[3]
        r[3] = f[12:14] + b"\0\0" + struct.pack("!IHBB", 2, 1, 4, 6) + f[6:12] + b"\0\0" + f[14:]
    return recs


def box_ttl(a, link, recs):
    for r in recs:
        p = Pkt(r[3], link)
        if not p.ok:
            continue
        o = p.l3 + (7 if p.v6 else 8)
        r[3][o] -= 1
        p.fix()
    return recs


def main():
    ap = argparse.ArgumentParser(description="rewrite a capture as a box on the path would")
    sub = ap.add_subparsers(dest="box", required=True)
    p = sub.add_parser("seqrand")
    p.add_argument("--inside", required=True)
    p.add_argument("--delta", type=int, required=True)
    p = sub.add_parser("optstrip")
    p.add_argument("--kinds", default="19")
    p = sub.add_parser("nat")
    p.add_argument("--inside", required=True)
    p.add_argument("--outside", required=True)
    p.add_argument("--port", type=int)
    p = sub.add_parser("window")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--value", type=int)
    g.add_argument("--clamp", type=int)
    p.add_argument("--syn-only", action="store_true")
    p = sub.add_parser("mss-clamp")
    p.add_argument("--mss", type=int, required=True)
    p = sub.add_parser("fragment")
    p.add_argument("--mtu", type=int, required=True)
    p.add_argument("--clear-df", action="store_true")
    sub.add_parser("double")
    p = sub.add_parser("cut")
    p.add_argument("--snaplen", type=int, required=True)
    p = sub.add_parser("trim")
    p.add_argument("--head", type=int, default=0)
    p.add_argument("--tail", type=int, default=0)
    sub.add_parser("sll2")
    sub.add_parser("ttl")
    for s in sub.choices.values():
        s.add_argument("inp")
        s.add_argument("out")
    a = ap.parse_args()
    e, hdr, link, recs = read_pcap(a.inp)
    if link not in (LINK_ETH, LINK_RAW, LINK_SLL2):
        sys.exit("%s: link type %d not handled" % (a.inp, link))
    recs = globals()["box_" + a.box.replace("-", "_")](a, link, recs)
    write_pcap(a.out, e, hdr, LINK_SLL2 if a.box == "sll2" else link, recs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
