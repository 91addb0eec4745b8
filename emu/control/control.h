/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * DOC: control — the control socket server
 *
 * A UNIX stream socket (mode 0600, created by the daemon, removed on exit) speaking the VDE
 * management console convention, so `vnicctl` and vde2's `unixterm` both work (not `vdeterm`,
 * which sends commands without a newline). The commands, limits and status lines are data in
 * emu/control/protocol.h, which vnicctl includes too; docs/control-protocol.md is the
 * reference. The server only frames: what a command does is the device's, through struct
 * ctl_handler, whose replies are written into a struct ctl_out.
 *
 * The server never blocks the data path: sockets are non-blocking, each client has a bounded
 * input line and a bounded output buffer. A client that does not read its replies is not
 * read either; one that lets watch lines pile up past 256 KiB is disconnected.
 *
 * Ownership: the server is the caller's (ctl_server_new() / ctl_server_free()); it owns its
 * socket, its clients and their buffers, and keeps @nic (the device) without owning it. A
 * struct ctl_out from ctl_out_new() is the caller's; one passed to a handler is the server's
 * and valid during the call only.
 */
#ifndef VNICEMU_EMU_CONTROL_H
#define VNICEMU_EMU_CONTROL_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

#include "emu/control/protocol.h"

/** Enough pollfds for ctl_server_pollfds(): the listening socket and every client. */
#define CTL_POLLFDS_MAX (1 + CTL_MAX_CLIENTS)

struct ctl_server;
struct ctl_out;

/**
 * ctl_printf() - append to the reply of the current command (data lines end with '\n'; a
 * missing final newline is added). A reply is cut at 96 KiB and then fails with EMSGSIZE.
 */
void ctl_printf(struct ctl_out *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/**
 * ctl_out_new() - a reply buffer outside the server, so a program can run a handler itself
 * (final stats on exit) and tests can read what a handler wrote.
 * Return: the buffer, or NULL with errno set.
 */
struct ctl_out *ctl_out_new(void);
/** The text written so far (NUL-terminated, never NULL); its length in @len if not NULL. */
const char *ctl_out_text(const struct ctl_out *out, size_t *len);
/** Empty the buffer for reuse. */
void ctl_out_reset(struct ctl_out *out);
/** Accepts NULL. */
void ctl_out_free(struct ctl_out *out);

/**
 * What the device does for each command. Each returns 0 (then "1000 Success") or -errno
 * (then "1<errno> ..."), having written data lines with ctl_printf(); on an error the lines
 * written explain it. @nic is the pointer given to ctl_server_new(). A NULL member makes its
 * command answer "1095 Operation not supported". Arguments reach a handler already checked:
 * printable ASCII words, values of `set` on/off, `stats` only with --json or nothing.
 */
struct ctl_handler {
	int (*show)(void *nic, struct ctl_out *out);
	/** one FEATURE on|off pair; `set` with several pairs calls it for each, stopping at
	 * the first error */
	int (*set)(void *nic, const char *feature, bool on, struct ctl_out *out);
	/** a STAGE.PARAM VALUE pair of `set` (a quirk, e.g. tso.md5 resign) */
	int (*set_param)(void *nic, const char *key, const char *value, struct ctl_out *out);
	int (*profile)(void *nic, const char *name, struct ctl_out *out);
	int (*stats)(void *nic, bool json, struct ctl_out *out);
	int (*keys)(void *nic, struct ctl_out *out);
	/** one summary line (no newline needed) for `watch`, called once a second while at
	 * least one client watches (not at all otherwise) */
	int (*watch_line)(void *nic, struct ctl_out *out);
};

/**
 * ctl_server_new() - create the socket at @path, mode 0600 from its creation (the process
 * umask is changed around bind(): call it before starting threads). A missing parent directory
 * is created with mode 0700 (one level, as /run/vnicemu). A socket file nobody listens on is
 * replaced; a live one is an error ("PATH: another vnicemu is listening", EADDRINUSE), and so
 * is a file that is not a socket (left untouched). @h is copied.
 * Return: the server, or NULL with errno set and a one-line reason naming @path in @err.
 */
struct ctl_server *ctl_server_new(const char *path, const struct ctl_handler *h, void *nic,
				  char *err, size_t errlen);
/**
 * ctl_server_free() - send "9999 END OF SESSION" to every client (if its socket takes it),
 * close them, and remove the socket file if it is still the one this server made; accepts NULL.
 */
void ctl_server_free(struct ctl_server *s);
/**
 * ctl_server_pollfds() - fill up to @max pollfds (the listening socket first, then the
 * clients); returns how many. Pass CTL_POLLFDS_MAX so that no client is left out. After
 * accept() failed for want of descriptors (EMFILE, ENFILE) or memory, the listening socket asks
 * for no events until a client closes or the next ctl_server_tick(): poll() would otherwise
 * report the waiting connection forever, and the loop would spin.
 */
unsigned ctl_server_pollfds(struct ctl_server *s, struct pollfd *fds, unsigned max);
/**
 * ctl_server_handle() - handle what poll() reported on the fds ctl_server_pollfds() filled:
 * accept, read, run complete command lines (calling the handler), send. Never blocks; a client
 * that disconnects or overflows its output buffer is closed.
 */
void ctl_server_handle(struct ctl_server *s, const struct pollfd *fds, unsigned n);
/**
 * ctl_server_tick() - once a second: send a "3001 watch" line to each client that asked, and
 * try accept() again if it had run out of descriptors; never blocks.
 */
void ctl_server_tick(struct ctl_server *s);

#endif
