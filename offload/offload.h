/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * DOC: offload — the vNIC's offload stages and the pipeline that runs them
 *
 * A guest hands its vNIC frames with offload metadata: a TSO request and its MSS, a checksum
 * the device must complete, the descriptor fragments the frame is spread over. The transmit
 * pipeline runs such frames through stages in the profile's order (sg, tso, tx-csum), each a
 * unit with a name, the ethtool feature that enables it, quirk parameters and one processing
 * function (frames in, frames out). Between stages, verification taps classify every TCP
 * frame with md5sig in both schemes, RFC 2385 (TCP-MD5) and RFC 5925 (TCP-AO), and attribute
 * invalidated digests and MACs to the stage that caused them, with the covered fields it
 * changed. TCP-AO needs each connection's ISNs and SNE: the pipeline's input tap feeds a flow
 * table (md5sig_ao_flows) the caller owns, which the taps and tso (to re-sign) consult.
 *
 * Frames live in a pool owned by the pipeline; one guest frame is carried through every stage
 * before the next is read, so memory is bounded by the largest segmentation, not by the
 * number of frames. Bytes are lent, not copied, until a stage writes them (offload/frame.c):
 * the guest frame points at its caller's buffer, segments at their super-frame's payload.
 *
 * Accounting is exact: for every stage frames_in + created == frames_out + dropped + merged +
 * held (tso creates segments, lro merges segments into frames it holds).
 *
 * The registry (offload/registry.c) describes every stage and feature once: which ethtool
 * feature enables which stage, what it needs, which direction it works in. A stage is one file
 * and one line there (docs/adding-a-stage.md).
 *
 * Path elements (a firewall's option blanking and sequence randomization, NAT, a shaper's window
 * rewrite, MSS clamping, fragmentation) are stages that sit after the NIC's, before the wire.
 * Unlike the NIC's transmit stages they hold per-flow state (offload_flowtab) and act on both
 * directions: a receive pipeline built with the transmit pipeline as its twin runs the same
 * instances' receive halves, in reverse order, before the NIC's receive stages, so one
 * per-flow state serves both (seq shifted out, ack shifted back in). Each is one file and one
 * line of OFFLOAD_PATH_ELEMENTS below, which also makes its feature.
 *
 * Ownership: a pipeline owns its stages, its frame pool and a copy of every parameter value; it
 * borrows the key table and the flow table. Frames belong to the pipeline's pool and live until the next guest
 * frame (offload_pipeline_guest_frame()) or flush; a sink may read them only during its call.
 * Registry data (stage ops, feature descriptions, the tso rules) are static and live forever.
 */
#ifndef VNICEMU_OFFLOAD_H
#define VNICEMU_OFFLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "md5sig/md5sig.h"

#define OFFLOAD_MAX_FRAGS 64 /**< descriptor fragments a frame may arrive in */
#define OFFLOAD_MAX_FRAME \
	262144 /**< largest frame (a capture's snaplen); TSO requests are <= 64 KiB + headers */
#define OFFLOAD_MAX_SEGMENTS 256 /**< most frames one stage may make of one input */

/** Checksum state of a frame's TCP/UDP checksum field. */
enum offload_csum {
	OFFLOAD_CSUM_NONE = 0, /**< not TCP/UDP, or not looked at */
	OFFLOAD_CSUM_COMPLETE, /**< the checksum verifies */
	OFFLOAD_CSUM_PARTIAL,  /**< holds the pseudo-header sum with the length (Linux, virtio) */
	OFFLOAD_CSUM_PARTIAL_NOLEN, /**< pseudo-header sum without the length (vmxnet3/e1000 TSO) */
	OFFLOAD_CSUM_BAD,	    /**< none of the above: passed on, counted */
};

/** One descriptor fragment: @len bytes at @p (not owned by the frame). */
struct offload_frag {
	const uint8_t *p;
	uint32_t len;
};

/**
 * struct offload_frame - bytes plus offload metadata.
 *
 * The bytes are @data[0..@len) when @nfrags == 0; otherwise they are the concatenation of
 * @frags and @data is a buffer of @cap bytes that the sg stage gathers into, or that holds the
 * frame's own head when @frags[0].p == @data (a segment cut without copying its payload).
 * Fragments are read-only and belong to the guest frame's caller or to the frame a segment
 * was cut from; they stay valid until offload_pipeline_tx() returns (see offload/frame.c).
 */
struct offload_frame {
	uint8_t *data;	 /**< linear bytes (pool-owned buffer of @cap bytes) */
	uint32_t len;	 /**< frame length */
	uint32_t cap;	 /**< size of @data */
	uint16_t nfrags; /**< 0: linear; else the frame is spread over @frags */
	struct offload_frag frags[OFFLOAD_MAX_FRAGS];

