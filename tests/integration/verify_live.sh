#!/usr/bin/env bash
# vnicemu verify --interface on a veth between two network namespaces, with real kernels'
# TCP-MD5 (md5peer) and the receiving kernel's TcpExt counters as the oracle:
#   A (192.0.2.1, .3, .4; 2001:db8::1, ::3) --veth-- B (192.0.2.2; 2001:db8::2), captured at B
# B keys each peer apart; .3 and ::3 sign with a wrong key, .4 does not sign at all. The
# invalid and missing counts at B's interface must equal B's TCPMD5Failure and TCPMD5NotFound
# deltas; a clean session counts only valid. Also --count, --duration, --list, --json, --user,
# SIGINT and SIGTERM, a bad interface and filter, and no secret in any output. TCP-AO, and
# super-frames, with sessions scapy signed sent on a second veth pair.
set -uo pipefail
VNICEMU=$1
MD5PEER=$2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
t_need_root
t_need nstat ss ethtool
. "$here/netns_lib.sh"
trap lab_cleanup EXIT
A=vnm-la$$
B=vnm-lb$$
GOOD=live-good-secret
GOOD6=live-good6-secret
OTHER=live-other-secret
WRONG=live-wrong-secret
K4=live-k4-secret

for ns in "$A" "$B"; do
	ip netns add "$ns" || exit 1
	LAB_NS+=("$ns")
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
done
ip link add va netns "$A" type veth peer name vb netns "$B" || exit 1
for a in 192.0.2.1/24 192.0.2.3/24 192.0.2.4/24; do ip -n "$A" addr add "$a" dev va; done
for a in 2001:db8::1/64 2001:db8::3/64; do ip -n "$A" addr add "$a" dev va nodad; done
ip -n "$B" addr add 192.0.2.2/24 dev vb
ip -n "$B" addr add 2001:db8::2/64 dev vb nodad
ip -n "$A" link set va up
ip -n "$B" link set vb up
wait_for 100 ip netns exec "$A" ping -c1 -W1 192.0.2.2 || { echo "no link" >&2; exit 1; }
wait_for 100 ip netns exec "$A" ping -c1 -W1 2001:db8::2 || { echo "no IPv6 link" >&2; exit 1; }

# B's keys, one per peer: what B's listeners hold and what vnicemu is given
cat >"$LAB/keys" <<EOF
192.0.2.1 $GOOD
192.0.2.3 $OTHER
192.0.2.4 $K4
2001:db8::1 $GOOD6
2001:db8::3 $OTHER
EOF
chmod 600 "$LAB/keys"
bkeys=(--key "192.0.2.1=$GOOD" --key "192.0.2.3=$OTHER" --key "192.0.2.4=$K4")
bkeys6=(--key "2001:db8::1=$GOOD6" --key "2001:db8::3=$OTHER")
ip netns exec "$B" "$MD5PEER" listen 192.0.2.2 1790 "${bkeys[@]}" >"$LAB/l4.out" 2>&1 &
LAB_PIDS+=($!)
ip netns exec "$B" "$MD5PEER" listen 2001:db8::2 1790 "${bkeys6[@]}" >"$LAB/l6.out" 2>&1 &
LAB_PIDS+=($!)
wait_for 100 sh -c "ip netns exec $B ss -ltn 'sport = :1790' -H | grep -c LISTEN | grep -qx 2"

# live NAME ARGS...: vnicemu verify --interface vb ARGS in B, output in $LAB/NAME.{out,err};
# sets VP and waits until the capture is open
live() {
	local name=$1
	shift
	ip netns exec "$B" "$VNICEMU" verify --interface "${IFACE:-vb}" "$@" >"$LAB/$name.out" 2>"$LAB/$name.err" &
	VP=$!
	LAB_PIDS+=("$VP")
	wait_for 100 grep -q "listening on ${IFACE:-vb}" "$LAB/$name.err" || {
		cat "$LAB/$name.err"
		return 1
	}
}
# stop SIG: end the running vnicemu with SIG; its exit status in RC
stop() {
	kill "-$1" "$VP"
	wait "$VP"
	RC=$?
}
# conn SRC DST BYTES KEYSPEC TIMEOUT: one md5peer session from A
conn() {
	local key=()
	[ -n "$4" ] && key=(--key "$4")
	ip netns exec "$A" "$MD5PEER" connect "$2" 1790 --src "$1" --bytes "$3" "${key[@]}" \
		--timeout "$5" >>"$LAB/conn.out" 2>&1
}
# j FILE EXPR: a field of the JSON object on FILE's last line (python3 json is the reader)
j() { tail -n1 "$1" | python3 -c "import json,sys; d=json.load(sys.stdin); print($2)"; }

