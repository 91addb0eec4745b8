// SPDX-License-Identifier: GPL-2.0-or-later
/* md5sig_parse(): every link type, tags, IP options and extension headers, malformed input. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <check.h>

#include "md5sig/md5sig.h"
#include "tests/suites.h"
#include "tests/support/frames.h"

static uint8_t buf[70000];

static enum md5sig_status build_parse(const struct tf_spec *s, struct md5sig_seg *seg, size_t *n)
{
	*n = tf_build(s, buf, sizeof(buf));
	ck_assert_uint_gt(*n, 0);
	return md5sig_parse(s->linktype ? s->linktype : MD5SIG_LINK_ETHERNET, buf, *n, seg);
}

START_TEST(every_link_type_and_family)
{
	static const uint32_t lts[] = {MD5SIG_LINK_ETHERNET, MD5SIG_LINK_SLL, MD5SIG_LINK_SLL2,
				       MD5SIG_LINK_RAW};
	static const size_t l2[] = {14, 16, 20, 0};

	for (int fam = 0; fam < 2; fam++) {
		for (size_t i = 0; i < 4; i++) {
			struct tf_spec s = {.linktype = lts[i],
					    .family = fam ? AF_INET6 : AF_INET,
					    .md5 = true,
					    .plen = 100,
					    .sport = 1234,
					    .dport = 179};
			struct md5sig_seg seg;
			size_t n;

			ck_assert_int_eq(build_parse(&s, &seg, &n), MD5SIG_TCP);
			ck_assert_uint_eq(seg.l3_off, l2[i]);
			ck_assert_uint_eq(seg.l4_off, l2[i] + (fam ? 40 : 20));
			ck_assert_uint_eq(seg.thlen, 40);
			ck_assert_uint_eq(seg.tcp_len, 140);
			ck_assert_int_eq(seg.md5_off, (int)(seg.l4_off + 24));
			ck_assert_uint_eq(seg.sport, 1234);
			ck_assert_uint_eq(seg.dport, 179);
			ck_assert_uint_eq(seg.family, fam ? AF_INET6 : AF_INET);
			ck_assert_uint_eq(n, seg.l4_off + 140);
		}
	}
}
END_TEST

START_TEST(vlan_and_qinq_tags)
{
	for (unsigned v = 0; v <= 2; v++) {
		struct tf_spec s = {.vlans = v, .md5 = true, .plen = 10};
		struct md5sig_seg seg;
		size_t n;

		ck_assert_int_eq(build_parse(&s, &seg, &n), MD5SIG_TCP);
		ck_assert_uint_eq(seg.vlans, v);
		ck_assert_uint_eq(seg.l3_off, 14 + 4 * v);
	}
}
END_TEST

START_TEST(ipv4_options_and_ipv6_ext_headers)
{
	struct tf_spec s4 = {.ipv4_opts = 12, .md5 = true, .plen = 33};
	struct tf_spec s6 = {.family = AF_INET6, .ipv6_dstopts = 16, .md5 = true, .plen = 33};
	struct md5sig_seg seg;
	size_t n;

	ck_assert_int_eq(build_parse(&s4, &seg, &n), MD5SIG_TCP);
	ck_assert_uint_eq(seg.l4_off, 14 + 32);
	ck_assert(seg.flags & MD5SIG_SEG_IPV4_OPT);
	ck_assert_uint_eq(seg.tcp_len, 40 + 33);

	ck_assert_int_eq(build_parse(&s6, &seg, &n), MD5SIG_TCP);
	ck_assert_uint_eq(seg.l4_off, 14 + 40 + 16);
	ck_assert(seg.flags & MD5SIG_SEG_IPV6_EXT);
	/* the pseudo-header length excludes extension headers, as in Linux */
	ck_assert_uint_eq(seg.tcp_len, 40 + 33);
}
END_TEST

START_TEST(ethernet_padding_is_ignored)
{
	struct tf_spec s = {.md5 = false, .plen = 0};
	struct md5sig_seg seg;
	size_t n = tf_build(&s, buf, sizeof(buf));

	memset(buf + n, 0xee, 6); /* 54 -> 60 bytes: minimum Ethernet frame */
	ck_assert_int_eq(md5sig_parse(MD5SIG_LINK_ETHERNET, buf, n + 6, &seg), MD5SIG_TCP);
	ck_assert_uint_eq(seg.tcp_len, 20);
}
END_TEST

