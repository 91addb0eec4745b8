// SPDX-License-Identifier: GPL-2.0-or-later
/* The pipeline: configuration errors, feature dependencies, accounting, taps, attribution. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <check.h>

#include "offload/offload.h"
#include "tests/suites.h"
#include "tests/support/frames.h"

static struct offload_config base_config(void)
{
	struct offload_config c = {
		.linktype = MD5SIG_LINK_ETHERNET,
		.wire_mtu = 1500,
		.verify = true,
		.stages = {"sg", "tso", "tx-csum"},
		.nstages = 3,
		.requested = {[OFFLOAD_F_SG] = true, [OFFLOAD_F_TSO] = true, [OFFLOAD_F_TX] = true},
	};
	return c;
}

static void expect_error(struct offload_config *c, const char *needle)
{
	char err[256] = "";
	struct offload_pipeline *pl = offload_pipeline_new(c, err, sizeof(err));

	ck_assert_ptr_null(pl);
	ck_assert_msg(strstr(err, needle) != NULL, "'%s' does not mention '%s'", err, needle);
}

START_TEST(configuration_errors)
{
	struct offload_config c = base_config();

	c.stages[1] = "gro";
	expect_error(&c, "unknown stage 'gro'");

	c = base_config();
	c.params[0].key = "tso.flagz";
	c.params[0].value = "linux";
	c.nparams = 1;
	expect_error(&c, "unknown parameter 'tso.flagz' (tso takes: flags, ipid, md5)");

	c.params[0].key = "tso.flags";
	c.params[0].value = "bsd";
	expect_error(&c, "bad value 'bsd' for tso.flags (expected linux|qemu|copy|e1000)");

	c.params[0].key = "lro.options";
	c.params[0].value = "any";
	expect_error(&c, "unknown stage parameter 'lro.options'");

	c.params[0].key = "sg.max_frags";
	c.params[0].value = "-3";
	expect_error(&c, "bad value '-3' for sg.max_frags (expected a number)");

	c.params[0].key = "tso.md5";
	c.params[0].value = "resign";
	expect_error(&c, "tso.md5=resign needs a key");

	c = base_config();
	c.wire_mtu = 40;
	expect_error(&c, "wire MTU 40");
}
END_TEST

START_TEST(tso_needs_sg_and_tx)
{
	char err[256];
	struct offload_config c = base_config();
	struct offload_pipeline *pl = offload_pipeline_new(&c, err, sizeof(err));

	ck_assert(offload_pipeline_feature(pl, OFFLOAD_F_TSO));
	offload_pipeline_free(pl);
	c.requested[OFFLOAD_F_SG] = false;
	pl = offload_pipeline_new(&c, err, sizeof(err));
	ck_assert(!offload_pipeline_feature(pl, OFFLOAD_F_TSO));
	offload_pipeline_free(pl);
	c = base_config();
	c.requested[OFFLOAD_F_TX] = false;
	pl = offload_pipeline_new(&c, err, sizeof(err));
	ck_assert(!offload_pipeline_feature(pl, OFFLOAD_F_TSO));
	ck_assert(offload_pipeline_feature(pl, OFFLOAD_F_SG));
	offload_pipeline_free(pl);
}
END_TEST

struct seen {
	unsigned frames[4];
	unsigned wire_bytes;
};

static void count_sink(void *arg, unsigned tap, const struct offload_frame *f,
		       const struct md5sig_seg *seg, enum md5sig_status st)
{
	struct seen *s = arg;

	(void)seg;
	(void)st;
	if (tap < 4)
		s->frames[tap]++;
	if (tap == 3)
		s->wire_bytes += f->len;
}

static void push(struct offload_pipeline *pl, const struct tf_spec *s, const struct md5sig_key *k,
		 bool tso, uint64_t no)
{
	struct offload_frame *f = offload_pipeline_guest_frame(pl, 16384);
	f->len = (uint32_t)(k ? tf_build_signed(s, k, f->data, f->cap)
			      : tf_build(s, f->data, f->cap));
	ck_assert_uint_gt(f->len, 0);
	f->tso = tso;
	f->mss = 1500 - 20 - 20 - (s->md5 ? 20 : 0);
	f->csum = OFFLOAD_CSUM_COMPLETE;
	f->guest_no = no;
	ck_assert_int_ge(offload_pipeline_tx(pl, f), 0);
}

/*
 * frames_in + created == frames_out + dropped + merged + held for every stage (no transmit stage
 * merges or holds), and the taps see it all
 */
