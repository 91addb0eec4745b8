// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vnicemu verify: the RFC 2385 and RFC 5925 verdicts of every TCP frame of a capture
 * (emu/analysis/verify.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "emu/analysis/verify.h"
#include "emu/capture/capture.h"
#include "emu/cli/cli.h"

static void verify_usage(FILE *f)
{
	fprintf(f,
		"Usage: %s verify CAPTURE [--key SECRET | --key-file FILE] [--isn ADDR.PORT=ISN]...\n"
		"                      [--json] [--list] [--fail-on-invalid] [--jobs N]\n"
		"  CAPTURE            pcap or pcapng (Ethernet, Linux SLL/SLL2, raw IP, loopback)\n"
		"  --key SECRET       one TCP-MD5 secret for every peer, like tcpdump -M (visible in ps)\n"
		"  --key-file FILE    TCP-MD5 lines 'ADDR[/PREFIX] SECRET', '* SECRET' (hex:... secrets)\n"
		"                     and TCP-AO lines 'ao ADDR[/PREFIX] SENDID:RECVID ALG SECRET'\n"
		"  --isn ADDR.PORT=ISN  an endpoint's initial sequence number (decimal or 0x-hex), for\n"
		"                     TCP-AO connections whose handshake the capture lacks; repeatable\n"
		"  --list             one line per TCP frame: FRAME VERDICT SRC.PORT > DST.PORT\n"
		"                     (TCP-AO: FRAME ao VERDICT ...)\n"
		"  --json             print the summary as one JSON object\n"
		"  --fail-on-invalid  exit 1 when any digest or MAC is invalid or missing, or a key\n"
		"                     covered segments that could not be checked\n"
		"  --jobs N           check digests in N threads (default 0: one per CPU; 1: no\n"
		"                     threads); the output is the same\n",
		prog);
}

/* --jobs N: 0 to EMU_VERIFY_JOBS_MAX. Return: 0, or -EINVAL for anything else. */
static int parse_jobs(const char *arg, unsigned *jobs)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || *arg == '-' || n > EMU_VERIFY_JOBS_MAX)
		return -EINVAL;
	*jobs = (unsigned)n;
	return 0;
}

int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{"key", required_argument, NULL, 'k'},
		{"key-file", required_argument, NULL, 'f'},
		{"json", no_argument, NULL, 'j'},
		{"list", no_argument, NULL, 'l'},
		{"fail-on-invalid", no_argument, NULL, 'F'},
		{"jobs", required_argument, NULL, 'J'},
		{"isn", required_argument, NULL, 'I'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *key = NULL, *key_file = NULL;
	bool json = false, fail_on_invalid = false;
	struct emu_verify_config cfg = {.jobs = 0}; /* every CPU */
	struct emu_verify_counts c;
	struct md5sig_keytab *kt;
	/* at most one --isn per argument */
	struct md5sig_ao_isn_arg *isns = calloc((size_t)argc, sizeof(*isns));
	char err[512];
	int opt, ret = EXIT_USAGE;

	if (!isns) {
		fprintf(stderr, "%s verify: out of memory\n", prog);
		return EXIT_USAGE;
	}
	cfg.isns = isns;
	while ((opt = cli_getopt("verify", argc, argv, ":", opts)) != -1) {
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
		case 'l':
			cfg.list = stdout;
			break;
		case 'F':
			fail_on_invalid = true;
			break;
		case 'J':
			if (parse_jobs(optarg, &cfg.jobs)) {
				fprintf(stderr, "%s verify: --jobs: expected 0 to %d, not '%s'\n",
					prog, EMU_VERIFY_JOBS_MAX, optarg);
				goto usage;
			}
			break;
		case 'I':
			if (cli_isn("verify", optarg, &isns[cfg.nisns]))
				goto usage;
			cfg.nisns++;
			break;
		case 'h':
			verify_usage(stdout);
			free(isns);
			return 0;
		default:
			goto usage;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "%s verify: expected exactly one capture file\n", prog);
		goto usage;
	}
	cfg.path = argv[optind];
	const char *inputs[] = {cfg.path, key_file};
	if (cli_stdout_not_input("verify", inputs, 2))
		goto usage;
	if (!(kt = md5sig_keytab_new())) {
		fprintf(stderr, "%s verify: out of memory\n", prog);
		goto usage;
	}
	/* no key at all: signed segments are unchecked, not unexpected */
	cfg.keys = key || key_file ? kt : NULL;
	if (emu_keys_from_options(kt, key, key_file, err, sizeof(err))) {
		fprintf(stderr, "%s verify: %s\n", prog, err);
	} else if (emu_verify(&cfg, &c, err, sizeof(err))) {
		fflush(stdout); /* the --list lines of the frames before a read error */
		fprintf(stderr, "%s verify: %s\n", prog, err);
	} else {
		if (json)
			emu_verify_json(stdout, &c);
		else if (!cfg.list)
			emu_verify_text(stdout, cfg.path, &c);
		ret = fail_on_invalid && emu_verify_failed(&c);
	}
	md5sig_keytab_free(kt);
usage:
	free(isns);
	return ret;
}