/* Cutting a frame anywhere is reported as malformed, never read past the end (ASan). */
START_TEST(every_truncation_is_malformed)
{
	static const struct tf_spec specs[] = {
		{.md5 = true, .plen = 40, .vlans = 2},
		{.family = AF_INET6, .ipv6_dstopts = 8, .md5 = true, .plen = 40},
		{.linktype = MD5SIG_LINK_SLL2, .ipv4_opts = 8, .md5 = true, .plen = 40},
	};
	for (size_t k = 0; k < sizeof(specs) / sizeof(specs[0]); k++) {
		size_t n = tf_build(&specs[k], buf, sizeof(buf));
		uint32_t lt = specs[k].linktype ? specs[k].linktype : MD5SIG_LINK_ETHERNET;

		for (size_t cut = 0; cut < n; cut++) {
			struct md5sig_seg seg;
			uint8_t *copy = malloc(cut ? cut : 1);

			memcpy(copy, buf, cut);
			enum md5sig_status st = md5sig_parse(lt, copy, cut, &seg);
			ck_assert_msg(st >= MD5SIG_MALFORMED_FIRST, "spec %zu cut %zu: %s", k, cut,
				      md5sig_status_name(st));
			free(copy);
		}
	}
}
END_TEST

/*
 * A frame the capture cut (snaplen) against one whose IP length exceeds its length on the wire
 * (truncated-ip): only md5sig_parse_cap(), which knows both lengths, tells them apart.
 */
START_TEST(snaplen_and_truncated_ip)
{
	static const struct tf_spec specs[] = {
		{.md5 = true, .plen = 200},
		{.family = AF_INET6, .ipv6_dstopts = 8, .md5 = true, .plen = 200},
		{.linktype = MD5SIG_LINK_SLL2, .ipv4_opts = 8, .plen = 200},
	};
	for (size_t k = 0; k < sizeof(specs) / sizeof(specs[0]); k++) {
		size_t n = tf_build(&specs[k], buf, sizeof(buf));
		uint32_t lt = specs[k].linktype ? specs[k].linktype : MD5SIG_LINK_ETHERNET;
		struct md5sig_seg whole, seg;

		ck_assert_int_eq(md5sig_parse_cap(lt, buf, n, n, &whole), MD5SIG_TCP);
		ck_assert_int_eq(whole.flags & MD5SIG_SEG_HEADERS, 0);
		size_t hdrs = whole.l4_off + whole.thlen;
		/* cut in the payload: the headers are described, the IP length kept */
		for (size_t cut = hdrs; cut < n; cut += 37) {
			ck_assert_int_eq(md5sig_parse_cap(lt, buf, cut, n, &seg), MD5SIG_SNAPLEN);
			ck_assert(seg.flags & MD5SIG_SEG_HEADERS);
			ck_assert_uint_eq(seg.tcp_len, whole.tcp_len);
			ck_assert_uint_eq(seg.thlen, whole.thlen);
			ck_assert_int_eq(seg.md5_off, whole.md5_off);
			/* without the length on the wire: the same, as md5sig_parse() always said */
			ck_assert_int_eq(md5sig_parse(lt, buf, cut, &seg), MD5SIG_SNAPLEN);
			ck_assert(seg.flags & MD5SIG_SEG_HEADERS);
			/* the frame was that short on the wire too: the packet itself is short */
			ck_assert_int_eq(md5sig_parse_cap(lt, buf, cut, cut, &seg),
					 MD5SIG_TRUNCATED_IP);
			ck_assert_int_eq(md5sig_parse_cap(lt, buf, cut, cut - 1, &seg),
					 MD5SIG_TRUNCATED_IP);
		}
		/* cut in the headers: nothing to describe */
		for (size_t cut = whole.l3_off + 1; cut < hdrs; cut++) {
			enum md5sig_status st = md5sig_parse_cap(lt, buf, cut, n, &seg);
			ck_assert_msg(st >= MD5SIG_MALFORMED_FIRST, "%zu: %d", cut, st);
			ck_assert_int_eq(seg.flags & MD5SIG_SEG_HEADERS, 0);
		}
		/* a longer frame on the wire than the IP packet (padding cut): whole */
		ck_assert_int_eq(md5sig_parse_cap(lt, buf, n, n + 18, &seg), MD5SIG_TCP);
	}
	ck_assert_str_eq(md5sig_status_name(MD5SIG_TRUNCATED_IP), "truncated-ip");
}
END_TEST