START_TEST(accounting_balances)
{
	char err[256];
	struct md5sig_keytab *kt = md5sig_keytab_new();
	struct md5sig_key k = tf_key("pipeline-key");
	const char *why;
	struct offload_config c = base_config();
	struct seen seen = {0};

	md5sig_keytab_parse_line(kt, "* pipeline-key", &why);
	c.keys = kt;
	for (int tso_on = 0; tso_on < 2; tso_on++) {
		c.requested[OFFLOAD_F_TSO] = tso_on;
		struct offload_pipeline *pl = offload_pipeline_new(&c, err, sizeof(err));
		ck_assert_msg(pl != NULL, "%s", err);
		offload_pipeline_set_sink(pl, count_sink, &seen);
		memset(&seen, 0, sizeof(seen));
		for (unsigned i = 0; i < 50; i++) {
			struct tf_spec s = {.md5 = i % 2, .plen = i * 397 % 9000, .seq = i * 9000};
			push(pl, &s, s.md5 ? &k : NULL, s.plen > 1440, i + 1);
		}
		struct offload_stats st;
		offload_pipeline_stats(pl, &st);
		ck_assert_uint_eq(st.guest.frames, 50);
		ck_assert_uint_eq(seen.frames[0], 50);
		uint64_t prev = 50;
		for (unsigned i = 0; i < st.nstages; i++) {
			struct offload_stage_stats *s = &st.stages[i];
			ck_assert_uint_eq(s->frames_in, prev);
			ck_assert_uint_eq(s->frames_in + s->created - s->dropped, s->frames_out);
			ck_assert_uint_eq(s->tap.frames, s->frames_out);
			ck_assert_uint_eq(seen.frames[i + 1], s->frames_out);
			prev = s->frames_out;
		}
		if (tso_on) {
			ck_assert_uint_gt(st.stages[1].created, 0);
			ck_assert_uint_eq(st.stages[1].dropped, 0);
			ck_assert_int_eq(st.culprit, 1);
			ck_assert(st.stages[1].has_why);
			ck_assert_ptr_nonnull(
				strstr(st.stages[1].why.changed, "pseudo-header length"));
			ck_assert_ptr_nonnull(strstr(st.stages[1].why.unchanged, "addresses"));
		} else {
			/* a TSO request cannot leave a NIC whose tso is off */
			ck_assert_uint_gt(st.stages[1].dropped, 0);
			ck_assert_str_eq(st.stages[1].drops[0].reason, "oversize");
			ck_assert_int_eq(st.culprit, -1);
			ck_assert_uint_eq(st.stages[2].tap.verdicts[MD5SIG_INVALID], 0);
		}
		offload_pipeline_free(pl);
	}
	md5sig_keytab_free(kt);
}
END_TEST

/* Inferred verdicts agree with recomputed ones. */
START_TEST(inference_matches_full_verification)
{
	char err[256];
	struct md5sig_keytab *kt = md5sig_keytab_new();
	struct md5sig_key k = tf_key("k");
	const char *why;
	struct offload_stats a, b;

	md5sig_keytab_parse_line(kt, "192.0.2.0/24 k", &why);
	for (int full = 0; full < 2; full++) {
		struct offload_config c = base_config();
		c.keys = kt;
		c.full_verify = full;
		struct offload_pipeline *pl = offload_pipeline_new(&c, err, sizeof(err));
		for (unsigned i = 0; i < 20; i++) {
			struct tf_spec s = {.md5 = true, .plen = 1000 + i * 401, .seq = i};
			push(pl, &s, &k, s.plen > 1440, i + 1);
		}
		offload_pipeline_stats(pl, full ? &b : &a);
		offload_pipeline_free(pl);
	}
	for (unsigned i = 0; i < a.nstages; i++) {
		ck_assert_mem_eq(a.stages[i].tap.verdicts, b.stages[i].tap.verdicts,
				 sizeof(a.stages[i].tap.verdicts));
		ck_assert_uint_eq(a.stages[i].invalidated, b.stages[i].invalidated);
		ck_assert_uint_eq(b.stages[i].tap.inferred, 0);
	}
	ck_assert_uint_gt(a.stages[1].tap.inferred, 0);
	md5sig_keytab_free(kt);
}
END_TEST

