/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * DOC: emu — the device and its programs
 *
 * Ports that frames enter and leave by: capture files (classic pcap is mapped and walked in
 * place, everything else — pcapng, pipes — goes through libpcap; written by hand, with
 * pcapng comments), VDE networks through libvdeplug and vnet-hdr taps (emu/port.h); key files,
 * NIC profiles, the replay engine, the live device (emu/nic.c) and its control socket
 * (emu/control.h), and the subcommands of the `vnicemu` program. Only the programs print;
 * everything here reports errors as -errno plus a message buffer.
 */
#ifndef VNICEMU_EMU_H
#define VNICEMU_EMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <time.h>

#include "md5sig/md5sig.h"
#include "offload/offload.h"

/** One captured frame; @data stays valid until the next emu_capin_next() or close. */
struct emu_pkt {
	const uint8_t *data;
	uint32_t caplen;    /**< bytes captured */
	uint32_t len;	    /**< bytes on the wire */
	struct timespec ts; /**< capture time */
};

struct emu_capin;

/**
 * emu_capin_open() - open a pcap or pcapng file for reading.
 * Return: the reader, or NULL with a one-line reason naming @path in @err (missing file, not a
 * capture, unsupported link type).
 */
struct emu_capin *emu_capin_open(const char *path, char *err, size_t errlen);
/** The capture's link type, as a LINKTYPE_ number (enum md5sig_linktype). */
uint32_t emu_capin_linktype(const struct emu_capin *c);
/**
 * emu_capin_next() - read the next frame.
 * Return: 1 with @pkt filled, 0 at the end, -EIO with a reason naming the file and frame in @err.
 */
int emu_capin_next(struct emu_capin *c, struct emu_pkt *pkt, char *err, size_t errlen);
/** Close; accepts NULL. */
void emu_capin_close(struct emu_capin *c);

struct emu_capout;

/**
 * emu_capout_open() - create a capture file: classic pcap (microseconds, what every tool
 * reads), or pcapng when @pcapng, whose frames may carry comments and name their interface.
 * Return: the writer, or NULL with a reason naming @path in @err.
 */
struct emu_capout *emu_capout_open(const char *path, bool pcapng, char *err, size_t errlen);
/**
 * emu_capout_iface() - declare an interface (pcapng: an IDB; pcap: the file's link type, once).
 * Return: its index for emu_capout_write(), or -errno.
 */
int emu_capout_iface(struct emu_capout *c, uint32_t linktype, const char *name);
/** Append a frame; @comment (pcapng only) may be NULL. Return: 0 or -errno. */
int emu_capout_write(struct emu_capout *c, unsigned iface, const struct timespec *ts,
		     const uint8_t *data, uint32_t len, const char *comment);
/** Push buffered frames to the file (live captures stay readable). Return: 0 or -errno. */
int emu_capout_flush(struct emu_capout *c);
/** Flush and close; accepts NULL. Return: 0, or -errno if anything failed to be written. */
int emu_capout_close(struct emu_capout *c);

/**
 * emu_keys_load() - add every line of a key file (see md5sig_keytab_parse_line()) to @kt.
 * Return: 0, or -errno with "PATH:LINE: reason" (never the secret) in @err.
 */
int emu_keys_load(struct md5sig_keytab *kt, const char *path, char *err, size_t errlen);

/**
 * emu_keys_from_arg() - the `--key SECRET` shorthand: one key for every peer, as tcpdump -M.
 * Return: 0 or -errno with a reason in @err.
 */
int emu_keys_from_arg(struct md5sig_keytab *kt, const char *secret, char *err, size_t errlen);

/**
 * emu_keys_from_options() - the keys of a `--key SECRET` or `--key-file FILE` option (either
 * may be NULL; both together are an error), added to @kt.
 * Return: 0 or -errno with a reason in @err.
 */
int emu_keys_from_options(struct md5sig_keytab *kt, const char *key, const char *key_file,
			  char *err, size_t errlen);

/* ---- NIC profiles (emu/profile.c) ---- */
struct emu_profile;

/**
 * struct emu_rxmeta - what a port knows of a guest frame beyond its bytes: a vnet-hdr tap's
 * virtio_net_hdr (genuine TSO and partial-checksum requests from a guest kernel). Hints only:
 * the headers themselves are parsed again.
 */
struct emu_rxmeta {
	bool vnet;	   /**< the fields below are valid */
	bool gso;	   /**< gso_type TCPV4 or TCPV6: a TSO request */
	uint16_t gso_size; /**< MSS in payload bytes */
	bool needs_csum;   /**< NEEDS_CSUM: the checksum is partial */
};

/**
 * emu_guest_frame() - hand one frame from a guest to a transmit pipeline. Without port
 * metadata (@meta NULL or not vnet) a TCP frame longer than the wire MTU is a TSO request
 * (MSS = wire MTU - IP header - TCP header, options included); with a virtio_net_hdr the
 * guest's own request and MSS count. The checksum state is read off the frame, and with
 * scatter-gather on the frame is spread over descriptors the way the profile's guest driver
 * lays it out. @data is lent, not copied: it must stay valid and unchanged until the call
 * returns, and the pipeline never writes to it.
 * Return: the number of frames that reached the end of the pipeline, or -errno.
 */
int emu_guest_frame(struct offload_pipeline *pl, const struct emu_profile *p, uint32_t linktype,
		    unsigned wire_mtu, const uint8_t *data, uint32_t len, const struct timespec *ts,
		    uint64_t no, const struct emu_rxmeta *meta);

