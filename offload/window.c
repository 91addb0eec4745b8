// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * window: a traffic shaper rewriting the TCP window field to pace senders, as Blue Coat
 * PacketShaper's rate control does (Broadcom KB 165403: BGP with MD5 fails through a shaper
 * that shapes the peers; the fix is `ip passthrough` for them). RFC 2385 covers the window
 * even though it does not cover options, so each rewritten segment's digest is stale.
 *
 * `window.mode=rewrite` writes `window.value` into every segment it touches, `clamp` only into
 * those advertising more; `window.when` is `always` or `syn` (SYN and SYN-ACK only); `window.dir`
 * picks the directions: both, out (guest to wire), in. The field is taken as it is, without
 * the window scale. The TCP checksum follows incrementally.
 */
#include <errno.h>
#include <string.h>

#include "offload/internal.h"

struct window_stage {
	struct offload_stage base; /* first: the pipeline hands out &base */
	uint16_t value;
	bool clamp, syn_only, out, in;
};

static const char *const mode_choices[] = {"rewrite", "clamp", NULL};
static const char *const when_choices[] = {"always", "syn", NULL};
static const char *const dir_choices[] = {"both", "out", "in", NULL};

static const struct offload_param window_params[] = {
	{"mode", mode_choices, "clamp", "write the value always, or only over larger windows"},
	{"value", NULL, "16384", "the window written (1..65535)"},
	{"when", when_choices, "always", "every segment, or SYN and SYN-ACK only"},
	{"dir", dir_choices, "both", "which directions: both, out (to the wire), in"},
	{NULL},
};

static struct window_stage *window_of(struct offload_stage *st)
{
	return offload_container_of(st, struct window_stage, base);
}

static int window_init(struct offload_stage *st)
{
	struct window_stage *w = window_of(st);
	unsigned long v = offload_stage_param_num(st, "value");
	const char *dir = offload_stage_param(st, "dir");

	if (v < 1 || v > 65535)
		return offload_stage_fail(st, "window.value must be 1..65535 (0 would stall the "
					      "sender)");
	w->value = (uint16_t)v;
	w->clamp = !strcmp(offload_stage_param(st, "mode"), "clamp");
	w->syn_only = !strcmp(offload_stage_param(st, "when"), "syn");
	w->out = strcmp(dir, "in") != 0;
	w->in = strcmp(dir, "out") != 0;
	return 0;
}

static int window_half(struct offload_stage *st, struct offload_frame *in,
		       struct offload_frame **out, unsigned max_out, bool rx)
{
	const struct window_stage *w = window_of(st);
	struct md5sig_seg buf;
	const struct md5sig_seg *seg;

	if (!max_out)
		return -ENOBUFS;
	out[0] = in;
	if (!(rx ? w->in : w->out))
		return 1;
	const uint8_t *head = offload_path_tcp(st, in, &buf, &seg);
	if (!head)
		return 1;
	const uint8_t *tcp = head + seg->l4_off;
	uint16_t win = wire_get16(tcp + WIRE_TCP_WIN);

	if ((w->syn_only && !(tcp[WIRE_TCP_FLAGS] & WIRE_TCP_F_SYN)) || win == w->value ||
	    (w->clamp && win < w->value))
		return 1;
	struct offload_frame *c = offload_frame_clone(st, in);
	if (!c)
		return -ENOMEM;
	uint8_t v[2];
	wire_put16(v, w->value);
	offload_path_tcp_write(c, seg, WIRE_TCP_WIN, v, sizeof(v));
	offload_stage_count(st, "rewritten");
	c->changed = c->changed_covered = true;
	out[0] = c;
	return 1;
}

static int window_out(struct offload_stage *st, struct offload_frame *in,
		      struct offload_frame **out, unsigned max_out)
{
	return window_half(st, in, out, max_out, false);
}

static int window_in(struct offload_stage *st, struct offload_frame *in, struct offload_frame **out,
		     unsigned max_out)
{
	return window_half(st, in, out, max_out, true);
}

const struct offload_stage_ops offload_stage_window = {
	.name = "window",
	.params = window_params,
	.size = sizeof(struct window_stage),
	.init = window_init,
	.process = window_out,
	.receive = window_in,
};
