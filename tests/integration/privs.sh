#!/usr/bin/env bash
# Least privilege (issue 14): a VDE-only vnicemu needs no privilege at all, so an unprivileged
# user runs the whole thing (vdeplug4 switches, vnicemu, vnicctl) and frames cross it; and
# `vnicemu run --user USER` started as root becomes USER with no capability left once its
# ports, control socket and captures are open, answers vnicctl and reloads keys on SIGHUP.
# Only vdeplug4 switches in a private directory: no interface, no namespace, no network.
set -uo pipefail
VNICEMU=$(realpath "$1")
VNICCTL=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null || ! command -v vde_plug >/dev/null ||
	! id nobody >/dev/null 2>&1; then
	echo "needs root, setpriv, vde_plug and the user nobody: skipped"
	exit 77
fi
NOGROUP=$(id -gn nobody)
as_nobody() { setpriv --reuid nobody --regid "$NOGROUP" --clear-groups -- "$@"; }
if ! as_nobody "$VNICEMU" --version >/dev/null 2>&1; then
	echo "nobody cannot run $VNICEMU (a private build directory): skipped"
	exit 77
fi
W=$(mktemp -d /tmp/vnm-privs.XXXXXX)
chmod 755 "$W"
# profiles nobody can read (a package build's tree is private to root)
mkdir -m 755 "$W/profiles"
cp "$here/../../profiles/"*.ini "$W/profiles/" && chmod 644 "$W/profiles/"*.ini
export VNICEMU_PROFILE_PATH=$W/profiles
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "$W"/*.pid "$W"/nobody/*.pid; do [ -s "$p" ] && kill "$(cat "$p")" 2>/dev/null; done
	sleep 0.2
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	rm -rf "$W"
}
trap cleanup EXIT

# one line, exit 2
bad() { # PATTERN ARGS...
	local pat=$1
	shift
	"$@" >"$W/out" 2>"$W/err"
	local rc=$?
	if [ $rc -eq 2 ] && [ "$(wc -l <"$W/err")" -eq 1 ] && grep -qE -- "$pat" "$W/err"; then
		t_ok "refused: $(cat "$W/err")"
	else
		t_fail "rc $rc, want 2 and one line '$pat': $(cat "$W/err")"
	fi
}
bad "^vnicemu run: --user no-such-user-here: no such user$" \
	"$VNICEMU" run --guest "ptp://$W/g" --wire "ptp://$W/w" --user no-such-user-here
bad "^vnicemu run: --user nobody: switching users needs root" \
	as_nobody "$VNICEMU" run --guest "ptp://$W/g" --wire "ptp://$W/w" --user nobody
[ -e "$W/g" ] && t_fail "a refused --user opened a port first"

if grep -qa __asan_init "$VNICEMU"; then
	# libvdeplug's RTLD_DEEPBIND is refused by AddressSanitizer (reference/vde.md)
	echo "AddressSanitizer build: no port opened"
	t_done
	exit $?
fi

# nobody's own directory holds the switches, keys and sockets
D=$W/nobody
mkdir "$D" && chown nobody:"$NOGROUP" "$D" && chmod 700 "$D"
switch() { # NAME: a vdeplug4 switch run by nobody
	as_nobody vde_plug -d -p "$D/$1.pid" null:// "switch://$D/$1"
	for _ in $(seq 100); do [ -S "$D/$1/ctl" ] && return 0; sleep 0.05; done
	echo "switch $1 did not start" >&2
	return 1
}
switch gsw && switch wsw || exit 1
printf '192.0.2.0/24 privs-secret\n' | as_nobody tee "$D/keys" >/dev/null
as_nobody chmod 600 "$D/keys"

# start AS... ARGS...: vnicemu run between the two switches, control socket $D/ctl
VPID=
start() {
	local who=()
	[ "$1" = nobody ] && who=(setpriv --reuid nobody --regid "$NOGROUP" --clear-groups --)
	shift
	rm -f "$D/ctl"
	"${who[@]}" "$VNICEMU" run --guest "vde://$D/gsw" --wire "vde://$D/wsw" --control "$D/ctl" \
		--key-file "$D/keys" "$@" >"$W/run.out" 2>"$W/run.err" &
	VPID=$!
	PIDS+=("$VPID")
	for _ in $(seq 100); do [ -S "$D/ctl" ] && return 0; sleep 0.05; done
	t_fail "vnicemu did not start: $(cat "$W/run.err")"
	return 1
}
stop() {
	kill -TERM "$VPID"
	wait "$VPID"
	local rc=$?
	[ $rc -eq 0 ] || t_fail "vnicemu exited $rc on SIGTERM: $(cat "$W/run.err")"
}
status() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$VPID/status"; }

# frame N: an Ethernet frame (local experimental EtherType 88b5) in vde_plug's stream format
# (a 2-byte length, then the frame), sent on the guest switch by nobody; 0 when the wire switch
# carried it to a vde_plug of nobody's
crosses() {
	local tag="vnicemu-privs-frame-$1"
	# (its standard input stays open: vde_plug stops at its end)
	sleep 2 | as_nobody timeout 2 vde_plug "vde://$D/wsw" >"$W/wire.$1" 2>/dev/null &
	local rp=$!
	sleep 0.3
	local payload
	payload=$(printf '%-46s' "$tag") # a minimum-size frame
	{
		printf "\\x00\\x$(printf %02x $((14 + ${#payload})))"
		printf '\xff\xff\xff\xff\xff\xff\x02\x00\x00\x00\x00\x09\x88\xb5%s' "$payload"
		sleep 0.3
	} | as_nobody timeout 2 vde_plug "vde://$D/gsw" >/dev/null 2>&1
	wait "$rp"
	grep -qa "$tag" "$W/wire.$1"
}

# 1. VDE only, everything as nobody: no privilege needed
start nobody || exit 1
[ "$(status Uid)" = 65534 ] && [ "$(status CapEff)" = 0000000000000000 ] &&
	t_ok "an unprivileged vnicemu runs (uid $(status Uid), CapEff $(status CapEff))" ||
	t_fail "unprivileged run: uid $(status Uid), CapEff $(status CapEff)"
crosses 1 && t_ok "a frame crosses guest switch -> vnicemu -> wire switch, all run by nobody" ||
	t_fail "the frame did not reach the wire switch: $(cat "$W/run.err")"
as_nobody "$VNICCTL" -s "$D/ctl" set tso off >/dev/null &&
	as_nobody "$VNICCTL" -s "$D/ctl" show | grep -qx "tcp-segmentation-offload: off" &&
	t_ok "vnicctl as nobody: set tso off" || t_fail "vnicctl as nobody"
# a key file opened up later is refused on SIGHUP too: the old keys stay
as_nobody chmod 640 "$D/keys"
kill -HUP "$VPID"
for _ in $(seq 40); do grep -q "SIGHUP" "$W/run.err" && break; sleep 0.05; done
grep -q "SIGHUP: keeping the old keys: $D/keys: group or others can read this key file (mode 0640); make it private with chmod 600 $D/keys" "$W/run.err" &&
	"$VNICCTL" -s "$D/ctl" keys | grep -q "192.0.2.0/24 key length 12" &&
	t_ok "SIGHUP refuses a key file others can read, keeps the old keys" ||
	t_fail "SIGHUP with mode 0640: $(cat "$W/run.err")"
as_nobody chmod 600 "$D/keys"
stop

# 2. --user nobody, started as root: nothing kept with VDE ports
as_nobody chmod 644 "$D/keys"
bad "keys: group or others can read this key file \(mode 0644\); make it private with chmod 600 " \
	"$VNICEMU" run --guest "vde://$D/gsw" --wire "vde://$D/wsw" --key-file "$D/keys" --user nobody
as_nobody chmod 600 "$D/keys"
cp -p "$D/keys" "$W/root.keys"
chown root "$W/root.keys"
bad "^vnicemu run: --user nobody: $W/root.keys: Permission denied as nobody, so SIGHUP could not read it again; chown nobody $W/root.keys$" \
	"$VNICEMU" run --guest "vde://$D/gsw" --wire "vde://$D/wsw" --key-file "$W/root.keys" --user nobody

start root --user nobody || exit 1
sleep 0.2
if [ "$(status Uid)" = 65534 ] && [ "$(status Gid)" = "$(id -g nobody)" ] &&
	[ "$(status CapEff)" = 0000000000000000 ] && [ "$(status CapPrm)" = 0000000000000000 ] &&
	[ "$(status CapBnd)" = 0000000000000000 ] && [ "$(status NoNewPrivs)" = 1 ]; then
	t_ok "--user nobody: uid 65534, no capability (CapEff, CapPrm, CapBnd 0), NoNewPrivs"
else
	t_fail "--user nobody: $(grep -E '^(Uid|Gid|Cap|NoNewPrivs)' "/proc/$VPID/status" | tr '\n' ' ')"
fi
grep -q "running as nobody, capabilities: none" "$W/run.err" && t_ok "says so: $(head -1 "$W/run.err")" ||
	t_fail "no 'running as' line: $(cat "$W/run.err")"
[ "$(stat -c %U "$D/ctl")" = nobody ] && t_ok "the control socket belongs to nobody" ||
	t_fail "control socket owner $(stat -c %U "$D/ctl")"
as_nobody "$VNICCTL" -s "$D/ctl" set tso off >/dev/null &&
	"$VNICCTL" -s "$D/ctl" show | grep -qx "tcp-segmentation-offload: off" &&
	t_ok "after the drop, vnicctl (as nobody) set tso off" || t_fail "vnicctl after the drop"
crosses 2 && t_ok "after the drop, frames still cross" || t_fail "no frame after the drop"
printf '192.0.2.0/24 privs-secret\n2001:db8::/32 privs-other\n' | as_nobody tee "$D/keys" >/dev/null
kill -HUP "$VPID"
for _ in $(seq 40); do grep -q "SIGHUP" "$W/run.err" && break; sleep 0.05; done
grep -q "SIGHUP: reloaded 2 keys from $D/keys" "$W/run.err" &&
	"$VNICCTL" -s "$D/ctl" keys | grep -q "2001:db8::/32 key length 11" &&
	t_ok "after the drop, SIGHUP reloads the key file" || t_fail "SIGHUP: $(cat "$W/run.err")"
stop
grep -q "privs-secret\|privs-other" "$W/run.out" "$W/run.err" && t_fail "a secret was printed"
t_done
