// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The control socket server: VDE-console framing over a non-blocking UNIX stream socket.
 *
 * Each client has a fixed input buffer and a bounded output buffer. Complete lines are run one
 * at a time while the client's unsent output is small; past that its socket is not read (the
 * client is slowed, not dropped), so only asynchronous watch lines can fill the output buffer,
 * and a client that lets it fill is closed. docs/control-protocol.md is the protocol reference.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "emu/control/control.h"

#define CTL_BANNER	 "vnicemu " VNICEMU_VERSION " control console (type help)\n"
#define CTL_IN_SIZE	 1024	      /* per-client input buffer, > CTL_LINE_MAX + 2 */
#define CTL_OUT_SOFT	 (16u << 10)  /* unsent bytes above which a client's lines wait */
#define CTL_OUT_MAX	 (256u << 10) /* unsent bytes above which a client is dropped */
#define CTL_ACCEPT_BURST 8	      /* connections accepted per ctl_server_handle() */

struct ctl_out {
	char *buf; /* always NUL-terminated */
	size_t len;
	size_t cap;
	bool truncated; /* a ctl_printf() did not fit in CTL_REPLY_MAX */
};

struct ctl_client {
	int fd;		 /* -1: free slot */
	bool watching;	 /* gets a "3001 watch" line every tick */
	bool discarding; /* inside an overlong line: drop bytes up to the next newline */
	bool eof;	 /* the client has shut down its side */
	bool ending;	 /* no more commands: close once the output is sent */
	bool overflow;	 /* unsent output would pass CTL_OUT_MAX: close */
	size_t inlen;
	char in[CTL_IN_SIZE];
	char *out; /* unsent bytes are out[outoff, outlen) */
	size_t outoff;
	size_t outlen;
	size_t outcap;
};

struct ctl_server {
	int fd;
	char *path;
	dev_t dev; /* the socket file this server bound, so that free() removes only that one */
	ino_t ino;
	struct ctl_handler h;
	void *nic;
	/* accept() failed for want of descriptors (or memory): the listener is not polled
	 * until a client closes or the next tick, or poll() would report it ready forever */
	bool accept_paused;
	struct ctl_out reply; /* the current command's data lines, or the watch line */
	struct ctl_client clients[CTL_MAX_CLIENTS];
};

/* ---- reply buffers ---- */

static int ctl_out_init(struct ctl_out *out)
{
	*out = (struct ctl_out){.cap = 4096};
	out->buf = malloc(out->cap);
	if (!out->buf)
		return -ENOMEM;
	out->buf[0] = '\0';
	return 0;
}

struct ctl_out *ctl_out_new(void)
{
	struct ctl_out *out = malloc(sizeof(*out));

	if (!out)
		return NULL;
	if (ctl_out_init(out)) {
		free(out);
		errno = ENOMEM;
		return NULL;
	}
	return out;
}

void ctl_out_reset(struct ctl_out *out)
{
	out->len = 0;
	out->buf[0] = '\0';
	out->truncated = false;
}

const char *ctl_out_text(const struct ctl_out *out, size_t *len)
{
	if (len)
		*len = out->len;
	return out->buf;
}

void ctl_out_free(struct ctl_out *out)
{
	if (!out)
		return;
	free(out->buf);
	free(out);
}

void ctl_printf(struct ctl_out *out, const char *fmt, ...)
{
	va_list ap;

	while (!out->truncated) {
		size_t room = out->cap - out->len;

		va_start(ap, fmt);
		int n = vsnprintf(out->buf + out->len, room, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < room) {
			out->len += (size_t)n;
			return;
		}
		size_t need = n < 0 ? SIZE_MAX : out->len + (size_t)n + 1;
		if (need > CTL_REPLY_MAX) {
			out->truncated = true;
			break;
		}
		size_t cap = out->cap * 2 > need ? out->cap * 2 : need;
		if (cap > CTL_REPLY_MAX)
			cap = CTL_REPLY_MAX;
		char *buf = realloc(out->buf, cap);
		if (!buf) {
			out->truncated = true;
			break;
		}
		out->buf = buf;
		out->cap = cap;
	}
	out->buf[out->len] = '\0'; /* vsnprintf() may have left a partial line past len */
}

