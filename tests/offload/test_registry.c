// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The registry: every feature and stage described once, and read from there (names, needs,
 * directions, default stage lists, messages, the docs); a stage written only in the test tree
 * (stage_ttl.c) runs through a registry table of its own; the parameter cap.
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

extern const struct offload_stage_ops offload_stage_ttl; /* tests/offload/stage_ttl.c */

static const struct offload_stage_ops *const test_stages[] = {&offload_stage_ttl, NULL};

#define SECRET "registry-secret"

START_TEST(features_are_described_once)
{
	static const struct {
		const char *name, *shortname, *stage;
		enum offload_dir dir;
	} want[OFFLOAD_NFEATURES] = {
		[OFFLOAD_F_SG] = {"scatter-gather", "sg", "sg", OFFLOAD_DIR_TX},
		[OFFLOAD_F_TSO] = {"tcp-segmentation-offload", "tso", "tso", OFFLOAD_DIR_TX},
		[OFFLOAD_F_TX] = {"tx-checksumming", "tx", "tx-csum", OFFLOAD_DIR_TX},
		[OFFLOAD_F_RX] = {"rx-checksumming", "rx", "rx-csum", OFFLOAD_DIR_RX},
		[OFFLOAD_F_LRO] = {"large-receive-offload", "lro", "lro", OFFLOAD_DIR_RX},
		/* path elements: the feature's short name is the element's */
		[OFFLOAD_F_OPTSTRIP] = {"tcp-option-stripping", "optstrip", "optstrip",
					OFFLOAD_DIR_PATH},
		[OFFLOAD_F_SEQRAND] = {"tcp-sequence-randomization", "seqrand", "seqrand",
				       OFFLOAD_DIR_PATH},
		[OFFLOAD_F_NAT] = {"network-address-translation", "nat", "nat", OFFLOAD_DIR_PATH},
		[OFFLOAD_F_WINDOW] = {"tcp-window-rewrite", "window", "window", OFFLOAD_DIR_PATH},
		[OFFLOAD_F_MSS_CLAMP] = {"tcp-mss-clamping", "mss-clamp", "mss-clamp",
					 OFFLOAD_DIR_PATH},
		[OFFLOAD_F_FRAGMENT] = {"ip-fragmentation", "fragment", "fragment",
					OFFLOAD_DIR_PATH},
	};

	for (int f = 0; f < OFFLOAD_NFEATURES; f++) {
		const struct offload_feature_info *fi = offload_feature_info(f);

		ck_assert_ptr_nonnull(fi);
		ck_assert_str_eq(fi->name, want[f].name);
		ck_assert_str_eq(fi->shortname, want[f].shortname);
		ck_assert_str_eq(offload_feature_name(f), want[f].name);
		ck_assert_str_eq(offload_feature_short(f), want[f].shortname);
		ck_assert_int_eq(offload_feature_find(want[f].name), f);
		ck_assert_int_eq(offload_feature_find(want[f].shortname), f);
		ck_assert_int_eq(fi->dir, want[f].dir);
		/* the stage it enables is a registered one, and says so back */
		ck_assert_str_eq(fi->stage->name, want[f].stage);
		ck_assert_ptr_eq(offload_stage_find(want[f].stage), fi->stage);
		ck_assert_int_eq(offload_stage_feature_of(fi->stage), f);
		/* a path element has both halves; a NIC stage only the one it works in */
		ck_assert_int_eq(fi->stage->receive != NULL, fi->dir == OFFLOAD_DIR_PATH);
		/* Linux: only tso needs anything, and it needs sg and tx */
		ck_assert_uint_eq(fi->needs, f == OFFLOAD_F_TSO
						     ? OFFLOAD_FEATURE_BIT(OFFLOAD_F_SG) |
							       OFFLOAD_FEATURE_BIT(OFFLOAD_F_TX)
						     : 0);
	}
	ck_assert_ptr_null(offload_feature_info(OFFLOAD_NFEATURES));
	ck_assert_int_eq(offload_feature_find("generic-receive-offload"), -1);
	ck_assert_int_eq(offload_stage_feature_of(&offload_stage_ttl), -1);
}
END_TEST

