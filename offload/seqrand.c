// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * seqrand: a firewall's initial sequence number randomization. Cisco ASA and PIX (and FTD)
 * randomize "the ISN of the TCP SYN passing in both the inbound and outbound directions": each
 * side's sequence numbers are shifted by an offset chosen when its SYN passes, and the other
 * side's acknowledgements of them are shifted back, so both ends see a consistent connection,
 * with sequence numbers that differ on either side of the box. RFC 2385 covers seq and ack, so
 * every shifted segment's digest is stale: the peer logs "Invalid MD5 digest" (Linux counts
 * TcpExtTCPMD5Failure). The fix users applied: `set connection random-sequence-number disable`
 * (PIX 6: `norandomseq`), here `seqrand=off`.
 *
 * Per-flow state: the offsets of both sides, keyed by the flow as the guest sees it, in a
 * bounded table (`seqrand.flows`; the least recently used flow makes room, counted as
 * "evicted"). A SYN without ACK starts a flow (again, when its ISN is new: the ports were
 * reused); a SYN-ACK sets the answering side's offset. Segments of flows the table does not
 * hold (started before the path, or evicted) pass unshifted, counted ("no-flow"), as a
 * firewall in loose mode would; segments it cannot parse pass, counted.
 *
 * Offsets: `seqrand.offset` for all, or (0, the default) one per side and flow derived from
 * `seqrand.seed`, the flow and the ISN, so a replay gives the same numbers every time.
 * `seqrand.sides` picks whose ISNs are randomized: both (the ASA), guest (outbound SYNs only)
 * or peer. SACK blocks are left as they are (`seqrand.sack=keep`): Cisco documents that
 * randomization "effectively breaks TCP SACK"; `shift` moves their edges with the acks.
 */
#include <errno.h>
#include <string.h>

#include "offload/internal.h"

struct seqrand_side {
	bool known;	/* its SYN passed */
	uint32_t isn;	/* as the sender chose it */
	uint32_t delta; /* added to its seq on the way through; its peer's acks lose it */
};

struct seqrand_flow {
	struct seqrand_side guest, peer;
};

enum seqrand_sides { SIDES_BOTH, SIDES_GUEST, SIDES_PEER };

struct seqrand_stage {
	struct offload_stage base; /* first: the pipeline hands out &base */
	struct offload_flowtab *flows;
	uint32_t offset;
	uint64_t seed;
	enum seqrand_sides sides;
	bool sack;
};

static const char *const sides_choices[] = {"both", "guest", "peer", NULL};
static const char *const sack_choices[] = {"keep", "shift", NULL};

static const struct offload_param seqrand_params[] = {
	{"offset", NULL, "0",
	 "the same offset for every ISN (0: one per flow and side, from seed)"},
	{"seed", NULL, "1", "what per-flow offsets are derived from"},
	{"sides", sides_choices, "both", "whose ISNs are randomized: both (ASA), guest, peer"},
	{"sack", sack_choices, "keep", "SACK block edges: kept (as the ASA) or shifted with acks"},
	{"flows", NULL, "1024", "flows the table holds (1..1048576)"},
	{NULL},
};

static struct seqrand_stage *seqrand_of(struct offload_stage *st)
{
	return offload_container_of(st, struct seqrand_stage, base);
}

static int seqrand_init(struct offload_stage *st)
{
	struct seqrand_stage *s = seqrand_of(st);
	unsigned long flows = offload_stage_param_num(st, "flows");
	unsigned long offset = offload_stage_param_num(st, "offset");
	const char *sides = offload_stage_param(st, "sides");

	if (flows < 1 || flows > 1048576)
		return offload_stage_fail(st, "seqrand.flows must be 1..1048576");
	if (offset > UINT32_MAX)
		return offload_stage_fail(st, "seqrand.offset must be below 2^32");
	s->offset = (uint32_t)offset;
	s->seed = offload_stage_param_num(st, "seed");
	s->sides = !strcmp(sides, "guest")  ? SIDES_GUEST
		   : !strcmp(sides, "peer") ? SIDES_PEER
					    : SIDES_BOTH;
	s->sack = !strcmp(offload_stage_param(st, "sack"), "shift");
	s->flows = offload_flowtab_new((unsigned)flows, sizeof(struct seqrand_flow));
	return s->flows ? 0 : -ENOMEM;
}

static void seqrand_fini(struct offload_stage *st)
{
	offload_flowtab_free(seqrand_of(st)->flows);
}

/* splitmix64's finalizer: every bit of the input moves every bit of the output. */
static uint64_t mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* The offset of a side's ISN: fixed, or derived from the seed, the flow and the ISN; never 0. */
static uint32_t offset_for(const struct seqrand_stage *s, const struct offload_flow_key *k, bool rx,
			   uint32_t isn)
{
	if (s->offset)
		return s->offset;
	const uint8_t *p = (const uint8_t *)k;
	uint64_t h = mix(s->seed ^ ((uint64_t)isn << 1 | rx));

	for (size_t i = 0; i < sizeof(*k); i++)
		h = mix(h ^ p[i]);
	return (uint32_t)h ? (uint32_t)h : 1;
}

