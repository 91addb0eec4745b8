// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TCP-AO: the 32 RFC 9235 vectors (KDF and MAC), `ao` key lines, the option, every verdict, a
 * change of each covered field, the SNE across a wrap, and the traffic-key cache.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <check.h>
#include <openssl/evp.h>

#include "md5sig/md5sig.h"
#include "tests/suites.h"
#include "tests/support/frames.h"

static uint8_t buf[70000];

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = strlen(s) / 2;

	ck_assert_uint_le(n, cap);
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		ck_assert_int_eq(sscanf(s + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n;
}

static struct md5sig_ao_mkt mkt_from(const char *line)
{
	struct md5sig_ao_mkt m;
	const char *why = NULL;

	ck_assert_msg(md5sig_ao_mkt_parse(line, &m, &why) == 0, "%s: %s", line, why);
	return m;
}

/* ---- RFC 9235 ---- */

struct vec {
	char section[16], dir[16], alg[24], opts[8];
	uint32_t sisn, disn;
	uint8_t tkey[32], mac[12], pkt[256];
	size_t tkey_len, pkt_len;
};

static size_t load_vectors(struct vec *v, size_t cap)
{
	FILE *f = fopen(TEST_DATA_DIR "/rfc9235-tcp-ao.tsv", "r");
	char line[2048], tk[80], mac[40], pkt[600];
	size_t n = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		ck_assert_uint_lt(n, cap);
		struct vec *x = &v[n++];
		ck_assert_int_eq(sscanf(line, "%15s %15s %23s %7s %x,%x %79s %39s %599s",
					x->section, x->dir, x->alg, x->opts, &x->sisn, &x->disn, tk,
					mac, pkt),
				 9);
		x->tkey_len = unhex(tk, x->tkey, sizeof(x->tkey));
		ck_assert_uint_eq(unhex(mac, x->mac, sizeof(x->mac)), 12);
		x->pkt_len = unhex(pkt, x->pkt, sizeof(x->pkt));
	}
	fclose(f);
	return n;
}

static struct md5sig_ao_mkt vec_mkt(const struct vec *x, const char *peer, const char *ids)
{
	char line[160];

	snprintf(line, sizeof(line), "ao %s %s %s %s testvector", peer, ids, x->alg,
		 strcmp(x->opts, "omits") ? "" : "exclude-options");
	return mkt_from(line);
}

START_TEST(rfc9235_kdf_and_mac)
{
	static struct vec v[40];
	size_t n = load_vectors(v, 40);
	struct md5sig_ao_verifier *ver = md5sig_ao_verifier_new(NULL, 16);
	unsigned algs[2] = {0}, fams[2] = {0}, excl[2] = {0};

	ck_assert_uint_eq(n, 32);
	for (size_t i = 0; i < n; i++) {
		const struct vec *x = &v[i];
		struct md5sig_ao_mkt m = vec_mkt(x, "*", "61:84");
		struct md5sig_seg seg;
		struct md5sig_ao_opt opt;
		struct md5sig_ao_tkey tk;
		uint8_t mac[MD5SIG_AO_MAC_MAX];

		ck_assert_int_eq(md5sig_parse(MD5SIG_LINK_RAW, x->pkt, x->pkt_len, &seg),
				 MD5SIG_TCP);
		ck_assert_int_eq(md5sig_ao_opt_find(x->pkt, &seg, &opt), MD5SIG_AO_OPT_OK);
		ck_assert_int_eq(md5sig_ao_traffic_key(ver, &m, &seg, x->sisn, x->disn, &tk), 0);
		ck_assert_msg(tk.len == x->tkey_len && !memcmp(tk.bytes, x->tkey, tk.len),
			      "%s: traffic key", x->section);
		ck_assert_int_eq(md5sig_ao_mac(ver, &m, &tk, x->pkt, &seg, &opt, 0, mac), 0);
		ck_assert_msg(!memcmp(mac, x->mac, 12), "%s: MAC", x->section);
		ck_assert_msg(!memcmp(x->pkt + opt.off + 4, x->mac, 12), "%s: MAC on the wire",
			      x->section);
		algs[m.alg == MD5SIG_AO_AES_128_CMAC_96]++;
		fams[seg.family == AF_INET6]++;
		excl[m.exclude_opts]++;
	}
	/* both algorithms, both families, options covered and omitted */
	ck_assert_uint_eq(algs[0], 16);
	ck_assert_uint_eq(fams[0], 16);
	ck_assert_uint_eq(excl[0], 16);
	md5sig_ao_verifier_free(ver);
}
END_TEST

/* The vectors through the verdict path, with the client's MKT and with the server's. */
START_TEST(rfc9235_verdicts_from_either_view)
{
	static struct vec v[40];
	size_t n = load_vectors(v, 40);

	for (int view = 0; view < 2; view++) {
		for (size_t i = 0; i < n; i++) {
			const struct vec *x = &v[i];
			bool v6 = (x->pkt[0] >> 4) == 6;
			const char *client = v6 ? "fd00::1" : "10.11.12.13";
			const char *server = v6 ? "fd00::2" : "172.27.28.29";
			struct md5sig_ao_mkt m =
				view ? vec_mkt(x, client, "84:61") : vec_mkt(x, server, "61:84");
			struct md5sig_aotab *t = md5sig_aotab_new();
			struct md5sig_ao_isns isns = {x->sisn, x->disn};
			struct md5sig_seg seg;

			ck_assert_int_eq(md5sig_aotab_add(t, &m), 0);
			struct md5sig_ao_verifier *ver = md5sig_ao_verifier_new(t, 8);
			enum md5sig_status st =
				md5sig_parse(MD5SIG_LINK_RAW, x->pkt, x->pkt_len, &seg);
			ck_assert_msg(md5sig_ao_classify(ver, x->pkt, st, &seg, &isns, 0, NULL) ==
					      MD5SIG_AO_VALID,
				      "%s view %d", x->section, view);
			/* SYN and SYN-ACK carry their own ISNs */
			if (!strstr(x->dir, "non-SYN"))
				ck_assert_int_eq(
					md5sig_ao_classify(ver, x->pkt, st, &seg, NULL, 0, NULL),
					MD5SIG_AO_VALID);
			else
				ck_assert_int_eq(
					md5sig_ao_classify(ver, x->pkt, st, &seg, NULL, 0, NULL),
					MD5SIG_AO_NO_ISN);
			md5sig_ao_verifier_free(ver);
			md5sig_aotab_free(t);
		}
	}
}
END_TEST

/* ---- key lines ---- */

START_TEST(lines_accepted)
{
	struct md5sig_ao_mkt m;
	char d[96];
	unsigned kl;

	m = mkt_from("ao 192.0.2.2 1:2 hmac-sha-1-96 s3cr3t\n");
	ck_assert_int_eq(m.family, AF_INET);
	ck_assert_uint_eq(m.prefix, 32);
	ck_assert_uint_eq(m.sendid, 1);
	ck_assert_uint_eq(m.recvid, 2);
	ck_assert_uint_eq(m.alg, MD5SIG_AO_HMAC_SHA1_96);
	ck_assert_uint_eq(m.maclen, 12);
	ck_assert(!m.exclude_opts);
	ck_assert_uint_eq(m.keylen, 6);
	ck_assert(!memcmp(m.key, "s3cr3t", 6));
	md5sig_ao_mkt_describe(&m, d, sizeof(d), &kl);
	ck_assert_str_eq(d, "192.0.2.2/32 1:2 hmac-sha-1-96");
	ck_assert_uint_eq(kl, 6);

	m = mkt_from("\tao  2001:db8::ff/32 0:255 AES-128-CMAC-96 exclude-options hex:00ff10\r\n");
	ck_assert_int_eq(m.family, AF_INET6);
	ck_assert_uint_eq(m.prefix, 32);
	ck_assert_uint_eq(m.addr[15], 0); /* host bits cleared */
	ck_assert_uint_eq(m.sendid, 0);
	ck_assert_uint_eq(m.recvid, 255);
	ck_assert_uint_eq(m.alg, MD5SIG_AO_AES_128_CMAC_96);
	ck_assert(m.exclude_opts);
	ck_assert_uint_eq(m.keylen, 3);
	ck_assert_uint_eq(m.key[0], 0);
	md5sig_ao_mkt_describe(&m, d, sizeof(d), &kl);
	ck_assert_str_eq(d, "2001:db8::/32 0:255 aes-128-cmac-96 exclude-options");

	m = mkt_from("ao * 7:7 hmac-sha-256-128 k");
	ck_assert_int_eq(m.family, AF_UNSPEC);
	ck_assert_uint_eq(m.alg, MD5SIG_AO_HMAC_SHA256);
	ck_assert_uint_eq(m.maclen, 16);
	md5sig_ao_mkt_describe(&m, d, sizeof(d), &kl);
	ck_assert_str_eq(d, "* 7:7 hmac-sha-256-128");
	m = mkt_from("ao 198.51.100.0/24 007:10 hmac-sha-256-96 k");
	ck_assert_uint_eq(m.maclen, 12);
	ck_assert_uint_eq(m.sendid, 7);

	/* 80 bytes is the limit, as in Linux */
	char line[256];
	snprintf(line, sizeof(line), "ao 192.0.2.2 1:1 hmac-sha-1-96 %080d", 0);
	m = mkt_from(line);
	ck_assert_uint_eq(m.keylen, 80);

	/* what the table takes */
	ck_assert(md5sig_ao_mkt_valid(&m));
	m.maclen = 17;
	ck_assert(!md5sig_ao_mkt_valid(&m));
	m = mkt_from("ao 192.0.2.2 1:1 aes-128-cmac-96 k");
	m.maclen = 16;
	ck_assert(!md5sig_ao_mkt_valid(&m));
	m.maclen = 12;
	m.prefix = 33;
	ck_assert(!md5sig_ao_mkt_valid(&m));

	ck_assert(md5sig_ao_line("  ao 192.0.2.1 1:1 x y"));
	ck_assert(!md5sig_ao_line("aox 192.0.2.1 s"));
	ck_assert(!md5sig_ao_line("192.0.2.1 ao"));
	ck_assert(!md5sig_ao_line(""));
}
END_TEST