# 1. Per-peer keys, IPv4 and IPv6: one good session each, wrong keys, a peer that does not sign
live mixed --key-file "$LAB/keys" --json || exit 1
f0=$(counter "$B" TcpExtTCPMD5Failure)
n0=$(counter "$B" TcpExtTCPMD5NotFound)
conn 192.0.2.1 192.0.2.2 200000 "192.0.2.2=$GOOD" 10 || t_fail "IPv4 session with the right key: $(cat "$LAB/conn.out")"
conn 2001:db8::1 2001:db8::2 200000 "2001:db8::2=$GOOD6" 10 || t_fail "IPv6 session with the right key: $(cat "$LAB/conn.out")"
conn 192.0.2.3 192.0.2.2 100 "192.0.2.2=$WRONG" 2 && t_fail "a wrong key got through"
conn 2001:db8::3 2001:db8::2 100 "2001:db8::2=$WRONG" 2 && t_fail "a wrong IPv6 key got through"
conn 192.0.2.4 192.0.2.2 100 "" 2 && t_fail "an unsigned SYN got through"
sleep 0.3
stop INT
f1=$(counter "$B" TcpExtTCPMD5Failure)
n1=$(counter "$B" TcpExtTCPMD5NotFound)
[ "$RC" -eq 0 ] && t_ok "SIGINT ends it, exit 0" || t_fail "exit $RC after SIGINT: $(cat "$LAB/mixed.err")"
inv=$(j "$LAB/mixed.out" 'd["md5"]["invalid"]')
mis=$(j "$LAB/mixed.out" 'd["md5"]["missing"]')
drop=$(j "$LAB/mixed.out" 'd["dropped"]')
[ "$drop" = 0 ] && t_ok "the kernel dropped no frame before the capture" || t_fail "$drop frames dropped: counts incomplete"
if [ "$inv" -gt 0 ] && [ "$inv" -eq "$((f1 - f0))" ]; then
	t_ok "invalid at B's interface ($inv) = B's TcpExtTCPMD5Failure delta"
else
	t_fail "invalid $inv, TcpExtTCPMD5Failure +$((f1 - f0))"
fi
if [ "$mis" -gt 0 ] && [ "$mis" -eq "$((n1 - n0))" ]; then
	t_ok "missing at B's interface ($mis) = B's TcpExtTCPMD5NotFound delta"
else
	t_fail "missing $mis, TcpExtTCPMD5NotFound +$((n1 - n0))"
fi
# peer ADDR: "frames valid invalid missing" of one peer
peer() { j "$LAB/mixed.out" "' '.join(str(p[k]) for p in d['peers'] if p['address'] == '$1' for k in ('frames','valid','invalid','missing'))"; }
check_peer() { # ADDR WHAT: WHAT is good (all valid), bad (all invalid), unsigned (all missing)
	local f v i m
	read -r f v i m <<<"$(peer "$1")"
	case $2 in
	good) [ "${f:-0}" -gt 10 ] && [ "$v" = "$f" ] && [ "$i" = 0 ] && [ "$m" = 0 ] ;;
	bad) [ "${f:-0}" -gt 0 ] && [ "$i" = "$f" ] && [ "$v" = 0 ] ;;
	unsigned) [ "${f:-0}" -gt 0 ] && [ "$m" = "$f" ] && [ "$v" = 0 ] && [ "$i" = 0 ] ;;
	esac && t_ok "peer $1: $2 ($f frames, $v valid, $i invalid, $m missing)" ||
		t_fail "peer $1 should be $2: $(peer "$1")"
}
check_peer 192.0.2.1 good
check_peer 192.0.2.2 good
check_peer 2001:db8::1 good
check_peer 2001:db8::2 good
check_peer 192.0.2.3 bad
check_peer 2001:db8::3 bad
check_peer 192.0.2.4 unsigned
[ "$(j "$LAB/mixed.out" 'd["md5"]["unchecked"] + d["oversize"]')" = 0 ] &&
	t_ok "every signed segment checked; no super-frame (MD5 sockets turn GSO off)" ||
	t_fail "unchecked or oversize: $(tail -n1 "$LAB/mixed.out")"
