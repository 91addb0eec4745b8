// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The live engine without an interface: frames built by tests/support (their verdicts known by
 * construction) fed one at a time. The verify stream must give exactly the file mode's counts
 * and --list lines for the same frames written to a capture (the file mode is the reference);
 * the live run's per-peer counts, super-frame count, summary line and JSON are checked as text.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <check.h>

#include "emu/analysis/live.h"
#include "emu/analysis/verify.h"
#include "emu/capture/capture.h"
#include "tests/suites.h"
#include "tests/support/frames.h"

#define NFRAMES 48

static uint8_t frames[NFRAMES][10000];
static size_t lens[NFRAMES];

/* Frame @i: a mix of every verdict, both families, an ARP request, and a jumbo frame. */
static size_t build(unsigned i, uint8_t *buf, size_t cap)
{
	struct md5sig_key k1 = tf_key("k1"), wrong = tf_key("wrong");
	struct tf_spec s = {.seq = 1000 + 1009 * i, .ack = 1, .plen = i % 9 == 8 ? 8000 : i * 13};

	switch (i % 8) {
	case 0: /* valid */
		break;
	case 1: /* invalid, from another keyed peer */
		s.src = "192.0.2.3";
		return tf_build_signed((s.md5 = true, &s), &wrong, buf, cap);
	case 2: /* missing */
		return tf_build(&s, buf, cap);
	case 3: /* unexpected */
		s.src = "198.51.100.1";
		s.dst = "198.51.100.2";
		s.md5 = true;
		return tf_build_signed(&s, &k1, buf, cap);
	case 4: /* unsigned */
		s.src = "198.51.100.1";
		s.dst = "198.51.100.2";
		return tf_build(&s, buf, cap);
	case 5: /* IPv6, valid */
		s.family = AF_INET6;
		s.src = "2001:db8::1";
		s.dst = "2001:db8::2";
		break;
	case 6: /* not TCP */
		memset(buf, 0, 42);
		memset(buf, 0xff, 6);
		buf[6] = 0x02;
		tf_put16(buf + 12, 0x0806);
		return 42;
	default: /* from the other end, valid */
		s.src = "192.0.2.2";
		s.dst = "192.0.2.1";
		s.sport = 179;
		s.dport = 40000;
		break;
	}
	s.md5 = true;
	return tf_build_signed(&s, &k1, buf, cap);
}

static struct md5sig_keytab *keys(void)
{
	struct md5sig_keytab *kt = md5sig_keytab_new();
	const char *why = NULL;

	ck_assert_ptr_nonnull(kt);
	ck_assert_int_eq(md5sig_keytab_parse_line(kt, "192.0.2.0/24 k1", &why), 0);
	ck_assert_int_eq(md5sig_keytab_parse_line(kt, "2001:db8::/32 k1", &why), 0);
	return kt;
}

static void build_all(void)
{
	for (unsigned i = 0; i < NFRAMES; i++) {
		lens[i] = build(i, frames[i], sizeof(frames[i]));
		ck_assert_uint_gt(lens[i], 0);
	}
}

static struct emu_pkt pkt_of(unsigned i)
{
	return (struct emu_pkt){.data = frames[i],
				.caplen = (uint32_t)lens[i],
				.len = (uint32_t)lens[i],
				.ts = {1700000000 + i, 0}};
}

START_TEST(stream_equals_file)
{
	char path[] = "/tmp/vnicemu-live-XXXXXX", err[512];
	int fd = mkstemp(path);
	struct md5sig_keytab *kt = keys();
	struct emu_verify_counts want, got;
	char *wlist = NULL, *glist = NULL;
	size_t wlen = 0, glen = 0;

	ck_assert_int_ge(fd, 0);
	close(fd);
	build_all();
	struct emu_capout *c = emu_capout_open(path, false, err, sizeof(err));
	ck_assert_msg(c, "%s", err);
	ck_assert_int_eq(emu_capout_iface(c, MD5SIG_LINK_ETHERNET, NULL), 0);
	for (unsigned i = 0; i < NFRAMES; i++) {
		struct emu_pkt p = pkt_of(i);
		ck_assert_int_eq(emu_capout_write(c, 0, &p.ts, p.data, p.caplen, NULL), 0);
	}
	ck_assert_int_eq(emu_capout_close(c), 0);

	FILE *wf = open_memstream(&wlist, &wlen), *gf = open_memstream(&glist, &glen);
	struct emu_verify_config cfg = {.path = path, .keys = kt, .jobs = 1, .list = wf};
	ck_assert_msg(emu_verify(&cfg, &want, err, sizeof(err)) == 0, "%s", err);
	cfg.list = gf;
	struct emu_verify_stream *s =
		emu_verify_stream_new(&cfg, MD5SIG_LINK_ETHERNET, err, sizeof(err));
	ck_assert_msg(s, "%s", err);
	unsigned tcp = 0;
	for (unsigned i = 0; i < NFRAMES; i++) {
		struct emu_pkt p = pkt_of(i);
		struct emu_verify_seen seen;
		emu_verify_stream_feed(s, &p, &seen);
		ck_assert(seen.tcp == (i % 8 != 6));
		tcp += seen.tcp;
	}
	emu_verify_stream_counts(s, &got);
	emu_verify_stream_free(s);
	ck_assert_int_eq(fclose(wf), 0);
	ck_assert_int_eq(fclose(gf), 0);
	ck_assert_uint_eq(got.frames, NFRAMES);
	ck_assert_uint_eq(got.verdicts[MD5SIG_INVALID], NFRAMES / 8);
	ck_assert_msg(!memcmp(&got, &want, sizeof(got)),
		      "the stream's counts differ from the file's");
	ck_assert_str_eq(glist, wlist);
	ck_assert_uint_eq(tcp, NFRAMES - NFRAMES / 8);
	free(wlist);
	free(glist);
	md5sig_keytab_free(kt);
	unlink(path);
}
END_TEST

