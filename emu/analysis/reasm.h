/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * DOC: reasm — IP reassembly of TCP segments for the verify engine
 *
 * A capture taken behind a hop with a smaller MTU holds TCP segments in IP fragments, which no
 * digest can be checked on alone. Frames are fed in capture order; fragments of TCP datagrams
 * (IPv4, and IPv6 Fragment headers) are kept until every byte of their datagram arrived, then
 * the datagram comes back as one frame: the first fragment's link header and IP header (IPv4:
 * the whole length, no fragment fields, the header checksum recomputed; IPv6: the headers
 * before the Fragment header, its Next Header in place of the Fragment header's), then the
 * segment, which md5sig_parse() reads like any frame.
 *
 * Standards: RFC 791 §3.2 (IPv4; datagrams keyed by source, destination, protocol and
 * Identification, abandoned 15 s after their first fragment arrived, the timer RFC 791
 * recommends), RFC 8200 §4.5 (IPv6; keyed by source, destination and Identification, abandoned
 * after 60 s; a non-last fragment whose length is no multiple of 8 is discarded), RFC 5722
 * (a fragment overlapping another discards the whole datagram, and every fragment of it that
 * arrives later, silently; exact duplicates are dropped and counted on their own, as RFC 8200
 * allows), applied to IPv4 too, as Linux does. Time is the capture's, so a capture gives the
 * same result whenever it is read.
 *
 * Memory is bounded: at most EMU_REASM_DATAGRAMS datagrams at once (the one whose first
 * fragment came earliest makes room, counted as evicted), each at most 65535 bytes of payload
 * and EMU_REASM_PIECES fragments. Only TCP is reassembled; other protocols' fragments pass.
 *
 * Ownership: the reassembler owns every buffer; a reassembled frame is valid until the next
 * call. Not thread-safe: one reassembler reads one capture, in order.
 */
#ifndef VNICEMU_EMU_REASM_H
#define VNICEMU_EMU_REASM_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define EMU_REASM_DATAGRAMS 64	  /**< datagrams in reassembly at once */
#define EMU_REASM_PIECES    256	  /**< fragments of one datagram */
#define EMU_REASM_MAX	    65535 /**< payload bytes of one datagram (the IPv4 length field) */

/** What became of a frame fed to the reassembler. */
enum emu_reasm_result {
	EMU_REASM_PASS, /**< no fragment of a TCP segment: check it as it is */
	EMU_REASM_HELD, /**< a fragment, kept (or dropped and counted): nothing to check now */
	EMU_REASM_DONE, /**< a fragment that completed its segment: check the frame handed back */
};

/** struct emu_reasm_stats - what the reassembler counted; plain data. */
struct emu_reasm_stats {
	unsigned long fragments;   /**< fragments of TCP datagrams fed */
	unsigned long reassembled; /**< segments completed */
	unsigned long overlapping; /**< datagrams discarded for an overlap (RFC 5722) */
	unsigned long duplicates;  /**< exact duplicate fragments dropped */
	unsigned long timed_out;   /**< datagrams abandoned by the timer */
	unsigned long evicted;	   /**< datagrams abandoned to make room */
	unsigned long bad;	   /**< fragments refused: length, past 65535, too many pieces */
	unsigned long incomplete;  /**< datagrams still waiting when the capture ended */
};

struct emu_reasm;

/** Return: a reassembler (free with emu_reasm_free()), or NULL with errno set. */
struct emu_reasm *emu_reasm_new(void);
/** Free it and everything it holds. Accepts NULL. */
void emu_reasm_free(struct emu_reasm *r);

/**
 * emu_reasm_feed() - the next frame of a capture (in capture order) and when it was captured.
 * Return: what became of it; with EMU_REASM_DONE, *@out and *@outlen hold the reassembled frame
 * (of the same link type), valid until the next call.
 */
enum emu_reasm_result emu_reasm_feed(struct emu_reasm *r, uint32_t linktype, const uint8_t *frame,
				     size_t len, const struct timespec *ts, const uint8_t **out,
				     size_t *outlen);

/** The counts so far; datagrams still waiting count as incomplete. */
void emu_reasm_stats(const struct emu_reasm *r, struct emu_reasm_stats *s);

#endif
