// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The control socket: a server with a fake device in this process, real UNIX stream clients,
 * and the event loop driven here (poll on ctl_server_pollfds(), then ctl_server_handle()).
 * Replies are compared byte for byte, prompt included, since unixterm, vdeterm and vnicctl
 * all parse that framing. With VNICCTL_BIN defined (the vnicctl binary), vnicctl itself is
 * run against the same server.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "emu/control/control.h"
#include "tests/suites.h"

#define PROMPT	"\nvde$ "
#define BANNER	"vnicemu " VNICEMU_VERSION " control console (type help)\n" PROMPT
#define DATA	"0000 DATA END WITH '.'\n"
#define END	".\n"
#define OK	"1000 Success\n" PROMPT
#define EINVAL_ "1022 Invalid argument\n" PROMPT
#define SHOW	DATA "scatter-gather: on\ntcp-segmentation-offload: off [fixed]\n" END OK

/* ---- a fake device that records what it was asked ---- */

static struct fake {
	int show, set, profile, stats, keys, watch;
	char setlog[256]; /* "sg=off tso=on " */
	char profile_name[64];
	bool json;
	size_t stats_len; /* > 0: stats writes this many bytes in 64-byte lines */
	size_t watch_len; /* > 0: the watch line is this many '0' */
	const char *stats_text;
	const char *watch_text;
} fake;

static int f_show(void *nic, struct ctl_out *out)
{
	ck_assert_ptr_eq(nic, &fake);
	fake.show++;
	ctl_printf(out, "scatter-gather: on\ntcp-segmentation-offload: off [fixed]\n");
	return 0;
}

static int f_set(void *nic, const char *feature, bool on, struct ctl_out *out)
{
	(void)nic;
	fake.set++;
	if (strcmp(feature, "sg") && strcmp(feature, "tso")) {
		ctl_printf(out, "unknown feature '%s'\n", feature);
		return -EINVAL;
	}
	size_t n = strlen(fake.setlog);
	snprintf(fake.setlog + n, sizeof(fake.setlog) - n, "%s=%s ", feature, on ? "on" : "off");
	return 0;
}

static int f_profile(void *nic, const char *name, struct ctl_out *out)
{
	(void)nic;
	fake.profile++;
	snprintf(fake.profile_name, sizeof(fake.profile_name), "%s", name);
	if (strcmp(name, "vmxnet2")) {
		ctl_printf(out, "no profile '%s'\n", name);
		return -ENOENT;
	}
	ctl_printf(out, "profile vmxnet2: VMXNET Enhanced\n");
	return 0;
}

static int f_stats(void *nic, bool json, struct ctl_out *out)
{
	(void)nic;
	fake.stats++;
	fake.json = json;
	if (fake.stats_text)
		ctl_printf(out, "%s", fake.stats_text);
	else if (fake.stats_len)
		for (size_t i = 0; i < fake.stats_len / 64; i++)
			ctl_printf(out, "%063zu\n", i);
	else
		ctl_printf(out, json ? "{\"frames\": 7}\n" : "frames: 7\n");
	return 0;
}

static int f_keys(void *nic, struct ctl_out *out)
{
	(void)nic;
	fake.keys++;
	ctl_printf(out, "192.0.2.1 key length 6\n* key length 12\n");
	return 0;
}

static int f_watch_line(void *nic, struct ctl_out *out)
{
	(void)nic;
	fake.watch++;
	if (fake.watch_text)
		ctl_printf(out, "%s", fake.watch_text);
	else if (fake.watch_len)
		ctl_printf(out, "%0*d", (int)fake.watch_len, 0);
	else
		ctl_printf(out, "frames %d", fake.watch);
	return 0;
}

static const struct ctl_handler handler = {
	.show = f_show,
	.set = f_set,
	.profile = f_profile,
	.stats = f_stats,
	.keys = f_keys,
	.watch_line = f_watch_line,
};

/* ---- the server, driven from here ---- */

static char dir[64];
static char path[128];
static struct ctl_server *srv;

static void setup(void)
{
	memset(&fake, 0, sizeof(fake));
	strcpy(dir, "/tmp/vnicemu-ctl-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/control", dir);
	srv = NULL;
}

static void teardown(void)
{
	ctl_server_free(srv);
	srv = NULL;
	unlink(path);
	rmdir(dir);
}

static void start(void)
{
	char err[256] = "";

	srv = ctl_server_new(path, &handler, &fake, err, sizeof(err));
	ck_assert_msg(srv, "%s", err);
}

static void pump(int ms)
{
	struct pollfd fds[CTL_POLLFDS_MAX];
	unsigned n = ctl_server_pollfds(srv, fds, CTL_POLLFDS_MAX);

	if (poll(fds, n, ms) > 0)
		ctl_server_handle(srv, fds, n);
}

