#!/usr/bin/env bash
# Capture input against outside readers (issue 11, items 9 and 23):
# * pcapng files libpcap 1.10 refuses and tshark reads (interfaces of two link types; a second
#   section in the other byte order), made by tests/support/mkpcapng.py from the kernel
#   captures: emu_capin (through tests/support/capdump) reads the same frames as tshark, frame
#   by frame (count, timestamps to the nanosecond, captured and original lengths), and
#   `vnicemu verify` gives the verdicts of the two source captures added up; from a pipe too.
# * a capture cut inside its last record (classic pcap in the data and in the record header,
#   pcapng): the same frames as tcpdump reads before the cut, and tcpdump's words in the
#   warning; exit 0, and 2 with --strict; verify, replay and diff --json carry "truncated".
# * malformed pcapng: exit 2, one line naming the file and the frame and byte.
# usage: capture_formats.sh VNICEMU CAPDUMP SOURCE_TESTS_DIR
set -uo pipefail
VNICEMU=$1 CAPDUMP=$2 TESTS=$3
. "$TESTS/integration/lib.sh"
for t in tshark tcpdump python3; do
	command -v $t >/dev/null || { echo "SKIP: $t missing"; exit 77; }
done
K=$TESTS/data/kernel
mk() { python3 "$TESTS/support/mkpcapng.py" "$@"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1

# ---- pcapng that libpcap refuses, against tshark ----
mk two-links links.pcapng "$K/eth.pcap" "$K/sll.pcap"
mk two-orders orders.pcapng "$K/eth.pcap" "$K/sll2.pcap"
for f in links.pcapng orders.pcapng; do
	"$CAPDUMP" $f >ours.all 2>err || t_fail "$f: capdump: $(cat err)"
	cut -f1-4 ours.all >ours
	tshark -r $f -T fields -e frame.number -e frame.time_epoch -e frame.cap_len -e frame.len \
		2>/dev/null >theirs
	if [ -s theirs ] && cmp -s ours theirs; then
		t_ok "$f: the same $(wc -l <ours) frames as tshark (time, caplen, len)"
	else
		t_fail "$f: differs from tshark: $(diff ours theirs | head -5)"
	fi
done
# each frame carries its interface's link type: as many of each as the sources hold
n_eth=$(tshark -r "$K/eth.pcap" 2>/dev/null | wc -l)
n_sll=$(tshark -r "$K/sll.pcap" 2>/dev/null | wc -l)
n_sll2=$(tshark -r "$K/sll2.pcap" 2>/dev/null | wc -l)
got=$("$CAPDUMP" links.pcapng | cut -f5 | sort -n | uniq -c | awk '{printf "%s:%s ", $2, $1}')
[ "$got" = "1:$n_eth 113:$n_sll " ] && t_ok "links.pcapng: link types $got" ||
	t_fail "links.pcapng: link types '$got', want '1:$n_eth 113:$n_sll '"
got=$("$CAPDUMP" orders.pcapng | cut -f5 | sort -n | uniq -c | awk '{printf "%s:%s ", $2, $1}')
[ "$got" = "1:$n_eth 276:$n_sll2 " ] && t_ok "orders.pcapng: link types $got" ||
	t_fail "orders.pcapng: link types '$got', want '1:$n_eth 276:$n_sll2 '"

# verify: the verdicts of the two sources added up (md5 and ao counts of the JSON)
counts() { "$VNICEMU" verify "$@" --key-file "$K/keys" --json | python3 -c '
import json, sys
j = json.load(sys.stdin)
print(j["frames"], *j["md5"].values(), j["malformed"], j["other"])'; }
sum() { paste -d' ' <(counts "$1") <(counts "$2") | awk '{n = NF / 2; for (i = 1; i <= n; i++) printf "%s%d", (i > 1 ? " " : ""), $i + $(i + n); print ""}'; }
for pair in "links.pcapng $K/eth.pcap $K/sll.pcap" "orders.pcapng $K/eth.pcap $K/sll2.pcap"; do
	set -- $pair
	want=$(sum "$2" "$3") got=$(counts "$1")
	[ -n "$got" ] && [ "$got" = "$want" ] && t_ok "verify $1: $got (the sources' sum)" ||
		t_fail "verify $1: '$got', want '$want'"
	got=$(cat "$1" | "$VNICEMU" verify - --key-file "$K/keys" --json | python3 -c '
import json, sys
j = json.load(sys.stdin)
print(j["frames"], *j["md5"].values(), j["malformed"], j["other"])')
	[ -n "$got" ] && [ "$got" = "$want" ] && t_ok "verify - <$1 (a pipe): the same" || t_fail "verify - <$1: '$got'"
done
"$VNICEMU" verify links.pcapng --key-file "$K/keys" >text
grep -q "frames (Ethernet, Linux SLL)" text && t_ok "verify names both link types" ||
	t_fail "verify text: $(head -1 text)"
# replay needs one link type: refused at the first frame of the second, naming it
"$VNICEMU" replay links.pcapng --key-file "$K/keys" >/dev/null 2>err
rc=$? first_sll=$("$CAPDUMP" links.pcapng | awk '$5 == 113 {print $1; exit}')
[ $rc -eq 2 ] && [ "$(wc -l <err)" -eq 1 ] && grep -q "links.pcapng: frame $first_sll: link type Linux SLL" err &&
	t_ok "replay of two link types: $(cat err)" || t_fail "replay of two link types: $rc $(cat err)"

# ---- a cut last record, against tcpdump ----
last=$(tshark -r "$K/eth.pcap" -T fields -e frame.cap_len 2>/dev/null | tail -1)
mk cut "$K/eth.pcap" cut-data.pcap 10
mk cut "$K/eth.pcap" cut-header.pcap $((last + 6))
editcap -F pcapng "$K/eth.pcap" eth.pcapng
mk cut eth.pcapng cut.pcapng 10
for f in cut-data.pcap cut-header.pcap cut.pcapng; do
	frames=$(tcpdump -nr $f 2>/dev/null | wc -l)
	words=$(tcpdump -nr $f 2>&1 >/dev/null | sed -n 's/^tcpdump: pcap_loop: //p')
	"$VNICEMU" verify $f --key-file "$K/keys" --json >out 2>err
	rc=$?
	got=$(python3 -c 'import json,sys; j=json.load(open("out")); print(j["frames"], j["truncated"]["frame"])' 2>/dev/null)
	if [ $rc -eq 0 ] && [ -n "$words" ] && [ "$(wc -l <err)" -eq 1 ] &&
		grep -qF "warning: $f: " err && grep -qF "$words" err &&
		[ "$got" = "$frames $((frames + 1))" ]; then
		t_ok "verify $f: $frames frames as tcpdump, then: $(cat err)"
	else
		t_fail "verify $f: exit $rc, frames/cut '$got' (tcpdump $frames, '$words'): $(cat err)"
	fi
	"$VNICEMU" verify $f --key-file "$K/keys" --strict >out 2>err
	rc=$?
	[ $rc -eq 2 ] && [ "$(wc -l <err)" -eq 1 ] && ! grep -q warning err && grep -q "frames" out &&
		t_ok "verify --strict $f: exit 2 after the results" || t_fail "verify --strict $f: $rc $(cat err)"
done
# the offset is where the cut record starts: the file up to it reads whole
off=$("$VNICEMU" verify cut-data.pcap --json 2>/dev/null |
	python3 -c 'import json, sys; print(json.load(sys.stdin)["truncated"]["offset"])')
head -c "$off" cut-data.pcap >whole.pcap
"$VNICEMU" verify whole.pcap >/dev/null 2>err && [ ! -s err ] && t_ok "cut at byte $off: what precedes it is whole" ||
	t_fail "cut at byte $off: $(cat err)"
# replay and diff carry it too, and fail with --strict
"$VNICEMU" replay cut-data.pcap --key-file "$K/keys" --json >out 2>err
rc=$?
grep -q "\"truncated\": {\"offset\": $off," out && [ $rc -eq 0 ] && grep -q "warning: cut-data.pcap" err &&
	t_ok "replay --json: truncated at $off" || t_fail "replay: $rc $(cat err) $(tail -c 300 out)"
"$VNICEMU" replay cut-data.pcap --key-file "$K/keys" --strict >/dev/null 2>err
[ $? -eq 2 ] && t_ok "replay --strict: exit 2" || t_fail "replay --strict: $(cat err)"
"$VNICEMU" diff "$K/eth.pcap" cut-data.pcap --key-file "$K/keys" --json >out 2>err
rc=$?
python3 -c 'import json; j = json.load(open("out")); assert j["wire"]["truncated"]["offset"] == '"$off"'; assert "truncated" not in j["guest"]' 2>/dev/null &&
	[ $rc -eq 0 ] && grep -q "warning: cut-data.pcap" err && t_ok "diff --json: the wire side truncated at $off" ||
	t_fail "diff: $rc $(cat err)"
"$VNICEMU" diff "$K/eth.pcap" cut-data.pcap --key-file "$K/keys" --strict >/dev/null 2>err
[ $? -eq 2 ] && t_ok "diff --strict: exit 2" || t_fail "diff --strict: $(cat err)"
# a whole capture says nothing of the kind
"$VNICEMU" verify "$K/eth.pcap" --json --strict >out 2>err
[ $? -eq 0 ] && [ ! -s err ] && ! grep -q truncated out && t_ok "a whole capture: no warning" ||
	t_fail "whole capture: $(cat err)"

# ---- malformed pcapng: one line naming the file, frame and byte; exit 2 ----
python3 - <<'EOF'
import struct
d = open("links.pcapng", "rb").read()
def put(name, data):
    open(name, "wb").write(data)
def at(i):  # offset of block i
    o = 0
    for _ in range(i):
        o += struct.unpack("<I", d[o + 4:o + 8])[0]
    return o
o = at(3)  # the first packet block
n = struct.unpack("<I", d[o + 4:o + 8])[0]
put("bad-trailer.pcapng", d[:o + n - 4] + struct.pack("<I", n + 4) + d[o + n:])
put("bad-length.pcapng", d[:o + 4] + struct.pack("<I", n + 2) + d[o + 8:])
put("bad-iface.pcapng", d[:o + 8] + struct.pack("<I", 7) + d[o + 12:])
put("bad-bom.pcapng", d[:8] + struct.pack("<I", 0x11223344) + d[12:])
put("bad-caplen.pcapng", d[:o + 20] + struct.pack("<I", 100000) + d[o + 24:])
EOF
for f in bad-trailer bad-length bad-iface bad-caplen; do
	"$VNICEMU" verify $f.pcapng >/dev/null 2>err
	rc=$?
	[ $rc -eq 2 ] && [ "$(wc -l <err)" -eq 1 ] && grep -q "$f.pcapng: frame 1: .*byte 92" err &&
		t_ok "$f: $(cat err)" || t_fail "$f: exit $rc: $(cat err)"
done
"$VNICEMU" verify bad-bom.pcapng >/dev/null 2>err
[ $? -eq 2 ] && [ "$(wc -l <err)" -eq 1 ] && grep -q "bad-bom.pcapng: .*byte 0.*byte-order" err &&
	t_ok "bad-bom: $(cat err)" || t_fail "bad-bom: $(cat err)"
t_done
