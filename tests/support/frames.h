/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small, naive frame builder for tests and benchmarks: Ethernet (optionally tagged), Linux
 * SLL/SLL2 or raw IP; IPv4 with options or IPv6 with a destination-options header; TCP with
 * an optional MD5 option laid out as Linux does (NOP, NOP, kind 19, length 18, digest).
 * Written independently of md5sig's parser so the two check each other.
 */
#ifndef VNICEMU_TESTS_FRAMES_H
#define VNICEMU_TESTS_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "md5sig/md5sig.h"

struct tf_spec {
	uint32_t linktype;     /* enum md5sig_linktype; 0 means Ethernet */
	unsigned vlans;	       /* 0..2 tags (outer 802.1ad when 2) */
	int family;	       /* AF_INET (default when 0) or AF_INET6 */
	const char *src, *dst; /* addresses as text; defaults 192.0.2.1 / 192.0.2.2 */
	uint16_t sport, dport; /* defaults 40000 / 179 */
	uint32_t seq, ack;
	uint8_t flags;	 /* TCP flags; default ACK|PSH */
	uint16_t window; /* default 502 */
	uint16_t urg;
	uint8_t ttl; /* default 64 */
	uint16_t ipid;
	bool no_df;	     /* IPv4: Don't Fragment clear (set by default, as Linux sends TCP) */
	bool md5;	     /* add an MD5 option (zero digest until signed) */
	const uint8_t *opts; /* extra TCP options, padded with NOPs to 4 bytes */
	size_t opts_len;
	size_t ipv4_opts;	/* bytes of IPv4 options (NOPs then EOL), multiple of 4 */
	size_t ipv6_dstopts;	/* bytes of an IPv6 destination-options header (8, 16...) */
	const uint8_t *payload; /* NULL: a deterministic pattern */
	size_t plen;
};

/* Build the frame into @buf; returns its length, or 0 if @cap is too small or @s is bad. */
size_t tf_build(const struct tf_spec *s, uint8_t *buf, size_t cap);

/* Build and sign with @key (requires s->md5). Returns the length or 0. */
size_t tf_build_signed(const struct tf_spec *s, const struct md5sig_key *key, uint8_t *buf,
		       size_t cap);

/* Big-endian fields, whatever the alignment. */
static inline uint16_t tf_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t tf_get32(const uint8_t *p)
{
	return (uint32_t)tf_get16(p) << 16 | tf_get16(p + 2);
}

static inline void tf_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/*
 * Naive RFC 1071 sum over the pseudo-header and the TCP segment of a parsed frame, folded, not
 * complemented: 0xffff when the checksum verifies.
 */
uint32_t tf_tcp_sum(const uint8_t *f, const struct md5sig_seg *seg);

/* Recompute the TCP checksum of a parsed segment in place. */
void tf_tcp_csum_fix(uint8_t *frame, const struct md5sig_seg *seg);

/* A key from a C string. */
struct md5sig_key tf_key(const char *secret);

/* RFC 1071 Internet checksum of @len bytes, folded, not complemented, starting from @sum. */
uint32_t tf_csum_add(uint32_t sum, const uint8_t *p, size_t len);

#endif
