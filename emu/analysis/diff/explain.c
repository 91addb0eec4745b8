// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The explanation: which elements account for the differences, in path order. The vNIC's:
 * split pieces are held against tso.flags' rules (offload_tso_flag_rules, exported by
 * offload/tso.c), the IPv4 ID rules and what became of the signature option; frames missing
 * only because they were larger than the wire point to tso switched off; completed partial
 * checksums to tx-csum. The path's (the stages issue 13 describes, by their names): a constant
 * per-flow sequence offset, with acks shifted back on the reverse flow (seqrand); the
 * signature option overwritten with NOPs on whole frames (optstrip); rewritten addresses
 * (nat); a rewritten window (window, a shaper); a lowered MSS option (mss-clamp); segments
 * carried in IPv4 fragments (fragment). What fits none stays unexplained.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "emu/analysis/diff/internal.h"

static void quirk(struct diff_expl *e, const char *key, const char *value)
{
	e->quirk[e->nquirks][0] = key;
	e->quirk[e->nquirks++][1] = value;
}

static const char *pf_names(uint8_t pf)
{
	return pf == (WIRE_TCP_F_PSH | WIRE_TCP_F_FIN) ? "PSH/FIN"
	       : pf == WIRE_TCP_F_FIN		       ? "FIN"
						       : "PSH";
}

/* Does flag rule @r contradict nothing the pieces showed? */
static bool flag_rule_fits(const struct diff_tso *t, size_t r)
{
	bool pf[2] = {offload_tso_flag_rules[r].pf_earlier, offload_tso_flag_rules[r].pf_last};
	bool cwr[2] = {offload_tso_flag_rules[r].cwr_later, offload_tso_flag_rules[r].cwr_first};

	if (t->pf_partly)
		return false;
	for (int pos = 0; pos < 2; pos++)
		if (t->pf[pos][!pf[pos]] || t->cwr[pos][!cwr[pos]])
			return false;
	return true;
}

/* Which tso quirks the pieces fit; the parts that fit none stay unexplained. */
static void explain_tso(const struct emu_diff *d, struct diff_expl *e)
{
	const struct diff_tso *t = &d->c.tso;
	size_t nrules = 0;

	while (offload_tso_flag_rules[nrules].quirk)
		nrules++;
	bool cwr_seen = t->cwr[0][0] || t->cwr[0][1] || t->cwr[1][0] || t->cwr[1][1];
	unsigned long signed_pieces = t->pieces - t->sig[SIG_UNSIGNED];
	bool ao = t->sig_ao && t->sig_ao == signed_pieces;
	const char *mac = ao ? "TCP-AO MAC" : t->sig_ao ? "signature" : "MD5 digest";
	const char *opt = ao ? "TCP-AO option" : t->sig_ao ? "signature option" : "MD5 option";
	size_t r = nrules;
	const char *sig = NULL;

	e->stage = "tso";
	if (t->pf_seen || cwr_seen) {
		for (r = 0; r < nrules && !flag_rule_fits(t, r); r++)
			;
		if (r == nrules)
			e->unexplained |= BIT64(DK_FLAGS_MOVED);
	}
	snprintf(e->text, sizeof(e->text),
		 "TSO (%s: ", r < nrules ? offload_tso_flag_rules[r].semantics : "segmentation");

	if (!signed_pieces) {
		diff_appendf(e->text, sizeof(e->text), "options copied into every segment");
	} else if (t->sig[SIG_COPY] == signed_pieces) {
		sig = "copy";
		diff_appendf(e->text, sizeof(e->text),
			     "options incl. the %s copied into every segment", mac);
	} else if (t->sig[SIG_RESIGN] == signed_pieces) {
		sig = "resign";
		diff_appendf(e->text, sizeof(e->text),
			     "options copied, the %s re-signed in every segment", mac);
	} else if (t->sig[SIG_STRIP] == signed_pieces && d->c.path.frames[PE_OPTSTRIP]) {
		/* the path blanks the option on whole frames too: it hides what tso did with it */
		diff_appendf(e->text, sizeof(e->text),
			     "options copied, the %s blanked after it on the path (optstrip)", opt);
	} else if (t->sig[SIG_STRIP] == signed_pieces) {
		sig = "strip";
		diff_appendf(e->text, sizeof(e->text),
			     "the %s overwritten with NOPs in every segment", opt);
	} else {
		diff_appendf(e->text, sizeof(e->text), "the %s treated in no one way", opt);
		for (int k = DK_SIG_REMOVED; k <= DK_SIG_STALE; k++)
			e->unexplained |= BIT64(ao ? DK_AO(k) : k);
	}

	if (r < nrules) {
		if (t->pf_seen)
			diff_appendf(e->text, sizeof(e->text), ", %s %s", pf_names(t->pf_seen),
				     !offload_tso_flag_rules[r].pf_last ? "cleared on every segment"
				     : offload_tso_flag_rules[r].pf_earlier
					     ? "on every segment"
					     : "on the last segment only");
		if (cwr_seen)
			diff_appendf(e->text, sizeof(e->text), ", CWR on %s",
				     offload_tso_flag_rules[r].cwr_later
					     ? "every segment"
					     : "the first segment only");
		quirk(e, "tso.flags", offload_tso_flag_rules[r].quirk);
	}

	if (t->id[ID_OTHER] || (t->id[ID_INC] && t->id[ID_FIXED])) {
		e->unexplained |= BIT64(DK_IPID);
	} else if (t->id[ID_INC]) {
		diff_appendf(e->text, sizeof(e->text), ", IPv4 ID +1 per segment");
		quirk(e, "tso.ipid", "increment");
	} else if (t->id[ID_FIXED]) {
		diff_appendf(e->text, sizeof(e->text), ", the same IPv4 ID on every segment");
		quirk(e, "tso.ipid", "fixed");
	}
	if (sig)
		quirk(e, "tso.md5", sig);

	diff_appendf(e->text, sizeof(e->text), ") — matches vnicemu's tso stage");
	for (unsigned i = 0; i < e->nquirks; i++)
		diff_appendf(e->text, sizeof(e->text), "%s%s=%s", i ? ", " : " with ",
			     e->quirk[i][0], e->quirk[i][1]);
	if (t->csum_completed || d->c.csum_tx)
		diff_appendf(e->text, sizeof(e->text),
			     "; partial checksums completed: the tx-csum stage");
}

