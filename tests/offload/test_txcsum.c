// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * offload/csum.c against a naive byte-pair reference (tests/support/frames.c), and the tx-csum
 * stage: partial checksums completed, complete and bad ones untouched, digests kept valid.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <check.h>

#include "offload/offload.h"
#include "tests/suites.h"
#include "tests/support/frames.h"

static uint8_t frame[70000], orig[70000];

static void fill_random(uint8_t *p, size_t len, unsigned *seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)rand_r(seed);
}

/* Equal as one's-complement numbers: congruent modulo 0xffff. */
static bool ones_equal(uint64_t a, uint64_t b)
{
	return a % 0xffff == b % 0xffff;
}

/* ---- offload/csum.c ---- */

START_TEST(partial_matches_naive_reference)
{
	static uint8_t buf[2000 + 16];
	unsigned seed = 1071;

	for (size_t len = 0; len <= 2000; len++) {
		for (int round = 0; round < 4; round++) {
			size_t align = (size_t)rand_r(&seed) % 16;
			uint16_t start = round ? (uint16_t)rand_r(&seed) : 0;
			uint8_t *p = buf + align;

			fill_random(p, len, &seed);
			if (round == 3)
				memset(p, 0xff, len); /* worst case for carries */
			uint16_t fast = offload_csum_fold(offload_csum_partial(p, len, start));
			uint16_t naive = (uint16_t)tf_csum_add(start, p, len);

			ck_assert_msg(fast == naive, "len %zu align %zu: %04x != %04x", len, align,
				      fast, naive);
		}
	}
}
END_TEST

START_TEST(pieces_sum_to_the_whole)
{
	static uint8_t whole[4000], piece[4000 + 8];
	unsigned seed = 7;

	for (int round = 0; round < 2000; round++) {
		size_t len = (size_t)rand_r(&seed) % sizeof(whole);
		uint64_t sum = 0;

		fill_random(whole, len, &seed);
		for (size_t off = 0; off < len;) {
			/* even pieces, each copied to a random alignment; the last may be odd */
			size_t n = (size_t)rand_r(&seed) % 300 & ~(size_t)1;
			size_t align = (size_t)rand_r(&seed) % 8;

			if (n > len - off)
				n = len - off;
			memcpy(piece + align, whole + off, n);
			sum = offload_csum_partial(piece + align, n, sum);
			off += n;
		}
		ck_assert_uint_eq(offload_csum_fold(sum),
				  offload_csum_fold(offload_csum_partial(whole, len, 0)));
	}
}
END_TEST

/* Seeds near 2^64 (a caller's running sum) must wrap their carry around, not lose it. */
START_TEST(large_seeds_keep_their_carry)
{
	static const uint64_t seeds[] = {UINT64_MAX, UINT64_MAX - 1, UINT64_MAX - 0xfffe,
					 (uint64_t)1 << 63, 0xffffffff};
	uint8_t buf[64];
	unsigned seed = 3;

	fill_random(buf, sizeof(buf), &seed);
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		uint64_t got = offload_csum_partial(buf, sizeof(buf), seeds[i]);

		ck_assert(ones_equal(got, seeds[i] % 0xffff + tf_csum_add(0, buf, sizeof(buf))));
		ck_assert(ones_equal(offload_csum_fold(got), got));
	}
	ck_assert_uint_eq(offload_csum_fold(0), 0);
	ck_assert_uint_eq(offload_csum_fold(0xffff), 0xffff);
	ck_assert_uint_eq(offload_csum_fold(0x1fffe), 0xffff);
	ck_assert_uint_eq(offload_csum_fold(UINT64_MAX), 0xffff);
}
END_TEST

/* The naive pseudo-header sum: build the header bytes and add them up. */
static uint16_t naive_pseudo(const struct md5sig_seg *seg, uint8_t proto, uint32_t len,
			     bool with_len)
{
	uint8_t ph[40] = {0};
	size_t n;

	if (!with_len)
		len = 0;
	if (seg->family == AF_INET6) {
		memcpy(ph, seg->saddr, 16);
		memcpy(ph + 16, seg->daddr, 16);
		ph[32] = (uint8_t)(len >> 24);
		ph[33] = (uint8_t)(len >> 16);
		ph[34] = (uint8_t)(len >> 8);
		ph[35] = (uint8_t)len;
		ph[39] = proto;
		n = 40;
	} else {
		memcpy(ph, seg->saddr, 4);
		memcpy(ph + 4, seg->daddr, 4);
		ph[9] = proto;
		ph[10] = (uint8_t)(len >> 8);
		ph[11] = (uint8_t)len;
		n = 12;
	}
	return (uint16_t)tf_csum_add(0, ph, n);
}

