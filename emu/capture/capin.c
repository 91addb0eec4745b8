// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Capture files in, read here rather than by libpcap, because libpcap 1.10 refuses what real
 * captures hold: a pcapng whose interfaces have different link types (dumpcap -i eth0 -i any),
 * or whose sections differ in byte order (mergecap of captures from two machines). Formats:
 *
 * - classic pcap (tcpdump's savefile): both byte orders, microsecond (0xa1b2c3d4) and
 *   nanosecond (0xa1b23c4d) magic, versions 2.0 to 2.4 (before 2.3 a record's caplen and len
 *   are swapped; in 2.3 they may be) and Alexey Kuznetzov's 0xa1b2cd34 (24-byte records), with
 *   libpcap's limits (records above 262144 bytes are corrupt, records longer than the snapshot
 *   length are cut to it) and libpcap's words for every error, so the two agree frame by frame.
 * - pcapng (draft-ietf-opsawg-pcapng): sections in either byte order, one after another; per
 *   section its interfaces (IDB: link type, snapshot length, if_tsresol, if_tsoffset);
 *   Enhanced, Simple and (obsolete) Packet Blocks; every other block type is skipped.
 *
 * A regular file is mapped and walked in place; a pipe or stdin ("-") is read through a window
 * that holds at least the current record. Every frame carries its interface's link type.
 *
 * A capture whose last record is cut (still being written, or its writer killed) is not an
 * error: its frames are read, then the reader ends and says where the cut record starts
 * (emu_capin_cut()), in tcpdump's words. Anything else malformed is an error naming the file,
 * the frame and the byte offset. libpcap only names the link types we cannot parse.
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
#define PCAP_REC_HDR_KUZ   24		     /* ...plus ifindex, protocol, pkt_type, padding */
#define PCAP_MAX_SNAPLEN   262144	/* libpcap's MAXIMUM_SNAPLEN: bigger records are corrupt */
#define PCAP_LINKTYPE_MASK 0x03ffffffu	/* the upper bits carry FCS lengths */
#define STREAM_CHUNK	   (256u << 10) /* a pipe is read this much at a time */

/* pcapng (draft-ietf-opsawg-pcapng) */
#define NG_SHB	       0x0a0d0d0au
#define NG_IDB	       1u
#define NG_PB	       2u /* obsolete Packet Block */
#define NG_SPB	       3u
#define NG_EPB	       6u
#define NG_BOM	       0x1a2b3c4du
#define NG_MAX_BLOCK   (16u << 20) /* libpcap's first limit; a larger block is corrupt */
#define NG_OPT_END     0
#define NG_IF_TSRESOL  9
#define NG_IF_TSOFFSET 14
#define NG_MAX_IFACES  65536 /* per section */

/* How caplen and len sit in a classic record (libpcap's lengths_swapped). */
enum lengths { LEN_NORMAL, LEN_MAYBE_SWAPPED, LEN_SWAPPED };

struct ng_iface {
	uint32_t linktype;
	uint32_t snaplen; /* 0: none */
	uint64_t units;	  /* timestamp units per second */
	int64_t tsoffset; /* seconds added to every timestamp */
};

