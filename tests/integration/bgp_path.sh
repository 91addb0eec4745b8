#!/usr/bin/env bash
# Real BGP with TCP-MD5 through path elements (docs/paths.md): two BIRD 2 daemons in network
# namespaces, the vNIC (vmxnet2, guest MTU 1500: nothing for tso to segment) and a path between
# the guest and the wire. The oracle is the peer kernel's TcpExt counters and the daemons' CLIs.
#   guest ns: AS 65010, 192.0.2.10, active (neighbor 192.0.2.1)
#   peer ns:  AS 65001, 192.0.2.1, passive, dynamic BGP for 192.0.2.0/24 (BIRD's `neighbor
#             range`): its kernel key covers the prefix, so it takes the guest whichever of its
#             addresses the path shows
# 1. --path asa: option 19 blanked, TcpExtTCPMD5NotFound rises, no session;
#    `vnicctl set optstrip off` (the option-19 allowance): TcpExtTCPMD5Failure rises (seq
#    shifted), no session; `vnicctl set seqrand off`: Established with every route, nothing
#    restarted
# 2. --path nat (the guest seen as 192.0.2.20): TcpExtTCPMD5Failure rises (the peer finds its
#    key for the address it sees, the digest was made over the guest's own), no session;
#    `vnicctl set nat off` (the NAT exemption): Established with every route, nothing restarted
# Usage: bgp_path.sh VNICEMU VNICCTL      (root; exits 77 when it cannot run)
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
G=vnm-bpg$$
P=vnm-bpp$$
SECRET=path-bgp-md5
TOTAL=512 # 198.51.100.0/24 and 203.0.113.0/24 as /32s
WAIT=${BGP_PATH_WAIT:-12} # seconds a broken session is watched

lab_switch gsw && lab_switch wsw || exit 1
lab_ns "$G" gsw 192.0.2.10 2001:db8::10 1500 || exit 1
lab_ns "$P" wsw 192.0.2.1 2001:db8::1 1500 || exit 1
printf '192.0.2.0/24 %s\n' "$SECRET" >"$LAB/keys"

{
	echo "router id 192.0.2.10;"
	echo "log \"$LAB/bird-g.log\" all;"
	echo "protocol device { }"
	echo "protocol static s4 {"
	echo "	ipv4;"
	for i in $(seq 0 255); do echo "	route 198.51.100.$i/32 blackhole;"; done
	for i in $(seq 0 255); do echo "	route 203.0.113.$i/32 blackhole;"; done
	echo "}"
	cat <<EOF
protocol bgp peer {
	local 192.0.2.10 as 65010;
	neighbor 192.0.2.1 as 65001;
	password "$SECRET";
	hold time 6;
	keepalive time 2;
	connect delay time 1;
	connect retry time 2;
	error wait time 1, 2;
	ipv4 { import none; export all; };
}
EOF
} >"$LAB/bird-g.conf"
cat >"$LAB/bird-p.conf" <<EOF
router id 192.0.2.1;
log "$LAB/bird-p.log" all;
protocol device { }
protocol bgp peer {
	local 192.0.2.1 as 65001;
	neighbor range 192.0.2.0/24 as 65010;
	dynamic name "dyn";
	password "$SECRET";
	hold time 6;
	keepalive time 2;
	ipv4 { import all; export none; };
}
EOF

# established: the peer has a dynamic session in state Established
established() { bcl p show protocols | grep -qE '^dyn[0-9]+ +BGP .* up .*Established'; }
# routes: what the peer imported
routes() { bcl p show route count | awk '/routes for/ { n += $1 } END { print n + 0 }'; }
pids() { echo "$(cat "$LAB/bird-g.pid") $(cat "$LAB/bird-p.pid") $VPID"; }
counter_p() { counter "$P" "$1"; }

# watch_broken SECS: the peer never holds a session nor a route for SECS seconds
watch_broken() {
	local n=$(($1 * 4))
	EVER=no
	while [ "$n" -gt 0 ]; do
		established && EVER=yes
		[ "$(routes)" -gt 0 ] && EVER=yes
		sleep 0.25
		n=$((n - 1))
	done
}
# session_up SECS: Established with every route within SECS seconds
session_up() {
	local n=$(($1 * 4))
	while [ "$n" -gt 0 ]; do
		established && [ "$(routes)" -eq "$TOTAL" ] && return 0
		sleep 0.25
		n=$((n - 1))
	done
	return 1
}
stage_q() { stat_q ".tx.stages[] | select(.name == \"$1\") | $2"; }

# 1. the ASA --------------------------------------------------------------------------------
lab_vnicemu "vde://$LAB/gsw" --profile vmxnet2 --path asa --key-file "$LAB/keys" || exit 1
ctl show | grep -q '^tcp-sequence-randomization: on$' &&
	ctl show | grep -q '^tcp-option-stripping: on$' &&
	t_ok "vnicctl show lists the path's elements as features, on" ||
	t_fail "vnicctl show: $(ctl show | tr '\n' ' ')"
