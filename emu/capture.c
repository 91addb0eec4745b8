// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Capture files in. libpcap reads both pcap and pcapng and reports truncation precisely; we
 * only translate its DLT_ numbers back to the LINKTYPE_ numbers stored in files.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "emu.h"

struct emu_capin {
	pcap_t *p;
	const char *path;
	uint32_t linktype;
	unsigned long frame; /* frames read so far */
	int nsec;
};

static uint32_t dlt_to_linktype(int dlt)
{
	switch (dlt) {
	case DLT_RAW:
		return MD5SIG_LINK_RAW; /* DLT_RAW is 12 or 14 depending on the OS; files say 101 */
	default:
		return (uint32_t)dlt;
	}
}

struct emu_capin *emu_capin_open(const char *path, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE];
	struct emu_capin *c = calloc(1, sizeof(*c));

	if (!c) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	c->path = path;
	c->p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, perr);
	if (!c->p) {
		/* libpcap names the file in open errors but not in format errors */
		if (!strncmp(perr, path, strlen(path)))
			snprintf(err, errlen, "%s", perr);
		else
			snprintf(err, errlen, "%s: %s", path, perr);
		free(c);
		return NULL;
	}
	c->nsec = pcap_get_tstamp_precision(c->p) == PCAP_TSTAMP_PRECISION_NANO;
	c->linktype = dlt_to_linktype(pcap_datalink(c->p));
	if (!md5sig_linktype_known(c->linktype)) {
		const char *name = pcap_datalink_val_to_name(pcap_datalink(c->p));
		snprintf(err, errlen, "%s: unsupported link type %u (%s)", path, c->linktype,
			 name ? name : "unknown");
		emu_capin_close(c);
		return NULL;
	}
	return c;
}

uint32_t emu_capin_linktype(const struct emu_capin *c)
{
	return c->linktype;
}

int emu_capin_next(struct emu_capin *c, struct emu_pkt *pkt, char *err, size_t errlen)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int r = pcap_next_ex(c->p, &h, &data);

	if (r == PCAP_ERROR_BREAK)
		return 0;
	if (r != 1) {
		snprintf(err, errlen, "%s: frame %lu: %s", c->path, c->frame + 1,
			 pcap_geterr(c->p));
		return -EIO;
	}
	c->frame++;
	pkt->data = data;
	pkt->caplen = h->caplen;
	pkt->len = h->len;
	pkt->ts.tv_sec = h->ts.tv_sec;
	pkt->ts.tv_nsec = c->nsec ? h->ts.tv_usec : h->ts.tv_usec * 1000L;
	return 1;
}

void emu_capin_close(struct emu_capin *c)
{
	if (!c)
		return;
	if (c->p)
		pcap_close(c->p);
	free(c);
}
