// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tso through the public pipeline API: every output frame is checked as a property of the
 * guest frame it came from (headers, lengths, IDs, seq, flags, checksums, payload, digests),
 * with a naive checksum and a naive flags rule written here, plus one golden frame whose
 * expected fields were computed outside the project.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <check.h>

#include "offload/offload.h"
#include "tests/suites.h"
#include "tests/support/frames.h"

#define WIRE_MTU 1500
#define SECRET	 "tso-test-secret"
#define MSS_AUTO (-1)
#define NTAPS	 3 /* guest, after tso, after tx-csum (the wire) */
#define TAP_TSO	 1
#define TAP_WIRE 2

#define F_FIN 0x01
#define F_PSH 0x08
#define F_ACK 0x10
#define F_URG 0x20
#define F_ECE 0x40
#define F_CWR 0x80

/* A copy of a frame seen at a tap. */
struct shot {
	uint8_t *data;
	uint32_t len;
	enum offload_csum csum;
	uint16_t seg_no, seg_count;
	bool tso;
};

struct tap_log {
	unsigned n;
	struct shot f[OFFLOAD_MAX_SEGMENTS];
};

/* Quirks and feature choices of one pipeline. */
struct setup {
	const char *flags, *ipid, *md5; /* NULL: the stage's default */
	bool no_keys;
	bool tso_off;
};

struct run {
	struct offload_pipeline *pl;
	struct md5sig_keytab *kt;
	struct md5sig_hasher *h;
	struct setup s;
	uint64_t guest_no;
	struct tap_log taps[NTAPS];
};

static uint8_t gbuf[OFFLOAD_MAX_FRAME];

static void sink(void *arg, unsigned tap, const struct offload_frame *f,
		 const struct md5sig_seg *seg, enum md5sig_status st)
{
	struct run *r = arg;
	struct tap_log *t = &r->taps[tap];

	(void)seg;
	(void)st;
	ck_assert_uint_lt(tap, NTAPS);
	ck_assert_uint_lt(t->n, OFFLOAD_MAX_SEGMENTS);
	struct shot *s = &t->f[t->n++];
	s->data = malloc(f->len);
	ck_assert_ptr_nonnull(s->data);
	memcpy(s->data, f->data, f->len);
	s->len = f->len;
	s->csum = f->csum;
	s->seg_no = f->seg_no;
	s->seg_count = f->seg_count;
	s->tso = f->tso;
}

static void taps_clear(struct run *r)
{
	for (unsigned t = 0; t < NTAPS; t++) {
		for (unsigned i = 0; i < r->taps[t].n; i++)
			free(r->taps[t].f[i].data);
		r->taps[t].n = 0;
	}
}

static struct offload_config config(const struct setup *s, const struct md5sig_keytab *kt)
{
	struct offload_config c = {
		.linktype = MD5SIG_LINK_ETHERNET,
		.wire_mtu = WIRE_MTU,
		.keys = kt,
		.verify = true,
		.stages = {"tso", "tx-csum"},
		.nstages = 2,
		.requested = {[OFFLOAD_F_SG] = true,
			      [OFFLOAD_F_TSO] = !s->tso_off,
			      [OFFLOAD_F_TX] = true},
	};
	const char *keys[] = {"tso.flags", "tso.ipid", "tso.md5"};
	const char *vals[] = {s->flags, s->ipid, s->md5};

	for (unsigned i = 0; i < 3; i++) {
		if (!vals[i])
			continue;
		c.params[c.nparams].key = keys[i];
		c.params[c.nparams++].value = vals[i];
	}
	return c;
}

static void run_open(struct run *r, const struct setup *s)
{
	const char *why = NULL;
	char err[256] = "";

	memset(r, 0, sizeof(*r));
	r->s = *s;
	r->kt = md5sig_keytab_new();
	r->h = md5sig_hasher_new();
	ck_assert_ptr_nonnull(r->kt);
	ck_assert_ptr_nonnull(r->h);
	ck_assert_int_eq(md5sig_keytab_parse_line(r->kt, "* " SECRET, &why), 0);

	struct offload_config c = config(s, s->no_keys ? NULL : r->kt);
	r->pl = offload_pipeline_new(&c, err, sizeof(err));
	ck_assert_msg(r->pl != NULL, "pipeline: %s", err);
	offload_pipeline_set_sink(r->pl, sink, r);
}

static void run_close(struct run *r)
{
	taps_clear(r);
	offload_pipeline_free(r->pl);
	md5sig_keytab_free(r->kt);
	md5sig_hasher_free(r->h);
}

/* Build @s (signed when it has an MD5 option) into gbuf and parse it; returns its length. */
static size_t build(const struct tf_spec *s, struct md5sig_seg *seg)
{
	struct md5sig_key key = tf_key(SECRET);
	size_t n = s->md5 ? tf_build_signed(s, &key, gbuf, sizeof(gbuf))
			  : tf_build(s, gbuf, sizeof(gbuf));

	ck_assert_uint_gt(n, 0);
	ck_assert_int_eq(md5sig_parse(MD5SIG_LINK_ETHERNET, gbuf, n, seg), MD5SIG_TCP);
	return n;
}

