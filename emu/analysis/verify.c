// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The verify engine: classify every TCP frame of a capture against the key table, in both
 * schemes.
 *
 * With N jobs the calling thread reads the capture in batches into a ring, and it and N - 1
 * worker threads take batches from the ring to classify. A batch holds pointers into the
 * mapped file when the reader can keep frames (emu_capin_hold()), else copies. Each thread has
 * its own hasher (an EVP context cannot be shared) and its own counters, summed at the end;
 * the key table is only read. A batch's --list lines are written into the batch, and the
 * calling thread prints batches in the order it read them, so every output is the same as with
 * one thread. The calling thread fills the ring while it has room; when it is full it
 * classifies a batch itself, or prints the oldest once that is done.
 *
 * TCP-AO verdicts depend on the order of frames (a connection's ISNs come from its handshake,
 * the SNE from the sequence numbers so far), so with MKTs the reading thread parses each frame
 * as it reads it and follows its connection (track()); the classifying threads take the parse
 * and the connection's state from the batch.
 *
 * IP fragments of TCP segments go to the reassembler (emu/analysis/reasm.h) as the reading
 * thread reads them, in capture order: a fragment that completes a segment is replaced in its
 * batch by the reassembled frame, which is checked like any other; the others are held and
 * checked nowhere. So the output stays the same whatever the thread count.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "emu/analysis/reasm.h"
#include "emu/analysis/verify.h"
#include "emu/capture/capture.h"

#define VERIFY_BATCH	   256	     /* frames per batch */
#define VERIFY_BATCH_BYTES (1 << 20) /* ...or fewer, once this many bytes are in it */
#define VERIFY_LINE	   768	     /* a frame's --list lines: two, JSON, with IPv6 peers */

/* What the reading thread found of a frame when it follows connections. */
struct verify_pre {
	enum md5sig_status st;
	bool known; /* the connection's ISNs: in isns */
	struct md5sig_ao_isns isns;
	uint32_t sne;
	struct md5sig_seg seg;
};

/* Note a frame's link type among the capture's (a pcapng's interfaces may differ). */
static void see_link(struct emu_verify_counts *c, uint32_t lt)
{
	for (unsigned i = 0; i < c->nlinks; i++)
		if (c->links[i] == lt)
			return;
	if (c->nlinks < EMU_VERIFY_LINKS)
		c->links[c->nlinks++] = lt;
}

/* What one thread needs to classify frames. */
struct verify_worker {
	struct md5sig_checker chk;	     /* its own hasher and TCP-AO verifier */
	FILE *list;			     /* --list lines, or NULL */
	bool list_json;			     /* ...as JSON objects */
	const struct emu_verify_config *cfg; /* the reader's (w[0]) progress goes to it */
	time_t shown;			     /* when progress was last reported */
	struct emu_verify_counts c;	     /* all but frames, which the reader counts */
	struct verify_pool *pool;
	pthread_t thread;
};

struct verify_batch {
	unsigned long first;		    /* number of its first frame */
	unsigned n;			    /* frames in it */
	const uint8_t *frame[VERIFY_BATCH]; /* each frame's bytes: in the mapping, or in copy */
	uint32_t len[VERIFY_BATCH];	    /* its captured length */
	uint32_t orig[VERIFY_BATCH];	    /* its length on the wire */
	uint32_t link[VERIFY_BATCH];	    /* its link type */
	struct verify_pre *pre;		    /* VERIFY_BATCH of them when following connections */
	size_t bytes;			    /* captured bytes of its frames */
	bool held[VERIFY_BATCH];	    /* a fragment the reassembler keeps: nothing to check */
	uint8_t *copy;			    /* copies, when the reader does not keep frames */
	size_t cap;			    /* bytes allocated in copy */
	char *text;			    /* the --list lines of its frames, in order */
	size_t textlen;
	bool done; /* classified; text is complete */
};

struct verify_pool {
	pthread_mutex_t lock;
	pthread_cond_t queued_cond; /* a batch was queued, or reading has ended */
	pthread_cond_t done_cond;   /* a worker classified a batch */
	struct verify_batch *ring;
	unsigned nring;
	unsigned long queued; /* batches queued so far; batch i is ring[i % nring] */
	unsigned long taken;  /* batches a thread has started on */
	bool end;	      /* nothing more will be queued */
};

/* Count one frame's verdicts. */
static void count(struct emu_verify_counts *c, const struct md5sig_verdicts *v)
{
	c->verdicts[v->md5]++;
	if (v->md5 == MD5SIG_MALFORMED) {
		if (v->optst >= MD5SIG_AO_OPT_SHORT && v->optst != MD5SIG_AO_OPT_WITH_MD5)
			c->ao_reasons[v->optst]++;
		else
			c->reasons[v->st]++;
		return;
	}
	c->ao[v->ao]++;
	if (v->md5 == MD5SIG_UNCHECKED || v->ao == MD5SIG_AO_UNCHECKED)
		c->unchecked[v->unchecked]++;
}

