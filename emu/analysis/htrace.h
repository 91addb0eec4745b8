/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The trace a replay page is drawn from (emu/analysis/html.h), private to html.c and htrace.c:
 * per-flow totals and one flow's ladder, both bounded.
 */
#ifndef VNICEMU_EMU_HTRACE_H
#define VNICEMU_EMU_HTRACE_H

#include "emu/analysis/html.h"

#define HT_TAPS (OFFLOAD_MAX_STAGES + 1)

/* A verdict class, the colour of a segment: the scheme the frame is signed with decides. */
enum ht_class {
	HT_VALID,
	HT_INVALID,
	HT_MISSING,
	HT_UNEXPECTED,
	HT_UNSIGNED,
	HT_UNCHECKED, /* unchecked, no-isn, unknown-key */
	HT_MALFORMED,
	HT_OTHER, /* not TCP, or not verified */
	HT_NCLASSES,
};

/* One directed TCP flow: addresses and ports as the guest tap saw them. */
struct ht_key {
	uint8_t family;
	uint8_t saddr[16], daddr[16];
	uint16_t sport, dport;
};

struct ht_flow {
	struct ht_key k;
	uint64_t first_no;		    /* its first capture frame */
	uint64_t frames[HT_TAPS];	    /* frames at each transmit tap */
	uint64_t cls[HT_TAPS][HT_NCLASSES]; /* ...by verdict class */
};

/* One frame at one tap, as the ladder shows it. */
struct ht_seg {
	uint32_t seq, ack, plen, tcp_len;
	uint16_t win, urp, seg_no, seg_count;
	uint16_t sport, dport;
	uint8_t family, saddr[16], daddr[16];
	uint8_t flags, thlen, cls;
	bool tcp, ao;
	char verdict[16]; /* the verdict's name in its scheme */
	char digest[12];  /* the first bytes of the MD5 digest or TCP-AO MAC, hex, or "" */
};

struct ht_cell {
	uint32_t n;		   /* frames at the tap */
	uint32_t cls[HT_NCLASSES]; /* ...by verdict class */
	uint32_t nsegs;		   /* ...of which kept one by one */
	struct ht_seg segs[EMU_HTML_CELL_SEGS];
};

/* One guest frame (or, @rx, a peer's frame through the receive pipeline) across the taps. */
struct ht_row {
	uint64_t no;
	struct ht_key k; /* as the first tap saw it */
	bool rx;
	bool dir_rev; /* the flow's other direction */
	unsigned ntaps;
	struct ht_cell cell[HT_TAPS];
};

struct emu_html_trace {
	uint64_t target; /* the capture frame whose flow the ladder follows; 0: first signed */
	/* the target's frame to keep at its tap even past EMU_HTML_CELL_SEGS (the outlined one) */
	unsigned target_tap;
	uint16_t target_seg;
	/* per-flow totals (transmit pipeline) */
	struct ht_flow flows[EMU_HTML_FLOWS];
	unsigned nflows;
	uint64_t other_frames[HT_TAPS]; /* frames of flows beyond the first EMU_HTML_FLOWS */
	uint64_t nontcp;		/* guest frames that are not TCP */
	int cur_flow;			/* flow of the guest frame being carried, or -1 */
	uint64_t cur_no;
	/* the ladder: before the lock a ring of the latest frames of any flow */
	bool locked;
	struct ht_key lock;	    /* the flow followed, once locked */
	struct ht_row *rows;	    /* EMU_HTML_ROWS */
	struct ht_row *scratch;	    /* EMU_HTML_BEFORE: the ring sorted at the lock */
	unsigned nrows, ring_start; /* before the lock: a ring of EMU_HTML_BEFORE */
	int row;		    /* the row of the frame being carried, or -1 */
	unsigned taps_seen;	    /* largest tap + 1 of the transmit pipeline */
	unsigned rx_taps_seen;
	uint64_t skipped; /* frames of the followed flow after the ladder filled up */
};

/* The class of a verdict pair, and its name. */
const char *ht_class_name(enum ht_class c);

#endif
