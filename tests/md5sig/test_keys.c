// SPDX-License-Identifier: GPL-2.0-or-later
/* Key table: key-file lines, Linux lookup semantics, secrets never in error text. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <check.h>

#include "md5sig/md5sig.h"
#include "tests/suites.h"

static struct md5sig_seg seg_between(const char *s, const char *d)
{
	struct md5sig_seg seg = {.md5_off = -1};
	int fam = strchr(s, ':') ? AF_INET6 : AF_INET;

	seg.family = (uint8_t)fam;
	ck_assert_int_eq(inet_pton(fam, s, seg.saddr), 1);
	ck_assert_int_eq(inet_pton(fam, d, seg.daddr), 1);
	return seg;
}

static int add(struct md5sig_keytab *kt, const char *line)
{
	const char *why = NULL;
	return md5sig_keytab_parse_line(kt, line, &why);
}

static unsigned key_len_for(struct md5sig_keytab *kt, const char *s, const char *d)
{
	struct md5sig_seg seg = seg_between(s, d);
	const struct md5sig_key *k = md5sig_keytab_lookup(kt, &seg);
	return k ? k->len : 0;
}

START_TEST(lines_accepted)
{
	struct md5sig_keytab *kt = md5sig_keytab_new();

	ck_assert_int_eq(add(kt, "# a comment\n"), 0);
	ck_assert_int_eq(add(kt, "   \n"), 0);
	ck_assert_int_eq(add(kt, ""), 0);
	ck_assert_int_eq(add(kt, "192.0.2.1 a\n"), 0);
	ck_assert_int_eq(add(kt, "\t198.51.100.0/24   bb\r\n"), 0);
	ck_assert_int_eq(add(kt, "2001:db8::/32 ccc"), 0);
	ck_assert_int_eq(add(kt, "2001:db8::7 hex:00ff00ff"), 0);
	ck_assert_int_eq(add(kt, "* wildcardkey"), 0);
	ck_assert_uint_eq(md5sig_keytab_count(kt), 5);

	char desc[64];
	unsigned kl;
	ck_assert_int_eq(md5sig_keytab_describe(kt, 1, desc, sizeof(desc), &kl), 0);
	ck_assert_str_eq(desc, "198.51.100.0/24");
	ck_assert_uint_eq(kl, 2);
	ck_assert_int_eq(md5sig_keytab_describe(kt, 4, desc, sizeof(desc), &kl), 0);
	ck_assert_str_eq(desc, "*");
	ck_assert_int_eq(md5sig_keytab_describe(kt, 5, desc, sizeof(desc), &kl), -ENOENT);

	/* binary secret decoded, NUL bytes included */
	struct md5sig_seg seg = seg_between("2001:db8::7", "2001:db8::1");
	const struct md5sig_key *k = md5sig_keytab_lookup(kt, &seg);
	ck_assert_ptr_nonnull(k);
	ck_assert_uint_eq(k->len, 4);
	ck_assert(!memcmp(k->bytes, "\x00\xff\x00\xff", 4));
	md5sig_keytab_free(kt);
}
END_TEST

START_TEST(lines_rejected_without_the_secret)
{
	static const char *bad[] = {
		"192.0.2.1",
		"192.0.2.1 two words",
		"192.0.2.300 s3cr3t",
		"192.0.2.0/33 s3cr3t",
		"2001:db8::/129 s3cr3t",
		"192.0.2.0/ s3cr3t",
		"192.0.2.0/2x s3cr3t",
		"host.example s3cr3t",
		"192.0.2.1 hex:abc",
		"192.0.2.1 hex:zz",
		"192.0.2.1 hex:",
		"192.0.2.1 "
		"s3cr3t00001111222233334444555566667777888899990000111122223333444455556666777788889",
	};
	struct md5sig_keytab *kt = md5sig_keytab_new();

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *why = NULL;
		ck_assert_msg(md5sig_keytab_parse_line(kt, bad[i], &why) == -EINVAL, "%zu", i);
		ck_assert_ptr_nonnull(why);
		ck_assert_msg(!strstr(why, "s3cr3t") && !strstr(why, "words"), "%s", why);
	}
	ck_assert_uint_eq(md5sig_keytab_count(kt), 0);
	/* exactly 80 bytes is the Linux maximum and accepted */
	char line[128] = "192.0.2.1 ";
	memset(line + strlen(line), 'k', 80);
	ck_assert_int_eq(add(kt, line), 0);
	md5sig_keytab_free(kt);
}
END_TEST