/* The vNIC's part: tso (on or off) or tx-csum, or nothing. */
static void explain_nic(const struct emu_diff *d, struct diff_expl *e)
{
	const struct diff_cmp *c = &d->c;

	if (c->tso.pieces) {
		explain_tso(d, e);
	} else if (e->unexplained == BIT64(DK_MISSING) && !c->only_guest && c->missing &&
		   c->missing == c->oversize) {
		/* only frames too big for the wire are gone: a NIC without TSO drops them */
		e->stage = "tso";
		quirk(e, "tso", "off");
		e->unexplained &= ~BIT64(DK_MISSING);
		snprintf(
			e->text, sizeof(e->text),
			"no TSO: the %lu guest frames larger than the wire's MTU (%u bytes; IP "
			"packets of up to %u) never reached the wire — matches vnicemu's tso stage "
			"switched off (tso=off, or sg=off / tx=off, which turn it off): oversize "
			"TSO requests are dropped",
			c->missing, diff_wire_mtu(d), c->oversize_max);
	} else if (c->csum_tx && !e->unexplained) {
		e->stage = "tx-csum";
		snprintf(e->text, sizeof(e->text),
			 "TX checksum offload: the guest left partial checksums (the pseudo-header "
			 "sum) and the NIC completed them — matches vnicemu's tx-csum stage");
	}
}

static const char *const pe_names[PE_N] = {
	[PE_SEQRAND] = "seqrand", [PE_OPTSTRIP] = "optstrip", [PE_NAT] = "nat",
	[PE_WINDOW] = "window",	  [PE_MSS] = "mss-clamp",     [PE_FRAGMENT] = "fragment",
};

static void addr_str(const struct diff_key *k, bool src, char *buf, size_t len)
{
	inet_ntop(k->family == AF_INET6 ? AF_INET6 : AF_INET, src ? k->saddr : k->daddr, buf,
		  (socklen_t)len);
}

