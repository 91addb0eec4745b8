#!/usr/bin/env bash
# vnicemu replay end to end: the ESX 3.5 VMXNET2 + BGP MD5 story from a guest capture, checked
# against tcpdump -M on every capture replay writes and read again by tshark; quirks, profiles,
# wire MTU, IPv6, jumbo captures from real kernels; accounting on every run; bad input.
set -uo pipefail
VNICEMU=$1
MKGUESTCAP=$2
DATA=$3
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
KEY=quagga-md5
echo "$KEY" >"$tmp/key.tcpdump"

"$MKGUESTCAP" "$tmp/guest.pcap" --key "$KEY" --updates 8 --update-size 8192 2>/dev/null
"$MKGUESTCAP" "$tmp/guest6.pcap" --key "$KEY" --family 6 --updates 4 --update-size 30000 2>/dev/null

# run NAME ARGS...: replay --json into $tmp/NAME.json; checks accounting of every stage
run() {
	local name=$1
	shift
	if ! "$VNICEMU" replay "$@" --json >"$tmp/$name.json" 2>"$tmp/$name.err"; then
		t_fail "$name: replay failed: $(cat "$tmp/$name.err")"
		return 1
	fi
	local bad
	bad=$(jq -r '.stages[] | select(.frames_in + .created - ([.dropped[]] | add // 0) != .frames_out) | .name' "$tmp/$name.json")
	if [ -n "$bad" ]; then
		t_fail "$name: accounting does not balance in: $bad"
		return 1
	fi
	local chain
	chain=$(jq -r '[.guest.frames] + [.stages[] | .frames_in, .frames_out] + [.wire.frames] | . as $a | [range(1; length - 1; 2)] | map(select($a[.] != $a[. - 1])) | length' "$tmp/$name.json")
	[ "$chain" = 0 ] || t_fail "$name: frames lost between stages"
	return 0
}
q() { jq -r "$2" "$tmp/$1.json"; }

# tcpdump_count FILE: "VALID INVALID" as tcpdump -M sees them
tcpdump_count() {
	local out
	out=$(tcpdump -M "$KEY" -r "$1" -nn -v 2>/dev/null)
	echo "$(grep -c 'md5 valid' <<<"$out") $(grep -c 'md5  (invalid)' <<<"$out")"
}

# tshark_reads NAME: tshark, a second reader written by other people, opens every capture the
# replay NAME wrote: each tap's pcap holds the frames its JSON counts, and every frame of
# annotated.pcapng carries a verdict comment (frame.comment in tshark 4.0; pkt_comment is the
# protocol) that adds up to the JSON's counts per interface and agrees, frame by frame, with
# vnicemu verify --list on the same file.
tshark_reads() {
	local name=$1 dir=$tmp/$1 tap want got n
	if ! command -v tshark >/dev/null; then
		t_fail "tshark is not installed (tools/deps installs it)"
		return
	fi
	for tap in guest $(q "$name" '.stages[].name') wire; do
		want=$(q "$name" "if \"$tap\" == \"guest\" then .guest.frames elif \"$tap\" == \"wire\" then .wire.frames else (.stages[] | select(.name == \"$tap\") | .frames_out) end")
		if tshark -r "$dir/$tap.pcap" -T fields -e frame.number >"$tmp/ts.out" 2>"$tmp/ts.err" &&
			[ "$(wc -l <"$tmp/ts.out")" = "$want" ]; then
			t_ok "$name: tshark reads $tap.pcap, $want frames as the JSON says"
		else
			t_fail "$name: tshark on $tap.pcap: $(wc -l <"$tmp/ts.out") frames, JSON $want; $(grep -v 'Running as user' "$tmp/ts.err")"
		fi
	done
	# "INTERFACE VERDICT" per frame from the comments; "NUMBER VERDICT" for the comparison
	if ! tshark -r "$dir/annotated.pcapng" -T fields -e frame.number -e frame.interface_name \
		-e frame.comment >"$tmp/ts.ann" 2>"$tmp/ts.err"; then
		t_fail "$name: tshark cannot read annotated.pcapng: $(grep -v 'Running as user' "$tmp/ts.err")"
		return
	fi
	n=$(($(q "$name" .guest.frames) + $(q "$name" .wire.frames)))
	sed -E 's/^([0-9]+)\t([a-z]+)\tguest frame [0-9]+( segment [0-9]+\/[0-9]+)?: (md5 )?([a-z]+).*$/\1 \2 \5/' \
		"$tmp/ts.ann" >"$tmp/ts.verdicts"
	if [ "$(wc -l <"$tmp/ts.ann")" = "$n" ] && ! grep -qv '^[0-9]* [a-z]* [a-z]*$' "$tmp/ts.verdicts"; then
		t_ok "$name: tshark shows a verdict comment on each of the $n frames of annotated.pcapng"
	else
		t_fail "$name: annotated.pcapng: $(wc -l <"$tmp/ts.ann") frames (want $n), without a verdict: $(grep -v '^[0-9]* [a-z]* [a-z]*$' "$tmp/ts.verdicts" | head -2)"
	fi
	for side in guest wire; do
		want=$(q "$name" ".$side.md5 | to_entries[] | select(.value > 0) | \"\\(.key) \\(.value)\"" | sort | paste -sd, | sed "s/,/, /g")
		got=$(awk -v s=$side '$2 == s { n[$3]++ } END { for (v in n) print v, n[v] }' "$tmp/ts.verdicts" | sort | paste -sd, | sed "s/,/, /g")
		[ "$got" = "$want" ] && t_ok "$name: tshark's $side comments: $got, as the JSON counts" ||
			t_fail "$name: tshark's $side comments: '$got', JSON '$want'"
	done
	"$VNICEMU" verify "$dir/annotated.pcapng" --key "$KEY" --list | awk '{ print $1, $2 }' >"$tmp/vl"
	if cmp -s <(awk '{ print $1, $3 }' "$tmp/ts.verdicts") "$tmp/vl"; then
		t_ok "$name: every comment tshark shows equals vnicemu verify --list's verdict for that frame"
	else
		t_fail "$name: comments vs verify --list: $(diff <(awk '{ print $1, $3 }' "$tmp/ts.verdicts") "$tmp/vl" | head -4 | paste -sd' ')"
	fi
}

