// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A live capture on an interface through libpcap (emu/capture/capture.h): pcap_create(),
 * immediate mode (each frame as it arrives, not when a buffer block fills), a snaplen past any
 * frame Linux hands a packet socket, a BPF filter compiled by libpcap, nanosecond timestamps
 * where the kernel gives them, and a non-blocking handle whose descriptor the caller polls.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "emu/capture/capture.h"

struct emu_livecap {
	pcap_t *p;
	uint32_t linktype;
	bool nsec; /* timestamps in nanoseconds */
	int fd;
	unsigned mtu; /* the interface's, 0 if unknown */
	emu_livecap_fn fn;
	void *arg;
};

/* The interface's MTU, or 0 (the "any" device has none). */
static unsigned iface_mtu(const char *iface)
{
	struct ifreq ifr = {0};
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	unsigned mtu = 0;

	if (s < 0 || strlen(iface) >= sizeof(ifr.ifr_name)) {
		if (s >= 0)
			close(s);
		return 0;
	}
	memcpy(ifr.ifr_name, iface, strlen(iface) + 1);
	if (!ioctl(s, SIOCGIFMTU, &ifr) && ifr.ifr_mtu > 0)
		mtu = (unsigned)ifr.ifr_mtu;
	close(s);
	return mtu;
}

/* pcap_activate()'s failure as one line naming the interface. */
static void activate_error(pcap_t *p, int r, const char *iface, char *err, size_t errlen)
{
	const char *detail = pcap_geterr(p);

	switch (r) {
	case PCAP_ERROR_NO_SUCH_DEVICE:
		snprintf(err, errlen, "--interface %s: no such interface", iface);
		break;
	case PCAP_ERROR_PERM_DENIED:
		snprintf(err, errlen,
			 "--interface %s: permission denied (capturing needs CAP_NET_RAW)", iface);
		break;
	default:
		snprintf(err, errlen, "--interface %s: %s%s%s", iface, pcap_statustostr(r),
			 detail && *detail ? ": " : "", detail ? detail : "");
	}
}

struct emu_livecap *emu_livecap_open(const char *iface, const char *filter, char *err,
				     size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	struct emu_livecap *c = calloc(1, sizeof(*c));
	struct bpf_program prog;
	int r;

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (!filter || !*filter)
		filter = "tcp";
	c->p = pcap_create(iface, perr);
	if (!c->p) {
		snprintf(err, errlen, "--interface %s: %s", iface, perr);
		goto fail;
	}
	/* each one can only fail on an activated handle */
	pcap_set_snaplen(c->p, EMU_LIVECAP_SNAPLEN);
	pcap_set_immediate_mode(c->p, 1);
	pcap_set_promisc(c->p, 0);
	pcap_set_buffer_size(c->p, EMU_LIVECAP_BUFFER);
	c->nsec = !pcap_set_tstamp_precision(c->p, PCAP_TSTAMP_PRECISION_NANO);
	r = pcap_activate(c->p);
	if (r < 0) {
		activate_error(c->p, r, iface, err, errlen);
		goto fail;
	}
	c->nsec = pcap_get_tstamp_precision(c->p) == PCAP_TSTAMP_PRECISION_NANO;
	int dlt = pcap_datalink(c->p);
	c->linktype = dlt == DLT_RAW ? MD5SIG_LINK_RAW : (uint32_t)dlt;
	if (!md5sig_linktype_known(c->linktype)) {
		const char *name = pcap_datalink_val_to_name(dlt);
		snprintf(err, errlen, "--interface %s: unsupported link type %d (%s)", iface, dlt,
			 name ? name : "unknown");
		goto fail;
	}
	if (pcap_compile(c->p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN)) {
		snprintf(err, errlen, "--filter '%s': %s", filter, pcap_geterr(c->p));
		goto fail;
	}
	r = pcap_setfilter(c->p, &prog);
	pcap_freecode(&prog);
	if (r) {
		snprintf(err, errlen, "--filter '%s': %s", filter, pcap_geterr(c->p));
		goto fail;
	}
	if (pcap_setnonblock(c->p, 1, perr) || (c->fd = pcap_get_selectable_fd(c->p)) < 0) {
		snprintf(err, errlen, "--interface %s: cannot poll the capture: %s", iface,
			 *perr ? perr : "no descriptor");
		goto fail;
	}
	c->mtu = iface_mtu(iface);
	return c;
fail:
	emu_livecap_close(c);
	return NULL;
}

uint32_t emu_livecap_linktype(const struct emu_livecap *c)
{
	return c->linktype;
}

int emu_livecap_fd(const struct emu_livecap *c)
{
	return c->fd;
}

unsigned emu_livecap_mtu(const struct emu_livecap *c)
{
	return c->mtu;
}

static void deliver(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct emu_livecap *c = (struct emu_livecap *)user;
	struct emu_pkt pkt = {
		.data = bytes,
		.caplen = h->caplen,
		.len = h->len,
		.ts = {.tv_sec = h->ts.tv_sec,
		       .tv_nsec = c->nsec ? h->ts.tv_usec : h->ts.tv_usec * 1000L},
	};

	c->fn(c->arg, &pkt);
}

int emu_livecap_dispatch(struct emu_livecap *c, int max, emu_livecap_fn fn, void *arg, char *err,
			 size_t errlen)
{
	c->fn = fn;
	c->arg = arg;
	int n = pcap_dispatch(c->p, max > 0 ? max : -1, deliver, (u_char *)c);
	if (n == PCAP_ERROR) {
		snprintf(err, errlen, "capture failed: %s", pcap_geterr(c->p));
		return -EIO;
	}
	return n < 0 ? 0 : n; /* PCAP_ERROR_BREAK: nobody calls pcap_breakloop() */
}

int emu_livecap_dropped(struct emu_livecap *c, unsigned long *dropped)
{
	struct pcap_stat st;

	if (pcap_stats(c->p, &st))
		return -EIO;
	*dropped = st.ps_drop; /* ps_ifdrop is the interface's, not ours */
	return 0;
}

void emu_livecap_close(struct emu_livecap *c)
{
	if (!c)
		return;
	if (c->p)
		pcap_close(c->p);
	free(c);
}
