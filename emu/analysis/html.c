// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The HTML report (emu/analysis/html.h): the writer (escaping, the page's frame, the "what
 * was run" section, the temporary file renamed into place) and the replay page.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu/analysis/htrace.h"
#include "emu/capture/capture.h"
#include "md5sig/wire.h"

struct emu_html {
	FILE *f;
	char *path, *tmp;
	int err; /* the first write error (-errno), or 0 */
};

static const char style[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;max-width:1400px}"
	"h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.2em;margin-top:1.6em;"
	"border-bottom:1px solid #ccc}"
	"table{border-collapse:collapse;margin:.5em 0;font-size:13px}td,th{border:1px solid #ccc;"
	"padding:2px 5px;text-align:right;vertical-align:top}th{background:#f3f3f3;font-size:12px}"
	"td.l,th.l{text-align:left}code,.mono{font-family:ui-monospace,monospace;font-size:12px}"
	".verdict{font-size:1.15em;padding:.5em .8em;border-left:6px solid #2e7d32;"
	"background:#f1f8e9}.verdict.bad{border-color:#c62828;background:#ffebee}"
	".verdict.unk{border-color:#f9a825;background:#fffde7}"
	".culprit td{background:#ffebee}.off{color:#999}"
	".chip{display:inline-block;min-width:2.2em;margin:1px;padding:0 3px;border-radius:3px;"
	"font:11px ui-monospace,monospace;color:#fff;text-align:center}"
	".hit{outline:3px solid #000;outline-offset:1px}"
	".v-valid{background:#2e7d32}.v-invalid{background:#c62828}.v-missing{background:#ef6c00}"
	".v-unexpected{background:#6a1b9a}.v-unsigned{background:#9e9e9e}"
	".v-unchecked{background:#f9a825;color:#000}.v-malformed{background:#424242}"
	".v-other{background:#cfd8dc;color:#000}"
	".two{display:flex;gap:2em;flex-wrap:wrap}.two>div{flex:1;min-width:300px}"
	"ul.changed li{color:#b71c1c}ul.unchanged li{color:#1b5e20}"
	".ladder td{text-align:left;min-width:5em}.ladder td.no{text-align:right}"
	".rx{background:#f7f7ff}.legend span{margin-right:.6em}"
	"svg text{font:12px system-ui,sans-serif}";

struct emu_html *emu_html_open(const char *path, const char *title, char *err, size_t errlen)
{
	struct emu_html *h = calloc(1, sizeof(*h));
	int fd = -1, ret;

	errno = 0;
	if (!h || !(h->path = strdup(path)) || asprintf(&h->tmp, "%s.XXXXXX", path) < 0) {
		if (h)
			h->tmp = NULL;
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	fd = mkstemp(h->tmp);
	if (fd < 0) {
		ret = errno;
		snprintf(err, errlen, "--report %s: cannot create it: %s", path, strerror(ret));
		free(h->tmp);
		h->tmp = NULL;
		errno = ret;
		goto fail;
	}
	/* a page to attach and open: readable like any file the user writes */
	if (fchmod(fd, 0644) || !(h->f = fdopen(fd, "w"))) {
		ret = errno;
		snprintf(err, errlen, "--report %s: %s", path, strerror(ret));
		close(fd);
		unlink(h->tmp);
		errno = ret;
		goto fail;
	}
	emu_html_raw(h,
		     "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		     "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		     "style-src 'unsafe-inline'; img-src data:\">\n"
		     "<meta name=\"generator\" content=\"vnicemu %s\">\n<title>",
		     VNICEMU_VERSION);
	emu_html_text(h, title);
	emu_html_raw(h, "</title>\n<style>%s</style>\n</head><body>\n<h1>", style);
	emu_html_text(h, title);
	emu_html_raw(h, "</h1>\n");
	return h;
fail:
	ret = errno ? errno : ENOMEM;
	if (h) {
		free(h->path);
		free(h->tmp);
		free(h);
	}
	errno = ret;
	return NULL;
}

void emu_html_raw(struct emu_html *h, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vfprintf(h->f, fmt, ap) < 0 && !h->err)
		h->err = -(errno ? errno : EIO);
	va_end(ap);
}

void emu_html_text(struct emu_html *h, const char *s)
{
	for (; s && *s; s++) {
		const char *e = NULL;
		switch (*s) {
		case '&':
			e = "&amp;";
			break;
		case '<':
			e = "&lt;";
			break;
		case '>':
			e = "&gt;";
			break;
		case '"':
			e = "&quot;";
			break;
		case '\'':
			e = "&#39;";
			break;
		default:
			break;
		}
		int r;
		if (e)
			r = fputs(e, h->f);
		else if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
			r = fputc('?', h->f); /* control characters have no place in a page */
		else
			r = fputc(*s, h->f);
		if (r == EOF && !h->err)
			h->err = -(errno ? errno : EIO);
	}
}

bool emu_html_is_secret(int argc, char **argv, int i)
{
	if (i <= 0 || i >= argc)
		return false;
	if (strstr(argv[i], "hex:") || !strncmp(argv[i], "--key=", 6))
		return true;
	return !strcmp(argv[i - 1], "--key");
}

/* One argument as a shell would need it quoted, escaped for the page. */
static void shell_word(struct emu_html *h, const char *s)
{
	bool plain = *s != '\0';

	for (const char *p = s; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			    "-_./=:,+@%",
			    *p))
			plain = false;
	if (plain) {
		emu_html_text(h, s);
		return;
	}
	emu_html_raw(h, "&#39;");
	for (const char *p = s; *p; p++) {
		if (*p == '\'')
			emu_html_raw(h, "&#39;\\&#39;&#39;");
		else {
			char c[2] = {*p, '\0'};
			emu_html_text(h, c);
		}
	}
	emu_html_raw(h, "&#39;");
}

