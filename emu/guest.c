// SPDX-License-Identifier: GPL-2.0-or-later
/* Frames from a guest as the vNIC receives them: TSO requests, checksum state, descriptors. */
#include <errno.h>
#include <string.h>

#include "emu.h"

int emu_guest_frame(struct offload_pipeline *pl, const struct emu_profile *p, uint32_t linktype,
		    unsigned wire_mtu, const uint8_t *data, uint32_t len, const struct timespec *ts,
		    uint64_t no, const struct emu_rxmeta *meta)
{
	struct offload_frame *f = offload_pipeline_guest_frame(pl, len);
	struct md5sig_seg seg;

	if (!f)
		return -EMSGSIZE;
	memcpy(f->data, data, len);
	f->len = len;
	f->guest_no = no;
	if (ts)
		f->ts = *ts;
	if (md5sig_parse(linktype, f->data, f->len, &seg) == MD5SIG_TCP) {
		uint32_t iphl = seg.l4_off - seg.l3_off;
		f->csum = offload_csum_classify(f->data, &seg);
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
	}
	if (offload_pipeline_feature(pl, OFFLOAD_F_SG) && p->fragment_size) {
		uint32_t off = 0;
		if (p->header_copy && f->len > p->header_copy) {
			f->frags[f->nfrags++] = (struct offload_frag){f->data, p->header_copy};
			off = p->header_copy;
		}
		while (off < f->len && f->nfrags < OFFLOAD_MAX_FRAGS) {
			uint32_t n = f->len - off;
			if (n > p->fragment_size && f->nfrags + 1 < OFFLOAD_MAX_FRAGS)
				n = p->fragment_size;
			f->frags[f->nfrags++] = (struct offload_frag){f->data + off, n};
			off += n;
		}
	}
	return offload_pipeline_tx(pl, f);
}
