/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The diff engine's insides, private to emu/analysis/diff (emu/analysis/diff/diff.h says how
 * it works): read.c reads both captures into records (classify.c gives their verdicts,
 * frag.c reassembles IPv4 fragments), flows.c pairs the two captures' flows and puts their
 * frames in sequence order, match.c pairs and compares the frames, payload.c compares the
 * payloads in further passes over the files, explain.c names the elements that account for
 * the differences, output.c writes the report. Header fields come from md5sig/wire.h, tso's
 * rules from offload.h.
 */
#ifndef VNICEMU_EMU_DIFF_INTERNAL_H
#define VNICEMU_EMU_DIFF_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "emu/analysis/diff/diff.h"
#include "emu/capture/capture.h"
#include "md5sig/md5sig.h"
#include "md5sig/wire.h"
#include "offload/offload.h"

/* per capture: a record is 144 bytes, so two full captures hold about 1.1 GiB */
#define DIFF_MAX_FRAMES 4000000
#define DIFF_NONE	UINT32_MAX /* no origin, no flow */
#define DIFF_OPT_MAX	40	   /* TCP option bytes */

enum { GUEST, WIRE };

/* Kinds of difference, in report order. */
enum diff_kind {
	DK_RESEG,
	DK_SEQ_OFFSET,
	DK_ADDR,
	DK_OPT_STRIPPED,
	DK_OPT_ADDED,
	DK_FLAGS_MOVED,
	DK_FLAGS_CHANGED,
	DK_ACK,
	DK_WINDOW,
	DK_URGENT,
	DK_PAYLOAD,
	DK_OPT_CHANGED,
	DK_MSS,
	DK_SIG_REMOVED, /* the signature option (MD5 or TCP-AO, by the flow's scheme) */
	DK_SIG_ADDED,
	DK_SIG_CHANGED,
	DK_SIG_STALE,
	DK_IPID,
	DK_TTL,
	DK_TOS,
	DK_IP_OTHER,
	DK_FRAGMENTED,
	DK_LINK,
	DK_TCP_CSUM,
	DK_IP_CSUM,
	DK_MISSING,
	DK_EXTRA,
	DK_RETRANS,
	DK_N,
};
/* the TCP-AO names of the signature kinds, for the names only: DK_AO(DK_SIG_STALE) */
#define DK_AO(k) (DK_N + (k)-DK_SIG_REMOVED)
#define DK_NAMES (DK_N + 4)

#define BIT(k)	 (1u << (k))
#define BIT64(k) (1ull << (k))
/* kinds whose change alters what RFC 2385 hashes */
#define DK_COVERED                                                                       \
	(BIT(DK_RESEG) | BIT(DK_SEQ_OFFSET) | BIT(DK_ADDR) | BIT(DK_OPT_STRIPPED) |      \
	 BIT(DK_OPT_ADDED) | BIT(DK_FLAGS_MOVED) | BIT(DK_FLAGS_CHANGED) | BIT(DK_ACK) | \
	 BIT(DK_WINDOW) | BIT(DK_URGENT) | BIT(DK_PAYLOAD))
/* ...and what TCP-AO hashes besides, unless the MKT excludes options (RFC 5925 §5.1) */
#define DK_COVERED_AO_OPTS (BIT(DK_OPT_CHANGED) | BIT(DK_MSS))
/* kinds that are about frames rather than fields: "covered" does not apply */
#define DK_FRAMES (BIT(DK_MISSING) | BIT(DK_EXTRA) | BIT(DK_RETRANS))
#define DK_SIG_ANY \
	(BIT(DK_SIG_REMOVED) | BIT(DK_SIG_ADDED) | BIT(DK_SIG_CHANGED) | BIT(DK_SIG_STALE))
/* what a TSO engine does to the pieces of a split segment (checksums are judged apart) */
#define DK_TSO_PIECE (BIT(DK_RESEG) | BIT(DK_FLAGS_MOVED) | BIT(DK_IPID) | DK_SIG_ANY)