void emu_html_run_section(struct emu_html *h, const struct emu_html_run *run)
{
	emu_html_raw(h, "<h2 id=\"run\">What was run</h2>\n<p><code id=\"cmdline\">vnicemu");
	for (int i = 0; i < run->argc; i++) {
		emu_html_raw(h, " ");
		if (emu_html_is_secret(run->argc, run->argv, i)) {
			emu_html_raw(h, "%s", !strncmp(run->argv[i], "--key=", 6) ? "--key=" : "");
			emu_html_raw(h, "<i>(secret)</i>");
		} else {
			shell_word(h, run->argv[i]);
		}
	}
	emu_html_raw(h, "</code></p>\n<table id=\"settings\">\n");
	if (run->profile) {
		emu_html_raw(h,
			     "<tr><th class=\"l\">profile</th><td class=\"l\" data-k=\"profile\">");
		emu_html_text(h, run->profile);
		emu_html_raw(h, "</td></tr>\n");
	}
	if (run->path) {
		emu_html_raw(h, "<tr><th class=\"l\">path</th><td class=\"l\" data-k=\"path\">");
		emu_html_text(h, run->path);
		emu_html_raw(h, "</td></tr>\n");
	}
	if (run->profile) {
		emu_html_raw(h, "<tr><th class=\"l\">settings and quirks (--set)</th>"
				"<td class=\"l\" data-k=\"sets\">");
		for (unsigned i = 0; i < run->nsets; i++) {
			emu_html_raw(h, "%s<code>", i ? " " : "");
			emu_html_text(h, run->sets[i]);
			emu_html_raw(h, "</code>");
		}
		emu_html_raw(h, "%s</td></tr>\n", run->nsets ? "" : "the profile's defaults");
	}
	if (run->wire_mtu)
		emu_html_raw(h,
			     "<tr><th class=\"l\">wire MTU</th><td class=\"l\" "
			     "data-k=\"wire_mtu\">%u</td></tr>\n",
			     run->wire_mtu);
	emu_html_raw(h, "<tr><th class=\"l\">keys</th><td class=\"l\" data-k=\"keys\">");
	if (run->key_file) {
		emu_html_raw(h, "key file <code>");
		emu_html_text(h, run->key_file);
		emu_html_raw(h, "</code>");
	} else if (run->key_given) {
		emu_html_raw(h, "--key (the secret is not shown)");
	} else {
		emu_html_raw(h, "none given: signed frames were not checked");
	}
	emu_html_raw(h,
		     "</td></tr>\n<tr><th class=\"l\">vnicemu</th><td class=\"l\" "
		     "data-k=\"version\">%s</td></tr>\n</table>\n",
		     VNICEMU_VERSION);
}

int emu_html_close(struct emu_html *h, bool discard, char *err, size_t errlen)
{
	int ret;

	if (!h)
		return 0;
	emu_html_raw(h, "<p class=\"off\">Written by vnicemu %s.</p>\n</body></html>\n",
		     VNICEMU_VERSION);
	ret = h->err;
	if (!ret && (fflush(h->f) || ferror(h->f) || fsync(fileno(h->f))))
		ret = -(errno ? errno : EIO);
	if (fclose(h->f) && !ret)
		ret = -(errno ? errno : EIO);
	if (!ret && !discard && rename(h->tmp, h->path))
		ret = -errno;
	if (ret || discard)
		unlink(h->tmp);
	if (ret)
		snprintf(err, errlen, "%s: cannot write: %s", h->path, strerror(-ret));
	free(h->tmp);
	free(h->path);
	free(h);
	return ret;
}

/* ---- the replay page ---- */

static unsigned long long u(uint64_t v)
{
	return (unsigned long long)v;
}

static bool is_path_element(const char *name)
{
	int f = offload_feature_find(name);
	const struct offload_feature_info *fi = f >= 0 ? offload_feature_info(f) : NULL;

	return fi && fi->dir == OFFLOAD_DIR_PATH;
}

/* The verdict classes of a tap's counters, in the ladder's colours. */
static void tap_classes(const struct offload_tap_stats *t, uint64_t c[HT_NCLASSES])
{
	memset(c, 0, sizeof(uint64_t) * HT_NCLASSES);
	c[HT_VALID] = t->verdicts[MD5SIG_VALID] + t->ao[MD5SIG_AO_VALID];
	c[HT_INVALID] = t->verdicts[MD5SIG_INVALID] + t->ao[MD5SIG_AO_INVALID];
	c[HT_MISSING] = t->verdicts[MD5SIG_MISSING] + t->ao[MD5SIG_AO_MISSING];
	c[HT_UNEXPECTED] = t->verdicts[MD5SIG_UNEXPECTED] + t->ao[MD5SIG_AO_UNEXPECTED];
	c[HT_UNCHECKED] = t->verdicts[MD5SIG_UNCHECKED] + t->ao[MD5SIG_AO_UNCHECKED] +
			  t->ao[MD5SIG_AO_NO_ISN] + t->ao[MD5SIG_AO_UNKNOWN_KEY];
	c[HT_MALFORMED] = t->verdicts[MD5SIG_MALFORMED];
}

