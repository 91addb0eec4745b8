/*
 * md5peer - a TCP-MD5 (RFC 2385) peer built on the running kernel's implementation.
 *
 * DOC: The kernel is the oracle of vnicemu's tests. This program sets per-peer keys with
 * TCP_MD5SIG (exact address) or TCP_MD5SIG_EXT + TCP_MD5SIG_FLAG_PREFIX (prefix) and moves a
 * deterministic byte stream, so a capture of the session holds segments signed by real Linux
 * and the receiver's TcpExt counters say what a real peer thought of them.
 *
 *   md5peer listen ADDR PORT [--key PEER[/PREFIX]=SECRET]... [--key-hex PEER[/PREFIX]=HEX]...
 *                  [--once] [--timeout SEC]
 *   md5peer connect ADDR PORT [--src ADDR] [--key ...]... [--key-hex ...]... [--bytes N]
 *                  [--chunk N] [--dstopts] [--timeout SEC]
 *
 * Both sides report the stream as "received|sent BYTES FNV1A64HEX" on stdout. Byte i of the
 * stream is (i * 7 + 3) & 0xff. Secrets are never printed. Exit codes: 0 success, 1 runtime
 * error, 2 usage error, 3 timeout.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* explicit_bzero */
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define MAX_KEYS      64
#define MAX_CHUNK     (16u << 20)
#define MAX_TIMEOUT_S 86400

enum { EXIT_RUNTIME = 1, EXIT_USAGE = 2, EXIT_TIMEOUT = 3 };

struct peer_key {
	struct sockaddr_storage addr; /* port unused */
	int prefix;		      /* -1: exact address (plain TCP_MD5SIG) */
	uint8_t secret[TCP_MD5SIG_MAXKEYLEN];
	size_t len;
};

struct options {
	bool listen;
	struct sockaddr_storage addr; /* local address (listen) or peer (connect), with port */
	struct sockaddr_storage src;
	bool has_src;
	struct peer_key keys[MAX_KEYS];
	size_t nkeys;
	bool once;
	int timeout_ms; /* -1: wait forever */
	uint64_t bytes;
	size_t chunk;
	bool dstopts;
};

static const char usage_text[] =
	"usage: md5peer listen ADDR PORT [--key PEER[/PREFIX]=SECRET]... "
	"[--key-hex PEER[/PREFIX]=HEX]... [--once] [--timeout SEC]\n"
	"       md5peer connect ADDR PORT [--src ADDR] [--key PEER[/PREFIX]=SECRET]... "
	"[--key-hex PEER[/PREFIX]=HEX]... [--bytes N] [--chunk N] [--dstopts] [--timeout SEC]\n"
	"\n"
	"Keys are set with the kernel's TCP_MD5SIG (TCP_MD5SIG_EXT for a PREFIX) before listen()\n"
	"or connect(); a secret is 1 to 80 bytes. IPv4 keys on an IPv6 socket become v4-mapped.\n"
	"listen:  accept connections (only one with --once), read each to EOF and print\n"
	"         'received BYTES CHECKSUM'. --timeout bounds the wait for a connection and\n"
	"         for each read (default 0: wait forever).\n"
	"connect: send --bytes N (default 0) in write() calls of --chunk bytes (default 65536),\n"
	"         shut down writing, wait for the peer to close and print 'sent BYTES CHECKSUM'.\n"
	"         --timeout bounds connect() and each read/write (default 10, 0: forever).\n"
	"         --dstopts (IPv6) sends every segment behind a destination-options header.\n"
	"CHECKSUM is the 64-bit FNV-1a of the stream in hex; byte i is (i * 7 + 3) & 0xff.\n"
	"Exit: 0 ok, 1 runtime error, 2 usage error, 3 timeout.\n";