/* Start the sender's side at a SYN; @fl may be reset (a new connection on the same ports). */
static struct seqrand_flow *syn(struct offload_stage *st, struct seqrand_flow *fl,
				const struct offload_flow_key *k, bool rx, bool ack, uint32_t isn)
{
	struct seqrand_stage *s = seqrand_of(st);
	struct seqrand_side *me = fl ? (rx ? &fl->peer : &fl->guest) : NULL;

	/* a SYN with a new ISN from a side the flow knows: a new connection on the same ports */
	if (!fl || (!ack && me->known && me->isn != isn)) {
		bool evicted;

		fl = offload_flowtab_add(s->flows, k, &evicted);
		offload_stage_count(st, "flows");
		if (evicted)
			offload_stage_count(st, "evicted");
	}
	me = rx ? &fl->peer : &fl->guest;
	if (me->known && me->isn == isn)
		return fl; /* the SYN again: the same offset */
	bool randomize = s->sides == SIDES_BOTH || (s->sides == SIDES_PEER) == rx;
	me->known = true;
	me->isn = isn;
	me->delta = randomize ? offset_for(s, k, rx, isn) : 0;
	return fl;
}

/* Shift the edges of SACK blocks in @opts (the options of @tcp, copied) by @d. */
static bool shift_sack(const uint8_t *tcp, uint32_t thlen, uint8_t *opts, uint32_t d)
{
	uint8_t kind, len;
	bool any = false;

	for (uint32_t i = 0; offload_tcp_opt_next(tcp, thlen, &i, &kind, &len); i += len) {
		if (kind != WIRE_TCPOPT_SACK)
			continue;
		for (uint32_t e = 2; e + 4 <= len; e += 4) {
			uint8_t *p = opts + i - WIRE_TCP_HLEN + e;
			wire_put32(p, wire_get32(p) - d);
			any = true;
		}
	}
	return any;
}

static int seqrand_half(struct offload_stage *st, struct offload_frame *in,
			struct offload_frame **out, unsigned max_out, bool rx)
{
	struct seqrand_stage *s = seqrand_of(st);
	struct md5sig_seg buf;
	const struct md5sig_seg *seg;
	struct offload_flow_key k;

	if (!max_out)
		return -ENOBUFS;
	out[0] = in;
	const uint8_t *head = offload_path_tcp(st, in, &buf, &seg);
	if (!head)
		return 1;
	const uint8_t *tcp = head + seg->l4_off;
	uint8_t flags = tcp[WIRE_TCP_FLAGS];
	uint32_t seq = wire_get32(tcp + WIRE_TCP_SEQ), ack = wire_get32(tcp + WIRE_TCP_ACK);

	offload_flow_key(&k, seg, rx);
	struct seqrand_flow *fl = offload_flowtab_find(s->flows, &k);
	if (flags & WIRE_TCP_F_SYN)
		fl = syn(st, fl, &k, rx, flags & WIRE_TCP_F_ACK, seq);
	if (!fl) {
		offload_stage_count(st, "no-flow");
		return 1;
	}
	const struct seqrand_side *me = rx ? &fl->peer : &fl->guest;
	const struct seqrand_side *other = rx ? &fl->guest : &fl->peer;
	uint32_t back = flags & WIRE_TCP_F_ACK && other->known ? other->delta : 0;
	uint8_t hdr[8], opts[40];
	uint32_t nopt = seg->thlen - WIRE_TCP_HLEN;
	bool sack = false;

	if (s->sack && back) {
		memcpy(opts, tcp + WIRE_TCP_HLEN, nopt);
		sack = shift_sack(tcp, seg->thlen, opts, back);
	}
	if (!me->delta && !back)
		return 1;
	struct offload_frame *c = offload_frame_clone(st, in);
	if (!c)
		return -ENOMEM;
	wire_put32(hdr, seq + me->delta);
	wire_put32(hdr + 4, ack - back);
	offload_path_tcp_write(c, seg, WIRE_TCP_SEQ, hdr, sizeof(hdr));
	if (sack)
		offload_path_tcp_write(c, seg, WIRE_TCP_HLEN, opts, nopt);
	c->changed = c->changed_covered = true;
	out[0] = c;
	return 1;
}

static int seqrand_out(struct offload_stage *st, struct offload_frame *in,
		       struct offload_frame **out, unsigned max_out)
{
	return seqrand_half(st, in, out, max_out, false);
}

static int seqrand_in(struct offload_stage *st, struct offload_frame *in,
		      struct offload_frame **out, unsigned max_out)
{
	return seqrand_half(st, in, out, max_out, true);
}

const struct offload_stage_ops offload_stage_seqrand = {
	.name = "seqrand",
	.params = seqrand_params,
	.size = sizeof(struct seqrand_stage),
	.init = seqrand_init,
	.process = seqrand_out,
	.receive = seqrand_in,
	.fini = seqrand_fini,
};
