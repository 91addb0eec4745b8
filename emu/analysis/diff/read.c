// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The diff engine's life, and passes over the captures: the first makes a fixed-size record of
 * every TCP segment (with its verdicts) and counts the rest; later passes (payload.c) see the
 * same segments again, in the same order, to compare their payloads.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "emu/analysis/diff/internal.h"

#define AO_KEY_SLOTS 1024 /* traffic keys cached: two per connection and direction */

struct emu_diff *emu_diff_new_config(const struct emu_diff_config *cfg)
{
	struct emu_diff *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->keys = cfg->keys;
	d->isns = cfg->isns;
	d->nisns = cfg->nisns;
	d->keep_order = cfg->keep_order;
	d->progress = cfg->progress;
	d->progress_arg = cfg->progress_arg;
	if (!(d->h = md5sig_hasher_new()) ||
	    !(d->aov = md5sig_ao_verifier_new(d->ao, AO_KEY_SLOTS))) {
		int e = errno ? errno : ENOMEM;
		emu_diff_free(d);
		errno = e;
		return NULL;
	}
	return d;
}

struct emu_diff *emu_diff_new(const struct md5sig_keytab *keys)
{
	struct emu_diff_config cfg = {.keys = keys};

	return emu_diff_new_config(&cfg);
}

/*
 * A 64-bit digest of payload bytes, eight at a time (a multiply-xorshift mix): equal slices
 * give equal digests, different ones collide with odds near 2^-64. Not cryptographic: nobody
 * crafts captures to fool a comparison of their own traffic.
 */
uint64_t diff_hash(const uint8_t *p, size_t len)
{
	const uint64_t k = 0x9e3779b97f4a7c15ull;
	uint64_t h = len * k, w;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w, p + i, 8);
		h = (h ^ w) * k;
		h ^= h >> 31;
	}
	w = 0;
	memcpy(&w, p + i, len - i);
	h = (h ^ w ^ (uint64_t)(len - i) << 56) * k;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	return h ^ (h >> 32);
}

/*
 * Is the frame a TCP segment diff can compare? With the headers all captured, yes; when only
 * its options were cut by the snaplen (the fixed TCP header is there), also: @p->optcut.
 */
static bool recordable(struct diff_pkt *p)
{
	const struct md5sig_seg *seg = &p->seg;

	p->optcut = false;
	if (p->st == MD5SIG_TCP) {
		struct md5sig_ao_opt opt;
		enum md5sig_ao_optst ost = md5sig_ao_opt_find(p->data, seg, &opt);
		/* malformed: a short or second TCP-AO option (RFC 5925 §2.2) */
		return ost != MD5SIG_AO_OPT_SHORT && ost != MD5SIG_AO_OPT_DUP;
	}
	if (p->st != MD5SIG_BAD_TCP_HDR || p->caplen >= p->len || !seg->l4_off ||
	    seg->l4_off + WIRE_TCP_HLEN > p->caplen || seg->tcp_len < WIRE_TCP_HLEN)
		return false;
	uint32_t thlen = wire_tcp_hlen(p->data + seg->l4_off);
	if (thlen < WIRE_TCP_HLEN || thlen > seg->tcp_len || seg->l4_off + thlen <= p->caplen)
		return false;
	p->optcut = true;
	p->seg.thlen = thlen;
	return true;
}

/* Is the IPv4 packet at @l3 a fragment of a TCP segment (first or later)? */
static bool ipv4_tcp_fragment(const uint8_t *f, uint32_t caplen, uint32_t l3)
{
	if (l3 + WIRE_IPV4_HLEN > caplen || f[l3] >> 4 != 4 ||
	    f[l3 + WIRE_IPV4_PROTO] != WIRE_IPPROTO_TCP)
		return false;
	return wire_get16(f + l3 + WIRE_IPV4_FRAG) & (WIRE_IPV4_MF | WIRE_IPV4_OFF_MASK);
}

