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

void emu_report_json(FILE *f, const struct offload_stats *s, const char *in, const char *out)
{
	const struct offload_tap_stats *last =
		s->nstages ? &s->stages[s->nstages - 1].tap : &s->guest;

	fprintf(f, "\"%s\": {\"frames\": %llu, \"md5\": ", in, (unsigned long long)s->guest.frames);
	json_md5(f, &s->guest);
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
			fprintf(f, "null}");
			continue;
		}
		fprintf(f,
			"{\"guest_frame\": %llu, \"segment\": %u, \"segments\": %u, "
			"\"verdict\": \"%s\", \"changed\": ",
			(unsigned long long)st->why.guest_no, st->why.seg_no + 1u,
			(unsigned)st->why.seg_count, md5sig_verdict_str(st->why.after));
		emu_json_string(f, st->why.changed);
		fprintf(f, ", \"unchanged\": ");
		emu_json_string(f, st->why.unchanged);
		fprintf(f, "}}");
	}
	fprintf(f, "\n  ],\n  \"%s\": {\"frames\": %llu, \"md5\": ", out,
		(unsigned long long)last->frames);
	json_md5(f, last);
	fprintf(f, "},\n  \"culprit\": ");
	if (s->culprit >= 0)
		fprintf(f, "\"%s\"", s->stages[s->culprit].name);
	else
		fprintf(f, "null");
}

static void print_row(FILE *f, const char *name, const char *en, const char *in,
		      unsigned long long out, const char *created, const char *dropped,
		      const struct offload_tap_stats *t, const char *inval)
{
	fprintf(f, "%-9s %-3s %8s %8llu %8s %8s | %8llu %8llu %7llu %7llu %8llu %6llu | %s\n", name,
		en, in, out, created, dropped, (unsigned long long)t->verdicts[MD5SIG_VALID],
		(unsigned long long)t->verdicts[MD5SIG_INVALID],
		(unsigned long long)t->verdicts[MD5SIG_MISSING],
		(unsigned long long)t->verdicts[MD5SIG_UNEXPECTED],
		(unsigned long long)t->verdicts[MD5SIG_UNSIGNED],
		(unsigned long long)t->verdicts[MD5SIG_MALFORMED], inval);
}

void emu_report_text(FILE *f, const struct offload_stats *s, const char *in)
{
	char fin[24], cr[24], dr[24], inv[24];

	fprintf(f, "%-9s %-3s %8s %8s %8s %8s | %8s %8s %7s %7s %8s %6s | %s\n", "tap", "on", "in",
		"out", "created", "dropped", "valid", "invalid", "missing", "unexp", "unsigned",
		"malf", "invalidated");
	print_row(f, in, "", "", s->guest.frames, "", "", &s->guest, "");
	for (unsigned i = 0; i < s->nstages; i++) {
		const struct offload_stage_stats *st = &s->stages[i];
		snprintf(fin, sizeof(fin), "%llu", (unsigned long long)st->frames_in);
		snprintf(cr, sizeof(cr), "%llu", (unsigned long long)st->created);
		snprintf(dr, sizeof(dr), "%llu", (unsigned long long)st->dropped);
		snprintf(inv, sizeof(inv), "%llu", (unsigned long long)st->invalidated);
		print_row(f, st->name, st->enabled ? "on" : "off", fin, st->frames_out, cr, dr,
			  &st->tap, inv);
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
	if (s->culprit < 0) {
		fprintf(f, "culprit: none — no stage invalidated a valid digest\n");
		return;
	}
	for (unsigned i = 0; i < s->nstages; i++) {
		const struct offload_stage_stats *st = &s->stages[i];
		if (!st->invalidated)
			continue;
		fprintf(f,
			"%s %s: invalidated %llu frames; first: guest frame %llu, segment %u/%u, "
			"valid -> %s\n",
			(int)i == s->culprit ? "culprit" : "also", st->name,
			(unsigned long long)st->invalidated, (unsigned long long)st->why.guest_no,
			st->why.seg_no + 1u, (unsigned)st->why.seg_count,
			md5sig_verdict_str(st->why.after));
		fprintf(f, "  covered fields changed: %s\n", st->why.changed);
		if (*st->why.unchanged)
			fprintf(f, "  covered fields unchanged: %s\n", st->why.unchanged);
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

	offload_pipeline_stats(d->tx, &ts);
	offload_pipeline_stats(d->rx, &rs);
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
		fprintf(f, "}\n");
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
}
