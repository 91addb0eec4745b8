// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TCP-AO Master Key Tuples: the `ao` key-file line (no I/O, so it is fuzzed directly) and the
 * table with its lookup by endpoint and KeyID (RFC 5925 §3.1, Linux TCP_AO_ADD_KEY semantics).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "keytok.h"
#include "md5sig.h"

struct md5sig_aotab {
	struct md5sig_ao_mkt **m; /* one allocation each, so MKT pointers never move */
	unsigned *line;		  /* the key-file line of each, 0 if none */
	size_t n, cap;
};

bool md5sig_ao_line(const char *line)
{
	const char *s, *e;

	return md5sig_tok_next(&line, &s, &e) && md5sig_tok_is(s, e, "ao");
}

/* A decimal KeyID 0..255 from [s, e). */
static int parse_keyid(const char *s, const char *e, uint8_t *id, const char **why)
{
	unsigned v = 0;

	if (s == e) {
		*why = "expected SENDID:RECVID (two KeyIDs 0-255, e.g. 1:2)";
		return -EINVAL;
	}
	for (const char *p = s; p < e; p++) {
		if (*p < '0' || *p > '9') {
			*why = "expected SENDID:RECVID (two KeyIDs 0-255, e.g. 1:2)";
			return -EINVAL;
		}
		if (v <= 255)
			v = v * 10 + (unsigned)(*p - '0');
	}
	if (v > 255) {
		*why = "KeyID outside 0-255";
		return -EINVAL;
	}
	*id = (uint8_t)v;
	return 0;
}

static int parse_ids(const char *s, const char *e, struct md5sig_ao_mkt *mkt, const char **why)
{
	const char *colon = memchr(s, ':', (size_t)(e - s));

	if (!colon || memchr(colon + 1, ':', (size_t)(e - colon - 1))) {
		*why = "expected SENDID:RECVID (two KeyIDs 0-255, e.g. 1:2)";
		return -EINVAL;
	}
	if (parse_keyid(s, colon, &mkt->sendid, why) ||
	    parse_keyid(colon + 1, e, &mkt->recvid, why))
		return -EINVAL;
	return 0;
}

static const char *const alg_names[MD5SIG_AO_NALGS] = {
	[MD5SIG_AO_HMAC_SHA1_96] = "hmac-sha-1-96",
	[MD5SIG_AO_AES_128_CMAC_96] = "aes-128-cmac-96",
	[MD5SIG_AO_HMAC_SHA256] = "hmac-sha-256-",
};

static int parse_alg(const char *s, const char *e, struct md5sig_ao_mkt *mkt, const char **why)
{
	size_t n = (size_t)(e - s);
	size_t pl = strlen(alg_names[MD5SIG_AO_HMAC_SHA256]);

	for (unsigned a = 0; a < MD5SIG_AO_HMAC_SHA256; a++) {
		if (n == strlen(alg_names[a]) && !strncasecmp(s, alg_names[a], n)) {
			mkt->alg = (uint8_t)a;
			mkt->maclen = 12;
			return 0;
		}
	}
	if (n > pl && !strncasecmp(s, alg_names[MD5SIG_AO_HMAC_SHA256], pl)) {
		unsigned bits = 0;

		for (const char *p = s + pl; p < e; p++) {
			if (*p < '0' || *p > '9' || bits > 1000) {
				bits = 0;
				break;
			}
			bits = bits * 10 + (unsigned)(*p - '0');
		}
		if (bits < 8 || bits > 128 || bits % 8) {
			*why = "hmac-sha-256-N: N must be a multiple of 8 from 8 to 128";
			return -EINVAL;
		}
		mkt->alg = MD5SIG_AO_HMAC_SHA256;
		mkt->maclen = (uint8_t)(bits / 8);
		return 0;
	}
	*why = "unknown algorithm (expected hmac-sha-1-96, aes-128-cmac-96 or hmac-sha-256-N)";
	return -EINVAL;
}

