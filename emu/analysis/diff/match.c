// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Matching: each wire segment's origin among the guest's segments of its flow, the two
 * compared field by field (what changed, whether the flow's scheme covers it, which element
 * accounts for it), the evidence split pieces give about the tso stage and the rest about the
 * path's elements, the frames outside the other capture's window, and the bytes each side
 * never carried. Payloads are compared later (payload.c), from the slices noted here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "emu/analysis/diff/internal.h"

/*
 * One side of a flow in the order of cmp_seq(), duplicates left out: @nempty segments without
 * payload, then @ndata with payload, whose longest has @maxplen bytes.
 */
struct diff_view {
	const uint32_t *empty, *data;
	size_t nempty, ndata;
	uint32_t maxplen;
};

static struct diff_view view_of(const struct emu_diff *d, int side, const struct diff_flow *fl)
{
	const uint32_t *idx = d->s[side].idx + fl->ib;
	struct diff_view v = {.empty = idx};
	size_t lo = 0, hi = fl->nd;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (frame_of(d, side, idx[mid])->plen)
			hi = mid;
		else
			lo = mid + 1;
	}
	v.nempty = lo;
	v.data = idx + lo;
	v.ndata = fl->nd - lo;
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
		if (f->seq < seq || (f->seq == seq && f->ack < ack))
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
			d->c.cand[n++] = g->data[i];
	}
	if (n) {
		qsort(d->c.cand, n, sizeof(uint32_t), cmp_u32);
		return pick(d->c.cand, n, k, dup);
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

/* ---- options ---- */

static bool sig_kind(uint8_t kind)
{
	return kind == WIRE_TCPOPT_MD5 || kind == WIRE_TCPOPT_AO;
}

/*
 * The next option of the @len option bytes @p from *@o on, NOPs and signature options (MD5,
 * TCP-AO) skipped. Return: its length, or 0 at EOL, at the end, or where parsing stops (the
 * parser accepted the segment, so that is the end of what it used).
 */
static uint32_t next_option(const uint8_t *p, uint32_t len, uint32_t *o)
{
	while (*o < len && p[*o] != WIRE_TCPOPT_EOL) {
		if (p[*o] == WIRE_TCPOPT_NOP) {
			(*o)++;
			continue;
		}
		uint32_t ol = *o + 1 < len ? p[*o + 1] : 0;
		if (ol < 2 || *o + ol > len)
			break;
		if (!sig_kind(p[*o]))
			return ol;
		*o += ol;
	}
	return 0;
}

/*
 * The MSS option's value in @p (@len bytes), or -1. What MSS clamping (a router or firewall
 * rewriting the option in SYNs) changes.
 */
static int mss_of(const uint8_t *p, uint32_t len)
{
	uint32_t o = 0, ol;

	while ((ol = next_option(p, len, &o))) {
		if (p[o] == WIRE_TCPOPT_MSS && ol == 4)
			return wire_get16(p + o + 2);
		o += ol;
	}
	return -1;
}

/*
 * Do two option areas hold the same options, NOPs and signatures aside? Return: 0 if they do,
 * 1 if only the MSS value differs, 2 otherwise.
 */
static int options_differ(const uint8_t *a, uint32_t alen, const uint8_t *b, uint32_t blen)
{
	uint32_t oa = 0, ob = 0, la, lb;
	int r = 0;

	while ((la = next_option(a, alen, &oa)) == (lb = next_option(b, blen, &ob)) && la) {
		if (memcmp(a + oa, b + ob, la)) {
			if (a[oa] != WIRE_TCPOPT_MSS || b[ob] != WIRE_TCPOPT_MSS || la != 4)
				return 2;
			r = 1;
		}
		oa += la;
		ob += lb;
	}
	return la == lb ? r : 2;
}

/* The signature option (MD5 or TCP-AO) of a frame: its offset in f->opts, or -1. */
static int sig_at(const struct diff_frame *f, uint8_t *kind, uint8_t *len)
{
	uint32_t n = f->optcap, o = 0;

	while (o < n && f->opts[o] != WIRE_TCPOPT_EOL) {
		if (f->opts[o] == WIRE_TCPOPT_NOP) {
			o++;
			continue;
		}
		if (o + 1 >= n || f->opts[o + 1] < 2 || o + f->opts[o + 1] > n)
			break;
		if (sig_kind(f->opts[o])) {
			*kind = f->opts[o];
			*len = f->opts[o + 1];
			return (int)o;
		}
		o += f->opts[o + 1];
	}
	return -1;
}

/* ---- one pair ---- */

/* A wire frame's flow pair, with its scheme's coverage. */
struct pair_ctx {
	struct diff_flow *gf, *wf;
	const struct diff_view *g;
	uint32_t covered; /* the flow's scheme's coverage mask */
	bool ao;
};

uint32_t diff_covered(const struct diff_flow *gf, const struct diff_flow *wf)
{
	const struct diff_flow *fl = gf->ao || !wf->ao ? gf : wf;

	return fl->ao && fl->ao_excl != 1 ? DK_COVERED | DK_COVERED_AO_OPTS : DK_COVERED;
}

/* The IP header: everything but the addresses, which are the flow's. Return: kinds. */
static uint32_t diff_ip(struct emu_diff *d, const struct diff_flow *gf, struct diff_frame *o,
			struct diff_frame *w, bool piece)
{
	uint32_t b = 0;

	if (o->tos != w->tos)
		b |= BIT(DK_TOS);
	if (o->iphash != w->iphash || o->frag != w->frag)
		b |= BIT(DK_IP_OTHER);
	if (o->ttl != w->ttl)
		b |= BIT(DK_TTL);
	if (gf->k.family == AF_INET6)
		return b;

	/*
	 * piece i of a split frame: Linux gives it ID0 + i, a fixed-ID engine ID0; i from where
	 * the piece starts (pieces before it may be outside the capture), by the pieces' size
	 */
	uint32_t i = o->pieces;
	if (piece && w->seq + w->plen < o->seq + o->plen && w->plen > o->pmss)
		o->pmss = (uint16_t)(w->plen > UINT16_MAX ? UINT16_MAX : w->plen);
	if (piece && o->pmss)
		i = (uint32_t)((w->seq - o->seq + o->pmss - 1) / o->pmss);
	bool inc = piece && w->ipid == (uint16_t)(o->ipid + i);
	if (w->ipid != o->ipid) {
		b |= BIT(DK_IPID);
		if (inc)
			w->st |= FR_IDINC;
	}
	if (piece && i)
		d->c.tso.id[inc ? ID_INC : w->ipid == o->ipid ? ID_FIXED : ID_OTHER]++;
	/* a correct checksum over a changed header is the change's, not news */
	if (o->ip_ok != w->ip_ok || (!o->ip_ok && o->ipcsum != w->ipcsum))
		b |= BIT(DK_IP_CSUM);
	return b;
}

/* The fixed TCP header but seq and the checksum, and the options. Return: kinds. */
static uint32_t diff_tcp(const struct diff_frame *o, const struct diff_frame *w)
{
	uint8_t fx = o->tflags ^ w->tflags;
	uint32_t b = 0;

	if (o->ack != w->ack)
		b |= BIT(DK_ACK);
	if (o->win != w->win)
		b |= BIT(DK_WINDOW);
	if (o->urp != w->urp)
		b |= BIT(DK_URGENT);
	if (fx & (WIRE_TCP_F_PSH | WIRE_TCP_F_FIN | WIRE_TCP_F_CWR))
		b |= BIT(DK_FLAGS_MOVED);
	if ((fx & ~(WIRE_TCP_F_PSH | WIRE_TCP_F_FIN | WIRE_TCP_F_CWR)) ||
	    ((o->doff ^ w->doff) & 0x0f))
		b |= BIT(DK_FLAGS_CHANGED);
	if (frame_thlen(o) != frame_thlen(w))
		b |= BIT(frame_thlen(o) > frame_thlen(w) ? DK_OPT_STRIPPED : DK_OPT_ADDED);
	else if ((o->st | w->st) & FR_OPTCUT)
		; /* options not all captured: not compared */
	else
		switch (options_differ(o->opts, o->optcap, w->opts, w->optcap)) {
		case 1:
			b |= BIT(DK_MSS);
			break;
		case 2:
			b |= BIT(DK_OPT_CHANGED);
			break;
		}
	return b;
}

/* The signature option, after the covered fields @b it may have been copied over. Return: SIG_*. */
static int diff_sig(const struct emu_diff *d, const struct pair_ctx *p, const struct diff_frame *o,
		    struct diff_frame *w, uint32_t *b)
{
	uint8_t ok = 0, wk = 0, ol = 0, wl = 0;
	int oat, wat;

	if ((o->st | w->st) & FR_OPTCUT)
		return SIG_OTHER;
	oat = sig_at(o, &ok, &ol);
	wat = sig_at(w, &wk, &wl);
	if (oat < 0 && wat < 0)
		return SIG_UNSIGNED;
	if (oat < 0) {
		*b |= BIT(DK_SIG_ADDED);
		return SIG_OTHER;
	}
	if (wat < 0 || wk != ok) {
		/* tso.md5=strip and option blanking: kind, length and value overwritten with NOPs */
		bool nops = frame_thlen(o) == frame_thlen(w) && (uint32_t)oat + ol <= w->optcap;
		for (unsigned i = 0; nops && i < ol; i++)
			nops = w->opts[oat + i] == WIRE_TCPOPT_NOP;
		*b |= BIT(DK_SIG_REMOVED) | (wat >= 0 ? BIT(DK_SIG_ADDED) : 0);
		if (nops)
			w->st |= FR_STRIP;
		return nops ? SIG_STRIP : SIG_OTHER;
	}
	if (ol != wl || memcmp(o->opts + oat, w->opts + wat, ol)) {
		*b |= BIT(DK_SIG_CHANGED);
		bool valid = ok == WIRE_TCPOPT_MD5 ? w->md5v == V5_VALID : w->aov == VA_VALID;
		/* without keys a new signature is taken for a re-signed one */
		return valid || !d->keys ? SIG_RESIGN : SIG_OTHER;
	}
	w->st |= FR_SIGCOPY;
	if (*b & p->covered)
		*b |= BIT(DK_SIG_STALE);
	return SIG_COPY;
}

/* Where the flags of the pieces of a split frame went, for the tso.flags rules. */
static void note_piece_flags(struct diff_tso *t, const struct diff_frame *o,
			     const struct diff_frame *w)
{
	uint8_t pf = o->tflags & (WIRE_TCP_F_PSH | WIRE_TCP_F_FIN),
		pw = w->tflags & (WIRE_TCP_F_PSH | WIRE_TCP_F_FIN);
	bool first = w->seq == o->seq, last = w->seq + w->plen == o->seq + o->plen;

	if (pf) {
		t->pf_seen |= pf;
		if (pw && pw != pf)
			t->pf_partly++;
		else
			t->pf[last][pw == pf]++;
	}
	if (o->tflags & WIRE_TCP_F_CWR)
		t->cwr[first][!!(w->tflags & WIRE_TCP_F_CWR)]++;
}

static int add_task(struct emu_diff *d, uint32_t g, uint32_t w, uint32_t goff, uint32_t woff,
		    uint32_t len, bool bad)
{
	struct diff_cmp *c = &d->c;

	if (c->ntasks == c->tcap) {
		size_t cap = c->tcap ? 2 * c->tcap : 4096;
		struct diff_task *t = realloc(c->tasks, cap * sizeof(*t));
		if (!t)
			return -ENOMEM;
		c->tasks = t;
		c->tcap = cap;
	}
	c->tasks[c->ntasks++] = (struct diff_task){g, w, goff, woff, len, bad, 0};
	return 0;
}

/*
 * The payload slice [@a, @b) of wire frame @w against guest frame @c: a task for the bytes
 * both captured. Return: bytes compared, or -ENOMEM.
 */
static long slice(struct emu_diff *d, uint32_t ci, uint32_t wi, int64_t a, int64_t b)
{
	const struct diff_frame *c = frame_of(d, GUEST, ci), *w = frame_of(d, WIRE, wi);

	if (b > c->seq + c->capt)
		b = c->seq + c->capt;
	if (b > w->seq + w->capt)
		b = w->seq + w->capt;
	if (a >= b)
		return 0;
	if (c->seq == w->seq && c->plen == w->plen && !((c->st | w->st) & FR_CUT)) {
		/* the same range, both whole: their digests say it */
		if (c->phash == w->phash)
			return b - a;
		return add_task(d, ci, wi, 0, 0, (uint32_t)(b - a), true) ? -ENOMEM : b - a;
	}
	return add_task(d, ci, wi, (uint32_t)(a - c->seq), (uint32_t)(a - w->seq),
			(uint32_t)(b - a), false)
		       ? -ENOMEM
		       : b - a;
}

/* The payload of @w against its origin @o, or the guest segments it coalesces. */
static int note_payload(struct emu_diff *d, const struct pair_ctx *p, uint32_t oi, uint32_t wi)
{
	const struct diff_frame *o = frame_of(d, GUEST, oi), *w = frame_of(d, WIRE, wi);
	int64_t end = w->seq + w->plen, covered = 0;
	long n;

	if (!w->plen)
		return 0;
	if (o->seq <= w->seq && o->seq + o->plen >= end) {
		covered = w->plen;
		if ((n = slice(d, oi, wi, w->seq, end)) < 0)
			return -ENOMEM;
	} else {
		/* coalesced: each byte from the first guest segment holding it */
		int64_t pos = w->seq;
		n = 0;
		size_t i = data_lower(d, p->g, w->seq - p->g->maxplen, 0);
		for (; i < p->g->ndata && pos < end; i++) {
			const struct diff_frame *c = frame_of(d, GUEST, p->g->data[i]);
			if (c->seq >= end)
				break;
			if (c->seq + c->plen <= pos)
				continue;
			int64_t a = c->seq > pos ? c->seq : pos;
			int64_t b = c->seq + c->plen < end ? c->seq + c->plen : end;
			long m = slice(d, p->g->data[i], wi, a, b);
			if (m < 0)
				return -ENOMEM;
			n += m;
			covered += b - a;
			pos = b;
		}
	}
	if (n < covered) {
		p->wf->cut++;
		p->wf->cut_bytes += (unsigned long)(covered - n);
	}
	return 0;
}

/* Compare wire frame @w with its origin @o: bits, flags and the evidence. */
static int diff_pair(struct emu_diff *d, const struct pair_ctx *p, uint32_t oi, uint32_t wi)
{
	struct diff_frame *o = frame_of(d, GUEST, oi), *w = frame_of(d, WIRE, wi);
	bool contained = o->seq <= w->seq && o->seq + o->plen >= w->seq + w->plen;
	bool piece = w->plen && contained && (o->seq != w->seq || o->plen != w->plen);
	uint32_t b = 0;

	if (w->plen && !contained) {
		b |= BIT(DK_RESEG);
		d->c.coalesced++;
	} else if (piece) {
		b |= BIT(DK_RESEG);
		w->st |= FR_PIECE;
	}
	if (p->wf->delta)
		b |= BIT(DK_SEQ_OFFSET);
	if (memcmp(&p->gf->k, &p->wf->k, sizeof(p->gf->k)))
		b |= BIT(DK_ADDR);
	/* link headers compare only when both captures have the same kind */
	if (d->s[GUEST].linktype == d->s[WIRE].linktype && !d->s[GUEST].mixed &&
	    !d->s[WIRE].mixed && o->linkhash != w->linkhash)
		b |= BIT(DK_LINK);
	if (w->nfrags)
		b |= BIT(DK_FRAGMENTED);
	b |= diff_ip(d, p->gf, o, w, piece);
	b |= diff_tcp(o, w);
	int sig = diff_sig(d, p, o, w, &b);

	/* the TCP checksum: a changed state, or a different wrong value */
	if (o->csum != CSUM_UNKNOWN && w->csum != CSUM_UNKNOWN &&
	    (o->csum != w->csum || (o->csum == OFFLOAD_CSUM_BAD && o->tcsum != w->tcsum)))
		b |= BIT(DK_TCP_CSUM);
	bool completed = w->csum == OFFLOAD_CSUM_COMPLETE &&
			 (o->csum == OFFLOAD_CSUM_PARTIAL || o->csum == OFFLOAD_CSUM_PARTIAL_NOLEN);
	if (completed)
		w->st |= FR_CSUM_DONE;

	if (piece) {
		d->c.tso.pieces++;
		d->c.tso.sig[sig]++;
		uint8_t k = 0, l = 0;
		d->c.tso.sig_ao +=
			sig != SIG_UNSIGNED && sig_at(o, &k, &l) >= 0 && k == WIRE_TCPOPT_AO;
		d->c.tso.csum_completed += completed;
		note_piece_flags(&d->c.tso, o, w);
		o->pieces++;
	} else {
		d->c.csum_tx += completed;
	}
	/* which way the verdicts turned, for the direction */
	bool ov = o->md5v == V5_VALID || o->aov == VA_VALID;
	bool wv = w->md5v == V5_VALID || w->aov == VA_VALID;
	bool wbad = w->md5v == V5_INVALID || w->md5v == V5_MISSING || w->aov == VA_INVALID ||
		    w->aov == VA_MISSING;
	bool obad = o->md5v == V5_INVALID || o->md5v == V5_MISSING || o->aov == VA_INVALID ||
		    o->aov == VA_MISSING;
	d->c.turned[0] += ov && wbad;
	d->c.turned[1] += obad && wv && !ov;
	w->bits |= b;
	return note_payload(d, p, oi, wi);
}

/* Match and compare the wire frames @w[from..to) of a flow pair, their acks less @ack_adj. */
static int match_run(struct emu_diff *d, const struct pair_ctx *p, const uint32_t *w, size_t from,
		     size_t to, uint32_t ack_adj)
{
	unsigned long rank = 0;
	int r;

	for (size_t j = from; j < to; j++) {
		struct diff_frame *f = frame_of(d, WIRE, w[j]), *prev;
		bool dup;

		/* the k-th wire copy of a range pairs with the k-th guest copy */
		prev = j > from ? frame_of(d, WIRE, w[j - 1]) : NULL;
		if (prev && prev->seq == f->seq && prev->plen == f->plen &&
		    (f->plen || prev->ack == f->ack))
			rank++;
		else
			rank = 0;
		f->origin = find_origin(d, p->g, f, f->ack - ack_adj, rank, &dup);
		if (f->origin == DIFF_NONE)
			continue;
		frame_of(d, GUEST, f->origin)->uses++;
		if (dup)
			f->bits |= BIT(DK_RETRANS);
		if ((r = diff_pair(d, p, f->origin, w[j])))
			return r;
		d->c.matched++;
	}
	return 0;
}

/*
 * Is every changed ack of the flow pair's matched wire frames @w[from..to) moved by one
 * offset (ISN randomization translating the acks back)? Sets wf->ack_state and ack_delta.
 */
static void ack_offset(struct emu_diff *d, struct diff_flow *wf, const uint32_t *w, size_t from,
		       size_t to)
{
	for (size_t j = from; j < to; j++) {
		const struct diff_frame *f = frame_of(d, WIRE, w[j]);
		if (f->origin == DIFF_NONE || !(f->bits & BIT(DK_ACK)) ||
		    !(f->tflags & WIRE_TCP_F_ACK))
			continue;
		uint32_t delta = f->ack - frame_of(d, GUEST, f->origin)->ack;
		if (!wf->ack_state)
			wf->ack_delta = delta;
		wf->ack_state =
			!wf->ack_state || (wf->ack_state == 1 && delta == wf->ack_delta) ? 1 : 2;
	}
}

/*
 * Match and compare one pair of flows: guest flow @gi and its peer. Segments with payload
 * first (their ranges say where they belong); then those without, by seq and ack, the acks
 * read back by the offset the path added, if one (the reverse flow's sequence offset, or one
 * constant the segments with payload showed).
 */
static int flow_match(struct emu_diff *d, uint32_t gi)
{
	struct diff_side *g = &d->s[GUEST], *ws = &d->s[WIRE];
	struct diff_flow *gf = &g->fl[gi], *wf = &ws->fl[gf->peer];
	const uint32_t *w = ws->idx + wf->ib;
	struct diff_view gv = view_of(d, GUEST, gf), wv = view_of(d, WIRE, wf);
	struct pair_ctx p = {gf, wf, &gv, diff_covered(gf, wf), gf->ao || wf->ao};
	uint32_t ack_adj = 0;
	int r;

	wf->ack_state = 0;
	wf->ack_delta = 0;
	if ((r = match_run(d, &p, w, wv.nempty, wf->nd, 0)))
		return r;
	ack_offset(d, wf, w, wv.nempty, wf->nd);
	if (gf->rev != DIFF_NONE && g->fl[gf->rev].peer != DIFF_NONE &&
	    ws->fl[g->fl[gf->rev].peer].delta)
		ack_adj = ws->fl[g->fl[gf->rev].peer].delta;
	else if (wf->ack_state == 1)
		ack_adj = wf->ack_delta;
	if ((r = match_run(d, &p, w, 0, wv.nempty, ack_adj)))
		return r;
	wf->ack_state = 0;
	ack_offset(d, wf, w, 0, wf->nd);
	return 0;
}

int diff_match(struct emu_diff *d)
{
	const struct diff_side *g = &d->s[GUEST];
	size_t most[2] = {0, 0};
	int r;

	for (int side = GUEST; side <= WIRE; side++)
		for (size_t i = 0; i < d->s[side].nfl; i++)
			if (d->s[side].fl[i].n > most[side])
				most[side] = d->s[side].fl[i].n;
	/* scratch for one flow pair at a time (the guest's also holds a copy of the wire's) */
	for (int side = GUEST; side <= WIRE; side++) {
		free(d->c.iv[side]);
		size_t n = side == GUEST ? most[GUEST] + most[WIRE] : most[WIRE];
		if (!(d->c.iv[side] = malloc((2 * n + 2) * sizeof(int64_t))))
			return -ENOMEM;
	}
	free(d->c.cand);
	if (!(d->c.cand = malloc((most[GUEST] + 1) * sizeof(uint32_t))))
		return -ENOMEM;
	for (uint32_t i = 0; i < g->nfl; i++)
		if (g->fl[i].peer != DIFF_NONE && (r = flow_match(d, i)))
			return r;
	return 0;
}

/* ---- the direction ---- */

bool diff_direction(struct emu_diff *d)
{
	const struct diff_cmp *c = &d->c;
	unsigned long fwd = c->tso.pieces + c->turned[0], rev = c->coalesced + c->turned[1];
	const char *a = d->s[GUEST].path, *b = d->s[WIRE].path;

	d->warning[0] = '\0';
	if (!rev)
		return false;
	snprintf(d->warning, sizeof(d->warning),
		 "the captures look swapped: %s, given as the guest's, has the wire's traits (%lu "
		 "frame%s of %s hold%s several of its frames, %lu %s cut from one; %lu "
		 "signature%s invalid or missing in it %s valid in %s, %lu the other way)",
		 a, c->coalesced, c->coalesced == 1 ? "" : "s", b, c->coalesced == 1 ? "s" : "",
		 c->tso.pieces, c->tso.pieces == 1 ? "is" : "are", c->turned[1],
		 c->turned[1] == 1 ? "" : "s", c->turned[1] == 1 ? "is" : "are", b, c->turned[0]);
	if (fwd) {
		diff_appendf(d->warning, sizeof(d->warning),
			     ": the evidence points both ways, compared as given");
		return false;
	}
	if (d->keep_order) {
		diff_appendf(d->warning, sizeof(d->warning), ": compared as given (--no-swap)");
		return false;
	}
	diff_appendf(d->warning, sizeof(d->warning), ": compared the other way round");
	return true;
}

/* ---- scope, missing and extra ---- */

/* Merge the byte ranges of in-scope segments @idx (in sequence order) into iv. Return: pairs. */
static size_t merge_ranges(const struct emu_diff *d, int side, int64_t *iv, const uint32_t *idx,
			   size_t n)
{
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		const struct diff_frame *f = frame_of(d, side, idx[i]);
		if (f->st & FR_OUT)
			continue;
		if (m && f->seq <= iv[2 * m - 1]) {
			if (f->seq + f->plen > iv[2 * m - 1])
				iv[2 * m - 1] = f->seq + f->plen;
			continue;
		}
		iv[2 * m] = f->seq;
		iv[2 * m + 1] = f->seq + f->plen;
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
static bool same_range(const struct diff_frame *a, const struct diff_frame *b)
{
	return a->seq == b->seq && a->plen == b->plen && (a->plen || a->ack == b->ack);
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
	uint32_t iplen = f->iphl + frame_thlen(f) + f->plen;

	f->bits |= BIT(DK_MISSING);
	d->c.missing++;
	if (iplen > diff_wire_mtu(d)) {
		d->c.oversize++;
		if (iplen > d->c.oversize_max)
			d->c.oversize_max = iplen;
	}
}

/* The first and last frame number (capture order) with a counterpart, per side and flow. */
struct span {
	uint32_t lo, hi;
};

static void span_add(struct span *s, uint32_t no)
{
	if (!s->lo || no < s->lo)
		s->lo = no;
	if (no > s->hi)
		s->hi = no;
}

/*
 * Is frame @f (without a counterpart) outside the other capture's window? With payload: when
 * its bytes lie wholly before (after) the sequence numbers the other capture's flow covers and
 * it was sent before the first (after the last) frame of its capture that has a counterpart;
 * without: when it comes before (after) those frames in its capture and its flow, and its
 * sequence number too. Return: 0 in scope, 1 before, 2 after.
 */
static int outside(const struct diff_frame *f, const struct span *all, const struct span *flow,
		   int64_t lo, int64_t hi)
{
	if (f->plen) {
		if (f->seq + f->plen <= lo && f->no < all->lo)
			return 1;
		if (f->seq >= hi && f->no > all->hi)
			return 2;
		return 0;
	}
	if (f->no < all->lo && (!flow->lo || f->no < flow->lo) && (f->seq <= lo || !flow->lo))
		return 1;
	if (f->no > all->hi && (!flow->hi || f->no > flow->hi) && (f->seq >= hi || !flow->hi))
		return 2;
	return 0;
}

/* Clip the @m merged ranges @iv to [@lo, @hi). Return: the ranges left. */
static size_t clip_ranges(int64_t *iv, size_t m, int64_t lo, int64_t hi)
{
	size_t n = 0;

	for (size_t i = 0; i < m; i++) {
		int64_t a = iv[2 * i] > lo ? iv[2 * i] : lo,
			b = iv[2 * i + 1] < hi ? iv[2 * i + 1] : hi;
		if (a >= b)
			continue;
		iv[2 * n] = a;
		iv[2 * n + 1] = b;
		n++;
	}
	return n;
}

/* The sequence numbers a side's flow covers (duplicates aside): [*lo, *hi). */
static void seq_window(const struct emu_diff *d, int side, const struct diff_flow *fl, int64_t *lo,
		       int64_t *hi)
{
	const uint32_t *idx = d->s[side].idx + fl->ib;

	*lo = INT64_MAX;
	*hi = INT64_MIN;
	for (size_t i = 0; i < fl->nd; i++) {
		const struct diff_frame *f = frame_of(d, side, idx[i]);
		if (f->seq < *lo)
			*lo = f->seq;
		if (f->seq + f->plen > *hi)
			*hi = f->seq + f->plen;
	}
}

/* One flow pair: frames out of scope, then missing, extra and retransmitted ones. */
static void flow_scope(struct emu_diff *d, uint32_t gi, const struct span all[2])
{
	struct diff_flow *gf = &d->s[GUEST].fl[gi], *wf = &d->s[WIRE].fl[gf->peer];
	const uint32_t *g = d->s[GUEST].idx + gf->ib, *w = d->s[WIRE].idx + wf->ib;
	struct span sp[2] = {{0, 0}, {0, 0}};
	int64_t lo[2], hi[2];

	for (size_t j = 0; j < wf->nd; j++) {
		const struct diff_frame *f = frame_of(d, WIRE, w[j]);
		if (f->origin != DIFF_NONE) {
			span_add(&sp[WIRE], f->no);
			span_add(&sp[GUEST], frame_of(d, GUEST, f->origin)->no);
		}
	}
	seq_window(d, GUEST, gf, &lo[GUEST], &hi[GUEST]);
	seq_window(d, WIRE, wf, &lo[WIRE], &hi[WIRE]);
	for (size_t i = 0; i < gf->nd; i++) {
		struct diff_frame *f = frame_of(d, GUEST, g[i]);
		int o = f->uses ? 0 : outside(f, &all[GUEST], &sp[GUEST], lo[WIRE], hi[WIRE]);
		if (o) {
			f->st |= FR_OUT;
			gf->out[o - 1]++;
		}
	}
	for (size_t j = 0; j < wf->nd; j++) {
		struct diff_frame *f = frame_of(d, WIRE, w[j]);
		int o = f->origin != DIFF_NONE
				? 0
				: outside(f, &all[WIRE], &sp[WIRE], lo[GUEST], hi[GUEST]);
		if (o) {
			f->st |= FR_OUT;
			wf->out[o - 1]++;
		}
	}

	/* bytes never on the other side, within the window both captures cover */
	struct diff_view gv = view_of(d, GUEST, gf), wv = view_of(d, WIRE, wf);
	int64_t *giv = d->c.iv[GUEST], *wiv = d->c.iv[WIRE];
	size_t mg = merge_ranges(d, GUEST, giv, gv.data, gv.ndata);
	size_t mw = merge_ranges(d, WIRE, wiv, wv.data, wv.ndata);
	size_t cg = clip_ranges(giv, mg, lo[WIRE], hi[WIRE]);
	gf->missing_bytes = uncovered_bytes(giv, cg, wiv, mw);
	mg = merge_ranges(d, GUEST, giv, gv.data, gv.ndata);
	/* (the wire's ranges are clipped in a copy past the guest's, which stay whole) */
	int64_t *cw = giv + 2 * mg;
	memcpy(cw, wiv, 2 * mw * sizeof(*cw));
	gf->extra_bytes = uncovered_bytes(cw, clip_ranges(cw, mw, lo[GUEST], hi[GUEST]), giv, mg);
	for (size_t j = 0; j < wf->nd; j++) {
		struct diff_frame *f = frame_of(d, WIRE, w[j]);
		if (f->st & FR_OUT)
			continue;
		if (f->plen ? !covered_by(giv, mg, f->seq, f->seq + f->plen)
			    : f->origin == DIFF_NONE)
			f->bits |= BIT(DK_EXTRA);
	}
	/* guest copies of a range (adjacent in sequence order) in turn: was any of them sent? */
	for (size_t i = 0, end; i < gf->nd; i = end) {
		const struct diff_frame *first = frame_of(d, GUEST, g[i]);
		bool sent = false;

		for (end = i; end < gf->nd && same_range(first, frame_of(d, GUEST, g[end])); end++)
			sent |= frame_of(d, GUEST, g[end])->uses > 0;
		for (size_t c = i; c < end; c++) {
			struct diff_frame *f = frame_of(d, GUEST, g[c]);
			if (f->st & FR_OUT)
				continue;
			/* a frame partly on the wire: its bytes outside the wire's window aside */
			int64_t a = f->seq, b = f->seq + f->plen;
			if (f->uses) {
				a = a > lo[WIRE] ? a : lo[WIRE];
				b = b < hi[WIRE] ? b : hi[WIRE];
			}
			if (f->plen ? a < b && !covered_by(wiv, mw, a, b) : !sent)
				note_missing(d, f);
			else if (!f->uses && sent)
				f->bits |= BIT(DK_RETRANS); /* the wire carried another copy only */
		}
	}
}

void diff_scope(struct emu_diff *d)
{
	struct span all[2] = {{0, 0}, {0, 0}};
	const struct diff_side *w = &d->s[WIRE];

	for (size_t j = 0; j < w->n; j++) {
		const struct diff_frame *f = &w->f[j];
		if (f->origin != DIFF_NONE) {
			span_add(&all[WIRE], f->no);
			span_add(&all[GUEST], frame_of(d, GUEST, f->origin)->no);
		}
	}
	for (int side = GUEST; side <= WIRE; side++) {
		struct diff_side *s = &d->s[side];
		for (uint32_t i = 0; i < s->nfl; i++) {
			struct diff_flow *fl = &s->fl[i];
			if (fl->peer != DIFF_NONE) {
				if (side == GUEST)
					flow_scope(d, i, all);
				continue;
			}
			/* a flow of one side only: wholly before or after the other capture? */
			uint32_t lo = UINT32_MAX, hi = 0;
			const uint32_t *idx = s->idx + fl->ib;
			for (size_t k = 0; k < fl->n; k++) {
				uint32_t no = s->f[idx[k]].no;
				lo = no < lo ? no : lo;
				hi = no > hi ? no : hi;
			}
			bool out = hi < all[side].lo || lo > all[side].hi;
			if (out) {
				d->c.out_flows[side]++;
				for (size_t k = 0; k < fl->n; k++)
					s->f[idx[k]].st |= FR_OUT;
			} else if (side == GUEST) {
				d->c.only_guest += fl->n;
			}
		}
	}
}

/* ---- what accounts for each difference ---- */

/*
 * The kinds of wire frame @w (in flow pair @gf, @wf) the elements account for, noting the
 * evidence for the path's elements: what seqrand, optstrip, nat, window, mss-clamp and
 * fragment do to a frame, and tso and tx-csum.
 */
static uint32_t accounted(struct emu_diff *d, const struct diff_flow *gf,
			  const struct diff_flow *wf, const struct diff_frame *o,
			  const struct diff_frame *w)
{
	struct diff_path *pe = &d->c.path;
	uint32_t ok = 0, b = w->bits;

	if (w->st & FR_PIECE)
		ok |= DK_TSO_PIECE;
	if (w->st & FR_CSUM_DONE)
		ok |= BIT(DK_TCP_CSUM);
	if ((b & BIT(DK_SEQ_OFFSET)) || ((b & BIT(DK_ACK)) && wf->ack_state == 1)) {
		ok |= BIT(DK_SEQ_OFFSET) | (wf->ack_state == 1 ? BIT(DK_ACK) : 0);
		pe->frames[PE_SEQRAND]++;
	}
	if ((b & BIT(DK_SIG_REMOVED)) && (w->st & FR_STRIP) && !(w->st & FR_PIECE)) {
		uint8_t k = 0, l = 0;
		ok |= BIT(DK_SIG_REMOVED);
		pe->frames[PE_OPTSTRIP]++;
		sig_at(o, &k, &l);
		pe->strip_kinds |= k == WIRE_TCPOPT_AO ? 2 : 1;
	} else if ((b & BIT(DK_SIG_REMOVED)) && (w->st & FR_STRIP)) {
		pe->strip_pieces++; /* tso.md5=strip, or the path blanking what tso copied */
	}
	if (b & BIT(DK_ADDR)) {
		ok |= BIT(DK_ADDR);
		pe->frames[PE_NAT]++;
	}
	if (b & BIT(DK_WINDOW)) {
		ok |= BIT(DK_WINDOW);
		if (!pe->frames[PE_WINDOW]) {
			pe->win[0] = o->win;
			pe->win[1] = w->win;
			pe->win_clamp = w->win < o->win;
		} else {
			pe->win_mixed |= pe->win[0] != o->win || pe->win[1] != w->win;
			pe->win_clamp &= w->win < o->win && w->win == pe->win[1];
		}
		pe->frames[PE_WINDOW]++;
	}
	if (b & BIT(DK_MSS)) {
		int a = mss_of(o->opts, o->optcap), z = mss_of(w->opts, w->optcap);
		if (z < a) {
			ok |= BIT(DK_MSS);
			if (!pe->frames[PE_MSS]) {
				pe->mss[0] = (uint16_t)a;
				pe->mss[1] = (uint16_t)z;
			}
			pe->frames[PE_MSS]++;
		} else {
			pe->mss_up = true;
		}
	}
	if (b & BIT(DK_FRAGMENTED)) {
		/* DF cleared so that the segment could be fragmented */
		ok |= BIT(DK_FRAGMENTED) |
		      ((o->frag ^ w->frag) == WIRE_IPV4_DF && o->iphash == w->iphash
			       ? BIT(DK_IP_OTHER)
			       : 0);
		pe->frames[PE_FRAGMENT]++;
		pe->frags += w->nfrags;
		if (w->fragmax > pe->fragmax)
			pe->fragmax = w->fragmax;
	}
	/* a signature copied over changes that are all accounted for is their consequence */
	if ((b & BIT(DK_SIG_STALE)) && !(b & ~ok & diff_covered(gf, wf)))
		ok |= BIT(DK_SIG_STALE);
	return ok;
}

void diff_finish(struct emu_diff *d)
{
	struct diff_side *g = &d->s[GUEST], *w = &d->s[WIRE];
	struct diff_cmp *c = &d->c;

	for (uint32_t i = 0; i < g->nfl; i++) {
		struct diff_flow *gf = &g->fl[i];
		if (gf->peer == DIFF_NONE) {
			for (size_t k = 0; k < gf->n; k++) {
				struct diff_frame *f = &g->f[g->idx[gf->ib + k]];
				if (!(f->st & FR_OUT))
					c->bits |= BIT(DK_MISSING);
			}
			continue;
		}
		struct diff_flow *wf = &w->fl[gf->peer];
		const uint32_t *wi = w->idx + wf->ib, *gi = g->idx + gf->ib;
		unsigned long before[PE_N];
		memcpy(before, c->path.frames, sizeof(before));
		for (size_t j = 0; j < wf->nd; j++) {
			struct diff_frame *f = &w->f[wi[j]];
			uint32_t ok = 0;
			if (f->origin != DIFF_NONE) {
				const struct diff_frame *o = &g->f[f->origin];
				/* a payload changed under a copied signature makes it stale too */
				if ((f->bits & BIT(DK_PAYLOAD)) && (f->st & FR_SIGCOPY))
					f->bits |= BIT(DK_SIG_STALE);
				ok = accounted(d, gf, wf, o, f);
				g->f[f->origin].bits |= f->bits & ~DK_FRAMES;
			}
			f->unexplained = f->bits & ~ok;
			c->bits |= f->bits;
			uint32_t un = f->unexplained & ~(uint32_t)DK_SIG_ANY;
			c->unexplained |= un;
			for (int k = DK_SIG_REMOVED; k <= DK_SIG_STALE; k++)
				if (f->unexplained & BIT(k))
					c->unexplained |=
						wf->ao || gf->ao ? BIT64(DK_AO(k)) : BIT64(k);
		}
		for (size_t j = 0; j < gf->nd; j++) {
			const struct diff_frame *f = &g->f[gi[j]];
			c->bits |= f->bits;
			c->unexplained |= f->bits & DK_FRAMES;
		}
		for (int k = 0; k < PE_N; k++)
			c->path.flows[k] += c->path.frames[k] > before[k];
		if (c->path.frames[PE_SEQRAND] > before[PE_SEQRAND]) {
			if (wf->delta && !c->path.seq_flows++)
				c->path.seq_delta = wf->delta;
			else if (wf->delta && wf->delta != c->path.seq_delta)
				c->path.seq_mixed = true;
			/* acks moved back by the reverse flow's offset */
			if (wf->ack_state == 1 && gf->rev != DIFF_NONE &&
			    g->fl[gf->rev].peer != DIFF_NONE &&
			    w->fl[g->fl[gf->rev].peer].delta == wf->ack_delta)
				c->path.ack_back++;
		}
		if (c->path.frames[PE_NAT] > before[PE_NAT] && !c->path.nat_g.family) {
			c->path.nat_g = gf->k;
			c->path.nat_w = wf->k;
		}
	}
	if (c->only_guest)
		c->unexplained |= BIT64(DK_MISSING);
}

/* ---- per-flow counts ---- */

static void note_example(int ex[2], bool *mixed, int a, int b)
{
	if (ex[0] < 0) {
		ex[0] = a;
		ex[1] = b;
	} else if (ex[0] != a || ex[1] != b) {
		*mixed = true;
	}
}

/* The counts and examples of one wire frame @w against its origin @o. */
static void count_pair(struct diff_stats *s, const struct diff_frame *o, const struct diff_frame *w)
{
	if (w->bits & BIT(DK_RESEG)) {
		if (w->st & FR_PIECE) {
			s->split++;
			if (w->plen > s->mss)
				s->mss = w->plen;
		} else {
			s->coalesced++;
		}
	}
	uint8_t fx = o->tflags ^ w->tflags;
	for (int i = 0; i < 8; i++)
		if (fx & (1u << i))
			(w->tflags & (1u << i) ? s->flag_set : s->flag_clr)[i]++;
	if (w->bits & (BIT(DK_OPT_STRIPPED) | BIT(DK_OPT_ADDED))) {
		s->thlen[0] = frame_thlen(o);
		s->thlen[1] = frame_thlen(w);
	}
	if (w->bits & BIT(DK_SIG_REMOVED))
		s->sig_nops += !!(w->st & FR_STRIP);
	if (w->bits & BIT(DK_SIG_CHANGED))
		s->sig_valid += w->md5v == V5_VALID || w->aov == VA_VALID;
	s->id_inc += !!(w->st & FR_IDINC);
	if (w->bits & BIT(DK_TTL))
		note_example(s->ttl, &s->ttl_mixed, o->ttl, w->ttl);
	if (w->bits & BIT(DK_WINDOW))
		note_example(s->win, &s->win_mixed, o->win, w->win);
	if (w->bits & BIT(DK_MSS))
		note_example(s->mss_opt, &s->mss_mixed, mss_of(o->opts, o->optcap),
			     mss_of(w->opts, w->optcap));
	if (w->bits & BIT(DK_TCP_CSUM))
		s->csum[o->csum][w->csum]++;
	if (w->bits & BIT(DK_IP_CSUM))
		s->ipcsum[o->ip_ok][w->ip_ok]++;
}

void diff_flow_stats(const struct emu_diff *d, uint32_t gi, struct diff_stats *s)
{
	const struct diff_flow *gf = &d->s[GUEST].fl[gi], *wf = &d->s[WIRE].fl[gf->peer];

	memset(s, 0, sizeof(*s));
	s->ttl[0] = s->ttl[1] = s->win[0] = s->win[1] = s->mss_opt[0] = s->mss_opt[1] = -1;
	s->missing_bytes = gf->missing_bytes;
	s->extra_bytes = gf->extra_bytes;
	for (int side = GUEST; side <= WIRE; side++) {
		const struct diff_flow *fl = side == GUEST ? gf : wf;
		const uint32_t *idx = d->s[side].idx + fl->ib;
		for (size_t i = 0; i < fl->n; i++) {
			const struct diff_frame *f = frame_of(d, side, idx[i]);
			s->frames[side]++;
			s->md5[side][f->md5v]++;
			s->ao[side][f->aov]++;
			if (i >= fl->nd || (f->st & FR_OUT))
				continue; /* duplicates and frames out of scope: not compared */
			if (side == WIRE && !f->bits)
				s->unchanged++;
			if (side == WIRE && f->origin != DIFF_NONE)
				count_pair(s, frame_of(d, GUEST, f->origin), f);
			for (int k = 0; k < DK_N; k++) {
				if (!(f->bits & BIT(k)))
					continue;
				s->n[side][k]++;
				s->v5[side][k][f->md5v]++;
				s->va[side][k][f->aov]++;
			}
		}
	}
}

bool diff_partly_compared(const struct emu_diff *d)
{
	for (int side = GUEST; side <= WIRE; side++) {
		const struct diff_side *s = &d->s[side];
		if (s->cut || s->hdrcut || s->frag_lost || d->c.out_flows[side])
			return true;
		for (size_t i = 0; i < s->nfl; i++) {
			const struct diff_flow *fl = &s->fl[i];
			if (fl->peer != DIFF_NONE &&
			    (fl->dups || fl->out[0] || fl->out[1] || fl->optcut || fl->cut))
				return true;
		}
	}
	return false;
}
