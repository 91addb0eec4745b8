// SPDX-License-Identifier: GPL-2.0-or-later
/* RFC 2385 digests: against a naive reference and golden values, and every verdict. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <check.h>
#include <openssl/evp.h>

#include "md5sig/md5sig.h"
#include "tests/suites.h"
#include "tests/support/frames.h"

static uint8_t buf[70000];

/*
 * Naive reference: lay the RFC 2385 §2.0 input out in one buffer, straight from the wire
 * bytes, and hash it with the one-shot EVP_Digest.
 */
static void reference_digest(const uint8_t *f, size_t l3, int fam, size_t l4, size_t seglen,
			     const struct md5sig_key *k, uint8_t out[16])
{
	static uint8_t msg[70000 + 200];
	size_t n = 0;

	if (fam == AF_INET) {
		memcpy(msg, f + l3 + 12, 8);
		msg[8] = 0;
		msg[9] = 6;
		msg[10] = (uint8_t)(seglen >> 8);
		msg[11] = (uint8_t)seglen;
		n = 12;
	} else {
		memcpy(msg, f + l3 + 8, 32);
		msg[32] = (uint8_t)(seglen >> 24);
		msg[33] = (uint8_t)(seglen >> 16);
		msg[34] = (uint8_t)(seglen >> 8);
		msg[35] = (uint8_t)seglen;
		msg[36] = msg[37] = msg[38] = 0;
		msg[39] = 6;
		n = 40;
	}
	memcpy(msg + n, f + l4, 20);
	msg[n + 16] = msg[n + 17] = 0;
	n += 20;
	size_t thlen = (size_t)(f[l4 + 12] >> 4) * 4;
	memcpy(msg + n, f + l4 + thlen, seglen - thlen);
	n += seglen - thlen;
	memcpy(msg + n, k->bytes, k->len);
	n += k->len;
	unsigned int ol;
	ck_assert(EVP_Digest(msg, n, out, &ol, EVP_md5(), NULL));
}

START_TEST(matches_naive_reference)
{
	struct md5sig_hasher *h = md5sig_hasher_new();
	struct md5sig_key k = tf_key("reference-key");
	static const size_t sizes[] = {0, 1, 55, 56, 63, 64, 65, 1448, 8948, 65000};

	for (int fam = 0; fam < 2; fam++) {
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			struct tf_spec s = {.family = fam ? AF_INET6 : AF_INET,
					    .md5 = true,
					    .plen = sizes[i],
					    .seq = (uint32_t)i * 7919,
					    .ipv6_dstopts = fam ? 8 * (i % 3) : 0,
					    .ipv4_opts = fam ? 0 : 4 * (i % 3)};
			struct md5sig_seg seg;
			uint8_t d[16], r[16];
			size_t n = tf_build(&s, buf, sizeof(buf));

			if (fam && sizes[i] > 60000)
				continue;
			ck_assert_uint_gt(n, 0);
			ck_assert_int_eq(md5sig_parse(1, buf, n, &seg), MD5SIG_TCP);
			ck_assert_int_eq(md5sig_digest(h, buf, &seg, &k, d), 0);
			reference_digest(buf, seg.l3_off, seg.family, seg.l4_off, n - seg.l4_off,
					 &k, r);
			ck_assert_msg(!memcmp(d, r, 16), "family %d size %zu", fam, sizes[i]);
		}
	}
	md5sig_hasher_free(h);
}
END_TEST

/*
 * Golden value computed outside this code base: Python's hashlib.md5 over the RFC 2385 input
 * assembled field by field with struct.pack (not from these bytes) for this exact frame (tf_build defaults: 192.0.2.1.40000 > 192.0.2.2.179, seq 1, ack 2,
 * ACK|PSH, window 502, data offset 10 (MD5 option), payload "BGP-KEEPALIVE", key "golden").
 */
START_TEST(golden_ipv4)
{
	struct md5sig_hasher *h = md5sig_hasher_new();
	struct md5sig_key k = tf_key("golden");
	struct tf_spec s = {.md5 = true,
			    .seq = 1,
			    .ack = 2,
			    .payload = (const uint8_t *)"BGP-KEEPALIVE",
			    .plen = 13};
	static const uint8_t want[16] = {0x45, 0x9b, 0xf3, 0xe7, 0xa0, 0x96, 0x3a, 0xb9,
					 0xa1, 0x85, 0x56, 0xe3, 0xaa, 0xb8, 0x31, 0x8c};
	struct md5sig_seg seg;
	uint8_t d[16];
	size_t n = tf_build(&s, buf, sizeof(buf));

	ck_assert_int_eq(md5sig_parse(1, buf, n, &seg), MD5SIG_TCP);
	ck_assert_int_eq(md5sig_digest(h, buf, &seg, &k, d), 0);
	ck_assert(!memcmp(d, want, 16));
	md5sig_hasher_free(h);
}
END_TEST

static enum md5sig_verdict verdict(struct md5sig_keytab *kt, const uint8_t *f, size_t n)
{
	struct md5sig_hasher *h = md5sig_hasher_new();
	struct md5sig_seg seg;
	enum md5sig_status st = md5sig_parse(1, f, n, &seg);
	enum md5sig_verdict v = md5sig_classify(h, kt, f, st, &seg);
	md5sig_hasher_free(h);
	return v;
}