static int parse_mkt(const char *line, struct md5sig_ao_mkt *mkt, const char **why)
{
	const char *p = line, *s[7], *e[7];
	unsigned prefix, n = 0;
	int ret;

	while (n < 7 && md5sig_tok_next(&p, &s[n], &e[n]))
		n++;
	if (n == 0 || !md5sig_tok_is(s[0], e[0], "ao")) {
		*why = "not a TCP-AO line (expected ao ADDR[/PREFIX] SENDID:RECVID ALG SECRET)";
		return -EINVAL;
	}
	if (n > 6) {
		*why = "text after the secret (a secret is one token; use hex: for spaces)";
		return -EINVAL;
	}
	/* the secret is the last token; a flag sits between the algorithm and it */
	if (n < 5 || (n == 5 && md5sig_tok_is(s[4], e[4], "exclude-options"))) {
		*why = "missing secret (expected ao ADDR[/PREFIX] SENDID:RECVID ALG "
		       "[exclude-options] SECRET)";
		return -EINVAL;
	}
	ret = md5sig_tok_peer(s[1], e[1], &mkt->family, mkt->addr, &prefix, why);
	if (ret)
		return ret;
	mkt->prefix = (uint8_t)prefix;
	md5sig_addr_mask(mkt->addr, mkt->family == AF_INET ? 4 : 16, prefix);
	if (mkt->family == AF_UNSPEC)
		memset(mkt->addr, 0, sizeof(mkt->addr));
	ret = parse_ids(s[2], e[2], mkt, why);
	if (ret)
		return ret;
	ret = parse_alg(s[3], e[3], mkt, why);
	if (ret)
		return ret;
	if (n == 6) {
		if (!md5sig_tok_is(s[4], e[4], "exclude-options")) {
			*why = "unknown word before the secret (the only flag is exclude-options; a "
			       "secret is one token, use hex: for spaces)";
			return -EINVAL;
		}
		mkt->exclude_opts = true;
	}
	return md5sig_tok_secret(s[n - 1], e[n - 1], mkt->key, &mkt->keylen, why);
}

int md5sig_ao_mkt_parse(const char *line, struct md5sig_ao_mkt *mkt, const char **why)
{
	memset(mkt, 0, sizeof(*mkt));
	int ret = parse_mkt(line, mkt, why);
	if (ret)
		md5sig_cleanse(mkt, sizeof(*mkt));
	return ret;
}

void md5sig_ao_mkt_describe(const struct md5sig_ao_mkt *mkt, char *buf, size_t buflen,
			    unsigned *keylen)
{
	char a[INET6_ADDRSTRLEN] = "*", peer[INET6_ADDRSTRLEN + 4] = "*", alg[24];

	if (mkt->family == AF_INET || mkt->family == AF_INET6) {
		inet_ntop(mkt->family, mkt->addr, a, sizeof(a));
		snprintf(peer, sizeof(peer), "%s/%u", a, mkt->prefix);
	}
	if (mkt->alg == MD5SIG_AO_HMAC_SHA256)
		snprintf(alg, sizeof(alg), "hmac-sha-256-%u", mkt->maclen * 8u);
	else
		snprintf(alg, sizeof(alg), "%s",
			 mkt->alg < MD5SIG_AO_NALGS ? alg_names[mkt->alg] : "?");
	snprintf(buf, buflen, "%s %u:%u %s%s", peer, mkt->sendid, mkt->recvid, alg,
		 mkt->exclude_opts ? " exclude-options" : "");
	*keylen = mkt->keylen;
}

struct md5sig_aotab *md5sig_aotab_new(void)
{
	return calloc(1, sizeof(struct md5sig_aotab));
}

void md5sig_aotab_free(struct md5sig_aotab *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		md5sig_cleanse(t->m[i], sizeof(*t->m[i]));
		free(t->m[i]);
	}
	free(t->m);
	free(t->line);
	free(t);
}

bool md5sig_ao_mkt_valid(const struct md5sig_ao_mkt *m)
{
	unsigned alen = m->family == AF_INET ? 4 : m->family == AF_INET6 ? 16 : 0;

	if (m->family != AF_INET && m->family != AF_INET6 && m->family != AF_UNSPEC)
		return false;
	if (m->prefix > alen * 8 || m->keylen < 1 || m->keylen > MD5SIG_AO_KEY_MAX)
		return false;
	if (m->alg == MD5SIG_AO_HMAC_SHA256)
		return m->maclen >= 1 && m->maclen <= 16;
	return m->alg < MD5SIG_AO_NALGS && m->maclen == 12;
}

static bool same_peer(const struct md5sig_ao_mkt *a, const struct md5sig_ao_mkt *b)
{
	return a->family == b->family && a->prefix == b->prefix && !memcmp(a->addr, b->addr, 16);
}

