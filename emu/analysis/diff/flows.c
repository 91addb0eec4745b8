// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Flows: each capture's TCP segments by directed flow (addresses and ports), the two captures'
 * flows paired, and each flow's segments in sequence order, unwrapped on the guest's scale.
 *
 * Pairing: by the same addresses and ports; else (NAT rewrote an address or port) by the
 * sequence and acknowledgment numbers both sides' segments share. Within a pair, a constant
 * offset between the sequence numbers (ISN randomization, as a Cisco ASA does by default) is
 * found from the SYNs, or from the first segment whose payload both sides carry; the wire's
 * numbers are then read on the guest's scale. Exact copies of a segment (a SPAN port doubling
 * every frame, or `tcpdump -i any` seeing a frame on two interfaces) are set aside as
 * duplicates: they are neither retransmissions nor pieces.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "emu/analysis/diff/internal.h"

void diff_key_of(const struct md5sig_seg *seg, struct diff_key *k)
{
	memset(k, 0, sizeof(*k));
	k->family = seg->family;
	memcpy(k->saddr, seg->saddr, seg->family == AF_INET6 ? 16 : 4);
	memcpy(k->daddr, seg->daddr, seg->family == AF_INET6 ? 16 : 4);
	k->sport = seg->sport;
	k->dport = seg->dport;
}

void diff_key_format(const struct diff_key *k, char *buf, size_t len)
{
	struct md5sig_seg seg = {.family = k->family, .sport = k->sport, .dport = k->dport};

	memcpy(seg.saddr, k->saddr, 16);
	memcpy(seg.daddr, k->daddr, 16);
	md5sig_seg_format(&seg, buf, len);
}

static size_t key_hash(const struct diff_key *k)
{
	return (size_t)diff_hash((const uint8_t *)k, sizeof(*k));
}

/* The slot of @k in the table: its flow's, or the empty one where it would go. */
static size_t slot_of(const struct diff_side *s, const struct diff_key *k)
{
	size_t i = key_hash(k) & (s->htcap - 1);

	while (s->ht[i] && memcmp(&s->fl[s->ht[i] - 1].k, k, sizeof(*k)))
		i = (i + 1) & (s->htcap - 1);
	return i;
}

static uint32_t flow_find(const struct diff_side *s, const struct diff_key *k)
{
	return s->htcap && s->ht[slot_of(s, k)] ? s->ht[slot_of(s, k)] - 1 : DIFF_NONE;
}

uint32_t diff_flow_get(struct diff_side *s, const struct diff_key *k, bool *made)
{
	uint32_t i = flow_find(s, k);

	*made = false;
	if (i != DIFF_NONE)
		return i;
	if (2 * (s->nfl + 1) > s->htcap) {
		size_t cap = s->htcap ? 2 * s->htcap : 64;
		uint32_t *ht = calloc(cap, sizeof(*ht)), *old = s->ht;
		if (!ht)
			return DIFF_NONE;
		s->ht = ht;
		s->htcap = cap;
		for (size_t j = 0; j < s->nfl; j++)
			s->ht[slot_of(s, &s->fl[j].k)] = (uint32_t)j + 1;
		free(old);
	}
	if (s->nfl == s->flcap) {
		size_t cap = s->flcap ? 2 * s->flcap : 64;
		struct diff_flow *fl = realloc(s->fl, cap * sizeof(*fl));
		if (!fl)
			return DIFF_NONE;
		s->fl = fl;
		s->flcap = cap;
	}
	struct diff_flow *fl = &s->fl[s->nfl];
	memset(fl, 0, sizeof(*fl));
	fl->k = *k;
	fl->rev = fl->peer = DIFF_NONE;
	fl->ao_excl = 2;
	/* the reverse direction, if seen already */
	struct diff_key rk = {.family = k->family, .sport = k->dport, .dport = k->sport};
	memcpy(rk.saddr, k->daddr, 16);
	memcpy(rk.daddr, k->saddr, 16);
	uint32_t r = flow_find(s, &rk);
	if (r != DIFF_NONE) {
		fl->rev = r;
		s->fl[r].rev = (uint32_t)s->nfl;
	}
	s->ht[slot_of(s, k)] = (uint32_t)s->nfl + 1;
	*made = true;
	return (uint32_t)s->nfl++;
}

/* ---- pairing ---- */

/* (seq, ack) of a frame, the key NAT leaves alone */
struct sa_entry {
	uint64_t key; /* seq << 32 | ack, + 1 (0: empty) */
	uint32_t flow;
};

static uint64_t sa_key(const struct diff_frame *f)
{
	return ((uint64_t)f->rseq << 32 | f->ack) + 1;
}