static void __attribute__((noreturn, format(printf, 2, 3))) fail(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("md5peer: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (code == EXIT_USAGE)
		fputs(" (see md5peer --help)", stderr);
	fputc('\n', stderr);
	exit(code);
}

static uint64_t fnv1a64(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

#define FNV1A64_INIT UINT64_C(0xcbf29ce484222325)

static uint64_t parse_uint(const char *s, uint64_t max, const char *what)
{
	unsigned long long v;
	char *end;

	errno = 0;
	if (*s < '0' || *s > '9')
		fail(EXIT_USAGE, "%s: '%s' is not a number", what, s);
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		fail(EXIT_USAGE, "%s: '%s' is not a number from 0 to %" PRIu64, what, s, max);
	return v;
}

/* Fills @ss with an IPv4 or IPv6 literal; returns false if @s is neither. */
static bool parse_ip(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, s, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		return true;
	}
	return false;
}

static void set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

static socklen_t sa_len(const struct sockaddr_storage *ss)
{
	return (socklen_t)(ss->ss_family == AF_INET ? sizeof(struct sockaddr_in)
						    : sizeof(struct sockaddr_in6));
}

static const char *sa_str(const struct sockaddr_storage *ss, char *buf, size_t size)
{
	const void *a = ss->ss_family == AF_INET
				? (const void *)&((const struct sockaddr_in *)ss)->sin_addr
				: (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;

	if (!inet_ntop(ss->ss_family, a, buf, (socklen_t)size))
		snprintf(buf, size, "?");
	return buf;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Parses PEER[/PREFIX]=SECRET; error messages name the key by number, never by its secret. */
static void parse_key(struct options *o, const char *arg, bool hex)
{
	struct peer_key *k;
	const char *eq = strchr(arg, '=');
	const char *secret;
	char peer[INET6_ADDRSTRLEN + 8];
	char *slash;
	size_t n, plen;

	if (o->nkeys == MAX_KEYS)
		fail(EXIT_USAGE, "more than %d keys", MAX_KEYS);
	k = &o->keys[o->nkeys++];
	if (!eq || (size_t)(eq - arg) >= sizeof(peer))
		fail(EXIT_USAGE, "key %zu: expected PEER[/PREFIX]=SECRET", o->nkeys);
	memcpy(peer, arg, (size_t)(eq - arg));
	peer[eq - arg] = '\0';
	secret = eq + 1;

	k->prefix = -1;
	slash = strchr(peer, '/');
	if (slash)
		*slash = '\0';
	if (!parse_ip(peer, &k->addr))
		fail(EXIT_USAGE, "key %zu: '%s' is not an IPv4 or IPv6 address", o->nkeys, peer);
	if (slash) {
		plen = k->addr.ss_family == AF_INET ? 32 : 128;
		k->prefix = (int)parse_uint(slash + 1, plen, "key prefix");
	}

	n = strlen(secret);
	if (!hex) {
		if (n == 0 || n > TCP_MD5SIG_MAXKEYLEN)
			fail(EXIT_USAGE, "key %zu: secret must be 1 to %d bytes", o->nkeys,
			     TCP_MD5SIG_MAXKEYLEN);
		memcpy(k->secret, secret, n);
		k->len = n;
		return;
	}
	if (n == 0 || n % 2 || n / 2 > TCP_MD5SIG_MAXKEYLEN)
		fail(EXIT_USAGE, "key %zu: hex secret must be 2 to %d hex digits, even count",
		     o->nkeys, 2 * TCP_MD5SIG_MAXKEYLEN);
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval(secret[2 * i]), lo = hexval(secret[2 * i + 1]);

		if (hi < 0 || lo < 0)
			fail(EXIT_USAGE, "key %zu: hex secret has a non-hex digit", o->nkeys);
		k->secret[i] = (uint8_t)(hi << 4 | lo);
	}
	k->len = n / 2;
}

static void parse_args(struct options *o, int argc, char **argv)
{
	uint64_t port;
	char *mode;
	int i;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(usage_text, stdout);
		exit(0);
	}
	if (argc < 4)
		fail(EXIT_USAGE, "expected 'listen|connect ADDR PORT'");
	mode = argv[1];
	if (!strcmp(mode, "listen"))
		o->listen = true;
	else if (strcmp(mode, "connect"))
		fail(EXIT_USAGE, "unknown mode '%s'", mode);
	if (!parse_ip(argv[2], &o->addr))
		fail(EXIT_USAGE, "'%s' is not an IPv4 or IPv6 address", argv[2]);
	port = parse_uint(argv[3], 65535, "PORT");
	if (!port)
		fail(EXIT_USAGE, "PORT must be from 1 to 65535");
	set_port(&o->addr, (uint16_t)port);

	o->timeout_ms = o->listen ? -1 : 10000;
	o->chunk = 65536;
	for (i = 4; i < argc; i++) {
		const char *opt = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		bool takes_val = true;

		if (!strcmp(opt, "--once") && o->listen) {
			o->once = true;
			takes_val = false;
		} else if (!strcmp(opt, "--dstopts") && !o->listen) {
			o->dstopts = true;
			takes_val = false;
		} else if (strcmp(opt, "--key") && strcmp(opt, "--key-hex") &&
			   strcmp(opt, "--timeout") &&
			   (o->listen || (strcmp(opt, "--src") && strcmp(opt, "--bytes") &&
					  strcmp(opt, "--chunk")))) {
			fail(EXIT_USAGE, "unknown option '%s' for %s", opt, mode);
		}
		if (!takes_val)
			continue;
		if (!val)
			fail(EXIT_USAGE, "option %s needs a value", opt);
		i++;
		if (!strcmp(opt, "--key") || !strcmp(opt, "--key-hex")) {
			parse_key(o, val, !strcmp(opt, "--key-hex"));
		} else if (!strcmp(opt, "--timeout")) {
			int sec = (int)parse_uint(val, MAX_TIMEOUT_S, "--timeout");

			o->timeout_ms = sec ? 1000 * sec : -1;
		} else if (!strcmp(opt, "--src")) {
			if (!parse_ip(val, &o->src))
				fail(EXIT_USAGE, "--src: '%s' is not an IPv4 or IPv6 address", val);
			o->has_src = true;
		} else if (!strcmp(opt, "--bytes")) {
			o->bytes = parse_uint(val, UINT64_MAX, "--bytes");
		} else {
			o->chunk = (size_t)parse_uint(val, MAX_CHUNK, "--chunk");
			if (!o->chunk)
				fail(EXIT_USAGE, "--chunk must be at least 1");
		}
	}
	if (o->has_src && o->src.ss_family != o->addr.ss_family)
		fail(EXIT_USAGE, "--src and ADDR must be the same address family");
	if (o->dstopts && o->addr.ss_family != AF_INET6)
		fail(EXIT_USAGE, "--dstopts needs an IPv6 ADDR");
	for (size_t k = 0; k < o->nkeys; k++)
		if (o->addr.ss_family == AF_INET && o->keys[k].addr.ss_family == AF_INET6)
			fail(EXIT_USAGE, "key %zu is IPv6 but the socket is IPv4", k + 1);
}

/* Installs one key on @fd (family @family). Returns 0 or -errno. */
static int set_key(int fd, int family, const struct peer_key *k)
{
	struct tcp_md5sig sig;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&sig.tcpm_addr;
	int opt = TCP_MD5SIG;
	int ret = 0;

	memset(&sig, 0, sizeof(sig));
	if (family == AF_INET6 && k->addr.ss_family == AF_INET) {
		/* Linux takes a v4-mapped address on an IPv6 socket; the prefix stays in IPv4 bits. */
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr.s6_addr[10] = 0xff;
		sin6->sin6_addr.s6_addr[11] = 0xff;
		memcpy(&sin6->sin6_addr.s6_addr[12],
		       &((const struct sockaddr_in *)&k->addr)->sin_addr, 4);
	} else {
		memcpy(&sig.tcpm_addr, &k->addr, sa_len(&k->addr));
	}
	if (k->prefix >= 0) {
		opt = TCP_MD5SIG_EXT;
		sig.tcpm_flags = TCP_MD5SIG_FLAG_PREFIX;
		sig.tcpm_prefixlen = (uint8_t)k->prefix;
	}
	sig.tcpm_keylen = (uint16_t)k->len;
	memcpy(sig.tcpm_key, k->secret, k->len);
	if (setsockopt(fd, IPPROTO_TCP, opt, &sig, sizeof(sig)) < 0)
		ret = -errno;
	explicit_bzero(&sig, sizeof(sig));
	return ret;
}

static void set_keys(int fd, struct options *o)
{
	char buf[INET6_ADDRSTRLEN];

	for (size_t i = 0; i < o->nkeys; i++) {
		int ret = set_key(fd, o->addr.ss_family, &o->keys[i]);

		if (ret < 0)
			fail(EXIT_RUNTIME, "setting the TCP-MD5 key for %s failed: %s",
			     sa_str(&o->keys[i].addr, buf, sizeof(buf)), strerror(-ret));
	}
	explicit_bzero(o->keys, sizeof(o->keys));
}

static void set_io_timeout(int fd, int timeout_ms)
{
	struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = timeout_ms % 1000 * 1000};

	if (timeout_ms < 0)
		return;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		fail(EXIT_RUNTIME, "setting socket timeouts failed: %s", strerror(errno));
}

