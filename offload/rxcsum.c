// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rx-csum: receive checksum offload. The device verifies the TCP or UDP checksum (and the IPv4
 * header checksum) of every frame from the wire and tells the guest the result, as virtio's
 * DATA_VALID does, so the guest's stack can skip its own pass. Verifying never changes a byte,
 * so this stage cannot invalidate a digest.
 *
 * A frame whose checksum fails is marked bad and passed on, not dropped: a NIC hands it up
 * without the "valid" mark, and the guest's stack verifies it itself, counts it (Linux
 * TcpInCsumErrors, UdpInCsumErrors) and drops it there. The stage statistics count drops,
 * not marks; the taps and the sink see the mark in the frame's csum.
 */
#include <errno.h>
#include <sys/socket.h>

#include "offload/internal.h"

/* Does the IPv4 header checksum verify? IPv6 has none. */
static bool ip_hdr_ok(const uint8_t *frame, const struct md5sig_seg *seg)
{
	const uint8_t *ip = frame + seg->l3_off;

	if (seg->family != AF_INET)
		return true;
	return offload_csum_fold(offload_csum_partial(ip, wire_ipv4_hlen(ip), 0)) == 0xffff;
}

static bool udp_ok(const uint8_t *f, const struct md5sig_seg *seg)
{
	const uint8_t *udp = f + seg->l4_off;
	uint64_t sum = offload_csum_pseudo(seg, WIRE_IPPROTO_UDP, seg->tcp_len, true);

	/* zero is "no checksum" over IPv4 (RFC 768); IPv6 requires one (RFC 8200 8.1) */
	if (wire_get16(udp + WIRE_UDP_CSUM) == 0)
		return seg->family == AF_INET;
	return offload_csum_fold(offload_csum_partial(udp, seg->tcp_len, sum)) == 0xffff;
}

static int rxcsum_process(struct offload_stage *st, struct offload_frame *in,
			  struct offload_frame **out, unsigned max_out)
{
	struct md5sig_seg seg;
	enum md5sig_status ps;
	bool ok;

	if (!max_out)
		return -ENOBUFS;
	int err = offload_frame_linearize(in); /* a no-op for linear frames */
	if (err < 0)
		return err;
	out[0] = in;

	ps = md5sig_parse(offload_stage_linktype(st), in->data, in->len, &seg);
	if (ps == MD5SIG_TCP)
		ok = offload_csum_classify(in->data, &seg) == OFFLOAD_CSUM_COMPLETE;
	else if (ps == MD5SIG_OTHER && offload_udp_locate(in->data, in->len, &seg))
		ok = udp_ok(in->data, &seg);
	else
		return 1; /* nothing the device checks: the guest's stack decides */
	/* from the wire a pseudo-header sum is no promise: anything but a full sum is bad */
	in->csum = ok && ip_hdr_ok(in->data, &seg) ? OFFLOAD_CSUM_COMPLETE : OFFLOAD_CSUM_BAD;
	return 1;
}

const struct offload_stage_ops offload_stage_rxcsum = {
	.name = "rx-csum",
	.size = sizeof(struct offload_stage),
	.process = rxcsum_process,
};