int diff_scan(struct emu_diff *d, int side, bool first, const char *what, diff_seg_fn *fn,
	      void *arg, char *err, size_t errlen)
{
	struct diff_side *s = &d->s[side];
	struct emu_capin *in = emu_capin_open(s->path, err, errlen);
	struct diff_reasm *ra = diff_reasm_new();
	struct emu_pkt pkt;
	uint32_t no = 0, rec = 0;
	time_t last = 0; /* the first check shows: progress is deterministic */
	int r = 0;

	if (!in || !ra) {
		if (in)
			snprintf(err, errlen, "out of memory");
		emu_capin_close(in);
		diff_reasm_free(ra);
		return in ? -ENOMEM : -EINVAL;
	}
	if (first)
		s->linktype = emu_capin_linktype(in);
	/* later passes read the frames the first one did, though the file may have grown since */
	while ((first || no < s->frames) && (r = emu_capin_next(in, &pkt, err, errlen)) > 0) {
		struct diff_pkt p = {.data = pkt.data, .caplen = pkt.caplen, .no = ++no};

		p.len = pkt.len > pkt.caplen ? pkt.len : pkt.caplen;
		s->frames += first;
		if (first && no > DIFF_MAX_FRAMES) {
			snprintf(err, errlen,
				 "%s: more than %d frames (cut it with tcpdump -c or editcap)",
				 s->path, DIFF_MAX_FRAMES);
			r = -EFBIG;
			break;
		}
		if (d->progress && !(no & 0xffff) && time(NULL) != last) {
			last = time(NULL);
			d->progress(d->progress_arg, what, no, false);
		}
		s->mixed |= first && pkt.linktype != s->linktype;
		p.st = md5sig_parse_head(pkt.linktype, pkt.data, pkt.caplen, p.len, &p.seg);
		if (p.st == MD5SIG_FRAGMENT ||
		    (p.st == MD5SIG_OTHER &&
		     ipv4_tcp_fragment(pkt.data, pkt.caplen, p.seg.l3_off))) {
			const uint8_t *whole;
			uint32_t wlen;
			s->fragments += first;
			r = diff_reasm_add(ra, pkt.data, pkt.caplen, p.len, p.seg.l3_off, &whole,
					   &wlen, &p.nfrags, &p.fragmax);
			if (r < 0) {
				snprintf(err, errlen, "out of memory");
				break;
			}
			if (!r)
				continue;
			/* the segment the fragments carried, numbered as the last one */
			p.data = whole;
			p.caplen = p.len = wlen;
			p.st = md5sig_parse(pkt.linktype, whole, wlen, &p.seg);
			s->reasm += first && p.st == MD5SIG_TCP;
		} else if (p.st == MD5SIG_OTHER || p.st == MD5SIG_FRAGMENT) {
			s->other += first;
			continue;
		}
		if (!recordable(&p)) {
			if (first) {
				bool hdrcut = p.caplen < p.len && p.st >= MD5SIG_MALFORMED_FIRST &&
					      p.st != MD5SIG_SNAPLEN;
				s->hdrcut += hdrcut;
				s->malformed += !hdrcut;
			}
			continue;
		}
		if ((r = fn(d, side, &p, rec++, arg, err, errlen)))
			break;
	}
	if (first && r >= 0)
		s->frag_lost = diff_reasm_lost(ra);
	if (first && r == 0 && emu_capin_cut(in)) {
		s->truncated = true;
		s->trunc = *emu_capin_cut(in);
	}
	if (d->progress)
		d->progress(d->progress_arg, what, no, true);
	diff_reasm_free(ra);
	emu_capin_close(in);
	if (r > 0)
		r = 0;
	if (!r && !first && rec != s->n) {
		snprintf(err, errlen, "%s changed while being compared", s->path);
		r = -EIO;
	}
	return r;
}

static uint32_t hash32(const uint8_t *p, size_t len)
{
	uint64_t h = diff_hash(p, len);

	return (uint32_t)(h ^ h >> 32);
}

