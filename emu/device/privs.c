// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `vnicemu run --user USER`, as `tcpdump -Z`: the device opens what needs root (ports, the
 * control socket, capture files) and then becomes USER with libcap-ng, keeping CAP_NET_ADMIN
 * only when a port is a Linux tap (tap://, vnet-tap://), which needs it to be opened again
 * (TUNSETIFF) after it failed. Telling a vnet-tap the NIC's offloads (TUNSETOFFLOAD) needs no
 * capability on an open tap, and VDE ports need none at all: such a run keeps nothing.
 * `vnicemu verify --interface --user USER` switches with the same emu_user_switch() once its
 * capture is open.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <syslog.h>
#include <unistd.h>

#include <cap-ng.h>

#include "emu/device/internal.h"

static bool is_tap(const char *url)
{
	return !strncmp(url, "tap://", 6) || !strncmp(url, "vnet-tap://", 11);
}

int dev_privs_check(struct emu_device *d, char *err, size_t errlen)
{
	const char *user = d->cfg->user;
	struct passwd *pw;

	if (!user)
		return 0;
	errno = 0;
	if (!(pw = getpwnam(user))) {
		snprintf(err, errlen, "--user %s: %s", user,
			 errno ? strerror(errno) : "no such user");
		return -EINVAL;
	}
	d->uid = pw->pw_uid;
	d->gid = pw->pw_gid;
	capng_get_caps_process();
	if (!capng_have_capability(CAPNG_EFFECTIVE, CAP_SETUID) ||
	    !capng_have_capability(CAPNG_EFFECTIVE, CAP_SETGID) ||
	    !capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP)) {
		snprintf(err, errlen,
			 "--user %s: switching users needs root (CAP_SETUID, CAP_SETGID, "
			 "CAP_SETPCAP); started as a user, leave --user out",
			 user);
		return -EPERM;
	}
	return 0;
}

int emu_user_switch(const char *user, bool keep_net_admin, char *err, size_t errlen)
{
	struct passwd *pw;
	int ret;

	errno = 0;
	if (!(pw = getpwnam(user))) {
		snprintf(err, errlen, "--user %s: %s", user,
			 errno ? strerror(errno) : "no such user");
		return -ENOENT;
	}
	capng_clear(CAPNG_SELECT_BOTH);
	if (keep_net_admin)
		capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, CAP_NET_ADMIN);
	/* USER's own groups (a VDE switch's socket may be reached through one), as tcpdump -Z */
	ret = capng_change_id((int)pw->pw_uid, (int)pw->pw_gid,
			      CAPNG_INIT_SUPP_GRP | CAPNG_CLEAR_BOUNDING);
	if (ret) {
		snprintf(err, errlen, "--user %s: could not switch to it (libcap-ng error %d)",
			 user, ret);
		return -EPERM;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		snprintf(err, errlen, "--user %s: PR_SET_NO_NEW_PRIVS: %s", user, strerror(errno));
		return -errno;
	}
	if (pw->pw_uid && (!setuid(0) || !seteuid(0))) {
		snprintf(err, errlen, "--user %s: root could be taken back", user);
		return -EPERM;
	}
	return 0;
}

int dev_privs_drop(struct emu_device *d, char *err, size_t errlen)
{
	const struct emu_run_config *cfg = d->cfg;
	bool keep = is_tap(cfg->guest_url) || is_tap(cfg->wire_url);
	int ret;

	if (!cfg->user)
		return 0;
	/* vnicctl as USER talks to the socket USER's vnicemu made */
	if (cfg->control && chown(cfg->control, d->uid, d->gid)) {
		snprintf(err, errlen, "--user %s: %s: %s", cfg->user, cfg->control,
			 strerror(errno));
		return -errno;
	}
	if ((ret = emu_user_switch(cfg->user, keep, err, errlen)))
		return ret;
	/* SIGHUP reads the key file again, now as USER: say so now rather than then */
	if (cfg->key_file) {
		int fd = open(cfg->key_file, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			snprintf(err, errlen,
				 "--user %s: %s: %s as %s, so SIGHUP could not read it again; "
				 "chown %s %s",
				 cfg->user, cfg->key_file, strerror(errno), cfg->user, cfg->user,
				 cfg->key_file);
			return -EACCES;
		}
		close(fd);
	}
	dev_log(d, LOG_NOTICE, "running as %s, capabilities: %s", cfg->user,
		keep ? "cap_net_admin (a tap port may have to be opened again)" : "none");
	return 0;
}
