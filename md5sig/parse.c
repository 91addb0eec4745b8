// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Header parsing: link layer, IPv4/IPv6, TCP and its options. Every read is bounds-checked
 * against the captured length; lengths declared by headers are checked against it too.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "md5sig.h"

#define MAX_TAGS 8 /* VLAN tags walked before giving up */

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
	[MD5SIG_TRUNCATED_IP] = {"truncated-ip",
				 "IP length exceeds the frame's length on the wire"},
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
		seg->sport = wire_get16(th + WIRE_TCP_SPORT);
		seg->dport = wire_get16(th + WIRE_TCP_DPORT);
	}
	if (avail < WIRE_TCP_HLEN || seg->tcp_len < WIRE_TCP_HLEN)
		return MD5SIG_BAD_TCP_HDR;
	seg->thlen = wire_tcp_hlen(th);
	if (seg->thlen < WIRE_TCP_HLEN || seg->thlen > seg->tcp_len || seg->thlen > avail)
		return MD5SIG_BAD_TCP_HDR;

	for (size_t i = WIRE_TCP_HLEN; i < seg->thlen;) {
		uint8_t kind = th[i];

		if (kind == WIRE_TCPOPT_EOL)
			break;
		if (kind == WIRE_TCPOPT_NOP) {
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
		} else if (kind == WIRE_TCPOPT_AO) {
			seg->flags |= MD5SIG_SEG_AO;
		}
		i += olen;
	}
	if (seg->md5_off >= 0 && (seg->flags & MD5SIG_SEG_AO))
		return MD5SIG_MD5_AND_AO;
	return MD5SIG_TCP;
}

/*
 * How long a frame is: @len bytes may be read; @total is the frame's real length, which is
 * larger when only its head is at hand (md5sig_parse_head()); @orig its length on the wire, when
 * known (else SIZE_MAX). An IP packet past @orig is short itself; past @total, cut by a capture.
 */
struct lens {
	size_t len, total, orig;
};

/* The status of a segment whose IP packet ends at @ip_end, after parse_tcp() said @st. */
static enum md5sig_status ip_end_status(const struct lens *l, size_t ip_end, enum md5sig_status st,
					struct md5sig_seg *seg)
{
	if (ip_end > l->orig)
		return MD5SIG_TRUNCATED_IP;
	if (ip_end <= l->total)
		return st;
	if (st == MD5SIG_TCP)
		seg->flags |= MD5SIG_SEG_HEADERS;
	return MD5SIG_SNAPLEN;
}

static enum md5sig_status parse_ipv4(const uint8_t *f, const struct lens *l, struct md5sig_seg *seg)
{
	size_t len = l->len;
	size_t l3 = seg->l3_off;
	const uint8_t *ip = f + l3;

	if (len - l3 < WIRE_IPV4_HLEN)
		return MD5SIG_BAD_IP_HDR;
	if (ip[WIRE_IPV4_VER_IHL] >> 4 != 4)
		return MD5SIG_BAD_IP_VERSION;
	size_t ihl = wire_ipv4_hlen(ip);
	if (ihl < WIRE_IPV4_HLEN || ihl > len - l3)
		return MD5SIG_BAD_IP_HDR;
	size_t iplen = wire_get16(ip + WIRE_IPV4_TOT_LEN);
	if (iplen < ihl)
		return MD5SIG_BAD_IP_LEN;

	seg->family = AF_INET;
	memcpy(seg->saddr, ip + WIRE_IPV4_SADDR, 4);
	memcpy(seg->daddr, ip + WIRE_IPV4_DADDR, 4);

	for (size_t i = WIRE_IPV4_HLEN; i < ihl;) {
		if (ip[i] == 0) /* end of options */
			break;
		if (ip[i] == 1) { /* no operation */
			i++;
			continue;
		}
		if (i + 1 >= ihl || ip[i + 1] < 2 || i + ip[i + 1] > ihl)
			return MD5SIG_BAD_IPV4_OPT;
		i += ip[i + 1];
	}
	if (ihl > WIRE_IPV4_HLEN)
		seg->flags |= MD5SIG_SEG_IPV4_OPT;