/* ---- client output ---- */

static size_t pending(const struct ctl_client *c)
{
	return c->outlen - c->outoff;
}

static void out_put(struct ctl_client *c, const char *p, size_t n)
{
	if (c->overflow)
		return;
	if (pending(c) + n > CTL_OUT_MAX) {
		c->overflow = true;
		return;
	}
	if (c->outlen + n > c->outcap && c->outoff) {
		memmove(c->out, c->out + c->outoff, pending(c));
		c->outlen -= c->outoff;
		c->outoff = 0;
	}
	if (c->outlen + n > c->outcap) {
		size_t cap = c->outcap ? c->outcap : 4096;

		while (cap < c->outlen + n)
			cap *= 2;
		if (cap > CTL_OUT_MAX)
			cap = CTL_OUT_MAX;
		char *buf = realloc(c->out, cap);
		if (!buf) {
			c->overflow = true;
			return;
		}
		c->out = buf;
		c->outcap = cap;
	}
	memcpy(c->out + c->outlen, p, n);
	c->outlen += n;
}

static void out_str(struct ctl_client *c, const char *s)
{
	out_put(c, s, strlen(s));
}

/* Return: 0 (all sent, or the socket is full) or -errno (the client is gone). */
static int client_flush(struct ctl_client *c)
{
	while (pending(c)) {
		ssize_t n =
			send(c->fd, c->out + c->outoff, pending(c), MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -errno;
		}
		c->outoff += (size_t)n;
	}
	c->outoff = c->outlen = 0;
	return 0;
}

static void client_close(struct ctl_client *c)
{
	close(c->fd);
	free(c->out);
	*c = (struct ctl_client){.fd = -1};
}

/* The reply to one line: the data block if there are lines, the status line, the prompt. */
static void reply(struct ctl_server *s, struct ctl_client *c, int status)
{
	const struct ctl_out *r = &s->reply;
	char line[96];

	if (r->truncated)
		status = -EMSGSIZE;
	if (r->len) {
		out_str(c, CTL_DATA_START "\n");
		for (size_t pos = 0; pos < r->len;) {
			const char *p = r->buf + pos;
			const char *nl = memchr(p, '\n', r->len - pos);
			size_t n = nl ? (size_t)(nl - p) : r->len - pos;

			/* a data line starting with '.' gets one more, so "." alone always ends */
			if (*p == '.')
				out_put(c, ".", 1);
			out_put(c, p, n);
			out_put(c, "\n", 1);
			pos += n + 1;
		}
		if (r->truncated)
			out_str(c, "(reply cut: longer than 96 KiB)\n");
		out_str(c, ".\n");
	}
	if (status > 0 || status < -999)
		status = -EIO;
	if (status)
		snprintf(line, sizeof(line), "%d %s\n", CTL_STATUS_ERRNO - status,
			 strerror(-status));
	else
		snprintf(line, sizeof(line), CTL_STATUS_OK "\n");
	out_str(c, line);
	out_str(c, CTL_PROMPT);
}

/* ---- commands ---- */

/* What the server does for each command of ctl_commands[] (emu/control/protocol.h). */
typedef int ctl_run_fn(struct ctl_server *s, struct ctl_client *c, int argc, char **argv);

static int unsupported(struct ctl_server *s, const char *cmd)
{
	ctl_printf(&s->reply, "'%s' is not supported by this device\n", cmd);
	return -EOPNOTSUPP;
}

static int cmd_show(struct ctl_server *s, struct ctl_client *c, int argc, char **argv)
{
	(void)c, (void)argc;
	if (!s->h.show)
		return unsupported(s, argv[0]);
	return s->h.show(s->nic, &s->reply);
}

