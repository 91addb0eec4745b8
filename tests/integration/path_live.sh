#!/usr/bin/env bash
# Real kernels through the path elements that leave TCP-MD5 intact (docs/paths.md), the
# kernels being the oracle: a guest namespace (192.0.2.10) and a peer namespace (192.0.2.1),
# the vNIC (vmxnet2) between their vdeplug4 switches, tools/md5peer moving checksummed streams.
# 1. --path mss-clamp: the SYN and SYN-ACK go on with MSS 1360 (tcpdump on the wire capture
#    says so, and that every digest there is valid); the signed stream arrives intact and the
#    peer kernel counts no MD5 failure.
# 2. --path fragment (IPv4 MTU 1000), the guest sending with Don't Fragment clear
#    (net.ipv4.ip_no_pmtu_disc=1): an unsigned and a signed stream of 1500-byte packets are
#    fragmented; the peer kernel reassembles them (IpReasmOKs) and accepts every byte, with no
#    MD5 failure; `vnicemu verify` on the wire capture reassembles as many segments as the
#    kernel did, and finds every digest valid, as the kernel did.
# Usage: path_live.sh VNICEMU MD5PEER VNICCTL      (root; exits 77 when it cannot run)
set -uo pipefail
VNICEMU=$1
MD5PEER=$2
VNICCTL=$3
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
t_need_root
t_need vde_plug nstat jq tcpdump
. "$here/netns_lib.sh"
trap lab_cleanup EXIT
trap 'exit 1' INT TERM HUP
G=vnm-plg$$
P=vnm-plp$$
SECRET=path-live-md5

lab_switch gsw && lab_switch wsw || exit 1
lab_ns "$G" gsw 192.0.2.10 2001:db8::10 1500 || exit 1
lab_ns "$P" wsw 192.0.2.1 2001:db8::1 1500 || exit 1
printf '192.0.2.0/24 %s\n' "$SECRET" >"$LAB/keys"
stop() {
	kill -TERM "$VPID" 2>/dev/null
	wait "$VPID" 2>/dev/null
}
stage_q() { stat_q ".$1.stages[] | select(.name == \"$2\") | $3"; }

# 1. MSS clamping ---------------------------------------------------------------------------
lab_vnicemu "vde://$LAB/gsw" --profile vmxnet2 --path mss-clamp --key-file "$LAB/keys" \
	--capture "$LAB/cap1" || exit 1
f0=$(counter "$P" TcpExtTCPMD5Failure)
transfer 179 200000 10 md5 && t_ok "mss-clamp: 200000 signed bytes arrived intact" ||
	t_fail "mss-clamp: the signed stream failed: $(cat "$LAB/sent.179" "$LAB/recv.179")"
f1=$(counter "$P" TcpExtTCPMD5Failure)
[ "$f1" = "$f0" ] && t_ok "mss-clamp: no MD5 failure in the peer kernel" ||
	t_fail "mss-clamp: TcpExtTCPMD5Failure +$((f1 - f0))"
tx=$(stage_q tx mss-clamp .counts.clamped)
rx=$(stage_q rx mss-clamp .counts.clamped)
[ "$tx" -ge 1 ] && [ "$rx" -ge 1 ] && t_ok "mss-clamp: clamped $tx SYN(s) out and $rx in" ||
	t_fail "mss-clamp: clamped $tx out, $rx in"
stop
syn=$(tcpdump -M "$SECRET" -nvr "$LAB/cap1/wire.pcap" 'tcp[tcpflags] & tcp-syn != 0' 2>/dev/null)
grep -q "mss 1360" <<<"$syn" && grep -q "md5valid" <<<"$(tr -d ' ' <<<"$syn")" &&
	! grep -q "mss 1460" <<<"$syn" &&
	t_ok "mss-clamp: tcpdump -M on the wire: the SYN carries MSS 1360 and a valid digest" ||
	t_fail "mss-clamp: tcpdump -M on the wire: $syn"
bad=$(tcpdump -M "$SECRET" -nvr "$LAB/cap1/wire.pcap" tcp 2>/dev/null | grep -c "md5 invalid")
[ "$bad" -eq 0 ] && t_ok "mss-clamp: tcpdump -M finds no invalid digest on the wire" ||
	t_fail "mss-clamp: tcpdump -M finds $bad invalid digests"

# 2. fragmentation --------------------------------------------------------------------------
ip netns exec "$G" sysctl -qw net.ipv4.ip_no_pmtu_disc=1
reasm() { ip netns exec "$P" nstat -az IpReasmOKs | awk '$1 == "IpReasmOKs" { print $2 }'; }
# stream NAME PORT [md5]: one stream through a fresh vnicemu with its own capture, then verify
# on that capture against the peer kernel's counters
stream() {
	local name=$1 port=$2 md5=${3:-} r0 r1 f0 f1 made v re inv keys=()
	lab_vnicemu "vde://$LAB/gsw" --profile vmxnet2 --path fragment --key-file "$LAB/keys" \
		--capture "$LAB/$name" || exit 1
	r0=$(reasm)
	f0=$(counter "$P" TcpExtTCPMD5Failure)
	transfer "$port" 100000 10 $md5 && t_ok "fragment: 100000 $name bytes arrived intact" ||
		t_fail "fragment: the $name stream failed"
	r1=$(reasm)
	f1=$(counter "$P" TcpExtTCPMD5Failure)
	made=$(stage_q tx fragment '.counts.fragmented')
	[ "$((r1 - r0))" -gt 0 ] && [ "$made" -gt 0 ] && [ "$f1" = "$f0" ] &&
		t_ok "fragment, $name: the peer kernel reassembled $((r1 - r0)) datagrams ($made fragmented), no MD5 failure" ||
		t_fail "fragment, $name: IpReasmOKs +$((r1 - r0)), fragmented $made, TcpExtTCPMD5Failure +$((f1 - f0))"
	stop
	[ -n "$md5" ] && keys=(--key-file "$LAB/keys")
	v=$("$VNICEMU" verify "$LAB/$name/wire.pcap" "${keys[@]}" --json)
	re=$(jq -r '.fragments.reassembled' <<<"$v")
	inv=$(jq -r '.md5.invalid + .md5.missing + .md5.unexpected' <<<"$v")
	[ "$re" = "$((r1 - r0))" ] && [ "$re" = "$made" ] &&
		t_ok "fragment, $name: vnicemu verify reassembled $re segments from the wire capture, as the kernel did" ||
		t_fail "fragment, $name: verify reassembled $re, the kernel $((r1 - r0)), the path fragmented $made"
	[ "$inv" = 0 ] && [ "$(jq -r "$4" <<<"$v")" -gt 0 ] &&
		t_ok "fragment, $name: verify finds $(jq -r "$4" <<<"$v") ${4#.md5.} segments, nothing invalid, missing or unexpected" ||
		t_fail "fragment, $name: verify: $v"
}
stream unsigned 5001 "" .md5.unsigned
stream signed 179 md5 .md5.valid
t_done
