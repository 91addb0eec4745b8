// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TCP-AO over OpenSSL EVP_MAC: the RFC 5926 KDFs, the RFC 5925 §5.1 MAC, the bounded cache of
 * keyed MAC contexts (one traffic key per connection direction and MKT, derived once), the
 * option, the SNE and the verdicts. All of TCP-AO's use of libcrypto lives here.
 *
 * Speed: a cached context is keyed once; per frame EVP_MAC_init() without a key only rewinds
 * it (HMAC restores its inner state, CMAC keeps its key schedule), then two updates (SNE,
 * pseudo-header and TCP header from one stack buffer; the payload in place) and a final.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "md5sig.h"

#define TCPF_SYN 0x02
#define TCPF_ACK 0x10
#define WAYS	 4 /* cache associativity: a set of slots shares one hash bucket */

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* ---- names ---- */

static const char *const verdict_names[MD5SIG_AO_NVERDICTS] = {
	[MD5SIG_AO_VALID] = "valid",
	[MD5SIG_AO_INVALID] = "invalid",
	[MD5SIG_AO_MISSING] = "missing",
	[MD5SIG_AO_UNEXPECTED] = "unexpected",
	[MD5SIG_AO_UNKNOWN_KEY] = "unknown-key",
	[MD5SIG_AO_NO_ISN] = "no-isn",
	[MD5SIG_AO_UNSIGNED] = "unsigned",
	[MD5SIG_AO_UNCHECKED] = "unchecked",
	[MD5SIG_AO_MALFORMED] = "malformed",
};

const char *md5sig_ao_verdict_str(enum md5sig_ao_verdict v)
{
	return (unsigned)v < MD5SIG_AO_NVERDICTS ? verdict_names[v] : "unknown";
}

static const struct {
	const char *name;
	const char *text;
} optst_names[MD5SIG_AO_OPT_NSTATUS] = {
	[MD5SIG_AO_OPT_NONE] = {"none", "no TCP-AO option"},
	[MD5SIG_AO_OPT_OK] = {"ok", "TCP-AO option"},
	[MD5SIG_AO_OPT_SHORT] = {"short-ao-opt", "TCP-AO option length < 4"},
	[MD5SIG_AO_OPT_DUP] = {"dup-ao-opt", "more than one TCP-AO option"},
	[MD5SIG_AO_OPT_WITH_MD5] = {"md5-and-ao", "both MD5 and TCP-AO options (RFC 5925)"},
	[MD5SIG_AO_OPT_MACLEN] = {"ao-maclen", "TCP-AO MAC length differs from the MKT's"},
};

const char *md5sig_ao_optst_name(enum md5sig_ao_optst st)
{
	return (unsigned)st < MD5SIG_AO_OPT_NSTATUS ? optst_names[st].name : "unknown";
}

const char *md5sig_ao_optst_str(enum md5sig_ao_optst st)
{
	return (unsigned)st < MD5SIG_AO_OPT_NSTATUS ? optst_names[st].text : "unknown";
}

/* ---- the option and the SNE ---- */

enum md5sig_ao_optst md5sig_ao_opt_find(const uint8_t *frame, const struct md5sig_seg *seg,
					struct md5sig_ao_opt *opt)
{
	const uint8_t *th = frame + seg->l4_off;
	enum md5sig_ao_optst st = MD5SIG_AO_OPT_NONE;

	/* md5sig_parse() checked that every option fits the header */
	for (uint32_t i = 20; i < seg->thlen;) {
		uint8_t kind = th[i];

		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= seg->thlen || th[i + 1] < 2 || i + th[i + 1] > seg->thlen)
			break;
		if (kind == MD5SIG_AO_OPT_KIND) {
			if (st != MD5SIG_AO_OPT_NONE)
				return MD5SIG_AO_OPT_DUP;
			if (th[i + 1] < 4) {
				st = MD5SIG_AO_OPT_SHORT;
			} else {
				opt->off = seg->l4_off + i;
				opt->len = th[i + 1];
				opt->keyid = th[i + 2];
				opt->rnextkeyid = th[i + 3];
				st = MD5SIG_AO_OPT_OK;
			}
		}
		i += th[i + 1];
	}
	if (st != MD5SIG_AO_OPT_NONE && seg->md5_off >= 0)
		return MD5SIG_AO_OPT_WITH_MD5;
	return st;
}