# 1. The ESX 3.5 report: vmxnet2 segments signed super-frames, tso is the culprit.
run esx "$tmp/guest.pcap" --profile vmxnet2 --key "$KEY" --out "$tmp/esx"
if [ "$(q esx .culprit)" = tso ] && [ "$(q esx '.guest.md5.valid')" = 23 ] &&
	[ "$(q esx '.wire.md5.invalid')" = 48 ] &&
	q esx '.stages[] | select(.name == "tso") | .why.changed' | grep -q "pseudo-header length"; then
	t_ok "vmxnet2: culprit tso, 48 segments of 8 signed super-frames invalid: $(q esx '.stages[1].why.changed')"
else
	t_fail "vmxnet2: $(cat "$tmp/esx.json")"
fi
# tcpdump -M agrees with every tap, count for count and frame by frame
for tap in guest sg tso tx-csum wire; do
	want="$(q esx "if \"$tap\" == \"guest\" then .guest.md5 elif \"$tap\" == \"wire\" then .wire.md5 else (.stages[] | select(.name == \"$tap\") | .md5) end | \"\(.valid) \(.invalid)\"")"
	got=$(tcpdump_count "$tmp/esx/$tap.pcap")
	if [ "$want" = "$got" ]; then
		t_ok "$tap.pcap: tcpdump -M valid/invalid = $got, as the $tap tap said"
	else
		t_fail "$tap.pcap: tcpdump -M says $got, the tap said $want"
	fi
	bash "$here/verify_vs_tcpdump.sh" "$VNICEMU" "$tmp/esx/$tap.pcap" "$tmp/key.tcpdump" >"$tmp/cmp" 2>&1 &&
		t_ok "$tap.pcap frame by frame: $(tail -1 "$tmp/cmp")" || t_fail "$tap.pcap: $(tail -3 "$tmp/cmp")"
done
n=$("$VNICEMU" verify "$tmp/esx/annotated.pcapng" --key "$KEY" --json | jq '.frames')
[ "$n" = $((23 + 63)) ] && t_ok "annotated.pcapng holds guest and wire frames ($n)" ||
	t_fail "annotated.pcapng: $n frames"
grep -aq "segment 1/6: md5 invalid (copied digest over changed bytes)" "$tmp/esx/annotated.pcapng" &&
	t_ok "annotated.pcapng carries verdict comments" || t_fail "no verdict comments"
grep -aq "$KEY" "$tmp/esx.json" "$tmp/esx.err" && t_fail "the secret appears in the output"
tshark_reads esx

# 2. resign: TSO need not break RFC 2385
run resign "$tmp/guest.pcap" --key "$KEY" --set tso.md5=resign --out "$tmp/resign"
got=$(tcpdump_count "$tmp/resign/wire.pcap")
[ "$(q resign .culprit)" = null ] && [ "$got" = "63 0" ] &&
	t_ok "tso.md5=resign: culprit none; tcpdump -M: all 63 wire frames valid" ||
	t_fail "resign: culprit $(q resign .culprit), tcpdump $got"
tshark_reads resign

# 3. strip: segments lose the option: missing
run strip "$tmp/guest.pcap" --key "$KEY" --set tso.md5=strip
[ "$(q strip .wire.md5.missing)" = 48 ] && [ "$(q strip .culprit)" = tso ] &&
	t_ok "tso.md5=strip: 48 missing" || t_fail "strip: $(q strip .wire.md5)"

