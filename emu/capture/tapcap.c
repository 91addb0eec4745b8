// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One capture file per tap of a pipeline, for live runs (`run --capture DIR`) and replays
 * (`replay --out DIR`) alike. A file that fails is closed and no longer written; the others go
 * on. Live files rotate by size: the full one is kept as NAME.1 and a new NAME starts. Files are
 * created through the caller's output set (emu_outset): never over an input, and for a replay
 * under temporary names the caller renames into place when the run succeeded.
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
	struct emu_outset *outset; /* may be NULL: files opened as they are */
	bool nsec;
	uint32_t linktype;
	uint64_t max_bytes;
	unsigned ntaps; /* taps 0..ntaps-1; the last is the pipeline's out end */
	struct tapfile tap[OFFLOAD_MAX_STAGES + 1];
	struct tapfile out;	  /* the out end again, by its own name */
	struct tapfile annotated; /* pcapng: the in end on interface 0, the out end on 1 */
	struct pending {
		bool has;
		uint8_t *data;
		uint32_t len, cap;
		struct timespec ts;
		char comment[1024];
	} pending; /* the last guest frame's annotated record, until its fate is known */
	int first_err;
	char first[700]; /* "PATH: reason" of the first failure */
	char last[700];	 /* ...and of the latest */
};

static int tapfile_open(struct emu_tapcap *t, struct tapfile *tf, char *err, size_t errlen)
{
	tf->c = t->outset ? emu_capout_create(t->outset, tf->path, tf->pcapng, err, errlen)
			  : emu_capout_open(tf->path, tf->pcapng, err, errlen);
	if (!tf->c)
		return -EIO;
	tf->bytes = PCAP_FILE_HEADER;
	int ret = tf->pcapng ? emu_capout_iface(tf->c, t->linktype, "guest")
		  : t->nsec  ? emu_capout_nsec(tf->c)
			     : 0;
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
			 const struct timespec *ts, const uint8_t *data, uint32_t len,
			 const char *const *comments, unsigned ncomments)
{
	char why[700];
	int ret;

	if (!tf->c)
		return 0;
	if (t->max_bytes && tf->bytes + len + PCAP_RECORD_HEADER > t->max_bytes &&
	    tf->bytes > PCAP_FILE_HEADER) {
		/* rotate: keep the full file as NAME.1 */
		char old[sizeof(tf->path) + 2];

		emu_capout_close(tf->c);
		tf->c = NULL;
		snprintf(old, sizeof(old), "%s.1", tf->path);
		if (t->outset && (ret = emu_outset_check(t->outset, old, why, sizeof(why))))
			return tapfile_fail(t, tf, ret, why);
		rename(tf->path, old);
		if ((ret = tapfile_open(t, tf, why, sizeof(why))))
			return tapfile_fail(t, tf, ret, why);
	}
	ret = emu_capout_write_comments(tf->c, iface, ts, data, len, comments, ncomments);
	if (ret) {
		snprintf(why, sizeof(why), "%s: %s", tf->path, strerror(-ret));
		return tapfile_fail(t, tf, ret, why);
	}
	tf->bytes += PCAP_RECORD_HEADER + len;
	return 0;
}

/* @f at a tap file, with @comment (may be NULL). */
static int tapfile_frame(struct emu_tapcap *t, struct tapfile *tf, unsigned iface,
			 const struct offload_frame *f, const char *comment)
{
	return tapfile_write(t, tf, iface, &f->ts, f->data, f->len, &comment, comment ? 1 : 0);
}

/*
 * The guest frame's record in annotated.pcapng waits until its fate is known: written as it is
 * when a frame it became reaches the wire, or when the next guest frame enters (held or merged
 * by a stage), or with a second comment, "dropped: REASON", by emu_tapcap_dropped().
 */
static int pending_keep(struct emu_tapcap *t, const struct offload_frame *f, const char *comment)
{
	struct pending *p = &t->pending;

	if (f->len > p->cap) {
		uint8_t *d = realloc(p->data, f->len);
		if (!d)
			return -ENOMEM;
		p->data = d;
		p->cap = f->len;
	}
	memcpy(p->data, f->data, f->len);
	p->len = f->len;
	p->ts = f->ts;
	snprintf(p->comment, sizeof(p->comment), "%s", comment);
	p->has = true;
	return 0;
}

