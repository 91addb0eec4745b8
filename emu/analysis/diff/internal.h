/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The diff engine's insides, private to emu/analysis/diff (emu/analysis/diff/diff.h says how
 * it works): read.c reads both captures, flows.c groups their TCP frames by directed flow in
 * sequence order, match.c pairs and compares them, explain.c names the vNIC behaviour,
 * output.c writes the report. Header fields come from md5sig/wire.h, tso's rules from offload.h.
 */
#ifndef VNICEMU_EMU_DIFF_INTERNAL_H
#define VNICEMU_EMU_DIFF_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "emu/analysis/diff/diff.h"
#include "md5sig/wire.h"
#include "offload/offload.h"
#include "emu/capture/capture.h"
#include "md5sig/md5sig.h"
#include "offload/offload.h"

#define DIFF_MAX_FRAMES 1000000	     /* per capture: the comparison holds both in memory */
#define DIFF_MAX_BYTES	(1ull << 31) /* captured bytes per capture, for the same reason */
#define DIFF_NONE	UINT32_MAX   /* no origin */

enum { GUEST, WIRE };

/* Kinds of difference, in report order. */
enum diff_kind {
	DK_RESEG,
	DK_OPT_STRIPPED,
	DK_OPT_ADDED,
	DK_FLAGS_MOVED,
	DK_FLAGS_CHANGED,
	DK_ACK,
	DK_WINDOW,
	DK_URGENT,
	DK_PAYLOAD,
	DK_OPT_CHANGED,
	DK_MD5_REMOVED,
	DK_MD5_ADDED,
	DK_MD5_CHANGED,
	DK_MD5_STALE,
	DK_IPID,
	DK_TTL,
	DK_TOS,
	DK_IP_OTHER,
	DK_LINK,
	DK_TCP_CSUM,
	DK_IP_CSUM,
	DK_MISSING,
	DK_EXTRA,
	DK_RETRANS,
	DK_N,
};

#define BIT(k) (1u << (k))
/* kinds whose change alters what RFC 2385 hashes */
#define DK_COVERED                                                                        \
	(BIT(DK_RESEG) | BIT(DK_OPT_STRIPPED) | BIT(DK_OPT_ADDED) | BIT(DK_FLAGS_MOVED) | \
	 BIT(DK_FLAGS_CHANGED) | BIT(DK_ACK) | BIT(DK_WINDOW) | BIT(DK_URGENT) | BIT(DK_PAYLOAD))
/* kinds that are about frames rather than fields: "covered" does not apply */
#define DK_FRAMES (BIT(DK_MISSING) | BIT(DK_EXTRA) | BIT(DK_RETRANS))
#define DK_MD5_ANY \
	(BIT(DK_MD5_REMOVED) | BIT(DK_MD5_ADDED) | BIT(DK_MD5_CHANGED) | BIT(DK_MD5_STALE))
/* what a TSO engine does to the pieces of a split segment (checksums are judged apart) */
#define DK_TSO_PIECE (BIT(DK_RESEG) | BIT(DK_FLAGS_MOVED) | BIT(DK_IPID) | DK_MD5_ANY)

_Static_assert(DK_N <= EMU_DIFF_KINDS_MAX, "emu_diff_explanation lists every kind");

#define NCSUM (OFFLOAD_CSUM_BAD + 1) /* enum offload_csum values */

/* One parsed TCP segment of a capture. */
struct diff_frame {
	size_t off;  /* its bytes in the side's buffer */
	uint32_t no; /* frame number in its capture, from 1 */
	struct md5sig_seg seg;
	int64_t seq;	      /* unwrapped within its flow */
	uint32_t plen;	      /* payload bytes */
	uint8_t verdict;      /* enum md5sig_verdict */
	uint8_t csum;	      /* enum offload_csum */
	bool ip_ok;	      /* IPv4 header checksum verifies (always true for IPv6) */
	uint32_t origin;      /* wire: the guest frame it derives from, or DIFF_NONE */
	uint32_t uses;	      /* guest: wire frames deriving from it */
	uint32_t pieces;      /* guest: split pieces seen so far, in sequence order */
	uint32_t bits;	      /* kinds of difference (guest: of the wire frames it became) */
	uint32_t unexplained; /* wire: kinds no vNIC stage accounts for */
};

struct diff_side {
	const char *path;
	struct emu_capin *in;
	uint32_t linktype;
	uint8_t *buf; /* copies of the TCP frames */
	size_t used, cap;
	struct diff_frame *f;
	size_t n, fcap;
	unsigned long frames, other, fragments;
	unsigned long verdicts[MD5SIG_NVERDICTS];
	uint32_t max_iplen; /* largest IP packet among the TCP frames */
};

/* A directed flow: its frames' indices in gidx[gb..gb+ng) and widx[wb..wb+nw). */
struct diff_flow {
	size_t gb, ng, wb, nw;
	uint64_t order; /* reported in order of first appearance, guest capture first */
};

