// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vnet-tap://NAME: the guest side as a Linux tap opened with IFF_TAP|IFF_NO_PI|IFF_VNET_HDR,
 * in the network namespace vnicemu runs in. Every read starts with a struct virtio_net_hdr
 * (linux/virtio_net.h): genuine TSO super-frames up to 64 KiB and partial checksums from the
 * guest kernel. TUNSETOFFLOAD tells the kernel which offloads the device takes, which is what
 * `ethtool -k NAME` shows and what the guest's TCP stack hands down: without TSO the kernel
 * segments before the tap. Frames to the guest are written with a header too (DATA_VALID when
 * rx-csum verified them).
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/if_tun.h>
#include <linux/virtio_net.h>

#include "emu/port/port.h"

#define ETH_HLEN 14

struct vnet_tap {
	int fd;
	char name[IFNAMSIZ];
};

static int vt_open(struct emu_port *p, char *err, size_t errlen)
{
	const char *name = p->url + strlen("vnet-tap://");
	struct ifreq ifr = {0};
	int hdrsz = sizeof(struct virtio_net_hdr);

	if (!*name || strlen(name) >= IFNAMSIZ) {
		snprintf(err, errlen, "%s port %s: bad interface name", p->name, p->url);
		return -EINVAL;
	}
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s port %s: /dev/net/tun: %s", p->name, p->url,
			 strerror(errno));
		return -errno;
	}
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) || ioctl(fd, TUNSETVNETHDRSZ, &hdrsz)) {
		int e = errno;
		snprintf(err, errlen, "%s port %s: TUNSETIFF: %s", p->name, p->url, strerror(e));
		close(fd);
		return -e;
	}
	/* the guest's MTU bounds what lro may build for it */
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq mr = {0};
	snprintf(mr.ifr_name, sizeof(mr.ifr_name), "%s", ifr.ifr_name);
	p->mtu = s >= 0 && ioctl(s, SIOCGIFMTU, &mr) == 0 ? (unsigned)mr.ifr_mtu : 1500;
	if (s >= 0)
		close(s);

	struct vnet_tap *t = calloc(1, sizeof(*t));
	if (!t) {
		close(fd);
		return -ENOMEM;
	}
	t->fd = fd;
	snprintf(t->name, sizeof(t->name), "%s", ifr.ifr_name);
	p->conn = t;
	p->datafd = fd;
	p->ctlfd = -1;
	p->max_frame = EMU_PORT_BUF - sizeof(struct virtio_net_hdr);
	p->nonblocking = true;
	return 0;
}

static ssize_t vt_recv(struct emu_port *p, uint8_t *buf, size_t cap, struct emu_rxmeta *meta)
{
	struct vnet_tap *t = p->conn;
	struct virtio_net_hdr h;
	struct iovec iov[2] = {{&h, sizeof(h)}, {buf, cap}};
	ssize_t n = readv(t->fd, iov, 2);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if ((size_t)n < sizeof(h) + ETH_HLEN) {
		p->stats.rx_runts++;
		return 0;
	}
	/* hints: the pipeline parses the headers again and decides itself */
	uint8_t gt = h.gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	meta->vnet = true;
	meta->gso = gt == VIRTIO_NET_HDR_GSO_TCPV4 || gt == VIRTIO_NET_HDR_GSO_TCPV6;
	meta->gso_size = h.gso_size;
	meta->needs_csum = h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM;
	return n - (ssize_t)sizeof(h);
}

static int vt_send(struct emu_port *p, const uint8_t *data, size_t len, bool csum_ok)
{
	struct vnet_tap *t = p->conn;
	struct virtio_net_hdr h = {.flags = csum_ok ? VIRTIO_NET_HDR_F_DATA_VALID : 0,
				   .gso_type = VIRTIO_NET_HDR_GSO_NONE};
	struct iovec iov[2] = {{&h, sizeof(h)}, {(void *)data, len}};

	for (int tries = 0;; tries++) {
		if (writev(t->fd, iov, 2) >= 0)
			return 0;
		if (errno != EAGAIN || tries == EMU_PORT_SEND_TRIES)
			return -errno;
		struct pollfd pfd = {.fd = t->fd, .events = POLLOUT};
		poll(&pfd, 1, EMU_PORT_SEND_WAIT_MS);
	}
}

static int vt_set_offload(struct emu_port *p, bool csum, bool tso)
{
	struct vnet_tap *t = p->conn;
	/* the TSO flags only count together with CSUM; unknown bits are EINVAL */
	unsigned long off =
		csum ? TUN_F_CSUM | (tso ? TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN : 0) : 0;

	return ioctl(t->fd, TUNSETOFFLOAD, off) ? -errno : 0;
}

static void vt_close(struct emu_port *p)
{
	struct vnet_tap *t = p->conn;

	if (t) {
		close(t->fd);
		free(t);
	}
	p->conn = NULL;
}

const struct emu_port_ops emu_port_vnet_tap = {
	.kind = "vnet-tap",
	.open = vt_open,
	.recv = vt_recv,
	.send = vt_send,
	.set_offload = vt_set_offload,
	.close = vt_close,
};