_Static_assert(DK_NAMES <= EMU_DIFF_KINDS_MAX, "emu_diff_explanation lists every kind");
_Static_assert(DK_N <= 32, "kinds fit a frame's 32-bit masks");

#define NCSUM	     (OFFLOAD_CSUM_BAD + 1) /* enum offload_csum values */
#define CSUM_UNKNOWN 0xff		    /* a cut frame's checksum cannot be checked */

/* MD5 verdicts (vnicemu verify's, with unchecked), in JSON order; malformed frames have none */
enum { V5_VALID, V5_INVALID, V5_MISSING, V5_UNEXPECTED, V5_UNSIGNED, V5_UNCHECKED, V5_N };
/* TCP-AO verdicts, in JSON order */
enum {
	VA_VALID,
	VA_INVALID,
	VA_MISSING,
	VA_UNEXPECTED,
	VA_UNKNOWN_KEY,
	VA_NO_ISN,
	VA_UNSIGNED,
	VA_UNCHECKED,
	VA_N,
};
/* why a frame was not checked (unchecked) */
enum { WHY_SNAPLEN, WHY_NO_KEY, WHY_N };

/* struct diff_frame.st */
enum {
	FR_CUT = 1 << 0,	      /* payload not all captured */
	FR_OPTCUT = 1 << 1,	      /* TCP options not all captured either */
	FR_PIECE = 1 << 2,	      /* wire: a piece of a split guest frame */
	FR_CSUM_DONE = 1 << 3,	      /* wire: a partial checksum completed */
	FR_SIGCOPY = 1 << 4,	      /* wire: the signature copied from its origin */
	FR_OUT = 1 << 5,	      /* outside the other capture's window: not compared */
	FR_ACK_SHIFT = 1 << 6,	      /* wire: its ack moved by its flow's constant offset */
	FR_STRIP = 1 << 7,	      /* wire: the signature option overwritten with NOPs */
	FR_IDINC = 1 << 8,	      /* wire: a piece whose IPv4 ID is ID0 + i */
	FR_KEEP = FR_CUT | FR_OPTCUT, /* what reading found; the rest is the comparison's */
};

/*
 * One TCP segment of a capture, as a fixed-size record: the header fields the comparison
 * reads and a digest of the payload, never the payload itself (payload.c reads that again from
 * the file). Records are in capture order; a segment reassembled from IPv4 fragments is one.
 */
struct diff_frame {
	int64_t seq;	      /* unwrapped within its flow, on the guest's scale */
	uint64_t phash;	      /* digest of the captured payload */
	uint32_t no;	      /* frame number in its capture, from 1 (a reassembly's last) */
	uint32_t flow;	      /* in its side's flow table */
	uint32_t rseq, ack;   /* as captured */
	uint32_t plen;	      /* payload bytes, per the IP length */
	uint32_t capt;	      /* ...of which captured */
	uint32_t origin;      /* wire: the guest frame it derives from, or DIFF_NONE */
	uint32_t uses;	      /* guest: wire frames deriving from it */
	uint32_t pieces;      /* guest: split pieces seen so far, in sequence order */
	uint32_t bits;	      /* kinds of difference (guest: of the wire frames it became) */
	uint32_t unexplained; /* wire: kinds nothing accounts for */
	uint32_t linkhash;    /* the link header */
	uint32_t iphash;      /* IPv4 options; IPv6 flow label and extension headers */
	uint16_t ipid, frag;  /* IPv4 */
	uint16_t win, urp;
	uint16_t tcsum, ipcsum; /* the checksum fields */
	uint16_t fragmax;	/* reassembled: the largest fragment's IP length */
	uint16_t st;		/* FR_* */
	uint16_t iphl;		/* IP header length, extension headers included */
	uint16_t pmss;		/* guest: the size of its split pieces (but the last) */
	uint8_t ttl, tos;	/* TTL or hop limit; TOS or traffic class */
	uint8_t tflags, doff;	/* TCP flags, the data offset byte (header length, reserved bits) */
	uint8_t optcap;		/* option bytes captured (thlen - 20 unless FR_OPTCUT) */
	uint8_t md5v, aov;	/* V5_*, VA_* */
	uint8_t csum;		/* enum offload_csum, or CSUM_UNKNOWN */
	uint8_t ip_ok;		/* the IPv4 header checksum verifies (always for IPv6) */
	uint8_t nfrags;		/* reassembled from this many IPv4 fragments (0: not) */
	uint8_t opts[DIFF_OPT_MAX];
};

