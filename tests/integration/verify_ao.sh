#!/usr/bin/env bash
# vnicemu verify on TCP-AO (RFC 5925) against an independent implementation, scapy.contrib.tcpao
# (tests/support/ao_oracle.py), frame by frame: whole sessions (handshake, data, signed TSO
# super-frames, IPv6, both algorithms and HMAC-SHA-256, exclude-options, sequence-number wraps,
# key rollover by KeyID), keys from either end, bits flipped, captures cut mid-stream with and
# without --isn, wrong secrets, other KeyIDs, no MKT, no key at all, a snaplen; a capture mixing
# TCP-MD5 and TCP-AO sessions with both kinds of keys; threads give the same output.
#   verify_ao.sh VNICEMU ORACLE PCAPTOOL DATA_DIR SCENARIOS
set -uo pipefail
abs() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
VNICEMU=$(abs "$1") oracle=$(abs "$2") tool=$(abs "$3") data=$(abs "$4") scen=$(abs "$5")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
py=/usr/bin/python3
if ! $py -c 'import scapy.contrib.tcpao' 2>/dev/null; then
	echo "FAIL: $py cannot import scapy.contrib.tcpao (apt-get install python3-scapy)" >&2
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

# ao_of LIST: "FRAME VERDICT" of the TCP-AO verdict of every TCP frame of a --list output (a
# frame without an "ao" line is unsigned in TCP-AO, or malformed in both schemes)
ao_of() {
	awk '$2 == "ao" {ao[$1] = $3; next}
	     {if (!($1 in ao)) ao[$1] = ($2 == "malformed" ? "malformed" : "unsigned")}
	     END {for (k in ao) print k, ao[k]}' "$1" | sort -n
}

# same WHAT PCAP KEYS [ARGS...]: vnicemu's TCP-AO verdicts equal the oracle's, frame by frame
same() {
	local what=$1 pcap=$2 keys=$3
	shift 3
	local isn=()
	for a in "$@"; do [ "$a" = --isn ] || isn+=(--isn "$a"); done
	$py "$oracle" check "$pcap" "$keys" "${isn[@]}" >oracle.txt
	"$VNICEMU" verify "$pcap" --key-file "$keys" "${isn[@]}" --list --jobs 1 >v.list
	ao_of v.list >v.txt
	if [ -s oracle.txt ] && diff -u oracle.txt v.txt >d.txt; then
		t_ok "$what: $(wc -l <v.txt) frames as scapy says ($(awk '{print $2}' v.txt | sort | uniq -c | xargs))"
	else
		t_fail "$what: vnicemu and scapy differ: $(head -12 d.txt)"
	fi
}

# only VERDICT...: every frame of the last run has one of these TCP-AO verdicts
only() {
	local re
	re=$(IFS='|'; echo "$*")
	awk '{print $2}' v.txt | grep -qvxE "$re" && t_fail "verdicts other than $* in the last run"
}

# threads PCAP ARGS...: --list and --json the same with 1, 2 and 3 threads
threads() {
	local pcap=$1 j
	shift
	"$VNICEMU" verify "$pcap" "$@" --list --jobs 1 >l1
	"$VNICEMU" verify "$pcap" "$@" --json --jobs 1 >j1
	for j in 2 3; do
		if cmp -s l1 <("$VNICEMU" verify "$pcap" "$@" --list --jobs $j) &&
			cmp -s j1 <("$VNICEMU" verify "$pcap" "$@" --json --jobs $j); then
			t_ok "$(basename "$pcap"): --jobs $j gives --jobs 1's --list and --json"
		else
			t_fail "$(basename "$pcap"): --jobs $j differs"
		fi
	done
}

for spec in sessions edge mixed; do
	$py "$oracle" sign "$data/ao/$spec.json" $spec.pcap --keys $spec.keys --isns $spec.isns
	$py "$oracle" sign "$data/ao/$spec.json" both.pcap --keys $spec.both --both-views
done

same "signed sessions" sessions.pcap sessions.keys
only valid
same "signed sessions, MKTs of both ends" sessions.pcap sessions.both
only valid
same "segments without the option, wraps" edge.pcap edge.keys
only valid missing
grep -q missing v.txt || t_fail "no missing frame in edge.pcap"
for seed in 1 2 3; do
	$py "$oracle" mutate sessions.pcap mut$seed.pcap --every $((seed + 1)) --seed $seed 2>/dev/null
	same "a bit flipped in one of every $((seed + 1)) signed segments (seed $seed)" mut$seed.pcap sessions.keys
	grep -q invalid v.txt || t_fail "mutation made nothing invalid"
done

$py "$oracle" cut sessions.pcap mid.pcap --no-syn
same "mid-stream, no ISNs" mid.pcap sessions.keys
only no-isn
mapfile -t isns <sessions.isns
same "mid-stream, --isn for every endpoint" mid.pcap sessions.keys "${isns[@]}"
only valid
$py "$oracle" cut sessions.pcap late.pcap --from 30
same "starting at frame 30 (some handshakes in, some not), --isn for every endpoint" late.pcap \
	sessions.keys "${isns[@]}"
