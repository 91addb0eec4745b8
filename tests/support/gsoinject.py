#!/usr/bin/env python3
"""gsoinject.py IFACE PCAP: send every frame of PCAP on IFACE, as a guest's TSO would.

Each frame (Ethernet, IPv4 or IPv6 TCP) goes through a packet socket with a virtio_net_hdr
(PACKET_VNET_HDR): one whose IP packet is longer than IFACE's MTU goes as a GSO request
(gso_size: the MTU less the IP and TCP headers), so the kernel carries it as a super-frame where
IFACE offers TSO, and cuts it into segments itself (software GSO, every header and option
copied) where it does not. Prints "FRAMES SUPER SEGMENTS": the frames sent, how many were GSO
requests, and how many segments those make at that MTU.
"""
import socket
import struct
import sys

from scapy.all import RawPcapReader

SOL_PACKET, PACKET_VNET_HDR = 263, 15
GSO_TCPV4, GSO_TCPV6, NEEDS_CSUM = 1, 4, 1


def main():
    iface, path = sys.argv[1], sys.argv[2]
    with open(f"/sys/class/net/{iface}/mtu") as f:
        mtu = int(f.read())
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
    s.bind((iface, 0))
    frames = supers = segments = 0
    for data, _ in RawPcapReader(path):
        hdr = bytes(10)  # no offload
        et = struct.unpack("!H", data[12:14])[0]
        if et in (0x0800, 0x86DD):
            if et == 0x0800:
                l4 = 14 + (data[14] & 15) * 4
                iplen = struct.unpack("!H", data[16:18])[0]
            else:  # no extension headers in these sessions
                l4 = 14 + 40
                iplen = 40 + struct.unpack("!H", data[18:20])[0]
            thl = (data[l4 + 12] >> 4) * 4
            mss = mtu - (l4 - 14) - thl
            if iplen > mtu:
                gtype = GSO_TCPV4 if et == 0x0800 else GSO_TCPV6
                hdr = struct.pack("<BBHHHH", NEEDS_CSUM, gtype, l4 + thl, mss, l4, 16)
                supers += 1
                segments += -(-(iplen - (l4 - 14) - thl) // mss)
        s.send(hdr + data)
        frames += 1
    print(frames, supers, segments)


if __name__ == "__main__":
    main()
