// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The receive path: rx-csum marks checksums without touching a byte; lro coalesces a flow's
 * consecutive segments as Linux GRO does (signed segments never merge), or as a naive
 * coalescer that breaks every digest and is named the culprit. Every coalesced frame is
 * checked against the segments it came from with a naive checksum written here; every push
 * and flush checks the accounting identity and the order the guest sees frames in.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <check.h>

#include "offload/offload.h"
#include "tests/suites.h"
#include "tests/support/frames.h"

#define SECRET	  "rx-test-secret"
#define NTAPS	  3 /* the wire, after rx-csum, after lro (what the guest gets) */
#define TAP_RX	  1
#define TAP_GUEST 2
#define MAX_SHOTS 128
#define MAX_SEGS  80
#define SEQ0	  1000u

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10
#define F_URG 0x20
#define F_CWR 0x80

/* A copy of a frame seen at a tap. */
struct shot {
	uint8_t *data;
	uint32_t len;
	enum offload_csum csum;
	uint16_t merged;
	bool changed;
};

struct run {
	struct offload_pipeline *pl;
	struct md5sig_keytab *kt;
	struct md5sig_hasher *h;
	uint64_t guest_no;
	struct {
		unsigned n;
		struct shot f[MAX_SHOTS];
	} taps[NTAPS];
};

/* Quirks and features of one pipeline; NULL: the stage's default. */
struct setup {
	const char *options, *max_size;
	bool rx_off, lro_off;
};

static uint8_t stream[1 << 18];	     /* a flow's bytes: segment payloads are slices */
static uint8_t segs[MAX_SEGS][4096]; /* built segments */
static size_t seglen[MAX_SEGS];

static void sink(void *arg, unsigned tap, const struct offload_frame *f,
		 const struct md5sig_seg *seg, enum md5sig_status st)
{
	struct run *r = arg;

	(void)seg;
	(void)st;
	ck_assert_uint_lt(tap, NTAPS);
	ck_assert_uint_lt(r->taps[tap].n, MAX_SHOTS);
	struct shot *s = &r->taps[tap].f[r->taps[tap].n++];
	s->data = malloc(f->len);
	ck_assert_ptr_nonnull(s->data);
	memcpy(s->data, f->data, f->len);
	s->len = f->len;
	s->csum = f->csum;
	s->merged = f->merged;
	s->changed = f->changed;
}

static void run_open(struct run *r, const struct setup *s)
{
	const char *why = NULL;
	char err[256] = "";
	struct offload_config c = {
		.linktype = MD5SIG_LINK_ETHERNET,
		.wire_mtu = 1500,
		.verify = true,
		.stages = {"rx-csum", "lro"},
		.nstages = 2,
		.requested = {[OFFLOAD_F_RX] = !s->rx_off, [OFFLOAD_F_LRO] = !s->lro_off},
	};

	memset(r, 0, sizeof(*r));
	r->kt = md5sig_keytab_new();
	r->h = md5sig_hasher_new();
	ck_assert_ptr_nonnull(r->kt);
	ck_assert_ptr_nonnull(r->h);
	/* signed flows use 192.0.2.0/24; unsigned ones other addresses */
	ck_assert_int_eq(md5sig_keytab_parse_line(r->kt, "192.0.2.0/24 " SECRET, &why), 0);
	c.keys = r->kt;
	if (s->options) {
		c.params[c.nparams].key = "lro.options";
		c.params[c.nparams++].value = s->options;
	}
	if (s->max_size) {
		c.params[c.nparams].key = "lro.max_size";
		c.params[c.nparams++].value = s->max_size;
	}
	r->pl = offload_pipeline_new(&c, err, sizeof(err));
	ck_assert_msg(r->pl != NULL, "pipeline: %s", err);
	offload_pipeline_set_sink(r->pl, sink, r);
	for (size_t i = 0; i < sizeof(stream); i++)
		stream[i] = (uint8_t)(i * 131 + (i >> 8) * 7 + 1);
}

static void run_close(struct run *r)
{
	for (unsigned t = 0; t < NTAPS; t++)
		for (unsigned i = 0; i < r->taps[t].n; i++)
			free(r->taps[t].f[i].data);
	offload_pipeline_free(r->pl);
	md5sig_keytab_free(r->kt);
	md5sig_hasher_free(r->h);
}

/* frames_in + created == frames_out + dropped + merged + held, for every stage. */
static void check_accounting(const struct run *r)
{
	struct offload_stats st;

	offload_pipeline_stats(r->pl, &st);
	for (unsigned i = 0; i < st.nstages; i++) {
		const struct offload_stage_stats *s = &st.stages[i];

		ck_assert_msg(
			s->frames_in + s->created ==
				s->frames_out + s->dropped + s->merged + s->held,
			"%s: in %llu + created %llu != out %llu + dropped %llu + merged %llu + "
			"held %llu",
			s->name, (unsigned long long)s->frames_in, (unsigned long long)s->created,
			(unsigned long long)s->frames_out, (unsigned long long)s->dropped,
			(unsigned long long)s->merged, (unsigned long long)s->held);
		if (i)
			ck_assert_uint_eq(s->frames_in, st.stages[i - 1].frames_out);
	}
	ck_assert_uint_eq(st.stages[st.nstages - 1].frames_out, r->taps[TAP_GUEST].n);
}

/* Hand @n bytes from the wire to the pipeline; returns how many frames reached the guest. */
static int push(struct run *r, const uint8_t *buf, size_t n)
{
	struct offload_frame *f = offload_pipeline_guest_frame(r->pl, (uint32_t)n);

	ck_assert_ptr_nonnull(f);
	memcpy(f->data, buf, n);
	f->len = (uint32_t)n;
	f->guest_no = ++r->guest_no;
	int sent = offload_pipeline_tx(r->pl, f);
	check_accounting(r);
	return sent;
}

static int push_seg(struct run *r, unsigned i)
{
	return push(r, segs[i], seglen[i]);
}

