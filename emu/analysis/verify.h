/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * DOC: verify — the verdicts of every TCP frame of a capture, RFC 2385 and RFC 5925 side by side
 *
 * Each frame is parsed with the length it had on the wire (md5sig_parse_cap()) and given one
 * verdict per scheme (md5sig_classify_frame()): TCP-MD5 (valid, invalid, missing, unexpected,
 * unsigned, unchecked) and TCP-AO (those, unknown-key and no-isn), or it is malformed with its
 * reason; frames that are not TCP, or IP fragments that cannot be checked alone, are "other".
 * A signed segment the capture cut (snaplen), or any signed segment when no key was given, is
 * unchecked, never valid. TCP-AO needs each connection's ISNs and SNE: when the keys hold MKTs
 * the reading thread follows connections in capture order (md5sig_ao_flows_see()) and hands each
 * frame its connection's state; ISNs the capture lacks come from `--isn`. IP fragments of TCP
 * segments are reassembled (emu/analysis/reasm.h) in capture order and the segment checked as
 * it completes; they are counted apart, with what became of their datagrams.
 *
 * With several threads the calling thread reads the capture in batches and classifies batches
 * too, while the other threads each take batches with their own hasher and TCP-AO verifier (an
 * EVP context is not shared) and their own counters; the key table is only read. --list lines
 * are written in capture order whatever the thread count, so every output equals one thread's.
 */
#ifndef VNICEMU_EMU_VERIFY_H
#define VNICEMU_EMU_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "emu/analysis/reasm.h"
#include "emu/capture/capture.h"
#include "md5sig/md5sig.h"

#define EMU_VERIFY_JOBS_MAX 256	  /**< threads at most */
#define EMU_VERIFY_FLOWS    65536 /**< connections followed at once for TCP-AO, by default */
#define EMU_VERIFY_LINKS    8	  /**< link types of a capture's frames named at most */

/** struct emu_verify_counts - what a capture held; plain data, the caller's. */
struct emu_verify_counts {
	uint32_t linktype; /**< the capture's first frame's (enum md5sig_linktype) */
	/** every link type among the frames (a pcapng's interfaces may differ), the first ones */
	uint32_t links[EMU_VERIFY_LINKS];
	unsigned nlinks;
	unsigned long frames; /**< every frame read */
	unsigned long other;  /**< not TCP (fragments of TCP segments are under @reasm) */
	/** RFC 2385 verdicts; [MD5SIG_MALFORMED] counts malformed frames (in both schemes) */
	unsigned long verdicts[MD5SIG_NVERDICTS];
	unsigned long reasons[MD5SIG_NSTATUS]; /**< of the frames malformed by their headers */
	/** RFC 5925 verdicts of the frames that are not malformed ([MD5SIG_AO_MALFORMED] is 0) */
	unsigned long ao[MD5SIG_AO_NVERDICTS];
	/** of the frames malformed by their TCP-AO option (short, duplicated, MAC length) */
	unsigned long ao_reasons[MD5SIG_AO_OPT_NSTATUS];
	/** unchecked frames (in either scheme) by reason */
	unsigned long unchecked[MD5SIG_UNCHECKED_NREASONS];
	bool mkts;			   /**< the keys held TCP-AO MKTs */
	struct md5sig_ao_flow_stats flows; /**< connections followed for TCP-AO (with MKTs) */
	struct emu_reasm_stats reasm;	   /**< IP fragments of TCP segments */
	bool truncated;			   /**< the capture ends inside a record: @cut */
	struct emu_capin_cut cut;	   /**< where; the counts cover the frames before it */
};

/** typedef emu_verify_progress_fn - progress of a long run, called by the reading thread. */
typedef void emu_verify_progress_fn(void *arg, unsigned long long frames, bool done);

