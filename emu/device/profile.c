// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * NIC profiles are INI files (libinih parses them: a small, well-kept parser Debian ships, so we
 * write none of our own). Sections: [profile] name, description, tx (stage order);
 * [features] ethtool name = on|off [fixed]; [STAGE] quirk defaults; [descriptors] how the
 * guest driver spreads a frame over descriptors. Path elements are no NIC's: a profile naming
 * one is refused (path.c joins them). The data directories are searched here for both.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emu/device/internal.h"

/* What emu_ini_parse() fills: the profile, where each entry was, the first error. */
struct load_ctx {
	struct emu_profile *p;
	unsigned name_line, desc_line, tx_line, rx_line, hc_line, fs_line;
	unsigned feature_line[OFFLOAD_NFEATURES];
	unsigned param_line[OFFLOAD_MAX_PARAMS];
	char why[256]; /* first error */
};

static bool parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "on")) {
		*out = true;
		return true;
	}
	if (!strcmp(v, "off")) {
		*out = false;
		return true;
	}
	return false;
}

int dev_parse_stage_list(char list[][EMU_NAME_MAX], unsigned *n, const char *v)
{
	char buf[256];
	char *save = NULL;

	snprintf(buf, sizeof(buf), "%s", v);
	*n = 0;
	for (char *t = strtok_r(buf, " ,\t", &save); t; t = strtok_r(NULL, " ,\t", &save)) {
		if (*n == OFFLOAD_MAX_STAGES || strlen(t) >= EMU_NAME_MAX)
			return -1;
		for (unsigned i = 0; i < *n; i++) {
			if (!strcmp(list[i], t)) {
				snprintf(list[*n], EMU_NAME_MAX, "%s", t); /* for the message */
				return -2;
			}
		}
		snprintf(list[(*n)++], EMU_NAME_MAX, "%s", t);
	}
	return 0;
}

/* A key given a second time: the line of the first, then this one takes it. */
static int once(struct load_ctx *c, unsigned *seen, unsigned line, const char *what)
{
	return emu_ini_once(seen, line, what, c->why, sizeof(c->why));
}

/* tx = / rx = : NIC stages the registry knows, each once. */
static int stage_list(struct load_ctx *c, bool tx, const char *value)
{
	struct emu_profile *p = c->p;
	char(*list)[EMU_NAME_MAX] = tx ? p->tx : p->rx;
	unsigned *n = tx ? &p->ntx : &p->nrx;
	int r = dev_parse_stage_list(list, n, value);

	if (r == -2) {
		snprintf(c->why, sizeof(c->why), "%s: %s listed twice", tx ? "tx" : "rx", list[*n]);
		return -1;
	}
	if (r) {
		snprintf(c->why, sizeof(c->why), "%s: more than %u stages, or a name too long",
			 tx ? "tx" : "rx", OFFLOAD_MAX_STAGES);
		return -1;
	}
	for (unsigned i = 0; i < *n; i++) {
		const struct offload_stage_ops *ops = offload_stage_find(list[i]);
		if (!ops) {
			snprintf(c->why, sizeof(c->why), "%s: no such stage '%s'", tx ? "tx" : "rx",
				 list[i]);
			return -1;
		}
		if (ops->receive) {
			snprintf(c->why, sizeof(c->why),
				 "%s: %s is a path element, not a NIC stage (see --path)",
				 tx ? "tx" : "rx", list[i]);
			return -1;
		}
	}
	return 0;
}

static int on_profile(struct load_ctx *c, unsigned line, const char *name, const char *value)
{
	struct emu_profile *p = c->p;

	if (!strcmp(name, "name")) {
		if (once(c, &c->name_line, line, "name"))
			return 0;
		snprintf(p->name, sizeof(p->name), "%s", value);
	} else if (!strcmp(name, "description")) {
		if (once(c, &c->desc_line, line, "description"))
			return 0;
		snprintf(p->description, sizeof(p->description), "%s", value);
	} else if (!strcmp(name, "tx") || !strcmp(name, "rx")) {
		bool tx = name[0] == 't';
		if (once(c, tx ? &c->tx_line : &c->rx_line, line, name) || stage_list(c, tx, value))
			return 0;
	} else {
		snprintf(c->why, sizeof(c->why), "unknown key in [profile]: %s", name);
		return 0;
	}
	return 1;
}

