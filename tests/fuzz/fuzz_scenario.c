// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Scenario file fuzzer: text into emu_scenario_parse() as if read from a file, no file opened,
 * nothing replayed. A rejection must name the file; what is accepted must hold what the parser
 * promises (a capture, an expectation or more, each key once but why-contains), and every
 * expectation key is then looked up in an empty run's counters and judged, as `vnicemu repro`
 * does after its replay.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/analysis/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct emu_scenario s;
	static struct emu_replay_result res;
	static const char *const names[] = {"sg", "tso", "tx-csum", "seqrand"};
	char err[1024], got[EMU_SCENARIO_VALUE_MAX + 300];

	if (size > 65536)
		return 0;
	FILE *in = fmemopen((void *)data, size ? size : 1, "r");
	if (!in)
		return 0;
	if (!size)
		fgetc(in);
	err[0] = '\0';
	int r = emu_scenario_parse(&s, "/fuzz/s.ini", in, err, sizeof(err));
	fclose(in);
	if (r) {
		if (strncmp(err, "/fuzz/s.ini:", 12) && strncmp(err, "/fuzz/s.ini: ", 13))
			abort();
		return 0;
	}
	if (!*s.capture || !s.nexpect || s.nexpect > EMU_SCENARIO_EXPECT_MAX)
		abort();
	for (unsigned i = 0; i < s.nexpect; i++) {
		if (!s.expect[i].line)
			abort();
		for (unsigned j = 0; j < i; j++)
			if (!strcmp(s.expect[i].key, s.expect[j].key) &&
			    !strstr(s.expect[i].key, "why-contains"))
				abort();
	}
	/* an empty run of three stages, with a receive side: every key looked up and judged */
	memset(&res, 0, sizeof(res));
	res.stats.nstages = res.rx.nstages = 3;
	res.stats.culprit = res.rx.culprit = -1;
	for (unsigned i = 0; i < 3; i++) {
		res.stats.stages[i].name = names[i];
		res.rx.stages[i].name = names[i + 1];
	}
	res.has_rx = size & 1;
	for (unsigned i = 0; i < s.nexpect; i++)
		if (!emu_scenario_actual(&res, s.expect[i].key, got, sizeof(got)))
			(void)emu_scenario_holds(&s.expect[i], got);
	return 0;
}
