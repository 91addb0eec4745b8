/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * DOC: live — the verify engine on an interface, as frames arrive (`verify --interface`)
 *
 * A live capture (emu_livecap_open(), emu/capture) hands frames to the verify engine one at a
 * time (emu_verify_stream_feed()), so each gets the verdicts a capture file of the same frames
 * would: RFC 2385 and RFC 5925 side by side, IPv4 and IPv6 pseudo-headers, per-peer keys,
 * TCP-AO traffic keys from the SYNs seen (ISNs of connections begun before the capture come from
 * `--isn`), IP fragments reassembled. Besides the file mode's counts the run keeps per-peer
 * counts (by source address: the peer that signed the segment) for a summary line each second,
 * notes the frames the kernel dropped before the capture saw them, and counts signed frames
 * longer than the interface's MTU: super-frames of GSO or TSO (signed whole, so valid, while
 * the segments made of them carry stale digests) or of GRO or LRO (merged from segments, so
 * invalid, while the segments were fine): their verdicts are not the wire's.
 *
 * The run ends after a number of frames, a duration, or when the caller's stop flag is set (a
 * signal); the descriptor is waited on with ppoll() and the caller's signal mask, so a signal
 * that arrives at any moment ends the wait.
 */
#ifndef VNICEMU_EMU_LIVE_H
#define VNICEMU_EMU_LIVE_H

#include <signal.h>
#include <stdio.h>

#include "emu/analysis/verify.h"
#include "emu/capture/capture.h"

#define EMU_LIVE_PEERS 1024 /**< peers counted apart; later ones are counted as "others" */

/** struct emu_live_config - one run; everything is the caller's and only read. */
struct emu_live_config {
	const char *iface; /**< for messages and the JSON */
	/** MD5 keys and MKTs, --isn, --list: as struct emu_verify_config (path and jobs unused) */
	struct emu_verify_config verify;
	FILE *progress;		     /**< the summary line each second, or NULL */
	unsigned long count;	     /**< stop after this many frames (0: no limit) */
	unsigned long duration_ms;   /**< stop after this long (0: no limit) */
	volatile sig_atomic_t *stop; /**< stop once this is set (by a signal handler), or NULL */
	/** the signal mask while waiting for frames (the stopping signals unblocked in it, blocked
	 * otherwise, so none is lost between a check and the wait); NULL: the current mask */
	const sigset_t *waitmask;
};

/** struct emu_live_peer - what one source address sent; plain data. */
struct emu_live_peer {
	uint8_t family;	       /**< AF_INET, AF_INET6; 0 for the peers past EMU_LIVE_PEERS */
	uint8_t addr[16];      /**< IPv4 in the first 4 bytes */
	unsigned long frames;  /**< TCP segments from it */
	unsigned long valid;   /**< of those, with a valid digest or MAC */
	unsigned long invalid; /**< an invalid one */
	unsigned long missing; /**< none where a key or MKT asks for one */
};

struct emu_live;

/**
 * emu_live_new() - a run over frames of link type @linktype (emu_livecap_linktype()).
 * Return: the run (the caller's, freed by emu_live_free()), or NULL with a reason in @err.
 */
struct emu_live *emu_live_new(const struct emu_live_config *cfg, uint32_t linktype, char *err,
			      size_t errlen);

/**
 * emu_live_feed() - one frame (only read during the call): its verdicts, --list lines and
 * counts. @mtu is the interface's (0: unknown), to tell super-frames.
 */
void emu_live_feed(struct emu_live *l, const struct emu_pkt *pkt, unsigned mtu);

/**
 * emu_live_run() - feed every frame of @cap until the count, the duration or the stop flag,
 * with a summary line on cfg->progress each second and once more at the end.
 * Return: 0, or -EIO / -errno with a reason in @err (the counts so far stay readable).
 */
int emu_live_run(struct emu_live *l, struct emu_livecap *cap, char *err, size_t errlen);

/** The counts so far, as the file mode's. */
void emu_live_counts(const struct emu_live *l, struct emu_verify_counts *c);

/** The per-peer counts, in the order the peers were first seen; *@n of them. */
const struct emu_live_peer *emu_live_peers(const struct emu_live *l, size_t *n);

/** The summary line: seconds since the start, frames, drops, and each peer's counts. */
void emu_live_summary(FILE *f, const struct emu_live *l);

/**
 * The final counts as one JSON object and a newline: the file mode's object (docs/verify.md)
 * with "interface", "dropped", "oversize" and "peers" added.
 */
void emu_live_json(FILE *f, const struct emu_live *l);

/** The final counts as the file mode's summary, then the lines only a live run has. */
void emu_live_text(FILE *f, const struct emu_live *l);

/** Free; accepts NULL. */
void emu_live_free(struct emu_live *l);

#endif
