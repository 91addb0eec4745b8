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

#include "commands.h"
#include "emu.h"

struct replay {
	const char *in_path;
	const char *profile_name;
	const char *key, *key_file;
	const char *out_dir;
	unsigned wire_mtu;
	bool json, fail_on_invalid, no_verify, full_verify;
	const char *sets[64];
	unsigned nsets;

	struct emu_profile profile;
	struct md5sig_keytab *keys;
	struct emu_capin *in;
	struct offload_pipeline *pl;
	unsigned nstages;

	/* --out: one pcap per tap, wire.pcap, annotated.pcapng (guest and wire interfaces) */
	struct emu_capout *tap_out[OFFLOAD_MAX_STAGES + 1];
	struct emu_capout *wire_out, *annotated;
	int write_err;
	char write_path[512];
};

static void replay_usage(FILE *f)
{
	fprintf(f,
		"Usage: %s replay CAPTURE [--profile NAME] [--set FEATURE=on|off]...\n"
		"                      [--set STAGE.PARAM=VALUE]... [--key SECRET | --key-file FILE]\n"
		"                      [--wire-mtu N] [--out DIR] [--json] [--fail-on-invalid]\n"
		"                      [--full-verify | --no-verify]\n"
		"  CAPTURE          taken inside the guest (frames larger than the wire MTU are TSO\n"
		"                   requests with MSS = wire MTU - IP header - TCP header)\n"
		"  --profile NAME   NIC model (default vmxnet2; see 'vnicemu profiles')\n"
		"  --set sg=off     ethtool -K style feature toggle (sg, tso, tx; long names too)\n"
		"  --set tso.md5=resign   stage quirk (tso.flags, tso.ipid, tso.md5, sg.max_frags...)\n"
		"  --wire-mtu N     IP MTU of the wire (default 1500)\n"
		"  --out DIR        write guest.pcap, <stage>.pcap, wire.pcap, annotated.pcapng\n"
		"  --full-verify    recompute every digest (default: infer copied digests invalid)\n"
		"  --no-verify      no verification taps (throughput runs)\n",
		prog);
}

