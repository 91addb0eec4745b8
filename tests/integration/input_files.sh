#!/usr/bin/env bash
# Input files a user names (profiles, paths, scenarios, key files) must be regular files of at
# most 1 MiB (issue 11 item 4): /dev/zero, a FIFO nobody writes, a directory and a 2 MiB file
# are each refused at once, with one line naming the file and exit 2 — never a hang (each run
# has 10 s; a hang is exit 124). The live daemon's `vnicctl profile` is in control.sh.
#   input_files.sh VNICEMU SCENARIOS
set -uo pipefail
vnicemu=$(realpath "$1")
sc=$(realpath "$2")
. "$(dirname "$0")/lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 2

mkfifo -m 0600 fifo.ini
mkdir dir.ini
head -c $((2 << 20)) /dev/zero | tr '\0' '#' >big.ini
cap="$sc/esx35-vmxnet2-quagga.pcap"

# refused WANT ARGS...: vnicemu ARGS exits 2 within 10 s with one line containing WANT
refused() {
	local want=$1 err rc
	shift
	err=$(timeout 10 "$vnicemu" "$@" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" -eq 2 ] && [ "$(wc -l <<<"$err")" -eq 1 ] && grep -qF -- "$want" <<<"$err"; then
		t_ok "$* -> $err"
	else
		t_fail "$*: exit $rc, '$err' (wanted exit 2 and one line with '$want')"
	fi
}

for f in /dev/zero ./fifo.ini ./dir.ini ./big.ini; do
	case $f in
	/dev/zero) why="$f: is a character device, not a regular file" ;;
	./fifo.ini) why="$f: is a FIFO, not a regular file" ;;
	./dir.ini) why="$f: is a directory" ;;
	./big.ini) why="$f: larger than 1 MiB" ;;
	esac
	refused "$why" replay "$cap" --profile "$f"
	refused "$why" replay "$cap" --path "$f"
	refused "$why" replay "$cap" --key-file "$f"
	refused "$why" verify "$cap" --key-file "$f"
	refused "$why" diff "$cap" "$cap" --key-file "$f"
	refused "$why" repro "$f"
	# the live device refuses before it opens a port (so this runs under ASan too)
	refused "$why" run --guest null:// --wire null:// --profile "$f"
	refused "$why" run --guest null:// --wire null:// --key-file "$f"
done

# files a scenario names are input files too
printf '[scenario]\ncapture = %s\nprofile = ./fifo.ini\n[expect]\nculprit = tso\n' "$cap" >sc1.ini
refused "./fifo.ini: is a FIFO, not a regular file" repro sc1.ini
printf '[scenario]\ncapture = %s\nkey-file = /dev/zero\n[expect]\nculprit = tso\n' "$cap" >sc2.ini
refused "/dev/zero: is a character device, not a regular file" repro sc2.ini

# a FIFO found by name in the search path is refused the same way, and so is a listing of it
mkdir prof
mkfifo -m 0600 prof/stuck.ini
# the shipped profiles named too: a package build finds none of its own before installing
export VNICEMU_PROFILE_PATH=$work/prof:$(dirname "$sc")/profiles
refused "prof/stuck.ini: is a FIFO, not a regular file" replay "$cap" --profile stuck
out=$(timeout 10 "$vnicemu" profiles 2>&1)
rc=$?
if [ "$rc" -ne 124 ] && grep -q '^vmxnet2' <<<"$out"; then
	t_ok "vnicemu profiles skips a FIFO in the search path (exit $rc)"
else
	t_fail "vnicemu profiles with a FIFO in the search path: exit $rc, '$out'"
fi
unset VNICEMU_PROFILE_PATH

# exactly 1 MiB is a file like any other (here: a syntax error on its first line, not a refusal)
head -c $((1 << 20)) /dev/zero | tr '\0' 'x' >edge.ini
refused "./edge.ini:1: " replay "$cap" --profile ./edge.ini
t_done