grep -Eq '^vb [0-9]+s: [0-9]+ frames \| .*192\.0\.2\.3 [0-9]+ frames, 0 valid, [1-9][0-9]* invalid, 0 missing' "$LAB/mixed.err" &&
	t_ok "a summary line on stderr per second, per peer: $(grep -c '^vb ' "$LAB/mixed.err") lines" ||
	t_fail "no per-peer summary line: $(cat "$LAB/mixed.err")"

# 2. A clean session, IPv4 and IPv6, with --list: only valid; ended by SIGTERM
live clean --key-file "$LAB/keys" --list --json || exit 1
f0=$(counter "$B" TcpExtTCPMD5Failure)
conn 192.0.2.1 192.0.2.2 300000 "192.0.2.2=$GOOD" 10 &&
	conn 2001:db8::1 2001:db8::2 300000 "2001:db8::2=$GOOD6" 10 ||
	t_fail "clean sessions: $(cat "$LAB/conn.out")"
sleep 0.5
before=$(grep -c '"verdict": "valid"' "$LAB/clean.out")
stop TERM
f1=$(counter "$B" TcpExtTCPMD5Failure)
[ "$RC" -eq 0 ] && t_ok "SIGTERM ends it, exit 0" || t_fail "exit $RC after SIGTERM"
frames=$(j "$LAB/clean.out" 'd["frames"]')
if [ "$(j "$LAB/clean.out" 'd["md5"]["valid"]')" = "$frames" ] && [ "$frames" -gt 20 ] &&
	[ "$(j "$LAB/clean.out" 'd["md5"]["invalid"] + d["md5"]["missing"] + d["dropped"]')" = 0 ] &&
	[ "$f1" = "$f0" ]; then
	t_ok "clean session: $frames frames, all valid, invalid 0, missing 0, no kernel failure"
else
	t_fail "clean session: $(tail -n1 "$LAB/clean.out"), failures +$((f1 - f0))"
fi
# with --json, --list lines are JSON objects (as for a file), the summary object last
lines=$(grep -Ec '^\{"frame": [0-9]+, "scheme": "md5", "verdict": "valid", "src": "(192\.0\.2|2001:db8::)' "$LAB/clean.out")
[ "$lines" = "$frames" ] && [ "$(($(wc -l <"$LAB/clean.out") - 1))" = "$frames" ] &&
	grep -q '"src": "2001:db8::1", "sport": [0-9]*, "dst": "2001:db8::2", "dport": 1790,' "$LAB/clean.out" &&
	t_ok "--list --json: one JSON line per frame, all valid, IPv6 too" ||
	t_fail "--list: $lines valid lines for $frames frames"
[ "$before" = "$frames" ] && t_ok "--list lines stream: all $before were out before the end" ||
	t_fail "--list: $before lines out before SIGTERM, $frames frames in all"

# 3. --count N stops after N frames; --duration S after S seconds
live count --key-file "$LAB/keys" --count 7 --json || exit 1
conn 192.0.2.1 192.0.2.2 100000 "192.0.2.2=$GOOD" 10
wait_for 100 sh -c "! kill -0 $VP" && wait "$VP"
RC=$?
[ "$RC" -eq 0 ] && [ "$(j "$LAB/count.out" 'd["frames"]')" = 7 ] &&
	t_ok "--count 7: ends by itself after 7 frames" || t_fail "--count 7: exit $RC, $(cat "$LAB/count.out")"
t0=$(date +%s%N)
live duration --duration 1.5 --json || exit 1
wait "$VP"
RC=$?
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$RC" -eq 0 ] && [ "$ms" -ge 1500 ] && [ "$ms" -lt 4000 ] && j "$LAB/duration.out" 'd["frames"]' >/dev/null &&
	t_ok "--duration 1.5: ends by itself after ${ms} ms, valid JSON" ||
	t_fail "--duration 1.5: exit $RC after $ms ms: $(cat "$LAB/duration.out" "$LAB/duration.err")"

# 4. --user: the capture opened as root keeps working after the drop
live user --key-file "$LAB/keys" --user nobody --duration 3 --json || exit 1
uid=$(awk '/^Uid:/ { print $2 $3 $4 $5 }' "/proc/$(pgrep -P "$VP" -x vnicemu || echo "$VP")/status" 2>/dev/null)
conn 192.0.2.1 192.0.2.2 50000 "192.0.2.2=$GOOD" 10
wait "$VP"
RC=$?
nobody=$(id -u nobody)
[ "$uid" = "$nobody$nobody$nobody$nobody" ] && t_ok "--user nobody: real, effective, saved and fs uid $nobody" ||
	t_fail "--user nobody: uids $uid"