void md5sig_ao_sne_init(struct md5sig_ao_sne *s, uint32_t isn)
{
	s->seq = isn;
	s->sne = 0;
}

uint32_t md5sig_ao_sne_peek(const struct md5sig_ao_sne *s, uint32_t seq)
{
	/* at or past the furthest: numerically smaller means it crossed 2^32 */
	if (seq - s->seq < 0x80000000u)
		return seq < s->seq ? s->sne + 1 : s->sne;
	/* before the furthest: numerically larger means it lies before the wrap */
	return seq > s->seq ? s->sne - 1 : s->sne;
}

uint32_t md5sig_ao_sne_next(struct md5sig_ao_sne *s, uint32_t seq)
{
	uint32_t sne = md5sig_ao_sne_peek(s, seq);

	if (seq - s->seq < 0x80000000u) {
		s->seq = seq;
		s->sne = sne;
	}
	return sne;
}

/* ---- crypto ---- */

struct tk_slot {
	const struct md5sig_ao_mkt *mkt; /* NULL: empty */
	uint64_t used;			 /* LRU clock at the last use */
	uint8_t family;
	uint8_t ctx_alg; /* the MAC @ctx was made for (enum md5sig_ao_alg) */
	uint16_t sport, dport;
	uint32_t sisn, disn;
	uint8_t saddr[16], daddr[16];
	EVP_MAC_CTX *ctx; /* keyed with the traffic key; kept for the next key in this slot */
};

struct md5sig_ao_verifier {
	const struct md5sig_aotab *t;
	EVP_MAC *hmac, *cmac; /* fetched once: implicit fetches cost more than a MAC */
	struct tk_slot *slots;
	size_t nsets; /* power of 2; WAYS slots each */
	uint64_t clock;
	struct md5sig_ao_stats st;
};

/* The MAC parameters of an algorithm: HMAC's digest or CMAC's cipher. */
static void alg_params(unsigned alg, char name[static 16], OSSL_PARAM p[static 2])
{
	if (alg == MD5SIG_AO_AES_128_CMAC_96) {
		strcpy(name, "AES-128-CBC");
		p[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, name, 0);
	} else {
		strcpy(name, alg == MD5SIG_AO_HMAC_SHA256 ? "SHA256" : "SHA1");
		p[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, name, 0);
	}
	p[1] = OSSL_PARAM_construct_end();
}

static EVP_MAC *alg_mac(const struct md5sig_ao_verifier *v, unsigned alg)
{
	return alg == MD5SIG_AO_AES_128_CMAC_96 ? v->cmac : v->hmac;
}

/* (Re)key @ctx, a context of @alg's MAC. */
static int ctx_key(EVP_MAC_CTX *ctx, unsigned alg, const uint8_t *key, size_t keylen)
{
	char name[16];
	OSSL_PARAM p[2];

	alg_params(alg, name, p);
	return EVP_MAC_init(ctx, key, keylen, p) ? 0 : -EIO;
}

static EVP_MAC_CTX *ctx_new(const struct md5sig_ao_verifier *v, unsigned alg, const uint8_t *key,
			    size_t keylen)
{
	EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(alg_mac(v, alg));

	if (ctx && ctx_key(ctx, alg, key, keylen)) {
		EVP_MAC_CTX_free(ctx);
		ctx = NULL;
	}
	return ctx;
}

/* One MAC of @len bytes with a fresh context (key derivation: rare, not on the frame path). */
static int mac_once(const struct md5sig_ao_verifier *v, unsigned alg, const uint8_t *key,
		    size_t keylen, const uint8_t *msg, size_t len, uint8_t out[static 32],
		    size_t *outl)
{
	EVP_MAC_CTX *ctx = ctx_new(v, alg, key, keylen);
	int ret = -EIO;

	if (ctx && EVP_MAC_update(ctx, msg, len) && EVP_MAC_final(ctx, out, outl, 32))
		ret = 0;
	EVP_MAC_CTX_free(ctx);
	return ret;
}

