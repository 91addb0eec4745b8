/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * DOC: cli — the `vnicemu` program
 *
 * One file per subcommand, dispatched from the table in vnicemu.c that also builds the usage
 * text. A command parses its options, calls one engine (analysis or device room) and prints
 * what it returns: only here do errors become messages on stderr and results text on stdout.
 * Each command returns the process exit status: 0, 1 (what was checked failed, e.g.
 * --fail-on-invalid) or EXIT_USAGE.
 */
#ifndef VNICEMU_EMU_CLI_H
#define VNICEMU_EMU_CLI_H

#include <getopt.h>

#include "md5sig/md5sig.h"

#define EXIT_USAGE 2 /* usage or input error, one line on stderr */

/** The program's name in messages ("vnicemu"). */
extern const char *prog;

int cmd_verify(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_profiles(int argc, char **argv);
/* vnicemu --list-paths (hidden, for the completion): every path's name, one a line */
int cli_list_paths(void);
int cmd_run(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_repro(int argc, char **argv);

/*
 * getopt_long() wrapper printing one line for an unknown option or a missing argument (the
 * caller's optstring must start with ':'): returns the option, or -2 after printing an error.
 */
int cli_getopt(const char *cmd, int argc, char **argv, const char *optstring,
	       const struct option *opts);

/*
 * Is stdout one of the @n files @inputs (NULL entries skipped)? Then one error line and
 * -EEXIST: `vnicemu verify f.pcap --list >> f.pcap` would write into the capture being read.
 */
int cli_stdout_not_input(const char *cmd, const char *const *inputs, unsigned n);

/* --wire-mtu N: 576..65535 into *@mtu, or one error line and -EINVAL. */
int cli_wire_mtu(const char *cmd, const char *arg, unsigned *mtu);

/* --isn ADDR.PORT=ISN into *@out, or one error line and -EINVAL. */
int cli_isn(const char *cmd, const char *arg, struct md5sig_ao_isn_arg *out);

#endif
