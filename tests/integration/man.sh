#!/usr/bin/env bash
# The man pages: every page renders without a single groff or man warning, and the options the
# programs know and the options their pages document are the same set.
#
#   man.sh MANDIR VNICEMU VNICCTL
# MANDIR is the build's docs/man, or an installed man directory (man5/, man8/, pages gzipped).
#
# * Every option token in `vnicemu --help` must be a term of vnicemu(8) OPTIONS; every one in
#   `vnicemu CMD --help` a term of COMMANDS > CMD; every one in `vnicctl --help` a term of
#   vnicctl(8) (OPTIONS or COMMANDS). The commands `--help` lists and the page's are the same.
# * Every option a page gives as a term must be one the program accepts: listed by its --help,
#   or, when not listed there, not answered with "unknown option" when given to it.
# * Every quirk the program reports must be a term of vnicemu-profile(5) QUIRKS.
# Each failure says which option is missing where, so whoever adds an option documents it.
set -uo pipefail

mandir=$1 vnicemu=$2 vnicctl=$3
src=docs/man # where the sources live, for the messages
fails=0
fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}

pages=(vnicemu.8 vnicctl.8 vnicemu-keys.5 vnicemu-profile.5 vnicemu-scenario.5 vnicemu-path.5)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. Rendering: groff with all warnings, and man as lintian runs it, at 80 columns.
for p in "${pages[@]}"; do
	f=$work/$p
	for c in "$mandir/$p" "$mandir/man${p##*.}/$p"; do
		if [ -s "$c" ]; then
			cp "$c" "$f"
		elif [ -s "$c.gz" ]; then
			gzip -dc "$c.gz" >"$f"
		fi
	done
	[ -s "$f" ] || {
		fail "$p: not found in $mandir"
		continue
	}
	w=$(groff -ww -z -man -Tutf8 "$f" 2>&1 >/dev/null)
	[ -z "$w" ] || fail "$p: groff warns:"$'\n'"$w"
	if command -v man >/dev/null; then
		w=$(LC_ALL=C.UTF-8 MANWIDTH=80 MANROFFSEQ='' man --warnings -E UTF-8 -l -Tutf8 -Z "$f" 2>&1 >/dev/null)
		[ -z "$w" ] || fail "$p: man --warnings warns:"$'\n'"$w"
	fi
done

