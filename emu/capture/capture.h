/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * DOC: capture — capture files in and out, and key files
 *
 * Frames enter the analysis engines from capture files and leave every tap into them. Reading
 * (capin.c): classic pcap and pcapng are read here, not by libpcap (which refuses pcapng files
 * whose interfaces differ in link type, or whose sections differ in byte order); files are
 * mapped and walked in place, pipes read through a window. Each frame carries its interface's
 * link type; a capture cut inside its last record is read to the cut, which is reported, not
 * an error. Writing (capout.c) is done here, by hand, because libpcap writes neither
 * pcapng nor packet comments: classic pcap per tcpdump's savefile format, pcapng per the IETF
 * pcapng draft (SHB, IDB, EPB with opt_comment). Key files (keyfile.c) are read line by line and
 * handed to md5sig's parser, which never sees the file; secrets never reach an error message.
 * Every input file a user names (profiles, paths, scenarios, key files) is opened by infile.c:
 * a regular file of bounded size, read at once, so a FIFO or a device never hangs a program.
 * A tap capture (tapcap.c) is a pipeline's sink writing one file per tap, for live runs and
 * replays alike. A live capture (livecap.c) reads an interface through libpcap, frame by frame
 * as they arrive, for `verify --interface`. A run's output files (outfile.c) are created
 * through one set that knows the run's inputs, so that no output is ever opened over an input,
 * and that writes them under temporary names renamed into place when the run succeeds. Nothing
 * here prints: failures are -errno plus one line naming the file (and frame or line), or the
 * option.
 */
#ifndef VNICEMU_EMU_CAPTURE_H
#define VNICEMU_EMU_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "md5sig/md5sig.h"
#include "offload/offload.h"

/**
 * struct emu_pkt - one captured frame. @data belongs to the reader: it stays valid until the
 * next emu_capin_next() or emu_capin_close() (until emu_capin_close() after emu_capin_hold()).
 */
struct emu_pkt {
	const uint8_t *data;
	uint32_t caplen;    /**< bytes captured */
	uint32_t len;	    /**< bytes on the wire */
	struct timespec ts; /**< capture time */
	uint32_t linktype;  /**< of its interface, a LINKTYPE_ number (enum md5sig_linktype) */
};

/**
 * struct emu_capin_cut - where a capture ends inside a record: a capture still being written,
 * or one whose writer was killed. The frames before it are intact.
 */
struct emu_capin_cut {
	uint64_t offset;     /**< byte offset of the cut record (or pcapng block) */
	unsigned long frame; /**< the number its frame would have had */
	char why[96];	     /**< in tcpdump's words: "truncated dump file; tried to read ..." */
};

struct emu_capin;

/**
 * emu_capin_open() - open a pcap or pcapng file for reading; @path is kept for messages, so it
 * must outlive the reader ("-" is stdin).
 * Return: the reader (the caller's, freed by emu_capin_close()), or NULL with a one-line reason
 * naming @path in @err (missing file, not a capture, unsupported link type).
 */
struct emu_capin *emu_capin_open(const char *path, char *err, size_t errlen);
/**
 * emu_capin_linktype() - the link type of the capture's first frame (of its first interface
 * when it has none), as a LINKTYPE_ number (enum md5sig_linktype). A pcapng's interfaces may
 * differ: each frame says its own (emu_pkt.linktype).
 */
uint32_t emu_capin_linktype(const struct emu_capin *c);
/**
 * emu_capin_nanosecond() - are any of the capture's timestamps finer than a microsecond (a
 * pcap with the nanosecond magic, a pcapng interface with a finer if_tsresol)? Then a copy
 * should keep nanoseconds.
 */
bool emu_capin_nanosecond(const struct emu_capin *c);
/**
 * emu_capin_next() - read the next frame.
 * Return: 1 with @pkt filled, 0 at the end (see emu_capin_cut()), -EIO with a reason naming
 * the file, the frame and, for pcapng, the byte offset in @err.
 */
int emu_capin_next(struct emu_capin *c, struct emu_pkt *pkt, char *err, size_t errlen);
/**
 * emu_capin_cut() - once emu_capin_next() returned 0: NULL when the capture ended where a
 * record ends, else where its last record was cut (owned by @c).
 */