static unsigned nclients(void)
{
	struct pollfd fds[CTL_POLLFDS_MAX];

	return ctl_server_pollfds(srv, fds, CTL_POLLFDS_MAX) - 1;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Serve until the clients that hung up are closed: @n remain. */
static void settle(unsigned n)
{
	for (long long end = now_ms() + 3000; nclients() > n && now_ms() < end;)
		pump(5);
	ck_assert_uint_eq(nclients(), n);
}

/* ---- clients ---- */

static int dial(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	strcpy(sa.sun_path, path);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void say_n(int fd, const void *p, size_t n)
{
	ck_assert_int_eq(send(fd, p, n, MSG_NOSIGNAL), (ssize_t)n);
}

static void say(int fd, const char *s)
{
	say_n(fd, s, strlen(s));
}

/* Serve until @n bytes came from @fd (or 3 s passed); returns how many did. */
static size_t read_n(int fd, char *buf, size_t n)
{
	size_t got = 0;
	long long end = now_ms() + 3000;

	while (got < n && now_ms() < end) {
		pump(5);
		ssize_t r = recv(fd, buf + got, n - got, 0);
		if (r == 0)
			break;
		if (r > 0)
			got += (size_t)r;
		else
			ck_assert_msg(errno == EAGAIN || errno == ECONNRESET, "%s",
				      strerror(errno));
		if (r < 0 && errno == ECONNRESET)
			break;
	}
	buf[got] = '\0';
	return got;
}

/* The next bytes from @fd are exactly @want. */
static void expect(int fd, const char *want)
{
	size_t n = strlen(want);
	char *buf = malloc(n + 1);

	ck_assert_ptr_nonnull(buf);
	read_n(fd, buf, n);
	ck_assert_str_eq(buf, want);
	free(buf);
}

/* Nothing more arrives from @fd while the server runs a little. */
static void expect_quiet(int fd)
{
	char c;

	for (int i = 0; i < 5; i++)
		pump(5);
	ck_assert_int_eq(recv(fd, &c, 1, 0), -1);
	ck_assert_int_eq(errno, EAGAIN);
}

/* @fd reaches end of file (a reset counts) after nothing but @want, within 3 s. */
static void expect_eof(int fd, const char *want)
{
	char buf[4096] = "";
	size_t got = 0;
	long long end = now_ms() + 3000;

	for (;;) {
		ck_assert_msg(now_ms() < end, "no EOF; got '%s'", buf);
		pump(5);
		ssize_t r = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
		if (r == 0 || (r < 0 && errno == ECONNRESET))
			break;
		if (r > 0)
			got += (size_t)r;
		buf[got] = '\0';
	}
	buf[got] = '\0';
	ck_assert_str_eq(buf, want);
}

static int session(void)
{
	int fd = dial();

	expect(fd, BANNER);
	return fd;
}

/* ---- commands and framing ---- */

START_TEST(banner_then_prompt)
{
	start();
	int fd = dial();
	expect(fd, BANNER);
	expect_quiet(fd);
	ck_assert_uint_eq(nclients(), 1);
	close(fd);
}
END_TEST

START_TEST(show_framed)
{
	start();
	int fd = session();
	say(fd, "show\n");
	expect(fd, SHOW);
	say(fd, "show\r\n");
	expect(fd, SHOW);
	say(fd, "  show \t\n");
	expect(fd, SHOW);
	ck_assert_int_eq(fake.show, 3);
	expect_quiet(fd);
	close(fd);
}
END_TEST

START_TEST(set_several_pairs)
{
	start();
	int fd = session();
	say(fd, "set sg off tso on\n");
	expect(fd, OK);
	ck_assert_str_eq(fake.setlog, "sg=off tso=on ");
	close(fd);
}
END_TEST

START_TEST(set_bad_value_changes_nothing)
{
	start();
	int fd = session();
	say(fd, "set sg off tso maybe\n");
	expect(fd, DATA "set: tso 'maybe': the value is on or off\n" END EINVAL_);
	say(fd, "set sg off tso\n");
	expect(fd, DATA "set: 'tso' needs on or off\n" END EINVAL_);
	say(fd, "set sg\n");
	expect(fd, DATA "usage: set FEAT on|off | STAGE.PARAM VALUE ...\n" END EINVAL_);
	say(fd, "set\n");
	expect(fd, DATA "usage: set FEAT on|off | STAGE.PARAM VALUE ...\n" END EINVAL_);
	ck_assert_int_eq(fake.set, 0);
	/* the device refuses the second pair: the first stays applied, the third is not tried */
	say(fd, "set sg off bogus on tso off\n");
	expect(fd, DATA "unknown feature 'bogus'\n" END EINVAL_);
	ck_assert_int_eq(fake.set, 2);
	ck_assert_str_eq(fake.setlog, "sg=off ");
	close(fd);
}
END_TEST

START_TEST(stats_keys_profile_help)
{
	start();
	int fd = session();
	say(fd, "stats\n");
	expect(fd, DATA "frames: 7\n" END OK);
	ck_assert(!fake.json);
	say(fd, "stats --json\n");
	expect(fd, DATA "{\"frames\": 7}\n" END OK);
	ck_assert(fake.json);
	say(fd, "stats --xml\n");
	expect(fd, DATA "stats: unknown option '--xml' (usage: stats [--json])\n" END EINVAL_);
	say(fd, "stats --json x\n");
	expect(fd, DATA "usage: stats [--json]\n" END EINVAL_);
	ck_assert_int_eq(fake.stats, 2);

	say(fd, "keys\n");
	expect(fd, DATA "192.0.2.1 key length 6\n* key length 12\n" END OK);
	say(fd, "keys all\n");
	expect(fd, DATA "usage: keys\n" END EINVAL_);

	say(fd, "profile vmxnet2\n");
	expect(fd, DATA "profile vmxnet2: VMXNET Enhanced\n" END OK);
	say(fd, "profile e1001\n");
	expect(fd, DATA "no profile 'e1001'\n" END "1002 No such file or directory\n" PROMPT);
	ck_assert_str_eq(fake.profile_name, "e1001");
	say(fd, "profile\n");
	expect(fd, DATA "usage: profile NAME\n" END EINVAL_);

	/* vdeterm completes commands from the first word of each line after the dashes */
	char buf[4096];
	say(fd, "help\n");
	read_n(fd, buf, 1500);
	ck_assert_msg(!strncmp(buf, DATA "COMMAND", strlen(DATA "COMMAND")), "%s", buf);
	const char *dashes = strstr(buf, "\n------------ ");
	ck_assert_ptr_nonnull(dashes);
	static const char *const cmds[] = {"help", "show",  "set",     "profile", "stats",
					   "keys", "watch", "unwatch", "logout",  "quit"};
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		char row[32];
		snprintf(row, sizeof(row), "\n%-12s ", cmds[i]);
		ck_assert_msg(strstr(dashes, row), "%s missing from help", cmds[i]);
	}
	char *tail = strstr(buf, "\n" END OK);
	ck_assert_ptr_nonnull(tail);
	ck_assert_str_eq(tail, "\n" END OK);
	close(fd);
}
END_TEST

START_TEST(unknown_command_and_stray_arguments)
{
	start();
	int fd = session();
	say(fd, "frobnicate now\n");
	expect(fd, DATA "unknown command 'frobnicate' (try help)\n" END
			"1038 Function not implemented\n" PROMPT);
	say(fd, "SHOW\n");
	expect(fd, DATA "unknown command 'SHOW' (try help)\n" END
			"1038 Function not implemented\n" PROMPT);
	say(fd, "show all\n");
	expect(fd, DATA "usage: show\n" END EINVAL_);
	ck_assert_int_eq(fake.show, 0);
	close(fd);
}
END_TEST

START_TEST(blank_and_comment_lines_get_the_prompt)
{
	start();
	int fd = session();
	say(fd, "\n");
	expect(fd, PROMPT);
	say(fd, " \t \r\n");
	expect(fd, PROMPT);
	say(fd, "# show\n");
	expect(fd, PROMPT);
	expect_quiet(fd);
	ck_assert_int_eq(fake.show, 0);
	close(fd);
}
END_TEST

START_TEST(pipelined_and_byte_by_byte)
{
	start();
	int fd = session();
	say(fd, "show\nkeys\nset tso off\n");
	expect(fd, SHOW DATA "192.0.2.1 key length 6\n* key length 12\n" END OK OK);
	for (const char *p = "show\r\n"; *p; p++) {
		say_n(fd, p, 1);
		pump(1);
	}
	expect(fd, SHOW);
	close(fd);
}
END_TEST

START_TEST(data_lines_are_dot_stuffed)
{
	start();
	fake.stats_text = ".hidden\n.\nplain";
	int fd = session();
	say(fd, "stats\n");
	/* a missing final newline is added; "." alone never appears inside the block */
	expect(fd, DATA "..hidden\n..\nplain\n" END OK);
	close(fd);
}
END_TEST

START_TEST(oversized_reply_is_cut)
{
	start();
	fake.stats_len = 200 << 10;
	int fd = session();
	say(fd, "stats\n");
	char *buf = malloc(200 << 10);
	size_t n = read_n(fd, buf, (200 << 10) - 1);
	ck_assert_uint_lt(n, 100 << 10);
	static const char tail[] =
		"(reply cut: longer than 96 KiB)\n" END "1090 Message too long\n" PROMPT;
	ck_assert_uint_gt(n, sizeof(tail));
	ck_assert_str_eq(buf + n - (sizeof(tail) - 1), tail);
	free(buf);
	close(fd);
}
END_TEST

START_TEST(missing_handler_is_not_supported)
{
	static const struct ctl_handler none = {.show = NULL};
	char err[256];

	srv = ctl_server_new(path, &none, NULL, err, sizeof(err));
	ck_assert_msg(srv, "%s", err);
	int fd = session();
	say(fd, "show\n");
	expect(fd, DATA "'show' is not supported by this device\n" END
			"1095 Operation not supported\n" PROMPT);
	say(fd, "watch\n");
	expect(fd, DATA "'watch' is not supported by this device\n" END
			"1095 Operation not supported\n" PROMPT);
	ctl_server_tick(srv);
	expect_quiet(fd);
	close(fd);
}
END_TEST

START_TEST(logout_and_quit)
{
	start();
	int fd = session();
	say(fd, "logout\nshow\n"); /* nothing after logout runs */
	expect_eof(fd, "9999 END OF SESSION\n");
	close(fd);
	fd = session();
	say(fd, "quit\n");
	expect_eof(fd, "9999 END OF SESSION\n");
	close(fd);
	ck_assert_uint_eq(nclients(), 0);
	ck_assert_int_eq(fake.show, 0);
}
END_TEST

START_TEST(reply_after_half_close)
{
	start();
	int fd = session();
	say(fd, "show\nsho"); /* the unterminated last line is dropped */
	ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	expect_eof(fd, SHOW);
	ck_assert_uint_eq(nclients(), 0);
	close(fd);
}
END_TEST

/* ---- bad input ---- */

START_TEST(garbage_bytes_keep_the_session)
{
	start();
	int fd = session();
	say_n(fd, "sh\0ow\n", 6);
	expect(fd, DATA "byte 0x00 at column 3: commands are printable ASCII\n" END EINVAL_);
	say(fd, "\xff\xfe\n");
	expect(fd, DATA "byte 0xff at column 1: commands are printable ASCII\n" END EINVAL_);
	say(fd, "show\x1b[A\n");
	expect(fd, DATA "byte 0x1b at column 5: commands are printable ASCII\n" END EINVAL_);
	say(fd, "sh\row\n");
	expect(fd, DATA "byte 0x0d at column 3: commands are printable ASCII\n" END EINVAL_);
	ck_assert_int_eq(fake.show, 0);
	say(fd, "show\n");
	expect(fd, SHOW);
	close(fd);
}
END_TEST

START_TEST(overlong_line_then_the_session_goes_on)
{
#define TOO_LONG DATA "line too long (max 256 bytes)\n" END "1007 Argument list too long\n" PROMPT
	char line[10240];

	start();
	int fd = session();
	/* 10 KiB and no newline: one error, as soon as the line is known to be too long */
	memset(line, 'a', sizeof(line));
	say_n(fd, line, sizeof(line));
	expect(fd, TOO_LONG);
	say_n(fd, line, 5000);
	expect_quiet(fd);
	say(fd, "\nshow\n"); /* the rest of the long line is dropped with its newline */
	expect(fd, SHOW);

	/* with its newline in the same write */
	memset(line, 'b', 300);
	strcpy(line + 300, "\nshow\n");
	say(fd, line);
	expect(fd, TOO_LONG SHOW);

	/* 256 bytes is the limit, the CR of a CR LF not counted */
	char want[512];
	memset(line, 'c', 256);
	strcpy(line + 256, "\r\n");
	say(fd, line);
	line[256] = '\0';
	snprintf(want, sizeof(want),
		 DATA "unknown command '%.256s' (try help)\n" END
		      "1038 Function not implemented\n" PROMPT,
		 line);
	expect(fd, want);
	memset(line, 'c', 257);
	strcpy(line + 257, "\n");
	say(fd, line);
	expect(fd, TOO_LONG);
	expect_quiet(fd);
	close(fd);
#undef TOO_LONG
}
END_TEST

START_TEST(disconnect_mid_line)
{
	start();
	int fd = session();
	say(fd, "sho");
	pump(5);
	close(fd);
	settle(0);
	ck_assert_int_eq(fake.show, 0);
	fd = session();
	say(fd, "show\n");
	expect(fd, SHOW);
	close(fd);
}
END_TEST

START_TEST(disconnect_mid_reply)
{
	start();
	fake.stats_len = 90 << 10; /* more than a socket buffer */

	/* gone before the reply, with the banner still unread */
	int fd = dial();
	for (long long end = now_ms() + 3000; nclients() < 1 && now_ms() < end;)
		pump(5);
	say(fd, "stats\n");
	close(fd);
	/* gone after a few bytes of it */
	int fd2 = session();
	say(fd2, "stats\n");
	char buf[128];
	read_n(fd2, buf, 100);
	close(fd2);
	settle(0); /* and no SIGPIPE killed this process */
	ck_assert_int_eq(fake.stats, 2);

	fd = session();
	say(fd, "keys\n");
	expect(fd, DATA "192.0.2.1 key length 6\n* key length 12\n" END OK);
	close(fd);
}
END_TEST

START_TEST(busy_after_16_clients)
{
	int fds[CTL_MAX_CLIENTS];

	start();
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		fds[i] = session();
	for (int i = 0; i < 4; i++) {
		int fd = dial();
		expect_eof(fd, "1016 Device or resource busy\n");
		close(fd);
	}
	ck_assert_uint_eq(nclients(), CTL_MAX_CLIENTS);
	say(fds[7], "show\n");
	expect(fds[7], SHOW);
	close(fds[3]);
	int fd = session(); /* the freed slot is reused */
	say(fd, "show\n");
	expect(fd, SHOW);
	close(fd);
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		if (i != 3)
			close(fds[i]);
}
END_TEST

/* accept() failing with EMFILE must not make poll() report the listener ready forever */
START_TEST(out_of_descriptors_pauses_the_listener)
{
	struct rlimit old, low;
	struct pollfd fds[CTL_POLLFDS_MAX];

	start();
	int a = session();
	int b = dial(); /* waits in the backlog: the server has no descriptor for it */
	int probe = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(probe, 0);
	close(probe);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = (rlim_t)probe; /* the next descriptor is one too many */
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
	pump(50); /* accept() fails with EMFILE */
	unsigned n = ctl_server_pollfds(srv, fds, CTL_POLLFDS_MAX);
	ck_assert_int_eq(fds[0].events, 0);
	ck_assert_int_eq(poll(fds, n, 100), 0); /* nothing to do: no spinning */

	ctl_server_tick(srv); /* once a second the server tries again, and fails again */
	ctl_server_pollfds(srv, fds, CTL_POLLFDS_MAX);
	ck_assert_int_eq(fds[0].events, POLLIN);
	pump(50);
	ctl_server_pollfds(srv, fds, CTL_POLLFDS_MAX);
	ck_assert_int_eq(fds[0].events, 0);

	close(a); /* a client leaves: its descriptor is free */
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
	settle(0);
	ctl_server_pollfds(srv, fds, CTL_POLLFDS_MAX);
	ck_assert_int_eq(fds[0].events, POLLIN);
	expect(b, BANNER);
	say(b, "show\n");
	expect(b, SHOW);
	close(b);
}
END_TEST

START_TEST(slow_reader_is_slowed_not_dropped)
{
	char *line = malloc(64 << 10);
	const int cmds = 200;

	start();
	fake.stats_len = 8 << 10; /* 200 replies: 1.6 MB, far more than the buffers */
	int fd = session();
	for (int i = 0; i < cmds; i++)
		say(fd, "stats\n");
	for (int i = 0; i < 50; i++)
		pump(1);
	ck_assert_uint_eq(nclients(), 1);
	ck_assert_int_lt(fake.stats, cmds);

	/* now read: every command gets its whole reply, in order */
	int ok = 0;
	size_t have = 0;
	long long end = now_ms() + 5000;
	while (ok < cmds && now_ms() < end) {
		pump(1);
		ssize_t r = recv(fd, line + have, (64 << 10) - 1 - have, 0);
		if (r <= 0)
			continue;
		have += (size_t)r;
		line[have] = '\0';
		char *p;
		while ((p = strstr(line, "1000 Success\n"))) {
			ok++;
			p += strlen("1000 Success\n");
			have -= (size_t)(p - line);
			memmove(line, p, have + 1);
		}
	}
	ck_assert_int_eq(ok, cmds);
	ck_assert_int_eq(fake.stats, cmds);
	free(line);
	close(fd);
}
END_TEST

/* ---- watch ---- */

START_TEST(watch_lines_every_tick)
{
	start();
	int fd = session();
	ctl_server_tick(srv);
	ck_assert_int_eq(fake.watch, 0); /* nobody watches: the device is not asked */
	say(fd, "watch\n");
	expect(fd, OK);
	ctl_server_tick(srv);
	expect(fd, "3001 watch frames 1\n");
	ctl_server_tick(srv);
	expect(fd, "3001 watch frames 2\n");
	say(fd, "unwatch\n");
	expect(fd, OK);
	ctl_server_tick(srv);
	expect_quiet(fd);

	/* any line ends a watch, and runs */
	say(fd, "watch\n");
	expect(fd, OK);
	say(fd, "show\n");
	expect(fd, SHOW);
	ctl_server_tick(srv);
	expect_quiet(fd);
	ck_assert_int_eq(fake.watch, 2);

	/* whatever the device writes, a watch line is one line */
	fake.watch_text = "a\nb\tc\n\n";
	say(fd, "watch\n");
	expect(fd, OK);
	ctl_server_tick(srv);
	expect(fd, "3001 watch a b c\n");
	close(fd);
}
END_TEST

START_TEST(watch_flood_drops_the_client_that_never_reads)
{
	start();
	fake.watch_len = 8192;
	int deaf = session();
	int other = session();
	say(deaf, "watch\n");
	expect(deaf, OK);

	int ticks = 0;
	long long t0 = now_ms();
	while (nclients() == 2 && ticks < 400) {
		ctl_server_tick(srv);
		pump(0);
		ticks++;
	}
	ck_assert_uint_eq(nclients(), 1);
	/* socket buffers + 256 KiB, in 8 KiB lines, without ever waiting */
	ck_assert_int_gt(ticks, 256 / 8);
	ck_assert_int_lt(now_ms() - t0, 2000);

	say(other, "show\n");
	expect(other, SHOW);
	close(deaf);
	close(other);
}
END_TEST

/* ---- the socket file ---- */

START_TEST(socket_is_0600_from_the_start)
{
	struct stat st;
	mode_t old = umask(0);

	start();
	ck_assert_uint_eq(umask(old), 0); /* the process umask is put back */
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
}
END_TEST

START_TEST(parent_directory_created_private)
{
	struct stat st;
	char sub[96];

	snprintf(sub, sizeof(sub), "%s/run", dir);
	snprintf(path, sizeof(path), "%s/control", sub);
	start();
	ck_assert_int_eq(stat(sub, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0700);
	ctl_server_free(srv);
	srv = NULL;
	rmdir(sub);
}
END_TEST

START_TEST(stale_socket_replaced)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	strcpy(sa.sun_path, path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd); /* a vnicemu that died: the file stays, nobody listens */
	start();
	fd = session();
	say(fd, "show\n");
	expect(fd, SHOW);
	close(fd);
}
END_TEST

START_TEST(live_socket_refused)
{
	char err[256];

	start();
	int fd = session();
	errno = 0;
	struct ctl_server *second = ctl_server_new(path, &handler, &fake, err, sizeof(err));
	ck_assert_ptr_null(second);
	ck_assert_int_eq(errno, EADDRINUSE);
	char want[200];
	snprintf(want, sizeof(want), "%s: another vnicemu is listening", path);
	ck_assert_str_eq(err, want);
	/* the first one is untouched */
	say(fd, "show\n");
	expect(fd, SHOW);
	close(fd);
	fd = session();
	close(fd);
}
END_TEST

START_TEST(other_files_left_alone)
{
	char err[256];
	struct stat st;
	FILE *f = fopen(path, "w");

	fputs("not a socket\n", f);
	fclose(f);
	ck_assert_ptr_null(ctl_server_new(path, &handler, &fake, err, sizeof(err)));
	ck_assert_msg(strstr(err, "exists and is not a socket"), "%s", err);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISREG(st.st_mode));

	char lpath[200];
	memset(lpath, 'x', sizeof(lpath) - 1);
	lpath[0] = '/';
	lpath[sizeof(lpath) - 1] = '\0';
	ck_assert_ptr_null(ctl_server_new(lpath, &handler, &fake, err, sizeof(err)));
	ck_assert_int_eq(errno, ENAMETOOLONG);
	ck_assert_msg(strstr(err, "File name too long"), "%s", err);
}
END_TEST

