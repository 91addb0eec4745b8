#!/usr/bin/env bash
# vnicemu run between two vdeplug4 switches, with real kernels in network namespaces on both
# sides and the peer kernel's TCP-MD5 counters as the oracle (and, for TCP-AO, which no kernel
# here speaks, frames scapy signed, played into both switches, checked by scapy again):
#   guest ns (tap, MTU 9000) -- guest switch -- vnicemu (vmxnet2, wire MTU 1500) -- wire switch -- peer ns
set -uo pipefail
VNICEMU=$1
MD5PEER=$2
VNICCTL=$3
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
t_need_root
. "$here/netns_lib.sh"
trap lab_cleanup EXIT
G=vnm-g$$
P=vnm-p$$
SECRET=bgp-live-secret

lab_switch gsw && lab_switch wsw || exit 1
lab_ns "$G" gsw 192.0.2.10 2001:db8::10 9000 || exit 1
lab_ns "$P" wsw 192.0.2.1 2001:db8::1 9000 || exit 1
printf '# the peers\n192.0.2.0/24 %s\n' "$SECRET" >"$LAB/keys"
lab_vnicemu "vde://$LAB/gsw" --profile vmxnet2 --wire-mtu 1500 --key-file "$LAB/keys" \
	--capture "$LAB/cap" || exit 1

[ "$(stat -c %a "$CTL")" = 600 ] && t_ok "control socket is mode 0600" || t_fail "socket mode $(stat -c %a "$CTL")"

ping_ok() { ip netns exec "$G" ping -c 2 -i 0.2 -W 1 192.0.2.1 >/dev/null 2>&1; }
ping_ok && t_ok "ping through vnicemu" || t_fail "no ping through vnicemu"

# 1. Unsigned bulk data through TSO: segmented, arrives byte for byte
transfer 5001 400000 20 && t_ok "unsigned 400000 bytes through vmxnet2 TSO arrive intact" ||
	t_fail "unsigned transfer: $(cat "$LAB/sent.5001" "$LAB/recv.5001")"
[ "$(tso_q .created)" -gt 0 ] && t_ok "tso segmented the guest's 9000-byte frames ($(tso_q .created) created)" ||
	t_fail "tso created nothing"

# 2. TCP-MD5 from a jumbo guest: the peer kernel rejects the segmented digests
f0=$(counter "$P" TcpExtTCPMD5Failure)
w0=$(stat_q .tx.wire.md5.invalid)
transfer 179 200000 5 md5 && t_fail "the MD5 stream should not get through" ||
	t_ok "the MD5 stream from a jumbo guest does not get through"
f1=$(counter "$P" TcpExtTCPMD5Failure)
w1=$(stat_q .tx.wire.md5.invalid)
if [ "$((f1 - f0))" -gt 0 ] && [ "$(stat_q .tx.culprit)" = tso ] && [ "$((f1 - f0))" -eq "$((w1 - w0))" ]; then
	t_ok "peer TcpExtTCPMD5Failure +$((f1 - f0)) = invalid digests vnicemu sent; culprit tso"
else
	t_fail "failures +$((f1 - f0)), vnicemu wire invalid +$((w1 - w0)), culprit $(stat_q .tx.culprit)"
fi
ctl stats | grep -q "culprit tso: invalidated" && t_ok "vnicctl stats names tso and why: $(ctl stats | grep -m1 'covered fields changed')" ||
	t_fail "vnicctl stats: $(ctl stats)"
grep -q "$SECRET" "$LAB/run.err" <(ctl stats) <(ctl stats --json) <(ctl keys) &&
	t_fail "the secret appears in logs or replies" || t_ok "no secret in logs, stats or keys"
ctl keys | grep -q "192.0.2.0/24 key length ${#SECRET}" && t_ok "keys: peers and key lengths only" ||
	t_fail "keys: $(ctl keys)"

# 2b. The fix, at run time: a NIC that re-signs each segment keeps every digest valid
ctl set tso.md5 resign >/dev/null
f0=$(counter "$P" TcpExtTCPMD5Failure)
transfer 2179 200000 20 md5 && [ "$(counter "$P" TcpExtTCPMD5Failure)" = "$f0" ] &&
	t_ok "vnicctl set tso.md5 resign: the same jumbo MD5 stream completes, no MD5 failure" ||
	t_fail "resign: failures $f0 -> $(counter "$P" TcpExtTCPMD5Failure); $(cat "$LAB/sent.2179")"
ctl set tso.md5 copy >/dev/null
ctl set tso.md5 sideways >"$LAB/o" 2>&1
[ $? -eq 1 ] && grep -q "bad value 'sideways' for tso.md5" "$LAB/o" && t_ok "set tso.md5 sideways refused: $(head -1 "$LAB/o")" ||
	t_fail "bad quirk: $(cat "$LAB/o")"

