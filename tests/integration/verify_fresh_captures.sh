#!/usr/bin/env bash
# Captures vnicemu was never tuned on: tools/mkcaptures records new real-kernel TCP-MD5 sessions
# now (timing and ISNs differ on every run), then the same checks as the shipped ones.
set -uo pipefail
VNICEMU=$1
MD5PEER=$2
MKCAPTURES=$3
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" -ne 0 ]; then
	echo "needs root for network namespaces: skipped"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bash "$MKCAPTURES" "$tmp/caps" --md5peer "$MD5PEER" >"$tmp/mk.log" 2>&1 || {
	cat "$tmp/mk.log"
	exit 1
}
bash "$here/verify_kernel_captures.sh" "$VNICEMU" "$tmp/caps"
