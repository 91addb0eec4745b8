// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vnicctl - run-time control of a running `vnicemu run --control PATH`.
 *
 * DOC: One command per run over the control socket (docs/control-protocol.md): wait for the
 * prompt, send the line, read up to its status line. Data lines go to stdout when the status
 * is "1000 Success", else to stderr followed by the status text. `watch` prints each
 * "3001 watch ..." line without its prefix until SIGINT, SIGTERM or the end of the session.
 * Standalone: libc only, so it builds and runs without the rest of the tree; the commands, limits
 * and status lines are the server's own, from the data-only emu/control/protocol.h.
 *
 * Exit status: 0 success; 1 vnicemu answered with an error status; 2 usage error, no
 * connection, a broken reply, or no reply within 5 s.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "emu/control/protocol.h"

#define TIMEOUT_MS 5000
#define REPLY_MAX  (8 * CTL_REPLY_MAX) /* a reply with room to spare */
#define EXIT_ERROR 1
#define EXIT_USAGE 2

/* The connection and what was received from it but not yet consumed: buf[start, len). */
struct conn {
	int fd;
	const char *path;
	char *buf;
	size_t start;
	size_t len;
	size_t cap;
};

enum token { T_LINE, T_PROMPT, T_MORE, T_EOF, T_TIMEOUT, T_SIGNAL, T_ERROR };

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static int fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int status, const char *fmt, ...)
{
	va_list ap;

	fputs("vnicctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

/*
 * At exit, as coreutils' close_stdout() (and vnicemu's): output that never reached stdout's
 * file is an error, exit 2, whatever the command returned. A closed stdout that nothing was
 * written to is no error.
 */
static void close_stdout(void)
{
	bool pending = __fpending(stdout) != 0, failed = ferror(stdout);

	errno = 0;
	if (fclose(stdout) && (pending || errno != EBADF))
		failed = true;
	if (failed) {
		fail(EXIT_USAGE, "stdout: %s", errno ? strerror(errno) : "write error");
		_exit(EXIT_USAGE);
	}
}

/* stdout failed: say so once (what is still buffered is dropped, close_stdout() stays quiet). */
static int stdout_failed(void)
{
	int e = errno;

	__fpurge(stdout);
	clearerr(stdout);
	return fail(EXIT_USAGE, "stdout: %s", strerror(e));
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vnicctl [-s PATH] COMMAND\n       vnicctl --help | --version\n\nCommands:\n");
	for (size_t i = 0; i < CTL_NCOMMANDS; i++) {
		const struct ctl_command *c = &ctl_commands[i];

		if (!c->session)
			fprintf(f, "  %-8s %-30s %s\n", c->name, c->syntax,
				c->client_help ? c->client_help : c->help);
	}
	fprintf(f,
		"\n-s PATH  the control socket of `vnicemu run --control PATH`\n"
		"         (default: $VNICEMU_CONTROL, else %s)\n"
		"Exit status: 0 success, 1 error reply, 2 usage or connection error.\n",
		CTL_DEFAULT_PATH);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Receive more bytes (T_MORE) before @deadline (ms, CLOCK_MONOTONIC; -1: none). With @waitmask,
 * SIGINT and SIGTERM are blocked except inside ppoll(), so none is lost between the check of
 * stop_signal and the wait.
 */
static enum token fill(struct conn *c, long long deadline, const sigset_t *waitmask)
{
	if (c->start) {
		memmove(c->buf, c->buf + c->start, c->len - c->start);
		c->len -= c->start;
		c->start = 0;
	}
	if (c->len == c->cap) {
		size_t cap = c->cap * 2;
		char *buf = cap <= REPLY_MAX ? realloc(c->buf, cap) : NULL;

		if (!buf) {
			errno = EMSGSIZE;
			return T_ERROR;
		}
		c->buf = buf;
		c->cap = cap;
	}
	for (;;) {
		struct pollfd p = {.fd = c->fd, .events = POLLIN};
		struct timespec ts, *tsp = NULL;

		if (stop_signal)
			return T_SIGNAL;
		if (deadline >= 0) {
			long long left = deadline - now_ms();

			if (left <= 0)
				return T_TIMEOUT;
			ts = (struct timespec){.tv_sec = left / 1000,
					       .tv_nsec = left % 1000 * 1000000};
			tsp = &ts;
		}
		int r = ppoll(&p, 1, tsp, waitmask);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return T_ERROR;
		if (r == 0)
			continue; /* the deadline check above decides */
		ssize_t n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ECONNRESET)
			return T_EOF;
		if (n < 0)
			return T_ERROR;
		if (n == 0)
			return T_EOF;
		c->len += (size_t)n;
		return T_MORE;
	}
}

/*
 * The next line (NUL-terminated, without its newline, valid until the next call) or, when
 * @prompt_ok, the prompt. A data line that happens to start with "vde$ " is read as a line
 * because data blocks are read with @prompt_ok false.
 */
static enum token next(struct conn *c, long long deadline, bool prompt_ok, char **line,
		       const sigset_t *waitmask)
{
	const size_t plen = strlen(CTL_PROMPT_TAIL);

	for (;;) {
		char *p = c->buf + c->start;
		size_t avail = c->len - c->start;
		char *nl = avail ? memchr(p, '\n', avail) : NULL;

		if (prompt_ok && avail >= plen && !memcmp(p, CTL_PROMPT_TAIL, plen)) {
			c->start += plen;
			return T_PROMPT;
		}
		if (nl) {
			*nl = '\0';
			if (nl > p && nl[-1] == '\r')
				nl[-1] = '\0';
			c->start += (size_t)(nl - p) + 1;
			*line = p;
			return T_LINE;
		}
		enum token t = fill(c, deadline, waitmask);
		if (t != T_MORE)
			return t;
	}
}

/* "1000 Success", "1022 Invalid argument", "9999 END OF SESSION": a status line. */
static bool is_status(const char *line)
{
	for (int i = 0; i < 4; i++)
		if (line[i] < '0' || line[i] > '9')
			return false;
	return (line[0] == '1' || !strncmp(line, "9999", 4)) && line[4] == ' ';
}

static int token_error(const struct conn *c, enum token t, const char *when)
{
	if (t == T_TIMEOUT)
		return fail(EXIT_USAGE, "%s: no reply from vnicemu within %d s", c->path,
			    TIMEOUT_MS / 1000);
	if (t == T_EOF)
		return fail(EXIT_USAGE, "%s: connection closed %s", c->path, when);
	if (t == T_PROMPT || t == T_LINE || t == T_MORE)
		return fail(EXIT_USAGE, "%s: unexpected reply %s", c->path, when);
	return fail(EXIT_USAGE, "%s: %s", c->path, strerror(errno));
}

static int connect_to(struct conn *c)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = TIMEOUT_MS / 1000};

	if (strlen(c->path) >= sizeof(sa.sun_path))
		return fail(EXIT_USAGE, "%s: %s", c->path, strerror(ENAMETOOLONG));
	memcpy(sa.sun_path, c->path, strlen(c->path) + 1);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return fail(EXIT_USAGE, "socket: %s", strerror(errno));
	/* bounds connect() too, when vnicemu's listen backlog is full */
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return 0;
	int e = errno;
	if (e == ENOENT || e == ECONNREFUSED)
		return fail(EXIT_USAGE, "%s: %s (is vnicemu run --control %s running?)", c->path,
			    strerror(e), c->path);
	if (e == EACCES)
		return fail(EXIT_USAGE, "%s: %s (the socket is mode 0600: run as vnicemu's user)",
			    c->path, strerror(e));
	return fail(EXIT_USAGE, "%s: %s", c->path, strerror(e == EINPROGRESS ? ETIMEDOUT : e));
}

