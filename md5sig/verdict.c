// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Verdicts: a parsed segment, the key table and the digest make one of valid, invalid, missing,
 * unexpected, unsigned or malformed; md5sig_classify_frame() adds TCP-AO's verdict beside it,
 * and unchecked where a capture cut the segment or no key was given. This file sits above the
 * key table (keys.c), the digests (digest.c) and TCP-AO (ao.c), so the room's files depend one
 * way: verdict.c on those, ao.c on ao_keys.c, keys.c and ao_keys.c on keytok.c and digest.c
 * (only to wipe secrets), parse.c on nothing.
 */
#include <errno.h>

#include "md5sig.h"

enum md5sig_verdict md5sig_classify(struct md5sig_hasher *h, const struct md5sig_keytab *kt,
				    const uint8_t *frame, enum md5sig_status st,
				    const struct md5sig_seg *seg)
{
	if (st != MD5SIG_TCP)
		return MD5SIG_MALFORMED;
	const struct md5sig_key *key = kt ? md5sig_keytab_lookup(kt, seg) : NULL;
	if (!key)
		return seg->md5_off >= 0 ? MD5SIG_UNEXPECTED : MD5SIG_UNSIGNED;
	if (seg->md5_off < 0)
		return MD5SIG_MISSING;
	/* libcrypto failing (-EIO) proves nothing valid */
	return md5sig_verify(h, frame, seg, key) == 0 ? MD5SIG_VALID : MD5SIG_INVALID;
}

static const char *const verdict_names[MD5SIG_NVERDICTS] = {
	[MD5SIG_VALID] = "valid",	  [MD5SIG_INVALID] = "invalid",
	[MD5SIG_MISSING] = "missing",	  [MD5SIG_UNEXPECTED] = "unexpected",
	[MD5SIG_UNSIGNED] = "unsigned",	  [MD5SIG_UNCHECKED] = "unchecked",
	[MD5SIG_MALFORMED] = "malformed",
};

const char *md5sig_verdict_str(enum md5sig_verdict v)
{
	return (unsigned)v < MD5SIG_NVERDICTS ? verdict_names[v] : "unknown";
}

static const char *const unchecked_names[MD5SIG_UNCHECKED_NREASONS] = {
	[MD5SIG_UNCHECKED_SNAPLEN] = "snaplen",
	[MD5SIG_UNCHECKED_NO_KEY] = "no-key",
};

const char *md5sig_unchecked_name(enum md5sig_unchecked r)
{
	return (unsigned)r < MD5SIG_UNCHECKED_NREASONS ? unchecked_names[r] : "unknown";
}

/* The RFC 2385 verdict of a segment whose headers parsed (@cut: its payload was not captured). */
static enum md5sig_verdict md5_verdict(const struct md5sig_checker *c, const uint8_t *frame,
				       const struct md5sig_seg *seg, bool cut)
{
	bool has = seg->md5_off >= 0;

	if (!c->kt)
		return has ? MD5SIG_UNCHECKED : MD5SIG_UNSIGNED;
	const struct md5sig_key *key = md5sig_keytab_lookup(c->kt, seg);
	if (!key)
		return has ? MD5SIG_UNEXPECTED : MD5SIG_UNSIGNED;
	if (!has)
		return MD5SIG_MISSING;
	if (cut)
		return MD5SIG_UNCHECKED;
	/* libcrypto failing (-EIO) proves nothing valid */
	return md5sig_verify(c->h, frame, seg, key) == 0 ? MD5SIG_VALID : MD5SIG_INVALID;
}

/* The TCP-AO verdict; MD5SIG_AO_MALFORMED for a malformed option (its state in @optst). */
static enum md5sig_ao_verdict ao_verdict(const struct md5sig_checker *c, const uint8_t *frame,
					 enum md5sig_status st, const struct md5sig_seg *seg,
					 const struct md5sig_ao_isns *isns, uint32_t sne,
					 enum md5sig_ao_optst *optst)
{
	struct md5sig_ao_detail d;
	struct md5sig_ao_opt opt;

	if (c->kt && c->ao) {
		enum md5sig_ao_verdict v = md5sig_ao_classify(c->ao, frame, st, seg, isns, sne, &d);
		*optst = d.optst;
		return v;
	}
	/* no MKTs: the option's presence decides */
	*optst = md5sig_ao_opt_find(frame, seg, &opt);
	if (*optst >= MD5SIG_AO_OPT_SHORT)
		return MD5SIG_AO_MALFORMED;
	if (*optst == MD5SIG_AO_OPT_NONE)
		return MD5SIG_AO_UNSIGNED;
	return c->kt ? MD5SIG_AO_UNEXPECTED : MD5SIG_AO_UNCHECKED;
}

void md5sig_classify_frame(const struct md5sig_checker *c, const uint8_t *frame,
			   enum md5sig_status st, const struct md5sig_seg *seg,
			   const struct md5sig_ao_isns *isns, uint32_t sne,
			   struct md5sig_verdicts *out)
{
	bool cut = st == MD5SIG_SNAPLEN && (seg->flags & MD5SIG_SEG_HEADERS);

	out->st = st;
	out->optst = st == MD5SIG_MD5_AND_AO ? MD5SIG_AO_OPT_WITH_MD5 : MD5SIG_AO_OPT_NONE;
	out->unchecked = c->kt ? MD5SIG_UNCHECKED_SNAPLEN : MD5SIG_UNCHECKED_NO_KEY;
	out->md5 = MD5SIG_MALFORMED;
	out->ao = MD5SIG_AO_MALFORMED;
	if (st != MD5SIG_TCP && !cut)
		return;
	out->ao = ao_verdict(c, frame, st, seg, isns, sne, &out->optst);
	if (out->ao == MD5SIG_AO_MALFORMED)
		return;
	out->md5 = md5_verdict(c, frame, seg, cut);
}

const char *md5sig_malformed_name(const struct md5sig_verdicts *v)
{
	/* a malformed option of a cut segment is what makes it malformed */
	return v->optst >= MD5SIG_AO_OPT_SHORT ? md5sig_ao_optst_name(v->optst)
					       : md5sig_status_name(v->st);
}
