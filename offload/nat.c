// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nat: static network address translation between the guest and its peer, IPv4 or IPv6, as a
 * firewall's static NAT or a NAT router does it. Source NAT (`nat.source_from` becomes
 * `nat.source_to`) rewrites the guest's address on the way out and the destination of what
 * comes back; destination NAT (`nat.dest_from` becomes `nat.dest_to`) rewrites the address the
 * guest sends to on the way out and the source of the replies. A one-to-one mapping needs no
 * per-flow state: the mapping is the state.
 *
 * Checksums follow incrementally (RFC 1624, as NATs do, RFC 3022 §4.2): the IPv4 header's, and
 * the TCP, UDP (a zero IPv4 UDP checksum stays zero) and ICMPv6 checksums, whose pseudo-headers
 * hold the addresses; later fragments carry no upper-layer header and get only their IP header
 * rewritten. ARP over Ethernet is translated too (sender and target protocol addresses, the
 * proxy ARP a NAT answers with), so a live guest and peer find each other; IPv6 neighbour
 * discovery is not: give the peers static neighbour entries.
 *
 * RFC 2385 covers the addresses through the pseudo-header, so every translated segment's digest
 * is stale. A peer keyed for the address it sees (the translated one) finds its key and counts
 * the digest invalid (TcpExtTCPMD5Failure); one keyed for the guest's real address finds no key
 * for the translated one and drops the segment as unexpected (TcpExtTCPMD5Unexpected). The fix
 * users applied: exempt the peers from NAT (`nat=off`).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "offload/internal.h"

#define ETH_P_ARP    0x0806
#define ARP_SPA	     14 /* Ethernet/IPv4 ARP: sender protocol address */
#define ARP_TPA	     24 /* target protocol address */
#define ICMPV6	     58
#define ICMPV6_CSUM  2
#define TCP_CSUM_END (WIRE_TCP_CSUM + 2)

struct nat_map {
	int family; /* 0: none */
	uint8_t from[16], to[16];
};

struct nat_stage {
	struct offload_stage base; /* first: the pipeline hands out &base */
	struct nat_map src, dst;
	char why[160]; /* init()'s reason when it names a value (offload_stage_fail keeps a pointer) */
};

static const struct offload_param nat_params[] = {
	{"source_from", NULL, "", "the guest's address, rewritten on the way out", "ADDRESS"},
	{"source_to", NULL, "", "what the peer sees instead", "ADDRESS"},
	{"dest_from", NULL, "", "the address the guest sends to", "ADDRESS"},
	{"dest_to", NULL, "", "the peer's address on the wire", "ADDRESS"},
	{NULL},
};

static struct nat_stage *nat_of(struct offload_stage *st)
{
	return offload_container_of(st, struct nat_stage, base);
}

static int family_of(const char *s, uint8_t addr[16])
{
	if (inet_pton(AF_INET, s, addr) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, s, addr) == 1)
		return AF_INET6;
	return -1;
}

/*
 * One mapping from its parameters @dir_from and @dir_to ("source" or "dest" in @dir); a reason
 * in @why (@buf when it names a value) when they do not make one.
 */
static int map_init(struct nat_map *m, const char *dir, const char *from, const char *to, char *buf,
		    size_t buflen, const char **why)
{
	if (!*from && !*to)
		return 0;
	if (!*from || !*to) {
		*why = "nat: source_from and source_to (dest_from and dest_to) go together";
		return -EINVAL;
	}
	int f = family_of(from, m->from), t = family_of(to, m->to);
	if (f < 0 || t < 0) {
		snprintf(buf, buflen, "nat.%s_%s: '%.64s' is not an IPv4 or IPv6 address", dir,
			 f < 0 ? "from" : "to", f < 0 ? from : to);
		*why = buf;
		return -EINVAL;
	}
	if (f != t) {
		*why = "nat: a mapping's two addresses must be of one family";
		return -EINVAL;
	}
	m->family = f;
	return 0;
}

static int nat_init(struct offload_stage *st)
{
	struct nat_stage *n = nat_of(st);
	const char *why = NULL;

	if (map_init(&n->src, "source", offload_stage_param(st, "source_from"),
		     offload_stage_param(st, "source_to"), n->why, sizeof(n->why), &why) ||
	    map_init(&n->dst, "dest", offload_stage_param(st, "dest_from"),
		     offload_stage_param(st, "dest_to"), n->why, sizeof(n->why), &why))
		return offload_stage_fail(st, why ? why : "nat: bad mapping");
	if (!n->src.family && !n->dst.family)
		return offload_stage_fail(st, "nat translates nothing: set nat.source_from and "
					      "nat.source_to, or nat.dest_from and nat.dest_to");
	return 0;
}

/* Is @a (of @family) the address a mapping takes (@reverse: the one it gives)? */
static bool maps(const struct nat_map *m, int family, const uint8_t *a, bool reverse)
{
	return m->family == family &&
	       !memcmp(a, reverse ? m->to : m->from, family == AF_INET ? 4 : 16);
}

