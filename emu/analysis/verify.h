/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * DOC: verify — the RFC 2385 verdict of every TCP frame of a capture
 *
 * Each frame is parsed (md5sig_parse()) and classified against the key table
 * (md5sig_classify()): valid, invalid, missing, unexpected, unsigned, or malformed with its
 * reason; frames that are not TCP are "other". IP fragments of TCP segments are reassembled
 * (emu/analysis/reasm.h) in capture order and the segment checked as it completes; they are
 * counted apart, with what became of their datagrams.
 * With several threads the calling thread reads the capture in batches and classifies batches
 * too, while the other threads each take batches with their own hasher (an EVP context is not
 * shared) and their own counters; the key table is only read. --list lines are written in
 * capture order whatever the thread count, so every output equals one thread's.
 */
#ifndef VNICEMU_EMU_VERIFY_H
#define VNICEMU_EMU_VERIFY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "emu/analysis/reasm.h"
#include "md5sig/md5sig.h"

#define EMU_VERIFY_JOBS_MAX 256 /**< threads at most */

/** struct emu_verify_counts - what a capture held; plain data, the caller's. */
struct emu_verify_counts {
	uint32_t linktype;    /**< the capture's (enum md5sig_linktype) */
	unsigned long frames; /**< every frame read */
	unsigned long other;  /**< not TCP (fragments of TCP segments are under @reasm) */
	unsigned long verdicts[MD5SIG_NVERDICTS]; /**< reassembled segments included */
	unsigned long reasons[MD5SIG_NSTATUS];	  /**< of the malformed ones */
	struct emu_reasm_stats reasm;		  /**< IP fragments of TCP segments */
};

/** struct emu_verify_config - one run; everything is the caller's and only read. */
struct emu_verify_config {
	const char *path;		  /**< pcap or pcapng */
	const struct md5sig_keytab *keys; /**< may be empty */
	unsigned jobs;			  /**< threads, 0 for one per online CPU */
	FILE *list; /**< "FRAME VERDICT SRC.PORT > DST.PORT" per TCP frame, or NULL */
};

/** The thread count @jobs asks for: itself, or for 0 the online CPUs (at most the maximum). */
unsigned emu_verify_jobs(unsigned jobs);

/**
 * emu_verify() - classify every frame of a capture.
 * Return: 0 with @c filled, or -errno with one line naming the file (and frame) in @err. After a
 * read error (a truncated capture) @c and the --list lines cover the frames before it.
 */
int emu_verify(const struct emu_verify_config *cfg, struct emu_verify_counts *c, char *err,
	       size_t errlen);

/** The counts as one JSON object and a newline (docs/verify.md). */
void emu_verify_json(FILE *f, const struct emu_verify_counts *c);

/** The counts as the human summary, headed by @path. */
void emu_verify_text(FILE *f, const char *path, const struct emu_verify_counts *c);

#endif
