// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The live device: a guest port and a wire port, the transmit pipeline between them one way
 * (guest -> sg -> tso -> tx-csum -> wire) and the receive pipeline the other (wire -> rx-csum
 * -> lro -> guest), a control socket, optional per-tap captures. One thread, one poll() loop:
 * each readable port is read in bounded bursts so neither direction starves the other;
 * signals arrive through a signalfd and a one-second timerfd drives watch lines and reconnects.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <syslog.h>
#include <unistd.h>

#include "emu/control/control.h"
#include "emu/capture/capture.h"
#include "emu/device/device.h"
#include "emu/port/port.h"

#define BURST	    64
#define BACKOFF_MAX 30
#define MAX_POLLFDS 48

struct nic {
	const struct emu_run_config *cfg;
	struct emu_profile *profile;
	struct emu_port guest, wire;
	struct offload_pipeline *tx, *rx;
	struct md5sig_keytab *keys; /* NULL without --key-file */
	struct ctl_server *ctl;
	struct emu_tapcap *txcap, *rxcap; /* --capture */
	unsigned ntx, nrx;		  /* stages of the current pipelines */
	uint64_t tx_no, rx_no;
	int sigfd, timerfd;
	bool stop;
	uint64_t watch_tx, watch_rx; /* frames seen at the last watch line */
	uint8_t buf[EMU_PORT_BUF];
};

