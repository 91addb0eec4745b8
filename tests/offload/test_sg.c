// SPDX-License-Identifier: GPL-2.0-or-later
/* The sg stage: any split of a frame gathers to the same bytes; descriptor limits. */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "offload/offload.h"
#include "tests/suites.h"
#include "tests/support/frames.h"

static uint8_t frame[OFFLOAD_MAX_FRAME];

/* What reached the wire (the last tap) for one guest frame. */
struct wire {
	unsigned last_tap;
	unsigned count;
	uint8_t *data;
	uint32_t len;
	uint16_t nfrags;
	bool changed;
};

static void wire_sink(void *arg, unsigned tap, const struct offload_frame *f,
		      const struct md5sig_seg *seg, enum md5sig_status st)
{
	struct wire *w = arg;

	(void)seg;
	(void)st;
	if (tap != w->last_tap)
		return;
	w->count++;
	free(w->data);
	w->data = malloc(f->len ? f->len : 1);
	memcpy(w->data, f->data, f->len);
	w->len = f->len;
	w->nfrags = f->nfrags;
	w->changed = f->changed;
}

/* A pipeline with only the sg stage and up to three "sg.NAME=VALUE" parameters. */
static struct offload_pipeline *sg_pipeline(struct wire *w, bool on, const char *p0, const char *v0,
					    const char *p1, const char *v1, const char *p2,
					    const char *v2)
{
	struct offload_config c = {
		.linktype = MD5SIG_LINK_ETHERNET,
		.wire_mtu = 1500,
		.verify = true,
		.stages = {"sg"},
		.nstages = 1,
		.requested = {[OFFLOAD_F_SG] = on},
		.params = {{p0, v0}, {p1, v1}, {p2, v2}},
		.nparams = p2	? 3
			   : p1 ? 2
			   : p0 ? 1
				: 0,
	};
	char err[256] = "";
	struct offload_pipeline *pl = offload_pipeline_new(&c, err, sizeof(err));

	ck_assert_msg(pl != NULL, "pipeline: %s", err);
	memset(w, 0, sizeof(*w));
	w->last_tap = 1;
	offload_pipeline_set_sink(pl, wire_sink, w);
	return pl;
}

/*
 * Hand @len bytes of @src to the pipeline split at the @nfrags - 1 ascending offsets in @cuts,
 * every fragment in its own allocation (so ASan catches a read past any of them). @tso marks
 * the frame as a TSO request. Returns what offload_pipeline_tx() returned.
 */
static int tx_split(struct offload_pipeline *pl, const uint8_t *src, uint32_t len,
		    const uint32_t *cuts, unsigned nfrags, bool tso)
{
	struct offload_frame *f = offload_pipeline_guest_frame(pl, len);
	uint8_t *bufs[OFFLOAD_MAX_FRAGS];

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_le(nfrags, OFFLOAD_MAX_FRAGS);
	for (unsigned i = 0; i < nfrags; i++) {
		uint32_t from = i ? cuts[i - 1] : 0, to = i + 1 < nfrags ? cuts[i] : len;

		bufs[i] = malloc(to - from ? to - from : 1);
		memcpy(bufs[i], src + from, to - from);
		f->frags[i].p = bufs[i];
		f->frags[i].len = to - from;
	}
	f->nfrags = (uint16_t)nfrags;
	f->len = len;
	f->tso = tso;
	f->mss = tso ? 1448 : 0;
	f->guest_no = 1;
	int n = offload_pipeline_tx(pl, f);
	for (unsigned i = 0; i < nfrags; i++)
		free(bufs[i]);
	return n;
}

/* @n equal fragments of a @len-byte frame (the last takes the remainder). */
static int tx_even(struct offload_pipeline *pl, const uint8_t *src, uint32_t len, unsigned n,
		   bool tso)
{
	uint32_t cuts[OFFLOAD_MAX_FRAGS];

	for (unsigned i = 1; i < n; i++)
		cuts[i - 1] = len / n * i;
	return tx_split(pl, src, len, cuts, n, tso);
}

static uint32_t build(size_t plen, unsigned *seed)
{
	uint8_t *payload = malloc(plen ? plen : 1);

	for (size_t i = 0; i < plen; i++)
		payload[i] = (uint8_t)rand_r(seed);
	struct tf_spec s = {.md5 = true, .plen = plen, .payload = payload};
	size_t n = tf_build(&s, frame, sizeof(frame));
	free(payload);
	ck_assert_uint_gt(n, 0);
	return (uint32_t)n;
}