START_TEST(lines_rejected_with_a_reason_and_without_the_secret)
{
	static const struct {
		const char *line, *why;
	} bad[] = {
		{"ao 192.0.2.2 1:2 hmac-md5-96 TOPSECRET", "unknown algorithm"},
		{"ao 192.0.2.2 1:2 hmac-sha-1-97 TOPSECRET", "unknown algorithm"},
		{"ao 192.0.2.2 1:2 hmac-sha-256-7 TOPSECRET", "multiple of 8"},
		{"ao 192.0.2.2 1:2 hmac-sha-256-136 TOPSECRET", "multiple of 8"},
		{"ao 192.0.2.2 1:2 hmac-sha-256-x TOPSECRET", "multiple of 8"},
		{"ao 192.0.2.2 1:256 hmac-sha-1-96 TOPSECRET", "KeyID outside 0-255"},
		{"ao 192.0.2.2 1000:1 hmac-sha-1-96 TOPSECRET", "KeyID outside 0-255"},
		{"ao 192.0.2.2 99999999999:1 hmac-sha-1-96 TOPSECRET", "KeyID outside 0-255"},
		{"ao 192.0.2.2 1-2 hmac-sha-1-96 TOPSECRET", "SENDID:RECVID"},
		{"ao 192.0.2.2 1: hmac-sha-1-96 TOPSECRET", "SENDID:RECVID"},
		{"ao 192.0.2.2 :2 hmac-sha-1-96 TOPSECRET", "SENDID:RECVID"},
		{"ao 192.0.2.2 1:2:3 hmac-sha-1-96 TOPSECRET", "SENDID:RECVID"},
		{"ao 192.0.2.2 a:b hmac-sha-1-96 TOPSECRET", "SENDID:RECVID"},
		{"ao 192.0.2.2 -1:2 hmac-sha-1-96 TOPSECRET", "SENDID:RECVID"},
		{"ao 192.0.2.2 1:2 hmac-sha-1-96 exclude-option TOPSECRET", "exclude-options"},
		{"ao 192.0.2.2 1:2 hmac-sha-1-96 exclude_options TOPSECRET", "exclude-options"},
		{"ao 192.0.2.2 1:2 hmac-sha-1-96 exclude-options", "missing secret"},
		{"ao 192.0.2.2 1:2 hmac-sha-1-96", "missing secret"},
		{"ao 192.0.2.2", "missing secret"},
		{"ao", "missing secret"},
		{"ao 192.0.2.2 1:2 hmac-sha-1-96 TOPSECRET trailing", "one token"},
		{"ao 192.0.2.2 1:2 hmac-sha-1-96 exclude-options TOPSECRET x",
		 "text after the secret"},
		{"ao 192.0.2.999 1:2 hmac-sha-1-96 TOPSECRET", "bad peer address"},
		{"ao host.example 1:2 hmac-sha-1-96 TOPSECRET", "bad peer address"},
		{"ao 192.0.2.0/33 1:2 hmac-sha-1-96 TOPSECRET", "prefix length too long"},
		{"ao 2001:db8::/129 1:2 hmac-sha-1-96 TOPSECRET", "prefix length too long"},
		{"ao 192.0.2.0/ 1:2 hmac-sha-1-96 TOPSECRET", "bad prefix length"},
		{"ao 192.0.2.0/2x 1:2 hmac-sha-1-96 TOPSECRET", "bad prefix length"},
		{"ao 192.0.2.2 1:2 hmac-sha-1-96 hex:TOPSECRET0", "not a hex digit"},
		{"ao 192.0.2.2 1:2 hmac-sha-1-96 hex:ABC", "odd number"},
		{"ao 192.0.2.2 1:2 hmac-sha-1-96 hex:", "empty hex secret"},
		{"192.0.2.2 TOPSECRET", "not a TCP-AO line"},
	};
	char longsec[256], longhex[256];
	const char *why;
	struct md5sig_ao_mkt m;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		ck_assert_msg(md5sig_ao_mkt_parse(bad[i].line, &m, &why) == -EINVAL, "%s",
			      bad[i].line);
		ck_assert_ptr_nonnull(why);
		ck_assert_msg(strstr(why, bad[i].why), "%s: '%s'", bad[i].line, why);
		ck_assert_msg(!strstr(why, "TOPSECRET"), "secret in the reason");
		/* nothing of the secret is left behind */
		ck_assert_uint_eq(m.keylen, 0);
	}
	snprintf(longsec, sizeof(longsec), "ao 192.0.2.2 1:2 hmac-sha-1-96 %081d", 0);
	ck_assert_int_eq(md5sig_ao_mkt_parse(longsec, &m, &why), -EINVAL);
	ck_assert_str_eq(why, "secret longer than 80 bytes");
	snprintf(longhex, sizeof(longhex), "ao 192.0.2.2 1:2 aes-128-cmac-96 hex:%0162d", 0);
	ck_assert_int_eq(md5sig_ao_mkt_parse(longhex, &m, &why), -EINVAL);
	ck_assert_str_eq(why, "secret longer than 80 bytes");
}
END_TEST

START_TEST(table_rejects_overlapping_ids_and_keyfile_dispatches)
{
	struct md5sig_aotab *t = md5sig_aotab_new();
	const char *why;

	ck_assert_int_eq(md5sig_aotab_parse_line(t, "# comment", &why), 0);
	ck_assert_int_eq(md5sig_aotab_parse_line(t, "   ", &why), 0);
	ck_assert_int_eq(md5sig_aotab_parse_line(t, "ao 192.0.2.2 1:2 hmac-sha-1-96 a", &why), 0);
	ck_assert_int_eq(md5sig_aotab_parse_line(t, "ao 192.0.2.2 3:4 hmac-sha-1-96 b", &why), 0);
	/* RFC 5925 §3.1: IDs of one peer's MKTs must not overlap */
	ck_assert_int_eq(md5sig_aotab_parse_line(t, "ao 192.0.2.2 1:9 hmac-sha-1-96 c", &why),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "already uses"));
	ck_assert_int_eq(md5sig_aotab_parse_line(t, "ao 192.0.2.2 9:4 hmac-sha-1-96 c", &why),
			 -EINVAL);
	/* another peer may reuse them */
	ck_assert_int_eq(md5sig_aotab_parse_line(t, "ao 192.0.2.3 1:2 hmac-sha-1-96 c", &why), 0);
	ck_assert_uint_eq(md5sig_aotab_count(t), 3);
	ck_assert_ptr_nonnull(md5sig_aotab_get(t, 2));
	ck_assert_ptr_null(md5sig_aotab_get(t, 3));
	md5sig_aotab_free(t);

	/* a clash names the earlier line */
	unsigned earlier = 99;
	struct md5sig_aotab *t2 = md5sig_aotab_new();
	ck_assert_int_eq(md5sig_aotab_parse_line_at(t2, "ao 192.0.2.2 1:2 hmac-sha-1-96 a", 4, &why,
						    &earlier),
			 0);
	ck_assert_int_eq(md5sig_aotab_parse_line_at(t2, "ao 192.0.2.2 5:2 hmac-sha-1-96 b", 9, &why,
						    &earlier),
			 -EEXIST);
	ck_assert_uint_eq(earlier, 4);
	md5sig_aotab_free(t2);

	/* a key file mixes both forms; `ao` lines go to the AO table */
	struct md5sig_keytab *kt = md5sig_keytab_new();
	ck_assert_ptr_null(md5sig_keytab_ao(kt));
	ck_assert_int_eq(md5sig_keytab_parse_line(kt, "192.0.2.9 md5key", &why), 0);
	ck_assert_int_eq(md5sig_keytab_parse_line(kt, " ao 192.0.2.2 1:2 hmac-sha-1-96 a", &why),
			 0);
	ck_assert_int_eq(md5sig_keytab_parse_line(kt, "ao 192.0.2.2 1:2 hmac-sha-1-69 a", &why),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "unknown algorithm"));
	ck_assert_uint_eq(md5sig_keytab_count(kt), 1);
	ck_assert_uint_eq(md5sig_aotab_count(md5sig_keytab_ao(kt)), 1);
	md5sig_keytab_free(kt);
}
END_TEST

static struct md5sig_seg seg_between(const char *s, const char *d)
{
	struct md5sig_seg seg = {.md5_off = -1};
	int fam = strchr(s, ':') ? AF_INET6 : AF_INET;

	seg.family = (uint8_t)fam;
	ck_assert_int_eq(inet_pton(fam, s, seg.saddr), 1);
	ck_assert_int_eq(inet_pton(fam, d, seg.daddr), 1);
	return seg;
}

static int lookup(const struct md5sig_aotab *t, const char *s, const char *d, int keyid,
		  const char **secret)
{
	struct md5sig_seg seg = seg_between(s, d);
	const struct md5sig_ao_mkt *m = NULL;
	static char k[81];
	int r = md5sig_aotab_lookup(t, &seg, keyid, &m);

	if (!r) {
		memcpy(k, m->key, m->keylen);
		k[m->keylen] = 0;
		*secret = k;
	}
	return r;
}