/* Returns 1 when @fd is ready for @events, 0 on timeout; fails on error. */
static int wait_fd(int fd, short events, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = events};
	int n;

	do {
		n = poll(&p, 1, timeout_ms);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		fail(EXIT_RUNTIME, "poll failed: %s", strerror(errno));
	return n;
}

static bool is_timeout(int err)
{
	return err == EAGAIN || err == EWOULDBLOCK;
}

/* Reads @fd to EOF; returns the byte count and updates *@hash unless it is NULL. */
static uint64_t drain(int fd, uint64_t *hash, int timeout_ms)
{
	static uint8_t buf[65536];
	uint64_t total = 0;
	ssize_t n;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n == 0)
			return total;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (is_timeout(errno))
				fail(EXIT_TIMEOUT, "no data from the peer for %d s",
				     timeout_ms / 1000);
			fail(EXIT_RUNTIME, "read failed: %s", strerror(errno));
		}
		if (hash)
			*hash = fnv1a64(*hash, buf, (size_t)n);
		total += (uint64_t)n;
	}
}

static int do_listen(struct options *o)
{
	char buf[INET6_ADDRSTRLEN];
	int one = 1;
	int fd, cfd;

	fd = socket(o->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fail(EXIT_RUNTIME, "socket failed: %s", strerror(errno));
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		fail(EXIT_RUNTIME, "SO_REUSEADDR failed: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&o->addr, sa_len(&o->addr)) < 0)
		fail(EXIT_RUNTIME, "bind to %s failed: %s", sa_str(&o->addr, buf, sizeof(buf)),
		     strerror(errno));
	set_keys(fd, o);
	if (listen(fd, 16) < 0)
		fail(EXIT_RUNTIME, "listen failed: %s", strerror(errno));

	for (;;) {
		uint64_t hash = FNV1A64_INIT, total;

		if (!wait_fd(fd, POLLIN, o->timeout_ms))
			fail(EXIT_TIMEOUT, "no connection within %d s", o->timeout_ms / 1000);
		cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			fail(EXIT_RUNTIME, "accept failed: %s", strerror(errno));
		}
		set_io_timeout(cfd, o->timeout_ms);
		total = drain(cfd, &hash, o->timeout_ms);
		printf("received %" PRIu64 " %016" PRIx64 "\n", total, hash);
		fflush(stdout);
		close(cfd);
		if (o->once)
			break;
	}
	close(fd);
	return 0;
}

/*
 * IPv6 destination-options header, 8 bytes: next header (the kernel fills it in), length 0
 * (in 8-byte units beyond the first 8), then one PadN option (type 1) padding the remaining
 * 4 bytes.
 */
static const uint8_t dstopts_hdr[8] = {0, 0, 1, 4, 0, 0, 0, 0};

static void write_all(int fd, const uint8_t *p, size_t n, int timeout_ms)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (is_timeout(errno))
				fail(EXIT_TIMEOUT, "peer accepted no data for %d s",
				     timeout_ms / 1000);
			fail(EXIT_RUNTIME, "write failed: %s", strerror(errno));
		}
		p += w;
		n -= (size_t)w;
	}
}

