#!/usr/bin/env bash
# A real QEMU guest (Debian kernel, vmxnet3 NIC model, TCG) on a VDE switch, vnicemu between
# that switch and the wire, and a peer kernel in a namespace as the TCP-MD5 oracle:
#   QEMU guest (vmxnet3) -- guest switch -- vnicemu (vmxnet3, wire MTU 1500) -- wire switch -- peer ns
# QEMU's VDE backend has no vnet header, so QEMU's vmxnet3 model hands VDE complete frames of at
# most the guest's MTU; vnicemu's TSO stage cuts 9000-byte frames to the 1500-byte wire.
#   1. guest MTU 9000, TCP-MD5: Linux never uses TSO on a signed socket, so the guest sends
#      signed 9000-byte segments; vnicemu's tso re-cuts them, the peer kernel counts TCP-MD5
#      failures (TcpExtTCPMD5Failure) and vnicctl names tso as the culprit
#   2. guest MTU 1500, TCP-MD5: nothing to segment, the session completes, no MD5 failure
#   3. guest MTU 9000, unsigned: the guest does use TSO towards QEMU, and QEMU 7.2 splits the
#      super-frames into IP fragments of up to 9000 bytes before VDE sees them; no NIC can put
#      those on a 1500-byte wire: vnicemu drops them as "oversize", counted, never forwarded;
#      TCP recovers by retransmitting plain 9000-byte segments, which vnicemu's tso cuts
# Then the captures vnicemu took are read with tcpdump -M: frame sizes and digest verdicts on
# each side. Each case is one guest boot. The image is built by tools/mkguest into a cache
# directory (VNICEMU_GUEST_CACHE, default /var/tmp/vnicemu-guest) and reused while its inputs are
# unchanged; a cold cache costs a 70 MB download and ~10 s. QEMU=... picks another binary.
#
# usage: qemu.sh VNICEMU MD5PEER VNICCTL MKGUEST
set -uo pipefail
VNICEMU=$1
MD5PEER=$2
VNICCTL=$3
MKGUEST=$4
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
t_need_root
QEMU=${QEMU:-qemu-system-x86_64}
if ! command -v "$QEMU" >/dev/null; then
	echo "$QEMU not installed (tools/deps installs qemu-system-x86): skipped"
	exit 77
fi
if ! "$QEMU" -netdev help 2>/dev/null | grep -qx vde; then
	echo "$QEMU has no VDE netdev backend: skipped"
	exit 77
fi
. "$here/netns_lib.sh"
QPIDS=()
cleanup() {
	local pid
	for pid in "${QPIDS[@]}"; do kill -9 "$pid" 2>/dev/null; done
	lab_cleanup
}
trap cleanup EXIT
P=vnm-qp$$
SECRET=bgp-qemu-secret
CACHE=${VNICEMU_GUEST_CACHE:-/var/tmp/vnicemu-guest}
GMAC=52:54:00:00:02:14

# The guest image (cold: a 70 MB download and a few seconds; warm: a second)
t0=$SECONDS
"$MKGUEST" "$CACHE" >"$LAB/mkguest.out" 2>"$LAB/mkguest.err"
rc=$?
if [ $rc -eq 3 ]; then
	cat "$LAB/mkguest.err"
	echo "cannot download the guest's Debian packages: skipped"
	exit 77
elif [ $rc -ne 0 ]; then
	cat "$LAB/mkguest.err"
	echo "FAIL - mkguest exited $rc"
	exit 1
fi
t_ok "guest image ($((SECONDS - t0)) s): $(tail -1 "$LAB/mkguest.err")"

lab_switch gsw && lab_switch wsw || exit 1
lab_ns "$P" wsw 192.0.2.1 2001:db8::1 9000 || exit 1
printf '# the QEMU guest\n192.0.2.0/24 %s\n' "$SECRET" >"$LAB/keys"
lab_vnicemu "vde://$LAB/gsw" --profile vmxnet3 --wire-mtu 1500 --key-file "$LAB/keys" \
	--capture "$LAB/cap" || exit 1

