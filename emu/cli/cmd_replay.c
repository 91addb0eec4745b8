// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vnicemu replay: frames captured inside a guest go through a NIC profile's transmit pipeline;
 * the run says which stage invalidated which digests and why, and can write every tap.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu/cli/cli.h"

static char cmd_name[] = "replay"; /* progress lines */
#include "emu/analysis/html.h"
#include "emu/analysis/replay.h"

struct replay_cli {
	struct emu_replay_config cfg;
	struct md5sig_ao_isn_arg *isns; /* room for one --isn per argument */
	const char *report;		/* --report FILE.html */
	bool json, fail_on_invalid, no_verify, strict;
};

static void replay_usage(FILE *f)
{
	fprintf(f,
		"Usage: %s replay CAPTURE [--profile NAME] [--path NAME[,NAME...]]\n"
		"                      [--guest-addr ADDR]... [--set FEATURE=on|off]...\n"
		"                      [--set STAGE.PARAM=VALUE]... [--key SECRET | --key-file FILE]\n"
		"                      [--isn ADDR.PORT=ISN]... [--wire-mtu N] [--out DIR] [--json]\n"
		"                      [--fail-on-invalid] [--full-verify | --no-verify]\n"
		"                      [--report FILE.html] [--strict]\n"
		"  CAPTURE          taken inside the guest (frames larger than the wire MTU are TSO\n"
		"                   requests with MSS = wire MTU - IP header - TCP header)\n"
		"  --profile NAME   NIC model (default vmxnet2; see 'vnicemu profiles')\n"
		"  --path NAME      what lies between the NIC and the wire: asa, nat, shaper,\n"
		"                   mss-clamp, fragment; the peer's frames then go wire -> guest\n"
		"  --guest-addr ADDR  the guest's address (default: per family, the source of the\n"
		"                   capture's first TCP segment); other IP frames are the peer's\n"
		"  --set sg=off     ethtool -K style feature toggle (sg, tso, tx; long names too)\n"
		"  --set tso.md5=resign   stage quirk (tso.flags, tso.ipid, tso.md5, sg.max_frags...);\n"
		"                   tso.md5 copies, re-signs or strips TCP-MD5 and TCP-AO options\n"
		"  --key-file FILE  TCP-MD5 lines 'ADDR[/PREFIX] SECRET' and TCP-AO lines\n"
		"                   'ao ADDR[/PREFIX] SENDID:RECVID ALG [exclude-options] SECRET'\n"
		"  --isn ADDR.PORT=ISN  an endpoint's initial sequence number, for TCP-AO connections\n"
		"                   whose handshake the capture lacks; repeatable\n"
		"  --wire-mtu N     IP MTU of the wire (default 1500)\n"
		"  --out DIR        write guest.pcap, <stage>.pcap, wire.pcap, annotated.pcapng\n"
		"                   (with a path also rx-wire.pcap, rx-<stage>.pcap, rx-guest.pcap)\n"
		"  --full-verify    recompute every digest (default: infer copied digests invalid)\n"
		"  --no-verify      no verification taps (throughput runs)\n"
		"  --report FILE.html  also write one self-contained page: the pipeline, the\n"
		"                   culprit, a ladder of the first invalidated flow, what was run\n"
		"  --strict         a capture cut inside its last record is an error (exit 2);\n"
		"                   without it, a warning after the results of the frames before\n",
		prog);
}

