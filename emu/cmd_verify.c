// SPDX-License-Identifier: GPL-2.0-or-later
/* vnicemu verify: classify every TCP frame of a capture against the key table. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "emu.h"

struct verify_counts {
	unsigned long frames;
	unsigned long other; /* not TCP, or an IP fragment that cannot be checked alone */
	unsigned long verdicts[MD5SIG_NVERDICTS];
	unsigned long reasons[MD5SIG_NSTATUS];
};

static void verify_usage(FILE *f)
{
	fprintf(f,
		"Usage: %s verify CAPTURE [--key SECRET | --key-file FILE] [--json] [--list]\n"
		"                      [--fail-on-invalid]\n"
		"  CAPTURE            pcap or pcapng (Ethernet, Linux SLL/SLL2, raw IP, loopback)\n"
		"  --key SECRET       one secret for every peer, like tcpdump -M (visible in ps)\n"
		"  --key-file FILE    lines 'ADDR[/PREFIX] SECRET', '* SECRET', hex:... secrets\n"
		"  --list             one line per TCP frame: FRAME VERDICT SRC.PORT > DST.PORT\n"
		"  --json             print the summary as one JSON object\n"
		"  --fail-on-invalid  exit 1 when any digest is invalid or missing\n",
		prog);
}

static void print_json(const struct verify_counts *c)
{
	printf("{\"frames\": %lu, \"md5\": {", c->frames);
	for (int v = MD5SIG_VALID; v < MD5SIG_MALFORMED; v++)
		printf("%s\"%s\": %lu", v ? ", " : "", md5sig_verdict_str(v), c->verdicts[v]);
	printf("}, \"malformed\": %lu, \"malformed_reasons\": {", c->verdicts[MD5SIG_MALFORMED]);
	bool first = true;
	for (int s = MD5SIG_MALFORMED_FIRST; s < MD5SIG_NSTATUS; s++) {
		if (!c->reasons[s])
			continue;
		printf("%s\"%s\": %lu", first ? "" : ", ", md5sig_status_name(s), c->reasons[s]);
		first = false;
	}
	printf("}, \"other\": %lu}\n", c->other);
}

static void print_human(const char *path, uint32_t lt, const struct verify_counts *c)
{
	unsigned long tcp = 0;

	for (int v = MD5SIG_VALID; v < MD5SIG_MALFORMED; v++)
		tcp += c->verdicts[v];
	printf("%s: %lu frames (%s)\n", path, c->frames, md5sig_linktype_str(lt));
	printf("  TCP segments %10lu\n", tcp);
	for (int v = MD5SIG_VALID; v < MD5SIG_MALFORMED; v++)
		printf("    %-10s %10lu\n", md5sig_verdict_str(v), c->verdicts[v]);
	printf("  malformed    %10lu\n", c->verdicts[MD5SIG_MALFORMED]);
	for (int s = MD5SIG_MALFORMED_FIRST; s < MD5SIG_NSTATUS; s++)
		if (c->reasons[s])
			printf("    %-10lu %s\n", c->reasons[s], md5sig_status_str(s));
	printf("  not TCP      %10lu\n", c->other);
	if (c->verdicts[MD5SIG_INVALID] || c->verdicts[MD5SIG_MISSING])
		printf("result: %lu invalid, %lu missing digests\n", c->verdicts[MD5SIG_INVALID],
		       c->verdicts[MD5SIG_MISSING]);
	else
		printf("result: no invalid or missing digests\n");
}

int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{"key", required_argument, NULL, 'k'},
		{"key-file", required_argument, NULL, 'f'},
		{"json", no_argument, NULL, 'j'},
		{"list", no_argument, NULL, 'l'},
		{"fail-on-invalid", no_argument, NULL, 'F'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *key = NULL, *key_file = NULL;
	bool json = false, list = false, fail_on_invalid = false;
	struct verify_counts c = {0};
	struct md5sig_keytab *kt = NULL;
	struct md5sig_hasher *h = NULL;
	struct emu_capin *in = NULL;
	char err[512];
	int opt, ret = EXIT_USAGE;

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
			list = true;
			break;
		case 'F':
			fail_on_invalid = true;
			break;
		case 'h':
			verify_usage(stdout);
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "%s verify: expected exactly one capture file\n", prog);
		return EXIT_USAGE;
	}
	if (key && key_file) {
		fprintf(stderr, "%s verify: --key and --key-file are exclusive\n", prog);
		return EXIT_USAGE;
	}

	kt = md5sig_keytab_new();
	h = md5sig_hasher_new();
	if (!kt || !h) {
		fprintf(stderr, "%s verify: cannot set up MD5 (libcrypto)\n", prog);
		goto out;
	}
	if ((key && emu_keys_from_arg(kt, key, err, sizeof(err))) ||
	    (key_file && emu_keys_load(kt, key_file, err, sizeof(err)))) {
		fprintf(stderr, "%s verify: %s\n", prog, err);
		goto out;
	}
	in = emu_capin_open(argv[optind], err, sizeof(err));
	if (!in) {
		fprintf(stderr, "%s verify: %s\n", prog, err);
		goto out;
	}

	uint32_t lt = emu_capin_linktype(in);
	struct emu_pkt pkt;
	int r;
	while ((r = emu_capin_next(in, &pkt, err, sizeof(err))) > 0) {
		struct md5sig_seg seg;
		enum md5sig_status st = md5sig_parse(lt, pkt.data, pkt.caplen, &seg);

		c.frames++;
		if (st == MD5SIG_OTHER || st == MD5SIG_FRAGMENT) {
			c.other++;
			continue;
		}
		enum md5sig_verdict v = md5sig_classify(h, kt, pkt.data, st, &seg);
		c.verdicts[v]++;
		if (v == MD5SIG_MALFORMED)
			c.reasons[st]++;
		if (list) {
			char peers[128];
			md5sig_seg_format(&seg, peers, sizeof(peers));
			if (v == MD5SIG_MALFORMED)
				printf("%lu malformed %s (%s)\n", c.frames, peers,
				       md5sig_status_name(st));
			else
				printf("%lu %s %s\n", c.frames, md5sig_verdict_str(v), peers);
		}
	}
	if (r < 0) {
		fflush(stdout);
		fprintf(stderr, "%s verify: %s\n", prog, err);
		goto out;
	}
	if (json)
		print_json(&c);
	else if (!list)
		print_human(argv[optind], lt, &c);
	ret = fail_on_invalid && (c.verdicts[MD5SIG_INVALID] || c.verdicts[MD5SIG_MISSING]) ? 1 : 0;
out:
	emu_capin_close(in);
	md5sig_hasher_free(h);
	md5sig_keytab_free(kt);
	return ret;
}
