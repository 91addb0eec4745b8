// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Counters as text tables and JSON: a pipeline's (replay, repro), and the live device's, both
 * pipelines and both ports (run's final counters, vnicctl stats).
 */
#include <stdio.h>

#include "emu/device/internal.h"

void emu_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void json_md5(FILE *f, const struct offload_tap_stats *t)
{
	fprintf(f, "{");
	for (int v = MD5SIG_VALID; v < MD5SIG_MALFORMED; v++)
		fprintf(f, "%s\"%s\": %llu", v ? ", " : "", md5sig_verdict_str(v),
			(unsigned long long)t->verdicts[v]);
	fprintf(f, "}, \"malformed\": %llu", (unsigned long long)t->verdicts[MD5SIG_MALFORMED]);
}

static void json_ao(FILE *f, const struct offload_tap_stats *t)
{
	fprintf(f, ", \"ao\": {");
	for (int v = MD5SIG_AO_VALID; v < MD5SIG_AO_MALFORMED; v++)
		fprintf(f, "%s\"%s\": %llu", v ? ", " : "", md5sig_ao_verdict_str(v),
			(unsigned long long)t->ao[v]);
	fprintf(f, "}");
}

void emu_report_json(FILE *f, const struct offload_stats *s, const char *in, const char *out)
{
	const struct offload_tap_stats *last =
		s->nstages ? &s->stages[s->nstages - 1].tap : &s->guest;

	fprintf(f, "\"%s\": {\"frames\": %llu, \"md5\": ", in, (unsigned long long)s->guest.frames);
	json_md5(f, &s->guest);
	json_ao(f, &s->guest);
	fprintf(f, "},\n  \"stages\": [");
	for (unsigned i = 0; i < s->nstages; i++) {
		const struct offload_stage_stats *st = &s->stages[i];
		fprintf(f,
			"%s\n    {\"name\": \"%s\", \"enabled\": %s, \"frames_in\": %llu, "
			"\"frames_out\": %llu, \"created\": %llu, \"merged\": %llu, \"held\": %llu, "
			"\"dropped\": {",
			i ? "," : "", st->name, st->enabled ? "true" : "false",
			(unsigned long long)st->frames_in, (unsigned long long)st->frames_out,
			(unsigned long long)st->created, (unsigned long long)st->merged,
			(unsigned long long)st->held);
		for (unsigned d = 0; d < st->ndrops; d++)
			fprintf(f, "%s\"%s\": %llu", d ? ", " : "", st->drops[d].reason,
				(unsigned long long)st->drops[d].count);
		fprintf(f, "}, ");
		if (st->ncounts) { /* only stages that count events (path elements) have them */
			fprintf(f, "\"counts\": {");
			for (unsigned c = 0; c < st->ncounts; c++)
				fprintf(f, "%s\"%s\": %llu", c ? ", " : "", st->counts[c].name,
					(unsigned long long)st->counts[c].count);
			fprintf(f, "}, ");
		}
		fprintf(f, "\"bytes\": %llu, \"md5\": ", (unsigned long long)st->tap.bytes);
		json_md5(f, &st->tap);
		fprintf(f,
			", \"invalidated\": %llu, \"why\": ", (unsigned long long)st->invalidated);
		if (!st->has_why) {
			fprintf(f, "null");
		} else {
			fprintf(f,
				"{\"guest_frame\": %llu, \"segment\": %u, \"segments\": %u, "
				"\"verdict\": \"%s\", \"changed\": ",
				(unsigned long long)st->why.guest_no, st->why.seg_no + 1u,
				(unsigned)st->why.seg_count,
				st->why.ao ? md5sig_ao_verdict_str(st->why.ao_after)
					   : md5sig_verdict_str(st->why.after));
			emu_json_string(f, st->why.changed);
			fprintf(f, ", \"unchanged\": ");
			emu_json_string(f, st->why.unchanged);
			fprintf(f, ", \"scheme\": \"%s\"}", st->why.ao ? "ao" : "md5");
		}
		json_ao(f, &st->tap);
		fprintf(f, ", \"invalidated_ao\": %llu}", (unsigned long long)st->invalidated_ao);
	}
	fprintf(f, "\n  ],\n  \"%s\": {\"frames\": %llu, \"md5\": ", out,
		(unsigned long long)last->frames);
	json_md5(f, last);
	json_ao(f, last);
	fprintf(f, "},\n  \"culprit\": ");
	if (s->culprit >= 0)
		fprintf(f, "\"%s\"", s->stages[s->culprit].name);
	else
		fprintf(f, "null");
	fprintf(f, ", \"verified\": %s, \"unchecked_reasons\": {", s->verified ? "true" : "false");
	for (int u = 0; u < MD5SIG_UNCHECKED_NREASONS; u++)
		fprintf(f, "%s\"%s\": %llu", u ? ", " : "", md5sig_unchecked_name(u),
			(unsigned long long)s->guest.unchecked[u]);
	fprintf(f, ", \"no-isn\": %llu}", (unsigned long long)s->guest.ao[MD5SIG_AO_NO_ISN]);
}

/* Does any tap hold a frame in @v of RFC 2385 (@ao false) or RFC 5925? */
static bool any_tap(const struct offload_stats *s, bool ao, int v)
{
	if (ao ? s->guest.ao[v] : s->guest.verdicts[v])
		return true;
	for (unsigned i = 0; i < s->nstages; i++)
		if (ao ? s->stages[i].tap.ao[v] : s->stages[i].tap.verdicts[v])
			return true;
	return false;
}

/* Does TCP-AO have anything to show: a verdict other than unsigned at any tap? */
static bool ao_shown(const struct offload_stats *s)
{
	for (int v = MD5SIG_AO_VALID; v < MD5SIG_AO_MALFORMED; v++)
		if (v != MD5SIG_AO_UNSIGNED && any_tap(s, true, v))
			return true;
	return false;
}

static void print_row(FILE *f, const char *name, const char *en, const char *in,
		      unsigned long long out, const char *created, const char *dropped,
		      const struct offload_tap_stats *t, const char *inval, bool unchecked)
{
	fprintf(f, "%-9s %-3s %8s %8llu %8s %8s | %8llu %8llu %7llu %7llu %8llu %6llu", name, en,
		in, out, created, dropped, (unsigned long long)t->verdicts[MD5SIG_VALID],
		(unsigned long long)t->verdicts[MD5SIG_INVALID],
		(unsigned long long)t->verdicts[MD5SIG_MISSING],
		(unsigned long long)t->verdicts[MD5SIG_UNEXPECTED],
		(unsigned long long)t->verdicts[MD5SIG_UNSIGNED],
		(unsigned long long)t->verdicts[MD5SIG_MALFORMED]);
	if (unchecked)
		fprintf(f, " %6llu", (unsigned long long)t->verdicts[MD5SIG_UNCHECKED]);
	fprintf(f, " | %s\n", inval);
}

static void print_ao_row(FILE *f, const char *name, const struct offload_tap_stats *t,
			 unsigned long long inval, bool has_inval)
{
	fprintf(f, "%-9s | %8llu %8llu %7llu %7llu %7llu %6llu %8llu %6llu |", name,
		(unsigned long long)t->ao[MD5SIG_AO_VALID],
		(unsigned long long)t->ao[MD5SIG_AO_INVALID],
		(unsigned long long)t->ao[MD5SIG_AO_MISSING],
		(unsigned long long)t->ao[MD5SIG_AO_UNEXPECTED],
		(unsigned long long)t->ao[MD5SIG_AO_UNKNOWN_KEY],
		(unsigned long long)t->ao[MD5SIG_AO_NO_ISN],
		(unsigned long long)t->ao[MD5SIG_AO_UNSIGNED],
		(unsigned long long)t->ao[MD5SIG_AO_UNCHECKED]);
	if (has_inval)
		fprintf(f, " %llu", inval);
	fputc('\n', f);
}

/*
 * A line for every kind of signed frame the first tap could not check (the frames the rest of
 * the pipeline derives from). Return: how many frames that is.
 */
static unsigned long long unchecked_lines(FILE *f, const struct offload_stats *s)
{
	const struct offload_tap_stats *t = &s->guest;
	unsigned long long nokey = t->unchecked[MD5SIG_UNCHECKED_NO_KEY];
	unsigned long long snap = t->unchecked[MD5SIG_UNCHECKED_SNAPLEN];
	unsigned long long noisn = t->ao[MD5SIG_AO_NO_ISN];

	if (f && nokey)
		fprintf(f,
			"  %llu signed frames could not be checked: no key given (--key or "
			"--key-file)\n",
			nokey);
	if (f && snap)
		fprintf(f,
			"  %llu signed frames could not be checked: the capture cut them short "
			"(snaplen)\n",
			snap);
	if (f && noisn)
		fprintf(f,
			"  %llu TCP-AO frames could not be checked: their connection's ISNs are "
			"unknown (--isn ADDR.PORT=ISN)\n",
			noisn);
	return nokey + snap + noisn;
}

void emu_report_text(FILE *f, const struct offload_stats *s, const char *in)
{
	char fin[24], cr[24], dr[24], inv[24];
	bool unchecked = any_tap(s, false, MD5SIG_UNCHECKED), ao = ao_shown(s);

	fprintf(f, "%-9s %-3s %8s %8s %8s %8s | %8s %8s %7s %7s %8s %6s", "tap", "on", "in", "out",
		"created", "dropped", "valid", "invalid", "missing", "unexp", "unsigned", "malf");
	if (unchecked)
		fprintf(f, " %6s", "unchk");
	fprintf(f, " | %s\n", "invalidated");
	print_row(f, in, "", "", s->guest.frames, "", "", &s->guest, "", unchecked);
	for (unsigned i = 0; i < s->nstages; i++) {
		const struct offload_stage_stats *st = &s->stages[i];
		snprintf(fin, sizeof(fin), "%llu", (unsigned long long)st->frames_in);
		snprintf(cr, sizeof(cr), "%llu", (unsigned long long)st->created);
		snprintf(dr, sizeof(dr), "%llu", (unsigned long long)st->dropped);
		snprintf(inv, sizeof(inv), "%llu", (unsigned long long)st->invalidated);
		print_row(f, st->name, st->enabled ? "on" : "off", fin, st->frames_out, cr, dr,
			  &st->tap, inv, unchecked);
	}
	if (ao) {
		fprintf(f, "\n%-9s | %8s %8s %7s %7s %7s %6s %8s %6s | %s\n", "TCP-AO", "valid",
			"invalid", "missing", "unexp", "unk-key", "no-isn", "unsigned", "unchk",
			"invalidated");
		print_ao_row(f, in, &s->guest, 0, false);
		for (unsigned i = 0; i < s->nstages; i++)
			print_ao_row(f, s->stages[i].name, &s->stages[i].tap,
				     s->stages[i].invalidated_ao, true);
	}
	for (unsigned i = 0; i < s->nstages; i++) {
		const struct offload_stage_stats *st = &s->stages[i];
		for (unsigned d = 0; d < st->ndrops; d++)
			fprintf(f, "  %s dropped %llu: %s\n", st->name,
				(unsigned long long)st->drops[d].count, st->drops[d].reason);
		if (st->merged || st->held)
			fprintf(f, "  %s merged %llu, holds %llu\n", st->name,
				(unsigned long long)st->merged, (unsigned long long)st->held);
		for (unsigned c = 0; c < st->ncounts; c++)
			fprintf(f, "  %s counted %llu %s\n", st->name,
				(unsigned long long)st->counts[c].count, st->counts[c].name);
	}
	fputc('\n', f);
	if (!s->verified) {
		fprintf(f, "culprit: not verified (no verification taps: nothing was checked)\n");
		return;
	}
	if (s->culprit < 0) {
		if (unchecked_lines(NULL, s))
			fprintf(f, "culprit: none among the frames checked; not all could be:\n");
		else
			fprintf(f, "culprit: none — no stage invalidated a valid digest\n");
		unchecked_lines(f, s);
		return;
	}
	for (unsigned i = 0; i < s->nstages; i++) {
		const struct offload_stage_stats *st = &s->stages[i];
		if (!st->invalidated)
			continue;
		fprintf(f,
			"%s %s: invalidated %llu frames; first: guest frame %llu, segment %u/%u, "
			"valid -> %s%s\n",
			(int)i == s->culprit ? "culprit" : "also", st->name,
			(unsigned long long)st->invalidated, (unsigned long long)st->why.guest_no,
			st->why.seg_no + 1u, (unsigned)st->why.seg_count,
			st->why.ao ? md5sig_ao_verdict_str(st->why.ao_after)
				   : md5sig_verdict_str(st->why.after),
			st->why.ao ? " (TCP-AO)" : "");
		fprintf(f, "  covered fields changed: %s\n", st->why.changed);
		if (*st->why.unchanged)
			fprintf(f, "  covered fields unchanged: %s\n", st->why.unchanged);
	}
	if (unchecked_lines(NULL, s)) {
		fprintf(f, "not all signed frames could be checked:\n");
		unchecked_lines(f, s);
	}
}

/* ---- the live device ---- */

static void port_json(FILE *f, const struct emu_port *p)
{
	const struct emu_port_stats *s = &p->stats;

	fprintf(f, "{\"url\": ");
	emu_json_string(f, p->url);
	fprintf(f,
		", \"up\": %s, \"rx_frames\": %llu, \"rx_bytes\": %llu, \"tx_frames\": %llu, "
		"\"tx_bytes\": %llu, \"rx_runts\": %llu, \"tx_lost\": %llu, \"tx_toobig\": %llu, "
		"\"downs\": %llu, \"reconnects\": %llu}",
		p->up ? "true" : "false", (unsigned long long)s->rx_frames,
		(unsigned long long)s->rx_bytes, (unsigned long long)s->tx_frames,
		(unsigned long long)s->tx_bytes, (unsigned long long)s->rx_runts,
		(unsigned long long)s->tx_lost, (unsigned long long)s->tx_toobig,
		(unsigned long long)s->downs, (unsigned long long)s->reconnects);
}

static void port_text(FILE *f, const struct emu_port *p)
{
	const struct emu_port_stats *s = &p->stats;

	fprintf(f,
		"%s port %s: %s; in %llu frames, out %llu, lost %llu, too big %llu, runts %llu, "
		"went away %llu times, reconnected %llu\n",
		p->name, p->url, p->up ? "up" : "DOWN", (unsigned long long)s->rx_frames,
		(unsigned long long)s->tx_frames, (unsigned long long)s->tx_lost,
		(unsigned long long)s->tx_toobig, (unsigned long long)s->rx_runts,
		(unsigned long long)s->downs, (unsigned long long)s->reconnects);
}

void emu_device_report(struct emu_device *d, FILE *f, bool json)
{
	struct offload_stats ts, rs;
	struct md5sig_ao_flow_stats fl;

	offload_pipeline_stats(d->tx, &ts);
	offload_pipeline_stats(d->rx, &rs);
	md5sig_ao_flows_stats(d->flows, &fl);
	if (json) {
		fprintf(f, "{\"profile\": ");
		emu_json_string(f, d->profile->name);
		fprintf(f, ", \"wire_mtu\": %u,\n \"tx\": {", d->cfg->wire_mtu);
		emu_report_json(f, &ts, "guest", "wire");
		fprintf(f, "},\n \"rx\": {");
		emu_report_json(f, &rs, "wire", "guest");
		fprintf(f, "},\n \"ports\": {\"guest\": ");
		port_json(f, &d->guest);
		fprintf(f, ", \"wire\": ");
		port_json(f, &d->wire);
		fprintf(f, "}");
		if (d->cfg->path) {
			fprintf(f, ",\n \"path\": ");
			emu_json_string(f, d->cfg->path);
		}
		fprintf(f,
			",\n \"ao_flows\": {\"flows\": %llu, \"max\": %llu, \"learnt\": %llu, "
			"\"evictions\": %llu}}\n",
			(unsigned long long)fl.flows, (unsigned long long)fl.max,
			(unsigned long long)fl.learnt, (unsigned long long)fl.evictions);
		return;
	}
	fprintf(f, "profile %s%s%s, wire MTU %u\n\ntransmit (guest -> wire):\n", d->profile->name,
		d->cfg->path ? ", path " : "", d->cfg->path ? d->cfg->path : "", d->cfg->wire_mtu);
	emu_report_text(f, &ts, "guest");
	fprintf(f, "\nreceive (wire -> guest):\n");
	emu_report_text(f, &rs, "wire");
	fputc('\n', f);
	port_text(f, &d->guest);
	port_text(f, &d->wire);
	fprintf(f,
		"TCP-AO connections: %llu followed (at most %llu), %llu ISNs learnt, %llu "
		"forgotten to make room\n",
		(unsigned long long)fl.flows, (unsigned long long)fl.max,
		(unsigned long long)fl.learnt, (unsigned long long)fl.evictions);
}
