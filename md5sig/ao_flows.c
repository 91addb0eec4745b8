// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ISNs and SNE per connection, for TCP-AO (RFC 5925 §5.2, §6.2): a bounded table of
 * connections, each with both sides' ISNs (learnt from SYN and SYN-ACK, or given) and each
 * direction's furthest sequence number and SNE. Hashed by the connection's endpoints in a
 * canonical order (so both directions find the same entry), chained, with a least-recently-seen
 * list that gives up the oldest connection when the table is full.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "md5sig.h"

struct side {
	uint8_t addr[16];
	uint16_t port;
	bool known; /* ISN known */
	uint32_t isn;
	struct md5sig_ao_sne sne; /* of the segments this side sends */
};

struct flow {
	uint8_t family;
	struct side s[2];      /* in canonical order: s[0] sorts before s[1] */
	uint32_t chain;	       /* next in the bucket (index + 1, 0 ends) */
	uint32_t newer, older; /* the recency list (index + 1, 0 ends) */
};

struct md5sig_ao_flows {
	struct flow *f;
	size_t max, n;
	uint32_t *bucket; /* index + 1 of the first flow, 0: none */
	size_t nbuckets;  /* power of 2 */
	uint32_t newest, oldest;
	struct md5sig_ao_isn_arg *given;
	size_t ngiven, givencap;
	struct md5sig_ao_flow_stats st;
};

/* ---- --isn ---- */

/* Decimal digits [s, e) into *@v, at most @max. */
static bool decimal(const char *s, const char *e, unsigned long long max, unsigned long long *v)
{
	*v = 0;
	if (s == e)
		return false;
	for (; s < e; s++) {
		if (*s < '0' || *s > '9')
			return false;
		*v = *v * 10 + (unsigned)(*s - '0');
		if (*v > max)
			return false;
	}
	return true;
}

static bool hexnum(const char *s, const char *e, unsigned long long max, unsigned long long *v)
{
	*v = 0;
	if (s == e)
		return false;
	for (; s < e; s++) {
		int d = *s >= '0' && *s <= '9'	 ? *s - '0'
			: *s >= 'a' && *s <= 'f' ? *s - 'a' + 10
			: *s >= 'A' && *s <= 'F' ? *s - 'A' + 10
						 : -1;
		if (d < 0)
			return false;
		*v = *v * 16 + (unsigned)d;
		if (*v > max)
			return false;
	}
	return true;
}

int md5sig_ao_isn_parse(const char *arg, struct md5sig_ao_isn_arg *out, const char **why)
{
	const char *eq = strrchr(arg, '='), *end = arg + strlen(arg);
	char a[INET6_ADDRSTRLEN + 1];
	unsigned long long v;

	memset(out, 0, sizeof(*out));
	*why = "expected ADDR.PORT=ISN (e.g. 192.0.2.1.179=12345 or 2001:db8::1.179=0x3039)";
	if (!eq)
		return -EINVAL;
	const char *dot = eq;
	while (dot > arg && dot[-1] != '.')
		dot--;
	if (dot == arg || (size_t)(dot - 1 - arg) >= sizeof(a))
		return -EINVAL;
	memcpy(a, arg, (size_t)(dot - 1 - arg));
	a[dot - 1 - arg] = '\0';
	if (inet_pton(AF_INET, a, out->addr) == 1) {
		out->family = AF_INET;
	} else if (inet_pton(AF_INET6, a, out->addr) == 1) {
		out->family = AF_INET6;
	} else {
		*why = "bad address before .PORT=ISN (expected IPv4 or IPv6)";
		return -EINVAL;
	}
	if (!decimal(dot, eq, 65535, &v)) {
		*why = "bad port (expected ADDR.PORT=ISN, PORT 0-65535)";
		return -EINVAL;
	}
	out->port = (uint16_t)v;
	const char *n = eq + 1;
	bool ok = end - n > 2 && n[0] == '0' && (n[1] == 'x' || n[1] == 'X')
			  ? hexnum(n + 2, end, 0xffffffffull, &v)
			  : decimal(n, end, 0xffffffffull, &v);
	if (!ok) {
		*why = "bad ISN (expected decimal or 0x-hex, 0 to 4294967295)";
		return -EINVAL;
	}
	out->isn = (uint32_t)v;
	return 0;
}

/* ---- the table ---- */