/* The MSS a plain port derives: wire MTU - IP headers - TCP header, options included. */
static unsigned auto_mss(const struct md5sig_seg *g)
{
	return WIRE_MTU - (g->l4_off - g->l3_off) - g->thlen;
}

/* Hand gbuf[0..n) to the pipeline as a TSO request; returns what offload_pipeline_tx() did. */
static int push(struct run *r, size_t n, unsigned mss, enum offload_csum csum)
{
	struct offload_frame *f = offload_pipeline_guest_frame(r->pl, (uint32_t)n);

	ck_assert_ptr_nonnull(f);
	taps_clear(r);
	memcpy(f->data, gbuf, n);
	f->len = (uint32_t)n;
	f->tso = true;
	f->mss = (uint16_t)mss;
	f->csum = csum;
	f->guest_no = ++r->guest_no;
	return offload_pipeline_tx(r->pl, f);
}

/* ---- naive references ---- */

/* The folded pseudo-header sum (with length) that a CHECKSUM_PARTIAL segment carries. */
static uint16_t pseudo_sum(const struct md5sig_seg *seg)
{
	uint8_t ph[40] = {0};
	size_t alen = seg->family == AF_INET6 ? 16 : 4;

	memcpy(ph, seg->saddr, alen);
	memcpy(ph + alen, seg->daddr, alen);
	ph[2 * alen] = 0;
	ph[2 * alen + 1] = 6;
	ph[2 * alen + 2] = (uint8_t)(seg->tcp_len >> 8);
	ph[2 * alen + 3] = (uint8_t)seg->tcp_len;
	return (uint16_t)tf_csum_add(0, ph, 2 * alen + 4);
}

/* The flags segment @i of @n must carry under quirk @q, from the guest's @g. */
static uint8_t want_flags(const char *q, uint8_t g, unsigned i, unsigned n)
{
	bool first = i == 0, last = i == n - 1;

	if (n == 1 || !strcmp(q, "copy"))
		return g;
	if (!strcmp(q, "qemu"))
		return (uint8_t)(g & ~(F_PSH | F_FIN) & (first ? 0xff : ~F_CWR));
	if (!strcmp(q, "e1000"))
		return last ? g : (uint8_t)(g & ~(F_PSH | F_FIN));
	/* linux */
	uint8_t f = last ? g : (uint8_t)(g & ~(F_PSH | F_FIN));
	return first ? f : (uint8_t)(f & ~F_CWR);
}

static const char *quirk(const char *v, const char *def)
{
	return v ? v : def;
}

/*
 * Check every frame at @tap against the guest frame @guest[0..@glen): each property of the
 * segmentation contract. Returns the number of frames checked.
 */
