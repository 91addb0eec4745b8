// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The explanation: which vNIC behaviour accounts for the differences. Split pieces are held
 * against tso.flags' rules (offload_tso_flag_rules, exported by offload/tso.c), the IPv4 ID rules and what became of the MD5 option;
 * frames missing only because they were larger than the wire point to tso switched off;
 * completed partial checksums to tx-csum. What fits none stays unexplained.
 */
#include <stdio.h>
#include <string.h>

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
	const struct diff_tso *t = &d->tso;
	size_t nrules = 0;

	while (offload_tso_flag_rules[nrules].quirk)
		nrules++;
	bool cwr_seen = t->cwr[0][0] || t->cwr[0][1] || t->cwr[1][0] || t->cwr[1][1];
	unsigned long signed_pieces = t->pieces - t->md5[M5_UNSIGNED];
	size_t r = nrules;
	const char *md5 = NULL;

	e->stage = "tso";
	if (t->pf_seen || cwr_seen) {
		for (r = 0; r < nrules && !flag_rule_fits(t, r); r++)
			;
		if (r == nrules)
			e->unexplained |= BIT(DK_FLAGS_MOVED);
	}
	snprintf(e->text, sizeof(e->text),
		 "TSO (%s: ", r < nrules ? offload_tso_flag_rules[r].semantics : "segmentation");

	if (!signed_pieces) {
		diff_appendf(e->text, sizeof(e->text), "options copied into every segment");
	} else if (t->md5[M5_COPY] == signed_pieces) {
		md5 = "copy";
		diff_appendf(e->text, sizeof(e->text),
			     "options incl. the MD5 digest copied into every segment");
	} else if (t->md5[M5_RESIGN] == signed_pieces) {
		md5 = "resign";
		diff_appendf(e->text, sizeof(e->text),
			     "options copied, the MD5 digest re-signed in every segment");
	} else if (t->md5[M5_STRIP] == signed_pieces) {
		md5 = "strip";
		diff_appendf(e->text, sizeof(e->text),
			     "the MD5 option overwritten with NOPs in every segment");
	} else {
		diff_appendf(e->text, sizeof(e->text), "the MD5 option treated in no one way");
		e->unexplained |= DK_MD5_ANY;
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
		e->unexplained |= BIT(DK_IPID);
	} else if (t->id[ID_INC]) {
		diff_appendf(e->text, sizeof(e->text), ", IPv4 ID +1 per segment");
		quirk(e, "tso.ipid", "increment");
	} else if (t->id[ID_FIXED]) {
		diff_appendf(e->text, sizeof(e->text), ", the same IPv4 ID on every segment");
		quirk(e, "tso.ipid", "fixed");
	}
	if (md5)
		quirk(e, "tso.md5", md5);

	diff_appendf(e->text, sizeof(e->text), ") — matches vnicemu's tso stage");
	for (unsigned i = 0; i < e->nquirks; i++)
		diff_appendf(e->text, sizeof(e->text), "%s%s=%s", i ? ", " : " with ",
			     e->quirk[i][0], e->quirk[i][1]);
	if (t->csum_completed || d->csum_tx)
		diff_appendf(e->text, sizeof(e->text),
			     "; partial checksums completed: the tx-csum stage");
}

void diff_explain(const struct emu_diff *d, struct diff_expl *e)
{
	memset(e, 0, sizeof(*e));
	e->unexplained = d->unexplained;
	if (!d->bits && !d->only_guest) {
		snprintf(e->text, sizeof(e->text), "no differences");
		return;
	}
	if (d->tso.pieces) {
		explain_tso(d, e);
	} else if (d->bits == BIT(DK_MISSING) && !d->only_guest && d->missing == d->oversize) {
		/* only frames too big for the wire are gone: a NIC without TSO drops them */
		e->stage = "tso";
		quirk(e, "tso", "off");
		e->unexplained &= ~BIT(DK_MISSING);
		snprintf(
			e->text, sizeof(e->text),
			"no TSO: the %lu guest frames larger than the wire's MTU (%u bytes; IP "
			"packets of up to %u) never reached the wire — matches vnicemu's tso stage "
			"switched off (tso=off, or sg=off / tx=off, which turn it off): oversize "
			"TSO requests are dropped",
			d->missing, diff_wire_mtu(d), d->oversize_max);
	} else if (d->csum_tx && !e->unexplained) {
		e->stage = "tx-csum";
		snprintf(e->text, sizeof(e->text),
			 "TX checksum offload: the guest left partial checksums (the pseudo-header "
			 "sum) and the NIC completed them — matches vnicemu's tx-csum stage");
	}
	if (d->only_guest)
		e->unexplained |= BIT(DK_MISSING);
	if (!e->stage)
		snprintf(e->text, sizeof(e->text), "no offload explains these differences");
}
