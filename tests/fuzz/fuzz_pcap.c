// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Capture reader fuzzer: the input is a capture file, read three times: by emu_capin from a
 * mapped file, by emu_capin from a pipe (its streaming window), and by libpcap, the reference.
 *
 * - The two emu_capin reads must be identical: frames, link types, timestamps, the same end,
 *   the same cut or the same error in the same words.
 * - Classic pcap: libpcap must see the same frames and fail on the same frame with the same
 *   words (a cut last record: libpcap's error is emu_capin's cut, word for word). The only
 *   extra refusal is a link type md5sig does not parse. Byte-swapped Linux cooked captures
 *   are compared without the 8 bytes after the cooked header, which libpcap rewrites in CAN
 *   frames.
 * - pcapng: emu_capin reads what libpcap 1.10 refuses (interfaces of several link types,
 *   sections in both byte orders), is more lenient with captured lengths and stricter with
 *   block trailers, so while both read frames they must be the same ones (length, data, link
 *   type, seconds: libpcap overflows on fine binary if_tsresol fractions), and where emu_capin
 *   ends without an error or a cut libpcap must not read a frame more.
 *
 * Seeds (corpus/pcap): frame 5 of tests/data/kernel/eth.pcap, a SYN with an MD5 option, twice
 * in a microsecond pcap; the same without its Ethernet header in a big-endian nanosecond raw-IP
 * file; the first cut 20 bytes short; and pcapng files made by tests/support/mkpcapng.py from
 * the first frames of the kernel captures: interfaces of two link types (Ethernet, Linux SLL,
 * nanoseconds on the second), two sections in both byte orders (Ethernet, then Linux SLL2 in
 * milliseconds with an offset, its last frame in an obsolete Packet Block), and the second cut
 * 10 bytes short.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "emu/capture/capture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_FRAMES 4096

/* What emu_capin read of a file, to compare two reads. */
struct reading {
	unsigned long n;
	struct emu_pkt pkt[MAX_FRAMES];
	uint8_t *bytes[MAX_FRAMES]; /* copies: a pipe's frames live until the next read */
	int end;		    /* the last emu_capin_next(), or 2 when open failed */
	char err[512];
	bool cut;
	struct emu_capin_cut where;
	uint32_t linktype;
};

static void read_all(const char *path, struct reading *r)
{
	struct emu_capin *c = emu_capin_open(path, r->err, sizeof(r->err));

	r->n = 0;
	r->cut = false;
	if (!c) {
		r->end = 2;
		return;
	}
	r->linktype = emu_capin_linktype(c);
	while (r->n < MAX_FRAMES &&
	       (r->end = emu_capin_next(c, &r->pkt[r->n], r->err, sizeof(r->err))) > 0) {
		r->bytes[r->n] = malloc(r->pkt[r->n].caplen + 1);
		if (!r->bytes[r->n])
			abort();
		memcpy(r->bytes[r->n], r->pkt[r->n].data, r->pkt[r->n].caplen);
		r->n++;
	}
	if (r->end == 0 && emu_capin_cut(c)) {
		r->cut = true;
		r->where = *emu_capin_cut(c);
	}
	emu_capin_close(c);
}

static void release(struct reading *r)
{
	for (unsigned long i = 0; i < r->n; i++)
		free(r->bytes[i]);
}

/* The error words after "PATH: frame N: ", which differ between the two paths' names. */
static const char *words(const char *err)
{
	const char *w = strstr(err, ": frame ");

	w = w ? strstr(w + 8, ": ") : NULL;
	return w ? w + 2 : err;
}

/* The mapped and the piped read must be the same. */
static void same_reads(const struct reading *a, const struct reading *b)
{
	if (a->end != b->end || a->n != b->n || a->cut != b->cut)
		abort();
	if (a->end == 2)
		return;
	if (a->linktype != b->linktype)
		abort();
	if (a->end < 0 && strcmp(words(a->err), words(b->err)))
		abort();
	if (a->cut && (a->where.offset != b->where.offset || a->where.frame != b->where.frame ||
		       strcmp(a->where.why, b->where.why)))
		abort();
	for (unsigned long i = 0; i < a->n; i++) {
		const struct emu_pkt *p = &a->pkt[i], *q = &b->pkt[i];
		if (p->caplen != q->caplen || p->len != q->len || p->linktype != q->linktype ||
		    p->ts.tv_sec != q->ts.tv_sec || p->ts.tv_nsec != q->ts.tv_nsec ||
		    memcmp(a->bytes[i], b->bytes[i], p->caplen))
			abort();
	}
}

