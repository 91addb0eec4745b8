// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TCP-AO key-line fuzzer: every line of the input goes to an MKT table and, through the key
 * file's dispatch, to a key table. Every rejection names a reason; every MKT accepted is
 * valid (key and MAC lengths, prefix, host bits clear) and its lookup is consistent.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "md5sig/md5sig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct md5sig_aotab *t = md5sig_aotab_new();
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
		if (md5sig_aotab_parse_line(t, line, &why) && !why)
			abort();
		why = NULL;
		if (md5sig_keytab_parse_line(kt, line, &why) && !why)
			abort();
	}
	if (md5sig_aotab_count(md5sig_keytab_ao(kt)) > md5sig_aotab_count(t))
		abort();
	for (size_t i = 0; i < md5sig_aotab_count(t); i++) {
		const struct md5sig_ao_mkt *m = md5sig_aotab_get(t, i);
		unsigned alen = m->family == AF_INET ? 4 : m->family == AF_INET6 ? 16 : 0;
		char d[128];
		unsigned kl;

		if (m->keylen < 1 || m->keylen > MD5SIG_AO_KEY_MAX || m->maclen < 1 ||
		    m->maclen > 16 || m->prefix > alen * 8 || m->alg >= MD5SIG_AO_NALGS)
			abort();
		for (unsigned b = m->prefix; b < 128; b++)
			if (m->addr[b / 8] & (0x80 >> (b % 8)))
				abort();
		md5sig_ao_mkt_describe(m, d, sizeof(d), &kl);
		if (kl != m->keylen)
			abort();
		/* a segment from the MKT's peer with its RecvID finds an MKT */
		struct md5sig_seg seg = {.family = (uint8_t)(alen == 4 ? AF_INET : AF_INET6)};
		const struct md5sig_ao_mkt *got;
		memcpy(seg.saddr, m->addr, 16);
		if (alen && md5sig_aotab_lookup(t, &seg, m->recvid, &got))
			abort();
	}
	free(text);
	md5sig_aotab_free(t);
	md5sig_keytab_free(kt);
	return 0;
}