static int parse_args(struct replay *r, int argc, char **argv)
{
	static const struct option opts[] = {
		{"profile", required_argument, NULL, 'p'},
		{"set", required_argument, NULL, 's'},
		{"key", required_argument, NULL, 'k'},
		{"key-file", required_argument, NULL, 'f'},
		{"wire-mtu", required_argument, NULL, 'm'},
		{"out", required_argument, NULL, 'o'},
		{"json", no_argument, NULL, 'j'},
		{"fail-on-invalid", no_argument, NULL, 'F'},
		{"full-verify", no_argument, NULL, 'V'},
		{"no-verify", no_argument, NULL, 'N'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int opt;
	char *end;

	while ((opt = cli_getopt("replay", argc, argv, ":", opts)) != -1) {
		switch (opt) {
		case 'p':
			r->profile_name = optarg;
			break;
		case 's':
			if (r->nsets == sizeof(r->sets) / sizeof(r->sets[0])) {
				fprintf(stderr, "%s replay: too many --set options\n", prog);
				return -EINVAL;
			}
			r->sets[r->nsets++] = optarg;
			break;
		case 'k':
			r->key = optarg;
			break;
		case 'f':
			r->key_file = optarg;
			break;
		case 'm': {
			unsigned long v = strtoul(optarg, &end, 10);
			if (*end || !*optarg || v < 576 || v > 65535) {
				fprintf(stderr, "%s replay: --wire-mtu %s: expected 576..65535\n",
					prog, optarg);
				return -EINVAL;
			}
			r->wire_mtu = (unsigned)v;
			break;
		}
		case 'o':
			r->out_dir = optarg;
			break;
		case 'j':
			r->json = true;
			break;
		case 'F':
			r->fail_on_invalid = true;
			break;
		case 'V':
			r->full_verify = true;
			break;
		case 'N':
			r->no_verify = true;
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
	if (r->key && r->key_file) {
		fprintf(stderr, "%s replay: --key and --key-file are exclusive\n", prog);
		return -EINVAL;
	}
	if (r->no_verify && r->full_verify) {
		fprintf(stderr, "%s replay: --no-verify and --full-verify are exclusive\n", prog);
		return -EINVAL;
	}
	r->in_path = argv[optind];
	return 0;
}

static const char *tap_name(const struct replay *r, unsigned tap)
{
	return tap == 0 ? "guest" : r->profile.tx[tap - 1];
}

static void note_write_error(struct replay *r, int err, const char *what)
{
	if (err && !r->write_err) {
		r->write_err = err;
		snprintf(r->write_path, sizeof(r->write_path), "%s/%s", r->out_dir, what);
	}
}

static void sink(void *arg, unsigned tap, const struct offload_frame *f,
		 const struct md5sig_seg *seg, enum md5sig_status st)
{
	struct replay *r = arg;
	char comment[1024], peers[128];

	if (!r->out_dir)
		return;
	note_write_error(r, emu_capout_write(r->tap_out[tap], 0, &f->ts, f->data, f->len, NULL),
			 tap_name(r, tap));
	if (tap != 0 && tap != r->nstages)
		return;
	if (tap == r->nstages)
		note_write_error(r, emu_capout_write(r->wire_out, 0, &f->ts, f->data, f->len, NULL),
				 "wire.pcap");

	/* annotated.pcapng: guest frames on interface 0, wire frames on interface 1 */
	const char *v = f->verdict_known && f->verdict < MD5SIG_NVERDICTS
				? md5sig_verdict_str(f->verdict)
			: st == MD5SIG_OTHER || st == MD5SIG_FRAGMENT ? "not TCP"
								      : "not verified";
	md5sig_seg_format(seg, peers, sizeof(peers));
	if (st >= MD5SIG_MALFORMED_FIRST)
		snprintf(comment, sizeof(comment), "guest frame %llu: malformed (%s)",
			 (unsigned long long)f->guest_no, md5sig_status_str(st));
	else if (tap == 0)
		snprintf(comment, sizeof(comment), "guest frame %llu: md5 %s%s",
			 (unsigned long long)f->guest_no, v, f->tso ? " (TSO request)" : "");
	else
		snprintf(comment, sizeof(comment), "guest frame %llu segment %u/%u: md5 %s%s",
			 (unsigned long long)f->guest_no, f->seg_no + 1u, (unsigned)f->seg_count, v,
			 f->digest_inferred ? " (copied digest over changed bytes)" : "");
	note_write_error(
		r,
		emu_capout_write(r->annotated, tap == 0 ? 0 : 1, &f->ts, f->data, f->len, comment),
		"annotated.pcapng");
}

static int open_outputs(struct replay *r, uint32_t lt, char *err, size_t errlen)
{
	char path[1024];

	if (mkdir(r->out_dir, 0755) && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", r->out_dir, strerror(errno));
		return -errno;
	}
	for (unsigned t = 0; t <= r->nstages; t++) {
		snprintf(path, sizeof(path), "%s/%s.pcap", r->out_dir, tap_name(r, t));
		r->tap_out[t] = emu_capout_open(path, false, err, errlen);
		if (!r->tap_out[t] || emu_capout_iface(r->tap_out[t], lt, NULL) < 0)
			return -EIO;
	}
	snprintf(path, sizeof(path), "%s/wire.pcap", r->out_dir);
	r->wire_out = emu_capout_open(path, false, err, errlen);
	if (!r->wire_out || emu_capout_iface(r->wire_out, lt, NULL) < 0)
		return -EIO;
	snprintf(path, sizeof(path), "%s/annotated.pcapng", r->out_dir);
	r->annotated = emu_capout_open(path, true, err, errlen);
	if (!r->annotated || emu_capout_iface(r->annotated, lt, "guest") < 0 ||
	    emu_capout_iface(r->annotated, lt, "wire") < 0)
		return -EIO;
	return 0;
}

static int close_outputs(struct replay *r)
{
	int ret = 0;

	for (unsigned t = 0; t <= r->nstages; t++)
		note_write_error(r, emu_capout_close(r->tap_out[t]), tap_name(r, t));
	note_write_error(r, emu_capout_close(r->wire_out), "wire.pcap");
	note_write_error(r, emu_capout_close(r->annotated), "annotated.pcapng");
	if (r->write_err) {
		fprintf(stderr, "%s replay: %s: %s\n", prog, r->write_path,
			strerror(-r->write_err));
		ret = r->write_err;
	}
	return ret;
}

static int push_frame(struct replay *r, const struct emu_pkt *pkt, uint64_t no)
{
	int n = emu_guest_frame(r->pl, &r->profile, emu_capin_linktype(r->in), r->wire_mtu,
				pkt->data, pkt->caplen, &pkt->ts, no, NULL);
	return n < 0 ? n : 0;
}

static void print_json(const struct replay *r, const struct offload_stats *s)
{
	printf("{\"profile\": ");
	emu_json_string(stdout, r->profile.name);
	printf(", \"wire_mtu\": %u,\n  ", r->wire_mtu);
	emu_report_json(stdout, s, "guest", "wire");
	printf("}\n");
}

static void print_human(const struct replay *r, const struct offload_stats *s)
{
	printf("replay %s through %s, wire MTU %u%s\n\n", r->in_path, r->profile.name, r->wire_mtu,
	       r->no_verify ? " (no verification)" : "");
	emu_report_text(stdout, s, "guest");
}

static int run(struct replay *r, int *exit_code)
{
	char err[1024];
	struct offload_config cfg = {0};
	struct emu_pkt pkt;
	uint64_t no = 0;
	int ret;
	bool progress = isatty(STDERR_FILENO);
	time_t last = time(NULL);

	ret = emu_profile_load(&r->profile, r->profile_name, err, sizeof(err));
	for (unsigned i = 0; !ret && i < r->nsets; i++)
		ret = emu_profile_set(&r->profile, r->sets[i], err, sizeof(err));
	if (ret)
		goto usage;
	r->keys = md5sig_keytab_new();
	if (!r->keys)
		return -ENOMEM;
	if ((r->key && (ret = emu_keys_from_arg(r->keys, r->key, err, sizeof(err)))) ||
	    (r->key_file && (ret = emu_keys_load(r->keys, r->key_file, err, sizeof(err)))))
		goto usage;
	r->in = emu_capin_open(r->in_path, err, sizeof(err));
	if (!r->in) {
		ret = -EINVAL;
		goto usage;
	}
	if ((ret = emu_profile_config(&r->profile, false, &cfg, err, sizeof(err))))
		goto usage;
	cfg.linktype = emu_capin_linktype(r->in);
	cfg.wire_mtu = r->wire_mtu;
	cfg.keys = r->key || r->key_file ? r->keys : NULL;
	cfg.verify = !r->no_verify;
	cfg.full_verify = r->full_verify;
	r->pl = offload_pipeline_new(&cfg, err, sizeof(err));
	if (!r->pl) {
		ret = -EINVAL;
		goto usage;
	}
	r->nstages = cfg.nstages;
	/* everything is valid: only now create files */
	if (r->out_dir && (ret = open_outputs(r, cfg.linktype, err, sizeof(err))))
		goto usage;
	offload_pipeline_set_sink(r->pl, sink, r);

	while ((ret = emu_capin_next(r->in, &pkt, err, sizeof(err))) > 0) {
		ret = push_frame(r, &pkt, ++no);
		if (ret) {
			fprintf(stderr, "%s replay: %s: frame %llu: %s\n", prog, r->in_path,
				(unsigned long long)no, strerror(-ret));
			return ret;
		}
		if (progress && !(no & 0xfff) && time(NULL) != last) {
			last = time(NULL);
			fprintf(stderr, "\rreplay: %llu frames", (unsigned long long)no);
		}
	}
	if (progress && no > 0xfff)
		fprintf(stderr, "\r\033[K");
	if (ret < 0)
		goto usage;
	if (r->out_dir && (ret = close_outputs(r)))
		return ret;
	r->out_dir = NULL;

	struct offload_stats s;
	offload_pipeline_stats(r->pl, &s);
	if (r->json)
		print_json(r, &s);
	else
		print_human(r, &s);
	*exit_code = r->fail_on_invalid && s.culprit >= 0 ? 1 : 0;
	return 0;
usage:
	fprintf(stderr, "%s replay: %s\n", prog, err);
	return ret ? ret : -EINVAL;
}

int cmd_replay(int argc, char **argv)
{
	struct replay r = {.profile_name = "vmxnet2", .wire_mtu = 1500};
	int code = EXIT_USAGE;

	if (parse_args(&r, argc, argv) == 0 && run(&r, &code) != 0)
		code = EXIT_USAGE;
	if (r.out_dir) {
		for (unsigned t = 0; t <= r.nstages; t++)
			emu_capout_close(r.tap_out[t]);
		emu_capout_close(r.wire_out);
		emu_capout_close(r.annotated);
	}
	offload_pipeline_free(r.pl);
	emu_capin_close(r.in);
	md5sig_keytab_free(r.keys);
	return code;
}
