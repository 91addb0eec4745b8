// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Dropping root after the privileged part is done (verify --user, like tcpdump -Z): the
 * user's supplementary groups, then its group, then its user ID, in that order (once the user
 * ID is gone the others can no longer be changed), and a check that root cannot be taken back.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "emu/cli/cli.h"

int cli_drop_user(const char *user, char *err, size_t errlen)
{
	struct passwd *pw;

	errno = 0;
	if (!(pw = getpwnam(user))) {
		snprintf(err, errlen, "--user %s: %s", user,
			 errno ? strerror(errno) : "no such user");
		return -ENOENT;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) || setgid(pw->pw_gid) || setuid(pw->pw_uid)) {
		int e = errno;
		snprintf(err, errlen, "--user %s: cannot drop privileges: %s", user, strerror(e));
		return -e;
	}
	if (pw->pw_uid && (!setuid(0) || !seteuid(0))) {
		snprintf(err, errlen, "--user %s: root could be taken back", user);
		return -EPERM;
	}
	return 0;
}
