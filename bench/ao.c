// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vnicemu-bench-ao: TCP-AO verification speed against `openssl speed` for the same MAC, in the
 * same run (see bench/README.md).
 *
 * N signed frames of one connection (1448-byte payloads by default, timestamps and the TCP-AO
 * option, as BGP over Linux sends them) are laid out one after another in memory, then each is
 * parsed and classified with md5sig_ao_classify(): option, MKT lookup, the connection's traffic
 * key from the cache (derived once, before timing), the MAC, a constant-time compare. Every
 * frame must come out valid, else the times mean nothing and the program fails. The baseline
 * is `openssl speed -elapsed -mr -hmac sha1` / `-cmac aes-128-cbc` / `-hmac sha256` on messages
 * of the payload's size, one thread, wall time. Rounds alternate the two; the best round of
 * each counts.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "md5sig/md5sig.h"
#include "tests/support/frames.h"

#define STRIDE 1600 /* bytes per frame slot: a 1448-byte payload frame is 1526 */

static const struct {
	const char *alg, *speed_args, *label;
	uint8_t maclen;
} algs[] = {
	{"hmac-sha-1-96", "-hmac sha1", "hmac(sha1)", 12},
	{"aes-128-cmac-96", "-cmac aes-128-cbc", "cmac(aes-128-cbc)", 12},
	{"hmac-sha-256-96", "-hmac sha256", "hmac(sha256)", 12},
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* OpenSSL's bytes/s for @args on @bytes-byte messages, from `-mr` output's +F line. */
static double openssl_speed(const char *args, const char *label, size_t bytes)
{
	char cmd[256], line[512];
	double bps = -1;

	snprintf(cmd, sizeof(cmd),
		 "openssl speed -elapsed -mr %s -bytes %zu -seconds 1 2>/dev/null", args, bytes);
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p)) {
		char name[64];
		int idx;
		double v;
		if (sscanf(line, "+F:%d:%63[^:]:%lf", &idx, name, &v) == 3 && !strcmp(name, label))
			bps = v;
	}
	if (pclose(p) != 0)
		return -1;
	return bps;
}

