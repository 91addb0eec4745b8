#!/usr/bin/env bash
# vnicemu diff on real-looking capture pairs and on the path's boxes: the wire side of each pair
# is made by tests/support/pathbox.py (a rewrite independent of vnicemu's code), by
# `vnicemu replay --out` (the vNIC), or both; TCP-AO sessions are signed by scapy
# (tests/support/ao_oracle.py), which also gives the verdict of every frame on both sides.
set -uo pipefail
VNICEMU=$1
MKGUESTCAP=$2
SUPPORT=$3
DATA=$4
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
PY=/usr/bin/python3
box() { "$PY" "$SUPPORT/pathbox.py" "$@"; }
oracle() { "$PY" "$SUPPORT/ao_oracle.py" "$@"; }
KEY=quagga-md5

# d NAME GUEST WIRE [ARGS...]: diff --json into $tmp/NAME.json, the text into $tmp/NAME.txt
d() {
	local name=$1 g=$2 w=$3
	shift 3
	if ! "$VNICEMU" diff "$g" "$w" "$@" --json >"$tmp/$name.json" 2>"$tmp/$name.err" ||
		! jq -e . "$tmp/$name.json" >/dev/null ||
		! "$VNICEMU" diff "$g" "$w" "$@" >"$tmp/$name.txt" 2>>"$tmp/$name.err"; then
		t_fail "$name: diff failed: $(cat "$tmp/$name.err")"
		return 1
	fi
}
q() { jq -r "$2" "$tmp/$1.json"; }
elements() { q "$1" '[.explanation.elements[].stage] | join(",")'; }
kinds() { q "$1" '[.flows[].differences[].kind] | unique | join(",")'; }
kind() { q "$1" "[.flows[].differences[] | select(.kind == \"$2\") | .$3] | map(tostring) | unique | join(\",\")"; }
unexplained() { q "$1" '.unexplained | join(",")'; }
# ao SIDE: "valid invalid missing no-isn" of a side
ao() { q "$1" ".$2.ao | \"\(.valid) \(.invalid) \(.missing) \(.\"no-isn\")\""; }
# ocount PCAP KEYS VERDICT [ARGS]: frames the scapy oracle gives VERDICT
ocount() {
	local pcap=$1 keys=$2 v=$3
	shift 3
	oracle check "$pcap" "$keys" "$@" | awk -v v="$v" '$2 == v { n++ } END { print n + 0 }'
}

# ---- the MD5 session: mkguestcap's, through the vNIC (replay), then a box ----
"$MKGUESTCAP" "$tmp/g.pcap" --key "$KEY" --updates 8 --update-size 8192 2>/dev/null
"$VNICEMU" replay "$tmp/g.pcap" --key "$KEY" --out "$tmp/r" >/dev/null 2>&1 || t_fail "replay"
G=$tmp/r/guest.pcap
W=$tmp/r/wire.pcap

# each box alone on the guest's frames: the element named, nothing left unexplained
check_box() {
	local name=$1 want=$2 verdicts=$3
	shift 3
	box "$@" "$G" "$tmp/$name.pcap" || { t_fail "pathbox $*"; return; }
	d "$name" "$G" "$tmp/$name.pcap" --key "$KEY" || return
	local got
	got="$(elements "$name") / $(unexplained "$name") / $(q "$name" '.wire.md5 | "\(.valid) \(.invalid) \(.missing)"')"
	[ "$got" = "$want /  / $verdicts" ] && grep -q "^explained by: .*($want)" "$tmp/$name.txt" &&
		t_ok "$name: explained by $want, wire md5 $verdicts" ||
		t_fail "$name: $got; $(tail -2 "$tmp/$name.txt")"
}
check_box seqrand seqrand "0 23 0" seqrand --inside 192.0.2.10 --delta 777777
check_box optstrip optstrip "0 0 23" optstrip --kinds 19
check_box nat nat "0 23 0" nat --inside 192.0.2.10 --outside 203.0.113.7 --port 61000
check_box window window "0 23 0" window --value 4096
[ "$(kind seqrand seq-offset offset)" = 777777 ] && [ "$(kind seqrand ack offset)" = 777777 ] &&
	t_ok "seqrand: seq +777777 out, acks +777777 back in" ||
	t_fail "seqrand: $(kind seqrand seq-offset detail) / $(kind seqrand ack detail)"
