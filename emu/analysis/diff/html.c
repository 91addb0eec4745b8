// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The diff as an HTML page (emu_diff_html(), emu/analysis/html.h): the comparison
 * emu_diff_report() made, with the same numbers its JSON has, and the frames side by side.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/analysis/diff/internal.h"
#include "emu/analysis/html.h"

/* Both captures' counts, one row a count (the JSON's "guest" and "wire" members). */
static void side_table(struct emu_html *h, const struct emu_diff *d)
{
	const struct diff_side *g = &d->s[GUEST], *w = &d->s[WIRE];
	bool ao = md5sig_aotab_count(d->ao) || g->n != g->ao[VA_UNSIGNED] ||
		  w->n != w->ao[VA_UNSIGNED];

	emu_html_raw(h, "<table id=\"captures\"><tr><th class=\"l\"></th>"
			"<th class=\"l\" data-side=\"guest\">guest</th>"
			"<th class=\"l\" data-side=\"wire\">wire</th></tr>\n"
			"<tr><th class=\"l\">file</th>");
	for (int side = GUEST; side <= WIRE; side++) {
		emu_html_raw(h, "<td class=\"l mono\">");
		emu_html_text(h, d->s[side].path);
		emu_html_raw(h, "</td>");
	}
	emu_html_raw(h, "</tr>\n");
#define COUNT(label, key, fmt, member)                                                            \
	emu_html_raw(h,                                                                           \
		     "<tr data-k=\"" key "\"><th class=\"l\">%s</th><td data-side=\"guest\">" fmt \
		     "</td><td data-side=\"wire\">" fmt "</td></tr>\n",                           \
		     label, g->member, w->member)
	COUNT("frames", "frames", "%lu", frames);
	COUNT("TCP segments", "tcp", "%zu", n);
	COUNT("not TCP", "other", "%lu", other);
	for (int v = 0; v < V5_N; v++)
		emu_html_raw(h,
			     "<tr data-k=\"md5.%s\"><th class=\"l\">md5 %s</th><td "
			     "data-side=\"guest\">%lu</td><td data-side=\"wire\">%lu</td></tr>\n",
			     diff_v5_name(v), diff_v5_name(v), g->md5[v], w->md5[v]);
	COUNT("malformed", "malformed", "%lu", malformed);
#undef COUNT
	for (int v = 0; ao && v < VA_N; v++)
		emu_html_raw(h,
			     "<tr data-k=\"ao.%s\"><th class=\"l\">TCP-AO %s</th><td "
			     "data-side=\"guest\">%lu</td><td data-side=\"wire\">%lu</td></tr>\n",
			     diff_va_name(v), diff_va_name(v), g->ao[v], w->ao[v]);
	emu_html_raw(h, "</table>\n");
}

static void explanation(struct emu_html *h, const struct emu_diff *d)
{
	const struct diff_expl *e = &d->expl;
	bool identical = !d->c.bits && !d->c.only_guest;

	emu_html_raw(h, "<p class=\"verdict%s\" id=\"explanation\" data-stage=\"",
		     identical ? "" : " bad");
	emu_html_text(h, e->stage ? e->stage : "");
	emu_html_raw(h, "\" data-identical=\"%s\" data-swapped=\"%s\">",
		     identical ? "true" : "false", d->swapped ? "true" : "false");
	/* as the text report: the vNIC's words when it explains first, else the elements' */
	bool nic = e->stage && e->nelements && e->etext[0] == e->text;
	if (e->stage) {
		emu_html_raw(h, "Explained by <b>");
		emu_html_text(h, e->stage);
		emu_html_raw(h, "</b>%s", nic || !e->nelements ? ": " : "");
	}
	if (nic || !e->nelements)
		emu_html_text(h, e->text);
	else
		emu_html_raw(h, "%s the path's elements below.",
			     e->stage ? " and" : "Explained by");
	emu_html_raw(h, "</p>\n");
	if (*d->warning) {
		emu_html_raw(h, "<p class=\"verdict unk\" id=\"warning\">");
		emu_html_text(h, d->warning);
		emu_html_raw(h, "</p>\n");
	}
	if (e->nquirks) {
		emu_html_raw(h, "<p>Quirks that explain it: ");
		for (unsigned i = 0; i < e->nquirks; i++) {
			emu_html_raw(h, "%s<code data-quirk=\"", i ? ", " : "");
			emu_html_text(h, e->quirk[i][0]);
			emu_html_raw(h, "\">");
			emu_html_text(h, e->quirk[i][0]);
			emu_html_raw(h, "=");
			emu_html_text(h, e->quirk[i][1]);
			emu_html_raw(h, "</code>");
		}
		emu_html_raw(h, "</p>\n");
	}
	if (e->nelements > (unsigned)nic) {
		emu_html_raw(h, "<ul id=\"elements\">");
		for (unsigned i = nic; i < e->nelements; i++) {
			emu_html_raw(h, "<li data-element=\"");
			emu_html_text(h, e->elements[i]);
			emu_html_raw(h, "\"><b>");
			emu_html_text(h, e->elements[i]);
			emu_html_raw(h, "</b>: ");
			emu_html_text(h, e->etext[i]);
			emu_html_raw(h, "</li>");
		}
		emu_html_raw(h, "</ul>\n");
	}
	if (e->unexplained) {
		emu_html_raw(h, "<p id=\"unexplained\">Not explained: ");
		for (int k = 0, n = 0; k < DK_NAMES; k++)
			if (e->unexplained & BIT64(k)) {
				emu_html_raw(h, "%s", n++ ? ", " : "");
				emu_html_text(h, diff_kind_name_any(k));
			}
		emu_html_raw(h, "</p>\n");
	}
}

