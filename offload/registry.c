// SPDX-License-Identifier: GPL-2.0-or-later
/* The stage registry: adding a stage is one file and one line here. */
#include <string.h>

#include "offload.h"

extern const struct offload_stage_ops offload_stage_sg;
extern const struct offload_stage_ops offload_stage_tso;
extern const struct offload_stage_ops offload_stage_txcsum;
extern const struct offload_stage_ops offload_stage_rxcsum;
extern const struct offload_stage_ops offload_stage_lro;

const struct offload_stage_ops *const offload_stages[] = {
	&offload_stage_sg,     &offload_stage_tso, &offload_stage_txcsum,
	&offload_stage_rxcsum, &offload_stage_lro, NULL,
};

const struct offload_stage_ops *offload_stage_find_prefix(const char *key)
{
	size_t l = strcspn(key, ".");

	for (unsigned i = 0; offload_stages[i]; i++)
		if (strlen(offload_stages[i]->name) == l &&
		    !strncmp(offload_stages[i]->name, key, l))
			return offload_stages[i];
	return NULL;
}

const struct offload_stage_ops *offload_stage_find(const char *name)
{
	for (unsigned i = 0; offload_stages[i]; i++)
		if (!strcmp(offload_stages[i]->name, name))
			return offload_stages[i];
	return NULL;
}