	if (ip[WIRE_IPV4_PROTO] != WIRE_IPPROTO_TCP)
		return MD5SIG_OTHER;
	uint16_t frag = wire_get16(ip + WIRE_IPV4_FRAG);
	if (frag & WIRE_IPV4_OFF_MASK)
		return MD5SIG_OTHER; /* no TCP header in a later fragment */
	if (frag & WIRE_IPV4_MF)
		return MD5SIG_FRAGMENT;

	size_t ip_end = l3 + iplen;
	seg->l4_off = (uint32_t)(l3 + ihl);
	seg->tcp_len = (uint32_t)(iplen - ihl);
	enum md5sig_status st = parse_tcp(f, ip_end < len ? ip_end : len, seg);
	return ip_end_status(l, ip_end, st, seg);
}

static bool ipv6_ext_header(uint8_t nh)
{
	switch (nh) {
	case WIRE_IPV6_HOPOPTS:
	case WIRE_IPV6_ROUTING:
	case WIRE_IPV6_FRAGMENT:
	case WIRE_IPV6_AH:
	case WIRE_IPV6_DSTOPTS:
	case WIRE_IPV6_MOBILITY:
	case WIRE_IPV6_HIP:
	case WIRE_IPV6_SHIM6:
		return true;
	}
	return false;
}

static enum md5sig_status parse_ipv6(const uint8_t *f, const struct lens *l, struct md5sig_seg *seg)
{
	size_t len = l->len;
	size_t l3 = seg->l3_off;
	const uint8_t *ip = f + l3;

	if (len - l3 < WIRE_IPV6_HLEN)
		return MD5SIG_BAD_IP_HDR;
	if (ip[0] >> 4 != 6)
		return MD5SIG_BAD_IP_VERSION;

	seg->family = AF_INET6;
	memcpy(seg->saddr, ip + WIRE_IPV6_SADDR, 16);
	memcpy(seg->daddr, ip + WIRE_IPV6_DADDR, 16);

	size_t plen = wire_get16(ip + WIRE_IPV6_PLEN);
	uint8_t nh = ip[WIRE_IPV6_NEXT];
	if (plen == 0 && nh != WIRE_IPV6_NONXT)
		return MD5SIG_BAD_IP_LEN; /* jumbograms are not supported */
	size_t ip_end = l3 + WIRE_IPV6_HLEN + plen;
	size_t end = ip_end < len ? ip_end : len;
	size_t off = l3 + WIRE_IPV6_HLEN;

	while (ipv6_ext_header(nh)) {
		size_t hlen;

		if (off + 8 > end)
			return ip_end_status(l, ip_end, MD5SIG_BAD_IPV6_EXT, seg);
		if (nh == WIRE_IPV6_FRAGMENT) {
			uint16_t fo = wire_get16(f + off + 2);
			if (fo & 0xfff8)
				return MD5SIG_OTHER;
			if (fo & 1)
				return f[off] == WIRE_IPPROTO_TCP ? MD5SIG_FRAGMENT : MD5SIG_OTHER;
			hlen = 8; /* atomic fragment: carry on */
		} else if (nh == WIRE_IPV6_AH) {
			hlen = ((size_t)f[off + 1] + 2) * 4;
		} else {
			hlen = ((size_t)f[off + 1] + 1) * 8;
		}
		if (off + hlen > end)
			return ip_end_status(l, ip_end, MD5SIG_BAD_IPV6_EXT, seg);
		nh = f[off];
		off += hlen;
		seg->flags |= MD5SIG_SEG_IPV6_EXT;
	}
	if (nh != WIRE_IPPROTO_TCP)
		return MD5SIG_OTHER;

	seg->l4_off = (uint32_t)off;
	seg->tcp_len = (uint32_t)(ip_end - off);
	enum md5sig_status st = parse_tcp(f, end, seg);
	return ip_end_status(l, ip_end, st, seg);
}

