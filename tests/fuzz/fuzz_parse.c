// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Frame parser fuzzer: the first byte chooses the link type (low 3 bits) and how long the frame
 * was on the wire (the rest: 0 the captured length, else that many times 97 bytes more), the
 * rest is the frame. A parsed TCP segment is classified against a key table, so the digest
 * code reads exactly the ranges the parser vouched for; and in both schemes
 * (md5sig_classify_frame(), with TCP-AO MKTs and a flow table that follows the frames), so a
 * segment a snaplen cut is judged by its headers without reading past its captured bytes.
 * md5sig_parse_ip()'s offsets must lie in the frame, in order.
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
	static struct md5sig_ao_verifier *ao;
	static struct md5sig_ao_flows *flows;
	struct md5sig_seg seg;
	const char *why;

	if (!h) {
		h = md5sig_hasher_new();
		kt = md5sig_keytab_new();
		md5sig_keytab_parse_line(kt, "192.0.2.0/24 fuzz-key", &why);
		md5sig_keytab_parse_line(kt, "2001:db8::/32 hex:00010203", &why);
		md5sig_keytab_parse_line(kt, "ao 198.51.100.0/24 1:2 hmac-sha-1-96 fuzz", &why);
		md5sig_keytab_parse_line(
			kt, "ao 2001:db8::/32 3:4 aes-128-cmac-96 exclude-options f", &why);
		ao = md5sig_ao_verifier_new(md5sig_keytab_ao(kt), 64);
		flows = md5sig_ao_flows_new(64);
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

	/* the same bytes as a capture record that was longer on the wire */
	struct md5sig_checker c = {.h = h, .kt = data[0] & 0x08 ? kt : NULL, .ao = ao};
	struct md5sig_ao_isns isns;
	struct md5sig_verdicts v;
	uint32_t sne = 0;
	bool known = false;
	st = md5sig_parse_cap(lt, frame, n, n + (size_t)(data[0] >> 3) * 97, &seg);
	if (st == MD5SIG_OTHER || st == MD5SIG_FRAGMENT) {
		free(frame);
		return 0;
	}
	if (st == MD5SIG_TCP || (st == MD5SIG_SNAPLEN && (seg.flags & MD5SIG_SEG_HEADERS))) {
		md5sig_ao_flows_see(flows, frame, &seg);
		known = md5sig_ao_flows_find(flows, frame, &seg, &isns, &sne);
	}
	md5sig_classify_frame(&c, frame, st, &seg, known ? &isns : NULL, sne, &v);
	if ((v.md5 == MD5SIG_MALFORMED) != (v.ao == MD5SIG_AO_MALFORMED) ||
	    (st == MD5SIG_TCP && v.md5 == MD5SIG_UNCHECKED && c.kt))
		abort();
	md5sig_malformed_name(&v);
	free(frame);
	return 0;
}
