/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * DOC: diff — what the path between a guest capture and a wire capture did
 *
 * Each capture is read once into records of fixed size (144 bytes a TCP segment: the header
 * fields, the signature, a digest of the payload, never the payload), so memory grows with
 * the frames, not their bytes, up to four million frames a capture. Segments cut by the
 * snaplen keep what was captured; IPv4 fragments are reassembled into the segment they carry.
 * Every record gets its MD5 and TCP-AO verdicts (RFC 2385, RFC 5925; ISNs from the handshake
 * in the capture or given; SNE per direction) as `vnicemu verify` gives them.
 *
 * Flows (one direction of a connection) are paired by addresses and ports, else by their
 * sequence numbers (NAT rewrote the addresses). Sequence numbers are unwrapped per flow, the
 * wire's on the guest's scale after any constant offset the path added (ISN randomization).
 * Exact copies of a frame (a SPAN port doubling traffic) are left out as duplicates. Each wire
 * segment then gets an origin: the guest segment with the same range, else the guest segment
 * containing its range (a piece cut from it), else the first one it overlaps (it coalesces
 * several). When a range occurs more than once on a side (retransmissions), the k-th wire copy
 * pairs with the k-th guest copy. Frames before or after the other capture's window are out of
 * scope; bytes never on the other side make frames missing or extra.
 *
 * Each wire segment is compared field by field with its origin; payloads are compared in two
 * more passes over the files, slice by slice by digest (a third finds the bytes that differ
 * when some do). Covered means the scheme's MAC hashes it: RFC 2385 the pseudo-header, the
 * fixed TCP header but the checksum, the payload; TCP-AO the options too, unless the MKT
 * excludes them. The evidence names the elements that explain the differences: the vNIC's
 * stages (tso with its quirks, tx-csum) and the path's (seqrand, optstrip, nat, window,
 * mss-clamp, fragment). When the captures look given the wrong way round (the "wire" holds the
 * larger segments, digests valid only there) and the evidence is unambiguous, they are
 * compared the other way round, and the report says so.
 *
 * Files: read.c (the passes over the files, the records, the engine's life), classify.c
 * (verdicts, ISNs), frag.c (IPv4 reassembly), flows.c (flows paired, in sequence order),
 * match.c (origins, comparisons, scope, missing and extra bytes), payload.c (payload passes),
 * explain.c (the elements that account for the differences), output.c (text and JSON,
 * docs/diff.md). Nothing prints but into the FILE the caller gives.
 */
#ifndef VNICEMU_EMU_DIFF_H
#define VNICEMU_EMU_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "md5sig/md5sig.h"

#include "emu/capture/capture.h"

#define EMU_DIFF_QUIRKS_MAX   4	 /**< quirks an explanation names at most */
#define EMU_DIFF_KINDS_MAX    48 /**< kinds of difference */
#define EMU_DIFF_ELEMENTS_MAX 8	 /**< elements an explanation names at most */

/** struct emu_diff_explanation - which elements account for the differences. */
struct emu_diff_explanation {
	const char *stage; /**< the first element: "tso", "tx-csum", "seqrand", ..., or NULL */
	const char *quirk[EMU_DIFF_QUIRKS_MAX][2]; /**< parameter and value: "tso.md5", "copy" */
	unsigned nquirks;
	char text[768]; /**< in words, as the report prints it */
	/** kinds of difference the stage does not account for, by stable name ("ipid") */
	const char *unexplained[EMU_DIFF_KINDS_MAX];
	unsigned nunexplained;
	bool identical; /**< no difference at all, and every guest flow was on the wire */
	/** every element that explains something, in path order: "tso", "seqrand", ... */
	const char *elements[EMU_DIFF_ELEMENTS_MAX];
	unsigned nelements;
	bool swapped; /**< the captures were compared the other way round */
};

/**
 * typedef emu_diff_progress_fn - progress of a long comparison: @what is being done ("reading
 * guest.pcap", "comparing payloads"), @frames of it so far; called about once a second, and
 * once with @done when it ends.
 */
typedef void emu_diff_progress_fn(void *arg, const char *what, unsigned long long frames,
				  bool done);

/** struct emu_diff_config - how to compare; everything in it is borrowed and must outlive the engine. */
struct emu_diff_config {
	const struct md5sig_keytab *keys; /**< MD5 keys and TCP-AO MKTs; NULL: no key given */
	const struct md5sig_ao_isn_arg
		*isns; /**< ISNs for connections whose handshake was not captured */
	size_t nisns;
	bool keep_order;		/**< never swap the captures, only warn */
	emu_diff_progress_fn *progress; /**< or NULL */
	void *progress_arg;
};

struct emu_diff;

/**
 * emu_diff_new() - an engine that classifies with @keys (borrowed: they must outlive the
 * engine; NULL when no key was given, which the report says).
 * Return: the engine (the caller's, freed by emu_diff_free()), or NULL with errno set.
 */
struct emu_diff *emu_diff_new(const struct md5sig_keytab *keys);

/** emu_diff_new_config() - the same with everything @cfg says (copied; its pointers borrowed). */
struct emu_diff *emu_diff_new_config(const struct emu_diff_config *cfg);

/**
 * emu_diff_read() - read both captures (pcap or pcapng, files: they are read again later),
 * keeping a record of every TCP segment and counting the rest. The link types may differ
 * (segments are compared from the IP header on). The paths are kept, and must outlive the
 * engine.
 * Return: 0, or -errno with one line naming the file (and frame) in @err: a file that cannot be
 * read or is not a regular file, a capture without TCP segments, one too large.
 */
int emu_diff_read(struct emu_diff *d, const char *guest, const char *wire, char *err,
		  size_t errlen);

/**
 * emu_diff_cut() - after emu_diff_read(): where the guest's (or with @wire the wire's) capture
 * ends inside its last record, or NULL when it does not (owned by @d). A cut capture is
 * compared up to the cut; the JSON report says so ("truncated" of its side).
 */
const struct emu_capin_cut *emu_diff_cut(const struct emu_diff *d, bool wire);

/**
 * emu_diff_report() - compare the captures read and write the report into @out: per flow what
 * changed, whether digests cover it and the verdicts on both sides, then the explanation; as
 * text, or (@json) one JSON object. Call it once, after emu_diff_read().
 * Return: 0, or -errno with a reason in @err, nothing written: no flow is on both sides, no
 * wire frame matches a guest frame (the same flows with other sequence numbers), or a file
 * changed between passes.
 */
int emu_diff_report(struct emu_diff *d, FILE *out, bool json, char *err, size_t errlen);

struct emu_html_run;

/**
 * emu_diff_html() - after emu_diff_report(), the same comparison as one HTML page at @path
 * (emu/analysis/html.h): both captures' counts and the explanation as the JSON has them, per
 * flow the differences (the first EMU_DIFF_HTML_FLOWS flows), and for the first flows their
 * first guest frames beside the wire frames matched to them by sequence range, with the
 * differences found and whether the explanation accounts for them; @run says what was run.
 * Return: 0, or -errno with a reason in @err (-EINVAL before emu_diff_report()); nothing is
 * left at @path on failure.
 */
int emu_diff_html(const struct emu_diff *d, const char *path, const struct emu_html_run *run,
		  char *err, size_t errlen);

#define EMU_DIFF_HTML_FLOWS  64 /**< flows whose differences the page lists */
#define EMU_DIFF_HTML_PAIRS  8	/**< flows whose frames it shows side by side */
#define EMU_DIFF_HTML_FRAMES 40 /**< guest frames of each such flow */

/** The explanation the report gave (after emu_diff_report()); its strings are @d's. */
void emu_diff_explain(const struct emu_diff *d, struct emu_diff_explanation *e);

/** Free everything; accepts NULL. */
void emu_diff_free(struct emu_diff *d);

#endif
