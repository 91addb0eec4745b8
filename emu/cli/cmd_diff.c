// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vnicemu diff: what the path between a guest capture and a wire capture did to each TCP flow,
 * which of those changes RFC 2385 digests cover, and which vNIC behaviour explains them
 * (emu/analysis/diff/diff.h).
 */
#include <stdbool.h>
#include <stdio.h>

#include "emu/analysis/diff/diff.h"
#include "emu/capture/capture.h"
#include "emu/cli/cli.h"

static void diff_usage(FILE *f)
{
	fprintf(f,
		"Usage: %s diff GUEST.pcap WIRE.pcap [--key SECRET | --key-file FILE] [--json]\n"
		"  GUEST.pcap         captured inside the guest (before the vNIC)\n"
		"  WIRE.pcap          captured on the wire (after it); same link type\n"
		"  --key SECRET       one secret for every peer, like tcpdump -M (visible in ps)\n"
		"  --key-file FILE    lines 'ADDR[/PREFIX] SECRET', '* SECRET', hex:... secrets\n"
		"  --json             print one JSON object (see docs/diff.md)\n"
		"Matches TCP segments by flow and sequence range and says what changed between\n"
		"the captures, whether RFC 2385 digests cover it, the verdicts on both sides,\n"
		"and which vNIC behaviour (stage and quirks) explains it.\n",
		prog);
}

int cmd_diff(int argc, char **argv)
{
	static const struct option opts[] = {
		{"key", required_argument, NULL, 'k'},
		{"key-file", required_argument, NULL, 'f'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *key = NULL, *key_file = NULL;
	bool json = false;
	struct md5sig_keytab *kt = NULL;
	struct emu_diff *d = NULL;
	char err[1024];
	int opt, ret = EXIT_USAGE;

	while ((opt = cli_getopt("diff", argc, argv, ":", opts)) != -1) {
		switch (opt) {
		case 'k':
			key = optarg;
			break;
		case 'f':
			key_file = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			diff_usage(stdout);
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 2) {
		fprintf(stderr, "%s diff: expected two captures: GUEST.pcap WIRE.pcap\n", prog);
		return EXIT_USAGE;
	}
	/* without a key, digests are not checked (and the report says so) */
	if (((key || key_file) && !(kt = md5sig_keytab_new())) || !(d = emu_diff_new(kt))) {
		fprintf(stderr, "%s diff: cannot set up MD5 (libcrypto) or out of memory\n", prog);
		goto out;
	}
	if (emu_keys_from_options(kt, key, key_file, err, sizeof(err)) ||
	    emu_diff_read(d, argv[optind], argv[optind + 1], err, sizeof(err)) ||
	    emu_diff_report(d, stdout, json, err, sizeof(err)))
		fprintf(stderr, "%s diff: %s\n", prog, err);
	else
		ret = 0;
out:
	emu_diff_free(d);
	md5sig_keytab_free(kt);
	return ret;
}
