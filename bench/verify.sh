#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/verify.sh [BUILD_DIR] - how fast is `vnicemu verify`?
#
# On one generated capture of 100,000 TCP-MD5 signed frames (1448-byte payloads), in one run:
#   1. wall time of `vnicemu verify` against `tcpdump -M SECRET -nnv`, both checking every digest;
#   2. the MD5 bytes/s of `vnicemu verify` against `openssl speed -evp md5 -bytes 1448`.
# Both for one thread (--jobs 1) and one per CPU (--jobs 0). Prints a table and the ratios, and
# writes them to bench/out/verify.json. A benchmark, not a test: it fails only when a tool is
# missing or the sanity checks fail (every digest valid, --jobs 0 --list equal to --jobs 1 --list).
set -euo pipefail
export LC_ALL=C # decimal points in printf, awk and openssl output

FRAMES=100000
PAYLOAD=1448
KEY=bench-key
RUNS=3
OPENSSL_SECONDS=1 # per round
# RFC 2385 digest input per frame: IPv4 pseudo-header, fixed TCP header, payload, key
MD5_BYTES_PER_FRAME=$((12 + 20 + PAYLOAD + ${#KEY}))

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$repo/build}
vnicemu=$build/vnicemu
gencap=$build/bench/vnicemu-gencap

die() {
	echo "bench/verify.sh: $*" >&2
	exit 1
}

for bin in "$vnicemu" "$gencap"; do
	[[ -x $bin ]] || die "$bin not found; build first: cmake -S $repo -B $build && cmake --build $build"
done
for tool in tcpdump openssl; do
	command -v "$tool" > /dev/null || die "$tool not found in PATH"
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cap=$tmp/bench.pcap

calc() {
	awk "BEGIN { printf \"%.10g\", $1 }"
}

# wall_time CMD...: the wall time of one run in seconds; stdout goes to /dev/null.
wall_time() {
	local start end
	start=$(date +%s.%N)
	"$@" > /dev/null 2> "$tmp/stderr" || { cat "$tmp/stderr" >&2; die "failed: $*"; }
	end=$(date +%s.%N)
	calc "$end - $start"
}

# seconds VALUES...: "0.232 0.231 0.233"
seconds() {
	local out='' v
	for v; do out+="${out:+ }$(printf '%.3f' "$v")"; done
	echo "$out"
}

# -mr prints bytes/s ("+F:N:md5:BYTES_PER_S"), not the human table's 1000s of bytes/s.
# -elapsed divides by wall time, as measured for the tools, instead of user CPU time.
openssl_md5() {
	local bps
	bps=$(openssl speed -elapsed -mr -evp md5 -bytes "$PAYLOAD" -seconds "$OPENSSL_SECONDS" \
		2> /dev/null | awk -F: '$1 == "+F" && $3 == "md5" { print $4 }')
	[[ -n $bps ]] || die "could not parse the output of openssl speed"
	echo "$bps"
}

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
# TZ matters: unset, glibc stats /etc/localtime for every timestamp tcpdump prints.
echo "machine:  $(nproc) CPUs, $cpu, load $(cut -d' ' -f1-3 /proc/loadavg), TZ=${TZ-unset}"
v_vnicemu=$("$vnicemu" --version)
v_tcpdump=$(tcpdump --version 2>&1 | head -1)
v_openssl=$(openssl version)
echo "versions: $v_vnicemu; $v_tcpdump; $v_openssl"

"$gencap" "$cap" --frames "$FRAMES" --payload "$PAYLOAD" --key "$KEY"
cap_bytes=$(stat -c %s "$cap")
echo "capture:  $FRAMES frames, $cap_bytes bytes, payload $PAYLOAD, key '$KEY'"

# Sanity, untimed: both tools must check (and accept) every digest, or the times mean nothing.
for jobs in 1 0; do
	summary=$("$vnicemu" verify "$cap" --key "$KEY" --json --jobs "$jobs")
	echo "vnicemu:  --jobs $jobs: $summary"
	[[ $summary == *"\"frames\": $FRAMES,"* && $summary == *"\"valid\": $FRAMES,"* ]] ||
		die "vnicemu verify --jobs $jobs did not find $FRAMES valid digests"
done
# Threads must not change the verdicts nor their order: frame by frame, --list is the same.
"$vnicemu" verify "$cap" --key "$KEY" --list --jobs 1 > "$tmp/list1"
"$vnicemu" verify "$cap" --key "$KEY" --list --jobs 0 > "$tmp/list0"
cmp -s "$tmp/list1" "$tmp/list0" || die "--jobs 0 --list differs from --jobs 1 --list"
(($(wc -l < "$tmp/list1") == FRAMES)) || die "--list did not print $FRAMES lines"
rm "$tmp/list1" "$tmp/list0"
echo "vnicemu:  --jobs 0 --list equals --jobs 1 --list, $FRAMES lines"
tcpdump_valid=$(tcpdump -M "$KEY" -r "$cap" -nnv 2> /dev/null | grep -c 'md5 valid' || true)
echo "tcpdump:  $tcpdump_valid segments with 'md5 valid'"
((tcpdump_valid == FRAMES)) || die "tcpdump did not find $FRAMES valid digests"

# Each round runs every measurement once, so a burst of other work on the machine slows them
# alike rather than all the runs of one tool; the best round of each counts.
r_vnicemu=() r_parallel=() r_tcpdump=() r_openssl=()
for _ in $(seq "$RUNS"); do
	r_vnicemu+=("$(wall_time "$vnicemu" verify "$cap" --key "$KEY" --json --jobs 1)")
	r_parallel+=("$(wall_time "$vnicemu" verify "$cap" --key "$KEY" --json --jobs 0)")
	r_tcpdump+=("$(wall_time tcpdump -M "$KEY" -r "$cap" -nnv)")
	r_openssl+=("$(openssl_md5)")
done
t_vnicemu=$(printf '%s\n' "${r_vnicemu[@]}" | sort -g | head -1)
t_parallel=$(printf '%s\n' "${r_parallel[@]}" | sort -g | head -1)
t_tcpdump=$(printf '%s\n' "${r_tcpdump[@]}" | sort -g | head -1)
openssl_bps=$(printf '%s\n' "${r_openssl[@]}" | sort -g | tail -1)
echo "rounds:   vnicemu --jobs 1: $(seconds "${r_vnicemu[@]}") s;" \
	"--jobs 0: $(seconds "${r_parallel[@]}") s"
mbs=$(printf '%s\n' "${r_openssl[@]}" | awk '{ printf "%s%.1f", (NR > 1 ? " " : ""), $1 / 1e6 }')
echo "          tcpdump: $(seconds "${r_tcpdump[@]}") s; openssl: $mbs MB/s"
echo "load:     $(cut -d' ' -f1-3 /proc/loadavg) after the runs"

md5_bps=$(calc "$FRAMES * $MD5_BYTES_PER_FRAME / $t_vnicemu")
cap_bps=$(calc "$cap_bytes / $t_vnicemu")
speedup=$(calc "$t_tcpdump / $t_vnicemu")
md5_ratio=$(calc "$md5_bps / $openssl_bps")
par_md5_bps=$(calc "$FRAMES * $MD5_BYTES_PER_FRAME / $t_parallel")
par_cap_bps=$(calc "$cap_bytes / $t_parallel")
par_speedup=$(calc "$t_tcpdump / $t_parallel")
par_md5_ratio=$(calc "$par_md5_bps / $openssl_bps")

# row LABEL SECONDS BYTES_PER_S; SECONDS is empty for a rate without a run time of its own
row() {
	local t='' fps=''
	if [[ -n $2 ]]; then
		t=$(printf '%.3f s' "$2")
		fps=$(printf '%.0f' "$(calc "$FRAMES / $2")")
	fi
	printf '%-40s %9s %10s %9.1f\n' "$1" "$t" "$fps" "$(calc "$3 / 1e6")"
}
echo
printf '%-40s %9s %10s %9s\n' "" "best of $RUNS" "frames/s" "MB/s"
row "tcpdump -M -nnv (capture bytes)" "$t_tcpdump" "$(calc "$cap_bytes / $t_tcpdump")"
row "vnicemu verify --jobs 1 (capture bytes)" "$t_vnicemu" "$cap_bps"
row "vnicemu verify --jobs 1 (MD5 input)" "" "$md5_bps"
row "vnicemu verify --jobs 0 (capture bytes)" "$t_parallel" "$par_cap_bps"
row "vnicemu verify --jobs 0 (MD5 input)" "" "$par_md5_bps"
row "openssl speed -evp md5 -bytes $PAYLOAD" "" "$openssl_bps"
echo
printf '%-34s %8s %8s\n' "" "--jobs 1" "--jobs 0"
printf '%-34s %8.2f %8.2f  (target >= 5)\n' verify_vs_tcpdump_speedup "$speedup" "$par_speedup"
printf '%-34s %8.2f %8.2f  (target >= 0.70)\n' verify_md5_throughput_vs_openssl "$md5_ratio" \
	"$par_md5_ratio"

json_str() {
	local s=${1//\\/\\\\}
	printf '"%s"' "${s//\"/\\\"}"
}

mkdir -p "$repo/bench/out"
cat > "$repo/bench/out/verify.json" << EOF
{
  "machine": {"nproc": $(nproc), "cpu": $(json_str "$cpu"), "tz": $(json_str "${TZ-unset}")},
  "versions": {"vnicemu": $(json_str "$v_vnicemu"), "tcpdump": $(json_str "$v_tcpdump"), "openssl": $(json_str "$v_openssl")},
  "capture": {"frames": $FRAMES, "payload": $PAYLOAD, "bytes": $cap_bytes, "md5_bytes_per_frame": $MD5_BYTES_PER_FRAME},
  "runs": $RUNS,
  "tcpdump_seconds": $t_tcpdump,
  "verify_seconds": $t_vnicemu,
  "verify_capture_bytes_per_second": $cap_bps,
  "verify_md5_bytes_per_second": $md5_bps,
  "openssl_md5_bytes_per_second": $openssl_bps,
  "verify_vs_tcpdump_speedup": $speedup,
  "verify_md5_throughput_vs_openssl": $md5_ratio,
  "parallel": {
    "jobs": $(getconf _NPROCESSORS_ONLN),
    "verify_seconds": $t_parallel,
    "verify_capture_bytes_per_second": $par_cap_bps,
    "verify_md5_bytes_per_second": $par_md5_bps,
    "verify_vs_tcpdump_speedup": $par_speedup,
    "verify_md5_throughput_vs_openssl": $par_md5_ratio
  }
}
EOF
echo "wrote $repo/bench/out/verify.json"
