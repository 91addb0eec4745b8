// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Key files: read line by line and handed to md5sig's parser, which never sees the file; and
 * the ISNs given with --isn, which TCP-AO's flow tables take beside the keys.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "emu/capture/capture.h"

int emu_keys_load(struct md5sig_keytab *kt, const char *path, char *err, size_t errlen)
{
	FILE *f = emu_infile_open(path, err, errlen);
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned lineno = 0;
	int ret = 0;

	if (!f)
		return -errno;
	while ((n = getline(&line, &cap, f)) >= 0) {
		const char *why = NULL;

		lineno++;
		if (memchr(line, '\0', (size_t)n)) {
			snprintf(err, errlen,
				 "%s:%u: NUL byte in line (use hex: for binary secrets)", path,
				 lineno);
			ret = -EINVAL;
			break;
		}
		ret = md5sig_keytab_parse_line(kt, line, &why);
		if (ret) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
			break;
		}
	}
	if (!ret && ferror(f)) {
		ret = -EIO;
		snprintf(err, errlen, "%s: read error", path);
	}
	if (line) {
		md5sig_cleanse(line, cap);
		free(line);
	}
	fclose(f);
	return ret;
}

int emu_keys_from_arg(struct md5sig_keytab *kt, const char *secret, char *err, size_t errlen)
{
	struct md5sig_key key;
	size_t n = strlen(secret);

	if (n < 1 || n > MD5SIG_KEY_MAX) {
		snprintf(err, errlen, "--key: the secret must be 1 to %d bytes", MD5SIG_KEY_MAX);
		return -EINVAL;
	}
	key.len = (uint8_t)n;
	memcpy(key.bytes, secret, n);
	int ret = md5sig_keytab_add(kt, AF_UNSPEC, NULL, 0, &key);
	md5sig_cleanse(&key, sizeof(key));
	if (ret)
		snprintf(err, errlen, "--key: %s", strerror(-ret));
	return ret;
}

int emu_keys_from_options(struct md5sig_keytab *kt, const char *key, const char *key_file,
			  char *err, size_t errlen)
{
	if (key && key_file) {
		snprintf(err, errlen, "--key and --key-file are exclusive");
		return -EINVAL;
	}
	if (key)
		return emu_keys_from_arg(kt, key, err, errlen);
	return key_file ? emu_keys_load(kt, key_file, err, errlen) : 0;
}

int emu_isns_give(struct md5sig_ao_flows *fl, const struct md5sig_ao_isn_arg *isns, size_t n,
		  char *err, size_t errlen)
{
	char a[INET6_ADDRSTRLEN];

	for (size_t i = 0; i < n; i++) {
		int ret = md5sig_ao_flows_give(fl, &isns[i]);
		if (ret == -EEXIST) {
			inet_ntop(isns[i].family, isns[i].addr, a, sizeof(a));
			snprintf(err, errlen, "--isn %s.%u: given twice, with other ISNs", a,
				 isns[i].port);
		} else if (ret) {
			snprintf(err, errlen, "out of memory");
		}
		if (ret)
			return ret;
	}
	return 0;
}
