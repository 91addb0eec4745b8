// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vnicemu diff: what the path between a guest capture and a wire capture did to each TCP flow,
 * which of those changes RFC 2385 digests cover, and which vNIC behaviour explains them.
 *
 * Both captures are read whole (they are bug-report sized). Every TCP segment is keyed by its
 * directed flow (addresses and ports) and its sequence range, unwrapped per flow in capture
 * order. Each wire segment then gets an origin: the guest segment with the same range, else the
 * guest segment containing its range (it is a piece cut from it), else the first one it overlaps
 * (it coalesces several). When a range occurs more than once on a side (retransmissions), the
 * k-th wire copy pairs with the k-th guest copy, so retransmitted super-frames and their pieces
 * pair in order; copies beyond the guest's count are wire duplicates. Segments without payload
 * pair by sequence number and ack. Bytes never on the other side make frames missing or extra.
 *
 * Each wire segment is compared field by field with its origin. Resegmentation implies a new TCP
 * length, sequence number, payload slice and checksums; those are reported once, as the
 * resegmentation, and everything else (flags, IPv4 ID, options, the MD5 option, TTL...) as its
 * own kind of difference. Covered means RFC 2385 hashes it: the pseudo-header with the TCP
 * length, the fixed TCP header but the checksum, the payload; not options, TTL, IP ID or
 * checksums. The pieces of split segments are evidence for the tso stage's quirks (which
 * segment keeps PSH/FIN/CWR, how the IPv4 ID moves, what became of the MD5 option); the
 * explanation names the stage and quirks when every difference fits them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "emu/cli/cli.h"
#include "emu/capture/capture.h"
#include "emu/device/device.h"

#define DIFF_MAX_FRAMES 1000000	     /* per capture: the comparison holds both in memory */
#define DIFF_MAX_BYTES	(1ull << 31) /* captured bytes per capture, for the same reason */
#define DIFF_NONE	UINT32_MAX   /* no origin */

#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_CWR 0x80

enum { GUEST, WIRE };

/* Kinds of difference, in report order. */
enum diff_kind {
	DK_RESEG,
	DK_OPT_STRIPPED,
	DK_OPT_ADDED,
	DK_FLAGS_MOVED,
	DK_FLAGS_CHANGED,
	DK_ACK,
	DK_WINDOW,
	DK_URGENT,
	DK_PAYLOAD,
	DK_OPT_CHANGED,
	DK_MD5_REMOVED,
	DK_MD5_ADDED,
	DK_MD5_CHANGED,
	DK_MD5_STALE,
	DK_IPID,
	DK_TTL,
	DK_TOS,
	DK_IP_OTHER,
	DK_LINK,
	DK_TCP_CSUM,
	DK_IP_CSUM,
	DK_MISSING,
	DK_EXTRA,
	DK_RETRANS,
	DK_N,
};

#define BIT(k) (1u << (k))
/* kinds whose change alters what RFC 2385 hashes */
#define DK_COVERED                                                                        \
	(BIT(DK_RESEG) | BIT(DK_OPT_STRIPPED) | BIT(DK_OPT_ADDED) | BIT(DK_FLAGS_MOVED) | \
	 BIT(DK_FLAGS_CHANGED) | BIT(DK_ACK) | BIT(DK_WINDOW) | BIT(DK_URGENT) | BIT(DK_PAYLOAD))
/* kinds that are about frames rather than fields: "covered" does not apply */
#define DK_FRAMES (BIT(DK_MISSING) | BIT(DK_EXTRA) | BIT(DK_RETRANS))
#define DK_MD5_ANY \
	(BIT(DK_MD5_REMOVED) | BIT(DK_MD5_ADDED) | BIT(DK_MD5_CHANGED) | BIT(DK_MD5_STALE))
/* what a TSO engine does to the pieces of a split segment (checksums are judged apart) */
#define DK_TSO_PIECE (BIT(DK_RESEG) | BIT(DK_FLAGS_MOVED) | BIT(DK_IPID) | DK_MD5_ANY)

static const struct {
	const char *name;   /* stable, for JSON */
	const char *title;  /* for people */
	const char *fields; /* the covered fields it changes, or NULL */
} kinds[DK_N] = {
	[DK_RESEG] = {"resegmented", "resegmented", "TCP length, seq, payload"},
	[DK_OPT_STRIPPED] = {"options-stripped", "TCP options stripped", "data offset, TCP length"},
	[DK_OPT_ADDED] = {"options-added", "TCP options added", "data offset, TCP length"},
	[DK_OPT_CHANGED] = {"options-changed", "TCP options changed", NULL},
	[DK_MD5_REMOVED] = {"md5-removed", "MD5 option removed", NULL},
	[DK_MD5_ADDED] = {"md5-added", "MD5 option added", NULL},
	[DK_MD5_CHANGED] = {"md5-changed", "MD5 digest changed", NULL},
	[DK_MD5_STALE] = {"md5-stale", "MD5 digest copied unchanged", NULL},
	[DK_FLAGS_MOVED] = {"flags-moved", "flags moved", "flags"},
	[DK_FLAGS_CHANGED] = {"flags-changed", "flags changed", "flags"},
	[DK_ACK] = {"ack", "ack changed", "ack"},
	[DK_WINDOW] = {"window", "window changed", "window"},
	[DK_URGENT] = {"urgent", "urgent pointer changed", "urgent pointer"},
	[DK_PAYLOAD] = {"payload", "payload changed", "payload"},
	[DK_IPID] = {"ipid", "IPv4 ID rewritten", NULL},
	[DK_TTL] = {"ttl", "TTL rewritten", NULL},
	[DK_TOS] = {"tos", "TOS / traffic class rewritten", NULL},
	[DK_IP_OTHER] = {"ip-other", "other IP header fields changed", NULL},
	[DK_LINK] = {"link", "link header changed", NULL},
	[DK_TCP_CSUM] = {"tcp-checksum", "TCP checksum rewritten", NULL},
	[DK_IP_CSUM] = {"ip-checksum", "IPv4 header checksum rewritten", NULL},
	[DK_MISSING] = {"missing", "frames missing", NULL},
	[DK_EXTRA] = {"extra", "frames extra", NULL},
	[DK_RETRANS] = {"retransmissions", "retransmissions differ", NULL},
};

static const char *const csum_names[] = {
	[OFFLOAD_CSUM_NONE] = "none",	    [OFFLOAD_CSUM_COMPLETE] = "correct",
	[OFFLOAD_CSUM_PARTIAL] = "partial", [OFFLOAD_CSUM_PARTIAL_NOLEN] = "partial-nolen",
	[OFFLOAD_CSUM_BAD] = "incorrect",
};
#define NCSUM (OFFLOAD_CSUM_BAD + 1)

/* One parsed TCP segment of a capture. */
struct diff_frame {
	size_t off;  /* its bytes in the side's buffer */
	uint32_t no; /* frame number in its capture, from 1 */
	struct md5sig_seg seg;
	int64_t seq;	      /* unwrapped within its flow */
	uint32_t plen;	      /* payload bytes */
	uint8_t verdict;      /* enum md5sig_verdict */
	uint8_t csum;	      /* enum offload_csum */
	bool ip_ok;	      /* IPv4 header checksum verifies (always true for IPv6) */
	uint32_t origin;      /* wire: the guest frame it derives from, or DIFF_NONE */
	uint32_t uses;	      /* guest: wire frames deriving from it */
	uint32_t pieces;      /* guest: split pieces seen so far, in sequence order */
	uint32_t bits;	      /* kinds of difference (guest: of the wire frames it became) */
	uint32_t unexplained; /* wire: kinds no vNIC stage accounts for */
};

struct diff_side {
	const char *path;
	struct emu_capin *in;
	uint32_t linktype;
	uint8_t *buf; /* copies of the TCP frames */
	size_t used, cap;
	struct diff_frame *f;
	size_t n, fcap;
	unsigned long frames, other, fragments;
	unsigned long verdicts[MD5SIG_NVERDICTS];
	uint32_t max_iplen; /* largest IP packet among the TCP frames */
};

/* A directed flow: its frames' indices in gidx[gb..gb+ng) and widx[wb..wb+nw). */
struct diff_flow {
	size_t gb, ng, wb, nw;
	uint64_t order; /* reported in order of first appearance, guest capture first */
};

/*
 * What split pieces say about the segmentation engine, summed over flows. Flag placement is
 * counted per position: the piece holding the guest frame's first byte, its last byte, or
 * neither (earlier than the last, later than the first).
 */
struct diff_tso {
	unsigned long pieces;
	uint8_t pf_seen;	      /* PSH/FIN bits of split guest frames */
	unsigned long pf[2][2];	      /* PSH/FIN [on the last piece][kept] */
	unsigned long pf_partly;      /* PSH and FIN set, one of them kept */
	unsigned long cwr[2][2];      /* CWR [on the first piece][kept] */
	unsigned long id[3];	      /* IPv4 ID of pieces after the first: ID0 + i, ID0, other */
	unsigned long md5[5];	      /* what became of the MD5 option, by enum below */
	unsigned long csum_completed; /* pieces of a partial-checksum frame, with a correct one */
};