START_TEST(pseudo_header_matches_naive)
{
	unsigned seed = 9;

	for (int round = 0; round < 1000; round++) {
		struct md5sig_seg seg = {.family = round & 1 ? AF_INET6 : AF_INET};
		uint8_t proto = round & 2 ? 17 : 6;
		/* IPv6 lengths may exceed 16 bits (jumbograms); IPv4 ones never do */
		uint32_t len = (uint32_t)rand_r(&seed) % (round & 1 ? 0x200000 : 0x10000);

		fill_random(seg.saddr, 16, &seed);
		fill_random(seg.daddr, 16, &seed);
		for (int wl = 0; wl < 2; wl++)
			ck_assert_uint_eq(
				offload_csum_fold(offload_csum_pseudo(&seg, proto, len, wl)),
				naive_pseudo(&seg, proto, len, wl));
	}
}
END_TEST

/* The naive checker: does the L4 checksum of @seg (TCP, or UDP if @proto is 17) verify? */
static bool l4_verifies(const uint8_t *f, const struct md5sig_seg *seg, uint8_t proto)
{
	uint32_t sum = naive_pseudo(seg, proto, seg->tcp_len, true);

	return tf_csum_add(sum, f + seg->l4_off, seg->tcp_len) == 0xffff;
}

static bool ipv4_hdr_verifies(const uint8_t *f, const struct md5sig_seg *seg)
{
	const uint8_t *ip = f + seg->l3_off;

	return tf_csum_add(0, ip, (size_t)(ip[0] & 0x0f) * 4) == 0xffff;
}

/* Frames with the IP features that move the pseudo-header's inputs around. */
static const struct tf_spec specs[] = {
	{.plen = 100},
	{.plen = 1, .ipv4_opts = 12, .vlans = 1},
	{.plen = 8960, .md5 = true},
	{.family = AF_INET6, .plen = 1440},
	{.family = AF_INET6, .ipv6_dstopts = 16, .plen = 33, .md5 = true},
	{.linktype = MD5SIG_LINK_SLL2, .plen = 0},
	{.linktype = MD5SIG_LINK_RAW, .family = AF_INET6, .plen = 65000},
};
#define NSPECS (sizeof(specs) / sizeof(specs[0]))

static size_t build_parse(const struct tf_spec *s, struct md5sig_seg *seg)
{
	size_t n = tf_build(s, frame, sizeof(frame));

	ck_assert_uint_gt(n, 0);
	ck_assert_int_eq(
		md5sig_parse(s->linktype ? s->linktype : MD5SIG_LINK_ETHERNET, frame, n, seg),
		MD5SIG_TCP);
	memcpy(orig, frame, n);
	return n;
}

START_TEST(tcp_fill_and_ipv4_header_match_the_builder)
{
	for (size_t k = 0; k < NSPECS; k++) {
		struct md5sig_seg seg;
		size_t n = build_parse(&specs[k], &seg);

		tf_put16(frame + seg.l4_off + 16, 0xdead);
		offload_csum_tcp_fill(frame, &seg);
		if (seg.family == AF_INET) {
			tf_put16(frame + seg.l3_off + 10, 0xbeef);
			offload_csum_ipv4_hdr(frame + seg.l3_off, seg.l4_off - seg.l3_off);
		}
		ck_assert_msg(!memcmp(frame, orig, n), "spec %zu", k);
	}
}
END_TEST

START_TEST(classify_each_state)
{
	for (size_t k = 0; k < NSPECS; k++) {
		struct md5sig_seg seg;
		uint8_t *field;

		build_parse(&specs[k], &seg);
		field = frame + seg.l4_off + 16;
		ck_assert_int_eq(offload_csum_classify(frame, &seg), OFFLOAD_CSUM_COMPLETE);
		tf_put16(field, naive_pseudo(&seg, 6, seg.tcp_len, true));
		ck_assert_int_eq(offload_csum_classify(frame, &seg), OFFLOAD_CSUM_PARTIAL);
		tf_put16(field, naive_pseudo(&seg, 6, seg.tcp_len, false));
		ck_assert_int_eq(offload_csum_classify(frame, &seg), OFFLOAD_CSUM_PARTIAL_NOLEN);
		/* the complemented seed is what a device would see if a driver got it wrong */
		tf_put16(field, (uint16_t)~naive_pseudo(&seg, 6, seg.tcp_len, true));
		ck_assert_int_eq(offload_csum_classify(frame, &seg), OFFLOAD_CSUM_BAD);
		tf_put16(field, (uint16_t)(tf_get16(orig + seg.l4_off + 16) + 1));
		ck_assert_int_eq(offload_csum_classify(frame, &seg), OFFLOAD_CSUM_BAD);
	}
}
END_TEST