static int cmd_set(struct ctl_server *s, struct ctl_client *c, int argc, char **argv)
{
	(void)c;
	if (!s->h.set)
		return unsupported(s, argv[0]);
	if (argc % 2 == 0) {
		ctl_printf(&s->reply, "set: '%s' needs on or off\n", argv[argc - 1]);
		return -EINVAL;
	}
	/* all values are checked before the first change, so a typo changes nothing */
	for (int i = 1; i < argc; i += 2) {
		if (strchr(argv[i], '.')) {
			if (!s->h.set_param)
				return unsupported(s, argv[0]);
			continue; /* a quirk: the device checks its value */
		}
		if (strcmp(argv[i + 1], "on") && strcmp(argv[i + 1], "off")) {
			ctl_printf(&s->reply, "set: %s '%s': the value is on or off\n", argv[i],
				   argv[i + 1]);
			return -EINVAL;
		}
	}
	for (int i = 1; i < argc; i += 2) {
		int rc = strchr(argv[i], '.')
				 ? s->h.set_param(s->nic, argv[i], argv[i + 1], &s->reply)
				 : s->h.set(s->nic, argv[i], !strcmp(argv[i + 1], "on"), &s->reply);

		if (rc)
			return rc;
	}
	return 0;
}

static int cmd_profile(struct ctl_server *s, struct ctl_client *c, int argc, char **argv)
{
	(void)c, (void)argc;
	if (!s->h.profile)
		return unsupported(s, argv[0]);
	return s->h.profile(s->nic, argv[1], &s->reply);
}

static int cmd_stats(struct ctl_server *s, struct ctl_client *c, int argc, char **argv)
{
	(void)c;
	if (argc == 2 && strcmp(argv[1], "--json")) {
		ctl_printf(&s->reply, "stats: unknown option '%s' (usage: stats [--json])\n",
			   argv[1]);
		return -EINVAL;
	}
	if (!s->h.stats)
		return unsupported(s, argv[0]);
	return s->h.stats(s->nic, argc == 2, &s->reply);
}

static int cmd_keys(struct ctl_server *s, struct ctl_client *c, int argc, char **argv)
{
	(void)c, (void)argc;
	if (!s->h.keys)
		return unsupported(s, argv[0]);
	return s->h.keys(s->nic, &s->reply);
}

static int cmd_watch(struct ctl_server *s, struct ctl_client *c, int argc, char **argv)
{
	(void)argc;
	if (!s->h.watch_line)
		return unsupported(s, argv[0]);
	c->watching = true;
	return 0;
}

static int cmd_unwatch(struct ctl_server *s, struct ctl_client *c, int argc, char **argv)
{
	/* the line itself already ended the watch (see run_line) */
	(void)s, (void)c, (void)argc, (void)argv;
	return 0;
}

static int cmd_logout(struct ctl_server *s, struct ctl_client *c, int argc, char **argv)
{
	(void)s, (void)argc, (void)argv;
	c->ending = true;
	return 0;
}

static int cmd_help(struct ctl_server *s, struct ctl_client *c, int argc, char **argv)
{
	(void)c, (void)argc, (void)argv;
	/* vdeterm's completion reads the first word of each line after the dashes */
	ctl_printf(&s->reply, "%-12s %-30s %s\n", "COMMAND", "SYNTAX", "HELP");
	ctl_printf(&s->reply, "%-12s %-30s %s\n", "------------", "------------------------------",
		   "------------");
	for (size_t i = 0; i < CTL_NCOMMANDS; i++)
		ctl_printf(&s->reply, "%-12s %-30s %s\n", ctl_commands[i].name,
			   ctl_commands[i].syntax, ctl_commands[i].help);
	return 0;
}

static ctl_run_fn *const ctl_run[CTL_NCOMMANDS] = {
	[CTL_CMD_HELP] = cmd_help,     [CTL_CMD_SHOW] = cmd_show,
	[CTL_CMD_SET] = cmd_set,       [CTL_CMD_PROFILE] = cmd_profile,
	[CTL_CMD_STATS] = cmd_stats,   [CTL_CMD_KEYS] = cmd_keys,
	[CTL_CMD_WATCH] = cmd_watch,   [CTL_CMD_UNWATCH] = cmd_unwatch,
	[CTL_CMD_LOGOUT] = cmd_logout, [CTL_CMD_QUIT] = cmd_logout,
};

static void too_long(struct ctl_server *s, struct ctl_client *c)
{
	ctl_out_reset(&s->reply);
	ctl_printf(&s->reply, "line too long (max %d bytes)\n", CTL_LINE_MAX);
	reply(s, c, -E2BIG);
}