/* The JSON form of a --list line: one object (docs/verify.md). Return: its length. */
static size_t list_json(char *line, size_t at, unsigned long frame, const char *scheme,
			const char *verdict, const struct md5sig_seg *seg, const char *why)
{
	char s[INET6_ADDRSTRLEN + 2] = "null", d[INET6_ADDRSTRLEN + 2] = "null";
	char sp[8] = "null", dp[8] = "null";
	char reason[64] = "null";

	if (seg->family == AF_INET || seg->family == AF_INET6) {
		s[0] = d[0] = '"';
		inet_ntop(seg->family, seg->saddr, s + 1, INET6_ADDRSTRLEN);
		inet_ntop(seg->family, seg->daddr, d + 1, INET6_ADDRSTRLEN);
		strcat(s, "\"");
		strcat(d, "\"");
		snprintf(sp, sizeof(sp), "%u", seg->sport);
		snprintf(dp, sizeof(dp), "%u", seg->dport);
	}
	if (why) /* reason names are fixed words: nothing to escape */
		snprintf(reason, sizeof(reason), "\"%s\"", why);
	int n = snprintf(line + at, VERIFY_LINE - at,
			 "{\"frame\": %lu, \"scheme\": \"%s\", \"verdict\": \"%s\", \"src\": %s, "
			 "\"sport\": %s, \"dst\": %s, \"dport\": %s, \"reason\": %s}\n",
			 frame, scheme, verdict, s, sp, d, dp, reason);

	return n < 0 ? 0 : (size_t)n < VERIFY_LINE - at ? (size_t)n : VERIFY_LINE - at - 1;
}

/*
 * A --list line: FRAME [ao ]VERDICT PEERS[ (reason)], or its JSON form. @scheme is "md5", "ao"
 * or, for a malformed frame (counted in both), "both". Return: its length.
 */
static size_t list_line(const struct verify_worker *w, char *line, size_t at, unsigned long frame,
			const char *scheme, const char *verdict, const struct md5sig_seg *seg,
			const char *why)
{
	char peers[128];

	if (w->list_json)
		return list_json(line, at, frame, scheme, verdict, seg, why);
	md5sig_seg_format(seg, peers, sizeof(peers));
	int n = snprintf(line + at, VERIFY_LINE - at, "%lu %s%s %s%s%s%s\n", frame,
			 strcmp(scheme, "ao") ? "" : "ao ", verdict, peers, why ? " (" : "",
			 why ? why : "", why ? ")" : "");

	return n < 0 ? 0 : (size_t)n < VERIFY_LINE - at ? (size_t)n : VERIFY_LINE - at - 1;
}

/*
 * Classify one frame (@pre: what the reading thread found, or NULL to parse it here).
 * Return: the length of its --list lines, written to @line, or 0 for none: the RFC 2385 line
 * (as it always was) unless only TCP-AO has anything to say, then the TCP-AO line if it has.
 */
static size_t verify_frame(struct verify_worker *w, uint32_t linktype, const uint8_t *data,
			   uint32_t caplen, uint32_t origlen, const struct verify_pre *pre,
			   unsigned long frame, char line[static VERIFY_LINE],
			   struct emu_verify_seen *seen)
{
	struct md5sig_seg own;
	const struct md5sig_seg *seg = pre ? &pre->seg : &own;
	enum md5sig_status st =
		pre ? pre->st : md5sig_parse_cap(linktype, data, caplen, origlen, &own);
	struct md5sig_verdicts v;

	if (st == MD5SIG_OTHER || st == MD5SIG_FRAGMENT) {
		w->c.other++;
		return 0;
	}
	md5sig_classify_frame(&w->chk, data, st, seg, pre && pre->known ? &pre->isns : NULL,
			      pre ? pre->sne : 0, &v);
	count(&w->c, &v);
	if (seen) {
		seen->tcp = true;
		seen->v = v;
		seen->seg = *seg;
	}
	if (!w->list)
		return 0;

	const char *why = md5sig_unchecked_name(v.unchecked);
	size_t n = 0;
	if (v.md5 == MD5SIG_MALFORMED)
		return list_line(w, line, 0, frame, "both", "malformed", seg,
				 md5sig_malformed_name(&v));
	if (v.md5 != MD5SIG_UNSIGNED || v.ao == MD5SIG_AO_UNSIGNED)
		n = list_line(w, line, 0, frame, "md5", md5sig_verdict_str(v.md5), seg,
			      v.md5 == MD5SIG_UNCHECKED ? why : NULL);
	if (v.ao != MD5SIG_AO_UNSIGNED)
		n += list_line(w, line, n, frame, "ao", md5sig_ao_verdict_str(v.ao), seg,
			       v.ao == MD5SIG_AO_UNCHECKED ? why : NULL);
	return n;
}

