#!/usr/bin/env bash
# A vnet-hdr tap guest: vnicemu runs inside the guest namespace on vnet-tap://vt0, so the guest
# kernel hands it genuine TSO super-frames and partial checksums with a virtio_net_hdr; the
# device's offloads are what `ethtool -k vt0` shows there and follow `vnicctl set`.
set -uo pipefail
VNICEMU=$1
MD5PEER=$2
VNICCTL=$3
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
if [ "$(id -u)" -ne 0 ] || ! command -v ethtool >/dev/null; then
	echo "needs root and ethtool: skipped"
	exit 77
fi
. "$here/netns_lib.sh"
trap lab_cleanup EXIT
G=vnm-vg$$
P=vnm-vp$$
SECRET=vnet-tap-secret

lab_switch wsw || exit 1
ip netns add "$G" && LAB_NS+=("$G")
ip -n "$G" link set lo up
lab_ns "$P" wsw 192.0.2.1 2001:db8::1 1500 || exit 1
printf '192.0.2.0/24 %s\n' "$SECRET" >"$LAB/keys"
chmod 600 "$LAB/keys" # vnicemu run refuses a key file others can read
lab_vnicemu --netns "$G" vnet-tap://vt0 --profile vmxnet2 --wire-mtu 1500 \
	--key-file "$LAB/keys" || exit 1
ip -n "$G" addr add 192.0.2.10/24 dev vt0
ip -n "$G" link set vt0 mtu 1500 up
ek() { ip netns exec "$G" ethtool -k vt0 | awk -v k="$1:" '$1 == k { print $2 }'; }

[ "$(ek tcp-segmentation-offload)" = on ] && [ "$(ek tx-checksumming)" = on ] &&
	t_ok "ethtool -k in the guest namespace: tso on, tx-checksumming on" ||
	t_fail "ethtool -k: tso $(ek tcp-segmentation-offload) tx $(ek tx-checksumming)"
ctl set tso off >/dev/null
[ "$(ek tcp-segmentation-offload)" = off ] && t_ok "vnicctl set tso off: ethtool -k says off" ||
	t_fail "after set tso off: $(ek tcp-segmentation-offload)"
ctl set tso on >/dev/null
[ "$(ek tcp-segmentation-offload)" = on ] && t_ok "vnicctl set tso on: ethtool -k says on" ||
	t_fail "after set tso on: $(ek tcp-segmentation-offload)"
ctl set tx off >/dev/null
[ "$(ek tcp-segmentation-offload)" = off ] && [ "$(ek tx-checksumming)" = off ] &&
	t_ok "vnicctl set tx off: the guest loses checksum offload and TSO with it" ||
	t_fail "after set tx off: tso $(ek tcp-segmentation-offload) tx $(ek tx-checksumming)"
ctl set tx on >/dev/null

# Unsigned bulk data: the guest kernel hands super-frames (MTU 1500 notwithstanding)
transfer 5001 4000000 30 && t_ok "unsigned 4 MB from the vnet-hdr guest arrive byte for byte" ||
	t_fail "unsigned transfer: $(cat "$LAB/sent.5001" "$LAB/recv.5001")"
c=$(tso_q .created)
big=$(ctl stats --json | jq '.tx.guest.frames')
[ "$c" -gt 0 ] && t_ok "the guest handed TSO super-frames; tso made $c extra segments" ||
	t_fail "no super-frames from the guest (tso created $c)"

# A modern kernel never hands signed super-frames: TCP-MD5 stays clean with tso on
f0=$(counter "$P" TcpExtTCPMD5Failure)
c0=$(tso_q .created)
transfer 179 1000000 30 md5 && [ "$(counter "$P" TcpExtTCPMD5Failure)" = "$f0" ] &&
	[ "$(tso_q .created)" = "$c0" ] && [ "$(ctl stats --json | jq -r .tx.culprit)" = null ] &&
	t_ok "TCP-MD5 with tso on: Linux sent no signed super-frame, no MD5 failure, culprit none" ||
	t_fail "MD5 session: failures $f0 -> $(counter "$P" TcpExtTCPMD5Failure), created $c0 -> $(tso_q .created)"
[ "$(ctl stats --json | jq '.tx.wire.md5.valid')" -gt 0 ] &&
	t_ok "vnicemu verified $(ctl stats --json | jq '.tx.wire.md5.valid') signed wire segments valid" ||
	t_fail "no valid signed segments seen"
kill -TERM "$VPID"
wait "$VPID"

# --user nobody (issue 14): once the tap is open, nobody with CAP_NET_ADMIN alone (to open the
# tap again should it fail); TUNSETOFFLOAD, SIGHUP and traffic go on
if command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
	chmod 711 "$LAB" # nobody reads its key file again on SIGHUP
	chown nobody "$LAB/keys"
	lab_vnicemu --netns "$G" vnet-tap://vt0 --profile vmxnet2 --wire-mtu 1500 \
		--key-file "$LAB/keys" --user nobody || exit 1
	ip -n "$G" addr add 192.0.2.10/24 dev vt0 2>/dev/null
	ip -n "$G" link set vt0 mtu 1500 up
	st() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$VPID/status"; }
	# CAP_NET_ADMIN is bit 12
	[ "$(st Uid)" = 65534 ] && [ "$(st CapEff)" = 0000000000001000 ] &&
		[ "$(st CapPrm)" = 0000000000001000 ] && [ "$(st CapBnd)" = 0000000000000000 ] &&
		t_ok "--user nobody on a vnet-tap: uid 65534, CapEff $(st CapEff) (cap_net_admin only)" ||
		t_fail "--user nobody: $(grep -E '^(Uid|Cap)' "/proc/$VPID/status" | tr '\n' ' ')"
	setpriv --reuid nobody --regid "$(id -gn nobody)" --clear-groups -- "$VNICCTL" -s "$CTL" \
		set tso off >/dev/null
	[ "$(ek tcp-segmentation-offload)" = off ] &&
		t_ok "after the drop, vnicctl (as nobody) set tso off: ethtool -k says off" ||
		t_fail "after the drop, set tso off: ethtool -k says $(ek tcp-segmentation-offload)"
	ctl set tso on >/dev/null
	[ "$(ek tcp-segmentation-offload)" = on ] && t_ok "and set tso on: on" ||
		t_fail "after the drop, set tso on: $(ek tcp-segmentation-offload)"
	printf '192.0.2.0/24 %s\n2001:db8::/32 other-secret\n' "$SECRET" >"$LAB/keys"
	kill -HUP "$VPID"
	wait_for 40 sh -c "'$VNICCTL' -s '$CTL' keys | grep -q '2001:db8::/32'" &&
		t_ok "after the drop, SIGHUP reloads the keys" || t_fail "SIGHUP: $(tail -2 "$LAB/run.err")"
	f0=$(counter "$P" TcpExtTCPMD5Failure)
	transfer 180 1000000 30 md5 && [ "$(counter "$P" TcpExtTCPMD5Failure)" = "$f0" ] &&
		t_ok "after the drop, a TCP-MD5 stream crosses intact" ||
		t_fail "MD5 after the drop: $(cat "$LAB/sent.180" "$LAB/recv.180")"
	kill -TERM "$VPID"
	wait "$VPID"
fi
t_done