_Static_assert(sizeof(struct diff_frame) <= 144, "records stay small");

static inline uint32_t frame_thlen(const struct diff_frame *f)
{
	return (uint32_t)(f->doff >> 4) * 4;
}

/* A flow key: one direction of a TCP connection. */
struct diff_key {
	uint8_t family;
	uint8_t saddr[16], daddr[16];
	uint16_t sport, dport;
};

enum { SCHEME_MD5, SCHEME_AO, SCHEME_AO_EXCL, SCHEME_AO_UNKNOWN };

/* One directed flow of one capture. */
struct diff_flow {
	struct diff_key k;
	uint32_t first;	  /* its first record */
	uint32_t n;	  /* records */
	uint32_t rev;	  /* the reverse direction in the same capture, or DIFF_NONE */
	uint32_t peer;	  /* the flow it is compared with in the other capture, or DIFF_NONE */
	size_t ib;	  /* its records: the side's idx[ib..ib + n), in sequence order */
	size_t nd;	  /* ...of which not duplicates (idx[ib..ib + nd)) */
	uint32_t syn_seq; /* the first SYN's sequence number */
	bool syn;
	bool ao;	 /* a frame carried a TCP-AO option or an MKT covered it */
	uint8_t ao_excl; /* 0: options covered, 1: excluded, 2: unknown (no MKT) */
	bool has_isn, has_peer_isn, sne_init;
	uint32_t isn;	   /* the sender's ISN */
	uint32_t peer_isn; /* the receiver's, from a SYN-ACK of this direction */
	struct md5sig_ao_sne sne;
	uint32_t delta;		      /* wire: its sequence numbers minus the guest's (seqrand) */
	bool delta_known;	      /* ...found */
	uint32_t ack_delta;	      /* wire: its acks minus the guest's, when one constant */
	uint8_t ack_state;	      /* 0: no ack changed, 1: one constant, 2: several */
	unsigned long dups;	      /* duplicates left out */
	unsigned long out[2];	      /* frames outside the other capture's window: before, after */
	unsigned long cut, cut_bytes; /* frames cut by the snaplen, payload bytes not compared */
	unsigned long optcut;	      /* frames whose options were cut */
	unsigned long payload_bytes;  /* wire: payload bytes that differ */
	unsigned long missing_bytes, extra_bytes; /* guest: payload bytes never on the other side */
	unsigned long reasm, frags; /* segments reassembled, from this many fragments */
	uint16_t fragmax;
};

struct diff_side {
	const char *path;
	uint32_t linktype; /* of the first frame */
	bool mixed;	   /* some frames have another link type (pcapng interfaces) */
	bool truncated;	   /* the capture ends inside a record: at trunc */
	struct emu_capin_cut trunc;
	struct diff_frame *f; /* records, capture order */
	size_t n, fcap;
	struct diff_flow *fl; /* flows, in order of first appearance */
	size_t nfl, flcap;
	uint32_t *ht; /* flow hash table: index + 1, 0 empty */
	size_t htcap;
	uint32_t *idx; /* records grouped by flow, each flow in sequence order */
	unsigned long frames, other, fragments, malformed;
	unsigned long md5[V5_N], ao[VA_N];
	unsigned long unchecked[2][WHY_N]; /* [md5, ao][reason] */
	unsigned long hdrcut;		   /* TCP headers cut by the snaplen: not compared */
	unsigned long cut, cut_bytes;	   /* payloads cut, bytes not captured */
	unsigned long reasm, frag_lost;	   /* segments reassembled; fragments left over */
	uint32_t max_iplen;		   /* largest IP packet among the TCP frames */
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
	unsigned long sig[5];	      /* what became of the signature option, by enum below */
	unsigned long sig_ao;	      /* ...of which TCP-AO options */
	unsigned long csum_completed; /* pieces of a partial-checksum frame, with a correct one */
};