# 3. Offloads toggled mid-stream: with tso off the NIC cannot send super-frames (dropped as
#    oversize, the stream stalls); with tso on again it completes. Nothing restarts.
ip netns exec "$P" "$MD5PEER" listen 0.0.0.0 5002 --once --timeout 40 >"$LAB/recv.5002" 2>&1 &
lp=$!
wait_for 40 ip netns exec "$P" ss -ltn "sport = :5002" -H | grep -q LISTEN
ip netns exec "$G" "$MD5PEER" connect 192.0.2.1 5002 --bytes 3000000 --chunk 4096 --timeout 40 \
	>"$LAB/sent.5002" 2>&1 &
cp=$!
sleep 0.2
ctl set tso off >/dev/null
d0=$(tso_q '.dropped.oversize // 0')
sleep 1.5
d1=$(tso_q '.dropped.oversize // 0')
ctl show | grep -qx "tcp-segmentation-offload: off" && [ "$d1" -gt "$d0" ] &&
	t_ok "set tso off mid-stream: show says off; super-frames dropped as oversize (+$((d1 - d0)))" ||
	t_fail "tso off: $(ctl show | head -3), drops $d0 -> $d1"
ctl set tso on >/dev/null
wait "$cp"
wait "$lp"
[ -n "$(awk '/^sent/ { print $3 }' "$LAB/sent.5002")" ] &&
	[ "$(awk '/^sent/ { print $2, $3 }' "$LAB/sent.5002")" = "$(awk '/^received/ { print $2, $3 }' "$LAB/recv.5002")" ] &&
	t_ok "set tso on: the same stream completes byte for byte" ||
	t_fail "stream after tso on: $(cat "$LAB/sent.5002" "$LAB/recv.5002")"

# 4. show follows Linux's dependencies and [fixed]; bad commands are refused, data flows on
ctl set sg off >/dev/null
ctl show | grep -qx "tcp-segmentation-offload: off \[requested on\]" &&
	t_ok "sg off: show says tcp-segmentation-offload: off [requested on]" || t_fail "show: $(ctl show)"
ctl set sg on >/dev/null
ctl show | grep -qx "tcp-segmentation-offload: on" && t_ok "sg on: tso on again" || t_fail "show: $(ctl show)"
ctl set lro on >"$LAB/o" 2>&1
[ $? -eq 1 ] && grep -q "\[fixed\]" "$LAB/o" && t_ok "set lro on refused: $(head -1 "$LAB/o")" || t_fail "lro: $(cat "$LAB/o")"
ctl set tso maybe >"$LAB/o" 2>&1
rc=$?
ctl profile vmxnet9 >"$LAB/o2" 2>&1
rc2=$?
[ $rc -ne 0 ] && [ $rc2 -eq 1 ] && ping_ok && t_ok "bad commands refused ($(tail -1 "$LAB/o2")); forwarding goes on" ||
	t_fail "bad commands: $rc $rc2 $(cat "$LAB/o" "$LAB/o2")"

# 5. Malformed frames injected on the guest switch: counted, never a crash
{
	printf '\x00\x05short' # 5 bytes: the vdeplug4 switch itself drops it
	printf '\x00\x18\xff\xff\xff\xff\xff\xff\x02\x00\x00\x00\x00\x09\x08\x00\x45\x00\x00\x50\x00\x00\x00\x00\x40\x06' # IPv4 cut short
	printf '\x00\x24\xff\xff\xff\xff\xff\xff\x02\x00\x00\x00\x00\x09\x08\x00\x45\x00\xff\xff\x00\x00\x00\x00\x40\x06\x00\x00\xc0\x00\x02\x0a\xc0\x00\x02\x01\x00\xb3\x00\xb3' # bogus length, TCP cut
	sleep 0.3
} | timeout 3 vde_plug "vde://$LAB/gsw" >/dev/null 2>&1
sleep 0.3
if kill -0 "$VPID" && [ "$(stat_q .tx.guest.malformed)" -ge 2 ] && ping_ok; then
	t_ok "malformed frames counted ($(stat_q .tx.guest.malformed) malformed at the guest tap); still forwarding"
else
	t_fail "malformed frames: alive $(kill -0 "$VPID" && echo yes), $(stat_q .ports.guest)"
fi

