#!/usr/bin/env bash
# vnicemu replay on TCP-AO sessions (tests/support/ao_oracle.py signs them; scapy.contrib.tcpao
# checks every capture replay writes): signed TSO super-frames through vmxnet2 at wire MTU 1500
# make tso the culprit with an AO explanation, every frame at every tap has the verdict scapy
# gives it, --full-verify agrees with the inference, tso.md5=resign leaves every MAC valid (SNE
# across a wrap included), strip leaves the segments missing; a capture that starts mid-stream
# says what it could not check (and resign never signs with guessed ISNs); with --isn it is
# checked and re-signed; MD5 and AO sessions in one capture.
#   replay_ao.sh VNICEMU ORACLE PCAPTOOL DATA_DIR SCENARIOS
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

# counts FILE: "VERDICT N" lines of a "FRAME VERDICT" file, sorted
counts() { awk '{n[$2]++} END {for (v in n) print v, n[v]}' "$1" | sort; }
# ao_counts JSON PATH: the non-zero TCP-AO counts of a tap in replay's JSON, as counts() prints
ao_counts() { jq -r "$2.ao | to_entries[] | select(.value > 0) | \"\(.key) \(.value)\"" "$1" | sort; }
# ao_of LIST: "FRAME VERDICT" of the TCP-AO verdict of every TCP frame of a verify --list
ao_of() {
	awk '$2 == "ao" {ao[$1] = $3; next}
	     {if (!($1 in ao)) ao[$1] = ($2 == "malformed" ? "malformed" : "unsigned")}
	     END {for (k in ao) print k, ao[k]}' "$1" | sort -n
}
# tap_same WHAT PCAP KEYS JSON PATH [ISN...]: scapy's verdicts on a tap's capture are the tap's
# counts in replay's JSON, and vnicemu verify of that capture gives them frame by frame
tap_same() {
	local what=$1 pcap=$2 keys=$3 json=$4 path=$5 i
	shift 5
	local args=()
	for i in "$@"; do args+=(--isn "$i"); done
	$py "$oracle" check "$pcap" "$keys" "${args[@]}" >o.txt
	"$VNICEMU" verify "$pcap" --key-file "$keys" "${args[@]}" --list --jobs 1 >v.list
	ao_of v.list >v.txt
	if [ -s o.txt ] && diff -u o.txt v.txt >d.txt &&
		diff <(counts o.txt | grep -v '^unsigned') <(ao_counts "$json" "$path" | grep -v '^unsigned') >d2.txt; then
		t_ok "$what: $(counts o.txt | xargs) as scapy says, frame by frame"
	else
		t_fail "$what: $(head -6 d.txt d2.txt)"
	fi
}

$py "$oracle" sign "$data/ao/sessions.json" s.pcap --keys s.keys --isns s.isns
mapfile -t isns <s.isns
isnargs=()
for i in "${isns[@]}"; do isnargs+=(--isn "$i"); done

# copy: tso is the culprit, explained with TCP-AO's coverage
"$VNICEMU" replay s.pcap --key-file s.keys --out copy --json >copy.json
if [ "$(jq -r .culprit copy.json)" = tso ] &&
	[ "$(jq -r '.stages[] | select(.name == "tso") | .why.scheme' copy.json)" = ao ] &&
	jq -r '.stages[] | select(.name == "tso") | .why.changed' copy.json | grep -q "MAC copied unchanged from the input" &&
	jq -r '.stages[] | select(.name == "tso") | .why.unchanged' copy.json | grep -q "SNE"; then
	t_ok "vmxnet2, wire MTU 1500: culprit tso, $(jq '.stages[] | select(.name == "tso") | .invalidated_ao' copy.json) MACs invalidated: $(jq -r '.stages[] | select(.name == "tso") | .why.changed' copy.json)"
else
	t_fail "copy: $(jq -c '{culprit, why: [.stages[].why]}' copy.json)"
