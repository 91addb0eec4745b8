#!/usr/bin/env bash
# vnicemu@.service: systemd-analyze verify accepts it (its Documentation= pages included), its
# exposure score is the one docs/install.md states, its user is one systemd-sysusers creates,
# and the command line it runs with the shipped example.conf starts vnicemu, which reloads its
# keys on SIGHUP (ExecReload) and stops cleanly on SIGTERM.
#
#   systemd.sh BUILT_UNIT VNICEMU MANDIR SOURCE_DIR
# Exit 77 (skipped) without systemd-analyze.
set -uo pipefail

unit=$1 vnicemu=$(realpath "$2") mandir=$3 src=$4
command -v systemd-analyze >/dev/null || {
	echo "skipped: no systemd-analyze"
	exit 77
}
work=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# 1. verify: the unit as installed, its ExecStart pointed at this build's vnicemu (verify checks
# that the program exists), its man pages found through MANPATH.
exec_line=$(grep '^ExecStart=' "$unit") || fail "$unit has no ExecStart="
installed=$(sed -E 's/^ExecStart=([^ ]+) .*/\1/' <<<"$exec_line")
[[ $installed == /*/vnicemu ]] || fail "ExecStart runs '$installed', not an absolute path to vnicemu"
sed "s|^ExecStart=$installed |ExecStart=$vnicemu |" "$unit" >"$work/vnicemu@.service"
mkdir -p "$work/man/man8"
cp "$mandir/vnicemu.8" "$mandir/vnicctl.8" "$work/man/man8/"
out=$(cd "$work" && MANPATH=$work/man systemd-analyze verify --man=yes "$work/vnicemu@test.service" 2>&1)
rc=$?
[ $rc -eq 0 ] && [ -z "$out" ] || fail "systemd-analyze verify (exit $rc):"$'\n'"$out"

# 2. security: the score, and the same number in docs/install.md.
sec=$(systemd-analyze security --offline=yes "$work/vnicemu@test.service" 2>&1)
score=$(sed -nE 's/.*Overall exposure level for vnicemu@test.service: ([0-9.]+).*/\1/p' <<<"$sec")
[ -n "$score" ] || fail "systemd-analyze security printed no score:"$'\n'"$sec"
echo "# systemd-analyze security: exposure $score"
grep -q "exposure level $score " "$src/docs/install.md" ||
	fail "docs/install.md does not state the exposure level $score (systemd-analyze security" \
		"--offline=yes gives it; update the number there)"

# 3. The user: systemd-sysusers creates it in an empty root.
if command -v systemd-sysusers >/dev/null; then
	mkdir -p "$work/root/etc"
	systemd-sysusers --root="$work/root" "$src/systemd/vnicemu.sysusers" >/dev/null 2>&1 ||
		fail "systemd-sysusers rejects systemd/vnicemu.sysusers"
	user=$(sed -n 's/^User=//p' "$unit")
	grep -q "^$user:" "$work/root/etc/passwd" ||
		fail "the unit runs as '$user', which vnicemu.sysusers does not create"
fi

# 4. The example configuration, as systemd expands ExecStart with it: GUEST and WIRE become one
# word each, $OPTIONS splits at blanks. The ports and the key file are replaced by ones that
# exist here (ptp:// ports need no switch); everything else is the example's.
conf=$src/systemd/example.conf
for v in GUEST WIRE OPTIONS; do
	grep -q "^$v=" "$conf" || fail "example.conf does not set $v, which the unit uses"
	grep -qE "\\\$\\{?$v\\}?" <<<"$exec_line" || fail "the unit does not use $v"
done
if grep -qa __asan_init "$vnicemu"; then
	# libvdeplug's RTLD_DEEPBIND is refused by AddressSanitizer (reference/vde.md)
	echo "vnicemu@.service: verify clean, exposure $score (AddressSanitizer build: not started)"
	exit 0
fi
options=$(sed -n 's/^OPTIONS=//p' "$conf")
keyfile=$(grep -oE -- '--key-file [^ ]+' <<<"$options" | cut -d' ' -f2)
[ -n "$keyfile" ] || fail "example.conf's OPTIONS has no --key-file"
printf '192.0.2.0/24 example-secret\n' >"$work/keys"
chmod 600 "$work/keys"
read -ra words <<<"${options//$keyfile/$work/keys}"
"$vnicemu" run --guest "ptp://$work/g" --wire "ptp://$work/w" --control "$work/ctl" "${words[@]}" \
	>"$work/out" 2>"$work/err" &
pid=$!
for _ in $(seq 50); do
	[ -S "$work/ctl" ] && break
	sleep 0.1
done
[ -S "$work/ctl" ] || fail "vnicemu with example.conf's options did not start: $(cat "$work/err")"
kill -HUP "$pid"
sleep 0.3
kill -0 "$pid" 2>/dev/null || fail "vnicemu did not survive SIGHUP (ExecReload): $(cat "$work/err")"
grep -q "SIGHUP: reloaded 1 keys from $work/keys" "$work/err" ||
	fail "SIGHUP (ExecReload) did not reload the key file: $(cat "$work/err")"
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
[ $rc -eq 0 ] || fail "vnicemu exited $rc on SIGTERM: $(cat "$work/err")"
grep -q 'example-secret' "$work/out" "$work/err" && fail "the key appeared in vnicemu's output"
echo "vnicemu@.service: verify clean, exposure $score, example.conf starts vnicemu, SIGHUP reloads"
