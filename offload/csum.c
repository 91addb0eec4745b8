// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The Internet checksum (RFC 1071): a one's-complement sum of 16-bit big-endian words.
 *
 * Every sum this file returns or accepts has the value of the big-endian word sum, whatever the
 * host's byte order, so a folded sum is written with a plain big-endian store. A partial sum is
 * position-independent only at even offsets: summing a buffer in pieces equals summing it whole
 * when every piece but the last has an even length (an odd piece shifts the bytes after it into
 * the other half of their words).
 */
#include <string.h>
#include <sys/socket.h>

#include "offload/internal.h"

/* a + b in one's-complement arithmetic on 64 bits: the carry out wraps around. */
static uint64_t add_carry(uint64_t a, uint64_t b)
{
	uint64_t s = a + b;

	return s + (s < b);
}

/*
 * On x86-64 with GCC the loop is also built for AVX2 and picked at load time (an ifunc); the
 * sanitizer builds keep one plain version.
 */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
	!defined(__SANITIZE_ADDRESS__)
#define SUM_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define SUM_CLONES
#endif

/*
 * Sum 32-bit words loaded in host order into a 64-bit accumulator: fewer than 2^32 words
 * cannot overflow it, so there is no carry to track per word. memcpy makes the loads safe at
 * any alignment (compilers turn it into one unaligned load). The host-order fold is converted
 * to the big-endian value at the end: a one's-complement sum commutes with byte swapping
 * (RFC 1071 section 2.B).
 */
SUM_CLONES static uint64_t sum_words(const uint8_t *p, size_t len)
{
	uint64_t acc = 0;
	uint32_t w;

	/* one word per step: compilers vectorize this into widening adds, which beat splitting
	 * 64-bit loads into halves (measured: a third less time on data in cache) */
	for (; len >= 4; p += 4, len -= 4) {
		memcpy(&w, p, 4);
		acc += w;
	}
	if (len) {
		/* zero padding after the last byte: an odd byte is the high half of its word */
		w = 0;
		memcpy(&w, p, len);
		acc += w;
	}
	return acc;
}

/* Sum of @n 32-bit words at @p, loaded in host order (see sum_words). */
static uint64_t sum32(const uint8_t *p, size_t n)
{
	uint64_t acc = 0;
	uint32_t w;

	for (size_t i = 0; i < n; i++) {
		memcpy(&w, p + 4 * i, 4);
		acc += w;
	}
	return acc;
}

/* A host-order sum of words as the big-endian value offload_csum_partial() returns. */
static uint64_t host_to_be(uint64_t acc)
{
	uint16_t host = offload_csum_fold(acc);
	uint8_t be[2];

	memcpy(be, &host, 2);
	return (uint64_t)(be[0] << 8 | be[1]);
}

uint64_t offload_csum_partial(const uint8_t *p, size_t len, uint64_t sum)
{
	/* 2^31 bytes are 2^29 words: the accumulator stays far from overflowing */
	static const size_t chunk = (size_t)1 << 31;
	uint64_t acc = 0;

	if (len <= 64 && !(len & 3)) /* a header: whole words, one fold */
		return add_carry(sum, host_to_be(sum32(p, len / 4)));

	while (len) {
		size_t n = len < chunk ? len : chunk;

		acc = add_carry(acc, offload_csum_fold32(sum_words(p, n)));
		p += n;
		len -= n;
	}
	uint16_t host = offload_csum_fold(acc);
	uint8_t be[2];

	/* the fold's bytes in memory order, read big-endian: a no-op on big-endian hosts */
	memcpy(be, &host, 2);
	return add_carry(sum, (uint64_t)(be[0] << 8 | be[1]));
}

uint64_t offload_csum_pseudo(const struct md5sig_seg *seg, uint8_t proto, uint32_t l4_len,
			     bool with_len)
{
	size_t words = seg->family == AF_INET6 ? 4 : 1;
	uint64_t sum = proto;

	/* addresses are whole 32-bit words: no general loop, no per-call fold */
	sum += host_to_be(sum32(seg->saddr, words) + sum32(seg->daddr, words));
	if (with_len)
		sum += (l4_len >> 16) + (l4_len & 0xffff);
	return sum;
}

void offload_csum_ipv4_hdr(uint8_t *ip, size_t hlen)
{
	/* IHL counts 32-bit words. The old field is summed and then taken out again (adding its
	 * complement) rather than zeroed first: a store just before the loads would stall them */
	uint64_t sum =
		hlen % 4 ? offload_csum_partial(ip, hlen, 0) : host_to_be(sum32(ip, hlen / 4));

	sum += (uint16_t)~wire_get16(ip + WIRE_IPV4_CSUM);
	wire_put16(ip + WIRE_IPV4_CSUM, (uint16_t)~offload_csum_fold(sum));
}

uint64_t offload_csum_ipv4_rest(const uint8_t *ip, size_t hlen)
{
	/* the header's sum as it is, with its length, ID and checksum taken out (RFC 1624:
	 * subtracting is adding the complement); every term stays positive, so folds of sums
	 * built on it equal those of sums from scratch */
	uint64_t sum = host_to_be(sum32(ip, hlen / 4));

	return sum + (uint16_t)~wire_get16(ip + WIRE_IPV4_TOT_LEN) +
	       (uint16_t)~wire_get16(ip + WIRE_IPV4_ID) +
	       (uint16_t)~wire_get16(ip + WIRE_IPV4_CSUM);
}

