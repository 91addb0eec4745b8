// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Header parsing: link layer, IPv4/IPv6, TCP and its options. Every read is bounds-checked
 * against the captured length; lengths declared by headers are checked against it too.
 */
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#include "md5sig.h"

#define ETH_HLEN     14
#define SLL_HLEN     16
#define SLL2_HLEN    20
#define ETH_P_IP     0x0800
#define ETH_P_IPV6   0x86dd
#define ETH_P_8021Q  0x8100
#define ETH_P_8021AD 0x88a8
#define ETH_P_QINQ1  0x9100 /* pre-standard QinQ outer tag */
#define MAX_TAGS     8

#define IPPROTO_TCP_ 6

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get32le(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint32_t get32be(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

bool md5sig_linktype_known(uint32_t linktype)
{
	switch (linktype) {
	case MD5SIG_LINK_NULL:
	case MD5SIG_LINK_ETHERNET:
	case MD5SIG_LINK_RAW:
	case MD5SIG_LINK_LOOP:
	case MD5SIG_LINK_SLL:
	case MD5SIG_LINK_IPV4:
	case MD5SIG_LINK_IPV6:
	case MD5SIG_LINK_SLL2:
		return true;
	}
	return false;
}

const char *md5sig_linktype_str(uint32_t linktype)
{
	switch (linktype) {
	case MD5SIG_LINK_NULL:
		return "BSD loopback";
	case MD5SIG_LINK_ETHERNET:
		return "Ethernet";
	case MD5SIG_LINK_RAW:
		return "raw IP";
	case MD5SIG_LINK_LOOP:
		return "OpenBSD loopback";
	case MD5SIG_LINK_SLL:
		return "Linux SLL";
	case MD5SIG_LINK_IPV4:
		return "raw IPv4";
	case MD5SIG_LINK_IPV6:
		return "raw IPv6";
	case MD5SIG_LINK_SLL2:
		return "Linux SLL2";
	}
	return "unknown";
}

static const struct {
	const char *name;
	const char *text;
} status_names[MD5SIG_NSTATUS] = {
	[MD5SIG_TCP] = {"tcp", "TCP segment"},
	[MD5SIG_OTHER] = {"other", "not TCP"},
	[MD5SIG_FRAGMENT] = {"fragment", "IP fragment of a TCP segment"},
	[MD5SIG_BAD_LINK] = {"bad-link", "truncated or bogus link header"},
	[MD5SIG_BAD_IP_VERSION] = {"bad-ip-version", "IP version does not match the link header"},
	[MD5SIG_BAD_IP_HDR] = {"bad-ip-hdr", "truncated IP header or IPv4 IHL < 5"},
	[MD5SIG_BAD_IPV4_OPT] = {"bad-ipv4-opt", "malformed IPv4 option"},
	[MD5SIG_BAD_IPV6_EXT] = {"bad-ipv6-ext", "malformed IPv6 extension header"},
	[MD5SIG_BAD_IP_LEN] = {"bad-ip-len", "IP length shorter than its headers"},
	[MD5SIG_SNAPLEN] = {"snaplen", "capture shorter than the IP length (snaplen)"},
	[MD5SIG_BAD_TCP_HDR] = {"bad-tcp-hdr", "truncated TCP header or bad data offset"},
	[MD5SIG_BAD_TCP_OPT] = {"bad-tcp-opt", "malformed TCP option"},
	[MD5SIG_BAD_MD5_OPT] = {"bad-md5-opt", "MD5 option length is not 18"},
	[MD5SIG_DUP_MD5_OPT] = {"dup-md5-opt", "more than one MD5 option"},
	[MD5SIG_MD5_AND_AO] = {"md5-and-ao", "both MD5 and TCP-AO options (RFC 5925)"},
};

const char *md5sig_status_str(enum md5sig_status st)
{
	return (unsigned)st < MD5SIG_NSTATUS ? status_names[st].text : "unknown";
}

const char *md5sig_status_name(enum md5sig_status st)
{
	return (unsigned)st < MD5SIG_NSTATUS ? status_names[st].name : "unknown";
}

/*
 * TCP header and options. @end bounds what may be read (captured bytes, at most the IP end);
 * @tcp_len is what the IP header declares for the segment.
 */
static enum md5sig_status parse_tcp(const uint8_t *f, size_t end, struct md5sig_seg *seg)
{
	size_t l4 = seg->l4_off;
	const uint8_t *th = f + l4;
	size_t avail = end - l4;

	if (avail >= 4) {
		seg->sport = get16(th);
		seg->dport = get16(th + 2);
	}
	if (avail < 20 || seg->tcp_len < 20)
		return MD5SIG_BAD_TCP_HDR;
	seg->thlen = (uint32_t)(th[12] >> 4) * 4;
	if (seg->thlen < 20 || seg->thlen > seg->tcp_len || seg->thlen > avail)
		return MD5SIG_BAD_TCP_HDR;

	for (size_t i = 20; i < seg->thlen;) {
		uint8_t kind = th[i];

		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= seg->thlen)
			return MD5SIG_BAD_TCP_OPT;
		uint8_t olen = th[i + 1];
		if (olen < 2 || i + olen > seg->thlen)
			return MD5SIG_BAD_TCP_OPT;
		if (kind == MD5SIG_OPT_KIND) {
			if (olen != MD5SIG_OPT_LEN)
				return MD5SIG_BAD_MD5_OPT;
			if (seg->md5_off >= 0)
				return MD5SIG_DUP_MD5_OPT;
			seg->md5_off = (int32_t)(l4 + i + 2);
		} else if (kind == 29) {
			seg->flags |= MD5SIG_SEG_AO;
		}
		i += olen;
	}
	if (seg->md5_off >= 0 && (seg->flags & MD5SIG_SEG_AO))
		return MD5SIG_MD5_AND_AO;
	return MD5SIG_TCP;
}

/*
 * The IP parsers read at most @len bytes; @total is the frame's real length, which is larger
 * when only its head is at hand (md5sig_parse_head()): it decides whether the IP packet was cut.
 */
static enum md5sig_status parse_ipv4(const uint8_t *f, size_t len, size_t total,
				     struct md5sig_seg *seg)
{
	size_t l3 = seg->l3_off;
	const uint8_t *ip = f + l3;

	if (len - l3 < 20)
		return MD5SIG_BAD_IP_HDR;
	if (ip[0] >> 4 != 4)
		return MD5SIG_BAD_IP_VERSION;
	size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
	if (ihl < 20 || ihl > len - l3)
		return MD5SIG_BAD_IP_HDR;
	size_t iplen = get16(ip + 2);
	if (iplen < ihl)
		return MD5SIG_BAD_IP_LEN;

	seg->family = AF_INET;
	memcpy(seg->saddr, ip + 12, 4);
	memcpy(seg->daddr, ip + 16, 4);

	for (size_t i = 20; i < ihl;) {
		if (ip[i] == 0)
			break;
		if (ip[i] == 1) {
			i++;
			continue;
		}
		if (i + 1 >= ihl || ip[i + 1] < 2 || i + ip[i + 1] > ihl)
			return MD5SIG_BAD_IPV4_OPT;
		i += ip[i + 1];
	}
	if (ihl > 20)
		seg->flags |= MD5SIG_SEG_IPV4_OPT;

	if (ip[9] != IPPROTO_TCP_)
		return MD5SIG_OTHER;
	uint16_t frag = get16(ip + 6);
	if (frag & 0x1fff)
		return MD5SIG_OTHER; /* no TCP header in a later fragment */
	if (frag & 0x2000)
		return MD5SIG_FRAGMENT;

	size_t ip_end = l3 + iplen;
	bool cut = ip_end > total;
	seg->l4_off = (uint32_t)(l3 + ihl);
	seg->tcp_len = (uint32_t)(iplen - ihl);
	enum md5sig_status st = parse_tcp(f, ip_end < len ? ip_end : len, seg);
	return cut ? MD5SIG_SNAPLEN : st;
}

static bool ipv6_ext_header(uint8_t nh)
{
	switch (nh) {
	case 0:	  /* hop-by-hop */
	case 43:  /* routing */
	case 44:  /* fragment */
	case 51:  /* AH */
	case 60:  /* destination options */
	case 135: /* mobility */
	case 139: /* HIP */
	case 140: /* shim6 */
		return true;
	}
	return false;
}

static enum md5sig_status parse_ipv6(const uint8_t *f, size_t len, size_t total,
				     struct md5sig_seg *seg)
{
	size_t l3 = seg->l3_off;
	const uint8_t *ip = f + l3;

	if (len - l3 < 40)
		return MD5SIG_BAD_IP_HDR;
	if (ip[0] >> 4 != 6)
		return MD5SIG_BAD_IP_VERSION;

	seg->family = AF_INET6;
	memcpy(seg->saddr, ip + 8, 16);
	memcpy(seg->daddr, ip + 24, 16);

	size_t plen = get16(ip + 4);
	uint8_t nh = ip[6];
	if (plen == 0 && nh != 59)
		return MD5SIG_BAD_IP_LEN; /* jumbograms are not supported */
	size_t ip_end = l3 + 40 + plen;
	bool cut = ip_end > total;
	size_t end = ip_end < len ? ip_end : len;
	size_t off = l3 + 40;

	while (ipv6_ext_header(nh)) {
		size_t hlen;

		if (off + 8 > end)
			return cut ? MD5SIG_SNAPLEN : MD5SIG_BAD_IPV6_EXT;
		if (nh == 44) {
			uint16_t fo = get16(f + off + 2);
			if (fo & 0xfff8)
				return MD5SIG_OTHER;
			if (fo & 1)
				return f[off] == IPPROTO_TCP_ ? MD5SIG_FRAGMENT : MD5SIG_OTHER;
			hlen = 8; /* atomic fragment: carry on */
		} else if (nh == 51) {
			hlen = ((size_t)f[off + 1] + 2) * 4;
		} else {
			hlen = ((size_t)f[off + 1] + 1) * 8;
		}
		if (off + hlen > end)
			return cut ? MD5SIG_SNAPLEN : MD5SIG_BAD_IPV6_EXT;
		nh = f[off];
		off += hlen;
		seg->flags |= MD5SIG_SEG_IPV6_EXT;
	}
	if (nh != IPPROTO_TCP_)
		return MD5SIG_OTHER;

	seg->l4_off = (uint32_t)off;
	seg->tcp_len = (uint32_t)(ip_end - off);
	enum md5sig_status st = parse_tcp(f, end, seg);
	return cut ? MD5SIG_SNAPLEN : st;
}

/* Skip 802.1Q/802.1ad tags starting at @off (which holds the inner EtherType's position). */
static enum md5sig_status skip_tags(const uint8_t *f, size_t len, size_t *off, uint16_t *type,
				    struct md5sig_seg *seg)
{
	while (*type == ETH_P_8021Q || *type == ETH_P_8021AD || *type == ETH_P_QINQ1) {
		if (seg->vlans == MAX_TAGS || *off + 4 > len)
			return MD5SIG_BAD_LINK;
		*type = get16(f + *off + 2);
		*off += 4;
		seg->vlans++;
	}
	return MD5SIG_TCP;
}

static enum md5sig_status ip_by_version(const uint8_t *f, size_t len, size_t total,
					struct md5sig_seg *seg)
{
	if (seg->l3_off >= len)
		return MD5SIG_BAD_LINK;
	switch (f[seg->l3_off] >> 4) {
	case 4:
		return parse_ipv4(f, len, total, seg);
	case 6:
		return parse_ipv6(f, len, total, seg);
	}
	return MD5SIG_BAD_IP_VERSION;
}

static enum md5sig_status ip_by_ethertype(const uint8_t *f, size_t len, size_t total, uint16_t type,
					  struct md5sig_seg *seg)
{
	if (type == ETH_P_IP)
		return parse_ipv4(f, len, total, seg);
	if (type == ETH_P_IPV6)
		return parse_ipv6(f, len, total, seg);
	return MD5SIG_OTHER;
}

static enum md5sig_status ip_by_family(const uint8_t *f, size_t len, size_t total, uint32_t af,
				       struct md5sig_seg *seg)
{
	if (af == 2)
		return parse_ipv4(f, len, total, seg);
	if (af == 10 || af == 24 || af == 28 ||
	    af == 30) /* Linux, NetBSD/OpenBSD, FreeBSD, macOS */
		return parse_ipv6(f, len, total, seg);
	return MD5SIG_OTHER;
}

enum md5sig_status md5sig_parse_head(uint32_t linktype, const uint8_t *f, size_t len, size_t total,
				     struct md5sig_seg *seg)
{
	enum md5sig_status st;
	size_t off;
	uint16_t type;

	memset(seg, 0, sizeof(*seg));
	seg->md5_off = -1;

	switch (linktype) {
	case MD5SIG_LINK_ETHERNET:
		if (len < ETH_HLEN)
			return MD5SIG_BAD_LINK;
		type = get16(f + 12);
		off = ETH_HLEN;
		break;
	case MD5SIG_LINK_SLL:
		if (len < SLL_HLEN)
			return MD5SIG_BAD_LINK;
		type = get16(f + 14);
		off = SLL_HLEN;
		break;
	case MD5SIG_LINK_SLL2:
		if (len < SLL2_HLEN)
			return MD5SIG_BAD_LINK;
		type = get16(f);
		off = SLL2_HLEN;
		break;
	case MD5SIG_LINK_RAW:
		return ip_by_version(f, len, total, seg);
	case MD5SIG_LINK_IPV4:
		return parse_ipv4(f, len, total, seg);
	case MD5SIG_LINK_IPV6:
		return parse_ipv6(f, len, total, seg);
	case MD5SIG_LINK_NULL: {
		if (len < 4)
			return MD5SIG_BAD_LINK;
		/* host order of the capturing machine: accept either */
		uint32_t af = get32le(f);
		if (af > 0xffff)
			af = get32be(f);
		seg->l3_off = 4;
		return ip_by_family(f, len, total, af, seg);
	}
	case MD5SIG_LINK_LOOP:
		if (len < 4)
			return MD5SIG_BAD_LINK;
		seg->l3_off = 4;
		return ip_by_family(f, len, total, get32be(f), seg);
	default:
		return MD5SIG_BAD_LINK;
	}

	st = skip_tags(f, len, &off, &type, seg);
	if (st != MD5SIG_TCP)
		return st;
	seg->l3_off = (uint32_t)off;
	return ip_by_ethertype(f, len, total, type, seg);
}

enum md5sig_status md5sig_parse(uint32_t linktype, const uint8_t *f, size_t len,
				struct md5sig_seg *seg)
{
	return md5sig_parse_head(linktype, f, len, len, seg);
}