fi
tap_same "copy: guest tap" copy/guest.pcap s.keys copy.json .guest
tap_same "copy: tso tap" copy/tso.pcap s.keys copy.json '.stages[] | select(.name == "tso")'
tap_same "copy: wire" copy/wire.pcap s.keys copy.json .wire
"$VNICEMU" replay s.pcap --key-file s.keys --full-verify --json >full.json
cmp -s copy.json full.json && t_ok "--full-verify gives the inferred verdicts, counts and explanation" ||
	t_fail "--full-verify differs: $(diff copy.json full.json | head -4)"
"$VNICEMU" replay s.pcap --key-file s.keys >copy.txt
grep -q "^culprit tso: .*valid -> invalid (TCP-AO)$" copy.txt && grep -q "^TCP-AO " copy.txt &&
	t_ok "text: $(grep '^culprit' copy.txt)" || t_fail "text: $(tail -5 copy.txt)"
grep -aq "ao invalid (copied MAC over changed bytes)" copy/annotated.pcapng &&
	t_ok "annotated.pcapng: TCP-AO verdicts as packet comments" || t_fail "annotated.pcapng: no TCP-AO comment"

# resign: every segment valid by scapy, each with its own SNE (the tso session wraps)
"$VNICEMU" replay s.pcap --key-file s.keys --set tso.md5=resign --out resign --json >resign.json
$py "$oracle" check resign/wire.pcap s.keys >o.txt
n=$(wc -l <o.txt)
if [ "$(jq -r .culprit resign.json)" = null ] && [ "$(counts o.txt | xargs)" = "valid $n" ] &&
	[ "$(jq .wire.ao.valid resign.json)" = "$n" ] && [ "$n" -gt "$(jq .guest.frames resign.json)" ]; then
	t_ok "tso.md5=resign: all $n wire frames valid by scapy, no culprit"
else
	t_fail "resign: $(counts o.txt | xargs); $(jq -c .wire resign.json)"
fi

# the shipped scenario's capture, re-signed: scapy finds every MAC valid, across its wrap too
"$VNICEMU" replay "$scen/ao-vmxnet2-bgp.pcap" --key-file "$scen/ao-bgp.keys" --set tso.md5=resign --out sc >/dev/null
$py "$oracle" check sc/wire.pcap "$scen/ao-bgp.keys" >o.txt
[ "$(counts o.txt | xargs)" = "valid 38" ] && t_ok "scenarios/ao-vmxnet2-bgp.pcap re-signed: 38 valid by scapy" ||
	t_fail "scenario capture re-signed: $(counts o.txt | xargs)"

# strip: the segments lose the option (missing by scapy); frames tso did not cut keep it
"$VNICEMU" replay s.pcap --key-file s.keys --set tso.md5=strip --out strip --json >strip.json
tap_same "tso.md5=strip: wire" strip/wire.pcap s.keys strip.json .wire
missing=$(jq .wire.ao.missing strip.json)
[ "$missing" -gt 0 ] && [ "$missing" = "$(jq '.stages[] | select(.name == "tso") | .invalidated' strip.json)" ] &&
	[ "$(jq '.wire.ao.missing + .wire.ao.valid' strip.json)" = "$(jq .wire.frames strip.json)" ] &&
	t_ok "strip: the $missing segments tso cut are missing, the frames it did not cut valid" ||
	t_fail "strip: $(jq -c '.wire, (.stages[] | select(.name == "tso"))' strip.json)"

# mid-stream: without ISNs nothing is called invalid, nothing re-signed, and the report says so
$py "$oracle" cut s.pcap mid.pcap --no-syn
"$VNICEMU" replay mid.pcap --key-file s.keys --set tso.md5=resign --out mid --json >mid.json
"$VNICEMU" replay mid.pcap --key-file s.keys --set tso.md5=resign >mid.txt
$py "$oracle" check mid/wire.pcap s.keys >o.txt
if [ "$(jq -r .culprit mid.json)" = null ] && [ "$(counts o.txt | awk '{print $1}' | xargs)" = no-isn ] &&
	[ "$(jq .wire.ao.invalid mid.json)" = 0 ] &&
	grep -q "TCP-AO frames could not be checked: their connection's ISNs are unknown" mid.txt &&
	! grep -q "culprit: none —" mid.txt; then
	t_ok "mid-stream without --isn: all no-isn, none invalid, and the report says why"