START_TEST(free_ends_sessions_and_unlinks)
{
	struct stat st;

	start();
	int fd = session();
	int fd2 = session();
	say(fd2, "watch\n");
	expect(fd2, OK);
	ctl_server_free(srv);
	srv = NULL;
	ck_assert_int_eq(lstat(path, &st), -1);
	ck_assert_int_eq(errno, ENOENT);
	char buf[64];
	ck_assert_int_eq(recv(fd, buf, sizeof(buf), 0), 20);
	ck_assert(!memcmp(buf, "9999 END OF SESSION\n", 20));
	ck_assert_int_eq(recv(fd, buf, sizeof(buf), 0), 0);
	ck_assert_int_eq(recv(fd2, buf, sizeof(buf), 0), 20);
	close(fd);
	close(fd2);
}
END_TEST

START_TEST(reply_buffer_outside_the_server)
{
	struct ctl_out *out = ctl_out_new();
	size_t len;

	ck_assert_ptr_nonnull(out);
	ck_assert_str_eq(ctl_out_text(out, &len), "");
	for (int i = 0; i < 1000; i++)
		ctl_printf(out, "line %d\n", i);
	ck_assert_str_eq(ctl_out_text(out, &len) + len - 9, "line 999\n");
	ctl_out_reset(out);
	ck_assert_str_eq(ctl_out_text(out, NULL), "");
	f_show(&fake, out);
	ck_assert_str_eq(ctl_out_text(out, NULL),
			 "scatter-gather: on\ntcp-segmentation-offload: off [fixed]\n");
	ctl_out_free(out);
	ctl_out_free(NULL);
	ctl_server_free(NULL);
}
END_TEST

