/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * DOC: device — the vNIC: NIC profiles, guest frames, the live device, its reports
 *
 * A NIC profile (profile.c, an INI file parsed by libinih) says which offload stages a NIC
 * model has, in which order, each feature's default and whether it is [fixed], the quirks of
 * its stages and how its guest driver spreads a frame over descriptors. A path (path.c, the
 * same kind of file, `--path NAME[,NAME...]`) lists the elements between the NIC and the wire
 * (a firewall, NAT, a shaper...) with their parameters; it is joined to the profile, after
 * the NIC's transmit stages and, in reverse, before its receive stages. emu_guest_frame()
 * (guest.c) hands a frame from a guest to a transmit pipeline the way such a vNIC receives it:
 * a TCP frame longer than the wire MTU is a TSO request (or the guest kernel's own request, from
 * a vnet-hdr port), its checksum state is read off the frame, its bytes are lent, not copied.
 * The live device (device.c, pipelines.c, loop.c, handlers.c) joins a guest port and a wire
 * port by two pipelines, guest -> wire (transmit) and wire -> guest (receive), in one poll()
 * loop with a control socket and optional per-tap captures; a bounded flow table, fed by both
 * pipelines' input taps, learns TCP-AO connections' ISNs from the SYNs and SYN-ACKs that pass
 * either port (connections that began before the device are no-isn, never re-signed). report.c
 * turns counters into the
 * text table and the JSON object that replay, run and `vnicctl stats` print, into a FILE the
 * caller gives. Nothing here writes to stderr or syslog: the device hands its messages to the
 * program's log callback.
 */
#ifndef VNICEMU_EMU_DEVICE_H
#define VNICEMU_EMU_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "md5sig/md5sig.h"
#include "offload/offload.h"

struct emu_rxmeta;
struct ctl_handler;

/* ---- INI text with line numbers (ini.c), for profiles, paths and scenarios ---- */

/** One NAME = VALUE in [SECTION], on line @line (from 1). Return: 1, or 0 to refuse it. */
typedef int (*emu_ini_handler)(void *user, unsigned line, const char *section, const char *name,
			       const char *value);

/**
 * emu_ini_parse() - parse INI text from @in with libinih, handing @fn each entry and its line;
 * after the first entry @fn refuses, it is not called again.
 * Return: 0, or -1 with *@line the line of the first error: an entry @fn refused (@why is then
 * "": @fn keeps its own reason), a line that is no section, entry or comment, a line longer
 * than libinih takes, a NUL byte, or a read error (each said in @why).
 */
int emu_ini_parse(FILE *in, emu_ini_handler fn, void *user, unsigned *line, char *why,
		  size_t whylen);

/**
 * emu_ini_once() - a key a file may give once, seen on @line: the first time *@seen (0 until
 * then) becomes @line; again, "@what given twice (first on line N)" goes to @why.
 * Return: 0, or -1 the second time.
 */
int emu_ini_once(unsigned *seen, unsigned line, const char *what, char *why, size_t whylen);

/* ---- NIC profiles (profile.c) ---- */

#define EMU_NAME_MAX  32
#define EMU_VALUE_MAX 64 /**< a stage parameter's value: room for an IPv6 address */

/**
 * struct emu_profile - one NIC model, loaded from an INI file (see docs/profiles.md). Plain
 * data, the caller's; pipeline configurations filled from it (emu_profile_config()) point
 * into it, so it must outlive them.
 */