static enum md5sig_status with_options(const uint8_t *opts, size_t len, struct md5sig_seg *seg)
{
	struct tf_spec s = {.opts = opts, .opts_len = len, .plen = 4};
	size_t n = tf_build(&s, buf, sizeof(buf));

	return md5sig_parse(MD5SIG_LINK_ETHERNET, buf, n, seg);
}

START_TEST(malformed_tcp_options)
{
	struct md5sig_seg seg;
	static const uint8_t zero_len[] = {8, 0, 0, 0};
	static const uint8_t one_len[] = {8, 1, 0, 0};
	static const uint8_t past_end[] = {1, 1, 8, 10};
	static const uint8_t lone_kind[] = {1, 1, 1, 8};
	static const uint8_t md5_17[20] = {19, 17};
	static const uint8_t md5_twice[36] = {19, 18, [18] = 19, 18};
	static const uint8_t md5_ao[24] = {19, 18, [18] = 29, 4, 1, 1};
	static const uint8_t ts_eol[] = {8, 10, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0};

	ck_assert_int_eq(with_options(zero_len, 4, &seg), MD5SIG_BAD_TCP_OPT);
	ck_assert_int_eq(with_options(one_len, 4, &seg), MD5SIG_BAD_TCP_OPT);
	ck_assert_int_eq(with_options(past_end, 4, &seg), MD5SIG_BAD_TCP_OPT);
	ck_assert_int_eq(with_options(lone_kind, 4, &seg), MD5SIG_BAD_TCP_OPT);
	ck_assert_int_eq(with_options(md5_17, 20, &seg), MD5SIG_BAD_MD5_OPT);
	ck_assert_int_eq(with_options(md5_twice, 36, &seg), MD5SIG_DUP_MD5_OPT);
	ck_assert_int_eq(with_options(md5_ao, 24, &seg), MD5SIG_MD5_AND_AO);
	ck_assert_int_eq(with_options(ts_eol, 12, &seg), MD5SIG_TCP);
	ck_assert_int_eq(seg.md5_off, -1);
}
END_TEST

START_TEST(bad_headers)
{
	struct tf_spec s = {.md5 = true, .plen = 20};
	struct md5sig_seg seg;
	size_t n = tf_build(&s, buf, sizeof(buf));
	uint8_t *ip = buf + 14, *tcp = ip + 20;

	tcp[12] = 4 << 4; /* data offset 16 bytes */
	ck_assert_int_eq(md5sig_parse(1, buf, n, &seg), MD5SIG_BAD_TCP_HDR);
	tcp[12] = 15 << 4; /* 60 bytes: past a 60-byte segment? it is 60: fine, then 61+ */
	ip[3] = 20 + 40;   /* IP says the segment is 40 bytes: header longer than segment */
	ck_assert_int_eq(md5sig_parse(1, buf, n, &seg), MD5SIG_BAD_TCP_HDR);

	n = tf_build(&s, buf, sizeof(buf));
	ip[3] = 16; /* total length < IHL */
	ck_assert_int_eq(md5sig_parse(1, buf, n, &seg), MD5SIG_BAD_IP_LEN);

	n = tf_build(&s, buf, sizeof(buf));
	ip[0] = 0x44; /* IHL 16 bytes */
	ck_assert_int_eq(md5sig_parse(1, buf, n, &seg), MD5SIG_BAD_IP_HDR);

	n = tf_build(&s, buf, sizeof(buf));
	ip[0] = 0x65; /* IPv6 version behind an IPv4 EtherType */
	ck_assert_int_eq(md5sig_parse(1, buf, n, &seg), MD5SIG_BAD_IP_VERSION);

	n = tf_build(&s, buf, sizeof(buf));
	ip[3] += 100; /* IP longer than what was captured */
	ck_assert_int_eq(md5sig_parse(1, buf, n, &seg), MD5SIG_SNAPLEN);
	ck_assert_uint_eq(seg.dport, 179); /* still reported */

	struct tf_spec o = {.ipv4_opts = 4, .plen = 1};
	n = tf_build(&o, buf, sizeof(buf));
	ip[20] = 7; /* record route */
	ip[21] = 9; /* runs past the header */
	ck_assert_int_eq(md5sig_parse(1, buf, n, &seg), MD5SIG_BAD_IPV4_OPT);
}
END_TEST