/** struct emu_verify_config - one run; everything is the caller's and only read. */
struct emu_verify_config {
	const char *path; /**< pcap or pcapng */
	/** MD5 keys and MKTs (may be empty); NULL when no key was given at all: then every signed
	 * segment is unchecked (no-key) */
	const struct md5sig_keytab *keys;
	const struct md5sig_ao_isn_arg *isns; /**< --isn: ISNs for connections begun earlier */
	size_t nisns;
	size_t flows;  /**< connections followed at once (0: EMU_VERIFY_FLOWS) */
	unsigned jobs; /**< threads, 0 for one per online CPU */
	/** "FRAME VERDICT SRC.PORT > DST.PORT" per TCP frame (TCP-AO: "FRAME ao VERDICT ..."), or
	 * NULL */
	FILE *list;
	/** the --list lines as JSON objects, one a line (docs/verify.md) */
	bool list_json;
	/** the frames read so far, about once a second, then once with @done; or NULL */
	emu_verify_progress_fn *progress;
	void *progress_arg;
};

/** The thread count @jobs asks for: itself, or for 0 the online CPUs (at most the maximum). */
unsigned emu_verify_jobs(unsigned jobs);

/**
 * emu_verify() - classify every frame of a capture.
 * Return: 0 with @c filled (a capture cut inside its last record is read to the cut:
 * @c->truncated), or -errno with one line naming the file (and frame, or the --isn that
 * clashes) in @err. After a read error (a malformed record) @c and the --list lines cover the
 * frames before it.
 */
int emu_verify(const struct emu_verify_config *cfg, struct emu_verify_counts *c, char *err,
	       size_t errlen);

/* ---- one frame at a time, as a live capture delivers them (emu/analysis/live.h) ---- */

/** struct emu_verify_seen - what emu_verify_stream_feed() made of one frame; plain data. */
struct emu_verify_seen {
	bool tcp; /**< a TCP segment (itself, or one its fragment completed) was classified */
	bool reassembled;	  /**< that segment came from IP fragments */
	struct md5sig_verdicts v; /**< its verdicts, when @tcp */
	/** its endpoints, when @tcp and not malformed (or malformed past the IP header) */
	struct md5sig_seg seg;
};

struct emu_verify_stream;

/**
 * emu_verify_stream_new() - the engine of emu_verify() with one thread, for frames handed in
 * one at a time in capture order from a capture of link type @linktype (@cfg->path and
 * @cfg->jobs are not used; the rest is read while the stream lives).
 * Return: the stream (the caller's, freed by emu_verify_stream_free()), or NULL with a reason
 * in @err (out of memory, libcrypto, an --isn that clashes).
 */
struct emu_verify_stream *emu_verify_stream_new(const struct emu_verify_config *cfg,
						uint32_t linktype, char *err, size_t errlen);

/**
 * emu_verify_stream_feed() - classify the next frame (@pkt is only read during the call) as
 * emu_verify() would, numbered from 1, with its --list lines written; @seen (or NULL) says
 * what it was.
 */
void emu_verify_stream_feed(struct emu_verify_stream *s, const struct emu_pkt *pkt,
			    struct emu_verify_seen *seen);

/** The counts of every frame fed so far, as emu_verify() gives them. */
void emu_verify_stream_counts(const struct emu_verify_stream *s, struct emu_verify_counts *c);

/** Free; accepts NULL. */
void emu_verify_stream_free(struct emu_verify_stream *s);

/**
 * emu_verify_failed() - what --fail-on-invalid fails on: an invalid or missing digest or MAC, or
 * a segment a key covered that could not be checked (cut by the snaplen, or its connection's
 * ISNs unknown).
 */
bool emu_verify_failed(const struct emu_verify_counts *c);

/** The counts as one JSON object and a newline (docs/verify.md). */
void emu_verify_json(FILE *f, const struct emu_verify_counts *c);

/**
 * The counts as the human summary, headed by @path: a result line per scheme that has anything
 * signed, and a line for every kind of signed segment that could not be checked.
 */
void emu_verify_text(FILE *f, const char *path, const struct emu_verify_counts *c);

#endif