/*
 * The reading thread's part of a frame when TCP-AO needs its connection: parse it, follow the
 * connection in capture order, and note the connection's ISNs and the frame's SNE.
 */
static void track(struct md5sig_ao_flows *fl, const struct emu_pkt *pkt, struct verify_pre *p)
{
	p->st = md5sig_parse_cap(pkt->linktype, pkt->data, pkt->caplen, pkt->len, &p->seg);
	p->known = false;
	p->sne = 0;
	if (p->st != MD5SIG_TCP &&
	    !(p->st == MD5SIG_SNAPLEN && (p->seg.flags & MD5SIG_SEG_HEADERS)))
		return;
	md5sig_ao_flows_see(fl, pkt->data, &p->seg);
	p->known = md5sig_ao_flows_find(fl, pkt->data, &p->seg, &p->isns, &p->sne);
}

static void verify_batch(struct verify_worker *w, struct verify_batch *b)
{
	for (unsigned i = 0; i < b->n; i++)
		if (!b->held[i])
			b->textlen += verify_frame(w, b->link[i], b->frame[i], b->len[i],
						   b->orig[i], b->pre ? &b->pre[i] : NULL,
						   b->first + i, b->text + b->textlen, NULL);
}

/* The next queued batch nobody has started on, or NULL; with the lock held. */
static struct verify_batch *take(struct verify_pool *p)
{
	return p->taken == p->queued ? NULL : &p->ring[p->taken++ % p->nring];
}

static void *verify_thread(void *arg)
{
	struct verify_worker *w = arg;
	struct verify_pool *p = w->pool;
	struct verify_batch *b;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!(b = take(p)) && !p->end)
			pthread_cond_wait(&p->queued_cond, &p->lock);
		if (!b)
			break;
		pthread_mutex_unlock(&p->lock);
		verify_batch(w, b);
		pthread_mutex_lock(&p->lock);
		b->done = true;
		pthread_cond_signal(&p->done_cond);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/*
 * The frame to check for @pkt: itself, or the segment its reassembly completed (in *@data and
 * *@len); false for a fragment the reassembler holds.
 */
static bool reassemble(struct emu_reasm *ra, const struct emu_pkt *pkt, const uint8_t **data,
		       uint32_t *len)
{
	size_t n;

	*data = pkt->data;
	*len = pkt->caplen;
	switch (emu_reasm_feed(ra, pkt->linktype, pkt->data, pkt->caplen, &pkt->ts, data, &n)) {
	case EMU_REASM_HELD:
		return false;
	case EMU_REASM_DONE:
		*len = (uint32_t)n;
		return true;
	default:
		return true;
	}
}

/* Report progress to the caller at most once a second. */
static void tick(struct verify_worker *w, unsigned long frames)
{
	const struct emu_verify_config *cfg = w->cfg;

	if (!cfg->progress || frames < 0x1000) /* cli_progress() erases only after that many */
		return;
	time_t now = time(NULL);
	if (now != w->shown) {
		w->shown = now;
		cfg->progress(cfg->progress_arg, frames, false);
	}
}

/*
 * Read the next frames of @in into @b: pointers when @held (the reader keeps them), else
 * copies; a segment reassembled from fragments (by @ra) is always copied. Return: as
 * emu_capin_next().
 */
static int verify_fill(struct emu_capin *in, bool held, struct emu_reasm *ra,
		       struct md5sig_ao_flows *fl, struct verify_batch *b,
		       struct emu_verify_counts *c, char *err, size_t errlen)
{
	struct emu_pkt pkt;
	size_t off[VERIFY_BATCH];
	bool copied[VERIFY_BATCH];
	int r = 1;