START_TEST(lookup_by_endpoint_and_keyid)
{
	struct md5sig_aotab *t = md5sig_aotab_new();
	const char *why, *k = NULL;

	/* host 192.0.2.1's view: peer .2, rollover from MKT 1:2 to 3:4; a /24 fallback */
	md5sig_aotab_parse_line(t, "ao 192.0.2.2 1:2 hmac-sha-1-96 old", &why);
	md5sig_aotab_parse_line(t, "ao 192.0.2.2 3:4 hmac-sha-1-96 new", &why);
	md5sig_aotab_parse_line(t, "ao 198.51.100.0/24 5:5 hmac-sha-1-96 net", &why);
	md5sig_aotab_parse_line(t, "ao 198.51.100.7 6:6 hmac-sha-1-96 host", &why);

	/* towards the peer: SendID; from it: RecvID */
	ck_assert_int_eq(lookup(t, "192.0.2.1", "192.0.2.2", 1, &k), 0);
	ck_assert_str_eq(k, "old");
	ck_assert_int_eq(lookup(t, "192.0.2.2", "192.0.2.1", 2, &k), 0);
	ck_assert_str_eq(k, "old");
	ck_assert_int_eq(lookup(t, "192.0.2.1", "192.0.2.2", 3, &k), 0);
	ck_assert_str_eq(k, "new");
	ck_assert_int_eq(lookup(t, "192.0.2.2", "192.0.2.1", 4, &k), 0);
	ck_assert_str_eq(k, "new");
	/* a RecvID used towards the peer is no key of that direction */
	ck_assert_int_eq(lookup(t, "192.0.2.1", "192.0.2.2", 2, &k), -ENOKEY);
	ck_assert_int_eq(lookup(t, "192.0.2.2", "192.0.2.1", 1, &k), -ENOKEY);
	ck_assert_int_eq(lookup(t, "192.0.2.1", "192.0.2.2", 99, &k), -ENOKEY);
	ck_assert_int_eq(lookup(t, "192.0.2.1", "192.0.2.2", -1, &k), 0);
	/* nobody's peer */
	ck_assert_int_eq(lookup(t, "192.0.2.1", "192.0.2.3", -1, &k), -ENOENT);
	ck_assert_int_eq(lookup(t, "192.0.2.1", "192.0.2.3", 1, &k), -ENOENT);
	ck_assert_int_eq(lookup(t, "2001:db8::1", "2001:db8::2", 1, &k), -ENOENT);
	/* the KeyID picks among prefixes; the longest prefix first */
	ck_assert_int_eq(lookup(t, "198.51.100.7", "192.0.2.1", 5, &k), 0);
	ck_assert_str_eq(k, "net");
	ck_assert_int_eq(lookup(t, "198.51.100.7", "192.0.2.1", 6, &k), 0);
	ck_assert_str_eq(k, "host");
	ck_assert_int_eq(lookup(t, "198.51.100.7", "192.0.2.1", -1, &k), 0);
	ck_assert_str_eq(k, "host");
	ck_assert_int_eq(lookup(NULL, "198.51.100.7", "192.0.2.1", -1, &k), -ENOENT);
	md5sig_aotab_free(t);
}
END_TEST

/* ---- frames ---- */

/* Timestamps, then TCP-AO with a zero MAC of @maclen bytes. */
static size_t ao_frame(struct tf_spec *s, int keyid, uint8_t rnext, uint8_t maclen, uint8_t *out)
{
	static uint8_t o[40];
	static const uint8_t ts[] = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};
	size_t n = sizeof(ts);

	memcpy(o, ts, n);
	if (keyid >= 0) {
		o[n++] = MD5SIG_AO_OPT_KIND;
		o[n++] = (uint8_t)(4 + maclen);
		o[n++] = (uint8_t)keyid;
		o[n++] = rnext;
		memset(o + n, 0, maclen);
		n += maclen;
	}
	s->opts = o;
	s->opts_len = n;
	size_t len = tf_build(s, out, sizeof(buf));
	ck_assert_uint_gt(len, 0);
	return len;
}

struct ctx {
	struct md5sig_aotab *t;
	struct md5sig_ao_verifier *v;
};

static struct ctx ctx_new(const char *const *lines)
{
	struct ctx c = {.t = md5sig_aotab_new()};
	const char *why;

	for (; lines && *lines; lines++)
		ck_assert_msg(md5sig_aotab_parse_line(c.t, *lines, &why) == 0, "%s", why);
	c.v = md5sig_ao_verifier_new(c.t, 64);
	ck_assert_ptr_nonnull(c.v);
	return c;
}

static void ctx_free(struct ctx *c)
{
	md5sig_ao_verifier_free(c->v);
	md5sig_aotab_free(c->t);
}

static enum md5sig_ao_verdict classify(struct ctx *c, const uint8_t *f, size_t n,
				       const struct md5sig_ao_isns *isns, uint32_t sne,
				       struct md5sig_ao_detail *d)
{
	struct md5sig_seg seg;
	enum md5sig_status st = md5sig_parse(MD5SIG_LINK_ETHERNET, f, n, &seg);

	return md5sig_ao_classify(c->v, f, st, &seg, isns, sne, d);
}

static void sign(struct ctx *c, uint8_t *f, size_t n, const struct md5sig_ao_isns *isns,
		 uint32_t sne)
{
	struct md5sig_seg seg;

	ck_assert_int_eq(md5sig_parse(MD5SIG_LINK_ETHERNET, f, n, &seg), MD5SIG_TCP);
	ck_assert_int_eq(md5sig_ao_sign(c->v, f, &seg, isns, sne), 0);
}

/*
 * Naive reference: the RFC 5925 §5.1 input laid out in one buffer straight from the wire bytes,
 * options walked here (not by md5sig), hashed with the one-shot EVP_Q_mac.
 */
static void reference_mac(const uint8_t *f, size_t n, const struct md5sig_ao_mkt *m,
			  const struct md5sig_ao_tkey *tk, uint32_t sne, uint8_t out[32])
{
	static uint8_t msg[70000];
	struct md5sig_seg seg;
	size_t k = 0, l3, l4, thlen, tl;

	ck_assert_int_eq(md5sig_parse(MD5SIG_LINK_ETHERNET, f, n, &seg), MD5SIG_TCP);
	l3 = seg.l3_off;
	l4 = seg.l4_off;
	thlen = (size_t)(f[l4 + 12] >> 4) * 4;
	msg[k++] = (uint8_t)(sne >> 24);
	msg[k++] = (uint8_t)(sne >> 16);
	msg[k++] = (uint8_t)(sne >> 8);
	msg[k++] = (uint8_t)sne;
	if ((f[l3] >> 4) == 4) {
		tl = tf_get16(f + l3 + 2) - (size_t)(f[l3] & 15) * 4;
		memcpy(msg + k, f + l3 + 12, 8);
		msg[k + 8] = 0;
		msg[k + 9] = 6;
		msg[k + 10] = (uint8_t)(tl >> 8);
		msg[k + 11] = (uint8_t)tl;
		k += 12;
	} else {
		tl = l3 + 40 + tf_get16(f + l3 + 4) - l4;
		memcpy(msg + k, f + l3 + 8, 32);
		msg[k + 32] = 0;
		msg[k + 33] = 0;
		msg[k + 34] = (uint8_t)(tl >> 8);
		msg[k + 35] = (uint8_t)tl;
		msg[k + 36] = msg[k + 37] = msg[k + 38] = 0;
		msg[k + 39] = 6;
		k += 40;
	}
	memcpy(msg + k, f + l4, 20);
	msg[k + 16] = msg[k + 17] = 0;
	k += 20;
	for (size_t i = 20; i < thlen;) {
		uint8_t kind = f[l4 + i], len = kind <= 1 ? 1 : f[l4 + i + 1];
		if (kind == MD5SIG_AO_OPT_KIND) {
			memcpy(msg + k, f + l4 + i, 4);
			memset(msg + k + 4, 0, len - 4u);
			k += len;
		} else if (!m->exclude_opts) {
			memcpy(msg + k, f + l4 + i, len);
			k += len;
		}
		i += len;
	}
	memcpy(msg + k, f + l4 + thlen, tl - thlen);
	k += tl - thlen;
	size_t ol = 0;
	const char *sub = m->alg == MD5SIG_AO_AES_128_CMAC_96 ? "AES-128-CBC"
			  : m->alg == MD5SIG_AO_HMAC_SHA256   ? "SHA256"
							      : "SHA1";
	ck_assert_ptr_nonnull(EVP_Q_mac(NULL, m->alg == MD5SIG_AO_AES_128_CMAC_96 ? "CMAC" : "HMAC",
					NULL, sub, NULL, tk->bytes, tk->len, msg, k, out, 32, &ol));
}