/* The end of the run: everything held reaches the guest. */
static int flush(struct run *r)
{
	struct offload_stats st;
	int sent = offload_pipeline_flush(r->pl, true);

	check_accounting(r);
	offload_pipeline_stats(r->pl, &st);
	ck_assert_uint_eq(st.stages[1].held, 0);
	return sent;
}

/* An unsigned segment of the test flow: @plen bytes of the stream from sequence @seq. */
static struct tf_spec flow(uint32_t seq, size_t plen)
{
	return (struct tf_spec){.src = "198.51.100.1",
				.dst = "198.51.100.2",
				.dport = 5201,
				.seq = seq,
				.ack = 77,
				.flags = F_ACK,
				.payload = stream + (uint32_t)(seq - SEQ0) % (sizeof(stream) / 2),
				.plen = plen};
}

/* A segment of the signed BGP session (192.0.2.1.40000 > 192.0.2.2.179). */
static struct tf_spec signed_flow(uint32_t seq, size_t plen)
{
	struct tf_spec s = flow(seq, plen);

	s.src = s.dst = NULL;
	s.dport = 0;
	s.md5 = true;
	return s;
}

static size_t mk(unsigned i, const struct tf_spec *s)
{
	struct md5sig_key key = tf_key(SECRET);

	ck_assert_uint_lt(i, MAX_SEGS);
	seglen[i] = s->md5 ? tf_build_signed(s, &key, segs[i], sizeof(segs[i]))
			   : tf_build(s, segs[i], sizeof(segs[i]));
	ck_assert_uint_gt(seglen[i], 0);
	return seglen[i];
}

/* Segments 0..@n - 1: one flow's back-to-back 1000-byte segments. */
static void mk_flow(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct tf_spec s = flow(SEQ0 + i * 1000, 1000);
		mk(i, &s);
	}
}

static void parse(const uint8_t *f, size_t len, struct md5sig_seg *seg)
{
	ck_assert_int_eq(md5sig_parse(MD5SIG_LINK_ETHERNET, f, len, seg), MD5SIG_TCP);
}

static enum md5sig_verdict verdict(const struct run *r, const struct shot *s)
{
	struct md5sig_seg seg;

	parse(s->data, s->len, &seg);
	return md5sig_classify(r->h, r->kt, s->data, MD5SIG_TCP, &seg);
}

/* ---- naive references ---- */

/*
 * @s must be segments segs[first .. first + n) coalesced: the first one's link, IP and TCP
 * headers (options and digest included) with the lengths grown, PSH/FIN of any ORed in, both
 * checksums right, and the payloads concatenated.
 */
static void expect_coalesced(const struct shot *s, unsigned first, unsigned n)
{
	const uint8_t *g0 = segs[first];
	struct md5sig_seg o, g;
	uint32_t payload = 0;
	uint8_t flags;

	parse(g0, seglen[first], &g);
	parse(s->data, s->len, &o);
	ck_assert_uint_eq(s->merged, n - 1);
	if (n == 1) {
		ck_assert_uint_eq(s->len, seglen[first]);
		ck_assert_msg(!memcmp(s->data, g0, s->len), "a lone segment changed");
		ck_assert(!s->changed);
		return;
	}
	ck_assert(s->changed);
	ck_assert_int_eq(s->csum, OFFLOAD_CSUM_COMPLETE);
	flags = g0[g.l4_off + 13];
	for (unsigned i = first; i < first + n; i++) {
		struct md5sig_seg p;

		parse(segs[i], seglen[i], &p);
		ck_assert_int_eq(memcmp(s->data + o.l4_off + o.thlen + payload,
					segs[i] + p.l4_off + p.thlen, p.tcp_len - p.thlen),
				 0);
		payload += p.tcp_len - p.thlen;
		flags |= segs[i][p.l4_off + 13] & (F_PSH | F_FIN);
	}
	ck_assert_uint_eq(o.l3_off, g.l3_off);
	ck_assert_uint_eq(o.l4_off, g.l4_off);
	ck_assert_uint_eq(o.thlen, g.thlen);
	ck_assert_uint_eq(o.tcp_len, g.thlen + payload);
	ck_assert_uint_eq(s->len, g.l4_off + g.thlen + payload);
	ck_assert_int_eq(memcmp(s->data, g0, g.l3_off), 0);

	const uint8_t *ip = s->data + o.l3_off, *gip = g0 + g.l3_off;
	if (g.family == AF_INET) {
		ck_assert_uint_eq(tf_get16(ip + 2), 20 + g.thlen + payload);
		ck_assert_uint_eq(tf_csum_add(0, ip, 20), 0xffff);
		ck_assert_int_eq(memcmp(ip, gip, 2), 0);
		ck_assert_int_eq(memcmp(ip + 4, gip + 4, 6), 0); /* the first segment's ID */
		ck_assert_int_eq(memcmp(ip + 12, gip + 12, 8), 0);
	} else {
		ck_assert_uint_eq(tf_get16(ip + 4), g.thlen + payload);
		ck_assert_int_eq(memcmp(ip, gip, 4), 0);
		ck_assert_int_eq(memcmp(ip + 6, gip + 6, 34), 0);
	}
	const uint8_t *tcp = s->data + o.l4_off, *gtcp = g0 + g.l4_off;
	ck_assert_int_eq(memcmp(tcp, gtcp, 13), 0); /* ports, first seq, ack, data offset */
	ck_assert_uint_eq(tcp[13], flags);
	ck_assert_int_eq(memcmp(tcp + 14, gtcp + 14, 2), 0);
	ck_assert_int_eq(memcmp(tcp + 18, gtcp + 18, g.thlen - 18), 0); /* urg, options */
	ck_assert_uint_eq(tf_tcp_sum(s->data, &o), 0xffff);
}

/* The guest tap holds exactly segs[0 .. n) untouched, in order. */
static void expect_untouched(const struct run *r, unsigned n)
{
	ck_assert_uint_eq(r->taps[TAP_GUEST].n, n);
	for (unsigned i = 0; i < n; i++)
		expect_coalesced(&r->taps[TAP_GUEST].f[i], i, 1);
}

/* ---- rx-csum ---- */