/*
 * RFC 5926 §3.1.1: one PRF block, KDF(K, 1 || "TCP-AO" || context || output bits); the output
 * is the PRF's own length, so one block always suffices. KDF_AES_128_CMAC first turns a master
 * key that is not 16 bytes into one with AES-CMAC under a zero key (§3.1.1.2).
 */
static int kdf(const struct md5sig_ao_verifier *v, const struct md5sig_ao_mkt *mkt,
	       const uint8_t *context, size_t clen, struct md5sig_ao_tkey *out)
{
	uint8_t in[1 + 6 + 44 + 2], k16[32];
	unsigned bits = mkt->alg == MD5SIG_AO_AES_128_CMAC_96 ? 128
			: mkt->alg == MD5SIG_AO_HMAC_SHA256   ? 256
							      : 160;
	const uint8_t *key = mkt->key;
	size_t keylen = mkt->keylen, outl = 0, n = 0;
	int ret;

	in[n++] = 1;
	memcpy(in + n, "TCP-AO", 6);
	n += 6;
	memcpy(in + n, context, clen);
	n += clen;
	in[n++] = (uint8_t)(bits >> 8);
	in[n++] = (uint8_t)bits;

	if (mkt->alg == MD5SIG_AO_AES_128_CMAC_96 && keylen != 16) {
		static const uint8_t zero[16];

		ret = mac_once(v, mkt->alg, zero, sizeof(zero), key, keylen, k16, &outl);
		if (ret)
			return ret;
		key = k16;
		keylen = 16;
	}
	ret = mac_once(v, mkt->alg, key, keylen, in, n, out->bytes, &outl);
	md5sig_cleanse(k16, sizeof(k16));
	if (ret || outl != bits / 8) {
		md5sig_cleanse(out, sizeof(*out));
		return -EIO;
	}
	out->len = (uint8_t)outl;
	return 0;
}

int md5sig_ao_traffic_key(struct md5sig_ao_verifier *v, const struct md5sig_ao_mkt *mkt,
			  const struct md5sig_seg *seg, uint32_t sisn, uint32_t disn,
			  struct md5sig_ao_tkey *out)
{
	uint8_t c[44];
	size_t al = seg->family == AF_INET6 ? 16 : 4, n = 0;

	if (!md5sig_ao_mkt_valid(mkt) || (seg->family != AF_INET && seg->family != AF_INET6))
		return -EINVAL;
	/* RFC 5925 §5.2: addresses, ports, ISNs of the segment's direction */
	memcpy(c, seg->saddr, al);
	memcpy(c + al, seg->daddr, al);
	n = 2 * al;
	c[n++] = (uint8_t)(seg->sport >> 8);
	c[n++] = (uint8_t)seg->sport;
	c[n++] = (uint8_t)(seg->dport >> 8);
	c[n++] = (uint8_t)seg->dport;
	put32(c + n, sisn);
	put32(c + n + 4, disn);
	n += 8;
	return kdf(v, mkt, c, n, out);
}

/*
 * RFC 5925 §5.1 over a keyed @ctx: the whole MAC (not cut to the MKT's length) into @out.
 * @opt->len says how many MAC bytes the segment carries (zeroed in the input).
 */
