// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Paths: what lies between the NIC and the wire (a firewall, NAT, a shaper, a router clamping
 * MSS, a hop with a smaller MTU), as data files beside the profiles (docs/paths.md). Sections:
 * [path] name, description, elements (in order from the NIC to the wire); [ELEMENT] its
 * parameters. `--path asa,nat` joins the elements of both files to the profile: every element
 * on, its parameters defaults that `--set` overrides.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/device/internal.h"

/* What emu_ini_parse() fills: the path, where its keys were, the first error. */
struct load_ctx {
	struct emu_path *p;
	unsigned name_line, desc_line, elements_line;
	unsigned param_line[OFFLOAD_MAX_PARAMS];
	char why[256];
};

static bool has_element(const struct emu_path *p, const char *name, size_t len)
{
	for (unsigned i = 0; i < p->nelements; i++)
		if (strlen(p->elements[i]) == len && !strncmp(p->elements[i], name, len))
			return true;
	return false;
}

/* A key given a second time: the line of the first, then this one takes it. */
static int once(struct load_ctx *c, unsigned *seen, unsigned line, const char *what)
{
	return emu_ini_once(seen, line, what, c->why, sizeof(c->why));
}

static int on_path(struct load_ctx *c, unsigned line, const char *name, const char *value)
{
	struct emu_path *p = c->p;

	if (!strcmp(name, "name")) {
		if (once(c, &c->name_line, line, name))
			return 0;
		snprintf(p->name, sizeof(p->name), "%s", value);
	} else if (!strcmp(name, "description")) {
		if (once(c, &c->desc_line, line, name))
			return 0;
		snprintf(p->description, sizeof(p->description), "%s", value);
	} else if (!strcmp(name, "elements")) {
		if (once(c, &c->elements_line, line, name))
			return 0;
		int r = dev_parse_stage_list(p->elements, &p->nelements, value);
		if (r == -2) {
			snprintf(c->why, sizeof(c->why), "elements: %s listed twice",
				 p->elements[p->nelements]);
			return 0;
		}
		if (r) {
			snprintf(c->why, sizeof(c->why), "too many elements");
			return 0;
		}
		for (unsigned i = 0; i < p->nelements; i++) {
			const struct offload_stage_ops *ops = offload_stage_find(p->elements[i]);
			if (!ops || !ops->receive) {
				snprintf(c->why, sizeof(c->why),
					 "no such path element '%s' (optstrip, seqrand, "
					 "nat, window, mss-clamp, fragment)",
					 p->elements[i]);
				return 0;
			}
		}
	} else {
		snprintf(c->why, sizeof(c->why), "unknown key in [path]: %s", name);
		return 0;
	}
	return 1;
}

