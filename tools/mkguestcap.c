// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mkguestcap: write the capture a tcpdump inside an ESX 3.5 guest would have taken of a BGP
 * session with TCP-MD5 while a 2.6-era Linux kernel used TSO on the signed socket (before
 * Linux disabled GSO for MD5 sockets): a signed handshake, OPEN and KEEPALIVE messages, then
 * UPDATE bursts handed to the NIC as super-frames larger than the wire MTU, each signed over
 * its whole payload (valid inside the guest), and the peer's signed ACKs.
 *
 * With --intermittent N only every Nth burst goes down whole; the others are cut by the guest
 * into signed segments of at most 1440 bytes (what a 1500-byte MTU leaves beside the MD5
 * option), as a kernel does that segments an MD5 socket in software: the Linux bug fixed by
 * "net: Introduce sk_route_nocaps" (2010), where a route-cache flush re-enabled GSO on such a
 * socket and a few super-frames slipped out mid-session.
 *
 * Frames come from the test frame builder (tests/support/frames.h), which lays out the MD5
 * option as Linux does (NOP, NOP, kind 19, length 18) and signs independently of md5sig's
 * verifier. Timestamps are absent, as Linux omits them on MD5 sockets.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "emu/capture/capture.h"
#include "tests/support/frames.h"

static const char *prog = "mkguestcap";

struct writer {
	struct emu_capout *out;
	struct timespec ts;
	unsigned frames;
	int err;
};

/* One frame, 250 us after the previous one; the clock starts in 2008, ESX 3.5's time. */
static void emit(struct writer *w, const uint8_t *d, size_t n)
{
	w->ts.tv_nsec += 250000;
	if (w->ts.tv_nsec >= 1000000000) {
		w->ts.tv_sec++;
		w->ts.tv_nsec -= 1000000000;
	}
	if (!w->err)
		w->err = emu_capout_write(w->out, 0, &w->ts, d, (uint32_t)n, NULL);
	w->frames++;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s OUT.pcap [--key SECRET] [--updates N] [--update-size BYTES]\n"
		"                   [--family 4|6] [--unsigned] [--intermittent N]\n"
		"  --key SECRET        TCP-MD5 secret (default quagga-md5)\n"
		"  --updates N         UPDATE bursts handed down as super-frames (default 8)\n"
		"  --update-size B     payload bytes of each burst (default 8192, max 65000)\n"
		"  --family 4|6        192.0.2.10 > 192.0.2.1 (default) or 2001:db8::10 > "
		"2001:db8::1\n"
		"  --unsigned          the same session without TCP-MD5\n"
		"  --intermittent N    only every Nth burst as a super-frame, the others in\n"
		"                      signed 1440-byte segments\n",
		prog);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"key", required_argument, NULL, 'k'},
		{"updates", required_argument, NULL, 'u'},
		{"update-size", required_argument, NULL, 's'},
		{"family", required_argument, NULL, 'f'},
		{"unsigned", no_argument, NULL, 'n'},
		{"intermittent", required_argument, NULL, 'i'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *secret = "quagga-md5";
	long updates = 8, size = 8192, every = 1;
	int family = AF_INET, opt;
	bool sign = true;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'k':
			secret = optarg;
			break;
		case 'u':
			updates = strtol(optarg, NULL, 10);
			break;
		case 's':
			size = strtol(optarg, NULL, 10);
			break;
		case 'f':
			family = !strcmp(optarg, "6") ? AF_INET6 : AF_INET;
			break;
		case 'n':
			sign = false;
			break;
		case 'i':
			every = strtol(optarg, NULL, 10);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1 || updates < 1 || updates > 100000 || size < 1 || size > 65000 ||
	    every < 1 || every > 100000 || strlen(secret) < 1 || strlen(secret) > MD5SIG_KEY_MAX) {
		usage(stderr);
		return 2;
	}
	char err[512];
	struct writer w = {.ts = {.tv_sec = 1200000000}};
	w.out = emu_capout_open(argv[optind], false, err, sizeof(err));
	if (!w.out || emu_capout_iface(w.out, MD5SIG_LINK_ETHERNET, NULL) < 0) {
		fprintf(stderr, "%s: %s\n", prog, w.out ? argv[optind] : err);
		return 1;
	}

	bool v6 = family == AF_INET6;
	const char *guest = v6 ? "2001:db8::10" : "192.0.2.10";
	const char *peer = v6 ? "2001:db8::1" : "192.0.2.1";
	struct md5sig_key key = tf_key(secret);
	static uint8_t buf[70000], pay[65536];
	uint32_t gseq = 0x1f2e3d4c, pseq = 0x0a0b0c0d;
	uint16_t gid = 0x4000;
	size_t n;

	/* g: guest frames, p: the peer's frames (as seen inside the guest) */
