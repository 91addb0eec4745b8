// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TCP-AO fuzzer: the first byte chooses the link type, the next nine the ISNs, the SNE and
 * whether they are known, the rest is the frame. A parsed segment goes through the option
 * parser, the verdict and the signer, against MKTs of every algorithm, so the MAC code reads
 * exactly the ranges the parser vouched for and writes only the option's MAC; a segment the
 * snaplen cut is judged by its headers and never called valid or invalid.
 */
#include <stdlib.h>
#include <string.h>

#include "md5sig/md5sig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint32_t linktypes[] = {0, 1, 101, 108, 113, 228, 229, 276};

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct md5sig_aotab *t;
	static struct md5sig_ao_verifier *v;
	struct md5sig_seg seg;
	struct md5sig_ao_opt opt;
	struct md5sig_ao_detail d;
	const char *why;

	if (!t) {
		t = md5sig_aotab_new();
		md5sig_aotab_parse_line(t, "ao 192.0.2.0/24 1:2 hmac-sha-1-96 fuzz", &why);
		md5sig_aotab_parse_line(t, "ao 192.0.2.0/24 3:4 aes-128-cmac-96 exclude-options f",
					&why);
		md5sig_aotab_parse_line(t, "ao 2001:db8::/32 1:1 hmac-sha-256-128 hex:00", &why);
		md5sig_aotab_parse_line(t, "ao * 29:29 hmac-sha-256-32 exclude-options any", &why);
		v = md5sig_ao_verifier_new(t, 8); /* small: evictions happen */
		if (!v)
			abort();
	}
	if (size < 10)
		return 0;
	uint32_t lt = linktypes[data[0] % 8];
	struct md5sig_ao_isns isns = {get32(data + 1), get32(data + 5)};
	bool known = data[9] & 1;
	uint32_t sne = data[9] >> 1;
	size_t n = size - 10;
	uint8_t *frame = malloc(n ? n : 1);
	memcpy(frame, data + 10, n);

	enum md5sig_status st = md5sig_parse(lt, frame, n, &seg);
	if (st == MD5SIG_OTHER || st == MD5SIG_FRAGMENT)
		goto out;
	/* a segment cut by the snaplen whose headers were captured is judged by them */
	bool cut = st == MD5SIG_SNAPLEN && (seg.flags & MD5SIG_SEG_HEADERS);
	if (st == MD5SIG_TCP || st == MD5SIG_MD5_AND_AO || cut) {
		enum md5sig_ao_optst os = md5sig_ao_opt_find(frame, &seg, &opt);
		if (os == MD5SIG_AO_OPT_OK &&
		    (opt.off < seg.l4_off + 20 || opt.off + opt.len > seg.l4_off + seg.thlen))
			abort();
		if (os >= MD5SIG_AO_OPT_NSTATUS || md5sig_ao_optst_name(os) == NULL)
			abort();
	}
	enum md5sig_ao_verdict vd =
		md5sig_ao_classify(v, frame, st, &seg, known ? &isns : NULL, sne, &d);
	if ((unsigned)vd >= MD5SIG_AO_NVERDICTS ||
	    ((vd == MD5SIG_AO_MALFORMED) !=
	     ((st != MD5SIG_TCP && !cut) || d.optst >= MD5SIG_AO_OPT_SHORT)))
		abort();
	/* never valid or invalid about a MAC whose covered bytes were not all captured */
	if (cut && (vd == MD5SIG_AO_VALID || vd == MD5SIG_AO_INVALID))
		abort();
	if (vd == MD5SIG_AO_VALID || vd == MD5SIG_AO_INVALID) {
		/* signing writes the MAC and nothing else, and then the frame is valid */
		uint8_t *copy = malloc(n);
		memcpy(copy, frame, n);
		if (md5sig_ao_sign(v, copy, &seg, known ? &isns : NULL, sne))
			abort();
		for (size_t i = 0; i < n; i++)
			if (copy[i] != frame[i] &&
			    (i < d.opt.off + 4 || i >= (size_t)d.opt.off + d.opt.len))
				abort();
		if (md5sig_ao_classify(v, copy, st, &seg, known ? &isns : NULL, sne, NULL) !=
		    MD5SIG_AO_VALID)
			abort();
		free(copy);
	}
out:
	free(frame);
	return 0;
}
