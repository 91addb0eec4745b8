// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The trace of a replay page (emu/analysis/html.h): fed every frame at every tap, it keeps
 * per-flow totals of the first flows and the ladder of one flow, in bounded memory.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "emu/analysis/htrace.h"
#include "md5sig/wire.h"

static const char *const class_names[HT_NCLASSES] = {
	[HT_VALID] = "valid",		[HT_INVALID] = "invalid",   [HT_MISSING] = "missing",
	[HT_UNEXPECTED] = "unexpected", [HT_UNSIGNED] = "unsigned", [HT_UNCHECKED] = "unchecked",
	[HT_MALFORMED] = "malformed",	[HT_OTHER] = "other",
};

const char *ht_class_name(enum ht_class c)
{
	return c < HT_NCLASSES ? class_names[c] : "other";
}

struct emu_html_trace *emu_html_trace_new(uint64_t target)
{
	struct emu_html_trace *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->rows = calloc(EMU_HTML_ROWS, sizeof(*t->rows));
	t->scratch = calloc(EMU_HTML_BEFORE, sizeof(*t->scratch));
	if (!t->rows || !t->scratch) {
		free(t->rows);
		free(t->scratch);
		free(t);
		return NULL;
	}
	t->target = target;
	t->cur_flow = -2;
	t->row = -1;
	return t;
}

void emu_html_trace_free(struct emu_html_trace *t)
{
	if (!t)
		return;
	free(t->rows);
	free(t->scratch);
	free(t);
}

static bool has_headers(enum md5sig_status st, const struct md5sig_seg *seg)
{
	return st == MD5SIG_TCP || (st == MD5SIG_SNAPLEN && (seg->flags & MD5SIG_SEG_HEADERS));
}

static void key_of(const struct md5sig_seg *seg, struct ht_key *k)
{
	memset(k, 0, sizeof(*k));
	k->family = seg->family;
	memcpy(k->saddr, seg->saddr, sizeof(k->saddr));
	memcpy(k->daddr, seg->daddr, sizeof(k->daddr));
	k->sport = seg->sport;
	k->dport = seg->dport;
}

static bool key_eq(const struct ht_key *a, const struct ht_key *b)
{
	return !memcmp(a, b, sizeof(*a));
}

/* @b is @a's other direction */
static bool key_rev(const struct ht_key *a, const struct ht_key *b)
{
	return a->family == b->family && !memcmp(a->saddr, b->daddr, 16) &&
	       !memcmp(a->daddr, b->saddr, 16) && a->sport == b->dport && a->dport == b->sport;
}

/* The scheme the frame's verdicts are read in: TCP-AO when it says more than "unsigned". */
static bool ao_scheme(const struct offload_frame *f, bool tcp, const struct md5sig_seg *seg)
{
	if (tcp && (seg->flags & MD5SIG_SEG_AO))
		return true;
	if (f->verdict != MD5SIG_UNSIGNED || f->ao_verdict >= MD5SIG_AO_NVERDICTS)
		return false;
	return f->ao_verdict != MD5SIG_AO_UNSIGNED;
}

static enum ht_class class_of(const struct offload_frame *f, bool ao)
{
	if (!f->verdict_known || f->verdict >= MD5SIG_NVERDICTS)
		return HT_OTHER;
	if (!ao) {
		static const enum ht_class m[MD5SIG_NVERDICTS] = {
			[MD5SIG_VALID] = HT_VALID,	   [MD5SIG_INVALID] = HT_INVALID,
			[MD5SIG_MISSING] = HT_MISSING,	   [MD5SIG_UNEXPECTED] = HT_UNEXPECTED,
			[MD5SIG_UNSIGNED] = HT_UNSIGNED,   [MD5SIG_UNCHECKED] = HT_UNCHECKED,
			[MD5SIG_MALFORMED] = HT_MALFORMED,
		};
		return m[f->verdict];
	}
	switch (f->ao_verdict) {
	case MD5SIG_AO_VALID:
		return HT_VALID;
	case MD5SIG_AO_INVALID:
		return HT_INVALID;
	case MD5SIG_AO_MISSING:
		return HT_MISSING;
	case MD5SIG_AO_UNEXPECTED:
		return HT_UNEXPECTED;
	case MD5SIG_AO_UNSIGNED:
		return HT_UNSIGNED;
	case MD5SIG_AO_MALFORMED:
		return HT_MALFORMED;
	case MD5SIG_AO_UNKNOWN_KEY:
	case MD5SIG_AO_NO_ISN:
	case MD5SIG_AO_UNCHECKED:
		return HT_UNCHECKED;
	default:
		return HT_OTHER;
	}
}