	bool tso;		/**< a TSO request: segment into @mss-byte payloads */
	uint16_t mss;		/**< payload bytes per segment (Linux/virtio gso_size) */
	enum offload_csum csum; /**< state of the L4 checksum */

	/*
	 * A stage that knows the one's-complement sum of the frame's bytes from @tail_off to the
	 * end (tso, which sums each payload slice as it cuts it) leaves it here for the checksum
	 * stage: offload_frame_csum() uses it instead of reading those bytes again. 0: none. A
	 * stage that changes bytes past @tail_off must clear it.
	 */
	uint32_t tail_off;
	uint16_t tail_sum;
	/* The IPv4 header checksum is right: the stage that output the frame just computed it. */
	bool ip_csum_ok;

	/** its length on the wire when a capture cut it (a replay's guest frame): > @len; else 0
	 * or @len, the frame is whole (an IP length past its end is then truncated-ip) */
	uint32_t wire_len;
	uint64_t guest_no;  /**< the guest frame this derives from, counted from 1 */
	uint16_t seg_no;    /**< segment index (0-based) when a stage split the guest frame */
	uint16_t seg_count; /**< number of segments, 1 when unsplit */
	uint16_t merged;    /**< segments a coalescing stage merged into this frame (0: none) */
	struct timespec ts; /**< when the guest handed it over */

	/* Set by the stage that output the frame; read by the tap after it. */
	/** bytes covered by RFC 2385 or RFC 5925 (TCP options included) may have changed */
	bool changed_covered;
	bool changed; /**< any byte changed (then the frame is written differently) */

	/* Owned by the verification taps. */
	enum md5sig_verdict verdict; /**< RFC 2385, at the last tap (MD5SIG_NVERDICTS: not TCP) */
	enum md5sig_ao_verdict ao_verdict; /**< RFC 5925, with @verdict (MD5SIG_AO_NVERDICTS: not
					      TCP) */
	bool verdict_known;
	bool digest_inferred; /**< a verdict inferred, not recomputed (see offload/pipeline.c) */

	/*
	 * Whoever wrote or parsed the frame's headers (tso for its segments, the code handing
	 * a guest frame over) may describe them here, as md5sig_parse() does for a TCP
	 * segment: the taps then take the description instead of parsing the frame again,
	 * unless they verify it (verification always parses what is there). Stages change
	 * checksum fields at most after that; one that moved a header would clear it.
	 */
	bool seg_known;
	struct md5sig_seg seg; /* last: a new frame does not clear it (seg_known does) */
};

struct offload_pipeline;
struct offload_stage;

/**
 * struct offload_param - a quirk parameter: a choice among strings, or an unsigned number when
 * @choices is NULL. Static data of the stage file, like the ops that point to it.
 */
struct offload_param {
	const char *name;	    /**< "flags" (addressed as "tso.flags") */
	const char *const *choices; /**< NULL-terminated, or NULL for an unsigned number */
	const char *def;	    /**< default value */
	const char *help;	    /**< one line */
	/**
	 * Free text instead (an address, a list), checked by the stage's init(): its syntax for
	 * messages ("KIND[,KIND...]"); @choices is then NULL and ignored.
	 */
	const char *syntax;
};

/**
 * OFFLOAD_PATH_ELEMENTS - every path element, one line each: X(ID, FILE, NAME, LONG) for the
 * element offload/FILE.c exporting `offload_stage_FILE` (whose name is NAME), toggled by the
 * feature OFFLOAD_F_ID, named NAME (`--set seqrand=off`, `vnicctl set seqrand off`) or LONG, as
 * ethtool names features. The registry (offload/registry.c) makes the stages and the feature
 * rows of this list; it lives here because the feature enum is made of it too.
 */
#define OFFLOAD_PATH_ELEMENTS(X)                                     \
	X(OPTSTRIP, optstrip, "optstrip", "tcp-option-stripping")    \
	X(SEQRAND, seqrand, "seqrand", "tcp-sequence-randomization") \
	X(NAT, nat, "nat", "network-address-translation")            \
	X(WINDOW, window, "window", "tcp-window-rewrite")            \
	X(MSS_CLAMP, mssclamp, "mss-clamp", "tcp-mss-clamping")      \
	X(FRAGMENT, fragment, "fragment", "ip-fragmentation")

#define OFFLOAD_F_PATH_ENUM(id, file, name, longname) OFFLOAD_F_##id,

/**
 * enum offload_feature - the ethtool features that enable stages, then one per path element.
 * Each value indexes the registry's feature table, where its names, needs, direction and stage
 * are written (see offload_feature_info()); nothing else restates them.
 */
enum offload_feature {
	OFFLOAD_F_SG = 0,
	OFFLOAD_F_TSO,
	OFFLOAD_F_TX,
	OFFLOAD_F_RX,
	OFFLOAD_F_LRO,
	OFFLOAD_PATH_ELEMENTS(OFFLOAD_F_PATH_ENUM) OFFLOAD_NFEATURES,
};

