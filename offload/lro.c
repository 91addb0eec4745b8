// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lro: large receive offload. Consecutive in-order TCP segments of a flow are coalesced into
 * one frame before the guest sees it, as Linux GRO does (tcp_gro_receive, inet_gro_receive).
 * The merged frame keeps the first segment's headers, options included, with the IP length
 * grown, PSH and FIN of the last segment ORed in, and fresh IPv4 header and TCP checksums.
 *
 * A segment extends a held frame of its flow (link header, addresses, ports) when it starts
 * where the frame ends, carries the same ack, data offset, window, flags (but PSH and FIN), TOS
 * and TTL (IPv6: traffic class, flow label, hop limit), no more payload than the first segment,
 * and its checksum verified. `options` is the rule for TCP options: `linux` wants identical
 * option bytes, so segments signed with RFC 2385 (whose digests differ per segment) never merge;
 * `any` is a naive coalescer that compares only their length, merges signed segments, and
 * leaves the first segment's digest over the whole payload: invalid every time (FreeBSD's LRO,
 * for contrast, merges only segments with no options or just a timestamp). `max_size` bounds
 * the merged IP packet.
 *
 * Held frames live in a small table of flows owned by the stage. A segment with PSH or FIN,
 * or shorter than the first, ends its frame, which leaves at once; one that cannot extend its
 * flow's frame sends that frame on first, so a flow's bytes are never reordered. What remains
 * is flushed at the end of every read burst: the emulator has no timer, and Linux too flushes
 * at the end of each NAPI poll.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "offload/internal.h"

#define LRO_FLOWS  8  /* frames held at once (Linux MAX_GRO_SKBS) */
#define LRO_MAX_L2 64 /* link header room in a held frame (Ethernet with tags, SLL2) */

enum lro_options { LRO_OPTIONS_LINUX, LRO_OPTIONS_ANY };

static const char *const lro_options_choices[] = {"linux", "any", NULL};

static const struct offload_param lro_params[] = {
	{"options", lro_options_choices, "linux",
	 "TCP options of merged segments: linux (identical bytes: signed segments never merge), "
	 "any (same length only: merges signed segments and breaks their digests)"},
	{"max_size", NULL, "65535", "largest merged IP packet in bytes (68..65535)"},
	{NULL},
};

/* One flow's held frame. */
struct lro_flow {
	uint8_t *buf;		   /* the frame: first segment's headers, merged payload */
	uint32_t len;		   /* frame length; 0: the slot is free */
	struct md5sig_seg seg;	   /* parse of the first segment, tcp_len grown by merges */
	uint32_t next_seq;	   /* sequence number the next segment must carry */
	uint32_t mss;		   /* first segment's payload: no later one may be larger */
	uint16_t segs;		   /* segments in the frame */
	uint64_t age;		   /* arrival of the first segment: flush and eviction order */
	struct offload_frame meta; /* the first segment's metadata (provenance, verdict) */
};

struct lro_stage {
	struct offload_stage base;
	enum lro_options options;
	uint32_t max_size; /* largest merged IP packet */
	uint32_t cap;	   /* bytes of each flow's buffer */
	uint64_t clock;	   /* segments held so far: ages */
	uint8_t *mem;	   /* every flow's buffer, allocated once */
	struct lro_flow flows[LRO_FLOWS];
};

/* One input segment as lro sees it. */
struct lro_in {
	struct md5sig_seg seg;
	const uint8_t *ip, *tcp;
	uint32_t payload; /* TCP payload bytes */
	uint8_t flags;	  /* TCP flags */
	bool mergeable;	  /* may extend a held frame */
	bool holdable;	  /* may start one */
};

static struct lro_stage *lro_of(struct offload_stage *st)
{
	return offload_container_of(st, struct lro_stage, base);
}

static uint32_t ip_len(const struct md5sig_seg *seg)
{
	return seg->l4_off - seg->l3_off + seg->tcp_len;
}

