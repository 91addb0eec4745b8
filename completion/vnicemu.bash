# bash completion for vnicemu and vnicctl                               -*- shell-script -*-
#
# Every name comes from the programs themselves, never from a list kept here: commands and
# options from their --help, profiles from `vnicemu profiles`, features and quirks (stage
# names are the first half of a quirk's) from `vnicemu --list-features` and `--list-quirks`
# (falling back to what `vnicemu profiles` prints when a vnicemu has no such lists), path
# elements from `vnicemu --list-paths`, the features of a running vnicemu from `vnicctl show`.
# Needs nothing from the bash-completion package.

# The words of the command line up to the cursor, split at blanks only (bash also splits at
# COMP_WORDBREAKS characters such as = and :, which --set tso.md5=copy and vde:// contain).
# Sets _vnm_words and _vnm_cur.
_vnicemu_split()
{
	local line=${COMP_LINE:0:COMP_POINT}
	read -ra _vnm_words <<<"$line"
	if [[ -z $line || $line == *[[:blank:]] ]]; then
		_vnm_words+=("")
	fi
	_vnm_cur=${_vnm_words[${#_vnm_words[@]} - 1]}
}

# COMPREPLY = the arguments that start with the current word, less the part of it before its
# last word-break character (bash replaces only the text after that).
_vnicemu_reply()
{
	local cur=$_vnm_cur pre="" c
	if [[ $cur == *[=:]* ]]; then
		local tail=${cur##*[=:]}
		local brk=${cur:$((${#cur} - ${#tail} - 1)):1}
		[[ $COMP_WORDBREAKS == *"$brk"* ]] && pre=${cur:0:$((${#cur} - ${#tail}))}
	fi
	for c in "$@"; do
		[[ $c == "$cur"* ]] && COMPREPLY+=("${c#"$pre"}")
	done
}

# Files: directories, and files whose names end in one of the given suffixes (all if none).
_vnicemu_files()
{
	local f s
	compopt -o filenames 2>/dev/null
	while IFS= read -r f; do
		if [[ -d $f ]]; then
			COMPREPLY+=("$f")
			continue
		fi
		[[ $# -eq 0 ]] && COMPREPLY+=("$f") && continue
		for s in "$@"; do
			[[ $f == *"$s" ]] && COMPREPLY+=("$f") && break
		done
	done < <(compgen -f -- "$_vnm_cur")
}

_vnicemu_dirs()
{
	compopt -o filenames 2>/dev/null
	mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -d -- "$_vnm_cur")
}

# The commands a --help lists ("  NAME  description" lines after "Commands:").
_vnicemu_commands()
{
	"$@" --help 2>/dev/null |
		awk '/^Commands:/ { on = 1; next } on && /^$/ { on = 0 } on && /^  [a-z]/ { print $1 }'
}

# The options a --help lists: in its usage synopsis ("Usage:" and the lines indented 6 or more
# under it), at the start of a line, and in [brackets]; not those in its prose ("like
# tcpdump -M"). Prints "OPTION ARG" for one followed by an upper-case word or NAME=VALUE,
# "OPTION -" for one without an argument.
_vnicemu_options()
{
	"$@" --help 2>/dev/null | awk '
		function opts(s,   t, w) {
			while (match(s, /(^|[][ \t|])--?[a-z][a-z0-9-]*( [A-Z][A-Za-z.=|]*| [a-z]+=[a-z]+)?/)) {
				t = substr(s, RSTART, RLENGTH)
				s = substr(s, RSTART + RLENGTH)
				sub(/^[^-]*/, "", t)
				split(t, w, " ")
				if (!(w[1] in a) || a[w[1]] == "-")
					a[w[1]] = w[2] == "" ? "-" : "ARG"
			}
		}
		/^Usage:/ { usage = 1; opts($0); next }
		usage && /^      / { opts($0); next }
		{ usage = 0 }
		/^[ \t]*-/ { l = $0; sub(/^[ \t]*/, "", l); sub(/  .*/, "", l); opts(l) }
		{
			l = $0
			while (match(l, /\[[^]]*\]/)) {
				b = substr(l, RSTART + 1, RLENGTH - 2)
				l = substr(l, RSTART + RLENGTH)
				opts(b)
			}
		}
		END { for (o in a) print o, a[o] }'
}

# Lists from the program: the hidden --list-KIND when this vnicemu has it, else what
# `vnicemu profiles` shows (profiles, features, quirks). Prints one name per line; for quirks
# "STAGE.PARAM VALUE...".
_vnicemu_list()
{
	local prog=$1 kind=$2 out
	if out=$("$prog" --list-"$kind" 2>/dev/null) && [[ -n $out ]]; then
		case $kind in
		features) awk '{ for (i = 1; i <= NF; i++) print $i }' <<<"$out" ;;
		*) printf '%s\n' "$out" ;;
		esac
		return
	fi
	"$prog" profiles 2>/dev/null | awk -v kind="$kind" '
		kind == "profiles" && /^[a-z0-9_-]+ / { print $1 }
		kind == "features" && /^  [a-z-]+: (on|off)/ { sub(/:.*/, ""); print $1 }
		kind == "quirks" && /^  quirks:/ {
			for (i = 2; i <= NF; i++) {
				split($i, kv, "=")
				if (!((kv[1], kv[2]) in seen)) v[kv[1]] = v[kv[1]] " " kv[2]
				seen[kv[1], kv[2]] = 1
			}
		}
		END { if (kind == "quirks") for (q in v) print q v[q] }' | sort -u
}

# Candidates for --set: FEATURE=on|off, STAGE.PARAM= and, once the name is typed,
# STAGE.PARAM=VALUE for its values.
_vnicemu_set()
{
	local prog=$1 f q line vals v
	if [[ $_vnm_cur == *=* ]]; then
		local name=${_vnm_cur%%=*}
		while read -r f; do
			[[ $f == "$name" ]] && _vnicemu_reply "$f=on" "$f=off"
		done < <(_vnicemu_list "$prog" features)
		while read -r q vals; do
			[[ $q == "$name" ]] || continue
			for v in $vals; do
				[[ $v == [A-Z]* ]] || _vnicemu_reply "$q=$v"
			done
		done < <(_vnicemu_list "$prog" quirks)
		return
	fi
	compopt -o nospace 2>/dev/null
	mapfile -t f < <(_vnicemu_list "$prog" features)
	mapfile -t q < <(_vnicemu_list "$prog" quirks | awk '{ print $1 }')
	_vnicemu_reply "${f[@]/%/=}" "${q[@]/%/=}"
}

_vnicemu()
{
	local prog=$1 cmd="" i w opts prev arg
	COMPREPLY=()
	_vnicemu_split
	local n=${#_vnm_words[@]}
	prev=${_vnm_words[n - 2]-}

	for ((i = 1; i < n - 1; i++)); do
		[[ ${_vnm_words[i]} == -* ]] && continue
		cmd=${_vnm_words[i]}
		break
	done
	if [[ -z $cmd ]]; then
		if [[ $_vnm_cur == -* ]]; then
			_vnicemu_reply $(_vnicemu_options "$prog" | awk '{ print $1 }')
		else
			_vnicemu_reply $(_vnicemu_commands "$prog")
		fi
		return 0
	fi

	if [[ $cmd == help ]]; then # vnicemu help COMMAND
		((n == i + 2)) && _vnicemu_reply $(_vnicemu_commands "$prog")
		return 0
	fi
	opts=$(_vnicemu_options "$prog" "$cmd")
	# the argument of an option
	arg=$(awk -v o="$prev" '$1 == o { print $2 }' <<<"$opts")
	if [[ $prev == -* && $arg == ARG ]]; then
		case $prev in
		--profile)
			_vnicemu_reply $(_vnicemu_list "$prog" profiles)
			_vnicemu_files .ini
			;;
		--set) _vnicemu_set "$prog" ;;
		--key-file | --report | --control) _vnicemu_files ;;
		--out | --capture) _vnicemu_dirs ;;
		--guest | --wire)
			# the URL schemes run --help names, then paths for those that take one
			if [[ $_vnm_cur == *://* ]]; then
				local scheme=${_vnm_cur%%://*} path=${_vnm_cur#*://}
				local _vnm_save=$_vnm_cur
				_vnm_cur=$path
				mapfile -t w < <(compgen -f -- "$path")
				_vnm_cur=$_vnm_save
				compopt -o nospace 2>/dev/null
				_vnicemu_reply "${w[@]/#/$scheme://}"
			else
				compopt -o nospace 2>/dev/null
				_vnicemu_reply $("$prog" "$cmd" --help 2>/dev/null | grep -oE '[a-z][a-z0-9-]*://' | sort -u)
			fi
			;;
		--path) # NAME[,NAME...]
			local done=${_vnm_cur%"${_vnm_cur##*,}"}
			compopt -o nospace 2>/dev/null
			_vnicemu_reply $("$prog" --list-paths 2>/dev/null | awk -v d="$done" '{ print d $1 }')
			;;
		--interface) _vnicemu_reply $(ls /sys/class/net 2>/dev/null) ;;
		--user) mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -u -- "$_vnm_cur") ;;
		esac
		return 0
	fi
	if [[ $_vnm_cur == -* ]]; then
		_vnicemu_reply $(awk '{ print $1 }' <<<"$opts")
		return 0
	fi
	case $cmd in
	verify | replay | diff) _vnicemu_files .pcap .pcapng .cap ;;
	repro) _vnicemu_files .ini ;;
	esac
	return 0
}

_vnicctl()
{
	local prog=$1 cmd="" sock=() i w n
	COMPREPLY=()
	_vnicemu_split
	n=${#_vnm_words[@]}

	for ((i = 1; i < n - 1; i++)); do
		w=${_vnm_words[i]}
		case $w in
		-s | --socket)
			((i++))
			sock=(-s "${_vnm_words[i]}")
			;;
		-*) ;;
		*)
			cmd=$w
			break
			;;
		esac
	done
	local prev=${_vnm_words[n - 2]-}
	if [[ $prev == -s || $prev == --socket ]]; then
		_vnicemu_files
		return 0
	fi
	if [[ -z $cmd ]]; then
		if [[ $_vnm_cur == -* ]]; then
			_vnicemu_reply -s --socket -h --help --version
		else
			_vnicemu_reply $(_vnicemu_commands "$prog")
		fi
		return 0
	fi
	# the vnicemu next to this vnicctl lists profiles, features and quirks
	local emu=vnicemu
	[[ $prog == */* && -x ${prog%/*}/vnicemu ]] && emu=${prog%/*}/vnicemu
	local argn=$((n - 2 - i)) # words already given after the command
	case $cmd in
	profile) ((argn == 0)) && _vnicemu_reply $(_vnicemu_list "$emu" profiles) ;;
	stats) ((argn == 0)) && _vnicemu_reply $("$prog" --help 2>/dev/null | awk '$1 == "stats"' | grep -oE -- '--[a-z-]+') ;;
	set)
		if ((argn % 2 == 0)); then
			# features of the running vnicemu when it answers, else those vnicemu knows
			local live
			live=$(timeout 2 "$prog" "${sock[@]}" show 2>/dev/null | sed -n 's/^\([a-z-]*\):.*/\1/p')
			[[ -n $live ]] || live=$(_vnicemu_list "$emu" features)
			_vnicemu_reply $live $(_vnicemu_list "$emu" quirks | awk '{ print $1 }')
		else
			local name=${_vnm_words[n - 2]} q vals
			if [[ $name == *.* ]]; then
				while read -r q vals; do
					[[ $q == "$name" ]] && _vnicemu_reply ${vals//[A-Z]*/}
				done < <(_vnicemu_list "$emu" quirks)
			else
				_vnicemu_reply on off
			fi
		fi
		;;
	esac
	return 0
}

complete -F _vnicemu vnicemu
complete -F _vnicctl vnicctl