#ifdef VNICCTL_BIN
/* ---- vnicctl against the same server ---- */

struct run {
	int status; /* exit status, or 128 + signal */
	char out[4096];
	char err[4096];
};

static void slurp(int fd, char *buf, size_t cap)
{
	ssize_t n = pread(fd, buf, cap - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	close(fd);
}

/*
 * Run vnicctl with @args (NULL-terminated, after argv[0]) while serving; @each (if any) runs
 * every 10 ms with the child's pid and what it printed so far.
 */
static void vnicctl(struct run *r, const char *const *args,
		    void (*each)(pid_t pid, const char *out, int *ticks))
{
	char outp[] = "/tmp/vnicctl-out-XXXXXX", errp[] = "/tmp/vnicctl-err-XXXXXX";
	int out = mkstemp(outp), err = mkstemp(errp);
	const char *argv[CTL_SET_MAX_ARGS + 8] = {"vnicctl"};
	int ticks = 0, st;

	ck_assert(out >= 0 && err >= 0);
	unlink(outp);
	unlink(errp);
	for (int i = 0; args[i]; i++) {
		ck_assert_int_lt(i + 2, (int)(sizeof(argv) / sizeof(argv[0])));
		argv[i + 1] = args[i];
	}
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(out, 1);
		dup2(err, 2);
		setenv("VNICEMU_CONTROL", path, 1);
		execv(VNICCTL_BIN, (char *const *)argv);
		_exit(127);
	}
	long long end = now_ms() + 15000;
	while (waitpid(pid, &st, WNOHANG) == 0) {
		ck_assert_msg(now_ms() < end, "vnicctl still running");
		if (srv)
			pump(10);
		else
			usleep(10000);
		if (each) {
			slurp(dup(out), r->out, sizeof(r->out));
			each(pid, r->out, &ticks);
		}
	}
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	slurp(out, r->out, sizeof(r->out));
	slurp(err, r->err, sizeof(r->err));
}