/* A bar of a tap's verdict mix (signed frames only), under the arrow into the next box. */
static void svg_tap_bar(struct emu_html *h, const struct offload_tap_stats *t, int x, int y, int w)
{
	static const char *const fill[HT_NCLASSES] = {
		"#2e7d32", "#c62828", "#ef6c00", "#6a1b9a",
		"#9e9e9e", "#f9a825", "#424242", "#cfd8dc",
	};
	uint64_t c[HT_NCLASSES], total = 0;
	double pos = x;

	tap_classes(t, c);
	for (int i = 0; i < HT_NCLASSES; i++)
		total += c[i];
	if (!total) {
		emu_html_raw(h, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"8\" fill=\"#eee\"/>",
			     x, y, w);
		return;
	}
	for (int i = 0; i < HT_NCLASSES; i++) {
		if (!c[i])
			continue;
		double cw = (double)w * (double)c[i] / (double)total;
		emu_html_raw(h,
			     "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"8\" fill=\"%s\">"
			     "<title>%llu %s</title></rect>",
			     pos, y, cw, fill[i], u(c[i]), ht_class_name(i));
		pos += cw;
	}
}

#define BOX_W 150
#define BOX_H 104
#define GAP   40

/* The pipeline as boxes: IN -> stages -> OUT, culprit in red, path elements dashed. */
static void svg_pipeline(struct emu_html *h, const struct offload_stats *s, const char *in,
			 const char *out, const char *id)
{
	unsigned n = s->nstages + 2;
	int width = (int)n * (BOX_W + GAP) - GAP + 20;
	const struct offload_tap_stats *last =
		s->nstages ? &s->stages[s->nstages - 1].tap : &s->guest;

	emu_html_raw(
		h,
		"<svg id=\"%s\" viewBox=\"0 0 %d 150\" "
		"width=\"%d\" style=\"max-width:100%%;height:auto\" role=\"img\">\n"
		"<defs><marker id=\"%s-arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" "
		"markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0L10,5L0,10z\" "
		"fill=\"#555\"/></marker></defs>\n",
		id, width, width, id);
	for (unsigned i = 0; i < n; i++) {
		int x = 10 + (int)i * (BOX_W + GAP), y = 18;
		bool endpoint = i == 0 || i == n - 1;
		const struct offload_stage_stats *st = endpoint ? NULL : &s->stages[i - 1];
		bool culprit = st && (int)(i - 1) == s->culprit;
		bool path = st && is_path_element(st->name);
		const char *stroke = culprit ? "#c62828" : endpoint ? "#1565c0" : "#555";

		if (i) {
			emu_html_raw(
				h,
				"<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#555\" "
				"stroke-width=\"2\" marker-end=\"url(#%s-arrow)\"/>",
				x - GAP + 2, y + 40, x - 2, y + 40, id);
			const struct offload_tap_stats *t =
				i == 1 ? &s->guest : &s->stages[i - 2].tap;
			svg_tap_bar(h, t, x - GAP + 4, y + 48, GAP - 8);
		}
		emu_html_raw(h,
			     "<g><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"6\" "
			     "fill=\"%s\" stroke=\"%s\" stroke-width=\"%d\"%s/>",
			     x, y, BOX_W, BOX_H,
			     culprit		  ? "#ffebee"
			     : st && !st->enabled ? "#f5f5f5"
						  : "#fff",
			     stroke, culprit ? 4 : 2, path ? " stroke-dasharray=\"6 4\"" : "");
		if (culprit)
			emu_html_raw(h,
				     "<text x=\"%d\" y=\"%d\" fill=\"#c62828\" "
				     "font-weight=\"bold\">CULPRIT</text>",
				     x + 4, y - 5);
		else if (path)
			emu_html_raw(h, "<text x=\"%d\" y=\"%d\" fill=\"#555\">path element</text>",
				     x + 4, y - 5);
		emu_html_raw(h, "<text x=\"%d\" y=\"%d\" font-weight=\"bold\">", x + 8, y + 18);
		emu_html_text(h, endpoint ? (i ? out : in) : st->name);
		if (st)
			emu_html_raw(h, "%s", st->enabled ? " (on)" : " (off)");
		emu_html_raw(h, "</text>");
		if (endpoint) {
			const struct offload_tap_stats *t = i ? last : &s->guest;
			uint64_t c[HT_NCLASSES];
			tap_classes(t, c);
			emu_html_raw(h,
				     "<text x=\"%d\" y=\"%d\">%llu frames</text>"
				     "<text x=\"%d\" y=\"%d\" fill=\"#2e7d32\">%llu valid</text>"
				     "<text x=\"%d\" y=\"%d\" fill=\"#c62828\">%llu invalid, %llu "
				     "missing</text></g>\n",
				     x + 8, y + 40, u(t->frames), x + 8, y + 60, u(c[HT_VALID]),
				     x + 8, y + 80, u(c[HT_INVALID]), u(c[HT_MISSING]));
			continue;
		}
		emu_html_raw(h,
			     "<text x=\"%d\" y=\"%d\">in %llu, out %llu</text>"
			     "<text x=\"%d\" y=\"%d\">created %llu, dropped %llu</text>"
			     "<text x=\"%d\" y=\"%d\" fill=\"%s\">invalidated %llu</text>",
			     x + 8, y + 40, u(st->frames_in), u(st->frames_out), x + 8, y + 60,
			     u(st->created), u(st->dropped), x + 8, y + 80,
			     st->invalidated ? "#c62828" : "#555", u(st->invalidated));
		if (st->merged || st->held)
			emu_html_raw(h, "<text x=\"%d\" y=\"%d\">merged %llu, held %llu</text>",
				     x + 8, y + 98, u(st->merged), u(st->held));
		emu_html_raw(h, "</g>\n");
	}
	emu_html_raw(h, "</svg>\n");
}

static void td(struct emu_html *h, const char *key, uint64_t v)
{
	emu_html_raw(h, "<td data-k=\"%s\">%llu</td>", key, u(v));
}

