/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * DOC: ports — where frames enter and leave the device
 *
 * A port carries plain Ethernet frames between the device and a network: one ops struct per
 * kind, one file each. `vde.c` reaches any vdeplug4 URL through libvdeplug (vde://, switch://,
 * ptp://, tap://, vxvde://, udp://...); `vnet_tap.c` is the guest side as a Linux tap with
 * IFF_VNET_HDR, whose virtio_net_hdr (the virtio 1.x header) carries the guest kernel's own TSO
 * and partial-checksum requests into struct emu_rxmeta. A port that fails (its switch went away)
 * is marked down; the device reopens it with backoff and counts frames meant for it meanwhile
 * as lost. Ports never print: they return -errno and a one-line reason.
 *
 * Ownership: struct emu_port is the caller's (embedded in the device); emu_port_init() fills
 * it, emu_port_open() opens the kind's handle, emu_port_close() releases it. A received frame
 * is written into the caller's buffer; a sent frame is only read during the call.
 */
#ifndef VNICEMU_EMU_PORT_H
#define VNICEMU_EMU_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define EMU_PORT_BUF 65600 /* a 64 KiB TSO frame plus headers */
/* a send that finds the queue full waits for room this often, this long, then drops */
#define EMU_PORT_SEND_TRIES   20
#define EMU_PORT_SEND_WAIT_MS 5

struct emu_port;

/**
 * struct emu_rxmeta - what a port knows of a guest frame beyond its bytes: a vnet-hdr tap's
 * virtio_net_hdr (genuine TSO and partial-checksum requests from a guest kernel). Hints only:
 * the headers themselves are parsed again.
 */
struct emu_rxmeta {
	bool vnet;	   /**< the fields below are valid */
	bool gso;	   /**< gso_type TCPV4 or TCPV6: a TSO request */
	uint16_t gso_size; /**< MSS in payload bytes */
	bool needs_csum;   /**< NEEDS_CSUM: the checksum is partial */
};

struct emu_port_ops {
	const char *kind;
	/** optional: refuse a URL that must not be opened, before any port is; 0 or -errno */
	int (*check)(const struct emu_port *p, char *err, size_t errlen);
	/** open @url; 0 or -errno with a reason in @err */
	int (*open)(struct emu_port *p, char *err, size_t errlen);
	/** one frame into @buf (and what the port knows of it into @meta): its length, 0 for
	 * "nothing (or not a frame)", -errno on failure */
	ssize_t (*recv)(struct emu_port *p, uint8_t *buf, size_t cap, struct emu_rxmeta *meta);
	/** 0, or -errno (the frame is lost); @csum_ok: its checksums were verified */
	int (*send)(struct emu_port *p, const uint8_t *data, size_t len, bool csum_ok);
	/** optional: tell the guest which offloads the NIC has (vnet-hdr tap: TUNSETOFFLOAD) */
	int (*set_offload)(struct emu_port *p, bool csum, bool tso);
	void (*close)(struct emu_port *p);
};

struct emu_port_stats {
	uint64_t rx_frames, rx_bytes;
	uint64_t tx_frames, tx_bytes;
	uint64_t rx_runts;   /**< vde_recv results of 2..13 bytes: not a frame */
	uint64_t tx_lost;    /**< frames that could not be sent: port down or send error */
	uint64_t tx_toobig;  /**< frames larger than the port carries */
	uint64_t reconnects; /**< successful reopenings */
	uint64_t downs;	     /**< times the port went away */
};

struct emu_port {
	const struct emu_port_ops *ops;
	char url[512];
	const char *name; /**< "guest" or "wire" */
	void *conn;	  /**< the kind's handle (VDECONN) */
	int datafd;	  /**< poll for POLLIN */
	int ctlfd;	  /**< poll for POLLIN|POLLHUP (hangup = the switch went away), or -1 */
	size_t max_frame; /**< largest frame the port carries */
	unsigned mtu;	  /**< largest IP packet the far side takes (lro builds no larger) */
	bool nonblocking; /**< recv returns 0 when empty: no poll needed before each read */
	bool up;
	unsigned backoff; /**< seconds until the next reopen attempt */
	unsigned backoff_left;
	struct emu_port_stats stats;
};

/** Fill @p for @url (kind from the scheme) and check the URL, without opening it. */
int emu_port_init(struct emu_port *p, const char *name, const char *url, char *err, size_t errlen);
/** Open (or reopen) the port. */
int emu_port_open(struct emu_port *p, char *err, size_t errlen);
/** Mark the port down and close it; the device reopens it with backoff. */
void emu_port_down(struct emu_port *p);
void emu_port_close(struct emu_port *p);
/** Send, counting what was lost. Return: 0 or -errno (the port went down on fatal errors). */
int emu_port_send(struct emu_port *p, const uint8_t *data, size_t len, bool csum_ok);

extern const struct emu_port_ops emu_port_vde;
extern const struct emu_port_ops emu_port_vnet_tap;

#endif
