/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * DOC: capture — capture files in and out, and key files
 *
 * Frames enter the analysis engines from capture files and leave every tap into them. Reading
 * (capin.c): classic pcap (what tcpdump writes) is mapped and its records are walked in place;
 * everything else (pcapng, older pcap versions, pipes) goes through libpcap, which also names
 * what it cannot read. Writing (capout.c) is done here, by hand, because libpcap writes neither
 * pcapng nor packet comments: classic pcap per tcpdump's savefile format, pcapng per the IETF
 * pcapng draft (SHB, IDB, EPB with opt_comment). Key files (keyfile.c) are read line by line and
 * handed to md5sig's parser, which never sees the file; secrets never reach an error message.
 * Nothing here prints: failures are -errno plus one line naming the file (and frame or line).
 */
#ifndef VNICEMU_EMU_CAPTURE_H
#define VNICEMU_EMU_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "md5sig/md5sig.h"

/**
 * struct emu_pkt - one captured frame. @data belongs to the reader: it stays valid until the
 * next emu_capin_next() or emu_capin_close().
 */
struct emu_pkt {
	const uint8_t *data;
	uint32_t caplen;    /**< bytes captured */
	uint32_t len;	    /**< bytes on the wire */
	struct timespec ts; /**< capture time */
};

struct emu_capin;

/**
 * emu_capin_open() - open a pcap or pcapng file for reading.
 * Return: the reader (the caller's, freed by emu_capin_close()), or NULL with a one-line reason
 * naming @path in @err (missing file, not a capture, unsupported link type).
 */
struct emu_capin *emu_capin_open(const char *path, char *err, size_t errlen);
/** The capture's link type, as a LINKTYPE_ number (enum md5sig_linktype). */
uint32_t emu_capin_linktype(const struct emu_capin *c);
/**
 * emu_capin_next() - read the next frame.
 * Return: 1 with @pkt filled, 0 at the end, -EIO with a reason naming the file and frame in @err.
 */
int emu_capin_next(struct emu_capin *c, struct emu_pkt *pkt, char *err, size_t errlen);
/** Close; accepts NULL. Frames read from @c are gone. */
void emu_capin_close(struct emu_capin *c);

struct emu_capout;

/**
 * emu_capout_open() - create a capture file: classic pcap (microseconds, what every tool
 * reads), or pcapng when @pcapng, whose frames may carry comments and name their interface.
 * Return: the writer (the caller's, freed by emu_capout_close()), or NULL with a reason naming
 * @path in @err.
 */
struct emu_capout *emu_capout_open(const char *path, bool pcapng, char *err, size_t errlen);
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

#endif