static int mac_frame(EVP_MAC_CTX *ctx, bool exclude_opts, const uint8_t *frame,
		     const struct md5sig_seg *seg, const struct md5sig_ao_opt *opt, uint32_t sne,
		     uint8_t out[static MD5SIG_AO_MAC_MAX])
{
	uint8_t head[4 + 40 + 60];
	const uint8_t *th = frame + seg->l4_off;
	uint32_t tl = seg->tcp_len, maclen = opt->len - 4u;
	size_t n, h, outl = 0;

	put32(head, sne);
	if (seg->family == AF_INET) {
		memcpy(head + 4, seg->saddr, 4);
		memcpy(head + 8, seg->daddr, 4);
		head[12] = 0;
		head[13] = 6;
		head[14] = (uint8_t)(tl >> 8);
		head[15] = (uint8_t)tl;
		n = 16;
	} else {
		memcpy(head + 4, seg->saddr, 16);
		memcpy(head + 20, seg->daddr, 16);
		put32(head + 36, tl);
		head[40] = head[41] = head[42] = 0;
		head[43] = 6;
		n = 44;
	}
	h = n;
	if (exclude_opts) {
		/* RFC 5925 §3.1: other options skipped, TCP-AO kept with its MAC zeroed */
		memcpy(head + n, th, 20);
		memcpy(head + n + 20, frame + opt->off, 4);
		memset(head + n + 24, 0, maclen);
		n += 24 + maclen;
	} else {
		memcpy(head + n, th, seg->thlen);
		memset(head + n + (opt->off - seg->l4_off) + 4, 0, maclen);
		n += seg->thlen;
	}
	head[h + 16] = head[h + 17] = 0; /* checksum */

	if (!EVP_MAC_init(ctx, NULL, 0, NULL) || !EVP_MAC_update(ctx, head, n) ||
	    !EVP_MAC_update(ctx, th + seg->thlen, tl - seg->thlen) ||
	    !EVP_MAC_final(ctx, out, &outl, MD5SIG_AO_MAC_MAX))
		return -EIO;
	return 0;
}

int md5sig_ao_mac(struct md5sig_ao_verifier *v, const struct md5sig_ao_mkt *mkt,
		  const struct md5sig_ao_tkey *tk, const uint8_t *frame,
		  const struct md5sig_seg *seg, const struct md5sig_ao_opt *opt, uint32_t sne,
		  uint8_t out[static MD5SIG_AO_MAC_MAX])
{
	if (!md5sig_ao_mkt_valid(mkt) || tk->len < 1 || tk->len > MD5SIG_AO_TKEY_MAX ||
	    opt->len < 4)
		return -EINVAL;
	EVP_MAC_CTX *ctx = ctx_new(v, mkt->alg, tk->bytes, tk->len);
	if (!ctx)
		return -EIO;
	int ret = mac_frame(ctx, mkt->exclude_opts, frame, seg, opt, sne, out);
	EVP_MAC_CTX_free(ctx);
	return ret;
}

/* ---- the verifier and its cache of keyed contexts ---- */

struct md5sig_ao_verifier *md5sig_ao_verifier_new(const struct md5sig_aotab *t, size_t slots)
{
	struct md5sig_ao_verifier *v = calloc(1, sizeof(*v));
	size_t nsets = 1;

	if (!v)
		return NULL;
	while (nsets * WAYS < slots && nsets < ((size_t)1 << 24))
		nsets *= 2;
	v->t = t;
	v->nsets = nsets;
	v->slots = calloc(nsets * WAYS, sizeof(*v->slots));
	v->hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	v->cmac = EVP_MAC_fetch(NULL, "CMAC", NULL);
	if (!v->slots || !v->hmac || !v->cmac) {
		int err = v->slots ? ENOSYS : ENOMEM;
		md5sig_ao_verifier_free(v);
		errno = err;
		return NULL;
	}
	return v;
}

static void slots_drop(struct md5sig_ao_verifier *v)
{
	for (size_t i = 0; i < v->nsets * WAYS; i++) {
		EVP_MAC_CTX_free(v->slots[i].ctx); /* the providers wipe their keys */
		memset(&v->slots[i], 0, sizeof(v->slots[i]));
	}
}

void md5sig_ao_verifier_free(struct md5sig_ao_verifier *v)
{
	if (!v)
		return;
	if (v->slots)
		slots_drop(v);
	free(v->slots);
	EVP_MAC_free(v->hmac);
	EVP_MAC_free(v->cmac);
	free(v);
}

void md5sig_ao_verifier_set_table(struct md5sig_ao_verifier *v, const struct md5sig_aotab *t)
{
	slots_drop(v);
	v->t = t;
}

void md5sig_ao_verifier_stats(const struct md5sig_ao_verifier *v, struct md5sig_ao_stats *out)
{
	*out = v->st;
}