/* A run over the frames (mtu 1500): per-peer counts, super-frames, the summary and JSON. */
START_TEST(peers_summary_json)
{
	struct md5sig_keytab *kt = keys();
	struct emu_live_config cfg = {.iface = "veth0", .verify = {.keys = kt}};
	char err[256], *text = NULL;
	size_t len = 0, n;

	build_all();
	struct emu_live *l = emu_live_new(&cfg, MD5SIG_LINK_ETHERNET, err, sizeof(err));
	ck_assert_msg(l, "%s", err);
	for (unsigned i = 0; i < NFRAMES; i++) {
		struct emu_pkt p = pkt_of(i);
		emu_live_feed(l, &p, 1500);
	}
	const struct emu_live_peer *p = emu_live_peers(l, &n);
	/* first seen: 192.0.2.1, .3, 198.51.100.1, 2001:db8::1, 192.0.2.2 */
	ck_assert_uint_eq(n, 5);
	char a[INET6_ADDRSTRLEN];
	ck_assert_str_eq(inet_ntop(p[0].family, p[0].addr, a, sizeof(a)), "192.0.2.1");
	ck_assert_uint_eq(p[0].frames, 2 * NFRAMES / 8); /* valid and missing ones */
	ck_assert_uint_eq(p[0].valid, NFRAMES / 8);
	ck_assert_uint_eq(p[0].missing, NFRAMES / 8);
	ck_assert_uint_eq(p[0].invalid, 0);
	ck_assert_str_eq(inet_ntop(p[1].family, p[1].addr, a, sizeof(a)), "192.0.2.3");
	ck_assert_uint_eq(p[1].invalid, NFRAMES / 8);
	ck_assert_uint_eq(p[1].frames, NFRAMES / 8);
	ck_assert_str_eq(inet_ntop(p[2].family, p[2].addr, a, sizeof(a)), "198.51.100.1");
	ck_assert_uint_eq(p[2].valid + p[2].invalid + p[2].missing, 0);
	ck_assert_str_eq(inet_ntop(p[3].family, p[3].addr, a, sizeof(a)), "2001:db8::1");
	ck_assert_uint_eq(p[3].valid, p[3].frames);

	FILE *f = open_memstream(&text, &len);
	emu_live_summary(f, l);
	emu_live_json(f, l);
	ck_assert_int_eq(fclose(f), 0);
	/* frames 8, 17, 26, 35, 44 are jumbo; the signed ones count: 8 (valid), 17 (invalid) and 35
	 * (unexpected), not 26 (missing) and 44 (unsigned) */
	ck_assert_msg(strstr(text, "veth0 0s: 48 frames, 3 super-frames | 192.0.2.1 12 frames, 6 "
				   "valid, 0 invalid, 6 missing | 192.0.2.3 6 frames, 0 valid, 6 "
				   "invalid, 0 missing | 198.51.100.1 12 frames"),
		      "%s", text);
	ck_assert_msg(strstr(text, "{\"frames\": 48, \"md5\": {\"valid\": 18, "), "%s", text);
	ck_assert_msg(strstr(text, ", \"ao_flows\": {\"learnt\": 0, \"evictions\": 0}, "
				   "\"interface\": \"veth0\", \"dropped\": 0, \"oversize\": 3, "
				   "\"peers\": [{\"address\": \"192.0.2.1\", \"frames\": 12, "
				   "\"valid\": 6, \"invalid\": 0, \"missing\": 6}, "),
		      "%s", text);
	ck_assert_msg(strstr(text,
			     "{\"address\": \"2001:db8::1\", \"frames\": 6, \"valid\": 6, "
			     "\"invalid\": 0, \"missing\": 0}, {\"address\": \"192.0.2.2\", "
			     "\"frames\": 6, \"valid\": 6, \"invalid\": 0, \"missing\": 0}]}\n"),
		      "%s", text);
	ck_assert_ptr_null(strstr(text, "k1"));
	free(text);
	emu_live_free(l);
	md5sig_keytab_free(kt);
}
END_TEST

