#!/usr/bin/env bash
# --report FILE.html in a real browser: every shipped scenario's replay page, and a diff's, loaded
# by headless Chromium; the DOM it built holds the culprit and the counts --json prints
# (report_dom.py). The page fetches nothing and runs nothing, masks --key secrets, escapes
# names from input, stays small for a long capture with many flows, and is never written over
# an input or left half-written.
#
#   report.sh VNICEMU GENCAP SCENARIOS_DIR
#
# Skipped (exit 77) only when chromium is not installed, and only outside CI (CI installs it
# with tools/deps); the checks that need no browser run first either way.
set -uo pipefail

VNICEMU=$(realpath "$1") GENCAP=$(realpath "$2") SCENARIOS=$(realpath "$3")
here=$(dirname "$(realpath "$0")")
. "$here/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# CHROMIUM= (empty) stands for a machine without it
browser=${CHROMIUM-$(command -v chromium || true)}
# chromium refuses to run as root without --no-sandbox
sandbox=()
[ "$(id -u)" -eq 0 ] && sandbox=(--no-sandbox)

# dom FILE.html OUT: the DOM headless Chromium built from the page, offline
dom() {
	timeout 120 "$browser" --headless "${sandbox[@]}" --disable-gpu --no-first-run \
		--user-data-dir="$tmp/chromium" --dump-dom "file://$1" >"$2" 2>"$tmp/chromium.err"
}

# scenario_args FILE.ini: the replay options of a scenario's [scenario] section, one a line
scenario_args() {
	awk '
		/^\[/ { sec = $0; next }
		sec != "[scenario]" || !/=/ || /^[ \t]*#/ { next }
		{
			k = $0; sub(/[ \t]*=.*/, "", k)
			v = $0; sub(/^[^=]*=[ \t]*/, "", v); sub(/[ \t]+$/, "", v)
		}
		k == "capture" { print v }
		k == "key-file" || k == "profile" || k == "path" || k == "set" || k == "wire-mtu" {
			print "--" k; print v
		}
	' "$1"
}

# ---- without a browser ----

cd "$SCENARIOS" || exit 1
secret=$(awk '!/^#/ && NF == 2 { print $2; exit }' esx35.keys)
"$VNICEMU" replay esx35-vmxnet2-quagga.pcap --key "$secret" --report "$tmp/key.html" >/dev/null &&
	"$VNICEMU" replay esx35-vmxnet2-quagga.pcap --key="$secret" --report "$tmp/key2.html" >/dev/null &&
	"$VNICEMU" replay esx35-vmxnet2-quagga.pcap --key "hex:$(printf %s "$secret" | xxd -p)" \
		--report "$tmp/key3.html" >/dev/null
rc=$?
hex=$(printf %s "$secret" | xxd -p)
if [ $rc -eq 0 ] && ! grep -qF -e "$secret" -e "$hex" "$tmp"/key*.html &&
	grep -q 'data-culprit="tso"' "$tmp/key.html" && grep -q 'data-culprit="tso"' "$tmp/key2.html" &&
	grep -q -- '--key <i>(secret)</i>' "$tmp/key.html" && grep -q -- '--key=<i>(secret)</i>' "$tmp/key2.html"; then
	t_ok "--key secrets (plain, --key=, hex:...) never on the page; the key still worked"
else
	t_fail "--key secret on the page, or the run failed (rc $rc)"
fi

cp esx35-vmxnet2-quagga.pcap "$tmp/in.pcap"
sum=$(sha256sum <"$tmp/in.pcap")
"$VNICEMU" replay "$tmp/in.pcap" --key-file esx35.keys --report "$tmp/in.pcap" >/dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] && grep -q -- "--report $tmp/in.pcap: is an input" "$tmp/err" &&
	[ "$(sha256sum <"$tmp/in.pcap")" = "$sum" ] &&
	t_ok "replay --report over the capture: refused, the capture intact" ||
	t_fail "replay --report over the capture: rc $rc, $(cat "$tmp/err")"
ln -s "$tmp/in.pcap" "$tmp/link.pcap"
"$VNICEMU" diff esx35-vmxnet2-quagga.pcap "$tmp/in.pcap" --report "$tmp/link.pcap" >/dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] && grep -q "is an input" "$tmp/err" && [ "$(sha256sum <"$tmp/in.pcap")" = "$sum" ] &&
	t_ok "diff --report over an input (another name for it): refused" ||
	t_fail "diff --report over an input: rc $rc, $(cat "$tmp/err")"
