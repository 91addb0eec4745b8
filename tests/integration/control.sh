#!/usr/bin/env bash
# The live daemon's run-time commands, through its real socket (docs/control-protocol.md):
# `vnicemu run --guest null:// --wire null:// --control S` driven by vnicctl, and by a raw
# client for what vnicctl refuses to send. Every feature on and off, every STAGE.PARAM of the
# NIC's stages and of every path element with every value it takes and bad ones (the stages,
# parameters and values are read off the daemon's own answers, then checked against a few
# known ones), the same key set many times and every distinct key, every shipped profile and a
# profile by path, bad profiles (unknown, /dev/zero, a FIFO: refused at once, the daemon goes
# on), keys (never the secret), stats, stats --json (parsed), watch, unknown commands, an
# overlong line, many clients at once. Issue 11 items 3 and 4 come first: `set lro.options
# any` then `linux` crashed the daemon; `profile /dev/zero` wedged it.
# A sanitized vnicemu runs with NODEEPBIND preloaded, so that it can open its null:// ports.
#   control.sh VNICEMU VNICCTL NODEEPBIND.so
set -uo pipefail
vnicemu=$(realpath "$1")
vnicctl=$(realpath "$2")
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sanitized_run.sh" "$vnicemu" "$3"
work=$(mktemp -d)
pid=
# reap: SIGTERM the daemon, SIGKILL it if it is still there after 5 s (a wedged daemon ignores
# SIGTERM); its exit status in $rc (137 when it had to be killed)
reap() {
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid"
	rc=$?
	pid=
}
cleanup() {
	[ -n "$pid" ] && reap
	jobs -p | xargs -r kill 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
secret=never-shown-secret-8d1f
printf '192.0.2.1 %s\nao 198.51.100.2 1:2 hmac-sha-1-96 %s-ao\n' "$secret" "$secret" >"$work/keys"
chmod 600 "$work/keys"

# start [ARGS...]: a daemon on $sock with ARGS; its pid in $pid
start() {
	sock=$work/control
	"${run[@]}" run --guest null:// --wire null:// --control "$sock" --key-file "$work/keys" \
		"$@" >"$work/out" 2>"$work/log" &
	pid=$!
	for _ in $(seq 100); do
		[ -S "$sock" ] && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	t_fail "vnicemu run $* did not start: $(cat "$work/log")"
	t_done
	exit 1
}

# stop: SIGTERM, exit 0, the socket removed, no secret in anything the daemon wrote
stop() {
	reap
	if [ "$rc" -eq 0 ] && [ ! -e "$sock" ] && ! grep -q "Sanitizer\|runtime error" "$work/log"; then
		t_ok "SIGTERM: exit 0, socket removed"
	else
		t_fail "SIGTERM: exit $rc, socket $([ -e "$sock" ] && echo left || echo removed): $(cat "$work/log")"
	fi
	if grep -q "$secret" "$work/out" "$work/log"; then
		t_fail "the daemon wrote the secret"
	fi
}

# ctl ARGS...: vnicctl (10 s at most); its output in $out, its exit in $rc
ctl() {
	out=$(timeout 10 "$vnicctl" -s "$sock" "$@" 2>&1)
	rc=$?
}

# expect RC WANT ARGS...: vnicctl ARGS exits RC and says something containing WANT
expect() {
	local want_rc=$1 want=$2
	shift 2
	ctl "$@"
	if [ "$rc" -eq "$want_rc" ] && grep -qF -- "$want" <<<"$out"; then
		t_ok "vnicctl $* -> $rc"
	else
		t_fail "vnicctl $*: exit $rc (wanted $want_rc), '$out' (wanted '$want')"
	fi
}

# quiet RC ARGS...: as expect, but no line per success (for the long loops); counts in $n
quiet() {
	local want_rc=$1
	shift
	ctl "$@"
	if [ "$rc" -eq "$want_rc" ]; then
		n=$((n + 1))
	else
		t_fail "vnicctl $*: exit $rc (wanted $want_rc): $out"
	fi
}

alive() {
	if kill -0 "$pid" 2>/dev/null && ctl show && [ "$rc" -eq 0 ]; then
		t_ok "the daemon answers: $*"
	else
		t_fail "the daemon does not answer ($*): exit $rc, '$out'; log: $(cat "$work/log")"
	fi
}

# raw: send stdin's bytes as one client, print everything the server sends until it closes
raw() {
	timeout 20 python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(sys.stdin.buffer.read())
s.shutdown(socket.SHUT_WR)
got = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    got += b
sys.stdout.write(got.decode("ascii", "replace"))
' "$sock"
}

# ---- issue 11 item 3, the exact reproduction ----
start
expect 0 "large-receive-offload:" show
expect 0 "" set lro.options any
expect 0 "" set lro.options linux
alive "after set lro.options any, then linux"
expect 1 "lro.max_size must be 68..65535" set lro.max_size 67
expect 0 "" set lro.options any
alive "after a refused lro.max_size"

# ---- features ----
n=0
for profile in vmxnet2 vmxnet3 e1000 none vmxnet; do
	expect 0 "profile $profile:" profile "$profile"
	ctl show
	feats=$out
	# each feature off, then each on, then show once each way (dependencies settle in between)
	for v in off on; do
		while read -r line; do
			f=${line%%:*}
			if [[ $line != *"[fixed]"* ]]; then
				quiet 0 set "$f" "$v"
			elif [[ $line == *": $v "* ]]; then
				quiet 0 set "$f" "$v" # a fixed feature takes the value it has
			else
				ctl set "$f" "$v"
				[ "$rc" -eq 1 ] && grep -q "is \[fixed\]" <<<"$out" && n=$((n + 1)) ||
					t_fail "$profile: set $f $v (fixed): exit $rc, '$out'"
			fi
		done <<<"$feats"
		ctl show
		while read -r line; do
			f=${line%%:*}
			[[ $line == *"[fixed]"* ]] && want=$line || want="$f: $v"
			grep -qxF "$want" <<<"$out" || t_fail "$profile: after set ... $v, show: $out"
		done <<<"$feats"
	done
	expect 1 "unknown feature 'bogus'" set bogus on
	expect 1 "the value is on or off" set sg maybe
done
[ "$n" -ge 40 ] && t_ok "$n feature changes over 5 profiles, show agrees" || t_fail "only $n feature changes"
expect 1 "optstrip is a path element, and the path (--path) has none" set optstrip off
expect 0 "profile vmxnet2:" profile vmxnet2
expect 0 "" set sg off tso off tx off
expect 0 "" set sg on tx on tso on
stop

# ---- every parameter of every stage, with every path element on the path ----
start --profile vmxnet3 --path asa,nat,shaper,mss-clamp,fragment
ctl stats --json
stages=$(python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
print(" ".join(dict.fromkeys(s["name"] for d in ("tx", "rx") for s in r[d]["stages"])))
' <<<"$out")
t_ok "stages read off stats --json: $stages"
for must in sg tso tx-csum rx-csum lro optstrip seqrand nat window mss-clamp fragment; do
	[[ " $stages " == *" $must "* ]] || t_fail "stats --json has no stage $must"
done
n=0
params=0
for st in $stages; do
	ctl set "$st.nosuch" 1
	[ "$rc" -eq 1 ] || t_fail "set $st.nosuch: exit $rc"
	list=$(sed -n "s/.*($st takes: \(.*\))$/\1/p" <<<"$out")
	[ "$list" = none ] && continue
	[ -n "$list" ] || { t_fail "set $st.nosuch did not list the parameters: $out"; continue; }
	for p in ${list//,/}; do
		params=$((params + 1))
		ctl set "$st.$p" no-such-value
		expected=$(sed -n "s/.*bad value 'no-such-value' for $st\.$p (expected \(.*\))$/\1/p" <<<"$out")
		if [ -z "$expected" ]; then
			# free text (an address, a list): the stage checks it; a bad one is refused
			[ "$rc" -eq 1 ] && n=$((n + 1)) || t_fail "set $st.$p no-such-value: exit $rc, '$out'"
		elif [ "$expected" = "a number" ]; then
			quiet 1 set "$st.$p" -1
			quiet 1 set "$st.$p" 12x
		else
			for v in ${expected//|/ }; do
				quiet 0 set "$st.$p" "$v"
			done
		fi
	done
done
[ "$params" -ge 20 ] && t_ok "$params parameters, $n values set or refused" ||
	t_fail "only $params parameters found"
# known values, so that the discovery above cannot pass by finding nothing
expect 0 "" set tso.flags e1000 tso.ipid fixed tso.md5 resign
expect 0 "" set tso.md5 strip tso.flags qemu sg.overflow drop
expect 1 "bad value 'sometimes' for lro.options (expected linux|any)" set lro.options sometimes
expect 1 "unknown stage parameter 'nosuch.x'" set nosuch.x 1
expect 0 "" set fragment.mtu 1280 mss-clamp.mss 1360
expect 1 "68 is the IPv4 minimum" set fragment.mtu 40
# a pair refused after others: the ones before it stay, the data block names it
expect 1 "bad value" set tso.flags linux tso.ipid sometimes
ctl stats --json
# the same key again and again, then every distinct key: no "No space left on device"
n=0
for i in $(seq 40); do
	quiet 0 set tso.flags "$([ $((i % 2)) -eq 0 ] && echo linux || echo copy)"
done
for i in $(seq 10); do
	quiet 0 set sg.max_frags "$((i + 4))" sg.frag_size 4096 tso.ipid increment tso.md5 copy \
		lro.options any lro.max_size 9000 window.mode clamp
done
[ "$n" -eq 50 ] && t_ok "the same keys set 50 times: all taken" || t_fail "$n of 50 taken"
alive "after every parameter"
stop

# ---- profiles, keys, stats, watch ----
start
mkfifo -m 0600 "$work/fifo.ini"
n=0
while read -r name; do
	quiet 0 profile "$name"
	grep -q "^profile $name: " <<<"$out" || t_fail "profile $name: '$out'"
done < <("$vnicemu" profiles | sed -n 's/^\([a-z0-9_-]*\) — .*/\1/p')
[ "$n" -ge 5 ] && t_ok "every shipped profile ($n) switched to" || t_fail "only $n profiles"
expect 0 "profile e1000:" profile "$(dirname "$(realpath "$0")")/../../profiles/e1000.ini"
expect 1 "unknown profile 'nosuch'" profile nosuch
expect 2 "" profile "two words"
expect 1 "bad profile name" profile 'BAD!'
# issue 11 item 4: not a regular file is refused at once, and the daemon goes on
expect 1 "/dev/zero: is a character device, not a regular file" profile /dev/zero
expect 1 "fifo.ini: is a FIFO, not a regular file" profile "$work/fifo.ini"
expect 1 "is a directory" profile /tmp
alive "after profile /dev/zero and a FIFO"
ctl show
grep -q "tcp-segmentation-offload: on" <<<"$out" && t_ok "a refused profile left e1000 in place" ||
	t_fail "after the refused profiles, show: $out"

expect 0 "key file $work/keys: 1 peers, 1 TCP-AO MKTs" keys
grep -q "$secret" <<<"$out" && t_fail "keys shows the secret"
expect 0 "culprit" stats
grep -q "$secret" <<<"$out" && t_fail "stats shows the secret"
expect 0 '"profile": "e1000"' stats --json
if python3 -c 'import json,sys; r=json.load(sys.stdin); assert r["ports"]["guest"] and r["tx"]["stages"]' <<<"$out"; then
	t_ok "stats --json is one JSON object with ports and stages"
else
	t_fail "stats --json is not the JSON object: $out"
fi
expect 1 "stats: unknown option '--xml' (usage: stats [--json])" stats --xml

# (LeakSanitizer's exit-time check, stopping the world while SIGINT arrives, once hung a sanitized
# vnicctl here past the test's timeout: no leak check for this client, and a hard kill at 15 s)
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	timeout -k 5 10 "$vnicctl" -s "$sock" watch >"$work/watch" 2>&1 &
w=$!
sleep 2.5
kill -INT "$w"
wait "$w"
wrc=$?
lines=$(grep -c '^tx .* | guest up wire up$' "$work/watch")
[ "$wrc" -eq 0 ] && [ "$lines" -ge 1 ] && t_ok "watch: $lines summary lines, exit 0 on SIGINT" ||
	t_fail "watch: exit $wrc, '$(cat "$work/watch")'"

# ---- what vnicctl refuses to send, from a raw client ----
long=$(printf 'x%.0s' $(seq 300))
got=$(printf 'bogus\nset sg\nstats --xml\n%s\nshow\n\001\n# a comment\nunwatch\nhelp\nlogout\n' "$long" | raw)
check() {
	grep -qF -- "$1" <<<"$got" && t_ok "raw client: $1" || t_fail "raw client: no '$1' in: $got"
}
check "unknown command 'bogus' (try help)"
check "1038 Function not implemented"
check "usage: set FEAT on|off | STAGE.PARAM VALUE ..."
check "stats: unknown option '--xml'"
check "line too long (max 256 bytes)"
check "1007 Argument list too long"
check "byte 0x01 at column 1: commands are printable ASCII"
check "scatter-gather: on"
check "9999 END OF SESSION"
[ "$(grep -c '^1022 Invalid argument' <<<"$got")" -eq 3 ] && t_ok "raw client: three 1022" ||
	t_fail "raw client: wanted three 1022 in: $got"
# an endless line with no newline: answered once, the rest dropped, the session goes on
got=$( (head -c 100000 /dev/zero | tr '\0' 'y'; printf '\nshow\nquit\n') | raw)
check "line too long"
check "scatter-gather: on"
[ "$(grep -c 'line too long' <<<"$got")" -eq 1 ] && t_ok "an endless line: one reply" ||
	t_fail "an endless line: $(grep -c 'line too long' <<<"$got") replies"

# ---- many clients ----
clients=()
for i in $(seq 16); do
	timeout 20 "$vnicctl" -s "$sock" stats --json >"$work/c$i" 2>&1 &
	clients+=($!)
done
wait "${clients[@]}"
n=0
for i in $(seq 16); do
	python3 -c 'import json,sys; json.load(sys.stdin)' <"$work/c$i" 2>/dev/null && n=$((n + 1))
done
[ "$n" -eq 16 ] && t_ok "16 clients at once: 16 JSON replies" || t_fail "16 clients: $n JSON replies"
# 20 held at once: 16 get the banner, 4 get busy
got=$(timeout 20 python3 -c '
import socket, sys, time
held = []
for _ in range(20):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    held.append(s)
time.sleep(1)
banner = busy = 0
for s in held:
    s.settimeout(3)
    b = s.recv(4096)
    banner += b.startswith(b"vnicemu ")
    busy += b.startswith(b"1016 ")
print(banner, busy)
' "$sock")
[ "$got" = "16 4" ] && t_ok "20 clients held: 16 served, 4 told busy" || t_fail "20 clients: '$got'"
alive "after many clients"
stop
t_done
