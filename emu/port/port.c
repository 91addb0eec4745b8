// SPDX-License-Identifier: GPL-2.0-or-later
/* Port bookkeeping shared by every kind: open/reopen, down, counted sends. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "emu/port/port.h"

int emu_port_init(struct emu_port *p, const char *name, const char *url, char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	if (strlen(url) >= sizeof(p->url)) {
		snprintf(err, errlen, "%s port: URL too long", name);
		return -ENAMETOOLONG;
	}
	snprintf(p->url, sizeof(p->url), "%s", url);
	p->name = name;
	p->ops = strncmp(url, "vnet-tap://", 11) ? &emu_port_vde : &emu_port_vnet_tap;
	p->datafd = p->ctlfd = -1;
	return p->ops->check ? p->ops->check(p, err, errlen) : 0;
}

int emu_port_open(struct emu_port *p, char *err, size_t errlen)
{
	int ret = p->ops->open(p, err, errlen);

	if (ret)
		return ret;
	if (p->stats.downs)
		p->stats.reconnects++;
	p->up = true;
	p->backoff = 0;
	return 0;
}

void emu_port_down(struct emu_port *p)
{
	if (!p->up)
		return;
	p->ops->close(p);
	p->up = false;
	p->datafd = p->ctlfd = -1;
	p->stats.downs++;
	p->backoff = 1;
	p->backoff_left = 1;
}

void emu_port_close(struct emu_port *p)
{
	if (p->up)
		p->ops->close(p);
	p->up = false;
}

int emu_port_send(struct emu_port *p, const uint8_t *data, size_t len, bool csum_ok)
{
	if (!p->up) {
		p->stats.tx_lost++;
		return -ENOTCONN;
	}
	if (len > p->max_frame) {
		p->stats.tx_toobig++;
		return -EMSGSIZE;
	}
	int ret = p->ops->send(p, data, len, csum_ok);
	if (ret) {
		p->stats.tx_lost++;
		if (ret == -ECONNREFUSED || ret == -ENOTCONN || ret == -EPIPE || ret == -ECONNRESET)
			emu_port_down(p);
		return ret;
	}
	p->stats.tx_frames++;
	p->stats.tx_bytes += len;
	return 0;
}
