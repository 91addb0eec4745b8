#!/usr/bin/env bash
# vnicemu verify on bad input: exit 2 with one stderr line naming what was wrong; secrets never
# appear in any output.
set -uo pipefail
VNICEMU=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# expect CODE PATTERN -- ARGS...: exit code, exactly one stderr line matching PATTERN, and no
# secret in stdout or stderr.
expect() {
	local code=$1 pat=$2
	shift 3
	"$VNICEMU" "$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$? lines
	lines=$(wc -l <"$tmp/err")
	if [ "$rc" -ne "$code" ]; then
		t_fail "$* -> exit $rc, want $code ($(head -c 200 "$tmp/err"))"
	elif [ "$code" -eq 2 ] && [ "$lines" -ne 1 ]; then
		t_fail "$* -> $lines stderr lines, want 1"
	elif [ -n "$pat" ] && ! grep -qE -- "$pat" "$tmp/err"; then
		t_fail "$* -> stderr '$(cat "$tmp/err")' does not match '$pat'"
	elif grep -q "TopSecret" "$tmp/out" "$tmp/err"; then
		t_fail "$* -> a secret was printed"
	else
		t_ok "$* -> $code: $(cat "$tmp/err")"
	fi
}

# a valid small capture: pcap header + one Ethernet frame carrying TCP with an MD5 option
printf 'not a capture\n' >"$tmp/text.pcap"
printf '\xd4\xc3\xb2\xa1' >"$tmp/short.pcap"
# link type 147 (USER0)
printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x93\x00\x00\x00' >"$tmp/user0.pcap"
# Ethernet header + one record header promising 100 bytes, then only 10
{
	printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x01\x00\x00\x00'
	printf '\x01\x00\x00\x00\x00\x00\x00\x00\x0e\x00\x00\x00\x0e\x00\x00\x00'
	printf '\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x06'
	printf '\x01\x00\x00\x00\x00\x00\x00\x00\x64\x00\x00\x00\x64\x00\x00\x00'
	printf '0123456789'
} >"$tmp/cut.pcap"
# a capture with only the first complete frame (ARP-typed, 14 bytes)
head -c 54 "$tmp/cut.pcap" >"$tmp/ok.pcap"

printf '192.0.2.1 alpha\n192.0.2.x TopSecret\n' >"$tmp/badaddr.keys"
printf '192.0.2.1 alpha\n\n192.0.2.2 TopSecret extra\n' >"$tmp/extra.keys"
printf '192.0.2.1 hex:TopSecret\n' >"$tmp/hex.keys"
printf '192.0.2.1/40 TopSecret\n' >"$tmp/prefix.keys"
printf '192.0.2.1 TopSecret\n' >"$tmp/good.keys"

expect 2 "/nonexistent.pcap" -- verify /nonexistent.pcap
expect 2 "text.pcap" -- verify "$tmp/text.pcap"
expect 2 "short.pcap" -- verify "$tmp/short.pcap"
expect 2 "user0.pcap: unsupported link type 147" -- verify "$tmp/user0.pcap"
# a cut last record: the frames before it, a warning; an error only with --strict
expect 0 "warning: .*cut.pcap: .* at byte 54 \(frame 2\): truncated dump file; tried to read 100 captured bytes, only got 10" -- verify "$tmp/cut.pcap"
expect 2 "cut.pcap: .* at byte 54 \(frame 2\): truncated" -- verify "$tmp/cut.pcap" --strict
expect 2 "badaddr.keys:2: bad peer address" -- verify "$tmp/ok.pcap" --key-file "$tmp/badaddr.keys"
expect 2 "extra.keys:3: text after the secret" -- verify "$tmp/ok.pcap" --key-file "$tmp/extra.keys"
expect 2 "hex.keys:1: .*hex" -- verify "$tmp/ok.pcap" --key-file "$tmp/hex.keys"
expect 2 "prefix.keys:1: prefix length" -- verify "$tmp/ok.pcap" --key-file "$tmp/prefix.keys"
expect 2 "/nonexistent.keys: No such file" -- verify "$tmp/ok.pcap" --key-file /nonexistent.keys
expect 2 "exclusive" -- verify "$tmp/ok.pcap" --key TopSecret --key-file "$tmp/good.keys"
expect 2 "exactly one capture" -- verify
expect 2 "unknown option .--frobnicate" -- verify "$tmp/ok.pcap" --frobnicate
expect 2 "unknown command 'frob'" -- frob
expect 2 "missing argument for '--key-file'" -- verify "$tmp/ok.pcap" --key-file
expect 2 "--key: the secret must be 1 to 80 bytes" -- verify "$tmp/ok.pcap" --key "TopSecret$(printf 'x%.0s' {1..80})"
expect 0 "" -- verify "$tmp/ok.pcap" --key-file "$tmp/good.keys" --json