/** The bit of feature @f in struct offload_feature_info's @needs. */
#define OFFLOAD_FEATURE_BIT(f) (1u << (f))

/** Which way a stage carries frames. */
enum offload_dir {
	OFFLOAD_DIR_TX,	  /**< guest to wire: the transmit pipeline */
	OFFLOAD_DIR_RX,	  /**< wire to guest: the receive pipeline */
	OFFLOAD_DIR_PATH, /**< a path element: both, after the NIC's stages (a feature's only) */
};

/** Most parameters one stage may declare; offload_pipeline_new() refuses a stage with more. */
#define OFFLOAD_MAX_STAGE_PARAMS 8

/**
 * struct offload_stage_ops - what one stage file exports (static data, registered in
 * offload/registry.c). Which feature enables the stage is the registry's to say: a stage no
 * feature names is always on.
 * @init reads the stage's parameters with offload_stage_param() and sets up private state in
 * the zeroed instance. It is the only time parameters are read: a new value makes a new
 * instance. On failure it returns -errno (after offload_stage_fail() for a reason the user
 * can act on) and leaves nothing to free: fini is not called for an instance whose init failed.
 * @process receives one frame and writes up to @max_out frames to @out: @in itself (passed
 * through, possibly modified in place) or frames from offload_frame_new(). It returns the
 * count, 0 after offload_stage_drop() named the reason, or -errno (counted as a drop with
 * reason "error"). A stage never frees or keeps its input; on failure it outputs nothing.
 */
struct offload_stage_ops {
	const char *name; /**< "sg", "tso", "tx-csum" */
	/** terminated by a {NULL} entry; may be NULL; at most OFFLOAD_MAX_STAGE_PARAMS */
	const struct offload_param *params;
	size_t size; /**< bytes of the instance struct (embeds the base first) */
	int (*init)(struct offload_stage *st);
	int (*process)(struct offload_stage *st, struct offload_frame *in,
		       struct offload_frame **out, unsigned max_out);
	/**
	 * @receive: a path element's receive half (wire to guest), with process()'s contract; the
	 * receive pipeline runs it instead of process(). Both halves share the instance and so its
	 * per-flow state. NULL for the NIC's stages.
	 */
	int (*receive)(struct offload_stage *st, struct offload_frame *in,
		       struct offload_frame **out, unsigned max_out);
	/**
	 * @bypass: optional; decides what happens to a frame while the stage's feature is off:
	 * 1 passes it on untouched, 0 drops it after offload_stage_drop(). Without it a
	 * disabled stage passes every frame (e.g. tso drops a TSO request as "oversize").
	 */
	int (*bypass)(struct offload_stage *st, struct offload_frame *in);
	/**
	 * @flush: optional, for stages that hold frames across calls (lro). Writes up to
	 * @max_out held frames that are due to @out (frames from offload_frame_new(); @all:
	 * everything held, e.g. at the end of a burst or of a run) and returns the count or
	 * -errno. A held frame lives in the stage's own memory until flushed; frames taken in
	 * by process() and kept are counted with offload_stage_hold()/offload_stage_merge().
	 */
	int (*flush)(struct offload_stage *st, struct offload_frame **out, unsigned max_out,
		     bool all);
	/**
	 * @fini: optional; frees what init() set up, exactly once per instance whose init()
	 * succeeded, just before the pipeline frees the instance.
	 */
	void (*fini)(struct offload_stage *st);
};

/** struct offload_stage - the base every stage instance embeds as its first member. */
enum offload_kept { OFFLOAD_KEPT_NONE, OFFLOAD_KEPT_HELD, OFFLOAD_KEPT_MERGED };

struct offload_stage {
	const struct offload_stage_ops *ops;
	struct offload_pipeline *pl;
	const char *drop_reason; /**< set by offload_stage_drop() */
	enum offload_kept kept;	 /**< set by offload_stage_hold() / offload_stage_merge() */
	unsigned released;	 /**< set by offload_stage_release() */
	const char *init_error;	 /**< set by offload_stage_fail() */
};

#define offload_container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr)-offsetof(type, member)))

/* ---- services for stages ---- */

/** A new empty frame from the pipeline's pool with room for @cap bytes, or NULL. */
struct offload_frame *offload_frame_new(struct offload_stage *st, uint32_t cap);
/** Copy metadata (not bytes) from @src to @dst: provenance, verdict, csum, tso. */
void offload_frame_copy_meta(struct offload_frame *dst, const struct offload_frame *src);
/** Record why the current input is dropped; returns 0 for `return offload_stage_drop(...)`. */
int offload_stage_drop(struct offload_stage *st, const char *reason);
/**
 * Count an event under the stage, by a static name ("evicted", "no-flow", "malformed"): what a
 * stage did or could not do without dropping anything, shown beside its drops.
 */
