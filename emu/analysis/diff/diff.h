/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * DOC: diff — what the path between a guest capture and a wire capture did
 *
 * Both captures are read whole (they are bug-report sized: at most a million frames or 2 GiB
 * each). Every TCP segment is keyed by its directed flow (addresses and ports) and its sequence
 * range, unwrapped per flow in capture order. Each wire segment then gets an origin: the guest
 * segment with the same range, else the guest segment containing its range (it is a piece cut
 * from it), else the first one it overlaps (it coalesces several). When a range occurs more than
 * once on a side (retransmissions), the k-th wire copy pairs with the k-th guest copy; copies
 * beyond the guest's count are wire duplicates. Segments without payload pair by sequence number
 * and ack. Bytes never on the other side make frames missing or extra.
 *
 * Each wire segment is compared field by field with its origin. Resegmentation implies a new TCP
 * length, sequence number, payload slice and checksums; those are reported once, as the
 * resegmentation, and everything else (flags, IPv4 ID, options, the MD5 option, TTL...) as its
 * own kind of difference. Covered means RFC 2385 hashes it: the pseudo-header with the TCP
 * length, the fixed TCP header but the checksum, the payload; not options, TTL, IP ID or
 * checksums. The pieces of split segments are evidence for the tso stage's quirks (which segment
 * keeps PSH/FIN/CWR, how the IPv4 ID moves, what became of the MD5 option); the explanation names
 * the stage and quirks when every difference fits them.
 *
 * Files: read.c (both captures, the engine's life), flows.c (frames by flow, in sequence order),
 * match.c (origins, comparisons, missing and extra bytes), explain.c (the vNIC behaviour that
 * accounts for the differences), output.c (text and JSON, docs/diff.md). Nothing prints but
 * into the FILE the caller gives.
 */
#ifndef VNICEMU_EMU_DIFF_H
#define VNICEMU_EMU_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "md5sig/md5sig.h"

#define EMU_DIFF_QUIRKS_MAX 4  /**< quirks an explanation names at most */
#define EMU_DIFF_KINDS_MAX  32 /**< kinds of difference */

/** struct emu_diff_explanation - which vNIC behaviour accounts for the differences. */
struct emu_diff_explanation {
	const char *stage;			   /**< "tso", "tx-csum", or NULL for none */
	const char *quirk[EMU_DIFF_QUIRKS_MAX][2]; /**< parameter and value: "tso.md5", "copy" */
	unsigned nquirks;
	char text[768]; /**< in words, as the report prints it */
	/** kinds of difference the stage does not account for, by stable name ("ipid") */
	const char *unexplained[EMU_DIFF_KINDS_MAX];
	unsigned nunexplained;
	bool identical; /**< no difference at all, and every guest flow was on the wire */
};

struct emu_diff;

/**
 * emu_diff_new() - an engine that classifies with @keys (borrowed: they must outlive the
 * engine; NULL when no key was given, which the report says).
 * Return: the engine (the caller's, freed by emu_diff_free()), or NULL with errno set.
 */
struct emu_diff *emu_diff_new(const struct md5sig_keytab *keys);

/**
 * emu_diff_read() - read both captures (pcap or pcapng, one link type), keeping a copy of every
 * TCP segment and counting the rest. The paths are kept, and must outlive the engine.
 * Return: 0, or -errno with one line naming the file (and frame) in @err: a file that cannot be
 * read, captures of different link types, a capture without TCP segments, one too large.
 */
int emu_diff_read(struct emu_diff *d, const char *guest, const char *wire, char *err,
		  size_t errlen);

/**
 * emu_diff_report() - compare the captures read and write the report into @out: per flow what
 * changed, whether digests cover it and the verdicts on both sides, then the explanation; as
 * text, or (@json) one JSON object. Call it once, after emu_diff_read().
 * Return: 0, or -errno with a reason in @err, nothing written: no flow is on both sides, or
 * no wire frame matches a guest frame (the same flows with other sequence numbers).
 */
int emu_diff_report(struct emu_diff *d, FILE *out, bool json, char *err, size_t errlen);

/** The explanation the report gave (after emu_diff_report()); its strings are @d's. */
void emu_diff_explain(const struct emu_diff *d, struct emu_diff_explanation *e);

/** Free everything; accepts NULL. */
void emu_diff_free(struct emu_diff *d);

#endif