#define EMU_NAME_MAX 32

/** struct emu_profile - one NIC model, loaded from an INI file (see docs/profiles.md). */
struct emu_profile {
	char name[EMU_NAME_MAX];
	char description[160];
	char path[512];				   /**< where it was loaded from */
	char tx[OFFLOAD_MAX_STAGES][EMU_NAME_MAX]; /**< transmit stages in order */
	unsigned ntx;
	char rx[OFFLOAD_MAX_STAGES][EMU_NAME_MAX]; /**< receive stages in order */
	unsigned nrx;
	bool on[OFFLOAD_NFEATURES];    /**< feature defaults */
	bool fixed[OFFLOAD_NFEATURES]; /**< cannot be changed */
	struct {
		char key[2 * EMU_NAME_MAX]; /**< "tso.flags" */
		char value[EMU_NAME_MAX];
	} params[OFFLOAD_MAX_PARAMS]; /**< quirk defaults */
	unsigned nparams;
	unsigned
		header_copy; /**< guest driver: bytes of headers copied into their own descriptor */
	unsigned fragment_size; /**< guest driver: bytes per further descriptor (0: one buffer) */
};

/**
 * emu_profile_load() - load a profile by name (searched in $VNICEMU_PROFILE_PATH, the source
 * tree's profiles/ and the installed data directory) or by path (a name containing '/').
 * Return: 0, or -errno with a one-line reason naming the file and line in @err.
 */
int emu_profile_load(struct emu_profile *p, const char *name, char *err, size_t errlen);

/** Call @fn for every profile found, first occurrence of each name only. Return: count. */
unsigned emu_profile_foreach(void (*fn)(const struct emu_profile *p, void *arg), void *arg);

/**
 * emu_profile_config() - fill the profile's part of the transmit (@rx false) or receive
 * pipeline's configuration: stages, features, and the parameters of those stages.
 * Return: 0, or -EINVAL when a parameter names a known stage the profile does not have.
 */
int emu_profile_config(const struct emu_profile *p, bool rx, struct offload_config *cfg, char *err,
		       size_t errlen);

/**
 * emu_profile_set() - apply one `--set` argument to a loaded profile: FEAT=on|off (ethtool long
 * or short name) or STAGE.PARAM=VALUE (validated when the pipeline is built). Fixed features
 * cannot change. A STAGE.PARAM given again replaces its value: a profile holds at most
 * OFFLOAD_MAX_PARAMS distinct keys, its own included.
 * Return: 0 or -EINVAL with a reason naming the argument in @err.
 */
int emu_profile_set(struct emu_profile *p, const char *arg, char *err, size_t errlen);

/* ---- reports (emu/report.c) ---- */

/** A JSON string literal with escapes. */
void emu_json_string(FILE *f, const char *s);
/**
 * emu_report_json() - the members "IN": {...}, "stages": [...], "OUT": {...}, "culprit": ...
 * of a pipeline's counters (no enclosing braces); @in and @out name the first and last taps.
 */
void emu_report_json(FILE *f, const struct offload_stats *s, const char *in, const char *out);
/** The per-stage table and the culprit's explanation; @in names the first tap. */
void emu_report_text(FILE *f, const struct offload_stats *s, const char *in);

/* ---- the live device (emu/nic.c) ---- */

/** struct emu_run_config - what `vnicemu run` was asked to do. */
struct emu_run_config {
	const char *guest_url, *wire_url; /**< any vdeplug4 URL */
	const char *profile;		  /**< name or path */
	const char *sets[64];		  /**< --set arguments, in order */
	unsigned nsets;
	const char *key_file;	 /**< reloaded on SIGHUP; may be NULL */
	unsigned wire_mtu;	 /**< IP MTU of the wire */
	const char *control;	 /**< control socket path, or NULL */
	const char *capture_dir; /**< per-tap captures, or NULL */
	uint64_t capture_max;	 /**< bytes per capture file before it rotates (0: never) */
	bool syslog;		 /**< log to syslog instead of stderr */
};

/**
 * emu_run() - open both ports, run until SIGTERM/SIGINT, then print the final counters.
 * Return: 0, or -errno with a one-line reason in @err (bad profile, port, control socket).
 */
int emu_run(const struct emu_run_config *cfg, char *err, size_t errlen);

/* ---- replaying guest captures (emu/replay.c) ---- */

/** struct emu_replay_config - one replay run. */
struct emu_replay_config {
	const char *in_path;  /**< capture taken inside the guest */
	const char *profile;  /**< name or path */
	const char *sets[64]; /**< --set arguments, in order */
	unsigned nsets;
	const char *key;      /**< one secret for every peer, or NULL */
	const char *key_file; /**< or a key file, or NULL */
	const char *out_dir;  /**< write every tap here, or NULL */
	unsigned wire_mtu;    /**< IP MTU of the wire */
	bool verify;	      /**< run the verification taps */
	bool full_verify;     /**< recompute every changed digest */
	bool progress;	      /**< frame counts on stderr once a second */
};

struct emu_replay_result {
	char profile[EMU_NAME_MAX];
	struct offload_stats stats;
};

/**
 * emu_replay() - run a capture through a profile's transmit pipeline.
 * Return: 0 with @res filled, or -errno with one line naming the file, frame or option in
 * @err; on a configuration error nothing is written.
 */
int emu_replay(const struct emu_replay_config *cfg, struct emu_replay_result *res, char *err,
	       size_t errlen);

#endif