START_TEST(vnicctl_commands)
{
	struct run r;

	start();
	vnicctl(&r, (const char *[]){"show", NULL}, NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.out, "scatter-gather: on\ntcp-segmentation-offload: off [fixed]\n");
	ck_assert_str_eq(r.err, "");

	vnicctl(&r, (const char *[]){"-s", path, "set", "sg", "off", "tso", "on", NULL}, NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.out, "");
	ck_assert_str_eq(fake.setlog, "sg=off tso=on ");

	vnicctl(&r, (const char *[]){"set", "sg", "on", "bogus", "on", NULL}, NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_str_eq(r.out, "");
	ck_assert_str_eq(r.err, "unknown feature 'bogus'\nvnicctl: set: Invalid argument\n");

	vnicctl(&r, (const char *[]){"stats", "--json", NULL}, NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.out, "{\"frames\": 7}\n");

	fake.stats_text = ".hidden\n";
	vnicctl(&r, (const char *[]){"stats", NULL}, NULL);
	ck_assert_str_eq(r.out, ".hidden\n");

	vnicctl(&r, (const char *[]){"profile", "none", NULL}, NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_str_eq(r.err, "no profile 'none'\nvnicctl: profile: No such file or directory\n");

	vnicctl(&r, (const char *[]){"keys", NULL}, NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.out, "192.0.2.1 key length 6\n* key length 12\n");
	settle(0); /* vnicctl hung up after each command */
}
END_TEST

START_TEST(vnicctl_usage_and_connect_errors)
{
	struct run r;
	char want[512];

	vnicctl(&r, (const char *[]){"-s", path, "show", NULL}, NULL);
	ck_assert_int_eq(r.status, 2);
	snprintf(want, sizeof(want),
		 "vnicctl: %s: No such file or directory (is vnicemu run --control %s running?)\n",
		 path, path);
	ck_assert_str_eq(r.err, want);

	start();
	const char *const *bad[] = {
		(const char *[]){NULL},
		(const char *[]){"frob", NULL},
		(const char *[]){"show", "x", NULL},
		(const char *[]){"set", "sg", NULL},
		(const char *[]){"set", "sg", "on", "tso", NULL},
		(const char *[]){"profile", NULL},
		(const char *[]){"profile", "two words", NULL},
		(const char *[]){"stats", "--json", "x", NULL},
		(const char *[]){"-x", "show", NULL},
		(const char *[]){"-s", NULL},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		vnicctl(&r, bad[i], NULL);
		ck_assert_msg(r.status == 2 && strstr(r.err, "vnicctl") && !*r.out, "%zu: %d %s", i,
			      r.status, r.err);
	}
	ck_assert_int_eq(fake.show + fake.set + fake.profile + fake.stats, 0);

	/* a server with no free slot */
	int fds[CTL_MAX_CLIENTS];
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		fds[i] = session();
	vnicctl(&r, (const char *[]){"show", NULL}, NULL);
	ck_assert_int_eq(r.status, 2);
	snprintf(want, sizeof(want),
		 "vnicctl: %s: Device or resource busy (too many control clients)\n", path);
	ck_assert_str_eq(r.err, want);
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		close(fds[i]);
}
END_TEST

static void tick_then_term(pid_t pid, const char *out, int *ticks)
{
	if (++*ticks % 5 == 0)
		ctl_server_tick(srv);
	if (strstr(out, "frames 2\n"))
		kill(pid, SIGTERM);
}

static void tick_then_free(pid_t pid, const char *out, int *ticks)
{
	(void)pid;
	if (srv && ++*ticks % 5 == 0)
		ctl_server_tick(srv);
	if (srv && strstr(out, "frames 1\n")) {
		ctl_server_free(srv);
		srv = NULL;
	}
}

START_TEST(vnicctl_watch)
{
	struct run r;

	start();
	vnicctl(&r, (const char *[]){"watch", NULL}, tick_then_term);
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.out, "frames 1\nframes 2\n");
	ck_assert_str_eq(r.err, "");

	/* vnicemu stopping ends the watch too */
	fake.watch = 0;
	vnicctl(&r, (const char *[]){"watch", NULL}, tick_then_free);
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.out, "frames 1\n");
}
END_TEST

