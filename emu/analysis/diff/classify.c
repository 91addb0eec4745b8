// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Verdicts of a segment as `vnicemu verify` gives them, in both schemes: RFC 2385 (md5sig's
 * classifier) and RFC 5925 (TCP-AO, with the connection's ISNs from the SYN and SYN-ACK in the
 * same capture, or given, and each direction's SNE). A segment whose covered bytes were not
 * all captured is `unchecked` (snaplen) where a key would have been used, and what the headers
 * alone decide (`missing`, `unsigned`, ...) is decided; without any key, MD5 and TCP-AO
 * options are `unchecked` (no key given), as in verify.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "emu/analysis/diff/internal.h"

void diff_isn_given(const struct emu_diff *d, struct diff_flow *fl)
{
	size_t alen = fl->k.family == AF_INET6 ? 16 : 4;

	for (size_t i = 0; i < d->nisns; i++) {
		const struct md5sig_ao_isn_arg *g = &d->isns[i];
		if (g->family != fl->k.family)
			continue;
		if (!memcmp(g->addr, fl->k.saddr, alen) && g->port == fl->k.sport) {
			fl->isn = g->isn;
			fl->has_isn = true;
		}
		if (!memcmp(g->addr, fl->k.daddr, alen) && g->port == fl->k.dport) {
			fl->peer_isn = g->isn;
			fl->has_peer_isn = true;
		}
	}
}

static int md5_verdict(enum md5sig_verdict v)
{
	switch (v) {
	case MD5SIG_VALID:
		return V5_VALID;
	case MD5SIG_INVALID:
		return V5_INVALID;
	case MD5SIG_MISSING:
		return V5_MISSING;
	case MD5SIG_UNEXPECTED:
		return V5_UNEXPECTED;
	default:
		return V5_UNSIGNED;
	}
}

static int ao_verdict(enum md5sig_ao_verdict v)
{
	switch (v) {
	case MD5SIG_AO_VALID:
		return VA_VALID;
	case MD5SIG_AO_INVALID:
		return VA_INVALID;
	case MD5SIG_AO_MISSING:
		return VA_MISSING;
	case MD5SIG_AO_UNEXPECTED:
		return VA_UNEXPECTED;
	case MD5SIG_AO_UNKNOWN_KEY:
		return VA_UNKNOWN_KEY;
	case MD5SIG_AO_NO_ISN:
		return VA_NO_ISN;
	case MD5SIG_AO_MALFORMED:
		/* recorded frames are well formed: a MAC of another length than the MKT's */
		return VA_INVALID;
	default:
		return VA_UNSIGNED;
	}
}

/* The ISNs of @fl's connection as its frames see them; false when either is unknown. */
static bool isns_of(const struct diff_side *s, const struct diff_flow *fl,
		    struct md5sig_ao_isns *out)
{
	const struct diff_flow *r = fl->rev != DIFF_NONE ? &s->fl[fl->rev] : NULL;
	bool own = fl->has_isn || (r && r->has_peer_isn);
	bool peer = (r && r->has_isn) || fl->has_peer_isn;

	if (!own || !peer)
		return false;
	out->sisn = fl->has_isn ? fl->isn : r->peer_isn;
	out->disn = r && r->has_isn ? r->isn : fl->peer_isn;
	return true;
}

/* Learn ISNs from a SYN (the sender's) or a SYN-ACK (both). */
static void learn_isns(struct diff_flow *fl, const struct diff_frame *f)
{
	if (!(f->tflags & WIRE_TCP_F_SYN))
		return;
	fl->isn = f->rseq;
	fl->has_isn = true;
	fl->sne_init = false;
	if (f->tflags & WIRE_TCP_F_ACK) {
		fl->peer_isn = f->ack - 1;
		fl->has_peer_isn = true;
	}
}

/* The TCP-AO verdict of a segment whose MAC cannot be computed (cut by the snaplen). */
static int ao_cut(const struct emu_diff *d, const struct diff_pkt *p, struct diff_flow *fl)
{
	const struct md5sig_ao_mkt *mkt;
	struct md5sig_ao_opt opt;
	bool has = !p->optcut && md5sig_ao_opt_find(p->data, &p->seg, &opt) == MD5SIG_AO_OPT_OK;
	int r;

	if (p->optcut)
		return VA_UNCHECKED;
	r = md5sig_aotab_lookup(d->ao, &p->seg, has ? opt.keyid : -1, &mkt);
	if (r == 0) {
		fl->ao = true;
		fl->ao_excl = mkt->exclude_opts;
	}
	if (!has)
		return r == -ENOENT ? VA_UNSIGNED : VA_MISSING;
	fl->ao = true;
	return r == 0 ? VA_UNCHECKED : r == -ENOKEY ? VA_UNKNOWN_KEY : VA_UNEXPECTED;
}

void diff_classify(struct emu_diff *d, struct diff_side *s, struct diff_flow *fl,
		   const struct diff_pkt *p, struct diff_frame *f)
{
	const struct md5sig_seg *seg = &p->seg;
	struct md5sig_ao_isns isns;
	struct md5sig_ao_detail det;

	learn_isns(fl, f);
	if (f->st & FR_CUT) {
		const struct md5sig_key *key =
			d->keys && !p->optcut ? md5sig_keytab_lookup(d->keys, seg) : NULL;
		bool has = seg->md5_off >= 0;
		if (p->optcut)
			f->md5v = V5_UNCHECKED;
		else if (key)
			f->md5v = has ? V5_UNCHECKED : V5_MISSING;
		else
			f->md5v = !has ? V5_UNSIGNED : d->keys ? V5_UNEXPECTED : V5_UNCHECKED;
		if (f->md5v == V5_UNCHECKED)
			s->unchecked[0][key || p->optcut ? WHY_SNAPLEN : WHY_NO_KEY]++;
		f->aov = (uint8_t)ao_cut(d, p, fl);
		if (f->aov == VA_UNEXPECTED && !d->keys) {
			f->aov = VA_UNCHECKED;
			s->unchecked[1][WHY_NO_KEY]++;
		} else if (f->aov == VA_UNCHECKED) {
			s->unchecked[1][WHY_SNAPLEN]++;
		}
		return;
	}

	f->md5v = (uint8_t)md5_verdict(md5sig_classify(d->h, d->keys, p->data, p->st, seg));
	if (f->md5v == V5_UNEXPECTED && !d->keys) {
		f->md5v = V5_UNCHECKED;
		s->unchecked[0][WHY_NO_KEY]++;
	}

	bool known = isns_of(s, fl, &isns);
	uint32_t sne = 0;
	if (known) {
		if (!fl->sne_init) {
			md5sig_ao_sne_init(&fl->sne, isns.sisn);
			fl->sne_init = true;
		}
		sne = md5sig_ao_sne_next(&fl->sne, f->rseq);
	}
	f->aov = (uint8_t)ao_verdict(
		md5sig_ao_classify(d->aov, p->data, p->st, seg, known ? &isns : NULL, sne, &det));
	if (f->aov == VA_UNEXPECTED && !d->keys) {
		f->aov = VA_UNCHECKED;
		s->unchecked[1][WHY_NO_KEY]++;
	}
	if (det.optst == MD5SIG_AO_OPT_OK || det.mkt)
		fl->ao = true;
	if (det.mkt)
		fl->ao_excl = det.mkt->exclude_opts;
}