START_TEST(default_stage_lists_follow_the_feature_table)
{
	const char *names[8];

	ck_assert_uint_eq(offload_default_stages(OFFLOAD_DIR_TX, names, 8), 3);
	ck_assert_str_eq(names[0], "sg");
	ck_assert_str_eq(names[1], "tso");
	ck_assert_str_eq(names[2], "tx-csum");
	ck_assert_uint_eq(offload_default_stages(OFFLOAD_DIR_RX, names, 8), 2);
	ck_assert_str_eq(names[0], "rx-csum");
	ck_assert_str_eq(names[1], "lro");
	/* too small an array: the count still says how many there are */
	names[1] = NULL;
	ck_assert_uint_eq(offload_default_stages(OFFLOAD_DIR_TX, names, 1), 3);
	ck_assert_str_eq(names[0], "sg");
	ck_assert_ptr_null(names[1]);
}
END_TEST

START_TEST(features_list_for_messages)
{

	const char *all =
		"sg, tso, tx, rx, lro, optstrip, seqrand, nat, window, mss-clamp, fragment";
	char buf[128], small[5];

	ck_assert_uint_eq(offload_features_list(buf, sizeof(buf)), strlen(all));
	ck_assert_str_eq(buf, all);
	ck_assert_uint_eq(offload_features_list(small, sizeof(small)), strlen(all));
	ck_assert_str_eq(small, "sg, ");
	ck_assert_uint_eq(offload_features_list(NULL, 0), strlen(all));
}
END_TEST

/* Every combination of requests against Linux's rule, written here independently. */
START_TEST(dependencies_are_linux_ones)
{
	for (unsigned m = 0; m < 1u << OFFLOAD_NFEATURES; m++) {
		struct offload_config c = {
			.linktype = MD5SIG_LINK_ETHERNET,
			.wire_mtu = 1500,
			.stages = {"sg"},
			.nstages = 1,
		};
		char err[256];

		for (int f = 0; f < OFFLOAD_NFEATURES; f++)
			c.requested[f] = m >> f & 1;
		struct offload_pipeline *pl = offload_pipeline_new(&c, err, sizeof(err));
		ck_assert_msg(pl != NULL, "%s", err);
		for (int f = 0; f < OFFLOAD_NFEATURES; f++) {
			bool on = c.requested[f];
			if (f == OFFLOAD_F_TSO)
				on = on && c.requested[OFFLOAD_F_SG] && c.requested[OFFLOAD_F_TX];
			ck_assert_int_eq(offload_pipeline_feature(pl, f), on);
			ck_assert_int_eq(offload_pipeline_requested(pl, f), c.requested[f]);
		}
		offload_pipeline_free(pl);
	}
}
END_TEST

/*
 * Each registered stage declares no more parameters than the cap, with valid defaults; nat has
 * no default mapping (it would translate nothing), so it gets one.
 */
START_TEST(every_stage_builds_alone_with_its_defaults)
{
	for (unsigned i = 0; offload_stages[i]; i++) {
		const struct offload_stage_ops *ops = offload_stages[i];
		struct offload_config c = {
			.linktype = MD5SIG_LINK_ETHERNET,
			.wire_mtu = 1500,
			.stages = {ops->name},
			.nstages = 1,
			.params = {{"nat.source_from", "192.0.2.10"},
				   {"nat.source_to", "192.0.2.20"}},
			.nparams = strcmp(ops->name, "nat") ? 0 : 2,
		};
		char err[256];
		unsigned np = 0;

		while (ops->params && ops->params[np].name)
			np++;
		ck_assert_uint_le(np, OFFLOAD_MAX_STAGE_PARAMS);
		struct offload_pipeline *pl = offload_pipeline_new(&c, err, sizeof(err));
		ck_assert_msg(pl != NULL, "%s: %s", ops->name, err);
		offload_pipeline_free(pl);
	}
}
END_TEST

/* ---- a stage from the test tree ---- */

struct wire_seen {
	unsigned frames, last_tap;
	struct md5sig_keytab *kt;
	struct md5sig_hasher *h;
	uint8_t want_ttl;
};