static void expect_wire(const struct wire *w, uint32_t len)
{
	ck_assert_uint_eq(w->count, 1);
	ck_assert_uint_eq(w->nfrags, 0);
	ck_assert_uint_eq(w->len, len);
	ck_assert_msg(!memcmp(w->data, frame, len), "gathered bytes differ");
	ck_assert(!w->changed);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

START_TEST(any_split_gathers_to_the_same_bytes)
{
	static const size_t plens[] = {0, 1, 7, 1460, 8960, 65000};
	unsigned seed = 2385;
	struct wire w;
	struct offload_pipeline *pl =
		sg_pipeline(&w, true, "sg.max_frags", "64", NULL, NULL, NULL, NULL);

	for (size_t k = 0; k < sizeof(plens) / sizeof(plens[0]); k++) {
		uint32_t len = build(plens[k], &seed);

		for (int round = 0; round < 200; round++) {
			unsigned n = 1 + (unsigned)rand_r(&seed) % OFFLOAD_MAX_FRAGS;
			uint32_t cuts[OFFLOAD_MAX_FRAGS];

			/* cut points may repeat: zero-length fragments are fine for gathering */
			for (unsigned i = 0; i + 1 < n; i++)
				cuts[i] = (uint32_t)rand_r(&seed) % (len + 1);
			qsort(cuts, n - 1, sizeof(cuts[0]), cmp_u32);
			ck_assert_int_eq(tx_split(pl, frame, len, cuts, n, false), 1);
			expect_wire(&w, len);
			w.count = 0;
		}
	}

	struct offload_stats s;
	offload_pipeline_stats(pl, &s);
	ck_assert_uint_eq(s.stages[0].frames_in, 6 * 200);
	ck_assert_uint_eq(s.stages[0].frames_out, 6 * 200);
	ck_assert_uint_eq(s.stages[0].dropped, 0);
	ck_assert_uint_eq(s.stages[0].invalidated, 0);
	free(w.data);
	offload_pipeline_free(pl);
}
END_TEST

START_TEST(linear_frames_pass_through)
{
	unsigned seed = 1;
	struct wire w;
	struct offload_pipeline *pl =
		sg_pipeline(&w, true, "sg.max_frags", "1", "sg.overflow", "drop", NULL, NULL);
	uint32_t len = build(1000, &seed);
	struct offload_frame *f = offload_pipeline_guest_frame(pl, len);

	memcpy(f->data, frame, len);
	f->len = len;
	ck_assert_int_eq(offload_pipeline_tx(pl, f), 1);
	expect_wire(&w, len);
	free(w.data);
	offload_pipeline_free(pl);
}
END_TEST

static void expect_drop(struct offload_pipeline *pl, const char *reason, uint64_t count)
{
	struct offload_stats s;

	offload_pipeline_stats(pl, &s);
	ck_assert_uint_eq(s.stages[0].dropped, count);
	ck_assert_uint_eq(s.stages[0].ndrops, count ? 1 : 0);
	if (count) {
		ck_assert_str_eq(s.stages[0].drops[0].reason, reason);
		ck_assert_uint_eq(s.stages[0].drops[0].count, count);
	}
	/* accounting: frames_in + created == frames_out + dropped (sg merges and holds nothing) */
	ck_assert_uint_eq(s.stages[0].frames_in + s.stages[0].created - s.stages[0].dropped,
			  s.stages[0].frames_out);
}

START_TEST(too_many_frags_dropped)
{
	unsigned seed = 2;
	struct wire w;
	struct offload_pipeline *pl =
		sg_pipeline(&w, true, "sg.max_frags", "4", "sg.overflow", "drop", NULL, NULL);
	uint32_t len = build(1400, &seed);

	ck_assert_int_eq(tx_even(pl, frame, len, 4, false), 1);
	expect_wire(&w, len);
	w.count = 0;
	ck_assert_int_eq(tx_even(pl, frame, len, 5, false), 0);
	ck_assert_uint_eq(w.count, 0);
	ck_assert_int_eq(tx_even(pl, frame, len, 64, false), 0);
	expect_drop(pl, "too-many-frags", 2);
	free(w.data);
	offload_pipeline_free(pl);
}
END_TEST

START_TEST(too_many_frags_linearized)
{
	unsigned seed = 3;
	struct wire w;
	/* overflow=linearize is the default */
	struct offload_pipeline *pl =
		sg_pipeline(&w, true, "sg.max_frags", "4", NULL, NULL, NULL, NULL);
	uint32_t len = build(1400, &seed);

	ck_assert_int_eq(tx_even(pl, frame, len, 5, false), 1);
	expect_wire(&w, len);
	w.count = 0;
	ck_assert_int_eq(tx_even(pl, frame, len, 64, false), 1);
	expect_wire(&w, len);
	expect_drop(pl, NULL, 0);
	free(w.data);
	offload_pipeline_free(pl);
}
END_TEST

START_TEST(frag_size_respected)
{
	unsigned seed = 4;
	struct wire w;
	struct offload_pipeline *pl =
		sg_pipeline(&w, true, "sg.frag_size", "1000", "sg.overflow", "drop", NULL, NULL);
	uint32_t len = build(1926, &seed); /* 2000 bytes */
	uint32_t at_limit[] = {1000}, first_over[] = {1001}, last_over[] = {999};
	uint32_t three[] = {1000, 1001};

	ck_assert_uint_eq(len, 2000);
	ck_assert_int_eq(tx_split(pl, frame, len, at_limit, 2, false), 1);
	expect_wire(&w, len);
	ck_assert_int_eq(tx_split(pl, frame, len, first_over, 2, false), 0);
	ck_assert_int_eq(tx_split(pl, frame, len, last_over, 2, false), 0);
	w.count = 0;
	ck_assert_int_eq(tx_split(pl, frame, len, three, 3, false), 1);
	expect_wire(&w, len);
	/* the buffer size binds TSO requests too: it is a descriptor field's width */
	ck_assert_int_eq(tx_split(pl, frame, len, last_over, 2, true), 0);
	expect_drop(pl, "frag-too-large", 3);
	free(w.data);
	offload_pipeline_free(pl);
}
END_TEST

START_TEST(tso_exempt_from_the_descriptor_count)
{
	unsigned seed = 5;
	struct wire w;
	uint32_t len = build(8000, &seed);
	struct offload_pipeline *pl =
		sg_pipeline(&w, true, "sg.max_frags", "2", "sg.overflow", "drop", NULL, NULL);

	/* default tso_exempt=on: a TSO request may use more descriptors, other frames not */
	ck_assert_int_eq(tx_even(pl, frame, len, 10, true), 1);
	expect_wire(&w, len);
	ck_assert_int_eq(tx_even(pl, frame, len, 10, false), 0);
	expect_drop(pl, "too-many-frags", 1);
	free(w.data);
	offload_pipeline_free(pl);

	pl = sg_pipeline(&w, true, "sg.max_frags", "2", "sg.overflow", "drop", "sg.tso_exempt",
			 "off");
	ck_assert_int_eq(tx_even(pl, frame, len, 10, true), 0);
	ck_assert_int_eq(tx_even(pl, frame, len, 2, true), 1);
	expect_wire(&w, len);
	expect_drop(pl, "too-many-frags", 1);
	free(w.data);
	offload_pipeline_free(pl);
}
END_TEST

/* With sg off the guest kernel hands over linear frames: no limit applies, bytes are kept. */
START_TEST(sg_off_gathers_without_limits)
{
	unsigned seed = 6;
	struct wire w;
	struct offload_pipeline *pl =
		sg_pipeline(&w, false, "sg.max_frags", "2", "sg.overflow", "drop", NULL, NULL);
	uint32_t len = build(3000, &seed);
	struct offload_stats s;

	ck_assert_int_eq(tx_even(pl, frame, len, 30, false), 1);
	expect_wire(&w, len);
	offload_pipeline_stats(pl, &s);
	ck_assert(!s.stages[0].enabled);
	expect_drop(pl, NULL, 0);
	free(w.data);
	offload_pipeline_free(pl);
}
END_TEST

START_TEST(bad_parameters_refused)
{
	static const char *const bad[][2] = {
		{"sg.max_frags", "0"},
		{"sg.max_frags", "many"},
		{"sg.overflow", "truncate"},
		{"sg.tso_exempt", "yes"},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct offload_config c = {
			.linktype = MD5SIG_LINK_ETHERNET,
			.wire_mtu = 1500,
			.stages = {"sg"},
			.nstages = 1,
			.requested = {[OFFLOAD_F_SG] = true},
			.params = {{bad[i][0], bad[i][1]}},
			.nparams = 1,
		};
		char err[256] = "";

		ck_assert_ptr_null(offload_pipeline_new(&c, err, sizeof(err)));
		ck_assert_msg(*err, "no reason for %s=%s", bad[i][0], bad[i][1]);
	}
}
END_TEST

Suite *suite_sg(void)
{
	Suite *s = suite_create("sg");
	TCase *tc = tcase_create("sg");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, any_split_gathers_to_the_same_bytes);
	tcase_add_test(tc, linear_frames_pass_through);
	tcase_add_test(tc, too_many_frags_dropped);
	tcase_add_test(tc, too_many_frags_linearized);
	tcase_add_test(tc, frag_size_respected);
	tcase_add_test(tc, tso_exempt_from_the_descriptor_count);
	tcase_add_test(tc, sg_off_gathers_without_limits);
	tcase_add_test(tc, bad_parameters_refused);
	suite_add_tcase(s, tc);
	return s;
}
