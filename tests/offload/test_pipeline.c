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
	suite_add_tcase(s, tc);
	return s;
}