/* Turn built TCP segment @i into a UDP datagram with a correct checksum (IPv4 or IPv6). */
static void to_udp(unsigned i)
{
	struct md5sig_seg seg;
	uint8_t *f = segs[i], ph[40] = {0};
	size_t alen, phl;

	parse(f, seglen[i], &seg);
	uint8_t *ip = f + seg.l3_off, *udp = f + seg.l4_off;
	if (seg.family == AF_INET) {
		ip[9] = 17;
		tf_put16(ip + 10, 0);
		tf_put16(ip + 10, (uint16_t)~tf_csum_add(0, ip, 20));
	} else {
		ip[6] = 17;
	}
	alen = seg.family == AF_INET6 ? 16 : 4;
	memcpy(ph, seg.saddr, alen);
	memcpy(ph + alen, seg.daddr, alen);
	ph[2 * alen + 1] = 17;
	tf_put16(ph + 2 * alen + 2, (uint16_t)seg.tcp_len);
	phl = 2 * alen + 4;
	tf_put16(udp + 4, (uint16_t)seg.tcp_len);
	tf_put16(udp + 6, 0);
	uint16_t sum = (uint16_t)~tf_csum_add(tf_csum_add(0, ph, phl), udp, seg.tcp_len);
	tf_put16(udp + 6, sum ? sum : 0xffff);
}

/* What a test does to a built frame before the wire hands it over. */
enum damage { D_NONE, D_PAYLOAD, D_IP_HDR, D_PSEUDO_ONLY, D_ZERO_CSUM, D_ARP };

/* @seg: segs[i] parsed before any to_udp(), which keeps the offsets */
static void damage(unsigned i, const struct md5sig_seg *seg, enum damage d)
{
	uint8_t *f = segs[i], *l4 = f + seg->l4_off;

	switch (d) {
	case D_NONE:
		break;
	case D_PAYLOAD:
		l4[seg->thlen] ^= 0x40;
		break;
	case D_IP_HDR:
		f[seg->l3_off + 8]--; /* TTL changed, header checksum not */
		break;
	case D_PSEUDO_ONLY: {
		/* what a guest leaves for tx-csum (CHECKSUM_PARTIAL): from the wire, bad */
		uint8_t ph[12] = {0};
		memcpy(ph, seg->saddr, 4);
		memcpy(ph + 4, seg->daddr, 4);
		ph[9] = 6;
		tf_put16(ph + 10, (uint16_t)seg->tcp_len);
		tf_put16(l4 + 16, (uint16_t)tf_csum_add(0, ph, 12));
		break;
	}
	case D_ZERO_CSUM:
		tf_put16(l4 + 6, 0); /* UDP: "no checksum" */
		break;
	case D_ARP:
		f[12] = 0x08;
		f[13] = 0x06;
		break;
	}
}

START_TEST(rxcsum_marks_good_and_bad_without_changing_bytes)
{
	struct run r;
	struct offload_stats st;
	const struct {
		const char *what;
		int family;
		bool md5, udp;
		enum damage d;
		enum offload_csum want;
	} cases[] = {
		{"tcp4 good", AF_INET, false, false, D_NONE, OFFLOAD_CSUM_COMPLETE},
		{"tcp4 bad payload", AF_INET, false, false, D_PAYLOAD, OFFLOAD_CSUM_BAD},
		{"tcp4 bad ip header", AF_INET, false, false, D_IP_HDR, OFFLOAD_CSUM_BAD},
		{"tcp4 pseudo sum only", AF_INET, false, false, D_PSEUDO_ONLY, OFFLOAD_CSUM_BAD},
		{"tcp6 good", AF_INET6, false, false, D_NONE, OFFLOAD_CSUM_COMPLETE},
		{"tcp6 bad payload", AF_INET6, false, false, D_PAYLOAD, OFFLOAD_CSUM_BAD},
		{"signed tcp4 good", AF_INET, true, false, D_NONE, OFFLOAD_CSUM_COMPLETE},
		{"udp4 good", AF_INET, false, true, D_NONE, OFFLOAD_CSUM_COMPLETE},
		{"udp4 no checksum", AF_INET, false, true, D_ZERO_CSUM, OFFLOAD_CSUM_COMPLETE},
		{"udp4 bad payload", AF_INET, false, true, D_PAYLOAD, OFFLOAD_CSUM_BAD},
		{"udp6 good", AF_INET6, false, true, D_NONE, OFFLOAD_CSUM_COMPLETE},
		{"udp6 zero checksum", AF_INET6, false, true, D_ZERO_CSUM, OFFLOAD_CSUM_BAD},
		{"arp", AF_INET, false, false, D_ARP, OFFLOAD_CSUM_NONE},
	};
	unsigned n = sizeof(cases) / sizeof(cases[0]);

	for (unsigned i = 0; i < n; i++) {
		struct tf_spec s = cases[i].md5 ? signed_flow(SEQ0, 700) : flow(SEQ0, 700);
		struct md5sig_seg seg;

		if (cases[i].family == AF_INET6) {
			s.family = AF_INET6;
			s.src = "2001:db8:1::1";
			s.dst = "2001:db8:1::2";
		}
		/* PSH: lro passes these on at once, so the guest sees each as it comes */
		s.flags = F_ACK | F_PSH;
		mk(i, &s);
		parse(segs[i], seglen[i], &seg);
		if (cases[i].udp)
			to_udp(i);
		damage(i, &seg, cases[i].d);
	}

	run_open(&r, &(struct setup){0});
	for (unsigned i = 0; i < n; i++) {
		ck_assert_int_eq(push_seg(&r, i), 1);
		const struct shot *s = &r.taps[TAP_RX].f[i];
		ck_assert_msg(s->csum == cases[i].want, "%s: csum %d, want %d", cases[i].what,
			      s->csum, cases[i].want);
		ck_assert_uint_eq(s->len, seglen[i]);
		ck_assert_msg(!memcmp(s->data, segs[i], seglen[i]), "%s: bytes changed",
			      cases[i].what);
		ck_assert(!s->changed);
		ck_assert_uint_eq(r.taps[TAP_GUEST].n, i + 1);
		ck_assert_int_eq(memcmp(r.taps[TAP_GUEST].f[i].data, segs[i], seglen[i]), 0);
	}
	ck_assert_int_eq(flush(&r), 0);
	offload_pipeline_stats(r.pl, &st);
	ck_assert_uint_eq(st.stages[0].dropped, 0); /* bad ones are the guest's to drop */
	ck_assert_uint_eq(st.stages[0].frames_out, n);
	ck_assert_uint_eq(st.stages[0].invalidated, 0);
	ck_assert_uint_eq(st.stages[0].tap.verdicts[MD5SIG_VALID], 1);
	run_close(&r);

	/* with rx-checksumming off nothing is marked */
	run_open(&r, &(struct setup){.rx_off = true, .lro_off = true});
	for (unsigned i = 0; i < n; i++) {
		ck_assert_int_eq(push_seg(&r, i), 1);
		ck_assert_int_eq(r.taps[TAP_RX].f[i].csum, OFFLOAD_CSUM_NONE);
	}
	run_close(&r);
}
END_TEST