static size_t sa_slot(const struct sa_entry *t, size_t cap, uint64_t key)
{
	size_t i = (size_t)diff_hash((const uint8_t *)&key, sizeof(key)) & (cap - 1);

	while (t[i].key && t[i].key != key)
		i = (i + 1) & (cap - 1);
	return i;
}

/*
 * Flows whose addresses or ports differ between the captures, paired by the (seq, ack) their
 * frames share: NAT rewrites addresses and ports, never sequence numbers. Each guest flow
 * takes the wire flow most of its matching frames point to (a majority vote).
 */
static int pair_translated(struct emu_diff *d)
{
	struct diff_side *g = &d->s[GUEST], *w = &d->s[WIRE];
	size_t n = 0, cap = 1;

	for (size_t i = 0; i < w->nfl; i++)
		if (w->fl[i].peer == DIFF_NONE)
			n += w->fl[i].n;
	if (!n)
		return 0;
	while (cap < 2 * n)
		cap *= 2;
	struct sa_entry *t = calloc(cap, sizeof(*t));
	uint32_t *cand = malloc(g->nfl * sizeof(*cand));
	unsigned long *cnt = calloc(g->nfl, sizeof(*cnt));
	if (!t || !cand || !cnt) {
		free(t);
		free(cand);
		free(cnt);
		return -ENOMEM;
	}
	for (size_t j = 0; j < w->n; j++) {
		const struct diff_frame *f = &w->f[j];
		if (w->fl[f->flow].peer == DIFF_NONE)
			t[sa_slot(t, cap, sa_key(f))] = (struct sa_entry){sa_key(f), f->flow};
	}
	for (size_t j = 0; j < g->n; j++) {
		const struct diff_frame *f = &g->f[j];
		if (g->fl[f->flow].peer != DIFF_NONE)
			continue;
		const struct sa_entry *e = &t[sa_slot(t, cap, sa_key(f))];
		if (!e->key || w->fl[e->flow].k.family != g->fl[f->flow].k.family)
			continue;
		if (cnt[f->flow] && cand[f->flow] == e->flow) {
			cnt[f->flow]++;
		} else if (!cnt[f->flow]) {
			cand[f->flow] = e->flow;
			cnt[f->flow] = 1;
		} else {
			cnt[f->flow]--;
		}
	}
	for (size_t i = 0; i < g->nfl; i++) {
		if (g->fl[i].peer != DIFF_NONE || !cnt[i] || w->fl[cand[i]].peer != DIFF_NONE)
			continue;
		g->fl[i].peer = cand[i];
		w->fl[cand[i]].peer = (uint32_t)i;
	}
	free(t);
	free(cand);
	free(cnt);
	return 0;
}

static int pair_flows(struct emu_diff *d)
{
	struct diff_side *g = &d->s[GUEST], *w = &d->s[WIRE];
	bool lonely = false;

	for (size_t i = 0; i < g->nfl; i++) {
		uint32_t j = flow_find(w, &g->fl[i].k);
		g->fl[i].peer = j;
		if (j != DIFF_NONE)
			w->fl[j].peer = (uint32_t)i;
		else
			lonely = true;
	}
	return lonely ? pair_translated(d) : 0;
}

/* ---- sequence numbers ---- */

/* a guest frame by (flow, seq) or by (flow, plen, payload digest), in one open table */
struct ph_entry {
	uint64_t h; /* 0: empty */
	uint32_t flow, plen, rseq;
	bool by_seq;
};

static size_t ph_slot(const struct ph_entry *t, size_t cap, const struct ph_entry *k)
{
	size_t i = (size_t)(k->h ^ k->h >> 29 ^ k->flow * 0x9e3779b9u) & (cap - 1);

	while (t[i].h && (t[i].h != k->h || t[i].flow != k->flow || t[i].by_seq != k->by_seq ||
			  t[i].plen != k->plen || (k->by_seq && t[i].rseq != k->rseq)))
		i = (i + 1) & (cap - 1);
	return i;
}

static struct ph_entry by_seq(const struct diff_frame *f, uint32_t flow)
{
	return (struct ph_entry){
		.h = (uint64_t)f->rseq << 1 | 1, .flow = flow, .rseq = f->rseq, .by_seq = true};
}

static struct ph_entry by_payload(const struct diff_frame *f, uint32_t flow)
{
	return (struct ph_entry){.h = f->phash | 1, .flow = flow, .plen = f->plen, .rseq = f->rseq};
}

#define OFFSET_TRIES 64 /* wire segments with payload looked at per flow */

/*
 * The wire's sequence numbers minus the guest's, per flow pair: from the SYNs when both
 * captured one; else 0 when any of the wire's first segments with payload starts where a guest
 * segment does; else the offset of the first of them whose payload the guest carried whole
 * (the same length and digest), if no other disagrees; else 0.
 */
