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
#include <sys/socket.h>
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

static void cap_open_link(struct cap *c, const char *name, uint32_t linktype)
{
	char err[256];

	snprintf(c->path, sizeof(c->path), "%s/%s", dir, name);
	c->c = emu_capout_open(c->path, false, err, sizeof(err));
	ck_assert_msg(c->c, "%s", err);
	ck_assert_int_eq(emu_capout_iface(c->c, linktype, NULL), 0);
	c->n = 0;
}

static void cap_open(struct cap *c, const char *name)
{
	cap_open_link(c, name, MD5SIG_LINK_ETHERNET);
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

/* How a test runs diff: key lines (NULL-terminated; NULL: no key given), and the rest. */
struct how {
	const char *const *keys;
	bool json, keep_order;
	const struct md5sig_ao_isn_arg *isns;
	size_t nisns;
	emu_diff_progress_fn *progress;
	void *progress_arg;
};

static void diff_paths(const char *g, const char *w, const struct how *how, struct result *r)
{
	struct md5sig_keytab *kt = NULL;
	const char *why;
	size_t len;
	FILE *f = open_memstream(&r->out, &len);

	if (how->keys) {
		ck_assert_ptr_nonnull(kt = md5sig_keytab_new());
		for (const char *const *k = how->keys; *k; k++)
			ck_assert_int_eq(md5sig_keytab_parse_line(kt, *k, &why), 0);
	}
	struct emu_diff_config cfg = {.keys = kt,
				      .isns = how->isns,
				      .nisns = how->nisns,
				      .keep_order = how->keep_order,
				      .progress = how->progress,
				      .progress_arg = how->progress_arg};
	struct emu_diff *d = emu_diff_new_config(&cfg);
	ck_assert_ptr_nonnull(d);
	r->err[0] = '\0';
	r->ret = emu_diff_read(d, g, w, r->err, sizeof(r->err));
	if (!r->ret)
		r->ret = emu_diff_report(d, f, how->json, r->err, sizeof(r->err));
	fclose(f);
	emu_diff_explain(d, &r->e);
	emu_diff_free(d);
	md5sig_keytab_free(kt);
}

static const char *const k1[] = {"* k1", NULL};

static void diff(const struct cap *g, const struct cap *w, bool json, struct result *r)
{
	struct how how = {.keys = k1, .json = json};

	diff_paths(g->path, w->path, &how, r);
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

/* ---- a signed session, and the wire side as a box on the path makes it ---- */

#define SYN   0x02
#define C_ISN 1000000000u
#define S_ISN 3000000000u

/* What a box does to a frame on its way out: edit the spec, then the built bytes. */
struct box {
	void (*spec)(struct tf_spec *s, bool from_client, const void *arg);
	void (*bytes)(uint8_t *f, size_t *len, const void *arg);
	const void *arg;
	bool ao;	   /* sign with TCP-AO (MKT "ao 192.0.2.2 1:2 hmac-sha-1-96 aokey") */
	uint32_t linktype; /* of the wire capture (0: Ethernet) */
	unsigned twice;	   /* the wire carries every frame twice (a SPAN port) */
	unsigned skip_head, skip_tail; /* frames the wire capture lacks */
};

static const char *const ao_keys[] = {"ao 192.0.2.2 1:2 hmac-sha-1-96 aokey", NULL};

/* The signature option of a parsed frame: its first byte and length, or NULL. */
static uint8_t *sig_opt(uint8_t *f, size_t len, uint32_t lt, size_t *olen)
{
	struct md5sig_seg seg;
	struct md5sig_ao_opt opt;

	ck_assert_int_eq(md5sig_parse(lt, f, len, &seg), MD5SIG_TCP);
	if (seg.md5_off >= 0) {
		*olen = MD5SIG_OPT_LEN;
		return f + seg.md5_off - 2;
	}
	if (md5sig_ao_opt_find(f, &seg, &opt) == MD5SIG_AO_OPT_OK) {
		*olen = opt.len;
		return f + opt.off;
	}
	return NULL;
}

static void csum_fix(uint8_t *f, size_t len, uint32_t lt)
{
	struct md5sig_seg seg;

	ck_assert_int_eq(md5sig_parse(lt, f, len, &seg), MD5SIG_TCP);
	if (seg.family == AF_INET) {
		uint8_t *ip = f + seg.l3_off;
		tf_put16(ip + 10, 0);
		tf_put16(ip + 10, (uint16_t)~tf_csum_add(0, ip, seg.l4_off - seg.l3_off));
	}
	tf_tcp_csum_fix(f, &seg);
}

/* Sign @f (an AO option with a zero MAC in place) with the test MKT. */
static void ao_sign(uint8_t *f, size_t len, bool from_client)
{
	struct md5sig_aotab *t = md5sig_aotab_new();
	struct md5sig_ao_verifier *v;
	struct md5sig_ao_isns isns = {from_client ? C_ISN : S_ISN, from_client ? S_ISN : C_ISN};
	struct md5sig_seg seg;
	const char *why;

	ck_assert_int_eq(md5sig_aotab_parse_line(t, ao_keys[0], &why), 0);
	ck_assert_ptr_nonnull(v = md5sig_ao_verifier_new(t, 8));
	ck_assert_int_eq(md5sig_parse(MD5SIG_LINK_ETHERNET, f, len, &seg), MD5SIG_TCP);
	ck_assert_int_eq(md5sig_ao_sign(v, f, &seg, &isns, 0), 0);
	tf_tcp_csum_fix(f, &seg);
	md5sig_ao_verifier_free(v);
	md5sig_aotab_free(t);
}

/*
 * One frame of the session: signed into @g (MD5 with k1, or TCP-AO), and into @w as box @b
 * makes it: the spec edited, the bytes edited, the guest's signature carried unchanged (a box
 * does not sign again).
 */
static void frame_through(struct cap *g, struct cap *w, const struct tf_spec *gs, bool from_client,
			  const struct box *b, bool put_wire)
{
	static uint8_t gf[4000], wf[4000];
	struct md5sig_key key = tf_key("k1");
	struct tf_spec s = *gs, ws;
	uint8_t aoopt[16] = {29, 16, from_client ? 1 : 2, from_client ? 2 : 1};
	uint8_t opts[40];
	size_t n, wn, ol, wol;

	if (b->ao) {
		if (s.opts_len)
			memcpy(opts, s.opts, s.opts_len);
		memcpy(opts + s.opts_len, aoopt, sizeof(aoopt));
		s.opts = opts;
		s.opts_len += sizeof(aoopt);
		s.md5 = false;
		ck_assert_uint_gt(n = tf_build(&s, gf, sizeof(gf)), 0);
		ao_sign(gf, n, from_client);
	} else {
		s.md5 = true;
		ck_assert_uint_gt(n = tf_build_signed(&s, &key, gf, sizeof(gf)), 0);
	}
	cap_put(g, gf, n);
	if (!put_wire)
		return;
	ws = s;
	ws.linktype = b->linktype;
	if (b->spec)
		b->spec(&ws, from_client, b->arg);
	ck_assert_uint_gt(wn = tf_build(&ws, wf, sizeof(wf)), 0);
	uint32_t lt = b->linktype ? b->linktype : MD5SIG_LINK_ETHERNET;
	uint8_t *go = sig_opt(gf, n, MD5SIG_LINK_ETHERNET, &ol), *wo = sig_opt(wf, wn, lt, &wol);
	ck_assert(go && wo && ol == wol);
	memcpy(wo, go, ol);
	csum_fix(wf, wn, lt);
	if (b->bytes)
		b->bytes(wf, &wn, b->arg);
	for (unsigned i = 0; i <= b->twice; i++)
		cap_put(w, wf, wn);
}

/*
 * A session between 192.0.2.1.40000 (the guest) and 192.0.2.2.179: handshake with MSS 1460,
 * data both ways, pure ACKs; 9 frames, into guest.pcap and, through @b, wire.pcap.
 */
static void session(struct cap *g, struct cap *w, const struct box *b)
{
	static const uint8_t mss[4] = {2, 4, 0x05, 0xb4};
	struct {
		bool c;
		uint8_t flags;
		uint32_t plen;
	} seq[] = {
		{true, SYN, 0},		{false, SYN | ACK, 0},	{true, ACK, 0},
		{true, ACK | PSH, 100}, {false, ACK | PSH, 50}, {true, ACK, 0},
		{true, ACK | PSH, 200}, {false, ACK, 0},	{true, ACK | PSH, 300},
	};
	uint32_t cs = C_ISN, ss = S_ISN;
	unsigned n = sizeof(seq) / sizeof(seq[0]);

	cap_open(g, "guest.pcap");
	cap_open_link(w, "wire.pcap", b->linktype ? b->linktype : MD5SIG_LINK_ETHERNET);
	for (unsigned i = 0; i < n; i++) {
		struct tf_spec s = {
			.src = seq[i].c ? "192.0.2.1" : "192.0.2.2",
			.dst = seq[i].c ? "192.0.2.2" : "192.0.2.1",
			.sport = seq[i].c ? 40000 : 179,
			.dport = seq[i].c ? 179 : 40000,
			.seq = seq[i].c ? cs : ss,
			.ack = seq[i].flags & ACK ? (seq[i].c ? ss : cs) : 0,
			.flags = seq[i].flags,
			.ipid = (uint16_t)(100 + i),
			.payload = payload + i,
			.plen = seq[i].plen,
		};
		if (seq[i].flags & SYN) {
			s.opts = mss;
			s.opts_len = sizeof(mss);
		}
		frame_through(g, w, &s, seq[i].c, b, i >= b->skip_head && i < n - b->skip_tail);
		uint32_t adv = seq[i].plen + !!(seq[i].flags & SYN);
		if (seq[i].c) {
			cs += adv;
			if (seq[i].flags & SYN && !(seq[i].flags & ACK))
				ss = S_ISN; /* nothing yet */
		} else {
			ss += adv;
		}
	}
	cap_close(g);
	cap_close(w);
}

/* @e names exactly the elements @want (NULL-terminated), in that order. */
static void check_elements(const struct result *r, const char *const *want)
{
	unsigned n = 0;

	for (; want[n]; n++)
		ck_assert_msg(n < r->e.nelements && !strcmp(r->e.elements[n], want[n]),
			      "element %u is not %s: %s", n, want[n], r->out);
	ck_assert_msg(r->e.nelements == n, "%u elements: %s", r->e.nelements, r->out);
}

static void explained_all(const struct result *r)
{
	ck_assert_msg(r->e.nunexplained == 0, "unexplained %s:\n%s",
		      r->e.nunexplained ? r->e.unexplained[0] : "", r->out);
}

static void has(const struct result *r, const char *text)
{
	ck_assert_msg(strstr(r->out, text), "no '%s' in:\n%s", text, r->out);
}

static void run_box(const struct box *b, const char *const *keys, bool json, struct result *r)
{
	struct cap g, w;
	struct how how = {.keys = keys, .json = json};

	session(&g, &w, b);
	diff_paths(g.path, w.path, &how, r);
	ck_assert_msg(r->ret == 0, "%s", r->err);
}

/* seqrand: the guest's sequence numbers + 5000 out, the acks to it + 5000 (what the outside sees) */
static void seqrand_spec(struct tf_spec *s, bool from_client, const void *arg)
{
	(void)arg;
	if (from_client)
		s->seq += 5000;
	else if (s->flags & ACK)
		s->ack += 5000;
}

START_TEST(path_seqrand)
{
	struct box b = {.spec = seqrand_spec};
	struct result r;

	run_box(&b, k1, false, &r);
	check_elements(&r, (const char *[]){"seqrand", NULL});
	ck_assert_str_eq(r.e.stage, "seqrand");
	explained_all(&r);
	has(&r, "  sequence numbers shifted: by +5000 on 6 frames\n"
		"    covered: yes (seq); md5: guest 6 valid -> wire 6 invalid\n");
	has(&r, "  ack changed: shifted by +5000 on 3 frames\n");
	has(&r, "explained by: a firewall randomizing sequence numbers (seqrand): sequence numbers "
		"shifted by +5000 on 1 flow, acks shifted back by the same offset on the reverse "
		"flow");
	/* every pure ACK found its guest frame (by its ack read back), so nothing is missing */
	ck_assert_ptr_null(strstr(r.out, "missing"));
	free(r.out);
	run_box(&b, k1, true, &r);
	has(&r,
	    "{\"kind\": \"seq-offset\", \"covered\": true, \"guest_frames\": 6, \"wire_frames\": 6");
	has(&r, "\"offset\": 5000");
	has(&r, "\"elements\": [{\"stage\": \"seqrand\"");
	free(r.out);
}
END_TEST

/* optstrip: the MD5 option overwritten with NOPs in place, as a Cisco ASA does by default */
static void nop_sig(uint8_t *f, size_t *len, const void *arg)
{
	size_t ol = 0;
	uint8_t *o = sig_opt(f, *len, MD5SIG_LINK_ETHERNET, &ol);

	(void)arg;
	memset(o, WIRE_TCPOPT_NOP, ol);
	csum_fix(f, *len, MD5SIG_LINK_ETHERNET);
}

START_TEST(path_optstrip)
{
	struct box b = {.bytes = nop_sig};
	struct result r;

	run_box(&b, k1, false, &r);
	check_elements(&r, (const char *[]){"optstrip", NULL});
	explained_all(&r);
	has(&r, "md5 verdicts: guest 9 valid; wire 9 missing\n");
	has(&r, "  MD5 option removed: on 6 frames (overwritten with NOPs)\n");
	has(&r, "explained by: a firewall blanking TCP option 19 (optstrip): the MD5 option "
		"overwritten with NOPs on 9 frames");
	free(r.out);

	/* the same with TCP-AO: option 29 */
	b.ao = true;
	run_box(&b, ao_keys, false, &r);
	check_elements(&r, (const char *[]){"optstrip", NULL});
	has(&r, "ao verdicts: guest 9 valid; wire 9 missing\n");
	has(&r, "  TCP-AO option removed: on 6 frames (overwritten with NOPs)\n");
	has(&r, "a firewall blanking TCP option 29 (optstrip)");
	free(r.out);
}
END_TEST

/* nat: the guest 192.0.2.1 seen as 203.0.113.9 outside, port 40000 as 61000 */
static void nat_spec(struct tf_spec *s, bool from_client, const void *arg)
{
	(void)arg;
	if (from_client) {
		s->src = "203.0.113.9";
		s->sport = 61000;
	} else {
		s->dst = "203.0.113.9";
		s->dport = 61000;
	}
}

START_TEST(path_nat)
{
	struct box b = {.spec = nat_spec};
	struct result r;

	run_box(&b, k1, false, &r);
	check_elements(&r, (const char *[]){"nat", NULL});
	explained_all(&r);
	has(&r,
	    "flow 192.0.2.1.40000 > 192.0.2.2.179 (on the wire 203.0.113.9.61000 > "
	    "192.0.2.2.179): guest 6 frames, wire 6 frames, 0 unchanged\n"
	    "  addresses rewritten: source 192.0.2.1 -> 203.0.113.9, source port 40000 -> 61000 "
	    "on 6 frames\n    covered: yes (pseudo-header addresses); md5: guest 6 valid -> "
	    "wire 6 invalid\n");
	has(&r, "  addresses rewritten: destination 192.0.2.1 -> 203.0.113.9, destination port "
		"40000 -> 61000 on 3 frames\n");
	has(&r, "explained by: address translation (nat): 192.0.2.1 -> 203.0.113.9, port 40000 -> "
		"61000 on 2 flows (9 frames)\n");
	ck_assert_ptr_null(strstr(r.out, "never on the wire"));
	free(r.out);
}
END_TEST

/* window: a shaper clamping the window to 100 */
static void window_spec(struct tf_spec *s, bool from_client, const void *arg)
{
	(void)from_client;
	(void)arg;
	s->window = 100;
}

START_TEST(path_window)
{
	struct box b = {.spec = window_spec};
	struct result r;

	run_box(&b, k1, false, &r);
	check_elements(&r, (const char *[]){"window", NULL});
	explained_all(&r);
	has(&r, "  window changed: 502 -> 100 on 6 frames\n    covered: yes (window); md5: guest 6 "
		"valid -> wire 6 invalid\n");
	has(&r, "explained by: a shaper rewriting the TCP window (window): clamped to 100 on 9 "
		"frames\n");
	free(r.out);
}
END_TEST

/* mss-clamp: the SYNs' MSS 1460 lowered to 1360 */
static const uint8_t mss1360[4] = {2, 4, 0x05, 0x50};

static void mss_bytes(uint8_t *f, size_t *len, const void *arg)
{
	struct md5sig_seg seg;

	(void)arg;
	ck_assert_int_eq(md5sig_parse(MD5SIG_LINK_ETHERNET, f, *len, &seg), MD5SIG_TCP);
	uint8_t *t = f + seg.l4_off;
	if (!(t[WIRE_TCP_FLAGS] & SYN))
		return;
	for (uint32_t o = WIRE_TCP_HLEN; o + 4 <= seg.thlen; o++)
		if (t[o] == 2 && t[o + 1] == 4) {
			memcpy(t + o, mss1360, 4);
			break;
		}
	csum_fix(f, *len, MD5SIG_LINK_ETHERNET);
}

START_TEST(path_mss_clamp)
{
	struct box b = {.bytes = mss_bytes};
	struct result r;

	/* RFC 2385 does not cover options: the digests stay valid */
	run_box(&b, k1, false, &r);
	check_elements(&r, (const char *[]){"mss-clamp", NULL});
	explained_all(&r);
	has(&r, "  MSS option rewritten: 1460 -> 1360 on 1 frame\n    covered: no; md5: guest 1 "
		"valid -> wire 1 valid\n");
	has(&r, "md5 verdicts: guest 9 valid; wire 9 valid\n");
	has(&r, "explained by: MSS clamping (mss-clamp): MSS 1460 -> 1360 on 2 frames\n");
	free(r.out);

	/* TCP-AO covers options (this MKT does not exclude them): the SYNs' MACs break */
	b.ao = true;
	run_box(&b, ao_keys, false, &r);
	check_elements(&r, (const char *[]){"mss-clamp", NULL});
	explained_all(&r);
	has(&r,
	    "  MSS option rewritten: 1460 -> 1360 on 1 frame\n    covered: yes (options: TCP-AO "
	    "covers them); ao: guest 1 valid -> wire 1 invalid\n");
	has(&r, "  TCP-AO MAC copied unchanged: into 1 frame whose covered fields changed\n");
	has(&r, "ao verdicts: guest 9 valid; wire 7 valid, 2 invalid\n");
	free(r.out);
}
END_TEST

/* fragment: IPv4 segments longer than 200 bytes sent in fragments of 128 data bytes, DF cleared */

static void put_fragments(struct cap *w, uint8_t *f, size_t len)
{
	struct md5sig_seg seg;
	static uint8_t frag[400];

	ck_assert_int_eq(md5sig_parse(MD5SIG_LINK_ETHERNET, f, len, &seg), MD5SIG_TCP);
	size_t hl = seg.l4_off, dlen = len - hl;
	if (len - seg.l3_off <= 200) {
		cap_put(w, f, len);
		return;
	}
	tf_put16(f + seg.l3_off + 6, 0); /* DF cleared, or the box would drop it */
	for (size_t off = 0; off < dlen; off += 128) {
		size_t n = dlen - off < 128 ? dlen - off : 128;
		uint8_t *h = frag + seg.l3_off;
		memcpy(frag, f, hl);
		memcpy(frag + hl, f + hl + off, n);
		tf_put16(h + 2, (uint16_t)(hl - seg.l3_off + n));
		tf_put16(h + 6, (uint16_t)((off + n < dlen ? 0x2000 : 0) | off / 8));
		tf_put16(h + 10, 0);
		tf_put16(h + 10, (uint16_t)~tf_csum_add(0, h, hl - seg.l3_off));
		cap_put(w, frag, hl + n);
	}
}

START_TEST(path_fragment)
{
	struct cap g, w, w2;
	struct result r;
	struct how how = {.keys = k1};
	static uint8_t f[2000];

	/* the session, then each wire frame through a smaller next-hop MTU */
	session(&g, &w, &(struct box){0});
	cap_open(&w2, "fragments.pcap");
	FILE *in = fopen(w.path, "rb");
	ck_assert_ptr_nonnull(in);
	uint8_t hdr[24], rec[16];
	ck_assert_uint_eq(fread(hdr, 1, 24, in), 24);
	while (fread(rec, 1, 16, in) == 16) {
		uint32_t cap =
			(uint32_t)rec[8] | rec[9] << 8 | rec[10] << 16 | (uint32_t)rec[11] << 24;
		ck_assert_uint_le(cap, sizeof(f));
		ck_assert_uint_eq(fread(f, 1, cap, in), cap);
		put_fragments(&w2, f, cap);
	}
	fclose(in);
	cap_close(&w2);
	diff_paths(g.path, w2.path, &how, &r);
	ck_assert_msg(r.ret == 0, "%s", r.err);
	check_elements(&r, (const char *[]){"fragment", NULL});
	explained_all(&r);
	/* reassembled, the 200- and 300-byte segments are the guest's: digests valid */
	has(&r, "md5 verdicts: guest 9 valid; wire 9 valid\n");
	has(&r, "fragments: wire 5 IP fragments of TCP segments, 2 segments reassembled\n");
	has(&r, "  carried in IPv4 fragments: 2 segments in 5 fragments of up to 148 bytes\n"
		"    covered: no; md5: guest 2 valid -> wire 2 valid\n");
	has(&r, "explained by: a smaller next-hop MTU fragmenting IPv4 segments (fragment): 2 "
		"segments carried in 5 fragments of up to 148 bytes\n");
	free(r.out);
}
END_TEST

/* Only the explanation names nothing: a TTL rewrite is no element's. */
static void ttl_spec(struct tf_spec *s, bool from_client, const void *arg)
{
	(void)from_client;
	(void)arg;
	s->ttl = 63;
}

START_TEST(path_none)
{
	struct box b = {.spec = ttl_spec};
	struct result r;

	run_box(&b, k1, false, &r);
	check_elements(&r, (const char *[]){NULL});
	ck_assert_ptr_null(r.e.stage);
	has(&r, "explanation: no offload explains these differences\n");
	has(&r, "differences: TTL rewritten (a rewritten TTL is a router's work)\n");
	free(r.out);
}
END_TEST

/* ---- real capture pairs (issue 11) ---- */

/* Copy capture @in to @out frame by frame through @fn, which writes what it wants into @w. */
typedef void copy_fn(struct cap *w, unsigned no, const uint8_t *f, size_t len, const void *arg);

static void copy_capture(const char *in, struct cap *w, const char *name, copy_fn *fn,
			 const void *arg)
{
	char err[256];
	struct emu_capin *c = emu_capin_open(in, err, sizeof(err));
	struct emu_pkt pkt;
	unsigned no = 0;

	ck_assert_msg(c, "%s", err);
	cap_open_link(w, name, emu_capin_linktype(c));
	while (emu_capin_next(c, &pkt, err, sizeof(err)) > 0)
		fn(w, ++no, pkt.data, pkt.caplen, arg);
	emu_capin_close(c);
	cap_close(w);
}

static void twice(struct cap *w, unsigned no, const uint8_t *f, size_t len, const void *arg)
{
	(void)no;
	(void)arg;
	cap_put(w, f, len);
	cap_put(w, f, len);
}

/* frames from number *arg on */
static void from(struct cap *w, unsigned no, const uint8_t *f, size_t len, const void *arg)
{
	if (no >= *(const unsigned *)arg)
		cap_put(w, f, len);
}

START_TEST(duplicates_are_set_aside)
{
	struct cap g, w, w2;
	struct result r;

	/* a SPAN port: every wire frame twice; the IPv4 ID rule is still read from the pieces */
	pair(&g, &w, 2, COPY, INCREMENT, LINUX);
	copy_capture(w.path, &w2, "doubled.pcap", twice, NULL);
	diff(&g, &w2, false, &r);
	ck_assert_msg(r.ret == 0, "%s", r.err);
	check_quirks(
		&r.e, "tso",
		(const char *[]){"tso.flags=linux", "tso.ipid=increment", "tso.md5=copy", NULL});
	explained_all(&r);
	has(&r,
	    "flow 192.0.2.1.40000 > 192.0.2.2.179: guest 3 frames, wire 14 frames, 1 unchanged\n");
	has(&r, "  resegmented: 2 guest frames into 6 wire frames, wire MSS 1440\n");
	has(&r, "  not compared: 7 wire frames exact copies of another (a SPAN port or a second "
		"interface)\n");
	ck_assert_ptr_null(strstr(r.out, "retransmissions"));
	free(r.out);

	/* the guest's capture doubled (tcpdump -i any seeing a frame twice): the same */
	copy_capture(g.path, &w2, "gdoubled.pcap", twice, NULL);
	diff(&w2, &w, false, &r);
	ck_assert_msg(r.ret == 0, "%s", r.err);
	explained_all(&r);
	has(&r, "  not compared: 3 guest frames exact copies of another");
	ck_assert_ptr_null(strstr(r.out, "retransmissions"));
	free(r.out);
}
END_TEST

START_TEST(outside_the_window_is_out_of_scope)
{
	struct cap g, w, g2;
	struct result r;
	struct how how = {.keys = k1, .json = true};
	unsigned four = 4;

	/* the wire capture started 3 frames late and stopped 2 frames early */
	session(&g, &w, &(struct box){.skip_head = 3, .skip_tail = 2});
	diff(&g, &w, false, &r);
	ck_assert_msg(r.ret == 0, "%s", r.err);
	ck_assert_ptr_null(strstr(r.out, "missing"));
	ck_assert_ptr_null(strstr(r.out, "never on the wire"));
	has(&r, "  not compared: 2 guest frames before the wire capture began; 1 guest frame after "
		"the wire capture ended\n");
	has(&r, "  not compared: 1 guest frame before the wire capture began; 1 guest frame after "
		"the wire capture ended\n");
	free(r.out);
	diff_paths(g.path, w.path, &how, &r);
	has(&r, "\"not_compared\": {\"guest\": {\"duplicates\": 0, \"before\": 2, \"after\": 1");
	free(r.out);

	/* the guest's capture started late: the wire's earlier frames are not extra */
	session(&g, &w, &(struct box){0});
	copy_capture(g.path, &g2, "late.pcap", from, &four);
	diff(&g2, &w, false, &r);
	ck_assert_msg(r.ret == 0, "%s", r.err);
	ck_assert_ptr_null(strstr(r.out, "extra"));
	has(&r, "  not compared: 2 wire frames before the guest capture began\n");
	has(&r, "explanation: no differences in what both captures hold (see not compared)\n");
	free(r.out);
}
END_TEST

START_TEST(link_types_may_differ)
{
	static const uint32_t links[] = {MD5SIG_LINK_SLL2, MD5SIG_LINK_SLL, MD5SIG_LINK_RAW};
	static const char *const names[] = {"Linux SLL2", "Linux SLL", "raw IP"};
	struct result r;
	char want[128];

	for (int i = 0; i < 3; i++) {
		/* tcpdump -i eth0 in the guest, tcpdump -i any (or a raw capture) on the host */
		run_box(&(struct box){.linktype = links[i]}, k1, false, &r);
		snprintf(want, sizeof(want), ", Ethernet -> %s (compared from the IP header on)\n",
			 md5sig_linktype_str(links[i]));
		has(&r, want);
		ck_assert_str_eq(md5sig_linktype_str(links[i]), names[i]);
		ck_assert(r.e.identical);
		ck_assert_ptr_null(strstr(r.out, "link header"));
		free(r.out);
	}
}
END_TEST

START_TEST(swapped_captures)
{
	struct cap g, w;
	struct result r;
	struct how how = {.keys = k1, .keep_order = true};

	pair(&g, &w, 2, COPY, INCREMENT, LINUX);
	diff(&w, &g, false, &r);
	ck_assert_msg(r.ret == 0, "%s", r.err);
	ck_assert(r.e.swapped);
	check_quirks(
		&r.e, "tso",
		(const char *[]){"tso.flags=linux", "tso.ipid=increment", "tso.md5=copy", NULL});
	char want[512];
	snprintf(
		want, sizeof(want),
		"diff %s (guest, 3 frames) -> %s (wire, 7 frames), Ethernet\nwarning: the captures "
		"look swapped: %s, given as the guest's, has the wire's traits (2 frames of %s "
		"hold several of its frames, 0 are cut from one; 2 signatures invalid or missing in "
		"it are valid in %s, 0 the other way): compared the other way round\n",
		g.path, w.path, w.path, g.path, g.path);
	has(&r, want);
	free(r.out);

	/* --no-swap: as given, with the warning */
	diff_paths(w.path, g.path, &how, &r);
	ck_assert(!r.e.swapped);
	ck_assert_ptr_null(r.e.stage);
	has(&r, "the other way): compared as given (--no-swap)\n");
	free(r.out);

	/* the right way round: no warning */
	diff(&g, &w, false, &r);
	ck_assert(!r.e.swapped);
	ck_assert_ptr_null(strstr(r.out, "warning"));
	free(r.out);
}
END_TEST

/* A classic pcap (host order, microseconds) whose frames are cut to @snaplen bytes. */
static void write_cut(const char *in, const char *out, uint32_t snaplen)
{
	char err[256];
	struct emu_capin *c = emu_capin_open(in, err, sizeof(err));
	FILE *f = fopen(out, "wb");
	struct emu_pkt pkt;
	const struct {
		uint32_t magic;
		uint16_t major, minor;
		int32_t zone;
		uint32_t sigfigs, snaplen, link;
	} hdr = {0xa1b2c3d4u, 2, 4, 0, 0, snaplen, MD5SIG_LINK_ETHERNET};

	ck_assert_msg(c && f, "%s", err);
	ck_assert_uint_eq(fwrite(&hdr, sizeof(hdr), 1, f), 1);
	while (emu_capin_next(c, &pkt, err, sizeof(err)) > 0) {
		uint32_t cap = pkt.caplen < snaplen ? pkt.caplen : snaplen;
		uint32_t rec[4] = {1700000000u, 0, cap, pkt.len};
		ck_assert_uint_eq(fwrite(rec, sizeof(rec), 1, f), 1);
		ck_assert_uint_eq(fwrite(pkt.data, 1, cap, f), cap);
	}
	emu_capin_close(c);
	ck_assert_int_eq(fclose(f), 0);
}

START_TEST(snaplen_cut_captures)
{
	struct cap g, w;
	struct result r;
	struct how how = {.keys = k1};
	char cut[160];

	/* tcpdump -s 96: the headers and 22 payload bytes of each frame */
	pair(&g, &w, 2, COPY, INCREMENT, LINUX);
	snprintf(cut, sizeof(cut), "%s/cut96.pcap", dir);
	write_cut(w.path, cut, 96);
	diff_paths(g.path, cut, &how, &r);
	ck_assert_msg(r.ret == 0, "%s", r.err);
	check_quirks(
		&r.e, "tso",
		(const char *[]){"tso.flags=linux", "tso.ipid=increment", "tso.md5=copy", NULL});
	has(&r,
	    "md5 verdicts: guest 3 valid; wire 7 unchecked\n"
	    "md5: 7 signed segments could not be checked (guest 0, wire 7): cut by the snaplen\n");
	has(&r, "snaplen: 0 guest and 7 wire frames cut short (0 and 7946 payload bytes not "
		"captured): compared as far as captured\n");
	has(&r, "  MD5 digest copied unchanged: into 6 frames whose covered fields changed\n"
		"    covered: no; md5: guest 2 valid -> wire 6 unchecked\n");
	has(&r, "  not compared: 7946 payload bytes of 7 wire frames not captured on both sides "
		"(snaplen)\n");
	ck_assert_ptr_null(strstr(r.out, "missing"));
	ck_assert_ptr_null(strstr(r.out, "no differences"));
	free(r.out);

	/* tcpdump -s 68: the options cut too; the ranges still compare */
	snprintf(cut, sizeof(cut), "%s/cut68.pcap", dir);
	write_cut(w.path, cut, 68);
	diff_paths(g.path, cut, &how, &r);
	ck_assert_msg(r.ret == 0, "%s", r.err);
	has(&r, "  resegmented: 2 guest frames into 6 wire frames, wire MSS 1440\n");
	has(&r, "the options of 7 frames (snaplen)");
	ck_assert_ptr_null(strstr(r.out, "missing"));
	free(r.out);

	/* -s 40: not even the TCP header: nothing to compare, and the error says why */
	snprintf(cut, sizeof(cut), "%s/cut40.pcap", dir);
	write_cut(w.path, cut, 40);
	diff_paths(g.path, cut, &how, &r);
	ck_assert_int_eq(r.ret, -EINVAL);
	ck_assert_msg(strstr(r.err, "holds no TCP segments to compare (7 cut inside their TCP "
				    "headers by the snaplen)"),
		      "%s", r.err);
	free(r.out);
}
END_TEST

/* the 10th payload byte of the 2nd wire frame flipped, the checksum fixed (a path corrupting data) */
static void flip_one(struct cap *w, unsigned no, const uint8_t *f, size_t len, const void *arg)
{
	static uint8_t b[2000];
	struct md5sig_seg seg;

	(void)arg;
	memcpy(b, f, len);
	if (no == 2) {
		ck_assert_int_eq(md5sig_parse(MD5SIG_LINK_ETHERNET, b, len, &seg), MD5SIG_TCP);
		b[seg.l4_off + seg.thlen + 9] ^= 0x40;
		tf_tcp_csum_fix(b, &seg);
	}
	cap_put(w, b, len);
}

START_TEST(payload_changes_counted)
{
	struct cap g, w, w2;
	struct result r;

	/* one byte of the second piece of the first super-frame flipped on the wire */
	pair(&g, &w, 2, COPY, INCREMENT, LINUX);
	copy_capture(w.path, &w2, "flipped.pcap", flip_one, NULL);
	diff(&g, &w2, false, &r);
	ck_assert_msg(r.ret == 0, "%s", r.err);
	has(&r, "  payload changed: 1 bytes differ in 1 frame\n    covered: yes (payload); md5: "
		"guest 1 valid -> wire 1 invalid\n");
	ck_assert_uint_eq(r.e.nunexplained, 1);
	ck_assert_str_eq(r.e.unexplained[0], "payload");
	free(r.out);
}
END_TEST

START_TEST(tcp_ao_verdicts)
{
	struct cap g, w, g2, w2;
	struct result r;
	struct how how = {.keys = ao_keys};
	const char *why;
	struct md5sig_ao_isn_arg isns[2];
	unsigned four = 4;

	/* the same session on both sides: every MAC valid (the key from the handshake) */
	session(&g, &w, &(struct box){.ao = true});
	diff_paths(g.path, w.path, &how, &r);
	ck_assert_msg(r.ret == 0, "%s", r.err);
	has(&r, "ao verdicts: guest 9 valid; wire 9 valid\n");
	ck_assert(r.e.identical);
	free(r.out);

	/* captures that start after the handshake: no ISNs, so no verdict but no-isn... */
	copy_capture(g.path, &g2, "gmid.pcap", from, &four);
	copy_capture(w.path, &w2, "wmid.pcap", from, &four);
	diff_paths(g2.path, w2.path, &how, &r);
	ck_assert_msg(r.ret == 0, "%s", r.err);
	has(&r, "ao verdicts: guest 6 no-isn; wire 6 no-isn\n");
	free(r.out);

	/* ...until --isn gives them */
	ck_assert_int_eq(md5sig_ao_isn_parse("192.0.2.1.40000=1000000000", &isns[0], &why), 0);
	ck_assert_int_eq(md5sig_ao_isn_parse("192.0.2.2.179=0xb2d05e00", &isns[1], &why), 0);
	how.isns = isns;
	how.nisns = 2;
	diff_paths(g2.path, w2.path, &how, &r);
	has(&r, "ao verdicts: guest 6 valid; wire 6 valid\n");
	free(r.out);

	/* a path that changes covered fields: the MAC copied over them is stale */
	run_box(&(struct box){.ao = true, .spec = window_spec}, ao_keys, false, &r);
	has(&r, "  window changed: 502 -> 100 on 6 frames\n    covered: yes (window); ao: guest 6 "
		"valid -> wire 6 invalid\n  TCP-AO MAC copied unchanged: into 6 frames whose "
		"covered fields changed\n");
	check_elements(&r, (const char *[]){"window", NULL});
	explained_all(&r);
	free(r.out);
}
END_TEST

START_TEST(no_key_given)
{
	struct cap g, w;
	struct result r;
	struct how how = {0};

	/* without a key nothing is checked, and the report says so: never unexpected */
	pair(&g, &w, 1, COPY, INCREMENT, LINUX);
	diff_paths(g.path, w.path, &how, &r);
	ck_assert_msg(r.ret == 0, "%s", r.err);
	has(&r, "md5 verdicts: guest 2 unchecked; wire 4 unchecked (no key given: digests not "
		"checked)\nmd5: 6 signed segments could not be checked (guest 2, wire 4): no key "
		"given\n");
	ck_assert_ptr_null(strstr(r.out, "unexpected"));
	free(r.out);
}
END_TEST

static void count_progress(void *arg, const char *what, unsigned long long frames, bool done)
{
	unsigned *n = arg;

	ck_assert_ptr_nonnull(what);
	n[done]++;
	n[2] += done && strstr(what, "reading") && frames > 0;
}

START_TEST(progress_is_reported)
{
	struct cap g, w;
	struct result r;
	unsigned n[3] = {0, 0, 0};
	struct how how = {.keys = k1, .progress = count_progress, .progress_arg = n};

	pair(&g, &w, 2, COPY, INCREMENT, LINUX);
	diff_paths(g.path, w.path, &how, &r);
	ck_assert_msg(r.ret == 0, "%s", r.err);
	/* both captures read, then the payload passes over each; each pass ends once */
	ck_assert_uint_eq(n[2], 2);
	ck_assert_uint_ge(n[1], 4);
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
	tcase_add_test(tc, path_seqrand);
	tcase_add_test(tc, path_optstrip);
	tcase_add_test(tc, path_nat);
	tcase_add_test(tc, path_window);
	tcase_add_test(tc, path_mss_clamp);
	tcase_add_test(tc, path_fragment);
	tcase_add_test(tc, path_none);
	tcase_add_test(tc, duplicates_are_set_aside);
	tcase_add_test(tc, outside_the_window_is_out_of_scope);
	tcase_add_test(tc, link_types_may_differ);
	tcase_add_test(tc, swapped_captures);
	tcase_add_test(tc, snaplen_cut_captures);
	tcase_add_test(tc, payload_changes_counted);
	tcase_add_test(tc, tcp_ao_verdicts);
	tcase_add_test(tc, no_key_given);
	tcase_add_test(tc, progress_is_reported);
	suite_add_tcase(s, tc);
	return s;
}