"$VNICEMU" verify mid.pcap --key-file sessions.keys >mid.txt
"$VNICEMU" verify mid.pcap --key-file sessions.keys --fail-on-invalid >/dev/null
rc=$?
if [ $rc -eq 1 ] && grep -q "TCP-AO segments could not be checked: their connection's ISNs are unknown" mid.txt &&
	! grep -q "no invalid or missing MACs$" mid.txt; then
	t_ok "mid-stream without --isn: no-isn said plainly, --fail-on-invalid exits 1"
else
	t_fail "mid-stream without --isn: exit $rc; $(cat mid.txt)"
fi
isnargs=()
for i in "${isns[@]}"; do isnargs+=(--isn "$i"); done
"$VNICEMU" verify mid.pcap --key-file sessions.keys "${isnargs[@]}" --fail-on-invalid >/dev/null &&
	t_ok "mid-stream with --isn: --fail-on-invalid exits 0" || t_fail "mid-stream with --isn: exit $?"

: >none.keys
same "an empty key file: no MKT" sessions.pcap none.keys
only unexpected
sed 's/hex:\(..\)/hex:5a/' sessions.keys >wrong.keys
same "wrong secrets" sessions.pcap wrong.keys
only invalid
awk '{split($3, id, ":"); $3 = (id[1] + 100) ":" (id[2] + 100); print}' sessions.keys >ids.keys
same "other KeyIDs" sessions.pcap ids.keys
only unknown-key

# no key at all: nothing could be checked, and the summary says so
"$VNICEMU" verify sessions.pcap --list >nokey.list
"$VNICEMU" verify sessions.pcap >nokey.txt
n=$(wc -l <oracle.txt)
if [ "$(grep -c ' ao unchecked .* (no-key)$' nokey.list)" -eq "$n" ] &&
	grep -qx "$n signed segments could not be checked: no key given (--key or --key-file)" nokey.txt; then
	t_ok "no key: all $n TCP-AO segments unchecked (no-key)"
else
	t_fail "no key: $(tail -3 nokey.txt)"
fi

# a snaplen: segments whose payload was cut are unchecked, the rest as scapy says uncut
$py "$tool" snaplen sessions.pcap s120.pcap 120
$py "$oracle" check sessions.pcap sessions.keys >uncut.txt
$py - sessions.pcap 120 uncut.txt >want.txt <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
snap, uncut = int(sys.argv[2]), dict(l.split() for l in open(sys.argv[3]))
o, n = 24, 0
while o < len(d):
    cl, ol = struct.unpack("<II", d[o + 8:o + 16])
    o += 16 + cl
    n += 1
    v = uncut[str(n)]
    print(n, "unchecked" if ol > snap and v == "valid" else v)
PY
"$VNICEMU" verify s120.pcap --key-file sessions.keys --list >s120.list
ao_of s120.list >v.txt
if grep -q unchecked want.txt && diff -u want.txt v.txt >d.txt && grep -q ' ao unchecked .* (snaplen)$' s120.list; then
	t_ok "snaplen 120: cut segments unchecked, the others as scapy says ($(awk '{print $2}' v.txt | sort | uniq -c | xargs))"
else
	t_fail "snaplen 120: $(head -8 d.txt)"
fi

# MD5 and AO sessions in one capture, with both kinds of keys in one file
$py "$tool" cat mix.pcap "$scen/esx35-vmxnet2-quagga.pcap" mixed.pcap
cat "$scen/esx35.keys" mixed.keys >mix.keys
same "TCP-MD5 and TCP-AO sessions, both kinds of keys: TCP-AO" mix.pcap mix.keys
grep -q valid v.txt || t_fail "mixed: no valid TCP-AO frame"
"$VNICEMU" verify "$scen/esx35-vmxnet2-quagga.pcap" --key-file "$scen/esx35.keys" --list >md5.list
nmd5=$(wc -l <md5.list)
if awk '$2 != "ao"' v.list | head -n "$nmd5" | cmp -s - md5.list &&
	[ "$(awk '$2 != "ao" && $1 > '"$nmd5"'' v.list | grep -vc ' unsigned ')" -eq 0 ]; then
	t_ok "TCP-MD5 and TCP-AO sessions: the MD5 frames as verified alone, the AO frames unsigned in MD5"
else
	t_fail "mixed: MD5 lines differ from the MD5 capture alone"
fi
"$VNICEMU" verify mix.pcap --key-file mix.keys >mix.txt
grep -qx "result: no invalid or missing digests" mix.txt && grep -qx "result (TCP-AO): no invalid or missing MACs" mix.txt &&
	t_ok "mixed: one result line per scheme" || t_fail "mixed: $(cat mix.txt)"

threads sessions.pcap --key-file sessions.keys
threads mid.pcap --key-file sessions.keys "${isnargs[@]}"
threads mix.pcap --key-file mix.keys
threads s120.pcap --key-file sessions.keys

t_done
