// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Key files: read line by line and handed to md5sig's parser, which never sees the file (here:
 * the byte order mark, line numbers, the file's permissions, a file with no keys); and
 * the ISNs given with --isn, which TCP-AO's flow tables take beside the keys.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "emu/capture/capture.h"

/* A comment line that makes a key file an example whose secrets are public (the shipped
 * scenarios' keys, test data): its permissions are nobody's concern. */
static const char example_mark[] = "# vnicemu: example keys, not secret";

static bool is_example_mark(const char *line, size_t n)
{
	while (n && strchr(" \t\r\n\v\f", line[n - 1]))
		n--;
	return n == sizeof(example_mark) - 1 && !memcmp(line, example_mark, n);
}

static size_t keys_in(const struct md5sig_keytab *kt)
{
	return md5sig_keytab_count(kt) + md5sig_aotab_count(md5sig_keytab_ao(kt));
}

/* After the lines: a file with no keys, and one that others can read, unless it says it is an
 * example. Such a file refuses under EMU_KEYS_STRICT, otherwise it is a warning. */
static int keys_notes(const char *path, const struct stat *st, bool example, bool empty,
		      unsigned flags, char *warn, size_t warnlen, char *err, size_t errlen)
{
	bool open = (st->st_mode & (S_IRGRP | S_IROTH)) && !example;
	unsigned mode = (unsigned)st->st_mode & 07777;

	if (open && (flags & EMU_KEYS_STRICT)) {
		snprintf(err, errlen,
			 "%s: group or others can read this key file (mode %04o); make it private "
			 "with chmod 600 %s",
			 path, mode, path);
		return -EACCES;
	}
	if (open)
		snprintf(warn, warnlen,
			 "%s: group or others can read this key file (mode %04o): chmod 600 %s%s",
			 path, mode, path, empty ? "; it holds no keys" : "");
	else if (empty)
		snprintf(warn, warnlen, "%s: the key file holds no keys", path);
	return 0;
}

int emu_keys_load(struct md5sig_keytab *kt, const char *path, unsigned flags, char *warn,
		  size_t warnlen, char *err, size_t errlen)
{
	struct stat st;
	FILE *f = emu_infile_open_stat(path, &st, err, errlen);
	char *line = NULL;
	size_t cap = 0, before = keys_in(kt);
	ssize_t n;
	unsigned lineno = 0, earlier;
	bool example = false;
	int ret = 0;

	if (warnlen)
		*warn = '\0';
	if (!f)
		return -errno; /* @err says why: not found, a directory, a FIFO, too large */
	while ((n = getline(&line, &cap, f)) >= 0) {
		const char *why = NULL, *text = line;

		lineno++;
		if (memchr(line, '\0', (size_t)n)) {
			snprintf(err, errlen,
				 "%s:%u: NUL byte in line (use hex: for binary secrets)", path,
				 lineno);
			ret = -EINVAL;
			break;
		}
		/* a UTF-8 byte order mark, as some editors write one */
		if (lineno == 1 && n >= 3 && !memcmp(line, "\xef\xbb\xbf", 3)) {
			text += 3;
			n -= 3;
		}
		example = example || is_example_mark(text, (size_t)n);
		ret = md5sig_keytab_parse_line_at(kt, text, lineno, &why, &earlier);
		if (ret == -EEXIST && earlier) {
			snprintf(err, errlen,
				 md5sig_ao_line(text)
					 ? "%s:%u: the same peer as line %u with one of "
					   "its KeyIDs (RFC 5925 §3.1: they must not "
					   "overlap)"
					 : "%s:%u: the same peer and prefix as line %u, "
					   "with another secret",
				 path, lineno, earlier);
			ret = -EINVAL;
			break;
		}
		if (ret) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
			ret = ret == -EEXIST ? -EINVAL : ret;
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
	if (!ret)
		ret = keys_notes(path, &st, example, keys_in(kt) == before, flags, warn, warnlen,
				 err, errlen);
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
			  char *warn, size_t warnlen, char *err, size_t errlen)
{
	if (warnlen)
		*warn = '\0';
	if (key && key_file) {
		snprintf(err, errlen, "--key and --key-file are exclusive");
		return -EINVAL;
	}
	if (key)
		return emu_keys_from_arg(kt, key, err, errlen);
	return key_file ? emu_keys_load(kt, key_file, 0, warn, warnlen, err, errlen) : 0;
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
