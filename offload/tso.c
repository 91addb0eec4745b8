// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tso: TCP segmentation offload as Linux GSO does it (tcp_gso_segment). A TSO request with
 * payload P and MSS m becomes ceil(P/m) frames whose headers are copies of the super-frame's,
 * each with its own IP length, IPv4 ID and header checksum, TCP sequence number, flags and
 * checksum. TCP options are copied verbatim, so a signed super-frame yields a stale RFC 2385
 * digest in every segment: the failure this emulator reproduces.
 *
 * Quirks select other engines: `flags` places PSH/FIN/CWR (Linux keeps PSH and FIN on the last
 * segment and CWR on the first, as RFC 3168's TSO-ECN asks; QEMU's software path since 8.0
 * clears PSH and FIN on every segment; QEMU's e1000 model copies CWR to every one), `ipid`
 * increments or fixes the IPv4 ID (Linux fixes it only in its SKB_GSO_TCP_FIXEDID mode), `md5`
 * copies the signature option (TCP-MD5 or TCP-AO), re-signs every segment with the run's key,
 * or overwrites the option with NOPs. Re-signing a TCP-AO segment needs its connection's ISNs
 * (the pipeline's flow table, learnt from the handshake) and its SNE; a segment of a
 * connection whose ISNs are unknown keeps the copied option, never a MAC made with guessed
 * ones. The flag and ID rules are exported (offload_tso_flag_rules, offload_tso_ipid_rules).
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "offload/internal.h"

/*
 * The engines' rules, which segment keeps which flag and how the IPv4 ID moves: exported, so
 * `vnicemu diff` names the engine a capture shows from the same facts this file segments by.
 * In the order diff prefers when the evidence fits several: the default, then the rules that
 * keep fewer flags (e1000 before copy).
 */
const struct offload_tso_flag_rule offload_tso_flag_rules[] = {
	{"linux", "Linux GSO semantics", .pf_last = true, .cwr_first = true},
	{"qemu", "QEMU semantics", .cwr_first = true},
	{"e1000", "e1000 semantics", .pf_last = true, .cwr_first = true, .cwr_later = true},
	{"copy", "segmentation", .pf_earlier = true, .pf_last = true, .cwr_first = true,
	 .cwr_later = true},
	{NULL},
};

const struct offload_tso_ipid_rule offload_tso_ipid_rules[] = {
	{"increment", "IPv4 ID +1 per segment", 1},
	{"fixed", "the same IPv4 ID on every segment", 0},
	{NULL},
};

const struct offload_tso_flag_rule *offload_tso_flag_rule_find(const char *quirk)
{
	for (const struct offload_tso_flag_rule *r = offload_tso_flag_rules; quirk && r->quirk; r++)
		if (!strcmp(r->quirk, quirk))
			return r;
	return NULL;
}

const struct offload_tso_ipid_rule *offload_tso_ipid_rule_find(const char *quirk)
{
	for (const struct offload_tso_ipid_rule *r = offload_tso_ipid_rules; quirk && r->quirk; r++)
		if (!strcmp(r->quirk, quirk))
			return r;
	return NULL;
}

/* tso.md5's values, in the order of its choice list. */
enum tso_md5 { TSO_MD5_COPY, TSO_MD5_RESIGN, TSO_MD5_STRIP };

static const char *const tso_flags_choices[] = {"linux", "qemu", "copy", "e1000", NULL};
static const char *const tso_ipid_choices[] = {"increment", "fixed", NULL};
static const char *const tso_md5_choices[] = {"copy", "resign", "strip", NULL};

static const struct offload_param tso_params[] = {
	{"flags", tso_flags_choices, "linux",
	 "PSH/FIN/CWR per segment: linux (PSH,FIN last; CWR first), qemu (PSH,FIN never), "
	 "e1000 (CWR on all), copy (all on all)"},
	{"ipid", tso_ipid_choices, "increment", "IPv4 ID per segment: ID0 + i, or ID0 on all"},
	{"md5", tso_md5_choices, "copy",
	 "MD5 or TCP-AO option per segment: copy (stale digest or MAC), resign (needs keys; "
	 "TCP-AO also the handshake), strip (NOPs)"},
	{NULL},
};

struct tso_stage {
	struct offload_stage base;
	const struct offload_tso_flag_rule *flags;
	const struct offload_tso_ipid_rule *ipid;
	enum tso_md5 md5;
};

/* One TSO request, from the single parse of its super-frame. */
struct tso_req {
	const uint8_t *head;		/* the super-frame's headers, in one piece */
	const struct offload_frag *src; /* its bytes, in pieces (its fragments, or @one) */
	unsigned nsrc;
	struct offload_frag one;
	unsigned at; /* the next payload byte: piece @at, offset @at_off */
	uint32_t at_off;
	struct md5sig_seg seg;	      /* the super-frame; every segment has the same offsets */
	uint32_t hdrlen;	      /* link, IP and TCP headers: copied into every segment */
	uint32_t payload;	      /* TCP payload bytes */
	unsigned mss, n;	      /* payload bytes per segment, number of segments */
	const struct md5sig_key *key; /* md5=resign: the peers' key, or NULL */
	bool ao_resign;		      /* md5=resign of a TCP-AO segment whose connection is known */
	enum offload_csum csum;	      /* the guest's checksum state */
	uint64_t pseudo;	      /* pseudo-header sum without the length */
	uint64_t ip_rest;	      /* IPv4: the header's sum but length, ID, checksum */
	uint16_t ipid;		      /* IPv4: the super-frame's ID */
};

static struct tso_stage *tso_of(struct offload_stage *st)
{
	return offload_container_of(st, struct tso_stage, base);
}

static int choice(const char *const *choices, const char *value)
{
	for (int i = 0; value && choices[i]; i++)
		if (!strcmp(choices[i], value))
			return i;
	return -1;
}

static int tso_init(struct offload_stage *st)
{
	struct tso_stage *t = tso_of(st);
	int md5 = choice(tso_md5_choices, offload_stage_param(st, "md5"));

	t->flags = offload_tso_flag_rule_find(offload_stage_param(st, "flags"));
	t->ipid = offload_tso_ipid_rule_find(offload_stage_param(st, "ipid"));
	if (!t->flags || !t->ipid || md5 < 0)
		return -EINVAL;
	t->md5 = (enum tso_md5)md5;
	if (t->md5 == TSO_MD5_RESIGN && !offload_stage_keys(st))
		return offload_stage_fail(st, "tso.md5=resign needs a key (--key or --key-file)");
	return 0;
}

/*
 * Where @in's bytes are for cutting: contiguous, or its fragments (a frame still spread over
 * the guest's descriptors) when the first holds every header; otherwise it is gathered.
 */
static int tso_source(struct offload_frame *in, struct tso_req *r)
{
	const uint8_t *b = offload_frame_bytes(in);

	if (!b && r->hdrlen > in->frags[0].len) {
		if (offload_frame_linearize(in) < 0)
			return -EMSGSIZE;
		b = in->data;
	}
	if (b) {
		r->one = (struct offload_frag){b, in->len};
		r->src = &r->one;
		r->nsrc = 1;
	} else {
		r->src = in->frags;
		r->nsrc = in->nfrags;
	}
	r->head = r->src[0].p;
	/* the payload starts after the headers, in the first piece */
	r->at = 0;
	r->at_off = r->hdrlen;
	return 0;
}

/*
 * Parse a TSO request into @r and find its bytes; NULL, or why it cannot be segmented. *@err
 * is set when its bytes cannot even be gathered.
 */
static const char *tso_parse(struct offload_stage *st, struct offload_frame *in, struct tso_req *r,
			     int *err)
{
	struct md5sig_seg buf;
	const struct md5sig_seg *seg;

	*err = 0;
	if (offload_stage_parse(st, in, &buf, &seg) != MD5SIG_TCP)
		return "malformed";
	r->seg = *seg;
	if (!in->mss)
		return "bad-mss";
	r->hdrlen = r->seg.l4_off + r->seg.thlen;
	r->payload = r->seg.tcp_len - r->seg.thlen;
	r->mss = in->mss;
	r->n = (r->payload + r->mss - 1) / r->mss;
	*err = tso_source(in, r);
	return NULL;
}

/*
 * The TCP checksum of a finished segment. With tx-checksumming on, the field is left as Linux
 * GSO leaves a CHECKSUM_PARTIAL segment for the device: the folded pseudo-header sum with this
 * segment's length. Otherwise the stage completes it. A guest checksum that was already bad
 * is not repaired: the copied field and the state stay.
 */
static void seg_csum(struct offload_stage *st, struct offload_frame *o,
		     const struct md5sig_seg *seg, const struct tso_req *r)
{
	if (r->csum == OFFLOAD_CSUM_BAD) {
		o->csum = OFFLOAD_CSUM_BAD;
	} else if (offload_stage_feature(st, OFFLOAD_F_TX)) {
		/* the addresses' part is the same for every segment */
		uint64_t sum = r->pseudo + (seg->tcp_len >> 16) + (seg->tcp_len & 0xffff);

		wire_put16(o->data + seg->l4_off + WIRE_TCP_CSUM, offload_csum_fold(sum));
		o->csum = OFFLOAD_CSUM_PARTIAL;
	} else {
		offload_frame_tcp_fill(o, seg);
		o->csum = OFFLOAD_CSUM_COMPLETE;
	}
}

/*
 * Re-sign a TCP-AO segment (in one piece) with its connection's ISNs and its own SNE, which
 * the flow table places against the furthest sequence number the super-frame showed.
 */
static int ao_sign(struct tso_stage *t, struct offload_frame *o, const struct md5sig_seg *seg)
{
	struct md5sig_ao_isns isns;
	uint32_t sne;

	if (!md5sig_ao_flows_find(offload_stage_flows(&t->base), o->data, seg, &isns, &sne))
		return 0; /* cannot happen: the super-frame's connection was known */
	int err = md5sig_ao_sign(offload_stage_ao_verifier(&t->base), o->data, seg, &isns, sne);
	return err == -EIO || err == -ENOMEM ? err : 0;
}

/*
 * Make segment @i of @r in @o, whose bytes are the super-frame's headers (in its own head)
 * followed by the segment's payload slice: rewrite what differs per segment.
 */
static int seg_build(struct tso_stage *t, struct offload_frame *o, const struct tso_req *r,
		     unsigned i)
{
	struct md5sig_seg seg = r->seg;
	uint8_t *ip = o->data + seg.l3_off, *tcp = o->data + seg.l4_off;
	uint32_t iplen = seg.l4_off - seg.l3_off; /* IP header, options and extension headers */
	int err;

	seg.tcp_len = (uint32_t)(o->len - seg.l4_off);
	if (seg.family == AF_INET) {
		uint16_t tot = (uint16_t)(iplen + seg.tcp_len);
		uint16_t id = (uint16_t)(r->ipid + i * t->ipid->step);

		wire_put16(ip + WIRE_IPV4_TOT_LEN, tot);
		wire_put16(ip + WIRE_IPV4_ID, id);
		wire_put16(ip + WIRE_IPV4_CSUM,
			   (uint16_t)~offload_csum_fold(r->ip_rest + tot + id));
		o->ip_csum_ok = true;
	} else {
		wire_put16(ip + WIRE_IPV6_PLEN, (uint16_t)(iplen - WIRE_IPV6_HLEN + seg.tcp_len));
	}
	wire_put32(tcp + WIRE_TCP_SEQ, wire_get32(tcp + WIRE_TCP_SEQ) + i * r->mss);
	tcp[WIRE_TCP_FLAGS] = offload_tso_seg_flags(t->flags, tcp[WIRE_TCP_FLAGS], i, r->n);

	if (seg.md5_off >= 0 && t->md5 == TSO_MD5_STRIP) {
		/* kind and length precede the digest */
		memset(o->data + seg.md5_off - 2, 1, MD5SIG_OPT_LEN);
		seg.md5_off = -1;
	} else if (r->key &&
		   (err = md5sig_sign(offload_stage_hasher(&t->base), o->data, &seg, r->key))) {
		return err;
	} else if ((seg.flags & MD5SIG_SEG_AO) && t->md5 == TSO_MD5_STRIP) {
		struct md5sig_ao_opt opt;
		if (md5sig_ao_opt_find(o->data, &seg, &opt) == MD5SIG_AO_OPT_OK)
			memset(o->data + opt.off, 1, opt.len);
		seg.flags &= (uint16_t)~MD5SIG_SEG_AO;
	} else if (r->ao_resign && (err = ao_sign(t, o, &seg))) {
		return err;
	}
	seg_csum(&t->base, o, &seg, r);
	o->seg = seg; /* what md5sig_parse() would find: the taps need not look again */
	o->seg_known = true;
	return 0;
}

/*
 * A frame that is no TSO request but whose IP packet is longer than the wire MTU (an IP
 * fragment from a jumbo guest, a UDP datagram) cannot leave a NIC on that wire, with or without
 * TSO: it is dropped as "oversize", counted, never forwarded.
 */
static bool over_wire_mtu(struct offload_stage *st, const struct offload_frame *in)
{
	unsigned mtu = offload_stage_wire_mtu(st);
	struct md5sig_seg seg;

	if (in->len <= mtu + WIRE_ETH_HLEN) /* cheapest test first: no link header is shorter */
		return false;
	/* where the IP header starts is all it takes: the first fragment holds it */
	offload_frame_parse(in, offload_stage_linktype(st), &seg);
	return seg.family && in->len - seg.l3_off > mtu;
}

/*
 * The next segment, @len payload bytes: its own copy of the headers, and the payload slice
 * where it lies (in one piece, or across the guest's descriptors), as Linux GSO hangs segments
 * on page fragments. Re-signing hashes the segment as one buffer, so then the payload is
 * copied, as it is when a slice spans more descriptors than a frame holds. The slice's sum is
 * taken here, once, and left for whoever completes the checksum.
 */
static struct offload_frame *seg_new(struct offload_stage *st, const struct offload_frame *in,
				     struct tso_req *r, uint32_t len)
{
	struct offload_frame *o = offload_frame_new(st, r->hdrlen + len);
	bool copy = r->key != NULL || r->ao_resign;
	uint64_t sum = 0;
	uint32_t done = 0;

	if (!o)
		return NULL;
	offload_frame_copy_meta(o, in);
	memcpy(o->data, r->head, r->hdrlen);
	o->frags[0] = (struct offload_frag){o->data, r->hdrlen};
	o->nfrags = 1;
	while (done < len) {
		const struct offload_frag *p = &r->src[r->at];
		uint32_t n = p->len - r->at_off < len - done ? p->len - r->at_off : len - done;
		const uint8_t *piece = p->p + r->at_off;
		uint64_t ps = offload_csum_partial(piece, n, 0);

		/* a piece at an odd offset of the slice counts byte-swapped (RFC 1071 2.B) */
		sum += done & 1 ? (uint16_t)(ps << 8 | ps >> 8) : ps;
		if (!copy && o->nfrags == OFFLOAD_MAX_FRAGS) {
			/* more pieces than a frame holds: copy those taken so far, then the rest */
			for (unsigned i = 1, off = r->hdrlen; i < o->nfrags; i++) {
				memcpy(o->data + off, o->frags[i].p, o->frags[i].len);
				off += o->frags[i].len;
			}
			copy = true;
		}
		if (copy)
			memcpy(o->data + r->hdrlen + done, piece, n);
		else
			o->frags[o->nfrags++] = (struct offload_frag){piece, n};
		done += n;
		r->at_off += n;
		if (r->at_off == p->len) {
			r->at++;
			r->at_off = 0;
		}
	}
	if (copy)
		o->nfrags = 0;
	o->len = r->hdrlen + len;
	o->tail_off = r->hdrlen;
	o->tail_sum = offload_csum_fold(sum);
	return o;
}

/*
 * The guest's checksum state of a request nobody classified, from the segments' sums: the
 * super-frame's sum is its header's plus every slice's (a slice at an odd payload offset
 * counts byte-swapped), so the payload is read once for both.
 */
static enum offload_csum guest_csum(const struct tso_req *r, struct offload_frame *const *segs)
{
	const uint8_t *tcp = r->head + r->seg.l4_off;
	uint64_t sum = offload_csum_pseudo(&r->seg, IPPROTO_TCP, r->seg.tcp_len, true);

	sum = offload_csum_partial(tcp, r->seg.thlen, sum);
	for (unsigned i = 0; i < r->n; i++) {
		uint16_t s = segs[i]->tail_sum;
		sum += (i * r->mss) & 1 ? (uint16_t)(s << 8 | s >> 8) : s;
	}
	return offload_csum_classify_sum(&r->seg, wire_get16(tcp + WIRE_TCP_CSUM), sum);
}

/* A frame that leaves unsegmented keeps a checksum state, classified if nobody did. */
static void keep_csum(struct offload_frame *in, const struct md5sig_seg *seg)
{
	const uint8_t *b = offload_frame_bytes(in);

	if (in->csum != OFFLOAD_CSUM_NONE)
		return;
	if (!b && offload_frame_linearize(in) == 0)
		b = in->data;
	if (b)
		in->csum = offload_csum_classify(b, seg);
}

/*
 * Can the segments of a TCP-AO super-frame be re-signed: an MKT for its KeyID, of its MAC
 * length, and its connection's ISNs known?
 */
static bool ao_resignable(struct offload_stage *st, const struct tso_req *r)
{
	const struct md5sig_keytab *kt = offload_stage_keys(st);
	const struct md5sig_ao_mkt *mkt;
	struct md5sig_ao_isns isns;
	struct md5sig_ao_opt opt;
	uint32_t sne;

	return kt && md5sig_ao_opt_find(r->head, &r->seg, &opt) == MD5SIG_AO_OPT_OK &&
	       !md5sig_aotab_lookup(md5sig_keytab_ao(kt), &r->seg, opt.keyid, &mkt) &&
	       opt.len - 4u == mkt->maclen &&
	       md5sig_ao_flows_find(offload_stage_flows(st), r->head, &r->seg, &isns, &sne);
}

static int tso_process(struct offload_stage *st, struct offload_frame *in,
		       struct offload_frame **out, unsigned max_out)
{
	struct tso_stage *t = tso_of(st);
	struct tso_req r;
	const char *why;
	int err;

	if (!in->tso) {
		if (over_wire_mtu(st, in))
			return offload_stage_drop(st, "oversize");
		out[0] = in;
		return 1;
	}
	why = tso_parse(st, in, &r, &err);
	if (err)
		return err;
	if (why)
		return offload_stage_drop(st, why);
	if (r.n <= 1) {
		/* Linux does not segment what fits one segment */
		keep_csum(in, &r.seg);
		in->tso = false;
		out[0] = in;
		return 1;
	}
	if (r.n > max_out)
		return offload_stage_drop(st, "too-many-segments");

	r.key = NULL;
	r.ao_resign = false;
	if (t->md5 == TSO_MD5_RESIGN && r.seg.md5_off >= 0)
		r.key = md5sig_keytab_lookup(offload_stage_keys(st), &r.seg);
	if (t->md5 == TSO_MD5_RESIGN && (r.seg.flags & MD5SIG_SEG_AO))
		r.ao_resign = ao_resignable(st, &r);
	for (unsigned i = 0; i < r.n; i++) {
		uint32_t off = i * r.mss;
		uint32_t len = r.payload - off < r.mss ? r.payload - off : r.mss;

		if (!(out[i] = seg_new(st, in, &r, len)))
			return -ENOMEM;
	}
	if (in->csum == OFFLOAD_CSUM_NONE) /* the segments' checksums depend on it */
		in->csum = guest_csum(&r, out);
	r.csum = in->csum;
	r.pseudo = offload_csum_pseudo(&r.seg, IPPROTO_TCP, 0, false);
	if (r.seg.family == AF_INET) {
		const uint8_t *ip = r.head + r.seg.l3_off;

		r.ip_rest = offload_csum_ipv4_rest(ip, r.seg.l4_off - r.seg.l3_off);
		r.ipid = wire_get16(ip + WIRE_IPV4_ID);
	}
	for (unsigned i = 0; i < r.n; i++) {
		struct offload_frame *o = out[i];

		err = seg_build(t, o, &r, i);
		if (err)
			return err;
		o->tso = false;
		o->mss = 0;
		o->seg_no = (uint16_t)i;
		o->seg_count = (uint16_t)r.n;
		o->changed = o->changed_covered = true;
	}
	return (int)r.n;
}

/*
 * With tso off, a request whose payload does not fit one segment cannot go on the wire: a real
 * NIC drops it. One that fits passes as process() would pass it.
 */
static int tso_bypass(struct offload_stage *st, struct offload_frame *in)
{
	struct tso_req r;
	int err;

	if (!in->tso)
		return over_wire_mtu(st, in) ? offload_stage_drop(st, "oversize") : 1;
	if (tso_parse(st, in, &r, &err) || err || r.n > 1)
		return offload_stage_drop(st, "oversize");
	keep_csum(in, &r.seg);
	in->tso = false;
	return 1;
}

const struct offload_stage_ops offload_stage_tso = {
	.name = "tso",
	.params = tso_params,
	.size = sizeof(struct tso_stage),
	.init = tso_init,
	.process = tso_process,
	.bypass = tso_bypass,
};