/* ---- lro: what merges ---- */

START_TEST(lro_merges_consecutive_unsigned_segments)
{
	static const struct {
		int family;
		unsigned vlans;
	} kinds[] = {{AF_INET, 0}, {AF_INET, 1}, {AF_INET6, 0}, {AF_INET6, 2}};

	for (unsigned k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		struct run r;
		struct offload_stats st;

		for (unsigned i = 0; i < 4; i++) {
			struct tf_spec s = flow(SEQ0 + i * 1000, 1000);

			s.family = kinds[k].family;
			s.vlans = kinds[k].vlans;
			if (s.family == AF_INET6) {
				s.src = "2001:db8:1::1";
				s.dst = "2001:db8:1::2";
			}
			mk(i, &s);
		}
		run_open(&r, &(struct setup){0});
		for (unsigned i = 0; i < 4; i++)
			ck_assert_int_eq(push_seg(&r, i), 0);
		ck_assert_uint_eq(r.taps[TAP_GUEST].n, 0);
		ck_assert_int_eq(flush(&r), 1);
		ck_assert_uint_eq(r.taps[TAP_GUEST].n, 1);
		expect_coalesced(&r.taps[TAP_GUEST].f[0], 0, 4);
		ck_assert_int_eq(verdict(&r, &r.taps[TAP_GUEST].f[0]), MD5SIG_UNSIGNED);

		offload_pipeline_stats(r.pl, &st);
		ck_assert_uint_eq(st.stages[1].frames_in, 4);
		ck_assert_uint_eq(st.stages[1].merged, 3);
		ck_assert_uint_eq(st.stages[1].frames_out, 1);
		ck_assert_uint_eq(st.stages[1].created, 0);
		ck_assert_uint_eq(st.stages[1].tap.verdicts[MD5SIG_UNSIGNED], 1);
		ck_assert_int_eq(st.culprit, -1);
		run_close(&r);
	}
}
END_TEST

/* Linux GRO: PSH or FIN joins the frame and sends it; so does a segment shorter than the first. */
START_TEST(lro_psh_fin_or_short_segment_completes_the_frame)
{
	struct run r;
	struct tf_spec s;

	for (unsigned i = 0; i < 4; i++) {
		s = flow(SEQ0 + i * 1000, 1000);
		if (i == 3)
			s.flags = F_ACK | F_PSH;
		mk(i, &s);
	}
	s = flow(SEQ0 + 4000, 1000);
	mk(4, &s);
	s = flow(SEQ0 + 5000, 400);
	mk(5, &s);
	s = flow(SEQ0 + 5400, 1000);
	mk(6, &s);
	s = flow(SEQ0 + 6400, 1000);
	s.flags = F_ACK | F_FIN;
	mk(7, &s);

	run_open(&r, &(struct setup){0});
	for (unsigned i = 0; i < 3; i++)
		ck_assert_int_eq(push_seg(&r, i), 0);
	ck_assert_int_eq(push_seg(&r, 3), 1);
	expect_coalesced(&r.taps[TAP_GUEST].f[0], 0, 4);
	ck_assert_uint_eq(r.taps[TAP_GUEST].f[0].data[14 + 20 + 13], F_ACK | F_PSH);

	ck_assert_int_eq(push_seg(&r, 4), 0);
	ck_assert_int_eq(push_seg(&r, 5), 1); /* 400 < 1000: the short one ends it */
	expect_coalesced(&r.taps[TAP_GUEST].f[1], 4, 2);

	ck_assert_int_eq(push_seg(&r, 6), 0);
	ck_assert_int_eq(push_seg(&r, 7), 1);
	expect_coalesced(&r.taps[TAP_GUEST].f[2], 6, 2);
	ck_assert_uint_eq(r.taps[TAP_GUEST].f[2].data[14 + 20 + 13], F_ACK | F_FIN);
	ck_assert_int_eq(flush(&r), 0);
	run_close(&r);

	/* alone, a FIN or PSH segment is not held: it would leave at once anyway */
	run_open(&r, &(struct setup){0});
	ck_assert_int_eq(push_seg(&r, 7), 1);
	ck_assert_int_eq(push_seg(&r, 3), 1);
	ck_assert_uint_eq(r.taps[TAP_GUEST].n, 2);
	expect_coalesced(&r.taps[TAP_GUEST].f[0], 7, 1);
	expect_coalesced(&r.taps[TAP_GUEST].f[1], 3, 1);
	run_close(&r);
}
END_TEST

