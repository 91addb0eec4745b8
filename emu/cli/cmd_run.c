// SPDX-License-Identifier: GPL-2.0-or-later
/* vnicemu run: the live vNIC between a guest VDE network and a wire VDE network. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "emu/cli/cli.h"
#include "emu/device/device.h"

static void run_usage(FILE *f)
{
	fprintf(f,
		"Usage: %s run --guest URL --wire URL [--profile NAME] [--path NAME[,NAME...]]\n"
		"                   [--set FEATURE=on|off]... [--set STAGE.PARAM=VALUE]...\n"
		"                   [--key-file FILE] [--wire-mtu N] [--control PATH]\n"
		"                   [--capture DIR [--capture-size MB]] [--user USER] [--syslog]\n"
		"  --guest URL      where the guest is: any vdeplug4 URL (vde:///run/sw, switch://...,\n"
		"                   ptp://, tap://NAME, vxvde://, udp://)\n"
		"  --wire URL       the network the NIC sends to\n"
		"  --profile NAME   NIC model (default vmxnet2; see 'vnicemu profiles')\n"
		"  --path NAME      what lies between the NIC and the wire, in order: asa, nat,\n"
		"                   shaper, mss-clamp, fragment (elements toggled like features)\n"
		"  --key-file FILE  TCP-MD5 keys and TCP-AO MKTs to verify with (reloaded on SIGHUP)\n"
		"  --wire-mtu N     IP MTU of the wire (default 1500)\n"
		"  --control PATH   control socket for vnicctl (mode 0600)\n"
		"  --capture DIR    a pcap file per tap, rotated at --capture-size MB (default 64):\n"
		"                   guest.pcap, STAGE.pcap..., wire.pcap; rx-wire.pcap ... rx-guest.pcap\n"
		"  --user USER      once the ports, control socket and captures are open, run as\n"
		"                   USER with no capabilities (CAP_NET_ADMIN kept for a tap port)\n"
		"  --syslog         log to syslog instead of stderr\n"
		"SIGTERM/SIGINT stop (final counters on stdout), SIGHUP reloads the key file.\n",
		prog);
}

static void log_stderr(void *arg, int prio, const char *msg)
{
	(void)arg, (void)prio;
	fprintf(stderr, "vnicemu: %s\n", msg);
}

static void log_syslog(void *arg, int prio, const char *msg)
{
	(void)arg;
	syslog(prio, "%s", msg);
}

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{"guest", required_argument, NULL, 'g'},
		{"wire", required_argument, NULL, 'w'},
		{"profile", required_argument, NULL, 'p'},
		{"path", required_argument, NULL, 'P'},
		{"set", required_argument, NULL, 's'},
		{"key-file", required_argument, NULL, 'f'},
		{"wire-mtu", required_argument, NULL, 'm'},
		{"control", required_argument, NULL, 'c'},
		{"capture", required_argument, NULL, 'C'},
		{"capture-size", required_argument, NULL, 'S'},
		{"user", required_argument, NULL, 'u'},
		{"syslog", no_argument, NULL, 'L'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct emu_run_config cfg = {
		.profile = "vmxnet2",
		.wire_mtu = 1500,
		.capture_max = 64ull << 20,
		.log = log_stderr,
	};
	char err[1024], *end;
	unsigned long v;
	int opt;

	while ((opt = cli_getopt("run", argc, argv, ":h", opts)) != -1) {
		switch (opt) {
		case 'g':
			cfg.guest_url = optarg;
			break;
		case 'w':
			cfg.wire_url = optarg;
			break;
		case 'p':
			cfg.profile = optarg;
			break;
		case 'P':
			cfg.path = optarg;
			break;
		case 's':
			if (cfg.nsets == sizeof(cfg.sets) / sizeof(cfg.sets[0])) {
				fprintf(stderr, "%s run: too many --set options\n", prog);
				return EXIT_USAGE;
			}
			cfg.sets[cfg.nsets++] = optarg;
			break;
		case 'f':
			cfg.key_file = optarg;
			break;
		case 'm':
			if (cli_wire_mtu("run", optarg, &cfg.wire_mtu))
				return EXIT_USAGE;
			break;
		case 'c':
			cfg.control = optarg;
			break;
		case 'C':
			cfg.capture_dir = optarg;
			break;
		case 'S':
			v = strtoul(optarg, &end, 10);
			if (*end || !*optarg || v > 1u << 20) {
				fprintf(stderr, "%s run: --capture-size %s: expected megabytes\n",
					prog, optarg);
				return EXIT_USAGE;
			}
			cfg.capture_max = (uint64_t)v << 20;
			break;
		case 'u':
			cfg.user = optarg;
			break;
		case 'L':
			cfg.log = log_syslog;
			break;
		case 'h':
			run_usage(stdout);
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "%s run: unexpected argument '%s'\n", prog, argv[optind]);
		return EXIT_USAGE;
	}
	if (!cfg.guest_url || !cfg.wire_url) {
		fprintf(stderr, "%s run: --guest URL and --wire URL are required\n", prog);
		return EXIT_USAGE;
	}
	if (cfg.log == log_syslog)
		openlog("vnicemu", LOG_PID, LOG_DAEMON);
	struct emu_device *dev = emu_device_new(&cfg, err, sizeof(err));
	int ret = dev ? emu_device_run(dev, err, sizeof(err)) : -1;
	if (!ret)
		emu_device_report(dev, stdout, false); /* the final counters */
	fflush(stdout);
	emu_device_free(dev);
	if (ret) {
		fprintf(stderr, "%s run: %s\n", prog, err);
		return EXIT_USAGE;
	}
	return 0;
}