/* Skip 802.1Q/802.1ad tags starting at @off (which holds the inner EtherType's position). */
static enum md5sig_status skip_tags(const uint8_t *f, size_t len, size_t *off, uint16_t *type,
				    struct md5sig_seg *seg)
{
	while (*type == WIRE_ETH_P_8021Q || *type == WIRE_ETH_P_8021AD ||
	       *type == WIRE_ETH_P_QINQ1) {
		if (seg->vlans == MAX_TAGS || *off + WIRE_VLAN_HLEN > len)
			return MD5SIG_BAD_LINK;
		*type = wire_get16(f + *off + 2);
		*off += WIRE_VLAN_HLEN;
		seg->vlans++;
	}
	return MD5SIG_TCP;
}

static enum md5sig_status ip_by_version(const uint8_t *f, const struct lens *l,
					struct md5sig_seg *seg)
{
	if (seg->l3_off >= l->len)
		return MD5SIG_BAD_LINK;
	switch (f[seg->l3_off] >> 4) {
	case 4:
		return parse_ipv4(f, l, seg);
	case 6:
		return parse_ipv6(f, l, seg);
	}
	return MD5SIG_BAD_IP_VERSION;
}

static enum md5sig_status ip_by_ethertype(const uint8_t *f, const struct lens *l, uint16_t type,
					  struct md5sig_seg *seg)
{
	if (type == WIRE_ETH_P_IP)
		return parse_ipv4(f, l, seg);
	if (type == WIRE_ETH_P_IPV6)
		return parse_ipv6(f, l, seg);
	return MD5SIG_OTHER;
}

static enum md5sig_status ip_by_family(const uint8_t *f, const struct lens *l, uint32_t af,
				       struct md5sig_seg *seg)
{
	if (af == 2)
		return parse_ipv4(f, l, seg);
	if (af == 10 || af == 24 || af == 28 ||
	    af == 30) /* Linux, NetBSD/OpenBSD, FreeBSD, macOS */
		return parse_ipv6(f, l, seg);
	return MD5SIG_OTHER;
}

static enum md5sig_status parse_frame(uint32_t linktype, const uint8_t *f, const struct lens *l,
				      struct md5sig_seg *seg)
{
	size_t len = l->len;
	enum md5sig_status st;
	size_t off;
	uint16_t type;

	memset(seg, 0, sizeof(*seg));
	seg->md5_off = -1;

	switch (linktype) {
	case MD5SIG_LINK_ETHERNET:
		if (len < WIRE_ETH_HLEN)
			return MD5SIG_BAD_LINK;
		type = wire_get16(f + WIRE_ETH_TYPE);
		off = WIRE_ETH_HLEN;
		break;
	case MD5SIG_LINK_SLL:
		if (len < WIRE_SLL_HLEN)
			return MD5SIG_BAD_LINK;
		type = wire_get16(f + WIRE_SLL_PROTO);
		off = WIRE_SLL_HLEN;
		break;
	case MD5SIG_LINK_SLL2:
		if (len < WIRE_SLL2_HLEN)
			return MD5SIG_BAD_LINK;
		type = wire_get16(f + WIRE_SLL2_PROTO);
		off = WIRE_SLL2_HLEN;
		break;
	case MD5SIG_LINK_RAW:
		return ip_by_version(f, l, seg);
	case MD5SIG_LINK_IPV4:
		return parse_ipv4(f, l, seg);
	case MD5SIG_LINK_IPV6:
		return parse_ipv6(f, l, seg);
	case MD5SIG_LINK_NULL: {
		if (len < WIRE_LOOP_HLEN)
			return MD5SIG_BAD_LINK;
		/* host order of the capturing machine: accept either */
		uint32_t af = wire_get32le(f);
		if (af > 0xffff)
			af = wire_get32(f);
		seg->l3_off = WIRE_LOOP_HLEN;
		return ip_by_family(f, l, af, seg);
	}
	case MD5SIG_LINK_LOOP:
		if (len < WIRE_LOOP_HLEN)
			return MD5SIG_BAD_LINK;
		seg->l3_off = WIRE_LOOP_HLEN;
		return ip_by_family(f, l, wire_get32(f), seg);
	default:
		return MD5SIG_BAD_LINK;
	}

