#!/usr/bin/env bash
# vnicemu verify on bad input: exit 2 with one stderr line naming what was wrong; secrets never
# appear in any output.
set -uo pipefail
VNICEMU=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
umask 077 # key files are private (see "key files" below for ones that are not)

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

# key files (issue 11 #17, issue 14): form and permissions
# warns CMD... : exit 0, exactly one stderr line, "PROG CMD: warning: " and the pattern
warns() {
	local pat=$1
	shift
	"$VNICEMU" "$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	if [ $rc -ne 0 ] || [ "$(wc -l <"$tmp/err")" -ne 1 ] ||
		! grep -qE -- "^vnicemu $1: warning: $pat\$" "$tmp/err" || grep -q TopSecret "$tmp/err"; then
		t_fail "$* -> exit $rc, stderr '$(cat "$tmp/err")', want one warning '$pat'"
	else
		t_ok "$* -> warns: $(cat "$tmp/err")"
	fi
}
printf '\xef\xbb\xbf192.0.2.1 TopSecret\n' >"$tmp/bom.keys"
expect 0 "" -- verify "$tmp/ok.pcap" --key-file "$tmp/bom.keys"
[ -s "$tmp/err" ] && t_fail "a key file with a byte order mark: $(cat "$tmp/err")"
printf '192.0.2.0/24 TopSecret\n# again\n192.0.2.0/24 TopSecret\n192.0.2.77/24 TopSecret2\n' >"$tmp/dup.keys"
expect 2 "dup.keys:4: the same peer and prefix as line 1, with another secret$" -- \
	verify "$tmp/ok.pcap" --key-file "$tmp/dup.keys"
expect 2 "$tmp: is a directory$" -- verify "$tmp/ok.pcap" --key-file "$tmp"
printf '::ffff:192.0.2.0/24 TopSecret\n' >"$tmp/mapped.keys"
expect 0 "" -- verify "$tmp/ok.pcap" --key-file "$tmp/mapped.keys"
printf '::ffff:192.0.2.0/100 TopSecret\n' >"$tmp/mapped-prefix.keys"
expect 2 "mapped-prefix.keys:1: prefix length of a ::ffff: .*32" -- \
	verify "$tmp/ok.pcap" --key-file "$tmp/mapped-prefix.keys"
printf 'ao 192.0.2.2 1:2 hmac-sha-1-96 TopSecret\n\nao 192.0.2.2 3:2 hmac-sha-1-96 TopSecret2\n' >"$tmp/ao-dup.keys"
expect 2 "ao-dup.keys:3: the same peer as line 1 with one of its KeyIDs" -- \
	verify "$tmp/ok.pcap" --key-file "$tmp/ao-dup.keys"
printf '# nothing yet\n' >"$tmp/empty.keys"
warns "$tmp/empty.keys: the key file holds no keys" verify "$tmp/ok.pcap" --key-file "$tmp/empty.keys"
printf '192.0.2.1 TopSecret\n' >"$tmp/open.keys"
chmod 644 "$tmp/open.keys"
warns "$tmp/open.keys: group or others can read this key file \(mode 0644\): chmod 600 $tmp/open.keys" \
	verify "$tmp/ok.pcap" --key-file "$tmp/open.keys"
chmod 640 "$tmp/open.keys"
warns "$tmp/open.keys: group or others .*mode 0640.*chmod 600 .*" diff "$here/../../scenarios/jumbo-guest.pcap" \
	"$here/../../scenarios/jumbo-guest.pcap" \
	--key-file "$tmp/open.keys"
warns "$tmp/open.keys: group or others .*chmod 600 .*" replay "$tmp/ok.pcap" --key-file "$tmp/open.keys"
# with an error after the keys: the warning and the error, once each
"$VNICEMU" replay "$tmp/text.pcap" --key-file "$tmp/open.keys" >"$tmp/out" 2>"$tmp/err"
if [ $? -eq 2 ] && [ "$(grep -c 'warning: .*open.keys' "$tmp/err")" -eq 1 ] && [ "$(wc -l <"$tmp/err")" -eq 2 ]; then
	t_ok "replay: a key file warning is said once beside the error"
else
	t_fail "replay with an open key file and a bad capture: $(cat "$tmp/err")"
fi
# vnicemu run refuses it before opening any port, with the fix
expect 2 "^vnicemu run: $tmp/open.keys: group or others can read this key file \(mode 0640\); make it private with chmod 600 $tmp/open.keys$" -- \
	run --guest "ptp://$tmp/g" --wire "ptp://$tmp/w" --key-file "$tmp/open.keys"
[ -e "$tmp/g" ] && t_fail "run opened a port before refusing the key file"
# an example says so in its text (the shipped scenarios' keys)
{ printf '# vnicemu: example keys, not secret\n'; cat "$tmp/open.keys"; } >"$tmp/example.keys"
chmod 644 "$tmp/example.keys"
expect 0 "" -- verify "$tmp/ok.pcap" --key-file "$tmp/example.keys"
[ -s "$tmp/err" ] && t_fail "an example key file warned: $(cat "$tmp/err")"
# verify --interface: its options checked before any capture opens (no privilege needed)
expect 2 "--count needs --interface" -- verify "$tmp/ok.pcap" --count 3
expect 2 "--filter needs --interface" -- verify "$tmp/ok.pcap" --filter tcp
expect 2 "--duration needs --interface" -- verify "$tmp/ok.pcap" --duration 2
expect 2 "--user needs --interface" -- verify "$tmp/ok.pcap" --user nobody
expect 2 "--interface lo takes no capture file" -- verify "$tmp/ok.pcap" --interface lo
expect 2 "--interface lo checks in one thread" -- verify --interface lo --jobs 2
expect 2 "--interface lo reads no capture file: --strict is for a cut capture file" -- verify --interface lo --strict
expect 2 "--interface lo stops at --count or at --duration, not both" -- verify --interface lo --count 1 --duration 1
expect 2 "--count: expected a number of frames, not '0'" -- verify --interface lo --count 0
expect 2 "--count: expected a number of frames, not '-1'" -- verify --interface lo --count -1
expect 2 "--duration: expected seconds .* not 'soon'" -- verify --interface lo --duration soon
expect 2 "--duration: expected seconds .* not '0'" -- verify --interface lo --duration 0
expect 2 "missing argument for '--interface'" -- verify --interface
expect 2 "--interface nosuch0: (no such interface|permission denied)" -- verify --interface nosuch0 --key TopSecret

# the JSON of that run accounts for the one frame as "other"
"$VNICEMU" verify "$tmp/ok.pcap" --key TopSecret --json >"$tmp/json"
if grep -q '"frames": 1,' "$tmp/json" && grep -q '"other": 1,' "$tmp/json"; then
	t_ok "json accounts for a non-TCP frame"
else
	t_fail "json: $(cat "$tmp/json")"
fi
t_done