struct emu_capin {
	const char *path;
	/* the bytes: a mapping of the whole file, or a window of a stream */
	const uint8_t *map; /* the mapped file, or NULL for a stream */
	size_t size;	    /* mapped: its length */
	int fd;		    /* stream: read from here */
	uint8_t *buf;	    /* stream: bytes from file offset bufoff */
	size_t buflen, bufcap;
	uint64_t bufoff;
	bool eof;     /* stream: read() said so */
	uint64_t off; /* offset of the next record or block */
	/* mapped: pages given back as the reader goes */
	size_t pagesize;
	size_t released; /* mapped bytes before this were given back (MADV_DONTNEED) */
	size_t hold;	 /* ...but never the last this many bytes read (emu_capin_hold()) */
	bool ng;	 /* pcapng, else classic pcap */
	bool swapped;	 /* the file (pcap) or the current section (pcapng) is in the other order */
	bool nsec;	 /* some timestamps are finer than microseconds */
	uint32_t linktype; /* of the first frame (pcap: of the file) */
	/* classic pcap */
	uint32_t snaplen; /* records are cut to this, as libpcap does */
	unsigned rechdr;  /* record header bytes */
	enum lengths lengths;
	bool pcap_nsec; /* the file's timestamps are in nanoseconds */
	/* pcapng: the current section's interfaces */
	struct ng_iface *ifs;
	unsigned nifs, capifs;
	unsigned long frame; /* frames read so far */
	bool cut;	     /* the capture ended inside a record: see cutinfo */
	struct emu_capin_cut cutinfo;
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

/*
 * The bytes [@c->off, @c->off + @n) of the input in *@p, of which *@got exist (fewer only at
 * the end of the input). A stream's window keeps them until the next call. Return: 0 or -errno.
 */
static int peek(struct emu_capin *c, size_t n, const uint8_t **p, size_t *got)
{
	if (c->map) {
		size_t left = c->off < c->size ? c->size - (size_t)c->off : 0;
		*p = c->map + c->off;
		*got = n < left ? n : left;
		return 0;
	}
	size_t start = (size_t)(c->off - c->bufoff);
	if (start + n > c->buflen && !c->eof) {
		/* drop what was consumed, make room for @n, read until they are there */
		if (c->buf)
			memmove(c->buf, c->buf + start, c->buflen - start);
		c->buflen -= start;
		c->bufoff = c->off;
		start = 0;
		if (n + STREAM_CHUNK > c->bufcap) {
			uint8_t *b = realloc(c->buf, n + STREAM_CHUNK);
			if (!b)
				return -ENOMEM;
			c->buf = b;
			c->bufcap = n + STREAM_CHUNK;
		}
		while (c->buflen < n && !c->eof) {
			ssize_t r = read(c->fd, c->buf + c->buflen, c->bufcap - c->buflen);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				return -errno;
			c->eof = r == 0;
			c->buflen += (size_t)r;
		}
	}
	*p = c->buf ? c->buf + start : (const uint8_t *)"";
	*got = c->buflen - start < n ? c->buflen - start : n;
	return 0;
}

/* The capture ends inside the record at @c->off: note where, in libpcap's words. Return: 0. */
__attribute__((format(printf, 2, 3))) static int cut_here(struct emu_capin *c, const char *fmt, ...)
{
	va_list ap;

	c->cut = true;
	c->cutinfo.offset = c->off;
	c->cutinfo.frame = c->frame + 1;
	va_start(ap, fmt);
	vsnprintf(c->cutinfo.why, sizeof(c->cutinfo.why), fmt, ap);
	va_end(ap);
	return 0;
}

/* ---- classic pcap ---- */

/* Take the file header. Return: 0, or -EINVAL with a reason in @err. */
static int pcap_file_header(struct emu_capin *c, const uint8_t h[PCAP_FILE_HDR], char *err,
			    size_t errlen)
{
	uint32_t magic;

	memcpy(&magic, h, sizeof(magic));
	c->swapped = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1 || magic == 0x34cdb2a1;
	switch (c->swapped ? bswap_32(magic) : magic) {
	case 0xa1b2c3d4:
		c->rechdr = PCAP_REC_HDR;
		break;
	case 0xa1b23c4d:
		c->rechdr = PCAP_REC_HDR;
		c->pcap_nsec = c->nsec = true;
		break;
	case 0xa1b2cd34: /* Kuznetzov's patched tcpdump */
		c->rechdr = PCAP_REC_HDR_KUZ;
		break;
	default:
		snprintf(err, errlen, "%s: not a pcap or pcapng capture (magic 0x%08x)", c->path,
			 magic);
		return -EINVAL;
	}
	uint16_t major = get16(c, h + 4), minor = get16(c, h + 6);
	if (major < 2) {
		snprintf(err, errlen, "%s: archaic pcap savefile format", c->path);
		return -EINVAL;
	}
	if (!((major == 2 && minor <= 4) || (major == 543 && minor == 0))) {
		snprintf(err, errlen, "%s: unsupported pcap savefile version %u.%u", c->path, major,
			 minor);
		return -EINVAL;
	}
	c->lengths = major == 543 || minor < 3 ? LEN_SWAPPED
		     : minor == 3	       ? LEN_MAYBE_SWAPPED
					       : LEN_NORMAL;
	c->linktype = raw_to_linktype(get32(c, h + 20) & PCAP_LINKTYPE_MASK);
	c->snaplen = get32(c, h + 16);
	if (c->snaplen == 0 || c->snaplen > INT_MAX)
		c->snaplen = PCAP_MAX_SNAPLEN; /* as libpcap 1.10 adjusts it */
	/* and as libpcap allows for the Ethernet header a patched tcpdump faked in cooked mode */
	if (c->rechdr == PCAP_REC_HDR_KUZ && c->linktype == MD5SIG_LINK_ETHERNET)
		c->snaplen += 14;
	c->off = PCAP_FILE_HDR;
	return 0;
}

static int next_pcap(struct emu_capin *c, struct emu_pkt *pkt, char *err, size_t errlen)
{
	const uint8_t *h;
	size_t got;
	int r;

	if ((r = peek(c, c->rechdr, &h, &got)))
		return frame_error(c, err, errlen, "%s", strerror(-r));
	if (!got)
		return 0;
	if (got < c->rechdr)
		return cut_here(c,
				"truncated dump file; tried to read %u header bytes, only got %zu",
				c->rechdr, got);
	uint32_t caplen = get32(c, h + 8), len = get32(c, h + 12);
	if (c->lengths == LEN_SWAPPED || (c->lengths == LEN_MAYBE_SWAPPED && caplen > len)) {
		uint32_t t = caplen;
		caplen = len;
		len = t;
	}
	if (caplen > PCAP_MAX_SNAPLEN)
		return frame_error(c, err, errlen,
				   "invalid packet capture length %u, bigger than %s %u", caplen,
				   caplen > c->snaplen ? "snaplen of" : "maximum of",
				   caplen > c->snaplen ? c->snaplen : PCAP_MAX_SNAPLEN);
	uint32_t sec = get32(c, h), frac = get32(c, h + 4);
	c->off += c->rechdr;
	if ((r = peek(c, caplen, &h, &got))) {
		c->off -= c->rechdr;
		return frame_error(c, err, errlen, "%s", strerror(-r));
	}
	if (got < caplen) {
		/* libpcap reads the snapshot length first and names whichever read failed */
		uint32_t want = caplen > c->snaplen && got < c->snaplen ? c->snaplen : caplen;
		c->off -= c->rechdr;
		return cut_here(
			c, "truncated dump file; tried to read %u captured bytes, only got %zu",
			want, got);
	}
	c->frame++;
	c->off += caplen;
	pkt->data = h;
	pkt->caplen = caplen > c->snaplen ? c->snaplen : caplen; /* libpcap discards the rest */
	pkt->len = len;
	pkt->linktype = c->linktype;
	/* unsigned, as the format says (libpcap 1.10 sign-extends them in files in host order) */
	pkt->ts.tv_sec = (time_t)sec;
	pkt->ts.tv_nsec = (long)frac * (c->pcap_nsec ? 1 : 1000);
	return 1;
}

/* ---- pcapng ---- */

/* A block's header at @c->off, whole, in *@b with its type and total length. Return: 1, 0 at
 * the end (or a cut block: c->cut), -errno with @err. */
static int ng_block(struct emu_capin *c, const uint8_t **b, uint32_t *type, uint32_t *total,
		    char *err, size_t errlen)
{
	size_t got = 0;
	int r;

	if ((r = peek(c, 12, b, &got)))
		return frame_error(c, err, errlen, "%s", strerror(-r));
	if (!got)
		return 0;
	if (got < 8)
		return cut_here(
			c, "truncated pcapng dump file; tried to read 8 bytes, only got %zu", got);
	uint32_t t, len;
	memcpy(&t, *b, 4);
	if (t == NG_SHB) {
		/* a new section: its byte-order magic says its order */
		uint32_t bom;
		if (got < 12)
			return cut_here(c,
					"truncated pcapng dump file; tried to read %d bytes, "
					"only got %zu",
					12, got);
		memcpy(&bom, *b + 8, 4);
		if (bom != NG_BOM && bom != bswap_32(NG_BOM))
			return frame_error(c, err, errlen,
					   "section header at byte %llu has a bad byte-order magic "
					   "0x%08x",
					   (unsigned long long)c->off, bom);
		c->swapped = bom != NG_BOM;
	}
	*type = get32(c, *b);
	len = get32(c, *b + 4);
	if (len < 12 || len % 4)
		return frame_error(c, err, errlen,
				   "pcapng block at byte %llu has a length of %u (a multiple of 4, "
				   "at least 12)",
				   (unsigned long long)c->off, len);
	if (len > NG_MAX_BLOCK)
		return frame_error(c, err, errlen,
				   "pcapng block at byte %llu is %u bytes, more than %u",
				   (unsigned long long)c->off, len, NG_MAX_BLOCK);
	if ((r = peek(c, len, b, &got)))
		return frame_error(c, err, errlen, "%s", strerror(-r));
	if (got < len)
		return cut_here(c,
				"truncated pcapng dump file; tried to read %u bytes, only got %zu",
				len - 8, got - 8);
	if (get32(c, *b + len - 4) != len)
		return frame_error(c, err, errlen,
				   "pcapng block at byte %llu: total length in header %u and "
				   "trailer %u don't match",
				   (unsigned long long)c->off, len, get32(c, *b + len - 4));
	*total = len;
	return 1;
}

/* A Section Header Block: forget the previous section's interfaces. */
static int ng_shb(struct emu_capin *c, const uint8_t *b, uint32_t len, char *err, size_t errlen)
{
	if (len < 28)
		return frame_error(c, err, errlen, "section header at byte %llu is too short",
				   (unsigned long long)c->off);
	if (get16(c, b + 12) != 1)
		return frame_error(c, err, errlen,
				   "section header at byte %llu: unknown pcapng major version %u",
				   (unsigned long long)c->off, get16(c, b + 12));
	c->nifs = 0;
	return 0;
}

/* Units per second of an if_tsresol value. Return: 0, or -EINVAL for one out of range. */
static int ng_tsresol(uint8_t v, uint64_t *units)
{
	unsigned e = v & 0x7f;

	if (v & 0x80) {
		if (e > 63)
			return -EINVAL;
		*units = (uint64_t)1 << e;
		return 0;
	}
	if (e > 19)
		return -EINVAL;
	for (*units = 1; e--;)
		*units *= 10;
	return 0;
}

/* An Interface Description Block: the section's next interface. */
static int ng_idb(struct emu_capin *c, const uint8_t *b, uint32_t len, char *err, size_t errlen)
{
	struct ng_iface ifc = {.units = 1000000};
	unsigned long long at = (unsigned long long)c->off;

	if (len < 20)
		return frame_error(c, err, errlen,
				   "interface description at byte %llu is too short", at);
	if (c->nifs == NG_MAX_IFACES)
		return frame_error(c, err, errlen, "more than %d interfaces in a section",
				   NG_MAX_IFACES);
	ifc.linktype = raw_to_linktype(get16(c, b + 8));
	ifc.snaplen = get32(c, b + 12);
	/* options: code, length, value padded to 4 bytes; the last 4 bytes are the trailer */
	for (uint32_t o = 16; o + 4 <= len - 4;) {
		uint16_t code = get16(c, b + o), olen = get16(c, b + o + 2);
		uint32_t next = o + 4 + ((olen + 3u) & ~3u);
		if (code == NG_OPT_END)
			break;
		if (next > len - 4)
			return frame_error(c, err, errlen,
					   "interface description at byte %llu: option %u runs "
					   "past the block",
					   at, code);
		if (code == NG_IF_TSRESOL) {
			if (olen != 1 || ng_tsresol(b[o + 4], &ifc.units))
				return frame_error(c, err, errlen,
						   "interface description at byte %llu: "
						   "unsupported if_tsresol",
						   at);
			if (ifc.units > 1000000)
				c->nsec = true;
		} else if (code == NG_IF_TSOFFSET) {
			uint64_t v;
			if (olen != 8)
				return frame_error(c, err, errlen,
						   "interface description at byte %llu: "
						   "if_tsoffset of %u bytes",
						   at, olen);
			memcpy(&v, b + o + 4, 8);
			ifc.tsoffset = (int64_t)(c->swapped ? bswap_64(v) : v);
		}
		o = next;
	}
	if (c->nifs == c->capifs) {
		unsigned cap = c->capifs ? 2 * c->capifs : 4;
		struct ng_iface *ifs = realloc(c->ifs, cap * sizeof(*ifs));
		if (!ifs)
			return frame_error(c, err, errlen, "out of memory");
		c->ifs = ifs;
		c->capifs = cap;
	}
	c->ifs[c->nifs++] = ifc;
	return 0;
}

/* The interface a packet block at @b (of @type) names: its index, or -1 for none. */
static long ng_iface_of(const struct emu_capin *c, const uint8_t *b, uint32_t type)
{
	uint32_t id = type == NG_EPB ? get32(c, b + 8) : type == NG_PB ? get16(c, b + 8) : 0;

	return id < c->nifs ? (long)id : -1;
}

/* A packet block at @b names an interface its section does not describe. */
static int ng_no_iface(const struct emu_capin *c, const uint8_t *b, uint32_t type, char *err,
		       size_t errlen)
{
	return frame_error(c, err, errlen,
			   "packet block at byte %llu names interface %u, which its section does "
			   "not describe",
			   (unsigned long long)c->off,
			   type == NG_EPB  ? get32(c, b + 8)
			   : type == NG_PB ? get16(c, b + 8)
					   : 0u);
}

/*
 * Take every block before the next packet block; @c->off is left at that block (*@b, of
 * *@type and *@total bytes). Return: 1, 0 at the end (or a cut block), -errno with @err.
 */
static int ng_to_packet(struct emu_capin *c, const uint8_t **b, uint32_t *type, uint32_t *total,
			char *err, size_t errlen)
{
	int r;

	while ((r = ng_block(c, b, type, total, err, errlen)) > 0) {
		if (*type == NG_EPB || *type == NG_SPB || *type == NG_PB)
			return 1;
		if (*type == NG_SHB && (r = ng_shb(c, *b, *total, err, errlen)))
			return r;
		if (*type == NG_IDB && (r = ng_idb(c, *b, *total, err, errlen)))
			return r;
		/* any other block says nothing about frames */
		c->off += *total;
	}
	return r;
}

/* Seconds and nanoseconds of a timestamp in @ifc's units. */
static void ng_time(const struct ng_iface *ifc, uint64_t t, struct timespec *ts)
{
	uint64_t frac = t % ifc->units;

	ts->tv_sec = (time_t)(t / ifc->units + (uint64_t)ifc->tsoffset);
	/* exact: frac < units <= 2^63, and 10^9 * 2^63 fits in 128 bits */
	__extension__ unsigned __int128 ns = (unsigned __int128)frac * 1000000000u;
	ts->tv_nsec = (long)(ns / ifc->units);
}

static int next_ng(struct emu_capin *c, struct emu_pkt *pkt, char *err, size_t errlen)
{
	const uint8_t *b;
	uint32_t type, total, caplen, len, hdr;
	uint64_t t = 0;
	int r;

	if ((r = ng_to_packet(c, &b, &type, &total, err, errlen)) <= 0)
		return r;
	long i = ng_iface_of(c, b, type);
	unsigned long long at = (unsigned long long)c->off;
	if (i < 0)
		return ng_no_iface(c, b, type, err, errlen);
	const struct ng_iface *ifc = &c->ifs[i];
	if (type == NG_SPB) {
		hdr = 12;
		if (total < hdr + 4)
			return frame_error(c, err, errlen, "packet block at byte %llu is too short",
					   at);
		len = get32(c, b + 8);
		caplen = total - hdr - 4; /* the data, padded */
		if (len < caplen)
			caplen = len;
		/* and the snapshot length, adjusted as libpcap does */
		if (ifc->snaplen && ifc->snaplen < caplen && ifc->snaplen <= PCAP_MAX_SNAPLEN)
			caplen = ifc->snaplen;
		if (caplen > PCAP_MAX_SNAPLEN)
			caplen = PCAP_MAX_SNAPLEN;
	} else {
		hdr = 28;
		if (total < hdr + 4)
			return frame_error(c, err, errlen, "packet block at byte %llu is too short",
					   at);
		t = (uint64_t)get32(c, b + 12) << 32 | get32(c, b + 16);
		caplen = get32(c, b + 20);
		len = get32(c, b + 24);
		if (caplen > total - hdr - 4)
			return frame_error(c, err, errlen,
					   "packet block at byte %llu: captured length %u, more "
					   "than the block holds",
					   at, caplen);
	}
	if (caplen > PCAP_MAX_SNAPLEN)
		return frame_error(c, err, errlen,
				   "invalid packet capture length %u, bigger than maximum of %u",
				   caplen, PCAP_MAX_SNAPLEN);
	c->frame++;
	c->off += total;
	pkt->data = b + hdr;
	pkt->caplen = caplen;
	pkt->len = len;
	pkt->linktype = ifc->linktype;
	ng_time(ifc, t, &pkt->ts);
	return 1;
}

/* Read the Section Header Block and the blocks up to the first frame (its link type). */
static int ng_open(struct emu_capin *c, char *err, size_t errlen)
{
	const uint8_t *b;
	uint32_t type, total;
	int r;

	c->ng = true;
	r = ng_to_packet(c, &b, &type, &total, err, errlen);
	if (r < 0)
		return r;
	long i = r ? ng_iface_of(c, b, type) : -1;
	if (r && i < 0)
		return ng_no_iface(c, b, type, err, errlen);
	/* without a frame, the first interface's; an error on the way is the first read's */
	c->linktype = i >= 0	? c->ifs[i].linktype
		      : c->nifs ? c->ifs[0].linktype
				: MD5SIG_LINK_ETHERNET;
	return 0;
}

/* ---- opening ---- */

/* Map @fd, a regular file of @size bytes. Return: 0, or -errno. */
static int capin_map(struct emu_capin *c, int fd, size_t size)
{
	if (!size) {
		c->eof = true; /* nothing to map: an empty stream */
		return 0;
	}
	void *m = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED)
		return -errno;
	/*
	 * Sequential readahead only. Populating ahead (MAP_POPULATE, or MADV_POPULATE_READ a
	 * few chunks ahead) takes 84% of the page faults away but not their cost, which is
	 * mapping page-cache pages either way: verify's CPU time stayed the same (bench/ao_verify
	 * capture, perf stat), and MAP_POPULATE would map a capture of any size at once.
	 */
	madvise(m, size, MADV_SEQUENTIAL);
	c->map = m;
	c->size = size;
	c->pagesize = (size_t)sysconf(_SC_PAGESIZE);
	return 0;
}