# 6. Guest and peer at MTU 1500: nothing to segment, the MD5 stream is clean
ip -n "$G" link set vtap0 mtu 1500
ip -n "$P" link set vtap0 mtu 1500
f0=$(counter "$P" TcpExtTCPMD5Failure)
transfer 1179 300000 20 md5 && [ "$(counter "$P" TcpExtTCPMD5Failure)" = "$f0" ] &&
	t_ok "MTU 1500 both ends: the MD5 stream completes, no MD5 failure" ||
	t_fail "MTU 1500 MD5: failures $f0 -> $(counter "$P" TcpExtTCPMD5Failure); $(cat "$LAB/sent.1179" "$LAB/recv.1179")"

# 7. SIGHUP reloads the key file, TCP-AO MKTs too
py=/usr/bin/python3
oracle=$here/../support/ao_oracle.py
$py "$oracle" sign "$here/../data/ao/live.json" "$LAB/ao.pcap" --keys "$LAB/ao.keys" --isns "$LAB/ao.isns"
{
	printf '192.0.2.0/24 %s\n2001:db8::/32 another-secret\n' "$SECRET"
	cat "$LAB/ao.keys"
} >"$LAB/keys"
kill -HUP "$VPID"
wait_for 40 sh -c "'$VNICCTL' -s '$CTL' keys | grep -q '2001:db8::/32'" && t_ok "SIGHUP reloaded the keys" ||
	t_fail "keys after SIGHUP: $(ctl keys)"
ctl keys | grep -qx "ao 198.51.100.32/32 31:32 hmac-sha-1-96 key length 10" &&
	ctl keys | grep -qx "ao 2001:db8::32/128 33:34 aes-128-cmac-96 key length 10" &&
	! ctl keys | grep -q "live-ao" && t_ok "SIGHUP reloaded the TCP-AO MKTs; keys lists them without secrets" ||
	t_fail "TCP-AO keys after SIGHUP: $(ctl keys)"

# 7b. TCP-AO, live. No kernel here speaks it: frames signed by scapy (ao_oracle.py) are played
#     into both switches as a guest (198.51.100.31, 2001:db8::31) and its peer would send them
#     (tests/support/vdeinject.py). vnicemu learns the ISNs from the SYN on the guest port and
#     the SYN-ACK on the wire port; the verdicts at its wire tap are scapy's on its own live
#     wire.pcap, and re-signing live keeps every MAC valid.
inject() {
	$py "$here/../support/vdeinject.py" "$1" --guest "vde://$LAB/gsw" --wire "vde://$LAB/wsw" \
		--guest-hosts 198.51.100.31,2001:db8::31 >/dev/null
	sleep 1.5 # the capture is flushed every second
}
isns=()
while read -r i; do isns+=(--isn "$i"); done <"$LAB/ao.isns"
# ao_check: scapy's verdict of every frame of the TCP-AO hosts on vnicemu's live wire.pcap
ao_check() {
	tcpdump -r "$LAB/cap/wire.pcap" -w "$LAB/ao-wire.pcap" \
		'host 198.51.100.31 or host 2001:db8::31' 2>/dev/null
	$py "$oracle" check "$LAB/ao-wire.pcap" "$LAB/ao.keys" "${isns[@]}"
}
# taps NAME PATH: the TCP-AO counts of a tap in stats, but unsigned (other traffic)
taps() { ctl stats --json | jq -r "$1.ao | to_entries[] | select(.key != \"unsigned\") | \"\(.key) \(.value)\"" | sort; }
# ao_run NAME PCAP: play PCAP in; NAME.o holds scapy's verdicts of the frames it put on
# vnicemu's wire.pcap, NAME.d the wire tap's count changes (VERDICT DELTA), NAME.rd the
# receive side's output tap's
ao_run() {
	local name=$1 pcap=$2 n0
	n0=$(ao_check | wc -l)
	taps .tx.wire >"$LAB/$name.s0"
	taps .rx.guest >"$LAB/$name.r0"
	inject "$pcap"
	ao_check | tail -n +$((n0 + 1)) | awk '{n[$2]++} END {for (v in n) print v, n[v]}' |
		sort >"$LAB/$name.o"
	taps .tx.wire | join "$LAB/$name.s0" - | awk '$3 > $2 {print $1, $3 - $2}' | sort >"$LAB/$name.d"
	taps .rx.guest | join "$LAB/$name.r0" - | awk '$3 > $2 {print $1, $3 - $2}' | sort >"$LAB/$name.rd"
}
ao_run copy "$LAB/ao.pcap"
if [ -s "$LAB/copy.o" ] && grep -q invalid "$LAB/copy.o" && cmp -s "$LAB/copy.o" "$LAB/copy.d" &&
	[ "$(stat_q .tx.culprit)" = tso ]; then
	t_ok "TCP-AO live: the wire tap's verdicts are scapy's on wire.pcap ($(xargs <"$LAB/copy.o")); culprit tso"
