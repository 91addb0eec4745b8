// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Profiles where they read the offload registry (default receive stages, feature names in
 * messages) and where `--set` keeps its entries: a key given again replaces its value, so the
 * limit counts distinct keys.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "emu/device/device.h"
#include "tests/suites.h"

static struct emu_profile *load(const char *name)
{
	struct emu_profile *p = malloc(sizeof(*p));
	char err[512] = "";

	ck_assert_ptr_nonnull(p);
	ck_assert_msg(emu_profile_load(p, name, err, sizeof(err)) == 0, "%s", err);
	return p;
}

/* The value in force for @key: the last entry the pipeline's configuration gets. */
static const char *in_force(const struct emu_profile *p, const char *key)
{
	static struct offload_config cfg;
	const char *v = NULL;
	char err[256];

	memset(&cfg, 0, sizeof(cfg));
	ck_assert_int_eq(emu_profile_config(p, false, &cfg, err, sizeof(err)), 0);
	for (unsigned i = 0; i < cfg.nparams; i++)
		if (!strcmp(cfg.params[i].key, key))
			v = cfg.params[i].value;
	return v;
}

/* vmxnet2.ini names no receive stages: it gets the registry's (rx-csum, then lro). */
START_TEST(receive_stages_default_to_the_registry)
{
	struct emu_profile *p = load("vmxnet2");

	ck_assert_uint_eq(p->nrx, 2);
	ck_assert_str_eq(p->rx[0], "rx-csum");
	ck_assert_str_eq(p->rx[1], "lro");
	free(p);
}
END_TEST

START_TEST(set_repeated_key_replaces_its_value)
{
	static const char *const v[] = {"qemu", "copy", "e1000", "linux"};
	struct emu_profile *p = load("vmxnet2");
	unsigned n0 = p->nparams;
	char err[256], arg[64];

	ck_assert_str_eq(in_force(p, "tso.flags"), "linux");
	for (unsigned i = 0; i < 4 * OFFLOAD_MAX_PARAMS; i++) {
		snprintf(arg, sizeof(arg), "tso.flags=%s", v[i % 4]);
		ck_assert_msg(emu_profile_set(p, arg, err, sizeof(err)) == 0, "%u: %s", i, err);
		ck_assert_str_eq(in_force(p, "tso.flags"), v[i % 4]);
	}
	/* the profile's own entry took the values */
	ck_assert_uint_eq(p->nparams, n0);
	ck_assert_int_eq(emu_profile_set(p, "lro.options=any", err, sizeof(err)), 0);
	ck_assert_int_eq(emu_profile_set(p, "lro.options=linux", err, sizeof(err)), 0);
	ck_assert_uint_eq(p->nparams, n0 + 1);
	free(p);
}
END_TEST

