/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * DOC: the control protocol, as data
 *
 * The commands of the control console, their arity and help, the limits and the status lines,
 * written once and included by both ends: the server (emu/control/control.c) and the client
 * (tools/vnicctl.c). Data only, and nothing but libc headers, so that vnicctl stays a
 * standalone libc program. docs/control-protocol.md is the reference in words.
 *
 * Framing follows the VDE management console: a banner, the prompt CTL_PROMPT, one command per
 * line of at most CTL_LINE_MAX bytes; a reply with lines sends CTL_DATA_START, the lines (a line
 * starting with '.' gets one more) and a lone "."; every command ends with a status line, "1000
 * Success" or "1%03d <strerror>" of its errno (CTL_STATUS_ERRNO + errno), then the prompt.
 * Asynchronous watch lines start with CTL_WATCH_PREFIX; the end of a session is CTL_END.
 */
#ifndef VNICEMU_EMU_CONTROL_PROTOCOL_H
#define VNICEMU_EMU_CONTROL_PROTOCOL_H

#include <stdbool.h>

/* ---- limits ---- */

/** Bytes in a command line, CR LF not counted. */
#define CTL_LINE_MAX 256
/** Bytes of data lines in one reply; a longer reply is cut and fails with EMSGSIZE. */
#define CTL_REPLY_MAX (96u << 10)
/** Clients served at once; one more is accepted, told CTL_STATUS_ERRNO + EBUSY, closed. */
#define CTL_MAX_CLIENTS 16
/**
 * Arguments of `set`: one-byte words, each after a space, as many as fit in a line after "set".
 * A count the line cannot hold would be an arity nobody can reach.
 */
#define CTL_SET_MAX_ARGS ((CTL_LINE_MAX - 3) / 2)

/* ---- framing ---- */

/** Where vnicctl looks when neither -s nor $VNICEMU_CONTROL names a socket. */
#define CTL_DEFAULT_PATH "/run/vnicemu/control"
/** The prompt; its "\n" ends an empty line, so a client reading lines sees CTL_PROMPT_TAIL. */
#define CTL_PROMPT	"\nvde$ "
#define CTL_PROMPT_TAIL "vde$ "
/** The first line of a reply's data block (the block ends with a lone "."). */
#define CTL_DATA_START "0000 DATA END WITH '.'"
/** The status of a command that succeeded. */
#define CTL_STATUS_OK "1000 Success"
/** A failed command's status is this plus its errno, "1%03d <strerror>". */
#define CTL_STATUS_ERRNO 1000
/** The prefix of the asynchronous lines `watch` asks for. */
#define CTL_WATCH_PREFIX "3001 watch "
/** The server ends the session (logout, or the daemon stops). */
#define CTL_END "9999 END OF SESSION"

/* ---- commands ---- */

enum ctl_command_id {
	CTL_CMD_HELP,
	CTL_CMD_SHOW,
	CTL_CMD_SET,
	CTL_CMD_PROFILE,
	CTL_CMD_STATS,
	CTL_CMD_KEYS,
	CTL_CMD_WATCH,
	CTL_CMD_UNWATCH,
	CTL_CMD_LOGOUT,
	CTL_CMD_QUIT,
	CTL_NCOMMANDS,
};

/** struct ctl_command - one console command, as both ends know it. */
struct ctl_command {
	const char *name;
	int min_args; /**< words after the name */
	int max_args;
	const char *syntax;
	const char *help;	 /**< the server's `help` line */
	const char *client_help; /**< vnicctl's usage line, where it says more (NULL: @help) */
	bool session;		 /**< only makes sense in an interactive session: not in vnicctl */
};

/** Every command, in the order `help` lists them. */
static const struct ctl_command ctl_commands[CTL_NCOMMANDS] = {
	[CTL_CMD_HELP] = {"help", 0, 0, "", "list the commands",
			  "the commands of the control console"},
	[CTL_CMD_SHOW] = {"show", 0, 0, "", "offload features, as ethtool -k prints them"},
	[CTL_CMD_SET] = {"set", 2, CTL_SET_MAX_ARGS, "FEAT on|off | STAGE.PARAM VALUE ...",
			 "change features, from the next frame read"},
	[CTL_CMD_PROFILE] = {"profile", 1, 1, "NAME", "switch to NIC profile NAME"},
	[CTL_CMD_STATS] = {"stats", 0, 1, "[--json]",
			   "counters per stage and tap, verdicts, culprit"},
	[CTL_CMD_KEYS] = {"keys", 0, 0, "",
			  "TCP-MD5 peers, TCP-AO MKTs, key lengths (never the keys)"},
	[CTL_CMD_WATCH] = {"watch", 0, 0, "", "a '3001 watch' summary line every second",
			   "a summary line every second, until Ctrl-C"},
	[CTL_CMD_UNWATCH] = {"unwatch", 0, 0, "", "stop watch (any other line stops it too)", NULL,
			     true},
	[CTL_CMD_LOGOUT] = {"logout", 0, 0, "", "end the session", NULL, true},
	[CTL_CMD_QUIT] = {"quit", 0, 0, "", "end the session", NULL, true},
};

#endif
