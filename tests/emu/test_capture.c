// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Capture input: pcap (both byte orders, micro and nano seconds), pcapng, and every kind of bad
 * file. The files are written byte by byte here, not with libpcap, so the reader is checked
 * against the file formats themselves.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "emu/emu.h"
#include "tests/suites.h"
#include "tests/support/frames.h"

static char path[64];

static FILE *tmpcap(void)
{
	strcpy(path, "/tmp/vnicemu-test-XXXXXX");
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	return fdopen(fd, "wb");
}

static void w32(FILE *f, uint32_t v)
{
	fwrite(&v, 4, 1, f);
}

static void w16(FILE *f, uint16_t v)
{
	fwrite(&v, 2, 1, f);
}

static void pcap_header(FILE *f, uint32_t magic, uint32_t linktype)
{
	w32(f, magic);
	w16(f, 2);
	w16(f, 4);
	w32(f, 0);
	w32(f, 0);
	w32(f, 65535);
	w32(f, linktype);
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
	ck_assert_int_eq(emu_capin_next(c, &pkt, err, sizeof(err)), -EIO);
	ck_assert_ptr_nonnull(strstr(err, "frame 2"));
	ck_assert_ptr_nonnull(strstr(err, path));
	emu_capin_close(c);
	unlink(path);

	/* header only, cut */
	f = tmpcap();
	w32(f, 0xa1b2c3d4);
	fclose(f);
	ck_assert_ptr_null(emu_capin_open(path, err, sizeof(err)));
	unlink(path);
}
END_TEST

START_TEST(key_files)
{
	struct md5sig_keytab *kt = md5sig_keytab_new();
	char err[256];
	FILE *f = tmpcap();

	fputs("# peers\n192.0.2.1 alpha\n\n2001:db8::/32 hex:0001\n", f);
	fclose(f);
	ck_assert_int_eq(emu_keys_load(kt, path, err, sizeof(err)), 0);
	ck_assert_uint_eq(md5sig_keytab_count(kt), 2);
	unlink(path);

	f = tmpcap();
	fputs("192.0.2.1 alpha\n192.0.2.999 topsecret\n", f);
	fclose(f);
	ck_assert_int_eq(emu_keys_load(kt, path, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, ":2: "));
	ck_assert_ptr_null(strstr(err, "topsecret"));
	unlink(path);

	ck_assert_int_eq(emu_keys_load(kt, "/nonexistent/keys", err, sizeof(err)), -ENOENT);
	ck_assert_int_eq(emu_keys_from_arg(kt, "", err, sizeof(err)), -EINVAL);
	md5sig_keytab_free(kt);
}
END_TEST

Suite *suite_capture(void)
{
	Suite *s = suite_create("capture");
	TCase *tc = tcase_create("capture");

	tcase_add_test(tc, reads_pcap_and_maps_raw);
	tcase_add_test(tc, reads_pcapng);
	tcase_add_test(tc, bad_files_name_file_and_frame);
	tcase_add_test(tc, key_files);
	suite_add_tcase(s, tc);
	return s;
}
