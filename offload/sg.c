// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sg: scatter-gather. A guest hands a frame spread over descriptor fragments; the device
 * reads them where they lie, so this stage moves no byte: the stages after it read the
 * fragments in place (offload/frame.c). Gathering never changes a byte either, so a digest
 * can only suffer here through what a device does with frames beyond its descriptor limits.
 *
 * Each fragment is one descriptor. `max_frags` is how many one packet may use (VMXNET2: 6
 * scatter-gather elements per ring entry; VMXNET3: 16 per non-TSO packet) and `frag_size` how
 * many bytes one descriptor holds (VMXNET3: 16 KiB). A frame beyond them is linearized anyway,
 * as the Linux vmxnet3 driver does with skb_linearize(), or dropped. `tso_exempt` exempts TSO
 * requests from the descriptor count, as VMXNET3 does; the per-descriptor size is a hardware
 * field width and binds every frame spread over descriptors. A frame in one buffer (a guest
 * frame lent whole, when the profile lays out no descriptors) has nothing to gather.
 */
#include <errno.h>
#include <string.h>

#include "offload/offload.h"

enum sg_overflow { SG_OVERFLOW_LINEARIZE, SG_OVERFLOW_DROP };

struct sg_stage {
	struct offload_stage base;
	unsigned long max_frags; /* descriptors per packet */
	unsigned long frag_size; /* bytes per descriptor, 0: unlimited */
	enum sg_overflow overflow;
	bool tso_exempt; /* max_frags does not bind TSO requests */
};

/* Choice lists; each enum follows the order of its list. */
static const char *const sg_overflow_choices[] = {"linearize", "drop", NULL};
static const char *const sg_onoff_choices[] = {"on", "off", NULL};

static const struct offload_param sg_params[] = {
	{"max_frags", NULL, "16", "descriptors one packet may use (VMXNET2: 6, VMXNET3: 16)"},
	{"frag_size", NULL, "0", "bytes one descriptor holds, 0 for no limit (VMXNET3: 16384)"},
	{"overflow", sg_overflow_choices, "linearize",
	 "a frame beyond the limits: linearize it anyway, or drop it"},
	{"tso_exempt", sg_onoff_choices, "on", "max_frags binds only non-TSO frames (as VMXNET3)"},
	{NULL},
};

static struct sg_stage *sg_of(struct offload_stage *st)
{
	return offload_container_of(st, struct sg_stage, base);
}

static int sg_init(struct offload_stage *st)
{
	struct sg_stage *sg = sg_of(st);

	sg->max_frags = offload_stage_param_num(st, "max_frags");
	sg->frag_size = offload_stage_param_num(st, "frag_size");
	sg->overflow = strcmp(offload_stage_param(st, "overflow"), "drop") ? SG_OVERFLOW_LINEARIZE
									   : SG_OVERFLOW_DROP;
	sg->tso_exempt = !strcmp(offload_stage_param(st, "tso_exempt"), "on");
	if (!sg->max_frags)
		return offload_stage_fail(st, "sg.max_frags must be at least 1");
	return 0;
}

/* NULL if @f fits the descriptor limits, else the drop reason. */
static const char *sg_over_limit(const struct sg_stage *sg, const struct offload_frame *f)
{
	if (f->nfrags > sg->max_frags && !(f->tso && sg->tso_exempt))
		return "too-many-frags";
	if (sg->frag_size) {
		for (unsigned i = 0; i < f->nfrags; i++)
			if (f->frags[i].len > sg->frag_size)
				return "frag-too-large";
	}
	return NULL;
}

static int sg_process(struct offload_stage *st, struct offload_frame *in,
		      struct offload_frame **out, unsigned max_out)
{
	struct sg_stage *sg = sg_of(st);

	if (!max_out)
		return -ENOBUFS;
	/* one buffer (a frame lent whole) has no descriptors to count */
	const char *over = in->nfrags > 1 ? sg_over_limit(sg, in) : NULL;
	if (over) {
		if (sg->overflow == SG_OVERFLOW_DROP)
			return offload_stage_drop(st, over);
		/* the driver's skb_linearize(): one buffer, one descriptor */
		int err = offload_frame_linearize(in);
		if (err < 0)
			return err;
	}
	out[0] = in; /* the descriptors are read in place: nothing changed */
	return 1;
}

/*
 * With scatter-gather off a guest kernel linearizes every frame before the driver sees it
 * (Linux skb_linearize() when NETIF_F_SG is clear), so the device gets one buffer whatever
 * the limits.
 */
static int sg_bypass(struct offload_stage *st, struct offload_frame *in)
{
	int err = in->nfrags > 1 ? offload_frame_linearize(in) : 0;

	(void)st;
	return err < 0 ? err : 1;
}

const struct offload_stage_ops offload_stage_sg = {
	.name = "sg",
	.params = sg_params,
	.size = sizeof(struct sg_stage),
	.init = sg_init,
	.process = sg_process,
	.bypass = sg_bypass,
};
