// SPDX-License-Identifier: GPL-2.0-or-later
/* One Check runner for every unit suite: `vnicemu-tests [SUITE]`; CTest runs one suite each. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "suites.h"

static const struct {
	const char *name;
	Suite *(*make)(void);
} suites[] = {
	{"parse", suite_parse},
	{"keys", suite_keys},
	{"digest", suite_digest},
	{"capture", suite_capture},
	{"pipeline", suite_pipeline},
	{"sg", suite_sg},
	{"tso", suite_tso},
	{"txcsum", suite_txcsum},
	{"rx", suite_rx},
	{"control", suite_control},
	{"frame", suite_frame},
	{"registry", suite_registry},
	{"profile", suite_profile},
	{"verify", suite_verify},
	{"scenario", suite_scenario},
	{"diff", suite_diff},
	{"ao", suite_ao},
	{"path", suite_path},
	{"reasm", suite_reasm},
	{"html", suite_html},
	{"live", suite_live},
	{"device", suite_device},
	{"outfile", suite_outfile},
};

int main(int argc, char **argv)
{
	SRunner *sr = NULL;
	size_t n = sizeof(suites) / sizeof(suites[0]);

	for (size_t i = 0; i < n; i++) {
		if (argc > 1 && strcmp(argv[1], suites[i].name))
			continue;
		if (!sr)
			sr = srunner_create(suites[i].make());
		else
			srunner_add_suite(sr, suites[i].make());
	}
	if (!sr) {
		fprintf(stderr, "vnicemu-tests: unknown suite '%s'\n", argv[1]);
		return 2;
	}
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