/* Which format, from the first bytes; then its header. */
static int capin_header(struct emu_capin *c, char *err, size_t errlen)
{
	const uint8_t *h;
	size_t got;
	uint32_t magic;
	int r;

	if ((r = peek(c, PCAP_FILE_HDR, &h, &got))) {
		snprintf(err, errlen, "%s: %s", c->path, strerror(-r));
		return r;
	}
	if (got < 4) {
		snprintf(err, errlen, "%s: %s", c->path,
			 got ? "too short to be a capture" : "empty file, not a capture");
		return -EINVAL;
	}
	memcpy(&magic, h, 4);
	if (magic == NG_SHB)
		return ng_open(c, err, errlen);
	if (got < PCAP_FILE_HDR) {
		uint32_t m = bswap_32(magic) == 0xa1b2c3d4 || bswap_32(magic) == 0xa1b23c4d ||
					     bswap_32(magic) == 0xa1b2cd34
				     ? bswap_32(magic)
				     : magic;
		if (m != 0xa1b2c3d4 && m != 0xa1b23c4d && m != 0xa1b2cd34)
			snprintf(err, errlen, "%s: not a pcap or pcapng capture (magic 0x%08x)",
				 c->path, magic);
		else
			snprintf(err, errlen,
				 "%s: truncated dump file; tried to read %d file header bytes, "
				 "only got %zu",
				 c->path, PCAP_FILE_HDR, got);
		return -EINVAL;
	}
	return pcap_file_header(c, h, err, errlen);
}

