// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * IP reassembly for verify: fragments cut here by a naive fragmenter (independent of the
 * fragment path element) come back as the frame they were cut from, byte for byte, in any
 * order; duplicates are dropped, overlaps discard the datagram (RFC 5722) and what follows,
 * timers follow RFC 791 and RFC 8200, memory is bounded. Then the verify engine on a capture of
 * fragments: the same counts and list with one thread and with several.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <check.h>

#include "emu/analysis/reasm.h"
#include "emu/analysis/verify.h"
#include "emu/capture/capture.h"
#include "tests/suites.h"
#include "tests/support/frames.h"

#define SECRET "reasm-secret"
#define L2     14

struct frag {
	uint8_t b[2048];
	size_t len;
};

/* A signed segment of @plen payload bytes, DF clear; IPv4 or IPv6. */
static size_t segment(uint8_t *b, int family, size_t plen, uint16_t id)
{
	struct md5sig_key k = tf_key(SECRET);
	struct tf_spec s = {.family = family, .md5 = true, .plen = plen, .ipid = id, .no_df = true};
	size_t n = tf_build_signed(&s, &k, b, 8192);

	ck_assert_uint_gt(n, 0);
	return n;
}

/*
 * Cut the packet in @b into fragments of @chunk payload bytes (a multiple of 8): IPv4 by its
 * header's fields, IPv6 with a Fragment header after the fixed header, Identification @id.
 */
static unsigned cut(const uint8_t *b, size_t n, size_t chunk, uint32_t id, struct frag *out)
{
	bool v6 = (b[L2] >> 4) == 6;
	size_t hl = v6 ? 40 : (size_t)(b[L2] & 15) * 4, data = n - L2 - hl;
	unsigned k = 0;

	for (size_t off = 0; off < data; off += chunk, k++) {
		size_t len = data - off < chunk ? data - off : chunk;
		bool more = off + len < data;
		uint8_t *f = out[k].b;

		memcpy(f, b, L2 + hl);
		if (v6) {
			uint8_t *fh = f + L2 + 40;
			fh[0] = b[L2 + 6]; /* the next header after the Fragment header */
			fh[1] = 0;
			tf_put16(fh + 2, (uint16_t)(off | more));
			tf_put16(fh + 4, (uint16_t)(id >> 16));
			tf_put16(fh + 6, (uint16_t)id);
			f[L2 + 6] = 44;
			tf_put16(f + L2 + 4, (uint16_t)(8 + len));
			memcpy(fh + 8, b + L2 + hl + off, len);
			out[k].len = L2 + 48 + len;
		} else {
			tf_put16(f + L2 + 2, (uint16_t)(hl + len));
			tf_put16(f + L2 + 6, (uint16_t)((more ? 0x2000 : 0) | off / 8));
			tf_put16(f + L2 + 10, 0);
			tf_put16(f + L2 + 10, (uint16_t)~tf_csum_add(0, f + L2, hl));
			memcpy(f + L2 + hl, b + L2 + hl + off, len);
			out[k].len = L2 + hl + len;
		}
	}
	return k;
}

static const struct timespec t0 = {1700000000, 0};

static enum emu_reasm_result feed(struct emu_reasm *r, const struct frag *f, time_t at,
				  const uint8_t **out, size_t *outlen)
{
	struct timespec ts = {t0.tv_sec + at, 0};

	return emu_reasm_feed(r, MD5SIG_LINK_ETHERNET, f->b, f->len, &ts, out, outlen);
}

/* Every order of a datagram's fragments gives back the packet they were cut from. */
START_TEST(any_order_gives_the_packet_back)
{
	static const unsigned orders[][5] = {
		{0, 1, 2, 3, 4}, {4, 3, 2, 1, 0}, {2, 0, 4, 1, 3}, {4, 0, 3, 1, 2}};
	static uint8_t whole[8192];
	static struct frag fr[8];

	for (int family = AF_INET; family <= AF_INET6; family += AF_INET6 - AF_INET) {
		size_t n = segment(whole, family, 1900, 0x4242);
		for (unsigned o = 0; o < 4; o++) {
			struct emu_reasm *r = emu_reasm_new();
			const uint8_t *out = NULL;
			size_t outlen = 0;
			struct emu_reasm_stats st;

			ck_assert_uint_eq(cut(whole, n, 400, 0x4242, fr), 5);
			for (unsigned i = 0; i < 5; i++)
				ck_assert_int_eq(feed(r, &fr[orders[o][i]], 0, &out, &outlen),
						 i < 4 ? EMU_REASM_HELD : EMU_REASM_DONE);
			ck_assert_uint_eq(outlen, n);
			ck_assert_mem_eq(out, whole, n);
			emu_reasm_stats(r, &st);
			ck_assert_uint_eq(st.fragments, 5);
			ck_assert_uint_eq(st.reassembled, 1);
			ck_assert_uint_eq(st.incomplete, 0);
			emu_reasm_free(r);
		}
	}
}
END_TEST

