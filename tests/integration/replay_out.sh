#!/usr/bin/env bash
# The files vnicemu writes never cost the user a file (docs/replay.md, "Output files"): an output
# that is an input (the capture in the --out directory under an output's name, a symlink or a
# hard link to it or to the key file) is refused before anything is written, the input intact;
# a run that fails leaves the files of the earlier run as they were and no stubs or temporaries;
# files an earlier run left that this one does not write are removed and named; `run --capture`
# refuses a capture directory whose files are the key file; nanosecond input keeps nanosecond
# output; dropped guest frames say why in annotated.pcapng. tcpdump and tshark read it all.
#   replay_out.sh VNICEMU SCENARIOS
set -uo pipefail
vnicemu=$(realpath "$1")
sc=$(realpath "$2")
. "$(dirname "$0")/lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 2
key=(--key quagga-md5)

# refused WANT ARGS...: exit 2, one line on stderr containing WANT
refused() {
	local want=$1 err rc
	shift
	# (a run that is not refused would run until stopped)
	err=$(timeout 10 "$vnicemu" "$@" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" -eq 2 ] && [ "$(wc -l <<<"$err")" -eq 1 ] && grep -qF -- "$want" <<<"$err"; then
		t_ok "${*}: $err"
	else
		t_fail "${*}: exit $rc, '$err' (wanted exit 2 and one line with '$want')"
	fi
}
# intact FILE ORIGINAL: FILE still holds ORIGINAL's bytes
intact() {
	if cmp -s "$1" "$2"; then t_ok "$1 is intact"; else t_fail "$1 was changed ($(stat -c %s "$1") bytes)"; fi
}
# only DIR NAMES...: DIR holds exactly NAMES (hidden files included: no temporaries)
only() {
	local dir=$1 got
	shift
	got=$(cd "$dir" && ls -A | sort | tr '\n' ' ')
	if [ "$got" = "$(printf '%s\n' "$@" | sort | tr '\n' ' ')" ]; then
		t_ok "$dir holds $*"
	else
		t_fail "$dir holds $got, wanted $*"
	fi
}

# ---- the capture in the --out directory, under an output's name (issue 11: SIGBUS, all lost)
mkdir x && cp "$sc/esx35-vmxnet2-quagga.pcap" x/guest.pcap
(cd x && refused "./guest.pcap is the input guest.pcap (the same file)" \
	replay guest.pcap "${key[@]}" --out .)
intact x/guest.pcap "$sc/esx35-vmxnet2-quagga.pcap"
only x guest.pcap
# the same through a symlink, and a hard link to the key file
mkdir y && cp "$sc/esx35-vmxnet2-quagga.pcap" y/in.pcap && ln -s ../y/in.pcap y/wire.pcap
refused "y/wire.pcap is the input y/in.pcap" replay y/in.pcap "${key[@]}" --out y
intact y/in.pcap "$sc/esx35-vmxnet2-quagga.pcap"
only y in.pcap wire.pcap
mkdir z && printf '* quagga-md5\n' >z/keys && chmod 600 z/keys && cp z/keys keys.orig && ln z/keys z/tso.pcap
refused "z/tso.pcap is the input z/keys" \
	replay "$sc/esx35-vmxnet2-quagga.pcap" --key-file z/keys --out z
intact z/keys keys.orig
only z keys tso.pcap
# from standard input
refused "x/guest.pcap is the input standard input" replay - "${key[@]}" --out x <x/guest.pcap
intact x/guest.pcap "$sc/esx35-vmxnet2-quagga.pcap"

# ---- a run that fails leaves the earlier run's files as they were
files=(annotated.pcapng guest.pcap sg.pcap tso.pcap tx-csum.pcap wire.pcap)
"$vnicemu" replay "$sc/esx35-vmxnet2-quagga.pcap" "${key[@]}" --out out >/dev/null 2>&1
mkdir before && cp out/* before/
# a second run with another quirk, whose files may not grow past 100 KiB: annotated.pcapng
# fails (EFBIG; SIGXFSZ ignored, as the shell's ulimit would kill the run otherwise)
err=$( (
	trap '' XFSZ
	ulimit -f 100
	exec "$vnicemu" replay "$sc/esx35-vmxnet2-quagga.pcap" "${key[@]}" --set tso.md5=strip --out out
) 2>&1 >/dev/null)
rc=$?
if [ "$rc" -eq 2 ] && [ "$(wc -l <<<"$err")" -eq 1 ] && grep -q 'File too large' <<<"$err"; then
	t_ok "a run that cannot write its files fails: $err"
else
	t_fail "a run that cannot write its files: exit $rc, '$err'"
fi
for f in "${files[@]}"; do intact "out/$f" "before/$f"; done
only out "${files[@]}"

# ---- files an earlier run left that this one does not write: removed, and named
touch out/lro.pcap out/rx-guest.pcap out/rx-tso.pcap out/mine.pcap out/rx-annotated.pcapng
ln -s ../before/wire.pcap out/rx-wire.pcap
cp "$sc/esx35-vmxnet2-quagga.pcap" out/rx-sg.pcap
"$vnicemu" replay out/rx-sg.pcap "${key[@]}" --set tso.md5=strip --out out >/dev/null 2>err
want="vnicemu replay: removed what an earlier run left in out: out/lro.pcap, out/rx-tso.pcap, out/rx-guest.pcap"
if [ "$(cat err)" = "$want" ]; then
	t_ok "stale files removed and named: $(cat err)"
else
	t_fail "stale files: '$(cat err)', wanted '$want'"
fi
# not the user's own files, a symlink, or the input
only out "${files[@]}" mine.pcap rx-annotated.pcapng rx-wire.pcap rx-sg.pcap
intact out/rx-sg.pcap "$sc/esx35-vmxnet2-quagga.pcap"
for f in guest sg tso tx-csum wire; do
	if tcpdump -r "out/$f.pcap" -nn >/dev/null 2>&1; then
		t_ok "tcpdump reads out/$f.pcap"
	else
		t_fail "tcpdump cannot read out/$f.pcap"
	fi
done
if cmp -s out/wire.pcap before/wire.pcap; then
	t_fail "out/wire.pcap is still the earlier run's"
else
	t_ok "out/wire.pcap is the new run's (tso.md5=strip)"
fi

# ---- nanosecond input keeps nanosecond output; microsecond input stays as it was. The input
# is the story's capture moved by 123 ns (editcap), as nanosecond pcap and as pcapng with
# if_tsresol 9; tshark reads the times back, tcpdump reads the files.
if command -v editcap >/dev/null && command -v tshark >/dev/null; then
	editcap -F nsecpcap -t 0.000000123 "$sc/esx35-vmxnet2-quagga.pcap" ns.pcap &&
		editcap -F pcapng ns.pcap ns.pcapng || t_fail "editcap cannot write the inputs"
	for in in ns.pcap ns.pcapng; do
		"$vnicemu" replay "$in" "${key[@]}" --out "o-$in" >/dev/null 2>&1 || t_fail "replay $in failed"
		for f in guest sg tso tx-csum wire; do
			magic=$(od -An -tx1 -N4 "o-$in/$f.pcap" | tr -d ' ')
			first=$(tshark -r "o-$in/$f.pcap" -T fields -e frame.time_epoch -c 1 2>/dev/null)
			if [ "$magic" = 4d3cb2a1 ] && [ "$first" = 1200000000.000250123 ] &&
				tcpdump -r "o-$in/$f.pcap" -nn >/dev/null 2>&1; then
				t_ok "$in -> $f.pcap keeps nanoseconds ($first)"
			else
				t_fail "$in -> $f.pcap: magic $magic, first frame at $first (want 1200000000.000250123)"
			fi
		done
		first=$(tshark -r "o-$in/annotated.pcapng" -T fields -e frame.time_epoch -c 1 2>/dev/null)
		[ "$first" = 1200000000.000250123 ] || t_fail "$in -> annotated.pcapng: first frame at $first"
	done
	"$vnicemu" replay "$sc/esx35-vmxnet2-quagga.pcap" "${key[@]}" --out o-us >/dev/null 2>&1
	magic=$(od -An -tx1 -N4 o-us/wire.pcap | tr -d ' ')
	if [ "$magic" = d4c3b2a1 ] && cmp -s o-us/guest.pcap "$sc/esx35-vmxnet2-quagga.pcap"; then
		t_ok "microsecond input: microsecond pcap files, guest.pcap byte for byte the input"
	else
		t_fail "microsecond input: magic $magic, guest.pcap differs from the input"
	fi
else
	t_fail "editcap and tshark are needed (tools/deps installs them)"
fi

# ---- guest frames a stage dropped say so in annotated.pcapng ("dropped: REASON", a comment of
# its own beside the verdict), as many as the JSON counts; the others do not
"$vnicemu" replay "$sc/esx35-vmxnet2-quagga.pcap" "${key[@]}" --set tso=off --out o-drop \
	--json >drop.json 2>/dev/null
want=$(jq '.stages[] | select(.name == "tso") | .dropped.oversize' drop.json)
tshark -r o-drop/annotated.pcapng -T fields -e frame.interface_name -e frame.comment \
	>drop.txt 2>/dev/null
got=$(grep -c '^guest	guest frame [0-9]*: md5 valid (TSO request),dropped: oversize$' drop.txt)
if [ "$want" -gt 0 ] && [ "$got" = "$want" ] && [ "$(grep -c dropped drop.txt)" = "$want" ]; then
	t_ok "annotated.pcapng: $got guest frames carry 'dropped: oversize', as the JSON counts"
else
	t_fail "annotated.pcapng: $got frames with 'dropped: oversize' ($(grep -c dropped drop.txt) with 'dropped'), JSON $want"
fi
if [ "$(wc -l <drop.txt)" = "$(jq '.guest.frames + .wire.frames' drop.json)" ]; then
	t_ok "annotated.pcapng holds every guest and wire frame"
else
	t_fail "annotated.pcapng: $(wc -l <drop.txt) frames, JSON $(jq '.guest.frames + .wire.frames' drop.json)"
fi

# ---- run --capture: live files, written in place, but never over the key file (an
# AddressSanitizer build cannot open VDE ports, and the ports open first: reference/vde.md)
if ! grep -qa __asan_init "$vnicemu"; then
	mkdir live && printf '* quagga-md5\n' >live/keys && chmod 600 live/keys
	cp live/keys keys.orig && ln live/keys live/wire.pcap
	refused "--capture live/wire.pcap is the input live/keys" \
		run --guest null:// --wire null:// --key-file live/keys --capture live
	intact live/keys keys.orig
	only live keys wire.pcap
fi
t_done