void offload_stage_count(struct offload_stage *st, const char *what);
/**
 * offload_frame_clone() - a new frame holding a linear copy of @in's bytes and its metadata, for
 * a path element that rewrites headers: the tap after it then compares what it was given with
 * what it made, and explains the difference. Return: the frame, or NULL without memory.
 */
struct offload_frame *offload_frame_clone(struct offload_stage *st, const struct offload_frame *in);
/** Why init() refuses its configuration, for the user; returns -EINVAL for `return ...`. */
int offload_stage_fail(struct offload_stage *st, const char *why);
/** The current input was copied into the stage and is held (returns 0 for process()). */
int offload_stage_hold(struct offload_stage *st);
/** The current input was merged into a frame the stage holds (returns 0 for process()). */
int offload_stage_merge(struct offload_stage *st);
/**
 * The first @n frames process() writes to @out are frames the stage held, sent on ahead of
 * whatever became of the current input (passed on, held or merged): lro releases a flow's
 * held frame before a segment that cannot join it, so the flow is not reordered.
 */
void offload_stage_release(struct offload_stage *st, unsigned n);
/**
 * The value of parameter @name of this stage ("flags"), validated at configuration: the
 * pipeline's own copy, for init() to read (it may change once init() returns).
 */
const char *offload_stage_param(const struct offload_stage *st, const char *name);
/** The same as an unsigned number. */
unsigned long offload_stage_param_num(const struct offload_stage *st, const char *name);
/** Is @f on for this pipeline (the effective state, dependencies applied)? */
bool offload_stage_feature(const struct offload_stage *st, enum offload_feature f);
/** The key table of the run, or NULL (for tso.md5=resign). */
const struct md5sig_keytab *offload_stage_keys(const struct offload_stage *st);
/** The TCP-AO verifier of the run, for its MKTs (to re-sign: tso.md5=resign). */
struct md5sig_ao_verifier *offload_stage_ao_verifier(const struct offload_stage *st);
/** The connections the pipeline knows (ISNs, SNE), or NULL: for md5sig_ao_flows_find(). */
const struct md5sig_ao_flows *offload_stage_flows(const struct offload_stage *st);
/** The IP MTU of the wire the pipeline sends to. */
unsigned offload_stage_wire_mtu(const struct offload_stage *st);
/** The capture link type frames of this pipeline carry. */
uint32_t offload_stage_linktype(const struct offload_stage *st);
/**
 * offload_stage_parse() - @in, the frame process() or bypass() was called with, parsed: as the
 * tap before this stage parsed it, or, without one, where its bytes lie, gathering the frame
 * when its headers run past its first fragment. *@seg points at the description (the tap's, or
 * @buf); offsets count from the frame's start, wherever its bytes lie, so they stay valid until
 * the stage changes the frame's bytes (gathering or taking its head does not move them).
 * Return: the md5sig_parse() status.
 */
enum md5sig_status offload_stage_parse(const struct offload_stage *st, struct offload_frame *in,
				       struct md5sig_seg *buf, const struct md5sig_seg **seg);
/** A digest context for stages that sign (tso.md5=resign). */
struct md5sig_hasher *offload_stage_hasher(const struct offload_stage *st);

/* ---- per-flow state of path elements (offload/flow.c) ---- */

/**
 * struct offload_flow_key - a flow as the guest sees it, whichever way its frame went: the
 * guest's address and port (the source of what it sends, the destination of what it gets)
 * first. Built by offload_flow_key(); compare whole (padding is zero).
 */
struct offload_flow_key {
	uint8_t family, proto;
	uint16_t guest_port, peer_port;
	uint8_t guest[16], peer[16];
};

/** The key of segment @seg's flow; @rx: the frame came from the wire (the guest receives it). */
void offload_flow_key(struct offload_flow_key *k, const struct md5sig_seg *seg, bool rx);

struct offload_flowtab;

/**
 * offload_flowtab_new() - a table of at most @max flows, each with @value_size bytes of the
 * element's state, all allocated here, once: memory does not grow with traffic. When it is
 * full, adding a flow evicts the one used least recently.
 * Return: the table (free with offload_flowtab_free()), or NULL with errno set.
 */
struct offload_flowtab *offload_flowtab_new(unsigned max, size_t value_size);
/** Free the table and every flow's state. Accepts NULL. */
void offload_flowtab_free(struct offload_flowtab *t);
/** The state of flow @k, made the most recently used; NULL if the table has none. */
void *offload_flowtab_find(struct offload_flowtab *t, const struct offload_flow_key *k);
/**
 * offload_flowtab_add() - the state of flow @k, zeroed: a new entry, or the existing one reset.
 * Sets *@evicted when another flow had to make room (the caller counts it).
 * Return: the state; never NULL (@max is at least 1).
 */
void *offload_flowtab_add(struct offload_flowtab *t, const struct offload_flow_key *k,
			  bool *evicted);
