#!/usr/bin/env bash
# Real BGP through vnicemu: two BIRD 2 daemons in network namespaces, eBGP with TCP-MD5
# (`password`), the guest's UPDATEs larger than one wire frame.
#   guest ns: AS 65010, 192.0.2.10, tap on the guest switch (MTU 9000, then 1500)
#   peer ns:  AS 65001, 192.0.2.1,  tap on the wire switch (MTU 9000 throughout)
#   vnicemu run --profile vmxnet2 --wire-mtu 1500 between the two switches
# The oracle is the daemons' own CLIs (birdc) and the peer kernel's TcpExtTCPMD5Failure.
#   1. jumbo guest, tso copies the digest: the peer rejects the segments, routes never arrive
#   2. guest MTU 1500: nothing to segment, every route arrives, no MD5 failure
#   3. jumbo guest, tso.md5=resign: every route arrives, no MD5 failure
# Usage: bgp.sh VNICEMU VNICCTL      (root; exits 77 when it cannot run)
set -uo pipefail
VNICEMU=$1
VNICCTL=$2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
t_need_root
t_need bird birdc vde_plug nstat jq
. "$here/netns_lib.sh"
trap lab_cleanup EXIT
trap 'exit 1' INT TERM HUP
T0=$(date +%s.%N)
G=vnm-bgpg$$
P=vnm-bgpp$$
SECRET=bgp-md5-secret
N6=${BGP_ROUTES6:-3000} # IPv6 /48s under 2001:db8::/32, carried by MP-BGP over the IPv4 session
N4=512                  # 198.51.100.0/24 and 203.0.113.0/24 split into /32s
TOTAL=$((N4 + N6))
WAIT_FAIL=${BGP_WAIT_FAIL:-25} # seconds case 1 gives the session to carry the routes

lab_switch gsw && lab_switch wsw || exit 1
lab_ns "$G" gsw 192.0.2.10 2001:db8::10 9000 || exit 1
lab_ns "$P" wsw 192.0.2.1 2001:db8::1 9000 || exit 1
printf '# the BGP peers\n192.0.2.0/24 %s\n' "$SECRET" >"$LAB/keys"

# The guest's routes: static blackholes, never installed in a kernel (no kernel protocol).
{
	echo "protocol static s4 {"
	echo "	ipv4;"
	for i in $(seq 0 255); do echo "	route 198.51.100.$i/32 blackhole;"; done
	for i in $(seq 0 255); do echo "	route 203.0.113.$i/32 blackhole;"; done
	echo "}"
	echo "protocol static s6 {"
	echo "	ipv6;"
	for i in $(seq 4096 $((4096 + N6 - 1))); do printf '	route 2001:db8:%x::/48 blackhole;\n' "$i"; done
	echo "}"
} >"$LAB/routes.conf"

# bird_conf NAME ID AS PEER PEER_AS EXTRA EXPORT
bird_conf() {
	cat <<EOF
router id $2;
log "$LAB/bird-$1.log" all;
protocol device { }
include "$LAB/routes-$1.conf";
protocol bgp peer {
	local $2 as $3;
	neighbor $4 as $5;
	password "$SECRET";
	hold time 6;
	keepalive time 2;
	connect delay time 1;
	connect retry time 2;
	error wait time 2, 4;
	$6
	ipv4 { import all; export $7; };
	ipv6 { import all; export $7; };
}
EOF
}
cp "$LAB/routes.conf" "$LAB/routes-g.conf"
: >"$LAB/routes-p.conf"
bird_conf g 192.0.2.10 65010 192.0.2.1 65001 "" all >"$LAB/bird-g.conf"
bird_conf p 192.0.2.1 65001 192.0.2.10 65010 "passive on;" none >"$LAB/bird-p.conf"

