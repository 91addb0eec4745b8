/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * DOC: md5sig — TCP segment signatures in frames: RFC 2385 (TCP-MD5) and RFC 5925 (TCP-AO)
 *
 * Data flow: a frame (bytes plus its capture link type) goes through md5sig_parse() (or
 * md5sig_parse_cap() with the length the frame had on the wire), which walks the link header
 * (Ethernet with 802.1Q/802.1ad tags, Linux cooked SLL and SLL2, raw IP, BSD loopback), the IP
 * header (IPv4 with options, IPv6 with extension headers) and the TCP header and its options
 * (RFC 9293 §3.1), and describes the TCP segment in a struct md5sig_seg without copying
 * anything. md5sig_classify_frame() gives the segment one verdict per scheme: against the
 * TCP-MD5 keys (md5sig_keytab_lookup(): Linux semantics, per address and prefix, most specific
 * wins; the digest recomputed over OpenSSL's EVP MD5 and compared in constant time) and against
 * the TCP-AO Master Key Tuples of the same key table (md5sig_ao_classify(), section "TCP-AO"
 * below), with the connection's ISNs and SNE from a flow table (md5sig_ao_flows_see()).
 * Segments the capture cut short (snaplen) are judged as far as their headers allow; signed
 * ones are "unchecked", as are signed segments when no key was given at all.
 *
 * Standards: RFC 2385 (digest input: pseudo-header, fixed TCP header with a zero checksum,
 * payload, key), RFC 5925 and RFC 5926 (TCP-AO: traffic keys, MACs, SNE), RFC 5925 §7.6 (a
 * segment carrying both MD5 and TCP-AO options is discarded), RFC 9293 (option parsing). For
 * IPv6 the pseudo-header length is the TCP length (header with options plus payload), as Linux
 * computes it; tcpdump uses the IPv6 payload length instead, which differs when extension
 * headers are present.
 *
 * Files: parse.c (headers), keytok.c (key-file tokens both line forms share), keys.c (the key
 * table and MD5 key lines), digest.c (RFC 2385's libcrypto), verdict.c (verdicts in both
 * schemes, above keys, digests and MACs), ao_keys.c (MKTs and `ao` lines), ao.c (TCP-AO's
 * libcrypto, the option, SNE, AO verdicts), ao_flows.c (ISNs and SNE per connection);
 * md5sig/wire.h, included here, holds the header field offsets and big-endian accessors every
 * room shares.
 *
 * Ownership and lifetimes: md5sig_parse() copies nothing; a struct md5sig_seg describes the
 * caller's frame by offsets and stays true while those bytes are unchanged. A key table owns
 * copies of its secrets and wipes them when freed; md5sig_keytab_lookup() returns a pointer
 * into the table, valid until the table is next added to or freed. A hasher owns an EVP
 * context, a TCP-AO verifier its cache of keyed MACs: use one per thread. A flow table owns its
 * flows and is not thread-safe. Names returned for statuses, verdicts and link types are static.
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
	MD5SIG_TRUNCATED_IP,   /**< the IP length exceeds the frame's length on the wire (only
				md5sig_parse_cap() knows that length) */
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
 * With MD5SIG_SNAPLEN: the TCP header and its options were captured whole and parse as for
 * MD5SIG_TCP (the segment is described), only payload bytes are missing; @tcp_len is still
 * what the IP header declares. Such a segment can be judged by its headers (missing,
 * unsigned, unexpected...), not by its digest or MAC.
 */
#define MD5SIG_SEG_HEADERS (1u << 3)

/**
 * struct md5sig_seg - a TCP segment inside a frame; offsets are from the frame's first byte.
 * Filled by md5sig_parse() only when it returns MD5SIG_TCP, or MD5SIG_SNAPLEN with
 * MD5SIG_SEG_HEADERS (ports and addresses also for the TCP-level malformed reasons, when they
 * were reached).
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
 * padding) are ignored. An IP length past @len is MD5SIG_SNAPLEN: without the frame's length
 * on the wire the frame is taken as cut by the capture (md5sig_parse_cap() tells).
 *
 * Return: an enum md5sig_status.
 */
enum md5sig_status md5sig_parse(uint32_t linktype, const uint8_t *frame, size_t len,
				struct md5sig_seg *seg);

/**
 * md5sig_parse_cap() - md5sig_parse() of a captured frame: @caplen bytes at @frame of a frame
 * that was @origlen bytes long on the wire (a capture record's original length). An IP length
 * past @origlen is MD5SIG_TRUNCATED_IP (the packet itself is short: malformed); one past
 * @caplen only is MD5SIG_SNAPLEN (the capture cut it), with MD5SIG_SEG_HEADERS when the TCP
 * headers were captured whole. An @origlen below @caplen counts as @caplen.
 */
enum md5sig_status md5sig_parse_cap(uint32_t linktype, const uint8_t *frame, size_t caplen,
				    size_t origlen, struct md5sig_seg *seg);

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
	MD5SIG_UNCHECKED,  /**< option present, but the digest could not be checked (why: enum
			      md5sig_unchecked): only md5sig_classify_frame() says so */
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
 * Return: 0 (including blank and comment lines), -EINVAL, -EEXIST (see
 * md5sig_keytab_parse_line_at()), -ENOMEM.
 */
int md5sig_keytab_parse_line(struct md5sig_keytab *kt, const char *line, const char **why);

/**
 * md5sig_keytab_parse_line_at() - md5sig_keytab_parse_line() of line @lineno of a file.
 * A line for the peer and prefix of an earlier line (`192.0.2.1/24` is `192.0.2.0/24`) is
 * accepted when its secret is the same and refused with -EEXIST when it differs, *@earlier
 * then naming the earlier line (0 for an entry md5sig_keytab_add() made), since a file that
 * gives one peer two secrets means one of them by mistake. md5sig_keytab_add() replaces.
 * An `ao` line whose KeyIDs clash with an earlier one's is -EEXIST too (see
 * md5sig_aotab_parse_line_at()).
 *
 * Return: 0, -EINVAL, -EEXIST, -ENOMEM, with *@why set on error.
 */
int md5sig_keytab_parse_line_at(struct md5sig_keytab *kt, const char *line, unsigned lineno,
				const char **why, unsigned *earlier);

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
 * md5sig_classify() - the RFC 2385 verdict of a parsed segment (@st is what md5sig_parse()
 * returned) against @kt (NULL: no keys): anything but MD5SIG_TCP is MD5SIG_MALFORMED, and a
 * missing key makes an option unexpected. Non-TCP statuses (MD5SIG_OTHER, MD5SIG_FRAGMENT) must
 * not be passed. md5sig_classify_frame() is the whole model: both schemes, cut segments, no key.
 */
enum md5sig_verdict md5sig_classify(struct md5sig_hasher *h, const struct md5sig_keytab *kt,
				    const uint8_t *frame, enum md5sig_status st,
				    const struct md5sig_seg *seg);

/** Overwrite secret bytes in a way the compiler cannot elide (OPENSSL_cleanse). */
void md5sig_cleanse(void *p, size_t len);

/**
 * struct md5sig_ip - an IP packet inside a frame, whatever it carries: what path elements (NAT,
 * fragmentation), the replay's direction split and the verify engine's reassembly read.
 * Offsets are from the frame's first byte.
 */
struct md5sig_ip {
	uint8_t family;	   /**< AF_INET or AF_INET6 */
	uint8_t proto;	   /**< upper-layer protocol (IPv6: after the extension headers) */
	uint8_t saddr[16]; /**< source address (IPv4 in the first 4 bytes) */
	uint8_t daddr[16]; /**< destination address */
	uint32_t l3_off;   /**< the IP header */
	uint32_t l4_off;   /**< the upper-layer header, or the fragment's data in a non-first one */
	uint32_t ip_end;   /**< where the IP length says the packet ends (<= the captured bytes) */
	uint32_t frag_hdr; /**< IPv6: offset of the Fragment header, 0 without one */
	uint32_t frag_id;  /**< IPv4 Identification, IPv6 Fragment header Identification */
	uint32_t frag_off; /**< the fragment's offset in the original payload, in bytes */
	bool more;	   /**< more fragments follow (MF, M) */
	bool fragment; /**< a fragment: @more or @frag_off set (an atomic IPv6 fragment is not) */
	bool df;       /**< IPv4 Don't Fragment */
};

/**
 * md5sig_parse_ip() - describe the IP packet in a frame, any protocol and any fragment: the
 * link layer as md5sig_parse() walks it, then the IPv4 header or the IPv6 header and its
 * extension headers up to the upper layer (or to a Fragment header of a non-atomic fragment,
 * whose data follows it). Never reads outside [frame, frame + len).
 * Return: true when @ip describes an IP packet whose headers and declared length lie within the
 * captured bytes; false for a frame that is not IP, is malformed or was cut short.
 */
bool md5sig_parse_ip(uint32_t linktype, const uint8_t *frame, size_t len, struct md5sig_ip *ip);

/** Format "ADDR.PORT > ADDR.PORT" as tcpdump -nn does into @buf. */
void md5sig_seg_format(const struct md5sig_seg *seg, char *buf, size_t buflen);

/* ---- TCP-AO (RFC 5925) ---- */

/*
 * DOC: TCP-AO — RFC 5925 MACs with the RFC 5926 algorithms
 *
 * Data flow: key-file lines `ao ADDR[/PREFIX] SENDID:RECVID ALG [exclude-options] SECRET` become
 * Master Key Tuples (struct md5sig_ao_mkt, md5sig_ao_mkt_parse()) in a table (struct
 * md5sig_aotab); md5sig_keytab_parse_line() hands such lines to the table it owns
 * (md5sig_keytab_ao()). For a frame parsed by md5sig_parse(), md5sig_ao_opt_find() locates the
 * option (kind 29) and md5sig_ao_classify() gives the verdict: it picks the MKT by the endpoints
 * and the option's KeyID (md5sig_aotab_lookup()), takes the traffic key of the connection and
 * direction from the verifier's bounded cache (derived once, RFC 5925 §5.2, RFC 5926 §3.1) and
 * compares the MAC (RFC 5925 §5.1) in constant time. The caller tracks the connection's two ISNs
 * (from SYN and SYN-ACK, or given) and the SNE of each direction (md5sig_ao_sne_next(),
 * RFC 5925 §6.2).
 *
 * MAC input (RFC 5925 §5.1): SNE (32 bits); the pseudo-header (IPv4: addresses, zero, protocol 6,
 * TCP length; IPv6: addresses, TCP length in 32 bits, three zero bytes, next header 6); the TCP
 * header with the checksum and the option's MAC zeroed, options included unless the MKT excludes
 * them (then every option other than TCP-AO is skipped, the TCP-AO option with its zeroed MAC
 * stays, RFC 5925 §3.1); the payload.
 *
 * Crypto is OpenSSL's EVP_MAC (HMAC, CMAC) only. Nothing here prints; the MAC path allocates
 * nothing per frame once a connection's key is cached.
 */

#define MD5SIG_AO_OPT_KIND 29
#define MD5SIG_AO_KEY_MAX  80 /**< TCP_AO_MAXKEYLEN in Linux */
#define MD5SIG_AO_MAC_MAX  32 /**< the longest untruncated MAC (HMAC-SHA-256) */
#define MD5SIG_AO_TKEY_MAX 32 /**< the longest traffic key (HMAC-SHA-256's KDF) */

/** MAC algorithms of an MKT. */
enum md5sig_ao_alg {
	MD5SIG_AO_HMAC_SHA1_96 = 0, /**< RFC 5926: KDF_HMAC_SHA1, HMAC-SHA-1 cut to 12 bytes */
	MD5SIG_AO_AES_128_CMAC_96,  /**< RFC 5926: KDF_AES_128_CMAC, AES-CMAC cut to 12 bytes */
	MD5SIG_AO_HMAC_SHA256,	    /**< Linux "hmac(sha256)": same KDF construction, N-bit MAC */
	MD5SIG_AO_NALGS,
};

/**
 * struct md5sig_ao_mkt - one Master Key Tuple as the host whose peer is @addr holds it (Linux
 * TCP_AO_ADD_KEY): frames towards the peer carry KeyID @sendid, frames from it @recvid.
 * Plain data; md5sig_ao_mkt_parse() and md5sig_aotab_add() validate it.
 */
struct md5sig_ao_mkt {
	int family;	   /**< AF_INET, AF_INET6, or AF_UNSPEC for `*` (any peer) */
	uint8_t addr[16];  /**< the peer; host bits past @prefix are zero */
	uint8_t prefix;	   /**< 0..32 or 0..128 */
	uint8_t sendid;	   /**< KeyID of frames sent towards the peer */
	uint8_t recvid;	   /**< KeyID of frames received from the peer */
	uint8_t alg;	   /**< enum md5sig_ao_alg */
	uint8_t maclen;	   /**< MAC bytes in the option: 12, or N/8 for hmac-sha-256-N */
	bool exclude_opts; /**< options other than TCP-AO left out of the MAC */
	uint8_t keylen;	   /**< 1..MD5SIG_AO_KEY_MAX */
	uint8_t key[MD5SIG_AO_KEY_MAX]; /**< the master key; never printed */
};

/** Is @line a TCP-AO key line (its first token is `ao`)? */
bool md5sig_ao_line(const char *line);

/**
 * md5sig_ao_mkt_parse() - one key-file line `ao ADDR[/PREFIX] SENDID:RECVID ALG
 * [exclude-options] SECRET` into @mkt. No I/O; NUL-terminated, with or without a newline.
 * ADDR is IPv4, IPv6 or `*`; KeyIDs are decimal 0..255; ALG is `hmac-sha-1-96`,
 * `aes-128-cmac-96` or `hmac-sha-256-N` (N a multiple of 8 from 8 to 128; case does not
 * matter); SECRET is one token, `hex:0011...` for binary secrets, at most 80 bytes.
 * @why: set to a static reason on -EINVAL; it never contains the secret.
 *
 * Return: 0, or -EINVAL (also for a line that is not an `ao` line). @mkt is wiped on failure.
 */
int md5sig_ao_mkt_parse(const char *line, struct md5sig_ao_mkt *mkt, const char **why);

/**
 * md5sig_ao_mkt_valid() - is @mkt consistent: a known family and algorithm, a prefix that fits
 * the family, a 1..80-byte key, the algorithm's MAC length (1..16 bytes for hmac-sha-256-N, as
 * Linux fits it in a SYN)? What md5sig_aotab_add(), md5sig_ao_traffic_key() and md5sig_ao_mac()
 * accept.
 */
bool md5sig_ao_mkt_valid(const struct md5sig_ao_mkt *mkt);

/**
 * md5sig_ao_mkt_describe() - "192.0.2.1/32 1:2 hmac-sha-1-96[ exclude-options]" (or "* ...")
 * into @buf, for listings: everything but the secret, whose length goes to @keylen.
 */
void md5sig_ao_mkt_describe(const struct md5sig_ao_mkt *mkt, char *buf, size_t buflen,
			    unsigned *keylen);

/* the MKT table */

struct md5sig_aotab;

/** Return: an empty table, or NULL with errno set. */
struct md5sig_aotab *md5sig_aotab_new(void);
/** Wipe every master key (OPENSSL_cleanse) and free. Accepts NULL. */
void md5sig_aotab_free(struct md5sig_aotab *t);

/**
 * md5sig_aotab_add() - add a copy of @mkt.
 * Return: 0; -EINVAL for an invalid MKT; -EEXIST when an MKT for the same peer (family, address,
 * prefix) already uses its SendID or its RecvID (RFC 5925 §3.1: IDs must not overlap); -ENOMEM.
 * MKT pointers the table hands out stay valid until md5sig_aotab_free().
 */
int md5sig_aotab_add(struct md5sig_aotab *t, const struct md5sig_ao_mkt *mkt);

/**
 * md5sig_aotab_parse_line() - md5sig_ao_mkt_parse() and md5sig_aotab_add() of one line; blank
 * lines and `#` comments are accepted and add nothing.
 * Return: 0, -EINVAL (@why set, also for an ID clash), -ENOMEM.
 */
int md5sig_aotab_parse_line(struct md5sig_aotab *t, const char *line, const char **why);

/**
 * md5sig_aotab_parse_line_at() - md5sig_aotab_parse_line() of line @lineno of a file, except
 * that an MKT whose IDs overlap an earlier one's is -EEXIST with *@earlier naming that line
 * (0 for one md5sig_aotab_add() made).
 */
int md5sig_aotab_parse_line_at(struct md5sig_aotab *t, const char *line, unsigned lineno,
			       const char **why, unsigned *earlier);

/** Number of MKTs (0 for a NULL table). */
size_t md5sig_aotab_count(const struct md5sig_aotab *t);
/** MKT @i in the order added, or NULL past the end. */
const struct md5sig_ao_mkt *md5sig_aotab_get(const struct md5sig_aotab *t, size_t i);

/**
 * md5sig_aotab_lookup() - the MKT for a segment: its peer matches the segment's source and its
 * RecvID is @keyid, or its peer matches the destination and its SendID is @keyid (so either
 * endpoint's view of an MKT verifies both directions of a capture). @keyid < 0 matches any
 * KeyID. Among matches the longest prefix wins, on a tie the source's.
 * @t may be NULL (no MKTs).
 *
 * Return: 0 with *@mkt set; -ENOKEY when MKTs cover an endpoint but none has @keyid for that
 * direction; -ENOENT when no MKT covers either endpoint.
 */
int md5sig_aotab_lookup(const struct md5sig_aotab *t, const struct md5sig_seg *seg, int keyid,
			const struct md5sig_ao_mkt **mkt);

/**
 * md5sig_keytab_ao() - the MKTs of the `ao` lines fed to md5sig_keytab_parse_line(), or NULL
 * when there were none. Owned by @kt.
 */
const struct md5sig_aotab *md5sig_keytab_ao(const struct md5sig_keytab *kt);

/* the option */

/** What md5sig_ao_opt_find() found; values >= MD5SIG_AO_OPT_SHORT are malformed reasons. */
enum md5sig_ao_optst {
	MD5SIG_AO_OPT_NONE = 0, /**< no TCP-AO option */
	MD5SIG_AO_OPT_OK,	/**< one TCP-AO option, described in the md5sig_ao_opt */
	MD5SIG_AO_OPT_SHORT,	/**< option length < 4 */
	MD5SIG_AO_OPT_DUP,	/**< more than one TCP-AO option */
	MD5SIG_AO_OPT_WITH_MD5, /**< TCP-AO and MD5 options together (RFC 5925 §7.6) */
	MD5SIG_AO_OPT_MACLEN, /**< MAC length differs from the MKT's (md5sig_ao_classify() only) */
	MD5SIG_AO_OPT_NSTATUS,
};

/** Short stable name ("short-ao-opt", ...) and human text of an option status. */
const char *md5sig_ao_optst_name(enum md5sig_ao_optst st);
const char *md5sig_ao_optst_str(enum md5sig_ao_optst st);

/** struct md5sig_ao_opt - a TCP-AO option; the MAC is the option's last @len - 4 bytes. */
struct md5sig_ao_opt {
	uint32_t off;	    /**< offset of the option's kind byte from the frame's first byte */
	uint8_t len;	    /**< option length, 4 + MAC length */
	uint8_t keyid;	    /**< KeyID: the MKT the sender used */
	uint8_t rnextkeyid; /**< RNextKeyID: the MKT the sender wants to receive with */
};

/**
 * md5sig_ao_opt_find() - locate and check the TCP-AO option of a segment. @seg is what
 * md5sig_parse() filled for MD5SIG_TCP (or MD5SIG_MD5_AND_AO) over the same @frame; only the
 * TCP header it describes is read. @opt is filled for MD5SIG_AO_OPT_OK.
 */
enum md5sig_ao_optst md5sig_ao_opt_find(const uint8_t *frame, const struct md5sig_seg *seg,
					struct md5sig_ao_opt *opt);

/* sequence number extension (RFC 5925 §6.2) */

/**
 * struct md5sig_ao_sne - one direction's SNE state: the furthest sequence number seen (in
 * serial order, RFC 1982) and its SNE. Start it with md5sig_ao_sne_init() at the sender's ISN.
 */
struct md5sig_ao_sne {
	uint32_t seq; /**< furthest sequence number seen */
	uint32_t sne; /**< its SNE: the high 32 bits of the 64-bit sequence number */
};

/** Start a direction at its ISN (whose SNE is 0). */
void md5sig_ao_sne_init(struct md5sig_ao_sne *s, uint32_t isn);

/**
 * md5sig_ao_sne_next() - the SNE of a segment with sequence number @seq sent in this direction,
 * and advance @s when @seq is further than any seen. A @seq within 2^31 before the furthest
 * one is a reordered or retransmitted segment: it gets the SNE of its own side of a wrap.
 */
uint32_t md5sig_ao_sne_next(struct md5sig_ao_sne *s, uint32_t seq);

/** The SNE md5sig_ao_sne_next() would give @seq, without advancing @s. */
uint32_t md5sig_ao_sne_peek(const struct md5sig_ao_sne *s, uint32_t seq);

/* verdicts, keys and MACs */

/** Verdict on one TCP segment against the MKTs. */
enum md5sig_ao_verdict {
	MD5SIG_AO_VALID = 0,   /**< option present, MAC matches */
	MD5SIG_AO_INVALID,     /**< option present, MAC does not match */
	MD5SIG_AO_MISSING,     /**< an MKT covers the peers, the option is absent */
	MD5SIG_AO_UNEXPECTED,  /**< option present, no MKT for either peer */
	MD5SIG_AO_UNKNOWN_KEY, /**< MKTs for the peer, none with the option's KeyID */
	MD5SIG_AO_NO_ISN,      /**< the connection's ISNs are unknown: the MAC cannot be checked */
	MD5SIG_AO_UNSIGNED,    /**< neither MKT nor option */
	MD5SIG_AO_UNCHECKED,   /**< the MAC could not be checked: the capture cut the segment, or
				  no key was given at all (enum md5sig_unchecked) */
	MD5SIG_AO_MALFORMED,   /**< the frame or the option is malformed */
	MD5SIG_AO_NVERDICTS,
};

/** Lower-case verdict name as used in listings and JSON ("valid", "unknown-key", ...). */
const char *md5sig_ao_verdict_str(enum md5sig_ao_verdict v);

/** struct md5sig_ao_isns - a connection's ISNs as seen from one frame. */
struct md5sig_ao_isns {
	uint32_t sisn; /**< ISN of the frame's sender */
	uint32_t disn; /**< ISN of the frame's receiver */
};

/** struct md5sig_ao_tkey - a traffic key (secret: wipe it with md5sig_cleanse()). */
struct md5sig_ao_tkey {
	uint8_t len;			   /**< 20 (SHA-1), 16 (CMAC) or 32 (SHA-256) */
	uint8_t bytes[MD5SIG_AO_TKEY_MAX]; /**< never printed */
};

/**
 * struct md5sig_ao_detail - what md5sig_ao_classify() based its verdict on.
 */
struct md5sig_ao_detail {
	enum md5sig_ao_optst optst; /**< the option's state; the reason of a malformed verdict */
	struct md5sig_ao_opt opt;   /**< the option, for MD5SIG_AO_OPT_OK and _MACLEN */
	const struct md5sig_ao_mkt *mkt; /**< the MKT the option's KeyID selected, or NULL */
	struct md5sig_ao_isns isns;	 /**< the ISNs the traffic key came from (when derived) */
};

/** Counters of a verifier's traffic-key cache. */
struct md5sig_ao_stats {
	uint64_t derivations; /**< traffic keys derived (KDF runs) */
	uint64_t hits;	      /**< MACs computed with a cached key */
	uint64_t evictions;   /**< cached keys dropped to make room */
};

struct md5sig_ao_verifier;

/**
 * md5sig_ao_verifier_new() - a verifier for the MKTs of @t (NULL: none). It holds the fetched
 * MACs and a cache of @slots traffic keys, each keyed by (MKT, addresses, ports, ISNs): one per
 * connection direction, one for each side's SYN. The least recently used key is evicted.
 * @t must outlive the verifier (or md5sig_ao_verifier_set_table() be called first). Not
 * thread-safe: one verifier per thread.
 *
 * Return: the verifier, or NULL with errno set (ENOMEM; ENOSYS when libcrypto lacks a MAC).
 */
struct md5sig_ao_verifier *md5sig_ao_verifier_new(const struct md5sig_aotab *t, size_t slots);
/** Wipe every cached key and free. Accepts NULL. */
void md5sig_ao_verifier_free(struct md5sig_ao_verifier *v);
/** Use @t from now on (after a key reload); drops every cached key. */
void md5sig_ao_verifier_set_table(struct md5sig_ao_verifier *v, const struct md5sig_aotab *t);
/** Copy the cache counters to @out. */
void md5sig_ao_verifier_stats(const struct md5sig_ao_verifier *v, struct md5sig_ao_stats *out);

/**
 * md5sig_ao_classify() - verdict for a parsed segment (@st is what md5sig_parse() returned for
 * the whole @frame; MD5SIG_OTHER and MD5SIG_FRAGMENT must not be passed).
 * @isns: the connection's ISNs oriented for this frame, or NULL when unknown. A SYN needs none
 *        (its key uses its own sequence number and 0), nor a SYN-ACK (its own sequence number and
 *        the acknowledged one minus 1): for those the frame is taken at its word.
 * @sne: the frame's SNE (md5sig_ao_sne_next() of its direction).
 * @d: filled when not NULL.
 * A segment whose ISNs are unknown is MD5SIG_AO_NO_ISN, never invalid. A segment the capture cut
 * (MD5SIG_SNAPLEN with MD5SIG_SEG_HEADERS) is judged by its headers, and MD5SIG_AO_UNCHECKED
 * where its MAC would decide.
 */
enum md5sig_ao_verdict md5sig_ao_classify(struct md5sig_ao_verifier *v, const uint8_t *frame,
					  enum md5sig_status st, const struct md5sig_seg *seg,
					  const struct md5sig_ao_isns *isns, uint32_t sne,
					  struct md5sig_ao_detail *d);

/**
 * md5sig_ao_sign() - write the MAC into the segment's TCP-AO option, with the MKT its KeyID
 * selects and the ISNs as for md5sig_ao_classify().
 * Return: 0; -ENOENT without a well-formed option; -ENOKEY without an MKT for its KeyID;
 * -EMSGSIZE when the option's MAC length is not the MKT's; -ENOTCONN when the ISNs are needed
 * and @isns is NULL; -EIO if libcrypto failed.
 */
int md5sig_ao_sign(struct md5sig_ao_verifier *v, uint8_t *frame, const struct md5sig_seg *seg,
		   const struct md5sig_ao_isns *isns, uint32_t sne);

/**
 * md5sig_ao_traffic_key() - RFC 5925 §5.2 traffic key of @mkt for the segment's direction:
 * KDF(master key, 1 || "TCP-AO" || source and destination address, ports || @sisn || @disn ||
 * output bits), with RFC 5926's KDF for @mkt->alg (HMAC-SHA-256 in the same construction for
 * hmac-sha-256-N). A SYN uses @disn 0. Not cached.
 * Return: 0, -EINVAL for a bad MKT, -EIO if libcrypto failed.
 */
int md5sig_ao_traffic_key(struct md5sig_ao_verifier *v, const struct md5sig_ao_mkt *mkt,
			  const struct md5sig_seg *seg, uint32_t sisn, uint32_t disn,
			  struct md5sig_ao_tkey *out);

/**
 * md5sig_ao_mac() - RFC 5925 §5.1 MAC of a segment with traffic key @tk: @mkt->maclen bytes
 * into @out. @opt is the segment's option (md5sig_ao_opt_find()). Keys the MAC afresh on every
 * call: md5sig_ao_classify() is the fast path.
 * Return: 0, -EINVAL for a bad MKT or key, -EIO if libcrypto failed.
 */
int md5sig_ao_mac(struct md5sig_ao_verifier *v, const struct md5sig_ao_mkt *mkt,
		  const struct md5sig_ao_tkey *tk, const uint8_t *frame,
		  const struct md5sig_seg *seg, const struct md5sig_ao_opt *opt, uint32_t sne,
		  uint8_t out[static MD5SIG_AO_MAC_MAX]);

/* ---- ISNs and SNE per connection (ao_flows.c) ---- */

/*
 * DOC: flows — what TCP-AO needs to know of a connection
 *
 * A TCP-AO MAC depends on the connection's two ISNs (traffic keys, RFC 5925 §5.2) and on the
 * sender's SNE (§6.2), neither of which a segment carries. A flow table follows connections as
 * their segments come in, in order: md5sig_ao_flows_see() learns a side's ISN from its SYN and
 * the peer's from a SYN-ACK (its acknowledgment number minus 1), and advances the sender's SNE
 * to the furthest sequence number seen (md5sig_ao_sne_next()). md5sig_ao_flows_find() then
 * gives the ISNs and SNE of any segment of a known connection, also one a stage changed later
 * (a TSO segment's SNE is placed against the furthest sequence number seen, without moving it).
 * ISNs given by the user (md5sig_ao_isn_parse(), `--isn ADDR.PORT=ISN`) stand in for a side
 * whose handshake was not seen. The table is bounded: the least recently seen connection makes
 * room for a new one, counted as an eviction; its segments are then no-isn, never invalid.
 */

/** struct md5sig_ao_isn_arg - an endpoint's ISN given by the user: `ADDR.PORT=ISN`. */
struct md5sig_ao_isn_arg {
	int family;	  /**< AF_INET or AF_INET6 */
	uint8_t addr[16]; /**< IPv4 in the first 4 bytes */
	uint16_t port;
	uint32_t isn;
};

/**
 * md5sig_ao_isn_parse() - `ADDR.PORT=ISN` (IPv4 or IPv6 ADDR, PORT 0..65535, ISN decimal or
 * 0x-hex up to 2^32 - 1) into @out. No I/O.
 * Return: 0, or -EINVAL with a static reason in *@why.
 */
int md5sig_ao_isn_parse(const char *arg, struct md5sig_ao_isn_arg *out, const char **why);

/** Counters of a flow table. */
struct md5sig_ao_flow_stats {
	uint64_t flows;	    /**< connections followed now */
	uint64_t max;	    /**< at most */
	uint64_t learnt;    /**< ISNs learnt from SYNs and SYN-ACKs */
	uint64_t evictions; /**< connections dropped to make room */
};

struct md5sig_ao_flows;

/**
 * md5sig_ao_flows_new() - a table following at most @max connections (at least 1).
 * Return: the table, or NULL with errno set.
 */
struct md5sig_ao_flows *md5sig_ao_flows_new(size_t max);
/** Free; accepts NULL. */
void md5sig_ao_flows_free(struct md5sig_ao_flows *t);

/**
 * md5sig_ao_flows_give() - use @isn for its endpoint whenever the endpoint's own SYN or SYN-ACK
 * was not seen. Return: 0, -EEXIST when the endpoint was given another ISN, -ENOMEM.
 */
int md5sig_ao_flows_give(struct md5sig_ao_flows *t, const struct md5sig_ao_isn_arg *isn);

/**
 * md5sig_ao_flows_see() - a segment (MD5SIG_TCP, or cut with MD5SIG_SEG_HEADERS) as it enters,
 * in order: learn ISNs from SYN and SYN-ACK, advance its direction's SNE. Reads the TCP header
 * only.
 */
void md5sig_ao_flows_see(struct md5sig_ao_flows *t, const uint8_t *frame,
			 const struct md5sig_seg *seg);

/**
 * md5sig_ao_flows_find() - the ISNs of a segment's connection, oriented for it, and its SNE,
 * without changing the table. @t may be NULL.
 * Return: true with @isns and @sne set; false when an ISN is unknown.
 */
bool md5sig_ao_flows_find(const struct md5sig_ao_flows *t, const uint8_t *frame,
			  const struct md5sig_seg *seg, struct md5sig_ao_isns *isns, uint32_t *sne);

/** Copy the table's counters to @out. */
void md5sig_ao_flows_stats(const struct md5sig_ao_flows *t, struct md5sig_ao_flow_stats *out);

/* ---- a frame in both schemes (verdict.c) ---- */

/** Why a signed segment could not be checked (MD5SIG_UNCHECKED, MD5SIG_AO_UNCHECKED). */
enum md5sig_unchecked {
	MD5SIG_UNCHECKED_SNAPLEN = 0, /**< the capture cut the bytes the digest or MAC covers */
	MD5SIG_UNCHECKED_NO_KEY,      /**< no key was given at all */
	MD5SIG_UNCHECKED_NREASONS,
};

/** Short stable name of a reason ("snaplen", "no-key"), for JSON, listings and reports. */
const char *md5sig_unchecked_name(enum md5sig_unchecked r);

/**
 * struct md5sig_checker - what judging frames in both schemes takes; the caller's, plain data.
 */
struct md5sig_checker {
	struct md5sig_hasher *h;	/**< for RFC 2385 digests */
	const struct md5sig_keytab *kt; /**< MD5 keys and MKTs; NULL: no key was given at all */
	struct md5sig_ao_verifier *ao;	/**< made for md5sig_keytab_ao(@kt); NULL: no MKTs */
};

/**
 * struct md5sig_verdicts - one frame in both schemes. A malformed frame is malformed in both
 * (counted once); otherwise each scheme has its own verdict.
 */
struct md5sig_verdicts {
	enum md5sig_verdict md5;	 /**< MD5SIG_MALFORMED: the frame is malformed */
	enum md5sig_ao_verdict ao;	 /**< MD5SIG_AO_MALFORMED exactly when @md5 is malformed */
	enum md5sig_status st;		 /**< the parse status: the reason, if it is malformed */
	enum md5sig_ao_optst optst;	 /**< the TCP-AO option: the reason, if that is malformed */
	enum md5sig_unchecked unchecked; /**< why, when a verdict is unchecked */
};

/**
 * md5sig_classify_frame() - a parsed frame's verdict in both schemes (@st is what md5sig_parse()
 * or md5sig_parse_cap() returned; not MD5SIG_OTHER or MD5SIG_FRAGMENT). @isns and @sne are the
 * segment's connection state for TCP-AO (md5sig_ao_flows_find(); @isns NULL when unknown).
 *
 * Malformed: a parse status >= MD5SIG_MALFORMED_FIRST (but a cut segment whose headers were
 * captured), or a malformed TCP-AO option (md5sig_ao_opt_find(), and a MAC length other than
 * its MKT's). Otherwise, per scheme: the usual verdicts (md5sig_classify(),
 * md5sig_ao_classify()); a segment with an option that could not be checked is unchecked: cut by
 * the capture's snaplen, or, when no key was given at all (@c->kt NULL), whatever it is.
 */
void md5sig_classify_frame(const struct md5sig_checker *c, const uint8_t *frame,
			   enum md5sig_status st, const struct md5sig_seg *seg,
			   const struct md5sig_ao_isns *isns, uint32_t sne,
			   struct md5sig_verdicts *out);

/**
 * md5sig_malformed_name() - the short name of why a frame is malformed ("snaplen",
 * "short-ao-opt", ...): its parse status, or its TCP-AO option's.
 */
const char *md5sig_malformed_name(const struct md5sig_verdicts *v);

#endif