ip netns exec "$G" ping -c 1 -W 2 192.0.2.1 >/dev/null 2>&1 || t_fail "no ping through the ASA path"
nf0=$(counter_p TcpExtTCPMD5NotFound)
ff0=$(counter_p TcpExtTCPMD5Failure)
bird_start p && bird_start g || {
	t_fail "bird did not start: $(cat "$LAB"/bird-*.log 2>/dev/null | tail -5)"
	t_done
	exit 1
}
P0=$(pids)
watch_broken "$WAIT"
nf1=$(counter_p TcpExtTCPMD5NotFound)
ff1=$(counter_p TcpExtTCPMD5Failure)
[ "$EVER" = no ] && [ "$((nf1 - nf0))" -gt 0 ] &&
	t_ok "asa: no session in $WAIT s; the peer kernel's TcpExtTCPMD5NotFound +$((nf1 - nf0)) (option 19 blanked: 'No MD5 digest')" ||
	t_fail "asa: session seen $EVER, TcpExtTCPMD5NotFound +$((nf1 - nf0)), TcpExtTCPMD5Failure +$((ff1 - ff0))"
cul=$(stat_q .tx.culprit)
[ "$cul" = optstrip ] && [ "$(stage_q optstrip .invalidated)" -gt 0 ] &&
	t_ok "asa: vnicctl stats names optstrip ($(stage_q optstrip '.counts.stripped') options stripped)" ||
	t_fail "asa: culprit $cul"

ctl set optstrip off >/dev/null || t_fail "vnicctl set optstrip off failed"
ff0=$(counter_p TcpExtTCPMD5Failure)
nf0=$(counter_p TcpExtTCPMD5NotFound)
s0=$(stage_q seqrand .invalidated)
watch_broken "$WAIT"
ff1=$(counter_p TcpExtTCPMD5Failure)
nf1=$(counter_p TcpExtTCPMD5NotFound)
s1=$(stage_q seqrand .invalidated)
[ "$EVER" = no ] && [ "$((ff1 - ff0))" -gt 0 ] && [ "$nf1" = "$nf0" ] &&
	t_ok "asa, option 19 allowed: still no session; TcpExtTCPMD5Failure +$((ff1 - ff0)) (seq randomized: 'Invalid MD5 digest'), no more NotFound" ||
	t_fail "asa, option 19 allowed: session seen $EVER, TcpExtTCPMD5Failure +$((ff1 - ff0)), NotFound +$((nf1 - nf0))"
[ "$((s1 - s0))" -gt 0 ] && t_ok "asa, option 19 allowed: seqrand invalidated $((s1 - s0)) more digests" ||
	t_fail "asa, option 19 allowed: seqrand invalidated nothing new"

ctl set seqrand off >/dev/null || t_fail "vnicctl set seqrand off failed"
ff0=$(counter_p TcpExtTCPMD5Failure)
c0=$(date +%s)
if session_up 40; then
	t_ok "asa, both fixes: Established, the peer holds all $TOTAL routes ($(($(date +%s) - c0)) s)"
else
	t_fail "asa, both fixes: no session or $(routes) of $TOTAL routes: $(bcl p show protocols | tail -n +2 | tr '\n' ' ')"
fi
[ "$(pids)" = "$P0" ] && t_ok "asa: nothing restarted (bird, bird, vnicemu: $P0)" ||
	t_fail "asa: processes changed: $P0 -> $(pids)"
ff1=$(counter_p TcpExtTCPMD5Failure)
[ "$ff1" = "$ff0" ] || echo "# (TcpExtTCPMD5Failure +$((ff1 - ff0)) while the last randomized attempts timed out)"
bird_stop g
bird_stop p
kill -TERM "$VPID" 2>/dev/null
wait "$VPID" 2>/dev/null

# 2. NAT ----------------------------------------------------------------------------------
lab_vnicemu "vde://$LAB/gsw" --profile vmxnet2 --path nat --key-file "$LAB/keys" || exit 1
ip netns exec "$G" ping -c 1 -W 2 192.0.2.1 >/dev/null 2>&1 &&
	t_ok "nat: ping through the NAT (its proxy ARP answers for 192.0.2.20)" ||
	t_fail "nat: no ping through the NAT"
ff0=$(counter_p TcpExtTCPMD5Failure)
un0=$(counter_p TcpExtTCPMD5Unexpected)
bird_start p && bird_start g || t_fail "bird did not start"
P0=$(pids)
watch_broken "$WAIT"
ff1=$(counter_p TcpExtTCPMD5Failure)
[ "$EVER" = no ] && [ "$((ff1 - ff0))" -gt 0 ] &&
	t_ok "nat: no session in $WAIT s; TcpExtTCPMD5Failure +$((ff1 - ff0)) (the peer's key for 192.0.2.20, a digest over 192.0.2.10)" ||
	t_fail "nat: session seen $EVER, TcpExtTCPMD5Failure +$((ff1 - ff0)), Unexpected +$(($(counter_p TcpExtTCPMD5Unexpected) - un0))"
[ "$(stat_q .tx.culprit)" = nat ] && t_ok "nat: vnicctl stats names nat" ||
	t_fail "nat: culprit $(stat_q .tx.culprit)"
ctl set nat off >/dev/null || t_fail "vnicctl set nat off failed"
c0=$(date +%s)
if session_up 40; then
	t_ok "nat exempted: Established, the peer holds all $TOTAL routes ($(($(date +%s) - c0)) s)"
else
	t_fail "nat exempted: no session or $(routes) of $TOTAL routes: $(bcl p show protocols | tail -n +2 | tr '\n' ' ')"
fi
[ "$(pids)" = "$P0" ] && t_ok "nat: nothing restarted" || t_fail "nat: processes changed: $P0 -> $(pids)"
bird_stop g
bird_stop p
kill -TERM "$VPID" 2>/dev/null
wait "$VPID" 2>/dev/null
t_done
