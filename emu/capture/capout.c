// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Capture files out. libpcap writes classic pcap only, and we also need pcapng for packet
 * comments (verdicts for Wireshark), so both small formats are written here directly:
 * pcap per tcpdump's savefile format (micro- or nanosecond magic), pcapng per the IETF pcapng
 * draft (SHB, IDB with if_tsresol 9, EPB with opt_comment).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/capture/capture.h"

#define SNAPLEN 262144

struct emu_capout {
	FILE *f;
	bool pcapng;
	bool nsec; /* classic pcap: nanosecond timestamps */
	int nifaces;
	int err; /* first write error, sticky */
	char *path;
};

static void put(struct emu_capout *c, const void *p, size_t n)
{
	if (!c->err && n && fwrite(p, 1, n, c->f) != n)
		c->err = errno ? -errno : -EIO;
}

static void put32(struct emu_capout *c, uint32_t v)
{
	put(c, &v, 4);
}

static void put16(struct emu_capout *c, uint16_t v)
{
	put(c, &v, 2);
}

static void pad4(struct emu_capout *c, size_t n)
{
	static const uint8_t zeros[4];
	put(c, zeros, (4 - n % 4) % 4);
}

static size_t opt_size(const char *s)
{
	return s ? 4 + ((strlen(s) + 3) & ~(size_t)3) : 0;
}

static void put_opt(struct emu_capout *c, uint16_t code, const char *s)
{
	if (!s)
		return;
	size_t n = strlen(s);
	put16(c, code);
	put16(c, (uint16_t)n);
	put(c, s, n);
	pad4(c, n);
}

/* A writer for @f (taken, closed on failure), whose name is @path. */
static struct emu_capout *capout_new(FILE *f, const char *path, bool pcapng, char *err,
				     size_t errlen)
{
	struct emu_capout *c;

	if (!f)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c || !(c->path = strdup(path))) {
		free(c);
		fclose(f);
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	c->f = f;
	setvbuf(c->f, NULL, _IOFBF, 1 << 20);
	c->pcapng = pcapng;
	if (pcapng) {
		const char *app = "vnicemu " VNICEMU_VERSION;
		uint32_t len = (uint32_t)(28 + opt_size(app) + 4);
		put32(c, 0x0a0d0d0a);
		put32(c, len);
		put32(c, 0x1a2b3c4d);
		put16(c, 1);
		put16(c, 0);
		put32(c, 0xffffffff); /* section length unknown */
		put32(c, 0xffffffff);
		put_opt(c, 4, app); /* shb_userappl */
		put32(c, 0);	    /* opt_endofopt */
		put32(c, len);
	}
	return c;
}

struct emu_capout *emu_capout_open(const char *path, bool pcapng, char *err, size_t errlen)
{
	FILE *f = fopen(path, "wbe");

	if (!f)
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	return capout_new(f, path, pcapng, err, errlen);
}

struct emu_capout *emu_capout_create(struct emu_outset *s, const char *path, bool pcapng, char *err,
				     size_t errlen)
{
	return capout_new(emu_outset_open(s, path, err, errlen), path, pcapng, err, errlen);
}

int emu_capout_nsec(struct emu_capout *c)
{
	if (c->nifaces)
		return -EINVAL;
	c->nsec = true;
	return 0;
}

int emu_capout_iface(struct emu_capout *c, uint32_t linktype, const char *name)
{
	if (!c->pcapng) {
		if (c->nifaces)
			return -EINVAL;
		put32(c, c->nsec ? 0xa1b23c4d : 0xa1b2c3d4);
		put16(c, 2);
		put16(c, 4);
		put32(c, 0);
		put32(c, 0);
		put32(c, SNAPLEN);
		put32(c, linktype);
		return c->err ? c->err : c->nifaces++;
	}
	static const char tsresol[4] = {9}; /* nanoseconds */
	uint32_t len = (uint32_t)(20 + opt_size(name) + 8 + 4);
	put32(c, 1);
	put32(c, len);
	put16(c, (uint16_t)linktype);
	put16(c, 0);
	put32(c, SNAPLEN);
	put_opt(c, 2, name); /* if_name */
	put16(c, 9);	     /* if_tsresol */
	put16(c, 1);
	put(c, tsresol, 4);
	put32(c, 0);
	put32(c, len);
	return c->err ? c->err : c->nifaces++;
}

int emu_capout_write(struct emu_capout *c, unsigned iface, const struct timespec *ts,
		     const uint8_t *data, uint32_t len, const char *comment)
{
	return emu_capout_write_comments(c, iface, ts, data, len, &comment, comment ? 1 : 0);
}

int emu_capout_write_comments(struct emu_capout *c, unsigned iface, const struct timespec *ts,
			      const uint8_t *data, uint32_t len, const char *const *comments,
			      unsigned ncomments)
{
	uint32_t caplen = len > SNAPLEN ? SNAPLEN : len;

	if (iface >= (unsigned)c->nifaces)
		return -EINVAL;
	if (!c->pcapng) {
		put32(c, (uint32_t)ts->tv_sec);
		put32(c, (uint32_t)(c->nsec ? ts->tv_nsec : ts->tv_nsec / 1000));
		put32(c, caplen);
		put32(c, len);
		put(c, data, caplen);
		return c->err;
	}
	uint64_t t = (uint64_t)ts->tv_sec * 1000000000ull + (uint64_t)ts->tv_nsec;
	size_t opts = ncomments ? 4 : 0; /* opt_endofopt */

	for (unsigned i = 0; i < ncomments; i++)
		opts += opt_size(comments[i]);
	uint32_t blen = (uint32_t)(32 + ((caplen + 3) & ~3u) + opts);
	put32(c, 6);
	put32(c, blen);
	put32(c, iface);
	put32(c, (uint32_t)(t >> 32));
	put32(c, (uint32_t)t);
	put32(c, caplen);
	put32(c, len);
	put(c, data, caplen);
	pad4(c, caplen);
	for (unsigned i = 0; i < ncomments; i++)
		put_opt(c, 1, comments[i]); /* opt_comment */
	if (ncomments)
		put32(c, 0);
	put32(c, blen);
	return c->err;
}

int emu_capout_flush(struct emu_capout *c)
{
	if (!c->err && fflush(c->f))
		c->err = -errno;
	return c->err;
}

int emu_capout_close(struct emu_capout *c)
{
	int ret;

	if (!c)
		return 0;
	ret = c->err;
	if (fclose(c->f) && !ret)
		ret = -errno;
	free(c->path);
	free(c);
	return ret;
}
