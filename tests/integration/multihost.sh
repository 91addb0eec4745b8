#!/usr/bin/env bash
# A lab across two hosts over VDE's vxvde:// (docs/multi-host.md). Two network namespaces stand
# for two hosts joined only by a veth pair, the underlay (198.51.100.0/24, multicast); each host
# runs its half of the lab with tools/lab:
#
#   host A ($HA): tools/lab up --wire vxvde://GROUP/if=ul0 --netns $HA
#       guest ns (tap) -- guest switch -- vnicemu (vmxnet2, wire MTU 1500, in $HA) -- ul0
#   host B ($HB): tools/lab peer vxvde://GROUP/if=ul0 --netns $HB
#       ul0 -- vde_plug vxvde:// (in $HB) -- switch -- peer ns (tap)
#
# and the other way round (up --guest on A, guest on B). The lab's namespaces are not the hosts'
# namespaces: they reach their host only through a vdeplug4 switch, as a VM does. A TCP-MD5
# session (real kernels on both ends) breaks with a jumbo guest and is clean at MTU 1500, the
# peer kernel's TcpExtTCPMD5Failure the oracle. The hosts' fragmentation counters check the MTU
# budget the document gives: an inner packet of M bytes needs M + 50 bytes of underlay MTU over
# IPv4, M + 70 over IPv6.
set -uo pipefail
TOP=$1
BUILD=$2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
t_need_root
tmp=$(mktemp -d /tmp/vnm-mh.XXXXXX)
HA=vnm-ha$$
HB=vnm-hb$$
G=vnm-mh$$-guest
P=vnm-mh$$-peer
SECRET=mh-md5-secret
LAB_A=(env VNICEMU_LAB="$tmp/a" VNICEMU_LAB_NS=vnm-mh$$ VNICEMU_BUILD="$BUILD" "$TOP/tools/lab")
LAB_B=(env VNICEMU_LAB="$tmp/b" VNICEMU_LAB_NS=vnm-mh$$ VNICEMU_BUILD="$BUILD" "$TOP/tools/lab")