struct emu_capin *emu_capin_open(const char *path, char *err, size_t errlen)
{
	struct emu_capin *c = calloc(1, sizeof(*c));
	struct stat st;
	int fd = -1, r;

	if (!c) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	c->path = path;
	c->fd = -1;
	if (!strcmp(path, "-")) {
		c->fd = STDIN_FILENO;
	} else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	} else if (fstat(fd, &st)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	} else if (S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: is a directory", path);
		goto fail;
	} else if (S_ISREG(st.st_mode)) {
		if ((r = capin_map(c, fd, (size_t)st.st_size))) {
			snprintf(err, errlen, "%s: %s", path, strerror(-r));
			goto fail;
		}
		close(fd);
		fd = -1;
	} else {
		c->fd = fd; /* a pipe, a FIFO, a character device: read as a stream */
		fd = -1;
	}
	if (capin_header(c, err, errlen))
		goto fail;
	if (!md5sig_linktype_known(c->linktype)) {
		const char *name = pcap_datalink_val_to_name((int)c->linktype);
		snprintf(err, errlen, "%s: unsupported link type %u (%s)", path, c->linktype,
			 name ? name : "unknown");
		goto fail;
	}
	return c;
fail:
	if (fd >= 0)
		close(fd);
	emu_capin_close(c);
	return NULL;
}

