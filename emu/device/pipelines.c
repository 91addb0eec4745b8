// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The device's two pipelines: built from a profile (again on every profile switch), their
 * keys, the per-tap captures, and where frames go when they leave a pipeline (the other port).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "emu/device/internal.h"

/* ---- captures ---- */

void dev_captures_close(struct emu_device *d)
{
	char err[700];

	if (emu_tapcap_close(d->txcap, err, sizeof(err)))
		dev_log(d, LOG_ERR, "capture stopped: %s", err);
	if (emu_tapcap_close(d->rxcap, err, sizeof(err)))
		dev_log(d, LOG_ERR, "capture stopped: %s", err);
	d->txcap = d->rxcap = NULL;
	emu_outset_free(d->capset); /* in place: it removes nothing */
	d->capset = NULL;
}

/*
 * One capture per tap of each pipeline: guest.pcap, a file per transmit stage (the path's
 * elements after the NIC's), wire.pcap; the receive side the same with "rx-" before each name
 * (rx-wire.pcap ... rx-guest.pcap).
 */
int dev_captures_open(struct emu_device *d, char *err, size_t errlen)
{
	struct offload_config tc = {0}, rc = {0};
	char why[512];
	struct emu_tapcap_config c = {
		.dir = d->cfg->capture_dir,
		.dir_mode = 0700,
		.in = "guest",
		.out = "wire",
		.stages = tc.stages,
		.linktype = MD5SIG_LINK_ETHERNET,
		.max_bytes = d->cfg->capture_max,
	};

	dev_captures_close(d);
	if (!c.dir)
		return 0;
	/* the stage lists the pipelines were built with */
	if (emu_profile_config(d->profile, false, &tc, why, sizeof(why)) ||
	    emu_profile_config(d->profile, true, &rc, why, sizeof(why))) {
		snprintf(err, errlen, "--capture %s", why);
		return -EINVAL;
	}
	c.nstages = tc.nstages;
	/* live files, written in place, but never over a file the device reads */
	if (!(d->capset = emu_outset_new(true)) || emu_outset_input(d->capset, d->cfg->key_file) ||
	    emu_profile_inputs(d->profile, d->capset)) {
		snprintf(err, errlen, "--capture %s: out of memory", c.dir);
		dev_captures_close(d);
		return -ENOMEM;
	}
	c.outset = d->capset;
	if ((d->txcap = emu_tapcap_open(&c, why, sizeof(why)))) {
		c.prefix = "rx-";
		c.in = "wire";
		c.out = "guest";
		c.stages = rc.stages;
		c.nstages = rc.nstages;
		d->rxcap = emu_tapcap_open(&c, why, sizeof(why));
	}
	if (!d->rxcap) {
		snprintf(err, errlen, "--capture %s", why);
		dev_captures_close(d);
		return -EIO;
	}
	return 0;
}

/* A capture file that fails stops; the device goes on. */
static void capture(struct emu_device *d, struct emu_tapcap *c, unsigned tap,
		    const struct offload_frame *f, enum md5sig_status st)
{
	if (c && emu_tapcap_write(c, tap, f, st))
		dev_log(d, LOG_ERR, "capture stopped: %s", emu_tapcap_error(c));
}

/* ---- pipelines ---- */

static void tx_sink(void *arg, unsigned tap, const struct offload_frame *f,
		    const struct md5sig_seg *seg, enum md5sig_status st)
{
	struct emu_device *d = arg;

	(void)seg;
	capture(d, d->txcap, tap, f, st);
	if (tap == d->ntx)
		emu_port_send(&d->wire, f->data, f->len, f->csum == OFFLOAD_CSUM_COMPLETE);
}

static void rx_sink(void *arg, unsigned tap, const struct offload_frame *f,
		    const struct md5sig_seg *seg, enum md5sig_status st)
{
	struct emu_device *d = arg;

	(void)seg;
	capture(d, d->rxcap, tap, f, st);
	if (tap == d->nrx)
		emu_port_send(&d->guest, f->data, f->len, f->csum == OFFLOAD_CSUM_COMPLETE);
}