int main(int argc, char **argv)
{
	long frames = 100000, payload = 1448, rounds = 3;
	static const struct option lo[] = {{"frames", required_argument, NULL, 'n'},
					   {"payload", required_argument, NULL, 'p'},
					   {"rounds", required_argument, NULL, 'r'},
					   {NULL, 0, NULL, 0}};
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		long *dst = c == 'n' ? &frames : c == 'p' ? &payload : c == 'r' ? &rounds : NULL;
		if (!dst) {
			fprintf(stderr, "usage: vnicemu-bench-ao [--frames N] [--payload BYTES] "
					"[--rounds R]\n");
			return 2;
		}
		*dst = strtol(optarg, NULL, 10);
	}
	if (frames < 1 || payload < 0 || payload > 1448 || rounds < 1) {
		fprintf(stderr,
			"vnicemu-bench-ao: --frames >= 1, --payload 0..1448, --rounds >= 1\n");
		return 2;
	}
	uint8_t *mem = malloc((size_t)frames * STRIDE);
	size_t *len = calloc((size_t)frames, sizeof(*len));
	struct md5sig_seg *segs = calloc((size_t)frames, sizeof(*segs));
	if (!mem || !len || !segs) {
		perror("vnicemu-bench-ao");
		return 2;
	}
	printf("vnicemu-bench-ao: %ld frames, %ld-byte payloads, best of %ld rounds, one thread\n",
	       frames, payload, rounds);
	printf("%-17s %12s %12s %12s %9s %9s\n", "algorithm", "frames/s", "MAC MB/s",
	       "openssl MB/s", "ratio", "per byte");
	int bad = 0;
	for (size_t a = 0; a < sizeof(algs) / sizeof(algs[0]); a++) {
		char line[128];
		const char *why;
		struct md5sig_aotab *t = md5sig_aotab_new();
		snprintf(line, sizeof(line), "ao 192.0.2.2 1:2 %s bench-key", algs[a].alg);
		if (!t || md5sig_aotab_parse_line(t, line, &why)) {
			fprintf(stderr, "vnicemu-bench-ao: %s\n", why);
			return 2;
		}
		struct md5sig_ao_verifier *v = md5sig_ao_verifier_new(t, 64);
		struct md5sig_ao_isns isns = {1000, 2000};
		size_t mac_bytes = 0;

		/* sign (untimed): one connection, consecutive segments */
		for (long i = 0; i < frames; i++) {
			uint8_t o[40] = {1,
					 1,
					 8,
					 10,
					 0,
					 0,
					 0,
					 1,
					 0,
					 0,
					 0,
					 2,
					 MD5SIG_AO_OPT_KIND,
					 (uint8_t)(4 + algs[a].maclen),
					 1,
					 2};
			struct tf_spec s = {.seq = 1001 + (uint32_t)(i * payload),
					    .ack = 2001,
					    .plen = (size_t)payload,
					    .opts = o,
					    .opts_len = 16 + algs[a].maclen};
			uint8_t *f = mem + (size_t)i * STRIDE;
			len[i] = tf_build(&s, f, STRIDE);
			if (!len[i] || md5sig_parse(MD5SIG_LINK_ETHERNET, f, len[i], &segs[i]) ||
			    md5sig_ao_sign(v, f, &segs[i], &isns, 0)) {
				fprintf(stderr, "vnicemu-bench-ao: cannot sign frame %ld\n", i);
				return 2;
			}
			/* SNE, pseudo-header, TCP header with options, payload */
			mac_bytes += 4 + 12 + segs[i].tcp_len;
		}
		double best = 1e30, best_ssl = 0;
		for (long r = 0; r < rounds; r++) {
			long valid = 0;
			double t0 = now();
			for (long i = 0; i < frames; i++) {
				uint8_t *f = mem + (size_t)i * STRIDE;
				struct md5sig_seg seg;
				enum md5sig_status st =
					md5sig_parse(MD5SIG_LINK_ETHERNET, f, len[i], &seg);
				valid += md5sig_ao_classify(v, f, st, &seg, &isns, 0, NULL) ==
					 MD5SIG_AO_VALID;
			}
			double dt = now() - t0;
			if (valid != frames) {
				fprintf(stderr, "vnicemu-bench-ao: %s: %ld of %ld frames valid\n",
					algs[a].alg, valid, frames);
				return 1;
			}
			if (dt < best)
				best = dt;
			double ssl =
				openssl_speed(algs[a].speed_args, algs[a].label, (size_t)payload);
			if (ssl < 0) {
				fprintf(stderr, "vnicemu-bench-ao: openssl speed %s failed\n",
					algs[a].speed_args);
				return 2;
			}
			if (ssl > best_ssl)
				best_ssl = ssl;
		}
		struct md5sig_ao_stats st;
		md5sig_ao_verifier_stats(v, &st);
		if (st.derivations != 1) {
			fprintf(stderr, "vnicemu-bench-ao: %llu key derivations, not 1\n",
				(unsigned long long)st.derivations);
			bad = 1;
		}
		double fps = (double)frames / best;
		double ssl_msgs = best_ssl / (double)payload;
		/* ratio: frames verified per OpenSSL message MACed (each frame MACs ~80 more
		 * bytes than the message); per byte: MAC input bytes/s over OpenSSL's */
		printf("%-17s %12.0f %12.1f %12.1f %9.2f %9.2f\n", algs[a].alg, fps,
		       (double)mac_bytes / best / 1e6, best_ssl / 1e6, fps / ssl_msgs,
		       (double)mac_bytes / best / best_ssl);
		printf("ao_verify_vs_openssl_%s=%.2f\n", algs[a].alg, fps / ssl_msgs);
		md5sig_ao_verifier_free(v);
		md5sig_aotab_free(t);
	}
	free(mem);
	free(len);
	free(segs);
	return bad;
}
