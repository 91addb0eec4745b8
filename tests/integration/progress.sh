#!/usr/bin/env bash
# Progress of long runs on a terminal: verify, replay and diff print "CMD: N frames" on stderr
# when stderr is a terminal (script(1) gives them one): at the first check (every 4096 frames
# read; diff every 65536), then at most once a second, erased at the end; nothing of it when
# stderr is a file; the results are the same either way.
#   progress.sh VNICEMU GENCAP
set -uo pipefail
abs() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
VNICEMU=$(abs "$1") gencap=$(abs "$2")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

"$gencap" big.pcap --frames 70000 --payload 200 --key progress-key >/dev/null
# tty NAME CMD...: run CMD with a terminal for stdin/stdout/stderr, its whole output in NAME.tty
tty() {
	local name=$1
	shift
	script -qec "$(printf '%q ' "$@")" /dev/null >"$name.tty" 2>&1 </dev/null
}
check() {
	local cmd=$1
	shift
	tty "$cmd" "$VNICEMU" "$cmd" "$@"
	"$VNICEMU" "$cmd" "$@" >"$cmd.out" 2>"$cmd.err"
	if grep -aqE "$cmd: ([a-z][^:]*: )?[0-9]+ frames" "$cmd.tty" && [ ! -s "$cmd.err" ]; then
		t_ok "$cmd: progress on a terminal ($(grep -aoE "$cmd: ([a-z][^:]*: )?[0-9]+ frames" "$cmd.tty" | tail -1)), none into a file"
	else
		t_fail "$cmd: terminal: $(tr '\r' '\n' <"$cmd.tty" | head -3 | xargs); file: $(head -2 "$cmd.err")"
	fi
}
check verify big.pcap --key progress-key --jobs 1
check verify big.pcap --key progress-key --jobs 2
# a short run leaves nothing on the terminal but its result
"$gencap" small.pcap --frames 1000 --payload 200 --key progress-key >/dev/null
tty small "$VNICEMU" verify small.pcap --key progress-key --jobs 2
grep -aq "frames" small.tty && ! grep -aqE "verify: [0-9]+ frames" small.tty &&
	t_ok "verify: no progress for 1000 frames" || t_fail "verify, 1000 frames: $(cat small.tty)"
# the result under a terminal is the file run's
tty v "$VNICEMU" verify big.pcap --key progress-key --json
"$VNICEMU" verify big.pcap --key progress-key --json >v.json
if [ "$(tr -d '\r' <v.tty | sed 's/.*\x1b\[K//' | jq -c .md5)" = "$(jq -c .md5 v.json)" ] &&
	[ "$(jq .md5.valid v.json)" = 70000 ]; then
	t_ok "verify: the result on a terminal is the file's (70000 valid)"
else
	t_fail "verify: $(cat v.tty)"
fi
check replay big.pcap --key progress-key --out r
check diff r/guest.pcap r/wire.pcap --key progress-key
t_done