/** How many flows the table holds. */
unsigned offload_flowtab_count(const struct offload_flowtab *t);

/* ---- a frame's bytes (offload/frame.c) ---- */

/** The frame's bytes if they are contiguous (linear, or one fragment), else NULL. */
static inline const uint8_t *offload_frame_bytes(const struct offload_frame *f)
{
	if (!f->nfrags)
		return f->data;
	return f->nfrags == 1 ? f->frags[0].p : NULL;
}
/**
 * offload_frame_parse() - md5sig_parse() of @f where its bytes lie: the contiguous bytes, or the
 * headers in the first fragment of a fragmented frame.
 * Return: the status, or MD5SIG_NSTATUS when only the gathered frame can tell (the headers may
 * run past the first fragment); @seg is then partly filled.
 */
enum md5sig_status offload_frame_parse(const struct offload_frame *f, uint32_t linktype,
				       struct md5sig_seg *seg);
/** Gather a fragmented frame into its own buffer (what sg does). Return: 0 or -EMSGSIZE. */
int offload_frame_linearize(struct offload_frame *f);
/**
 * offload_frame_head() - make the first @n bytes of @f its own and writable, for a stage that
 * rewrites headers: a frame whose first fragment already is its own head keeps its payload
 * fragments, a lent frame gets its head copied and keeps its payload where it is, anything
 * else is linearized.
 * Return: @f->data, whose first @n bytes are the frame's, or NULL if it does not fit.
 */
uint8_t *offload_frame_head(struct offload_frame *f, uint32_t n);
/** One's-complement sum of bytes [@off, @off + @len) of @f, across fragments, added to @sum. */
uint64_t offload_frame_csum(const struct offload_frame *f, uint32_t off, uint32_t len,
			    uint64_t sum);
/** Compute and write the TCP checksum of a parsed segment; its TCP header must be in the head. */
void offload_frame_tcp_fill(struct offload_frame *f, const struct md5sig_seg *seg);

/* ---- checksums (offload/csum.c) ---- */

/** One's-complement sum of @len bytes added to @sum (not folded, not complemented). */
uint64_t offload_csum_partial(const uint8_t *p, size_t len, uint64_t sum);
/** Fold a 64-bit partial sum to 32 bits; offload_csum_fold() takes it on to 16. */
static inline uint64_t offload_csum_fold32(uint64_t s)
{
	s = (s & 0xffffffff) + (s >> 32);
	return (s & 0xffffffff) + (s >> 32);
}

/** Fold a 64-bit partial sum to 16 bits (not complemented). Inline: it is on every path. */
static inline uint16_t offload_csum_fold(uint64_t sum)
{
	uint64_t s = offload_csum_fold32(sum);

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}
/** Pseudo-header sum of a parsed segment for @l4_len bytes and @proto, with or without length. */
uint64_t offload_csum_pseudo(const struct md5sig_seg *seg, uint8_t proto, uint32_t l4_len,
			     bool with_len);
/** Write the IPv4 header checksum of the header at @ip (@hlen bytes). */
void offload_csum_ipv4_hdr(uint8_t *ip, size_t hlen);
/**
 * The sum of the @hlen-byte IPv4 header at @ip without its total length, ID and checksum: the
 * header with length L and ID I has the checksum ~fold(rest + L + I). For headers built from
 * one template, as tso builds its segments' (RFC 1624 style), read once, never after a store.
 */
uint64_t offload_csum_ipv4_rest(const uint8_t *ip, size_t hlen);
/**
 * offload_csum_replace() - RFC 1624 eqn. 3: update the Internet checksum at @field after the
 * @len bytes @old it covered became @new (@len even, @old and @new at an even offset from the
 * start of what the checksum covers). With @partial the field holds a pseudo-header sum that
 * is not complemented (a CHECKSUM_PARTIAL seed) and is updated as such.
 */
void offload_csum_replace(uint8_t *field, const uint8_t *old, const uint8_t *new, size_t len,
			  bool partial);
/** Compute and write the full TCP checksum of a parsed segment in @frame. */
void offload_csum_tcp_fill(uint8_t *frame, const struct md5sig_seg *seg);
/** Classify the TCP checksum field of a parsed segment. */
enum offload_csum offload_csum_classify(const uint8_t *frame, const struct md5sig_seg *seg);
/** The same from the field's value and the segment's sum (pseudo-header with length + TCP). */
enum offload_csum offload_csum_classify_sum(const struct md5sig_seg *seg, uint16_t field,
					    uint64_t sum);

/* ---- the registry (offload/registry.c): static data, valid for the program's life ---- */

/** Look a stage up by name; NULL if unknown. */
const struct offload_stage_ops *offload_stage_find(const char *name);
/** The stage a "STAGE.PARAM" key names; NULL if unknown. */
const struct offload_stage_ops *offload_stage_find_prefix(const char *key);
/**
 * offload_param_check() - check a "STAGE.PARAM" @key and its @value against the stage's table,
 * as a pipeline would when built (a free-text parameter's value is its init()'s to check).
 * Return: 0, or -EINVAL with the reason (unknown stage or parameter, bad value) in @err.
 */