/* ---- the tx-csum stage ---- */

struct wire {
	unsigned count;
	uint8_t data[70000];
	uint32_t len;
	bool changed, changed_covered;
	enum offload_csum csum;
	enum md5sig_verdict verdict;
};

static void wire_sink(void *arg, unsigned tap, const struct offload_frame *f,
		      const struct md5sig_seg *seg, enum md5sig_status st)
{
	struct wire *w = arg;

	(void)seg;
	(void)st;
	if (tap != 1)
		return;
	w->count++;
	memcpy(w->data, f->data, f->len);
	w->len = f->len;
	w->changed = f->changed;
	w->changed_covered = f->changed_covered;
	w->csum = f->csum;
	w->verdict = f->verdict;
}

static struct offload_pipeline *txcsum_pipeline(uint32_t linktype, struct wire *w,
						const struct md5sig_keytab *keys)
{
	struct offload_config c = {
		.linktype = linktype ? linktype : MD5SIG_LINK_ETHERNET,
		.wire_mtu = 9000,
		.keys = keys,
		.verify = true,
		.stages = {"tx-csum"},
		.nstages = 1,
		.requested = {[OFFLOAD_F_TX] = true},
	};
	char err[256] = "";
	struct offload_pipeline *pl = offload_pipeline_new(&c, err, sizeof(err));

	ck_assert_msg(pl != NULL, "pipeline: %s", err);
	memset(w, 0, sizeof(*w));
	offload_pipeline_set_sink(pl, wire_sink, w);
	return pl;
}

static void tx(struct offload_pipeline *pl, const uint8_t *bytes, size_t len,
	       enum offload_csum state)
{
	struct offload_frame *f = offload_pipeline_guest_frame(pl, (uint32_t)len);

	ck_assert_ptr_nonnull(f);
	memcpy(f->data, bytes, len);
	f->len = (uint32_t)len;
	f->csum = state;
	f->guest_no = 1;
	ck_assert_int_eq(offload_pipeline_tx(pl, f), 1);
}

START_TEST(partial_checksums_completed)
{
	/* the port's claim: none (the stage looks for itself), or what virtio/vmxnet3 say */
	static const enum offload_csum claims[] = {OFFLOAD_CSUM_NONE, OFFLOAD_CSUM_PARTIAL,
						   OFFLOAD_CSUM_PARTIAL_NOLEN};
	static struct wire w;

	for (size_t k = 0; k < NSPECS; k++) {
		for (int with_len = 0; with_len < 2; with_len++) {
			for (size_t c = 0; c < 3; c++) {
				struct md5sig_seg seg;
				size_t n = build_parse(&specs[k], &seg);
				struct offload_pipeline *pl =
					txcsum_pipeline(specs[k].linktype, &w, NULL);

				tf_put16(frame + seg.l4_off + 16,
					 naive_pseudo(&seg, 6, seg.tcp_len, with_len));
				if (seg.family == AF_INET)
					tf_put16(frame + seg.l3_off + 10, 0); /* recomputed too */
				tx(pl, frame, n, claims[c]);
				ck_assert_uint_eq(w.count, 1);
				ck_assert_uint_eq(w.len, n);
				ck_assert(l4_verifies(w.data, &seg, 6));
				ck_assert(seg.family != AF_INET || ipv4_hdr_verifies(w.data, &seg));
				ck_assert_msg(!memcmp(w.data, orig, n), "spec %zu", k);
				ck_assert_int_eq(w.csum, OFFLOAD_CSUM_COMPLETE);
				ck_assert(w.changed);
				ck_assert(!w.changed_covered);
				offload_pipeline_free(pl);
			}
		}
	}
}
END_TEST