/* Past EMU_LIVE_PEERS sources, the rest are counted together as "others". */
START_TEST(peers_overflow)
{
	struct emu_live_config cfg = {.iface = "any"};
	char err[256], *text = NULL, src[32];
	uint8_t buf[200];
	size_t len = 0, n;

	struct emu_live *l = emu_live_new(&cfg, MD5SIG_LINK_ETHERNET, err, sizeof(err));
	ck_assert_msg(l, "%s", err);
	for (unsigned i = 0; i < EMU_LIVE_PEERS + 5; i++) {
		snprintf(src, sizeof(src), "10.%u.%u.1", i / 256, i % 256);
		struct tf_spec s = {.src = src, .dst = "192.0.2.2"};
		struct emu_pkt p = {.data = buf, .ts = {1, 0}};
		p.len = p.caplen = (uint32_t)tf_build(&s, buf, sizeof(buf));
		emu_live_feed(l, &p, 0);
	}
	emu_live_peers(l, &n);
	ck_assert_uint_eq(n, EMU_LIVE_PEERS);
	FILE *f = open_memstream(&text, &len);
	emu_live_summary(f, l);
	emu_live_json(f, l);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_msg(strstr(text, " | 1017 more peers\n"), "%s", text);
	ck_assert_msg(strstr(text, "{\"address\": \"others\", \"frames\": 5, "), "%s", text);
	free(text);
	emu_live_free(l);
}
END_TEST

/* A signed segment IPv4 fragments carried is longer than the MTU once reassembled: no
 * super-frame. */
START_TEST(fragments_are_no_superframe)
{
	struct md5sig_keytab *kt = keys();
	struct md5sig_key k1 = tf_key("k1");
	struct tf_spec s = {.md5 = true, .plen = 2500, .no_df = true, .ipid = 7};
	struct emu_live_config cfg = {.iface = "eth0", .verify = {.keys = kt}};
	static uint8_t seg[4000], frag[2][1600];
	size_t n = tf_build_signed(&s, &k1, seg, sizeof(seg)), hl = 20, data = n - 14 - hl;
	char err[256];

	ck_assert_uint_gt(n, 1500);
	struct emu_live *l = emu_live_new(&cfg, MD5SIG_LINK_ETHERNET, err, sizeof(err));
	ck_assert_msg(l, "%s", err);
	for (int i = 0; i < 2; i++) { /* 1480 bytes, then the rest */
		size_t off = i ? 1480 : 0, len = i ? data - 1480 : 1480;
		memcpy(frag[i], seg, 14 + hl);
		tf_put16(frag[i] + 14 + 2, (uint16_t)(hl + len));
		tf_put16(frag[i] + 14 + 6, (uint16_t)((i ? 0 : 0x2000) | off / 8));
		tf_put16(frag[i] + 14 + 10, 0);
		tf_put16(frag[i] + 14 + 10, (uint16_t)~tf_csum_add(0, frag[i] + 14, hl));
		memcpy(frag[i] + 14 + hl, seg + 14 + hl + off, len);
		struct emu_pkt p = {.data = frag[i], .ts = {1, 0}};
		p.len = p.caplen = (uint32_t)(14 + hl + len);
		emu_live_feed(l, &p, 1500);
	}
	size_t np;
	const struct emu_live_peer *p = emu_live_peers(l, &np);
	ck_assert_uint_eq(np, 1);
	ck_assert_uint_eq(p[0].valid, 1);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	emu_live_json(f, l);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_msg(strstr(text, "\"oversize\": 0,"), "%s", text);
	free(text);
	emu_live_free(l);
	md5sig_keytab_free(kt);
}
END_TEST

Suite *suite_live(void)
{
	Suite *s = suite_create("live");
	TCase *tc = tcase_create("live");

	tcase_add_test(tc, stream_equals_file);
	tcase_add_test(tc, peers_summary_json);
	tcase_add_test(tc, peers_overflow);
	tcase_add_test(tc, fragments_are_no_superframe);
	suite_add_tcase(s, tc);
	return s;
}
