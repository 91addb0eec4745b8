// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vnicemu repro: a bug report as data (emu/analysis/scenario.h). Exit 0 when every expectation
 * holds, 1 with the differences when one does not, 2 when the file itself is wrong.
 */
#include <stdio.h>
#include <stdlib.h>

#include "emu/analysis/scenario.h"
#include "emu/cli/cli.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s repro SCENARIO.ini [--verbose]\n"
		"  runs the scenario's capture through its profile and settings and checks its\n"
		"  [expect] section; exit 0 when it holds, 1 with the differences, 2 on a bad file.\n"
		"  See docs/scenarios.md.\n",
		prog);
}

int cmd_repro(int argc, char **argv)
{
	static const struct option opts[] = {
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct emu_scenario *s = NULL;
	struct emu_scenario_result *res = NULL;
	char err[1024];
	bool verbose = false;
	int opt, code = EXIT_USAGE;

	while ((opt = cli_getopt("repro", argc, argv, ":h", opts)) != -1) {
		switch (opt) {
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "%s repro: expected exactly one scenario file\n", prog);
		return EXIT_USAGE;
	}
	s = malloc(sizeof(*s));
	res = malloc(sizeof(*res));
	if (!s || !res) {
		fprintf(stderr, "%s repro: out of memory\n", prog);
	} else if (emu_scenario_load(s, argv[optind], err, sizeof(err))) {
		fprintf(stderr, "%s repro: %s\n", prog, err);
	} else {
		int ret = emu_scenario_run(s, res, err, sizeof(err));
		if (*res->replay.key_warning)
			fprintf(stderr, "%s repro: warning: %s\n", prog, res->replay.key_warning);
		if (ret) {
			fprintf(stderr, "%s repro: %s\n", prog, err);
		} else {
			emu_scenario_print(stdout, s, res, verbose);
			code = res->failed ? 1 : 0;
		}
	}
	free(s);
	free(res);
	return code;
}