static void verdict_list(struct emu_html *h, const unsigned long *v, int n, bool ao)
{
	bool any = false;

	for (int i = 0; i < n; i++)
		if (v[i]) {
			emu_html_raw(h, "%s%lu %s", any ? ", " : "", v[i],
				     ao ? diff_va_name(i) : diff_v5_name(i));
			any = true;
		}
	if (!any)
		emu_html_raw(h, "none");
}

static void flow_section(struct emu_html *h, const struct emu_diff *d, uint32_t gi,
			 struct diff_stats *s)
{
	const struct diff_flow *g = &d->s[GUEST].fl[gi], *w = &d->s[WIRE].fl[g->peer];
	bool ao = g->ao || w->ao;
	char name[128], text[512];

	diff_key_format(&g->k, name, sizeof(name));
	diff_flow_stats(d, gi, s);
	emu_html_raw(h, "<div class=\"flow\" data-flow=\"");
	emu_html_text(h, name);
	emu_html_raw(h,
		     "\" data-guest-frames=\"%lu\" data-wire-frames=\"%lu\" data-unchanged=\"%lu\">"
		     "<h3 class=\"mono\">",
		     s->frames[GUEST], s->frames[WIRE], s->unchanged);
	emu_html_text(h, name);
	if (memcmp(&g->k, &w->k, sizeof(g->k))) {
		diff_key_format(&w->k, name, sizeof(name));
		emu_html_raw(h, " (on the wire ");
		emu_html_text(h, name);
		emu_html_raw(h, ")");
	}
	emu_html_raw(h,
		     "</h3>\n<p>guest %lu frames, wire %lu frames, %lu unchanged; scheme %s. "
		     "Verdicts: guest ",
		     s->frames[GUEST], s->frames[WIRE], s->unchanged, ao ? "TCP-AO" : "TCP-MD5");
	if (ao)
		verdict_list(h, s->ao[GUEST], VA_N, true);
	else
		verdict_list(h, s->md5[GUEST], V5_N, false);
	emu_html_raw(h, "; wire ");
	if (ao)
		verdict_list(h, s->ao[WIRE], VA_N, true);
	else
		verdict_list(h, s->md5[WIRE], V5_N, false);
	emu_html_raw(h, ".</p>\n");
	bool anydiff = false;
	for (int k = 0; k < DK_N; k++)
		anydiff |= s->n[GUEST][k] || s->n[WIRE][k];
	if (!anydiff) {
		emu_html_raw(h, "<p>No differences.</p></div>\n");
		return;
	}
	emu_html_raw(h, "<table><tr><th class=\"l\">difference</th><th>covered</th>"
			"<th>guest frames</th><th>wire frames</th><th class=\"l\">detail</th>"
			"<th class=\"l\">explained</th></tr>\n");
	for (int k = 0; k < DK_N; k++) {
		if (!s->n[GUEST][k] && !s->n[WIRE][k])
			continue;
		int c = diff_kind_covered(g, w, k);
		int nk = ao && (BIT(k) & DK_SIG_ANY) ? DK_AO(k) : k;
		bool unexplained = d->expl.unexplained & BIT64(nk);
		diff_kind_detail(text, sizeof(text), s, g, w, k);
		emu_html_raw(h, "<tr data-kind=\"%s\" data-covered=\"%s\"%s><td class=\"l\">",
			     diff_kind_name(k, ao),
			     c < 0   ? "null"
			     : c > 0 ? "true"
				     : "false",
			     c > 0 ? " class=\"culprit\"" : "");
		emu_html_text(h, diff_kind_title(k, ao));
		emu_html_raw(h,
			     "</td><td>%s</td><td data-k=\"guest_frames\">%lu</td>"
			     "<td data-k=\"wire_frames\">%lu</td><td class=\"l\">",
			     c < 0 ? "-"
			     : c   ? "<b>yes</b>"
				   : "no",
			     s->n[GUEST][k], s->n[WIRE][k]);
		emu_html_text(h, text);
		emu_html_raw(h, "</td><td class=\"l\">%s</td></tr>\n",
			     unexplained ? "<b style=\"color:#c62828\">no</b>" : "yes");
	}
	emu_html_raw(h, "</table></div>\n");
}

