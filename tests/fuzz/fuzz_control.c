// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Control protocol fuzzer: one client's bytes into the control server (emu/control/control.c)
 * in front of the live device's own commands (emu_device_handler), as `vnicctl`, `unixterm` or
 * any program on the socket would send them. Each input gets a fresh device without ports
 * (emu_device_new_offline(): profile vmxnet3, every path element, a key file) and a fresh
 * server on a socket in a private directory; the input is written to a real client socket in
 * pieces as the server takes them, then the client shuts down its side and reads everything
 * until the server closes. A tick (watch lines, accept retries) runs every few rounds.
 *
 * Checked beyond memory safety: the session ends (the server closes once the client's lines
 * are answered), it starts with the banner, and no secret of the key file appears in anything
 * the server sent (keys, stats, error messages).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "emu/control/control.h"
#include "emu/device/device.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SECRET	   "fuzz-secret-0c7e5a"
#define ROUNDS_MAX 200000 /* a session still open after this many rounds is a hang */
#define OUT_MAX	   (1u << 20)

static char dir[64], sock[128], keys[128];
static struct emu_run_config cfg;
static char *out;

static void cleanup(void)
{
	unlink(keys);
	unlink(sock);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	snprintf(dir, sizeof(dir), "/tmp/fuzz-control-XXXXXX");
	if (!mkdtemp(dir))
		abort();
	snprintf(sock, sizeof(sock), "%s/control", dir);
	snprintf(keys, sizeof(keys), "%s/keys", dir);
	FILE *f = fopen(keys, "w");
	if (!f ||
	    fprintf(f, "192.0.2.1 " SECRET "\n* " SECRET "-2\n"
		       "ao 198.51.100.2 1:2 hmac-sha-1-96 " SECRET "\n") < 0 ||
	    fclose(f))
		abort();
	chmod(keys, 0600);
	atexit(cleanup);
	cfg = (struct emu_run_config){
		.profile = "vmxnet3",
		.path = "asa,nat,shaper,mss-clamp,fragment",
		.key_file = keys,
		.wire_mtu = 1500,
	};
	out = malloc(OUT_MAX);
	if (!out)
		abort();
	return 0;
}

static int dial(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		abort();
	return fd;
}

/*
 * What the client received, a buffer at a time: the banner first, and no secret, unless the
 * client sent it itself (error messages quote the words they refuse).
 */
static void check(size_t got, bool first, bool echo)
{
	static const char banner[] = "vnicemu " VNICEMU_VERSION " control console";

	if (first && (got < sizeof(banner) - 1 || memcmp(out, banner, sizeof(banner) - 1)))
		abort();
	if (!echo && memmem(out, got, SECRET, strlen(SECRET)))
		abort(); /* a secret reached a client */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	struct emu_device *d = emu_device_new_offline(&cfg, err, sizeof(err));
	if (!d) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	struct ctl_server *s = ctl_server_new(sock, &emu_device_handler, d, err, sizeof(err));
	if (!s) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	int fd = dial();
	size_t sent = 0, got = 0, keep = strlen(SECRET) - 1;
	bool closed = false, shut = false, first = true;
	bool echo = memmem(data, size, SECRET, strlen(SECRET));

	for (unsigned round = 0; !closed; round++) {
		if (round == ROUNDS_MAX)
			abort(); /* the server never ended the session */
		if (sent < size) {
			ssize_t n = send(fd, data + sent, size - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n > 0)
				sent += (size_t)n;
		}
		if (sent == size && !shut) {
			shutdown(fd, SHUT_WR);
			shut = true;
		}
		struct pollfd fds[CTL_POLLFDS_MAX];
		unsigned n = ctl_server_pollfds(s, fds, CTL_POLLFDS_MAX);
		if (poll(fds, n, 0) > 0)
			ctl_server_handle(s, fds, n);
		if (round % 64 == 63)
			ctl_server_tick(s);
		for (;;) {
			ssize_t r = recv(fd, out + got, OUT_MAX - got, MSG_DONTWAIT);
			if (r > 0) {
				got += (size_t)r;
				if (got == OUT_MAX) { /* check, keep a secret's length but one */
					check(got, first, echo);
					memmove(out, out + got - keep, keep);
					got = keep;
					first = false;
				}
				continue;
			}
			if (r == 0 || (errno != EAGAIN && errno != EINTR))
				closed = true;
			break;
		}
	}
	close(fd);
	ctl_server_free(s);
	emu_device_free(d);

	check(got, first, echo);
	return 0;
}
