// SPDX-License-Identifier: GPL-2.0-or-later
/* Frames from a guest as the vNIC receives them: TSO requests, checksum state, descriptors. */
#include <errno.h>
#include <string.h>

#include "emu/device/device.h"
#include "emu/port/port.h"

int emu_guest_frame(struct offload_pipeline *pl, const struct emu_profile *p, uint32_t linktype,
		    unsigned wire_mtu, const uint8_t *data, uint32_t len, uint32_t wire_len,
		    const struct timespec *ts, uint64_t no, const struct emu_rxmeta *meta)
{
	/* room to gather into; the bytes themselves are lent, not copied (offload/frame.c) */
	struct offload_frame *f = offload_pipeline_guest_frame(pl, len);
	struct md5sig_seg seg;

	if (!f)
		return -EMSGSIZE;
	f->len = len;
	f->wire_len = wire_len;
	f->guest_no = no;
	if (ts)
		f->ts = *ts;
	if (md5sig_parse(linktype, data, len, &seg) == MD5SIG_TCP) {
		uint32_t iphl = seg.l4_off - seg.l3_off;
		/* the guest tap need not parse the same bytes again (unless it verifies) */
		f->seg = seg;
		f->seg_known = true;
		if (meta && meta->vnet) {
			/* a guest kernel's own request: its MSS, if there is anything to cut */
			if (meta->gso && seg.tcp_len - seg.thlen > meta->gso_size) {
				f->tso = true;
				f->mss = meta->gso_size;
			}
		} else if (iphl + seg.tcp_len > wire_mtu) {
			f->tso = true;
			f->mss = wire_mtu > iphl + seg.thlen
					 ? (uint16_t)(wire_mtu - iphl - seg.thlen)
					 : 0;
		}
		/* a TSO request's state is read off the sums tso takes as it cuts: the payload
		 * is read once */
		if (!f->tso)
			f->csum = offload_csum_classify(data, &seg);
	}
	if (offload_pipeline_feature(pl, OFFLOAD_F_SG) && p->fragment_size) {
		/* the profile's descriptor layout, over the lent bytes */
		uint32_t off = 0;
		if (p->header_copy && len > p->header_copy) {
			f->frags[f->nfrags++] = (struct offload_frag){data, p->header_copy};
			off = p->header_copy;
		}
		while (off < len && f->nfrags < OFFLOAD_MAX_FRAGS) {
			uint32_t n = len - off;
			if (n > p->fragment_size && f->nfrags + 1 < OFFLOAD_MAX_FRAGS)
				n = p->fragment_size;
			f->frags[f->nfrags++] = (struct offload_frag){data + off, n};
			off += n;
		}
	} else {
		f->frags[f->nfrags++] = (struct offload_frag){data, len};
	}
	return offload_pipeline_tx(pl, f);
}