enum { ID_INC, ID_FIXED, ID_OTHER };
enum { SIG_COPY, SIG_RESIGN, SIG_STRIP, SIG_OTHER, SIG_UNSIGNED };

/* The path elements diff recognises, in path order (offload/registry.c will name them). */
enum { PE_SEQRAND, PE_OPTSTRIP, PE_NAT, PE_WINDOW, PE_MSS, PE_FRAGMENT, PE_N };

/* Evidence for the path elements, summed over flows, with one example each. */
struct diff_path {
	unsigned long frames[PE_N];   /* wire frames each accounts for */
	unsigned long flows[PE_N];    /* flows it touched */
	unsigned long seq_flows;      /* seqrand: flows with an offset */
	uint32_t seq_delta;	      /* ...the first one */
	bool seq_mixed;		      /* ...offsets differ between flows */
	unsigned long ack_back;	      /* acks shifted back by the reverse flow's offset */
	uint8_t strip_kinds;	      /* optstrip: 1 MD5 (19), 2 TCP-AO (29) */
	unsigned long strip_pieces;   /* ...pieces of split frames whose option is blanked too */
	struct diff_key nat_g, nat_w; /* nat: the first flow, as the guest and the wire saw it */
	uint16_t win[2];	      /* window: the first change */
	bool win_mixed, win_clamp;    /* ...others differ; every change lowers to one value */
	uint16_t mss[2];	      /* mss-clamp: the first change */
	bool mss_up;		      /* an MSS went up: no clamp */
	unsigned long frags;	      /* fragment: fragments */
	uint16_t fragmax;
};

/* Per-flow counts for the report. */
struct diff_stats {
	unsigned long frames[2];
	unsigned long md5[2][V5_N], ao[2][VA_N];
	unsigned long unchanged;
	unsigned long n[2][DK_N]; /* guest frames (distinct) and wire frames with each kind */
	unsigned long v5[2][DK_N][V5_N];
	unsigned long va[2][DK_N][VA_N];
	unsigned long split, coalesced;
	uint32_t mss;
	unsigned long flag_set[8], flag_clr[8];
	uint32_t thlen[2]; /* an example of a header length change */
	unsigned long sig_nops, sig_valid;
	unsigned long id_inc;
	int ttl[2]; /* an example TTL (hop limit) change, or -1 */
	bool ttl_mixed;
	int win[2]; /* an example window change, or -1 */
	bool win_mixed;
	int mss_opt[2]; /* an example MSS option change, or -1 */
	bool mss_mixed;
	unsigned long csum[NCSUM][NCSUM]; /* TCP checksum state changes, guest -> wire */
	unsigned long ipcsum[2][2];	  /* IPv4 header checksum [guest ok][wire ok] */
	unsigned long missing_bytes, extra_bytes;
	unsigned long retrans_g, retrans_w;
};

/* The explanation: the elements, in words, and the kinds left over. */
struct diff_expl {
	const char *stage; /* the first element: "tso", "tx-csum", "seqrand", ... or NULL */
	const char *quirk[EMU_DIFF_QUIRKS_MAX][2]; /* parameter, value */
	unsigned nquirks;
	char text[768]; /* the vNIC part, or "no differences" and the like */
	const char *elements[EMU_DIFF_ELEMENTS_MAX]; /* stage names, in path order */
	char *etext[EMU_DIFF_ELEMENTS_MAX];	     /* "explained by" lines, in @buf */
	unsigned nelements;
	char buf[2048];
	uint64_t unexplained; /* BIT64(kind), TCP-AO signature kinds as BIT64(DK_AO(kind)) */
};

