// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Pipeline fuzzer: arbitrary frames through every stage with every feature on. The first
 * input byte picks the quirks (tso.flags, tso.md5, lro.options) and whether the frame is a TSO
 * request; the second the MSS; the third how the frame is split over descriptors and whether
 * it is lent (the fragments point into the fuzzer's own const input, which libFuzzer checks
 * is never written) or copied into the pipeline's buffer. Frames go through the transmit
 * pipeline (sg, tso, tx-csum) and the receive one (rx-csum, lro); a sink reads every byte of
 * every frame at every tap, and accounting must balance after every frame. With bit 5 of the
 * third byte set, a quirk is changed first, as `vnicctl set STAGE.PARAM` does on a running
 * daemon (the second byte picks which, refused values included): a new stage instance must take
 * over, or the old one run on, with nothing leaked or freed twice. The keys hold a TCP-MD5 key
 * and TCP-AO MKTs, and all pipelines share one flow table (as the live device's two do) that
 * knows the ISNs of the seeds' TCP-AO session, so TCP-AO frames are checked, inferred,
 * explained, re-signed and stripped at every tap (corpus/pipeline/ao*: that session's frames,
 * signed by tests/support/ao_oracle.py).
 */
#include <stdlib.h>
#include <string.h>

#include "offload/offload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const flags[] = {"linux", "qemu", "copy", "e1000"};
static const char *const md5[] = {"copy", "resign", "strip"};

static struct offload_pipeline *pipelines[4 * 3 * 2];

/* Run-time changes, some of which the stages refuse (sg.max_frags=0, lro.max_size=10). */
static const char *const changes[][2] = {
	{"tso.flags", "qemu"},	  {"tso.flags", "e1000"},  {"tso.md5", "resign"},
	{"tso.md5", "strip"},	  {"tso.ipid", "fixed"},   {"sg.max_frags", "0"},
	{"sg.max_frags", "2"},	  {"sg.overflow", "drop"}, {"lro.options", "any"},
	{"lro.options", "linux"}, {"lro.max_size", "10"},  {"lro.max_size", "1500"},
};
static struct md5sig_keytab *kt;
static struct md5sig_ao_flows *flows;

static volatile unsigned sink_sum;

/* Read every byte the sink is shown, so the sanitizers see where they come from. */
static void sink(void *arg, unsigned tap, const struct offload_frame *f,
		 const struct md5sig_seg *seg, enum md5sig_status st)
{
	unsigned x = tap + st + (seg->md5_off >= 0);

	(void)arg;
	for (uint32_t i = 0; i < f->len; i++)
		x += f->data[i];
	sink_sum += x;
}

static struct offload_pipeline *get(unsigned q)
{
	char err[256];

	if (pipelines[q])
		return pipelines[q];
	if (!kt) {
		static const char *const isns[] = {"192.0.2.1.40001=4294963200",
						   "192.0.2.2.179=1000", "2001:db8::1.40002=7",
						   "2001:db8::2.179=4294967000"};
		struct md5sig_ao_isn_arg a;
		const char *why;
		kt = md5sig_keytab_new();
		md5sig_keytab_parse_line(kt, "* fuzz-key", &why);
		md5sig_keytab_parse_line(kt, "ao 192.0.2.2 1:2 hmac-sha-1-96 fuzz-ao", &why);
		md5sig_keytab_parse_line(
			kt, "ao 2001:db8::2 5:5 aes-128-cmac-96 exclude-options fuzz-ao", &why);
		flows = md5sig_ao_flows_new(256);
		for (unsigned i = 0; i < 4; i++)
			if (!md5sig_ao_isn_parse(isns[i], &a, &why))
				md5sig_ao_flows_give(flows, &a);
	}
	bool rx = q & 1;
	struct offload_config c = {
		.linktype = MD5SIG_LINK_ETHERNET,
		.wire_mtu = 1500,
		.keys = kt,
		.flows = flows,
		.verify = true,
		.requested = {true, true, true, true, true},
	};
	if (rx) {
		c.stages[0] = "rx-csum";
		c.stages[1] = "lro";
		c.nstages = 2;
		c.params[0].key = "lro.options";
		c.params[0].value = (q >> 1) & 1 ? "any" : "linux";
		c.nparams = 1;
	} else {
		c.stages[0] = "sg";
		c.stages[1] = "tso";
		c.stages[2] = "tx-csum";
		c.nstages = 3;
		c.params[0].key = "tso.flags";
		c.params[0].value = flags[(q >> 1) % 4];
		c.params[1].key = "tso.md5";
		c.params[1].value = md5[(q >> 3) % 3];
		c.params[2].key = "sg.max_frags";
		c.params[2].value = "4";
		c.nparams = 3;
	}
	pipelines[q] = offload_pipeline_new(&c, err, sizeof(err));
	if (!pipelines[q])
		abort();
	offload_pipeline_set_sink(pipelines[q], sink, NULL);
	return pipelines[q];
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
	unsigned q = data[0] % (4 * 3 * 2);
	struct offload_pipeline *pl = get(q);
	const uint8_t *frame = data + 3;
	uint32_t len = (uint32_t)(size - 3);
	if (data[2] & 0x20) {
		char err[256];
		const char *const *c = changes[data[1] % (sizeof(changes) / sizeof(changes[0]))];

		/* a key of the other direction's stages is refused too */
		offload_pipeline_set_param(pl, c[0], c[1], err, sizeof(err));
		check(pl);
	}
	struct offload_frame *f = offload_pipeline_guest_frame(pl, len);

	if (!f)
		abort();
	bool lent = data[2] & 0x40;
	if (!lent)
		memcpy(f->data, frame, len);
	f->len = len;
	f->tso = data[0] & 0x80;
	f->mss = data[1] ? (uint16_t)(data[1] * 8) : 0;
	f->csum = (enum offload_csum)(data[2] % 5);
	f->guest_no = 1;
	/* spread over descriptors: 1..8 pieces, of the input itself when lent */
	const uint8_t *bytes = lent ? frame : f->data;
	unsigned pieces = 1 + data[2] % 8;
	if (data[2] & 0x80 && len >= pieces) {
		uint32_t off = 0, step = len / pieces;
		for (unsigned i = 0; i < pieces; i++) {
			uint32_t n = i + 1 == pieces ? len - off : step;
			f->frags[f->nfrags++] = (struct offload_frag){bytes + off, n};
			off += n;
		}
	} else if (lent) {
		f->frags[f->nfrags++] = (struct offload_frag){frame, len};
	}
	offload_pipeline_tx(pl, f);
	check(pl);
	offload_pipeline_flush(pl, data[1] & 1);
	check(pl);
	return 0;
}
