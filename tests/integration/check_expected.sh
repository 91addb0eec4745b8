#!/usr/bin/env bash
# check_expected.sh VNICEMU DIR: with the key file B's kernel used, vnicemu's verdict on every
# segment each client sent must be the session's verdict in DIR/expected, and its totals of
# invalid / missing / unexpected segments must equal B's kernel counters TcpExtTCPMD5Failure /
# TCPMD5NotFound / TCPMD5Unexpected — the receiving kernel is the oracle.
set -uo pipefail
VNICEMU=$1
dir=$2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

list=$("$VNICEMU" verify "$dir/eth.pcap" --key-file "$dir/keys" --list) || {
	echo "vnicemu verify failed"
	exit 1
}
while read -r line; do
	case $line in session=*) ;; *) continue ;; esac
	declare -A kv=()
	for w in $line; do kv[${w%%=*}]=${w#*=}; done
	range=${kv[eth]%%:*}
	first=${range%-*}
	last=${range#*-}
	client=${kv[client]}
	want=${kv[verdict]}
	# frames the client sent in the session's range, as "FRAME VERDICT"
	got=$(awk -v a="$first" -v b="$last" -v c="$client" \
		'$1 >= a && $1 <= b { src = $3; sub(/\.[0-9]+$/, "", src); if (src == c) print $1, $2 }' \
		<<<"$list")
	n=$(wc -l <<<"$got")
	bad=$(awk -v w="$want" '$2 != w' <<<"$got")
	if [ -z "$got" ]; then
		t_fail "session ${kv[session]}: no segments from $client in frames $range"
	elif [ -n "$bad" ]; then
		t_fail "session ${kv[session]}: want $want, got: $(tr '\n' ' ' <<<"$bad")"
	else
		t_ok "session ${kv[session]}: $n segments from $client all $want"
	fi
done <"$dir/expected"

json=$("$VNICEMU" verify "$dir/eth.pcap" --key-file "$dir/keys" --json)
counter() { awk -F'[= ]' -v k="counter=B.$1" '$0 ~ k { print $NF }' "$dir/expected"; }
for pair in invalid:TcpExtTCPMD5Failure missing:TcpExtTCPMD5NotFound unexpected:TcpExtTCPMD5Unexpected; do
	v=${pair%%:*}
	c=${pair#*:}
	ours=$(jq -r ".md5.\"$v\"" <<<"$json")
	kernel=$(counter "$c")
	if [ -n "$kernel" ] && [ "$ours" = "$kernel" ]; then
		t_ok "$v segments: vnicemu $ours = kernel $c $kernel"
	else
		t_fail "$v segments: vnicemu '$ours', kernel $c '$kernel'"
	fi
done
t_done
