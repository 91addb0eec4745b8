// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Flows: the TCP frames of both captures grouped by directed flow (addresses and ports), each
 * side in sequence order, sequence numbers unwrapped per flow from the guest's first segment.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "emu/analysis/diff/internal.h"

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
	struct emu_diff *d = arg;
	int c = cmp_flowkey(&frame_of(d, (int)a->side, a->idx)->seg,
			    &frame_of(d, (int)b->side, b->idx)->seg);

	if (c)
		return c;
	if (a->side != b->side)
		return a->side < b->side ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

uint32_t diff_ack_of(const struct emu_diff *d, int side, const struct diff_frame *f)
{
	return wire_get32(data_of(d, side, f) + f->seg.l4_off + WIRE_TCP_ACK);
}

struct seq_ctx {
	struct emu_diff *d;
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
		uint32_t x = diff_ack_of(c->d, c->side, a), y = diff_ack_of(c->d, c->side, b);
		if (x != y)
			return x < y ? -1 : 1;
	}
	return a->no < b->no ? -1 : a->no > b->no;
}

/* Unwrap the sequence numbers of @n frames in capture order, from @ref on (-1: the first). */
static void unwrap(struct emu_diff *d, int side, const uint32_t *idx, size_t n, int64_t ref)
{
	for (size_t i = 0; i < n; i++) {
		struct diff_frame *f = frame_of(d, side, idx[i]);
		const uint8_t *t = data_of(d, side, f) + f->seg.l4_off;
		uint32_t seq = wire_get32(t + WIRE_TCP_SEQ);

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
int diff_build_flows(struct emu_diff *d)
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
