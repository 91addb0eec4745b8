#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""pcapng files libpcap 1.10 refuses and tshark reads, made from classic pcaps, standard library
only (pcapng per draft-ietf-opsawg-pcapng). Outputs are written to a temporary name and renamed.

  mkpcapng.py two-links OUT A.pcap B.pcap
      One section, little-endian: interface 0 with A's link type (microseconds), interface 1
      with B's (if_tsresol 9: nanoseconds, if_tsoffset 0); the frames of both as Enhanced
      Packet Blocks ordered by time (A's first on a tie); a block of an undefined type (0x100),
      a Name Resolution Block and an Interface Statistics Block in between, to be skipped.
  mkpcapng.py two-orders OUT A.pcap B.pcap
      Two sections: the first little-endian with A's frames, the second big-endian with B's
      (its interface with if_tsresol 3, milliseconds, and if_tsoffset 7 seconds); each frame
      as an Enhanced Packet Block, B's last one as an obsolete Packet Block.
  mkpcapng.py cut IN OUT BYTES
      IN without its last BYTES bytes (a capture whose writer was killed).
"""
import os
import struct
import sys


def read_pcap(path):
    with open(path, "rb") as f:
        d = f.read()
    magic = struct.unpack("<I", d[:4])[0]
    if magic in (0xa1b2c3d4, 0xa1b23c4d):
        e = "<"
    elif magic in (0xd4c3b2a1, 0x4d3cb2a1):
        e = ">"
    else:
        sys.exit("%s: not a classic pcap file" % path)
    nsec = struct.unpack(e + "I", d[:4])[0] == 0xa1b23c4d
    linktype = struct.unpack(e + "I", d[20:24])[0] & 0x03FFFFFF
    recs, o = [], 24
    while o + 16 <= len(d):
        sec, frac, cl, ol = struct.unpack(e + "IIII", d[o:o + 16])
        ns = sec * 10**9 + (frac if nsec else frac * 1000)
        recs.append((ns, ol, d[o + 16:o + 16 + cl]))
        o += 16 + cl
    return linktype, recs


def pad4(b):
    return b + b"\0" * (-len(b) % 4)


def block(e, btype, body):
    body = pad4(body)
    n = 12 + len(body)
    return struct.pack(e + "II", btype, n) + body + struct.pack(e + "I", n)


def option(e, code, value):
    return struct.pack(e + "HH", code, len(value)) + pad4(value)


def shb(e):
    return block(e, 0x0A0D0D0A, struct.pack(e + "IHHq", 0x1A2B3C4D, 1, 0, -1))


def idb(e, linktype, opts=b""):
    if opts:
        opts += option(e, 0, b"")
    return block(e, 1, struct.pack(e + "HHI", linktype, 0, 0) + opts)


def epb(e, iface, ts, orig, data):
    return block(e, 6, struct.pack(e + "IIIII", iface, ts >> 32, ts & 0xFFFFFFFF, len(data), orig)
                 + data)


def pb(e, iface, ts, orig, data):
    return block(e, 2, struct.pack(e + "HHIIII", iface, 0, ts >> 32, ts & 0xFFFFFFFF, len(data),
                                   orig) + data)


def write(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, path)


def two_links(out, a, b):
    e = "<"
    lta, ra = read_pcap(a)
    ltb, rb = read_pcap(b)
    d = shb(e) + idb(e, lta) + idb(e, ltb, option(e, 9, b"\x09") + option(e, 14, struct.pack(e + "q", 0)))
    frames = sorted([(ns, 0, i, orig, data) for i, (ns, orig, data) in enumerate(ra)] +
                    [(ns, 1, i, orig, data) for i, (ns, orig, data) in enumerate(rb)])
    for k, (ns, iface, _, orig, data) in enumerate(frames):
        d += epb(e, iface, ns // 1000 if iface == 0 else ns, orig, data)
        if k == 0:
            d += block(e, 0x00000100, b"a block type nobody defined")
            d += block(e, 4, struct.pack(e + "HH", 0, 0))  # NRB: only its end
        if k == 1:
            d += block(e, 5, struct.pack(e + "IIII", 0, 0, 0, 0))  # ISB, no options
    write(out, d)


def two_orders(out, a, b):
    lta, ra = read_pcap(a)
    ltb, rb = read_pcap(b)
    d = shb("<") + idb("<", lta)
    for ns, orig, data in ra:
        d += epb("<", 0, ns // 1000, orig, data)
    e = ">"
    d += shb(e) + idb(e, ltb, option(e, 9, b"\x03") + option(e, 14, struct.pack(e + "q", 7)))
    for i, (ns, orig, data) in enumerate(rb):
        ms = ns // 10**6 - 7000
        d += (pb if i == len(rb) - 1 else epb)(e, 0, ms, orig, data)
    write(out, d)


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "two-links":
        two_links(*sys.argv[2:])
    elif len(sys.argv) == 5 and sys.argv[1] == "two-orders":
        two_orders(*sys.argv[2:])
    elif len(sys.argv) == 5 and sys.argv[1] == "cut":
        with open(sys.argv[2], "rb") as f:
            d = f.read()
        write(sys.argv[3], d[:len(d) - int(sys.argv[4])])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
