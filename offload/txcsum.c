// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tx-csum: transmit checksum offload. The guest leaves the TCP or UDP checksum field holding
 * the pseudo-header sum (with the length as Linux CHECKSUM_PARTIAL and virtio NEEDS_CSUM do, or
 * without it as the vmxnet3 and e1000 TSO paths do); the device writes the full checksum.
 *
 * The device here is the robust kind: it recomputes the pseudo-header from the IP header
 * instead of adding to the seed, so either seed gives the same result, and
 * it rewrites the IPv4 header checksum of every frame it completes (skipped when the stage
 * before has just computed it, as tso does for its segments: the same bytes would be
 * written). Checksums are not covered by RFC 2385, so completing one never invalidates a
 * digest. Complete and bad checksums are passed on untouched: a device does not repair what
 * the guest claims is done. The payload is only read, where it lies (a segment's slice of its
 * super-frame, with the sum tso took of it); the headers are taken into the frame's own buffer
 * before they are written.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "offload/internal.h"

/* Rewrite the IPv4 header checksum, unless the stage before has just made it right. */
static void ipv4_hdr_fill(struct offload_frame *f, uint8_t *frame, const struct md5sig_seg *seg)
{
	if (seg->family == AF_INET && !f->ip_csum_ok)
		offload_csum_ipv4_hdr(frame + seg->l3_off, wire_ipv4_hlen(frame + seg->l3_off));
	f->ip_csum_ok = seg->family == AF_INET;
}

static enum offload_csum udp_classify(const uint8_t *f, const struct md5sig_seg *seg)
{
	const uint8_t *udp = f + seg->l4_off;
	uint64_t with_len = offload_csum_pseudo(seg, WIRE_IPPROTO_UDP, seg->tcp_len, true);
	uint16_t field = wire_get16(udp + WIRE_UDP_CSUM);

	if (field == 0 && seg->family == AF_INET)
		return OFFLOAD_CSUM_COMPLETE; /* no checksum: nothing to complete (RFC 768) */
	if (offload_csum_fold(offload_csum_partial(udp, seg->tcp_len, with_len)) == 0xffff)
		return OFFLOAD_CSUM_COMPLETE;
	if (field == offload_csum_fold(with_len))
		return OFFLOAD_CSUM_PARTIAL;
	if (field ==
	    offload_csum_fold(offload_csum_pseudo(seg, WIRE_IPPROTO_UDP, seg->tcp_len, false)))
		return OFFLOAD_CSUM_PARTIAL_NOLEN;
	return OFFLOAD_CSUM_BAD;
}

static void udp_fill(uint8_t *f, const struct md5sig_seg *seg)
{
	uint8_t *udp = f + seg->l4_off;
	uint64_t sum = offload_csum_pseudo(seg, WIRE_IPPROTO_UDP, seg->tcp_len, true);

	wire_put16(udp + WIRE_UDP_CSUM, 0);
	uint16_t csum = (uint16_t)~offload_csum_fold(offload_csum_partial(udp, seg->tcp_len, sum));
	/* zero means "no checksum" on the wire: a computed zero is sent as all ones */
	wire_put16(udp + WIRE_UDP_CSUM, csum ? csum : 0xffff);
}

static bool is_partial(enum offload_csum c)
{
	return c == OFFLOAD_CSUM_PARTIAL || c == OFFLOAD_CSUM_PARTIAL_NOLEN;
}

static int txcsum_tcp(struct offload_frame *in, const struct md5sig_seg *seg)
{
	if (in->csum == OFFLOAD_CSUM_NONE) {
		const uint8_t *b = offload_frame_bytes(in);
		if (!b && offload_frame_linearize(in) < 0)
			return -EMSGSIZE;
		in->csum = offload_csum_classify(b ? b : in->data, seg);
	}
	if (!is_partial(in->csum))
		return 0;
	/* the headers become the device's to write; the payload is only read */
	uint8_t *head = offload_frame_head(in, seg->l4_off + seg->thlen);
	if (!head)
		return -EMSGSIZE;
	offload_frame_tcp_fill(in, seg);
	ipv4_hdr_fill(in, head, seg);
	return 1;
}

static int txcsum_udp(struct offload_frame *in, const struct md5sig_seg *parsed)
{
	const uint8_t *b = offload_frame_bytes(in);
	struct md5sig_seg seg = *parsed;

	/* a datagram is summed in one piece */
	if (!b && offload_frame_linearize(in) == 0)
		b = in->data;
	if (!b || !offload_udp_locate(b, in->len, &seg))
		return 0;
	if (in->csum == OFFLOAD_CSUM_NONE)
		in->csum = udp_classify(b, &seg);
	if (!is_partial(in->csum))
		return 0;
	uint8_t *head = offload_frame_head(in, in->len);
	if (!head)
		return -EMSGSIZE;
	udp_fill(head, &seg);
	ipv4_hdr_fill(in, head, &seg);
	return 1;
}

static int txcsum_process(struct offload_stage *st, struct offload_frame *in,
			  struct offload_frame **out, unsigned max_out)
{
	struct md5sig_seg buf;
	const struct md5sig_seg *seg;
	int done = 0;

	if (!max_out)
		return -ENOBUFS;
	out[0] = in;
	enum md5sig_status ps = offload_stage_parse(st, in, &buf, &seg);
	if (ps == MD5SIG_TCP)
		done = txcsum_tcp(in, seg);
	else if (ps == MD5SIG_OTHER)
		done = txcsum_udp(in, seg);
	if (done <= 0)
		return done < 0 ? done : 1;
	in->csum = OFFLOAD_CSUM_COMPLETE;
	/* checksums lie outside what RFC 2385 signs */
	in->changed = true;
	return 1;
}

const struct offload_stage_ops offload_stage_txcsum = {
	.name = "tx-csum",
	.size = sizeof(struct offload_stage),
	.process = txcsum_process,
};