static int aotab_put(struct md5sig_aotab *t, const struct md5sig_ao_mkt *mkt, unsigned line,
		     unsigned *earlier)
{
	if (!md5sig_ao_mkt_valid(mkt))
		return -EINVAL;
	for (size_t i = 0; i < t->n; i++) {
		const struct md5sig_ao_mkt *o = t->m[i];
		if (same_peer(o, mkt) && (o->sendid == mkt->sendid || o->recvid == mkt->recvid)) {
			if (earlier)
				*earlier = t->line[i];
			return -EEXIST;
		}
	}
	if (t->n == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 8;
		struct md5sig_ao_mkt **nm = realloc(t->m, ncap * sizeof(*nm));
		if (!nm)
			return -ENOMEM;
		t->m = nm;
		unsigned *nl = realloc(t->line, ncap * sizeof(*nl));
		if (!nl)
			return -ENOMEM;
		t->line = nl;
		t->cap = ncap;
	}
	struct md5sig_ao_mkt *c = malloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	*c = *mkt;
	unsigned alen = c->family == AF_INET ? 4 : c->family == AF_INET6 ? 16 : 0;
	md5sig_addr_mask(c->addr, alen, c->prefix);
	memset(c->addr + alen, 0, sizeof(c->addr) - alen);
	t->line[t->n] = line;
	t->m[t->n++] = c;
	return 0;
}

int md5sig_aotab_add(struct md5sig_aotab *t, const struct md5sig_ao_mkt *mkt)
{
	return aotab_put(t, mkt, 0, NULL);
}

int md5sig_aotab_parse_line(struct md5sig_aotab *t, const char *line, const char **why)
{
	unsigned earlier;
	int ret = md5sig_aotab_parse_line_at(t, line, 0, why, &earlier);

	return ret == -EEXIST ? -EINVAL : ret;
}

int md5sig_aotab_parse_line_at(struct md5sig_aotab *t, const char *line, unsigned lineno,
			       const char **why, unsigned *earlier)
{
	struct md5sig_ao_mkt mkt;
	const char *p = line, *s, *e;
	int ret;

	if (!md5sig_tok_next(&p, &s, &e) || *s == '#')
		return 0;
	ret = md5sig_ao_mkt_parse(line, &mkt, why);
	if (ret)
		return ret;
	*earlier = 0;
	ret = aotab_put(t, &mkt, lineno, earlier);
	if (ret == -EEXIST)
		*why = "another MKT for this peer already uses this SendID or RecvID (RFC 5925 "
		       "§3.1)";
	else if (ret == -EINVAL)
		*why = "invalid MKT";
	else if (ret)
		*why = "out of memory";
	md5sig_cleanse(&mkt, sizeof(mkt));
	return ret;
}

size_t md5sig_aotab_count(const struct md5sig_aotab *t)
{
	return t ? t->n : 0;
}

const struct md5sig_ao_mkt *md5sig_aotab_get(const struct md5sig_aotab *t, size_t i)
{
	return t && i < t->n ? t->m[i] : NULL;
}

static bool covers(const struct md5sig_ao_mkt *m, int family, const uint8_t *a)
{
	if (m->family == AF_UNSPEC)
		return true;
	return m->family == family && md5sig_prefix_match(m->addr, a, m->prefix);
}

int md5sig_aotab_lookup(const struct md5sig_aotab *t, const struct md5sig_seg *seg, int keyid,
			const struct md5sig_ao_mkt **mkt)
{
	const struct md5sig_ao_mkt *best = NULL;
	bool covered = false;
	int best_score = -1;

	for (size_t i = 0; t && i < t->n; i++) {
		const struct md5sig_ao_mkt *m = t->m[i];
		bool from = covers(m, seg->family, seg->saddr);
		bool to = covers(m, seg->family, seg->daddr);
		int score;

		if (!from && !to)
			continue;
		covered = true;
		/* from the peer: its RecvID; towards it: its SendID */
		if (from && (keyid < 0 || m->recvid == keyid))
			score = m->prefix * 2 + 2;
		else if (to && (keyid < 0 || m->sendid == keyid))
			score = m->prefix * 2 + 1;
		else
			continue;
		if (score > best_score) {
			best = m;
			best_score = score;
		}
	}
	if (best) {
		*mkt = best;
		return 0;
	}
	return covered ? -ENOKEY : -ENOENT;
}