static int on_entry(void *user, unsigned line, const char *section, const char *name,
		    const char *value)
{
	struct load_ctx *c = user;
	struct emu_path *p = c->p;
	char key[sizeof(p->params[0].key)];

	if (!strcmp(section, "path"))
		return on_path(c, line, name, value);
	/* an element's parameters, checked against its table as the pipeline will */
	if (!has_element(p, section, strlen(section))) {
		snprintf(c->why, sizeof(c->why),
			 "a section that names no element of the path (elements = first): [%s]",
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
		snprintf(c->why, sizeof(c->why), "more than %u parameters", OFFLOAD_MAX_PARAMS);
		return 0;
	}
	memcpy(p->params[p->nparams].key, key, sizeof(key));
	snprintf(p->params[p->nparams].value, sizeof(p->params[0].value), "%s", value);
	c->param_line[p->nparams++] = line;
	return 1;
}

int emu_path_parse(struct emu_path *p, const char *file, FILE *in, char *err, size_t errlen)
{
	struct load_ctx *c = calloc(1, sizeof(*c));
	char why[128];
	unsigned line;
	int ret = -EINVAL;

	memset(p, 0, sizeof(*p));
	snprintf(p->file, sizeof(p->file), "%s", file);
	if (!c) {
		snprintf(err, errlen, "%s: out of memory", file);
		return -ENOMEM;
	}
	c->p = p;
	if (emu_ini_parse(in, on_entry, c, &line, why, sizeof(why)))
		snprintf(err, errlen, "%s:%u: %s", file, line, *why ? why : c->why);
	else if (!*p->name || !p->nelements)
		snprintf(err, errlen, "%s: a path needs [path] name and elements (it has no %s)",
			 file, !*p->name ? "name" : "elements");
	else
		ret = 0;
	free(c);
	return ret;
}

static int load_file(struct emu_path *p, const char *file, char *err, size_t errlen)
{
	FILE *f = emu_infile_open(file, err, errlen); /* a regular file of at most 1 MiB */

	if (!f) {
		memset(p, 0, sizeof(*p));
		return -errno;
	}
	int r = emu_path_parse(p, file, f, err, errlen);
	fclose(f);
	return r;
}

int emu_path_load(struct emu_path *p, const char *name, char *err, size_t errlen)
{
	char file[512];
	int ret = dev_data_find(&dev_paths, name, file, sizeof(file), err, errlen);

	return ret ? ret : load_file(p, file, err, errlen);
}

struct foreach_ctx {
	struct emu_path *p;
	void (*fn)(const struct emu_path *p, void *arg);
	void *arg;
};

static int foreach_load(const char *file, void *arg, char *err, size_t errlen)
{
	struct foreach_ctx *c = arg;

	if (load_file(c->p, file, err, errlen))
		return -1;
	c->fn(c->p, c->arg);
	return 0;
}

unsigned emu_path_foreach(void (*fn)(const struct emu_path *p, void *arg), void *arg)
{
	struct foreach_ctx c = {malloc(sizeof(struct emu_path)), fn, arg};

	if (!c.p)
		return 0;
	unsigned n = dev_data_foreach(&dev_paths, foreach_load, NULL, &c);
	free(c.p);
	return n;
}

/* Join one path file's elements and parameters to @p. */
static int join(struct emu_profile *p, const struct emu_path *path, char *err, size_t errlen)
{
	for (unsigned i = 0; i < path->nelements; i++) {
		const struct offload_stage_ops *ops = offload_stage_find(path->elements[i]);
		int f = offload_stage_feature_of(ops);

		if (p->npath == OFFLOAD_MAX_STAGES) {
			snprintf(err, errlen, "--path %s: more than %u elements", p->path_name,
				 OFFLOAD_MAX_STAGES);
			return -EINVAL;
		}
		snprintf(p->path_stages[p->npath++], EMU_NAME_MAX, "%s", path->elements[i]);
		if (f >= 0)
			p->on[f] = true;
	}
	for (unsigned i = 0; i < path->nparams; i++) {
		unsigned k = p->nparams;

		for (unsigned j = 0; j < p->nparams; j++)
			if (!strcmp(p->params[j].key, path->params[i].key))
				k = j;
		if (k == OFFLOAD_MAX_PARAMS) {
			snprintf(err, errlen, "--path %s: too many parameters", p->path_name);
			return -EINVAL;
		}
		memcpy(p->params[k].key, path->params[i].key, sizeof(p->params[k].key));
		memcpy(p->params[k].value, path->params[i].value, sizeof(p->params[k].value));
		if (k == p->nparams)
			p->nparams++;
	}
	return 0;
}

int emu_profile_add_path(struct emu_profile *p, const char *spec, char *err, size_t errlen)
{
	char buf[sizeof(p->path_name)], *save = NULL;
	struct emu_path *path = malloc(sizeof(*path));
	int ret = 0;

	if (!path)
		return -ENOMEM;
	if (!*spec || strlen(spec) >= sizeof(buf)) {
		snprintf(err, errlen, "--path '%s': expected NAME[,NAME...]", spec);
		free(path);
		return -EINVAL;
	}
	snprintf(p->path_name, sizeof(p->path_name), "%s", spec);
	snprintf(buf, sizeof(buf), "%s", spec);
	for (char *t = strtok_r(buf, ",", &save); t && !ret; t = strtok_r(NULL, ",", &save))
		if (!(ret = emu_path_load(path, t, err, errlen)))
			ret = join(p, path, err, errlen);
	free(path);
	return ret;
}

int emu_profile_inputs(const struct emu_profile *p, struct emu_outset *s)
{
	char buf[sizeof(p->path_name)], err[8], *save = NULL;
	struct emu_path *path = malloc(sizeof(*path));
	int ret = emu_outset_input(s, p->path);

	if (!path)
		return -ENOMEM;
	/* the path's files, found as emu_profile_add_path() found them */
	snprintf(buf, sizeof(buf), "%s", p->path_name);
	for (char *t = strtok_r(buf, ",", &save); t && !ret; t = strtok_r(NULL, ",", &save))
		if (!emu_path_load(path, t, err, sizeof(err)))
			ret = emu_outset_input(s, path->file);
	free(path);
	return ret;
}
