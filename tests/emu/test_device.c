// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The live device's control commands (emu/device/handlers.c) on a device without ports
 * (emu_device_new_offline()), so they run under AddressSanitizer too, which cannot open VDE
 * ports: every quirk value of every stage of every shipped profile, bad values, the same key
 * set many times, every feature on and off, profile switches, bad profiles, keys and stats
 * that never show a secret. Issue 11 item 3 (a failed quirk re-init that broke lro and then a
 * double free) is the first test. tests/integration/control.sh drives the same commands
 * through the real daemon's socket with vnicctl; tests/fuzz/fuzz_control.c fuzzes them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "emu/control/control.h"
#include "emu/device/device.h"
#include "tests/suites.h"

#define SECRET "do-not-show-this-key"

static char dir[64], keyfile[128];
static struct emu_run_config cfg;
static struct ctl_out *out;
static const struct ctl_handler *h = &emu_device_handler;

static void setup(void)
{
	strcpy(dir, "/tmp/vnicemu-dev-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(keyfile, sizeof(keyfile), "%s/keys", dir);
	FILE *f = fopen(keyfile, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "192.0.2.1 " SECRET "\n* " SECRET "-2\n");
	ck_assert_int_eq(fclose(f), 0);
	chmod(keyfile, 0600);
	cfg = (struct emu_run_config){.profile = "vmxnet2", .wire_mtu = 1500, .key_file = keyfile};
	out = ctl_out_new();
	ck_assert_ptr_nonnull(out);
}

static void teardown(void)
{
	ctl_out_free(out);
	unlink(keyfile);
	rmdir(dir);
}

static struct emu_device *device(const char *profile)
{
	char err[512] = "";

	cfg.profile = profile;
	struct emu_device *d = emu_device_new_offline(&cfg, err, sizeof(err));
	ck_assert_msg(d, "%s: %s", profile, err);
	return d;
}

/* set_param: its return, and what it wrote into *@text */
static int param(struct emu_device *d, const char *key, const char *value, const char **text)
{
	ctl_out_reset(out);
	int ret = h->set_param(d, key, value, out);
	if (text)
		*text = ctl_out_text(out, NULL);
	return ret;
}

static const char *show(struct emu_device *d)
{
	ctl_out_reset(out);
	ck_assert_int_eq(h->show(d, out), 0);
	return ctl_out_text(out, NULL);
}

/* Every shipped profile's name, from the search path the programs use. */
static char names[16][EMU_NAME_MAX];
static unsigned nnames;

static void add_name(const struct emu_profile *p, void *arg)
{
	(void)arg;
	if (nnames < 16)
		snprintf(names[nnames++], EMU_NAME_MAX, "%s", p->name);
}

static void profiles(void)
{
	nnames = 0;
	emu_profile_foreach(add_name, NULL, NULL);
	ck_assert_uint_ge(nnames, 5); /* vmxnet, vmxnet2, vmxnet3, e1000, none at least */
}

/*
 * Issue 11 item 3: `set lro.options any` was refused (lro.max_size's default pointed at a dead
 * stack slot), the failed re-init left lro broken, and `set lro.options linux` freed its
 * memory a second time. Now each value works, a refused one keeps the working stage, and a
 * profile switch afterwards frees everything once (AddressSanitizer says so in CI).
 */
START_TEST(lro_quirks_on_every_profile)
{
	const char *t;

	profiles();
	for (unsigned i = 0; i < nnames; i++) {
		struct emu_device *d = device(names[i]);

		ck_assert_msg(param(d, "lro.options", "any", &t) == 0, "%s: %s", names[i], t);
		ck_assert_msg(param(d, "lro.options", "linux", &t) == 0, "%s: %s", names[i], t);
		ck_assert_int_eq(param(d, "lro.max_size", "67", &t), -EINVAL);
		ck_assert_msg(strstr(t, "68..65535"), "%s", t);
		ck_assert_int_eq(param(d, "lro.options", "sometimes", &t), -EINVAL);
		/* the stage refused is the stage that runs on: it takes the next value */
		ck_assert_msg(param(d, "lro.options", "any", &t) == 0, "%s: %s", names[i], t);
		ck_assert_int_eq(param(d, "lro.max_size", "9000", &t), 0);
		ck_assert_int_eq(param(d, "lro.max_size", "68", &t), 0);
		ck_assert_int_eq(param(d, "lro.max_size", "65535", &t), 0);
		ck_assert_int_eq(param(d, "lro.max_size", "65536", &t), -EINVAL);
		for (unsigned j = 0; j < nnames; j++) {
			ctl_out_reset(out);
			ck_assert_msg(h->profile(d, names[j], out) == 0, "%s -> %s: %s", names[i],
				      names[j], ctl_out_text(out, NULL));
			ck_assert_int_eq(param(d, "lro.options", "any", &t), 0);
		}
		emu_device_free(d);
	}
}
END_TEST

#define ALL_PATHS "asa,nat,shaper,mss-clamp,fragment"

/*
 * Every parameter of every stage of every profile, and of every path element (vmxnet2 with
 * every shipped path): each choice, a bad value, the default.
 */
START_TEST(every_quirk_value)
{
	const char *t;
	char key[80];
	unsigned tried = 0;

	profiles();
	for (unsigned i = 0; i <= nnames; i++) {
		const char *name = i < nnames ? names[i] : "vmxnet2";
		struct emu_profile p;
		char err[512];

		cfg.path = i < nnames ? NULL : ALL_PATHS;
		struct emu_device *d = device(name);
		ck_assert_int_eq(emu_profile_load(&p, name, err, sizeof(err)), 0);
		if (cfg.path)
			ck_assert_int_eq(emu_profile_add_path(&p, cfg.path, err, sizeof(err)), 0);
		for (unsigned s = 0; s < p.ntx + p.nrx + p.npath; s++) {
			const char *stage = s < p.ntx		? p.tx[s]
					    : s < p.ntx + p.nrx ? p.rx[s - p.ntx]
								: p.path_stages[s - p.ntx - p.nrx];
			const struct offload_stage_ops *ops = offload_stage_find(stage);

			ck_assert_ptr_nonnull(ops);
			for (unsigned j = 0; ops->params && ops->params[j].name; j++) {
				const struct offload_param *pp = &ops->params[j];

				snprintf(key, sizeof(key), "%s.%s", stage, pp->name);
				for (unsigned c = 0; pp->choices && pp->choices[c]; c++) {
					int ret = param(d, key, pp->choices[c], &t);
					/* resign needs a key: the test's key file has them */
					ck_assert_msg(ret == 0, "%s %s %s: %s", name, key,
						      pp->choices[c], t);
					tried++;
				}
				if (pp->syntax)
					continue; /* free text, checked with the others it goes with */
				ck_assert_int_eq(param(d, key, "no-such-value", &t), -EINVAL);
				ck_assert_msg(param(d, key, pp->def, &t) == 0, "%s %s=%s: %s", name,
					      key, pp->def, t);
				tried++;
			}
			snprintf(key, sizeof(key), "%s.nosuch", stage);
			ck_assert_int_eq(param(d, key, "1", &t), -EINVAL);
			ck_assert_msg(strstr(t, "unknown parameter"), "%s", t);
		}
		ck_assert_int_eq(param(d, "nosuch.param", "1", &t), -EINVAL);
		emu_device_free(d);
	}
	cfg.path = NULL;
	ck_assert_uint_ge(tried, 30);
}
END_TEST

/* A key set again and again, and every distinct key, never runs out of room (issue 11 item 6). */
START_TEST(no_cap_on_repeated_or_distinct_keys)
{
	static const char *const flags[] = {"qemu", "copy", "e1000", "linux"};
	struct emu_device *d = device("vmxnet2");
	const char *t;

	for (unsigned i = 0; i < 200; i++)
		ck_assert_msg(param(d, "tso.flags", flags[i % 4], &t) == 0, "set %u: %s", i, t);
	for (unsigned i = 0; i < 50; i++) {
		ck_assert_int_eq(param(d, "tso.ipid", i % 2 ? "fixed" : "increment", &t), 0);
		ck_assert_int_eq(param(d, "tso.md5", i % 2 ? "strip" : "copy", &t), 0);
		ck_assert_int_eq(param(d, "lro.options", i % 2 ? "any" : "linux", &t), 0);
		ck_assert_int_eq(param(d, "lro.max_size", i % 2 ? "1500" : "9000", &t), 0);
	}
	emu_device_free(d);
}
END_TEST

/* Every feature `show` lists, on and off: fixed ones refuse to change, the others follow. */
START_TEST(every_feature_on_and_off)
{
	profiles();
	for (unsigned i = 0; i < nnames; i++) {
		struct emu_device *d = device(names[i]);
		char *lines = strdup(show(d)), *save = NULL;
		unsigned n = 0;

		ck_assert_ptr_nonnull(lines);
		for (char *l = strtok_r(lines, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			char name[64];
			bool fixed = strstr(l, "[fixed]") != NULL;

			ck_assert_int_eq(sscanf(l, "%63[^:]:", name), 1);
			for (int on = 0; on < 2; on++) {
				ctl_out_reset(out);
				int ret = h->set(d, name, on, out);
				char want[96];
				if (!fixed) {
					ck_assert_msg(ret == 0, "%s %s: %s", names[i], name,
						      ctl_out_text(out, NULL));
					snprintf(want, sizeof(want), "%s: %s", name,
						 on ? "on" : "off");
					ck_assert_msg(strstr(show(d), want), "%s: no '%s' in %s",
						      names[i], want, ctl_out_text(out, NULL));
				} else if (ret) {
					ck_assert_int_eq(ret, -EPERM);
				}
			}
			n++;
		}
		ck_assert_uint_ge(n, 5);
		free(lines);
		ctl_out_reset(out);
		ck_assert_int_eq(h->set(d, "bogus", true, out), -EINVAL);
		ck_assert_ptr_nonnull(strstr(ctl_out_text(out, NULL), "unknown feature 'bogus'"));
		emu_device_free(d);
	}
}
END_TEST

/* A profile that does not load leaves the device as it was; a path to a profile file works. */
START_TEST(bad_profiles_change_nothing)
{
	static const char *const bad[] = {"nosuch", "BAD!", "/dev/zero", "/nonexistent/x.ini",
					  "/tmp"};
	struct emu_device *d = device("vmxnet3");
	char *before = strdup(show(d)), file[256];

	ck_assert_ptr_nonnull(before);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ctl_out_reset(out);
		ck_assert_int_lt(h->profile(d, bad[i], out), 0);
		ck_assert_msg(strlen(ctl_out_text(out, NULL)) > 0, "%s: no reason", bad[i]);
		ck_assert_str_eq(show(d), before);
	}
	snprintf(file, sizeof(file), "%s/profiles/e1000.ini", VNICEMU_SOURCE_DIR);
	ctl_out_reset(out);
	ck_assert_msg(h->profile(d, file, out) == 0, "%s", ctl_out_text(out, NULL));
	ck_assert_ptr_nonnull(strstr(ctl_out_text(out, NULL), "profile e1000"));
	free(before);
	emu_device_free(d);
}
END_TEST

/* keys, stats, stats --json and the watch line: answers, and never a secret. */
START_TEST(keys_stats_watch_show_no_secret)
{
	struct emu_device *d = device("vmxnet2");
	const char *t;

	ctl_out_reset(out);
	ck_assert_int_eq(h->keys(d, out), 0);
	t = ctl_out_text(out, NULL);
	ck_assert_msg(strstr(t, "2 peers") && strstr(t, "key length 20"), "%s", t);
	ck_assert_ptr_null(strstr(t, SECRET));
	for (int json = 0; json < 2; json++) {
		ctl_out_reset(out);
		ck_assert_int_eq(h->stats(d, json, out), 0);
		t = ctl_out_text(out, NULL);
		ck_assert_ptr_nonnull(strstr(t, json ? "\"profile\": \"vmxnet2\"" : "culprit"));
		ck_assert_ptr_nonnull(strstr(t, "none")); /* the ports: not opened */
		ck_assert_ptr_null(strstr(t, SECRET));
	}
	ctl_out_reset(out);
	ck_assert_int_eq(h->watch_line(d, out), 0);
	t = ctl_out_text(out, NULL);
	ck_assert_msg(strstr(t, "guest DOWN wire DOWN"), "%s", t);
	emu_device_free(d);
}
END_TEST

Suite *suite_device(void)
{
	Suite *s = suite_create("device");
	TCase *tc = tcase_create("commands");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, lro_quirks_on_every_profile);
	tcase_add_test(tc, every_quirk_value);
	tcase_add_test(tc, no_cap_on_repeated_or_distinct_keys);
	tcase_add_test(tc, every_feature_on_and_off);
	tcase_add_test(tc, bad_profiles_change_nothing);
	tcase_add_test(tc, keys_stats_watch_show_no_secret);
	suite_add_tcase(s, tc);
	return s;
}
