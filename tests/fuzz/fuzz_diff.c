// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * diff fuzzer: the input is a sequence of frames, each a side byte (low bit: 0 guest, 1 wire),
 * a 2-byte length and that many bytes of an Ethernet frame. The frames become two classic pcap
 * files in memory (memfd: regular files, as emu_diff_read() wants) and go through the whole
 * engine: read, match, classify, explain, report as text and as JSON. Any result is fine; a
 * refusal must say why, and the report must be written only when it succeeds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "emu/analysis/diff/diff.h"
#include "md5sig/md5sig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct md5sig_keytab *keys;

static int put(int fd, const void *p, size_t n)
{
	return write(fd, p, n) == (ssize_t)n ? 0 : -1;
}

static int pcap_header(int fd)
{
	const uint32_t h[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1 /* Ethernet */};
	return put(fd, h, sizeof(h));
}

static void run(const char *guest, const char *wire, bool json)
{
	char err[512] = "";
	struct emu_diff *d = emu_diff_new(keys);
	FILE *out = fopen("/dev/null", "w");

	if (!d || !out)
		abort();
	int ret = emu_diff_read(d, guest, wire, err, sizeof(err));
	if (!ret)
		ret = emu_diff_report(d, out, json, err, sizeof(err));
	if (ret && !err[0])
		abort(); /* a refusal names its reason */
	if (!ret) {
		struct emu_diff_explanation e;
		emu_diff_explain(d, &e);
		if (e.nelements > EMU_DIFF_ELEMENTS_MAX || e.nunexplained > EMU_DIFF_KINDS_MAX)
			abort();
	}
	fclose(out);
	emu_diff_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd[2] = {memfd_create("guest", MFD_CLOEXEC), memfd_create("wire", MFD_CLOEXEC)};
	char path[2][64];
	uint32_t t = 1700000000;

	if (!keys) {
		const char *why;
		/* MD5 for IPv4 peers, TCP-AO for IPv6 ones: both schemes' verdicts are exercised */
		keys = md5sig_keytab_new();
		if (!keys || md5sig_keytab_parse_line(keys, "0.0.0.0/0 fuzz-md5", &why) ||
		    md5sig_keytab_parse_line(keys, "ao ::/0 1:1 hmac-sha-1-96 fuzz-ao", &why))
			abort();
	}
	if (fd[0] < 0 || fd[1] < 0 || pcap_header(fd[0]) || pcap_header(fd[1]))
		abort();
	while (size >= 3) {
		int side = data[0] & 1;
		size_t len = (size_t)data[1] << 8 | data[2];
		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		const uint32_t rec[4] = {t++, 0, (uint32_t)len, (uint32_t)len};
		if (put(fd[side], rec, sizeof(rec)) || put(fd[side], data, len))
			abort();
		data += len;
		size -= len;
	}
	for (int i = 0; i < 2; i++)
		snprintf(path[i], sizeof(path[i]), "/proc/self/fd/%d", fd[i]);
	run(path[0], path[1], false);
	run(path[0], path[1], true);
	close(fd[0]);
	close(fd[1]);
	return 0;
}
