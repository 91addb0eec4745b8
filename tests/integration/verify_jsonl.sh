#!/usr/bin/env bash
# `vnicemu verify --json --list` (issue 11 item 20): JSON lines, one object per --list line,
# then the summary object as the last line. Every line must parse (python3's json module is the
# outside reader), each frame object must say what the text --list line says of the same frame
# (rebuilt from the object and compared), the last line must be the --json summary, and the
# output must not depend on the thread count. On captures with every kind of line: RFC 2385
# verdicts from real kernels (IPv4 and IPv6), TCP-AO lines, unchecked (snaplen) and malformed
# frames (headers cut), frames whose headers hold no address.
#
#   verify_jsonl.sh VNICEMU PCAPTOOL SCENARIOS KERNEL_DATA
set -uo pipefail
abs() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
VNICEMU=$(abs "$1") tool=$(abs "$2") scen=$(abs "$3") kern=$(abs "$4")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 2

python3 "$tool" snaplen "$scen/esx35-vmxnet2-quagga.pcap" c96.pcap 96
python3 "$tool" snaplen "$kern/eth.pcap" c30.pcap 30

# check NAME CAPTURE KEY-ARGS...: the JSON lines against the text lines and the summary
check() {
	local name=$1 cap=$2
	shift 2
	"$VNICEMU" verify "$cap" "$@" --list --json --jobs 1 >"$name.jsonl" 2>"$name.err"
	local rc=$?
	"$VNICEMU" verify "$cap" "$@" --list --jobs 1 >"$name.list" 2>/dev/null
	"$VNICEMU" verify "$cap" "$@" --json --jobs 1 >"$name.json" 2>/dev/null
	"$VNICEMU" verify "$cap" "$@" --list --json --jobs 4 >"$name.jsonl4" 2>/dev/null
	if [ $rc -ne 0 ] || [ -s "$name.err" ]; then
		t_fail "$name: rc $rc, $(cat "$name.err")"
		return
	fi
	if out=$(python3 - "$name.jsonl" "$name.list" "$name.json" 2>&1 <<'PY'
import json, sys
lines = open(sys.argv[1]).read().split("\n")
assert lines[-1] == "", "the output does not end in a newline"
lines = lines[:-1]
objs = []
for n, l in enumerate(lines, 1):
    try:
        objs.append(json.loads(l))
    except ValueError as e:
        sys.exit(f"line {n} is not JSON ({e}): {l[:120]}")
summary, frames = objs[-1], objs[:-1]
want = json.loads(open(sys.argv[3]).read())
if summary != want:
    sys.exit(f"the last line is not the --json summary: {lines[-1][:200]}")
text = open(sys.argv[2]).read().splitlines()
if len(text) != len(frames):
    sys.exit(f"{len(frames)} frame objects, {len(text)} --list lines")
keys = ["frame", "scheme", "verdict", "src", "sport", "dst", "dport", "reason"]
schemes = {}
for o, t in zip(frames, text):
    if sorted(o) != sorted(keys) or "frames" in o:
        sys.exit(f"unexpected keys: {o}")
    if o["scheme"] not in ("md5", "ao", "both") or (o["scheme"] == "both") != (o["verdict"] == "malformed"):
        sys.exit(f"bad scheme: {o}")
    peer = lambda a, p: "?" if a is None else f"{a}.{p}"
    r = ("ao " if o["scheme"] == "ao" else "") + o["verdict"]
    r = f'{o["frame"]} {r} {peer(o["src"], o["sport"])} > {peer(o["dst"], o["dport"])}'
    if o["reason"] is not None:
        r += f' ({o["reason"]})'
    if r != t:
        sys.exit(f"object {o} says '{r}', --list says '{t}'")
    key = o["scheme"] + ":" + o["verdict"] + ("" if o["src"] is None else "" if ":" not in o["src"] else "/v6")
    schemes[key] = schemes.get(key, 0) + 1
print(len(lines), "lines,", " ".join(f"{k}={v}" for k, v in sorted(schemes.items())))
PY
	); then
		if cmp -s "$name.jsonl" "$name.jsonl4"; then
			t_ok "$name: $out; the same with --jobs 4"
		else
			t_fail "$name: --jobs 4 differs from --jobs 1"
		fi
	else
		t_fail "$name: $out"
	fi
}
check kernel "$kern/eth.pcap" --key-file "$kern/keys"
check sll2 "$kern/sll2.pcap" --key-file "$kern/keys"
check ao "$scen/ao-vmxnet2-bgp.pcap" --key-file "$scen/ao-bgp.keys"
check snaplen96 c96.pcap --key quagga-md5
check nokey "$scen/esx35-vmxnet2-quagga.pcap"
check cut30 c30.pcap --key-file "$kern/keys"

# what each kind of line looks like, so the docs' examples stay true
grep -q '"scheme": "ao", "verdict": "valid"' ao.jsonl && t_ok "TCP-AO lines carry scheme ao" ||
	t_fail "no TCP-AO line: $(head -2 ao.jsonl)"
grep -q '"verdict": "unchecked", .*"reason": "snaplen"}' snaplen96.jsonl &&
	t_ok "unchecked lines carry their reason" || t_fail "no unchecked line: $(head -3 snaplen96.jsonl)"
grep -q '"scheme": "both", "verdict": "malformed", "src": null, "sport": null, "dst": null, "dport": null, "reason": "[a-z-]*"}' cut30.jsonl &&
	t_ok "a frame cut inside its IP header: malformed, both schemes, null addresses" ||
	t_fail "cut30: $(head -3 cut30.jsonl)"
grep -q '"src": "2001:db8:' kernel.jsonl && t_ok "IPv6 addresses as JSON strings" ||
	t_fail "no IPv6 line in kernel.jsonl"
t_done
