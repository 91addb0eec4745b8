#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/live.sh [BUILD_DIR] - is `vnicemu run` as fast as a plain cable?
#
# One lab for the whole run: two vdeplug4 switches A and B, a guest namespace with a tap on A,
# a peer namespace with a tap on B. Between the switches, in turn, ROUNDS times:
#   cable    `vde_plug vde://A vde://B`, guest and peer MTU 1500;
#   vnicemu  `vnicemu run --profile vmxnet2 --wire-mtu 1500 --key-file ...` (verification is
#            always on in run), guest and peer MTU 1500;
#   tso      the same vnicemu, guest and peer MTU 9000: the guest sends 9000-byte frames and
#            vnicemu's TSO cuts them for its 1500-byte wire.
# Each row: ping RTT guest -> peer (median and p90 of the per-packet times), iperf3 TCP guest ->
# peer with the CPU seconds of the middle (cable or vnicemu) and of the lab's switches and tap
# plugs meanwhile, and (MTU 1500 rows) one TCP-MD5 signed stream, so vnicemu hashes every frame.
# Prints the per-round numbers, a table of medians and the ratios vnicemu/cable, and writes
# bench/out/live.json. A benchmark, not a test: it fails only when a tool is missing, the lab
# cannot be built, or vnicemu's counters show it did not carry and check the traffic.
set -euo pipefail
shopt -s inherit_errexit # a failure inside $(measure ...) ends the run too
export LC_ALL=C

ROUNDS=${ROUNDS:-5}
IPERF_SECONDS=${IPERF_SECONDS:-5}
PINGS=${PINGS:-200}
PING_INTERVAL=0.01
SIGNED_BYTES=${SIGNED_BYTES:-100000000}
KEY=bench-live-key
GUEST4=192.0.2.10
PEER4=192.0.2.1
PORT=5201
MD5PORT=179

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$repo/build}
vnicemu=$build/vnicemu
vnicctl=$build/vnicctl
md5peer=$build/md5peer

die() {
	echo "bench/live.sh: $*" >&2
	exit 1
}

for v in ROUNDS IPERF_SECONDS PINGS SIGNED_BYTES; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v=${!v}: expected a positive whole number"
done
[[ $(id -u) -eq 0 ]] || die "needs root (network namespaces, taps)"
for bin in "$vnicemu" "$vnicctl" "$md5peer"; do
	[[ -x $bin ]] || die "$bin not found; build first: cmake -S $repo -B $build -DCMAKE_BUILD_TYPE=Release && cmake --build $build"
done
for tool in iperf3 ping; do
	command -v "$tool" > /dev/null || die "$tool not found; install it: apt-get install iperf3 iputils-ping"
done
for tool in jq vde_plug ip ss; do
	command -v "$tool" > /dev/null || die "$tool not found in PATH"
done

# lab_cleanup (from the EXIT trap) kills everything the lab started and removes $LAB; it expects
# failing commands (kill of a process already gone) not to end the shell, so without set -e
. "$repo/tests/integration/netns_lib.sh"
trap 'set +e; lab_cleanup' EXIT
trap 'exit 130' INT TERM
G=vnm-lvg$$
P=vnm-lvp$$
CTL=$LAB/ctl
CLK_TCK=$(getconf CLK_TCK)

calc() {
	awk "BEGIN { printf \"%.10g\", $1 }"
}

# verdict VALUE TARGET >=|<=: met or missed
verdict() {
	awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN { print ((op == ">=" ? v >= t : v <= t) ? "met" : "missed") }'
}