# TCP-AO key lines and --isn (issue 12: one line naming file and line or option, exit 2)
printf '192.0.2.1 alpha\nao 192.0.2.2 1:2 hmac-md5-96 TopSecret\n' >"$tmp/ao-alg.keys"
printf 'ao 192.0.2.2 1:300 hmac-sha-1-96 TopSecret\n' >"$tmp/ao-id.keys"
printf 'ao 192.0.2.2 1-2 hmac-sha-1-96 TopSecret\n' >"$tmp/ao-ids.keys"
printf 'ao 192.0.2.2 1:2 aes-128-cmac-96 exclude-option TopSecret\n' >"$tmp/ao-flag.keys"
printf 'ao 192.0.2.2 1:2 aes-128-cmac-96 TopSecret%s\n' "$(printf 'x%.0s' {1..80})" >"$tmp/ao-long.keys"
expect 2 "ao-alg.keys:2: unknown algorithm" -- verify "$tmp/ok.pcap" --key-file "$tmp/ao-alg.keys"
expect 2 "ao-id.keys:1: KeyID outside 0-255" -- verify "$tmp/ok.pcap" --key-file "$tmp/ao-id.keys"
expect 2 "ao-ids.keys:1: expected SENDID:RECVID" -- verify "$tmp/ok.pcap" --key-file "$tmp/ao-ids.keys"
expect 2 "ao-flag.keys:1: unknown word before the secret" -- verify "$tmp/ok.pcap" --key-file "$tmp/ao-flag.keys"
expect 2 "ao-long.keys:1: secret longer than 80 bytes" -- verify "$tmp/ok.pcap" --key-file "$tmp/ao-long.keys"
expect 2 "--isn 192.0.2.1=5: bad address" -- verify "$tmp/ok.pcap" --isn 192.0.2.1=5
expect 2 "--isn 192.0.2.1.179=0x1g: bad ISN" -- verify "$tmp/ok.pcap" --isn 192.0.2.1.179=0x1g
expect 2 "--isn 192.0.2.1.70000=1: bad port" -- verify "$tmp/ok.pcap" --isn 192.0.2.1.70000=1
expect 2 "--isn 192.0.2.1.179: expected ADDR.PORT=ISN" -- verify "$tmp/ok.pcap" --isn 192.0.2.1.179
printf 'ao 192.0.2.2 1:2 hmac-sha-1-96 TopSecret\n' >"$tmp/ao.keys"
expect 2 "--isn 192.0.2.1.179: given twice" -- verify "$tmp/ok.pcap" --key-file "$tmp/ao.keys" \
	--isn 192.0.2.1.179=1 --isn 192.0.2.1.179=2
expect 0 "" -- verify "$tmp/ok.pcap" --key-file "$tmp/ao.keys" --isn 192.0.2.1.179=0x10 --json

# the JSON of that run accounts for the one frame as "other"
"$VNICEMU" verify "$tmp/ok.pcap" --key TopSecret --json >"$tmp/json"
if grep -q '"frames": 1,' "$tmp/json" && grep -q '"other": 1,' "$tmp/json"; then
	t_ok "json accounts for a non-TCP frame"
else
	t_fail "json: $(cat "$tmp/json")"
fi
t_done