/* A payload slice compared in further passes: the guest's bytes against the wire's. */
struct diff_task {
	uint32_t g, w;	     /* records */
	uint32_t goff, woff; /* where the slice starts in each payload */
	uint32_t len;
	uint32_t bad; /* the slices differ (later: how many bytes do) */
	uint64_t h;   /* the guest slice's digest */
};

/* What the comparison found, reset when the sides are swapped. */
struct diff_cmp {
	struct diff_tso tso;
	struct diff_path path;
	uint32_t bits;		    /* every kind seen */
	uint64_t unexplained;	    /* kinds nothing accounts for (as struct diff_expl's) */
	unsigned long matched;	    /* wire frames with an origin */
	unsigned long missing;	    /* guest frames missing */
	unsigned long oversize;	    /* ...of which larger than the wire carries (diff_wire_mtu()) */
	uint32_t oversize_max;	    /* the largest of those, IP bytes */
	unsigned long csum_tx;	    /* unsplit frames whose partial checksum was completed */
	unsigned long only_guest;   /* frames of flows never on the wire */
	unsigned long out_flows[2]; /* flows wholly outside the other capture's window */
	unsigned long coalesced;    /* wire frames holding several guest frames */
	unsigned long turned[2];    /* pairs valid -> invalid/missing, invalid -> valid */
	struct diff_task *tasks;
	size_t ntasks, tcap;
	uint32_t *cand; /* origin candidates */
	int64_t *iv[2]; /* merged byte ranges of each side, as start/end pairs */
};

struct emu_diff {
	struct diff_side s[2];
	const struct md5sig_keytab *keys; /* borrowed; NULL: no key given */
	const struct md5sig_aotab *ao;	  /* the MKTs among them, or NULL */
	struct md5sig_hasher *h;
	struct md5sig_ao_verifier *aov;
	const struct md5sig_ao_isn_arg *isns; /* given ISNs, borrowed */
	size_t nisns;
	bool keep_order;
	emu_diff_progress_fn *progress;
	void *progress_arg;

	struct diff_cmp c;
	bool swapped;	       /* compared the other way round */
	char warning[512];     /* about the direction, or "" */
	bool compared;	       /* the totals are final */
	struct diff_expl expl; /* ...and what explains them */
};

static inline struct diff_frame *frame_of(const struct emu_diff *d, int side, uint32_t i)
{
	return &d->s[side].f[i];
}

static inline struct diff_flow *flow_of(const struct emu_diff *d, int side,
					const struct diff_frame *f)
{
	return &d->s[side].fl[f->flow];
}

/* read.c: the digest of payload bytes (the same function in every pass) */
uint64_t diff_hash(const uint8_t *p, size_t len);

/*
 * A frame handed to a pass over a capture: its bytes (a reassembled segment's are read.c's),
 * its parse, its number. @seg describes the TCP segment when @st is MD5SIG_TCP, and also for
 * MD5SIG_BAD_TCP_HDR when only the options were cut (@optcut).
 */
struct diff_pkt {
	const uint8_t *data;
	uint32_t caplen, len;
	uint32_t no;
	enum md5sig_status st;
	struct md5sig_seg seg;
	bool optcut;
	uint8_t nfrags; /* reassembled from fragments */
	uint16_t fragmax;
};

/* read.c: a pass over a capture, calling @fn for each record-worthy segment (in order). */
typedef int diff_seg_fn(struct emu_diff *d, int side, const struct diff_pkt *p, uint32_t rec,
			void *arg, char *err, size_t errlen);
int diff_scan(struct emu_diff *d, int side, bool first, const char *what, diff_seg_fn *fn,
	      void *arg, char *err, size_t errlen);
/* read.c: the payload of a pass's segment */
static inline const uint8_t *pkt_payload(const struct diff_pkt *p)
{
	return p->data + p->seg.l4_off + p->seg.thlen;
}