/*
 * What split pieces say about the segmentation engine, summed over flows. Flag placement is
 * counted per position: the piece holding the guest frame's first byte, its last byte, or
 * neither (earlier than the last, later than the first).
 */
struct diff_tso {
	unsigned long pieces;
	uint8_t pf_seen;	      /* PSH/FIN bits of split guest frames */
	unsigned long pf[2][2];	      /* PSH/FIN [on the last piece][kept] */
	unsigned long pf_partly;      /* PSH and FIN set, one of them kept */
	unsigned long cwr[2][2];      /* CWR [on the first piece][kept] */
	unsigned long id[3];	      /* IPv4 ID of pieces after the first: ID0 + i, ID0, other */
	unsigned long md5[5];	      /* what became of the MD5 option, by enum below */
	unsigned long csum_completed; /* pieces of a partial-checksum frame, with a correct one */
};

enum { ID_INC, ID_FIXED, ID_OTHER };
enum { M5_COPY, M5_RESIGN, M5_STRIP, M5_OTHER, M5_UNSIGNED };

/* Per-flow counts for the report. */
struct diff_stats {
	unsigned long frames[2];
	unsigned long verdicts[2][MD5SIG_NVERDICTS];
	unsigned long unchanged;
	unsigned long n[2][DK_N]; /* guest frames (distinct) and wire frames with each kind */
	unsigned long v[2][DK_N][MD5SIG_NVERDICTS];
	unsigned long split, coalesced;
	uint32_t mss;
	unsigned long flag_set[8], flag_clr[8];
	uint32_t thlen[2]; /* an example of a header length change */
	unsigned long md5_nops, md5_valid;
	unsigned long payload_bytes;
	unsigned long id_inc;
	int ttl[2]; /* an example TTL (hop limit) change, or -1 */
	bool ttl_mixed;
	unsigned long csum[NCSUM][NCSUM]; /* TCP checksum state changes, guest -> wire */
	unsigned long ipcsum[2][2];	  /* IPv4 header checksum [guest ok][wire ok] */
	unsigned long missing_bytes, extra_bytes;
};

/* The explanation: the stage and quirks, in words, and the kinds left over. */
struct diff_expl {
	const char *stage;			   /* "tso", "tx-csum", or NULL */
	const char *quirk[EMU_DIFF_QUIRKS_MAX][2]; /* parameter, value */
	unsigned nquirks;
	char text[768];
	uint32_t unexplained; /* BIT(kind) */
};

struct emu_diff {
	struct diff_side s[2];
	const struct md5sig_keytab *keys; /* borrowed; NULL: no key given */
	struct md5sig_hasher *h;

	uint32_t *gidx, *widx;
	struct diff_flow *flows;
	size_t nflows;

	/* scratch, sized when the flows are built so that comparing cannot fail */
	uint32_t *cand; /* origin candidates */
	int64_t *iv[2]; /* merged byte ranges of each side, as start/end pairs */

	/* totals over the compared flows, for the explanation */
	struct diff_tso tso;
	uint32_t bits, unexplained;
	unsigned long matched;	  /* wire frames with an origin */
	unsigned long missing;	  /* guest frames missing */
	unsigned long oversize;	  /* ...of which larger than the wire carries (diff_wire_mtu()) */
	uint32_t oversize_max;	  /* the largest of those, IP bytes */
	unsigned long csum_tx;	  /* unsplit frames whose partial checksum was completed */
	unsigned long only_guest; /* frames of flows never on the wire */
	bool compared;		  /* diff_compare() ran: the totals are final */
	struct diff_expl expl;	  /* ...and what explains them */
};

static inline struct diff_frame *frame_of(const struct emu_diff *d, int side, uint32_t i)
{
	return &d->s[side].f[i];
}

static inline const uint8_t *data_of(const struct emu_diff *d, int side, const struct diff_frame *f)
{
	return d->s[side].buf + f->off;
}

/* flows.c: group both sides' frames into flows, in sequence order. Return: 0 or -ENOMEM. */
int diff_build_flows(struct emu_diff *d);
/* flows.c: the ack of a frame */
uint32_t diff_ack_of(const struct emu_diff *d, int side, const struct diff_frame *f);

/* match.c: per flow present on both sides, its counts (the per-flow report) */
typedef void diff_flow_fn(void *arg, const struct md5sig_seg *flow, const struct diff_stats *s);
/*
 * match.c: match and compare every flow, calling @fn for each flow on both sides in report
 * order, then check that the captures had something in common. Return: 0, or -EINVAL with a
 * reason in @err.
 */
int diff_compare(struct emu_diff *d, diff_flow_fn *fn, void *arg, char *err, size_t errlen);
/* match.c: the IP MTU the wire evidently has */
uint32_t diff_wire_mtu(const struct emu_diff *d);

/* explain.c: what accounts for the differences (after diff_compare()) */
void diff_explain(const struct emu_diff *d, struct diff_expl *e);

/* output.c: append to the string in @buf (@len bytes), cut at the end */
void diff_appendf(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
