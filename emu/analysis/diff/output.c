// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The report, as text or JSON (docs/diff.md): both captures' counts, per flow every kind of
 * difference with its detail, whether the flow's scheme covers it and the verdicts on both
 * sides, what was not compared and why, the flows seen on one side only, and the elements that
 * explain it all. Flows are written after every pass, into a buffer held back until the
 * comparison is known to make sense; the engine's life (emu_diff_report()) is here too.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "emu/analysis/diff/internal.h"
#include "emu/device/device.h"

static const struct {
	const char *name;   /* stable, for JSON */
	const char *title;  /* for people */
	const char *fields; /* the covered fields it changes, or NULL */
} kinds[DK_NAMES] = {
	[DK_RESEG] = {"resegmented", "resegmented", "TCP length, seq, payload"},
	[DK_SEQ_OFFSET] = {"seq-offset", "sequence numbers shifted", "seq"},
	[DK_ADDR] = {"addresses", "addresses rewritten", "pseudo-header addresses"},
	[DK_OPT_STRIPPED] = {"options-stripped", "TCP options stripped", "data offset, TCP length"},
	[DK_OPT_ADDED] = {"options-added", "TCP options added", "data offset, TCP length"},
	[DK_OPT_CHANGED] = {"options-changed", "TCP options changed", "options"},
	[DK_MSS] = {"mss", "MSS option rewritten", "options"},
	[DK_SIG_REMOVED] = {"md5-removed", "MD5 option removed", NULL},
	[DK_SIG_ADDED] = {"md5-added", "MD5 option added", NULL},
	[DK_SIG_CHANGED] = {"md5-changed", "MD5 digest changed", NULL},
	[DK_SIG_STALE] = {"md5-stale", "MD5 digest copied unchanged", NULL},
	[DK_AO(DK_SIG_REMOVED)] = {"ao-removed", "TCP-AO option removed", NULL},
	[DK_AO(DK_SIG_ADDED)] = {"ao-added", "TCP-AO option added", NULL},
	[DK_AO(DK_SIG_CHANGED)] = {"ao-changed", "TCP-AO MAC changed", NULL},
	[DK_AO(DK_SIG_STALE)] = {"ao-stale", "TCP-AO MAC copied unchanged", NULL},
	[DK_FLAGS_MOVED] = {"flags-moved", "flags moved", "flags"},
	[DK_FLAGS_CHANGED] = {"flags-changed", "flags changed", "flags"},
	[DK_ACK] = {"ack", "ack changed", "ack"},
	[DK_WINDOW] = {"window", "window changed", "window"},
	[DK_URGENT] = {"urgent", "urgent pointer changed", "urgent pointer"},
	[DK_PAYLOAD] = {"payload", "payload changed", "payload"},
	[DK_IPID] = {"ipid", "IPv4 ID rewritten", NULL},
	[DK_TTL] = {"ttl", "TTL rewritten", NULL},
	[DK_TOS] = {"tos", "TOS / traffic class rewritten", NULL},
	[DK_IP_OTHER] = {"ip-other", "other IP header fields changed", NULL},
	[DK_FRAGMENTED] = {"fragmented", "carried in IPv4 fragments", NULL},
	[DK_LINK] = {"link", "link header changed", NULL},
	[DK_TCP_CSUM] = {"tcp-checksum", "TCP checksum rewritten", NULL},
	[DK_IP_CSUM] = {"ip-checksum", "IPv4 header checksum rewritten", NULL},
	[DK_MISSING] = {"missing", "frames missing", NULL},
	[DK_EXTRA] = {"extra", "frames extra", NULL},
	[DK_RETRANS] = {"retransmissions", "retransmissions differ", NULL},
};

static const char *const csum_names[] = {
	[OFFLOAD_CSUM_NONE] = "none",	    [OFFLOAD_CSUM_COMPLETE] = "correct",
	[OFFLOAD_CSUM_PARTIAL] = "partial", [OFFLOAD_CSUM_PARTIAL_NOLEN] = "partial-nolen",
	[OFFLOAD_CSUM_BAD] = "incorrect",
};

static const char *const v5_names[V5_N] = {
	"valid", "invalid", "missing", "unexpected", "unsigned", "unchecked",
};
static const char *const va_names[VA_N] = {
	"valid",       "invalid", "missing",  "unexpected",
	"unknown-key", "no-isn",  "unsigned", "unchecked",
};

/* "frame" or "frames" */
#define PL(n) ((n) == 1 ? "" : "s")