static int seq_offsets(struct emu_diff *d)
{
	struct diff_side *g = &d->s[GUEST], *w = &d->s[WIRE];
	size_t n = 0, cap = 1;

	for (size_t i = 0; i < g->nfl; i++) {
		struct diff_flow *gf = &g->fl[i];
		if (gf->peer == DIFF_NONE)
			continue;
		struct diff_flow *wf = &w->fl[gf->peer];
		wf->delta_known = gf->syn && wf->syn;
		if (wf->delta_known)
			wf->delta = wf->syn_seq - gf->syn_seq;
		else
			n += gf->n;
	}
	if (!n)
		return 0;
	while (cap < 4 * n)
		cap *= 2;
	struct ph_entry *t = calloc(cap, sizeof(*t));
	/* per wire flow: segments tried, starts seen in the guest, offsets agreeing, disagreeing */
	uint32_t(*st)[4] = calloc(w->nfl, sizeof(*st));
	if (!t || !st) {
		free(t);
		free(st);
		return -ENOMEM;
	}
	for (size_t j = 0; j < g->n; j++) {
		const struct diff_frame *f = &g->f[j];
		const struct diff_flow *gf = &g->fl[f->flow];
		if (gf->peer == DIFF_NONE || w->fl[gf->peer].delta_known || !f->plen)
			continue;
		struct ph_entry k = by_seq(f, f->flow);
		t[ph_slot(t, cap, &k)] = k;
		if (f->capt == f->plen) {
			k = by_payload(f, f->flow);
			size_t i = ph_slot(t, cap, &k);
			if (!t[i].h)
				t[i] = k; /* the first copy's seq */
		}
	}
	for (size_t j = 0; j < w->n; j++) {
		const struct diff_frame *f = &w->f[j];
		struct diff_flow *wf = &w->fl[f->flow];
		uint32_t *c = st[f->flow];
		if (wf->peer == DIFF_NONE || wf->delta_known || !f->plen || c[0] >= OFFSET_TRIES)
			continue;
		c[0]++;
		struct ph_entry k = by_seq(f, wf->peer);
		if (t[ph_slot(t, cap, &k)].h) {
			c[1]++;
			continue;
		}
		if (f->capt != f->plen)
			continue;
		k = by_payload(f, wf->peer);
		const struct ph_entry *e = &t[ph_slot(t, cap, &k)];
		if (!e->h)
			continue;
		if (!c[2] && !c[3]) {
			wf->delta = f->rseq - e->rseq;
			c[2]++;
		} else {
			c[wf->delta == f->rseq - e->rseq ? 2 : 3]++;
		}
	}
	for (size_t i = 0; i < w->nfl; i++) {
		struct diff_flow *wf = &w->fl[i];
		if (wf->peer == DIFF_NONE || wf->delta_known)
			continue;
		wf->delta_known = !st[i][1] && st[i][2] && !st[i][3];
		if (!wf->delta_known)
			wf->delta = 0;
	}
	free(t);
	free(st);
	return 0;
}

/*
 * Unwrap each flow's sequence numbers in capture order: the guest's from its first segment,
 * the wire's (less its offset) from its guest peer's first segment, so both share one scale.
 */
static int unwrap(struct emu_diff *d, int side)
{
	struct diff_side *s = &d->s[side];
	int64_t *ref = malloc(s->nfl * sizeof(*ref));

	if (!ref)
		return -ENOMEM;
	for (size_t i = 0; i < s->nfl; i++) {
		const struct diff_flow *fl = &s->fl[i];
		ref[i] = side == WIRE && fl->peer != DIFF_NONE
				 ? d->s[GUEST].f[d->s[GUEST].fl[fl->peer].first].seq
				 : (int64_t)(s->f[fl->first].rseq - (side == WIRE ? fl->delta : 0));
	}
	for (size_t j = 0; j < s->n; j++) {
		struct diff_frame *f = &s->f[j];
		uint32_t seq = f->rseq - (side == WIRE ? s->fl[f->flow].delta : 0);
		f->seq = ref[f->flow] + (int32_t)(seq - (uint32_t)ref[f->flow]);
		ref[f->flow] = f->seq;
	}
	free(ref);
	return 0;
}

struct seq_ctx {
	const struct diff_side *s;
};

/*
 * Segments without payload first, by seq, ack, capture order (they pair by seq and ack); then
 * those with payload by seq, length, capture order. Each copy of a range is then next to the
 * others, in the order it was sent.
 */