static void tap_tds(struct emu_html *h, const struct offload_tap_stats *t)
{
	for (int v = MD5SIG_VALID; v < MD5SIG_NVERDICTS; v++)
		td(h, md5sig_verdict_str(v), t->verdicts[v]);
}

static bool ao_seen(const struct offload_stats *s)
{
	for (unsigned i = 0; i <= s->nstages; i++) {
		const struct offload_tap_stats *t = i ? &s->stages[i - 1].tap : &s->guest;
		for (int v = MD5SIG_AO_VALID; v < MD5SIG_AO_MALFORMED; v++)
			if (v != MD5SIG_AO_UNSIGNED && t->ao[v])
				return true;
	}
	return false;
}

/* The counters as --json has them, one row a tap, marked for checks (data-*). */
static void counter_table(struct emu_html *h, const struct offload_stats *s, const char *in,
			  const char *out, const char *id)
{
	const struct offload_tap_stats *last =
		s->nstages ? &s->stages[s->nstages - 1].tap : &s->guest;

	emu_html_raw(h,
		     "<table id=\"%s\"><tr><th class=\"l\">tap</th><th>on</th><th>in</th>"
		     "<th>out</th><th>created</th><th>merged</th><th>held</th>"
		     "<th class=\"l\">dropped</th><th class=\"l\">events</th><th>bytes</th>",
		     id);
	for (int v = MD5SIG_VALID; v < MD5SIG_NVERDICTS; v++)
		emu_html_raw(h, "<th>%s</th>", md5sig_verdict_str(v));
	emu_html_raw(h, "<th>invalidated</th><th>TCP-AO</th></tr>\n"
			"<tr data-tap=\"");
	emu_html_text(h, in);
	emu_html_raw(h, "\"><td class=\"l\">");
	emu_html_text(h, in);
	emu_html_raw(h, "</td><td></td><td></td>");
	td(h, "frames", s->guest.frames);
	emu_html_raw(h, "<td></td><td></td><td></td><td></td><td></td>");
	td(h, "bytes", s->guest.bytes);
	tap_tds(h, &s->guest);
	emu_html_raw(h, "<td></td><td></td></tr>\n");
	for (unsigned i = 0; i < s->nstages; i++) {
		const struct offload_stage_stats *st = &s->stages[i];
		emu_html_raw(h, "<tr data-stage=\"");
		emu_html_text(h, st->name);
		emu_html_raw(h, "\" data-enabled=\"%s\"%s><td class=\"l\">",
			     st->enabled ? "true" : "false",
			     (int)i == s->culprit ? " class=\"culprit\"" : "");
		emu_html_text(h, st->name);
		emu_html_raw(h, "</td><td>%s</td>",
			     st->enabled ? "on" : "<span class=off>off</span>");
		td(h, "frames_in", st->frames_in);
		td(h, "frames_out", st->frames_out);
		td(h, "created", st->created);
		td(h, "merged", st->merged);
		td(h, "held", st->held);
		emu_html_raw(h, "<td class=\"l\" data-k=\"dropped\" data-total=\"%llu\">",
			     u(st->dropped));
		for (unsigned d = 0; d < st->ndrops; d++) {
			emu_html_raw(h, "%s<span data-reason=\"", d ? "<br>" : "");
			emu_html_text(h, st->drops[d].reason);
			emu_html_raw(h, "\" data-count=\"%llu\">%llu ", u(st->drops[d].count),
				     u(st->drops[d].count));
			emu_html_text(h, st->drops[d].reason);
			emu_html_raw(h, "</span>");
		}
		emu_html_raw(h, "</td><td class=\"l\">");
		for (unsigned c = 0; c < st->ncounts; c++) {
			emu_html_raw(h, "%s<span data-event=\"", c ? "<br>" : "");
			emu_html_text(h, st->counts[c].name);
			emu_html_raw(h, "\" data-count=\"%llu\">%llu ", u(st->counts[c].count),
				     u(st->counts[c].count));
			emu_html_text(h, st->counts[c].name);
			emu_html_raw(h, "</span>");
		}
		emu_html_raw(h, "</td>");
		td(h, "bytes", st->tap.bytes);
		tap_tds(h, &st->tap);
		td(h, "invalidated", st->invalidated);
		td(h, "invalidated_ao", st->invalidated_ao);
		emu_html_raw(h, "</tr>\n");
	}
	emu_html_raw(h, "<tr data-tap=\"");
	emu_html_text(h, out);
	emu_html_raw(h, "\"><td class=\"l\">");
	emu_html_text(h, out);
	emu_html_raw(h, "</td><td></td>");
	td(h, "frames", last->frames);
	emu_html_raw(h, "<td></td><td></td><td></td><td></td><td></td><td></td>");
	td(h, "bytes", last->bytes);
	tap_tds(h, last);
	emu_html_raw(h, "<td></td><td></td></tr>\n</table>\n");
	if (!ao_seen(s))
		return;
	emu_html_raw(h,
		     "<p>TCP-AO (RFC 5925) verdicts:</p><table id=\"%s-ao\"><tr>"
		     "<th class=\"l\">tap</th>",
		     id);
	for (int v = MD5SIG_AO_VALID; v < MD5SIG_AO_MALFORMED; v++)
		emu_html_raw(h, "<th>%s</th>", md5sig_ao_verdict_str(v));
	emu_html_raw(h, "</tr>\n");
	for (unsigned i = 0; i <= s->nstages; i++) {
		const struct offload_tap_stats *t = i ? &s->stages[i - 1].tap : &s->guest;
		emu_html_raw(h, "<tr data-ao-tap=\"");
		emu_html_text(h, i ? s->stages[i - 1].name : in);
		emu_html_raw(h, "\"><td class=\"l\">");
		emu_html_text(h, i ? s->stages[i - 1].name : in);
		emu_html_raw(h, "</td>");
		for (int v = MD5SIG_AO_VALID; v < MD5SIG_AO_MALFORMED; v++)
			td(h, md5sig_ao_verdict_str(v), t->ao[v]);
		emu_html_raw(h, "</tr>\n");
	}
	emu_html_raw(h, "</table>\n");
}