START_TEST(set_limit_counts_distinct_keys)
{
	struct emu_profile *p = load("vmxnet2");
	unsigned n0 = p->nparams;
	char err[256] = "", arg[64];

	for (unsigned i = n0; i < OFFLOAD_MAX_PARAMS; i++) {
		snprintf(arg, sizeof(arg), "stage%u.param=1", i);
		ck_assert_msg(emu_profile_set(p, arg, err, sizeof(err)) == 0, "%s", err);
	}
	ck_assert_int_eq(emu_profile_set(p, "one.more=1", err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "--set one.more=1: too many or too long parameters");
	/* a key already there is no new entry */
	ck_assert_int_eq(emu_profile_set(p, "stage31.param=2", err, sizeof(err)), 0);
	ck_assert_int_eq(emu_profile_set(p, "tso.md5=strip", err, sizeof(err)), 0);
	free(p);
}
END_TEST

START_TEST(unknown_feature_names_the_registry_features)
{
	struct emu_profile *p = load("vmxnet2");
	char err[256] = "";

	ck_assert_int_eq(emu_profile_set(p, "gro=on", err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err,
			 "--set gro=on: unknown feature 'gro' (sg, tso, tx, rx, lro, optstrip, "
			 "seqrand, nat, window, mss-clamp, fragment or their ethtool names)");
	/* a path element's feature is known, but only a path has the element */
	ck_assert_int_eq(emu_profile_set(p, "seqrand=off", err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "--set seqrand=off: seqrand is a path element, and no --path has it");
	free(p);
}
END_TEST

/* Parse @text as a profile (or, @path, a path file) from memory; the error, or "" on success. */
static const char *parse(const char *text, bool path)
{
	static char err[512];
	struct emu_profile *p = malloc(sizeof(*p));
	struct emu_path *pa = malloc(sizeof(*pa));
	FILE *in = fmemopen((void *)text, strlen(text), "r");

	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(pa);
	ck_assert_ptr_nonnull(in);
	err[0] = '\0';
	int r = path ? emu_path_parse(pa, "t.ini", in, err, sizeof(err))
		     : emu_profile_parse(p, "t.ini", in, err, sizeof(err));
	ck_assert_int_eq(r != 0, err[0] != '\0');
	fclose(in);
	free(p);
	free(pa);
	return err;
}

/* Issue 11 item 19: every error in a profile names the file and its line. */
START_TEST(profile_errors_name_file_and_line)
{
	static const struct {
		const char *text, *err;
	} bad[] = {
		{"[profile]\nname = x\ntx = sg tso tso\n", "t.ini:3: tx: tso listed twice"},
		{"[profile]\nname = x\ntx = sg\nrx = lro lro\n", "t.ini:4: rx: lro listed twice"},
		{"[profile]\nname = x\ntx = sg tsoo\n", "t.ini:3: tx: no such stage 'tsoo'"},
		{"[profile]\nname = x\ntx = sg nat\n",
		 "t.ini:3: tx: nat is a path element, not a NIC stage (see --path)"},
		{"[profile]\nname = x\nname = y\ntx = sg\n",
		 "t.ini:3: name given twice (first on line 2)"},
		{"[profile]\nname = x\ntx = sg\ntx = tso\n",
		 "t.ini:4: tx given twice (first on line 3)"},
		{"[profile]\nname = x\nfrob = 1\n", "t.ini:3: unknown key in [profile]: frob"},
		{"[profile]\nname = x\ntx = sg\n[features]\nsg = on\nscatter-gather = off\n",
		 "t.ini:6: scatter-gather given twice (first on line 5)"},
		{"[features]\ngro = on\n", "t.ini:2: unknown feature 'gro'"},
		{"[features]\ntso = maybe\n", "t.ini:2: tso: expected on|off [fixed]"},
		{"[features]\ntso = on always\n", "t.ini:2: tso: expected on|off [fixed]"},
		{"[features]\nseqrand = on\n",
		 "t.ini:2: seqrand: a path element, not a NIC feature (see --path)"},
		{"[descriptors]\nheader_copy = 70000\n",
		 "t.ini:2: header_copy: expected a number up to 65536"},
		{"[descriptors]\nheader_copy = -1\n",
		 "t.ini:2: header_copy: expected a number up to 65536"},
		{"[descriptors]\nheader_copy = 1\nheader_copy = 2\n",
		 "t.ini:3: header_copy given twice (first on line 2)"},
		{"[descriptors]\nrings = 2\n", "t.ini:2: unknown key in [descriptors]: rings"},
		{"[profile]\nname = x\ntx = sg tso\n[tso]\nflags = sideways\n",
		 "t.ini:5: bad value 'sideways' for tso.flags (expected linux|qemu|copy|e1000)"},
		{"[profile]\nname = x\ntx = sg tso\n[tso]\nflag = linux\n",
		 "t.ini:5: unknown parameter 'tso.flag' (tso takes: flags, ipid, md5)"},
		{"[profile]\nname = x\ntx = sg tso\n[tso]\nflags = linux\nflags = qemu\n",
		 "t.ini:6: tso.flags given twice (first on line 5)"},
		{"[profile]\nname = x\ntx = sg tso\n[bogus]\nx = 1\n",
		 "t.ini:5: unknown section [bogus] (expected profile, features, descriptors or a "
		 "stage's name)"},
		{"[profile]\nname = x\ntx = sg\n[nat]\nsource_from = 192.0.2.1\n",
		 "t.ini:5: [nat]: a path element's parameters belong in a path file (see --path)"},
		/* quirks of a stage the profile does not list: found after the whole file */
		{"[tso]\nmd5 = resign\n[profile]\nname = x\ntx = sg tx-csum\n",
		 "t.ini:2: [tso]: a stage the profile does not list (tx = or rx =)"},
		{"[profile]\nname = x\ntx sg\n",
		 "t.ini:3: syntax error (expected [SECTION], NAME = VALUE or a # comment)"},
		{"[profile]\nname = x\n",
		 "t.ini: a profile needs [profile] name and tx (it has no tx)"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_str_eq(parse(bad[i].text, false), bad[i].err);

	char text[512];
	snprintf(text, sizeof(text), "[profile]\nname = x\ndescription = %0250d\ntx = sg\n", 0);
	ck_assert_str_eq(parse(text, false), "t.ini:3: line too long (more than 199 characters)");
	/* 199 characters and a newline is a line libinih takes whole */
	snprintf(text, sizeof(text), "[profile]\nname = x\n; %0197d\ntx = sg\n", 0);
	ck_assert_uint_eq(strcspn(strchr(text, ';'), "\n"), 199);
	ck_assert_str_eq(parse(text, false), "");
	ck_assert_str_eq(parse("[profile]\nname = x\ntx = sg\n[lro]\nmax_size = 9000\n", false),
			 "");
}
END_TEST

/* Path files are parsed the same way. */
START_TEST(path_errors_name_file_and_line)
{
	ck_assert_str_eq(parse("[path]\nname = p\nelements = nat nat\n", true),
			 "t.ini:3: elements: nat listed twice");
	ck_assert_str_eq(
		parse("[path]\nname = p\nelements = nat\n[nat]\nsource_to = a\nsource_to = b\n",
		      true),
		"t.ini:6: nat.source_to given twice (first on line 5)");
	ck_assert_str_eq(
		parse("[path]\nname = p\nelements = seqrand\n[seqrand]\nsack = sideways\n", true),
		"t.ini:5: bad value 'sideways' for seqrand.sack (expected keep|shift)");
	ck_assert_str_eq(parse("[path]\nname = p\nname = q\n", true),
			 "t.ini:3: name given twice (first on line 2)");
	ck_assert_str_eq(parse("[path]\nname = p\nelements = nat, seqrand\n", true), "");
}
END_TEST

/* A name ending in .ini is a file, found from the current directory as with a slash. */
START_TEST(profile_file_without_a_slash)
{
	char dir[] = "/tmp/vnicemu-profile-XXXXXX", cwd[512], err[512];
	struct emu_profile *p = malloc(sizeof(*p));

	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	ck_assert_int_eq(chdir(dir), 0);
	FILE *f = fopen("my.ini", "w");
	ck_assert_ptr_nonnull(f);
	fputs("[profile]\nname = mine\ntx = sg tso\n", f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_msg(emu_profile_load(p, "my.ini", err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(p->name, "mine");
	ck_assert_int_eq(emu_profile_load(p, "nosuch.ini", err, sizeof(err)), -ENOENT);
	ck_assert_str_eq(err, "nosuch.ini: No such file or directory");
	ck_assert_int_eq(unlink("my.ini"), 0);
	ck_assert_int_eq(chdir(cwd), 0);
	ck_assert_int_eq(rmdir(dir), 0);
	free(p);
}
END_TEST

Suite *suite_profile(void)
{
	Suite *s = suite_create("profile");
	TCase *tc = tcase_create("profile");

	tcase_add_test(tc, receive_stages_default_to_the_registry);
	tcase_add_test(tc, set_repeated_key_replaces_its_value);
	tcase_add_test(tc, set_limit_counts_distinct_keys);
	tcase_add_test(tc, unknown_feature_names_the_registry_features);
	tcase_add_test(tc, profile_errors_name_file_and_line);
	tcase_add_test(tc, path_errors_name_file_and_line);
	tcase_add_test(tc, profile_file_without_a_slash);
	suite_add_tcase(s, tc);
	return s;
}
