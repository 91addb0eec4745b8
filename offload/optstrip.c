// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * optstrip: a firewall's TCP normalizer overwriting options it does not allow with NOPs, in
 * both directions. Cisco PIX and ASA (7.0 and later) do this to option 19, the RFC 2385 MD5
 * signature, unless a tcp-map says `tcp-options range 19 19 allow`: the segment goes on with
 * the same length and no digest, and the peer logs "No MD5 digest" (Linux counts
 * TcpExtTCPMD5NotFound). Which kinds go is `optstrip.kinds` (default 19; 29, TCP-AO, goes the
 * same way). The TCP checksum follows incrementally; nothing else changes. NOP (1) and EOL (0)
 * cannot be stripped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "offload/internal.h"

struct optstrip_stage {
	struct offload_stage base; /* first: the pipeline hands out &base */
	uint8_t kinds[32];	   /* a bit per option kind to strip */
};

static const struct offload_param optstrip_params[] = {
	{"kinds", NULL, "19", "option kinds overwritten with NOPs (2..254)", "KIND[,KIND...]"},
	{NULL},
};

static struct optstrip_stage *optstrip_of(struct offload_stage *st)
{
	return offload_container_of(st, struct optstrip_stage, base);
}

static int optstrip_init(struct offload_stage *st)
{
	struct optstrip_stage *o = optstrip_of(st);
	const char *v = offload_stage_param(st, "kinds");

	for (;;) {
		char *end;
		unsigned long k = strtoul(v, &end, 10);

		if (end == v || *v == '-' || (*end && *end != ','))
			return offload_stage_fail(st, "optstrip.kinds: expected option kinds "
						      "separated by commas (19,29)");
		if (k < 2 || k > 254)
			return offload_stage_fail(st, "optstrip.kinds: a kind is 2..254 (0 and 1, "
						      "EOL and NOP, are no options to strip)");
		o->kinds[k / 8] |= (uint8_t)(1u << (k % 8));
		if (!*end)
			return 0;
		v = end + 1;
	}
}

static int optstrip_half(struct offload_stage *st, struct offload_frame *in,
			 struct offload_frame **out, unsigned max_out)
{
	const struct optstrip_stage *o = optstrip_of(st);
	struct md5sig_seg buf;
	const struct md5sig_seg *seg;
	uint8_t opts[40], kind, len;
	bool strip = false;

	if (!max_out)
		return -ENOBUFS;
	out[0] = in;
	const uint8_t *head = offload_path_tcp(st, in, &buf, &seg);
	if (!head)
		return 1;
	const uint8_t *tcp = head + seg->l4_off;
	uint32_t n = seg->thlen - WIRE_TCP_HLEN;

	memcpy(opts, tcp + WIRE_TCP_HLEN, n);
	for (uint32_t i = 0; offload_tcp_opt_next(tcp, seg->thlen, &i, &kind, &len); i += len) {
		if (o->kinds[kind / 8] & (1u << (kind % 8))) {
			memset(opts + i - WIRE_TCP_HLEN, WIRE_TCPOPT_NOP, len);
			strip = true;
		}
	}
	if (!strip)
		return 1;
	struct offload_frame *c = offload_frame_clone(st, in);
	if (!c)
		return -ENOMEM;
	offload_path_tcp_write(c, seg, WIRE_TCP_HLEN, opts, n);
	offload_stage_count(st, "stripped");
	c->changed = c->changed_covered = true; /* the option itself */
	out[0] = c;
	return 1;
}

const struct offload_stage_ops offload_stage_optstrip = {
	.name = "optstrip",
	.params = optstrip_params,
	.size = sizeof(struct optstrip_stage),
	.init = optstrip_init,
	.process = optstrip_half,
	.receive = optstrip_half,
};