/* A vnet-hdr guest sees the NIC's offloads (ethtool -k in its namespace follows them). */
void dev_sync_offload(struct emu_device *d)
{
	struct emu_port *g = &d->guest;

	if (!g->up || !g->ops->set_offload || !d->tx)
		return;
	int ret = g->ops->set_offload(g, offload_pipeline_feature(d->tx, OFFLOAD_F_TX),
				      offload_pipeline_feature(d->tx, OFFLOAD_F_TSO));
	if (ret)
		dev_log(d, LOG_WARNING, "guest port: TUNSETOFFLOAD: %s", strerror(-ret));
}

/* Does the configuration have stage @stage, and does that stage take @param? */
static bool has_param(const struct offload_config *c, const char *stage, const char *param)
{
	const struct offload_stage_ops *ops = offload_stage_find(stage);

	for (unsigned i = 0; ops && i < c->nstages; i++) {
		if (strcmp(c->stages[i], stage))
			continue;
		for (unsigned j = 0; ops->params && ops->params[j].name; j++)
			if (!strcmp(ops->params[j].name, param))
				return true;
	}
	return false;
}

int dev_build(struct emu_device *d, struct emu_profile *p, char *err, size_t errlen)
{
	struct offload_config tc = {0}, rc = {0};
	int ret;

	if ((ret = emu_profile_config(p, false, &tc, err, errlen)) ||
	    (ret = emu_profile_config(p, true, &rc, err, errlen)))
		return ret;
	tc.linktype = rc.linktype = MD5SIG_LINK_ETHERNET;
	tc.wire_mtu = d->cfg->wire_mtu;
	rc.wire_mtu = 65535; /* nothing on receive segments */
	tc.keys = rc.keys = d->keys;
	tc.flows = rc.flows = d->flows; /* each port's SYNs: either direction's ISNs */
	tc.verify = rc.verify = true;
	/* lro may not build frames the guest port cannot carry: a default the profile and
	 * --set override, so it goes first */
	if (rc.nparams < OFFLOAD_MAX_PARAMS && has_param(&rc, "lro", "max_size")) {
		memmove(&rc.params[1], &rc.params[0], rc.nparams * sizeof(rc.params[0]));
		/* the device's, not the stack's: a stage may keep the value's address */
		snprintf(d->lro_max_size, sizeof(d->lro_max_size), "%u",
			 d->guest.mtu ? d->guest.mtu : 1500);
		rc.params[0].key = "lro.max_size";
		rc.params[0].value = d->lro_max_size;
		rc.nparams++;
	}
	struct offload_pipeline *tx = offload_pipeline_new(&tc, err, errlen);
	if (!tx)
		return -EINVAL;
	rc.twin = tx; /* the path's elements: one instance, one per-flow state, both ways */
	struct offload_pipeline *rx = offload_pipeline_new(&rc, err, errlen);
	if (!rx) {
		offload_pipeline_free(tx);
		return -EINVAL;
	}
	if (d->rx)
		offload_pipeline_flush(d->rx, true);
	/* the receive pipeline borrows the transmit one's path elements: it goes first */
	offload_pipeline_free(d->rx);
	offload_pipeline_free(d->tx);
	if (d->profile != p)
		free(d->profile);
	d->tx = tx;
	d->rx = rx;
	d->profile = p;
	d->ntx = tc.nstages;
	d->nrx = rc.nstages;
	offload_pipeline_set_sink(tx, tx_sink, d);
	offload_pipeline_set_sink(rx, rx_sink, d);
	dev_sync_offload(d);
	return 0;
}

int dev_load_keys(struct emu_device *d, char *err, size_t errlen)
{
	if (!d->cfg->key_file)
		return 0;
	struct md5sig_keytab *kt = md5sig_keytab_new();
	if (!kt)
		return -ENOMEM;
	char warn[EMU_KEYS_WARN_MAX];
	int ret = emu_keys_load(kt, d->cfg->key_file, EMU_KEYS_STRICT, warn, sizeof(warn), err,
				errlen);
	if (!ret && *warn)
		dev_log(d, LOG_WARNING, "%s", warn);
	if (ret) {
		md5sig_keytab_free(kt);
		return ret;
	}
	if (d->tx) {
		offload_pipeline_set_keys(d->tx, kt);
		offload_pipeline_set_keys(d->rx, kt);
	}
	md5sig_keytab_free(d->keys);
	d->keys = kt;
	return 0;
}
