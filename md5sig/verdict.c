// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Verdicts: a parsed segment, the key table and the digest make one of valid, invalid, missing,
 * unexpected, unsigned or malformed. This file sits above the key table (keys.c) and the
 * digests (digest.c), so the room's files depend one way: verdict.c on keys.c and digest.c,
 * keys.c on digest.c (only to wipe secrets), parse.c on nothing.
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
	[MD5SIG_VALID] = "valid",	[MD5SIG_INVALID] = "invalid",
	[MD5SIG_MISSING] = "missing",	[MD5SIG_UNEXPECTED] = "unexpected",
	[MD5SIG_UNSIGNED] = "unsigned", [MD5SIG_MALFORMED] = "malformed",
};

const char *md5sig_verdict_str(enum md5sig_verdict v)
{
	return (unsigned)v < MD5SIG_NVERDICTS ? verdict_names[v] : "unknown";
}
