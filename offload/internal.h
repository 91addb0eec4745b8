/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared inside offload/ only; never installed. */
#ifndef VNICEMU_OFFLOAD_INTERNAL_H
#define VNICEMU_OFFLOAD_INTERNAL_H

#include "md5sig/wire.h"
#include "offload.h"

/*
 * Write the TCP checksum at @tcp from @sum: the pseudo-header plus the segment summed with the
 * checksum field as it is. The field is taken out by adding its complement (RFC 1624), so
 * nothing is stored before the loads that summed it.
 */
static inline void offload_tcp_csum_put(uint8_t *tcp, uint64_t sum)
{
	sum += (uint16_t)~wire_get16(tcp + WIRE_TCP_CSUM);
	wire_put16(tcp + WIRE_TCP_CSUM, (uint16_t)~offload_csum_fold(sum));
}

/* The stage @name from the registry, else from @extra (NULL-terminated, may be NULL). */
const struct offload_stage_ops *offload_stage_lookup(const struct offload_stage_ops *const *extra,
						     const char *name);

/*
 * The effective state of every feature from the requested one: a feature whose needs are not
 * all on is off (Linux: tso needs sg and tx), transitively. Arrays of OFFLOAD_NFEATURES.
 */
void offload_features_effective(const bool *requested, bool *effective);

/* A frame from the pool of @pl (reset for each guest frame), or NULL. */
struct offload_frame *offload_pool_get(struct offload_pipeline *pl, uint32_t cap);

/*
 * Do two parsed TCP segments differ in anything RFC 2385 hashes outside the payload
 * (pseudo-header, fixed TCP header but the checksum), or in where the payload starts? Only the
 * headers are read. Options are not compared (RFC 2385 does not hash them; RFC 5925, which
 * hashes all this too, may).
 */
bool offload_covered_hdr_differ(const uint8_t *a, const struct md5sig_seg *sa, const uint8_t *b,
				const struct md5sig_seg *sb);

/* The same, payload included: both frames whole. */
bool offload_covered_differ(const uint8_t *a, const struct md5sig_seg *sa, const uint8_t *b,
			    const struct md5sig_seg *sb);

/*
 * Find a whole UDP datagram behind the IP header md5sig_parse() located (it fills family,
 * addresses and l3_off before returning MD5SIG_OTHER for protocols other than TCP). On success
 * @seg->l4_off and @seg->tcp_len describe the datagram and its UDP length (csum.c).
 */
bool offload_udp_locate(const uint8_t *f, size_t len, struct md5sig_seg *seg);

/* What TCP-AO covers beyond RFC 2385, for an explanation of a MAC a stage broke. */
struct offload_ao_cover {
	bool exclude_opts; /* the MKT leaves options other than TCP-AO out of the MAC */
	bool sne_known;	   /* the connection is known: the SNEs are */
	uint32_t sne_before, sne_after;
};

/* ---- what path elements share (offload/path.c) ---- */

/*
 * The TCP segment @in holds, for a path element about to read it: its head (where the headers
 * lie: the frame's bytes or its first fragment) with *@seg describing it, or NULL when it is
 * no whole TCP segment. An element passes such a frame on untouched; a segment it cannot
 * parse is counted ("malformed"), as is the first fragment of one ("fragment").
 */
const uint8_t *offload_path_tcp(struct offload_stage *st, struct offload_frame *in,
				struct md5sig_seg *buf, const struct md5sig_seg **seg);

/*
 * Write @len bytes at offset @off of the TCP header of @o (a clone: linear, its own) and keep
 * its checksum right (RFC 1624), as a device on the path does. A checksum still holding the
 * guest's pseudo-header seed covers no header byte and stays as it is.
 */
void offload_path_tcp_write(struct offload_frame *o, const struct md5sig_seg *seg, uint32_t off,
			    const void *bytes, uint32_t len);

/*
 * The next TCP option at or after offset *@i of the header at @tcp (@thlen bytes, options
 * checked by md5sig_parse()): true with its offset in *@i, its kind and its length (1 for NOP),
 * false at the end. Step on with *@i += *@len.
 */
static inline bool offload_tcp_opt_next(const uint8_t *tcp, uint32_t thlen, uint32_t *i,
					uint8_t *kind, uint8_t *len)
{
	if (*i < WIRE_TCP_HLEN)
		*i = WIRE_TCP_HLEN;
	if (*i >= thlen || tcp[*i] == WIRE_TCPOPT_EOL)
		return false;
	*kind = tcp[*i];
	*len = *kind == WIRE_TCPOPT_NOP ? 1 : tcp[*i + 1];
	return true;
}

/*
 * Fill why->changed / why->unchanged by comparing a stage's input and output segments, with
 * RFC 2385's coverage, or with RFC 5925's when @ao is given (options unless excluded, the SNE,
 * the TCP-AO option).
 */
void offload_explain(const uint8_t *pf, const struct md5sig_seg *ps, const uint8_t *cf,
		     const struct md5sig_seg *cs, const struct offload_ao_cover *ao,
		     struct offload_why *why);

#endif
