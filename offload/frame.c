// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A frame's bytes and where they live. A frame is linear (data[0..len), its own buffer) or
 * spread over fragments it does not own: the descriptors a guest handed over, a guest frame
 * lent by the caller for the duration of offload_pipeline_tx(), or, as Linux builds GSO
 * segments on page fragments and DPDK's GSO library on indirect mbufs, a segment made of its
 * own header (the first fragment, inside data) and a slice of the super-frame's payload. A
 * stage that writes bytes makes them its own first: offload_frame_head() for headers, which
 * keeps the payload where it is, offload_frame_linearize() for everything.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "internal.h"

enum md5sig_status offload_frame_parse(const struct offload_frame *f, uint32_t linktype,
				       struct md5sig_seg *seg)
{
	const uint8_t *b = offload_frame_bytes(f);
	enum md5sig_status st;

	if (b)
		return md5sig_parse(linktype, b, f->len, seg);
	st = md5sig_parse_head(linktype, f->frags[0].p, f->frags[0].len, f->len, seg);
	return st == MD5SIG_TCP || st == MD5SIG_OTHER || st == MD5SIG_FRAGMENT ? st
									       : MD5SIG_NSTATUS;
}

int offload_frame_linearize(struct offload_frame *f)
{
	uint32_t off = 0;

	if (!f->nfrags)
		return 0;
	for (unsigned i = 0; i < f->nfrags; i++) {
		if (off + f->frags[i].len > f->cap)
			return -EMSGSIZE;
		/* fragments may already lie in place inside data (a stage's header, a port's
		 * own layout) */
		memmove(f->data + off, f->frags[i].p, f->frags[i].len);
		off += f->frags[i].len;
	}
	f->len = off;
	f->nfrags = 0;
	return 0;
}

uint8_t *offload_frame_head(struct offload_frame *f, uint32_t n)
{
	if (n > f->len)
		n = f->len;
	if (!f->nfrags || (f->frags[0].p == f->data && f->frags[0].len >= n))
		return f->data;
	if (f->nfrags == 1 && n < f->len && n <= f->cap) {
		/* a lent frame: copy its head, leave the rest where it is */
		const uint8_t *p = f->frags[0].p;

		memcpy(f->data, p, n);
		f->frags[0] = (struct offload_frag){f->data, n};
		f->frags[1] = (struct offload_frag){p + n, f->len - n};
		f->nfrags = 2;
		return f->data;
	}
	return offload_frame_linearize(f) < 0 ? NULL : f->data;
}

/* Swap the bytes of a 16-bit sum: what summing from an odd offset does to it (RFC 1071 2.B). */
static uint64_t swab16(uint64_t s)
{
	return (s & 0xff) << 8 | s >> 8;
}

/* offload_frame_csum() reading every byte. */
static uint64_t frame_csum_bytes(const struct offload_frame *f, uint32_t off, uint32_t len,
				 uint64_t sum)
{
	uint32_t pos = 0, cur = off;

	if (!f->nfrags)
		return offload_csum_partial(f->data + off, len, sum);
	for (unsigned i = 0; i < f->nfrags && len; i++) {
		const struct offload_frag *fr = &f->frags[i];

		if (cur < pos + fr->len) {
			uint32_t n = pos + fr->len - cur < len ? pos + fr->len - cur : len;
			/* folded, so at most 0xffff: no overflow however many fragments */
			uint64_t s = offload_csum_partial(fr->p + (cur - pos), n, 0);

			sum += (cur - off) & 1 ? swab16(s) : s;
			cur += n;
			len -= n;
		}
		pos += fr->len;
	}
	return sum;
}

uint64_t offload_frame_csum(const struct offload_frame *f, uint32_t off, uint32_t len, uint64_t sum)
{
	if (f->tail_off && off <= f->tail_off && off + len == f->len) {
		/* the tail's sum is known: read only what precedes it */
		uint32_t head = f->tail_off - off;

		sum = frame_csum_bytes(f, off, head, sum);
		return sum + (head & 1 ? swab16(f->tail_sum) : f->tail_sum);
	}
	return frame_csum_bytes(f, off, len, sum);
}

void offload_frame_tcp_fill(struct offload_frame *f, const struct md5sig_seg *seg)
{
	uint8_t *tcp = f->data + seg->l4_off; /* the head is the frame's own: see the header */
	uint64_t sum = offload_csum_pseudo(seg, IPPROTO_TCP, seg->tcp_len, true);

	offload_tcp_csum_put(tcp, offload_frame_csum(f, seg->l4_off, seg->tcp_len, sum));
}

struct offload_frame *offload_frame_clone(struct offload_stage *st, const struct offload_frame *in)
{
	struct offload_frame *f = offload_frame_new(st, in->len);
	uint32_t off = 0;

	if (!f)
		return NULL;
	if (!in->nfrags) {
		memcpy(f->data, in->data, in->len);
		off = in->len;
	}
	for (unsigned i = 0; i < in->nfrags && off + in->frags[i].len <= f->cap; i++) {
		memcpy(f->data + off, in->frags[i].p, in->frags[i].len);
		off += in->frags[i].len;
	}
	f->len = off;
	offload_frame_copy_meta(f, in);
	return f;
}
