// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One capture file per tap of a pipeline, for live runs (`run --capture DIR`) and replays
 * (`replay --out DIR`) alike. A file that fails is closed and no longer written; the others go
 * on. Live files rotate by size: the full one is kept as NAME.1 and a new NAME starts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "emu/capture/capture.h"

#define PCAP_FILE_HEADER   24 /* bytes before the first record */
#define PCAP_RECORD_HEADER 16

struct tapfile {
	struct emu_capout *c; /* NULL: not open, or stopped after an error */
	bool pcapng;
	char path[640];
	uint64_t bytes; /* written to this file so far (rotation) */
};

struct emu_tapcap {
	uint32_t linktype;
	uint64_t max_bytes;
	unsigned ntaps; /* taps 0..ntaps-1; the last is the pipeline's out end */
	struct tapfile tap[OFFLOAD_MAX_STAGES + 1];
	struct tapfile out;	  /* the out end again, by its own name */
	struct tapfile annotated; /* pcapng: the in end on interface 0, the out end on 1 */
	int first_err;
	char first[700]; /* "PATH: reason" of the first failure */
	char last[700];	 /* ...and of the latest */
};

static int tapfile_open(struct emu_tapcap *t, struct tapfile *tf, char *err, size_t errlen)
{
	tf->c = emu_capout_open(tf->path, tf->pcapng, err, errlen);
	if (!tf->c)
		return -EIO;
	tf->bytes = PCAP_FILE_HEADER;
	int ret = tf->pcapng ? emu_capout_iface(tf->c, t->linktype, "guest") : 0;
	if (ret >= 0)
		ret = emu_capout_iface(tf->c, t->linktype, tf->pcapng ? "wire" : NULL);
	if (ret < 0) {
		snprintf(err, errlen, "%s: %s", tf->path, strerror(-ret));
		return ret;
	}
	return 0;
}

/* @tf failed with @ret: stop writing it, and remember why. Return: @ret. */
static int tapfile_fail(struct emu_tapcap *t, struct tapfile *tf, int ret, const char *why)
{
	snprintf(t->last, sizeof(t->last), "%s", why);
	if (!t->first_err) {
		t->first_err = ret;
		snprintf(t->first, sizeof(t->first), "%s", why);
	}
	emu_capout_close(tf->c);
	tf->c = NULL;
	return ret;
}

static int tapfile_write(struct emu_tapcap *t, struct tapfile *tf, unsigned iface,
			 const struct offload_frame *f, const char *comment)
{
	char why[700];
	int ret;

	if (!tf->c)
		return 0;
	if (t->max_bytes && tf->bytes + f->len + PCAP_RECORD_HEADER > t->max_bytes &&
	    tf->bytes > PCAP_FILE_HEADER) {
		/* rotate: keep the full file as NAME.1 */
		char old[sizeof(tf->path) + 2];

		emu_capout_close(tf->c);
		snprintf(old, sizeof(old), "%s.1", tf->path);
		rename(tf->path, old);
		if ((ret = tapfile_open(t, tf, why, sizeof(why))))
			return tapfile_fail(t, tf, ret, why);
	}
	ret = emu_capout_write(tf->c, iface, &f->ts, f->data, f->len, comment);
	if (ret) {
		snprintf(why, sizeof(why), "%s: %s", tf->path, strerror(-ret));
		return tapfile_fail(t, tf, ret, why);
	}
	tf->bytes += PCAP_RECORD_HEADER + f->len;
	return 0;
}

static int tapfile_close(struct emu_tapcap *t, struct tapfile *tf)
{
	char why[700];
	int ret = emu_capout_close(tf->c);

	tf->c = NULL;
	if (!ret)
		return 0;
	snprintf(why, sizeof(why), "%s: %s", tf->path, strerror(-ret));
	return tapfile_fail(t, tf, ret, why);
}

static void close_all(struct emu_tapcap *t)
{
	for (unsigned i = 0; i < t->ntaps; i++)
		tapfile_close(t, &t->tap[i]);
	tapfile_close(t, &t->out);
	tapfile_close(t, &t->annotated);
}

struct emu_tapcap *emu_tapcap_open(const struct emu_tapcap_config *cfg, char *err, size_t errlen)
{
	const char *pre = cfg->prefix ? cfg->prefix : "";
	struct emu_tapcap *t;

