// SPDX-License-Identifier: GPL-2.0-or-later
/* vnicemu: subcommands dispatched from one table, which also builds the usage text. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu/capture/capture.h"
#include "emu/cli/cli.h"

const char *prog = "vnicemu";

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *desc;
} subcommands[] = {
	{"run", cmd_run, "be the vNIC between a guest and a wire VDE network, live"},
	{"verify", cmd_verify, "check the TCP-MD5 and TCP-AO signatures of a capture, or live"},
	{"replay", cmd_replay, "run a guest capture through a NIC's offload stages: who broke MD5"},
	{"repro", cmd_repro,
	 "run a scenario file (a bug report as data) and check its expectations"},
	{"diff", cmd_diff, "explain what a vNIC did between a guest capture and a wire capture"},
	{"profiles", cmd_profiles, "list the NIC profiles (vmxnet, vmxnet2, vmxnet3, e1000, none)"},
};

int cli_getopt(const char *cmd, int argc, char **argv, const char *optstring,
	       const struct option *opts)
{
	opterr = 0;
	int opt = getopt_long(argc, argv, optstring, opts, NULL);
	if (opt == '?' || opt == ':') {
		/* getopt has stepped past the offending word (it permutes, so not argv[optind]) */
		const char *what = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
		fprintf(stderr, "%s %s: %s '%s' (try '%s %s --help')\n", prog, cmd,
			opt == '?' ? "unknown option" : "missing argument for", what, prog, cmd);
		return -2;
	}
	return opt;
}

void cli_progress(void *arg, unsigned long long frames, bool done)
{
	if (!done)
		fprintf(stderr, "\r\033[K%s: %llu frames", (const char *)arg, frames);
	else if (frames > 0xfff) /* shown at least once */
		fprintf(stderr, "\r\033[K");
}

int cli_stdout_not_input(const char *cmd, const char *const *inputs, unsigned n)
{
	struct stat out;
	int i;

	if (fstat(STDOUT_FILENO, &out) || !S_ISREG(out.st_mode) ||
	    (i = emu_file_among(&out, inputs, n)) < 0)
		return 0;
	fprintf(stderr, "%s %s: standard output is the input %s: not writing into it\n", prog, cmd,
		inputs[i]);
	return -EEXIST;
}

int cli_wire_mtu(const char *cmd, const char *arg, unsigned *mtu)
{
	char *end;
	unsigned long v = strtoul(arg, &end, 10);

	if (*end || !*arg || v < 576 || v > 65535) {
		fprintf(stderr, "%s %s: --wire-mtu %s: expected 576..65535\n", prog, cmd, arg);
		return -EINVAL;
	}
	*mtu = (unsigned)v;
	return 0;
}

int cli_isn(const char *cmd, const char *arg, struct md5sig_ao_isn_arg *out)
{
	const char *why;

	if (md5sig_ao_isn_parse(arg, out, &why)) {
		fprintf(stderr, "%s %s: --isn %s: %s\n", prog, cmd, arg, why);
		return -EINVAL;
	}
	return 0;
}

int cli_cut(const char *cmd, const char *path, const struct emu_capin_cut *cut, bool strict)
{
	char line[512];

	if (!cut)
		return 0;
	emu_capin_cut_format(path, cut, line, sizeof(line));
	fprintf(stderr, "%s %s: %s%s\n", prog, cmd, strict ? "" : "warning: ", line);
	return strict ? EXIT_USAGE : 0;
}

/*
 * At exit, as coreutils' close_stdout(): output that never reached stdout's file (a full disk,
 * /dev/full, a pipe whose reader went away while SIGPIPE is ignored) is an error whatever the
 * command returned, or a caller would take a cut report for a whole one. A closed stdout that
 * nothing was written to is no error.
 */
static void close_stdout(void)
{
	bool pending = __fpending(stdout) != 0, failed = ferror(stdout);

	errno = 0;
	if (fclose(stdout) && (pending || errno != EBADF))
		failed = true;
	if (failed) {
		fprintf(stderr, "%s: stdout: %s\n", prog, errno ? strerror(errno) : "write error");
		_exit(EXIT_USAGE);
	}
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: %s <command> [arguments]\n       %s --help | --version\n\nCommands:\n",
		prog, prog);
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(f, "  %-9s %s\n", subcommands[i].name, subcommands[i].desc);
	fprintf(f, "\n'%s <command> --help' or '%s help <command>' describes a command.\n", prog,
		prog);
}

int main(int argc, char **argv)
{
	atexit(close_stdout);
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "help") && argc > 2) {
		/* 'vnicemu help CMD' is 'vnicemu CMD --help' */
		char *args[] = {argv[2], "--help", NULL};

		if (argc > 3) {
			fprintf(stderr, "%s help: expected one command\n", prog);
			return EXIT_USAGE;
		}
		for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
			if (!strcmp(argv[2], subcommands[i].name))
				return subcommands[i].fn(2, args);
		fprintf(stderr, "%s help: unknown command '%s' (try '%s --help')\n", prog, argv[2],
			prog);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("vnicemu %s\n", VNICEMU_VERSION);
		return 0;
	}
	/* hidden: for the shell completion */
	if (!strcmp(argv[1], "--list-paths"))
		return cli_list_paths();
	if (!strcmp(argv[1], "--list-features"))
		return cli_list_features();
	if (!strcmp(argv[1], "--list-quirks"))
		return cli_list_quirks();
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "%s: unknown command '%s' (try '%s --help')\n", prog, argv[1], prog);
	return EXIT_USAGE;
}
