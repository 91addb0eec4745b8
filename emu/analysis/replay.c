// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The replay engine: frames captured inside a guest go through a NIC profile's transmit
 * pipeline, optionally written at every tap. Used by `vnicemu replay` and `vnicemu repro`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu/analysis/replay.h"
#include "emu/capture/capture.h"

struct replay {
	const struct emu_replay_config *cfg;
	const char *out_dir;
	struct emu_profile profile;
	struct md5sig_keytab *keys;
	struct emu_capin *in;
	struct offload_pipeline *pl;
	unsigned nstages;

	/* --out: one pcap per tap, wire.pcap, annotated.pcapng (guest and wire interfaces) */
	struct emu_capout *tap_out[OFFLOAD_MAX_STAGES + 1];
	struct emu_capout *wire_out, *annotated;
	int write_err;
	char write_path[512];
};

static const char *tap_name(const struct replay *r, unsigned tap)
{
	return tap == 0 ? "guest" : r->profile.tx[tap - 1];
}

static void note_write_error(struct replay *r, int err, const char *what)
{
	if (err && !r->write_err) {
		r->write_err = err;
		snprintf(r->write_path, sizeof(r->write_path), "%s/%s", r->out_dir, what);
	}
}

static void sink(void *arg, unsigned tap, const struct offload_frame *f,
		 const struct md5sig_seg *seg, enum md5sig_status st)
{
	struct replay *r = arg;
	char comment[1024], peers[128];

	if (!r->out_dir)
		return;
	note_write_error(r, emu_capout_write(r->tap_out[tap], 0, &f->ts, f->data, f->len, NULL),
			 tap_name(r, tap));
	if (tap != 0 && tap != r->nstages)
		return;
	if (tap == r->nstages)
		note_write_error(r, emu_capout_write(r->wire_out, 0, &f->ts, f->data, f->len, NULL),
				 "wire.pcap");

	/* annotated.pcapng: guest frames on interface 0, wire frames on interface 1 */
	const char *v = f->verdict_known && f->verdict < MD5SIG_NVERDICTS
				? md5sig_verdict_str(f->verdict)
			: st == MD5SIG_OTHER || st == MD5SIG_FRAGMENT ? "not TCP"
								      : "not verified";
	md5sig_seg_format(seg, peers, sizeof(peers));
	if (st >= MD5SIG_MALFORMED_FIRST)
		snprintf(comment, sizeof(comment), "guest frame %llu: malformed (%s)",
			 (unsigned long long)f->guest_no, md5sig_status_str(st));
	else if (tap == 0)
		snprintf(comment, sizeof(comment), "guest frame %llu: md5 %s%s",
			 (unsigned long long)f->guest_no, v, f->tso ? " (TSO request)" : "");
	else
		snprintf(comment, sizeof(comment), "guest frame %llu segment %u/%u: md5 %s%s",
			 (unsigned long long)f->guest_no, f->seg_no + 1u, (unsigned)f->seg_count, v,
			 f->digest_inferred ? " (copied digest over changed bytes)" : "");
	note_write_error(
		r,
		emu_capout_write(r->annotated, tap == 0 ? 0 : 1, &f->ts, f->data, f->len, comment),
		"annotated.pcapng");
}

static int open_outputs(struct replay *r, uint32_t lt, char *err, size_t errlen)
{
	char path[1024];

	if (mkdir(r->out_dir, 0755) && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", r->out_dir, strerror(errno));
		return -errno;
	}
	for (unsigned t = 0; t <= r->nstages; t++) {
		snprintf(path, sizeof(path), "%s/%s.pcap", r->out_dir, tap_name(r, t));
		r->tap_out[t] = emu_capout_open(path, false, err, errlen);
		if (!r->tap_out[t] || emu_capout_iface(r->tap_out[t], lt, NULL) < 0)
			return -EIO;
	}
	snprintf(path, sizeof(path), "%s/wire.pcap", r->out_dir);
	r->wire_out = emu_capout_open(path, false, err, errlen);
	if (!r->wire_out || emu_capout_iface(r->wire_out, lt, NULL) < 0)
		return -EIO;
	snprintf(path, sizeof(path), "%s/annotated.pcapng", r->out_dir);
	r->annotated = emu_capout_open(path, true, err, errlen);
	if (!r->annotated || emu_capout_iface(r->annotated, lt, "guest") < 0 ||
	    emu_capout_iface(r->annotated, lt, "wire") < 0)
		return -EIO;
	return 0;
}

static int close_outputs(struct replay *r)
{
	int ret = 0;

	for (unsigned t = 0; t <= r->nstages; t++) {
		note_write_error(r, emu_capout_close(r->tap_out[t]), tap_name(r, t));
		r->tap_out[t] = NULL;
	}
	note_write_error(r, emu_capout_close(r->wire_out), "wire.pcap");
	note_write_error(r, emu_capout_close(r->annotated), "annotated.pcapng");
	r->wire_out = r->annotated = NULL;
	if (r->write_err)
		ret = r->write_err;
	return ret;
}

static int push_frame(struct replay *r, const struct emu_pkt *pkt, uint64_t no)
{
	int n = emu_guest_frame(r->pl, &r->profile, emu_capin_linktype(r->in), r->cfg->wire_mtu,
				pkt->data, pkt->caplen, &pkt->ts, no, NULL);
	return n < 0 ? n : 0;
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
	cfg.verify = c->verify;
	cfg.full_verify = c->full_verify;
	r->pl = offload_pipeline_new(&cfg, err, errlen);
	if (!r->pl)
		return -EINVAL;
	r->nstages = cfg.nstages;
	/* everything is valid: only now create files */
	if (c->out_dir) {
		r->out_dir = c->out_dir;
		if ((ret = open_outputs(r, cfg.linktype, err, errlen)))
			return ret;
	}
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
			fprintf(stderr, "\rreplay: %llu frames", (unsigned long long)no);
		}
	}
	if (c->progress && no > 0xfff)
		fprintf(stderr, "\r\033[K");
	if (ret < 0)
		return ret;
	if (r->out_dir) {
		ret = close_outputs(r);
		r->out_dir = NULL;
		if (ret) {
			snprintf(err, errlen, "%s: %s", r->write_path, strerror(-ret));
			return ret;
		}
	}
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
	if (r->out_dir) {
		for (unsigned t = 0; t <= r->nstages; t++)
			emu_capout_close(r->tap_out[t]);
		emu_capout_close(r->wire_out);
		emu_capout_close(r->annotated);
	}
	offload_pipeline_free(r->pl);
	emu_capin_close(r->in);
	md5sig_keytab_free(r->keys);
	free(r);
	return ret;
}