/* ---- TCP-AO ---- */

#define AO_CISN 0xfffff000u /* the client's ISN: its data wraps past 2^32 */
#define AO_SISN 5000u

struct ao_run {
	struct md5sig_keytab *kt;
	struct md5sig_ao_flows *flows;
	struct md5sig_ao_verifier *v; /* the test's own, to sign and to check */
	unsigned wire, wire_valid, wire_missing;
};

static void ao_run_new(struct ao_run *r, const char *line, bool flows)
{
	const char *why;
	struct md5sig_ao_isn_arg a;

	memset(r, 0, sizeof(*r));
	r->kt = md5sig_keytab_new();
	ck_assert_int_eq(md5sig_keytab_parse_line(r->kt, line, &why), 0);
	r->v = md5sig_ao_verifier_new(md5sig_keytab_ao(r->kt), 16);
	if (flows) {
		r->flows = md5sig_ao_flows_new(16);
		ck_assert_int_eq(md5sig_ao_isn_parse("192.0.2.1.40000=4294963200", &a, &why), 0);
		ck_assert_int_eq(md5sig_ao_flows_give(r->flows, &a), 0);
		ck_assert_int_eq(md5sig_ao_isn_parse("192.0.2.2.179=5000", &a, &why), 0);
		ck_assert_int_eq(md5sig_ao_flows_give(r->flows, &a), 0);
	}
}

static void ao_run_free(struct ao_run *r)
{
	md5sig_ao_verifier_free(r->v);
	md5sig_ao_flows_free(r->flows);
	md5sig_keytab_free(r->kt);
}

/* The true SNE of a client sequence number (the client's stream starts at AO_CISN). */
static uint32_t true_sne(uint32_t seq)
{
	return seq < AO_CISN ? 1 : 0;
}

/* Every wire frame checked again with the test's verifier, the ISNs and the true SNE. */
static void ao_sink(void *arg, unsigned tap, const struct offload_frame *f,
		    const struct md5sig_seg *seg, enum md5sig_status st)
{
	struct ao_run *r = arg;
	struct md5sig_ao_isns isns = {AO_CISN, AO_SISN};

	if (tap != 3 || st != MD5SIG_TCP)
		return;
	r->wire++;
	uint32_t seq = tf_get32(f->data + seg->l4_off + 4);
	enum md5sig_ao_verdict v =
		md5sig_ao_classify(r->v, f->data, st, seg, &isns, true_sne(seq), NULL);
	r->wire_valid += v == MD5SIG_AO_VALID;
	r->wire_missing += v == MD5SIG_AO_MISSING;
}

/* A TCP-AO signed super-frame of the client, @plen bytes at @seq, handed to @pl. */
static void push_ao(struct ao_run *r, struct offload_pipeline *pl, uint32_t seq, size_t plen,
		    uint64_t no)
{
	uint8_t opt[16] = {MD5SIG_AO_OPT_KIND, 16, 1, 2};
	struct tf_spec s = {
		.seq = seq, .ack = AO_SISN + 1, .opts = opt, .opts_len = 16, .plen = plen};
	struct md5sig_ao_isns isns = {AO_CISN, AO_SISN};
	struct offload_frame *f = offload_pipeline_guest_frame(pl, 16384);
	struct md5sig_seg seg;

	f->len = (uint32_t)tf_build(&s, f->data, f->cap);
	ck_assert_int_eq(md5sig_parse(MD5SIG_LINK_ETHERNET, f->data, f->len, &seg), MD5SIG_TCP);
	ck_assert_int_eq(md5sig_ao_sign(r->v, f->data, &seg, &isns, true_sne(seq)), 0);
	tf_tcp_csum_fix(f->data, &seg);
	f->tso = plen > 1444;
	f->mss = 1500 - 20 - 20 - 16;
	f->csum = OFFLOAD_CSUM_COMPLETE;
	f->guest_no = no;
	ck_assert_int_ge(offload_pipeline_tx(pl, f), 0);
}