static void term_soon(pid_t pid, const char *out, int *ticks)
{
	(void)out;
	if (++*ticks == 20)
		kill(pid, SIGTERM);
}

/* What the server answers @line in a fresh session: the reply up to the prompt, or to EOF. */
static void server_reply(const char *line, char *buf, size_t cap)
{
	int fd = session();
	size_t got = 0;
	long long end = now_ms() + 3000;

	say(fd, line);
	buf[0] = '\0';
	while (now_ms() < end) {
		pump(5);
		ssize_t r = recv(fd, buf + got, cap - 1 - got, 0);
		if (r == 0 || (r < 0 && errno == ECONNRESET))
			break;
		if (r > 0)
			got += (size_t)r;
		buf[got] = '\0';
		if (got >= strlen(PROMPT) && !strcmp(buf + got - strlen(PROMPT), PROMPT))
			break;
	}
	close(fd);
}

/*
 * Both ends take each command's arity from emu/control/protocol.h. For every command, counts of
 * one-byte arguments just inside and just outside its range are refused alike by the server
 * (usage, or a line too long to hold them) and by vnicctl before it connects; commands of an
 * interactive session only are unknown to vnicctl.
 */
START_TEST(vnicctl_and_server_agree_on_arity)
{
	const char *args[CTL_SET_MAX_ARGS + 4];
	char line[2 * CTL_SET_MAX_ARGS + 16], reply[2048];
	struct run r;

	start();
	for (size_t i = 0; i < CTL_NCOMMANDS; i++) {
		const struct ctl_command *c = &ctl_commands[i];
		int counts[] = {c->min_args - 1, c->min_args, c->max_args, c->max_args + 1};

		for (size_t k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
			int n = counts[k];
			bool want = n < c->min_args || n > c->max_args;

			if (n < 0)
				continue;
			args[0] = c->name;
			snprintf(line, sizeof(line), "%s", c->name);
			for (int a = 0; a < n; a++) {
				args[a + 1] = "a";
				strcat(line, " a");
			}
			args[n + 1] = NULL;
			strcat(line, "\n");

			server_reply(line, reply, sizeof(reply));
			bool srv_refused = strstr(reply, DATA "usage: ") ||
					   strstr(reply, DATA "line too long");
			ck_assert_msg(srv_refused == want, "server, %s with %d arguments: %s",
				      c->name, n, reply);

			unsigned before =
				fake.show + fake.set + fake.profile + fake.stats + fake.keys;
			vnicctl(&r, args, i == CTL_CMD_WATCH && !want ? term_soon : NULL);
			unsigned after =
				fake.show + fake.set + fake.profile + fake.stats + fake.keys;
			if (c->session) {
				ck_assert_msg(r.status == 2 && strstr(r.err, "unknown command"),
					      "vnicctl %s: %d %s", c->name, r.status, r.err);
				continue;
			}
			bool cli_refused =
				r.status == 2 && (strstr(r.err, "vnicctl: usage: ") ||
						  strstr(r.err, "vnicctl: command too long"));
			ck_assert_msg(cli_refused == want, "vnicctl, %s with %d arguments: %d %s",
				      c->name, n, r.status, r.err);
			if (cli_refused)
				ck_assert_uint_eq(before, after); /* refused before it connected */
		}
	}
}
END_TEST