struct emu_profile {
	char name[EMU_NAME_MAX];
	char description[160];
	char path[512];				   /**< where it was loaded from */
	char tx[OFFLOAD_MAX_STAGES][EMU_NAME_MAX]; /**< transmit stages in order */
	unsigned ntx;
	char rx[OFFLOAD_MAX_STAGES][EMU_NAME_MAX]; /**< receive stages in order */
	unsigned nrx;
	/** path elements joined by emu_profile_add_path(), from the NIC to the wire */
	char path_stages[OFFLOAD_MAX_STAGES][EMU_NAME_MAX];
	unsigned npath;
	char path_name[512];	       /**< the --path argument ("asa,nat"), or "" */
	bool on[OFFLOAD_NFEATURES];    /**< feature defaults */
	bool fixed[OFFLOAD_NFEATURES]; /**< cannot be changed */
	struct {
		char key[2 * EMU_NAME_MAX]; /**< "tso.flags" */
		char value[EMU_VALUE_MAX];
	} params[OFFLOAD_MAX_PARAMS]; /**< quirk defaults (the path's too) */
	unsigned nparams;
	unsigned
		header_copy; /**< guest driver: bytes of headers copied into their own descriptor */
	unsigned fragment_size; /**< guest driver: bytes per further descriptor (0: one buffer) */
};

/**
 * emu_profile_load() - load a profile by name (searched in $VNICEMU_PROFILE_PATH, the source
 * tree's profiles/ and the installed data directory) or by path (a name containing '/' or
 * ending in ".ini").
 * Return: 0, or -errno with a one-line reason naming the file and line in @err.
 */
int emu_profile_load(struct emu_profile *p, const char *name, char *err, size_t errlen);

/**
 * emu_profile_parse() - a profile from the text of its file, read from @in (@file names it in
 * @p->path and in messages). Opens no file. Each stage named once and known, each key once,
 * quirk defaults checked against their stage's table and only for the profile's stages.
 * Return: 0, or -errno with a one-line reason naming @file and the line in @err.
 */
int emu_profile_parse(struct emu_profile *p, const char *file, FILE *in, char *err, size_t errlen);

/**
 * emu_profile_foreach() - call @fn for every profile found, the first occurrence of each name
 * only; @p is valid during the call only. @warn (or NULL) hears one line about each file that
 * does not load (its error), each file hidden by an earlier one of the same name, and each
 * profile whose [profile] name another one listed already has.
 * Return: how many profiles were found.
 */
unsigned emu_profile_foreach(void (*fn)(const struct emu_profile *p, void *arg),
			     void (*warn)(const char *msg, void *arg), void *arg);

/**
 * emu_profile_config() - fill the profile's part of the transmit (@rx false) or receive
 * pipeline's configuration: stages (the path's elements after the transmit stages, and in
 * reverse before the receive stages), features, the direction, and the parameters of those
 * stages (a path element's are the transmit pipeline's: the receive pipeline, built with it as
 * its twin, shares its instances). @cfg points into @p afterwards.
 * Return: 0, or -EINVAL when a parameter names a known stage neither the profile nor its path
 * has, or when they have more stages than a pipeline takes.
 */
int emu_profile_config(const struct emu_profile *p, bool rx, struct offload_config *cfg, char *err,
		       size_t errlen);

/**
 * emu_profile_add_path() - join the path elements of @spec ("asa" or "asa,nat": path names,
 * searched as profiles are, in $VNICEMU_PATH_PATH, the source tree's paths/ and the installed
 * data directory, or files by path) to a loaded profile, in order: their stages after the
 * NIC's, their features on, their parameters as defaults that `--set` overrides. Call it
 * before emu_profile_set().
 * Return: 0, or -errno with one line naming the path, file and line in @err.
 */
int emu_profile_add_path(struct emu_profile *p, const char *spec, char *err, size_t errlen);

struct emu_outset;

/**
 * emu_profile_inputs() - the files @p was loaded from (the profile's, and each of its path's)
 * become inputs of the output set @s (emu/capture/capture.h): no output is written over them.
 * Return: 0 or -ENOMEM.
 */
int emu_profile_inputs(const struct emu_profile *p, struct emu_outset *s);