enum { ID_INC, ID_FIXED, ID_OTHER };
enum { M5_COPY, M5_RESIGN, M5_STRIP, M5_OTHER, M5_UNSIGNED };

/* The flag rules of tso.flags (offload/tso.c): where PSH/FIN and CWR stay. */
static const struct {
	const char *quirk;
	const char *semantics;
	bool pf_last, pf_earlier, cwr_first, cwr_later;
} tso_flag_rules[] = {
	{"linux", "Linux GSO semantics", true, false, true, false},
	{"qemu", "QEMU semantics", false, false, true, false},
	{"e1000", "e1000 semantics", true, false, true, true},
	{"copy", "segmentation", true, true, true, true},
};

/* Per-flow counts for the report. */
struct diff_stats {
	unsigned long frames[2];
	unsigned long verdicts[2][MD5SIG_NVERDICTS];
	unsigned long unchanged;
	unsigned long n[2][DK_N]; /* guest frames (distinct) and wire frames with each kind */
	unsigned long v[2][DK_N][MD5SIG_NVERDICTS];
	unsigned long split, coalesced;
	uint32_t mss;
	unsigned long flag_set[8], flag_clr[8];
	uint32_t thlen[2]; /* an example of a header length change */
	unsigned long md5_nops, md5_valid;
	unsigned long payload_bytes;
	unsigned long id_inc;
	int ttl[2]; /* an example TTL (hop limit) change, or -1 */
	bool ttl_mixed;
	unsigned long csum[NCSUM][NCSUM]; /* TCP checksum state changes, guest -> wire */
	unsigned long ipcsum[2][2];	  /* IPv4 header checksum [guest ok][wire ok] */
	unsigned long missing_bytes, extra_bytes;
};

struct diff {
	struct diff_side s[2];
	struct md5sig_keytab *keys;
	bool have_keys;
	struct md5sig_hasher *h;

	uint32_t *gidx, *widx;
	struct diff_flow *flows;
	size_t nflows;

	/* scratch, sized when the flows are built so that comparing cannot fail */
	uint32_t *cand; /* origin candidates */
	int64_t *iv[2]; /* merged byte ranges of each side, as start/end pairs */

	/* totals over the compared flows, for the explanation */
	struct diff_tso tso;
	uint32_t bits, unexplained;
	unsigned long matched;	  /* wire frames with an origin */
	unsigned long missing;	  /* guest frames missing */
	unsigned long oversize;	  /* ...of which larger than the wire carries (wire_mtu()) */
	uint32_t oversize_max;	  /* the largest of those, IP bytes */
	unsigned long csum_tx;	  /* unsplit frames whose partial checksum was completed */
	unsigned long only_guest; /* frames of flows never on the wire */
};

/* "frame" or "frames" */
#define PL(n) ((n) == 1 ? "" : "s")

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static struct diff_frame *frame_of(const struct diff *d, int side, uint32_t i)
{
	return &d->s[side].f[i];
}

