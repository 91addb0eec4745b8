// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Is a capture file's clock finer than microseconds? libpcap hands every timestamp over in the
 * precision asked for and does not say the file's own, so for the files it reads (pcapng;
 * standard input when it is a file, not a pipe) the file's head is read here: a classic pcap's magic, or a pcapng
 * section's interface descriptions (if_tsresol, pcapng draft section 4.2) up to its first
 * packet. Outputs written from the capture then keep what the input had (capture.h).
 */
#include <byteswap.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu/capture/capture.h"

#define HEAD	      65536 /* interface descriptions come before the packets */
#define PCAPNG_SHB    0x0a0d0d0au
#define PCAPNG_IDB    1u
#define PCAPNG_BOM    0x1a2b3c4du
#define IF_TSRESOL    9
#define FIRST_PACKETS 2u /* obsolete packet block; 3 simple, 6 enhanced follow */

struct head {
	const uint8_t *b;
	size_t n;
	bool swapped;
};

static uint32_t u32(const struct head *h, size_t off)
{
	uint32_t v;

	memcpy(&v, h->b + off, 4);
	return h->swapped ? bswap_32(v) : v;
}

static uint16_t u16(const struct head *h, size_t off)
{
	uint16_t v;

	memcpy(&v, h->b + off, 2);
	return h->swapped ? bswap_16(v) : v;
}

/* Does the interface description at @off (@len bytes) tick faster than once a microsecond? */
static bool idb_fine(const struct head *h, size_t off, uint32_t len)
{
	size_t o = off + 16, end = off + len - 4; /* options after linktype, snaplen */

	while (o + 4 <= end) {
		uint16_t code = u16(h, o), olen = u16(h, o + 2);

		if (!code)
			break;
		if (code == IF_TSRESOL && olen >= 1 && o + 5 <= end) {
			uint8_t v = h->b[o + 4];
			/* 10^-v, or with the top bit 2^-v: 2^-20 s is under a microsecond */
			return v & 0x80 ? (v & 0x7f) >= 20 : v > 6;
		}
		o += 4 + (((size_t)olen + 3) & ~(size_t)3);
	}
	return false; /* the default: microseconds */
}

bool emu_capture_head_nsec(const uint8_t *data, size_t size)
{
	struct head h = {.b = data, .n = size};
	uint32_t magic;

	if (size < 12)
		return false;
	memcpy(&magic, data, 4);
	if (magic == 0xa1b23c4d || magic == 0x4d3cb2a1)
		return true; /* classic pcap, nanosecond magic */
	if (magic != PCAPNG_SHB)
		return false;
	h.swapped = u32(&h, 8) != PCAPNG_BOM;
	for (size_t off = 0; off + 12 <= h.n;) {
		uint32_t type = u32(&h, off), len = u32(&h, off + 4);

		if (len < 12 || len % 4 || len > h.n - off)
			break;
		if ((type == PCAPNG_SHB && off) ||
		    (type >= FIRST_PACKETS && type <= 6 && type != 4 && type != 5))
			break; /* the next section, or the first packet */
		if (type == PCAPNG_IDB && len >= 20 && idb_fine(&h, off, len))
			return true;
		off += len;
	}
	return false;
}

bool emu_capfile_nsec(const char *path)
{
	static uint8_t buf[HEAD];
	struct stat st;
	ssize_t n;
	int fd;

	/* standard input only when it is a file: a pipe's bytes are its reader's */
	if (strcmp(path, "-"))
		fd = open(path, O_RDONLY | O_CLOEXEC);
	else
		fd = !fstat(STDIN_FILENO, &st) && S_ISREG(st.st_mode) ? dup(STDIN_FILENO) : -1;
	if (fd < 0)
		return false;
	n = pread(fd, buf, sizeof(buf), 0);
	close(fd);
	return n > 0 && emu_capture_head_nsec(buf, (size_t)n);
}
