// SPDX-License-Identifier: GPL-2.0-or-later
/* The diff engine's life, and reading both captures: a copy of every TCP segment, classified. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "emu/analysis/diff/internal.h"

struct emu_diff *emu_diff_new(const struct md5sig_keytab *keys)
{
	struct emu_diff *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->keys = keys;
	if (!(d->h = md5sig_hasher_new())) {
		free(d);
		errno = ENOMEM;
		return NULL;
	}
	return d;
}

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
static int side_read(struct emu_diff *d, struct diff_side *s, char *err, size_t errlen)
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

int emu_diff_read(struct emu_diff *d, const char *guest, const char *wire, char *err, size_t errlen)
{
	struct diff_side *g = &d->s[GUEST], *w = &d->s[WIRE];
	int r;

	g->path = guest;
	w->path = wire;
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

void emu_diff_free(struct emu_diff *d)
{
	if (!d)
		return;
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
	free(d);
}
