#!/usr/bin/env bash
# No false all-clear (issue 11, items 7, 8 and 10): signed segments vnicemu could not check
# are "unchecked" with their reason, never valid, never "no invalid digests", and
# --fail-on-invalid fails on those a key covered.
#   * snaplen: captures cut as `tcpdump -s N` cuts them (tests/support/pcaptool.py); frame by
#     frame against tcpdump -M ("md5 snaplen too short") and against the uncut capture (what
#     the headers tell, missing and unsigned, still holds);
#   * no key: every signed segment unchecked (no-key), in verify and replay; --no-verify says
#     "not verified";
#   * truncated-ip: an IP length past the frame's length on the wire, as tcpdump says it.
#   verify_unchecked.sh VNICEMU PCAPTOOL SCENARIOS KERNEL_DATA
set -uo pipefail
abs() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
VNICEMU=$(abs "$1") tool=$(abs "$2") scen=$(abs "$3") kern=$(abs "$4")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
py=python3

esx=$scen/esx35-vmxnet2-quagga.pcap
# the shipped scenario's key file, as written there
keys=$scen/esx35.keys

# verdicts FILE: "FRAME VERDICT" of vnicemu's --list lines (RFC 2385 lines only)
verdicts() { awk '$2 != "ao" {print $1, $2}' "$1"; }

# ---- item 7: snaplen -------------------------------------------------------------------
$py "$tool" snaplen "$esx" c96.pcap 96
"$VNICEMU" verify c96.pcap --key-file "$keys" --list >c96.list
# tcpdump's own view: which frames it could check, which it could not
tcpdump -nr c96.pcap -M quagga-md5 -v 2>/dev/null | awk '
	/^[0-9][0-9]:/ {n++}
	/md5 snaplen too short/ {print n, "unchecked"}
	/md5 valid/ {print n, "valid"}' >tcpdump.txt
if [ -s tcpdump.txt ] && grep -q unchecked tcpdump.txt && verdicts c96.list | diff -u tcpdump.txt - >d.txt; then
	t_ok "snaplen 96: every frame as tcpdump -M sees it ($(awk '{print $2}' tcpdump.txt | sort | uniq -c | xargs))"
else
	t_fail "snaplen 96: vnicemu and tcpdump -M differ: $(head -5 d.txt)"
fi
grep -q "unchecked .* (snaplen)$" c96.list || t_fail "no '(snaplen)' reason in --list"
"$VNICEMU" verify c96.pcap --key-file "$keys" >c96.txt
n=$(grep -c " unchecked " c96.list)
if grep -qx "$n signed segments could not be checked: the capture cut them short (snaplen)" c96.txt &&
	! grep -qx "result: no invalid or missing digests" c96.txt; then
	t_ok "snaplen 96: the summary says $n signed segments could not be checked, no all-clear"
else
	t_fail "snaplen 96: summary: $(cat c96.txt)"
fi
"$VNICEMU" verify c96.pcap --key-file "$keys" --fail-on-invalid >/dev/null
rc=$?
[ $rc -eq 1 ] && t_ok "snaplen 96: --fail-on-invalid exits 1" ||
	t_fail "snaplen 96: --fail-on-invalid exits $rc"
"$VNICEMU" verify c96.pcap --key-file "$keys" --json >c96.json
grep -q "\"unchecked\": $n}" c96.json && grep -q "\"unchecked_reasons\": {\"snaplen\": $n, \"no-key\": 0}" c96.json &&
	t_ok "snaplen 96: JSON md5.unchecked and unchecked_reasons.snaplen are $n" ||
	t_fail "snaplen 96: JSON $(cat c96.json)"

# The real kernels' captures hold every verdict: cut at several lengths, a segment whose headers
# were captured keeps what they tell (missing, unexpected, unsigned) and a signed one whose
# payload was cut is unchecked; one cut inside its headers is malformed (snaplen). Expected
# values come from the uncut capture and the cut records' own lengths (parsed here).
"$VNICEMU" verify "$kern/eth.pcap" --key-file "$kern/keys" --list >full.list
for s in 80 100 128; do
	$py "$tool" snaplen "$kern/eth.pcap" k$s.pcap $s
	"$VNICEMU" verify k$s.pcap --key-file "$kern/keys" --list >k$s.list
	$py - "$kern/eth.pcap" "$s" full.list >want$s.txt <<'EOF'
import struct, sys
d = open(sys.argv[1], "rb").read()
snap = int(sys.argv[2])
full = dict(l.split()[:2] for l in open(sys.argv[3]) if l.split()[1] != "ao")
e = "<" if d[:4] == b"\xd4\xc3\xb2\xa1" else ">"
o, n = 24, 0
while o < len(d):
    cl = struct.unpack(e + "I", d[o + 8:o + 12])[0]
    f = d[o + 16:o + 16 + cl]
    o += 16 + cl
    n += 1
    if str(n) not in full:
        continue
    v = full[str(n)]
    et, ip = struct.unpack("!H", f[12:14])[0], 14
    while et in (0x8100, 0x88a8):  # VLAN tags
        et, ip = struct.unpack("!H", f[ip + 2:ip + 4])[0], ip + 4
    if et == 0x0800:
        l4, end = ip + (f[ip] & 15) * 4, ip + struct.unpack("!H", f[ip + 2:ip + 4])[0]
    else:
        l4, end, nh = ip + 40, ip + 40 + struct.unpack("!H", f[ip + 4:ip + 6])[0], f[ip + 6]
        while nh in (0, 43, 60):  # hop-by-hop, routing, destination options
            nh, l4 = f[l4], l4 + (f[l4 + 1] + 1) * 8
    hdrs = l4 + (f[l4 + 12] >> 4) * 4
    if end > snap:
        if hdrs > snap:
            v = "malformed"
        elif v in ("valid", "invalid"):
            v = "unchecked"
    print(n, v)
