#!/usr/bin/env bash
# Output that never reaches stdout is an error (DESIGN.md: exit 2, one line on stderr): every
# command of vnicemu and vnicctl with stdout on /dev/full (every write fails with ENOSPC) must
# say so and exit 2, never exit 0 as if its report had been read; the same commands with stdout
# on /dev/null exit as before. A closed stdout that nothing is written to is no error. Standard
# output that is the capture being read is refused.
#   stdout_errors.sh VNICEMU VNICCTL SCENARIOS
set -uo pipefail
vnicemu=$(realpath "$1")
vnicctl=$(realpath "$2")
sc=$(realpath "$3")
. "$(dirname "$0")/lib.sh"
work=$(mktemp -d)
daemon=
cleanup() {
	[ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
cd "$work" || exit 2

cap=$sc/esx35-vmxnet2-quagga.pcap
key=(--key quagga-md5)

# full PROGRAM ARGS...: exit 2 and one stderr line naming stdout with /dev/full; exit WANT (0 or
# 1, from $want) with /dev/null
want=0
full() {
	local err rc
	err=$("$@" 2>&1 >/dev/full)
	rc=$?
	if [ "$rc" -eq 2 ] && [ "$(wc -l <<<"$err")" -eq 1 ] &&
		grep -q ': stdout: No space left on device$' <<<"$err"; then
		t_ok "${*#"$vnicemu "} >/dev/full -> exit 2, $err"
	else
		t_fail "${*#"$vnicemu "} >/dev/full: exit $rc, '$err'"
	fi
	"$@" >/dev/null 2>"$work/null.err"
	rc=$?
	[ "$rc" -eq "$want" ] || t_fail "${*#"$vnicemu "} >/dev/null: exit $rc, wanted $want: $(cat "$work/null.err")"
}

full "$vnicemu" verify "$cap" "${key[@]}"
full "$vnicemu" verify "$cap" "${key[@]}" --json
full "$vnicemu" verify "$cap" "${key[@]}" --list
full "$vnicemu" verify "$cap" "${key[@]}" --list --jobs 2
full "$vnicemu" replay "$cap" "${key[@]}"
full "$vnicemu" replay "$cap" "${key[@]}" --json
full "$vnicemu" diff "$cap" "$cap" "${key[@]}"
full "$vnicemu" diff "$cap" "$cap" "${key[@]}" --json
full "$vnicemu" repro "$sc/esx35-vmxnet2-quagga.ini"
full "$vnicemu" profiles
full "$vnicemu" --help
full "$vnicemu" --version
full "$vnicemu" replay --help
full "$vnicctl" --help
# a command that found invalid digests (exit 1) whose report is lost still exits 2
want=1 full "$vnicemu" replay "$cap" "${key[@]}" --fail-on-invalid
"$vnicemu" replay "$cap" "${key[@]}" --out wire >/dev/null
want=1 full "$vnicemu" verify wire/wire.pcap "${key[@]}" --fail-on-invalid
want=0

# a closed stdout nothing is written to is fine; one written to is not
if "$vnicemu" replay "$cap" "${key[@]}" --out out >&- 2>"$work/err"; then
	t_fail "replay with stdout closed: exit 0, its report went nowhere"
else
	t_ok "replay with stdout closed: $(cat "$work/err")"
fi

# stdout appended to the capture being read: refused, the capture intact
cp "$cap" mine.pcap
for c in "verify mine.pcap --list" "replay mine.pcap --json" "diff mine.pcap $cap"; do
	# shellcheck disable=SC2086
	err=$("$vnicemu" $c "${key[@]}" 2>&1 >>mine.pcap)
	rc=$?
	if [ "$rc" -eq 2 ] && [ "$err" = "vnicemu ${c%% *}: standard output is the input mine.pcap: not writing into it" ] &&
		cmp -s mine.pcap "$cap"; then
		t_ok "$c >>mine.pcap: $err"
	else
		t_fail "$c >>mine.pcap: exit $rc, '$err'; capture $(cmp -s mine.pcap "$cap" && echo intact || echo changed)"
		cp "$cap" mine.pcap
	fi
done

# vnicctl against a live daemon on null:// ports (an AddressSanitizer build cannot open VDE
# ports: reference/vde.md)
if ! grep -qa __asan_init "$vnicemu"; then
	"$vnicemu" run --guest null:// --wire null:// --control "$work/ctl" >/dev/null 2>"$work/run.err" &
	daemon=$!
	for _ in $(seq 50); do [ -S "$work/ctl" ] && break; sleep 0.1; done
	if [ -S "$work/ctl" ]; then
		full "$vnicctl" -s "$work/ctl" show
		full "$vnicctl" -s "$work/ctl" stats --json
		full "$vnicctl" -s "$work/ctl" keys
		# watch stops when its lines go nowhere (it used to watch forever)
		timeout 10 "$vnicctl" -s "$work/ctl" watch >/dev/full 2>"$work/watch.err" &
		watcher=$!
		sleep 0.5
		"$vnicctl" -s "$work/ctl" set tso off >/dev/null
		wait "$watcher"
		rc=$?
		if [ "$rc" -eq 2 ] && grep -q 'stdout: No space left on device' "$work/watch.err"; then
			t_ok "vnicctl watch >/dev/full stops at its first line: exit 2"
		else
			t_fail "vnicctl watch >/dev/full: exit $rc (124: still watching), $(cat "$work/watch.err")"
		fi
	else
		t_fail "vnicemu run did not create its control socket: $(cat "$work/run.err")"
	fi
fi
t_done