static void frame_cells(struct emu_html *h, const struct diff_frame *f, int64_t base, bool ao)
{
	char fl[16];
	const char *v = ao ? diff_va_name(f->aov) : diff_v5_name(f->md5v);
	const char *cls = !strcmp(v, "valid")	   ? "valid"
			  : !strcmp(v, "invalid")  ? "invalid"
			  : !strcmp(v, "missing")  ? "missing"
			  : !strcmp(v, "unsigned") ? "unsigned"
						   : "unchecked";

	emu_html_raw(h,
		     "<td>%u</td><td class=\"mono\">%lld:%lld</td><td>%u</td><td class=\"mono\">%s"
		     "</td><td><span class=\"chip v-%s\">%s</span></td>",
		     f->no, (long long)(f->seq - base), (long long)(f->seq - base + f->plen),
		     f->plen, emu_html_tcp_flags(f->tflags, fl), cls, v);
}

/* A flow's first guest frames (capture order) beside the wire frames matched to them. */
static int pairs_section(struct emu_html *h, const struct emu_diff *d, uint32_t gi)
{
	const struct diff_side *gs = &d->s[GUEST], *ws = &d->s[WIRE];
	const struct diff_flow *g = &gs->fl[gi], *w = &ws->fl[g->peer];
	bool ao = g->ao || w->ao;
	uint32_t shown[EMU_DIFF_HTML_FRAMES];
	unsigned nshown = 0;
	char name[128];

	for (size_t j = g->first; j < gs->n && nshown < EMU_DIFF_HTML_FRAMES; j++)
		if (gs->f[j].flow == gi)
			shown[nshown++] = (uint32_t)j;
	if (!nshown)
		return 0;
	/* for each shown guest frame, the wire frames whose origin it is, in capture order */
	uint32_t *wl = calloc(EMU_DIFF_HTML_FRAMES * 8, sizeof(*wl));
	unsigned *wn = calloc(EMU_DIFF_HTML_FRAMES, sizeof(*wn));
	unsigned long *more = calloc(EMU_DIFF_HTML_FRAMES, sizeof(*more));
	if (!wl || !wn || !more) {
		free(wl);
		free(wn);
		free(more);
		return -ENOMEM;
	}
	for (size_t j = w->first; j < ws->n; j++) {
		const struct diff_frame *f = &ws->f[j];
		if (f->flow != g->peer || f->origin == DIFF_NONE)
			continue;
		for (unsigned i = 0; i < nshown; i++) {
			if (f->origin != shown[i])
				continue;
			if (wn[i] < 8)
				wl[i * 8 + wn[i]++] = (uint32_t)j;
			else
				more[i]++;
			break;
		}
	}
	int64_t base = gs->f[shown[0]].seq;
	diff_key_format(&g->k, name, sizeof(name));
	emu_html_raw(h, "<h3 class=\"mono\">");
	emu_html_text(h, name);
	emu_html_raw(h, "</h3>\n<table class=\"pairs\" data-flow=\"");
	emu_html_text(h, name);
	emu_html_raw(h, "\"><tr><th colspan=\"5\">guest</th><th colspan=\"5\">wire</th>"
			"<th class=\"l\">differences</th></tr>\n<tr><th>frame</th><th>seq</th>"
			"<th>len</th><th>flags</th><th>verdict</th><th>frame</th><th>seq</th>"
			"<th>len</th><th>flags</th><th>verdict</th><th></th></tr>\n");
	for (unsigned i = 0; i < nshown; i++) {
		const struct diff_frame *gf = &gs->f[shown[i]];
		unsigned rows = wn[i] ? wn[i] : 1;
		emu_html_raw(h, "<tr data-guest-frame=\"%u\">", gf->no);
		for (unsigned r = 0; r < rows; r++) {
			if (r)
				emu_html_raw(h, "<tr>");
			if (!r) {
				emu_html_raw(h, "<td rowspan=\"%u\">%u</td>", rows, gf->no);
				emu_html_raw(h,
					     "<td rowspan=\"%u\" class=\"mono\">%lld:%lld</td>"
					     "<td rowspan=\"%u\">%u</td>",
					     rows, (long long)(gf->seq - base),
					     (long long)(gf->seq - base + gf->plen), rows,
					     gf->plen);
				char fl[16];
				const char *v = ao ? diff_va_name(gf->aov) : diff_v5_name(gf->md5v);
				emu_html_raw(h, "<td rowspan=\"%u\" class=\"mono\">%s</td>", rows,
					     emu_html_tcp_flags(gf->tflags, fl));
				emu_html_raw(
					h,
					"<td rowspan=\"%u\"><span class=\"chip v-%s\">%s</span>"
					"</td>",
					rows,
					!strcmp(v, "valid")	 ? "valid"
					: !strcmp(v, "unsigned") ? "unsigned"
								 : "invalid",
					v);
			}
			if (!wn[i]) {
				emu_html_raw(
					h,
					"<td colspan=\"5\" class=\"off\">%s</td><td></td></tr>\n",
					gf->st & FR_OUT ? "outside the wire capture"
							: "no wire frame");
				continue;
			}
			const struct diff_frame *wf = &ws->f[wl[i * 8 + r]];
			frame_cells(h, wf, base, ao);
			emu_html_raw(h, "<td class=\"l\">");
			bool any = false;
			for (int k = 0; k < DK_N; k++) {
				if (!(wf->bits & BIT(k)))
					continue;
				emu_html_raw(h, "%s<span data-kind=\"%s\"%s>", any ? ", " : "",
					     diff_kind_name(k, ao),
					     (wf->unexplained & BIT(k)) ? " style=\"color:#c62828\""
									: "");
				emu_html_text(h, diff_kind_title(k, ao));
				emu_html_raw(h, "%s</span>",
					     (wf->unexplained & BIT(k)) ? " (not explained)" : "");
				any = true;
			}
			if (!any)
				emu_html_raw(h, "<span class=off>unchanged</span>");
			if (r + 1 == rows && more[i])
				emu_html_raw(h, "<br>and %lu more wire frames", more[i]);
			emu_html_raw(h, "</td></tr>\n");
		}
	}
	emu_html_raw(h, "</table>\n");
	free(wl);
	free(wn);
	free(more);
	return 0;
}

