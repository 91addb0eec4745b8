// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vnicemu verify: the RFC 2385 and RFC 5925 verdicts of every TCP frame of a capture
 * (emu/analysis/verify.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "emu/analysis/verify.h"
#include "emu/capture/capture.h"
#include "emu/cli/cli.h"

static char cmd_name[] = "verify"; /* progress lines */

static void verify_usage(FILE *f)
{
	fprintf(f,
		"Usage: %s verify CAPTURE [--key SECRET | --key-file FILE] [--isn ADDR.PORT=ISN]...\n"
		"                      [--json] [--list] [--fail-on-invalid] [--jobs N] [--strict]\n"
		"       %s verify --interface IFACE [--filter BPF] [--count N | --duration S]\n"
		"                      [--user USER] [--key ... | --key-file ...] [--isn ...]...\n"
		"                      [--json] [--list] [--fail-on-invalid]\n"
		"  CAPTURE            pcap or pcapng (Ethernet, Linux SLL/SLL2, raw IP, loopback)\n"
		"  --interface IFACE  check the frames on IFACE as they arrive (needs CAP_NET_RAW);\n"
		"                     a summary line per second on stderr, the counts at the end\n"
		"                     (--count, --duration, SIGINT or SIGTERM)\n"
		"  --filter BPF       capture only what the tcpdump filter BPF matches (default tcp)\n"
		"  --count N          stop after N frames\n"
		"  --duration S       stop after S seconds\n"
		"  --user USER        after opening the capture, become USER, like tcpdump -Z\n"
		"  --key SECRET       one TCP-MD5 secret for every peer, like tcpdump -M (visible in ps)\n"
		"  --key-file FILE    TCP-MD5 lines 'ADDR[/PREFIX] SECRET', '* SECRET' (hex:... secrets)\n"
		"                     and TCP-AO lines 'ao ADDR[/PREFIX] SENDID:RECVID ALG SECRET'\n"
		"  --isn ADDR.PORT=ISN  an endpoint's initial sequence number (decimal or 0x-hex), for\n"
		"                     TCP-AO connections whose handshake the capture lacks; repeatable\n"
		"  --list             one line per TCP frame: FRAME VERDICT SRC.PORT > DST.PORT\n"
		"                     (TCP-AO: FRAME ao VERDICT ...)\n"
		"  --json             print the summary as one JSON object; with --list, one JSON\n"
		"                     object per --list line, the summary object last\n"
		"  --fail-on-invalid  exit 1 when any digest or MAC is invalid or missing, or a key\n"
		"                     covered segments that could not be checked\n"
		"  --jobs N           check digests in N threads (default 0: one per CPU; 1: no\n"
		"                     threads); the output is the same\n"
		"  --strict           a capture cut inside its last record is an error (exit 2);\n"
		"                     without it, a warning after the results of the frames before\n",
		prog, prog);
}

/* --count N (1 or more) or --duration S (seconds, decimals allowed) into *@out (N, or ms). */
static int parse_limit(const char *opt, const char *arg, unsigned long *out)
{
	char *end;

	errno = 0;
	if (opt[2] == 'c') {
		unsigned long n = strtoul(arg, &end, 10);
		if (!errno && end != arg && !*end && *arg != '-' && n) {
			*out = n;
			return 0;
		}
		fprintf(stderr, "%s verify: %s: expected a number of frames, not '%s'\n", prog, opt,
			arg);
		return -EINVAL;
	}
	double sec = strtod(arg, &end);
	if (!errno && end != arg && !*end && sec >= 0.001 && sec <= 31536000) {
		*out = (unsigned long)(sec * 1000 + 0.5);
		return 0;
	}
	fprintf(stderr, "%s verify: %s: expected seconds (0.001 to 31536000), not '%s'\n", prog,
		opt, arg);
	return -EINVAL;
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
		{"interface", required_argument, NULL, 'i'},
		{"filter", required_argument, NULL, 'B'},
		{"count", required_argument, NULL, 'c'},
		{"duration", required_argument, NULL, 'd'},
		{"user", required_argument, NULL, 'u'},
		{"strict", no_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *key = NULL, *key_file = NULL;
	bool json = false, fail_on_invalid = false, jobs_given = false, strict = false;
	struct cli_verify_live live = {0};
	struct emu_verify_config cfg = {.jobs = 0}; /* every CPU */
	struct emu_verify_counts c;
	struct md5sig_keytab *kt;
	/* at most one --isn per argument */
	struct md5sig_ao_isn_arg *isns = calloc((size_t)argc, sizeof(*isns));
	char err[512], warn[EMU_KEYS_WARN_MAX];
	int opt, ret = EXIT_USAGE;

	if (!isns) {
		fprintf(stderr, "%s verify: out of memory\n", prog);
		return EXIT_USAGE;
	}
	cfg.isns = isns;
	while ((opt = cli_getopt("verify", argc, argv, ":h", opts)) != -1) {
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
			jobs_given = true;
			break;
		case 'i':
			live.iface = optarg;
			break;
		case 'B':
			live.filter = optarg;
			break;
		case 'c':
			if (parse_limit("--count", optarg, &live.count))
				goto usage;
			break;
		case 'd':
			if (parse_limit("--duration", optarg, &live.duration_ms))
				goto usage;
			break;
		case 'u':
			live.user = optarg;
			break;
		case 'I':
			if (cli_isn("verify", optarg, &isns[cfg.nisns]))
				goto usage;
			cfg.nisns++;
			break;
		case 'S':
			strict = true;
			break;
		case 'h':
			verify_usage(stdout);
			free(isns);
			return 0;
		default:
			goto usage;
		}
	}
	if (live.iface ? cli_verify_live_args(&live, optind != argc, jobs_given, strict)
		       : cli_verify_file_args(&live, optind != argc - 1))
		goto usage;
	cfg.path = live.iface ? NULL : argv[optind];
	cfg.list_json = json; /* with --list: JSON lines, the summary object last */
	if (!live.iface && isatty(STDERR_FILENO)) {
		cfg.progress = cli_progress;
		cfg.progress_arg = cmd_name;
	}
	const char *inputs[] = {cfg.path, key_file};
	if (cli_stdout_not_input("verify", inputs, 2))
		goto usage;
	if (!(kt = md5sig_keytab_new())) {
		fprintf(stderr, "%s verify: out of memory\n", prog);
		goto usage;
	}
	/* no key at all: signed segments are unchecked, not unexpected */
	cfg.keys = key || key_file ? kt : NULL;
	int kret = emu_keys_from_options(kt, key, key_file, warn, sizeof(warn), err, sizeof(err));
	if (*warn)
		fprintf(stderr, "%s verify: warning: %s\n", prog, warn);
	if (kret) {
		fprintf(stderr, "%s verify: %s\n", prog, err);
	} else if (live.iface) {
		live.json = json;
		live.fail_on_invalid = fail_on_invalid;
		ret = cli_verify_live(&live, &cfg);
	} else if (emu_verify(&cfg, &c, err, sizeof(err))) {
		fflush(stdout); /* the --list lines of the frames before a read error */
		fprintf(stderr, "%s verify: %s\n", prog, err);
	} else {
		if (json)
			emu_verify_json(stdout, &c);
		else if (!cfg.list)
			emu_verify_text(stdout, cfg.path, &c);
		ret = fail_on_invalid && emu_verify_failed(&c);
		if (c.truncated && cli_cut("verify", cfg.path, &c.cut, strict))
			ret = EXIT_USAGE;
	}
	md5sig_keytab_free(kt);
usage:
	free(isns);
	return ret;
}