/* A robust device recomputes the pseudo-header: a wrong seed under a PARTIAL claim is fixed. */
START_TEST(seed_not_trusted)
{
	static struct wire w;
	struct md5sig_seg seg;
	size_t n = build_parse(&specs[3], &seg);
	struct offload_pipeline *pl = txcsum_pipeline(0, &w, NULL);

	tf_put16(frame + seg.l4_off + 16, 0x1234);
	tx(pl, frame, n, OFFLOAD_CSUM_PARTIAL);
	ck_assert(!memcmp(w.data, orig, n));
	offload_pipeline_free(pl);
}
END_TEST

START_TEST(complete_and_bad_untouched)
{
	static struct wire w;

	for (size_t k = 0; k < NSPECS; k++) {
		struct md5sig_seg seg;
		size_t n = build_parse(&specs[k], &seg);
		struct offload_pipeline *pl = txcsum_pipeline(specs[k].linktype, &w, NULL);

		tx(pl, frame, n, OFFLOAD_CSUM_NONE);
		ck_assert(!memcmp(w.data, orig, n));
		ck_assert_int_eq(w.csum, OFFLOAD_CSUM_COMPLETE);
		ck_assert(!w.changed);

		tf_put16(frame + seg.l4_off + 16,
			 (uint16_t)(tf_get16(orig + seg.l4_off + 16) ^ 0x0101));
		memcpy(orig, frame, n);
		tx(pl, frame, n, OFFLOAD_CSUM_NONE);
		ck_assert(!memcmp(w.data, orig, n));
		ck_assert_int_eq(w.csum, OFFLOAD_CSUM_BAD);
		ck_assert(!w.changed);
		tx(pl, frame, n, OFFLOAD_CSUM_BAD);
		ck_assert(!memcmp(w.data, orig, n));

		struct offload_stats s;
		offload_pipeline_stats(pl, &s);
		ck_assert_uint_eq(s.stages[0].frames_out, 3);
		offload_pipeline_free(pl);
	}
}
END_TEST

START_TEST(signed_frames_stay_valid)
{
	static struct wire w;
	struct md5sig_key key = tf_key("bgp-secret");
	struct md5sig_keytab *kt = md5sig_keytab_new();
	struct md5sig_hasher *h = md5sig_hasher_new();

	ck_assert_int_eq(md5sig_keytab_add(kt, AF_UNSPEC, NULL, 0, &key), 0);
	for (size_t k = 0; k < NSPECS; k++) {
		struct tf_spec s = specs[k];
		struct md5sig_seg seg;
		uint32_t lt = s.linktype ? s.linktype : MD5SIG_LINK_ETHERNET;

		s.md5 = true;
		size_t n = tf_build_signed(&s, &key, frame, sizeof(frame));
		ck_assert_uint_gt(n, 0);
		ck_assert_int_eq(md5sig_parse(lt, frame, n, &seg), MD5SIG_TCP);
		memcpy(orig, frame, n);
		tf_put16(frame + seg.l4_off + 16, naive_pseudo(&seg, 6, seg.tcp_len, k & 1));

		struct offload_pipeline *pl = txcsum_pipeline(lt, &w, kt);
		tx(pl, frame, n, OFFLOAD_CSUM_PARTIAL);
		ck_assert(!memcmp(w.data, orig, n));
		ck_assert(l4_verifies(w.data, &seg, 6));
		ck_assert_int_eq(md5sig_classify(h, kt, w.data, MD5SIG_TCP, &seg), MD5SIG_VALID);
		ck_assert_int_eq(w.verdict, MD5SIG_VALID);

		struct offload_stats st;
		offload_pipeline_stats(pl, &st);
		ck_assert_uint_eq(st.stages[0].invalidated, 0);
		ck_assert_uint_eq(st.stages[0].tap.verdicts[MD5SIG_VALID], 1);
		ck_assert_int_eq(st.culprit, -1);
		offload_pipeline_free(pl);
	}
	md5sig_hasher_free(h);
	md5sig_keytab_free(kt);
}
END_TEST

/*
 * Turn a built TCP frame into UDP: the TCP header and payload become the datagram. Fills
 * @seg's l4_off and tcp_len (the UDP length) for the naive checker.
 */
static size_t build_udp(const struct tf_spec *s, struct md5sig_seg *seg)
{
	size_t n = build_parse(s, seg);
	uint8_t *ip = frame + seg->l3_off, *udp = frame + seg->l4_off;

	if (seg->family == AF_INET) {
		ip[9] = 17;
		offload_csum_ipv4_hdr(ip, seg->l4_off - seg->l3_off);
	} else if (s->ipv6_dstopts) {
		ip[40] = 17;
	} else {
		ip[6] = 17;
	}
	tf_put16(udp + 4, (uint16_t)seg->tcp_len);
	tf_put16(udp + 6, 0);
	uint16_t sum = (uint16_t)~tf_csum_add(naive_pseudo(seg, 17, seg->tcp_len, true), udp,
					      seg->tcp_len);
	tf_put16(udp + 6, sum ? sum : 0xffff);
	memcpy(orig, frame, n);
	return n;
}

