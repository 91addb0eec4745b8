// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The key table: Linux TCP_MD5SIG semantics (a key per peer address with an optional prefix,
 * binary secrets up to 80 bytes, the most specific match wins) and the key-file line parser,
 * which does no I/O so it can be fuzzed directly. Tokens, peers and secrets are read as
 * keytok.c reads them for both line forms; `ao` lines go to the TCP-AO table (ao_keys.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "keytok.h"
#include "md5sig.h"

struct keytab_entry {
	int family;	 /* AF_INET, AF_INET6, AF_UNSPEC = any */
	unsigned prefix; /* bits */
	uint8_t addr[16];
	struct md5sig_key key;
	unsigned line; /* the key-file line that gave it, 0 if none */
};

struct md5sig_keytab {
	struct keytab_entry *e;
	size_t n, cap;
	struct md5sig_aotab *ao; /* TCP-AO MKTs of `ao` lines, or NULL */
};

struct md5sig_keytab *md5sig_keytab_new(void)
{
	return calloc(1, sizeof(struct md5sig_keytab));
}

void md5sig_keytab_free(struct md5sig_keytab *kt)
{
	if (!kt)
		return;
	if (kt->e)
		md5sig_cleanse(kt->e, kt->cap * sizeof(*kt->e));
	free(kt->e);
	md5sig_aotab_free(kt->ao);
	free(kt);
}

size_t md5sig_keytab_count(const struct md5sig_keytab *kt)
{
	return kt->n;
}

/* The entry for exactly this peer and prefix (@addr masked), or NULL. */
static struct keytab_entry *find_exact(struct md5sig_keytab *kt, int family, const uint8_t *addr,
				       unsigned prefix)
{
	for (size_t i = 0; i < kt->n; i++) {
		struct keytab_entry *e = &kt->e[i];
		if (e->family == family && e->prefix == prefix && !memcmp(e->addr, addr, 16))
			return e;
	}
	return NULL;
}

static int keytab_put(struct md5sig_keytab *kt, int family, const uint8_t *addr, unsigned prefix,
		      const struct md5sig_key *key, unsigned line, unsigned *earlier)
{
	struct keytab_entry ne = {.family = family, .prefix = prefix, .line = line};
	unsigned alen = family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
	struct keytab_entry *e;

	if ((family != AF_INET && family != AF_INET6 && family != AF_UNSPEC) || prefix > alen * 8 ||
	    key->len < 1 || key->len > MD5SIG_KEY_MAX)
		return -EINVAL;
	if (alen)
		memcpy(ne.addr, addr, alen);
	md5sig_addr_mask(ne.addr, alen, prefix);
	ne.key = *key;

	if ((e = find_exact(kt, family, ne.addr, prefix))) {
		int ret = 0;
		if (!earlier) {
			*e = ne;
		} else if (e->key.len != key->len || memcmp(e->key.bytes, key->bytes, key->len)) {
			/* a file saying two things about one peer: which one was meant? */
			*earlier = e->line;
			ret = -EEXIST;
		}
		md5sig_cleanse(&ne, sizeof(ne));
		return ret;
	}
	if (kt->n == kt->cap) {
		size_t ncap = kt->cap ? kt->cap * 2 : 8;
		struct keytab_entry *ns = calloc(ncap, sizeof(*ns));
		if (!ns) {
			md5sig_cleanse(&ne, sizeof(ne));
			return -ENOMEM;
		}
		if (kt->e) {
			memcpy(ns, kt->e, kt->n * sizeof(*ns));
			md5sig_cleanse(kt->e, kt->cap * sizeof(*kt->e));
			free(kt->e);
		}
		kt->e = ns;
		kt->cap = ncap;
	}
	kt->e[kt->n++] = ne;
	md5sig_cleanse(&ne, sizeof(ne));
	return 0;
}

int md5sig_keytab_add(struct md5sig_keytab *kt, int family, const uint8_t *addr, unsigned prefix,
		      const struct md5sig_key *key)
{
	return keytab_put(kt, family, addr, prefix, key, 0, NULL);
}

const struct md5sig_key *md5sig_keytab_lookup(const struct md5sig_keytab *kt,
					      const struct md5sig_seg *seg)
{
	const struct keytab_entry *best = NULL;
	int best_score = -1;

	for (size_t i = 0; i < kt->n; i++) {
		const struct keytab_entry *e = &kt->e[i];
		int score;

		if (e->family != AF_UNSPEC && e->family != seg->family)
			continue;
		/* prefix length first, then source over destination */
		if (e->family == AF_UNSPEC)
			score = 0;
		else if (md5sig_prefix_match(e->addr, seg->saddr, e->prefix))
			score = (int)e->prefix * 2 + 2;
		else if (md5sig_prefix_match(e->addr, seg->daddr, e->prefix))
			score = (int)e->prefix * 2 + 1;
		else
			continue;
		if (score > best_score) {
			best = e;
			best_score = score;
		}
	}
	return best ? &best->key : NULL;
}

int md5sig_keytab_describe(const struct md5sig_keytab *kt, size_t i, char *buf, size_t buflen,
			   unsigned *keylen)
{
	char a[INET6_ADDRSTRLEN];

	if (i >= kt->n)
		return -ENOENT;
	const struct keytab_entry *e = &kt->e[i];
	*keylen = e->key.len;
	if (e->family == AF_UNSPEC) {
		snprintf(buf, buflen, "*");
		return 0;
	}
	inet_ntop(e->family, e->addr, a, sizeof(a));
	snprintf(buf, buflen, "%s/%u", a, e->prefix);
	return 0;
}

int md5sig_keytab_parse_line(struct md5sig_keytab *kt, const char *line, const char **why)
{
	unsigned earlier;

	return md5sig_keytab_parse_line_at(kt, line, 0, why, &earlier);
}

int md5sig_keytab_parse_line_at(struct md5sig_keytab *kt, const char *line, unsigned lineno,
				const char **why, unsigned *earlier)
{
	const char *p = line, *a, *ae, *s, *se, *x, *xe;
	struct md5sig_key key;
	uint8_t addr[16] = {0};
	unsigned prefix;
	int family, ret;

	if (!md5sig_tok_next(&p, &a, &ae) || *a == '#')
		return 0;
	if (md5sig_tok_is(a, ae, "ao")) {
		if (!kt->ao && !(kt->ao = md5sig_aotab_new())) {
			*why = "out of memory";
			return -ENOMEM;
		}
		return md5sig_aotab_parse_line_at(kt->ao, a, lineno, why, earlier);
	}
	if (!md5sig_tok_next(&p, &s, &se)) {
		*why = "missing secret (expected ADDR[/PREFIX] SECRET)";
		return -EINVAL;
	}
	if (md5sig_tok_next(&p, &x, &xe)) {
		*why = "text after the secret (a secret is one token; use hex: for spaces)";
		return -EINVAL;
	}
	ret = md5sig_tok_peer(a, ae, &family, addr, &prefix, why);
	if (ret)
		return ret;
	ret = md5sig_tok_secret(s, se, key.bytes, &key.len, why);
	if (!ret) {
		ret = keytab_put(kt, family, addr, prefix, &key, lineno, earlier);
		if (ret == -EEXIST)
			*why = "the same peer and prefix as an earlier line, with another secret";
		else if (ret == -EINVAL)
			*why = "invalid key";
		else if (ret)
			*why = "out of memory";
	}
	md5sig_cleanse(&key, sizeof(key));
	return ret;
}

const struct md5sig_aotab *md5sig_keytab_ao(const struct md5sig_keytab *kt)
{
	return kt->ao;
}

void md5sig_seg_format(const struct md5sig_seg *seg, char *buf, size_t buflen)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];

	if (seg->family != AF_INET && seg->family != AF_INET6) {
		snprintf(buf, buflen, "? > ?");
		return;
	}
	inet_ntop(seg->family, seg->saddr, s, sizeof(s));
	inet_ntop(seg->family, seg->daddr, d, sizeof(d));
	snprintf(buf, buflen, "%s.%u > %s.%u", s, seg->sport, d, seg->dport);
}
