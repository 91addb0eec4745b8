// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Capture input: pcap (both byte orders, micro and nano seconds), pcapng, and every kind of bad
 * file. The files are written byte by byte here, not with libpcap, so the reader is checked
 * against the file formats themselves. Classic pcap files are walked in place, not through
 * libpcap, so for those libpcap is the reference: same frames, same errors on the same frame.
 * Tap captures (emu_tapcap): file names, which frames land in which file, rotation, and a file
 * that fails while the others go on; libpcap reads back what they wrote.
 */
#include <byteswap.h>
#include <errno.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <unistd.h>

#include <check.h>
#include <pcap/pcap.h>

#include "emu/capture/capture.h"
#include "tests/suites.h"
#include "tests/support/frames.h"

static char path[64];
static bool swap_out; /* write the file in the other byte order */

static FILE *tmpcap(void)
{
	strcpy(path, "/tmp/vnicemu-test-XXXXXX");
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	return fdopen(fd, "wb");
}

static void w32(FILE *f, uint32_t v)
{
	if (swap_out)
		v = bswap_32(v);
	fwrite(&v, 4, 1, f);
}

static void w16(FILE *f, uint16_t v)
{
	if (swap_out)
		v = bswap_16(v);
	fwrite(&v, 2, 1, f);
}

static void pcap_header_v(FILE *f, uint32_t magic, uint16_t minor, uint32_t snaplen,
			  uint32_t linktype)
{
	w32(f, magic);
	w16(f, 2);
	w16(f, minor);
	w32(f, 0);
	w32(f, 0);
	w32(f, snaplen);
	w32(f, linktype);
}

static void pcap_header(FILE *f, uint32_t magic, uint32_t linktype)
{
	pcap_header_v(f, magic, 4, 65535, linktype);
}

static void pcap_record(FILE *f, const uint8_t *d, uint32_t caplen, uint32_t len)
{
	w32(f, 1700000000);
	w32(f, 123456);
	w32(f, caplen);
	w32(f, len);
	fwrite(d, 1, caplen, f);
}

static size_t sample(uint8_t *buf, size_t cap, uint32_t lt)
{
	struct tf_spec s = {.linktype = lt, .md5 = true, .plen = 50};
	return tf_build(&s, buf, cap);
}

START_TEST(reads_pcap_and_maps_raw)
{
	static const uint32_t lts[] = {1, 101, 113, 276};
	uint8_t fr[256];

	for (size_t i = 0; i < 4; i++) {
		FILE *f = tmpcap();
		size_t n = sample(fr, sizeof(fr), lts[i]);
		char err[256];
		struct emu_pkt pkt;

		pcap_header(f, i % 2 ? 0xa1b23c4d : 0xa1b2c3d4, lts[i]);
		pcap_record(f, fr, (uint32_t)n, (uint32_t)n);
		pcap_record(f, fr, (uint32_t)n, (uint32_t)n);
		fclose(f);

		struct emu_capin *c = emu_capin_open(path, err, sizeof(err));
		ck_assert_msg(c != NULL, "%s", err);
		ck_assert_uint_eq(emu_capin_linktype(c), lts[i]);
		ck_assert_int_eq(emu_capin_next(c, &pkt, err, sizeof(err)), 1);
		ck_assert_uint_eq(pkt.caplen, n);
		ck_assert(!memcmp(pkt.data, fr, n));
		ck_assert_int_eq(pkt.ts.tv_sec, 1700000000);
		ck_assert_int_eq(pkt.ts.tv_nsec, i % 2 ? 123456 : 123456000);
		ck_assert_int_eq(emu_capin_next(c, &pkt, err, sizeof(err)), 1);
		ck_assert_int_eq(emu_capin_next(c, &pkt, err, sizeof(err)), 0);
		emu_capin_close(c);
		unlink(path);
	}
}
END_TEST

static void pcapng_block(FILE *f, uint32_t type, const void *body, uint32_t blen)
{
	uint32_t pad = (4 - blen % 4) % 4, total = 12 + blen + pad;
	static const uint8_t zeros[4];

	w32(f, type);
	w32(f, total);
	fwrite(body, 1, blen, f);
	fwrite(zeros, 1, pad, f);
	w32(f, total);
}