/* Append to the string in @buf (@len bytes), cut at the end. */
void diff_appendf(char *buf, size_t len, const char *fmt, ...)
{
	size_t n = strnlen(buf, len);
	va_list ap;

	if (n + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
}

/* The name index of kind @k in a flow of the TCP-AO scheme (@ao) or not. */
static int name_of(int k, bool ao)
{
	return ao && (BIT(k) & DK_SIG_ANY) ? DK_AO(k) : k;
}

/* "23 valid, 1 invalid" (and @malformed at the end), or "none" */
static void fmt_verdicts(char *buf, size_t len, const unsigned long *v, int n,
			 const char *const *names, unsigned long malformed)
{
	buf[0] = '\0';
	for (int i = 0; i < n; i++)
		if (v[i])
			diff_appendf(buf, len, "%s%lu %s", *buf ? ", " : "", v[i], names[i]);
	if (malformed)
		diff_appendf(buf, len, "%s%lu malformed", *buf ? ", " : "", malformed);
	if (!*buf)
		snprintf(buf, len, "none");
}

static void json_verdicts(FILE *f, const unsigned long *v, int n, const char *const *names)
{
	fprintf(f, "{");
	for (int i = 0; i < n; i++)
		fprintf(f, "%s\"%s\": %lu", i ? ", " : "", names[i], v[i]);
	fprintf(f, "}");
}

/* Has anything of the TCP-AO scheme been seen (options or MKTs)? */
static bool ao_anywhere(const struct emu_diff *d)
{
	if (md5sig_aotab_count(d->ao))
		return true;
	for (int side = GUEST; side <= WIRE; side++)
		if (d->s[side].n != d->s[side].ao[VA_UNSIGNED])
			return true;
	return false;
}

/* "PSH cleared on 40 frames, CWR set on 1 frame" for the flags in @mask. */
static void fmt_flags(char *buf, size_t len, const struct diff_stats *s, uint8_t mask)
{
	static const char *const names[8] = {"FIN", "SYN", "RST", "PSH",
					     "ACK", "URG", "ECE", "CWR"};

	for (int i = 0; i < 8; i++) {
		if (!(mask & (1u << i)))
			continue;
		if (s->flag_clr[i])
			diff_appendf(buf, len, "%s%s cleared on %lu frame%s", *buf ? ", " : "",
				     names[i], s->flag_clr[i], PL(s->flag_clr[i]));
		if (s->flag_set[i])
			diff_appendf(buf, len, "%s%s set on %lu frame%s", *buf ? ", " : "",
				     names[i], s->flag_set[i], PL(s->flag_set[i]));
	}
	if (!*buf)
		diff_appendf(buf, len, "reserved bits");
}

static void addr_of(const struct diff_key *k, bool src, char *buf, size_t len)
{
	inet_ntop(k->family == AF_INET6 ? AF_INET6 : AF_INET, src ? k->saddr : k->daddr, buf,
		  (socklen_t)len);
}

/* A flow pair, for the details. */
struct flow_pair {
	const struct diff_flow *g, *w;
};

/* "source 192.0.2.10 -> 203.0.113.5, port 40000 -> 61000" */
static void fmt_addresses(char *buf, size_t len, const struct flow_pair *fp)
{
	char a[64], b[64];
	size_t alen = fp->g->k.family == AF_INET6 ? 16 : 4;

	for (int src = 1; src >= 0; src--) {
		if (!memcmp(src ? fp->g->k.saddr : fp->g->k.daddr,
			    src ? fp->w->k.saddr : fp->w->k.daddr, alen))
			continue;
		addr_of(&fp->g->k, src, a, sizeof(a));
		addr_of(&fp->w->k, src, b, sizeof(b));
		diff_appendf(buf, len, "%s%s %s -> %s", *buf ? ", " : "",
			     src ? "source" : "destination", a, b);
	}
	if (fp->g->k.sport != fp->w->k.sport)
		diff_appendf(buf, len, "%ssource port %u -> %u", *buf ? ", " : "", fp->g->k.sport,
			     fp->w->k.sport);
	if (fp->g->k.dport != fp->w->k.dport)
		diff_appendf(buf, len, "%sdestination port %u -> %u", *buf ? ", " : "",
			     fp->g->k.dport, fp->w->k.dport);
}

/* The one-line description of kind @k in a flow. */
static void detail(char *buf, size_t len, const struct diff_stats *s, const struct flow_pair *fp,
		   int k)
{
	unsigned long nw = s->n[WIRE][k], ng = s->n[GUEST][k];

	buf[0] = '\0';
	switch (k) {
	case DK_RESEG:
		if (s->split)
			diff_appendf(buf, len,
				     "%lu guest frame%s into %lu wire frames, wire MSS %u", ng,
				     PL(ng), s->split, s->mss);
		if (s->coalesced)
			diff_appendf(buf, len, "%s%lu wire frame%s coalescing several guest frames",
				     *buf ? "; " : "", s->coalesced, PL(s->coalesced));
		break;
	case DK_SEQ_OFFSET:
		diff_appendf(buf, len, "by %+d on %lu frame%s", (int32_t)fp->w->delta, nw, PL(nw));
		break;
	case DK_ADDR:
		fmt_addresses(buf, len, fp);
		diff_appendf(buf, len, " on %lu frame%s", nw, PL(nw));
		break;
	case DK_ACK:
		if (fp->w->ack_state == 1)
			diff_appendf(buf, len, "shifted by %+d on %lu frame%s",
				     (int32_t)fp->w->ack_delta, nw, PL(nw));
		else
			diff_appendf(buf, len, "on %lu frame%s", nw, PL(nw));
		break;
	case DK_WINDOW:
		if (s->win_mixed || s->win[0] < 0)
			diff_appendf(buf, len, "on %lu frame%s, by varying amounts", nw, PL(nw));
		else
			diff_appendf(buf, len, "%d -> %d on %lu frame%s", s->win[0], s->win[1], nw,
				     PL(nw));
		break;
	case DK_MSS:
		if (s->mss_mixed || s->mss_opt[0] < 0)
			diff_appendf(buf, len, "on %lu frame%s, to varying values", nw, PL(nw));
		else
			diff_appendf(buf, len, "%d -> %d on %lu frame%s", s->mss_opt[0],
				     s->mss_opt[1], nw, PL(nw));
		break;
	case DK_FRAGMENTED:
		diff_appendf(buf, len, "%lu segment%s in %lu fragments of up to %u bytes", nw,
			     PL(nw), fp->w->frags, fp->w->fragmax);
		break;
	case DK_OPT_STRIPPED:
	case DK_OPT_ADDED:
		diff_appendf(buf, len, "TCP header %u -> %u bytes on %lu frame%s", s->thlen[0],
			     s->thlen[1], nw, PL(nw));
		break;
	case DK_SIG_REMOVED:
		diff_appendf(buf, len, "on %lu frame%s%s", nw, PL(nw),
			     s->sig_nops == nw ? " (overwritten with NOPs)" : "");
		break;
	case DK_SIG_CHANGED:
		diff_appendf(buf, len, "on %lu frame%s (%lu valid)", nw, PL(nw), s->sig_valid);
		break;
	case DK_SIG_STALE:
		diff_appendf(buf, len, "into %lu frame%s whose covered fields changed", nw, PL(nw));
		break;
	case DK_FLAGS_MOVED:
		fmt_flags(buf, len, s, WIRE_TCP_F_PSH | WIRE_TCP_F_FIN | WIRE_TCP_F_CWR);
		break;
	case DK_FLAGS_CHANGED:
		fmt_flags(buf, len, s,
			  (uint8_t) ~(WIRE_TCP_F_PSH | WIRE_TCP_F_FIN | WIRE_TCP_F_CWR));
		break;
	case DK_PAYLOAD:
		diff_appendf(buf, len, "%lu bytes differ in %lu frame%s", fp->w->payload_bytes, nw,
			     PL(nw));
		break;
	case DK_IPID:
		if (s->id_inc)
			diff_appendf(buf, len, "ID0 + i on %lu segment%s of split frames",
				     s->id_inc, PL(s->id_inc));
		if (nw > s->id_inc)
			diff_appendf(buf, len, "%srewritten on %lu frame%s", *buf ? "; " : "",
				     nw - s->id_inc, PL(nw - s->id_inc));
		break;
	case DK_TTL:
		if (s->ttl_mixed)
			diff_appendf(buf, len, "on %lu frame%s, by varying amounts", nw, PL(nw));
		else
			diff_appendf(buf, len, "%d -> %d on %lu frame%s", s->ttl[0], s->ttl[1], nw,
				     PL(nw));
		break;
	case DK_TCP_CSUM:
		for (int a = 0; a < NCSUM; a++)
			for (int b = 0; b < NCSUM; b++)
				if (s->csum[a][b])
					diff_appendf(buf, len, "%s%s -> %s on %lu",
						     *buf ? "; " : "", csum_names[a], csum_names[b],
						     s->csum[a][b]);
		break;
	case DK_IP_CSUM:
		for (int a = 0; a < 2; a++)
			for (int b = 0; b < 2; b++)
				if (s->ipcsum[a][b])
					diff_appendf(buf, len, "%s%s -> %s on %lu",
						     *buf ? "; " : "", a ? "correct" : "incorrect",
						     b ? "correct" : "incorrect", s->ipcsum[a][b]);
		break;
	case DK_MISSING:
		diff_appendf(buf, len, "%lu guest frame%s never on the wire (%lu payload bytes)",
			     ng, PL(ng), s->missing_bytes);
		break;
	case DK_EXTRA:
		diff_appendf(buf, len, "%lu wire frame%s never in the guest (%lu payload bytes)",
			     nw, PL(nw), s->extra_bytes);
		break;
	case DK_RETRANS:
		diff_appendf(
			buf, len,
			"guest copies the wire did not repeat: %lu; wire copies the guest did not "
			"send: %lu",
			ng, nw);
		break;
	default:
		diff_appendf(buf, len, "on %lu frame%s", nw, PL(nw));
	}
}

/* Does the flow pair's scheme cover kind @k? -1: not a field (frame-level kinds) */
static int covered(const struct flow_pair *fp, int k)
{
	if (DK_FRAMES & BIT(k))
		return -1;
	return !!(diff_covered(fp->g, fp->w) & BIT(k));
}

/* "yes (TCP length, seq, payload)" with TCP-AO's words where they differ from MD5's */
static void fmt_covered(char *buf, size_t len, const struct flow_pair *fp, int k, bool ao)
{
	int c = covered(fp, k);

	snprintf(buf, len, "%s", c < 0 ? "-" : c ? "yes" : "no");
	if (ao && (BIT(k) & DK_COVERED_AO_OPTS)) {
		uint8_t excl = fp->g->ao ? fp->g->ao_excl : fp->w->ao_excl;
		diff_appendf(buf, len, " (%s)",
			     excl == 1 ? "the MKT excludes options"
			     : excl == 0
				     ? "options: TCP-AO covers them"
				     : "options: TCP-AO covers them unless the MKT excludes them");
	} else if (c > 0 && kinds[k].fields) {
		diff_appendf(buf, len, " (%s%s)", kinds[k].fields,
			     ao && (BIT(k) & (BIT(DK_RESEG) | BIT(DK_SEQ_OFFSET)))
				     ? ", with its SNE"
				     : "");
	}
}

static void json_endpoint(FILE *f, const struct diff_key *k)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

	addr_of(k, true, a, sizeof(a));
	addr_of(k, false, b, sizeof(b));
	fprintf(f, "\"src\": \"%s\", \"sport\": %u, \"dst\": \"%s\", \"dport\": %u", a, k->sport, b,
		k->dport);
}