/* frag.c: IPv4 reassembly within a pass (bounded: a few datagrams at a time) */
struct diff_reasm;
struct diff_reasm *diff_reasm_new(void);
void diff_reasm_free(struct diff_reasm *r);
/*
 * Feed a frame whose IPv4 header (at @l3) says it is a fragment of a TCP segment. Return: 1
 * with a whole segment in *@out (link header, IP header, data; valid until the next call) and
 * its length, the fragments' count and largest size; 0 while incomplete or when refused;
 * -ENOMEM.
 */
int diff_reasm_add(struct diff_reasm *r, const uint8_t *frame, uint32_t caplen, uint32_t len,
		   uint32_t l3, const uint8_t **out, uint32_t *outlen, uint8_t *nfrags,
		   uint16_t *fragmax);
/* frag.c: fragments held when the capture ended or pushed out (never completed) */
unsigned long diff_reasm_lost(const struct diff_reasm *r);

/* classify.c: MD5 and TCP-AO verdicts of a segment, and the ISNs of its connection */
void diff_classify(struct emu_diff *d, struct diff_side *s, struct diff_flow *fl,
		   const struct diff_pkt *p, struct diff_frame *f);
/* classify.c: apply the given ISNs to a new flow */
void diff_isn_given(const struct emu_diff *d, struct diff_flow *fl);

/* flows.c: the side's flow of a key, made if new. Return: its index, or DIFF_NONE (ENOMEM) */
uint32_t diff_flow_get(struct diff_side *s, const struct diff_key *k, bool *made);
/* flows.c: the key of a parsed segment */
void diff_key_of(const struct md5sig_seg *seg, struct diff_key *k);
/* flows.c: pair both captures' flows (and NAT), find seq offsets, order each flow's frames */
int diff_build_flows(struct emu_diff *d);
/* flows.c: "192.0.2.1.40000 > 192.0.2.2.179" */
void diff_key_format(const struct diff_key *k, char *buf, size_t len);

/* match.c: match and compare every pair of flows (headers; payloads go to tasks) */
int diff_match(struct emu_diff *d);
/* match.c: the frames outside the other capture's window; missing and extra frames */
void diff_scope(struct emu_diff *d);
/* match.c: the direction: should the sides be swapped? Fills d->warning */
bool diff_direction(struct emu_diff *d);
/* match.c: the kinds nothing accounts for, once payloads are compared */
void diff_finish(struct emu_diff *d);
/* match.c: per-flow counts of guest flow @gf and its peer */
void diff_flow_stats(const struct emu_diff *d, uint32_t gf, struct diff_stats *s);
/* match.c: were some frames or bytes of the compared flows left out (snaplen, scope, copies)? */
bool diff_partly_compared(const struct emu_diff *d);
/* match.c: the IP MTU the wire evidently has */
uint32_t diff_wire_mtu(const struct emu_diff *d);
/* match.c: the coverage mask of a flow pair's scheme (TCP-AO when either side has it) */
uint32_t diff_covered(const struct diff_flow *gf, const struct diff_flow *wf);

/* payload.c: compare the payload slices of the tasks, in passes over both files */
int diff_payloads(struct emu_diff *d, char *err, size_t errlen);

/* explain.c: what accounts for the differences (after diff_finish()) */
void diff_explain(const struct emu_diff *d, struct diff_expl *e);

/* output.c, for html.c: kind @k's stable name and title in a flow of TCP-AO (@ao) or not;
 * the title of a name index (DK_AO() included); its one-line detail in a flow pair; whether
 * the pair's scheme covers it (-1: not a field); the verdicts' names */
const char *diff_kind_name(int k, bool ao);
const char *diff_kind_title(int k, bool ao);
const char *diff_kind_name_any(int k);
void diff_kind_detail(char *buf, size_t len, const struct diff_stats *s, const struct diff_flow *g,
		      const struct diff_flow *w, int k);
int diff_kind_covered(const struct diff_flow *g, const struct diff_flow *w, int k);
const char *diff_v5_name(int v);
const char *diff_va_name(int v);

/* output.c: append to the string in @buf (@len bytes), cut at the end */
void diff_appendf(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