/* Signed segments differ in their digests, so Linux's identical-options rule keeps them apart. */
START_TEST(lro_linux_never_merges_signed_segments)
{
	struct run r;
	struct offload_stats st;

	for (unsigned i = 0; i < 4; i++) {
		struct tf_spec s = signed_flow(SEQ0 + i * 1000, 1000);
		mk(i, &s);
	}
	run_open(&r, &(struct setup){.options = "linux"});
	ck_assert_int_eq(push_seg(&r, 0), 0);
	for (unsigned i = 1; i < 4; i++) {
		/* the held one leaves, the new one is held in its place */
		ck_assert_int_eq(push_seg(&r, i), 1);
		ck_assert_uint_eq(r.taps[TAP_GUEST].n, i);
	}
	ck_assert_int_eq(flush(&r), 1);
	expect_untouched(&r, 4);
	for (unsigned i = 0; i < 4; i++)
		ck_assert_int_eq(verdict(&r, &r.taps[TAP_GUEST].f[i]), MD5SIG_VALID);

	offload_pipeline_stats(r.pl, &st);
	ck_assert_uint_eq(st.stages[1].merged, 0);
	ck_assert_uint_eq(st.stages[1].frames_out, 4);
	ck_assert_uint_eq(st.stages[1].tap.verdicts[MD5SIG_VALID], 4);
	ck_assert_uint_eq(st.stages[1].invalidated, 0);
	ck_assert_int_eq(st.culprit, -1);
	run_close(&r);
}
END_TEST

/* A coalescer that compares only option lengths merges them and is named the culprit. */
START_TEST(lro_any_merges_signed_segments_and_is_the_culprit)
{
	struct run r;
	struct offload_stats st;
	struct md5sig_seg g;

	for (unsigned i = 0; i < 4; i++) {
		struct tf_spec s = signed_flow(SEQ0 + i * 1000, 1000);
		mk(i, &s);
	}
	run_open(&r, &(struct setup){.options = "any"});
	for (unsigned i = 0; i < 4; i++)
		ck_assert_int_eq(push_seg(&r, i), 0);
	ck_assert_int_eq(flush(&r), 1);
	const struct shot *m = &r.taps[TAP_GUEST].f[0];
	expect_coalesced(m, 0, 4);
	/* the first segment's digest, now over 4000 bytes it never covered */
	parse(segs[0], seglen[0], &g);
	ck_assert_int_eq(memcmp(m->data + g.md5_off, segs[0] + g.md5_off, MD5SIG_DIGEST_LEN), 0);
	ck_assert_int_eq(verdict(&r, m), MD5SIG_INVALID);

	offload_pipeline_stats(r.pl, &st);
	ck_assert_uint_eq(st.stages[0].tap.verdicts[MD5SIG_VALID], 4);
	ck_assert_uint_eq(st.stages[1].tap.verdicts[MD5SIG_INVALID], 1);
	ck_assert_uint_eq(st.stages[1].invalidated, 1);
	ck_assert_int_eq(st.culprit, 1);
	ck_assert_str_eq(st.stages[st.culprit].name, "lro");
	ck_assert(st.stages[1].has_why);
	ck_assert_int_eq(st.stages[1].why.before, MD5SIG_VALID);
	ck_assert_int_eq(st.stages[1].why.after, MD5SIG_INVALID);
	ck_assert_uint_eq(st.stages[1].why.guest_no, 1);
	ck_assert_msg(strstr(st.stages[1].why.changed, "4 segments coalesced"), "why: %s",
		      st.stages[1].why.changed);
	run_close(&r);
}
END_TEST

/* ---- lro: what must not merge, and order ---- */

enum variant {
	V_RETRANSMIT,
	V_GAP,
	V_OTHER_FLOW,
	V_ACK,
	V_WINDOW,
	V_OPTLEN,
	V_OPTBYTES,
	V_CWR,
	V_URG,
	V_RST,
	V_SYN,
	V_PURE_ACK,
	V_LARGER,
	V_TTL,
	V_TOS,
	V_IPOPTS,
	V_BADCSUM,
	V_OTHER_VLAN,
	V_NVARIANTS,
};

static const uint8_t ts_a[] = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 9};
static const uint8_t ts_b[] = {1, 1, 8, 10, 0, 0, 0, 2, 0, 0, 0, 9};

/* The second segment of a flow, bent by @v; @frames: what pushing it outputs. */
static struct tf_spec variant(enum variant v, int *frames)
{
	struct tf_spec s = flow(SEQ0 + 1000, 1000);

	*frames = 1; /* by default the held one leaves and the new one is held */
	switch (v) {
	case V_RETRANSMIT:
		s.seq = SEQ0;
		break;
	case V_GAP:
		s.seq = SEQ0 + 1001;
		break;
	case V_OTHER_FLOW:
		s.sport = 40001;
		*frames = 0; /* both held */
		break;
	case V_ACK:
		s.ack++;
		break;
	case V_WINDOW:
		s.window = 4000;
		break;
	case V_OPTLEN:
		s.opts = ts_a;
		s.opts_len = sizeof(ts_a);
		break;
	case V_OPTBYTES:
		s.opts = ts_b; /* the first carries ts_a */
		s.opts_len = sizeof(ts_b);
		break;
	case V_CWR:
		s.flags |= F_CWR;
		*frames = 2; /* passed on behind the held one */
		break;
	case V_URG:
		s.flags |= F_URG;
		s.urg = 5;
		*frames = 2;
		break;
	case V_RST:
		s.flags = F_RST | F_ACK;
		s.plen = 0;
		*frames = 2;
		break;
	case V_SYN:
		s.flags = F_SYN;
		*frames = 2;
		break;
	case V_PURE_ACK:
		s.plen = 0;
		*frames = 2;
		break;
	case V_LARGER:
		s.plen = 1001;
		break;
	case V_TTL:
		s.ttl = 63;
		break;
	case V_TOS:
		break; /* set after building */
	case V_IPOPTS:
		s.ipv4_opts = 8;
		*frames = 2;
		break;
	case V_BADCSUM:
		*frames = 2; /* corrupted after building */
		break;
	case V_OTHER_VLAN:
		s.vlans = 1;
		*frames = 0;
		break;
	case V_NVARIANTS:
		break;
	}
	return s;
}