/* "not compared: 12 wire frames duplicates, 5 guest frames before the wire capture began..." */
static void fmt_not_compared(char *buf, size_t len, const struct flow_pair *fp)
{
	static const char *const side_name[2] = {"guest", "wire"};

	buf[0] = '\0';
	for (int side = GUEST; side <= WIRE; side++) {
		const struct diff_flow *fl = side == GUEST ? fp->g : fp->w;
		const char *other = side_name[!side];
		if (fl->dups)
			diff_appendf(buf, len,
				     "%s%lu %s frame%s exact cop%s of another (a SPAN port or a "
				     "second interface)",
				     *buf ? "; " : "", fl->dups, side_name[side], PL(fl->dups),
				     fl->dups == 1 ? "y" : "ies");
		if (fl->out[0])
			diff_appendf(buf, len, "%s%lu %s frame%s before the %s capture began",
				     *buf ? "; " : "", fl->out[0], side_name[side], PL(fl->out[0]),
				     other);
		if (fl->out[1])
			diff_appendf(buf, len, "%s%lu %s frame%s after the %s capture ended",
				     *buf ? "; " : "", fl->out[1], side_name[side], PL(fl->out[1]),
				     other);
	}
	if (fp->w->cut)
		diff_appendf(buf, len,
			     "%s%lu payload byte%s of %lu wire frame%s not captured on both sides "
			     "(snaplen)",
			     *buf ? "; " : "", fp->w->cut_bytes, PL(fp->w->cut_bytes), fp->w->cut,
			     PL(fp->w->cut));
	if (fp->g->optcut + fp->w->optcut)
		diff_appendf(buf, len, "%sthe options of %lu frame%s (snaplen)", *buf ? "; " : "",
			     fp->g->optcut + fp->w->optcut, PL(fp->g->optcut + fp->w->optcut));
}

