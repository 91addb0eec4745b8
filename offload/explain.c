// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Explanations: which covered fields a stage changed between its input and an output frame.
 * RFC 2385 covers the pseudo-header (addresses, protocol, TCP length), the fixed TCP header
 * except the checksum (ports, seq, ack, data offset, flags, window, urgent pointer) and the
 * payload; the digest itself sits in an option, which is not hashed. RFC 5925 covers the same,
 * the TCP options too unless the MKT excludes them (the TCP-AO option always, its MAC zeroed),
 * and the SNE, the sequence number's high half.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "internal.h"

bool offload_covered_hdr_differ(const uint8_t *a, const struct md5sig_seg *sa, const uint8_t *b,
				const struct md5sig_seg *sb)
{
	const uint8_t *ta = a + sa->l4_off, *tb = b + sb->l4_off;
	size_t alen = sa->family == AF_INET ? 4 : 16;

	if (sa->family != sb->family || sa->tcp_len != sb->tcp_len || sa->thlen != sb->thlen ||
	    memcmp(sa->saddr, sb->saddr, alen) || memcmp(sa->daddr, sb->daddr, alen))
		return true;
	/* the fixed TCP header but the checksum */
	return memcmp(ta, tb, WIRE_TCP_CSUM) ||
	       memcmp(ta + WIRE_TCP_URP, tb + WIRE_TCP_URP, WIRE_TCP_HLEN - WIRE_TCP_URP);
}

bool offload_covered_differ(const uint8_t *a, const struct md5sig_seg *sa, const uint8_t *b,
			    const struct md5sig_seg *sb)
{
	return offload_covered_hdr_differ(a, sa, b, sb) ||
	       memcmp(a + sa->l4_off + sa->thlen, b + sb->l4_off + sb->thlen,
		      sa->tcp_len - sa->thlen) != 0;
}

struct text {
	char *buf;
	size_t len, used;
};

static void add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct text *t, const char *fmt, ...)
{
	va_list ap;

	if (t->used >= t->len)
		return;
	if (t->used) {
		int n = snprintf(t->buf + t->used, t->len - t->used, "; ");
		t->used += (size_t)n;
		if (t->used >= t->len)
			return;
	}
	va_start(ap, fmt);
	int n = vsnprintf(t->buf + t->used, t->len - t->used, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->used += (size_t)n;
}

static void flag_changes(struct text *t, uint8_t before, uint8_t after)
{
	static const char *const names[8] = {"FIN", "SYN", "RST", "PSH",
					     "ACK", "URG", "ECE", "CWR"};
	char buf[96] = "";
	size_t o = 0;

	for (int i = 0; i < 8; i++) {
		uint8_t bit = (uint8_t)(1u << i);
		if ((before ^ after) & bit)
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s %s", o ? ", " : "",
					      names[i], after & bit ? "set" : "cleared");
	}
	add(t, "flags (%s)", buf);
}

/*
 * Do the options of two segments differ, apart from the TCP-AO option's MAC (the signature
 * itself)? @po and @co are their TCP-AO options, or NULL.
 */
static bool options_differ(const uint8_t *tp, const struct md5sig_seg *ps, const uint8_t *tc,
			   const struct md5sig_seg *cs, const struct md5sig_ao_opt *po,
			   const struct md5sig_ao_opt *co)
{
	uint32_t n = ps->thlen - WIRE_TCP_HLEN;

	if (ps->thlen != cs->thlen || !po != !co)
		return true;
	if (!po)
		return memcmp(tp + WIRE_TCP_HLEN, tc + WIRE_TCP_HLEN, n) != 0;
	uint32_t pa = po->off - ps->l4_off, ca = co->off - cs->l4_off;
	/* before the MAC, the MAC's length, after it */
	return pa != ca || po->len != co->len ||
	       memcmp(tp + WIRE_TCP_HLEN, tc + WIRE_TCP_HLEN, pa + 4 - WIRE_TCP_HLEN) ||
	       memcmp(tp + pa + po->len, tc + ca + co->len, ps->thlen - pa - po->len);
}

