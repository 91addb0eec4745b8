// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The replay engine: frames captured inside a guest go through a NIC profile's transmit
 * pipeline, optionally written at every tap (emu_tapcap, as the live device writes them). With
 * a path, the peer's frames go through the receive pipeline (emu/analysis/replay.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "emu/analysis/replay.h"
#include "emu/capture/capture.h"

#define GUEST_ADDRS 8

struct replay {
	const struct emu_replay_config *cfg;
	struct emu_profile profile;
	struct md5sig_keytab *keys;
	struct md5sig_ao_flows *flows; /* with MKTs: the connections TCP-AO needs */
	struct emu_capin *in;
	struct offload_pipeline *pl;
	struct offload_pipeline *rx; /* with a path: the peer's frames, wire to guest */
	struct emu_outset *outs; /* --out: the files below, temporaries until the run succeeds */
	struct emu_tapcap_config tc, rtc; /* the two sinks' files, for the stale ones too */
	struct emu_tapcap *out;		  /* --out: every tap, wire.pcap, annotated.pcapng */
	struct emu_tapcap *rxout;	  /* --out with a path: rx-wire.pcap ... rx-guest.pcap */
	struct {
		int family;
		uint8_t addr[16];
	} guest[GUEST_ADDRS]; /* the guest's addresses: given, or learnt per family */
	unsigned nguest;
	bool given; /* --guest-addr: nothing is learnt */
};

static void sink(struct replay *r, bool rx, unsigned tap, const struct offload_frame *f,
		 const struct md5sig_seg *seg, enum md5sig_status st)
{
	struct emu_tapcap *out = rx ? r->rxout : r->out;

	/* a file that fails stops; emu_tapcap_close() reports the first failure */
	if (out)
		emu_tapcap_write(out, tap, f, st);
	if (r->cfg->trace)
		r->cfg->trace(r->cfg->trace_arg, rx, tap, f, seg, st);
}

static void tx_sink(void *arg, unsigned tap, const struct offload_frame *f,
		    const struct md5sig_seg *seg, enum md5sig_status st)
{
	sink(arg, false, tap, f, seg, st);
}

static void rx_sink(void *arg, unsigned tap, const struct offload_frame *f,
		    const struct md5sig_seg *seg, enum md5sig_status st)
{
	sink(arg, true, tap, f, seg, st);
}

/*
 * Is the frame the guest's own (transmitted), or the peer's (received)? Frames that are not IP
 * are the guest's, as without a path. Unless the addresses were given, the source of the first
 * TCP segment of each address family is the guest's.
 */
static bool from_guest(struct replay *r, const struct emu_pkt *pkt)
{
	struct md5sig_ip ip;
	size_t alen;

	if (!md5sig_parse_ip(emu_capin_linktype(r->in), pkt->data, pkt->caplen, &ip))
		return true;
	alen = ip.family == AF_INET ? 4 : 16;
	bool family_known = false;
	for (unsigned i = 0; i < r->nguest; i++) {
		if (r->guest[i].family != ip.family)
			continue;
		family_known = true;
		if (!memcmp(r->guest[i].addr, ip.saddr, alen))
			return true;
	}
	if (r->given || family_known)
		return false;
	if (ip.proto != WIRE_IPPROTO_TCP || ip.frag_off || r->nguest == GUEST_ADDRS)
		return true; /* nothing learnt yet of this family */
	r->guest[r->nguest].family = ip.family;
	memcpy(r->guest[r->nguest++].addr, ip.saddr, alen);
	return true;
}