# guest NAME MTU TIMEOUT RUN: boot the guest onto the guest switch with md5peer --timeout
# TIMEOUT and wait for it to power off (at most 60 s); its console is $LAB/NAME.log
guest() {
	local name=$1 mtu=$2 to=$3 run=$4 qpid n=0
	"$QEMU" -machine pc -accel tcg -m 256 -nodefaults -display none -no-reboot \
		-serial "file:$LAB/$name.log" -kernel "$CACHE/vmlinuz" -initrd "$CACHE/initrd.gz" \
		-append "console=ttyS0 quiet panic=-1 vnic=vmxnet3 ip=192.0.2.20/24 mtu=$mtu timeout=$to run=$run" \
		-netdev "vde,id=n0,sock=$LAB/gsw" -device "vmxnet3,netdev=n0,mac=$GMAC" \
		</dev/null >"$LAB/$name.qemu" 2>&1 &
	qpid=$!
	QPIDS+=("$qpid")
	while kill -0 "$qpid" 2>/dev/null && [ $n -lt 600 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	if [ $n -ge 600 ]; then
		kill -9 "$qpid" 2>/dev/null
		echo "guest $name: still running after 60 s, killed"
	fi
	wait "$qpid" 2>/dev/null
	return 0
}
# listen PORT [unsigned]: the peer's listener for the guest, in the background (pid in LPID)
listen() {
	local key=(--key "192.0.2.20=$SECRET")
	[ "${2:-}" = unsigned ] && key=()
	ip netns exec "$P" "$MD5PEER" listen 0.0.0.0 "$1" --once --timeout 60 "${key[@]}" \
		>"$LAB/recv.$1" 2>&1 &
	LPID=$!
	LAB_PIDS+=("$LPID")
	wait_for 40 sh -c "ip netns exec '$P' ss -ltnH 'sport = :$1' | grep -q LISTEN"
}
# glog NAME: the guest's marker lines and md5peer's output, for the report
glog() { grep -aE '^(VNICEMU-GUEST|sent|received|md5peer)' "$LAB/$1.log" | tr -d '\r'; }
ready_up() { grep -a -m1 -o 'uptime=[0-9.]*' "$LAB/$1.log" | cut -d= -f2; }

guest_in() { stat_q '"\(.ports.guest.rx_frames) \(.ports.guest.rx_bytes)"'; }
# sizes PCAP FILTER: the frame lengths tcpdump reads for FILTER, one a line
sizes() {
	tcpdump -r "$1" -nn -e "$2" 2>/dev/null |
		awk '{ for (i = 1; i < NF; i++) if ($i == "length") { sub(":", "", $(i + 1)); print $(i + 1); break } }'
}
max_size() { sizes "$@" | sort -n | tail -1; }
# digests PCAP FILTER valid|invalid: how many TCP-MD5 options tcpdump -M calls so
digests() {
	tcpdump -r "$1" -nn -v -M "$SECRET" "$2" 2>/dev/null | grep -c "md5 *(\?$3"
}

# 1. Guest at MTU 9000: vnicemu's TSO re-cuts the guest's signed 9000-byte segments to the
#    1500-byte wire; the peer kernel rejects them and vnicctl names tso
listen 179
f0=$(counter "$P" TcpExtTCPMD5Failure)
c0=$(tso_q .created)
w0=$(stat_q .tx.wire.md5.invalid)
read -r gf0 gb0 < <(guest_in)
t1=$SECONDS
guest jumbo 9000 6 "md5connect:192.0.2.1:179:200000:$SECRET"
dt1=$((SECONDS - t1))
kill "$LPID" 2>/dev/null
wait "$LPID" 2>/dev/null
# the last frames the guest sent before powering off may still be on their way
for _ in 1 2 3 4 5 6 7 8 9 10; do
	f1=$(counter "$P" TcpExtTCPMD5Failure)
	w1=$(stat_q .tx.wire.md5.invalid)
	[ "$((f1 - f0))" -eq "$((w1 - w0))" ] && break
	sleep 0.2
done
c1=$(tso_q .created)
read -r gf1 gb1 < <(guest_in)
echo "# guest 1 (MTU 9000): boot and session ${dt1} s, link ready at guest uptime $(ready_up jumbo) s"
glog jumbo | sed 's/^/#   /'
echo "#   vnicemu's guest port got $((gf1 - gf0)) frames, $((gb1 - gb0)) bytes from it"
grep -aq 'VNICEMU-GUEST-READY iface=eth0 driver=vmxnet3 mtu=9000 carrier=1' "$LAB/jumbo.log" &&
	t_ok "QEMU guest booted onto the VDE switch: vmxnet3 eth0, MTU 9000, carrier up" ||
	t_fail "the guest did not come up: $(tail -5 "$LAB/jumbo.log" "$LAB/jumbo.qemu")"
[ "$((c1 - c0))" -gt 0 ] && t_ok "vnicemu's tso cut the guest's jumbo frames ($((c1 - c0)) segments created)" ||
	t_fail "tso created nothing: $(ctl stats)"
if [ "$((f1 - f0))" -gt 0 ] && [ "$(stat_q .tx.culprit)" = tso ] && [ "$((f1 - f0))" -eq "$((w1 - w0))" ]; then
	t_ok "peer TcpExtTCPMD5Failure +$((f1 - f0)) = invalid digests vnicemu sent; culprit tso"
else
	t_fail "peer MD5 failures +$((f1 - f0)), vnicemu wire invalid +$((w1 - w0)), culprit $(stat_q .tx.culprit)"
fi
ctl stats | grep -q "culprit tso: invalidated" &&
	t_ok "vnicctl stats: $(ctl stats | grep -m1 'culprit tso')" || t_fail "vnicctl stats: $(ctl stats)"
r=$(awk '/^received/ { print $2, $3 }' "$LAB/recv.179")
if [ -z "$r" ] && grep -aq '^VNICEMU-GUEST-DONE rc=[1-9]' "$LAB/jumbo.log"; then
	t_ok "the signed stream from the jumbo guest does not get through ($(glog jumbo | grep -m1 -o 'rc=[0-9]*'))"
else
	t_fail "the MD5 stream got through: received '$r'"
fi

# 2. Guest at MTU 1500: its frames fit the wire, nothing is re-cut, the session is clean
listen 1179
f0=$(counter "$P" TcpExtTCPMD5Failure)
c0=$(tso_q .created)
read -r gf0 gb0 < <(guest_in)
t2=$SECONDS
guest small 1500 15 "md5connect:192.0.2.1:1179:200000:$SECRET"
dt2=$((SECONDS - t2))
wait "$LPID"
f1=$(counter "$P" TcpExtTCPMD5Failure)
c1=$(tso_q .created)
read -r gf1 gb1 < <(guest_in)
echo "# guest 2 (MTU 1500): boot and session ${dt2} s, link ready at guest uptime $(ready_up small) s"
glog small | sed 's/^/#   /'
echo "#   vnicemu's guest port got $((gf1 - gf0)) frames, $((gb1 - gb0)) bytes from it"
s=$(glog small | awk '/^sent/ { print $2, $3 }')
r=$(awk '/^received/ { print $2, $3 }' "$LAB/recv.1179")
if [ -n "$s" ] && [ "$s" = "$r" ] && [ "${s%% *}" = 200000 ] &&
	grep -aq '^VNICEMU-GUEST-DONE rc=0' "$LAB/small.log"; then
	t_ok "MTU 1500 guest: the TCP-MD5 session completes, sent = received ($s)"
else
	t_fail "MTU 1500 session: sent '$s', received '$r'"
fi
[ "$f1" = "$f0" ] && [ "$c1" = "$c0" ] &&
	t_ok "no new MD5 failure at the peer (still $f1), nothing for tso to cut" ||
	t_fail "MD5 failures $f0 -> $f1, tso created $c0 -> $c1"

# 3. Unsigned bulk at MTU 9000: here the guest kernel does use TSO towards QEMU's vmxnet3. With
#    no vnet header on the VDE backend QEMU splits each super-frame itself before VDE sees it
#    (QEMU 7.2: IP fragments of at most the guest MTU), so vnicemu only gets frames <= 9014 bytes.
listen 5001 unsigned
read -r gf0 gb0 < <(guest_in)
t3=$SECONDS
tso_drops() { "$VNICCTL" -s "$CTL" stats --json | jq '[.tx.stages[] | select(.name == "tso") | .dropped.oversize // 0] | add'; }
d0=$(tso_drops)
guest bulk 9000 6 "connect:192.0.2.1:5001:2000000"
dt3=$((SECONDS - t3))
wait "$LPID"
read -r gf1 gb1 < <(guest_in)
echo "# guest 3 (MTU 9000, unsigned): boot and session ${dt3} s"
glog bulk | sed 's/^/#   /'
gtx=$(glog bulk | sed -n 's/.*STATS tx_packets=\([0-9]*\).*/\1/p')
echo "#   vnicemu's guest port got $((gf1 - gf0)) frames, $((gb1 - gb0)) bytes from it"
s=$(glog bulk | awk '/^sent/ { print $2, $3 }')
r=$(awk '/^received/ { print $2, $3 }' "$LAB/recv.5001")
d1=$(tso_drops)
# TCP recovers: its retransmissions are plain 9000-byte segments, which vnicemu's tso cuts
[ "$((d1 - d0))" -gt 0 ] && { [ -z "$r" ] || [ "$s" = "$r" ]; } &&
	t_ok "QEMU's jumbo IP fragments cannot cross the 1500-byte wire: $((d1 - d0)) dropped as oversize, counted; what arrived is intact (${r:-nothing})" ||
	t_fail "unsigned transfer: sent '$s', received '$r', oversize drops $d0 -> $d1"
[ -n "$gtx" ] && [ "$((gf1 - gf0))" -gt "$gtx" ] &&
	t_ok "QEMU split the guest's TSO frames: the guest sent $gtx packets, VDE carried $((gf1 - gf0)) frames" ||
	t_fail "guest tx_packets '$gtx', frames at vnicemu's guest port $((gf1 - gf0))"

# The captures, once vnicemu has flushed them on SIGTERM: what each side of vnicemu carried
kill -TERM "$VPID"
wait "$VPID"
G='src host 192.0.2.20'
m1=$(max_size "$LAB/cap/guest.pcap" "$G and tcp port 179")
gv=$(digests "$LAB/cap/guest.pcap" "$G and tcp port 179" valid)
gi=$(digests "$LAB/cap/guest.pcap" "$G and tcp port 179" invalid)
wm=$(max_size "$LAB/cap/wire.pcap" "$G and tcp port 179")
wi=$(digests "$LAB/cap/wire.pcap" "$G and tcp port 179" invalid)
if [ "$m1" = 9014 ] && [ "$gv" -gt 0 ] && [ "$gi" = 0 ] && [ "$wm" -le 1514 ] && [ "$wi" -gt 0 ]; then
	t_ok "tcpdump -M: guest 1's frames at vnicemu's guest tap up to $m1 bytes, $gv digests valid; on the wire up to $wm bytes, $wi invalid"
else
	t_fail "tcpdump -M, guest 1: guest tap max $m1, valid $gv, invalid $gi; wire max $wm, invalid $wi"
fi
m2=$(max_size "$LAB/cap/guest.pcap" "$G and tcp port 1179")
wi2=$(digests "$LAB/cap/wire.pcap" "$G and tcp port 1179" invalid)
[ "$m2" -le 1514 ] && [ "$wi2" = 0 ] && t_ok "tcpdump -M: guest 2's frames up to $m2 bytes, none invalid on the wire" ||
	t_fail "tcpdump -M, guest 2: max $m2, invalid on the wire $wi2"
m3=$(max_size "$LAB/cap/guest.pcap" "$G")
frags=$(sizes "$LAB/cap/guest.pcap" "$G and ip[6:2] & 0x3fff != 0" | wc -l)
wbig=$(sizes "$LAB/cap/wire.pcap" "$G and greater 1515" | wc -l)
[ "$m3" -le 9014 ] && t_ok "nothing larger than the guest MTU reached VDE (largest frame $m3 bytes)" ||
	t_fail "a frame of $m3 bytes reached VDE from a guest at MTU 9000"
echo "# guest 3: $frags of its frames at vnicemu's guest tap were IP fragments (QEMU's split of TSO);"
[ "$wbig" = 0 ] && t_ok "no frame larger than 1514 bytes went onto the 1500-byte wire" ||
	t_fail "$wbig frames larger than 1514 bytes reached the wire"
grep -aq "$SECRET" "$LAB"/*.log && t_fail "the secret appears on a guest console" ||
	t_ok "no secret on the guest consoles"
echo "# boots with their sessions: ${dt1} s, ${dt2} s, ${dt3} s; whole test $SECONDS s"
t_done