static unsigned check_tap(const struct run *r, unsigned tap, const uint8_t *guest, size_t glen,
			  unsigned mss)
{
	const struct tap_log *t = &r->taps[tap];
	const char *flags = quirk(r->s.flags, "linux"), *ipid = quirk(r->s.ipid, "increment");
	const char *md5 = quirk(r->s.md5, "copy");
	struct md5sig_seg g;

	ck_assert_int_eq(md5sig_parse(MD5SIG_LINK_ETHERNET, guest, glen, &g), MD5SIG_TCP);
	uint32_t payload = g.tcp_len - g.thlen, iph = g.l4_off - g.l3_off;
	unsigned n = payload <= mss ? 1 : (payload + mss - 1) / mss;
	const uint8_t *gip = guest + g.l3_off, *gtcp = guest + g.l4_off;
	uint32_t off = 0;
	bool signed_in = g.md5_off >= 0;

	ck_assert_uint_eq(t->n, n);
	if (n == 1) {
		/* not segmented: the frame passes unchanged except for checksum completion */
		ck_assert_uint_eq(t->f[0].len, glen);
		ck_assert(!t->f[0].tso);
		ck_assert_int_eq(memcmp(t->f[0].data, guest, g.l4_off + 16), 0);
		ck_assert_int_eq(memcmp(t->f[0].data + g.l4_off + 18, guest + g.l4_off + 18,
					glen - g.l4_off - 18),
				 0);
	}
	for (unsigned i = 0; i < n; i++) {
		const struct shot *s = &t->f[i];
		struct md5sig_seg o;
		uint32_t len = payload - off < mss ? payload - off : mss;

		ck_assert_int_eq(md5sig_parse(MD5SIG_LINK_ETHERNET, s->data, s->len, &o),
				 MD5SIG_TCP);
		const uint8_t *ip = s->data + o.l3_off, *tcp = s->data + o.l4_off;

		/* layout: same offsets, exact length, fits the wire */
		ck_assert_uint_eq(o.l3_off, g.l3_off);
		ck_assert_uint_eq(o.l4_off, g.l4_off);
		ck_assert_uint_eq(o.thlen, g.thlen);
		ck_assert_uint_eq(o.tcp_len, g.thlen + len);
		ck_assert_uint_eq(s->len, g.l4_off + g.thlen + len);
		if (n > 1) {
			ck_assert_uint_le(iph + o.tcp_len, WIRE_MTU);
			ck_assert_uint_eq(s->seg_no, i);
			ck_assert_uint_eq(s->seg_count, n);
			ck_assert(!s->tso);
		}

		/* link header and tags verbatim */
		ck_assert_int_eq(memcmp(s->data, guest, g.l3_off), 0);

		/* IP */
		if (g.family == AF_INET) {
			ck_assert_uint_eq(tf_get16(ip + 2), iph + g.thlen + len);
			uint16_t id0 = tf_get16(gip + 4);
			uint16_t want = !strcmp(ipid, "fixed") ? id0 : (uint16_t)(id0 + i);
			ck_assert_uint_eq(tf_get16(ip + 4), want);
			ck_assert_uint_eq(tf_csum_add(0, ip, iph), 0xffff);
			ck_assert_int_eq(memcmp(ip, gip, 2), 0);
			ck_assert_int_eq(memcmp(ip + 6, gip + 6, 4), 0);
			ck_assert_int_eq(memcmp(ip + 12, gip + 12, iph - 12), 0);
		} else {
			ck_assert_uint_eq(tf_get16(ip + 4), iph - 40 + g.thlen + len);
			ck_assert_int_eq(memcmp(ip, gip, 4), 0);
			ck_assert_int_eq(memcmp(ip + 6, gip + 6, iph - 6), 0);
		}

		/* TCP: ports, ack, data offset, window, urgent pointer verbatim */
		ck_assert_int_eq(memcmp(tcp, gtcp, 4), 0);
		ck_assert_uint_eq(tf_get32(tcp + 4), (uint32_t)(tf_get32(gtcp + 4) + off));
		ck_assert_int_eq(memcmp(tcp + 8, gtcp + 8, 5), 0);
		ck_assert_uint_eq(tcp[13], want_flags(flags, gtcp[13], i, n));
		ck_assert_int_eq(memcmp(tcp + 14, gtcp + 14, 2), 0);
		ck_assert_int_eq(memcmp(tcp + 18, gtcp + 18, 2), 0);

		/* options: verbatim, but for the digest (resign) or the whole option (strip) */
		if (signed_in && n > 1 && !strcmp(md5, "strip")) {
			size_t k = (size_t)g.md5_off - 2 - g.l4_off;
			static const uint8_t nops[MD5SIG_OPT_LEN] = {1, 1, 1, 1, 1, 1, 1, 1, 1,
								     1, 1, 1, 1, 1, 1, 1, 1, 1};
			ck_assert_int_eq(memcmp(tcp + 20, gtcp + 20, k - 20), 0);
			ck_assert_int_eq(memcmp(tcp + k, nops, sizeof(nops)), 0);
			ck_assert_int_eq(memcmp(tcp + k + 18, gtcp + k + 18, g.thlen - k - 18), 0);
			ck_assert_int_eq(o.md5_off, -1);
		} else if (signed_in && n > 1 && !strcmp(md5, "resign")) {
			size_t k = (size_t)g.md5_off - g.l4_off;
			ck_assert_int_eq(memcmp(tcp + 20, gtcp + 20, k - 20), 0);
			ck_assert_int_eq(memcmp(tcp + k + 16, gtcp + k + 16, g.thlen - k - 16), 0);
		} else {
			ck_assert_int_eq(memcmp(tcp + 20, gtcp + 20, g.thlen - 20), 0);
		}

		/* payload: slice i of the guest's, so the slices concatenate to it */
		ck_assert_int_eq(memcmp(tcp + g.thlen, gtcp + g.thlen + off, len), 0);

		/* checksum: pseudo-header sum after tso, complete on the wire */
		if (tap == TAP_WIRE) {
			ck_assert_uint_eq(tf_tcp_sum(s->data, &o), 0xffff);
			ck_assert_int_eq(s->csum, OFFLOAD_CSUM_COMPLETE);
		} else if (n > 1) {
			ck_assert_uint_eq(tf_get16(tcp + 16), pseudo_sum(&o));
			ck_assert_int_eq(s->csum, OFFLOAD_CSUM_PARTIAL);
		}

		/* digest */
		enum md5sig_verdict v = md5sig_classify(r->h, r->kt, s->data, MD5SIG_TCP, &o);
		enum md5sig_verdict want = MD5SIG_VALID;
		if (!signed_in)
			want = MD5SIG_MISSING; /* the test's key table covers every peer */
		else if (n > 1 && !strcmp(md5, "copy"))
			want = MD5SIG_INVALID;
		else if (n > 1 && !strcmp(md5, "strip"))
			want = MD5SIG_MISSING;
		ck_assert_msg(v == want, "segment %u/%u: %s, want %s", i, n, md5sig_verdict_str(v),
			      md5sig_verdict_str(want));
		off += len;
	}
	ck_assert_uint_eq(off, payload);
	return n;
}

