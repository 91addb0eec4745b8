#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Play a capture's Ethernet frames into two VDE networks, in capture order: frames from the
guest hosts into the guest switch, the others into the wire switch, each through a `vde_plug`
(its stdin stream: a 2-byte big-endian length, then the frame). A test's stand-in for hosts
that speak what no kernel here does (TCP-AO). Standard library only.

  vdeinject.py PCAP --guest URL --wire URL --guest-hosts ADDR[,ADDR...] [--gap SECONDS]
"""
import argparse
import ipaddress
import struct
import subprocess
import sys
import time


def frames(path):
    with open(path, "rb") as f:
        d = f.read()
    e = "<" if d[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    if struct.unpack(e + "I", d[20:24])[0] != 1:
        sys.exit("%s: not Ethernet" % path)
    o = 24
    while o + 16 <= len(d):
        cl = struct.unpack(e + "I", d[o + 8:o + 12])[0]
        yield d[o + 16:o + 16 + cl]
        o += 16 + cl


def source(frame):
    et = struct.unpack("!H", frame[12:14])[0]
    if et == 0x0800:
        return ipaddress.ip_address(frame[26:30])
    if et == 0x86dd:
        return ipaddress.ip_address(frame[22:38])
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("pcap")
    ap.add_argument("--guest", required=True)
    ap.add_argument("--wire", required=True)
    ap.add_argument("--guest-hosts", required=True)
    ap.add_argument("--gap", type=float, default=0.05)
    a = ap.parse_args()
    hosts = {ipaddress.ip_address(h) for h in a.guest_hosts.split(",")}
    plugs = {k: subprocess.Popen(["vde_plug", url], stdin=subprocess.PIPE,
                                 stdout=subprocess.DEVNULL)
             for k, url in (("guest", a.guest), ("wire", a.wire))}
    time.sleep(0.5)  # both plugs joined their switches
    n = 0
    for fr in frames(a.pcap):
        p = plugs["guest" if source(fr) in hosts else "wire"]
        p.stdin.write(struct.pack("!H", len(fr)) + fr)
        p.stdin.flush()
        n += 1
        time.sleep(a.gap)
    time.sleep(0.5)
    for p in plugs.values():
        p.stdin.close()
        p.wait(timeout=5)
    print("vdeinject: %d frames" % n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