/* Check every frame that reaches the wire, with outside means: a naive checksum, md5sig. */
static void wire_sink(void *arg, unsigned tap, const struct offload_frame *f,
		      const struct md5sig_seg *pseg, enum md5sig_status pst)
{
	struct wire_seen *w = arg;
	struct md5sig_seg seg;

	(void)pseg;
	(void)pst;
	if (tap != w->last_tap)
		return;
	w->frames++;
	ck_assert_int_eq(md5sig_parse(MD5SIG_LINK_ETHERNET, f->data, f->len, &seg), MD5SIG_TCP);
	const uint8_t *ip = f->data + seg.l3_off;
	if (seg.family == AF_INET) {
		ck_assert_uint_eq(ip[8], w->want_ttl);
		ck_assert_uint_eq(tf_csum_add(0, ip, seg.l4_off - seg.l3_off), 0xffff);
	} else {
		ck_assert_uint_eq(ip[7], w->want_ttl);
	}
	ck_assert_uint_eq(tf_tcp_sum(f->data, &seg), 0xffff);
	ck_assert_int_eq(md5sig_classify(w->h, w->kt, f->data, MD5SIG_TCP, &seg), MD5SIG_VALID);
}

/* A signed TSO request of @plen payload bytes, IPv4 or IPv6, TTL 64. */
static int push_tso(struct offload_pipeline *pl, int family, size_t plen, uint64_t no)
{
	struct md5sig_key k = tf_key(SECRET);
	struct tf_spec s = {.family = family, .md5 = true, .plen = plen, .seq = (uint32_t)no};
	struct offload_frame *f = offload_pipeline_guest_frame(pl, 16384);

	ck_assert_ptr_nonnull(f);
	f->len = (uint32_t)tf_build_signed(&s, &k, f->data, f->cap);
	ck_assert_uint_gt(f->len, 0);
	f->tso = true;
	f->mss = (uint16_t)(1500 - (family == AF_INET6 ? 40 : 20) - 20 - 20);
	f->csum = OFFLOAD_CSUM_COMPLETE;
	f->guest_no = no;
	return offload_pipeline_tx(pl, f);
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

/*
 * ttl is no stage of the registry's: the test registers it with one table entry, after tso
 * re-signed the segments. Routers' TTL changes keep every digest valid.
 */
START_TEST(a_stage_from_the_test_tree_runs_through_a_registry_entry)
{
	struct wire_seen w = {.last_tap = 4, .want_ttl = 62};
	struct offload_config c = {
		.linktype = MD5SIG_LINK_ETHERNET,
		.wire_mtu = 1500,
		.verify = true,
		.stages = {"sg", "tso", "tx-csum", "ttl"},
		.nstages = 4,
		.requested = {[OFFLOAD_F_SG] = true, [OFFLOAD_F_TSO] = true, [OFFLOAD_F_TX] = true},
		.params = {{"tso.md5", "resign"}, {"ttl.hops", "2"}},
		.nparams = 2,
	};
	struct offload_stats st;
	char err[256] = "";
	const char *why;

	/* without its table entry the stage is unknown */
	w.kt = md5sig_keytab_new();
	w.h = md5sig_hasher_new();
	ck_assert_int_eq(md5sig_keytab_parse_line(w.kt, "* " SECRET, &why), 0);
	c.keys = w.kt;
	ck_assert_ptr_null(offload_pipeline_new(&c, err, sizeof(err)));
	ck_assert_str_eq(err, "unknown stage 'ttl'");

	c.extra_stages = test_stages;
	struct offload_pipeline *pl = offload_pipeline_new(&c, err, sizeof(err));
	ck_assert_msg(pl != NULL, "%s", err);
	offload_pipeline_set_sink(pl, wire_sink, &w);
	ck_assert_int_eq(push_tso(pl, AF_INET, 5000, 1), 4);
	ck_assert_int_eq(push_tso(pl, AF_INET6, 5000, 2), 4);
	ck_assert_int_eq(push_tso(pl, AF_INET, 1000, 3), 1); /* fits one segment */
	ck_assert_uint_eq(w.frames, 9);
	check_accounting(pl);
	offload_pipeline_stats(pl, &st);
	ck_assert_uint_eq(st.nstages, 4);
	ck_assert_str_eq(st.stages[3].name, "ttl");
	ck_assert(st.stages[3].enabled); /* no feature names it: always on */
	ck_assert_uint_eq(st.stages[3].frames_out, 9);
	ck_assert_uint_eq(st.stages[3].tap.verdicts[MD5SIG_VALID], 9);
	ck_assert_uint_eq(st.stages[3].invalidated, 0);
	ck_assert_int_eq(st.culprit, -1);

	/* its parameter is set at run time like any other; its refusal is its own */
	ck_assert_int_eq(offload_pipeline_set_param(pl, "ttl.hops", "0", err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, "ttl.hops must be 1..255");
	ck_assert_int_eq(offload_pipeline_set_param(pl, "ttl.hops", "64", err, sizeof(err)), 0);
	ck_assert_int_eq(push_tso(pl, AF_INET, 5000, 4), 0);
	offload_pipeline_stats(pl, &st);
	ck_assert_uint_eq(st.stages[3].dropped, 4);
	ck_assert_str_eq(st.stages[3].drops[0].reason, "ttl-exceeded");
	check_accounting(pl);
	offload_pipeline_free(pl);
	md5sig_keytab_free(w.kt);
	md5sig_hasher_free(w.h);
}
END_TEST

/* ---- the parameter cap ---- */

static const char *const onoff[] = {"on", "off", NULL};

static const struct offload_param nine[] = {
	{"p1", onoff, "on", ""}, {"p2", onoff, "on", ""},
	{"p3", onoff, "on", ""}, {"p4", onoff, "on", ""},
	{"p5", onoff, "on", ""}, {"p6", onoff, "on", ""},
	{"p7", onoff, "on", ""}, {"p8", onoff, "on", ""},
	{"p9", onoff, "on", ""}, {NULL},
};

static const struct offload_param eight[] = {
	{"p1", onoff, "on", ""}, {"p2", onoff, "on", ""},  {"p3", onoff, "on", ""},
	{"p4", onoff, "on", ""}, {"p5", onoff, "on", ""},  {"p6", onoff, "on", ""},
	{"p7", onoff, "on", ""}, {"p8", onoff, "off", ""}, {NULL},
};

/* The eighth parameter's value, seen by init(). */
static char last_seen[8];

static int wide_init(struct offload_stage *st)
{
	snprintf(last_seen, sizeof(last_seen), "%s", offload_stage_param(st, "p8"));
	return 0;
}

static int pass(struct offload_stage *st, struct offload_frame *in, struct offload_frame **out,
		unsigned max_out)
{
	(void)st;
	(void)max_out;
	out[0] = in;
	return 1;
}

static const struct offload_stage_ops wide = {
	.name = "wide",
	.params = nine,
	.size = sizeof(struct offload_stage),
	.process = pass,
};

static const struct offload_stage_ops full = {
	.name = "full",
	.params = eight,
	.size = sizeof(struct offload_stage),
	.init = wide_init,
	.process = pass,
};

START_TEST(a_stage_over_the_parameter_cap_is_refused)
{
	static const struct offload_stage_ops *const reg[] = {&wide, &full, NULL};
	struct offload_config c = {
		.linktype = MD5SIG_LINK_ETHERNET,
		.wire_mtu = 1500,
		.stages = {"full", "wide"},
		.nstages = 2,
		.extra_stages = reg,
	};
	char err[256] = "";

	ck_assert_ptr_null(offload_pipeline_new(&c, err, sizeof(err)));
	ck_assert_str_eq(err, "stage 'wide' declares 9 parameters; a stage may have at most 8 "
			      "(OFFLOAD_MAX_STAGE_PARAMS)");
	/* at the cap, every parameter has its slot */
	c.nstages = 1;
	struct offload_pipeline *pl = offload_pipeline_new(&c, err, sizeof(err));
	ck_assert_msg(pl != NULL, "%s", err);
	ck_assert_str_eq(last_seen, "off");
	ck_assert_int_eq(offload_pipeline_set_param(pl, "full.p8", "on", err, sizeof(err)), 0);
	ck_assert_str_eq(last_seen, "on");
	struct offload_stats st;
	offload_pipeline_stats(pl, &st);
	ck_assert_str_eq(st.stages[0].name, "full");
	offload_pipeline_free(pl);
}
END_TEST

/* ---- the docs read the same tables ---- */

/* The NIC's page, then the path's (appended to it in @buf). */
static char *slurp(void)
{
	static char buf[1 << 17];
	const char *files[] = {TEST_DATA_DIR "/../../docs/profiles.md",
			       TEST_DATA_DIR "/../../docs/paths.md"};
	size_t n = 0;

	for (unsigned i = 0; i < 2; i++) {
		FILE *f = fopen(files[i], "r");
		ck_assert_msg(f != NULL, "%s", files[i]);
		n += fread(buf + n, 1, sizeof(buf) - 1 - n, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

/*
 * docs/profiles.md (the NIC's) and docs/paths.md (the path elements') have a row for every
 * feature (names, direction, stage, needs) and every stage parameter (with its values, or its
 * syntax), as the registry describes them.
 */
START_TEST(profiles_doc_describes_every_feature_and_parameter)
{
	const char *doc = slurp();
	char want[256];

	for (int f = 0; f < OFFLOAD_NFEATURES; f++) {
		const struct offload_feature_info *fi = offload_feature_info(f);
		size_t o = (size_t)snprintf(want, sizeof(want), "| `%s` | `%s` | %s | `%s` |",
					    fi->name, fi->shortname,
					    fi->dir == OFFLOAD_DIR_TX	? "transmit"
					    : fi->dir == OFFLOAD_DIR_RX ? "receive"
									: "path",
					    fi->stage->name);
		for (int g = 0; g < OFFLOAD_NFEATURES; g++)
			if (fi->needs & OFFLOAD_FEATURE_BIT(g))
				o += (size_t)snprintf(want + o, sizeof(want) - o, "%s`%s`",
						      want[o - 1] == '|' ? " " : ", ",
						      offload_feature_short(g));
		snprintf(want + o, sizeof(want) - o, " |\n");
		ck_assert_msg(strstr(doc, want), "docs/profiles.md has no row %s", want);
	}
	for (unsigned i = 0; offload_stages[i]; i++) {
		const struct offload_param *p = offload_stages[i]->params;

		for (unsigned j = 0; p && p[j].name; j++) {
			snprintf(want, sizeof(want), "| `%s.%s` |", offload_stages[i]->name,
				 p[j].name);
			const char *row = strstr(doc, want);
			ck_assert_msg(row, "docs/profiles.md has no row for %s", want);
			const char *eol = strchr(row, '\n');
			for (unsigned k = 0; !p[j].syntax && p[j].choices && p[j].choices[k]; k++) {
				const char *c = strstr(row, p[j].choices[k]);
				ck_assert_msg(c && c < eol, "%s: no value %s", want,
					      p[j].choices[k]);
			}
			const char *c = p[j].syntax ? strstr(row, p[j].syntax) : NULL;
			ck_assert_msg(!p[j].syntax || (c && c < eol), "%s: no syntax %s", want,
				      p[j].syntax);
		}
	}
}
END_TEST

Suite *suite_registry(void)
{
	Suite *s = suite_create("registry");
	TCase *tc = tcase_create("registry");

	tcase_add_test(tc, features_are_described_once);
	tcase_add_test(tc, default_stage_lists_follow_the_feature_table);
	tcase_add_test(tc, features_list_for_messages);
	tcase_add_test(tc, dependencies_are_linux_ones);
	tcase_add_test(tc, every_stage_builds_alone_with_its_defaults);
	tcase_add_test(tc, a_stage_from_the_test_tree_runs_through_a_registry_entry);
	tcase_add_test(tc, a_stage_over_the_parameter_cap_is_refused);
	tcase_add_test(tc, profiles_doc_describes_every_feature_and_parameter);
	suite_add_tcase(s, tc);
	return s;
}