/* Segment @s with the default MSS and check the tso and wire taps; returns the frame count. */
static unsigned segment_and_check(struct run *r, const struct tf_spec *s)
{
	struct md5sig_seg g;
	size_t n = build(s, &g);
	unsigned mss = auto_mss(&g);
	uint8_t *guest = malloc(n);

	ck_assert_ptr_nonnull(guest);
	memcpy(guest, gbuf, n);
	int sent = push(r, n, mss, OFFLOAD_CSUM_COMPLETE);
	ck_assert_int_gt(sent, 0);
	ck_assert_uint_eq(check_tap(r, TAP_TSO, guest, n, mss), (unsigned)sent);
	ck_assert_uint_eq(check_tap(r, TAP_WIRE, guest, n, mss), (unsigned)sent);
	free(guest);
	return (unsigned)sent;
}

/* Payload sizes around the MSS and far above it, for @base's headers. */
static void sizes(const struct tf_spec *base)
{
	struct run r;
	struct md5sig_seg g;
	struct tf_spec s = *base;

	run_open(&r, &(struct setup){0});
	s.plen = 1;
	build(&s, &g);
	size_t mss = auto_mss(&g);
	const size_t plens[] = {1, mss, mss + 1, 8948, 65000};
	const unsigned want[] = {1, 1, 2, (unsigned)((8948 + mss - 1) / mss),
				 (unsigned)((65000 + mss - 1) / mss)};

	for (size_t k = 0; k < sizeof(plens) / sizeof(plens[0]); k++) {
		s.plen = plens[k];
		ck_assert_uint_eq(segment_and_check(&r, &s), want[k]);
	}
	run_close(&r);
}

START_TEST(ipv4_sizes)
{
	sizes(&(struct tf_spec){.md5 = true, .seq = 1000, .ack = 77});
	sizes(&(struct tf_spec){.md5 = false, .seq = 0xffff0000u});
}
END_TEST

START_TEST(ipv4_options)
{
	sizes(&(struct tf_spec){.md5 = true, .ipv4_opts = 12});
	sizes(&(struct tf_spec){.md5 = true, .ipv4_opts = 40});
}
END_TEST

START_TEST(ipv6_with_and_without_ext_headers)
{
	sizes(&(struct tf_spec){.family = AF_INET6, .md5 = true});
	sizes(&(struct tf_spec){.family = AF_INET6, .md5 = true, .ipv6_dstopts = 16});
}
END_TEST

START_TEST(vlan_and_qinq)
{
	sizes(&(struct tf_spec){.vlans = 1, .md5 = true});
	sizes(&(struct tf_spec){.vlans = 2, .md5 = true, .family = AF_INET6, .ipv6_dstopts = 8});
}
END_TEST

/* Random headers, options, sizes, sequence numbers and quirks. */
START_TEST(random_mix)
{
	static const char *const flags[] = {"linux", "qemu", "copy", "e1000"};
	static const char *const ipid[] = {"increment", "fixed"};
	static const char *const md5[] = {"copy", "resign", "strip"};
	static const uint8_t ts[] = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};
	unsigned seed = 2385;

	for (int k = 0; k < 24; k++) {
		struct run r;
		struct setup st = {.flags = flags[rand_r(&seed) % 4],
				   .ipid = ipid[rand_r(&seed) % 2],
				   .md5 = md5[rand_r(&seed) % 3]};

		run_open(&r, &st);
		for (int j = 0; j < 8; j++) {
			bool v6 = rand_r(&seed) & 1;
			struct tf_spec s = {
				.family = v6 ? AF_INET6 : AF_INET,
				.vlans = (unsigned)rand_r(&seed) % 3,
				.md5 = rand_r(&seed) % 4 != 0,
				.seq = (uint32_t)rand_r(&seed) * 2654435761u,
				.ack = (uint32_t)rand_r(&seed),
				.ipid = (uint16_t)rand_r(&seed),
				.flags = (uint8_t)(F_ACK | (rand_r(&seed) & 0xe9)),
				.window = (uint16_t)rand_r(&seed),
				.urg = (uint16_t)rand_r(&seed),
				.plen = (size_t)rand_r(&seed) % 40000,
			};
			if (rand_r(&seed) & 1) {
				s.opts = ts;
				s.opts_len = sizeof(ts);
			}
			if (v6)
				s.ipv6_dstopts = 8 * ((size_t)rand_r(&seed) % 3);
			else
				s.ipv4_opts = 4 * ((size_t)rand_r(&seed) % 4);
			segment_and_check(&r, &s);
		}
		run_close(&r);
	}
}
END_TEST

/* PSH/FIN/CWR placement for three segments, written out per engine. */
START_TEST(flags_quirks)
{
	static const struct {
		const char *quirk;
		uint8_t want[3];
	} cases[] = {
		{"linux", {0xf0, 0x70, 0x79}},
		{"qemu", {0xf0, 0x70, 0x70}},
		{"e1000", {0xf0, 0xf0, 0xf9}},
		{"copy", {0xf9, 0xf9, 0xf9}},
	};
	struct tf_spec s = {.md5 = true,
			    .flags = F_CWR | F_ECE | F_URG | F_ACK | F_PSH | F_FIN,
			    .urg = 7,
			    .plen = 1440 * 2 + 1};

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct run r;

		run_open(&r, &(struct setup){.flags = cases[k].quirk});
		ck_assert_uint_eq(segment_and_check(&r, &s), 3);
		for (unsigned i = 0; i < 3; i++) {
			const struct shot *f = &r.taps[TAP_WIRE].f[i];
			ck_assert_msg(f->data[14 + 20 + 13] == cases[k].want[i],
				      "%s segment %u: flags 0x%02x", cases[k].quirk, i,
				      f->data[14 + 20 + 13]);
			ck_assert_uint_eq(tf_get16(f->data + 14 + 20 + 18), 7); /* not re-based */
		}
		run_close(&r);
	}
}
END_TEST