/* Rewrite the address at @at of the IP packet @ip in @c and every checksum that covers it. */
static void rewrite(struct offload_frame *c, const struct md5sig_ip *ip, uint32_t at,
		    const uint8_t *to)
{
	uint8_t *f = c->data, old[16];
	size_t alen = ip->family == AF_INET ? 4 : 16;
	bool partial = c->csum == OFFLOAD_CSUM_PARTIAL || c->csum == OFFLOAD_CSUM_PARTIAL_NOLEN;
	uint32_t l4 = ip->l4_off;
	uint8_t *field = NULL;

	memcpy(old, f + at, alen);
	memcpy(f + at, to, alen);
	if (ip->family == AF_INET)
		offload_csum_replace(f + ip->l3_off + WIRE_IPV4_CSUM, old, to, alen, false);
	if (ip->frag_off)
		return; /* a later fragment: the upper-layer header is in the first one */
	if (ip->proto == WIRE_IPPROTO_TCP && l4 + TCP_CSUM_END <= ip->ip_end)
		field = f + l4 + WIRE_TCP_CSUM;
	else if (ip->proto == WIRE_IPPROTO_UDP && l4 + WIRE_UDP_HLEN <= ip->ip_end)
		field = f + l4 + WIRE_UDP_CSUM;
	else if (ip->proto == ICMPV6 && ip->family == AF_INET6 && l4 + 4 <= ip->ip_end)
		field = f + l4 + ICMPV6_CSUM;
	bool udp = ip->proto == WIRE_IPPROTO_UDP;
	if (!field || (udp && ip->family == AF_INET && !wire_get16(field)))
		return; /* none, or "no checksum" (RFC 768) */
	offload_csum_replace(field, old, to, alen, partial && ip->proto != ICMPV6);
	if (udp && !wire_get16(field))
		wire_put16(field, 0xffff); /* zero would mean none */
}

/* ARP over Ethernet (or Linux SLL): the protocol addresses, as a NAT's proxy ARP answers. */
static int nat_arp(struct offload_stage *st, struct offload_frame *in, struct offload_frame **out,
		   const struct md5sig_seg *seg, bool rx)
{
	const struct nat_stage *n = nat_of(st);
	uint32_t lt = offload_stage_linktype(st), l3 = seg->l3_off;
	const uint8_t *b = in->nfrags ? in->frags[0].p : in->data;
	uint32_t blen = in->nfrags ? in->frags[0].len : in->len;

	if ((lt != MD5SIG_LINK_ETHERNET && lt != MD5SIG_LINK_SLL) || l3 < 2 ||
	    l3 + ARP_TPA + 4 > blen || wire_get16(b + l3 - 2) != ETH_P_ARP ||
	    wire_get16(b + l3 + 2) != WIRE_ETH_P_IP || b[l3 + 4] != 6 || b[l3 + 5] != 4)
		return 1;
	/* out: the guest speaks for its translated address and asks for the real peer;
	 * in: the peer's answers and questions the other way round */
	const struct nat_map *sm = rx ? &n->dst : &n->src, *tm = rx ? &n->src : &n->dst;
	bool s = maps(sm, AF_INET, b + l3 + ARP_SPA, rx),
	     t = maps(tm, AF_INET, b + l3 + ARP_TPA, rx);
	if (!s && !t)
		return 1;
	struct offload_frame *c = offload_frame_clone(st, in);
	if (!c)
		return -ENOMEM;
	if (s)
		memcpy(c->data + l3 + ARP_SPA, rx ? sm->from : sm->to, 4);
	if (t)
		memcpy(c->data + l3 + ARP_TPA, rx ? tm->from : tm->to, 4);
	offload_stage_count(st, "arp");
	c->changed = true;
	out[0] = c;
	return 1;
}

static int nat_half(struct offload_stage *st, struct offload_frame *in, struct offload_frame **out,
		    unsigned max_out, bool rx)
{
	const struct nat_stage *n = nat_of(st);
	struct md5sig_seg buf;
	const struct md5sig_seg *seg;
	struct md5sig_ip ip;

	if (!max_out)
		return -ENOBUFS;
	out[0] = in;
	enum md5sig_status ps = offload_stage_parse(st, in, &buf, &seg);
	if (!seg->family)
		return ps == MD5SIG_OTHER ? nat_arp(st, in, out, seg, rx) : 1;
	/* out: the guest's source, the destination it chose; in: the other way round */
	bool s = maps(&n->src, seg->family, rx ? seg->daddr : seg->saddr, rx);
	bool d = maps(&n->dst, seg->family, rx ? seg->saddr : seg->daddr, rx);
	if (!s && !d)
		return 1;
	struct offload_frame *c = offload_frame_clone(st, in);
	if (!c)
		return -ENOMEM;
	if (!md5sig_parse_ip(offload_stage_linktype(st), c->data, c->len, &ip)) {
		offload_stage_count(st, "malformed"); /* cut short: passed on as it came */
		return 1;
	}
	bool v4 = ip.family == AF_INET;
	uint32_t sa = ip.l3_off + (v4 ? WIRE_IPV4_SADDR : WIRE_IPV6_SADDR);
	uint32_t da = ip.l3_off + (v4 ? WIRE_IPV4_DADDR : WIRE_IPV6_DADDR);
	if (s)
		rewrite(c, &ip, rx ? da : sa, rx ? n->src.from : n->src.to);
	if (d)
		rewrite(c, &ip, rx ? sa : da, rx ? n->dst.from : n->dst.to);
	offload_stage_count(st, "translated");
	c->changed = c->changed_covered = true;
	out[0] = c;
	return 1;
}

static int nat_out(struct offload_stage *st, struct offload_frame *in, struct offload_frame **out,
		   unsigned max_out)
{
	return nat_half(st, in, out, max_out, false);
}

static int nat_in(struct offload_stage *st, struct offload_frame *in, struct offload_frame **out,
		  unsigned max_out)
{
	return nat_half(st, in, out, max_out, true);
}

const struct offload_stage_ops offload_stage_nat = {
	.name = "nat",
	.params = nat_params,
	.size = sizeof(struct nat_stage),
	.init = nat_init,
	.process = nat_out,
	.receive = nat_in,
};