# cpu_ticks PID...: utime + stime of the processes, in clock ticks (0 for one that is gone)
cpu_ticks() {
	local pid sum=0 s f
	for pid in "$@"; do
		s=$(cat "/proc/$pid/stat" 2> /dev/null) || continue
		s=${s##*) } # comm may hold spaces; the fields from state on follow the last ')'
		read -r -a f <<< "$s"
		sum=$((sum + f[11] + f[12]))
	done
	echo "$sum"
}

# machine_ticks: busy and total jiffies of all CPUs (busy: user nice system irq softirq)
machine_ticks() {
	awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat
}

# tap_counters NS: "rx_packets tx_packets" of the namespace's tap
tap_counters() {
	ip netns exec "$1" sh -c 'cat /sys/class/net/vtap0/statistics/rx_packets /sys/class/net/vtap0/statistics/tx_packets' |
		tr '\n' ' '
}

set_mtu() {
	ip -n "$G" link set vtap0 mtu "$1"
	ip -n "$P" link set vtap0 mtu "$1"
}

ping_ok() {
	ip netns exec "$G" ping -c 1 -W 1 "$PEER4" > /dev/null 2>&1
}

stats() {
	"$vnicctl" -s "$CTL" stats --json
}

# signed NAME: one TCP-MD5 signed stream of $SIGNED_BYTES guest -> peer; prints its wall seconds
signed() {
	local lp t0 t1
	ip netns exec "$P" "$md5peer" listen 0.0.0.0 "$MD5PORT" --once --timeout 30 \
		--key "$GUEST4=$KEY" > "$LAB/$1.md5recv" 2>&1 &
	lp=$!
	wait_for 100 sh -c "ip netns exec '$P' ss -Hltn 'sport = :$MD5PORT' | grep -q LISTEN" ||
		die "$1: md5peer did not listen"
	t0=$(date +%s.%N)
	ip netns exec "$G" "$md5peer" connect "$PEER4" "$MD5PORT" --bytes "$SIGNED_BYTES" --timeout 30 \
		--key "$PEER4=$KEY" > "$LAB/$1.md5sent" 2>&1 || die "$1: signed stream failed: $(cat "$LAB/$1.md5sent")"
	t1=$(date +%s.%N)
	wait "$lp" || die "$1: md5peer listen failed: $(cat "$LAB/$1.md5recv")"
	[[ $(awk '{ print $2, $3 }' "$LAB/$1.md5sent") == $(awk '{ print $2, $3 }' "$LAB/$1.md5recv") ]] ||
		die "$1: the signed stream arrived damaged"
	calc "$t1 - $t0"
}

# measure NAME MIDDLE_PID: ping, iperf3 and (MTU 1500) a signed stream; one JSON row on stdout
measure() {
	local name=$1 mid=$2 mtu mb0 mt0 mb1 mt1 c0 c1 p0 p1 m0 m1 t0 t1 med p90 n sig=null
	local grx0 gtx0 prx0 ptx0 grx1 gtx1 prx1 ptx1
	local -a plumbing
	mtu=$(ip netns exec "$G" cat /sys/class/net/vtap0/mtu)
	wait_for 100 ping_ok || die "$name: no ping through the lab"
	# warm-up: ARP, the switches' address tables
	ip netns exec "$G" ping -c 20 -i "$PING_INTERVAL" -q "$PEER4" > /dev/null
	ip netns exec "$G" ping -c "$PINGS" -i "$PING_INTERVAL" "$PEER4" > "$LAB/$name.ping" ||
		die "$name: ping lost packets: $(tail -2 "$LAB/$name.ping")"
	sed -n 's/.* time=\([0-9.]*\) ms$/\1/p' "$LAB/$name.ping" | sort -g > "$LAB/$name.rtt"
	n=$(wc -l < "$LAB/$name.rtt")
	[[ $n -eq $PINGS ]] || die "$name: $PINGS ping replies expected, got $n"
	# median of the sorted per-packet times; p90 by nearest rank
	med=$(awk -v n="$n" '{ v[NR] = $1 } END { printf "%.4g", n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2 }' "$LAB/$name.rtt")
	p90=$(awk -v n="$n" '{ v[NR] = $1 } END { k = int(0.9 * n); if (k < 0.9 * n) k++; printf "%.4g", v[k] }' "$LAB/$name.rtt")

	mapfile -t plumbing < <(cat "$LAB/A.pid" "$LAB/B.pid" "$LAB/$G.pid" "$LAB/$P.pid")
	read -r grx0 gtx0 <<< "$(tap_counters "$G")"
	read -r prx0 ptx0 <<< "$(tap_counters "$P")"
	c0=$(cpu_ticks "$mid")
	p0=$(cpu_ticks "${plumbing[@]}")
	m0=$(machine_ticks)
	t0=$(date +%s.%N)
	ip netns exec "$G" iperf3 -c "$PEER4" -p "$PORT" -t "$IPERF_SECONDS" -J > "$LAB/$name.json" ||
		die "$name: iperf3 failed: $(jq -r .error "$LAB/$name.json" 2> /dev/null)"
	t1=$(date +%s.%N)
	c1=$(cpu_ticks "$mid")
	p1=$(cpu_ticks "${plumbing[@]}")
	m1=$(machine_ticks)
	read -r grx1 gtx1 <<< "$(tap_counters "$G")"
	read -r prx1 ptx1 <<< "$(tap_counters "$P")"
	kill -0 "$mid" 2> /dev/null || die "$name: the middle process died during iperf3"
	if [[ $mtu -eq 1500 ]]; then
		sig=$(signed "$name")
		sig=$(calc "8 * $SIGNED_BYTES / $sig / 1e9")
	fi

	read -r mb0 mt0 <<< "$m0"
	read -r mb1 mt1 <<< "$m1"
	jq -c --arg name "$name" --argjson mtu "$mtu" --argjson med "$med" --argjson p90 "$p90" \
		--argjson pings "$n" --argjson cpu "$(calc "($c1 - $c0) / $CLK_TCK")" \
		--argjson pcpu "$(calc "($p1 - $p0) / $CLK_TCK")" --argjson wall "$(calc "$t1 - $t0")" \
		--argjson busy "$(calc "100 * ($mb1 - $mb0) / ($mt1 - $mt0)")" \
		--argjson busy_s "$(calc "($mb1 - $mb0) / $CLK_TCK")" \
		--argjson gtx "$((gtx1 - gtx0))" --argjson prx "$((prx1 - prx0))" \
		--argjson ptx "$((ptx1 - ptx0))" --argjson grx "$((grx1 - grx0))" --argjson sig "$sig" '{
		name: $name, mtu: $mtu,
		gbps: (.end.sum_received.bits_per_second / 1e9),
		retransmits: .end.sum_sent.retransmits,
		rtt_ms: {pings: $pings, median: $med, p90: $p90},
		middle_cpu_s: $cpu, plumbing_cpu_s: $pcpu,
		iperf3_cpu_s: ((.end.cpu_utilization_percent.host_total +
			.end.cpu_utilization_percent.remote_total) / 100 * .end.sum_received.seconds),
		iperf_wall_s: $wall, machine_busy_pct: $busy, machine_busy_cpu_s: $busy_s,
		frames: {guest_sent: $gtx, peer_received: $prx, peer_sent: $ptx, guest_received: $grx},
		middle_cpu_us_per_frame: ($cpu * 1e6 / ($prx + $grx)),
		signed_gbps: $sig} |
		.other_cpu_s = .machine_busy_cpu_s - .middle_cpu_s - .plumbing_cpu_s - .iperf3_cpu_s' \
		"$LAB/$name.json"
}