/*
 * The rules tso exports for `vnicemu diff` are the quirks it takes, and say what it does: each
 * tso.flags and tso.ipid value has exactly one, the default first, and they agree with the
 * naive rule written here.
 */
START_TEST(exported_rules_are_the_quirks)
{
	const struct offload_stage_ops *ops = offload_stage_find("tso");
	const struct offload_param *flags = NULL, *ipid = NULL;
	unsigned n = 0, m = 0;

	for (unsigned j = 0; ops->params[j].name; j++) {
		if (!strcmp(ops->params[j].name, "flags"))
			flags = &ops->params[j];
		if (!strcmp(ops->params[j].name, "ipid"))
			ipid = &ops->params[j];
	}
	ck_assert_ptr_nonnull(flags);
	ck_assert_ptr_nonnull(ipid);
	ck_assert_str_eq(offload_tso_flag_rules[0].quirk, flags->def);
	ck_assert_str_eq(offload_tso_ipid_rules[0].quirk, ipid->def);
	for (unsigned k = 0; flags->choices[k]; k++, n++) {
		const struct offload_tso_flag_rule *r =
			offload_tso_flag_rule_find(flags->choices[k]);

		ck_assert_msg(r != NULL, "no rule for tso.flags=%s", flags->choices[k]);
		ck_assert_str_ne(r->semantics, "");
		for (unsigned segs = 2; segs < 5; segs++)
			for (unsigned i = 0; i < segs; i++)
				ck_assert_uint_eq(offload_tso_seg_flags(r, 0xff, i, segs),
						  want_flags(r->quirk, 0xff, i, segs));
	}
	while (offload_tso_flag_rules[m].quirk)
		m++;
	ck_assert_uint_eq(m, n); /* as many rules as values */
	ck_assert_ptr_null(offload_tso_flag_rule_find("bsd"));

	n = m = 0;
	for (unsigned k = 0; ipid->choices[k]; k++, n++) {
		const struct offload_tso_ipid_rule *r =
			offload_tso_ipid_rule_find(ipid->choices[k]);

		ck_assert_msg(r != NULL, "no rule for tso.ipid=%s", ipid->choices[k]);
		ck_assert_uint_eq(r->step, !strcmp(r->quirk, "increment") ? 1 : 0);
	}
	while (offload_tso_ipid_rules[m].quirk)
		m++;
	ck_assert_uint_eq(m, n);
}
END_TEST

START_TEST(ipid_increment_and_fixed_wrap)
{
	struct tf_spec s = {.md5 = true, .ipid = 0xfffe, .plen = 1440 * 4 + 1};
	static const uint16_t inc[] = {0xfffe, 0xffff, 0x0000, 0x0001, 0x0002};

	for (int fixed = 0; fixed < 2; fixed++) {
		struct run r;

		run_open(&r, &(struct setup){.ipid = fixed ? "fixed" : "increment"});
		ck_assert_uint_eq(segment_and_check(&r, &s), 5);
		for (unsigned i = 0; i < 5; i++)
			ck_assert_uint_eq(tf_get16(r.taps[TAP_WIRE].f[i].data + 14 + 4),
					  fixed ? 0xfffe : inc[i]);
		run_close(&r);
	}
}
END_TEST

/* Segment a signed 8948-byte payload under @md5; return the pipeline's stats. */
static void md5_case(const char *md5, struct offload_stats *stats)
{
	struct run r;
	struct tf_spec s = {.md5 = true, .plen = 8948};

	run_open(&r, &(struct setup){.md5 = md5});
	ck_assert_uint_eq(segment_and_check(&r, &s), 7);
	offload_pipeline_stats(r.pl, stats);
	run_close(&r);
}

START_TEST(md5_copy_invalidates_every_segment)
{
	struct offload_stats st;

	md5_case("copy", &st);
	ck_assert_uint_eq(st.guest.verdicts[MD5SIG_VALID], 1);
	ck_assert_uint_eq(st.stages[0].tap.verdicts[MD5SIG_INVALID], 7);
	ck_assert_uint_eq(st.stages[0].invalidated, 7);
	ck_assert_uint_eq(st.stages[1].invalidated, 0);
	ck_assert_int_eq(st.culprit, 0);
	ck_assert(st.stages[0].has_why);
	ck_assert_uint_eq(st.stages[0].why.seg_count, 7);
}
END_TEST