START_TEST(reads_pcapng)
{
	uint8_t fr[256], body[512];
	size_t n = sample(fr, sizeof(fr), 1);
	FILE *f = tmpcap();
	char err[256];
	struct emu_pkt pkt;

	/* SHB: byte-order magic, version 1.0, section length unknown */
	uint32_t shb[4] = {0x1a2b3c4d, 0x00000001, 0xffffffff, 0xffffffff};
	pcapng_block(f, 0x0a0d0d0a, shb, sizeof(shb));
	/* IDB: link type 1, snaplen 0 */
	uint32_t idb[2] = {1, 0};
	pcapng_block(f, 1, idb, sizeof(idb));
	/* EPB: interface 0, timestamp, caplen, len, data */
	uint32_t hdr[5] = {0, 0, 1000, (uint32_t)n, (uint32_t)n};
	memcpy(body, hdr, sizeof(hdr));
	memcpy(body + sizeof(hdr), fr, n);
	pcapng_block(f, 6, body, (uint32_t)(sizeof(hdr) + n));
	fclose(f);

	struct emu_capin *c = emu_capin_open(path, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_uint_eq(emu_capin_linktype(c), 1);
	ck_assert_int_eq(emu_capin_next(c, &pkt, err, sizeof(err)), 1);
	ck_assert(!memcmp(pkt.data, fr, n));
	ck_assert_int_eq(emu_capin_next(c, &pkt, err, sizeof(err)), 0);
	emu_capin_close(c);
	unlink(path);
}
END_TEST

/* ---- pcapng beyond what libpcap 1.10 reads (hand-made blocks; byte order from swap_out) ---- */

static void ng_shb(FILE *f)
{
	w32(f, 0x0a0d0d0a);
	w32(f, 28);
	w32(f, 0x1a2b3c4d); /* in the section's order: that is how a reader tells it */
	w16(f, 1);
	w16(f, 0);
	w32(f, 0xffffffff); /* section length: unknown */
	w32(f, 0xffffffff);
	w32(f, 28);
}

/* An IDB: @lt, and when @tsresol is not 6 an if_tsresol option, then if_tsoffset @off. */
static void ng_idb(FILE *f, uint16_t lt, uint8_t tsresol, int64_t off)
{
	uint32_t len = 20 + (tsresol != 6 ? 8 : 0) + (off ? 12 : 0) + 4;

	w32(f, 1);
	w32(f, len);
	w16(f, lt);
	w16(f, 0);
	w32(f, 0);
	if (tsresol != 6) {
		w16(f, 9);
		w16(f, 1);
		fwrite((uint8_t[4]){tsresol}, 1, 4, f);
	}
	if (off) {
		w16(f, 14);
		w16(f, 8);
		w32(f, swap_out ? (uint32_t)((uint64_t)off >> 32) : (uint32_t)off);
		w32(f, swap_out ? (uint32_t)off : (uint32_t)((uint64_t)off >> 32));
	}
	w32(f, 0); /* opt_endofopt */
	w32(f, len);
}

/* An EPB (@type 6) or obsolete PB (@type 2) of @n bytes of @d on @iface at @ts units. */
static void ng_packet(FILE *f, uint32_t type, uint32_t iface, uint64_t ts, const uint8_t *d,
		      uint32_t n, uint32_t len)
{
	uint32_t total = 32 + ((n + 3) & ~3u);
	static const uint8_t zeros[4];

	w32(f, type);
	w32(f, total);
	if (type == 2) {
		w16(f, (uint16_t)iface);
		w16(f, 0);
	} else {
		w32(f, iface);
	}
	w32(f, (uint32_t)(ts >> 32));
	w32(f, (uint32_t)ts);
	w32(f, n);
	w32(f, len);
	fwrite(d, 1, n, f);
	fwrite(zeros, 1, (4 - n % 4) % 4, f);
	w32(f, total);
}

static void ng_spb(FILE *f, const uint8_t *d, uint32_t n)
{
	uint32_t total = 16 + ((n + 3) & ~3u);
	static const uint8_t zeros[4];

	w32(f, 3);
	w32(f, total);
	w32(f, n);
	fwrite(d, 1, n, f);
	fwrite(zeros, 1, (4 - n % 4) % 4, f);
	w32(f, total);
}

/* Read the next frame and check it. */
static void next_is(struct emu_capin *c, const uint8_t *d, uint32_t n, uint32_t lt, long long sec,
		    long nsec)
{
	char err[256];
	struct emu_pkt pkt;

	ck_assert_msg(emu_capin_next(c, &pkt, err, sizeof(err)) == 1, "%s", err);
	ck_assert_uint_eq(pkt.caplen, n);
	ck_assert_uint_eq(pkt.len, n);
	ck_assert(!memcmp(pkt.data, d, n));
	ck_assert_uint_eq(pkt.linktype, lt);
	ck_assert_int_eq(pkt.ts.tv_sec, sec);
	ck_assert_int_eq(pkt.ts.tv_nsec, nsec);
}

START_TEST(pcapng_two_link_types)
{
	uint8_t eth[256], sll[256];
	uint32_t ne = (uint32_t)sample(eth, sizeof(eth), MD5SIG_LINK_ETHERNET);
	uint32_t ns = (uint32_t)sample(sll, sizeof(sll), MD5SIG_LINK_SLL);
	char err[256];
	struct emu_pkt pkt;

	/* dumpcap -i eth0 -i any: Ethernet in microseconds, Linux SLL in nanoseconds */
	FILE *f = tmpcap();
	ng_shb(f);
	ng_idb(f, MD5SIG_LINK_ETHERNET, 6, 0);
	ng_idb(f, MD5SIG_LINK_SLL, 9, 0);
	ng_packet(f, 6, 1, 1700000000123456789ull, sll, ns, ns);
	pcapng_block(f, 0x00000100, "skip", 4); /* a block nobody defined */
	ng_packet(f, 6, 0, 1700000001000002ull, eth, ne, ne);
	fclose(f);

	struct emu_capin *c = emu_capin_open(path, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	/* the first frame's, not the first interface's */
	ck_assert_uint_eq(emu_capin_linktype(c), MD5SIG_LINK_SLL);
	ck_assert(emu_capin_nanosecond(c));
	next_is(c, sll, ns, MD5SIG_LINK_SLL, 1700000000, 123456789);
	next_is(c, eth, ne, MD5SIG_LINK_ETHERNET, 1700000001, 2000);
	ck_assert_int_eq(emu_capin_next(c, &pkt, err, sizeof(err)), 0);
	ck_assert_ptr_null(emu_capin_cut(c));
	emu_capin_close(c);

	/* libpcap 1.10, the reader this replaced, refuses the file */
	pcap_t *p = pcap_open_offline(path, err);
	if (p) {
		struct pcap_pkthdr *h;
		const u_char *d;
		ck_assert_int_eq(pcap_next_ex(p, &h, &d), PCAP_ERROR);
		pcap_close(p);
	}
	unlink(path);
}
END_TEST

START_TEST(pcapng_sections_in_both_byte_orders)
{
	uint8_t fr[256];
	uint32_t n = (uint32_t)sample(fr, sizeof(fr), MD5SIG_LINK_ETHERNET);
	char err[256];
	struct emu_pkt pkt;

	/* mergecap of a little- and a big-endian capture: each section in its own order */
	FILE *f = tmpcap();
	ng_shb(f);
	ng_idb(f, MD5SIG_LINK_ETHERNET, 6, 0);
	ng_packet(f, 6, 0, 1700000000000001ull, fr, n, n);
	swap_out = true;
	ng_shb(f);
	/* 2^-10 seconds, 7 seconds later than the timestamps say */
	ng_idb(f, MD5SIG_LINK_RAW, 0x80 | 10, 7);
	ng_idb(f, 12, 3, 0); /* DLT_RAW's old number, milliseconds */
	ng_packet(f, 6, 0, (1700000000ull << 10) | 512, fr + 14, n - 14, n - 14);
	ng_packet(f, 2, 1, 1700000000123ull, fr + 14, n - 14, n - 14);
	ng_spb(f, fr + 14, n - 14);		  /* interface 0, no timestamp */
	pcapng_block(f, 5, (uint32_t[4]){0}, 16); /* an Interface Statistics Block */
	swap_out = false;
	fclose(f);

	struct emu_capin *c = emu_capin_open(path, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_uint_eq(emu_capin_linktype(c), MD5SIG_LINK_ETHERNET);
	ck_assert(!emu_capin_nanosecond(c));
	next_is(c, fr, n, MD5SIG_LINK_ETHERNET, 1700000000, 1000);
	next_is(c, fr + 14, n - 14, MD5SIG_LINK_RAW, 1700000007, 500000000);
	next_is(c, fr + 14, n - 14, MD5SIG_LINK_RAW, 1700000000, 123000000);
	next_is(c, fr + 14, n - 14, MD5SIG_LINK_RAW, 7, 0);
	ck_assert_int_eq(emu_capin_next(c, &pkt, err, sizeof(err)), 0);
	ck_assert_ptr_null(emu_capin_cut(c));
	emu_capin_close(c);

	/* the same bytes through a pipe: the same frames */
	int fds[2];
	ck_assert_int_eq(pipe(fds), 0);
	FILE *in = fopen(path, "rb");
	uint8_t buf[4096];
	size_t got = fread(buf, 1, sizeof(buf), in);
	fclose(in);
	ck_assert_uint_lt(got, sizeof(buf));
	ck_assert_int_eq(write(fds[1], buf, got), (ssize_t)got);
	close(fds[1]);
	char pipe_path[64];
	snprintf(pipe_path, sizeof(pipe_path), "/proc/self/fd/%d", fds[0]);
	c = emu_capin_open(pipe_path, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert(!emu_capin_hold(c, 1)); /* a pipe's frames are not kept */
	next_is(c, fr, n, MD5SIG_LINK_ETHERNET, 1700000000, 1000);
	next_is(c, fr + 14, n - 14, MD5SIG_LINK_RAW, 1700000007, 500000000);
	next_is(c, fr + 14, n - 14, MD5SIG_LINK_RAW, 1700000000, 123000000);
	next_is(c, fr + 14, n - 14, MD5SIG_LINK_RAW, 7, 0);
	ck_assert_int_eq(emu_capin_next(c, &pkt, err, sizeof(err)), 0);
	emu_capin_close(c);
	close(fds[0]);
	unlink(path);
}
END_TEST

/* @path cut to @len bytes. */
static void cut_to(long len)
{
	ck_assert_int_eq(truncate(path, len), 0);
}

START_TEST(pcapng_cut_and_malformed)
{
	uint8_t fr[256];
	uint32_t n = (uint32_t)sample(fr, sizeof(fr), MD5SIG_LINK_ETHERNET);
	char err[256];
	struct emu_pkt pkt;
	/* SHB 28, IDB 24, then EPBs of 32 + padded n bytes */
	const long first = 28 + 24, epb = 32 + ((n + 3) & ~3u);

	/* a cut in the last block, in its header, and in the section header itself */
	for (int i = 0; i < 3; i++) {
		FILE *f = tmpcap();
		ng_shb(f);
		ng_idb(f, MD5SIG_LINK_ETHERNET, 6, 0);
		ng_packet(f, 6, 0, 1, fr, n, n);
		ng_packet(f, 6, 0, 2, fr, n, n);
		long size = ftell(f);
		fclose(f);
		long len = i == 0 ? size - 1 : i == 1 ? first + epb + 5 : 10;
		cut_to(len);
		struct emu_capin *c = emu_capin_open(path, err, sizeof(err));
		ck_assert_msg(c != NULL, "%s", err);
		unsigned frames = 0;
		while (emu_capin_next(c, &pkt, err, sizeof(err)) == 1)
			frames++;
		const struct emu_capin_cut *cut = emu_capin_cut(c);
		ck_assert_ptr_nonnull(cut);
		ck_assert_uint_eq(frames, i < 2 ? 1 : 0);
		ck_assert_uint_eq(cut->frame, frames + 1);
		ck_assert_uint_eq(cut->offset, i < 2 ? (unsigned long)(first + epb) : 0);
		ck_assert_msg(strstr(cut->why, "truncated pcapng dump file; tried to read"), "%s",
			      cut->why);
		emu_capin_close(c);
		unlink(path);
	}

	/* malformed: an error naming the file, the frame and the byte; never a cut */
	static const struct {
		long at;    /* offset in the second EPB */
		uint32_t v; /* written there */
		const char *words;
	} bad[] = {
		{4, 30, "has a length of 30"},		 /* not a multiple of 4 */
		{4, 8, "has a length of 8"},		 /* shorter than a block */
		{4, 64 << 20, "more than"},		 /* larger than any block */
		{8, 5, "names interface 5"},		 /* no such interface */
		{20, 4000, "more than the block holds"}, /* caplen */
		{-4, 1, "don't match"},			 /* trailer */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		FILE *f = tmpcap();
		ng_shb(f);
		ng_idb(f, MD5SIG_LINK_ETHERNET, 6, 0);
		ng_packet(f, 6, 0, 1, fr, n, n);
		ng_packet(f, 6, 0, 2, fr, n, n);
		ng_packet(f, 6, 0, 3, fr, n, n);
		fseek(f, bad[i].at < 0 ? first + 2 * epb + bad[i].at : first + epb + bad[i].at,
		      SEEK_SET);
		w32(f, bad[i].v);
		fclose(f);
		struct emu_capin *c = emu_capin_open(path, err, sizeof(err));
		ck_assert_msg(c != NULL, "%s", err);
		ck_assert_int_eq(emu_capin_next(c, &pkt, err, sizeof(err)), 1);
		ck_assert_int_eq(emu_capin_next(c, &pkt, err, sizeof(err)), -EIO);
		char want[64];
		snprintf(want, sizeof(want), "frame 2: ");
		ck_assert_msg(strstr(err, path) && strstr(err, want) && strstr(err, bad[i].words),
			      "%zu: %s", i, err);
		snprintf(want, sizeof(want), "byte %ld", first + epb);
		ck_assert_msg(strstr(err, want), "%zu: %s", i, err);
		ck_assert_ptr_null(emu_capin_cut(c));
		emu_capin_close(c);
		unlink(path);
	}

	/* an if_tsresol no 64-bit count can hold; a packet before any interface */
	for (int i = 0; i < 2; i++) {
		FILE *f = tmpcap();
		ng_shb(f);
		if (i == 0)
			ng_idb(f, MD5SIG_LINK_ETHERNET, 20, 0);
		ng_packet(f, 6, 0, 1, fr, n, n);
		fclose(f);
		ck_assert_ptr_null(emu_capin_open(path, err, sizeof(err)));
		ck_assert_msg(strstr(err, path) && strstr(err, "byte 28") &&
				      strstr(err, i ? "names interface 0" : "if_tsresol"),
			      "%s", err);
		unlink(path);
	}
}
END_TEST

START_TEST(bad_files_name_file_and_frame)
{
	char err[256];
	uint8_t fr[256];
	size_t n = sample(fr, sizeof(fr), 1);
	struct emu_pkt pkt;

	ck_assert_ptr_null(emu_capin_open("/nonexistent/x.pcap", err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/x.pcap"));

	FILE *f = tmpcap();
	fputs("this is not a capture file at all\n", f);
	fclose(f);
	ck_assert_ptr_null(emu_capin_open(path, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, path));
	unlink(path);

	f = tmpcap();
	pcap_header(f, 0xa1b2c3d4, 147); /* USER0 */
	fclose(f);
	ck_assert_ptr_null(emu_capin_open(path, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "unsupported link type 147"));
	unlink(path);

	/* second record cut short */
	f = tmpcap();
	pcap_header(f, 0xa1b2c3d4, 1);
	pcap_record(f, fr, (uint32_t)n, (uint32_t)n);
	w32(f, 1);
	w32(f, 2);
	w32(f, (uint32_t)n);
	w32(f, (uint32_t)n);
	fwrite(fr, 1, n / 2, f);
	fclose(f);
	struct emu_capin *c = emu_capin_open(path, err, sizeof(err));
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(emu_capin_next(c, &pkt, err, sizeof(err)), 1);
	ck_assert_ptr_null(emu_capin_cut(c));
	/* the end, not an error: the frames before the cut are intact */
	ck_assert_int_eq(emu_capin_next(c, &pkt, err, sizeof(err)), 0);
	const struct emu_capin_cut *cut = emu_capin_cut(c);
	ck_assert_ptr_nonnull(cut);
	ck_assert_uint_eq(cut->frame, 2);
	ck_assert_uint_eq(cut->offset, 24 + 16 + n);
	ck_assert_int_eq(emu_capin_next(c, &pkt, err, sizeof(err)), 0);
	emu_capin_cut_format(path, cut, err, sizeof(err));
	ck_assert_ptr_nonnull(strstr(err, path));
	ck_assert_ptr_nonnull(strstr(err, "frame 2"));
	emu_capin_close(c);
	unlink(path);

	/* a record bigger than libpcap allows is corrupt, not cut */
	f = tmpcap();
	pcap_header(f, 0xa1b2c3d4, 1);
	pcap_record(f, fr, (uint32_t)n, (uint32_t)n);
	w32(f, 1);
	w32(f, 2);
	w32(f, 300000);
	w32(f, 300000);
	fclose(f);
	c = emu_capin_open(path, err, sizeof(err));
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(emu_capin_next(c, &pkt, err, sizeof(err)), 1);
	ck_assert_int_eq(emu_capin_next(c, &pkt, err, sizeof(err)), -EIO);
	ck_assert_ptr_nonnull(strstr(err, "frame 2"));
	ck_assert_ptr_nonnull(strstr(err, path));
	emu_capin_close(c);
	unlink(path);

	/* empty, a regular file or not; a directory */
	f = tmpcap();
	fclose(f);
	ck_assert_ptr_null(emu_capin_open(path, err, sizeof(err)));
	ck_assert_msg(strstr(err, path) && strstr(err, "empty file"), "%s", err);
	unlink(path);
	ck_assert_ptr_null(emu_capin_open("/dev/null", err, sizeof(err)));
	ck_assert_msg(strstr(err, "/dev/null: empty file"), "%s", err);
	ck_assert_ptr_null(emu_capin_open("/tmp", err, sizeof(err)));
	ck_assert_str_eq(err, "/tmp: is a directory");

	/* header only, cut */
	f = tmpcap();
	w32(f, 0xa1b2c3d4);
	fclose(f);
	ck_assert_ptr_null(emu_capin_open(path, err, sizeof(err)));
	unlink(path);
}
END_TEST

/*
 * Read @path with emu_capin and with libpcap, the reference: the same frames (timestamps
 * modulo 2^32: libpcap 1.10 sign-extends them in files in host order), then the same end or
 * the same error on the same frame; a cut last record is the end for emu_capin, an error for
 * libpcap, in the same words. Return: what the last emu_capin_next() returned, or -EPIPE for
 * a cut (then "PATH: frame N: WORDS" in @err); the frame count in @frames and the error in @err.
 */
static int same_as_libpcap(unsigned long *frames, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE];
	struct emu_capin *c = emu_capin_open(path, err, errlen);
	pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, perr);
	struct emu_pkt pkt;
	struct pcap_pkthdr *h;
	const u_char *d;
	int r;

	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_msg(p != NULL, "%s", perr);
	for (*frames = 0; (r = emu_capin_next(c, &pkt, err, errlen)) > 0; ++*frames) {
		ck_assert_int_eq(pcap_next_ex(p, &h, &d), 1);
		ck_assert_uint_eq(pkt.caplen, h->caplen);
		ck_assert_uint_eq(pkt.len, h->len);
		ck_assert_uint_eq((uint32_t)pkt.ts.tv_sec, (uint32_t)h->ts.tv_sec);
		ck_assert_uint_eq((uint32_t)pkt.ts.tv_nsec, (uint32_t)h->ts.tv_usec);
		ck_assert(!memcmp(pkt.data, d, pkt.caplen));
	}
	int rr = pcap_next_ex(p, &h, &d);
	const struct emu_capin_cut *cut = r == 0 ? emu_capin_cut(c) : NULL;
	if (cut) {
		/* a cut last record: libpcap's error, in the same words */
		ck_assert_int_eq(rr, PCAP_ERROR);
		ck_assert_uint_eq(cut->frame, *frames + 1);
		ck_assert_str_eq(cut->why, pcap_geterr(p));
		snprintf(err, errlen, "%s: frame %lu: %s", path, cut->frame, cut->why);
		r = -EPIPE;
	} else if (r == 0) {
		ck_assert_int_eq(rr, PCAP_ERROR_BREAK);
	} else {
		char frame[32];
		snprintf(frame, sizeof(frame), ": frame %lu: ", *frames + 1);
		ck_assert_int_eq(rr, PCAP_ERROR);
		ck_assert_msg(strstr(err, frame) &&
				      !strcmp(strstr(err, frame) + strlen(frame), pcap_geterr(p)),
			      "'%s' vs libpcap '%s'", err, pcap_geterr(p));
	}
	pcap_close(p);
	emu_capin_close(c);
	return r;
}

START_TEST(byte_orders_and_nanoseconds)
{
	static const uint32_t magics[] = {0xa1b2c3d4, 0xa1b23c4d};
	uint8_t fr[256];
	size_t n = sample(fr, sizeof(fr), 1);
	char err[256];
	unsigned long frames;

	for (int i = 0; i < 4; i++) {
		struct emu_pkt a, b;
		bool nsec = i & 1;

		swap_out = i & 2;
		FILE *f = tmpcap();
		pcap_header(f, magics[nsec], 1);
		pcap_record(f, fr, (uint32_t)n, (uint32_t)n + 4);
		pcap_record(f, fr, (uint32_t)n, (uint32_t)n);
		fclose(f);
		swap_out = false;

		struct emu_capin *c = emu_capin_open(path, err, sizeof(err));
		ck_assert_msg(c != NULL, "%s", err);
		ck_assert_uint_eq(emu_capin_linktype(c), 1);
		ck_assert_int_eq(emu_capin_next(c, &a, err, sizeof(err)), 1);
		ck_assert_uint_eq(a.caplen, n);
		ck_assert_uint_eq(a.len, n + 4);
		ck_assert_int_eq(a.ts.tv_sec, 1700000000);
		ck_assert_int_eq(a.ts.tv_nsec, nsec ? 123456 : 123456000);
		ck_assert(!memcmp(a.data, fr, n));
		ck_assert_int_eq(emu_capin_next(c, &b, err, sizeof(err)), 1);
		/* walked in place: the second frame follows the first in the file */
		ck_assert_ptr_eq(b.data, a.data + n + 16);
		ck_assert_int_eq(emu_capin_next(c, &b, err, sizeof(err)), 0);
		emu_capin_close(c);

		ck_assert_int_eq(same_as_libpcap(&frames, err, sizeof(err)), 0);
		ck_assert_uint_eq(frames, 2);
		unlink(path);
	}
}
END_TEST

START_TEST(header_only_is_empty)
{
	char err[256];
	struct emu_pkt pkt;
	unsigned long frames;

	for (int i = 0; i < 2; i++) {
		swap_out = i;
		FILE *f = tmpcap();
		pcap_header(f, 0xa1b2c3d4, 1);
		fclose(f);
		swap_out = false;
		struct emu_capin *c = emu_capin_open(path, err, sizeof(err));
		ck_assert_msg(c != NULL, "%s", err);
		ck_assert_int_eq(emu_capin_next(c, &pkt, err, sizeof(err)), 0);
		ck_assert_int_eq(emu_capin_next(c, &pkt, err, sizeof(err)), 0);
		emu_capin_close(c);
		ck_assert_int_eq(same_as_libpcap(&frames, err, sizeof(err)), 0);
		ck_assert_uint_eq(frames, 0);
		unlink(path);
	}
}
END_TEST

START_TEST(caplen_past_end_of_file)
{
	uint8_t fr[256];
	size_t n = sample(fr, sizeof(fr), 1);
	char err[256];
	unsigned long frames;

	/* record 2 promises n bytes and has n - 1; then one with 10 of 16 header bytes */
	for (int i = 0; i < 2; i++) {
		FILE *f = tmpcap();
		pcap_header(f, 0xa1b2c3d4, 1);
		pcap_record(f, fr, (uint32_t)n, (uint32_t)n);
		if (i == 0) {
			w32(f, 1);
			w32(f, 2);
			w32(f, (uint32_t)n);
			w32(f, (uint32_t)n);
			fwrite(fr, 1, n - 1, f);
		} else {
			fwrite(fr, 1, 10, f);
		}
		fclose(f);
		ck_assert_int_eq(same_as_libpcap(&frames, err, sizeof(err)), -EPIPE);
		ck_assert_uint_eq(frames, 1);
		ck_assert_ptr_nonnull(strstr(err, path));
		ck_assert_ptr_nonnull(strstr(err, "frame 2: truncated dump file"));
		ck_assert_ptr_nonnull(strstr(err, i ? "16 header bytes, only got 10"
						    : "captured bytes, only got"));
		unlink(path);
	}
}
END_TEST

START_TEST(huge_caplen)
{
	uint8_t fr[256];
	size_t n = sample(fr, sizeof(fr), 1);
	char err[256];
	unsigned long frames;

	/* larger than libpcap's maximum (262144), whatever the snapshot length and the file hold */
	static const uint32_t snaplens[] = {65535, 0x7fffffff};
	for (int i = 0; i < 2; i++) {
		FILE *f = tmpcap();
		pcap_header_v(f, 0xa1b2c3d4, 4, snaplens[i], 1);
		pcap_record(f, fr, (uint32_t)n, (uint32_t)n);
		w32(f, 1);
		w32(f, 2);
		w32(f, 262145);
		w32(f, 262145);
		fwrite(fr, 1, n, f);
		fclose(f);
		ck_assert_int_eq(same_as_libpcap(&frames, err, sizeof(err)), -EIO);
		ck_assert_uint_eq(frames, 1);
		ck_assert_ptr_nonnull(strstr(err, "frame 2: invalid packet capture length 262145"));
		unlink(path);
	}

	/* past the file's snapshot length but sane: cut to the snapshot length, as libpcap does */
	FILE *f = tmpcap();
	pcap_header_v(f, 0xa1b2c3d4, 4, 40, 1);
	pcap_record(f, fr, (uint32_t)n, (uint32_t)n);
	pcap_record(f, fr, 30, (uint32_t)n);
	fclose(f);
	ck_assert_int_eq(same_as_libpcap(&frames, err, sizeof(err)), 0);
	ck_assert_uint_eq(frames, 2);
	unlink(path);
}
END_TEST

START_TEST(old_raw_linktypes_and_versions)
{
	uint8_t fr[256];
	size_t n = sample(fr, sizeof(fr), 101);
	char err[256];
	struct emu_pkt pkt;
	unsigned long frames;

	/* DLT_RAW's numbers (12; 14 on OpenBSD) where files should say 101 */
	for (uint32_t lt = 12; lt <= 14; lt += 2) {
		FILE *f = tmpcap();
		pcap_header(f, 0xa1b2c3d4, lt);
		pcap_record(f, fr, (uint32_t)n, (uint32_t)n);
		fclose(f);
		struct emu_capin *c = emu_capin_open(path, err, sizeof(err));
		ck_assert_msg(c != NULL, "%s", err);
		ck_assert_uint_eq(emu_capin_linktype(c), MD5SIG_LINK_RAW);
		emu_capin_close(c);
		unlink(path);
	}

	/* version 2.2 records have len before caplen; libpcap reads those */
	FILE *f = tmpcap();
	pcap_header_v(f, 0xa1b2c3d4, 2, 65535, 101);
	w32(f, 1);
	w32(f, 2);
	w32(f, (uint32_t)n + 4);
	w32(f, (uint32_t)n);
	fwrite(fr, 1, n, f);
	fclose(f);
	struct emu_capin *c = emu_capin_open(path, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_int_eq(emu_capin_next(c, &pkt, err, sizeof(err)), 1);
	ck_assert_uint_eq(pkt.caplen, n);
	ck_assert_uint_eq(pkt.len, n + 4);
	ck_assert(!memcmp(pkt.data, fr, n));
	emu_capin_close(c);
	ck_assert_int_eq(same_as_libpcap(&frames, err, sizeof(err)), 0);
	ck_assert_uint_eq(frames, 1);
	unlink(path);
}
END_TEST

/* @text into a new key file (path) of @mode. */
static void keyfile(const char *text, mode_t mode)
{
	FILE *f = tmpcap();

	fputs(text, f);
	fclose(f);
	ck_assert_int_eq(chmod(path, mode), 0);
}

START_TEST(key_files)
{
	struct md5sig_keytab *kt = md5sig_keytab_new();
	char err[256], warn[EMU_KEYS_WARN_MAX];

	keyfile("# peers\n192.0.2.1 alpha\n\n2001:db8::/32 hex:0001\n", 0600);
	ck_assert_int_eq(
		emu_keys_load(kt, path, EMU_KEYS_STRICT, warn, sizeof(warn), err, sizeof(err)), 0);
	ck_assert_uint_eq(md5sig_keytab_count(kt), 2);
	ck_assert_str_eq(warn, "");
	unlink(path);

	keyfile("192.0.2.1 alpha\n192.0.2.999 topsecret\n", 0600);
	ck_assert_int_eq(emu_keys_load(kt, path, 0, warn, sizeof(warn), err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, ":2: "));
	ck_assert_ptr_null(strstr(err, "topsecret"));
	unlink(path);

	ck_assert_int_eq(
		emu_keys_load(kt, "/nonexistent/keys", 0, warn, sizeof(warn), err, sizeof(err)),
		-ENOENT);
	ck_assert_int_eq(emu_keys_from_arg(kt, "", err, sizeof(err)), -EINVAL);
	md5sig_keytab_free(kt);
}
END_TEST

/* What a key file's form and permissions make of it (issue 11 #17, issue 14). */
START_TEST(key_file_form)
{
	struct md5sig_keytab *kt;
	char err[256], warn[EMU_KEYS_WARN_MAX], want[256];

	/* a UTF-8 byte order mark before the first line */
	kt = md5sig_keytab_new();
	keyfile("\xef\xbb\xbf"
		"192.0.2.1 alpha\n",
		0600);
	ck_assert_msg(!emu_keys_load(kt, path, 0, warn, sizeof(warn), err, sizeof(err)), "%s", err);
	ck_assert_uint_eq(md5sig_keytab_count(kt), 1);
	md5sig_keytab_free(kt);
	unlink(path);

	/* one prefix, two secrets: both lines named, neither secret */
	kt = md5sig_keytab_new();
	keyfile("# x\n192.0.2.0/24 alpha\n192.0.2.0/24 alpha\n\n192.0.2.5/24 bravo\n", 0600);
	ck_assert_int_eq(emu_keys_load(kt, path, 0, warn, sizeof(warn), err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want),
		 "%s:5: the same peer and prefix as line 2, with another secret", path);
	ck_assert_str_eq(err, want);
	md5sig_keytab_free(kt);
	unlink(path);

	/* empty: a warning */
	kt = md5sig_keytab_new();
	keyfile("# nothing yet\n\n", 0600);
	ck_assert_int_eq(
		emu_keys_load(kt, path, EMU_KEYS_STRICT, warn, sizeof(warn), err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "%s: the key file holds no keys", path);
	ck_assert_str_eq(warn, want);
	md5sig_keytab_free(kt);
	unlink(path);

	/* readable by others: refused strictly, else a warning; both say how to fix it */
	kt = md5sig_keytab_new();
	keyfile("192.0.2.1 alpha\n", 0644);
	ck_assert_int_eq(
		emu_keys_load(kt, path, EMU_KEYS_STRICT, warn, sizeof(warn), err, sizeof(err)),
		-EACCES);
	snprintf(want, sizeof(want), "chmod 600 %s", path);
	ck_assert_ptr_nonnull(strstr(err, want));
	ck_assert_ptr_nonnull(strstr(err, "mode 0644"));
	ck_assert_ptr_null(strchr(err, '\n'));
	md5sig_keytab_free(kt);
	kt = md5sig_keytab_new();
	ck_assert_int_eq(chmod(path, 0640), 0);
	ck_assert_int_eq(emu_keys_load(kt, path, 0, warn, sizeof(warn), err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(warn, want));
	ck_assert_uint_eq(md5sig_keytab_count(kt), 1);
	md5sig_keytab_free(kt);
	unlink(path);

	/* an example says so: nobody's secret */
	kt = md5sig_keytab_new();
	keyfile("# vnicemu: example keys, not secret\r\n192.0.2.1 alpha\n", 0644);
	ck_assert_int_eq(
		emu_keys_load(kt, path, EMU_KEYS_STRICT, warn, sizeof(warn), err, sizeof(err)), 0);
	ck_assert_str_eq(warn, "");
	md5sig_keytab_free(kt);
	unlink(path);

	/* a directory */
	kt = md5sig_keytab_new();
	ck_assert_int_eq(emu_keys_load(kt, "/tmp", 0, warn, sizeof(warn), err, sizeof(err)),
			 -EISDIR);
	ck_assert_str_eq(err, "/tmp: is a directory");
	md5sig_keytab_free(kt);
}
END_TEST

/* ---- tap captures ---- */

static char tapdir[64];

/* Frames in @name under tapdir, read by libpcap (-1: no such file); their guest numbers in @nos. */
static int frames_in(const char *name, char *nos, size_t len)
{
	char file[128], perr[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	int n = 0;

	snprintf(file, sizeof(file), "%s/%s", tapdir, name);
	pcap_t *p = pcap_open_offline(file, perr);
	if (!p)
		return -1;
	nos[0] = '\0';
	while (pcap_next_ex(p, &h, &d) == 1) {
		/* the frame's last byte says which guest frame it is */
		snprintf(nos + strlen(nos), len - strlen(nos), "%s%u", n ? " " : "",
			 d[h->caplen - 1]);
		n++;
	}
	pcap_close(p);
	return n;
}

/* Guest frame @no: @len bytes, the last of them @no. */
static void tap_frame(struct offload_frame *f, uint8_t *buf, uint32_t len, unsigned no)
{
	memset(buf, 0, len);
	buf[len - 1] = (uint8_t)no;
	*f = (struct offload_frame){.data = buf, .len = len, .guest_no = no};
	f->ts.tv_sec = 1700000000;
}

static void tapdir_make(void)
{
	strcpy(tapdir, "/tmp/vnicemu-tapcap-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tapdir));
}

static void tapdir_remove(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tapdir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(tapcap_names_and_frames)
{
	static const char *const stages[] = {"rx-csum", "lro"};
	char err[512], nos[256], sub[128];
	uint8_t buf[200];
	struct offload_frame f;

	tapdir_make();
	snprintf(sub, sizeof(sub), "%s/cap", tapdir); /* created, 0700 */
	struct emu_tapcap_config c = {.dir = sub,
				      .dir_mode = 0700,
				      .prefix = "rx-",
				      .in = "wire",
				      .out = "guest",
				      .stages = stages,
				      .nstages = 2,
				      .linktype = MD5SIG_LINK_ETHERNET,
				      .annotate = true};
	struct emu_tapcap *t = emu_tapcap_open(&c, err, sizeof(err));
	ck_assert_msg(t, "%s", err);
	/* guest frames 1 and 2 enter; 1 passes rx-csum; lro makes 3 frames of them */
	for (unsigned no = 1; no <= 2; no++) {
		tap_frame(&f, buf, 60, no);
		ck_assert_int_eq(emu_tapcap_write(t, 0, &f, MD5SIG_TCP), 0);
	}
	tap_frame(&f, buf, 80, 1);
	ck_assert_int_eq(emu_tapcap_write(t, 1, &f, MD5SIG_TCP), 0);
	for (unsigned no = 1; no <= 3; no++) {
		tap_frame(&f, buf, 100, no);
		ck_assert_int_eq(emu_tapcap_write(t, 2, &f, MD5SIG_OTHER), 0);
	}
	ck_assert_int_eq(emu_tapcap_write(t, 3, &f, MD5SIG_TCP), -EINVAL); /* no such tap */
	ck_assert_int_eq(emu_tapcap_close(t, err, sizeof(err)), 0);

	snprintf(tapdir, sizeof(tapdir), "%s", sub);
	ck_assert_int_eq(frames_in("rx-wire.pcap", nos, sizeof(nos)), 2);
	ck_assert_str_eq(nos, "1 2");
	ck_assert_int_eq(frames_in("rx-rx-csum.pcap", nos, sizeof(nos)), 1);
	ck_assert_int_eq(frames_in("rx-lro.pcap", nos, sizeof(nos)), 3);
	ck_assert_int_eq(frames_in("rx-guest.pcap", nos, sizeof(nos)), 3);
	ck_assert_str_eq(nos, "1 2 3");
	ck_assert_int_eq(frames_in("rx-annotated.pcapng", nos, sizeof(nos)), 5);
	ck_assert_str_eq(nos, "1 2 1 2 3");
	ck_assert_int_eq(frames_in("wire.pcap", nos, sizeof(nos)), -1);
	*strrchr(tapdir, '/') = '\0';
	tapdir_remove();
}
END_TEST

START_TEST(tapcap_rotates)
{
	static const char *const stages[] = {"tso"};
	char err[512], nos[256];
	uint8_t buf[100];
	struct offload_frame f;

	tapdir_make();
	/* room for the file header and two 100-byte records */
	struct emu_tapcap_config c = {.dir = tapdir,
				      .dir_mode = 0700,
				      .in = "guest",
				      .out = "wire",
				      .stages = stages,
				      .nstages = 1,
				      .linktype = MD5SIG_LINK_ETHERNET,
				      .max_bytes = 24 + 2 * 116};
	struct emu_tapcap *t = emu_tapcap_open(&c, err, sizeof(err));
	ck_assert_msg(t, "%s", err);
	for (unsigned no = 1; no <= 5; no++) {
		tap_frame(&f, buf, 100, no);
		ck_assert_int_eq(emu_tapcap_write(t, 0, &f, MD5SIG_TCP), 0);
		ck_assert_int_eq(emu_tapcap_flush(t), 0);
	}
	ck_assert_int_eq(frames_in("guest.pcap.1", nos, sizeof(nos)), 2);
	ck_assert_str_eq(nos, "3 4");
	ck_assert_int_eq(frames_in("guest.pcap", nos, sizeof(nos)), 1); /* flushed: readable */
	ck_assert_str_eq(nos, "5");
	ck_assert_int_eq(frames_in("tso.pcap", nos, sizeof(nos)), 0);
	ck_assert_int_eq(emu_tapcap_close(t, err, sizeof(err)), 0);
	ck_assert_int_eq(frames_in("annotated.pcapng", nos, sizeof(nos)), -1);
	tapdir_remove();
}
END_TEST

START_TEST(tapcap_failing_file)
{
	static const char *const stages[] = {"tso"};
	char err[512], want[600], nos[256];
	static uint8_t buf[60000];
	struct offload_frame f;
	struct rlimit small = {150000, 150000};

	tapdir_make();
	struct emu_tapcap_config c = {.dir = tapdir,
				      .dir_mode = 0700,
				      .in = "guest",
				      .out = "wire",
				      .stages = stages,
				      .nstages = 1,
				      .linktype = MD5SIG_LINK_ETHERNET};
	struct emu_tapcap *t = emu_tapcap_open(&c, err, sizeof(err));
	ck_assert_msg(t, "%s", err);
	/* files may not grow past 150 kB (this test runs in its own process) */
	signal(SIGXFSZ, SIG_IGN);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &small), 0);
	int ret = 0;
	for (unsigned no = 1; no <= 30 && !ret; no++) {
		tap_frame(&f, buf, 60000, no);
		ret = emu_tapcap_write(t, 0, &f, MD5SIG_TCP);
		if (!ret)
			ret = emu_tapcap_flush(t);
	}
	ck_assert_int_eq(ret, -EFBIG);
	snprintf(want, sizeof(want), "%s/guest.pcap: %s", tapdir, strerror(EFBIG));
	ck_assert_str_eq(emu_tapcap_error(t), want);
	/* that file has stopped; the others go on */
	tap_frame(&f, buf, 100, 7);
	ck_assert_int_eq(emu_tapcap_write(t, 0, &f, MD5SIG_TCP), 0);
	ck_assert_int_eq(emu_tapcap_write(t, 1, &f, MD5SIG_TCP), 0);
	ck_assert_int_eq(emu_tapcap_close(t, err, sizeof(err)), -EFBIG);
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(frames_in("wire.pcap", nos, sizeof(nos)), 1);
	ck_assert_str_eq(nos, "7");

	/* a file that cannot be created */
	c.dir = "/dev/null";
	ck_assert_ptr_null(emu_tapcap_open(&c, err, sizeof(err)));
	ck_assert_msg(strstr(err, "/dev/null"), "%s", err);
	tapdir_remove();
}
END_TEST

Suite *suite_capture(void)
{
	Suite *s = suite_create("capture");
	TCase *tc = tcase_create("capture");

	tcase_add_test(tc, reads_pcap_and_maps_raw);
	tcase_add_test(tc, reads_pcapng);
	tcase_add_test(tc, pcapng_two_link_types);
	tcase_add_test(tc, pcapng_sections_in_both_byte_orders);
	tcase_add_test(tc, pcapng_cut_and_malformed);
	tcase_add_test(tc, bad_files_name_file_and_frame);
	tcase_add_test(tc, byte_orders_and_nanoseconds);
	tcase_add_test(tc, header_only_is_empty);
	tcase_add_test(tc, caplen_past_end_of_file);
	tcase_add_test(tc, huge_caplen);
	tcase_add_test(tc, old_raw_linktypes_and_versions);
	tcase_add_test(tc, key_files);
	tcase_add_test(tc, key_file_form);
	tcase_add_test(tc, tapcap_names_and_frames);
	tcase_add_test(tc, tapcap_rotates);
	tcase_add_test(tc, tapcap_failing_file);
	suite_add_tcase(s, tc);
	return s;
}