/* "a; b; c" as list items */
static void list_items(struct emu_html *h, const char *s)
{
	char buf[600];
	char *save = NULL;

	snprintf(buf, sizeof(buf), "%s", s);
	for (char *it = strtok_r(buf, ";", &save); it; it = strtok_r(NULL, ";", &save)) {
		while (*it == ' ')
			it++;
		emu_html_raw(h, "<li>");
		emu_html_text(h, it);
		emu_html_raw(h, "</li>");
	}
}

const char *emu_html_tcp_flags(uint8_t fl, char buf[static 9])
{
	static const char names[] = "FSRPAUEC";
	int o = 0;

	for (int i = 0; i < 8; i++)
		if (fl & (1u << i))
			buf[o++] = names[i];
	buf[o] = '\0';
	return o ? buf : "-";
}

/* The ladder's row of the frame the culprit first invalidated, or NULL. */
static const struct ht_row *find_row(const struct emu_html_trace *t, uint64_t no)
{
	for (unsigned i = 0; t && i < t->nrows; i++)
		if (t->rows[i].no == no && !t->rows[i].rx)
			return &t->rows[i];
	return NULL;
}

/* "192.0.2.10 > 192.0.2.1" */
static const char *addr_pair(const struct ht_seg *s, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	int fam = s->family == AF_INET6 ? AF_INET6 : AF_INET;

	inet_ntop(fam, s->saddr, a, sizeof(a));
	inet_ntop(fam, s->daddr, b, sizeof(b));
	snprintf(buf, len, "%s > %s", a, b);
	return buf;
}

static const char *port_pair(const struct ht_seg *s, char *buf, size_t len)
{
	snprintf(buf, len, "%u > %u", s->sport, s->dport);
	return buf;
}

/* One field going into a stage (@x) and coming out (@y). */
static void field_row(struct emu_html *h, const char *name, const char *x, const char *y)
{
	bool ch = strcmp(x, y) != 0;

	emu_html_raw(h,
		     "<tr data-field=\"%s\" data-changed=\"%s\"><td class=\"l\">%s</td>"
		     "<td class=\"mono\">",
		     name, ch ? "true" : "false", name);
	emu_html_text(h, x);
	emu_html_raw(h, "</td><td class=\"mono\">");
	emu_html_text(h, y);
	emu_html_raw(h, "</td><td class=\"l\">%s</td></tr>\n",
		     ch ? "<b style=\"color:#c62828\">changed</b>" : "unchanged");
}

/* Before and after the culprit, field by field, from the ladder. */
static void field_table(struct emu_html *h, const struct ht_row *r, unsigned k,
			const struct offload_why *w)
{
	const struct ht_cell *pc = &r->cell[k], *cc = &r->cell[k + 1];
	const struct ht_seg *p = NULL, *c = NULL;
	char a[INET6_ADDRSTRLEN * 2 + 4], b[sizeof(a)], x[sizeof(a)], y[sizeof(a)];

	for (unsigned i = 0; i < cc->nsegs; i++)
		if (cc->segs[i].seg_no == w->seg_no)
			c = &cc->segs[i];
	if (pc->nsegs == 1)
		p = &pc->segs[0];
	for (unsigned i = 0; !p && i < pc->nsegs; i++)
		if (pc->segs[i].seg_no == w->seg_no)
			p = &pc->segs[i];
	if (!p || !c || !p->tcp || !c->tcp)
		return;
	emu_html_raw(h, "<table id=\"fields\"><tr><th class=\"l\">field</th><th>into the stage</th>"
			"<th>out of it</th><th class=\"l\"></th></tr>\n");
#define ROW(name, fmt, pv, cv)                   \
	do {                                     \
		snprintf(x, sizeof(x), fmt, pv); \
		snprintf(y, sizeof(y), fmt, cv); \
		field_row(h, name, x, y);        \
	} while (0)
	ROW("addresses", "%s", addr_pair(p, a, sizeof(a)), addr_pair(c, b, sizeof(b)));
	ROW("ports", "%s", port_pair(p, a, sizeof(a)), port_pair(c, b, sizeof(b)));
	ROW("pseudo-header length", "%u", p->tcp_len, c->tcp_len);
	ROW("seq", "%u", p->seq, c->seq);
	ROW("ack", "%u", p->ack, c->ack);
	ROW("data offset", "%u", p->thlen, c->thlen);
	ROW("flags", "%s", emu_html_tcp_flags(p->flags, a), emu_html_tcp_flags(c->flags, b));
	ROW("window", "%u", p->win, c->win);
	ROW("urgent pointer", "%u", p->urp, c->urp);
	ROW("payload length", "%u", p->plen, c->plen);
	ROW(w->ao ? "MAC (first bytes, not covered)" : "digest (first bytes, not covered)", "%s",
	    p->digest, c->digest);
#undef ROW
	emu_html_raw(h, "</table>\n");
}