static int send_all(struct conn *c, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return fail(EXIT_USAGE, "%s: %s", c->path, strerror(errno));
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Watch lines until a signal or the end of the session; the status was "1000 Success". */
static int watch(struct conn *c, const sigset_t *waitmask)
{
	char *line;

	for (;;) {
		enum token t = next(c, -1, true, &line, waitmask);

		if (t == T_SIGNAL)
			return 0;
		if (t == T_PROMPT)
			continue;
		if (t != T_LINE)
			return token_error(c, t, "while watching");
		if (!strncmp(line, CTL_WATCH_PREFIX, strlen(CTL_WATCH_PREFIX))) {
			/* a watcher whose output goes nowhere stops, rather than watch forever */
			printf("%s\n", line + strlen(CTL_WATCH_PREFIX));
			if (fflush(stdout))
				return stdout_failed();
		} else if (!strncmp(line, "9999 ", 5)) {
			return 0;
		}
	}
}

/* Send @cmdline and read its reply; returns the exit status. */
static int run(struct conn *c, const char *cmd, const char *cmdline)
{
	sigset_t block, mask, *waitmask = NULL;
	char *data = NULL, *line;
	size_t dlen = 0;
	bool in_data = false;
	int rc;
	FILE *mem;

	if (!strcmp(cmd, "watch")) {
		/* a watch ends with SIGINT/SIGTERM: caught, and let in only inside ppoll() */
		struct sigaction sa = {.sa_handler = on_signal};

		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigemptyset(&block);
		sigaddset(&block, SIGINT);
		sigaddset(&block, SIGTERM);
		sigprocmask(SIG_BLOCK, &block, &mask);
		sigdelset(&mask, SIGINT);
		sigdelset(&mask, SIGTERM);
		waitmask = &mask;
	}

	c->cap = 4096;
	c->buf = malloc(c->cap);
	if (!c->buf)
		return fail(EXIT_USAGE, "%s", strerror(ENOMEM));
	rc = connect_to(c);
	if (rc)
		return rc;

	/* the banner, up to the prompt; a full server says "1016 ..." instead and hangs up */
	long long deadline = now_ms() + TIMEOUT_MS;
	for (;;) {
		enum token t = next(c, deadline, true, &line, waitmask);

		if (t == T_PROMPT)
			break;
		if (t != T_LINE)
			return t == T_SIGNAL ? 0 : token_error(c, t, "before the prompt");
		if (is_status(line))
			return fail(EXIT_USAGE, "%s: %s%s", c->path, line + 5,
				    strncmp(line, "1016 ", 5) ? "" : " (too many control clients)");
	}

	rc = send_all(c, cmdline, strlen(cmdline));
	if (rc)
		return rc;

	mem = open_memstream(&data, &dlen);
	if (!mem)
		return fail(EXIT_USAGE, "%s", strerror(errno));
	deadline = now_ms() + TIMEOUT_MS;
	for (;;) {
		enum token t = next(c, deadline, false, &line, waitmask);

		if (t != T_LINE) {
			fclose(mem);
			free(data);
			return t == T_SIGNAL ? 0 : token_error(c, t, "before the reply ended");
		}
		if (in_data) {
			/* a lone "." ends the block; ".x" was sent as "..x" */
			if (!strcmp(line, "."))
				in_data = false;
			else
				fprintf(mem, "%s\n", line + (line[0] == '.'));
		} else if (!strcmp(line, CTL_DATA_START)) {
			in_data = true;
		} else if (is_status(line)) {
			break;
		} /* else: an empty line or an asynchronous 3xxx line */
	}
	fclose(mem);

	if (!strncmp(line, CTL_STATUS_OK, strlen(CTL_STATUS_OK))) {
		fwrite(data, 1, dlen, stdout);
		free(data);
		if (!strcmp(cmd, "watch")) {
			fflush(stdout);
			rc = watch(c, waitmask);
		}
		if (fflush(stdout) || ferror(stdout))
			return stdout_failed();
		return rc;
	}
	fwrite(data, 1, dlen, stderr);
	free(data);
	if (!strncmp(line, "9999 ", 5))
		return fail(EXIT_USAGE, "%s: vnicemu ended the session", c->path);
	return fail(EXIT_ERROR, "%s: %s", cmd, line + 5);
}

/* The command line to send, checked here so that a usage error never reaches vnicemu. */
static int build_line(int argc, char **argv, char *line, size_t size)
{
	const struct ctl_command *cmd = NULL;
	size_t n = 0;

	for (size_t i = 0; i < CTL_NCOMMANDS && !cmd; i++)
		if (!ctl_commands[i].session && !strcmp(argv[0], ctl_commands[i].name))
			cmd = &ctl_commands[i];
	if (!cmd) {
		fail(EXIT_USAGE, "unknown command '%s' (try 'vnicctl --help')", argv[0]);
		return -1;
	}
	/* set takes pairs: the server would answer an odd count "needs on or off" */
	if (argc - 1 < cmd->min_args || argc - 1 > cmd->max_args ||
	    (cmd == &ctl_commands[CTL_CMD_SET] && argc % 2 == 0)) {
		fail(EXIT_USAGE, "usage: vnicctl [-s PATH] %s%s%s", cmd->name,
		     *cmd->syntax ? " " : "", cmd->syntax);
		return -1;
	}
	for (int a = 0; a < argc; a++) {
		size_t len = strlen(argv[a]);

		for (size_t k = 0; k < len; k++) {
			unsigned char ch = (unsigned char)argv[a][k];

			if (ch <= ' ' || ch > '~') {
				fail(EXIT_USAGE, "'%s': a word is printable ASCII, without spaces",
				     argv[a]);
				return -1;
			}
		}
		if (!len) {
			fail(EXIT_USAGE, "empty argument");
			return -1;
		}
		if (n + !!n + len > CTL_LINE_MAX) {
			fail(EXIT_USAGE, "command too long (max %d bytes)", CTL_LINE_MAX);
			return -1;
		}
		if (n)
			line[n++] = ' ';
		memcpy(line + n, argv[a], len);
		n += len;
	}
	if (n + 2 > size)
		return -1;
	line[n++] = '\n';
	line[n] = '\0';
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"socket", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct conn c = {.fd = -1};
	char line[CTL_LINE_MAX + 2];
	int opt;

	c.path = getenv("VNICEMU_CONTROL");
	if (!c.path || !*c.path)
		c.path = CTL_DEFAULT_PATH;
	atexit(close_stdout);
	opterr = 0;
	/* '+': stop at the command, so that "stats --json" keeps its option */
	while ((opt = getopt_long(argc, argv, "+:s:h", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			c.path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("vnicctl %s\n", VNICEMU_VERSION);
			return 0;
		case ':':
			return fail(EXIT_USAGE, "missing argument for '%s' (try 'vnicctl --help')",
				    argv[optind - 1]);
		default:
			return fail(EXIT_USAGE, "unknown option '%s' (try 'vnicctl --help')",
				    argv[optind - 1]);
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!*c.path)
		return fail(EXIT_USAGE, "empty socket path");
	if (build_line(argc - optind, argv + optind, line, sizeof(line)))
		return EXIT_USAGE;

	int rc = run(&c, argv[optind], line);
	if (c.fd >= 0)
		close(c.fd);
	free(c.buf);
	return rc;
}
