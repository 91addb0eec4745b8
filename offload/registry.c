// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The registry: every stage and every feature, described once. Everything else reads these
 * tables: the pipeline (which stage a feature enables, dependencies), profiles (default stage
 * lists, feature names), the control console (`show`, error messages) and the docs' tests.
 * docs/adding-a-stage.md walks through adding a line here.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

/*
 * Every stage file, one line each: offload/NAME.c exports
 * `const struct offload_stage_ops offload_stage_NAME`. The list declares those and fills
 * offload_stages[] in this order (which is no pipeline order: profiles choose that), followed
 * by the path elements of OFFLOAD_PATH_ELEMENTS (offload.h), whose order paths choose.
 */
#define OFFLOAD_STAGE_FILES(X) \
	X(sg)                  \
	X(tso)                 \
	X(txcsum)              \
	X(rxcsum)              \
	X(lro)

#define DECLARE(n)				extern const struct offload_stage_ops offload_stage_##n;
#define REGISTER(n)				&offload_stage_##n,
#define DECLARE_PATH(id, file, name, longname)	DECLARE(file)
#define REGISTER_PATH(id, file, name, longname) REGISTER(file)

OFFLOAD_STAGE_FILES(DECLARE)
OFFLOAD_PATH_ELEMENTS(DECLARE_PATH)

const struct offload_stage_ops *const offload_stages[] = {
	OFFLOAD_STAGE_FILES(REGISTER) OFFLOAD_PATH_ELEMENTS(REGISTER_PATH) NULL};

#define NEEDS(f) OFFLOAD_FEATURE_BIT(OFFLOAD_F_##f)

/*
 * Every feature as ethtool -k shows it, in ethtool's order; each direction's default stage
 * list follows this order too. Dependencies are Linux's (netdev_fix_features()): TSO needs
 * scatter-gather and checksum offload, and is off while either is. Then one feature per path
 * element, which needs nothing.
 */
#define PATH_FEATURE(id, file, name, longname) \
	[OFFLOAD_F_##id] = {longname, name, OFFLOAD_DIR_PATH, 0, &offload_stage_##file},

static const struct offload_feature_info features[OFFLOAD_NFEATURES] = {
	[OFFLOAD_F_SG] = {"scatter-gather", "sg", OFFLOAD_DIR_TX, 0, &offload_stage_sg},
	[OFFLOAD_F_TSO] = {"tcp-segmentation-offload", "tso", OFFLOAD_DIR_TX, NEEDS(SG) | NEEDS(TX),
			   &offload_stage_tso},
	[OFFLOAD_F_TX] = {"tx-checksumming", "tx", OFFLOAD_DIR_TX, 0, &offload_stage_txcsum},
	[OFFLOAD_F_RX] = {"rx-checksumming", "rx", OFFLOAD_DIR_RX, 0, &offload_stage_rxcsum},
	[OFFLOAD_F_LRO] = {"large-receive-offload", "lro", OFFLOAD_DIR_RX, 0, &offload_stage_lro},
	OFFLOAD_PATH_ELEMENTS(PATH_FEATURE)};

/* ---- stages ---- */

/* The stage named by the first @len bytes of @name in @reg (NULL-terminated), or NULL. */
static const struct offload_stage_ops *find_in(const struct offload_stage_ops *const *reg,
					       const char *name, size_t len)
{
	for (unsigned i = 0; reg && reg[i]; i++)
		if (strlen(reg[i]->name) == len && !strncmp(reg[i]->name, name, len))
			return reg[i];
	return NULL;
}

const struct offload_stage_ops *offload_stage_find(const char *name)
{
	return find_in(offload_stages, name, strlen(name));
}

const struct offload_stage_ops *offload_stage_find_prefix(const char *key)
{
	return find_in(offload_stages, key, strcspn(key, "."));
}

const struct offload_stage_ops *offload_stage_lookup(const struct offload_stage_ops *const *extra,
						     const char *name)
{
	const struct offload_stage_ops *ops = offload_stage_find(name);

	return ops ? ops : find_in(extra, name, strlen(name));
}

int offload_stage_feature_of(const struct offload_stage_ops *ops)
{
	for (int f = 0; f < OFFLOAD_NFEATURES; f++)
		if (features[f].stage == ops)
			return f;
	return -1;
}

unsigned offload_default_stages(enum offload_dir dir, const char **names, unsigned max)
{
	unsigned n = 0;

	for (int f = 0; f < OFFLOAD_NFEATURES; f++) {
		if (features[f].dir != dir)
			continue;
		if (n < max)
			names[n] = features[f].stage->name;
		n++;
	}
	return n;
}

/* ---- features ---- */

const struct offload_feature_info *offload_feature_info(enum offload_feature f)
{
	return (unsigned)f < OFFLOAD_NFEATURES ? &features[f] : NULL;
}

const char *offload_feature_name(enum offload_feature f)
{
	return (unsigned)f < OFFLOAD_NFEATURES ? features[f].name : "unknown";
}

const char *offload_feature_short(enum offload_feature f)
{
	return (unsigned)f < OFFLOAD_NFEATURES ? features[f].shortname : "unknown";
}

int offload_feature_find(const char *name)
{
	for (int f = 0; f < OFFLOAD_NFEATURES; f++)
		if (!strcmp(name, features[f].name) || !strcmp(name, features[f].shortname))
			return f;
	return -1;
}

size_t offload_features_list(char *buf, size_t len)
{
	size_t n = 0;

	if (len)
		buf[0] = '\0';
	for (int f = 0; f < OFFLOAD_NFEATURES; f++) {
		int w = snprintf(n < len ? buf + n : NULL, n < len ? len - n : 0, "%s%s",
				 f ? ", " : "", features[f].shortname);
		n += (size_t)w;
	}
	return n;
}

void offload_features_effective(const bool *requested, bool *effective)
{
	bool changed = true;

	memcpy(effective, requested, OFFLOAD_NFEATURES * sizeof(*effective));
	/* a feature whose need is off is off, and so is what needs it in turn */
	while (changed) {
		changed = false;
		for (int f = 0; f < OFFLOAD_NFEATURES; f++) {
			for (int g = 0; effective[f] && g < OFFLOAD_NFEATURES; g++) {
				if ((features[f].needs & OFFLOAD_FEATURE_BIT(g)) && !effective[g]) {
					effective[f] = false;
					changed = true;
				}
			}
		}
	}
}