struct md5sig_ao_flows *md5sig_ao_flows_new(size_t max)
{
	struct md5sig_ao_flows *t = calloc(1, sizeof(*t));
	size_t nb = 1;

	if (!t)
		return NULL;
	if (max < 1)
		max = 1;
	if (max > UINT32_MAX - 1)
		max = UINT32_MAX - 1;
	while (nb < max && nb < ((size_t)1 << 30))
		nb *= 2;
	t->max = max;
	t->nbuckets = nb;
	t->st.max = max;
	t->f = calloc(max, sizeof(*t->f));
	t->bucket = calloc(nb, sizeof(*t->bucket));
	if (!t->f || !t->bucket) {
		md5sig_ao_flows_free(t);
		errno = ENOMEM;
		return NULL;
	}
	return t;
}

void md5sig_ao_flows_free(struct md5sig_ao_flows *t)
{
	if (!t)
		return;
	free(t->f);
	free(t->bucket);
	free(t->given);
	free(t);
}

void md5sig_ao_flows_stats(const struct md5sig_ao_flows *t, struct md5sig_ao_flow_stats *out)
{
	*out = t->st;
	out->flows = t->n;
}

static bool given_isn(const struct md5sig_ao_flows *t, uint8_t family, const struct side *s,
		      uint32_t *isn)
{
	for (size_t i = 0; i < t->ngiven; i++) {
		const struct md5sig_ao_isn_arg *g = &t->given[i];
		if (g->family == family && g->port == s->port && !memcmp(g->addr, s->addr, 16)) {
			*isn = g->isn;
			return true;
		}
	}
	return false;
}

int md5sig_ao_flows_give(struct md5sig_ao_flows *t, const struct md5sig_ao_isn_arg *isn)
{
	struct side s = {.port = isn->port};
	uint32_t old;

	memcpy(s.addr, isn->addr, 16);
	if (given_isn(t, (uint8_t)isn->family, &s, &old))
		return old == isn->isn ? 0 : -EEXIST;
	if (t->ngiven == t->givencap) {
		size_t nc = t->givencap ? 2 * t->givencap : 8;
		struct md5sig_ao_isn_arg *ng = realloc(t->given, nc * sizeof(*ng));
		if (!ng)
			return -ENOMEM;
		t->given = ng;
		t->givencap = nc;
	}
	t->given[t->ngiven++] = *isn;
	return 0;
}

/* A segment's two endpoints, the sender in @src. */
static void endpoints(const struct md5sig_seg *seg, struct side *src, struct side *dst)
{
	memset(src, 0, sizeof(*src));
	memset(dst, 0, sizeof(*dst));
	memcpy(src->addr, seg->saddr, 16);
	memcpy(dst->addr, seg->daddr, 16);
	src->port = seg->sport;
	dst->port = seg->dport;
}

static int side_cmp(const struct side *a, const struct side *b)
{
	int c = memcmp(a->addr, b->addr, 16);

	return c ? c : (int)a->port - (int)b->port;
}

static bool side_is(const struct side *a, const struct side *b)
{
	return a->port == b->port && !memcmp(a->addr, b->addr, 16);
}

static size_t hash(uint8_t family, const struct side *lo, const struct side *hi)
{
	uint64_t h = family * 0x9e3779b97f4a7c15u;

	for (int k = 0; k < 2; k++) {
		const struct side *s = k ? hi : lo;
		uint64_t a, b;
		memcpy(&a, s->addr, 8);
		memcpy(&b, s->addr + 8, 8);
		h = (h ^ a) * 0xff51afd7ed558ccdu;
		h = (h ^ b ^ s->port) * 0xc4ceb9fe1a85ec53u;
	}
	return (size_t)(h ^ h >> 31);
}

/* The flow of a segment's connection and which of its sides sent it, or NULL. */
static struct flow *lookup(const struct md5sig_ao_flows *t, const struct md5sig_seg *seg, int *from,
			   size_t *hb)
{
	struct side src, dst;

	endpoints(seg, &src, &dst);
	bool swap = side_cmp(&src, &dst) > 0;
	*hb = hash(seg->family, swap ? &dst : &src, swap ? &src : &dst) & (t->nbuckets - 1);
	for (uint32_t i = t->bucket[*hb]; i; i = t->f[i - 1].chain) {
		struct flow *f = &t->f[i - 1];
		if (f->family == seg->family && side_is(&f->s[swap], &src) &&
		    side_is(&f->s[!swap], &dst)) {
			*from = swap;
			return f;
		}
	}
	*from = swap;
	return NULL;
}