/* Write the waiting guest record, with "dropped: @dropped" when it is not NULL. */
static int pending_write(struct emu_tapcap *t, const char *dropped)
{
	struct pending *p = &t->pending;
	char drop[96];
	const char *comments[2] = {p->comment, drop};

	if (!p->has)
		return 0;
	p->has = false;
	if (dropped)
		snprintf(drop, sizeof(drop), "dropped: %s", dropped);
	return tapfile_write(t, &t->annotated, 0, &p->ts, p->data, p->len, comments,
			     dropped ? 2 : 1);
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

/* The file names of @cfg's taps, its out end and annotated.pcapng (nstages + 3) into @paths. */
static void tap_paths(const struct emu_tapcap_config *cfg, char (*paths)[640], size_t len)
{
	const char *pre = cfg->prefix ? cfg->prefix : "";
	unsigned ntaps = cfg->nstages + 1;

	for (unsigned i = 0; i < ntaps; i++)
		snprintf(paths[i], len, "%s/%s%s.pcap", cfg->dir, pre,
			 i ? cfg->stages[i - 1] : cfg->in);
	snprintf(paths[ntaps], len, "%s/%s%s.pcap", cfg->dir, pre, cfg->out);
	snprintf(paths[ntaps + 1], len, "%s/%sannotated.pcapng", cfg->dir, pre);
}

struct emu_tapcap *emu_tapcap_open(const struct emu_tapcap_config *cfg, char *err, size_t errlen)
{
	char paths[OFFLOAD_MAX_STAGES + 3][640];
	struct emu_tapcap *t;

	if (cfg->nstages > OFFLOAD_MAX_STAGES) {
		snprintf(err, errlen, "%s: more taps than a pipeline has", cfg->dir);
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, errlen, "%s: out of memory", cfg->dir);
		errno = ENOMEM;
		return NULL;
	}
	t->outset = cfg->outset;
	t->nsec = cfg->nsec;
	t->linktype = cfg->linktype;
	t->max_bytes = cfg->max_bytes;
	t->ntaps = cfg->nstages + 1;
	tap_paths(cfg, paths, sizeof(paths[0]));
	for (unsigned i = 0; i < t->ntaps; i++)
		memcpy(t->tap[i].path, paths[i], sizeof(t->tap[i].path));
	memcpy(t->out.path, paths[t->ntaps], sizeof(t->out.path));
	memcpy(t->annotated.path, paths[t->ntaps + 1], sizeof(t->annotated.path));
	t->annotated.pcapng = true;
	/* no file is created (nor truncated) before every one is known not to be an input */
	for (unsigned i = 0; t->outset && i <= t->ntaps + 1; i++) {
		const struct tapfile *tf = i < t->ntaps	   ? &t->tap[i]
					   : i == t->ntaps ? &t->out
							   : &t->annotated;
		if ((tf != &t->annotated || cfg->annotate) &&
		    emu_outset_check(t->outset, tf->path, err, errlen)) {
			free(t);
			errno = EEXIST;
			return NULL;
		}
	}
	if (mkdir(cfg->dir, cfg->dir_mode) && errno != EEXIST) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", cfg->dir, strerror(e));
		free(t);
		errno = e;
		return NULL;
	}
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

int emu_tapcap_prune(const struct emu_tapcap_config *cfg, const struct emu_outset *s, char *removed,
		     size_t len)
{
	struct emu_tapcap_config all = *cfg;
	const char *names[OFFLOAD_MAX_STAGES + 16];
	char paths[OFFLOAD_MAX_STAGES + 19][640];
	unsigned n = 0;
	size_t used = 0;
	int count = 0;

	/* every stage a pipeline may have: the taps of any profile and path */
	for (const struct offload_stage_ops *const *o = offload_stages; *o; o++)
		if (n < sizeof(names) / sizeof(names[0]))
			names[n++] = (*o)->name;
	all.stages = names;
	all.nstages = n;
	tap_paths(&all, paths, sizeof(paths[0]));
	if (len)
		*removed = '\0';
	for (unsigned i = 0; i < n + 3; i++) {
		if (i == n + 2 && !cfg->annotate)
			break;
		int r = emu_outset_prune(s, paths[i]);
		if (r && used < len) {
			int w = snprintf(removed + used, len - used, "%s%s%s%s%s", used ? ", " : "",
					 paths[i], r < 0 ? " (cannot remove it: " : "",
					 r < 0 ? strerror(-r) : "", r < 0 ? ")" : "");
			used += w > 0 ? (size_t)w : 0;
		}
		count += r > 0;
	}
	return count;
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
	if ((r = tapfile_frame(t, &t->tap[tap], 0, f, NULL)))
		ret = r;
	if (out && (r = tapfile_frame(t, &t->out, 0, f, NULL)) && !ret)
		ret = r;
	if ((in || out) && t->annotated.c) {
		/* the previous guest frame reached the wire, or a stage holds it */
		if ((r = pending_write(t, NULL)) && !ret)
			ret = r;
		annotation(f, in, st, comment, sizeof(comment));
		r = in ? pending_keep(t, f, comment)
		       : tapfile_frame(t, &t->annotated, 1, f, comment);
		if (r && !ret)
			ret = r;
	}
	return ret;
}

int emu_tapcap_dropped(struct emu_tapcap *t, const char *reason)
{
	return t->annotated.c ? pending_write(t, reason) : 0;
}

const char *emu_tapcap_error(const struct emu_tapcap *t)
{
	return t->last;
}

int emu_tapcap_flush(struct emu_tapcap *t)
{
	int ret = t->annotated.c ? pending_write(t, NULL) : 0;

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
	if (t->annotated.c)
		pending_write(t, NULL);
	close_all(t);
	free(t->pending.data);
	ret = t->first_err;
	if (ret)
		snprintf(err, errlen, "%s", t->first);
	free(t);
	return ret;
}
