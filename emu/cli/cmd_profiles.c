// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vnicemu profiles: the NIC models this installation knows, with their features and quirks;
 * and, for the completion, the paths (--list-paths), features (--list-features) and quirks
 * (--list-quirks) by name, from the registry and the data directories.
 */
#include <stdio.h>
#include <string.h>

#include "emu/cli/cli.h"
#include "emu/device/device.h"

static void show(const struct emu_profile *p, void *arg)
{
	(void)arg;
	printf("%s — %s\n  file: %s\n  tx stages:", p->name, p->description, p->path);
	for (unsigned i = 0; i < p->ntx; i++)
		printf(" %s", p->tx[i]);
	putchar('\n');
	for (int f = 0; f < OFFLOAD_NFEATURES; f++)
		if (offload_feature_info(f)->dir != OFFLOAD_DIR_PATH) /* the NIC's, not --path's */
			printf("  %s: %s%s\n", offload_feature_name(f), p->on[f] ? "on" : "off",
			       p->fixed[f] ? " [fixed]" : "");
	if (p->nparams) {
		printf("  quirks:");
		for (unsigned i = 0; i < p->nparams; i++)
			printf(" %s=%s", p->params[i].key, p->params[i].value);
		putchar('\n');
	}
	printf("  guest descriptors: header copy %u bytes, %u bytes per fragment\n\n",
	       p->header_copy, p->fragment_size);
}

static void warn(const char *msg, void *arg)
{
	(void)arg;
	fprintf(stderr, "%s profiles: warning: %s\n", prog, msg);
}

int cmd_profiles(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("Usage: %s profiles\n  lists NIC profiles found in $VNICEMU_PROFILE_PATH, the "
		       "source tree and the installed data directory\n",
		       prog);
		return 0;
	}
	if (argc > 1) {
		fprintf(stderr, "%s profiles: unexpected argument '%s'\n", prog, argv[1]);
		return EXIT_USAGE;
	}
	if (!emu_profile_foreach(show, warn, NULL)) {
		fprintf(stderr, "%s profiles: no profiles found (set VNICEMU_PROFILE_PATH)\n",
			prog);
		return EXIT_USAGE;
	}
	return 0;
}

/* What --path takes: the file's name, without .ini. */
static void path_name(const struct emu_path *p, void *arg)
{
	const char *base = strrchr(p->file, '/');

	(void)arg;
	base = base ? base + 1 : p->file;
	printf("%.*s\n", (int)(strlen(base) - 4), base);
}

int cli_list_paths(void)
{
	emu_path_foreach(path_name, NULL);
	return 0;
}

int cli_list_features(void)
{
	for (int f = 0; f < OFFLOAD_NFEATURES; f++)
		printf("%s %s\n", offload_feature_name(f), offload_feature_short(f));
	return 0;
}

int cli_list_quirks(void)
{
	for (unsigned i = 0; offload_stages[i]; i++) {
		for (const struct offload_param *p = offload_stages[i]->params; p && p->name; p++) {
			printf("%s.%s", offload_stages[i]->name, p->name);
			if (p->syntax)
				printf(" %s", p->syntax);
			else if (!p->choices)
				printf(" NUMBER");
			for (const char *const *c = p->choices; !p->syntax && c && *c; c++)
				printf(" %s", *c);
			putchar('\n');
		}
	}
	return 0;
}