# state g|p: BGP state of the peer protocol (Established, Active, Connect, ...)
state() { bcl "$1" show protocols all peer | awk '/BGP state:/ { print $3 }'; }
# routes p: routes the peer imported from the guest ("Total: N of N routes ...")
routes() {
	bcl "$1" show route protocol peer count | awk '/^Total:/ { print $2; f = 1 } END { if (!f) print 0 }'
}
last_error() { bcl "$1" show protocols all peer | sed -n 's/^ *Last error: *//p'; }

# vnicemu_start [--set ...]: the vNIC between the switches, vmxnet2, wire MTU 1500
vnicemu_start() {
	lab_vnicemu "vde://$LAB/gsw" --profile vmxnet2 --wire-mtu 1500 --key-file "$LAB/keys" "$@"
}
vnicemu_stop() {
	kill -TERM "$VPID" 2>/dev/null
	wait "$VPID" 2>/dev/null
}
md5fail() { counter "$P" TcpExtTCPMD5Failure; }

# session_up SECS: wait for both daemons to reach Established and the peer to hold every
# route; sets SEEN (states of the peer's session, in order), MAXR (most routes it held)
session_up() {
	local n=$(($1 * 4)) s r
	SEEN=
	MAXR=0
	while [ "$n" -gt 0 ]; do
		s=$(state p)
		r=$(routes p)
		[ "$r" -gt "$MAXR" ] && MAXR=$r
		case "$SEEN" in *" $s") ;; *) SEEN="$SEEN $s" ;; esac
		[ "$s" = Established ] && [ "$(state g)" = Established ] && [ "$r" -eq "$TOTAL" ] && return 0
		sleep 0.25
		n=$((n - 1))
	done
	return 1
}
# watch_fail SECS: case 1 — record the peer's state transitions and route counts for SECS
# seconds, never stopping early; ESTAB counts the sessions that reached Established
watch_fail() {
	local n=$(($1 * 4)) s r
	SEEN=
	MAXR=0
	ESTAB=0
	while [ "$n" -gt 0 ]; do
		s=$(state p)
		r=$(routes p)
		[ "$r" -gt "$MAXR" ] && MAXR=$r
		case "$SEEN" in
		*" $s") ;;
		*)
			SEEN="$SEEN $s"
			[ "$s" = Established ] && ESTAB=$((ESTAB + 1))
			;;
		esac
		sleep 0.25
		n=$((n - 1))
	done
}
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
now() { date +%s.%N; }

echo "# $TOTAL routes ($N4 IPv4 /32s, $N6 IPv6 /48s) from AS 65010 to AS 65001 over TCP-MD5"

# 1. Jumbo guest, tso copies the digest ------------------------------------------------------
vnicemu_start || exit 1
ip netns exec "$G" ping -c 1 -W 2 192.0.2.1 >/dev/null 2>&1 || t_fail "no ping through vnicemu"
f0=$(md5fail)
bird_start p && bird_start g || {
	t_fail "bird did not start: $(cat "$LAB"/bird-*.log 2>/dev/null | tail -5)"
	t_done
	exit 1
}
c1=$(now)
watch_fail "$WAIT_FAIL"
f1=$(md5fail)
err=$(last_error p)
echo "# case 1 (guest MTU 9000, tso copy): peer states:$SEEN; most routes held $MAXR of $TOTAL;" \
	"last error '${err:-none}'; TcpExtTCPMD5Failure +$((f1 - f0)); $(elapsed "$c1") s"
bcl p show protocols all peer | sed -n '2,/Channel ipv4/p' | sed 's/^/#   peer> /'
bcl g show protocols all peer | sed -n 's/^ *Last error/#   guest> Last error/p'
[ "$ESTAB" -ge 1 ] && t_ok "jumbo guest: the session reaches Established (OPEN and KEEPALIVEs fit a frame)" ||
	t_fail "jumbo guest: the session never reached Established (states:$SEEN)"