uint32_t emu_capin_linktype(const struct emu_capin *c)
{
	return c->linktype;
}

bool emu_capin_nanosecond(const struct emu_capin *c)
{
	return c->nsec;
}

bool emu_capin_hold(struct emu_capin *c, size_t bytes)
{
	if (!c->map)
		return false;
	c->hold = bytes;
	return true;
}

const struct emu_capin_cut *emu_capin_cut(const struct emu_capin *c)
{
	return c->cut ? &c->cutinfo : NULL;
}

void emu_capin_cut_format(const char *path, const struct emu_capin_cut *cut, char *buf, size_t len)
{
	snprintf(buf, len,
		 "%s: the capture ends inside a record at byte %llu (frame %lu): %s; "
		 "the %lu frames before it were read",
		 path, (unsigned long long)cut->offset, cut->frame, cut->why, cut->frame - 1);
}

void emu_capin_cut_json(FILE *f, const struct emu_capin_cut *cut)
{
	/* the reason is this file's own words: no quotes, no backslashes, no control bytes */
	fprintf(f, "{\"offset\": %llu, \"frame\": %lu, \"reason\": \"%s\"}",
		(unsigned long long)cut->offset, cut->frame, cut->why);
}

/*
 * Peak memory must not grow with the capture: give back the pages of frames already handed
 * out (a frame is only promised until the next call, or held). Pages of a read-only file
 * mapping come back from the page cache if touched again.
 */
