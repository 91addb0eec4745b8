// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * IP reassembly of TCP segments (emu/analysis/reasm.h): a fixed table of datagrams, each with
 * the fragments' ranges, its payload gathered in a buffer that grows to what arrived, and the
 * first fragment's headers. Overlaps are looked for before anything is copied.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "emu/analysis/reasm.h"
#include "md5sig/md5sig.h"
#include "offload/offload.h"

#define V4_TIMEOUT 15 /* seconds: RFC 791's recommended initial timer */
#define V6_TIMEOUT 60 /* seconds: RFC 8200 §4.5 */

struct piece {
	uint32_t start, end;
};

struct datagram {
	bool used;
	bool discarded; /* an overlap: later fragments are dropped silently (RFC 5722) */
	uint8_t family;
	uint8_t saddr[16], daddr[16];
	uint32_t id;
	struct timespec first; /* when its first fragment arrived */
	uint64_t born;	       /* creation order, for eviction */
	uint8_t *hdr;	       /* the first fragment's link and IP headers, or NULL */
	size_t hdrlen;
	size_t l3;	/* where the IP header starts in hdr */
	size_t nh_at;	/* IPv6: the Next Header byte pointing at the Fragment header */
	uint32_t total; /* payload length, known from the last fragment */
	bool last;	/* the last fragment arrived */
	uint32_t have;	/* payload bytes arrived */
	uint8_t *data;	/* payload, data[0..cap) */
	uint32_t cap;
	struct piece piece[EMU_REASM_PIECES];
	unsigned npieces;
};

struct emu_reasm {
	struct datagram d[EMU_REASM_DATAGRAMS];
	struct emu_reasm_stats st;
	uint64_t born;
	uint8_t *out;
	size_t outcap;
};

struct emu_reasm *emu_reasm_new(void)
{
	return calloc(1, sizeof(struct emu_reasm));
}

static void release(struct datagram *d)
{
	free(d->hdr);
	free(d->data);
	memset(d, 0, sizeof(*d));
}

void emu_reasm_free(struct emu_reasm *r)
{
	if (!r)
		return;
	for (unsigned i = 0; i < EMU_REASM_DATAGRAMS; i++)
		release(&r->d[i]);
	free(r->out);
	free(r);
}

/* Drop what was gathered but remember the datagram: its later fragments are dropped too. */
static void discard(struct datagram *d)
{
	free(d->hdr);
	free(d->data);
	d->hdr = d->data = NULL;
	d->cap = d->have = 0;
	d->npieces = 0;
	d->discarded = true;
}

/* Abandon datagrams whose first fragment is older than their family's timer. */
static void expire(struct emu_reasm *r, const struct timespec *now)
{
	for (unsigned i = 0; i < EMU_REASM_DATAGRAMS; i++) {
		struct datagram *d = &r->d[i];
		time_t limit = d->family == AF_INET ? V4_TIMEOUT : V6_TIMEOUT;

		if (!d->used || now->tv_sec - d->first.tv_sec < limit ||
		    (now->tv_sec - d->first.tv_sec == limit && now->tv_nsec < d->first.tv_nsec))
			continue;
		if (!d->discarded)
			r->st.timed_out++;
		release(d);
	}
}

static struct datagram *find(struct emu_reasm *r, const struct md5sig_ip *ip)
{
	size_t alen = ip->family == AF_INET ? 4 : 16;

	for (unsigned i = 0; i < EMU_REASM_DATAGRAMS; i++) {
		struct datagram *d = &r->d[i];
		if (d->used && d->family == ip->family && d->id == ip->frag_id &&
		    !memcmp(d->saddr, ip->saddr, alen) && !memcmp(d->daddr, ip->daddr, alen))
			return d;
	}
	return NULL;
}

/* A free slot, or the oldest datagram's, which is abandoned. */
static struct datagram *slot(struct emu_reasm *r)
{
	struct datagram *old = NULL;

	for (unsigned i = 0; i < EMU_REASM_DATAGRAMS; i++) {
		if (!r->d[i].used)
			return &r->d[i];
		if (!old || r->d[i].born < old->born)
			old = &r->d[i];
	}
	if (!old->discarded)
		r->st.evicted++;
	release(old);
	return old;
}

/* Keep the first fragment's headers: link and IP, up to its data (IPv6: the Fragment header). */
static int keep_headers(struct datagram *d, const uint8_t *f, const struct md5sig_ip *ip)
{
	size_t end = ip->family == AF_INET ? ip->l4_off : ip->frag_hdr;

	d->hdr = malloc(end);
	if (!d->hdr)
		return -ENOMEM;
	memcpy(d->hdr, f, end);
	d->hdrlen = end;
	d->l3 = ip->l3_off;
	if (ip->family == AF_INET6) {
		/* which Next Header names the Fragment header: the fixed header's, or the last
		 * extension header's before it (md5sig_parse_ip() checked the chain) */
		size_t off = ip->l3_off + WIRE_IPV6_HLEN;
		uint8_t nh = f[ip->l3_off + WIRE_IPV6_NEXT];
		d->nh_at = ip->l3_off + WIRE_IPV6_NEXT;
		while (off < ip->frag_hdr) {
			size_t hlen = nh == WIRE_IPV6_AH ? ((size_t)f[off + 1] + 2) * 4
							 : ((size_t)f[off + 1] + 1) * 8;
			d->nh_at = off;
			nh = f[off];
			off += hlen;
		}
	}
	return 0;
}