static int on_feature(struct load_ctx *c, unsigned line, const char *name, const char *value)
{
	struct emu_profile *p = c->p;
	int f = offload_feature_find(name);
	char v[32];
	bool on;

	if (f < 0) {
		snprintf(c->why, sizeof(c->why), "unknown feature '%s'", name);
		return 0;
	}
	if (offload_feature_info(f)->dir == OFFLOAD_DIR_PATH) {
		snprintf(c->why, sizeof(c->why),
			 "%s: a path element, not a NIC feature (see --path)", name);
		return 0;
	}
	if (once(c, &c->feature_line[f], line, offload_feature_name(f)))
		return 0;
	snprintf(v, sizeof(v), "%s", value);
	char *sp = strpbrk(v, " \t");
	bool fixed = false;
	if (sp) {
		*sp++ = '\0';
		sp += strspn(sp, " \t");
		if (strcmp(sp, "fixed") && strcmp(sp, "[fixed]")) {
			snprintf(c->why, sizeof(c->why), "%s: expected on|off [fixed]", name);
			return 0;
		}
		fixed = true;
	}
	if (!parse_bool(v, &on)) {
		snprintf(c->why, sizeof(c->why), "%s: expected on|off [fixed]", name);
		return 0;
	}
	p->on[f] = on;
	p->fixed[f] = fixed;
	return 1;
}

static int on_descriptors(struct load_ctx *c, unsigned line, const char *name, const char *value)
{
	struct emu_profile *p = c->p;
	char *end;
	unsigned long n = strtoul(value, &end, 0);
	bool hc = !strcmp(name, "header_copy");

	if (!hc && strcmp(name, "fragment_size")) {
		snprintf(c->why, sizeof(c->why), "unknown key in [descriptors]: %s", name);
		return 0;
	}
	if (!*value || *end || *value == '-' || n > 65536) {
		snprintf(c->why, sizeof(c->why), "%s: expected a number up to 65536", name);
		return 0;
	}
	if (once(c, hc ? &c->hc_line : &c->fs_line, line, name))
		return 0;
	*(hc ? &p->header_copy : &p->fragment_size) = (unsigned)n;
	return 1;
}

/* [STAGE] NAME = VALUE: a NIC stage's quirk default, checked against its table. */
static int on_param(struct load_ctx *c, unsigned line, const char *section, const char *name,
		    const char *value)
{
	struct emu_profile *p = c->p;
	const struct offload_stage_ops *ops = offload_stage_find(section);
	char key[sizeof(p->params[0].key)];

	if (!ops) {
		snprintf(c->why, sizeof(c->why),
			 "unknown section [%s] (expected profile, features, descriptors or a "
			 "stage's name)",
			 section);
		return 0;
	}
	if (ops->receive) {
		snprintf(c->why, sizeof(c->why),
			 "[%s]: a path element's parameters belong in a path file (see --path)",
			 section);
		return 0;
	}
	if (strlen(section) + strlen(name) + 2 > sizeof(key) ||
	    strlen(value) >= sizeof(p->params[0].value)) {
		snprintf(c->why, sizeof(c->why), "[%s] %s: name or value too long", section, name);
		return 0;
	}
	snprintf(key, sizeof(key), "%s.%s", section, name);
	for (unsigned i = 0; i < p->nparams; i++)
		if (!strcmp(p->params[i].key, key))
			return !once(c, &c->param_line[i], line, key);
	if (offload_param_check(key, value, c->why, sizeof(c->why)))
		return 0;
	if (p->nparams == OFFLOAD_MAX_PARAMS) {
		snprintf(c->why, sizeof(c->why), "more than %u stage parameters",
			 OFFLOAD_MAX_PARAMS);
		return 0;
	}
	memcpy(p->params[p->nparams].key, key, sizeof(key));
	memcpy(p->params[p->nparams].value, value, strlen(value) + 1);
	c->param_line[p->nparams++] = line;
	return 1;
}