static bool flow_is_ao(const struct flow_pair *fp)
{
	return fp->g->ao || fp->w->ao;
}

static void print_flow_human(FILE *f, const struct flow_pair *fp, const struct diff_stats *s)
{
	char name[128], wname[128], a[256], b[256], text[512];
	bool any = false, ao = flow_is_ao(fp);
	const char *scheme = ao ? "ao" : "md5";

	diff_key_format(&fp->g->k, name, sizeof(name));
	fprintf(f, "flow %s", name);
	if (memcmp(&fp->g->k, &fp->w->k, sizeof(fp->g->k))) {
		diff_key_format(&fp->w->k, wname, sizeof(wname));
		fprintf(f, " (on the wire %s)", wname);
	}
	fprintf(f, ": guest %lu frames, wire %lu frames, %lu unchanged\n", s->frames[GUEST],
		s->frames[WIRE], s->unchanged);
	for (int k = 0; k < DK_N; k++) {
		if (!s->n[GUEST][k] && !s->n[WIRE][k])
			continue;
		any = true;
		detail(text, sizeof(text), s, fp, k);
		fprintf(f, "  %s: %s\n", kinds[name_of(k, ao)].title, text);
		if (ao) {
			fmt_verdicts(a, sizeof(a), s->va[GUEST][k], VA_N, va_names, 0);
			fmt_verdicts(b, sizeof(b), s->va[WIRE][k], VA_N, va_names, 0);
		} else {
			fmt_verdicts(a, sizeof(a), s->v5[GUEST][k], V5_N, v5_names, 0);
			fmt_verdicts(b, sizeof(b), s->v5[WIRE][k], V5_N, v5_names, 0);
		}
		fmt_covered(text, sizeof(text), fp, k, ao);
		fprintf(f, "    covered: %s; %s: guest %s -> wire %s\n", text, scheme, a, b);
	}
	fmt_not_compared(text, sizeof(text), fp);
	if (!any)
		fprintf(f, "  no differences%s\n", *text ? " in what both captured" : "");
	if (*text)
		fprintf(f, "  not compared: %s\n", text);
	if (!ao || s->md5[GUEST][V5_UNSIGNED] + s->md5[WIRE][V5_UNSIGNED] !=
			   s->frames[GUEST] + s->frames[WIRE]) {
		fmt_verdicts(a, sizeof(a), s->md5[GUEST], V5_N, v5_names, 0);
		fmt_verdicts(b, sizeof(b), s->md5[WIRE], V5_N, v5_names, 0);
		fprintf(f, "  md5 verdicts: guest %s; wire %s\n", a, b);
	}
	if (ao) {
		fmt_verdicts(a, sizeof(a), s->ao[GUEST], VA_N, va_names, 0);
		fmt_verdicts(b, sizeof(b), s->ao[WIRE], VA_N, va_names, 0);
		fprintf(f, "  ao verdicts: guest %s; wire %s\n", a, b);
	}
	fputc('\n', f);
}