int emu_diff_html(const struct emu_diff *d, const char *path, const struct emu_html_run *run,
		  char *err, size_t errlen)
{
	const struct diff_side *g = &d->s[GUEST];
	unsigned nflows = 0, npairs = 0;
	unsigned long common = 0;
	int ret = 0;

	if (!d->compared || !d->expl.text[0]) {
		snprintf(err, errlen, "%s: the captures were not compared", path);
		return -EINVAL;
	}
	struct diff_stats *s = malloc(sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	struct emu_html *h = emu_html_open(path, "vnicemu diff report", err, errlen);
	if (!h) {
		free(s);
		return -errno;
	}
	explanation(h, d);
	emu_html_raw(h, "<h2 id=\"captures-h\">Captures</h2>\n");
	side_table(h, d);
	for (size_t i = 0; i < g->nfl; i++)
		common += g->fl[i].peer != DIFF_NONE;
	emu_html_raw(h,
		     "<h2 id=\"flows\">Flows</h2>\n<p id=\"flow-count\" data-flows=\"%lu\">%lu "
		     "flows on both sides; the first %d are listed.</p>\n",
		     common, common, EMU_DIFF_HTML_FLOWS);
	for (uint32_t i = 0; i < g->nfl && nflows < EMU_DIFF_HTML_FLOWS; i++) {
		if (g->fl[i].peer == DIFF_NONE)
			continue;
		flow_section(h, d, i, s);
		nflows++;
	}
	emu_html_raw(h,
		     "<h2 id=\"frames\">Frames side by side</h2>\n<p>For the first %d flows, "
		     "their first %d guest frames (capture order) and the wire frames matched to "
		     "each by sequence range (sequence numbers relative to the first, on the "
		     "guest's scale); a difference in red is one the explanation does not "
		     "account for.</p>\n",
		     EMU_DIFF_HTML_PAIRS, EMU_DIFF_HTML_FRAMES);
	for (uint32_t i = 0; !ret && i < g->nfl && npairs < EMU_DIFF_HTML_PAIRS; i++) {
		if (g->fl[i].peer == DIFF_NONE)
			continue;
		ret = pairs_section(h, d, i);
		npairs++;
	}
	free(s);
	emu_html_run_section(h, run);
	if (ret) {
		snprintf(err, errlen, "out of memory");
		emu_html_close(h, true, err, 0);
		return ret;
	}
	return emu_html_close(h, false, err, errlen);
}
