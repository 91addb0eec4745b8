// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The diff engine on guest/wire capture pairs built here with tests/support's frame builder,
 * each wire side made the way a known engine would make it, so the explanation is known in
 * advance: Linux GSO (every header byte copied, seq0 + i * MSS, IPv4 ID0 + i, PSH on the last
 * segment only, the MD5 option copied verbatim, so a stale digest), the same with re-signed
 * segments, with a fixed IPv4 ID, with QEMU's flags (PSH on no segment), a pair that differs in
 * nothing, and one whose IDs follow no single rule.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "emu/analysis/diff/diff.h"
#include "emu/capture/capture.h"
#include "tests/suites.h"
#include "tests/support/frames.h"

#define ACK 0x10
#define PSH 0x08
#define MSS 1440 /* a 1500-byte wire: 1500 - 20 (IPv4) - 40 (TCP with the MD5 option) */

static char dir[64];
static uint8_t payload[20000];

static void setup(void)
{
	strcpy(dir, "/tmp/vnicemu-diff-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7 + i / 251);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* A capture being written. */
struct cap {
	struct emu_capout *c;
	char path[128];
	unsigned n;
};

static void cap_open(struct cap *c, const char *name)
{
	char err[256];

	snprintf(c->path, sizeof(c->path), "%s/%s", dir, name);
	c->c = emu_capout_open(c->path, false, err, sizeof(err));
	ck_assert_msg(c->c, "%s", err);
	ck_assert_int_eq(emu_capout_iface(c->c, MD5SIG_LINK_ETHERNET, NULL), 0);
	c->n = 0;
}

static void cap_put(struct cap *c, const uint8_t *f, size_t len)
{
	struct timespec ts = {1700000000, (long)c->n++};

	ck_assert_uint_gt(len, 0);
	ck_assert_int_eq(emu_capout_write(c->c, 0, &ts, f, (uint32_t)len, NULL), 0);
}

static void cap_close(struct cap *c)
{
	ck_assert_int_eq(emu_capout_close(c->c), 0);
}

enum md5_rule { COPY, RESIGN };
enum id_rule { INCREMENT, FIXED };
enum flag_rule { LINUX, QEMU };

/*
 * One signed guest frame of @plen payload bytes at @seq, with PSH; into @g, and into @w as a
 * TSO engine with these rules cuts it (a frame that fits is sent as it is).
 */
static void super_frame(struct cap *g, struct cap *w, uint32_t seq, size_t plen, uint16_t id,
			enum md5_rule md5, enum id_rule ids, enum flag_rule flags)
{
	static uint8_t gf[20100], wf[1600];
	struct md5sig_key key = tf_key("k1");
	struct tf_spec s = {.md5 = true,
			    .seq = seq,
			    .ack = 1,
			    .flags = ACK | PSH,
			    .ipid = id,
			    .payload = payload + seq % 1000,
			    .plen = plen};
	struct md5sig_seg seg;
	size_t n = tf_build_signed(&s, &key, gf, sizeof(gf));

	cap_put(g, gf, n);
	ck_assert_int_eq(md5sig_parse(MD5SIG_LINK_ETHERNET, gf, n, &seg), MD5SIG_TCP);
	const uint8_t *digest = gf + seg.md5_off;
	for (size_t off = 0, i = 0; off < plen; off += MSS, i++) {
		bool last = off + MSS >= plen;
		struct tf_spec p = s;
		struct md5sig_seg ps;

		p.seq = seq + (uint32_t)off;
		p.payload = s.payload + off;
		p.plen = last ? plen - off : MSS;
		p.ipid = (uint16_t)(ids == INCREMENT ? id + i : id);
		p.flags = ACK | (last && flags == LINUX ? PSH : 0);
		if (md5 == RESIGN) {
			n = tf_build_signed(&p, &key, wf, sizeof(wf));
		} else {
			n = tf_build(&p, wf, sizeof(wf));
			ck_assert_int_eq(md5sig_parse(MD5SIG_LINK_ETHERNET, wf, n, &ps),
					 MD5SIG_TCP);
			memcpy(wf + ps.md5_off, digest, MD5SIG_DIGEST_LEN);
			tf_tcp_csum_fix(wf, &ps);
		}
		cap_put(w, wf, n);
	}
}

struct result {
	int ret;
	char err[512];
	char *out;
	struct emu_diff_explanation e;
};

static void diff(const struct cap *g, const struct cap *w, bool json, struct result *r)
{
	struct md5sig_keytab *kt = md5sig_keytab_new();
	const char *why;
	size_t len;
	FILE *f = open_memstream(&r->out, &len);

	ck_assert_ptr_nonnull(kt);
	ck_assert_int_eq(md5sig_keytab_parse_line(kt, "* k1", &why), 0);
	struct emu_diff *d = emu_diff_new(kt);
	ck_assert_ptr_nonnull(d);
	r->ret = emu_diff_read(d, g->path, w->path, r->err, sizeof(r->err));
	if (!r->ret)
		r->ret = emu_diff_report(d, f, json, r->err, sizeof(r->err));
	fclose(f);
	emu_diff_explain(d, &r->e);
	emu_diff_free(d);
	md5sig_keytab_free(kt);
}

/* The pair of captures: @frames super-frames of 4000 bytes, then one of 100 (it fits). */
static void pair(struct cap *g, struct cap *w, unsigned frames, enum md5_rule md5, enum id_rule ids,
		 enum flag_rule flags)
{
	cap_open(g, "guest.pcap");
	cap_open(w, "wire.pcap");
	for (unsigned i = 0; i < frames; i++)
		super_frame(g, w, 1 + 4000 * i, 4000, (uint16_t)(100 + 10 * i), md5, ids, flags);
	super_frame(g, w, 1 + 4000 * frames, 100, 900, md5, ids, flags);
	cap_close(g);
	cap_close(w);
}

/* @e names @stage and exactly the quirks @want ("key=value", NULL-terminated). */
static void check_quirks(const struct emu_diff_explanation *e, const char *stage,
			 const char *const *want)
{
	unsigned n = 0;

	ck_assert_str_eq(e->stage, stage);
	for (; want[n]; n++) {
		bool found = false;
		for (unsigned i = 0; i < e->nquirks; i++) {
			char kv[64];
			snprintf(kv, sizeof(kv), "%s=%s", e->quirk[i][0], e->quirk[i][1]);
			found |= !strcmp(kv, want[n]);
		}
		ck_assert_msg(found, "no quirk %s in: %s", want[n], e->text);
	}
	ck_assert_uint_eq(e->nquirks, n);
}

START_TEST(tso_split_copied_digest)
{
	struct cap g, w;
	struct result r;

	pair(&g, &w, 2, COPY, INCREMENT, LINUX);
	diff(&g, &w, false, &r);
	ck_assert_msg(r.ret == 0, "%s", r.err);
	check_quirks(
		&r.e, "tso",
		(const char *[]){"tso.flags=linux", "tso.ipid=increment", "tso.md5=copy", NULL});
	ck_assert_msg(strstr(r.e.text, "TSO (Linux GSO semantics: options incl. the MD5 digest "
				       "copied into every segment, PSH on the last segment "
				       "only, IPv4 ID +1 per segment)"),
		      "%s", r.e.text);
	ck_assert_uint_eq(r.e.nunexplained, 0);
	ck_assert(!r.e.identical);
	/* 2 x ceil(4000 / 1440) = 6 wire frames cut with a stale digest, the 7th unchanged */
	ck_assert_msg(strstr(r.out, "flow 192.0.2.1.40000 > 192.0.2.2.179: guest 3 frames, wire 7 "
				    "frames, 1 unchanged\n"),
		      "%s", r.out);
	ck_assert_msg(strstr(r.out, "  resegmented: 2 guest frames into 6 wire frames, wire MSS "
				    "1440\n"),
		      "%s", r.out);
	ck_assert_msg(strstr(r.out, "  MD5 digest copied unchanged: into 6 frames whose covered "
				    "fields changed\n"),
		      "%s", r.out);
	ck_assert_msg(strstr(r.out, "md5 verdicts: guest 3 valid; wire 1 valid, 6 invalid\n"), "%s",
		      r.out);
	free(r.out);

	diff(&g, &w, true, &r);
	ck_assert_msg(r.ret == 0, "%s", r.err);
	ck_assert_msg(strstr(r.out,
			     "\"identical\": false,\n  \"explanation\": {\"stage\": \"tso\", "
			     "\"quirks\": {\"tso.flags\": \"linux\", \"tso.ipid\": "
			     "\"increment\", \"tso.md5\": \"copy\"}"),
		      "%s", r.out);
	ck_assert_msg(strstr(r.out, "\"unexplained\": [],\n  \"swapped\": false"), "%s", r.out);
	free(r.out);
}
END_TEST

START_TEST(unchanged_pair)
{
	struct cap g, w;
	struct result r;

	/* the wire carries the guest's frames as they are: a capture against itself */
	pair(&g, &w, 2, COPY, INCREMENT, LINUX);
	diff(&g, &g, false, &r);
	ck_assert_msg(r.ret == 0, "%s", r.err);
	ck_assert_ptr_null(r.e.stage);
	ck_assert_str_eq(r.e.text, "no differences");
	ck_assert(r.e.identical);
	ck_assert_uint_eq(r.e.nquirks + r.e.nunexplained, 0);
	ck_assert_msg(strstr(r.out, "guest 3 frames, wire 3 frames, 3 unchanged\n  no "
				    "differences\n"),
		      "%s", r.out);
	free(r.out);
}
END_TEST

START_TEST(tso_split_resigned)
{
	struct cap g, w;
	struct result r;

	pair(&g, &w, 1, RESIGN, INCREMENT, LINUX);
	diff(&g, &w, false, &r);
	ck_assert_msg(r.ret == 0, "%s", r.err);
	check_quirks(
		&r.e, "tso",
		(const char *[]){"tso.flags=linux", "tso.ipid=increment", "tso.md5=resign", NULL});
	ck_assert_msg(strstr(r.e.text, "the MD5 digest re-signed in every segment"), "%s",
		      r.e.text);
	ck_assert_msg(strstr(r.out, "MD5 digest changed: on 3 frames (3 valid)\n"), "%s", r.out);
	ck_assert_msg(strstr(r.out, "md5 verdicts: guest 2 valid; wire 4 valid\n"), "%s", r.out);
	free(r.out);
}
END_TEST

START_TEST(ip_id_fixed_and_increment)
{
	struct cap g, w;
	struct result r;

	pair(&g, &w, 2, COPY, FIXED, LINUX);
	diff(&g, &w, false, &r);
	ck_assert_msg(r.ret == 0, "%s", r.err);
	check_quirks(&r.e, "tso",
		     (const char *[]){"tso.flags=linux", "tso.ipid=fixed", "tso.md5=copy", NULL});
	ck_assert_msg(strstr(r.e.text, "the same IPv4 ID on every segment"), "%s", r.e.text);
	ck_assert_uint_eq(r.e.nunexplained, 0);
	free(r.out);

	/* one super-frame by each rule: no single rule fits, so the IDs stay unexplained */
	cap_open(&g, "guest.pcap");
	cap_open(&w, "wire.pcap");
	super_frame(&g, &w, 1, 4000, 100, COPY, INCREMENT, LINUX);
	super_frame(&g, &w, 4001, 4000, 200, COPY, FIXED, LINUX);
	cap_close(&g);
	cap_close(&w);
	diff(&g, &w, false, &r);
	ck_assert_msg(r.ret == 0, "%s", r.err);
	check_quirks(&r.e, "tso", (const char *[]){"tso.flags=linux", "tso.md5=copy", NULL});
	ck_assert_uint_eq(r.e.nunexplained, 1);
	ck_assert_str_eq(r.e.unexplained[0], "ipid");
	ck_assert_msg(strstr(r.out, "not explained by it: IPv4 ID rewritten\n"), "%s", r.out);
	free(r.out);
}
END_TEST

START_TEST(qemu_flags)
{
	struct cap g, w;
	struct result r;

	pair(&g, &w, 2, COPY, INCREMENT, QEMU);
	diff(&g, &w, false, &r);
	ck_assert_msg(r.ret == 0, "%s", r.err);
	check_quirks(
		&r.e, "tso",
		(const char *[]){"tso.flags=qemu", "tso.ipid=increment", "tso.md5=copy", NULL});
	ck_assert_msg(strstr(r.e.text, "TSO (QEMU semantics") &&
			      strstr(r.e.text, "PSH cleared on every segment"),
		      "%s", r.e.text);
	free(r.out);
}
END_TEST

START_TEST(captures_that_cannot_be_compared)
{
	struct cap g, w;
	struct result r;
	char want[512];
	static uint8_t f[200];
	struct tf_spec other = {.src = "198.51.100.1", .dst = "198.51.100.2", .plen = 10};

	pair(&g, &w, 1, COPY, INCREMENT, LINUX);
	cap_open(&w, "other.pcap");
	cap_put(&w, f, tf_build(&other, f, sizeof(f)));
	cap_close(&w);
	diff(&g, &w, false, &r);
	ck_assert_int_eq(r.ret, -EINVAL);
	snprintf(want, sizeof(want), "no flow of %s appears in %s", g.path, w.path);
	ck_assert_str_eq(r.err, want);
	ck_assert_str_eq(r.out, ""); /* nothing written */
	free(r.out);

	/* the same flow with other sequence numbers */
	cap_open(&w, "shifted.pcap");
	struct tf_spec s = {.seq = 99999999, .plen = 10};
	cap_put(&w, f, tf_build(&s, f, sizeof(f)));
	cap_close(&w);
	diff(&g, &w, false, &r);
	ck_assert_int_eq(r.ret, -EINVAL);
	ck_assert_msg(strstr(r.err, "matches a frame of"), "%s", r.err);
	free(r.out);

	snprintf(w.path, sizeof(w.path), "%s/none.pcap", dir);
	diff(&g, &w, false, &r);
	ck_assert_int_eq(r.ret, -EINVAL);
	ck_assert_msg(strstr(r.err, "none.pcap") && strstr(r.err, "No such file"), "%s", r.err);
	free(r.out);
}
END_TEST

Suite *suite_diff(void)
{
	Suite *s = suite_create("diff");
	TCase *tc = tcase_create("diff");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, tso_split_copied_digest);
	tcase_add_test(tc, unchanged_pair);
	tcase_add_test(tc, tso_split_resigned);
	tcase_add_test(tc, ip_id_fixed_and_increment);
	tcase_add_test(tc, qemu_flags);
	tcase_add_test(tc, captures_that_cannot_be_compared);
	suite_add_tcase(s, tc);
	return s;
}