static void hex4(char *out, const uint8_t *p)
{
	static const char x[] = "0123456789abcdef";

	for (int i = 0; i < 4; i++) {
		out[2 * i] = x[p[i] >> 4];
		out[2 * i + 1] = x[p[i] & 15];
	}
	out[8] = '\0';
}

static void seg_fill(struct ht_seg *s, const struct offload_frame *f, bool tcp,
		     const struct md5sig_seg *seg, bool ao, enum ht_class c)
{
	memset(s, 0, sizeof(*s));
	s->cls = (uint8_t)c;
	s->seg_no = f->seg_no;
	s->seg_count = f->seg_count;
	s->ao = ao;
	if (c == HT_OTHER)
		snprintf(s->verdict, sizeof(s->verdict), "%s",
			 f->verdict_known ? "not TCP" : "not verified");
	else
		snprintf(s->verdict, sizeof(s->verdict), "%s",
			 ao ? md5sig_ao_verdict_str(f->ao_verdict)
			    : md5sig_verdict_str(f->verdict));
	if (!tcp || seg->l4_off + WIRE_TCP_HLEN > f->len)
		return;
	const uint8_t *t = f->data + seg->l4_off;
	s->tcp = true;
	s->family = seg->family;
	memcpy(s->saddr, seg->saddr, sizeof(s->saddr));
	memcpy(s->daddr, seg->daddr, sizeof(s->daddr));
	s->sport = seg->sport;
	s->dport = seg->dport;
	s->seq = wire_get32(t + WIRE_TCP_SEQ);
	s->ack = wire_get32(t + WIRE_TCP_ACK);
	s->flags = t[WIRE_TCP_FLAGS];
	s->win = wire_get16(t + WIRE_TCP_WIN);
	s->urp = wire_get16(t + WIRE_TCP_URP);
	s->thlen = (uint8_t)(seg->thlen > 255 ? 255 : seg->thlen);
	s->tcp_len = seg->tcp_len;
	s->plen = seg->tcp_len >= seg->thlen ? seg->tcp_len - seg->thlen : 0;
	if (seg->md5_off >= 0 && (uint32_t)seg->md5_off + 4 <= f->len) {
		hex4(s->digest, f->data + seg->md5_off);
	} else if (seg->flags & MD5SIG_SEG_AO) {
		struct md5sig_ao_opt o;
		if (md5sig_ao_opt_find(f->data, seg, &o) == MD5SIG_AO_OPT_OK && o.len >= 8 &&
		    o.off + 8 <= f->len)
			hex4(s->digest, f->data + o.off + 4);
	}
}

static void count_flow(struct emu_html_trace *t, unsigned tap, const struct offload_frame *f,
		       bool tcp, const struct md5sig_seg *seg, enum ht_class c)
{
	if (tap == 0) {
		t->cur_no = f->guest_no;
		if (!tcp) {
			t->nontcp++;
			t->cur_flow = -2;
			return;
		}
		struct ht_key k;
		key_of(seg, &k);
		if (t->cur_flow < 0 || !key_eq(&t->flows[t->cur_flow].k, &k)) {
			t->cur_flow = -1;
			for (unsigned i = 0; i < t->nflows; i++)
				if (key_eq(&t->flows[i].k, &k)) {
					t->cur_flow = (int)i;
					break;
				}
			if (t->cur_flow < 0 && t->nflows < EMU_HTML_FLOWS) {
				t->cur_flow = (int)t->nflows;
				t->flows[t->nflows].k = k;
				t->flows[t->nflows++].first_no = f->guest_no;
			}
		}
	}
	if (f->guest_no != t->cur_no || t->cur_flow == -2)
		return;
	if (t->cur_flow == -1) {
		t->other_frames[tap]++;
		return;
	}
	t->flows[t->cur_flow].frames[tap]++;
	t->flows[t->cur_flow].cls[tap][c]++;
}