const struct emu_capin_cut *emu_capin_cut(const struct emu_capin *c);
/** emu_capin_cut_format() - @cut of the capture @path as one line (no newline) into @buf. */
void emu_capin_cut_format(const char *path, const struct emu_capin_cut *cut, char *buf, size_t len);
/**
 * emu_capin_cut_json() - @cut as a JSON object, {"offset": N, "frame": N, "reason": "..."},
 * into @f (the value of the "truncated" field of verify, replay and diff --json).
 */
void emu_capin_cut_json(FILE *f, const struct emu_capin_cut *cut);
/**
 * emu_capin_hold() - ask the reader to keep frames readable after later reads, so that a
 * caller may hand pointers to other threads instead of copies. A mapped file can: every
 * frame's @data then stays valid until emu_capin_close(), and the last @bytes read stay mapped
 * (pages further back are given back to the kernel as the reader goes, and read in again if
 * touched). Return: true if it can; false when frames must be copied (pipes, stdin).
 */
bool emu_capin_hold(struct emu_capin *c, size_t bytes);
/** Close; accepts NULL. Frames read from @c are gone. */
void emu_capin_close(struct emu_capin *c);

/* ---- the output files of a run (outfile.c) ---- */

struct emu_outset;

/**
 * emu_outset_new() - the output files of one run. With @in_place each file is created under
 * its name at once, truncating what was there (live captures, readable while written);
 * otherwise under a temporary name beside it (".NAME.XXXXXX", in the same directory), renamed
 * into place by emu_outset_commit(), so that a run that fails leaves the files of an earlier
 * run as they were and no half-written ones.
 * Return: the set (the caller's, freed by emu_outset_free()), or NULL when out of memory.
 */
struct emu_outset *emu_outset_new(bool in_place);

/**
 * emu_file_among() - is the file @st describes one of @paths (under any name: device and
 * inode)? NULL entries and paths that cannot be stat()ed are skipped.
 * Return: the index of the first such path, or -1.
 */
int emu_file_among(const struct stat *st, const char *const *paths, size_t n);

/**
 * emu_outset_input() - @path (may be NULL; "-" is standard input) is read by the run: no
 * output may be that file under any name (a symlink or hard link to it included). A path that
 * does not exist is no input (its reader will say so).
 * Return: 0 or -ENOMEM.
 */
int emu_outset_input(struct emu_outset *s, const char *path);

/**
 * emu_outset_check() - may @path be written? Return: 0, or -EEXIST when it is one of the
 * inputs, with "PATH is the input INPUT (the same file): ..." in @err.
 */
int emu_outset_check(const struct emu_outset *s, const char *path, char *err, size_t errlen);

/**
 * emu_outset_open() - create the output @path (emu_outset_check() first), in place or as a
 * temporary as @s says.
 * Return: a stream to write it (the caller's: fclose() it and check), or NULL with errno set
 * and a line naming @path in @err (EEXIST: it is an input).
 */
FILE *emu_outset_open(struct emu_outset *s, const char *path, char *err, size_t errlen);

/**
 * emu_outset_commit() - rename every temporary into place. Call it only when the run
 * succeeded and every stream was closed without error.
 * Return: 0, or -errno with "PATH: reason" in @err.
 */
int emu_outset_commit(struct emu_outset *s, char *err, size_t errlen);

/**
 * emu_outset_prune() - remove @path, a file an earlier run may have left beside this run's
 * outputs, unless it is one of them or an input, or no regular file (a symlink is left too).
 * Return: 1 when removed, 0 when left alone, or -errno.
 */
int emu_outset_prune(const struct emu_outset *s, const char *path);

/** Free @s; temporaries not committed are removed. Accepts NULL. */
void emu_outset_free(struct emu_outset *s);

/* ---- capture files out (capout.c) ---- */

struct emu_capout;

/**
 * emu_capout_open() - create a capture file: classic pcap (microseconds, what every tool
 * reads, unless emu_capout_nsec()), or pcapng when @pcapng (nanoseconds), whose frames may
 * carry comments and name their interface.
 * Return: the writer (the caller's, freed by emu_capout_close()), or NULL with a reason naming
 * @path in @err.
 */