START_TEST(whole_packets_and_other_protocols_pass)
{
	static uint8_t b[8192];
	static struct frag fr[8];
	struct emu_reasm *r = emu_reasm_new();
	const uint8_t *out;
	size_t outlen, n = segment(b, AF_INET, 100, 1);
	struct timespec ts = t0;

	ck_assert_int_eq(emu_reasm_feed(r, MD5SIG_LINK_ETHERNET, b, n, &ts, &out, &outlen),
			 EMU_REASM_PASS);
	n = segment(b, AF_INET, 1000, 2);
	b[L2 + 9] = 17; /* a UDP fragment: not reassembled */
	cut(b, n, 400, 2, fr);
	ck_assert_int_eq(feed(r, &fr[0], 0, &out, &outlen), EMU_REASM_PASS);
	emu_reasm_free(r);
}
END_TEST

/* RFC 8200 lets exact duplicates go; RFC 5722 discards a datagram with an overlap, and later. */
START_TEST(duplicates_dropped_overlaps_discard_the_datagram)
{
	static uint8_t whole[8192];
	static struct frag fr[16], odd[16];
	const uint8_t *out;
	size_t outlen;
	struct emu_reasm_stats st;

	for (int family = AF_INET; family <= AF_INET6; family += AF_INET6 - AF_INET) {
		size_t n = segment(whole, family, 1900, 7);
		struct emu_reasm *r = emu_reasm_new();

		cut(whole, n, 400, 7, fr);
		feed(r, &fr[0], 0, &out, &outlen);
		feed(r, &fr[1], 0, &out, &outlen);
		ck_assert_int_eq(feed(r, &fr[1], 0, &out, &outlen), EMU_REASM_HELD); /* again */
		for (unsigned i = 2; i < 4; i++)
			feed(r, &fr[i], 0, &out, &outlen);
		ck_assert_int_eq(feed(r, &fr[4], 0, &out, &outlen), EMU_REASM_DONE);
		emu_reasm_stats(r, &st);
		ck_assert_uint_eq(st.duplicates, 1);
		ck_assert_uint_eq(st.reassembled, 1);

		/* the same bytes cut differently overlap: the datagram goes, and what follows */
		cut(whole, n, 200, 8, odd);
		cut(whole, n, 400, 8, fr);
		feed(r, &fr[0], 0, &out, &outlen);  /* bytes 0-399 */
		feed(r, &odd[1], 0, &out, &outlen); /* bytes 200-399 */
		for (unsigned i = 1; i < 5; i++)
			ck_assert_int_eq(feed(r, &fr[i], 0, &out, &outlen), EMU_REASM_HELD);
		ck_assert_int_eq(feed(r, &fr[0], 0, &out, &outlen), EMU_REASM_HELD);
		emu_reasm_stats(r, &st);
		ck_assert_uint_eq(st.overlapping, 1);
		ck_assert_uint_eq(st.reassembled, 1);
		ck_assert_uint_eq(st.incomplete, 0);
		emu_reasm_free(r);
	}
}
END_TEST

/* A last fragment ending before bytes already held, or a second last one, is an overlap too. */
START_TEST(inconsistent_ends_are_overlaps)
{
	static uint8_t whole[8192];
	static struct frag fr[8];
	const uint8_t *out;
	size_t outlen;
	struct emu_reasm_stats st;
	struct emu_reasm *r = emu_reasm_new();
	size_t n = segment(whole, AF_INET, 1900, 9);

	cut(whole, n, 400, 9, fr);
	feed(r, &fr[3], 0, &out, &outlen); /* bytes 1200-1599 */
	struct frag early = fr[1];	   /* 400-799 as if it were the last */
	tf_put16(early.b + L2 + 6, 400 / 8);
	tf_put16(early.b + L2 + 10, 0);
	tf_put16(early.b + L2 + 10, (uint16_t)~tf_csum_add(0, early.b + L2, 20));
	feed(r, &early, 0, &out, &outlen);
	emu_reasm_stats(r, &st);
	ck_assert_uint_eq(st.overlapping, 1);
	emu_reasm_free(r);
}
END_TEST