int offload_param_check(const char *key, const char *value, char *err, size_t errlen);
/** All stages, NULL-terminated. */
extern const struct offload_stage_ops *const offload_stages[];
/** The feature that enables @ops, or -1 for a stage that is always on. */
int offload_stage_feature_of(const struct offload_stage_ops *ops);
/**
 * offload_default_stages() - the stages of every feature of direction @dir, in the feature
 * table's order (tx: sg, tso, tx-csum; rx: rx-csum, lro): the list a profile that names none
 * gets. Writes up to @max static names to @names.
 * Return: how many there are (more than @max when the array was too small).
 */
unsigned offload_default_stages(enum offload_dir dir, const char **names, unsigned max);

/** struct offload_feature_info - one feature, as the registry describes it. */
struct offload_feature_info {
	const char *name;		       /**< ethtool -k name: "tcp-segmentation-offload" */
	const char *shortname;		       /**< ethtool -K short name: "tso" */
	enum offload_dir dir;		       /**< the pipeline its stage works in */
	uint32_t needs;			       /**< OFFLOAD_FEATURE_BIT()s it is off without */
	const struct offload_stage_ops *stage; /**< the stage it enables */
};

/** The registry's description of @f (static), or NULL if @f is out of range. */
const struct offload_feature_info *offload_feature_info(enum offload_feature f);
/** ethtool name of a feature ("tcp-segmentation-offload") and its short name ("tso"). */
const char *offload_feature_name(enum offload_feature f);
const char *offload_feature_short(enum offload_feature f);
/** Feature by long or short name; -1 if unknown. */
int offload_feature_find(const char *name);
/**
 * offload_features_list() - every feature's short name, "sg, tso, tx, rx, lro", for messages
 * that say what is known, into @buf (@len bytes, NUL-terminated unless @len is 0).
 * Return: the length of the whole list, as snprintf(): @len or more means it was cut.
 */
size_t offload_features_list(char *buf, size_t len);

/* ---- rules stages export (static data, valid for the program's life) ---- */

/**
 * struct offload_tso_flag_rule - where one engine of `tso.flags` leaves PSH/FIN and CWR on the
 * segments it cuts from a super-frame that carries them. The first segment holds the
 * super-frame's first payload byte, the last one its last byte; "earlier" segments are those
 * before the last, "later" ones those after the first. tso segments by these rules, and
 * `vnicemu diff` reads them to say which engine a pair of captures shows.
 */
struct offload_tso_flag_rule {
	const char *quirk;     /**< the tso.flags value: "linux"; NULL ends the table */
	const char *semantics; /**< how explanations name it: "Linux GSO semantics" */
	bool pf_earlier;       /**< PSH and FIN stay on the segments before the last */
	bool pf_last;	       /**< PSH and FIN stay on the last segment */
	bool cwr_first;	       /**< CWR stays on the first segment */
	bool cwr_later;	       /**< CWR stays on the segments after the first */
};

/**
 * Every tso.flags rule (offload/tso.c), NULL-terminated, in the order an explanation should
 * prefer them when a capture fits several: the default (linux), then those that keep fewer
 * flags.
 */
extern const struct offload_tso_flag_rule offload_tso_flag_rules[];
/** The rule of tso.flags value @quirk, or NULL if there is none. */
const struct offload_tso_flag_rule *offload_tso_flag_rule_find(const char *quirk);

/** The TCP flags segment @i of @n keeps of its super-frame's @flags under @rule. */
static inline uint8_t offload_tso_seg_flags(const struct offload_tso_flag_rule *rule, uint8_t flags,
					    unsigned i, unsigned n)
{
	bool keep_pf = i + 1 == n ? rule->pf_last : rule->pf_earlier;
	bool keep_cwr = i == 0 ? rule->cwr_first : rule->cwr_later;

	return flags & (uint8_t) ~((keep_pf ? 0 : WIRE_TCP_F_PSH | WIRE_TCP_F_FIN) |
				   (keep_cwr ? 0 : WIRE_TCP_F_CWR));
}

/** struct offload_tso_ipid_rule - how one engine of `tso.ipid` numbers IPv4 segments. */
struct offload_tso_ipid_rule {
	const char *quirk;     /**< the tso.ipid value: "increment"; NULL ends the table */
	const char *semantics; /**< how explanations name it: "IPv4 ID +1 per segment" */
	uint16_t step;	       /**< segment i carries the super-frame's ID + i * step (mod 2^16) */
};

/** Every tso.ipid rule (offload/tso.c), NULL-terminated. */
extern const struct offload_tso_ipid_rule offload_tso_ipid_rules[];
/** The rule of tso.ipid value @quirk, or NULL if there is none. */
const struct offload_tso_ipid_rule *offload_tso_ipid_rule_find(const char *quirk);