struct emu_capout *emu_capout_open(const char *path, bool pcapng, char *err, size_t errlen);

/**
 * emu_capout_create() - emu_capout_open(), the file created by @s (emu_outset_open()): never
 * over an input, and a temporary until @s is committed.
 */
struct emu_capout *emu_capout_create(struct emu_outset *s, const char *path, bool pcapng, char *err,
				     size_t errlen);

/**
 * emu_capout_nsec() - write nanosecond timestamps to a classic pcap file (its nanosecond
 * magic, which tcpdump and Wireshark read); pcapng files always have them. Call it before
 * emu_capout_iface(). Return: 0, or -EINVAL after.
 */
int emu_capout_nsec(struct emu_capout *c);
/**
 * emu_capout_iface() - declare an interface (pcapng: an IDB; pcap: the file's link type, once).
 * Return: its index for emu_capout_write(), or -errno.
 */
int emu_capout_iface(struct emu_capout *c, uint32_t linktype, const char *name);
/**
 * emu_capout_write() - append a frame; @data and @comment (pcapng only; may be NULL) are only
 * read during the call. The first write error sticks: later writes return it too.
 * Return: 0 or -errno.
 */
int emu_capout_write(struct emu_capout *c, unsigned iface, const struct timespec *ts,
		     const uint8_t *data, uint32_t len, const char *comment);
/**
 * emu_capout_write_comments() - emu_capout_write() with @ncomments packet comments (pcapng:
 * one opt_comment each, which Wireshark lists one by one).
 */
int emu_capout_write_comments(struct emu_capout *c, unsigned iface, const struct timespec *ts,
			      const uint8_t *data, uint32_t len, const char *const *comments,
			      unsigned ncomments);
/** Push buffered frames to the file (live captures stay readable). Return: 0 or -errno. */
int emu_capout_flush(struct emu_capout *c);
/** Flush and close; accepts NULL. Return: 0, or -errno if anything failed to be written. */
int emu_capout_close(struct emu_capout *c);

#define EMU_KEYS_STRICT	  1u  /**< emu_keys_load(): refuse a file group or others can read */
#define EMU_KEYS_WARN_MAX 512 /**< room for emu_keys_load()'s warning line */

/** Bytes an input file (profile, path, scenario, key file) may hold. */
#define EMU_INFILE_MAX (1u << 20)

/**
 * emu_infile_open() - open an input file a user names (a profile, path, scenario or key file)
 * for reading: a regular file of at most EMU_INFILE_MAX bytes, read whole at once into memory,
 * so that a FIFO, /dev/zero, a terminal or a directory is refused at once instead of blocking
 * or reading forever. The copy is wiped on fclose().
 * Return: the stream (the caller's, closed with fclose()), or NULL with errno set and one line
 * naming @path in @err ("PATH: is a FIFO, not a regular file", "PATH: larger than 1 MiB...",
 * "PATH: No such file or directory").
 */
FILE *emu_infile_open(const char *path, char *err, size_t errlen);
/** The same, with the file's fstat() (owner, mode) as it was opened into *@st. */
FILE *emu_infile_open_stat(const char *path, struct stat *st, char *err, size_t errlen);

/**
 * emu_keys_load() - add every line of a key file (see md5sig_keytab_parse_line_at()) to @kt
 * (the caller's; on failure it may hold the lines before the bad one). The lines read are
 * wiped. A UTF-8 byte order mark is skipped; two lines giving one peer and prefix different
 * secrets are an error naming both. A file that group or others can read is refused with
 * %EMU_KEYS_STRICT in @flags (`vnicemu run`, like sshd's StrictModes) and otherwise a
 * warning, unless a comment line says `# vnicemu: example keys, not secret`; a file with no
 * keys is a warning.
 * Return: 0 with @warn "" or one warning line (never the secret), or -errno with
 * "PATH[:LINE]: reason" in @err (-EACCES: readable by others under %EMU_KEYS_STRICT).
 */
int emu_keys_load(struct md5sig_keytab *kt, const char *path, unsigned flags, char *warn,
		  size_t warnlen, char *err, size_t errlen);

