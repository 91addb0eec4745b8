/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * DOC: wire — where the fields of the headers vnicemu reads and writes lie
 *
 * Offsets of the fields of Ethernet, Linux cooked (SLL, SLL2), IPv4, IPv6, TCP and UDP headers,
 * each counted from the first byte of its own header; TCP flag bits and option kinds; IP
 * protocol and extension header numbers; and readers and writers of big-endian fields at any
 * alignment. In the spirit of DPDK's rte_ip.h and rte_tcp.h, but as offsets into bytes rather
 * than packed structs, since a captured frame's headers may lie at any alignment.
 *
 * Part of md5sig's public interface (md5sig.h includes it), the lowest room, so md5sig, offload
 * and emu all read the same facts. The tests' frame builder (tests/support) keeps its own
 * independent copy on purpose: the two check each other. The names carry `wire_` rather than
 * `md5sig_` because they describe the wire formats, not anything of RFC 2385.
 *
 * Data and inline functions only: nothing here keeps state or owns memory. The accessors read
 * or write exactly the bytes they name and check no bounds: callers check lengths first (as
 * md5sig_parse() does for every offset it reports).
 */
#ifndef VNICEMU_MD5SIG_WIRE_H
#define VNICEMU_MD5SIG_WIRE_H

#include <stdint.h>

/* ---- link headers ---- */

#define WIRE_ETH_HLEN	  14	 /**< destination, source, EtherType */
#define WIRE_ETH_TYPE	  12	 /**< EtherType (or the first tag's TPID) */
#define WIRE_VLAN_HLEN	  4	 /**< an 802.1Q/802.1ad tag: TPID, TCI; the next type follows */
#define WIRE_SLL_HLEN	  16	 /**< Linux cooked capture v1 */
#define WIRE_SLL_PROTO	  14	 /**< SLL: protocol (an EtherType) */
#define WIRE_SLL2_HLEN	  20	 /**< Linux cooked capture v2 */
#define WIRE_SLL2_PROTO	  0	 /**< SLL2: protocol (an EtherType) */
#define WIRE_ETH_P_IP	  0x0800 /**< EtherType IPv4 */
#define WIRE_ETH_P_IPV6	  0x86dd /**< EtherType IPv6 */
#define WIRE_ETH_P_8021Q  0x8100 /**< 802.1Q VLAN tag */
#define WIRE_ETH_P_8021AD 0x88a8 /**< 802.1ad service tag */
#define WIRE_ETH_P_QINQ1  0x9100 /**< pre-standard QinQ outer tag */
#define WIRE_LOOP_HLEN	  4	 /**< BSD and OpenBSD loopback: the address family */

/* ---- IP ---- */

#define WIRE_IPPROTO_TCP 6
#define WIRE_IPPROTO_UDP 17

#define WIRE_IPV4_HLEN	  20 /**< without options; IHL says how long it is */
#define WIRE_IPV4_VER_IHL 0  /**< version (high nibble), header length in words (low) */
#define WIRE_IPV4_TOS	  1
#define WIRE_IPV4_TOT_LEN 2 /**< total length, header included */
#define WIRE_IPV4_ID	  4
#define WIRE_IPV4_FRAG	  6 /**< flags and fragment offset */
#define WIRE_IPV4_TTL	  8
#define WIRE_IPV4_PROTO	  9
#define WIRE_IPV4_CSUM	  10
#define WIRE_IPV4_SADDR	  12
#define WIRE_IPV4_DADDR	  16

#define WIRE_IPV4_DF	   0x4000 /**< in the FRAG field: don't fragment */
#define WIRE_IPV4_MF	   0x2000 /**< more fragments */
#define WIRE_IPV4_OFF_MASK 0x1fff /**< fragment offset, in 8-byte units */

#define WIRE_IPV6_HLEN	40 /**< the fixed header */
#define WIRE_IPV6_PLEN	4  /**< payload length: extension headers and upper layer */
#define WIRE_IPV6_NEXT	6  /**< next header */
#define WIRE_IPV6_HLIM	7  /**< hop limit */
#define WIRE_IPV6_SADDR 8
#define WIRE_IPV6_DADDR 24

/* IPv6 next-header values of extension headers (and "no next header"). */
#define WIRE_IPV6_HOPOPTS  0
#define WIRE_IPV6_ROUTING  43
#define WIRE_IPV6_FRAGMENT 44
#define WIRE_IPV6_AH	   51
#define WIRE_IPV6_NONXT	   59
#define WIRE_IPV6_DSTOPTS  60
#define WIRE_IPV6_MOBILITY 135
#define WIRE_IPV6_HIP	   139
#define WIRE_IPV6_SHIM6	   140

/* ---- TCP (RFC 9293 section 3.1) ---- */

#define WIRE_TCP_HLEN  20 /**< without options; the data offset says how long it is */
#define WIRE_TCP_SPORT 0
#define WIRE_TCP_DPORT 2
#define WIRE_TCP_SEQ   4
#define WIRE_TCP_ACK   8
#define WIRE_TCP_DOFF  12 /**< data offset in words (high nibble) */
#define WIRE_TCP_FLAGS 13
#define WIRE_TCP_WIN   14
#define WIRE_TCP_CSUM  16
#define WIRE_TCP_URP   18

/* Bits of the byte at WIRE_TCP_FLAGS. */
#define WIRE_TCP_F_FIN 0x01
#define WIRE_TCP_F_SYN 0x02
#define WIRE_TCP_F_RST 0x04
#define WIRE_TCP_F_PSH 0x08
#define WIRE_TCP_F_ACK 0x10
#define WIRE_TCP_F_URG 0x20
#define WIRE_TCP_F_ECE 0x40
#define WIRE_TCP_F_CWR 0x80

/* TCP option kinds. */
#define WIRE_TCPOPT_EOL	      0
#define WIRE_TCPOPT_NOP	      1
#define WIRE_TCPOPT_MSS	      2
#define WIRE_TCPOPT_WSCALE    3
#define WIRE_TCPOPT_SACK_PERM 4
#define WIRE_TCPOPT_SACK      5
#define WIRE_TCPOPT_TIMESTAMP 8
#define WIRE_TCPOPT_MD5	      19 /**< RFC 2385 */
#define WIRE_TCPOPT_AO	      29 /**< RFC 5925 */

/* ---- UDP ---- */

#define WIRE_UDP_HLEN 8
#define WIRE_UDP_LEN  4 /**< header and data */
#define WIRE_UDP_CSUM 6

/* ---- fields ---- */

/** The big-endian 16-bit field at @p. */
static inline uint16_t wire_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/** The big-endian 32-bit field at @p. */
static inline uint32_t wire_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/** The little-endian 32-bit field at @p (a BSD loopback header written on such a host). */
static inline uint32_t wire_get32le(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/** Store @v big-endian at @p. */
static inline void wire_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/** Store @v big-endian at @p. */
static inline void wire_put32(uint8_t *p, uint32_t v)
{
	wire_put16(p, (uint16_t)(v >> 16));
	wire_put16(p + 2, (uint16_t)v);
}

/** Length of the IPv4 header at @ip in bytes, from its IHL. */
static inline unsigned wire_ipv4_hlen(const uint8_t *ip)
{
	return (unsigned)(ip[WIRE_IPV4_VER_IHL] & 0x0f) * 4;
}

/** Length of the TCP header at @tcp in bytes, options included, from its data offset. */
static inline unsigned wire_tcp_hlen(const uint8_t *tcp)
{
	return (unsigned)(tcp[WIRE_TCP_DOFF] >> 4) * 4;
}

#endif
