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
echo "== --jobs: the same verdicts, in the same order, from several threads"
for c in eth sll sll2; do
	for j in 0 2 3; do
		if cmp -s <("$VNICEMU" verify "$dir/$c.pcap" --key-file "$dir/keys" --list --jobs 1) \
			<("$VNICEMU" verify "$dir/$c.pcap" --key-file "$dir/keys" --list --jobs $j) &&
			cmp -s <("$VNICEMU" verify "$dir/$c.pcap" --key-file "$dir/keys" --json) \
				<("$VNICEMU" verify "$dir/$c.pcap" --key-file "$dir/keys" --json --jobs $j); then
			echo "ok   - $c.pcap --jobs $j: --list and --json identical to one thread"
		else
			echo "FAIL - $c.pcap --jobs $j differs from --jobs 1"
			rc=1
		fi
	done
done
echo "== eth.pcap vs the receiving kernel"
bash "$here/check_expected.sh" "$VNICEMU" "$dir" || rc=1
exit $rc