static void nic_log(const struct nic *n, int prio, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void nic_log(const struct nic *n, int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (n->cfg->syslog) {
		vsyslog(prio, fmt, ap);
	} else {
		fprintf(stderr, "vnicemu: ");
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}

/* ---- captures ---- */

static void captures_close(struct nic *n)
{
	char err[700];

	if (emu_tapcap_close(n->txcap, err, sizeof(err)))
		nic_log(n, LOG_ERR, "capture stopped: %s", err);
	if (emu_tapcap_close(n->rxcap, err, sizeof(err)))
		nic_log(n, LOG_ERR, "capture stopped: %s", err);
	n->txcap = n->rxcap = NULL;
}

/*
 * One capture per tap of each pipeline: guest.pcap, a file per transmit stage, wire.pcap; the
 * receive side the same with "rx-" before each name (rx-wire.pcap ... rx-guest.pcap).
 */
static int captures_open(struct nic *n, const struct offload_config *tc,
			 const struct offload_config *rc, char *err, size_t errlen)
{
	char why[512];
	struct emu_tapcap_config c = {
		.dir = n->cfg->capture_dir,
		.dir_mode = 0700,
		.in = "guest",
		.out = "wire",
		.stages = tc->stages,
		.nstages = tc->nstages,
		.linktype = MD5SIG_LINK_ETHERNET,
		.max_bytes = n->cfg->capture_max,
	};

	captures_close(n);
	if (!c.dir)
		return 0;
	if ((n->txcap = emu_tapcap_open(&c, why, sizeof(why)))) {
		c.prefix = "rx-";
		c.in = "wire";
		c.out = "guest";
		c.stages = rc->stages;
		c.nstages = rc->nstages;
		n->rxcap = emu_tapcap_open(&c, why, sizeof(why));
	}
	if (!n->rxcap) {
		snprintf(err, errlen, "--capture %s", why);
		captures_close(n);
		return -EIO;
	}
	return 0;
}

/* A capture file that fails stops; the device goes on. */
static void capture(struct nic *n, struct emu_tapcap *c, unsigned tap,
		    const struct offload_frame *f, enum md5sig_status st)
{
	if (c && emu_tapcap_write(c, tap, f, st))
		nic_log(n, LOG_ERR, "capture stopped: %s", emu_tapcap_error(c));
}

/* ---- pipelines ---- */

static void tx_sink(void *arg, unsigned tap, const struct offload_frame *f,
		    const struct md5sig_seg *seg, enum md5sig_status st)
{
	struct nic *n = arg;

	(void)seg;
	capture(n, n->txcap, tap, f, st);
	if (tap == n->ntx)
		emu_port_send(&n->wire, f->data, f->len, f->csum == OFFLOAD_CSUM_COMPLETE);
}

static void rx_sink(void *arg, unsigned tap, const struct offload_frame *f,
		    const struct md5sig_seg *seg, enum md5sig_status st)
{
	struct nic *n = arg;

	(void)seg;
	capture(n, n->rxcap, tap, f, st);
	if (tap == n->nrx)
		emu_port_send(&n->guest, f->data, f->len, f->csum == OFFLOAD_CSUM_COMPLETE);
}

/* A vnet-hdr guest sees the NIC's offloads (ethtool -k in its namespace follows them). */
static void sync_offload(struct nic *n)
{
	struct emu_port *g = &n->guest;

	if (!g->up || !g->ops->set_offload || !n->tx)
		return;
	int ret = g->ops->set_offload(g, offload_pipeline_feature(n->tx, OFFLOAD_F_TX),
				      offload_pipeline_feature(n->tx, OFFLOAD_F_TSO));
	if (ret)
		nic_log(n, LOG_WARNING, "guest port: TUNSETOFFLOAD: %s", strerror(-ret));
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

/*
 * Build both pipelines for @p; on success they replace the current ones (and @p the current
 * profile, which the pipelines' configuration points into).
 */
static int build(struct nic *n, struct emu_profile *p, char *err, size_t errlen)
{
	struct offload_config tc = {0}, rc = {0};
	char mtu[16];
	int ret;

	if ((ret = emu_profile_config(p, false, &tc, err, errlen)) ||
	    (ret = emu_profile_config(p, true, &rc, err, errlen)))
		return ret;
	tc.linktype = rc.linktype = MD5SIG_LINK_ETHERNET;
	tc.wire_mtu = n->cfg->wire_mtu;
	rc.wire_mtu = 65535; /* nothing on receive segments */
	tc.keys = rc.keys = n->keys;
	tc.verify = rc.verify = true;
	/* lro may not build frames the guest port cannot carry: a default the profile and
	 * --set override, so it goes first */
	if (rc.nparams < OFFLOAD_MAX_PARAMS && has_param(&rc, "lro", "max_size")) {
		memmove(&rc.params[1], &rc.params[0], rc.nparams * sizeof(rc.params[0]));
		snprintf(mtu, sizeof(mtu), "%u", n->guest.mtu ? n->guest.mtu : 1500);
		rc.params[0].key = "lro.max_size";
		rc.params[0].value = mtu;
		rc.nparams++;
	}
	struct offload_pipeline *tx = offload_pipeline_new(&tc, err, errlen);
	if (!tx)
		return -EINVAL;
	struct offload_pipeline *rx = offload_pipeline_new(&rc, err, errlen);
	if (!rx) {
		offload_pipeline_free(tx);
		return -EINVAL;
	}
	if (n->rx)
		offload_pipeline_flush(n->rx, true);
	offload_pipeline_free(n->tx);
	offload_pipeline_free(n->rx);
	if (n->profile != p)
		free(n->profile);
	n->tx = tx;
	n->rx = rx;
	n->profile = p;
	n->ntx = tc.nstages;
	n->nrx = rc.nstages;
	offload_pipeline_set_sink(tx, tx_sink, n);
	offload_pipeline_set_sink(rx, rx_sink, n);
	sync_offload(n);
	return captures_open(n, &tc, &rc, err, errlen);
}

static int load_keys(struct nic *n, char *err, size_t errlen)
{
	if (!n->cfg->key_file)
		return 0;
	struct md5sig_keytab *kt = md5sig_keytab_new();
	if (!kt)
		return -ENOMEM;
	int ret = emu_keys_load(kt, n->cfg->key_file, err, errlen);
	if (ret) {
		md5sig_keytab_free(kt);
		return ret;
	}
	if (n->tx) {
		offload_pipeline_set_keys(n->tx, kt);
		offload_pipeline_set_keys(n->rx, kt);
	}
	md5sig_keytab_free(n->keys);
	n->keys = kt;
	return 0;
}

/* ---- the data path ---- */

static void port_failed(struct nic *n, struct emu_port *p, const char *why)
{
	if (!p->up)
		return;
	nic_log(n, LOG_WARNING, "%s port %s went away (%s); reconnecting", p->name, p->url, why);
	emu_port_down(p);
}

/* Read up to BURST frames from one port and carry them through its pipeline. */
static void burst(struct nic *n, struct emu_port *in, bool tx)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	for (int i = 0; i < BURST && in->up; i++) {
		if (i && !in->nonblocking) {
			/* switch:// reads block unless the epoll fd is ready: ask first */
			struct pollfd pfd = {.fd = in->datafd, .events = POLLIN};
			if (poll(&pfd, 1, 0) <= 0 || !(pfd.revents & POLLIN))
				break;
		}
		struct emu_rxmeta meta = {0};
		ssize_t len = in->ops->recv(in, n->buf, sizeof(n->buf), &meta);
		if (len < 0) {
			port_failed(n, in, strerror((int)-len));
			break;
		}
		if (len == 0) {
			if (in->nonblocking)
				break; /* drained */
			continue;
		}
		in->stats.rx_frames++;
		in->stats.rx_bytes += (uint64_t)len;
		if (tx) {
			emu_guest_frame(n->tx, n->profile, MD5SIG_LINK_ETHERNET, n->cfg->wire_mtu,
					n->buf, (uint32_t)len, &now, ++n->tx_no, &meta);
			continue;
		}
		struct offload_frame *f = offload_pipeline_guest_frame(n->rx, (uint32_t)len);
		if (!f)
			continue;
		memcpy(f->data, n->buf, (size_t)len);
		f->len = (uint32_t)len;
		f->guest_no = ++n->rx_no;
		f->ts = now;
		offload_pipeline_tx(n->rx, f);
	}
	if (!tx)
		offload_pipeline_flush(n->rx, false); /* lro: a burst's end is a flush point */
}

/* The control connection of a vde:// port: readable means the switch closed it. */
static void check_ctlfd(struct nic *n, struct emu_port *p)
{
	char c;
	ssize_t r = recv(p->ctlfd, &c, 1, MSG_PEEK | MSG_DONTWAIT);

	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
		port_failed(n, p, "switch closed the connection");
}

static void reconnect(struct nic *n, struct emu_port *p)
{
	char err[512];

	if (p->up || --p->backoff_left > 0)
		return;
	if (emu_port_open(p, err, sizeof(err)) == 0) {
		if (p == &n->guest)
			sync_offload(n);
		nic_log(n, LOG_NOTICE, "%s port %s is back (reconnect %llu)", p->name, p->url,
			(unsigned long long)p->stats.reconnects);
		return;
	}
	p->backoff = p->backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : p->backoff * 2;
	p->backoff_left = p->backoff;
}

static void tick(struct nic *n)
{
	uint64_t expirations;

	if (read(n->timerfd, &expirations, sizeof(expirations)) < 0)
		return;
	reconnect(n, &n->guest);
	reconnect(n, &n->wire);
	offload_pipeline_flush(n->rx, true);
	/* live captures: readable by tcpdump within a second */
	if (n->txcap && emu_tapcap_flush(n->txcap))
		nic_log(n, LOG_ERR, "capture stopped: %s", emu_tapcap_error(n->txcap));
	if (n->rxcap && emu_tapcap_flush(n->rxcap))
		nic_log(n, LOG_ERR, "capture stopped: %s", emu_tapcap_error(n->rxcap));
	if (n->ctl)
		ctl_server_tick(n->ctl);
}

static void handle_signal(struct nic *n)
{
	struct signalfd_siginfo si;
	char err[512];

	if (read(n->sigfd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo == SIGHUP) {
		if (!n->cfg->key_file)
			nic_log(n, LOG_NOTICE, "SIGHUP: no key file to reload");
		else if (load_keys(n, err, sizeof(err)))
			nic_log(n, LOG_ERR, "SIGHUP: keeping the old keys: %s", err);
		else
			nic_log(n, LOG_NOTICE, "SIGHUP: reloaded %zu keys from %s",
				md5sig_keytab_count(n->keys), n->cfg->key_file);
		return;
	}
	nic_log(n, LOG_NOTICE, "%s: stopping", strsignal((int)si.ssi_signo));
	n->stop = true;
}

static int loop(struct nic *n)
{
	while (!n->stop) {
		struct pollfd fds[MAX_POLLFDS];
		unsigned nf = 0;
		int gi = -1, gc = -1, wi = -1, wc = -1;

		fds[nf++] = (struct pollfd){.fd = n->sigfd, .events = POLLIN};
		fds[nf++] = (struct pollfd){.fd = n->timerfd, .events = POLLIN};
		if (n->guest.up) {
			gi = (int)nf;
			fds[nf++] = (struct pollfd){.fd = n->guest.datafd, .events = POLLIN};
			if (n->guest.ctlfd >= 0) {
				gc = (int)nf;
				fds[nf++] = (struct pollfd){.fd = n->guest.ctlfd, .events = POLLIN};
			}
		}
		if (n->wire.up) {
			wi = (int)nf;
			fds[nf++] = (struct pollfd){.fd = n->wire.datafd, .events = POLLIN};
			if (n->wire.ctlfd >= 0) {
				wc = (int)nf;
				fds[nf++] = (struct pollfd){.fd = n->wire.ctlfd, .events = POLLIN};
			}
		}
		unsigned c0 = nf;
		if (n->ctl)
			nf += ctl_server_pollfds(n->ctl, fds + nf, MAX_POLLFDS - nf);

		if (poll(fds, nf, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (fds[0].revents)
			handle_signal(n);
		if (fds[1].revents)
			tick(n);
		if (gc >= 0 && fds[gc].revents)
			check_ctlfd(n, &n->guest);
		if (wc >= 0 && fds[wc].revents)
			check_ctlfd(n, &n->wire);
		/* one burst each way per round: neither side waits for the other */
		if (gi >= 0 && n->guest.up && fds[gi].revents & POLLIN)
			burst(n, &n->guest, true);
		else if (gi >= 0 && fds[gi].revents & (POLLERR | POLLHUP | POLLNVAL))
			port_failed(n, &n->guest, "poll error");
		if (wi >= 0 && n->wire.up && fds[wi].revents & POLLIN)
			burst(n, &n->wire, false);
		else if (wi >= 0 && fds[wi].revents & (POLLERR | POLLHUP | POLLNVAL))
			port_failed(n, &n->wire, "poll error");
		if (n->ctl)
			ctl_server_handle(n->ctl, fds + c0, nf - c0);
	}
	return 0;
}

/* ---- control handlers ---- */

static int h_show(void *arg, struct ctl_out *out)
{
	struct nic *n = arg;

	for (int f = 0; f < OFFLOAD_NFEATURES; f++) {
		bool on = offload_pipeline_feature(n->tx, f);
		bool req = offload_pipeline_requested(n->tx, f);
		ctl_printf(out, "%s: %s%s\n", offload_feature_name(f), on ? "on" : "off",
			   offload_pipeline_fixed(n->tx, f) ? " [fixed]"
			   : req != on ? (req ? " [requested on]" : " [requested off]")
				       : "");
	}
	return 0;
}

static int h_set(void *arg, const char *feature, bool on, struct ctl_out *out)
{
	struct nic *n = arg;
	int f = offload_feature_find(feature);

	if (f < 0) {
		ctl_printf(out, "unknown feature '%s' (sg, tso, tx, rx, lro or ethtool names)\n",
			   feature);
		return -EINVAL;
	}
	int ret = offload_pipeline_set_feature(n->tx, f, on);
	if (!ret)
		ret = offload_pipeline_set_feature(n->rx, f, on);
	if (ret == -EPERM) {
		ctl_printf(out, "%s is [fixed] %s in profile %s\n", offload_feature_name(f),
			   on ? "off" : "on", n->profile->name);
		return ret;
	}
	sync_offload(n);
	nic_log(n, LOG_INFO, "control: %s %s", offload_feature_name(f), on ? "on" : "off");
	return ret;
}

static int h_set_param(void *arg, const char *key, const char *value, struct ctl_out *out)
{
	struct nic *n = arg;
	char err[512];
	const struct offload_stage_ops *ops = offload_stage_find_prefix(key);
	bool rx = false;

	for (unsigned i = 0; ops && i < n->profile->nrx; i++)
		rx |= !strcmp(n->profile->rx[i], ops->name);
	int ret = offload_pipeline_set_param(rx ? n->rx : n->tx, key, value, err, sizeof(err));
	if (ret) {
		ctl_printf(out, "%s\n", err);
		return ret;
	}
	nic_log(n, LOG_INFO, "control: %s %s", key, value);
	return 0;
}

static int h_profile(void *arg, const char *name, struct ctl_out *out)
{
	struct nic *n = arg;
	char err[512];
	struct emu_profile *p = malloc(sizeof(*p));

	if (!p)
		return -ENOMEM;
	int ret = emu_profile_load(p, name, err, sizeof(err));
	if (!ret)
		ret = build(n, p, err, sizeof(err));
	if (ret) {
		free(p);
		ctl_printf(out, "%s\n", err);
		return ret < 0 ? ret : -EINVAL;
	}
	nic_log(n, LOG_NOTICE, "control: profile %s (counters start again)", name);
	ctl_printf(out, "profile %s: %s\n", p->name, p->description);
	return 0;
}

static void port_json(FILE *f, const struct emu_port *p)
{
	const struct emu_port_stats *s = &p->stats;

	fprintf(f, "{\"url\": ");
	emu_json_string(f, p->url);
	fprintf(f,
		", \"up\": %s, \"rx_frames\": %llu, \"rx_bytes\": %llu, \"tx_frames\": %llu, "
		"\"tx_bytes\": %llu, \"rx_runts\": %llu, \"tx_lost\": %llu, \"tx_toobig\": %llu, "
		"\"downs\": %llu, \"reconnects\": %llu}",
		p->up ? "true" : "false", (unsigned long long)s->rx_frames,
		(unsigned long long)s->rx_bytes, (unsigned long long)s->tx_frames,
		(unsigned long long)s->tx_bytes, (unsigned long long)s->rx_runts,
		(unsigned long long)s->tx_lost, (unsigned long long)s->tx_toobig,
		(unsigned long long)s->downs, (unsigned long long)s->reconnects);
}

static void port_text(FILE *f, const struct emu_port *p)
{
	const struct emu_port_stats *s = &p->stats;

	fprintf(f,
		"%s port %s: %s; in %llu frames, out %llu, lost %llu, too big %llu, runts %llu, "
		"went away %llu times, reconnected %llu\n",
		p->name, p->url, p->up ? "up" : "DOWN", (unsigned long long)s->rx_frames,
		(unsigned long long)s->tx_frames, (unsigned long long)s->tx_lost,
		(unsigned long long)s->tx_toobig, (unsigned long long)s->rx_runts,
		(unsigned long long)s->downs, (unsigned long long)s->reconnects);
}

/* The whole picture, as text or JSON, into @f. */
static void report(struct nic *n, FILE *f, bool json)
{
	struct offload_stats ts, rs;

	offload_pipeline_stats(n->tx, &ts);
	offload_pipeline_stats(n->rx, &rs);
	if (json) {
		fprintf(f, "{\"profile\": ");
		emu_json_string(f, n->profile->name);
		fprintf(f, ", \"wire_mtu\": %u,\n \"tx\": {", n->cfg->wire_mtu);
		emu_report_json(f, &ts, "guest", "wire");
		fprintf(f, "},\n \"rx\": {");
		emu_report_json(f, &rs, "wire", "guest");
		fprintf(f, "},\n \"ports\": {\"guest\": ");
		port_json(f, &n->guest);
		fprintf(f, ", \"wire\": ");
		port_json(f, &n->wire);
		fprintf(f, "}}\n");
		return;
	}
	fprintf(f, "profile %s, wire MTU %u\n\ntransmit (guest -> wire):\n", n->profile->name,
		n->cfg->wire_mtu);
	emu_report_text(f, &ts, "guest");
	fprintf(f, "\nreceive (wire -> guest):\n");
	emu_report_text(f, &rs, "wire");
	fputc('\n', f);
	port_text(f, &n->guest);
	port_text(f, &n->wire);
}

static int h_stats(void *arg, bool json, struct ctl_out *out)
{
	struct nic *n = arg;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return -ENOMEM;
	report(n, f, json);
	fclose(f);
	ctl_printf(out, "%s", buf);
	free(buf);
	return 0;
}

static int h_keys(void *arg, struct ctl_out *out)
{
	struct nic *n = arg;
	char peer[64];
	unsigned kl;

	if (!n->keys) {
		ctl_printf(out, "no key file (digests are checked against no key)\n");
		return 0;
	}
	ctl_printf(out, "key file %s: %zu peers\n", n->cfg->key_file, md5sig_keytab_count(n->keys));
	for (size_t i = 0; md5sig_keytab_describe(n->keys, i, peer, sizeof(peer), &kl) == 0; i++)
		ctl_printf(out, "%s key length %u\n", peer, kl);
	return 0;
}

static int h_watch_line(void *arg, struct ctl_out *out)
{
	struct nic *n = arg;
	struct offload_stats ts, rs;
	uint64_t inv = 0;

	offload_pipeline_stats(n->tx, &ts);
	offload_pipeline_stats(n->rx, &rs);
	for (unsigned i = 0; i < ts.nstages; i++)
		inv += ts.stages[i].invalidated;
	uint64_t txw = ts.nstages ? ts.stages[ts.nstages - 1].tap.frames : 0;
	uint64_t rxg = rs.nstages ? rs.stages[rs.nstages - 1].tap.frames : 0;
	ctl_printf(out,
		   "tx %llu/s guest %llu wire %llu invalid %llu invalidated %llu culprit %s | "
		   "rx %llu/s wire %llu guest %llu | guest %s wire %s",
		   (unsigned long long)(ts.guest.frames - n->watch_tx),
		   (unsigned long long)ts.guest.frames, (unsigned long long)txw,
		   (unsigned long long)(ts.nstages ? ts.stages[ts.nstages - 1]
							     .tap.verdicts[MD5SIG_INVALID]
						   : 0),
		   (unsigned long long)inv, ts.culprit >= 0 ? ts.stages[ts.culprit].name : "none",
		   (unsigned long long)(rs.guest.frames - n->watch_rx),
		   (unsigned long long)rs.guest.frames, (unsigned long long)rxg,
		   n->guest.up ? "up" : "DOWN", n->wire.up ? "up" : "DOWN");
	n->watch_tx = ts.guest.frames;
	n->watch_rx = rs.guest.frames;
	return 0;
}

static const struct ctl_handler handlers = {
	.show = h_show,
	.set = h_set,
	.set_param = h_set_param,
	.profile = h_profile,
	.stats = h_stats,
	.keys = h_keys,
	.watch_line = h_watch_line,
};

/* ---- set-up and tear-down ---- */

static int setup(struct nic *n, char *err, size_t errlen)
{
	const struct emu_run_config *cfg = n->cfg;
	struct emu_profile *p = malloc(sizeof(*p));
	sigset_t mask;
	int ret;

	if (!p)
		return -ENOMEM;
	ret = emu_profile_load(p, cfg->profile, err, errlen);
	for (unsigned i = 0; !ret && i < cfg->nsets; i++)
		ret = emu_profile_set(p, cfg->sets[i], err, errlen);
	if (!ret)
		ret = load_keys(n, err, errlen);
	/* ports before pipelines: lro builds frames no larger than the guest port takes */
	if (!ret && !(ret = emu_port_init(&n->guest, "guest", cfg->guest_url, err, errlen)) &&
	    !(ret = emu_port_init(&n->wire, "wire", cfg->wire_url, err, errlen)) &&
	    !(ret = emu_port_open(&n->guest, err, errlen)))
		ret = emu_port_open(&n->wire, err, errlen);
	if (!ret)
		ret = build(n, p, err, errlen);
	if (ret) {
		if (n->profile != p)
			free(p);
		return ret;
	}

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	n->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	n->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	struct itimerspec its = {.it_interval = {1, 0}, .it_value = {1, 0}};
	if (n->sigfd < 0 || n->timerfd < 0 || timerfd_settime(n->timerfd, 0, &its, NULL)) {
		snprintf(err, errlen, "signalfd/timerfd: %s", strerror(errno));
		return -errno;
	}
	if (cfg->control) {
		n->ctl = ctl_server_new(cfg->control, &handlers, n, err, errlen);
		if (!n->ctl)
			return -EADDRINUSE;
	}
	return 0;
}

static void teardown(struct nic *n)
{
	if (n->rx)
		offload_pipeline_flush(n->rx, true);
	captures_close(n);
	ctl_server_free(n->ctl);
	emu_port_close(&n->guest);
	emu_port_close(&n->wire);
	offload_pipeline_free(n->tx);
	offload_pipeline_free(n->rx);
	free(n->profile);
	md5sig_keytab_free(n->keys);
	if (n->sigfd > 0)
		close(n->sigfd);
	if (n->timerfd > 0)
		close(n->timerfd);
}

int emu_run(const struct emu_run_config *cfg, char *err, size_t errlen)
{
	struct nic *n = calloc(1, sizeof(*n));
	int ret;

	if (!n)
		return -ENOMEM;
	n->cfg = cfg;
	n->sigfd = n->timerfd = -1;
	if (cfg->syslog)
		openlog("vnicemu", LOG_PID, LOG_DAEMON);
	ret = setup(n, err, errlen);
	if (!ret) {
		nic_log(n, LOG_NOTICE, "running: guest %s, wire %s, profile %s, wire MTU %u%s%s",
			cfg->guest_url, cfg->wire_url, n->profile->name, cfg->wire_mtu,
			cfg->control ? ", control " : "", cfg->control ? cfg->control : "");
		ret = loop(n);
		if (ret)
			snprintf(err, errlen, "poll: %s", strerror(-ret));
		else
			report(n, stdout, false);
		fflush(stdout);
	}
	teardown(n);
	free(n);
	return ret;
}