START_TEST(fragments_and_other_protocols)
{
	struct tf_spec s = {.plen = 20};
	struct md5sig_seg seg;
	size_t n = tf_build(&s, buf, sizeof(buf));
	uint8_t *ip = buf + 14;

	ip[6] = 0x20; /* MF, offset 0 */
	ck_assert_int_eq(md5sig_parse(1, buf, n, &seg), MD5SIG_FRAGMENT);
	ip[6] = 0x00;
	ip[7] = 0x10; /* offset 128 */
	ck_assert_int_eq(md5sig_parse(1, buf, n, &seg), MD5SIG_OTHER);
	n = tf_build(&s, buf, sizeof(buf));
	ip[9] = 17; /* UDP */
	ck_assert_int_eq(md5sig_parse(1, buf, n, &seg), MD5SIG_OTHER);
	buf[12] = 0x08;
	buf[13] = 0x06; /* ARP */
	ck_assert_int_eq(md5sig_parse(1, buf, n, &seg), MD5SIG_OTHER);
	ck_assert_int_eq(md5sig_parse(147, buf, n, &seg), MD5SIG_BAD_LINK);
}
END_TEST

/*
 * md5sig/wire.h against the tests' own builder, written from the RFCs independently: every
 * field the builder was told to set is where wire.h says it is.
 */
START_TEST(wire_offsets_match_the_builder)
{
	struct tf_spec s = {.seq = 0x01020304,
			    .ack = 0x0a0b0c0d,
			    .flags = WIRE_TCP_F_CWR | WIRE_TCP_F_PSH | WIRE_TCP_F_ACK,
			    .window = 4321,
			    .urg = 77,
			    .ttl = 9,
			    .ipid = 0xbeef,
			    .md5 = true,
			    .plen = 10};
	struct md5sig_seg seg;

	for (int v6 = 0; v6 < 2; v6++) {
		s.family = v6 ? AF_INET6 : AF_INET;
		size_t n = tf_build(&s, buf, sizeof(buf));
		ck_assert_int_eq(md5sig_parse(MD5SIG_LINK_ETHERNET, buf, n, &seg), MD5SIG_TCP);
		uint8_t *ip = buf + seg.l3_off, *tcp = buf + seg.l4_off;

		ck_assert_uint_eq(seg.l3_off, WIRE_ETH_HLEN);
		ck_assert_uint_eq(wire_get16(buf + WIRE_ETH_TYPE),
				  v6 ? WIRE_ETH_P_IPV6 : WIRE_ETH_P_IP);
		if (v6) {
			ck_assert_uint_eq(wire_get16(ip + WIRE_IPV6_PLEN), seg.tcp_len);
			ck_assert_uint_eq(ip[WIRE_IPV6_NEXT], WIRE_IPPROTO_TCP);
			ck_assert_uint_eq(ip[WIRE_IPV6_HLIM], 9);
			ck_assert_mem_eq(ip + WIRE_IPV6_SADDR, seg.saddr, 16);
			ck_assert_mem_eq(ip + WIRE_IPV6_DADDR, seg.daddr, 16);
		} else {
			ck_assert_uint_eq(wire_ipv4_hlen(ip), WIRE_IPV4_HLEN);
			ck_assert_uint_eq(wire_get16(ip + WIRE_IPV4_TOT_LEN),
					  WIRE_IPV4_HLEN + seg.tcp_len);
			ck_assert_uint_eq(wire_get16(ip + WIRE_IPV4_ID), 0xbeef);
			ck_assert_uint_eq(ip[WIRE_IPV4_TTL], 9);
			ck_assert_uint_eq(ip[WIRE_IPV4_PROTO], WIRE_IPPROTO_TCP);
			ck_assert_mem_eq(ip + WIRE_IPV4_SADDR, seg.saddr, 4);
			ck_assert_mem_eq(ip + WIRE_IPV4_DADDR, seg.daddr, 4);
		}
		ck_assert_uint_eq(wire_get16(tcp + WIRE_TCP_SPORT), 40000);
		ck_assert_uint_eq(wire_get16(tcp + WIRE_TCP_DPORT), 179);
		ck_assert_uint_eq(wire_get32(tcp + WIRE_TCP_SEQ), 0x01020304);
		ck_assert_uint_eq(wire_get32(tcp + WIRE_TCP_ACK), 0x0a0b0c0d);
		ck_assert_uint_eq(wire_tcp_hlen(tcp), WIRE_TCP_HLEN + 20);
		ck_assert_uint_eq(tcp[WIRE_TCP_FLAGS], 0x98);
		ck_assert_uint_eq(wire_get16(tcp + WIRE_TCP_WIN), 4321);
		ck_assert_uint_eq(wire_get16(tcp + WIRE_TCP_URP), 77);
		ck_assert_uint_eq(tcp[seg.md5_off - seg.l4_off - 2], WIRE_TCPOPT_MD5);
		/* the checksum field is where the builder's naive sum says */
		ck_assert_uint_eq(tf_tcp_sum(buf, &seg), 0xffff);
		wire_put16(tcp + WIRE_TCP_CSUM, (uint16_t)(wire_get16(tcp + WIRE_TCP_CSUM) + 1));
		ck_assert_uint_ne(tf_tcp_sum(buf, &seg), 0xffff);
		wire_put32(tcp + WIRE_TCP_SEQ, 0xfffefdfc);
		ck_assert_uint_eq(tf_get32(tcp + 4), 0xfffefdfc);
	}
}
END_TEST