static void json_not_compared(FILE *f, const struct diff_flow *fl)
{
	fprintf(f, "{\"duplicates\": %lu, \"before\": %lu, \"after\": %lu, \"options_cut\": %lu}",
		fl->dups, fl->out[0], fl->out[1], fl->optcut);
}

static void print_flow_json(FILE *f, bool first, const struct flow_pair *fp,
			    const struct diff_stats *s)
{
	char name[128], text[512];
	bool any = false, ao = flow_is_ao(fp);

	diff_key_format(&fp->g->k, name, sizeof(name));
	fprintf(f, "%s\n    {\"flow\": ", first ? "" : ",");
	emu_json_string(f, name);
	fprintf(f, ", ");
	json_endpoint(f, &fp->g->k);
	for (int side = GUEST; side <= WIRE; side++) {
		fprintf(f,
			", \"%s\": {\"frames\": %lu, \"md5\": ", side == GUEST ? "guest" : "wire",
			s->frames[side]);
		json_verdicts(f, s->md5[side], V5_N, v5_names);
		fprintf(f, ", \"ao\": ");
		json_verdicts(f, s->ao[side], VA_N, va_names);
		fprintf(f, "}");
	}
	fprintf(f, ", \"unchanged\": %lu, \"differences\": [", s->unchanged);
	for (int k = 0; k < DK_N; k++) {
		if (!s->n[GUEST][k] && !s->n[WIRE][k])
			continue;
		int c = covered(fp, k);
		detail(text, sizeof(text), s, fp, k);
		fprintf(f,
			"%s\n      {\"kind\": \"%s\", \"covered\": %s, \"guest_frames\": %lu, "
			"\"wire_frames\": %lu, \"detail\": ",
			any ? "," : "", kinds[name_of(k, ao)].name,
			c < 0	? "null"
			: c > 0 ? "true"
				: "false",
			s->n[GUEST][k], s->n[WIRE][k]);
		emu_json_string(f, text);
		fprintf(f, ", \"md5\": {\"guest\": ");
		json_verdicts(f, s->v5[GUEST][k], V5_N, v5_names);
		fprintf(f, ", \"wire\": ");
		json_verdicts(f, s->v5[WIRE][k], V5_N, v5_names);
		fprintf(f, "}");
		if (k == DK_RESEG)
			fprintf(f, ", \"mss\": %u, \"split\": %lu, \"coalesced\": %lu", s->mss,
				s->split, s->coalesced);
		else if (k == DK_PAYLOAD)
			fprintf(f, ", \"bytes\": %lu", fp->w->payload_bytes);
		else if (k == DK_MISSING)
			fprintf(f, ", \"bytes\": %lu", s->missing_bytes);
		else if (k == DK_EXTRA)
			fprintf(f, ", \"bytes\": %lu", s->extra_bytes);
		fprintf(f, ", \"ao\": {\"guest\": ");
		json_verdicts(f, s->va[GUEST][k], VA_N, va_names);
		fprintf(f, ", \"wire\": ");
		json_verdicts(f, s->va[WIRE][k], VA_N, va_names);
		fprintf(f, "}");
		if (k == DK_SEQ_OFFSET)
			fprintf(f, ", \"offset\": %d", (int32_t)fp->w->delta);
		else if (k == DK_ACK && fp->w->ack_state == 1)
			fprintf(f, ", \"offset\": %d", (int32_t)fp->w->ack_delta);
		else if (k == DK_WINDOW && !s->win_mixed && s->win[0] >= 0)
			fprintf(f, ", \"from\": %d, \"to\": %d", s->win[0], s->win[1]);
		else if (k == DK_MSS && !s->mss_mixed && s->mss_opt[0] >= 0)
			fprintf(f, ", \"from\": %d, \"to\": %d", s->mss_opt[0], s->mss_opt[1]);
		else if (k == DK_FRAGMENTED)
			fprintf(f, ", \"fragments\": %lu, \"max_fragment\": %u", fp->w->frags,
				fp->w->fragmax);
		fprintf(f, "}");
		any = true;
	}
	fprintf(f, "%s]", any ? "\n    " : "");
	fprintf(f, ", \"scheme\": \"%s\"", ao ? "ao" : "md5");
	if (memcmp(&fp->g->k, &fp->w->k, sizeof(fp->g->k))) {
		diff_key_format(&fp->w->k, name, sizeof(name));
		fprintf(f, ", \"wire_flow\": {\"flow\": ");
		emu_json_string(f, name);
		fprintf(f, ", ");
		json_endpoint(f, &fp->w->k);
		fprintf(f, "}");
	}
	fprintf(f, ", \"not_compared\": {\"guest\": ");
	json_not_compared(f, fp->g);
	fprintf(f, ", \"wire\": ");
	json_not_compared(f, fp->w);
	fprintf(f, ", \"snaplen\": {\"frames\": %lu, \"bytes\": %lu}}}", fp->w->cut,
		fp->w->cut_bytes);
}