/**
 * emu_keys_from_arg() - the `--key SECRET` shorthand: one key for every peer, as tcpdump -M.
 * Return: 0 or -errno with a reason in @err.
 */
int emu_keys_from_arg(struct md5sig_keytab *kt, const char *secret, char *err, size_t errlen);

/**
 * emu_keys_from_options() - the keys of a `--key SECRET` or `--key-file FILE` option (either
 * may be NULL; both together are an error), added to @kt; a key file as emu_keys_load()
 * without %EMU_KEYS_STRICT (the analysis commands warn).
 * Return: 0 with @warn "" or one warning line, or -errno with a reason in @err.
 */
int emu_keys_from_options(struct md5sig_keytab *kt, const char *key, const char *key_file,
			  char *warn, size_t warnlen, char *err, size_t errlen);

/**
 * emu_isns_give() - hand the @n ISNs of `--isn ADDR.PORT=ISN` options to a TCP-AO flow table.
 * Return: 0, or -EEXIST (an endpoint given two ISNs) or -ENOMEM with a line naming the
 * option in @err.
 */
int emu_isns_give(struct md5sig_ao_flows *fl, const struct md5sig_ao_isn_arg *isns, size_t n,
		  char *err, size_t errlen);

/* ---- a live capture on an interface (livecap.c) ---- */

/**
 * Snapshot length: an IP packet of 65535 bytes and its link header (Ethernet, two VLAN tags,
 * SLL2), so every frame a wire carries is captured whole; only GRO/GSO super-frames can be
 * longer, and are cut (their signed segments are then unchecked, never valid). tcpdump's
 * 262144 would make each block of the kernel's ring hold a handful of frames in immediate mode.
 */
#define EMU_LIVECAP_SNAPLEN 65600
#define EMU_LIVECAP_BUFFER  (32 << 20) /**< the kernel's ring, bytes: bursts without drops */

struct emu_livecap;

/**
 * emu_livecap_open() - capture on @iface (needs CAP_NET_RAW; once open, the handle keeps
 * working after privileges are dropped) the frames @filter (BPF, as tcpdump; NULL or "" is
 * "tcp") lets through, each as soon as it arrives, in non-blocking mode: poll
 * emu_livecap_fd() and call emu_livecap_dispatch().
 * Return: the capture (the caller's, freed by emu_livecap_close()), or NULL with one line
 * naming the option that was wrong (--interface, --filter) in @err.
 */
struct emu_livecap *emu_livecap_open(const char *iface, const char *filter, char *err,
				     size_t errlen);
/** The link type of its frames, as a LINKTYPE_ number (enum md5sig_linktype). */
uint32_t emu_livecap_linktype(const struct emu_livecap *c);
/** A descriptor to poll for POLLIN: frames are waiting. */
int emu_livecap_fd(const struct emu_livecap *c);
/** The interface's MTU when it was opened, or 0 when it has none (the "any" device). */
unsigned emu_livecap_mtu(const struct emu_livecap *c);

/** Called with each frame; @pkt is only valid during the call. */
typedef void (*emu_livecap_fn)(void *arg, const struct emu_pkt *pkt);

/**
 * emu_livecap_dispatch() - hand the frames waiting now (at most @max, or all for 0) to @fn,
 * without blocking. Return: how many, or -EIO with a reason in @err.
 */
int emu_livecap_dispatch(struct emu_livecap *c, int max, emu_livecap_fn fn, void *arg, char *err,
			 size_t errlen);
/** Frames the kernel dropped for want of room before this capture saw them. Return: 0 or -EIO. */
int emu_livecap_dropped(struct emu_livecap *c, unsigned long *dropped);
/** Close; accepts NULL. */
void emu_livecap_close(struct emu_livecap *c);

/* ---- one capture per tap of a pipeline (tapcap.c) ---- */

/**
 * struct emu_tapcap_config - the captures of one pipeline. File names, in @dir: @prefix @in
 * ".pcap" for tap 0 (what enters the pipeline), @prefix STAGE ".pcap" for the tap after each
 * stage, and @prefix @out ".pcap" for the last tap again (what leaves the pipeline): e.g.
 * guest.pcap, sg.pcap, tso.pcap, tx-csum.pcap, wire.pcap. With @annotate, also @prefix
 * "annotated.pcapng": the frames entering (interface "guest") and leaving (interface "wire"),
 * each with its verdict as a packet comment. The strings are only read by emu_tapcap_open().
 */