static size_t slot_hash(const struct md5sig_ao_mkt *mkt, const struct md5sig_seg *seg,
			const struct md5sig_ao_isns *in)
{
	uint64_t h = (uint64_t)(uintptr_t)mkt * 0x9e3779b97f4a7c15u;

	h ^= (uint64_t)in->sisn << 32 | in->disn;
	h ^= (uint64_t)seg->sport << 16 | seg->dport;
	h ^= get32(seg->saddr + (seg->family == AF_INET6 ? 12 : 0)) * 0xff51afd7ed558ccdu;
	h ^= get32(seg->daddr + (seg->family == AF_INET6 ? 12 : 0));
	h *= 0xc4ceb9fe1a85ec53u;
	return (size_t)(h ^ h >> 29);
}

static bool slot_is(const struct tk_slot *s, const struct md5sig_ao_mkt *mkt,
		    const struct md5sig_seg *seg, const struct md5sig_ao_isns *in)
{
	return s->mkt == mkt && s->sisn == in->sisn && s->disn == in->disn &&
	       s->sport == seg->sport && s->dport == seg->dport && s->family == seg->family &&
	       !memcmp(s->saddr, seg->saddr, 16) && !memcmp(s->daddr, seg->daddr, 16);
}

/* The context keyed for (MKT, direction, ISNs): from the cache, or derived into it. */
static EVP_MAC_CTX *keyed_ctx(struct md5sig_ao_verifier *v, const struct md5sig_ao_mkt *mkt,
			      const struct md5sig_seg *seg, const struct md5sig_ao_isns *in)
{
	struct tk_slot *set = v->slots + (slot_hash(mkt, seg, in) & (v->nsets - 1)) * WAYS;
	struct tk_slot *s = set;
	struct md5sig_ao_tkey tk;

	v->clock++;
	for (unsigned w = 0; w < WAYS; w++) {
		if (set[w].mkt && slot_is(&set[w], mkt, seg, in)) {
			set[w].used = v->clock;
			v->st.hits++;
			return set[w].ctx;
		}
		if (s->mkt && (!set[w].mkt || set[w].used < s->used))
			s = &set[w];
	}
	if (s->mkt)
		v->st.evictions++;
	s->mkt = NULL;
	if (md5sig_ao_traffic_key(v, mkt, seg, in->sisn, in->disn, &tk))
		return NULL;
	v->st.derivations++;
	if (s->ctx && s->ctx_alg != (mkt->alg == MD5SIG_AO_AES_128_CMAC_96)) {
		EVP_MAC_CTX_free(s->ctx);
		s->ctx = NULL;
	}
	if (!s->ctx)
		s->ctx = EVP_MAC_CTX_new(alg_mac(v, mkt->alg));
	int ret = s->ctx ? ctx_key(s->ctx, mkt->alg, tk.bytes, tk.len) : -ENOMEM;
	md5sig_cleanse(&tk, sizeof(tk));
	if (ret)
		return NULL;
	s->ctx_alg = mkt->alg == MD5SIG_AO_AES_128_CMAC_96;
	s->mkt = mkt;
	s->used = v->clock;
	s->family = seg->family;
	s->sport = seg->sport;
	s->dport = seg->dport;
	s->sisn = in->sisn;
	s->disn = in->disn;
	memcpy(s->saddr, seg->saddr, 16);
	memcpy(s->daddr, seg->daddr, 16);
	return s->ctx;
}

/* ---- verdicts ---- */

/* The ISNs a segment's key uses: a SYN and a SYN-ACK carry theirs (RFC 5925 §5.2). */
static bool seg_isns(const uint8_t *frame, const struct md5sig_seg *seg,
		     const struct md5sig_ao_isns *known, struct md5sig_ao_isns *out)
{
	const uint8_t *th = frame + seg->l4_off;

	if (th[13] & TCPF_SYN) {
		out->sisn = get32(th + 4);
		out->disn = th[13] & TCPF_ACK ? get32(th + 8) - 1 : 0;
		return true;
	}
	if (!known)
		return false;
	*out = *known;
	return true;
}

/*
 * Option, MKT and ISNs of a segment; the verdict if it stops short of the MAC, else -1. A
 * segment the capture cut is judged by its headers, unchecked where the MAC would decide.
 */