static void never_serve(pid_t pid, const char *out, int *ticks)
{
	(void)pid, (void)out, (void)ticks;
}

START_TEST(vnicctl_times_out)
{
	struct run r;
	char want[256];

	start();
	struct ctl_server *s = srv;
	srv = NULL; /* connected by the backlog, never served */
	long long t0 = now_ms();
	vnicctl(&r, (const char *[]){"show", NULL}, never_serve);
	srv = s;
	ck_assert_int_eq(r.status, 2);
	ck_assert_int_ge(now_ms() - t0, 4900);
	snprintf(want, sizeof(want), "vnicctl: %s: no reply from vnicemu within 5 s\n", path);
	ck_assert_str_eq(r.err, want);
}
END_TEST
#endif

Suite *suite_control(void)
{
	Suite *s = suite_create("control");
	TCase *tc = tcase_create("commands");
	TCase *bad = tcase_create("bad-input");
	TCase *file = tcase_create("socket-file");

	TCase *all[] = {tc, bad, file};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		tcase_add_checked_fixture(all[i], setup, teardown);
		tcase_set_timeout(all[i], 20);
		suite_add_tcase(s, all[i]);
	}
	tcase_add_test(tc, banner_then_prompt);
	tcase_add_test(tc, show_framed);
	tcase_add_test(tc, set_several_pairs);
	tcase_add_test(tc, set_bad_value_changes_nothing);
	tcase_add_test(tc, stats_keys_profile_help);
	tcase_add_test(tc, unknown_command_and_stray_arguments);
	tcase_add_test(tc, blank_and_comment_lines_get_the_prompt);
	tcase_add_test(tc, pipelined_and_byte_by_byte);
	tcase_add_test(tc, data_lines_are_dot_stuffed);
	tcase_add_test(tc, oversized_reply_is_cut);
	tcase_add_test(tc, missing_handler_is_not_supported);
	tcase_add_test(tc, logout_and_quit);
	tcase_add_test(tc, reply_after_half_close);
	tcase_add_test(tc, watch_lines_every_tick);
	tcase_add_test(tc, reply_buffer_outside_the_server);
	tcase_add_test(bad, garbage_bytes_keep_the_session);
	tcase_add_test(bad, overlong_line_then_the_session_goes_on);
	tcase_add_test(bad, disconnect_mid_line);
	tcase_add_test(bad, disconnect_mid_reply);
	tcase_add_test(bad, busy_after_16_clients);
	tcase_add_test(bad, out_of_descriptors_pauses_the_listener);
	tcase_add_test(bad, slow_reader_is_slowed_not_dropped);
	tcase_add_test(bad, watch_flood_drops_the_client_that_never_reads);
	tcase_add_test(file, socket_is_0600_from_the_start);
	tcase_add_test(file, parent_directory_created_private);
	tcase_add_test(file, stale_socket_replaced);
	tcase_add_test(file, live_socket_refused);
	tcase_add_test(file, other_files_left_alone);
	tcase_add_test(file, free_ends_sessions_and_unlinks);
#ifdef VNICCTL_BIN
	TCase *cli = tcase_create("vnicctl");
	tcase_add_checked_fixture(cli, setup, teardown);
	tcase_set_timeout(cli, 30);
	suite_add_tcase(s, cli);
	tcase_add_test(cli, vnicctl_commands);
	tcase_add_test(cli, vnicctl_usage_and_connect_errors);
	tcase_add_test(cli, vnicctl_watch);
	tcase_add_test(cli, vnicctl_times_out);
	tcase_add_test(cli, vnicctl_and_server_agree_on_arity);
#endif
	return s;
}
