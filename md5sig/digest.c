// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * RFC 2385 digests over OpenSSL EVP. All of the project's use of libcrypto for TCP-MD5 lives
 * here: the hash, the constant-time compare and the wiping of secrets.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "md5sig.h"

struct md5sig_hasher {
	EVP_MD *md; /* fetched once: implicit fetches per digest cost more than the hash */
	EVP_MD_CTX *ctx;
};

struct md5sig_hasher *md5sig_hasher_new(void)
{
	struct md5sig_hasher *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->md = EVP_MD_fetch(NULL, "MD5", NULL);
	h->ctx = EVP_MD_CTX_new();
	if (!h->md || !h->ctx) {
		md5sig_hasher_free(h);
		errno = ENOSYS;
		return NULL;
	}
	return h;
}

void md5sig_hasher_free(struct md5sig_hasher *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->ctx);
	EVP_MD_free(h->md);
	free(h);
}

void md5sig_cleanse(void *p, size_t len)
{
	OPENSSL_cleanse(p, len);
}

int md5sig_digest(struct md5sig_hasher *h, const uint8_t *frame, const struct md5sig_seg *seg,
		  const struct md5sig_key *key, uint8_t out[static MD5SIG_DIGEST_LEN])
{
	/* pseudo-header (RFC 2385 §2.0 step 1) and fixed TCP header (step 2) in one update */
	uint8_t head[40 + WIRE_TCP_HLEN];
	size_t n;
	uint32_t tl = seg->tcp_len;

	if (seg->family == AF_INET) {
		memcpy(head, frame + seg->l3_off + WIRE_IPV4_SADDR, 8); /* and the destination */
		head[8] = 0;
		head[9] = WIRE_IPPROTO_TCP;
		head[10] = (uint8_t)(tl >> 8);
		head[11] = (uint8_t)tl;
		n = 12;
	} else {
		memcpy(head, frame + seg->l3_off + WIRE_IPV6_SADDR, 32);
		head[32] = (uint8_t)(tl >> 24);
		head[33] = (uint8_t)(tl >> 16);
		head[34] = (uint8_t)(tl >> 8);
		head[35] = (uint8_t)tl;
		head[36] = head[37] = head[38] = 0;
		head[39] = WIRE_IPPROTO_TCP;
		n = 40;
	}
	memcpy(head + n, frame + seg->l4_off, WIRE_TCP_HLEN);
	head[n + WIRE_TCP_CSUM] = head[n + WIRE_TCP_CSUM + 1] = 0;
	n += WIRE_TCP_HLEN;

	unsigned int olen = 0;
	if (!EVP_DigestInit_ex(h->ctx, h->md, NULL) || !EVP_DigestUpdate(h->ctx, head, n) ||
	    !EVP_DigestUpdate(h->ctx, frame + seg->l4_off + seg->thlen, tl - seg->thlen) ||
	    !EVP_DigestUpdate(h->ctx, key->bytes, key->len) ||
	    !EVP_DigestFinal_ex(h->ctx, out, &olen) || olen != MD5SIG_DIGEST_LEN)
		return -EIO;
	return 0;
}

int md5sig_sign(struct md5sig_hasher *h, uint8_t *frame, const struct md5sig_seg *seg,
		const struct md5sig_key *key)
{
	if (seg->md5_off < 0)
		return -ENOENT;
	return md5sig_digest(h, frame, seg, key, frame + seg->md5_off);
}

int md5sig_verify(struct md5sig_hasher *h, const uint8_t *frame, const struct md5sig_seg *seg,
		  const struct md5sig_key *key)
{
	uint8_t d[MD5SIG_DIGEST_LEN];
	int ret;

	if (seg->md5_off < 0)
		return -ENOENT;
	if ((ret = md5sig_digest(h, frame, seg, key, d)) < 0)
		return ret;
	return CRYPTO_memcmp(d, frame + seg->md5_off, sizeof(d)) == 0 ? 0 : -EBADMSG;
}