START_TEST(cached_mac_matches_naive_reference)
{
	static const char *const algs[] = {"hmac-sha-1-96", "aes-128-cmac-96", "hmac-sha-256-128",
					   "hmac-sha-256-32"};
	static const size_t sizes[] = {0, 1, 15, 16, 17, 63, 64, 65, 1448, 8948, 60000};

	for (size_t a = 0; a < 4; a++) {
		for (int ex = 0; ex < 2; ex++) {
			char l4[128], l6[128];
			snprintf(l4, sizeof(l4), "ao 192.0.2.0/24 1:1 %s %s hex:0102030405",
				 algs[a], ex ? "exclude-options" : "");
			snprintf(l6, sizeof(l6), "ao 2001:db8::/32 1:1 %s %s 16-bytes-secret!",
				 algs[a], ex ? "exclude-options" : "");
			const char *lines[] = {l4, l6, NULL};
			struct ctx c = ctx_new(lines);

			for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
				bool v6 = i % 2;
				const struct md5sig_ao_mkt *m = md5sig_aotab_get(c.t, v6);
				struct tf_spec s = {.family = v6 ? AF_INET6 : AF_INET,
						    .src = v6 ? "2001:db8::1" : NULL,
						    .dst = v6 ? "2001:db8::2" : NULL,
						    .plen = sizes[i],
						    .seq = 1000 + (uint32_t)i,
						    .ipv4_opts = v6 ? 0 : 4 * (i % 3),
						    .ipv6_dstopts = v6 ? 8 * (i % 3) : 0};
				struct md5sig_ao_isns isns = {7, 9};
				size_t n = ao_frame(&s, 1, 1, m->maclen, buf);
				struct md5sig_seg seg;
				struct md5sig_ao_tkey tk;
				struct md5sig_ao_opt opt;
				uint8_t want[32];

				sign(&c, buf, n, &isns, (uint32_t)i);
				md5sig_parse(MD5SIG_LINK_ETHERNET, buf, n, &seg);
				ck_assert_int_eq(md5sig_ao_traffic_key(c.v, m, &seg, 7, 9, &tk), 0);
				reference_mac(buf, n, m, &tk, (uint32_t)i, want);
				md5sig_ao_opt_find(buf, &seg, &opt);
				ck_assert_msg(!memcmp(buf + opt.off + 4, want, m->maclen),
					      "%s ex %d size %zu", algs[a], ex, sizes[i]);
				ck_assert_int_eq(classify(&c, buf, n, &isns, (uint32_t)i, NULL),
						 MD5SIG_AO_VALID);
			}
			ctx_free(&c);
		}
	}
}
END_TEST