/* The TCP-AO part: options (unless excluded), the SNE, the option itself. */
static void explain_ao(struct text *ch, struct text *un, const uint8_t *pf,
		       const struct md5sig_seg *ps, const uint8_t *cf, const struct md5sig_seg *cs,
		       const struct offload_ao_cover *ao)
{
	const uint8_t *tp = pf + ps->l4_off, *tc = cf + cs->l4_off;
	struct md5sig_ao_opt po, co;
	bool hp = md5sig_ao_opt_find(pf, ps, &po) == MD5SIG_AO_OPT_OK;
	bool hc = md5sig_ao_opt_find(cf, cs, &co) == MD5SIG_AO_OPT_OK;

	if (ao->exclude_opts)
		add(un, "options (not covered: the MKT has exclude-options)");
	else if (options_differ(tp, ps, tc, cs, hp ? &po : NULL, hc ? &co : NULL))
		add(ch, "options");
	else
		add(un, "options");
	if (!ao->sne_known)
		add(un, "SNE (connection not known)");
	else if (ao->sne_before != ao->sne_after)
		add(ch, "SNE %u->%u", ao->sne_before, ao->sne_after);
	else
		add(un, "SNE");
	if (hp && !hc)
		add(ch, "TCP-AO option removed");
	else if (hp && po.len == co.len && !memcmp(pf + po.off, cf + co.off, po.len))
		add(ch, "MAC copied unchanged from the input");
	else if (hp)
		add(ch, "MAC rewritten");
}

void offload_explain(const uint8_t *pf, const struct md5sig_seg *ps, const uint8_t *cf,
		     const struct md5sig_seg *cs, const struct offload_ao_cover *ao,
		     struct offload_why *why)
{
	struct text ch = {why->changed, sizeof(why->changed), 0};
	struct text un = {why->unchanged, sizeof(why->unchanged), 0};
	const uint8_t *tp = pf + ps->l4_off, *tc = cf + cs->l4_off;
	size_t alen = ps->family == AF_INET ? 4 : 16;

	why->changed[0] = why->unchanged[0] = '\0';
	if (ps->family != cs->family) {
		add(&ch, "address family");
		return;
	}
	if (memcmp(ps->saddr, cs->saddr, alen) || memcmp(ps->daddr, cs->daddr, alen))
		add(&ch, "addresses");
	else
		add(&un, "addresses");
	if (ps->tcp_len != cs->tcp_len)
		add(&ch, "pseudo-header length %u->%u", ps->tcp_len, cs->tcp_len);
	else
		add(&un, "pseudo-header length");
	if (memcmp(tp, tc, 4))
		add(&ch, "ports");
	else
		add(&un, "ports");
	uint32_t sp = wire_get32(tp + WIRE_TCP_SEQ), sc = wire_get32(tc + WIRE_TCP_SEQ);
	if (sp != sc)
		add(&ch, "seq %+d", (int32_t)(sc - sp));
	else
		add(&un, "seq");
	uint32_t ap = wire_get32(tp + WIRE_TCP_ACK), ac = wire_get32(tc + WIRE_TCP_ACK);
	if (ap != ac)
		add(&ch, "ack %+d", (int32_t)(ac - ap));
	else
		add(&un, "ack");
	if ((tp[WIRE_TCP_DOFF] & 0xf0) != (tc[WIRE_TCP_DOFF] & 0xf0))
		add(&ch, "data offset %u->%u", ps->thlen, cs->thlen);
	else
		add(&un, "data offset");
	if (tp[WIRE_TCP_FLAGS] != tc[WIRE_TCP_FLAGS])
		flag_changes(&ch, tp[WIRE_TCP_FLAGS], tc[WIRE_TCP_FLAGS]);
	else
		add(&un, "flags");
	if (memcmp(tp + WIRE_TCP_WIN, tc + WIRE_TCP_WIN, 2))
		add(&ch, "window %u->%u", wire_get16(tp + WIRE_TCP_WIN),
		    wire_get16(tc + WIRE_TCP_WIN));
	else
		add(&un, "window");
	if (memcmp(tp + WIRE_TCP_URP, tc + WIRE_TCP_URP, 2))
		add(&ch, "urgent pointer");
	else
		add(&un, "urgent pointer");

	uint32_t pl = ps->tcp_len - ps->thlen, cl = cs->tcp_len - cs->thlen;
	int64_t off = (int64_t)(int32_t)(sc - sp);
	const uint8_t *pp = tp + ps->thlen, *cp = tc + cs->thlen;
	if (pl == cl && !memcmp(pp, cp, pl))
		add(&un, "payload");
	else if (off >= 0 && off + cl <= pl && !memcmp(pp + off, cp, cl))
		add(&ch, "payload (bytes %lld-%lld of %u)", (long long)off,
		    (long long)(off + cl - 1), pl);
	else
		add(&ch, "payload rewritten (%u->%u bytes)", pl, cl);

	if (ao) {
		explain_ao(&ch, &un, pf, ps, cf, cs, ao);
		return;
	}
	if (ps->md5_off >= 0 && cs->md5_off < 0)
		add(&ch, "MD5 option removed");
	else if (ps->md5_off >= 0 && !memcmp(pf + ps->md5_off, cf + cs->md5_off, MD5SIG_DIGEST_LEN))
		add(&ch, "digest copied unchanged from the input");
	else if (ps->md5_off >= 0)
		add(&ch, "digest rewritten");
}
