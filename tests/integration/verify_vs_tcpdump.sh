#!/bin/bash
# verify_vs_tcpdump.sh - compare vnicemu's TCP-MD5 verdicts with tcpdump -M, frame by frame.
#
# Usage: verify_vs_tcpdump.sh VNICEMU CAPTURE KEYS_TCPDUMP_FILE
#
# For every secret S in KEYS_TCPDUMP_FILE (one per line, blank lines ignored) it runs
#   tcpdump -M S -r CAPTURE -nn -v -#          ("md5 valid" / "md5  (invalid)" per frame)
#   VNICEMU verify CAPTURE --key S --list      ("FRAME VERDICT SRC.PORT > DST.PORT [(reason)]")
# and compares every frame tcpdump could check: tcpdump valid <=> vnicemu valid, tcpdump
# invalid <=> vnicemu invalid. Frames where tcpdump prints neither are skipped.
#
# Known difference: behind an IPv6 extension header tcpdump puts the IPv6 payload length into
# the pseudo-header and reports even a correct digest invalid; Linux and vnicemu use the TCP
# length. On such frames vnicemu may say valid where tcpdump says invalid (counted as a known
# difference), and across all secrets each such frame must be valid under exactly one - so the
# file must hold the secret of every extension-header frame in the capture.
#
# Exit 0 when every comparison agrees, 1 on any mismatch or when nothing was compared (a test
# that compares nothing must fail), 2 on usage errors. Secrets are never printed; they are
# referred to by line number. Note: they are visible in the process list while tcpdump and
# vnicemu run, as tcpdump -M has no other way to take them.
set -euo pipefail

prog=verify_vs_tcpdump
die() {
	echo "$prog: $*" >&2
	exit 1
}
usage() {
	echo "usage: $prog.sh VNICEMU CAPTURE KEYS_TCPDUMP_FILE" >&2
	exit 2
}

[ $# -eq 3 ] || usage
vnicemu=$1
capture=$2
keyfile=$3
[ -x "$vnicemu" ] || { echo "$prog: $vnicemu is not executable" >&2; exit 2; }
[ -r "$capture" ] || { echo "$prog: cannot read capture $capture" >&2; exit 2; }
[ -r "$keyfile" ] || { echo "$prog: cannot read key file $keyfile" >&2; exit 2; }
command -v tcpdump >/dev/null || die "tcpdump not found"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/$prog.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# tcpdump -v -# output -> "FRAME VERDICT EXTHDR" for frames with an md5 verdict.
# A frame starts with its number and two spaces; IPv4 continues on indented lines.
# EXTHDR is 1 when the IPv6 header's next header is not TCP (6) or an extension header is named.
parse_tcpdump() {
	awk '
		function flush(   v, x, nh) {
			if (frame == "")
				return
			v = ""
			if (text ~ /md5 valid/)
				v = "valid"
			else if (text ~ /md5 +\(invalid\)/)
				v = "invalid"
			if (v != "") {
				x = 0
				if (match(text, /next-header [^(]*\([0-9]+\)/)) {
					nh = substr(text, RSTART, RLENGTH)
					sub(/.*\(/, "", nh)
					sub(/\)/, "", nh)
					x = nh != "6"
				}
				if (text ~ /(DSTOPT|HBH|srcrt|frag \(|mobility)/)
					x = 1
				print frame, v, x
			}
			frame = ""
			text = ""
		}
		/^ *[0-9]+  / {
			flush()
			frame = $1
			text = $0
			next
		}
		{ text = text " " $0 }
		END { flush() }'
}

# vnicemu --list output -> "FRAME VERDICT"; anything else is an error.
parse_vnicemu() {
	awk -v src="$1" '
		/^[ \t]*$/ || /^#/ { next }
		$1 ~ /^[0-9]+$/ && $2 ~ /^(valid|invalid|missing|unexpected|unsigned|malformed)$/ {
			if ($1 in seen) {
				printf "%s: vnicemu listed frame %s twice\n", src, $1 > "/dev/stderr"
				bad = 1
			}
			seen[$1] = 1
			print $1, $2
			next
		}
		{
			printf "%s: unexpected line from vnicemu: %s\n", src, $0 > "/dev/stderr"
			bad = 1
		}
		END { exit bad }'
}

n=0
files=()
while IFS= read -r secret || [ -n "$secret" ]; do
	secret=${secret%$'\r'}
	n=$((n + 1))
	[ -n "$secret" ] || continue
	tcpdump -M "$secret" -r "$capture" -nn -v -# >"$tmp/tcpdump.txt" 2>"$tmp/tcpdump.err" ||
		die "tcpdump failed with secret #$n: $(grep -v '^reading from' "$tmp/tcpdump.err" | tail -1)"
	parse_tcpdump <"$tmp/tcpdump.txt" >"$tmp/td.$n"
	"$vnicemu" verify "$capture" --key "$secret" --list >"$tmp/vnicemu.txt" 2>"$tmp/vnicemu.err" ||
		die "vnicemu verify failed with secret #$n (exit $?): $(tail -1 "$tmp/vnicemu.err")"
	parse_vnicemu "secret #$n" <"$tmp/vnicemu.txt" >"$tmp/vn.$n" ||
		die "cannot parse vnicemu's --list output for secret #$n"
	files+=("$tmp/td.$n" "$tmp/vn.$n")
done <"$keyfile"
[ ${#files[@]} -gt 0 ] || die "no secrets in $keyfile"

awk '
	FNR == 1 {
		k = FILENAME
		sub(/.*\./, "", k)
		kind = FILENAME ~ /\/td\.[0-9]+$/ ? "td" : "vn"
		if (kind == "td")
			secrets[++nsecrets] = k
	}
	kind == "td" {
		td[k, $1] = $2
		frames[k] = frames[k] " " $1
		if ($3)
			ext[$1] = 1
		next
	}
	{ ours[k, $1] = $2 }
	function mismatch(msg) {
		if (++m <= 50)
			print "mismatch: " msg
		else if (m == 51)
			print "(further mismatches not shown)"
	}
	END {
		for (i = 1; i <= nsecrets; i++) {
			k = secrets[i]
			c = split(frames[k], list, " ")
			for (j = 1; j <= c; j++) {
				f = list[j]
				t = td[k, f]
				o = ((k, f) in ours) ? ours[k, f] : "absent"
				total++
				if (!(f in ext)) {
					if (o != t)
						mismatch(sprintf("secret #%s frame %s: tcpdump %s, vnicemu %s",
							k, f, t, o))
					continue
				}
				if (!(f in exthdr))
					extlist[++next_] = f
				exthdr[f] = 1
				if (o == "valid") {
					nvalid[f]++
					if (t == "invalid")
						known++
				} else if (o != "invalid" || t == "valid") {
					mismatch(sprintf("secret #%s frame %s (IPv6 extension header): " \
						"tcpdump %s, vnicemu %s", k, f, t, o))
				}
			}
		}
		for (i = 1; i <= next_; i++) {
			f = extlist[i]
			if (nvalid[f] != 1)
				mismatch(sprintf("frame %s (IPv6 extension header): vnicemu says valid " \
					"under %d of the secrets, expected exactly 1 (is its secret in " \
					"the file?)", f, nvalid[f] + 0))
		}
		printf "compared %d frames (%d known ipv6-exthdr differences), %d mismatches\n",
			total, known, m
		exit (m > 0 || total == 0)
	}' "${files[@]}"
