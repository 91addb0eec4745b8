// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vnicemu-gencap: write a classic pcap of one long TCP-MD5 signed flow, the input of the
 * benchmarks. Frames come from the test frame builder (tests/support/frames.h), so they are
 * signed independently of the code under benchmark; the file format is written here rather
 * than through libpcap so the generator does not share the reader's code either. With --ao ALG
 * the flow is TCP-AO signed instead (a handshake, then the data), by md5sig's own signer:
 * tests/support/ao_oracle.py is the independent check, which bench/ao_verify.sh runs on the
 * first frames.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tests/support/frames.h"

#define PCAP_MAGIC_USEC	 0xa1b2c3d4u
#define PCAP_SNAPLEN	 262144u
#define GENCAP_FRAME_MAX (65536 + 128) /* largest IP packet plus link and slack */
#define GENCAP_FIRST_SEC 1700000000u   /* fixed, so two runs write identical files */
#define GENCAP_GAP_USEC	 10u	       /* between frames: 100,000 frames span one second */

static const char *prog = "vnicemu-gencap";

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s OUT.pcap [--frames N] [--payload BYTES] [--key SECRET] [--family 4|6]\n"
		"  --frames N         number of frames (default 100000)\n"
		"  --payload BYTES    TCP payload per frame (default 1448)\n"
		"  --key SECRET       TCP-MD5 secret, 1..80 bytes (default bench-key)\n"
		"  --family 4|6       IPv4 192.0.2.1:40000 > 192.0.2.2:179 (default), or IPv6\n"
		"                     2001:db8::1 > 2001:db8::2, same ports\n"
		"  --ao ALG           TCP-AO with ALG (hmac-sha-1-96, aes-128-cmac-96, ...) and\n"
		"                     the key as its master key, after a signed handshake; the key\n"
		"                     line goes to standard output\n",
		prog);
}

/* Whole decimal number in [min, max], or -1. */
static long parse_num(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	return v;
}

/* pcap fields are written in host order; readers detect it from the magic number. */
static int write_header(FILE *f)
{
	const struct {
		uint32_t magic;
		uint16_t major, minor;
		int32_t thiszone;
		uint32_t sigfigs, snaplen, linktype;
	} hdr = {PCAP_MAGIC_USEC, 2, 4, 0, 0, PCAP_SNAPLEN, MD5SIG_LINK_ETHERNET};

	return fwrite(&hdr, sizeof(hdr), 1, f) == 1 ? 0 : -errno;
}

static int write_record(FILE *f, unsigned long i, const uint8_t *frame, size_t len)
{
	unsigned long usec = i * GENCAP_GAP_USEC;
	const uint32_t rec[4] = {
		GENCAP_FIRST_SEC + (uint32_t)(usec / 1000000),
		(uint32_t)(usec % 1000000),
		(uint32_t)len,
		(uint32_t)len,
	};

	if (fwrite(rec, sizeof(rec), 1, f) != 1 || fwrite(frame, len, 1, f) != 1)
		return -errno;
	return 0;
}

/*
 * Write the header and @frames frames of the flow @spec describes, advancing its sequence
 * number and IP ID. Return: 0, -EINVAL if the builder rejects the frame, -errno on I/O.
 */
static int write_capture(FILE *f, struct tf_spec *spec, const struct md5sig_key *key, long frames,
			 uint8_t *buf)
{
	int r = write_header(f);

	if (r)
		return r;
	for (long i = 0; i < frames; i++) {
		size_t len = tf_build_signed(spec, key, buf, GENCAP_FRAME_MAX);

		if (!len)
			return -EINVAL;
		r = write_record(f, (unsigned long)i, buf, len);
		if (r)
			return r;
		spec->seq += (uint32_t)spec->plen; /* one continuing stream, as TSO emits it */
		spec->ipid++;
	}
	return fflush(f) ? -errno : 0;
}

/*
 * The TCP-AO flow: SYN and SYN-ACK, then @frames data segments of the client, each signed with
 * @v (whose only MKT is the connection's) for the connection's ISNs. Timestamps and the option
 * as Linux lays them out: NOP, NOP, timestamps, TCP-AO.
 */