START_TEST(md5_resign_keeps_every_segment_valid)
{
	struct offload_stats st;

	md5_case("resign", &st);
	ck_assert_uint_eq(st.stages[0].tap.verdicts[MD5SIG_VALID], 7);
	ck_assert_uint_eq(st.stages[1].tap.verdicts[MD5SIG_VALID], 7);
	ck_assert_uint_eq(st.stages[0].invalidated, 0);
	ck_assert_int_eq(st.culprit, -1);
}
END_TEST

START_TEST(md5_strip_leaves_segments_missing)
{
	struct offload_stats st;

	md5_case("strip", &st);
	ck_assert_uint_eq(st.stages[0].tap.verdicts[MD5SIG_MISSING], 7);
	ck_assert_uint_eq(st.stages[0].invalidated, 7);
	ck_assert_int_eq(st.culprit, 0);
}
END_TEST

START_TEST(md5_resign_needs_keys)
{
	struct setup s = {.md5 = "resign"};
	struct offload_config c = config(&s, NULL);
	char err[256] = "";

	ck_assert_ptr_null(offload_pipeline_new(&c, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "key"));
}
END_TEST

/* A signed request whose payload fits one segment passes byte for byte and stays valid. */
START_TEST(small_signed_request_passes_unchanged)
{
	struct run r;
	struct md5sig_seg g;
	struct offload_stats st;
	struct tf_spec s = {.md5 = true, .flags = F_ACK | F_PSH | F_CWR, .plen = 1440};
	size_t n = build(&s, &g);

	run_open(&r, &(struct setup){0});
	ck_assert_int_eq(push(&r, n, auto_mss(&g), OFFLOAD_CSUM_COMPLETE), 1);
	for (unsigned t = TAP_TSO; t <= TAP_WIRE; t++) {
		ck_assert_uint_eq(r.taps[t].f[0].len, n);
		ck_assert_int_eq(memcmp(r.taps[t].f[0].data, gbuf, n), 0);
		ck_assert(!r.taps[t].f[0].tso);
	}
	offload_pipeline_stats(r.pl, &st);
	ck_assert_uint_eq(st.stages[0].tap.verdicts[MD5SIG_VALID], 1);
	ck_assert_uint_eq(st.stages[0].created, 0);
	ck_assert_int_eq(st.culprit, -1);
	run_close(&r);
}
END_TEST

/*
 * A frame without a TSO request is passed untouched when it fits the wire; longer than the wire
 * MTU (an IP fragment or datagram from a jumbo guest) it cannot be sent: dropped as oversize.
 */
START_TEST(non_tso_frame_passes_untouched)
{
	static const size_t plen[] = {1000, 3000};

	for (int i = 0; i < 2; i++) {
		struct run r;
		struct md5sig_seg g;
		struct tf_spec s = {.md5 = true, .plen = plen[i]};
		struct offload_stats st;
		size_t n = build(&s, &g);

		run_open(&r, &(struct setup){0});
		struct offload_frame *f = offload_pipeline_guest_frame(r.pl, (uint32_t)n);
		memcpy(f->data, gbuf, n);
		f->len = (uint32_t)n;
		f->csum = OFFLOAD_CSUM_COMPLETE;
		f->guest_no = 1;
		ck_assert_int_eq(offload_pipeline_tx(r.pl, f), i == 0);
		offload_pipeline_stats(r.pl, &st);
		if (i == 0) {
			ck_assert_uint_eq(r.taps[TAP_WIRE].f[0].len, n);
			ck_assert_int_eq(memcmp(r.taps[TAP_WIRE].f[0].data, gbuf, n), 0);
		} else {
			ck_assert_uint_eq(st.stages[0].dropped, 1);
			ck_assert_str_eq(st.stages[0].drops[0].reason, "oversize");
		}
		run_close(&r);
	}
}
END_TEST

/* A request spread over descriptor fragments segments like the contiguous one. */
START_TEST(fragmented_request_equals_contiguous)
{
	struct run r;
	struct md5sig_seg g;
	struct tf_spec s = {.md5 = true, .vlans = 1, .plen = 5000};
	size_t n = build(&s, &g);
	uint8_t *guest = malloc(n);
	static const uint32_t cuts[] = {1, 13, 54, 55, 700, 4001};

	ck_assert_ptr_nonnull(guest);
	memcpy(guest, gbuf, n);
	run_open(&r, &(struct setup){0});
	for (size_t nc = 1; nc <= sizeof(cuts) / sizeof(cuts[0]); nc++) {
		struct offload_frame *f = offload_pipeline_guest_frame(r.pl, (uint32_t)n);
		uint32_t prev = 0;

		taps_clear(&r);
		for (size_t k = 0; k <= nc; k++) {
			uint32_t end = k < nc ? cuts[k] : (uint32_t)n;
			f->frags[f->nfrags++] = (struct offload_frag){guest + prev, end - prev};
			prev = end;
		}
		f->tso = true;
		f->mss = (uint16_t)auto_mss(&g);
		f->csum = OFFLOAD_CSUM_COMPLETE;
		f->guest_no = nc;
		ck_assert_int_eq(offload_pipeline_tx(r.pl, f), 4);
		check_tap(&r, TAP_TSO, guest, n, auto_mss(&g));
		check_tap(&r, TAP_WIRE, guest, n, auto_mss(&g));
	}
	run_close(&r);
	free(guest);
}
END_TEST