START_TEST(option_parsing)
{
	struct tf_spec s = {.plen = 10};
	struct md5sig_seg seg;
	struct md5sig_ao_opt opt;
	size_t n;

	n = ao_frame(&s, -1, 0, 0, buf);
	ck_assert_int_eq(md5sig_parse(1, buf, n, &seg), MD5SIG_TCP);
	ck_assert_int_eq(md5sig_ao_opt_find(buf, &seg, &opt), MD5SIG_AO_OPT_NONE);

	n = ao_frame(&s, 5, 6, 12, buf);
	ck_assert_int_eq(md5sig_parse(1, buf, n, &seg), MD5SIG_TCP);
	ck_assert_int_eq(md5sig_ao_opt_find(buf, &seg, &opt), MD5SIG_AO_OPT_OK);
	ck_assert_uint_eq(opt.off, seg.l4_off + 20 + 12);
	ck_assert_uint_eq(opt.len, 16);
	ck_assert_uint_eq(opt.keyid, 5);
	ck_assert_uint_eq(opt.rnextkeyid, 6);

	/* a MAC-less option is well formed (length 4) */
	n = ao_frame(&s, 5, 6, 0, buf);
	ck_assert_int_eq(md5sig_parse(1, buf, n, &seg), MD5SIG_TCP);
	ck_assert_int_eq(md5sig_ao_opt_find(buf, &seg, &opt), MD5SIG_AO_OPT_OK);
	ck_assert_uint_eq(opt.len, 4);

	/* length 2 and 3 */
	for (uint8_t len = 2; len <= 3; len++) {
		uint8_t o[] = {MD5SIG_AO_OPT_KIND, len, 1, 1};
		struct tf_spec t = {.opts = o, .opts_len = len};
		n = tf_build(&t, buf, sizeof(buf));
		ck_assert_int_eq(md5sig_parse(1, buf, n, &seg), MD5SIG_TCP);
		ck_assert_int_eq(md5sig_ao_opt_find(buf, &seg, &opt), MD5SIG_AO_OPT_SHORT);
	}
	/* two */
	{
		uint8_t o[] = {29, 8, 1, 1, 0, 0, 0, 0, 29, 8, 1, 1, 0, 0, 0, 0};
		struct tf_spec t = {.opts = o, .opts_len = sizeof(o)};
		n = tf_build(&t, buf, sizeof(buf));
		ck_assert_int_eq(md5sig_parse(1, buf, n, &seg), MD5SIG_TCP);
		ck_assert_int_eq(md5sig_ao_opt_find(buf, &seg, &opt), MD5SIG_AO_OPT_DUP);
	}
	/* after an EOL nothing is an option */
	{
		uint8_t o[] = {0, 0, 0, 0, 29, 16, 1, 1};
		struct tf_spec t = {.opts = o, .opts_len = sizeof(o)};
		n = tf_build(&t, buf, sizeof(buf));
		ck_assert_int_eq(md5sig_parse(1, buf, n, &seg), MD5SIG_TCP);
		ck_assert_int_eq(md5sig_ao_opt_find(buf, &seg, &opt), MD5SIG_AO_OPT_NONE);
	}
	/* with MD5 (RFC 5925 §7.6) */
	{
		uint8_t o[] = {29, 16, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
		struct tf_spec t = {.md5 = true, .opts = o, .opts_len = sizeof(o)};
		n = tf_build(&t, buf, sizeof(buf));
		ck_assert_int_eq(md5sig_parse(1, buf, n, &seg), MD5SIG_MD5_AND_AO);
		ck_assert_int_eq(md5sig_ao_opt_find(buf, &seg, &opt), MD5SIG_AO_OPT_WITH_MD5);
	}
	ck_assert_str_eq(md5sig_ao_optst_name(MD5SIG_AO_OPT_DUP), "dup-ao-opt");
	ck_assert_str_eq(md5sig_ao_optst_name(MD5SIG_AO_OPT_NSTATUS), "unknown");
}
END_TEST

/* ---- verdicts ---- */

static const char *const keys_client_view[] = {"ao 192.0.2.2 1:2 hmac-sha-1-96 s3cr3t", NULL};

START_TEST(every_verdict)
{
	struct ctx c = ctx_new(keys_client_view);
	struct ctx none = ctx_new(NULL);
	struct md5sig_ao_isns isns = {100, 200};
	struct md5sig_ao_detail d;
	struct tf_spec s = {.plen = 100, .seq = 101, .ack = 201};
	size_t n;

	/* valid: 192.0.2.1 > 192.0.2.2 carries SendID 1 */
	n = ao_frame(&s, 1, 2, 12, buf);
	sign(&c, buf, n, &isns, 0);
	ck_assert_int_eq(classify(&c, buf, n, &isns, 0, &d), MD5SIG_AO_VALID);
	ck_assert_ptr_eq(d.mkt, md5sig_aotab_get(c.t, 0));
	ck_assert_uint_eq(d.isns.sisn, 100);
	ck_assert_int_eq(classify(&none, buf, n, &isns, 0, &d), MD5SIG_AO_UNEXPECTED);
	ck_assert_int_eq(classify(&c, buf, n, NULL, 0, &d), MD5SIG_AO_NO_ISN);
	buf[n - 1] ^= 1;
	ck_assert_int_eq(classify(&c, buf, n, &isns, 0, &d), MD5SIG_AO_INVALID);
	ck_assert_int_eq(classify(&c, buf, n, NULL, 0, &d), MD5SIG_AO_NO_ISN);

	/* unknown-key: the peer's RecvID on a frame towards it, and an unconfigured one */
	n = ao_frame(&s, 2, 2, 12, buf);
	ck_assert_int_eq(classify(&c, buf, n, &isns, 0, &d), MD5SIG_AO_UNKNOWN_KEY);
	ck_assert_ptr_null(d.mkt);
	n = ao_frame(&s, 77, 2, 12, buf);
	ck_assert_int_eq(classify(&c, buf, n, &isns, 0, &d), MD5SIG_AO_UNKNOWN_KEY);
	ck_assert_int_eq(classify(&none, buf, n, &isns, 0, &d), MD5SIG_AO_UNEXPECTED);

	/* missing and unsigned */
	n = ao_frame(&s, -1, 0, 0, buf);
	ck_assert_int_eq(classify(&c, buf, n, &isns, 0, &d), MD5SIG_AO_MISSING);
	ck_assert_int_eq(classify(&none, buf, n, &isns, 0, &d), MD5SIG_AO_UNSIGNED);
	struct tf_spec other = {.src = "203.0.113.1", .dst = "203.0.113.2"};
	n = tf_build(&other, buf, sizeof(buf));
	ck_assert_int_eq(classify(&c, buf, n, &isns, 0, &d), MD5SIG_AO_UNSIGNED);

	/* malformed: MAC length not the algorithm's, short, two, with MD5, a bad frame */
	n = ao_frame(&s, 1, 2, 16, buf);
	ck_assert_int_eq(classify(&c, buf, n, &isns, 0, &d), MD5SIG_AO_MALFORMED);
	ck_assert_int_eq(d.optst, MD5SIG_AO_OPT_MACLEN);
	n = ao_frame(&s, 1, 1, 0, buf);
	buf[n - 100 - 4 + 1] = 3; /* the option's length 4 -> 3, its last byte a NOP */
	ck_assert_int_eq(classify(&c, buf, n, &isns, 0, &d), MD5SIG_AO_MALFORMED);
	ck_assert_int_eq(d.optst, MD5SIG_AO_OPT_SHORT);
	{
		uint8_t o[] = {29, 16, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
			       29, 16, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
		struct tf_spec t = {.opts = o, .opts_len = sizeof(o)};
		n = tf_build(&t, buf, sizeof(buf));
		ck_assert_int_eq(classify(&c, buf, n, &isns, 0, &d), MD5SIG_AO_MALFORMED);
		ck_assert_int_eq(d.optst, MD5SIG_AO_OPT_DUP);
	}
	{
		uint8_t o[] = {29, 16, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
		struct tf_spec t = {.md5 = true, .opts = o, .opts_len = sizeof(o)};
		n = tf_build(&t, buf, sizeof(buf));
		ck_assert_int_eq(classify(&c, buf, n, &isns, 0, &d), MD5SIG_AO_MALFORMED);
		ck_assert_int_eq(d.optst, MD5SIG_AO_OPT_WITH_MD5);
	}
	/* cut by a capture: the headers say it is signed, the MAC cannot be checked */
	n = ao_frame(&s, 1, 2, 12, buf);
	ck_assert_int_eq(classify(&c, buf, n - 5, &isns, 0, &d), MD5SIG_AO_UNCHECKED);
	ck_assert_int_eq(classify(&c, buf, n - 100, NULL, 0, &d), MD5SIG_AO_UNCHECKED);
	ck_assert_int_eq(classify(&c, buf, n - 101, &isns, 0, &d), MD5SIG_AO_MALFORMED);

	for (int v = 0; v <= MD5SIG_AO_NVERDICTS; v++)
		ck_assert_ptr_nonnull(md5sig_ao_verdict_str((enum md5sig_ao_verdict)v));
	ck_assert_str_eq(md5sig_ao_verdict_str(MD5SIG_AO_UNKNOWN_KEY), "unknown-key");
	ck_assert_str_eq(md5sig_ao_verdict_str(MD5SIG_AO_NO_ISN), "no-isn");
	ctx_free(&c);
	ctx_free(&none);
}
END_TEST

/* Change each field RFC 5925 §5.1 covers by one byte: the MAC no longer matches. */
START_TEST(each_covered_field_changed_is_invalid)
{
	static const struct {
		const char *name;
		int base; /* 0: from the IP header, 1: from the TCP header, 2: from the payload */
		unsigned off;
		bool covered_when_excluded;
	} fields[] = {
		{"source address", 0, 15, true},    {"destination address", 0, 19, true},
		{"source port", 1, 1, true},	    {"destination port", 1, 3, true},
		{"sequence number", 1, 7, true},    {"acknowledgment number", 1, 11, true},
		{"flags (FIN)", 1, 13, true},	    {"window", 1, 15, true},
		{"urgent pointer", 1, 19, true},    {"timestamp option", 1, 27, false},
		{"RNextKeyID", 1, 35, true},	    {"MAC", 1, 40, true},
		{"first payload byte", 2, 0, true}, {"last payload byte", 2, 99, true},
	};
	for (int ex = 0; ex < 2; ex++) {
		const char *lines[] = {ex ? "ao 192.0.2.0/24 1:2 aes-128-cmac-96 exclude-options k"
					  : "ao 192.0.2.0/24 1:2 aes-128-cmac-96 k",
				       NULL};
		struct ctx c = ctx_new(lines);
		struct md5sig_ao_isns isns = {100, 200};
		struct tf_spec s = {.plen = 100, .seq = 101, .ack = 201};
		struct md5sig_seg seg;
		uint8_t orig[2000];
		size_t n = ao_frame(&s, 1, 2, 12, buf);

		sign(&c, buf, n, &isns, 3);
		memcpy(orig, buf, n);
		md5sig_parse(1, buf, n, &seg);
		ck_assert_int_eq(classify(&c, buf, n, &isns, 3, NULL), MD5SIG_AO_VALID);
		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
			size_t at = fields[i].base == 0	  ? seg.l3_off + fields[i].off
				    : fields[i].base == 1 ? seg.l4_off + fields[i].off
							  : seg.l4_off + seg.thlen + fields[i].off;
			memcpy(buf, orig, n);
			buf[at] ^= 0x01;
			/* a changed checksum would say nothing: fix it, AO does not cover it */
			struct md5sig_seg s2;
			md5sig_parse(1, buf, n, &s2);
			tf_tcp_csum_fix(buf, &s2);
			enum md5sig_ao_verdict want = ex && !fields[i].covered_when_excluded
							      ? MD5SIG_AO_VALID
							      : MD5SIG_AO_INVALID;
			ck_assert_msg(classify(&c, buf, n, &isns, 3, NULL) == want,
				      "%s (exclude-options %d)", fields[i].name, ex);
		}
		/* the pseudo-header's length: one payload byte less */
		memcpy(buf, orig, n);
		tf_put16(buf + seg.l3_off + 2, (uint16_t)(tf_get16(buf + seg.l3_off + 2) - 1));
		ck_assert_int_eq(classify(&c, buf, n - 1, &isns, 3, NULL), MD5SIG_AO_INVALID);
		/* SNE and each ISN */
		memcpy(buf, orig, n);
		struct md5sig_ao_isns other = {101, 200}, other2 = {100, 201};
		ck_assert_int_eq(classify(&c, buf, n, &isns, 4, NULL), MD5SIG_AO_INVALID);
		ck_assert_int_eq(classify(&c, buf, n, &other, 3, NULL), MD5SIG_AO_INVALID);
		ck_assert_int_eq(classify(&c, buf, n, &other2, 3, NULL), MD5SIG_AO_INVALID);
		/* not covered: the checksum, the IP ID and TTL */
		buf[seg.l4_off + 16] ^= 0xff;
		buf[seg.l3_off + 5] ^= 0xff;
		buf[seg.l3_off + 8] ^= 0xff;
		ck_assert_int_eq(classify(&c, buf, n, &isns, 3, NULL), MD5SIG_AO_VALID);
		ctx_free(&c);
	}
}
END_TEST

/* A SYN's key uses (its ISN, 0); a SYN-ACK's its ISN and the one it acknowledges. */
START_TEST(handshake_keys_come_from_the_frame)
{
	static const char *const server_view[] = {"ao 192.0.2.1 2:1 hmac-sha-1-96 s3cr3t", NULL};
	struct ctx c = ctx_new(keys_client_view), srv = ctx_new(server_view);
	struct tf_spec syn = {.flags = 0x02, .seq = 0xfffffff0, .plen = 0};
	struct tf_spec synack = {.src = "192.0.2.2",
				 .dst = "192.0.2.1",
				 .sport = 179,
				 .dport = 40000,
				 .flags = 0x12,
				 .seq = 5000,
				 .ack = 0xfffffff1};
	struct md5sig_ao_isns wrong = {1, 2};
	size_t n;

	n = ao_frame(&syn, 1, 2, 12, buf);
	sign(&c, buf, n, NULL, 0);
	ck_assert_int_eq(classify(&c, buf, n, NULL, 0, NULL), MD5SIG_AO_VALID);
	ck_assert_int_eq(classify(&c, buf, n, &wrong, 0, NULL), MD5SIG_AO_VALID);
	ck_assert_int_eq(classify(&srv, buf, n, NULL, 0, NULL), MD5SIG_AO_VALID);

	n = ao_frame(&synack, 2, 1, 12, buf);
	sign(&srv, buf, n, NULL, 0);
	ck_assert_int_eq(classify(&c, buf, n, NULL, 0, NULL), MD5SIG_AO_VALID);
	ck_assert_int_eq(classify(&srv, buf, n, NULL, 0, NULL), MD5SIG_AO_VALID);

	/* the SYN-ACK's key is the server's key for the rest of the connection */
	struct md5sig_ao_isns isns = {5000, 0xfffffff0};
	struct tf_spec data = synack;
	struct md5sig_seg seg;
	struct md5sig_ao_tkey a, b;
	data.flags = 0x18;
	data.seq = 5001;
	data.plen = 20;
	n = ao_frame(&data, 2, 1, 12, buf);
	sign(&srv, buf, n, &isns, 0);
	ck_assert_int_eq(classify(&c, buf, n, &isns, 0, NULL), MD5SIG_AO_VALID);
	md5sig_parse(1, buf, n, &seg);
	ck_assert_int_eq(
		md5sig_ao_traffic_key(c.v, md5sig_aotab_get(c.t, 0), &seg, 5000, 0xfffffff0, &a),
		0);
	ck_assert_int_eq(md5sig_ao_traffic_key(c.v, md5sig_aotab_get(c.t, 0), &seg, 5000, 0, &b),
			 0);
	ck_assert(memcmp(a.bytes, b.bytes, a.len));
	ctx_free(&c);
	ctx_free(&srv);
}
END_TEST

START_TEST(sign_errors)
{
	struct ctx c = ctx_new(keys_client_view);
	struct md5sig_ao_isns isns = {1, 2};
	struct tf_spec s = {.plen = 10};
	struct md5sig_seg seg;
	size_t n;

	n = ao_frame(&s, -1, 0, 0, buf);
	md5sig_parse(1, buf, n, &seg);
	ck_assert_int_eq(md5sig_ao_sign(c.v, buf, &seg, &isns, 0), -ENOENT);
	n = ao_frame(&s, 9, 0, 12, buf);
	md5sig_parse(1, buf, n, &seg);
	ck_assert_int_eq(md5sig_ao_sign(c.v, buf, &seg, &isns, 0), -ENOKEY);
	n = ao_frame(&s, 1, 0, 8, buf);
	md5sig_parse(1, buf, n, &seg);
	ck_assert_int_eq(md5sig_ao_sign(c.v, buf, &seg, &isns, 0), -EMSGSIZE);
	n = ao_frame(&s, 1, 0, 12, buf);
	md5sig_parse(1, buf, n, &seg);
	ck_assert_int_eq(md5sig_ao_sign(c.v, buf, &seg, NULL, 0), -ENOTCONN);
	ck_assert_int_eq(md5sig_ao_sign(c.v, buf, &seg, &isns, 0), 0);
	ctx_free(&c);
}
END_TEST

/* ---- SNE ---- */

START_TEST(sne_across_a_wrap_with_reordering)
{
	struct md5sig_ao_sne s;

	md5sig_ao_sne_init(&s, 0xfffff000);
	ck_assert_uint_eq(md5sig_ao_sne_next(&s, 0xfffff000), 0);
	ck_assert_uint_eq(md5sig_ao_sne_next(&s, 0xfffff5a8), 0);
	ck_assert_uint_eq(md5sig_ao_sne_next(&s, 0xfffffb50), 0);
	/* crosses 2^32 */
	ck_assert_uint_eq(md5sig_ao_sne_next(&s, 0x000000f8), 1);
	ck_assert_uint_eq(s.sne, 1);
	/* a segment from before the wrap arrives late, a retransmission too */
	ck_assert_uint_eq(md5sig_ao_sne_next(&s, 0xfffffb50), 0);
	ck_assert_uint_eq(md5sig_ao_sne_next(&s, 0xfffff000), 0);
	ck_assert_uint_eq(s.seq, 0x000000f8);
	ck_assert_uint_eq(md5sig_ao_sne_next(&s, 0x000006a0), 1);
	/* one overtaken across the wrap: seen after a later one */
	md5sig_ao_sne_init(&s, 0xffffff00);
	ck_assert_uint_eq(md5sig_ao_sne_next(&s, 0x00000200), 1);
	ck_assert_uint_eq(md5sig_ao_sne_next(&s, 0x00000100), 1);
	ck_assert_uint_eq(md5sig_ao_sne_next(&s, 0xffffff80), 0);
	ck_assert_uint_eq(md5sig_ao_sne_next(&s, 0x00000300), 1);
	/* the next wrap: 2^31 steps at a time */
	ck_assert_uint_eq(md5sig_ao_sne_next(&s, 0x7fffffff), 1);
	ck_assert_uint_eq(md5sig_ao_sne_next(&s, 0xfffffff0), 1);
	ck_assert_uint_eq(md5sig_ao_sne_next(&s, 0x00000010), 2);
	ck_assert_uint_eq(md5sig_ao_sne_next(&s, 0xfffffff8), 1);
}
END_TEST

/* A signed session over a wrap verifies with the SNEs md5sig_ao_sne_next() gives. */
START_TEST(sne_in_macs)
{
	struct ctx c = ctx_new(keys_client_view);
	struct md5sig_ao_isns isns = {0xfffff000, 77};
	struct md5sig_ao_sne snd, rcv;
	uint32_t seqs[] = {0xfffff001, 0xfffff5a9, 0xfffffb51, 0x000000f9, 0xfffffb51, 0x000006a1};
	uint32_t true_sne[] = {0, 0, 0, 1, 0, 1};
	size_t n;

	md5sig_ao_sne_init(&snd, isns.sisn);
	md5sig_ao_sne_init(&rcv, isns.sisn);
	for (size_t i = 0; i < 6; i++) {
		struct tf_spec s = {.seq = seqs[i], .ack = 78, .plen = 1448};
		n = ao_frame(&s, 1, 2, 12, buf);
		sign(&c, buf, n, &isns, true_sne[i]);
		uint32_t sne = md5sig_ao_sne_next(&rcv, seqs[i]);
		ck_assert_uint_eq(sne, true_sne[i]);
		ck_assert_int_eq(classify(&c, buf, n, &isns, sne, NULL), MD5SIG_AO_VALID);
		ck_assert_int_eq(classify(&c, buf, n, &isns, sne ^ 1, NULL), MD5SIG_AO_INVALID);
	}
	(void)snd;
	ctx_free(&c);
}
END_TEST

/* ---- the cache ---- */

START_TEST(keys_derived_once_per_connection_direction)
{
	struct ctx c = ctx_new(keys_client_view);
	struct md5sig_ao_stats st;
	struct md5sig_ao_isns c2s = {1000, 9000}, s2c = {9000, 1000};
	struct tf_spec syn = {.flags = 0x02, .seq = 1000};
	struct tf_spec synack = {.src = "192.0.2.2",
				 .dst = "192.0.2.1",
				 .sport = 179,
				 .dport = 40000,
				 .flags = 0x12,
				 .seq = 9000,
				 .ack = 1001};
	size_t n;

	n = ao_frame(&syn, 1, 2, 12, buf);
	sign(&c, buf, n, NULL, 0);
	ck_assert_int_eq(classify(&c, buf, n, NULL, 0, NULL), MD5SIG_AO_VALID);
	n = ao_frame(&synack, 2, 1, 12, buf);
	sign(&c, buf, n, NULL, 0);
	ck_assert_int_eq(classify(&c, buf, n, NULL, 0, NULL), MD5SIG_AO_VALID);
	for (int i = 0; i < 50; i++) {
		struct tf_spec a = {.seq = 1001 + 100u * i, .ack = 9001, .plen = 100};
		struct tf_spec b = synack;
		b.flags = 0x10;
		b.seq = 9001;
		b.ack = 1101 + 100u * i;
		n = ao_frame(&a, 1, 2, 12, buf);
		sign(&c, buf, n, &c2s, 0);
		ck_assert_int_eq(classify(&c, buf, n, &c2s, 0, NULL), MD5SIG_AO_VALID);
		n = ao_frame(&b, 2, 1, 12, buf);
		sign(&c, buf, n, &s2c, 0);
		ck_assert_int_eq(classify(&c, buf, n, &s2c, 0, NULL), MD5SIG_AO_VALID);
	}
	md5sig_ao_verifier_stats(c.v, &st);
	/* the SYN's key, then one per direction (the SYN-ACK's is the server's) */
	ck_assert_uint_eq(st.derivations, 3);
	ck_assert_uint_eq(st.hits, 2 + 2 + 4 * 50 - 3);
	ck_assert_uint_eq(st.evictions, 0);
	/* a new table drops them */
	md5sig_ao_verifier_set_table(c.v, c.t);
	ck_assert_int_eq(classify(&c, buf, n, &s2c, 0, NULL), MD5SIG_AO_VALID);
	md5sig_ao_verifier_stats(c.v, &st);
	ck_assert_uint_eq(st.derivations, 4);
	ctx_free(&c);
}
END_TEST

/* More connections than slots, with MKTs of every algorithm sharing slots: still right. */
START_TEST(evictions_keep_verdicts_right)
{
	static const char *const lines[] = {"ao 192.0.2.0/24 1:1 hmac-sha-1-96 a",
					    "ao 198.51.100.0/24 2:2 aes-128-cmac-96 b",
					    "ao 203.0.113.0/24 3:3 hmac-sha-256-128 c", NULL};
	static const char *const src[] = {"192.0.2.1", "198.51.100.1", "203.0.113.1"};
	static const char *const dst[] = {"192.0.2.2", "198.51.100.2", "203.0.113.2"};
	struct md5sig_aotab *t = md5sig_aotab_new();
	const char *why;

	for (const char *const *l = lines; *l; l++)
		md5sig_aotab_parse_line(t, *l, &why);
	struct md5sig_ao_verifier *small = md5sig_ao_verifier_new(t, 4);
	struct ctx c = {.t = t, .v = small};
	struct md5sig_ao_stats st;

	for (int round = 0; round < 3; round++) {
		for (uint32_t conn = 0; conn < 24; conn++) {
			unsigned a = conn % 3;
			struct tf_spec s = {.src = src[a],
					    .dst = dst[a],
					    .sport = (uint16_t)(40000 + conn),
					    .seq = 10 + conn,
					    .plen = 64};
			struct md5sig_ao_isns isns = {conn, 5 * conn};
			size_t n = ao_frame(&s, (int)a + 1, 0, a == 2 ? 16 : 12, buf);

			sign(&c, buf, n, &isns, 0);
			ck_assert_int_eq(classify(&c, buf, n, &isns, 0, NULL), MD5SIG_AO_VALID);
			/* the same connection with other ISNs is another key, in the same set */
			struct md5sig_ao_isns later = {conn + 1, 5 * conn};
			ck_assert_int_eq(classify(&c, buf, n, &later, 0, NULL), MD5SIG_AO_INVALID);
			buf[n - 1] ^= 0x80;
			ck_assert_int_eq(classify(&c, buf, n, &isns, 0, NULL), MD5SIG_AO_INVALID);
		}
	}
	md5sig_ao_verifier_stats(small, &st);
	ck_assert_uint_gt(st.evictions, 0);
	ck_assert_uint_eq(st.derivations, 3 * 24 * 2);
	ck_assert_uint_eq(st.derivations, st.evictions + 4);
	md5sig_ao_verifier_free(small);
	md5sig_aotab_free(t);
}
END_TEST

/* ---- both schemes (verdict.c) ---- */

struct both {
	struct md5sig_keytab *kt;
	struct md5sig_hasher *h;
	struct md5sig_ao_verifier *v;
	struct md5sig_checker c;
};

static struct both both_new(const char *const *lines)
{
	struct both b = {.kt = md5sig_keytab_new(), .h = md5sig_hasher_new()};
	const char *why;

	for (; lines && *lines; lines++)
		ck_assert_msg(md5sig_keytab_parse_line(b.kt, *lines, &why) == 0, "%s", why);
	b.v = md5sig_ao_verifier_new(md5sig_keytab_ao(b.kt), 64);
	ck_assert_ptr_nonnull(b.v);
	b.c = (struct md5sig_checker){.h = b.h, .kt = b.kt, .ao = b.v};
	return b;
}

static void both_free(struct both *b)
{
	md5sig_ao_verifier_free(b->v);
	md5sig_hasher_free(b->h);
	md5sig_keytab_free(b->kt);
}

/* md5sig_classify_frame() of the first @cap bytes of a frame @n bytes long on the wire. */
static struct md5sig_verdicts judge(const struct md5sig_checker *c, const uint8_t *f, size_t cap,
				    size_t n, const struct md5sig_ao_isns *isns)
{
	struct md5sig_verdicts v;
	struct md5sig_seg seg;
	enum md5sig_status st = md5sig_parse_cap(MD5SIG_LINK_ETHERNET, f, cap, n, &seg);

	md5sig_classify_frame(c, f, st, &seg, isns, 0, &v);
	return v;
}

#define BOTH(v, m, a)                                                                      \
	do {                                                                               \
		ck_assert_str_eq(md5sig_verdict_str((v).md5), md5sig_verdict_str(m));      \
		ck_assert_str_eq(md5sig_ao_verdict_str((v).ao), md5sig_ao_verdict_str(a)); \
	} while (0)

/*
 * MD5 and TCP-AO side by side: each scheme judged alone; a capture's snaplen leaves signed
 * segments unchecked and still tells missing and unsigned ones; no key at all leaves every
 * signed segment unchecked; malformed frames are malformed in both.
 */
START_TEST(both_schemes_cut_and_keyless)
{
	static const char *const lines[] = {"192.0.2.1 md5-secret",
					    "ao 198.51.100.2 1:2 aes-128-cmac-96 ao-secret", NULL};
	struct both b = both_new(lines);
	struct md5sig_checker nokey = {.h = b.h};
	struct md5sig_key key = tf_key("md5-secret");
	struct md5sig_ao_isns isns = {100, 200};
	struct md5sig_verdicts v;
	struct md5sig_seg seg;
	uint8_t f[4000];
	size_t n;

	/* an MD5 session (192.0.2.x): valid, and AO says unsigned */
	struct tf_spec m = {.md5 = true, .plen = 500};
	n = tf_build_signed(&m, &key, f, sizeof(f));
	v = judge(&b.c, f, n, n, NULL);
	BOTH(v, MD5SIG_VALID, MD5SIG_AO_UNSIGNED);
	v = judge(&b.c, f, n - 100, n, NULL);
	BOTH(v, MD5SIG_UNCHECKED, MD5SIG_AO_UNSIGNED);
	ck_assert_str_eq(md5sig_unchecked_name(v.unchecked), "snaplen");
	v = judge(&nokey, f, n, n, NULL);
	BOTH(v, MD5SIG_UNCHECKED, MD5SIG_AO_UNSIGNED);
	ck_assert_str_eq(md5sig_unchecked_name(v.unchecked), "no-key");
	f[n - 1] ^= 1;
	v = judge(&b.c, f, n, n, NULL);
	BOTH(v, MD5SIG_INVALID, MD5SIG_AO_UNSIGNED);
	/* the IP length exceeds the frame on the wire: malformed in both */
	v = judge(&b.c, f, n - 100, n - 100, NULL);
	BOTH(v, MD5SIG_MALFORMED, MD5SIG_AO_MALFORMED);
	ck_assert_str_eq(md5sig_malformed_name(&v), "truncated-ip");
	/* without the option, cut: missing needs no payload */
	struct tf_spec u = {.plen = 500};
	n = tf_build(&u, f, sizeof(f));
	v = judge(&b.c, f, n - 100, n, NULL);
	BOTH(v, MD5SIG_MISSING, MD5SIG_AO_UNSIGNED);
	v = judge(&nokey, f, n - 100, n, NULL);
	BOTH(v, MD5SIG_UNSIGNED, MD5SIG_AO_UNSIGNED);

	/* an AO session (198.51.100.x): valid; MD5 says unsigned; cut, keyless, no ISNs */
	struct tf_spec a = {.src = "198.51.100.1", .dst = "198.51.100.2", .plen = 300};
	n = ao_frame(&a, 1, 2, 12, f);
	ck_assert_int_eq(md5sig_parse(MD5SIG_LINK_ETHERNET, f, n, &seg), MD5SIG_TCP);
	ck_assert_int_eq(md5sig_ao_sign(b.v, f, &seg, &isns, 0), 0);
	v = judge(&b.c, f, n, n, &isns);
	BOTH(v, MD5SIG_UNSIGNED, MD5SIG_AO_VALID);
	v = judge(&b.c, f, n, n, NULL);
	BOTH(v, MD5SIG_UNSIGNED, MD5SIG_AO_NO_ISN);
	v = judge(&b.c, f, n - 1, n, &isns);
	BOTH(v, MD5SIG_UNSIGNED, MD5SIG_AO_UNCHECKED);
	ck_assert_str_eq(md5sig_unchecked_name(v.unchecked), "snaplen");
	v = judge(&nokey, f, n, n, &isns);
	BOTH(v, MD5SIG_UNSIGNED, MD5SIG_AO_UNCHECKED);
	ck_assert_str_eq(md5sig_unchecked_name(v.unchecked), "no-key");
	f[n - 1] ^= 1;
	v = judge(&b.c, f, n, n, &isns);
	BOTH(v, MD5SIG_UNSIGNED, MD5SIG_AO_INVALID);
	/* an MD5 key with no MKT for the peers: the AO option is unexpected */
	struct md5sig_checker md5only = b.c;
	md5only.ao = NULL;
	v = judge(&md5only, f, n, n, &isns);
	BOTH(v, MD5SIG_UNSIGNED, MD5SIG_AO_UNEXPECTED);
	/* an AO frame towards an MD5 peer (192.0.2.1): MD5 missing, AO unexpected */
	struct tf_spec x = {.src = "192.0.2.2", .dst = "192.0.2.1", .plen = 10};
	n = ao_frame(&x, 1, 2, 12, f);
	v = judge(&b.c, f, n, n, &isns);
	BOTH(v, MD5SIG_MISSING, MD5SIG_AO_UNEXPECTED);
	/* without the option, cut: missing in AO */
	struct tf_spec ua = a;
	n = ao_frame(&ua, -1, 0, 0, f);
	v = judge(&b.c, f, n - 50, n, NULL);
	BOTH(v, MD5SIG_UNSIGNED, MD5SIG_AO_MISSING);
	/* a malformed option is a malformed frame, in both */
	n = ao_frame(&ua, 1, 2, 16, f);
	v = judge(&b.c, f, n, n, &isns);
	BOTH(v, MD5SIG_MALFORMED, MD5SIG_AO_MALFORMED);
	ck_assert_str_eq(md5sig_malformed_name(&v), "ao-maclen");
	{
		uint8_t o[] = {29, 3, 1, 1};
		struct tf_spec t = {.opts = o, .opts_len = sizeof(o)};
		n = tf_build(&t, f, sizeof(f));
		v = judge(&nokey, f, n, n, NULL);
		BOTH(v, MD5SIG_MALFORMED, MD5SIG_AO_MALFORMED);
		ck_assert_str_eq(md5sig_malformed_name(&v), "short-ao-opt");
	}
	{
		uint8_t o[] = {29, 16, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
		struct tf_spec t = {.md5 = true, .opts = o, .opts_len = sizeof(o)};
		n = tf_build(&t, f, sizeof(f));
		v = judge(&b.c, f, n, n, NULL);
		BOTH(v, MD5SIG_MALFORMED, MD5SIG_AO_MALFORMED);
		ck_assert_str_eq(md5sig_malformed_name(&v), "md5-and-ao");
	}
	both_free(&b);
}
END_TEST

/* ---- flows (ao_flows.c) ---- */

/* A segment of 192.0.2.1.40000 <-> 192.0.2.2.179, @c2s for client to server. */
static size_t flow_seg(bool c2s, uint8_t flags, uint32_t seq, uint32_t ack, uint8_t *out,
		       struct md5sig_seg *seg)
{
	struct tf_spec s = {.flags = flags, .seq = seq, .ack = ack, .plen = 10};

	if (!c2s) {
		s.src = "192.0.2.2";
		s.dst = "192.0.2.1";
		s.sport = 179;
		s.dport = 40000;
	}
	size_t n = tf_build(&s, out, 200);
	ck_assert_int_eq(md5sig_parse(MD5SIG_LINK_ETHERNET, out, n, seg), MD5SIG_TCP);
	return n;
}

START_TEST(flows_learn_isns_and_sne)
{
	struct md5sig_ao_flows *t = md5sig_ao_flows_new(16);
	struct md5sig_ao_flow_stats st;
	struct md5sig_ao_isns isns;
	struct md5sig_seg seg;
	uint32_t sne;
	uint8_t f[200];

	/* mid-stream: nothing known */
	flow_seg(true, 0x10, 5000, 7000, f, &seg);
	md5sig_ao_flows_see(t, f, &seg);
	ck_assert(!md5sig_ao_flows_find(t, f, &seg, &isns, &sne));
	ck_assert(!md5sig_ao_flows_find(NULL, f, &seg, &isns, &sne));
	/* SYN: the client's ISN only */
	flow_seg(true, 0x02, 0xfffffff0, 0, f, &seg);
	md5sig_ao_flows_see(t, f, &seg);
	ck_assert(!md5sig_ao_flows_find(t, f, &seg, &isns, &sne));
	/* SYN-ACK: the server's, and the client's again from its ack */
	flow_seg(false, 0x12, 9000, 0xfffffff1, f, &seg);
	md5sig_ao_flows_see(t, f, &seg);
	ck_assert(md5sig_ao_flows_find(t, f, &seg, &isns, &sne));
	ck_assert_uint_eq(isns.sisn, 9000);
	ck_assert_uint_eq(isns.disn, 0xfffffff0);
	ck_assert_uint_eq(sne, 0);
	/* the client's data, oriented its way, across the wrap */
	flow_seg(true, 0x10, 0xfffffff1, 9001, f, &seg);
	md5sig_ao_flows_see(t, f, &seg);
	ck_assert(md5sig_ao_flows_find(t, f, &seg, &isns, &sne));
	ck_assert_uint_eq(isns.sisn, 0xfffffff0);
	ck_assert_uint_eq(isns.disn, 9000);
	ck_assert_uint_eq(sne, 0);
	/* a segment a stage cut later in the stream: placed without being seen */
	flow_seg(true, 0x10, 0x00000010, 9001, f, &seg);
	ck_assert(md5sig_ao_flows_find(t, f, &seg, &isns, &sne));
	ck_assert_uint_eq(sne, 1);
	/* ...and it did not move the furthest: a retransmission before the wrap is still 0 */
	flow_seg(true, 0x10, 0xfffffff8, 9001, f, &seg);
	ck_assert(md5sig_ao_flows_find(t, f, &seg, &isns, &sne));
	ck_assert_uint_eq(sne, 0);
	flow_seg(true, 0x10, 0x00000020, 9001, f, &seg);
	md5sig_ao_flows_see(t, f, &seg);
	flow_seg(true, 0x10, 0xfffffff8, 9001, f, &seg);
	ck_assert(md5sig_ao_flows_find(t, f, &seg, &isns, &sne));
	ck_assert_uint_eq(sne, 0);
	flow_seg(true, 0x10, 0x00000030, 9001, f, &seg);
	ck_assert(md5sig_ao_flows_find(t, f, &seg, &isns, &sne));
	ck_assert_uint_eq(sne, 1);
	/* the server's direction keeps its own SNE */
	flow_seg(false, 0x10, 9001, 0x30, f, &seg);
	ck_assert(md5sig_ao_flows_find(t, f, &seg, &isns, &sne));
	ck_assert_uint_eq(sne, 0);
	/* a new SYN on the same ports forgets the server's ISN */
	flow_seg(true, 0x02, 77, 0, f, &seg);
	md5sig_ao_flows_see(t, f, &seg);
	ck_assert(!md5sig_ao_flows_find(t, f, &seg, &isns, &sne));
	md5sig_ao_flows_stats(t, &st);
	ck_assert_uint_eq(st.flows, 1);
	ck_assert_uint_eq(st.max, 16);
	ck_assert_uint_eq(st.learnt, 3);
	ck_assert_uint_eq(st.evictions, 0);
	md5sig_ao_flows_free(t);
}
END_TEST

START_TEST(flows_given_isns_and_evictions)
{
	struct md5sig_ao_flows *t = md5sig_ao_flows_new(4);
	struct md5sig_ao_isn_arg a, b;
	struct md5sig_ao_flow_stats st;
	struct md5sig_ao_isns isns;
	struct md5sig_seg seg;
	const char *why;
	uint32_t sne;
	uint8_t f[200];

	ck_assert_int_eq(md5sig_ao_isn_parse("192.0.2.1.40000=4999", &a, &why), 0);
	ck_assert_int_eq(md5sig_ao_isn_parse("192.0.2.2.179=0x1b57", &b, &why), 0);
	ck_assert_uint_eq(b.isn, 6999);
	ck_assert_int_eq(md5sig_ao_flows_give(t, &a), 0);
	ck_assert_int_eq(md5sig_ao_flows_give(t, &a), 0);
	b.isn++;
	ck_assert_int_eq(md5sig_ao_flows_give(t, &b), 0);
	b.isn--;
	ck_assert_int_eq(md5sig_ao_flows_give(t, &b), -EEXIST);
	flow_seg(true, 0x10, 5000, 7000, f, &seg);
	md5sig_ao_flows_see(t, f, &seg);
	ck_assert(md5sig_ao_flows_find(t, f, &seg, &isns, &sne));
	ck_assert_uint_eq(isns.sisn, 4999);
	ck_assert_uint_eq(isns.disn, 7000);
	/* more connections than the table holds: the oldest goes, counted */
	for (uint16_t p = 1; p <= 4; p++) {
		struct tf_spec s = {.flags = 0x12, .sport = p, .seq = p, .ack = 10u * p};
		size_t n = tf_build(&s, f, sizeof(f));
		ck_assert_int_eq(md5sig_parse(MD5SIG_LINK_ETHERNET, f, n, &seg), MD5SIG_TCP);
		md5sig_ao_flows_see(t, f, &seg);
		ck_assert(md5sig_ao_flows_find(t, f, &seg, &isns, &sne));
		ck_assert_uint_eq(isns.disn, 10u * p - 1);
	}
	md5sig_ao_flows_stats(t, &st);
	ck_assert_uint_eq(st.flows, 4);
	ck_assert_uint_eq(st.evictions, 1);
	/* the evicted one comes back with only what was given */
	flow_seg(true, 0x10, 5100, 7000, f, &seg);
	ck_assert(!md5sig_ao_flows_find(t, f, &seg, &isns, &sne));
	md5sig_ao_flows_see(t, f, &seg);
	ck_assert(md5sig_ao_flows_find(t, f, &seg, &isns, &sne));
	ck_assert_uint_eq(isns.disn, 7000);
	/* connection 1, the least recently seen now, went to make room */
	struct tf_spec s1 = {.flags = 0x10, .sport = 1, .seq = 2, .ack = 10};
	size_t n = tf_build(&s1, f, sizeof(f));
	ck_assert_int_eq(md5sig_parse(MD5SIG_LINK_ETHERNET, f, n, &seg), MD5SIG_TCP);
	ck_assert(!md5sig_ao_flows_find(t, f, &seg, &isns, &sne));
	md5sig_ao_flows_stats(t, &st);
	ck_assert_uint_eq(st.evictions, 2);
	md5sig_ao_flows_free(t);
}
END_TEST

START_TEST(isn_arguments)
{
	static const char *const good[] = {"192.0.2.1.179=0", "2001:db8::1.179=4294967295",
					   "198.51.100.7.65535=0xFFFFffff", "203.0.113.1.0=0x0",
					   NULL};
	static const char *const bad[] = {"",
					  "192.0.2.1",
					  "192.0.2.1.179",
					  "192.0.2.1=5",
					  "192.0.2.1.179=",
					  "192.0.2.1.65536=1",
					  "192.0.2.1.179=4294967296",
					  "192.0.2.1.179=-1",
					  "192.0.2.1.179= 1",
					  "192.0.2.1.179=+1",
					  "192.0.2.1.179=0x",
					  "192.0.2.1.179=0x1g",
					  "192.0.2.1.179=1e3",
					  "host.179=1",
					  "192.0.2.1.x=1",
					  ".179=1",
					  "192.0.2.1.179=1=2",
					  NULL};
	struct md5sig_ao_isn_arg a;
	const char *why;

	for (const char *const *g = good; *g; g++)
		ck_assert_msg(md5sig_ao_isn_parse(*g, &a, &why) == 0, "%s: %s", *g, why);
	ck_assert_int_eq(md5sig_ao_isn_parse("2001:db8::1.179=7", &a, &why), 0);
	ck_assert_int_eq(a.family, AF_INET6);
	ck_assert_uint_eq(a.port, 179);
	ck_assert_uint_eq(a.isn, 7);
	for (const char *const *b = bad; *b; b++) {
		why = NULL;
		ck_assert_msg(md5sig_ao_isn_parse(*b, &a, &why) == -EINVAL, "%s accepted", *b);
		ck_assert_ptr_nonnull(why);
	}
}
END_TEST

Suite *suite_ao(void)
{
	Suite *s = suite_create("ao");
	TCase *tc = tcase_create("ao");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, rfc9235_kdf_and_mac);
	tcase_add_test(tc, rfc9235_verdicts_from_either_view);
	tcase_add_test(tc, lines_accepted);
	tcase_add_test(tc, lines_rejected_with_a_reason_and_without_the_secret);
	tcase_add_test(tc, table_rejects_overlapping_ids_and_keyfile_dispatches);
	tcase_add_test(tc, lookup_by_endpoint_and_keyid);
	tcase_add_test(tc, cached_mac_matches_naive_reference);
	tcase_add_test(tc, option_parsing);
	tcase_add_test(tc, every_verdict);
	tcase_add_test(tc, each_covered_field_changed_is_invalid);
	tcase_add_test(tc, handshake_keys_come_from_the_frame);
	tcase_add_test(tc, sign_errors);
	tcase_add_test(tc, sne_across_a_wrap_with_reordering);
	tcase_add_test(tc, sne_in_macs);
	tcase_add_test(tc, keys_derived_once_per_connection_direction);
	tcase_add_test(tc, evictions_keep_verdicts_right);
	tcase_add_test(tc, both_schemes_cut_and_keyless);
	tcase_add_test(tc, flows_learn_isns_and_sne);
	tcase_add_test(tc, flows_given_isns_and_evictions);
	tcase_add_test(tc, isn_arguments);
	suite_add_tcase(s, tc);
	return s;
}