/* Ten super-frames, the third across the wrap, through a pipeline with @quirk. */
static void ao_pipeline(struct ao_run *r, const char *quirk, bool full, struct offload_stats *st)
{
	char err[256];
	struct offload_config c = base_config();
	uint32_t seq = AO_CISN + 1;

	c.keys = r->kt;
	c.flows = r->flows;
	c.full_verify = full;
	c.params[0].key = "tso.md5";
	c.params[0].value = quirk;
	c.nparams = 1;
	struct offload_pipeline *pl = offload_pipeline_new(&c, err, sizeof(err));
	ck_assert_msg(pl != NULL, "%s", err);
	offload_pipeline_set_sink(pl, ao_sink, r);
	for (unsigned i = 0; i < 10; i++) {
		size_t plen = 1000 + i * 977;
		push_ao(r, pl, seq, plen, i + 1);
		seq += (uint32_t)plen;
	}
	offload_pipeline_stats(pl, st);
	offload_pipeline_free(pl);
}

/*
 * TCP-AO through tso: a copied MAC is inferred invalid exactly as a full recomputation finds it,
 * the culprit is tso with AO's coverage in the explanation; resign makes every segment valid
 * with its own SNE (across the wrap), strip makes them missing; without the ISNs no segment is
 * re-signed, and none is called invalid.
 */
START_TEST(ao_through_tso)
{
	struct ao_run r;
	struct offload_stats a, b;

	ao_run_new(&r, "ao 192.0.2.2 1:2 hmac-sha-1-96 pipeline-ao", true);
	ao_pipeline(&r, "copy", false, &a);
	ao_pipeline(&r, "copy", true, &b);
	ck_assert_int_eq(a.culprit, 1);
	ck_assert(a.stages[1].has_why && a.stages[1].why.ao);
	ck_assert_int_eq(a.stages[1].why.ao_after, MD5SIG_AO_INVALID);
	ck_assert_ptr_nonnull(strstr(a.stages[1].why.changed, "MAC copied unchanged"));
	ck_assert_ptr_nonnull(strstr(a.stages[1].why.unchanged, "options"));
	ck_assert_ptr_nonnull(strstr(a.stages[1].why.unchanged, "SNE"));
	ck_assert_uint_eq(a.stages[1].invalidated, a.stages[1].invalidated_ao);
	ck_assert_uint_eq(a.stages[1].invalidated, a.stages[1].tap.ao[MD5SIG_AO_INVALID]);
	ck_assert_uint_gt(a.stages[1].invalidated, 10);
	for (unsigned i = 0; i < a.nstages; i++) {
		ck_assert_mem_eq(a.stages[i].tap.ao, b.stages[i].tap.ao,
				 sizeof(a.stages[i].tap.ao));
		ck_assert_mem_eq(a.stages[i].tap.verdicts, b.stages[i].tap.verdicts,
				 sizeof(a.stages[i].tap.verdicts));
		ck_assert_uint_eq(a.stages[i].invalidated, b.stages[i].invalidated);
		ck_assert_uint_eq(b.stages[i].tap.inferred, 0);
	}
	ck_assert_uint_eq(a.stages[1].tap.inferred, a.stages[1].invalidated);
	ck_assert_uint_eq(r.wire_valid, 2 * 1); /* the first, unsegmented, in each run */

	r.wire = r.wire_valid = 0;
	ao_pipeline(&r, "resign", false, &a);
	ck_assert_int_eq(a.culprit, -1);
	ck_assert_uint_eq(a.stages[2].tap.ao[MD5SIG_AO_VALID], r.wire);
	ck_assert_uint_eq(r.wire_valid, r.wire);

	r.wire = r.wire_valid = 0;
	ao_pipeline(&r, "strip", false, &a);
	ck_assert_int_eq(a.culprit, 1);
	ck_assert_ptr_nonnull(strstr(a.stages[1].why.changed, "TCP-AO option removed"));
	ck_assert_uint_eq(a.stages[2].tap.ao[MD5SIG_AO_MISSING], r.wire - 1);
	ck_assert_uint_eq(r.wire_missing, r.wire - 1);
	ao_run_free(&r);

	/* exclude-options: the explanation says the options are not covered */
	ao_run_new(&r, "ao 192.0.2.2 1:2 aes-128-cmac-96 exclude-options pipeline-ao", true);
	ao_pipeline(&r, "copy", false, &a);
	ck_assert_ptr_nonnull(strstr(a.stages[1].why.unchanged, "options (not covered"));
	ao_run_free(&r);

	/* no ISNs: never invalid, never re-signed */
	ao_run_new(&r, "ao 192.0.2.2 1:2 hmac-sha-1-96 pipeline-ao", false);
	ao_pipeline(&r, "resign", false, &a);
	ck_assert_int_eq(a.culprit, -1);
	ck_assert_uint_eq(a.guest.ao[MD5SIG_AO_NO_ISN], 10);
	ck_assert_uint_eq(a.stages[2].tap.ao[MD5SIG_AO_NO_ISN], r.wire);
	ck_assert_uint_eq(r.wire_valid, 1);
	ao_run_free(&r);
}
END_TEST

