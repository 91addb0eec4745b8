// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The report, as text or JSON (docs/diff.md): both captures' counts, per flow every kind of
 * difference with its detail, whether RFC 2385 covers it and the verdicts on both sides, the
 * flows seen on one side only, and the explanation. The per-flow part is written while the
 * flows are compared and held back until the comparison is known to make sense.
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
} kinds[DK_N] = {
	[DK_RESEG] = {"resegmented", "resegmented", "TCP length, seq, payload"},
	[DK_OPT_STRIPPED] = {"options-stripped", "TCP options stripped", "data offset, TCP length"},
	[DK_OPT_ADDED] = {"options-added", "TCP options added", "data offset, TCP length"},
	[DK_OPT_CHANGED] = {"options-changed", "TCP options changed", NULL},
	[DK_MD5_REMOVED] = {"md5-removed", "MD5 option removed", NULL},
	[DK_MD5_ADDED] = {"md5-added", "MD5 option added", NULL},
	[DK_MD5_CHANGED] = {"md5-changed", "MD5 digest changed", NULL},
	[DK_MD5_STALE] = {"md5-stale", "MD5 digest copied unchanged", NULL},
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

static void fmt_verdicts(char *buf, size_t len, const unsigned long *v)
{
	buf[0] = '\0';
	for (int i = MD5SIG_VALID; i < MD5SIG_NVERDICTS; i++)
		if (v[i])
			diff_appendf(buf, len, "%s%lu %s", *buf ? ", " : "", v[i],
				     md5sig_verdict_str(i));
	if (!*buf)
		snprintf(buf, len, "none");
}

static void json_verdicts(FILE *f, const unsigned long *v)
{
	fprintf(f, "{");
	for (int i = MD5SIG_VALID; i < MD5SIG_MALFORMED; i++)
		fprintf(f, "%s\"%s\": %lu", i ? ", " : "", md5sig_verdict_str(i), v[i]);
	fprintf(f, "}");
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

/* The one-line description of kind @k in a flow. */
static void detail(char *buf, size_t len, const struct diff_stats *s, int k)
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
	case DK_OPT_STRIPPED:
	case DK_OPT_ADDED:
		diff_appendf(buf, len, "TCP header %u -> %u bytes on %lu frame%s", s->thlen[0],
			     s->thlen[1], nw, PL(nw));
		break;
	case DK_MD5_REMOVED:
		diff_appendf(buf, len, "on %lu frame%s%s", nw, PL(nw),
			     s->md5_nops == nw ? " (overwritten with NOPs)" : "");
		break;
	case DK_MD5_CHANGED:
		diff_appendf(buf, len, "on %lu frame%s (%lu valid)", nw, PL(nw), s->md5_valid);
		break;
	case DK_MD5_STALE:
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
		diff_appendf(buf, len, "%lu bytes differ in %lu frame%s", s->payload_bytes, nw,
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

static const char *covered_str(int k)
{
	return (DK_FRAMES & BIT(k)) ? "-" : (DK_COVERED & BIT(k)) ? "yes" : "no";
}

static void flow_name(const struct md5sig_seg *seg, char *buf, size_t len)
{
	md5sig_seg_format(seg, buf, len);
}

static void json_endpoint(FILE *f, const struct md5sig_seg *seg)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	int af = seg->family == AF_INET6 ? AF_INET6 : AF_INET;

	inet_ntop(af, seg->saddr, a, sizeof(a));
	inet_ntop(af, seg->daddr, b, sizeof(b));
	fprintf(f, "\"src\": \"%s\", \"sport\": %u, \"dst\": \"%s\", \"dport\": %u", a, seg->sport,
		b, seg->dport);
}

static void print_flow_human(FILE *f, const struct md5sig_seg *key, const struct diff_stats *s)
{
	char name[128], a[256], b[256], text[512];
	bool any = false;

	flow_name(key, name, sizeof(name));
	fprintf(f, "flow %s: guest %lu frames, wire %lu frames, %lu unchanged\n", name,
		s->frames[GUEST], s->frames[WIRE], s->unchanged);
	for (int k = 0; k < DK_N; k++) {
		if (!s->n[GUEST][k] && !s->n[WIRE][k])
			continue;
		any = true;
		detail(text, sizeof(text), s, k);
		fprintf(f, "  %s: %s\n", kinds[k].title, text);
		fmt_verdicts(a, sizeof(a), s->v[GUEST][k]);
		fmt_verdicts(b, sizeof(b), s->v[WIRE][k]);
		fprintf(f, "    covered: %s", covered_str(k));
		if (kinds[k].fields)
			fprintf(f, " (%s)", kinds[k].fields);
		fprintf(f, "; md5: guest %s -> wire %s\n", a, b);
	}
	if (!any)
		fprintf(f, "  no differences\n");
	fmt_verdicts(a, sizeof(a), s->verdicts[GUEST]);
	fmt_verdicts(b, sizeof(b), s->verdicts[WIRE]);
	fprintf(f, "  md5 verdicts: guest %s; wire %s\n\n", a, b);
}

static void print_flow_json(FILE *f, bool first, const struct md5sig_seg *key,
			    const struct diff_stats *s)
{
	char name[128], text[512];
	bool any = false;

	flow_name(key, name, sizeof(name));
	fprintf(f, "%s\n    {\"flow\": ", first ? "" : ",");
	emu_json_string(f, name);
	fprintf(f, ", ");
	json_endpoint(f, key);
	for (int side = GUEST; side <= WIRE; side++) {
		fprintf(f,
			", \"%s\": {\"frames\": %lu, \"md5\": ", side == GUEST ? "guest" : "wire",
			s->frames[side]);
		json_verdicts(f, s->verdicts[side]);
		fprintf(f, "}");
	}
	fprintf(f, ", \"unchanged\": %lu, \"differences\": [", s->unchanged);
	for (int k = 0; k < DK_N; k++) {
		if (!s->n[GUEST][k] && !s->n[WIRE][k])
			continue;
		detail(text, sizeof(text), s, k);
		fprintf(f,
			"%s\n      {\"kind\": \"%s\", \"covered\": %s, \"guest_frames\": %lu, "
			"\"wire_frames\": %lu, \"detail\": ",
			any ? "," : "", kinds[k].name,
			(DK_FRAMES & BIT(k))	? "null"
			: (DK_COVERED & BIT(k)) ? "true"
						: "false",
			s->n[GUEST][k], s->n[WIRE][k]);
		emu_json_string(f, text);
		fprintf(f, ", \"md5\": {\"guest\": ");
		json_verdicts(f, s->v[GUEST][k]);
		fprintf(f, ", \"wire\": ");
		json_verdicts(f, s->v[WIRE][k]);
		fprintf(f, "}");
		if (k == DK_RESEG)
			fprintf(f, ", \"mss\": %u, \"split\": %lu, \"coalesced\": %lu", s->mss,
				s->split, s->coalesced);
		else if (k == DK_PAYLOAD)
			fprintf(f, ", \"bytes\": %lu", s->payload_bytes);
		else if (k == DK_MISSING)
			fprintf(f, ", \"bytes\": %lu", s->missing_bytes);
		else if (k == DK_EXTRA)
			fprintf(f, ", \"bytes\": %lu", s->extra_bytes);
		fprintf(f, "}");
		any = true;
	}
	fprintf(f, "%s]}", any ? "\n    " : "");
}

/* Flows on one side only: never on the wire, or other traffic on the wire. */
static void print_lonely(const struct emu_diff *d, FILE *f, bool json, int side)
{
	const char *title =
		side == GUEST ? "flows never on the wire" : "flows only on the wire (not compared)";
	bool first = true;
	char name[128];

	if (json)
		fprintf(f, ",\n  \"flows_only_in_%s\": [", side == GUEST ? "guest" : "wire");
	for (size_t i = 0; i < d->nflows; i++) {
		const struct diff_flow *fl = &d->flows[i];
		size_t n = side == GUEST ? fl->ng : fl->nw;
		if (!n || (side == GUEST ? fl->nw : fl->ng))
			continue;
		uint32_t idx = side == GUEST ? d->gidx[fl->gb] : d->widx[fl->wb];
		const struct md5sig_seg *key = &frame_of(d, side, idx)->seg;
		flow_name(key, name, sizeof(name));
		if (json) {
			fprintf(f, "%s{\"flow\": ", first ? "" : ", ");
			emu_json_string(f, name);
			fprintf(f, ", ");
			json_endpoint(f, key);
			fprintf(f, ", \"frames\": %zu}", n);
		} else {
			fprintf(f, "%s  %s (%zu frame%s)\n", first ? title : "", name, n, PL(n));
		}
		first = false;
	}
	if (json)
		fprintf(f, "]");
	else if (!first)
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
	json_verdicts(f, s->verdicts);
	fprintf(f, ", \"malformed\": %lu}", s->verdicts[MD5SIG_MALFORMED]);
}

/* "5 not TCP (2 IP fragments), 1 malformed" or "" */
static void fmt_uncompared(char *buf, size_t len, const struct diff_side *s)
{
	buf[0] = '\0';
	if (s->other)
		diff_appendf(buf, len, "%lu not TCP", s->other);
	if (s->fragments)
		diff_appendf(buf, len, " (%lu IP fragment%s)", s->fragments, PL(s->fragments));
	if (s->verdicts[MD5SIG_MALFORMED])
		diff_appendf(buf, len, "%s%lu malformed", *buf ? ", " : "",
			     s->verdicts[MD5SIG_MALFORMED]);
}

static void print_report(struct emu_diff *d, FILE *out, const char *body, size_t bodylen, bool json)
{
	struct diff_expl e;
	char a[256], b[256];

	diff_explain(d, &e);
	d->expl = e;
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
			!d->bits && !d->only_guest ? "true" : "false");
		if (e.stage)
			emu_json_string(out, e.stage);
		else
			fprintf(out, "null");
		fprintf(out, ", \"quirks\": {");
		for (unsigned i = 0; i < e.nquirks; i++)
			fprintf(out, "%s\"%s\": \"%s\"", i ? ", " : "", e.quirk[i][0],
				e.quirk[i][1]);
		fprintf(out, "}, \"text\": ");
		emu_json_string(out, e.text);
		fprintf(out, "},\n  \"unexplained\": [");
		for (int k = 0, n = 0; k < DK_N; k++)
			if (e.unexplained & BIT(k))
				fprintf(out, "%s\"%s\"", n++ ? ", " : "", kinds[k].name);
		fprintf(out, "]\n}\n");
		return;
	}

	fprintf(out, "diff %s (guest, %lu frames) -> %s (wire, %lu frames), %s\n", d->s[GUEST].path,
		d->s[GUEST].frames, d->s[WIRE].path, d->s[WIRE].frames,
		md5sig_linktype_str(d->s[GUEST].linktype));
	fmt_verdicts(a, sizeof(a), d->s[GUEST].verdicts);
	fmt_verdicts(b, sizeof(b), d->s[WIRE].verdicts);
	fprintf(out, "md5 verdicts: guest %s; wire %s%s\n", a, b,
		d->keys ? "" : " (no key given: digests not checked)");
	fmt_uncompared(a, sizeof(a), &d->s[GUEST]);
	fmt_uncompared(b, sizeof(b), &d->s[WIRE]);
	if (*a || *b)
		fprintf(out, "not compared: guest %s; wire %s\n", *a ? a : "none", *b ? b : "none");
	fputc('\n', out);
	fwrite(body, 1, bodylen, out);
	print_lonely(d, out, false, GUEST);
	print_lonely(d, out, false, WIRE);
	fprintf(out, "explanation: %s\n", e.text);
	if (e.unexplained) {
		fprintf(out, "%s", e.stage ? "not explained by it:" : "differences:");
		for (int k = 0, n = 0; k < DK_N; k++)
			if (e.unexplained & BIT(k))
				fprintf(out, "%s %s", n++ ? "," : "", kinds[k].title);
		fprintf(out, "%s\n",
			(e.unexplained & BIT(DK_TTL)) ? " (a rewritten TTL is a router's work)"
						      : "");
	}
}

