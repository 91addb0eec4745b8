// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Capture reader fuzzer: the input is a capture file, read by emu_capin (which walks classic
 * pcap files in place) and by libpcap itself, the reference. Both must see the same frames and
 * fail on the same frame with the same words.
 *
 * Seeds (corpus/pcap): frame 5 of tests/data/kernel/eth.pcap, a SYN with an MD5 option, twice
 * in a microsecond pcap; the same without its Ethernet header in a big-endian nanosecond raw-IP
 * file; and the first cut 20 bytes short.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "emu/capture/capture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], err[512], perr[PCAP_ERRBUF_SIZE];
	int fd = memfd_create("fuzz_pcap", MFD_CLOEXEC);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	struct emu_capin *c = emu_capin_open(path, err, sizeof(err));
	pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, perr);
	if (!p || !c) {
		/* the only extra refusal is a link type md5sig does not parse */
		if (c || (p && !strstr(err, "unsupported link type")))
			abort();
		goto out;
	}
	int dlt = pcap_datalink(p);
	if (emu_capin_linktype(c) != (dlt == DLT_RAW || dlt == 14 ? 101u : (uint32_t)dlt))
		abort();
	for (;;) {
		struct emu_pkt pkt;
		struct pcap_pkthdr *h;
		const u_char *d;
		int r = emu_capin_next(c, &pkt, err, sizeof(err));
		int rr = pcap_next_ex(p, &h, &d);

		if (r <= 0) {
			const char *words = strstr(err, ": frame ");
			if (r == 0 ? rr != PCAP_ERROR_BREAK
				   : rr != PCAP_ERROR || !words || !strstr(words, pcap_geterr(p)))
				abort();
			break;
		}
		/*
		 * Timestamps modulo 2^32: libpcap 1.10 sign-extends the 32-bit fields of files in
		 * host order, not of byte-swapped ones; the format says they are unsigned.
		 */
		if (rr != 1 || pkt.caplen != h->caplen || pkt.len != h->len ||
		    (uint32_t)pkt.ts.tv_sec != (uint32_t)h->ts.tv_sec ||
		    (uint32_t)pkt.ts.tv_nsec != (uint32_t)h->ts.tv_usec ||
		    memcmp(pkt.data, d, pkt.caplen))
			abort();
	}
out:
	emu_capin_close(c);
	if (p)
		pcap_close(p);
	close(fd);
	return 0;
}
