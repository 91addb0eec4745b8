#!/usr/bin/env bash
# An installed vnicemu works on its own: its data in the installed places, no environment
# variable, run from outside the checkout.
#
#   install.sh SOURCE_DIR            configure, build and `cmake --install` a fresh tree into a
#                                    temporary prefix (built without the source tree in its
#                                    profile search path, as a package is), then check it
#   install.sh --installed PREFIX    check what is installed under PREFIX (e.g. /usr, after
#                                    installing the Debian package: tools/package does)
#
# Checks, from a directory outside the checkout: `vnicemu profiles` finds every profile, each
# in PREFIX's data directory; every installed scenario holds with `vnicemu repro`; every man
# page renders with `man -l` without a warning; systemd-analyze verify accepts the installed
# unit; the completion, the sysusers file and the docs are in place.
set -uo pipefail

fails=0
fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ "${1-}" = --installed ]; then
	prefix=$2
else
	src=$(realpath "$1")
	prefix=$work/prefix
	cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF \
		-DVNICEMU_SOURCE_DATA=OFF -DCMAKE_INSTALL_PREFIX="$prefix" >"$work/log" 2>&1 &&
		cmake --build "$work/build" -j2 >>"$work/log" 2>&1 &&
		cmake --install "$work/build" >>"$work/log" 2>&1 || {
		cat "$work/log" >&2
		echo "FAIL: configure, build or install into $prefix" >&2
		exit 1
	}
	# the program must not look into the source tree for data
	for d in profiles paths; do
		if grep -qaF "$src/$d" "$prefix/bin/vnicemu"; then
			fail "the installed vnicemu searches $src/$d"
		fi
	done
fi
data=$prefix/share/vnicemu
[ "$prefix" = /usr ] && unitdir=/lib/systemd/system || unitdir=$prefix/lib/systemd/system
unset VNICEMU_PROFILE_PATH VNICEMU_PATH_PATH VNICEMU_CONTROL
mkdir -p "$work/elsewhere"
cd "$work/elsewhere" || exit 2

for f in bin/vnicemu bin/vnicctl share/bash-completion/completions/vnicemu \
	share/bash-completion/completions/vnicctl lib/sysusers.d/vnicemu.conf; do
	[ -e "$prefix/$f" ] || fail "not installed: $prefix/$f"
done
[ -e "$unitdir/vnicemu@.service" ] || fail "not installed: $unitdir/vnicemu@.service"
for f in README.md install.md examples/example.conf; do # a package compresses some
	[ -e "$prefix/share/doc/vnicemu/$f" ] || [ -e "$prefix/share/doc/vnicemu/$f.gz" ] ||
		fail "not installed: $prefix/share/doc/vnicemu/$f"
done

# the unit as installed: its ExecStart and Documentation= pages resolve
if command -v systemd-analyze >/dev/null && [ -e "$unitdir/vnicemu@.service" ]; then
	w=$(MANPATH=$prefix/share/man systemd-analyze verify --man=yes "$unitdir/vnicemu@smoke.service" 2>&1) ||
		fail "systemd-analyze verify $unitdir/vnicemu@.service: $w"
	[ -z "$w" ] || fail "systemd-analyze verify $unitdir/vnicemu@.service warns: $w"
fi

# profiles: the installed program finds them all in the installed data directory
out=$("$prefix/bin/vnicemu" profiles) || fail "vnicemu profiles failed"
want=$(cd "$data/profiles" && ls -- *.ini | sed 's/\.ini$//' | sort)
got=$(awk '/^[a-z0-9_-]+ / { print $1 }' <<<"$out" | sort)
[ -n "$want" ] && [ "$want" = "$got" ] ||
	fail "vnicemu profiles lists [$(echo $got)], the data directory holds [$(echo $want)]"
while read -r file; do
	[[ $file == "$data/profiles/"* ]] || fail "vnicemu profiles found $file, outside $data/profiles"
done < <(sed -n 's/^  file: //p' <<<"$out")

# paths: the installed program finds them all in the installed data directory
want_paths=$(cd "$data/paths" && ls -- *.ini | sed 's/\.ini$//' | sort)
got_paths=$("$prefix/bin/vnicemu" --list-paths | sort)
[ -n "$want_paths" ] && [ "$want_paths" = "$got_paths" ] ||
	fail "vnicemu --list-paths lists [$(echo $got_paths)], the data directory holds [$(echo $want_paths)]"

# scenarios: each holds, by its absolute path and by a relative one from its directory
n=0
for sc in "$data"/scenarios/*.ini; do
	n=$((n + 1))
	"$prefix/bin/vnicemu" repro "$sc" >"$work/repro" 2>&1 ||
		fail "vnicemu repro $sc: $(cat "$work/repro")"
done
[ "$n" -gt 0 ] || fail "no scenario installed in $data/scenarios"
sc=$(ls "$data"/scenarios/*.ini | head -n 1)
(cd "$data/scenarios" && "$prefix/bin/vnicemu" repro "./$(basename "$sc")" >/dev/null 2>&1) ||
	fail "vnicemu repro ./$(basename "$sc") from $data/scenarios"

# man pages: installed (compressed or not), each renders without a warning
m=0
for page in man8/vnicemu.8 man8/vnicctl.8 man5/vnicemu-keys.5 man5/vnicemu-profile.5 \
	man5/vnicemu-scenario.5 man5/vnicemu-path.5; do
	f=$(ls "$prefix/share/man/$page" "$prefix/share/man/$page.gz" 2>/dev/null | head -n 1)
	if [ -z "$f" ]; then
		fail "man page not installed: $prefix/share/man/$page"
		continue
	fi
	m=$((m + 1))
	w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$f" 2>&1 >/dev/null)
	[ -z "$w" ] || fail "man -l $f warns: $w"
	LC_ALL=C.UTF-8 man -l "$f" 2>/dev/null | grep -q "NAME" || fail "man -l $f shows nothing"
done
if [ "$fails" -ne 0 ]; then
	echo "install: $fails problem(s) in $prefix" >&2
	exit 1
fi
echo "install: $prefix: $(wc -l <<<"$want") profiles and $(wc -l <<<"$want_paths") paths found there, $n scenarios hold, $m man pages render"
