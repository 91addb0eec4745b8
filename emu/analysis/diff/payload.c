// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Payloads, compared without holding them: matching noted, for every wire segment, the slices
 * of guest payload its bytes must equal (struct diff_task). One pass over the guest capture
 * takes each slice's digest, one over the wire capture compares its own; only when slices
 * differ does a third pair of passes count the bytes that do, holding just those slices.
 * Memory is the tasks (32 bytes a slice) and the differing slices, never the captures.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "emu/analysis/diff/internal.h"

static int cmp_by_guest(const void *pa, const void *pb)
{
	const struct diff_task *a = pa, *b = pb;

	if (a->g != b->g)
		return a->g < b->g ? -1 : 1;
	return a->goff < b->goff ? -1 : a->goff > b->goff;
}

static int cmp_by_wire(const void *pa, const void *pb)
{
	const struct diff_task *a = pa, *b = pb;

	if (a->w != b->w)
		return a->w < b->w ? -1 : 1;
	return a->woff < b->woff ? -1 : a->woff > b->woff;
}

/* A pass: the tasks in record order of its side, and where it is. */
struct pass {
	struct diff_task *t;
	size_t n, at;
	uint8_t *keep; /* the differing guest slices (the counting passes), or NULL */
	size_t *koff;  /* where each task's slice is in @keep */
};

static int check_record(const struct emu_diff *d, int side, const struct diff_pkt *p, uint32_t rec,
			char *err, size_t errlen)
{
	if (rec < d->s[side].n && d->s[side].f[rec].no == p->no)
		return 0;
	snprintf(err, errlen, "%s changed while being compared", d->s[side].path);
	return -EIO;
}

/*
 * The next task whose slice lies in record @rec of @side and whose state is @bad (tasks are
 * sorted by owner on both sides), or NULL when the record has no more.
 */
static struct diff_task *next_slice(struct pass *ps, int side, uint32_t rec, bool bad)
{
	for (; ps->at < ps->n; ps->at++) {
		struct diff_task *t = &ps->t[ps->at];
		uint32_t owner = side == GUEST ? t->g : t->w;
		if (owner > rec)
			return NULL;
		if (owner == rec && !t->bad == !bad) {
			ps->at++;
			return t;
		}
	}
	return NULL;
}

/* Digest (guest) or compare (wire) the slices of one segment. */
static int hash_slices(struct emu_diff *d, int side, const struct diff_pkt *p, uint32_t rec,
		       void *arg, char *err, size_t errlen)
{
	struct pass *ps = arg;
	const uint8_t *pl = pkt_payload(p);
	int r;

	if ((r = check_record(d, side, p, rec, err, errlen)))
		return r;
	for (struct diff_task *t; (t = next_slice(ps, side, rec, false));) {
		uint64_t h = diff_hash(pl + (side == GUEST ? t->goff : t->woff), t->len);
		if (side == GUEST)
			t->h = h;
		else
			t->bad = h != t->h;
	}
	return 0;
}

/* Keep (guest) or count against (wire) the bytes of the differing slices of one segment. */
static int count_slices(struct emu_diff *d, int side, const struct diff_pkt *p, uint32_t rec,
			void *arg, char *err, size_t errlen)
{
	struct pass *ps = arg;
	const uint8_t *pl = pkt_payload(p);
	int r;

	if ((r = check_record(d, side, p, rec, err, errlen)))
		return r;
	for (struct diff_task *t; (t = next_slice(ps, side, rec, true));) {
		size_t ti = (size_t)(t - ps->t);
		if (side == GUEST) {
			memcpy(ps->keep + ps->koff[ti], pl + t->goff, t->len);
			continue;
		}
		const uint8_t *a = ps->keep + ps->koff[ti], *b = pl + t->woff;
		uint32_t n = 0;
		for (uint32_t i = 0; i < t->len; i++)
			n += a[i] != b[i];
		/* 0 would mean a digest collision: still count the slice as one that differs */
		t->bad = n ? n : 1;
	}
	return 0;
}

static int run(struct emu_diff *d, struct pass *ps, int side, const char *what, diff_seg_fn *fn,
	       char *err, size_t errlen)
{
	qsort(ps->t, ps->n, sizeof(*ps->t), side == GUEST ? cmp_by_guest : cmp_by_wire);
	ps->at = 0;
	return diff_scan(d, side, false, what, fn, ps, err, errlen);
}

int diff_payloads(struct emu_diff *d, char *err, size_t errlen)
{
	struct pass ps = {.t = d->c.tasks, .n = d->c.ntasks};
	size_t nbad = 0, total = 0;
	int r;

	if (!ps.n)
		return 0;
	/* slices already known to differ (same ranges, different digests) skip the digests */
	for (size_t i = 0; i < ps.n; i++)
		nbad += ps.t[i].bad != 0;
	if (nbad < ps.n &&
	    ((r = run(d, &ps, GUEST, "comparing payloads (guest)", hash_slices, err, errlen)) ||
	     (r = run(d, &ps, WIRE, "comparing payloads (wire)", hash_slices, err, errlen))))
		return r;
	for (size_t i = 0; i < ps.n; i++)
		if (ps.t[i].bad)
			total += ps.t[i].len;
	if (total) {
		/* the tasks are in guest order for the first counting pass: offsets follow it */
		qsort(ps.t, ps.n, sizeof(*ps.t), cmp_by_guest);
		ps.keep = malloc(total);
		ps.koff = malloc(ps.n * sizeof(*ps.koff));
		if (!ps.keep || !ps.koff) {
			free(ps.keep);
			free(ps.koff);
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		for (size_t i = 0, at = 0; i < ps.n; i++) {
			ps.koff[i] = at;
			at += ps.t[i].bad ? ps.t[i].len : 0;
		}
		ps.at = 0;
		r = diff_scan(d, GUEST, false, "counting payload differences", count_slices, &ps,
			      err, errlen);
		/* the wire pass reads the tasks in wire order: carry the offsets along */
		for (size_t i = 0; !r && i < ps.n; i++)
			ps.t[i].h = ps.koff[i];
		if (!r) {
			qsort(ps.t, ps.n, sizeof(*ps.t), cmp_by_wire);
			for (size_t i = 0; i < ps.n; i++)
				ps.koff[i] = (size_t)ps.t[i].h;
			ps.at = 0;
			r = diff_scan(d, WIRE, false, "counting payload differences", count_slices,
				      &ps, err, errlen);
		}
		free(ps.keep);
		free(ps.koff);
		if (r)
			return r;
	}
	for (size_t i = 0; i < ps.n; i++) {
		const struct diff_task *t = &ps.t[i];
		if (!t->bad)
			continue;
		struct diff_frame *w = frame_of(d, WIRE, t->w);
		w->bits |= BIT(DK_PAYLOAD);
		flow_of(d, WIRE, w)->payload_bytes += t->bad;
	}
	return 0;
}