static void run_line(struct ctl_server *s, struct ctl_client *c, const char *line, size_t len)
{
	char buf[CTL_LINE_MAX + 1];
	char *argv[CTL_LINE_MAX / 2 + 1]; /* words need a separator each */
	char *save = NULL;
	int argc = 0;

	c->watching = false; /* any line ends a watch */
	if (len && line[len - 1] == '\r')
		len--;
	if (len > CTL_LINE_MAX) {
		too_long(s, c);
		return;
	}
	ctl_out_reset(&s->reply);
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)line[i];

		if ((ch < 0x20 && ch != '\t') || ch > 0x7e) {
			ctl_printf(&s->reply,
				   "byte 0x%02x at column %zu: commands are printable ASCII\n", ch,
				   i + 1);
			reply(s, c, -EINVAL);
			return;
		}
	}
	memcpy(buf, line, len);
	buf[len] = '\0';
	for (char *w = strtok_r(buf, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
		argv[argc++] = w;
	if (!argc || argv[0][0] == '#') {
		out_str(c, CTL_PROMPT);
		return;
	}

	size_t id = 0;
	while (id < CTL_NCOMMANDS && strcmp(ctl_commands[id].name, argv[0]))
		id++;
	if (id == CTL_NCOMMANDS) {
		ctl_printf(&s->reply, "unknown command '%s' (try help)\n", argv[0]);
		reply(s, c, -ENOSYS);
		return;
	}
	const struct ctl_command *cmd = &ctl_commands[id];
	if (argc - 1 < cmd->min_args || argc - 1 > cmd->max_args) {
		ctl_printf(&s->reply, "usage: %s%s%s\n", cmd->name, *cmd->syntax ? " " : "",
			   cmd->syntax);
		reply(s, c, -EINVAL);
		return;
	}
	int rc = ctl_run[id](s, c, argc, argv);
	if (c->ending)
		out_str(c, CTL_END "\n");
	else
		reply(s, c, rc);
}

/* Run the complete lines received, as long as the client reads its replies. */
static void client_run(struct ctl_server *s, struct ctl_client *c)
{
	size_t pos = 0;
	char *nl;

	while (!c->ending && pending(c) < CTL_OUT_SOFT &&
	       (nl = memchr(c->in + pos, '\n', c->inlen - pos))) {
		size_t len = (size_t)(nl - (c->in + pos));

		if (c->discarding)
			c->discarding = false;
		else
			run_line(s, c, c->in + pos, len);
		pos += len + 1;
	}
	memmove(c->in, c->in + pos, c->inlen - pos);
	c->inlen -= pos;
	if (c->ending || memchr(c->in, '\n', c->inlen))
		return; /* ended, or more lines wait for the output to drain */
	if (c->discarding) {
		c->inlen = 0;
	} else if (c->inlen > CTL_LINE_MAX + 1) { /* + 1: the line's CR may be in there */
		too_long(s, c);
		c->discarding = true;
		c->inlen = 0;
	}
	if (c->eof)
		c->ending = true; /* an unterminated last line is dropped */
}

static bool client_reading(const struct ctl_client *c)
{
	return !c->ending && !c->eof && pending(c) < CTL_OUT_SOFT && c->inlen < sizeof(c->in);
}

static int client_read(struct ctl_client *c)
{
	ssize_t n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, MSG_DONTWAIT);

	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -errno;
	if (n == 0)
		c->eof = true;
	c->inlen += (size_t)n;
	return 0;
}

/*
 * Run the lines that can run and send what the socket takes, again while sending made room;
 * close a client that is gone, done, or overflowing.
 */
static void client_work(struct ctl_server *s, struct ctl_client *c)
{
	for (;;) {
		client_run(s, c);
		if (c->overflow || client_flush(c)) {
			client_close(c);
			return;
		}
		if (c->ending || pending(c) >= CTL_OUT_SOFT || !memchr(c->in, '\n', c->inlen))
			break;
	}
	if (c->ending && !pending(c))
		client_close(c);
}