static int lro_init(struct offload_stage *st)
{
	struct lro_stage *l = lro_of(st);
	unsigned long max = offload_stage_param_num(st, "max_size");

	l->options = strcmp(offload_stage_param(st, "options"), "any") ? LRO_OPTIONS_LINUX
								       : LRO_OPTIONS_ANY;
	if (max < 68 || max > 65535) /* IPv4's minimum MTU; the 16-bit IP length */
		return offload_stage_fail(st, "lro.max_size must be 68..65535");
	l->max_size = (uint32_t)max;
	l->cap = l->max_size + LRO_MAX_L2;
	l->mem = malloc((size_t)l->cap * LRO_FLOWS);
	if (!l->mem)
		return -ENOMEM;
	for (unsigned i = 0; i < LRO_FLOWS; i++)
		l->flows[i].buf = l->mem + (size_t)i * l->cap;
	return 0;
}

static void lro_fini(struct offload_stage *st)
{
	struct lro_stage *l = lro_of(st);

	free(l->mem);
	/* nothing points at the freed buffers, and nothing is held in them */
	l->mem = NULL;
	memset(l->flows, 0, sizeof(l->flows));
}

/*
 * Was the segment's checksum verified? Normally rx-csum said so; with it off lro checks
 * itself, as Linux GRO does, because it rewrites the checksum and would hide a corruption.
 */
static bool csum_verified(const struct offload_frame *in, const struct lro_in *s)
{
	size_t ihl = wire_ipv4_hlen(s->ip);

	if (in->csum != OFFLOAD_CSUM_NONE)
		return in->csum == OFFLOAD_CSUM_COMPLETE;
	if (s->seg.family == AF_INET &&
	    offload_csum_fold(offload_csum_partial(s->ip, ihl, 0)) != 0xffff)
		return false;
	return offload_csum_classify(in->data, &s->seg) == OFFLOAD_CSUM_COMPLETE;
}

/* Parse @in; false if it is no TCP segment (no flow whose order it could disturb). */
static bool lro_parse(struct offload_stage *st, const struct offload_frame *in, struct lro_in *s)
{
	if (md5sig_parse(offload_stage_linktype(st), in->data, in->len, &s->seg) != MD5SIG_TCP)
		return false;
	s->ip = in->data + s->seg.l3_off;
	s->tcp = in->data + s->seg.l4_off;
	s->payload = s->seg.tcp_len - s->seg.thlen;
	s->flags = s->tcp[WIRE_TCP_FLAGS];
	/* Linux GRO: IP options, extension headers and these flags end coalescing */
	s->mergeable =
		!(s->seg.flags & (MD5SIG_SEG_IPV4_OPT | MD5SIG_SEG_IPV6_EXT)) && s->payload &&
		!(s->flags & (WIRE_TCP_F_SYN | WIRE_TCP_F_RST | WIRE_TCP_F_URG | WIRE_TCP_F_CWR)) &&
		csum_verified(in, s);
	/* a segment with PSH or FIN would leave at once: Linux does not hold it alone */
	s->holdable = s->mergeable && !(s->flags & (WIRE_TCP_F_PSH | WIRE_TCP_F_FIN));
	return true;
}

static struct lro_flow *flow_find(struct lro_stage *l, const uint8_t *frame,
				  const struct md5sig_seg *seg)
{
	size_t alen = seg->family == AF_INET6 ? 16 : 4;

	for (unsigned i = 0; i < LRO_FLOWS; i++) {
		struct lro_flow *f = &l->flows[i];

		if (f->len && f->seg.family == seg->family && f->seg.l3_off == seg->l3_off &&
		    f->seg.sport == seg->sport && f->seg.dport == seg->dport &&
		    !memcmp(f->seg.saddr, seg->saddr, alen) &&
		    !memcmp(f->seg.daddr, seg->daddr, alen) && !memcmp(f->buf, frame, seg->l3_off))
			return f;
	}
	return NULL;
}

/* A free slot, or the oldest held frame (Linux flushes the oldest when its table is full). */
static struct lro_flow *flow_slot(struct lro_stage *l)
{
	struct lro_flow *old = &l->flows[0];

