#!/usr/bin/env bash
# The shipped real-kernel captures (tools/mkcaptures): vnicemu agrees with tcpdump -M frame by
# frame on all three link types, and with B's kernel on every session's verdict.
set -uo pipefail
VNICEMU=$1
dir=$2
here=$(cd "$(dirname "$0")" && pwd)
rc=0
for c in eth sll sll2; do
	echo "== $c.pcap vs tcpdump -M"
	bash "$here/verify_vs_tcpdump.sh" "$VNICEMU" "$dir/$c.pcap" "$dir/keys.tcpdump" || rc=1
done
echo "== eth.pcap vs the receiving kernel"
bash "$here/check_expected.sh" "$VNICEMU" "$dir" || rc=1
exit $rc