static int on_entry(void *user, unsigned line, const char *section, const char *name,
		    const char *value)
{
	struct load_ctx *c = user;

	if (!strcmp(section, "profile"))
		return on_profile(c, line, name, value);
	if (!strcmp(section, "features"))
		return on_feature(c, line, name, value);
	if (!strcmp(section, "descriptors"))
		return on_descriptors(c, line, name, value);
	return on_param(c, line, section, name, value);
}

static bool in_list(const char list[][EMU_NAME_MAX], unsigned n, const char *key)
{
	size_t l = strcspn(key, ".");

	if (l >= EMU_NAME_MAX)
		return false;
	for (unsigned i = 0; i < n; i++)
		if (!strncmp(list[i], key, l) && list[i][l] == '\0')
			return true;
	return false;
}

int emu_profile_parse(struct emu_profile *p, const char *file, FILE *in, char *err, size_t errlen)
{
	struct load_ctx *c = calloc(1, sizeof(*c));
	char why[128];
	unsigned line;
	int ret = -EINVAL;

	memset(p, 0, sizeof(*p));
	snprintf(p->path, sizeof(p->path), "%s", file);
	if (!c) {
		snprintf(err, errlen, "%s: out of memory", file);
		return -ENOMEM;
	}
	c->p = p;
	if (emu_ini_parse(in, on_entry, c, &line, why, sizeof(why))) {
		snprintf(err, errlen, "%s:%u: %s", file, line, *why ? why : c->why);
		goto out;
	}
	if (!*p->name || !p->ntx) {
		snprintf(err, errlen, "%s: a profile needs [profile] name and tx (it has no %s)",
			 file, !*p->name ? "name" : "tx");
		goto out;
	}
	if (!p->nrx) {
		const char *def[OFFLOAD_MAX_STAGES];
		unsigned n = offload_default_stages(OFFLOAD_DIR_RX, def, OFFLOAD_MAX_STAGES);

		for (; p->nrx < n && p->nrx < OFFLOAD_MAX_STAGES; p->nrx++)
			snprintf(p->rx[p->nrx], EMU_NAME_MAX, "%s", def[p->nrx]);
	}
	/* a stage's quirks where the profile has no such stage: a typo, or a stage forgotten */
	for (unsigned i = 0; i < p->nparams; i++) {
		const char *key = p->params[i].key;
		if (!in_list(p->tx, p->ntx, key) && !in_list(p->rx, p->nrx, key)) {
			snprintf(err, errlen,
				 "%s:%u: [%.*s]: a stage the profile does not list (tx = or rx =)",
				 file, c->param_line[i], (int)strcspn(key, "."), key);
			goto out;
		}
	}
	ret = 0;
out:
	free(c);
	return ret;
}

static int load_file(struct emu_profile *p, const char *path, char *err, size_t errlen)
{
	FILE *f = emu_infile_open(path, err, errlen); /* a regular file of at most 1 MiB */

	if (!f) {
		memset(p, 0, sizeof(*p));
		return -errno;
	}
	int r = emu_profile_parse(p, path, f, err, errlen);
	fclose(f);
	return r;
}

/* ---- data files: profiles here, paths in path.c ---- */

#ifndef VNICEMU_SOURCE_PROFILES /* only a build that may look into its source tree has these */
#define VNICEMU_SOURCE_PROFILES NULL
#define VNICEMU_SOURCE_PATHS	NULL
#endif

const struct dev_data_kind dev_profiles = {"profile", "profiles", "VNICEMU_PROFILE_PATH",
					   VNICEMU_SOURCE_PROFILES, VNICEMU_INSTALLED_PROFILES};