static int push_frame(struct replay *r, const struct emu_pkt *pkt, uint64_t no)
{
	int n;

	if (!r->rx || from_guest(r, pkt)) {
		n = emu_guest_frame(r->pl, &r->profile, emu_capin_linktype(r->in), r->cfg->wire_mtu,
				    pkt->data, pkt->caplen, pkt->len, &pkt->ts, no, NULL);
		/* a guest frame that reached nothing: annotated.pcapng says why */
		const char *why = n == 0 ? offload_pipeline_last_drop(r->pl) : NULL;
		if (why && r->out)
			emu_tapcap_dropped(r->out, why); /* a failure is reported at the close */
		return n < 0 ? n : 0;
	}
	/* the peer's frame, as the wire carried it, lent for the call as a guest frame is */
	struct offload_frame *f = offload_pipeline_guest_frame(r->rx, pkt->caplen);
	if (!f)
		return -EMSGSIZE;
	f->len = pkt->caplen;
	f->wire_len = pkt->len;
	f->guest_no = no;
	f->ts = pkt->ts;
	f->frags[f->nfrags++] = (struct offload_frag){pkt->data, pkt->caplen};
	n = offload_pipeline_tx(r->rx, f);
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

static int guest_addrs(struct replay *r, char *err, size_t errlen)
{
	const struct emu_replay_config *c = r->cfg;

	if (c->nguest_addrs > GUEST_ADDRS) {
		snprintf(err, errlen, "--guest-addr: at most %d addresses", GUEST_ADDRS);
		return -EINVAL;
	}
	for (unsigned i = 0; i < c->nguest_addrs; i++) {
		const char *a = c->guest_addrs[i];
		int fam = strchr(a, ':') ? AF_INET6 : AF_INET;

		if (inet_pton(fam, a, r->guest[i].addr) != 1) {
			snprintf(err, errlen, "--guest-addr %s: not an IPv4 or IPv6 address", a);
			return -EINVAL;
		}
		r->guest[i].family = fam;
	}
	r->nguest = c->nguest_addrs;
	r->given = r->nguest > 0;
	return 0;
}

/* Build both pipelines; the receive one is kept only with a path (else it is only checked). */
static int build(struct replay *r, struct offload_config *cfg, struct offload_config *rcfg,
		 char *err, size_t errlen)
{
	const struct emu_replay_config *c = r->cfg;
	int ret;

	if ((ret = emu_profile_config(&r->profile, false, cfg, err, errlen)) ||
	    (ret = emu_profile_config(&r->profile, true, rcfg, err, errlen)))
		return ret;
	cfg->linktype = rcfg->linktype = emu_capin_linktype(r->in);
	cfg->wire_mtu = c->wire_mtu;
	rcfg->wire_mtu = 65535; /* nothing on receive segments */
	cfg->keys = rcfg->keys = c->key || c->key_file ? r->keys : NULL;
	cfg->flows = rcfg->flows = r->flows; /* the handshake's two halves: one table */
	cfg->verify = rcfg->verify = c->verify;
	cfg->full_verify = rcfg->full_verify = c->full_verify;
	if (!r->profile.npath) {
		/* the receive side's parameters are checked too, though it is not run */
		struct offload_pipeline *check = offload_pipeline_new(rcfg, err, errlen);
		if (!check)
			return -EINVAL;
		offload_pipeline_free(check);
	}
	r->pl = offload_pipeline_new(cfg, err, errlen);
	if (!r->pl)
		return -EINVAL;
	if (!r->profile.npath)
		return 0;
	rcfg->twin = r->pl; /* the path's elements: one instance, one per-flow state */
	r->rx = offload_pipeline_new(rcfg, err, errlen);
	return r->rx ? 0 : -EINVAL;
}

/*
 * The files of --out: never over an input (the capture, above all, is mapped: truncating it
 * would kill the run with SIGBUS and lose the user's file), and temporaries until the run
 * succeeds.
 */
static int open_out(struct replay *r, const struct offload_config *cfg,
		    const struct offload_config *rcfg, char *err, size_t errlen)
{
	const struct emu_replay_config *c = r->cfg;

	if (!(r->outs = emu_outset_new(false)) || emu_outset_input(r->outs, c->in_path) ||
	    emu_outset_input(r->outs, c->key_file) || emu_profile_inputs(&r->profile, r->outs)) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r->tc = (struct emu_tapcap_config){
		.dir = c->out_dir,
		.dir_mode = 0755,
		.in = "guest",
		.out = "wire",
		.stages = cfg->stages,
		.nstages = cfg->nstages,
		.linktype = cfg->linktype,
		.annotate = true,
		.nsec = emu_capin_nanosecond(r->in), /* nanosecond input keeps its nanoseconds */
		.outset = r->outs,
	};
	r->rtc = r->tc;
	r->rtc.prefix = "rx-";
	r->rtc.in = "wire";
	r->rtc.out = "guest";
	r->rtc.stages = rcfg->stages;
	r->rtc.nstages = rcfg->nstages;
	r->rtc.annotate = false;
	if (!(r->out = emu_tapcap_open(&r->tc, err, errlen)))
		return -errno;
	if (!r->rx)
		return 0;
	return (r->rxout = emu_tapcap_open(&r->rtc, err, errlen)) ? 0 : -errno;
}

/* Close the files of --out and, when all were written whole, put them in place. */
static int close_out(struct replay *r, struct emu_replay_result *res, char *err, size_t errlen)
{
	char tx[sizeof(res->removed)], rx[sizeof(res->removed)];
	int ret = emu_tapcap_close(r->out, err, errlen);

	r->out = NULL;
	if (!ret)
		ret = emu_tapcap_close(r->rxout, err, errlen);
	r->rxout = NULL;
	if (ret || !r->outs || (ret = emu_outset_commit(r->outs, err, errlen)))
		return ret;
	/* what an earlier run left that this one did not write would pass for this run's */
	emu_tapcap_prune(&r->tc, r->outs, tx, sizeof(tx));
	emu_tapcap_prune(&r->rtc, r->outs, rx, sizeof(rx));
	snprintf(res->removed, sizeof(res->removed), "%s%s%s", tx, *tx && *rx ? ", " : "", rx);
	return 0;
}

/*
 * Without a path a replay runs the guest's frames only, so a --set of the receive side (rx, lro,
 * their stages' quirks) would change nothing: the name of the stage it acts on, else NULL.
 */
static const char *receive_only(const char *set)
{
	char key[2 * EMU_NAME_MAX];
	size_t kl = strcspn(set, "=");
	const struct offload_stage_ops *ops;
	int f;

	if (kl >= sizeof(key))
		return NULL;
	memcpy(key, set, kl);
	key[kl] = '\0';
	if (strchr(key, '.'))
		f = (ops = offload_stage_find_prefix(key)) ? offload_stage_feature_of(ops) : -1;
	else
		f = offload_feature_find(key);
	if (f < 0 || offload_feature_info(f)->dir != OFFLOAD_DIR_RX)
		return NULL;
	return offload_feature_info(f)->stage->name;
}

static int run(struct replay *r, struct emu_replay_result *res, char *err, size_t errlen)
{
	const struct emu_replay_config *c = r->cfg;
	struct offload_config cfg = {0}, rcfg = {0};
	struct emu_pkt pkt;
	uint64_t no = 0;
	int ret;
	time_t last = 0; /* the first check shows: progress is deterministic */

	*res->key_warning = '\0';
	res->removed[0] = '\0';
	ret = emu_profile_load(&r->profile, c->profile, err, errlen);
	if (!ret && c->path)
		ret = emu_profile_add_path(&r->profile, c->path, err, errlen);
	for (unsigned i = 0; !ret && i < c->nsets; i++) {
		const char *st = r->profile.npath ? NULL : receive_only(c->sets[i]);
		if (st) {
			snprintf(err, errlen,
				 "--set %s: %s acts on received frames, which this replay does not "
				 "run (it replays the guest's frames; with --path, the peer's too)",
				 c->sets[i], st);
			return -EINVAL;
		}
		ret = emu_profile_set(&r->profile, c->sets[i], err, errlen);
	}
	if (!ret)
		ret = guest_addrs(r, err, errlen);
	if (ret)
		return ret;
	r->keys = md5sig_keytab_new();
	if (!r->keys)
		return -ENOMEM;
	if ((ret = emu_keys_from_options(r->keys, c->key, c->key_file, res->key_warning,
					 sizeof(res->key_warning), err, errlen)))
		return ret;
	if ((ret = flows_new(r, err, errlen)))
		return ret;
	r->in = emu_capin_open(c->in_path, err, errlen);
	if (!r->in)
		return -EINVAL;
	if ((ret = build(r, &cfg, &rcfg, err, errlen)))
		return ret;
	/* everything is valid: only now create files */
	if (c->out_dir && (ret = open_out(r, &cfg, &rcfg, err, errlen)))
		return ret;
	/* set without --out too: the sink sees every frame whole, as it always has */
	offload_pipeline_set_sink(r->pl, tx_sink, r);
	if (r->rx)
		offload_pipeline_set_sink(r->rx, rx_sink, r);

	while ((ret = emu_capin_next(r->in, &pkt, err, errlen)) > 0) {
		if (pkt.linktype != cfg.linktype) {
			/* the pipeline and its captures have one link type */
			snprintf(err, errlen,
				 "%s: frame %llu: link type %s, but the frames before are %s; "
				 "replay takes one interface's frames (e.g. tshark -r CAPTURE -Y "
				 "'frame.interface_id == 0' -w ONE.pcapng)",
				 c->in_path, (unsigned long long)no + 1,
				 md5sig_linktype_str(pkt.linktype),
				 md5sig_linktype_str(cfg.linktype));
			return -EINVAL;
		}
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
	const struct emu_capin_cut *cut = emu_capin_cut(r->in);
	if ((res->truncated = cut != NULL))
		res->cut = *cut;
	if (r->rx)
		offload_pipeline_flush(r->rx, true); /* lro's held frames reach the guest */
	if ((ret = close_out(r, res, err, errlen)))
		return ret;
	offload_pipeline_stats(r->pl, &res->stats);
	if ((res->has_rx = r->rx != NULL))
		offload_pipeline_stats(r->rx, &res->rx);
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
	/* after a failure: its error counts */
	emu_tapcap_close(r->out, ignored, sizeof(ignored));
	emu_tapcap_close(r->rxout, ignored, sizeof(ignored));
	emu_outset_free(r->outs);     /* the temporaries of a failed run go */
	offload_pipeline_free(r->rx); /* it borrows the transmit pipeline's path elements */
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
