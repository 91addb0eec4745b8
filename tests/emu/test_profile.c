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

Suite *suite_profile(void)
{
	Suite *s = suite_create("profile");
	TCase *tc = tcase_create("profile");

	tcase_add_test(tc, receive_stages_default_to_the_registry);
	tcase_add_test(tc, set_repeated_key_replaces_its_value);
	tcase_add_test(tc, set_limit_counts_distinct_keys);
	tcase_add_test(tc, unknown_feature_names_the_registry_features);
	suite_add_tcase(s, tc);
	return s;
}