cp esx35.keys "$tmp/k.keys" && chmod 600 "$tmp/k.keys"
ksum=$(sha256sum <"$tmp/k.keys")
for cmd in "replay $tmp/in.pcap" "diff $tmp/in.pcap $tmp/in.pcap"; do
	# shellcheck disable=SC2086 # the command and its captures, split on purpose
	"$VNICEMU" $cmd --key-file "$tmp/k.keys" --report "$tmp/k.keys" >/dev/null 2>"$tmp/err"
	rc=$?
	[ $rc -eq 2 ] && grep -q -- "--report $tmp/k.keys: is an input" "$tmp/err" &&
		[ "$(sha256sum <"$tmp/k.keys")" = "$ksum" ] &&
		t_ok "${cmd%% *} --report over the key file: refused, the keys intact" ||
		t_fail "${cmd%% *} --report over the key file: rc $rc, $(cat "$tmp/err")"
done
"$VNICEMU" replay esx35-vmxnet2-quagga.pcap --key-file esx35.keys --report "$tmp/nodir/r.html" \
	>/dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q -- "--report $tmp/nodir/r.html: cannot create" "$tmp/err" &&
	t_ok "a report that cannot be written: exit 2, one line naming it" ||
	t_fail "unwritable report: rc $rc, $(cat "$tmp/err")"
if [ "$(id -u)" -ne 0 ]; then
	mkdir "$tmp/ro" && chmod 555 "$tmp/ro"
	"$VNICEMU" replay esx35-vmxnet2-quagga.pcap --report "$tmp/ro/r.html" >/dev/null 2>&1
	[ $? -eq 2 ] && [ -z "$(ls -A "$tmp/ro")" ] && t_ok "read-only directory: nothing left" ||
		t_fail "read-only directory: $(ls -A "$tmp/ro")"
fi
# a write that fails (a file size limit, as a full disk would): exit 2, one line naming the
# page, nothing left at its name, not even the temporary file
mkdir "$tmp/full"
(
	trap '' XFSZ
	ulimit -f 8
	exec "$VNICEMU" replay esx35-vmxnet2-quagga.pcap --key-file esx35.keys --report "$tmp/full/r.html"
) >/dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] && [ -z "$(ls -A "$tmp/full")" ] && grep -q -- "$tmp/full/r.html: cannot write: File too large" "$tmp/err" &&
	t_ok "a page whose write fails: exit 2, nothing left" ||
	t_fail "failed write: rc $rc, left: $(ls -A "$tmp/full"), $(cat "$tmp/err")"

# names from input are escaped: a capture named like markup is text on the page
evil="$tmp/a<b>x&y\"z'.pcap"
cp esx35-vmxnet2-quagga.pcap "$evil"
"$VNICEMU" replay "$evil" --key-file esx35.keys --report "$tmp/evil.html" --set 'tso.md5=copy' >/dev/null
grep -qF 'a&lt;b&gt;x&amp;y&quot;z&#39;.pcap' "$tmp/evil.html" && ! grep -qF '<b>x&' "$tmp/evil.html" &&
	t_ok "a capture named like markup: escaped" || t_fail "markup in a name: not escaped"

# long captures: a bounded page. 3000 TSO super-frames of 20000 bytes through a 576-byte wire
# and three path elements: 117,000 segments at each of seven taps (a second pass for the
# ladder, whose cells are cut at 32 segments and its rows at 40 frames)...
"$GENCAP" "$tmp/long.pcap" --frames 3000 --payload 20000 --key bench-key >/dev/null &&
	echo '* bench-key' >"$tmp/bench.keys" &&
	"$VNICEMU" replay "$tmp/long.pcap" --key-file "$tmp/bench.keys" --path asa,shaper,mss-clamp \
		--wire-mtu 576 --json --report "$tmp/long.html" >"$tmp/long.json"
rc=$?
size=$(stat -c %s "$tmp/long.html" 2>/dev/null || echo 0)
[ $rc -eq 0 ] && [ "$size" -gt 0 ] && [ "$size" -lt 3000000 ] && jq -e '.culprit == "tso"' "$tmp/long.json" >/dev/null &&
	grep -q 'later frames of this flow are not shown' "$tmp/long.html" && grep -qE ' [+][0-9]+ more' "$tmp/long.html" &&
	t_ok "3000 super-frames, 117000 segments a tap: page of $size bytes, ladder cut" ||
	t_fail "long capture: rc $rc, $size bytes"