static uint64_t drops(const struct offload_stage_stats *s, const char *reason)
{
	for (unsigned i = 0; i < s->ndrops; i++)
		if (!strcmp(s->drops[i].reason, reason))
			return s->drops[i].count;
	return 0;
}

/*
 * frames_in + created == frames_out + dropped (tso merges and holds nothing), across
 * segmentations, passes and drops.
 */
START_TEST(accounting_and_drop_reasons)
{
	struct run r;
	struct md5sig_seg g;
	struct offload_stats st;
	struct tf_spec big = {.md5 = true, .plen = 8948}, small = {.md5 = true, .plen = 100};
	size_t n;

	run_open(&r, &(struct setup){0});
	n = build(&big, &g);
	ck_assert_int_eq(push(&r, n, auto_mss(&g), OFFLOAD_CSUM_COMPLETE), 7);
	n = build(&small, &g);
	ck_assert_int_eq(push(&r, n, auto_mss(&g), OFFLOAD_CSUM_COMPLETE), 1);
	n = build(&big, &g);
	ck_assert_int_eq(push(&r, n, 0, OFFLOAD_CSUM_COMPLETE), 0);
	ck_assert_int_eq(push(&r, n, 1, OFFLOAD_CSUM_COMPLETE), 0); /* 8948 > 256 segments */
	ck_assert_int_eq(push(&r, n, 35, OFFLOAD_CSUM_COMPLETE), 256);
	gbuf[14 + 9] = 17; /* UDP: not a TCP segment to cut */
	ck_assert_int_eq(push(&r, n, 1440, OFFLOAD_CSUM_COMPLETE), 0);

	offload_pipeline_stats(r.pl, &st);
	const struct offload_stage_stats *t = &st.stages[0];
	ck_assert_str_eq(t->name, "tso");
	ck_assert(t->enabled);
	ck_assert_uint_eq(t->frames_in, 6);
	ck_assert_uint_eq(t->frames_out, 7 + 1 + 256);
	ck_assert_uint_eq(t->created, 6 + 255);
	ck_assert_uint_eq(t->dropped, 3);
	ck_assert_uint_eq(t->frames_in + t->created - t->dropped, t->frames_out);
	ck_assert_uint_eq(drops(t, "bad-mss"), 1);
	ck_assert_uint_eq(drops(t, "too-many-segments"), 1);
	ck_assert_uint_eq(drops(t, "malformed"), 1);
	ck_assert_uint_eq(st.stages[1].frames_in, t->frames_out);
	run_close(&r);
}
END_TEST

/* With tso off a request larger than one segment cannot reach the wire. */
START_TEST(tso_off_drops_oversize)
{
	struct run r;
	struct md5sig_seg g;
	struct offload_stats st;
	struct tf_spec big = {.md5 = true, .plen = 3000}, small = {.md5 = true, .plen = 1000};
	size_t n;

	run_open(&r, &(struct setup){.tso_off = true});
	n = build(&big, &g);
	ck_assert_int_eq(push(&r, n, auto_mss(&g), OFFLOAD_CSUM_COMPLETE), 0);
	n = build(&small, &g);
	ck_assert_int_eq(push(&r, n, auto_mss(&g), OFFLOAD_CSUM_COMPLETE), 1);
	ck_assert_int_eq(memcmp(r.taps[TAP_WIRE].f[0].data, gbuf, n), 0);
	offload_pipeline_stats(r.pl, &st);
	ck_assert(!st.stages[0].enabled);
	ck_assert_uint_eq(drops(&st.stages[0], "oversize"), 1);
	ck_assert_uint_eq(st.stages[0].frames_out, 1);
	run_close(&r);
}
END_TEST

/* A guest checksum that was bad is not repaired by segmentation. */
START_TEST(bad_guest_checksum_stays_bad)
{
	struct run r;
	struct md5sig_seg g;
	struct tf_spec s = {.md5 = true, .plen = 3000};
	size_t n = build(&s, &g);

	gbuf[g.l4_off + 16] ^= 0x5a;
	run_open(&r, &(struct setup){0});
	ck_assert_int_eq(push(&r, n, auto_mss(&g), OFFLOAD_CSUM_BAD), 3);
	for (unsigned i = 0; i < 3; i++) {
		const struct shot *f = &r.taps[TAP_TSO].f[i];
		struct md5sig_seg o;

		ck_assert_int_eq(f->csum, OFFLOAD_CSUM_BAD);
		ck_assert_int_eq(md5sig_parse(MD5SIG_LINK_ETHERNET, f->data, f->len, &o),
				 MD5SIG_TCP);
		ck_assert_uint_ne(tf_tcp_sum(f->data, &o), 0xffff);
	}
	run_close(&r);
}
END_TEST

