/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * DOC: md5sig — RFC 2385 TCP-MD5 signatures in frames
 *
 * Data flow: a frame (bytes plus its capture link type) goes through md5sig_parse(), which
 * walks the link header (Ethernet with 802.1Q/802.1ad tags, Linux cooked SLL and SLL2, raw IP,
 * BSD loopback), the IP header (IPv4 with options, IPv6 with extension headers) and the TCP
 * header and its options (RFC 9293 §3.1), and describes the TCP segment in a struct md5sig_seg
 * without copying anything. md5sig_keytab_lookup() finds the key for the segment's endpoints
 * (Linux semantics: per address and prefix, most specific wins), and md5sig_classify() turns
 * segment and key into a verdict, recomputing the digest over OpenSSL's EVP MD5 and comparing
 * it in constant time.
 *
 * Standards: RFC 2385 (digest input: pseudo-header, fixed TCP header with a zero checksum,
 * payload, key), RFC 5925 §7.6 (a segment carrying both MD5 and TCP-AO options is discarded),
 * RFC 9293 (option parsing). For IPv6 the pseudo-header length is the TCP length (header with
 * options plus payload), as Linux computes it; tcpdump uses the IPv6 payload length instead,
 * which differs when extension headers are present.
 *
 * Files: parse.c (headers), keys.c (the key table and key-file lines), digest.c (all of
 * libcrypto), verdict.c (verdicts, above both keys and digests); md5sig/wire.h, included here,
 * holds the header field offsets and big-endian accessors every room shares.
 *
 * Ownership and lifetimes: md5sig_parse() copies nothing; a struct md5sig_seg describes the
 * caller's frame by offsets and stays true while those bytes are unchanged. A key table owns
 * copies of its secrets and wipes them when freed; md5sig_keytab_lookup() returns a pointer
 * into the table, valid until the table is next added to or freed. A hasher owns an EVP
 * context: use one per thread. Names returned for statuses, verdicts and link types are static.
 *
 * Nothing here prints or allocates per frame; functions return 0 or -errno.
 */
#ifndef VNICEMU_MD5SIG_H
#define VNICEMU_MD5SIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "md5sig/wire.h"

/** Capture link types (the pcap LINKTYPE_ numbers, as stored in pcap and pcapng files). */
enum md5sig_linktype {
	MD5SIG_LINK_NULL = 0,	  /**< BSD loopback: 4-byte host-order address family */
	MD5SIG_LINK_ETHERNET = 1, /**< Ethernet II, optional 802.1Q / 802.1ad tags */
	MD5SIG_LINK_RAW = 101,	  /**< raw IPv4 or IPv6, version from the first nibble */
	MD5SIG_LINK_LOOP = 108,	  /**< OpenBSD loopback: 4-byte network-order family */
	MD5SIG_LINK_SLL = 113,	  /**< Linux cooked capture v1 (tcpdump -i any) */
	MD5SIG_LINK_IPV4 = 228,	  /**< raw IPv4 */
	MD5SIG_LINK_IPV6 = 229,	  /**< raw IPv6 */
	MD5SIG_LINK_SLL2 = 276,	  /**< Linux cooked capture v2 */
};

/** Is @linktype one md5sig_parse() understands? */
bool md5sig_linktype_known(uint32_t linktype);
/** Short name of a link type ("Ethernet", "Linux SLL2", ...), or "unknown". */
const char *md5sig_linktype_str(uint32_t linktype);

/** What md5sig_parse() found. Values >= MD5SIG_MALFORMED_FIRST are malformed-frame reasons. */
enum md5sig_status {
	MD5SIG_TCP = 0,	 /**< a whole TCP segment, described in the md5sig_seg */
	MD5SIG_OTHER,	 /**< not TCP: ARP, UDP, ICMP, ESP, a non-first IP fragment... */
	MD5SIG_FRAGMENT, /**< an IP fragment holding the start of a TCP segment */
	MD5SIG_MALFORMED_FIRST,
	MD5SIG_BAD_LINK = MD5SIG_MALFORMED_FIRST, /**< link header truncated or bogus */
	MD5SIG_BAD_IP_VERSION, /**< IP version differs from what the link header says */
	MD5SIG_BAD_IP_HDR,     /**< IP header truncated, or IPv4 IHL < 5 */
	MD5SIG_BAD_IPV4_OPT,   /**< malformed IPv4 option */
	MD5SIG_BAD_IPV6_EXT,   /**< malformed or truncated IPv6 extension header */
	MD5SIG_BAD_IP_LEN,     /**< IP length shorter than its headers */
	MD5SIG_SNAPLEN,	       /**< captured bytes end before the IP length says */
	MD5SIG_BAD_TCP_HDR,    /**< TCP header truncated or data offset < 5 or past the segment */
	MD5SIG_BAD_TCP_OPT,    /**< an option runs past the header or has a length < 2 */
	MD5SIG_BAD_MD5_OPT,    /**< MD5 option with a length other than 18 */
	MD5SIG_DUP_MD5_OPT,    /**< more than one MD5 option */
	MD5SIG_MD5_AND_AO,     /**< MD5 and TCP-AO options in one segment (RFC 5925 §7.6) */
	MD5SIG_NSTATUS,
};

