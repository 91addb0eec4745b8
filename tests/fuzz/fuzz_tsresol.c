// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The capture-head reader that tells a nanosecond capture (pcap magic, pcapng if_tsresol):
 * any bytes, no read past them (ASan), and the answer depends on the head alone.
 */
#include <stdlib.h>

#include "emu/capture/capture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly @size bytes, so that ASan sees any read beyond them */
	uint8_t *copy = malloc(size ? size : 1);

	if (!copy)
		return 0;
	for (size_t i = 0; i < size; i++)
		copy[i] = data[i];
	if (emu_capture_head_nsec(copy, size) != emu_capture_head_nsec(data, size))
		abort();
	free(copy);
	return 0;
}
