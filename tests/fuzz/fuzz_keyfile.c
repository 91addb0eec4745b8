// SPDX-License-Identifier: GPL-2.0-or-later
/* Key-file line parser fuzzer: every line of the input is fed to a fresh table. */
#include <stdlib.h>
#include <string.h>

#include "md5sig/md5sig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct md5sig_keytab *kt = md5sig_keytab_new();
	char *text = malloc(size + 1);
	const char *why;

	memcpy(text, data, size);
	text[size] = '\0';
	for (char *line = text, *next; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		why = NULL;
		if (md5sig_keytab_parse_line(kt, line, &why) && !why)
			abort(); /* every rejection names a reason */
	}
	for (size_t i = 0; i < md5sig_keytab_count(kt); i++) {
		char d[64];
		unsigned kl;
		md5sig_keytab_describe(kt, i, d, sizeof(d), &kl);
		if (kl < 1 || kl > MD5SIG_KEY_MAX)
			abort();
	}
	free(text);
	md5sig_keytab_free(kt);
	return 0;
}
