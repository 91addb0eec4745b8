// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The control commands as the device answers them (emu/control/protocol.h lists them): show
 * and set features as ethtool does, quirks, profile switches, stats, keys, watch lines. Replies
 * go into the server's buffer; nothing here blocks the data path.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "emu/device/internal.h"

static int h_show(void *arg, struct ctl_out *out)
{
	struct emu_device *d = arg;

	for (int f = 0; f < OFFLOAD_NFEATURES; f++) {
		/* a path element's feature exists while the path has it */
		if (offload_feature_info(f)->dir == OFFLOAD_DIR_PATH &&
		    !offload_pipeline_has_feature(d->tx, f))
			continue;
		bool on = offload_pipeline_feature(d->tx, f);
		bool req = offload_pipeline_requested(d->tx, f);
		ctl_printf(out, "%s: %s%s\n", offload_feature_name(f), on ? "on" : "off",
			   offload_pipeline_fixed(d->tx, f) ? " [fixed]"
			   : req != on ? (req ? " [requested on]" : " [requested off]")
				       : "");
	}
	return 0;
}

static int h_set(void *arg, const char *feature, bool on, struct ctl_out *out)
{
	struct emu_device *d = arg;
	int f = offload_feature_find(feature);

	if (f < 0) {
		char known[256];

		offload_features_list(known, sizeof(known));
		ctl_printf(out, "unknown feature '%s' (%s or ethtool names)\n", feature, known);
		return -EINVAL;
	}
	if (offload_feature_info(f)->dir == OFFLOAD_DIR_PATH &&
	    !offload_pipeline_has_feature(d->tx, f)) {
		ctl_printf(out, "%s is a path element, and the path (--path) has none\n", feature);
		return -EINVAL;
	}
	int ret = offload_pipeline_set_feature(d->tx, f, on);
	if (!ret)
		ret = offload_pipeline_set_feature(d->rx, f, on);
	if (ret == -EPERM) {
		ctl_printf(out, "%s is [fixed] %s in profile %s\n", offload_feature_name(f),
			   on ? "off" : "on", d->profile->name);
		return ret;
	}
	dev_sync_offload(d);
	dev_log(d, LOG_INFO, "control: %s %s", offload_feature_name(f), on ? "on" : "off");
	return ret;
}

static int h_set_param(void *arg, const char *key, const char *value, struct ctl_out *out)
{
	struct emu_device *d = arg;
	char err[512];
	const struct offload_stage_ops *ops = offload_stage_find_prefix(key);
	bool rx = false;

	for (unsigned i = 0; ops && i < d->profile->nrx; i++)
		rx |= !strcmp(d->profile->rx[i], ops->name);
	int ret = offload_pipeline_set_param(rx ? d->rx : d->tx, key, value, err, sizeof(err));
	if (ret) {
		ctl_printf(out, "%s\n", err);
		return ret;
	}
	dev_log(d, LOG_INFO, "control: %s %s", key, value);
	return 0;
}

static int h_profile(void *arg, const char *name, struct ctl_out *out)
{
	struct emu_device *d = arg;
	char err[512];
	struct emu_profile *p = malloc(sizeof(*p));

	if (!p)
		return -ENOMEM;
	int ret = emu_profile_load(p, name, err, sizeof(err));
	/* the path stays: its elements start again, with their defaults and no flows */
	if (!ret && d->cfg->path)
		ret = emu_profile_add_path(p, d->cfg->path, err, sizeof(err));
	if (!ret)
		ret = dev_build(d, p, err, sizeof(err));
	if (ret) {
		free(p);
		ctl_printf(out, "%s\n", err);
		return ret < 0 ? ret : -EINVAL;
	}
	/* @p is the device's now, whatever becomes of the captures */
	dev_log(d, LOG_NOTICE, "control: profile %s (counters start again)", name);
	ctl_printf(out, "profile %s: %s\n", p->name, p->description);
	if ((ret = dev_captures_open(d, err, sizeof(err)))) {
		dev_log(d, LOG_ERR, "%s", err);
		ctl_printf(out, "%s\n", err);
	}
	return ret;
}

static int h_stats(void *arg, bool json, struct ctl_out *out)
{
	struct emu_device *d = arg;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return -ENOMEM;
	emu_device_report(d, f, json);
	fclose(f);
	ctl_printf(out, "%s", buf);
	free(buf);
	return 0;
}

static int h_keys(void *arg, struct ctl_out *out)
{
	struct emu_device *d = arg;
	const struct md5sig_aotab *ao;
	char peer[160];
	unsigned kl;

	if (!d->keys) {
		ctl_printf(out, "no key file (signed segments cannot be checked)\n");
		return 0;
	}
	ao = md5sig_keytab_ao(d->keys);
	ctl_printf(out, "key file %s: %zu peers, %zu TCP-AO MKTs\n", d->cfg->key_file,
		   md5sig_keytab_count(d->keys), md5sig_aotab_count(ao));
	for (size_t i = 0; md5sig_keytab_describe(d->keys, i, peer, sizeof(peer), &kl) == 0; i++)
		ctl_printf(out, "%s key length %u\n", peer, kl);
	for (size_t i = 0; i < md5sig_aotab_count(ao); i++) {
		md5sig_ao_mkt_describe(md5sig_aotab_get(ao, i), peer, sizeof(peer), &kl);
		ctl_printf(out, "ao %s key length %u\n", peer, kl);
	}
	return 0;
}

static int h_watch_line(void *arg, struct ctl_out *out)
{
	struct emu_device *d = arg;
	struct offload_stats ts, rs;
	uint64_t inv = 0;

	offload_pipeline_stats(d->tx, &ts);
	offload_pipeline_stats(d->rx, &rs);
	for (unsigned i = 0; i < ts.nstages; i++)
		inv += ts.stages[i].invalidated;
	uint64_t txw = ts.nstages ? ts.stages[ts.nstages - 1].tap.frames : 0;
	uint64_t rxg = rs.nstages ? rs.stages[rs.nstages - 1].tap.frames : 0;
	/* invalid at the wire, in either scheme */
	const struct offload_tap_stats *w = ts.nstages ? &ts.stages[ts.nstages - 1].tap : NULL;
	uint64_t winv = w ? w->verdicts[MD5SIG_INVALID] + w->ao[MD5SIG_AO_INVALID] : 0;
	ctl_printf(out,
		   "tx %llu/s guest %llu wire %llu invalid %llu invalidated %llu culprit %s | "
		   "rx %llu/s wire %llu guest %llu | guest %s wire %s",
		   (unsigned long long)(ts.guest.frames - d->watch_tx),
		   (unsigned long long)ts.guest.frames, (unsigned long long)txw,
		   (unsigned long long)winv, (unsigned long long)inv,
		   ts.culprit >= 0 ? ts.stages[ts.culprit].name : "none",
		   (unsigned long long)(rs.guest.frames - d->watch_rx),
		   (unsigned long long)rs.guest.frames, (unsigned long long)rxg,
		   d->guest.up ? "up" : "DOWN", d->wire.up ? "up" : "DOWN");
	d->watch_tx = ts.guest.frames;
	d->watch_rx = rs.guest.frames;
	return 0;
}

const struct ctl_handler emu_device_handler = {
	.show = h_show,
	.set = h_set,
	.set_param = h_set_param,
	.profile = h_profile,
	.stats = h_stats,
	.keys = h_keys,
	.watch_line = h_watch_line,
};