	for (unsigned i = 0; i < LRO_FLOWS; i++) {
		if (!l->flows[i].len)
			return &l->flows[i];
		if (l->flows[i].age < old->age)
			old = &l->flows[i];
	}
	return old;
}

/* Can segment @s extend @f's frame? */
static bool can_merge(const struct lro_stage *l, const struct lro_flow *f, const struct lro_in *s)
{
	const uint8_t *hip = f->buf + f->seg.l3_off, *htcp = f->buf + f->seg.l4_off;

	/* same flow, no IP options: the TCP headers lie at the same offset */
	if (!s->mergeable || wire_get32(s->tcp + WIRE_TCP_SEQ) != f->next_seq)
		return false;
	/* ack; data offset and flags but PSH/FIN; window (Linux's tcp_flag_word) */
	if (memcmp(s->tcp + WIRE_TCP_ACK, htcp + WIRE_TCP_ACK, 5) ||
	    ((s->tcp[WIRE_TCP_FLAGS] ^ htcp[WIRE_TCP_FLAGS]) &
	     ~(WIRE_TCP_F_PSH | WIRE_TCP_F_FIN)) ||
	    memcmp(s->tcp + WIRE_TCP_WIN, htcp + WIRE_TCP_WIN, 2))
		return false;
	/* equal data offsets make equal option lengths: all `any` asks */
	if (l->options == LRO_OPTIONS_LINUX &&
	    memcmp(s->tcp + WIRE_TCP_HLEN, htcp + WIRE_TCP_HLEN, s->seg.thlen - WIRE_TCP_HLEN))
		return false;
	if (s->seg.family == AF_INET) {
		/* TOS; DF; TTL (IDs are not compared, as Linux skips them for DF) */
		if (s->ip[WIRE_IPV4_TOS] != hip[WIRE_IPV4_TOS] ||
		    ((s->ip[WIRE_IPV4_FRAG] ^ hip[WIRE_IPV4_FRAG]) & (WIRE_IPV4_DF >> 8)) ||
		    s->ip[WIRE_IPV4_TTL] != hip[WIRE_IPV4_TTL])
			return false;
	} else if (memcmp(s->ip, hip, 4) || s->ip[WIRE_IPV6_HLIM] != hip[WIRE_IPV6_HLIM]) {
		return false; /* version, traffic class, flow label; hop limit */
	}
	return s->payload <= f->mss && ip_len(&f->seg) + s->payload <= l->max_size &&
	       f->seg.l4_off + f->seg.tcp_len + s->payload <= l->cap;
}

static void flow_hold(struct lro_stage *l, struct lro_flow *f, const struct offload_frame *in,
		      const struct lro_in *s)
{
	memcpy(f->buf, in->data, in->len);
	f->len = in->len;
	f->seg = s->seg;
	f->next_seq = wire_get32(s->tcp + WIRE_TCP_SEQ) + s->payload;
	f->mss = s->payload;
	f->segs = 1;
	f->age = ++l->clock;
	offload_frame_copy_meta(&f->meta, in);
}

static void flow_merge(struct lro_flow *f, const struct lro_in *s)
{
	uint8_t *ip = f->buf + f->seg.l3_off;
	uint32_t end = f->seg.l4_off + f->seg.tcp_len; /* past it only Ethernet padding */

	memcpy(f->buf + end, s->tcp + s->seg.thlen, s->payload);
	f->len = end + s->payload;
	f->seg.tcp_len += s->payload;
	f->next_seq += s->payload;
	f->segs++;
	f->buf[f->seg.l4_off + 13] |= s->flags & (WIRE_TCP_F_PSH | WIRE_TCP_F_FIN);
	if (f->seg.family == AF_INET)
		wire_put16(ip + WIRE_IPV4_TOT_LEN, (uint16_t)ip_len(&f->seg));
	else
		wire_put16(ip + WIRE_IPV6_PLEN, (uint16_t)(ip_len(&f->seg) - WIRE_IPV6_HLEN));
}