static int write_capture_ao(FILE *f, struct tf_spec *spec, struct md5sig_ao_verifier *v,
			    uint8_t maclen, long frames, uint8_t *buf)
{
	uint8_t o[40] = {
		1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, MD5SIG_AO_OPT_KIND, (uint8_t)(4 + maclen),
		1, 2};
	/* the peer's SYN-ACK carries its own SendID, the client's RecvID */
	uint8_t peer[20] = {MD5SIG_AO_OPT_KIND, (uint8_t)(4 + maclen), 2, 1};
	struct md5sig_ao_isns isns = {spec->seq - 1, spec->ack - 1};
	struct tf_spec syn = *spec, synack = *spec;
	struct md5sig_seg seg;
	int r = write_header(f);

	if (r)
		return r;
	spec->md5 = syn.md5 = synack.md5 = false;
	spec->opts = syn.opts = o + 12;
	synack.opts = peer;
	spec->opts_len = syn.opts_len = synack.opts_len = 4u + maclen;
	syn.flags = WIRE_TCP_F_SYN;
	syn.seq = isns.sisn;
	syn.ack = 0;
	syn.plen = synack.plen = 0;
	synack.src = spec->family == AF_INET6 ? "2001:db8::2" : "192.0.2.2";
	synack.dst = spec->family == AF_INET6 ? "2001:db8::1" : "192.0.2.1";
	synack.sport = spec->dport;
	synack.dport = spec->sport;
	synack.flags = WIRE_TCP_F_SYN | WIRE_TCP_F_ACK;
	synack.seq = isns.disn;
	synack.ack = isns.sisn + 1;
	spec->opts = o;
	spec->opts_len = 16u + maclen;
	for (long i = -2; i < frames; i++) {
		struct tf_spec *s = i == -2 ? &syn : i == -1 ? &synack : spec;
		size_t len = tf_build(s, buf, GENCAP_FRAME_MAX);

		if (!len || md5sig_parse(MD5SIG_LINK_ETHERNET, buf, len, &seg) != MD5SIG_TCP ||
		    md5sig_ao_sign(v, buf, &seg, i < 0 ? NULL : &isns, 0))
			return -EINVAL;
		tf_tcp_csum_fix(buf, &seg);
		r = write_record(f, (unsigned long)(i + 2), buf, len);
		if (r)
			return r;
		if (i >= 0) {
			spec->seq += (uint32_t)spec->plen;
			spec->ipid++;
		}
	}
	return fflush(f) ? -errno : 0;
}

static int bad_value(const char *opt, const char *arg)
{
	fprintf(stderr, "%s: bad value '%s' for --%s\n", prog, arg, opt);
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"frames", required_argument, NULL, 'n'},
		{"payload", required_argument, NULL, 'p'},
		{"key", required_argument, NULL, 'k'},
		{"family", required_argument, NULL, 'f'},
		{"ao", required_argument, NULL, 'a'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *ao = NULL;
	struct md5sig_aotab *mkts = NULL;
	struct md5sig_ao_verifier *v = NULL;
	char line[256];
	long frames = 100000, payload = 1448, family = 4;
	const char *secret = "bench-key", *path;
	struct md5sig_key key;
	uint8_t *buf = NULL;
	FILE *f = NULL;
	int opt, r, ret = 2;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			frames = parse_num(optarg, 1, LONG_MAX);
			if (frames < 0)
				return bad_value("frames", optarg);
			break;
		case 'p':
			payload = parse_num(optarg, 0, 65535);
			if (payload < 0)
				return bad_value("payload", optarg);
			break;
		case 'k':
			secret = optarg;
			break;
		case 'f':
			family = parse_num(optarg, 4, 6);
			if (family != 4 && family != 6)
				return bad_value("family", optarg);
			break;
		case 'a':
			ao = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	path = argv[optind];
	if (!*secret || strlen(secret) > MD5SIG_KEY_MAX) {
		fprintf(stderr, "%s: the key must be 1..%d bytes\n", prog, MD5SIG_KEY_MAX);
		return 2;
	}
	key = tf_key(secret);
	if (ao) {
		const char *why = "?";
		snprintf(line, sizeof(line), "ao %s %s:%s %s %s",
			 family == 6 ? "2001:db8::2" : "192.0.2.2", "1", "2", ao, secret);
		if (!(mkts = md5sig_aotab_new()) || md5sig_aotab_parse_line(mkts, line, &why) ||
		    !(v = md5sig_ao_verifier_new(mkts, 4))) {
			fprintf(stderr, "%s: --ao %s: %s\n", prog, ao, why);
			md5sig_cleanse(line, sizeof(line));
			md5sig_aotab_free(mkts);
			return 2;
		}
	}

	struct tf_spec spec = {
		.family = family == 6 ? AF_INET6 : AF_INET,
		.sport = 40000,
		.dport = 179,
		.seq = 1000000,
		.ack = 2000000,
		.md5 = true,
		.plen = (size_t)payload,
	};
	buf = malloc(GENCAP_FRAME_MAX);
	f = fopen(path, "wb");
	if (!buf || !f) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		goto out;
	}
	/* fewer, larger writes */
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	r = ao ? write_capture_ao(f, &spec, v, md5sig_aotab_get(mkts, 0)->maclen, frames, buf)
	       : write_capture(f, &spec, &key, frames, buf);
	if (r == -EINVAL)
		fprintf(stderr, "%s: cannot build a frame with a %ld-byte payload\n", prog,
			payload);
	else if (r)
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(-r));
	else
		ret = 0;
	if (!ret && ao)
		printf("%s\n", line); /* the key file's line, for the benchmark to verify with */
out:
	if (f && fclose(f) && !ret) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		ret = 2;
	}
	md5sig_cleanse(&key, sizeof(key));
	md5sig_cleanse(line, sizeof(line));
	md5sig_ao_verifier_free(v);
	md5sig_aotab_free(mkts);
	free(buf);
	return ret;
}
