// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What the path elements share: finding the TCP segment they may rewrite, and rewriting its
 * header the way a box on the path does, with the checksum updated incrementally (RFC 1624)
 * rather than recomputed, so a checksum that was wrong stays wrong by as much.
 */
#include <string.h>

#include "internal.h"

const uint8_t *offload_path_tcp(struct offload_stage *st, struct offload_frame *in,
				struct md5sig_seg *buf, const struct md5sig_seg **seg)
{
	enum md5sig_status ps = offload_stage_parse(st, in, buf, seg);

	if (ps == MD5SIG_FRAGMENT)
		offload_stage_count(st, "fragment");
	else if (ps >= MD5SIG_MALFORMED_FIRST)
		offload_stage_count(st, "malformed");
	if (ps != MD5SIG_TCP)
		return NULL;
	/* the headers lie in the frame's bytes, or whole in its first fragment (parsed there) */
	return in->nfrags ? in->frags[0].p : in->data;
}

void offload_path_tcp_write(struct offload_frame *o, const struct md5sig_seg *seg, uint32_t off,
			    const void *bytes, uint32_t len)
{
	uint8_t *tcp = o->data + seg->l4_off;
	/* whole 16-bit words of the segment: the header is a multiple of 4 bytes long */
	uint32_t a = off & ~1u, b = (off + len + 1) & ~1u;
	uint8_t old[64];

	if (b - a > sizeof(old) || b > seg->thlen)
		return;
	memcpy(old, tcp + a, b - a);
	memcpy(tcp + off, bytes, len);
	if (o->csum == OFFLOAD_CSUM_PARTIAL || o->csum == OFFLOAD_CSUM_PARTIAL_NOLEN)
		return; /* a pseudo-header seed: the device that completes it sums the new bytes */
	offload_csum_replace(tcp + WIRE_TCP_CSUM, old, tcp + a, b - a, false);
}
