// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vnicemu diff: what the path between a guest capture and a wire capture did to each TCP flow,
 * which of those changes the flows' signatures (RFC 2385, TCP-AO) cover, and which element of
 * the vNIC or the path explains them (emu/analysis/diff/diff.h).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "emu/analysis/diff/diff.h"
#include "emu/analysis/html.h"
#include "emu/capture/capture.h"
#include "emu/cli/cli.h"

#define DIFF_ISNS_MAX 64

static void diff_usage(FILE *f)
{
	fprintf(f,
		"Usage: %s diff GUEST.pcap WIRE.pcap [--key SECRET | --key-file FILE]\n"
		"           [--isn ADDR.PORT=ISN]... [--no-swap] [--json] [--report FILE.html]\n"
		"           [--strict]\n"
		"  GUEST.pcap         captured inside the guest (before the vNIC)\n"
		"  WIRE.pcap          captured on the wire (after it); any link type\n"
		"  --key SECRET       one secret for every peer, like tcpdump -M (visible in ps)\n"
		"  --key-file FILE    lines 'ADDR[/PREFIX] SECRET', '* SECRET', hex:... secrets,\n"
		"                     'ao ADDR[/PREFIX] SENDID:RECVID ALG [exclude-options] SECRET'\n"
		"  --isn ADDR.PORT=ISN  the ISN of an endpoint whose SYN was not captured (TCP-AO)\n"
		"  --no-swap          compare as given even if the captures look swapped\n"
		"  --json             print one JSON object (see docs/diff.md)\n"
		"  --report FILE.html also write one self-contained page: the flows, the frames\n"
		"                     side by side, the explanation, what was run\n"
		"  --strict           a capture cut inside its last record is an error (exit 2);\n"
		"                     without it, a warning after the report of the frames before\n"
		"Matches TCP segments by flow and sequence range and says what changed between\n"
		"the captures, whether the MD5 or TCP-AO signatures cover it, the verdicts on both\n"
		"sides, and which element of the vNIC (stage and quirks) or of the path explains it.\n",
		prog);
}

/* On a terminal: what is being done and the frames so far, once a second; then nothing. */
static void progress(void *arg, const char *what, unsigned long long frames, bool done)
{
	bool *shown = arg;

	if (!done) {
		fprintf(stderr, "\r\033[Kdiff: %s: %llu frames", what, frames);
		*shown = true;
	} else if (*shown) {
		fprintf(stderr, "\r\033[K");
		*shown = false;
	}
}

int cmd_diff(int argc, char **argv)
{
	static const struct option opts[] = {
		{"key", required_argument, NULL, 'k'},
		{"key-file", required_argument, NULL, 'f'},
		{"isn", required_argument, NULL, 'i'},
		{"no-swap", no_argument, NULL, 's'},
		{"json", no_argument, NULL, 'j'},
		{"report", required_argument, NULL, 'r'}, /* FILE.html */
		{"strict", no_argument, NULL, 'S'},	  /* a cut capture is an error */
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *key = NULL, *key_file = NULL, *report = NULL;
	struct md5sig_ao_isn_arg isns[DIFF_ISNS_MAX];
	struct emu_diff_config cfg = {.isns = isns};
	bool json = false, shown = false, strict = false;
	struct md5sig_keytab *kt = NULL;
	struct emu_diff *d = NULL;
	char err[1024], warn[EMU_KEYS_WARN_MAX];
	int opt, ret = EXIT_USAGE;

	while ((opt = cli_getopt("diff", argc, argv, ":h", opts)) != -1) {
		switch (opt) {
		case 'k':
			key = optarg;
			break;
		case 'f':
			key_file = optarg;
			break;
		case 'i':
			if (cfg.nisns == DIFF_ISNS_MAX) {
				fprintf(stderr, "%s diff: --isn: at most %d\n", prog,
					DIFF_ISNS_MAX);
				return EXIT_USAGE;
			}
			if (cli_isn("diff", optarg, &isns[cfg.nisns++]))
				return EXIT_USAGE;
			break;
		case 's':
			cfg.keep_order = true;
			break;
		case 'j':
			json = true;
			break;
		case 'r':
			report = optarg;
			break;
		case 'S':
			strict = true;
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
	const char *inputs[] = {argv[optind], argv[optind + 1], key_file};
	if (cli_stdout_not_input("diff", inputs, 3))
		return EXIT_USAGE;
	if (isatty(STDERR_FILENO)) {
		cfg.progress = progress;
		cfg.progress_arg = &shown;
	}
	/* without a key, digests are not checked (and the report says so) */
	if ((key || key_file) && !(kt = md5sig_keytab_new()))
		goto nomem;
	cfg.keys = kt;
	if (!(d = emu_diff_new_config(&cfg)))
		goto nomem;
	struct emu_html_run run = {.command = "diff",
				   .argc = argc,
				   .argv = argv,
				   .key_file = key_file,
				   .key_given = key != NULL};
	int kret = report ? emu_html_check_path(report, inputs, 3, err, sizeof(err)) : 0;
	if (!kret) {
		kret = emu_keys_from_options(kt, key, key_file, warn, sizeof(warn), err,
					     sizeof(err));
		if (*warn)
			fprintf(stderr, "%s diff: warning: %s\n", prog, warn);
	}
	if (kret || emu_diff_read(d, argv[optind], argv[optind + 1], err, sizeof(err)) ||
	    emu_diff_report(d, stdout, json, err, sizeof(err)) ||
	    (report && emu_diff_html(d, report, &run, err, sizeof(err))))
		fprintf(stderr, "%s diff: %s\n", prog, err);
	else
		ret = 0;
	/* the frames before a cut were compared; the cut is said after the report */
	for (int wire = 0; wire <= 1; wire++)
		if (cli_cut("diff", argv[optind + wire], emu_diff_cut(d, wire), strict))
			ret = EXIT_USAGE;
out:
	emu_diff_free(d);
	md5sig_keytab_free(kt);
	return ret;
nomem:
	fprintf(stderr, "%s diff: cannot set up MD5 or TCP-AO (libcrypto) or out of memory\n",
		prog);
	goto out;
}