/** Human text for a status ("truncated TCP header", ...). */
const char *md5sig_status_str(enum md5sig_status st);
/** Short stable name for a status, for JSON and --list ("bad-tcp-hdr", ...). */
const char *md5sig_status_name(enum md5sig_status st);

#define MD5SIG_SEG_IPV6_EXT (1u << 0) /**< IPv6 extension headers precede TCP */
#define MD5SIG_SEG_IPV4_OPT (1u << 1) /**< IPv4 header carries options */
#define MD5SIG_SEG_AO	    (1u << 2) /**< a TCP-AO option (kind 29) is present */

/**
 * struct md5sig_seg - a TCP segment inside a frame; offsets are from the frame's first byte.
 * Filled by md5sig_parse() only when it returns MD5SIG_TCP (ports and addresses also for
 * the TCP-level malformed reasons, when they were reached).
 */
struct md5sig_seg {
	uint8_t family;	   /**< AF_INET or AF_INET6 */
	uint8_t vlans;	   /**< number of 802.1Q/802.1ad tags before the IP header */
	uint16_t flags;	   /**< MD5SIG_SEG_* */
	uint8_t saddr[16]; /**< source address (IPv4 in the first 4 bytes) */
	uint8_t daddr[16]; /**< destination address */
	uint16_t sport;	   /**< TCP source port, host order */
	uint16_t dport;	   /**< TCP destination port, host order */
	uint32_t l3_off;   /**< offset of the IP header */
	uint32_t l4_off;   /**< offset of the TCP header */
	uint32_t thlen;	   /**< TCP header length, options included (data offset * 4) */
	uint32_t tcp_len;  /**< TCP header + payload per the IP header: the pseudo-header length */
	int32_t md5_off;   /**< offset of the 16 digest bytes of the MD5 option, or -1 */
};

/**
 * md5sig_parse() - describe the TCP segment in a frame.
 * @linktype: the capture's link type (enum md5sig_linktype value).
 * @frame: the captured bytes; @len: how many were captured.
 * @seg: filled as described at struct md5sig_seg.
 *
 * Never reads outside [frame, frame + len). Trailing bytes past the IP length (Ethernet
 * padding) are ignored.
 *
 * Return: an enum md5sig_status.
 */
enum md5sig_status md5sig_parse(uint32_t linktype, const uint8_t *frame, size_t len,
				struct md5sig_seg *seg);

/**
 * md5sig_parse_head() - md5sig_parse() of a frame of which only the head is at hand: @len
 * readable bytes at @frame (its first fragment) of a frame @total bytes long (@total >= @len).
 * Reads nothing past @len and never the payload. When the headers lie within @len the result
 * equals md5sig_parse() of the whole frame; MD5SIG_TCP, MD5SIG_OTHER and MD5SIG_FRAGMENT are
 * always exact. Any malformed status may instead mean that the headers run past @len: parse
 * the whole frame to tell.
 */
enum md5sig_status md5sig_parse_head(uint32_t linktype, const uint8_t *frame, size_t len,
				     size_t total, struct md5sig_seg *seg);

#define MD5SIG_KEY_MAX	  80 /**< TCP_MD5SIG_MAXKEYLEN in Linux */
#define MD5SIG_DIGEST_LEN 16
#define MD5SIG_OPT_KIND	  WIRE_TCPOPT_MD5
#define MD5SIG_OPT_LEN	  18

/** struct md5sig_key - a binary TCP-MD5 secret. */
struct md5sig_key {
	uint8_t len;		       /**< 1..MD5SIG_KEY_MAX */
	uint8_t bytes[MD5SIG_KEY_MAX]; /**< the secret; never printed */
};

/** Verdict on one TCP segment against the key table. */
enum md5sig_verdict {
	MD5SIG_VALID = 0,  /**< option present, digest matches the key */
	MD5SIG_INVALID,	   /**< option present, digest does not match */
	MD5SIG_MISSING,	   /**< a key is configured for the peers, the option is absent */
	MD5SIG_UNEXPECTED, /**< option present, no key for the peers */
	MD5SIG_UNSIGNED,   /**< neither key nor option */
	MD5SIG_MALFORMED,  /**< the frame could not be parsed as a TCP segment */
	MD5SIG_NVERDICTS,
};

/** Lower-case verdict name as used in --list, JSON and reports ("valid", ...). */
const char *md5sig_verdict_str(enum md5sig_verdict v);

