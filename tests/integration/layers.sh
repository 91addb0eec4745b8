#!/usr/bin/env bash
# The module graph runs one way (docs/architecture.md): programs -> emu rooms -> offload ->
# md5sig, and among the rooms cli -> analysis -> device -> capture, port, control. Every
# #include "..." in the tree is checked against that order, so an upward include (a cycle) fails
# here. vnicctl stays libc only: it may include the control protocol's data-only header, which
# itself includes nothing but libc headers.
set -uo pipefail
top=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
cd "$top" || exit 2

# what each module may include, itself first
declare -A may=(
	[md5sig]="md5sig"
	[offload]="offload md5sig"
	[emu/port]="emu/port"
	[emu/control]="emu/control"
	[emu/capture]="emu/capture offload md5sig"
	[emu/device]="emu/device emu/capture emu/port emu/control offload md5sig"
	[emu/analysis]="emu/analysis emu/device emu/capture offload md5sig"
	[emu/cli]="emu/cli emu/analysis emu/device emu/capture offload md5sig"
)

# module PATH: the module a file belongs to
module() {
	local m
	for m in emu/port emu/control emu/capture emu/device emu/analysis emu/cli offload md5sig; do
		case $1 in "$m"/*) echo "$m"; return ;; esac
	done
	echo "?"
}

bad=0
files=0
for f in $(find md5sig offload emu -name '*.[ch]' | sort); do
	files=$((files + 1))
	m=$(module "$f")
	if [ "$m" = "?" ]; then
		t_fail "$f is in no room"
		bad=1
		continue
	fi
	while read -r inc; do
		# "x.h" without a directory is the including file's own directory
		case $inc in */*) ;; *) inc=$(dirname "$f")/$inc ;; esac
		im=$(module "$inc")
		if [[ " ${may[$m]} " != *" $im "* ]]; then
			t_fail "$f ($m) includes $inc ($im): the graph runs the other way"
			bad=1
		fi
	done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
done
[ "$bad" -eq 0 ] && t_ok "$files files of md5sig, offload and the emu rooms include only downwards"

# vnicctl: libc, and the protocol header
incs=$(sed -n 's/^#include "\([^"]*\)".*/\1/p' tools/vnicctl.c)
if [ "$incs" = "emu/control/protocol.h" ]; then
	t_ok "tools/vnicctl.c includes only emu/control/protocol.h from the tree"
else
	t_fail "tools/vnicctl.c includes: $incs"
fi
if grep -q '^#include "' emu/control/protocol.h; then
	t_fail "emu/control/protocol.h includes more than libc"
else
	t_ok "emu/control/protocol.h includes only libc headers"
fi
t_done