START_TEST(most_specific_wins)
{
	struct md5sig_keytab *kt = md5sig_keytab_new();

	add(kt, "* k");			/* 1 */
	add(kt, "192.0.2.0/24 kk");	/* 2 */
	add(kt, "192.0.2.128/25 kkk");	/* 3 */
	add(kt, "192.0.2.200 kkkk");	/* 4 */
	add(kt, "2001:db8::/32 kkkkk"); /* 5 */

	ck_assert_uint_eq(key_len_for(kt, "192.0.2.1", "203.0.113.1"), 2);
	ck_assert_uint_eq(key_len_for(kt, "192.0.2.129", "203.0.113.1"), 3);
	ck_assert_uint_eq(key_len_for(kt, "192.0.2.200", "203.0.113.1"), 4);
	/* either endpoint: the more specific one wins, direction does not matter */
	ck_assert_uint_eq(key_len_for(kt, "192.0.2.1", "192.0.2.200"), 4);
	ck_assert_uint_eq(key_len_for(kt, "192.0.2.200", "192.0.2.1"), 4);
	ck_assert_uint_eq(key_len_for(kt, "203.0.113.1", "198.51.100.1"), 1);
	ck_assert_uint_eq(key_len_for(kt, "2001:db8:1::1", "2001:db9::1"), 5);
	ck_assert_uint_eq(key_len_for(kt, "2001:db9::1", "2001:dba::1"), 1);
	md5sig_keytab_free(kt);

	/* no wildcard: unrelated peers have no key; a file naming the same peer again with
	 * another secret is refused (one_peer_two_secrets), md5sig_keytab_add() replaces */
	kt = md5sig_keytab_new();
	add(kt, "192.0.2.1 a");
	ck_assert_int_eq(add(kt, "192.0.2.1/32 abc"), -EEXIST);
	struct md5sig_key k = {.len = 3, .bytes = "abc"};
	uint8_t a[4] = {192, 0, 2, 1};
	ck_assert_int_eq(md5sig_keytab_add(kt, AF_INET, a, 32, &k), 0);
	ck_assert_uint_eq(md5sig_keytab_count(kt), 1);
	ck_assert_uint_eq(key_len_for(kt, "192.0.2.1", "192.0.2.2"), 3);
	ck_assert_uint_eq(key_len_for(kt, "192.0.2.3", "192.0.2.2"), 0);
	/* tie between source and destination entries: the source's is taken */
	add(kt, "192.0.2.2 abcdef");
	ck_assert_uint_eq(key_len_for(kt, "192.0.2.1", "192.0.2.2"), 3);
	ck_assert_uint_eq(key_len_for(kt, "192.0.2.2", "192.0.2.1"), 6);
	md5sig_keytab_free(kt);
}
END_TEST

START_TEST(prefix_bits_past_the_mask_are_ignored)
{
	struct md5sig_keytab *kt = md5sig_keytab_new();

	add(kt, "192.0.2.77/26 abc"); /* = 192.0.2.64/26 */
	ck_assert_uint_eq(key_len_for(kt, "192.0.2.64", "203.0.113.9"), 3);
	ck_assert_uint_eq(key_len_for(kt, "192.0.2.127", "203.0.113.9"), 3);
	ck_assert_uint_eq(key_len_for(kt, "192.0.2.128", "203.0.113.9"), 0);
	ck_assert_uint_eq(key_len_for(kt, "192.0.2.63", "203.0.113.9"), 0);
	char d[64];
	unsigned kl;
	md5sig_keytab_describe(kt, 0, d, sizeof(d), &kl);
	ck_assert_str_eq(d, "192.0.2.64/26");
	md5sig_keytab_free(kt);
}
END_TEST

