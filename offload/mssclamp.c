// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mss-clamp: a router or firewall lowering the MSS option of SYN and SYN-ACK segments to
 * `mss-clamp.mss` where it is larger (Cisco `ip tcp adjust-mss`, Linux TCPMSS --set-mss), in
 * both directions, rewritten in place with the checksum updated incrementally. The contrast
 * case of the path elements: RFC 2385 does not cover options, so MD5 digests survive it; the
 * TCP-AO MAC covers them unless the key excludes options (RFC 5925 §3.1), so AO does not.
 */
#include <errno.h>

#include "offload/internal.h"

struct mssclamp_stage {
	struct offload_stage base; /* first: the pipeline hands out &base */
	uint16_t mss;
};

static const struct offload_param mssclamp_params[] = {
	{"mss", NULL, "1360", "the largest MSS a SYN may carry on (88..65535)"},
	{NULL},
};

static struct mssclamp_stage *mssclamp_of(struct offload_stage *st)
{
	return offload_container_of(st, struct mssclamp_stage, base);
}

static int mssclamp_init(struct offload_stage *st)
{
	unsigned long mss = offload_stage_param_num(st, "mss");

	/* Linux's TCP_MIN_MSS: nothing smaller carries a segment */
	if (mss < 88 || mss > 65535)
		return offload_stage_fail(st, "mss-clamp.mss must be 88..65535");
	mssclamp_of(st)->mss = (uint16_t)mss;
	return 0;
}

static int mssclamp_half(struct offload_stage *st, struct offload_frame *in,
			 struct offload_frame **out, unsigned max_out)
{
	const struct mssclamp_stage *m = mssclamp_of(st);
	struct md5sig_seg buf;
	const struct md5sig_seg *seg;
	uint8_t kind, len;

	if (!max_out)
		return -ENOBUFS;
	out[0] = in;
	const uint8_t *head = offload_path_tcp(st, in, &buf, &seg);
	if (!head)
		return 1;
	const uint8_t *tcp = head + seg->l4_off;
	if (!(tcp[WIRE_TCP_FLAGS] & WIRE_TCP_F_SYN))
		return 1;
	for (uint32_t i = 0; offload_tcp_opt_next(tcp, seg->thlen, &i, &kind, &len); i += len) {
		if (kind != WIRE_TCPOPT_MSS || len != 4 || wire_get16(tcp + i + 2) <= m->mss)
			continue;
		struct offload_frame *c = offload_frame_clone(st, in);
		if (!c)
			return -ENOMEM;
		uint8_t v[2];
		wire_put16(v, m->mss);
		offload_path_tcp_write(c, seg, i + 2, v, sizeof(v));
		offload_stage_count(st, "clamped");
		/* an option: not covered by RFC 2385, but by TCP-AO's MAC; the tap re-checks */
		c->changed = c->changed_covered = true;
		out[0] = c;
		return 1;
	}
	return 1;
}

const struct offload_stage_ops offload_stage_mssclamp = {
	.name = "mss-clamp",
	.params = mssclamp_params,
	.size = sizeof(struct mssclamp_stage),
	.init = mssclamp_init,
	.process = mssclamp_half,
	.receive = mssclamp_half,
};
