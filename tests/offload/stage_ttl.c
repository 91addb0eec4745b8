// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ttl: routers between the NIC and the wire, the example of docs/adding-a-stage.md. Every IP
 * packet leaves with its IPv4 TTL (IPv6 hop limit) lowered by `hops`; one that would reach 0
 * on the way is dropped ("ttl-exceeded"), as the router where it does drops it (RFC 791, RFC
 * 8200; the ICMP time-exceeded message it sends back is no stage's business). The IPv4 header
 * checksum follows incrementally, as routers update it (RFC 1624). RFC 2385 does not cover
 * the TTL, so digests survive: the taps after the stage show it.
 *
 * It lives in the test tree, registered through offload_config.extra_stages by the registry
 * suite. To ship it: move this file to offload/ttl.c and add X(ttl) to the list in
 * offload/registry.c. Nothing else changes.
 */
#include <errno.h>
#include <sys/socket.h>

#include "offload/offload.h"

struct ttl_stage {
	struct offload_stage base; /* first: the pipeline hands out &base */
	unsigned hops;
};

static const struct offload_param ttl_params[] = {
	{"hops", NULL, "1", "routers between the NIC and the wire (1..255)"},
	{NULL},
};

static struct ttl_stage *ttl_of(struct offload_stage *st)
{
	return offload_container_of(st, struct ttl_stage, base);
}

static int ttl_init(struct offload_stage *st)
{
	unsigned long hops = offload_stage_param_num(st, "hops");

	if (hops < 1 || hops > 255)
		return offload_stage_fail(st, "ttl.hops must be 1..255");
	ttl_of(st)->hops = (unsigned)hops;
	return 0;
}

static int ttl_process(struct offload_stage *st, struct offload_frame *in,
		       struct offload_frame **out, unsigned max_out)
{
	struct ttl_stage *t = ttl_of(st);
	struct md5sig_seg buf;
	const struct md5sig_seg *seg;

	if (!max_out)
		return -ENOBUFS;
	out[0] = in;
	enum md5sig_status ps = offload_stage_parse(st, in, &buf, &seg);
	bool v4 = seg->family == AF_INET;
	/* TCP, or an IP header md5sig_parse() checked before it found something else */
	if ((ps != MD5SIG_TCP && ps != MD5SIG_OTHER && ps != MD5SIG_FRAGMENT) || !seg->family)
		return 1;
	/* the TTL, and the IPv4 header checksum after it, become this frame's own bytes */
	uint32_t end = seg->l3_off + (v4 ? WIRE_IPV4_CSUM + 2 : WIRE_IPV6_HLIM + 1);
	uint8_t *head = offload_frame_head(in, end);
	if (!head)
		return -EMSGSIZE;
	uint8_t *ip = head + seg->l3_off;
	uint8_t *ttl = ip + (v4 ? WIRE_IPV4_TTL : WIRE_IPV6_HLIM);

	if (*ttl <= t->hops)
		return offload_stage_drop(st, "ttl-exceeded");
	if (v4) {
		/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), m the word TTL shares with the
		 * protocol */
		uint16_t old = wire_get16(ttl);
		uint64_t sum = (uint16_t)~wire_get16(ip + WIRE_IPV4_CSUM) + (uint16_t)~old;

		*ttl = (uint8_t)(*ttl - t->hops);
		sum += wire_get16(ttl);
		wire_put16(ip + WIRE_IPV4_CSUM, (uint16_t)~offload_csum_fold(sum));
	} else {
		*ttl = (uint8_t)(*ttl - t->hops);
	}
	in->changed = true; /* written differently, and nothing RFC 2385 covers */
	return 1;
}

const struct offload_stage_ops offload_stage_ttl = {
	.name = "ttl",
	.params = ttl_params,
	.size = sizeof(struct ttl_stage),
	.init = ttl_init,
	.process = ttl_process,
};