static void lru_unlink(struct md5sig_ao_flows *t, struct flow *f)
{
	if (f->newer)
		t->f[f->newer - 1].older = f->older;
	else
		t->newest = f->older;
	if (f->older)
		t->f[f->older - 1].newer = f->newer;
	else
		t->oldest = f->newer;
	f->newer = f->older = 0;
}

static void lru_front(struct md5sig_ao_flows *t, struct flow *f)
{
	uint32_t i = (uint32_t)(f - t->f) + 1;

	f->older = t->newest;
	f->newer = 0;
	if (t->newest)
		t->f[t->newest - 1].newer = i;
	t->newest = i;
	if (!t->oldest)
		t->oldest = i;
}

/* Take the least recently seen flow out of the table; return its slot. */
static struct flow *evict(struct md5sig_ao_flows *t)
{
	struct flow *f = &t->f[t->oldest - 1];
	uint32_t i = t->oldest;
	struct side lo = f->s[0], hi = f->s[1];
	size_t b = hash(f->family, &lo, &hi) & (t->nbuckets - 1);

	lru_unlink(t, f);
	for (uint32_t *p = &t->bucket[b]; *p; p = &t->f[*p - 1].chain) {
		if (*p == i) {
			*p = f->chain;
			break;
		}
	}
	t->st.evictions++;
	return f;
}

static void side_set(struct md5sig_ao_flows *t, struct side *s, uint32_t isn, bool learnt)
{
	s->known = true;
	s->isn = isn;
	md5sig_ao_sne_init(&s->sne, isn);
	t->st.learnt += learnt;
}

/* A side whose own handshake was not seen takes the ISN given for it, if any. */
static void side_given(struct md5sig_ao_flows *t, uint8_t family, struct side *s)
{
	uint32_t isn;

	if (!s->known && given_isn(t, family, s, &isn))
		side_set(t, s, isn, false);
}

void md5sig_ao_flows_see(struct md5sig_ao_flows *t, const uint8_t *frame,
			 const struct md5sig_seg *seg)
{
	const uint8_t *th = frame + seg->l4_off;
	uint8_t flags = th[WIRE_TCP_FLAGS];
	uint32_t seq = wire_get32(th + WIRE_TCP_SEQ), ack = wire_get32(th + WIRE_TCP_ACK);
	size_t b;
	int k;
	struct flow *f = lookup(t, seg, &k, &b);

	if (f) {
		lru_unlink(t, f);
	} else {
		struct side src, dst;
		f = t->n < t->max ? &t->f[t->n++] : evict(t);
		endpoints(seg, &src, &dst);
		memset(f, 0, sizeof(*f));
		f->family = seg->family;
		f->s[k] = src;
		f->s[!k] = dst;
		f->chain = t->bucket[b];
		t->bucket[b] = (uint32_t)(f - t->f) + 1;
	}
	lru_front(t, f);

	struct side *me = &f->s[k], *peer = &f->s[!k];
	if ((flags & (WIRE_TCP_F_SYN | WIRE_TCP_F_ACK)) == WIRE_TCP_F_SYN) {
		/* a new connection: the peer's ISN is not known yet */
		side_set(t, me, seq, true);
		peer->known = false;
	} else if (flags & WIRE_TCP_F_SYN) {
		side_set(t, me, seq, true);
		if (!peer->known)
			side_set(t, peer, ack - 1, true);
	}
	side_given(t, f->family, me);
	side_given(t, f->family, peer);
	if (me->known)
		md5sig_ao_sne_next(&me->sne, seq);
}

bool md5sig_ao_flows_find(const struct md5sig_ao_flows *t, const uint8_t *frame,
			  const struct md5sig_seg *seg, struct md5sig_ao_isns *isns, uint32_t *sne)
{
	size_t b;
	int k;

	if (!t)
		return false;
	const struct flow *f = lookup(t, seg, &k, &b);
	if (!f || !f->s[0].known || !f->s[1].known)
		return false;
	isns->sisn = f->s[k].isn;
	isns->disn = f->s[!k].isn;
	*sne = md5sig_ao_sne_peek(&f->s[k].sne, wire_get32(frame + seg->l4_off + WIRE_TCP_SEQ));
	return true;
}
