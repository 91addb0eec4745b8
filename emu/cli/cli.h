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

#include <stdbool.h>
#include <getopt.h>
#include <stddef.h>
#include <stdbool.h>

#include "md5sig/md5sig.h"

#define EXIT_USAGE 2 /* usage or input error, one line on stderr */

/** The program's name in messages ("vnicemu"). */
extern const char *prog;

int cmd_verify(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_profiles(int argc, char **argv);
/* vnicemu --list-paths (hidden, for the completion): every path's name, one a line */
int cli_list_paths(void);
/* vnicemu --list-features (hidden): "LONG SHORT" a line, in the registry's order */
int cli_list_features(void);
/* vnicemu --list-quirks (hidden): "STAGE.PARAM VALUE..." a line (NUMBER, or the syntax of a
 * free-text one, in upper case), every stage's parameters in the registry's order */
int cli_list_quirks(void);
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

/*
 * A capture @path cut inside its last record (@cut; NULL: not cut): one line on stderr, a
 * warning, or with --strict (@strict) an error. Return: EXIT_USAGE with --strict, else 0.
 */
struct emu_capin_cut;
int cli_cut(const char *cmd, const char *path, const struct emu_capin_cut *cut, bool strict);

/* --isn ADDR.PORT=ISN into *@out, or one error line and -EINVAL. */
int cli_isn(const char *cmd, const char *arg, struct md5sig_ao_isn_arg *out);

/*
 * Progress on a terminal (stderr): "CMD: N frames" once a second, erased when done. @arg is
 * the command's name. Pass it only when isatty(STDERR_FILENO).
 */
void cli_progress(void *arg, unsigned long long frames, bool done);

/* What `verify --interface` was asked for (verify_live.c). */
struct cli_verify_live {
	const char *iface, *filter, *user;
	unsigned long count;	   /* 0: no limit */
	unsigned long duration_ms; /* 0: no limit */
	bool json, fail_on_invalid;
};

/* verify on an interface with the keys, --isn and --list of @cfg. Return: the exit status. */
struct emu_verify_config;
int cli_verify_live(const struct cli_verify_live *o, const struct emu_verify_config *cfg);
/* Do the arguments fit --interface (no capture file @file_too, no --jobs, no --strict, not
 * --count and --duration)? Or, without it, one capture file and no live option? Return: 0, or -EINVAL after
 * one error line. */
int cli_verify_live_args(const struct cli_verify_live *o, bool file_too, bool jobs, bool strict);
int cli_verify_file_args(const struct cli_verify_live *o, bool not_one_file);

#endif