static void explanation(struct emu_html *h, const struct offload_stats *s,
			const struct emu_html_trace *ladder)
{
	emu_html_raw(h, "<h2 id=\"why\">Why</h2>\n");
	if (s->culprit < 0) {
		emu_html_raw(h, "<p>No stage invalidated a valid %s.</p>\n",
			     s->verified ? "digest" : "digest (nothing was verified)");
		return;
	}
	for (unsigned i = 0; i < s->nstages; i++) {
		const struct offload_stage_stats *st = &s->stages[i];
		if (!st->invalidated || !st->has_why)
			continue;
		const struct offload_why *w = &st->why;
		emu_html_raw(h, "<div class=\"why\" data-stage=\"");
		emu_html_text(h, st->name);
		emu_html_raw(h, "\" data-guest-frame=\"%llu\" data-segment=\"%u\"><h3>%s ",
			     u(w->guest_no), w->seg_no + 1u,
			     (int)i == s->culprit ? "Culprit" : "Also");
		emu_html_text(h, st->name);
		emu_html_raw(
			h,
			": invalidated %llu frames</h3>\n<p>First: guest frame %llu, "
			"segment %u of %u, valid &rarr; %s%s.</p>\n",
			u(st->invalidated), u(w->guest_no), w->seg_no + 1u, (unsigned)w->seg_count,
			w->ao ? md5sig_ao_verdict_str(w->ao_after) : md5sig_verdict_str(w->after),
			w->ao ? " (TCP-AO)" : "");
		emu_html_raw(h, "<div class=\"two\"><div><b>covered fields changed</b>"
				"<ul class=\"changed\">");
		list_items(h, w->changed);
		emu_html_raw(h, "</ul></div><div><b>covered fields unchanged</b>"
				"<ul class=\"unchanged\">");
		list_items(h, w->unchanged);
		emu_html_raw(h, "</ul></div></div>\n");
		const struct ht_row *r =
			(int)i == s->culprit ? find_row(ladder, w->guest_no) : NULL;
		if (r && i + 1 < r->ntaps)
			field_table(h, r, i, w);
		emu_html_raw(h, "</div>\n");
	}
}

static void key_format(const struct ht_key *k, bool rev, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	int fam = k->family == AF_INET6 ? AF_INET6 : AF_INET;

	inet_ntop(fam, rev ? k->daddr : k->saddr, a, sizeof(a));
	inet_ntop(fam, rev ? k->saddr : k->daddr, b, sizeof(b));
	snprintf(buf, len, "%s.%u > %s.%u", a, rev ? k->dport : k->sport, b,
		 rev ? k->sport : k->dport);
}

static void flows_section(struct emu_html *h, const struct emu_html_trace *t, unsigned last)
{
	char name[128];

	emu_html_raw(h,
		     "<h2 id=\"flows\">Flows</h2>\n<p>Per flow (one direction of a TCP "
		     "connection, as the guest tap saw it), frames and verdicts at the guest "
		     "and wire taps; the first %u flows one by one.</p>\n"
		     "<table id=\"flow-table\"><tr><th class=\"l\">flow</th><th>first frame</th>"
		     "<th>guest frames</th><th>valid</th><th>invalid</th><th>missing</th>"
		     "<th>unsigned</th><th>other</th><th>wire frames</th><th>valid</th>"
		     "<th>invalid</th><th>missing</th><th>unsigned</th><th>other</th></tr>\n",
		     EMU_HTML_FLOWS);
	for (unsigned i = 0; i < t->nflows; i++) {
		const struct ht_flow *f = &t->flows[i];
		key_format(&f->k, false, name, sizeof(name));
		emu_html_raw(h, "<tr data-flow=\"");
		emu_html_text(h, name);
		emu_html_raw(h, "\"><td class=\"l mono\">");
		emu_html_text(h, name);
		emu_html_raw(h, "</td><td>%llu</td>", u(f->first_no));
		unsigned taps[2] = {0, last};
		for (int j = 0; j < 2; j++) {
			const uint64_t *c = f->cls[taps[j]];
			uint64_t other =
				c[HT_UNEXPECTED] + c[HT_UNCHECKED] + c[HT_MALFORMED] + c[HT_OTHER];
			emu_html_raw(
				h,
				"<td data-k=\"%s_frames\">%llu</td><td>%llu</td><td%s>%llu</td>"
				"<td%s>%llu</td><td>%llu</td><td>%llu</td>",
				j ? "wire" : "guest", u(f->frames[taps[j]]), u(c[HT_VALID]),
				c[HT_INVALID] ? " class=\"culprit\"" : "", u(c[HT_INVALID]),
				c[HT_MISSING] ? " class=\"culprit\"" : "", u(c[HT_MISSING]),
				u(c[HT_UNSIGNED]), u(other));
		}
		emu_html_raw(h, "</tr>\n");
	}
	emu_html_raw(h, "</table>\n");
	if (t->other_frames[0])
		emu_html_raw(h,
			     "<p id=\"flows-other\" data-frames=\"%llu\">Further flows: %llu guest "
			     "frames, %llu wire frames (counted together).</p>\n",
			     u(t->other_frames[0]), u(t->other_frames[0]),
			     u(t->other_frames[last]));
	if (t->nontcp)
		emu_html_raw(h, "<p>Frames that are not TCP: %llu.</p>\n", u(t->nontcp));
}

static void chip(struct emu_html *h, const struct ht_seg *s, uint32_t base, bool hit)
{
	char fl[16];

	/* the bulk of a long ladder: kept short */
	emu_html_raw(h, "<span class=\"chip v-%s%s\"%s title=\"", ht_class_name(s->cls),
		     hit ? " hit" : "", hit ? " id=\"first-invalidated\"" : "");
	if (s->tcp)
		emu_html_raw(h, "seq +%u len %u %s win %u %s %s ", s->seq - base, s->plen,
			     emu_html_tcp_flags(s->flags, fl), s->win, s->ao ? "MAC" : "MD5",
			     *s->digest ? s->digest : "none");
	emu_html_text(h, s->verdict);
	emu_html_raw(h, "\">%u</span>", s->tcp ? s->plen : 0);
}

