// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Path elements, each through a transmit pipeline and the receive pipeline that borrows its
 * instances (the live device's pair): both directions, per-flow state and its eviction, the
 * checksums (checked by the test tree's naive RFC 1071 sums, never by the code under test),
 * md5sig's verdicts at the taps, the culprit and its explanation, parameters refused, and the
 * accounting of both pipelines.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <check.h>

#include "md5sig/wire.h"
#include "offload/offload.h"
#include "tests/suites.h"
#include "tests/support/frames.h"

#define SECRET "path-secret"
#define GUEST  "192.0.2.10"
#define PEER   "192.0.2.1"
#define MAXF   16

/* What left a pipeline: copies of the frames at its last tap. */
struct seen {
	unsigned last_tap, n;
	uint8_t f[MAXF][4096];
	uint32_t len[MAXF];
	enum offload_csum csum[MAXF];
};

struct pair {
	struct offload_pipeline *tx, *rx;
	struct seen wire, guest; /* what the transmit and receive pipelines output */
	struct md5sig_keytab *kt;
};

static void keep(void *arg, unsigned tap, const struct offload_frame *f,
		 const struct md5sig_seg *seg, enum md5sig_status st)
{
	struct seen *s = arg;

	(void)seg, (void)st;
	if (tap != s->last_tap || s->n == MAXF || f->len > sizeof(s->f[0]))
		return;
	memcpy(s->f[s->n], f->data, f->len);
	s->len[s->n] = f->len;
	s->csum[s->n++] = f->csum;
}

/*
 * A transmit pipeline of the elements @stages (every feature on) with parameters @params
 * ("KEY=VALUE", NULL-terminated), and its receive twin; NULL with @err set when either is
 * refused.
 */
static struct pair *pair_try(const char *const *stages, const char *const *params, char *err,
			     size_t errlen)
{
	static struct pair p;
	static char kv[OFFLOAD_MAX_PARAMS][2][64];
	struct offload_config tc = {
		.linktype = MD5SIG_LINK_ETHERNET,
		.wire_mtu = 9000,
		.verify = true,
	};
	const char *why;

	memset(&p, 0, sizeof(p));
	p.kt = md5sig_keytab_new();
	ck_assert_int_eq(md5sig_keytab_parse_line(p.kt, "* " SECRET, &why), 0);
	tc.keys = p.kt;
	for (int f = 0; f < OFFLOAD_NFEATURES; f++)
		tc.requested[f] = true;
	for (; stages[tc.nstages]; tc.nstages++)
		tc.stages[tc.nstages] = stages[tc.nstages];
	for (; params && params[tc.nparams]; tc.nparams++) {
		const char *eq = strchr(params[tc.nparams], '=');
		snprintf(kv[tc.nparams][0], 64, "%.*s", (int)(eq - params[tc.nparams]),
			 params[tc.nparams]);
		snprintf(kv[tc.nparams][1], 64, "%s", eq + 1);
		tc.params[tc.nparams].key = kv[tc.nparams][0];
		tc.params[tc.nparams].value = kv[tc.nparams][1];
	}
	struct offload_config rc = tc;
	rc.nparams = 0;
	rc.dir = OFFLOAD_DIR_RX;
	for (unsigned i = 0; i < tc.nstages; i++) /* the receive halves in reverse order */
		rc.stages[i] = tc.stages[tc.nstages - 1 - i];
	p.tx = offload_pipeline_new(&tc, err, errlen);
	if (!p.tx) {
		md5sig_keytab_free(p.kt);
		return NULL;
	}
	rc.twin = p.tx;
	p.rx = offload_pipeline_new(&rc, err, errlen);
	ck_assert_msg(p.rx != NULL, "%s", err);
	p.wire.last_tap = p.guest.last_tap = tc.nstages;
	offload_pipeline_set_sink(p.tx, keep, &p.wire);
	offload_pipeline_set_sink(p.rx, keep, &p.guest);
	return &p;
}

static struct pair *pair_new(const char *const *stages, const char *const *params)
{
	char err[256] = "";
	struct pair *p = pair_try(stages, params, err, sizeof(err));

	ck_assert_msg(p != NULL, "%s", err);
	return p;
}

static void check_accounting(struct offload_pipeline *pl)
{
	struct offload_stats st;

	offload_pipeline_stats(pl, &st);
	for (unsigned i = 0; i < st.nstages; i++) {
		const struct offload_stage_stats *s = &st.stages[i];
		ck_assert_uint_eq(s->frames_in + s->created,
				  s->frames_out + s->dropped + s->merged + s->held);
	}
}

static void pair_free(struct pair *p)
{
	check_accounting(p->tx);
	check_accounting(p->rx);
	offload_pipeline_free(p->rx); /* it borrows from the transmit pipeline: first */
	offload_pipeline_free(p->tx);
	md5sig_keytab_free(p->kt);
}

/* Hand @len bytes to @pl as a frame that is a whole, complete-checksum frame. */
static int push(struct offload_pipeline *pl, const uint8_t *b, size_t len)
{
	struct offload_frame *f = offload_pipeline_guest_frame(pl, (uint32_t)len);

	ck_assert_ptr_nonnull(f);
	memcpy(f->data, b, len);
	f->len = (uint32_t)len;
	f->csum = OFFLOAD_CSUM_COMPLETE;
	f->guest_no = 1;
	return offload_pipeline_tx(pl, f);
}

/* A signed segment from @src:@sport to @dst:@dport. */
static size_t seg(uint8_t *b, const char *src, const char *dst, uint16_t sport, uint16_t dport,
		  uint8_t flags, uint32_t seq, uint32_t ack, size_t plen)
{
	struct md5sig_key k = tf_key(SECRET);
	struct tf_spec s = {.src = src,
			    .dst = dst,
			    .sport = sport,
			    .dport = dport,
			    .flags = flags,
			    .seq = seq,
			    .ack = ack,
			    .md5 = true,
			    .plen = plen};
	size_t n = tf_build_signed(&s, &k, b, 4096);

	ck_assert_uint_gt(n, 0);
	return n;
}

static size_t out_seg(uint8_t *b, uint8_t flags, uint32_t seq, uint32_t ack)
{
	return seg(b, GUEST, PEER, 40000, 179, flags, seq, ack, flags & WIRE_TCP_F_SYN ? 0 : 100);
}

static size_t in_seg(uint8_t *b, uint8_t flags, uint32_t seq, uint32_t ack)
{
	return seg(b, PEER, GUEST, 179, 40000, flags, seq, ack, flags & WIRE_TCP_F_SYN ? 0 : 100);
}

/* Parse frame @i of @s as TCP; its checksum verifies by the naive sum. */
static struct md5sig_seg parsed(const struct seen *s, unsigned i)
{
	struct md5sig_seg g;

	ck_assert_uint_lt(i, s->n);
	ck_assert_int_eq(md5sig_parse(MD5SIG_LINK_ETHERNET, s->f[i], s->len[i], &g), MD5SIG_TCP);
	ck_assert_uint_eq(tf_tcp_sum(s->f[i], &g), 0xffff);
	if (g.family == AF_INET) /* and so does the IPv4 header's */
		ck_assert_uint_eq(tf_csum_add(0, s->f[i] + g.l3_off, g.l4_off - g.l3_off), 0xffff);
	return g;
}

static uint32_t get_seq(const struct seen *s, unsigned i)
{
	struct md5sig_seg g = parsed(s, i);
	return tf_get32(s->f[i] + g.l4_off + 4);
}

static uint32_t get_ack(const struct seen *s, unsigned i)
{
	struct md5sig_seg g = parsed(s, i);
	return tf_get32(s->f[i] + g.l4_off + 8);
}

static enum md5sig_verdict verdict(struct pair *p, const struct seen *s, unsigned i)
{
	struct md5sig_seg g = parsed(s, i);
	struct md5sig_hasher *h = md5sig_hasher_new();
	enum md5sig_verdict v = md5sig_classify(h, p->kt, s->f[i], MD5SIG_TCP, &g);

	md5sig_hasher_free(h);
	return v;
}

static uint64_t count_of(const struct offload_stage_stats *s, const char *name)
{
	for (unsigned i = 0; i < s->ncounts; i++)
		if (!strcmp(s->counts[i].name, name))
			return s->counts[i].count;
	return 0;
}

static const struct offload_stage_stats *stage_stats(struct offload_pipeline *pl,
						     struct offload_stats *st, const char *name)
{
	offload_pipeline_stats(pl, st);
	for (unsigned i = 0; i < st->nstages; i++)
		if (!strcmp(st->stages[i].name, name))
			return &st->stages[i];
	ck_abort_msg("no stage %s", name);
	return NULL;
}

#define SYN    WIRE_TCP_F_SYN
#define ACK    WIRE_TCP_F_ACK
#define SYNACK (WIRE_TCP_F_SYN | WIRE_TCP_F_ACK)
#define PSHACK (WIRE_TCP_F_PSH | WIRE_TCP_F_ACK)

/* ---- seqrand ---- */

static const char *const seqrand_only[] = {"seqrand", NULL};

/*
 * A handshake and data both ways: each side's seq moves by its own offset on its way through,
 * the other side's acks move back by it, so either end sees a consistent connection.
 */
START_TEST(seqrand_shifts_seq_out_and_ack_back_in)
{
	static const char *const params[] = {"seqrand.offset=1000", NULL};
	struct pair *p = pair_new(seqrand_only, params);
	uint8_t b[4096];
	struct offload_stats st;

	ck_assert_int_eq(push(p->tx, b, out_seg(b, SYN, 100, 0)), 1);
	ck_assert_uint_eq(get_seq(&p->wire, 0), 1100);
	/* the peer acknowledges what it saw: 1101; the guest sees its own 101 */
	ck_assert_int_eq(push(p->rx, b, in_seg(b, SYNACK, 5000, 1101)), 1);
	ck_assert_uint_eq(get_seq(&p->guest, 0), 6000);
	ck_assert_uint_eq(get_ack(&p->guest, 0), 101);
	ck_assert_int_eq(push(p->tx, b, out_seg(b, PSHACK, 101, 6001)), 1);
	ck_assert_uint_eq(get_seq(&p->wire, 1), 1101);
	ck_assert_uint_eq(get_ack(&p->wire, 1), 5001);
	ck_assert_int_eq(push(p->rx, b, in_seg(b, PSHACK, 5001, 1201)), 1);
	ck_assert_uint_eq(get_seq(&p->guest, 1), 6001);
	ck_assert_uint_eq(get_ack(&p->guest, 1), 201);
	/* seq and ack are covered: every digest is stale, on both sides */
	for (unsigned i = 0; i < 2; i++) {
		ck_assert_int_eq(verdict(p, &p->wire, i), MD5SIG_INVALID);
		ck_assert_int_eq(verdict(p, &p->guest, i), MD5SIG_INVALID);
	}
	const struct offload_stage_stats *s = stage_stats(p->tx, &st, "seqrand");
	ck_assert_int_eq(st.culprit, 0);
	ck_assert_uint_eq(s->invalidated, 2);
	ck_assert_uint_eq(s->tap.verdicts[MD5SIG_INVALID], 2);
	ck_assert_uint_eq(count_of(s, "flows"), 1);
	ck_assert_msg(strstr(s->why.changed, "seq +1000"), "%s", s->why.changed);
	s = stage_stats(p->rx, &st, "seqrand");
	ck_assert_int_eq(st.culprit, 0);
	ck_assert_uint_eq(s->invalidated, 2);
	ck_assert_msg(strstr(s->why.changed, "seq +1000; ack -1000"), "%s", s->why.changed);
	pair_free(p);
}
END_TEST

/* Offsets derived from the seed: one per flow and side, the same on every run, never 0. */
START_TEST(seqrand_offsets_are_per_flow_and_reproducible)
{
	uint32_t first[2][2];

	for (unsigned run = 0; run < 2; run++) {
		struct pair *p = pair_new(seqrand_only, NULL);
		uint8_t b[4096];

		push(p->tx, b, out_seg(b, SYN, 100, 0));
		push(p->tx, b, seg(b, GUEST, PEER, 40001, 179, SYN, 100, 0, 0));
		push(p->rx, b, in_seg(b, SYNACK, 5000, get_seq(&p->wire, 0) + 1));
		for (unsigned i = 0; i < 2; i++) {
			first[run][i] = get_seq(&p->wire, i);
			ck_assert_uint_ne(first[run][i], 100);
		}
		ck_assert_uint_ne(first[run][0], first[run][1]);
		/* the peer's ISN has its own offset; its ack comes back to the guest's ISN */
		ck_assert_uint_ne(get_seq(&p->guest, 0), 5000);
		ck_assert_uint_ne(get_seq(&p->guest, 0) - 5000, first[run][0] - 100);
		ck_assert_uint_eq(get_ack(&p->guest, 0), 101);
		pair_free(p);
	}
	ck_assert_uint_eq(first[0][0], first[1][0]);
	ck_assert_uint_eq(first[0][1], first[1][1]);
}
END_TEST

START_TEST(seqrand_retransmitted_syn_keeps_its_offset_a_new_isn_starts_again)
{
	struct pair *p = pair_new(seqrand_only, NULL);
	uint8_t b[4096];
	struct offload_stats st;

	push(p->tx, b, out_seg(b, SYN, 100, 0));
	push(p->tx, b, out_seg(b, SYN, 100, 0));
	ck_assert_uint_eq(get_seq(&p->wire, 0), get_seq(&p->wire, 1));
	/* the same ports again with a new ISN: a new connection, a new offset */
	push(p->tx, b, out_seg(b, SYN, 7777, 0));
	ck_assert_uint_ne(get_seq(&p->wire, 2) - 7777, get_seq(&p->wire, 0) - 100);
	ck_assert_uint_eq(count_of(stage_stats(p->tx, &st, "seqrand"), "flows"), 2);
	pair_free(p);
}
END_TEST

/* A full table evicts the flow used least recently; its segments then pass unshifted. */
START_TEST(seqrand_table_is_bounded_and_evictions_are_counted)
{
	static const char *const params[] = {"seqrand.flows=2", "seqrand.offset=1000", NULL};
	struct pair *p = pair_new(seqrand_only, params);
	uint8_t b[4096];
	struct offload_stats st;

	for (uint16_t port = 40000; port < 40003; port++)
		push(p->tx, b, seg(b, GUEST, PEER, port, 179, SYN, 100, 0, 0));
	push(p->tx, b, seg(b, GUEST, PEER, 40000, 179, PSHACK, 101, 1, 100)); /* evicted */
	push(p->tx, b, seg(b, GUEST, PEER, 40002, 179, PSHACK, 101, 1, 100)); /* held */
	ck_assert_uint_eq(get_seq(&p->wire, 3), 101);
	ck_assert_uint_eq(get_seq(&p->wire, 4), 1101);
	ck_assert_int_eq(verdict(p, &p->wire, 3), MD5SIG_VALID);
	const struct offload_stage_stats *s = stage_stats(p->tx, &st, "seqrand");
	ck_assert_uint_eq(count_of(s, "evicted"), 1);
	ck_assert_uint_eq(count_of(s, "no-flow"), 1);
	ck_assert_uint_eq(count_of(s, "flows"), 3);
	/* a segment of a flow it never saw passes unshifted, counted */
	push(p->rx, b, seg(b, PEER, GUEST, 179, 50000, PSHACK, 1, 1, 10));
	ck_assert_uint_eq(get_seq(&p->guest, 0), 1);
	ck_assert_uint_eq(count_of(stage_stats(p->rx, &st, "seqrand"), "no-flow"), 1);
	pair_free(p);
}
END_TEST

START_TEST(seqrand_sides_guest_randomizes_outbound_isns_only)
{
	static const char *const params[] = {"seqrand.sides=guest", "seqrand.offset=1000", NULL};
	struct pair *p = pair_new(seqrand_only, params);
	uint8_t b[4096];

	push(p->tx, b, out_seg(b, SYN, 100, 0));
	push(p->rx, b, in_seg(b, SYNACK, 5000, 1101));
	ck_assert_uint_eq(get_seq(&p->guest, 0), 5000);
	ck_assert_uint_eq(get_ack(&p->guest, 0), 101);
	pair_free(p);
}
END_TEST

/* SACK blocks: kept as they are (as the ASA), or moved with the acks. */
START_TEST(seqrand_sack_blocks_kept_or_shifted)
{
	static const uint8_t sack[] = {WIRE_TCPOPT_NOP,
				       WIRE_TCPOPT_NOP,
				       WIRE_TCPOPT_SACK,
				       10,
				       0,
				       0,
				       0x17,
				       0x71,
				       0,
				       0,
				       0x17,
				       0xd5}; /* 6001-6101 */
	for (unsigned shift = 0; shift < 2; shift++) {
		const char *params[] = {"seqrand.offset=1000",
					shift ? "seqrand.sack=shift" : "seqrand.sack=keep", NULL};
		struct pair *p = pair_new(seqrand_only, params);
		uint8_t b[4096];
		struct md5sig_key k = tf_key(SECRET);

		push(p->tx, b, out_seg(b, SYN, 100, 0));
		push(p->rx, b, in_seg(b, SYNACK, 5000, 1101));
		struct tf_spec s = {.src = GUEST,
				    .dst = PEER,
				    .sport = 40000,
				    .flags = ACK,
				    .seq = 101,
				    .ack = 6001,
				    .md5 = true,
				    .opts = sack,
				    .opts_len = sizeof(sack)};
		push(p->tx, b, tf_build_signed(&s, &k, b, sizeof(b)));
		struct md5sig_seg g = parsed(&p->wire, 1);
		const uint8_t *o = p->wire.f[1] + g.l4_off + 20 + 20 + 4; /* MD5, NOP NOP 5 10 */
		ck_assert_uint_eq(tf_get32(o), shift ? 5001 : 6001);
		ck_assert_uint_eq(tf_get32(o + 4), shift ? 5101 : 6101);
		pair_free(p);
	}
}
END_TEST

/* What it cannot parse passes untouched, counted; what is not TCP passes uncounted. */
START_TEST(seqrand_passes_what_it_cannot_handle)
{
	static const uint8_t bad[] = {WIRE_TCPOPT_MSS, 9, 0, 0}; /* runs past the header */
	struct pair *p = pair_new(seqrand_only, NULL);
	uint8_t b[4096];
	struct tf_spec s = {.src = GUEST, .dst = PEER, .flags = SYN, .opts = bad, .opts_len = 4};
	struct offload_stats st;
	size_t n = tf_build(&s, b, sizeof(b));

	ck_assert_int_eq(push(p->tx, b, n), 1);
	ck_assert_uint_eq(p->wire.len[0], n);
	ck_assert_mem_eq(p->wire.f[0], b, n);
	ck_assert_uint_eq(count_of(stage_stats(p->tx, &st, "seqrand"), "malformed"), 1);
	/* an ARP frame */
	memset(b, 0, 60);
	tf_put16(b + 12, 0x0806);
	ck_assert_int_eq(push(p->tx, b, 60), 1);
	ck_assert_uint_eq(stage_stats(p->tx, &st, "seqrand")->ncounts, 1);
	pair_free(p);
}
END_TEST

/* ---- optstrip ---- */

static const char *const optstrip_only[] = {"optstrip", NULL};

START_TEST(optstrip_blanks_option_19_both_ways)
{
	struct pair *p = pair_new(optstrip_only, NULL);
	uint8_t b[4096];
	struct offload_stats st;

	ck_assert_int_eq(push(p->tx, b, out_seg(b, PSHACK, 1, 1)), 1);
	ck_assert_int_eq(push(p->rx, b, in_seg(b, PSHACK, 1, 1)), 1);
	for (unsigned dir = 0; dir < 2; dir++) {
		const struct seen *s = dir ? &p->guest : &p->wire;
		struct md5sig_seg g = parsed(s, 0);
		ck_assert_int_lt(g.md5_off, 0);
		/* the same length, the option's 18 bytes now NOPs */
		ck_assert_uint_eq(g.thlen, 40);
		for (unsigned i = 22; i < 40; i++)
			ck_assert_uint_eq(s->f[0][g.l4_off + i], WIRE_TCPOPT_NOP);
		ck_assert_int_eq(verdict(p, s, 0), MD5SIG_MISSING);
	}
	const struct offload_stage_stats *s = stage_stats(p->tx, &st, "optstrip");
	ck_assert_int_eq(st.culprit, 0);
	ck_assert_uint_eq(s->invalidated, 1);
	ck_assert_uint_eq(s->tap.verdicts[MD5SIG_MISSING], 1);
	ck_assert_uint_eq(count_of(s, "stripped"), 1);
	ck_assert_msg(strstr(s->why.changed, "MD5 option removed"), "%s", s->why.changed);
	ck_assert_int_eq(stage_stats(p->rx, &st, "optstrip")->invalidated, 1);
	pair_free(p);
}
END_TEST

START_TEST(optstrip_kinds_list)
{
	static const char *const params[] = {"optstrip.kinds=8,19", NULL};
	static const uint8_t ts[] = {WIRE_TCPOPT_NOP,
				     WIRE_TCPOPT_NOP,
				     WIRE_TCPOPT_TIMESTAMP,
				     10,
				     1,
				     2,
				     3,
				     4,
				     5,
				     6,
				     7,
				     8};
	struct pair *p = pair_new(optstrip_only, params);
	uint8_t b[4096];
	struct md5sig_key k = tf_key(SECRET);
	struct tf_spec s = {.src = GUEST, .dst = PEER, .md5 = true, .opts = ts, .opts_len = 12};

	push(p->tx, b, tf_build_signed(&s, &k, b, sizeof(b)));
	struct md5sig_seg g = parsed(&p->wire, 0);
	for (unsigned i = 20; i < g.thlen; i++)
		ck_assert_uint_eq(p->wire.f[0][g.l4_off + i], WIRE_TCPOPT_NOP);
	/* nothing to strip: the frame goes on as it came */
	s.opts = NULL;
	s.opts_len = 0;
	s.md5 = false;
	size_t n = tf_build(&s, b, sizeof(b));
	push(p->tx, b, n);
	ck_assert_mem_eq(p->wire.f[1], b, n);
	pair_free(p);
}
END_TEST

static void refused(const char *const *stages, const char *param, const char *why)
{
	const char *params[] = {param, NULL};
	char err[256] = "";

	ck_assert_ptr_null(pair_try(stages, params, err, sizeof(err)));
	ck_assert_msg(strstr(err, why), "%s: '%s' does not say '%s'", param, err, why);
}

START_TEST(bad_parameters_are_refused_with_one_line)
{
	refused(optstrip_only, "optstrip.kinds=1", "a kind is 2..254");
	refused(optstrip_only, "optstrip.kinds=0", "a kind is 2..254");
	refused(optstrip_only, "optstrip.kinds=19,", "expected option kinds");
	refused(optstrip_only, "optstrip.kinds=md5", "expected option kinds");
	refused(seqrand_only, "seqrand.flows=0", "seqrand.flows must be 1..1048576");
	refused(seqrand_only, "seqrand.sides=inside", "expected both|guest|peer");
	static const char *const nat[] = {"nat", NULL};
	refused(nat, "nat.source_to=192.0.2.20", "go together");
	refused(nat, "nat.dest_to=2001:db8::1", "go together");
	refused(nat, "nat.x=1",
		"unknown parameter 'nat.x' (nat takes: source_from, source_to, "
		"dest_from, dest_to)");
	static const char *const window[] = {"window", NULL};
	refused(window, "window.value=0", "window.value must be 1..65535");
	refused(window, "window.mode=halve", "expected rewrite|clamp");
	static const char *const mss[] = {"mss-clamp", NULL};
	refused(mss, "mss-clamp.mss=40", "mss-clamp.mss must be 88..65535");
	static const char *const frag[] = {"fragment", NULL};
	refused(frag, "fragment.mtu=67", "68 is the IPv4 minimum");
	refused(frag, "fragment.mtu6=1279", "1280 is the IPv6 minimum");

	/* nat: what cannot be a mapping */
	const char *mixed[] = {"nat.source_from=192.0.2.10", "nat.source_to=2001:db8::10", NULL};
	char err[256];
	ck_assert_ptr_null(pair_try(nat, mixed, err, sizeof(err)));
	ck_assert_str_eq(err, "nat: a mapping's two addresses must be of one family");
	const char *junk[] = {"nat.dest_from=peer", "nat.dest_to=192.0.2.1", NULL};
	ck_assert_ptr_null(pair_try(nat, junk, err, sizeof(err)));
	ck_assert_str_eq(err, "nat.dest_from: 'peer' is not an IPv4 or IPv6 address");
	ck_assert_ptr_null(pair_try(nat, NULL, err, sizeof(err)));
	ck_assert_msg(strstr(err, "nat translates nothing"), "%s", err);
}
END_TEST

/* ---- nat ---- */

static const char *const nat_only[] = {"nat", NULL};
static const char *const snat4[] = {"nat.source_from=" GUEST, "nat.source_to=192.0.2.20", NULL};

START_TEST(nat_rewrites_addresses_both_ways_with_checksums)
{
	struct pair *p = pair_new(nat_only, snat4);
	uint8_t b[4096], a4[4];
	struct offload_stats st;

	push(p->tx, b, out_seg(b, PSHACK, 1, 1));
	struct md5sig_seg g = parsed(&p->wire, 0); /* both checksums verify */
	inet_pton(AF_INET, "192.0.2.20", a4);
	ck_assert_mem_eq(g.saddr, a4, 4);
	ck_assert_int_eq(verdict(p, &p->wire, 0), MD5SIG_INVALID);
	/* the reply to the translated address comes back to the guest's */
	push(p->rx, b, seg(b, PEER, "192.0.2.20", 179, 40000, PSHACK, 1, 1, 100));
	g = parsed(&p->guest, 0);
	inet_pton(AF_INET, GUEST, a4);
	ck_assert_mem_eq(g.daddr, a4, 4);
	ck_assert_int_eq(verdict(p, &p->guest, 0), MD5SIG_INVALID);
	/* frames of other addresses pass as they are */
	size_t n = seg(b, "192.0.2.99", PEER, 1, 179, PSHACK, 1, 1, 10);
	push(p->tx, b, n);
	ck_assert_mem_eq(p->wire.f[1], b, n);
	const struct offload_stage_stats *s = stage_stats(p->tx, &st, "nat");
	ck_assert_int_eq(st.culprit, 0);
	ck_assert_uint_eq(count_of(s, "translated"), 1);
	ck_assert_msg(strstr(s->why.changed, "addresses"), "%s", s->why.changed);
	pair_free(p);
}
END_TEST

START_TEST(nat_ipv6_destination)
{
	static const char *const dnat6[] = {"nat.dest_from=2001:db8::99", "nat.dest_to=2001:db8::1",
					    NULL};
	struct pair *p = pair_new(nat_only, dnat6);
	uint8_t b[4096], a[16];
	struct md5sig_key k = tf_key(SECRET);
	struct tf_spec s = {.family = AF_INET6,
			    .src = "2001:db8::10",
			    .dst = "2001:db8::99",
			    .md5 = true,
			    .plen = 333,
			    .ipv6_dstopts = 8};

	push(p->tx, b, tf_build_signed(&s, &k, b, sizeof(b)));
	struct md5sig_seg g = parsed(&p->wire, 0);
	inet_pton(AF_INET6, "2001:db8::1", a);
	ck_assert_mem_eq(g.daddr, a, 16);
	s.src = "2001:db8::1";
	s.dst = "2001:db8::10";
	push(p->rx, b, tf_build_signed(&s, &k, b, sizeof(b)));
	g = parsed(&p->guest, 0);
	inet_pton(AF_INET6, "2001:db8::99", a);
	ck_assert_mem_eq(g.saddr, a, 16);
	pair_free(p);
}
END_TEST

/* An IPv4 or IPv6 UDP datagram (or ICMPv6 echo), its checksum by the naive sum. */
static size_t datagram(uint8_t *b, int family, uint8_t proto, bool zero_csum)
{
	bool v6 = family == AF_INET6;
	size_t ip = 14, hl = v6 ? 40 : 20, l4 = ip + hl, dlen = 8 + 21;
	uint8_t ph[40] = {0};

	memset(b, 0, l4 + dlen);
	tf_put16(b + 12, v6 ? 0x86dd : 0x0800);
	if (v6) {
		b[ip] = 0x60;
		tf_put16(b + ip + 4, (uint16_t)dlen);
		b[ip + 6] = proto;
		b[ip + 7] = 64;
		inet_pton(AF_INET6, "2001:db8::10", b + ip + 8);
		inet_pton(AF_INET6, "2001:db8::1", b + ip + 24);
		memcpy(ph, b + ip + 8, 32);
		ph[35] = (uint8_t)dlen;
		ph[39] = proto;
	} else {
		b[ip] = 0x45;
		tf_put16(b + ip + 2, (uint16_t)(hl + dlen));
		b[ip + 8] = 64;
		b[ip + 9] = proto;
		inet_pton(AF_INET, GUEST, b + ip + 12);
		inet_pton(AF_INET, PEER, b + ip + 16);
		tf_put16(b + ip + 10, (uint16_t)~tf_csum_add(0, b + ip, hl));
		memcpy(ph, b + ip + 12, 8);
		ph[9] = proto;
		ph[11] = (uint8_t)dlen;
	}
	uint8_t *u = b + l4;
	if (proto == WIRE_IPPROTO_UDP) {
		tf_put16(u, 53);
		tf_put16(u + 2, 5353);
		tf_put16(u + 4, (uint16_t)dlen);
	} else {
		u[0] = 128; /* ICMPv6 echo request */
	}
	for (size_t i = 8; i < dlen; i++)
		u[i] = (uint8_t)i;
	size_t csum = proto == WIRE_IPPROTO_UDP ? 6 : 2;
	uint16_t c = (uint16_t)~tf_csum_add(tf_csum_add(0, ph, v6 ? 40 : 12), u, dlen);
	tf_put16(u + csum, zero_csum ? 0 : c ? c : 0xffff);
	return l4 + dlen;
}

/* The naive sum of a datagram datagram() built, over its pseudo-header and itself. */
static uint32_t datagram_sum(const uint8_t *b, int family)
{
	bool v6 = family == AF_INET6;
	size_t ip = 14, l4 = ip + (v6 ? 40 : 20), dlen = 29;
	uint8_t ph[40] = {0};

	if (v6) {
		memcpy(ph, b + ip + 8, 32);
		ph[35] = (uint8_t)dlen;
		ph[39] = b[ip + 6];
	} else {
		memcpy(ph, b + ip + 12, 8);
		ph[9] = b[ip + 9];
		ph[11] = (uint8_t)dlen;
	}
	return tf_csum_add(tf_csum_add(0, ph, v6 ? 40 : 12), b + l4, dlen);
}

START_TEST(nat_fixes_udp_and_icmpv6_checksums)
{
	static const char *const snat6[] = {"nat.source_from=2001:db8::10",
					    "nat.source_to=2001:db8:1::10", NULL};
	struct pair *p = pair_new(nat_only, snat4);
	uint8_t b[4096];

	push(p->tx, b, datagram(b, AF_INET, WIRE_IPPROTO_UDP, false));
	ck_assert_uint_eq(tf_get32(p->wire.f[0] + 14 + 12), 0xc0000214); /* 192.0.2.20 */
	ck_assert_uint_eq(datagram_sum(p->wire.f[0], AF_INET), 0xffff);
	ck_assert_uint_eq(tf_csum_add(0, p->wire.f[0] + 14, 20), 0xffff);
	/* "no checksum" stays none */
	push(p->tx, b, datagram(b, AF_INET, WIRE_IPPROTO_UDP, true));
	ck_assert_uint_eq(tf_get16(p->wire.f[1] + 14 + 20 + 6), 0);
	pair_free(p);

	p = pair_new(nat_only, snat6);
	push(p->tx, b, datagram(b, AF_INET6, WIRE_IPPROTO_UDP, false));
	push(p->tx, b, datagram(b, AF_INET6, 58, false));
	for (unsigned i = 0; i < 2; i++) {
		ck_assert_uint_eq(tf_get16(p->wire.f[i] + 14 + 8 + 4), 1); /* 2001:db8:1:: */
		ck_assert_uint_eq(datagram_sum(p->wire.f[i], AF_INET6), 0xffff);
	}
	pair_free(p);
}
END_TEST

/* A checksum still holding the guest's pseudo-header seed gets the new addresses' seed. */
START_TEST(nat_updates_a_partial_checksum_as_a_seed)
{
	struct pair *p = pair_new(nat_only, snat4);
	uint8_t b[4096], ph[12] = {0};
	size_t n = out_seg(b, PSHACK, 1, 1);
	struct md5sig_seg g;

	md5sig_parse(MD5SIG_LINK_ETHERNET, b, n, &g);
	memcpy(ph, g.saddr, 4);
	memcpy(ph + 4, g.daddr, 4);
	ph[9] = 6;
	tf_put16(ph + 10, (uint16_t)g.tcp_len);
	tf_put16(b + g.l4_off + 16, (uint16_t)tf_csum_add(0, ph, 12)); /* Linux CHECKSUM_PARTIAL */
	struct offload_frame *f = offload_pipeline_guest_frame(p->tx, (uint32_t)n);
	memcpy(f->data, b, n);
	f->len = (uint32_t)n;
	f->csum = OFFLOAD_CSUM_PARTIAL;
	offload_pipeline_tx(p->tx, f);
	inet_pton(AF_INET, "192.0.2.20", ph);
	ck_assert_uint_eq(tf_get16(p->wire.f[0] + g.l4_off + 16), tf_csum_add(0, ph, 12));
	pair_free(p);
}
END_TEST

/* ARP: the guest speaks for its translated address, the peer asks for it. */
START_TEST(nat_translates_arp)
{
	struct pair *p = pair_new(nat_only, snat4);
	uint8_t b[64] = {0};

	tf_put16(b + 12, 0x0806);
	tf_put16(b + 14, 1);
	tf_put16(b + 16, 0x0800);
	b[18] = 6;
	b[19] = 4;
	tf_put16(b + 20, 1); /* request */
	inet_pton(AF_INET, GUEST, b + 14 + 14);
	inet_pton(AF_INET, PEER, b + 14 + 24);
	push(p->tx, b, 60);
	ck_assert_uint_eq(tf_get32(p->wire.f[0] + 14 + 14), 0xc0000214);
	ck_assert_uint_eq(tf_get32(p->wire.f[0] + 14 + 24), 0xc0000201);
	inet_pton(AF_INET, PEER, b + 14 + 14);
	inet_pton(AF_INET, "192.0.2.20", b + 14 + 24);
	push(p->rx, b, 60);
	ck_assert_uint_eq(tf_get32(p->guest.f[0] + 14 + 14), 0xc0000201);
	ck_assert_uint_eq(tf_get32(p->guest.f[0] + 14 + 24), 0xc000020a);
	pair_free(p);
}
END_TEST

/* ---- window ---- */

static const char *const window_only[] = {"window", NULL};

START_TEST(window_clamps_or_rewrites)
{
	static const char *const clamp[] = {"window.value=100", NULL};
	struct pair *p = pair_new(window_only, clamp);
	uint8_t b[4096];
	struct offload_stats st;

	push(p->tx, b, out_seg(b, PSHACK, 1, 1)); /* 502 advertised */
	struct md5sig_seg g = parsed(&p->wire, 0);
	ck_assert_uint_eq(tf_get16(p->wire.f[0] + g.l4_off + 14), 100);
	ck_assert_int_eq(verdict(p, &p->wire, 0), MD5SIG_INVALID);
	push(p->rx, b, in_seg(b, PSHACK, 1, 1));
	ck_assert_uint_eq(tf_get16(p->guest.f[0] + g.l4_off + 14), 100);
	const struct offload_stage_stats *s = stage_stats(p->tx, &st, "window");
	ck_assert_int_eq(st.culprit, 0);
	ck_assert_msg(strstr(s->why.changed, "window 502->100"), "%s", s->why.changed);
	pair_free(p);

	/* a clamp above the window leaves it; rewrite writes it anyway */
	static const char *const high[] = {"window.value=8192", NULL};
	p = pair_new(window_only, high);
	size_t n = out_seg(b, PSHACK, 1, 1);
	push(p->tx, b, n);
	ck_assert_mem_eq(p->wire.f[0], b, n);
	pair_free(p);
	static const char *const rw[] = {"window.value=8192", "window.mode=rewrite", NULL};
	p = pair_new(window_only, rw);
	push(p->tx, b, n);
	ck_assert_uint_eq(tf_get16(p->wire.f[0] + g.l4_off + 14), 8192);
	pair_free(p);
}
END_TEST

START_TEST(window_in_syns_only_and_one_direction)
{
	static const char *const params[] = {"window.value=100", "window.when=syn",
					     "window.dir=out", NULL};
	struct pair *p = pair_new(window_only, params);
	uint8_t b[4096];

	size_t n = out_seg(b, PSHACK, 1, 1);
	push(p->tx, b, n);
	ck_assert_mem_eq(p->wire.f[0], b, n);
	push(p->tx, b, out_seg(b, SYN, 1, 0));
	struct md5sig_seg g = parsed(&p->wire, 1);
	ck_assert_uint_eq(tf_get16(p->wire.f[1] + g.l4_off + 14), 100);
	n = in_seg(b, SYNACK, 1, 2);
	push(p->rx, b, n);
	ck_assert_mem_eq(p->guest.f[0], b, n);
	pair_free(p);
}
END_TEST

/* ---- mss-clamp ---- */

START_TEST(mss_clamp_rewrites_syn_mss_and_md5_survives)
{
	static const char *const stages[] = {"mss-clamp", NULL};
	static const uint8_t mss[] = {WIRE_TCPOPT_MSS, 4, 0x05, 0xb4}; /* 1460 */
	struct pair *p = pair_new(stages, NULL);
	uint8_t b[4096];
	struct md5sig_key k = tf_key(SECRET);
	struct offload_stats st;
	struct tf_spec s = {
		.src = GUEST, .dst = PEER, .flags = SYN, .md5 = true, .opts = mss, .opts_len = 4};

	push(p->tx, b, tf_build_signed(&s, &k, b, sizeof(b)));
	struct md5sig_seg g = parsed(&p->wire, 0);
	ck_assert_uint_eq(tf_get16(p->wire.f[0] + g.l4_off + 40 + 2), 1360);
	/* options are not covered: the digest the guest made still holds */
	ck_assert_int_eq(verdict(p, &p->wire, 0), MD5SIG_VALID);
	s.src = PEER;
	s.dst = GUEST;
	s.flags = SYNACK;
	push(p->rx, b, tf_build_signed(&s, &k, b, sizeof(b)));
	ck_assert_uint_eq(tf_get16(p->guest.f[0] + g.l4_off + 40 + 2), 1360);
	ck_assert_int_eq(verdict(p, &p->guest, 0), MD5SIG_VALID);
	/* not a SYN, or a smaller MSS: untouched */
	s.flags = PSHACK;
	size_t n = tf_build_signed(&s, &k, b, sizeof(b));
	push(p->tx, b, n);
	ck_assert_mem_eq(p->wire.f[1], b, n);
	const struct offload_stage_stats *ss = stage_stats(p->tx, &st, "mss-clamp");
	ck_assert_int_eq(st.culprit, -1);
	ck_assert_uint_eq(ss->tap.verdicts[MD5SIG_VALID], 2);
	ck_assert_uint_eq(ss->tap.inferred, 0); /* recomputed, not assumed */
	ck_assert_uint_eq(count_of(ss, "clamped"), 1);
	pair_free(p);
}
END_TEST

/* ---- fragment ---- */

static const char *const frag_only[] = {"fragment", NULL};

/* An unsigned IPv4 segment of @plen payload bytes, DF clear, with @ipopts bytes of options. */
static size_t big(uint8_t *b, size_t plen, bool df, size_t ipopts)
{
	struct tf_spec s = {.src = GUEST,
			    .dst = PEER,
			    .plen = plen,
			    .no_df = !df,
			    .ipid = 0x1234,
			    .ipv4_opts = ipopts};
	size_t n = tf_build(&s, b, 4096);

	ck_assert_uint_gt(n, 0);
	if (ipopts == 8) {
		/* a timestamp option (68, not copied) and a security option (130, copied) */
		uint8_t *o = b + 14 + 20;
		o[0] = 68, o[1] = 4, o[2] = 5, o[3] = 0;
		o[4] = 130, o[5] = 3, o[6] = 0, o[7] = 0;
		tf_put16(b + 14 + 10, 0);
		tf_put16(b + 14 + 10, (uint16_t)~tf_csum_add(0, b + 14, 28));
	}
	return n;
}

START_TEST(fragment_cuts_ipv4_as_rfc_791_says)
{
	static const char *const params[] = {"fragment.mtu=1000", NULL};
	struct pair *p = pair_new(frag_only, params);
	uint8_t b[4096], whole[4096];
	struct offload_stats st;
	size_t n = big(b, 1960, false, 8); /* IP: 28 + 20 + 1960 = 2008 bytes */
	size_t ihl = 28, data = n - 14 - ihl;

	ck_assert_int_eq(push(p->tx, b, n), 3);
	ck_assert_uint_eq(p->wire.n, 3);
	size_t at = 0;
	for (unsigned i = 0; i < 3; i++) {
		const uint8_t *ip = p->wire.f[i] + 14;
		size_t len = tf_get16(ip + 2) - ihl;
		uint16_t fo = tf_get16(ip + 6);

		ck_assert_uint_le(tf_get16(ip + 2), 1000);
		ck_assert_uint_eq(tf_csum_add(0, ip, ihl), 0xffff);
		ck_assert_uint_eq(tf_get16(ip + 4), 0x1234);
		ck_assert_uint_eq((fo & 0x1fff) * 8u, at);
		ck_assert_uint_eq(!!(fo & 0x2000), i < 2);
		if (i < 2)
			ck_assert_uint_eq(len % 8, 0);
		/* the timestamp option only in the first, the copied one in all */
		ck_assert_uint_eq(ip[20], i ? 1 : 68);
		ck_assert_uint_eq(ip[24], 130);
		memcpy(whole + at, ip + ihl, len);
		at += len;
	}
	/* the fragments' data is the datagram's: its TCP checksum still verifies */
	ck_assert_uint_eq(at, data);
	ck_assert_mem_eq(whole, b + 14 + ihl, data);
	const struct offload_stage_stats *s = stage_stats(p->tx, &st, "fragment");
	ck_assert_uint_eq(s->created, 2);
	ck_assert_uint_eq(count_of(s, "fragmented"), 1);
	ck_assert_int_eq(st.culprit, -1);
	/* the other direction too */
	ck_assert_int_eq(push(p->rx, b, n), 3);
	pair_free(p);
}
END_TEST

START_TEST(fragment_drops_df_and_ipv6_counts_why)
{
	static const char *const params[] = {"fragment.mtu=1000", NULL};
	struct pair *p = pair_new(frag_only, params);
	uint8_t b[4096];
	struct offload_stats st;

	ck_assert_int_eq(push(p->tx, b, big(b, 1960, true, 0)), 0);
	struct tf_spec s6 = {.family = AF_INET6, .plen = 1300};
	ck_assert_int_eq(push(p->tx, b, tf_build(&s6, b, sizeof(b))), 0); /* 1360 > 1280 */
	s6.plen = 1200;
	ck_assert_int_eq(push(p->tx, b, tf_build(&s6, b, sizeof(b))), 1);
	ck_assert_int_eq(push(p->tx, b, big(b, 900, true, 0)), 1); /* fits */
	const struct offload_stage_stats *s = stage_stats(p->tx, &st, "fragment");
	ck_assert_uint_eq(s->dropped, 2);
	ck_assert_str_eq(s->drops[0].reason, "frag-needed");
	ck_assert_str_eq(s->drops[1].reason, "ipv6-too-big");
	pair_free(p);
}
END_TEST

/* ---- the pair ---- */

START_TEST(the_receive_pipeline_borrows_the_transmit_one)
{
	static const char *const stages[] = {"optstrip", "seqrand", NULL};
	static const char *const params[] = {"seqrand.offset=1000", NULL};
	struct pair *p = pair_new(stages, params);
	uint8_t b[4096];
	char err[256];
	struct offload_stats st;

	/* a parameter set on the receive side is the transmit side's instance's */
	ck_assert_int_eq(offload_pipeline_set_param(p->rx, "seqrand.offset", "7", err, sizeof(err)),
			 0);
	push(p->tx, b, out_seg(b, SYN, 100, 0));
	ck_assert_uint_eq(get_seq(&p->wire, 0), 107);
	push(p->rx, b, in_seg(b, SYNACK, 5000, 108));
	ck_assert_uint_eq(get_ack(&p->guest, 0), 101);
	/* the order: optstrip first on the way out (the culprit), seqrand first on the way in */
	offload_pipeline_stats(p->tx, &st);
	ck_assert_str_eq(st.stages[st.culprit].name, "optstrip");
	offload_pipeline_stats(p->rx, &st);
	ck_assert_str_eq(st.stages[st.culprit].name, "seqrand");
	/* switched off like a NIC feature, on both pipelines: frames pass as they are */
	ck_assert_int_eq(offload_pipeline_set_feature(p->tx, OFFLOAD_F_SEQRAND, false), 0);
	ck_assert_int_eq(offload_pipeline_set_feature(p->tx, OFFLOAD_F_OPTSTRIP, false), 0);
	size_t n = out_seg(b, PSHACK, 101, 5001);
	push(p->tx, b, n);
	ck_assert_mem_eq(p->wire.f[1], b, n);
	ck_assert(offload_pipeline_has_feature(p->tx, OFFLOAD_F_SEQRAND));
	ck_assert(!offload_pipeline_has_feature(p->tx, OFFLOAD_F_NAT));
	pair_free(p);

	/* a receive pipeline cannot borrow what the transmit one lacks */
	struct offload_config tc = {.linktype = MD5SIG_LINK_ETHERNET,
				    .wire_mtu = 1500,
				    .stages = {"seqrand"},
				    .nstages = 1};
	struct offload_pipeline *tx = offload_pipeline_new(&tc, err, sizeof(err));
	struct offload_config rc = tc;
	rc.dir = OFFLOAD_DIR_RX;
	rc.twin = tx;
	rc.stages[0] = "optstrip";
	ck_assert_ptr_null(offload_pipeline_new(&rc, err, sizeof(err)));
	ck_assert_str_eq(err, "path element 'optstrip' is not in the transmit pipeline");
	/* nor take parameters of its own for what it borrows */
	rc.stages[0] = "seqrand";
	rc.params[0].key = "seqrand.offset";
	rc.params[0].value = "5";
	rc.nparams = 1;
	ck_assert_ptr_null(offload_pipeline_new(&rc, err, sizeof(err)));
	ck_assert_str_eq(err, "seqrand.offset: a path element's parameters are its transmit "
			      "pipeline's");
	offload_pipeline_free(tx);
}
END_TEST

Suite *suite_path(void)
{
	Suite *s = suite_create("path");
	TCase *tc = tcase_create("path");

	tcase_add_test(tc, seqrand_shifts_seq_out_and_ack_back_in);
	tcase_add_test(tc, seqrand_offsets_are_per_flow_and_reproducible);
	tcase_add_test(tc, seqrand_retransmitted_syn_keeps_its_offset_a_new_isn_starts_again);
	tcase_add_test(tc, seqrand_table_is_bounded_and_evictions_are_counted);
	tcase_add_test(tc, seqrand_sides_guest_randomizes_outbound_isns_only);
	tcase_add_test(tc, seqrand_sack_blocks_kept_or_shifted);
	tcase_add_test(tc, seqrand_passes_what_it_cannot_handle);
	tcase_add_test(tc, optstrip_blanks_option_19_both_ways);
	tcase_add_test(tc, optstrip_kinds_list);
	tcase_add_test(tc, bad_parameters_are_refused_with_one_line);
	tcase_add_test(tc, nat_rewrites_addresses_both_ways_with_checksums);
	tcase_add_test(tc, nat_ipv6_destination);
	tcase_add_test(tc, nat_fixes_udp_and_icmpv6_checksums);
	tcase_add_test(tc, nat_updates_a_partial_checksum_as_a_seed);
	tcase_add_test(tc, nat_translates_arp);
	tcase_add_test(tc, window_clamps_or_rewrites);
	tcase_add_test(tc, window_in_syns_only_and_one_direction);
	tcase_add_test(tc, mss_clamp_rewrites_syn_mss_and_md5_survives);
	tcase_add_test(tc, fragment_cuts_ipv4_as_rfc_791_says);
	tcase_add_test(tc, fragment_drops_df_and_ipv6_counts_why);
	tcase_add_test(tc, the_receive_pipeline_borrows_the_transmit_one);
	suite_add_tcase(s, tc);
	return s;
}
