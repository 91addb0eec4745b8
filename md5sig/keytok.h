/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Key-file tokens: peers and secrets as both line forms write them (private to md5sig/).
 * No I/O; every rejection names a static reason that never contains the secret.
 */
#ifndef VNICEMU_MD5SIG_KEYTOK_H
#define VNICEMU_MD5SIG_KEYTOK_H

#include <stdbool.h>
#include <stdint.h>

#include "md5sig.h"

/** Whitespace between tokens (a line may end in "\r\n"). */
bool md5sig_tok_space(char c);

/**
 * md5sig_tok_next() - the next whitespace-separated token at *@p: [*@s, *@e); *@p moves past
 * it. Return: false when only whitespace is left.
 */
bool md5sig_tok_next(const char **p, const char **s, const char **e);

/** Does the token [@s, @e) spell @word exactly? */
bool md5sig_tok_is(const char *s, const char *e, const char *word);

/**
 * md5sig_tok_secret() - a secret token [@s, @e): the bytes as written, or `hex:` and an even
 * number of hex digits; 1..MD5SIG_KEY_MAX bytes into @out, the count into *@len.
 * Return: 0 or -EINVAL with *@why set.
 */
int md5sig_tok_secret(const char *s, const char *e, uint8_t out[static MD5SIG_KEY_MAX],
		      uint8_t *len, const char **why);

/**
 * md5sig_tok_peer() - `*`, `ADDR` or `ADDR/PREFIX` from [@s, @e). `*` gives AF_UNSPEC and
 * prefix 0; an address without a prefix gets the full length. @addr is written for IPv4 (4
 * bytes) and IPv6 (16), host bits left as written. An IPv4-mapped address (`::ffff:a.b.c.d`)
 * is the IPv4 peer a.b.c.d, its prefix counted in IPv4 bits, as Linux does.
 * Return: 0 or -EINVAL with *@why set.
 */
int md5sig_tok_peer(const char *s, const char *e, int *family, uint8_t addr[static 16],
		    unsigned *prefix, const char **why);

/** Clear the bits of the @alen-byte address @a past @prefix. */
void md5sig_addr_mask(uint8_t *a, unsigned alen, unsigned prefix);

/** Do the first @prefix bits of @net and @a agree? */
bool md5sig_prefix_match(const uint8_t *net, const uint8_t *a, unsigned prefix);

#endif