cleanup() {
	set +e
	"${LAB_A[@]}" down >/dev/null 2>&1
	"${LAB_B[@]}" down >/dev/null 2>&1
	for ns in $HA $HB; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

# The two hosts and the wire between them
for ns in $HA $HB; do
	ip netns add "$ns" || exit 1
	ip -n "$ns" link set lo up
done
ip link add ul0 netns $HA type veth peer name ul0 netns $HB || exit 1
ip -n $HA addr add 198.51.100.1/24 dev ul0
ip -n $HB addr add 198.51.100.2/24 dev ul0
ip -n $HA -6 addr add 2001:db8:100::1/64 dev ul0 nodad
ip -n $HB -6 addr add 2001:db8:100::2/64 dev ul0 nodad
underlay_mtu() {
	ip -n $HA link set ul0 mtu "$1" up
	ip -n $HB link set ul0 mtu "$1" up
}
underlay_mtu 1550

# vdeplug4 without its vxvde module cannot run this test (anything else that stops vxvde from
# opening is a failure)
ip netns exec $HA timeout 0.5 vde_plug vxvde://239.255.77.9/if=ul0 null:// >"$tmp/probe" 2>&1
if [ $? -ne 124 ]; then
	if grep -q "Protocol not supported" "$tmp/probe"; then
		echo "vdeplug4 has no vxvde module ($(cat "$tmp/probe")): skipped"
		exit 77
	fi
	t_fail "vxvde:// does not open on the underlay: $(cat "$tmp/probe")"
	t_done
	exit 1
fi

# counter NS NAME: one kernel counter of the namespace (TcpExt…, Ip…)
counter() { ip netns exec "$1" nstat -az "$2" 2>/dev/null | awk -v k="$2" '$1 == k { print $2 }'; }
stat_q() { "$BUILD/vnicctl" -s "$tmp/a/control" stats --json | jq -r "$1"; }
frags() { # fragments made or reassembled by either host
	echo $(($(counter $HA IpFragCreates) + $(counter $HB IpFragCreates) + $(counter $HA IpReasmReqds) + $(counter $HB IpReasmReqds)))
}

# session PORT: a 200 KB TCP-MD5 stream guest -> peer; 0 when every byte arrived intact
session() {
	ip netns exec $P "$BUILD/md5peer" listen 0.0.0.0 "$1" --once --timeout 4 \
		--key "192.0.2.10=$SECRET" >"$tmp/recv.$1" 2>&1 &
	local lp=$! n=40
	while [ $n -gt 0 ] && ! ip netns exec $P ss -ltnH "sport = :$1" | grep -q LISTEN; do
		sleep 0.05
		n=$((n - 1))
	done
	ip netns exec $G "$BUILD/md5peer" connect 192.0.2.1 "$1" --bytes 200000 --timeout 3 \
		--key "192.0.2.1=$SECRET" >"$tmp/sent.$1" 2>&1
	wait "$lp"
	local s r
	s=$(awk '/^sent/ { print $2, $3 }' "$tmp/sent.$1")
	r=$(awk '/^received/ { print $2, $3 }' "$tmp/recv.$1")
	[ -n "$s" ] && [ "$s" = "$r" ]
}

# mtu_both N: the guest's and the peer's interface MTU
mtu_both() {
	ip -n $G link set vtap0 mtu "$1"
	ip -n $P link set vtap0 mtu "$1"
}

# clean WHAT PORT: at MTU 1500 the MD5 stream completes, no MD5 failure at the peer, and the
# underlay fragmented nothing
clean() {
	local f0 fr0
	f0=$(counter $P TcpExtTCPMD5Failure)
	fr0=$(frags)
	mtu_both 1500
	if session "$2" && [ "$(counter $P TcpExtTCPMD5Failure)" = "$f0" ] && [ "$(frags)" = "$fr0" ]; then
		t_ok "$1, MTU 1500: the TCP-MD5 stream completes, peer TcpExtTCPMD5Failure +0, no fragments"
	else
		t_fail "$1, MTU 1500: failures $f0 -> $(counter $P TcpExtTCPMD5Failure), fragments $fr0 -> $(frags); $(cat "$tmp/sent.$2" "$tmp/recv.$2")"
	fi
}

# broken WHAT PORT: with a jumbo guest tso copies the digest into every segment; the peer
# kernel counts exactly the invalid digests vnicemu sent, and the underlay fragmented nothing
broken() {
	local f0 f1 w0 w1 fr0
	f0=$(counter $P TcpExtTCPMD5Failure)
	w0=$(stat_q .tx.wire.md5.invalid)
	fr0=$(frags)
	mtu_both 9000
	session "$2" && t_fail "$1, jumbo guest: the MD5 stream should not get through"
	f1=$(counter $P TcpExtTCPMD5Failure)
	w1=$(stat_q .tx.wire.md5.invalid)
	if [ $((f1 - f0)) -gt 0 ] && [ $((f1 - f0)) -eq $((w1 - w0)) ] && [ "$(stat_q .tx.culprit)" = tso ] &&
		[ "$(frags)" = "$fr0" ]; then
		t_ok "$1, jumbo guest: peer TcpExtTCPMD5Failure +$((f1 - f0)) = invalid digests vnicemu sent; culprit tso; no fragments"
	else
		t_fail "$1, jumbo guest: failures +$((f1 - f0)), vnicemu wire invalid +$((w1 - w0)), culprit $(stat_q .tx.culprit), fragments $fr0 -> $(frags)"
	fi
}

# in_ns PIDFILE NS: the process runs in network namespace NS
in_ns() { [ "$(ip netns identify "$(cat "$1")" 2>/dev/null)" = "$2" ]; }

# 0. An if= naming no interface of the host: vdeplug4 would join the group wherever the routing
#    table points; tools/lab refuses before it makes anything
"${LAB_A[@]}" up --wire vxvde://239.255.77.1/if=ul9 --netns $HA >"$tmp/a.out" 2>&1
[ $? -eq 1 ] && grep -qx "lab: vxvde://239.255.77.1/if=ul9: no interface ul9 in namespace $HA" "$tmp/a.out" &&
	[ ! -e "$tmp/a" ] && t_ok "lab up refuses $(cat "$tmp/a.out")" || t_fail "if=ul9: $(cat "$tmp/a.out")"

# 1. The guest on host A, the peer on host B: vnicemu's wire side is vxvde.
URL=vxvde://239.255.77.1/if=ul0
"${LAB_A[@]}" up --wire "$URL" --netns $HA --key "$SECRET" >"$tmp/a.out" 2>&1 || t_fail "A: lab up: $(cat "$tmp/a.out")"
"${LAB_B[@]}" peer "$URL" --netns $HB --key "$SECRET" >"$tmp/b.out" 2>&1 || t_fail "B: lab peer: $(cat "$tmp/b.out")"
[ -S "$tmp/a/control" ] && [ -S "$tmp/b/wsw/ctl" ] || {
	t_done
	exit 1
}
grep -q "the peer is on another host ('tools/lab peer $URL' there)" "$tmp/a.out" &&
	grep -q "on the peer's host:  ip netns exec $P" "$tmp/a.out" && grep -q "listen 0.0.0.0 179" "$tmp/b.out" &&
	t_ok "lab up --wire $URL and lab peer print their halves of the session" || t_fail "lab output: $(cat "$tmp/a.out" "$tmp/b.out")"
if in_ns "$tmp/a/vnicemu.pid" $HA && in_ns "$tmp/a/gsw.pid" $HA && in_ns "$tmp/b/wsw.pid" $HB &&
	in_ns "$tmp/a/$G.pid" $G && in_ns "$tmp/b/$P.pid" $P; then
	t_ok "vnicemu and the guest switch in $HA, the vxvde plug in $HB, the guest's and peer's taps in their own namespaces"
else
	t_fail "placement: vnicemu in '$(ip netns identify "$(cat "$tmp/a/vnicemu.pid")")', B's plug in '$(ip netns identify "$(cat "$tmp/b/wsw.pid")")'"
fi
ip netns exec $G ping -c 2 -i 0.2 -W 2 192.0.2.1 >/dev/null 2>&1 && t_ok "ping from the guest on A to the peer on B" ||
	t_fail "no ping across vxvde: $(stat_q .ports)"
clean "wire over vxvde" 179
broken "wire over vxvde" 1179
[ "$(stat_q .ports.wire.tx_lost)" = 0 ] && [ "$(stat_q .ports.wire.up)" = true ] &&
	t_ok "vnicemu's vxvde wire port: up, $(stat_q .ports.wire.tx_frames) frames sent, none lost" ||
	t_fail "wire port: $(stat_q .ports.wire)"

# The budget is exact: a 1500-byte packet crosses a 1550-byte underlay whole, a 1549-byte one
# only in fragments (sent without DF inside the tunnel; vxvde's UDP leaves fragmenting to the host)
ping_1500() { ip netns exec $G ping -c 1 -W 2 -M 'do' -s 1472 192.0.2.1 >/dev/null 2>&1; }
fa=$(counter $HA IpFragCreates)
ping_1500 && [ "$(counter $HA IpFragCreates)" = "$fa" ] && ok1=yes || ok1=no
underlay_mtu 1549
ping_1500 && [ "$(counter $HA IpFragCreates)" -gt "$fa" ] && ok2=yes || ok2=no
underlay_mtu 1550
[ $ok1 = yes ] && [ $ok2 = yes ] &&
	t_ok "a 1500-byte packet crosses a 1550-byte IPv4 underlay whole and a 1549-byte one in fragments" ||
	t_fail "IPv4 budget: whole at 1550 $ok1, fragmented at 1549 $ok2"

"${LAB_A[@]}" down && "${LAB_B[@]}" down
if [ ! -e "$tmp/a" ] && [ ! -e "$tmp/b" ] && ! ip netns list | grep -q "vnm-mh$$" && ! pgrep -f "$tmp/[ab]/" >/dev/null; then
	t_ok "lab down on both hosts removed their daemons, namespaces and directories"
else
	t_fail "lab down left: $(ip netns list | grep "vnm-mh$$") $(pgrep -af "$tmp/[ab]/")"
fi

# 2. The other way round: the guest on host B, vnicemu and the peer on host A. A jumbo guest's
# 9014-byte frames now cross the underlay: 9050 bytes carry them whole.
underlay_mtu 9050
URL=vxvde://239.255.77.2/if=ul0/vni=7
"${LAB_A[@]}" up --guest "$URL" --netns $HA --key "$SECRET" >"$tmp/a.out" 2>&1 || t_fail "A: lab up --guest: $(cat "$tmp/a.out")"
"${LAB_B[@]}" guest "$URL" --netns $HB --key "$SECRET" >"$tmp/b.out" 2>&1 || t_fail "B: lab guest: $(cat "$tmp/b.out")"
[ -S "$tmp/a/control" ] && [ -S "$tmp/b/gsw/ctl" ] || {
	t_done
	exit 1
}
clean "guest over vxvde" 2179
c0=$(stat_q '.tx.stages[] | select(.name == "tso") | .created')
broken "guest over vxvde" 3179
c1=$(stat_q '.tx.stages[] | select(.name == "tso") | .created')
[ "$c1" -gt "$c0" ] && t_ok "the jumbo guest's frames crossed the 9050-byte underlay whole (tso made $((c1 - c0)) segments of them)" ||
	t_fail "no jumbo frame reached vnicemu: tso created $c0 -> $c1"
"${LAB_A[@]}" down && "${LAB_B[@]}" down

# 3. An IPv6 underlay (a site-local ff05:: group): 70 bytes of encapsulation, not 50
underlay_mtu 1570
URL=vxvde://ff05::77:3/if=ul0
"${LAB_A[@]}" up --wire "$URL" --netns $HA --guest-mtu 1500 >"$tmp/a.out" 2>&1 || t_fail "A: lab up (IPv6): $(cat "$tmp/a.out")"
"${LAB_B[@]}" peer "$URL" --netns $HB --mtu 1500 >"$tmp/b.out" 2>&1 || t_fail "B: lab peer (IPv6): $(cat "$tmp/b.out")"
fa=$(counter $HA Ip6FragCreates)
ping_1500 && [ "$(counter $HA Ip6FragCreates)" = "$fa" ] && ok1=yes || ok1=no
underlay_mtu 1569
ping_1500 && [ "$(counter $HA Ip6FragCreates)" -gt "$fa" ] && ok2=yes || ok2=no
[ $ok1 = yes ] && [ $ok2 = yes ] &&
	t_ok "IPv6 underlay: a 1500-byte packet crosses 1570 bytes whole and 1569 in fragments" ||
	t_fail "IPv6 budget: whole at 1570 $ok1, fragmented at 1569 $ok2; $(cat "$tmp/a/vnicemu.log")"
t_done
