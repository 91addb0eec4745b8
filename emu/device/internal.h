/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The device room's parts, private to emu/device: profile.c and path.c (data files, found the
 * same way), device.c (set-up, tear-down, logging), pipelines.c (building both pipelines,
 * keys, captures, what leaves each pipeline), loop.c (the event loop: ports, signals, the
 * one-second tick), handlers.c (the control commands), report.c (the counters as text and
 * JSON).
 */
#ifndef VNICEMU_EMU_DEVICE_INTERNAL_H
#define VNICEMU_EMU_DEVICE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "emu/capture/capture.h"
#include "emu/control/control.h"
#include "emu/device/device.h"
#include "emu/port/port.h"

/* What the device owns; all of it is freed by emu_device_free(). */
struct emu_device {
	const struct emu_run_config *cfg; /* the caller's, outlives the device */
	struct emu_profile *profile;	  /* the current one; the pipelines point into it */
	struct emu_port guest, wire;
	struct offload_pipeline *tx, *rx;
	struct md5sig_keytab *keys;	  /* NULL without --key-file */
	struct md5sig_ao_flows *flows;	  /* TCP-AO's connections, learnt on either port */
	struct ctl_server *ctl;		  /* NULL without --control */
	struct emu_tapcap *txcap, *rxcap; /* NULL without --capture */
	struct emu_outset *capset;	  /* their files: in place, never over an input */
	unsigned ntx, nrx;		  /* stages of the current pipelines */
	uint64_t tx_no, rx_no;
	int sigfd, timerfd;
	bool stop;
	uint64_t watch_tx, watch_rx; /* frames seen at the last watch line */
	char lro_max_size[16];	     /* lro.max_size's default: the guest port's MTU */
	uid_t uid;		     /* --user: whom the device becomes once set up */
	gid_t gid;
	uint8_t buf[EMU_PORT_BUF];
};

/* A kind of data file: profiles, paths. */
struct dev_data_kind {
	const char *what;      /* "profile", in messages */
	const char *listing;   /* "profiles": the command that lists them ('vnicemu profiles') */
	const char *env;       /* "VNICEMU_PROFILE_PATH": colon-separated directories first */
	const char *source;    /* the source tree's directory, or NULL for an installed build */
	const char *installed; /* the installed data directory */
};
extern const struct dev_data_kind dev_profiles, dev_paths;

/* profile.c: the file of data file @name (a path when it has a '/' or ends in ".ini") into
 * @file, or -errno with a reason in @err (a bad name, none found) */
int dev_data_find(const struct dev_data_kind *k, const char *name, char *file, size_t filelen,
		  char *err, size_t errlen);
/* profile.c: call @load for every NAME.ini found, in search order, each directory's sorted,
 * the first of each name that @load accepts (returns 0, else -1 with a reason in @err) hiding
 * the later ones; @warn (or NULL) hears of each file that does not load, with its reason, and
 * each file hidden. Return: how many loaded. */
unsigned dev_data_foreach(const struct dev_data_kind *k,
			  int (*load)(const char *file, void *arg, char *err, size_t errlen),
			  void (*warn)(const char *msg, void *arg), void *arg);
/* profile.c: a blank- or comma-separated list of stage names into @list; -1 when too long,
 * -2 when a name is listed twice (that name is then in @list[*@n]) */
int dev_parse_stage_list(char list[][EMU_NAME_MAX], unsigned *n, const char *v);

/* device.c: a message for the program's log callback (cfg->log), if it gave one */
void dev_log(const struct emu_device *d, int prio, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * pipelines.c: build both pipelines for @p; on success they replace the current ones and @p
 * (malloc'ed) becomes the device's profile. On failure nothing changed.
 */
int dev_build(struct emu_device *d, struct emu_profile *p, char *err, size_t errlen);
/* pipelines.c: (re)open the per-tap captures for the current pipelines (--capture) */
int dev_captures_open(struct emu_device *d, char *err, size_t errlen);
void dev_captures_close(struct emu_device *d);
/* pipelines.c: load the key file; the new table replaces the old only when all of it loaded */
/* --user (privs.c): look USER up and check that the process may switch, before anything opens */
int dev_privs_check(struct emu_device *d, char *err, size_t errlen);
/* --user: once everything is open, become USER, keeping CAP_NET_ADMIN only for a tap port */
int dev_privs_drop(struct emu_device *d, char *err, size_t errlen);
int dev_load_keys(struct emu_device *d, char *err, size_t errlen);
/* pipelines.c: tell a vnet-hdr guest port which offloads the NIC now has */
void dev_sync_offload(struct emu_device *d);

/* loop.c: run until a stop signal; 0 or -errno from poll() */
int dev_loop(struct emu_device *d);

#endif
