#!/usr/bin/env bash
# vnicemu diff on pairs of captures with known transformations: the project's own replay output
# (each tso quirk), hand-made edits of a capture (stripped options, rewritten TTL, moved PSH,
# retransmissions), identical captures, and bad input.
set -uo pipefail
export LC_ALL=C # byte-wise string slicing in the pcap editor below
VNICEMU=$1
MKGUESTCAP=$2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
KEY=quagga-md5

# 8 signed super-frames of 8192 payload bytes; at wire MTU 1500 each becomes 6 segments
"$MKGUESTCAP" "$tmp/guest.pcap" --key "$KEY" --updates 8 --update-size 8192 2>/dev/null

# ---- a small pcap editor (classic little-endian pcap, Ethernet/IPv4/TCP without VLAN tags) ----

le32() { echo $((16#${1:6:2}${1:4:2}${1:2:2}${1:0:2})); }
hle32() { printf '%02x%02x%02x%02x' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }

# pcap_edit IN OUT FUNC: FUNC sees frame number N (from 1) and its bytes as hex in F; it may
# change F (any length), empty it to drop the frame, set APPEND2 to a frame to add right after
# it, or APPEND to a frame to add at the end.
pcap_edit() {
	local hex out pos=48 n=0 rec cap
	hex=$(xxd -p "$1" | tr -d '\n')
	[ "${hex:0:8}" = d4c3b2a1 ] || { echo "pcap_edit: $1 is not a little-endian pcap" >&2; return 1; }
	out=${hex:0:48}
	APPEND=
	while [ $pos -lt ${#hex} ]; do
		rec=${hex:pos:32}
		cap=$(le32 "${rec:16:8}")
		F=${hex:pos+32:cap*2}
		N=$((++n))
		APPEND2=
		"$3"
		[ -n "$F" ] && out+=${rec:0:16}$(hle32 $((${#F} / 2)))$(hle32 $((${#F} / 2)))$F
		[ -n "$APPEND2" ] && out+=${rec:0:16}$(hle32 $((${#APPEND2} / 2)))$(hle32 $((${#APPEND2} / 2)))$APPEND2
		pos=$((pos + 32 + cap * 2))
	done
	[ -n "$APPEND" ] && out+=${rec:0:16}$(hle32 $((${#APPEND} / 2)))$(hle32 $((${#APPEND} / 2)))$APPEND
	xxd -r -p <<<"$out" >"$2"
}

# byte OFF: the byte at OFF of F, as a number; setb OFF HEX: overwrite bytes from OFF
byte() { echo $((16#${F:$1*2:2})); }
setb() { F=${F:0:$1*2}$2${F:$1*2+${#2}}; }

# sum16 HEX: one's complement sum of the bytes, folded
sum16() {
	local h=$1 s=0 i
	((${#h} % 4)) && h+=00
	for ((i = 0; i < ${#h}; i += 4)); do s=$((s + 16#${h:i:4})); done
	while ((s >> 16)); do s=$(((s & 0xffff) + (s >> 16))); done
	echo $s
}
# fix_ip / fix_tcp: recompute the IPv4 header and TCP checksums of F (IP at 14, IHL 5, TCP at 34)
fix_ip() {
	setb 24 0000
	setb 24 "$(printf %04x $((~$(sum16 "${F:28:40}") & 0xffff)))"
}
fix_tcp() {
	local tcplen=$((${#F} / 2 - 34))
	setb 50 0000
	local s
	s=$(sum16 "${F:52:16}0006$(printf %04x $tcplen)${F:68}")
	setb 50 "$(printf %04x $((~s & 0xffff)))"
}

# the edits: a router's TTL decrement; PSH moved from guest frame 4 (OPEN) to frame 3 (ACK);
# every TCP option stripped (the header shrinks by 20 bytes); frames kept by number
ttl_dec() {
	setb 22 "$(printf %02x $(($(byte 22) - 1)))"
	fix_ip
}
psh_move() {
	case $N in
	3) setb 47 18 ;;
	4) setb 47 10 ;;
	*) return ;;
	esac
	fix_tcp
}
strip_opts() {
	local tl=$(($(byte 16) * 256 + $(byte 17) - 20))
	F=${F:0:108}${F:148}
	setb 46 50
	setb 16 "$(printf %04x $tl)"
	fix_ip
	fix_tcp
}
KEEP_FROM=1 KEEP_TO=1000000
keep() { ((N >= KEEP_FROM && N <= KEEP_TO)) || F=; }
# send frame 8 (the first super-frame) again at the end: a retransmission (a new IPv4 ID, as a
# sender gives every packet it sends), or an exact copy (a SPAN port's duplicate)
dup8() {
	[ "$N" = 8 ] || return
	local orig=$F
	setb 18 "$(printf %04x $(((16#${F:36:4} + 1000) & 0xffff)))"
	fix_ip
	APPEND=$F
	F=$orig
}
copy8() { [ "$N" != 8 ] || APPEND=$F; }
# every frame twice, as a SPAN port mirroring both directions of a link doubles them
double() { APPEND2=$F; }
# the Ethernet header replaced with Linux cooked capture v2's (tcpdump -i any)
to_sll2() { F=${F:24:4}00000000000200010006${F:12:12}0000${F:28}; }

# ---- running diff ----

# d NAME GUEST WIRE [ARGS...]: diff --json into $tmp/NAME.json and the text into $tmp/NAME.txt
d() {
	local name=$1 g=$2 w=$3
	shift 3
	if ! "$VNICEMU" diff "$g" "$w" "$@" --json >"$tmp/$name.json" 2>"$tmp/$name.err" ||
		! jq -e . "$tmp/$name.json" >/dev/null; then
		t_fail "$name: diff --json failed: $(cat "$tmp/$name.err")"
		return 1
	fi
	if ! "$VNICEMU" diff "$g" "$w" "$@" >"$tmp/$name.txt" 2>>"$tmp/$name.err"; then
		t_fail "$name: diff failed: $(cat "$tmp/$name.err")"
		return 1
	fi
	return 0
}
q() { jq -r "$2" "$tmp/$1.json"; }
# kind NAME KIND FIELD: FIELD of difference KIND, summed over the flows if a number ("" when absent)
kind() { q "$1" "[.flows[].differences[] | select(.kind == \"$2\") | .$3] | if length == 0 then \"\" elif (.[0] | type) == \"number\" then add else map(tostring) | unique | join(\",\") end"; }
kinds() { q "$1" '[.flows[].differences[].kind] | unique | join(",")'; }
# verdicts NAME SIDE: "valid invalid missing" over the whole capture
verdicts() { q "$1" ".$2.md5 | \"\(.valid) \(.invalid) \(.missing)\""; }
# kverdicts NAME KIND SIDE: the verdicts of the frames with difference KIND
kverdicts() { q "$1" "[.flows[].differences[] | select(.kind == \"$2\") | .md5.$3] | \"\(map(.valid) | add) \(map(.invalid) | add) \(map(.missing) | add)\""; }
quirks() { q "$1" '.explanation.quirks | to_entries | map("\(.key)=\(.value)") | join(" ")'; }

replay() {
	local name=$1
	shift
	"$VNICEMU" replay "$tmp/guest.pcap" --key "$KEY" --out "$tmp/$name" "$@" >/dev/null 2>"$tmp/$name.replay.err" ||
		t_fail "replay $name: $(cat "$tmp/$name.replay.err")"
}

# 1. vmxnet2's default tso: the ESX 3.5 report
replay copy
if d copy "$tmp/copy/guest.pcap" "$tmp/copy/wire.pcap" --key "$KEY"; then
	[ "$(kind copy resegmented guest_frames) $(kind copy resegmented wire_frames) $(kind copy resegmented mss)" = "8 48 1440" ] &&
		t_ok "copy: resegmented 8 guest frames into 48 wire frames, MSS 1440" ||
		t_fail "copy: resegmented $(kind copy resegmented detail)"
	[ "$(verdicts copy guest)" = "23 0 0" ] && [ "$(verdicts copy wire)" = "15 48 0" ] &&
		t_ok "copy: verdicts guest 23 valid, wire 15 valid 48 invalid" ||
		t_fail "copy: verdicts guest $(verdicts copy guest), wire $(verdicts copy wire)"
	[ "$(kverdicts copy resegmented guest)" = "8 0 0" ] && [ "$(kverdicts copy resegmented wire)" = "0 48 0" ] &&
		t_ok "copy: the resegmented frames: guest 8 valid -> wire 48 invalid" ||
		t_fail "copy: resegmented verdicts $(kverdicts copy resegmented guest) -> $(kverdicts copy resegmented wire)"
	[ "$(kinds copy)" = "flags-moved,ipid,md5-stale,resegmented" ] &&
		t_ok "copy: differences $(kinds copy)" || t_fail "copy: differences $(kinds copy)"
	[ "$(kind copy flags-moved covered) $(kind copy ipid covered) $(kind copy resegmented covered)" = "true false true" ] &&
		t_ok "copy: flags covered, IPv4 ID not, resegmentation covered" ||
		t_fail "copy: covered $(kind copy flags-moved covered) $(kind copy ipid covered)"
	[ "$(kind copy flags-moved wire_frames) $(kind copy ipid wire_frames)" = "40 40" ] &&
		t_ok "copy: PSH cleared and IPv4 ID moved on the 40 non-last segments" ||
		t_fail "copy: flags-moved $(kind copy flags-moved detail); ipid $(kind copy ipid detail)"
	[ "$(q copy .explanation.stage)" = tso ] &&
		[ "$(quirks copy)" = "tso.flags=linux tso.ipid=increment tso.md5=copy" ] &&
		grep -q "^explanation: TSO (Linux GSO semantics: options incl. the MD5 digest copied into every segment, PSH on the last segment only, IPv4 ID +1 per segment) — matches vnicemu's tso stage with tso.flags=linux, tso.ipid=increment, tso.md5=copy$" "$tmp/copy.txt" &&
		[ "$(q copy '.unexplained | length')" = 0 ] &&
		t_ok "copy: $(grep explanation: "$tmp/copy.txt")" ||
		t_fail "copy: $(q copy .explanation.text) / unexplained $(q copy .unexplained)"
	grep -q "^flow 192.0.2.1.179 > 192.0.2.10.40179: guest 11 frames, wire 11 frames, 11 unchanged" "$tmp/copy.txt" &&
		t_ok "copy: the peer's direction is unchanged" || t_fail "copy: peer flow: $(cat "$tmp/copy.txt")"
	grep -q "$KEY" "$tmp/copy.json" "$tmp/copy.txt" "$tmp/copy.err" && t_fail "the secret appears in the output"
fi

# 2. the tso quirks, one at a time
for quirk in tso.md5=resign tso.flags=qemu tso.ipid=fixed tso.md5=strip tso.flags=copy; do
	name=${quirk//[.=]/_}
	replay "$name" --set "$quirk"
	d "$name" "$tmp/$name/guest.pcap" "$tmp/$name/wire.pcap" --key "$KEY" || continue
	got=$(quirks "$name")
	if [ "$(q "$name" .explanation.stage)" = tso ] && grep -qw "$quirk" <<<"$got" &&
		[ "$(kind "$name" resegmented wire_frames)" = 48 ] && [ "$(q "$name" '.unexplained | length')" = 0 ]; then
		t_ok "$quirk: explained as tso with $got"
	else
		t_fail "$quirk: $(q "$name" .explanation.text) / $(q "$name" .unexplained)"
	fi
done
[ "$(verdicts tso_md5_resign wire)" = "63 0 0" ] && [ "$(kind tso_md5_resign md5-changed wire_frames)" = 48 ] &&
	t_ok "resign: every wire digest valid, 48 digests changed" || t_fail "resign: $(verdicts tso_md5_resign wire)"
[ "$(verdicts tso_md5_strip wire)" = "15 0 48" ] && [ "$(kind tso_md5_strip md5-removed wire_frames)" = 48 ] &&
	grep -q "MD5 option removed: on 48 frames (overwritten with NOPs)" "$tmp/tso_md5_strip.txt" &&
	t_ok "strip: 48 MD5 options overwritten with NOPs, 48 missing" || t_fail "strip: $(verdicts tso_md5_strip wire)"
[ "$(kind tso_flags_qemu flags-moved wire_frames)" = 48 ] && grep -q "QEMU semantics" "$tmp/tso_flags_qemu.txt" &&
	t_ok "qemu: PSH cleared on all 48 segments" || t_fail "qemu: $(kind tso_flags_qemu flags-moved detail)"
[ "$(kind tso_ipid_fixed ipid wire_frames)" = "" ] && grep -q "the same IPv4 ID on every segment" "$tmp/tso_ipid_fixed.txt" &&
	t_ok "ipid=fixed: no IPv4 ID difference, named as fixed" || t_fail "ipid=fixed: $(kind tso_ipid_fixed ipid detail)"
[ "$(kind tso_flags_copy flags-moved wire_frames)" = "" ] &&
	t_ok "flags=copy: no flag moved" || t_fail "flags=copy: $(kind tso_flags_copy flags-moved detail)"

# 3. tso off: the super-frames never reach the wire
replay tso_off --set tso=off
if d tso_off "$tmp/tso_off/guest.pcap" "$tmp/tso_off/wire.pcap" --key "$KEY"; then
	[ "$(kinds tso_off)" = missing ] && [ "$(kind tso_off missing guest_frames)" = 8 ] &&
		[ "$(quirks tso_off)" = "tso=off" ] && grep -q "^explanation: no TSO: the 8 guest frames larger" "$tmp/tso_off.txt" &&
		t_ok "tso=off: 8 oversize frames missing, explained as tso off" ||
		t_fail "tso=off: $(kinds tso_off): $(q tso_off .explanation.text)"
fi

# 4. identical captures
if d same "$tmp/copy/guest.pcap" "$tmp/copy/guest.pcap" --key "$KEY"; then
	[ "$(q same .identical)" = true ] && [ "$(kinds same)" = "" ] && grep -q "^explanation: no differences$" "$tmp/same.txt" &&
		[ "$(grep -c '  no differences' "$tmp/same.txt")" = 2 ] &&
		t_ok "identical captures: no differences" || t_fail "identical: $(cat "$tmp/same.txt")"
fi

# 5. hand-made edits of the guest capture as the wire
pcap_edit "$tmp/guest.pcap" "$tmp/ttl.pcap" ttl_dec
if d ttl "$tmp/guest.pcap" "$tmp/ttl.pcap" --key "$KEY"; then
	[ "$(kinds ttl)" = ttl ] && [ "$(kind ttl ttl covered)" = false ] && [ "$(kind ttl ttl wire_frames)" = 23 ] &&
		grep -q "TTL rewritten: 64 -> 63 on 12 frames" "$tmp/ttl.txt" && [ "$(verdicts ttl wire)" = "23 0 0" ] &&
		t_ok "TTL rewritten: not covered, digests stay valid" || t_fail "ttl: $(kinds ttl) $(kind ttl ttl detail)"
	[ "$(q ttl .explanation.stage)" = null ] && grep -q "^explanation: no offload explains these differences" "$tmp/ttl.txt" &&
		grep -q "a rewritten TTL is a router's work" "$tmp/ttl.txt" &&
		t_ok "TTL rewritten: no offload explains it" || t_fail "ttl: $(q ttl .explanation.text)"
fi

pcap_edit "$tmp/guest.pcap" "$tmp/psh.pcap" psh_move
if d psh "$tmp/guest.pcap" "$tmp/psh.pcap" --key "$KEY"; then
	[ "$(kinds psh)" = flags-moved,md5-stale ] && [ "$(kind psh flags-moved covered)" = true ] &&
		grep -q "flags moved: PSH cleared on 1 frame, PSH set on 1 frame$" "$tmp/psh.txt" &&
		[ "$(kverdicts psh flags-moved guest)" = "2 0 0" ] && [ "$(kverdicts psh flags-moved wire)" = "0 2 0" ] &&
		[ "$(q psh .explanation.stage)" = null ] &&
		t_ok "PSH moved: covered, the digest stale, guest 2 valid -> wire 2 invalid, no offload explains it" ||
		t_fail "psh: $(kinds psh) $(kind psh flags-moved detail) $(kverdicts psh flags-moved wire)"
fi

pcap_edit "$tmp/guest.pcap" "$tmp/stripped.pcap" strip_opts
if d stripped "$tmp/guest.pcap" "$tmp/stripped.pcap" --key "$KEY"; then
	[ "$(kinds stripped)" = md5-removed,options-stripped ] && [ "$(kind stripped options-stripped covered)" = true ] &&
		[ "$(kind stripped md5-removed covered)" = false ] && [ "$(verdicts stripped wire)" = "0 0 23" ] &&
		grep -q "TCP options stripped: TCP header 40 -> 20 bytes on 12 frames" "$tmp/stripped.txt" &&
		[ "$(q stripped .explanation.stage)" = null ] &&
		t_ok "options stripped: covered (data offset), MD5 removed, 23 missing" ||
		t_fail "stripped: $(kinds stripped) / $(verdicts stripped wire) / $(q stripped .explanation.text)"
fi

# a router behind the vNIC: TSO explains the segmentation, not the TTL
pcap_edit "$tmp/copy/wire.pcap" "$tmp/routed.pcap" ttl_dec
if d routed "$tmp/guest.pcap" "$tmp/routed.pcap" --key "$KEY"; then
	[ "$(q routed .explanation.stage)" = tso ] && [ "$(q routed '.unexplained | join(",")')" = ttl ] &&
		grep -q "^not explained by it: TTL rewritten" "$tmp/routed.txt" &&
		t_ok "TSO then a router: tso explains all but the TTL" ||
		t_fail "routed: $(q routed .explanation.text) / $(q routed .unexplained)"
fi

# retransmissions: a super-frame sent twice pairs copy with copy
pcap_edit "$tmp/guest.pcap" "$tmp/retrans.pcap" dup8
"$VNICEMU" replay "$tmp/retrans.pcap" --key "$KEY" --out "$tmp/rt" >/dev/null 2>&1 || t_fail "replay of retrans.pcap"
if d rt "$tmp/rt/guest.pcap" "$tmp/rt/wire.pcap" --key "$KEY"; then
	[ "$(kind rt resegmented guest_frames) $(kind rt resegmented wire_frames)" = "9 54" ] &&
		[ "$(kind rt retransmissions wire_frames)" = "" ] && [ "$(quirks rt)" = "tso.flags=linux tso.ipid=increment tso.md5=copy" ] &&
		t_ok "a retransmitted super-frame: 9 guest frames into 54, paired copy by copy" ||
		t_fail "retransmission: $(kind rt resegmented detail) / $(kinds rt)"
fi
# ...and a wire that carries it once
KEEP_FROM=1 KEEP_TO=63
pcap_edit "$tmp/rt/wire.pcap" "$tmp/once.pcap" keep
if d once "$tmp/rt/guest.pcap" "$tmp/once.pcap" --key "$KEY"; then
	[ "$(kind once retransmissions guest_frames)" = 1 ] && [ "$(kind once missing guest_frames)" = "" ] &&
		[ "$(kind once resegmented guest_frames)" = 8 ] &&
		t_ok "a retransmission the wire carries once: not missing, reported as such" ||
		t_fail "once: $(kinds once) $(kind once retransmissions detail)"
fi

# a SPAN port: the wire carries every frame twice (issue 11 #11): duplicates, not retransmissions,
# and the IPv4 ID rule is still read from the pieces
pcap_edit "$tmp/copy/wire.pcap" "$tmp/doubled.pcap" double
if d doubled "$tmp/copy/guest.pcap" "$tmp/doubled.pcap" --key "$KEY"; then
	[ "$(q doubled '[.flows[].not_compared.wire.duplicates] | add')" = 63 ] &&
		[ "$(kind doubled retransmissions wire_frames)" = "" ] &&
		[ "$(quirks doubled)" = "tso.flags=linux tso.ipid=increment tso.md5=copy" ] &&
		[ "$(q doubled '.unexplained | length')" = 0 ] &&
		grep -q "not compared: 52 wire frames exact copies of another (a SPAN port or a second interface)" "$tmp/doubled.txt" &&
		t_ok "every wire frame twice: 63 duplicates set aside, tso.ipid=increment still read" ||
		t_fail "doubled: $(kinds doubled) / $(quirks doubled) / $(q doubled .unexplained)"
fi
# ...and an exact copy of a guest frame: a duplicate too, never a retransmission
pcap_edit "$tmp/guest.pcap" "$tmp/copy8.pcap" copy8
if d copy8 "$tmp/copy8.pcap" "$tmp/copy/wire.pcap" --key "$KEY"; then
	[ "$(q copy8 '[.flows[].not_compared.guest.duplicates] | add')" = 1 ] &&
		[ "$(kind copy8 retransmissions guest_frames)" = "" ] &&
		[ "$(kind copy8 resegmented guest_frames)" = 8 ] &&
		t_ok "an exact copy of a guest frame: a duplicate, not a retransmission" ||
		t_fail "copy8: $(kinds copy8)"
fi

# Ethernet in the guest, Linux SLL2 on the host (tcpdump -i any): compared from the IP header on
pcap_edit "$tmp/copy/wire.pcap" "$tmp/sll2w.pcap" to_sll2
printf '\x14\x01\x00\x00' | dd of="$tmp/sll2w.pcap" bs=1 seek=20 conv=notrunc status=none
if d sll2w "$tmp/copy/guest.pcap" "$tmp/sll2w.pcap" --key "$KEY"; then
	[ "$(q sll2w .wire.link)" = "Linux SLL2" ] && [ "$(kinds sll2w)" = "$(kinds copy)" ] &&
		[ "$(verdicts sll2w wire)" = "15 48 0" ] && [ "$(quirks sll2w)" = "$(quirks copy)" ] &&
		grep -q "^diff .* Ethernet -> Linux SLL2 (compared from the IP header on)$" "$tmp/sll2w.txt" &&
		t_ok "Ethernet against Linux SLL2: the same differences as Ethernet against Ethernet" ||
		t_fail "sll2: $(kinds sll2w) / $(head -1 "$tmp/sll2w.txt")"
fi

# 6. bad input: one line on stderr naming the file, exit 2
bad() {
	local pat=$1
	shift
	"$VNICEMU" diff "$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	if [ $rc -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -qE -- "$pat" "$tmp/err" &&
		[ ! -s "$tmp/out" ] && ! grep -q "TopSecret" "$tmp/err"; then
		t_ok "bad input: $(cat "$tmp/err")"
	else
		t_fail "bad input ($*): rc $rc, stderr '$(cat "$tmp/err")', stdout $(wc -c <"$tmp/out") bytes"
	fi
}
g=$tmp/copy/guest.pcap
w=$tmp/copy/wire.pcap
cp "$w" "$tmp/sll2.pcap" # Ethernet frames read as SLL2: nothing parses
printf '\x14\x01\x00\x00' | dd of="$tmp/sll2.pcap" bs=1 seek=20 conv=notrunc status=none
"$MKGUESTCAP" "$tmp/v6.pcap" --key "$KEY" --family 6 --updates 2 2>/dev/null
head -c 24 "$w" >"$tmp/empty.pcap"
KEEP_FROM=1 KEEP_TO=7
pcap_edit "$g" "$tmp/start.pcap" keep
KEEP_FROM=8 KEEP_TO=1000000
pcap_edit "$g" "$tmp/end.pcap" keep
printf '192.0.2.1 TopSecret\n192.0.2.x TopSecret\n' >"$tmp/bad.keys"

bad "sll2.pcap holds no TCP segments to compare" "$w" "$tmp/sll2.pcap"
bad "no flow of .*guest.pcap appears in .*v6.pcap" "$g" "$tmp/v6.pcap"
bad "empty.pcap holds no TCP segments" "$g" "$tmp/empty.pcap"
bad "no frame of .*end.pcap matches a frame of .*start.pcap" "$tmp/start.pcap" "$tmp/end.pcap"
bad "/nonexistent.pcap: No such file" "$g" /nonexistent.pcap
bad "/nonexistent.pcap: No such file" /nonexistent.pcap "$w"
bad "bad.keys:2: bad peer address" "$g" "$w" --key-file "$tmp/bad.keys"
bad "exclusive" "$g" "$w" --key TopSecret --key-file "$tmp/bad.keys"
bad "expected two captures" "$g"
bad "unknown option '--frob'" "$g" "$w" --frob
t_done