static void client_event(struct ctl_server *s, struct ctl_client *c, short revents)
{
	if ((revents & (POLLOUT | POLLHUP | POLLERR)) && client_flush(c)) {
		client_close(c);
		return;
	}
	if ((revents & (POLLIN | POLLHUP | POLLERR)) && client_reading(c) && client_read(c)) {
		client_close(c);
		return;
	}
	client_work(s, c);
}

static void accept_clients(struct ctl_server *s)
{
	for (int i = 0; i < CTL_ACCEPT_BURST; i++) {
		int fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM)
				s->accept_paused = true;
			return; /* EAGAIN: none waiting; another error: the next poll retries */
		}
		struct ctl_client *c = NULL;
		for (int j = 0; j < CTL_MAX_CLIENTS && !c; j++)
			if (s->clients[j].fd < 0)
				c = &s->clients[j];
		if (!c) {
			char busy[64];
			int n = snprintf(busy, sizeof(busy), "%d %s\n", CTL_STATUS_ERRNO + EBUSY,
					 strerror(EBUSY));

			(void)!send(fd, busy, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
			close(fd);
			continue;
		}
		c->fd = fd;
		out_str(c, CTL_BANNER CTL_PROMPT);
		client_work(s, c);
	}
}

/* ---- the server ---- */

static void set_err(char *err, size_t errlen, const char *path, const char *why)
{
	if (err && errlen)
		snprintf(err, errlen, "%s: %s", path, why);
}

/*
 * A socket file at @path that refuses connections is left over from a vnicemu that died:
 * remove it. Anything else there is not ours to remove.
 */
static int clear_stale(const char *path, const struct sockaddr_un *sa, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		set_err(err, errlen, path, strerror(errno));
		return -errno;
	}
	if (!S_ISSOCK(st.st_mode)) {
		set_err(err, errlen, path, "exists and is not a socket (left as it is)");
		return -EEXIST;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		set_err(err, errlen, path, strerror(errno));
		return -errno;
	}
	int rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	int e = rc ? errno : 0;
	close(fd);
	if (rc == 0 || e == EAGAIN) { /* EAGAIN: alive, its backlog is full */
		set_err(err, errlen, path, "another vnicemu is listening");
		return -EADDRINUSE;
	}
	if (e != ECONNREFUSED) {
		set_err(err, errlen, path, strerror(e));
		return -e;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		set_err(err, errlen, path, strerror(errno));
		return -errno;
	}
	return 0;
}

/* The directory holding the socket (e.g. /run/vnicemu) is created, private, if missing. */
static void make_parent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	const char *slash = strrchr(path, '/');

	if (!slash || slash == path)
		return;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	(void)mkdir(dir, 0700); /* errors show up, clearer, when bind() fails */
}

struct ctl_server *ctl_server_new(const char *path, const struct ctl_handler *h, void *nic,
				  char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct ctl_server *s;
	struct stat st;
	int rc;

	if (!path || !*path) {
		set_err(err, errlen, "control socket", "empty path");
		errno = EINVAL;
		return NULL;
	}
	if (strlen(path) >= sizeof(sa.sun_path)) {
		char why[64];

		snprintf(why, sizeof(why), "%s (max %zu bytes)", strerror(ENAMETOOLONG),
			 sizeof(sa.sun_path) - 1);
		set_err(err, errlen, path, why);
		errno = ENAMETOOLONG;
		return NULL;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);

	s = calloc(1, sizeof(*s));
	if (!s || !(s->path = strdup(path)) || ctl_out_init(&s->reply)) {
		rc = -ENOMEM;
		set_err(err, errlen, path, strerror(ENOMEM));
		goto fail;
	}
	s->fd = -1;
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		s->clients[i].fd = -1;
	if (h)
		s->h = *h;
	s->nic = nic;

	make_parent(path);
	rc = clear_stale(path, &sa, err, errlen);
	if (rc)
		goto fail;
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		goto fail_errno;
	/* the umask makes the file 0600 from its first moment, not after a window */
	mode_t old = umask(0177);
	rc = bind(s->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0)
		goto fail_errno;
	if (lstat(path, &st) < 0) {
		rc = -errno;
		set_err(err, errlen, path, strerror(errno));
		goto fail;
	}
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	if (listen(s->fd, CTL_MAX_CLIENTS) < 0)
		goto fail_errno;
	return s;

fail_errno:
	rc = -errno;
	set_err(err, errlen, path, strerror(errno));
fail:
	ctl_server_free(s);
	errno = -rc;
	return NULL;
}