START_TEST(v4_mapped_is_ipv4)
{
	struct md5sig_keytab *kt = md5sig_keytab_new();
	const char *why = NULL;
	char d[64];
	unsigned kl;

	/* Linux's TCP_MD5SIG keys a v4-mapped address as AF_INET, its prefix in IPv4 bits */
	ck_assert_int_eq(add(kt, "::ffff:192.0.2.1 abc"), 0);
	ck_assert_int_eq(add(kt, "::ffff:198.51.100.0/24 abcd"), 0);
	ck_assert_uint_eq(key_len_for(kt, "192.0.2.1", "203.0.113.9"), 3);
	ck_assert_uint_eq(key_len_for(kt, "203.0.113.9", "198.51.100.77"), 4);
	ck_assert_uint_eq(key_len_for(kt, "2001:db8::1", "2001:db8::2"), 0);
	md5sig_keytab_describe(kt, 1, d, sizeof(d), &kl);
	ck_assert_str_eq(d, "198.51.100.0/24");
	ck_assert_int_eq(md5sig_keytab_parse_line(kt, "::ffff:192.0.2.0/120 abc", &why), -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "IPv4"));
	/* the same peer as the IPv4 line: one entry */
	ck_assert_int_eq(add(kt, "192.0.2.1 abc"), 0);
	ck_assert_uint_eq(md5sig_keytab_count(kt), 2);
	md5sig_keytab_free(kt);
}
END_TEST

START_TEST(one_peer_two_secrets)
{
	struct md5sig_keytab *kt = md5sig_keytab_new();
	const char *why = NULL;
	unsigned earlier = 99;

	ck_assert_int_eq(md5sig_keytab_parse_line_at(kt, "192.0.2.0/24 first", 3, &why, &earlier),
			 0);
	/* the same secret again is harmless; host bits past the prefix name the same peer */
	ck_assert_int_eq(md5sig_keytab_parse_line_at(kt, "192.0.2.9/24 first", 4, &why, &earlier),
			 0);
	ck_assert_int_eq(md5sig_keytab_parse_line_at(kt, "192.0.2.1/24 bravo", 7, &why, &earlier),
			 -EEXIST);
	ck_assert_uint_eq(earlier, 3);
	ck_assert_ptr_null(strstr(why, "bravo"));
	ck_assert_int_eq(md5sig_keytab_parse_line_at(kt, "* a", 8, &why, &earlier), 0);
	ck_assert_int_eq(md5sig_keytab_parse_line_at(kt, "* b", 9, &why, &earlier), -EEXIST);
	ck_assert_uint_eq(earlier, 8);
	/* another prefix length is another entry, as in Linux */
	ck_assert_int_eq(md5sig_keytab_parse_line_at(kt, "192.0.2.1 bravo", 10, &why, &earlier), 0);
	ck_assert_uint_eq(md5sig_keytab_count(kt), 3);
	ck_assert_uint_eq(key_len_for(kt, "192.0.2.7", "203.0.113.9"), 5);
	md5sig_keytab_free(kt);
}
END_TEST

Suite *suite_keys(void)
{
	Suite *s = suite_create("keys");
	TCase *tc = tcase_create("keys");

	tcase_add_test(tc, lines_accepted);
	tcase_add_test(tc, lines_rejected_without_the_secret);
	tcase_add_test(tc, most_specific_wins);
	tcase_add_test(tc, prefix_bits_past_the_mask_are_ignored);
	tcase_add_test(tc, v4_mapped_is_ipv4);
	tcase_add_test(tc, one_peer_two_secrets);
	suite_add_tcase(s, tc);
	return s;
}
