/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The vnicemu subcommands; each returns the process exit status (0, 1, 2). */
#ifndef VNICEMU_COMMANDS_H
#define VNICEMU_COMMANDS_H

#include <getopt.h>

#define EXIT_USAGE 2 /* usage or input error, one line on stderr */

extern const char *prog;

int cmd_verify(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_profiles(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_repro(int argc, char **argv);

/*
 * getopt_long() wrapper printing one line for an unknown option or a missing argument (the
 * caller's optstring must start with ':'): returns the option, or -2 after printing an error.
 */
/* --wire-mtu N: 576..65535 into *@mtu, or one error line and -EINVAL. */
int cli_wire_mtu(const char *cmd, const char *arg, unsigned *mtu);

int cli_getopt(const char *cmd, int argc, char **argv, const char *optstring,
	       const struct option *opts);

#endif