# ...and 3000 flows (unsigned frames written here): the first 64 one by one, the rest together
python3 - "$tmp/flows.pcap" <<'EOF'
import struct, sys
out = open(sys.argv[1], "wb")
out.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
def frame(n, sport, seq, flags):
    tcp = struct.pack("!HHIIBBHHH", sport, 179, seq, 0, 5 << 4, flags, 65535, 0, 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), n & 0xffff, 0, 64, 6, 0,
                     bytes([192, 0, 2, 10]), bytes([192, 0, 2, 1]))
    eth = b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00"
    p = eth + ip + tcp
    out.write(struct.pack("<IIII", 1700000000, n, len(p), len(p)) + p)
n = 0
for flow in range(3000):
    for i, fl in enumerate((0x02, 0x10, 0x11)):
        n += 1
        frame(n, 10000 + flow, 1000 + i, fl)
EOF
"$VNICEMU" replay "$tmp/flows.pcap" --json --report "$tmp/flows.html" >"$tmp/flows.json"
rc=$?
size=$(stat -c %s "$tmp/flows.html" 2>/dev/null || echo 0)
rows=$(grep -o '<tr data-flow=' "$tmp/flows.html" | wc -l)
[ $rc -eq 0 ] && [ "$rows" -eq 64 ] && grep -q 'id="flows-other" data-frames="8808"' "$tmp/flows.html" &&
	[ "$size" -lt 3000000 ] && t_ok "3000 flows: 64 one by one, the other 8808 frames together ($size bytes)" ||
	t_fail "3000 flows: rc $rc, $rows rows, $size bytes"

# ---- in the browser ----

if [ -z "$browser" ]; then
	if [ -n "${CI:-}" ]; then
		t_fail "chromium is not installed (tools/deps installs it)"
		t_done
		exit
	fi
	echo "SKIP: chromium not installed (tools/deps installs it); the browser checks did not run"
	t_done || exit 1
	exit 77
fi

for sc in "$SCENARIOS"/*.ini; do
	name=$(basename "$sc" .ini)
	mapfile -t args < <(scenario_args "$sc")
	if ! "$VNICEMU" replay "${args[@]}" --json --report "$tmp/$name.html" >"$tmp/$name.json" 2>"$tmp/err"; then
		t_fail "$name: replay ${args[*]}: $(cat "$tmp/err")"
		continue
	fi
	if ! dom "$tmp/$name.html" "$tmp/$name.dom"; then
		t_fail "$name: chromium could not load the page: $(tail -3 "$tmp/chromium.err")"
		continue
	fi
	if out=$(python3 "$here/report_dom.py" replay "$tmp/$name.dom" "$tmp/$name.json"); then
		t_ok "$name: the page in chromium holds culprit $(jq -r '.culprit // "none"' "$tmp/$name.json") and the counts of --json"
	else
		t_fail "$name: the page and --json differ:"$'\n'"$out"
	fi
done

# a diff: the guest capture against the wire the replay wrote, and a path's
for c in "esx35-vmxnet2-quagga.pcap esx35.keys" "path-guest.pcap path.keys --path asa"; do
	set -- $c
	cap=$1 keys=$2
	shift 2
	rm -rf "$tmp/out"
	"$VNICEMU" replay "$cap" --key-file "$keys" "$@" --out "$tmp/out" >/dev/null &&
		"$VNICEMU" diff "$cap" "$tmp/out/wire.pcap" --key-file "$keys" --json \
			--report "$tmp/diff.html" >"$tmp/diff.json" 2>"$tmp/err" &&
		dom "$tmp/diff.html" "$tmp/diff.dom" &&
		out=$(python3 "$here/report_dom.py" diff "$tmp/diff.dom" "$tmp/diff.json")
	rc=$?
	[ $rc -eq 0 ] && grep -q 'class="pairs"' "$tmp/diff.dom" &&
		t_ok "diff $cap ${*}: the page in chromium holds the explanation ($(jq -r '.explanation.stage' "$tmp/diff.json")) and the counts of --json" ||
		t_fail "diff $cap: rc $rc $(cat "$tmp/err") $out"
done

# nothing is fetched: no http(s) src or href in any page, the CSP forbids it anyway
if grep -Eil '(src|href)[[:space:]]*=[[:space:]]*["'\'']?(https?:)?//' "$tmp"/*.html; then
	t_fail "a page refers to something outside it"
else
	t_ok "no page refers to anything outside it"
fi
# the long capture's page loads too
dom "$tmp/long.html" "$tmp/long.dom" && python3 "$here/report_dom.py" replay "$tmp/long.dom" "$tmp/long.json" >"$tmp/err" &&
	t_ok "the long capture's page in chromium: counts of --json" || t_fail "long page: $(cat "$tmp/err")"
t_done
