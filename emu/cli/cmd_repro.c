// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vnicemu repro: a bug report as data. A scenario file (INI, docs/scenarios.md) names a guest
 * capture, the NIC profile, feature settings and quirks, the wire MTU and the keys, and what
 * the run must show: the culprit, verdict counts at the guest and on the wire, per-stage
 * counters, words of the explanation. Exit 0 when every expectation holds, 1 with the
 * differences when one does not, 2 when the file itself is wrong.
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "emu/cli/cli.h"
#include "emu/analysis/replay.h"

#define MAX_EXPECT 64
#define VAL_MAX	   256

struct expect {
	char key[96];
	char value[VAL_MAX];
	int line;
};

struct scenario {
	const char *path;
	char dir[512];
	char name[64], description[256];
	char capture[512], key_file[512], key[128], profile[128];
	char sets[64][96];
	unsigned nsets;
	unsigned wire_mtu;
	bool full_verify;
	struct expect expect[MAX_EXPECT];
	unsigned nexpect;
	const char *why; /* first parse error */
	int why_line;
};

/* A path in the scenario is relative to the scenario file's directory. */
static void resolve(const struct scenario *s, char *dst, size_t len, const char *v)
{
	if (v[0] == '/')
		snprintf(dst, len, "%s", v);
	else
		snprintf(dst, len, "%s/%s", s->dir, v);
}

static int on_entry(void *user, const char *section, const char *name, const char *value)
{
	struct scenario *s = user;

	if (!strcmp(section, "scenario")) {
		if (strlen(value) >= VAL_MAX) {
			s->why = "value too long";
			return 0;
		}
		if (!strcmp(name, "name"))
			snprintf(s->name, sizeof(s->name), "%s", value);
		else if (!strcmp(name, "description"))
			snprintf(s->description, sizeof(s->description), "%s", value);
		else if (!strcmp(name, "capture"))
			resolve(s, s->capture, sizeof(s->capture), value);
		else if (!strcmp(name, "key-file"))
			resolve(s, s->key_file, sizeof(s->key_file), value);
		else if (!strcmp(name, "key"))
			snprintf(s->key, sizeof(s->key), "%s", value);
		else if (!strcmp(name, "profile")) {
			/* a profile file next to the scenario, or a name */
			if (strchr(value, '/'))
				resolve(s, s->profile, sizeof(s->profile), value);
			else
				snprintf(s->profile, sizeof(s->profile), "%s", value);
		} else if (!strcmp(name, "wire-mtu")) {
			char *end;
			unsigned long v = strtoul(value, &end, 10);
			if (*end || v < 576 || v > 65535) {
				s->why = "wire-mtu: expected 576..65535";
				return 0;
			}
			s->wire_mtu = (unsigned)v;
		} else if (!strcmp(name, "set")) {
			if (s->nsets == 64 || strlen(value) >= sizeof(s->sets[0])) {
				s->why = "too many or too long set lines";
				return 0;
			}
			snprintf(s->sets[s->nsets++], sizeof(s->sets[0]), "%s", value);
		} else if (!strcmp(name, "full-verify")) {
			s->full_verify = !strcmp(value, "on") || !strcmp(value, "yes");
		} else {
			s->why = "unknown key in [scenario]";
			return 0;
		}
		return 1;
	}
	if (!strcmp(section, "expect")) {
		if (s->nexpect == MAX_EXPECT || strlen(name) >= sizeof(s->expect[0].key) ||
		    strlen(value) >= VAL_MAX) {
			s->why = "too many or too long expectations";
			return 0;
		}
		struct expect *e = &s->expect[s->nexpect++];
		snprintf(e->key, sizeof(e->key), "%s", name);
		snprintf(e->value, sizeof(e->value), "%s", value);
		return 1;
	}
	s->why = "unknown section (expected [scenario] or [expect])";
	return 0;
}