static int parse_args(struct replay_cli *r, int argc, char **argv)
{
	static const struct option opts[] = {
		{"profile", required_argument, NULL, 'p'},
		{"path", required_argument, NULL, 'P'},
		{"guest-addr", required_argument, NULL, 'g'},
		{"set", required_argument, NULL, 's'},
		{"key", required_argument, NULL, 'k'},
		{"key-file", required_argument, NULL, 'f'},
		{"wire-mtu", required_argument, NULL, 'm'},
		{"out", required_argument, NULL, 'o'},
		{"json", no_argument, NULL, 'j'},
		{"fail-on-invalid", no_argument, NULL, 'F'},
		{"full-verify", no_argument, NULL, 'V'},
		{"no-verify", no_argument, NULL, 'N'},
		{"isn", required_argument, NULL, 'I'},
		{"report", required_argument, NULL, 'R'},
		{"strict", no_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int opt;

	while ((opt = cli_getopt("replay", argc, argv, ":h", opts)) != -1) {
		switch (opt) {
		case 'p':
			r->cfg.profile = optarg;
			break;
		case 'P':
			r->cfg.path = optarg;
			break;
		case 'g':
			if (r->cfg.nguest_addrs == sizeof(r->cfg.guest_addrs) / sizeof(char *)) {
				fprintf(stderr, "%s replay: too many --guest-addr options\n", prog);
				return -EINVAL;
			}
			r->cfg.guest_addrs[r->cfg.nguest_addrs++] = optarg;
			break;
		case 's':
			if (r->cfg.nsets == sizeof(r->cfg.sets) / sizeof(r->cfg.sets[0])) {
				fprintf(stderr, "%s replay: too many --set options\n", prog);
				return -EINVAL;
			}
			r->cfg.sets[r->cfg.nsets++] = optarg;
			break;
		case 'k':
			r->cfg.key = optarg;
			break;
		case 'f':
			r->cfg.key_file = optarg;
			break;
		case 'm':
			if (cli_wire_mtu("replay", optarg, &r->cfg.wire_mtu))
				return -EINVAL;
			break;
		case 'o':
			r->cfg.out_dir = optarg;
			break;
		case 'j':
			r->json = true;
			break;
		case 'F':
			r->fail_on_invalid = true;
			break;
		case 'V':
			r->cfg.full_verify = true;
			break;
		case 'N':
			r->no_verify = true;
			break;
		case 'I':
			if (cli_isn("replay", optarg, &r->isns[r->cfg.nisns]))
				return -EINVAL;
			r->cfg.nisns++;
			break;
		case 'R':
			r->report = optarg;
			break;
		case 'S':
			r->strict = true;
			break;
		case 'h':
			replay_usage(stdout);
			exit(0);
		default:
			return -EINVAL;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "%s replay: expected exactly one capture file\n", prog);
		return -EINVAL;
	}
	if (r->no_verify && r->cfg.full_verify) {
		fprintf(stderr, "%s replay: --no-verify and --full-verify are exclusive\n", prog);
		return -EINVAL;
	}
	if (r->cfg.nguest_addrs && !r->cfg.path) {
		fprintf(stderr, "%s replay: --guest-addr tells directions apart for --path\n",
			prog);
		return -EINVAL;
	}
	r->cfg.in_path = argv[optind];
	return 0;
}

static void print_json(const struct replay_cli *r, const struct emu_replay_result *res)
{
	printf("{\"profile\": ");
	emu_json_string(stdout, res->profile);
	printf(", \"wire_mtu\": %u,\n  ", r->cfg.wire_mtu);
	emu_report_json(stdout, &res->stats, "guest", "wire");
	if (res->has_rx) {
		printf(",\n  \"path\": ");
		emu_json_string(stdout, r->cfg.path);
		printf(",\n  \"rx\": {");
		emu_report_json(stdout, &res->rx, "wire", "guest");
		printf("}");
	}
	if (res->truncated) {
		printf(",\n  \"truncated\": ");
		emu_capin_cut_json(stdout, &res->cut);
	}
	printf("}\n");
}

static void print_human(const struct replay_cli *r, const struct emu_replay_result *res)
{
	printf("replay %s through %s%s%s, wire MTU %u%s\n\n", r->cfg.in_path, res->profile,
	       res->has_rx ? ", path " : "", res->has_rx ? r->cfg.path : "", r->cfg.wire_mtu,
	       r->no_verify ? " (no verification)" : "");
	emu_report_text(stdout, &res->stats, "guest");
	if (res->has_rx) {
		printf("\nreceive (the peer's frames, wire -> guest):\n");
		emu_report_text(stdout, &res->rx, "wire");
	}
}

int cmd_replay(int argc, char **argv)
{
	struct replay_cli r = {.cfg = {.profile = "vmxnet2", .wire_mtu = 1500}};
	struct emu_replay_result *res;
	struct emu_html_trace *trace = NULL;
	char err[1024];

	r.isns = calloc((size_t)argc, sizeof(*r.isns));
	r.cfg.isns = r.isns;
	if (!r.isns || parse_args(&r, argc, argv)) {
		free(r.isns);
		return EXIT_USAGE;
	}
	const char *inputs[] = {r.cfg.in_path, r.cfg.key_file};
	if (cli_stdout_not_input("replay", inputs, 2)) {
		free(r.isns);
		return EXIT_USAGE;
	}
	r.cfg.verify = !r.no_verify;
	r.cfg.progress = isatty(STDERR_FILENO) ? cli_progress : NULL;
	r.cfg.progress_arg = cmd_name;
	if (r.report && !(trace = emu_html_trace_new(0)))
		snprintf(err, sizeof(err), "out of memory");
	if (r.report &&
	    (!trace || emu_html_check_path(r.report, inputs, 2, err, sizeof(err)))) {
		fprintf(stderr, "%s replay: %s\n", prog, err);
		emu_html_trace_free(trace);
		free(r.isns);
		return EXIT_USAGE;
	}
	r.cfg.trace = trace ? emu_html_trace_tap : NULL;
	r.cfg.trace_arg = trace;
	res = calloc(1, sizeof(*res));
	int ret = res ? emu_replay(&r.cfg, res, err, sizeof(err)) : -ENOMEM;
	if (res && *res->key_warning)
		fprintf(stderr, "%s replay: warning: %s\n", prog, res->key_warning);
	if (ret) {
		fprintf(stderr, "%s replay: %s\n", prog, res ? err : "out of memory");
		free(res);
		free(r.isns);
		emu_html_trace_free(trace);
		return EXIT_USAGE;
	}
	if (*res->removed)
		fprintf(stderr, "%s replay: removed what an earlier run left in %s: %s\n", prog,
			r.cfg.out_dir, res->removed);
	if (r.json)
		print_json(&r, res);
	else
		print_human(&r, res);
	int code = r.fail_on_invalid && emu_replay_failed(res) ? 1 : 0;
	struct emu_html_run run = {
		.command = "replay",
		.argc = argc,
		.argv = argv,
		.profile = res->profile,
		.path = r.cfg.path,
		.sets = r.cfg.sets,
		.nsets = r.cfg.nsets,
		.wire_mtu = r.cfg.wire_mtu,
		.key_file = r.cfg.key_file,
		.key_given = r.cfg.key != NULL,
	};
	if (r.report &&
	    emu_html_replay_report(r.report, &run, &r.cfg, res, trace, err, sizeof(err))) {
		fprintf(stderr, "%s replay: %s\n", prog, err);
		code = EXIT_USAGE;
	}
	emu_html_trace_free(trace);
	if (res->truncated && cli_cut("replay", r.cfg.in_path, &res->cut, r.strict))
		code = EXIT_USAGE;
	free(res);
	free(r.isns);
	return code;
}