/* ---- the pipeline (offload/pipeline.c) ---- */

#define OFFLOAD_MAX_STAGES 16 /**< stages in one pipeline, path elements included */
#define OFFLOAD_MAX_PARAMS 32 /**< parameter entries in one offload_config */

/**
 * struct offload_config - a pipeline's configuration, plain data validated by _new(), which
 * copies what it keeps: the strings need only live during the call. @keys is borrowed.
 */
struct offload_config {
	uint32_t linktype; /**< link type of every frame */
	unsigned wire_mtu; /**< IP MTU of the wire (bytes) */
	/** MD5 keys and TCP-AO MKTs; NULL when no key was given (signed frames are then
	 * unchecked); borrowed */
	const struct md5sig_keytab *keys;
	/** the connections TCP-AO needs, fed by this pipeline's input tap (ISNs from SYN and
	 * SYN-ACK, SNE); may be shared with the pipeline of the other direction; NULL: none
	 * known (TCP-AO segments but SYNs are no-isn, never re-signed); borrowed */
	struct md5sig_ao_flows *flows;
	bool verify;	  /**< run the verification taps */
	bool full_verify; /**< recompute every changed digest, infer nothing */
	const char *stages[OFFLOAD_MAX_STAGES]; /**< stage names, in order */
	unsigned nstages;
	/**
	 * Stages beyond the registry's that @stages may name (NULL-terminated; may be NULL): a
	 * program's or a test's own, looked up after the registry. Borrowed for the pipeline's
	 * life. They are always on: no feature names them.
	 */
	const struct offload_stage_ops *const *extra_stages;
	/** Which half of a path element runs: process() (TX, the default) or receive() (RX). */
	enum offload_dir dir;
	/**
	 * For a receive pipeline: the transmit pipeline whose path elements it shares (borrowed,
	 * it must outlive this one). A path element @stages names is then that pipeline's
	 * instance, run through its receive half, so both directions see one per-flow state; its
	 * parameters are that pipeline's (offload_pipeline_set_param() here sets them there).
	 * NULL: the pipeline makes its own instances.
	 */
	struct offload_pipeline *twin;
	bool requested[OFFLOAD_NFEATURES]; /**< features as requested (ethtool -K) */
	bool fixed[OFFLOAD_NFEATURES];	   /**< features that cannot change */
	struct {
		const char *key;      /**< "tso.flags" */
		const char *value;    /**< "linux" */
	} params[OFFLOAD_MAX_PARAMS]; /**< later entries of a key override earlier ones */
	unsigned nparams;
};

/** Verdict counters of one tap. */
struct offload_tap_stats {
	uint64_t frames, bytes;
	/** TCP frames by RFC 2385 verdict; [MD5SIG_MALFORMED]: malformed in both schemes */
	uint64_t verdicts[MD5SIG_NVERDICTS];
	uint64_t inferred; /**< verdicts inferred rather than recomputed */
	/** TCP frames that are not malformed, by RFC 5925 verdict */
	uint64_t ao[MD5SIG_AO_NVERDICTS];
	/** frames unchecked in either scheme, by reason */
	uint64_t unchecked[MD5SIG_UNCHECKED_NREASONS];
};

#define OFFLOAD_MAX_DROP_REASONS 8
#define OFFLOAD_MAX_COUNTS	 8 /**< named events per stage (offload_stage_count()) */

/** What the first invalidated frame of a stage shows: covered fields changed or not. */
struct offload_why {
	uint64_t guest_no;	    /**< guest frame */
	uint16_t seg_no, seg_count; /**< which of its segments */
	bool ao;		    /**< TCP-AO's MAC (ao_after), not RFC 2385's digest (after) */
	enum md5sig_verdict before, after;
	enum md5sig_ao_verdict ao_after;
	char changed[512];   /**< "pseudo-header length 8980->1500; seq +1448; ..." */
	char unchanged[256]; /**< "addresses; ports; ack; ..." */
};

/** Counters of one stage. Names and drop reasons are the stages' static strings. */
struct offload_stage_stats {
	const char *name;
	bool enabled;
	/* frames_in + created == frames_out + dropped + merged + held */
	uint64_t frames_in, frames_out, created, dropped;
	uint64_t merged; /**< inputs merged into a frame the stage held */
	uint64_t held;	 /**< frames held inside the stage right now */
	struct {
		const char *reason;
		uint64_t count;
	} drops[OFFLOAD_MAX_DROP_REASONS];
	unsigned ndrops;
	struct {
		const char *name;
		uint64_t count;
	} counts[OFFLOAD_MAX_COUNTS]; /**< events: evictions, frames passed on untouched... */
	unsigned ncounts;
	struct offload_tap_stats tap; /**< the tap after this stage */
	uint64_t invalidated;	      /**< valid in, invalid or missing out, in either scheme */
	uint64_t invalidated_ao;      /**< of those, in TCP-AO */
	bool has_why;
	struct offload_why why;
};