START_TEST(lro_keeps_apart_what_linux_keeps_apart)
{
	for (int v = 0; v < V_NVARIANTS; v++) {
		struct run r;
		struct md5sig_seg g;
		struct tf_spec first = flow(SEQ0, 1000);
		int frames;
		struct tf_spec second = variant((enum variant)v, &frames);

		if (v == V_OPTBYTES) {
			first.opts = ts_a;
			first.opts_len = sizeof(ts_a);
		}
		mk(0, &first);
		mk(1, &second);
		parse(segs[1], seglen[1], &g);
		if (v == V_TOS) {
			segs[1][g.l3_off + 1] = 0x10;
			tf_put16(segs[1] + g.l3_off + 10, 0);
			tf_put16(segs[1] + g.l3_off + 10,
				 (uint16_t)~tf_csum_add(0, segs[1] + g.l3_off, 20));
		} else if (v == V_BADCSUM) {
			segs[1][g.l4_off + g.thlen + 10] ^= 0x01;
		}

		run_open(&r, &(struct setup){0});
		ck_assert_int_eq(push_seg(&r, 0), 0);
		ck_assert_msg(push_seg(&r, 1) == frames, "variant %d", v);
		ck_assert_int_eq(flush(&r), 2 - frames);
		/* nothing merged, nothing changed, and the first stays first */
		expect_untouched(&r, 2);
		if (v == V_BADCSUM)
			ck_assert_int_eq(r.taps[TAP_GUEST].f[1].csum, OFFLOAD_CSUM_BAD);
		run_close(&r);
	}
}
END_TEST

/* The naive coalescer still keeps apart what differs in option length or anything else. */
START_TEST(lro_any_compares_option_length_only)
{
	static const enum variant vs[] = {V_OPTLEN, V_OPTBYTES, V_ACK, V_GAP};

	for (unsigned k = 0; k < sizeof(vs) / sizeof(vs[0]); k++) {
		struct run r;
		struct tf_spec first = flow(SEQ0, 1000);
		int frames;
		struct tf_spec second = variant(vs[k], &frames);

		if (vs[k] == V_OPTBYTES) {
			first.opts = ts_a;
			first.opts_len = sizeof(ts_a);
		}
		mk(0, &first);
		mk(1, &second);
		run_open(&r, &(struct setup){.options = "any"});
		ck_assert_int_eq(push_seg(&r, 0), 0);
		if (vs[k] == V_OPTBYTES) {
			ck_assert_int_eq(push_seg(&r, 1), 0);
			ck_assert_int_eq(flush(&r), 1);
			expect_coalesced(&r.taps[TAP_GUEST].f[0], 0, 2);
		} else {
			ck_assert_int_eq(push_seg(&r, 1), frames);
			ck_assert_int_eq(flush(&r), 2 - frames);
			expect_untouched(&r, 2);
		}
		run_close(&r);
	}
}
END_TEST

/* Two flows interleaved coalesce separately; a non-TCP frame passes without disturbing them. */
START_TEST(lro_interleaved_flows)
{
	struct run r;
	struct offload_stats st;

	for (unsigned i = 0; i < 3; i++) {
		struct tf_spec s = flow(SEQ0 + i * 1200, 1200);
		mk(i, &s);
		s = flow(50000 + i * 800, 800);
		s.sport = 41000;
		mk(3 + i, &s);
	}
	mk(6, &(struct tf_spec){.plen = 64});
	to_udp(6);

	run_open(&r, &(struct setup){0});
	for (unsigned i = 0; i < 3; i++) {
		ck_assert_int_eq(push_seg(&r, i), 0);
		ck_assert_int_eq(push_seg(&r, 3 + i), 0);
	}
	ck_assert_int_eq(push_seg(&r, 6), 1);
	ck_assert_int_eq(flush(&r), 2);
	ck_assert_uint_eq(r.taps[TAP_GUEST].n, 3);
	ck_assert_int_eq(memcmp(r.taps[TAP_GUEST].f[0].data, segs[6], seglen[6]), 0);
	/* flushed oldest first: flow a's first segment came first */
	expect_coalesced(&r.taps[TAP_GUEST].f[1], 0, 3);
	expect_coalesced(&r.taps[TAP_GUEST].f[2], 3, 3);
	offload_pipeline_stats(r.pl, &st);
	ck_assert_uint_eq(st.stages[1].merged, 4);
	run_close(&r);
}
END_TEST

/* A ninth flow evicts the oldest held frame; held frames of other flows stay. */
START_TEST(lro_full_table_evicts_the_oldest)
{
	struct run r;

	for (unsigned i = 0; i < 9; i++) {
		struct tf_spec s = flow(SEQ0, 500);
		s.sport = (uint16_t)(42000 + i);
		mk(i, &s);
	}
	run_open(&r, &(struct setup){0});
	for (unsigned i = 0; i < 8; i++)
		ck_assert_int_eq(push_seg(&r, i), 0);
	ck_assert_int_eq(push_seg(&r, 8), 1);
	ck_assert_int_eq(flush(&r), 8);
	expect_untouched(&r, 9);
	run_close(&r);
}
END_TEST

/* Sequence numbers wrap past 2^32 inside a coalesced frame. */
START_TEST(lro_sequence_wraps)
{
	struct run r;

	for (unsigned i = 0; i < 3; i++) {
		struct tf_spec s = flow(0xfffffc00u + i * 1000, 1000);
		s.payload = stream + i * 1000;
		mk(i, &s);
	}
	run_open(&r, &(struct setup){0});
	for (unsigned i = 0; i < 3; i++)
		ck_assert_int_eq(push_seg(&r, i), 0);
	ck_assert_int_eq(flush(&r), 1);
	expect_coalesced(&r.taps[TAP_GUEST].f[0], 0, 3);
	ck_assert_uint_eq(tf_get32(r.taps[TAP_GUEST].f[0].data + 14 + 20 + 4), 0xfffffc00u);
	run_close(&r);
}
END_TEST

/* ---- lro: size ---- */