static void release(struct emu_capin *c)
{
	size_t done = c->off > c->hold ? ((size_t)c->off - c->hold) & ~(c->pagesize - 1) : 0;

	if (done > c->released && done - c->released >= RELEASE_CHUNK) {
		madvise((void *)(c->map + c->released), done - c->released, MADV_DONTNEED);
		c->released = done;
	}
}

int emu_capin_next(struct emu_capin *c, struct emu_pkt *pkt, char *err, size_t errlen)
{
	if (c->cut)
		return 0;
	if (c->map)
		release(c);
	int r = c->ng ? next_ng(c, pkt, err, errlen) : next_pcap(c, pkt, err, errlen);
	if (r > 0 && c->map) {
		/*
		 * A caller that only walks the records (verify's reading thread, while others
		 * hash the payloads) would wait on memory for every header: ask for the one
		 * about 8 records ahead, guessing they are the size of this one. A wrong guess
		 * costs nothing but the prefetch.
		 */
		size_t ahead = (size_t)c->off + 8 * ((size_t)c->rechdr + pkt->caplen);
		if (ahead < c->size)
			__builtin_prefetch(c->map + ahead);
	}
	return r;
}

void emu_capin_close(struct emu_capin *c)
{
	if (!c)
		return;
	if (c->map)
		munmap((void *)c->map, c->size);
	if (c->fd > STDIN_FILENO)
		close(c->fd);
	free(c->buf);
	free(c->ifs);
	free(c);
}