static int do_connect(struct options *o)
{
	char buf[INET6_ADDRSTRLEN];
	uint64_t hash = FNV1A64_INIT;
	socklen_t len = sizeof(int);
	uint8_t *chunk;
	uint64_t off;
	int fd, err = 0;

	fd = socket(o->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		fail(EXIT_RUNTIME, "socket failed: %s", strerror(errno));
	if (o->has_src && bind(fd, (struct sockaddr *)&o->src, sa_len(&o->src)) < 0)
		fail(EXIT_RUNTIME, "bind to %s failed: %s", sa_str(&o->src, buf, sizeof(buf)),
		     strerror(errno));
	if (o->dstopts &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_DSTOPTS, dstopts_hdr, sizeof(dstopts_hdr)) < 0)
		fail(EXIT_RUNTIME, "IPV6_DSTOPTS failed: %s", strerror(errno));
	set_keys(fd, o);

	if (connect(fd, (struct sockaddr *)&o->addr, sa_len(&o->addr)) < 0) {
		if (errno != EINPROGRESS)
			fail(EXIT_RUNTIME, "connect to %s failed: %s",
			     sa_str(&o->addr, buf, sizeof(buf)), strerror(errno));
		if (!wait_fd(fd, POLLOUT, o->timeout_ms))
			fail(EXIT_TIMEOUT, "connect to %s timed out after %d s",
			     sa_str(&o->addr, buf, sizeof(buf)), o->timeout_ms / 1000);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err)
			fail(EXIT_RUNTIME, "connect to %s failed: %s",
			     sa_str(&o->addr, buf, sizeof(buf)), strerror(err));
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0)
		fail(EXIT_RUNTIME, "fcntl failed: %s", strerror(errno));
	set_io_timeout(fd, o->timeout_ms);

	chunk = malloc(o->chunk);
	if (!chunk)
		fail(EXIT_RUNTIME, "out of memory");
	for (off = 0; off < o->bytes;) {
		size_t n = o->bytes - off < o->chunk ? (size_t)(o->bytes - off) : o->chunk;

		for (size_t i = 0; i < n; i++)
			chunk[i] = (uint8_t)((off + i) * 7 + 3);
		hash = fnv1a64(hash, chunk, n);
		write_all(fd, chunk, n, o->timeout_ms);
		off += n;
	}
	free(chunk);
	if (shutdown(fd, SHUT_WR) < 0)
		fail(EXIT_RUNTIME, "shutdown failed: %s", strerror(errno));
	drain(fd, NULL, o->timeout_ms);
	printf("sent %" PRIu64 " %016" PRIx64 "\n", o->bytes, hash);
	fflush(stdout);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	static struct options o;

	signal(SIGPIPE, SIG_IGN);
	parse_args(&o, argc, argv);
	return o.listen ? do_listen(&o) : do_connect(&o);
}
