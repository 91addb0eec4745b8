// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Matching: each wire segment's origin among the guest's segments of its flow, the two
 * compared field by field (what changed, whether RFC 2385 covers it, which vNIC stage accounts
 * for it), the evidence split pieces give about the tso stage, and the bytes each side never
 * carried.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "emu/analysis/diff/internal.h"

/*
 * One side of a flow in the order of cmp_seq(): @nempty segments without payload, then @ndata
 * with payload, whose longest has @maxplen bytes.
 */
struct diff_view {
	const uint32_t *empty, *data;
	size_t nempty, ndata;
	uint32_t maxplen;
};

static struct diff_view view_of(const struct emu_diff *d, int side, const uint32_t *idx, size_t n)
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
static size_t empty_lower(const struct emu_diff *d, const struct diff_view *g, int64_t seq,
			  int64_t ack)
{
	size_t lo = 0, hi = g->nempty;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct diff_frame *f = frame_of(d, GUEST, g->empty[mid]);
		if (f->seq < seq || (f->seq == seq && diff_ack_of(d, GUEST, f) < ack))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* First of the guest's segments with payload at or after (@seq, @plen). */
static size_t data_lower(const struct emu_diff *d, const struct diff_view *g, int64_t seq,
			 int64_t plen)
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
static uint32_t find_origin(struct emu_diff *d, const struct diff_view *g,
			    const struct diff_frame *w, uint32_t wack, unsigned long k, bool *dup)
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
static unsigned long payload_diff(const struct emu_diff *d, const struct diff_view *g,
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
static uint32_t diff_ip(struct emu_diff *d, struct diff_stats *s, const struct diff_frame *o,
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
		    memcmp(oip + WIRE_IPV6_HLEN, wip + WIRE_IPV6_HLEN, ohl - WIRE_IPV6_HLEN))
			b |= BIT(DK_IP_OTHER);
		if (oip[WIRE_IPV6_HLIM] != wip[WIRE_IPV6_HLIM]) {
			b |= BIT(DK_TTL);
			note_ttl(s, oip[WIRE_IPV6_HLIM], wip[WIRE_IPV6_HLIM]);
		}
		return b;
	}

	uint16_t id0 = wire_get16(oip + WIRE_IPV4_ID), id = wire_get16(wip + WIRE_IPV4_ID);
	if (oip[WIRE_IPV4_TOS] != wip[WIRE_IPV4_TOS])
		b |= BIT(DK_TOS);
	/* DF and fragment offset, options */
	if (memcmp(oip + WIRE_IPV4_FRAG, wip + WIRE_IPV4_FRAG, 2) || ohl != whl ||
	    memcmp(oip + WIRE_IPV4_HLEN, wip + WIRE_IPV4_HLEN, ohl - WIRE_IPV4_HLEN))
		b |= BIT(DK_IP_OTHER);
	if (oip[WIRE_IPV4_TTL] != wip[WIRE_IPV4_TTL]) {
		b |= BIT(DK_TTL);
		note_ttl(s, oip[WIRE_IPV4_TTL], wip[WIRE_IPV4_TTL]);
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
	if (o->ip_ok != w->ip_ok ||
	    (!o->ip_ok && memcmp(oip + WIRE_IPV4_CSUM, wip + WIRE_IPV4_CSUM, 2))) {
		b |= BIT(DK_IP_CSUM);
		s->ipcsum[o->ip_ok][w->ip_ok]++;
	}
	return b;
}

/* The TCP header but the MD5 option and the checksum, and the payload. Return: kinds. */
static uint32_t diff_tcp(const struct emu_diff *d, struct diff_stats *s, const struct diff_view *g,
			 const struct diff_frame *o, const struct diff_frame *w)
{
	const uint8_t *ot = data_of(d, GUEST, o) + o->seg.l4_off;
	const uint8_t *wt = data_of(d, WIRE, w) + w->seg.l4_off;
	uint8_t fx = ot[WIRE_TCP_FLAGS] ^ wt[WIRE_TCP_FLAGS];
	uint32_t b = 0;

	/* ports are the flow's; seq is the resegmentation's */
	if (memcmp(ot + WIRE_TCP_ACK, wt + WIRE_TCP_ACK, 4))
		b |= BIT(DK_ACK);
	if (memcmp(ot + WIRE_TCP_WIN, wt + WIRE_TCP_WIN, 2))
		b |= BIT(DK_WINDOW);
	if (memcmp(ot + WIRE_TCP_URP, wt + WIRE_TCP_URP, 2))
		b |= BIT(DK_URGENT);
	if (fx & (WIRE_TCP_F_PSH | WIRE_TCP_F_FIN | WIRE_TCP_F_CWR))
		b |= BIT(DK_FLAGS_MOVED);
	if ((fx & ~(WIRE_TCP_F_PSH | WIRE_TCP_F_FIN | WIRE_TCP_F_CWR)) ||
	    ((ot[WIRE_TCP_DOFF] ^ wt[WIRE_TCP_DOFF]) & 0x0f))
		b |= BIT(DK_FLAGS_CHANGED);
	for (int i = 0; i < 8; i++) {
		if (fx & (1u << i)) {
			if (wt[WIRE_TCP_FLAGS] & (1u << i))
				s->flag_set[i]++;
			else
				s->flag_clr[i]++;
		}
	}
	if (o->seg.thlen != w->seg.thlen) {
		b |= BIT(o->seg.thlen > w->seg.thlen ? DK_OPT_STRIPPED : DK_OPT_ADDED);
		s->thlen[0] = o->seg.thlen;
		s->thlen[1] = w->seg.thlen;
	} else if (!other_options_equal(ot + WIRE_TCP_HLEN, o->seg.thlen - WIRE_TCP_HLEN,
					wt + WIRE_TCP_HLEN, w->seg.thlen - WIRE_TCP_HLEN)) {
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
static int diff_md5(const struct emu_diff *d, struct diff_stats *s, const struct diff_frame *o,
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
		return w->verdict == MD5SIG_VALID || !d->keys ? M5_RESIGN : M5_OTHER;
	}
	if (*b & DK_COVERED)
		*b |= BIT(DK_MD5_STALE);
	return M5_COPY;
}

/* Where the flags of the pieces of a split frame went, for the tso.flags rules. */
static void note_piece_flags(struct diff_tso *t, const struct diff_frame *o, uint8_t fo,
			     const struct diff_frame *w, uint8_t fw)
{
	uint8_t pf = fo & (WIRE_TCP_F_PSH | WIRE_TCP_F_FIN),
		pw = fw & (WIRE_TCP_F_PSH | WIRE_TCP_F_FIN);
	bool first = w->seq == o->seq, last = w->seq + w->plen == o->seq + o->plen;

	if (pf) {
		t->pf_seen |= pf;
		if (pw && pw != pf)
			t->pf_partly++;
		else
			t->pf[last][pw == pf]++;
	}
	if (fo & WIRE_TCP_F_CWR)
		t->cwr[first][!!(fw & WIRE_TCP_F_CWR)]++;
}

/* Compare wire frame @w with its origin @o: set w->bits, w->unexplained, stats and evidence. */
static void diff_pair(struct emu_diff *d, struct diff_stats *s, const struct diff_view *g,
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
	if (o->csum != w->csum ||
	    (o->csum == OFFLOAD_CSUM_BAD &&
	     memcmp(od + o->seg.l4_off + WIRE_TCP_CSUM, wd + w->seg.l4_off + WIRE_TCP_CSUM, 2))) {
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
		note_piece_flags(&d->tso, o, od[o->seg.l4_off + WIRE_TCP_FLAGS], w,
				 wd[w->seg.l4_off + WIRE_TCP_FLAGS]);
		o->pieces++;
	} else {
		d->csum_tx += completed;
	}
	w->bits |= b;
	w->unexplained |= b & ~ok;
}

/* Merge the byte ranges of segments @idx (in sequence order) into d->iv[side]. Return: pairs. */
static size_t merge_ranges(struct emu_diff *d, int side, const uint32_t *idx, size_t n)
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
static bool same_range(const struct emu_diff *d, int side, const struct diff_frame *a,
		       const struct diff_frame *b)
{
	return a->seq == b->seq && a->plen == b->plen &&
	       (a->plen || diff_ack_of(d, side, a) == diff_ack_of(d, side, b));
}

/*
 * The IP MTU the wire evidently has: its largest packet, or Ethernet's 1500 when all it carried
 * was smaller. A guest frame larger than this is one a NIC without TSO cannot send.
 */
uint32_t diff_wire_mtu(const struct emu_diff *d)
{
	return d->s[WIRE].max_iplen > 1500 ? d->s[WIRE].max_iplen : 1500;
}

static void note_missing(struct emu_diff *d, struct diff_frame *f)
{
	uint32_t iplen = f->seg.l4_off - f->seg.l3_off + f->seg.tcp_len;

	f->bits |= BIT(DK_MISSING);
	d->missing++;
	if (iplen > diff_wire_mtu(d)) {
		d->oversize++;
		if (iplen > d->oversize_max)
			d->oversize_max = iplen;
	}
}

/* Match and compare one flow present on both sides; fill @s. */
static void flow_diff(struct emu_diff *d, const struct diff_flow *fl, struct diff_stats *s)
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
		f->origin = find_origin(d, &gv, f, diff_ack_of(d, WIRE, f), rank, &dup);
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

int diff_compare(struct emu_diff *d, diff_flow_fn *fn, void *arg, char *err, size_t errlen)
{
	struct diff_stats s;
	bool common = false;

	for (size_t i = 0; i < d->nflows; i++) {
		const struct diff_flow *fl = &d->flows[i];
		if (!fl->ng || !fl->nw) {
			d->only_guest += fl->nw ? 0 : fl->ng;
			continue;
		}
		common = true;
		flow_diff(d, fl, &s);
		fn(arg, &frame_of(d, GUEST, d->gidx[fl->gb])->seg, &s);
	}
	d->compared = true;
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