/* Flows on one side only: never on the wire, other traffic on the wire, or out of scope. */
static void print_lonely(const struct emu_diff *d, FILE *f, bool json, int side)
{
	static const char *const titles[2][2] = {
		{"flows never on the wire", "flows only on the wire (not compared)"},
		{"flows outside the wire capture (not compared)",
		 "flows outside the guest capture (not compared)"},
	};
	const struct diff_side *s = &d->s[side];
	bool first = true, any = false;
	char name[128];

	if (json)
		fprintf(f, ",\n  \"flows_only_in_%s\": [", side == GUEST ? "guest" : "wire");
	for (int out = 0; out < 2; out++, first = json ? first : true) {
		for (size_t i = 0; i < s->nfl; i++) {
			const struct diff_flow *fl = &s->fl[i];
			if (fl->peer != DIFF_NONE || !!(s->f[s->idx[fl->ib]].st & FR_OUT) != out)
				continue;
			diff_key_format(&fl->k, name, sizeof(name));
			if (json) {
				fprintf(f, "%s{\"flow\": ", first ? "" : ", ");
				emu_json_string(f, name);
				fprintf(f, ", ");
				json_endpoint(f, &fl->k);
				fprintf(f, ", \"frames\": %u, \"out_of_scope\": %s}", fl->n,
					out ? "true" : "false");
			} else {
				fprintf(f, "%s  %s (%u frame%s)\n", first ? titles[out][side] : "",
					name, fl->n, PL(fl->n));
			}
			first = false;
			any = true;
		}
	}
	if (json)
		fprintf(f, "]");
	else if (any)
		fputc('\n', f);
}

static void print_side_json(FILE *f, const char *name, const struct diff_side *s)
{
	fprintf(f, "  \"%s\": {\"file\": ", name);
	emu_json_string(f, s->path);
	fprintf(f,
		", \"link\": \"%s\", \"frames\": %lu, \"tcp\": %zu, \"other\": %lu, "
		"\"fragments\": %lu, \"md5\": ",
		md5sig_linktype_str(s->linktype), s->frames, s->n, s->other, s->fragments);
	json_verdicts(f, s->md5, V5_N, v5_names);
	fprintf(f, ", \"malformed\": %lu, \"ao\": ", s->malformed);
	json_verdicts(f, s->ao, VA_N, va_names);
	fprintf(f,
		", \"unchecked_reasons\": {\"md5\": {\"snaplen\": %lu, \"no-key\": %lu}, \"ao\": "
		"{\"snaplen\": %lu, \"no-key\": %lu}}, \"snaplen\": {\"headers_cut\": %lu, \"payloads_cut\": %lu, "
		"\"bytes_not_captured\": %lu}, \"reassembled\": %lu, \"fragments_left\": %lu",
		s->unchecked[0][WHY_SNAPLEN], s->unchecked[0][WHY_NO_KEY],
		s->unchecked[1][WHY_SNAPLEN], s->unchecked[1][WHY_NO_KEY], s->hdrcut, s->cut,
		s->cut_bytes, s->reasm, s->frag_lost);
	if (s->truncated) {
		fprintf(f, ", \"truncated\": ");
		emu_capin_cut_json(f, &s->trunc);
	}
	fputc('}', f);
}

/* "5 not TCP, 1 malformed, 3 cut inside their TCP headers" or "" */
static void fmt_uncompared(char *buf, size_t len, const struct diff_side *s)
{
	buf[0] = '\0';
	if (s->other)
		diff_appendf(buf, len, "%lu not TCP", s->other);
	if (s->malformed)
		diff_appendf(buf, len, "%s%lu malformed", *buf ? ", " : "", s->malformed);
	if (s->hdrcut)
		diff_appendf(buf, len, "%s%lu cut inside their TCP headers (snaplen)",
			     *buf ? ", " : "", s->hdrcut);
	if (s->frag_lost)
		diff_appendf(buf, len, "%s%lu IP fragment%s never reassembled", *buf ? ", " : "",
			     s->frag_lost, PL(s->frag_lost));
}

/* "md5: 12 signed segments could not be checked: cut by the snaplen" lines */
static void print_unchecked(FILE *out, const struct emu_diff *d)
{
	static const char *const why[WHY_N] = {"cut by the snaplen", "no key given"};
	static const char *const scheme[2] = {"md5", "ao"};

	for (int sc = 0; sc < 2; sc++)
		for (int r = 0; r < WHY_N; r++) {
			unsigned long g = d->s[GUEST].unchecked[sc][r],
				      w = d->s[WIRE].unchecked[sc][r];
			if (g + w)
				fprintf(out,
					"%s: %lu signed segment%s could not be checked (guest %lu, "
					"wire %lu): %s\n",
					scheme[sc], g + w, PL(g + w), g, w, why[r]);
		}
}