# 4. Full verification recomputes what the default infers, with the same verdicts
run full "$tmp/guest.pcap" --key "$KEY" --full-verify
[ "$(q full .wire.md5)" = "$(q esx .wire.md5)" ] && t_ok "--full-verify agrees with inference" ||
	t_fail "--full-verify: $(q full .wire.md5) vs $(q esx .wire.md5)"

# 5. What the guest-side toggles do: sg off turns TSO off, and a NIC without TSO cannot
#    send a super-frame (the guest stack would have segmented it itself)
for args in "--set sg=off" "--set tso=off" "--set tx=off" "--profile vmxnet" "--profile none"; do
	name=$(tr -c 'a-z0-9' '_' <<<"$args")
	# shellcheck disable=SC2086
	run "$name" "$tmp/guest.pcap" --key "$KEY" $args
	drops=$(q "$name" '.stages[] | select(.name == "tso") | .dropped.oversize // 0')
	[ "$(q "$name" .culprit)" = null ] && [ "$drops" = 8 ] && [ "$(q "$name" .wire.md5.invalid)" = 0 ] &&
		t_ok "$args: tso off, 8 super-frames dropped as oversize, no invalid digest" ||
		t_fail "$args: culprit $(q "$name" .culprit), oversize drops $drops"
done

# 6. Flags and ID quirks change covered fields differently but tso stays the culprit
for fl in qemu copy e1000; do
	run "fl_$fl" "$tmp/guest.pcap" --key "$KEY" --set tso.flags=$fl
	[ "$(q "fl_$fl" .culprit)" = tso ] && t_ok "tso.flags=$fl: culprit tso" || t_fail "tso.flags=$fl"
done

# 7. IPv6 guest, vmxnet3
run v6 "$tmp/guest6.pcap" --profile vmxnet3 --key "$KEY" --out "$tmp/v6"
[ "$(q v6 .culprit)" = tso ] && [ "$(q v6 .wire.md5.valid)" -gt 0 ] &&
	t_ok "IPv6 through vmxnet3: culprit tso ($(q v6 .wire.md5.invalid) invalid)" || t_fail "IPv6: $(cat "$tmp/v6.json")"
bash "$here/verify_vs_tcpdump.sh" "$VNICEMU" "$tmp/v6/wire.pcap" "$tmp/key.tcpdump" >"$tmp/cmp" 2>&1 &&
	t_ok "IPv6 wire.pcap frame by frame: $(tail -1 "$tmp/cmp")" || t_fail "IPv6 wire: $(tail -3 "$tmp/cmp")"
tshark_reads v6

# 8. Real kernels with jumbo MTU (modern Linux: signed segments up to 8980 bytes)
run jumbo "$DATA/eth.pcap" --key-file "$DATA/keys"
run jumbo9000 "$DATA/eth.pcap" --key-file "$DATA/keys" --wire-mtu 9000
[ "$(q jumbo .culprit)" = tso ] && [ "$(q jumbo9000 .culprit)" = null ] &&
	[ "$(q jumbo9000 '.stages[] | select(.name == "tso") | .created')" = 0 ] &&
	t_ok "real-kernel jumbo capture: tso culprit at wire MTU 1500, clean at 9000" ||
	t_fail "jumbo: $(q jumbo .culprit) / $(q jumbo9000 .culprit)"
run sll2 "$DATA/sll2.pcap" --key-file "$DATA/keys"
[ "$(q sll2 .culprit)" = tso ] && t_ok "Linux SLL2 capture replays (culprit tso)" || t_fail "sll2"

# 9. Bad input: one line, exit 2, nothing written
bad() {
	local pat=$1
	shift
	rm -rf "$tmp/never"
	"$VNICEMU" replay "$tmp/guest.pcap" "$@" --out "$tmp/never" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	if [ $rc -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -qE -- "$pat" "$tmp/err" &&
		[ ! -e "$tmp/never" ] && ! grep -q "$KEY" "$tmp/err"; then
		t_ok "bad input ($*): $(cat "$tmp/err")"
	else
		t_fail "bad input ($*): rc $rc, $(cat "$tmp/err"), out dir exists: $([ -e "$tmp/never" ] && echo yes)"
	fi
}
bad "unknown profile 'vmxnet4'" --profile vmxnet4
bad "unknown feature 'gso'" --set gso=on
bad "expected on or off" --set tso=maybe
bad "tcp-segmentation-offload is \[fixed\] off in profile vmxnet" --profile vmxnet --set tso=on
bad "unknown parameter 'tso.mode'" --set tso.mode=x
bad "bad value 'bsd' for tso.flags" --set tso.flags=bsd
bad "unknown stage parameter 'gro.x'" --set gro.x=1
bad "tso.md5=resign needs a key" --set tso.md5=resign
bad "--wire-mtu 100: expected 576..65535" --wire-mtu 100
bad "exclusive" --key a --key-file /dev/null
t_done
