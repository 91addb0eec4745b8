#!/usr/bin/env bash
# The files and settings a user writes (issue 11 items 16, 18, 19): each mistake is one line on
# stderr naming the file and line (or the option), exit 2, and nothing is run with it.
#   * repro: expectation values of the wrong kind, a key given twice;
#   * profiles: every error with its line, "listed twice", `--profile my.ini` without ./,
#     `vnicemu profiles` warning about broken files and names found twice;
#   * replay --set of receive-side features and quirks, which a replay never runs.
#
#   config_errors.sh VNICEMU SCENARIOS
set -uo pipefail
abs() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
VNICEMU=$(abs "$1") SCEN=$(abs "$2")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 2
cp "$SCEN"/esx35-vmxnet2-quagga.pcap "$SCEN"/esx35.keys .
cap=esx35-vmxnet2-quagga.pcap

# refused PATTERN COMMAND...: exit 2, one line on stderr matching PATTERN, nothing on stdout
refused() {
	local want=$1 rc
	shift
	"$@" >out 2>err
	rc=$?
	if [ $rc -eq 2 ] && [ "$(wc -l <err)" -eq 1 ] && grep -qE -- "$want" err && ! [ -s out ]; then
		t_ok "$(cat err)"
	else
		t_fail "${*:2}: rc $rc, wanted one line with '$want': $(head -3 err out)"
	fi
}

# ---- item 16: repro ------------------------------------------------------------------------
base='[scenario]
name = t
capture = esx35-vmxnet2-quagga.pcap
key-file = esx35.keys
[expect]'
n=0
expect_bad() { # PATTERN, then [expect] lines
	local want=$1
	shift
	n=$((n + 1))
	printf '%s\n' "$base" "$@" >"s$n.ini"
	refused "s$n.ini:[0-9]+: .*$want" "$VNICEMU" repro "s$n.ini"
}
expect_bad "culprit = tsoo: no such stage" "culprit = tsoo"
expect_bad "tso.invalidated = 023: expected a count" "culprit = tso" "tso.invalidated = 023"
expect_bad "wire.invalid = \+48: expected a count" "wire.invalid = +48"
expect_bad "guest.valid = yes: expected a count" "guest.valid = yes"
expect_bad "wire.valid = many: expected a count" "wire.valid = many"
expect_bad "tso.enabled = yes: expected on or off" "tso.enabled = yes"
printf '%s\n' "$base" "culprit = tso" "tso.created = 40" "culprit = none" >dup.ini
refused "dup.ini:8: \[expect\] culprit given twice \(first on line 6\)" "$VNICEMU" repro dup.ini
printf '%s\n' "$base" "culprit = tso" | sed 's/^name = t$/capture = other.pcap/' >twice.ini
refused "twice.ini:3: capture given twice \(first on line 2\)" "$VNICEMU" repro twice.ini
# the values a shipped scenario uses still hold, why-contains repeated included
printf '%s\n' "$base" "culprit = tso" "wire.invalid = 48" "tso.why-contains = pseudo-header" \
	"tso.why-contains = digest copied" "tso.enabled = on" "guest.unsigned = 0" >ok.ini
"$VNICEMU" repro ok.ini >out 2>err && grep -q "holds (6 expectations)" out &&
	t_ok "good values and a repeated why-contains: $(cat out | head -1)" ||
	t_fail "ok.ini: $(cat out err)"

# ---- item 19: profiles ---------------------------------------------------------------------
printf '[profile]\nname = twice\ntx = sg tso tso\n' >twice-tso.ini
refused "twice-tso.ini:3: tx: tso listed twice" "$VNICEMU" replay "$cap" --key quagga-md5 --profile ./twice-tso.ini
printf '[profile]\nname = bad\ntx = sg tso tx-csum\n\n[tso]\nflags = sideways\n' >badq.ini
refused "badq.ini:6: bad value 'sideways' for tso.flags" "$VNICEMU" replay "$cap" --key quagga-md5 --profile ./badq.ini
printf '[profile]\nname = bad\ntx = sg tx-csum\n[tso]\nmd5 = resign\n' >nostage.ini
refused "nostage.ini:5: \[tso\]: a stage the profile does not list" "$VNICEMU" replay "$cap" --key quagga-md5 --profile ./nostage.ini
printf '[profile]\nname = bad\ntx = sg tso\n[features]\ntso = on\ntcp-segmentation-offload = off\n' >twicef.ini
refused "twicef.ini:6: tcp-segmentation-offload given twice \(first on line 5\)" "$VNICEMU" replay "$cap" --profile ./twicef.ini
# a file named without ./ (the scenario form too)
sed 's/^name = vmxnet2$/name = mine/' "$SCEN/../profiles/vmxnet2.ini" >my.ini
"$VNICEMU" replay "$cap" --key quagga-md5 --profile my.ini >out 2>err &&
	grep -q "through mine" out && grep -q "^culprit tso: invalidated 48 frames" out &&
	t_ok "--profile my.ini: $(head -1 out)" || t_fail "--profile my.ini: $(cat err out | head -3)"
