#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/replay.sh [BUILD_DIR] - how fast is the transmit pipeline, what does verification cost,
# and does `vnicemu replay`'s memory stay flat as the capture grows?
#
# On generated captures of TCP-MD5 signed IPv4 super-frames (TSO requests for a 1500-byte wire):
#   1. vnicemu-bench-replay on 50,000 frames with 8940-byte payloads (9000-byte IP packets, a
#      jumbo-MTU guest), through the default NIC (sg, tso, tx-csum; one buffer per frame) and
#      through vmxnet2 (the same stages, frames spread over descriptors as its driver does);
#      then on 50,000 frames with 64000-byte payloads (REPLAY_BIG=0 skips that one: it needs
#      3.2 GB in $TMPDIR and 6.5 GB of memory);
#   2. the peak RSS of `vnicemu replay` without and with verification, on 10,000 and 50,000
#      frames, and the ratio of the two sizes (flat memory: about 1.0).
# Prints the tables and writes everything to bench/out/replay.json. A benchmark, not a test: it
# fails only when a tool is missing or a run did not do what it is meant to (see bench/REPLAY.md).
set -euo pipefail
export LC_ALL=C # decimal points in printf and awk

FRAMES=50000
SMALL_FRAMES=10000
PAYLOAD=8940
BIG_PAYLOAD=64000
KEY='bench-key'
RUNS=3
REPLAY_BIG=${REPLAY_BIG:-1}

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$repo/build}
vnicemu=$build/vnicemu
gencap=$build/bench/vnicemu-gencap
bench=$build/bench/vnicemu-bench-replay
gnutime=/usr/bin/time

die() {
	echo "bench/replay.sh: $*" >&2
	exit 1
}

for bin in "$vnicemu" "$gencap" "$bench"; do
	[[ -x $bin ]] || die "$bin not found; build first: cmake -S $repo -B $build && cmake --build $build"
done
# GNU time reports the peak RSS; the shell keyword does not
[[ -x $gnutime ]] || die "$gnutime not found (Debian: apt-get install time)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

calc() {
	awk "BEGIN { printf \"%.10g\", $1 }"
}

json_str() {
	local s=${1//\\/\\\\}
	printf '"%s"' "${s//\"/\\\"}"
}

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
load=$(cut -d' ' -f1-3 /proc/loadavg)
echo "machine:  $(nproc) CPUs, $cpu, load $load"
v_vnicemu=$("$vnicemu" --version)
v_openssl=$(openssl version 2> /dev/null || echo unknown)
echo "versions: $v_vnicemu; $v_openssl"

# gen FILE FRAMES PAYLOAD
gen() {
	"$gencap" "$1" --frames "$2" --payload "$3" --key "$KEY"
	echo "capture:  $(basename "$1"): $2 frames, payload $3, $(stat -c %s "$1") bytes"
}

# speed CAPTURE [ARGS...]: the benchmark's table on stderr, its JSON on stdout
speed() {
	echo >&2
	"$bench" "$@" --key "$KEY" --runs "$RUNS"
}

cap=$tmp/replay-$FRAMES.pcap
gen "$cap" "$FRAMES" "$PAYLOAD"
speed_main=$(speed "$cap")
speed_vmxnet2=$(speed "$cap" --profile vmxnet2)

speed_big=null
if [[ $REPLAY_BIG != 0 ]]; then
	big=$tmp/replay-$FRAMES-big.pcap
	gen "$big" "$FRAMES" "$BIG_PAYLOAD"
	speed_big=$(speed "$big")
	rm -f "$big"
fi

# peak_rss CAPTURE FRAMES [ARGS...]: max RSS in KiB of one `vnicemu replay`, after checking
# that every frame went through
peak_rss() {
	local capture=$1 frames=$2
	shift 2
	"$gnutime" -v "$vnicemu" replay "$capture" --key "$KEY" --json "$@" \
		> "$tmp/replay.json" 2> "$tmp/time.txt" || {
		cat "$tmp/time.txt" >&2
		die "failed: vnicemu replay $capture $*"
	}
	grep -q "\"guest\": {\"frames\": $frames," "$tmp/replay.json" ||
		die "vnicemu replay $capture $* did not replay $frames frames"
	awk -F': ' '/Maximum resident set size/ { print $2 }' "$tmp/time.txt"
}

small=$tmp/replay-$SMALL_FRAMES.pcap
echo
gen "$small" "$SMALL_FRAMES" "$PAYLOAD"
declare -A rss
for mode in noverify verify; do
	args=()
	[[ $mode == noverify ]] && args=(--no-verify)
	rss[$mode-small]=$(peak_rss "$small" "$SMALL_FRAMES" "${args[@]}")
	rss[$mode-large]=$(peak_rss "$cap" "$FRAMES" "${args[@]}")
done
echo
printf '%-34s %12s %12s %7s\n' "peak RSS of vnicemu replay (KiB)" "$SMALL_FRAMES frames" \
	"$FRAMES frames" "ratio"
for mode in noverify verify; do
	rss[$mode-ratio]=$(calc "${rss[$mode-large]} / ${rss[$mode-small]}")
	printf '%-34s %12s %12s %7.2f  (flat: ~1.0)\n' "--json ${mode/noverify/--no-verify}" \
		"${rss[$mode-small]}" "${rss[$mode-large]}" "${rss[$mode-ratio]}"
done

mkdir -p "$repo/bench/out"
cat > "$repo/bench/out/replay.json" << EOF
{
  "machine": {"nproc": $(nproc), "cpu": $(json_str "$cpu"), "load": $(json_str "$load")},
  "versions": {"vnicemu": $(json_str "$v_vnicemu"), "openssl": $(json_str "$v_openssl")},
  "speed": $speed_main,
  "speed_vmxnet2": $speed_vmxnet2,
  "speed_payload_$BIG_PAYLOAD": $speed_big,
  "peak_rss_kib": {
    "frames": [$SMALL_FRAMES, $FRAMES], "payload": $PAYLOAD,
    "noverify": [${rss[noverify-small]}, ${rss[noverify-large]}], "noverify_ratio": ${rss[noverify-ratio]},
    "verify": [${rss[verify-small]}, ${rss[verify-large]}], "verify_ratio": ${rss[verify-ratio]}
  }
}
EOF
echo "wrote $repo/bench/out/replay.json"