/* "explained by" text of path element @pe into @buf. */
static void path_text(const struct diff_path *p, int pe, char *buf, size_t len)
{
	char a[64], b[64];

	switch (pe) {
	case PE_SEQRAND:
		snprintf(buf, len,
			 "a firewall randomizing sequence numbers (seqrand): %s%+d on %lu flow%s",
			 p->seq_mixed ? "sequence numbers shifted by a constant per flow, e.g. "
				      : "sequence numbers shifted by ",
			 (int32_t)p->seq_delta, p->seq_flows, p->seq_flows == 1 ? "" : "s");
		if (p->ack_back)
			diff_appendf(buf, len,
				     ", acks shifted back by the same offset on the "
				     "reverse flow");
		else if (!p->seq_flows)
			snprintf(buf, len,
				 "a firewall randomizing sequence numbers (seqrand): acks shifted "
				 "by a constant offset");
		diff_appendf(buf, len,
			     " (a Cisco ASA's default; set connection "
			     "random-sequence-number disable)");
		break;
	case PE_OPTSTRIP:
		snprintf(
			buf, len,
			"a firewall blanking TCP option %s (optstrip): the %s overwritten with NOPs "
			"on %lu frame%s",
			p->strip_kinds == 3   ? "19 and 29"
			: p->strip_kinds == 2 ? "29"
					      : "19",
			p->strip_kinds == 3   ? "MD5 and TCP-AO options"
			: p->strip_kinds == 2 ? "TCP-AO option"
					      : "MD5 option",
			p->frames[PE_OPTSTRIP] + p->strip_pieces,
			p->frames[PE_OPTSTRIP] + p->strip_pieces == 1 ? "" : "s");
		if (p->strip_kinds & 1)
			diff_appendf(buf, len,
				     " (a Cisco ASA's default; tcp-options range 19 19 "
				     "allow)");
		break;
	case PE_NAT: {
		/* the first flow as the guest and the wire saw it: which end was translated */
		bool src = memcmp(p->nat_g.saddr, p->nat_w.saddr, 16) ||
			   p->nat_g.sport != p->nat_w.sport;
		addr_str(&p->nat_g, src, a, sizeof(a));
		addr_str(&p->nat_w, src, b, sizeof(b));
		snprintf(buf, len, "address translation (nat): %s -> %s", a, b);
		if (src ? p->nat_g.sport != p->nat_w.sport : p->nat_g.dport != p->nat_w.dport)
			diff_appendf(buf, len, ", port %u -> %u",
				     src ? p->nat_g.sport : p->nat_g.dport,
				     src ? p->nat_w.sport : p->nat_w.dport);
		diff_appendf(buf, len, " on %lu flow%s (%lu frame%s)", p->flows[PE_NAT],
			     p->flows[PE_NAT] == 1 ? "" : "s", p->frames[PE_NAT],
			     p->frames[PE_NAT] == 1 ? "" : "s");
		break;
	}
	case PE_WINDOW:
		if (p->win_clamp)
			snprintf(buf, len,
				 "a shaper rewriting the TCP window (window): clamped to %u on %lu "
				 "frame%s",
				 p->win[1], p->frames[PE_WINDOW],
				 p->frames[PE_WINDOW] == 1 ? "" : "s");
		else
			snprintf(buf, len,
				 "a shaper rewriting the TCP window (window): %s%u -> %u on %lu "
				 "frame%s",
				 p->win_mixed ? "e.g. " : "", p->win[0], p->win[1],
				 p->frames[PE_WINDOW], p->frames[PE_WINDOW] == 1 ? "" : "s");
		break;
	case PE_MSS:
		snprintf(buf, len, "MSS clamping (mss-clamp): MSS %u -> %u on %lu frame%s",
			 p->mss[0], p->mss[1], p->frames[PE_MSS],
			 p->frames[PE_MSS] == 1 ? "" : "s");
		break;
	case PE_FRAGMENT:
		snprintf(buf, len,
			 "a smaller next-hop MTU fragmenting IPv4 segments (fragment): %lu "
			 "segment%s carried in %lu fragments of up to %u bytes",
			 p->frames[PE_FRAGMENT], p->frames[PE_FRAGMENT] == 1 ? "" : "s", p->frags,
			 p->fragmax);
		break;
	}
}

void diff_explain(const struct emu_diff *d, struct diff_expl *e)
{
	const struct diff_cmp *c = &d->c;
	size_t used = 0;

	memset(e, 0, sizeof(*e));
	e->unexplained = c->unexplained;
	if (!c->bits && !c->only_guest) {
		/* an all-clear only about what was compared */
		snprintf(e->text, sizeof(e->text), "no differences%s",
			 diff_partly_compared(d) ? " in what both captures hold (see not compared)"
						 : "");
		return;
	}
	explain_nic(d, e);
	if (e->stage) {
		e->etext[e->nelements] = e->text;
		e->elements[e->nelements++] = e->stage;
	}
	for (int pe = 0; pe < PE_N; pe++) {
		if (!c->path.frames[pe] || e->nelements == EMU_DIFF_ELEMENTS_MAX)
			continue;
		if (pe == PE_MSS && c->path.mss_up)
			continue; /* an MSS raised somewhere: no clamp */
		e->etext[e->nelements] = e->buf + used;
		path_text(&c->path, pe, e->buf + used, sizeof(e->buf) - used);
		used += strlen(e->buf + used) + 1;
		if (used >= sizeof(e->buf))
			used = sizeof(e->buf) - 1;
		e->elements[e->nelements++] = pe_names[pe];
		if (!e->stage)
			e->stage = pe_names[pe];
	}
	if (!e->nelements)
		snprintf(e->text, sizeof(e->text), "no offload explains these differences");
	else if (!e->text[0])
		for (unsigned i = 0; i < e->nelements; i++)
			diff_appendf(e->text, sizeof(e->text), "%s%s", i ? "; " : "", e->etext[i]);
}
