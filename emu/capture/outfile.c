// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The output files of a run (capture.h: emu_outset). Two promises: no output is ever opened
 * over an input (compared by device and inode, so a symlink or hard link to the input counts:
 * fopen("w") would truncate a capture that is mapped, killing the run with SIGBUS and the
 * user's file with it); and, unless the files are live, a run's files appear whole or not at
 * all: each is written under a temporary name in its own directory (so rename(2) is atomic)
 * and renamed into place only when the caller commits.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "emu/capture/capture.h"

struct file_id {
	dev_t dev;
	ino_t ino;
	char *name;
};

struct output {
	char *path; /* its name */
	char *tmp;  /* written here until committed, or NULL (in place, or committed) */
	dev_t dev;
	ino_t ino;
};

struct emu_outset {
	bool in_place;
	struct file_id *in;
	size_t nin;
	struct output *out;
	size_t nout;
	unsigned seq; /* temporary names */
};

struct emu_outset *emu_outset_new(bool in_place)
{
	struct emu_outset *s = calloc(1, sizeof(*s));

	if (s)
		s->in_place = in_place;
	return s;
}

int emu_file_among(const struct stat *st, const char *const *paths, size_t n)
{
	struct stat p;

	for (size_t i = 0; i < n; i++)
		if (paths[i] && !stat(paths[i], &p) && p.st_dev == st->st_dev &&
		    p.st_ino == st->st_ino)
			return (int)i;
	return -1;
}

int emu_outset_input(struct emu_outset *s, const char *path)
{
	struct stat st;
	struct file_id *in;

	if (!path)
		return 0;
	if (strcmp(path, "-") ? stat(path, &st) : fstat(STDIN_FILENO, &st))
		return 0; /* nothing to protect: its reader says what is wrong */
	in = realloc(s->in, (s->nin + 1) * sizeof(*in));
	if (!in)
		return -ENOMEM;
	s->in = in;
	in += s->nin;
	if (!(in->name = strdup(strcmp(path, "-") ? path : "standard input")))
		return -ENOMEM;
	in->dev = st.st_dev;
	in->ino = st.st_ino;
	s->nin++;
	return 0;
}

int emu_outset_check(const struct emu_outset *s, const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (stat(path, &st))
		return 0; /* a new file (or one we cannot see: creating it will say why) */
	for (size_t i = 0; i < s->nin; i++) {
		if (s->in[i].dev == st.st_dev && s->in[i].ino == st.st_ino) {
			snprintf(err, errlen,
				 "%s is the input %s (the same file): not writing over it", path,
				 s->in[i].name);
			return -EEXIST;
		}
	}
	return 0;
}

/* A new file beside @path, ".NAME.XXXXXX", created with the mode fopen() would give it. */
static int create_tmp(struct emu_outset *s, const char *path, char **tmp)
{
	const char *base = strrchr(path, '/');
	size_t dirlen = base ? (size_t)(base - path + 1) : 0;
	size_t len = strlen(path) + 16;
	struct timespec now;

	base = path + dirlen;
	if (!(*tmp = malloc(len)))
		return -ENOMEM;
	clock_gettime(CLOCK_MONOTONIC, &now);
	for (int tries = 0; tries < 100; tries++) {
		unsigned r = (unsigned)now.tv_nsec ^ (unsigned)getpid() * 2654435761u ^
			     ++s->seq * 40503u;

		snprintf(*tmp, len, "%.*s.%s.%06x", (int)dirlen, path, base, r & 0xffffff);
		int fd = open(*tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd >= 0 || errno != EEXIST)
			return fd >= 0 ? fd : -errno;
	}
	return -EEXIST;
}

FILE *emu_outset_open(struct emu_outset *s, const char *path, char *err, size_t errlen)
{
	struct output *o = realloc(s->out, (s->nout + 1) * sizeof(*o));
	struct stat st;
	int fd, e;

	if (!o) {
		e = ENOMEM;
		goto fail;
	}
	s->out = o;
	o += s->nout;
	*o = (struct output){.path = strdup(path)};
	if (!o->path) {
		e = ENOMEM;
		goto fail;
	}
	if (emu_outset_check(s, path, err, errlen)) {
		free(o->path);
		errno = EEXIST;
		return NULL;
	}
	fd = s->in_place ? open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666)
			 : create_tmp(s, path, &o->tmp);
	if (fd < 0) {
		e = s->in_place ? errno : -fd;
		free(o->tmp);
		free(o->path);
		goto fail;
	}
	fstat(fd, &st);
	o->dev = st.st_dev;
	o->ino = st.st_ino;
	s->nout++; /* from here on, emu_outset_free() removes the temporary */
	FILE *f = fdopen(fd, "wb");
	if (f)
		return f;
	e = errno;
	close(fd);
fail:
	snprintf(err, errlen, "%s: %s", path, strerror(e));
	errno = e;
	return NULL;
}

int emu_outset_commit(struct emu_outset *s, char *err, size_t errlen)
{
	for (size_t i = 0; i < s->nout; i++) {
		struct output *o = &s->out[i];

		if (!o->tmp)
			continue;
		if (rename(o->tmp, o->path)) {
			int e = errno;
			snprintf(err, errlen, "%s: %s", o->path, strerror(e));
			return -e;
		}
		free(o->tmp);
		o->tmp = NULL;
	}
	return 0;
}

int emu_outset_prune(const struct emu_outset *s, const char *path)
{
	struct stat st;

	if (lstat(path, &st) || !S_ISREG(st.st_mode))
		return 0; /* absent, or not a file we would have written: left alone */
	for (size_t i = 0; i < s->nout; i++)
		if (s->out[i].dev == st.st_dev && s->out[i].ino == st.st_ino)
			return 0;
	for (size_t i = 0; i < s->nin; i++)
		if (s->in[i].dev == st.st_dev && s->in[i].ino == st.st_ino)
			return 0;
	return unlink(path) ? -errno : 1;
}

void emu_outset_free(struct emu_outset *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nout; i++) {
		if (s->out[i].tmp)
			unlink(s->out[i].tmp);
		free(s->out[i].tmp);
		free(s->out[i].path);
	}
	for (size_t i = 0; i < s->nin; i++)
		free(s->in[i].name);
	free(s->out);
	free(s->in);
	free(s);
}
