// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Path fuzzer: arbitrary frames through every path element, both ways. A transmit pipeline of
 * all six elements (optstrip, seqrand, nat, window, mss-clamp, fragment) and the receive
 * pipeline that borrows them, in one of four configurations the first input byte picks (small
 * flow tables that evict, SACK shifted, NAT of IPv4 or IPv6 addresses the test frames use,
 * window rewrite or clamp, small MTUs); its top bit picks the direction. The second byte, when
 * its top bit is set, first changes a parameter or switches an element off or on, as `vnicctl
 * set` does on a running daemon, on either pipeline (a receive pipeline's parameter is its
 * twin's), refused values included. The third decides how the frame is lent. A sink reads
 * every byte at every tap, and accounting must balance on both pipelines after every frame.
 */
#include <stdlib.h>
#include <string.h>

#include "offload/offload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const elements[] = {"optstrip", "seqrand",	"nat",
				       "window",   "mss-clamp", "fragment"};
#define NEL (sizeof(elements) / sizeof(elements[0]))

static const char *const configs[4][8][2] = {
	{{"seqrand.flows", "2"},
	 {"nat.source_from", "192.0.2.1"},
	 {"nat.source_to", "192.0.2.20"},
	 {"fragment.mtu", "68"},
	 {NULL}},
	{{"seqrand.sack", "shift"},
	 {"optstrip.kinds", "19,29,8,5"},
	 {"nat.dest_from", "2001:db8::2"},
	 {"nat.dest_to", "2001:db8::99"},
	 {"window.mode", "rewrite"},
	 {"window.value", "1"},
	 {NULL}},
	{{"seqrand.sides", "peer"},
	 {"seqrand.offset", "4294967295"},
	 {"nat.source_from", "2001:db8::1"},
	 {"nat.source_to", "2001:db8:1::1"},
	 {"window.when", "syn"},
	 {"mss-clamp.mss", "88"},
	 {"fragment.mtu6", "1280"},
	 {NULL}},
	{{"nat.source_from", "192.0.2.1"},
	 {"nat.source_to", "192.0.2.1"},
	 {"nat.dest_from", "192.0.2.2"},
	 {"nat.dest_to", "198.51.100.2"},
	 {"fragment.mtu", "576"},
	 {NULL}},
};

/* Run-time changes, some refused (seqrand.flows=0, fragment.mtu=60, nat with one address). */
static const char *const changes[][2] = {
	{"seqrand.flows", "1"},	      {"seqrand.flows", "0"},  {"seqrand.sack", "shift"},
	{"optstrip.kinds", "1"},      {"optstrip.kinds", "2"}, {"nat.source_to", ""},
	{"nat.dest_to", "192.0.2.9"}, {"window.value", "0"},   {"window.dir", "in"},
	{"mss-clamp.mss", "536"},     {"fragment.mtu", "60"},  {"fragment.mtu", "100"},
};

static struct offload_pipeline *tx[4], *rx[4];
static struct md5sig_keytab *kt;
static volatile unsigned sink_sum;

static void sink(void *arg, unsigned tap, const struct offload_frame *f,
		 const struct md5sig_seg *seg, enum md5sig_status st)
{
	unsigned x = tap + st + (seg->md5_off >= 0);

	(void)arg;
	for (uint32_t i = 0; i < f->len; i++)
		x += f->data[i];
	sink_sum += x;
}

static void build(unsigned q)
{
	char err[256];
	struct offload_config c = {
		.linktype = MD5SIG_LINK_ETHERNET,
		.wire_mtu = 9000,
		.verify = true,
	};

	if (!kt) {
		const char *why;
		kt = md5sig_keytab_new();
		md5sig_keytab_parse_line(kt, "* fuzz-key", &why);
	}
	c.keys = kt;
	for (int f = 0; f < OFFLOAD_NFEATURES; f++)
		c.requested[f] = true;
	for (unsigned i = 0; i < NEL; i++)
		c.stages[c.nstages++] = elements[i];
	for (unsigned i = 0; configs[q][i][0]; i++) {
		c.params[c.nparams].key = configs[q][i][0];
		c.params[c.nparams++].value = configs[q][i][1];
	}
	tx[q] = offload_pipeline_new(&c, err, sizeof(err));
	if (!tx[q])
		abort();
	struct offload_config r = c;
	r.nparams = 0;
	r.dir = OFFLOAD_DIR_RX;
	r.twin = tx[q];
	for (unsigned i = 0; i < NEL; i++)
		r.stages[i] = elements[NEL - 1 - i];
	rx[q] = offload_pipeline_new(&r, err, sizeof(err));
	if (!rx[q])
		abort();
	offload_pipeline_set_sink(tx[q], sink, NULL);
	offload_pipeline_set_sink(rx[q], sink, NULL);
}

static void check(struct offload_pipeline *pl)
{
	struct offload_stats s;

	offload_pipeline_stats(pl, &s);
	for (unsigned i = 0; i < s.nstages; i++) {
		const struct offload_stage_stats *st = &s.stages[i];
		if (st->frames_in + st->created !=
		    st->frames_out + st->dropped + st->merged + st->held)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4 || size > 65000)
		return 0;
	unsigned q = data[0] % 4;
	if (!tx[q])
		build(q);
	struct offload_pipeline *pl = data[0] & 0x80 ? rx[q] : tx[q];
	if (data[1] & 0x80) {
		char err[256];
		unsigned k = data[1] & 0x7f;
		if (k < sizeof(changes) / sizeof(changes[0])) {
			offload_pipeline_set_param(pl, changes[k][0], changes[k][1], err,
						   sizeof(err));
		} else {
			/* an element off or on, on both pipelines as the device does */
			int f = offload_feature_find(elements[k % NEL]);
			offload_pipeline_set_feature(tx[q], f, data[1] & 1);
			offload_pipeline_set_feature(rx[q], f, data[1] & 1);
		}
		check(tx[q]);
		check(rx[q]);
	}
	const uint8_t *frame = data + 3;
	uint32_t len = (uint32_t)(size - 3);
	struct offload_frame *f = offload_pipeline_guest_frame(pl, len);
	if (!f)
		abort();
	f->len = len;
	f->csum = (enum offload_csum)(data[2] % 5);
	f->guest_no = 1;
	if (data[2] & 0x40) {
		/* lent, in up to two pieces of the fuzzer's own const input */
		uint32_t cut = data[2] & 0x80 && len > 1 ? len / 2 : len;
		f->frags[f->nfrags++] = (struct offload_frag){frame, cut};
		if (cut < len)
			f->frags[f->nfrags++] = (struct offload_frag){frame + cut, len - cut};
	} else {
		memcpy(f->data, frame, len);
	}
	offload_pipeline_tx(pl, f);
	check(tx[q]);
	check(rx[q]);
	return 0;
}