[ "$RC" -eq 0 ] && [ "$(j "$LAB/user.out" 'd["md5"]["valid"]')" -gt 10 ] &&
	t_ok "--user nobody: frames still captured and checked" || t_fail "--user: exit $RC, $(cat "$LAB/user.out" "$LAB/user.err")"
ip netns exec "$B" "$VNICEMU" verify --interface vb --user no-such-user-here --count 1 >"$LAB/nouser.out" 2>"$LAB/nouser.err"
RC=$?
[ "$RC" -eq 2 ] && [ "$(wc -l <"$LAB/nouser.err")" = 1 ] && grep -q -- "--user no-such-user-here" "$LAB/nouser.err" &&
	t_ok "unknown --user: $(cat "$LAB/nouser.err"), exit 2" || t_fail "unknown --user: exit $RC, $(cat "$LAB/nouser.err")"

# 5. Bad input: one line, exit 2
ip netns exec "$B" "$VNICEMU" verify --interface nosuch0 --count 1 >"$LAB/bad.out" 2>"$LAB/bad.err"
RC=$?
[ "$RC" -eq 2 ] && [ "$(wc -l <"$LAB/bad.err")" = 1 ] && grep -q nosuch0 "$LAB/bad.err" && [ ! -s "$LAB/bad.out" ] &&
	t_ok "bad interface: '$(cat "$LAB/bad.err")', exit 2" || t_fail "bad interface: exit $RC, $(cat "$LAB/bad.err")"
ip netns exec "$B" "$VNICEMU" verify --interface vb --filter 'tcp port' --count 1 >"$LAB/badf.out" 2>"$LAB/badf.err"
RC=$?
[ "$RC" -eq 2 ] && [ "$(wc -l <"$LAB/badf.err")" = 1 ] && grep -q -- "--filter 'tcp port'" "$LAB/badf.err" &&
	t_ok "bad filter: '$(cat "$LAB/badf.err")', exit 2" || t_fail "bad filter: exit $RC, $(cat "$LAB/badf.err")"

# 6. --filter narrows the capture; --key as tcpdump -M
live filt --filter "tcp and src host 192.0.2.1" --key "$GOOD" --json || exit 1
conn 192.0.2.1 192.0.2.2 50000 "192.0.2.2=$GOOD" 10
sleep 0.3
stop INT
[ "$(j "$LAB/filt.out" '",".join(p["address"] for p in d["peers"])')" = 192.0.2.1 ] &&
	[ "$(j "$LAB/filt.out" 'd["md5"]["valid"] == d["frames"] > 10')" = True ] &&
	t_ok "--filter: only 192.0.2.1's frames, all valid with --key" || t_fail "--filter: $(tail -n1 "$LAB/filt.out")"