[ "$MAXR" -lt "$TOTAL" ] &&
	t_ok "jumbo guest: the peer never holds all $TOTAL routes in ${WAIT_FAIL} s (at most $MAXR)" ||
	t_fail "jumbo guest: the peer got all $TOTAL routes"
case "$SEEN" in
*Established" "*) t_ok "jumbo guest: the session fails and flaps: $ESTAB times Established, then${SEEN#*Established}; peer's last error: ${err:-none}" ;;
*) t_fail "jumbo guest: no flap seen (states:$SEEN; last error: ${err:-none})" ;;
esac
[ "$((f1 - f0))" -gt 0 ] && t_ok "jumbo guest: peer kernel TcpExtTCPMD5Failure +$((f1 - f0))" ||
	t_fail "jumbo guest: no MD5 failure counted by the peer kernel"
cul=$(stat_q .tx.culprit)
created=$(tso_q .created)
inval=$(stat_q .tx.wire.md5.invalid)
[ "$cul" = tso ] && [ "$created" -gt 0 ] && [ "$inval" -gt 0 ] &&
	t_ok "vnicctl stats: culprit tso ($created segments created, $inval invalid digests on the wire)" ||
	t_fail "vnicctl stats: culprit $cul, tso created $created, wire invalid $inval"
ctl stats | grep -m1 "culprit" | sed 's/^/#   vnicctl> /'
bird_stop g
bird_stop p

# 2. Guest MTU 1500: nothing to segment --------------------------------------------------------
ip -n "$G" link set vtap0 mtu 1500
f0=$(md5fail)
k0=$(tso_q .created)
c2=$(now)
bird_start p && bird_start g || t_fail "bird did not restart"
if session_up 30; then
	t_ok "guest MTU 1500: Established, the peer holds all $TOTAL routes ($(elapsed "$c2") s)"
else
	t_fail "guest MTU 1500: peer states:$SEEN, $MAXR of $TOTAL routes, last error '$(last_error p)'"
fi
bcl p show route count | sed '1d; s/^/#   peer> /'
bcl g show protocols all peer | grep -E 'Channel|Routes:' | sed 's/^/#   guest> /'
f1=$(md5fail)
[ "$f1" = "$f0" ] && t_ok "guest MTU 1500: no new MD5 failure in the peer kernel" ||
	t_fail "guest MTU 1500: TcpExtTCPMD5Failure +$((f1 - f0))"
k1=$(tso_q .created)
[ "$k1" = "$k0" ] && t_ok "guest MTU 1500: tso segmented nothing" || t_fail "guest MTU 1500: tso created $((k1 - k0))"
bird_stop g
bird_stop p

# 3. Jumbo guest, tso re-signs every segment -----------------------------------------------------
vnicemu_stop
ip -n "$G" link set vtap0 mtu 9000
vnicemu_start --set tso.md5=resign || exit 1
f0=$(md5fail)
c3=$(now)
bird_start p && bird_start g || t_fail "bird did not restart"
if session_up 30; then
	t_ok "tso.md5=resign: Established, the peer holds all $TOTAL routes ($(elapsed "$c3") s)"
else
	t_fail "tso.md5=resign: peer states:$SEEN, $MAXR of $TOTAL routes, last error '$(last_error p)'"
fi
f1=$(md5fail)
[ "$f1" = "$f0" ] && t_ok "tso.md5=resign: no new MD5 failure in the peer kernel" ||
	t_fail "tso.md5=resign: TcpExtTCPMD5Failure +$((f1 - f0))"
created=$(tso_q .created)
inval=$(stat_q .tx.wire.md5.invalid)
[ "$created" -gt 0 ] && [ "$inval" = 0 ] &&
	t_ok "tso.md5=resign: tso segmented the jumbo UPDATEs ($created segments), 0 invalid digests on the wire" ||
	t_fail "tso.md5=resign: tso created $created, wire invalid $inval"
bird_stop g
bird_stop p
vnicemu_stop
echo "# total $(elapsed "$T0") s"
t_done