else
	t_fail "mid-stream without --isn: $(jq -c .wire mid.json); $(tail -3 mid.txt)"
fi
# ...and a receiver that knows the ISNs finds the segments' copied MACs invalid (they were not
# re-signed with guessed ISNs: the same segments as in the copy run, whose capture only had
# the SYNs more) and the frames tso did not cut valid
$py "$oracle" check mid/wire.pcap s.keys $(printf -- '--isn %s ' "${isns[@]}") >o.txt
n=$(wc -l <o.txt)
inv=$(jq '.stages[] | select(.name == "tso") | .invalidated' copy.json)
[ "$(counts o.txt | xargs)" = "invalid $inv valid $((n - inv))" ] &&
	t_ok "mid-stream resign without ISNs: to a receiver with them, $inv segments invalid as copied, nothing re-signed" ||
	t_fail "mid-stream resign without ISNs: $(counts o.txt | xargs), want $inv invalid"
"$VNICEMU" replay mid.pcap --key-file s.keys --set tso.md5=resign "${isnargs[@]}" --out midisn --json >midisn.json
$py "$oracle" check midisn/wire.pcap s.keys $(printf -- '--isn %s ' "${isns[@]}") >o.txt
n=$(wc -l <o.txt)
[ "$(counts o.txt | xargs)" = "valid $n" ] && [ "$(jq .wire.ao.valid midisn.json)" = "$n" ] &&
	t_ok "mid-stream with --isn: resign leaves all $n wire frames valid by scapy" ||
	t_fail "mid-stream with --isn: $(counts o.txt | xargs)"

# TCP-MD5 and TCP-AO sessions in one capture, both kinds of keys
$py "$oracle" sign "$data/ao/mixed.json" m.pcap --keys m.keys
$py "$tool" cat mix.pcap "$scen/esx35-vmxnet2-quagga.pcap" m.pcap
cat "$scen/esx35.keys" m.keys >mix.keys
"$VNICEMU" replay mix.pcap --key-file mix.keys --out mix --json >mix.json
tso() { jq "$1" <<<"$(jq '.stages[] | select(.name == "tso")' mix.json)"; }
if [ "$(jq -r .culprit mix.json)" = tso ] && [ "$(tso .invalidated_ao)" -gt 0 ] &&
	[ "$(tso .invalidated)" -gt "$(tso .invalidated_ao)" ] && [ "$(jq .wire.md5.invalid mix.json)" -gt 0 ]; then
	t_ok "MD5 and AO in one capture: tso invalidated $(tso '.invalidated - .invalidated_ao') digests and $(tso .invalidated_ao) MACs"
else
	t_fail "mixed: $(jq -c '.wire, .culprit' mix.json)"
fi
tap_same "mixed: wire, TCP-AO" mix/wire.pcap mix.keys mix.json .wire
"$VNICEMU" replay "$scen/esx35-vmxnet2-quagga.pcap" --key-file "$scen/esx35.keys" --json >md5.json
for v in valid invalid; do
	[ "$(jq .wire.md5.$v md5.json)" = "$(jq .wire.md5.$v mix.json)" ] ||
		t_fail "mixed: $v MD5 frames differ from the MD5 capture alone"
done
t_ok "mixed: the MD5 frames as replayed alone ($(jq -c .wire.md5 md5.json))"