struct emu_tapcap_config {
	const char *dir;	   /**< created with @dir_mode when missing */
	unsigned dir_mode;	   /**< e.g. 0700 for a daemon's captures */
	const char *prefix;	   /**< before every file name, e.g. "rx-"; may be NULL */
	const char *in, *out;	   /**< the names of the pipeline's two ends */
	const char *const *stages; /**< the stages' names, in pipeline order */
	unsigned nstages;
	uint32_t linktype; /**< of every frame (a LINKTYPE_ number) */
	uint64_t
		max_bytes; /**< a file this large is kept as NAME.1 and NAME starts again (0: never) */
	bool annotate;	   /**< also write annotated.pcapng */
	bool nsec; /**< nanosecond timestamps in the pcap files (annotated.pcapng has them) */
	/**
	 * creates the files (emu_capout_create()): none over an input; for a replay as
	 * temporaries, renamed into place by the caller's emu_outset_commit() after
	 * emu_tapcap_close() succeeded. Borrowed for the sink's life; NULL: files are opened as
	 * they are. Rotation (@max_bytes) is for a set that creates files in place.
	 */
	struct emu_outset *outset;
};

struct emu_tapcap;

/**
 * emu_tapcap_open() - check that no file is an input of @cfg->outset, then create the
 * directory if missing and every file (in place, truncating what was there, or as a
 * temporary, as the set says).
 * Return: the sink (the caller's, freed by emu_tapcap_close()), or NULL with errno set (EEXIST:
 * a file is an input) and one line naming the directory or file in @err.
 */
struct emu_tapcap *emu_tapcap_open(const struct emu_tapcap_config *cfg, char *err, size_t errlen);

/**
 * emu_tapcap_prune() - after @s was committed: remove from @cfg->dir the files a sink of
 * @cfg's directory, prefix and ends could have written for a pipeline of any stages (a stale
 * lro.pcap from another profile; annotated.pcapng only with @cfg->annotate) that @s did not
 * write, unless they are inputs or no regular files (emu_outset_prune()). Their paths go to
 * @removed, ", "-separated ("" when none), with the reason for one that could not be removed.
 * Return: how many were removed.
 */
int emu_tapcap_prune(const struct emu_tapcap_config *cfg, const struct emu_outset *s, char *removed,
		     size_t len);

/**
 * emu_tapcap_write() - the pipeline sink's frame @f at tap @tap (offload_sink_fn's arguments):
 * written to its tap's file, and to the out end's and the annotated file when it enters or
 * leaves the pipeline. @f is only read during the call. A file that fails is closed and not
 * written again; the others go on.
 * Return: 0, or -errno when a file failed with this frame (emu_tapcap_error() says which).
 */
int emu_tapcap_write(struct emu_tapcap *t, unsigned tap, const struct offload_frame *f,
		     enum md5sig_status st);

/**
 * emu_tapcap_dropped() - the guest frame last written at tap 0 reached no wire: its record in
 * annotated.pcapng carries a second comment, "dropped: @reason" (the stage's drop reason).
 * A guest frame's annotated record waits for this until a frame it became reaches the out
 * end or the next guest frame enters.
 * Return: 0, or -errno as emu_tapcap_write().
 */
int emu_tapcap_dropped(struct emu_tapcap *t, const char *reason);

/** The latest failure, "PATH: reason", or "" (owned by @t, valid until the next call). */
const char *emu_tapcap_error(const struct emu_tapcap *t);

/**
 * emu_tapcap_flush() - push buffered frames to every file (live captures stay readable by
 * tcpdump). Return: 0, or -errno when a file failed (it is then stopped).
 */
int emu_tapcap_flush(struct emu_tapcap *t);

/**
 * emu_tapcap_close() - flush and close every file, and free @t; accepts NULL.
 * Return: 0, or the first failure of any file during @t's life, as -errno with "PATH: reason"
 * in @err.
 */
int emu_tapcap_close(struct emu_tapcap *t, char *err, size_t errlen);

#endif