static void ladder_section(struct emu_html *h, const struct emu_html_trace *t,
			   const struct offload_stats *s, const struct offload_stats *rx)
{
	char name[128];
	uint32_t base[2] = {0, 0};
	bool have[2] = {false, false};
	const struct offload_why *w = s->culprit >= 0 ? &s->stages[s->culprit].why : NULL;

	emu_html_raw(h, "<h2 id=\"ladder\">Ladder</h2>\n");
	if (!t->locked) {
		emu_html_raw(h, "<p>No signed flow to follow.</p>\n");
		return;
	}
	key_format(&t->lock, false, name, sizeof(name));
	emu_html_raw(h, "<p>Flow <code id=\"ladder-flow\" data-flow=\"");
	emu_html_text(h, name);
	emu_html_raw(h, "\">");
	emu_html_text(h, name);
	emu_html_raw(
		h,
		"</code> (%s): each capture frame of it, and at every tap the frames made of "
		"it, one chip each, coloured by verdict; the number is the payload length, "
		"details on hover (sequence numbers relative to the first frame shown).%s</p>\n",
		w ? "the flow of the first frame the culprit invalidated, outlined"
		  : "the first signed flow",
		t->skipped ? " Later frames of the flow are left out." : "");
	emu_html_raw(h, "<p class=\"legend\">");
	for (int c = 0; c < HT_NCLASSES; c++)
		emu_html_raw(h, "<span><span class=\"chip v-%s\">&nbsp;</span> %s</span>",
			     ht_class_name(c), ht_class_name(c));
	emu_html_raw(h, "</p>\n<table class=\"ladder\" id=\"ladder-table\"><tr><th>frame</th>"
			"<th class=\"l\">dir</th><th class=\"l\">guest</th>");
	for (unsigned i = 0; i < s->nstages; i++) {
		emu_html_raw(h, "<th class=\"l\">");
		emu_html_text(h, s->stages[i].name);
		emu_html_raw(h, "%s</th>", i + 1 == s->nstages ? " (wire)" : "");
	}
	emu_html_raw(h, "</tr>\n");
	for (unsigned i = 0; i < t->nrows; i++) {
		const struct ht_row *r = &t->rows[i];
		int d = r->dir_rev;
		if (!have[d] && r->cell[0].nsegs && r->cell[0].segs[0].tcp) {
			base[d] = r->cell[0].segs[0].seq;
			have[d] = true;
		}
		emu_html_raw(h, "<tr data-frame=\"%llu\"%s><td class=\"no\">%llu</td><td>%s</td>",
			     u(r->no), r->rx ? " class=\"rx\"" : "", u(r->no),
			     r->dir_rev ? "&larr;" : "&rarr;");
		unsigned ncols = s->nstages + 1;
		if (r->rx) {
			/* a peer's frame: its own pipeline, wire to guest (its first and last taps) */
			unsigned lastrx = rx && rx->nstages ? rx->nstages : 0;
			emu_html_raw(h, "<td colspan=\"%u\">received: at the wire ", ncols);
			for (unsigned j = 0; j < r->cell[0].nsegs; j++)
				chip(h, &r->cell[0].segs[j], base[d], false);
			emu_html_raw(h, " &rarr; at the guest ");
			for (unsigned j = 0; lastrx && j < r->cell[lastrx].nsegs; j++)
				chip(h, &r->cell[lastrx].segs[j], base[d], false);
			emu_html_raw(h, "</td></tr>\n");
			continue;
		}
		for (unsigned k = 0; k < ncols; k++) {
			const struct ht_cell *c = &r->cell[k];
			emu_html_raw(h, "<td data-tap=\"%u\" data-n=\"%u\">", k, c->n);
			for (unsigned j = 0; j < c->nsegs; j++) {
				bool hit = w && k == (unsigned)s->culprit + 1 &&
					   r->no == w->guest_no && c->segs[j].seg_no == w->seg_no;
				chip(h, &c->segs[j], base[d], hit);
			}
			if (c->n > c->nsegs)
				emu_html_raw(h, " +%u more", c->n - c->nsegs);
			if (!c->n && k)
				emu_html_raw(h, "<span class=off>none</span>");
			emu_html_raw(h, "</td>");
		}
		emu_html_raw(h, "</tr>\n");
	}
	emu_html_raw(h, "</table>\n");
	if (t->skipped)
		emu_html_raw(h, "<p>%llu later frames of this flow are not shown.</p>\n",
			     u(t->skipped));
}

