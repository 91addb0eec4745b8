#!/usr/bin/env bash
# Bash completion for vnicemu and vnicctl: source the script, ask for completions the way bash
# does (COMP_LINE, COMP_POINT, COMP_WORDS, COMP_CWORD, then the registered function), and
# check COMPREPLY against what the programs themselves print.
#
#   completion.sh COMPLETION_SCRIPT VNICEMU VNICCTL
set -uo pipefail

script=$(realpath "$1") vnicemu=$(realpath "$2") vnicctl=$(realpath "$3")
fails=0 checks=0
work=$(mktemp -d)
daemon=
cleanup() {
	[ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

# The programs as a user runs them: by name, from PATH.
mkdir -p "$work/bin" "$work/cwd/sub"
ln -s "$(realpath "$vnicemu")" "$work/bin/vnicemu"
ln -s "$(realpath "$vnicctl")" "$work/bin/vnicctl"
export PATH=$work/bin:$PATH
cd "$work/cwd" || exit 2
touch a.pcap b.pcapng notes.txt my.ini sub/c.pcap

# shellcheck source=/dev/null
source "$script" || {
	echo "FAIL: cannot source $script" >&2
	exit 1
}

# complete LINE: COMPREPLY for the cursor at the end of LINE, one per line, sorted.
complete_line() {
	local line=$1 fn
	COMP_LINE=$line
	COMP_POINT=${#line}
	# bash splits words at blanks and at COMP_WORDBREAKS characters
	local IFS=$' \t\n'
	read -ra COMP_WORDS <<<"$(sed -E 's/([=:])/ \1 /g' <<<"$line")"
	[[ $line == *' ' || $line == *[=:] ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	fn=$(complete -p "${COMP_WORDS[0]}" 2>/dev/null | sed -nE 's/.*-F ([^ ]+) .*/\1/p')
	[ -n "$fn" ] || {
		echo "(no completion registered for ${COMP_WORDS[0]})"
		return
	}
	COMPREPLY=()
	"$fn" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}" 2>/dev/null
	[ ${#COMPREPLY[@]} -eq 0 ] || printf '%s\n' "${COMPREPLY[@]}" | sort -u
}
# expect LINE WORD...: the completions are exactly WORDs (any order).
expect() {
	local line=$1 got want
	shift
	checks=$((checks + 1))
	got=$(complete_line "$line")
	want=$(printf '%s\n' "$@" | sed '/^$/d' | sort -u)
	if [ "$got" != "$want" ]; then
		echo "FAIL: '$line<TAB>': expected [$(tr '\n' ' ' <<<"$want")] got [$(tr '\n' ' ' <<<"$got")]" >&2
		fails=$((fails + 1))
	fi
}
# expect_has LINE WORD...: the completions include every WORD.
expect_has() {
	local line=$1 got w
	shift
	checks=$((checks + 1))
	got=$(complete_line "$line")
	for w in "$@"; do
		if ! grep -qxF -- "$w" <<<"$got"; then
			echo "FAIL: '$line<TAB>': expected '$w' among [$(tr '\n' ' ' <<<"$got")]" >&2
			fails=$((fails + 1))
		fi
	done
}

# What the programs print, to compare with (independent of the script's own parsing).
commands=$(vnicemu --help | sed -n '/^Commands:/,/^$/p' | awk '/^  [a-z]/ { print $1 }')
profiles=$(vnicemu profiles | awk '/^[a-z0-9_-]+ / { print $1 }')
ctl_commands=$(vnicctl --help | sed -n '/^Commands:/,/^$/p' | awk '/^  [a-z]/ { print $1 }')
[ -n "$commands" ] && [ -n "$profiles" ] && [ -n "$ctl_commands" ] || {
	echo "FAIL: the programs printed no commands or profiles" >&2
	exit 1
}

# vnicemu: commands, options per command, option arguments, positional files.
expect "vnicemu " $commands
expect "vnicemu rep" $(grep '^rep' <<<"$commands")
expect "vnicemu help " $commands
expect "vnicemu help re" $(grep '^re' <<<"$commands")
expect "vnicemu help repro "
expect "vnicemu verify --" --key --key-file --isn --json --list --fail-on-invalid --jobs \
	--interface --filter --count --duration --user --strict
expect_has "vnicemu verify --interface " lo
expect_has "vnicemu verify --interface lo --user " root
expect "vnicemu diff --k" --key --key-file
expect "vnicemu repro --" --verbose
expect "vnicemu replay --pro" --profile
expect "vnicemu replay --profile " $profiles my.ini sub
expect "vnicemu run --profile vmx" $(grep '^vmx' <<<"$profiles")
expect "vnicemu verify " a.pcap b.pcapng sub
expect "vnicemu verify --json sub/" sub/c.pcap
expect "vnicemu diff a.pcap " a.pcap b.pcapng sub
expect "vnicemu repro " my.ini sub
expect "vnicemu replay --out " sub
expect "vnicemu run --key-file no" notes.txt
expect "vnicemu replay a.pcap --set scatter-gather=" on off
expect_has "vnicemu replay --set t" tso.md5= tso.flags= tcp-segmentation-offload= tx-checksumming=
expect_has "vnicemu run --set tso.md5=" copy
expect_has "vnicemu run --guest " vde:// ptp:// tap://
expect "vnicemu run --wire vde://$work/cwd/su" "//$work/cwd/sub"
# path names from the program's own --list-paths, after any already given
paths=$(vnicemu --list-paths)
expect "vnicemu replay a.pcap --path " $paths
expect "vnicemu run --path asa,n" $(grep '^n' <<<"$paths" | sed 's/^/asa,/')

# Values come from the program: every value offered for a quirk is one it prints, from its
# hidden lists (docs/install.md) of every feature and quirk the registry has.
lists=$(vnicemu --list-quirks)
[ -n "$lists" ] && [ -n "$(vnicemu --list-features)" ] || {
	echo "FAIL: vnicemu --list-quirks or --list-features printed nothing" >&2
	exit 1
}
expect "vnicemu replay --set tso.md5=" $(awk '$1 == "tso.md5" { $1 = ""; print }' <<<"$lists")
expect "vnicemu replay --set tso.flags=q" qemu
expect "vnicemu replay --set sg.max_frags=" ""
# a value no profile sets, and the path elements' features and quirks, none of which
# 'vnicemu profiles' shows
expect "vnicemu replay --set seqrand.sides=" both guest peer
expect "vnicemu run --set seqr" seqrand= seqrand.flows= seqrand.offset= seqrand.sack= seqrand.seed= \
	seqrand.sides=
expect "vnicemu run --set tcp-sequence-randomization=" on off

# A vnicemu without the lists (an older one): features and quirks from 'vnicemu profiles'.
mkdir -p "$work/shim"
cat >"$work/shim/vnicemu" <<EOF
#!/bin/sh
case "\$1" in
--list-features | --list-quirks) exit 2 ;;
*) exec "$(realpath "$vnicemu")" "\$@" ;;
esac
EOF
chmod +x "$work/shim/vnicemu"
PATH=$work/shim:$PATH
expect "vnicemu replay --set tso.md5=" $(vnicemu profiles | grep -oE 'tso\.md5=[a-z0-9]+' | sed 's/.*=//' | sort -u)
expect "vnicemu replay --set scatter-gather=" on off
expect_has "vnicemu replay --set t" tso.md5= tso.flags= tcp-segmentation-offload= tx-checksumming=
PATH=${PATH#"$work/shim:"}

# vnicctl: commands, options, arguments per command.
expect "vnicctl " $ctl_commands
expect "vnicctl -" -s --socket -h --help --version
expect "vnicctl -s sub/" sub/c.pcap
expect "vnicctl profile " $profiles
expect "vnicctl stats -" --json
expect "vnicctl set sg " on off
expect_has "vnicctl set tso.md5 " copy
expect_has "vnicctl set " scatter-gather tcp-segmentation-offload tso.md5
expect "vnicctl -s sock set tso off tx-" tx-checksumming

# vnicctl set with a running vnicemu: the feature names come from the daemon (`vnicctl show`)
# even where the vnicemu on PATH lists nothing. ptp:// ports need no switch and no privilege.
# An AddressSanitizer build cannot open VDE ports (libvdeplug's RTLD_DEEPBIND, see
# reference/vde.md): that check is left to the other builds.
if grep -qa __asan_init "$vnicemu"; then
	echo "# AddressSanitizer build: the running-vnicemu check is skipped"
	echo "completion: $checks checks, $fails failed"
	[ "$fails" -eq 0 ]
	exit
fi
vnicemu run --guest "ptp://$work/g" --wire "ptp://$work/w" --control "$work/ctl" >/dev/null 2>&1 &
daemon=$!
for _ in $(seq 50); do
	[ -S "$work/ctl" ] && break
	sleep 0.1
done
mkdir -p "$work/ctlonly"
ln -s "$(realpath "$vnicctl")" "$work/ctlonly/vnicctl"
printf '#!/bin/sh\nexit 2\n' >"$work/ctlonly/vnicemu"
chmod +x "$work/ctlonly/vnicemu"
live=$(vnicctl -s "$work/ctl" show | sed -n 's/^\([a-z-]*\):.*/\1/p')
[ -n "$live" ] || {
	echo "FAIL: the daemon's vnicctl show printed no features" >&2
	fails=$((fails + 1))
}
PATH=$work/ctlonly:$PATH expect "vnicctl -s $work/ctl set " $live

echo "completion: $checks checks, $fails failed"
[ "$fails" -eq 0 ]