start_vnicemu() {
	"${runcmd[@]}" > "$LAB/run.out" 2> "$LAB/run.err" &
	vpid=$!
	LAB_PIDS+=("$vpid")
	wait_for 100 test -S "$CTL" || die "vnicemu did not start: $(cat "$LAB/run.err")"
}

stop_vnicemu() {
	kill -TERM "$vpid"
	wait "$vpid" || die "vnicemu exited with $? on SIGTERM: $(tail -3 "$LAB/run.err")"
	forget "$vpid"
}

# forget PID: a process that has been reaped; lab_cleanup must not kill whoever reuses its id
forget() {
	local p
	local -a keep=()
	for p in "${LAB_PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
	LAB_PIDS=("${keep[@]}")
}

# vnic_row ROW BEFORE AFTER: ROW plus what vnicemu's counters say happened between the stats
vnic_row() {
	jq -c --slurpfile a "$2" --slurpfile b "$3" '
		def tso($s): [$s.tx.stages[] | select(.name == "tso") | .created] | add;
		def drops($s): [$s.tx.stages[].dropped | to_entries[].value] | add // 0;
		def md5($s; f): [$s.tx | f | .md5 | to_entries[].value] | add;
		. + {vnicemu: {
			guest_frames: ($b[0].tx.guest.frames - $a[0].tx.guest.frames),
			wire_frames: ($b[0].ports.wire.tx_frames - $a[0].ports.wire.tx_frames),
			wire_tx_lost: ($b[0].ports.wire.tx_lost - $a[0].ports.wire.tx_lost),
			guest_tx_lost: ($b[0].ports.guest.tx_lost - $a[0].ports.guest.tx_lost),
			tso_created: (tso($b[0]) - tso($a[0])),
			stage_drops: (drops($b[0]) - drops($a[0])),
			verdicts_guest_tap: (md5($b[0]; .guest) - md5($a[0]; .guest)),
			verdicts_wire_tap: (md5($b[0]; .wire) - md5($a[0]; .wire)),
			signed_valid_at_wire: ($b[0].tx.wire.md5.valid - $a[0].tx.wire.md5.valid)}}' <<< "$1"
}

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
load0=$(cut -d' ' -f1-3 /proc/loadavg)
echo "machine:  $(nproc) CPUs, $cpu, load $load0"
v_vnicemu=$("$vnicemu" --version)
v_iperf=$(iperf3 --version | head -1)
v_kernel=$(uname -r)
v_tree=$(git -C "$repo" describe --always --dirty 2> /dev/null || echo unknown)
echo "versions: $v_vnicemu ($build, tree $v_tree); $v_iperf; kernel $v_kernel"
echo "settings: $ROUNDS rounds; iperf3 -t $IPERF_SECONDS; $PINGS pings every ${PING_INTERVAL}s; signed stream $SIGNED_BYTES bytes"