/* Only the last fragment may be of any length; nothing past 65535 bytes. */
START_TEST(bad_fragments_are_refused)
{
	static uint8_t whole[8192];
	static struct frag fr[8];
	const uint8_t *out;
	size_t outlen;
	struct emu_reasm_stats st;
	struct emu_reasm *r = emu_reasm_new();
	size_t n = segment(whole, AF_INET6, 1900, 10);

	cut(whole, n, 404, 10, fr); /* 404 is no multiple of 8 */
	ck_assert_int_eq(feed(r, &fr[0], 0, &out, &outlen), EMU_REASM_HELD);
	n = segment(whole, AF_INET, 1000, 11);
	cut(whole, n, 400, 11, fr);
	tf_put16(fr[2].b + L2 + 6, 65528 / 8); /* the last piece at 65528: past 65535 */
	tf_put16(fr[2].b + L2 + 10, 0);
	tf_put16(fr[2].b + L2 + 10, (uint16_t)~tf_csum_add(0, fr[2].b + L2, 20));
	ck_assert_int_eq(feed(r, &fr[2], 0, &out, &outlen), EMU_REASM_HELD);
	emu_reasm_stats(r, &st);
	ck_assert_uint_eq(st.bad, 2);
	ck_assert_uint_eq(st.fragments, 2);
	emu_reasm_free(r);
}
END_TEST

/* IPv4 datagrams are abandoned after 15 s (RFC 791), IPv6 ones after 60 s (RFC 8200). */
START_TEST(timers_follow_the_rfcs)
{
	static uint8_t w4[8192], w6[8192];
	static struct frag f4[8], f6[8];
	const uint8_t *out;
	size_t outlen;
	struct emu_reasm_stats st;
	struct emu_reasm *r = emu_reasm_new();

	cut(w4, segment(w4, AF_INET, 700, 12), 400, 12, f4);
	cut(w6, segment(w6, AF_INET6, 700, 13), 400, 13, f6);
	feed(r, &f4[0], 0, &out, &outlen);
	feed(r, &f6[0], 0, &out, &outlen);
	ck_assert_int_eq(feed(r, &f4[1], 16, &out, &outlen), EMU_REASM_HELD);
	ck_assert_int_eq(feed(r, &f6[1], 59, &out, &outlen), EMU_REASM_DONE);
	emu_reasm_stats(r, &st);
	/* the IPv4 datagram twice: its last fragment started it again at 16 s, gone at 59 */
	ck_assert_uint_eq(st.timed_out, 2);
	ck_assert_uint_eq(st.incomplete, 0);
	emu_reasm_free(r);
}
END_TEST

/* At most EMU_REASM_DATAGRAMS at once: the oldest makes room, counted. */
START_TEST(memory_is_bounded)
{
	static uint8_t whole[8192];
	static struct frag fr[8];
	const uint8_t *out;
	size_t outlen;
	struct emu_reasm_stats st;
	struct emu_reasm *r = emu_reasm_new();

	for (unsigned id = 0; id <= EMU_REASM_DATAGRAMS; id++) {
		cut(whole, segment(whole, AF_INET, 700, (uint16_t)id), 400, id, fr);
		feed(r, &fr[0], 0, &out, &outlen);
	}
	emu_reasm_stats(r, &st);
	ck_assert_uint_eq(st.evicted, 1);
	ck_assert_uint_eq(st.incomplete, EMU_REASM_DATAGRAMS);
	/* the oldest is gone: its last fragment completes nothing */
	cut(whole, segment(whole, AF_INET, 700, 0), 400, 0, fr);
	ck_assert_int_eq(feed(r, &fr[1], 0, &out, &outlen), EMU_REASM_HELD);
	/* the newest completes */
	cut(whole, segment(whole, AF_INET, 700, EMU_REASM_DATAGRAMS), 400, EMU_REASM_DATAGRAMS, fr);
	ck_assert_int_eq(feed(r, &fr[1], 0, &out, &outlen), EMU_REASM_DONE);
	emu_reasm_free(r);
}
END_TEST

