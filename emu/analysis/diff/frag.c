// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * IPv4 reassembly for diff (RFC 791 §3.2): fragments of one datagram (source, destination,
 * protocol, ID) are gathered until the data from offset 0 to the last fragment's end is all
 * there, then handed on as one segment: the first fragment's link and IP headers, the total
 * length and fragment field rewritten (DF kept, MF and offset cleared), the header checksum
 * recomputed, the data. Bounded: a few datagrams at a time, the oldest pushed out. Fragments
 * that overlap others with different bytes are refused (RFC 5722's rule, applied to IPv4), an
 * exact repeat (a duplicated frame) is ignored, and fragments cut by the snaplen end their
 * datagram's reassembly: what is left over is counted, never guessed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "emu/analysis/diff/internal.h"

#define REASM_SLOTS  16
#define REASM_PIECES 64	       /* fragments per datagram */
#define REASM_DATA   65535     /* IPv4 data bytes at most */
#define REASM_HEAD   (64 + 60) /* link header (with tags) and IPv4 header at most */

struct reasm_slot {
	bool used, bad;
	bool done; /* handed on: kept to recognise repeats of its fragments (a SPAN port's) */
	uint8_t src[4], dst[4];
	uint16_t id;
	uint64_t age;
	uint32_t total;	      /* data bytes, once the last fragment is seen; else 0 */
	uint32_t headlen, l3; /* the first fragment's headers (0: not seen yet) */
	unsigned npieces;
	uint32_t piece[REASM_PIECES][2]; /* [start, end) of each fragment's data */
	uint16_t fragmax;
	uint8_t *buf; /* REASM_HEAD + REASM_DATA: headers, then the data at REASM_HEAD */
};

struct diff_reasm {
	struct reasm_slot slot[REASM_SLOTS];
	uint64_t clock;
	unsigned long lost; /* fragments never part of a whole segment */
};

struct diff_reasm *diff_reasm_new(void)
{
	return calloc(1, sizeof(struct diff_reasm));
}

void diff_reasm_free(struct diff_reasm *r)
{
	if (!r)
		return;
	for (int i = 0; i < REASM_SLOTS; i++)
		free(r->slot[i].buf);
	free(r);
}

unsigned long diff_reasm_lost(const struct diff_reasm *r)
{
	unsigned long n = r->lost;

	for (int i = 0; i < REASM_SLOTS; i++)
		if (r->slot[i].used && !r->slot[i].done)
			n += r->slot[i].npieces;
	return n;
}

static void drop(struct diff_reasm *r, struct reasm_slot *s)
{
	if (!s->done)
		r->lost += s->npieces;
	s->used = false;
}

static uint16_t id_of(const uint8_t *ip)
{
	return wire_get16(ip + WIRE_IPV4_ID);
}

static struct reasm_slot *slot_for(struct diff_reasm *r, const uint8_t *ip)
{
	struct reasm_slot *free_slot = NULL, *oldest = NULL;
	uint16_t id = wire_get16(ip + WIRE_IPV4_ID);

	for (int i = 0; i < REASM_SLOTS; i++) {
		struct reasm_slot *s = &r->slot[i];
		if (!s->used) {
			free_slot = free_slot ? free_slot : s;
			continue;
		}
		if (s->id == id && !memcmp(s->src, ip + WIRE_IPV4_SADDR, 4) &&
		    !memcmp(s->dst, ip + WIRE_IPV4_DADDR, 4))
			return s;
		/* datagrams handed on go first, then the oldest */
		if (!oldest || s->done > oldest->done ||
		    (s->done == oldest->done && s->age < oldest->age))
			oldest = s;
	}
	if (!free_slot) {
		drop(r, oldest);
		free_slot = oldest;
	}
	if (!free_slot->buf && !(free_slot->buf = malloc(REASM_HEAD + REASM_DATA)))
		return NULL;
	uint8_t *buf = free_slot->buf;
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->buf = buf;
	free_slot->used = true;
	free_slot->id = id;
	memcpy(free_slot->src, ip + WIRE_IPV4_SADDR, 4);
	memcpy(free_slot->dst, ip + WIRE_IPV4_DADDR, 4);
	return free_slot;
}

int diff_reasm_add(struct diff_reasm *r, const uint8_t *frame, uint32_t caplen, uint32_t len,
		   uint32_t l3, const uint8_t **out, uint32_t *outlen, uint8_t *nfrags,
		   uint16_t *fragmax)
{
	const uint8_t *ip = frame + l3;
	uint32_t ihl = wire_ipv4_hlen(ip), iplen = wire_get16(ip + WIRE_IPV4_TOT_LEN);
	uint16_t fo = wire_get16(ip + WIRE_IPV4_FRAG);
	uint32_t start = (uint32_t)(fo & WIRE_IPV4_OFF_MASK) * 8, dlen;

	if (ihl < WIRE_IPV4_HLEN || iplen < ihl || l3 + ihl > caplen || l3 > 64) {
		r->lost++;
		return 0;
	}
	dlen = iplen - ihl;
	struct reasm_slot *s = slot_for(r, ip);
	if (!s)
		return -ENOMEM;
	s->age = ++r->clock;
	if (s->done) {
		for (unsigned i = 0; i < s->npieces; i++)
			if (s->piece[i][0] == start && s->piece[i][1] == start + dlen &&
			    l3 + iplen <= caplen &&
			    !memcmp(s->buf + REASM_HEAD + start, ip + ihl, dlen))
				return 0; /* a repeat of a fragment handed on */
		uint8_t *buf = s->buf;	  /* the ID used again: a new datagram */
		memset(s, 0, sizeof(*s));
		s->buf = buf;
		s->used = true;
		s->id = id_of(ip);
		memcpy(s->src, ip + WIRE_IPV4_SADDR, 4);
		memcpy(s->dst, ip + WIRE_IPV4_DADDR, 4);
	}
	if (s->bad || l3 + iplen > caplen || l3 + iplen > len || start + dlen > REASM_DATA ||
	    (!(fo & WIRE_IPV4_MF) && s->total && s->total != start + dlen)) {
		/* cut by the snaplen, too long, or two different ends: nothing whole comes of it */
		s->bad = true;
		s->npieces++;
		return 0;
	}
	for (unsigned i = 0; i < s->npieces; i++) {
		uint32_t a = s->piece[i][0], b = s->piece[i][1];
		if (start >= b || start + dlen <= a)
			continue;
		if (a == start && b == start + dlen &&
		    !memcmp(s->buf + REASM_HEAD + a, ip + ihl, dlen))
			return 0; /* the same fragment again */
		s->bad = true;	  /* overlapping fragments: refused */
		s->npieces++;
		return 0;
	}
	if (s->npieces == REASM_PIECES) {
		s->bad = true;
		s->npieces++;
		return 0;
	}
	s->piece[s->npieces][0] = start;
	s->piece[s->npieces][1] = start + dlen;
	s->npieces++;
	if (iplen > s->fragmax)
		s->fragmax = (uint16_t)iplen;
	memcpy(s->buf + REASM_HEAD + start, ip + ihl, dlen);
	if (!(fo & WIRE_IPV4_MF))
		s->total = start + dlen;
	if (!start) {
		s->l3 = l3;
		s->headlen = l3 + ihl;
		memcpy(s->buf + REASM_HEAD - s->headlen, frame, s->headlen);
	}
	if (!s->total || !s->headlen)
		return 0;
	uint32_t have = 0;
	for (unsigned i = 0; i < s->npieces; i++)
		have += s->piece[i][1] - s->piece[i][0];
	if (have != s->total)
		return 0;

	/* whole: the first fragment's headers over the data, as one datagram */
	uint8_t *head = s->buf + REASM_HEAD - s->headlen, *h = head + s->l3;
	uint32_t hl = s->headlen - s->l3;
	if (hl + s->total > 65535) {
		s->bad = true;
		return 0;
	}
	wire_put16(h + WIRE_IPV4_TOT_LEN, (uint16_t)(hl + s->total));
	wire_put16(h + WIRE_IPV4_FRAG, wire_get16(h + WIRE_IPV4_FRAG) & WIRE_IPV4_DF);
	wire_put16(h + WIRE_IPV4_CSUM, 0);
	wire_put16(h + WIRE_IPV4_CSUM,
		   (uint16_t)~offload_csum_fold(offload_csum_partial(h, hl, 0)));
	*out = head;
	*outlen = s->headlen + s->total;
	*nfrags = (uint8_t)(s->npieces > 255 ? 255 : s->npieces);
	*fragmax = s->fragmax;
	s->done = true;
	return 1;
}