/* The headline: the culprit, or why there is none, as replay's text says it. */
static void headline(struct emu_html *h, const struct offload_stats *s)
{
	uint64_t unchecked = s->guest.unchecked[MD5SIG_UNCHECKED_NO_KEY] +
			     s->guest.unchecked[MD5SIG_UNCHECKED_SNAPLEN] +
			     s->guest.ao[MD5SIG_AO_NO_ISN];

	if (!s->verified) {
		emu_html_raw(h, "<p class=\"verdict unk\" id=\"culprit\" data-culprit=\"\" "
				"data-verified=\"false\">Culprit: not verified (no verification "
				"taps: nothing was checked).</p>\n");
		return;
	}
	if (s->culprit < 0) {
		emu_html_raw(h,
			     "<p class=\"verdict%s\" id=\"culprit\" data-culprit=\"\" "
			     "data-verified=\"true\" data-unchecked=\"%llu\">Culprit: none ",
			     unchecked ? " unk" : "", u(unchecked));
		if (unchecked)
			emu_html_raw(
				h,
				"among the frames checked; not all could be: %llu signed frames "
				"were not checked (no key, cut by the snaplen, or TCP-AO without "
				"the connection's ISNs).</p>\n",
				u(unchecked));
		else
			emu_html_raw(h, "&mdash; no stage invalidated a valid digest.</p>\n");
		return;
	}
	const struct offload_stage_stats *st = &s->stages[s->culprit];
	emu_html_raw(h, "<p class=\"verdict bad\" id=\"culprit\" data-culprit=\"");
	emu_html_text(h, st->name);
	emu_html_raw(h, "\" data-verified=\"true\" data-invalidated=\"%llu\">Culprit: <b>",
		     u(st->invalidated));
	emu_html_text(h, st->name);
	emu_html_raw(h,
		     "</b> invalidated %llu frames; the first: guest frame %llu, segment %u of "
		     "%u.</p>\n",
		     u(st->invalidated), u(st->why.guest_no), st->why.seg_no + 1u,
		     (unsigned)st->why.seg_count);
}

int emu_html_replay(const char *path, const struct emu_html_run *run, const char *capture,
		    const struct emu_replay_result *res, const struct emu_html_trace *flows,
		    const struct emu_html_trace *ladder, char *err, size_t errlen)
{
	struct emu_html *h = emu_html_open(path, "vnicemu replay report", err, errlen);

	if (!h)
		return -errno;
	emu_html_raw(h, "<p>Capture <code id=\"capture\">");
	emu_html_text(h, capture);
	emu_html_raw(h, "</code> through profile <code id=\"profile\">");
	emu_html_text(h, res->profile);
	emu_html_raw(h, "</code>%s", run->path ? ", path <code>" : "");
	if (run->path) {
		emu_html_text(h, run->path);
		emu_html_raw(h, "</code>");
	}
	emu_html_raw(h, ", wire MTU %u.</p>\n", run->wire_mtu);
	headline(h, &res->stats);
	emu_html_raw(h, "<h2 id=\"pipeline\">Pipeline: guest &rarr; wire</h2>\n");
	svg_pipeline(h, &res->stats, "guest", "wire", "svg-tx");
	emu_html_raw(h, "<p class=\"off\">Boxes: each stage's counters; a red box is the culprit, "
			"a dashed one a path element. Bars between boxes: the verdicts of signed "
			"frames at that tap.</p>\n");
	counter_table(h, &res->stats, "guest", "wire", "tx");
	if (res->has_rx) {
		emu_html_raw(h, "<h2 id=\"pipeline-rx\">Receive: wire &rarr; guest (the peer's "
				"frames)</h2>\n");
		svg_pipeline(h, &res->rx, "wire", "guest", "svg-rx");
		counter_table(h, &res->rx, "wire", "guest", "rx");
		emu_html_raw(h, "<p id=\"rx-culprit\" data-culprit=\"");
		if (res->rx.culprit >= 0)
			emu_html_text(h, res->rx.stages[res->rx.culprit].name);
		emu_html_raw(h, "\">Receive culprit: ");
		emu_html_text(h,
			      res->rx.culprit >= 0 ? res->rx.stages[res->rx.culprit].name : "none");
		emu_html_raw(h, "</p>\n");
	}
	explanation(h, &res->stats, ladder);
	if (ladder)
		ladder_section(h, ladder, &res->stats, res->has_rx ? &res->rx : NULL);
	if (flows)
		flows_section(h, flows, res->stats.nstages);
	emu_html_run_section(h, run);
	return emu_html_close(h, false, err, errlen);
}

int emu_html_replay_report(const char *path, const struct emu_html_run *run,
			   const struct emu_replay_config *cfg, const struct emu_replay_result *res,
			   const struct emu_html_trace *trace, char *err, size_t errlen)
{
	const struct offload_stats *s = &res->stats;
	struct emu_html_trace *ladder = NULL;
	struct emu_replay_result *again = NULL;
	int ret = 0;

	if (s->culprit >= 0 && s->stages[s->culprit].has_why) {
		struct emu_replay_config c = *cfg;
		ladder = emu_html_trace_new(s->stages[s->culprit].why.guest_no);
		again = calloc(1, sizeof(*again));
		if (!ladder || !again) {
			snprintf(err, errlen, "out of memory");
			ret = -ENOMEM;
			goto out;
		}
		c.out_dir = NULL;
		c.progress = NULL;
		c.trace = emu_html_trace_tap;
		c.trace_arg = ladder;
		ladder->target_tap = (unsigned)s->culprit + 1;
		ladder->target_seg = s->stages[s->culprit].why.seg_no;
		if ((ret = emu_replay(&c, again, err, errlen)))
			goto out;
	}
	ret = emu_html_replay(path, run, cfg->in_path, res, trace, ladder ? ladder : trace, err,
			      errlen);
out:
	free(again);
	emu_html_trace_free(ladder);
	return ret;
}

int emu_html_check_path(const char *path, const char *const *inputs, size_t n, char *err,
			size_t errlen)
{
	struct stat o;
	int k;

	if (stat(path, &o))
		return 0; /* a new file: nothing to overwrite */
	if (S_ISDIR(o.st_mode)) {
		snprintf(err, errlen, "--report %s: is a directory", path);
		return -EISDIR;
	}
	if ((k = emu_file_among(&o, inputs, n)) >= 0) {
		snprintf(err, errlen, "--report %s: is an input (%s); refusing to overwrite it",
			 path, inputs[k]);
		return -EINVAL;
	}
	return 0;
}