struct offload_stats {
	struct offload_tap_stats guest; /**< the tap before the first stage */
	unsigned nstages;
	struct offload_stage_stats stages[OFFLOAD_MAX_STAGES];
	int culprit;   /**< index of the first stage with invalidated > 0, or -1 */
	bool verified; /**< the taps verified (the configuration's verify) */
};

/**
 * A sink sees every frame at every tap: @tap 0 is the guest tap, @tap k (1..nstages) the tap
 * after stage k-1; frames at tap nstages are what goes on the wire. The frame is linear and
 * classified; it is only valid during the call.
 */
typedef void (*offload_sink_fn)(void *arg, unsigned tap, const struct offload_frame *f,
				const struct md5sig_seg *seg, enum md5sig_status st);

/**
 * offload_pipeline_new() - validate @cfg and build the stages.
 * Return: the pipeline (free with offload_pipeline_free()), or NULL with a one-line reason in
 * @err (unknown stage, parameter or value; a stage declaring more than
 * OFFLOAD_MAX_STAGE_PARAMS parameters; a stage's init refusing its values) and errno set.
 */
struct offload_pipeline *offload_pipeline_new(const struct offload_config *cfg, char *err,
					      size_t errlen);
/** Finalise and free every stage, the pool and the copies. Accepts NULL. */
void offload_pipeline_free(struct offload_pipeline *pl);
void offload_pipeline_set_sink(struct offload_pipeline *pl, offload_sink_fn fn, void *arg);

/**
 * offload_pipeline_guest_frame() - a pool frame for the next guest frame, with room for @cap
 * bytes. Fill data/len (or frags), tso/mss, csum, guest_no and ts, then offload_pipeline_tx().
 */
struct offload_frame *offload_pipeline_guest_frame(struct offload_pipeline *pl, uint32_t cap);

/**
 * offload_pipeline_tx() - carry one guest frame through every stage and tap to the sink,
 * then recycle every frame it produced.
 * Return: the number of frames that reached the wire, or -errno.
 */
int offload_pipeline_tx(struct offload_pipeline *pl, struct offload_frame *f);

/**
 * offload_pipeline_last_drop() - why a frame was last dropped during the last
 * offload_pipeline_tx() or offload_pipeline_flush() (a stage's static reason, "oversize"), or
 * NULL when none was: after offload_pipeline_tx() returned 0, why its guest frame reached
 * nothing (NULL: a stage holds or merged it).
 */
const char *offload_pipeline_last_drop(const struct offload_pipeline *pl);

/**
 * offload_pipeline_flush() - let stages that hold frames emit those that are due (@all:
 * every one), carrying them through the rest of the pipeline to the sink.
 * Return: the number of frames that reached the end, or -errno.
 */
int offload_pipeline_flush(struct offload_pipeline *pl, bool all);

/**
 * offload_pipeline_set_feature() - ethtool -K at run time: takes effect from the next frame.
 * Return: 0, or -EPERM for a fixed feature set the other way.
 */
int offload_pipeline_set_feature(struct offload_pipeline *pl, enum offload_feature f, bool on);
/** The feature as requested (before dependencies): for ethtool's "[requested on]". */
bool offload_pipeline_requested(const struct offload_pipeline *pl, enum offload_feature f);
/**
 * offload_pipeline_set_param() - change a stage's quirk at run time ("tso.md5", "resign"). A new
 * instance of the stage is built with a copy of @value; only when its init succeeds are the
 * old instance's held frames flushed and the old instance finalised and replaced. Counters
 * stay. Each call replaces the key's value, so there is no limit on how many are made.
 * Return: 0, or -EINVAL / -ENOMEM with a reason in @err: the old instance and value stay, and
 * keep working.
 */
int offload_pipeline_set_param(struct offload_pipeline *pl, const char *key, const char *value,
			       char *err, size_t errlen);
/** Use @keys (borrowed; NULL: no key) from the next frame on: a reloaded key file. */
void offload_pipeline_set_keys(struct offload_pipeline *pl, const struct md5sig_keytab *keys);
/** Is the feature fixed? */
bool offload_pipeline_fixed(const struct offload_pipeline *pl, enum offload_feature f);
/** Does the pipeline have the stage @f enables (a path element on its path)? */
bool offload_pipeline_has_feature(const struct offload_pipeline *pl, enum offload_feature f);

/** Effective feature state (dependencies applied: tso needs sg and tx). */
bool offload_pipeline_feature(const struct offload_pipeline *pl, enum offload_feature f);
/** Snapshot of every counter into @out (the caller's; it stays valid after the pipeline). */
void offload_pipeline_stats(const struct offload_pipeline *pl, struct offload_stats *out);

#endif