/* verify: fragments interleaved with whole segments, the same output with 1 and 3 threads. */
START_TEST(verify_checks_reassembled_segments_in_order)
{
	char dir[] = "/tmp/vnicemu-reasm-XXXXXX", path[64], err[256];
	static uint8_t whole[8192];
	static struct frag fr[8];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/frag.pcap", dir);
	struct emu_capout *c = emu_capout_open(path, false, err, sizeof(err));
	ck_assert_msg(c, "%s", err);
	ck_assert_int_eq(emu_capout_iface(c, MD5SIG_LINK_ETHERNET, NULL), 0);
	struct timespec ts = t0;
	for (unsigned i = 0; i < 600; i++) {
		int fam = i % 2 ? AF_INET6 : AF_INET;
		size_t n = segment(whole, fam, i % 3 ? 1500 : 100, (uint16_t)i);
		if (i % 7 == 3) /* a corrupted byte: invalid once reassembled */
			whole[n - 1] ^= 1;
		unsigned k = n > 1000 ? cut(whole, n, 520, i, fr) : 0;
		if (!k) {
			memcpy(fr[0].b, whole, n);
			fr[0].len = n;
			k = 1;
		}
		for (unsigned j = 0; j < k; j++) /* last fragment first, then the others */
			ck_assert_int_eq(emu_capout_write(c, 0, &ts, fr[(j + k - 1) % k].b,
							  (uint32_t)fr[(j + k - 1) % k].len, NULL),
					 0);
	}
	ck_assert_int_eq(emu_capout_close(c), 0);

	struct md5sig_keytab *kt = md5sig_keytab_new();
	const char *why;
	ck_assert_int_eq(md5sig_keytab_parse_line(kt, "* " SECRET, &why), 0);
	char *text[2];
	size_t tlen[2];
	struct emu_verify_counts cnt[2];
	for (unsigned t = 0; t < 2; t++) {
		FILE *list = open_memstream(&text[t], &tlen[t]);
		struct emu_verify_config cfg = {
			.path = path, .keys = kt, .jobs = t ? 3 : 1, .list = list};
		ck_assert_int_eq(emu_verify(&cfg, &cnt[t], err, sizeof(err)), 0);
		fclose(list);
	}
	ck_assert_str_eq(text[0], text[1]);
	ck_assert_mem_eq(&cnt[0], &cnt[1], sizeof(cnt[0]));
	/* 200 small segments, 400 reassembled from 3 fragments each; every 7th corrupted */
	ck_assert_uint_eq(cnt[0].frames, 200 + 400 * 3);
	ck_assert_uint_eq(cnt[0].reasm.fragments, 1200);
	ck_assert_uint_eq(cnt[0].reasm.reassembled, 400);
	ck_assert_uint_eq(cnt[0].other, 0);
	ck_assert_uint_eq(cnt[0].verdicts[MD5SIG_INVALID], 86);
	ck_assert_uint_eq(cnt[0].verdicts[MD5SIG_VALID], 600 - 86);
	/* a reassembled segment is listed at the frame that completed it */
	ck_assert_msg(strstr(text[0], "\n4 valid 2001:db8::1.40000 > 2001:db8::2.179\n"), "%.200s",
		      text[0]);
	free(text[0]);
	free(text[1]);
	md5sig_keytab_free(kt);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	ck_assert_int_eq(system(path), 0);
}
END_TEST

Suite *suite_reasm(void)
{
	Suite *s = suite_create("reasm");
	TCase *tc = tcase_create("reasm");

	tcase_add_test(tc, any_order_gives_the_packet_back);
	tcase_add_test(tc, whole_packets_and_other_protocols_pass);
	tcase_add_test(tc, duplicates_dropped_overlaps_discard_the_datagram);
	tcase_add_test(tc, inconsistent_ends_are_overlaps);
	tcase_add_test(tc, bad_fragments_are_refused);
	tcase_add_test(tc, timers_follow_the_rfcs);
	tcase_add_test(tc, memory_is_bounded);
	tcase_add_test(tc, verify_checks_reassembled_segments_in_order);
	suite_add_tcase(s, tc);
	return s;
}
