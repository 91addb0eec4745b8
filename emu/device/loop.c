// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The device's event loop: one thread, one poll() over both ports, the signalfd, a one-second
 * timerfd and the control socket. Each readable port is read in bounded bursts so neither
 * direction starves the other; the tick drives reconnects (with backoff), lro's flush, capture
 * flushes and watch lines; SIGHUP reloads the keys (TCP-MD5 and TCP-AO), SIGINT and SIGTERM stop
 * the loop.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "emu/device/internal.h"

#define BURST	    64
#define BACKOFF_MAX 30
#define MAX_POLLFDS 48

static void port_failed(struct emu_device *d, struct emu_port *p, const char *why)
{
	if (!p->up)
		return;
	dev_log(d, LOG_WARNING, "%s port %s went away (%s); reconnecting", p->name, p->url, why);
	emu_port_down(p);
}

/* Read up to BURST frames from one port and carry them through its pipeline. */
static void burst(struct emu_device *d, struct emu_port *in, bool tx)
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
		ssize_t len = in->ops->recv(in, d->buf, sizeof(d->buf), &meta);
		if (len < 0) {
			port_failed(d, in, strerror((int)-len));
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
			emu_guest_frame(d->tx, d->profile, MD5SIG_LINK_ETHERNET, d->cfg->wire_mtu,
					d->buf, (uint32_t)len, (uint32_t)len, &now, ++d->tx_no,
					&meta);
			continue;
		}
		struct offload_frame *f = offload_pipeline_guest_frame(d->rx, (uint32_t)len);
		if (!f)
			continue;
		memcpy(f->data, d->buf, (size_t)len);
		f->len = (uint32_t)len;
		f->guest_no = ++d->rx_no;
		f->ts = now;
		offload_pipeline_tx(d->rx, f);
	}
	if (!tx)
		offload_pipeline_flush(d->rx, false); /* lro: a burst's end is a flush point */
}

/* The control connection of a vde:// port: readable means the switch closed it. */
static void check_ctlfd(struct emu_device *d, struct emu_port *p)
{
	char c;
	ssize_t r = recv(p->ctlfd, &c, 1, MSG_PEEK | MSG_DONTWAIT);

	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
		port_failed(d, p, "switch closed the connection");
}

static void reconnect(struct emu_device *d, struct emu_port *p)
{
	char err[512];

	if (p->up || --p->backoff_left > 0)
		return;
	if (emu_port_open(p, err, sizeof(err)) == 0) {
		if (p == &d->guest)
			dev_sync_offload(d);
		dev_log(d, LOG_NOTICE, "%s port %s is back (reconnect %llu)", p->name, p->url,
			(unsigned long long)p->stats.reconnects);
		return;
	}
	p->backoff = p->backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : p->backoff * 2;
	p->backoff_left = p->backoff;
}

static void tick(struct emu_device *d)
{
	uint64_t expirations;

	if (read(d->timerfd, &expirations, sizeof(expirations)) < 0)
		return;
	reconnect(d, &d->guest);
	reconnect(d, &d->wire);
	offload_pipeline_flush(d->rx, true);
	/* live captures: readable by tcpdump within a second */
	if (d->txcap && emu_tapcap_flush(d->txcap))
		dev_log(d, LOG_ERR, "capture stopped: %s", emu_tapcap_error(d->txcap));
	if (d->rxcap && emu_tapcap_flush(d->rxcap))
		dev_log(d, LOG_ERR, "capture stopped: %s", emu_tapcap_error(d->rxcap));
	if (d->ctl)
		ctl_server_tick(d->ctl);
}

static void handle_signal(struct emu_device *d)
{
	struct signalfd_siginfo si;
	char err[512];

	if (read(d->sigfd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo == SIGHUP) {
		if (!d->cfg->key_file)
			dev_log(d, LOG_NOTICE, "SIGHUP: no key file to reload");
		else if (dev_load_keys(d, err, sizeof(err)))
			dev_log(d, LOG_ERR, "SIGHUP: keeping the old keys: %s", err);
		else if (!md5sig_aotab_count(md5sig_keytab_ao(d->keys)))
			dev_log(d, LOG_NOTICE, "SIGHUP: reloaded %zu keys from %s",
				md5sig_keytab_count(d->keys), d->cfg->key_file);
		else
			dev_log(d, LOG_NOTICE, "SIGHUP: reloaded %zu keys from %s, %zu TCP-AO MKTs",
				md5sig_keytab_count(d->keys), d->cfg->key_file,
				md5sig_aotab_count(md5sig_keytab_ao(d->keys)));
		return;
	}
	dev_log(d, LOG_NOTICE, "%s: stopping", strsignal((int)si.ssi_signo));
	d->stop = true;
}

int dev_loop(struct emu_device *d)
{
	while (!d->stop) {
		struct pollfd fds[MAX_POLLFDS];
		unsigned nf = 0;
		int gi = -1, gc = -1, wi = -1, wc = -1;

		fds[nf++] = (struct pollfd){.fd = d->sigfd, .events = POLLIN};
		fds[nf++] = (struct pollfd){.fd = d->timerfd, .events = POLLIN};
		if (d->guest.up) {
			gi = (int)nf;
			fds[nf++] = (struct pollfd){.fd = d->guest.datafd, .events = POLLIN};
			if (d->guest.ctlfd >= 0) {
				gc = (int)nf;
				fds[nf++] = (struct pollfd){.fd = d->guest.ctlfd, .events = POLLIN};
			}
		}
		if (d->wire.up) {
			wi = (int)nf;
			fds[nf++] = (struct pollfd){.fd = d->wire.datafd, .events = POLLIN};
			if (d->wire.ctlfd >= 0) {
				wc = (int)nf;
				fds[nf++] = (struct pollfd){.fd = d->wire.ctlfd, .events = POLLIN};
			}
		}
		unsigned c0 = nf;
		if (d->ctl)
			nf += ctl_server_pollfds(d->ctl, fds + nf, MAX_POLLFDS - nf);

		if (poll(fds, nf, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (fds[0].revents)
			handle_signal(d);
		if (fds[1].revents)
			tick(d);
		if (gc >= 0 && fds[gc].revents)
			check_ctlfd(d, &d->guest);
		if (wc >= 0 && fds[wc].revents)
			check_ctlfd(d, &d->wire);
		/* one burst each way per round: neither side waits for the other */
		if (gi >= 0 && d->guest.up && fds[gi].revents & POLLIN)
			burst(d, &d->guest, true);
		else if (gi >= 0 && fds[gi].revents & (POLLERR | POLLHUP | POLLNVAL))
			port_failed(d, &d->guest, "poll error");
		if (wi >= 0 && d->wire.up && fds[wi].revents & POLLIN)
			burst(d, &d->wire, false);
		else if (wi >= 0 && fds[wi].revents & (POLLERR | POLLHUP | POLLNVAL))
			port_failed(d, &d->wire, "poll error");
		if (d->ctl)
			ctl_server_handle(d->ctl, fds + c0, nf - c0);
	}
	return 0;
}