refused "nosuch.ini: No such file or directory" "$VNICEMU" replay "$cap" --profile nosuch.ini
printf '%s\n' "$base" "culprit = tso" | sed 's/^key-file = esx35.keys$/&\nprofile = my.ini/' >myprof.ini
mkdir -p elsewhere
(cd elsewhere && "$VNICEMU" repro ../myprof.ini >../out 2>../err) && grep -q "holds" out &&
	t_ok "a scenario's profile = my.ini is next to the scenario" || t_fail "myprof.ini: $(cat out err)"

# vnicemu profiles: broken files and names found twice are warned about, the rest listed
mkdir -p a b
printf '[profile]\nname = broken\ntx = sg tso tso\n' >a/broken.ini
printf '[profile]\nname = vmxnet2\ntx = sg tso tx-csum\n' >a/copy.ini
printf '[profile]\nname = vmxnet2\ntx = sg\n' >b/other.ini
printf '[profile]\nname = mine\ntx = sg\n' >b/vmxnet2.ini
cp b/vmxnet2.ini a/vmxnet2.ini
# the shipped profiles last: a package build finds none of its own before installing
VNICEMU_PROFILE_PATH=$tmp/a:$tmp/b:$(dirname "$SCEN")/profiles "$VNICEMU" profiles >out 2>err
rc=$?
w() { grep -c "^vnicemu profiles: warning: .*$1" err; }
if [ $rc -eq 0 ] && [ "$(w 'a/broken.ini:3: tx: tso listed twice')" = 1 ] &&
	[ "$(w 'b/vmxnet2.ini: hidden by .*a/vmxnet2.ini')" = 1 ] &&
	[ "$(w 'a/copy.ini: name = vmxnet2, but --profile finds it as copy')" = 1 ] &&
	[ "$(w 'b/other.ini: name = vmxnet2, as in .*a/copy.ini')" = 1 ] &&
	grep -q "^e1000 — " out && ! grep -q "^broken" out; then
	t_ok "vnicemu profiles: $(wc -l <err) warnings: $(sed 's/.*warning: //' err | tr '\n' ';' | cut -c1-300)"
else
	t_fail "vnicemu profiles: rc $rc, $(cat err)"
fi
"$VNICEMU" profiles >out 2>err && ! [ -s err ] && t_ok "the shipped profiles: no warning" ||
	t_fail "shipped profiles warn: $(cat err)"
# ---- item 18: replay --set of the receive side ----------------------------------------------
for set in lro=on rx=off lro.options=any large-receive-offload=off rx-checksumming=on; do
	rm -rf out.d
	refused "--set $set: (lro|rx-csum) acts on received frames, which this replay does not run" \
		"$VNICEMU" replay "$cap" --key quagga-md5 --profile vmxnet3 --set "$set" --out out.d
	[ -e out.d ] && t_fail "--set $set: out.d was created"
done
# with a path the peer's frames go through rx-csum and lro: the same settings count
cp "$SCEN"/path-guest.pcap "$SCEN"/path.keys .
"$VNICEMU" replay path-guest.pcap --key-file path.keys --path asa --profile vmxnet3 \
	--set lro.options=any --set rx=on --json >out 2>err
rc=$?
if [ $rc -eq 0 ] && python3 -c '
import json, sys
r = json.load(open("out"))
lro = [s for s in r["rx"]["stages"] if s["name"] == "lro"][0]
sys.exit(0 if lro["enabled"] and lro["frames_in"] > 0 else 1)' 2>/dev/null; then
	t_ok "with --path, --set lro.options=any and rx=on are taken: lro saw the peer's frames"
else
	t_fail "with --path: rc $rc, $(head -c 300 err out)"
fi
t_done
