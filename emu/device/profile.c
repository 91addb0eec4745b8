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

#include <ini.h>

#include "emu/device/internal.h"

struct load_ctx {
	struct emu_profile *p;
	const char *why; /* first error */
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
		snprintf(list[(*n)++], EMU_NAME_MAX, "%s", t);
	}
	return 0;
}

static int on_entry(void *user, const char *section, const char *name, const char *value)
{
	struct load_ctx *c = user;
	struct emu_profile *p = c->p;

	if (!strcmp(section, "profile")) {
		if (!strcmp(name, "name"))
			snprintf(p->name, sizeof(p->name), "%s", value);
		else if (!strcmp(name, "description"))
			snprintf(p->description, sizeof(p->description), "%s", value);
		else if (!strcmp(name, "tx") || !strcmp(name, "rx")) {
			bool tx = name[0] == 't';
			if (dev_parse_stage_list(tx ? p->tx : p->rx, tx ? &p->ntx : &p->nrx,
						 value)) {
				c->why = "too many stages";
				return 0;
			}
		} else {
			c->why = "unknown key in [profile]";
			return 0;
		}
		return 1;
	}
	if (!strcmp(section, "features")) {
		int f = offload_feature_find(name);
		char v[32];
		bool on;

		if (f < 0) {
			c->why = "unknown feature";
			return 0;
		}
		if (offload_feature_info(f)->dir == OFFLOAD_DIR_PATH) {
			c->why = "a path element, not a NIC feature (see --path)";
			return 0;
		}
		snprintf(v, sizeof(v), "%s", value);
		char *sp = strpbrk(v, " \t");
		bool fixed = false;
		if (sp) {
			*sp++ = '\0';
			sp += strspn(sp, " \t");
			if (strcmp(sp, "fixed") && strcmp(sp, "[fixed]")) {
				c->why = "expected on|off [fixed]";
				return 0;
			}
			fixed = true;
		}
		if (!parse_bool(v, &on)) {
			c->why = "expected on|off [fixed]";
			return 0;
		}
		p->on[f] = on;
		p->fixed[f] = fixed;
		return 1;
	}
	if (!strcmp(section, "descriptors")) {
		char *end;
		unsigned long n = strtoul(value, &end, 0);
		if (*end || n > 65536) {
			c->why = "expected a number up to 65536";
			return 0;
		}
		if (!strcmp(name, "header_copy"))
			p->header_copy = (unsigned)n;
		else if (!strcmp(name, "fragment_size"))
			p->fragment_size = (unsigned)n;
		else {
			c->why = "unknown key in [descriptors]";
			return 0;
		}
		return 1;
	}
	/* any other section is a stage's quirk defaults, checked when the pipeline is built */
	if (p->nparams == OFFLOAD_MAX_PARAMS ||
	    strlen(section) + strlen(name) + 2 > sizeof(p->params[0].key) ||
	    strlen(value) >= sizeof(p->params[0].value)) {
		c->why = "too many or too long stage parameters";
		return 0;
	}
	/* lengths checked above */
	char *k = p->params[p->nparams].key;
	size_t sl = strlen(section), nl = strlen(name);
	memcpy(k, section, sl);
	k[sl] = '.';
	memcpy(k + sl + 1, name, nl + 1);
	memcpy(p->params[p->nparams].value, value, strlen(value) + 1);
	p->nparams++;
	return 1;
}

static int load_file(struct emu_profile *p, const char *path, char *err, size_t errlen)
{
	struct load_ctx c = {.p = p};

	memset(p, 0, sizeof(*p));
	snprintf(p->path, sizeof(p->path), "%s", path);
	FILE *f = emu_infile_open(path, err, errlen);
	if (!f)
		return -errno;
	int r = ini_parse_file(f, on_entry, &c);
	fclose(f);
	if (r) {
		snprintf(err, errlen, "%s:%d: %s", path, r, c.why ? c.why : "syntax error");
		return -EINVAL;
	}
	if (!*p->name || !p->ntx) {
		snprintf(err, errlen, "%s: a profile needs [profile] name and tx", path);
		return -EINVAL;
	}
	for (unsigned i = 0; i < p->ntx + p->nrx; i++) {
		const char *st = i < p->ntx ? p->tx[i] : p->rx[i - p->ntx];
		const struct offload_stage_ops *ops = offload_stage_find(st);
		if (ops && ops->receive) {
			snprintf(err, errlen,
				 "%s: %s is a path element, not a NIC stage (see --path)", path,
				 st);
			return -EINVAL;
		}
	}
	if (!p->nrx) {
		const char *def[OFFLOAD_MAX_STAGES];
		unsigned n = offload_default_stages(OFFLOAD_DIR_RX, def, OFFLOAD_MAX_STAGES);

		for (; p->nrx < n && p->nrx < OFFLOAD_MAX_STAGES; p->nrx++)
			snprintf(p->rx[p->nrx], EMU_NAME_MAX, "%s", def[p->nrx]);
	}
	return 0;
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

	if (strchr(name, '/')) {
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

unsigned dev_data_foreach(const struct dev_data_kind *k, int (*load)(const char *file, void *arg),
			  void *arg)
{
	const char *dirs[16];
	char envbuf[1024], path[512];
	char *seen[64];
	unsigned nseen = 0;
	unsigned n = data_dirs(k, dirs, 16, envbuf, sizeof(envbuf));

	for (unsigned i = 0; i < n; i++) {
		DIR *d = opendir(dirs[i]);
		struct dirent *de;
		char *names[64];
		unsigned nn = 0;

		if (!d)
			continue;
		while ((de = readdir(d)) && nn < 64) {
			size_t l = strlen(de->d_name);
			if (l > 4 && !strcmp(de->d_name + l - 4, ".ini"))
				names[nn++] = strndup(de->d_name, l - 4);
		}
		closedir(d);
		qsort(names, nn, sizeof(names[0]), cmp_names);
		for (unsigned j = 0; j < nn; j++) {
			bool dup = false;
			for (unsigned s = 0; s < nseen; s++)
				dup |= !strcmp(seen[s], names[j]);
			/* a file that does not load hides nothing of the same name found later */
			snprintf(path, sizeof(path), "%s/%s.ini", dirs[i], names[j]);
			if (dup || nseen == 64 || load(path, arg)) {
				free(names[j]);
				continue;
			}
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
	void *arg;
};

static int foreach_load(const char *file, void *arg)
{
	struct foreach_ctx *c = arg;
	char err[512];

	if (load_file(c->p, file, err, sizeof(err)))
		return -1;
	c->fn(c->p, c->arg);
	return 0;
}

unsigned emu_profile_foreach(void (*fn)(const struct emu_profile *p, void *arg), void *arg)
{
	struct foreach_ctx c = {malloc(sizeof(struct emu_profile)), fn, arg};

	if (!c.p)
		return 0;
	unsigned n = dev_data_foreach(&dev_profiles, foreach_load, &c);
	free(c.p);
	return n;
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