/* Pass 1: the record of a segment. */
static int add_record(struct emu_diff *d, int side, const struct diff_pkt *p, uint32_t rec,
		      void *arg, char *err, size_t errlen)
{
	struct diff_side *s = &d->s[side];
	const struct md5sig_seg *seg = &p->seg;
	const uint8_t *ip = p->data + seg->l3_off, *t = p->data + seg->l4_off;
	uint32_t ihl = seg->l4_off - seg->l3_off;
	struct diff_key k;
	bool made;

	(void)arg;
	(void)rec;
	if (s->n == s->fcap) {
		size_t cap = s->fcap ? 2 * s->fcap : 4096;
		struct diff_frame *f = realloc(s->f, cap * sizeof(*f));
		if (!f)
			goto nomem;
		s->f = f;
		s->fcap = cap;
	}
	diff_key_of(seg, &k);
	uint32_t fi = diff_flow_get(s, &k, &made);
	if (fi == DIFF_NONE)
		goto nomem;
	struct diff_flow *fl = &s->fl[fi];
	if (made) {
		fl->first = (uint32_t)s->n;
		diff_isn_given(d, fl);
	}
	fl->n++;

	struct diff_frame *f = &s->f[s->n++];
	uint32_t end = seg->l4_off + seg->tcp_len, thlen = seg->thlen;
	memset(f, 0, sizeof(*f));
	f->no = p->no;
	f->flow = fi;
	f->rseq = wire_get32(t + WIRE_TCP_SEQ);
	f->ack = wire_get32(t + WIRE_TCP_ACK);
	f->plen = seg->tcp_len - thlen;
	f->capt = p->optcut || p->caplen <= seg->l4_off + thlen ? 0
		  : end <= p->caplen				? f->plen
								: p->caplen - seg->l4_off - thlen;
	f->phash = f->capt ? diff_hash(t + thlen, f->capt) : 0;
	f->origin = DIFF_NONE;
	f->doff = t[WIRE_TCP_DOFF];
	f->tflags = t[WIRE_TCP_FLAGS];
	f->win = wire_get16(t + WIRE_TCP_WIN);
	f->urp = wire_get16(t + WIRE_TCP_URP);
	f->tcsum = wire_get16(t + WIRE_TCP_CSUM);
	uint32_t optlen = thlen - WIRE_TCP_HLEN;
	f->optcap = (uint8_t)(p->optcut ? p->caplen - seg->l4_off - WIRE_TCP_HLEN : optlen);
	memcpy(f->opts, t + WIRE_TCP_HLEN, f->optcap);
	f->linkhash = hash32(p->data, seg->l3_off) ^ seg->l3_off;
	f->iphl = (uint16_t)ihl;
	if (seg->family == AF_INET6) {
		uint8_t fl6[3] = {ip[1] & 0x0f, ip[2], ip[3]};
		f->tos = (uint8_t)((ip[0] & 0x0f) << 4 | ip[1] >> 4);
		f->ttl = ip[WIRE_IPV6_HLIM];
		f->iphash =
			hash32(fl6, 3) ^ hash32(ip + WIRE_IPV6_HLEN, ihl - WIRE_IPV6_HLEN) ^ ihl;
		f->ip_ok = 1;
	} else {
		f->tos = ip[WIRE_IPV4_TOS];
		f->ttl = ip[WIRE_IPV4_TTL];
		f->ipid = wire_get16(ip + WIRE_IPV4_ID);
		f->frag = wire_get16(ip + WIRE_IPV4_FRAG);
		f->ipcsum = wire_get16(ip + WIRE_IPV4_CSUM);
		f->iphash = hash32(ip + WIRE_IPV4_HLEN, ihl - WIRE_IPV4_HLEN) ^ ihl;
		f->ip_ok = offload_csum_fold(offload_csum_partial(ip, ihl, 0)) == 0xffff;
	}
	if (p->optcut) {
		f->st |= FR_CUT | FR_OPTCUT;
		fl->optcut++;
	} else if (f->capt < f->plen) {
		f->st |= FR_CUT;
	}
	if (f->st & FR_CUT) {
		s->cut++;
		s->cut_bytes += f->plen - f->capt;
	}
	f->csum = f->st & FR_CUT ? CSUM_UNKNOWN : (uint8_t)offload_csum_classify(p->data, seg);
	f->nfrags = p->nfrags;
	f->fragmax = p->fragmax;
	if (p->nfrags) {
		fl->reasm++;
		fl->frags += p->nfrags;
		if (p->fragmax > fl->fragmax)
			fl->fragmax = p->fragmax;
	}
	if ((f->tflags & WIRE_TCP_F_SYN) && !fl->syn) {
		fl->syn = true;
		fl->syn_seq = f->rseq;
	}
	diff_classify(d, s, fl, p, f);
	s->md5[f->md5v]++;
	s->ao[f->aov]++;
	if (end - seg->l3_off > s->max_iplen)
		s->max_iplen = end - seg->l3_off;
	return 0;
nomem:
	snprintf(err, errlen, "%s: out of memory", s->path);
	return -ENOMEM;
}

int emu_diff_read(struct emu_diff *d, const char *guest, const char *wire, char *err, size_t errlen)
{
	char what[64];
	int r;

	d->s[GUEST].path = guest;
	d->s[WIRE].path = wire;
	/* the MKTs, as the key table holds them now (keys may be added after emu_diff_new()) */
	d->ao = d->keys ? md5sig_keytab_ao(d->keys) : NULL;
	md5sig_ao_verifier_set_table(d->aov, d->ao);
	for (int side = GUEST; side <= WIRE; side++) {
		struct diff_side *s = &d->s[side];
		struct stat st;

		if (stat(s->path, &st)) {
			snprintf(err, errlen, "%s: %s", s->path, strerror(errno));
			return -EINVAL;
		}
		if (!S_ISREG(st.st_mode)) {
			snprintf(err, errlen,
				 "%s: not a regular file (diff reads each capture more than once)",
				 s->path);
			return -EINVAL;
		}
	}
	for (int side = GUEST; side <= WIRE; side++) {
		struct diff_side *s = &d->s[side];

		snprintf(what, sizeof(what), "reading %s", s->path);
		if ((r = diff_scan(d, side, true, what, add_record, NULL, err, errlen)))
			return r;
		if (!s->n) {
			snprintf(err, errlen, "%s holds no TCP segments to compare", s->path);
			if (s->hdrcut)
				diff_appendf(err, errlen,
					     " (%lu cut inside their TCP headers by the snaplen)",
					     s->hdrcut);
			return -EINVAL;
		}
	}
	return 0;
}

const struct emu_capin_cut *emu_diff_cut(const struct emu_diff *d, bool wire)
{
	const struct diff_side *s = &d->s[wire ? WIRE : GUEST];

	return s->truncated ? &s->trunc : NULL;
}

void emu_diff_free(struct emu_diff *d)
{
	if (!d)
		return;
	for (int side = GUEST; side <= WIRE; side++) {
		free(d->s[side].f);
		free(d->s[side].fl);
		free(d->s[side].ht);
		free(d->s[side].idx);
		free(d->c.iv[side]);
	}
	free(d->c.tasks);
	free(d->c.cand);
	md5sig_hasher_free(d->h);
	md5sig_ao_verifier_free(d->aov);
	free(d);
}
