#!/usr/bin/env bash
# The control server out of descriptors (issue 11 item 5): vnicemu run under `ulimit -n 16`
# with 12 clients connected, most of them waiting in the listen backlog because accept() fails
# with EMFILE. The daemon must not spin on that accept(): its CPU time (utime + stime in
# /proc/PID/stat) over 3 s stays under 10 % (a spinning server takes ~90 %). Once the clients
# leave, the server accepts again: vnicctl show answers.
#   control_emfile.sh VNICEMU VNICCTL NODEEPBIND.so (see control.sh)
set -uo pipefail
vnicemu=$(realpath "$1")
vnicctl=$(realpath "$2")
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sanitized_run.sh" "$vnicemu" "$3"
work=$(mktemp -d)
pid=
holder=
cleanup() {
	[ -n "$holder" ] && kill "$holder" 2>/dev/null
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
sock=$work/control
hz=$(getconf CLK_TCK)

# cpu PID: clock ticks of CPU time the process has used (fields 14 and 15 of its stat line,
# counted after the command name, which may hold spaces)
cpu() {
	local s
	s=$(cat "/proc/$1/stat") || return 1
	s=${s##*) }
	awk '{print $12 + $13}' <<<"$s"
}

# 16 descriptors, inherited ones closed: about 8 go to stdio, the ports, the signalfd, the
# timerfd and the listening socket, which leaves room for fewer than 12 clients
(
	ulimit -n 16
	exec "${run[@]}" run --guest null:// --wire null:// --control "$sock" 3>&- 4>&- 5>&- 6>&- \
		7>&- 8>&- 9>&-
) >"$work/out" 2>"$work/log" &
pid=$!
for _ in $(seq 50); do
	[ -S "$sock" ] && break
	sleep 0.1
done
[ -S "$sock" ] || { t_fail "vnicemu run did not start: $(cat "$work/log")"; t_done; exit; }

# 12 clients that connect and say nothing for 8 s
python3 - "$sock" 12 8 <<'EOF' &
import socket, sys, time
held = []
for _ in range(int(sys.argv[2])):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])  # the backlog takes what accept() cannot
    held.append(s)
time.sleep(float(sys.argv[3]))
EOF
holder=$!
sleep 2
open=$(find "/proc/$pid/fd" -mindepth 1 | wc -l)
c0=$(cpu "$pid")
sleep 3
c1=$(cpu "$pid")
used=$((c1 - c0))
limit=$((3 * hz / 10))
if [ "$open" -ge 15 ] && [ "$used" -lt "$limit" ]; then
	t_ok "out of descriptors ($open open, 12 clients): $used ticks of CPU in 3 s (under $limit)"
else
	t_fail "out of descriptors ($open open, 12 clients): $used ticks of CPU in 3 s (wanted under $limit, at least 15 descriptors open)"
fi
kill -0 "$pid" 2>/dev/null && t_ok "the daemon is still running" || t_fail "the daemon died"

# the clients leave: the server accepts (and closes) the ones left in the backlog, then serves
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
holder=
ok=
for _ in $(seq 10); do
	if out=$(timeout 10 "$vnicctl" -s "$sock" show 2>&1) && grep -q '^scatter-gather: ' <<<"$out"; then
		ok=1
		break
	fi
	sleep 0.5
done
[ -n "$ok" ] && t_ok "after the clients leave, vnicctl show answers" ||
	t_fail "after the clients leave, vnicctl show: $out"

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
[ "$rc" -eq 0 ] && t_ok "SIGTERM: exit 0" || t_fail "SIGTERM: exit $rc: $(cat "$work/log")"
t_done