static bool same_data(const uint8_t *a, const uint8_t *b, uint32_t len, uint32_t lt, bool swapped)
{
	/* libpcap byte-swaps the CAN ID after a cooked header in byte-swapped files */
	uint32_t skip = !swapped ? 0 : lt == 113 ? 16 : lt == 276 ? 20 : 0;

	if (!skip || len <= skip)
		return !memcmp(a, b, len);
	uint32_t end = len < skip + 8 ? len : skip + 8;
	return !memcmp(a, b, skip) && !memcmp(a + end, b + end, len - end);
}

/* libpcap must agree with @r (read from @path). */
static void against_libpcap(const char *path, const struct reading *r, bool ng, bool swapped)
{
	char perr[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, perr);
	struct pcap_pkthdr *h;
	const u_char *d;
	unsigned long i = 0;
	int rr = 1;

	if (!p) {
		/* libpcap refuses what emu_capin reads only as a pcapng */
		if (r->end != 2 && !ng)
			abort();
		return;
	}
	if (r->end == 2) {
		/*
		 * The only extra refusal: a link type md5sig does not parse. A pcapng is read up
		 * to its first frame when opened, and checked more strictly.
		 */
		if (!strstr(r->err, "unsupported link type") && !ng)
			abort();
		pcap_close(p);
		return;
	}
	int dlt = pcap_datalink(p);
	uint32_t lt = dlt == DLT_RAW || dlt == 14 ? 101u : (uint32_t)dlt;
	for (; i < r->n && (rr = pcap_next_ex(p, &h, &d)) == 1; i++) {
		const struct emu_pkt *k = &r->pkt[i];
		/* timestamps modulo 2^32: libpcap 1.10 sign-extends them in files in host order */
		if (k->caplen != h->caplen || k->len != h->len || k->linktype != lt ||
		    (uint32_t)k->ts.tv_sec != (uint32_t)h->ts.tv_sec ||
		    (!ng && (uint32_t)k->ts.tv_nsec != (uint32_t)h->ts.tv_usec) ||
		    !same_data(r->bytes[i], d, k->caplen, lt, swapped))
			abort();
	}
	if (ng) {
		/*
		 * libpcap may stop earlier; it reads further only where emu_capin found a
		 * malformed block libpcap does not check (a section header's trailer), never
		 * where emu_capin ended quietly.
		 */
		if (rr == 1 && i == r->n && r->n < MAX_FRAMES && r->end == 0 && !r->cut &&
		    pcap_next_ex(p, &h, &d) == 1)
			abort();
	} else if (rr == 1 && i == r->n && r->n < MAX_FRAMES) {
		rr = pcap_next_ex(p, &h, &d);
		if (r->end == 0 && !r->cut
			    ? rr != PCAP_ERROR_BREAK
			    : rr != PCAP_ERROR ||
				      strcmp(r->cut ? r->where.why : words(r->err), pcap_geterr(p)))
			abort();
	} else if (rr != 1) {
		abort(); /* libpcap failed on a frame emu_capin read */
	}
	pcap_close(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct reading mapped, piped;
	char path[64];
	int fd = memfd_create("fuzz_pcap", MFD_CLOEXEC), fds[2];

	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	read_all(path, &mapped);

	/* the same bytes through a pipe, when they fit in one */
	if (pipe2(fds, O_CLOEXEC))
		abort();
	if (fcntl(fds[1], F_SETPIPE_SZ, 1 << 20) >= (int)size &&
	    write(fds[1], data, size) == (ssize_t)size) {
		close(fds[1]);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[0]);
		read_all(path, &piped);
		same_reads(&mapped, &piped);
		release(&piped);
	} else {
		close(fds[1]);
	}
	close(fds[0]);

	uint32_t magic = 0;
	memcpy(&magic, data, size < 4 ? size : 4);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	against_libpcap(path, &mapped, magic == 0x0a0d0d0a,
			magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1 || magic == 0x34cdb2a1);
	release(&mapped);
	close(fd);
	return 0;
}
