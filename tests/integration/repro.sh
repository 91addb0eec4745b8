#!/usr/bin/env bash
# vnicemu repro: a wrong expectation fails with exit 1 and a readable difference; a bad
# scenario file is exit 2 with one line naming the file and what is wrong.
set -uo pipefail
VNICEMU=$1
SCEN=$2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$SCEN"/esx35-vmxnet2-quagga.pcap "$SCEN"/esx35.keys "$tmp/"

scen() { # NAME, then the file's body on stdin
	cat >"$tmp/$1.ini"
}
base='[scenario]
name = t
capture = esx35-vmxnet2-quagga.pcap
key-file = esx35.keys'

printf '%s\n[expect]\nculprit = none\nwire.invalid = 0\ntso.invalidated = 48\n' "$base" | scen wrong
"$VNICEMU" repro "$tmp/wrong.ini" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -eq 1 ] && grep -q "does NOT hold" "$tmp/out" && grep -q "culprit: expected none, got tso" "$tmp/out" &&
	grep -q "wire.invalid: expected 0, got 48" "$tmp/out" && ! grep -q "tso.invalidated" "$tmp/out"; then
	t_ok "a wrong expectation: exit 1 and the differences: $(tr '\n' ' ' <"$tmp/out")"
else
	t_fail "wrong expectation: rc $rc, $(cat "$tmp/out" "$tmp/err")"
fi
printf '%s\n[expect]\ntso.why-contains = TTL rewritten\n' "$base" | scen why
"$VNICEMU" repro "$tmp/why.ini" >"$tmp/out" 2>&1
[ $? -eq 1 ] && grep -q "expected text with TTL rewritten" "$tmp/out" && t_ok "explanation text checked" ||
	t_fail "why-contains: $(cat "$tmp/out")"

# the shipped keys say they are examples: no warning; a copy without that line warns once
printf '%s\n[expect]\nculprit = tso\n' "$base" | scen good
"$VNICEMU" repro "$tmp/good.ini" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 0 ] && [ ! -s "$tmp/err" ] && t_ok "a shipped example key file: no warning" ||
	t_fail "shipped key file: $(cat "$tmp/err")"
grep -v '^# vnicemu: example keys' "$tmp/esx35.keys" >"$tmp/mine.keys"
chmod 644 "$tmp/mine.keys"
sed 's/^key-file = .*/key-file = mine.keys/' "$tmp/good.ini" >"$tmp/mine.ini"
"$VNICEMU" repro "$tmp/mine.ini" >"$tmp/out" 2>"$tmp/err"
if [ $? -eq 0 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] &&
	grep -q "^vnicemu repro: warning: $tmp/mine.keys: group or others can read .*chmod 600 $tmp/mine.keys$" "$tmp/err"; then
	t_ok "a key file others can read: one warning"
else
	t_fail "open key file: $(cat "$tmp/err")"
fi

bad() { # PATTERN NAME
	"$VNICEMU" repro "$tmp/$2.ini" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	if [ $rc -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -qE -- "$1" "$tmp/err"; then
		t_ok "bad scenario $2: $(cat "$tmp/err")"
	else
		t_fail "bad scenario $2: rc $rc, $(cat "$tmp/err" "$tmp/out")"
	fi
}
printf '[scenario]\ncapture = nosuch.pcap\n[expect]\nculprit = tso\n' | scen missing
bad "nosuch.pcap: No such file" missing
printf '%s\n[expect]\nculprit = tso\nwire.bogus = 1\n' "$base" | scen unknownkey
bad "\[expect\] wire.bogus: names no counter" unknownkey
printf '%s\n[expect]\nlro.invalidated = 0\n' "$base" | scen nostage
bad "lro.invalidated: names no counter" nostage
printf '%s\nprofile = vmxnet7\n[expect]\nculprit = tso\n' "$base" | scen profile
bad "unknown profile 'vmxnet7'" profile
printf '%s\nset = tso.flags=sideways\n[expect]\nculprit = tso\n' "$base" | scen badset
bad "bad value 'sideways' for tso.flags" badset
printf '%s\n[expect]\n' "$base" | scen noexpect
bad "no \[expect\] section" noexpect
printf '[scenario]\ncapture = esx35-vmxnet2-quagga.pcap\nkey-file = nokeys\n[expect]\nculprit = tso\n' | scen nokeys
bad "nokeys: No such file" nokeys
printf '[scenario]\ncapture = esx35-vmxnet2-quagga.pcap\nfrobnicate = 1\n[expect]\nculprit = tso\n' | scen unknown
bad "unknown.ini:3: unknown key in \[scenario\]" unknown
bad "nothere.ini: No such file" nothere
# a capture cut inside its last record: expectations about part of it prove nothing
head -c -10 "$tmp/esx35-vmxnet2-quagga.pcap" >"$tmp/cut.pcap"
printf '[scenario]\ncapture = cut.pcap\nkey-file = esx35.keys\n[expect]\nculprit = tso\n' | scen cut
bad "cut.ini: .*cut.pcap: the capture ends inside a record at byte [0-9]+ \(frame [0-9]+\): truncated dump file" cut
t_done
