// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The scenario model: a scenario file loaded and checked, the replay it describes, and its
 * expectations compared with what the run counted (emu/analysis/scenario.h).
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "emu/analysis/scenario.h"
#include "emu/capture/capture.h"
#include "emu/device/device.h"

#define VAL_MAX EMU_SCENARIO_VALUE_MAX

/* The keys of [scenario] given at most once; set and guest-addr may repeat. */
static const char *const once[] = {"name",    "description", "capture",	 "key-file",   "key",
				   "profile", "path",	     "wire-mtu", "full-verify"};
#define NONCE (sizeof(once) / sizeof(once[0]))

/* What emu_ini_parse() fills: the scenario, where each key of [scenario] was, the first error. */
struct load_ctx {
	struct emu_scenario *s;
	unsigned seen[NONCE]; /* line of each key of once[], or 0 */
	char why[320];
};

/* A path in the scenario is relative to the scenario file's directory. */
static void resolve(const struct emu_scenario *s, char *dst, size_t len, const char *v)
{
	if (v[0] == '/')
		snprintf(dst, len, "%s", v);
	else
		snprintf(dst, len, "%s/%s", s->dir, v);
}

/* Does @v name a file (a slash, or ending in .ini) rather than a profile's or path's name? */
static bool names_file(const char *v)
{
	size_t l = strlen(v);

	return strchr(v, '/') || (l > 4 && !strcmp(v + l - 4, ".ini"));
}

/* Path names as they are, path files (a slash, or .ini) relative to the scenario file. */
static int path_spec(struct emu_scenario *s, const char *v)
{
	char buf[sizeof(s->path_spec)], one[sizeof(s->path_spec)], *save = NULL;
	size_t o = 0;

	snprintf(buf, sizeof(buf), "%s", v);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (names_file(t))
			resolve(s, one, sizeof(one), t);
		else
			snprintf(one, sizeof(one), "%s", t);
		int n = snprintf(s->path_spec + o, sizeof(s->path_spec) - o, "%s%s", o ? "," : "",
				 one);
		if (n < 0 || (size_t)n >= sizeof(s->path_spec) - o)
			return -1;
		o += (size_t)n;
	}
	return 0;
}

/* A count: 0, or digits without a sign or a leading zero, that fit an unsigned long long. */
static bool is_count(const char *v)
{
	char *end;

	if (!(*v >= '1' && *v <= '9') && strcmp(v, "0"))
		return false;
	errno = 0;
	strtoull(v, &end, 10);
	return !*end && !errno;
}

/* What @key's value must be, and whether @v is that; a reason in @why if not. */
static bool valid_expectation(const char *key, const char *v, char *why, size_t len)
{
	const char *k = strncmp(key, "rx.", 3) ? key : key + 3;
	const char *field = strrchr(k, '.');

	if (!strcmp(k, "culprit")) {
		char names[160];
		size_t o = 0;

		if (!strcmp(v, "none") || offload_stage_find(v))
			return true;
		names[0] = '\0';
		for (unsigned i = 0; offload_stages[i] && o < sizeof(names); i++)
			o += (size_t)snprintf(names + o, sizeof(names) - o, ", %s",
					      offload_stages[i]->name);
		snprintf(why, len, "[expect] %s = %s: no such stage (expected none%s)", key, v,
			 names);
		return false;
	}
	if (strstr(k, "why-contains")) {
		if (*v)
			return true;
		snprintf(why, len, "[expect] %s: expected the text to look for", key);
		return false;
	}
	if (field && !strcmp(field, ".enabled")) {
		if (!strcmp(v, "on") || !strcmp(v, "off"))
			return true;
		snprintf(why, len, "[expect] %s = %s: expected on or off", key, v);
		return false;
	}
	if (is_count(v))
		return true;
	snprintf(why, len,
		 "[expect] %s = %s: expected a count (0, or digits without a sign or a leading "
		 "zero)",
		 key, v);
	return false;
}