/* The datagram as one frame, into r->out. */
static int build(struct emu_reasm *r, struct datagram *d, size_t *outlen)
{
	size_t n = d->hdrlen + d->total;

	if (n > r->outcap) {
		uint8_t *o = realloc(r->out, n);
		if (!o)
			return -ENOMEM;
		r->out = o;
		r->outcap = n;
	}
	memcpy(r->out, d->hdr, d->hdrlen);
	memcpy(r->out + d->hdrlen, d->data, d->total);
	uint8_t *ip = r->out + d->l3;
	if (d->family == AF_INET) {
		size_t ihl = d->hdrlen - d->l3;
		wire_put16(ip + WIRE_IPV4_TOT_LEN, (uint16_t)(ihl + d->total));
		/* whole: no offset, no more fragments; Don't Fragment as the first one had it */
		wire_put16(ip + WIRE_IPV4_FRAG, wire_get16(ip + WIRE_IPV4_FRAG) & WIRE_IPV4_DF);
		offload_csum_ipv4_hdr(ip, ihl);
	} else {
		r->out[d->nh_at] = WIRE_IPPROTO_TCP;
		wire_put16(ip + WIRE_IPV6_PLEN,
			   (uint16_t)(d->hdrlen - d->l3 - WIRE_IPV6_HLEN + d->total));
	}
	*outlen = n;
	return 0;
}

/* Gather one fragment of @d; false when it discarded the datagram or was refused. */
static bool gather(struct emu_reasm *r, struct datagram *d, const uint8_t *f,
		   const struct md5sig_ip *ip)
{
	uint32_t start = ip->frag_off, len = ip->ip_end - ip->l4_off, end = start + len;

	for (unsigned i = 0; i < d->npieces; i++) {
		const struct piece *p = &d->piece[i];
		if (start >= p->end || p->start >= end)
			continue;
		if (p->start == start && p->end == end &&
		    !memcmp(d->data + start, f + ip->l4_off, len)) {
			r->st.duplicates++; /* the same fragment again: RFC 8200 lets it go */
			return false;
		}
		r->st.overlapping++; /* RFC 5722: the whole datagram goes, and what follows */
		discard(d);
		return false;
	}
	/* a last fragment that disagrees with what arrived is an overlap too */
	if ((!ip->more && d->last && d->total != end) || (d->last && end > d->total)) {
		r->st.overlapping++;
		discard(d);
		return false;
	}
	for (unsigned i = 0; !ip->more && i < d->npieces; i++) {
		if (d->piece[i].end > end) {
			r->st.overlapping++;
			discard(d);
			return false;
		}
	}
	if (d->npieces == EMU_REASM_PIECES) {
		r->st.bad++;
		discard(d);
		return false;
	}
	if (end > d->cap) {
		uint32_t cap = d->cap ? d->cap : 4096;
		while (cap < end)
			cap *= 2;
		uint8_t *nd = realloc(d->data, cap > EMU_REASM_MAX ? EMU_REASM_MAX : cap);
		if (!nd) {
			r->st.bad++;
			discard(d);
			return false;
		}
		d->data = nd;
		d->cap = cap > EMU_REASM_MAX ? EMU_REASM_MAX : cap;
	}
	if (start == 0 && !d->hdr && keep_headers(d, f, ip)) {
		r->st.bad++;
		discard(d);
		return false;
	}
	memcpy(d->data + start, f + ip->l4_off, len);
	d->piece[d->npieces++] = (struct piece){start, end};
	d->have += len;
	if (!ip->more) {
		d->last = true;
		d->total = end;
	}
	return true;
}

enum emu_reasm_result emu_reasm_feed(struct emu_reasm *r, uint32_t linktype, const uint8_t *frame,
				     size_t len, const struct timespec *ts, const uint8_t **out,
				     size_t *outlen)
{
	struct md5sig_ip ip;

	if (!md5sig_parse_ip(linktype, frame, len, &ip) || !ip.fragment ||
	    ip.proto != WIRE_IPPROTO_TCP)
		return EMU_REASM_PASS;
	expire(r, ts);
	r->st.fragments++;
	uint32_t dlen = ip.ip_end - ip.l4_off;
	/* RFC 8200 §4.5 (and RFC 791's 8-byte units): only the last may be any length */
	if ((ip.more && (dlen % 8 || !dlen)) || ip.frag_off + dlen > EMU_REASM_MAX) {
		r->st.bad++;
		return EMU_REASM_HELD;
	}
	struct datagram *d = find(r, &ip);
	if (!d) {
		d = slot(r);
		d->used = true;
		d->family = ip.family;
		memcpy(d->saddr, ip.saddr, sizeof(d->saddr));
		memcpy(d->daddr, ip.daddr, sizeof(d->daddr));
		d->id = ip.frag_id;
		d->first = *ts;
		d->born = r->born++;
	}
	if (d->discarded || !gather(r, d, frame, &ip))
		return EMU_REASM_HELD;
	if (!d->hdr || !d->last || d->have != d->total)
		return EMU_REASM_HELD;
	int ret = build(r, d, outlen);
	release(d);
	if (ret) {
		r->st.bad++;
		return EMU_REASM_HELD;
	}
	r->st.reassembled++;
	*out = r->out;
	return EMU_REASM_DONE;
}

void emu_reasm_stats(const struct emu_reasm *r, struct emu_reasm_stats *s)
{
	*s = r->st;
	for (unsigned i = 0; i < EMU_REASM_DATAGRAMS; i++)
		if (r->d[i].used && !r->d[i].discarded)
			s->incomplete++;
}