{ lab_switch A && lab_switch B; } || die "cannot start the switches"
lab_ns "$G" A "$GUEST4" 2001:db8::10 1500 || die "cannot set up the guest namespace"
lab_ns "$P" B "$PEER4" 2001:db8::1 1500 || die "cannot set up the peer namespace"
ip netns exec "$P" iperf3 -s -p "$PORT" > "$LAB/iperf3-server.log" 2>&1 &
LAB_PIDS+=($!)
wait_for 100 sh -c "ip netns exec '$P' ss -Hltn 'sport = :$PORT' | grep -q LISTEN" ||
	die "iperf3 server did not start"
# iperf3 and ping are unsigned: their frames are parsed and looked up at every tap ("missing");
# the signed stream is hashed at the taps
printf '# bench/live.sh\n192.0.2.0/24 %s\n' "$KEY" > "$LAB/keys"
chmod 600 "$LAB/keys"
runcmd=("$vnicemu" run --guest "vde://$LAB/A" --wire "vde://$LAB/B" --profile vmxnet2
	--wire-mtu 1500 --key-file "$LAB/keys" --control "$CTL")
cmdline="${runcmd[*]}"
echo "cable:    vde_plug vde://\$LAB/A vde://\$LAB/B"
echo "vnicemu:  ${cmdline//$LAB/\$LAB}"
: > "$LAB/rows"