/* ---- key table ---- */

struct md5sig_keytab;

/** Return: an empty table, or NULL with errno set. */
struct md5sig_keytab *md5sig_keytab_new(void);
/** Wipe every secret (OPENSSL_cleanse) and free. Accepts NULL. */
void md5sig_keytab_free(struct md5sig_keytab *kt);

/**
 * md5sig_keytab_add() - add a key for a peer.
 * @family: AF_INET, AF_INET6, or AF_UNSPEC for the wildcard `*` (both families, prefix 0).
 * @addr: 4 or 16 bytes (ignored for AF_UNSPEC); host bits past @prefix are ignored.
 * @prefix: 0..32 or 0..128.
 * Adding the same address and prefix again replaces the key, as TCP_MD5SIG does.
 *
 * Return: 0, -EINVAL for a bad family/prefix/key length, -ENOMEM.
 */
int md5sig_keytab_add(struct md5sig_keytab *kt, int family, const uint8_t *addr, unsigned prefix,
		      const struct md5sig_key *key);

/**
 * md5sig_keytab_parse_line() - add the key described by one key-file line.
 * @line: `ADDR[/PREFIX] SECRET`, `* SECRET`, blank, or a `#` comment; SECRET is one token,
 *        `hex:0011...` for binary secrets. NUL-terminated, with or without a newline.
 * @why: set to a static reason on -EINVAL; it never contains the secret.
 *
 * Return: 0 (including blank and comment lines), -EINVAL, -ENOMEM.
 */
int md5sig_keytab_parse_line(struct md5sig_keytab *kt, const char *line, const char **why);

/** Number of entries. */
size_t md5sig_keytab_count(const struct md5sig_keytab *kt);

/**
 * md5sig_keytab_describe() - the peer part of entry @i, for listings.
 * Writes "192.0.2.1/32", "2001:db8::/32" or "*" into @buf and the key length into @keylen.
 * Return: 0 or -ENOENT.
 */
int md5sig_keytab_describe(const struct md5sig_keytab *kt, size_t i, char *buf, size_t buflen,
			   unsigned *keylen);

/**
 * md5sig_keytab_lookup() - the key for a segment's peers, or NULL.
 * The most specific entry matching either endpoint wins (a capture sees both peers); on a tie
 * the source address's entry is taken.
 */
const struct md5sig_key *md5sig_keytab_lookup(const struct md5sig_keytab *kt,
					      const struct md5sig_seg *seg);

/* ---- digests (OpenSSL EVP) ---- */

struct md5sig_hasher;

/** Return: a hasher (holds an EVP context; not thread-safe), or NULL with errno set. */
struct md5sig_hasher *md5sig_hasher_new(void);
void md5sig_hasher_free(struct md5sig_hasher *h);

/**
 * md5sig_digest() - compute the RFC 2385 digest of a parsed segment with @key.
 * Return: 0, or -EIO if libcrypto failed.
 */
int md5sig_digest(struct md5sig_hasher *h, const uint8_t *frame, const struct md5sig_seg *seg,
		  const struct md5sig_key *key, uint8_t out[static MD5SIG_DIGEST_LEN]);

/**
 * md5sig_sign() - write the digest into the segment's MD5 option (which must exist).
 * Return: 0, -ENOENT without an MD5 option, -EIO.
 */
int md5sig_sign(struct md5sig_hasher *h, uint8_t *frame, const struct md5sig_seg *seg,
		const struct md5sig_key *key);

/**
 * md5sig_verify() - does the segment's MD5 option hold its digest under @key? The comparison
 * takes the same time whatever the digest (CRYPTO_memcmp).
 * Return: 0 if it does, -EBADMSG if it does not, -ENOENT without an MD5 option, -EIO if
 * libcrypto failed.
 */
int md5sig_verify(struct md5sig_hasher *h, const uint8_t *frame, const struct md5sig_seg *seg,
		  const struct md5sig_key *key);

/**
 * md5sig_classify() - verdict for a parsed segment (@st is what md5sig_parse() returned).
 * Non-TCP statuses (MD5SIG_OTHER, MD5SIG_FRAGMENT) must not be passed.
 */
enum md5sig_verdict md5sig_classify(struct md5sig_hasher *h, const struct md5sig_keytab *kt,
				    const uint8_t *frame, enum md5sig_status st,
				    const struct md5sig_seg *seg);

/** Overwrite secret bytes in a way the compiler cannot elide (OPENSSL_cleanse). */
void md5sig_cleanse(void *p, size_t len);

/** Format "ADDR.PORT > ADDR.PORT" as tcpdump -nn does into @buf. */
void md5sig_seg_format(const struct md5sig_seg *seg, char *buf, size_t buflen);

#endif
