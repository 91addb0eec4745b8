// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The scenario model: files loaded field by field, bad files refused with the line and the
 * reason, every expectation key read off hand-made counters, and a whole run on a capture built
 * here whose outcome follows from Linux GSO semantics: a signed 4000-byte super-frame through a
 * 1500-byte wire is cut into ceil(4000 / 1440) = 3 segments (MSS = 1500 - 20 - 40), each with
 * the super-frame's digest copied, so invalid; a signed frame that fits goes through unchanged.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "emu/analysis/scenario.h"
#include "emu/capture/capture.h"
#include "tests/suites.h"
#include "tests/support/frames.h"

static char dir[64];

static void setup(void)
{
	strcpy(dir, "/tmp/vnicemu-scenario-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Write @text to DIR/@name; returns the path (static, until the next call). */
static const char *put(const char *name, const char *text)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
	return path;
}

START_TEST(loads_every_field)
{
	struct emu_scenario *s = malloc(sizeof(*s));
	char err[512], want[600];
	const char *path = put("a.ini", "; a comment\n"
					"[scenario]\n"
					"name = esx\n"
					"description = a test\n"
					"capture = sub/guest.pcap\n"
					"key-file = keys\n"
					"profile = vmxnet3\n"
					"wire-mtu = 9000\n"
					"set = tso.md5=resign\n"
					"set = sg=off\n"
					"full-verify = on\n"
					"[expect]\n"
					"culprit = tso\n"
					"wire.invalid = 3\n"
					"tso.why-contains = seq\n");

	ck_assert_ptr_nonnull(s);
	ck_assert_msg(emu_scenario_load(s, path, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(s->path, path);
	ck_assert_str_eq(s->dir, dir);
	ck_assert_str_eq(s->name, "esx");
	ck_assert_str_eq(s->description, "a test");
	snprintf(want, sizeof(want), "%s/sub/guest.pcap", dir);
	ck_assert_str_eq(s->capture, want);
	snprintf(want, sizeof(want), "%s/keys", dir);
	ck_assert_str_eq(s->key_file, want);
	ck_assert_str_eq(s->key, "");
	ck_assert_str_eq(s->profile, "vmxnet3");
	ck_assert_uint_eq(s->wire_mtu, 9000);
	ck_assert_uint_eq(s->nsets, 2);
	ck_assert_str_eq(s->sets[0], "tso.md5=resign");
	ck_assert_str_eq(s->sets[1], "sg=off");
	ck_assert(s->full_verify);
	ck_assert_uint_eq(s->nexpect, 3);
	ck_assert_str_eq(s->expect[1].key, "wire.invalid");
	ck_assert_str_eq(s->expect[1].value, "3");
	ck_assert_str_eq(s->expect[2].key, "tso.why-contains");

	/* defaults; a profile path is relative to the file, an absolute one is kept */
	path = put("b.ini", "[scenario]\ncapture = /abs/g.pcap\nkey = s3cret\nprofile = p/x.ini\n"
			    "[expect]\nculprit = none\n");
	ck_assert_msg(emu_scenario_load(s, path, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(s->capture, "/abs/g.pcap");
	ck_assert_str_eq(s->key, "s3cret");
	ck_assert_str_eq(s->key_file, "");
	snprintf(want, sizeof(want), "%s/p/x.ini", dir);
	ck_assert_str_eq(s->profile, want);
	ck_assert_uint_eq(s->wire_mtu, 1500);
	ck_assert(!s->full_verify);
	ck_assert_uint_eq(s->nsets, 0);
	path = put("c.ini", "[scenario]\ncapture = g.pcap\n[expect]\nculprit = tso\n");
	ck_assert_msg(emu_scenario_load(s, path, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(s->profile, "vmxnet2");
	ck_assert_str_eq(s->path_spec, "");

	/* a path: names as they are, files relative to the scenario; the guest's addresses */
	path = put("d.ini", "[scenario]\ncapture = g.pcap\npath = asa,p/mine.ini,/abs/x.ini\n"
			    "guest-addr = 192.0.2.10\nguest-addr = 2001:db8::10\n"
			    "[expect]\nrx.culprit = seqrand\n");
	ck_assert_msg(emu_scenario_load(s, path, err, sizeof(err)) == 0, "%s", err);
	snprintf(want, sizeof(want), "asa,%s/p/mine.ini,/abs/x.ini", dir);
	ck_assert_str_eq(s->path_spec, want);
	ck_assert_uint_eq(s->nguest_addrs, 2);
	ck_assert_str_eq(s->guest_addrs[1], "2001:db8::10");
	/* the guest's addresses tell a path's directions apart: without one they mean nothing */
	path = put("e.ini", "[scenario]\ncapture = g.pcap\nguest-addr = 192.0.2.10\n"
			    "[expect]\nculprit = none\n");
	ck_assert_int_eq(emu_scenario_load(s, path, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "e.ini: guest-addr tells directions apart for a path"), "%s",
		      err);
	free(s);
}
END_TEST

START_TEST(bad_files)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
		{"[scenario]\ncapture = x\n[bogus]\nx = 1\n",
		 ":4: unknown section [bogus] (expected [scenario] or [expect])"},
		{"[scenario]\ncapture = x\nfrob = 1\n[expect]\nculprit = tso\n",
		 ":3: unknown key in [scenario]: frob"},
		{"[scenario]\nwire-mtu = 100\n", ":2: wire-mtu: expected 576..65535"},
		{"[scenario]\nwire-mtu = 1500x\n", ":2: wire-mtu: expected 576..65535"},
		{"[expect]\nculprit = tso\n", ": [scenario] needs capture = FILE"},
		{"[scenario]\ncapture = x\nkey = a\nkey-file = k\n[expect]\nculprit = tso\n",
		 ": key and key-file are exclusive"},
		{"[scenario]\ncapture = x\n", ": no [expect] section: nothing to check"},
		{"[scenario]\ncapture x\n",
		 ":2: syntax error (expected [SECTION], NAME = VALUE or a # comment)"},
		/* a syntax error before a refused entry is the first error, and named as such */
		{"[scenario]\ncapture x\nfrob = 1\n",
		 ":2: syntax error (expected [SECTION], NAME = VALUE or a # comment)"},
		{"[scenario]\nfrob = 1\ncapture x\n", ":2: unknown key in [scenario]: frob"},
		/* issue 11 item 16: expectation values of the wrong kind */
		{"[scenario]\ncapture = x\n[expect]\nwire.invalid = 023\n",
		 ":4: [expect] wire.invalid = 023: expected a count (0, or digits without a sign or "
		 "a leading zero)"},
		{"[scenario]\ncapture = x\n[expect]\nwire.invalid = +23\n",
		 ":4: [expect] wire.invalid = +23: expected a count (0, or digits without a sign or "
		 "a leading zero)"},
		{"[scenario]\ncapture = x\n[expect]\ntso.created = yes\n",
		 ":4: [expect] tso.created = yes: expected a count (0, or digits without a sign or "
		 "a leading zero)"},
		{"[scenario]\ncapture = x\n[expect]\nguest.valid = -1\n",
		 ":4: [expect] guest.valid = -1: expected a count (0, or digits without a sign or "
		 "a leading zero)"},
		{"[scenario]\ncapture = x\n[expect]\nguest.valid = 99999999999999999999999\n",
		 ":4: [expect] guest.valid = 99999999999999999999999: expected a count (0, or digits "
		 "without a sign or a leading zero)"},
		{"[scenario]\ncapture = x\n[expect]\nguest.valid = 1.5\n",
		 ":4: [expect] guest.valid = 1.5: expected a count (0, or digits without a sign or "
		 "a leading zero)"},
		{"[scenario]\ncapture = x\n[expect]\nrx.seqrand.invalidated = \n",
		 ":4: [expect] rx.seqrand.invalidated = : expected a count (0, or digits without a "
		 "sign or a leading zero)"},
		{"[scenario]\ncapture = x\n[expect]\nsg.enabled = yes\n",
		 ":4: [expect] sg.enabled = yes: expected on or off"},
		{"[scenario]\ncapture = x\n[expect]\ntso.why-contains =\n",
		 ":4: [expect] tso.why-contains: expected the text to look for"},
		/* a key given twice */
		{"[scenario]\ncapture = x\n[expect]\nculprit = tso\nwire.valid = 1\nculprit = sg\n",
		 ":6: [expect] culprit given twice (first on line 4)"},
		{"[scenario]\ncapture = a.pcap\nname = n\ncapture = b.pcap\n",
		 ":4: capture given twice (first on line 2)"},
		{"[scenario]\ncapture = x\nwire-mtu = 1500\nwire-mtu = 9000\n",
		 ":4: wire-mtu given twice (first on line 3)"},
		{"[scenario]\ncapture = x\nfull-verify = maybe\n",
		 ":3: full-verify: expected on or off"},
		{"[scenario]\ncapture = x\nwire-mtu = -1500\n",
		 ":3: wire-mtu: expected 576..65535"},
	};
	struct emu_scenario *s = malloc(sizeof(*s));
	char err[512], want[600], text[8192];

	ck_assert_ptr_nonnull(s);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *path = put("bad.ini", bad[i].text);
		ck_assert_int_eq(emu_scenario_load(s, path, err, sizeof(err)), -EINVAL);
		snprintf(want, sizeof(want), "%s%s", path, bad[i].why);
		ck_assert_str_eq(err, want);
	}

	/* 65 set lines; a value of 300 bytes */
	strcpy(text, "[scenario]\ncapture = x\n");
	for (int i = 0; i < 65; i++)
		strcat(text, "set = sg=off\n");
	const char *path = put("sets.ini", text);
	ck_assert_int_eq(emu_scenario_load(s, path, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, ":67: too many or too long set lines"), "%s", err);
	snprintf(text, sizeof(text), "[scenario]\nname = %0300d\n", 0);
	path = put("long.ini", text);
	ck_assert_int_eq(emu_scenario_load(s, path, err, sizeof(err)), -EINVAL);
	/* past libinih's line length: refused with its line, not parsed as two lines */
	ck_assert_msg(strstr(err, "long.ini:2: line too long (more than "), "%s", err);

	snprintf(want, sizeof(want), "%s/none.ini", dir);
	ck_assert_int_eq(emu_scenario_load(s, want, err, sizeof(err)), -ENOENT);
	ck_assert_msg(strstr(err, "none.ini: No such file or directory"), "%s", err);
	free(s);
}
END_TEST

/* Issue 11 item 16: what the expectations accept, from text in memory (no file). */
START_TEST(expectation_values)
{
	static const char ok[] = "[scenario]\ncapture = x\nfull-verify = off\n[expect]\n"
				 "culprit = none\nrx.culprit = seqrand\nwire.invalid = 0\n"
				 "guest.valid = 18446744073709551615\ntso.created = 40\n"
				 "sg.enabled = off\ntso.why-contains = seq\n"
				 "tso.why-contains = payload\nrx.wire.ao.no-isn = 7\n";
	struct emu_scenario *s = malloc(sizeof(*s));
	char err[512];

	ck_assert_ptr_nonnull(s);
	FILE *in = fmemopen((void *)ok, sizeof(ok) - 1, "r");
	ck_assert_ptr_nonnull(in);
	ck_assert_msg(emu_scenario_parse(s, "/d/mem.ini", in, err, sizeof(err)) == 0, "%s", err);
	fclose(in);
	ck_assert_uint_eq(s->nexpect, 9);
	ck_assert_str_eq(s->capture, "/d/x");
	ck_assert_str_eq(s->expect[1].key, "rx.culprit");
	ck_assert_uint_eq(s->expect[0].line, 5);
	ck_assert_uint_eq(s->expect[7].line, 12);
	ck_assert_str_eq(s->expect[7].value, "payload");

	/* every stage the registry knows is a culprit; a name it does not know is not */
	for (unsigned i = 0; offload_stages[i]; i++) {
		char text[256];
		snprintf(text, sizeof(text), "[scenario]\ncapture = x\n[expect]\nculprit = %s\n",
			 offload_stages[i]->name);
		in = fmemopen(text, strlen(text), "r");
		ck_assert_msg(emu_scenario_parse(s, "m.ini", in, err, sizeof(err)) == 0, "%s", err);
		fclose(in);
	}
	static const char bad[] = "[scenario]\ncapture = x\n[expect]\nculprit = tsoo\n";
	in = fmemopen((void *)bad, sizeof(bad) - 1, "r");
	ck_assert_int_eq(emu_scenario_parse(s, "m.ini", in, err, sizeof(err)), -EINVAL);
	fclose(in);
	ck_assert_msg(strstr(err, "m.ini:4: [expect] culprit = tsoo: no such stage (expected none, "
				  "sg, tso, tx-csum"),
		      "%s", err);

	/* a NUL byte: not text */
	static const char nul[] = "[scenario]\ncapture = x\0y\n[expect]\nculprit = tso\n";
	in = fmemopen((void *)nul, sizeof(nul) - 1, "r");
	ck_assert_int_eq(emu_scenario_parse(s, "m.ini", in, err, sizeof(err)), -EINVAL);
	fclose(in);
	ck_assert_str_eq(err, "m.ini:2: a NUL byte: not a text file");
	free(s);
}
END_TEST

/* Counters a run might have ended with: tso the culprit. */
static void counters(struct offload_stats *st)
{
	static const char *const names[] = {"sg", "tso", "tx-csum"};

	memset(st, 0, sizeof(*st));
	st->guest.frames = 10;
	st->guest.verdicts[MD5SIG_VALID] = 10;
	st->nstages = 3;
	for (unsigned i = 0; i < 3; i++) {
		st->stages[i].name = names[i];
		st->stages[i].enabled = i != 0;
	}
	struct offload_stage_stats *t = &st->stages[1];
	t->frames_in = 10;
	t->frames_out = 15;
	t->created = 7;
	t->dropped = 2;
	t->drops[0].reason = "oversize";
	t->drops[0].count = 2;
	t->ndrops = 1;
	t->invalidated = 7;
	t->tap.verdicts[MD5SIG_INVALID] = 7;
	t->has_why = true;
	snprintf(t->why.changed, sizeof(t->why.changed), "TCP length, seq");
	snprintf(t->why.unchanged, sizeof(t->why.unchanged), "ack");
	st->stages[2].tap.frames = 15;
	st->stages[2].tap.verdicts[MD5SIG_VALID] = 8;
	st->stages[2].tap.verdicts[MD5SIG_INVALID] = 7;
	/* and TCP-AO beside MD5 */
	st->guest.ao[MD5SIG_AO_VALID] = 3;
	st->guest.ao[MD5SIG_AO_NO_ISN] = 2;
	t->tap.ao[MD5SIG_AO_INVALID] = 4;
	t->invalidated_ao = 4;
	st->stages[2].tap.ao[MD5SIG_AO_UNKNOWN_KEY] = 1;
	st->culprit = 1;
}

START_TEST(expectation_keys)
{
	static const struct {
		const char *key, *value;
	} good[] = {
		{"culprit", "tso"},
		{"guest.valid", "10"},
		{"guest.frames", "10"},
		{"wire.frames", "15"},
		{"wire.invalid", "7"},
		{"wire.valid", "8"},
		{"wire.missing", "0"},
		{"tso.invalidated", "7"},
		{"tso.created", "7"},
		{"tso.frames_in", "10"},
		{"tso.frames_out", "15"},
		{"tso.dropped", "2"},
		{"tso.dropped.oversize", "2"},
		{"tso.dropped.nosuch", "0"},
		{"tso.md5.invalid", "7"},
		{"tso.md5.valid", "0"},
		{"tso.enabled", "on"},
		{"sg.enabled", "off"},
		{"tso.why-contains", "TCP length, seq | ack"},
		{"sg.why-contains", "(no explanation)"},
		{"guest.md5.valid", "10"},
		{"wire.md5.invalid", "7"},
		{"guest.ao.valid", "3"},
		{"guest.ao.no-isn", "2"},
		{"wire.ao.unknown-key", "1"},
		{"wire.ao.valid", "0"},
		{"tso.ao.invalid", "4"},
		{"tso.invalidated_ao", "4"},
		{"tso.count.evicted", "3"},
		{"tso.count.nosuch", "0"},
		/* the receive pipeline: its first tap is the wire's, its last the guest's */
		{"rx.culprit", "none"},
		{"rx.wire.valid", "10"},
		{"rx.guest.frames", "15"},
		{"rx.tso.created", "7"},
	};
	static const char *const bad[] = {
		"bogus",	  "wire",
		"guest.bogus",	  "nosuch.invalidated",
		"tso.bogus",	  "tso.md5.frames",
		"tso.md5.bogus",  "wire.ao.malformed",
		"wire.ao.frames", "tso.ao.bogus",
		"guest.ao",	  "tso.ao.malformed",
		"bogus",	  "wire",
		"guest.bogus",	  "nosuch.invalidated",
		"tso.bogus",	  "tso.md5.frames",
		"tso.md5.bogus",  "tso.count",
		"rx.bogus",	  "rx.nosuch.created",
	};
	static struct emu_replay_result res;
	char got[600];

	counters(&res.stats);
	res.stats.stages[1].counts[0].name = "evicted";
	res.stats.stages[1].counts[0].count = 3;
	res.stats.stages[1].ncounts = 1;
	res.rx = res.stats;
	res.rx.culprit = -1;
	res.has_rx = true;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ck_assert_msg(emu_scenario_actual(&res, good[i].key, got, sizeof(got)) == 0, "%s",
			      good[i].key);
		ck_assert_msg(!strcmp(got, good[i].value), "%s: %s", good[i].key, got);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(emu_scenario_actual(&res, bad[i], got, sizeof(got)) == -EINVAL, "%s",
			      bad[i]);
	res.stats.culprit = -1;
	ck_assert_int_eq(emu_scenario_actual(&res, "culprit", got, sizeof(got)), 0);
	ck_assert_str_eq(got, "none");
	/* without a path there is no receive side to name */
	res.has_rx = false;
	ck_assert_int_eq(emu_scenario_actual(&res, "rx.culprit", got, sizeof(got)), -EINVAL);

	struct emu_expect e = {"culprit", "tso"};
	ck_assert(emu_scenario_holds(&e, "tso"));
	ck_assert(!emu_scenario_holds(&e, "tso "));
	ck_assert(!emu_scenario_holds(&e, "sg"));
	e = (struct emu_expect){"tso.why-contains", "seq"};
	ck_assert(emu_scenario_holds(&e, "TCP length, seq | ack"));
	ck_assert(!emu_scenario_holds(&e, "window | ack"));
}
END_TEST

/* A guest capture: two signed 4000-byte super-frames, then a signed 100-byte frame. */
static void guest_capture(const char *name)
{
	static uint8_t buf[5000];
	char path[256], err[256];
	struct md5sig_key key = tf_key("quagga-md5");

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	struct emu_capout *c = emu_capout_open(path, false, err, sizeof(err));
	ck_assert_msg(c, "%s", err);
	ck_assert_int_eq(emu_capout_iface(c, MD5SIG_LINK_ETHERNET, NULL), 0);
	for (unsigned i = 0; i < 3; i++) {
		struct tf_spec s = {
			.md5 = true, .seq = 1 + 4000 * i, .ack = 1, .plen = i < 2 ? 4000 : 100};
		struct timespec ts = {1700000000, (long)i};
		size_t n = tf_build_signed(&s, &key, buf, sizeof(buf));
		ck_assert_uint_gt(n, 0);
		ck_assert_int_eq(emu_capout_write(c, 0, &ts, buf, (uint32_t)n, NULL), 0);
	}
	ck_assert_int_eq(emu_capout_close(c), 0);
}

static char *run_and_print(const char *ini, struct emu_scenario_result *res, int *ret, bool verbose)
{
	struct emu_scenario *s = malloc(sizeof(*s));
	char err[1024], *out = NULL;
	size_t len;

	ck_assert_ptr_nonnull(s);
	ck_assert_msg(emu_scenario_load(s, put("run.ini", ini), err, sizeof(err)) == 0, "%s", err);
	*ret = emu_scenario_run(s, res, err, sizeof(err));
	FILE *f = open_memstream(&out, &len);
	if (*ret)
		fprintf(f, "error: %s\n", err);
	else
		emu_scenario_print(f, s, res, verbose);
	fclose(f);
	free(s);
	return out;
}

START_TEST(runs_and_judges)
{
	struct emu_scenario_result *res = malloc(sizeof(*res));
	char want[1024], *out;
	int ret;

	ck_assert_ptr_nonnull(res);
	guest_capture("g.pcap");
	put("keys", "* quagga-md5\n");
	out = run_and_print("[scenario]\nname = tso\ncapture = g.pcap\nkey-file = keys\n"
			    "[expect]\nculprit = tso\nguest.valid = 3\nwire.frames = 7\n"
			    "wire.invalid = 6\nwire.valid = 1\ntso.created = 4\n"
			    "tso.why-contains = seq\n",
			    res, &ret, false);
	ck_assert_int_eq(ret, 0);
	ck_assert_uint_eq(res->failed, 0);
	snprintf(want, sizeof(want),
		 "%s/run.ini: scenario tso holds (7 expectations): culprit tso\n", dir);
	ck_assert_msg(!strncmp(out, want, strlen(want)), "%s", out);
	ck_assert_msg(strstr(out, "\n  tso changed: ") && strstr(out, "digest copied"), "%s", out);
	free(out);

	out = run_and_print("[scenario]\nname = wrong\ncapture = g.pcap\nkey-file = keys\n"
			    "[expect]\nculprit = sg\nwire.invalid = 6\nwire.valid = 2\n",
			    res, &ret, true);
	ck_assert_int_eq(ret, 0);
	ck_assert_uint_eq(res->failed, 2);
	ck_assert(!res->outcome[0].ok && res->outcome[1].ok && !res->outcome[2].ok);
	snprintf(want, sizeof(want),
		 "%s/run.ini: scenario wrong does NOT hold:\n"
		 "  culprit: expected sg, got tso\n"
		 "  wire.invalid = 6: ok\n"
		 "  wire.valid: expected 2, got 1\n",
		 dir);
	ck_assert_str_eq(out, want);
	free(out);

	/* a key that names no counter: no verdict at all */
	out = run_and_print("[scenario]\ncapture = g.pcap\nkey-file = keys\n"
			    "[expect]\nculprit = tso\nwire.bogus = 1\n",
			    res, &ret, false);
	ck_assert_int_eq(ret, -EINVAL);
	snprintf(want, sizeof(want),
		 "error: %s/run.ini:6: [expect] wire.bogus: names no counter of this run\n", dir);
	ck_assert_str_eq(out, want);
	free(out);

	/* the replay's own errors name the scenario */
	out = run_and_print("[scenario]\ncapture = nosuch.pcap\n[expect]\nculprit = tso\n", res,
			    &ret, false);
	ck_assert_int_eq(ret, -EINVAL);
	ck_assert_msg(strstr(out, "run.ini: ") && strstr(out, "nosuch.pcap"), "%s", out);
	free(out);
	free(res);
}
END_TEST

Suite *suite_scenario(void)
{
	Suite *s = suite_create("scenario");
	TCase *tc = tcase_create("scenario");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, loads_every_field);
	tcase_add_test(tc, bad_files);
	tcase_add_test(tc, expectation_values);
	tcase_add_test(tc, expectation_keys);
	tcase_add_test(tc, runs_and_judges);
	suite_add_tcase(s, tc);
	return s;
}