[ "$(q nat '[.flows[].wire_flow.flow] | join(",")')" = "203.0.113.7.61000 > 192.0.2.1.179,192.0.2.1.179 > 203.0.113.7.61000" ] &&
	t_ok "nat: each flow paired with its translated self" || t_fail "nat: $(q nat '[.flows[].wire_flow]')"

# the vNIC and then a firewall (an ASA: seqrand and optstrip): both named, in path order
box seqrand --inside 192.0.2.10 --delta -4242 "$W" "$tmp/asa1.pcap"
box optstrip "$tmp/asa1.pcap" "$tmp/asa.pcap"
if d asa "$G" "$tmp/asa.pcap" --key "$KEY"; then
	# the blanked option hides what tso did with it: no tso.md5 quirk is named
	[ "$(elements asa)" = "tso,seqrand,optstrip" ] && [ "$(unexplained asa)" = "" ] &&
		[ "$(q asa .explanation.stage)" = tso ] && [ "$(q asa '.explanation.quirks."tso.md5"')" = null ] &&
		t_ok "TSO, then an ASA: tso, seqrand, optstrip" ||
		t_fail "asa: $(elements asa) / $(unexplained asa); $(tail -4 "$tmp/asa.txt")"
fi

# a router with a smaller MTU behind the vNIC: the wire's segments in IPv4 fragments
box fragment --mtu 800 --clear-df "$W" "$tmp/frag.pcap"
if d frag "$G" "$tmp/frag.pcap" --key "$KEY"; then
	[ "$(elements frag)" = "tso,fragment" ] && [ "$(unexplained frag)" = "" ] &&
		[ "$(q frag .wire.reassembled)" = 48 ] && [ "$(q frag '.wire.md5.invalid')" = 48 ] &&
		[ "$(kind frag fragmented wire_frames)" = 48 ] &&
		t_ok "fragments: 48 segments reassembled, tso and fragment named" ||
		t_fail "frag: $(elements frag) / $(unexplained frag) / $(q frag .wire.reassembled)"
fi

# ---- real capture pairs (issue 11) ----

# a SPAN port doubling every frame
box double "$W" "$tmp/double.pcap"
if d double "$G" "$tmp/double.pcap" --key "$KEY"; then
	[ "$(q double '[.flows[].not_compared.wire.duplicates] | add')" = 63 ] &&
		[ "$(q double '.explanation.quirks."tso.ipid"')" = increment ] && [ "$(unexplained double)" = "" ] &&
		t_ok "SPAN duplicates: 63 set aside, the IPv4 ID rule unchanged" ||
		t_fail "double: $(q double .explanation.quirks) / $(unexplained double)"
fi

# a wire capture that starts 10 frames late and ends 10 early (inside super-frames)
box trim --head 10 --tail 10 "$W" "$tmp/trim.pcap"
if d trim "$G" "$tmp/trim.pcap" --key "$KEY"; then
	[ "$(kind trim missing wire_frames)" = "" ] && [ "$(kind trim extra wire_frames)" = "" ] &&
		[ "$(q trim '[.flows[].not_compared.guest | .before + .after] | add')" -gt 0 ] &&
		[ "$(unexplained trim)" = "" ] &&
		t_ok "a shorter wire capture: frames outside it out of scope, none missing" ||
		t_fail "trim: $(kinds trim) / $(unexplained trim)"
fi
# ...and a guest capture that starts late
box trim --head 5 "$G" "$tmp/gtrim.pcap"
if d gtrim "$tmp/gtrim.pcap" "$W" --key "$KEY"; then
	[ "$(kind gtrim extra wire_frames)" = "" ] && [ "$(unexplained gtrim)" = "" ] &&
		[ "$(q gtrim '[.flows[].not_compared.wire.before] | add')" -gt 0 ] &&
		t_ok "a shorter guest capture: the wire's earlier frames are not extra" ||
		t_fail "gtrim: $(kinds gtrim) / $(unexplained gtrim)"
fi