	b->first = c->frames + 1;
	b->n = 0;
	b->bytes = 0;
	b->textlen = 0;
	b->done = false;
	while (b->n < VERIFY_BATCH && b->bytes < VERIFY_BATCH_BYTES &&
	       (r = emu_capin_next(in, &pkt, err, errlen)) > 0) {
		const uint8_t *data;
		uint32_t len;

		see_link(c, pkt.linktype);
		b->held[b->n] = !reassemble(ra, &pkt, &data, &len);
		if (b->held[b->n])
			len = 0; /* never read */
		copied[b->n] = !held || data != pkt.data;
		if (!copied[b->n]) {
			b->frame[b->n] = data;
		} else {
			if (b->bytes + len > b->cap) {
				size_t cap = b->cap ? b->cap : 65536;
				while (cap < b->bytes + len)
					cap *= 2;
				uint8_t *d = realloc(b->copy, cap);
				if (!d) {
					snprintf(err, errlen, "out of memory");
					return -ENOMEM;
				}
				b->copy = d;
				b->cap = cap;
			}
			memcpy(b->copy + b->bytes, data, len);
			off[b->n] = b->bytes;
		}
		if (fl && !b->held[b->n]) {
			/* the segment as checked: a reassembled one was as long on the wire */
			struct emu_pkt seg = {.data = data,
					      .caplen = len,
					      .len = data != pkt.data ? len : pkt.len,
					      .ts = pkt.ts,
					      .linktype = pkt.linktype};
			track(fl, &seg, &b->pre[b->n]);
		}
		b->orig[b->n] = data != pkt.data ? len : pkt.len;
		b->link[b->n] = pkt.linktype;
		b->len[b->n++] = len;
		b->bytes += len;
		c->frames++;
	}
	for (unsigned i = 0; i < b->n; i++)
		if (copied[i])
			b->frame[i] = b->copy + off[i]; /* copy has its final address now */
	return r;
}

/*
 * Classify every frame of @in with @nw threads: this one (with @w[0]) and @nw - 1 started
 * here (with @w[1...]). Return: 0, or what emu_capin_next() failed with or -errno, with a
 * reason in @err.
 */
static int verify_parallel(struct emu_capin *in, struct emu_reasm *ra, struct verify_worker *w,
			   unsigned nw, struct md5sig_ao_flows *fl, struct emu_verify_counts *c,
			   char *err, size_t errlen)
{
	struct verify_pool p = {
		.lock = PTHREAD_MUTEX_INITIALIZER,
		.queued_cond = PTHREAD_COND_INITIALIZER,
		.done_cond = PTHREAD_COND_INITIALIZER,
		.nring = 2 * nw + 2, /* one being filled, one being printed, the rest in flight */
	};
	const size_t textcap = VERIFY_BATCH * VERIFY_LINE;
	/* a batch ends past VERIFY_BATCH_BYTES by at most one frame */
	bool held = emu_capin_hold(in, p.nring * (VERIFY_BATCH_BYTES + OFFLOAD_MAX_FRAME));
	unsigned long seq = 0, printed = 0; /* batches queued, and printed */
	unsigned started = 1;
	int r = 1;

	p.ring = calloc(p.nring, sizeof(*p.ring));
	char *text = w->list ? malloc(p.nring * textcap) : NULL;
	struct verify_pre *pre = fl ? calloc(p.nring * VERIFY_BATCH, sizeof(*pre)) : NULL;
	if (!p.ring || (w->list && !text) || (fl && !pre)) {
		snprintf(err, errlen, "out of memory");
		r = -ENOMEM;
		goto out;
	}
	for (unsigned i = 0; text && i < p.nring; i++)
		p.ring[i].text = text + i * textcap;
	for (unsigned i = 0; pre && i < p.nring; i++)
		p.ring[i].pre = pre + i * VERIFY_BATCH;
	for (; started < nw; started++) {
		w[started].pool = &p;
		int e = pthread_create(&w[started].thread, NULL, verify_thread, &w[started]);
		if (e) {
			snprintf(err, errlen, "cannot start a thread: %s", strerror(e));
			r = -e;
			break;
		}
	}

	for (;;) {
		/* read while the ring has room */
		if (r > 0 && seq - printed < p.nring) {
			struct verify_batch *b = &p.ring[seq % p.nring];
			r = verify_fill(in, held, ra, fl, b, c, err, errlen);
			tick(w, c->frames); /* the clock once a batch */
			if (b->n) {
				pthread_mutex_lock(&p.lock);
				p.queued = ++seq;
				pthread_cond_signal(&p.queued_cond);
				pthread_mutex_unlock(&p.lock);
			}
			continue;
		}
		/* the frames before a read error are still classified and listed */
		if (printed == seq)
			break;
		/* the ring is full, or reading has ended: classify a batch, or print one */
		struct verify_batch *oldest = &p.ring[printed % p.nring], *mine;
		pthread_mutex_lock(&p.lock);
		while (!(mine = oldest->done ? NULL : take(&p)) && !oldest->done)
			pthread_cond_wait(&p.done_cond, &p.lock);
		pthread_mutex_unlock(&p.lock);
		if (mine) {
			verify_batch(w, mine);
			mine->done = true; /* only this thread reads done of a batch it took */
			continue;
		}
		if (oldest->textlen)
			fwrite(oldest->text, 1, oldest->textlen, w->list);
		printed++;
	}

	pthread_mutex_lock(&p.lock);
	p.end = true;
	pthread_cond_broadcast(&p.queued_cond);
	pthread_mutex_unlock(&p.lock);
	for (unsigned i = 1; i < started; i++)
		pthread_join(w[i].thread, NULL);
out:
	for (unsigned i = 0; p.ring && i < p.nring; i++)
		free(p.ring[i].copy);
	free(p.ring);
	free(text);
	free(pre);
	return r < 0 ? r : 0;
}