show_row() {
	jq -r '[.name, .mtu, .gbps, .retransmits, .rtt_ms.median, .rtt_ms.p90, .middle_cpu_s,
		.middle_cpu_us_per_frame, .plumbing_cpu_s, .other_cpu_s, (.signed_gbps // "-")] |
		@tsv' <<< "$1" |
		awk -F'\t' '{ printf "  %-7s %4d %6.3f Gbit/s %5d retr  RTT %5.3f/%5.3f ms  CPU %4.2f s %4.2f us/frame  plumbing %4.2f s  other %4.2f s  signed %s\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, ($11 == "-" ? "-" : sprintf("%.3f Gbit/s", $11)) }'
}

for round in $(seq "$ROUNDS"); do
	echo "round $round:"
	# 1. the cable
	vde_plug "vde://$LAB/A" "vde://$LAB/B" > /dev/null 2>&1 &
	cable=$!
	LAB_PIDS+=("$cable")
	r=$(measure cable "$cable")
	kill "$cable"
	wait "$cable" 2> /dev/null || true
	forget "$cable"
	show_row "$r"
	echo "$r" | jq -c --argjson n "$round" '. + {round: $n}' >> "$LAB/rows"
	ping_ok && die "the cable is gone but the guest still reaches the peer"

	# 2. vnicemu, MTU 1500 both sides
	start_vnicemu
	stats > "$LAB/s0"
	r=$(measure vnicemu "$vpid")
	stats > "$LAB/s1"
	r=$(vnic_row "$r" "$LAB/s0" "$LAB/s1")
	show_row "$r"
	echo "$r" | jq -c --argjson n "$round" '. + {round: $n}' >> "$LAB/rows"

	# 3. the same vnicemu, jumbo guest and peer: 9000-byte guest frames through TSO
	set_mtu 9000
	r=$(measure tso "$vpid")
	stats > "$LAB/s2"
	set_mtu 1500
	r=$(vnic_row "$r" "$LAB/s1" "$LAB/s2")
	show_row "$r"
	echo "$r" | jq -c --argjson n "$round" '. + {round: $n}' >> "$LAB/rows"
	stop_vnicemu
done
load1=$(cut -d' ' -f1-3 /proc/loadavg)

# vnicemu must have carried and checked the traffic, or its times mean nothing
jq -e -s 'map(select(.name != "cable")) | all(
	.vnicemu.guest_frames > 10000 and .vnicemu.verdicts_wire_tap > 10000 and
	.vnicemu.stage_drops == 0 and (.name != "tso" or .vnicemu.tso_created > 0) and
	(.name != "vnicemu" or .vnicemu.signed_valid_at_wire > 0))' "$LAB/rows" > /dev/null ||
	die "vnicemu's counters do not show the traffic carried and checked: $(jq -c '.vnicemu' "$LAB/rows")"