void ctl_server_free(struct ctl_server *s)
{
	struct stat st;

	if (!s)
		return;
	for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
		struct ctl_client *c = &s->clients[i];

		if (c->fd < 0)
			continue;
		out_str(c, CTL_END "\n");
		(void)client_flush(c);
		client_close(c);
	}
	if (s->fd >= 0)
		close(s->fd);
	if (s->ino && lstat(s->path, &st) == 0 && st.st_dev == s->dev && st.st_ino == s->ino)
		unlink(s->path);
	free(s->path);
	free(s->reply.buf);
	free(s);
}

unsigned ctl_server_pollfds(struct ctl_server *s, struct pollfd *fds, unsigned max)
{
	unsigned n = 0;

	if (!s || !max)
		return 0;
	fds[n++] = (struct pollfd){.fd = s->fd, .events = s->accept_paused ? 0 : POLLIN};
	for (int i = 0; i < CTL_MAX_CLIENTS && n < max; i++) {
		const struct ctl_client *c = &s->clients[i];

		if (c->fd < 0)
			continue;
		fds[n++] = (struct pollfd){
			.fd = c->fd,
			.events = (short)((client_reading(c) ? POLLIN : 0) |
					  (pending(c) ? POLLOUT : 0)),
		};
	}
	return n;
}

static unsigned nclients(const struct ctl_server *s)
{
	unsigned n = 0;

	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		n += s->clients[i].fd >= 0;
	return n;
}

void ctl_server_handle(struct ctl_server *s, const struct pollfd *fds, unsigned n)
{
	bool incoming = false;

	if (!s)
		return;
	unsigned before = nclients(s);
	for (unsigned i = 0; i < n; i++) {
		if (!fds[i].revents)
			continue;
		if (fds[i].fd == s->fd) {
			incoming = fds[i].revents & POLLIN;
			continue;
		}
		for (int j = 0; j < CTL_MAX_CLIENTS; j++) {
			if (s->clients[j].fd == fds[i].fd) {
				client_event(s, &s->clients[j], fds[i].revents);
				break;
			}
		}
	}
	/* a client closed: its descriptor is free for one waiting in the backlog */
	if (s->accept_paused && nclients(s) < before)
		s->accept_paused = false;
	/* last, so that a new client cannot take the descriptor of one closed above */
	if (incoming)
		accept_clients(s);
}

void ctl_server_tick(struct ctl_server *s)
{
	bool any = false;

	if (!s)
		return;
	s->accept_paused = false; /* descriptors may have been freed elsewhere: try again */
	if (!s->h.watch_line)
		return;
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		any |= s->clients[i].fd >= 0 && s->clients[i].watching;
	if (!any)
		return;

	struct ctl_out *r = &s->reply;
	ctl_out_reset(r);
	int rc = s->h.watch_line(s->nic, r);
	if (rc && !r->len)
		ctl_printf(r, "unavailable: %s", strerror(rc < 0 ? -rc : EIO));
	/* one line, whatever the handler wrote */
	for (size_t i = 0; i < r->len; i++)
		if ((unsigned char)r->buf[i] < 0x20 || r->buf[i] == 0x7f)
			r->buf[i] = ' ';
	while (r->len && r->buf[r->len - 1] == ' ')
		r->buf[--r->len] = '\0';

	bool sent[CTL_MAX_CLIENTS] = {false};
	for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
		struct ctl_client *c = &s->clients[i];

		if (c->fd < 0 || !c->watching)
			continue;
		out_str(c, CTL_WATCH_PREFIX);
		out_put(c, r->buf, r->len);
		out_str(c, "\n");
		sent[i] = true;
	}
	/* only now: client_work() may run waiting lines, which reuse s->reply */
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		if (sent[i])
			client_work(s, &s->clients[i]);
}
