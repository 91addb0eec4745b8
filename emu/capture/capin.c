// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Capture files in. Classic pcap files (version 2.4, either byte order, micro or nanosecond
 * timestamps), what tcpdump writes, are mapped and their records walked in place: no read(2)
 * copying the file through stdio and again into a packet buffer. Everything else goes through
 * libpcap: pcapng, older pcap versions (whose caplen and len may be swapped), pipes and stdin,
 * link types we do not parse (so libpcap names them), and byte-swapped Linux cooked captures
 * (libpcap rewrites the CAN headers in those). Both paths report truncation and bad lengths in
 * libpcap's words; the mapped walk is checked against libpcap by tests/emu/test_capture.c and
 * tests/fuzz/fuzz_pcap.c.
 *
 * A mapped file is read as it was when opened: frames appended later are not seen, and a file
 * truncated while open raises SIGBUS, as any mapping does.
 */
#include <byteswap.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "emu/capture/capture.h"

#define RELEASE_CHUNK	   ((size_t)8 << 20) /* give back mapped pages in 8 MiB steps */
#define PCAP_FILE_HDR	   24		     /* the file header */
#define PCAP_REC_HDR	   16		     /* a record's: seconds, fraction, caplen, len */
#define PCAP_MAX_SNAPLEN   262144      /* libpcap's MAXIMUM_SNAPLEN: bigger records are corrupt */
#define PCAP_LINKTYPE_MASK 0x03ffffffu /* the upper bits carry FCS lengths */

struct emu_capin {
	pcap_t *p;	    /* libpcap reader, or NULL when the file is mapped */
	const uint8_t *map; /* the mapped file */
	size_t size;	    /* its length */
	size_t off;	    /* offset of the next record */
	size_t pagesize;    /* for releasing pages */
	size_t released;    /* mapped bytes before this were given back (MADV_DONTNEED) */
	size_t hold;	    /* ...but never the last this many bytes read (emu_capin_hold()) */
	uint32_t snaplen;   /* mapped: records are cut to this, as libpcap does */
	bool swapped;	    /* mapped: written in the other byte order */
	bool nsec;	    /* timestamps in nanoseconds */
	const char *path;
	uint32_t linktype;
	unsigned long frame; /* frames read so far */
};

/* DLT_RAW is 12, or 14 on OpenBSD; files should say LINKTYPE_RAW (101) but old ones say either. */
static uint32_t raw_to_linktype(uint32_t lt)
{
	return lt == 12 || lt == 14 ? MD5SIG_LINK_RAW : lt;
}

static uint32_t get32(const struct emu_capin *c, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return c->swapped ? bswap_32(v) : v;
}

static uint16_t get16(const struct emu_capin *c, const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return c->swapped ? bswap_16(v) : v;
}

/* Take the file header if the mapped walk reads this file. Return: false to leave it to libpcap. */
static bool pcap_file_header(struct emu_capin *c, const uint8_t h[PCAP_FILE_HDR])
{
	uint32_t magic;

	memcpy(&magic, h, sizeof(magic));
	switch (magic) {
	case 0xa1b2c3d4:
	case 0xa1b23c4d:
		c->swapped = false;
		break;
	case 0xd4c3b2a1:
	case 0x4d3cb2a1:
		c->swapped = true;
		break;
	default:
		return false;
	}
	c->nsec = magic == 0xa1b23c4d || magic == 0x4d3cb2a1;
	if (get16(c, h + 4) != 2 || get16(c, h + 6) != 4)
		return false;
	c->linktype = raw_to_linktype(get32(c, h + 20) & PCAP_LINKTYPE_MASK);
	if (!md5sig_linktype_known(c->linktype))
		return false;
	if (c->swapped && (c->linktype == MD5SIG_LINK_SLL || c->linktype == MD5SIG_LINK_SLL2))
		return false;
	c->snaplen = get32(c, h + 16);
	if (c->snaplen == 0 || c->snaplen > INT_MAX)
		c->snaplen = PCAP_MAX_SNAPLEN; /* as libpcap 1.10 adjusts it */
	return true;
}

/* Map @c->path if it is a pcap file we walk ourselves. Return: false to leave it to libpcap. */
static bool capin_map(struct emu_capin *c)
{
	uint8_t h[PCAP_FILE_HDR];
	struct stat st;
	bool ok = false;

	/* "-" is libpcap's stdin; a FIFO is not even opened here, that would unblock its writer */
	if (!strcmp(c->path, "-") || stat(c->path, &st) || !S_ISREG(st.st_mode))
		return false;
	int fd = open(c->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size < PCAP_FILE_HDR ||
	    pread(fd, h, sizeof(h), 0) != sizeof(h) || !pcap_file_header(c, h))
		goto out;
	void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED)
		goto out;
	madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
	c->map = m;
	c->size = (size_t)st.st_size;
	c->off = PCAP_FILE_HDR;
	c->pagesize = (size_t)sysconf(_SC_PAGESIZE);
	ok = true;
out:
	close(fd);
	return ok;
}