	if (cfg->nstages > OFFLOAD_MAX_STAGES) {
		snprintf(err, errlen, "%s: more taps than a pipeline has", cfg->dir);
		errno = EINVAL;
		return NULL;
	}
	if (mkdir(cfg->dir, cfg->dir_mode) && errno != EEXIST) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", cfg->dir, strerror(e));
		errno = e;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, errlen, "%s: out of memory", cfg->dir);
		errno = ENOMEM;
		return NULL;
	}
	t->linktype = cfg->linktype;
	t->max_bytes = cfg->max_bytes;
	t->ntaps = cfg->nstages + 1;
	for (unsigned i = 0; i < t->ntaps; i++)
		snprintf(t->tap[i].path, sizeof(t->tap[i].path), "%s/%s%s.pcap", cfg->dir, pre,
			 i ? cfg->stages[i - 1] : cfg->in);
	snprintf(t->out.path, sizeof(t->out.path), "%s/%s%s.pcap", cfg->dir, pre, cfg->out);
	snprintf(t->annotated.path, sizeof(t->annotated.path), "%s/%sannotated.pcapng", cfg->dir,
		 pre);
	t->annotated.pcapng = true;
	for (unsigned i = 0; i < t->ntaps; i++)
		if (tapfile_open(t, &t->tap[i], err, errlen))
			goto fail;
	if (tapfile_open(t, &t->out, err, errlen) ||
	    (cfg->annotate && tapfile_open(t, &t->annotated, err, errlen)))
		goto fail;
	return t;
fail:
	close_all(t);
	free(t);
	errno = EIO;
	return NULL;
}

/*
 * The verdicts of @f at its tap, as a packet comment for Wireshark: "md5 VERDICT", and
 * "ao VERDICT" beside it when TCP-AO has anything to say.
 */
static void annotation(const struct offload_frame *f, bool in, enum md5sig_status st, char *comment,
		       size_t len)
{
	const char *v = f->verdict_known && f->verdict < MD5SIG_NVERDICTS
				? md5sig_verdict_str(f->verdict)
			: st == MD5SIG_OTHER || st == MD5SIG_FRAGMENT ? "not TCP"
								      : "not verified";
	char ao[48] = "";

	if (f->verdict_known && f->verdict == MD5SIG_MALFORMED && st < MD5SIG_MALFORMED_FIRST) {
		/* its TCP-AO option made it malformed */
		snprintf(comment, len, "guest frame %llu: malformed (bad TCP-AO option)",
			 (unsigned long long)f->guest_no);
		return;
	}
	if (st >= MD5SIG_MALFORMED_FIRST && (!f->verdict_known || f->verdict == MD5SIG_MALFORMED)) {
		snprintf(comment, len, "guest frame %llu: malformed (%s)",
			 (unsigned long long)f->guest_no, md5sig_status_str(st));
		return;
	}
	if (f->verdict_known && f->ao_verdict < MD5SIG_AO_MALFORMED &&
	    f->ao_verdict != MD5SIG_AO_UNSIGNED)
		snprintf(ao, sizeof(ao), ", ao %s", md5sig_ao_verdict_str(f->ao_verdict));
	if (in)
		snprintf(comment, len, "guest frame %llu: md5 %s%s%s",
			 (unsigned long long)f->guest_no, v, ao, f->tso ? " (TSO request)" : "");
	else
		snprintf(comment, len, "guest frame %llu segment %u/%u: md5 %s%s%s",
			 (unsigned long long)f->guest_no, f->seg_no + 1u, (unsigned)f->seg_count, v,
			 ao,
			 !f->digest_inferred		? ""
			 : f->verdict == MD5SIG_INVALID ? " (copied digest over changed bytes)"
							: " (copied MAC over changed bytes)");
}

int emu_tapcap_write(struct emu_tapcap *t, unsigned tap, const struct offload_frame *f,
		     enum md5sig_status st)
{
	bool in = tap == 0, out = tap == t->ntaps - 1;
	char comment[1024];
	int ret = 0, r;

	if (tap >= t->ntaps)
		return -EINVAL;
	if ((r = tapfile_write(t, &t->tap[tap], 0, f, NULL)))
		ret = r;
	if (out && (r = tapfile_write(t, &t->out, 0, f, NULL)) && !ret)
		ret = r;
	if ((in || out) && t->annotated.c) {
		annotation(f, in, st, comment, sizeof(comment));
		if ((r = tapfile_write(t, &t->annotated, in ? 0 : 1, f, comment)) && !ret)
			ret = r;
	}
	return ret;
}

const char *emu_tapcap_error(const struct emu_tapcap *t)
{
	return t->last;
}

int emu_tapcap_flush(struct emu_tapcap *t)
{
	int ret = 0;

	for (unsigned i = 0; i <= t->ntaps + 1; i++) {
		struct tapfile *tf = i < t->ntaps    ? &t->tap[i]
				     : i == t->ntaps ? &t->out
						     : &t->annotated;
		char why[700];
		int r;

		if (!tf->c || !(r = emu_capout_flush(tf->c)))
			continue;
		snprintf(why, sizeof(why), "%s: %s", tf->path, strerror(-r));
		ret = tapfile_fail(t, tf, r, why);
	}
	return ret;
}

int emu_tapcap_close(struct emu_tapcap *t, char *err, size_t errlen)
{
	int ret;

	if (!t)
		return 0;
	close_all(t);
	ret = t->first_err;
	if (ret)
		snprintf(err, errlen, "%s", t->first);
	free(t);
	return ret;
}