/* Append to the string in @buf (@len bytes), cut at the end. */
static void appendf(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void appendf(char *buf, size_t len, const char *fmt, ...)
{
	size_t n = strnlen(buf, len);
	va_list ap;

	if (n + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
}

static const uint8_t *data_of(const struct diff *d, int side, const struct diff_frame *f)
{
	return d->s[side].buf + f->off;
}

static void diff_usage(FILE *f)
{
	fprintf(f,
		"Usage: %s diff GUEST.pcap WIRE.pcap [--key SECRET | --key-file FILE] [--json]\n"
		"  GUEST.pcap         captured inside the guest (before the vNIC)\n"
		"  WIRE.pcap          captured on the wire (after it); same link type\n"
		"  --key SECRET       one secret for every peer, like tcpdump -M (visible in ps)\n"
		"  --key-file FILE    lines 'ADDR[/PREFIX] SECRET', '* SECRET', hex:... secrets\n"
		"  --json             print one JSON object (see docs/diff.md)\n"
		"Matches TCP segments by flow and sequence range and says what changed between\n"
		"the captures, whether RFC 2385 digests cover it, the verdicts on both sides,\n"
		"and which vNIC behaviour (stage and quirks) explains it.\n",
		prog);
}

/* ---- reading ---- */

static int side_add(struct diff_side *s, const struct emu_pkt *pkt, const struct md5sig_seg *seg,
		    char *err, size_t errlen)
{
	if (s->n == s->fcap) {
		size_t cap = s->fcap ? 2 * s->fcap : 1024;
		struct diff_frame *f = realloc(s->f, cap * sizeof(*f));
		if (!f)
			goto nomem;
		s->f = f;
		s->fcap = cap;
	}
	if (s->used + pkt->caplen > s->cap) {
		size_t cap = s->cap ? s->cap : 1 << 20;
		while (cap < s->used + pkt->caplen)
			cap *= 2;
		uint8_t *b = realloc(s->buf, cap);
		if (!b)
			goto nomem;
		s->buf = b;
		s->cap = cap;
	}
	memcpy(s->buf + s->used, pkt->data, pkt->caplen);
	s->f[s->n++] = (struct diff_frame){
		.off = s->used,
		.no = (uint32_t)s->frames,
		.seg = *seg,
		.plen = seg->tcp_len - seg->thlen,
		.origin = DIFF_NONE,
	};
	s->used += pkt->caplen;
	return 0;
nomem:
	snprintf(err, errlen, "%s: out of memory", s->path);
	return -ENOMEM;
}

/* Read every frame of @s; keep and classify the TCP segments. */
static int side_read(struct diff *d, struct diff_side *s, char *err, size_t errlen)
{
	struct emu_pkt pkt;
	int r;

	while ((r = emu_capin_next(s->in, &pkt, err, errlen)) > 0) {
		struct md5sig_seg seg;
		enum md5sig_status st = md5sig_parse(s->linktype, pkt.data, pkt.caplen, &seg);

		if (++s->frames > DIFF_MAX_FRAMES || s->used + pkt.caplen > DIFF_MAX_BYTES) {
			snprintf(err, errlen,
				 "%s: more than %d frames or 2 GiB (diff holds both captures in "
				 "memory: cut them with tcpdump -c or editcap)",
				 s->path, DIFF_MAX_FRAMES);
			r = -EFBIG;
			break;
		}
		if (st == MD5SIG_OTHER || st == MD5SIG_FRAGMENT) {
			s->other++;
			s->fragments += st == MD5SIG_FRAGMENT;
			continue;
		}
		enum md5sig_verdict v = md5sig_classify(d->h, d->keys, pkt.data, st, &seg);
		s->verdicts[v]++;
		if (v == MD5SIG_MALFORMED)
			continue;
		if ((r = side_add(s, &pkt, &seg, err, errlen)))
			break;
		struct diff_frame *f = &s->f[s->n - 1];
		const uint8_t *ip = pkt.data + seg.l3_off;
		uint32_t iplen = seg.l4_off - seg.l3_off + seg.tcp_len;

		f->verdict = (uint8_t)v;
		f->csum = (uint8_t)offload_csum_classify(pkt.data, &seg);
		f->ip_ok = seg.family != AF_INET ||
			   offload_csum_fold(
				   offload_csum_partial(ip, seg.l4_off - seg.l3_off, 0)) == 0xffff;
		if (iplen > s->max_iplen)
			s->max_iplen = iplen;
	}
	return r < 0 ? r : 0;
}

/* ---- flows ---- */

struct diff_ref {
	uint32_t idx;
	uint32_t side;
};

static int cmp_flowkey(const struct md5sig_seg *a, const struct md5sig_seg *b)
{
	size_t alen = a->family == AF_INET6 ? 16 : 4;
	int c;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if ((c = memcmp(a->saddr, b->saddr, alen)) || (c = memcmp(a->daddr, b->daddr, alen)))
		return c;
	if (a->sport != b->sport)
		return a->sport < b->sport ? -1 : 1;
	if (a->dport != b->dport)
		return a->dport < b->dport ? -1 : 1;
	return 0;
}

/* Flow, then side, then capture order. */
static int cmp_ref(const void *pa, const void *pb, void *arg)
{
	const struct diff_ref *a = pa, *b = pb;
	struct diff *d = arg;
	int c = cmp_flowkey(&frame_of(d, (int)a->side, a->idx)->seg,
			    &frame_of(d, (int)b->side, b->idx)->seg);

	if (c)
		return c;
	if (a->side != b->side)
		return a->side < b->side ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static uint32_t ack_of(const struct diff *d, int side, const struct diff_frame *f)
{
	const uint8_t *t = data_of(d, side, f) + f->seg.l4_off;

	return (uint32_t)get16(t + 8) << 16 | get16(t + 10);
}

struct seq_ctx {
	struct diff *d;
	int side;
};

/*
 * Segments without payload first, by seq, ack, capture order (they pair by seq and ack); then
 * those with payload by seq, length, capture order. Each copy of a range is then next to the
 * others, in the order it was sent.
 */
static int cmp_seq(const void *pa, const void *pb, void *arg)
{
	const struct seq_ctx *c = arg;
	const struct diff_frame *a = frame_of(c->d, c->side, *(const uint32_t *)pa);
	const struct diff_frame *b = frame_of(c->d, c->side, *(const uint32_t *)pb);

	if (!a->plen != !b->plen)
		return a->plen ? 1 : -1;
	if (a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	if (a->plen != b->plen)
		return a->plen < b->plen ? -1 : 1;
	if (!a->plen) {
		uint32_t x = ack_of(c->d, c->side, a), y = ack_of(c->d, c->side, b);
		if (x != y)
			return x < y ? -1 : 1;
	}
	return a->no < b->no ? -1 : a->no > b->no;
}

/* Unwrap the sequence numbers of @n frames in capture order, from @ref on (-1: the first). */
static void unwrap(struct diff *d, int side, const uint32_t *idx, size_t n, int64_t ref)
{
	for (size_t i = 0; i < n; i++) {
		struct diff_frame *f = frame_of(d, side, idx[i]);
		const uint8_t *t = data_of(d, side, f) + f->seg.l4_off;
		uint32_t seq = (uint32_t)get16(t + 4) << 16 | get16(t + 6);

		if (i == 0 && ref < 0)
			ref = seq;
		f->seq = ref + (int32_t)(seq - (uint32_t)ref);
		ref = f->seq;
	}
}

static int cmp_flow_order(const void *pa, const void *pb)
{
	const struct diff_flow *a = pa, *b = pb;

	return a->order < b->order ? -1 : a->order > b->order;
}

/*
 * Group the frames of both captures into flows, each side in sequence order, and size the
 * scratch space so that comparing cannot fail. Return: 0 or -ENOMEM.
 */
static int build_flows(struct diff *d)
{
	size_t ngf = d->s[GUEST].n, nwf = d->s[WIRE].n, total = ngf + nwf, k = 0, ng = 0, nw = 0;
	struct diff_ref *r = malloc(total * sizeof(*r));

	d->gidx = malloc(ngf * sizeof(*d->gidx));
	d->widx = malloc(nwf * sizeof(*d->widx));
	d->flows = malloc(total * sizeof(*d->flows));
	d->cand = malloc(ngf * sizeof(*d->cand));
	d->iv[GUEST] = malloc(2 * ngf * sizeof(int64_t));
	d->iv[WIRE] = malloc(2 * nwf * sizeof(int64_t));
	if (!r || !d->gidx || !d->widx || !d->flows || !d->cand || !d->iv[GUEST] || !d->iv[WIRE]) {
		free(r);
		return -ENOMEM;
	}
	for (int side = GUEST; side <= WIRE; side++)
		for (size_t i = 0; i < d->s[side].n; i++)
			r[k++] = (struct diff_ref){(uint32_t)i, (uint32_t)side};
	qsort_r(r, total, sizeof(*r), cmp_ref, d);

	for (size_t i = 0; i < total;) {
		struct diff_flow *fl = &d->flows[d->nflows++];
		const struct md5sig_seg *key = &frame_of(d, (int)r[i].side, r[i].idx)->seg;

		fl->gb = ng;
		fl->wb = nw;
		for (; i < total && !cmp_flowkey(key, &frame_of(d, (int)r[i].side, r[i].idx)->seg);
		     i++) {
			if (r[i].side == GUEST)
				d->gidx[ng++] = r[i].idx;
			else
				d->widx[nw++] = r[i].idx;
		}
		fl->ng = ng - fl->gb;
		fl->nw = nw - fl->wb;
		fl->order = fl->ng ? d->gidx[fl->gb] : (1ull << 32) + d->widx[fl->wb];

		/* the wire unwraps from the guest's first segment, so both share one scale */
		unwrap(d, GUEST, d->gidx + fl->gb, fl->ng, -1);
		unwrap(d, WIRE, d->widx + fl->wb, fl->nw,
		       fl->ng ? frame_of(d, GUEST, d->gidx[fl->gb])->seq : -1);

		struct seq_ctx gc = {d, GUEST}, wc = {d, WIRE};
		qsort_r(d->gidx + fl->gb, fl->ng, sizeof(uint32_t), cmp_seq, &gc);
		qsort_r(d->widx + fl->wb, fl->nw, sizeof(uint32_t), cmp_seq, &wc);
	}
	qsort(d->flows, d->nflows, sizeof(*d->flows), cmp_flow_order);
	free(r);
	return 0;
}

/* ---- matching ---- */

/*
 * One side of a flow in the order of cmp_seq(): @nempty segments without payload, then @ndata
 * with payload, whose longest has @maxplen bytes.
 */
struct diff_view {
	const uint32_t *empty, *data;
	size_t nempty, ndata;
	uint32_t maxplen;
};

static struct diff_view view_of(const struct diff *d, int side, const uint32_t *idx, size_t n)
{
	struct diff_view v = {.empty = idx};
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (frame_of(d, side, idx[mid])->plen)
			hi = mid;
		else
			lo = mid + 1;
	}
	v.nempty = lo;
	v.data = idx + lo;
	v.ndata = n - lo;
	for (size_t i = 0; i < v.ndata; i++)
		if (frame_of(d, side, v.data[i])->plen > v.maxplen)
			v.maxplen = frame_of(d, side, v.data[i])->plen;
	return v;
}

/* First of the guest's segments without payload at or after (@seq, @ack). */
static size_t empty_lower(const struct diff *d, const struct diff_view *g, int64_t seq, int64_t ack)
{
	size_t lo = 0, hi = g->nempty;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct diff_frame *f = frame_of(d, GUEST, g->empty[mid]);
		if (f->seq < seq || (f->seq == seq && ack_of(d, GUEST, f) < ack))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* First of the guest's segments with payload at or after (@seq, @plen). */
static size_t data_lower(const struct diff *d, const struct diff_view *g, int64_t seq, int64_t plen)
{
	size_t lo = 0, hi = g->ndata;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct diff_frame *f = frame_of(d, GUEST, g->data[mid]);
		if (f->seq < seq || (f->seq == seq && f->plen < plen))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The @k-th (clamped) of the copies @run[0..@n); *@dup when there are fewer than k + 1. */
static uint32_t pick(const uint32_t *run, size_t n, unsigned long k, bool *dup)
{
	*dup = k >= n;
	return run[k < n ? k : n - 1];
}

/* Guest indices are capture order, so the k-th smallest is the k-th copy sent. */
static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The origin of wire frame @w, the @k-th wire copy of its range, among the flow's guest
 * segments @g. Sets *@dup when the wire carries the range more often than the guest did.
 * Return: a guest index or DIFF_NONE.
 */
static uint32_t find_origin(struct diff *d, const struct diff_view *g, const struct diff_frame *w,
			    uint32_t wack, unsigned long k, bool *dup)
{
	int64_t end = w->seq + w->plen;
	size_t a, b, i;

	*dup = false;
	if (!w->plen) {
		/* the same seq and ack, else the same seq */
		a = empty_lower(d, g, w->seq, wack);
		b = empty_lower(d, g, w->seq, (int64_t)wack + 1);
		if (a == b) {
			a = empty_lower(d, g, w->seq, 0);
			b = empty_lower(d, g, w->seq, 1ll << 32);
		}
		return a < b ? pick(g->empty + a, b - a, k, dup) : DIFF_NONE;
	}

	/* the same range */
	a = data_lower(d, g, w->seq, w->plen);
	b = data_lower(d, g, w->seq, (int64_t)w->plen + 1);
	if (a < b)
		return pick(g->data + a, b - a, k, dup);

	/* a guest segment containing it, in capture order */
	size_t n = 0;
	for (i = data_lower(d, g, w->seq + 1, 0); i-- > 0;) {
		const struct diff_frame *c = frame_of(d, GUEST, g->data[i]);
		if (c->seq + g->maxplen < end)
			break; /* nothing earlier reaches the end */
		if (c->seq + c->plen >= end)
			d->cand[n++] = g->data[i];
	}
	if (n) {
		qsort(d->cand, n, sizeof(uint32_t), cmp_u32);
		return pick(d->cand, n, k, dup);
	}

	/* coalesced: the overlapping guest segment that starts first */
	uint32_t best = DIFF_NONE;
	for (i = data_lower(d, g, end, 0); i-- > 0;) {
		const struct diff_frame *c = frame_of(d, GUEST, g->data[i]);
		if (c->seq + g->maxplen <= w->seq)
			break;
		if (c->seq + c->plen > w->seq)
			best = g->data[i];
	}
	return best;
}

/*
 * The next option of the @len option bytes @p from *@o on, NOPs and the MD5 option skipped.
 * Return: its length, or 0 at EOL, at the end, or where parsing stops (md5sig_parse() accepted
 * the segment, so that is the end of what it used).
 */
static uint32_t next_option(const uint8_t *p, uint32_t len, uint32_t *o)
{
	while (*o < len && p[*o] != 0) {
		if (p[*o] == 1) {
			(*o)++;
			continue;
		}
		uint32_t ol = *o + 1 < len ? p[*o + 1] : 0;
		if (ol < 2 || *o + ol > len)
			break;
		if (p[*o] != MD5SIG_OPT_KIND)
			return ol;
		*o += ol;
	}
	return 0;
}

/* Do two option areas hold the same options, NOPs and the MD5 option aside? */
static bool other_options_equal(const uint8_t *a, uint32_t alen, const uint8_t *b, uint32_t blen)
{
	uint32_t oa = 0, ob = 0, la, lb;

	while ((la = next_option(a, alen, &oa)) == (lb = next_option(b, blen, &ob)) && la) {
		if (memcmp(a + oa, b + ob, la))
			return false;
		oa += la;
		ob += lb;
	}
	return la == lb;
}

/* Are the @len bytes at @p all NOPs? */
static bool all_nops(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != 1)
			return false;
	return true;
}

/* Count differing bytes of two payload slices. */
static unsigned long bytes_differ(const uint8_t *a, const uint8_t *b, size_t n)
{
	unsigned long c = 0;

	if (!memcmp(a, b, n))
		return 0;
	for (size_t i = 0; i < n; i++)
		c += a[i] != b[i];
	return c;
}

/* Payload bytes of @w that differ from the guest's (@g) at the same sequence numbers. */
static unsigned long payload_diff(const struct diff *d, const struct diff_view *g,
				  const struct diff_frame *w, const struct diff_frame *o)
{
	const uint8_t *wp = data_of(d, WIRE, w) + w->seg.l4_off + w->seg.thlen;
	int64_t end = w->seq + w->plen;
	unsigned long n = 0;

	if (o->seq <= w->seq && o->seq + o->plen >= end)
		return bytes_differ(data_of(d, GUEST, o) + o->seg.l4_off + o->seg.thlen +
					    (w->seq - o->seq),
				    wp, w->plen);
	/* coalesced: each overlapping guest segment against its part */
	for (size_t i = data_lower(d, g, end, 0); i-- > 0;) {
		const struct diff_frame *c = frame_of(d, GUEST, g->data[i]);
		if (c->seq + g->maxplen <= w->seq)
			break;
		int64_t a = c->seq > w->seq ? c->seq : w->seq;
		int64_t b = c->seq + c->plen < end ? c->seq + c->plen : end;
		if (a >= b)
			continue;
		n += bytes_differ(data_of(d, GUEST, c) + c->seg.l4_off + c->seg.thlen +
					  (a - c->seq),
				  wp + (a - w->seq), (size_t)(b - a));
	}
	return n;
}

static void note_ttl(struct diff_stats *s, uint8_t before, uint8_t after)
{
	if (s->ttl[0] < 0) {
		s->ttl[0] = before;
		s->ttl[1] = after;
	} else if (s->ttl[0] != before || s->ttl[1] != after) {
		s->ttl_mixed = true;
	}
}

/* The IP header: everything but the addresses, which are the flow's. Return: kinds. */
static uint32_t diff_ip(struct diff *d, struct diff_stats *s, const struct diff_frame *o,
			const struct diff_frame *w, bool piece)
{
	const uint8_t *oip = data_of(d, GUEST, o) + o->seg.l3_off;
	const uint8_t *wip = data_of(d, WIRE, w) + w->seg.l3_off;
	uint32_t ohl = o->seg.l4_off - o->seg.l3_off, whl = w->seg.l4_off - w->seg.l3_off;
	uint32_t b = 0;

	if (o->seg.family == AF_INET6) {
		if (((oip[0] ^ wip[0]) & 0x0f) || ((oip[1] ^ wip[1]) & 0xf0))
			b |= BIT(DK_TOS);
		/* flow label, extension headers */
		if (((oip[1] ^ wip[1]) & 0x0f) || memcmp(oip + 2, wip + 2, 2) || ohl != whl ||
		    memcmp(oip + 40, wip + 40, ohl - 40))
			b |= BIT(DK_IP_OTHER);
		if (oip[7] != wip[7]) {
			b |= BIT(DK_TTL);
			note_ttl(s, oip[7], wip[7]);
		}
		return b;
	}

	uint16_t id0 = get16(oip + 4), id = get16(wip + 4);
	if (oip[1] != wip[1])
		b |= BIT(DK_TOS);
	/* DF and fragment offset, options */
	if (memcmp(oip + 6, wip + 6, 2) || ohl != whl || memcmp(oip + 20, wip + 20, ohl - 20))
		b |= BIT(DK_IP_OTHER);
	if (oip[8] != wip[8]) {
		b |= BIT(DK_TTL);
		note_ttl(s, oip[8], wip[8]);
	}
	/* piece i of a split frame: Linux gives it ID0 + i, a fixed-ID engine ID0 */
	bool inc = piece && id == (uint16_t)(id0 + o->pieces);
	if (id != id0) {
		b |= BIT(DK_IPID);
		s->id_inc += inc;
	}
	if (piece && o->pieces)
		d->tso.id[inc ? ID_INC : id == id0 ? ID_FIXED : ID_OTHER]++;
	/* a correct checksum over a changed header is the change's, not news */
	if (o->ip_ok != w->ip_ok || (!o->ip_ok && memcmp(oip + 10, wip + 10, 2))) {
		b |= BIT(DK_IP_CSUM);
		s->ipcsum[o->ip_ok][w->ip_ok]++;
	}
	return b;
}

/* The TCP header but the MD5 option and the checksum, and the payload. Return: kinds. */
static uint32_t diff_tcp(const struct diff *d, struct diff_stats *s, const struct diff_view *g,
			 const struct diff_frame *o, const struct diff_frame *w)
{
	const uint8_t *ot = data_of(d, GUEST, o) + o->seg.l4_off;
	const uint8_t *wt = data_of(d, WIRE, w) + w->seg.l4_off;
	uint8_t fx = ot[13] ^ wt[13];
	uint32_t b = 0;

	/* ports are the flow's; seq is the resegmentation's */
	if (memcmp(ot + 8, wt + 8, 4))
		b |= BIT(DK_ACK);
	if (memcmp(ot + 14, wt + 14, 2))
		b |= BIT(DK_WINDOW);
	if (memcmp(ot + 18, wt + 18, 2))
		b |= BIT(DK_URGENT);
	if (fx & (TCP_PSH | TCP_FIN | TCP_CWR))
		b |= BIT(DK_FLAGS_MOVED);
	if ((fx & ~(TCP_PSH | TCP_FIN | TCP_CWR)) || ((ot[12] ^ wt[12]) & 0x0f))
		b |= BIT(DK_FLAGS_CHANGED);
	for (int i = 0; i < 8; i++) {
		if (fx & (1u << i)) {
			if (wt[13] & (1u << i))
				s->flag_set[i]++;
			else
				s->flag_clr[i]++;
		}
	}
	if (o->seg.thlen != w->seg.thlen) {
		b |= BIT(o->seg.thlen > w->seg.thlen ? DK_OPT_STRIPPED : DK_OPT_ADDED);
		s->thlen[0] = o->seg.thlen;
		s->thlen[1] = w->seg.thlen;
	} else if (!other_options_equal(ot + 20, o->seg.thlen - 20, wt + 20, w->seg.thlen - 20)) {
		b |= BIT(DK_OPT_CHANGED);
	}
	unsigned long pd = payload_diff(d, g, w, o);
	if (pd) {
		b |= BIT(DK_PAYLOAD);
		s->payload_bytes += pd;
	}
	return b;
}

/* The MD5 option, after the covered fields @b it may have been copied over. Return: M5_*. */
static int diff_md5(const struct diff *d, struct diff_stats *s, const struct diff_frame *o,
		    const struct diff_frame *w, uint32_t *b)
{
	const uint8_t *od = data_of(d, GUEST, o), *wd = data_of(d, WIRE, w);

	if (o->seg.md5_off < 0 && w->seg.md5_off < 0)
		return M5_UNSIGNED;
	if (o->seg.md5_off < 0) {
		*b |= BIT(DK_MD5_ADDED);
		return M5_OTHER;
	}
	if (w->seg.md5_off < 0) {
		/* tso.md5=strip: kind, length and digest overwritten with NOPs in place */
		uint32_t at = (uint32_t)o->seg.md5_off - 2 - o->seg.l4_off;
		bool nops = o->seg.thlen == w->seg.thlen &&
			    all_nops(wd + w->seg.l4_off + at, MD5SIG_OPT_LEN);
		*b |= BIT(DK_MD5_REMOVED);
		s->md5_nops += nops;
		return nops ? M5_STRIP : M5_OTHER;
	}
	if (memcmp(od + o->seg.md5_off, wd + w->seg.md5_off, MD5SIG_DIGEST_LEN)) {
		*b |= BIT(DK_MD5_CHANGED);
		s->md5_valid += w->verdict == MD5SIG_VALID;
		/* without keys a new digest is taken for a re-signed one */
		return w->verdict == MD5SIG_VALID || !d->have_keys ? M5_RESIGN : M5_OTHER;
	}
	if (*b & DK_COVERED)
		*b |= BIT(DK_MD5_STALE);
	return M5_COPY;
}

/* Where the flags of the pieces of a split frame went, for the tso.flags rules. */
static void note_piece_flags(struct diff_tso *t, const struct diff_frame *o, uint8_t fo,
			     const struct diff_frame *w, uint8_t fw)
{
	uint8_t pf = fo & (TCP_PSH | TCP_FIN), pw = fw & (TCP_PSH | TCP_FIN);
	bool first = w->seq == o->seq, last = w->seq + w->plen == o->seq + o->plen;

	if (pf) {
		t->pf_seen |= pf;
		if (pw && pw != pf)
			t->pf_partly++;
		else
			t->pf[last][pw == pf]++;
	}
	if (fo & TCP_CWR)
		t->cwr[first][!!(fw & TCP_CWR)]++;
}

/* Compare wire frame @w with its origin @o: set w->bits, w->unexplained, stats and evidence. */
static void diff_pair(struct diff *d, struct diff_stats *s, const struct diff_view *g,
		      struct diff_frame *o, struct diff_frame *w)
{
	const uint8_t *od = data_of(d, GUEST, o), *wd = data_of(d, WIRE, w);
	bool contained = o->seq <= w->seq && o->seq + o->plen >= w->seq + w->plen;
	bool piece = w->plen && contained && (o->seq != w->seq || o->plen != w->plen);
	uint32_t b = 0;

	if (w->plen && !contained) {
		b |= BIT(DK_RESEG);
		s->coalesced++;
	} else if (piece) {
		b |= BIT(DK_RESEG);
		s->split++;
		if (w->plen > s->mss)
			s->mss = w->plen;
	}
	if (o->seg.l3_off != w->seg.l3_off || memcmp(od, wd, o->seg.l3_off))
		b |= BIT(DK_LINK);
	b |= diff_ip(d, s, o, w, piece);
	b |= diff_tcp(d, s, g, o, w);
	int m5 = diff_md5(d, s, o, w, &b);

	/* the TCP checksum: a changed state, or a different wrong value */
	if (o->csum != w->csum || (o->csum == OFFLOAD_CSUM_BAD &&
				   memcmp(od + o->seg.l4_off + 16, wd + w->seg.l4_off + 16, 2))) {
		b |= BIT(DK_TCP_CSUM);
		s->csum[o->csum][w->csum]++;
	}
	bool completed = w->csum == OFFLOAD_CSUM_COMPLETE &&
			 (o->csum == OFFLOAD_CSUM_PARTIAL || o->csum == OFFLOAD_CSUM_PARTIAL_NOLEN);

	/* what a vNIC stage accounts for: tso the pieces, tx-csum completed checksums */
	uint32_t ok = completed ? BIT(DK_TCP_CSUM) : 0;
	if (piece) {
		ok |= DK_TSO_PIECE;
		d->tso.pieces++;
		d->tso.md5[m5]++;
		d->tso.csum_completed += completed;
		note_piece_flags(&d->tso, o, od[o->seg.l4_off + 13], w, wd[w->seg.l4_off + 13]);
		o->pieces++;
	} else {
		d->csum_tx += completed;
	}
	w->bits |= b;
	w->unexplained |= b & ~ok;
}

/* Merge the byte ranges of segments @idx (in sequence order) into d->iv[side]. Return: pairs. */
static size_t merge_ranges(struct diff *d, int side, const uint32_t *idx, size_t n)
{
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		const struct diff_frame *f = frame_of(d, side, idx[i]);
		if (m && f->seq <= d->iv[side][2 * m - 1]) {
			if (f->seq + f->plen > d->iv[side][2 * m - 1])
				d->iv[side][2 * m - 1] = f->seq + f->plen;
			continue;
		}
		d->iv[side][2 * m] = f->seq;
		d->iv[side][2 * m + 1] = f->seq + f->plen;
		m++;
	}
	return m;
}

/* Is [a, b) inside one of the @m merged ranges @iv? */
static bool covered_by(const int64_t *iv, size_t m, int64_t a, int64_t b)
{
	size_t lo = 0, hi = m;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (iv[2 * mid] <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && iv[2 * (lo - 1) + 1] >= b;
}

/* Bytes of the @ma ranges @a not in the @mb ranges @b (both sorted, disjoint). */
static unsigned long uncovered_bytes(const int64_t *a, size_t ma, const int64_t *b, size_t mb)
{
	unsigned long n = 0;
	size_t j = 0;

	for (size_t i = 0; i < ma; i++) {
		int64_t pos = a[2 * i], end = a[2 * i + 1];
		while (j < mb && b[2 * j + 1] <= pos)
			j++;
		for (size_t k = j; k < mb && b[2 * k] < end && pos < end; k++) {
			if (b[2 * k] > pos)
				n += (unsigned long)(b[2 * k] - pos);
			if (b[2 * k + 1] > pos)
				pos = b[2 * k + 1];
		}
		if (pos < end)
			n += (unsigned long)(end - pos);
	}
	return n;
}

/* Are @a and @b copies of one range (without payload: of one seq and ack)? */
static bool same_range(const struct diff *d, int side, const struct diff_frame *a,
		       const struct diff_frame *b)
{
	return a->seq == b->seq && a->plen == b->plen &&
	       (a->plen || ack_of(d, side, a) == ack_of(d, side, b));
}

/*
 * The IP MTU the wire evidently has: its largest packet, or Ethernet's 1500 when all it carried
 * was smaller. A guest frame larger than this is one a NIC without TSO cannot send.
 */
static uint32_t wire_mtu(const struct diff *d)
{
	return d->s[WIRE].max_iplen > 1500 ? d->s[WIRE].max_iplen : 1500;
}

static void note_missing(struct diff *d, struct diff_frame *f)
{
	uint32_t iplen = f->seg.l4_off - f->seg.l3_off + f->seg.tcp_len;

	f->bits |= BIT(DK_MISSING);
	d->missing++;
	if (iplen > wire_mtu(d)) {
		d->oversize++;
		if (iplen > d->oversize_max)
			d->oversize_max = iplen;
	}
}

/* Match and compare one flow present on both sides; fill @s. */
static void flow_diff(struct diff *d, const struct diff_flow *fl, struct diff_stats *s)
{
	const uint32_t *g = d->gidx + fl->gb, *w = d->widx + fl->wb;
	struct diff_view gv = view_of(d, GUEST, g, fl->ng), wv = view_of(d, WIRE, w, fl->nw);
	unsigned long rank = 0;

	memset(s, 0, sizeof(*s));
	s->ttl[0] = s->ttl[1] = -1;

	for (size_t j = 0; j < fl->nw; j++) {
		struct diff_frame *f = frame_of(d, WIRE, w[j]);
		bool dup;

		/* the k-th wire copy of a range pairs with the k-th guest copy */
		if (j && same_range(d, WIRE, frame_of(d, WIRE, w[j - 1]), f))
			rank++;
		else
			rank = 0;
		f->origin = find_origin(d, &gv, f, ack_of(d, WIRE, f), rank, &dup);
		if (f->origin == DIFF_NONE)
			continue;
		struct diff_frame *o = frame_of(d, GUEST, f->origin);
		o->uses++;
		if (dup)
			f->bits |= BIT(DK_RETRANS);
		diff_pair(d, s, &gv, o, f);
		d->matched++;
	}

	/* bytes never on the other side */
	size_t mg = merge_ranges(d, GUEST, gv.data, gv.ndata);
	size_t mw = merge_ranges(d, WIRE, wv.data, wv.ndata);
	s->missing_bytes = uncovered_bytes(d->iv[GUEST], mg, d->iv[WIRE], mw);
	s->extra_bytes = uncovered_bytes(d->iv[WIRE], mw, d->iv[GUEST], mg);
	for (size_t j = 0; j < fl->nw; j++) {
		struct diff_frame *f = frame_of(d, WIRE, w[j]);
		if (f->plen ? !covered_by(d->iv[GUEST], mg, f->seq, f->seq + f->plen)
			    : f->origin == DIFF_NONE)
			f->bits |= BIT(DK_EXTRA);
		f->unexplained |= f->bits & (BIT(DK_EXTRA) | BIT(DK_RETRANS));
		if (f->origin != DIFF_NONE)
			frame_of(d, GUEST, f->origin)->bits |= f->bits & ~DK_FRAMES;
	}
	/* guest copies of a range (adjacent in sequence order) in turn: was any of them sent? */
	for (size_t i = 0, end; i < fl->ng; i = end) {
		const struct diff_frame *first = frame_of(d, GUEST, g[i]);
		bool sent = false;

		for (end = i;
		     end < fl->ng && same_range(d, GUEST, first, frame_of(d, GUEST, g[end])); end++)
			sent |= frame_of(d, GUEST, g[end])->uses > 0;
		for (size_t c = i; c < end; c++) {
			struct diff_frame *f = frame_of(d, GUEST, g[c]);
			if (f->plen ? !covered_by(d->iv[WIRE], mw, f->seq, f->seq + f->plen)
				    : !sent)
				note_missing(d, f);
			else if (!f->uses && sent)
				f->bits |= BIT(DK_RETRANS); /* the wire carried another copy only */
		}
	}

	/* counts */
	for (int side = GUEST; side <= WIRE; side++) {
		const uint32_t *idx = side == GUEST ? g : w;
		size_t n = side == GUEST ? fl->ng : fl->nw;
		for (size_t i = 0; i < n; i++) {
			const struct diff_frame *f = frame_of(d, side, idx[i]);
			s->frames[side]++;
			s->verdicts[side][f->verdict]++;
			if (side == WIRE && !f->bits)
				s->unchanged++;
			for (int k = 0; k < DK_N; k++) {
				if (!(f->bits & BIT(k)))
					continue;
				s->n[side][k]++;
				s->v[side][k][f->verdict]++;
			}
			d->bits |= f->bits;
			d->unexplained |= side == WIRE ? f->unexplained : f->bits & DK_FRAMES;
		}
	}
}

/* ---- the explanation ---- */

struct diff_expl {
	const char *stage;	 /* "tso", "tx-csum", or NULL */
	const char *quirk[4][2]; /* parameter, value */
	unsigned nquirks;
	char text[768];
	uint32_t unexplained;
};

static void quirk(struct diff_expl *e, const char *key, const char *value)
{
	e->quirk[e->nquirks][0] = key;
	e->quirk[e->nquirks++][1] = value;
}

static const char *pf_names(uint8_t pf)
{
	return pf == (TCP_PSH | TCP_FIN) ? "PSH/FIN" : pf == TCP_FIN ? "FIN" : "PSH";
}

/* Does flag rule @r contradict nothing the pieces showed? */
static bool flag_rule_fits(const struct diff_tso *t, size_t r)
{
	bool pf[2] = {tso_flag_rules[r].pf_earlier, tso_flag_rules[r].pf_last};
	bool cwr[2] = {tso_flag_rules[r].cwr_later, tso_flag_rules[r].cwr_first};

	if (t->pf_partly)
		return false;
	for (int pos = 0; pos < 2; pos++)
		if (t->pf[pos][!pf[pos]] || t->cwr[pos][!cwr[pos]])
			return false;
	return true;
}

/* Which tso quirks the pieces fit; the parts that fit none stay unexplained. */
static void explain_tso(const struct diff *d, struct diff_expl *e)
{
	const struct diff_tso *t = &d->tso;
	const size_t nrules = sizeof(tso_flag_rules) / sizeof(tso_flag_rules[0]);
	bool cwr_seen = t->cwr[0][0] || t->cwr[0][1] || t->cwr[1][0] || t->cwr[1][1];
	unsigned long signed_pieces = t->pieces - t->md5[M5_UNSIGNED];
	size_t r = nrules;
	const char *md5 = NULL;

	e->stage = "tso";
	if (t->pf_seen || cwr_seen) {
		for (r = 0; r < nrules && !flag_rule_fits(t, r); r++)
			;
		if (r == nrules)
			e->unexplained |= BIT(DK_FLAGS_MOVED);
	}
	snprintf(e->text, sizeof(e->text),
		 "TSO (%s: ", r < nrules ? tso_flag_rules[r].semantics : "segmentation");

	if (!signed_pieces) {
		appendf(e->text, sizeof(e->text), "options copied into every segment");
	} else if (t->md5[M5_COPY] == signed_pieces) {
		md5 = "copy";
		appendf(e->text, sizeof(e->text),
			"options incl. the MD5 digest copied into every segment");
	} else if (t->md5[M5_RESIGN] == signed_pieces) {
		md5 = "resign";
		appendf(e->text, sizeof(e->text),
			"options copied, the MD5 digest re-signed in every segment");
	} else if (t->md5[M5_STRIP] == signed_pieces) {
		md5 = "strip";
		appendf(e->text, sizeof(e->text),
			"the MD5 option overwritten with NOPs in every segment");
	} else {
		appendf(e->text, sizeof(e->text), "the MD5 option treated in no one way");
		e->unexplained |= DK_MD5_ANY;
	}

	if (r < nrules) {
		if (t->pf_seen)
			appendf(e->text, sizeof(e->text), ", %s %s", pf_names(t->pf_seen),
				!tso_flag_rules[r].pf_last     ? "cleared on every segment"
				: tso_flag_rules[r].pf_earlier ? "on every segment"
							       : "on the last segment only");
		if (cwr_seen)
			appendf(e->text, sizeof(e->text), ", CWR on %s",
				tso_flag_rules[r].cwr_later ? "every segment"
							    : "the first segment only");
		quirk(e, "tso.flags", tso_flag_rules[r].quirk);
	}

	if (t->id[ID_OTHER] || (t->id[ID_INC] && t->id[ID_FIXED])) {
		e->unexplained |= BIT(DK_IPID);
	} else if (t->id[ID_INC]) {
		appendf(e->text, sizeof(e->text), ", IPv4 ID +1 per segment");
		quirk(e, "tso.ipid", "increment");
	} else if (t->id[ID_FIXED]) {
		appendf(e->text, sizeof(e->text), ", the same IPv4 ID on every segment");
		quirk(e, "tso.ipid", "fixed");
	}
	if (md5)
		quirk(e, "tso.md5", md5);

	appendf(e->text, sizeof(e->text), ") — matches vnicemu's tso stage");
	for (unsigned i = 0; i < e->nquirks; i++)
		appendf(e->text, sizeof(e->text), "%s%s=%s", i ? ", " : " with ", e->quirk[i][0],
			e->quirk[i][1]);
	if (t->csum_completed || d->csum_tx)
		appendf(e->text, sizeof(e->text),
			"; partial checksums completed: the tx-csum stage");
}

static void explain(const struct diff *d, struct diff_expl *e)
{
	memset(e, 0, sizeof(*e));
	e->unexplained = d->unexplained;
	if (!d->bits && !d->only_guest) {
		snprintf(e->text, sizeof(e->text), "no differences");
		return;
	}
	if (d->tso.pieces) {
		explain_tso(d, e);
	} else if (d->bits == BIT(DK_MISSING) && !d->only_guest && d->missing == d->oversize) {
		/* only frames too big for the wire are gone: a NIC without TSO drops them */
		e->stage = "tso";
		quirk(e, "tso", "off");
		e->unexplained &= ~BIT(DK_MISSING);
		snprintf(
			e->text, sizeof(e->text),
			"no TSO: the %lu guest frames larger than the wire's MTU (%u bytes; IP "
			"packets of up to %u) never reached the wire — matches vnicemu's tso stage "
			"switched off (tso=off, or sg=off / tx=off, which turn it off): oversize "
			"TSO requests are dropped",
			d->missing, wire_mtu(d), d->oversize_max);
	} else if (d->csum_tx && !e->unexplained) {
		e->stage = "tx-csum";
		snprintf(e->text, sizeof(e->text),
			 "TX checksum offload: the guest left partial checksums (the pseudo-header "
			 "sum) and the NIC completed them — matches vnicemu's tx-csum stage");
	}
	if (d->only_guest)
		e->unexplained |= BIT(DK_MISSING);
	if (!e->stage)
		snprintf(e->text, sizeof(e->text), "no offload explains these differences");
}

/* ---- output ---- */

static void fmt_verdicts(char *buf, size_t len, const unsigned long *v)
{
	buf[0] = '\0';
	for (int i = MD5SIG_VALID; i < MD5SIG_NVERDICTS; i++)
		if (v[i])
			appendf(buf, len, "%s%lu %s", *buf ? ", " : "", v[i],
				md5sig_verdict_str(i));
	if (!*buf)
		snprintf(buf, len, "none");
}

static void json_verdicts(FILE *f, const unsigned long *v)
{
	fprintf(f, "{");
	for (int i = MD5SIG_VALID; i < MD5SIG_MALFORMED; i++)
		fprintf(f, "%s\"%s\": %lu", i ? ", " : "", md5sig_verdict_str(i), v[i]);
	fprintf(f, "}");
}

/* "PSH cleared on 40 frames, CWR set on 1 frame" for the flags in @mask. */
static void fmt_flags(char *buf, size_t len, const struct diff_stats *s, uint8_t mask)
{
	static const char *const names[8] = {"FIN", "SYN", "RST", "PSH",
					     "ACK", "URG", "ECE", "CWR"};

	for (int i = 0; i < 8; i++) {
		if (!(mask & (1u << i)))
			continue;
		if (s->flag_clr[i])
			appendf(buf, len, "%s%s cleared on %lu frame%s", *buf ? ", " : "", names[i],
				s->flag_clr[i], PL(s->flag_clr[i]));
		if (s->flag_set[i])
			appendf(buf, len, "%s%s set on %lu frame%s", *buf ? ", " : "", names[i],
				s->flag_set[i], PL(s->flag_set[i]));
	}
	if (!*buf)
		appendf(buf, len, "reserved bits");
}

/* The one-line description of kind @k in a flow. */
static void detail(char *buf, size_t len, const struct diff_stats *s, int k)
{
	unsigned long nw = s->n[WIRE][k], ng = s->n[GUEST][k];

	buf[0] = '\0';
	switch (k) {
	case DK_RESEG:
		if (s->split)
			appendf(buf, len, "%lu guest frame%s into %lu wire frames, wire MSS %u", ng,
				PL(ng), s->split, s->mss);
		if (s->coalesced)
			appendf(buf, len, "%s%lu wire frame%s coalescing several guest frames",
				*buf ? "; " : "", s->coalesced, PL(s->coalesced));
		break;
	case DK_OPT_STRIPPED:
	case DK_OPT_ADDED:
		appendf(buf, len, "TCP header %u -> %u bytes on %lu frame%s", s->thlen[0],
			s->thlen[1], nw, PL(nw));
		break;
	case DK_MD5_REMOVED:
		appendf(buf, len, "on %lu frame%s%s", nw, PL(nw),
			s->md5_nops == nw ? " (overwritten with NOPs)" : "");
		break;
	case DK_MD5_CHANGED:
		appendf(buf, len, "on %lu frame%s (%lu valid)", nw, PL(nw), s->md5_valid);
		break;
	case DK_MD5_STALE:
		appendf(buf, len, "into %lu frame%s whose covered fields changed", nw, PL(nw));
		break;
	case DK_FLAGS_MOVED:
		fmt_flags(buf, len, s, TCP_PSH | TCP_FIN | TCP_CWR);
		break;
	case DK_FLAGS_CHANGED:
		fmt_flags(buf, len, s, (uint8_t) ~(TCP_PSH | TCP_FIN | TCP_CWR));
		break;
	case DK_PAYLOAD:
		appendf(buf, len, "%lu bytes differ in %lu frame%s", s->payload_bytes, nw, PL(nw));
		break;
	case DK_IPID:
		if (s->id_inc)
			appendf(buf, len, "ID0 + i on %lu segment%s of split frames", s->id_inc,
				PL(s->id_inc));
		if (nw > s->id_inc)
			appendf(buf, len, "%srewritten on %lu frame%s", *buf ? "; " : "",
				nw - s->id_inc, PL(nw - s->id_inc));
		break;
	case DK_TTL:
		if (s->ttl_mixed)
			appendf(buf, len, "on %lu frame%s, by varying amounts", nw, PL(nw));
		else
			appendf(buf, len, "%d -> %d on %lu frame%s", s->ttl[0], s->ttl[1], nw,
				PL(nw));
		break;
	case DK_TCP_CSUM:
		for (int a = 0; a < NCSUM; a++)
			for (int b = 0; b < NCSUM; b++)
				if (s->csum[a][b])
					appendf(buf, len, "%s%s -> %s on %lu", *buf ? "; " : "",
						csum_names[a], csum_names[b], s->csum[a][b]);
		break;
	case DK_IP_CSUM:
		for (int a = 0; a < 2; a++)
			for (int b = 0; b < 2; b++)
				if (s->ipcsum[a][b])
					appendf(buf, len, "%s%s -> %s on %lu", *buf ? "; " : "",
						a ? "correct" : "incorrect",
						b ? "correct" : "incorrect", s->ipcsum[a][b]);
		break;
	case DK_MISSING:
		appendf(buf, len, "%lu guest frame%s never on the wire (%lu payload bytes)", ng,
			PL(ng), s->missing_bytes);
		break;
	case DK_EXTRA:
		appendf(buf, len, "%lu wire frame%s never in the guest (%lu payload bytes)", nw,
			PL(nw), s->extra_bytes);
		break;
	case DK_RETRANS:
		appendf(buf, len,
			"guest copies the wire did not repeat: %lu; wire copies the guest did not "
			"send: %lu",
			ng, nw);
		break;
	default:
		appendf(buf, len, "on %lu frame%s", nw, PL(nw));
	}
}

static const char *covered_str(int k)
{
	return (DK_FRAMES & BIT(k)) ? "-" : (DK_COVERED & BIT(k)) ? "yes" : "no";
}

static void flow_name(const struct md5sig_seg *seg, char *buf, size_t len)
{
	md5sig_seg_format(seg, buf, len);
}

static void json_endpoint(FILE *f, const struct md5sig_seg *seg)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	int af = seg->family == AF_INET6 ? AF_INET6 : AF_INET;

	inet_ntop(af, seg->saddr, a, sizeof(a));
	inet_ntop(af, seg->daddr, b, sizeof(b));
	fprintf(f, "\"src\": \"%s\", \"sport\": %u, \"dst\": \"%s\", \"dport\": %u", a, seg->sport,
		b, seg->dport);
}

static void print_flow_human(FILE *f, const struct md5sig_seg *key, const struct diff_stats *s)
{
	char name[128], a[256], b[256], text[512];
	bool any = false;

	flow_name(key, name, sizeof(name));
	fprintf(f, "flow %s: guest %lu frames, wire %lu frames, %lu unchanged\n", name,
		s->frames[GUEST], s->frames[WIRE], s->unchanged);
	for (int k = 0; k < DK_N; k++) {
		if (!s->n[GUEST][k] && !s->n[WIRE][k])
			continue;
		any = true;
		detail(text, sizeof(text), s, k);
		fprintf(f, "  %s: %s\n", kinds[k].title, text);
		fmt_verdicts(a, sizeof(a), s->v[GUEST][k]);
		fmt_verdicts(b, sizeof(b), s->v[WIRE][k]);
		fprintf(f, "    covered: %s", covered_str(k));
		if (kinds[k].fields)
			fprintf(f, " (%s)", kinds[k].fields);
		fprintf(f, "; md5: guest %s -> wire %s\n", a, b);
	}
	if (!any)
		fprintf(f, "  no differences\n");
	fmt_verdicts(a, sizeof(a), s->verdicts[GUEST]);
	fmt_verdicts(b, sizeof(b), s->verdicts[WIRE]);
	fprintf(f, "  md5 verdicts: guest %s; wire %s\n\n", a, b);
}

static void print_flow_json(FILE *f, bool first, const struct md5sig_seg *key,
			    const struct diff_stats *s)
{
	char name[128], text[512];
	bool any = false;

	flow_name(key, name, sizeof(name));
	fprintf(f, "%s\n    {\"flow\": ", first ? "" : ",");
	emu_json_string(f, name);
	fprintf(f, ", ");
	json_endpoint(f, key);
	for (int side = GUEST; side <= WIRE; side++) {
		fprintf(f,
			", \"%s\": {\"frames\": %lu, \"md5\": ", side == GUEST ? "guest" : "wire",
			s->frames[side]);
		json_verdicts(f, s->verdicts[side]);
		fprintf(f, "}");
	}
	fprintf(f, ", \"unchanged\": %lu, \"differences\": [", s->unchanged);
	for (int k = 0; k < DK_N; k++) {
		if (!s->n[GUEST][k] && !s->n[WIRE][k])
			continue;
		detail(text, sizeof(text), s, k);
		fprintf(f,
			"%s\n      {\"kind\": \"%s\", \"covered\": %s, \"guest_frames\": %lu, "
			"\"wire_frames\": %lu, \"detail\": ",
			any ? "," : "", kinds[k].name,
			(DK_FRAMES & BIT(k))	? "null"
			: (DK_COVERED & BIT(k)) ? "true"
						: "false",
			s->n[GUEST][k], s->n[WIRE][k]);
		emu_json_string(f, text);
		fprintf(f, ", \"md5\": {\"guest\": ");
		json_verdicts(f, s->v[GUEST][k]);
		fprintf(f, ", \"wire\": ");
		json_verdicts(f, s->v[WIRE][k]);
		fprintf(f, "}");
		if (k == DK_RESEG)
			fprintf(f, ", \"mss\": %u, \"split\": %lu, \"coalesced\": %lu", s->mss,
				s->split, s->coalesced);
		else if (k == DK_PAYLOAD)
			fprintf(f, ", \"bytes\": %lu", s->payload_bytes);
		else if (k == DK_MISSING)
			fprintf(f, ", \"bytes\": %lu", s->missing_bytes);
		else if (k == DK_EXTRA)
			fprintf(f, ", \"bytes\": %lu", s->extra_bytes);
		fprintf(f, "}");
		any = true;
	}
	fprintf(f, "%s]}", any ? "\n    " : "");
}

/* Flows on one side only: never on the wire, or other traffic on the wire. */
static void print_lonely(const struct diff *d, FILE *f, bool json, int side)
{
	const char *title =
		side == GUEST ? "flows never on the wire" : "flows only on the wire (not compared)";
	bool first = true;
	char name[128];

	if (json)
		fprintf(f, ",\n  \"flows_only_in_%s\": [", side == GUEST ? "guest" : "wire");
	for (size_t i = 0; i < d->nflows; i++) {
		const struct diff_flow *fl = &d->flows[i];
		size_t n = side == GUEST ? fl->ng : fl->nw;
		if (!n || (side == GUEST ? fl->nw : fl->ng))
			continue;
		uint32_t idx = side == GUEST ? d->gidx[fl->gb] : d->widx[fl->wb];
		const struct md5sig_seg *key = &frame_of(d, side, idx)->seg;
		flow_name(key, name, sizeof(name));
		if (json) {
			fprintf(f, "%s{\"flow\": ", first ? "" : ", ");
			emu_json_string(f, name);
			fprintf(f, ", ");
			json_endpoint(f, key);
			fprintf(f, ", \"frames\": %zu}", n);
		} else {
			fprintf(f, "%s  %s (%zu frame%s)\n", first ? title : "", name, n, PL(n));
		}
		first = false;
	}
	if (json)
		fprintf(f, "]");
	else if (!first)
		fputc('\n', f);
}

static void print_side_json(FILE *f, const char *name, const struct diff_side *s)
{
	fprintf(f, "  \"%s\": {\"file\": ", name);
	emu_json_string(f, s->path);
	fprintf(f,
		", \"link\": \"%s\", \"frames\": %lu, \"tcp\": %zu, \"other\": %lu, "
		"\"fragments\": %lu, \"md5\": ",
		md5sig_linktype_str(s->linktype), s->frames, s->n, s->other, s->fragments);
	json_verdicts(f, s->verdicts);
	fprintf(f, ", \"malformed\": %lu}", s->verdicts[MD5SIG_MALFORMED]);
}

/* "5 not TCP (2 IP fragments), 1 malformed" or "" */
static void fmt_uncompared(char *buf, size_t len, const struct diff_side *s)
{
	buf[0] = '\0';
	if (s->other)
		appendf(buf, len, "%lu not TCP", s->other);
	if (s->fragments)
		appendf(buf, len, " (%lu IP fragment%s)", s->fragments, PL(s->fragments));
	if (s->verdicts[MD5SIG_MALFORMED])
		appendf(buf, len, "%s%lu malformed", *buf ? ", " : "",
			s->verdicts[MD5SIG_MALFORMED]);
}

/* ---- the command ---- */

/* Compare every flow; the per-flow report goes to @body. */
static void diff_flows(struct diff *d, FILE *body, bool json)
{
	struct diff_stats s;
	bool first = true;

	for (size_t i = 0; i < d->nflows; i++) {
		const struct diff_flow *fl = &d->flows[i];
		if (!fl->ng || !fl->nw) {
			d->only_guest += fl->nw ? 0 : fl->ng;
			continue;
		}
		flow_diff(d, fl, &s);
		const struct md5sig_seg *key = &frame_of(d, GUEST, d->gidx[fl->gb])->seg;
		if (json)
			print_flow_json(body, first, key, &s);
		else
			print_flow_human(body, key, &s);
		first = false;
	}
}

static void print_report(const struct diff *d, const char *body, size_t bodylen, bool json)
{
	struct diff_expl e;
	char a[256], b[256];

	explain(d, &e);
	if (json) {
		printf("{\n");
		print_side_json(stdout, "guest", &d->s[GUEST]);
		printf(",\n");
		print_side_json(stdout, "wire", &d->s[WIRE]);
		printf(",\n  \"flows\": [");
		fwrite(body, 1, bodylen, stdout);
		printf("\n  ]");
		print_lonely(d, stdout, true, GUEST);
		print_lonely(d, stdout, true, WIRE);
		printf(",\n  \"identical\": %s,\n  \"explanation\": {\"stage\": ",
		       !d->bits && !d->only_guest ? "true" : "false");
		if (e.stage)
			emu_json_string(stdout, e.stage);
		else
			printf("null");
		printf(", \"quirks\": {");
		for (unsigned i = 0; i < e.nquirks; i++)
			printf("%s\"%s\": \"%s\"", i ? ", " : "", e.quirk[i][0], e.quirk[i][1]);
		printf("}, \"text\": ");
		emu_json_string(stdout, e.text);
		printf("},\n  \"unexplained\": [");
		for (int k = 0, n = 0; k < DK_N; k++)
			if (e.unexplained & BIT(k))
				printf("%s\"%s\"", n++ ? ", " : "", kinds[k].name);
		printf("]\n}\n");
		return;
	}

	printf("diff %s (guest, %lu frames) -> %s (wire, %lu frames), %s\n", d->s[GUEST].path,
	       d->s[GUEST].frames, d->s[WIRE].path, d->s[WIRE].frames,
	       md5sig_linktype_str(d->s[GUEST].linktype));
	fmt_verdicts(a, sizeof(a), d->s[GUEST].verdicts);
	fmt_verdicts(b, sizeof(b), d->s[WIRE].verdicts);
	printf("md5 verdicts: guest %s; wire %s%s\n", a, b,
	       d->have_keys ? "" : " (no key given: digests not checked)");
	fmt_uncompared(a, sizeof(a), &d->s[GUEST]);
	fmt_uncompared(b, sizeof(b), &d->s[WIRE]);
	if (*a || *b)
		printf("not compared: guest %s; wire %s\n", *a ? a : "none", *b ? b : "none");
	putchar('\n');
	fwrite(body, 1, bodylen, stdout);
	print_lonely(d, stdout, false, GUEST);
	print_lonely(d, stdout, false, WIRE);
	printf("explanation: %s\n", e.text);
	if (e.unexplained) {
		printf("%s", e.stage ? "not explained by it:" : "differences:");
		for (int k = 0, n = 0; k < DK_N; k++)
			if (e.unexplained & BIT(k))
				printf("%s %s", n++ ? "," : "", kinds[k].title);
		printf("%s\n", (e.unexplained & BIT(DK_TTL))
				       ? " (a rewritten TTL is a router's work)"
				       : "");
	}
}

/* Open both captures, which must have one link type, and read them. Return: 0 or -errno. */
static int read_inputs(struct diff *d, char *err, size_t errlen)
{
	struct diff_side *g = &d->s[GUEST], *w = &d->s[WIRE];
	int r;

	for (int side = GUEST; side <= WIRE; side++) {
		if (!(d->s[side].in = emu_capin_open(d->s[side].path, err, errlen)))
			return -EINVAL;
		d->s[side].linktype = emu_capin_linktype(d->s[side].in);
	}
	if (g->linktype != w->linktype) {
		snprintf(err, errlen, "%s is %s, %s is %s: captures of different link types",
			 g->path, md5sig_linktype_str(g->linktype), w->path,
			 md5sig_linktype_str(w->linktype));
		return -EINVAL;
	}
	for (int side = GUEST; side <= WIRE; side++) {
		if ((r = side_read(d, &d->s[side], err, errlen)))
			return r;
		/* the frames are copied: let a mapped file go before the next is read */
		emu_capin_close(d->s[side].in);
		d->s[side].in = NULL;
		if (!d->s[side].n) {
			snprintf(err, errlen, "%s holds no TCP segments to compare",
				 d->s[side].path);
			return -EINVAL;
		}
	}
	return 0;
}

static int check_matches(const struct diff *d, char *err, size_t errlen)
{
	bool common = false;

	for (size_t i = 0; i < d->nflows; i++)
		common |= d->flows[i].ng && d->flows[i].nw;
	if (!common) {
		snprintf(err, errlen, "no flow of %s appears in %s", d->s[GUEST].path,
			 d->s[WIRE].path);
		return -EINVAL;
	}
	if (!d->matched) {
		snprintf(err, errlen,
			 "no frame of %s matches a frame of %s (the same flows with other sequence "
			 "numbers)",
			 d->s[WIRE].path, d->s[GUEST].path);
		return -EINVAL;
	}
	return 0;
}

static void diff_free(struct diff *d)
{
	for (int side = GUEST; side <= WIRE; side++) {
		emu_capin_close(d->s[side].in);
		free(d->s[side].buf);
		free(d->s[side].f);
		free(d->iv[side]);
	}
	free(d->gidx);
	free(d->widx);
	free(d->flows);
	free(d->cand);
	md5sig_hasher_free(d->h);
	md5sig_keytab_free(d->keys);
}

int cmd_diff(int argc, char **argv)
{
	static const struct option opts[] = {
		{"key", required_argument, NULL, 'k'},
		{"key-file", required_argument, NULL, 'f'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *key = NULL, *key_file = NULL;
	bool json = false;
	struct diff d = {0};
	char err[1024], *body = NULL;
	size_t bodylen = 0;
	FILE *bf;
	int opt, ret = EXIT_USAGE;

	while ((opt = cli_getopt("diff", argc, argv, ":", opts)) != -1) {
		switch (opt) {
		case 'k':
			key = optarg;
			break;
		case 'f':
			key_file = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			diff_usage(stdout);
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 2) {
		fprintf(stderr, "%s diff: expected two captures: GUEST.pcap WIRE.pcap\n", prog);
		return EXIT_USAGE;
	}
	d.s[GUEST].path = argv[optind];
	d.s[WIRE].path = argv[optind + 1];
	d.have_keys = key || key_file;
	d.keys = md5sig_keytab_new();
	d.h = md5sig_hasher_new();
	if (!d.keys || !d.h) {
		fprintf(stderr, "%s diff: cannot set up MD5 (libcrypto) or out of memory\n", prog);
		goto out;
	}
	if (emu_keys_from_options(d.keys, key, key_file, err, sizeof(err)) ||
	    read_inputs(&d, err, sizeof(err)))
		goto fail;
	/* the per-flow report is held back until the comparison is known to make sense */
	if (build_flows(&d) || !(bf = open_memstream(&body, &bodylen)))
		goto nomem;
	diff_flows(&d, bf, json);
	if (fclose(bf))
		goto nomem;
	if (check_matches(&d, err, sizeof(err)))
		goto fail;
	print_report(&d, body, bodylen, json);
	ret = 0;
	goto out;
nomem:
	snprintf(err, sizeof(err), "out of memory");
fail:
	fprintf(stderr, "%s diff: %s\n", prog, err);
out:
	free(body);
	diff_free(&d);
	return ret;
}
