# Network-namespace labs for the live tests (sourced). Everything made here is registered and
# removed by lab_cleanup, which the caller runs from an EXIT trap, even when a test fails.
# Addresses: only 192.0.2.0/24 and 2001:db8::/32, inside namespaces made here.

LAB=$(mktemp -d /tmp/vnm-lab.XXXXXX)
LAB_NS=()
LAB_PIDS=()

lab_cleanup() {
	set +e # a cleanup that stops at its first failed kill leaves the rest behind
	local pid ns
	for pid in "${LAB_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
	for ns in "${LAB_NS[@]}"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null; done
	done
	for f in "$LAB"/*.pid; do [ -s "$f" ] && kill "$(cat "$f" 2>/dev/null)" 2>/dev/null; done
	sleep 0.2
	for pid in "${LAB_PIDS[@]}"; do kill -9 "$pid" 2>/dev/null; done
	for ns in "${LAB_NS[@]}"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
	for f in "$LAB"/*.pid; do [ -s "$f" ] && kill -9 "$(cat "$f" 2>/dev/null)" 2>/dev/null; done
	rm -rf "$LAB"
}

# wait_for TRIES CMD...: poll CMD every 50 ms
wait_for() {
	local n=$1
	shift
	while [ "$n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
		n=$((n - 1))
	done
	return 1
}

# lab_switch NAME: a vdeplug4 switch (carries jumbo frames) at $LAB/NAME
lab_switch() {
	rm -rf "${LAB:?}/$1"
	vde_plug -d -p "$LAB/$1.pid" null:// "switch://$LAB/$1"
	wait_for 100 test -S "$LAB/$1/ctl" || { echo "switch $1 did not start" >&2; return 1; }
}

lab_switch_kill() {
	kill -9 "$(cat "$LAB/$1.pid")" 2>/dev/null
	rm -rf "${LAB:?}/$1" "$LAB/$1.pid"
}

# lab_ns NS SWITCH ADDR4 ADDR6 MTU: a namespace with a tap plugged into SWITCH
lab_ns() {
	local ns=$1 sw=$2 a4=$3 a6=$4 mtu=$5
	ip netns add "$ns" || return 1
	LAB_NS+=("$ns")
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
	lab_plug "$ns" "$sw" "$a4" "$a6" "$mtu"
}

# lab_plug NS SWITCH ADDR4 ADDR6 MTU: (re)plug the namespace's tap into SWITCH
lab_plug() {
	local ns=$1 sw=$2 a4=$3 a6=$4 mtu=$5
	ip netns exec "$ns" vde_plug -d -p "$LAB/$ns.pid" "vde://$LAB/$sw" tap://vtap0
	wait_for 100 ip -n "$ns" link show vtap0 || { echo "no tap in $ns" >&2; return 1; }
	ip -n "$ns" link set vtap0 mtu "$mtu" up
	ip -n "$ns" addr add "$a4/24" dev vtap0
	ip -n "$ns" addr add "$a6/64" dev vtap0 nodad
}

# lab_vnicemu [--netns NS] GUEST ARGS...: `vnicemu run --guest GUEST --wire vde://$LAB/wsw`
# with ARGS and the control socket $CTL, in namespace NS if given; output appended to
# $LAB/run.out and run.err. Sets VPID and waits for the socket.
CTL=$LAB/ctl
VPID=
lab_vnicemu() {
	local in=()
	if [ "$1" = --netns ]; then
		in=(ip netns exec "$2")
		shift 2
	fi
	rm -f "$CTL"
	"${in[@]}" "$VNICEMU" run --guest "$1" --wire "vde://$LAB/wsw" --control "$CTL" "${@:2}" \
		>>"$LAB/run.out" 2>>"$LAB/run.err" &
	VPID=$!
	LAB_PIDS+=("$VPID")
	wait_for 100 test -S "$CTL" || {
		cat "$LAB/run.err"
		return 1
	}
}

# ctl ARGS...: vnicctl on the running vnicemu; stat_q JQ: a field of its stats; tso_q JQ: of
# its tso stage
ctl() { "$VNICCTL" -s "$CTL" "$@"; }
stat_q() { ctl stats --json | jq -r "$1"; }
tso_q() { stat_q ".tx.stages[] | select(.name == \"tso\") | $1"; }

# counter NS NAME: a TcpExt counter of the namespace's kernel
counter() {
	ip netns exec "$1" nstat -az "$2" 2>/dev/null | awk -v k="$2" '$1 == k { print $2 }'
}

# transfer PORT BYTES TIMEOUT [md5]: one TCP stream (tools/md5peer) from the guest namespace $G
# (192.0.2.10) to the peer namespace $P (192.0.2.1), both signing with $SECRET when "md5";
# 0 when the peer received every byte intact (same count and checksum as sent). The outputs
# stay in $LAB/sent.PORT and $LAB/recv.PORT.
transfer() {
	local port=$1 bytes=$2 to=$3 keyp=() keyg=()
	if [ "${4:-}" = md5 ]; then
		keyp=(--key "192.0.2.10=$SECRET")
		keyg=(--key "192.0.2.1=$SECRET")
	fi
	ip netns exec "$P" "$MD5PEER" listen 0.0.0.0 "$port" --once --timeout "$to" "${keyp[@]}" \
		>"$LAB/recv.$port" 2>&1 &
	local lp=$!
	wait_for 40 ip netns exec "$P" ss -ltn "sport = :$port" -H | grep -q LISTEN
	ip netns exec "$G" "$MD5PEER" connect 192.0.2.1 "$port" --bytes "$bytes" --timeout "$to" \
		"${keyg[@]}" >"$LAB/sent.$port" 2>&1
	wait "$lp"
	local s r
	s=$(awk '/^sent/ { print $2, $3 }' "$LAB/sent.$port")
	r=$(awk '/^received/ { print $2, $3 }' "$LAB/recv.$port")
	[ -n "$s" ] && [ "$s" = "$r" ]
}

# BIRD daemons of the BGP tests, one in the guest namespace $G (g) and one in the peer's $P (p),
# each with its config $LAB/bird-g|p.conf and its own control socket and pid file in the lab.
# bird_start g|p; bird_stop g|p; bcl g|p BIRDC-COMMAND...
bird_start() {
	local ns=$G
	[ "$1" = p ] && ns=$P
	rm -f "$LAB/bird-$1.log"
	ip netns exec "$ns" bird -c "$LAB/bird-$1.conf" -s "$LAB/bird-$1.ctl" -P "$LAB/bird-$1.pid" ||
		return 1
	wait_for 100 birdc -s "$LAB/bird-$1.ctl" show status
}
bird_stop() {
	local pid
	pid=$(cat "$LAB/bird-$1.pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null
	wait_for 100 sh -c "! kill -0 $pid" || kill -9 "$pid" 2>/dev/null
	rm -f "$LAB/bird-$1.pid" "$LAB/bird-$1.ctl"
}
bcl() { birdc -s "$LAB/bird-$1.ctl" "${@:2}"; }