/*
 * Classify the next frame in capture order in this thread: reassemble, follow its connection,
 * classify, write its --list lines; @seen (or NULL) gets what it was.
 */
static void verify_next(struct emu_reasm *ra, struct verify_worker *w, struct md5sig_ao_flows *fl,
			struct emu_verify_counts *c, const struct emu_pkt *pkt,
			struct emu_verify_seen *seen)
{
	struct verify_pre pre;
	char line[VERIFY_LINE];
	const uint8_t *data;
	uint32_t len;

	if (seen)
		seen->tcp = false;
	++c->frames;
	see_link(c, pkt->linktype);
	if (!reassemble(ra, pkt, &data, &len))
		return;
	if (seen)
		seen->reassembled = data != pkt->data;
	/* a reassembled segment was as long on the wire as it is now */
	uint32_t orig = data != pkt->data ? len : pkt->len;
	if (fl) {
		struct emu_pkt seg = {.data = data,
				      .caplen = len,
				      .len = orig,
				      .ts = pkt->ts,
				      .linktype = pkt->linktype};
		track(fl, &seg, &pre);
	}
	size_t n = verify_frame(w, pkt->linktype, data, len, orig, fl ? &pre : NULL, c->frames,
				line, seen);
	if (n)
		fwrite(line, 1, n, w->list);
}

/* Classify every frame of @in in this thread. Return: 0 or what emu_capin_next() failed with. */
static int verify_serial(struct emu_capin *in, struct emu_reasm *ra, struct verify_worker *w,
			 struct md5sig_ao_flows *fl, struct emu_verify_counts *c, char *err,
			 size_t errlen)
{
	struct emu_pkt pkt;
	int r;

	while ((r = emu_capin_next(in, &pkt, err, errlen)) > 0) {
		if (!((c->frames + 1) & 0xfff)) /* the clock every 4096 frames */
			tick(w, c->frames + 1);
		verify_next(ra, w, fl, c, &pkt, NULL);
	}
	return r;
}

unsigned emu_verify_jobs(unsigned jobs)
{
	if (jobs)
		return jobs > EMU_VERIFY_JOBS_MAX ? EMU_VERIFY_JOBS_MAX : jobs;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	return cpus < 1 ? 1 : cpus > EMU_VERIFY_JOBS_MAX ? EMU_VERIFY_JOBS_MAX : (unsigned)cpus;
}

/* Add one thread's counts to the run's. */
static void add_counts(struct emu_verify_counts *c, const struct emu_verify_counts *w)
{
	c->other += w->other;
	for (int v = 0; v < MD5SIG_NVERDICTS; v++)
		c->verdicts[v] += w->verdicts[v];
	for (int s = 0; s < MD5SIG_NSTATUS; s++)
		c->reasons[s] += w->reasons[s];
	for (int v = 0; v < MD5SIG_AO_NVERDICTS; v++)
		c->ao[v] += w->ao[v];
	for (int s = 0; s < MD5SIG_AO_OPT_NSTATUS; s++)
		c->ao_reasons[s] += w->ao_reasons[s];
	for (int u = 0; u < MD5SIG_UNCHECKED_NREASONS; u++)
		c->unchecked[u] += w->unchecked[u];
}

/* The flow table TCP-AO needs, with the --isn ISNs; NULL (and 0) when there are no MKTs. */
static int flows_new(const struct emu_verify_config *cfg, struct md5sig_ao_flows **out, char *err,
		     size_t errlen)
{
	*out = NULL;
	if (!cfg->keys || !md5sig_aotab_count(md5sig_keytab_ao(cfg->keys)))
		return 0;
	if (!(*out = md5sig_ao_flows_new(cfg->flows ? cfg->flows : EMU_VERIFY_FLOWS))) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return emu_isns_give(*out, cfg->isns, cfg->nisns, err, errlen);
}

/* A thread's hasher and TCP-AO verifier, its key table and --list stream. */
static int worker_init(struct verify_worker *w, const struct emu_verify_config *cfg, char *err,
		       size_t errlen)
{
	const struct md5sig_aotab *mkts = cfg->keys ? md5sig_keytab_ao(cfg->keys) : NULL;

	w->chk.kt = cfg->keys;
	w->list = cfg->list;
	w->list_json = cfg->list_json;
	w->cfg = cfg;
	if (!(w->chk.h = md5sig_hasher_new()) ||
	    (mkts && !(w->chk.ao = md5sig_ao_verifier_new(mkts, 1024)))) {
		snprintf(err, errlen, "cannot set up MD5 or TCP-AO (libcrypto)");
		return -ENOMEM;
	}
	return 0;
}

