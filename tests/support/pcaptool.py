#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Classic pcap surgery for tests, standard library only (the files tcpdump writes: either byte
order, micro- or nanosecond timestamps). Outputs are written to a temporary name and renamed.

  pcaptool.py snaplen IN OUT N
      Every record cut to its first N bytes, as `tcpdump -s N` captures: the captured length
      shrinks, the original length (on the wire) stays, the header's snaplen becomes N.
  pcaptool.py grow-ip IN OUT FRAME BYTES
      Frame FRAME (from 1, Ethernet) claims BYTES more in its IPv4 total length (header checksum
      fixed) or IPv6 payload length than it has: the packet itself is short (tcpdump:
      "truncated-ip"), though the capture holds all of it.
  pcaptool.py cat OUT IN...
      The records of every IN in order, in one file (all of one link type).
"""
import os
import struct
import sys


def read(path):
    with open(path, "rb") as f:
        d = f.read()
    magic = struct.unpack("<I", d[:4])[0]
    if magic in (0xa1b2c3d4, 0xa1b23c4d):
        e = "<"
    elif magic in (0xd4c3b2a1, 0x4d3cb2a1):
        e = ">"
    else:
        sys.exit("%s: not a classic pcap file" % path)
    hdr = list(struct.unpack(e + "IHHiIII", d[:24]))
    recs, o = [], 24
    while o + 16 <= len(d):
        sec, frac, cl, ol = struct.unpack(e + "IIII", d[o:o + 16])
        recs.append([sec, frac, ol, bytearray(d[o + 16:o + 16 + cl])])
        o += 16 + cl
    return e, hdr, recs


def write(path, e, hdr, recs):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "wb") as f:
        f.write(struct.pack(e + "IHHiIII", *hdr))
        for sec, frac, ol, data in recs:
            f.write(struct.pack(e + "IIII", sec, frac, len(data), ol))
            f.write(data)
    os.replace(tmp, path)


def ipv4_csum(h):
    s = sum(struct.unpack("!%dH" % (len(h) // 2), bytes(h)))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def main():
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "snaplen" and len(sys.argv) == 5:
        e, hdr, recs = read(sys.argv[2])
        n = int(sys.argv[4])
        hdr[5] = n
        for r in recs:
            del r[3][n:]
        write(sys.argv[3], e, hdr, recs)
    elif cmd == "grow-ip" and len(sys.argv) == 6:
        e, hdr, recs = read(sys.argv[2])
        frame, more = int(sys.argv[4]), int(sys.argv[5])
        d = recs[frame - 1][3]
        ip = 14
        if d[ip] >> 4 == 4:
            struct.pack_into("!H", d, ip + 2, struct.unpack_from("!H", d, ip + 2)[0] + more)
            ihl = (d[ip] & 15) * 4
            struct.pack_into("!H", d, ip + 10, 0)
            struct.pack_into("!H", d, ip + 10, ipv4_csum(d[ip:ip + ihl]))
        else:
            struct.pack_into("!H", d, ip + 4, struct.unpack_from("!H", d, ip + 4)[0] + more)
        write(sys.argv[3], e, hdr, recs)
    elif cmd == "cat" and len(sys.argv) >= 4:
        out, recs, first = sys.argv[2], [], None
        for path in sys.argv[3:]:
            e, hdr, r = read(path)
            if first is None:
                first = (e, hdr)
            elif hdr[6] != first[1][6]:
                sys.exit("%s: another link type" % path)
            recs += r
        write(out, first[0], first[1], recs)
    else:
        sys.exit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main())