const struct dev_data_kind dev_paths = {"path", "--list-paths", "VNICEMU_PATH_PATH",
					VNICEMU_SOURCE_PATHS, VNICEMU_INSTALLED_PATHS};

/* The search path: $ENV (colon-separated), the source tree, the install. */
static unsigned data_dirs(const struct dev_data_kind *k, const char *dirs[], unsigned max,
			  char *envbuf, size_t envlen)
{
	unsigned n = 0;
	const char *env = getenv(k->env);

	if (env && *env) {
		snprintf(envbuf, envlen, "%s", env);
		char *save = NULL;
		for (char *t = strtok_r(envbuf, ":", &save); t && n < max - 2;
		     t = strtok_r(NULL, ":", &save))
			dirs[n++] = t;
	}
	if (k->source)
		dirs[n++] = k->source;
	dirs[n++] = k->installed;
	return n;
}

int dev_data_find(const struct dev_data_kind *k, const char *name, char *file, size_t filelen,
		  char *err, size_t errlen)
{
	const char *dirs[16];
	char envbuf[1024];

	size_t len = strlen(name);

	/* a file: a path, or a name ending in .ini (relative to the current directory) */
	if (strchr(name, '/') || (len > 4 && !strcmp(name + len - 4, ".ini"))) {
		snprintf(file, filelen, "%s", name);
		return 0;
	}
	for (const char *c = name; *c; c++) {
		if (!(*c >= 'a' && *c <= 'z') && !(*c >= '0' && *c <= '9') && *c != '-' &&
		    *c != '_') {
			snprintf(err, errlen, "bad %s name '%s'", k->what, name);
			return -EINVAL;
		}
	}
	unsigned n = data_dirs(k, dirs, 16, envbuf, sizeof(envbuf));
	for (unsigned i = 0; i < n; i++) {
		snprintf(file, filelen, "%s/%s.ini", dirs[i], name);
		if (access(file, R_OK) == 0) /* not fopen(): a FIFO would block here */
			return 0;
	}
	snprintf(err, errlen, "unknown %s '%s' (see 'vnicemu %s')", k->what, name, k->listing);
	return -ENOENT;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

unsigned dev_data_foreach(const struct dev_data_kind *k,
			  int (*load)(const char *file, void *arg, char *err, size_t errlen),
			  void (*warn)(const char *msg, void *arg), void *arg)
{
	const char *dirs[16];
	char envbuf[1024], path[512], msg[1200];
	char *seen[64];
	const char *seen_dir[64];
	unsigned nseen = 0;
	unsigned n = data_dirs(k, dirs, 16, envbuf, sizeof(envbuf));

	for (unsigned i = 0; i < n; i++) {
		DIR *d = opendir(dirs[i]);
		struct dirent *de;
		char *names[64];
		unsigned nn = 0;

		if (!d)
			continue;
		while ((de = readdir(d))) {
			size_t l = strlen(de->d_name);
			if (l <= 4 || strcmp(de->d_name + l - 4, ".ini"))
				continue;
			if (nn == 64) {
				snprintf(msg, sizeof(msg),
					 "%s: more than 64 %s files: some are skipped", dirs[i],
					 k->what);
				if (warn)
					warn(msg, arg);
				break;
			}
			names[nn++] = strndup(de->d_name, l - 4);
		}
		closedir(d);
		qsort(names, nn, sizeof(names[0]), cmp_names);
		for (unsigned j = 0; j < nn; j++) {
			int dup = -1;
			for (unsigned s = 0; s < nseen; s++)
				if (!strcmp(seen[s], names[j]))
					dup = (int)s;
			snprintf(path, sizeof(path), "%s/%s.ini", dirs[i], names[j]);
			if (dup >= 0 && warn) {
				snprintf(
					msg, sizeof(msg),
					"%s: hidden by %s/%s.ini (the same name: the first found is "
					"used)",
					path, seen_dir[dup], names[j]);
				warn(msg, arg);
			}
			/* a file that does not load hides nothing of the same name found later */
			if (dup >= 0 || nseen == 64 || load(path, arg, msg, sizeof(msg))) {
				if (dup < 0 && nseen < 64 && warn)
					warn(msg, arg);
				free(names[j]);
				continue;
			}
			seen_dir[nseen] = dirs[i];
			seen[nseen++] = names[j];
		}
	}
	for (unsigned s = 0; s < nseen; s++)
		free(seen[s]);
	return nseen;
}

int emu_profile_load(struct emu_profile *p, const char *name, char *err, size_t errlen)
{
	char file[512];
	int ret = dev_data_find(&dev_profiles, name, file, sizeof(file), err, errlen);

	return ret ? ret : load_file(p, file, err, errlen);
}

struct foreach_ctx {
	struct emu_profile *p;
	void (*fn)(const struct emu_profile *p, void *arg);
	void (*warn)(const char *msg, void *arg);
	void *arg;
	char names[64][EMU_NAME_MAX]; /* [profile] names listed so far */
	char *files[64];	      /* ...and their files */
	unsigned n;
};

static void foreach_warn(const char *msg, void *arg)
{
	struct foreach_ctx *c = arg;

	if (c->warn)
		c->warn(msg, c->arg);
}

static int foreach_load(const char *file, void *arg, char *err, size_t errlen)
{
	struct foreach_ctx *c = arg;

	if (load_file(c->p, file, err, errlen))
		return -1;
	/* --profile finds a file by its name: one saying another name is listed as that */
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	if (strlen(base) != strlen(c->p->name) + 4 || strncmp(base, c->p->name, strlen(base) - 4)) {
		char msg[1200];
		snprintf(msg, sizeof(msg), "%s: name = %s, but --profile finds it as %.*s", file,
			 c->p->name, (int)strlen(base) - 4, base);
		foreach_warn(msg, c);
	}
	/* two files with one [profile] name: listed twice, told apart only by their files */
	for (unsigned i = 0; i < c->n; i++) {
		if (strcmp(c->names[i], c->p->name))
			continue;
		char msg[1200];
		snprintf(msg, sizeof(msg), "%s: name = %s, as in %s", file, c->p->name,
			 c->files[i]);
		foreach_warn(msg, c);
		break;
	}
	if (c->n < 64 && (c->files[c->n] = strdup(file)))
		memcpy(c->names[c->n++], c->p->name, EMU_NAME_MAX);
	c->fn(c->p, c->arg);
	return 0;
}

unsigned emu_profile_foreach(void (*fn)(const struct emu_profile *p, void *arg),
			     void (*warn)(const char *msg, void *arg), void *arg)
{
	struct foreach_ctx *c = calloc(1, sizeof(*c));

	if (!c || !(c->p = malloc(sizeof(struct emu_profile)))) {
		free(c);
		return 0;
	}
	c->fn = fn;
	c->warn = warn;
	c->arg = arg;
	unsigned n = dev_data_foreach(&dev_profiles, foreach_load, foreach_warn, c);
	for (unsigned i = 0; i < c->n; i++)
		free(c->files[i]);
	free(c->p);
	free(c);
	return n;
}

int emu_profile_config(const struct emu_profile *p, bool rx, struct offload_config *cfg, char *err,
		       size_t errlen)
{
	const char(*list)[EMU_NAME_MAX] = rx ? p->rx : p->tx;
	unsigned n = rx ? p->nrx : p->ntx;

	if (n + p->npath > OFFLOAD_MAX_STAGES) {
		snprintf(err, errlen, "profile %s and path %s: more than %u stages", p->name,
			 p->path_name, OFFLOAD_MAX_STAGES);
		return -EINVAL;
	}
	/* the path sits between the NIC and the wire: after the transmit stages, and the
	 * receive halves in reverse order before the receive stages */
	cfg->nstages = 0;
	for (unsigned i = 0; rx && i < p->npath; i++)
		cfg->stages[cfg->nstages++] = p->path_stages[p->npath - 1 - i];
	for (unsigned i = 0; i < n; i++)
		cfg->stages[cfg->nstages++] = list[i];
	for (unsigned i = 0; !rx && i < p->npath; i++)
		cfg->stages[cfg->nstages++] = p->path_stages[i];
	cfg->dir = rx ? OFFLOAD_DIR_RX : OFFLOAD_DIR_TX;
	memcpy(cfg->requested, p->on, sizeof(cfg->requested));
	memcpy(cfg->fixed, p->fixed, sizeof(cfg->fixed));
	/* each direction takes the parameters of its own stages, the path's go to the transmit
	 * pipeline (the receive one shares its instances); a stage in none is a typo */
	cfg->nparams = 0;
	for (unsigned i = 0; i < p->nparams; i++) {
		const char *key = p->params[i].key;
		bool on_path = in_list(p->path_stages, p->npath, key);
		if (!in_list(p->tx, p->ntx, key) && !in_list(p->rx, p->nrx, key) && !on_path &&
		    offload_stage_find_prefix(key)) {
			snprintf(err, errlen, "%s: stage '%.*s' is not in profile %s%s%s", key,
				 (int)strcspn(key, "."), key, p->name, p->npath ? " or path " : "",
				 p->path_name);
			return -EINVAL;
		}
		if (!(rx ? in_list(list, n, key) : in_list(list, n, key) || on_path) &&
		    offload_stage_find_prefix(key))
			continue;
		cfg->params[cfg->nparams].key = key;
		cfg->params[cfg->nparams].value = p->params[i].value;
		cfg->nparams++;
	}
	return 0;
}

int emu_profile_set(struct emu_profile *p, const char *arg, char *err, size_t errlen)
{
	const char *eq = strchr(arg, '=');
	char key[sizeof(p->params[0].key)];

	if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof(key) || !eq[1]) {
		snprintf(err, errlen, "--set %s: expected FEATURE=on|off or STAGE.PARAM=VALUE",
			 arg);
		return -EINVAL;
	}
	memcpy(key, arg, (size_t)(eq - arg));
	key[eq - arg] = '\0';
	if (strchr(key, '.')) {
		/* a key set again replaces the value in force (its last entry), so the limit
		 * counts distinct keys; a new key is appended and overrides the profile's */
		unsigned i = p->nparams;
		for (unsigned k = 0; k < p->nparams; k++)
			if (!strcmp(p->params[k].key, key))
				i = k;
		if (i == OFFLOAD_MAX_PARAMS || strlen(eq + 1) >= sizeof(p->params[0].value)) {
			snprintf(err, errlen, "--set %s: too many or too long parameters", arg);
			return -EINVAL;
		}
		memcpy(p->params[i].key, key, sizeof(key));
		snprintf(p->params[i].value, sizeof(p->params[0].value), "%s", eq + 1);
		if (i == p->nparams)
			p->nparams++;
		return 0;
	}
	int f = offload_feature_find(key);
	bool on;
	if (f < 0) {
		char known[256];

		offload_features_list(known, sizeof(known));
		snprintf(err, errlen, "--set %s: unknown feature '%s' (%s or their ethtool names)",
			 arg, key, known);
		return -EINVAL;
	}
	const struct offload_feature_info *fi = offload_feature_info(f);
	if (fi->dir == OFFLOAD_DIR_PATH && !in_list(p->path_stages, p->npath, fi->stage->name)) {
		snprintf(err, errlen, "--set %s: %s is a path element, and no --path has it", arg,
			 fi->stage->name);
		return -EINVAL;
	}
	if (!parse_bool(eq + 1, &on)) {
		snprintf(err, errlen, "--set %s: expected on or off", arg);
		return -EINVAL;
	}
	if (p->fixed[f] && on != p->on[f]) {
		snprintf(err, errlen, "--set %s: %s is [fixed] %s in profile %s", arg,
			 offload_feature_name(f), p->on[f] ? "on" : "off", p->name);
		return -EINVAL;
	}
	p->on[f] = on;
	return 0;
}