# 7. TCP-AO, which no kernel here speaks: sessions scapy signed (tests/support/ao_oracle.py),
#    one signed segment in three with a bit flipped, sent from A on a second veth pair (MTU
#    65535 for their TSO super-frames; no addresses, so no kernel answers). The traffic keys come
#    from the SYNs the capture sees; every frame's TCP-AO verdict must be scapy's.
py=/usr/bin/python3
oracle=$here/../support/ao_oracle.py
if $py -c 'import scapy.contrib.tcpao' 2>/dev/null; then
	ip link add vc netns "$A" mtu 65535 type veth peer name vd netns "$B" mtu 65535 || exit 1
	ip netns exec "$A" sysctl -qw net.ipv6.conf.vc.disable_ipv6=1
	ip netns exec "$B" sysctl -qw net.ipv6.conf.vd.disable_ipv6=1
	ip -n "$A" link set vc up
	ip -n "$B" link set vd up
	$py "$oracle" sign "$here/../data/ao/sessions.json" "$LAB/ao.pcap" --keys "$LAB/ao.keys" --isns "$LAB/ao.isns"
	$py "$oracle" mutate "$LAB/ao.pcap" "$LAB/mut.pcap" --every 3 --seed 1 2>/dev/null
	$py "$oracle" check "$LAB/mut.pcap" "$LAB/ao.keys" >"$LAB/ao-oracle.txt"
	n=$(wc -l <"$LAB/ao-oracle.txt")
	IFACE=vd live ao --key-file "$LAB/ao.keys" --list || exit 1
	ip netns exec "$A" $py -c 'import sys; from scapy.all import rdpcap, sendp; sendp(rdpcap(sys.argv[1]), iface="vc", verbose=0)' "$LAB/mut.pcap"
	wait_for 100 test "$(cut -d' ' -f1 "$LAB/ao.out" | sort -u | wc -l)" -ge "$n"
	stop INT
	awk '$2 == "ao" {ao[$1] = $3; next}
	     {if (!($1 in ao)) ao[$1] = ($2 == "malformed" ? "malformed" : "unsigned")}
	     END {for (k in ao) print k, ao[k]}' "$LAB/ao.out" | sort -n >"$LAB/ao-live.txt"
	if [ "$n" -gt 50 ] && grep -q invalid "$LAB/ao-oracle.txt" && diff -u "$LAB/ao-oracle.txt" "$LAB/ao-live.txt" >"$LAB/ao.diff"; then
		t_ok "TCP-AO live: $n frames as scapy says ($(awk '{print $2}' "$LAB/ao-live.txt" | sort | uniq -c | xargs)), keys from the SYNs seen"
	else
		t_fail "TCP-AO live differs from scapy: $(head -12 "$LAB/ao.diff")"
	fi
	grep -Eq '^vd [0-9]+s: .* \| 192\.0\.2\.1 [0-9]+ frames, [0-9]+ valid, [1-9][0-9]* invalid' "$LAB/ao.err" &&
		t_ok "TCP-AO counts in the per-peer summary" || t_fail "TCP-AO summary: $(tail -n1 "$LAB/ao.err")"

	# 8. Super-frames: the same sessions (unmutated) sent as a guest's TSO would, at MTU 1500.
	#    Where the sending veth offers TSO the kernel carries each signed super-frame whole: the
	#    capture sees it, valid (signed whole), and counts it as oversize. With TSO and GSO off
	#    the kernel cuts them itself, every header and option copied: each segment's MAC is stale,
	#    invalid at the capture, and the super-frames are gone (vnicemu's own story, by a kernel).
	ip -n "$A" link set vc mtu 1500
	ip -n "$B" link set vd mtu 1500
	# gso NAME: send ao.pcap through tests/support/gsoinject.py; "FRAMES SUPER SEGMENTS" in NAME.n
	gso() {
		IFACE=vd live "$1" --key-file "$LAB/ao.keys" --json || exit 1
		ip netns exec "$A" $py "$here/../support/gsoinject.py" vc "$LAB/ao.pcap" >"$LAB/$1.n"
		sleep 0.5
		stop INT
	}
	gso gso-tso
	read -r frames supers segs <"$LAB/gso-tso.n"
	if [ "${supers:-0}" -gt 0 ] && [ "$(j "$LAB/gso-tso.out" 'd["oversize"], d["frames"], d["ao"]["valid"]')" = "$supers $frames $frames" ]; then
		t_ok "super-frames on a veth with TSO: all $supers seen whole, valid, counted as oversize"
	else
		t_fail "super-frames with TSO: sent $frames ($supers GSO): $(tail -n1 "$LAB/gso-tso.out")"
	fi
	grep -q "super-frames" "$LAB/gso-tso.err" && t_ok "the summary line names the super-frames" ||
		t_fail "no super-frames in the summary: $(tail -n1 "$LAB/gso-tso.err")"
	ip netns exec "$A" ethtool -K vc tso off gso off >/dev/null 2>&1
	gso gso-sw
	want="0 $((frames - supers + segs)) $((frames - supers)) $segs"
	got=$(j "$LAB/gso-sw.out" 'd["oversize"], d["frames"], d["ao"]["valid"], d["ao"]["invalid"]')
	[ "$got" = "$want" ] && t_ok "TSO off, the kernel segments: $segs segments of $supers super-frames, every MAC invalid; the rest valid" ||
		t_fail "kernel GSO: oversize, frames, valid, invalid: $got, want $want"
else
	t_fail "$py cannot import scapy.contrib.tcpao (apt-get install python3-scapy)"
fi

for s in "$GOOD" "$GOOD6" "$OTHER" "$WRONG" "$K4"; do
	if grep -rqF -- "$s" "$LAB"/*.out "$LAB"/*.err; then
		t_fail "a secret appears in vnicemu's output"
		break
	fi
done
while read -r secret; do
	grep -rqF -- "$secret" "$LAB"/*.out "$LAB"/*.err && t_fail "a TCP-AO secret appears in vnicemu's output"
done < <(awk '/^ao / { print $NF }' "$LAB/ao.keys" 2>/dev/null)
[ "$fails" -eq 0 ] && t_ok "no secret in any output"
t_done
