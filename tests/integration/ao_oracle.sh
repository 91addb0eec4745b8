#!/usr/bin/env bash
# TCP-AO: md5sig's verdicts (ao-check) against scapy.contrib.tcpao (ao_oracle.py), frame by
# frame, on whole sessions the oracle signs: as signed, with bits flipped, cut mid-stream with
# and without the ISNs, with keys from either end, and with wrong, missing and shifted keys.
# The oracle is first checked on the RFC 9235 vectors, and must find every covered bit flip.
#   ao_oracle.sh AO_CHECK ORACLE DATA_DIR
set -euo pipefail
check=$1 oracle=$2 data=$3
py=/usr/bin/python3
if ! $py -c 'import scapy.contrib.tcpao' 2>/dev/null; then
	echo "FAIL: $py cannot import scapy.contrib.tcpao (apt-get install python3-scapy)" >&2
	exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
fail=0

# same FILE...: ao-check and the oracle give the same verdict for every frame
same() {
	local what=$1 pcap=$2 keys=$3
	shift 3
	$py "$oracle" check "$pcap" "$keys" "$@" >oracle.txt
	"$check" "$pcap" "$keys" "$@" >c.txt
	if ! [ -s oracle.txt ] || ! diff -u oracle.txt c.txt >diff.txt; then
		echo "FAIL: $what: ao-check and scapy differ" >&2
		head -20 diff.txt >&2
		fail=1
		return 1
	fi
	echo "ok: $what: $(wc -l <c.txt) frames, $(awk '{print $2}' c.txt | sort | uniq -c | xargs)"
}

# only VERDICT...: every line of c.txt has one of these verdicts
only() {
	if awk '{print $2}' c.txt | grep -vxE "$(
		IFS='|'
		echo "$*"
	)" | head -3 | grep -q .; then
		echo "FAIL: verdicts other than $* in the last run" >&2
		fail=1
	fi
}

$py "$oracle" vectors "$data/rfc9235-tcp-ao.tsv"

for spec in sessions edge; do
	$py "$oracle" sign "$data/ao/$spec.json" $spec.pcap --keys $spec.keys --isns $spec.isns
	$py "$oracle" sign "$data/ao/$spec.json" both.pcap --keys $spec.both --both-views
	cmp -s $spec.pcap both.pcap || { echo "FAIL: sign is not deterministic" >&2; fail=1; }
done

same "signed sessions" sessions.pcap sessions.keys
only valid
same "signed sessions, MKTs of both ends" sessions.pcap sessions.both
only valid
same "segments without the option" edge.pcap edge.keys
only valid missing
grep -q missing c.txt || { echo "FAIL: no missing frame in edge.pcap" >&2; fail=1; }

$py "$oracle" flipcheck sessions.pcap sessions.keys || fail=1
$py "$oracle" flipcheck edge.pcap edge.keys || fail=1

for seed in 1 2 3; do
	$py "$oracle" mutate sessions.pcap mut.pcap --every $((seed + 1)) --seed $seed 2>/dev/null
	same "a bit flipped in one of every $((seed + 1)) signed segments (seed $seed)" \
		mut.pcap sessions.keys
	grep -q invalid c.txt || { echo "FAIL: mutation made nothing invalid" >&2; fail=1; }
done

$py "$oracle" cut sessions.pcap mid.pcap --no-syn
same "mid-stream, no ISNs" mid.pcap sessions.keys
only no-isn
mapfile -t isn < <(sed 's/^/--isn\n/' sessions.isns)
same "mid-stream, --isn for every endpoint" mid.pcap sessions.keys "${isn[@]}"
only valid

: >none.keys
same "no MKTs" sessions.pcap none.keys
only unexpected
sed 's/hex:\(..\)/hex:5a/' sessions.keys >wrong.keys
same "wrong secrets" sessions.pcap wrong.keys
only invalid
awk '{split($3, id, ":"); $3 = (id[1] + 100) ":" (id[2] + 100); print}' sessions.keys >ids.keys
same "other KeyIDs" sessions.pcap ids.keys
only unknown-key

exit $fail