# The terms of a scdoc page: the line before each ".RS 4" that is not a request, printed as
# "SECTION<TAB>SUBSECTION<TAB>term text with fonts removed".
terms() {
	awk '
		/^\.SH / { sh = substr($0, 5); gsub(/"/, "", sh); ss = ""; prev = ""; next }
		/^\.SS / { ss = substr($0, 5); gsub(/"/, "", ss); prev = ""; next }
		/^\.RS 4$/ { if (prev != "" && prev !~ /^\./) print sh "\t" ss "\t" prev; prev = ""; next }
		{ prev = $0 }
	' "$1" | sed -e 's/\\f[BIRP]//g' -e 's/\\&//g' -e 's/\\-/-/g'
}
# The subsections of section $2 of page $1.
subsections() {
	awk -v want="$2" '
		/^\.SH / { sh = substr($0, 5); gsub(/"/, "", sh); next }
		/^\.SS / && sh == want { ss = substr($0, 5); gsub(/"/, "", ss); print ss }
	' "$1"
}
# Option tokens (-x, --long-name) in text; spans quoted with ` or ' are references to other
# commands, not this one's options.
options_in() {
	sed -e "s/\`[^\`]*\`//g" -e "s/'[^']*'//g" |
		grep -oE '(^|[][[:space:]|(,])--?[A-Za-z][A-Za-z0-9-]*' | sed -E 's/^[^-]*//' | sort -u
}
# The options a --help lists: those in its usage synopsis (the "Usage:" line and the lines
# indented 6 or more under it), those starting a line, and those in [brackets]. Others in the
# prose ("like tcpdump -M", "ethtool -K style") are other programs' options.
help_options() {
	awk '
		/^Usage:/ { usage = 1; print; next }
		usage && /^      / { print; next }
		{ usage = 0 }
		/^[[:space:]]*-/ { sub(/^[[:space:]]*/, ""); split($0, w, /[[:space:]]/); print w[1] }
		{ while (match($0, /\[[^]]*\]/)) { print substr($0, RSTART, RLENGTH); $0 = substr($0, RSTART + RLENGTH) } }
	' | options_in
}
# The commands a --help lists: "  NAME  description" lines after "Commands:".
commands_in() {
	awk '/^Commands:/ { on = 1; next } on && /^$/ { on = 0 } on && /^  [a-z]/ { print $1 }'
}
# Does PROGRAM [CMD] accept OPTION? Given alone, an unknown one is answered "unknown option"
# (or "unexpected argument"/"unknown command" where a command takes no options at all).
accepts() {
	local opt=${*: -1} out
	out=$(cd / && timeout 10 "$@" 2>&1 </dev/null)
	! grep -qE "(unknown option|unexpected argument|unknown command) '$opt'" <<<"$out"
}

# 2. vnicemu(8) against vnicemu and its commands.
page=$work/vnicemu.8
vt=$(terms "$page")
term_opts() { # terms of section $1 (and subsection $2) -> option tokens
	awk -F'\t' -v sh="$1" -v ss="${2-}" '$1 == sh && $2 == ss { print $3 }' <<<"$3" | options_in
}
help=$("$vnicemu" --help) || fail "vnicemu --help failed"
page_opts=$(term_opts OPTIONS "" "$vt")
for o in $(help_options <<<"$help"); do
	grep -qxF -- "$o" <<<"$page_opts" ||
		fail "vnicemu.8: 'vnicemu --help' lists $o, but OPTIONS has no term for it" \
			"(add '*$o*' with an indented description to $src/vnicemu.8.scd)"
done
for o in $page_opts; do
	grep -qxF -- "$o" <<<"$(help_options <<<"$help")" || accepts "$vnicemu" "$o" ||
		fail "vnicemu.8: OPTIONS documents $o, which vnicemu does not accept"
done
cmds=$(commands_in <<<"$help")
[ -n "$cmds" ] || fail "vnicemu --help lists no commands"
page_cmds=$(subsections "$page" COMMANDS)
for c in $page_cmds; do
	grep -qxF "$c" <<<"$cmds" ||
		fail "vnicemu.8: COMMANDS has a subsection '$c', which 'vnicemu --help' does not list"
done
for c in $cmds; do
	if ! grep -qxF "$c" <<<"$page_cmds"; then
		fail "vnicemu.8: 'vnicemu --help' lists the command $c, but COMMANDS has no" \
			"subsection for it (add '## $c' with its options to $src/vnicemu.8.scd)"
		continue
	fi
	chelp=$("$vnicemu" "$c" --help) || fail "vnicemu $c --help failed"
	copts=$(help_options <<<"$chelp" | grep -vxE -- '--help|-h')
	page_copts=$(term_opts COMMANDS "$c" "$vt")
	for o in $copts; do
		grep -qxF -- "$o" <<<"$page_copts" ||
			fail "vnicemu.8: 'vnicemu $c --help' lists $o, but COMMANDS > $c has no term for" \
				"it (add '*$o* _ARG_' with an indented description under '## $c' in" \
				"$src/vnicemu.8.scd)"
	done
	for o in $page_copts; do
		grep -qxF -- "$o" <<<"$copts" || accepts "$vnicemu" "$c" "$o" ||
			fail "vnicemu.8: COMMANDS > $c documents $o, which 'vnicemu $c' does not accept"
	done
done

# 3. vnicctl(8) against vnicctl.
page=$work/vnicctl.8
ct=$(terms "$page")
help=$("$vnicctl" --help) || fail "vnicctl --help failed"
page_opts=$(awk -F'\t' '$1 == "OPTIONS" || $1 == "COMMANDS" { print $3 }' <<<"$ct" | options_in)
for o in $(help_options <<<"$help"); do
	grep -qxF -- "$o" <<<"$page_opts" ||
		fail "vnicctl.8: 'vnicctl --help' lists $o, but neither OPTIONS nor COMMANDS has a" \
			"term for it (add one to $src/vnicctl.8.scd)"
done
for o in $(awk -F'\t' '$1 == "OPTIONS" { print $3 }' <<<"$ct" | options_in); do
	grep -qxF -- "$o" <<<"$(help_options <<<"$help")" || accepts "$vnicctl" "$o" ||
		fail "vnicctl.8: OPTIONS documents $o, which vnicctl does not accept"
done
cmds=$(commands_in <<<"$help")
[ -n "$cmds" ] || fail "vnicctl --help lists no commands"
page_cmds=$(awk -F'\t' '$1 == "COMMANDS" { split($3, w, " "); print w[1] }' <<<"$ct")
for c in $cmds; do
	grep -qxF "$c" <<<"$page_cmds" ||
		fail "vnicctl.8: 'vnicctl --help' lists the command $c, but COMMANDS has no term for it"
done
for c in $page_cmds; do
	grep -qxF "$c" <<<"$cmds" ||
		fail "vnicctl.8: COMMANDS documents '$c', which 'vnicctl --help' does not list"
done

# 4. Quirks: the program's own list when it has one, else those the profiles set. Path
# elements' parameters are documented in vnicemu-path(5) PARAMETERS (several to a term).
page_quirks=$( {
	terms "$work/vnicemu-profile.5" | awk -F'\t' '$1 == "QUIRKS" { print $3 }'
	terms "$work/vnicemu-path.5" | awk -F'\t' '$1 == "PARAMETERS" { print $3 }' | sed 's/, /\n/g'
} | awk '{ print $1 }' | sort -u)
if quirks=$("$vnicemu" --list-quirks 2>/dev/null) && [ -n "$quirks" ]; then
	quirks=$(awk '{ print $1 }' <<<"$quirks" | sort -u)
	for q in $page_quirks; do
		grep -qxF "$q" <<<"$quirks" ||
			fail "vnicemu-profile.5: QUIRKS documents $q, which 'vnicemu --list-quirks' does not list"
	done
else
	quirks=$("$vnicemu" profiles | sed -n 's/^  quirks: //p' | tr ' ' '\n' | sed 's/=.*//' | sort -u)
fi
[ -n "$quirks" ] || fail "found no quirk names to check vnicemu-profile(5) against"
for q in $quirks; do
	grep -qxF "$q" <<<"$page_quirks" ||
		fail "vnicemu-profile.5: the program knows the quirk $q, but QUIRKS has no term for it" \
			"(add '*$q* _VALUES_' to $src/vnicemu-profile.5.scd)"
done

if [ "$fails" -ne 0 ]; then
	echo "man pages: $fails problem(s)" >&2
	exit 1
fi
echo "man pages: ${#pages[@]} pages render cleanly; vnicemu's and vnicctl's options match their pages"