#define FRAME(from_guest, fl, sq, ak, len, data)                             \
	do {                                                                 \
		struct tf_spec s = {.family = family,                        \
				    .src = from_guest ? guest : peer,        \
				    .dst = from_guest ? peer : guest,        \
				    .sport = from_guest ? 40179 : 179,       \
				    .dport = from_guest ? 179 : 40179,       \
				    .seq = sq,                               \
				    .ack = ak,                               \
				    .flags = fl,                             \
				    .window = 16384,                         \
				    .ipid = from_guest ? gid++ : 7,          \
				    .md5 = sign,                             \
				    .payload = data,                         \
				    .plen = len};                            \
		n = sign ? tf_build_signed(&s, &key, buf, sizeof(buf))       \
			 : tf_build(&s, buf, sizeof(buf));                   \
		if (!n) {                                                    \
			fprintf(stderr, "%s: cannot build a frame\n", prog); \
			return 1;                                            \
		}                                                            \
		emit(&w, buf, n);                                            \
	} while (0)

	/* handshake (the SYN's MSS option is left out: the builder adds MD5 only) */
	FRAME(true, 0x02, gseq, 0, 0, NULL);
	FRAME(false, 0x12, pseq, gseq + 1, 0, NULL);
	gseq++;
	pseq++;
	FRAME(true, 0x10, gseq, pseq, 0, NULL);

	/* OPEN each way, KEEPALIVEs: 16-byte marker of 0xff, length, type */
	memset(pay, 0xff, 16);
	pay[16] = 0;
	pay[17] = 29;
	pay[18] = 1; /* OPEN */
	memset(pay + 19, 0, 10);
	FRAME(true, 0x18, gseq, pseq, 29, pay);
	gseq += 29;
	FRAME(false, 0x18, pseq, gseq, 29, pay);
	pseq += 29;
	pay[17] = 19;
	pay[18] = 4; /* KEEPALIVE */
	FRAME(true, 0x18, gseq, pseq, 19, pay);
	gseq += 19;
	FRAME(false, 0x18, pseq, gseq, 19, pay);
	pseq += 19;

	/* UPDATE bursts: many UPDATE messages written at once, handed down as one super-frame */
	for (long u = 0; u < updates; u++) {
		for (long i = 0; i < size; i++)
			pay[i] = (uint8_t)(i % 64 < 16 ? 0xff : (i * 13 + u) & 0xff);
		if ((u + 1) % every) {
			/* segmented by the guest: each segment signed on its own */
			for (long off = 0; off < size; off += 1440) {
				size_t len = size - off < 1440 ? (size_t)(size - off) : 1440;
				FRAME(true, off + 1440 >= size ? 0x18 : 0x10, gseq, pseq, len,
				      pay + off);
				gseq += (uint32_t)len;
			}
		} else {
			FRAME(true, 0x18, gseq, pseq, (size_t)size, pay);
			gseq += (uint32_t)size;
		}
		FRAME(false, 0x10, pseq, gseq, 0, NULL);
	}
#undef FRAME
	int cerr = emu_capout_close(w.out);
	if (!w.err)
		w.err = cerr;
	if (w.err) {
		fprintf(stderr, "%s: %s: %s\n", prog, argv[optind], strerror(-w.err));
		return 1;
	}
	fprintf(stderr, "%s: wrote %u frames to %s\n", prog, w.frames, argv[optind]);
	return 0;
}
