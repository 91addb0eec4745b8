// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Frame parser fuzzer: the first two bytes choose the link type, the rest is the frame. A
 * parsed TCP segment is classified against a key table, so the digest code reads exactly the
 * ranges the parser vouched for; md5sig_parse_ip()'s offsets must lie in the frame, in order.
 */
#include <stdlib.h>
#include <string.h>

#include "md5sig/md5sig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint32_t linktypes[] = {0, 1, 101, 108, 113, 228, 229, 276};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct md5sig_hasher *h;
	static struct md5sig_keytab *kt;
	struct md5sig_seg seg;
	const char *why;

	if (!h) {
		h = md5sig_hasher_new();
		kt = md5sig_keytab_new();
		md5sig_keytab_parse_line(kt, "192.0.2.0/24 fuzz-key", &why);
		md5sig_keytab_parse_line(kt, "2001:db8::/32 hex:00010203", &why);
	}
	if (size < 1)
		return 0;
	uint32_t lt = linktypes[data[0] % 8];
	/* a copy of exactly the frame's size, so ASan sees any read past its end */
	size_t n = size - 1;
	uint8_t *frame = malloc(n ? n : 1);
	memcpy(frame, data + 1, n);
	enum md5sig_status st = md5sig_parse(lt, frame, n, &seg);
	if (st != MD5SIG_OTHER && st != MD5SIG_FRAGMENT) {
		enum md5sig_verdict v = md5sig_classify(h, kt, frame, st, &seg);
		if ((v == MD5SIG_MALFORMED) != (st != MD5SIG_TCP))
			abort();
		char peers[128];
		md5sig_seg_format(&seg, peers, sizeof(peers));
	}
	/* the IP layer alone: every offset it reports lies in the frame, in order */
	struct md5sig_ip ip;
	if (md5sig_parse_ip(lt, frame, n, &ip)) {
		if (ip.l3_off >= ip.l4_off || ip.l4_off > ip.ip_end || ip.ip_end > n ||
		    (ip.frag_hdr && (ip.frag_hdr < ip.l3_off || ip.frag_hdr + 8 > ip.l4_off)))
			abort();
		volatile uint8_t x = frame[ip.l3_off];
		(void)x;
	}
	free(frame);
	return 0;
}
