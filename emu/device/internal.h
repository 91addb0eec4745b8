/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The live device's parts, private to emu/device: device.c (set-up, tear-down, logging),
 * pipelines.c (building both pipelines, keys, captures, what leaves each pipeline), loop.c
 * (the event loop: ports, signals, the one-second tick), handlers.c (the control commands),
 * report.c (the counters as text and JSON).
 */
#ifndef VNICEMU_EMU_DEVICE_INTERNAL_H
#define VNICEMU_EMU_DEVICE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

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
	unsigned ntx, nrx;		  /* stages of the current pipelines */
	uint64_t tx_no, rx_no;
	int sigfd, timerfd;
	bool stop;
	uint64_t watch_tx, watch_rx; /* frames seen at the last watch line */
	char lro_max_size[16];	     /* lro.max_size's default: the guest port's MTU */
	uint8_t buf[EMU_PORT_BUF];
};

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
int dev_load_keys(struct emu_device *d, char *err, size_t errlen);
/* pipelines.c: tell a vnet-hdr guest port which offloads the NIC now has */
void dev_sync_offload(struct emu_device *d);

/* loop.c: run until a stop signal; 0 or -errno from poll() */
int dev_loop(struct emu_device *d);

/* handlers.c: the control commands, for ctl_server_new() */
extern const struct ctl_handler dev_handlers;

#endif