int emu_verify(const struct emu_verify_config *cfg, struct emu_verify_counts *c, char *err,
	       size_t errlen)
{
	unsigned jobs = emu_verify_jobs(cfg->jobs);
	struct verify_worker *w = calloc(jobs, sizeof(*w));
	struct md5sig_ao_flows *fl = NULL;
	struct emu_reasm *ra = emu_reasm_new();
	struct emu_capin *in = NULL;
	int r = -ENOMEM;

	memset(c, 0, sizeof(*c));
	if (!w || !ra) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (unsigned i = 0; i < jobs; i++)
		if ((r = worker_init(&w[i], cfg, err, errlen)))
			goto out;
	if ((r = flows_new(cfg, &fl, err, errlen)))
		goto out;
	in = emu_capin_open(cfg->path, err, errlen);
	if (!in) {
		r = -EINVAL;
		goto out;
	}
	c->linktype = emu_capin_linktype(in);
	c->mkts = fl != NULL;
	if (jobs == 1)
		r = verify_serial(in, ra, w, fl, c, err, errlen);
	else
		r = verify_parallel(in, ra, w, jobs, fl, c, err, errlen);
	if (cfg->progress)
		cfg->progress(cfg->progress_arg, c->frames, true);
	const struct emu_capin_cut *cut = emu_capin_cut(in);
	if (cut && !r) {
		c->truncated = true;
		c->cut = *cut;
	}
	emu_reasm_stats(ra, &c->reasm);
	for (unsigned i = 0; i < jobs; i++)
		add_counts(c, &w[i].c);
	if (fl)
		md5sig_ao_flows_stats(fl, &c->flows);
out:
	emu_capin_close(in);
	md5sig_ao_flows_free(fl);
	for (unsigned i = 0; w && i < jobs; i++) {
		md5sig_hasher_free(w[i].chk.h);
		md5sig_ao_verifier_free(w[i].chk.ao);
	}
	free(w);
	emu_reasm_free(ra);
	return r < 0 ? r : 0;
}

/* A stream is the one-thread engine (verify_next()) with its own state. */
struct emu_verify_stream {
	struct verify_worker w;
	struct emu_reasm *ra;
	struct md5sig_ao_flows *fl;
	struct emu_verify_counts c; /* frames, the link type, mkts; the rest is in w */
};

struct emu_verify_stream *emu_verify_stream_new(const struct emu_verify_config *cfg,
						uint32_t linktype, char *err, size_t errlen)
{
	struct emu_verify_stream *s = calloc(1, sizeof(*s));

	if (!s || !(s->ra = emu_reasm_new())) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (worker_init(&s->w, cfg, err, errlen) || flows_new(cfg, &s->fl, err, errlen))
		goto fail;
	s->c.linktype = linktype;
	s->c.mkts = s->fl != NULL;
	return s;
fail:
	emu_verify_stream_free(s);
	return NULL;
}

void emu_verify_stream_feed(struct emu_verify_stream *s, const struct emu_pkt *pkt,
			    struct emu_verify_seen *seen)
{
	struct emu_pkt p = *pkt;

	p.linktype = s->c.linktype; /* a stream has the one link type it was made with */
	verify_next(s->ra, &s->w, s->fl, &s->c, &p, seen);
}

void emu_verify_stream_counts(const struct emu_verify_stream *s, struct emu_verify_counts *c)
{
	*c = s->c;
	add_counts(c, &s->w.c);
	emu_reasm_stats(s->ra, &c->reasm);
	if (s->fl)
		md5sig_ao_flows_stats(s->fl, &c->flows);
}

void emu_verify_stream_free(struct emu_verify_stream *s)
{
	if (!s)
		return;
	md5sig_ao_flows_free(s->fl);
	md5sig_hasher_free(s->w.chk.h);
	md5sig_ao_verifier_free(s->w.chk.ao);
	emu_reasm_free(s->ra);
	free(s);
}

bool emu_verify_failed(const struct emu_verify_counts *c)
{
	return c->verdicts[MD5SIG_INVALID] || c->verdicts[MD5SIG_MISSING] ||
	       c->ao[MD5SIG_AO_INVALID] || c->ao[MD5SIG_AO_MISSING] || c->ao[MD5SIG_AO_NO_ISN] ||
	       c->unchecked[MD5SIG_UNCHECKED_SNAPLEN];
}