EOF
	if [ -s want$s.txt ] && verdicts k$s.list | diff -u want$s.txt - >d.txt; then
		t_ok "kernel capture cut at $s: $(awk '{print $2}' want$s.txt | sort | uniq -c | xargs)"
	else
		t_fail "kernel capture cut at $s: $(head -8 d.txt)"
	fi
done
grep -q " missing " k100.list && grep -q " unexpected " k100.list && grep -q " unchecked " k100.list ||
	t_fail "cut at 100: expected missing, unexpected and unchecked segments"

# ---- item 8: no key ------------------------------------------------------------------------
"$VNICEMU" verify "$esx" --list >nokey.list
"$VNICEMU" verify "$esx" >nokey.txt
n=$(grep -c " unchecked .* (no-key)$" nokey.list)
if [ "$n" -eq 23 ] && ! grep -q unexpected nokey.list &&
	grep -qx "23 signed segments could not be checked: no key given (--key or --key-file)" nokey.txt &&
	! grep -qx "result: no invalid or missing digests" nokey.txt; then
	t_ok "no key: the 23 signed segments are unchecked (no-key), no all-clear"
else
	t_fail "no key: $n unchecked; $(cat nokey.txt)"
fi
"$VNICEMU" verify "$kern/eth.pcap" --json >nokey.json
signed=$(grep -cE " (valid|invalid|unexpected) " full.list)
grep -q "\"unchecked_reasons\": {\"snaplen\": 0, \"no-key\": $signed}" nokey.json &&
	t_ok "no key, kernel capture: $signed signed segments unchecked (no-key)" ||
	t_fail "no key, kernel capture: want $signed no-key: $(cat nokey.json)"
"$VNICEMU" verify "$esx" --fail-on-invalid >/dev/null &&
	t_ok "no key: --fail-on-invalid exits 0 (no key covered anything)" ||
	t_fail "no key: --fail-on-invalid failed"

"$VNICEMU" replay "$esx" >replay.txt
if grep -q "could not be checked: no key given" replay.txt && ! grep -q "culprit: none —" replay.txt &&
	! grep -q "^culprit: none$" replay.txt; then
	t_ok "replay without a key: $(grep culprit replay.txt)"
else
	t_fail "replay without a key: $(tail -3 replay.txt)"
fi
"$VNICEMU" replay "$esx" --key-file "$keys" --no-verify >nv.txt
grep -q "^culprit: not verified" nv.txt && ! grep -q "culprit: none" nv.txt &&
	t_ok "replay --no-verify: $(grep culprit nv.txt)" ||
	t_fail "replay --no-verify: $(tail -2 nv.txt)"
"$VNICEMU" replay c96.pcap --key-file "$keys" >rc96.txt
grep -q "could not be checked: the capture cut them short" rc96.txt && ! grep -q "culprit: none —" rc96.txt &&
	t_ok "replay of a cut capture: $(grep culprit rc96.txt)" ||
	t_fail "replay of a cut capture: $(tail -3 rc96.txt)"

# ---- item 10: truncated-ip ---------------------------------------------------------------
$py "$tool" grow-ip "$esx" grown.pcap 5 100
"$VNICEMU" verify grown.pcap --key-file "$keys" --list >grown.list
tcpdump -nr grown.pcap -v 2>/dev/null | awk '/^[0-9][0-9]:/ {n++} /truncated-ip/ {print n}' >td.txt
if [ "$(cat td.txt)" = 5 ] && grep -qx "5 malformed .* (truncated-ip)" grown.list &&
	[ "$(grep -c truncated-ip grown.list)" -eq 1 ]; then
	t_ok "IP length past the frame's length on the wire: frame 5 truncated-ip, as tcpdump says"
else
	t_fail "truncated-ip: tcpdump '$(cat td.txt)', vnicemu '$(grep -v valid grown.list)'"
fi
# and a frame the capture cut is never truncated-ip, in tcpdump's view or vnicemu's
tcpdump -nr c96.pcap -v 2>/dev/null | grep -q truncated-ip && t_fail "tcpdump: truncated-ip in c96"
grep -q truncated-ip c96.list k80.list && t_fail "vnicemu: truncated-ip in a cut capture"
"$VNICEMU" verify grown.pcap --key-file "$keys" --json | grep -q '"malformed_reasons": {"truncated-ip": 1}' &&
	t_ok "truncated-ip in malformed_reasons" || t_fail "truncated-ip not in malformed_reasons"
# replay tells them apart too (the capture record's original length goes with the guest frame)
"$VNICEMU" replay grown.pcap --key-file "$keys" --json >grown.json
"$VNICEMU" replay c96.pcap --key-file "$keys" --json >c96r.json
[ "$(jq .guest.malformed grown.json) $(jq .guest.md5.unchecked grown.json)" = "1 0" ] &&
	[ "$(jq .guest.malformed c96r.json) $(jq .guest.md5.unchecked c96r.json)" = "0 10" ] &&
	[ "$(jq .unchecked_reasons.snaplen c96r.json)" = 10 ] &&
	t_ok "replay: the grown frame malformed, the cut ones unchecked (snaplen)" ||
	t_fail "replay: grown $(jq -c .guest grown.json), cut $(jq -c .guest c96r.json)"

t_done