# Other work on the machine moves the numbers a lot (the lab is CPU-bound on few cores): a round
# is quiet when, in each of its rows, CPU time outside the lab stayed under 5 % of the machine.
summary=$(jq -s --argjson nproc "$(nproc)" '
	def median: sort | if length % 2 == 1 then .[length / 2 | floor]
		else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	def summarize: {
		rounds: length, mtu: .[0].mtu,
		gbps: (map(.gbps) | median), gbps_min: (map(.gbps) | min), gbps_max: (map(.gbps) | max),
		retransmits: (map(.retransmits) | median),
		rtt_median_ms: (map(.rtt_ms.median) | median), rtt_p90_ms: (map(.rtt_ms.p90) | median),
		middle_cpu_s: (map(.middle_cpu_s) | median), plumbing_cpu_s: (map(.plumbing_cpu_s) | median),
		middle_cpu_us_per_frame: (map(.middle_cpu_us_per_frame) | median),
		machine_busy_pct: (map(.machine_busy_pct) | median),
		other_cpu_s: (map(.other_cpu_s) | median),
		signed_gbps: (map(.signed_gbps) | if all(. != null) then median else null end)};
	def report: (map(select(.name == "cable")) | summarize) as $c |
		(map(select(.name == "vnicemu")) | summarize) as $v |
		(map(select(.name == "tso")) | summarize) as $t |
		{cable: $c, vnicemu: $v, vnicemu_jumbo_tso: $t,
		 ratios: {throughput_vnicemu_vs_cable: ($v.gbps / $c.gbps),
			median_rtt_vnicemu_vs_cable: ($v.rtt_median_ms / $c.rtt_median_ms),
			throughput_jumbo_tso_vs_cable: ($t.gbps / $c.gbps),
			cpu_per_frame_vnicemu_vs_cable:
				($v.middle_cpu_us_per_frame / $c.middle_cpu_us_per_frame),
			signed_throughput_vnicemu_vs_cable: ($v.signed_gbps / $c.signed_gbps)},
		 per_round_throughput_ratio: (group_by(.round) | map(
			(map(select(.name == "vnicemu"))[0].gbps) / (map(select(.name == "cable"))[0].gbps)))};
	(group_by(.round) | map(select(all(.other_cpu_s < 0.05 * $nproc * .iperf_wall_s))) |
		map(.[0].round)) as $quiet |
	report + {quiet_rounds: $quiet,
		quiet: (if $quiet == [] then null
			else map(select(.round as $r | $quiet | index($r))) | report end)}' "$LAB/rows")

echo
echo "medians of $ROUNDS rounds:"
printf '  %-26s %5s %7s %7s %8s %8s %8s %8s %9s %7s\n' "" MTU Gbit/s retrans "RTT med" "RTT p90" "mid CPU" "us/frame" "plumbing" "signed"
for row in cable:"cable (vde_plug)" vnicemu:"vnicemu vmxnet2" vnicemu_jumbo_tso:"vnicemu vmxnet2 jumbo+TSO"; do
	jq -r --arg l "${row#*:}" '.["'"${row%%:*}"'"] | [$l, .mtu, .gbps, .retransmits, .rtt_median_ms,
		.rtt_p90_ms, .middle_cpu_s, .middle_cpu_us_per_frame, .plumbing_cpu_s,
		(.signed_gbps // "-")] | @tsv' <<< "$summary" |
		awk -F'\t' '{ printf "  %-26s %5d %7.3f %7d %5.3f ms %5.3f ms %6.2f s %8.2f %7.2f s %7s\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, ($10 == "-" ? "-" : sprintf("%.3f", $10)) }'
done
tr=$(jq .ratios.throughput_vnicemu_vs_cable <<< "$summary")
rr=$(jq .ratios.median_rtt_vnicemu_vs_cable <<< "$summary")
echo
printf '  throughput vnicemu / cable      %6.3f  (target >= 1.0: %s; per round: %s)\n' "$tr" \
	"$(verdict "$tr" 1.0 '>=')" "$(jq -r '.per_round_throughput_ratio | map(. * 1000 | round / 1000) | join(" ")' <<< "$summary")"
printf '  median RTT vnicemu / cable      %6.3f  (target <= 1.5: %s)\n' "$rr" "$(verdict "$rr" 1.5 '<=')"
printf '  throughput jumbo+TSO / cable    %6.3f\n' "$(jq .ratios.throughput_jumbo_tso_vs_cable <<< "$summary")"
printf '  CPU per frame vnicemu / cable   %6.3f\n' "$(jq .ratios.cpu_per_frame_vnicemu_vs_cable <<< "$summary")"
printf '  signed stream vnicemu / cable   %6.3f\n' "$(jq .ratios.signed_throughput_vnicemu_vs_cable <<< "$summary")"
if [[ $(jq '.quiet != null' <<< "$summary") == true ]]; then
	jq -r 'def r3: . * 1000 | round / 1000;
		.quiet.ratios as $q | "  quiet rounds (\(.quiet_rounds | map(tostring) | join(" "))): " +
		"throughput \($q.throughput_vnicemu_vs_cable | r3), " +
		"median RTT \($q.median_rtt_vnicemu_vs_cable | r3), " +
		"jumbo+TSO \($q.throughput_jumbo_tso_vs_cable | r3), " +
		"CPU per frame \($q.cpu_per_frame_vnicemu_vs_cable | r3)"' <<< "$summary"
else
	echo "  no quiet round: other work on the machine took more than 5 % of it in every round"
fi
echo "load:     $load0 before, $load1 after"

mkdir -p "$repo/bench/out"
jq -n --argjson summary "$summary" --slurpfile rows "$LAB/rows" \
	--arg nproc "$(nproc)" --arg cpu "$cpu" --arg load0 "$load0" --arg load1 "$load1" \
	--arg vv "$v_vnicemu" --arg vt "$v_tree" --arg vi "$v_iperf" --arg vk "$v_kernel" \
	--arg cmd "${cmdline//$LAB/\$LAB}" \
	--argjson rounds "$ROUNDS" --argjson secs "$IPERF_SECONDS" --argjson pings "$PINGS" \
	--argjson signed "$SIGNED_BYTES" '{
	machine: {nproc: ($nproc | tonumber), cpu: $cpu, load_before: $load0, load_after: $load1},
	versions: {vnicemu: $vv, tree: $vt, iperf3: $vi, kernel: $vk},
	settings: {rounds: $rounds, iperf_seconds: $secs, pings: $pings, ping_interval_s: 0.01,
		signed_bytes: $signed, command: $cmd},
	summary: $summary, rows: $rows}' > "$repo/bench/out/live.json"
echo "written:  bench/out/live.json"