/** struct emu_path - one path file, for listings; plain data, valid during the callback. */
struct emu_path {
	char name[EMU_NAME_MAX];
	char description[160];
	char file[512]; /**< where it was loaded from */
	char elements[OFFLOAD_MAX_STAGES][EMU_NAME_MAX];
	unsigned nelements;
	struct {
		char key[2 * EMU_NAME_MAX];
		char value[EMU_VALUE_MAX];
	} params[OFFLOAD_MAX_PARAMS];
	unsigned nparams;
};

/**
 * emu_path_load() - one path file by name (searched as emu_profile_add_path() says) or by path
 * (a name containing '/' or ending in ".ini").
 * Return: 0, or -errno with a one-line reason naming the file and line in @err.
 */
int emu_path_load(struct emu_path *path, const char *name, char *err, size_t errlen);

/**
 * emu_path_parse() - a path from the text of its file, read from @in (@file names it in
 * @path->file and in messages). Opens no file. Each key once, elements known and each listed
 * once, parameters checked against their element's table.
 * Return: 0, or -errno with a one-line reason naming @file and the line in @err.
 */
int emu_path_parse(struct emu_path *path, const char *file, FILE *in, char *err, size_t errlen);

/**
 * emu_path_foreach() - call @fn for every path file found, the first occurrence of each name
 * only, in the search order, each directory's sorted. Return: how many were found.
 */
unsigned emu_path_foreach(void (*fn)(const struct emu_path *path, void *arg), void *arg);

/**
 * emu_profile_set() - apply one `--set` argument to a loaded profile: FEAT=on|off (ethtool long
 * or short name, or a path element's name: it must be on the path) or STAGE.PARAM=VALUE
 * (validated when the pipeline is built). Fixed features cannot change. A STAGE.PARAM given again replaces its value: a profile holds at most
 * OFFLOAD_MAX_PARAMS distinct keys, its own included.
 * Return: 0 or -EINVAL with a reason naming the argument in @err.
 */
int emu_profile_set(struct emu_profile *p, const char *arg, char *err, size_t errlen);

/* ---- guest frames (guest.c) ---- */

/**
 * emu_guest_frame() - hand one frame from a guest to a transmit pipeline. Without port
 * metadata (@meta NULL or not vnet) a TCP frame longer than the wire MTU is a TSO request
 * (MSS = wire MTU - IP header - TCP header, options included); with a virtio_net_hdr the
 * guest's own request and MSS count. The checksum state is read off the frame, and with
 * scatter-gather on the frame is spread over descriptors the way the profile's guest driver
 * lays it out. @data is lent, not copied: it must stay valid and unchanged until the call
 * returns, and the pipeline never writes to it. @wire_len is the frame's length on the wire: a
 * capture record's original length (larger than @len when the capture cut the frame), or @len
 * for a frame from a port; the taps tell a frame the capture cut (snaplen) from one whose IP
 * length exceeds what was on the wire (truncated-ip) by it.
 * Return: the number of frames that reached the end of the pipeline, or -errno.
 */
int emu_guest_frame(struct offload_pipeline *pl, const struct emu_profile *p, uint32_t linktype,
		    unsigned wire_mtu, const uint8_t *data, uint32_t len, uint32_t wire_len,
		    const struct timespec *ts, uint64_t no, const struct emu_rxmeta *meta);

/* ---- reports (report.c) ---- */

/** A JSON string literal with escapes. */
void emu_json_string(FILE *f, const char *s);
/**
 * emu_report_json() - the members "IN": {...}, "stages": [...], "OUT": {...}, "culprit": ...
 * of a pipeline's counters (no enclosing braces); @in and @out name the first and last taps.
 */
void emu_report_json(FILE *f, const struct offload_stats *s, const char *in, const char *out);
/** The per-stage table and the culprit's explanation; @in names the first tap. */
void emu_report_text(FILE *f, const struct offload_stats *s, const char *in);

/* ---- the live device (device.c) ---- */