static int cmp_seq(const void *pa, const void *pb, void *arg)
{
	const struct seq_ctx *c = arg;
	const struct diff_frame *a = &c->s->f[*(const uint32_t *)pa];
	const struct diff_frame *b = &c->s->f[*(const uint32_t *)pb];

	if (!a->plen != !b->plen)
		return a->plen ? 1 : -1;
	if (a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	if (a->plen != b->plen)
		return a->plen < b->plen ? -1 : 1;
	if (!a->plen && a->ack != b->ack)
		return a->ack < b->ack ? -1 : 1;
	return a->no < b->no ? -1 : a->no > b->no;
}

/*
 * Is @b an exact copy of @a from the IP header on (a SPAN port's or a second interface's)? A
 * retransmission differs somewhere: the IPv4 ID, a timestamp, the ack.
 */
static bool same_packet(const struct diff_frame *a, const struct diff_frame *b)
{
	return a->rseq == b->rseq && a->ack == b->ack && a->plen == b->plen && a->capt == b->capt &&
	       a->phash == b->phash && a->iphash == b->iphash && a->ipid == b->ipid &&
	       a->frag == b->frag && a->win == b->win && a->urp == b->urp && a->tcsum == b->tcsum &&
	       a->ipcsum == b->ipcsum && a->ttl == b->ttl && a->tos == b->tos &&
	       a->tflags == b->tflags && a->doff == b->doff && a->optcap == b->optcap &&
	       !memcmp(a->opts, b->opts, a->optcap);
}

#define DUP_WINDOW 64 /* earlier copies of a range a frame is compared with */

/*
 * Move the duplicates of flow @fl (its index run in sequence order) behind the rest, in
 * @tmp's help: copies of one range are adjacent, so each is checked against the earlier ones.
 */
static void set_dups_aside(struct diff_side *s, struct diff_flow *fl, uint32_t *tmp)
{
	uint32_t *idx = s->idx + fl->ib;
	size_t keep = 0, ndup = 0, run = 0;

	for (size_t i = 0; i < fl->n; i++) {
		const struct diff_frame *f = &s->f[idx[i]];
		const struct diff_frame *prev = keep ? &s->f[idx[keep - 1]] : NULL;
		bool dup = false;
		/* a run: one range (without payload: one seq and ack), sorted in capture order */
		if (prev && (prev->seq != f->seq || prev->plen != f->plen ||
			     (!f->plen && prev->ack != f->ack)))
			run = keep;
		/* a copy comes right after its original: the last few of the run are enough */
		for (size_t j = keep - run > DUP_WINDOW ? keep - DUP_WINDOW : run; j < keep && !dup;
		     j++)
			dup = same_packet(&s->f[idx[j]], f);
		if (dup)
			tmp[ndup++] = idx[i];
		else
			idx[keep++] = idx[i];
	}
	memcpy(idx + keep, tmp, ndup * sizeof(*idx));
	fl->nd = keep;
	fl->dups = ndup;
}

/* Each flow's records in sequence order, duplicates behind: s->idx. */
static int order_side(struct emu_diff *d, int side)
{
	struct diff_side *s = &d->s[side];
	size_t *pos = calloc(s->nfl, sizeof(*pos)), at = 0, most = 0;
	uint32_t *tmp;

	free(s->idx);
	s->idx = malloc(s->n * sizeof(*s->idx));
	if (!pos || !s->idx) {
		free(pos);
		return -ENOMEM;
	}
	for (size_t i = 0; i < s->nfl; i++) {
		s->fl[i].ib = pos[i] = at;
		at += s->fl[i].n;
		if (s->fl[i].n > most)
			most = s->fl[i].n;
	}
	for (size_t j = 0; j < s->n; j++)
		s->idx[pos[s->f[j].flow]++] = (uint32_t)j;
	free(pos);
	if (!(tmp = malloc(most * sizeof(*tmp))))
		return -ENOMEM;
	struct seq_ctx c = {s};
	for (size_t i = 0; i < s->nfl; i++) {
		qsort_r(s->idx + s->fl[i].ib, s->fl[i].n, sizeof(uint32_t), cmp_seq, &c);
		set_dups_aside(s, &s->fl[i], tmp);
	}
	free(tmp);
	return 0;
}

int diff_build_flows(struct emu_diff *d)
{
	int r;

	for (int side = GUEST; side <= WIRE; side++) {
		for (size_t i = 0; i < d->s[side].nfl; i++) {
			struct diff_flow *fl = &d->s[side].fl[i];
			fl->peer = DIFF_NONE;
			fl->delta = 0;
			fl->delta_known = false;
		}
	}
	if ((r = pair_flows(d)) || (r = seq_offsets(d)) || (r = unwrap(d, GUEST)) ||
	    (r = unwrap(d, WIRE)))
		return r;
	for (int side = GUEST; side <= WIRE; side++)
		if ((r = order_side(d, side)))
			return r;
	return 0;
}