else
	t_fail "TCP-AO live: scapy '$(xargs <"$LAB/copy.o")', wire tap '$(xargs <"$LAB/copy.d")'"
fi
peer=$(tcpdump -r "$LAB/ao.pcap" 'src host 198.51.100.32 or src host 2001:db8::32' 2>/dev/null | wc -l)
[ "$(xargs <"$LAB/copy.rd")" = "valid $peer" ] &&
	t_ok "TCP-AO live: the peer's $peer frames valid at the receive side's last tap" ||
	t_fail "TCP-AO live, receive side: $(xargs <"$LAB/copy.rd"), want valid $peer"
jq -e '.ao_flows.learnt >= 4' <(ctl stats --json) >/dev/null &&
	t_ok "TCP-AO live: ISNs learnt from both ports ($(stat_q .ao_flows | jq -c .))" ||
	t_fail "TCP-AO live: flows $(stat_q .ao_flows)"
ctl set tso.md5 resign >/dev/null
ao_run resign "$LAB/ao.pcap"
[ "$(awk '{print $1}' "$LAB/resign.o" | xargs)" = valid ] && cmp -s "$LAB/resign.o" "$LAB/resign.d" &&
	t_ok "TCP-AO live, tso.md5 resign: $(xargs <"$LAB/resign.o") by scapy and at the wire tap" ||
	t_fail "TCP-AO live resign: scapy '$(xargs <"$LAB/resign.o")', wire tap '$(xargs <"$LAB/resign.d")'"
# a connection that began before vnicemu saw it: no-isn, never re-signed with guessed ISNs
sed 's/"cport": 4013/"cport": 4113/' "$here/../data/ao/live.json" >"$LAB/late.json"
$py "$oracle" sign "$LAB/late.json" "$LAB/late.pcap" --isns "$LAB/late.isns"
$py "$oracle" cut "$LAB/late.pcap" "$LAB/mid.pcap" --no-syn
while read -r i; do isns+=(--isn "$i"); done <"$LAB/late.isns"
ao_run late "$LAB/mid.pcap"
if [ "$(awk '{print $1}' "$LAB/late.d" | xargs)" = no-isn ] && grep -q invalid "$LAB/late.o"; then
	t_ok "TCP-AO live, a connection begun before: no-isn at the wire tap ($(xargs <"$LAB/late.d")), not re-signed (scapy with the ISNs: $(xargs <"$LAB/late.o"))"
else
	t_fail "TCP-AO live, begun before: wire tap '$(xargs <"$LAB/late.d")', scapy '$(xargs <"$LAB/late.o")'"
fi
ctl set tso.md5 copy >/dev/null

# 8. The wire switch dies and comes back: vnicemu survives, counts losses, reconnects
lab_switch_kill wsw
sleep 0.3
ip netns exec "$G" ping -c 3 -i 0.2 -W 1 192.0.2.1 >/dev/null 2>&1
if kill -0 "$VPID" && [ "$(stat_q .ports.wire.up)" = false ] && [ "$(stat_q .ports.wire.tx_lost)" -gt 0 ]; then
	t_ok "wire switch gone: vnicemu runs on, wire down, $(stat_q .ports.wire.tx_lost) frames counted lost"
else
	t_fail "after the switch died: $(stat_q .ports.wire)"
fi
lab_switch wsw
ip -n "$P" link del vtap0 2>/dev/null
lab_plug "$P" wsw 192.0.2.1 2001:db8::1 1500
wait_for 200 sh -c "'$VNICCTL' -s '$CTL' stats --json | jq -e '.ports.wire.up' >/dev/null"
if [ "$(stat_q .ports.wire.reconnects)" -ge 1 ] && wait_for 40 ping_ok; then
	t_ok "wire switch back: reconnected ($(stat_q .ports.wire.reconnects)), traffic flows"
else
	t_fail "no reconnect: $(stat_q .ports.wire)"
fi

# 9. SIGTERM: final counters on stdout, socket removed
kill -TERM "$VPID"
wait "$VPID"
rc=$?
[ $rc -eq 0 ] && [ ! -e "$CTL" ] && grep -q "culprit tso" "$LAB/run.out" &&
	t_ok "SIGTERM: exit 0, final stats printed, control socket removed" ||
	t_fail "SIGTERM: rc $rc, socket $(ls "$CTL" 2>&1), out $(head -3 "$LAB/run.out")"
n=$(tcpdump -M "$SECRET" -r "$LAB/cap/wire.pcap" -nn -v 2>/dev/null | grep -c 'md5  (invalid)')
[ "$n" -gt 0 ] && t_ok "live capture wire.pcap: tcpdump -M finds $n invalid digests" || t_fail "wire.pcap: $n"
t_done
