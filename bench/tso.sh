#!/usr/bin/env bash
# bench/tso.sh [BUILD_DIR]: what a TSO-capable vNIC buys, measured like the blog post that
# started this ("a significant throughput increase and CPU usage decrease"): unsigned bulk TCP
# (iperf3, 10 s) from a vnet-hdr tap guest through vnicemu to a peer namespace, with the NIC's
# tso+tx on versus off (vnicctl, no restart), in one run. Reports throughput and CPU seconds
# per GB for the guest (iperf3's own sender CPU) and for vnicemu (/proc/PID/stat).
# Not a test: it asserts nothing, it prints the ratio. Writes bench/out/tso.json.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
B=${1:-$top/build}
B=$(cd "$B" && pwd)
for t in iperf3 jq; do command -v $t >/dev/null || { echo "bench/tso.sh: install $t (apt-get install -y iperf3 jq)" >&2; exit 2; }; done
[ "$(id -u)" -eq 0 ] || { echo "bench/tso.sh: needs root" >&2; exit 2; }
. "$top/tests/integration/netns_lib.sh"
trap lab_cleanup EXIT
G=vnm-bg$$
P=vnm-bp$$
SECS=${SECS:-10}
# WIRE=switch (default): the wire is a vdeplug4 switch with the peer's tap plugged in by
# vde_plug; WIRE=tap: the wire is a plain tap (vdeplug4's tap module) moved into the peer
# namespace, without switch and relay in the way.
WIRE=${WIRE:-switch}
ip netns add "$G" && LAB_NS+=("$G")
ip -n "$G" link set lo up
if [ "$WIRE" = tap ]; then
	ip netns add "$P" && LAB_NS+=("$P")
	ip -n "$P" link set lo up
	wire=tap://vnmwire$$
else
	lab_switch wsw
	lab_ns "$P" wsw 192.0.2.1 2001:db8::1 1500
	wire=vde://$LAB/wsw
fi
ip netns exec "$G" "$B/vnicemu" run --guest vnet-tap://vt0 --wire "$wire" \
	--profile vmxnet2 --wire-mtu 1500 --control "$LAB/ctl" >"$LAB/run.out" 2>"$LAB/run.err" &
VPID=$!
LAB_PIDS+=("$VPID")
wait_for 100 test -S "$LAB/ctl"
if [ "$WIRE" = tap ]; then
	ip -n "$G" link set "vnmwire$$" netns "$P"
	ip -n "$P" addr add 192.0.2.1/24 dev "vnmwire$$"
	ip -n "$P" link set "vnmwire$$" mtu 1500 up
fi
ip -n "$G" addr add 192.0.2.10/24 dev vt0
ip -n "$G" link set vt0 mtu 1500 up
ip netns exec "$P" iperf3 -s -D -I "$LAB/iperf.pid" >/dev/null
wait_for 40 ip netns exec "$P" ss -ltn "sport = :5201" -H
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

run() { # LABEL FEATURE_STATE
	"$B/vnicctl" -s "$LAB/ctl" set tso "$2" tx "$2" >/dev/null
	ip netns exec "$G" ethtool -k vt0 | grep -q "^tcp-segmentation-offload: $2" || { echo "ethtool disagrees" >&2; exit 1; }
	local t0 t1
	t0=$(cpu_ticks "$VPID")
	ip netns exec "$G" iperf3 -c 192.0.2.1 -t "$SECS" -J >"$LAB/$1.json"
	t1=$(cpu_ticks "$VPID")
	jq -n --arg name "$1" --argjson r "$(cat "$LAB/$1.json")" --argjson vcpu "$(echo "($t1 - $t0) / $hz" | bc -l)" \
		'($r.end.sum_sent.bytes / 1e9) as $gb |
		{name: $name, gbit_s: ($r.end.sum_received.bits_per_second / 1e9),
		 retransmits: $r.end.sum_sent.retransmits,
		 guest_cpu_s_per_gb: (($r.end.cpu_utilization_percent.host_total / 100 * $r.end.sum_sent.seconds) / $gb),
		 vnicemu_cpu_s_per_gb: ($vcpu / $gb)}'
}
on=$(run tso_on on)
off=$(run tso_off off)
"$B/vnicctl" -s "$LAB/ctl" stats --json | jq -c .ports >&2
mkdir -p "$top/bench/out"
jq -n --argjson on "$on" --argjson off "$off" --arg cpu "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)" \
	--arg load "$(cut -d' ' -f1-3 /proc/loadavg)" \
	--arg wire "$WIRE" \
	'{machine: {cpu: $cpu, nproc: '"$(nproc)"', load: $load}, wire: $wire, tso_on: $on, tso_off: $off,
	  throughput_ratio_on_vs_off: ($on.gbit_s / $off.gbit_s)}' | tee "$top/bench/out/tso-$WIRE.json"