static void new_row(struct emu_html_trace *t, unsigned i, const struct offload_frame *f,
		    const struct ht_key *k, bool rx, bool rev)
{
	struct ht_row *r = &t->rows[i];

	memset(r, 0, sizeof(*r));
	r->no = f->guest_no;
	r->k = *k;
	r->rx = rx;
	r->dir_rev = rev;
	t->row = (int)i;
}

/* Does the frame lock the ladder onto its flow? */
static bool locks(const struct emu_html_trace *t, bool rx, const struct offload_frame *f,
		  const struct md5sig_seg *seg)
{
	if (t->target)
		return f->guest_no == t->target;
	return !rx && (seg->md5_off >= 0 || (seg->flags & MD5SIG_SEG_AO));
}

/* Tap 0: does this frame get a row of the ladder? */
static void ladder_start(struct emu_html_trace *t, bool rx, const struct offload_frame *f, bool tcp,
			 const struct md5sig_seg *seg)
{
	struct ht_key k;

	t->row = -1;
	if (!tcp)
		return;
	key_of(seg, &k);
	if (t->locked) {
		bool fwd = key_eq(&k, &t->lock), rev = key_rev(&k, &t->lock);
		if (!fwd && !rev)
			return;
		if (t->nrows == EMU_HTML_ROWS) {
			t->skipped++;
			return;
		}
		new_row(t, t->nrows++, f, &k, rx, rev);
		return;
	}
	if (!locks(t, rx, f, seg)) {
		/* a ring of the latest frames: the flow's frames before the one it locks on */
		unsigned i;
		if (t->nrows < EMU_HTML_BEFORE) {
			i = (t->ring_start + t->nrows++) % EMU_HTML_BEFORE;
		} else {
			i = t->ring_start;
			t->ring_start = (t->ring_start + 1) % EMU_HTML_BEFORE;
		}
		new_row(t, i, f, &k, rx, false);
		return;
	}
	/* the lock: of the ring, the rows of this flow stay, oldest first */
	unsigned n = 0;
	t->locked = true;
	t->lock = k;
	for (unsigned j = 0; j < t->nrows; j++) {
		struct ht_row *r = &t->rows[(t->ring_start + j) % EMU_HTML_BEFORE];
		bool fwd = key_eq(&r->k, &k), rev = key_rev(&r->k, &k);
		if (!fwd && !rev)
			continue;
		r->dir_rev = rev;
		t->scratch[n++] = *r;
	}
	memcpy(t->rows, t->scratch, sizeof(*t->rows) * n);
	t->nrows = n;
	t->ring_start = 0;
	new_row(t, t->nrows++, f, &k, rx, false);
}

void emu_html_trace_tap(void *trace, bool rx, unsigned tap, const struct offload_frame *f,
			const struct md5sig_seg *seg, enum md5sig_status st)
{
	struct emu_html_trace *t = trace;
	bool tcp = has_headers(st, seg);
	bool ao = ao_scheme(f, tcp, seg);
	enum ht_class c = class_of(f, ao);

	if (tap >= HT_TAPS)
		return;
	if (!rx) {
		count_flow(t, tap, f, tcp, seg, c);
		if (tap + 1 > t->taps_seen)
			t->taps_seen = tap + 1;
	} else if (tap + 1 > t->rx_taps_seen) {
		t->rx_taps_seen = tap + 1;
	}
	if (tap == 0)
		ladder_start(t, rx, f, tcp, seg);
	if (t->row < 0)
		return;
	struct ht_row *r = &t->rows[t->row];
	if (r->no != f->guest_no || r->rx != rx)
		return;
	struct ht_cell *cell = &r->cell[tap];
	cell->n++;
	cell->cls[c]++;
	if (cell->nsegs < EMU_HTML_CELL_SEGS)
		seg_fill(&cell->segs[cell->nsegs++], f, tcp, seg, ao, c);
	else if (t->target_tap && r->no == t->target && tap == t->target_tap &&
		 f->seg_no == t->target_seg)
		seg_fill(&cell->segs[EMU_HTML_CELL_SEGS - 1], f, tcp, seg, ao, c);
	if (tap + 1 > r->ntaps)
		r->ntaps = tap + 1;
}
