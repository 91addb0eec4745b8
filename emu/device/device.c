// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The live device: a guest port and a wire port, the transmit pipeline between them one way
 * (guest -> sg -> tso -> tx-csum -> wire) and the receive pipeline the other (wire -> rx-csum
 * -> lro -> guest), a control socket, optional per-tap captures. This file sets it up, tears it
 * down and hands its messages to the program's log callback; the parts are pipelines.c,
 * loop.c, handlers.c and report.c.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <syslog.h>
#include <unistd.h>

#include "emu/device/internal.h"

void dev_log(const struct emu_device *d, int prio, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!d->cfg->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	d->cfg->log(d->cfg->log_arg, prio, msg);
}

/*
 * What needs no port: the profile with --path and --set into *@pp (malloc'ed, the caller's),
 * the keys, the TCP-AO flow table.
 */
static int configure(struct emu_device *d, struct emu_profile **pp, char *err, size_t errlen)
{
	const struct emu_run_config *cfg = d->cfg;
	struct emu_profile *p = malloc(sizeof(*p));
	int ret;

	if (!p)
		return -ENOMEM;
	ret = dev_privs_check(d, err, errlen);
	if (!ret)
		ret = emu_profile_load(p, cfg->profile, err, errlen);
	if (!ret && cfg->path)
		ret = emu_profile_add_path(p, cfg->path, err, errlen);
	for (unsigned i = 0; !ret && i < cfg->nsets; i++)
		ret = emu_profile_set(p, cfg->sets[i], err, errlen);
	if (!ret)
		ret = dev_load_keys(d, err, errlen);
	if (!ret && !(d->flows = md5sig_ao_flows_new(EMU_DEVICE_FLOWS)))
		ret = -ENOMEM;
	if (ret)
		free(p);
	else
		*pp = p;
	return ret;
}

/* The pipelines for @p, which the device takes (freed here if the build fails). */
static int build(struct emu_device *d, struct emu_profile *p, char *err, size_t errlen)
{
	int ret = dev_build(d, p, err, errlen);

	if (ret && d->profile != p)
		free(p);
	return ret;
}

static int setup(struct emu_device *d, char *err, size_t errlen)
{
	const struct emu_run_config *cfg = d->cfg;
	struct emu_profile *p;
	sigset_t mask;
	int ret;

	if ((ret = configure(d, &p, err, errlen)))
		return ret;
	/* ports before pipelines: lro builds frames no larger than the guest port takes */
	if (!(ret = emu_port_init(&d->guest, "guest", cfg->guest_url, err, errlen)) &&
	    !(ret = emu_port_init(&d->wire, "wire", cfg->wire_url, err, errlen)) &&
	    !(ret = emu_port_open(&d->guest, err, errlen)))
		ret = emu_port_open(&d->wire, err, errlen);
	if (ret) {
		free(p);
		return ret;
	}
	if ((ret = build(d, p, err, errlen)) || (ret = dev_captures_open(d, err, errlen)))
		return ret;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	d->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	struct itimerspec its = {.it_interval = {1, 0}, .it_value = {1, 0}};
	if (d->sigfd < 0 || d->timerfd < 0 || timerfd_settime(d->timerfd, 0, &its, NULL)) {
		snprintf(err, errlen, "signalfd/timerfd: %s", strerror(errno));
		return -errno;
	}
	if (cfg->control) {
		d->ctl = ctl_server_new(cfg->control, &emu_device_handler, d, err, errlen);
		if (!d->ctl)
			return -EADDRINUSE;
	}
	return dev_privs_drop(d, err, errlen);
}

/* A device with nothing open yet; @offline: its ports stay so (and say so in reports). */
static struct emu_device *device_alloc(const struct emu_run_config *cfg, bool offline, char *err,
				       size_t errlen)
{
	struct emu_device *d = calloc(1, sizeof(*d));

	if (!d) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	d->cfg = cfg;
	d->sigfd = d->timerfd = -1;
	if (offline) {
		d->guest = (struct emu_port){
			.name = "guest", .url = "none", .datafd = -1, .ctlfd = -1};
		d->wire =
			(struct emu_port){.name = "wire", .url = "none", .datafd = -1, .ctlfd = -1};
	}
	return d;
}

/* @ret from setting @d up: @d, or NULL (@d freed) with errno set */
static struct emu_device *device_done(struct emu_device *d, int ret)
{
	if (!ret)
		return d;
	emu_device_free(d);
	errno = -ret;
	return NULL;
}

struct emu_device *emu_device_new(const struct emu_run_config *cfg, char *err, size_t errlen)
{
	struct emu_device *d = device_alloc(cfg, false, err, errlen);

	return d ? device_done(d, setup(d, err, errlen)) : NULL;
}

struct emu_device *emu_device_new_offline(const struct emu_run_config *cfg, char *err,
					  size_t errlen)
{
	struct emu_device *d = device_alloc(cfg, true, err, errlen);
	struct emu_profile *p;
	int ret;

	if (!d)
		return NULL;
	if (!(ret = configure(d, &p, err, errlen)))
		ret = build(d, p, err, errlen);
	return device_done(d, ret);
}

int emu_device_run(struct emu_device *d, char *err, size_t errlen)
{
	const struct emu_run_config *cfg = d->cfg;

	dev_log(d, LOG_NOTICE, "running: guest %s, wire %s, profile %s%s%s, wire MTU %u%s%s",
		cfg->guest_url, cfg->wire_url, d->profile->name, cfg->path ? ", path " : "",
		cfg->path ? cfg->path : "", cfg->wire_mtu, cfg->control ? ", control " : "",
		cfg->control ? cfg->control : "");
	int ret = dev_loop(d);
	if (ret)
		snprintf(err, errlen, "poll: %s", strerror(-ret));
	return ret;
}

void emu_device_free(struct emu_device *d)
{
	if (!d)
		return;
	if (d->rx)
		offload_pipeline_flush(d->rx, true);
	dev_captures_close(d);
	ctl_server_free(d->ctl);
	emu_port_close(&d->guest);
	emu_port_close(&d->wire);
	offload_pipeline_free(d->rx); /* it borrows the transmit pipeline's path elements */
	offload_pipeline_free(d->tx);
	free(d->profile);
	md5sig_keytab_free(d->keys);
	md5sig_ao_flows_free(d->flows);
	if (d->sigfd > 0)
		close(d->sigfd);
	if (d->timerfd > 0)
		close(d->timerfd);
	free(d);
}
