#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""TCP-AO oracle: signs and checks whole sessions with scapy.contrib.tcpao, independently of
vnicemu's C code (Debian's python3-scapy 2.5.0 under /usr/bin/python3).

  ao_oracle.py sign SPEC.json OUT.pcap [--keys FILE] [--isns FILE]
      Whole TCP sessions from a small JSON spec (see tests/data/ao/*.json): handshake,
      data both ways, FINs; IPv4 or IPv6; every algorithm; exclude-options; ISNs near 2^32
      so later segments carry SNE 1; several MKTs per session (key rollover by KeyID);
      segments longer than the MSS (signed TSO super-frames); unsigned segments (MKT index
      -1). --keys writes the matching `ao ...` key lines (--both-views: as each end holds
      them), --isns the endpoints' ISNs as ADDR.PORT=ISN lines.
  ao_oracle.py check PCAP KEYFILE [--isn ADDR.PORT=ISN]... [--isn-file FILE]
      One line per TCP frame, `FRAME VERDICT` (frames numbered from 1): valid, invalid,
      missing, unexpected, unknown-key, no-isn, unsigned, malformed. ISNs are learnt from SYN
      and SYN-ACK (or given), the SNE of each direction is tracked here.
  ao_oracle.py flipcheck PCAP KEYFILE [--frames N] [--payload-samples N]
      For frames `check` finds valid: flip one bit of each covered byte (addresses, TCP
      header but its checksum, options unless excluded, payload samples) and recompute with
      the same MKT, ISNs and SNE: every flip must be invalid, every flip of an excluded
      option's data must stay valid. Exit 1 otherwise.
  ao_oracle.py mutate IN.pcap OUT.pcap --every N [--seed S]
      Flip one random bit of every Nth signed non-SYN segment, in a field whose change keeps
      a tracker's state (window, urgent pointer, acknowledgment, timestamps, KeyIDs, MAC,
      payload). The mutated frame numbers go to stderr.
  ao_oracle.py cut IN.pcap OUT.pcap [--from N] [--no-syn]
      Frames N.. only, or without SYNs: captures that start mid-connection.
  ao_oracle.py vectors RFC9235.tsv
      The oracle itself on the RFC 9235 vectors: traffic keys and MACs.

Signing computes the traffic key and the MAC with calc_tcpao_traffic_key() and
calc_tcpao_mac() over the packet with a zero MAC, then writes the MAC in: scapy 2.5.0's
sign_tcpao() MACs the MAC a second time. hmac-sha-256-N (which scapy lacks) is added here as
Linux defines it: the RFC 5926 KDF construction with HMAC-SHA-256, the MAC cut to N bits.
Outputs are written to a temporary name and renamed.
"""
import argparse
import hashlib
import hmac
import ipaddress
import json
import os
import random
import struct
import sys

import logging

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)

from scapy.all import RawPcapReader, wrpcap  # noqa: E402
from scapy.contrib import tcpao  # noqa: E402
from scapy.layers.inet import IP, TCP  # noqa: E402
from scapy.layers.inet6 import IPv6  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402
from scapy.packet import Padding, Raw  # noqa: E402
from scapy.config import conf  # noqa: E402


class HmacSha256N(tcpao.TCPAOAlg):
    """hmac-sha-256-N as Linux's TCP_AO_ADD_KEY with "hmac(sha256)" and maclen N/8."""

    def __init__(self, maclen):
        self.maclen = maclen

    def kdf(self, master_key, context):
        return hmac.new(master_key, b"\x01TCP-AO" + context + b"\x01\x00",
                        hashlib.sha256).digest()

    def mac(self, traffic_key, message):
        return hmac.new(traffic_key, message, hashlib.sha256).digest()[:self.maclen]


def get_alg(name):
    n = name.lower()
    if n in ("hmac-sha-1-96", "aes-128-cmac-96"):
        return tcpao.get_alg(n)
    if n.startswith("hmac-sha-256-"):
        bits = int(n[len("hmac-sha-256-"):])
        if bits % 8 or not 8 <= bits <= 128:
            raise ValueError("bad hmac-sha-256-N")
        return HmacSha256N(bits // 8)
    raise ValueError("unknown algorithm " + name)


def secret_bytes(tok):
    return bytes.fromhex(tok[4:]) if tok.startswith("hex:") else tok.encode()


class MKT:
    """One Master Key Tuple as the host whose peer is `net` holds it."""

    def __init__(self, net, sendid, recvid, alg_name, exclude, secret):
        self.net = net
        self.sendid, self.recvid = sendid, recvid
        self.alg_name = alg_name
        self.alg = get_alg(alg_name)
        self.exclude = exclude
        self.secret = secret

    def covers(self, addr):
        if self.net is None:
            return True
        a = ipaddress.ip_address(addr)
        return a.version == self.net.version and a in self.net

    def line(self):
        net = "*" if self.net is None else str(self.net)
        return "ao %s %d:%d %s%s hex:%s" % (net, self.sendid, self.recvid, self.alg_name,
                                            " exclude-options" if self.exclude else "",
                                            self.secret.hex())


def read_keys(path):
    mkts = []
    with open(path) as f:
        for no, line in enumerate(f, 1):
            t = line.split()
            if not t or t[0].startswith("#") or t[0] != "ao":
                continue
            try:
                exclude = len(t) == 6
                if len(t) not in (5, 6) or (exclude and t[4] != "exclude-options"):
                    raise ValueError("bad ao line")
                net = None if t[1] == "*" else ipaddress.ip_network(t[1], strict=False)
                s, r = t[2].split(":")
                mkts.append(MKT(net, int(s), int(r), t[3], exclude, secret_bytes(t[-1])))
            except ValueError as e:
                sys.exit("%s:%d: %s" % (path, no, e))
    return mkts


def prefixlen(m):
    return -1 if m.net is None else m.net.prefixlen


# ---- frames ----


def tcp_options_raw(tcp_bytes):
    """(kind, offset, length) of each option in a raw TCP header; stops at EOL."""
    doff = (tcp_bytes[12] >> 4) * 4
    out, i = [], 20
    while i < doff:
        kind = tcp_bytes[i]
        if kind == 0:
            break
        if kind == 1:
            i += 1
            continue
        if i + 1 >= doff or tcp_bytes[i + 1] < 2 or i + tcp_bytes[i + 1] > doff:
            return None
        out.append((kind, i, tcp_bytes[i + 1]))
        i += tcp_bytes[i + 1]
    return out


def dissect(linktype, raw):
    cls = conf.l2types.get(linktype)
    if cls is None:
        return None
    pkt = cls(raw)
    if Padding in pkt:
        pkt[Padding].underlayer.remove_payload()
    return pkt


def tcp_of(pkt):
    """The TCP layer right above IP or IPv6 (what scapy.contrib.tcpao can hash), or None."""
    if pkt is None or TCP not in pkt:
        return None
    tcp = pkt[TCP]
    if not isinstance(tcp.underlayer, (IP, IPv6)):
        return None
    if isinstance(tcp.underlayer, IP) and (tcp.underlayer.frag or tcp.underlayer.flags.MF):
        return None
    return tcp


def ip_src_dst(tcp):
    return tcp.underlayer.src, tcp.underlayer.dst


def tcp_mac(pkt, m, sisn, disn, sne):
    tk = tcpao.calc_tcpao_traffic_key(pkt, m.alg, m.secret, sisn, disn)
    return tcpao.calc_tcpao_mac(pkt, m.alg, tk, include_options=not m.exclude, sne=sne)


# ---- sign ----


def payload_bytes(n, salt):
    return bytes((i * 7 + salt) & 0xff for i in range(n))


def build_session(spec, sno, both_views):
    fam = spec.get("family", 4)
    c, s = spec["client"], spec["server"]
    port = {"c": spec.get("cport", 40000 + sno), "s": spec.get("sport", 179)}
    addr = {"c": c, "s": s}
    mac = {"c": "02:00:00:00:00:01", "s": "02:00:00:00:00:02"}
    isn = {"c": spec["client_isn"] & 0xffffffff, "s": spec["server_isn"] & 0xffffffff}
    nxt = dict(isn)  # next sequence number, 64 bits: SNE in the high half
    peer = ipaddress.ip_network(s if spec.get("view", "client") == "client" else c)
    mkts = []
    for m in spec["mkts"]:
        snd, rcv = m["ids"]
        mkts.append(MKT(peer, snd, rcv, m["alg"], m.get("exclude_options", False),
                        secret_bytes(m["secret"])))
    # the same MKTs as the server holds them
    server_lines = [MKT(ipaddress.ip_network(c), m.recvid, m.sendid, m.alg_name, m.exclude,
                        m.secret).line() for m in mkts]
    client_lines = [m.line() for m in mkts]
    if both_views:
        lines = client_lines + server_lines
    elif spec.get("view", "client") == "server":
        lines = server_lines
    else:
        lines = client_lines
    mss = spec.get("mss", 1448 if fam == 4 else 1428)
    frames = []
    ts = [1000 + sno * 100]
    seen_ts = {"c": 0, "s": 0}

    def emit(frm, flags, plen, mi):
        to = "s" if frm == "c" else "c"
        m = mkts[mi] if mi >= 0 else None
        if m:
            keyid, rnext = (m.sendid, m.recvid) if frm == "c" else (m.recvid, m.sendid)
            ao = ("AO", bytes([keyid, rnext]) + b"\0" * m.alg.maclen)
        else:
            ao = ("NOP", None)
        ts[0] += 7
        tsopt = ("Timestamp", (ts[0], seen_ts[to]))
        seen_ts[frm] = ts[0]
        if "S" in flags:
            opts = [("MSS", mss), ("SAckOK", b""), tsopt, ("NOP", None), ("WScale", 7), ao]
        else:
            opts = [("NOP", None), ("NOP", None), tsopt, ao]
        seq64 = nxt[frm]
        ack = nxt[to] & 0xffffffff if "A" in flags else 0
        ipl = (IP(src=addr[frm], dst=addr[to], id=len(frames) + 1, ttl=64) if fam == 4
               else IPv6(src=addr[frm], dst=addr[to], hlim=64))
        tcp = TCP(sport=port[frm], dport=port[to], seq=seq64 & 0xffffffff, ack=ack,
                  flags=flags, window=502, options=opts)
        p = Ether(src=mac[frm], dst=mac[to]) / ipl / tcp
        if plen:
            p = p / Raw(payload_bytes(plen, len(frames)))
        p = p.__class__(bytes(p))  # fix lengths and the data offset before hashing
        if m:
            sisn = isn[frm]
            disn = 0 if flags == "S" else isn[to]
            mac_ = tcp_mac(p, m, sisn, disn, seq64 >> 32)
            p[TCP].options = opts[:-1] + [("AO", bytes([keyid, rnext]) + mac_)]
            p[TCP].chksum = None
            p = p.__class__(bytes(p))
        frames.append(p)
        nxt[frm] = seq64 + plen + (1 if ("S" in flags or "F" in flags) else 0)

    emit("c", "S", 0, 0)
    emit("s", "SA", 0, 0)
    emit("c", "A", 0, 0)
    for seg in spec.get("segments", []):
        frm, plen = seg[0], seg[1]
        mi = seg[2] if len(seg) > 2 else 0
        emit(frm, "PA" if plen else "A", plen, mi)
    if spec.get("close", True):
        last = spec["segments"][-1][2] if spec.get("segments") and len(spec["segments"][-1]) > 2 else 0
        emit("c", "FA", 0, last)
        emit("s", "FA", 0, last)
        emit("c", "A", 0, last)
    isn_lines = ["%s.%d=%d" % (addr[e], port[e], isn[e]) for e in ("c", "s")]
    return frames, lines, isn_lines


def write_atomic(path, write):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_lines(path, lines):
    def w(tmp):
        with open(tmp, "w") as f:
            f.write("".join(line + "\n" for line in lines))
    write_atomic(path, w)


def cmd_sign(a):
    with open(a.spec) as f:
        spec = json.load(f)
    frames, keys, isns = [], [], []
    for i, sess in enumerate(spec["sessions"]):
        fr, kl, il = build_session(sess, i, a.both_views)
        frames += fr
        keys += kl
        isns += il
    for k, p in enumerate(frames):
        p.time = 1700000000 + k / 100000  # the same spec always gives the same file
    write_atomic(a.out, lambda tmp: wrpcap(tmp, frames))
    if a.keys:
        write_lines(a.keys, keys)
    if a.isns:
        write_lines(a.isns, isns)
    return 0


# ---- check ----


class SNE:
    """A direction's 64-bit sequence number, unwrapped to the value nearest the furthest seen."""

    def __init__(self, isn):
        self.top = isn

    def sne(self, seq):
        hi = self.top >> 32
        cands = [(h << 32) | seq for h in (hi - 1, hi, hi + 1)]
        best = min(cands, key=lambda v: abs(v - self.top))
        self.top = max(self.top, best)
        return (best >> 32) & 0xffffffff


class Tracker:
    """ISNs per endpoint of each connection (from SYN / SYN-ACK or given) and SNE state."""

    def __init__(self, given):
        self.given = given  # {(addr, port): isn}
        self.isn = {}  # {(conn, endpoint): isn}
        self.dirs = {}  # {(conn, endpoint): SNE}

    @staticmethod
    def conn(src, sport, dst, dport):
        return tuple(sorted([(src, sport), (dst, dport)]))

    def _set(self, conn, ep, isn):
        self.isn[(conn, ep)] = isn
        self.dirs[(conn, ep)] = SNE(isn)

    def _get(self, conn, ep):
        if (conn, ep) not in self.isn and ep in self.given:
            self._set(conn, ep, self.given[ep])
        return self.isn.get((conn, ep))

    def learn(self, src, sport, dst, dport, flags, seq, ack):
        conn = self.conn(src, sport, dst, dport)
        if flags & 0x02 and not flags & 0x10:
            self._set(conn, (src, sport), seq)
            self.isn.pop((conn, (dst, dport)), None)
        elif flags & 0x02:
            self._set(conn, (src, sport), seq)
            if self._get(conn, (dst, dport)) is None:
                self._set(conn, (dst, dport), (ack - 1) & 0xffffffff)

    def isns(self, src, sport, dst, dport):
        conn = self.conn(src, sport, dst, dport)
        s, d = self._get(conn, (src, sport)), self._get(conn, (dst, dport))
        return None if s is None or d is None else (s, d)

    def sne(self, src, sport, seq, dst, dport):
        conn = self.conn(src, sport, dst, dport)
        return self.dirs[(conn, (src, sport))].sne(seq)


def judge(pkt, mkts, tracker):
    """(verdict, context) of one dissected frame; context = (mkt, sisn, disn, sne) if checked."""
    tcp = tcp_of(pkt)
    raw = bytes(tcp)
    src, dst = ip_src_dst(tcp)
    opts = tcp_options_raw(raw)
    flags, seq, ack = raw[13], tcp.seq, tcp.ack
    tracker.learn(src, tcp.sport, dst, tcp.dport, flags, seq, ack)
    if opts is None:
        return "malformed", None
    ao = [o for o in opts if o[0] == 29]
    if ao and any(o[0] == 19 for o in opts):
        return "malformed", None
    if len(ao) > 1 or (ao and ao[0][2] < 4):
        return "malformed", None
    covering = [m for m in mkts if m.covers(src) or m.covers(dst)]
    if not ao:
        return ("missing" if covering else "unsigned"), None
    if not covering:
        return "unexpected", None
    _, off, olen = ao[0]
    keyid = raw[off + 2]
    cands = [(prefixlen(m), 1, i, m) for i, m in enumerate(mkts)
             if m.covers(src) and m.recvid == keyid]
    cands += [(prefixlen(m), 0, i, m) for i, m in enumerate(mkts)
              if m.covers(dst) and m.sendid == keyid]
    if not cands:
        return "unknown-key", None
    m = max(cands, key=lambda c: (c[0], c[1], -c[2]))[3]
    if olen - 4 != m.alg.maclen:
        return "malformed", None
    # a SYN's key uses (its ISN, 0), a SYN-ACK's its ISN and the acknowledged one
    if flags & 0x02 and not flags & 0x10:
        sisn, disn, sne = seq, 0, 0
    else:
        if flags & 0x02:
            sisn, disn = seq, (ack - 1) & 0xffffffff
        else:
            pair = tracker.isns(src, tcp.sport, dst, tcp.dport)
            if pair is None:
                return "no-isn", None
            sisn, disn = pair
        sne = tracker.sne(src, tcp.sport, seq, dst, tcp.dport)
    mac = tcp_mac(pkt, m, sisn, disn, sne)
    ok = hmac.compare_digest(mac, raw[off + 4:off + olen])
    return ("valid" if ok else "invalid"), (m, sisn, disn, sne)


def parse_isn(s):
    ep, _, v = s.rpartition("=")
    a, _, p = ep.rpartition(".")
    return (str(ipaddress.ip_address(a)), int(p)), int(v, 0)


def given_isns(a):
    given = dict(parse_isn(s) for s in a.isn or [])
    if a.isn_file:
        with open(a.isn_file) as f:
            given.update(parse_isn(line.strip()) for line in f if line.strip())
    return given


def frames_of(path):
    r = RawPcapReader(path)
    try:
        lt = r.linktype
        for i, (raw, _) in enumerate(r, 1):
            yield i, lt, raw
    finally:
        r.close()


def run_check(path, mkts, given):
    tracker = Tracker(given)
    for i, lt, raw in frames_of(path):
        pkt = dissect(lt, raw)
        if tcp_of(pkt) is None:
            continue
        v, ctx = judge(pkt, mkts, tracker)
        yield i, lt, raw, pkt, v, ctx


def cmd_check(a):
    mkts = read_keys(a.keys)
    for i, _, _, _, v, _ in run_check(a.pcap, mkts, given_isns(a)):
        print(i, v)
    return 0


# ---- flipcheck, mutate, cut ----


def l3_l4(pkt, raw):
    tcp = tcp_of(pkt)
    l4 = len(raw) - len(bytes(tcp))
    l3 = len(raw) - len(bytes(tcp.underlayer))
    return l3, l4, tcp


def cmd_flipcheck(a):
    mkts = read_keys(a.keys)
    checked = [(i, lt, raw, pkt, ctx) for i, lt, raw, pkt, v, ctx in run_check(a.pcap, mkts, {})
               if v == "valid"]
    if not checked:
        print("flipcheck: no valid frame to flip", file=sys.stderr)
        return 1
    step = max(1, len(checked) // a.frames) if a.frames else 1
    flips = kept = failures = frames = 0
    for i, lt, raw, pkt, (m, sisn, disn, sne) in checked[::step]:
        frames += 1
        l3, l4, tcp = l3_l4(pkt, raw)
        v4 = isinstance(tcp.underlayer, IP)
        th = bytes(tcp)
        doff = (th[12] >> 4) * 4
        covered = list(range(l3 + 12, l3 + 20) if v4 else range(l3 + 8, l3 + 40))
        covered += [l4 + j for j in range(20) if j not in (16, 17)]
        excluded = []
        for kind, off, olen in tcp_options_raw(th):
            data = [l4 + off + j for j in range(2, olen)]
            if kind == 29 or not m.exclude:
                covered += data
            else:
                excluded += data
        plen = len(th) - doff
        samples = sorted({0, plen - 1} | {plen * k // a.payload_samples
                                          for k in range(a.payload_samples)}) if plen else []
        covered += [l4 + doff + j for j in samples if 0 <= j < plen]
        for pos, must_be_valid in [(p, False) for p in covered] + [(p, True) for p in excluded]:
            f = bytearray(raw)
            f[pos] ^= 0x01 if pos == l4 + 12 else 1 << (pos % 8)
            q = dissect(lt, bytes(f))
            t = tcp_of(q)
            qth = bytes(t)
            _, off, olen = [o for o in tcp_options_raw(qth) if o[0] == 29][0]
            ok = hmac.compare_digest(tcp_mac(q, m, sisn, disn, sne), qth[off + 4:off + olen])
            if must_be_valid:
                kept += 1
            else:
                flips += 1
            if ok != must_be_valid:
                failures += 1
                print("frame %d: flipping byte %d left it %s" % (i, pos, "valid" if ok else
                                                                  "invalid"), file=sys.stderr)
    print("flipcheck: %d frames, %d covered flips all invalid, %d excluded-option flips all valid"
          % (frames, flips, kept) if not failures else "flipcheck: %d failures" % failures)
    return 1 if failures else 0


def cmd_mutate(a):
    rng = random.Random(a.seed)
    out, lt0, n = [], None, 0
    for i, lt, raw in frames_of(a.inp):
        lt0 = lt
        pkt = dissect(lt, raw)
        tcp = tcp_of(pkt)
        f = bytearray(raw)
        if tcp is not None and not bytes(tcp)[13] & 0x02:
            th = bytes(tcp)
            opts = tcp_options_raw(th) or []
            ao = [o for o in opts if o[0] == 29]
            if ao:
                n += 1
                if n % a.every == 0:
                    _, l4, _ = l3_l4(pkt, raw)
                    pool = [14, 15, 18, 19, 8, 9, 10, 11]
                    for kind, off, olen in opts:
                        pool += range(off + 2, off + olen)
                    pool += range((th[12] >> 4) * 4, len(th))
                    pos = l4 + rng.choice(pool)
                    f[pos] ^= 1 << rng.randrange(8)
                    print("mutated %d byte %d" % (i, pos), file=sys.stderr)
        out.append(bytes(f))
    write_atomic(a.out, lambda tmp: write_raw_pcap(tmp, lt0 or 1, out))
    return 0


def write_raw_pcap(path, linktype, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, linktype))
        for k, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1, k * 10, len(fr), len(fr)))
            f.write(fr)


def cmd_cut(a):
    out, lt0 = [], 1
    for i, lt, raw in frames_of(a.inp):
        lt0 = lt
        tcp = tcp_of(dissect(lt, raw))
        if i >= a.start and not (a.no_syn and tcp is not None and bytes(tcp)[13] & 0x02):
            out.append(raw)
    write_atomic(a.out, lambda tmp: write_raw_pcap(tmp, lt0, out))
    return 0


def cmd_vectors(a):
    bad = n = 0
    with open(a.tsv) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            sec, _, alg, opts, isns, tk, mac, pkt = line.split()
            raw = bytes.fromhex(pkt)
            p = IP(raw) if raw[0] >> 4 == 4 else IPv6(raw)
            sisn, disn = (int(x, 16) for x in isns.split(","))
            m = get_alg(alg)
            key = tcpao.calc_tcpao_traffic_key(p, m, b"testvector", sisn, disn)
            got = tcpao.calc_tcpao_mac(p, m, key, include_options=opts == "covers", sne=0)
            n += 1
            if key.hex() != tk or got.hex() != mac:
                bad += 1
                print("vector %s: oracle disagrees" % sec, file=sys.stderr)
    print("vectors: %d checked, %d wrong" % (n, bad))
    return 1 if bad or n != 32 else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("sign")
    p.add_argument("spec")
    p.add_argument("out")
    p.add_argument("--keys")
    p.add_argument("--both-views", action="store_true")
    p.add_argument("--isns")
    p = sub.add_parser("check")
    p.add_argument("pcap")
    p.add_argument("keys")
    p.add_argument("--isn", action="append")
    p.add_argument("--isn-file")
    p = sub.add_parser("flipcheck")
    p.add_argument("pcap")
    p.add_argument("keys")
    p.add_argument("--frames", type=int, default=0)
    p.add_argument("--payload-samples", type=int, default=16)
    p = sub.add_parser("mutate")
    p.add_argument("inp")
    p.add_argument("out")
    p.add_argument("--every", type=int, required=True)
    p.add_argument("--seed", type=int, default=1)
    p = sub.add_parser("cut")
    p.add_argument("inp")
    p.add_argument("out")
    p.add_argument("--from", dest="start", type=int, default=1)
    p.add_argument("--no-syn", action="store_true")
    p = sub.add_parser("vectors")
    p.add_argument("tsv")
    a = ap.parse_args()
    return {"sign": cmd_sign, "check": cmd_check, "flipcheck": cmd_flipcheck,
            "mutate": cmd_mutate, "cut": cmd_cut, "vectors": cmd_vectors}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
