/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * DOC: html — a report a person looks at, and attaches to a bug (`--report FILE.html`)
 *
 * One self-contained page: inline CSS and SVG, no script, no external fetch (a
 * Content-Security-Policy meta forbids any), so it opens offline from a mail attachment.
 * Every string that comes from input (file names, the command line, profile, stage and flow
 * names, explanations) is escaped. The page is written to a temporary name beside the target
 * and renamed over it only when every write succeeded.
 *
 * For a replay (emu_html_replay()) the numbers are the ones `replay --json` prints (the same
 * struct emu_replay_result); a trace (struct emu_html_trace) fed by the replay's taps adds what
 * the counters do not hold: per-flow totals of the first EMU_HTML_FLOWS flows, and the ladder
 * of one flow: each of its guest frames, the segments every stage made of it and their
 * verdict at every tap. A trace given the culprit's first invalidated frame (@target of
 * emu_html_trace_new()) follows that frame's flow, keeping the frames just before it; without
 * a target it follows the first signed flow. Memory and page size are bounded whatever the
 * capture's length. The diff page (emu_diff_html(), emu/analysis/diff/diff.h) is written with
 * the writer below.
 */
#ifndef VNICEMU_EMU_HTML_H
#define VNICEMU_EMU_HTML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "emu/analysis/replay.h"

#define EMU_HTML_FLOWS	   64 /**< flows a trace counts one by one (the rest: together) */
#define EMU_HTML_ROWS	   40 /**< guest frames of the ladder */
#define EMU_HTML_BEFORE	   12 /**< ...of which at most this many before the target */
#define EMU_HTML_CELL_SEGS 32 /**< segments of one guest frame at one tap shown one by one */

/** struct emu_html_run - what was run, so that the page reproduces it; borrowed strings. */
struct emu_html_run {
	const char *command; /**< "replay", "diff" */
	int argc;	     /**< the command's arguments (argv[0] is the command), masked */
	char **argv;
	const char *profile;	 /**< or NULL */
	const char *path;	 /**< --path, or NULL */
	const char *const *sets; /**< --set arguments */
	unsigned nsets;
	unsigned wire_mtu;    /**< 0: not applicable */
	const char *key_file; /**< shown; a --key secret never is */
	bool key_given;	      /**< --key was given (shown as "given, masked") */
};

/* ---- the writer ---- */

struct emu_html;

/**
 * emu_html_open() - start a page at @path (written to a temporary name beside it): doctype,
 * the Content-Security-Policy, the style sheet, @title (escaped) as title and heading.
 * Return: the page, or NULL with errno set and a reason naming the file in @err.
 */
struct emu_html *emu_html_open(const char *path, const char *title, char *err, size_t errlen);
/** Markup or numbers, written as given: never a string from input. */
void emu_html_raw(struct emu_html *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Text, escaped for element content and attribute values (& < > " '). */
void emu_html_text(struct emu_html *h, const char *s);
/** TCP flags as letters, FIN first ("SA", "PA"; "-" for none), into @buf. Return: the text. */
const char *emu_html_tcp_flags(uint8_t fl, char buf[static 9]);
/** The "what was run" section: the command line with secrets masked, settings, version. */
void emu_html_run_section(struct emu_html *h, const struct emu_html_run *run);
/**
 * emu_html_close() - end the page, check every write, flush, rename it into place.
 * Return: 0, or -errno with a reason naming the file in @err (the temporary file removed).
 * Accepts NULL (returns 0). With @discard the page is removed instead (an earlier error).
 */
int emu_html_close(struct emu_html *h, bool discard, char *err, size_t errlen);

/**
 * emu_html_is_secret() - is argument @i of @argv a secret: the value of --key (separate or after
 * '='), or any argument holding a "hex:" secret? Exposed for the tests.
 */
bool emu_html_is_secret(int argc, char **argv, int i);

/* ---- the replay page ---- */

struct emu_html_trace;

/**
 * emu_html_trace_new() - a trace following the flow of capture frame @target (0: the first
 * signed flow). Return: the trace (free with emu_html_trace_free()), or NULL (ENOMEM).
 */
struct emu_html_trace *emu_html_trace_new(uint64_t target);
/** Accepts NULL. */
void emu_html_trace_free(struct emu_html_trace *t);
/**
 * emu_html_trace_tap() - a replay's trace hook (struct emu_replay_config's @trace): one frame
 * at tap @tap of the transmit (@rx false) or receive pipeline. Reads the frame during the call
 * only.
 */
void emu_html_trace_tap(void *trace, bool rx, unsigned tap, const struct offload_frame *f,
			const struct md5sig_seg *seg, enum md5sig_status st);

/**
 * emu_html_replay() - write the replay page to @path: what was run, the pipeline as a diagram
 * with its counters and culprit (from @res, as --json prints it), the per-flow totals of
 * @flows, the ladder of @ladder (either may be NULL: left out), the explanation.
 * Return: 0, or -errno with a reason naming the file in @err; nothing is left at @path then.
 */
int emu_html_replay(const char *path, const struct emu_html_run *run, const char *capture,
		    const struct emu_replay_result *res, const struct emu_html_trace *flows,
		    const struct emu_html_trace *ladder, char *err, size_t errlen);

/**
 * emu_html_replay_report() - the replay page of a replay that ran with @cfg (its @trace an
 * emu_html_trace of target 0, @trace here) and found @res: when a stage invalidated frames,
 * the capture is replayed once more, with no output but a trace following the flow of the
 * culprit's first invalidated frame, for the ladder; then emu_html_replay().
 * Return: 0, or -errno with a reason in @err.
 */
int emu_html_replay_report(const char *path, const struct emu_html_run *run,
			   const struct emu_replay_config *cfg, const struct emu_replay_result *res,
			   const struct emu_html_trace *trace, char *err, size_t errlen);

/**
 * emu_html_check_path() - may a page be written at @path: not a directory, not one of the
 * @n @inputs (the same file under any name)?
 * Return: 0, or -EINVAL / -EISDIR with a reason naming the file in @err.
 */
int emu_html_check_path(const char *path, const char *const *inputs, size_t n, char *err,
			size_t errlen);

#endif