/*
 * Golden: a signed IPv4 super-frame (192.0.2.1.40000 > 192.0.2.2.179, seq 0xfffffa00,
 * ack 0x01020304, flags ACK|PSH|FIN|CWR, IP ID 0xfffe, DF, TTL 64, window 502, options
 * NOP,NOP,MD5; payload byte i = 7i+3; key "golden-secret"), 3000 payload bytes, MSS 1440.
 * The expected values were computed by a throwaway Python script (hashlib + struct, not
 * committed) that built the same bytes independently, signed them, and applied the Linux GSO
 * rules (tcp_gso_segment(): PSH/FIN on the last segment, CWR on the first, ID + i, seq + i*MSS):
 * it printed the super-frame digest
 * cf73a4d08a8ddd9d2f0a16dfa45ffcaf and, per segment, sequence number (wrapping past 2^32),
 * IPv4 total length, IP ID (wrapping past 0xffff), IPv4 header checksum, TCP flags, the
 * folded pseudo-header sum tso leaves for tx-csum, and the full TCP checksum on the wire.
 */
START_TEST(golden_ipv4)
{
	static const struct {
		uint32_t seq;
		uint16_t total, id, ipsum;
		uint8_t flags;
		uint16_t partial, full;
	} want[3] = {
		{0xfffffa00, 1500, 0xfffe, 0xb119, 0x90, 0x89d2, 0x3c59},
		{0xffffffa0, 1500, 0xffff, 0xb118, 0x10, 0x89d2, 0x3536},
		{0x00000540, 180, 0x0000, 0xb640, 0x19, 0x84aa, 0xbc4c},
	};
	static const uint8_t digest[16] = {0xcf, 0x73, 0xa4, 0xd0, 0x8a, 0x8d, 0xdd, 0x9d,
					   0x2f, 0x0a, 0x16, 0xdf, 0xa4, 0x5f, 0xfc, 0xaf};
	struct tf_spec s = {.seq = 0xfffffa00,
			    .ack = 0x01020304,
			    .ipid = 0xfffe,
			    .flags = F_ACK | F_PSH | F_FIN | F_CWR,
			    .md5 = true,
			    .plen = 3000};
	struct md5sig_key key = tf_key("golden-secret");
	struct run r;
	size_t n = tf_build_signed(&s, &key, gbuf, sizeof(gbuf));

	ck_assert_uint_eq(n, 14 + 20 + 40 + 3000);
	ck_assert_int_eq(memcmp(gbuf + 14 + 20 + 24, digest, 16), 0);
	run_open(&r, &(struct setup){0});
	ck_assert_int_eq(push(&r, n, 1440, OFFLOAD_CSUM_COMPLETE), 3);
	for (unsigned i = 0; i < 3; i++) {
		const uint8_t *tso = r.taps[TAP_TSO].f[i].data, *wire = r.taps[TAP_WIRE].f[i].data;
		const uint8_t *ip = wire + 14, *tcp = ip + 20;

		ck_assert_uint_eq(r.taps[TAP_WIRE].f[i].len, 14u + want[i].total);
		ck_assert_uint_eq(tf_get32(tcp + 4), want[i].seq);
		ck_assert_uint_eq(tf_get16(ip + 2), want[i].total);
		ck_assert_uint_eq(tf_get16(ip + 4), want[i].id);
		ck_assert_uint_eq(tf_get16(ip + 10), want[i].ipsum);
		ck_assert_uint_eq(tcp[13], want[i].flags);
		ck_assert_uint_eq(tf_get16(tso + 14 + 20 + 16), want[i].partial);
		ck_assert_uint_eq(tf_get16(tcp + 16), want[i].full);
		ck_assert_int_eq(memcmp(tcp + 24, digest, 16), 0);
	}
	run_close(&r);
}
END_TEST

Suite *suite_tso(void)
{
	Suite *s = suite_create("tso");
	TCase *tc = tcase_create("tso");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, ipv4_sizes);
	tcase_add_test(tc, ipv4_options);
	tcase_add_test(tc, ipv6_with_and_without_ext_headers);
	tcase_add_test(tc, vlan_and_qinq);
	tcase_add_test(tc, random_mix);
	tcase_add_test(tc, flags_quirks);
	tcase_add_test(tc, exported_rules_are_the_quirks);
	tcase_add_test(tc, ipid_increment_and_fixed_wrap);
	tcase_add_test(tc, md5_copy_invalidates_every_segment);
	tcase_add_test(tc, md5_resign_keeps_every_segment_valid);
	tcase_add_test(tc, md5_strip_leaves_segments_missing);
	tcase_add_test(tc, md5_resign_needs_keys);
	tcase_add_test(tc, small_signed_request_passes_unchanged);
	tcase_add_test(tc, non_tso_frame_passes_untouched);
	tcase_add_test(tc, fragmented_request_equals_contiguous);
	tcase_add_test(tc, accounting_and_drop_reasons);
	tcase_add_test(tc, tso_off_drops_oversize);
	tcase_add_test(tc, bad_guest_checksum_stays_bad);
	tcase_add_test(tc, golden_ipv4);
	suite_add_tcase(s, tc);
	return s;
}
