// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * verify on an interface (emu/analysis/live.h): the verify engine's stream fed from a live
 * capture, with per-peer counts, a summary line each second and the stopping rules.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "emu/analysis/live.h"

#define LIVE_SHOWN 8 /* peers on a summary line */

struct emu_live {
	struct emu_live_config cfg;
	struct emu_verify_stream *s;
	struct emu_live_peer peers[EMU_LIVE_PEERS];
	size_t npeers;
	struct emu_live_peer others; /* every peer past EMU_LIVE_PEERS */
	unsigned long frames;
	unsigned long oversize; /* signed frames longer than the MTU */
	unsigned long dropped;	/* by the kernel */
	struct timespec start;
	unsigned long elapsed_ms;
};

static unsigned long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (unsigned long)((t.tv_sec - t0->tv_sec) * 1000L +
			       (t.tv_nsec - t0->tv_nsec) / 1000000L);
}

struct emu_live *emu_live_new(const struct emu_live_config *cfg, uint32_t linktype, char *err,
			      size_t errlen)
{
	struct emu_live *l = calloc(1, sizeof(*l));

	if (!l) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->cfg = *cfg;
	if (!(l->s = emu_verify_stream_new(&l->cfg.verify, linktype, err, errlen))) {
		free(l);
		return NULL;
	}
	clock_gettime(CLOCK_MONOTONIC, &l->start);
	return l;
}

/* The counts of the peer that sent @seg: found, added, or the others'. */
static struct emu_live_peer *peer_of(struct emu_live *l, const struct md5sig_seg *seg)
{
	size_t alen = seg->family == AF_INET ? 4 : 16;

	for (size_t i = 0; i < l->npeers; i++)
		if (l->peers[i].family == seg->family &&
		    !memcmp(l->peers[i].addr, seg->saddr, alen))
			return &l->peers[i];
	if (l->npeers == EMU_LIVE_PEERS)
		return &l->others;
	struct emu_live_peer *p = &l->peers[l->npeers++];
	p->family = seg->family;
	memcpy(p->addr, seg->saddr, alen);
	return p;
}

void emu_live_feed(struct emu_live *l, const struct emu_pkt *pkt, unsigned mtu)
{
	struct emu_verify_seen seen;

	l->frames++;
	emu_verify_stream_feed(l->s, pkt, &seen);
	if (!seen.tcp || !seen.seg.family) /* not TCP, or malformed before its addresses */
		return;
	const struct md5sig_verdicts *v = &seen.v;
	const struct md5sig_seg *seg = &seen.seg;
	struct emu_live_peer *p = peer_of(l, seg);
	p->frames++;
	p->valid += v->md5 == MD5SIG_VALID || v->ao == MD5SIG_AO_VALID;
	p->invalid += v->md5 == MD5SIG_INVALID || v->ao == MD5SIG_AO_INVALID;
	p->missing += v->md5 == MD5SIG_MISSING || v->ao == MD5SIG_AO_MISSING;
	/* the IP packet as the kernel handed it to the capture, against what the wire carries (a
	 * segment reassembled from IP fragments was carried in pieces: no super-frame) */
	bool is_signed = seg->md5_off >= 0 || (seg->flags & MD5SIG_SEG_AO);
	if (mtu && is_signed && !seen.reassembled && v->md5 != MD5SIG_MALFORMED &&
	    seg->l4_off - seg->l3_off + seg->tcp_len > mtu)
		l->oversize++;
}

struct feed_arg {
	struct emu_live *l;
	unsigned mtu;
};

static void feed_cb(void *arg, const struct emu_pkt *pkt)
{
	struct feed_arg *a = arg;

	emu_live_feed(a->l, pkt, a->mtu);
}

/* Fetch the kernel's drop count (it only grows; a failure keeps the last one). */
static void update_dropped(struct emu_live *l, struct emu_livecap *cap)
{
	unsigned long d;

	if (!emu_livecap_dropped(cap, &d))
		l->dropped = d;
}

/* Feed the frames waiting, never more than --count leaves. Return: 0 or -EIO. */
static int drain(struct emu_live *l, struct emu_livecap *cap, struct feed_arg *a, char *err,
		 size_t errlen)
{
	unsigned long left = l->cfg.count ? l->cfg.count - l->frames : 0;
	int n = emu_livecap_dispatch(cap, left > 0x7fffffff ? 0x7fffffff : (int)left, feed_cb, a,
				     err, errlen);

	return n < 0 ? n : 0;
}

