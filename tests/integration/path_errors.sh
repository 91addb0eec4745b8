#!/usr/bin/env bash
# Bad input around paths (docs/paths.md): an unknown path or parameter, conflicting parameters,
# an MTU below the IP minimum, a path element no path has, a broken path file. Each is one line
# on stderr naming what is wrong, exit 2, and nothing written.
#   path_errors.sh VNICEMU SCENARIOS
set -uo pipefail
vnicemu=$(realpath "$1")
sc=$(realpath "$2")
. "$(dirname "$0")/lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 2

# refused WANT ARGS...: replay with ARGS fails with exit 2 and one line containing WANT
refused() {
	local want=$1 err rc
	shift
	err=$("$vnicemu" "$@" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" -eq 2 ] && [ "$(wc -l <<<"$err")" -eq 1 ] && grep -qF -- "$want" <<<"$err" &&
		[ ! -e out ]; then
		t_ok "$* -> $err"
	else
		t_fail "$*: exit $rc, '$err' (wanted one line with '$want'; out/ $([ -e out ] && echo written || echo absent))"
	fi
	rm -rf out
}
r=(replay "$sc/path-guest.pcap" --key-file "$sc/path.keys" --out out)

refused "unknown path 'firewall'" "${r[@]}" --path firewall
refused "unknown path 'nosuch'" "${r[@]}" --path asa,nosuch
refused "bad path name" "${r[@]}" --path 'ASA!'
refused "unknown parameter 'nat.bogus' (nat takes: source_from, source_to, dest_from, dest_to)" \
	"${r[@]}" --path nat --set nat.bogus=1
refused "bad value 'always' for window.mode (expected rewrite|clamp)" \
	"${r[@]}" --path shaper --set window.mode=always
refused "nat: a mapping's two addresses must be of one family" \
	"${r[@]}" --path nat --set nat.source_to=2001:db8::20
refused "nat: source_from and source_to (dest_from and dest_to) go together" \
	"${r[@]}" --path nat --set nat.dest_to=192.0.2.2
refused "nat.source_from: '192.0.2.300' is not an IPv4 or IPv6 address" \
	"${r[@]}" --path nat --set nat.source_from=192.0.2.300
refused "nat.dest_to: 'peer' is not an IPv4 or IPv6 address" \
	"${r[@]}" --path nat --set nat.dest_from=192.0.2.1 --set nat.dest_to=peer
refused "68 is the IPv4 minimum" "${r[@]}" --path fragment --set fragment.mtu=67
refused "1280 is the IPv6 minimum" "${r[@]}" --path fragment --set fragment.mtu6=1279
refused "optstrip.kinds: a kind is 2..254" "${r[@]}" --path asa --set optstrip.kinds=19,1
refused "seqrand is a path element, and no --path has it" "${r[@]}" --set seqrand=off
refused "nat is a path element, and no --path has it" "${r[@]}" --path asa --set nat=off
refused "stage 'optstrip' listed twice" "${r[@]}" --path asa,asa
refused "--guest-addr 192.0.2.300: not an IPv4 or IPv6 address" \
	"${r[@]}" --path asa --guest-addr 192.0.2.300
refused "--guest-addr tells directions apart for --path" "${r[@]}" --guest-addr 192.0.2.10

# path files by path: what they may not say, with the file and line
printf '[path]\nname = x\nelements = optstrip tso\n' >bad1.ini
refused "bad1.ini:3: no such path element" "${r[@]}" --path ./bad1.ini
printf '[path]\nname = x\nelements = optstrip\n[seqrand]\nflows = 2\n' >bad2.ini
refused "bad2.ini:5: a section that names no element of the path" "${r[@]}" --path ./bad2.ini
printf '[path]\nname = x\n' >bad3.ini
refused "bad3.ini: a path needs [path] name and elements" "${r[@]}" --path ./bad3.ini
# a NIC profile may not hold path elements
printf '[profile]\nname = nic\ntx = sg tso tx-csum seqrand\n' >nic.ini
refused "seqrand is a path element, not a NIC stage" "${r[@]}" --profile ./nic.ini

# the live device refuses the same: paths and settings before it opens its ports, parameters
# when it builds its pipelines (an AddressSanitizer build cannot open VDE ports: reference/vde.md)
refused "unknown path 'nosuch'" run --guest "ptp://$work/g" --wire "ptp://$work/w" --path nosuch
refused "seqrand is a path element, and no --path has it" \
	run --guest "ptp://$work/g" --wire "ptp://$work/w" --set seqrand=off
if ! grep -qa __asan_init "$vnicemu"; then
	refused "68 is the IPv4 minimum" run --guest "ptp://$work/g" --wire "ptp://$work/w" \
		--path fragment --set fragment.mtu=40
fi
# a vxvde:// or vxlan:// port whose if= names no interface: vdeplug4 would join the group on
# the default route instead, so lab frames would leave by another link (docs/multi-host.md)
refused "no interface 'nosuch0' here" run --guest vxvde://239.255.77.1/if=nosuch0 \
	--wire "ptp://$work/w"
refused "no interface 'nosuch1' here" run --guest "ptp://$work/g" \
	--wire vxlan://239.255.77.1/ttl=1/if=nosuch1
t_done