static int load(struct scenario *s, const char *path, char *err, size_t errlen)
{
	char tmp[512];

	memset(s, 0, sizeof(*s));
	s->path = path;
	s->wire_mtu = 1500;
	snprintf(s->profile, sizeof(s->profile), "vmxnet2");
	snprintf(tmp, sizeof(tmp), "%s", path);
	snprintf(s->dir, sizeof(s->dir), "%s", dirname(tmp));
	int r = ini_parse(path, on_entry, s);
	if (r == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno ? errno : ENOENT));
		return -ENOENT;
	}
	if (r) {
		snprintf(err, errlen, "%s:%d: %s", path, r, s->why ? s->why : "syntax error");
		return -EINVAL;
	}
	if (!*s->capture) {
		snprintf(err, errlen, "%s: [scenario] needs capture = FILE", path);
		return -EINVAL;
	}
	if (*s->key && *s->key_file) {
		snprintf(err, errlen, "%s: key and key-file are exclusive", path);
		return -EINVAL;
	}
	if (!s->nexpect) {
		snprintf(err, errlen, "%s: no [expect] section: nothing to check", path);
		return -EINVAL;
	}
	return 0;
}

/* ---- expectations ---- */

static int verdict_index(const char *name)
{
	for (int v = 0; v < MD5SIG_NVERDICTS; v++)
		if (!strcmp(md5sig_verdict_str(v), name))
			return v;
	return !strcmp(name, "frames") ? MD5SIG_NVERDICTS : -1;
}

static const struct offload_stage_stats *find_stage(const struct offload_stats *st, const char *n,
						    size_t len)
{
	for (unsigned i = 0; i < st->nstages; i++)
		if (strlen(st->stages[i].name) == len && !strncmp(st->stages[i].name, n, len))
			return &st->stages[i];
	return NULL;
}

/*
 * The value an expectation key names in a run's counters, as text in @got.
 * Return: 0, or -EINVAL for a key that names nothing (a bad scenario file).
 */
static int actual(const struct offload_stats *st, const char *key, char *got, size_t len)
{
	const char *dot = strchr(key, '.');

	if (!strcmp(key, "culprit")) {
		snprintf(got, len, "%s", st->culprit >= 0 ? st->stages[st->culprit].name : "none");
		return 0;
	}
	if (!dot)
		return -EINVAL;
	if (!strncmp(key, "guest.", 6) || !strncmp(key, "wire.", 5)) {
		const struct offload_tap_stats *t = key[0] == 'g' || !st->nstages
							    ? &st->guest
							    : &st->stages[st->nstages - 1].tap;
		int v = verdict_index(dot + 1);
		if (v < 0)
			return -EINVAL;
		snprintf(got, len, "%llu",
			 (unsigned long long)(v == MD5SIG_NVERDICTS ? t->frames : t->verdicts[v]));
		return 0;
	}
	const struct offload_stage_stats *s = find_stage(st, key, (size_t)(dot - key));
	const char *f = dot + 1;
	if (!s)
		return -EINVAL;
	unsigned long long v;
	if (!strcmp(f, "invalidated"))
		v = s->invalidated;
	else if (!strcmp(f, "created"))
		v = s->created;
	else if (!strcmp(f, "frames_in"))
		v = s->frames_in;
	else if (!strcmp(f, "frames_out"))
		v = s->frames_out;
	else if (!strcmp(f, "dropped"))
		v = s->dropped;
	else if (!strcmp(f, "enabled")) {
		snprintf(got, len, "%s", s->enabled ? "on" : "off");
		return 0;
	} else if (!strcmp(f, "why-contains")) {
		snprintf(got, len, "%s%s%s", s->has_why ? s->why.changed : "(no explanation)",
			 s->has_why ? " | " : "", s->has_why ? s->why.unchanged : "");
		return 0;
	} else if (!strncmp(f, "dropped.", 8)) {
		v = 0;
		for (unsigned d = 0; d < s->ndrops; d++)
			if (!strcmp(s->drops[d].reason, f + 8))
				v = s->drops[d].count;
	} else if (!strncmp(f, "md5.", 4) && verdict_index(f + 4) >= 0 &&
		   verdict_index(f + 4) < MD5SIG_NVERDICTS) {
		v = s->tap.verdicts[verdict_index(f + 4)];
	} else {
		return -EINVAL;
	}
	snprintf(got, len, "%llu", v);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s repro SCENARIO.ini [--verbose]\n"
		"  runs the scenario's capture through its profile and settings and checks its\n"
		"  [expect] section; exit 0 when it holds, 1 with the differences, 2 on a bad file.\n"
		"  See docs/scenarios.md.\n",
		prog);
}