static int on_scenario(struct load_ctx *c, unsigned line, const char *name, const char *value)
{
	struct emu_scenario *s = c->s;

	for (unsigned i = 0; i < NONCE; i++)
		if (!strcmp(name, once[i]) &&
		    emu_ini_once(&c->seen[i], line, name, c->why, sizeof(c->why)))
			return 0;
	if (strlen(value) >= VAL_MAX) {
		snprintf(c->why, sizeof(c->why), "value too long");
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
	else if (!strcmp(name, "path")) {
		if (path_spec(s, value)) {
			snprintf(c->why, sizeof(c->why), "path: too long");
			return 0;
		}
	} else if (!strcmp(name, "guest-addr")) {
		if (s->nguest_addrs == 8 || strlen(value) >= sizeof(s->guest_addrs[0])) {
			snprintf(c->why, sizeof(c->why), "too many or too long guest-addr lines");
			return 0;
		}
		snprintf(s->guest_addrs[s->nguest_addrs++], sizeof(s->guest_addrs[0]), "%s", value);
	} else if (!strcmp(name, "profile")) {
		/* a profile file next to the scenario, or a name */
		if (names_file(value))
			resolve(s, s->profile, sizeof(s->profile), value);
		else
			snprintf(s->profile, sizeof(s->profile), "%s", value);
	} else if (!strcmp(name, "wire-mtu")) {
		char *end;
		unsigned long v = strtoul(value, &end, 10);
		if (*end || !*value || *value == '-' || v < 576 || v > 65535) {
			snprintf(c->why, sizeof(c->why), "wire-mtu: expected 576..65535");
			return 0;
		}
		s->wire_mtu = (unsigned)v;
	} else if (!strcmp(name, "set")) {
		if (s->nsets == EMU_SCENARIO_SETS_MAX || strlen(value) >= sizeof(s->sets[0])) {
			snprintf(c->why, sizeof(c->why), "too many or too long set lines");
			return 0;
		}
		snprintf(s->sets[s->nsets++], sizeof(s->sets[0]), "%s", value);
	} else if (!strcmp(name, "full-verify")) {
		if (strcmp(value, "on") && strcmp(value, "off") && strcmp(value, "yes") &&
		    strcmp(value, "no")) {
			snprintf(c->why, sizeof(c->why), "full-verify: expected on or off");
			return 0;
		}
		s->full_verify = !strcmp(value, "on") || !strcmp(value, "yes");
	} else {
		snprintf(c->why, sizeof(c->why), "unknown key in [scenario]: %s", name);
		return 0;
	}
	return 1;
}

static int on_expect(struct load_ctx *c, unsigned line, const char *name, const char *value)
{
	struct emu_scenario *s = c->s;

	if (s->nexpect == EMU_SCENARIO_EXPECT_MAX || strlen(name) >= sizeof(s->expect[0].key) ||
	    strlen(value) >= VAL_MAX) {
		snprintf(c->why, sizeof(c->why), "too many or too long expectations");
		return 0;
	}
	/* a key has one value; only texts an explanation must contain add up */
	for (unsigned i = 0; i < s->nexpect && !strstr(name, "why-contains"); i++) {
		if (!strcmp(s->expect[i].key, name)) {
			snprintf(c->why, sizeof(c->why),
				 "[expect] %s given twice (first on line %u)", name,
				 s->expect[i].line);
			return 0;
		}
	}
	if (!valid_expectation(name, value, c->why, sizeof(c->why)))
		return 0;
	struct emu_expect *e = &s->expect[s->nexpect++];
	snprintf(e->key, sizeof(e->key), "%s", name);
	snprintf(e->value, sizeof(e->value), "%s", value);
	e->line = line;
	return 1;
}

static int on_entry(void *user, unsigned line, const char *section, const char *name,
		    const char *value)
{
	struct load_ctx *c = user;

	if (!strcmp(section, "scenario"))
		return on_scenario(c, line, name, value);
	if (!strcmp(section, "expect"))
		return on_expect(c, line, name, value);
	snprintf(c->why, sizeof(c->why), "unknown section [%s] (expected [scenario] or [expect])",
		 section);
	return 0;
}

int emu_scenario_parse(struct emu_scenario *s, const char *path, FILE *in, char *err, size_t errlen)
{
	struct load_ctx *c = calloc(1, sizeof(*c));
	char tmp[512], why[128];
	unsigned line;

	memset(s, 0, sizeof(*s));
	if (!c) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	c->s = s;
	snprintf(s->path, sizeof(s->path), "%s", path);
	s->wire_mtu = 1500;
	snprintf(s->profile, sizeof(s->profile), "vmxnet2");
	snprintf(tmp, sizeof(tmp), "%s", path);
	snprintf(s->dir, sizeof(s->dir), "%s", dirname(tmp));
	int r = emu_ini_parse(in, on_entry, c, &line, why, sizeof(why));
	if (r)
		snprintf(err, errlen, "%s:%u: %s", path, line, *why ? why : c->why);
	free(c);
	if (r)
		return -EINVAL;
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
	if (s->nguest_addrs && !*s->path_spec) {
		snprintf(err, errlen, "%s: guest-addr tells directions apart for a path", path);
		return -EINVAL;
	}
	return 0;
}

int emu_scenario_load(struct emu_scenario *s, const char *path, char *err, size_t errlen)
{
	FILE *f = emu_infile_open(path, err, errlen); /* a regular file of at most 1 MiB */

	if (!f) {
		memset(s, 0, sizeof(*s));
		return -errno;
	}
	int r = emu_scenario_parse(s, path, f, err, errlen);
	fclose(f);
	return r;
}

/* ---- expectations ---- */

static int verdict_index(const char *name)
{
	for (int v = 0; v < MD5SIG_NVERDICTS; v++)
		if (!strcmp(md5sig_verdict_str(v), name))
			return v;
	return !strcmp(name, "frames") ? MD5SIG_NVERDICTS : -1;
}

/* A TCP-AO verdict's index by name ("no-isn"), or -1 (malformed is counted with MD5's). */
static int ao_verdict_index(const char *name)
{
	for (int v = 0; v < MD5SIG_AO_MALFORMED; v++)
		if (!strcmp(md5sig_ao_verdict_str(v), name))
			return v;
	return -1;
}

/*
 * A tap's counter named @f: "VERDICT" or "md5.VERDICT" (RFC 2385, "malformed" and "frames"
 * too), or "ao.VERDICT" (RFC 5925). Return: 0 with *@v set, or -EINVAL.
 */
static int tap_counter(const struct offload_tap_stats *t, const char *f, unsigned long long *v)
{
	int i;

	if (!strncmp(f, "ao.", 3)) {
		if ((i = ao_verdict_index(f + 3)) < 0)
			return -EINVAL;
		*v = t->ao[i];
		return 0;
	}
	if (!strncmp(f, "md5.", 4))
		f += 4;
	if ((i = verdict_index(f)) < 0)
		return -EINVAL;
	*v = i == MD5SIG_NVERDICTS ? t->frames : t->verdicts[i];
	return 0;
}

static const struct offload_stage_stats *find_stage(const struct offload_stats *st, const char *n,
						    size_t len)
{
	for (unsigned i = 0; i < st->nstages; i++)
		if (strlen(st->stages[i].name) == len && !strncmp(st->stages[i].name, n, len))
			return &st->stages[i];
	return NULL;
}

/* @key of one pipeline's counters, whose first tap is named @in and last @out */
static int actual(const struct offload_stats *st, const char *key, const char *in, const char *out,
		  char *got, size_t len)
{
	const char *dot = strchr(key, '.');

	if (!strcmp(key, "culprit")) {
		snprintf(got, len, "%s", st->culprit >= 0 ? st->stages[st->culprit].name : "none");
		return 0;
	}
	if (!dot)
		return -EINVAL;
	size_t tl = (size_t)(dot - key);
	bool first = strlen(in) == tl && !strncmp(key, in, tl);
	if (first || (strlen(out) == tl && !strncmp(key, out, tl))) {
		const struct offload_tap_stats *t =
			first || !st->nstages ? &st->guest : &st->stages[st->nstages - 1].tap;
		unsigned long long v;
		if (tap_counter(t, dot + 1, &v))
			return -EINVAL;
		snprintf(got, len, "%llu", v);
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
	} else if (!strcmp(f, "invalidated_ao")) {
		v = s->invalidated_ao;
	} else if (!strncmp(f, "count.", 6)) {
		v = 0;
		for (unsigned c = 0; c < s->ncounts; c++)
			if (!strcmp(s->counts[c].name, f + 6))
				v = s->counts[c].count;
	} else if ((!strncmp(f, "md5.", 4) || !strncmp(f, "ao.", 3)) && strcmp(f, "md5.frames") &&
		   !tap_counter(&s->tap, f, &v)) {
		/* a stage's tap, by scheme */
	} else {
		return -EINVAL;
	}
	snprintf(got, len, "%llu", v);
	return 0;
}

int emu_scenario_actual(const struct emu_replay_result *res, const char *key, char *got, size_t len)
{
	if (strncmp(key, "rx.", 3))
		return actual(&res->stats, key, "guest", "wire", got, len);
	return res->has_rx ? actual(&res->rx, key + 3, "wire", "guest", got, len) : -EINVAL;
}

bool emu_scenario_holds(const struct emu_expect *e, const char *got)
{
	return strstr(e->key, "why-contains") ? strstr(got, e->value) != NULL
					      : !strcmp(got, e->value);
}

int emu_scenario_run(const struct emu_scenario *s, struct emu_scenario_result *res, char *err,
		     size_t errlen)
{
	char why[1024];
	struct emu_replay_config cfg = {
		.in_path = s->capture,
		.profile = s->profile,
		.path = *s->path_spec ? s->path_spec : NULL,
		.nguest_addrs = s->nguest_addrs,
		.key = *s->key ? s->key : NULL,
		.key_file = *s->key_file ? s->key_file : NULL,
		.wire_mtu = s->wire_mtu,
		.verify = true,
		.full_verify = s->full_verify,
		.nsets = s->nsets,
	};

	memset(res, 0, sizeof(*res));
	for (unsigned i = 0; i < s->nsets; i++)
		cfg.sets[i] = s->sets[i];
	for (unsigned i = 0; i < s->nguest_addrs; i++)
		cfg.guest_addrs[i] = s->guest_addrs[i];
	if (emu_replay(&cfg, &res->replay, why, sizeof(why))) {
		snprintf(err, errlen, "%s: %s", s->path, why);
		return -EINVAL;
	}
	/* a bug report's capture is whole: expectations about part of it prove nothing */
	if (res->replay.truncated) {
		emu_capin_cut_format(cfg.in_path, &res->replay.cut, why, sizeof(why));
		snprintf(err, errlen, "%s: %s", s->path, why);
		return -EINVAL;
	}
	/* every key must name something before any verdict is given */
	for (unsigned i = 0; i < s->nexpect; i++) {
		if (emu_scenario_actual(&res->replay, s->expect[i].key, res->outcome[i].got,
					sizeof(res->outcome[i].got))) {
			snprintf(err, errlen, "%s:%u: [expect] %s: names no counter of this run",
				 s->path, s->expect[i].line, s->expect[i].key);
			return -EINVAL;
		}
	}
	for (unsigned i = 0; i < s->nexpect; i++) {
		res->outcome[i].ok = emu_scenario_holds(&s->expect[i], res->outcome[i].got);
		res->failed += !res->outcome[i].ok;
	}
	return 0;
}

void emu_scenario_print(FILE *f, const struct emu_scenario *s,
			const struct emu_scenario_result *res, bool verbose)
{
	const struct offload_stats *st = &res->replay.stats;
	bool failed = false;

	for (unsigned i = 0; i < s->nexpect; i++) {
		const struct emu_expect *e = &s->expect[i];
		const char *got = res->outcome[i].got;
		bool contains = strstr(e->key, "why-contains") != NULL;

		if (!res->outcome[i].ok) {
			if (!failed)
				fprintf(f, "%s: scenario %s does NOT hold:\n", s->path, s->name);
			failed = true;
			fprintf(f, "  %s: expected %s%s, got %s\n", e->key,
				contains ? "text with " : "", e->value, got);
		} else if (verbose) {
			fprintf(f, "  %s = %s: ok\n", e->key, contains ? e->value : got);
		}
	}
	if (failed)
		return;
	fprintf(f, "%s: scenario %s holds (%u expectations): culprit %s\n", s->path, s->name,
		s->nexpect, st->culprit >= 0 ? st->stages[st->culprit].name : "none");
	if (st->culprit >= 0 && st->stages[st->culprit].has_why)
		fprintf(f, "  %s changed: %s\n", st->stages[st->culprit].name,
			st->stages[st->culprit].why.changed);
	const struct offload_stats *rx = &res->replay.rx;
	if (res->replay.has_rx)
		fprintf(f, "  receive (the peer's frames): culprit %s%s%s\n",
			rx->culprit >= 0 ? rx->stages[rx->culprit].name : "none",
			rx->culprit >= 0 && rx->stages[rx->culprit].has_why ? "; changed: " : "",
			rx->culprit >= 0 && rx->stages[rx->culprit].has_why
				? rx->stages[rx->culprit].why.changed
				: "");
}
