// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * capdump CAPTURE: what emu_capin reads, one line per frame, in the fields tshark prints with
 * `-T fields -e frame.number -e frame.time_epoch -e frame.cap_len -e frame.len` (tab
 * separated), then the link type; then "cut OFFSET FRAME WORDS" when the last record is cut.
 * A test tool: tests/integration/capture_formats.sh compares it with tshark frame by frame.
 * Exit 0, or 2 with the reader's error on stderr.
 */
#include <inttypes.h>
#include <stdio.h>

#include "emu/capture/capture.h"

int main(int argc, char **argv)
{
	char err[512];
	struct emu_pkt pkt;
	unsigned long n = 0;
	int r;

	if (argc != 2) {
		fprintf(stderr, "usage: capdump CAPTURE\n");
		return 2;
	}
	struct emu_capin *c = emu_capin_open(argv[1], err, sizeof(err));
	if (!c) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	while ((r = emu_capin_next(c, &pkt, err, sizeof(err))) > 0)
		printf("%lu\t%lld.%09ld\t%" PRIu32 "\t%" PRIu32 "\t%" PRIu32 "\n", ++n,
		       (long long)pkt.ts.tv_sec, pkt.ts.tv_nsec, pkt.caplen, pkt.len, pkt.linktype);
	const struct emu_capin_cut *cut = emu_capin_cut(c);
	if (!r && cut)
		printf("cut %" PRIu64 " %lu %s\n", cut->offset, cut->frame, cut->why);
	if (r < 0)
		fprintf(stderr, "%s\n", err);
	emu_capin_close(c);
	return r < 0 ? 2 : 0;
}
