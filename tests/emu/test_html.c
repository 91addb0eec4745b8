// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The HTML report's parts that a browser test cannot reach one by one: which arguments are
 * secrets, escaping, the temporary file renamed only on success, and the trace's bounds: the
 * ladder follows the flow of its target frame (keeping that flow's frames from the ring of
 * recent ones, not the others'), stops at EMU_HTML_ROWS, and the flow table at EMU_HTML_FLOWS.
 * Frames are made with tests/support/frames.h and described with md5sig_parse(), as the
 * pipeline's taps describe them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "emu/analysis/htrace.h"
#include "tests/suites.h"
#include "tests/support/frames.h"

START_TEST(secrets_are_masked)
{
	char *argv[] = {"replay", "--key",    "s3cret",	 "--key=other", "--key-file",
			"k",	  "hex:00ff", "in.pcap", "--set",	"tso.md5=copy"};
	int argc = (int)(sizeof(argv) / sizeof(argv[0]));
	bool want[] = {false, false, true, true, false, false, true, false, false, false};

	for (int i = 0; i < argc; i++)
		ck_assert_msg(emu_html_is_secret(argc, argv, i) == want[i], "argument %d (%s)", i,
			      argv[i]);
	ck_assert(!emu_html_is_secret(argc, argv, argc));
}
END_TEST

static char dir[64];

static void setup(void)
{
	strcpy(dir, "/tmp/vnicemu-html-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* How many entries DIR holds. */
static int entries(void)
{
	char cmd[128];
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls -A %s | wc -l", dir);
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(fscanf(p, "%d", &n), 1);
	pclose(p);
	return n;
}

START_TEST(escapes_and_renames)
{
	char path[128], err[256], buf[8192];
	struct emu_html *h;

	snprintf(path, sizeof(path), "%s/r.html", dir);
	ck_assert_ptr_nonnull(h = emu_html_open(path, "t<i>", err, sizeof(err)));
	/* until it is closed, only the temporary file exists */
	ck_assert_int_eq(access(path, F_OK), -1);
	emu_html_text(h, "<script>alert('x')</script> & \"q\"\x01");
	ck_assert_int_eq(emu_html_close(h, false, err, sizeof(err)), 0);
	ck_assert_int_eq(entries(), 1);
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	ck_assert_ptr_nonnull(strstr(buf, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; "
					  "&quot;q&quot;?"));
	ck_assert_ptr_null(strstr(buf, "<script"));
	ck_assert_ptr_nonnull(strstr(buf, "<title>t&lt;i&gt;</title>"));
	ck_assert_ptr_nonnull(strstr(buf, "default-src 'none'"));

	/* discarded: the page at the name stays as it was, nothing else is left */
	ck_assert_ptr_nonnull(h = emu_html_open(path, "other", err, sizeof(err)));
	ck_assert_int_eq(emu_html_close(h, true, err, sizeof(err)), 0);
	ck_assert_int_eq(entries(), 1);
	f = fopen(path, "r");
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	ck_assert_ptr_nonnull(strstr(buf, "t&lt;i&gt;"));

	snprintf(path, sizeof(path), "%s/none/r.html", dir);
	ck_assert_ptr_null(emu_html_open(path, "x", err, sizeof(err)));
	ck_assert_msg(strstr(err, path) != NULL, "%s", err);
}
END_TEST

START_TEST(refuses_an_input)
{
	char path[128], link[128], err[256];
	const char *in[1] = {path};

	snprintf(path, sizeof(path), "%s/in.pcap", dir);
	snprintf(link, sizeof(link), "%s/other-name", dir);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	ck_assert_int_eq(symlink(path, link), 0);
	ck_assert_int_eq(emu_html_check_path(link, in, 1, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(emu_html_check_path(dir, in, 1, err, sizeof(err)), -EISDIR);
	snprintf(link, sizeof(link), "%s/new.html", dir);
	ck_assert_int_eq(emu_html_check_path(link, in, 1, err, sizeof(err)), 0);
}
END_TEST

/* Frame @no of flow @sport (192.0.2.1.@sport > 192.0.2.2.179), signed, at @tap. */
static void feed(struct emu_html_trace *t, uint64_t no, uint16_t sport, unsigned tap,
		 enum md5sig_verdict v)
{
	struct tf_spec s = {.sport = sport, .seq = 1000 + (uint32_t)no, .md5 = true, .plen = 10};
	uint8_t buf[256];
	struct offload_frame f = {0};
	struct md5sig_seg seg;

	f.len = (uint32_t)tf_build(&s, buf, sizeof(buf));
	ck_assert_uint_gt(f.len, 0);
	f.data = buf;
	f.guest_no = no;
	f.seg_count = 1;
	f.verdict = v;
	f.ao_verdict = MD5SIG_AO_UNSIGNED;
	f.verdict_known = true;
	ck_assert_int_eq(md5sig_parse(MD5SIG_LINK_ETHERNET, buf, f.len, &seg), MD5SIG_TCP);
	emu_html_trace_tap(t, false, tap, &f, &seg, MD5SIG_TCP);
}

START_TEST(ladder_follows_the_target_flow)
{
	struct emu_html_trace *t = emu_html_trace_new(5);

	ck_assert_ptr_nonnull(t);
	/* flows A (40000) and B (40001) alternate; frame 5 is B's and the target */
	for (uint64_t no = 1; no <= 100; no++) {
		uint16_t sport = no % 2 ? 40000 : 40001;
		if (no == 5)
			sport = 40001;
		feed(t, no, sport, 0, MD5SIG_VALID);
		feed(t, no, sport, 1, no == 5 ? MD5SIG_INVALID : MD5SIG_VALID);
	}
	ck_assert(t->locked);
	ck_assert_uint_eq(t->lock.sport, 40001);
	/* B's frames before it (2 and 4), frame 5, then B's until the ladder is full */
	ck_assert_uint_eq(t->rows[0].no, 2);
	ck_assert_uint_eq(t->rows[1].no, 4);
	ck_assert_uint_eq(t->rows[2].no, 5);
	ck_assert_uint_eq(t->nrows, EMU_HTML_ROWS);
	for (unsigned i = 3; i < t->nrows; i++)
		ck_assert_uint_eq(t->rows[i].k.sport, 40001);
	ck_assert_uint_eq(t->rows[2].cell[1].segs[0].cls, HT_INVALID);
	ck_assert_uint_eq(t->rows[2].cell[0].segs[0].cls, HT_VALID);
	ck_assert_uint_eq(t->rows[2].ntaps, 2);
	/* B has 50 frames after 4 (6..100 even, and 5): 48; 37 of them shown */
	ck_assert_uint_eq(t->skipped, 48 - (EMU_HTML_ROWS - 3));
	/* both flows counted at both taps */
	ck_assert_uint_eq(t->nflows, 2);
	ck_assert_uint_eq(t->flows[0].frames[0] + t->flows[1].frames[0], 100);
	ck_assert_uint_eq(t->flows[1].cls[1][HT_INVALID], 1);
	emu_html_trace_free(t);
}
END_TEST

/* The outlined frame stays in a full cell: frame 1 cut into 40 segments, the 39th invalid. */
START_TEST(ladder_keeps_the_target_segment)
{
	struct emu_html_trace *t = emu_html_trace_new(1);
	struct tf_spec s = {.md5 = true, .plen = 10};
	uint8_t buf[256];
	struct offload_frame f = {.seg_count = 40,
				  .guest_no = 1,
				  .verdict_known = true,
				  .ao_verdict = MD5SIG_AO_UNSIGNED,
				  .data = buf};
	struct md5sig_seg seg;

	ck_assert_ptr_nonnull(t);
	t->target_tap = 1;
	t->target_seg = 38;
	f.len = (uint32_t)tf_build(&s, buf, sizeof(buf));
	ck_assert_int_eq(md5sig_parse(MD5SIG_LINK_ETHERNET, buf, f.len, &seg), MD5SIG_TCP);
	emu_html_trace_tap(t, false, 0, &f, &seg, MD5SIG_TCP);
	for (uint16_t i = 0; i < 40; i++) {
		f.seg_no = i;
		f.verdict = i == 38 ? MD5SIG_INVALID : MD5SIG_VALID;
		emu_html_trace_tap(t, false, 1, &f, &seg, MD5SIG_TCP);
	}
	const struct ht_cell *c = &t->rows[0].cell[1];
	ck_assert_uint_eq(c->n, 40);
	ck_assert_uint_eq(c->nsegs, EMU_HTML_CELL_SEGS);
	ck_assert_uint_eq(c->segs[EMU_HTML_CELL_SEGS - 1].seg_no, 38);
	ck_assert_uint_eq(c->segs[EMU_HTML_CELL_SEGS - 1].cls, HT_INVALID);
	ck_assert_uint_eq(c->cls[HT_INVALID], 1);
	emu_html_trace_free(t);
}
END_TEST

START_TEST(flow_table_is_bounded)
{
	struct emu_html_trace *t = emu_html_trace_new(0);

	ck_assert_ptr_nonnull(t);
	for (uint64_t no = 1; no <= EMU_HTML_FLOWS + 10; no++) {
		feed(t, no, (uint16_t)(30000 + no), 0, MD5SIG_VALID);
		feed(t, no, (uint16_t)(30000 + no), 1, MD5SIG_VALID);
	}
	ck_assert_uint_eq(t->nflows, EMU_HTML_FLOWS);
	ck_assert_uint_eq(t->other_frames[0], 10);
	ck_assert_uint_eq(t->other_frames[1], 10);
	/* without a target: the first signed flow, frame 1's */
	ck_assert(t->locked);
	ck_assert_uint_eq(t->lock.sport, 30001);
	ck_assert_uint_eq(t->nrows, 1);
	emu_html_trace_free(t);
}
END_TEST

Suite *suite_html(void)
{
	Suite *s = suite_create("html");
	TCase *tc = tcase_create("html");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, secrets_are_masked);
	tcase_add_test(tc, escapes_and_renames);
	tcase_add_test(tc, refuses_an_input);
	tcase_add_test(tc, ladder_follows_the_target_flow);
	tcase_add_test(tc, ladder_keeps_the_target_segment);
	tcase_add_test(tc, flow_table_is_bounded);
	suite_add_tcase(s, tc);
	return s;
}