int cmd_repro(int argc, char **argv)
{
	static const struct option opts[] = {
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct scenario *s = NULL;
	struct emu_replay_result *res = NULL;
	char err[1024], got[VAL_MAX + 300];
	bool verbose = false;
	int opt, code = EXIT_USAGE;

	while ((opt = cli_getopt("repro", argc, argv, ":", opts)) != -1) {
		switch (opt) {
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "%s repro: expected exactly one scenario file\n", prog);
		return EXIT_USAGE;
	}
	s = malloc(sizeof(*s));
	res = calloc(1, sizeof(*res));
	if (!s || !res) {
		fprintf(stderr, "%s repro: out of memory\n", prog);
		goto out;
	}
	if (load(s, argv[optind], err, sizeof(err))) {
		fprintf(stderr, "%s repro: %s\n", prog, err);
		goto out;
	}
	struct emu_replay_config cfg = {
		.in_path = s->capture,
		.profile = s->profile,
		.key = *s->key ? s->key : NULL,
		.key_file = *s->key_file ? s->key_file : NULL,
		.wire_mtu = s->wire_mtu,
		.verify = true,
		.full_verify = s->full_verify,
		.nsets = s->nsets,
	};
	for (unsigned i = 0; i < s->nsets; i++)
		cfg.sets[i] = s->sets[i];
	if (emu_replay(&cfg, res, err, sizeof(err))) {
		fprintf(stderr, "%s repro: %s: %s\n", prog, s->path, err);
		goto out;
	}
	/* every key must name something before any verdict is given */
	for (unsigned i = 0; i < s->nexpect; i++) {
		if (actual(&res->stats, s->expect[i].key, got, sizeof(got))) {
			fprintf(stderr, "%s repro: %s: [expect] %s: names no counter of this run\n",
				prog, s->path, s->expect[i].key);
			goto out;
		}
	}
	unsigned failed = 0;
	for (unsigned i = 0; i < s->nexpect; i++) {
		const struct expect *e = &s->expect[i];
		bool contains = strstr(e->key, "why-contains") != NULL;
		actual(&res->stats, e->key, got, sizeof(got));
		bool ok = contains ? strstr(got, e->value) != NULL : !strcmp(got, e->value);
		if (!ok) {
			if (!failed)
				printf("%s: scenario %s does NOT hold:\n", s->path, s->name);
			failed++;
			printf("  %s: expected %s%s, got %s\n", e->key,
			       contains ? "text with " : "", e->value, got);
		} else if (verbose) {
			printf("  %s = %s: ok\n", e->key, contains ? e->value : got);
		}
	}
	if (failed) {
		code = 1;
	} else {
		const struct offload_stats *st = &res->stats;
		printf("%s: scenario %s holds (%u expectations): culprit %s\n", s->path, s->name,
		       s->nexpect, st->culprit >= 0 ? st->stages[st->culprit].name : "none");
		if (st->culprit >= 0 && st->stages[st->culprit].has_why)
			printf("  %s changed: %s\n", st->stages[st->culprit].name,
			       st->stages[st->culprit].why.changed);
		code = 0;
	}
out:
	free(s);
	free(res);
	return code;
}