/* Random bytes behind every link type: a TCP verdict always describes bytes inside the frame. */
START_TEST(random_frames_stay_in_bounds)
{
	static const uint32_t lts[] = {0, 1, 101, 108, 113, 228, 229, 276};
	unsigned seed = 12345;

	for (int i = 0; i < 200000; i++) {
		size_t n = (size_t)(rand_r(&seed) % 160);
		uint32_t lt = lts[rand_r(&seed) % 8];
		struct md5sig_seg seg;

		for (size_t j = 0; j < n; j++)
			buf[j] = (uint8_t)rand_r(&seed);
		/* steer some toward plausible headers */
		if (n > 14 && lt == 1) {
			buf[12] = 0x08;
			buf[13] = 0;
			buf[14] = 0x45;
			buf[23] = 6;
		}
		uint8_t *copy = malloc(n ? n : 1);
		memcpy(copy, buf, n);
		if (md5sig_parse(lt, copy, n, &seg) == MD5SIG_TCP) {
			ck_assert_uint_le(seg.l4_off + seg.tcp_len, n);
			ck_assert_uint_le(seg.thlen, seg.tcp_len);
			ck_assert(seg.md5_off < 0 ||
				  (size_t)seg.md5_off + 16 <= seg.l4_off + seg.thlen);
		}
		free(copy);
	}
}
END_TEST

Suite *suite_parse(void)
{
	Suite *s = suite_create("parse");
	TCase *tc = tcase_create("parse");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, every_link_type_and_family);
	tcase_add_test(tc, vlan_and_qinq_tags);
	tcase_add_test(tc, ipv4_options_and_ipv6_ext_headers);
	tcase_add_test(tc, ethernet_padding_is_ignored);
	tcase_add_test(tc, every_truncation_is_malformed);
	tcase_add_test(tc, snaplen_and_truncated_ip);
	tcase_add_test(tc, malformed_tcp_options);
	tcase_add_test(tc, bad_headers);
	tcase_add_test(tc, fragments_and_other_protocols);
	tcase_add_test(tc, random_frames_stay_in_bounds);
	tcase_add_test(tc, wire_offsets_match_the_builder);
	suite_add_tcase(s, tc);
	return s;
}
