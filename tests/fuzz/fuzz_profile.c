// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Profile and path file fuzzer: the same text through both parsers (emu_profile_parse(),
 * emu_path_parse()), as if read from a file, no file opened. A rejection must name the file
 * and, unless a required key is missing, its line; what is accepted must hold what the parser
 * promises (a name, known stages each listed once, quirks only of its own stages), and must
 * make a pipeline configuration, as `vnicemu replay` makes one from it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/device/device.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_err(int r, const char *err)
{
	if (!r)
		return;
	/* "fuzz.ini:LINE: why", or "fuzz.ini: a profile/path needs ..." */
	if (strncmp(err, "fuzz.ini:", 9) || strlen(err) < 12)
		abort();
	if (err[9] != ' ' && !(err[9] >= '1' && err[9] <= '9'))
		abort();
}

static bool once_each(const char list[][EMU_NAME_MAX], unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (!offload_stage_find(list[i]))
			return false;
		for (unsigned j = 0; j < i; j++)
			if (!strcmp(list[i], list[j]))
				return false;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct emu_profile p;
	static struct emu_path path;
	static struct offload_config cfg;
	char err[1024];
	int r;

	if (size > 65536)
		return 0;
	FILE *in = fmemopen((void *)data, size ? size : 1, "r");
	if (!in)
		return 0;
	if (!size)
		fgetc(in); /* fmemopen wants a size of at least 1: read it away */
	err[0] = '\0';
	r = emu_profile_parse(&p, "fuzz.ini", in, err, sizeof(err));
	check_err(r, err);
	if (!r) {
		if (!*p.name || !p.ntx || !p.nrx || !once_each(p.tx, p.ntx) ||
		    !once_each(p.rx, p.nrx) || p.nparams > OFFLOAD_MAX_PARAMS)
			abort();
		for (int rx = 0; rx < 2; rx++) {
			memset(&cfg, 0, sizeof(cfg));
			if (emu_profile_config(&p, rx, &cfg, err, sizeof(err)))
				abort(); /* every quirk is of one of its stages */
		}
	}

	rewind(in);
	err[0] = '\0';
	r = emu_path_parse(&path, "fuzz.ini", in, err, sizeof(err));
	check_err(r, err);
	if (!r && (!*path.name || !path.nelements ||
		   !once_each((const char(*)[EMU_NAME_MAX])path.elements, path.nelements)))
		abort();
	fclose(in);
	return 0;
}