static int prepare(struct md5sig_ao_verifier *v, const uint8_t *frame, enum md5sig_status st,
		   const struct md5sig_seg *seg, const struct md5sig_ao_isns *isns,
		   struct md5sig_ao_detail *d)
{
	bool cut = st == MD5SIG_SNAPLEN && (seg->flags & MD5SIG_SEG_HEADERS);

	memset(d, 0, sizeof(*d));
	if (st != MD5SIG_TCP && !cut) {
		if (st == MD5SIG_MD5_AND_AO)
			d->optst = MD5SIG_AO_OPT_WITH_MD5;
		return MD5SIG_AO_MALFORMED;
	}
	d->optst = md5sig_ao_opt_find(frame, seg, &d->opt);
	if (d->optst >= MD5SIG_AO_OPT_SHORT)
		return MD5SIG_AO_MALFORMED;

	bool has = d->optst == MD5SIG_AO_OPT_OK;
	int r = md5sig_aotab_lookup(v->t, seg, has ? d->opt.keyid : -1, &d->mkt);
	if (r == -ENOENT)
		return has ? MD5SIG_AO_UNEXPECTED : MD5SIG_AO_UNSIGNED;
	if (!has)
		return MD5SIG_AO_MISSING;
	if (r)
		return MD5SIG_AO_UNKNOWN_KEY;
	if (d->opt.len - 4 != d->mkt->maclen) {
		d->optst = MD5SIG_AO_OPT_MACLEN;
		return MD5SIG_AO_MALFORMED;
	}
	if (cut)
		return MD5SIG_AO_UNCHECKED;
	if (!seg_isns(frame, seg, isns, &d->isns))
		return MD5SIG_AO_NO_ISN;
	return -1;
}

static int seg_mac(struct md5sig_ao_verifier *v, const uint8_t *frame, const struct md5sig_seg *seg,
		   const struct md5sig_ao_detail *d, uint32_t sne,
		   uint8_t mac[static MD5SIG_AO_MAC_MAX])
{
	EVP_MAC_CTX *ctx = keyed_ctx(v, d->mkt, seg, &d->isns);

	if (!ctx)
		return -EIO;
	return mac_frame(ctx, d->mkt->exclude_opts, frame, seg, &d->opt, sne, mac);
}

enum md5sig_ao_verdict md5sig_ao_classify(struct md5sig_ao_verifier *v, const uint8_t *frame,
					  enum md5sig_status st, const struct md5sig_seg *seg,
					  const struct md5sig_ao_isns *isns, uint32_t sne,
					  struct md5sig_ao_detail *d)
{
	struct md5sig_ao_detail own;
	uint8_t mac[MD5SIG_AO_MAC_MAX];

	if (!d)
		d = &own;
	int verdict = prepare(v, frame, st, seg, isns, d);
	if (verdict >= 0)
		return (enum md5sig_ao_verdict)verdict;
	if (seg_mac(v, frame, seg, d, sne, mac))
		return MD5SIG_AO_INVALID;
	return CRYPTO_memcmp(mac, frame + d->opt.off + 4, d->mkt->maclen) ? MD5SIG_AO_INVALID
									  : MD5SIG_AO_VALID;
}

int md5sig_ao_sign(struct md5sig_ao_verifier *v, uint8_t *frame, const struct md5sig_seg *seg,
		   const struct md5sig_ao_isns *isns, uint32_t sne)
{
	struct md5sig_ao_detail d;
	uint8_t mac[MD5SIG_AO_MAC_MAX];

	switch (prepare(v, frame, MD5SIG_TCP, seg, isns, &d)) {
	case -1:
		break;
	case MD5SIG_AO_UNKNOWN_KEY:
	case MD5SIG_AO_UNEXPECTED:
		return -ENOKEY;
	case MD5SIG_AO_NO_ISN:
		return -ENOTCONN;
	case MD5SIG_AO_MALFORMED:
		return d.optst == MD5SIG_AO_OPT_MACLEN ? -EMSGSIZE : -ENOENT;
	default:
		return -ENOENT;
	}
	if (seg_mac(v, frame, seg, &d, sne, mac))
		return -EIO;
	memcpy(frame + d.opt.off + 4, mac, d.mkt->maclen);
	md5sig_cleanse(mac, sizeof(mac));
	return 0;
}