int emu_live_run(struct emu_live *l, struct emu_livecap *cap, char *err, size_t errlen)
{
	const struct emu_live_config *cfg = &l->cfg;
	struct feed_arg a = {.l = l, .mtu = emu_livecap_mtu(cap)};
	struct pollfd pfd = {.fd = emu_livecap_fd(cap), .events = POLLIN};
	unsigned long tick = 1000; /* the next summary line, in ms since the start */
	int r = 0;

	clock_gettime(CLOCK_MONOTONIC, &l->start);
	for (;;) {
		if (cfg->stop && *cfg->stop)
			break;
		unsigned long now = ms_since(&l->start);
		if (cfg->duration_ms && now >= cfg->duration_ms)
			break;
		if (now >= tick) {
			l->elapsed_ms = now;
			update_dropped(l, cap);
			if (cfg->progress)
				emu_live_summary(cfg->progress, l);
			tick = now / 1000 * 1000 + 1000;
		}
		unsigned long until = tick;
		if (cfg->duration_ms && cfg->duration_ms < until)
			until = cfg->duration_ms;
		struct timespec to = {.tv_sec = (time_t)((until - now) / 1000),
				      .tv_nsec = (long)((until - now) % 1000) * 1000000L};
		int n = ppoll(&pfd, 1, &to, cfg->waitmask);
		if (n < 0 && errno != EINTR) {
			r = -errno;
			snprintf(err, errlen, "--interface %s: waiting for frames: %s", cfg->iface,
				 strerror(-r));
			break;
		}
		if (n > 0 && (r = drain(l, cap, &a, err, errlen)))
			break;
		if (cfg->count && l->frames >= cfg->count)
			break;
	}
	/* stopped by a signal or the clock: the frames that arrived before still count */
	if (!r && !(cfg->count && l->frames >= cfg->count))
		r = drain(l, cap, &a, err, errlen);
	l->elapsed_ms = ms_since(&l->start);
	update_dropped(l, cap);
	if (cfg->progress)
		emu_live_summary(cfg->progress, l);
	return r;
}

void emu_live_counts(const struct emu_live *l, struct emu_verify_counts *c)
{
	emu_verify_stream_counts(l->s, c);
}

const struct emu_live_peer *emu_live_peers(const struct emu_live *l, size_t *n)
{
	*n = l->npeers;
	return l->peers;
}

/* A peer's address as text ("others" past EMU_LIVE_PEERS). */
static const char *peer_name(const struct emu_live_peer *p, char buf[static INET6_ADDRSTRLEN])
{
	if (!p->family || !inet_ntop(p->family, p->addr, buf, INET6_ADDRSTRLEN))
		return "others";
	return buf;
}

void emu_live_summary(FILE *f, const struct emu_live *l)
{
	char name[INET6_ADDRSTRLEN];
	size_t shown = l->npeers < LIVE_SHOWN ? l->npeers : LIVE_SHOWN;

	fprintf(f, "%s %lus: %lu frames", l->cfg.iface, l->elapsed_ms / 1000, l->frames);
	if (l->dropped)
		fprintf(f, ", %lu dropped by the kernel", l->dropped);
	if (l->oversize)
		fprintf(f, ", %lu super-frames", l->oversize);
	for (size_t i = 0; i < shown; i++) {
		const struct emu_live_peer *p = &l->peers[i];
		fprintf(f, " | %s %lu frames, %lu valid, %lu invalid, %lu missing",
			peer_name(p, name), p->frames, p->valid, p->invalid, p->missing);
	}
	if (l->npeers > shown || l->others.frames)
		fprintf(f, " | %zu more peers", l->npeers - shown + (l->others.frames ? 1 : 0));
	fputc('\n', f);
	fflush(f);
}

static void peer_json(FILE *f, const struct emu_live_peer *p, bool first)
{
	char name[INET6_ADDRSTRLEN];

	fprintf(f,
		"%s{\"address\": \"%s\", \"frames\": %lu, \"valid\": %lu, \"invalid\": %lu, "
		"\"missing\": %lu}",
		first ? "" : ", ", peer_name(p, name), p->frames, p->valid, p->invalid, p->missing);
}

/* The JSON string of an interface name: printable ASCII, with " and \ escaped. */
static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

void emu_live_json(FILE *f, const struct emu_live *l)
{
	struct emu_verify_counts c;
	char *obj = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&obj, &len);

	emu_live_counts(l, &c);
	/* the file mode's object, its closing brace replaced by the live fields */
	if (m) {
		emu_verify_json(m, &c);
		if (fclose(m))
			len = 0;
	}
	while (len && (obj[len - 1] == '\n' || obj[len - 1] == '}'))
		if (obj[--len] == '}')
			break;
	if (!len) {
		free(obj);
		fprintf(f, "{\"error\": \"out of memory\"}\n");
		return;
	}
	fwrite(obj, 1, len, f);
	free(obj);
	fprintf(f, ", \"interface\": ");
	json_string(f, l->cfg.iface);
	fprintf(f, ", \"dropped\": %lu, \"oversize\": %lu, \"peers\": [", l->dropped, l->oversize);
	for (size_t i = 0; i < l->npeers; i++)
		peer_json(f, &l->peers[i], !i);
	if (l->others.frames)
		peer_json(f, &l->others, !l->npeers);
	fprintf(f, "]}\n");
}

void emu_live_text(FILE *f, const struct emu_live *l)
{
	struct emu_verify_counts c;

	emu_live_counts(l, &c);
	emu_verify_text(f, l->cfg.iface, &c);
	if (l->dropped)
		fprintf(f,
			"%lu frames were dropped by the kernel before the capture saw them: not "
			"checked\n",
			l->dropped);
	if (l->oversize)
		fprintf(f,
			"%lu signed frames were longer than %s's MTU: super-frames of GSO/TSO or "
			"GRO/LRO, whose verdicts are not those of the segments on the wire "
			"(ethtool -K %s gro off lro off tso off gso off)\n",
			l->oversize, l->cfg.iface, l->cfg.iface);
}

void emu_live_free(struct emu_live *l)
{
	if (!l)
		return;
	emu_verify_stream_free(l->s);
	free(l);
}
