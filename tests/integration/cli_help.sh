#!/usr/bin/env bash
# One way to ask for help everywhere (issue 11 item 22): `vnicemu CMD -h`, `vnicemu CMD --help`
# and `vnicemu help CMD` print the same text on stdout, exit 0; `vnicemu --version` and
# `vnicctl --version` print the version; a wrong `help` is one line, exit 2.
#
#   cli_help.sh VNICEMU VNICCTL
set -uo pipefail
VNICEMU=$1
VNICCTL=$2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cmds=$("$VNICEMU" --help | awk '/^Commands:/ { on = 1; next } on && /^$/ { on = 0 } on && /^  [a-z]/ { print $1 }')
[ "$(wc -w <<<"$cmds")" -ge 6 ] && t_ok "vnicemu --help lists $(tr '\n' ' ' <<<"$cmds")" ||
	t_fail "vnicemu --help lists no commands"
for c in $cmds; do
	"$VNICEMU" "$c" --help >"$tmp/long" 2>"$tmp/err1"
	r1=$?
	"$VNICEMU" "$c" -h >"$tmp/short" 2>"$tmp/err2"
	r2=$?
	"$VNICEMU" help "$c" >"$tmp/help" 2>"$tmp/err3"
	r3=$?
	if [ $r1$r2$r3 = 000 ] && grep -q "^Usage: vnicemu $c" "$tmp/long" &&
		cmp -s "$tmp/long" "$tmp/short" && cmp -s "$tmp/long" "$tmp/help" &&
		! [ -s "$tmp/err1" ] && ! [ -s "$tmp/err2" ] && ! [ -s "$tmp/err3" ]; then
		t_ok "vnicemu $c -h, --help and vnicemu help $c: the same usage, exit 0"
	else
		t_fail "vnicemu $c: rc $r1/$r2/$r3, $(head -2 "$tmp/short" "$tmp/help" "$tmp/err2" "$tmp/err3")"
	fi
done

ver() { # WANT-PATTERN PROGRAM ARG...
	local want=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && grep -qxE "$want" <<<"$out"; then
		t_ok "$(basename "$1") ${*:2}: $out"
	else
		t_fail "$(basename "$1") ${*:2}: rc $rc, $out"
	fi
}
ver 'vnicemu [0-9]+\.[0-9]+\.[0-9]+' "$VNICEMU" --version
ver 'vnicctl [0-9]+\.[0-9]+\.[0-9]+' "$VNICCTL" --version
[ "$("$VNICEMU" --version | cut -d' ' -f2)" = "$("$VNICCTL" --version | cut -d' ' -f2)" ] &&
	t_ok "vnicemu and vnicctl report the same version" || t_fail "versions differ"

"$VNICEMU" help frobnicate >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q "unknown command 'frobnicate'" "$tmp/err" &&
	! [ -s "$tmp/out" ] && t_ok "vnicemu help frobnicate: $(cat "$tmp/err")" ||
	t_fail "help of an unknown command: rc $rc, $(cat "$tmp/err" "$tmp/out")"
"$VNICEMU" help verify replay >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && t_ok "vnicemu help verify replay: $(cat "$tmp/err")" ||
	t_fail "help of two commands: rc $rc, $(cat "$tmp/err" "$tmp/out")"
"$VNICEMU" help >"$tmp/out" 2>&1 && grep -q "^Commands:" "$tmp/out" && t_ok "vnicemu help: the commands" ||
	t_fail "vnicemu help: $(cat "$tmp/out")"
t_done