START_TEST(lro_respects_max_size)
{
	struct run r;
	static uint8_t big[4096];
	size_t blen;

	mk_flow(5); /* 1040-byte IP packets */
	run_open(&r, &(struct setup){.max_size = "3000"});
	ck_assert_int_eq(push_seg(&r, 0), 0);
	ck_assert_int_eq(push_seg(&r, 1), 0);
	ck_assert_int_eq(push_seg(&r, 2), 1); /* 3040 > 3000: 0+1 leave, 2 is held */
	ck_assert_int_eq(push_seg(&r, 3), 0);
	ck_assert_int_eq(push_seg(&r, 4), 1);
	ck_assert_int_eq(flush(&r), 1);
	ck_assert_uint_eq(r.taps[TAP_GUEST].n, 3);
	expect_coalesced(&r.taps[TAP_GUEST].f[0], 0, 2);
	expect_coalesced(&r.taps[TAP_GUEST].f[1], 2, 2);
	expect_coalesced(&r.taps[TAP_GUEST].f[2], 4, 1);
	for (unsigned i = 0; i < 3; i++)
		ck_assert_uint_le(r.taps[TAP_GUEST].f[i].len - 14, 3000);

	/* a segment larger than max_size on its own is passed on, not held */
	struct tf_spec s = flow(SEQ0 + 5000, 3000);
	blen = tf_build(&s, big, sizeof(big));
	ck_assert_int_eq(push(&r, big, blen), 1);
	ck_assert_int_eq(memcmp(r.taps[TAP_GUEST].f[3].data, big, blen), 0);
	run_close(&r);
}
END_TEST

/* The default max_size is the 16-bit IP length: 65 segments of 1000 bytes fit, 66 do not. */
START_TEST(lro_default_max_size_is_the_ip_length)
{
	struct run r;

	mk_flow(70);
	run_open(&r, &(struct setup){0});
	for (unsigned i = 0; i < 65; i++)
		ck_assert_int_eq(push_seg(&r, i), 0);
	ck_assert_int_eq(push_seg(&r, 65), 1);
	ck_assert_uint_eq(r.taps[TAP_GUEST].f[0].len, 14 + 40 + 65000);
	expect_coalesced(&r.taps[TAP_GUEST].f[0], 0, 65);
	for (unsigned i = 66; i < 70; i++)
		ck_assert_int_eq(push_seg(&r, i), 0);
	ck_assert_int_eq(flush(&r), 1);
	expect_coalesced(&r.taps[TAP_GUEST].f[1], 65, 5);
	run_close(&r);
}
END_TEST

START_TEST(lro_bad_parameters_are_refused)
{
	static const char *const bad[][2] = {
		{"lro.max_size", "67"}, {"lro.max_size", "65536"}, {"lro.options", "freebsd"}};

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct offload_config c = {
			.linktype = MD5SIG_LINK_ETHERNET,
			.wire_mtu = 1500,
			.stages = {"lro"},
			.nstages = 1,
			.params = {{bad[i][0], bad[i][1]}},
			.nparams = 1,
		};
		char err[256] = "";

		ck_assert_ptr_null(offload_pipeline_new(&c, err, sizeof(err)));
		ck_assert_str_ne(err, "");
	}
}
END_TEST

/* ---- lro: features ---- */

/* With lro off every segment passes as it came. */
START_TEST(lro_off_passes_everything)
{
	struct run r;
	struct offload_stats st;

	mk_flow(4);
	run_open(&r, &(struct setup){.lro_off = true});
	for (unsigned i = 0; i < 4; i++)
		ck_assert_int_eq(push_seg(&r, i), 1);
	ck_assert_int_eq(flush(&r), 0);
	expect_untouched(&r, 4);
	offload_pipeline_stats(r.pl, &st);
	ck_assert(!st.stages[1].enabled);
	run_close(&r);
}
END_TEST

/* With rx-csum off lro verifies checksums itself: a corrupted segment is never merged. */
START_TEST(lro_without_rxcsum_verifies_itself)
{
	struct run r;
	struct md5sig_seg g;

	mk_flow(4);
	parse(segs[2], seglen[2], &g);
	segs[2][g.l4_off + g.thlen] ^= 0x80;

	run_open(&r, &(struct setup){.rx_off = true});
	ck_assert_int_eq(push_seg(&r, 0), 0);
	ck_assert_int_eq(push_seg(&r, 1), 0);
	ck_assert_int_eq(push_seg(&r, 2), 2); /* the frame of 0+1, then the bad one untouched */
	ck_assert_int_eq(push_seg(&r, 3), 0); /* follows nothing held: starts a frame */
	ck_assert_int_eq(flush(&r), 1);
	ck_assert_uint_eq(r.taps[TAP_GUEST].n, 3);
	expect_coalesced(&r.taps[TAP_GUEST].f[0], 0, 2);
	expect_coalesced(&r.taps[TAP_GUEST].f[1], 2, 1);
	expect_coalesced(&r.taps[TAP_GUEST].f[2], 3, 1);
	ck_assert_int_eq(r.taps[TAP_GUEST].f[1].csum, OFFLOAD_CSUM_NONE);
	run_close(&r);
}
END_TEST

/* ---- lro: parameters changed at run time (vnicctl set lro.options ...) ---- */

static void set_param(struct run *r, const char *key, const char *value)
{
	char err[256] = "";

	ck_assert_msg(offload_pipeline_set_param(r->pl, key, value, err, sizeof(err)) == 0,
		      "%s=%s: %s", key, value, err);
}

/*
 * The pipeline keeps copies of parameter values. vnicemu's build() passed lro.max_size from a
 * stack buffer; the next re-initialisation (any `set lro.*`) read the dead slot, failed, and
 * the failed stage was later freed twice. Here the caller's buffers are scribbled over right
 * after each call, and every later re-initialisation still reads what was set.
 */