START_TEST(udp_partial_completed)
{
	static struct wire w;
	static const struct tf_spec udp_specs[] = {
		{.plen = 100},
		{.plen = 3, .ipv4_opts = 8},
		{.family = AF_INET6, .plen = 1000},
		{.family = AF_INET6, .ipv6_dstopts = 8, .plen = 17},
	};

	for (size_t k = 0; k < sizeof(udp_specs) / sizeof(udp_specs[0]); k++) {
		struct md5sig_seg seg;
		size_t n = build_udp(&udp_specs[k], &seg);
		struct offload_pipeline *pl = txcsum_pipeline(0, &w, NULL);

		ck_assert(l4_verifies(frame, &seg, 17));
		tx(pl, frame, n, OFFLOAD_CSUM_NONE);
		ck_assert(!memcmp(w.data, orig, n));
		ck_assert(!w.changed);

		tf_put16(frame + seg.l4_off + 6, naive_pseudo(&seg, 17, seg.tcp_len, true));
		tx(pl, frame, n, OFFLOAD_CSUM_NONE);
		ck_assert_msg(!memcmp(w.data, orig, n), "spec %zu", k);
		ck_assert_int_eq(w.csum, OFFLOAD_CSUM_COMPLETE);
		ck_assert(w.changed);

		tf_put16(frame + seg.l4_off + 6, 0x5555);
		tx(pl, frame, n, OFFLOAD_CSUM_PARTIAL);
		ck_assert(!memcmp(w.data, orig, n));
		offload_pipeline_free(pl);
	}
}
END_TEST

START_TEST(udp_without_checksum_and_other_frames_untouched)
{
	static struct wire w;
	struct md5sig_seg seg;
	size_t n = build_udp(&specs[0], &seg);
	struct offload_pipeline *pl = txcsum_pipeline(0, &w, NULL);

	/* IPv4 UDP checksum 0: the sender chose none (RFC 768) */
	tf_put16(frame + seg.l4_off + 6, 0);
	memcpy(orig, frame, n);
	tx(pl, frame, n, OFFLOAD_CSUM_NONE);
	ck_assert(!memcmp(w.data, orig, n));
	ck_assert(!w.changed);

	/* ARP, and an IPv4 fragment of UDP: nothing to complete */
	frame[12] = 0x08;
	frame[13] = 0x06;
	memcpy(orig, frame, n);
	tx(pl, frame, n, OFFLOAD_CSUM_PARTIAL);
	ck_assert(!memcmp(w.data, orig, n));
	ck_assert(!w.changed);

	n = build_udp(&specs[0], &seg);
	tf_put16(frame + seg.l4_off + 6, 0x5555);
	frame[seg.l3_off + 6] = 0x20; /* MF */
	memcpy(orig, frame, n);
	tx(pl, frame, n, OFFLOAD_CSUM_PARTIAL);
	ck_assert(!memcmp(w.data, orig, n));
	offload_pipeline_free(pl);
}
END_TEST

Suite *suite_txcsum(void)
{
	Suite *s = suite_create("txcsum");
	TCase *csum = tcase_create("csum");
	TCase *stage = tcase_create("stage");

	tcase_set_timeout(csum, 60);
	tcase_add_test(csum, partial_matches_naive_reference);
	tcase_add_test(csum, pieces_sum_to_the_whole);
	tcase_add_test(csum, large_seeds_keep_their_carry);
	tcase_add_test(csum, pseudo_header_matches_naive);
	tcase_add_test(csum, tcp_fill_and_ipv4_header_match_the_builder);
	tcase_add_test(csum, classify_each_state);
	suite_add_tcase(s, csum);

	tcase_set_timeout(stage, 60);
	tcase_add_test(stage, partial_checksums_completed);
	tcase_add_test(stage, seed_not_trusted);
	tcase_add_test(stage, complete_and_bad_untouched);
	tcase_add_test(stage, signed_frames_stay_valid);
	tcase_add_test(stage, udp_partial_completed);
	tcase_add_test(stage, udp_without_checksum_and_other_frames_untouched);
	suite_add_tcase(s, stage);
	return s;
}