# diff on the replay's own guest and wire captures: with the MKTs, TCP-AO verdicts equal the
# replay's; without any key, every AO frame is unchecked (no key given), never unexpected
"$VNICEMU" diff copy/guest.pcap copy/wire.pcap --key-file s.keys --json >dk.json
"$VNICEMU" diff copy/guest.pcap copy/wire.pcap --json >dn.json
"$VNICEMU" diff copy/guest.pcap copy/wire.pcap >dn.txt
nao=$(jq '[.wire.ao[]] | add' dk.json)
if [ "$(jq -c '.wire.ao | {valid, invalid}' dk.json)" = "$(jq -c '.wire.ao | {valid, invalid}' copy.json)" ] &&
	[ "$(jq .wire.ao.invalid dk.json)" -gt 0 ]; then
	t_ok "diff with the MKTs: wire TCP-AO verdicts as replay's ($(jq -c .wire.ao dk.json))"
else
	t_fail "diff with the MKTs: $(jq -c .wire.ao dk.json) vs replay $(jq -c .wire.ao copy.json)"
fi
if [ "$(jq .wire.ao.unchecked dn.json)" = "$nao" ] && [ "$(jq .wire.ao.unexpected dn.json)" = 0 ] &&
	[ "$(jq '.wire.unchecked_reasons.ao["no-key"]' dn.json)" = "$nao" ] &&
	grep -q "^ao: .* could not be checked .*: no key given$" dn.txt; then
	t_ok "diff without a key: all $nao wire TCP-AO frames unchecked (no key given)"
else
	t_fail "diff without a key: $(jq -c '.wire.ao, .wire.unchecked_reasons' dn.json)"
fi

# MSS clamping on the path (issue 13's contrast case): it rewrites the MSS option of the SYN in
# place. TCP-AO covers options unless the MKT excludes them (RFC 5925 section 5.1), so the
# SYN's MAC breaks and mss-clamp is the culprit; with exclude-options every MAC survives, as
# every MD5 digest does (scenarios/mss-clamp.ini). scapy checks the SYN on the wire both ways.
jq '.sessions[0].mkts[0].exclude_options = false' "$data/ao/scenario-bgp.json" >mc.json
jq '.sessions[0].mkts[0].exclude_options = true' "$data/ao/scenario-bgp.json" >mx.json
for v in mc mx; do
	$py "$oracle" sign $v.json $v.pcap --keys $v.keys
	"$VNICEMU" replay $v.pcap --key-file $v.keys --profile none --wire-mtu 9000 --path mss-clamp \
		--guest-addr 192.0.2.10 --out $v --json >$v.out.json
	$py "$oracle" check $v/wire.pcap $v.keys >$v.o.txt
done
mcs() { jq "$1" <<<"$(jq '.stages[] | select(.name == "mss-clamp")' mc.out.json)"; }
if [ "$(jq -r .culprit mc.out.json)" = mss-clamp ] && [ "$(mcs .invalidated_ao)" = 1 ] &&
	[ "$(jq .wire.ao.invalid mc.out.json)" = 1 ] && [ "$(awk '$1 == 1 {print $2}' mc.o.txt)" = invalid ] &&
	[ "$(awk '$2 == "invalid"' mc.o.txt | wc -l)" = 1 ] &&
	grep -q "covered fields changed: options" <("$VNICEMU" replay mc.pcap --key-file mc.keys --profile none \
		--wire-mtu 9000 --path mss-clamp --guest-addr 192.0.2.10); then
	t_ok "mss-clamp, options covered: the SYN's MAC invalid (scapy agrees), culprit mss-clamp, options named"
else
	t_fail "mss-clamp, options covered: $(jq -c '.culprit, .wire.ao' mc.out.json) scapy: $(counts mc.o.txt | xargs)"
fi
if [ "$(jq -r .culprit mx.out.json)" = null ] && [ "$(jq .wire.ao.invalid mx.out.json)" = 0 ] &&
	[ "$(jq .wire.ao.valid mx.out.json)" -gt 0 ] && [ "$(awk '$1 == 1 {print $2}' mx.o.txt)" = valid ] &&
	! grep -q invalid mx.o.txt; then
	t_ok "mss-clamp, exclude-options: every MAC valid (scapy agrees), culprit none"
else
	t_fail "mss-clamp, exclude-options: $(jq -c '.culprit, .wire.ao' mx.out.json) scapy: $(counts mx.o.txt | xargs)"
fi

t_done
