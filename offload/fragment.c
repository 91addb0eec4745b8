// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fragment: a hop with a smaller MTU, as the midpoint of Cisco CSCua85239 (IOS 15.1(3)S2) was:
 * large BGP UPDATEs went on in fragments. In both directions, an IPv4 packet longer than
 * `fragment.mtu` is cut into fragments (RFC 791 §3.2: data in multiples of 8 bytes, the same
 * Identification, MF on all but the last, options without the copy flag only in the first,
 * here overwritten with NOPs in the others as Linux does), unless it has Don't Fragment set:
 * then it is dropped as "frag-needed" (the router's ICMP "fragmentation needed" is no stage's
 * business). A fragment longer than the MTU is cut again. IPv6 routers never fragment (RFC
 * 8200 §5): an IPv6 packet longer than `fragment.mtu6` is dropped as "ipv6-too-big" (the
 * sender would get ICMPv6 Packet Too Big and fragment at the source).
 *
 * RFC 2385 digests survive correct reassembly: the receiver checks the reassembled segment,
 * and `vnicemu verify` does the same. The fragments themselves are no whole TCP segment, so
 * the taps after the stage do not classify them.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "offload/internal.h"

#define IPV4_MIN_MTU 68	  /* RFC 791: every internet module forwards 68 octets unfragmented */
#define IPV6_MIN_MTU 1280 /* RFC 8200 §5 */
#define IPOPT_COPY   0x80 /* the option is copied into every fragment */

struct fragment_stage {
	struct offload_stage base; /* first: the pipeline hands out &base */
	unsigned mtu, mtu6;
};

static const struct offload_param fragment_params[] = {
	{"mtu", NULL, "1400", "the hop's IPv4 MTU (68..65535)"},
	{"mtu6", NULL, "1280", "the hop's IPv6 MTU (1280..65535)"},
	{NULL},
};

static struct fragment_stage *fragment_of(struct offload_stage *st)
{
	return offload_container_of(st, struct fragment_stage, base);
}

static int fragment_init(struct offload_stage *st)
{
	struct fragment_stage *fs = fragment_of(st);
	unsigned long mtu = offload_stage_param_num(st, "mtu");
	unsigned long mtu6 = offload_stage_param_num(st, "mtu6");

	if (mtu < IPV4_MIN_MTU || mtu > 65535)
		return offload_stage_fail(st, "fragment.mtu must be 68..65535 (68 is the IPv4 "
					      "minimum, RFC 791)");
	if (mtu6 < IPV6_MIN_MTU || mtu6 > 65535)
		return offload_stage_fail(st, "fragment.mtu6 must be 1280..65535 (1280 is the "
					      "IPv6 minimum, RFC 8200)");
	fs->mtu = (unsigned)mtu;
	fs->mtu6 = (unsigned)mtu6;
	return 0;
}

/* Overwrite the options of the IPv4 header @ip that RFC 791 keeps in the first fragment only. */
static void strip_uncopied(uint8_t *ip, unsigned ihl)
{
	for (unsigned i = WIRE_IPV4_HLEN; i < ihl;) {
		unsigned len = ip[i] == 1 ? 1 : i + 1 < ihl ? ip[i + 1] : 0;

		if (ip[i] == 0 || len < 1 || i + len > ihl)
			return; /* the end of the list, or a malformed one: leave it */
		if (!(ip[i] & IPOPT_COPY))
			memset(ip + i, 1, len);
		i += len;
	}
}

static int fragment_half(struct offload_stage *st, struct offload_frame *in,
			 struct offload_frame **out, unsigned max_out)
{
	const struct fragment_stage *fs = fragment_of(st);
	struct md5sig_seg buf;
	const struct md5sig_seg *seg;
	struct md5sig_ip ip;

	if (!max_out)
		return -ENOBUFS;
	out[0] = in;
	offload_stage_parse(st, in, &buf, &seg);
	if (!seg->family)
		return 1; /* not IP */
	if (offload_frame_linearize(in) < 0)
		return -EMSGSIZE;
	if (!md5sig_parse_ip(offload_stage_linktype(st), in->data, in->len, &ip)) {
		offload_stage_count(st, "malformed");
		return 1;
	}
	uint32_t iplen = ip.ip_end - ip.l3_off;
	if (ip.family == AF_INET6)
		return iplen > fs->mtu6 ? offload_stage_drop(st, "ipv6-too-big") : 1;
	if (iplen <= fs->mtu)
		return 1;
	if (ip.df)
		return offload_stage_drop(st, "frag-needed");
	uint32_t hdr = ip.l4_off, data = ip.ip_end - hdr, ihl = hdr - ip.l3_off;
	/* every fragment's data but the last's is a multiple of 8 bytes (RFC 791) */
	uint32_t chunk = (fs->mtu - ihl) & ~7u;
	if (!chunk)
		return offload_stage_drop(st, "frag-needed"); /* the header alone fills the MTU */
	unsigned n = (data + chunk - 1) / chunk;
	if (n > max_out)
		return offload_stage_drop(st, "too-many-fragments");
	for (unsigned i = 0; i < n; i++) {
		uint32_t off = i * chunk, len = off + chunk < data ? chunk : data - off;
		struct offload_frame *f = offload_frame_new(st, hdr + len);
		if (!f)
			return -ENOMEM; /* the frames already made go back with the pool */
		memcpy(f->data, in->data, hdr);
		memcpy(f->data + hdr, in->data + hdr + off, len);
		f->len = hdr + len;
		offload_frame_copy_meta(f, in);
		uint8_t *h = f->data + ip.l3_off;
		bool more = i + 1 < n || ip.more;
		wire_put16(h + WIRE_IPV4_TOT_LEN, (uint16_t)(ihl + len));
		wire_put16(h + WIRE_IPV4_FRAG,
			   (uint16_t)((more ? WIRE_IPV4_MF : 0) | ((ip.frag_off + off) / 8)));
		if (i)
			strip_uncopied(h, ihl);
		offload_csum_ipv4_hdr(h, ihl);
		f->ip_csum_ok = true;
		f->changed = true;
		out[i] = f;
	}
	offload_stage_count(st, "fragmented");
	return (int)n;
}

const struct offload_stage_ops offload_stage_fragment = {
	.name = "fragment",
	.params = fragment_params,
	.size = sizeof(struct fragment_stage),
	.init = fragment_init,
	.process = fragment_half,
	.receive = fragment_half,
};
