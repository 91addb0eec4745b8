#!/usr/bin/env bash
# tools/lab up / down: the one-command lab comes up, carries a TCP-MD5 session (clean with a
# 1500-byte guest, broken by tso with a jumbo guest), and goes away without a trace.
set -uo pipefail
TOP=$1
BUILD=$2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
if [ "$(id -u)" -ne 0 ]; then
	echo "needs root: skipped"
	exit 77
fi
export VNICEMU_LAB
VNICEMU_LAB=$(mktemp -d)/lab
export VNICEMU_BUILD=$BUILD
trap '"$TOP/tools/lab" down >/dev/null 2>&1; rm -rf "$(dirname "$VNICEMU_LAB")"' EXIT
P=vnm-lab-peer
G=vnm-lab-guest

session() { # MTU: a 200 KB TCP-MD5 session guest -> peer; 0 when it completed
	ip netns exec $P "$BUILD/md5peer" listen 0.0.0.0 179 --once --timeout 8 \
		--key 192.0.2.10=lab-md5-secret >"$VNICEMU_LAB/recv" 2>&1 &
	local lp=$!
	sleep 0.3
	ip netns exec $G "$BUILD/md5peer" connect 192.0.2.1 179 --bytes 200000 --timeout 5 \
		--key 192.0.2.1=lab-md5-secret >"$VNICEMU_LAB/sent" 2>&1
	local rc=$?
	kill "$lp" 2>/dev/null
	wait "$lp" 2>/dev/null
	return $rc
}
for mtu in 1500 9000; do
	"$TOP/tools/lab" up --guest-mtu $mtu >"$(dirname "$VNICEMU_LAB")/up.out" 2>&1 ||
		{ t_fail "lab up: $(cat "$(dirname "$VNICEMU_LAB")/up.out")"; continue; }
	grep -q "Tear down: tools/lab down" "$(dirname "$VNICEMU_LAB")/up.out" &&
		grep -q -- "-netdev vde,id=n0,sock=$VNICEMU_LAB/gsw" "$(dirname "$VNICEMU_LAB")/up.out" &&
		t_ok "lab up (guest MTU $mtu) prints how to attach guests and tear down" || t_fail "lab up output"
	f0=$(ip netns exec $P nstat -az TcpExtTCPMD5Failure | awk '/TcpExt/ { print $2 }')
	if [ $mtu = 1500 ]; then
		session && t_ok "guest MTU 1500: the TCP-MD5 session completes" || t_fail "MTU 1500 session: $(cat "$VNICEMU_LAB/sent")"
	else
		session && t_fail "jumbo guest: the session should fail" || {
			f1=$(ip netns exec $P nstat -az TcpExtTCPMD5Failure | awk '/TcpExt/ { print $2 }')
			c=$("$BUILD/vnicctl" -s "$VNICEMU_LAB/control" stats --json | jq -r .tx.culprit)
			[ "$f1" -gt "$f0" ] && [ "$c" = tso ] && t_ok "jumbo guest: MD5 failures +$((f1 - f0)) at the peer, culprit tso" ||
				t_fail "jumbo: failures $f0 -> $f1, culprit $c"
		}
	fi
	"$TOP/tools/lab" down
	if [ ! -e "$VNICEMU_LAB" ] && ! ip netns list | grep -q vnm-lab && ! pgrep -f "$VNICEMU_LAB" >/dev/null; then
		t_ok "lab down removed the namespaces, daemons and the lab directory"
	else
		t_fail "lab down left: $(ls "$VNICEMU_LAB" 2>/dev/null) $(ip netns list | grep vnm-lab) $(pgrep -af "$VNICEMU_LAB")"
	fi
done
t_done