	st = skip_tags(f, len, &off, &type, seg);
	if (st != MD5SIG_TCP)
		return st;
	seg->l3_off = (uint32_t)off;
	return ip_by_ethertype(f, l, type, seg);
}

enum md5sig_status md5sig_parse_head(uint32_t linktype, const uint8_t *f, size_t len, size_t total,
				     struct md5sig_seg *seg)
{
	struct lens l = {len, total, SIZE_MAX};

	return parse_frame(linktype, f, &l, seg);
}

enum md5sig_status md5sig_parse(uint32_t linktype, const uint8_t *f, size_t len,
				struct md5sig_seg *seg)
{
	struct lens l = {len, len, SIZE_MAX};

	return parse_frame(linktype, f, &l, seg);
}

enum md5sig_status md5sig_parse_cap(uint32_t linktype, const uint8_t *f, size_t caplen,
				    size_t origlen, struct md5sig_seg *seg)
{
	struct lens l = {caplen, caplen, origlen > caplen ? origlen : caplen};

	return parse_frame(linktype, f, &l, seg);
}

bool md5sig_parse_ip(uint32_t linktype, const uint8_t *f, size_t len, struct md5sig_ip *ip)
{
	struct md5sig_seg seg;

	md5sig_parse(linktype, f, len, &seg);
	memset(ip, 0, sizeof(*ip));
	/* the family is set once the link layer and the IP header's basics checked out */
	if (!seg.family)
		return false;
	size_t l3 = seg.l3_off, off;
	const uint8_t *h = f + l3;

	ip->family = seg.family;
	ip->l3_off = (uint32_t)l3;
	memcpy(ip->saddr, seg.saddr, sizeof(ip->saddr));
	memcpy(ip->daddr, seg.daddr, sizeof(ip->daddr));
	if (seg.family == AF_INET) {
		/* md5sig_parse() checked the header's length and that the total covers it */
		size_t iplen = wire_get16(h + WIRE_IPV4_TOT_LEN);
		uint16_t frag = wire_get16(h + WIRE_IPV4_FRAG);

		if (l3 + iplen > len)
			return false;
		ip->proto = h[WIRE_IPV4_PROTO];
		ip->l4_off = (uint32_t)(l3 + wire_ipv4_hlen(h));
		ip->ip_end = (uint32_t)(l3 + iplen);
		ip->frag_id = wire_get16(h + WIRE_IPV4_ID);
		ip->frag_off = (uint32_t)(frag & WIRE_IPV4_OFF_MASK) * 8;
		ip->more = frag & WIRE_IPV4_MF;
		ip->df = frag & WIRE_IPV4_DF;
		ip->fragment = ip->more || ip->frag_off;
		return true;
	}
	size_t plen = wire_get16(h + WIRE_IPV6_PLEN);
	uint8_t nh = h[WIRE_IPV6_NEXT];

	if (plen == 0 && nh != WIRE_IPV6_NONXT)
		return false;
	ip->ip_end = (uint32_t)(l3 + WIRE_IPV6_HLEN + plen);
	if (ip->ip_end > len)
		return false;
	off = l3 + WIRE_IPV6_HLEN;
	while (ipv6_ext_header(nh)) {
		size_t hlen;

		if (off + 8 > ip->ip_end)
			return false;
		if (nh == WIRE_IPV6_FRAGMENT) {
			uint16_t fo = wire_get16(f + off + 2);

			ip->frag_hdr = (uint32_t)off;
			ip->frag_id = wire_get32(f + off + 4);
			ip->frag_off = fo & 0xfff8;
			ip->more = fo & 1;
			ip->fragment = ip->more || ip->frag_off;
			nh = f[off];
			off += 8;
			if (ip->fragment)
				break; /* what follows is the fragment's share of the payload */
			continue;
		}
		hlen = nh == WIRE_IPV6_AH ? ((size_t)f[off + 1] + 2) * 4
					  : ((size_t)f[off + 1] + 1) * 8;
		if (off + hlen > ip->ip_end)
			return false;
		nh = f[off];
		off += hlen;
	}
	ip->proto = nh;
	ip->l4_off = (uint32_t)off;
	return true;
}