static void print_report(struct emu_diff *d, FILE *out, const char *body, size_t bodylen, bool json)
{
	struct diff_expl *e = &d->expl;
	char a[512], b[512];
	bool nic = e->stage && e->nelements && e->etext[0] == e->text;

	if (json) {
		fprintf(out, "{\n");
		print_side_json(out, "guest", &d->s[GUEST]);
		fprintf(out, ",\n");
		print_side_json(out, "wire", &d->s[WIRE]);
		fprintf(out, ",\n  \"flows\": [");
		fwrite(body, 1, bodylen, out);
		fprintf(out, "\n  ]");
		print_lonely(d, out, true, GUEST);
		print_lonely(d, out, true, WIRE);
		fprintf(out, ",\n  \"identical\": %s,\n  \"explanation\": {\"stage\": ",
			!d->c.bits && !d->c.only_guest ? "true" : "false");
		if (e->stage)
			emu_json_string(out, e->stage);
		else
			fprintf(out, "null");
		fprintf(out, ", \"quirks\": {");
		for (unsigned i = 0; i < e->nquirks; i++)
			fprintf(out, "%s\"%s\": \"%s\"", i ? ", " : "", e->quirk[i][0],
				e->quirk[i][1]);
		fprintf(out, "}, \"text\": ");
		emu_json_string(out, e->text);
		fprintf(out, ", \"elements\": [");
		for (unsigned i = 0; i < e->nelements; i++) {
			fprintf(out, "%s{\"stage\": \"%s\", \"text\": ", i ? ", " : "",
				e->elements[i]);
			emu_json_string(out, e->etext[i]);
			fprintf(out, "}");
		}
		fprintf(out, "]},\n  \"unexplained\": [");
		for (int k = 0, n = 0; k < DK_NAMES; k++)
			if (e->unexplained & BIT64(k))
				fprintf(out, "%s\"%s\"", n++ ? ", " : "", kinds[k].name);
		fprintf(out, "],\n  \"swapped\": %s, \"warnings\": [",
			d->swapped ? "true" : "false");
		if (*d->warning)
			emu_json_string(out, d->warning);
		fprintf(out, "]\n}\n");
		return;
	}

	fprintf(out, "diff %s (guest, %lu frames) -> %s (wire, %lu frames), %s", d->s[GUEST].path,
		d->s[GUEST].frames, d->s[WIRE].path, d->s[WIRE].frames,
		md5sig_linktype_str(d->s[GUEST].linktype));
	if (d->s[GUEST].linktype != d->s[WIRE].linktype)
		fprintf(out, " -> %s (compared from the IP header on)",
			md5sig_linktype_str(d->s[WIRE].linktype));
	fputc('\n', out);
	if (*d->warning)
		fprintf(out, "warning: %s\n", d->warning);
	fmt_verdicts(a, sizeof(a), d->s[GUEST].md5, V5_N, v5_names, d->s[GUEST].malformed);
	fmt_verdicts(b, sizeof(b), d->s[WIRE].md5, V5_N, v5_names, d->s[WIRE].malformed);
	fprintf(out, "md5 verdicts: guest %s; wire %s%s\n", a, b,
		d->keys ? "" : " (no key given: digests not checked)");
	if (ao_anywhere(d)) {
		fmt_verdicts(a, sizeof(a), d->s[GUEST].ao, VA_N, va_names, 0);
		fmt_verdicts(b, sizeof(b), d->s[WIRE].ao, VA_N, va_names, 0);
		fprintf(out, "ao verdicts: guest %s; wire %s\n", a, b);
	}
	print_unchecked(out, d);
	fmt_uncompared(a, sizeof(a), &d->s[GUEST]);
	fmt_uncompared(b, sizeof(b), &d->s[WIRE]);
	if (*a || *b)
		fprintf(out, "not compared: guest %s; wire %s\n", *a ? a : "none", *b ? b : "none");
	for (int side = GUEST; side <= WIRE; side++)
		if (d->s[side].fragments)
			fprintf(out,
				"fragments: %s %lu IP fragment%s of TCP segments, %lu segment%s "
				"reassembled\n",
				side == GUEST ? "guest" : "wire", d->s[side].fragments,
				PL(d->s[side].fragments), d->s[side].reasm, PL(d->s[side].reasm));
	if (d->s[GUEST].cut + d->s[WIRE].cut)
		fprintf(out,
			"snaplen: %lu guest and %lu wire frames cut short (%lu and %lu payload bytes "
			"not captured): compared as far as captured\n",
			d->s[GUEST].cut, d->s[WIRE].cut, d->s[GUEST].cut_bytes,
			d->s[WIRE].cut_bytes);
	fputc('\n', out);
	fwrite(body, 1, bodylen, out);
	print_lonely(d, out, false, GUEST);
	print_lonely(d, out, false, WIRE);
	if (nic || !e->nelements)
		fprintf(out, "explanation: %s\n", e->text);
	for (unsigned i = nic; i < e->nelements; i++)
		fprintf(out, "explained by: %s\n", e->etext[i]);
	if (e->unexplained) {
		fprintf(out, "%s",
			!e->nelements	    ? "differences:"
			: e->nelements == 1 ? "not explained by it:"
					    : "not explained by them:");
		for (int k = 0, n = 0; k < DK_NAMES; k++)
			if (e->unexplained & BIT64(k))
				fprintf(out, "%s %s", n++ ? "," : "", kinds[k].title);
		fprintf(out, "%s\n",
			(e->unexplained & BIT64(DK_TTL)) ? " (a rewritten TTL is a router's work)"
							 : "");
	}
}

