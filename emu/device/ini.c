// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * INI text with line numbers: libinih parses (Debian's build tells a handler no line number),
 * and our reader hands it one line at a time, counting them, so every entry and every error
 * has its line. The reader also ends the text at a line longer than libinih's buffer (libinih
 * would parse the rest as a line of its own) and at a NUL byte (not text).
 */
#include <stdio.h>

#include <ini.h>

#include "emu/device/device.h"

struct ini_ctx {
	FILE *in;
	emu_ini_handler fn;
	void *user;
	unsigned line;	      /* of the line handed to libinih last */
	unsigned bad;	      /* the first line the handler refused, or 0 */
	unsigned stop;	      /* the line the reader stopped at, or 0 */
	const char *stop_why; /* ...and why */
	int longest;	      /* characters of a line libinih takes */
};

static char *reader(char *buf, int num, void *stream)
{
	struct ini_ctx *c = stream;
	int n = 0, ch = EOF;

	if (c->stop)
		return NULL;
	while (n < num - 1 && (ch = getc(c->in)) != EOF) {
		if (ch == '\0') {
			c->stop = c->line + 1;
			c->stop_why = "a NUL byte: not a text file";
			return NULL;
		}
		buf[n++] = (char)ch;
		if (ch == '\n')
			break;
	}
	if (!n)
		return NULL;
	buf[n] = '\0';
	c->line++;
	/* a full buffer: the line ends here only if a newline (dropped: libinih strips it) or
	 * the end follows */
	if (ch != '\n' && n == num - 1 && (ch = getc(c->in)) != '\n' && ch != EOF) {
		c->stop = c->line;
		c->stop_why = "line too long";
		c->longest = num - 1;
		return NULL;
	}
	return buf;
}

static int on_entry(void *user, const char *section, const char *name, const char *value)
{
	struct ini_ctx *c = user;

	if (c->bad)
		return 0; /* the first refusal is the one reported */
	if (!c->fn(c->user, c->line, section, name, value))
		c->bad = c->line;
	return !c->bad;
}

int emu_ini_once(unsigned *seen, unsigned line, const char *what, char *why, size_t whylen)
{
	if (*seen) {
		snprintf(why, whylen, "%s given twice (first on line %u)", what, *seen);
		return -1;
	}
	*seen = line;
	return 0;
}

int emu_ini_parse(FILE *in, emu_ini_handler fn, void *user, unsigned *line, char *why,
		  size_t whylen)
{
	struct ini_ctx c = {.in = in, .fn = fn, .user = user};
	int r = ini_parse_stream(reader, &c, on_entry, &c);
	/* libinih counts one line per read, as we do: its line is ours */
	unsigned syntax = r > 0 && (unsigned)r != c.bad ? (unsigned)r : 0;

	*why = '\0';
	*line = c.bad;
	if (syntax && (!*line || syntax < *line)) {
		*line = syntax;
		snprintf(why, whylen,
			 "syntax error (expected [SECTION], NAME = VALUE or a # comment)");
	}
	if (c.stop && (!*line || c.stop < *line)) {
		*line = c.stop;
		if (c.longest)
			snprintf(why, whylen, "%s (more than %d characters)", c.stop_why,
				 c.longest);
		else
			snprintf(why, whylen, "%s", c.stop_why);
	}
	if (!*line && ferror(in)) {
		*line = c.line + 1;
		snprintf(why, whylen, "read error");
	}
	return *line ? -1 : 0;
}
