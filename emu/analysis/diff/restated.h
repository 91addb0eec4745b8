/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RESTATED FACTS — the one place where the diff engine says again what the layers below know,
 * until they export it: then this file becomes includes of theirs.
 *
 *   - TCP flag bits and tso.flags' rules: where a TSO engine leaves PSH/FIN and CWR on the
 *     segments it cuts (offload/tso.c decides it per segment; diff needs the rules as data to
 *     recognise them);
 *   - big-endian field readers and the header offsets diff reads (md5sig parses the same
 *     headers).
 */
#ifndef VNICEMU_EMU_DIFF_RESTATED_H
#define VNICEMU_EMU_DIFF_RESTATED_H

#include <stdbool.h>
#include <stdint.h>

/* ---- big-endian fields and header offsets ---- */

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* in the IPv4 header (RFC 791) */
#define IP4_TOS	 1
#define IP4_ID	 4
#define IP4_FRAG 6 /* flags and fragment offset */
#define IP4_TTL	 8
#define IP4_CSUM 10
#define IP4_HLEN 20 /* without options */
/* in the IPv6 header (RFC 8200) */
#define IP6_HLIM 7
#define IP6_HLEN 40
/* in the TCP header (RFC 9293) */
#define TCP_SEQ	  4
#define TCP_ACK	  8
#define TCP_DOFF  12 /* data offset, reserved bits */
#define TCP_FLAGS 13
#define TCP_WIN	  14
#define TCP_CSUM  16
#define TCP_URG	  18
#define TCP_HLEN  20 /* without options */

/* ---- TCP flags and tso.flags' rules ---- */

#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_CWR 0x80

/* The flag rules of tso.flags (offload/tso.c): where PSH/FIN and CWR stay. */
static const struct {
	const char *quirk;
	const char *semantics;
	bool pf_last, pf_earlier, cwr_first, cwr_later;
} tso_flag_rules[] = {
	{"linux", "Linux GSO semantics", true, false, true, false},
	{"qemu", "QEMU semantics", false, false, true, false},
	{"e1000", "e1000 semantics", true, false, true, true},
	{"copy", "segmentation", true, true, true, true},
};

#endif