struct flow_printer {
	FILE *f;
	bool json, first;
};

static void print_flow(void *arg, const struct md5sig_seg *key, const struct diff_stats *s)
{
	struct flow_printer *p = arg;

	if (p->json)
		print_flow_json(p->f, p->first, key, s);
	else
		print_flow_human(p->f, key, s);
	p->first = false;
}

int emu_diff_report(struct emu_diff *d, FILE *out, bool json, char *err, size_t errlen)
{
	struct flow_printer p = {.json = json, .first = true};
	char *body = NULL;
	size_t bodylen = 0;
	int ret;

	if (d->compared) {
		snprintf(err, errlen, "the captures were compared already");
		return -EALREADY;
	}
	if (diff_build_flows(d) || !(p.f = open_memstream(&body, &bodylen))) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ret = diff_compare(d, print_flow, &p, err, errlen);
	if (fclose(p.f) && !ret) {
		snprintf(err, errlen, "out of memory");
		ret = -ENOMEM;
	}
	if (!ret)
		print_report(d, out, body, bodylen, json);
	free(body);
	return ret;
}

void emu_diff_explain(const struct emu_diff *d, struct emu_diff_explanation *e)
{
	memset(e, 0, sizeof(*e));
	e->stage = d->expl.stage;
	e->nquirks = d->expl.nquirks;
	memcpy(e->quirk, d->expl.quirk, sizeof(e->quirk));
	memcpy(e->text, d->expl.text, sizeof(e->text));
	for (int k = 0; k < DK_N; k++)
		if (d->expl.unexplained & BIT(k))
			e->unexplained[e->nunexplained++] = kinds[k].name;
	e->identical = d->compared && !d->bits && !d->only_guest;
}