/* Flags of the last frame at the wire. */
struct last_flags {
	unsigned wire;
	uint8_t flags;
};

static void flags_sink(void *arg, unsigned tap, const struct offload_frame *f,
		       const struct md5sig_seg *seg, enum md5sig_status st)
{
	struct last_flags *l = arg;

	if (tap != 3 || st != MD5SIG_TCP)
		return;
	l->wire++;
	l->flags = f->data[seg->l4_off + 13];
}

/*
 * A quirk the stage refuses at run time (tso.md5=resign without a key) leaves the working tso in
 * place; an accepted one takes over from the next frame (qemu clears PSH on the last segment).
 */
START_TEST(refused_set_param_keeps_the_working_stage)
{
	char err[256] = "";
	struct offload_config c = base_config();
	struct offload_pipeline *pl = offload_pipeline_new(&c, err, sizeof(err));
	struct last_flags l = {0};
	struct tf_spec s = {.plen = 4000};
	struct offload_stats st;

	ck_assert_msg(pl != NULL, "%s", err);
	offload_pipeline_set_sink(pl, flags_sink, &l);
	push(pl, &s, NULL, true, 1);
	ck_assert_uint_eq(l.wire, 3);
	ck_assert_uint_eq(l.flags & 0x08, 0x08); /* linux: PSH on the last segment */

	ck_assert_int_eq(offload_pipeline_set_param(pl, "tso.md5", "resign", err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, "tso.md5=resign needs a key (--key or --key-file)");
	push(pl, &s, NULL, true, 2);
	ck_assert_uint_eq(l.wire, 6);
	ck_assert_uint_eq(l.flags & 0x08, 0x08);

	ck_assert_int_eq(offload_pipeline_set_param(pl, "tso.flags", "qemu", err, sizeof(err)), 0);
	push(pl, &s, NULL, true, 3);
	ck_assert_uint_eq(l.wire, 9);
	ck_assert_uint_eq(l.flags & 0x08, 0);
	offload_pipeline_stats(pl, &st);
	ck_assert_uint_eq(st.stages[1].frames_in, 3);
	ck_assert_uint_eq(st.stages[1].created, 6);
	ck_assert_uint_eq(st.stages[1].dropped, 0);
	offload_pipeline_free(pl);
}
END_TEST

Suite *suite_pipeline(void)
{
	Suite *s = suite_create("pipeline");
	TCase *tc = tcase_create("pipeline");

	tcase_add_test(tc, configuration_errors);
	tcase_add_test(tc, tso_needs_sg_and_tx);
	tcase_add_test(tc, accounting_balances);
	tcase_add_test(tc, inference_matches_full_verification);
	tcase_add_test(tc, refused_set_param_keeps_the_working_stage);
	tcase_add_test(tc, ao_through_tso);
	suite_add_tcase(s, tc);
	return s;
}
