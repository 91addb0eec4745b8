// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Key-file tokens shared by the line parsers of both forms (keys.c, ao_keys.c): tokens, peers,
 * secrets, address masks and prefix matches, with the same rules and reasons for both.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "keytok.h"

bool md5sig_tok_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

bool md5sig_tok_next(const char **p, const char **s, const char **e)
{
	const char *q = *p;

	while (md5sig_tok_space(*q))
		q++;
	if (!*q) {
		*p = q;
		return false;
	}
	*s = q;
	while (*q && !md5sig_tok_space(*q))
		q++;
	*e = q;
	*p = q;
	return true;
}

bool md5sig_tok_is(const char *s, const char *e, const char *word)
{
	size_t n = strlen(word);

	return (size_t)(e - s) == n && !memcmp(s, word, n);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int md5sig_tok_secret(const char *s, const char *e, uint8_t out[static MD5SIG_KEY_MAX],
		      uint8_t *len, const char **why)
{
	size_t n = (size_t)(e - s);

	if (n >= 4 && !strncmp(s, "hex:", 4)) {
		s += 4;
		n -= 4;
		if (n == 0) {
			*why = "empty hex secret";
			return -EINVAL;
		}
		if (n % 2) {
			*why = "hex secret has an odd number of digits";
			return -EINVAL;
		}
		if (n / 2 > MD5SIG_KEY_MAX) {
			*why = "secret longer than 80 bytes";
			return -EINVAL;
		}
		for (size_t i = 0; i < n / 2; i++) {
			int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
			if (hi < 0 || lo < 0) {
				*why = "hex secret has a character that is not a hex digit";
				return -EINVAL;
			}
			out[i] = (uint8_t)(hi << 4 | lo);
		}
		*len = (uint8_t)(n / 2);
		return 0;
	}
	if (n == 0) {
		*why = "empty secret";
		return -EINVAL;
	}
	if (n > MD5SIG_KEY_MAX) {
		*why = "secret longer than 80 bytes";
		return -EINVAL;
	}
	memcpy(out, s, n);
	*len = (uint8_t)n;
	return 0;
}

int md5sig_tok_peer(const char *s, const char *e, int *family, uint8_t addr[static 16],
		    unsigned *prefix, const char **why)
{
	char buf[INET6_ADDRSTRLEN + 8];
	size_t n = (size_t)(e - s);

	if (n == 1 && *s == '*') {
		*family = AF_UNSPEC;
		*prefix = 0;
		return 0;
	}
	if (n >= sizeof(buf)) {
		*why = "bad peer address";
		return -EINVAL;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';

	char *slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET, buf, addr) == 1) {
		*family = AF_INET;
		*prefix = 32;
	} else if (inet_pton(AF_INET6, buf, addr) == 1) {
		*family = AF_INET6;
		*prefix = 128;
		/* ::ffff:a.b.c.d is an IPv4 peer with an IPv4 prefix, as Linux's TCP_MD5SIG and
		 * TCP_AO_ADD_KEY take it (net/ipv6/tcp_ipv6.c, tcp_ao.c) */
		static const uint8_t v4mapped[12] = {[10] = 0xff, [11] = 0xff};
		if (!memcmp(addr, v4mapped, sizeof(v4mapped))) {
			memmove(addr, addr + 12, 4);
			memset(addr + 4, 0, 12);
			*family = AF_INET;
			*prefix = 32;
		}
	} else {
		*why = "bad peer address (expected IPv4, IPv6 or *)";
		return -EINVAL;
	}
	if (slash) {
		const char *p = slash + 1;
		unsigned v = 0;

		if (!*p || strlen(p) > 3) {
			*why = "bad prefix length";
			return -EINVAL;
		}
		for (; *p; p++) {
			if (*p < '0' || *p > '9') {
				*why = "bad prefix length";
				return -EINVAL;
			}
			v = v * 10 + (unsigned)(*p - '0');
		}
		if (v > *prefix) {
			*why = *family == AF_INET && strchr(buf, ':')
				       ? "prefix length of a ::ffff: (IPv4-mapped) address longer "
					 "than 32 (it counts IPv4 bits, as Linux)"
				       : "prefix length too long for the address family";
			return -EINVAL;
		}
		*prefix = v;
	}
	return 0;
}

void md5sig_addr_mask(uint8_t *a, unsigned alen, unsigned prefix)
{
	for (unsigned i = 0; i < alen; i++) {
		unsigned bits = prefix > i * 8 ? prefix - i * 8 : 0;
		if (bits < 8)
			a[i] &= (uint8_t)(0xff00 >> bits);
	}
}

bool md5sig_prefix_match(const uint8_t *net, const uint8_t *a, unsigned prefix)
{
	unsigned whole = prefix / 8, rest = prefix % 8;

	if (memcmp(net, a, whole))
		return false;
	return !rest || ((net[whole] ^ a[whole]) & (uint8_t)(0xff00 >> rest)) == 0;
}