/* Does TCP-AO have anything to say (a verdict other than unsigned, or MKTs to judge by)? */
static bool ao_shown(const struct emu_verify_counts *c)
{
	for (int v = MD5SIG_AO_VALID; v < MD5SIG_AO_MALFORMED; v++)
		if (v != MD5SIG_AO_UNSIGNED && c->ao[v])
			return true;
	return c->mkts;
}

void emu_verify_json(FILE *f, const struct emu_verify_counts *c)
{
	fprintf(f, "{\"frames\": %lu, \"md5\": {", c->frames);
	for (int v = MD5SIG_VALID; v < MD5SIG_MALFORMED; v++)
		fprintf(f, "%s\"%s\": %lu", v ? ", " : "", md5sig_verdict_str(v), c->verdicts[v]);
	fprintf(f, "}, \"malformed\": %lu, \"malformed_reasons\": {",
		c->verdicts[MD5SIG_MALFORMED]);
	bool first = true;
	for (int s = MD5SIG_MALFORMED_FIRST; s < MD5SIG_NSTATUS; s++) {
		if (!c->reasons[s])
			continue;
		fprintf(f, "%s\"%s\": %lu", first ? "" : ", ", md5sig_status_name(s),
			c->reasons[s]);
		first = false;
	}
	for (int s = MD5SIG_AO_OPT_SHORT; s < MD5SIG_AO_OPT_NSTATUS; s++) {
		if (!c->ao_reasons[s])
			continue;
		fprintf(f, "%s\"%s\": %lu", first ? "" : ", ", md5sig_ao_optst_name(s),
			c->ao_reasons[s]);
		first = false;
	}
	fprintf(f, "}, \"other\": %lu", c->other);
	if (c->reasm.fragments) {
		const struct emu_reasm_stats *a = &c->reasm;
		fprintf(f,
			", \"fragments\": {\"frames\": %lu, \"reassembled\": %lu, "
			"\"overlapping\": %lu, \"duplicates\": %lu, \"timed_out\": %lu, "
			"\"evicted\": %lu, \"bad\": %lu, \"incomplete\": %lu}",
			a->fragments, a->reassembled, a->overlapping, a->duplicates, a->timed_out,
			a->evicted, a->bad, a->incomplete);
	}
	fprintf(f, ", \"ao\": {");
	for (int v = MD5SIG_AO_VALID; v < MD5SIG_AO_MALFORMED; v++)
		fprintf(f, "%s\"%s\": %lu", v ? ", " : "", md5sig_ao_verdict_str(v), c->ao[v]);
	fprintf(f, "}, \"unchecked_reasons\": {");
	for (int u = 0; u < MD5SIG_UNCHECKED_NREASONS; u++)
		fprintf(f, "%s\"%s\": %lu", u ? ", " : "", md5sig_unchecked_name(u),
			c->unchecked[u]);
	fprintf(f, "}, \"ao_flows\": {\"learnt\": %llu, \"evictions\": %llu}",
		(unsigned long long)c->flows.learnt, (unsigned long long)c->flows.evictions);
	if (c->truncated) {
		fprintf(f, ", \"truncated\": ");
		emu_capin_cut_json(f, &c->cut);
	}
	fprintf(f, "}\n");
}

/* The lines that say which signed segments were not checked, and why. */
static void text_unchecked(FILE *f, const struct emu_verify_counts *c)
{
	if (c->unchecked[MD5SIG_UNCHECKED_NO_KEY])
		fprintf(f,
			"%lu signed segments could not be checked: no key given (--key or "
			"--key-file)\n",
			c->unchecked[MD5SIG_UNCHECKED_NO_KEY]);
	if (c->unchecked[MD5SIG_UNCHECKED_SNAPLEN])
		fprintf(f,
			"%lu signed segments could not be checked: the capture cut them short "
			"(snaplen)\n",
			c->unchecked[MD5SIG_UNCHECKED_SNAPLEN]);
	if (c->ao[MD5SIG_AO_NO_ISN])
		fprintf(f,
			"%lu TCP-AO segments could not be checked: their connection's ISNs are "
			"unknown (no handshake in the capture; give them with --isn "
			"ADDR.PORT=ISN)\n",
			c->ao[MD5SIG_AO_NO_ISN]);
	if (c->ao[MD5SIG_AO_UNKNOWN_KEY])
		fprintf(f,
			"%lu TCP-AO segments could not be checked: no MKT for their peer has "
			"their KeyID\n",
			c->ao[MD5SIG_AO_UNKNOWN_KEY]);
	if (c->flows.evictions)
		fprintf(f,
			"(%llu connections were forgotten to follow newer ones: their later "
			"TCP-AO segments are no-isn)\n",
			(unsigned long long)c->flows.evictions);
}