# tcpdump -s 96 on the wire: compared as far as captured, the rest said
box cut --snaplen 96 "$W" "$tmp/cut.pcap"
if d cut "$G" "$tmp/cut.pcap" --key "$KEY"; then
	[ "$(q cut '.wire.md5.unchecked')" = 50 ] && [ "$(q cut '.wire.unchecked_reasons.md5.snaplen')" = 50 ] &&
		[ "$(q cut .explanation.stage)" = tso ] && [ "$(kind cut missing wire_frames)" = "" ] &&
		grep -q "^md5: 50 signed segments could not be checked (guest 0, wire 50): cut by the snaplen$" "$tmp/cut.txt" &&
		grep -qx "  no differences in what both captured" "$tmp/cut.txt" &&
		! grep -qx "  no differences" "$tmp/cut.txt" &&
		t_ok "snaplen 96: 50 signed segments unchecked, still explained as tso" ||
		t_fail "cut: $(q cut .wire.md5) / $(kinds cut)"
fi

# the guest with -i eth0, the host with -i any (Linux SLL2)
box sll2 "$W" "$tmp/sll2.pcap"
if d sll2 "$G" "$tmp/sll2.pcap" --key "$KEY"; then
	[ "$(q sll2 .wire.link)" = "Linux SLL2" ] && [ "$(elements sll2)" = tso ] && [ "$(unexplained sll2)" = "" ] &&
		t_ok "Ethernet against Linux SLL2: compared from the IP header on" ||
		t_fail "sll2: $(elements sll2) / $(unexplained sll2)"
fi

# the arguments swapped
if d swap "$W" "$G" --key "$KEY"; then
	[ "$(q swap .swapped)" = true ] && [ "$(elements swap)" = tso ] && [ "$(q swap .guest.file)" = "$G" ] &&
		grep -q "^warning: the captures look swapped: $W, given as the guest's" "$tmp/swap.txt" &&
		t_ok "swapped arguments: detected, compared the right way round" ||
		t_fail "swap: $(q swap .swapped) $(elements swap) $(head -2 "$tmp/swap.txt")"
fi
if d noswap "$W" "$G" --key "$KEY" --no-swap; then
	[ "$(q noswap .swapped)" = false ] && grep -q "compared as given (--no-swap)" "$tmp/noswap.txt" &&
		t_ok "--no-swap: compared as given, with the warning" || t_fail "noswap: $(head -2 "$tmp/noswap.txt")"
fi

# ---- TCP-AO: scapy signs, vnicemu's vNIC segments, scapy checks every frame ----
oracle sign "$DATA/ao/sessions.json" "$tmp/ao.pcap" --keys "$tmp/ao.keys" --isns "$tmp/ao.isns" ||
	t_fail "oracle sign"
"$VNICEMU" replay "$tmp/ao.pcap" --key-file "$tmp/ao.keys" --out "$tmp/ar" >/dev/null 2>&1 || t_fail "AO replay"
if d aotso "$tmp/ar/guest.pcap" "$tmp/ar/wire.pcap" --key-file "$tmp/ao.keys"; then
	want="$(ocount "$tmp/ar/guest.pcap" "$tmp/ao.keys" valid) 0 0 0"
	[ "$(ao aotso guest)" = "$want" ] && t_ok "AO guest verdicts equal scapy's: $want" ||
		t_fail "AO guest: $(ao aotso guest), scapy $want"
	want="$(ocount "$tmp/ar/wire.pcap" "$tmp/ao.keys" valid) $(ocount "$tmp/ar/wire.pcap" "$tmp/ao.keys" invalid) 0 0"
	[ "$(ao aotso wire)" = "$want" ] && t_ok "AO wire verdicts equal scapy's: $want" ||
		t_fail "AO wire: $(ao aotso wire), scapy $want"
	[ "$(elements aotso)" = tso ] && [ "$(q aotso '.explanation.quirks."tso.md5"')" = copy ] &&
		[ -n "$(kind aotso ao-stale wire_frames)" ] && [ "$(unexplained aotso)" = "" ] &&
		grep -q "options incl. the TCP-AO MAC copied into every segment" "$tmp/aotso.txt" &&
		t_ok "AO through TSO: the MAC copied into every segment, explained as tso" ||
		t_fail "aotso: $(elements aotso) / $(kinds aotso) / $(unexplained aotso)"
fi