/* Copy @f's frame into @o (room for f->len bytes) and free the slot. */
static void flow_out(struct lro_flow *f, struct offload_frame *o)
{
	if (f->segs > 1) {
		uint8_t *ip = f->buf + f->seg.l3_off;

		if (f->seg.family == AF_INET)
			offload_csum_ipv4_hdr(ip, wire_ipv4_hlen(ip));
		offload_csum_tcp_fill(f->buf, &f->seg);
	}
	memcpy(o->data, f->buf, f->len);
	o->len = f->len;
	offload_frame_copy_meta(o, &f->meta);
	o->merged = (uint16_t)(f->segs - 1);
	if (f->segs > 1) {
		o->csum = OFFLOAD_CSUM_COMPLETE;
		/* the pseudo-header length and the payload grew under the first digest */
		o->changed = o->changed_covered = true;
	}
	f->len = 0;
}

static int lro_process(struct offload_stage *st, struct offload_frame *in,
		       struct offload_frame **out, unsigned max_out)
{
	struct lro_stage *l = lro_of(st);
	struct offload_frame *o;
	struct lro_flow *f;
	struct lro_in s;
	bool hold;
	int n = 0, err;

	if (max_out < 2)
		return -ENOBUFS;
	if (in->nfrags && (err = offload_frame_linearize(in)) < 0)
		return err;
	if (!lro_parse(st, in, &s)) {
		out[0] = in;
		return 1;
	}
	f = flow_find(l, in->data, &s.seg);

	if (f && can_merge(l, f, &s)) {
		/* PSH, FIN or a short segment completes the frame (Linux: flush) */
		if (!(s.flags & (WIRE_TCP_F_PSH | WIRE_TCP_F_FIN)) && s.payload == f->mss) {
			flow_merge(f, &s);
			return offload_stage_merge(st);
		}
		if (!(o = offload_frame_new(st, f->len + s.payload)))
			return -ENOMEM;
		flow_merge(f, &s);
		flow_out(f, o);
		out[0] = o;
		offload_stage_merge(st);
		offload_stage_release(st, 1);
		return 1;
	}

	/* the flow's held frame leaves first; a segment starting a frame may evict another */
	hold = s.holdable && in->len <= l->cap && ip_len(&s.seg) <= l->max_size;
	if (!f && hold)
		f = flow_slot(l);
	if (f && f->len) {
		if (!(o = offload_frame_new(st, f->len)))
			return -ENOMEM;
		flow_out(f, o);
		out[n++] = o;
		offload_stage_release(st, 1);
	}
	if (hold) {
		flow_hold(l, f, in, &s);
		offload_stage_hold(st);
		return n;
	}
	out[n++] = in;
	return n;
}

/* Every held frame is due: flush() comes at the end of a read burst or of the run. */
static int lro_flush(struct offload_stage *st, struct offload_frame **out, unsigned max_out,
		     bool all)
{
	struct lro_stage *l = lro_of(st);
	struct lro_flow *order[LRO_FLOWS];
	unsigned n = 0;

	(void)all;
	/* oldest first: the order the flows' first segments arrived in */
	for (unsigned i = 0; i < LRO_FLOWS; i++) {
		struct lro_flow *f = &l->flows[i];
		unsigned j;

		if (!f->len)
			continue;
		for (j = n++; j && order[j - 1]->age > f->age; j--)
			order[j] = order[j - 1];
		order[j] = f;
	}
	if (n > max_out)
		n = max_out;
	for (unsigned i = 0; i < n; i++)
		if (!(out[i] = offload_frame_new(st, order[i]->len)))
			return -ENOMEM; /* nothing released yet: every frame stays held */
	for (unsigned i = 0; i < n; i++)
		flow_out(order[i], out[i]);
	return (int)n;
}

const struct offload_stage_ops offload_stage_lro = {
	.name = "lro",
	.params = lro_params,
	.size = sizeof(struct lro_stage),
	.init = lro_init,
	.process = lro_process,
	.flush = lro_flush,
	.fini = lro_fini,
};
