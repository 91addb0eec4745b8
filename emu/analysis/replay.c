// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The replay engine: frames captured inside a guest go through a NIC profile's transmit
 * pipeline, optionally written at every tap (emu_tapcap, as the live device writes them).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/analysis/replay.h"
#include "emu/capture/capture.h"

struct replay {
	const struct emu_replay_config *cfg;
	struct emu_profile profile;
	struct md5sig_keytab *keys;
	struct md5sig_ao_flows *flows; /* with MKTs: the connections TCP-AO needs */
	struct emu_capin *in;
	struct offload_pipeline *pl;
	struct emu_tapcap *out; /* --out: every tap, wire.pcap, annotated.pcapng */
};

static void sink(void *arg, unsigned tap, const struct offload_frame *f,
		 const struct md5sig_seg *seg, enum md5sig_status st)
{
	struct replay *r = arg;

	(void)seg;
	/* a file that fails stops; emu_tapcap_close() reports the first failure */
	if (r->out)
		emu_tapcap_write(r->out, tap, f, st);
}

static int push_frame(struct replay *r, const struct emu_pkt *pkt, uint64_t no)
{
	int n = emu_guest_frame(r->pl, &r->profile, emu_capin_linktype(r->in), r->cfg->wire_mtu,
				pkt->data, pkt->caplen, pkt->len, &pkt->ts, no, NULL);
	return n < 0 ? n : 0;
}

/* With MKTs, a flow table for TCP-AO, holding the --isn ISNs. */
static int flows_new(struct replay *r, char *err, size_t errlen)
{
	const struct emu_replay_config *c = r->cfg;

	if (!md5sig_aotab_count(md5sig_keytab_ao(r->keys)))
		return 0;
	if (!(r->flows = md5sig_ao_flows_new(EMU_REPLAY_FLOWS))) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return emu_isns_give(r->flows, c->isns, c->nisns, err, errlen);
}

static int run(struct replay *r, struct emu_replay_result *res, char *err, size_t errlen)
{
	const struct emu_replay_config *c = r->cfg;
	struct offload_config cfg = {0}, rcfg = {0};
	struct emu_pkt pkt;
	uint64_t no = 0;
	int ret;
	time_t last = time(NULL);

	ret = emu_profile_load(&r->profile, c->profile, err, errlen);
	for (unsigned i = 0; !ret && i < c->nsets; i++)
		ret = emu_profile_set(&r->profile, c->sets[i], err, errlen);
	if (ret)
		return ret;
	r->keys = md5sig_keytab_new();
	if (!r->keys)
		return -ENOMEM;
	if ((ret = emu_keys_from_options(r->keys, c->key, c->key_file, err, errlen)))
		return ret;
	if ((ret = flows_new(r, err, errlen)))
		return ret;
	r->in = emu_capin_open(c->in_path, err, errlen);
	if (!r->in)
		return -EINVAL;
	/* the receive side's parameters are checked too, though replay only transmits */
	if ((ret = emu_profile_config(&r->profile, false, &cfg, err, errlen)) ||
	    (ret = emu_profile_config(&r->profile, true, &rcfg, err, errlen)))
		return ret;
	rcfg.wire_mtu = 65535;
	struct offload_pipeline *check = offload_pipeline_new(&rcfg, err, errlen);
	if (!check)
		return -EINVAL;
	offload_pipeline_free(check);
	cfg.linktype = emu_capin_linktype(r->in);
	cfg.wire_mtu = c->wire_mtu;
	cfg.keys = c->key || c->key_file ? r->keys : NULL;
	cfg.flows = r->flows;
	cfg.verify = c->verify;
	cfg.full_verify = c->full_verify;
	r->pl = offload_pipeline_new(&cfg, err, errlen);
	if (!r->pl)
		return -EINVAL;
	/* everything is valid: only now create files */
	if (c->out_dir) {
		struct emu_tapcap_config tc = {
			.dir = c->out_dir,
			.dir_mode = 0755,
			.in = "guest",
			.out = "wire",
			.stages = cfg.stages,
			.nstages = cfg.nstages,
			.linktype = cfg.linktype,
			.annotate = true,
		};
		if (!(r->out = emu_tapcap_open(&tc, err, errlen)))
			return -errno;
	}
	/* set without --out too: the sink sees every frame whole, as it always has */
	offload_pipeline_set_sink(r->pl, sink, r);

	while ((ret = emu_capin_next(r->in, &pkt, err, errlen)) > 0) {
		ret = push_frame(r, &pkt, ++no);
		if (ret) {
			snprintf(err, errlen, "%s: frame %llu: %s", c->in_path,
				 (unsigned long long)no, strerror(-ret));
			return ret;
		}
		if (c->progress && !(no & 0xfff) && time(NULL) != last) {
			last = time(NULL);
			c->progress(c->progress_arg, no, false);
		}
	}
	if (c->progress)
		c->progress(c->progress_arg, no, true);
	if (ret < 0)
		return ret;
	ret = emu_tapcap_close(r->out, err, errlen);
	r->out = NULL;
	if (ret)
		return ret;
	offload_pipeline_stats(r->pl, &res->stats);
	snprintf(res->profile, sizeof(res->profile), "%s", r->profile.name);
	return 0;
}

int emu_replay(const struct emu_replay_config *cfg, struct emu_replay_result *res, char *err,
	       size_t errlen)
{
	struct replay *r = calloc(1, sizeof(*r));

	if (!r) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r->cfg = cfg;
	int ret = run(r, res, err, errlen);
	char ignored[8];
	emu_tapcap_close(r->out, ignored, sizeof(ignored)); /* after a failure: its error counts */
	offload_pipeline_free(r->pl);
	emu_capin_close(r->in);
	md5sig_ao_flows_free(r->flows);
	md5sig_keytab_free(r->keys);
	free(r);
	return ret;
}

bool emu_replay_failed(const struct emu_replay_result *res)
{
	const struct offload_tap_stats *g = &res->stats.guest;

	return res->stats.culprit >= 0 || g->unchecked[MD5SIG_UNCHECKED_SNAPLEN] ||
	       g->ao[MD5SIG_AO_NO_ISN];
}