/* Reset what a comparison found, so that it can be done again the other way round. */
static void reset(struct emu_diff *d)
{
	struct diff_cmp keep = {.tasks = d->c.tasks,
				.tcap = d->c.tcap,
				.cand = d->c.cand,
				.iv = {d->c.iv[0], d->c.iv[1]}};

	d->c = keep;
	for (int side = GUEST; side <= WIRE; side++) {
		struct diff_side *s = &d->s[side];
		for (size_t j = 0; j < s->n; j++) {
			struct diff_frame *f = &s->f[j];
			f->origin = DIFF_NONE;
			f->uses = f->pieces = f->bits = f->unexplained = 0;
			f->pmss = 0;
			f->st &= FR_KEEP;
		}
		for (size_t i = 0; i < s->nfl; i++) {
			struct diff_flow *fl = &s->fl[i];
			fl->ack_delta = fl->ack_state = 0;
			fl->dups = fl->out[0] = fl->out[1] = fl->cut = fl->cut_bytes = 0;
			fl->payload_bytes = fl->missing_bytes = fl->extra_bytes = 0;
		}
	}
}

/* Match both captures (the other way round when they look swapped). Return: 0 or -ENOMEM. */
static int compare(struct emu_diff *d)
{
	int r;

	if ((r = diff_build_flows(d)) || (r = diff_match(d)))
		return r;
	if (!diff_direction(d))
		return 0;
	char warning[sizeof(d->warning)];
	struct diff_side s = d->s[GUEST];
	memcpy(warning, d->warning, sizeof(warning));
	d->s[GUEST] = d->s[WIRE];
	d->s[WIRE] = s;
	d->swapped = true;
	reset(d);
	if ((r = diff_build_flows(d)) || (r = diff_match(d)))
		return r;
	memcpy(d->warning, warning, sizeof(warning));
	return 0;
}

int emu_diff_report(struct emu_diff *d, FILE *out, bool json, char *err, size_t errlen)
{
	const struct diff_side *g = &d->s[GUEST];
	char *body = NULL;
	size_t bodylen = 0;
	bool first = true, common = false;
	FILE *f;
	int r;

	if (d->compared) {
		snprintf(err, errlen, "the captures were compared already");
		return -EALREADY;
	}
	d->compared = true;
	if ((r = compare(d))) {
		snprintf(err, errlen, "out of memory");
		return r;
	}
	for (size_t i = 0; i < g->nfl; i++)
		common |= g->fl[i].peer != DIFF_NONE;
	if (!common) {
		snprintf(err, errlen, "no flow of %s appears in %s", g->path, d->s[WIRE].path);
		return -EINVAL;
	}
	if (!d->c.matched) {
		snprintf(err, errlen,
			 "no frame of %s matches a frame of %s (the same flows with other sequence "
			 "numbers)",
			 d->s[WIRE].path, g->path);
		return -EINVAL;
	}
	diff_scope(d);
	if ((r = diff_payloads(d, err, errlen)))
		return r;
	diff_finish(d);
	diff_explain(d, &d->expl);

	if (!(f = open_memstream(&body, &bodylen))) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	struct diff_stats *s = malloc(sizeof(*s));
	for (uint32_t i = 0; s && i < g->nfl; i++) {
		if (g->fl[i].peer == DIFF_NONE)
			continue;
		struct flow_pair fp = {&g->fl[i], &d->s[WIRE].fl[g->fl[i].peer]};
		diff_flow_stats(d, i, s);
		if (json)
			print_flow_json(f, first, &fp, s);
		else
			print_flow_human(f, &fp, s);
		first = false;
	}
	if (fclose(f) || !s) {
		free(body);
		free(s);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	free(s);
	print_report(d, out, body, bodylen, json);
	free(body);
	return 0;
}

void emu_diff_explain(const struct emu_diff *d, struct emu_diff_explanation *e)
{
	memset(e, 0, sizeof(*e));
	e->stage = d->expl.stage;
	e->nquirks = d->expl.nquirks;
	memcpy(e->quirk, d->expl.quirk, sizeof(e->quirk));
	memcpy(e->text, d->expl.text, sizeof(e->text));
	for (int k = 0; k < DK_NAMES; k++)
		if (d->expl.unexplained & BIT64(k))
			e->unexplained[e->nunexplained++] = kinds[k].name;
	e->identical = d->expl.text[0] && !d->c.bits && !d->c.only_guest;
	e->nelements = d->expl.nelements;
	memcpy(e->elements, d->expl.elements, sizeof(e->elements));
	e->swapped = d->swapped;
}

/* ---- for the HTML page (html.c): the names and words above, shared ---- */

const char *diff_kind_name(int k, bool ao)
{
	return kinds[name_of(k, ao)].name;
}

const char *diff_kind_title(int k, bool ao)
{
	return kinds[name_of(k, ao)].title;
}

const char *diff_kind_name_any(int k)
{
	return k >= 0 && k < DK_NAMES ? kinds[k].title : "?";
}

void diff_kind_detail(char *buf, size_t len, const struct diff_stats *s, const struct diff_flow *g,
		      const struct diff_flow *w, int k)
{
	struct flow_pair fp = {g, w};

	detail(buf, len, s, &fp, k);
}

int diff_kind_covered(const struct diff_flow *g, const struct diff_flow *w, int k)
{
	struct flow_pair fp = {g, w};

	return covered(&fp, k);
}

const char *diff_v5_name(int v)
{
	return v >= 0 && v < V5_N ? v5_names[v] : "?";
}

const char *diff_va_name(int v)
{
	return v >= 0 && v < VA_N ? va_names[v] : "?";
}
