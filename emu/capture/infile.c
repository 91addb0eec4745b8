// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Input files a user names (profiles, paths, scenarios, key files): regular files of bounded
 * size, read whole into memory. Opening never waits (O_NONBLOCK: a FIFO with no writer, a
 * terminal), fstat() refuses anything but a regular file (/dev/zero, a FIFO, a directory), and
 * reading stops one byte past the limit (a file that grows, a /proc file that says size 0).
 * The copy is wiped when the stream is closed: a key file's secrets do not linger on the heap.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu/capture/capture.h"

struct infile {
	char *buf;
	size_t len, pos;
};

static ssize_t infile_read(void *cookie, char *out, size_t n)
{
	struct infile *in = cookie;

	if (n > in->len - in->pos)
		n = in->len - in->pos;
	memcpy(out, in->buf + in->pos, n);
	in->pos += n;
	return (ssize_t)n;
}

/* Wipe and free the copy (a key file's secrets), and @in. */
static void infile_free(struct infile *in)
{
	if (in->buf)
		explicit_bzero(in->buf, in->len);
	free(in->buf);
	free(in);
}

static int infile_close(void *cookie)
{
	infile_free(cookie);
	return 0;
}

static const char *kind(mode_t m)
{
	return S_ISDIR(m)    ? "is a directory"
	       : S_ISFIFO(m) ? "is a FIFO, not a regular file"
	       : S_ISCHR(m)  ? "is a character device, not a regular file"
	       : S_ISBLK(m)  ? "is a block device, not a regular file"
	       : S_ISSOCK(m) ? "is a socket, not a regular file"
			     : "is not a regular file";
}

static int too_big(const char *path, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: larger than %u MiB: not a file vnicemu reads", path,
		 EMU_INFILE_MAX >> 20);
	return -EFBIG;
}

/* The whole file into @in->buf, at most EMU_INFILE_MAX bytes; 0 or -errno with @err set. */
static int slurp(int fd, const char *path, struct infile *in, char *err, size_t errlen)
{
	size_t cap = 0;

	for (;;) {
		if (in->len == cap) {
			size_t ncap = cap ? cap * 2 : 4096;
			if (ncap > EMU_INFILE_MAX + 1)
				ncap = EMU_INFILE_MAX + 1;
			char *buf = malloc(ncap);
			if (!buf) {
				snprintf(err, errlen, "%s: %s", path, strerror(ENOMEM));
				return -ENOMEM;
			}
			if (in->buf) { /* not realloc(): no copy of the old buffer left behind */
				memcpy(buf, in->buf, in->len);
				explicit_bzero(in->buf, in->len);
				free(in->buf);
			}
			in->buf = buf;
			cap = ncap;
		}
		ssize_t n = read(fd, in->buf + in->len, cap - in->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			snprintf(err, errlen, "%s: %s", path, strerror(e));
			return -e;
		}
		if (n == 0)
			return 0;
		in->len += (size_t)n;
		if (in->len > EMU_INFILE_MAX) {
			return too_big(path, err, errlen);
		}
	}
}

FILE *emu_infile_open(const char *path, char *err, size_t errlen)
{
	struct stat st;

	return emu_infile_open_stat(path, &st, err, errlen);
}

FILE *emu_infile_open_stat(const char *path, struct stat *stp, char *err, size_t errlen)
{
	static const cookie_io_functions_t io = {.read = infile_read, .close = infile_close};
	struct infile *in = calloc(1, sizeof(*in));
	struct stat st;
	int fd = -1, ret;

	if (!in) {
		snprintf(err, errlen, "%s: %s", path, strerror(ENOMEM));
		errno = ENOMEM;
		return NULL;
	}
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		snprintf(err, errlen, "%s: %s", path, kind(st.st_mode));
		goto fail;
	}
	if (st.st_size > EMU_INFILE_MAX) {
		ret = too_big(path, err, errlen);
		goto fail;
	}
	if ((ret = slurp(fd, path, in, err, errlen)))
		goto fail;
	close(fd);
	*stp = st;
	FILE *f = fopencookie(in, "r", io);
	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		fd = -1;
		goto fail;
	}
	/* reads come from memory already: a stdio buffer would only be one more copy of the
	 * secrets, and one that fclose() frees without wiping */
	setvbuf(f, NULL, _IONBF, 0);
	return f;

fail:
	if (fd >= 0)
		close(fd);
	infile_free(in);
	errno = -ret;
	return NULL;
}