void offload_csum_replace(uint8_t *field, const uint8_t *old, const uint8_t *new, size_t len,
			  bool partial)
{
	/* RFC 1624 eqn. 3, HC' = ~(~HC + ~m + m'), over all the words at once: the complement of
	 * the old words' sum is the sum of their complements */
	uint64_t sum = (uint16_t)~offload_csum_fold(offload_csum_partial(old, len, 0));

	sum = offload_csum_partial(new, len, sum);
	if (partial) /* a seed is the sum itself, not its complement */
		wire_put16(field, offload_csum_fold(sum + wire_get16(field)));
	else
		wire_put16(field, (uint16_t)~offload_csum_fold(sum + (uint16_t)~wire_get16(field)));
}

void offload_csum_tcp_fill(uint8_t *frame, const struct md5sig_seg *seg)
{
	uint8_t *tcp = frame + seg->l4_off;
	uint64_t sum = offload_csum_pseudo(seg, WIRE_IPPROTO_TCP, seg->tcp_len, true);

	offload_tcp_csum_put(tcp, offload_csum_partial(tcp, seg->tcp_len, sum));
}

enum offload_csum offload_csum_classify_sum(const struct md5sig_seg *seg, uint16_t field,
					    uint64_t sum)
{
	if (offload_csum_fold(sum) == 0xffff)
		return OFFLOAD_CSUM_COMPLETE;
	/* Linux CHECKSUM_PARTIAL and virtio NEEDS_CSUM leave the pseudo sum uncomplemented */
	if (field ==
	    offload_csum_fold(offload_csum_pseudo(seg, WIRE_IPPROTO_TCP, seg->tcp_len, true)))
		return OFFLOAD_CSUM_PARTIAL;
	if (field ==
	    offload_csum_fold(offload_csum_pseudo(seg, WIRE_IPPROTO_TCP, seg->tcp_len, false)))
		return OFFLOAD_CSUM_PARTIAL_NOLEN;
	return OFFLOAD_CSUM_BAD;
}

enum offload_csum offload_csum_classify(const uint8_t *frame, const struct md5sig_seg *seg)
{
	const uint8_t *tcp = frame + seg->l4_off;
	uint64_t with_len = offload_csum_pseudo(seg, WIRE_IPPROTO_TCP, seg->tcp_len, true);

	return offload_csum_classify_sum(seg, wire_get16(tcp + WIRE_TCP_CSUM),
					 offload_csum_partial(tcp, seg->tcp_len, with_len));
}

/*
 * Find a whole UDP datagram behind the IP header md5sig_parse() located (it fills family,
 * addresses and l3_off before it returns MD5SIG_OTHER for a protocol other than TCP). On
 * success @seg->l4_off and @seg->tcp_len describe the datagram and its UDP length.
 */
bool offload_udp_locate(const uint8_t *f, size_t len, struct md5sig_seg *seg)
{
	const uint8_t *ip = f + seg->l3_off;
	size_t off, end;
	uint8_t nh;

	if (seg->family == AF_INET) {
		size_t ihl = wire_ipv4_hlen(ip);

		if (ip[WIRE_IPV4_PROTO] != WIRE_IPPROTO_UDP ||
		    (wire_get16(ip + WIRE_IPV4_FRAG) & (WIRE_IPV4_MF | WIRE_IPV4_OFF_MASK)))
			return false; /* not UDP, or a fragment: no whole datagram to sum */
		off = seg->l3_off + ihl;
		end = seg->l3_off + wire_get16(ip + WIRE_IPV4_TOT_LEN);
		nh = WIRE_IPPROTO_UDP;
	} else if (seg->family == AF_INET6) {
		off = seg->l3_off + WIRE_IPV6_HLEN;
		end = off + wire_get16(ip + WIRE_IPV6_PLEN);
		nh = ip[WIRE_IPV6_NEXT];
		/* hop-by-hop, routing and destination options; an atomic fragment */
		while (end <= len && off + 8 <= end) {
			size_t hlen;

			if (nh == WIRE_IPV6_HOPOPTS || nh == WIRE_IPV6_ROUTING ||
			    nh == WIRE_IPV6_DSTOPTS)
				hlen = ((size_t)f[off + 1] + 1) * 8;
			else if (nh == WIRE_IPV6_FRAGMENT && !(wire_get16(f + off + 2) & 0xfff9))
				hlen = 8;
			else
				break;
			nh = f[off];
			off += hlen;
		}
	} else {
		return false;
	}
	if (nh != WIRE_IPPROTO_UDP || end > len || off + WIRE_UDP_HLEN > end)
		return false;
	uint16_t ulen = wire_get16(f + off + WIRE_UDP_LEN);
	if (ulen < WIRE_UDP_HLEN || ulen > end - off)
		return false;
	seg->l4_off = (uint32_t)off;
	seg->tcp_len = ulen;
	return true;
}