/**
 * emu_log_fn - where the live device's messages go (port up/down, SIGHUP, control changes,
 * a capture that stopped): @prio is a syslog(3) priority (LOG_ERR ... LOG_INFO), @msg one line
 * without a newline, valid during the call only. Never called with a secret.
 */
typedef void emu_log_fn(void *arg, int prio, const char *msg);

#define EMU_DEVICE_FLOWS 16384 /**< TCP-AO connections the live device follows at once */

/** struct emu_run_config - what `vnicemu run` was asked to do; the caller's, read by the device
 * for its whole life. */
struct emu_run_config {
	const char *guest_url, *wire_url; /**< any vdeplug4 URL */
	const char *profile;		  /**< name or path */
	const char *path;		  /**< --path NAME[,NAME...], or NULL */
	const char *sets[64];		  /**< --set arguments, in order */
	unsigned nsets;
	const char *key_file;	 /**< reloaded on SIGHUP; may be NULL */
	unsigned wire_mtu;	 /**< IP MTU of the wire */
	const char *control;	 /**< control socket path, or NULL */
	const char *capture_dir; /**< per-tap captures, or NULL */
	uint64_t capture_max;	 /**< bytes per capture file before it rotates (0: never) */
	const char *user;	 /**< become this user once set up (--user), or NULL */
	emu_log_fn *log;	 /**< may be NULL: no messages */
	void *log_arg;
};

/**
 * emu_user_switch() - become @user for good, as tcpdump -Z does: its supplementary groups,
 * group and user ID (libcap-ng), no capability left but CAP_NET_ADMIN when @keep_net_admin,
 * the bounding set cleared, no new privileges, and a check that root cannot be taken back.
 * Return: 0, or -errno with "--user USER: reason" in @err.
 */
int emu_user_switch(const char *user, bool keep_net_admin, char *err, size_t errlen);

struct emu_device;

/**
 * emu_device_new() - load the profile, --set and keys, open both ports, build both
 * pipelines, open the captures and the control socket. Blocks SIGINT, SIGTERM and SIGHUP (the
 * device reads them from a signalfd) and ignores SIGPIPE; call it before starting threads.
 * Return: the device (the caller's, freed by emu_device_free()), or NULL with errno set and a
 * one-line reason in @err (bad profile, port, key file, capture directory, control socket).
 */
struct emu_device *emu_device_new(const struct emu_run_config *cfg, char *err, size_t errlen);

/**
 * emu_device_new_offline() - the device as its control commands see it: the profile, --path,
 * --set, keys and both pipelines, but no ports, captures, signals or control socket (@cfg's
 * URLs, capture directory and control path are not used). Both ports are down ("none"), so no
 * frame flows and lro's max_size defaults to 1500. It answers emu_device_handler as a live
 * device does: for programs and tests that drive the commands without a network, such as the
 * control fuzzer (tests/fuzz/fuzz_control.c) and builds that cannot open VDE ports (sanitizers).
 * Return: as emu_device_new().
 */
struct emu_device *emu_device_new_offline(const struct emu_run_config *cfg, char *err,
					  size_t errlen);

/**
 * emu_device_handler - the control commands (emu/control/control.h) as a device answers them,
 * its @nic being the struct emu_device: what the device serves on its --control socket.
 */
extern const struct ctl_handler emu_device_handler;

/**
 * emu_device_run() - carry frames both ways until SIGTERM or SIGINT.
 * Return: 0, or -errno with a reason in @err if the event loop failed.
 */
int emu_device_run(struct emu_device *d, char *err, size_t errlen);

/**
 * emu_device_report() - both pipelines' counters and both ports', as `vnicctl stats` shows
 * them: the text tables, or (@json) one JSON object.
 */
void emu_device_report(struct emu_device *d, FILE *f, bool json);

/** Close the ports, captures and control socket (its clients get END OF SESSION); accepts NULL. */
void emu_device_free(struct emu_device *d);

#endif