/* Open through libpcap, which reads pcap and pcapng and reports truncation precisely. */
static int capin_pcap(struct emu_capin *c, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE];
	const char *path = c->path;

	c->p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, perr);
	if (!c->p) {
		/* libpcap names the file in open errors but not in format errors */
		if (!strncmp(perr, path, strlen(path)))
			snprintf(err, errlen, "%s", perr);
		else
			snprintf(err, errlen, "%s: %s", path, perr);
		return -EINVAL;
	}
	c->nsec = pcap_get_tstamp_precision(c->p) == PCAP_TSTAMP_PRECISION_NANO;
	c->linktype = raw_to_linktype((uint32_t)pcap_datalink(c->p));
	if (!md5sig_linktype_known(c->linktype)) {
		const char *name = pcap_datalink_val_to_name(pcap_datalink(c->p));
		snprintf(err, errlen, "%s: unsupported link type %u (%s)", path, c->linktype,
			 name ? name : "unknown");
		return -EINVAL;
	}
	return 0;
}

struct emu_capin *emu_capin_open(const char *path, char *err, size_t errlen)
{
	struct emu_capin *c = calloc(1, sizeof(*c));

	if (!c) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	c->path = path;
	if (!capin_map(c) && capin_pcap(c, err, errlen)) {
		emu_capin_close(c);
		return NULL;
	}
	return c;
}

uint32_t emu_capin_linktype(const struct emu_capin *c)
{
	return c->linktype;
}

bool emu_capin_hold(struct emu_capin *c, size_t bytes)
{
	if (!c->map)
		return false;
	c->hold = bytes;
	return true;
}

__attribute__((format(printf, 4, 5))) static int frame_error(const struct emu_capin *c, char *err,
							     size_t errlen, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err, errlen, "%s: frame %lu: ", c->path, c->frame + 1);

	if (n >= 0 && (size_t)n < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EIO;
}

static int next_mapped(struct emu_capin *c, struct emu_pkt *pkt, char *err, size_t errlen)
{
	size_t left = c->size - c->off;
	const uint8_t *h = c->map + c->off;

	if (!left)
		return 0;
	if (left < PCAP_REC_HDR)
		return frame_error(
			c, err, errlen,
			"truncated dump file; tried to read %d header bytes, only got %zu",
			PCAP_REC_HDR, left);
	left -= PCAP_REC_HDR;
	uint32_t caplen = get32(c, h + 8);
	if (caplen > PCAP_MAX_SNAPLEN)
		return frame_error(c, err, errlen,
				   "invalid packet capture length %u, bigger than %s %u", caplen,
				   caplen > c->snaplen ? "snaplen of" : "maximum of",
				   caplen > c->snaplen ? c->snaplen : PCAP_MAX_SNAPLEN);
	if (caplen > left) {
		/* libpcap reads the snapshot length first and names whichever read failed */
		uint32_t want = caplen > c->snaplen && left < c->snaplen ? c->snaplen : caplen;
		return frame_error(
			c, err, errlen,
			"truncated dump file; tried to read %u captured bytes, only got %zu", want,
			left);
	}
	/*
	 * Peak memory must not grow with the capture: give back the pages of frames already
	 * handed out (a frame is only promised until the next call, or held). Pages of a
	 * read-only file mapping come back from the page cache if touched again.
	 */
	size_t done = c->off > c->hold ? (c->off - c->hold) & ~(c->pagesize - 1) : 0;
	if (done > c->released && done - c->released >= RELEASE_CHUNK) {
		madvise((void *)(c->map + c->released), done - c->released, MADV_DONTNEED);
		c->released = done;
	}
	c->frame++;
	c->off += PCAP_REC_HDR + caplen;
	/*
	 * A caller that only walks the records (verify's reading thread, while others hash
	 * the payloads) would wait on memory for every header: ask for the one about 8 records
	 * ahead, guessing they are the size of this one. A wrong guess costs nothing but the
	 * prefetch.
	 */
	size_t ahead = c->off + 8 * (PCAP_REC_HDR + (size_t)caplen);
	if (ahead < c->size)
		__builtin_prefetch(c->map + ahead);
	pkt->data = h + PCAP_REC_HDR;
	pkt->caplen = caplen > c->snaplen ? c->snaplen : caplen; /* libpcap discards the rest */
	pkt->len = get32(c, h + 12);
	/* unsigned, as the format says (libpcap 1.10 sign-extends them in files in host order) */
	pkt->ts.tv_sec = (time_t)get32(c, h);
	pkt->ts.tv_nsec = (long)get32(c, h + 4) * (c->nsec ? 1 : 1000);
	return 1;
}

int emu_capin_next(struct emu_capin *c, struct emu_pkt *pkt, char *err, size_t errlen)
{
	struct pcap_pkthdr *h;
	const u_char *data;

	if (c->map)
		return next_mapped(c, pkt, err, errlen);
	int r = pcap_next_ex(c->p, &h, &data);
	if (r == PCAP_ERROR_BREAK)
		return 0;
	if (r != 1)
		return frame_error(c, err, errlen, "%s", pcap_geterr(c->p));
	c->frame++;
	pkt->data = data;
	pkt->caplen = h->caplen;
	pkt->len = h->len;
	pkt->ts.tv_sec = h->ts.tv_sec;
	pkt->ts.tv_nsec = c->nsec ? h->ts.tv_usec : h->ts.tv_usec * 1000L;
	return 1;
}

bool emu_capin_nsec(const struct emu_capin *c)
{
	/* libpcap hands over nanoseconds as asked, whatever the file holds */
	return c->map ? c->nsec : emu_capfile_nsec(c->path);
}

void emu_capin_close(struct emu_capin *c)
{
	if (!c)
		return;
	if (c->map)
		munmap((void *)c->map, c->size);
	if (c->p)
		pcap_close(c->p);
	free(c);
}
