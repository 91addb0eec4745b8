// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Reassembly fuzzer: the input is a sequence of frames, each a 2-byte length, a 1-byte clock
 * step (seconds) and that many bytes, fed to one reassembler in order, as verify feeds a
 * capture. A reassembled frame must parse within its length; the counts must add up: no more
 * segments reassembled than fragments fed, and every datagram accounted for once.
 */
#include <stdlib.h>
#include <string.h>

#include "emu/analysis/reasm.h"
#include "md5sig/md5sig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile unsigned sum;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct emu_reasm *r = emu_reasm_new();
	struct timespec ts = {1700000000, 0};
	struct emu_reasm_stats st;
	unsigned done = 0;

	if (!r)
		return 0;
	while (size >= 3) {
		size_t len = (size_t)data[0] << 8 | data[1];
		ts.tv_sec += data[2];
		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		/* a copy the exact size of the frame, so the sanitizers see every overread */
		uint8_t *f = malloc(len ? len : 1);
		if (!f)
			break;
		memcpy(f, data, len);
		const uint8_t *out;
		size_t outlen;
		if (emu_reasm_feed(r, MD5SIG_LINK_ETHERNET, f, len, &ts, &out, &outlen) ==
		    EMU_REASM_DONE) {
			struct md5sig_seg seg;
			enum md5sig_status s =
				md5sig_parse(MD5SIG_LINK_ETHERNET, out, outlen, &seg);
			for (size_t i = 0; i < outlen; i++)
				sum += out[i];
			sum += s;
			done++;
		}
		free(f);
		data += len;
		size -= len;
	}
	emu_reasm_stats(r, &st);
	if (st.reassembled != done || st.reassembled > st.fragments ||
	    st.incomplete > EMU_REASM_DATAGRAMS)
		abort();
	emu_reasm_free(r);
	return 0;
}