# MSS clamping: TCP-AO covers the option unless the MKT excludes options; scapy agrees
box mss-clamp --mss 1000 "$tmp/ao.pcap" "$tmp/aomss.pcap"
if d aomss "$tmp/ao.pcap" "$tmp/aomss.pcap" --key-file "$tmp/ao.keys"; then
	want="$(ocount "$tmp/aomss.pcap" "$tmp/ao.keys" valid) $(ocount "$tmp/aomss.pcap" "$tmp/ao.keys" invalid) 0 0"
	[ "$(ao aomss wire)" = "$want" ] && [ "$(elements aomss)" = mss-clamp ] && [ "$(unexplained aomss)" = "" ] &&
		[ "$(kind aomss mss covered)" = "false,true" ] &&
		grep -q "covered: yes (options: TCP-AO covers them); ao: guest 1 valid -> wire 1 invalid" "$tmp/aomss.txt" &&
		grep -q "covered: no (the MKT excludes options); ao: guest 1 valid -> wire 1 valid" "$tmp/aomss.txt" &&
		t_ok "AO and MSS clamping: covered with options, not with exclude-options; verdicts $want as scapy's" ||
		t_fail "aomss: $(ao aomss wire) vs scapy $want; $(elements aomss) / $(kind aomss mss covered)"
fi
# ...and MD5 on a real kernel's session: not covered, the digests stay valid
box mss-clamp --mss 1300 "$DATA/kernel/eth.pcap" "$tmp/kmss.pcap"
if d kmss "$DATA/kernel/eth.pcap" "$tmp/kmss.pcap" --key-file "$DATA/kernel/keys"; then
	[ "$(kind kmss mss covered)" = false ] && [ "$(q kmss .guest.md5)" = "$(q kmss .wire.md5)" ] &&
		[ "$(elements kmss)" = mss-clamp ] &&
		t_ok "MD5 and MSS clamping on a kernel's capture: not covered, verdicts unchanged" ||
		t_fail "kmss: $(kind kmss mss covered) / $(elements kmss)"
fi

# captures that start after the handshake: no-isn, never invalid; --isn gives the ISNs back
oracle cut "$tmp/ao.pcap" "$tmp/aomid.pcap" --no-syn
if d aomid "$tmp/aomid.pcap" "$tmp/aomid.pcap" --key-file "$tmp/ao.keys"; then
	[ "$(q aomid .guest.ao.invalid)" = 0 ] && [ "$(q aomid '.guest.ao."no-isn"')" -gt 0 ] &&
		t_ok "AO mid-stream without --isn: $(q aomid '.guest.ao."no-isn"') no-isn, none invalid" ||
		t_fail "aomid: $(q aomid .guest.ao)"
fi
isn_args=()
while read -r l; do isn_args+=(--isn "$l"); done <"$tmp/ao.isns"
if d aoisn "$tmp/aomid.pcap" "$tmp/aomid.pcap" --key-file "$tmp/ao.keys" "${isn_args[@]}"; then
	want="$(ocount "$tmp/aomid.pcap" "$tmp/ao.keys" valid --isn-file "$tmp/ao.isns")"
	[ "$(q aoisn .guest.ao.valid)" = "$want" ] && [ "$(q aoisn '.guest.ao."no-isn"')" = 0 ] &&
		t_ok "AO mid-stream with --isn: $want valid, as scapy" ||
		t_fail "aoisn: $(q aoisn .guest.ao) vs scapy $want"
fi

# ---- bad input: one line, exit 2 ----
bad() {
	local pat=$1
	shift
	"$VNICEMU" diff "$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	[ $rc -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -qE -- "$pat" "$tmp/err" && [ ! -s "$tmp/out" ] &&
		t_ok "bad input: $(cat "$tmp/err")" || t_fail "bad input ($*): rc $rc, '$(cat "$tmp/err")'"
}
bad "--isn 192.0.2.1=5: expected ADDR.PORT=ISN|bad address" "$G" "$W" --isn 192.0.2.1=5
bad "--isn 192.0.2.1.179=x: bad ISN" "$G" "$W" --isn 192.0.2.1.179=x
bad "--isn 192.0.2.1.99999=1: bad port" "$G" "$W" --isn 192.0.2.1.99999=1
bad "--isn 192.0.2.1.179=4294967296: bad ISN" "$G" "$W" --isn 192.0.2.1.179=4294967296
bad "/dev/null: not a regular file" /dev/null "$W"
mkfifo "$tmp/fifo"
bad "fifo: not a regular file" "$G" "$tmp/fifo"
t_done
