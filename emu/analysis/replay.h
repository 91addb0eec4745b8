/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * DOC: replay — a guest capture through a NIC profile's transmit pipeline
 *
 * Frames captured inside a guest are handed, one at a time and in capture order, to the
 * transmit pipeline of a NIC profile (emu_guest_frame(), as the live device hands a port's
 * frames), with verification taps after every stage; optionally every tap is written to a
 * capture file. The result is the pipeline's counters: verdicts per tap, what each stage did,
 * which stage invalidated digests first (the culprit) and why. Used by `vnicemu replay` and by
 * the scenario engine; the bench and the tests drive it too. With TCP-AO MKTs among the keys,
 * the run follows connections (a flow table fed by the guest tap: ISNs from the handshakes in
 * the capture, or --isn), for the taps and for tso.md5=resign.
 *
 * With a path (--path) the capture's two directions part: a capture taken inside the guest
 * holds the guest's own frames and the peer's replies, and the path's elements treat each
 * direction differently (seq out, ack back). Frames from the guest's addresses (given, or per
 * address family the source of the capture's first TCP segment) and frames that are not IP go
 * through the transmit pipeline; the other IP frames are the peer's: they are taken as the wire
 * carried them (without the path, which the capture was taken without, that is what the peer
 * sent) and go through the receive pipeline, the path's receive halves in reverse order and
 * then the NIC's receive stages, to the guest. Without a path every frame is transmitted, as
 * the NIC's transmit stages leave small frames as they are.
 */
#ifndef VNICEMU_EMU_REPLAY_H
#define VNICEMU_EMU_REPLAY_H

#include <stdbool.h>
#include <stddef.h>

#include "emu/capture/capture.h"
#include "emu/device/device.h"
#include "offload/offload.h"

#define EMU_REPLAY_FLOWS 65536 /**< connections a replay follows at once for TCP-AO */

/** struct emu_replay_config - one replay run; the strings are the caller's, read during it. */
struct emu_replay_config {
	const char *in_path; /**< capture taken inside the guest */
	const char *profile; /**< name or path */
	const char *path;    /**< --path NAME[,NAME...], or NULL */
	/** with a path: the guest's addresses (IPv4 or IPv6 text); none: learnt (see above) */
	const char *guest_addrs[8];
	unsigned nguest_addrs;
	const char *sets[64]; /**< --set arguments, in order (the receive side only with a path) */
	unsigned nsets;
	const char *key;		      /**< one secret for every peer, or NULL */
	const char *key_file;		      /**< or a key file, or NULL */
	const struct md5sig_ao_isn_arg *isns; /**< --isn: ISNs for connections begun earlier */
	size_t nisns;
	/**
	 * write every tap here, or NULL: whole or not at all (temporaries renamed into place
	 * when the run succeeds), never over an input, and without what an earlier run left
	 * that this one does not write (emu_replay_result.removed)
	 */
	const char *out_dir;
	unsigned wire_mtu; /**< IP MTU of the wire */
	bool verify;	   /**< run the verification taps */
	bool full_verify;  /**< recompute every changed digest */
	/**
	 * Called at most once a second with the frames read so far (@done false), and once at
	 * the end (@done true); may be NULL. The program decides what to show.
	 */
	void (*progress)(void *arg, unsigned long long frames, bool done);
	void *progress_arg;
	/**
	 * Called with every frame at every tap of the transmit pipeline (@rx false) or, with a
	 * path, of the receive pipeline, as a sink is (offload_sink_fn); may be NULL. What a
	 * report draws its ladder from (emu_html_trace_tap()).
	 */
	void (*trace)(void *arg, bool rx, unsigned tap, const struct offload_frame *f,
		      const struct md5sig_seg *seg, enum md5sig_status st);
	void *trace_arg;
};

/** struct emu_replay_result - what a replay found; plain data, the caller's. */
struct emu_replay_result {
	char profile[EMU_NAME_MAX];
	struct offload_stats stats; /**< the transmit pipeline: guest to wire */
	bool has_rx;		    /**< with a path: the receive pipeline ran */
	struct offload_stats rx;    /**< then its counters: wire to guest */
	/** the key file's warning (emu_keys_load()), "" if none; set even when the run fails */
	char key_warning[EMU_KEYS_WARN_MAX];
	bool truncated;		  /**< the capture ends inside a record: @cut */
	struct emu_capin_cut cut; /**< where; the run covers the frames before it */
	/** --out: files an earlier run left there that this one did not write, now removed */
	char removed[1024];
};

/**
 * emu_replay() - run a capture through a profile's transmit pipeline.
 * Return: 0 with @res filled (a capture cut inside its last record is run to the cut:
 * @res->truncated), or -errno with one line naming the file, frame or option in @err (also
 * a frame of another link type than the first ones); on a configuration error nothing is
 * written.
 */
int emu_replay(const struct emu_replay_config *cfg, struct emu_replay_result *res, char *err,
	       size_t errlen);

/**
 * emu_replay_failed() - what --fail-on-invalid fails on: a stage invalidated digests or MACs
 * (there is a culprit), or frames a key covered could not be checked at the guest tap (cut by
 * the snaplen, or TCP-AO segments whose connection's ISNs are unknown).
 */
bool emu_replay_failed(const struct emu_replay_result *res);

#endif