START_TEST(every_verdict)
{
	struct md5sig_keytab *kt = md5sig_keytab_new();
	struct md5sig_keytab *none = md5sig_keytab_new();
	struct md5sig_key k = tf_key("s3cr3t");
	struct tf_spec sig = {.md5 = true, .plen = 100};
	struct tf_spec plain = {.plen = 100};
	const char *why;
	size_t n;

	md5sig_keytab_parse_line(kt, "192.0.2.2 s3cr3t", &why);
	n = tf_build_signed(&sig, &k, buf, sizeof(buf));
	ck_assert_int_eq(verdict(kt, buf, n), MD5SIG_VALID);
	ck_assert_int_eq(verdict(none, buf, n), MD5SIG_UNEXPECTED);
	buf[n - 1] ^= 1;
	ck_assert_int_eq(verdict(kt, buf, n), MD5SIG_INVALID);

	n = tf_build(&plain, buf, sizeof(buf));
	ck_assert_int_eq(verdict(kt, buf, n), MD5SIG_MISSING);
	ck_assert_int_eq(verdict(none, buf, n), MD5SIG_UNSIGNED);
	ck_assert_int_eq(verdict(kt, buf, 30), MD5SIG_MALFORMED);
	md5sig_keytab_free(kt);
	md5sig_keytab_free(none);
}
END_TEST

/* md5sig_verify(), beneath every verdict: each of its answers */
START_TEST(verify_answers)
{
	struct md5sig_hasher *h = md5sig_hasher_new();
	struct md5sig_key k = tf_key("s3cr3t"), other = tf_key("s3cr3T");
	struct tf_spec sig = {.md5 = true, .plen = 100};
	struct tf_spec plain = {.plen = 100};
	struct md5sig_seg seg;
	size_t n = tf_build_signed(&sig, &k, buf, sizeof(buf));

	ck_assert_int_eq(md5sig_parse(1, buf, n, &seg), MD5SIG_TCP);
	ck_assert_int_eq(md5sig_verify(h, buf, &seg, &k), 0);
	ck_assert_int_eq(md5sig_verify(h, buf, &seg, &other), -EBADMSG);
	buf[seg.md5_off + 15] ^= 0x80; /* the digest's last byte */
	ck_assert_int_eq(md5sig_verify(h, buf, &seg, &k), -EBADMSG);
	n = tf_build(&plain, buf, sizeof(buf));
	ck_assert_int_eq(md5sig_parse(1, buf, n, &seg), MD5SIG_TCP);
	ck_assert_int_eq(md5sig_verify(h, buf, &seg, &k), -ENOENT);
	md5sig_hasher_free(h);
}
END_TEST

/* RFC 2385 covers seq, ack, flags, window, urgent pointer, data offset, length, payload... */
START_TEST(covered_and_uncovered_fields)
{
	struct md5sig_keytab *kt = md5sig_keytab_new();
	struct md5sig_key k = tf_key("s3cr3t");
	struct tf_spec s = {.md5 = true, .plen = 64, .vlans = 1};
	const char *why;
	static uint8_t orig[256];
	size_t n = tf_build_signed(&s, &k, orig, sizeof(orig));
	enum { ip = 18, tcp = ip + 20 };
	static const struct {
		size_t off;
		bool covered;
	} fields[] = {
		{0, false},	   /* destination MAC */
		{15, false},	   /* VLAN ID */
		{ip + 1, false},   /* DSCP/ECN */
		{ip + 5, false},   /* IP ID */
		{ip + 8, false},   /* TTL */
		{ip + 11, false},  /* IP header checksum */
		{ip + 15, true},   /* source address */
		{ip + 19, true},   /* destination address */
		{tcp + 1, true},   /* source port */
		{tcp + 7, true},   /* seq */
		{tcp + 11, true},  /* ack */
		{tcp + 13, true},  /* flags */
		{tcp + 15, true},  /* window */
		{tcp + 17, false}, /* TCP checksum */
		{tcp + 19, true},  /* urgent pointer */
		{tcp + 40, true},  /* payload */
	};

	md5sig_keytab_parse_line(kt, "* s3cr3t", &why);
	ck_assert_int_eq(verdict(kt, orig, n), MD5SIG_VALID);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		memcpy(buf, orig, n);
		buf[fields[i].off] ^= 0x01;
		ck_assert_msg(verdict(kt, buf, n) ==
				      (fields[i].covered ? MD5SIG_INVALID : MD5SIG_VALID),
			      "byte %zu", fields[i].off);
	}
	md5sig_keytab_free(kt);
}
END_TEST

Suite *suite_digest(void)
{
	Suite *s = suite_create("digest");
	TCase *tc = tcase_create("digest");

	tcase_add_test(tc, matches_naive_reference);
	tcase_add_test(tc, golden_ipv4);
	tcase_add_test(tc, every_verdict);
	tcase_add_test(tc, verify_answers);
	tcase_add_test(tc, covered_and_uncovered_fields);
	suite_add_tcase(s, tc);
	return s;
}