void emu_verify_text(FILE *f, const char *path, const struct emu_verify_counts *c)
{
	unsigned long tcp = 0;
	bool ao = ao_shown(c);

	for (int v = MD5SIG_VALID; v < MD5SIG_MALFORMED; v++)
		tcp += c->verdicts[v];
	fprintf(f, "%s: %lu frames (%s", path, c->frames, md5sig_linktype_str(c->linktype));
	for (unsigned i = 0; i < c->nlinks; i++)
		if (c->links[i] != c->linktype)
			fprintf(f, ", %s", md5sig_linktype_str(c->links[i]));
	fprintf(f, ")\n");
	fprintf(f, "  TCP segments %10lu\n", tcp);
	if (ao)
		fprintf(f, "  TCP-MD5 (RFC 2385)\n");
	for (int v = MD5SIG_VALID; v < MD5SIG_MALFORMED; v++)
		if (v != MD5SIG_UNCHECKED || c->verdicts[v])
			fprintf(f, "    %-10s %10lu\n", md5sig_verdict_str(v), c->verdicts[v]);
	if (ao) {
		fprintf(f, "  TCP-AO (RFC 5925)\n");
		for (int v = MD5SIG_AO_VALID; v < MD5SIG_AO_MALFORMED; v++)
			fprintf(f, "    %-11s %9lu\n", md5sig_ao_verdict_str(v), c->ao[v]);
	}
	fprintf(f, "  malformed    %10lu\n", c->verdicts[MD5SIG_MALFORMED]);
	for (int s = MD5SIG_MALFORMED_FIRST; s < MD5SIG_NSTATUS; s++)
		if (c->reasons[s])
			fprintf(f, "    %-10lu %s\n", c->reasons[s], md5sig_status_str(s));
	for (int s = MD5SIG_AO_OPT_SHORT; s < MD5SIG_AO_OPT_NSTATUS; s++)
		if (c->ao_reasons[s])
			fprintf(f, "    %-10lu %s\n", c->ao_reasons[s], md5sig_ao_optst_str(s));
	fprintf(f, "  not TCP      %10lu\n", c->other);
	if (c->reasm.fragments) {
		const struct emu_reasm_stats *a = &c->reasm;
		fprintf(f, "  IP fragments %10lu (of TCP segments)\n", a->fragments);
		fprintf(f, "    %-10lu segments reassembled (checked above)\n", a->reassembled);
		if (a->overlapping || a->duplicates || a->timed_out || a->evicted || a->bad ||
		    a->incomplete)
			fprintf(f,
				"    not reassembled: %lu overlapping (RFC 5722), %lu duplicate "
				"fragments, %lu timed out, %lu evicted, %lu bad, %lu incomplete\n",
				a->overlapping, a->duplicates, a->timed_out, a->evicted, a->bad,
				a->incomplete);
	}

	/* a result line per scheme with anything signed; RFC 2385's also when nothing is */
	unsigned long md5_signed = c->verdicts[MD5SIG_VALID] + c->verdicts[MD5SIG_INVALID] +
				   c->verdicts[MD5SIG_MISSING] + c->verdicts[MD5SIG_UNEXPECTED] +
				   c->verdicts[MD5SIG_UNCHECKED];
	if (md5_signed || !ao) {
		if (c->verdicts[MD5SIG_INVALID] || c->verdicts[MD5SIG_MISSING])
			fprintf(f, "result: %lu invalid, %lu missing digests\n",
				c->verdicts[MD5SIG_INVALID], c->verdicts[MD5SIG_MISSING]);
		else if (c->verdicts[MD5SIG_UNCHECKED])
			fprintf(f, "result: no invalid or missing digests among the %lu checked\n",
				c->verdicts[MD5SIG_VALID]);
		else
			fprintf(f, "result: no invalid or missing digests\n");
	}
	if (ao) {
		unsigned long unchecked = c->ao[MD5SIG_AO_UNCHECKED] + c->ao[MD5SIG_AO_NO_ISN] +
					  c->ao[MD5SIG_AO_UNKNOWN_KEY];
		if (c->ao[MD5SIG_AO_INVALID] || c->ao[MD5SIG_AO_MISSING])
			fprintf(f, "result (TCP-AO): %lu invalid, %lu missing MACs\n",
				c->ao[MD5SIG_AO_INVALID], c->ao[MD5SIG_AO_MISSING]);
		else if (unchecked)
			fprintf(f,
				"result (TCP-AO): no invalid or missing MACs among the %lu "
				"checked\n",
				c->ao[MD5SIG_AO_VALID]);
		else
			fprintf(f, "result (TCP-AO): no invalid or missing MACs\n");
	}
	text_unchecked(f, c);
}
