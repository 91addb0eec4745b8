// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * VDE ports through libvdeplug: any vdeplug4 URL. Sharp edges of vdeplug4 4.0.1: vde_recv
 * returns 1 for "received, drop it", so anything below an Ethernet header is not a frame; for
 * switch:// the data fd is an epoll fd and vde_recv blocks unless it is readable, so the device
 * polls before every read; a vde:// switch that goes away shows as POLLHUP on the control fd
 * and later as ECONNREFUSED/ENOTCONN from vde_send.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include <libvdeplug.h>

#include "emu/port/port.h"

#define ETH_HLEN 14

/*
 * vdeplug4 4.0.1 joins a vxvde:// or vxlan:// group on the default route when the interface an
 * `if=NAME` option names does not exist, so lab traffic meant for one link would leave by
 * another: refuse the URL instead, at init, before either port is opened. Return: 0, or -ENODEV with a reason in @err.
 */
static int vde_check_iface(const struct emu_port *p, char *err, size_t errlen)
{
	const char *o;
	char name[IF_NAMESIZE + 1];

	if (strncmp(p->url, "vxvde://", 8) && strncmp(p->url, "vxlan://", 8))
		return 0;
	for (o = strchr(p->url + 8, '/'); o; o = strchr(o + 1, '/')) {
		if (strncmp(o + 1, "if=", 3))
			continue;
		size_t n = strcspn(o + 4, "/");
		if (n == 0 || n > IF_NAMESIZE - 1 ||
		    (snprintf(name, sizeof(name), "%.*s", (int)n, o + 4), !if_nametoindex(name))) {
			snprintf(err, errlen, "%s port %s: no interface '%.*s' here", p->name,
				 p->url, (int)n, o + 4);
			return -ENODEV;
		}
	}
	return 0;
}

static int vde_port_open(struct emu_port *p, char *err, size_t errlen)
{
	char descr[64];
	int ret = vde_check_iface(p, err, errlen); /* again: a reopen may find it gone */

	if (ret)
		return ret;
	snprintf(descr, sizeof(descr), "vnicemu %s", p->name);
	errno = 0;
	VDECONN *c = vde_open(p->url, descr, NULL);
	if (!c) {
		int e = errno ? errno : ECONNREFUSED;
		snprintf(err, errlen, "%s port %s: %s", p->name, p->url, strerror(e));
		return -e;
	}
	p->conn = c;
	p->datafd = vde_datafd(c);
	p->ctlfd = vde_ctlfd(c);
	/* a plain data socket may be non-blocking; an epoll fd (switch://) is polled anyway */
	int fl = fcntl(p->datafd, F_GETFL);
	if (fl >= 0)
		fcntl(p->datafd, F_SETFL, fl | O_NONBLOCK);
	p->max_frame = VDE_ETHBUFSIZE;
	/* vde:// reads a plain (now non-blocking) data socket: read until empty, no poll each */
	p->nonblocking = !strncmp(p->url, "vde://", 6);
	p->mtu = 9000; /* what a jumbo guest takes; the vdeplug4 switch carries 9216 */
	return 0;
}

static ssize_t vde_port_recv(struct emu_port *p, uint8_t *buf, size_t cap, struct emu_rxmeta *meta)
{
	(void)meta; /* plain Ethernet: no metadata */
	ssize_t n = vde_recv(p->conn, buf, cap, 0);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if (n == 0)
		return -ECONNRESET; /* peer closed */
	if (n < ETH_HLEN) {
		if (n > 1)
			p->stats.rx_runts++;
		return 0;
	}
	return n;
}

static int vde_port_send(struct emu_port *p, const uint8_t *data, size_t len, bool csum_ok)
{
	(void)csum_ok;
	/* a full queue is a NIC's full ring: wait for room (briefly) instead of dropping */
	for (int tries = 0;; tries++) {
		ssize_t n = vde_send(p->conn, data, len, 0);
		if (n >= 0)
			return 0;
		if ((errno != EAGAIN && errno != ENOBUFS) || tries == EMU_PORT_SEND_TRIES)
			return -errno;
		struct pollfd pfd = {.fd = p->datafd, .events = POLLOUT};
		poll(&pfd, 1, EMU_PORT_SEND_WAIT_MS);
	}
}

static void vde_port_close(struct emu_port *p)
{
	if (p->conn)
		vde_close(p->conn);
	p->conn = NULL;
}

const struct emu_port_ops emu_port_vde = {
	.kind = "vde",
	.check = vde_check_iface,
	.open = vde_port_open,
	.recv = vde_port_recv,
	.send = vde_port_send,
	.close = vde_port_close,
};