START_TEST(lro_parameter_values_are_copies)
{
	char max_size[16] = "2100", options[16] = "any", again[16] = "2100";
	struct offload_stats st;
	struct run r;

	for (unsigned i = 0; i < 4; i++) {
		struct tf_spec s = signed_flow(SEQ0 + i * 1000, 1000);
		mk(i, &s);
	}
	run_open(&r, &(struct setup){.max_size = max_size});
	memset(max_size, 'x', sizeof(max_size) - 1);
	set_param(&r, "lro.options", options); /* a new instance reads max_size again */
	snprintf(options, sizeof(options), "linux");
	set_param(&r, "lro.max_size", again); /* ... and options */
	memset(again, 'x', sizeof(again) - 1);
	set_param(&r, "lro.options", "any");

	/* any merges signed segments; 2100 bytes of IP packet hold two of them */
	ck_assert_int_eq(push_seg(&r, 0), 0);
	ck_assert_int_eq(push_seg(&r, 1), 0);
	ck_assert_int_eq(push_seg(&r, 2), 1);
	ck_assert_int_eq(push_seg(&r, 3), 0);
	ck_assert_int_eq(flush(&r), 1);
	ck_assert_uint_eq(r.taps[TAP_GUEST].n, 2);
	expect_coalesced(&r.taps[TAP_GUEST].f[0], 0, 2);
	expect_coalesced(&r.taps[TAP_GUEST].f[1], 2, 2);
	offload_pipeline_stats(r.pl, &st);
	ck_assert_uint_eq(st.stages[1].dropped, 0);
	run_close(&r);
}
END_TEST

/*
 * A value the stage refuses leaves the working instance in place: it keeps its held frame and
 * goes on merging, the counters carry on, and a later change finalises it exactly once.
 */
START_TEST(lro_refused_value_keeps_the_working_stage)
{
	struct offload_stats st;
	struct run r;
	char err[256] = "";

	mk_flow(6);
	run_open(&r, &(struct setup){0});
	ck_assert_int_eq(push_seg(&r, 0), 0);
	ck_assert_int_eq(push_seg(&r, 1), 0);
	ck_assert_int_eq(offload_pipeline_set_param(r.pl, "lro.max_size", "10", err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, "lro.max_size must be 68..65535");
	offload_pipeline_stats(r.pl, &st);
	ck_assert_uint_eq(st.stages[1].frames_in, 2);
	ck_assert_uint_eq(st.stages[1].held, 1);
	ck_assert_uint_eq(st.stages[1].merged, 1);

	ck_assert_int_eq(push_seg(&r, 2), 0);
	ck_assert_int_eq(push_seg(&r, 3), 0);
	ck_assert_int_eq(flush(&r), 1);
	expect_coalesced(&r.taps[TAP_GUEST].f[0], 0, 4);

	set_param(&r, "lro.options", "any");
	ck_assert_int_eq(push_seg(&r, 4), 0);
	ck_assert_int_eq(push_seg(&r, 5), 0);
	ck_assert_int_eq(flush(&r), 1);
	expect_coalesced(&r.taps[TAP_GUEST].f[1], 4, 2);
	offload_pipeline_stats(r.pl, &st);
	ck_assert_uint_eq(st.stages[1].frames_in, 6);
	ck_assert_uint_eq(st.stages[1].merged, 4);
	ck_assert_uint_eq(st.stages[1].dropped, 0);
	run_close(&r);
}
END_TEST

/*
 * What a daemon's control session does over its life: many changes of the same keys (more than
 * OFFLOAD_MAX_PARAMS: each replaces its key's value), refused ones among them, frames between,
 * and profile switches (a new pipeline). Meant for the sanitizer build too.
 */
START_TEST(lro_set_and_switch_cycles)
{
	static const char *const opts[] = {"any", "linux"};
	static const char *const sizes[] = {"1500", "65535", "9000"};
	char err[256];

	mk_flow(8);
	for (unsigned cycle = 0; cycle < 10; cycle++) {
		struct run r;

		run_open(&r, &(struct setup){0});
		for (unsigned k = 0; k < 3 * OFFLOAD_MAX_PARAMS; k++) {
			char value[16];

			snprintf(value, sizeof(value), "%s", opts[k % 2]);
			set_param(&r, "lro.options", value);
			memset(value, 0, sizeof(value));
			snprintf(value, sizeof(value), "%s", sizes[k % 3]);
			set_param(&r, "lro.max_size", value);
			memset(value, 0xff, sizeof(value));
			ck_assert_int_eq(offload_pipeline_set_param(r.pl, "lro.max_size", "67", err,
								    sizeof(err)),
					 -EINVAL);
			ck_assert_int_ge(push_seg(&r, k % 8), 0);
		}
		ck_assert_int_ge(flush(&r), 0);
		for (unsigned t = 0; t < NTAPS; t++) {
			for (unsigned i = 0; i < r.taps[t].n; i++)
				free(r.taps[t].f[i].data);
			r.taps[t].n = 0; /* run_close frees the rest */
		}
		run_close(&r);
	}
}
END_TEST

Suite *suite_rx(void)
{
	Suite *s = suite_create("rx");
	TCase *tc = tcase_create("rx");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, rxcsum_marks_good_and_bad_without_changing_bytes);
	tcase_add_test(tc, lro_merges_consecutive_unsigned_segments);
	tcase_add_test(tc, lro_psh_fin_or_short_segment_completes_the_frame);
	tcase_add_test(tc, lro_linux_never_merges_signed_segments);
	tcase_add_test(tc, lro_any_merges_signed_segments_and_is_the_culprit);
	tcase_add_test(tc, lro_keeps_apart_what_linux_keeps_apart);
	tcase_add_test(tc, lro_any_compares_option_length_only);
	tcase_add_test(tc, lro_interleaved_flows);
	tcase_add_test(tc, lro_full_table_evicts_the_oldest);
	tcase_add_test(tc, lro_sequence_wraps);
	tcase_add_test(tc, lro_respects_max_size);
	tcase_add_test(tc, lro_default_max_size_is_the_ip_length);
	tcase_add_test(tc, lro_bad_parameters_are_refused);
	tcase_add_test(tc, lro_off_passes_everything);
	tcase_add_test(tc, lro_without_rxcsum_verifies_itself);
	tcase_add_test(tc, lro_parameter_values_are_copies);
	tcase_add_test(tc, lro_refused_value_keeps_the_working_stage);
	tcase_add_test(tc, lro_set_and_switch_cycles);
	suite_add_tcase(s, tc);
	return s;
}
